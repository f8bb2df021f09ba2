/* test_stop.c - a scan stopped every way keeps an archive that replays to its store
 *
 * Two hot folders are fed, file by file, real ballots drawn by `stemtel
 * synth` behind the separator sheets of eight polling stations (and a
 * multi-page stack in each folder), while `stemtel scan` counts them into
 * one store, as two scanners feed a counting hall. The scan is stopped the
 * ways it is there: Ctrl-C once, kill -9 at 20 seeded random moments and
 * Ctrl-C twice, each followed by a restart against the same output folder
 * and store. After every stop, and the settling the next start does, the
 * archive must match the store: every stored page's file in exactly one
 * manifest line, no line the store does not hold (separator sheets, never
 * stored, aside), every manifest closed, every stored record in exactly
 * one run's ballots.jsonl, and the manifests, replayed, giving the
 * store's records box by box. A single Ctrl-C must be said at once, take
 * no file that comes after it, end within seconds and leave nothing to
 * settle; the summary after a restart names every station of the store.
 * The progress line is read through a terminal.
 */
#include "helpers.h"
#include "scan_fixture.h"
#include "stemtel/manifest.h"
#include "stemtel/store.h"

#include <dirent.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define N_STATIONS 8            /* four behind each scanner */
#define PER_STATION 7           /* ballots (single pages) after each sheet */
#define MAX_FEED 40
#define MAX_LINES 512

/* One file a scanner delivers. */
typedef struct pool_file {
    char path[4200];
    char sha[ST_SHA256_HEX_LEN];
    int sheet;                  /* a separator sheet: never stored */
    int pages;                  /* pages it puts in the store */
} pool_file;

/* What the two scanners deliver, in order: drawn once for every test. */
static struct {
    char *dir;
    pool_file feed[2][MAX_FEED];
    int n[2];
} g;

static void pool_add(int k, const char *path, int sheet, int pages)
{
    st_error err = {0};
    size_t len;
    pool_file *p = &g.feed[k][g.n[k]++];
    snprintf(p->path, sizeof p->path, "%s", path);
    p->sheet = sheet;
    p->pages = pages;
    assert_st_ok(st_file_bytes(path, NULL, &len, p->sha, NULL, &err), &err);
}

/* Scanner k (0, 1) feeds stations 4k+1 .. 4k+4: each station's sheet,
 * then its ballots; a three-page stack after its first station's. */
static int setup_pool(void **state)
{
    char *model = th_root(SCAN_MODEL), *out = NULL, path[4400];
    g.dir = th_tmpdir();
    int rc = th_run(&out, "synth '%s' --out '%s/pool/b' --count %d --seed 81 --dpi 150 "
                          "--format grey-jpeg", model, g.dir, N_STATIONS * PER_STATION);
    free(out);
    if (!rc)
        rc = th_run(&out, "synth '%s' --out '%s/pool/s' --count 6 --seed 82 --dpi 150 "
                          "--format grey-jpeg --pages-per-file 3", model, g.dir);
    free(model);
    if (rc) {
        free(out);
        return -1;
    }
    free(out);
    for (int s = 1; s <= N_STATIONS && !rc; s++) {
        rc = th_run(&out, "sheet --station 0668::SB%d --batch %d -o '%s/pool/sheet-%d.tif' "
                          "--dpi 200", s, s, g.dir, s);
        free(out);
    }
    if (rc)
        return -1;
    for (int s = 1; s <= N_STATIONS; s++) {
        int k = (s - 1) / 4;
        snprintf(path, sizeof path, "%s/pool/sheet-%d.tif", g.dir, s);
        pool_add(k, path, 1, 0);
        for (int b = 0; b < PER_STATION; b++) {
            snprintf(path, sizeof path, "%s/pool/b/ballot-%06d.tif", g.dir,
                     (s - 1) * PER_STATION + b + 1);
            pool_add(k, path, 0, 1);
        }
        if (s == 1 || s == 5) {
            snprintf(path, sizeof path, "%s/pool/s/stack-%04d.tif", g.dir, k + 1);
            pool_add(k, path, 0, 3);
        }
    }
    return 0;
}

