/* test_score.c - the writing check on a coarse page image
 *
 * The page is drawn straight in coarse pixels (50 dpi of a 200 dpi scan):
 * paper rotated on a scanner bed wider and taller than the sheet, so whole
 * rows and columns of the image lie off the paper, with ink blobs placed
 * in model millimetres.
 */
#include "helpers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "stemtel/model.h"
#include "stemtel/score.h"

#define FACTOR 4
#define DPI 200.0
#define BED_MM 40.0 /* bed beyond the paper on every side */

typedef struct fx {
    st_model *m;
    st_registration r;
    st_image coarse;
} fx;

/* Model mm of coarse pixel (x, y)'s centre under r's transform. */
static void to_mm(const st_registration *r, int x, int y, double *mx, double *my)
{
    const double *a = r->xform.m;
    double px = (x + 0.5) * FACTOR - a[2], py = (y + 0.5) * FACTOR - a[5];
    double det = a[0] * a[4] - a[1] * a[3];
    *mx = (a[4] * px - a[1] * py) / det;
    *my = (-a[3] * px + a[0] * py) / det;
}

/* Ink 255 over the model rectangle (mm). */
static void blob(fx *f, double x, double y, double w, double h)
{
    for (int cy = 0; cy < f->coarse.h; cy++)
        for (int cx = 0; cx < f->coarse.w; cx++) {
            double mx, my;
            to_mm(&f->r, cx, cy, &mx, &my);
            if (mx >= x && mx < x + w && my >= y && my < y + h)
                f->coarse.px[(size_t)cy * f->coarse.stride + cx] = 255;
        }
}

/* The sheet turned by deg degrees. */
static int setup_turned(void **state, double deg)
{
    fx *f = calloc(1, sizeof *f);
    st_error err = {0};
    char *path = th_root("models/test-small.json");
    assert_st_ok(st_model_load(path, &f->m, &err), &err);
    free(path);
    double k = DPI / 25.4, t = deg * M_PI / 180;
    f->r.ok = 1;
    f->r.xform = (st_affine){{k * cos(t), -k * sin(t), BED_MM * k + 12 * k, k * sin(t),
                              k * cos(t), BED_MM * k}};
    int w = (int)((f->m->paper_w + 2 * BED_MM + 12) * k / FACTOR);
    int h = (int)((f->m->paper_h + 2 * BED_MM + 20) * k / FACTOR);
    f->coarse = (st_image){.w = w, .h = h, .channels = 1, .stride = (size_t)w,
                           .dpi = DPI / FACTOR, .px = calloc((size_t)w * h, 1)};
    *state = f;
    return 0;
}

static int setup(void **state) { return setup_turned(state, 3.0); }

/* Nearly straight: along a row the model y changes by a hair, so the
 * row's crossing of the edge band lies millions of pixels away. */
static int setup_straight(void **state) { return setup_turned(state, 1e-7); }

static int teardown(void **state)
{
    fx *f = *state;
    st_model_free(f->m);
    free(f->coarse.px);
    free(f);
    return 0;
}

static st_writing check(fx *f)
{
    st_image scratch = {0};
    st_writing w;
    st_error err = {0};
    assert_st_ok(st_writing_check(f->m, &f->r, NULL, 0, NULL, &f->coarse, FACTOR, &scratch, NULL, &w, &err), &err);
    free(scratch.px);
    return w;
}

/* Rows above and below the rotated sheet lie wholly off the paper; they
 * are skipped, and a blank sheet has no writing. */
static void test_writing_check_finds_nothing_on_a_blank_sheet_on_a_wide_bed(void **state)
{
    fx *f = *state;
    st_writing w = check(f);
    assert_int_equal(w.found, 0);
    assert_int_equal(w.n_streak_cols, 0);
}

/* A word-sized blob between the boxes is writing, reported where it is;
 * blobs inside a box, off the paper or in the edge band are not. */
static void test_writing_check_reports_writing_between_boxes_only(void **state)
{
    fx *f = *state;
    blob(f, 31, 41, 8, 8);   /* inside box L1: a mark, not writing */
    blob(f, -30, 90, 20, 5); /* on the scanner bed, off the paper */
    blob(f, 120, 1, 20, 2);  /* in the 4 mm edge band */
    st_writing w = check(f);
    assert_int_equal(w.found, 0);
    blob(f, 150, 95, 12, 4); /* between the rows of boxes */
    w = check(f);
    assert_int_equal(w.found, 1);
    if (fabs(w.x_mm - 156) > 1.5 || fabs(w.y_mm - 97) > 1.5 || w.area_mm2 < 30 ||
        w.area_mm2 > 70)
        fail_msg("writing at (%.1f, %.1f) mm, %.1f mm2; want about (156, 97), 48 mm2",
                 w.x_mm, w.y_mm, w.area_mm2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writing_check_finds_nothing_on_a_blank_sheet_on_a_wide_bed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_writing_check_finds_nothing_on_a_blank_sheet_on_a_wide_bed,
                                        setup_straight, teardown),
        cmocka_unit_test_setup_teardown(test_writing_check_reports_writing_between_boxes_only,
                                        setup_straight, teardown),
        cmocka_unit_test_setup_teardown(test_writing_check_reports_writing_between_boxes_only,
                                        setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
