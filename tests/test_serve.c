/* test_serve.c - `stemtel serve` end to end, over HTTP and in a real browser
 *
 * The screens are served by the real command over a store that a running
 * `stemtel scan` fills from a hot folder, ballots drawn by synth arriving
 * a few at a time. A small HTTP client in this file asks for the JSON the
 * screens poll (parsed strictly by json-c) and checks the headers; Debian's
 * headless chromium loads the public display and the operator view and
 * dumps the page after its script ran (--dump-dom with a virtual-time
 * budget), so the figures in the tables are the ones the script put
 * there. Every command runs under a watchdog.
 */
#include "cdp.h"
#include "helpers.h"
#include "run_ok.h"
#include "scan_fixture.h"
#include "app/desk.h"
#include "stemtel/basis.h"
#include "stemtel/eml.h"
#include "stemtel/model.h"
#include "stemtel/reconcile.h"
#include "stemtel/screens.h"
#include "util/clock.h"
#include "stemtel/proof.h"
#include "stemtel/store.h"

#include <arpa/inet.h>
#include <cairo.h>
#include <errno.h>
#include <poll.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <math.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_BALLOTS 40
#define FIRST 5
#define GROUP 5
#define MAX_TIMES 4096

/* ---- a small HTTP client ---------------------------------------------------- */

typedef struct http_reply {
    int status;
    char *head;                 /* the status line and headers */
    char *body;
    double seconds;             /* from connect to the last byte */
} http_reply;

static void reply_free(http_reply *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* Send method (NULL: GET) path to ip:port with the Host header host
 * (NULL: ip:port), the headers extra (NULL: none; each line ending in
 * \r\n) and the form body (NULL: none), without waiting for the answer:
 * the connection, or -1 when none could be made. */
static int http_request(const char *ip, int port, const char *path, const char *host,
                        const char *method, const char *extra, const char *body)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {10, 0};
    if (fd < 0 || inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
        fail_msg("cannot make a socket for %s", ip);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    char req[8192], hostbuf[128];
    if (!host) {
        snprintf(hostbuf, sizeof hostbuf, "%s:%d", ip, port);
        host = hostbuf;
    }
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n%s",
                     method ? method : "GET", path, host, extra ? extra : "");
    if (body)
        n += snprintf(req + n, sizeof req - (size_t)n, "Content-Type: application/x-www-form-"
                      "urlencoded\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
    else
        n += snprintf(req + n, sizeof req - (size_t)n, "\r\n");
    assert_int_equal(write(fd, req, (size_t)n), n);
    return fd;
}

/* The whole answer on connection fd (closed here) to a request for path
 * into *r. */
static void http_reply_read(int fd, const char *path, http_reply *r)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    ssize_t got;
    while ((got = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)got;
        if (cap - len < 4096)
            buf = realloc(buf, cap *= 2);
    }
    close(fd);
    buf[len] = 0;
    char *sep = strstr(buf, "\r\n\r\n");
    if (!sep || sscanf(buf, "HTTP/1.%*d %d", &r->status) != 1)
        fail_msg("not an HTTP answer to %s: %.200s", path, buf);
    *sep = 0;
    r->head = strdup(buf);
    r->body = strdup(sep + 4);
    free(buf);
}

/* http_request, then its whole answer into *r. 0, or -1 when no
 * connection could be made. */
static int http_send(const char *ip, int port, const char *path, const char *host,
                     const char *method, const char *extra, const char *body, http_reply *r)
{
    memset(r, 0, sizeof *r);
    double t0 = scan_now();
    int fd = http_request(ip, port, path, host, method, extra, body);
    if (fd < 0)
        return -1;
    http_reply_read(fd, path, r);
    r->seconds = scan_now() - t0;
    return 0;
}

static int http_get(const char *ip, int port, const char *path, const char *host,
                    const char *method, http_reply *r)
{
    return http_send(ip, port, path, host, method, NULL, NULL, r);
}

/* The value of header name in r (case-insensitive), or NULL; static. */
static const char *header(const http_reply *r, const char *name)
{
    static char value[1024];
    size_t n = strlen(name);
    for (const char *p = strstr(r->head, "\r\n"); p; p = strstr(p + 2, "\r\n")) {
        if (!strncasecmp(p + 2, name, n) && p[2 + n] == ':') {
            const char *v = p + 3 + n, *e = strstr(v, "\r\n");
            while (*v == ' ')
                v++;
            snprintf(value, sizeof value, "%.*s", (int)(e ? (size_t)(e - v) : strlen(v)), v);
            return value;
        }
    }
    return NULL;
}

/* Parse text as strict JSON (RFC 8259: no comments, no trailing commas,
 * nothing after the value); fails the test naming what. */
static json_object *strict_json(const char *text, const char *what)
{
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
    size_t len = strlen(text);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!o || e != json_tokener_success)
        fail_msg("%s is not strict JSON (%s): %.300s", what, json_tokener_error_desc(e), text);
    while (used < len && strchr(" \t\r\n", text[used]))
        used++;
    if (used != len)
        fail_msg("%s: text after the JSON value: %.100s", what, text + used);
    return o;
}

static int64_t jint_at(json_object *o, const char *a, const char *b)
{
    json_object *x = th_json_get(o, a);
    if (b)
        x = th_json_get(x, b);
    if (!x)
        fail_msg("no %s%s%s in the document", a, b ? "." : "", b ? b : "");
    return json_object_get_int64(x);
}

/* Every page the public document counts: over its stations. */
static int64_t public_pages(json_object *d)
{
    json_object *st = th_json_get(d, "stations");
    int64_t n = 0;
    for (size_t i = 0; st && i < json_object_array_length(st); i++)
        n += th_json_int(json_object_array_get_idx(st, i), "pages");
    return n;
}

/* ---- the command in the background --------------------------------------------- */

typedef struct served {
    pid_t pid;
    int port;
    char log[4400];
} served;

/* Start `stemtel serve ARGS --listen IP:0` and wait for the port it says;
 * a serve that exits first (a store not made yet) is started again, for
 * up to 30 s. */
static void serve_start(served *s, const char *dir, const char *ip, const char *args)
{
    double end = scan_now() + 30;
    snprintf(s->log, sizeof s->log, "%s/serve.log", dir);
    for (;;) {
        unlink(s->log); /* the last serve's "listening" is not this one's */
        s->pid = scan_spawn(s->log, "serve %s --listen %s:0", args, ip);
        for (;;) {
            char *text = th_slurp(s->log, NULL);
            const char *at = text ? strstr(text, "listening on http://") : NULL;
            if (at) {
                const char *colon = strchr(at + strlen("listening on http://"), ':');
                s->port = atoi(colon + 1);
                free(text);
                assert_true(s->port > 0);
                return;
            }
            int status;
            if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
                if (scan_now() > end)
                    fail_msg("serve did not start: %s", text ? text : "");
                free(text);
                break;
            }
            free(text);
            if (scan_now() > end) {
                kill(s->pid, SIGKILL);
                fail_msg("serve said nothing within 30 s");
            }
            scan_sleep_ms(50);
        }
        scan_sleep_ms(200);
    }
}

/* Stop it as Ctrl-C would; it must exit 0. */
static void serve_stop(served *s)
{
    kill(s->pid, SIGTERM);
    int rc = scan_reap(s->pid);
    if (rc != 0) {
        char *text = th_slurp(s->log, NULL);
        fail_msg("serve exited %d: %s", rc, text ? text : "");
    }
}

/* `stemtel serve --store store` on loopback. */
static void serve_store(served *s, const char *dir, const char *store)
{
    char args[4500];
    snprintf(args, sizeof args, "--store '%s'", store);
    serve_start(s, dir, "127.0.0.1", args);
}

/* The page at url after its script ran, as chromium's DOM; malloc'd.
 * CSP violations or script errors in chromium's console fail the test. */
static char *browser_dom(const char *dir, const char *url)
{
    const char *chromium = getenv("STEMTEL_CHROMIUM") ? getenv("STEMTEL_CHROMIUM")
                                                       : "/usr/bin/chromium";
    char cmd[8192], dom[4400], errlog[4400];
    snprintf(dom, sizeof dom, "%s/dom.html", dir);
    snprintf(errlog, sizeof errlog, "%s/chromium.log", dir);
    /* --no-sandbox: tests may run as root, which chromium's sandbox refuses. */
    snprintf(cmd, sizeof cmd,
             "timeout 90 '%s' --headless --no-sandbox --disable-gpu --no-first-run "
             "--user-data-dir='%s/chromium' --enable-logging=stderr --v=0 "
             "--virtual-time-budget=4000 --dump-dom '%s' >'%s' 2>'%s'",
             chromium, dir, url, dom, errlog);
    double t0 = scan_now();
    int rc = system(cmd);
    char *log = th_slurp(errlog, NULL);
    if (rc != 0)
        fail_msg("chromium failed (%d): %s", rc, log ? log : "");
    if (log && (strstr(log, "Content Security Policy") || strstr(log, "Uncaught")))
        fail_msg("the page broke in chromium: %s", log);
    free(log);
    print_message("chromium: %s in %.1f s\n", url, scan_now() - t0);
    char *text = th_slurp(dom, NULL);
    assert_non_null(text);
    return text;
}

/* The value of attribute data-NAME on <body> in a dumped DOM; -1 if none. */
static long body_data(const char *dom, const char *name)
{
    const char *body = strstr(dom, "<body");
    char key[64];
    snprintf(key, sizeof key, " data-%s=\"", name);
    const char *end = body ? strchr(body, '>') : NULL, *at = body ? strstr(body, key) : NULL;
    return at && at < end ? atol(at + strlen(key)) : -1;
}

/* Copy ballot i of src into the hot folder as a scanner would: written
 * under another name, then renamed. */
