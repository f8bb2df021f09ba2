/* serve.c - what the sitting's screens cost: each view's time on a large store, and the count's
 *
 * Builds a store of about 10,000 ballots the fastest real way: synth
 * draws --sheets distinct G4 200 dpi ballots once (cached like the other
 * benchmarks' data), and `stemtel count --store` counts them as the
 * batches of --stations polling stations. Each station's copy of a file
 * has a line appended after the TIFF data: the pixels the pipeline reads
 * are the same, but the bytes and so the hash are the copy's own, and
 * the store takes it as a new page (rescans are compared within a
 * station, where every sheet is distinct). Then `stemtel serve` on it:
 *
 *   - every page and JSON document is asked for --samples times over
 *     HTTP (median and 95th percentile; the page image of that many
 *     ballots of the desk's queue, one after another, with the slowest
 *     answer and the range of sizes); the documents the screens poll
 *     are also timed right after another connection committed to the
 *     store, when serve makes its report again (what a screen waits while
 *     a scan runs);
 *   - one more station's batch is counted alone and with 10 viewers
 *     asking for their screen's document every second (4 public
 *     displays, 3 operator views, 2 reconciliations, 1 desk), runs
 *     interleaved, the best of each kept: the ratio is what the viewers
 *     cost the count; as that is noisy on a shared machine, also the CPU
 *     serve used meanwhile against the count's;
 *   - the desk in Debian's headless chromium (driven over the DevTools
 *     pipe by tests/cdp.c): 100 ballots that all go to review, decided
 *     by one key each, timed by the page's own clock from the key's
 *     event to the next ballot's page image loaded (section "Desk";
 *     --desk-only runs just that).
 *
 * Only the repository's own programs and libraries and the chromium
 * the tests use; HTTP is a few lines of sockets here.
 */
#include "bench.h"
#include "cdp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "stemtel/store.h"

#define ST_SB_DIR "build/bench/serve"
#define ST_SB_VIEWERS 10
#define ST_SB_PASSWORD "bench-wachtwoord-1"
#define ST_SB_DESK_N 100

typedef struct st_sb_server {
    pid_t pid;
    int port;
    char cookie[160];       /* "Cookie: stemtel_session=...\r\n" */
} st_sb_server;

static void st_sb_sleep(double s)
{
    struct timespec t = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
    while (nanosleep(&t, &t) == -1 && errno == EINTR)
        ;
}

/* Run the shell command; its exit status (-1: could not run). */
static int st_sb_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int st_sb_sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    return rc == -1 ? -1 : WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* src's bytes and then tag into dst. */
static int st_sb_copy(const char *src, const char *dst, const char *tag, st_error *err)
{
    FILE *in = fopen(src, "rb"), *out = in ? fopen(dst, "wb") : NULL;
    char buf[65536];
    size_t n;
    int ok = in && out;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in) && fputs(tag, out) >= 0;
    if (in)
        fclose(in);
    if (out && fclose(out) != 0)
        ok = 0;
    return ok ? ST_OK : st_error_set(err, ST_ERR_IO, "bench: cannot copy %s to %s", src, dst);
}

/* Station k's copies of the sheets in ST_SB_DIR/in/SBk. */
static int st_sb_station_dir(int k, char **paths, int n, char *dir, size_t dn, st_error *err)
{
    char dst[4300], tag[64];
    snprintf(dir, dn, ST_SB_DIR "/in/SB%d", k);
    if (st_sb_sh("rm -rf '%s'", dir) != 0 || st_bench_mkdirs(dir, err))
        return st_error_set(err, ST_ERR_IO, "bench: cannot make %s", dir);
    snprintf(tag, sizeof tag, "\nstemtel-bench station %d\n", k);
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(paths[i], '/');
        snprintf(dst, sizeof dst, "%s/%s", dir, base ? base + 1 : paths[i]);
        if (st_sb_copy(paths[i], dst, tag, err))
            return ST_ERR_IO;
    }
    return ST_OK;
}

