/* marks.c - hand marks and stray writing for synth, drawn with cairo
 *
 * A mark is built as a path in the box's own frame (centre at the origin,
 * jittered in position and angle), stroked into an A8 shape mask in page
 * pixels with the SOURCE operator so overlapping strokes do not darken
 * each other, and then composited onto the ballot through that mask with
 * MULTIPLY, the way ink darkens paper but cannot lighten the print under
 * it. Pencils composite through a grain texture as well, so their strokes
 * come out speckled like a red pencil on paper. The shape mask goes back
 * to the caller, who measures what of the mark the final image still
 * shows. Strokes wobble: each segment is a Bezier curve whose control
 * points are pushed sideways by a small random amount. Writing on the
 * ballot is pen: cursive scribbles for words, and capitals from a small
 * stroke font for a voter's initials.
 */
#include "synth/marks.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "synth/synth.h"

typedef struct ink {
    double r, g, b, a; /* colour and pressure (0..1) */
    double w;          /* line width, mm */
    int grainy;
} ink;

static void pick_ink(int instrument, st_rng *r, ink *k)
{
    switch (instrument) {
    case ST_INSTR_BLUE_PEN:
        *k = (ink){0.14, 0.22, 0.62, 0.93, st_rng_range(r, 0.35, 0.55), 0};
        break;
    case ST_INSTR_BLACK_PEN:
        *k = (ink){0.09, 0.09, 0.11, 0.95, st_rng_range(r, 0.35, 0.55), 0};
        break;
    case ST_INSTR_FAINT:
        /* The same pencil barely touching the paper. */
        *k = (ink){0.80, 0.27, 0.27, st_rng_range(r, 0.10, 0.20),
                   st_rng_range(r, 0.6, 0.9), 1};
        break;
    default: /* ST_INSTR_RED_PENCIL: ~RGB(205,70,70), pressure varies */
        /* Pressure 0.40..0.95, light hands rarer (13% under 0.6). */
        *k = (ink){0.80 + st_rng_range(r, -0.03, 0.03),
                   0.27 + st_rng_range(r, -0.03, 0.03),
                   0.27 + st_rng_range(r, -0.03, 0.03),
                   0.40 + 0.55 * sqrt(st_rng_unit(r)), st_rng_range(r, 0.8, 1.1), 1};
        break;
    }
}

cairo_pattern_t *st_marks_grain(st_rng *r)
{
    /* 128 px repeats are invisible under the strokes' own jitter. */
    enum { N = 128 };
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, N, N);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return NULL;
    }
    cairo_surface_flush(s);
    unsigned char *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < N; y++) {
        for (int x = 0; x < N; x += 8) {
            uint64_t v = st_rng_next(r);
            for (int i = 0; i < 8; i++) {
                /* Most of the paper takes pigment, some pits stay bare. */
                double u = (double)((v >> (8 * i)) & 0xff) / 255.0;
                double a = u < 0.12 ? 0.15 : 0.55 + 0.45 * sqrt(u);
                px[y * stride + x + i] = (unsigned char)(a * 255.0 + 0.5);
            }
        }
    }
    cairo_surface_mark_dirty(s);
    cairo_pattern_t *p = cairo_pattern_create_for_surface(s);
    cairo_surface_destroy(s); /* the pattern holds its own reference */
    cairo_pattern_set_extend(p, CAIRO_EXTEND_REPEAT);
    return p;
}

/* A curve from the current point (or from (x0, y0) when move) to (x1, y1),
 * bent sideways by about wob mm. */
