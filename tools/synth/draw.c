/* draw.c - draw one synthetic ballot and measure what survives of its marks
 *
 * The scanner's geometry (rotation, shift, scale, upside down) is the
 * cairo transform around the mm->pixel scale; st_render_draw paints the
 * blank ballot, marks.c the voter's marks (jitter from stream (seed,
 * index, 1)), handing back each mark's shape mask; the pixel degradations
 * follow (noise from stream (seed, index, 2)). Each mask is then laid on
 * the final pixels, as the format will write them, to measure what is
 * left of the mark; that decides how it is seen (clear, ambiguous, lost)
 * and so the expected outcome. A hesitant stroke that comes out outside
 * its band is redrawn from the same streams, longer or shorter.
 */
#include "synth/draw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stemtel/render.h"
#include "stemtel/score.h"
#include "stemtel/tiffout.h"
#include "synth/degrade.h"
#include "synth/marks.h"
#include "synth/rng.h"


/* How a mark is measured in the written image. Strong ink is the level the
 * pipeline's box score counts (ST_INK_STRONG); a trace is any pixel at
 * SYNTH_INK_TRACE or more (the pipeline's weak level applies to 0.5 mm cell
 * means above the paper, where noise averages out; one pixel needs more).
 * The inside is the pipeline's too: st_score_inside (stemtel/score.h). */
#define SYNTH_INK_TRACE 16
/* A clear mark must leave this many times definite in strong ink; on a
 * bilevel page, where the threshold eats pencil unevenly, twice. */
#define SYNTH_CLEAR_FACTOR 1.4
#define SYNTH_CLEAR_FACTOR_BILEVEL 1.4
/* Below this x definite in strong ink a mark is no longer borderline-
 * marked: the scorer must find it marginal. */
#define SYNTH_BORDER_FACTOR 0.6
/* Trace ink between these x marginal is borderline-empty; below the low
 * one the mark is lost. */
#define SYNTH_LOW_FACTOR 0.5
#define SYNTH_HIGH_TRACE_FACTOR 2.0
/* The hesitant stroke must leave strong ink in [marginal, this x definite]. */
#define SYNTH_HESITANT_TOP 0.8
#define SYNTH_HESITANT_TRIES 4

void st_synth_page_matrix(const job *j, const splan *p, cairo_matrix_t *ctm)
{
    const st_model *m = j->m;
    double k = j->o->dpi / 25.4;
    /* device = transport . centre . rotate . scale . uncentre . mm->px:
     * the page turns about its centre in exact pixels, so no degradation
     * is the plain mm * dpi / 25.4 mapping; the feed then stretches and
     * shears the image from its top row. */
    cairo_matrix_t t, g;
    cairo_matrix_init(&t, 1, 0, p->shear, 1 + p->stretch, 0, 0);
    cairo_matrix_init_translate(&g, (m->paper_w / 2 + p->margin_x + p->sx) * k,
                                (m->paper_h / 2 + p->margin_y + p->sy) * k);
    cairo_matrix_rotate(&g, p->rot * M_PI / 180 + (p->upside ? M_PI : 0));
    cairo_matrix_scale(&g, k * p->scale, k * p->scale);
    cairo_matrix_translate(&g, -m->paper_w / 2, -m->paper_h / 2);
    cairo_matrix_multiply(ctm, &g, &t); /* g first, then t */
}

/* Grid samples a side when measuring what of a rect lies in the image. */
#define IN_IMAGE_SAMPLES 24

double st_synth_in_image(const splan *p, const cairo_matrix_t *ctm,
                         const st_rect *r)
{
    int in = 0;
    for (int a = 0; a < IN_IMAGE_SAMPLES; a++)
        for (int b = 0; b < IN_IMAGE_SAMPLES; b++) {
            double x = r->x + r->w * (a + 0.5) / IN_IMAGE_SAMPLES;
            double y = r->y + r->h * (b + 0.5) / IN_IMAGE_SAMPLES;
            cairo_matrix_transform_point(ctm, &x, &y);
            in += x >= 0 && y >= 0 && x < p->w_px && y < p->h_px;
        }
    return (double)in / (IN_IMAGE_SAMPLES * IN_IMAGE_SAMPLES);
}

