/* export.c - `stemtel export eml`: the count as an EML 510b file */
#include "cli.h"
#include "stemtel/export.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char *const export_usage =
    "usage: stemtel export eml --store FILE -o Telling.eml.xml [--draft]\n"
    "\n"
    "Write the count in the store as the Kiesraad's EML 510b (counting method\n"
    "\"centrale stemopneming\"): the totals and one ReportingUnitVotes per\n"
    "polling station, every list and candidate, blank, invalid and the new\n"
    "A..J. Refused while anything blocks a final result (see `stemtel\n"
    "reconcile`), unless --draft: the file then says it is a draft.\n";

int st_cli_export(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"draft", no_argument, NULL, 'd'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *out = NULL;
    int c, draft = 0;
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(export_usage, stdout);
        return ST_EXIT_OK;
    }
    if (argc < 2 || strcmp(argv[1], "eml")) {
        st_cli_error("export: want `export eml`");
        fputs(export_usage, stderr);
        return ST_EXIT_USAGE;
    }
    argc--, argv++;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 'o': out = optarg; break;
        case 'd': draft = 1; break;
        case 'h': fputs(export_usage, stdout); return ST_EXIT_OK;
        default: fputs(export_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    if (!store_path || !out || optind != argc) {
        st_cli_error("export eml: need --store FILE and -o FILE");
        fputs(export_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    st_store *s = NULL;
    int rc = ST_EXIT_FAIL;
    if (st_store_open_readonly(store_path, &s, &err) || st_export_eml(s, out, draft, &err))
        st_cli_error("%s", err.msg);
    else {
        printf("%s written%s\n", out, draft ? " (a DRAFT)" : "");
        rc = ST_EXIT_OK;
    }
    st_store_close(s);
    return rc;
}