static int teardown_pool(void **state)
{
    th_rmtree(g.dir);
    free(g.dir);
    return 0;
}

static int is_sheet(const char *sha)
{
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < g.n[k]; i++)
            if (g.feed[k][i].sheet && !strcmp(g.feed[k][i].sha, sha))
                return 1;
    return 0;
}

/* One test's counting hall: two scanner folders, OUT, and a replay of
 * OUT's archive kept up to date in a folder of its own. */
typedef struct hall {
    char dir[4200], folder[2][4300], out[4300], store[4400], replay[4300], empty[4300];
    char model[4200];
    int sent[2];                /* files delivered into each folder */
    int64_t sent_pages;         /* the pages they hold for the store */
    double sent_at[2][MAX_FEED];
} hall;

static void hall_open(hall *h, const char *name)
{
    memset(h, 0, sizeof *h);
    char *model = th_root(SCAN_MODEL);
    snprintf(h->model, sizeof h->model, "%s", model);
    free(model);
    snprintf(h->dir, sizeof h->dir, "%s/%s", g.dir, name);
    assert_int_equal(mkdir(h->dir, 0755), 0);
    for (int k = 0; k < 2; k++) {
        snprintf(h->folder[k], sizeof h->folder[k], "%s/scanner%d", h->dir, k + 1);
        assert_int_equal(mkdir(h->folder[k], 0755), 0);
    }
    snprintf(h->out, sizeof h->out, "%s/out", h->dir);
    snprintf(h->store, sizeof h->store, "%s/stemtel.db", h->out);
    snprintf(h->replay, sizeof h->replay, "%s/replay", h->dir);
    /* A manifest of nothing: a run over it only settles OUT. */
    snprintf(h->empty, sizeof h->empty, "%s/nothing.tsv", h->dir);
    th_write(h->empty, ST_MANIFEST_MAGIC "\n" ST_MANIFEST_COLUMNS "\n");
}

/* Scanner k puts its next file in place (written aside, then renamed, as
 * scanner software does). 0 when it has none left. */
static int deliver(hall *h, int k)
{
    if (h->sent[k] >= g.n[k])
        return 0;
    char tmp[4400], final[4400];
    size_t len;
    char *bytes = th_slurp(g.feed[k][h->sent[k]].path, &len);
    assert_non_null(bytes);
    snprintf(tmp, sizeof tmp, "%s/.%03d.part", h->folder[k], h->sent[k]);
    snprintf(final, sizeof final, "%s/%03d.tif", h->folder[k], h->sent[k]);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    free(bytes);
    assert_int_equal(rename(tmp, final), 0);
    h->sent_pages += g.feed[k][h->sent[k]].pages;
    h->sent_at[k][h->sent[k]++] = scan_now();
    return 1;
}

/* The scanner with the fewer files delivered delivers one. */
static int deliver_next(hall *h)
{
    int k = h->sent[0] <= h->sent[1] ? 0 : 1;
    return deliver(h, k) || deliver(h, !k);
}

static pid_t start_scan(hall *h, const char *log)
{
    return scan_spawn(log, "scan --model '%s' --source 'folder:%s' --source 'folder:%s' "
                           "--settle-ms 100 --threads 2 --out '%s'",
                      h->model, h->folder[0], h->folder[1], h->out);
}

/* Pages in the store now, 0 before there is one. */
static int64_t stored_pages(const hall *h)
{
    st_error err = {0};
    st_store *s = NULL;
    st_store_counts c = {0};
    if (access(h->store, F_OK) != 0 || st_store_open(h->store, NULL, &s, &err))
        return 0;
    if (st_store_counts_get(s, NULL, &c, &err))
        c.pages = 0;
    st_store_close(s);
    return c.pages;
}

/* ---- the archive against the store ---------------------------------------- */

typedef struct rec {
    char sha[ST_SHA256_HEX_LEN];
    int page;
    char *record;
    int in_runs;                /* ballots.jsonl lines that are this record */
} rec;