static void wobble_to(cairo_t *cr, st_rng *r, int move, double x0, double y0,
                      double x1, double y1, double wob)
{
    double dx = x1 - x0, dy = y1 - y0;
    double len = hypot(dx, dy);
    double nx = len > 0 ? -dy / len : 0, ny = len > 0 ? dx / len : 0;
    double o1 = st_rng_normal(r) * wob, o2 = st_rng_normal(r) * wob;
    if (move)
        cairo_move_to(cr, x0, y0);
    cairo_curve_to(cr, x0 + dx / 3 + nx * o1, y0 + dy / 3 + ny * o1,
                   x0 + 2 * dx / 3 + nx * o2, y0 + 2 * dy / 3 + ny * o2,
                   x1, y1);
}

/* Back-and-forth hatching over [x0,x1] x [y0,y1] as one continuous path,
 * passes `step` apart (less than the line width, so it closes up). */
static void zigzag(cairo_t *cr, st_rng *r, double x0, double y0, double x1,
                   double y1, double step, double jit)
{
    double px = x0 + st_rng_normal(r) * jit, py = y0;
    cairo_move_to(cr, px, py);
    int side = 1;
    for (double y = y0 + step; y < y1 + step; y += step) {
        double yy = y > y1 ? y1 : y;
        double nx = (side ? x1 : x0) + st_rng_normal(r) * jit;
        double ny = yy + st_rng_normal(r) * jit * 0.3;
        wobble_to(cr, r, 0, px, py, nx, ny, jit * 0.5);
        px = nx;
        py = ny;
        side = !side;
        if (y > y1)
            break;
    }
}

/* Two strokes crossing at the origin, each end at lo..hi times the half
 * sides (hw, hh) out along its diagonal, bent by about wob mm. */
static void cross(cairo_t *c, st_rng *r, double hw, double hh, double lo,
                  double hi, double wob)
{
    for (int i = 0; i < 2; i++) {
        double s = i ? -1 : 1;
        double a = st_rng_range(r, lo, hi), b = st_rng_range(r, lo, hi);
        wobble_to(c, r, 1, -hw * a, -hh * a * s, hw * b, hh * b * s, wob);
        cairo_stroke(c);
    }
}

/* A hand-drawn loop round the origin with radii rx, ry, from angle a0
 * once round and `over` radians on, its radius wavering a little. */
static void loop_round(cairo_t *c, st_rng *r, double rx, double ry, double a0,
                       double over)
{
    int n = 28;
    for (int i = 0; i <= n; i++) {
        double a = a0 + (2 * M_PI + over) * i / n;
        double q = 1 + st_rng_normal(r) * 0.03;
        double x = cos(a) * rx * q, y = sin(a) * ry * q;
        if (i == 0)
            cairo_move_to(c, x, y);
        else
            cairo_line_to(c, x, y);
    }
    cairo_stroke(c);
}

/* The path of one mark in its box's frame (centre at the origin), stroked
 * or filled on c with k's width. hw, hh: half the inside's sides. */
