/* session.c - who is logged in at the desk of `stemtel serve`, in memory
 *
 * Two small fixed tables, searched linearly (a sitting has a handful of
 * members): the sessions, and the failed logins per address. Lookups
 * compare every live id with CRYPTO_memcmp, so the time taken says
 * nothing of how much of a guessed id was right.
 */
#include "app/session.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADDRS 256

typedef struct failures {
    char addr[64];
    double since;                   /* the window's start; 0: free */
    int n;
} failures;

struct st_sessions {
    st_session s[ST_SESSION_MAX];   /* id[0] == 0: free */
    failures f[ADDRS];
};

st_sessions *st_sessions_new(void)
{
    return calloc(1, sizeof(st_sessions));
}

void st_sessions_free(st_sessions *t)
{
    if (t)
        OPENSSL_cleanse(t, sizeof *t);
    free(t);
}

static int random_hex(char *out)
{
    unsigned char b[ST_SESSION_ID_LEN / 2];
    if (RAND_bytes(b, sizeof b) != 1)
        return -1;
    for (size_t i = 0; i < sizeof b; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
    return 0;
}

static int expired(const st_session *s, double now)
{
    return now - s->last > ST_SESSION_IDLE_S || now - s->started > ST_SESSION_MAX_S;
}

int st_sessions_open(st_sessions *t, const char *member, double now, const st_session **out,
                     st_error *err)
{
    st_session *slot = &t->s[0];
    for (int i = 0; i < ST_SESSION_MAX; i++) {
        st_session *s = &t->s[i];
        if (!s->id[0] || expired(s, now)) {
            slot = s;
            break;
        }
        if (s->last < slot->last)
            slot = s;
    }
    memset(slot, 0, sizeof *slot);
    if (random_hex(slot->id) || random_hex(slot->csrf)) {
        memset(slot, 0, sizeof *slot);
        return st_error_set(err, ST_ERR_IO, "session: no random bytes for a session");
    }
    snprintf(slot->member, sizeof slot->member, "%s", member);
    slot->started = slot->last = now;
    *out = slot;
    return ST_OK;
}

static int same_id(const char *a, const char *b)
{
    return strlen(b) == ST_SESSION_ID_LEN &&
           CRYPTO_memcmp(a, b, ST_SESSION_ID_LEN) == 0;
}

const st_session *st_sessions_find(st_sessions *t, const char *id, double now)
{
    st_session *found = NULL;
    if (!id)
        return NULL;
    for (int i = 0; i < ST_SESSION_MAX; i++)
        if (t->s[i].id[0] && same_id(t->s[i].id, id))
            found = &t->s[i];
    if (found && expired(found, now)) {
        memset(found, 0, sizeof *found);
        found = NULL;
    }
    if (found)
        found->last = now;
    return found;
}

void st_sessions_close(st_sessions *t, const char *id)
{
    for (int i = 0; id && i < ST_SESSION_MAX; i++)
        if (t->s[i].id[0] && same_id(t->s[i].id, id))
            memset(&t->s[i], 0, sizeof t->s[i]);
}

int st_session_csrf_ok(const st_session *s, const char *token)
{
    return s && token && same_id(s->csrf, token);
}

static failures *failures_of(st_sessions *t, const char *addr, double now, int make)
{
    failures *oldest = &t->f[0];
    for (int i = 0; i < ADDRS; i++) {
        failures *f = &t->f[i];
        if (f->since && now - f->since > ST_SESSION_WINDOW_S)
            memset(f, 0, sizeof *f);
        if (f->since && !strcmp(f->addr, addr))
            return f;
        if (!f->since || (oldest->since && f->since < oldest->since))
            oldest = f;
    }
    if (!make)
        return NULL;
    memset(oldest, 0, sizeof *oldest);
    snprintf(oldest->addr, sizeof oldest->addr, "%s", addr);
    oldest->since = now;
    return oldest;
}

int st_sessions_may_try(st_sessions *t, const char *addr, double now)
{
    const failures *f = failures_of(t, addr, now, 0);
    return !f || f->n < ST_SESSION_FAILS;
}

void st_sessions_failed(st_sessions *t, const char *addr, double now)
{
    failures_of(t, addr, now, 1)->n++;
}

static int hexval(int ch)
{
    return isdigit(ch) ? ch - '0' : isxdigit(ch) ? tolower(ch) - 'a' + 10 : -1;
}

int st_session_form_get(const char *body, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = body; p && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, key, kl) || p[kl] != '=')
            continue;
        size_t len = 0;
        for (const char *v = p + kl + 1; *v && *v != '&'; v++) {
            int ch = (unsigned char)*v;
            if (ch == '+') {
                ch = ' ';
            } else if (ch == '%') {
                int hi = hexval((unsigned char)v[1]), lo = hi < 0 ? -1 : hexval((unsigned char)v[2]);
                if (lo < 0)
                    return -1;
                ch = hi * 16 + lo;
                v += 2;
            }
            if (len + 1 >= n || ch == 0)
                return -1;
            out[len++] = (char)ch;
        }
        out[len] = 0;
        return 0;
    }
    return -1;
}
