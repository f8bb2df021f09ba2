/* rescan.c - telling a second scan of a sheet from another ballot
 *
 * Prints come out of the page's record (json-c: a record is parsed once,
 * when the store takes the page). The store keeps each compared page's
 * prints as one blob in the prints table, with the station it was counted
 * under and its marked and inked box ids, both indexed, so a new page
 * reads only the pages it may be compared with; the best match goes into
 * the rescans table in the same transaction as the page. Correlations are
 * sums over at most ST_PRINT_CELLS cells in a fixed order, so a replay
 * (verify) gets the same doubles.
 */
#include "stemtel/rescan.h"
#include "record/rescandb.h"
#include "record/storedb.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ST_PRINT_BLOCKS (ST_PRINT_CELLS / 4)

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

/* Box name's print (2 * ST_PRINT_CELLS hex digits) into out. A print of
 * ST_PRINT_OLD_CELLS cells, from a record written before prints grew
 * finer, gives 1: the page is not compared. */
static int read_print(const char *name, const char *hex, uint8_t *out, st_error *err)
{
    size_t len = strlen(hex);
    if (len == 2 * ST_PRINT_OLD_CELLS)
        return 1;
    if (len != 2 * ST_PRINT_CELLS)
        return st_error_set(err, ST_ERR_PARSE, "rescan: box %s: a print has %d hex digits, "
                            "not %d", name, (int)len, 2 * ST_PRINT_CELLS);
    for (int c = 0; c < ST_PRINT_CELLS; c++) {
        int hi = hex_digit(hex[2 * c]), lo = hex_digit(hex[2 * c + 1]);
        if (hi < 0 || lo < 0)
            return st_error_set(err, ST_ERR_PARSE, "rescan: box %s: the print is not hex",
                                name);
        out[c] = (uint8_t)(16 * hi + lo);
    }
    return ST_OK;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The print's 2 x 2 blocks of cells: their means into m (-1 for a block
 * with a cell under a streak), and the sample variance within each
 * measured block into v; returns how many are measured. */
static int blocks(const uint8_t *p, double *m, double *v)
{
    int k = 0;
    for (int by = 0; by < ST_PRINT_N; by += 2)
        for (int bx = 0; bx < ST_PRINT_N; bx += 2) {
            double s = 0, ss = 0;
            int none = 0;
            for (int q = 0; q < 4; q++) {
                uint8_t c = p[(by + q / 2) * ST_PRINT_N + bx + q % 2];
                none |= c == ST_PRINT_NONE;
                s += c;
                ss += (double)c * c;
            }
            *m++ = none ? -1 : s / 4;
            if (!none)
                v[k++] = (ss - s * s / 4) / 3;
        }
    return k;
}

/* The print's cells as doubles into c, -1 for one under a streak. */
static void cells(const uint8_t *p, double *c)
{
    for (int i = 0; i < ST_PRINT_CELLS; i++)
        c[i] = p[i] == ST_PRINT_NONE ? -1 : p[i];
}

/* The variance of the values of v (n of them) that are not below 0. */
static double variance(const double *v, int n)
{
    double s = 0, ss = 0;
    int k = 0;
    for (int c = 0; c < n; c++)
        if (v[c] >= 0) {
            s += v[c];
            ss += v[c] * v[c];
            k++;
        }
    return k > 1 ? (ss - s * s / k) / k : 0;
}

/* How much of a print's variance is the mark rather than the scan's
 * noise, over its cells (rel[0]) and over its blocks' means (rel[1]):
 * 1 - noise / variance, at least ST_RESCAN_RELIABILITY_MIN. The noise is
 * read from the print itself: within a block the spread is noise where
 * the mark is smooth and more at its edges, so the lower quartile of the
 * blocks' sample variances, over the quartile of a chi-square with 3
 * degrees of freedom (0.404 of its mean), estimates a cell's noise, and a
 * quarter of it a block mean's. */