static void mark_shape(cairo_t *c, const st_rect *in, int style, const ink *k,
                       double coverage, double hw, double hh, st_rng *r)
{
    double jit = 0.12 * k->w;
    switch (style) {
    case ST_STYLE_FILL: {
        double f = st_rng_range(r, 0.90, 0.97);
        double step = k->w * st_rng_range(r, 0.40, 0.50);
        /* Hatch across the shorter side: fewer, longer passes. */
        if (in->w >= in->h)
            zigzag(c, r, -hw * f + k->w / 2, -hh * f + k->w / 2,
                   hw * f - k->w / 2, hh * f - k->w / 2, step, jit);
        else {
            cairo_rotate(c, M_PI / 2);
            zigzag(c, r, -hh * f + k->w / 2, -hw * f + k->w / 2,
                   hh * f - k->w / 2, hw * f - k->w / 2, step, jit);
        }
        cairo_stroke(c);
        break;
    }
    case ST_STYLE_PARTIAL: {
        double p = st_rng_range(r, 0.40, 0.60);
        double step = k->w * st_rng_range(r, 0.45, 0.55);
        double f = 0.94;
        int band = st_rng_int(r, 4); /* which side the voter gave up on */
        double x0 = -hw * f, x1 = hw * f, y0 = -hh * f, y1 = hh * f;
        if (band == 0)
            y1 = y0 + 2 * hh * f * p;
        else if (band == 1)
            y0 = y1 - 2 * hh * f * p;
        else if (band == 2)
            x1 = x0 + 2 * hw * f * p;
        else
            x0 = x1 - 2 * hw * f * p;
        zigzag(c, r, x0 + k->w / 2, y0 + k->w / 2, x1 - k->w / 2,
               y1 - k->w / 2, step, jit);
        cairo_stroke(c);
        break;
    }
    case ST_STYLE_X:
        cross(c, r, hw, hh, 0.8, 1.05, 0.15 * k->w);
        break;
    case ST_STYLE_CHECK: {
        /* The long leg reaches the far corner: a check is read at once. */
        double ex = st_rng_range(r, 0.9, 1.1);
        wobble_to(c, r, 1, -0.7 * hw, -0.05 * hh, -0.15 * hw, 0.75 * hh,
                  0.1 * k->w);
        wobble_to(c, r, 0, -0.15 * hw, 0.75 * hh, 0.85 * hw * ex,
                  -0.9 * hh * ex, 0.2 * k->w);
        cairo_stroke(c);
        break;
    }
    case ST_STYLE_STROKE: {
        /* Corner to corner, steep enough that the stroke spans at least
         * 85% of the diagonal: a single line meant as a vote is a long
         * one (a short one is the hesitant style). */
        double t = st_rng_range(r, 0.80, 0.95);
        if (st_rng_chance(r, 0.5))
            t = -t;
        double a = st_rng_range(r, 0.90, 0.97);
        wobble_to(c, r, 1, -a * hw, t * hh, a * hw, -t * hh, 0.15 * k->w);
        cairo_stroke(c);
        break;
    }
    case ST_STYLE_CIRCLE: {
        /* Radii 1.45..1.7 x the half sides put the loop outside the box
         * but for the corners, where it may graze the outline. */
        double rx = hw * st_rng_range(r, 1.45, 1.7) + 0.5;
        double ry = hh * st_rng_range(r, 1.45, 1.7) + 0.5;
        double a0 = st_rng_range(r, 0, 2 * M_PI);
        double over = st_rng_range(r, 0.2, 0.6); /* loop ends overlap */
        loop_round(c, r, rx, ry, a0, over);
        break;
    }
    case ST_STYLE_DOT: {
        /* A touch of the pencil, well under a stroke's area: whether it
         * is a vote is for people to say. */
        double rad = st_rng_range(r, 0.3, 0.5);
        cairo_arc(c, st_rng_range(r, -0.3, 0.3) * hw,
                  st_rng_range(r, -0.3, 0.3) * hh, rad, 0, 2 * M_PI);
        cairo_fill(c);
        break;
    }
    case ST_STYLE_X_OVER:
        /* Each arm end lies past the box by 0-50% of its size, across and
         * down alike (hw * (1 + u) is u/2 of the side beyond the edge). */
        cross(c, r, hw, hh, 1.0, 2.0, 0.15 * k->w);
        break;
    case ST_STYLE_CHECK_TAIL: {
        /* The long leg runs on past the corner by 20-50% of the size. */
        double ex = 1 + 2 * st_rng_range(r, 0.2, 0.5);
        wobble_to(c, r, 1, -0.7 * hw, -0.05 * hh, -0.15 * hw, 0.75 * hh,
                  0.1 * k->w);
        wobble_to(c, r, 0, -0.15 * hw, 0.75 * hh, hw * ex, -hh * ex,
                  0.2 * k->w);
        cairo_stroke(c);
        break;
    }
    case ST_STYLE_SCRIBBLE_OVER: {
        /* Hatching across the box whose turns land outside it. */
        double o = st_rng_range(r, 0.05, 0.20) * 2 * hw;
        /* Passes a little apart, so the turns outside are loops. */
        double step = k->w * st_rng_range(r, 1.2, 1.6);
        if (st_rng_chance(r, 0.5))
            cairo_rotate(c, M_PI / 2);
        zigzag(c, r, -hw - o, -hh * 0.9, hw + o, hh * 0.9, step, jit);
        cairo_stroke(c);
        break;
    }
    case ST_STYLE_RING: {
        /* An X inside, then a loop round the box that keeps close to it. */
        cross(c, r, hw, hh, 0.8, 1.0, 0.15 * k->w);
        double rx = hw * st_rng_range(r, 1.55, 1.75) + 0.8;
        double ry = hh * st_rng_range(r, 1.55, 1.75) + 0.8;
        double a0 = st_rng_range(r, 0, 2 * M_PI);
        double over = st_rng_range(r, 0.1, 0.4);
        loop_round(c, r, rx, ry, a0, over);
        break;
    }
    case ST_STYLE_HESITANT: {
        /* Sized so the stroke's area (a capsule: length x width plus the
         * round caps) is `coverage` of the inside; what survives of it is
         * the caller's to check. */
        double w = 0.5;
        cairo_set_line_width(c, w);
        double len = (coverage * in->w * in->h - M_PI * w * w / 4) / w;
        double maxlen = 1.8 * hw;
        if (len > maxlen)
            len = maxlen;
        if (len < 0.05)
            len = 0.05;
        /* Its slant is the full-length stroke's, so a short stroke stays
         * short (ends at +-t * hh would make it at least 2 t hh long). */
        double t = st_rng_range(r, -0.3, 0.3);
        double a = atan2(2 * t * hh, maxlen);
        double dx = len / 2 * cos(a), dy = len / 2 * sin(a);
        wobble_to(c, r, 1, -dx, dy, dx, -dy, 0.05);
        cairo_stroke(c);
        break;
    }
    default:
        break;
    }
}

