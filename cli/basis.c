/* basis.c - `stemtel basis import|answer`: the polling stations' own counts and the GSB's answers */
#include "cli.h"
#include "stemtel/basis.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const basis_usage =
    "usage: stemtel basis import --store FILE [--second-entry] BASISTELLING.csv\n"
    "       stemtel basis import --store FILE [--second-entry] --from-eml Telling.eml.xml\n"
    "       stemtel basis answer --store FILE --station ID --question Q --answer A --by NAME\n"
    "\n"
    "import puts each polling station's own count (Model N 10-2: A..J, the\n"
    "votes per list, whether a difference was explained) into the store,\n"
    "replacing an earlier one of the same station. The CSV has one header row\n"
    "and one row per station: station,A,B,C,D,E.1,..,E.n,E,F,G,H,I,J,explained\n"
    "(yes/no, empty if unanswered, both if both ticked), and optionally box\n"
    "(the D/H box ticked: D=H, H>D, H<D, joined by + or none), name and\n"
    "eligible (see the README). --from-eml takes the same figures from an EML\n"
    "510b count. --second-entry takes the same forms typed again by someone\n"
    "else: every field that differs from the first entry is reported (W001)\n"
    "and blocks a final result until the wrong entry is imported again\n"
    "corrected; a station needs its first entry before its second.\n"
    "\n"
    "answer records the gemeentelijk stembureau's answer to a question of\n"
    "Na 31-2 Bijlage 1 for a station: Q is b1-1a (investigated for another\n"
    "reason), b1-1b (ballots recounted after it), b1-2.1 (the station's D/H\n"
    "difference fully explained) or b1-2.3 (our H differs from the station's);\n"
    "A is ja, nee, beide (both ticked) or leeg (take it back); NAME a member.\n";

/* `basis answer`. */
static int answer(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"station", required_argument, NULL, 's'},
                                          {"question", required_argument, NULL, 'q'},
                                          {"answer", required_argument, NULL, 'a'},
                                          {"by", required_argument, NULL, 'b'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *station = NULL, *question = NULL, *ans = NULL, *by = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 's': station = optarg; break;
        case 'q': question = optarg; break;
        case 'a': ans = optarg; break;
        case 'b': by = optarg; break;
        case 'h': fputs(basis_usage, stdout); return ST_EXIT_OK;
        default: fputs(basis_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    if (!store_path || !station || !question || !ans || !by || optind != argc) {
        st_cli_error("basis answer: need --store, --station, --question, --answer and --by");
        fputs(basis_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    st_store *s = NULL;
    int rc = ST_EXIT_FAIL;
    if (st_store_open(store_path, NULL, &s, &err) ||
        st_basis_answer(s, station, question, ans, by, &err))
        goto out;
    printf("%s of %s: %s (by %s)\n", question, station, ans, by);
    rc = ST_EXIT_OK;
out:
    if (rc)
        st_cli_error("%s", err.msg);
    st_store_close(s);
    return rc;
}

/* `basis import`. */
static int import(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"from-eml", required_argument, NULL, 'e'},
                                          {"second-entry", no_argument, NULL, '2'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *eml = NULL;
    int c, second = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 'e': eml = optarg; break;
        case '2': second = 1; break;
        case 'h': fputs(basis_usage, stdout); return ST_EXIT_OK;
        default: fputs(basis_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    if (!store_path || (eml ? optind != argc : optind != argc - 1)) {
        st_cli_error("basis import: need --store FILE and either one CSV file or --from-eml FILE");
        fputs(basis_usage, stderr);
        return ST_EXIT_USAGE;
    }
    const char *src = eml ? eml : argv[optind];
    st_error err = {0};
    st_store *s = NULL;
    st_basis_set set = {0, NULL};
    int rc = ST_EXIT_FAIL;
    if (st_store_open(store_path, NULL, &s, &err))
        goto out;
    if (eml ? st_basis_read_eml(src, st_store_model(s), &set, &err)
            : st_basis_read_csv(src, st_store_model(s), &set, &err))
        goto out;
    if (second ? st_basis_save_second(s, &set, src, &err) : st_basis_save(s, &set, src, &err))
        goto out;
    printf("basistelling%s of %d polling station%s from %s into %s\n",
           second ? " (second entry)" : "", set.n, set.n == 1 ? "" : "s", src, store_path);
    rc = ST_EXIT_OK;
out:
    if (rc)
        st_cli_error("%s", err.msg);
    st_basis_set_free(&set);
    st_store_close(s);
    return rc;
}

int st_cli_basis(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "import"))
        return import(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "answer"))
        return answer(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(basis_usage, stdout);
        return ST_EXIT_OK;
    }
    st_cli_error("basis: want `basis import` or `basis answer`");
    fputs(basis_usage, stderr);
    return ST_EXIT_USAGE;
}
