/* serve_pages.h - the files `stemtel serve` answers with, compiled in
 *
 * The pages, their style and their script as C string literals
 * (serve_pages.c), so the server needs no file beside the binary and the
 * room may be offline.
 */
#ifndef STEMTEL_APP_SERVE_PAGES_H
#define STEMTEL_APP_SERVE_PAGES_H

#include <stddef.h>

typedef struct st_serve_page {
    const char *path;           /* "/", "/operator", "/app.js" ... */
    const char *type;           /* its Content-Type */
    const char *body;           /* NUL-terminated, static */
    int is_public;              /* part of the public display: served on
                                   every address */
} st_serve_page;

/* The compiled-in file at path (the URL's path, without its query), or
 * NULL when there is none. The result is static. Thread-safe. */
const st_serve_page *st_serve_page_find(const char *path);

/* The page of v (n of them) at path, or NULL: the search both tables of
 * pages (these and the desk's) share. Pure. */
const st_serve_page *st_serve_page_in(const st_serve_page *v, size_t n, const char *path);

#endif
