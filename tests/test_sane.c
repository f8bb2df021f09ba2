/* test_sane.c - scanning through SANE, against SANE's own test device
 *
 * The `test` backend of Debian's sane-backends behaves like a scanner
 * with a document feeder that empties after ten sheets; it draws known
 * pictures (solid black, a grid, a colour pattern) of a set size, and can
 * be told to fail (paper jam). The pages it gives are not ballots: written
 * as TIFF and counted with `stemtel count`, each must become a rejected
 * page with its reason, none lost.
 */
#include "helpers.h"
#include "scan_fixture.h"
#include "stemtel/sane.h"
#include "stemtel/tiffout.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SANE's test device draws an 80 x 100 mm page by default. */
#define PAGE_W_MM 80.0
#define PAGE_H_MM 100.0

/* The device a test has open, closed by the teardown even when the test
 * fails half-way (SANE's test device is busy while open). */
static st_sane *open_test(void **state, const st_sane_opts *o)
{
    st_error err = {0};
    st_sane *s = NULL;
    st_sane_close(*state);
    *state = NULL;
    /* The test device keeps its settings from one open to the next within
     * a process: put back the page size and the read status first. */
    const char *extra[16] = {"read-return-value=Default", "enable-test-options=no",
                             "tl-x=0", "tl-y=0", "br-x=80", "br-y=100"};
    int n = 6;
    for (const char *const *e = o->extra; e && *e && n < 15; e++)
        extra[n++] = *e;
    st_sane_opts all = *o;
    all.extra = extra;
    assert_st_ok(st_sane_open("test", &all, &s, &err), &err);
    *state = s;
    return s;
}

static int close_device(void **state)
{
    st_sane_close(*state);
    *state = NULL;
    return 0;
}

static void test_sane_reads_every_feeder_page_in_gray_at_200_dpi(void **state)
{
    st_error err = {0};
    const char *extra[] = {"test-picture=Solid black", NULL};
    st_sane_opts o = {.dpi = 200, .mode = "gray", .source = "adf", .extra = extra};
    st_sane *s = open_test(state, &o);
    int pages = 0, rc;
    st_image *img = NULL;
    while ((rc = st_sane_next(s, &img, &err)) == 1) {
        pages++;
        assert_int_equal(img->channels, 1);
        assert_true(img->dpi == 200);
        assert_int_equal(img->w, (int)(PAGE_W_MM / 25.4 * 200));
        assert_int_equal(img->h, (int)(PAGE_H_MM / 25.4 * 200));
        for (int y = 0; y < img->h; y += 7)
            for (int x = 0; x < img->w; x += 5)
                assert_int_equal(img->px[(size_t)y * img->stride + x], 0);
        st_image_free(img);
    }
    assert_st_ok(rc, &err);
    assert_int_equal(pages, 10);
}

static void test_sane_reads_colour_at_300_dpi(void **state)
{
    st_error err = {0};
    const char *extra[] = {"test-picture=Color pattern", NULL};
    st_sane_opts o = {.dpi = 300, .mode = "color", .source = "adf", .extra = extra};
    st_sane *s = open_test(state, &o);
    st_image *img = NULL;
    assert_int_equal(st_sane_next(s, &img, &err), 1);
    assert_int_equal(img->channels, 3);
    assert_true(img->dpi == 300);
    assert_int_equal(img->w, (int)(PAGE_W_MM / 25.4 * 300));
    /* A colour pattern: somewhere red, green and blue differ a lot. */
    int coloured = 0;
    for (int y = 0; y < img->h; y += 11)
        for (int x = 0; x < img->w; x += 3) {
            const uint8_t *p = img->px + (size_t)y * img->stride + 3 * (size_t)x;
            coloured += abs(p[0] - p[1]) > 100 || abs(p[1] - p[2]) > 100;
        }
    assert_true(coloured > 100);
    st_image_free(img);
}

static void test_sane_reads_lineart_and_16_bit_gray(void **state)
{
    st_error err = {0};
    const char *white[] = {"test-picture=Solid white", NULL};
    st_sane_opts o = {.dpi = 150, .mode = "lineart", .source = "adf", .extra = white};
    st_sane *s = open_test(state, &o);
    st_image *img = NULL;
    assert_int_equal(st_sane_next(s, &img, &err), 1);
    assert_int_equal(img->channels, 1);
    for (size_t i = 0; i < (size_t)img->w; i++)
        assert_int_equal(img->px[(size_t)(img->h / 2) * img->stride + i], 255);
    st_image_free(img);

    const char *deep[] = {"depth=16", "test-picture=Grid", NULL};
    st_sane_opts o16 = {.dpi = 100, .mode = "gray", .extra = deep};
    s = open_test(state, &o16);
    assert_int_equal(st_sane_next(s, &img, &err), 1);
    /* A grid: black and white both present after taking the high byte. */
    int black = 0, white_px = 0;
    for (size_t i = 0; i < img->stride * (size_t)img->h; i++) {
        black += img->px[i] == 0;
        white_px += img->px[i] == 255;
    }
    assert_true(black > 100);
    assert_true(white_px > 100);
    st_image_free(img);
}

static void test_sane_paper_jam_is_an_error_naming_the_device(void **state)
{
    st_error err = {0};
    /* A tiny page: the test device's reader thread has finished writing
     * it before the jam is reported, so cancelling cannot catch that
     * thread inside malloc (a hang in the test backend, not ours). */
    const char *extra[] = {"read-return-value=SANE_STATUS_JAMMED", "br-x=2", "br-y=2", NULL};
    st_sane_opts o = {.dpi = 75, .mode = "gray", .source = "adf", .extra = extra};
    st_sane *s = open_test(state, &o);
    st_image *img = NULL;
    assert_int_equal(st_sane_next(s, &img, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "test"));
    assert_non_null(strstr(err.msg, "jammed"));
}

