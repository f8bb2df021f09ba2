/* storeread.c - ballots and figures read back from the store
 *
 * Every reader walks one join: a page, its ballot, its latest decision,
 * its possible rescan and the decision's confirmation, with the station
 * it counts under now (storedb.h's ST_STORE_EFF_STATION). Tallies, review
 * lists and the screens all count from it, so they cannot disagree; the
 * record's JSON (most of a ballot's bytes) is read only where asked for.
 */
#include "stemtel/store.h"
#include "record/storedb.h"
#include "stemtel/rescan.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_null(sqlite3_stmt *q, int i)
{
    if (sqlite3_column_type(q, i) == SQLITE_NULL)
        return NULL;
    return strdup(st_store_col_text(q, i));
}

static void split_reasons(const char *text, st_outcome *o)
{
    o->n_reasons = 0;
    while (*text && o->n_reasons < ST_MAX_REASONS) {
        size_t len = strcspn(text, " ");
        if (len) {
            snprintf(o->reasons[o->n_reasons], ST_REASON_MAX, "%.*s", (int)len, text);
            o->n_reasons++;
        }
        text += len;
        while (*text == ' ')
            text++;
    }
}

/* ---- reading ballots ------------------------------------------------------ */

/* %s: the record's column, or '' where the caller does not need it (a
 * tally): the record is most of a ballot's bytes, and SQLite leaves the
 * overflow pages of a column nobody asked for unread. */
#define BALLOT_SELECT                                                               \
    "SELECT p.id, p.file, p.page, p.sha256, " ST_STORE_EFF_STATION ", b.outcome, b.list,"    \
    " b.candidate, b.party_only, b.reasons, b.proposal, b.proposal_list,"           \
    " b.proposal_candidate, b.proposal_party_only, b.proposal_reason, %s,"    \
    " d.outcome, d.list, d.candidate, d.party_only, d.reason, d.decided_by,"        \
    " d.decided_at, d.note, p.batch, p.station, r.earlier, r.similarity,"            \
    " c.confirmed_by, c.confirmed_at"                                                \
    " FROM pages p JOIN ballots b ON b.page = p.id"                                  \
    " LEFT JOIN decisions d ON d.id = (SELECT max(id) FROM decisions WHERE page = p.id)" \
    " LEFT JOIN rescans r ON r.page = p.id"                                          \
    " LEFT JOIN proposals c ON c.decision = d.id "

void st_store_col_decision(sqlite3_stmt *q, int i, st_outcome *d)
{
    memset(d, 0, sizeof *d);
    d->kind = st_store_kind_of(st_store_col_text(q, i));
    d->list = sqlite3_column_int(q, i + 1);
    d->candidate = sqlite3_column_int(q, i + 2);
    d->party_only = sqlite3_column_int(q, i + 3);
    const char *r = st_store_col_text(q, i + 4);
    if (*r) {
        d->n_reasons = 1;
        snprintf(d->reasons[0], ST_REASON_MAX, "%s", r);
    }
    d->proposal = d->kind;
    d->proposal_list = d->list;
    d->proposal_candidate = d->candidate;
    d->proposal_party_only = d->party_only;
    snprintf(d->proposal_reason, sizeof d->proposal_reason, "%s", r);
}

static void row_to_ballot(sqlite3_stmt *q, st_store_ballot *b)
{
    memset(b, 0, sizeof *b);
    b->id = sqlite3_column_int64(q, 0);
    b->file = strdup(st_store_col_text(q, 1));
    b->page = sqlite3_column_int(q, 2);
    snprintf(b->sha256, sizeof b->sha256, "%s", st_store_col_text(q, 3));
    b->station = dup_or_null(q, 4);
    st_outcome *o = &b->found;
    o->kind = st_store_kind_of(st_store_col_text(q, 5));
    o->list = sqlite3_column_int(q, 6);
    o->candidate = sqlite3_column_int(q, 7);
    o->party_only = sqlite3_column_int(q, 8);
    split_reasons(st_store_col_text(q, 9), o);
    o->proposal = st_store_kind_of(st_store_col_text(q, 10));
    o->proposal_list = sqlite3_column_int(q, 11);
    o->proposal_candidate = sqlite3_column_int(q, 12);
    o->proposal_party_only = sqlite3_column_int(q, 13);
    snprintf(o->proposal_reason, sizeof o->proposal_reason, "%s", st_store_col_text(q, 14));
    b->record = strdup(st_store_col_text(q, 15));
    if (sqlite3_column_type(q, 16) != SQLITE_NULL) {
        b->decided = 1;
        st_store_col_decision(q, 16, &b->decision);
        b->decided_by = dup_or_null(q, 21);
        b->decided_at = dup_or_null(q, 22);
        b->note = dup_or_null(q, 23);
        b->confirmed_by = dup_or_null(q, 28);
        b->confirmed_at = dup_or_null(q, 29);
    }
    b->batch = sqlite3_column_int64(q, 24);
    b->counted_station = dup_or_null(q, 25);
    if (sqlite3_column_type(q, 26) != SQLITE_NULL) {
        b->rescan_of = sqlite3_column_int64(q, 26);
        b->rescan_similarity = sqlite3_column_double(q, 27);
        st_rescan_held(&b->found, &b->held);
    }
}

