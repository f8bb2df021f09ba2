/* decision.h - a person's decision on a ballot, as text
 *
 * Review takes decisions on the command line and shows them back in one
 * short form: "candidate:LIST:NUMBER", "list:LIST", "blank",
 * "invalid:REASON" or "void:REASON". Parsing checks the text against the ballot model, so
 * a decision names only lists and candidates the ballot has; printing
 * gives the text that parses back to the same outcome. The store records
 * the outcomes (store.h); this module only turns them into text and back.
 *
 * Threads: both functions are pure and may be called from any thread.
 */
#ifndef STEMTEL_DECISION_H
#define STEMTEL_DECISION_H

#include <stddef.h>

#include "stemtel/error.h"
#include "stemtel/interpret.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parse a decision as written on the command line against model m:
 *   candidate:LIST:NUMBER   a vote for that candidate
 *   list:LIST               a vote by the list box alone (counted per the
 *                           model's party_only setting)
 *   blank
 *   invalid:REASON          REASON one of number_without_list,
 *                           several_lists, no_such_candidate,
 *                           several_numbers, party_only (only where the
 *                           model makes a list box alone invalid),
 *                           identifying_writing, other (needs a note:
 *                           st_decision_needs_note)
 *   void:REASON             the page counts in no figure; REASON one of
 *                           rescan (the same sheet scanned again),
 *                           not_a_ballot (a blank page, a foreign paper,
 *                           a misread sheet), damaged (replaced by a
 *                           rescan of the same sheet)
 * Returns ST_OK and writes *out (a VOTE, BLANK, INVALID or VOID outcome,
 * its proposal the same); ST_ERR_ARG naming what is wrong (no text, an
 * unknown list, a candidate the list does not have, a reason not in the
 * list, which the message gives), *out untouched.
 * Borrows m and text for the call only. */
int st_decision_parse(const st_model *m, const char *text, st_outcome *out,
                      st_error *err);

/* Every reason code of kind (INVALID or VOID) there is, whatever the
 * model's settings, and their number in *n; NULL and 0 for another kind.
 * Static strings. The tallies list these even at zero. */
const char *const *st_decision_reason_codes(st_outcome_kind kind, int *n);

/* Nonzero when reason is one people may give for an outcome of kind
 * (INVALID or VOID) under model m; 0 for anything else. Pure. */
int st_decision_reason_ok(const st_model *m, st_outcome_kind kind, const char *reason);

/* The reasons of kind under m, ", "-separated, into buf (the caller's, n
 * bytes, cut if need be, always terminated when n > 0); returns buf. */
const char *st_decision_reasons(const st_model *m, st_outcome_kind kind, char *buf,
                                size_t n);

/* Nonzero when decision o must carry a note saying why (invalid:other). */
int st_decision_needs_note(const st_outcome *o);

/* Text form of an outcome that st_decision_parse reads back ("blank",
 * "candidate:3:1", "list:2", "invalid:several_lists", "void:rescan"; "review" and
 * "rejected" for those kinds). Writes at most n bytes (cut if need be,
 * always terminated when n > 0) to buf, which the caller owns; returns
 * buf. Never fails. */
char *st_decision_text(const st_outcome *o, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
