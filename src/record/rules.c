/* rules.c - the rules a gemeentelijk stembureau sets for its sitting
 *
 * Now one rule, vier ogen: a person's decision on a ballot counts only
 * once a second member confirms it. It lives in the store, so every
 * command and every run of serve on the store keeps it, and only the
 * voorzitter switches it. Each switch is a row that is only ever added;
 * the latest row is the rule's value, a store without rows has it off.
 */
#include "stemtel/store.h"
#include "record/storedb.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#define RULE_FOUR_EYES "four_eyes"

int st_store_four_eyes_each(st_store *s, st_store_rule_fn fn, void *ctx, st_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s),
                           "SELECT value, set_by, set_at FROM rules WHERE rule = ?1 ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot read the rules");
    sqlite3_bind_text(q, 1, RULE_FOUR_EYES, -1, SQLITE_STATIC);
    int step, rc = ST_OK;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        st_store_rule_change c = {sqlite3_column_int(q, 0), st_store_col_text(q, 1),
                                  st_store_col_text(q, 2)};
        if ((rc = fn(ctx, &c)))
            break;
    }
    if (!rc && step != SQLITE_DONE)
        rc = st_store_fail(s, err, "cannot read the rules");
    sqlite3_finalize(q);
    return rc;
}

/* Keep the latest change seen. */
static int keep_last(void *ctx, const st_store_rule_change *c)
{
    *(int *)ctx = c->on;
    return 0;
}

int st_store_four_eyes_get(st_store *s, int *on, st_error *err)
{
    int v = 0, rc = st_store_four_eyes_each(s, keep_last, &v, err);
    if (!rc)
        *on = v;
    return rc;
}

int st_store_four_eyes_set(st_store *s, int on, const char *by, st_error *err)
{
    int rc = st_store_require_member(s, "store", "switching vier ogen needs who did it", by, err);
    if (rc)
        return rc;
    char role[16], when[32];
    if ((rc = st_store_member_role(s, by, role, sizeof role, err)))
        return rc;
    if (strcmp(role, "voorzitter"))
        return st_error_set(err, ST_ERR_ARG, "store: %s: only the voorzitter may switch vier "
                            "ogen on or off; %s's role is %s", st_store_path(s), by, role);
    /* The value it has already is no switch: nothing to record. */
    int now = 0;
    if ((rc = st_store_four_eyes_get(s, &now, err)))
        return rc;
    if (now == (on != 0))
        return ST_OK;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st_store_db(s), "INSERT INTO rules(rule, value, set_by, set_at)"
                           " VALUES(?1, ?2, ?3, ?4)", -1, &q, NULL) != SQLITE_OK)
        return st_store_fail(s, err, "cannot prepare");
    st_store_utc_now(when, sizeof when);
    sqlite3_bind_text(q, 1, RULE_FOUR_EYES, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 2, on != 0);
    sqlite3_bind_text(q, 3, by, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, when, -1, SQLITE_STATIC);
    rc = sqlite3_step(q) == SQLITE_DONE ? ST_OK : st_store_fail(s, err, "cannot record the rule");
    sqlite3_finalize(q);
    return rc;
}