void st_store_ballot_clear(st_store_ballot *b)
{
    if (!b)
        return;
    free(b->file);
    free(b->station);
    free(b->counted_station);
    free(b->decided_by);
    free(b->decided_at);
    free(b->note);
    free(b->confirmed_by);
    free(b->confirmed_at);
    free(b->record);
    memset(b, 0, sizeof *b);
}

const st_outcome *st_store_ballot_outcome(const st_store_ballot *b)
{
    return b->decided ? &b->decision : b->rescan_of ? &b->held : &b->found;
}

/* Walk the ballots matching `where` (an SQL condition that may use ?1 for
 * text1, or NULL); without with_record each ballot's record is "". */
static int walk_ballots(st_store *s, const char *where, const char *text1, int with_record,
                        st_store_ballot_fn fn, void *ctx, st_error *err)
{
    char sql[2048], select[1024];
    sqlite3_stmt *q = NULL;
    int rc = ST_OK, step;
    snprintf(select, sizeof select, BALLOT_SELECT, with_record ? "b.record" : "''");
    snprintf(sql, sizeof sql, "%s%s%s ORDER BY p.id", select, where ? "WHERE " : "",
             where ? where : "");
    if (sqlite3_prepare_v2(st_store_db(s), sql, -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read ballots");
    if (text1)
        sqlite3_bind_text(q, 1, text1, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        st_store_ballot b;
        row_to_ballot(q, &b);
        rc = fn(ctx, &b);
        st_store_ballot_clear(&b);
        if (rc)
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_store_fail(s, err, "cannot read ballots");
    sqlite3_finalize(q);
    return rc;
}

static int walk(st_store *s, const char *where, const char *text1, st_store_ballot_fn fn,
                void *ctx, st_error *err)
{
    return walk_ballots(s, where, text1, 1, fn, ctx, err);
}

int st_store_each(st_store *s, st_store_filter filter, st_store_ballot_fn fn, void *ctx,
                  st_error *err)
{
    int which = filter & ~ST_STORE_BRIEF;
    const char *where =
        which == ST_STORE_OPEN
            ? "(b.outcome IN ('review','rejected') OR r.page IS NOT NULL) AND d.id IS NULL"
        : which == ST_STORE_OPEN_WARN
            ? "(b.outcome = 'rejected' OR r.page IS NOT NULL) AND d.id IS NULL"
            : NULL;
    return walk_ballots(s, where, NULL, !(filter & ST_STORE_BRIEF), fn, ctx, err);
}

int st_store_each_recent(st_store *s, int n, st_store_ballot_fn fn, void *ctx,
                         st_error *err)
{
    char limit[32];
    if (n < 1)
        return st_error_set(err, ST_ERR_ARG, "store: %s: asked for %d recent ballots",
                            st_store_path(s), n);
    snprintf(limit, sizeof limit, "%d", n);
    return walk(s, "p.id IN (SELECT id FROM pages ORDER BY id DESC LIMIT CAST(?1 AS INTEGER))",
                limit, fn, ctx, err);
}

int st_store_data_version(st_store *s, int64_t *out, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s), "PRAGMA data_version", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read data_version");
    int ok = sqlite3_step(q) == SQLITE_ROW;
    if (ok)
        *out = sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    return ok ? ST_OK : st_store_fail(s, err, "cannot read data_version");
}

void st_store_ballot_move(st_store_ballot *dst, st_store_ballot *src)
{
    *dst = *src;
    memset(src, 0, sizeof *src);
}

static int keep_one(void *ctx, st_store_ballot *b)
{
    st_store_ballot_move(ctx, b);
    return 1;
}

int st_store_get(st_store *s, int64_t id, st_store_ballot *out, st_error *err)
{
    char where[64], idtext[32];
    st_store_ballot b = {0};
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    snprintf(where, sizeof where, "p.id = CAST(?1 AS INTEGER)");
    int rc = walk(s, where, idtext, keep_one, &b, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return st_error_set(err, ST_ERR_ARG, "store: %s: no ballot %lld", st_store_path(s),
                            (long long)id);
    *out = b;
    return ST_OK;
}

/* ---- figures -------------------------------------------------------------- */

typedef struct tally_ctx {
    st_tally *t;
    int rc;
} tally_ctx;

static int add_one(void *ctx, st_store_ballot *b)
{
    tally_ctx *c = ctx;
    c->rc = st_tally_add(c->t, st_store_ballot_outcome(b));
    return c->rc ? 1 : 0;
}

/* The condition "the page is under station ?1 now": by the pages' own
 * station (its index) while nothing was ever moved, else through the
 * moves. An error reading moves takes the second, which is always right. */
static const char *station_is(st_store *s)
{
    sqlite3_stmt *q = NULL;
    int moved = 1;
    if (sqlite3_prepare_v2(st_store_db(s), "SELECT EXISTS(SELECT 1 FROM moves)", -1, &q, NULL) ==
            SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        moved = sqlite3_column_int(q, 0);
    sqlite3_finalize(q);
    return moved ? ST_STORE_EFF_STATION " = ?1" : "p.station = ?1";
}

int st_store_tally(st_store *s, const char *station, st_tally **out, st_error *err)
{
    tally_ctx c = {st_tally_new(st_store_model(s)), 0};
    if (!c.t)
        return st_error_set(err, ST_ERR_NOMEM, "store: out of memory");
    int rc = walk_ballots(s, station ? station_is(s) : NULL, station, 0, add_one, &c, err);
    if (rc > 0)
        rc = st_error_set(err, ST_ERR_INVALID,
                          "store: %s: a stored ballot does not fit the model (%d)", st_store_path(s),
                          c.rc);
    if (rc) {
        st_tally_free(c.t);
        return rc;
    }
    *out = c.t;
    return ST_OK;
}

/* "0668::SB10" after "0668::SB2": runs of digits compare as numbers. */
static int natural_cmp(const void *pa, const void *pb)
{
    const char *a = *(char *const *)pa, *b = *(char *const *)pb;
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            while (*a == '0')
                a++;
            while (*b == '0')
                b++;
            size_t la = strspn(a, "0123456789"), lb = strspn(b, "0123456789");
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(a, b, la);
            if (c)
                return c;
            a += la;
            b += lb;
        } else {
            if (*a != *b)
                return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
            a++;
            b++;
        }
    }
    return *a ? 1 : *b ? -1 : strcmp(*(char *const *)pa, *(char *const *)pb);
}

int st_store_stations(st_store *s, char ***out, int *n, st_error *err)
{
    sqlite3_stmt *q = NULL;
    char **v = NULL;
    int cnt = 0, step;
    if (sqlite3_prepare_v2(st_store_db(s),
                           "SELECT * FROM (SELECT " ST_STORE_EFF_STATION " AS st FROM pages p) "
                           "WHERE st IS NOT NULL UNION SELECT station FROM basis "
                           "UNION SELECT id FROM stations", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read stations");
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        char **nv = realloc(v, (size_t)(cnt + 1) * sizeof *v);
        if (!nv || !(nv[cnt] = strdup(st_store_col_text(q, 0)))) {
            v = nv ? nv : v;
            sqlite3_finalize(q);
            st_store_strings_free(v, cnt);
            return st_error_set(err, ST_ERR_NOMEM, "store: out of memory");
        }
        v = nv;
        cnt++;
    }
    sqlite3_finalize(q);
    if (step != SQLITE_DONE) {
        st_store_strings_free(v, cnt);
        return st_store_fail(s, err, "cannot read stations");
    }
    if (cnt)
        qsort(v, (size_t)cnt, sizeof *v, natural_cmp);
    *out = v;
    *n = cnt;
    return ST_OK;
}

void st_store_strings_free(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int st_store_counts_get(st_store *s, const char *station, st_store_counts *out, st_error *err)
{
    sqlite3_stmt *q = NULL;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT count(*), coalesce(sum(" ST_STORE_EFF_STATION " IS NULL), 0),"
             " coalesce(sum((b.outcome = 'review' OR r.page IS NOT NULL) AND d.id IS NULL), 0),"
             " coalesce(sum(b.outcome = 'rejected' AND d.id IS NULL), 0)"
             " FROM pages p JOIN ballots b ON b.page = p.id"
             " LEFT JOIN decisions d ON d.id = (SELECT max(id) FROM decisions WHERE page = p.id)"
             " LEFT JOIN rescans r ON r.page = p.id"
             "%s%s", station ? " WHERE " : "", station ? station_is(s) : "");
    if (sqlite3_prepare_v2(st_store_db(s), sql, -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot count");
    if (station)
        sqlite3_bind_text(q, 1, station, -1, SQLITE_STATIC);
    int ok = sqlite3_step(q) == SQLITE_ROW;
    if (ok) {
        out->pages = sqlite3_column_int64(q, 0);
        out->no_station = sqlite3_column_int64(q, 1);
        out->open_review = sqlite3_column_int64(q, 2);
        out->open_rejected = sqlite3_column_int64(q, 3);
    }
    sqlite3_finalize(q);
    return ok ? ST_OK : st_store_fail(s, err, "cannot count");
}

int st_store_last_change(st_store *s, char *buf, size_t n, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s),
                           "SELECT max(t) FROM (SELECT max(started) t FROM batches UNION ALL "
                           "SELECT max(decided_at) FROM decisions UNION ALL "
                           "SELECT max(confirmed_at) FROM proposals UNION ALL "
                           "SELECT max(moved_at) FROM moves)", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read");
    int ok = sqlite3_step(q) == SQLITE_ROW;
    if (ok)
        snprintf(buf, n, "%s", st_store_col_text(q, 0));
    sqlite3_finalize(q);
    return ok ? ST_OK : st_store_fail(s, err, "cannot read");
}
