/* serve.c - the sitting's screens: a local web server over the store
 *
 * libmicrohttpd answers on a pool of SERVE_THREADS threads, so a login
 * (a quarter of a second of hashing on purpose) or a page image does not
 * hold up the other screens; the caller's thread waits for the stop
 * flag. What the threads share has one lock each: the report and its
 * documents (with the read handle they are made from), the sessions
 * (copied out under the lock), logins (one at a time, so the rate limit
 * holds), the handle for writing decisions, and a
 * small pool of read handles for the desk and the login, one request
 * each at a time (a store handle is one thread's at a time). The documents the
 * screens poll come from one reconciliation report (st_reconcile), kept
 * with the store's data_version it was made at: while nothing was
 * committed it is reused, and after a commit it is made again at most
 * every 0.5 s (or twenty times what the last one took, on a large store),
 * however many screens poll; the operator's is also made again every
 * second without a commit, since a source's state (counting, idle) changes
 * with time alone. The export (POST /export) writes the 510b through
 * st_export_eml into a folder of its own under $TMPDIR, sends it and
 * removes it. Pages, style and script are compiled in (serve_pages.c).
 */
#include "stemtel/serve.h"
#include "app/desk.h"
#include "app/serve_pages.h"
#include "app/session.h"
#include "stemtel/export.h"
#include "stemtel/reconcile.h"
#include "stemtel/screens.h"
#include "stemtel/store.h"
#include "util/clock.h"
#include "util/password.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <json-c/json.h>
#include <pthread.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SERVE_DEFAULT_LISTEN "127.0.0.1:8080"
#define SERVE_REFRESH_S 0.5
#define SERVE_REPORT_SHARE 20     /* at most 1/20 of a core making reports */
#define SERVE_RECENT 20
#define SERVE_WARNINGS 50
#define SERVE_BODY_MAX 16384
#define SERVE_COOKIE "stemtel_session"
#define SERVE_THREADS 4           /* answering threads, and read handles */
#define SERVE_SOURCES_EVERY 1.0   /* the operator's sources go stale this fast */

/* Only this origin, no inline code, no framing, no plugins. */
#define SERVE_CSP                                                                  \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "    \
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " \
    "frame-ancestors 'none'"

/* The documents made with each report; the desk's queue too (without
 * the member and token, spliced in per session: desk_queue), so a desk
 * polling every second while a scan runs costs no more than a screen. */
enum { DOC_PUBLIC, DOC_OPERATOR, DOC_RECONCILE, DOC_DESK, DOC_N };

typedef struct server {
    pthread_mutex_t doc_lock;   /* store, recon .. failure */
    st_store *store;
    int all_views;              /* loopback, or allow_decisions */
    int check_host;             /* loopback: Host must name it */
    char host[3][80];           /* the Host values taken on loopback */
    st_recon *recon;            /* the report the documents come from */
    int64_t version;            /* the store's data_version it was made at */
    double made_at, build_s;    /* when, and how long it took */
    unsigned gen;               /* bumped with every new report */
    char *doc[DOC_N];
    unsigned doc_gen[DOC_N];
    double doc_at[DOC_N];       /* when each was made */
    int fresh;                  /* a decision was taken here: the next
                                   report comes at once */
    char failure[ST_ERROR_MAX]; /* the last error making a document, said
                                   once in log */
    FILE *log;
    const char *store_path;
    pthread_mutex_t sess_lock;
    pthread_mutex_t login_lock; /* one login at a time (the rate limit) */
    st_sessions *sessions;      /* who is logged in at the desk */
    pthread_mutex_t write_lock;
    st_store *writer;           /* for decisions, opened at the first */
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_free;
    st_store *reader[SERVE_THREADS]; /* for the desk and the login */
    int reader_busy[SERVE_THREADS];
    int four_eyes;              /* --four-eyes: vier ogen for this run even
                                   where the store's rule is off */
    const char *xsd;            /* the 510 schema, or NULL: no export */
} server;

/* A POST's body as it arrives, NUL-terminated. */
typedef struct request {
    size_t len;
    int too_big;
    int confirm;                /* set by on_post for /confirm */
    char body[SERVE_BODY_MAX + 1];
} request;

