/* settle.h - what a scan cut short left in its output folder, settled
 *
 * For the scan runner only (app layer).
 */
#ifndef STEMTEL_APP_SETTLE_H
#define STEMTEL_APP_SETTLE_H

#include "stemtel/error.h"
#include "stemtel/store.h"
#include "util/seen.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One message for people about what was settled (without a prefix). */
typedef void (*st_settle_say_fn)(void *ctx, const char *msg);

/* Settle out_dir against store before a scan counts anything: manifests
 * a stop left open are cut back to the files the store holds and closed
 * (or removed when none is held), a run without a tally gets its
 * ballots.jsonl cut back to the records of pages the store holds and a
 * cut-short.txt; every file a manifest lists is added to listed. Each
 * thing settled is told through say_fn (may be NULL). Returns ST_OK; a
 * manifest that is not one (ST_ERR_PARSE naming its line), ST_ERR_IO,
 * ST_ERR_NOMEM. Borrows everything for the call. */
int st_scan_settle(const char *out_dir, st_store *store, st_seen *listed,
                   st_settle_say_fn say_fn, void *say_ctx, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
