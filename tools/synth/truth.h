/* truth.h - the names synth writes and its truth.jsonl records
 */
#ifndef STEMTEL_SYNTH_TRUTH_H
#define STEMTEL_SYNTH_TRUTH_H

#include "synth/plan.h"

/* Ballot index's truth.jsonl line (with its newline), as synth.h lists
 * the keys: file and page say where it was written, quality the JPEG
 * quality used. malloc'd; NULL when out of memory. Thread-safe. */
char *st_synth_truth_line(const job *j, int index, const char *file, int page,
                          int quality, const splan *p);

/* The file ballot index is written to (ballot-NNNNNN.tif, or
 * stack-NNNN.tif with o->pages_per_file > 1) into name (n bytes, the
 * caller's); returns its page in that file. Pure. */
int st_synth_file_name(const st_synth_opts *o, int index, char *name, size_t n);

/* Write lines[0..n-1] (as st_synth_truth_line made them) as
 * dir/truth.jsonl, atomically: the file is whole or the old one stays.
 * Returns ST_OK, or ST_ERR_IO / ST_ERR_NOMEM naming the file. */
int st_synth_truth_write(const char *dir, char *const *lines, int n, st_error *err);

#endif