typedef struct listen_addr {
    struct sockaddr_storage sa;
    socklen_t len;
    int v6, loopback, port;
    char host[64];              /* as given, brackets kept for IPv6 */
} listen_addr;

static int parse_listen(const char *spec, listen_addr *a, st_error *err)
{
    memset(a, 0, sizeof *a);
    const char *colon = strrchr(spec, ':');
    char host[64];
    size_t hl = colon ? (size_t)(colon - spec) : 0;
    if (!colon || hl == 0 || hl >= sizeof host)
        return st_error_set(err, ST_ERR_ARG, "serve: --listen \"%s\": want ADDR:PORT, e.g. "
                                             "127.0.0.1:8080", spec);
    memcpy(host, spec, hl);
    host[hl] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || port < 0 || port > 65535)
        return st_error_set(err, ST_ERR_ARG, "serve: --listen \"%s\": the port must be 0 to "
                                             "65535", spec);
    snprintf(a->host, sizeof a->host, "%s", host);
    a->port = (int)port;
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    if (host[0] == '[' && host[hl - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&a->sa;
        host[hl - 1] = 0;
        if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
            return st_error_set(err, ST_ERR_ARG, "serve: --listen \"%s\": not an IPv6 "
                                                 "address", spec);
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)port);
        a->len = sizeof *s6;
        a->v6 = 1;
        a->loopback = IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr);
        return ST_OK;
    }
    struct sockaddr_in *s4 = (struct sockaddr_in *)&a->sa;
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
        return st_error_set(err, ST_ERR_ARG, "serve: --listen \"%s\": not an IPv4 address "
                                             "(or [IPv6], or localhost)", spec);
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    a->len = sizeof *s4;
    a->loopback = (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
    return ST_OK;
}

/* One line in the log, if there is one. */
static void say(server *sv, const char *what)
{
    if (sv->log) {
        fprintf(sv->log, "stemtel: serve: %s\n", what);
        fflush(sv->log);
    }
}

/* A new report when the store changed and the last is old enough. */
static int refresh(server *sv, st_error *err)
{
    int64_t v;
    int rc = st_store_data_version(sv->store, &v, err);
    if (rc)
        return rc;
    double now = st_clock_now();
    /* Never more than a twentieth of a core making reports, however many
     * screens poll: on a large store the interval grows with what one
     * costs (35 ms on 10,000 ballots: every 0.7 s, within the screens'
     * 2 s). */
    double every = sv->build_s * SERVE_REPORT_SHARE > SERVE_REFRESH_S
                       ? sv->build_s * SERVE_REPORT_SHARE : SERVE_REFRESH_S;
    if (sv->recon && (v == sv->version || (!sv->fresh && now - sv->made_at < every)))
        return ST_OK;
    sv->fresh = 0;
    st_recon *r = NULL;
    if ((rc = st_reconcile(sv->store, &r, err)))
        return rc;
    st_recon_free(sv->recon);
    sv->recon = r;
    sv->version = v;
    sv->made_at = now;
    sv->build_s = st_clock_now() - now;
    sv->gen++;
    return ST_OK;
}

/* Whether vier ogen holds now: the store's rule, read through h each
 * time so that the voorzitter's switch takes effect while serve runs, or
 * --four-eyes. */
static int four_eyes(server *sv, st_store *h, int *on, st_error *err)
{
    int rc = st_store_four_eyes_get(h, on, err);
    if (!rc)
        *on = *on || sv->four_eyes;
    return rc;
}

/* A copy of document kind (malloc'd, the caller's), made again when its
 * report is newer. NULL with sv->failure set on an error. */