/* Draw ballot index after plan p on surf (p->w_px x p->h_px), pixel
 * degradations included. shapes[i] receives mark i's shape mask (the
 * caller destroys them, also on failure) and ctm the mm -> page pixel
 * transform. */
static int draw_ballot(const job *j, int index, const splan *p,
                       cairo_surface_t *surf, st_marks_shape *shapes,
                       cairo_matrix_t *ctm, st_error *err)
{
    const st_model *m = j->m;
    const st_synth_opts *o = j->o;
    int rc = ST_OK;
    cairo_pattern_t *grain = NULL;
    cairo_t *cr = cairo_create(surf);
    st_rng r;
    /* What the voter drew is the sheet's: a rescan draws its sheet's
     * strokes again. */
    st_rng_init(&r, o->seed, (uint64_t)p->paper, 1);

    /* Scanner background shows where the page is shifted or turned away. */
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);

    st_synth_page_matrix(j, p, ctm);
    cairo_set_matrix(cr, ctm);
    /* A rescan's pencil grain stays where the first scan had it on the
     * paper: this page's pixels -> paper mm -> the first scan's pixels. */
    cairo_matrix_t frame;
    int framed = p->paper != index;
    if (framed) {
        splan first;
        cairo_matrix_t inv = *ctm, at;
        st_synth_plan(j, p->paper, &first);
        st_synth_page_matrix(j, &first, &at);
        if (cairo_matrix_invert(&inv) != CAIRO_STATUS_SUCCESS)
            cairo_matrix_init_identity(&inv); /* cannot be: scale > 0 */
        cairo_matrix_multiply(&frame, &inv, &at);
    }

    if (j->proof) {
        /* The printer's ballot: its ink, black through the proof's
         * alpha, so colour prints as its lightness. */
        cairo_save(cr);
        cairo_scale(cr, 25.4 / j->proof_dpi, 25.4 / j->proof_dpi);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_mask_surface(cr, j->proof, 0, 0);
        cairo_restore(cr);
    } else if ((rc = st_render_draw(m, cr, err))) {
        goto out;
    }

    grain = st_marks_grain(&r);
    double ol = m->settings.outline_mm;
    for (int i = 0; i < p->n_marks; i++) {
        const st_rect *t = &m->targets[p->marks[i].target].rect;
        st_rect in = {t->x + ol, t->y + ol, t->w - 2 * ol, t->h - 2 * ol};
        /* marks.c sizes the hesitant stroke on the drawn inside; the aim
         * is a share of the scored one. */
        st_rect sc = st_score_inside(m, t, o->dpi / 25.4);
        double cov = p->hesitant_cov * (sc.w * sc.h) / (in.w * in.h);
        st_marks_draw(cr, &in, p->marks[i].style, p->marks[i].instrument, cov,
                      grain, framed ? &frame : NULL, &r, &shapes[i]);
    }
    for (int i = 0; i < p->n_stray; i++) {
        if (p->wkind[i] == WRITE_INITIALS)
            st_marks_initials_draw(cr, p->stray[2 * i], p->stray[2 * i + 1],
                                   p->wtext[i], &r);
        else
            st_marks_stray_draw(cr, p->stray[2 * i], p->stray[2 * i + 1], &r);
    }
    for (int i = 0; i < p->n_folds; i++)
        st_synth_fold_draw(cr, m, &p->folds[i]);
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        rc = st_error_set(err, ST_ERR_INVALID, "synth: ballot %d: cairo: %s",
                          index + 1, cairo_status_to_string(cairo_status(cr)));
        goto out;
    }
    cairo_surface_flush(surf);

    uint8_t *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    for (int i = 0; i < p->n_streaks; i++)
        st_synth_px_streak(data, stride, p->w_px, p->h_px, &p->streaks[i]);
    if (p->blur && st_synth_px_blur(data, stride, p->w_px, p->h_px, p->blur)) {
        rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
        goto out;
    }
    if (p->noise > 0) {
        st_rng nr;
        st_rng_init(&nr, o->seed, (uint64_t)index, 2);
        st_synth_px_noise(data, stride, p->w_px, p->h_px, p->noise, &nr);
    }
    cairo_surface_mark_dirty(surf);
