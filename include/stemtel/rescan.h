/* rescan.h - telling a second scan of a sheet from another ballot
 *
 * A sheet that jammed and was fed again is new bytes, so the store cannot
 * know it by its hash. What a second scan does show again is the voter's
 * ink: the same boxes marked, and in each the same strokes with the same
 * pressure and pencil grain, where another voter marking the same boxes in
 * the same way leaves ink that differs by a fraction of a millimetre. The
 * pipeline writes a print of every box with ink into the page's record
 * (st_score_print: 32 x 32 cells of mean ink, "print" in ballots.jsonl);
 * this module reads the prints of a page's marked boxes back from its
 * record and compares two pages:
 *
 *   - only pages with at least one marked box are compared (a blank
 *     ballot cannot be told from a rescan of one), and only two pages
 *     whose marked boxes (the key, "L3 N15") or inked boxes (marked or
 *     marginal) are the same, either as the other's: a mark read marked on
 *     one scan and marginal on the other, or a box one scan alone found
 *     marginal (a streak, a speck), still lets them be compared;
 *   - the boxes compared are those marked on either page;
 *   - per box, the correlation of the two prints over the cells both
 *     measured (a cell under a scanner streak is left out), which does
 *     not care how dark either scan came out, and the same over their
 *     2 x 2 blocks of cells, which does not care about a shift of a
 *     fraction of a cell (at 150 dpi a cell is less than a pixel, and
 *     the box is placed to a fifth of one);
 *   - each corrected for the scans' noise: divided by the square root
 *     of both prints' reliability, the share of a print's variance that
 *     is not noise (estimated from the spread within its blocks; the
 *     correction is at most 1 / ST_RESCAN_RELIABILITY_MIN). Two scans of
 *     one sheet then come out near 1 however noisy they are, where the
 *     plain correlation of a noisy pair falls to that of two voters'
 *     marks;
 *   - the similarity (of blocks) and the cell similarity are the means
 *     of the boxes' correlations taken through Fisher's z (atanh), so
 *     each box adds its evidence, and tanh of it;
 *   - a pair that comes out close (either at least ST_RESCAN_BLUR_GATE)
 *     is compared again with one side's prints blurred, each side in turn
 *     and by two widths: one scan of a sheet may come out sharper than
 *     the other (a scanner's focus, a sheet lifted off the glass), and its
 *     fine strokes then meet a smudge; the similarities are the most of
 *     the five comparisons;
 *   - the ink ratio is the least, over the boxes, of the lighter print's
 *     mean ink over the darker's (as scanned): a second scan has the same
 *     pencil pressure, another voter mostly not.
 *
 * A match is a similarity of at least ST_RESCAN_SIMILARITY or a cell
 * similarity of at least ST_RESCAN_SIMILARITY_CELLS (with one box
 * compared, a list box alone or one candidate's: the _ONE values, as one
 * box is less evidence), with an ink ratio of at least
 * ST_RESCAN_INK_RATIO. They come from synth's rescans (one sheet drawn
 * once, scanned again with new noise, shift, turn, scale, blur, JPEG and
 * streaks) and from distinct ballots with the same vote in one mark style
 * (bench/rescan.c, bench/RESULTS.md), set on the bench's seed and checked
 * on another: at 150 to 300 dpi and degrade level 0.3 to 0.5 every rescan
 * of every style passes, at level 1 and on bilevel pages not all do; of
 * distinct ballots, about one first scan in 2,500 finds a match among 150
 * earlier pages of its vote and style. They are constants, not model
 * settings: they describe scanners and pencils, not the ballot.
 *
 * The store (store.h) compares every page it takes with the earlier pages
 * counted under the same station and records the best match, which sends
 * the page to review as "possible_rescan" until people decide.
 *
 * Threads: every function is pure and may run on any thread.
 */
#ifndef STEMTEL_RESCAN_H
#define STEMTEL_RESCAN_H

#include <stdint.h>