/* shape x grain x pressure, as a new A8 surface of shape's size: what the
 * ink is composited through. The grain repeats in page pixels, or in
 * those frame maps them to. */
static cairo_surface_t *ink_mask(cairo_surface_t *shape, int x0, int y0,
                                 cairo_pattern_t *grain, const cairo_matrix_t *frame,
                                 double pressure)
{
    int w = cairo_image_surface_get_width(shape);
    int h = cairo_image_surface_get_height(shape);
    cairo_surface_t *o = cairo_image_surface_create(CAIRO_FORMAT_A8, w, h);
    if (cairo_surface_status(o) != CAIRO_STATUS_SUCCESS)
        return o;
    cairo_surface_t *gs = NULL;
    const unsigned char *g = NULL;
    int gw = 0, gh = 0, gstride = 0;
    if (grain && cairo_pattern_get_surface(grain, &gs) == CAIRO_STATUS_SUCCESS &&
        cairo_image_surface_get_format(gs) == CAIRO_FORMAT_A8) {
        cairo_surface_flush(gs);
        g = cairo_image_surface_get_data(gs);
        gw = cairo_image_surface_get_width(gs);
        gh = cairo_image_surface_get_height(gs);
        gstride = cairo_image_surface_get_stride(gs);
    }
    cairo_surface_flush(shape);
    cairo_surface_flush(o);
    const unsigned char *s = cairo_image_surface_get_data(shape);
    unsigned char *d = cairo_image_surface_get_data(o);
    int ss = cairo_image_surface_get_stride(shape);
    int ds = cairo_image_surface_get_stride(o);
    uint32_t pa = (uint32_t)lround(pressure * 256); /* 8.8 fixed point */
    for (int y = 0; y < h; y++) {
        const unsigned char *sr = s + (size_t)y * ss;
        unsigned char *dr = d + (size_t)y * ds;
        /* The mask may start left of or above the page. */
        const unsigned char *gr =
            g ? g + (size_t)(((y0 + y) % gh + gh) % gh) * gstride : NULL;
        for (int x = 0; x < w; x++) {
            uint32_t v = sr[x];
            if (!v) {
                dr[x] = 0;
                continue;
            }
            uint32_t gv = 255;
            if (g && frame) {
                /* The grain where this pixel's paper lay in the frame. */
                double fx = x0 + x + 0.5, fy = y0 + y + 0.5;
                cairo_matrix_transform_point(frame, &fx, &fy);
                int gx = (int)floor(fx) % gw, gy = (int)floor(fy) % gh;
                gv = g[(size_t)((gy + gh) % gh) * gstride + (size_t)((gx + gw) % gw)];
            } else if (gr) {
                gv = gr[((x0 + x) % gw + gw) % gw];
            }
            dr[x] = (unsigned char)((v * gv * pa + 255 * 128) / (255 * 256));
        }
    }
    cairo_surface_mark_dirty(o);
    return o;
}

