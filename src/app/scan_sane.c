/* scan_sane.c - SANE scanners in child processes of their own
 *
 * start makes two pipes and forks. The child ignores Ctrl-C (the
 * parent's to handle), opens the device and loops: look whether the
 * control pipe was closed, scan a page, write it to page-NNNNNN.tif.tmp
 * with provenance (device, page number, time) in its description, and
 * put it in place with st_atomic_commit. A flatbed scans again at every
 * call, so it takes one page a run. The child reports on the status pipe
 * before it closes the device, so a backend that hangs in close has
 * still handed over every page. The parent reads the status pipe without
 * blocking; reaping waits with WNOHANG in 20 ms steps until each child's
 * time is up, then kills it.
 */
#include "app/scan_sane.h"
#include "stemtel/tiffout.h"
#include "util/atomic.h"
#include "util/clock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The number after the last page-NNNNNN.tif in dir, so a scanner started
 * again never writes over what an earlier run saved. */
static int next_page_number(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int last = 0, no;
    char tail[8];
    if (!d)
        return 1;
    while ((e = readdir(d)))
        if (sscanf(e->d_name, "page-%d.%7s", &no, tail) == 2 && strcmp(tail, "tif") == 0 &&
            no > last)
            last = no;
    closedir(d);
    return last + 1;
}

