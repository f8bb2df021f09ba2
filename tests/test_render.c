/* test_render.c - rendered ballots agree with the model and with inspect
 *
 * The geometry test measures the raster: for every box it walks in from
 * outside each edge to the first dark pixel and compares that with the
 * pixel rectangle `inspect` reports; for every registration mark it
 * compares the centroid and area of its dark pixels.
 */
#include "helpers.h"
#include "stemtel/eml.h"
#include "stemtel/inspect.h"
#include "stemtel/layout.h"
#include "stemtel/model.h"
#include "stemtel/render.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

static st_model *model_from_eml(const char *rel)
{
    st_error err = {0};
    st_model *m = NULL;
    char *path = th_data(rel);
    assert_st_ok(st_eml_read_candidates(path, &m, &err), &err);
    assert_st_ok(st_layout_auto(m, &err), &err);
    free(path);
    return m;
}

static st_model *small_model(void)
{
    st_error err = {0};
    st_model *m = NULL;
    char *path = th_root("models/test-small.json");
    assert_st_ok(st_model_load(path, &m, &err), &err);
    free(path);
    return m;
}

static int dark(const st_image *img, int x, int y)
{
    if (x < 0 || y < 0 || x >= img->w || y >= img->h)
        return 0;
    return img->px[(size_t)y * img->stride + (size_t)x] < 128;
}

static double get_num(json_object *o, const char *k)
{
    json_object *v;
    if (!json_object_object_get_ex(o, k, &v))
        fail_msg("inspect JSON lacks \"%s\"", k);
    return json_object_get_double(v);
}

/* First dark pixel walking from (x0, y) in direction dx (+1/-1), at most n
 * steps; returns the pixel's x or -1. */
static int walk_x(const st_image *img, int x0, int y, int dx, int n)
{
    for (int i = 0, x = x0; i < n; i++, x += dx)
        if (dark(img, x, y))
            return x;
    return -1;
}

static int walk_y(const st_image *img, int x, int y0, int dy, int n)
{
    for (int i = 0, y = y0; i < n; i++, y += dy)
        if (dark(img, x, y))
            return y;
    return -1;
}

/* Check every target and fiducial of m at dpi against the raster. */
static void check_geometry(const st_model *m, int dpi)
{
    st_error err = {0};
    st_image *img = NULL;
    assert_st_ok(st_render_grey(m, dpi, &img, &err), &err);
    char *txt = st_inspect_json(m, dpi, &err);
    assert_non_null(txt);
    json_object *root = json_tokener_parse(txt), *page, *targets, *fids;
    assert_non_null(root);
    assert_true(json_object_object_get_ex(root, "page", &page));
    assert_int_equal((int)get_num(page, "width_px"), img->w);
    assert_int_equal((int)get_num(page, "height_px"), img->h);
    assert_true(json_object_object_get_ex(root, "targets", &targets));
    assert_int_equal((int)json_object_array_length(targets), m->n_targets);
    int worst = 0;
    for (size_t i = 0; i < json_object_array_length(targets); i++) {
        json_object *t = json_object_array_get_idx(targets, i), *r;
        assert_true(json_object_object_get_ex(t, "rect_px", &r));
        double x = get_num(r, "x"), y = get_num(r, "y"), w = get_num(r, "w"),
               h = get_num(r, "h");
        int cx = (int)(x + w / 2), cy = (int)(y + h / 2);
        int reach = (int)(w / 2) + 8;
        /* Walk inward from 6 px outside each edge; the first dark pixel is
         * the outline's outer edge. Pixel k covers [k, k+1). */
        int left = walk_x(img, (int)floor(x) - 6, cy, +1, reach);
        int right = walk_x(img, (int)ceil(x + w) + 5, cy, -1, reach);
        int top = walk_y(img, cx, (int)floor(y) - 6, +1, (int)(h / 2) + 8);
        int bottom = walk_y(img, cx, (int)ceil(y + h) + 5, -1, (int)(h / 2) + 8);
        int errs[4] = {abs(left - (int)floor(x + 0.5)), abs(right + 1 - (int)floor(x + w + 0.5)),
                       abs(top - (int)floor(y + 0.5)), abs(bottom + 1 - (int)floor(y + h + 0.5))};
        for (int k = 0; k < 4; k++) {
            if (errs[k] > worst)
                worst = errs[k];
            if (errs[k] > 1)
                fail_msg("%s at %d dpi: measured edges l=%d r=%d t=%d b=%d, inspect "
                         "says x=%.2f y=%.2f w=%.2f h=%.2f", m->targets[i].id, dpi,
                         left, right, top, bottom, x, y, w, h);
        }
        /* The inside is blank: no printed ink where marks are scored. */
        json_object *in;
        assert_true(json_object_object_get_ex(t, "inside_px", &in));
        double ix = get_num(in, "x"), iy = get_num(in, "y"), iw = get_num(in, "w"),
               ih = get_num(in, "h");
        int inked = 0;
        for (int yy = (int)ceil(iy) + 1; yy < (int)(iy + ih) - 1; yy++)
            for (int xx = (int)ceil(ix) + 1; xx < (int)(ix + iw) - 1; xx++)
                inked += dark(img, xx, yy);
        if (inked)
            fail_msg("%s: %d dark pixels inside the box", m->targets[i].id, inked);
    }
    assert_true(json_object_object_get_ex(root, "fiducials", &fids));
    assert_int_equal((int)json_object_array_length(fids), m->n_fiducials);
    for (size_t i = 0; i < json_object_array_length(fids); i++) {
        json_object *f = json_object_array_get_idx(fids, i), *r;
        assert_true(json_object_object_get_ex(f, "rect_px", &r));
        double x = get_num(r, "x"), y = get_num(r, "y"), w = get_num(r, "w"),
               h = get_num(r, "h");
        double sx = 0, sy = 0, n = 0;
        for (int yy = (int)(y - 4); yy < (int)(y + h + 4); yy++)
            for (int xx = (int)(x - 4); xx < (int)(x + w + 4); xx++)
                if (dark(img, xx, yy)) {
                    sx += xx + 0.5;
                    sy += yy + 0.5;
                    n++;
                }
        assert_true(n > 0);
        double ex = x + w / 2, ey = y + h / 2;
        if (fabs(sx / n - ex) > 0.75 || fabs(sy / n - ey) > 0.75 ||
            fabs(n - w * h) > 0.06 * w * h + 2 * (w + h))
            fail_msg("fiducial %s at %d dpi: centroid (%.2f, %.2f) area %.0f; inspect "
                     "centre (%.2f, %.2f) area %.0f", m->fiducials[i].id, dpi, sx / n,
                     sy / n, n, ex, ey, w * h);
    }
    json_object_put(root);
    free(txt);
    st_image_free(img);
    print_message("    %s at %d dpi: %d boxes, %d marks, worst edge error %d px\n",
                  m->election_id, dpi, m->n_targets, m->n_fiducials, worst);
}

