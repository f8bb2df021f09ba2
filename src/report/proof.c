/* proof.c - a stored page drawn with its boxes and scores, for people
 *
 * The page is decoded to ink like any other, turned back into grey paper
 * on a cairo RGB surface, and each target's rectangle (model mm) is mapped
 * through the six numbers of the stored transform and stroked in the
 * colour of its stored state, with the score written above it. Only the
 * stored record is drawn: nothing is measured again here. The caller
 * reads the file: the report layer knows no files of pages.
 */
#include "stemtel/proof.h"
#include "stemtel/decode.h"

#include <cairo.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void map(const double t[6], double x, double y, double *px, double *py)
{
    *px = t[0] * x + t[1] * y + t[2];
    *py = t[3] * x + t[4] * y + t[5];
}

/* Stroke every box of the record on cr. */
static void draw_boxes(cairo_t *cr, const st_model *m, const double t[6], json_object *boxes,
                       double line)
{
    cairo_set_line_width(cr, line);
    cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, line * 7);
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
        cairo_move_to(cr, x[0], y[0] - line);
        cairo_show_text(cr, label);
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

/* The page drawn with its boxes at scale (1: the scan's own pixels) into
 * *out, the caller's surface. */
static int render(const st_model *m, const void *bytes, size_t len, const char *name, int page,
                  const char *record, double scale, cairo_surface_t **out, st_error *err)
{
    json_object *rec = NULL, *boxes = NULL;
    st_decoder *d = NULL;
    st_image ink = {0};
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
    if ((rc = st_decoder_open(bytes, len, name, &d, err)) ||
        (rc = st_decoder_read_ink(d, page, m->settings.scan_dpi > 0 ? m->settings.scan_dpi : 300,
                                     &ink, NULL, err)))
        goto out;
    int w = (int)(ink.w * scale + 0.5), h = (int)(ink.h * scale + 0.5);
    page_surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, ink.w, ink.h);
    surf = scale == 1 ? cairo_surface_reference(page_surf)
                      : cairo_image_surface_create(CAIRO_FORMAT_RGB24, w > 0 ? w : 1, h > 0 ? h : 1);
    if (cairo_surface_status(page_surf) != CAIRO_STATUS_SUCCESS ||
        cairo_surface_status(surf) != CAIRO_STATUS_SUCCESS) {
        rc = st_error_set(err, ST_ERR_NOMEM, "proof: out of memory");
        goto out;
    }
    cairo_surface_flush(page_surf);
    uint8_t *px = cairo_image_surface_get_data(page_surf);
    int stride = cairo_image_surface_get_stride(page_surf);
    for (int y = 0; y < ink.h; y++) {
        uint32_t *row = (uint32_t *)(px + (size_t)y * (size_t)stride);
        const uint8_t *in = ink.px + (size_t)y * ink.stride;
        for (int x = 0; x < ink.w; x++) {
            uint32_t g = 255u - in[x];
            row[x] = (g << 16) | (g << 8) | g;
        }
    }
    cairo_surface_mark_dirty(page_surf);
    cr = cairo_create(surf);
    if (scale != 1) {
        cairo_scale(cr, scale, scale);
        cairo_set_source_surface(cr, page_surf, 0, 0);
        cairo_paint(cr);
    }
    /* Lines about 0.4 mm wide at the page's resolution. */
    draw_boxes(cr, m, t, boxes, ink.dpi > 0 ? ink.dpi / 60 : 4);
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
    st_decoder_close(d);
    json_object_put(rec);
    return rc;
}

int st_proof_png(const st_model *m, const void *bytes, size_t len, const char *name,
                 int page, const char *record, const char *png_path, st_error *err)
{
    cairo_surface_t *surf = NULL;
    int rc = render(m, bytes, len, name, page, record, 1, &surf, err);
    if (!rc && cairo_surface_write_to_png(surf, png_path) != CAIRO_STATUS_SUCCESS)
        rc = st_error_set(err, ST_ERR_IO, "proof: %s: cannot write", png_path);
    if (surf)
        cairo_surface_destroy(surf);
    return rc;
}

typedef struct png_buf {
    unsigned char *b;
    size_t len, cap;
} png_buf;

static cairo_status_t png_write(void *ctx, const unsigned char *data, unsigned int n)
{
    png_buf *p = ctx;
    if (p->len + n > p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1 << 20;
        while (cap < p->len + n)
            cap *= 2;
        unsigned char *nb = realloc(p->b, cap);
        if (!nb)
            return CAIRO_STATUS_NO_MEMORY;
        p->b = nb;
        p->cap = cap;
    }
    memcpy(p->b + p->len, data, n);
    p->len += n;
    return CAIRO_STATUS_SUCCESS;
}

int st_proof_png_mem(const st_model *m, const void *bytes, size_t len, const char *name,
                     int page, const char *record, double scale, unsigned char **png,
                     size_t *png_len, st_error *err)
{
    cairo_surface_t *surf = NULL;
    png_buf p = {0};
    if (!(scale > 0 && scale <= 1))
        return st_error_set(err, ST_ERR_ARG, "proof: the scale must be above 0 and at most 1");
    int rc = render(m, bytes, len, name, page, record, scale, &surf, err);
    if (!rc && cairo_surface_write_to_png_stream(surf, png_write, &p) != CAIRO_STATUS_SUCCESS)
        rc = st_error_set(err, ST_ERR_NOMEM, "proof: out of memory");
    if (surf)
        cairo_surface_destroy(surf);
    if (rc) {
        free(p.b);
        return rc;
    }
    *png = p.b;
    *png_len = p.len;
    return ST_OK;
}