typedef struct recs {
    int n;
    rec v[MAX_LINES];
} recs;

static int take_rec(void *ctx, st_store_ballot *b)
{
    recs *r = ctx;
    assert_true(r->n < MAX_LINES);
    rec *x = &r->v[r->n++];
    memcpy(x->sha, b->sha256, sizeof x->sha);
    x->page = b->page;
    x->record = strdup(b->record);
    x->in_runs = 0;
    return 0;
}

static void load_recs(const char *store, recs *r)
{
    st_error err = {0};
    st_store *s = NULL;
    r->n = 0;
    if (access(store, F_OK) != 0)
        return;
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    assert_st_ok(st_store_each(s, ST_STORE_ALL, take_rec, r, &err), &err);
    st_store_close(s);
}

static void free_recs(recs *r)
{
    for (int i = 0; i < r->n; i++)
        free(r->v[i].record);
    r->n = 0;
}

static rec *find_rec(recs *r, const char *sha, int page)
{
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->v[i].sha, sha) && (page < 0 || r->v[i].page == page))
            return &r->v[i];
    return NULL;
}

/* The paths in dir starting with prefix and ending with suffix, sorted. */
static int list_names(const char *dir, const char *prefix, const char *suffix,
                      char (*out)[4400], int max)
{
    struct dirent **d = NULL;
    int k = scandir(dir, &d, NULL, alphasort), n = 0;
    for (int i = 0; i < k; i++) {
        const char *name = d[i]->d_name;
        size_t len = strlen(name), sl = strlen(suffix);
        if (!strncmp(name, prefix, strlen(prefix)) && len > sl &&
            !strcmp(name + len - sl, suffix)) {
            assert_true(n < max);
            snprintf(out[n++], 4400, "%s/%s", dir, name);
        }
        free(d[i]);
    }
    free(d);
    return n;
}

/* What one check found, for the test's log. */
typedef struct found {
    int manifests, lines, pages, open_manifests;
} found;

/* The archive of h against its store. settled: after a start settled
 * it (or a clean stop), so nothing may be left open or early; else just
 * after a kill, when every stored page must be listed once all the same,
 * and what is listed early must be the end of a manifest left open. */