static void feed(const char *src, const char *hot, int i)
{
    char from[4400], tmp[4400], to[4400];
    size_t len;
    snprintf(from, sizeof from, "%s/ballot-%06d.tif", src, i + 1);
    snprintf(tmp, sizeof tmp, "%s/.part-%06d", hot, i + 1);
    snprintf(to, sizeof to, "%s/scan-%06d.tif", hot, i + 1);
    char *bytes = th_slurp(from, &len);
    assert_non_null(bytes);
    FILE *f = fopen(tmp, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(bytes, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(rename(tmp, to), 0);
    free(bytes);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The public JSON now: its pages, and the answer's time into times. */
static int64_t poll_public(int port, double *times, int *n_times, json_object **doc)
{
    http_reply r;
    if (http_get("127.0.0.1", port, "/api/public", NULL, NULL, &r))
        fail_msg("serve stopped answering");
    assert_int_equal(r.status, 200);
    if (*n_times < MAX_TIMES)
        times[(*n_times)++] = r.seconds;
    json_object *d = strict_json(r.body, "/api/public");
    int64_t pages = public_pages(d);
    if (doc)
        *doc = d;
    else
        json_object_put(d);
    reply_free(&r);
    return pages;
}


/* cdp.c's failures fail the test. */
void cdp_failf(const char *fmt, ...)
{
    char msg[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fail_msg("%s", msg);
    abort(); /* fail_msg jumps out of the test; never here */
}

/* ---- tests ------------------------------------------------------------------------ */

/* The public display, the operator view and the reconciliation over a
 * store a running scan fills: the JSON counts grow to every ballot fed,
 * each answer strict JSON with the security headers, the browser shows
 * the figures its script fetched, and nothing on the public display
 * points at a ballot. */
/* The operator's document says the scan's one source, the hot folder
 * hot, is counting on 0668::SB3 at some pace; its pages into *pages. */
static void source_counting(int port, const char *hot, int64_t *pages)
{
    http_reply r;
    char input[4400];
    assert_int_equal(http_get("127.0.0.1", port, "/api/operator", NULL, NULL, &r), 0);
    json_object *op = strict_json(r.body, "/api/operator");
    json_object *srcs = th_json_get(op, "sources");
    if (json_object_array_length(srcs) != 1)
        fail_msg("want one source: %s", r.body);
    json_object *x = json_object_array_get_idx(srcs, 0);
    snprintf(input, sizeof input, "folder:%s", hot);
    assert_string_equal(th_json_str(x, "name"), "folder1");
    assert_string_equal(th_json_str(x, "input"), input);
    assert_string_equal(th_json_str(x, "station"), "0668::SB3");
    assert_int_equal(th_json_int(x, "batch"), 0);
    *pages = th_json_int(x, "pages");
    double pace = json_object_get_double(th_json_get(x, "pages_per_s"));
    if (strcmp(th_json_str(x, "state"), "counting") || *pages < 1 || *pages > N_BALLOTS ||
        pace <= 0)
        fail_msg("the hot folder is not seen counting: %s", r.body);
    json_object_put(op);
    reply_free(&r);
}

static void test_serve_screens_follow_a_running_scan(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(SCAN_MODEL);
    char src[4300], hot[4300], log[4400], url[256];
    static double times[MAX_TIMES];
    int n_times = 0;
    snprintf(src, sizeof src, "%s/src", dir);
    snprintf(hot, sizeof hot, "%s/hot", dir);
    scan_synth(src, "--count 40 --seed 14 --dpi 200 --format grey-jpeg");
    assert_int_equal(mkdir(hot, 0755), 0);
    for (int i = 0; i < FIRST; i++)
        feed(src, hot, i);

    snprintf(log, sizeof log, "%s/scan.log", dir);
    pid_t scan = scan_spawn(log, "scan --model '%s' --source 'folder:%s' --station 0668::SB3 "
                                 "--settle-ms 100 --idle 5 --threads 2 --out '%s/out'",
                            model, hot, dir);
    char args[4500];
    snprintf(args, sizeof args, "--store '%s/out/stemtel.db'", dir);
    served sv;
    serve_start(&sv, dir, "127.0.0.1", args);

    /* The headers of every kind of answer. */
    const char *paths[] = {"/", "/operator", "/reconcile", "/app.css", "/app.js",
                           "/api/public", "/api/operator", "/api/reconcile"};
    for (size_t k = 0; k < sizeof paths / sizeof paths[0]; k++) {
        http_reply r;
        assert_int_equal(http_get("127.0.0.1", sv.port, paths[k], NULL, NULL, &r), 0);
        if (r.status != 200)
            fail_msg("%s: status %d: %s", paths[k], r.status, r.body);
        const char *csp = header(&r, "Content-Security-Policy");
        if (!csp || !strstr(csp, "default-src 'self'") || strstr(csp, "unsafe") ||
            strstr(csp, "http"))
            fail_msg("%s: Content-Security-Policy %s", paths[k], csp ? csp : "missing");
        const char *nosniff = header(&r, "X-Content-Type-Options");
        assert_non_null(nosniff);
        assert_string_equal(nosniff, "nosniff");
        if (!strncmp(paths[k], "/api/", 5)) {
            assert_string_equal(header(&r, "Content-Type"), "application/json");
            assert_string_equal(header(&r, "Cache-Control"), "no-store");
            json_object_put(strict_json(r.body, paths[k]));
        } else {
            /* Nothing from elsewhere: no absolute URL in a page, script or style. */
            if (strstr(r.body, "http://") || strstr(r.body, "https://") || strstr(r.body, "//cdn"))
                fail_msg("%s refers to another origin", paths[k]);
        }
        reply_free(&r);
    }

    /* The rest of the ballots arrive a group at a time; the counts grow. */
    int64_t seen[64], last = -1;
    int n_seen = 0;
    int64_t src_pages = 0;
    char *dom_mid = NULL, *dom_op_mid = NULL;
    for (int i = FIRST; i < N_BALLOTS; i += GROUP) {
        for (int k = i; k < i + GROUP && k < N_BALLOTS; k++)
            feed(src, hot, k);
        for (int p = 0; p < 4; p++) {
            int64_t pages = poll_public(sv.port, times, &n_times, NULL);
            assert_true(pages >= last);
            if (pages != last && n_seen < 64)
                seen[n_seen++] = pages;
            last = pages;
            scan_sleep_ms(150);
        }
        if (i == FIRST + 2 * GROUP) {
            /* The hot folder as a source, on its station, while it counts. */
            source_counting(sv.port, hot, &src_pages);
            snprintf(url, sizeof url, "http://127.0.0.1:%d/", sv.port);
            dom_mid = browser_dom(dir, url);
            snprintf(url, sizeof url, "http://127.0.0.1:%d/operator", sv.port);
            dom_op_mid = browser_dom(dir, url);
        }
    }
    double end = scan_now() + 60;
    json_object *doc = NULL;
    while (poll_public(sv.port, times, &n_times, &doc) < N_BALLOTS) {
        json_object_put(doc);
        doc = NULL;
        if (scan_now() > end)
            fail_msg("the public display never reached %d pages", N_BALLOTS);
        scan_sleep_ms(200);
    }
    if (seen[n_seen - 1] != N_BALLOTS)
        seen[n_seen++] = N_BALLOTS;
    print_message("public pages seen growing: ");
    for (int k = 0; k < n_seen; k++)
        print_message("%lld ", (long long)seen[k]);
    print_message("\n");
    if (n_seen < 3)
        fail_msg("the counts were seen at only %d values while the scan ran", n_seen);

    /* The browser mid-way showed what the server had then. */
    long mid = body_data(dom_mid, "pages");
    if (mid < 1 || mid > N_BALLOTS || body_data(dom_mid, "loaded") < 1)
        fail_msg("mid-scan the public display showed %ld pages: %.2000s", mid, dom_mid);
    assert_non_null(strstr(dom_mid, "<td>0668::SB3</td>"));
    free(dom_mid);
    /* The operator view mid-way: the folder, its station and pages. */
    char opcell[4600];
    snprintf(opcell, sizeof opcell, "<td>folder1 (folder:%s)</td><td class=\"src-", hot);
    const char *row = strstr(dom_op_mid, opcell);
    if (!row || !strstr(row, "</td><td>0668::SB3</td>") ||
        !strstr(dom_op_mid, "<th data-t=\"source\">Bron</th>"))
        fail_msg("mid-scan the operator view lacks %s on 0668::SB3: %.4000s", opcell, dom_op_mid);
    static const char cells[] = "0668::SB3</td><td class=\"n\">-</td><td class=\"n\">";
    const char *at = strstr(row, cells);
    if (!at)
        fail_msg("mid-scan folder1's row has no batch and pages: %.2000s", row);
    long shown = atol(at + strlen(cells));
    if (shown < src_pages || shown > N_BALLOTS)
        fail_msg("mid-scan the operator view shows %ld pages of folder1, its document said "
                 "%lld", shown, (long long)src_pages);
    free(dom_op_mid);

    /* At the end it shows every ballot, the municipality's H and each list. */
    int64_t H = jint_at(doc, "totals", "H");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", sv.port);
    char *dom = browser_dom(dir, url);
    if (body_data(dom, "pages") != N_BALLOTS || body_data(dom, "h") != H)
        fail_msg("the public display shows %ld pages and H %ld, not %d and %lld: %.3000s",
                 body_data(dom, "pages"), body_data(dom, "h"), N_BALLOTS, (long long)H, dom);
    json_object *lists = th_json_get(th_json_get(doc, "totals"), "lists");
    for (size_t l = 0; l < json_object_array_length(lists); l++) {
        json_object *lj = json_object_array_get_idx(lists, l);
        char cell[512];
        snprintf(cell, sizeof cell, "<td>%d. %s</td><td class=\"n\">%d</td>",
                 th_json_int(lj, "number"), th_json_str(lj, "name"), th_json_int(lj, "total"));
        if (!strstr(dom, cell))
            fail_msg("the public display lacks %s: %.3000s", cell, dom);
    }
    assert_non_null(strstr(dom, "Centrale stemopneming"));
    free(dom);
    /* In English. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/?lang=en", sv.port);
    dom = browser_dom(dir, url);
    assert_non_null(strstr(dom, "Polling stations"));
    assert_non_null(strstr(dom, "<html lang=\"en\""));
    assert_int_equal(body_data(dom, "pages"), N_BALLOTS);
    free(dom);

    /* Nothing on the public display points at a ballot: no file, no hash,
     * no page id. */
    http_reply r;
    assert_int_equal(http_get("127.0.0.1", sv.port, "/api/public", NULL, NULL, &r), 0);
    if (strstr(r.body, ".tif") || strstr(r.body, "sha256") || strstr(r.body, "\"file\"") ||
        strstr(r.body, "recent"))
        fail_msg("the public document names ballots: %s", r.body);
    reply_free(&r);

    /* The operator view: every page, the latest ones, the same figures. */
    assert_int_equal(http_get("127.0.0.1", sv.port, "/api/operator", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    json_object *op = strict_json(r.body, "/api/operator");
    assert_int_equal(jint_at(op, "pages", NULL), N_BALLOTS);
    assert_int_equal(jint_at(op, "totals", "H"), H);
    json_object *recent = th_json_get(op, "recent");
    assert_int_equal(json_object_array_length(recent), 20);
    json_object *newest = json_object_array_get_idx(recent, 19);
    assert_int_equal(th_json_int(newest, "id"), N_BALLOTS);
    assert_string_equal(th_json_str(newest, "station"), "0668::SB3");
    assert_non_null(strstr(th_json_str(newest, "file"), "scan-"));
    assert_non_null(th_json_get(op, "warnings"));
    json_object *srcs = th_json_get(op, "sources");
    assert_int_equal(json_object_array_length(srcs), 1);
    json_object *src0 = json_object_array_get_idx(srcs, 0);
    assert_string_equal(th_json_str(src0, "name"), "folder1");
    assert_int_equal(th_json_int(src0, "pages"), N_BALLOTS);
    assert_int_equal(th_json_int(src0, "last_id"), N_BALLOTS);
    assert_string_equal(th_json_str(src0, "last_file"), "scan-000040.tif");
    json_object_put(op);
    reply_free(&r);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/operator", sv.port);
    dom = browser_dom(dir, url);
    assert_int_equal(body_data(dom, "pages"), N_BALLOTS);
    assert_non_null(strstr(dom, "scan-000040.tif:0"));
    free(dom);

    /* The reconciliation: the JSON of `stemtel reconcile`, shown. */
    assert_int_equal(http_get("127.0.0.1", sv.port, "/api/reconcile", NULL, NULL, &r), 0);
    json_object *rec = strict_json(r.body, "/api/reconcile");
    assert_int_equal(json_object_array_length(th_json_get(rec, "stations")), 1);
    char want[128];
    snprintf(want, sizeof want, "class=\"state-%s\"",
             th_json_str(json_object_array_get_idx(th_json_get(rec, "stations"), 0), "state"));
    json_object_put(rec);
    reply_free(&r);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/reconcile", sv.port);
    dom = browser_dom(dir, url);
    assert_non_null(strstr(dom, "0668::SB3"));
    if (!strstr(dom, want) || !strstr(dom, "Nog geen definitieve uitslag"))
        fail_msg("the reconciliation lacks %s: %.3000s", want, dom);
    free(dom);

    int rc = scan_reap(scan);
    if (rc != 0) {
        char *text = th_slurp(log, NULL);
        fail_msg("scan failed (%d): %s", rc, text ? text : "");
    }
    serve_stop(&sv);

    qsort(times, (size_t)n_times, sizeof *times, cmp_double);
    print_message("/api/public while scanning: %d answers, median %.1f ms, max %.1f ms\n",
                  n_times, 1000 * times[n_times / 2], 1000 * times[n_times - 1]);
    /* Loose: a shared 2-core machine running a scan at full speed. */
    if (times[n_times / 2] > 0.5)
        fail_msg("the public JSON took %.0f ms (median)", 1000 * times[n_times / 2]);
    json_object_put(doc);
    free(model);
    th_rmtree(dir);
    free(dir);
}

/* A store in dir (its path into store, 4400 bytes) of synth's ballots
 * drawn with options opts, counted under 0668::SB1 by `stemtel count`. */
static void synth_store(const char *dir, const char *opts, char *store)
{
    char *model = th_root(SCAN_MODEL);
    char src[4300];
    snprintf(src, sizeof src, "%s/src", dir);
    scan_synth(src, opts);
    snprintf(store, 4400, "%s/cso.db", dir);
    RUN_OK("count --model '%s' --station 0668::SB1 --store '%s' --out '%s/c' '%s'", model, store,
           dir, src);
    free(model);
}

/* A store with n ballots of seed 3 under 0668::SB1; its path into store. */
static void counted_store(const char *dir, int n, char *store)
{
    char opts[128];
    snprintf(opts, sizeof opts, "--count %d --seed 3 --dpi 200 --format grey-jpeg", n);
    synth_store(dir, opts, store);
}

static void small_store(const char *dir, char *store)
{
    counted_store(dir, 3, store);
}

/* This machine's first IPv4 address that is not loopback, or 0. */
static int other_address(char *ip, size_t n)
{
    struct ifaddrs *ifs, *i;
    int found = 0;
    if (getifaddrs(&ifs) != 0)
        return 0;
    for (i = ifs; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || (i->ifa_flags & IFF_LOOPBACK) ||
            !(i->ifa_flags & IFF_UP))
            continue;
        struct sockaddr_in *a = (struct sockaddr_in *)i->ifa_addr;
        if (inet_ntop(AF_INET, &a->sin_addr, ip, (socklen_t)n))
            found = 1;
    }
    freeifaddrs(ifs);
    return found;
}

static int status_of(const char *ip, int port, const char *path, const char *host)
{
    http_reply r;
    if (http_get(ip, port, path, host, NULL, &r))
        fail_msg("no answer from %s:%d", ip, port);
    int s = r.status;
    reply_free(&r);
    return s;
}

/* On an address other than loopback only the public display is served
 * unless --allow-decisions; on loopback only requests naming it. */
static void test_serve_other_address_serves_only_the_public_display(void **state)
{
    char *dir = th_tmpdir(), store[4400], ip[64], args[4500];
    if (!other_address(ip, sizeof ip)) {
        print_message("no IPv4 address other than loopback here; skipped\n");
        th_rmtree(dir);
        free(dir);
        skip();
    }
    small_store(dir, store);
    snprintf(args, sizeof args, "--store '%s'", store);
    served sv;
    serve_start(&sv, dir, ip, args);
    char *text = th_slurp(sv.log, NULL);
    assert_non_null(strstr(text, "the public display only"));
    free(text);
    assert_int_equal(status_of(ip, sv.port, "/", NULL), 200);
    assert_int_equal(status_of(ip, sv.port, "/app.js", NULL), 200);
    assert_int_equal(status_of(ip, sv.port, "/app.css", NULL), 200);
    assert_int_equal(status_of(ip, sv.port, "/api/public", NULL), 200);
    const char *hidden[] = {"/operator", "/api/operator", "/reconcile", "/api/reconcile",
                            "/api/decide", "/nothing", "/desk", "/login", "/desk.js",
                            "/api/desk", "/api/ballot?id=1", "/page.png?id=1", "/api/me"};
    for (size_t k = 0; k < sizeof hidden / sizeof hidden[0]; k++)
        if (status_of(ip, sv.port, hidden[k], NULL) != 404)
            fail_msg("%s served on %s without --allow-decisions", hidden[k], ip);
    http_reply r;
    assert_int_equal(http_send(ip, sv.port, "/login", NULL, "POST", NULL,
                               "member=Jan&password=korenbloem-42", &r), 0);
    assert_int_equal(r.status, 404);
    reply_free(&r);
    assert_int_equal(http_send(ip, sv.port, "/export", NULL, "POST", NULL, "csrf=x", &r), 0);
    assert_int_equal(r.status, 404);
    reply_free(&r);
    serve_stop(&sv);

    snprintf(args, sizeof args, "--store '%s' --allow-decisions", store);
    serve_start(&sv, dir, ip, args);
    assert_int_equal(status_of(ip, sv.port, "/operator", NULL), 200);
    assert_int_equal(status_of(ip, sv.port, "/api/operator", NULL), 200);
    assert_int_equal(status_of(ip, sv.port, "/login", NULL), 200);
    assert_int_equal(status_of(ip, sv.port, "/api/desk", NULL), 401);
    serve_stop(&sv);
    th_rmtree(dir);
    free(dir);
}

/* On loopback a request must name the server's own address (a page
 * elsewhere cannot read it through a name pointed at 127.0.0.1), and
 * nothing but GET and HEAD is answered. */
static void test_serve_loopback_answers_only_its_own_name(void **state)
{
    char *dir = th_tmpdir(), store[4400], args[4500], host[64];
    small_store(dir, store);
    snprintf(args, sizeof args, "--store '%s'", store);
    served sv;
    serve_start(&sv, dir, "127.0.0.1", args);
    snprintf(host, sizeof host, "localhost:%d", sv.port);
    assert_int_equal(status_of("127.0.0.1", sv.port, "/api/operator", host), 200);
    snprintf(host, sizeof host, "attacker.example:%d", sv.port);
    assert_int_equal(status_of("127.0.0.1", sv.port, "/api/operator", host), 421);
    assert_int_equal(status_of("127.0.0.1", sv.port, "/", host), 421);
    http_reply r;
    assert_int_equal(http_get("127.0.0.1", sv.port, "/api/public", NULL, "POST", &r), 0);
    assert_int_equal(r.status, 405);
    reply_free(&r);
    assert_int_equal(http_get("127.0.0.1", sv.port, "/api/public", NULL, "HEAD", &r), 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "");
    reply_free(&r);
    serve_stop(&sv);
    th_rmtree(dir);
    free(dir);
}

/* Wrong use is said before anything is served. */
static void test_serve_refuses_a_bad_address_and_a_missing_store(void **state)
{
    char *dir = th_tmpdir(), *out = NULL, store[4400];
    assert_int_equal(th_run(&out, "serve --store '%s/none.db'", dir), 1);
    assert_non_null(strstr(out, "no such store"));
    free(out);
    small_store(dir, store);
    const char *bad[] = {"8080", "127.0.0.1", "127.0.0.1:99999", "127.0.0.1:x", "nohost:80",
                         "[::1:80"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int rc = th_run(&out, "serve --store '%s' --listen '%s'", store, bad[k]);
        if (rc != 2 || !strstr(out, "--listen"))
            fail_msg("--listen %s: exit %d: %s", bad[k], rc, out);
        free(out);
    }
    assert_int_equal(th_run(&out, "serve"), 2);
    free(out);
    th_rmtree(dir);
    free(dir);
}

/* The store tells a reader when another process committed (a screen
 * keeps its figures until then) and gives the latest pages alone. */
static int keep_id(void *ctx, st_store_ballot *b)
{
    int64_t *ids = ctx;
    ids[ids[0]++ + 1] = b->id;
    return ST_OK;
}

static void test_serve_store_says_when_it_changed_and_its_latest_pages(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(SCAN_MODEL), store[4400], more[4300];
    st_error err = {0};
    st_store *s = NULL;
    int64_t v1, v2, v3, ids[16] = {0};
    small_store(dir, store);
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    assert_st_ok(st_store_data_version(s, &v1, &err), &err);
    assert_st_ok(st_store_data_version(s, &v2, &err), &err);
    assert_true(v1 == v2);
    snprintf(more, sizeof more, "%s/more", dir);
    scan_synth(more, "--count 2 --seed 9 --dpi 200 --format grey-jpeg");
    RUN_OK("count --model '%s' --station 0668::SB2 --store '%s' --out '%s/c2' '%s'", model,
           store, dir, more);
    assert_st_ok(st_store_data_version(s, &v3, &err), &err);
    assert_true(v3 != v2);
    assert_st_ok(st_store_each_recent(s, 2, keep_id, ids, &err), &err);
    assert_int_equal(ids[0], 2);
    assert_int_equal(ids[1], 4);
    assert_int_equal(ids[2], 5);
    memset(ids, 0, sizeof ids);
    assert_st_ok(st_store_each_recent(s, 10, keep_id, ids, &err), &err);
    assert_int_equal(ids[0], 5);
    assert_int_equal(st_store_each_recent(s, 0, keep_id, ids, &err), ST_ERR_ARG);
    st_store_close(s);
    free(model);
    th_rmtree(dir);
    free(dir);
}

/* The stored line of member name's password, malloc'd; NULL if none. */
/* Each source of the latest run, read back from the pages the scan
 * committed with its name: a folder whose path has a space, one that
 * went quiet while the other still counts (idle, and a warning), and one
 * that has no page yet. */
static void test_serve_operator_sees_a_source_go_quiet_while_another_counts(void **state)
{
    char *dir = th_tmpdir(), *path = th_root(SCAN_MODEL), store[4400], file[4400], sha[65];
    st_error err = {0};
    st_model *m = NULL;
    st_store *s = NULL;
    st_outcome blank = {0};
    blank.kind = ST_OUTCOME_BLANK;
    blank.proposal = ST_OUTCOME_BLANK;
    snprintf(store, sizeof store, "%s/s.db", dir);
    assert_st_ok(st_model_load_checked(path, &m, &err), &err);
    assert_st_ok(st_store_open(store, m, &s, &err), &err);
    assert_st_ok(st_store_begin_batch(s, "0668::SB1", "folder:/srv/scan one folder:/srv/scan2 "
                                      "sane:fujitsu:fi-7160:1", &err), &err);
    double t0 = st_clock_wall();
    for (int k = 0; k < 4; k++) {
        int skipped = 0;
        snprintf(file, sizeof file, "%s/p%d.tif", dir, k);
        snprintf(sha, sizeof sha, "%064d", k + 1);
        st_store_page p = {file, 0, sha, "0668::SB1", &blank, "{}", k < 2 ? "folder1" : "folder2",
                           k + 1};
        assert_st_ok(st_store_commit(s, &p, 1, &skipped, &err), &err);
        assert_int_equal(skipped, 0);
        if (k == 1)
            scan_sleep_ms(1500); /* folder1's last page, then folder2's */
    }
    st_store_close(s);
    st_model_free(m);
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    st_recon *r = NULL;
    char *text = NULL;
    assert_st_ok(st_reconcile(s, &r, &err), &err);
    /* Ten and a bit seconds after folder1's last page, folder2's in the
     * last ten. */
    assert_st_ok(st_screen_operator_json(s, r, 20, 50, t0 + 10.8, &text, &err), &err);
    json_object *op = strict_json(text, "operator");
    json_object *src = th_json_get(op, "sources");
    assert_int_equal(json_object_array_length(src), 3);
    json_object *a = json_object_array_get_idx(src, 0), *b = json_object_array_get_idx(src, 1),
                *c = json_object_array_get_idx(src, 2);
    assert_string_equal(th_json_str(a, "input"), "folder:/srv/scan one");
    assert_string_equal(th_json_str(a, "state"), "idle");
    assert_int_equal(th_json_int(a, "pages"), 2);
    assert_int_equal(th_json_int(a, "batch"), 2);
    assert_string_equal(th_json_str(a, "last_file"), "p1.tif");
    assert_string_equal(th_json_str(b, "name"), "folder2");
    assert_string_equal(th_json_str(b, "state"), "counting");
    assert_int_equal(th_json_int(b, "pages"), 2);
    assert_int_equal(th_json_int(b, "last_id"), 4);
    assert_string_equal(th_json_str(b, "station"), "0668::SB1");
    assert_string_equal(th_json_str(c, "name"), "sane3");
    assert_string_equal(th_json_str(c, "input"), "sane:fujitsu:fi-7160:1");
    assert_string_equal(th_json_str(c, "state"), "waiting");
    json_object *w = th_json_get(op, "warnings");
    json_object *last = json_object_array_get_idx(w, json_object_array_length(w) - 1);
    assert_string_equal(th_json_str(last, "kind"), "source_stopped");
    assert_string_equal(th_json_str(last, "source"), "folder1");
    json_object_put(op);
    free(text);
    /* Once both are quiet for long, neither is a warning: the scan ended. */
    assert_st_ok(st_screen_operator_json(s, r, 20, 50, t0 + 60, &text, &err), &err);
    assert_null(strstr(text, "source_stopped"));
    free(text);
    st_recon_free(r);
    st_store_close(s);
    free(path);
    th_rmtree(dir);
    free(dir);
}

static char *stored_password(const char *store, const char *name)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char *line = NULL;
    assert_int_equal(sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT hash FROM passwords WHERE member=?1", -1,
                                        &q, NULL), SQLITE_OK);
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(q) == SQLITE_ROW)
        line = strdup((const char *)sqlite3_column_text(q, 0));
    sqlite3_finalize(q);
    sqlite3_close(db);
    return line;
}

/* `members passwd` reads the password from stdin, never the command
 * line, and keeps only a salted PBKDF2 hash: two members with the same
 * password get different lines; a login checks it. */
static void test_serve_members_passwd_keeps_only_a_salted_hash(void **state)
{
    char *dir = th_tmpdir(), store[4400], *out = NULL, pw[4400], shortpw[4400];
    st_error err = {0};
    small_store(dir, store);
    snprintf(pw, sizeof pw, "%s/pw", dir);
    snprintf(shortpw, sizeof shortpw, "%s/short", dir);
    th_write(pw, "korenbloem-42\n");
    th_write(shortpw, "kort\n");
    RUN_OK("members add Jan --role voorzitter --store '%s'", store);
    RUN_OK("members add Piet --role lid --store '%s'", store);
    RUN_OK("members passwd Jan --store '%s' <'%s'", store, pw);
    RUN_OK("members passwd Piet --store '%s' <'%s'", store, pw);
    /* On the command line it is a usage error: ps would show it. */
    assert_int_equal(th_run(&out, "members passwd Jan korenbloem-42 --store '%s'", store), 2);
    free(out);
    assert_int_equal(th_run(&out, "members passwd Jan --store '%s' <'%s'", store, shortpw), 1);
    assert_non_null(strstr(out, "8 to 256 bytes"));
    free(out);
    assert_int_equal(th_run(&out, "members passwd Kees --store '%s' <'%s'", store, pw), 1);
    assert_non_null(strstr(out, "no member \"Kees\""));
    free(out);
    char *jan = stored_password(store, "Jan"), *piet = stored_password(store, "Piet");
    assert_non_null(jan);
    assert_non_null(piet);
    assert_null(strstr(jan, "korenbloem"));
    assert_int_equal(strncmp(jan, "pbkdf2-sha256$600000$", 21), 0);
    assert_string_not_equal(jan, piet);
    free(jan);
    free(piet);

    st_store *s = NULL;
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    assert_st_ok(st_store_member_login(s, "Jan", "korenbloem-42", &err), &err);
    assert_int_equal(st_store_member_login(s, "Jan", "korenbloem-43", &err), ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "wrong name or password"));
    assert_int_equal(st_store_member_login(s, "Kees", "korenbloem-42", &err), ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "wrong name or password"));
    st_store_close(s);
    th_rmtree(dir);
    free(dir);
}

