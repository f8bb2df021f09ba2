/* scan.c - `stemtel scan`: count pages from scanners, hot folders and archives */
#include "cli.h"
#include "stemtel/model.h"
#include "stemtel/scan.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const scan_usage =
    "usage: stemtel scan --model MODEL.json --source SPEC [--source SPEC ...]\n"
    "                    [--station ID] [--out DIR] [--store FILE] [--threads N]\n"
    "                    [--idle SECONDS] [--settle-ms N]\n"
    "                    [--dpi N] [--mode gray|color|lineart] [--feeder NAME]\n"
    "                    [--sane-option NAME=VALUE ...]\n"
    "\n"
    "Count the pages of every source until the sources end or Ctrl-C:\n"
    "  folder:DIR       a hot folder that scanner software writes TIFFs into;\n"
    "                   files there at start are taken too, each file once it\n"
    "                   is complete; never moved or changed\n"
    "  sane:DEVICE      a scanner through SANE (`scanimage -L` lists names);\n"
    "                   scans its document feeder until it is empty, saving\n"
    "                   each page in DIR/scans/N-DEVICE/page-NNNNNN.tif\n"
    "  replay:MANIFEST  an archived batch; every file's hash is checked first\n"
    "A separator sheet (`stemtel sheet`) assigns the pages after it, from the\n"
    "same source, to its polling station; pages before any sheet take\n"
    "--station, else they are counted unassigned.\n"
    "\n"
    "Writes to DIR (default scan-out):\n"
    "  run-NNN/         this run's ballots.jsonl, sheets.jsonl, tally.csv/json\n"
    "                   (a run cut short: cut-short.txt instead of a tally)\n"
    "  tally.csv/json   the store's tally: every run, decisions applied\n"
    "  manifest-SOURCEn-NNN.tsv  a replay manifest per batch (a source's files\n"
    "                   from one separator sheet to the next)\n"
    "  scans/           the pages SANE scanners saved\n"
    "Every page also goes into the store (default DIR/stemtel.db); a page the\n"
    "store already holds is never counted again, so a scan can be restarted.\n"
    "  --idle SECONDS   end once the live sources gave nothing for so long\n"
    "                   (hot folders never end by themselves)\n"
    "  --settle-ms N    quiet time before a hot-folder file is taken (500)\n"
    "  --dpi, --mode, --feeder, --sane-option: scanner settings (300, gray,\n"
    "                   adf; --feeder duplex scans both sides)\n"
    "Ctrl-C (or TERM): said at once; no new file is taken, the pages in\n"
    "flight and those scanners are saving are counted, everything is written.\n"
    "A second Ctrl-C quits at once. Manifests and ballots.jsonl are written\n"
    "as pages are committed, so whatever stops a scan, every page the store\n"
    "holds is in one manifest line; the next scan tidies what was cut short.\n";

/* The one flag a signal handler may set: raised by the first Ctrl-C. */
static volatile sig_atomic_t scan_stop;

static void on_signal(int sig)
{
    (void)sig;
    scan_stop = 1;
}

static void print_summary(const st_scan_report *r, const st_scan_opts *o,
                          const char *store)
{
    const st_batch_report *b = &r->batch;
    printf("scanned %d page%s from %d file%s in %.1f s%s\n", b->pages,
           b->pages == 1 ? "" : "s", b->files, b->files == 1 ? "" : "s", b->seconds,
           r->stopped ? " (stopped)" : r->idle ? " (idle)" : "");
    printf("  %d separator sheet%s, %d page%s already in the store (skipped)\n", b->sheets,
           b->sheets == 1 ? "" : "s", b->already_committed,
           b->already_committed == 1 ? "" : "s");
    /* The whole store: after a restart, every station counted so far. */
    if (r->n_store_stations)
        printf("  in the store, every run (decisions applied):\n");
    for (int i = 0; i < r->n_store_stations; i++) {
        const st_scan_station *s = &r->store_stations[i];
        printf("  %-20s %6lld pages: %lld votes, %lld blank, %lld invalid, "
               "%lld to review, %lld rejected\n",
               s->station ? s->station : "(unassigned)", s->pages, s->votes, s->blank,
               s->invalid, s->review, s->rejected);
    }
    if (b->unassigned)
        fprintf(stderr,
                "stemtel: warning: %d page%s had no separator sheet before %s and no "
                "--station: counted unassigned\n",
                b->unassigned, b->unassigned == 1 ? "" : "s",
                b->unassigned == 1 ? "it" : "them");
    printf("  this run: %s/ballots.jsonl, sheets.jsonl, tally.csv, tally.json\n",
           r->run_dir);
    printf("  every run, decisions applied: %s/tally.csv, tally.json\n", o->out_dir);
    for (int i = 0; i < r->n_manifests; i++)
        printf("  manifest %s\n", r->manifests[i]);
    printf("  store %s: %d page%s added\n", store, b->committed,
           b->committed == 1 ? "" : "s");
}