/* CPU seconds (user and system) the children waited for have used. */
static double st_sb_children_cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_CHILDREN, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

/* CPU seconds process pid has used so far (/proc), 0 when unknown. */
static double st_sb_cpu_of(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the name may hold spaces */
    unsigned long long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return 0;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* `bin count` of station k's copies into store; its seconds into *s and
 * the CPU seconds it used into *cpu. */
static int st_sb_count(const char *bin, const char *store, int k, char **paths, int n,
                       double *s, double *cpu, st_error *err)
{
    char dir[4200];
    if (st_sb_station_dir(k, paths, n, dir, sizeof dir, err))
        return ST_ERR_IO;
    double c0 = st_sb_children_cpu(), t0 = st_bench_now();
    int rc = st_sb_sh("'%s' count --model '%s' --station 0668::SB%d --store '%s' --out "
                      "'" ST_SB_DIR "/out/SB%d' '%s' >'" ST_SB_DIR "/count.log' 2>&1",
                      bin, ST_BENCH_MODEL, k, store, k, dir);
    *s = st_bench_now() - t0;
    *cpu = st_sb_children_cpu() - c0;
    if (rc != 0)
        return st_error_set(err, ST_ERR_IO, "bench: %s count of station %d exited %d (see "
                            ST_SB_DIR "/count.log)", bin, k, rc);
    return ST_OK;
}

/* One HTTP/1.1 request with cookie (a header line or NULL) and a form
 * body (or NULL); the status (-1: no answer). The answer's bytes into
 * *bytes, a Set-Cookie's first part into set_cookie (n bytes) and its
 * body (malloc'd) into *out, each when not NULL. */
static int st_sb_http(int port, const char *method, const char *path, const char *cookie,
                      const char *body, size_t *bytes, char *set_cookie, size_t n, char **out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[1024];
    int len = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       "Connection: close\r\n%s", method, path, port, cookie ? cookie : "");
    if (body)
        len += snprintf(req + len, sizeof req - (size_t)len,
                        "Content-Type: application/x-www-form-urlencoded\r\n"
                        "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
    else
        len += snprintf(req + len, sizeof req - (size_t)len, "\r\n");
    if (write(fd, req, (size_t)len) != len) {
        close(fd);
        return -1;
    }
    size_t cap = 1 << 16, got = 0;
    char *buf = malloc(cap);
    ssize_t r;
    while (buf && (r = read(fd, buf + got, cap - got - 1)) > 0) {
        got += (size_t)r;
        if (got + 1 == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    close(fd);
    if (!buf)
        return -1;
    buf[got] = 0;
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        status = -1;
    if (bytes)
        *bytes = got;
    const char *c = set_cookie ? strstr(buf, "Set-Cookie: ") : NULL;
    if (c)
        snprintf(set_cookie, n, "Cookie: %.*s\r\n", (int)strcspn(c + 12, ";\r"), c + 12);
    const char *at = out ? strstr(buf, "\r\n\r\n") : NULL;
    if (out)
        *out = at ? strdup(at + 4) : NULL;
    free(buf);
    return status;
}

/* `bin serve` on store, logged in as the bench's member. */
static int st_sb_serve(const char *bin, const char *store, st_sb_server *sv, st_error *err)
{
    const char *log = ST_SB_DIR "/serve.log";
    unlink(log);
    sv->pid = fork();
    if (sv->pid < 0)
        return st_error_set(err, ST_ERR_IO, "bench: cannot fork");
    if (sv->pid == 0) {
        FILE *f = freopen(log, "w", stderr);
        (void)f;
        execl(bin, bin, "serve", "--store", store, "--listen", "127.0.0.1:0", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 300 && !sv->port; i++) {
        st_sb_sleep(0.05);
        FILE *f = fopen(log, "r");
        char line[512];
        while (f && fgets(line, sizeof line, f)) {
            const char *at = strstr(line, "listening on http://127.0.0.1:");
            if (at)
                sv->port = atoi(at + strlen("listening on http://127.0.0.1:"));
        }
        if (f)
            fclose(f);
    }
    if (!sv->port)
        return st_error_set(err, ST_ERR_IO, "bench: serve did not start (see %s)", log);
    char body[128];
    snprintf(body, sizeof body, "member=Bench&password=" ST_SB_PASSWORD);
    if (st_sb_http(sv->port, "POST", "/login", NULL, body, NULL, sv->cookie,
                   sizeof sv->cookie, NULL) != 303)
        return st_error_set(err, ST_ERR_IO, "bench: the bench's member cannot log in");
    return ST_OK;
}

static void st_sb_stop(st_sb_server *sv)
{
    if (sv->pid > 0) {
        kill(sv->pid, SIGTERM);
        waitpid(sv->pid, NULL, 0);
    }
    sv->pid = 0;
}

static int st_sb_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The q-th quantile of v (n > 0; sorts v). */
static double st_sb_quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, st_sb_cmp);
    int i = (int)(q * (n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

/* One viewer: its document every second until stop. */
typedef struct st_sb_viewer {
    pthread_t th;
    int port;
    const char *path, *cookie;
    atomic_int *stop;
    double t[2048];
    int n, failed;
} st_sb_viewer;

static void *st_sb_view(void *arg)
{
    st_sb_viewer *v = arg;
    while (!atomic_load(v->stop)) {
        double t0 = st_bench_now();
        int status = st_sb_http(v->port, "GET", v->path, v->cookie, NULL, NULL, NULL, 0, NULL);
        double dt = st_bench_now() - t0;
        if (status != 200)
            v->failed++;
        else if (v->n < (int)(sizeof v->t / sizeof v->t[0]))
            v->t[v->n++] = dt;
        for (double until = t0 + 1.0; !atomic_load(v->stop) && st_bench_now() < until;)
            st_sb_sleep(0.02);
    }
    return NULL;
}

/* The server a failing browser leaves behind, stopped by cdp_failf. */
static st_sb_server *st_sb_live;

static void st_sb_stop(st_sb_server *sv);

/* tests/cdp.c's failures end the benchmark. */
void cdp_failf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: serve: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    if (st_sb_live)
        st_sb_stop(st_sb_live);
    exit(2);
}

/* A member and its password in store, for the desk. */
static int st_sb_member(const char *bin, const char *store, st_error *err)
{
    if (st_sb_sh("printf '%%s\\n' '" ST_SB_PASSWORD "' >" ST_SB_DIR "/pw && '%s' members add "
                 "Bench --role voorzitter --store '%s' >/dev/null && '%s' members passwd Bench "
                 "--store '%s' <" ST_SB_DIR "/pw >/dev/null", bin, store, bin, store) != 0)
        return st_error_set(err, ST_ERR_IO, "bench: cannot add the bench's member");
    return ST_OK;
}

/* 100 ballots decided at the desk in chromium by one key each: a store
 * of synth's marks between the boxes (every ballot in review), the
 * member logs in by typing, and each ballot is decided blank by `b`,
 * every fourth invalid by `1`; the table "desk: 100 decisions by
 * keyboard" into b. */
static int st_sb_desk(const char *bin, int quick, st_bench_buf *b, st_error *err)
{
    const char *dir = ST_SB_DIR "/desk", *store = ST_SB_DIR "/desk/cso.db";
    st_sb_server sv = {0};
    double ms[ST_SB_DESK_N];
    char url[128];
    if (st_sb_sh("rm -rf '%s' && mkdir -p '%s'", dir, dir) != 0)
        return st_error_set(err, ST_ERR_IO, "bench: cannot make %s", dir);
    fprintf(stderr, "bench: serve: %d ballots for the desk ...\n", ST_SB_DESK_N);
    if (st_sb_sh("'%s' synth '%s' --count %d --seed 21 --dpi 200 --format grey-jpeg "
                 "--scenarios between --out '%s/in' >'%s/synth.log' 2>&1 && '%s' count --model "
                 "'%s' --station 0668::SB1 --store '%s' --out '%s/out' '%s/in' >'%s/count.log' "
                 "2>&1", bin, ST_BENCH_MODEL, ST_SB_DESK_N, dir, dir, bin, ST_BENCH_MODEL, store,
                 dir, dir, dir) != 0)
        return st_error_set(err, ST_ERR_IO, "bench: cannot make the desk's store (see %s)", dir);
    if (st_sb_member(bin, store, err) || st_sb_serve(bin, store, &sv, err))
        goto fail;
    st_sb_live = &sv;
    cdp br;
    cdp_start(&br, dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/desk", sv.port);
    cdp_go(&br, url);
    cdp_login(&br, "Bench", ST_SB_PASSWORD);
    char js[512];
    snprintf(js, sizeof js, "location.pathname === '/desk' && +document.body.dataset.queue === %d"
             " && !!document.body.dataset.selected && document.getElementById('page').complete"
             " && document.getElementById('page').naturalWidth > 0", ST_SB_DESK_N);
    cdp_until(&br, js, "on the desk with the first ballot's page");
    fprintf(stderr, "bench: serve: deciding %d ballots by keyboard ...\n", ST_SB_DESK_N);
    double t0 = st_bench_now(), sum = 0;
    for (int k = 0; k < ST_SB_DESK_N; k++)
        sum += ms[k] = cdp_desk_decide_by_key(&br, k % 4 == 3 ? "1" : "b");
    double wall = st_bench_now() - t0;
    cdp_until(&br, "+document.body.dataset.queue === 0", "the queue empty");
    cdp_stop(&br);
    st_sb_live = NULL;
    st_sb_stop(&sv);
    st_bench_printf(b, "### desk: %d decisions by keyboard\n\n"
                       "%d ballots of synth's `--scenarios between` (marks between the boxes, "
                       "so every one goes to review; %s, grey JPEG 200 dpi, seed 21) counted "
                       "as one station; `stemtel serve` on loopback and Debian's chromium "
                       "headless, %dx%d, driven over the DevTools pipe (`tests/cdp.c`). A member "
                       "logs in by typing; then each ballot is decided by one key pressed on "
                       "the page (`b` blank, every fourth `1`, invalid: number_without_list), "
                       "nothing clicked. *latency* is the page's own clock from the key's "
                       "keydown event to the next ballot's page image loaded (the decision "
                       "posted, the queue fetched again, the next ballot's document and its "
                       "drawn PNG); for the last, to the queue shown empty. *wall* adds "
                       "the test driver's own round trips.%s\n\n"
                       "| decisions | keys pressed | keys per decision | median ms | 95th "
                       "percentile ms | max ms | latency in all s | wall s |\n"
                       "|--:|--:|--:|--:|--:|--:|--:|--:|\n",
                    ST_SB_DESK_N, ST_SB_DESK_N, ST_BENCH_MODEL, CDP_WIDTH, CDP_HEIGHT,
                    quick ? " Quick mode: the same run." : "");
    double med = st_sb_quantile(ms, ST_SB_DESK_N, 0.5), p95 = st_sb_quantile(ms, ST_SB_DESK_N, 0.95);
    st_bench_printf(b, "| %d | %d | 1 | %.0f | %.0f | %.0f | %.1f | %.1f |\n\n", ST_SB_DESK_N,
                    ST_SB_DESK_N, med, p95, ms[ST_SB_DESK_N - 1], sum / 1000, wall);
    fprintf(stderr, "bench: serve: desk %.0f ms median, %.0f ms p95 per decision\n", med, p95);
    return ST_OK;
fail:
    st_sb_stop(&sv);
    return ST_ERR_IO;
}

static void st_sb_usage(FILE *f)
{
    fputs("usage: serve [--quick] [--bin STEMTEL] [--sheets N] [--stations K] [--samples N]\n"
          "             [--runs N] [--results FILE] [--desk-only]\n"
          "A store of N*K ballots (default 1000 sheets as 10 stations' batches), each\n"
          "screen's time on it, and a count's throughput alone and with 10 viewers;\n"
          "then 100 ballots decided at the desk in chromium by one key each\n"
          "(--desk-only: just that, its section alone rewritten).\n",
          f);
}

int main(int argc, char **argv)
{
    int quick = 0, sheets = 1000, stations = 10, samples = 30, runs = 2, set = 0, rset = 0;
    int desk_only = 0;
    const char *bin = "build/default/stemtel", *results = ST_BENCH_RESULTS;
    static const struct option longs[] = {
        {"quick", no_argument, NULL, 'q'},         {"bin", required_argument, NULL, 'b'},
        {"sheets", required_argument, NULL, 's'},  {"stations", required_argument, NULL, 'k'},
        {"samples", required_argument, NULL, 'n'}, {"runs", required_argument, NULL, 'r'},
        {"results", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'},
        {"desk-only", no_argument, NULL, 'd'},
        {NULL, 0, NULL, 0},
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (ch) {
        case 'q': quick = 1; break;
        case 'b': bin = optarg; break;
        case 's': sheets = atoi(optarg); set = 1; break;
        case 'k': stations = atoi(optarg); set = 1; break;
        case 'n': samples = atoi(optarg); break;
        case 'r': runs = atoi(optarg); break;
        case 'o': results = optarg; rset = 1; break;
        case 'd': desk_only = 1; break;
        case 'h': st_sb_usage(stdout); return 0;
        default: st_sb_usage(stderr); return 2;
        }
    }
    if (optind != argc || sheets < 1 || stations < 1 || samples < 1 || runs < 1) {
        st_sb_usage(stderr);
        return 2;
    }
    if (quick && !set)
        sheets = 200, stations = 2;
    if (quick)
        samples = samples > 10 ? 10 : samples, runs = 1;
    if (quick && !rset)
        results = "build/bench/RESULTS-quick.md";
    signal(SIGPIPE, SIG_IGN);
    st_error err = {0};
    st_model *m = NULL;
    st_bench_buf b = {0};
    st_sb_server sv = {0};
    st_store *w = NULL;
    double *t = NULL;
    long long *ids = NULL;
    char **paths = NULL, key[65], store[256], line[512];
    int n_paths = 0, status = 2;
    double count_s = 0;
    st_synth_opts o;
    if (desk_only) {
        if (st_sb_sh("mkdir -p " ST_SB_DIR) != 0) {
            st_error_set(&err, ST_ERR_IO, "bench: cannot make " ST_SB_DIR);
            goto fail;
        }
        goto desk;
    }
    st_synth_opts_default(&o);
    o.count = sheets;
    o.seed = 14;
    o.dpi = 200;
    o.format = ST_TIFF_BILEVEL_G4;
    o.degrade_level = 0.3;
    if (st_model_load_checked(ST_BENCH_MODEL, &m, &err) || st_bench_source_key(ST_BENCH_MODEL, key, &err) ||
        st_bench_ensure_data(m, &o, key, ST_BENCH_DATA "/serve-g4-200", NULL, NULL, &err) ||
        st_bench_list_tiffs(ST_BENCH_DATA "/serve-g4-200", &paths, &n_paths, &err))
        goto fail;
    if (n_paths > sheets)
        n_paths = sheets;
    snprintf(store, sizeof store, ST_SB_DIR "/cso.db");
    if (st_sb_sh("rm -rf " ST_SB_DIR " && mkdir -p " ST_SB_DIR "/out") != 0) {
        st_error_set(&err, ST_ERR_IO, "bench: cannot make " ST_SB_DIR);
        goto fail;
    }
    for (int k = 1; k <= stations; k++) {
        double s, cpu;
        fprintf(stderr, "bench: serve: counting station %d of %d ...\n", k, stations);
        if (st_sb_count(bin, store, k, paths, n_paths, &s, &cpu, &err))
            goto fail;
        count_s += s;
    }
    if (st_sb_member(bin, store, &err) || st_sb_serve(bin, store, &sv, &err))
        goto fail;
    /* A ballot of the queue for the desk's own documents; the page image
     * is asked for the first --samples ballots of the queue in turn, as a
     * person at the desk goes through them (pages differ in ink, and in
     * which way up they were fed). */
    long long id = 1;
    int n_ids = 0;
    char *desk = NULL;
    st_sb_http(sv.port, "GET", "/api/desk", sv.cookie, NULL, NULL, NULL, 0, &desk);
    json_object *dj = desk ? json_tokener_parse(desk) : NULL, *q = NULL;
    ids = calloc((size_t)samples, sizeof *ids);
    if (!ids)
        goto fail;
    if (dj && json_object_object_get_ex(dj, "queue", &q))
        for (size_t i = 0; i < json_object_array_length(q) && n_ids < samples; i++)
            ids[n_ids++] = json_object_get_int64(
                json_object_object_get(json_object_array_get_idx(q, i), "id"));
    if (n_ids)
        id = ids[0];
    else
        ids[n_ids++] = id;
    json_object_put(dj);
    free(desk);

    int ballots = n_paths * stations;
    st_bench_printf(&b, "## Screens\n\n");
    st_bench_describe(&b, argc, argv);
    st_bench_printf(&b,
                    "A store of %d ballots: %d sheets drawn by synth (%s, G4 200 dpi, default "
                    "mix at level 0.3, seed 14), fed as the batches of %d polling stations, each "
                    "station's copy of a file with a line appended after its TIFF data (the "
                    "same pixels, its own hash), counted by `stemtel count --store` in %.1f s "
                    "(%.0f pages/s). `stemtel serve` on it, over HTTP on loopback, %d "
                    "samples each.%s\n\n",
                    ballots, n_paths, ST_BENCH_MODEL, stations, count_s, ballots / count_s,
                    samples, quick ? " Quick mode: a small store; the figures are rough." : "");

    /* ---- every view, as it is and right after a commit ---- */
    char ballot_path[64], png_path[64];
    snprintf(ballot_path, sizeof ballot_path, "/api/ballot?id=%lld", id);
    snprintf(png_path, sizeof png_path, "/page.png?id=%lld", id);
    const struct {
        const char *path, *what;
        int desk, polled;
    } views[] = {
        {"/", "public display (page)", 0, 0},
        {"/operator", "operator view (page)", 0, 0},
        {"/reconcile", "reconciliation (page)", 0, 0},
        {"/desk", "adjudication desk (page)", 1, 0},
        {"/api/public", "public display's document", 0, 1},
        {"/api/operator", "operator view's document", 0, 1},
        {"/api/reconcile", "reconciliation's document", 0, 1},
        {"/api/desk", "the desk's queue", 1, 1},
        {ballot_path, "one ballot at the desk", 1, 0},
        {png_path, "its page drawn (PNG)", 1, 0},
    };
    int n_views = (int)(sizeof views / sizeof views[0]);
    t = calloc((size_t)samples, sizeof *t);
    if (!t || st_store_open(store, NULL, &w, &err))
        goto fail;
    st_bench_printf(&b, "### Each view (ms)\n\n*after a commit*: the documents the screens poll "
                        "(the desk's queue among them), "
                        "asked for right after another connection committed to the store "
                        "(an empty batch begun), so serve makes its report again first: what "
                        "a screen waits while a scan runs.\n\n"
                        "| path | what | bytes | median | 95th percentile | after a commit: "
                        "median | 95th percentile |\n|---|---|--:|--:|--:|--:|--:|\n");
    int slow = 0;
    double png_max = 0;
    size_t png_min_bytes = (size_t)-1, png_max_bytes = 0;
    for (int v = 0; v < n_views; v++) {
        size_t bytes = 0;
        const char *ck = views[v].desk ? sv.cookie : NULL;
        int png = views[v].path == png_path;
        for (int i = 0; i < samples; i++) {
            const char *path = views[v].path;
            if (png)
                snprintf(png_path, sizeof png_path, "/page.png?id=%lld", ids[i % n_ids]);
            double t0 = st_bench_now();
            int stt = st_sb_http(sv.port, "GET", path, ck, NULL, &bytes, NULL, 0, NULL);
            t[i] = 1000 * (st_bench_now() - t0);
            if (stt != 200) {
                st_error_set(&err, ST_ERR_IO, "bench: GET %s answered %d", path, stt);
                goto fail;
            }
            if (png) {
                png_max = t[i] > png_max ? t[i] : png_max;
                png_min_bytes = bytes < png_min_bytes ? bytes : png_min_bytes;
                png_max_bytes = bytes > png_max_bytes ? bytes : png_max_bytes;
            }
        }
        double med = st_sb_quantile(t, samples, 0.5), p95 = st_sb_quantile(t, samples, 0.95);
        char after[64] = "| - | -";
        if (views[v].polled) {
            double last = 0;
            for (int i = 0; i < samples; i++) {
                if (st_store_begin_batch(w, NULL, "bench: a commit for the screens", &err))
                    goto fail;
                /* serve makes a report at most every 0.5 s, or twenty
                 * times what the last took. */
                st_sb_sleep(0.55 + 21 * last);
                double t0 = st_bench_now();
                st_sb_http(sv.port, "GET", views[v].path, ck, NULL, NULL, NULL, 0, NULL);
                last = st_bench_now() - t0;
                t[i] = 1000 * last;
            }
            double amed = st_sb_quantile(t, samples, 0.5), a95 = st_sb_quantile(t, samples, 0.95);
            snprintf(after, sizeof after, "| %.1f | %.1f", amed, a95);
            slow += a95 >= 100;
        }
        slow += p95 >= 100;
        st_bench_printf(&b, "| `%s` | %s | %zu | %.1f | %.1f %s |\n",
                        v == 8 ? "/api/ballot?id=N" : v == 9 ? "/page.png?id=N" : views[v].path,
                        views[v].what, bytes, med, p95, after);
        fprintf(stderr, "bench: serve: %s %.1f ms median %s\n", views[v].path, med, after);
    }
    st_store_close(w);
    w = NULL;
    st_bench_printf(&b, "\nThe page image was asked for the first %d ballots of the desk's "
                        "queue in turn (its bytes: the last answer's; from %zu to %zu); the "
                        "slowest answer took %.1f ms.\n", n_ids, png_min_bytes, png_max_bytes,
                    png_max);
    st_bench_printf(&b, "\n%s\n\n", slow ? "**Some views took 100 ms or more at the 95th "
                                           "percentile.**"
                                         : "Every view answered within 100 ms at the 95th "
                                           "percentile.");

    /* ---- the count alone and with 10 viewers ---- */
    static const char *const viewer_paths[ST_SB_VIEWERS] = {
        "/api/public", "/api/public", "/api/public", "/api/public", "/api/operator",
        "/api/operator", "/api/operator", "/api/reconcile", "/api/reconcile", "/api/desk"};
    double best[2] = {0, 0}, count_cpu = 0, serve_cpu = 0;
    static double all_t[ST_SB_VIEWERS * 2048];
    int n_all = 0, failed = 0, next_station = stations + 1;
    for (int r = 0; r < runs; r++)
        for (int with = 0; with < 2; with++) {
            st_sb_viewer *vw = calloc(ST_SB_VIEWERS, sizeof *vw);
            atomic_int stop = 0;
            if (!vw)
                goto fail;
            for (int i = 0; with && i < ST_SB_VIEWERS; i++) {
                vw[i].port = sv.port;
                vw[i].path = viewer_paths[i];
                vw[i].cookie = !strcmp(viewer_paths[i], "/api/desk") ? sv.cookie : NULL;
                vw[i].stop = &stop;
                pthread_create(&vw[i].th, NULL, st_sb_view, &vw[i]);
            }
            double s, cpu, sv0 = st_sb_cpu_of(sv.pid);
            fprintf(stderr, "bench: serve: a count %s viewers ...\n", with ? "with" : "without");
            int rc = st_sb_count(bin, store, next_station++, paths, n_paths, &s, &cpu, &err);
            atomic_store(&stop, 1);
            if (with) {
                count_cpu += cpu;
                serve_cpu += st_sb_cpu_of(sv.pid) - sv0;
            }
            for (int i = 0; with && i < ST_SB_VIEWERS; i++) {
                pthread_join(vw[i].th, NULL);
                failed += vw[i].failed;
                for (int j = 0; j < vw[i].n && n_all < (int)(sizeof all_t / sizeof *all_t); j++)
                    all_t[n_all++] = 1000 * vw[i].t[j];
            }
            free(vw);
            if (rc)
                goto fail;
            double rate = n_paths / s;
            if (rate > best[with])
                best[with] = rate;
        }
    st_bench_printf(&b, "### A count alone and with %d viewers\n\nOne more station's batch of "
                        "%d pages counted into the same store by `stemtel count --store` "
                        "(every core), alone and while %d viewers each ask for their screen's "
                        "document every second (4 public displays, 3 operator views, 2 "
                        "reconciliations, 1 desk), %d run%s of each interleaved, the fastest "
                        "kept (pages per second from the count's wall time). The wall time of a "
                        "count on a shared machine varies by more than the viewers can cost, so "
                        "the CPU is measured too: *serve CPU* is what the server used while the "
                        "counts with viewers ran (answering them, making its report after the "
                        "count's commits), as a share of what those counts used; on a machine "
                        "the count keeps busy, that share is what the viewers can take from "
                        "it.\n\n"
                        "| pages | alone | with %d viewers | ratio | serve CPU s | count CPU s | "
                        "serve CPU share %% | viewers' answers | median ms | 95th percentile ms | "
                        "failed |\n|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n",
                    ST_SB_VIEWERS, n_paths, ST_SB_VIEWERS, runs, runs == 1 ? "" : "s",
                    ST_SB_VIEWERS);
    char share[32];
    snprintf(line, sizeof line, "| %d | %.1f | %.1f | %.3f | %.2f | %.1f | %s | %d | %.1f | %.1f | "
             "%d |\n", n_paths, best[0], best[1], best[0] > 0 ? best[1] / best[0] : 0, serve_cpu,
             count_cpu, st_bench_pct(share, sizeof share, serve_cpu, count_cpu, 1), n_all,
             n_all ? st_sb_quantile(all_t, n_all, 0.5) : 0,
             n_all ? st_sb_quantile(all_t, n_all, 0.95) : 0, failed);
    st_bench_printf(&b, "%s\n", line);
    st_sb_stop(&sv);
    if (st_bench_publish(&b, NULL, results, "Screens", &err))
        goto fail;
desk:
    st_bench_buf_free(&b);
    memset(&b, 0, sizeof b);
    st_bench_printf(&b, "## Desk\n\n");
    st_bench_describe(&b, argc, argv);
    if (st_sb_desk(bin, quick, &b, &err) || st_bench_publish(&b, NULL, results, "Desk", &err))
        goto fail;
    status = 0;
    goto out;
fail:
    fprintf(stderr, "bench: serve: %s\n", err.msg[0] ? err.msg : "failed");
out:
    st_sb_stop(&sv);
    st_store_close(w);
    free(t);
    free(ids);
    st_bench_paths_free(paths, n_paths);
    st_bench_buf_free(&b);
    st_model_free(m);
    return status;
}
