/* image.c - allocate, free and shrink 8-bit rasters
 *
 * The shrink is a plain block mean: each source row is added into a row of
 * column sums, and every factor rows those are folded every factor columns
 * into an output row. It takes rows one at a time, so the decoder can fold
 * each ink row in while it is still in cache; the loops are kept simple
 * enough for the compiler to vectorise.
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

int st_shrink_begin(st_shrink *s, int src_w, int src_h, double src_dpi,
                    int factor, st_image *dst)
{
    if (!s || !dst || factor < 1 || factor > 257 || src_w < 1 || src_h < 1)
        return -1;
    int f = factor, w = (src_w + f - 1) / f, h = (src_h + f - 1) / f;
    size_t need = (size_t)w * (size_t)h;
    /* Every allocation first, so a failure leaves dst as it was. */
    if (s->col_cap < (size_t)src_w) {
        uint16_t *c = realloc(s->col, (size_t)src_w * sizeof *c);
        if (!c)
            return -1;
        s->col = c;
        s->col_cap = (size_t)src_w;
    }
    if (!dst->px || dst->stride * (size_t)dst->h < need) {
        uint8_t *p = realloc(dst->px, need);
        if (!p)
            return -1;
        dst->px = p;
    }
    dst->w = w;
    dst->h = h;
    dst->channels = 1;
    dst->stride = (size_t)w;
    dst->dpi = src_dpi / f;
    s->dst = dst;
    s->f = f;
    s->src_w = src_w;
    s->src_h = src_h;
    s->y = 0;
    return 0;
}

/* Output pixels 0..full-1 from whole blocks of f columns of n pixels. */
static inline __attribute__((always_inline)) void
fold(const uint16_t *restrict col, uint8_t *restrict out, int full, int f,
     uint32_t n, uint64_t inv)
{
    for (int cx = 0; cx < full; cx++) {
        const uint16_t *c = col + (size_t)cx * f;
        uint32_t sum = 0;
        for (int i = 0; i < f; i++)
            sum += c[i];
        out[cx] = (uint8_t)(((sum + n / 2) * inv) >> 32);
    }
}

/* Write output row cy from the column sums of n source rows. */
static void shrink_emit(const st_shrink *s, int cy, int n_rows)
{
    int f = s->f, sw = s->src_w, w = s->dst->w;
    const uint16_t *col = s->col;
    uint8_t *out = s->dst->px + (size_t)cy * s->dst->stride;
    /* Rounded mean of n pixels. A division per output pixel was a third
     * of the shrink; multiplying by ceil(2^32 / n) and keeping the high
     * word gives the same quotient for every sum a block can have
     * (checked exhaustively for n up to 144, factor 12). */
    uint32_t n = (uint32_t)(f * n_rows);
    uint64_t inv = ((1ull << 32) + n - 1) / n;
    int full = n <= 144 ? sw / f : 0;
    /* The factors of 150 to 300 dpi pages get a loop with f known, which
     * the compiler unrolls. */
    switch (f) {
    case 2: fold(col, out, full, 2, n, inv); break;
    case 3: fold(col, out, full, 3, n, inv); break;
    case 4: fold(col, out, full, 4, n, inv); break;
    case 6: fold(col, out, full, 6, n, inv); break;
    default: fold(col, out, full, f, n, inv); break;
    }
    for (int cx = full; cx < w; cx++) { /* the last block, or all */
        int x0 = cx * f, x1 = x0 + f < sw ? x0 + f : sw;
        uint32_t sum = 0, nn = (uint32_t)((x1 - x0) * n_rows);
        for (int x = x0; x < x1; x++)
            sum += col[x];
        out[cx] = (uint8_t)((sum + nn / 2) / nn);
    }
}

void st_shrink_rows(st_shrink *s, const uint8_t *rows, size_t stride, int n)
{
    int sw = s->src_w;
    for (int r = 0; r < n && s->y < s->src_h; r++, s->y++) {
        int in_block = s->y % s->f;
        /* restrict: without it the compiler must assume the bytes may
         * alias the sums and adds one pixel at a time. The block's first
         * row sets the sums, so they need no clearing. 16-bit sums (f rows
         * of 255 fit) add twice the pixels per instruction of 32-bit. */
        uint16_t *restrict sums = s->col;
        const uint8_t *restrict row = rows + (size_t)r * stride;
        if (in_block == 0)
            for (int x = 0; x < sw; x++)
                sums[x] = row[x];
        else
            for (int x = 0; x < sw; x++)
                sums[x] += row[x];
        if (in_block == s->f - 1 || s->y == s->src_h - 1)
            shrink_emit(s, s->y / s->f, in_block + 1);
    }
}

void st_shrink_free(st_shrink *s)
{
    if (!s)
        return;
    free(s->col);
    s->col = NULL;
    s->col_cap = 0;
}

int st_image_shrink(const st_image *src, int factor, st_image *dst)
{
    if (!src || !dst || src->channels != 1 || factor < 1)
        return -1;
    st_shrink s = {0};
    if (st_shrink_begin(&s, src->w, src->h, src->dpi, factor, dst))
        return -1;
    st_shrink_rows(&s, src->px, src->stride, src->h);
    st_shrink_free(&s);
    return 0;
}
