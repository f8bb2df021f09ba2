/* test_image.c - the raster type and its block-mean shrink */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "stemtel/image.h"

/* The shrink's definition, written the slow way: the rounded mean of the
 * block's pixels, with partial blocks at the right and bottom edges. */
static uint8_t block_mean(const st_image *src, int f, int cx, int cy)
{
    unsigned sum = 0, n = 0;
    for (int y = cy * f; y < (cy + 1) * f && y < src->h; y++)
        for (int x = cx * f; x < (cx + 1) * f && x < src->w; x++) {
            sum += src->px[(size_t)y * src->stride + x];
            n++;
        }
    return (uint8_t)((sum + n / 2) / n);
}

static void check_shrink(const st_image *src, int f)
{
    st_image dst = {0};
    assert_int_equal(st_image_shrink(src, f, &dst), 0);
    assert_int_equal(dst.w, (src->w + f - 1) / f);
    assert_int_equal(dst.h, (src->h + f - 1) / f);
    for (int cy = 0; cy < dst.h; cy++)
        for (int cx = 0; cx < dst.w; cx++) {
            uint8_t got = dst.px[(size_t)cy * dst.stride + cx];
            uint8_t want = block_mean(src, f, cx, cy);
            if (got != want)
                fail_msg("factor %d, block (%d, %d): %d, want %d", f, cx, cy, got, want);
        }
    free(dst.px);
}

/* Every factor a page from 150 to 600 dpi can get (and beyond, where the
 * shrink divides), on sizes that leave partial blocks, on pixel values
 * that hit every rounding case: noise, the extremes, and halves. */
static void test_image_shrink_is_the_rounded_block_mean_for_every_factor(void **state)
{
    (void)state;
    st_image *img = st_image_new(203, 131, 1, 0);
    assert_non_null(img);
    uint32_t s = 12345;
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++) {
            s = s * 1103515245u + 12345u;
            uint8_t v = (uint8_t)(s >> 16);
            if (y < 40) /* a band of all-ink, all-paper and alternating */
                v = x < 60 ? 255 : x < 120 ? 0 : ((x + y) & 1 ? 255 : 0);
            img->px[(size_t)y * img->stride + x] = v;
        }
    for (int f = 1; f <= 16; f++)
        check_shrink(img, f);
    st_image_free(img);
}

static void test_image_shrink_refuses_colour_and_a_zero_factor(void **state)
{
    (void)state;
    st_image *rgb = st_image_new(8, 8, 3, 0), *grey = st_image_new(8, 8, 1, 0);
    st_image dst = {0};
    assert_int_equal(st_image_shrink(rgb, 2, &dst), -1);
    assert_int_equal(st_image_shrink(grey, 0, &dst), -1);
    free(dst.px);
    st_image_free(rgb);
    st_image_free(grey);
}

/* Rows fed in bunches of any size (a strip, a JPEG scanline, the rest of
 * the page), into one st_shrink reused across pages of different widths,
 * give the whole-image shrink's bytes. */
static void test_shrink_fed_row_by_row_matches_the_whole_image_shrink(void **state)
{
    (void)state;
    st_shrink sh = {0};
    st_image fed = {0}, whole = {0};
    uint32_t s = 99;
    for (int page = 0; page < 6; page++) {
        st_image *img = st_image_new(37 + 41 * page, 29 + 13 * page, 1, 0);
        assert_non_null(img);
        for (size_t i = 0; i < img->stride * (size_t)img->h; i++) {
            s = s * 1103515245u + 12345u;
            img->px[i] = (uint8_t)(s >> 16);
        }
        img->dpi = 200;
        for (int f = 1; f <= 7; f++) {
            assert_int_equal(st_shrink_begin(&sh, img->w, img->h, img->dpi, f, &fed), 0);
            int y = 0, step = 1;
            while (y < img->h) {
                int n = step < img->h - y ? step : img->h - y;
                st_shrink_rows(&sh, img->px + (size_t)y * img->stride, img->stride, n);
                y += n;
                step = step % 9 + 2;
            }
            assert_int_equal(st_image_shrink(img, f, &whole), 0);
            assert_int_equal(fed.w, whole.w);
            assert_int_equal(fed.h, whole.h);
            assert_true(fed.dpi == whole.dpi);
            assert_memory_equal(fed.px, whole.px, (size_t)whole.w * whole.h);
        }
        st_image_free(img);
    }
    st_shrink_free(&sh);
    free(fed.px);
    free(whole.px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_image_shrink_is_the_rounded_block_mean_for_every_factor),
        cmocka_unit_test(test_image_shrink_refuses_colour_and_a_zero_factor),
        cmocka_unit_test(test_shrink_fed_row_by_row_matches_the_whole_image_shrink),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
