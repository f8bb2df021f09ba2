/* proof.c - a stored page drawn with its boxes and scores, for people
 *
 * The page is decoded to ink like any other, turned back into grey paper
 * on a cairo RGB surface, and each target's rectangle (model mm) is mapped
 * through the six numbers of the stored transform and stroked in the
 * colour of its stored state, with the score written above it. Only the
 * stored record is drawn: nothing is measured again here. For a screen
 * the page is turned the right way up: the stored transform says which
 * way the model's x axis runs on the page, and the drawing turns by the
 * nearest quarter (a page fed upside down: half a turn), the scores'
 * text kept level. For the desk the page is drawn smaller: the decoder
 * shrinks the ink as it reads (see render), and the PNG is written in
 * libpng's fast mode (see png_of). The caller
 * reads the file: the report layer knows no files of pages.
 */
#include "stemtel/proof.h"
#include "stemtel/decode.h"
#include "stemtel/image.h"

#include <cairo.h>
#include <json-c/json.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void map(const double t[6], double x, double y, double *px, double *py)
{
    *px = t[0] * x + t[1] * y + t[2];
    *py = t[3] * x + t[4] * y + t[5];
}

/* Quarter turns (0..3) that put the page of transform t the right way up:
 * where the model's x axis points on the page. */
static int quarter_of(const double t[6])
{
    double a = atan2(t[3], t[0]);
    int q = (int)lround(a / (M_PI / 2));
    return ((q % 4) + 4) % 4;
}

/* Page pixel (x, y) of a w x h page on the page turned up by q quarters. */
static void turn(int q, double w, double h, double x, double y, double *ox, double *oy)
{
    switch (q) {
    case 1: *ox = y; *oy = w - x; break;
    case 2: *ox = w - x; *oy = h - y; break;
    case 3: *ox = h - y; *oy = x; break;
    default: *ox = x; *oy = y;
    }
}

/* Stroke every box of the record on cr. */
static void draw_boxes(cairo_t *cr, const st_model *m, const double t[6], json_object *boxes,
                       double line)
{
    cairo_set_line_width(cr, line);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    size_t n = json_object_array_length(boxes);
    for (size_t i = 0; i < n && (int)i < m->n_targets; i++) {
        json_object *b = json_object_array_get_idx(boxes, i), *st = NULL, *sc = NULL;
        json_object_object_get_ex(b, "state", &st);
        json_object_object_get_ex(b, "score", &sc);
        const char *state = st ? json_object_get_string(st) : "";
        if (!strcmp(state, "marked"))
            cairo_set_source_rgb(cr, 0.0, 0.6, 0.1);
        else if (!strcmp(state, "marginal"))
            cairo_set_source_rgb(cr, 0.95, 0.5, 0.0);
        else
            cairo_set_source_rgb(cr, 0.2, 0.4, 0.9);
        const st_rect *r = &m->targets[i].rect;
        double x[4], y[4];
        map(t, r->x, r->y, &x[0], &y[0]);
        map(t, r->x + r->w, r->y, &x[1], &y[1]);
        map(t, r->x + r->w, r->y + r->h, &x[2], &y[2]);
        map(t, r->x, r->y + r->h, &x[3], &y[3]);
        cairo_move_to(cr, x[0], y[0]);
        for (int k = 1; k < 4; k++)
            cairo_line_to(cr, x[k], y[k]);
        cairo_close_path(cr);
        cairo_stroke(cr);
        char label[32];
        snprintf(label, sizeof label, "%.3f", sc ? json_object_get_double(sc) : 0.0);
        /* Above the box's top left corner as the page is shown, level
         * however the page was turned. */
        double lx = 0, ly = 0, fx = line * 7, fy = 0;
        for (int k = 0; k < 4; k++) {
            double ux = x[k], uy = y[k];
            cairo_user_to_device(cr, &ux, &uy);
            if (k == 0 || ux + uy < lx + ly)
                lx = ux, ly = uy;
        }
        cairo_user_to_device_distance(cr, &fx, &fy);
        double fs = hypot(fx, fy);
        cairo_save(cr);
        cairo_identity_matrix(cr);
        cairo_set_font_size(cr, fs);
        cairo_move_to(cr, lx, ly - fs / 7);
        cairo_show_text(cr, label);
        cairo_restore(cr);
    }
}

/* The record's transform into t and its boxes (borrowed from *rec, which
 * the caller puts). */
