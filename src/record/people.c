/* people.c - the people's side of the record: members and their decisions
 *
 * Decisions on one ballot, voids of a whole batch and moves of a batch to
 * another station are rows that are only ever added: the latest decision
 * on a page and the latest move of its batch's pages count, and every
 * earlier one stays in the history. Only registered members of the
 * gemeentelijk stembureau take them. Under four eyes a decision is first
 * a proposal (its own table, so nothing that counts reads it) and
 * becomes a decision row only when a second member confirms it.
 */
#include "stemtel/store.h"
#include "record/storedb.h"
#include "util/password.h"
#include "util/text.h"

#include <ctype.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Refuse a decider who is not a registered member, and a decision that
 * needs a note without one. */
static int check_decider(st_store *s, const st_outcome *o, const char *by, const char *note,
                         st_error *err)
{
    /* Shown by review and kept in the record: one line of text. */
    if (st_text_check(note, "store", "--note", err))
        return ST_ERR_ARG;
    if (o->kind != ST_OUTCOME_VOTE && o->kind != ST_OUTCOME_BLANK &&
        o->kind != ST_OUTCOME_INVALID && o->kind != ST_OUTCOME_VOID)
        return st_error_set(err, ST_ERR_ARG,
                            "store: a decision is a vote, blank, invalid or void");
    if (st_decision_needs_note(o) && (!note || !note[strspn(note, " \t")]))
        return st_error_set(err, ST_ERR_ARG, "store: invalid:%s needs a note saying why "
                            "(--note)", o->reasons[0]);
    return st_store_require_member(s, "store", "a decision needs who took it", by, err);
}

/* Insert one decision row with q (prepared by the callers). */
static int insert_decision(sqlite3_stmt *q, int64_t id, const st_outcome *o, const char *by,
                           const char *when, const char *note)
{
    sqlite3_reset(q);
    sqlite3_clear_bindings(q);
    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_text(q, 2, st_outcome_name(o->kind), -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 3, o->list);
    sqlite3_bind_int(q, 4, o->candidate);
    sqlite3_bind_int(q, 5, o->party_only);
    sqlite3_bind_text(q, 6, o->n_reasons ? o->reasons[0] : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, by, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 8, when, -1, SQLITE_STATIC);
    if (note)
        sqlite3_bind_text(q, 9, note, -1, SQLITE_STATIC);
    return sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
}

#define INSERT_DECISION                                                              \
    "INSERT INTO decisions(page,outcome,list,candidate,party_only,reason,decided_by," \
    "decided_at,note) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9)"

/* Check, then add one row of a decision on ballot id now with sql (bound
 * as INSERT_DECISION is); what names it in a failure. */
