/* serve.h - the sitting's screens: a local web server over the store
 *
 * `stemtel serve` in library form: libmicrohttpd, one thread answering
 * every request in turn, over one read-only handle on the store
 * (st_store_open_readonly), so it runs beside a `stemtel scan` writing
 * the same file (WAL: neither waits for the other).
 *
 *   /                  the public display (Dutch; ?lang=en in English),
 *                      polling /api/public every second
 *   /operator          the operator view, polling /api/operator
 *   /reconcile         the reconciliation, from /api/reconcile (the JSON
 *                      of `stemtel reconcile --format json`, with the
 *                      blocks in Dutch too: st_screen_reconcile_json)
 *   /app.css, /app.js  the pages' style and script
 *   /login, /desk      the adjudication desk (app/desk.h): a member logs
 *                      in (POST /login) with the password of `stemtel
 *                      members passwd`; the desk (/api/desk, /api/ballot,
 *                      /page.png) answers only a session, and POST
 *                      /decide records a decision as `review decide` does
 *                      (POST /logout ends the session)
 *   /api/me            the session's member and CSRF token (401 without)
 *   POST /export       a logged-in member's download of the EML 510b,
 *                      made as `stemtel export eml` makes it; refused
 *                      (409) while something blocks a final result
 *
 * Everything is compiled in: no file, font or script from elsewhere. Every
 * answer carries a Content-Security-Policy allowing only its own origin
 * (no inline script or style), X-Content-Type-Options: nosniff, no
 * framing and no referrer to other origins; the JSON is never cached.
 * GET and HEAD are answered, and POST to /login, /logout, /decide,
 * /confirm and /export.
 * Sessions (app/session.h) are HttpOnly SameSite=Strict cookies kept in the server's memory; every
 * POST but the login needs the session's CSRF token (403 without it), a
 * POST from another Origin is refused (403), and five failed logins a
 * minute from one address make it wait (429).
 *
 * Who may see what: the server listens on 127.0.0.1 by default. On a
 * loopback address every view is served, to requests whose Host is that
 * address or localhost (a web page elsewhere cannot read the operator's
 * JSON by pointing a name at 127.0.0.1). On any other address only the
 * public display (/, /api/public and its style and script) is served,
 * unless allow_decisions is set; everything else answers 404 (the desk
 * and its login included).
 *
 * The documents are made again only when the store has changed
 * (st_store_data_version) and then at most every 0.5 s, or twenty times
 * what the last one took to make (a large store), so any number of
 * screens polling cost the count at most a twentieth of one core.
 */
#ifndef STEMTEL_SERVE_H
#define STEMTEL_SERVE_H

#include <signal.h>
#include <stdio.h>

#include "stemtel/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct st_serve_opts {
    const char *store_path;     /* the store (must exist) */
    const char *listen;         /* "ADDR:PORT" (IPv4, or [IPv6]:PORT); NULL:
                                   127.0.0.1:8080; port 0: any free one */
    int allow_decisions;        /* serve every view, the desk included, on a
                                   non-loopback address */
    int four_eyes;              /* vier ogen for this run even where the
                                   store's rule (st_store_four_eyes_get,
                                   read at every decision) is off: a
                                   decision at the desk counts only once a
                                   second, different member confirms it
                                   (POST /confirm) */
    const char *xsd;            /* 510-count-kiesraad-strict.xsd, for the
                                   export; NULL: POST /export is refused */
    const volatile sig_atomic_t *stop; /* raised to stop; NULL: never */
    FILE *log;                  /* where "listening on URL" is said, once
                                   the socket is open; NULL: nowhere */
} st_serve_opts;

/* Serve o->store_path as above until *o->stop is raised. Everything in o
 * is borrowed for the call. Returns ST_OK after a stop; ST_ERR_ARG (a
 * listen address that is not ADDR:PORT), ST_ERR_IO (the store cannot be
 * opened, the address cannot be bound), ST_ERR_INVALID (not a store),
 * with the message, prefixed "serve: ", in err. Decisions are written
 * through a second handle, opened for writing at the first. Answers on
 * a pool of threads (a login's hashing or a page image does not hold up
 * the other screens), each shared part behind its own lock. Holds no
 * global state;
 * signals are the caller's to catch (raising *o->stop). */
int st_serve_run(const st_serve_opts *o, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
