/* basis.c - `stemtel basis import`: the polling stations' own counts */
#include "cli.h"
#include "stemtel/basis.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const basis_usage =
    "usage: stemtel basis import --store FILE BASISTELLING.csv\n"
    "       stemtel basis import --store FILE --from-eml Telling.eml.xml\n"
    "\n"
    "Put each polling station's own count (Model N 10-2: A..J, the votes per\n"
    "list, whether a difference was explained) into the store, replacing an\n"
    "earlier one of the same station. The CSV has one header row and one row\n"
    "per station: station,A,B,C,D,E.1,..,E.n,E,F,G,H,I,J,explained (yes/no,\n"
    "empty if unanswered, both if both ticked), and optionally box (the D/H\n"
    "box ticked: D=H, H>D, H<D, joined by + or none), name and eligible (see\n"
    "the README). --from-eml takes the same figures from an EML 510b count.\n";

int st_cli_basis(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"from-eml", required_argument, NULL, 'e'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *eml = NULL;
    int c;
    if (argc < 2 || strcmp(argv[1], "import")) {
        if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
            fputs(basis_usage, stdout);
            return ST_EXIT_OK;
        }
        st_cli_error("basis: want `basis import`");
        fputs(basis_usage, stderr);
        return ST_EXIT_USAGE;
    }
    argc--, argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 'e': eml = optarg; break;
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
    if (st_basis_save(s, &set, src, &err))
        goto out;
    printf("basistelling of %d polling station%s from %s into %s\n", set.n,
           set.n == 1 ? "" : "s", src, store_path);
    rc = ST_EXIT_OK;
out:
    if (rc)
        st_cli_error("%s", err.msg);
    st_basis_set_free(&set);
    st_store_close(s);
    return rc;
}
