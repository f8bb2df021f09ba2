/* image.c - allocate, free and shrink 8-bit rasters
 *
 * The shrink is a plain block mean: one pass that adds each source row into
 * a row of column sums, then folds every factor columns; it is the only
 * full-page pass after decoding, so it is kept simple enough for the
 * compiler to vectorise.
 */
#include "stemtel/image.h"

#include <stdlib.h>
#include <string.h>

st_image *st_image_new(int w, int h, int channels, uint8_t fill)
{
    if (w <= 0 || h <= 0 || (channels != 1 && channels != 3) || w > 100000 ||
        h > 100000)
        return NULL;
    st_image *img = calloc(1, sizeof *img);
    if (!img)
        return NULL;
    img->w = w;
    img->h = h;
    img->channels = channels;
    img->stride = (size_t)w * (size_t)channels;
    img->px = malloc(img->stride * (size_t)h);
    if (!img->px) {
        free(img);
        return NULL;
    }
    memset(img->px, fill, img->stride * (size_t)h);
    return img;
}

void st_image_free(st_image *img)
{
    if (!img)
        return;
    free(img->px);
    free(img);
}

int st_image_shrink(const st_image *src, int factor, st_image *dst)
{
    if (!src || !dst || src->channels != 1 || factor < 1)
        return -1;
    int f = factor, w = (src->w + f - 1) / f, h = (src->h + f - 1) / f;
    size_t need = (size_t)w * (size_t)h;
    /* Every allocation first, so a failure leaves dst as it was. */
    uint32_t *col = malloc((size_t)src->w * sizeof *col);
    if (!col)
        return -1;
    if (!dst->px || dst->stride * (size_t)dst->h < need) {
        uint8_t *p = realloc(dst->px, need);
        if (!p) {
            free(col);
            return -1;
        }
        dst->px = p;
    }
    dst->w = w;
    dst->h = h;
    dst->channels = 1;
    dst->stride = (size_t)w;
    dst->dpi = src->dpi / f;
    for (int cy = 0; cy < h; cy++) {
        int y0 = cy * f, y1 = y0 + f < src->h ? y0 + f : src->h;
        /* restrict: without it the compiler must assume the bytes may
         * alias the sums and adds one pixel at a time. The first row sets
         * the sums, so they need no clearing. */
        uint32_t *restrict sums = col;
        const uint8_t *restrict first = src->px + (size_t)y0 * src->stride;
        for (int x = 0; x < src->w; x++)
            sums[x] = first[x];
        for (int y = y0 + 1; y < y1; y++) {
            const uint8_t *restrict row = src->px + (size_t)y * src->stride;
            for (int x = 0; x < src->w; x++)
                sums[x] += row[x];
        }
        uint8_t *out = dst->px + (size_t)cy * dst->stride;
        /* Rounded mean of n pixels. A division per output pixel was a
         * third of the shrink; multiplying by ceil(2^32 / n) and keeping
         * the high word gives the same quotient for every sum a block can
         * have (checked exhaustively for n up to 144, factor 12). */
        uint32_t n = (uint32_t)(f * (y1 - y0));
        uint64_t inv = ((1ull << 32) + n - 1) / n;
        int full = n <= 144 ? src->w / f : 0;
        for (int cx = 0; cx < full; cx++) {
            const uint32_t *c = col + (size_t)cx * f;
            uint32_t sum = 0;
            for (int i = 0; i < f; i++)
                sum += c[i];
            out[cx] = (uint8_t)(((sum + n / 2) * inv) >> 32);
        }
        for (int cx = full; cx < w; cx++) { /* the last block, or all */
            int x0 = cx * f, x1 = x0 + f < src->w ? x0 + f : src->w;
            uint32_t sum = 0, nn = (uint32_t)((x1 - x0) * (y1 - y0));
            for (int x = x0; x < x1; x++)
                sum += col[x];
            out[cx] = (uint8_t)((sum + nn / 2) / nn);
        }
    }
    free(col);
    return 0;
}