static void reliability(const uint8_t *p, double rel[2])
{
    double c[ST_PRINT_CELLS], m[ST_PRINT_BLOCKS], v[ST_PRINT_BLOCKS];
    int k = blocks(p, m, v);
    cells(p, c);
    double var[2] = {variance(c, ST_PRINT_CELLS), variance(m, ST_PRINT_BLOCKS)};
    double noise = 0;
    if (k) {
        qsort(v, (size_t)k, sizeof *v, cmp_double);
        noise = v[k / 4] / 0.404;
    }
    for (int s = 0; s < 2; s++)
        rel[s] = k && var[s] > 0 ? fmax(ST_RESCAN_RELIABILITY_MIN,
                                        1 - (s ? noise / 4 : noise) / var[s])
                                 : ST_RESCAN_RELIABILITY_MIN;
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
        int got = read_print(name, json_object_get_string(print), out->print[n], err);
        if (got != ST_OK) {
            rc = got == 1 ? ST_OK : got;
            ok = 0;
            break;
        }
        reliability(out->print[n], out->rel[n]);
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

/* The correlation of x and y (n values; a pair with either below 0 is
 * left out) divided by the square root of the reliabilities ra and rb:
 * what two scans of one mark would correlate at, given their noise.
 * 0 when fewer than n / 4 pairs are measured or either side is flat (one
 * level all over, to within a level a value: it says nothing of where
 * its ink lies). *pairs gets the pairs measured, *sum_x and *sum_y the
 * sums over them. */
static double corrected(const double *x, const double *y, int n, double ra, double rb,
                        int *pairs, double *sum_x, double *sum_y)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    int k = 0;
    for (int c = 0; c < n; c++) {
        if (x[c] < 0 || y[c] < 0)
            continue;
        sa += x[c];
        sb += y[c];
        saa += x[c] * x[c];
        sbb += y[c] * y[c];
        sab += x[c] * y[c];
        k++;
    }
    *pairs = k;
    *sum_x = sa;
    *sum_y = sb;
    if (k < n / 4)
        return 0;
    double va = saa - sa * sa / k, vb = sbb - sb * sb / k;
    if (va < k || vb < k)
        return 0;
    return (sab - sa * sb / k) / sqrt(va * vb * ra * rb);
}

/* Box i of a against box j of b: the corrected correlations of their
 * cells (r[0]) and of their blocks' means (r[1]); *ratio the lighter
 * print's mean ink over the darker's, over the cells both measured (0
 * when fewer than a quarter are). */