void st_marks_draw(cairo_t *cr, const st_rect *in, int style, int instrument,
                   double coverage, cairo_pattern_t *grain,
                   const cairo_matrix_t *grain_frame, st_rng *r, st_marks_shape *shape)
{
    ink k;
    pick_ink(instrument, r, &k);
    if (shape) {
        shape->mask = NULL;
        shape->x0 = shape->y0 = 0;
        shape->pressure = k.a;
    }
    double hw = in->w / 2, hh = in->h / 2;
    double cx = in->x + hw + st_rng_normal(r) * 0.04 * in->w;
    double cy = in->y + hh + st_rng_normal(r) * 0.04 * in->h;
    double ang = st_rng_normal(r) * 0.05;
    double big = hw > hh ? hw : hh;
    double reach = (style == ST_STYLE_CIRCLE || style == ST_STYLE_RING ? 2.4 * big
                    : style == ST_STYLE_X_OVER || style == ST_STYLE_CHECK_TAIL ||
                            style == ST_STYLE_SCRIBBLE_OVER
                        ? 2.2 * big
                        : 1.6 * big) +
                   k.w + 2;

    /* The shape's surface covers the reach square in page pixels, aligned
     * to whole pixels so its antialiasing is what drawing on the page
     * would give; not clipped to the page, so what falls off it is
     * measured as lost. */
    double bx0 = INFINITY, by0 = INFINITY, bx1 = -INFINITY, by1 = -INFINITY;
    for (int i = 0; i < 4; i++) {
        double x = cx + (i & 1 ? reach : -reach), y = cy + (i & 2 ? reach : -reach);
        cairo_user_to_device(cr, &x, &y);
        bx0 = fmin(bx0, x), by0 = fmin(by0, y);
        bx1 = fmax(bx1, x), by1 = fmax(by1, y);
    }
    int x0 = (int)floor(bx0), y0 = (int)floor(by0);
    int x1 = (int)ceil(bx1), y1 = (int)ceil(by1);
    cairo_surface_t *ms = cairo_image_surface_create(CAIRO_FORMAT_A8, x1 - x0, y1 - y0);
    cairo_t *mc = cairo_create(ms);
    cairo_matrix_t mt;
    cairo_get_matrix(cr, &mt);
    mt.x0 -= x0;
    mt.y0 -= y0;
    cairo_set_matrix(mc, &mt);
    cairo_rectangle(mc, cx - reach, cy - reach, 2 * reach, 2 * reach);
    cairo_clip(mc);
    cairo_translate(mc, cx, cy);
    cairo_rotate(mc, ang);
    /* One coverage per pixel however often strokes cross: overlapping
     * passes of one pen do not darken each other. */
    cairo_set_operator(mc, CAIRO_OPERATOR_SOURCE);
    cairo_set_source_rgba(mc, 0, 0, 0, 1);
    cairo_set_line_width(mc, k.w);
    cairo_set_line_cap(mc, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(mc, CAIRO_LINE_JOIN_ROUND);
    mark_shape(mc, in, style, &k, coverage, hw, hh, r);
    int ok = cairo_status(mc) == CAIRO_STATUS_SUCCESS;
    cairo_destroy(mc);

    /* Ink darkens paper but cannot lighten the print under it: MULTIPLY,
     * through shape x grain x pressure. */
    cairo_surface_t *im = ok ? ink_mask(ms, x0, y0, k.grainy ? grain : NULL, grain_frame, k.a)
                             : NULL;
    if (im && cairo_surface_status(im) == CAIRO_STATUS_SUCCESS) {
        cairo_save(cr);
        cairo_identity_matrix(cr);
        cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
        cairo_set_source_rgb(cr, k.r, k.g, k.b);
        cairo_mask_surface(cr, im, x0, y0);
        cairo_restore(cr);
    }
    cairo_surface_destroy(im);
    if (shape && ok) {
        shape->mask = ms;
        shape->x0 = x0;
        shape->y0 = y0;
    } else {
        cairo_surface_destroy(ms);
    }
}

static int clear_of(const st_rect *a, double x0, double y0, double x1,
                    double y1, double gap)
{
    return x1 + gap <= a->x || a->x + a->w + gap <= x0 ||
           y1 + gap <= a->y || a->y + a->h + gap <= y0;
}

int st_marks_stray_place(const st_model *m, st_rng *r, double *xy, int have,
                         int max)
{
    int n = have;
    max += have;
    double hw = ST_MARKS_STRAY_W / 2, hh = ST_MARKS_STRAY_H / 2;
    double margin = 6;
    if (m->paper_w < 2 * (hw + margin) || m->paper_h < 2 * (hh + margin))
        return 0;
    for (int tries = 0; tries < 400 && n < max; tries++) {
        double x = st_rng_range(r, margin + hw, m->paper_w - margin - hw);
        double y = st_rng_range(r, margin + hh, m->paper_h - margin - hh);
        double x0 = x - hw, y0 = y - hh, x1 = x + hw, y1 = y + hh;
        int ok = 1;
        for (int i = 0; ok && i < m->n_targets; i++) {
            const st_target *t = &m->targets[i];
            ok = clear_of(&t->rect, x0, y0, x1, y1, 4.0) &&
                 (t->label_rect.w <= 0 ||
                  clear_of(&t->label_rect, x0, y0, x1, y1, 1.5));
        }
        for (int i = 0; ok && i < m->n_fiducials; i++)
            ok = clear_of(&m->fiducials[i].rect, x0, y0, x1, y1, 3.0);
        /* Artwork is cleared with a 1 mm pad on a ~0.5 mm coarse grid. */
        for (int i = 0; ok && i < m->n_artwork; i++)
            ok = clear_of(&m->artwork[i], x0, y0, x1, y1, 2.0);
        for (int i = 0; ok && i < n; i++)
            ok = fabs(xy[2 * i] - x) > 2 * hw + 2 ||
                 fabs(xy[2 * i + 1] - y) > 2 * hh + 2;
        if (ok) {
            xy[2 * n] = x;
            xy[2 * n + 1] = y;
            n++;
        }
    }
    return n;
}

/* Take up a blue or black pen (from r) to write at (x, y) turned by a
 * little (angle sd `turn` radians): saves cr's state, which the caller
 * restores. */
static void pen_begin(cairo_t *cr, double x, double y, double turn, st_rng *r, ink *k)
{
    pick_ink(st_rng_chance(r, 0.5) ? ST_INSTR_BLUE_PEN : ST_INSTR_BLACK_PEN, r, k);
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_rotate(cr, st_rng_normal(r) * turn);
    cairo_set_source_rgba(cr, k->r, k->g, k->b, k->a);
    cairo_set_line_width(cr, k->w);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_operator(cr, CAIRO_OPERATOR_MULTIPLY);
}

void st_marks_stray_draw(cairo_t *cr, double x, double y, st_rng *r)
{
    ink k;
    pen_begin(cr, x, y, 0.08, r, &k);
    /* Cursive-ish: letters are loops and humps along a baseline, joined. */
    double hw = ST_MARKS_STRAY_W / 2 - 1, hh = ST_MARKS_STRAY_H / 2 - 0.5;
    int letters = 3 + st_rng_int(r, 4);
    double adv = 2 * hw / letters;
    double px = -hw, py = hh * 0.6;
    cairo_move_to(cr, px, py);
    for (int i = 0; i < letters; i++) {
        double top = -hh * st_rng_range(r, 0.1, 1.0);
        double lx = px + adv;
        int kind = st_rng_int(r, 3);
        if (kind == 0) /* a loop, like e or l */
            cairo_curve_to(cr, px + adv * 1.2, py - 0.3 * hh, px + adv * 0.9,
                           top, px + adv * 0.5, top);
        else /* a hump, like n or m */
            cairo_curve_to(cr, px + adv * 0.1, top, px + adv * 0.5, top,
                           px + adv * 0.6, py * 0.5);
        cairo_curve_to(cr, px + adv * 0.3, py, lx - adv * 0.3, py * 1.1, lx,
                       hh * st_rng_range(r, 0.4, 0.8));
        cairo_get_current_point(cr, &px, &py);
    }
    cairo_stroke(cr);
    cairo_restore(cr);
}

int st_marks_writing_place(const st_model *m, int target, double half_w,
                           st_rng *r, double *xy, int have, int max)
{
    const st_rect *b = &m->targets[target].rect;
    double hw = half_w + 1, hh = ST_MARKS_STRAY_H / 2;
    int n = have;
    max += have;
    for (int tries = 0; tries < 60 && n < max; tries++) {
        /* Touching: the writing's ink runs 0.2-0.8 mm into the box's
         * outline; beside: it stops 0.5-3 mm short of the box. Its ink
         * spans x +-half_w mm and y -2.5..+2 mm of its centre. */
        double gap = st_rng_chance(r, 0.5) ? -st_rng_range(r, 0.2, 0.8)
                                           : st_rng_range(r, 0.5, 3.0);
        int side = st_rng_int(r, 4);
        double along = st_rng_range(r, -0.3, 0.3);
        double x, y;
        if (side == 0) { /* left */
            x = b->x - gap - half_w;
            y = b->y + b->h / 2 + along * b->h;
        } else if (side == 1) { /* right */
            x = b->x + b->w + gap + half_w;
            y = b->y + b->h / 2 + along * b->h;
        } else if (side == 2) { /* above */
            x = b->x + b->w / 2 + along * b->w;
            y = b->y - gap - 2.0;
        } else { /* below */
            x = b->x + b->w / 2 + along * b->w;
            y = b->y + b->h + gap + 2.5;
        }
        double x0 = x - hw, y0 = y - hh, x1 = x + hw, y1 = y + hh;
        int ok = x0 > 6 && y0 > 6 && x1 < m->paper_w - 6 && y1 < m->paper_h - 6;
        /* Clear of everything printed but its own box, so the word is
         * there to be seen (the engine does not read under print). */
        for (int i = 0; ok && i < m->n_targets; i++) {
            const st_target *t = &m->targets[i];
            ok = (i == target || clear_of(&t->rect, x0, y0, x1, y1, 0.5)) &&
                 (t->label_rect.w <= 0 ||
                  clear_of(&t->label_rect, x0, y0, x1, y1, 0.5));
        }
        for (int i = 0; ok && i < m->n_fiducials; i++)
            ok = clear_of(&m->fiducials[i].rect, x0, y0, x1, y1, 3.0);
        for (int i = 0; ok && i < m->n_artwork; i++)
            ok = clear_of(&m->artwork[i], x0, y0, x1, y1, 2.0);
        for (int i = 0; ok && i < n; i++)
            ok = fabs(xy[2 * i] - x) > hw + ST_MARKS_STRAY_W / 2 + 1 ||
                 fabs(xy[2 * i + 1] - y) > 2 * hh + 1;
        if (ok) {
            xy[2 * n] = x;
            xy[2 * n + 1] = y;
            n++;
        }
    }
    return n;
}

/* Capitals as a hand prints them: strokes through points of a 4 x 6 grid
 * (x right, y down), each point two digits, strokes split by spaces. */
static const char *const letter_strokes[26] = {
    "062046 1434",                  /* A */
    "0600 003041423303 3344453606", /* B */
    "4130100105163645",             /* C */
    "0006 002041452606",            /* D */
    "40000646 0333",                /* E */
    "400006 0333",                  /* F */
    "41301001051636454323",         /* G */
    "0006 4046 0343",               /* H */
    "2026 1030 1636",               /* I */
    "4045361605",                   /* J */
    "0006 400346",                  /* K */
    "000646",                       /* L */
    "0600234046",                   /* M */
    "06004640",                     /* N */
    "103041453616050110",           /* O */
    "06003041423303",               /* P */
    "103041453616050110 2546",      /* Q */
    "06003041423303 2346",          /* R */
    "413010010213334445361605",     /* S */
    "0040 2026",                    /* T */
    "000516364540",                 /* U */
    "002640",                       /* V */
    "0016233640",                   /* W */
    "0046 4006",                    /* X */
    "002340 2326",                  /* Y */
    "00400646",                     /* Z */
};

/* Letters 3 mm wide, 1.3 mm apart (room for a full stop). */
#define LETTER_W 3.0
#define LETTER_GAP 1.3

double st_marks_initials_half_w(const char *text)
{
    int n = (int)strlen(text);
    return n > 0 ? (n * LETTER_W + (n - 1) * LETTER_GAP) / 2 : 0;
}

void st_marks_initials_draw(cairo_t *cr, double x, double y, const char *text,
                            st_rng *r)
{
    ink k;
    pen_begin(cr, x, y, 0.05, r, &k);
    int stops = st_rng_chance(r, 0.5); /* "J.D." or "JD" */
    double slant = st_rng_range(r, -0.15, 0.25); /* x per unit up */
    /* Ink from y -2.5 to +2 mm: the letters' 6 units and the pen's width. */
    double uy = (4.5 - k.w) / 6, ux = (LETTER_W - k.w) / 4;
    double left = -st_marks_initials_half_w(text) + k.w / 2;
    double top = -2.5 + k.w / 2;
    for (int i = 0; text[i]; i++) {
        int c = text[i] - 'A';
        if (c < 0 || c >= 26)
            continue;
        double lx = left + i * (LETTER_W + LETTER_GAP);
        const char *s = letter_strokes[c];
        int first = 1;
        for (; *s; s++) {
            if (*s == ' ') {
                first = 1;
                continue;
            }
            int gx = s[0] - '0', gy = s[1] - '0';
            s++;
            double px = lx + gx * ux + (6 - gy) * uy * slant * 0.3 +
                        st_rng_normal(r) * 0.10;
            double py = top + gy * uy + st_rng_normal(r) * 0.10;
            if (first)
                cairo_move_to(cr, px, py);
            else
                cairo_line_to(cr, px, py);
            first = 0;
            if (s[1] == ' ' || !s[1])
                cairo_stroke(cr);
        }
        if (stops && text[i + 1]) {
            cairo_arc(cr, lx + LETTER_W + LETTER_GAP / 2, top + 6 * uy - 0.1,
                      k.w * 0.6, 0, 2 * M_PI);
            cairo_fill(cr);
        }
    }
    cairo_restore(cr);
}
