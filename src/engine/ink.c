/* ink.c - turn one row of decoded samples into ink
 *
 * One-channel rows are looked up in the page's table (bilevel eight pixels
 * per byte through a second table), linear grey is inverted or copied in
 * plain loops the compiler vectorises, and colour is 255 - min(R,G,B).
 * Converting out of a small, cache-warm strip buffer measured faster than
 * decoding into the ink rows and fixing them up in place, so the decoders
 * call this once per row. The colour loop has hand-written SSSE3 and AVX2
 * versions, chosen once per decoder; all of them give the same bytes.
 */
#include "engine/ink.h"

#include <string.h>

#include "stemtel/decode.h"

/* 255 - min(R,G,B) for packed RGB. The compiler does not vectorise the
 * stride-3 loads, and this loop was a third of a colour page's time, so on
 * x86 with SSSE3 sixteen pixels at a time are pulled apart with byte
 * shuffles; the plain loop finishes the row and serves other machines.
 * Both give the same bytes. */
static void rgb_to_ink_plain(const uint8_t *src, uint32_t n, uint8_t *dst)
{
    for (uint32_t x = 0; x < n; x++) {
        uint8_t r = src[3 * x], gr = src[3 * x + 1], b = src[3 * x + 2];
        uint8_t m = r < gr ? r : gr;
        dst[x] = (uint8_t)(255 - (m < b ? m : b));
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* For each of 16 pixels in 48 bytes (blocks a, b, c), where its red,
 * green and blue bytes lie in each block; -1 zeroes the lane. */
#define Z -1
#define ST_RGB_MASKS(set)                                                       \
    const __m128i ra = set(0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);   \
    const __m128i rb = set(Z, Z, Z, Z, Z, Z, 2, 5, 8, 11, 14, Z, Z, Z, Z, Z);   \
    const __m128i rc = set(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 1, 4, 7, 10, 13);   \
    const __m128i ga = set(1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);   \
    const __m128i gb = set(Z, Z, Z, Z, Z, 0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z);   \
    const __m128i gc = set(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 2, 5, 8, 11, 14);   \
    const __m128i ba = set(2, 5, 8, 11, 14, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);   \
    const __m128i bb = set(Z, Z, Z, Z, Z, 1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z);   \
    const __m128i bc = set(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 0, 3, 6, 9, 12, 15)

__attribute__((target("ssse3")))
static void rgb_to_ink_ssse3(const uint8_t *src, uint32_t n, uint8_t *dst)
{
    ST_RGB_MASKS(_mm_setr_epi8);
    const __m128i all = _mm_set1_epi8(-1);
    uint32_t x = 0;
    for (; x + 16 <= n; x += 16) {
        const uint8_t *p = src + 3 * (size_t)x;
        __m128i a = _mm_loadu_si128((const __m128i *)p);
        __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
        __m128i r = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ra), _mm_shuffle_epi8(b, rb)),
                                 _mm_shuffle_epi8(c, rc));
        __m128i g = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ga), _mm_shuffle_epi8(b, gb)),
                                 _mm_shuffle_epi8(c, gc));
        __m128i bl = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ba), _mm_shuffle_epi8(b, bb)),
                                  _mm_shuffle_epi8(c, bc));
        __m128i m = _mm_min_epu8(_mm_min_epu8(r, g), bl);
        _mm_storeu_si128((__m128i *)(dst + x), _mm_xor_si128(m, all)); /* 255 - m */
    }
    rgb_to_ink_plain(src + 3 * (size_t)x, n - x, dst + x);
}

/* The same with 32 pixels at a time: AVX2 shuffles within each 128-bit
 * half, so the low half takes pixels 0..15 and the high half 16..31, each
 * with the masks above. */
__attribute__((target("avx2")))
static void rgb_to_ink_avx2(const uint8_t *src, uint32_t n, uint8_t *dst)
{
    ST_RGB_MASKS(_mm_setr_epi8);
    const __m256i all = _mm256_set1_epi8(-1);
#define ST_BOTH(v) _mm256_broadcastsi128_si256(v)
    const __m256i ra2 = ST_BOTH(ra), rb2 = ST_BOTH(rb), rc2 = ST_BOTH(rc);
    const __m256i ga2 = ST_BOTH(ga), gb2 = ST_BOTH(gb), gc2 = ST_BOTH(gc);
    const __m256i ba2 = ST_BOTH(ba), bb2 = ST_BOTH(bb), bc2 = ST_BOTH(bc);
#undef ST_BOTH
    uint32_t x = 0;
    for (; x + 32 <= n; x += 32) {
        const uint8_t *p = src + 3 * (size_t)x;
        __m256i a = _mm256_loadu2_m128i((const __m128i *)(p + 48), (const __m128i *)p);
        __m256i b = _mm256_loadu2_m128i((const __m128i *)(p + 64), (const __m128i *)(p + 16));
        __m256i c = _mm256_loadu2_m128i((const __m128i *)(p + 80), (const __m128i *)(p + 32));
        __m256i r = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, ra2),
                                                    _mm256_shuffle_epi8(b, rb2)),
                                    _mm256_shuffle_epi8(c, rc2));
        __m256i g = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, ga2),
                                                    _mm256_shuffle_epi8(b, gb2)),
                                    _mm256_shuffle_epi8(c, gc2));
        __m256i bl = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, ba2),
                                                     _mm256_shuffle_epi8(b, bb2)),
                                     _mm256_shuffle_epi8(c, bc2));
        __m256i m = _mm256_min_epu8(_mm256_min_epu8(r, g), bl);
        _mm256_storeu_si256((__m256i *)(dst + x), _mm256_xor_si256(m, all)); /* 255 - m */
    }
    rgb_to_ink_ssse3(src + 3 * (size_t)x, n - x, dst + x);
}
#undef ST_RGB_MASKS
#undef Z
#endif

