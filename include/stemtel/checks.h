/* checks.h - the Kiesraad's consistency checks, numbered as Abacus numbers them
 *
 * One pure function over the figures of one polling station's form (or
 * of our own count): it returns every check that fires, in code order,
 * each with its code, a Dutch text for the gemeentelijk stembureau and
 * the figures it compared. Codes and conditions are those of
 * ../shared/domain.md, "Consistency checks":
 *
 *   F101 F102          the two B1-1 questions: both or neither, one answer each
 *   F111 F112          the B1-2 questions (2.1, 2.3): answered, once
 *   F201               A + B + C != D
 *   F202 F203          sum E.x != E, E + F + G != H (only without F204)
 *   F204               sum E.x > 0 and E = 0
 *   F301..F304         the D/H comparison box ticked against D and H
 *   F305..F309         I and J against the actual D and H
 *   F310               D != H and "fully explained" not answered once
 *   F401               a list with votes whose list total is 0
 *   F402 F403          list total != its candidates, != E.x (only without F401)
 *   W201 W202          F, G >= ceil(3% of H) (not at F = H = 0, G = H = 0)
 *   W203               |D - H| >= 15 or >= 2% of H (H = 0 with D > 0 too)
 *   W204               H = 0
 *
 * A figure or answer the caller does not have (the form was not entered
 * with it) is marked unknown and the checks that need it are skipped,
 * never guessed.
 */
#ifndef STEMTEL_CHECKS_H
#define STEMTEL_CHECKS_H

#include <stdint.h>

#include "stemtel/basis.h"

#ifdef __cplusplus
extern "C" {
#endif

/* st_answer and the ST_BOX_* masks are the form's: stemtel/basis.h. */

/* Which groups to run (st_checks_in.groups). */
#define ST_CHECKS_QUESTIONS 1 /* F101..F112 */
#define ST_CHECKS_FORM 2      /* F201..F310 */
#define ST_CHECKS_LISTS 4     /* F401..F403: needs list_total and cand_sum */
#define ST_CHECKS_WARN 8      /* W201..W204; W203 only with d_known */

typedef struct st_checks_in {
    int groups;
    int64_t A, B, C, D, E, F, G, H, I, J;
    int d_known;             /* D is known (for W203 on our own count) */
    int n_lists;
    const int *list;         /* list numbers, n_lists of them */
    const int64_t *ex;       /* E.x per list, or NULL */
    const int64_t *list_total; /* the list totals of the candidate pages, or NULL */
    const int64_t *cand_sum; /* the sum of each list's candidates, or NULL */
    int boxes;               /* ST_BOX_* mask, or ST_BOXES_UNKNOWN */
    st_answer explained;     /* the D/H difference fully explained */
    st_answer b1_other_reason, b1_recounted; /* B1-1 */
    st_answer b1_explained, b1_differs;      /* B1-2.1, B1-2.3 */
} st_checks_in;

/* A check that fired. */
typedef struct st_check {
    char code[8];
    char text[200]; /* Dutch, with the figures compared */
} st_check;

/* Run the checks of in->groups on in. *out (malloc'd, free()) receives
 * the checks that fired in code order, *n their number (0 and NULL when
 * none). Returns ST_OK or ST_ERR_NOMEM (nothing allocated then). */
int st_checks_run(const st_checks_in *in, st_check **out, int *n);

#ifdef __cplusplus
}
#endif

#endif