static char *document(server *sv, int kind)
{
    st_error err = {0};
    int rule = 0;
    pthread_mutex_lock(&sv->doc_lock);
    int rc = refresh(sv, &err);
    double now = st_clock_now();
    if (!rc && (!sv->doc[kind] || sv->doc_gen[kind] != sv->gen ||
                (kind == DOC_OPERATOR && now - sv->doc_at[kind] >= SERVE_SOURCES_EVERY))) {
        char *text = NULL;
        rc = kind == DOC_PUBLIC     ? st_screen_public_json(sv->recon, &text, &err)
             : kind == DOC_OPERATOR ? st_screen_operator_json(sv->store, sv->recon, SERVE_RECENT,
                                                              SERVE_WARNINGS, st_clock_wall(),
                                                              &text, &err)
             : kind == DOC_DESK     ? (four_eyes(sv, sv->store, &rule, &err)
                                           ? err.code
                                           : st_desk_queue_json(sv->store, NULL, NULL, rule,
                                                                &text, &err))
                                    : st_screen_reconcile_json(sv->recon, &text, &err);
        if (!rc) {
            free(sv->doc[kind]);
            sv->doc[kind] = text;
            sv->doc_gen[kind] = sv->gen;
            sv->doc_at[kind] = now;
        }
    }
    char *copy = NULL;
    if (rc) {
        if (strcmp(sv->failure, err.msg))
            say(sv, err.msg);
        snprintf(sv->failure, sizeof sv->failure, "%s", err.msg);
    } else {
        sv->failure[0] = 0;
        copy = strdup(sv->doc[kind]);
    }
    pthread_mutex_unlock(&sv->doc_lock);
    return copy;
}

/* A read handle of the pool, waiting for one to be free. */
static st_store *reader_take(server *sv)
{
    st_store *r = NULL;
    pthread_mutex_lock(&sv->pool_lock);
    while (!r) {
        for (int i = 0; i < SERVE_THREADS && !r; i++)
            if (!sv->reader_busy[i]) {
                sv->reader_busy[i] = 1;
                r = sv->reader[i];
            }
        if (!r)
            pthread_cond_wait(&sv->pool_free, &sv->pool_lock);
    }
    pthread_mutex_unlock(&sv->pool_lock);
    return r;
}

static void reader_give(server *sv, st_store *r)
{
    pthread_mutex_lock(&sv->pool_lock);
    for (int i = 0; i < SERVE_THREADS; i++)
        if (sv->reader[i] == r)
            sv->reader_busy[i] = 0;
    pthread_cond_signal(&sv->pool_free);
    pthread_mutex_unlock(&sv->pool_lock);
}

/* A response with the headers every answer carries. NULL on no memory. */
static struct MHD_Response *response(const char *type, const void *body, size_t len, int copy,
                                     int no_store)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)body, copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
    if (!r)
        return NULL;
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "Content-Security-Policy", SERVE_CSP);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    /* same-origin, not no-referrer: with no-referrer a browser sends a
     * form's POST with "Origin: null", and origin_ok needs the real one. */
    MHD_add_response_header(r, "Referrer-Policy", "same-origin");
    MHD_add_response_header(r, "Cache-Control", no_store ? "no-store" : "no-cache");
    return r;
}

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status, struct MHD_Response *r)
{
    if (!r)
        return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, const char *type,
                              const char *body, int copy, int no_store)
{
    return queue(c, status, response(type, body, strlen(body), copy, no_store));
}

static enum MHD_Result plain(struct MHD_Connection *c, unsigned status, const char *text)
{
    return answer(c, status, "text/plain; charset=utf-8", text, 0, 1);
}

/* 303 to location, setting cookie when not NULL. */
static enum MHD_Result redirect(struct MHD_Connection *c, const char *location,
                                const char *cookie)
{
    struct MHD_Response *r = response("text/plain; charset=utf-8", "", 0, 0, 1);
    if (r) {
        MHD_add_response_header(r, "Location", location);
        if (cookie)
            MHD_add_response_header(r, "Set-Cookie", cookie);
    }
    return queue(c, MHD_HTTP_SEE_OTHER, r);
}

static int host_ok(const server *sv, struct MHD_Connection *c)
{
    if (!sv->check_host)
        return 1;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    for (int i = 0; h && i < 3; i++)
        if (sv->host[i][0] && !strcmp(h, sv->host[i]))
            return 1;
    return 0;
}

/* A browser says where a POST comes from: it must be this server. */
static int origin_ok(struct MHD_Connection *c)
{
    const char *o = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    return !o || (h && !strncmp(o, "http://", 7) && !strcmp(o + 7, h));
}

