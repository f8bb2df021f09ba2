/* rescan.c - telling a second scan of a sheet from another ballot
 *
 * Prints come out of the page's record (json-c: a record is parsed once,
 * when the store takes the page). The store keeps each compared page's
 * prints as one blob in the prints table, with the station it was counted
 * under and its marked and inked box ids, both indexed, so a new page
 * reads only the pages it may be compared with; the best match goes into
 * the rescans table in the same transaction as the page. Correlations are
 * sums over at most 256 cells in a fixed order, so a replay (verify) gets
 * the same doubles.
 */
#include "stemtel/rescan.h"
#include "record/rescandb.h"
#include "record/storedb.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hex_digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Append name to the space-separated list in buf (n bytes, *len used);
 * 0, or -1 when it does not fit. */
static int add_id(char *buf, size_t n, size_t *len, const char *name)
{
    size_t add = strlen(name) + (*len ? 1 : 0);
    if (*len + add + 1 > n)
        return -1;
    snprintf(buf + *len, n - *len, "%s%s", *len ? " " : "", name);
    *len += add;
    return 0;
}

/* Box b's print (2 * ST_PRINT_CELLS hex digits) into out. */
static int read_print(const char *name, const char *hex, uint8_t *out, st_error *err)
{
    if (strlen(hex) != 2 * ST_PRINT_CELLS)
        return st_error_set(err, ST_ERR_PARSE, "rescan: box %s: a print has %d hex digits, "
                            "not %d", name, (int)strlen(hex), 2 * ST_PRINT_CELLS);
    for (int c = 0; c < ST_PRINT_CELLS; c++) {
        int hi = hex_digit(hex[2 * c]), lo = hex_digit(hex[2 * c + 1]);
        if (hi < 0 || lo < 0)
            return st_error_set(err, ST_ERR_PARSE, "rescan: box %s: the print is not hex",
                                name);
        out[c] = (uint8_t)(16 * hi + lo);
    }
    return ST_OK;
}

int st_rescan_marks_read(const char *record, st_rescan_marks *out, st_error *err)
{
    out->n = 0;
    json_object *rec = record ? json_tokener_parse(record) : NULL, *boxes = NULL, *v;
    if (!rec)
        return st_error_set(err, ST_ERR_PARSE, "rescan: the record is not JSON");
    int rc = ST_OK, n = 0, n_marked = 0, ok = 1;
    size_t klen = 0, ilen = 0;
    out->key[0] = out->inked[0] = '\0';
    if (json_object_object_get_ex(rec, "outcome", &v) &&
        !strcmp(json_object_get_string(v), "rejected"))
        ok = 0;
    if (!json_object_object_get_ex(rec, "boxes", &boxes) ||
        !json_object_is_type(boxes, json_type_array))
        ok = 0;
    for (size_t i = 0; ok && i < json_object_array_length(boxes); i++) {
        json_object *b = json_object_array_get_idx(boxes, i), *id, *state, *print;
        if (!json_object_object_get_ex(b, "state", &state))
            continue;
        const char *st = json_object_get_string(state);
        int marked = !strcmp(st, "marked");
        if (!marked && strcmp(st, "marginal"))
            continue;
        /* A box that cannot be compared: the page is not. */
        if (!json_object_object_get_ex(b, "print", &print) ||
            !json_object_object_get_ex(b, "id", &id) || n == ST_RESCAN_MAX_BOXES) {
            ok = 0;
            break;
        }
        const char *name = json_object_get_string(id);
        if (strlen(name) >= sizeof out->id[0] ||
            add_id(out->inked, sizeof out->inked, &ilen, name) ||
            (marked && add_id(out->key, sizeof out->key, &klen, name))) {
            ok = 0;
            break;
        }
        if ((rc = read_print(name, json_object_get_string(print), out->print[n], err))) {
            ok = 0;
            break;
        }
        snprintf(out->id[n], sizeof out->id[n], "%s", name);
        out->marked[n] = marked;
        n_marked += marked;
        n++;
    }
    out->n = ok && n_marked ? n : 0;
    if (!out->n)
        out->key[0] = out->inked[0] = '\0';
    json_object_put(rec);
    return rc;
}

/* Correlation and mean ink of two prints over the cells both measured;
 * *ratio the lighter mean over the darker. */
