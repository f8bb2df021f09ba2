/* storedb.h - the store's SQLite handle, for the record layer only
 *
 * The store (store.h) keeps its database to itself; its readers
 * (storeread.c) and the record modules that keep tables of their own in
 * the same file (basis.c: the basistelling; people.c: members, decisions
 * and moves) reach it and the store's small helpers through this internal
 * header, so the raw handle is not part of the public API.
 */
#ifndef STEMTEL_RECORD_STOREDB_H
#define STEMTEL_RECORD_STOREDB_H

#include <sqlite3.h>

#include "stemtel/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The store's open SQLite connection. Owned by s and valid until
 * st_store_close; the caller must not close it, and uses it under the
 * store's own rule (one thread at a time per handle). Never fails. */
sqlite3 *st_store_db(st_store *s);

/* The store's file name, for messages. Owned by s. */
const char *st_store_path(const st_store *s);

/* Set err to ST_ERR_IO: "store: PATH: what: SQLite's message"; returns
 * ST_ERR_IO. */
int st_store_fail(st_store *s, st_error *err, const char *what);

/* Run sql (one or more statements) on s; ST_OK or ST_ERR_IO with
 * SQLite's message. */
int st_store_exec(st_store *s, const char *sql, st_error *err);

/* Column i of q's current row as text, "" for NULL; valid until q steps. */
const char *st_store_col_text(sqlite3_stmt *q, int i);

/* The current UTC time, "YYYY-MM-DDTHH:MM:SSZ", into buf (n >= 21). */
void st_store_utc_now(char *buf, size_t n);

/* Refuse a --by that is not a registered member: ST_OK when by is one;
 * ST_ERR_ARG "who: PATH: \"BY\" is not a member of the gemeentelijk
 * stembureau here; add with: ..." when not, "who: missing (--by)" when by
 * is empty, and util/text.h's refusal when it is not one line of text;
 * ST_ERR_IO for the store. who is the messages' prefix ("store",
 * "basis"), missing says what an empty by lacks ("a decision needs who
 * took it"). Implemented in people.c. */
int st_store_require_member(st_store *s, const char *who, const char *missing,
                            const char *by, st_error *err);

/* The outcome kind named name (st_outcome_name); REJECTED for an unknown
 * name. */
st_outcome_kind st_store_kind_of(const char *name);

/* A person's decision from columns i .. i+4 of q's current row (outcome,
 * list, candidate, party_only, reason) into *d, its proposal fields set to
 * itself, as a decided ballot has no other. */
void st_store_col_decision(sqlite3_stmt *q, int i, st_outcome *d);

/* The station a page counts under now: the last move of the pages of its
 * batch counted under its station, else the station it was counted under. */
#define ST_STORE_EFF_STATION                                                       \
    "coalesce((SELECT m.to_station FROM moves m WHERE m.batch = p.batch"            \
    " AND m.counted_station IS p.station ORDER BY m.id DESC LIMIT 1), p.station)"

#ifdef __cplusplus
}
#endif

#endif
