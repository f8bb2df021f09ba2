/* stations.c - the municipality's polling stations in the store
 *
 * The list is imported whole (from a 110b or a CSV, station.h) and
 * replaces the one before, in one transaction; a station that already
 * has pages or a basistelling cannot be dropped by it. Every station id
 * that enters the store is checked here: against the list once there is
 * one, else against the form EML uses.
 */
#include "stemtel/store.h"
#include "record/storedb.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How many stations the list holds (0: none imported); -1 on error. */
static int listed_count(st_store *s, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s), "SELECT count(*) FROM stations", -1, &q, NULL) !=
        SQLITE_OK) {
        st_store_fail(s, err, "cannot read stations");
        return -1;
    }
    int n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int(q, 0) : -1;
    sqlite3_finalize(q);
    if (n < 0)
        st_store_fail(s, err, "cannot read stations");
    return n;
}

int st_store_station_check(st_store *s, const char *id, st_error *err)
{
    st_error e = {0};
    int n = listed_count(s, err);
    if (n < 0)
        return ST_ERR_IO;
    if (st_station_id_check(id, &e))
        return st_error_set(err, ST_ERR_ARG, "%s", e.msg);
    if (n == 0)
        return ST_OK;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s), "SELECT 1 FROM stations WHERE id = ?1", -1, &q,
                           NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read stations");
    sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
    int step = sqlite3_step(q);
    sqlite3_finalize(q);
    if (step == SQLITE_ROW)
        return ST_OK;
    if (step != SQLITE_DONE)
        return st_store_fail(s, err, "cannot read stations");
    return st_error_set(err, ST_ERR_ARG,
                        "station %s is not one of the municipality's %d polling stations "
                        "(see: stemtel stations list --store %s)", id, n, st_store_path(s));
}

/* The first station with pages or a basistelling that l does not hold,
 * into buf; 1 when there is one, 0 when none, -1 on error. */
static int dropped(st_store *s, const st_station_list *l, char *buf, size_t n, st_error *err)
{
    char **have = NULL;
    int nh = 0, found = 0;
    if (st_store_stations(s, &have, &nh, err))
        return -1;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s),
                           "SELECT (SELECT count(*) FROM pages WHERE station = ?1) +"
                           " (SELECT count(*) FROM basis WHERE station = ?1) +"
                           " (SELECT count(*) FROM moves WHERE to_station = ?1)",
                           -1, &q, NULL) != SQLITE_OK) {
        st_store_strings_free(have, nh);
        st_store_fail(s, err, "cannot read stations");
        return -1;
    }
    for (int i = 0; i < nh && !found; i++) {
        int in = 0;
        for (int k = 0; k < l->n && !in; k++)
            in = !strcmp(l->v[k].id, have[i]);
        if (in)
            continue;
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, have[i], -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_int(q, 0) > 0) {
            snprintf(buf, n, "%s", have[i]);
            found = 1;
        }
    }
    sqlite3_finalize(q);
    st_store_strings_free(have, nh);
    return found;
}

int st_store_stations_import(st_store *s, const st_station_list *l, const char *source,
                             st_error *err)
{
    const st_model *m = st_store_model(s);
    const char *code = m->municipality_code ? m->municipality_code : "";
    if (!l || l->n == 0)
        return st_error_set(err, ST_ERR_ARG, "stations: no stations to import");
    for (int i = 0; i < l->n; i++)
        if (*code && strncmp(l->v[i].id, code, 4))
            return st_error_set(err, ST_ERR_INVALID,
                                "stations: %s: station %s is not of municipality %s (%s), "
                                "whose count this store holds", source ? source : "",
                                l->v[i].id, code,
                                m->municipality_name ? m->municipality_name : "");
    int rc = st_store_exec(s, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    char lost[64];
    int d = dropped(s, l, lost, sizeof lost, err);
    sqlite3_stmt *q = NULL;
    if (d < 0) {
        rc = err->code;
        goto fail;
    }
    if (d) {
        rc = st_error_set(err, ST_ERR_INVALID, "stations: %s: the list leaves out %s, which "
                          "already has ballots, a basistelling or a move",
                          source ? source : "", lost);
        goto fail;
    }
    if ((rc = st_store_exec(s, "DELETE FROM stations", err)))
        goto fail;
    if (sqlite3_prepare_v2(st_store_db(s),
                           "INSERT INTO stations(id,name,postcode,eligible,position,source) "
                           "VALUES(?1,?2,?3,?4,?5,?6)", -1, &q, NULL) != SQLITE_OK) {
        rc = st_store_fail(s, err, "cannot prepare");
        goto fail;
    }
    for (int i = 0; i < l->n; i++) {
        const st_station_def *st = &l->v[i];
        sqlite3_reset(q);
        sqlite3_clear_bindings(q);
        sqlite3_bind_text(q, 1, st->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, st->name, -1, SQLITE_STATIC);
        if (st->postcode)
            sqlite3_bind_text(q, 3, st->postcode, -1, SQLITE_STATIC);
        if (st->eligible >= 0)
            sqlite3_bind_int64(q, 4, st->eligible);
        sqlite3_bind_int(q, 5, i);
        sqlite3_bind_text(q, 6, source ? source : "", -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE) {
            rc = st_store_fail(s, err, "cannot store the stations");
            goto fail;
        }
    }
    sqlite3_finalize(q);
    return st_store_exec(s, "COMMIT", err);
fail:
    sqlite3_finalize(q);
    sqlite3_exec(st_store_db(s), "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int st_store_stations_listed(st_store *s, st_store_station_fn fn, void *ctx, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s),
                           "SELECT id, name, postcode, coalesce(eligible, -1) FROM stations "
                           "ORDER BY position", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read stations");
    int step, rc = ST_OK;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        st_station_def d = {.eligible = sqlite3_column_int64(q, 3)};
        snprintf(d.id, sizeof d.id, "%s", st_store_col_text(q, 0));
        d.name = (char *)st_store_col_text(q, 1);
        d.postcode = sqlite3_column_type(q, 2) == SQLITE_NULL ? NULL
                                                              : (char *)st_store_col_text(q, 2);
        if ((rc = fn(ctx, &d)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_store_fail(s, err, "cannot read stations");
    sqlite3_finalize(q);
    return rc;
}
