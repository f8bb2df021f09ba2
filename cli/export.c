/* export.c - `stemtel export eml`: the count as an EML 510b file */
#include "cli.h"
#include "stemtel/export.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ST_EXPORT_XSD "510-count-kiesraad-strict.xsd"

int st_cli_find_schema(char *buf, size_t n, st_error *err)
{
    const char *env = getenv("STEMTEL_XSD_DIR");
    if (env && *env) {
        snprintf(buf, n, "%s/%s", env, ST_EXPORT_XSD);
        if (access(buf, R_OK) == 0)
            return 0;
        st_error_set(err, ST_ERR_IO, "export: no %s in STEMTEL_XSD_DIR (%s)", ST_EXPORT_XSD,
                     env);
        return -1;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        static const char *const rel[] = {"../share/stemtel/eml-xsd", "../../data/eml-xsd"};
        for (size_t i = 0; i < sizeof rel / sizeof *rel; i++) {
            char path[PATH_MAX + 64], real[PATH_MAX];
            snprintf(path, sizeof path, "%s/%s/%s", exe, rel[i], ST_EXPORT_XSD);
            if (realpath(path, real) && access(real, R_OK) == 0) {
                snprintf(buf, n, "%s", real);
                return 0;
            }
        }
    }
    st_error_set(err, ST_ERR_IO, "export: cannot find the official schema %s (looked in "
                 "STEMTEL_XSD_DIR, ../share/stemtel/eml-xsd beside the command, and "
                 "../../data/eml-xsd); set STEMTEL_XSD_DIR to the folder holding it",
                 ST_EXPORT_XSD);
    return -1;
}

static const char *const export_usage =
    "usage: stemtel export eml --store FILE -o Telling.eml.xml [--draft]\n"
    "\n"
    "Write the count in the store as the Kiesraad's EML 510b (counting method\n"
    "\"centrale stemopneming\"): the totals and one ReportingUnitVotes per\n"
    "polling station, every list and candidate, blank, invalid and the new\n"
    "A..J. Refused while anything blocks a final result (see `stemtel\n"
    "reconcile`), unless --draft: the file then says it is a draft. The file\n"
    "is validated against the Kiesraad's schema before it is written and not\n"
    "written if it fails (schemas: $STEMTEL_XSD_DIR, else installed with stemtel).\n";

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
    char xsd[PATH_MAX + 64];
    if (st_cli_find_schema(xsd, sizeof xsd, &err) || st_store_open_readonly(store_path, &s, &err) ||
        st_export_eml(s, out, draft, xsd, &err))
        st_cli_error("%s", err.msg);
    else {
        printf("%s written%s\n", out, draft ? " (a DRAFT)" : "");
        rc = ST_EXIT_OK;
    }
    st_store_close(s);
    return rc;
}
