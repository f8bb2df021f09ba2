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
 * in review, rejected and set aside, once it is reconciled its votes per
 * list beside its basistelling's (N 10-2), and the municipality's running
 * totals per list. Figures only: no file, no page id, no image, nothing
 * that could point at one voter's ballot.
 *
 *   {"election":{"id":..,"name":..,"municipality":..},
 *    "stations":[{"id":"0668::SB3","name":..|null,"state":"in_review",
 *                 "pages":n,"counted":H,"review":n,"rejected":n,"voided":n,
 *                 "lists":[{"number":1,"name":..,"votes":n,"basis":n}]
 *                 (only once "state" is "reconciled")}],
 *    "totals":{"lists":[{"number":1,"name":..,"total":n}],
 *              "E":n,"F":n,"G":n,"H":n,"review":n,"rejected":n,"voided":n},
 *    "no_station":n,"final":false}
 *
 * Operator view (st_screen_operator_json), for the people running the
 * count: the same "election", "stations" (each also with "open_review"
 * and "open_rejected": undecided, and without "lists") and "totals", then
 * "pages" (every page stored), "sources" (the scanners and hot folders of
 * the latest `stemtel scan`, in the order given: "name" ("folder1"),
 * "input" ("folder:DIR"), "state" ("waiting": no page yet; "counting": a
 * page in the last 10 s; "idle": none since), "station" and "batch" of its
 * latest page, "pages", "pages_per_s" (over the last 10 s), "idle_s"
 * (since its latest page), and "last_id", "last_file", "last_page" of
 * that page), "recent" (the latest pages, newest last: "id", "station",
 * "file" (its name without the folder), "page", "outcome", "reasons",
 * "decided"), "warnings" (the latest undecided rejected pages and
 * possible rescans, newest last: "id", "station", "file", "page", "kind"
 * ("rejected" or "possible_rescan"), "reason", and for a rescan
 * "rescan_of" and "similarity"; then a source gone idle while another
 * still counts: "kind" "source_stopped", "source", "station", "idle_s"),
 * "warnings_total" (all of them), "blocks" (what blocks a final result,
 * as reconcile says it) and "blocks_nl" (the same in Dutch).
 *
 * Reconciliation (st_screen_reconcile_json): the JSON of `stemtel
 * reconcile --format json` (st_recon_write_json) with "blocks_nl" added.
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
 * the n_recent latest pages and at most n_warnings warnings of pages (both
 * >= 1), the sources' states as at now (Unix time, seconds). *out as for
 * st_screen_public_json. ST_OK; ST_ERR_ARG (n_recent or n_warnings below
 * 1); ST_ERR_NOMEM; ST_ERR_IO reading the store. Uses s under the store's
 * rule (one thread at a time per handle). */
int st_screen_operator_json(st_store *s, const st_recon *r, int n_recent, int n_warnings,
                            double now, char **out, st_error *err);

/* The reconciliation view's document for report r (borrowed). *out as for
 * st_screen_public_json. ST_OK, ST_ERR_NOMEM or ST_ERR_IO. Thread-safe for
 * distinct reports. */
int st_screen_reconcile_json(const st_recon *r, char **out, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
