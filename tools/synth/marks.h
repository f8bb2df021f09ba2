/* marks.h - private to synth: drawing hand marks and stray writing
 *
 * Everything here draws on a cairo context whose user space is the ballot
 * in millimetres (the caller sets the transform). Random jitter comes from
 * the st_rng passed in, so a ballot's marks depend only on its stream.
 */
#ifndef STEMTEL_MARKS_H
#define STEMTEL_MARKS_H

#include <cairo.h>

#include "stemtel/model.h"
#include "synth/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A repeating A8 pencil-grain texture in device space, made from r.
 * Returns NULL if cairo fails; the caller destroys it. */
cairo_pattern_t *st_marks_grain(st_rng *r);

/* Where a mark's pen went: an A8 surface in the device pixels of the
 * page being drawn on, alpha 255 where the stroke covers a pixel fully
 * (antialiased at its edges), placed with its top-left at (x0, y0) of the
 * page. The caller destroys mask (cairo_surface_destroy accepts NULL). */
typedef struct st_marks_shape {
    cairo_surface_t *mask;
    int x0, y0;
    double pressure; /* the pen's, 0..1 */
} st_marks_shape;

/* Draw one mark of the given style (st_synth_style) and instrument
 * (st_synth_instrument) in the box whose inside is `in`. coverage is the
 * share of the inside the hesitant style's stroke is sized to cover
 * (ignored by the others). grain may be NULL (pencils then draw smooth).
 * grain_frame, when not NULL, maps the page's device pixels to the
 * pixels the grain repeats in (a second scan of a sheet: to where the
 * first scan had its paper, so the grain stays on the paper); NULL: the
 * page's own pixels.
 * The mark's shape is drawn once, into an A8 mask, and the ink is
 * composited through it; with shape non-NULL the mask is handed to the
 * caller (shape->mask is NULL when cairo failed), so it can measure what
 * of the mark survives in the final image. The mask holds the whole mark,
 * also where it runs off the page (x0, y0 may then be negative): what the
 * image lost of it counts as lost. */
void st_marks_draw(cairo_t *cr, const st_rect *in, int style, int instrument,
                   double coverage, cairo_pattern_t *grain,
                   const cairo_matrix_t *grain_frame, st_rng *r, st_marks_shape *shape);

/* Choose up to max more spots (centre x, y in mm, stored pairwise in xy
 * after the `have` already there, which they keep clear of) for
 * scribbles of ST_MARKS_STRAY_W x ST_MARKS_STRAY_H mm on the page, clear
 * of every box, label and registration mark by a few mm. Returns the
 * spots in xy now (have when the page has no room). */
#define ST_MARKS_STRAY_W 14.0
#define ST_MARKS_STRAY_H 6.0
/* A scribble's ink spans about x +-ST_MARKS_WORD_HALF_W mm of its
 * centre and y -2.5..+2 mm. */
#define ST_MARKS_WORD_HALF_W 6.0
int st_marks_stray_place(const st_model *m, st_rng *r, double *xy, int have,
                         int max);

/* Choose up to max more spots (as st_marks_stray_place) for writing
 * whose ink spans x +-half_w mm of its centre, beside box `target` of m
 * or touching it: its near end stops 0.5-3 mm short of the box, or runs
 * 0.2-0.8 mm into its outline, on any side where it keeps clear of other
 * print. Returns the spots in xy now (have when no side of the box has
 * room). */
int st_marks_writing_place(const st_model *m, int target, double half_w,
                           st_rng *r, double *xy, int have, int max);

/* Half the ink's width (mm) of initials `text` as st_marks_initials_draw
 * draws them. */
double st_marks_initials_half_w(const char *text);

/* Draw capital letters `text` (A-Z; 2-3 of them, a voter's initials)
 * hand-printed in pen, centred on (x, y) mm, ink within x
 * +-st_marks_initials_half_w(text) and y -2.5..+2 mm. */
void st_marks_initials_draw(cairo_t *cr, double x, double y, const char *text,
                            st_rng *r);

/* Draw a scribble of pen "letters" centred on (x, y) mm. */
void st_marks_stray_draw(cairo_t *cr, double x, double y, st_rng *r);

#ifdef __cplusplus
}
#endif

#endif
