/* degrade.h - what the scanner and the paper do to a synthetic page
 *
 * Pixel degradations on a cairo RGB24 surface's data, and the scanner bed
 * that geometric ones need. All are pure functions of their arguments.
 */
#ifndef STEMTEL_SYNTH_DEGRADE_H
#define STEMTEL_SYNTH_DEGRADE_H

#include <cairo.h>
#include <stdint.h>

#include "synth/plan.h"
#include "synth/rng.h"

/* A dark or light column band as s describes it. */
void st_synth_px_streak(uint8_t *data, int stride, int w, int h, const sstreak *s);

/* Draw fold f on cr (model mm): a crease, a thin dark line with a soft
 * shadow on one side, across the paper as sfold (plan.h) says. */
void st_synth_fold_draw(cairo_t *cr, const st_model *m, const sfold *f);

/* Box blur of radius rad px, in place. Returns 0, or -1 out of memory
 * (data then unchanged). */
int st_synth_px_blur(uint8_t *data, int stride, int w, int h, int rad);

/* Gaussian noise of sigma levels, the same offset on all channels, from
 * stream r. */
void st_synth_px_noise(uint8_t *data, int stride, int w, int h, double sigma,
                       st_rng *r);

/* The scanner bed beyond the paper (mm a side, *mx and *my) that keeps
 * the whole page in the image under the worst geometry o can draw
 * (rotation, shift, scale and transport; a cropped page has none). */
void st_synth_bed_margins(const st_model *m, const st_synth_opts *o, double *mx,
                          double *my);

#endif
