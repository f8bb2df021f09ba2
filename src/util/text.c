/* text.c - check text that enters from outside, and escape it for a terminal
 *
 * One decoder walks UTF-8 by hand (RFC 3629: shortest form, no surrogates,
 * at most U+10FFFF) and classifies each character; the check stops at the
 * first bad one, the escaper writes the good ones through and the rest as
 * \xNN of their bytes.
 */
#include "util/text.h"

#include <string.h>

/* The character at s (n bytes left) into *cp; returns its length, or 0
 * when the bytes there are not UTF-8. */
static size_t st_text_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned long c = s[0], min;
    size_t len;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, c &= 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, c &= 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, c &= 0x07, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* 1 for a character no outside text may hold. */
static int st_text_banned(unsigned long c)
{
    return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0xfffe || c == 0xffff;
}

static const char *st_text_scan(const char *s, size_t len, int ws, size_t *at)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned long c;
        size_t k = st_text_decode(p + i, len - i, &c);
        const char *why = !k                  ? "invalid UTF-8"
                          : c == 0            ? "a NUL character"
                          : st_text_banned(c) && !(ws && (c == '\t' || c == '\n' || c == '\r'))
                              ? "a control character"
                              : NULL;
        if (why) {
            if (at)
                *at = i;
            return why;
        }
        i += k;
    }
    return NULL;
}

const char *st_text_problem(const char *s, size_t len, size_t *at)
{
    return st_text_scan(s, len, 0, at);
}

const char *st_text_problem_xml(const char *s, size_t len, size_t *at)
{
    return st_text_scan(s, len, 1, at);
}

int st_text_check_len(const char *s, size_t len, const char *where, const char *field,
                      st_error *err)
{
    size_t at = 0;
    const char *why = s ? st_text_problem(s, len, &at) : NULL;
    if (!why)
        return ST_OK;
    return st_error_set(err, ST_ERR_INVALID, "%s: %s: %s at byte %zu", where, field, why,
                        at + 1);
}

int st_text_check(const char *s, const char *where, const char *field, st_error *err)
{
    return st_text_check_len(s, s ? strlen(s) : 0, where, field, err);
}

/* The escaped form of the character or byte at p (k bytes, 0 for a byte
 * that is not UTF-8) into out (room for 17 bytes); returns its length. */
static size_t st_text_escape_one(const unsigned char *p, size_t k, unsigned long c, char *out)
{
    if (k && !st_text_banned(c) && c != '\\') {
        memcpy(out, p, k);
        return k;
    }
    if (k && c == '\\') {
        memcpy(out, "\\\\", 2);
        return 2;
    }
    size_t n = 0;
    /* A C1 character is two bytes; show both. */
    for (size_t j = 0; j < (k ? k : 1); j++)
        n += (size_t)snprintf(out + n, 5, "\\x%02x", p[j]);
    return n;
}

int st_text_put(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p);
    for (size_t i = 0; i < n;) {
        unsigned long c = 0;
        char out[17];
        size_t k = st_text_decode(p + i, n - i, &c);
        size_t m = st_text_escape_one(p + i, k, c, out);
        if (fwrite(out, 1, m, f) != m)
            return EOF;
        i += k ? k : 1;
    }
    return 0;
}

const char *st_text_shown(const char *s, char *buf, size_t n)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t len = strlen((const char *)p), w = 0;
    if (!n)
        return buf;
    for (size_t i = 0; i < len;) {
        unsigned long c = 0;
        char out[17];
        size_t k = st_text_decode(p + i, len - i, &c);
        size_t m = st_text_escape_one(p + i, k, c, out);
        if (w + m + 4 > n) {
            snprintf(buf + w, n - w, "%s", n - w > 3 ? "..." : "");
            return buf;
        }
        memcpy(buf + w, out, m);
        w += m;
        i += k ? k : 1;
    }
    buf[w] = '\0';
    return buf;
}
