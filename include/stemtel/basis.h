/* basis.h - the polling stations' own counts (basistelling, Model N 10-2)
 *
 * On election night each polling station counts its ballots by list and
 * writes A..J on proces-verbaal N 10-2. This module reads those figures
 * from a CSV file (the form people type in) or from an EML 510b count (to
 * test with real numbers), and keeps them in the store, one row per
 * station, for reconcile.h to compare with the scanned count. A second
 * entry of the same forms (double entry, as Abacus has it) is kept
 * beside the first and compared with it field by field; the GSB's own
 * answers to Na 31-2 Bijlage 1 are kept per station with who gave them.
 *
 * CSV format. UTF-8, comma-separated, one header row naming the columns
 * (any order), then one row per polling station. Columns:
 *
 *   station       the station's id as given to `count --station`
 *                 ("0668::SB3"); unique in the file
 *   A, B, C, D    stempassen, volmachtbewijzen, kiezerspassen, admitted
 *                 voters (D = A + B + C)
 *   E.<n>         votes for list number n (E.1, E.2, ...): one column for
 *                 every list of the model, no others
 *   E, F, G, H    valid votes, blank, invalid, ballots counted
 *   I, J          ballots counted more / fewer than admitted voters
 *   explained     the form's question "is the difference fully explained":
 *                 yes or no (ja / nee), empty when left unanswered, both
 *                 (beide) when yes and no are both ticked
 *   box           optional: the D/H comparison box(es) the station ticked:
 *                 D=H, H>D or H<D, several joined by + ("D=H+H<D"),
 *                 none (geen) when none was ticked; without the column the
 *                 boxes are not known and F301-F304 are not run
 *   name          optional: the station's name
 *   eligible      optional: voters entitled to vote there (EML's Cast)
 *
 * Figures are whole numbers >= 0. A field may be quoted ("...", a quote
 * inside doubled). Empty lines are ignored. The figures are taken as the
 * station wrote them, inconsistent or not: the Kiesraad's checks on them
 * are reconcile's job.
 *
 * Threads: functions on distinct objects are thread-safe.
 */
#ifndef STEMTEL_BASIS_H
#define STEMTEL_BASIS_H

#include <stdint.h>

#include "stemtel/error.h"
#include "stemtel/model.h"
#include "stemtel/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A yes/no question on a form as it was filled in. */
typedef enum st_answer {
    ST_ANSWER_UNKNOWN = 0, /* not recorded: checks on it are skipped */
    ST_ANSWER_BLANK,       /* left unanswered */
    ST_ANSWER_YES,
    ST_ANSWER_NO,
    ST_ANSWER_BOTH         /* yes and no both ticked */
} st_answer;

/* The D/H comparison boxes ticked (a mask), or ST_BOXES_UNKNOWN. */
#define ST_BOXES_UNKNOWN (-1)
#define ST_BOX_D_IS_H 1    /* "D = H" */
#define ST_BOX_H_OVER_D 2  /* "H > D" */
#define ST_BOX_H_UNDER_D 4 /* "H < D" */

/* One station's N 10-2 figures. */
typedef struct st_basis {
    char *station;
    char *name;             /* NULL when not given */
    int64_t A, B, C, D, E, F, G, H, I, J;
    int explained;          /* 1: the difference was explained (yes), else 0 */
    st_answer explained_as; /* the "fully explained" question as answered */
    int boxes;              /* ST_BOX_* ticked, or ST_BOXES_UNKNOWN */
    int64_t eligible;       /* -1 when not given */
    int n_lists;            /* = the model's lists, in model order */
    int *list;              /* list numbers */
    int64_t *votes;         /* E.x per list */
} st_basis;

typedef struct st_basis_set {
    int n;
    st_basis *v;
} st_basis_set;

/* How the store and the reports write an answer: "ja", "nee", "beide",
 * "" for unanswered, NULL for ST_ANSWER_UNKNOWN (or a value out of
 * range). A static string. */
const char *st_answer_name(st_answer a);

/* Free what b owns (not b). Accepts NULL. */
void st_basis_clear(st_basis *b);

/* Free every station of s and reset it to empty. Accepts NULL. */
void st_basis_set_free(st_basis_set *s);

/* E.x of list number `list` in b, 0 when b has no such list. */
int64_t st_basis_list_votes(const st_basis *b, int list);

/* Read a CSV file in the format above against model m. *out (which the
 * caller zero-initialises and frees with st_basis_set_free) receives one
 * entry per row in file order. Refuses, naming the file, the line and the
 * column: a missing or unknown column, an E.<n> column for a list the
 * model lacks or a list without its column, a figure that is not a whole
 * number >= 0, explained other than yes/no/empty/both, a box other than
 * the three joined by + or none (a box twice too), a station given twice,
 * a row with the wrong number of fields (ST_ERR_PARSE / ST_ERR_INVALID;
 * ST_ERR_IO when the file cannot be read). On error *out is left empty. */
int st_basis_read_csv(const char *path, const st_model *m, st_basis_set *out,
                      st_error *err);

