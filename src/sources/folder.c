/* folder.c - watch hot folders with inotify and take complete files
 *
 * Every candidate file is a pending entry with a state: "open" while
 * writes are seen (IN_MODIFY), "closed" after IN_CLOSE_WRITE or
 * IN_MOVED_TO, with the time it becomes ready (settle time after the last
 * event; for files found by listing a folder, settle time after their
 * mtime). st_folder_next drains events, takes the ready entry that came
 * first, reads it whole, hashes it and checks the (SHA-256, path) pair
 * against what it already yielded; between events it sleeps in poll()
 * until an event arrives or the next entry is due. A queue overflow
 * lists the folders again; the seen set keeps that from yielding twice.
 */
#include "stemtel/folder.h"
#include "sources/filebytes.h"
#include "util/clock.h"
#include "util/seen.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ST_FOLDER_EVENTS (IN_CLOSE_WRITE | IN_MOVED_TO | IN_MODIFY | IN_MOVED_FROM | \
                          IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF)

typedef struct st_pending {
    char *path;
    int folder;
    int open;        /* writes seen since the last close */
    double ready_at; /* seconds (CLOCK_MONOTONIC) */
    long seq;        /* arrival order */
} st_pending;

struct st_folder {
    int fd;
    int n;
    char **dirs;
    int *wd;
    long *block;          /* per folder: seq of its first file still settling */
    char *held;           /* per folder: 1 when no more is taken from it */
    double settle;        /* seconds */
    st_pending *pend;
    int n_pend, cap_pend;
    long seq;
    st_seen *yielded;     /* "sha256\tpath" */
    st_seen *ignored;     /* non-TIFF names */
    st_folder_stats stats;
    char gone[ST_ERROR_MAX]; /* a watched folder went away */
};

static int st_folder_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name), k = strlen(suffix);
    return n >= k && strcasecmp(name + n - k, suffix) == 0;
}

/* 0: a temporary name (never counted); 1: a TIFF to take; 2: another
 * final name (ignored, counted). */
static int st_folder_kind(const char *name)
{
    if (name[0] == '.' || name[0] == '~' || st_folder_suffix(name, "~") ||
        st_folder_suffix(name, ".tmp") || st_folder_suffix(name, ".part"))
        return 0;
    if (st_folder_suffix(name, ".tif") || st_folder_suffix(name, ".tiff"))
        return 1;
    return 2;
}

static int st_folder_find(const st_folder *w, const char *path)
{
    for (int i = 0; i < w->n_pend; i++)
        if (strcmp(w->pend[i].path, path) == 0)
            return i;
    return -1;
}

static void st_folder_drop(st_folder *w, int i)
{
    free(w->pend[i].path);
    w->pend[i] = w->pend[--w->n_pend];
}

/* Note an event on folder f's name: open (1) or closed (0) at ready_at.
 * Returns ST_OK or ST_ERR_NOMEM. */
static int st_folder_note(st_folder *w, int f, const char *name, int open,
                          double ready_at)
{
    int kind = st_folder_kind(name);
    if (kind == 0)
        return ST_OK;
    char path[4352];
    snprintf(path, sizeof path, "%s/%s", w->dirs[f], name);
    if (kind == 2) {
        int r = st_seen_add(w->ignored, path);
        if (r < 0)
            return ST_ERR_NOMEM;
        w->stats.ignored += r;
        return ST_OK;
    }
    int i = st_folder_find(w, path);
    if (i < 0) {
        if (w->n_pend == w->cap_pend) {
            int cap = w->cap_pend ? w->cap_pend * 2 : 32;
            st_pending *p = realloc(w->pend, (size_t)cap * sizeof *p);
            if (!p)
                return ST_ERR_NOMEM;
            w->pend = p;
            w->cap_pend = cap;
        }
        i = w->n_pend;
        w->pend[i] = (st_pending){.path = strdup(path), .folder = f, .seq = w->seq++};
        if (!w->pend[i].path)
            return ST_ERR_NOMEM;
        w->n_pend++;
    }
    w->pend[i].open = open;
    w->pend[i].ready_at = ready_at;
    return ST_OK;
}

/* List folder f: every regular file becomes pending, ready once its mtime
 * is settle old. Names are taken in sorted order. */
