/* test_blobs.c - the run-based blob finder against a flood fill */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

#include "stemtel/blobs.h"

/* The definition, written the slow way: flood-fill every 8-connected set
 * of pixels >= t, and order the blobs by their first 2 x 2 block in a scan
 * of blocks row by row. */
typedef struct ref_blob {
    st_blob b;
    long long key;
} ref_blob;

static int ref_by_key(const void *a, const void *b)
{
    long long ka = ((const ref_blob *)a)->key, kb = ((const ref_blob *)b)->key;
    return (ka > kb) - (ka < kb);
}

static int reference(const st_image *img, int t, int min_area, int max_area,
                     ref_blob *out)
{
    int w = img->w, h = img->h, n = 0;
    char *seen = calloc((size_t)w * h, 1);
    int *stack = malloc((size_t)w * h * sizeof *stack);
    assert_non_null(seen);
    assert_non_null(stack);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (seen[y * w + x] || img->px[(size_t)y * img->stride + x] < t)
                continue;
            int sp = 0, x0 = x, x1 = x, y0 = y, y1 = y;
            long long area = 0, sx = 0, sy = 0, key = 1LL << 62;
            stack[sp++] = y * w + x;
            seen[y * w + x] = 1;
            while (sp) {
                int p = stack[--sp], px = p % w, py = p / w;
                area++;
                sx += px;
                sy += py;
                long long k = (long long)(py / 2) * ((w + 1) / 2) + px / 2;
                if (k < key)
                    key = k;
                if (px < x0) x0 = px;
                if (px > x1) x1 = px;
                if (py < y0) y0 = py;
                if (py > y1) y1 = py;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int qx = px + dx, qy = py + dy;
                        if (qx < 0 || qy < 0 || qx >= w || qy >= h || seen[qy * w + qx] ||
                            img->px[(size_t)qy * img->stride + qx] < t)
                            continue;
                        seen[qy * w + qx] = 1;
                        stack[sp++] = qy * w + qx;
                    }
            }
            if (area < min_area || area > max_area)
                continue;
            out[n].key = key;
            out[n].b = (st_blob){x0, y0, x1 - x0 + 1, y1 - y0 + 1, (int)area,
                                 (double)sx / area + 0.5, (double)sy / area + 0.5};
            n++;
        }
    qsort(out, (size_t)n, sizeof *out, ref_by_key);
    free(seen);
    free(stack);
    return n;
}

static int same(const st_blob *a, const st_blob *b)
{
    return a->x == b->x && a->y == b->y && a->w == b->w && a->h == b->h &&
           a->area == b->area && a->cx == b->cx && a->cy == b->cy;
}

static void check(const st_image *img, int t, int min_area, int max_area,
                  int max_blobs, st_blob_scratch *s)
{
    ref_blob *want = malloc((size_t)img->w * img->h * sizeof *want);
    st_blob *got = malloc((size_t)img->w * img->h * sizeof *got);
    assert_non_null(want);
    assert_non_null(got);
    int nw = reference(img, t, min_area, max_area, want), ng = -1;
    st_error err = {0};
    assert_st_ok(st_blobs_find(img, t, min_area, max_area, got, max_blobs, &ng, s, &err), &err);
    if (nw > max_blobs)
        nw = max_blobs;
    assert_int_equal(ng, nw);
    for (int i = 0; i < ng; i++)
        if (!same(&got[i], &want[i].b))
            fail_msg("%dx%d, threshold %d: blob %d at (%d, %d) area %d, want (%d, %d) "
                     "area %d", img->w, img->h, t, i, got[i].x, got[i].y, got[i].area,
                     want[i].b.x, want[i].b.y, want[i].b.area);
    free(want);
    free(got);
}

/* Shapes that join only late (a U, a spiral of runs), touch at corners
 * only, or meet the image's edges; on noise of every density, widths
 * around the 16-pixel steps of the fast scan, and every threshold class. */
static void test_blobs_match_a_flood_fill_on_noise_and_shapes(void **state)
{
    (void)state;
    st_blob_scratch *s = st_blob_scratch_new();
    assert_non_null(s);
    uint32_t r = 777;
    for (int it = 0; it < 300; it++) {
        int w = 1 + it % 53, h = 1 + (it * 7) % 41;
        st_image *img = st_image_new(w, h, 1, 0);
        assert_non_null(img);
        int density = (it * 13) % 100;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                r = r * 1103515245u + 12345u;
                int on = it % 3 == 0 ? (int)((r >> 8) % 100) < density
                         : it % 3 == 1 ? ((x / 3 + y / 2) % 4 == 0) || (x == y)
                                       : (x % 5 == 0 && y < h - 1) || y == h - 1;
                img->px[(size_t)y * img->stride + x] = (uint8_t)(on ? 128 + (r >> 25) : (r >> 25));
            }
        int t = it % 4 == 0 ? 128 : it % 4 == 1 ? 0 : it % 4 == 2 ? 200 : 256;
        check(img, t, 1, 1 << 30, 1 << 20, s);
        check(img, t, 2, 9, 1 << 20, it % 2 ? s : NULL);
        check(img, t, 1, 1 << 30, 3, s);
        st_image_free(img);
    }
    st_blob_scratch_free(s);
}

/* A page-sized image with a few marks, as registration sees it. */
static void test_blobs_finds_marks_on_a_coarse_page(void **state)
{
    (void)state;
    st_image *img = st_image_new(585, 827, 1, 3);
    assert_non_null(img);
    int at[4][2] = {{20, 20}, {550, 20}, {20, 790}, {550, 790}};
    for (int i = 0; i < 4; i++)
        for (int y = at[i][1]; y < at[i][1] + 10; y++)
            memset(img->px + (size_t)y * img->stride + at[i][0], 250, 10);
    st_blob b[8];
    int n = 0;
    st_error err = {0};
    assert_st_ok(st_blobs_find(img, 128, 50, 200, b, 8, &n, NULL, &err), &err);
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(b[i].area, 100);
        assert_true(b[i].cx == at[i][0] + 5.0 && b[i].cy == at[i][1] + 5.0);
    }
    check(img, 128, 1, 1 << 30, 100, NULL);
    st_image_free(img);
}

static void test_blobs_refuses_colour(void **state)
{
    (void)state;
    st_image *rgb = st_image_new(4, 4, 3, 0);
    assert_non_null(rgb);
    st_blob b[1];
    int n = 0;
    st_error err = {0};
    assert_int_equal(st_blobs_find(rgb, 1, 1, 10, b, 1, &n, NULL, &err), ST_ERR_ARG);
    st_image_free(rgb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blobs_match_a_flood_fill_on_noise_and_shapes),
        cmocka_unit_test(test_blobs_finds_marks_on_a_coarse_page),
        cmocka_unit_test(test_blobs_refuses_colour),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