static int en(struct MHD_Connection *c)
{
    const char *l = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    return l && !strcmp(l, "en");
}

/* The session of c's cookie copied into *out (the table may change as
 * soon as the lock is let go); 1 when there is one, else 0. */
static int session_of(server *sv, struct MHD_Connection *c, st_session *out)
{
    pthread_mutex_lock(&sv->sess_lock);
    const st_session *s =
        st_sessions_find(sv->sessions, MHD_lookup_connection_value(c, MHD_COOKIE_KIND, SERVE_COOKIE),
                         st_clock_now());
    if (s)
        *out = *s;
    pthread_mutex_unlock(&sv->sess_lock);
    return s != NULL;
}

/* The JSON answer {"error": msg} with status. */
static enum MHD_Result json_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "error", json_object_new_string(msg));
    enum MHD_Result ok = answer(c, status, "application/json",
                                json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE),
                                1, 1);
    json_object_put(o);
    return ok;
}

/* A document of the desk (made by make into text), or its error. */
static enum MHD_Result desk_answer(server *sv, struct MHD_Connection *c, int rc, char *text,
                                   const st_error *err)
{
    if (rc) {
        if (rc != ST_ERR_ARG)
            say(sv, err->msg);
        return json_error(c, rc == ST_ERR_ARG ? MHD_HTTP_NOT_FOUND
                                              : MHD_HTTP_SERVICE_UNAVAILABLE, err->msg);
    }
    enum MHD_Result ok = answer(c, MHD_HTTP_OK, "application/json", text, 1, 1);
    free(text);
    return ok;
}

/* The ballot named by ?id=, or 0. */
static int64_t id_arg(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "id");
    char *end;
    long long id = v ? strtoll(v, &end, 10) : 0;
    return v && *v && !*end && id > 0 ? (int64_t)id : 0;
}

/* The desk's queue for session s (malloc'd into *out): the report's
 * queue with s's member and CSRF token in place of its nulls. */
static int desk_queue(server *sv, const st_session *s, char **out, st_error *err)
{
    static const char head[] = "{\"member\":null,\"csrf\":null,";
    char *doc = document(sv, DOC_DESK);
    if (!doc)
        return st_error_set(err, ST_ERR_IO, "serve: the store cannot be read");
    if (strncmp(doc, head, sizeof head - 1)) {
        free(doc);
        return st_error_set(err, ST_ERR_IO, "serve: the desk's queue is not as made");
    }
    json_object *m = json_object_new_string(s->member);
    const char *mj = json_object_to_json_string_ext(m, JSON_C_TO_STRING_NOSLASHESCAPE);
    const char *rest = doc + sizeof head - 1;
    size_t n = strlen(mj) + strlen(s->csrf) + strlen(rest) + 32;
    char *text = malloc(n);
    if (text)
        snprintf(text, n, "{\"member\":%s,\"csrf\":\"%s\",%s", mj, s->csrf, rest);
    json_object_put(m);
    free(doc);
    if (!text)
        return st_error_set(err, ST_ERR_NOMEM, "serve: out of memory");
    *out = text;
    return ST_OK;
}

/* GET of the desk's pages and documents: a page without a session goes
 * to the login, a document answers 401. */
static enum MHD_Result desk_get(server *sv, struct MHD_Connection *c, const char *url)
{
    st_session own;
    const st_session *s = session_of(sv, c, &own) ? &own : NULL;
    st_error err = {0};
    char *text = NULL;
    if (!strcmp(url, "/desk")) {
        if (!s)
            return redirect(c, en(c) ? "/login?lang=en" : "/login", NULL);
        return answer(c, MHD_HTTP_OK, "text/html; charset=utf-8", st_desk_page_find(url)->body,
                      0, 1);
    }
    if (!s)
        return json_error(c, MHD_HTTP_UNAUTHORIZED, "log in first (/login)");
    if (!strcmp(url, "/api/me")) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "member", json_object_new_string(s->member));
        json_object_object_add(o, "csrf", json_object_new_string(s->csrf));
        json_object_object_add(o, "can_export", json_object_new_boolean(sv->xsd != NULL));
        enum MHD_Result ok = answer(c, MHD_HTTP_OK, "application/json",
                                    json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE),
                                    1, 1);
        json_object_put(o);
        return ok;
    }
    if (!strcmp(url, "/api/desk")) {
        int rc = desk_queue(sv, s, &text, &err);
        return desk_answer(sv, c, rc, text, &err);
    }
    st_store *r = reader_take(sv);
    int rc;
    if (!strcmp(url, "/api/ballot")) {
        rc = st_desk_ballot_json(r, id_arg(c), &text, &err);
        reader_give(sv, r);
        return desk_answer(sv, c, rc, text, &err);
    }
    unsigned char *png = NULL;
    size_t len = 0;
    rc = st_desk_page_png(r, id_arg(c), &png, &len, &err);
    reader_give(sv, r);
    if (rc)
        return desk_answer(sv, c, rc, NULL, &err);
    enum MHD_Result ok = queue(c, MHD_HTTP_OK, response("image/png", png, len, 1, 1));
    free(png);
    return ok;
}

