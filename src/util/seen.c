/* seen.c - a set of strings, to notice what was already taken
 *
 * Open addressing with linear probing over a power-of-two table of
 * string pointers, FNV-1a hashes, doubled when half full. Keys are never
 * removed, so probing needs no tombstones.
 */
#include "util/seen.h"
#include "stemtel/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct st_seen {
    char **slot;
    size_t cap, n; /* cap a power of two */
};

static uint64_t st_seen_hash(const char *k)
{
    uint64_t h = 1469598103934665603ull;
    for (; *k; k++)
        h = (h ^ (unsigned char)*k) * 1099511628211ull;
    return h;
}

/* The slot holding key, or the empty slot where it would go. */
static char **st_seen_find(char **slot, size_t cap, const char *key)
{
    size_t i = st_seen_hash(key) & (cap - 1);
    while (slot[i] && strcmp(slot[i], key) != 0)
        i = (i + 1) & (cap - 1);
    return &slot[i];
}

st_seen *st_seen_new(void)
{
    st_seen *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->cap = 64;
    s->slot = calloc(s->cap, sizeof *s->slot);
    if (!s->slot) {
        free(s);
        return NULL;
    }
    return s;
}

static int st_seen_grow(st_seen *s)
{
    size_t cap = s->cap * 2;
    char **slot = calloc(cap, sizeof *slot);
    if (!slot)
        return ST_ERR_NOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->slot[i])
            *st_seen_find(slot, cap, s->slot[i]) = s->slot[i];
    free(s->slot);
    s->slot = slot;
    s->cap = cap;
    return ST_OK;
}

int st_seen_add(st_seen *s, const char *key)
{
    if ((s->n + 1) * 2 > s->cap && st_seen_grow(s))
        return ST_ERR_NOMEM;
    char **p = st_seen_find(s->slot, s->cap, key);
    if (*p)
        return 0;
    if (!(*p = strdup(key)))
        return ST_ERR_NOMEM;
    s->n++;
    return 1;
}

int st_seen_has(const st_seen *s, const char *key)
{
    return *st_seen_find(s->slot, s->cap, key) != NULL;
}

size_t st_seen_count(const st_seen *s)
{
    return s->n;
}

void st_seen_free(st_seen *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap; i++)
        free(s->slot[i]);
    free(s->slot);
    free(s);
}