static int proof_parse(const char *record, const char *name, int page, json_object **rec,
                       double t[6], json_object **boxes, st_error *err)
{
    json_object *reg = NULL, *tr = NULL;
    *rec = json_tokener_parse(record);
    if (!*rec || !json_object_object_get_ex(*rec, "registration", &reg) ||
        !json_object_object_get_ex(reg, "transform", &tr) ||
        json_object_array_length(tr) != 6 || !json_object_object_get_ex(*rec, "boxes", boxes))
        return st_error_set(err, ST_ERR_INVALID,
                            "proof: %s page %d: no boxes were located on this page, nothing "
                            "to draw", name, page);
    for (int k = 0; k < 6; k++)
        t[k] = json_object_get_double(json_object_array_get_idx(tr, k));
    return ST_OK;
}

int st_proof_check(const char *record, const char *name, int page, st_error *err)
{
    json_object *rec = NULL, *boxes = NULL;
    double t[6];
    int rc = proof_parse(record, name, page, &rec, t, &boxes, err);
    json_object_put(rec);
    return rc;
}

/* A number of the record's object key (0 when absent). */
static double record_num(json_object *rec, const char *obj, const char *key)
{
    json_object *o = NULL, *v = NULL;
    return json_object_object_get_ex(rec, obj, &o) && json_object_object_get_ex(o, key, &v)
               ? json_object_get_double(v)
               : 0;
}

/* The page drawn with its boxes at scale (1: the scan's own pixels) into
 * *out, the caller's surface; with upright, turned the right way up.
 * Below full size the decoder makes the smaller ink itself (a JPEG page
 * through libjpeg's reduced scale, any page by a block mean folded into
 * its strips), so no full-size surface is ever filled or filtered down:
 * that, and its page faults, cost more than the drawing. */
static int render(const st_model *m, const void *bytes, size_t len, const char *name, int page,
                  const char *record, double scale, int upright, cairo_surface_t **out,
                  st_error *err)
{
    json_object *rec = NULL, *boxes = NULL;
    st_decoder *d = NULL;
    st_image ink = {0}, small = {0};
    st_shrink sh = {0};
    cairo_surface_t *surf = NULL, *page_surf = NULL;
    cairo_t *cr = NULL;
    double t[6];
    int rc;
    if ((rc = proof_parse(record, name, page, &rec, t, &boxes, err)))
        goto out;
    if (len == 0) {
        rc = st_error_set(err, ST_ERR_IO, "proof: %s: cannot read: empty file", name);
        goto out;
    }
    double ddpi = m->settings.scan_dpi > 0 ? m->settings.scan_dpi : 300;
    double sdpi = record_num(rec, "image", "dpi"), want = (sdpi > 0 ? sdpi : ddpi) * scale;
    int f = 1;
    if ((rc = st_decoder_open(bytes, len, name, &d, err)) ||
        (rc = scale < 1 ? st_decoder_read_ink_shrunk(d, page, ddpi, want, want, &ink, &sh,
                                                     &small, &f, NULL, err)
                        : st_decoder_read_ink(d, page, ddpi, &ink, NULL, err)))
        goto out;
    const st_image *img = scale < 1 ? &small : &ink;
    /* What is left of the scale after the decoder's (1 when its factor
     * was exact, as for half a 200 or 300 dpi page; at full size always). */
    double rest = scale < 1 && img->dpi > 0 && fabs(want / img->dpi - 1) > 1e-9
                      ? want / img->dpi
                      : 1;
    /* The transform's pixels are those registration worked at (a JPEG
     * page may have been counted at a reduced scale). */
    double rdpi = record_num(rec, "registration", "dpi");
    if (!(rdpi > 0))
        rdpi = img->dpi > 0 ? img->dpi : ddpi;
    int q = upright ? quarter_of(t) : 0;
    int tw = q % 2 ? img->h : img->w, th = q % 2 ? img->w : img->h;
    int w = (int)(tw * rest + 0.5), h = (int)(th * rest + 0.5);
    page_surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, tw, th);
    surf = rest == 1 ? cairo_surface_reference(page_surf)
                     : cairo_image_surface_create(CAIRO_FORMAT_RGB24, w > 0 ? w : 1, h > 0 ? h : 1);
    if (cairo_surface_status(page_surf) != CAIRO_STATUS_SUCCESS ||
        cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        rc = st_error_set(err, ST_ERR_NOMEM, "proof: out of memory");
        goto out;
    }
    /* Grey paper from the ink, turned as turn() does while it is copied:
     * each row of the turned page is a row or a column of the ink, walked
     * one way or the other (cheaper than a second surface and a paint). */
    cairo_surface_flush(page_surf);
    uint8_t *px = cairo_image_surface_get_data(page_surf);
    int stride = cairo_image_surface_get_stride(page_surf);
    ptrdiff_t is = (ptrdiff_t)img->stride, iw = img->w, ih = img->h;
    for (int y = 0; y < th; y++) {
        uint32_t *row = (uint32_t *)(px + (size_t)y * (size_t)stride);
        const uint8_t *in;
        ptrdiff_t step;
        switch (q) {
        case 1: in = img->px + (iw - 1 - y), step = is; break;
        case 2: in = img->px + (ih - 1 - y) * is + (iw - 1), step = -1; break;
        case 3: in = img->px + (ih - 1) * is + y, step = -is; break;
        default: in = img->px + y * is, step = 1;
        }
        for (int x = 0; x < tw; x++) {
            uint32_t g = 255u - in[x * step];
            row[x] = (g << 16) | (g << 8) | g;
        }
    }
    cairo_surface_mark_dirty(page_surf);
    cr = cairo_create(surf);
    cairo_scale(cr, rest, rest);
    if (rest != 1) {
        cairo_set_source_surface(cr, page_surf, 0, 0);
        cairo_paint(cr);
    }
    /* The ink's pixels to the turned page's, as turn() maps them. */
    static const double turns[4][4] = {{1, 0, 0, 1}, {0, -1, 1, 0}, {-1, 0, 0, -1},
                                       {0, 1, -1, 0}};
    double x0 = 0, y0 = 0;
    turn(q, img->w, img->h, 0, 0, &x0, &y0);
    cairo_matrix_t mx;
    cairo_matrix_init(&mx, turns[q][0], turns[q][1], turns[q][2], turns[q][3], x0, y0);
    cairo_transform(cr, &mx);
    double k = img->dpi > 0 ? img->dpi / rdpi : 1;
    cairo_scale(cr, k, k);
    /* Lines about 0.4 mm wide, in the transform's pixels. */
    draw_boxes(cr, m, t, boxes, rdpi / 60);
    cairo_surface_flush(surf);
    *out = surf;
    surf = NULL;