out:
    if (grain)
        cairo_pattern_destroy(grain);
    cairo_destroy(cr);
    return rc;
}

/* ---- what survives of the marks ------------------------------------------ */

/* How the written page turns a pixel into the pipeline's ink. */
enum { INK_BILEVEL, INK_GREY, INK_RGB };

static int ink_kind(st_tiff_format f)
{
    return f == ST_TIFF_BILEVEL_G4 ? INK_BILEVEL
           : st_tiff_format_is_rgb(f) ? INK_RGB
                                      : INK_GREY;
}

/* Ink of one RGB24 pixel in the page as written: luma as px_to_image
 * computes it, thresholded at half grey as tiffout.c does for G4; for
 * colour 255 - min(R, G, B), so red and blue count like black. JPEG's
 * own loss is not modelled. */
static inline int ink_of(uint32_t c, int kind)
{
    int r = (c >> 16) & 0xff, g = (c >> 8) & 0xff, b = c & 0xff;
    if (kind == INK_RGB) {
        int mn = r < g ? r : g;
        return 255 - (mn < b ? mn : b);
    }
    int luma = (299 * r + 587 * g + 114 * b + 500) / 1000;
    if (kind == INK_GREY)
        return 255 - luma;
    return luma < 128 ? 255 : 0;
}

/* Ink of pixel c at column px of page p that is the mark's: above the
 * ink of the paper it lies on. A dark streak over the column scaled every
 * channel by its f (degrade.c), paper too, so its ink there is paper's
 * under the streak less; without this the streak's own darkness, strong
 * ink on its own where f < 0.75, would count as the mark's, and a faint
 * stroke under a streak would be taken for a clear one. On a bilevel
 * page the threshold leaves that paper white (the black pixels are the
 * mark's, darkened) unless f < 1/2, when nothing of the mark shows. */
static int streak_free(const splan *p, int px, uint32_t c, int kind)
{
    int v = ink_of(c, kind);
    for (int i = 0; i < p->n_streaks; i++) {
        const sstreak *s = &p->streaks[i];
        if (!s->dark || px < s->x || px >= s->x + s->w)
            continue;
        int w = (int)(255 * s->f); /* white paper under the streak */
        int paper = ink_of((uint32_t)w << 16 | (uint32_t)w << 8 | (uint32_t)w, kind);
        v = v > paper ? v - paper : 0;
    }
    return v;
}

/* For every mark, compare its shape mask with the final pixels of surf
 * (a dark streak's own ink taken out, streak_free):
 * of the mask's pixels (alpha >= 0.5) inside the scored inside, the share
 * still carrying strong ink (visible) and a trace (visible_trace), and
 * those counts over the inside's area (coverage, trace_cov); drawn_cov is
 * the mask's own share of the inside. Mask pixels outside the image (a
 * page cropped, turned or shifted off it) count as drawn and left
 * without ink. */