/* Has the parent closed the control pipe (asked us to stop)? */
static int stop_asked(int ctl)
{
    struct pollfd p = {.fd = ctl, .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

/* Save one scanned page as page number no in dir. The TIFF writer opens
 * the temporary by name; the atomic file's own descriptor is on the same
 * file, so its commit syncs what the writer wrote before the rename. */
static int save_page(const char *device, const char *dir, int no, const st_image *img,
                     st_tiff_format f, st_error *err)
{
    char path[4200], when[32], desc[512];
    st_atomic a;
    int rc;
    snprintf(path, sizeof path, "%s/page-%06d.tif", dir, no);
    /* Provenance in the file: device, page and time. Two scans of the
     * same sheet are two files, never one page taken twice. */
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(desc, sizeof desc, "stemtel scan: device %s, page %d, %s.%06ldZ", device, no,
             when, ts.tv_nsec / 1000);
    if ((rc = st_atomic_open(&a, path, "scan", err)))
        return rc;
    st_tiff_writer *tw = NULL;
    if (!(rc = st_tiff_writer_open(a.tmp, &tw, err)) &&
        !(rc = st_tiff_writer_describe(tw, desc, err)))
        rc = st_tiff_writer_add(tw, img, f, ST_SCAN_SANE_JPEG_QUALITY, err);
    int rc2 = st_tiff_writer_close(tw, rc ? NULL : err);
    if (!rc)
        rc = rc2;
    if (rc) {
        st_atomic_abort(&a);
        return rc;
    }
    return st_atomic_commit(&a, err);
}

/* The child: scan until the feeder is empty or the parent asks to stop,
 * saving each page, then say how it ended. Never returns. */
static void scanner_main(const char *device, const st_sane_opts *so, const char *dir,
                         int ctl, int status)
{
    st_error err = {0};
    st_sane *s = NULL;
    int rc, no = next_page_number(dir);
    char line[ST_ERROR_MAX + 16];
    int lineart = so->mode && strcasecmp(so->mode, "lineart") == 0;

    signal(SIGINT, SIG_IGN); /* Ctrl-C is the parent's to handle */
    signal(SIGPIPE, SIG_IGN);
    if ((rc = st_sane_init(&err)) || (rc = st_sane_open(device, so, &s, &err)))
        goto end;
    /* A flatbed scans again at every call: one page a run. */
    int flatbed = so->source && strcasecmp(so->source, "flatbed") == 0, pages = 0;
    while (!stop_asked(ctl) && !(flatbed && pages == 1)) {
        st_image *img = NULL;
        rc = st_sane_next(s, &img, &err);
        if (rc <= 0)
            break;
        pages++;
        st_tiff_format f = lineart ? ST_TIFF_BILEVEL_G4
                           : img->channels == 3 ? ST_TIFF_RGB_JPEG : ST_TIFF_GREY_DEFLATE;
        rc = save_page(device, dir, no, img, f, &err);
        st_image_free(img);
        if (rc)
            break;
        no++;
    }
end:
    /* Report before closing: a backend that hangs in close has still
     * handed over every page. */
    snprintf(line, sizeof line, rc < 0 ? "fail %s\n" : "done\n", err.msg);
    if (write(status, line, strlen(line)) < 0) {
        /* the parent is gone; nothing to tell */
    }
    st_sane_close(s);
    st_sane_exit();
    _exit(rc < 0 ? 1 : 0);
}

int st_scan_sane_start(st_scan_sane *sc, const char *device, int source,
                       const st_sane_opts *so, const char *dir, st_error *err)
{
    int ctl[2], st[2];
    memset(sc, 0, sizeof *sc);
    sc->device = device;
    sc->source = source;
    sc->ctl = sc->status_fd = -1;
    if (pipe2(ctl, O_CLOEXEC) != 0)
        return st_error_set(err, ST_ERR_IO, "scan: cannot start scanner %s: %s",
                            sc->device, strerror(errno));
    if (pipe2(st, O_CLOEXEC) != 0) {
        close(ctl[0]);
        close(ctl[1]);
        return st_error_set(err, ST_ERR_IO, "scan: cannot start scanner %s: %s",
                            sc->device, strerror(errno));
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(ctl[0]);
        close(ctl[1]);
        close(st[0]);
        close(st[1]);
        return st_error_set(err, ST_ERR_IO, "scan: cannot start scanner %s: %s",
                            sc->device, strerror(errno));
    }
    if (pid == 0) {
        close(ctl[1]);
        close(st[0]);
        scanner_main(sc->device, so, dir, ctl[0], st[1]);
    }
    close(ctl[0]);
    close(st[1]);
    fcntl(st[0], F_SETFL, O_NONBLOCK);
    sc->pid = pid;
    sc->ctl = ctl[1];
    sc->status_fd = st[0];
    return ST_OK;
}

int st_scan_sane_poll(st_scan_sane *sc, st_scan_sane_failed_fn failed, void *ctx)
{
    if (sc->finished)
        return 1;
    for (;;) {
        ssize_t n = read(sc->status_fd, sc->status + sc->status_len,
                         sizeof sc->status - 1 - sc->status_len);
        if (n > 0) {
            sc->status_len += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        break; /* end of file: the child has closed its end */
    }
    sc->status[sc->status_len] = '\0';
    sc->finished = 1;
    sc->finished_at = st_clock_now();
    if (strncmp(sc->status, "done", 4) == 0)
        return 1;
    sc->failed = 1;
    const char *why = NULL;
    if (strncmp(sc->status, "fail ", 5) == 0) {
        sc->status[strcspn(sc->status, "\n")] = '\0';
        why = sc->status + 5;
    }
    failed(ctx, sc, why);
    return 1;
}

void st_scan_sane_stop(st_scan_sane *v, int n)
{
    for (int i = 0; i < n; i++)
        if (v[i].ctl >= 0) {
            close(v[i].ctl);
            v[i].ctl = -1;
        }
}

void st_scan_sane_reap(st_scan_sane *v, int n, st_scan_sane_failed_fn failed, void *ctx)
{
    st_scan_sane_stop(v, n);
    double t0 = st_clock_now();
    for (int i = 0; i < n; i++) {
        st_scan_sane *sc = &v[i];
        while (sc->pid > 0 && !sc->reaped) {
            int status;
            pid_t r = waitpid(sc->pid, &status, WNOHANG);
            if (r == sc->pid || (r < 0 && errno != EINTR)) {
                sc->reaped = 1;
                break;
            }
            st_scan_sane_poll(sc, failed, ctx);
            double limit = sc->finished ? sc->finished_at + ST_SCAN_SANE_EXIT_S
                                        : t0 + ST_SCAN_SANE_STOP_S;
            if (st_clock_now() > limit) {
                kill(sc->pid, SIGKILL);
                waitpid(sc->pid, &status, 0);
                sc->reaped = 1;
                break;
            }
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        if (sc->status_fd >= 0)
            close(sc->status_fd);
        sc->status_fd = -1;
    }
}
