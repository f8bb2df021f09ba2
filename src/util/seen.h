/* seen.h - a set of strings, to notice what was already taken
 *
 * Sources use it so that a run never yields the same file (path and
 * SHA-256) twice, and manifests so that no file or hash is listed twice.
 * An open-addressing hash table of copied strings; it only grows.
 */
#ifndef STEMTEL_SEEN_H
#define STEMTEL_SEEN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct st_seen st_seen;

/* An empty set, or NULL when out of memory. Free with st_seen_free. */
st_seen *st_seen_new(void);

/* Add a copy of key. Returns 1 if it was new, 0 if it was already in the
 * set, ST_ERR_NOMEM (set unchanged) when out of memory. */
int st_seen_add(st_seen *s, const char *key);

/* 1 if key is in the set, else 0. */
int st_seen_has(const st_seen *s, const char *key);

/* Number of keys. */
size_t st_seen_count(const st_seen *s);

/* Free the set and its keys. Accepts NULL. Not thread-safe: one set
 * belongs to one thread at a time. */
void st_seen_free(st_seen *s);

#ifdef __cplusplus
}
#endif

#endif