static found check_archive(hall *h, int settled)
{
    static char names[64][4400];
    found fd = {0};
    recs *r = calloc(1, sizeof *r);
    load_recs(h->store, r);
    fd.pages = r->n;
    int n = list_names(h->out, "manifest-", ".tsv", names, 64), lines_of[MAX_LINES] = {0};
    fd.manifests = n;
    for (int i = 0; i < n; i++) {
        st_error err = {0};
        st_manifest *m = NULL;
        char *text = th_slurp(names[i], NULL);
        const char *head = ST_MANIFEST_MAGIC "\n" ST_MANIFEST_COLUMNS "\n";
        if (!settled && strlen(text) < strlen(head) && !strncmp(head, text, strlen(text))) {
            fd.open_manifests++; /* killed as it was made: the next start removes it */
            free(text);
            continue;
        }
        assert_st_ok(st_manifest_parse(names[i], &m, &err), &err);
        const char *last = strrchr(text, '\n');
        while (last && last > text && last[-1] != '\n')
            last--; /* the start of the last line */
        int closed = text[strlen(text) - 1] == '\n' && last &&
                     !strncmp(last, ST_MANIFEST_CLOSED, strlen(ST_MANIFEST_CLOSED));
        free(text);
        fd.open_manifests += !closed;
        if (settled && !closed)
            fail_msg("%s was left open", names[i]);
        int last_held = -1;
        for (int k = 0; k < m->n; k++)
            if (find_rec(r, m->entries[k].sha256, -1))
                last_held = k;
        for (int k = 0; k < m->n; k++) {
            const st_manifest_entry *e = &m->entries[k];
            rec *x = find_rec(r, e->sha256, -1);
            fd.lines++;
            for (int j = 0; j < r->n; j++)
                lines_of[j] += !strcmp(r->v[j].sha, e->sha256);
            if (x || is_sheet(e->sha256))
                continue;
            /* Listed, and the store has none of it: only ever the end of
             * a manifest left open, written ahead of a commit that the
             * stop cut off. */
            if (settled || closed || k < last_held)
                fail_msg("%s: line %d (%s) lists a file the store does not hold", names[i],
                         k + 3, e->file);
        }
        st_manifest_free(m);
    }
    for (int j = 0; j < r->n; j++)
        if (lines_of[j] != 1)
            fail_msg("stored page %d of %s is in %d manifest lines (a store of %d pages, "
                     "%d manifests)",
                     r->v[j].page, r->v[j].sha, lines_of[j], r->n, n);
    if (!settled) {
        free_recs(r);
        free(r);
        return fd;
    }
    /* Every stored record is in exactly one run's ballots.jsonl. */
    static char runs[256][4400];
    int nr = list_names(h->out, "run-", "", runs, 256);
    for (int i = 0; i < nr; i++) {
        char path[4500];
        snprintf(path, sizeof path, "%s/ballots.jsonl", runs[i]);
        size_t len = 0;
        char *text = th_slurp(path, &len);
        if (!text)
            continue;
        if (len && text[len - 1] != '\n')
            fail_msg("%s ends in a torn line", path);
        for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
            int page = -1;
            const char *p = strstr(line, "\"page\":"), *s = strstr(line, "\"sha256\":\"");
            if (!p || !s)
                fail_msg("%s: not a record: %.80s", path, line);
            page = atoi(p + 7);
            char sha[ST_SHA256_HEX_LEN];
            snprintf(sha, sizeof sha, "%.64s", s + 10);
            rec *x = find_rec(r, sha, page);
            if (!x)
                fail_msg("%s: a record of page %d of %s, which the store does not hold",
                         path, page, sha);
            if (strcmp(x->record, line) != 0)
                fail_msg("%s: the record of page %d of %s is not the store's", path, page,
                         sha);
            x->in_runs++;
        }
        free(text);
    }
    for (int j = 0; j < r->n; j++)
        if (r->v[j].in_runs != 1)
            fail_msg("stored page %d of %s is in %d runs' ballots.jsonl", r->v[j].page,
                     r->v[j].sha, r->v[j].in_runs);
    /* The archive replays to the store, box by box: into a store of the
     * replay's own, which keeps what earlier checks replayed. */
    if (n > 0) {
        static char args[64 * 4500];
        char log[4500];
        args[0] = '\0';
        for (int i = 0; i < n; i++)
            snprintf(args + strlen(args), sizeof args - strlen(args), " --source 'replay:%s'",
                     names[i]);
        snprintf(log, sizeof log, "%s/replay.log", h->dir);
        pid_t pid = scan_spawn(log, "scan --model '%s' --out '%s'%s", h->model, h->replay,
                               args);
        if (scan_reap(pid) != 0) {
            char *text = th_slurp(log, NULL);
            fail_msg("replaying the archive failed: %s", text);
        }
        char store[4500];
        snprintf(store, sizeof store, "%s/stemtel.db", h->replay);
        recs *again = calloc(1, sizeof *again);
        load_recs(store, again);
        assert_int_equal(again->n, r->n);
        for (int j = 0; j < again->n; j++) {
            rec *x = find_rec(r, again->v[j].sha, again->v[j].page);
            if (!x)
                fail_msg("the replay has page %d of %s, the store does not",
                         again->v[j].page, again->v[j].sha);
            if (strcmp(x->record, again->v[j].record) != 0)
                fail_msg("page %d of %s replays otherwise:\n  %.300s\n  %.300s",
                         x->page, x->sha, x->record, again->v[j].record);
        }
        free_recs(again);
        free(again);
    }
    free_recs(r);
    free(r);
    return fd;
}

/* Start once over OUT with nothing to count: it settles what a stop left.
 * Returns its output (malloc'd). */
