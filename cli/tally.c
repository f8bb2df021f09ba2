/* tally.c - `stemtel tally`: the figures of a store, with decisions applied
 *
 * Writes the same tally.csv and tally.json as `stemtel count`, but from
 * the store: every ballot stored once, each counted as people decided it
 * where they did.
 */
#include "cli.h"
#include "stemtel/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char *const tally_usage =
    "usage: stemtel tally --store FILE [--station ID] [--out DIR]\n"
    "\n"
    "Write DIR/tally.csv and DIR/tally.json (default DIR: tally-out) in the\n"
    "format of `stemtel count`, from every ballot in the store (or those of\n"
    "polling station ID), decisions applied.\n";

int st_cli_tally(int argc, char **argv)
{
    static const struct option longs[] = {{"store", required_argument, NULL, 'S'},
                                          {"station", required_argument, NULL, 's'},
                                          {"out", required_argument, NULL, 'o'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
    const char *store_path = NULL, *station = NULL, *out = "tally-out";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'S': store_path = optarg; break;
        case 's': station = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(tally_usage, stdout); return ST_EXIT_OK;
        default: fputs(tally_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    if (!store_path || optind != argc) {
        st_cli_error("tally: need --store FILE and nothing else");
        fputs(tally_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    st_store *s = NULL;
    st_tally *t = NULL;
    char path[4200];
    int rc = ST_EXIT_FAIL;
    /* A station that cannot be in the store is a typo, not a station with
     * nothing counted: refused, naming it. */
    if (st_store_open_readonly(store_path, &s, &err) ||
        (station && st_store_station_check(s, station, &err)) ||
        st_store_tally(s, station, &t, &err))
        goto out;
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        st_error_set(&err, ST_ERR_IO, "tally: %s: cannot create: %s", out, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/tally.csv", out);
    if (st_tally_write_csv(t, path, &err))
        goto out;
    snprintf(path, sizeof path, "%s/tally.json", out);
    if (st_tally_write_json(t, path, &err))
        goto out;
    st_tally_totals x;
    st_tally_get_totals(t, &x);
    printf("E %lld  F %lld  G %lld  H %lld  review %lld  rejected %lld; in %s/tally.csv, "
           "tally.json\n",
           (long long)x.E, (long long)x.F, (long long)x.G, (long long)x.H,
           (long long)x.review, (long long)x.rejected, out);
    rc = ST_EXIT_OK;
out:
    if (rc)
        st_cli_error("%s", err.msg);
    st_tally_free(t);
    st_store_close(s);
    return rc;
}
