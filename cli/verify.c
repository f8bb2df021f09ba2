/* verify.c - `stemtel verify`: replay a store from its scans */
#include "cli.h"
#include "stemtel/verify.h"

#include <getopt.h>
#include <stdio.h>

static const char *const verify_usage =
    "usage: stemtel verify --store FILE [--threads N]\n"
    "\n"
    "Re-read every page in the store from its file, check the file's SHA-256,\n"
    "read the page again, re-apply the decisions, and report every difference\n"
    "from what the store holds: file missing, file changed, result changed.\n"
    "Exit 0 when everything is the same, 3 when something differs.\n";

int st_cli_verify(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"threads", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL;
    int c, threads = 0;
    long long v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 't':
            if (st_cli_int("--threads", optarg, 1, 1024, &v))
                return ST_EXIT_USAGE;
            threads = (int)v;
            break;
        case 'h': fputs(verify_usage, stdout); return ST_EXIT_OK;
        default: fputs(verify_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    if (!store_path || optind != argc) {
        st_cli_error("verify: need --store FILE");
        fputs(verify_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    st_store *s = NULL;
    st_verify_report rep;
    int rc = ST_EXIT_FAIL;
    if (st_store_open_readonly(store_path, &s, &err) || st_verify(s, threads, stdout, &rep, &err)) {
        st_cli_error("%s", err.msg);
        goto out;
    }
    printf("verified %lld ballots: %lld file%s missing, %lld file%s changed, %lld result%s "
           "changed; the tally with the decisions applied is %s\n",
           (long long)rep.ballots, (long long)rep.file_missing, rep.file_missing == 1 ? "" : "s",
           (long long)rep.file_changed, rep.file_changed == 1 ? "" : "s",
           (long long)rep.result_changed, rep.result_changed == 1 ? "" : "s",
           rep.tally_differs ? "DIFFERENT" : "the same");
    rc = rep.file_missing || rep.file_changed || rep.result_changed || rep.tally_differs
             ? ST_EXIT_FOUND
             : ST_EXIT_OK;
out:
    st_store_close(s);
    return rc;
}
