/* render.h - draw a ballot model: printable PDF and blank rasters
 *
 * All drawing goes through st_render_draw, which paints the ballot in mm on
 * any cairo context; the PDF, the blank rasters and the synthetic marked
 * ballots (synth.c) are made by giving it different surfaces and transforms,
 * so they agree with the model's geometry to the rasteriser's precision.
 */
#ifndef STEMTEL_RENDER_H
#define STEMTEL_RENDER_H

#include <cairo.h>

#include "stemtel/error.h"
#include "stemtel/image.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ST_RENDER_DPI_MIN 150
#define ST_RENDER_DPI_MAX 600

/* Paint the blank ballot onto cr. The caller sets cr's transform so that
 * user space is millimetres with the origin at the page's top-left corner;
 * the page is filled white, then registration marks, box outlines and
 * labels are drawn in black. Returns ST_OK or ST_ERR_INVALID if cairo
 * reports an error. Thread-safe for distinct contexts. */
int st_render_draw(const st_model *m, cairo_t *cr, st_error *err);

/* Any page drawn in mm by a callback: the ballot here, the separator sheet
 * (src/engine/sheet.c). draw paints `what` on cr, whose user space is mm
 * from the page's top-left corner, and returns ST_OK or an error. */
typedef int (*st_draw_fn)(const void *what, cairo_t *cr, st_error *err);
typedef struct st_drawing {
    double w_mm, h_mm;     /* page size */
    const char *title;     /* PDF title; may be NULL */
    st_draw_fn draw;
    const void *what;
} st_drawing;

/* The drawing as an 8-bit grey image at dpi (150..600), of
 * round(size_mm / 25.4 * dpi) pixels a side; *out is the caller's
 * (st_image_free). */
int st_drawing_grey(const st_drawing *d, int dpi, st_image **out, st_error *err);

/* The drawing to a file chosen by its extension: ".pdf" vector PDF at the
 * page size (dpi ignored), ".png" or ".tif"/".tiff" 8-bit grey raster at
 * dpi. Errors name the path. */
int st_drawing_file(const st_drawing *d, const char *path, int dpi, st_error *err);

/* n drawings (n >= 1) as the n pages of one vector PDF at path, each at
 * its own size; the first one's title is the document's. Errors name the
 * path. */
int st_drawing_pdf(const st_drawing *pages, int n, const char *path, st_error *err);

/* Render the blank ballot as an 8-bit grey image at dpi (150..600), of
 * round(paper_mm / 25.4 * dpi) pixels a side. *out is owned by the caller
 * (st_image_free). */
int st_render_grey(const st_model *m, int dpi, st_image **out, st_error *err);

/* Render to a file chosen by its extension: ".pdf" vector PDF at the
 * paper size (dpi ignored), ".png" or ".tif"/".tiff" blank 8-bit grey raster
 * at dpi. */
int st_render_file(const st_model *m, const char *path, int dpi,
                   st_error *err);

#ifdef __cplusplus
}
#endif

#endif
