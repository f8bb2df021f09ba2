/* draw.h - draw one synthetic ballot and settle how its marks are seen
 */
#ifndef STEMTEL_SYNTH_DRAW_H
#define STEMTEL_SYNTH_DRAW_H

#include <cairo.h>

#include "synth/plan.h"

/* Draw ballot index after plan p on surf (j->w_px x j->h_px RGB24),
 * degradations included, measure what survives of each mark, redraw a
 * hesitant stroke or an unclear forced mark as needed, and fill p's seen
 * fields and expected outcome from the last drawing. Returns ST_OK, or
 * ST_ERR_NOMEM with err set. Thread-safe for distinct surf and p. */
int st_synth_settle(const job *j, int index, splan *p, cairo_surface_t *surf,
                    st_error *err);

#endif
