/* batch.h - count a batch of scanned pages
 *
 * The runner behind `stemtel count` and `stemtel scan`: takes TIFF files
 * (a list of paths, or a feed that hands them over as they arrive), reads
 * every page in parallel (OpenMP) with a bounded window of pages in
 * flight, commits results in input order, and writes ballots.jsonl,
 * sheets.jsonl, tally.csv and tally.json. The output bytes do not depend
 * on the number of threads.
 *
 * Separator sheets (sheet.h) are recognised among the pages that are not
 * ballots: a sheet is not a ballot (it is written to sheets.jsonl, not to
 * ballots.jsonl, the tally or the store), and the pages after it, from
 * the same source, belong to its polling station until the next sheet.
 * A page carrying a separator-sheet code that cannot be used is a
 * rejected page (ST_REJECT_BAD_SHEET), and the pages after it are left
 * unassigned until the next good sheet: the runner never guesses.
 */
#ifndef STEMTEL_BATCH_H
#define STEMTEL_BATCH_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "stemtel/ballot.h"
#include "stemtel/error.h"
#include "stemtel/model.h"
#include "stemtel/page.h"
#include "stemtel/sheet.h"
#include "stemtel/store.h"
#include "stemtel/tally.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bytes of input files the runner holds at once: each file is read whole
 * into memory while its pages are in flight, and no further file is taken
 * into a window while those held reach this (one file always may be, up
 * to sources/filebytes.h's ST_FILEBYTES_MAX). */
#define ST_BATCH_MAX_BYTES_IN_FLIGHT ((size_t)128 << 20)

/* One committed page as the commit hook sees it. It is the store's page
 * (store.h), so a hook that puts pages in a store passes them on as they
 * are. */
typedef st_store_page st_batch_page;

/* Called after each window, on the calling thread, with the pages read
 * since the last call, in input order, after they are written to
 * ballots.jsonl; the pages of a file not yet read to its end wait for its
 * last page, so that a file's pages are always taken in one call (a store
 * never holds half a file; such a file's pages are in memory meanwhile,
 * their records only). Not called when there is nothing to take. Sets
 * *skipped to how many of them it already held (and so did not take
 * again). Returns ST_OK, or a negative code with err set, which stops the
 * batch (the pages given are then not committed). */
typedef int (*st_batch_commit_fn)(void *ctx, const st_batch_page *pages, int n,
                                  int *skipped, st_error *err);

/* Asked, on the calling thread, for each page before it is read, in input
 * order: nonzero when the page (file's SHA-256, "" if unreadable, and
 * page index) is already held, or taken earlier in the same window (the
 * hook decides what one page is), so it is skipped: not read, not written to ballots.jsonl,
 * not in the tally, and counted in the report's already_committed. */
typedef int (*st_batch_seen_fn)(void *ctx, const char *file, const char *sha256,
                                int page);

/* One file a feed hands to the runner, which takes over what it owns. */
typedef struct st_batch_input {
    char *path;             /* malloc'd; how records name the file */
    uint8_t *bytes;         /* malloc'd contents, or NULL: the runner reads
                             * path itself and hashes what it read */
    size_t len;
    char sha256[65];        /* hex of bytes when bytes is given, else "" */
    int source;             /* 0.. : which scanner or stack it came from;
                             * sheets only affect their own source */
    char *station;          /* malloc'd or NULL: the station of pages no
                             * sheet covers (replaces opts.station) */
    int batch;              /* batch number of those pages, 0 = none */
} st_batch_input;

/* Free what an input owns and zero it. Accepts NULL. */
void st_batch_input_clear(st_batch_input *in);

/* Hand over the next file: wait up to wait_ms (0: do not wait) and return
 * 1 with *out filled, 0 when none came in that time, ST_BATCH_END when no
 * file will ever come, or a negative code with err set (the runner then
 * takes no more files, finishes the pages in flight, writes its outputs
 * and returns that error). Called on the runner's thread only. */
#define ST_BATCH_END 2
typedef int (*st_batch_feed_fn)(void *ctx, int wait_ms, st_batch_input *out,
                                st_error *err);

/* One file as the file hook sees it. Borrowed, valid during the call. */
typedef struct st_batch_file {
    const char *path;
    const char *sha256;
    int source;
    int read;               /* pages of it read so far in this run (not
                             * skipped) */
    int sheets;             /* separator sheets among them */
    int starts_with_sheet;  /* its first page is a separator sheet (or
                             * an unusable one: ST_REJECT_BAD_SHEET) */
    int sheets_only;        /* every page read was a separator sheet:
                             * none of it goes to the commit hook */
    const char *station;    /* station of its first page read (a sheet's
                             * own), or NULL */
    int batch;              /* that page's batch number, 0 = none */
} st_batch_file;

/* Called once per file with at least one page read, in input order, on
 * the calling thread: before the commit hook is given the window that
 * holds the file's first page for it (a page read that is not a
 * separator sheet), so that what the file hook writes about a file can
 * be made to last before the store holds any of it; for a file without
 * such a page (sheets_only), once its last page is read. Returns ST_OK or
 * a negative code with err set, which stops the batch. */
typedef int (*st_batch_file_fn)(void *ctx, const st_batch_file *f, st_error *err);

/* Told once, with the feed's ctx, on the calling thread, as soon as the
 * runner sees its stop flag raised (between the pages of a window it
 * reads, between windows, or while it waits for the feed; the worker
 * threads may be reading the window's pages meanwhile, and touch nothing
 * else): pages_in_flight is how
 * many pages it has taken and not yet committed, which it still reads and
 * commits. The runner goes on asking the feed, which decides when to
 * end. */
typedef void (*st_batch_stopping_fn)(void *ctx, int pages_in_flight);

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
    st_batch_file_fn file_done; /* NULL, or told of every file read */
    void *file_ctx;         /* passed to file_done */
    const char *progress_label; /* the progress line's first word; NULL =
                                 * "count" */
    const char *const *source_names; /* NULL, or what the progress line
                                      * calls source i (n_source_names of
                                      * them): it then shows the station
                                      * and batch each source is on, and
                                      * the commit hook's pages carry it */
    int n_source_names;
    int durable;            /* 1: ballots.jsonl and sheets.jsonl are
                             * written under their own names and synced
                             * with every window, before the commit hook
                             * takes it, rather than put in place whole
                             * at the end: a run cut short keeps the
                             * record of every page the hook committed
                             * (and perhaps of the window in flight) */
    const volatile sig_atomic_t *stop; /* NULL, or raised to stop */
    st_batch_stopping_fn stopping; /* NULL, or told when stop is seen */
} st_batch_opts;

typedef struct st_batch_report {
    int files;              /* input files (folders expanded) taken */
    int skipped;            /* non-TIFF names ignored inside folders */
    int pages;
    int bilevel_pages;
    int sheets;             /* separator sheets found (not in pages) */
    int bad_sheets;         /* pages rejected as ST_REJECT_BAD_SHEET */
    int unassigned;         /* ballots (pages) counted without a station */
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

/* The runner behind st_batch_count: count the files feed hands over until
 * it returns ST_BATCH_END or fails; a file begun is always finished.
 * expected_files is how many files the feed will give, for the progress
 * line (0: unknown). Pages with no sheet before them in their source take
 * the input's station, else opts.station, else none (counted in
 * report.unassigned). When the feed fails, the pages taken are still
 * committed and every output written, and its error is returned. */
int st_batch_run(const st_batch_opts *o, st_batch_feed_fn feed, void *feed_ctx,
                 int expected_files, st_batch_report *rep, st_tally **tally_out,
                 st_error *err);

#ifdef __cplusplus
}
#endif

#endif