static int record_one(st_store *s, int64_t id, const st_outcome *o, const char *by,
                      const char *note, const char *sql, const char *what, st_error *err)
{
    sqlite3_stmt *q = NULL;
    st_store_ballot b;
    char when[32];
    int rc;
    if ((rc = check_decider(s, o, by, note, err)))
        return rc;
    if ((rc = st_store_get(s, id, &b, err)))
        return rc;
    st_store_ballot_clear(&b);
    st_store_utc_now(when, sizeof when);
    if (sqlite3_prepare_v2(st_store_db(s), sql, -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    int ok = !insert_decision(q, id, o, by, when, note);
    sqlite3_finalize(q);
    return ok ? ST_OK : st_store_fail(s, err, what);
}

int st_store_decide(st_store *s, int64_t id, const st_outcome *o, const char *by,
                    const char *note, st_error *err)
{
    return record_one(s, id, o, by, note, INSERT_DECISION, "cannot record the decision", err);
}

int st_store_propose(st_store *s, int64_t id, const st_outcome *o, const char *by,
                     const char *note, st_error *err)
{
    return record_one(s, id, o, by, note,
                      "INSERT INTO proposals(page,outcome,list,candidate,party_only,reason,"
                      "proposed_by,proposed_at,note,after) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,"
                      "coalesce((SELECT max(id) FROM decisions WHERE page = ?1), 0))",
                      "cannot record the proposal", err);
}

/* The proposals still waiting: the latest on a ballot, not confirmed, and
 * no decision on it since; ?1 a ballot, or 0 for all. */
#define PENDING                                                                       \
    "SELECT x.page, x.outcome, x.list, x.candidate, x.party_only, x.reason,"          \
    " x.proposed_by, x.proposed_at, x.note, x.id FROM proposals x"                   \
    " WHERE x.decision IS NULL AND (?1 = 0 OR x.page = ?1)"                          \
    " AND x.id = (SELECT max(id) FROM proposals WHERE page = x.page)"                \
    " AND x.after = coalesce((SELECT max(id) FROM decisions WHERE page = x.page), 0)" \
    " ORDER BY x.page"

static void row_to_proposal(sqlite3_stmt *q, st_store_proposal *p)
{
    memset(p, 0, sizeof *p);
    p->ballot = sqlite3_column_int64(q, 0);
    st_store_col_decision(q, 1, &p->o);
    p->by = st_store_col_text(q, 6);
    p->at = st_store_col_text(q, 7);
    p->note = sqlite3_column_type(q, 8) == SQLITE_NULL ? NULL : st_store_col_text(q, 8);
}

int st_store_pending_each(st_store *s, int64_t id, st_store_proposal_fn fn, void *ctx,
                          st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s), PENDING, -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read proposals");
    sqlite3_bind_int64(q, 1, id > 0 ? id : 0);
    int step, rc = ST_OK;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        st_store_proposal p;
        row_to_proposal(q, &p);
        if ((rc = fn(ctx, &p)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_store_fail(s, err, "cannot read proposals");
    sqlite3_finalize(q);
    return rc;
}

/* Inside confirm's transaction: the waiting proposal becomes a decision. */
static int confirm_in(st_store *s, int64_t id, const char *by, st_error *err)
{
    sqlite3_stmt *q = NULL, *ins = NULL;
    char when[32];
    int rc;
    if (sqlite3_prepare_v2(st_store_db(s), PENDING, -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read proposals");
    sqlite3_bind_int64(q, 1, id);
    int step = sqlite3_step(q);
    if (step != SQLITE_ROW) {
        rc = step == SQLITE_DONE
                 ? st_error_set(err, ST_ERR_ARG, "store: %s: ballot %lld has no decision "
                                "waiting for a second member", st_store_path(s), (long long)id)
                 : st_store_fail(s, err, "cannot read proposals");
        goto out;
    }
    st_store_proposal p;
    row_to_proposal(q, &p);
    int64_t pid = sqlite3_column_int64(q, 9);
    if (by && !strcmp(by, p.by)) {
        rc = st_error_set(err, ST_ERR_ARG, "store: %s: %s proposed this decision on ballot "
                          "%lld; a second, different member must confirm it", st_store_path(s),
                          by, (long long)id);
        goto out;
    }
    if ((rc = check_decider(s, &p.o, by, p.note, err)))
        goto out;
    st_store_utc_now(when, sizeof when);
    if (sqlite3_prepare_v2(st_store_db(s), INSERT_DECISION, -1, &ins, NULL) != SQLITE_OK) {
        rc = st_store_fail(s, err, "cannot prepare");
        goto out;
    }
    if (insert_decision(ins, id, &p.o, p.by, p.at, p.note)) {
        rc = st_store_fail(s, err, "cannot record the decision");
        goto out;
    }
    sqlite3_finalize(ins);
    ins = NULL;
    if (sqlite3_prepare_v2(st_store_db(s), "UPDATE proposals SET decision = ?1, confirmed_by = ?2,"
                           " confirmed_at = ?3 WHERE id = ?4", -1, &ins, NULL) != SQLITE_OK) {
        rc = st_store_fail(s, err, "cannot prepare");
        goto out;
    }
    sqlite3_bind_int64(ins, 1, sqlite3_last_insert_rowid(st_store_db(s)));
    sqlite3_bind_text(ins, 2, by, -1, SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, when, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 4, pid);
    rc = sqlite3_step(ins) == SQLITE_DONE ? ST_OK
                                          : st_store_fail(s, err, "cannot record the confirmation");
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(q);
    return rc;
}

int st_store_confirm(st_store *s, int64_t id, const char *by, st_error *err)
{
    int rc = st_store_exec(s, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    if (!(rc = confirm_in(s, id, by, err)))
        rc = st_store_exec(s, "COMMIT", err);
    if (rc)
        sqlite3_exec(st_store_db(s), "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* The pages of batch now under station (NULL: under none): the condition
 * for walk and for the group statements, ?1 the batch, ?2 the station. */
#define IN_GROUP "p.batch = CAST(?1 AS INTEGER) AND " ST_STORE_EFF_STATION " IS ?2"

/* Ids of the pages of group (batch, station) into *ids (malloc'd, the
 * caller's) and *n; ST_ERR_ARG naming the group when it has none. */
static int group_pages(st_store *s, int64_t batch, const char *station, int64_t **ids, int *n,
                       st_error *err)
{
    sqlite3_stmt *q = NULL;
    *ids = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(st_store_db(s), "SELECT p.id FROM pages p WHERE " IN_GROUP " ORDER BY p.id",
                           -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read the batch");
    sqlite3_bind_int64(q, 1, batch);
    if (station)
        sqlite3_bind_text(q, 2, station, -1, SQLITE_STATIC);
    int step, cap = 0;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            int64_t *nv = realloc(*ids, (size_t)cap * sizeof *nv);
            if (!nv) {
                sqlite3_finalize(q);
                free(*ids);
                *ids = NULL;
                return st_error_set(err, ST_ERR_NOMEM, "store: out of memory");
            }
            *ids = nv;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(q, 0);
    }
    sqlite3_finalize(q);
    if (step != SQLITE_DONE) {
        free(*ids);
        *ids = NULL;
        return st_store_fail(s, err, "cannot read the batch");
    }
    if (*n == 0)
        return st_error_set(err, ST_ERR_ARG, "store: %s: batch %lld has no pages under %s "
                            "(see: stemtel review batches)", st_store_path(s), (long long)batch,
                            station ? station : "no station");
    return ST_OK;
}

/* A decision or move on every page of one (batch, station) group. */
typedef struct group_job {
    int64_t batch;
    const char *station, *to, *by, *note;
    const st_outcome *o;
    char when[32];
    int64_t *ids;
    int n;
} group_job;

/* The rows one group action adds, inside the caller's transaction. */
typedef int (*group_act)(st_store *s, const group_job *j, st_error *err);

static int void_pages(st_store *s, const group_job *j, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s), INSERT_DECISION, -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    int rc = ST_OK;
    for (int i = 0; i < j->n && !rc; i++)
        if (insert_decision(q, j->ids[i], j->o, j->by, j->when, j->note))
            rc = st_store_fail(s, err, "cannot record the decision");
    sqlite3_finalize(q);
    return rc;
}

/* One move per station the group's pages were counted under. */
static int move_pages(st_store *s, const group_job *j, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s),
                           "INSERT INTO moves(batch,counted_station,to_station,moved_by,"
                           "moved_at,note) SELECT DISTINCT ?1, p.station, ?3, ?4, ?5, ?6 "
                           "FROM pages p WHERE " IN_GROUP, -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    sqlite3_bind_int64(q, 1, j->batch);
    if (j->station)
        sqlite3_bind_text(q, 2, j->station, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, j->to, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, j->by, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, j->when, -1, SQLITE_STATIC);
    if (j->note)
        sqlite3_bind_text(q, 6, j->note, -1, SQLITE_STATIC);
    int ok = sqlite3_step(q) == SQLITE_DONE;
    sqlite3_finalize(q);
    return ok ? ST_OK : st_store_fail(s, err, "cannot record the move");
}

/* Check the decider (as for decision `as`), then in one transaction find
 * the group's pages and let act add its rows; all or nothing. */
static int on_group(st_store *s, group_job *j, const st_outcome *as, group_act act,
                    int *n_pages, st_error *err)
{
    int rc;
    if ((rc = check_decider(s, as, j->by, j->note, err)))
        return rc;
    if ((rc = st_store_exec(s, "BEGIN IMMEDIATE", err)))
        return rc;
    st_store_utc_now(j->when, sizeof j->when);
    if (!(rc = group_pages(s, j->batch, j->station, &j->ids, &j->n, err)) &&
        !(rc = act(s, j, err)))
        rc = st_store_exec(s, "COMMIT", err);
    if (rc)
        sqlite3_exec(st_store_db(s), "ROLLBACK", NULL, NULL, NULL);
    else
        *n_pages = j->n;
    free(j->ids);
    j->ids = NULL;
    return rc;
}

int st_store_decide_batch(st_store *s, int64_t batch, const char *station,
                          const st_outcome *o, const char *by, const char *note, int *n_pages,
                          st_error *err)
{
    if (o->kind != ST_OUTCOME_VOID)
        return st_error_set(err, ST_ERR_ARG, "store: a whole batch can only be void; decide "
                            "its ballots one by one");
    group_job j = {.batch = batch, .station = station, .by = by, .note = note, .o = o};
    return on_group(s, &j, o, void_pages, n_pages, err);
}

int st_store_move_batch(st_store *s, int64_t batch, const char *station, const char *to,
                        const char *by, const char *note, int *n_pages, st_error *err)
{
    if (!to || !*to)
        return st_error_set(err, ST_ERR_ARG, "store: a move needs the station to move to");
    int rc = st_store_station_check(s, to, err);
    if (rc)
        return rc;
    if (station && !strcmp(station, to))
        return st_error_set(err, ST_ERR_ARG, "store: batch %lld is already under %s",
                            (long long)batch, to);
    /* Any decision kind passes the decider check: only who counts here. */
    st_outcome as = {.kind = ST_OUTCOME_BLANK};
    group_job j = {.batch = batch, .station = station, .to = to, .by = by, .note = note};
    return on_group(s, &j, &as, move_pages, n_pages, err);
}

int st_store_batches_each(st_store *s, st_store_group_fn fn, void *ctx, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(
            st_store_db(s),
            "SELECT g.batch, g.st, count(*), min(g.id), max(g.id), sum(g.void),"
            " max(bt.started), max(g.st IS NOT g.counted)"
            " FROM (SELECT p.id, p.batch, " ST_STORE_EFF_STATION " AS st, p.station AS counted,"
            "  (d.outcome = 'void') AS void FROM pages p LEFT JOIN decisions d ON"
            "  d.id = (SELECT max(id) FROM decisions WHERE page = p.id)) g"
            " JOIN batches bt ON bt.id = g.batch"
            " GROUP BY g.batch, g.st ORDER BY min(g.id)",
            -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read batches");
    int step, rc = ST_OK;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        st_store_group g = {
            .batch = sqlite3_column_int64(q, 0),
            .station = sqlite3_column_type(q, 1) == SQLITE_NULL ? NULL : st_store_col_text(q, 1),
            .pages = sqlite3_column_int64(q, 2),
            .first_id = sqlite3_column_int64(q, 3),
            .last_id = sqlite3_column_int64(q, 4),
            .voided = sqlite3_column_int64(q, 5),
            .started = st_store_col_text(q, 6),
            .moved = sqlite3_column_int(q, 7)};
        if ((rc = fn(ctx, &g)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_store_fail(s, err, "cannot read batches");
    sqlite3_finalize(q);
    return rc;
}

int st_store_history(st_store *s, int64_t id, st_store_event_fn fn, void *ctx, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(
            st_store_db(s),
            "SELECT 0, d.decided_at, d.decided_by, d.outcome, d.list, d.candidate,"
            " d.party_only, d.reason, d.note, d.id, c.confirmed_by, c.confirmed_at"
            " FROM decisions d LEFT JOIN proposals c ON c.decision = d.id"
            " WHERE d.page = CAST(?1 AS INTEGER)"
            " UNION ALL SELECT 1, m.moved_at, m.moved_by, m.to_station, 0, 0, 0, '', m.note,"
            " m.id, NULL, NULL FROM moves m JOIN pages p ON p.id = CAST(?1 AS INTEGER)"
            " AND m.batch = p.batch AND m.counted_station IS p.station"
            " UNION ALL SELECT 2, proposed_at, proposed_by, outcome, list, candidate,"
            " party_only, reason, note, id, NULL, NULL FROM proposals"
            " WHERE page = CAST(?1 AS INTEGER) AND decision IS NULL"
            " ORDER BY 2, 1, 10",
            -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read the history");
    sqlite3_bind_int64(q, 1, id);
    int step, rc = ST_OK;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        st_store_event e = {.move = sqlite3_column_int(q, 0) == 1,
                            .at = st_store_col_text(q, 1),
                            .by = st_store_col_text(q, 2),
                            .note = sqlite3_column_type(q, 8) == SQLITE_NULL ? NULL
                                                                             : st_store_col_text(q, 8)};
        e.proposed = sqlite3_column_int(q, 0) == 2;
        if (sqlite3_column_type(q, 10) != SQLITE_NULL) {
            e.confirmed_by = st_store_col_text(q, 10);
            e.confirmed_at = st_store_col_text(q, 11);
        }
        if (e.move) {
            e.to_station = st_store_col_text(q, 3);
        } else {
            st_store_col_decision(q, 3, &e.decision);
        }
        if ((rc = fn(ctx, &e)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_store_fail(s, err, "cannot read the history");
    sqlite3_finalize(q);
    return rc;
}

int st_store_decisions_each(st_store *s, st_store_decided_fn fn, void *ctx, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(
            st_store_db(s),
            "SELECT g.st, g.outcome, g.party_only, g.reason, count(*)"
            " FROM (SELECT " ST_STORE_EFF_STATION " AS st, d.outcome, d.party_only, d.reason"
            "  FROM pages p JOIN decisions d ON"
            "  d.id = (SELECT max(id) FROM decisions WHERE page = p.id)) g"
            " GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 4, 3",
            -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read decisions");
    int step, rc = ST_OK;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        const char *st = (const char *)sqlite3_column_text(q, 0);
        if ((rc = fn(ctx, st, st_store_kind_of(st_store_col_text(q, 1)),
                     sqlite3_column_int(q, 2), st_store_col_text(q, 3),
                     sqlite3_column_int64(q, 4))))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_store_fail(s, err, "cannot read decisions");
    sqlite3_finalize(q);
    return rc;
}

/* ---- members -------------------------------------------------------------- */

int st_store_member_add(st_store *s, const char *name, const char *role, st_error *err)
{
    sqlite3_stmt *q = NULL;
    char when[32];
    size_t len = name ? strlen(name) : 0;
    if (!len || isspace((unsigned char)name[0]) || isspace((unsigned char)name[len - 1]))
        return st_error_set(err, ST_ERR_ARG, "store: a member's name must not be empty, nor "
                            "begin or end with a space: \"%s\"", name ? name : "");
    if (st_text_check(name, "store", "a member's name", err))
        return ST_ERR_ARG;
    if (len > 100)
        return st_error_set(err, ST_ERR_ARG, "store: a member's name is at most 100 bytes");
    if (!role || (strcmp(role, "voorzitter") && strcmp(role, "lid")))
        return st_error_set(err, ST_ERR_ARG, "store: a member's role is voorzitter or lid, "
                            "not \"%s\"", role ? role : "");
    st_store_utc_now(when, sizeof when);
    if (sqlite3_prepare_v2(st_store_db(s), "INSERT INTO members(name,role,added_at) VALUES(?1,?2,?3)",
                           -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, role, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, when, -1, SQLITE_STATIC);
    int step = sqlite3_step(q);
    sqlite3_finalize(q);
    if (step == SQLITE_CONSTRAINT)
        return st_error_set(err, ST_ERR_ARG, "store: %s: \"%s\" is already a member", st_store_path(s),
                            name);
    return step == SQLITE_DONE ? ST_OK : st_store_fail(s, err, "cannot add the member");
}

int st_store_member_role(st_store *s, const char *name, char *role, size_t n, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s), "SELECT role FROM members WHERE name = ?1", -1, &q, NULL) !=
        SQLITE_OK)
        return st_store_fail(s, err, "cannot read members");
    sqlite3_bind_text(q, 1, name ? name : "", -1, SQLITE_STATIC);
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        snprintf(role, n, "%s", st_store_col_text(q, 0));
    sqlite3_finalize(q);
    if (step == SQLITE_ROW)
        return ST_OK;
    if (step == SQLITE_DONE)
        return st_error_set(err, ST_ERR_ARG, "store: %s: no member \"%s\"", st_store_path(s),
                            name ? name : "");
    return st_store_fail(s, err, "cannot read members");
}

int st_store_require_member(st_store *s, const char *who, const char *missing,
                            const char *by, st_error *err)
{
    if (!by || !*by)
        return st_error_set(err, ST_ERR_ARG, "%s: %s (--by)", who, missing);
    if (st_text_check(by, who, "--by", err))
        return ST_ERR_ARG;
    char role[16];
    int rc = st_store_member_role(s, by, role, sizeof role, err);
    if (rc == ST_ERR_ARG)
        return st_error_set(err, ST_ERR_ARG,
                            "%s: %s: \"%s\" is not a member of the gemeentelijk "
                            "stembureau here; add with: stemtel members add NAME --role "
                            "voorzitter|lid --store FILE", who, st_store_path(s), by);
    return rc;
}

int st_store_members_each(st_store *s, st_store_member_fn fn, void *ctx, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s),
                           "SELECT name, role, added_at FROM members "
                           "ORDER BY role = 'lid', added_at, name", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read members");
    int step, rc = ST_OK;
    while ((step = sqlite3_step(q)) == SQLITE_ROW)
        if ((rc = fn(ctx, st_store_col_text(q, 0), st_store_col_text(q, 1), st_store_col_text(q, 2))))
            break;
    if (!rc && step != SQLITE_DONE)
        rc = st_store_fail(s, err, "cannot read members");
    sqlite3_finalize(q);
    return rc;
}

int st_store_member_passwd(st_store *s, const char *name, const char *pw, st_error *err)
{
    sqlite3_stmt *q = NULL;
    char role[16], line[ST_PASSWORD_LINE], when[32];
    int rc = st_store_member_role(s, name, role, sizeof role, err);
    if (rc)
        return rc;
    if ((rc = st_password_hash(pw, line, sizeof line, err)))
        return st_error_prefix(err, "store");
    st_store_utc_now(when, sizeof when);
    if (sqlite3_prepare_v2(st_store_db(s), "INSERT OR REPLACE INTO passwords(member,hash,set_at)"
                           " VALUES(?1,?2,?3)", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 2, line, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 3, when, -1, SQLITE_STATIC);
    int ok = sqlite3_step(q) == SQLITE_DONE;
    sqlite3_finalize(q);
    return ok ? ST_OK : st_store_fail(s, err, "cannot set the password");
}

int st_store_member_login(st_store *s, const char *name, const char *pw, st_error *err)
{
    sqlite3_stmt *q = NULL;
    char *line = NULL;
    if (sqlite3_prepare_v2(st_store_db(s), "SELECT hash FROM passwords WHERE member = ?1", -1,
                           &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read passwords");
    sqlite3_bind_text(q, 1, name ? name : "", -1, SQLITE_STATIC);
    int step = sqlite3_step(q);
    if (step == SQLITE_ROW)
        line = strdup(st_store_col_text(q, 0));
    sqlite3_finalize(q);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        return st_store_fail(s, err, "cannot read passwords");
    if (step == SQLITE_ROW && !line)
        return st_error_set(err, ST_ERR_NOMEM, "store: out of memory");
    int ok = st_password_verify(pw, line);
    free(line);
    return ok ? ST_OK : st_error_set(err, ST_ERR_ARG, "store: wrong name or password");
}