static void box_corr(const st_rescan_marks *a, int i, const st_rescan_marks *b, int j,
                     double r[2], double *ratio)
{
    double ca[ST_PRINT_CELLS], cb[ST_PRINT_CELLS], ma[ST_PRINT_BLOCKS], mb[ST_PRINT_BLOCKS];
    double v[ST_PRINT_BLOCKS], sa, sb, ba, bb;
    int k, kb;
    cells(a->print[i], ca);
    cells(b->print[j], cb);
    blocks(a->print[i], ma, v);
    blocks(b->print[j], mb, v);
    r[0] = corrected(ca, cb, ST_PRINT_CELLS, a->rel[i][0], b->rel[j][0], &k, &sa, &sb);
    r[1] = corrected(ma, mb, ST_PRINT_BLOCKS, a->rel[i][1], b->rel[j][1], &kb, &ba, &bb);
    double hi = fmax(sa, sb);
    *ratio = k < ST_PRINT_CELLS / 4 ? 0 : hi > 0 ? fmin(sa, sb) / hi : 1;
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

/* Print p blurred by a Gaussian of sigma cells into out: along rows and
 * then columns, each value the weighted mean of the measured cells within
 * 2.5 sigma (at most ST_RESCAN_BLUR_REACH), so a cell under a streak adds
 * nothing and stays ST_PRINT_NONE. */
static void blur_print(const uint8_t *p, double sigma, uint8_t *out)
{
    double k[2 * ST_RESCAN_BLUR_REACH + 1], row[ST_PRINT_CELLS], sum = 0;
    int reach = (int)ceil(2.5 * sigma);
    reach = reach > ST_RESCAN_BLUR_REACH ? ST_RESCAN_BLUR_REACH : reach;
    for (int d = -reach; d <= reach; d++)
        sum += k[d + reach] = exp(-0.5 * d * d / (sigma * sigma));
    for (int d = 0; d <= 2 * reach; d++)
        k[d] /= sum;
    for (int pass = 0; pass < 2; pass++)
        for (int y = 0; y < ST_PRINT_N; y++)
            for (int x = 0; x < ST_PRINT_N; x++) {
                double a = 0, w = 0;
                for (int d = -reach; d <= reach; d++) {
                    int u = pass ? y + d : x + d;
                    if (u < 0 || u >= ST_PRINT_N)
                        continue;
                    int at = pass ? u * ST_PRINT_N + x : y * ST_PRINT_N + u;
                    /* A cell under a streak adds nothing in either pass
                     * (its row mean holds its neighbours'). */
                    double c = p[at] == ST_PRINT_NONE ? -1 : pass ? row[at] : p[at];
                    if (c < 0)
                        continue;
                    a += k[d + reach] * c;
                    w += k[d + reach];
                }
                int at = y * ST_PRINT_N + x;
                if (!pass)
                    row[at] = w > 0 ? a / w : -1;
                else
                    out[at] = p[at] == ST_PRINT_NONE ? ST_PRINT_NONE
                              : w > 0 ? (uint8_t)fmin(254, lround(a / w))
                                      : 0;
            }
}

/* The boxes ids (n of them) of a against b, with side's prints (0: a,
 * 1: b) blurred by sigma cells (0: neither): the boxes' mean correlations
 * through Fisher's z, of cells into z[0] and of blocks into z[1]; *ink
 * the least ink ratio. Returns -1 when a box is missing from either. */
static int page_corr(const st_rescan_marks *a, const st_rescan_marks *b, const char **ids,
                     int n, int side, double sigma, double z[2], double *ink)
{
    st_rescan_marks one; /* the blurred side's box, alone */
    z[0] = z[1] = 0;
    *ink = 1;
    for (int k = 0; k < n; k++) {
        int i = box_at(a, ids[k]), j = box_at(b, ids[k]);
        if (i < 0 || j < 0)
            return -1;
        double ratio, r[2];
        if (sigma > 0) {
            const st_rescan_marks *from = side ? b : a;
            int at = side ? j : i;
            blur_print(from->print[at], sigma, one.print[0]);
            reliability(one.print[0], one.rel[0]);
            if (side)
                box_corr(a, i, &one, 0, r, &ratio);
            else
                box_corr(&one, 0, b, j, r, &ratio);
        } else {
            box_corr(a, i, b, j, r, &ratio);
        }
        for (int s = 0; s < 2; s++)
            z[s] += atanh(fmax(-0.9999, fmin(0.9999, r[s]))) / n;
        *ink = fmin(*ink, ratio);
    }
    return 0;
}

st_rescan_cmp st_rescan_compare(const st_rescan_marks *a, const st_rescan_marks *b)
{
    st_rescan_cmp c = {0, 0, 0, 0, 0};
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
    double z[2], ink;
    if (page_corr(a, b, ids, n, 0, 0, z, &ink))
        return c;
    c.comparable = 1;
    c.ink_ratio = ink; /* of the prints as scanned */
    c.cell_similarity = tanh(z[0]);
    c.similarity = tanh(z[1]);
    /* Close pairs again with either side blurred: one scan may have come
     * out sharper than the other. */
    if (c.similarity >= ST_RESCAN_BLUR_GATE || c.cell_similarity >= ST_RESCAN_BLUR_GATE) {
        static const double sigmas[] = {ST_RESCAN_BLUR_1, ST_RESCAN_BLUR_2};
        for (int v = 0; v < 4; v++) {
            double zb[2], inkb;
            page_corr(a, b, ids, n, v % 2, sigmas[v / 2], zb, &inkb);
            c.cell_similarity = fmax(c.cell_similarity, tanh(zb[0]));
            c.similarity = fmax(c.similarity, tanh(zb[1]));
        }
    }
    c.match = (c.similarity >= (n > 1 ? ST_RESCAN_SIMILARITY : ST_RESCAN_SIMILARITY_ONE) ||
               c.cell_similarity >= (n > 1 ? ST_RESCAN_SIMILARITY_CELLS
                                           : ST_RESCAN_SIMILARITY_CELLS_ONE)) &&
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
    for (int i = 0; i < n; i++)
        reliability(m->print[i], m->rel[i]);
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
    st_rescan_cmp best = {0};
    int64_t earlier = 0;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (marks_of_row(st_store_col_text(q, 1), st_store_col_text(q, 2),
                         sqlite3_column_blob(q, 3), sqlite3_column_bytes(q, 3), &other))
            continue; /* prints of another size: a page stored before they grew finer */
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