static char *settle(hall *h)
{
    char *out = NULL;
    int rc = th_run(&out, "scan --model '%s' --source 'replay:%s' --out '%s'", h->model,
                    h->empty, h->out);
    if (rc != 0)
        fail_msg("the settling start failed (%d): %s", rc, out);
    return out;
}

/* ---- the tests ---------------------------------------------------------------- */

/* 1 when inotify descriptor ino says a manifest in OUT was written to. */
static int manifest_written(int ino)
{
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
    int seen = 0;
    ssize_t len;
    while ((len = read(ino, buf, sizeof buf)) > 0)
        for (char *p = buf; p < buf + len;) {
            const struct inotify_event *ev = (const struct inotify_event *)p;
            p += sizeof *ev + ev->len;
            seen |= ev->len && !strncmp(ev->name, "manifest-", 9);
        }
    return seen;
}

/* Wait, delivering a file every every_ms while the scan keeps up, until
 * the store has grown to `pages` (ino < 0) or a manifest is written to
 * (inotify descriptor ino), or the scan ended; 1 when the moment came. */
static int feed_until(hall *h, pid_t pid, int64_t pages, int ino, int every_ms, int *status)
{
    double next = scan_now(), end = scan_now() + 60;
    if (ino >= 0)
        manifest_written(ino); /* from now on */
    while (scan_now() < end) {
        if (waitpid(pid, status, WNOHANG) == pid)
            return 0;
        int64_t stored = stored_pages(h);
        if (ino >= 0 ? manifest_written(ino) : stored >= pages)
            return 1;
        if (scan_now() >= next && h->sent_pages - stored < 2) {
            deliver_next(h);
            next = scan_now() + every_ms / 1000.0;
        }
        scan_sleep_ms(ino >= 0 ? 1 : 4);
    }
    fail_msg("the moment to stop did not come within 60 s");
    return 0;
}

/* One Ctrl-C while both scanners go on delivering: said at once, with
 * the pages in flight; nothing delivered after it is taken; the scan ends
 * within seconds, exit 0, leaving every manifest closed and nothing to
 * settle. The store can be read (tally, review list) while the scan runs.
 * A restart that counts nothing names every station of the store. */
