/* ink.h - turn one row of decoded samples into ink, and read it back (internal to engine/)
 *
 * The decoders (decode.c through libtiff, jpeg.c through libjpeg) hand
 * each decoded row to these functions, which write 8-bit ink: 0 = paper,
 * 255 = full ink. One-channel pages go through a 256-entry table built
 * once per page (bilevel a whole byte of eight pixels at a time); colour
 * is 255 - min(R,G,B), with SSSE3 or AVX2 when the processor has them.
 * Every instruction set gives the same bytes.
 */
#ifndef STEMTEL_ENGINE_INK_H
#define STEMTEL_ENGINE_INK_H

#include <stdint.h>

#include "stemtel/image.h"

/* How a page's rows become ink. INVERT and COPY are the grey table when
 * it is linear, written so that the compiler vectorises them. */
enum { ST_INK_BITS, ST_INK_LUT8, ST_INK_INVERT, ST_INK_COPY, ST_INK_RGB };

typedef struct st_ink_conv {
    int kind;               /* ST_INK_* */
    int spp;                /* samples per pixel of the decoded rows */
    int level;              /* RGB instruction set: 0 C, 1 SSSE3, 2 AVX2 */
    uint8_t lut[256];       /* sample value -> ink */
    uint8_t bitlut[256][8]; /* one byte of 1-bit samples -> 8 ink pixels */
} st_ink_conv;

/* The best RGB level (as st_decode_rgb_to_ink_level counts) this
 * processor runs. Thread-safe. */
int st_ink_best_level(void);

/* 255 - min(R,G,B) for n packed RGB pixels at level, which must be one
 * st_ink_best_level allows. Thread-safe. */
void st_ink_from_rgb(int level, const uint8_t *rgb, uint32_t n, uint8_t *ink);

/* Fill c's tables for a grey or bilevel page of bits (1 or 8) per sample,
 * white = 0 when white_is_zero. */
void st_ink_grey_table(st_ink_conv *c, int bits, int white_is_zero);

/* Fill c's tables from a palette of 1 << bits entries (16-bit channels,
 * or 8-bit values stored in them, as some writers do). */
void st_ink_palette_table(st_ink_conv *c, int bits, const uint16_t *r,
                          const uint16_t *g, const uint16_t *b);

/* Convert n pixels of one decoded row at src into ink at dst, as c says.
 * Reads c only: thread-safe for a c no one is changing. */
void st_ink_row(const st_ink_conv *c, const uint8_t *src, uint32_t n, uint8_t *dst);

/* The ink at (x, y) px of an ink image, 0 off the page. */
static inline int st_ink_at(const st_image *ink, double x, double y)
{
    /* Off the page to the left or top first: for x >= 0 a plain cast is
     * floor(), and without SSE4.1 floor() is a library call, which made
     * up most of the outline search's time. */
    if (!(x >= 0 && y >= 0))
        return 0;
    int ix = (int)x, iy = (int)y;
    if (ix >= ink->w || iy >= ink->h)
        return 0;
    return ink->px[(size_t)iy * ink->stride + (size_t)ix];
}

#endif
