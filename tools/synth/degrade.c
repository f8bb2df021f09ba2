/* degrade.c - scanner and paper degradations of a synthetic page
 *
 * Streaks, blur and noise work on the RGB24 pixels after the ballot is
 * drawn; blur keeps a ring of horizontally blurred rows so one pass over
 * the page suffices, noise draws from a table of normal deviates. The
 * geometric degradations (rotation, shift, scale) are drawn by the cairo
 * transform; here is only the bed they need around the paper.
 */
#include "synth/degrade.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static inline uint8_t clamp8(int v)
{
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

void st_synth_px_streak(uint8_t *data, int stride, int w, int h, const sstreak *p)
{
    int x0 = p->x < 0 ? 0 : p->x, x1 = p->x + p->w;
    if (x1 > w)
        x1 = w;
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(data + (size_t)y * stride);
        for (int x = x0; x < x1; x++) {
            uint32_t c = row[x], o = 0;
            for (int s = 0; s < 24; s += 8) {
                int v = (c >> s) & 0xff;
                /* dark: dust on the glass; light: a dead sensor line */
                v = p->dark ? (int)(v * p->f) : v + (int)((255 - v) * (1 - p->f));
                o |= (uint32_t)clamp8(v) << s;
            }
            row[x] = o;
        }
    }
}

void st_synth_fold_draw(cairo_t *cr, const st_model *m, const sfold *p)
{
    /* Along the fold from (ax, ay) to (bx, by); the shadow lies (sx, sy)
     * beside it. */
    double t = tan(p->slant * M_PI / 180);
    double ax = 0, ay = p->at, bx = m->paper_w, by = p->at + p->tilt + m->paper_w * t;
    double sx = 0, sy = 2.5;
    if (p->kind == ST_DEG_FOLD_VERTICAL) {
        ax = p->at, ay = 0;
        bx = p->at - m->paper_h * t, by = m->paper_h;
        sx = 2.5, sy = 0;
    }
    cairo_save(cr);
    cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
    cairo_set_source_rgba(cr, 0.3, 0.3, 0.3, p->a);
    cairo_set_line_width(cr, 0.35);
    cairo_move_to(cr, ax, ay);
    cairo_line_to(cr, bx, by);
    cairo_stroke(cr);
    cairo_set_source_rgba(cr, 0.4, 0.4, 0.4, p->a * 0.35);
    cairo_move_to(cr, ax, ay);
    cairo_line_to(cr, bx, by);
    cairo_line_to(cr, bx + sx, by + sy);
    cairo_line_to(cr, ax + sx, ay + sy);
    cairo_close_path(cr);
    cairo_fill(cr);
    cairo_restore(cr);
}

/* Horizontal box sums of one RGB24 row (bytes B, G, R, X on every
 * platform cairo runs on little-endian; the channels are treated alike,
 * so their order does not matter) into 3 interleaved channels. */
static void hblur_row(const uint8_t *src, int w, int rad, uint16_t *dst)
{
    int s0 = 0, s1 = 0, s2 = 0;
    for (int k = -rad; k <= rad; k++) {
        int x = k < 0 ? 0 : k >= w ? w - 1 : k;
        s0 += src[4 * x];
        s1 += src[4 * x + 1];
        s2 += src[4 * x + 2];
    }
    for (int x = 0; x < w; x++) {
        dst[3 * x] = (uint16_t)s0;
        dst[3 * x + 1] = (uint16_t)s1;
        dst[3 * x + 2] = (uint16_t)s2;
        int xo = x - rad < 0 ? 0 : x - rad;
        int xi = x + rad + 1 >= w ? w - 1 : x + rad + 1;
        s0 += src[4 * xi] - src[4 * xo];
        s1 += src[4 * xi + 1] - src[4 * xo + 1];
        s2 += src[4 * xi + 2] - src[4 * xo + 2];
    }
}

/* Separable box blur in place; a ring of 2r+2 rows of horizontal sums
 * feeds running column sums, so no second page is needed. Radius is at
 * most 15 so that 255 * (2r+1) fits the ring's 16 bits. */
