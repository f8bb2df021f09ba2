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

#include "stemtel/error.h"
#include "stemtel/model.h"
#include "stemtel/tally.h"

typedef struct st_batch_opts {
    const st_model *model;
    const char *out_dir;    /* created if missing */
    const char *station;    /* polling station id for every page, or NULL */
    int threads;            /* 0 = OpenMP's default */
    int window;             /* pages in flight; 0 = 4 per thread */
    FILE *progress;         /* a terminal for the progress line, or NULL */
} st_batch_opts;

typedef struct st_batch_report {
    int files;              /* input files (folders expanded) */
    int skipped;            /* non-TIFF names ignored inside folders */
    int pages;
    int bilevel_pages;
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
 * NULL) receives the batch's tally (free with st_tally_free). */
int st_batch_count(const st_batch_opts *o, char *const *inputs, int n_inputs,
                   st_batch_report *rep, st_tally **tally_out, st_error *err);

#endif
