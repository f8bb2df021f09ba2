/* draw.h - draw one synthetic ballot and settle how its marks are seen
 */
#ifndef STEMTEL_SYNTH_DRAW_H
#define STEMTEL_SYNTH_DRAW_H

#include <cairo.h>

#include "synth/plan.h"

/* The mm -> image pixel transform of ballot p's page: its placement on
 * the scanner bed (or in the cropped frame), rotation, scale and upside
 * down, then the transport's stretch and shear. Pure. */
void st_synth_page_matrix(const job *j, const splan *p, cairo_matrix_t *ctm);

/* Share (0..1) of rect r (model mm) that lies inside p's image under ctm,
 * sampled on a grid. Pure. */
double st_synth_in_image(const splan *p, const cairo_matrix_t *ctm,
                         const st_rect *r);

/* Draw ballot index after plan p on surf (p->w_px x p->h_px RGB24),
 * degradations included, measure what survives of each mark, redraw a
 * hesitant stroke or an unclear forced mark as needed (never when
 * p->fixed: a rescan draws its sheet's settled marks once), and fill p's
 * seen fields and expected outcome from the last drawing. Returns ST_OK, or
 * ST_ERR_NOMEM with err set. Thread-safe for distinct surf and p. */
int st_synth_settle(const job *j, int index, splan *p, cairo_surface_t *surf,
                    st_error *err);

#endif