static void test_stop_one_ctrl_c_is_said_at_once_and_leaves_the_archive_complete(void **state)
{
    hall h;
    char log[4400], *out = NULL;
    hall_open(&h, "ctrl-c");
    deliver(&h, 0);
    deliver(&h, 1);
    snprintf(log, sizeof log, "%s/scan.log", h.dir);
    pid_t pid = start_scan(&h, log);
    int status = 0;
    assert_true(feed_until(&h, pid, 3, -1, 60, &status));
    /* Readers while it writes: SQLite's WAL lets them in. */
    int rc = th_run(&out, "tally --store '%s' --out '%s/t'", h.store, h.dir);
    if (rc)
        fail_msg("tally during the scan: %s", out);
    free(out);
    rc = th_run(&out, "review list --store '%s'", h.store);
    if (rc)
        fail_msg("review list during the scan: %s", out);
    free(out);
    double t_int = scan_now(), t_ack = 0, t_end = 0, next = t_int;
    kill(pid, SIGINT);
    /* The scanners go on: a file every 250 ms, which a scan draining its
     * folders until they are quiet would take for ever. */
    while (!t_end) {
        if (waitpid(pid, &status, WNOHANG) == pid)
            t_end = scan_now();
        if (!t_ack) {
            char *text = th_slurp(log, NULL);
            if (text && strstr(text, "stopping: finishing "))
                t_ack = scan_now();
            free(text);
        }
        if (!t_end && scan_now() >= next) {
            if (scan_now() - t_int > 20) {
                kill(pid, SIGKILL);
                waitpid(pid, &status, 0);
                fail_msg("the scan was still going 20 s after Ctrl-C");
            }
            deliver_next(&h);
            next = scan_now() + 0.25;
        }
        scan_sleep_ms(3);
    }
    char *text = th_slurp(log, NULL);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("scan after Ctrl-C: status %d: %s", status, text);
    if (!t_ack)
        fail_msg("Ctrl-C was not acknowledged: %s", text);
    assert_non_null(strstr(text, "Ctrl-C again to quit now"));
    assert_non_null(strstr(text, "(stopped)"));
    int in_flight = atoi(strstr(text, "stopping: finishing ") + 20);
    print_message("    Ctrl-C said after %.2f s (%d pages in flight), scan ended after %.2f s, "
                  "%d files delivered\n",
                  t_ack - t_int, in_flight, t_end - t_int, h.sent[0] + h.sent[1]);
    assert_true(t_ack - t_int < 5);
    assert_true(t_end - t_int < 10);
    free(text);
    /* Nothing delivered after the acknowledgement was taken (the log is
     * read every few ms: a file delivered a moment before may not be). */
    recs *r = calloc(1, sizeof *r);
    load_recs(h.store, r);
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < h.sent[k]; i++)
            if (h.sent_at[k][i] > t_ack && find_rec(r, g.feed[k][i].sha, -1))
                fail_msg("scanner %d's file %d, delivered after the stop was said, was taken",
                         k + 1, i);
    assert_true(r->n >= 3);
    free_recs(r);
    free(r);
    /* Nothing to settle: every manifest closed, the run complete. */
    found fd = check_archive(&h, 1);
    char path[4500];
    snprintf(path, sizeof path, "%s/run-001/tally.json", h.out);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(fd.open_manifests, 0);
    assert_true(fd.manifests >= 1);

    /* A restart that counts nothing: its summary is the whole store's. */
    out = settle(&h);
    assert_null(strstr(out, "cut short"));
    assert_non_null(strstr(out, "scanned 0 pages"));
    st_error err = {0};
    st_store *s = NULL;
    char **stations = NULL;
    int n = 0;
    assert_st_ok(st_store_open(h.store, NULL, &s, &err), &err);
    assert_st_ok(st_store_stations(s, &stations, &n, &err), &err);
    assert_true(n >= 2); /* both scanners' first stations */
    for (int i = 0; i < n; i++) {
        st_tally *t = NULL;
        st_tally_totals tt;
        char want[256];
        assert_st_ok(st_store_tally(s, stations[i], &t, &err), &err);
        st_tally_get_totals(t, &tt);
        st_tally_free(t);
        snprintf(want, sizeof want, "  %-20s %6lld pages: %lld votes", stations[i],
                 (long long)(tt.H + tt.review + tt.rejected), (long long)tt.E);
        if (!strstr(out, want))
            fail_msg("the summary lacks \"%s\":\n%s", want, out);
    }
    st_store_strings_free(stations, n);
    st_store_close(s);
    free(out);
}

/* kill -9 at 20 seeded random moments, then a double Ctrl-C, each
 * followed by a start that settles OUT, then one clean run over
 * everything: after each, the archive matches the store and replays to
 * it. The moments are of four kinds, drawn at random: during start-up and
 * settling; once the store grew, anywhere on the next file's way; right
 * at a write to a manifest (a batch's lines written ahead, before the
 * store commits them); a little after one (around the commit). */
