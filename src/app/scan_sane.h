/* scan_sane.h - SANE scanners in child processes of their own, for scan.c
 *
 * Each scanner scans in a forked child (SANE backends are not all safe to
 * stop from another thread, and a hung one must not hang the count). The
 * child writes every page into its folder as page-NNNNNN.tif, atomically
 * (util/atomic.h), numbering on from what the folder already holds, and
 * writes one status line to a pipe when the feeder is empty ("done") or
 * it failed ("fail REASON"). The parent asks it to stop by closing a
 * control pipe, which the child looks at between pages, so a sheet
 * half-way through the feeder is always finished and saved. The parent
 * takes the pages from the folder as from any hot folder.
 *
 * Threads: a st_scan_sane belongs to the thread that started it.
 */
#ifndef STEMTEL_APP_SCAN_SANE_H
#define STEMTEL_APP_SCAN_SANE_H

#include <stddef.h>
#include <sys/types.h>

#include "stemtel/error.h"
#include "stemtel/sane.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How long a scanner that reported its end may take to exit, and how
 * long one told to stop may take to finish its page, before it is
 * killed. */
#define ST_SCAN_SANE_EXIT_S 10.0
#define ST_SCAN_SANE_STOP_S 60.0
/* JPEG quality of colour pages a scanner saves. */
#define ST_SCAN_SANE_JPEG_QUALITY 92

/* One scanner's child process, as the parent sees it. */
typedef struct st_scan_sane {
    const char *device;     /* borrowed from the caller */
    int source;             /* the scan's source index, for messages */
    pid_t pid;
    int ctl;                /* write end: closed to ask it to stop */
    int status_fd;          /* read end of its status line */
    char status[ST_ERROR_MAX + 16];
    size_t status_len;
    int finished;           /* it reported its end (or its pipe closed) */
    int failed;
    int reaped;
    double finished_at;     /* st_clock_now() when it finished */
} st_scan_sane;

/* Told once about a scanner that ended badly: why is the reason it gave,
 * or NULL when its process ended without saying. */
typedef void (*st_scan_sane_failed_fn)(void *ctx, const st_scan_sane *sc,
                                       const char *why);

/* Fill *sc and start the child scanning device (borrowed until the
 * scanner is reaped) with settings so into the existing folder dir.
 * Returns ST_OK, or ST_ERR_IO when no pipe or process could be made
 * (nothing then left open; *sc is safe to stop and reap). */
int st_scan_sane_start(st_scan_sane *sc, const char *device, int source,
                       const st_sane_opts *so, const char *dir, st_error *err);

/* Read what the scanner said so far, without waiting; when this shows it
 * failed, call failed(ctx, ...) once. Returns sc->finished. */
int st_scan_sane_poll(st_scan_sane *sc, st_scan_sane_failed_fn failed, void *ctx);

/* Ask the n scanners of v to stop after their current page. */
void st_scan_sane_stop(st_scan_sane *v, int n);

/* Stop the n scanners of v and wait for each to exit: those that had
 * finished get ST_SCAN_SANE_EXIT_S, the others ST_SCAN_SANE_STOP_S, then
 * they are killed. Polls them meanwhile (failed as for st_scan_sane_poll)
 * and closes their pipes. */
void st_scan_sane_reap(st_scan_sane *v, int n, st_scan_sane_failed_fn failed, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