static enum MHD_Result on_login(server *sv, struct MHD_Connection *c, const request *rq)
{
    char addr[INET6_ADDRSTRLEN] = "", member[128], pw[ST_PASSWORD_MAX + 2], cookie[192];
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, addr, sizeof addr);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, addr, sizeof addr);
    double now = st_clock_now();
    int english = st_session_form_get(rq->body, "lang", member, sizeof member) == 0 &&
                  !strcmp(member, "en");
    /* One login at a time, from the check of the address's failures to
     * their count: logins racing on several threads must not pass the
     * limit together. The screens' threads do not wait for it. */
    pthread_mutex_lock(&sv->login_lock);
    pthread_mutex_lock(&sv->sess_lock);
    int may = st_sessions_may_try(sv->sessions, addr, now);
    pthread_mutex_unlock(&sv->sess_lock);
    if (!may) {
        pthread_mutex_unlock(&sv->login_lock);
        return answer(c, MHD_HTTP_TOO_MANY_REQUESTS, "text/html; charset=utf-8",
                      st_desk_page_find("/login-limited")->body, 0, 1);
    }
    st_error err = {0};
    int rc = ST_ERR_ARG;
    if (!st_session_form_get(rq->body, "member", member, sizeof member) &&
        !st_session_form_get(rq->body, "password", pw, sizeof pw)) {
        st_store *r = reader_take(sv);
        rc = st_store_member_login(r, member, pw, &err);
        reader_give(sv, r);
    }
    memset(pw, 0, sizeof pw);
    if (rc == ST_ERR_ARG) {
        pthread_mutex_lock(&sv->sess_lock);
        st_sessions_failed(sv->sessions, addr, now);
        pthread_mutex_unlock(&sv->sess_lock);
    }
    pthread_mutex_unlock(&sv->login_lock);
    if (rc == ST_ERR_ARG) {
        snprintf(cookie, sizeof cookie, "a failed login from %s", addr);
        say(sv, cookie);
        return answer(c, MHD_HTTP_UNAUTHORIZED, "text/html; charset=utf-8",
                      st_desk_page_find("/login-failed")->body, 0, 1);
    }
    const st_session *s = NULL;
    if (!rc) {
        pthread_mutex_lock(&sv->sess_lock);
        if (!(rc = st_sessions_open(sv->sessions, member, now, &s, &err)))
            snprintf(cookie, sizeof cookie, SERVE_COOKIE "=%s; HttpOnly; SameSite=Strict; "
                     "Path=/; Max-Age=%d", s->id, (int)ST_SESSION_MAX_S);
        pthread_mutex_unlock(&sv->sess_lock);
    }
    if (rc) {
        say(sv, err.msg);
        return plain(c, MHD_HTTP_SERVICE_UNAVAILABLE, "the store cannot be read\n");
    }
    return redirect(c, english ? "/desk?lang=en" : "/desk", cookie);
}

/* A decision from the desk, through the same code as `review decide`,
 * on a handle for writing opened at the first one. */
