/* cdp.c - Debian's chromium driven over the DevTools protocol, for tests and benchmarks
 *
 * See cdp.h. Answers are read from the pipe into one growing buffer and
 * cut at each NUL; events met while waiting for an answer are looked at
 * only for errors the page logged.
 */
#include "cdp.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double cdp_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static json_object *jget(json_object *o, const char *k)
{
    json_object *v = NULL;
    return o && json_object_object_get_ex(o, k, &v) ? v : NULL;
}

static const char *jstr(json_object *o, const char *k)
{
    json_object *v = jget(o, k);
    return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* Events that say the page broke, kept in b->errors. */
static void cdp_event(cdp *b, json_object *m)
{
    const char *method = jstr(m, "method");
    json_object *params = jget(m, "params");
    const char *text = NULL;
    if (!strcmp(method, "Runtime.exceptionThrown"))
        text = json_object_to_json_string(jget(params, "exceptionDetails"));
    else if (!strcmp(method, "Log.entryAdded")) {
        /* The refusals the test asks for are logged too (a member
         * confirming their own proposal among them); a browser asks for
         * /favicon.ico on its own. */
        json_object *e = jget(params, "entry"), *u = jget(e, "url");
        const char *t = jstr(e, "text");
        if (!strcmp(jstr(e, "level"), "error") && !strstr(t, "401") &&
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
    double end = cdp_now() + 30;
    for (;;) {
        char *nul = b->len ? memchr(b->buf, 0, b->len) : NULL;
        if (nul) {
            size_t n = (size_t)(nul - b->buf) + 1;
            json_object *m = json_tokener_parse(b->buf);
            memmove(b->buf, b->buf + n, b->len - n);
            b->len -= n;
            if (!m)
                continue;
            json_object *idj = jget(m, "id");
            if (idj && json_object_get_int(idj) == id) {
                json_object *e = jget(m, "error");
                if (e)
                    cdp_failf("chromium: %s", json_object_to_json_string(e));
                json_object *r = json_object_get(jget(m, "result"));
                json_object_put(m);
                return r;
            }
            if (!idj)
                cdp_event(b, m);
            json_object_put(m);
            continue;
        }
        struct pollfd p = {b->from, POLLIN, 0};
        if (cdp_now() > end)
            cdp_failf("chromium did not answer command %d within 30 s", id);
        if (poll(&p, 1, 200) <= 0)
            continue;
        if (b->cap - b->len < 65536)
            b->buf = realloc(b->buf, b->cap = b->cap * 2 + 65536);
        ssize_t got = read(b->from, b->buf + b->len, b->cap - b->len - 1);
        if (got <= 0)
            cdp_failf("chromium closed its pipe");
        b->len += (size_t)got;
    }
}

json_object *cdp_call(cdp *b, const char *method, const char *params)
{
    char msg[8192];
    int id = ++b->next_id;
    int n = snprintf(msg, sizeof msg, "{\"id\":%d,\"method\":\"%s\",\"params\":%s%s%s%s}", id,
                     method, params ? params : "{}", b->session[0] ? ",\"sessionId\":\"" : "",
                     b->session, b->session[0] ? "\"" : "");
    if (n <= 0 || (size_t)n >= sizeof msg - 1)
        cdp_failf("chromium: the command %s is too long", method);
    if (write(b->to, msg, (size_t)n + 1) != n + 1)
        cdp_failf("chromium: cannot write to its pipe");
    return cdp_wait(b, id);
}

void cdp_viewport(cdp *b, int width, int height)
{
    char viewport[128];
    snprintf(viewport, sizeof viewport, "{\"width\":%d,\"height\":%d,\"deviceScaleFactor\":1,"
             "\"mobile\":false}", width, height);
    json_object_put(cdp_call(b, "Emulation.setDeviceMetricsOverride", viewport));
}

void cdp_start(cdp *b, const char *dir)
{
    const char *chromium = getenv("STEMTEL_CHROMIUM") ? getenv("STEMTEL_CHROMIUM")
                                                       : "/usr/bin/chromium";
    char profile[4400], log[4400];
    int in[2], out[2];
    memset(b, 0, sizeof *b);
    snprintf(profile, sizeof profile, "--user-data-dir=%s/chromium-cdp", dir);
    snprintf(log, sizeof log, "%s/chromium-cdp.log", dir);
    if (pipe(in) || pipe(out))
        cdp_failf("chromium: no pipe");
    fflush(NULL);
    b->pid = fork();
    if (b->pid < 0)
        cdp_failf("chromium: cannot fork");
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
             jstr(t, "targetId"));
    json_object_put(t);
    json_object *a = cdp_call(b, "Target.attachToTarget", params);
    snprintf(b->session, sizeof b->session, "%s", jstr(a, "sessionId"));
    json_object_put(a);
    json_object_put(cdp_call(b, "Runtime.enable", NULL));
    json_object_put(cdp_call(b, "Log.enable", NULL));
    json_object_put(cdp_call(b, "Page.enable", NULL));
    cdp_viewport(b, CDP_WIDTH, CDP_HEIGHT);
}

void cdp_stop(cdp *b)
{
    b->session[0] = 0;
    char msg[] = "{\"id\":999999,\"method\":\"Browser.close\",\"params\":{}}";
    if (write(b->to, msg, sizeof msg) < 0)
        fprintf(stderr, "chromium was gone already\n");
    close(b->to);
    close(b->from);
    double end = cdp_now() + 10;
    while (waitpid(b->pid, NULL, WNOHANG) != b->pid) {
        if (cdp_now() > end) {
            kill(b->pid, SIGKILL);
            waitpid(b->pid, NULL, 0);
            break;
        }
        sleep_ms(50);
    }
    free(b->buf);
    if (b->errors[0])
        cdp_failf("the page broke in chromium: %s", b->errors);
}

json_object *cdp_eval(cdp *b, const char *js)
{
    json_object *p = json_object_new_object();
    json_object_object_add(p, "expression", json_object_new_string(js));
    json_object_object_add(p, "returnByValue", json_object_new_boolean(1));
    json_object_object_add(p, "awaitPromise", json_object_new_boolean(1));
    json_object *r = cdp_call(b, "Runtime.evaluate", json_object_to_json_string(p));
    json_object_put(p);
    if (jget(r, "exceptionDetails"))
        cdp_failf("script %s threw: %s", js, json_object_to_json_string(r));
    json_object *v = json_object_get(jget(jget(r, "result"), "value"));
    json_object_put(r);
    return v;
}

long cdp_eval_int(cdp *b, const char *js)
{
    json_object *v = cdp_eval(b, js);
    long n = v ? (long)json_object_get_int64(v) : -1;
    json_object_put(v);
    return n;
}

/* While a page is being replaced its document may be half there: a throw is
 * "not yet". */
void cdp_until(cdp *b, const char *js, const char *what)
{
    double end = cdp_now() + 20;
    char guarded[2048];
    snprintf(guarded, sizeof guarded, "(function () { try { return !!(%s); } catch (e) {"
             " return false; } })()", js);
    for (;;) {
        json_object *v = cdp_eval(b, guarded);
        int ok = v && json_object_get_boolean(v);
        json_object_put(v);
        if (ok)
            return;
        if (cdp_now() > end) {
            json_object *body = cdp_eval(b, "document.body ? document.body.outerHTML.slice(0, 3000)"
                                            " : location.href");
            cdp_failf("in chromium, never %s: %s", what, body ? json_object_get_string(body) : "");
        }
        sleep_ms(100);
    }
}

void cdp_go(cdp *b, const char *url)
{
    char params[512];
    snprintf(params, sizeof params, "{\"url\":\"%s\"}", url);
    json_object_put(cdp_call(b, "Page.navigate", params));
}

/* A real mouse click (pressed and released) in the middle of the element
 * selector finds, scrolled into view. */
void cdp_click(cdp *b, const char *selector)
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
        cdp_failf("in chromium, nothing to click at %s", selector);
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

void cdp_type(cdp *b, const char *selector, const char *text)
{
    char params[512];
    cdp_click(b, selector);
    json_object *t = json_object_new_string(text);
    snprintf(params, sizeof params, "{\"text\":%s}", json_object_to_json_string(t));
    json_object_put(t);
    json_object_put(cdp_call(b, "Input.insertText", params));
}

void cdp_screenshot(cdp *b, const char *name)
{
    const char *dir = getenv("STEMTEL_SCREENSHOTS");
    char path[4400];
    if (!dir || !*dir)
        return;
    json_object *r = cdp_call(b, "Page.captureScreenshot", "{\"format\":\"png\"}");
    const char *data = jstr(r, "data");
    size_t n = strlen(data);
    unsigned char *png = malloc(n);
    int len = EVP_DecodeBlock(png, (const unsigned char *)data, (int)n);
    if (len <= 0)
        cdp_failf("chromium: a screenshot that is no base64");
    while (n && data[n - 1] == '=') /* DecodeBlock counts the padding */
        n--, len--;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(png, 1, (size_t)len, f) != (size_t)len || fclose(f) != 0)
        cdp_failf("cannot write %s", path);
    free(png);
    json_object_put(r);
    fprintf(stderr, "screenshot %s\n", path);
}

void cdp_login(cdp *b, const char *member, const char *password)
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


void cdp_key(cdp *b, const char *key)
{
    char ev[256];
    json_object *k = json_object_new_string(key);
    const char *kj = json_object_to_json_string(k);
    int enter = !strcmp(key, "Enter");
    /* A printable key's keyDown carries its text, as a keyboard's does. */
    snprintf(ev, sizeof ev, "{\"type\":\"keyDown\",\"key\":%s,\"text\":%s%s}", kj,
             enter ? "\"\\r\"" : kj, enter ? ",\"windowsVirtualKeyCode\":13,\"code\":\"Enter\"" : "");
    json_object_put(cdp_call(b, "Input.dispatchKeyEvent", ev));
    snprintf(ev, sizeof ev, "{\"type\":\"keyUp\",\"key\":%s%s}", kj,
             enter ? ",\"windowsVirtualKeyCode\":13,\"code\":\"Enter\"" : "");
    json_object_put(cdp_call(b, "Input.dispatchKeyEvent", ev));
    json_object_put(k);
}

/* The page keeps its own time: a promise armed before the key, taking
 * the time of the keydown event (capture phase, before the desk's own
 * handler) and resolving once the next ballot's page has loaded, its
 * image's id the one the desk selected (or the desk shows no ballot
 * any more); -1 after 20 s. */
static const char arm_js[] =
    "window.cdp_next = new Promise(function (done) {"
    " var from = document.body.dataset.selected, t0 = null, end = performance.now() + 20000;"
    " addEventListener('keydown', function () { t0 = performance.now(); },"
    " {capture: true, once: true});"
    " (function check() {"
    "  var img = document.getElementById('page'), s = document.body.dataset.selected;"
    "  var shown = s !== from && (img.hidden || (new URL(img.src).searchParams.get('id') === s"
    " && img.complete && img.naturalWidth > 0));"
    "  if (t0 !== null && (shown || document.getElementById('ballot').hidden))"
    " return done(performance.now() - t0);"
    "  if (performance.now() > end) return done(-1);"
    "  setTimeout(check, 1); })(); }), 1";

double cdp_desk_decide_by_key(cdp *b, const char *key)
{
    json_object_put(cdp_eval(b, arm_js));
    cdp_key(b, key);
    json_object *v = cdp_eval(b, "window.cdp_next");
    double ms = v ? json_object_get_double(v) : -1;
    json_object_put(v);
    if (ms < 0) {
        json_object *s = cdp_eval(b, "document.getElementById('decide-status').textContent");
        cdp_failf("in chromium, key %s brought no next ballot within 20 s: %s", key,
                  s ? json_object_get_string(s) : "");
    }
    return ms;
}