int st_synth_px_blur(uint8_t *data, int stride, int w, int h, int rad)
{
    if (rad > 15)
        rad = 15;
    int k = 2 * rad + 2, win = 2 * rad + 1;
    uint16_t *ring = malloc(sizeof *ring * (size_t)k * 3 * (size_t)w);
    uint32_t *sum = calloc((size_t)w * 3, sizeof *sum);
    if (!ring || !sum) {
        free(ring);
        free(sum);
        return ST_ERR_NOMEM;
    }
#define ROW(y) (data + (size_t)((y) < 0 ? 0 : (y) >= h ? h - 1 : (y)) * stride)
#define SLOT(y) (ring + (size_t)(((y) % k + k) % k) * 3 * w)
    for (int y = -rad; y <= rad; y++) {
        hblur_row(ROW(y), w, rad, SLOT(y));
        uint16_t *s = SLOT(y);
        for (int i = 0; i < 3 * w; i++)
            sum[i] += s[i];
    }
    /* Divide by win^2 as a multiply and shift. */
    uint64_t mul = ((1ull << 32) + (uint64_t)(win * win) / 2) / (uint64_t)(win * win);
    for (int y = 0; y < h; y++) {
        uint8_t *out = data + (size_t)y * stride;
        if (y == h - 1) {
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    out[4 * x + c] = (uint8_t)((sum[3 * x + c] * mul + (1ull << 31)) >> 32);
            break;
        }
        /* Row y+r+1 takes the slot of y-r-1, which is no longer summed;
         * its source row is below y, so still unblurred. Output and the
         * move of the window share one pass. */
        const uint16_t *gone = SLOT(y - rad);
        uint16_t *come = SLOT(y + rad + 1);
        hblur_row(ROW(y + rad + 1), w, rad, come);
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                int i = 3 * x + c;
                uint32_t v = sum[i];
                out[4 * x + c] = (uint8_t)((v * mul + (1ull << 31)) >> 32);
                sum[i] = v - gone[i] + come[i];
            }
    }
#undef ROW
#undef SLOT
    free(ring);
    free(sum);
    return ST_OK;
}

/* Gaussian sensor noise, the same offset on all three channels. The
 * offsets come from a 4096-entry table of normal deviates, indexed by 12
 * bits at a time of the stream: five pixels per 64-bit draw. */
void st_synth_px_noise(uint8_t *data, int stride, int w, int h, double sigma,
                     st_rng *r)
{
    int16_t tab[4096];
    for (int i = 0; i < 4096; i++) {
        double v = st_rng_normal(r) * sigma;
        tab[i] = (int16_t)(v > 120 ? 120 : v < -120 ? -120 : lround(v));
    }
    uint8_t clip[512]; /* clip[128 + v] = v clamped to 0..255 */
    for (int i = 0; i < 512; i++)
        clip[i] = clamp8(i - 128);
    uint64_t bits = 0;
    int left = 0;
    for (int y = 0; y < h; y++) {
        uint32_t *row = (uint32_t *)(data + (size_t)y * stride);
        for (int x = 0; x < w; x++) {
            if (!left) {
                bits = st_rng_next(r);
                left = 5;
            }
            int d = tab[bits & 4095];
            bits >>= 12;
            left--;
            const uint8_t *cl = clip + 128 + d; /* no branches: white
                                                   paper clips half the time */
            uint32_t c = row[x];
            row[x] = ((uint32_t)cl[(c >> 16) & 0xff] << 16) |
                     ((uint32_t)cl[(c >> 8) & 0xff] << 8) | cl[c & 0xff];
        }
    }
}

/* The scanner bed is larger than the paper by enough that the worst
 * rotation, scale, shift and transport this run can draw keep the whole
 * page, with its registration marks, in the image: a real scanner sees
 * the skewed page's corners too. Transport stretches and shears from the
 * image's top row, so it needs room below and at the sides in proportion
 * to the image's height. With no geometric degradation the image is
 * exactly the paper. */
void st_synth_bed_margins(const st_model *m, const st_synth_opts *o, double *mx,
                        double *my)
{
    unsigned geo_bits = ST_SYNTH_BIT(ST_DEG_ROTATE) | ST_SYNTH_BIT(ST_DEG_SHIFT) |
                        ST_SYNTH_BIT(ST_DEG_SCALE) | ST_SYNTH_BIT(ST_DEG_TRANSPORT);
    double L = o->degrade_level;
    *mx = *my = 0;
    if ((o->degradations & ST_SYNTH_DEG_NONE) ||
        (o->degradations && !(o->degradations & geo_bits)) || L <= 0)
        return;
    double a = 5 * L * M_PI / 180, k = 1 + 0.03 * L;
    double hx = m->paper_w / 2, hy = m->paper_h / 2;
    double ex = (hx * cos(a) + hy * sin(a)) * k - hx + 5 * L;
    double ey = (hx * sin(a) + hy * cos(a)) * k - hy + 5 * L;
    if (!o->degradations || (o->degradations & ST_SYNTH_BIT(ST_DEG_TRANSPORT))) {
        double h = m->paper_h + 2 * ey; /* the image's height, about */
        ex += 0.006 * L * h;
        ey += 0.01 * L * h;
    }
    *mx = ceil(ex + 1);
    *my = ceil(ey + 1);
}
