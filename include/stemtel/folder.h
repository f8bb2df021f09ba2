/* folder.h - hot folders: take each scanned file once it is complete
 *
 * Scanner software writes TIFF files into a folder, one folder per
 * scanner. A watcher (Linux inotify) over one or more such folders yields
 * each file only when it is complete: written and closed (IN_CLOSE_WRITE)
 * or renamed into place (IN_MOVED_TO), and then left alone for a short
 * settle time, so a writer that closes and reopens to append is waited
 * for too. Files already in the folders at start are taken as well, once
 * they have not changed for the settle time.
 *
 * Only names ending in .tif or .tiff (any case) are taken. Temporary
 * names are never taken, only the name they are renamed to: names
 * starting with '.' or '~', and names ending in ".tmp", ".part" or '~'.
 * Within one watcher's life the same path with the same SHA-256 is
 * yielded once (a file rewritten with new bytes is yielded again);
 * remembering across restarts is the store's task. Files are only read,
 * never moved, changed or deleted: auditors need the originals.
 *
 * Known limit: a file that was already being written when the watcher
 * started, and whose writer then pauses longer than the settle time
 * without closing it, may be taken early; its complete version is then
 * yielded again (new bytes). Start the watcher before the scanners.
 */
#ifndef STEMTEL_FOLDER_H
#define STEMTEL_FOLDER_H

#include <stddef.h>
#include <stdint.h>

#include "stemtel/error.h"
#include "stemtel/sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_FOLDER_SETTLE_MS 500

typedef struct st_folder st_folder;

typedef struct st_folder_opts {
    int settle_ms; /* quiet time before a file is taken; 0 = ST_FOLDER_SETTLE_MS */
} st_folder_opts;

/* One complete file, read into memory once so that what is decoded is
 * exactly what was hashed. Free the members with st_folder_file_free. */
typedef struct st_folder_file {
    char *path;                     /* folder "/" name */
    int folder;                     /* index into the folders given to open */
    uint8_t *bytes;
    size_t len;
    char sha256[ST_SHA256_HEX_LEN];
} st_folder_file;

/* Watch n folders (n >= 1; each must exist). opts may be NULL. Returns
 * ST_OK and *out (free with st_folder_close), ST_ERR_IO naming a folder
 * that cannot be watched, ST_ERR_ARG or ST_ERR_NOMEM. */
int st_folder_open(const char *const *dirs, int n, const st_folder_opts *opts,
                   st_folder **out, st_error *err);

/* Wait up to timeout_ms (0: do not wait; < 0: wait as long as it takes)
 * for the next complete file. Returns 1 with *out filled (the caller's,
 * st_folder_file_free), 0 when the time ran out first, or an error:
 * ST_ERR_IO naming a file that could not be read (it is not retried
 * unless it changes again) or a watched folder that was removed or moved
 * away (the watcher is then finished), ST_ERR_NOMEM. A file that vanishes
 * before it could be read is passed over (see st_folder_stats). Within a
 * folder, files come in the order they were first seen (those present at
 * start in name order, then as writing began): a settled file waits for
 * an earlier one that is complete but still settling, and overtakes only
 * one still being written. One watcher belongs to one thread at a time. */
int st_folder_next(st_folder *w, int timeout_ms, st_folder_file *out,
                   st_error *err);

/* Take no more files from folder i (an index into the folders given to
 * open; others are ignored): its files stay as they are, unread, and
 * st_folder_next yields only the other folders' files. For a stop: what
 * is not taken now is taken by the next watcher, at the next start. */
void st_folder_hold(st_folder *w, int i);

/* Free what f holds and zero it. Accepts NULL. */
void st_folder_file_free(st_folder_file *f);

typedef struct st_folder_stats {
    int yielded;   /* files handed out */
    int repeated;  /* complete files passed over: same path and bytes as before */
    int ignored;   /* distinct final names that are not TIFF */
    int vanished;  /* files gone before they could be read */
} st_folder_stats;

/* What the watcher has seen so far. */
void st_folder_get_stats(const st_folder *w, st_folder_stats *out);

/* Stop watching and free the watcher. Accepts NULL. */
void st_folder_close(st_folder *w);

#ifdef __cplusplus
}
#endif

#endif
