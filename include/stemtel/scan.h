/* scan.h - run scanners, hot folders and archived batches into the counter
 *
 * `stemtel scan` in library form. Every source hands over whole files:
 *
 *   folder:DIR       scanner software writes TIFFs into DIR (folder.h)
 *   sane:DEVICE      a scanner through SANE (sane.h); each one scans in a
 *                    child process of its own, which writes every page as a
 *                    TIFF into OUT/scans/N-DEVICE/ (the archive auditors
 *                    replay) and the counter takes them from there as from
 *                    a hot folder
 *   replay:MANIFEST  an archived batch (manifest.h); every file's hash is
 *                    checked before anything is counted
 *
 * Replayed batches are counted first, in the order given, each in its
 * manifest's order; then the live sources, each file as it becomes
 * complete. Pages go through the batch runner (batch.h) and into a store
 * (store.h), which is what makes a page already counted, in this run or
 * an earlier one, never count again. In the output folder OUT:
 *
 *   run-NNN/                   this run's ballots.jsonl, sheets.jsonl and
 *                              tally (a new folder every run; a run cut
 *                              short has cut-short.txt instead of a tally)
 *   tally.csv, tally.json      the store's tally: every run, decisions
 *                              applied
 *   manifest-SOURCEn-NNN.tsv   a replay manifest for each batch counted
 *                              (the files of one source from one separator
 *                              sheet to the next)
 *   scans/n-DEVICE/            the pages SANE scanners saved
 *   stemtel.db                 the store, unless another is named
 *
 * A scan ends when every source has ended (a replay's last file, a
 * scanner's empty feeder), when the live sources have been idle for the
 * idle time (if one is set), or when the stop flag is raised: no file is
 * taken from a hot folder or a replay after that, scanners finish the
 * page they are on, the pages in flight and those the scanners saved are
 * counted, and every output is written. Hot folders never end by
 * themselves.
 *
 * Nothing a stop leaves is lost from the archive. Each file's manifest
 * line, and each page's ballots.jsonl record, is written and synced
 * before the store commits the page, so a stop at any moment (kill -9, a
 * power cut) leaves every page the store holds listed, in one manifest
 * line; what it can leave written too early is the end of the window in
 * flight. The next scan over OUT cuts that back before it counts anything
 * (st_manifest_repair for manifests without their closing line; the end
 * of a cut-short run's ballots.jsonl the same way), so that a page is in
 * the store exactly when its file is in one manifest line (separator
 * sheets, never stored, are listed as the first line of their batch).
 * A file already listed in OUT is never listed again. One scan at a time
 * may use an OUT (a lock file says so).
 */
#ifndef STEMTEL_SCAN_H
#define STEMTEL_SCAN_H

#include <signal.h>
#include <stdio.h>

#include "stemtel/batch.h"
#include "stemtel/error.h"
#include "stemtel/model.h"
#include "stemtel/sane.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum st_scan_kind {
    ST_SCAN_FOLDER = 0,
    ST_SCAN_SANE,
    ST_SCAN_REPLAY
} st_scan_kind;

typedef struct st_scan_source {
    st_scan_kind kind;
    const char *arg;        /* the folder, device or manifest (borrowed) */
} st_scan_source;

/* Parse "folder:DIR", "sane:DEVICE" or "replay:MANIFEST" into *out, which
 * borrows spec. Returns ST_OK or ST_ERR_ARG naming what is wrong. */
int st_scan_source_parse(const char *spec, st_scan_source *out, st_error *err);

typedef struct st_scan_opts {
    const st_model *model;
    const st_scan_source *sources;
    int n_sources;
    const char *station;        /* for pages no sheet covers, or NULL */
    const char *out_dir;        /* created if missing */
    const char *store_path;     /* NULL: OUT/stemtel.db */
    int threads;                /* 0 = every core */
    int settle_ms;              /* hot folders' quiet time; 0 = default */
    double idle_s;              /* > 0: end once live sources gave nothing
                                 * for this long */
    st_sane_opts sane;          /* settings for every SANE source */
    const volatile sig_atomic_t *stop; /* NULL, or raised to stop */
    FILE *progress;             /* a terminal for the progress line, or NULL */
    FILE *log;                  /* where warnings about sources go (stderr) */
} st_scan_opts;

/* What one polling station got: in this run, or in the store. */
typedef struct st_scan_station {
    char *station;              /* NULL: unassigned */
    long long pages, votes, blank, invalid, review, rejected;
} st_scan_station;

typedef struct st_scan_report {
    char run_dir[4200];         /* OUT/run-NNN: this run's own outputs */
    st_batch_report batch;
    int stopped;                /* the stop flag ended the scan */
    int idle;                   /* the idle time ended it */
    int warnings;               /* problems with sources written to log */
    int scanner_failures;       /* SANE sources that ended with an error */
    int n_stations;
    st_scan_station *stations;  /* this run's pages as read, in order of
                                 * first appearance */
    int n_store_stations;
    st_scan_station *store_stations; /* every station of the store after
                                      * the run (every run, decisions
                                      * applied), in st_store_stations
                                      * order, then the unassigned pages
                                      * (station NULL) if any */
    int n_manifests;
    char **manifests;           /* paths written in this run */
} st_scan_report;

/* Free what a report owns. Accepts NULL. */
void st_scan_report_free(st_scan_report *r);

/* Run the scan. Returns ST_OK when every source ended well (or the scan
 * was stopped or idle); an error, with every page taken until then
 * counted and written, when a source failed (a replayed file missing or
 * altered: nothing of that manifest is counted if found before counting;
 * a watched folder removed; a scanner that could not be opened or
 * failed). *rep is filled in both cases; free it with
 * st_scan_report_free. */
int st_scan_run(const st_scan_opts *o, st_scan_report *rep, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
