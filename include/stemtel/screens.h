/* screens.h - what the sitting's screens show, as JSON for `stemtel serve`
 *
 * The public display and the operator view of `stemtel serve` poll these
 * documents; they are built from a reconciliation report (reconcile.h),
 * so every figure is the store's with decisions applied, exactly as
 * `reconcile` and `tally` give it. Each is one line of strict JSON (RFC
 * 8259, UTF-8), keys in a fixed order.
 *
 * Public display (st_screen_public_json), for a projector in a public
 * session: per polling station its state and how many pages are counted,
 * in review, rejected and set aside, and the municipality's running
 * totals per list. Figures only: no file, no page id, no image, nothing
 * that could point at one voter's ballot.
 *
 *   {"election":{"id":..,"name":..,"municipality":..},
 *    "stations":[{"id":"0668::SB3","name":..|null,"state":"in_review",
 *                 "pages":n,"counted":H,"review":n,"rejected":n,"voided":n}],
 *    "totals":{"lists":[{"number":1,"name":..,"total":n}],
 *              "E":n,"F":n,"G":n,"H":n,"review":n,"rejected":n,"voided":n},
 *    "no_station":n,"final":false}
 *
 * Operator view (st_screen_operator_json), for the people running the
 * count: the same "election", "stations" (each also with "open_review"
 * and "open_rejected": undecided) and "totals", then "pages" (every page
 * stored), "recent" (the latest pages, newest last: "id", "station",
 * "file" (its name without the folder), "page", "outcome", "reasons",
 * "decided"), "warnings" (the latest undecided rejected pages and
 * possible rescans, newest last: "id", "station", "file", "page", "kind"
 * ("rejected" or "possible_rescan"), "reason", and for a rescan
 * "rescan_of" and "similarity"), "warnings_total" (all of them) and
 * "blocks" (what blocks a final result, as reconcile says it).
 */
#ifndef STEMTEL_SCREENS_H
#define STEMTEL_SCREENS_H

#include "stemtel/error.h"
#include "stemtel/reconcile.h"
#include "stemtel/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The public display's document for report r (borrowed). On success
 * *out is a malloc'd NUL-terminated string, the caller's to free, written
 * only then. ST_OK or ST_ERR_NOMEM. Thread-safe for distinct reports. */
int st_screen_public_json(const st_recon *r, char **out, st_error *err);

/* The operator view's document for report r (borrowed) of store s, with
 * the n_recent latest pages and at most n_warnings warnings (both >= 1).
 * *out as for st_screen_public_json. ST_OK; ST_ERR_ARG (n_recent or
 * n_warnings below 1); ST_ERR_NOMEM; ST_ERR_IO reading the store. Uses s
 * under the store's rule (one thread at a time per handle). */
int st_screen_operator_json(st_store *s, const st_recon *r, int n_recent, int n_warnings,
                            char **out, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
