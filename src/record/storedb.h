/* storedb.h - the store's SQLite handle, for the record layer only
 *
 * The store (store.h) keeps its database to itself; the record modules
 * that keep tables of their own in the same file (basis.c: the
 * basistelling) reach it through this internal header, so the raw handle
 * is not part of the public API.
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

#ifdef __cplusplus
}
#endif

#endif
