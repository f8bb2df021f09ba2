/* bench.h - what the benchmarks share
 *
 * bench/throughput, bench/accuracy and bench/rescan draw their ballots
 * with synth into a cache under build/bench/data, reused while the stamp
 * (the synth options plus a hash of the sources that decide the pixels)
 * still matches; describe the machine; and rewrite their own section of
 * bench/RESULTS.md, leaving the others as they were.
 */
#ifndef STEMTEL_BENCH_H
#define STEMTEL_BENCH_H

#include <stdarg.h>
#include <stddef.h>

#include "stemtel/error.h"
#include "stemtel/model.h"
#include "synth/synth.h"

#define ST_BENCH_DATA "build/bench/data"
#define ST_BENCH_OUT "build/bench/out"
#define ST_BENCH_RESULTS "bench/RESULTS.md"
#define ST_BENCH_MODEL "models/gr2022-west-maas-en-waal.json"

/* A growing text buffer; the same text goes to stdout and RESULTS.md. */
typedef struct st_bench_buf {
    char *s;
    size_t len, cap;
    int failed;       /* 1 once an allocation failed; the text is cut */
} st_bench_buf;

void st_bench_printf(st_bench_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void st_bench_buf_free(st_bench_buf *b);

/* Monotonic seconds. */
double st_bench_now(void);

/* mkdir -p. Returns ST_OK or ST_ERR_IO naming the path. */
int st_bench_mkdirs(const char *path, st_error *err);

/* Hex SHA-256 (65 bytes with NUL) over the model file and the sources that
 * decide what synth draws, so a cache made by an older synth is not
 * reused. Files that cannot be read (running outside the repository) are
 * skipped. Returns ST_OK or ST_ERR_IO (the model file unreadable). */
int st_bench_source_key(const char *model_path, char key[65], st_error *err);

/* Make sure dir holds synth's ballots for (m, o), one page per file: reuse
 * them when dir/stamp matches o and key with at least o->count ballots
 * (callers take the first o->count files and truth lines), else empty dir
 * and draw them. *made (may be
 * NULL) is 1 when they were drawn, and *seconds the time it took.
 * Returns ST_OK or synth's / the file system's error naming dir. */
int st_bench_ensure_data(const st_model *m, const st_synth_opts *o,
                         const char *key, const char *dir, int *made,
                         double *seconds, st_error *err);

/* The *.tif files of dir in name order (malloc'd array of malloc'd paths;
 * free with st_bench_paths_free). Returns ST_OK or ST_ERR_IO/NOMEM. */
int st_bench_list_tiffs(const char *dir, char ***paths, int *n,
                        st_error *err);
void st_bench_paths_free(char **paths, int n);

/* Date, `uname -srm`, CPU model, core count and the command line, as
 * Markdown lines, appended to b. */
void st_bench_describe(st_bench_buf *b, int argc, char **argv);

/* Replace the section "## title" of the results file (created if missing)
 * with body, which starts with that heading; the sections "Throughput",
 * "Accuracy", "Rescans", "Hostile input", "Screens" and "Desk" stay in that
 * order and any other is kept after them.
 * Returns ST_OK or ST_ERR_IO naming the file. */
int st_bench_write_section(const char *path, const char *title,
                           const char *body, st_error *err);

/* The first o->count pages synth draws for (m, o) in dir (drawn or reused
 * as st_bench_ensure_data does, saying so on stderr when drawn), counted
 * in-process with st_batch_count into out (ballots.jsonl, tally) as
 * `stemtel count` would, with every core. *synth_s (may be NULL) gets the
 * drawing's seconds (0 when reused), *count_s the counting's. Returns
 * ST_OK, or synth's, the file system's or the counting's error. */
int st_bench_draw_and_count(const st_model *m, const st_synth_opts *o, const char *key,
                            const char *dir, const char *out, double *synth_s,
                            double *count_s, st_error *err);

/* Print b to stdout and put it in place of section "## title" of the
 * results file (st_bench_write_section), saying so on stderr. Returns
 * ST_OK; ST_ERR_NOMEM when b (or the other buffer `also`, may be NULL)
 * lost text to a failed allocation; ST_ERR_IO naming the file. */
int st_bench_publish(const st_bench_buf *b, const st_bench_buf *also, const char *results,
                     const char *title, st_error *err);

/* part / whole in percent with `decimals` places into buf (n bytes), "-"
 * when whole is 0 or less; returns buf. */
const char *st_bench_pct(char *buf, size_t n, double part, double whole, int decimals);

#endif