out:
    if (cr)
        cairo_destroy(cr);
    if (surf)
        cairo_surface_destroy(surf);
    if (page_surf)
        cairo_surface_destroy(page_surf);
    free(ink.px);
    free(small.px);
    st_shrink_free(&sh);
    st_decoder_close(d);
    json_object_put(rec);
    return rc;
}

int st_proof_png(const st_model *m, const void *bytes, size_t len, const char *name,
                 int page, const char *record, const char *png_path, st_error *err)
{
    cairo_surface_t *surf = NULL;
    int rc = render(m, bytes, len, name, page, record, 1, 0, &surf, err);
    if (!rc && cairo_surface_write_to_png(surf, png_path) != CAIRO_STATUS_SUCCESS)
        rc = st_error_set(err, ST_ERR_IO, "proof: %s: cannot write", png_path);
    if (surf)
        cairo_surface_destroy(surf);
    return rc;
}

/* surf (RGB24) as a PNG into *png (malloc'd) and *len, in libpng's fast
 * mode: no row filters, zlib level 3. cairo's own writer tries every
 * filter on every row at level 6, which was most of the desk's time for
 * a 200 dpi A3 page drawn at half size (about 45 of 58 ms); this takes
 * 11 ms for 72 KB instead of 42 KB, nothing on loopback or a sitting's
 * own network. The same pixels give the same bytes. */
static int png_of(cairo_surface_t *surf, unsigned char **png, size_t *len, st_error *err)
{
    int w = cairo_image_surface_get_width(surf), h = cairo_image_surface_get_height(surf);
    int stride = cairo_image_surface_get_stride(surf);
    const uint8_t *px = cairo_image_surface_get_data(surf);
    png_image im = {.version = PNG_IMAGE_VERSION, .width = (png_uint_32)w,
                    .height = (png_uint_32)h, .format = PNG_FORMAT_RGB,
                    .flags = PNG_IMAGE_FLAG_FAST};
    size_t cap = PNG_IMAGE_PNG_SIZE_MAX(im);
    uint8_t *rgb = malloc((size_t)w * 3 * (size_t)h);
    unsigned char *b = malloc(cap);
    int rc = ST_OK;
    if (!rgb || !b) {
        rc = st_error_set(err, ST_ERR_NOMEM, "proof: out of memory");
        goto out;
    }
    for (int y = 0; y < h; y++) {
        const uint32_t *in = (const uint32_t *)(px + (size_t)y * (size_t)stride);
        uint8_t *o = rgb + (size_t)y * (size_t)w * 3;
        for (int x = 0; x < w; x++) {
            o[3 * x] = (uint8_t)(in[x] >> 16);
            o[3 * x + 1] = (uint8_t)(in[x] >> 8);
            o[3 * x + 2] = (uint8_t)in[x];
        }
    }
    png_alloc_size_t n = cap;
    if (!png_image_write_to_memory(&im, b, &n, 0, rgb, 0, NULL)) {
        rc = st_error_set(err, ST_ERR_NOMEM, "proof: cannot encode the PNG: %s", im.message);
        goto out;
    }
    unsigned char *fit = realloc(b, n ? n : 1);
    *png = fit ? fit : b;
    *len = n;
    b = NULL;
out:
    png_image_free(&im);
    free(b);
    free(rgb);
    return rc;
}