static int st_folder_list(st_folder *w, int f, st_error *err)
{
    struct dirent **names = NULL;
    int n = scandir(w->dirs[f], &names, NULL, alphasort);
    if (n < 0)
        return st_error_set(err, ST_ERR_IO, "folder: %s: %s", w->dirs[f], strerror(errno));
    int rc = ST_OK;
    double now_mono = st_clock_now();
    struct timespec real;
    clock_gettime(CLOCK_REALTIME, &real);
    double now_real = (double)real.tv_sec + real.tv_nsec / 1e9;
    for (int i = 0; i < n; i++) {
        char path[4352];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", w->dirs[f], names[i]->d_name);
        if (!rc && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            double mtime = (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
            double age = now_real - mtime;
            double due = now_mono + (age >= w->settle ? 0 : w->settle - (age > 0 ? age : 0));
            int k = st_folder_find(w, path);
            /* An entry already waiting keeps what the events said. */
            if (k < 0 && st_folder_note(w, f, names[i]->d_name, 0, due))
                rc = st_error_set(err, ST_ERR_NOMEM, "folder: out of memory");
        }
        free(names[i]);
    }
    free(names);
    return rc;
}

void st_folder_close(st_folder *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    for (int i = 0; i < w->n; i++)
        free(w->dirs[i]);
    free(w->dirs);
    free(w->wd);
    free(w->block);
    free(w->held);
    for (int i = 0; i < w->n_pend; i++)
        free(w->pend[i].path);
    free(w->pend);
    st_seen_free(w->yielded);
    st_seen_free(w->ignored);
    free(w);
}

int st_folder_open(const char *const *dirs, int n, const st_folder_opts *opts,
                   st_folder **out, st_error *err)
{
    if (!dirs || n < 1)
        return st_error_set(err, ST_ERR_ARG, "folder: no folder to watch");
    int rc = ST_OK;
    st_folder *w = calloc(1, sizeof *w);
    if (!w)
        return st_error_set(err, ST_ERR_NOMEM, "folder: out of memory");
    w->fd = -1;
    w->settle = (opts && opts->settle_ms > 0 ? opts->settle_ms : ST_FOLDER_SETTLE_MS) / 1000.0;
    w->dirs = calloc((size_t)n, sizeof *w->dirs);
    w->wd = calloc((size_t)n, sizeof *w->wd);
    w->block = calloc((size_t)n, sizeof *w->block);
    w->held = calloc((size_t)n, sizeof *w->held);
    w->yielded = st_seen_new();
    w->ignored = st_seen_new();
    if (!w->dirs || !w->wd || !w->block || !w->held || !w->yielded || !w->ignored) {
        rc = st_error_set(err, ST_ERR_NOMEM, "folder: out of memory");
        goto out;
    }
    w->n = n;
    if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
        rc = st_error_set(err, ST_ERR_IO, "folder: inotify: %s", strerror(errno));
        goto out;
    }
    /* Watch first, then list: a file completed in between is seen twice
     * at worst, never missed. */
    for (int i = 0; i < n; i++) {
        size_t len = strlen(dirs[i]);
        while (len > 1 && dirs[i][len - 1] == '/')
            len--;
        if (!(w->dirs[i] = strndup(dirs[i], len))) {
            rc = st_error_set(err, ST_ERR_NOMEM, "folder: out of memory");
            goto out;
        }
        struct stat st;
        if (stat(w->dirs[i], &st) != 0) {
            rc = st_error_set(err, ST_ERR_IO, "folder: %s: %s", dirs[i], strerror(errno));
            goto out;
        }
        if (!S_ISDIR(st.st_mode)) {
            rc = st_error_set(err, ST_ERR_IO, "folder: %s: not a folder", dirs[i]);
            goto out;
        }
        w->wd[i] = inotify_add_watch(w->fd, w->dirs[i], ST_FOLDER_EVENTS | IN_ONLYDIR);
        if (w->wd[i] < 0) {
            rc = st_error_set(err, ST_ERR_IO, "folder: %s: cannot watch: %s", dirs[i],
                              strerror(errno));
            goto out;
        }
        for (int k = 0; k < i; k++)
            if (w->wd[k] == w->wd[i]) {
                rc = st_error_set(err, ST_ERR_ARG, "folder: %s is given twice", dirs[i]);
                goto out;
            }
    }
    for (int i = 0; i < n && !rc; i++)
        rc = st_folder_list(w, i, err);
out:
    if (rc) {
        st_folder_close(w);
        return rc;
    }
    *out = w;
    return ST_OK;
}

/* Read every queued event; ST_OK or ST_ERR_NOMEM / ST_ERR_IO. */
static int st_folder_drain(st_folder *w, st_error *err)
{
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t len = read(w->fd, buf, sizeof buf);
        if (len < 0 && errno == EINTR)
            continue;
        if (len < 0 && errno == EAGAIN)
            return ST_OK;
        if (len <= 0)
            return st_error_set(err, ST_ERR_IO, "folder: inotify: %s",
                                len < 0 ? strerror(errno) : "end of events");
        double now = st_clock_now();
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                for (int i = 0; i < w->n; i++) {
                    int rc = st_folder_list(w, i, err);
                    if (rc)
                        return rc;
                }
                continue;
            }
            int f = -1;
            for (int i = 0; i < w->n; i++)
                if (w->wd[i] == ev->wd)
                    f = i;
            if (f < 0)
                continue;
            if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
                if (!w->gone[0])
                    snprintf(w->gone, sizeof w->gone,
                             "folder: %s was removed or moved away while watched", w->dirs[f]);
                continue;
            }
            if (!ev->len || (ev->mask & IN_ISDIR))
                continue;
            int rc = ST_OK;
            if (ev->mask & (IN_MOVED_FROM | IN_DELETE)) {
                char path[4352];
                snprintf(path, sizeof path, "%s/%s", w->dirs[f], ev->name);
                int i = st_folder_find(w, path);
                if (i >= 0)
                    st_folder_drop(w, i);
            } else if (ev->mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) {
                rc = st_folder_note(w, f, ev->name, 0, now + w->settle);
            } else if (ev->mask & IN_MODIFY) {
                rc = st_folder_note(w, f, ev->name, 1, 0);
            }
            if (rc)
                return st_error_set(err, ST_ERR_NOMEM, "folder: out of memory");
        }
    }
}

