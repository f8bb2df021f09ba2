/* tally.h - count interpreted ballots into the figures of Model N 10-2
 *
 * A tally adds up outcomes (interpret.h) for one polling station, or for a
 * whole batch: votes per candidate, per list (E.1 .. E.n), E, F (blank),
 * G (invalid), H = E + F + G, the party-only votes, every invalid reason,
 * and the ballots still waiting for people (review) or to be counted by
 * hand (rejected). Tallies of the same model merge, so threads or stations
 * can count apart and be combined; the sum never depends on the order.
 *
 * Reviewed and rejected ballots are NOT in E, F, G or H: they are counted
 * only in their own totals until people decide them. A void page (people
 * set it aside: the same sheet scanned again, not a ballot) is in no
 * figure at all, only in the void total and its reasons. A decided ballot is
 * added as the outcome people chose (a vote, blank or invalid outcome);
 * whoever records the decision must not also keep the undecided review in
 * the same tally.
 *
 * A party-only vote (a list box and no number, valid) is counted in the
 * list's party_only figure and, when the outcome credits it to a candidate
 * (setting party_only = first_candidate gives candidate 1), in that
 * candidate's votes; under party_only = invalid it is an invalid ballot
 * with reason "party_only" instead.
 *
 * Reason counts. Invalid: one reason per ballot, so the reasons sum to G.
 * Review: a ballot counts once in the review total and once under each of
 * its reasons, so the reasons may sum to more than the total. Rejected:
 * one reason per ballot; void: the same. A ballot without a reason counts
 * under "unspecified". The reason codes of interpret.h for invalid
 * (number_without_list, several_lists, no_such_candidate, several_numbers,
 * party_only, identifying_writing, other), for review (marginal_mark,
 * writing_outside_boxes, no_such_candidate, several_numbers) and for void
 * (rescan, not_a_ballot, damaged) are always present, zero or not;
 * other codes appear once seen. Reasons are always listed in byte order of
 * their codes.
 *
 * CSV format (st_tally_write_csv). UTF-8, no byte-order mark, lines end in
 * LF, one header row, five columns:
 *
 *   kind,list,candidate,name,count
 *
 * then, for every list in model order, a list row followed by a row for
 * each of its candidates in list order (zeros included):
 *
 *   list,1,,"Partij Een",12              E.1: the list's total
 *   candidate,1,1,"Jansen, A. (Anna)",7  votes for candidate 1 of list 1
 *
 * then the totals (empty list, candidate and name):
 *
 *   E,,,,n          sum of the list totals
 *   F,,,,n          blank
 *   G,,,,n          invalid
 *   H,,,,n          E + F + G
 *
 * then the party-only votes per list (list and name filled) and in total:
 *
 *   party_only,1,,"Partij Een",n
 *   party_only,,,,n
 *
 * then the invalid reasons, the review total and its reasons, the rejected
 * total and its reasons, the void total and its reasons:
 *
 *   invalid:<reason>,,,,n
 *   review,,,,n
 *   review:<reason>,,,,n
 *   rejected,,,,n
 *   rejected:<reason>,,,,n
 *   void,,,,n
 *   void:<reason>,,,,n
 *
 * Names are always quoted, with a quote inside doubled (RFC 4180); commas,
 * line breaks and UTF-8 are kept as they are. Numbers are plain decimal
 * integers. The same tally always gives the same bytes.
 *
 * JSON format (st_tally_write_json). Pretty-printed with two-space indent,
 * keys in this order, every count an integer:
 *
 *   {
 *     "election_id": "TEST2026_Klein",
 *     "lists": [
 *       { "number": 1, "name": "Partij Een", "total": 12, "party_only": 2,
 *         "candidates": [ { "number": 1, "name": "...", "votes": 7 }, ... ] },
 *       ...
 *     ],
 *     "E": n, "F": n, "G": n, "H": n,
 *     "party_only": n,
 *     "invalid": { "<reason>": n, ... },
 *     "review": { "total": n, "reasons": { "<reason>": n, ... } },
 *     "rejected": { "total": n, "reasons": { "<reason>": n, ... } },
 *     "void": { "total": n, "reasons": { "<reason>": n, ... } }
 *   }
 *
 * Threads: a tally is used by one thread at a time; separate tallies may
 * be used by separate threads freely (nothing is shared but the read-only
 * model).
 */
