/* manifest.h - replay manifests: the list of files one counted batch was
 *
 * A manifest names every file of a batch in the order it was counted,
 * with the SHA-256 of its bytes, its polling station and batch number, so
 * an archived batch can be counted again and must give the same result.
 * Reading one checks every file's hash before anything is counted: a
 * missing or altered file is an error naming it.
 *
 * The format is tab-separated UTF-8 text, one file per line:
 *
 *     # stemtel-manifest/1
 *     order<TAB>file<TAB>sha256<TAB>station<TAB>batch
 *     1<TAB>sb1/ballot-000001.tif<TAB>3f2a...(64 hex)<TAB>0668::SB1<TAB>3
 *
 * The first line is exactly "# stemtel-manifest/1", the second the column
 * names. order runs 1, 2, 3, ... without gaps; file is relative to the
 * manifest's own folder (so an archive may be moved) or absolute, and
 * holds no tab or line break; sha256 is 64 lower-case hex digits of the
 * whole file; station may be empty (unassigned) and batch empty (none)
 * or 1..999999. Later lines starting with '#' are comments. No file and
 * no hash may appear twice: a page is never counted twice.
 *
 * A manifest is written as its batch is counted: each line goes in
 * before the store holds the file's pages, and is synced (a scan does so
 * once per window, before the window's commit), so a stop at any moment
 * leaves every committed file listed, and at most the files of the
 * window in flight listed too early. The writer ends a finished batch
 * with the comment line "# closed: N files"; a manifest without it was
 * cut short, and st_manifest_repair cuts its early lines back at the
 * next start.
 */
#ifndef STEMTEL_MANIFEST_H
#define STEMTEL_MANIFEST_H

#include "stemtel/error.h"
#include "stemtel/sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_MANIFEST_MAGIC "# stemtel-manifest/1"
#define ST_MANIFEST_COLUMNS "order\tfile\tsha256\tstation\tbatch"
#define ST_MANIFEST_BATCH_MAX 999999
/* How the last line of a manifest that was finished begins. */
#define ST_MANIFEST_CLOSED "# closed"

typedef struct st_manifest_entry {
    int order;                      /* 1-based position in the batch */
    char *file;                     /* as written in the manifest */
    char *path;                     /* file resolved against the manifest's folder */
    char sha256[ST_SHA256_HEX_LEN]; /* lower-case hex */
    char *station;                  /* NULL when unassigned */
    int batch;                      /* 0 when none */
} st_manifest_entry;

typedef struct st_manifest {
    char *path;                     /* the manifest file */
    int n;
    st_manifest_entry *entries;     /* in order */
} st_manifest;

/* Parse a manifest without touching the files it names. Returns ST_OK and
 * *out (free with st_manifest_free); ST_ERR_IO (cannot read it),
 * ST_ERR_PARSE (breaks the format: the message names path:line and what
 * is wrong) or ST_ERR_NOMEM. Thread-safe. */
int st_manifest_parse(const char *path, st_manifest **out, st_error *err);

/* Check every entry's file against its hash, all of them, before the
 * caller counts anything. Returns ST_OK when every file is present and
 * unchanged; else ST_ERR_IO when some file is missing or unreadable,
 * ST_ERR_INVALID when some file's bytes are not the ones recorded (a file
 * both missing and altered: ST_ERR_IO). The message names each bad file
 * with what is wrong (the first five, then how many more).
 * Thread-safe. */
int st_manifest_verify(const st_manifest *m, st_error *err);

/* st_manifest_parse then st_manifest_verify; *out only on success. */
int st_manifest_read(const char *path, st_manifest **out, st_error *err);

/* Free a manifest. Accepts NULL. */
void st_manifest_free(st_manifest *m);

/* SHA-256 of a whole file into hex. Returns ST_OK, ST_ERR_IO naming the
 * file, or ST_ERR_NOMEM. Thread-safe. */
int st_manifest_hash_file(const char *path, char hex[ST_SHA256_HEX_LEN],
                          st_error *err);

typedef struct st_manifest_writer st_manifest_writer;

/* Start writing a manifest at path, which must not exist yet (ST_ERR_IO
 * when it does): the file is made under its own name with its two header
 * lines, synced, and its folder synced. The folder must exist. Returns
 * ST_OK and *out, ST_ERR_IO naming the path, or ST_ERR_NOMEM. One writer
 * belongs to one thread at a time. */
int st_manifest_writer_open(const char *path, st_manifest_writer **out,
                            st_error *err);

/* Append the next file of the batch (buffered until the next sync or
 * close). file is a path as the caller opens
 * it (relative to the working folder, or absolute); it is written
 * relative to the manifest's folder when it lies inside it, else
 * absolute. sha256 is the hex hash of the bytes the caller counted (not
 * recomputed: the manifest records what was counted). station may be
 * NULL; batch 0 = none. Returns ST_OK; ST_ERR_IO (file does not exist),
 * ST_ERR_ARG (a name with a tab or line break, a bad hash, batch or
 * station, or a file or hash already in this manifest) naming the file.
 * After an error the writer still works; the failed line is not added. */
int st_manifest_writer_add(st_manifest_writer *w, const char *file,
                           const char *sha256, const char *station, int batch,
                           st_error *err);

/* Make every line added so far last through a crash (flush, fdatasync).
 * Returns ST_OK, or ST_ERR_IO naming the manifest when this or any
 * earlier write failed. */
int st_manifest_writer_sync(st_manifest_writer *w, st_error *err);

/* How many files the writer has listed. */
int st_manifest_writer_count(const st_manifest_writer *w);

/* Finish the batch: append "# closed: N files", sync, close, free w.
 * Returns ST_OK or the error of the first failed write (ST_ERR_IO naming
 * the manifest, which is then left without its closing line); w is
 * freed either way. Accepts NULL. */
int st_manifest_writer_close(st_manifest_writer *w, st_error *err);

/* Stop writing without the closing line, as a stop would: the lines
 * added stay in the file (st_manifest_repair decides about them); free
 * w. Accepts NULL. */
void st_manifest_writer_abort(st_manifest_writer *w);

/* Asked by st_manifest_repair whether the store holds any page of a
 * listed file (path resolved against the manifest's folder, and the
 * hash the line gives): 1 yes, 0 no, or a negative code with err set. */
typedef int (*st_manifest_held_fn)(void *ctx, const char *path, const char *sha256,
                                   st_error *err);

/* What st_manifest_repair did. */
typedef struct st_manifest_repaired {
    int was_closed;         /* it ended with its closing line: untouched */
    int cut;                /* lines cut from its end (a torn one counted) */
    int removed;            /* no file was left in it: the manifest removed */
} st_manifest_repaired;

/* Repair a manifest whose writer never closed it (a scan stopped by a
 * second Ctrl-C, kill -9 or a power cut): cut a torn last line, then the
 * lines from the end whose files `held` says the store never got (they
 * were written ahead of a commit that did not happen; a separator
 * sheet's line, never stored, goes with the files after it), stopping at
 * the first file it holds or at any line that is not a file. Then close
 * it with a comment saying so, or remove it when no line is left after
 * its header (or it holds no more than a torn header). A manifest that
 * ends with its closing line is left alone. *out (may be NULL) says what
 * was done. Returns ST_OK; ST_ERR_IO naming the manifest; ST_ERR_NOMEM;
 * or held's code. A manifest that is no stemtel manifest is left alone
 * for st_manifest_parse to name. */
int st_manifest_repair(const char *path, st_manifest_held_fn held, void *ctx,
                       st_manifest_repaired *out, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