static void test_stop_kill_9_and_a_double_ctrl_c_lose_nothing_of_the_archive(void **state)
{
    hall h;
    char log[4400];
    hall_open(&h, "kills");
    unsigned seed = 12;
    int kills = 0, cut = 0, open_after_kill = 0;
    double t0 = scan_now();
    assert_int_equal(mkdir(h.out, 0755), 0);
    int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    assert_true(ino >= 0);
    assert_true(inotify_add_watch(ino, h.out, IN_MODIFY) >= 0);
    for (int round = 0; round < 21; round++) {
        int status = 0, twice = round == 20;
        int64_t before = stored_pages(&h);
        deliver_next(&h);
        snprintf(log, sizeof log, "%s/scan-%02d.log", h.dir, round);
        pid_t pid = start_scan(&h, log);
        int kind = twice ? 1 : (int)(rand_r(&seed) % 4), ended = 0;
        if (kind == 0) {
            scan_sleep_ms((int)(rand_r(&seed) % 400));
        } else if (kind == 1) {
            ended = !feed_until(&h, pid, before + 1 + rand_r(&seed) % 3, -1, 150, &status);
            if (!ended)
                scan_sleep_ms((int)(rand_r(&seed) % 160));
        } else {
            ended = !feed_until(&h, pid, 0, ino, 150, &status);
            if (!ended)
                scan_sleep_ms(kind == 2 ? (int)(rand_r(&seed) % 2) : 3 + (int)(rand_r(&seed) % 30));
        }
        if (!ended && twice) {
            /* As a person presses twice: the second once the first was
             * taken (two signals sent at once are one). */
            for (int k = 0; k < 6; k++)
                deliver_next(&h);
            kill(pid, SIGINT);
            scan_sleep_ms(20 + (int)(rand_r(&seed) % 20));
            kill(pid, SIGINT);
            status = scan_wait(pid);
            /* Killed by the second, or done before it came. */
            assert_true((WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) ||
                        (WIFEXITED(status) && WEXITSTATUS(status) == 0));
            print_message("    double Ctrl-C: %s\n", WIFSIGNALED(status)
                                                        ? "the second one quit the scan"
                                                        : "the scan ended before the second");
        } else if (!ended) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            kills += WIFSIGNALED(status);
        }
        if (ended)
            fail_msg("round %d: the scan ended by itself (status %d)", round, status);
        /* At once, before anything is settled: every stored page listed. */
        found fd = check_archive(&h, 0);
        open_after_kill += fd.open_manifests > 0;
        char *out = settle(&h);
        cut += strstr(out, "never committed") || strstr(out, "none of its files committed");
        free(out);
        check_archive(&h, 1);
    }
    close(ino);
    int delivered = h.sent[0] + h.sent[1];
    /* Whatever is left, in one clean run. */
    while (deliver_next(&h))
        ;
    char *out = NULL;
    int rc = th_run(&out, "scan --model '%s' --source 'folder:%s' --source 'folder:%s' "
                          "--settle-ms 100 --idle 1 --out '%s'",
                    h.model, h.folder[0], h.folder[1], h.out);
    if (rc != 0)
        fail_msg("the last run failed (%d): %s", rc, out);
    for (int s = 1; s <= N_STATIONS; s++) {
        char want[64];
        snprintf(want, sizeof want, "  0668::SB%d ", s);
        if (!strstr(out, want))
            fail_msg("the summary lacks station SB%d:\n%s", s, out);
    }
    free(out);
    found fd = check_archive(&h, 1);
    /* Every ballot page, once: the sheets never. */
    assert_int_equal(fd.pages, N_STATIONS * PER_STATION + 6);
    rc = th_run(&out, "verify --store '%s'", h.store);
    if (rc != 0)
        fail_msg("verify found differences (%d): %s", rc, out);
    free(out);
    print_message("    %d kills and a double Ctrl-C in %.0f s (%d files delivered): %d left "
                  "manifests open, %d starts cut back lines or records written ahead of a "
                  "commit; %d manifests, %d lines, %d pages at the end\n",
                  kills, scan_now() - t0, delivered, open_after_kill, cut, fd.manifests,
                  fd.lines, fd.pages);
    assert_int_equal(kills, 20);
    assert_true(open_after_kill >= 5); /* the kills fell while batches were open */
}

/* What fd has to read now, without waiting: its bytes, or 0 / -1. */
static ssize_t read_ready(int fd, char *buf, size_t n)
{
    struct timeval tv = {0, 0};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    if (select(fd + 1, &set, NULL, NULL, &tv) <= 0)
        return 0;
    return read(fd, buf, n);
}

/* Through a terminal: the progress line names each scanner's station and
 * batch, and fits the terminal's width (narrowed half way); when a batch
 * ends, its station's count in the store is said. */