#include "stemtel/error.h"
#include "stemtel/interpret.h"
#include "stemtel/score.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_RESCAN_SIMILARITY 0.99
#define ST_RESCAN_SIMILARITY_ONE 0.9925
#define ST_RESCAN_SIMILARITY_CELLS 0.975
#define ST_RESCAN_SIMILARITY_CELLS_ONE 0.985
#define ST_RESCAN_INK_RATIO 0.85
/* Pairs this similar (of blocks or of cells) are compared again with
 * either side's prints blurred by ST_RESCAN_BLUR_1 and ST_RESCAN_BLUR_2
 * cells (Gaussian sigma, reaching at most ST_RESCAN_BLUR_REACH cells). */
#define ST_RESCAN_BLUR_GATE 0.95
#define ST_RESCAN_BLUR_1 0.5
#define ST_RESCAN_BLUR_2 1.0
#define ST_RESCAN_BLUR_REACH 3
#define ST_RESCAN_RELIABILITY_MIN 0.85

/* A page with more marked boxes than this is not compared (it is invalid
 * as "several lists" or in review anyway). */
#define ST_RESCAN_MAX_BOXES 8
#define ST_RESCAN_KEY_MAX 128

/* The inked boxes of one page and their prints. */
typedef struct st_rescan_marks {
    int n;                          /* inked boxes (marked or marginal) with
                                       a print; 0: the page is not compared */
    char key[ST_RESCAN_KEY_MAX];    /* the marked ones' ids, in the record's
                                       order, one space apart */
    char inked[ST_RESCAN_KEY_MAX];  /* every inked one's, the same way */
    char id[ST_RESCAN_MAX_BOXES][16];
    int marked[ST_RESCAN_MAX_BOXES];
    uint8_t print[ST_RESCAN_MAX_BOXES][ST_PRINT_CELLS];
    double rel[ST_RESCAN_MAX_BOXES][2]; /* each print's reliability over
                                           its cells and its blocks */
} st_rescan_marks;

/* Read the inked boxes of a ballots.jsonl record (borrowed) into *out, in
 * the record's order. A rejected page, one without a marked box, with an
 * inked box that has no print (a record from before prints) or a print
 * of ST_PRINT_OLD_CELLS cells (from before they grew finer), with more
 * than ST_RESCAN_MAX_BOXES inked boxes, a box id of 16 bytes or more, or
 * ids longer than ST_RESCAN_KEY_MAX all told gives ST_OK with out->n = 0.
 * Returns ST_ERR_PARSE (naming what) when the record is not JSON or a
 * print is not 2 * ST_PRINT_CELLS hex digits; *out then has n = 0. */
int st_rescan_marks_read(const char *record, st_rescan_marks *out, st_error *err);

/* How two pages compare. */
typedef struct st_rescan_cmp {
    int comparable;     /* both have marked boxes, and the same marked or
                           inked ones (see above) */
    double similarity;  /* of blocks, -1..1 (0 when not comparable); the
                           most of the plain and blurred comparisons */
    double ink_ratio;   /* 0..1 (0 when not comparable) */
    int match;          /* similarity >= ST_RESCAN_SIMILARITY or
                           cell_similarity >= ST_RESCAN_SIMILARITY_CELLS
                           (the _ONE values with one box compared), and
                           ink_ratio >= ST_RESCAN_INK_RATIO */
    double cell_similarity; /* of cells, -1..1 (0 when not comparable), as
                               similarity */
} st_rescan_cmp;

/* Compare the marks of two pages (both borrowed) as the header says and
 * return the result. At either scale, a box whose prints share fewer than
 * a quarter of their cells (blocks) measured, or of which either print is
 * flat there (nothing to correlate), counts as correlation 0. Pure; the
 * blurred comparisons (four more) are made for close pairs only. */
st_rescan_cmp st_rescan_compare(const st_rescan_marks *a, const st_rescan_marks *b);

/* Nonzero when c is a match and a better one than best (which may be a
 * zeroed st_rescan_cmp: none yet): of the earlier pages a page matches,
 * the most similar is named, the first of equals. Pure. */
int st_rescan_better(const st_rescan_cmp *c, const st_rescan_cmp *best);

/* The outcome that counts for a page flagged as a possible rescan that
 * no one has decided: REVIEW with reason ST_REASON_POSSIBLE_RESCAN first,
 * then found's own review reasons (as many as fit), proposing what was
 * found (found's proposal when it was a review). Writes *out. Pure. */
void st_rescan_held(const st_outcome *found, st_outcome *out);

#ifdef __cplusplus
}
#endif

#endif