/* Take pending entry i: 1 with *out filled, 0 if passed over, or an
 * error. The entry is removed either way. */
static int st_folder_take(st_folder *w, int i, st_folder_file *out, st_error *err)
{
    st_folder_file f = {.path = w->pend[i].path, .folder = w->pend[i].folder};
    w->pend[i].path = NULL;
    st_folder_drop(w, i);
    int gone = 0;
    int rc = st_file_bytes(f.path, &f.bytes, &f.len, f.sha256, &gone, err);
    if (rc && gone) {
        w->stats.vanished++; /* renamed away or deleted before we came */
        rc = 0;
        goto fail;
    }
    if (rc) {
        st_error_prefix(err, "folder");
        goto fail;
    }
    size_t klen = strlen(f.path) + ST_SHA256_HEX_LEN + 1;
    char *key = malloc(klen);
    if (!key) {
        rc = st_error_set(err, ST_ERR_NOMEM, "folder: out of memory");
        goto fail;
    }
    snprintf(key, klen, "%s\t%s", f.sha256, f.path);
    rc = st_seen_add(w->yielded, key);
    free(key);
    if (rc < 0) {
        rc = st_error_set(err, ST_ERR_NOMEM, "folder: out of memory");
        goto fail;
    }
    if (rc == 0) {
        w->stats.repeated++;
        goto fail;
    }
    w->stats.yielded++;
    *out = f;
    return 1;
fail:
    st_folder_file_free(&f);
    return rc;
}

int st_folder_next(st_folder *w, int timeout_ms, st_folder_file *out,
                   st_error *err)
{
    double deadline = st_clock_now() + (timeout_ms > 0 ? timeout_ms / 1000.0 : 0);
    for (;;) {
        int rc = st_folder_drain(w, err);
        if (rc)
            return rc;
        double now = st_clock_now(), next_due = -1;
        int best = -1;
        /* Within a folder, files go out in the order they arrived (those
         * listed at start: name order): a ready file waits for an earlier
         * one that is complete but still settling. Only a file still
         * being written is overtaken. */
        for (int f = 0; f < w->n; f++)
            w->block[f] = -1;
        for (int i = 0; i < w->n_pend; i++) {
            const st_pending *p = &w->pend[i];
            if (!p->open && p->ready_at > now &&
                (w->block[p->folder] < 0 || p->seq < w->block[p->folder]))
                w->block[p->folder] = p->seq;
        }
        for (int i = 0; i < w->n_pend; i++) {
            const st_pending *p = &w->pend[i];
            if (p->open || w->held[p->folder])
                continue;
            if (p->ready_at <= now) {
                if (w->block[p->folder] >= 0 && p->seq > w->block[p->folder])
                    continue;
                if (best < 0 || p->seq < w->pend[best].seq)
                    best = i;
            } else if (next_due < 0 || p->ready_at < next_due) {
                next_due = p->ready_at;
            }
        }
        if (best >= 0) {
            rc = st_folder_take(w, best, out, err);
            if (rc != 0)
                return rc;
            continue;
        }
        if (w->gone[0])
            return st_error_set(err, ST_ERR_IO, "%s", w->gone);
        double wait = timeout_ms < 0 ? -1 : deadline - now;
        if (timeout_ms >= 0 && wait <= 0)
            return 0;
        if (next_due >= 0 && (wait < 0 || next_due - now < wait))
            wait = next_due - now;
        struct pollfd pfd = {.fd = w->fd, .events = POLLIN};
        int ms = wait < 0 ? -1 : (int)(wait * 1000) + 1;
        if (poll(&pfd, 1, ms) < 0 && errno != EINTR)
            return st_error_set(err, ST_ERR_IO, "folder: poll: %s", strerror(errno));
    }
}

void st_folder_hold(st_folder *w, int i)
{
    if (i >= 0 && i < w->n)
        w->held[i] = 1;
}

void st_folder_file_free(st_folder_file *f)
{
    if (!f)
        return;
    free(f->path);
    free(f->bytes);
    memset(f, 0, sizeof *f);
}

void st_folder_get_stats(const st_folder *w, st_folder_stats *out)
{
    *out = w->stats;
}
