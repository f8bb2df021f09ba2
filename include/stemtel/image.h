/* image.h - an 8-bit raster in memory
 *
 * The one image type stemtel passes between modules: 1 channel (grey or
 * ink) or 3 channels (RGB, interleaved), rows `stride` bytes apart.
 */
#ifndef STEMTEL_IMAGE_H
#define STEMTEL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct st_image {
    int w, h;
    int channels;      /* 1 or 3 */
    size_t stride;     /* bytes per row, >= w * channels */
    double dpi;        /* resolution the pixels were made at (0 = unknown) */
    uint8_t *px;       /* owned by the image */
} st_image;

/* Allocate a w x h image with the given channel count, filled with `fill`.
 * Returns NULL on bad arguments or no memory. Free with st_image_free. */
st_image *st_image_new(int w, int h, int channels, uint8_t fill);

/* Free an image. Accepts NULL. */
void st_image_free(st_image *img);

/* Shrink src (1 channel) by an integer factor, each output pixel the mean
 * of a factor x factor block (blocks at the right and bottom edges average
 * what they have). dst is resized to ceil(w/f) x ceil(h/f), reusing its
 * buffer when large enough (zero-initialise a new one). Returns 0, or -1
 * on bad arguments (factor outside 1..257) or no memory. Thread-safe. */
int st_image_shrink(const st_image *src, int factor, st_image *dst);

/* The same shrink fed a row at a time, so a decoder can fold each row in
 * while it is still in cache instead of reading the page again. Zero-
 * initialise an st_shrink once and reuse it page after page (its column
 * sums grow only when a page is wider); st_shrink_free releases them. */
typedef struct st_shrink {
    st_image *dst;
    int f, src_w, src_h, y;   /* y: rows fed so far */
    uint16_t *col;            /* per source column, the current block's sums */
    size_t col_cap;
} st_shrink;

/* Start shrinking a src_w x src_h page of resolution src_dpi by factor
 * (1..257, so a column of a block sums into 16 bits) into dst (resized as
 * st_image_shrink does). Returns 0, or -1 on bad arguments or no memory
 * (dst then unchanged). */
int st_shrink_begin(st_shrink *s, int src_w, int src_h, double src_dpi,
                    int factor, st_image *dst);

/* Feed the next n rows (stride bytes apart); dst's rows are written as
 * their blocks complete, the last one with the page's last row. Feeding
 * all src_h rows gives exactly st_image_shrink's output. */
void st_shrink_rows(st_shrink *s, const uint8_t *rows, size_t stride, int n);

/* Free a shrinker (not the image it writes). Accepts NULL. */
void st_shrink_free(st_shrink *s);

/* The integer shrink factor that brings dpi nearest to target_dpi (>= 1). */
static inline int st_shrink_factor(double dpi, double target_dpi)
{
    int f = (int)(dpi / target_dpi + 0.5);
    return f < 1 ? 1 : f;
}

/* Pixels for a length in mm at dpi, rounded to nearest. */
static inline int st_mm_to_px(double mm, double dpi)
{
    double v = mm * dpi / 25.4;
    return (int)(v + (v >= 0 ? 0.5 : -0.5));
}

#ifdef __cplusplus
}
#endif

#endif