/* A member Jan with password korenbloem-42 in store. */
static void member_with_password(const char *dir, const char *store)
{
    char pw[4400];
    snprintf(pw, sizeof pw, "%s/pw", dir);
    th_write(pw, "korenbloem-42\n");
    RUN_OK("members add Jan --role voorzitter --store '%s'", store);
    RUN_OK("members passwd Jan --store '%s' <'%s'", store, pw);
}

/* A small store in dir (its path into store) with member Jan, served on
 * loopback. */
static void desk_served(const char *dir, char *store, served *sv)
{
    small_store(dir, store);
    member_with_password(dir, store);
    serve_store(sv, dir, store);
}

/* POST body to path with the cookie header line cookie (NULL: none); the
 * status, the answer in *r when r is not NULL. */
static int post(int port, const char *path, const char *cookie, const char *body, http_reply *r)
{
    http_reply own;
    if (http_send("127.0.0.1", port, path, NULL, "POST", cookie, body, r ? r : &own))
        fail_msg("no answer from serve");
    int status = r ? r->status : own.status;
    if (!r)
        reply_free(&own);
    return status;
}

/* The session cookie a login answer sets, as a request header line, into
 * line (n bytes). */
static void session_cookie(const http_reply *r, char *line, size_t n)
{
    const char *set = header(r, "Set-Cookie");
    if (!set || !strstr(set, "HttpOnly") || !strstr(set, "SameSite=Strict") ||
        !strstr(set, "Path=/"))
        fail_msg("the login set the cookie %s", set ? set : "(none)");
    snprintf(line, n, "Cookie: %.*s\r\n", (int)strcspn(set, ";"), set);
}

