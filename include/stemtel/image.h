/* image.h - an 8-bit raster in memory
 *
 * The one image type stemtel passes between modules: 1 channel (grey or
 * ink) or 3 channels (RGB, interleaved), rows `stride` bytes apart.
 */
#ifndef STEMTEL_IMAGE_H
#define STEMTEL_IMAGE_H

#include <stddef.h>
#include <stdint.h>

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
 * on bad arguments or no memory. Thread-safe. */
int st_image_shrink(const st_image *src, int factor, st_image *dst);

/* Pixels for a length in mm at dpi, rounded to nearest. */
static inline int st_mm_to_px(double mm, double dpi)
{
    double v = mm * dpi / 25.4;
    return (int)(v + (v >= 0 ? 0.5 : -0.5));
}

#endif