static enum MHD_Result on_decide(server *sv, struct MHD_Connection *c, const request *rq,
                                 const st_session *s)
{
    char id[32], as[64], note[512];
    st_error err = {0};
    char *end;
    int confirm = rq->confirm;
    if (st_session_form_get(rq->body, "id", id, sizeof id) ||
        (!confirm && st_session_form_get(rq->body, "as", as, sizeof as)))
        return json_error(c, MHD_HTTP_BAD_REQUEST, confirm ? "a confirmation needs id"
                                                           : "a decision needs id and as");
    long long n = strtoll(id, &end, 10);
    int has_note = !st_session_form_get(rq->body, "note", note, sizeof note) && note[0];
    int rc = *end || n < 1 ? st_error_set(&err, ST_ERR_ARG, "serve: no ballot \"%s\"", id) : 0;
    pthread_mutex_lock(&sv->write_lock);
    if (!rc && !sv->writer && (rc = st_store_open(sv->store_path, NULL, &sv->writer, &err)))
        say(sv, err.msg);
    int rule = 0;
    if (!rc && confirm)
        rc = st_store_confirm(sv->writer, n, s->member, &err);
    else if (!rc && !(rc = four_eyes(sv, sv->writer, &rule, &err)))
        rc = st_desk_decide(sv->writer, n, as, s->member, has_note ? note : NULL, rule, &err);
    pthread_mutex_unlock(&sv->write_lock);
    if (!rc) { /* the member sees it at once, not after the next interval */
        pthread_mutex_lock(&sv->doc_lock);
        sv->fresh = 1;
        pthread_mutex_unlock(&sv->doc_lock);
    }
    if (rc)
        return json_error(c, rc == ST_ERR_ARG ? MHD_HTTP_BAD_REQUEST
                                              : MHD_HTTP_SERVICE_UNAVAILABLE, err.msg);
    return answer(c, MHD_HTTP_OK, "application/json", "{\"ok\":true}", 0, 1);
}

/* The file a download of the 510b is named: the Kiesraad's way,
 * Telling_<election id>.eml.xml, with only letters, digits, _ and -. */