/* The desk's JSON with cookie, parsed strictly. */
static json_object *desk_doc(int port, const char *cookie)
{
    http_reply r;
    assert_int_equal(http_send("127.0.0.1", port, "/api/desk", NULL, NULL, cookie, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("/api/desk: %d %s", r.status, r.body);
    json_object *d = strict_json(r.body, "/api/desk");
    reply_free(&r);
    return d;
}

/* The CSRF token of the session of cookie, from /api/me (static). */
static const char *session_csrf(int port, const char *cookie)
{
    static char csrf[80];
    http_reply r;
    assert_int_equal(http_send("127.0.0.1", port, "/api/me", NULL, NULL, cookie, NULL, &r), 0);
    if (r.status != 200)
        fail_msg("/api/me: %d %s", r.status, r.body);
    json_object *d = strict_json(r.body, "/api/me");
    snprintf(csrf, sizeof csrf, "%s", th_json_str(d, "csrf"));
    assert_string_equal(th_json_str(d, "member"), "Jan");
    json_object_put(d);
    reply_free(&r);
    assert_int_equal(strlen(csrf), 64);
    return csrf;
}

/* The desk answers only a logged-in member: its page sends others to the
 * login, its documents and every change answer 401; a change without the
 * session's CSRF token, or from another origin, 403; a decision with it
 * is recorded under the member; five wrong passwords a minute and the
 * address is refused (429), the right one too; logging out ends it. */
static void test_serve_desk_needs_a_login_and_the_csrf_token(void **state)
{
    char *dir = th_tmpdir(), store[4400], cookie[256], body[512];
    served sv;
    desk_served(dir, store, &sv);
    http_reply r;

    assert_int_equal(http_get("127.0.0.1", sv.port, "/desk", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 303);
    assert_string_equal(header(&r, "Location"), "/login");
    reply_free(&r);
    assert_int_equal(status_of("127.0.0.1", sv.port, "/api/desk", NULL), 401);
    assert_int_equal(status_of("127.0.0.1", sv.port, "/api/ballot?id=1", NULL), 401);
    assert_int_equal(status_of("127.0.0.1", sv.port, "/page.png?id=1", NULL), 401);
    assert_int_equal(post(sv.port, "/decide", NULL, "id=1&as=blank", NULL), 401);
    assert_int_equal(status_of("127.0.0.1", sv.port, "/login", NULL), 200);

    assert_int_equal(post(sv.port, "/login", NULL, "member=Jan&password=korenbloem-43", NULL),
                     401);
    assert_int_equal(post(sv.port, "/login", NULL, "member=Jan&password=korenbloem-42", &r), 303);
    assert_string_equal(header(&r, "Location"), "/desk");
    session_cookie(&r, cookie, sizeof cookie);
    reply_free(&r);

    json_object *d = desk_doc(sv.port, cookie);
    assert_string_equal(th_json_str(d, "member"), "Jan");
    char csrf[80];
    snprintf(csrf, sizeof csrf, "%s", th_json_str(d, "csrf"));
    assert_int_equal(strlen(csrf), 64);
    assert_non_null(th_json_get(d, "queue"));
    json_object_put(d);
    const char *pages[] = {"/desk", "/login", "/desk.js", "/desk.css", "/api/ballot?id=1",
                           "/page.png?id=1"};
    for (size_t k = 0; k < sizeof pages / sizeof pages[0]; k++) {
        assert_int_equal(http_send("127.0.0.1", sv.port, pages[k], NULL, NULL, cookie, NULL, &r),
                         0);
        const char *csp = header(&r, "Content-Security-Policy");
        if (r.status != 200 || !csp || !strstr(csp, "default-src 'self'"))
            fail_msg("%s: %d, CSP %s", pages[k], r.status, csp ? csp : "missing");
        if (!strcmp(pages[k], "/page.png?id=1"))
            assert_int_equal(memcmp(r.body, "\x89PNG", 4), 0);
        reply_free(&r);
    }

    assert_int_equal(post(sv.port, "/decide", cookie, "id=1&as=blank", NULL), 403);
    snprintf(body, sizeof body, "id=1&as=blank&csrf=%.63s%c", csrf, csrf[63] == 'a' ? 'b' : 'a');
    assert_int_equal(post(sv.port, "/decide", cookie, body, NULL), 403);
    char evil[512];
    snprintf(evil, sizeof evil, "%sOrigin: http://attacker.example\r\n", cookie);
    snprintf(body, sizeof body, "id=1&as=blank&csrf=%s", csrf);
    assert_int_equal(post(sv.port, "/decide", evil, body, NULL), 403);
    snprintf(body, sizeof body, "id=1&as=invalid:bogus&csrf=%s", csrf);
    assert_int_equal(post(sv.port, "/decide", cookie, body, NULL), 400);
    snprintf(body, sizeof body, "id=1&as=blank&csrf=%s", csrf);
    assert_int_equal(post(sv.port, "/decide", cookie, body, NULL), 200);
    st_error err = {0};
    st_store *s = NULL;
    st_store_ballot b;
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    assert_st_ok(st_store_get(s, 1, &b, &err), &err);
    assert_true(b.decided);
    assert_int_equal(b.decision.kind, ST_OUTCOME_BLANK);
    assert_string_equal(b.decided_by, "Jan");
    assert_non_null(b.decided_at);
    st_store_ballot_clear(&b);
    st_store_close(s);

    /* One failure above; four more, then the address is refused. */
    for (int k = 0; k < 4; k++)
        assert_int_equal(post(sv.port, "/login", NULL, "member=Jan&password=wrong-one", NULL),
                         401);
    assert_int_equal(post(sv.port, "/login", NULL, "member=Jan&password=wrong-one", NULL), 429);
    assert_int_equal(post(sv.port, "/login", NULL, "member=Jan&password=korenbloem-42", NULL),
                     429);

    snprintf(body, sizeof body, "csrf=%s", csrf);
    assert_int_equal(post(sv.port, "/logout", cookie, body, &r), 303);
    assert_non_null(strstr(header(&r, "Set-Cookie"), "Max-Age=0"));
    reply_free(&r);
    assert_int_equal(http_send("127.0.0.1", sv.port, "/api/desk", NULL, NULL, cookie, NULL, &r),
                     0);
    assert_int_equal(r.status, 401);
    reply_free(&r);
    serve_stop(&sv);
    th_rmtree(dir);
    free(dir);
}


/* Figure name ("F", "review", ...) of `stemtel tally --store`. */
static long tally_figure(const char *dir, const char *store, const char *name)
{
    char *out = NULL, key[32];
    assert_int_equal(th_run(&out, "tally --store '%s' --out '%s/tally'", store, dir), 0);
    snprintf(key, sizeof key, " %s ", name);
    char line[512];
    snprintf(line, sizeof line, " %s", out);
    const char *at = strstr(line, key);
    if (!at)
        fail_msg("tally says no %s: %s", name, out);
    free(out);
    return atol(at + strlen(key));
}

/* Ballot id of store is decided blank by `by`, confirmed by `confirmed`
 * (NULL: by nobody, four eyes off) no earlier than it was proposed. */
static void assert_decided_blank(const char *store, long id, const char *by,
                                 const char *confirmed)
{
    st_error err = {0};
    st_store *s = NULL;
    st_store_ballot bal;
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    assert_st_ok(st_store_get(s, id, &bal, &err), &err);
    assert_true(bal.decided);
    assert_int_equal(bal.decision.kind, ST_OUTCOME_BLANK);
    assert_string_equal(bal.decided_by, by);
    if (confirmed) {
        assert_non_null(bal.confirmed_by);
        assert_string_equal(bal.confirmed_by, confirmed);
        assert_true(strcmp(bal.decided_at, bal.confirmed_at) <= 0);
    } else {
        assert_null(bal.confirmed_by);
    }
    st_store_ballot_clear(&bal);
    st_store_close(s);
}

/* Log member in with password over HTTP; the session cookie into
 * cookie and its CSRF token into csrf (80 bytes). */
static void http_login(int port, const char *member, const char *password, char *cookie,
                       size_t n, char *csrf)
{
    char body[256];
    http_reply r;
    snprintf(body, sizeof body, "member=%s&password=%s", member, password);
    assert_int_equal(post(port, "/login", NULL, body, &r), 303);
    session_cookie(&r, cookie, n);
    reply_free(&r);
    json_object *d = desk_doc(port, cookie);
    snprintf(csrf, 80, "%s", th_json_str(d, "csrf"));
    json_object_put(d);
}

/* How many proposals wait on ballot id of store (0 or 1), insisting
 * that it has no decision. */
static int count_pending(void *ctx, const st_store_proposal *p)
{
    (*(int *)ctx)++;
    return 0;
}

static int pending_on(const char *store, long id)
{
    st_error err = {0};
    st_store *s = NULL;
    st_store_ballot b;
    int n = 0;
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    assert_st_ok(st_store_get(s, id, &b, &err), &err);
    assert_false(b.decided);
    assert_st_ok(st_store_pending_each(s, id, count_pending, &n, &err), &err);
    st_store_ballot_clear(&b);
    st_store_close(s);
    return n;
}

/* Vier ogen from the store: serve without --four-eyes follows the rule
 * the voorzitter switches with `review rule` while it runs; the desk says
 * so, a decision becomes a proposal, and a second member's confirmation
 * makes it count. */
static void test_serve_desk_follows_the_stores_four_eyes_rule(void **state)
{
    char *dir = th_tmpdir(), store[4400], jan[256], piet[256], jcsrf[80], pcsrf[80];
    char body[512], pw[4400];
    served sv;
    desk_served(dir, store, &sv);
    snprintf(pw, sizeof pw, "%s/pw2", dir);
    th_write(pw, "klaproos-77\n");
    RUN_OK("members add Piet --role lid --store '%s'", store);
    RUN_OK("members passwd Piet --store '%s' <'%s'", store, pw);
    http_login(sv.port, "Jan", "korenbloem-42", jan, sizeof jan, jcsrf);
    json_object *d = desk_doc(sv.port, jan);
    assert_false(json_object_get_boolean(th_json_get(d, "four_eyes")));
    json_object_put(d);
    snprintf(body, sizeof body, "id=1&as=blank&csrf=%s", jcsrf);
    assert_int_equal(post(sv.port, "/decide", jan, body, NULL), 200);
    assert_decided_blank(store, 1, "Jan", NULL);

    /* Switched on while serve runs: the next decision only proposes, as
     * the rule is read at each one. */
    RUN_OK("review rule --four-eyes on --by Jan --store '%s'", store);
    snprintf(body, sizeof body, "id=2&as=blank&csrf=%s", jcsrf);
    assert_int_equal(post(sv.port, "/decide", jan, body, NULL), 200);
    assert_int_equal(pending_on(store, 2), 1);
    /* The desk's document says so once it is made again (the store
     * changed; within the refresh interval). */
    int said = 0;
    for (int k = 0; k < 50 && !said; k++) {
        d = desk_doc(sv.port, jan);
        said = json_object_get_boolean(th_json_get(d, "four_eyes"));
        json_object_put(d);
        if (!said)
            usleep(100000);
    }
    assert_true(said);
    snprintf(body, sizeof body, "id=2&csrf=%s", jcsrf);
    assert_int_equal(post(sv.port, "/confirm", jan, body, NULL), 400);
    http_login(sv.port, "Piet", "klaproos-77", piet, sizeof piet, pcsrf);
    snprintf(body, sizeof body, "id=2&csrf=%s", pcsrf);
    assert_int_equal(post(sv.port, "/confirm", piet, body, NULL), 200);
    assert_decided_blank(store, 2, "Jan", "Piet");
    serve_stop(&sv);
    th_rmtree(dir);
    free(dir);
}

/* The desk in a real browser: not logged in it sends chromium to the
 * login; a member logs in by typing and clicking, picks a ballot in the
 * queue, sees its page drawn and where the paper lies, and decides it by
 * clicking: the queue shrinks and `stemtel tally --store` counts one
 * more blank. Without the CSRF token the same session's POST is refused;
 * after logging out the desk answers 401; wrong passwords are limited. */
static void test_serve_desk_in_a_browser_decides_a_ballot_by_clicking(void **state)
{
    char *dir = th_tmpdir(), store[4400], url[256], js[512];
    counted_store(dir, 12, store);
    member_with_password(dir, store);
    served sv;
    serve_store(&sv, dir, store);
    long blank0 = tally_figure(dir, store, "F"), review0 = tally_figure(dir, store, "review");
    if (review0 < 2)
        fail_msg("the store has %ld ballots in review; the test wants two", review0);
    cdp b;
    cdp_start(&b, dir);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/desk", sv.port);
    cdp_go(&b, url);
    cdp_until(&b, "location.pathname === '/login' && !!document.getElementById('login-button')",
              "sent to the login");
    cdp_login(&b, "Jan", "korenbloem-42");
    cdp_until(&b, "location.pathname === '/desk' && +document.body.dataset.loaded >= 1 && "
                  "!!document.body.dataset.selected", "on the desk with a ballot shown");
    long queue0 = cdp_eval_int(&b, "+document.body.dataset.queue");
    assert_int_equal(queue0, review0);
    assert_int_equal(cdp_eval_int(&b, "document.querySelectorAll('#queue tbody tr').length"),
                     queue0);
    long id = cdp_eval_int(&b, "+document.querySelectorAll('#queue tbody tr')[1].dataset.id");
    cdp_click(&b, "#queue tbody tr:nth-child(2)");
    snprintf(js, sizeof js, "+document.body.dataset.selected === %ld && "
             "!!document.getElementById('d-blank') && document.getElementById('page').complete"
             " && document.getElementById('page').naturalWidth > 0", id);
    cdp_until(&b, js, "the chosen ballot with its page drawn");
    cdp_until(&b, "document.body.dataset.zoomed === document.body.dataset.selected && "
                  "document.querySelectorAll('#zoom figure, #zoom p').length > 0 && "
                  "document.querySelectorAll('#zoom canvas').length === "
                  "document.querySelectorAll('#boxes span').length",
              "every box with ink enlarged");
    /* Taller, so the image shows the drawn page below the buttons too. */
    cdp_viewport(&b, CDP_WIDTH, 1100);
    cdp_screenshot(&b, "desk.png");
    cdp_viewport(&b, CDP_WIDTH, CDP_HEIGHT);
    json_object *where = cdp_eval(&b, "document.getElementById('b-where').textContent");
    if (!strstr(json_object_get_string(where), "0668::SB1, batch 1, plaats "))
        fail_msg("the desk says the paper lies at %s", json_object_get_string(where));
    json_object_put(where);

    double t0 = scan_now();
    cdp_click(&b, "#d-blank");
    snprintf(js, sizeof js, "+document.body.dataset.decided === 1 && "
             "+document.body.dataset.queue === %ld && !document.getElementById('q-%ld')",
             queue0 - 1, id);
    cdp_until(&b, js, "the queue one shorter");
    double t1 = scan_now();
    snprintf(js, sizeof js, "+document.body.dataset.selected !== %ld && document.getElementById"
             "('page').src.indexOf('id=' + document.body.dataset.selected) > 0 && document."
             "getElementById('page').complete && document.getElementById('page').naturalWidth > 0",
             id);
    cdp_until(&b, js, "the next ballot's page");
    print_message("desk: click to queue updated %.0f ms, to the next ballot's page %.0f ms\n",
                  1000 * (t1 - t0), 1000 * (scan_now() - t0));
    assert_int_equal(tally_figure(dir, store, "F"), blank0 + 1);
    assert_int_equal(tally_figure(dir, store, "review"), review0 - 1);
    assert_decided_blank(store, id, "Jan", NULL);

    /* The desk in English. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/desk?lang=en", sv.port);
    cdp_go(&b, url);
    cdp_until(&b, "document.documentElement.lang === 'en' && "
                  "document.querySelector('h1').textContent === 'Adjudication desk'",
              "the desk in English");

    /* The session alone is not enough to change anything. */
    assert_int_equal(cdp_eval_int(&b, "fetch('/decide', {method: 'POST', body: new "
                                      "URLSearchParams({id: '1', as: 'blank'})})"
                                      ".then(function (r) { return r.status; })"), 403);
    cdp_click(&b, "#logout button");
    cdp_until(&b, "location.pathname === '/login' && document.readyState === 'complete'",
              "back at the login after logging out");
    assert_int_equal(cdp_eval_int(&b, "fetch('/api/desk').then(function (r) { return r.status; })"),
                     401);
    assert_int_equal(cdp_eval_int(&b, "fetch('/decide', {method: 'POST', body: new "
                                      "URLSearchParams({id: '1', as: 'blank'})})"
                                      ".then(function (r) { return r.status; })"), 401);

    /* Five wrong passwords, then even the right one waits. */
    for (int k = 0; k < 5; k++) {
        cdp_login(&b, "Jan", "not-the-password");
        cdp_until(&b, "document.getElementById('login-error').textContent.indexOf('Onjuiste')"
                      " === 0", "told the password was wrong");
    }
    cdp_login(&b, "Jan", "korenbloem-42");
    cdp_until(&b, "location.pathname === '/login' && document.getElementById('login-error')"
                  ".textContent.indexOf('Te veel') === 0", "told to wait");
    cdp_stop(&b);
    serve_stop(&sv);
    th_rmtree(dir);
    free(dir);
}

#define TELLING "results/Telling_GR2022_WestMaasenWaal.eml.xml"

/* A store in dir (its path into store, 4400 bytes) as in the middle of a
 * sitting, its ballots drawn by synth from the Kiesraad's count of West
 * Maas en Waal (GR2022): 0668::SB118 and 0668::SB119 counted and their
 * basistelling imported (so reconciled), 0668::SB116 counted with its
 * basistelling and a ballot left to people, 0668::SB120 a third counted
 * (by `scan`, from a hot folder) and no basistelling yet. */
static void sitting_store(const char *dir, char *store)
{
    static const struct {
        const char *id;
        int seed, basis;
        const char *files; /* a glob of the files counted */
    } st[] = {{"0668::SB118", 41, 1, "*.tif"},
              {"0668::SB119", 42, 1, "*.tif"},
              {"0668::SB116", 43, 1, "*.tif"},
              {"0668::SB120", 44, 0, "ballot-0000[0-3]?.tif"}};
    char *model = th_root(SCAN_MODEL), *telling = th_data(TELLING);
    char src[4300], part[4400];
    snprintf(store, 4400, "%s/cso.db", dir);
    for (size_t k = 0; k < sizeof st / sizeof st[0]; k++) {
        snprintf(src, sizeof src, "%s/%s", dir, st[k].id + strlen("0668::"));
        RUN_OK("synth '%s' --seed %d --dpi 150 --format grey-jpeg --votes-from '%s' "
               "--station %s --out '%s'", model, st[k].seed, telling, st[k].id, src);
        snprintf(part, sizeof part, "%s/part", src);
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "mkdir '%s' && cp '%s'/%s '%s'", part, src, st[k].files, part);
        assert_int_equal(system(cmd), 0);
        /* The last one from a hot folder, as `scan` counts it in a
         * sitting, so the operator view has a source to show. */
        if (k + 1 < sizeof st / sizeof st[0])
            RUN_OK("count --model '%s' --station %s --store '%s' --out '%s-out' '%s'", model,
                   st[k].id, store, src, part);
        else
            RUN_OK("scan --model '%s' --station %s --store '%s' --out '%s-out' "
                   "--source 'folder:%s' --settle-ms 100 --idle 1", model, st[k].id, store, src,
                   part);
    }
    /* The basistelling of the stations that have it, from the same 510b. */
    st_error err = {0};
    st_model *m = NULL;
    st_basis_set set = {0, NULL};
    st_store *s = NULL;
    assert_st_ok(st_model_load_checked(model, &m, &err), &err);
    assert_st_ok(st_basis_read_eml(telling, m, &set, &err), &err);
    int kept = 0;
    for (int i = 0; i < set.n; i++)
        for (size_t k = 0; k < sizeof st / sizeof st[0]; k++)
            if (st[k].basis && !strcmp(set.v[i].station, st[k].id)) {
                st_basis t = set.v[kept];
                set.v[kept++] = set.v[i];
                set.v[i] = t;
            }
    st_basis_set some = {kept, set.v};
    assert_int_equal(kept, 3);
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    assert_st_ok(st_basis_save(s, &some, telling, &err), &err);
    st_store_close(s);
    st_basis_set_free(&set);
    st_model_free(m);
    free(telling);
    free(model);
}

/* In chromium, go to path of the server on port and wait until its
 * script has filled it and ready holds (what names it); then the
 * screenshot png. */
static void screen_shown(cdp *b, int port, const char *path, const char *ready,
                         const char *what, const char *png)
{
    char url[256], js[2048];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    cdp_go(b, url);
    snprintf(js, sizeof js, "location.pathname === '%s' && +document.body.dataset.loaded >= 1 "
             "&& %s", path, ready);
    cdp_until(b, js, what);
    cdp_screenshot(b, png);
}

/* The public display, the operator view and the reconciliation of a
 * sitting half done, each in chromium as the room sees it (the README's
 * screenshots with $STEMTEL_SCREENSHOTS): every station with its state,
 * the two reconciled ones said so, the one with a ballot left to people
 * waiting for it, and what still blocks a final result. */
static void test_serve_screens_of_a_sitting_half_done_in_a_browser(void **state)
{
    char *dir = th_tmpdir(), store[4400];
    sitting_store(dir, store);
    member_with_password(dir, store);
    served sv;
    serve_store(&sv, dir, store);
    cdp b;
    cdp_start(&b, dir);

    /* Tall, so the image shows the reconciled stations' lists too. */
    cdp_viewport(&b, CDP_WIDTH, 2000);
    screen_shown(&b, sv.port, "/", "document.querySelectorAll('#stations tbody tr').length === 4"
                 " && document.querySelectorAll('#lists tbody tr').length > 0"
                 " && document.querySelectorAll('#basis table').length === 2",
                 "the public display with four stations, the lists and two reconciled",
                 "public.png");
    cdp_viewport(&b, CDP_WIDTH, CDP_HEIGHT);
    json_object *v = cdp_eval(&b, "document.getElementById('stations').textContent");
    const char *text = json_object_get_string(v);
    if (!strstr(text, "0668::SB118") || !strstr(text, "0668::SB120"))
        fail_msg("the public display shows %s", text);
    json_object_put(v);
    /* The reconciled stations' votes per list beside their basistelling's,
     * and no other station's. */
    http_reply r;
    assert_int_equal(http_get("127.0.0.1", sv.port, "/api/public", NULL, NULL, &r), 0);
    json_object *pub = strict_json(r.body, "/api/public");
    reply_free(&r);
    v = cdp_eval(&b, "document.getElementById('basis').innerHTML");
    const char *basis = json_object_get_string(v);
    json_object *sts = th_json_get(pub, "stations");
    int with_lists = 0;
    for (size_t k = 0; k < json_object_array_length(sts); k++) {
        json_object *st = json_object_array_get_idx(sts, k);
        json_object *lists = th_json_get(st, "lists");
        int reconciled = !strcmp(th_json_str(st, "state"), "reconciled");
        if (!lists != !reconciled)
            fail_msg("%s (%s) has lists %s", th_json_str(st, "id"), th_json_str(st, "state"),
                     lists ? "shown" : "missing");
        if (!lists)
            continue;
        with_lists++;
        const char *at = strstr(basis, th_json_str(st, "id"));
        if (!at)
            fail_msg("the public display lacks %s's lists: %s", th_json_str(st, "id"), basis);
        for (size_t l = 0; l < json_object_array_length(lists); l++) {
            json_object *lj = json_object_array_get_idx(lists, l);
            char cell[512];
            assert_int_equal(th_json_int(lj, "votes"), th_json_int(lj, "basis"));
            snprintf(cell, sizeof cell, "<td>%d. %s</td><td class=\"n\">%d</td><td class=\"n\">"
                     "%d</td>", th_json_int(lj, "number"), th_json_str(lj, "name"),
                     th_json_int(lj, "votes"), th_json_int(lj, "basis"));
            if (!strstr(at, cell))
                fail_msg("the public display lacks %s for %s: %s", cell, th_json_str(st, "id"),
                         basis);
        }
    }
    assert_int_equal(with_lists, 2);
    json_object_put(v);
    json_object_put(pub);
    screen_shown(&b, sv.port, "/operator",
                 "document.querySelectorAll('#stations tbody tr').length === 4 && "
                 "document.querySelectorAll('#recent tbody tr').length === 20 && "
                 "document.querySelectorAll('#sources tbody tr').length === 1 && "
                 "document.querySelectorAll('#blocks li').length > 0",
                 "the operator view with its source, stations, last pages and blocks",
                 "operator.png");
    v = cdp_eval(&b, "document.querySelector('#sources tbody tr').textContent");
    if (!strstr(json_object_get_string(v), "folder1 (folder:") ||
        !strstr(json_object_get_string(v), "0668::SB120"))
        fail_msg("the operator view's source: %s", json_object_get_string(v));
    json_object_put(v);
    /* What blocks a result, in Dutch; in English with the switch. */
    v = cdp_eval(&b, "document.getElementById('blocks').textContent");
    if (!strstr(json_object_get_string(v), "0668::SB120: ") ||
        strstr(json_object_get_string(v), "no basistelling") ||
        strstr(json_object_get_string(v), "waiting for review"))
        fail_msg("the operator's blocks are not in Dutch: %s", json_object_get_string(v));
    json_object_put(v);
    screen_shown(&b, sv.port, "/reconcile",
                 "document.querySelectorAll('#recon .state-reconciled').length === 2 && "
                 "document.getElementById('recon').textContent.indexOf('0668::SB116') >= 0 && "
                 "document.querySelectorAll('#blocks li').length > 0 && "
                 "document.body.dataset.export === 'disabled'",
                 "the reconciliation with two stations reconciled", "reconcile.png");
    assert_int_equal(cdp_eval_int(&b, "+document.getElementById('export-button').disabled"), 1);
    json_object *nl = cdp_eval(&b, "document.getElementById('blocks').textContent");
    assert_int_equal(http_get("127.0.0.1", sv.port, "/api/reconcile", NULL, NULL, &r), 0);
    json_object *rec = strict_json(r.body, "/api/reconcile");
    reply_free(&r);
    json_object *en_blocks = th_json_get(rec, "blocks"), *nl_blocks = th_json_get(rec, "blocks_nl");
    assert_int_equal(json_object_array_length(en_blocks), json_object_array_length(nl_blocks));
    for (size_t k = 0; k < json_object_array_length(nl_blocks); k++) {
        const char *line = json_object_get_string(json_object_array_get_idx(nl_blocks, k));
        if (!strstr(json_object_get_string(nl), line))
            fail_msg("the reconciliation lacks \"%s\": %s", line, json_object_get_string(nl));
    }
    json_object_put(nl);
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/reconcile?lang=en", sv.port);
    cdp_go(&b, url);
    cdp_until(&b, "location.search === '?lang=en' && +document.body.dataset.loaded >= 1 && "
                  "document.body.dataset.export === 'disabled'", "the reconciliation in English");
    json_object *en = cdp_eval(&b, "document.getElementById('blocks').textContent + '|' + "
                                   "document.getElementById('export-button').textContent");
    for (size_t k = 0; k < json_object_array_length(en_blocks); k++) {
        const char *line = json_object_get_string(json_object_array_get_idx(en_blocks, k));
        if (!strstr(json_object_get_string(en), line))
            fail_msg("the English reconciliation lacks \"%s\": %s", line,
                     json_object_get_string(en));
    }
    assert_non_null(strstr(json_object_get_string(en), "|Export the result (EML 510b)"));
    json_object_put(en);
    json_object_put(rec);
    cdp_stop(&b);

    /* The export refuses a stranger, a member without the CSRF token, and
     * a member with it while something blocks a final result. */
    char cookie[256], body[256];
    assert_int_equal(post(sv.port, "/export", NULL, "", NULL), 401);
    assert_int_equal(post(sv.port, "/login", NULL, "member=Jan&password=korenbloem-42", &r), 303);
    session_cookie(&r, cookie, sizeof cookie);
    reply_free(&r);
    assert_int_equal(post(sv.port, "/export", cookie, "", NULL), 403);
    snprintf(body, sizeof body, "csrf=%s", session_csrf(sv.port, cookie));
    assert_int_equal(post(sv.port, "/export", cookie, body, &r), 409);
    if (!strstr(r.body, "block a final result"))
        fail_msg("the blocked export says %s", r.body);
    reply_free(&r);
    serve_stop(&sv);
    th_rmtree(dir);
    free(dir);
}

/* A store in dir (its path into store) where nothing blocks a final
 * result: a few ballots under 0668::SB1, those left to people decided
 * blank by member Jan, and a basistelling holding our own figures. */
static void final_store(const char *dir, char *store)
{
    char csv[4400], line[1024];
    int64_t ids[65] = {0};
    counted_store(dir, 6, store);
    member_with_password(dir, store);
    st_error err = {0};
    st_store *s = NULL;
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    assert_st_ok(st_store_each(s, ST_STORE_OPEN | ST_STORE_BRIEF, keep_id, ids, &err), &err);
    st_store_close(s);
    for (int64_t k = 0; k < ids[0]; k++)
        RUN_OK("review decide %lld --store '%s' --as blank --by Jan", (long long)ids[k + 1],
               store);
    st_recon *r = NULL;
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    assert_st_ok(st_reconcile(s, &r, &err), &err);
    assert_int_equal(r->n, 1);
    const st_recon_station *st = &r->st[0];
    const st_model *m = r->model;
    size_t n = (size_t)snprintf(line, sizeof line, "station,A,B,C,D");
    for (int l = 0; l < m->n_lists; l++)
        n += (size_t)snprintf(line + n, sizeof line - n, ",E.%d", m->lists[l].number);
    n += (size_t)snprintf(line + n, sizeof line - n, ",E,F,G,H,I,J,explained\n%s,%lld,0,0,%lld",
                          st->station, (long long)st->ours.H, (long long)st->ours.H);
    for (int l = 0; l < m->n_lists; l++)
        n += (size_t)snprintf(line + n, sizeof line - n, ",%lld",
                              (long long)st_tally_list_total(st->tally, m->lists[l].number));
    snprintf(line + n, sizeof line - n, ",%lld,%lld,%lld,%lld,0,0,yes\n", (long long)st->ours.E,
             (long long)st->ours.F, (long long)st->ours.G, (long long)st->ours.H);
    st_recon_free(r);
    st_store_close(s);
    snprintf(csv, sizeof csv, "%s/basis.csv", dir);
    th_write(csv, line);
    RUN_OK("basis import --store '%s' '%s'", store, csv);
}

/* Once nothing blocks a final result the reconciliation's export button
 * is enabled for a logged-in member, and its form (session cookie, CSRF
 * token, POST /export) downloads the 510b `stemtel export eml` writes,
 * byte for byte, valid against the Kiesraad's schema. */
static void test_serve_reconciliation_exports_the_510b_once_nothing_blocks(void **state)
{
    char *dir = th_tmpdir(), store[4400], url[256], cli[4500], *xsd = th_data(
        "eml-xsd/510-count-kiesraad-strict.xsd");
    final_store(dir, store);
    served sv;
    serve_store(&sv, dir, store);
    cdp b;
    cdp_start(&b, dir);
    /* Not logged in: the button stays disabled and says why. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/reconcile", sv.port);
    cdp_go(&b, url);
    cdp_until(&b, "+document.body.dataset.loaded >= 1 && document.body.dataset.export === "
                  "'disabled' && !document.getElementById('export-login').hidden",
              "the reconciliation asking for a login");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/login", sv.port);
    cdp_go(&b, url);
    cdp_login(&b, "Jan", "korenbloem-42");
    snprintf(url, sizeof url, "http://127.0.0.1:%d/reconcile", sv.port);
    cdp_go(&b, url);
    cdp_until(&b, "location.pathname === '/reconcile' && +document.body.dataset.loaded >= 1 && "
                  "document.body.dataset.export === 'enabled'",
              "the reconciliation with the export enabled");
    json_object *v = cdp_eval(&b, "document.getElementById('final').textContent + '|' + "
                                  "document.getElementById('blocks').textContent");
    assert_string_equal(json_object_get_string(v),
                        "Alles sluit: de uitslag kan worden vastgesteld.|niets");
    json_object_put(v);
    /* The form as the button sends it. */
    v = cdp_eval(&b, "fetch('/export', {method: 'POST', body: new URLSearchParams(new FormData("
                     "document.getElementById('export')))}).then(function (r) { return r.text()"
                     ".then(function (t) { return r.status + '|' + "
                     "r.headers.get('Content-Disposition') + '|' + t; }); })");
    const char *got = json_object_get_string(v);
    const char *want = "200|attachment; filename=\"Telling_GR2022_WestMaasenWaal.eml.xml\"|";
    if (strncmp(got, want, strlen(want)))
        fail_msg("the export answered %.2000s", got);
    const char *xml = got + strlen(want);
    st_error err = {0};
    assert_st_ok(st_eml_validate_memory(xml, strlen(xml), "the download", xsd, &err), &err);
    assert_null(strstr(xml, "DRAFT"));
    snprintf(cli, sizeof cli, "%s/cli.eml.xml", dir);
    RUN_OK("export eml --store '%s' -o '%s'", store, cli);
    char *text = th_slurp(cli, NULL);
    assert_non_null(text);
    assert_string_equal(xml, text);
    free(text);
    json_object_put(v);
    cdp_stop(&b);
    serve_stop(&sv);
    char *log = th_slurp(sv.log, NULL);
    assert_non_null(strstr(log, "exported by Jan"));
    free(log);
    free(xsd);
    th_rmtree(dir);
    free(dir);
}

/* A hundred ballots decided at the desk by the keyboard alone, one key
 * each: every fixed decision's button shows its key (b blank, 1..9 and 0
 * the invalid and void reasons in order), a key decides the ballot shown
 * and the next one's page comes up; at the end the queue is empty and
 * `stemtel tally --store` counts every decision. Timing is bench/serve's
 * business, not this test's. */
static void test_serve_desk_decides_100_ballots_by_keys_alone(void **state)
{
    enum { N = 100 };
    char *dir = th_tmpdir(), store[4400], url[256];
    /* Marks between the boxes: every ballot goes to review. */
    synth_store(dir, "--count 100 --seed 21 --dpi 200 --format grey-jpeg --scenarios between",
                store);
    member_with_password(dir, store);
    served sv;
    serve_store(&sv, dir, store);
    long blank0 = tally_figure(dir, store, "F"), invalid0 = tally_figure(dir, store, "G");
    assert_int_equal(tally_figure(dir, store, "review"), N);
    cdp b;
    cdp_start(&b, dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/desk", sv.port);
    cdp_go(&b, url);
    cdp_login(&b, "Jan", "korenbloem-42");
    cdp_until(&b, "location.pathname === '/desk' && +document.body.dataset.queue === 100 && "
                  "!!document.body.dataset.selected && document.getElementById('page').complete"
                  " && document.getElementById('page').naturalWidth > 0",
              "on the desk with the first ballot's page");
    /* The keys are on the buttons. */
    json_object *v = cdp_eval(&b, "Array.prototype.map.call(document.querySelectorAll("
                                  "'#buttons button[data-key]'), function (x) { return "
                                  "x.dataset.key + '=' + x.dataset.as + '=' + "
                                  "x.querySelector('kbd').textContent; }).join(' ')");
    const char *keys = json_object_get_string(v);
    print_message("desk keys: %s\n", keys);
    if (strncmp(keys, "b=blank=b 1=invalid:", 20) || !strstr(keys, "=void:rescan="))
        fail_msg("the desk's keys are %s", keys);
    json_object_put(v);

    int blank = 0, invalid = 0;
    double total = 0;
    for (int k = 0; k < N; k++) {
        const char *key = k % 4 == 3 ? "1" : "b";
        total += cdp_desk_decide_by_key(&b, key);
        if (*key == 'b')
            blank++;
        else
            invalid++;
    }
    cdp_until(&b, "+document.body.dataset.queue === 0 && +document.body.dataset.decided === 100 "
                  "&& document.getElementById('ballot').hidden", "the queue empty");
    print_message("desk: %d ballots decided by %d keys, %.0f ms from key to next page in all\n",
                  N, N, total);
    cdp_stop(&b);
    serve_stop(&sv);
    assert_int_equal(tally_figure(dir, store, "review"), 0);
    assert_int_equal(tally_figure(dir, store, "F"), blank0 + blank);
    assert_int_equal(tally_figure(dir, store, "G"), invalid0 + invalid);
    th_rmtree(dir);
    free(dir);
}

/* Vier ogen in a real browser: under --four-eyes Jan's click is only a
 * proposal (the count does not change, the ballot stays in the queue
 * "wacht op tweede lid"), Jan cannot confirm it himself, and Piet's
 * confirmation makes it the decision, recorded with both members and
 * both times, as `review show` says. */
static void test_serve_desk_four_eyes_needs_a_second_member(void **state)
{
    char *dir = th_tmpdir(), store[4400], args[4500], url[256], js[512], pw[4400];
    counted_store(dir, 12, store);
    member_with_password(dir, store);
    snprintf(pw, sizeof pw, "%s/pw2", dir);
    th_write(pw, "klaproos-77\n");
    RUN_OK("members add Piet --role lid --store '%s'", store);
    RUN_OK("members passwd Piet --store '%s' <'%s'", store, pw);
    snprintf(args, sizeof args, "--store '%s' --four-eyes", store);
    served sv;
    serve_start(&sv, dir, "127.0.0.1", args);
    long blank0 = tally_figure(dir, store, "F"), review0 = tally_figure(dir, store, "review");
    cdp b;
    cdp_start(&b, dir);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/desk", sv.port);
    cdp_go(&b, url);
    cdp_login(&b, "Jan", "korenbloem-42");
    cdp_until(&b, "location.pathname === '/desk' && !!document.body.dataset.selected",
              "on the desk with a ballot shown");
    long id = cdp_eval_int(&b, "+document.body.dataset.selected");
    cdp_click(&b, "#d-blank");
    snprintf(js, sizeof js, "+document.body.dataset.decided === 1 && "
             "!!document.getElementById('q-%ld') && document.getElementById('q-%ld')"
             ".textContent.indexOf('wacht op tweede lid') > 0", id, id);
    cdp_until(&b, js, "the ballot still in the queue, waiting for a second member");
    assert_int_equal(cdp_eval_int(&b, "+document.body.dataset.queue"), review0);
    assert_int_equal(tally_figure(dir, store, "F"), blank0);
    assert_int_equal(tally_figure(dir, store, "review"), review0);
    /* Jan sees his own proposal waiting and cannot confirm it. */
    cdp_click(&b, "#queue tr.pending");
    snprintf(js, sizeof js, "+document.body.dataset.selected === %ld && "
             "!document.getElementById('b-pending').hidden && "
             "document.getElementById('confirm').disabled", id);
    cdp_until(&b, js, "Jan's own proposal, its confirm button disabled");
    snprintf(js, sizeof js, "fetch('/confirm', {method: 'POST', body: new URLSearchParams("
             "{csrf: document.getElementById('logout-csrf').value, id: '%ld'})})"
             ".then(function (r) { return r.status; })", id);
    assert_int_equal(cdp_eval_int(&b, js), 400);
    assert_int_equal(tally_figure(dir, store, "F"), blank0);
    cdp_click(&b, "#logout button");
    cdp_until(&b, "location.pathname === '/login' && document.readyState === 'complete'",
              "logged out");

    /* Piet confirms it: now it counts. */
    cdp_login(&b, "Piet", "klaproos-77");
    cdp_until(&b, "location.pathname === '/desk' && +document.body.dataset.loaded >= 1",
              "Piet at the desk");
    snprintf(js, sizeof js, "#q-%ld", id);
    cdp_click(&b, js);
    snprintf(js, sizeof js, "+document.body.dataset.selected === %ld && "
             "!document.getElementById('b-pending').hidden && "
             "!document.getElementById('confirm').disabled && document.getElementById"
             "('b-pending-what').textContent.indexOf('blank (Jan, ') === 0", id);
    cdp_until(&b, js, "Jan's proposal for Piet to confirm");
    cdp_screenshot(&b, "desk-four-eyes.png");
    cdp_click(&b, "#confirm");
    snprintf(js, sizeof js, "+document.body.dataset.queue === %ld && "
             "!document.getElementById('q-%ld')", review0 - 1, id);
    cdp_until(&b, js, "the queue one shorter after the confirmation");
    assert_int_equal(tally_figure(dir, store, "F"), blank0 + 1);
    assert_int_equal(tally_figure(dir, store, "review"), review0 - 1);
    cdp_stop(&b);
    serve_stop(&sv);

    assert_decided_blank(store, id, "Jan", "Piet");
    char *out = NULL;
    assert_int_equal(th_run(&out, "review show %ld --store '%s'", id, store), 0);
    if (!strstr(out, "decided blank by Jan, confirmed by Piet at "))
        fail_msg("review show says: %s", out);
    free(out);
    th_rmtree(dir);
    free(dir);
}

/* Three votes of seed 7 drawn with degrade (synth's --degrade) and
 * counted into dir/NAME.db; the store's path into store (4400 bytes). */
static void votes_store(const char *dir, const char *name, const char *degrade, int dpi,
                        char *store)
{
    char *model = th_root(SCAN_MODEL);
    char src[4300], opts[160];
    snprintf(src, sizeof src, "%s/%s", dir, name);
    snprintf(opts, sizeof opts, "--count 3 --seed 7 --dpi %d --format grey-jpeg --scenarios vote "
             "--degrade %s", dpi, degrade);
    scan_synth(src, opts);
    snprintf(store, 4400, "%s/%s.db", dir, name);
    RUN_OK("count --model '%s' --station 0668::SB1 --store '%s' --out '%s/%s-out' '%s'", model,
           store, dir, name, src);
    free(model);
}

typedef struct png_read {
    const unsigned char *p;
    size_t len, at;
} png_read;

static cairo_status_t png_from(void *ctx, unsigned char *data, unsigned int n)
{
    png_read *r = ctx;
    if (r->at + n > r->len)
        return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->p + r->at, n);
    r->at += n;
    return CAIRO_STATUS_SUCCESS;
}

/* Ballot id's page as the desk draws it, decoded. */
static cairo_surface_t *desk_drawn(st_store *s, int64_t id)
{
    st_error err = {0};
    unsigned char *png = NULL;
    size_t len = 0;
    assert_st_ok(st_desk_page_png(s, id, &png, &len, &err), &err);
    png_read rd = {png, len, 0};
    cairo_surface_t *img = cairo_image_surface_create_from_png_stream(png_from, &rd);
    free(png);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    return img;
}

/* Mean darkness (0 white .. 1 black) of the PNG's part (x, y, w, h: 0..1). */
static double darkness(cairo_surface_t *s, double x, double y, double w, double h)
{
    int W = cairo_image_surface_get_width(s), H = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    double sum = 0;
    long n = 0;
    for (int j = (int)(y * H); j < (int)((y + h) * H) && j < H; j++)
        for (int i = (int)(x * W); i < (int)((x + w) * W) && i < W; i++) {
            uint32_t v = *(const uint32_t *)(px + (size_t)j * (size_t)stride + 4 * (size_t)i);
            sum += 1.0 - (double)(v & 0xff) / 255.0; /* blue: no box outline is blue-free */
            n++;
        }
    return n ? sum / (double)n : 0;
}

/* The desk shows a page fed upside down the right way up: the same
 * ballots drawn upright and upside down give the same areas with ink on
 * the drawn page (fractions of the upright page), the drawn PNG of either
 * has its ink there, and the upside-down record's own transform says
 * half a turn. */
static void test_serve_desk_turns_an_upside_down_page_and_finds_its_ink(void **state)
{
    char *dir = th_tmpdir(), up[4400], down[4400];
    votes_store(dir, "up", "none", 200, up);
    votes_store(dir, "down", "upside-down", 200, down);
    st_error err = {0};
    st_store *su = NULL, *sd = NULL;
    assert_st_ok(st_store_open_readonly(up, &su, &err), &err);
    assert_st_ok(st_store_open_readonly(down, &sd, &err), &err);
    int zoomed = 0;
    for (int64_t id = 1; id <= 3; id++) {
        st_store_ballot bu, bd;
        assert_st_ok(st_store_get(su, id, &bu, &err), &err);
        assert_st_ok(st_store_get(sd, id, &bd, &err), &err);
        assert_non_null(strstr(bd.record, "\"upside_down\":true"));
        st_proof_area au[64], ad[64];
        int nu = st_proof_areas(st_store_model(su), bu.record, au, 64, &err);
        int nd = st_proof_areas(st_store_model(sd), bd.record, ad, 64, &err);
        assert_true(nu >= 1);
        assert_int_equal(nu, nd);
        cairo_surface_t *img = desk_drawn(sd, id);
        double page = darkness(img, 0, 0, 1, 1);
        for (int i = 0; i < nu; i++) {
            assert_string_equal(au[i].id, ad[i].id);
            if (fabs(au[i].x - ad[i].x) > 0.01 || fabs(au[i].y - ad[i].y) > 0.01)
                fail_msg("ballot %lld box %s: upright at %.3f,%.3f, turned at %.3f,%.3f",
                         (long long)id, au[i].id, au[i].x, au[i].y, ad[i].x, ad[i].y);
            if (!strcmp(ad[i].state, "marked")) {
                double ink = darkness(img, ad[i].x, ad[i].y, ad[i].w, ad[i].h);
                if (ink < 2 * page)
                    fail_msg("ballot %lld box %s: darkness %.3f where its ink should be, "
                             "%.3f on the page", (long long)id, ad[i].id, ink, page);
                zoomed++;
            }
        }
        cairo_surface_destroy(img);
        st_store_ballot_clear(&bu);
        st_store_ballot_clear(&bd);
    }
    assert_true(zoomed >= 3);
    st_store_close(su);
    st_store_close(sd);
    th_rmtree(dir);
    free(dir);
}

/* Pixels of the PNG's part (x, y, w, h: 0..1) in the green of a marked
 * box's outline. */
static long green_in(cairo_surface_t *s, double x, double y, double w, double h)
{
    int W = cairo_image_surface_get_width(s), H = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    long n = 0;
    for (int j = (int)(y * H); j < (int)((y + h) * H) && j < H; j++)
        for (int i = (int)(x * W); i < (int)((x + w) * W) && i < W; i++) {
            uint32_t v = *(const uint32_t *)(px + (size_t)j * (size_t)stride + 4 * (size_t)i);
            unsigned r = (v >> 16) & 0xff, g = (v >> 8) & 0xff, b = v & 0xff;
            n += g > 100 && r < 80 && b < 80;
        }
    return n;
}

/* A 300 dpi JPEG page is counted at 150 dpi (the model's jpeg_min_dpi),
 * so its stored transform is in 150 dpi pixels: the desk still outlines
 * each marked box where the box is on the drawn page, not at half its
 * place. */
static void test_serve_desk_outlines_the_boxes_of_a_page_counted_at_reduced_scale(void **state)
{
    char *dir = th_tmpdir(), store[4400];
    votes_store(dir, "fine", "none", 300, store);
    st_error err = {0};
    st_store *s = NULL;
    assert_st_ok(st_store_open_readonly(store, &s, &err), &err);
    int marked = 0;
    for (int64_t id = 1; id <= 3; id++) {
        st_store_ballot b;
        assert_st_ok(st_store_get(s, id, &b, &err), &err);
        assert_non_null(strstr(b.record, "\"read_scale\":0.5"));
        st_proof_area a[64];
        int n = st_proof_areas(st_store_model(s), b.record, a, 64, &err);
        cairo_surface_t *img = desk_drawn(s, id);
        for (int i = 0; i < n; i++) {
            if (strcmp(a[i].state, "marked"))
                continue;
            long g = green_in(img, a[i].x, a[i].y, a[i].w, a[i].h);
            if (g < 40)
                fail_msg("ballot %lld box %s: %ld green pixels around it", (long long)id,
                         a[i].id, g);
            marked++;
        }
        cairo_surface_destroy(img);
        st_store_ballot_clear(&b);
    }
    assert_true(marked >= 3);
    st_store_close(s);
    th_rmtree(dir);
    free(dir);
}

/* The server answers on several threads: while three logins hash their
 * passwords (a quarter of a second each, on purpose), the public display
 * and its document answer at once, before any login has, and the logins
 * then succeed. */
static void test_serve_a_slow_login_does_not_hold_up_the_display(void **state)
{
    char *dir = th_tmpdir(), store[4400];
    served sv;
    desk_served(dir, store, &sv);
    http_reply r;
    assert_int_equal(http_get("127.0.0.1", sv.port, "/api/public", NULL, NULL, &r), 0);
    assert_int_equal(r.status, 200);
    reply_free(&r);
    int fd[3];
    double t0 = scan_now();
    for (int i = 0; i < 3; i++)
        assert_true((fd[i] = http_request("127.0.0.1", sv.port, "/login", NULL, "POST", NULL,
                                          "member=Jan&password=korenbloem-42")) >= 0);
    scan_sleep_ms(30); /* the logins are being hashed */
    double t1 = scan_now();
    const char *paths[] = {"/", "/api/public"};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(http_get("127.0.0.1", sv.port, paths[k], NULL, NULL, &r), 0);
        assert_int_equal(r.status, 200);
        reply_free(&r);
    }
    double display = scan_now() - t1;
    struct pollfd p[3];
    for (int i = 0; i < 3; i++)
        p[i] = (struct pollfd){.fd = fd[i], .events = POLLIN};
    int answered = poll(p, 3, 0);
    for (int i = 0; i < 3; i++) {
        http_reply_read(fd[i], "/login", &r);
        assert_int_equal(r.status, 303);
        reply_free(&r);
    }
    double logins = scan_now() - t0;
    print_message("the display answered in %.0f ms while three logins took %.0f ms\n",
                  1000 * display, 1000 * logins);
    if (answered != 0 || display > 0.2 || logins < 0.2)
        fail_msg("the display took %.0f ms, %d logins answered before it, the logins %.0f ms",
                 1000 * display, answered, 1000 * logins);
    serve_stop(&sv);
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    /* A browser dying mid-write must not end the test runner. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serve_store_says_when_it_changed_and_its_latest_pages),
        cmocka_unit_test(test_serve_operator_sees_a_source_go_quiet_while_another_counts),
        cmocka_unit_test(test_serve_members_passwd_keeps_only_a_salted_hash),
        cmocka_unit_test(test_serve_desk_needs_a_login_and_the_csrf_token),
        cmocka_unit_test(test_serve_desk_in_a_browser_decides_a_ballot_by_clicking),
        cmocka_unit_test(test_serve_desk_decides_100_ballots_by_keys_alone),
        cmocka_unit_test(test_serve_desk_four_eyes_needs_a_second_member),
        cmocka_unit_test(test_serve_desk_follows_the_stores_four_eyes_rule),
        cmocka_unit_test(test_serve_desk_turns_an_upside_down_page_and_finds_its_ink),
        cmocka_unit_test(test_serve_desk_outlines_the_boxes_of_a_page_counted_at_reduced_scale),
        cmocka_unit_test(test_serve_a_slow_login_does_not_hold_up_the_display),
        cmocka_unit_test(test_serve_refuses_a_bad_address_and_a_missing_store),
        cmocka_unit_test(test_serve_loopback_answers_only_its_own_name),
        cmocka_unit_test(test_serve_other_address_serves_only_the_public_display),
        cmocka_unit_test(test_serve_screens_follow_a_running_scan),
        cmocka_unit_test(test_serve_screens_of_a_sitting_half_done_in_a_browser),
        cmocka_unit_test(test_serve_reconciliation_exports_the_510b_once_nothing_blocks),
    };
    /* STEMTEL_TEST_FILTER=test_serve_desk* runs only those. */
    if (getenv("STEMTEL_TEST_FILTER"))
        cmocka_set_test_filter(getenv("STEMTEL_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
