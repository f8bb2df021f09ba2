/* count.c - `stemtel count`: count scanned ballots */
#include "cli.h"
#include "stemtel/station.h"
#include "stemtel/batch.h"
#include "stemtel/model.h"
#include "stemtel/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const count_usage =
    "usage: stemtel count --model MODEL.json [--station ID] [--threads N]\n"
    "                     [--out DIR] [--store FILE] FILES-OR-FOLDERS...\n"
    "\n"
    "Read every page of the TIFF files given (folders: their *.tif and *.tiff\n"
    "files in name order), interpret each ballot under the model's rules and\n"
    "write to DIR (default: count-out):\n"
    "  ballots.jsonl  one record per page: file, page, SHA-256, the transform\n"
    "                 found, every box's score, the outcome and its reasons\n"
    "  tally.csv      votes per candidate and list, E, F, G, H, party-only\n"
    "  tally.json     votes, invalid per reason, review and rejected pages\n"
    "  sheets.jsonl   separator sheets found (`stemtel sheet`): not ballots;\n"
    "                 the pages after one take its station, not --station\n"
    "The output does not depend on --threads.\n"
    "  --store FILE   also add every page to the store FILE (made if missing),\n"
    "                 a window of pages per transaction; pages already in it\n"
    "                 (same file bytes, same page) are skipped: not read and\n"
    "                 not in this run's ballots.jsonl and tally\n";

/* The batch runner's hooks hand over their ctx untyped; here it is the
 * store. */
static int count_commit(void *ctx, const st_batch_page *pages, int n, int *skipped,
                        st_error *err)
{
    return st_store_commit(ctx, pages, n, skipped, err);
}

static int count_seen(void *ctx, const char *file, const char *sha256, int page)
{
    return st_store_seen(ctx, file, sha256, page);
}

static void print_summary(const st_model *m, const st_tally *t,
                          const st_batch_report *r, const char *out, int threads)
{
    const st_tally_totals *x = &r->totals;
    printf("counted %d page%s from %d file%s in %.1f s (%.1f pages/s, %d thread%s)\n",
           r->pages, r->pages == 1 ? "" : "s", r->files, r->files == 1 ? "" : "s",
           r->seconds, r->seconds > 0 ? r->pages / r->seconds : 0.0, threads,
           threads == 1 ? "" : "s");
    printf("  E valid %lld (by list box alone %lld)   F blank %lld   G invalid %lld   "
           "H %lld\n",
           (long long)x->E, (long long)x->party_only, (long long)x->F, (long long)x->G,
           (long long)x->H);
    printf("  awaiting review %lld   rejected (count by hand) %lld\n",
           (long long)x->review, (long long)x->rejected);
    for (int i = 0; i < m->n_lists; i++) {
        /* At most 40 characters, not bytes: a UTF-8 name is never cut
         * inside a character, and the padding counts characters. */
        const char *name = m->lists[i].name;
        int bytes = 0, chars = 0;
        while (name[bytes] && chars < 40) {
            bytes++;
            while ((name[bytes] & 0xC0) == 0x80)
                bytes++;
            chars++;
        }
        printf("  list %2d %.*s%*s %6lld\n", m->lists[i].number, bytes, name, 40 - chars, "",
               (long long)st_tally_list_total(t, m->lists[i].number));
    }
    if (r->sheets)
        printf("  %d separator sheet%s (sheets.jsonl): the pages after each took its "
               "station\n", r->sheets, r->sheets == 1 ? "" : "s");
    if (r->skipped)
        printf("  skipped %d file%s in the folders not named .tif or .tiff\n", r->skipped,
               r->skipped == 1 ? "" : "s");
    printf("  results in %s/ballots.jsonl, tally.csv, tally.json\n", out);
    if (r->peak_mib > 0)
        printf("  peak memory %.1f MiB\n", r->peak_mib);
}

int st_cli_count(int argc, char **argv)
{
    static const struct option longs[] = {
        {"model", required_argument, NULL, 'm'},
        {"station", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"out", required_argument, NULL, 'o'},
        {"store", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    st_batch_opts o = {0};
    const char *model_path = NULL, *store_path = NULL;
    st_store *store = NULL;
    long long v;
    int c;
    o.out_dir = "count-out";
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 's': o.station = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'S': store_path = optarg; break;
        case 't':
            if (st_cli_int("--threads", optarg, 1, 1024, &v))
                return ST_EXIT_USAGE;
            o.threads = (int)v;
            break;
        case 'h': fputs(count_usage, stdout); return ST_EXIT_OK;
        default: fputs(count_usage, stderr); return ST_EXIT_USAGE;
        }
    }
    if (!model_path || optind >= argc) {
        st_cli_error("count: need --model MODEL.json and at least one file or folder");
        fputs(count_usage, stderr);
        return ST_EXIT_USAGE;
    }
    st_error err = {0};
    st_model *m = NULL;
    if (st_model_load_checked(model_path, &m, &err)) {
        st_cli_error("%s", err.msg);
        return ST_EXIT_FAIL;
    }
    o.model = m;
    if (!store_path && o.station && st_station_id_check(o.station, &err)) {
        st_cli_error("count: --station: %s", err.msg);
        st_model_free(m);
        return ST_EXIT_USAGE;
    }
    if (store_path) {
        char inputs[4096] = "";
        for (int i = optind; i < argc; i++)
            snprintf(inputs + strlen(inputs), sizeof inputs - strlen(inputs), "%s%s",
                     i > optind ? " " : "", argv[i]);
        if (st_store_open(store_path, m, &store, &err) ||
            (o.station && st_store_station_check(store, o.station, &err)) ||
            st_store_begin_batch(store, o.station, inputs, &err)) {
            st_cli_error("%s", err.msg);
            st_store_close(store);
            st_model_free(m);
            return ST_EXIT_FAIL;
        }
        o.commit = count_commit;
        o.seen = count_seen;
        o.commit_ctx = store;
    }
    o.progress = isatty(STDERR_FILENO) ? stderr : NULL;
    st_batch_report rep;
    st_tally *tally = NULL;
    int rc = st_batch_count(&o, argv + optind, argc - optind, &rep, &tally, &err);
    /* The pages are stored by now: a failure to read back how many were
     * flagged is a warning, not a failed count. */
    int64_t rescans = 0;
    st_error rerr = {0};
    if (!rc && store && st_store_batch_rescans(store, &rescans, &rerr))
        fprintf(stderr, "stemtel: warning: could not read the possible rescans back: %s "
                "(stemtel review list --store %s shows them)\n", rerr.msg, store_path);
    st_store_close(store);
    if (rc) {
        st_cli_error("%s", err.msg);
        st_model_free(m);
        return ST_EXIT_FAIL;
    }
    st_cli_warn_batch(&rep);
    print_summary(m, tally, &rep, o.out_dir, rep.threads);
    if (store_path)
        printf("  store %s: %d page%s added, %d already there (skipped)\n", store_path,
               rep.committed, rep.committed == 1 ? "" : "s", rep.already_committed);
    /* Found on commit, so not in the figures above: the store's tally has
     * them in review. */
    if (rescans)
        printf("  possible rescans %lld: their marks match an earlier page of the station; "
               "in review until people decide (stemtel review list --store %s)\n",
               (long long)rescans, store_path);
    st_tally_free(tally);
    st_model_free(m);
    return ST_EXIT_OK;
}
