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
#include "helpers.h"
#include "run_ok.h"
#include "scan_fixture.h"
#include "app/desk.h"
#include "stemtel/proof.h"
#include "stemtel/store.h"

#include <arpa/inet.h>
#include <cairo.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <math.h>
#include <openssl/evp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
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


/* ---- chromium driven over the DevTools protocol ------------------------------------ */

/* Chromium with --remote-debugging-pipe reads commands on its fd 3 and
 * writes answers and events on its fd 4, each a JSON text ended by a NUL:
 * no WebSocket, no port. One page target, attached flat, so every command
 * names its session. Script errors and CSP reports arrive as events and
 * are kept to fail the test. */
typedef struct cdp {
    pid_t pid;
    int to, from, next_id;
    char session[128];
    char *buf;
    size_t len, cap;
    char errors[4096];
} cdp;

/* Events that say the page broke, kept in b->errors. */
static void cdp_event(cdp *b, json_object *m)
{
    const char *method = th_json_str(m, "method");
    json_object *params = th_json_get(m, "params");
    const char *text = NULL;
    if (!strcmp(method, "Runtime.exceptionThrown"))
        text = json_object_to_json_string(th_json_get(params, "exceptionDetails"));
    else if (!strcmp(method, "Log.entryAdded")) {
        /* The refusals the test asks for are logged too (a member
         * confirming their own proposal among them); a browser asks for
         * /favicon.ico on its own. */
        json_object *e = th_json_get(params, "entry"), *u = th_json_get(e, "url");
        const char *t = th_json_str(e, "text");
        if (!strcmp(th_json_str(e, "level"), "error") && !strstr(t, "401") &&
            !strstr(t, "403") && !strstr(t, "429") &&
            !(u && strstr(json_object_get_string(u), "/favicon.ico")) &&
            !(u && strstr(json_object_get_string(u), "/confirm") && strstr(t, "400")))
            text = json_object_to_json_string(e);
    }
    if (text) {
        size_t l = strlen(b->errors);
        snprintf(b->errors + l, sizeof b->errors - l, "%s\n", text);
    }
}

/* The answer to command id (a new reference), reading events meanwhile;
 * fails the test after 30 s or on an error answer. */
static json_object *cdp_wait(cdp *b, int id)
{
    double end = scan_now() + 30;
    for (;;) {
        char *nul = b->len ? memchr(b->buf, 0, b->len) : NULL;
        if (nul) {
            size_t n = (size_t)(nul - b->buf) + 1;
            json_object *m = json_tokener_parse(b->buf);
            memmove(b->buf, b->buf + n, b->len - n);
            b->len -= n;
            if (!m)
                continue;
            json_object *idj = th_json_get(m, "id");
            if (idj && json_object_get_int(idj) == id) {
                json_object *e = th_json_get(m, "error");
                if (e)
                    fail_msg("chromium: %s", json_object_to_json_string(e));
                json_object *r = json_object_get(th_json_get(m, "result"));
                json_object_put(m);
                return r;
            }
            if (!idj)
                cdp_event(b, m);
            json_object_put(m);
            continue;
        }
        struct pollfd p = {b->from, POLLIN, 0};
        if (scan_now() > end)
            fail_msg("chromium did not answer command %d within 30 s", id);
        if (poll(&p, 1, 200) <= 0)
            continue;
        if (b->cap - b->len < 65536)
            b->buf = realloc(b->buf, b->cap = b->cap * 2 + 65536);
        ssize_t got = read(b->from, b->buf + b->len, b->cap - b->len - 1);
        if (got <= 0)
            fail_msg("chromium closed its pipe");
        b->len += (size_t)got;
    }
}

/* Run method with params (a JSON object's text, NULL: none) in the page's
 * session (or the browser's, before there is one); its result. */
static json_object *cdp_call(cdp *b, const char *method, const char *params)
{
    char msg[8192];
    int id = ++b->next_id;
    int n = snprintf(msg, sizeof msg, "{\"id\":%d,\"method\":\"%s\",\"params\":%s%s%s%s}", id,
                     method, params ? params : "{}", b->session[0] ? ",\"sessionId\":\"" : "",
                     b->session, b->session[0] ? "\"" : "");
    assert_true(n > 0 && (size_t)n < sizeof msg - 1);
    assert_int_equal(write(b->to, msg, (size_t)n + 1), n + 1);
    return cdp_wait(b, id);
}

