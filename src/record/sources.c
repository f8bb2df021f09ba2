/* sources.c - each scanner's and hot folder's progress, read from the store
 *
 * `stemtel scan` names its sources by kind and place on the command line
 * ("folder1", "sane2") and gives each page it commits that name, its
 * sheet batch and the commit's time (page_sources, store.c). The latest
 * counting run's inputs ("folder:/a sane:dev") list every source, also
 * those without a page yet; one grouped query over the run's pages gives
 * each source's count, recent count and first and last time, and one
 * look-up per source its latest page.
 */
#include "stemtel/store.h"
#include "record/storedb.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kinds[] = {"folder", "sane", "replay"};

/* The kind of source an input starting at p names (its index in kinds),
 * or -1 when p does not start one. */
static int kind_at(const char *p)
{
    for (int k = 0; k < 3; k++) {
        size_t n = strlen(kinds[k]);
        if (!strncmp(p, kinds[k], n) && p[n] == ':')
            return k;
    }
    return -1;
}

/* The run's inputs, as st_scan_run wrote them (kind:arg, separated by a
 * space), into v: one source each, named as the scan names it. */
static int parse_inputs(const char *text, st_store_source **v, int *n)
{
    *v = NULL;
    *n = 0;
    for (const char *p = text; *p; p++) {
        int k = (p == text || p[-1] == ' ') ? kind_at(p) : -1;
        if (k < 0)
            continue;
        const char *end = p + 1;
        while (*end && !(end[-1] == ' ' && kind_at(end) >= 0))
            end++;
        size_t len = (size_t)(end - p);
        if (*end && len)
            len--; /* the space before the next */
        st_store_source *w = realloc(*v, (size_t)(*n + 1) * sizeof *w);
        if (!w)
            return ST_ERR_NOMEM;
        *v = w;
        st_store_source *s = &w[(*n)++];
        memset(s, 0, sizeof *s);
        snprintf(s->name, sizeof s->name, "%s%d", kinds[k], *n);
        snprintf(s->input, sizeof s->input, "%.*s", (int)len, p);
        p = end - 1;
    }
    return ST_OK;
}

static st_store_source *named(st_store_source *v, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v[i].name, name))
            return &v[i];
    return NULL;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

int st_store_sources(st_store *s, double now, double window, st_store_source **out, int *n,
                     st_error *err)
{
    sqlite3 *db = st_store_db(s);
    sqlite3_stmt *q = NULL, *last = NULL;
    st_store_source *v = NULL;
    int nv = 0, rc = ST_OK;
    int64_t run = 0;
    if (sqlite3_prepare_v2(db, "SELECT id, inputs FROM batches ORDER BY id DESC LIMIT 1", -1,
                           &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read the sources");
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW) {
        run = sqlite3_column_int64(q, 0);
        if (parse_inputs(st_store_col_text(q, 1), &v, &nv)) {
            rc = st_error_set(err, ST_ERR_NOMEM, "store: out of memory");
            goto out;
        }
    } else if (step != SQLITE_DONE) {
        rc = st_store_fail(s, err, "cannot read the sources");
        goto out;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT source, count(*), sum(taken_at > ?2), min(taken_at),"
                           " max(taken_at), max(page) FROM page_sources WHERE run = ?1"
                           " GROUP BY source", -1, &q, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT p.station, ps.batch, p.file, p.page FROM pages p"
                           " JOIN page_sources ps ON ps.page = p.id WHERE p.id = ?1", -1,
                           &last, NULL) != SQLITE_OK) {
        rc = st_store_fail(s, err, "cannot read the sources");
        goto out;
    }
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_double(q, 2, now - window);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        st_store_source *x = named(v, nv, st_store_col_text(q, 0));
        if (!x)
            continue; /* a name the inputs do not give: not this scan's */
        x->pages = sqlite3_column_int64(q, 1);
        x->recent = sqlite3_column_int64(q, 2);
        x->first_at = sqlite3_column_double(q, 3);
        x->last_at = sqlite3_column_double(q, 4);
        x->last_id = sqlite3_column_int64(q, 5);
        sqlite3_reset(last);
        sqlite3_bind_int64(last, 1, x->last_id);
        if (sqlite3_step(last) == SQLITE_ROW) {
            snprintf(x->station, sizeof x->station, "%s", st_store_col_text(last, 0));
            x->batch = sqlite3_column_int(last, 1);
            snprintf(x->last_file, sizeof x->last_file, "%s",
                     base_name(st_store_col_text(last, 2)));
            x->last_page = sqlite3_column_int(last, 3);
        }
    }
    if (step != SQLITE_DONE) {
        rc = st_store_fail(s, err, "cannot read the sources");
        goto out;
    }
    *out = v;
    *n = nv;
    v = NULL;
out:
    sqlite3_finalize(q);
    sqlite3_finalize(last);
    free(v);
    return rc;
}

void st_store_sources_free(st_store_source *v)
{
    free(v);
}