static void test_render_small_model_matches_inspect_at_150_and_600_dpi(void **state)
{
    st_model *m = small_model();
    check_geometry(m, 150);
    check_geometry(m, 600);
    st_model_free(m);
}

static void test_render_every_valid_230b_matches_inspect(void **state)
{
    static const char *const files[] = {
        "results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml",
        "results/Kandidatenlijsten_TK2025_Haarlem.eml.xml",
        "eml/Kandidatenlijsten_PS2023_Drenthe.eml.xml",
        "eml/eml230b_test.eml.xml",
        "eml/eml230b_test_more_than_45_candidates.eml.xml",
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        st_model *m = model_from_eml(files[i]);
        st_problems pr = {0};
        int n = st_model_check(m, &pr);
        if (n)
            fail_msg("%s: %s", files[i], pr.msg[0]);
        check_geometry(m, i == 0 ? 300 : 200);
        st_model_free(m);
    }
}

static void test_render_pdf_has_the_paper_size(void **state)
{
    st_error err = {0};
    st_model *m = model_from_eml("results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml");
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/ballot.pdf", dir);
    assert_st_ok(st_render_file(m, path, 300, &err), &err);
    size_t len;
    char *pdf = th_slurp(path, &len);
    assert_non_null(pdf);
    assert_memory_equal(pdf, "%PDF-", 5);
    /* A3 landscape is 420 x 297 mm = 1190.55 x 841.89 pt. */
    int found = 0;
    for (size_t i = 0; i + 9 < len; i++)
        if (memcmp(pdf + i, "/MediaBox", 9) == 0) {
            double x0, y0, x1, y1;
            if (sscanf(pdf + i + 9, " [ %lf %lf %lf %lf", &x0, &y0, &x1, &y1) == 4) {
                assert_true(fabs(x1 - 1190.55) < 0.1 && fabs(y1 - 841.89) < 0.1);
                found = 1;
            }
        }
    assert_true(found);
    free(pdf);
    st_model_free(m);
    th_rmtree(dir);
    free(dir);
}

static void test_render_tiff_raster_has_size_and_resolution(void **state)
{
    char *out = NULL, *model = th_root("models/test-small.json");
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/blank.tif", dir);
    assert_int_equal(th_run(&out, "model render '%s' -o '%s' --dpi 200", model, path), 0);
    free(out);
    TIFF *t = TIFFOpen(path, "r");
    assert_non_null(t);
    uint32_t w, h;
    float xres;
    uint16_t bps, spp;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetField(t, TIFFTAG_XRESOLUTION, &xres);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
    assert_int_equal(w, 2339); /* 297 mm at 200 dpi */
    assert_int_equal(h, 1654); /* 210 mm */
    assert_true(fabsf(xres - 200) < 0.01f);
    assert_int_equal(bps, 8);
    assert_int_equal(spp, 1);
    TIFFClose(t);
    /* PNG too. */
    snprintf(path, sizeof path, "%s/blank.png", dir);
    assert_int_equal(th_run(&out, "model render '%s' -o '%s' --dpi 150", model, path), 0);
    free(out);
    char *png = th_slurp(path, NULL);
    assert_non_null(png);
    assert_memory_equal(png, "\x89PNG", 4);
    free(png);
    /* Out-of-range dpi and unknown extension are refused. */
    assert_int_equal(th_run(&out, "model render '%s' -o '%s' --dpi 1200", model, path), 2);
    free(out);
    snprintf(path, sizeof path, "%s/blank.bmp", dir);
    assert_int_equal(th_run(&out, "model render '%s' -o '%s'", model, path), 1);
    assert_non_null(strstr(out, "blank.bmp"));
    free(out);
    free(model);
    th_rmtree(dir);
    free(dir);
}

static void test_render_is_deterministic(void **state)
{
    st_error err = {0};
    st_model *m = small_model();
    st_image *a = NULL, *b = NULL;
    assert_st_ok(st_render_grey(m, 200, &a, &err), &err);
    assert_st_ok(st_render_grey(m, 200, &b, &err), &err);
    assert_memory_equal(a->px, b->px, a->stride * (size_t)a->h);
    st_image_free(a);
    st_image_free(b);
    st_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render_small_model_matches_inspect_at_150_and_600_dpi),
        cmocka_unit_test(test_render_every_valid_230b_matches_inspect),
        cmocka_unit_test(test_render_pdf_has_the_paper_size),
        cmocka_unit_test(test_render_tiff_raster_has_size_and_resolution),
        cmocka_unit_test(test_render_is_deterministic),
    };
    return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
