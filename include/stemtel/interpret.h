/* interpret.h - from box states to the outcome of one ballot
 *
 * The pipeline measures every box of a page (score.c) and classifies it
 * empty, marginal or marked with the model's thresholds; this module turns
 * those states into an outcome under the validity table of domain.md and
 * the model's settings. It never looks at pixels.
 */
#ifndef STEMTEL_INTERPRET_H
#define STEMTEL_INTERPRET_H

#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum st_box_state {
    ST_BOX_EMPTY = 0,
    ST_BOX_MARGINAL = 1,  /* neither clearly empty nor clearly marked */
    ST_BOX_MARKED = 2
} st_box_state;

/* What the pipeline measured for one target (index-aligned with
 * model->targets). */
typedef struct st_box {
    double score;         /* share of the inside carrying ink, 0..1 */
    double faint;         /* share carrying any visible ink, 0..1 (>= score) */
    st_box_state state;
    int covered;          /* 1: MARGINAL because a fold or streak covers too
                             much of it or may hide ink under it, whatever
                             its own shares say */
} st_box;

typedef enum st_outcome_kind {
    ST_OUTCOME_VOTE = 0,  /* a valid vote for (list, candidate) */
    ST_OUTCOME_BLANK,
    ST_OUTCOME_INVALID,
    ST_OUTCOME_REVIEW,    /* people must decide */
    ST_OUTCOME_REJECTED,  /* not read at all: count by hand */
    ST_OUTCOME_VOID       /* set aside by people (a rescan, not a ballot):
                             in no figure; only a decision gives it */
} st_outcome_kind;

/* Reason codes: stable strings used in ballots.jsonl and tally files. */
#define ST_REASON_NUMBER_WITHOUT_LIST "number_without_list"
#define ST_REASON_SEVERAL_LISTS "several_lists"
#define ST_REASON_NO_SUCH_CANDIDATE "no_such_candidate"
#define ST_REASON_SEVERAL_NUMBERS "several_numbers"
#define ST_REASON_PARTY_ONLY "party_only"          /* invalid by setting */
#define ST_REASON_MARGINAL_MARK "marginal_mark"
#define ST_REASON_WRITING "writing_outside_boxes"
/* Review the store gives (rescan.h): the marks match an earlier page's. */
#define ST_REASON_POSSIBLE_RESCAN "possible_rescan"
/* Invalid reasons only people give (decision.h). */
#define ST_REASON_IDENTIFYING_WRITING "identifying_writing"
#define ST_REASON_OTHER "other"
/* Why a page is void (decision.h). */
#define ST_VOID_RESCAN "rescan"             /* the same sheet scanned again */
#define ST_VOID_NOT_A_BALLOT "not_a_ballot" /* blank page, foreign paper */
#define ST_VOID_DAMAGED "damaged"           /* replaced by a rescan of it */

#define ST_MAX_REASONS 4
#define ST_REASON_MAX 48

typedef struct st_outcome {
    st_outcome_kind kind;
    int list;             /* vote: list number; else 0 */
    int candidate;        /* vote: candidate number; else 0 */
    int party_only;       /* vote by a list box alone (credited per setting) */
    int n_reasons;
    /* Why: for invalid, one code; for review, every reason that applies;
     * for rejected, the registration's reason; for a party-only vote,
     * nothing. */
    char reasons[ST_MAX_REASONS][ST_REASON_MAX];
    /* What the pipeline would propose for a review (the outcome if every
     * marginal box were empty), for people to confirm. */
    st_outcome_kind proposal;
    int proposal_list, proposal_candidate;
    /* Rest of the proposal: set when the proposal is a party-only vote, and
     * the code when it is invalid ("" otherwise). For an outcome that is not
     * a review, the proposal repeats the outcome itself. See st_interpret
     * for the rule. */
    int proposal_party_only;
    char proposal_reason[ST_REASON_MAX];
} st_outcome;

/* The stable name of an outcome kind: "vote", "blank", "invalid", "review",
 * "rejected", "void"; "unknown" for a value outside the enum. Static string;
 * thread-safe. */
const char *st_outcome_name(st_outcome_kind k);

/* Make *o a rejected ballot (to be counted by hand) with one reason code
 * chosen by the caller ("unreadable", "no_registration_marks",
 * "not_this_model", ...); a NULL or empty reason becomes "unspecified", a
 * longer one than ST_REASON_MAX - 1 bytes is cut. Everything else in *o is
 * reset; the proposal is REJECTED too. Thread-safe. */
void st_outcome_reject(st_outcome *o, const char *reason);

/* Interpret one ballot: boxes[i] belongs to m->targets[i];
 * writing_outside is nonzero when ink that looks like writing was found
 * outside every box. Writes *out. Pure and thread-safe.
 *
 * Any marginal box gives REVIEW "marginal_mark", writing gives REVIEW
 * "writing_outside_boxes" (both when both apply); otherwise the validity
 * table and m->settings decide from the marked boxes alone.
 *
 * The proposal of a REVIEW is the outcome with every marginal box taken as
 * empty and the writing ignored, provided that every other reading of the
 * marginal boxes (each one empty or marked) gives the same outcome; when
 * one does not (a marginal number box beside a marked list box: a party
 * vote or a vote for that candidate), or more than 10 boxes are marginal,
 * the proposal is REVIEW, which proposes nothing: a proposal never decides
 * a box the scores left open. When that outcome is itself a review made
 * by a setting, its reason is added to the reasons and the proposal is:
 *   beyond_list = review       -> INVALID "no_such_candidate" (the table's
 *                                 own row for that case);
 *   multiple_numbers = review  -> REVIEW: the table offers two answers
 *                                 (invalid or party-only) and the software
 *                                 has no ground to prefer one.
 * A box state outside the enum is taken as marginal (never guess). A NULL
 * model or boxes gives REJECTED "bad_input". */
void st_interpret(const st_model *m, const st_box *boxes, int writing_outside,
                  st_outcome *out);

#ifdef __cplusplus
}
#endif

#endif