/* Take the same figures from an EML 510b count: one station per
 * ReportingUnitVotes (its Id and name), E.x from the list Selections,
 * E = TotalCounted, F = RejectedVotes "blanco", G = "ongeldig",
 * H = E + F + G, A..D, I and J from the UncountedVotes ("geldige
 * stempassen", "geldige volmachtbewijzen", "geldige kiezerspassen",
 * "toegelaten kiezers", "meer getelde stembiljetten", "minder getelde
 * stembiljetten"), eligible = Cast, and explained unless "geen verklaring"
 * is above 0 (explained_as unknown when the file has no "geen
 * verklaring"; boxes always unknown: a 510b does not carry them). The file's election must be the model's, and its lists the
 * model's. Refusals as for the CSV, naming the file. */
int st_basis_read_eml(const char *path, const st_model *m, st_basis_set *out,
                      st_error *err);

/* Put every station of set into the store in one transaction, replacing
 * an earlier basistelling of the same station; source names where the
 * figures came from (the file). This is the first entry of the form: a
 * second entry (st_basis_save_second) stays as it was, to be compared
 * with the corrected first. Every station must pass
 * st_store_station_check (on the station list once there is one, else of
 * the EML form): ST_ERR_INVALID naming the file and the station, nothing
 * stored. */
int st_basis_save(st_store *s, const st_basis_set *set, const char *source, st_error *err);

/* The second entry of the same forms (typed again by someone else), kept
 * beside the first and replacing an earlier second entry of the station.
 * Refused as st_basis_save refuses, and ST_ERR_INVALID naming the file
 * and the station when a station has no first entry; nothing stored
 * then. */
int st_basis_save_second(st_store *s, const st_basis_set *set, const char *source,
                         st_error *err);

/* Read station's basistelling from the store into *out (clear it with
 * st_basis_clear); *found is 0 (and *out empty) when there is none. A
 * station stored by an older stemtel has its boxes and explained_as
 * unknown. */
int st_basis_load(st_store *s, const char *station, st_basis *out, int *found, st_error *err);

/* The same for the station's second entry. */
int st_basis_load_second(st_store *s, const char *station, st_basis *out, int *found,
                         st_error *err);

/* One field in which the two entries of a station's form differ. */
typedef struct st_basis_diff {
    char field[16];           /* "A".."J", "E.<list>", "explained", "box" */
    char first[24], second[24]; /* the values as entered */
} st_basis_diff;

/* Compare a station's first entry a with its second b, field by field:
 * A..J, E.x of each list, the explanation answer and the D/H box. *out
 * (malloc'd, free()) receives the fields that differ in that order, *n
 * their number (0 and NULL when the entries agree). Returns ST_OK or
 * ST_ERR_NOMEM (nothing allocated then). Pure. */
int st_basis_compare(const st_basis *a, const st_basis *b, st_basis_diff **out, int *n);

/* ---- the GSB's answers, Na 31-2 Bijlage 1 ---------------------------------- */

/* The gemeentelijk stembureau's own questions per station, in the form's
 * order. */
typedef enum st_b1_question {
    ST_B1_OTHER_REASON = 0, /* b1-1a: investigated for another reason than a difference */
    ST_B1_RECOUNTED,        /* b1-1b: ballots (partly) recounted after that */
    ST_B1_EXPLAINED,        /* b1-2.1: the station's D/H difference fully explained */
    ST_B1_DIFFERS,          /* b1-2.3: our H per list differs from the station's */
    ST_B1_N
} st_b1_question;

/* A station's answers. Before the GSB has answered anything for the
 * station every answer is ST_ANSWER_UNKNOWN (its Bijlage 1 not begun, so
 * not checked); once one is given, the others are ST_ANSWER_BLANK. */
typedef struct st_b1_answers {
    st_answer a[ST_B1_N];
    char by[ST_B1_N][104]; /* the member who answered, "" when not answered */
    char at[ST_B1_N][32];  /* when (UTC), "" when not answered */
} st_b1_answers;

/* The question's name on the command line: "b1-1a", "b1-1b", "b1-2.1",
 * "b1-2.3"; NULL for a value out of range. A static string. */
const char *st_b1_question_name(st_b1_question q);

/* Record the GSB's answer to question (a name as st_b1_question_name
 * gives) for station, replacing an earlier one: answer is ja or nee (yes,
 * no), beide (both: both ticked on the paper form) or leeg (empty: takes
 * the answer back). by must be a registered member (st_store_member_add).
 * Returns ST_OK; ST_ERR_ARG naming what is wrong for an unknown question
 * or answer, a by who is not a member, a station that fails
 * st_store_station_check; ST_ERR_IO for the store. */
int st_basis_answer(st_store *s, const char *station, const char *question,
                    const char *answer, const char *by, st_error *err);

/* Read station's answers into *out (see st_b1_answers). Returns ST_OK or
 * ST_ERR_IO; *out is written only on success. */
int st_basis_answers_load(st_store *s, const char *station, st_b1_answers *out,
                          st_error *err);

#ifdef __cplusplus
}
#endif

#endif