#ifndef STEMTEL_TALLY_H
#define STEMTEL_TALLY_H

#include <stdint.h>

#include "stemtel/error.h"
#include "stemtel/interpret.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct st_tally st_tally;

/* The figures of one tally that are not per list or per reason. */
typedef struct st_tally_totals {
    int64_t E;          /* valid votes: sum of the list totals */
    int64_t F;          /* blank */
    int64_t G;          /* invalid */
    int64_t H;          /* E + F + G: ballots counted */
    int64_t party_only; /* valid votes by a list box alone */
    int64_t review;     /* ballots waiting for people (not in H) */
    int64_t rejected;   /* ballots to count by hand (not in H) */
    int64_t voided;     /* pages people set aside: a rescan, not a ballot
                           (in no figure) */
} st_tally_totals;

/* A new, all-zero tally for model m. The tally borrows m, which must stay
 * alive and unchanged until st_tally_free. Returns NULL on no memory or a
 * NULL m. Thread-safe. */
st_tally *st_tally_new(const st_model *m);

/* Free a tally. Accepts NULL. */
void st_tally_free(st_tally *t);

/* The model t was made from. */
const st_model *st_tally_model(const st_tally *t);

/* Count one outcome. Returns ST_OK; ST_ERR_ARG for a NULL argument;
 * ST_ERR_INVALID for an outcome that cannot be counted (a kind outside the
 * enum, a vote for a list or candidate the model does not have, n_reasons
 * outside 0..ST_MAX_REASONS); ST_ERR_NOMEM when a new reason could not be
 * stored. On any error t is unchanged. */
int st_tally_add(st_tally *t, const st_outcome *o);

/* Add every count of src to dst (src is unchanged). Merging gives exactly
 * the tally that adding all the outcomes to one would give. Returns ST_OK;
 * ST_ERR_ARG for NULL; ST_ERR_INVALID when the two models differ in their
 * lists or candidates; ST_ERR_NOMEM. On any error dst is unchanged. */
int st_tally_merge(st_tally *dst, const st_tally *src);

/* Votes for candidate `candidate` of list number `list` (0 when either is
 * not in the model). Party-only votes credited to that candidate are
 * included. */
int64_t st_tally_votes(const st_tally *t, int list, int candidate);

/* E.x: the total of list number `list` (0 when not in the model). */
int64_t st_tally_list_total(const st_tally *t, int list);

/* The party-only votes for list number `list` (0 when not in the model). */
int64_t st_tally_list_party_only(const st_tally *t, int list);

/* Fill *out with E, F, G, H and the other totals. */
void st_tally_get_totals(const st_tally *t, st_tally_totals *out);

/* Reason counts for kind ST_OUTCOME_INVALID, ST_OUTCOME_REVIEW or
 * ST_OUTCOME_REJECTED (any other kind has no reasons: 0 / NULL).
 * st_tally_reason_count: the count for one code (0 if never seen).
 * st_tally_n_reasons: how many codes the tally lists for kind.
 * st_tally_reason_at: the i-th code in byte order (NULL when i is out of
 * range), its count in *count if count is non-NULL; the string belongs to
 * t and lives until the next st_tally_add, st_tally_merge or free. */
int64_t st_tally_reason_count(const st_tally *t, st_outcome_kind kind,
                              const char *reason);
int st_tally_n_reasons(const st_tally *t, st_outcome_kind kind);
const char *st_tally_reason_at(const st_tally *t, st_outcome_kind kind, int i,
                               int64_t *count);

/* Write t to path in the CSV / JSON format above, replacing the file as a
 * whole (written to "<path>.tmp", synced, then renamed), so a reader never
 * sees half a file. Returns ST_OK, ST_ERR_IO (the message names the path) or
 * ST_ERR_NOMEM, with the message in err. */
int st_tally_write_csv(const st_tally *t, const char *path, st_error *err);
int st_tally_write_json(const st_tally *t, const char *path, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