static double box_corr(const uint8_t *a, const uint8_t *b, double *ratio)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    int n = 0;
    for (int c = 0; c < ST_PRINT_CELLS; c++) {
        if (a[c] == ST_PRINT_NONE || b[c] == ST_PRINT_NONE)
            continue;
        double x = a[c], y = b[c];
        sa += x;
        sb += y;
        saa += x * x;
        sbb += y * y;
        sab += x * y;
        n++;
    }
    *ratio = 0;
    if (n < ST_PRINT_CELLS / 4)
        return 0;
    double hi = fmax(sa, sb);
    *ratio = hi > 0 ? fmin(sa, sb) / hi : 1;
    double va = saa - sa * sa / n, vb = sbb - sb * sb / n;
    /* A flat print (one level all over, to within a level a cell) says
     * nothing of where its ink lies. */
    if (va < n || vb < n)
        return 0;
    return (sab - sa * sb / n) / sqrt(va * vb);
}

/* Where box id is among m's inked boxes, or -1. */
static int box_at(const st_rescan_marks *m, const char *id)
{
    for (int i = 0; i < m->n; i++)
        if (!strcmp(m->id[i], id))
            return i;
    return -1;
}

/* Whether a and b may be two scans of one sheet by their boxes: the same
 * marked boxes, or inked boxes, either as the other's. */
static int same_boxes(const st_rescan_marks *a, const st_rescan_marks *b)
{
    return !strcmp(a->key, b->key) || !strcmp(a->inked, b->inked) ||
           !strcmp(a->key, b->inked) || !strcmp(a->inked, b->key);
}

st_rescan_cmp st_rescan_compare(const st_rescan_marks *a, const st_rescan_marks *b)
{
    st_rescan_cmp c = {0, 0, 0, 0};
    if (!a->n || !b->n || !same_boxes(a, b))
        return c;
    /* The boxes marked on either page; by same_boxes the other has each
     * of them inked, so a print. */
    const char *ids[2 * ST_RESCAN_MAX_BOXES];
    int n = 0;
    for (int i = 0; i < a->n; i++)
        if (a->marked[i])
            ids[n++] = a->id[i];
    for (int i = 0; i < b->n; i++) {
        int k = box_at(a, b->id[i]);
        if (b->marked[i] && !(k >= 0 && a->marked[k]))
            ids[n++] = b->id[i];
    }
    double z = 0;
    c.ink_ratio = 1;
    for (int k = 0; k < n; k++) {
        int i = box_at(a, ids[k]), j = box_at(b, ids[k]);
        if (i < 0 || j < 0)
            return (st_rescan_cmp){0, 0, 0, 0};
        double ratio, r = box_corr(a->print[i], b->print[j], &ratio);
        r = fmax(-0.9999, fmin(0.9999, r));
        z += atanh(r);
        c.ink_ratio = fmin(c.ink_ratio, ratio);
    }
    c.comparable = 1;
    c.similarity = tanh(z / n);
    c.match = c.similarity >= (n > 1 ? ST_RESCAN_SIMILARITY : ST_RESCAN_SIMILARITY_ONE) &&
              c.ink_ratio >= ST_RESCAN_INK_RATIO;
    return c;
}

int st_rescan_better(const st_rescan_cmp *c, const st_rescan_cmp *best)
{
    return c->match && (!best->match || c->similarity > best->similarity);
}

void st_rescan_held(const st_outcome *found, st_outcome *out)
{
    st_outcome o;
    memset(&o, 0, sizeof o);
    o.kind = ST_OUTCOME_REVIEW;
    snprintf(o.reasons[0], ST_REASON_MAX, "%s", ST_REASON_POSSIBLE_RESCAN);
    o.n_reasons = 1;
    if (found->kind == ST_OUTCOME_REVIEW) {
        for (int i = 0; i < found->n_reasons && o.n_reasons < ST_MAX_REASONS; i++)
            memcpy(o.reasons[o.n_reasons++], found->reasons[i], ST_REASON_MAX);
        o.proposal = found->proposal;
        o.proposal_list = found->proposal_list;
        o.proposal_candidate = found->proposal_candidate;
        o.proposal_party_only = found->proposal_party_only;
        memcpy(o.proposal_reason, found->proposal_reason, ST_REASON_MAX);
    } else {
        o.proposal = found->kind;
        o.proposal_list = found->list;
        o.proposal_candidate = found->candidate;
        o.proposal_party_only = found->party_only;
        if (found->kind == ST_OUTCOME_INVALID && found->n_reasons)
            memcpy(o.proposal_reason, found->reasons[0], ST_REASON_MAX);
    }
    *out = o;
}