int st_proof_png_mem(const st_model *m, const void *bytes, size_t len, const char *name,
                     int page, const char *record, double scale, unsigned char **png,
                     size_t *png_len, st_error *err)
{
    cairo_surface_t *surf = NULL;
    if (!(scale > 0 && scale <= 1))
        return st_error_set(err, ST_ERR_ARG, "proof: the scale must be above 0 and at most 1");
    int rc = render(m, bytes, len, name, page, record, scale, 1, &surf, err);
    if (!rc)
        rc = png_of(surf, png, png_len, err);
    if (surf)
        cairo_surface_destroy(surf);
    return rc;
}

/* The record's page size in the transform's pixels: its image, at the
 * resolution registration worked at. */
static int page_size(json_object *rec, double *w, double *h)
{
    json_object *img = NULL, *reg = NULL, *v = NULL;
    if (!json_object_object_get_ex(rec, "image", &img) ||
        !json_object_object_get_ex(rec, "registration", &reg))
        return -1;
    double iw = json_object_object_get_ex(img, "w", &v) ? json_object_get_double(v) : 0;
    double ih = json_object_object_get_ex(img, "h", &v) ? json_object_get_double(v) : 0;
    double idpi = json_object_object_get_ex(img, "dpi", &v) ? json_object_get_double(v) : 0;
    double rdpi = json_object_object_get_ex(reg, "dpi", &v) ? json_object_get_double(v) : 0;
    double k = idpi > 0 && rdpi > 0 ? rdpi / idpi : 1;
    *w = iw * k;
    *h = ih * k;
    return *w > 0 && *h > 0 ? 0 : -1;
}

int st_proof_areas(const st_model *m, const char *record, st_proof_area *areas, int max,
                   st_error *err)
{
    json_object *rec = NULL, *boxes = NULL;
    double t[6], pw, ph;
    int rc = proof_parse(record, "the ballot", 0, &rec, t, &boxes, err), n = 0;
    if (rc)
        goto out;
    if (page_size(rec, &pw, &ph)) {
        rc = st_error_set(err, ST_ERR_INVALID, "proof: the record has no page size");
        goto out;
    }
    int q = quarter_of(t);
    double uw = q % 2 ? ph : pw, uh = q % 2 ? pw : ph;
    size_t nb = json_object_array_length(boxes);
    for (size_t i = 0; i < nb && (int)i < m->n_targets && n < max; i++) {
        json_object *b = json_object_array_get_idx(boxes, i), *v = NULL;
        const char *state = json_object_object_get_ex(b, "state", &v) ? json_object_get_string(v)
                                                                       : "";
        if (strcmp(state, "marked") && strcmp(state, "marginal"))
            continue;
        const st_rect *r = &m->targets[i].rect;
        double x0 = 1e300, y0 = 1e300, x1 = -1e300, y1 = -1e300;
        for (int k = 0; k < 4; k++) {
            double px, py, ux, uy;
            map(t, r->x + (k == 1 || k == 2 ? r->w : 0), r->y + (k >= 2 ? r->h : 0), &px, &py);
            turn(q, pw, ph, px, py, &ux, &uy);
            x0 = fmin(x0, ux), y0 = fmin(y0, uy), x1 = fmax(x1, ux), y1 = fmax(y1, uy);
        }
        double mx = (x1 - x0) / 2, my = (y1 - y0) / 2;
        x0 = fmax(0, x0 - mx), y0 = fmax(0, y0 - my);
        x1 = fmin(uw, x1 + mx), y1 = fmin(uh, y1 + my);
        st_proof_area *a = &areas[n++];
        snprintf(a->id, sizeof a->id, "%s", m->targets[i].id);
        snprintf(a->state, sizeof a->state, "%s", state);
        a->score = json_object_object_get_ex(b, "score", &v) ? json_object_get_double(v) : 0;
        a->x = x0 / uw;
        a->y = y0 / uh;
        a->w = x1 > x0 ? (x1 - x0) / uw : 0;
        a->h = y1 > y0 ? (y1 - y0) / uh : 0;
    }
    rc = n;
out:
    json_object_put(rec);
    return rc;
}
