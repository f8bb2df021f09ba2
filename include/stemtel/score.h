/* score.h - measure every box of a registered page
 *
 * For each target the printed outline is searched for a little around
 * where the page transform puts it (so stretch and skew that no single
 * transform explains are absorbed), then the ink inside it is measured.
 * Also looks for ink outside every box that could be writing.
 */
#ifndef STEMTEL_SCORE_H
#define STEMTEL_SCORE_H

#include "stemtel/blobs.h"
#include "stemtel/error.h"
#include "stemtel/folds.h"
#include "stemtel/image.h"
#include "stemtel/interpret.h"
#include "stemtel/model.h"
#include "stemtel/register.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Ink levels (0..255): a pixel counts for the score from "strong"; a
 * 0.5 mm cell counts for the faint share when its mean lies "weak" above
 * the page's paper level (registration measures it: noise and paper tint
 * raise it above 0). */
#define ST_INK_STRONG 64
#define ST_INK_WEAK 10

/* Kept clear of a box's printed outline when its inside is scored, mm:
 * a heavily blurred scan (a 7 px box blur at 200 dpi) spreads the outline
 * 0.4 mm inward, and registration leaves a fraction of a pixel. */
#define ST_SCORE_MARGIN_MM 0.5

/* Share of a box's samples that must lie outside every fold and streak
 * band for the rest to decide the box; with less, a box showing any ink
 * is MARGINAL. */
#define ST_SCORE_MIN_KEPT 0.2

/* The part of box (model mm) that st_score_page samples at px_per_mm
 * pixels per mm: the box less the model's outline width and
 * ST_SCORE_MARGIN_MM on every side, and never less than one pixel beyond
 * the outline. The rect may be empty (w or h <= 0) for a tiny box.
 * Pure; thread-safe. */
st_rect st_score_inside(const st_model *m, const st_rect *box, double px_per_mm);

/* Where one box was found. */
typedef struct st_box_place {
    double dx, dy;   /* px moved from the transform's prediction */
    int edges;       /* outline edges found, 0..4 */
} st_box_place;

/* Classify a score pair with the model's thresholds: MARKED when score >=
 * definite; EMPTY when faint < marginal; MARGINAL otherwise. */
st_box_state st_box_classify(const st_settings *s, double score, double faint);

/* Measure every target of m on ink (full resolution) with registration r.
 * blank (2 * m->n_targets values: score, faint per target, or NULL) is
 * subtracted: what the printed ballot itself has inside a box. folds
 * (n_folds of them, NULL when 0; st_folds_find) are paper: the samples
 * in a fold's band are left out of a box's score and faint, which are
 * shares of the samples kept; a box of which less than ST_SCORE_MIN_KEPT
 * is left and that shows any ink is MARGINAL, and so is one empty without
 * the fold whose whole inside has a strong-ink score of at least the
 * marginal threshold (a fold is faint; a mark may lie under it). Writes boxes[i] and
 * places[i] (places may be NULL) for every target and returns the number
 * of targets whose outline was found on at least 2 edges. Thread-safe
 * (no scratch needed). */
int st_score_page(const st_model *m, const st_image *ink,
                  const st_registration *r, const double *blank,
                  const st_fold *folds, int n_folds, st_box *boxes,
                  st_box_place *places);

/* Values per box in a blank ballot's record (st_score_blank): its score,
 * its faint share, and the extent of the ink its label printed, x0, y0,
 * x1, y1 in model mm (x1 < x0 when it printed none). */
#define ST_BLANK_PER_BOX 6

/* Where target i's label printed ink, model mm: from blank (the record
 * of st_score_blank) when it has that, else the label's whole rect (also
 * when blank is NULL). Only for a target with a label. */
st_rect st_score_label_print(const st_model *m, const double *blank, int i);

/* The blank ballot's own scores at dpi: renders it, scores it with the
 * identity registration, and writes ST_BLANK_PER_BOX * m->n_targets values
 * to blank. Call once per model and resolution, before the parallel work. */
int st_score_blank(const st_model *m, int dpi, double *blank, st_error *err);

#define ST_BASELINE_MIN_BOXES 5
#define ST_BASELINE_MAX 0.05