static void measure_marks(const job *j, splan *p, cairo_surface_t *surf,
                          const st_marks_shape *shapes, const cairo_matrix_t *ctm)
{
    const st_model *m = j->m;
    int kind = ink_kind(j->o->format);
    const uint8_t *data = cairo_image_surface_get_data(surf);
    int stride = cairo_image_surface_get_stride(surf);
    cairo_matrix_t inv = *ctm;
    double k2 = fabs(ctm->xx * ctm->yy - ctm->xy * ctm->yx); /* px per mm^2 */
    if (cairo_matrix_invert(&inv) != CAIRO_STATUS_SUCCESS)
        cairo_matrix_init_identity(&inv); /* cannot happen: scale > 0 */
    for (int i = 0; i < p->n_marks; i++) {
        smark *mk = &p->marks[i];
        st_rect in = st_score_inside(m, &m->targets[mk->target].rect, j->o->dpi / 25.4);
        double area = in.w * in.h * k2; /* inside, in page pixels */
        mk->in_image = st_synth_in_image(p, ctm, &in);
        long n_in = 0, s_in = 0, t_in = 0, n_all = 0, s_all = 0, t_all = 0;
        cairo_surface_t *ms = shapes[i].mask;
        if (ms) {
            cairo_surface_flush(ms);
            const uint8_t *md = cairo_image_surface_get_data(ms);
            int ms_stride = cairo_image_surface_get_stride(ms);
            int mw = cairo_image_surface_get_width(ms);
            int mh = cairo_image_surface_get_height(ms);
            for (int y = 0; y < mh; y++) {
                const uint8_t *mr = md + (size_t)y * ms_stride;
                int py = shapes[i].y0 + y;
                int row_in = py >= 0 && py < p->h_px;
                const uint32_t *row =
                    row_in ? (const uint32_t *)(data + (size_t)py * stride) : NULL;
                for (int x = 0; x < mw; x++) {
                    if (mr[x] < 128)
                        continue;
                    int px = shapes[i].x0 + x;
                    int v = row_in && px >= 0 && px < p->w_px ? streak_free(p, px, row[px], kind)
                                                            : 0;
                    int strong = v >= ST_INK_STRONG, trace = v >= SYNTH_INK_TRACE;
                    n_all++;
                    s_all += strong;
                    t_all += trace;
                    double ux = px + 0.5, uy = py + 0.5;
                    cairo_matrix_transform_point(&inv, &ux, &uy);
                    if (ux < in.x || uy < in.y || ux >= in.x + in.w ||
                        uy >= in.y + in.h)
                        continue;
                    n_in++;
                    s_in += strong;
                    t_in += trace;
                }
            }
        }
        /* A loop around the box has no pixels inside: then all of it. */
        long n = n_in ? n_in : n_all, sv = n_in ? s_in : s_all,
             tv = n_in ? t_in : t_all;
        mk->visible = n ? (double)sv / n : 0;
        mk->visible_trace = n ? (double)tv / n : 0;
        mk->visible_all =
            n_all ? (double)(kind == INK_BILEVEL ? s_all : t_all) / n_all : 0;
        mk->coverage = area > 0 ? s_in / area : 0;
        mk->trace_cov = area > 0 ? t_in / area : 0;
        mk->drawn_cov = area > 0 ? n_in / area : 0;
        mk->pressure = shapes[i].pressure;
    }
}

/* What the image says of mark k under the model's thresholds. Lost: less
 * than marginal is left of it in the box (black on a bilevel page, any
 * trace on others), and either the box had more of it or most of the
 * mark has gone (a loop drawn around the box is not lost, it was never
 * in). Ambiguous: drawn so, or too little strong ink left to call it a
 * mark at once. */
static int seen_as(const job *j, const smark *k)
{
    const st_settings *s = &j->m->settings;
    int bilevel = ink_kind(j->o->format) == INK_BILEVEL;
    double left = bilevel ? k->coverage : k->trace_cov;
    if (left < s->marginal && (k->drawn_cov >= s->marginal || k->visible_all < 0.5))
        return left < SYNTH_LOW_FACTOR * s->marginal ? SEEN_LOST : SEEN_BORDER_LOW;
    double factor = bilevel ? SYNTH_CLEAR_FACTOR_BILEVEL : SYNTH_CLEAR_FACTOR;
    if (k->coverage >= factor * s->definite)
        return k->ambiguous ? SEEN_BORDER_HIGH : SEEN_CLEAR;
    if (k->coverage >= SYNTH_BORDER_FACTOR * s->definite)
        return SEEN_BORDER_HIGH;
    if (left < SYNTH_HIGH_TRACE_FACTOR * s->marginal)
        return SEEN_BORDER_LOW;
    return SEEN_AMBIGUOUS;
}

