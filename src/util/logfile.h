/* logfile.h - a file that grows line by line and is synced as it grows
 *
 * What a scan streams (ballots.jsonl, sheets.jsonl, the replay manifests)
 * is written under its own name as pages are committed, not put in place
 * whole at the end (atomic.h), so a run cut short by a second Ctrl-C,
 * kill -9 or a power cut leaves every line written up to its last sync.
 * A line is whole only with its '\n'. After such a stop, st_logfile_cut
 * trims the end of the file: a torn last line always, and the whole
 * lines at the end its caller says must go (those written ahead of a
 * commit that never happened).
 */
#ifndef STEMTEL_LOGFILE_H
#define STEMTEL_LOGFILE_H

#include <stdio.h>

#include "stemtel/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct st_logfile {
    FILE *f;            /* write here between open and close */
    char *path;
    const char *who;    /* the messages' prefix, e.g. "scan" */
} st_logfile;

/* Open path for writing with fopen's mode: "w" (made, or emptied), "wx"
 * (made; one that exists is refused with ST_ERR_IO) or "a" (made, or
 * appended to), and sync its folder so that the name lasts through a
 * power cut. who prefixes error messages and must outlive l. Returns
 * ST_OK with l ready, or ST_ERR_IO / ST_ERR_NOMEM naming the file with l
 * cleared. */
int st_logfile_open(st_logfile *l, const char *path, const char *mode, const char *who,
                    st_error *err);

/* Flush what was written and fdatasync it. Returns ST_OK, or ST_ERR_IO
 * naming the file (a write error since open is caught here too). */
int st_logfile_sync(st_logfile *l, st_error *err);

/* Sync and close the file; l is cleared either way. Returns as
 * st_logfile_sync. Accepts a cleared l (ST_OK). */
int st_logfile_close(st_logfile *l, st_error *err);

/* Asked about one whole line, the last first: line is a writable copy
 * without its '\n', NUL-terminated. Returns 1 to keep it and every line
 * before it, 0 to cut it, or a negative code with err set to stop with
 * nothing cut. */
typedef int (*st_logfile_keep_fn)(void *ctx, char *line, st_error *err);

/* Cut the end of the file at path: a last line without its '\n' always,
 * then whole lines from the end for as long as keep says 0 (the first
 * `first` lines are never offered). The file is truncated and synced only
 * when something was cut. *kept gets the whole lines left, *cut those cut
 * (a torn line counted). Returns ST_OK; ST_ERR_IO naming the file;
 * ST_ERR_NOMEM; or keep's code. Not for a file that is being written. */
int st_logfile_cut(const char *path, int first, st_logfile_keep_fn keep, void *ctx,
                   int *kept, int *cut, st_error *err);

/* fsync the folder holding path, so that a name made or removed in it
 * lasts. Returns 0, or -1 when the folder cannot be opened or synced. */
int st_logfile_sync_dir(const char *path);

#ifdef __cplusplus
}
#endif

#endif