/* The page's own faint level: a page blurred, noisy or heavily
 * compressed shows a little faint ink in every box, near the outlines
 * most, that the blank ballot does not. It is the median faint share of
 * the boxes of a kind (list, number) that no fold or streak covers, at
 * most ST_BASELINE_MAX, when the kind has ST_BASELINE_MIN_BOXES boxes or
 * more (most boxes of a ballot are empty); a MARGINAL box of that kind
 * whose faint share less it falls below marginal becomes EMPTY (its faint
 * is then the share less the baseline, at least its score). Marked boxes
 * and boxes covered by a fold or streak stand. Writes the two levels
 * (list, number; 0 when not used) to base and returns how many boxes
 * changed state. Call after st_score_page and st_score_streaks. */
int st_score_baseline(const st_model *m, st_box *boxes, double *base);

/* Ink outside the boxes. */
typedef struct st_writing {
    int found;           /* 1 if some blob looks like writing */
    double area_mm2;     /* the largest such blob */
    double x_mm, y_mm;   /* its centre in model mm */
    int streaks;         /* long thin lines ignored as scanner/fold marks */
    /* Dark vertical scanner streaks (dirt on the scan line), as column
     * ranges in full-resolution px: boxes they cross cannot be read. */
    int n_streak_cols;
    double streak_x0[8], streak_x1[8];
} st_writing;

/* A mark's print: what a second scan of the same sheet shows again and
 * another voter's mark in the same box, made the same way, does not. The
 * box less its outline and ST_PRINT_MARGIN_MM (model mm, so the same
 * rect at any resolution and either way up) is cut into ST_PRINT_N x
 * ST_PRINT_N cells, about 0.3 mm on a 10 mm box; each cell is the mean
 * ink of its area above the page's paper level, 0..254, sampled
 * bilinearly about a pixel apart, with the box placed by its outline to
 * a fraction of a pixel; ST_PRINT_NONE for a cell a dark scanner streak
 * crosses (the scanner's ink, not the sheet's). Cells go row by row from
 * the box's top left in model coordinates. The margin is less than the
 * score's (ST_SCORE_MARGIN_MM): a filled box is told apart from another
 * mostly by where its hatching stops, close to the outline. */
#define ST_PRINT_N 32
#define ST_PRINT_CELLS (ST_PRINT_N * ST_PRINT_N)
/* Records written before prints had 16 x 16 cells; such a print is
 * recognised and not compared (rescan.h). */
#define ST_PRINT_OLD_CELLS 256
#define ST_PRINT_NONE 255
#define ST_PRINT_MARGIN_MM 0.2

/* Write box i's print (ST_PRINT_CELLS values) to out, measured on ink
 * (full resolution) with registration r; w (or NULL) holds the streaks
 * st_writing_check found. A box too small to have an inside gets zeros.
 * Pure; thread-safe. */
void st_score_print(const st_model *m, const st_image *ink, const st_registration *r,
                    const st_writing *w, int i, uint8_t *out);

/* Measure again, without the streak's columns, every box that a dark
 * scanner streak in w crosses and that st_score_page did not find empty:
 * ink, r, blank, folds and n_folds as st_score_page had them, places its
 * answer (NULL: no outline shifts). The box's score, faint and state
 * become those of the samples outside the streaks (and folds): marked,
 * empty or marginal by the model's thresholds; MARGINAL when less than
 * ST_SCORE_MIN_KEPT of the box is left, and MARGINAL rather than empty
 * when the whole box had a strong-ink score of at least the marginal
 * threshold (a mark may lie under the streak). A box st_score_page found
 * covered (ink may lie under a fold) stands. Returns the number of boxes
 * whose state changed. Thread-safe. */
int st_score_streaks(const st_model *m, const st_image *ink,
                     const st_registration *r, const st_writing *w,
                     const double *blank, const st_fold *folds, int n_folds,
                     const st_box_place *places, st_box *boxes);

/* Look for writing on coarse (the shrunken ink image registration used,
 * shrunk by factor) outside every mark, box and label (with a margin) and
 * inside the paper. boxes (m->n_targets, as st_score_page wrote them, or
 * NULL: no box holds a mark) say which boxes hold a mark: a thin stroke
 * that continues such a box's mark past its edge by up to half the box's
 * size, or a thin loop close round it, is the mark's and not writing.
 * folds (n_folds, st_folds_find; NULL when 0) and the dark streaks found
 * here are paper and scanner, not writing: their ink is left out.
 * Writes *out; returns ST_OK or ST_ERR_NOMEM. Thread-safe with a
 * per-thread scratch image and blob finder scratch (finder may be NULL:
 * the call then allocates its own). */
int st_writing_check(const st_model *m, const st_registration *r,
                     const st_fold *folds, int n_folds, const st_box *boxes, const st_image *coarse, int factor,
                     st_image *scratch, st_blob_scratch *finder,
                     st_writing *out, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