/* Draw ballot index on surf and measure its marks; settle what each is
 * seen as and the expected outcome. A hesitant stroke whose strong ink
 * left falls outside [marginal, SYNTH_HESITANT_TOP x definite] is redrawn
 * longer or shorter (the ballot's streams are replayed, so only its length
 * changes); a ballot that must carry clear marks (votes_from) and does not
 * is redrawn with a black pen, and then with its unclear marks filled in.
 * Either way the truth is what was measured
 * on the last drawing. */
int st_synth_settle(const job *j, int index, splan *p,
                         cairo_surface_t *surf, st_error *err)
{
    const st_settings *s = &j->m->settings;
    double lo = s->marginal, hi = SYNTH_HESITANT_TOP * s->definite;
    double goal = sqrt(s->marginal * s->definite);
    if (goal < lo || goal > hi)
        goal = sqrt(lo * hi);
    int hes = -1;
    for (int i = 0; i < p->n_marks; i++)
        if (p->marks[i].style == ST_STYLE_HESITANT)
            hes = i;
    double prev_cov = -1;
    int rc = ST_OK;
    /* A streak by a box runs through the box's middle where the page
     * puts it. */
    cairo_matrix_t place;
    st_synth_page_matrix(j, p, &place);
    for (int i = 0; i < p->n_streaks; i++) {
        sstreak *sk = &p->streaks[i];
        if (sk->target < 0)
            continue;
        const st_rect *b = &j->m->targets[sk->target].rect;
        double x = b->x + b->w / 2, y = b->y + b->h / 2;
        cairo_matrix_transform_point(&place, &x, &y);
        sk->x = (int)floor(x) - sk->w / 2;
    }
    for (int attempt = 0;; attempt++) {
        st_marks_shape shapes[MAX_MARKS];
        cairo_matrix_t ctm;
        memset(shapes, 0, sizeof shapes);
        rc = draw_ballot(j, index, p, surf, shapes, &ctm, err);
        if (!rc)
            measure_marks(j, p, surf, shapes, &ctm);
        for (int i = 0; i < p->n_marks; i++)
            cairo_surface_destroy(shapes[i].mask);
        if (rc)
            return rc;
        int clear = 1;
        for (int i = 0; i < p->n_marks; i++) {
            p->marks[i].seen = seen_as(j, &p->marks[i]);
            clear &= p->marks[i].seen == SEEN_CLEAR;
        }
        int again = 0;
        if (p->fixed)
            break; /* a rescan's marks are its sheet's, as they are */
        if (hes >= 0 && attempt + 1 < SYNTH_HESITANT_TRIES) {
            double c = p->marks[hes].coverage;
            /* Longer no longer helps once the stroke is at full length or
             * the pencil does not show at all. */
            int stuck = c < lo && prev_cov >= 0 && c <= prev_cov * 1.02;
            if ((c < lo || c > hi) && !stuck) {
                double f = c > 0 ? goal / c : 3;
                p->hesitant_cov *= f < 0.3 ? 0.3 : f > 3 ? 3 : f;
                again = 1;
            }
            prev_cov = c;
        }
        if (j->clear_only && !clear && attempt < 2) {
            /* First the pen; then the marks still unclear filled in. */
            for (int i = 0; i < p->n_marks; i++) {
                if (attempt == 1 && p->marks[i].seen != SEEN_CLEAR)
                    p->marks[i].style = ST_STYLE_FILL;
                p->marks[i].instrument = ST_INSTR_BLACK_PEN;
            }
            again = 1;
        }
        if (!again)
            break;
    }
    st_synth_expect(j, p);
    return rc;
}