static void cdp_start(cdp *b, const char *dir)
{
    const char *chromium = getenv("STEMTEL_CHROMIUM") ? getenv("STEMTEL_CHROMIUM")
                                                       : "/usr/bin/chromium";
    char profile[4400], log[4400];
    int in[2], out[2];
    memset(b, 0, sizeof *b);
    snprintf(profile, sizeof profile, "--user-data-dir=%s/chromium-cdp", dir);
    snprintf(log, sizeof log, "%s/chromium-cdp.log", dir);
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    fflush(NULL);
    b->pid = fork();
    assert_true(b->pid >= 0);
    if (b->pid == 0) {
        int r = fcntl(in[0], F_DUPFD, 10), w = fcntl(out[1], F_DUPFD, 10);
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        dup2(r, 3);
        dup2(w, 4);
        for (int k = 5; k < 1024; k++)
            close(k);
        /* --no-sandbox: tests may run as root, which chromium's sandbox refuses. */
        execl(chromium, chromium, "--headless", "--no-sandbox", "--disable-gpu",
              "--no-first-run", "--remote-debugging-pipe", profile, "about:blank", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    b->to = in[1];
    b->from = out[0];
    json_object *t = cdp_call(b, "Target.createTarget", "{\"url\":\"about:blank\"}");
    char params[256];
    snprintf(params, sizeof params, "{\"targetId\":\"%s\",\"flatten\":true}",
             th_json_str(t, "targetId"));
    json_object_put(t);
    json_object *a = cdp_call(b, "Target.attachToTarget", params);
    snprintf(b->session, sizeof b->session, "%s", th_json_str(a, "sessionId"));
    json_object_put(a);
    json_object_put(cdp_call(b, "Runtime.enable", NULL));
    json_object_put(cdp_call(b, "Log.enable", NULL));
    json_object_put(cdp_call(b, "Page.enable", NULL));
    json_object_put(cdp_call(b, "Emulation.setDeviceMetricsOverride",
                             "{\"width\":1400,\"height\":1000,\"deviceScaleFactor\":1,"
                             "\"mobile\":false}"));
}

static void cdp_stop(cdp *b)
{
    b->session[0] = 0;
    char msg[] = "{\"id\":999999,\"method\":\"Browser.close\",\"params\":{}}";
    if (write(b->to, msg, sizeof msg) < 0)
        print_message("chromium was gone already\n");
    close(b->to);
    close(b->from);
    double end = scan_now() + 10;
    while (waitpid(b->pid, NULL, WNOHANG) != b->pid) {
        if (scan_now() > end) {
            kill(b->pid, SIGKILL);
            waitpid(b->pid, NULL, 0);
            break;
        }
        scan_sleep_ms(50);
    }
    free(b->buf);
    if (b->errors[0])
        fail_msg("the page broke in chromium: %s", b->errors);
}

/* The value of the script expression js (promises awaited), a new
 * reference; NULL for undefined or null. */
static json_object *cdp_eval(cdp *b, const char *js)
{
    json_object *p = json_object_new_object();
    json_object_object_add(p, "expression", json_object_new_string(js));
    json_object_object_add(p, "returnByValue", json_object_new_boolean(1));
    json_object_object_add(p, "awaitPromise", json_object_new_boolean(1));
    json_object *r = cdp_call(b, "Runtime.evaluate", json_object_to_json_string(p));
    json_object_put(p);
    if (th_json_get(r, "exceptionDetails"))
        fail_msg("script %s threw: %s", js, json_object_to_json_string(r));
    json_object *v = json_object_get(th_json_get(th_json_get(r, "result"), "value"));
    json_object_put(r);
    return v;
}

static long cdp_eval_int(cdp *b, const char *js)
{
    json_object *v = cdp_eval(b, js);
    long n = v ? (long)json_object_get_int64(v) : -1;
    json_object_put(v);
    return n;
}

/* Wait until js is true, up to 20 s; fails with what naming it. While a
 * page is being replaced its document may be half there: a throw is
 * "not yet". */
static void cdp_until(cdp *b, const char *js, const char *what)
{
    double end = scan_now() + 20;
    char guarded[2048];
    snprintf(guarded, sizeof guarded, "(function () { try { return !!(%s); } catch (e) {"
             " return false; } })()", js);
    for (;;) {
        json_object *v = cdp_eval(b, guarded);
        int ok = v && json_object_get_boolean(v);
        json_object_put(v);
        if (ok)
            return;
        if (scan_now() > end) {
            json_object *body = cdp_eval(b, "document.body ? document.body.outerHTML.slice(0, 3000)"
                                            " : location.href");
            fail_msg("in chromium, never %s: %s", what, body ? json_object_get_string(body) : "");
        }
        scan_sleep_ms(100);
    }
}

static void cdp_go(cdp *b, const char *url)
{
    char params[512];
    snprintf(params, sizeof params, "{\"url\":\"%s\"}", url);
    json_object_put(cdp_call(b, "Page.navigate", params));
}

/* A real mouse click (pressed and released) in the middle of the element
 * selector finds, scrolled into view. */
static void cdp_click(cdp *b, const char *selector)
{
    char js[1024], ev[256];
    json_object *sel = json_object_new_string(selector);
    snprintf(js, sizeof js, "(function () { var e = document.querySelector(%s); if (!e) return null;"
             " e.scrollIntoView({block: 'center'}); var r = e.getBoundingClientRect();"
             " return [r.x + r.width / 2, r.y + r.height / 2]; })()",
             json_object_to_json_string(sel));
    json_object_put(sel);
    json_object *xy = cdp_eval(b, js);
    if (!xy)
        fail_msg("in chromium, nothing to click at %s", selector);
    double x = json_object_get_double(json_object_array_get_idx(xy, 0));
    double y = json_object_get_double(json_object_array_get_idx(xy, 1));
    json_object_put(xy);
    const char *types[] = {"mousePressed", "mouseReleased"};
    for (int k = 0; k < 2; k++) {
        snprintf(ev, sizeof ev, "{\"type\":\"%s\",\"x\":%.1f,\"y\":%.1f,\"button\":\"left\","
                 "\"clickCount\":1}", types[k], x, y);
        json_object_put(cdp_call(b, "Input.dispatchMouseEvent", ev));
    }
}

/* Click into the field selector finds and type text there. */
static void cdp_type(cdp *b, const char *selector, const char *text)
{
    char params[512];
    cdp_click(b, selector);
    json_object *t = json_object_new_string(text);
    snprintf(params, sizeof params, "{\"text\":%s}", json_object_to_json_string(t));
    json_object_put(t);
    json_object_put(cdp_call(b, "Input.insertText", params));
}

/* With $STEMTEL_SCREENSHOTS set, the page as chromium shows it into
 * that folder as name (for the README); else nothing. */
static void cdp_screenshot(cdp *b, const char *name)
{
    const char *dir = getenv("STEMTEL_SCREENSHOTS");
    char path[4400];
    if (!dir || !*dir)
        return;
    json_object *r = cdp_call(b, "Page.captureScreenshot", "{\"format\":\"png\"}");
    const char *data = th_json_str(r, "data");
    size_t n = strlen(data);
    unsigned char *png = malloc(n);
    int len = EVP_DecodeBlock(png, (const unsigned char *)data, (int)n);
    assert_true(len > 0);
    while (n && data[n - 1] == '=') /* DecodeBlock counts the padding */
        n--, len--;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(png, 1, (size_t)len, f), (size_t)len);
    assert_int_equal(fclose(f), 0);
    free(png);
    json_object_put(r);
    print_message("screenshot %s\n", path);
}

/* ---- tests ------------------------------------------------------------------------ */

/* The public display, the operator view and the reconciliation over a
 * store a running scan fills: the JSON counts grow to every ballot fed,
 * each answer strict JSON with the security headers, the browser shows
 * the figures its script fetched, and nothing on the public display
 * points at a ballot. */
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
    char *dom_mid = NULL;
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
            snprintf(url, sizeof url, "http://127.0.0.1:%d/", sv.port);
            dom_mid = browser_dom(dir, url);
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

/* A store with n ballots of seed 3 under 0668::SB1, counted by `stemtel
 * count`; its path into store (4400 bytes). */
static void counted_store(const char *dir, int n, char *store)
{
    char *model = th_root(SCAN_MODEL);
    char src[4300], opts[128];
    snprintf(src, sizeof src, "%s/src", dir);
    snprintf(opts, sizeof opts, "--count %d --seed 3 --dpi 200 --format grey-jpeg", n);
    scan_synth(src, opts);
    snprintf(store, 4400, "%s/cso.db", dir);
    RUN_OK("count --model '%s' --station 0668::SB1 --store '%s' --out '%s/c' '%s'", model, store,
           dir, src);
    free(model);
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
                            "/api/desk", "/api/ballot?id=1", "/page.png?id=1"};
    for (size_t k = 0; k < sizeof hidden / sizeof hidden[0]; k++)
        if (status_of(ip, sv.port, hidden[k], NULL) != 404)
            fail_msg("%s served on %s without --allow-decisions", hidden[k], ip);
    http_reply r;
    assert_int_equal(http_send(ip, sv.port, "/login", NULL, "POST", NULL,
                               "member=Jan&password=korenbloem-42", &r), 0);
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
    char args[4500];
    small_store(dir, store);
    member_with_password(dir, store);
    snprintf(args, sizeof args, "--store '%s'", store);
    serve_start(sv, dir, "127.0.0.1", args);
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

/* Submit the login form in the browser and wait for the next page. */
static void browser_login(cdp *b, const char *member, const char *password)
{
    cdp_until(b, "document.readyState === 'complete' && !!document.getElementById('member')",
              "the login form");
    json_object_put(cdp_eval(b, "window.before_submit = 1"));
    cdp_type(b, "#member", member);
    cdp_type(b, "#password", password);
    cdp_click(b, "#login-button");
    cdp_until(b, "!window.before_submit && document.readyState === 'complete'",
              "the page after the login");
}

/* The desk in a real browser: not logged in it sends chromium to the
 * login; a member logs in by typing and clicking, picks a ballot in the
 * queue, sees its page drawn and where the paper lies, and decides it by
 * clicking: the queue shrinks and `stemtel tally --store` counts one
 * more blank. Without the CSRF token the same session's POST is refused;
 * after logging out the desk answers 401; wrong passwords are limited. */
static void test_serve_desk_in_a_browser_decides_a_ballot_by_clicking(void **state)
{
    char *dir = th_tmpdir(), store[4400], args[4500], url[256], js[512];
    counted_store(dir, 12, store);
    member_with_password(dir, store);
    snprintf(args, sizeof args, "--store '%s'", store);
    served sv;
    serve_start(&sv, dir, "127.0.0.1", args);
    long blank0 = tally_figure(dir, store, "F"), review0 = tally_figure(dir, store, "review");
    if (review0 < 2)
        fail_msg("the store has %ld ballots in review; the test wants two", review0);
    cdp b;
    cdp_start(&b, dir);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/desk", sv.port);
    cdp_go(&b, url);
    cdp_until(&b, "location.pathname === '/login' && !!document.getElementById('login-button')",
              "sent to the login");
    browser_login(&b, "Jan", "korenbloem-42");
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
    cdp_screenshot(&b, "desk.png");
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
        browser_login(&b, "Jan", "not-the-password");
        cdp_until(&b, "document.getElementById('login-error').textContent.indexOf('Onjuiste')"
                      " === 0", "told the password was wrong");
    }
    browser_login(&b, "Jan", "korenbloem-42");
    cdp_until(&b, "location.pathname === '/login' && document.getElementById('login-error')"
                  ".textContent.indexOf('Te veel') === 0", "told to wait");
    cdp_stop(&b);
    serve_stop(&sv);
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
    browser_login(&b, "Jan", "korenbloem-42");
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
    browser_login(&b, "Piet", "klaproos-77");
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
static void votes_store(const char *dir, const char *name, const char *degrade, char *store)
{
    char *model = th_root(SCAN_MODEL);
    char src[4300], opts[160];
    snprintf(src, sizeof src, "%s/%s", dir, name);
    snprintf(opts, sizeof opts, "--count 3 --seed 7 --dpi 200 --format grey-jpeg --scenarios vote "
             "--degrade %s", degrade);
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
    votes_store(dir, "up", "none", up);
    votes_store(dir, "down", "upside-down", down);
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
        unsigned char *png = NULL;
        size_t len = 0;
        assert_st_ok(st_desk_page_png(sd, id, &png, &len, &err), &err);
        png_read rd = {png, len, 0};
        cairo_surface_t *img = cairo_image_surface_create_from_png_stream(png_from, &rd);
        assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
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
        free(png);
        st_store_ballot_clear(&bu);
        st_store_ballot_clear(&bd);
    }
    assert_true(zoomed >= 3);
    st_store_close(su);
    st_store_close(sd);
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
        cmocka_unit_test(test_serve_members_passwd_keeps_only_a_salted_hash),
        cmocka_unit_test(test_serve_desk_needs_a_login_and_the_csrf_token),
        cmocka_unit_test(test_serve_desk_in_a_browser_decides_a_ballot_by_clicking),
        cmocka_unit_test(test_serve_desk_four_eyes_needs_a_second_member),
        cmocka_unit_test(test_serve_desk_follows_the_stores_four_eyes_rule),
        cmocka_unit_test(test_serve_desk_turns_an_upside_down_page_and_finds_its_ink),
        cmocka_unit_test(test_serve_a_slow_login_does_not_hold_up_the_display),
        cmocka_unit_test(test_serve_refuses_a_bad_address_and_a_missing_store),
        cmocka_unit_test(test_serve_loopback_answers_only_its_own_name),
        cmocka_unit_test(test_serve_other_address_serves_only_the_public_display),
        cmocka_unit_test(test_serve_screens_follow_a_running_scan),
    };
    /* STEMTEL_TEST_FILTER=test_serve_desk* runs only those. */
    if (getenv("STEMTEL_TEST_FILTER"))
        cmocka_set_test_filter(getenv("STEMTEL_TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
