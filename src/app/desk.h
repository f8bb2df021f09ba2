/* desk.h - the adjudication desk of `stemtel serve`: its documents and its decision
 *
 * What the desk shows and does, without HTTP: the queue of ballots left
 * to people (by station and reason, with where each paper lies: station,
 * batch and position in the batch), one ballot in full (its boxes, the
 * proposal, its decision history), the page drawn with every box
 * outlined in its state as a PNG, and a decision, which goes through
 * exactly what `stemtel review decide` does (st_decision_parse, then
 * st_store_decide; under four eyes st_store_propose, then a second
 * member's st_store_confirm). The pages and script are in desk_pages.c.
 *
 * Threads: as the store handles passed in (one thread at a time).
 */
#ifndef STEMTEL_APP_DESK_H
#define STEMTEL_APP_DESK_H

#include <stddef.h>
#include <stdint.h>

#include "app/serve_pages.h"
#include "stemtel/error.h"
#include "stemtel/store.h"

/* The desk's queue as strict JSON, one line: {"member", "csrf" (the
 * session's token, for the page's forms; both first, in that order, and
 * null when NULL, so a server may make the rest once for every session), "queue": [{id, station, batch,
 * position, kind, reasons, proposal, file, page, pending: a proposal
 * waiting for a second member {as, by, at, note} or null}] in station then reason
 * order, "stations": [{id, open}], "reasons": {"invalid": [...], "void":
 * [...]} (those decide accepts under the store's model), "lists":
 * [{number, name, candidates}], "four_eyes": the rule is on}. member
 * and csrf are borrowed. On success
 * *out is malloc'd, the caller's. ST_OK; ST_ERR_NOMEM; ST_ERR_IO. */
int st_desk_queue_json(st_store *s, const char *member, const char *csrf, int four_eyes,
                       char **out, st_error *err);

/* Ballot id in full as strict JSON: where it lies, what was found and
 * proposed, every box (id, state, score), whether its page can be drawn,
 * the boxes with ink as areas of the drawn page to show enlarged
 * ("areas": [{id, state, score, x, y, w, h}], fractions of the upright
 * page, st_proof_areas), the latest decision (with who confirmed it under
 * four eyes), the
 * proposal waiting for a second member (or null) and the whole history
 * (each {at, by, what, note, confirmed_by, confirmed_at}; a proposal not
 * confirmed says "proposed:DECISION"). *out as above. ST_OK;
 * ST_ERR_ARG (no such ballot); ST_ERR_NOMEM; ST_ERR_IO. */
int st_desk_ballot_json(st_store *s, int64_t id, char **out, st_error *err);

/* Ballot id's page with its boxes, turned the right way up
 * (st_proof_png_mem at half the scan's resolution) into *png (malloc'd, the caller's) and *len. ST_OK;
 * ST_ERR_ARG (no such ballot, or a rejected page on which nothing was
 * located); ST_ERR_IO (its file cannot be read); ST_ERR_NOMEM. */
int st_desk_page_png(st_store *s, int64_t id, unsigned char **png, size_t *len,
                     st_error *err);

/* Decide ballot id as `as` (the text `review decide --as` takes) for
 * member by, with note (NULL: none), on w (a store opened for writing):
 * the same calls as `review decide`, so the same checks and the same
 * record, with by and the time; with four_eyes only a proposal
 * (st_store_propose) that a second member must confirm. All borrowed.
 * ST_OK; ST_ERR_ARG (a bad decision, not a member, a note missing, no
 * ballot) with the message; ST_ERR_IO. */
int st_desk_decide(st_store *w, int64_t id, const char *as, const char *by, const char *note,
                   int four_eyes, st_error *err);

/* The desk's compiled-in page at path ("/login", "/desk", "/desk.js",
 * "/desk.css", and the answers "/login-failed" and "/login-limited"), or
 * NULL. Static; thread-safe. */
const st_serve_page *st_desk_page_find(const char *path);

#endif