static void test_stop_progress_names_each_source_station_and_batch(void **state)
{
    hall h;
    char src[2][4400];
    hall_open(&h, "progress");
    for (int k = 0; k < 2; k++)
        snprintf(src[k], sizeof src[k], "folder:%s", h.folder[k]);
    const char *bin = getenv("STEMTEL_BIN");
    assert_non_null(bin);
    struct winsize ws = {.ws_row = 24, .ws_col = 200};
    int master = -1;
    fflush(NULL);
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    assert_true(pid >= 0);
    if (pid == 0) {
        execl(bin, bin, "scan", "--model", h.model, "--source", src[0], "--source", src[1],
              "--settle-ms", "100", "--idle", "2", "--threads", "2", "--out", h.out,
              (char *)NULL);
        _exit(127);
    }
    /* Scanner 1: SB1, 7 ballots, the stack, SB2 and a ballot; scanner 2:
     * SB5 and a ballot, and two more once the terminal is narrowed; one
     * file every 150 ms. */
    size_t len = 0, cap = 1 << 16, narrowed_at = 0;
    char *text = malloc(cap);
    double next = scan_now(), end = scan_now() + 120;
    int todo[2] = {11, 2}, status = 0;
    for (;;) {
        assert_true(scan_now() < end);
        if (scan_now() >= next && (todo[0] || todo[1])) {
            int k = todo[0] >= todo[1] * 2 ? 0 : 1;
            deliver(&h, k);
            todo[k]--;
            next = scan_now() + 0.15;
        }
        struct timeval tv = {0, 20000};
        fd_set set;
        FD_ZERO(&set);
        FD_SET(master, &set);
        if (select(master + 1, &set, NULL, NULL, &tv) > 0) {
            if (len + 4096 >= cap)
                text = realloc(text, cap *= 2);
            ssize_t got = read(master, text + len, cap - len - 1);
            if (got <= 0)
                break; /* EIO: the scan has ended */
            len += (size_t)got;
            text[len] = '\0';
        }
        if (!narrowed_at && len && strstr(text, "; folder2: 0668::SB5 batch 5") &&
            strstr(text, "; folder1: 0668::SB2 batch 2")) {
            ws.ws_col = 50;
            assert_int_equal(ioctl(master, TIOCSWINSZ, &ws), 0);
            /* What was written before it is read first. */
            scan_sleep_ms(150);
            ssize_t got;
            while (len + 4096 < cap && (got = read_ready(master, text + len, cap - len - 1)) > 0)
                text[len += (size_t)got] = '\0';
            narrowed_at = len;
            todo[1] += 2;
        }
    }
    close(master);
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("scan through a terminal: status %d: %s", status, text);
    assert_true(narrowed_at > 0);
    assert_non_null(strstr(text, "; folder1: 0668::SB1 batch 1"));
    assert_non_null(strstr(text, "; folder1: 0668::SB2 batch 2"));
    /* SB1's batch ended at SB2's sheet: 9 files, 10 pages in the store. */
    assert_non_null(strstr(text, "folder1: 0668::SB1 batch 1 done: 9 files in "));
    assert_non_null(strstr(text, "; 0668::SB1 in the store: 10 pages: "));
    /* Each progress line, cut to the terminal: 200 columns, then 50. */
    int narrow = 0;
    for (size_t i = 0; i < len; i++) {
        if (text[i] != '\r' || strncmp(text + i + 1, "scan: ", 6) != 0)
            continue;
        size_t n = strcspn(text + i + 1, "\r\n");
        if (i > narrowed_at) {
            narrow++;
            if (n > 49)
                fail_msg("a progress line of %zu characters on a terminal of 50: %.*s", n,
                         (int)n, text + i + 1);
        }
        assert_true(n <= 199);
    }
    assert_true(narrow > 0);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stop_one_ctrl_c_is_said_at_once_and_leaves_the_archive_complete),
        cmocka_unit_test(test_stop_kill_9_and_a_double_ctrl_c_lose_nothing_of_the_archive),
        cmocka_unit_test(test_stop_progress_names_each_source_station_and_batch),
    };
    return cmocka_run_group_tests(tests, setup_pool, teardown_pool);
}
