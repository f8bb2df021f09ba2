/* batch.h - count a batch of scanned pages
 *
 * The runner behind `stemtel count`: takes TIFF files and folders, reads
 * every page in parallel (OpenMP) with a bounded window of pages in flight,
 * commits results in input order, and writes ballots.jsonl, tally.csv and
 * tally.json. The output bytes do not depend on the number of threads.
 */
#ifndef STEMTEL_BATCH_H
#define STEMTEL_BATCH_H

#include <stdio.h>

#include "stemtel/ballot.h"
#include "stemtel/error.h"
#include "stemtel/model.h"
#include "stemtel/tally.h"

/* One committed page as the commit hook sees it. Everything is borrowed
 * and valid only during the call. record is the page's ballots.jsonl line
 * without its newline; station is NULL when none was given. */
typedef struct st_batch_page {
    const char *file;
    int page;
    const char *sha256;     /* hex of the file's bytes, "" if unreadable */
    const char *station;
    const st_outcome *outcome;
    const char *record;
} st_batch_page;

/* Called once per window, on the calling thread, with the window's pages
 * in input order, after they are written to ballots.jsonl. Sets *skipped
 * to how many of them it already held (and so did not take again).
 * Returns ST_OK, or a negative code with err set, which stops the batch. */
typedef int (*st_batch_commit_fn)(void *ctx, const st_batch_page *pages, int n,
                                  int *skipped, st_error *err);

/* Asked, on the calling thread, for each page before it is read: nonzero
 * when the page (file's SHA-256, "" if unreadable, and page index) is
 * already held, so it is skipped: not read, not written to ballots.jsonl,
 * not in the tally, and counted in the report's already_committed. */
typedef int (*st_batch_seen_fn)(void *ctx, const char *file, const char *sha256,
                                int page);

typedef struct st_batch_opts {
    const st_model *model;
    const char *out_dir;    /* created if missing */
    const char *station;    /* polling station id for every page, or NULL */
    int threads;            /* 0 = OpenMP's default */
    int window;             /* pages in flight; 0 = 4 per thread */
    FILE *progress;         /* a terminal for the progress line, or NULL */
    st_batch_commit_fn commit; /* NULL, or where each window goes (a store) */
    st_batch_seen_fn seen;  /* NULL, or what the store already holds */
    void *commit_ctx;       /* passed to commit and seen */
} st_batch_opts;

typedef struct st_batch_report {
    int files;              /* input files (folders expanded) */
    int skipped;            /* non-TIFF names ignored inside folders */
    int pages;
    int bilevel_pages;
    int committed;          /* pages the commit hook took */
    int already_committed;  /* pages skipped as seen, or that the commit
                             * hook already held */
    st_tally_totals totals;
    double seconds;
    int threads;            /* worker threads used */
    /* Seconds summed over pages (all threads) per stage, and the serial
     * time spent opening/hashing files and writing results. */
    double t_open, t_decode, t_register, t_score, t_interpret, t_output;
    /* The process's peak resident memory in MiB at the end (VmHWM of
     * /proc/self/status: this process image's own, unlike getrusage's,
     * which keeps the peak of the process that exec'd it), 0 if unknown. */
    double peak_mib;
} st_batch_report;

/* Count every page of the inputs (files, or folders whose *.tif / *.tiff
 * files are taken in name order). A page that cannot be read is a rejected
 * record with its reason, never an error; an error is returned only when
 * the outputs cannot be written or memory runs out. *tally_out (if not
 * NULL) receives the batch's tally (free with st_tally_free). The outputs
 * and the tally cover every page read: all of them unless `seen` skips
 * some. */
int st_batch_count(const st_batch_opts *o, char *const *inputs, int n_inputs,
                   st_batch_report *rep, st_tally **tally_out, st_error *err);

/* The ballots.jsonl record of ballot b (page `page` of the file at path,
 * whose bytes hash to sha256; station NULL for none), without its
 * newline: the text `count` writes and a store keeps. malloc'd, NULL on
 * no memory. Thread-safe. */
char *st_batch_record(const st_model *m, const char *station, const char *path,
                      const char *sha256, int page, const st_ballot *b);

#endif
