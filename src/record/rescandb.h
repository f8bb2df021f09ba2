/* rescandb.h - the store's side of rescans, for the record layer only
 *
 * The tables the store adds in schema version 4 (prints: the inked
 * boxes' prints of every page counted under a station, with its marked
 * and inked box ids, key and inked, that find the pages it may be
 * compared with; rescans: the
 * pages whose marks match an earlier page's) and the check st_store_commit
 * runs on every page it takes, inside the window's transaction.
 */
#ifndef STEMTEL_RECORD_RESCANDB_H
#define STEMTEL_RECORD_RESCANDB_H

#include <stdint.h>

#include "stemtel/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Added in schema version 4. */
#define ST_RESCAN_SCHEMA                                                             \
    "CREATE TABLE prints(page INTEGER PRIMARY KEY REFERENCES pages(id),"             \
    "  station TEXT NOT NULL, key TEXT NOT NULL, inked TEXT NOT NULL,"               \
    "  prints BLOB NOT NULL);"                                                        \
    "CREATE INDEX prints_key ON prints(station, key);"                                 \
    "CREATE INDEX prints_inked ON prints(station, inked);"                             \
    "CREATE TABLE rescans(page INTEGER PRIMARY KEY REFERENCES pages(id),"            \
    "  earlier INTEGER NOT NULL REFERENCES pages(id), similarity REAL NOT NULL,"     \
    "  ink_ratio REAL NOT NULL);"

/* Compare page id (just inserted, counted under station, its record
 * borrowed) with every earlier page counted under the same station whose
 * boxes allow it (st_rescan_compare), keep its prints for the
 * pages after it, and record the best match (st_rescan_better) in the
 * rescans table. Nothing happens for a page without a station or without
 * a marked box. Runs inside the caller's transaction. ST_OK; ST_ERR_INVALID
 * when the record cannot be read; ST_ERR_IO. */
int st_rescan_store_page(st_store *s, int64_t id, const char *station, const char *record,
                         st_error *err);

#ifdef __cplusplus
}
#endif

#endif