static void test_sane_refuses_unknown_devices_options_and_values(void **state)
{
    static const struct {
        const char *device, *mode, *source, *extra;
        int dpi, code;
        const char *says;
    } bad[] = {
        {"nosuchbackend:scanner", NULL, NULL, NULL, 0, ST_ERR_IO, "cannot open device \"nosuchbackend:scanner\""},
        {"test", "sepia", NULL, NULL, 0, ST_ERR_ARG, "mode \"sepia\""},
        {"test", NULL, "duplex", NULL, 0, ST_ERR_ARG, "no duplex source; it offers \"Flatbed\""},
        {"test", NULL, NULL, "no-such-option=1", 0, ST_ERR_ARG, "no option \"no-such-option\""},
        {"test", NULL, NULL, "test-picture=Stripes", 0, ST_ERR_ARG, "it offers \"Solid black\""},
        {"test", NULL, NULL, "hand-scanner=perhaps", 0, ST_ERR_ARG, "\"perhaps\" is not a value"},
        {"test", NULL, NULL, "depth", 0, ST_ERR_ARG, "not name=value"},
        {"test", NULL, NULL, NULL, 5000, ST_ERR_ARG, "cannot scan at 5000 dpi (it would scan at 1200)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        st_error err = {0};
        const char *extra[] = {bad[i].extra, NULL};
        st_sane_opts o = {.dpi = bad[i].dpi, .mode = bad[i].mode, .source = bad[i].source,
                          .extra = extra};
        st_sane *s = NULL;
        int rc = st_sane_open(bad[i].device, &o, &s, &err);
        *state = s; /* closed by the teardown if a case wrongly opens */
        if (rc != bad[i].code || !strstr(err.msg, bad[i].says))
            fail_msg("case %zu: got %d \"%s\"; want %d with \"%s\"", i, rc, err.msg,
                     bad[i].code, bad[i].says);
        assert_null(s);
    }
    /* An option that holds a list of numbers is refused, not overrun. */
    st_error err = {0};
    const char *list[] = {"enable-test-options=yes", "int-constraint-array=1", NULL};
    st_sane_opts o = {.extra = list};
    st_sane *s = NULL;
    assert_int_equal(st_sane_open("test", &o, &s, &err), ST_ERR_ARG);
    *state = s;
    assert_non_null(strstr(err.msg, "\"int-constraint-array\" takes a list"));
}

static void test_sane_pages_counted_as_tiff_become_rejected_pages(void **state)
{
    /* What a scan of non-ballots must give: every page a rejected record
     * with its reason, nothing lost, nothing crashing. */
    st_error err = {0};
    const char *extra[] = {"test-picture=Grid", NULL};
    st_sane_opts o = {.dpi = 200, .mode = "gray", .source = "adf", .extra = extra};
    st_sane *s = open_test(state, &o);
    char *dir = th_tmpdir(), path[4200];
    st_image *img = NULL;
    int pages = 0, rc;
    while ((rc = st_sane_next(s, &img, &err)) == 1) {
        snprintf(path, sizeof path, "%s/scan-%02d.tif", dir, ++pages);
        assert_st_ok(st_tiff_write(path, img, ST_TIFF_GREY_LZW, 0, &err), &err);
        st_image_free(img);
    }
    assert_st_ok(rc, &err);
    assert_int_equal(pages, 10);

    char *model = th_root(SCAN_MODEL), *out = NULL;
    rc = th_run(&out, "count --model '%s' --out '%s/out' '%s'", model, dir, dir);
    if (rc != 0)
        fail_msg("count failed (%d): %s", rc, out);
    free(out);
    free(model);
    snprintf(path, sizeof path, "%s/out/ballots.jsonl", dir);
    char *text = th_slurp(path, NULL);
    assert_non_null(text);
    int lines = 0;
    for (char *save = NULL, *ln = strtok_r(text, "\n", &save); ln;
         ln = strtok_r(NULL, "\n", &save)) {
        json_object *rec = json_tokener_parse(ln), *v = NULL, *r = NULL;
        assert_non_null(rec);
        assert_true(json_object_object_get_ex(rec, "outcome", &v));
        assert_string_equal(json_object_get_string(v), "rejected");
        assert_true(json_object_object_get_ex(rec, "reasons", &r));
        assert_true(json_object_array_length(r) >= 1);
        lines++;
        json_object_put(rec);
    }
    assert_int_equal(lines, 10);
    free(text);
    th_rmtree(dir);
    free(dir);
}

static int group_setup(void **state)
{
    st_error err = {0};
    if (st_sane_init(&err)) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

/* SANE's test backend leaks a buffer per page it reads (not our code:
 * the leak checker names libsane-test.so). The group therefore ends
 * without st_sane_exit, which would unload the backend and leave the
 * leak nameless, and sanitizer runs skip that library's leaks. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libsane-test.so\n";
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_sane_reads_every_feeder_page_in_gray_at_200_dpi, close_device),
        cmocka_unit_test_teardown(test_sane_reads_colour_at_300_dpi, close_device),
        cmocka_unit_test_teardown(test_sane_reads_lineart_and_16_bit_gray, close_device),
        cmocka_unit_test_teardown(test_sane_paper_jam_is_an_error_naming_the_device, close_device),
        cmocka_unit_test_teardown(test_sane_refuses_unknown_devices_options_and_values, close_device),
        cmocka_unit_test_teardown(test_sane_pages_counted_as_tiff_become_rejected_pages, close_device),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
