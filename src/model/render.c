/* render.c - draw a ballot model with cairo
 *
 * One drawing routine, st_render_draw, paints the ballot in millimetres;
 * the PDF, the blank rasters and synth's marked ballots all call it with
 * their own surface and transform. Box outlines are stroked inside each
 * box's rectangle, so rect in the model is the outer edge of the ink.
 * Labels are set in DejaVu Sans (installed by scripts/setup), one size per
 * kind of box: the largest at which every label of that kind fits.
 */
#include "stemtel/render.h"
#include "stemtel/tiffout.h"

#include <cairo-pdf.h>
#include <math.h>
#include <string.h>
#include <strings.h>

#define ST_FONT "DejaVu Sans"

/* The largest font size at which text fits r: 0.9 of r's height, less if
 * the text is too wide. */
static double fit_size(cairo_t *cr, const char *text, st_rect r)
{
    cairo_text_extents_t ext;
    double size = r.h * 0.9;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, text, &ext);
    if (ext.x_advance > r.w && ext.x_advance > 0)
        size *= r.w / ext.x_advance;
    return size;
}

/* Set text into r at the given size, left-aligned, its ink centred
 * vertically. */
static void draw_label(cairo_t *cr, const char *text, st_rect r, double size)
{
    cairo_text_extents_t ext;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, text, &ext);
    cairo_move_to(cr, r.x, r.y + r.h / 2 - (ext.y_bearing + ext.height / 2));
    cairo_show_text(cr, text);
}

int st_render_draw(const st_model *m, cairo_t *cr, st_error *err)
{
    double o = m->settings.outline_mm;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 0, 0, m->paper_w, m->paper_h);
    cairo_fill(cr);

    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int i = 0; i < m->n_fiducials; i++) {
        st_rect r = m->fiducials[i].rect;
        cairo_rectangle(cr, r.x, r.y, r.w, r.h);
    }
    cairo_fill(cr);

    cairo_set_line_width(cr, o);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
    for (int i = 0; i < m->n_targets; i++) {
        st_rect r = m->targets[i].rect;
        cairo_rectangle(cr, r.x + o / 2, r.y + o / 2, r.w - o, r.h - o);
    }
    cairo_stroke(cr);

    /* One type size per kind of box (the largest every label of that kind
     * fits at), so a long party name does not make its neighbours look odd. */
    cairo_select_font_face(cr, ST_FONT, CAIRO_FONT_SLANT_NORMAL,
                           CAIRO_FONT_WEIGHT_NORMAL);
    double size[2] = {1e9, 1e9};
    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i];
        if (t->label && *t->label) {
            double f = fit_size(cr, t->label, t->label_rect);
            if (f < size[t->kind])
                size[t->kind] = f;
        }
    }
    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i];
        if (t->label && *t->label)
            draw_label(cr, t->label, t->label_rect, size[t->kind]);
    }

    cairo_restore(cr);
    cairo_status_t cs = cairo_status(cr);
    if (cs != CAIRO_STATUS_SUCCESS)
        return st_error_set(err, ST_ERR_INVALID, "render: cairo: %s",
                            cairo_status_to_string(cs));
    return ST_OK;
}

static int check_dpi(int dpi, st_error *err)
{
    if (dpi < ST_RENDER_DPI_MIN || dpi > ST_RENDER_DPI_MAX)
        return st_error_set(err, ST_ERR_ARG,
                            "render: --dpi %d is out of range (%d to %d)", dpi,
                            ST_RENDER_DPI_MIN, ST_RENDER_DPI_MAX);
    return ST_OK;
}

/* Draw d on a new RGB24 surface at dpi. */
static int raster_surface(const st_drawing *d, int dpi, cairo_surface_t **out,
                          st_error *err)
{
    int rc = check_dpi(dpi, err);
    if (rc)
        return rc;
    int w = st_mm_to_px(d->w_mm, dpi), h = st_mm_to_px(d->h_mm, dpi);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return st_error_set(err, ST_ERR_NOMEM, "render: cannot make a %d x %d raster",
                            w, h);
    }
    cairo_t *cr = cairo_create(s);
    cairo_scale(cr, dpi / 25.4, dpi / 25.4);
    rc = d->draw(d->what, cr, err);
    cairo_destroy(cr);
    cairo_surface_flush(s);
    if (rc) {
        cairo_surface_destroy(s);
        return rc;
    }
    *out = s;
    return ST_OK;
}

