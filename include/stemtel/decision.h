/* decision.h - a person's decision on a ballot, as text
 *
 * Review takes decisions on the command line and shows them back in one
 * short form: "candidate:LIST:NUMBER", "list:LIST", "blank" or
 * "invalid:REASON". Parsing checks the text against the ballot model, so
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
 *   invalid:REASON          REASON a code of letters, digits and _
 * Returns ST_OK and writes *out (a VOTE, BLANK or INVALID outcome, its
 * proposal the same); ST_ERR_ARG naming what is wrong (no text, an
 * unknown list, a candidate the list does not have), *out untouched.
 * Borrows m and text for the call only. */
int st_decision_parse(const st_model *m, const char *text, st_outcome *out,
                      st_error *err);

/* Text form of an outcome that st_decision_parse reads back ("blank",
 * "candidate:3:1", "list:2", "invalid:several_lists"; "review" and
 * "rejected" for those kinds). Writes at most n bytes (cut if need be,
 * always terminated when n > 0) to buf, which the caller owns; returns
 * buf. Never fails. */
char *st_decision_text(const st_outcome *o, char *buf, size_t n);

#ifdef __cplusplus
}
#endif

#endif