int st_cli_scan(int argc, char **argv)
{
    static const struct option longs[] = {
        {"model", required_argument, NULL, 'm'},
        {"source", required_argument, NULL, 'r'},
        {"station", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"store", required_argument, NULL, 'S'},
        {"threads", required_argument, NULL, 't'},
        {"idle", required_argument, NULL, 'i'},
        {"settle-ms", required_argument, NULL, 'w'},
        {"dpi", required_argument, NULL, 'd'},
        {"mode", required_argument, NULL, 'M'},
        {"feeder", required_argument, NULL, 'f'},
        {"sane-option", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    st_scan_opts o = {0};
    st_scan_source *sources = calloc((size_t)argc, sizeof *sources);
    const char **extra = calloc((size_t)argc + 1, sizeof *extra);
    const char *model_path = NULL;
    int n_sources = 0, n_extra = 0, c, status = ST_EXIT_USAGE;
    st_error err = {0};
    st_model *m = NULL;
    long long v;
    if (!sources || !extra) {
        st_cli_error("scan: out of memory");
        status = ST_EXIT_FAIL;
        goto done;
    }
    o.out_dir = "scan-out";
    o.sane.dpi = 300;
    o.sane.mode = "gray";
    o.sane.source = "adf";
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'm': model_path = optarg; break;
        case 'r':
            if (st_scan_source_parse(optarg, &sources[n_sources], &err)) {
                st_cli_error("%s", err.msg);
                goto done;
            }
            n_sources++;
            break;
        case 's': o.station = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'S': o.store_path = optarg; break;
        case 't':
            if (st_cli_int("--threads", optarg, 1, 1024, &v))
                goto done;
            o.threads = (int)v;
            break;
        case 'i':
            if (st_cli_int("--idle", optarg, 1, 86400, &v))
                goto done;
            o.idle_s = (double)v;
            break;
        case 'w':
            if (st_cli_int("--settle-ms", optarg, 50, 60000, &v))
                goto done;
            o.settle_ms = (int)v;
            break;
        case 'd':
            if (st_cli_int("--dpi", optarg, 100, 1200, &v))
                goto done;
            o.sane.dpi = (int)v;
            break;
        case 'M': o.sane.mode = optarg; break;
        case 'f': o.sane.source = optarg; break;
        case 'x':
            if (!strchr(optarg, '=')) {
                st_cli_error("--sane-option \"%s\": expected NAME=VALUE", optarg);
                goto done;
            }
            extra[n_extra++] = optarg;
            break;
        case 'h': fputs(scan_usage, stdout); status = ST_EXIT_OK; goto done;
        default: fputs(scan_usage, stderr); goto done;
        }
    }
    if (!model_path || n_sources == 0 || optind < argc) {
        st_cli_error(optind < argc ? "scan: unexpected argument \"%s\" (sources are given "
                                     "with --source)"
                                   : "scan: need --model MODEL.json and at least one "
                                     "--source%s",
                     optind < argc ? argv[optind] : "");
        fputs(scan_usage, stderr);
        goto done;
    }
    status = ST_EXIT_FAIL;
    if (st_model_load_checked(model_path, &m, &err)) {
        st_cli_error("%s", err.msg);
        goto done;
    }
    o.model = m;
    o.sources = sources;
    o.n_sources = n_sources;
    o.sane.extra = extra;
    o.stop = &scan_stop;
    o.progress = isatty(STDERR_FILENO) ? stderr : NULL;
    o.log = stderr;

    /* First Ctrl-C (or a TERM): finish cleanly; a second one quits. */
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    scan_stop = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    st_scan_report rep;
    int rc = st_scan_run(&o, &rep, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);

    char store[4200];
    if (o.store_path)
        snprintf(store, sizeof store, "%s", o.store_path);
    else
        snprintf(store, sizeof store, "%s/stemtel.db", o.out_dir);
    if (rep.batch.files || rep.batch.pages || rc == ST_OK)
        print_summary(&rep, &o, store);
    st_cli_warn_batch(&rep.batch);
    if (rc)
        st_cli_error("%s", err.msg);
    else
        status = ST_EXIT_OK;
    st_scan_report_free(&rep);
done:
    st_model_free(m);
    free(sources);
    free(extra);
    return status;
}