/* ---- in the store ----------------------------------------------------------- */

/* Rebuild the marks of a stored page: its marked and inked ids (space
 * separated) and the prints of the inked ones, in that order. Returns 0,
 * or -1 when they do not fit together. */
static int marks_of_row(const char *key, const char *inked, const void *blob, int bytes,
                        st_rescan_marks *m)
{
    int n = 0;
    m->n = 0;
    for (const char *p = inked; *p;) {
        size_t len = strcspn(p, " ");
        if (n == ST_RESCAN_MAX_BOXES || len == 0 || len >= sizeof m->id[0])
            return -1;
        memcpy(m->id[n], p, len);
        m->id[n][len] = '\0';
        m->marked[n] = 0;
        for (const char *q = key; *q;) {
            size_t l = strcspn(q, " ");
            m->marked[n] |= l == len && !memcmp(q, p, len);
            q += l + (q[l] == ' ');
        }
        n++;
        p += len + (p[len] == ' ');
    }
    if (bytes != n * ST_PRINT_CELLS || snprintf(m->key, sizeof m->key, "%s", key) >=
        (int)sizeof m->key || snprintf(m->inked, sizeof m->inked, "%s", inked) >=
        (int)sizeof m->inked)
        return -1;
    memcpy(m->print[0], blob, (size_t)bytes);
    m->n = n;
    return 0;
}

int st_rescan_store_page(st_store *s, int64_t id, const char *station, const char *record,
                         st_error *err)
{
    st_rescan_marks mk, other;
    st_error perr = {0};
    sqlite3 *db = st_store_db(s);
    sqlite3_stmt *q = NULL;
    int rc, step;
    if (!station)
        return ST_OK; /* compared within a station only */
    if (st_rescan_marks_read(record, &mk, &perr))
        return st_error_set(err, ST_ERR_INVALID, "store: %s: ballot %lld: %s", st_store_path(s),
                            (long long)id, perr.msg);
    if (!mk.n)
        return ST_OK;
    /* The pages st_rescan_compare may compare it with, by their keys. */
    if (sqlite3_prepare_v2(db, "SELECT page, key, inked, prints FROM prints WHERE station = ?1"
                           " AND (key IN (?2, ?3) OR inked IN (?2, ?3)) ORDER BY page", -1, &q,
                           NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    sqlite3_bind_text(q, 1, station, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, mk.key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, mk.inked, -1, SQLITE_STATIC);
    st_rescan_cmp best = {0, 0, 0, 0};
    int64_t earlier = 0;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (marks_of_row(st_store_col_text(q, 1), st_store_col_text(q, 2),
                         sqlite3_column_blob(q, 3), sqlite3_column_bytes(q, 3), &other))
            continue; /* cannot be: written below */
        st_rescan_cmp c = st_rescan_compare(&mk, &other);
        if (st_rescan_better(&c, &best)) {
            best = c;
            earlier = sqlite3_column_int64(q, 0);
        }
    }
    sqlite3_finalize(q);
    if (step != SQLITE_DONE)
        return st_store_fail(s, err, "cannot read prints");
    if (sqlite3_prepare_v2(db, "INSERT INTO prints(page, station, key, inked, prints) "
                           "VALUES(?1, ?2, ?3, ?4, ?5)", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, station, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, mk.key, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, mk.inked, -1, SQLITE_STATIC);
    sqlite3_bind_blob(q, 5, mk.print[0], mk.n * ST_PRINT_CELLS, SQLITE_STATIC);
    rc = sqlite3_step(q) == SQLITE_DONE ? ST_OK : st_store_fail(s, err, "cannot store prints");
    sqlite3_finalize(q);
    if (rc || !earlier)
        return rc;
    if (sqlite3_prepare_v2(db, "INSERT INTO rescans(page, earlier, similarity, ink_ratio) "
                           "VALUES(?1, ?2, ?3, ?4)", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int64(q, 2, earlier);
    sqlite3_bind_double(q, 3, best.similarity);
    sqlite3_bind_double(q, 4, best.ink_ratio);
    rc = sqlite3_step(q) == SQLITE_DONE ? ST_OK
                                         : st_store_fail(s, err, "cannot record a rescan");
    sqlite3_finalize(q);
    return rc;
}
