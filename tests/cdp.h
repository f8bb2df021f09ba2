/* cdp.h - Debian's chromium driven over the DevTools protocol, for tests and benchmarks
 *
 * Chromium with --remote-debugging-pipe reads commands on its fd 3 and
 * writes answers and events on its fd 4, each a JSON text ended by a NUL:
 * no WebSocket, no port, no npm package. One page target, attached flat,
 * so every command names its session. Script errors and CSP reports
 * arrive as events and are kept; cdp_stop fails on them.
 *
 * Nothing here returns an error: whatever goes wrong calls cdp_failf,
 * which the program linking this file defines (a test fails through
 * cmocka, a benchmark says why and exits) and which must not return.
 * Not thread-safe: one thread drives one browser.
 */
#ifndef ST_TESTS_CDP_H
#define ST_TESTS_CDP_H

#include <json-c/json.h>
#include <sys/types.h>

/* The viewport cdp_start gives, screenshots too. */
#define CDP_WIDTH 1280
#define CDP_HEIGHT 800

typedef struct cdp {
    pid_t pid;
    int to, from, next_id;
    char session[128];
    char *buf;
    size_t len, cap;
    char errors[4096];
} cdp;

/* Defined by the program: report msg and never return. */
void cdp_failf(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Seconds on a monotonic clock. */
double cdp_now(void);

/* Start $STEMTEL_CHROMIUM (default /usr/bin/chromium) headless with its
 * profile in dir, a blank page attached. */
void cdp_start(cdp *b, const char *dir);
/* Close the browser (killed after 10 s) and fail on any script error or
 * CSP report the page logged meanwhile. */
void cdp_stop(cdp *b);

/* Draw the page at width x height CSS pixels from now on. */
void cdp_viewport(cdp *b, int width, int height);

/* Run method with params (a JSON object's text, NULL: none) in the page's
 * session; its result, a new reference. */
json_object *cdp_call(cdp *b, const char *method, const char *params);
/* The value of the script expression js (promises awaited), a new
 * reference; NULL for undefined or null. */
json_object *cdp_eval(cdp *b, const char *js);
/* The same as an integer; -1 for undefined or null. */
long cdp_eval_int(cdp *b, const char *js);
/* Wait until js is true, up to 20 s; fails with what naming it. */
void cdp_until(cdp *b, const char *js, const char *what);
void cdp_go(cdp *b, const char *url);
/* A real mouse click in the middle of the element selector finds. */
void cdp_click(cdp *b, const char *selector);
/* Click into the field selector finds and type text there. */
void cdp_type(cdp *b, const char *selector, const char *text);
/* Press and release key ("b", "1", "Enter") as the keyboard would, on
 * whatever has the focus. */
void cdp_key(cdp *b, const char *key);
/* With $STEMTEL_SCREENSHOTS set, the viewport as chromium shows it into
 * that folder as name (for the README); else nothing. */
void cdp_screenshot(cdp *b, const char *name);

/* On the login page: type member and password, click, wait for the next
 * page. */
void cdp_login(cdp *b, const char *member, const char *password);

/* At the desk with a ballot shown: press key and wait until the next
 * ballot's page image has loaded, or the queue is empty. Milliseconds
 * from the key's event in the page to then, by the page's own clock. */
double cdp_desk_decide_by_key(cdp *b, const char *key);

#endif