int st_decode_rgb_to_ink_level(int level, const uint8_t *rgb, uint32_t n, uint8_t *ink)
{
    switch (level) {
    case 0:
        rgb_to_ink_plain(rgb, n, ink);
        return 0;
#if defined(__x86_64__) || defined(__i386__)
    case 1:
        if (!__builtin_cpu_supports("ssse3"))
            return -1;
        rgb_to_ink_ssse3(rgb, n, ink);
        return 0;
    case 2:
        if (!__builtin_cpu_supports("avx2"))
            return -1;
        rgb_to_ink_avx2(rgb, n, ink);
        return 0;
#endif
    default:
        return -1;
    }
}

int st_ink_best_level(void)
{
#if defined(__x86_64__) || defined(__i386__)
    if (__builtin_cpu_supports("avx2"))
        return 2;
    if (__builtin_cpu_supports("ssse3"))
        return 1;
#endif
    return 0;
}

void st_ink_from_rgb(int level, const uint8_t *src, uint32_t n, uint8_t *dst)
{
#if defined(__x86_64__) || defined(__i386__)
    if (level >= 2) {
        rgb_to_ink_avx2(src, n, dst);
        return;
    }
    if (level == 1) {
        rgb_to_ink_ssse3(src, n, dst);
        return;
    }
#endif
    rgb_to_ink_plain(src, n, dst);
}

/* Eight pixels of a bilevel byte at a time, most significant bit first. */
static void build_bitlut(st_ink_conv *c, int bits)
{
    if (bits == 1)
        for (int byte = 0; byte < 256; byte++)
            for (int k = 0; k < 8; k++)
                c->bitlut[byte][k] = c->lut[(byte >> (7 - k)) & 1];
}

void st_ink_grey_table(st_ink_conv *c, int bits, int white_is_zero)
{
    int n = 1 << bits;
    for (int i = 0; i < n; i++) {
        int v = bits == 1 ? i * 255 : i;
        c->lut[i] = (uint8_t)(white_is_zero ? v : 255 - v);
    }
    build_bitlut(c, bits);
}

void st_ink_palette_table(st_ink_conv *c, int bits, const uint16_t *r,
                          const uint16_t *g, const uint16_t *b)
{
    int n = 1 << bits;
    int shift = 0;
    for (int i = 0; i < n; i++)
        if (r[i] > 255 || g[i] > 255 || b[i] > 255)
            shift = 8;
    for (int i = 0; i < n; i++) {
        unsigned m = r[i] < g[i] ? r[i] : g[i];
        m = m < b[i] ? m : b[i];
        c->lut[i] = (uint8_t)(255 - (m >> shift));
    }
    build_bitlut(c, bits);
}

void st_ink_row(const st_ink_conv *c, const uint8_t *src, uint32_t n, uint8_t *dst)
{
    switch (c->kind) {
    case ST_INK_BITS: {
        uint32_t full = n / 8, x;
        for (uint32_t i = 0; i < full; i++)
            memcpy(dst + 8 * i, c->bitlut[src[i]], 8);
        for (x = full * 8; x < n; x++)
            dst[x] = c->bitlut[src[full]][x & 7];
        break;
    }
    case ST_INK_INVERT:
        for (uint32_t x = 0; x < n; x++)
            dst[x] = (uint8_t)(255 - src[x]);
        break;
    case ST_INK_COPY:
        memcpy(dst, src, n);
        break;
    case ST_INK_LUT8:
        if (c->spp == 1)
            for (uint32_t x = 0; x < n; x++)
                dst[x] = c->lut[src[x]];
        else
            for (uint32_t x = 0; x < n; x++)
                dst[x] = c->lut[src[(size_t)x * c->spp]];
        break;
    default:
        if (c->spp == 3) { /* the common case, with a constant stride */
            st_ink_from_rgb(c->level, src, n, dst);
            break;
        }
        for (uint32_t x = 0; x < n; x++, src += c->spp) {
            uint8_t m = src[0] < src[1] ? src[0] : src[1];
            m = m < src[2] ? m : src[2];
            dst[x] = (uint8_t)(255 - m);
        }
        break;
    }
}
