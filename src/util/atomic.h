/* atomic.h - write a file so that it is either whole or not there
 *
 * Every whole output stemtel writes (count's ballots.jsonl and sheets,
 * tallies, EML, reconciliations, synth's truth) goes to PATH.tmp first;
 * what a scan streams is appended instead (logfile.h). Commit
 * flushes it, fsyncs it, renames it over PATH and fsyncs the folder, so a
 * crash or power cut leaves the old file or the new one, never half of
 * one. A failure at any step removes the temporary and names the file.
 */
#ifndef STEMTEL_ATOMIC_H
#define STEMTEL_ATOMIC_H

#include <stddef.h>
#include <stdio.h>

#include "stemtel/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct st_atomic {
    FILE *f;            /* write here between open and commit */
    char *path;         /* the final name */
    char *tmp;          /* PATH.tmp */
    const char *who;    /* the messages' prefix, e.g. "count" */
} st_atomic;

/* Open PATH.tmp for writing (truncating one left by an earlier crash).
 * who prefixes error messages ("count: ballots.jsonl.tmp: cannot write:
 * ..."); it must outlive a. Returns ST_OK with a ready, or ST_ERR_IO /
 * ST_ERR_NOMEM with err set and a cleared. */
int st_atomic_open(st_atomic *a, const char *path, const char *who, st_error *err);

/* Finish the file: flush, fsync, close, rename over the final name,
 * fsync the folder. Returns ST_OK, or ST_ERR_IO naming the file (a write
 * error since open is caught here too); either way a is cleared and, on
 * failure, the temporary removed. */
int st_atomic_commit(st_atomic *a, st_error *err);

/* Give up: close and remove the temporary, clear a. Accepts a cleared or
 * zeroed a. */
void st_atomic_abort(st_atomic *a);

/* The n bytes at data as the whole of path, atomically. */
int st_atomic_write(const char *path, const void *data, size_t n, const char *who,
                    st_error *err);

#ifdef __cplusplus
}
#endif

#endif