int st_drawing_grey(const st_drawing *d, int dpi, st_image **out, st_error *err)
{
    cairo_surface_t *s;
    int rc = raster_surface(d, dpi, &s, err);
    if (rc)
        return rc;
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    st_image *img = st_image_new(w, h, 1, 255);
    if (!img) {
        cairo_surface_destroy(s);
        return st_error_set(err, ST_ERR_NOMEM, "render: out of memory");
    }
    img->dpi = dpi;
    const unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        uint8_t *dst = img->px + (size_t)y * img->stride;
        for (int x = 0; x < w; x++) {
            uint32_t p = row[x];
            unsigned r = (p >> 16) & 255, g = (p >> 8) & 255, b = p & 255;
            dst[x] = (uint8_t)((77 * r + 150 * g + 29 * b + 128) >> 8);
        }
    }
    cairo_surface_destroy(s);
    *out = img;
    return ST_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

int st_drawing_pdf(const st_drawing *pages, int n, const char *path, st_error *err)
{
    double pt = 72.0 / 25.4;
    if (n < 1)
        return st_error_set(err, ST_ERR_ARG, "render: %s: no pages", path);
    cairo_surface_t *s = cairo_pdf_surface_create(path, pages[0].w_mm * pt, pages[0].h_mm * pt);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        int rc = st_error_set(err, ST_ERR_IO, "render: %s: cannot create PDF: %s",
                              path, cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return rc;
    }
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE,
                                   pages[0].title ? pages[0].title : "");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "stemtel");
    cairo_t *cr = cairo_create(s);
    int rc = ST_OK;
    for (int i = 0; i < n && !rc; i++) {
        cairo_pdf_surface_set_size(s, pages[i].w_mm * pt, pages[i].h_mm * pt);
        cairo_save(cr);
        cairo_scale(cr, pt, pt);
        rc = pages[i].draw(pages[i].what, cr, err);
        cairo_restore(cr);
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (!rc && cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        rc = st_error_set(err, ST_ERR_IO, "render: %s: %s", path,
                          cairo_status_to_string(cairo_surface_status(s)));
    cairo_surface_destroy(s);
    return rc;
}

int st_drawing_file(const st_drawing *d, const char *path, int dpi, st_error *err)
{
    if (ends_with(path, ".pdf"))
        return st_drawing_pdf(d, 1, path, err);
    if (ends_with(path, ".png")) {
        cairo_surface_t *s;
        int rc = raster_surface(d, dpi, &s, err);
        if (rc)
            return rc;
        cairo_status_t cs = cairo_surface_write_to_png(s, path);
        cairo_surface_destroy(s);
        if (cs != CAIRO_STATUS_SUCCESS)
            return st_error_set(err, ST_ERR_IO, "render: %s: cannot write PNG: %s",
                                path, cairo_status_to_string(cs));
        return ST_OK;
    }
    if (ends_with(path, ".tif") || ends_with(path, ".tiff")) {
        st_image *img;
        int rc = st_drawing_grey(d, dpi, &img, err);
        if (rc)
            return rc;
        rc = st_tiff_write(path, img, ST_TIFF_GREY_LZW, 0, err);
        st_image_free(img);
        return rc;
    }
    return st_error_set(err, ST_ERR_ARG,
                        "render: %s: unknown output type; use .pdf, .png, .tif or .tiff",
                        path);
}

static int draw_model(const void *what, cairo_t *cr, st_error *err)
{
    return st_render_draw(what, cr, err);
}

static st_drawing model_drawing(const st_model *m)
{
    return (st_drawing){m->paper_w, m->paper_h, m->election_name, draw_model, m};
}

int st_render_grey(const st_model *m, int dpi, st_image **out, st_error *err)
{
    st_drawing d = model_drawing(m);
    return st_drawing_grey(&d, dpi, out, err);
}

int st_render_file(const st_model *m, const char *path, int dpi,
                   st_error *err)
{
    st_drawing d = model_drawing(m);
    return st_drawing_file(&d, path, dpi, err);
}