static void export_name(const st_model *m, char *buf, size_t n)
{
    size_t k = (size_t)snprintf(buf, n, "Telling_");
    for (const char *p = m->election_id; *p && k + 1 < n; p++)
        if (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
            buf[k++] = *p;
    snprintf(buf + k, n - k, ".eml.xml");
}

/* The 510b of the store as `stemtel export eml` writes it (refused the
 * same way while something blocks a final result), made in a folder of
 * its own and sent as a download; the folder is removed again. */
static enum MHD_Result on_export(server *sv, struct MHD_Connection *c, const st_session *s)
{
    char dir[4096], path[4200], name[160], line[512];
    const char *tmp = getenv("TMPDIR");
    st_error err = {0};
    if (!sv->xsd)
        return json_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "serve: the official 510 schema "
                          "was not found (STEMTEL_XSD_DIR): nothing can be exported");
    snprintf(dir, sizeof dir, "%s/stemtel-export-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        return json_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "serve: no folder for the export");
    snprintf(path, sizeof path, "%s/export.eml.xml", dir);
    st_store *r = reader_take(sv);
    int rc = st_export_eml(r, path, 0, sv->xsd, &err);
    export_name(st_store_model(r), name, sizeof name);
    reader_give(sv, r);
    size_t len = 0;
    char *xml = NULL;
    FILE *f = rc ? NULL : fopen(path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        long size = ftell(f);
        rewind(f);
        xml = size >= 0 ? malloc((size_t)size + 1) : NULL;
        if (xml)
            len = fread(xml, 1, (size_t)size, f);
        if (!xml || len != (size_t)size) {
            free(xml);
            xml = NULL;
        }
        fclose(f);
    }
    unlink(path);
    rmdir(dir);
    if (rc)
        return json_error(c, rc == ST_ERR_INVALID ? MHD_HTTP_CONFLICT
                                                  : MHD_HTTP_SERVICE_UNAVAILABLE, err.msg);
    if (!xml)
        return json_error(c, MHD_HTTP_SERVICE_UNAVAILABLE, "serve: the export cannot be read "
                                                           "back");
    snprintf(line, sizeof line, "the EML 510b (%s) exported by %s", name, s->member);
    say(sv, line);
    struct MHD_Response *resp = response("application/xml", xml, len, 1, 1);
    free(xml);
    if (resp) {
        snprintf(line, sizeof line, "attachment; filename=\"%s\"", name);
        MHD_add_response_header(resp, "Content-Disposition", line);
    }
    return queue(c, MHD_HTTP_OK, resp);
}

static enum MHD_Result on_post(server *sv, struct MHD_Connection *c, const char *url,
                               request *rq)
{
    int login = !strcmp(url, "/login");
    int change = !strcmp(url, "/decide") || !strcmp(url, "/confirm");
    int export = !strcmp(url, "/export");
    if (!sv->all_views && (login || !strcmp(url, "/logout") || change || export))
        return plain(c, MHD_HTTP_NOT_FOUND, "not here\n");
    if (!login && strcmp(url, "/logout") && !change && !export)
        return plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD here\n");
    if (rq->too_big)
        return plain(c, 413, "too much\n");
    if (!origin_ok(c))
        return plain(c, MHD_HTTP_FORBIDDEN, "not from this server's own pages\n");
    if (login)
        return on_login(sv, c, rq);
    st_session own;
    const st_session *s = session_of(sv, c, &own) ? &own : NULL;
    char token[ST_SESSION_ID_LEN + 2];
    if (!s)
        return json_error(c, MHD_HTTP_UNAUTHORIZED, "log in first (/login)");
    if (st_session_form_get(rq->body, "csrf", token, sizeof token) || !st_session_csrf_ok(s, token))
        return json_error(c, MHD_HTTP_FORBIDDEN, "no valid CSRF token");
    if (change) {
        rq->confirm = !strcmp(url, "/confirm");
        return on_decide(sv, c, rq, s);
    }
    if (export)
        return on_export(sv, c, s);
    pthread_mutex_lock(&sv->sess_lock);
    st_sessions_close(sv->sessions, s->id);
    pthread_mutex_unlock(&sv->sess_lock);
    return redirect(c, "/login", SERVE_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
}

/* Gather a POST's body (up to SERVE_BODY_MAX) into *con_cls; 1 while
 * more is to come. */
static int gather(void **con_cls, const char *data, size_t *size, enum MHD_Result *ret)
{
    request *rq = *con_cls;
    *ret = MHD_YES;
    if (!rq) {
        if (!(rq = calloc(1, sizeof *rq)))
            *ret = MHD_NO;
        *con_cls = rq;
        return 1;
    }
    if (!*size)
        return 0;
    if (rq->len + *size > SERVE_BODY_MAX) {
        rq->too_big = 1;
    } else {
        memcpy(rq->body + rq->len, data, *size);
        rq->len += *size;
        rq->body[rq->len] = 0;
    }
    *size = 0;
    return 1;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    free(*con_cls);
    *con_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    server *sv = cls;
    enum MHD_Result ret;
    (void)version;
    int post = !strcmp(method, "POST");
    if (post && gather(con_cls, upload_data, upload_data_size, &ret))
        return ret;
    if (!post && strcmp(method, "GET") && strcmp(method, "HEAD")) {
        *upload_data_size = 0;
        return plain(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET, HEAD and POST\n");
    }
    if (!host_ok(sv, c))
        return plain(c, MHD_HTTP_MISDIRECTED_REQUEST, "this server answers only to its own "
                                                      "address\n");
    if (post)
        return on_post(sv, c, url, *con_cls);
    const st_serve_page *p = st_serve_page_find(url);
    if (p && (p->is_public || sv->all_views))
        return answer(c, MHD_HTTP_OK, p->type, p->body, 0, 0);
    if (sv->all_views && (p = st_desk_page_find(url)) && strcmp(url, "/desk"))
        return answer(c, MHD_HTTP_OK, p->type, p->body, 0, 0);
    if (sv->all_views && (!strcmp(url, "/desk") || !strcmp(url, "/api/desk") ||
                          !strcmp(url, "/api/me") ||
                          !strcmp(url, "/api/ballot") || !strcmp(url, "/page.png")))
        return desk_get(sv, c, url);
    int kind = !strcmp(url, "/api/public")      ? DOC_PUBLIC
               : !strcmp(url, "/api/operator")  ? DOC_OPERATOR
               : !strcmp(url, "/api/reconcile") ? DOC_RECONCILE
                                                : -1;
    if (kind < 0 || (kind != DOC_PUBLIC && !sv->all_views))
        return plain(c, MHD_HTTP_NOT_FOUND, "not here\n");
    char *doc = document(sv, kind);
    if (!doc) {
        return answer(c, MHD_HTTP_SERVICE_UNAVAILABLE, "application/json",
                      "{\"error\":\"the store cannot be read\"}", 0, 1);
    }
    enum MHD_Result ok = answer(c, MHD_HTTP_OK, "application/json", doc, 1, 1);
    free(doc);
    return ok;
}

int st_serve_run(const st_serve_opts *o, st_error *err)
{
    server sv = {0};
    listen_addr a;
    struct MHD_Daemon *d = NULL;
    int rc = parse_listen(o->listen ? o->listen : SERVE_DEFAULT_LISTEN, &a, err);
    if (rc)
        return rc;
    pthread_mutex_init(&sv.doc_lock, NULL);
    pthread_mutex_init(&sv.sess_lock, NULL);
    pthread_mutex_init(&sv.login_lock, NULL);
    pthread_mutex_init(&sv.write_lock, NULL);
    pthread_mutex_init(&sv.pool_lock, NULL);
    pthread_cond_init(&sv.pool_free, NULL);
    if ((rc = st_store_open_readonly(o->store_path, &sv.store, err))) {
        st_error_prefix(err, "serve");
        goto out;
    }
    for (int i = 0; i < SERVE_THREADS; i++)
        if ((rc = st_store_open_readonly(o->store_path, &sv.reader[i], err))) {
            st_error_prefix(err, "serve");
            goto out;
        }
    sv.log = o->log;
    sv.store_path = o->store_path;
    sv.all_views = a.loopback || o->allow_decisions;
    sv.four_eyes = o->four_eyes;
    sv.xsd = o->xsd;
    if (!(sv.sessions = st_sessions_new())) {
        rc = st_error_set(err, ST_ERR_NOMEM, "serve: out of memory");
        goto out;
    }
    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
                             (a.v6 ? MHD_USE_IPv6 : 0),
                         0, NULL, NULL, on_request, &sv, MHD_OPTION_SOCK_ADDR, &a.sa,
                         MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)SERVE_THREADS, MHD_OPTION_END);
    if (!d) {
        rc = st_error_set(err, ST_ERR_IO, "serve: cannot listen on %s:%d (in use, or not an "
                                          "address of this machine)", a.host, a.port);
        goto out;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    int port = info ? (int)info->port : a.port;
    if (a.loopback) {
        sv.check_host = 1;
        snprintf(sv.host[0], sizeof sv.host[0], "%s:%d", a.host, port);
        snprintf(sv.host[1], sizeof sv.host[1], "localhost:%d", port);
        snprintf(sv.host[2], sizeof sv.host[2], "%s:%d", a.v6 ? "[::1]" : "127.0.0.1", port);
    }
    if (o->log) {
        fprintf(o->log, "stemtel: serve: listening on http://%s:%d/ (%s)\n", a.host, port,
                sv.all_views ? "every view" : "the public display only");
        fflush(o->log);
    }
    while (!(o->stop && *o->stop)) {
        struct timespec t = {0, 100 * 1000000L};
        nanosleep(&t, NULL);
    }
    rc = ST_OK;
out:
    if (d)
        MHD_stop_daemon(d);
    for (int k = 0; k < DOC_N; k++)
        free(sv.doc[k]);
    st_recon_free(sv.recon);
    st_sessions_free(sv.sessions);
    st_store_close(sv.writer);
    st_store_close(sv.store);
    for (int i = 0; i < SERVE_THREADS; i++)
        st_store_close(sv.reader[i]);
    pthread_cond_destroy(&sv.pool_free);
    pthread_mutex_destroy(&sv.pool_lock);
    pthread_mutex_destroy(&sv.write_lock);
    pthread_mutex_destroy(&sv.sess_lock);
    pthread_mutex_destroy(&sv.login_lock);
    pthread_mutex_destroy(&sv.doc_lock);
    return rc;
}
