/* session.h - who is logged in at the desk of `stemtel serve`, in memory
 *
 * A session is a random 256-bit id (RAND_bytes) the browser holds in an
 * HttpOnly, SameSite=Strict cookie, the member it belongs to, its own
 * random CSRF token that every changing request must carry, and an
 * expiry: ST_SESSION_IDLE_S after its last use, never more than
 * ST_SESSION_MAX_S after the login. The table lives in the server's
 * memory only (a restart logs everyone out) and is owned by the server:
 * no global. Failed logins are counted per client address: after
 * ST_SESSION_FAILS within ST_SESSION_WINDOW_S, that address is refused
 * until the window has passed.
 *
 * Threads: a table belongs to one thread at a time: the server, which
 * answers on several, holds one mutex around every call and copies a
 * session out before letting it go. Ids and tokens are compared with CRYPTO_memcmp.
 * The module also reads the form fields those requests post.
 */
#ifndef STEMTEL_APP_SESSION_H
#define STEMTEL_APP_SESSION_H

#include <stddef.h>

#include "stemtel/error.h"

#define ST_SESSION_MAX 64           /* sessions at once; the oldest goes */
#define ST_SESSION_IDLE_S 1800.0
#define ST_SESSION_MAX_S 43200.0
#define ST_SESSION_FAILS 5
#define ST_SESSION_WINDOW_S 60.0
#define ST_SESSION_ID_LEN 64        /* hex characters */

typedef struct st_session {
    char id[ST_SESSION_ID_LEN + 1];
    char csrf[ST_SESSION_ID_LEN + 1];
    char member[104];
    double started, last;           /* st_clock_now() seconds */
} st_session;

typedef struct st_sessions st_sessions;

/* A new, empty table; NULL when out of memory. Free with
 * st_sessions_free. */
st_sessions *st_sessions_new(void);

/* Free t and every session in it. Accepts NULL. */
void st_sessions_free(st_sessions *t);

/* A new session for member (borrowed, copied) at time now, with fresh
 * random id and CSRF token; when the table is full the least recently
 * used session is ended. ST_OK with *out pointing into t (valid until
 * the next call on t); ST_ERR_IO when no random bytes could be had. */
int st_sessions_open(st_sessions *t, const char *member, double now, const st_session **out,
                     st_error *err);

/* The live session whose id is id (NULL or anything else: none) at time
 * now, its last use set to now; NULL when there is none or it expired
 * (an expired one is ended). Points into t, valid until the next call. */
const st_session *st_sessions_find(st_sessions *t, const char *id, double now);

/* End the session whose id is id, if any. */
void st_sessions_close(st_sessions *t, const char *id);

/* Nonzero when token (NULL: none) is session s's CSRF token. Pure. */
int st_session_csrf_ok(const st_session *s, const char *token);

/* Nonzero when address addr (a client's IP as text, borrowed) may try to
 * log in at time now: fewer than ST_SESSION_FAILS failures in its
 * current window. */
int st_sessions_may_try(st_sessions *t, const char *addr, double now);

/* Count one failed login from addr at time now (a window starts with the
 * first failure and lasts ST_SESSION_WINDOW_S). The least recently seen
 * address is forgotten when the table of addresses is full. */
void st_sessions_failed(st_sessions *t, const char *addr, double now);

/* Field key of the application/x-www-form-urlencoded body (NULL: none;
 * what a login or a change posts), decoded, into out (n bytes). 0; -1
 * when it is missing, badly encoded, holds a NUL or is too long. Pure. */
int st_session_form_get(const char *body, const char *key, char *out, size_t n);

#endif
