/* test_sheet.c - separator sheets: printed, scanned back, told from ballots
 *
 * Sheets are drawn by the library onto cairo surfaces (upright, upside
 * down, skewed), written as TIFF in the formats scanners produce, decoded
 * by the pipeline's own decoder into ink and handed to st_sheet_detect,
 * the way the pipeline will see them. Ballots come from `stemtel synth`
 * and must never be taken for sheets. The command is driven for real
 * (TIFF, PNG, PDF and its refusals).
 */
#include "helpers.h"
#include "scan_fixture.h"
#include "stemtel/decode.h"
#include "stemtel/model.h"
#include "stemtel/render.h"
#include "stemtel/sheet.h"
#include "stemtel/tiffout.h"

#include <cairo.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static st_sheet make_sheet(const char *station, int batch, const char *election)
{
    st_error err = {0};
    st_sheet s;
    assert_st_ok(st_sheet_make(station, batch, election, &s, &err), &err);
    return s;
}

/* Copy a cairo RGB24 surface into an st_image: grey (1 channel) or RGB. */
static st_image *from_surface(cairo_surface_t *sf, int channels, int dpi)
{
    cairo_surface_flush(sf);
    int w = cairo_image_surface_get_width(sf), h = cairo_image_surface_get_height(sf);
    int stride = cairo_image_surface_get_stride(sf);
    const unsigned char *data = cairo_image_surface_get_data(sf);
    st_image *img = st_image_new(w, h, channels, 255);
    assert_non_null(img);
    img->dpi = dpi;
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        uint8_t *d = img->px + (size_t)y * img->stride;
        for (int x = 0; x < w; x++) {
            uint32_t p = row[x];
            if (channels == 3) {
                d[3 * x] = (uint8_t)(p >> 16);
                d[3 * x + 1] = (uint8_t)(p >> 8);
                d[3 * x + 2] = (uint8_t)p;
            } else {
                d[x] = (uint8_t)(p >> 8);
            }
        }
    }
    return img;
}

/* The sheet as a scanner would see it: an A4 page at dpi, the sheet turned
 * by deg degrees about the page centre (white where the turn uncovers). */
static st_image *scan_sheet(const st_sheet *s, int dpi, double deg, int channels)
{
    st_error err = {0};
    int w = st_mm_to_px(ST_SHEET_W_MM, dpi), h = st_mm_to_px(ST_SHEET_H_MM, dpi);
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_translate(cr, w / 2.0, h / 2.0);
    cairo_rotate(cr, deg * M_PI / 180);
    cairo_translate(cr, -w / 2.0, -h / 2.0);
    cairo_scale(cr, dpi / 25.4, dpi / 25.4);
    assert_st_ok(st_sheet_draw(s, cr, &err), &err);
    cairo_destroy(cr);
    st_image *img = from_surface(sf, channels, dpi);
    cairo_surface_destroy(sf);
    return img;
}

/* Decode page `page` of a TIFF file into ink, as the pipeline does. */
static st_image decode_ink(const char *path, int page)
{
    st_error err = {0};
    size_t len;
    char *bytes = th_slurp(path, &len);
    if (!bytes)
        fail_msg("cannot read %s", path);
    st_decoder *d = NULL;
    assert_st_ok(st_decoder_open(bytes, len, path, &d, &err), &err);
    st_image ink = {0};
    assert_st_ok(st_decoder_read_ink(d, page, 300, &ink, NULL, &err), &err);
    st_decoder_close(d);
    free(bytes);
    return ink;
}

/* Write img as a TIFF in format f, decode it back and detect. */
static int detect_via_tiff(const char *dir, const st_image *img, st_tiff_format f,
                           st_sheet *out)
{
    st_error err = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/page-%s.tif", dir, st_tiff_format_name(f));
    assert_st_ok(st_tiff_write(path, img, f, 85, &err), &err);
    st_image ink = decode_ink(path, 0);
    int found = -1;
    assert_st_ok(st_sheet_detect(&ink, ST_SHEET_INK, &found, out, &err), &err);
    free(ink.px);
    return found;
}

static void assert_same_sheet(const st_sheet *want, const st_sheet *got)
{
    assert_string_equal(want->station, got->station);
    assert_int_equal(want->batch, got->batch);
    assert_string_equal(want->election, got->election);
}

/* ---- payload ------------------------------------------------------------ */

static void test_sheet_payload_round_trips(void **state)
{
    st_error err = {0};
    char buf[ST_SHEET_PAYLOAD_MAX];
    const st_sheet cases[] = {
        make_sheet("0668::SB1", 0, NULL),
        make_sheet("0392::SB117", 12, "TK2025"),
        make_sheet("x", ST_SHEET_BATCH_MAX, "GR2022_WestMaasenWaal"),
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        st_sheet back;
        assert_st_ok(st_sheet_payload(&cases[i], buf, sizeof buf, &err), &err);
        assert_memory_equal(buf, ST_SHEET_MAGIC "1 station=", 24);
        assert_st_ok(st_sheet_parse(buf, &back, &err), &err);
        assert_same_sheet(&cases[i], &back);
    }
    assert_st_ok(st_sheet_payload(&cases[1], buf, sizeof buf, &err), &err);
    assert_string_equal(buf, "STEMTEL-SHEET/1 station=0392::SB117 batch=12 election=TK2025");
    assert_int_equal(st_sheet_payload(&cases[1], buf, 20, &err), ST_ERR_ARG);
}

static void test_sheet_parse_refuses_damaged_and_later_versions(void **state)
{
    static const struct {
        const char *text;
        int code;
        const char *says;
    } bad[] = {
        {"https://www.kiesraad.nl/", ST_ERR_PARSE, "not a separator sheet"},
        {"STEMTEL-SHEET/2 station=0668::SB1", ST_ERR_UNSUPPORTED, "version 2"},
        {"STEMTEL-SHEET/x station=0668::SB1", ST_ERR_PARSE, "bad version"},
        {"STEMTEL-SHEET/1 batch=3", ST_ERR_PARSE, "no station"},
        {"STEMTEL-SHEET/1", ST_ERR_PARSE, "no station"},
        {"STEMTEL-SHEET/1 station=0668::SB1 colour=red", ST_ERR_PARSE, "unknown field \"colour\""},
        {"STEMTEL-SHEET/1 station=0668::SB1 station=0668::SB2", ST_ERR_PARSE, "given twice"},
        {"STEMTEL-SHEET/1 station=0668::SB1 batch=0", ST_ERR_PARSE, "batch \"0\""},
        {"STEMTEL-SHEET/1 station=0668::SB1 batch=12a", ST_ERR_PARSE, "batch \"12a\""},
        {"STEMTEL-SHEET/1 station=0668::SB1  batch=1", ST_ERR_PARSE, "one space"},
        {"STEMTEL-SHEET/1 station=0668::SB1 batch", ST_ERR_PARSE, "no '='"},
        {"STEMTEL-SHEET/1 station=06/68", ST_ERR_PARSE, "station \"06/68\""},
        {"STEMTEL-SHEET/1 station=", ST_ERR_PARSE, "station \"\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        st_error err = {0};
        st_sheet s = make_sheet("untouched", 0, NULL);
        int rc = st_sheet_parse(bad[i].text, &s, &err);
        if (rc != bad[i].code || !strstr(err.msg, bad[i].says))
            fail_msg("\"%s\": got %d \"%s\", want %d with \"%s\"", bad[i].text, rc,
                     err.msg, bad[i].code, bad[i].says);
        assert_string_equal(s.station, "untouched");
    }
}

static void test_sheet_make_refuses_bad_station_batch_election(void **state)
{
    st_error err = {0};
    st_sheet s;
    assert_int_equal(st_sheet_make("0668 SB1", 0, NULL, &s, &err), ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "station \"0668 SB1\""));
    assert_int_equal(st_sheet_make("", 0, NULL, &s, &err), ST_ERR_ARG);
    assert_int_equal(st_sheet_make(NULL, 0, NULL, &s, &err), ST_ERR_ARG);
    assert_int_equal(st_sheet_make("0668::SB1", -1, NULL, &s, &err), ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "batch -1"));
    assert_int_equal(st_sheet_make("0668::SB1", 0, "GR 2022", &s, &err), ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "election \"GR 2022\""));
    char longid[80];
    memset(longid, 'A', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    assert_int_equal(st_sheet_make(longid, 0, NULL, &s, &err), ST_ERR_ARG);
}

/* ---- recognition -------------------------------------------------------- */

static void test_sheet_detected_at_200_and_300_dpi_in_every_scanner_format(void **state)
{
    static const st_tiff_format formats[] = {ST_TIFF_GREY_JPEG, ST_TIFF_RGB_JPEG,
                                             ST_TIFF_GREY_LZW, ST_TIFF_BILEVEL_G4};
    static const int dpis[] = {200, 300};
    char *dir = th_tmpdir();
    int n = 0;
    for (size_t d = 0; d < 2; d++)
        for (size_t f = 0; f < sizeof formats / sizeof *formats; f++) {
            char station[32];
            snprintf(station, sizeof station, "0668::SB%d", ++n);
            st_sheet want = make_sheet(station, n * 7, "GR2022"), got;
            st_image *img = scan_sheet(&want, dpis[d], 0,
                                       st_tiff_format_is_rgb(formats[f]) ? 3 : 1);
            if (detect_via_tiff(dir, img, formats[f], &got) != 1)
                fail_msg("sheet not found at %d dpi in %s", dpis[d],
                         st_tiff_format_name(formats[f]));
            assert_same_sheet(&want, &got);
            st_image_free(img);
        }
    th_rmtree(dir);
    free(dir);
}

static void test_sheet_detected_upside_down_and_skewed(void **state)
{
    static const double angles[] = {180, 3, -4, 176.5, 90, -90};
    static const int dpis[] = {200, 300};
    char *dir = th_tmpdir();
    for (size_t d = 0; d < 2; d++)
        for (size_t a = 0; a < sizeof angles / sizeof *angles; a++) {
            st_sheet want = make_sheet("0392::SB42", (int)a + 1, NULL), got;
            st_image *img = scan_sheet(&want, dpis[d], angles[a], 1);
            if (detect_via_tiff(dir, img, ST_TIFF_GREY_JPEG, &got) != 1)
                fail_msg("sheet turned %.1f degrees not found at %d dpi", angles[a],
                         dpis[d]);
            assert_same_sheet(&want, &got);
            st_image_free(img);
        }
    th_rmtree(dir);
    free(dir);
}

static void test_sheet_detected_in_grey_and_rgb_images(void **state)
{
    st_error err = {0};
    st_sheet want = make_sheet("0668::SB3", 2, NULL), got;
    int found = 0;
    st_image *grey = NULL;
    assert_st_ok(st_sheet_render(&want, 200, &grey, &err), &err);
    assert_int_equal(grey->w, st_mm_to_px(ST_SHEET_W_MM, 200));
    assert_st_ok(st_sheet_detect(grey, ST_SHEET_GREY, &found, &got, &err), &err);
    assert_int_equal(found, 1);
    assert_same_sheet(&want, &got);

    st_image *rgb = scan_sheet(&want, 300, 180, 3);
    rgb->dpi = 0; /* no resolution known: guessed from the size */
    found = 0;
    assert_st_ok(st_sheet_detect(rgb, ST_SHEET_GREY, &found, &got, &err), &err);
    assert_int_equal(found, 1);
    assert_same_sheet(&want, &got);

    /* Ink must be 1 channel. */
    assert_int_equal(st_sheet_detect(rgb, ST_SHEET_INK, &found, &got, &err), ST_ERR_ARG);
    st_image_free(grey);
    st_image_free(rgb);
}

static void test_sheet_detected_when_worn_and_with_the_longest_payload(void **state)
{
    /* Grey paper, weak toner, scanner noise and blur, a pencil stroke
     * across the code, turned 2 degrees; the longest ids there are. */
    char id[ST_SHEET_ID_MAX];
    memset(id, '7', sizeof id - 1);
    id[sizeof id - 1] = '\0';
    st_sheet want = make_sheet(id, ST_SHEET_BATCH_MAX, id), got;
    char *dir = th_tmpdir();
    for (int dpi = 200; dpi <= 300; dpi += 100) {
        st_error err = {0};
        int w = st_mm_to_px(ST_SHEET_W_MM, dpi), h = st_mm_to_px(ST_SHEET_H_MM, dpi);
        cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
        cairo_t *cr = cairo_create(sf);
        cairo_translate(cr, w / 2.0, h / 2.0);
        cairo_rotate(cr, 2 * M_PI / 180);
        cairo_translate(cr, -w / 2.0, -h / 2.0);
        cairo_scale(cr, dpi / 25.4, dpi / 25.4);
        assert_st_ok(st_sheet_draw(&want, cr, &err), &err);
        cairo_set_source_rgb(cr, 0.35, 0.35, 0.35);
        cairo_set_line_width(cr, 2.5);
        cairo_move_to(cr, 60, 165);
        cairo_line_to(cr, 150, 185);
        cairo_stroke(cr);
        cairo_destroy(cr);
        st_image *clean = from_surface(sf, 1, dpi);
        cairo_surface_destroy(sf);
        st_image *img = st_image_new(w, h, 1, 255);
        img->dpi = dpi;
        uint32_t seed = 12345;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                /* 3x3 box blur of the clean page, mapped to 70..210, plus
                 * noise of +-40. */
                int sum = 0, n = 0;
                for (int j = -1; j <= 1; j++)
                    for (int i = -1; i <= 1; i++)
                        if (x + i >= 0 && x + i < w && y + j >= 0 && y + j < h)
                            sum += clean->px[(size_t)(y + j) * clean->stride + x + i], n++;
                seed = seed * 1664525u + 1013904223u;
                int v = 70 + (sum / n) * 140 / 255 + (int)(seed >> 24) % 81 - 40;
                img->px[(size_t)y * img->stride + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
        if (detect_via_tiff(dir, img, ST_TIFF_GREY_JPEG, &got) != 1)
            fail_msg("worn sheet not found at %d dpi", dpi);
        assert_same_sheet(&want, &got);
        st_image_free(clean);
        st_image_free(img);
    }
    th_rmtree(dir);
    free(dir);
}

static void test_sheet_detected_in_an_already_shrunken_ink_image(void **state)
{
    /* The registration step keeps a ~50 dpi copy of each page's ink; a
     * sheet must read from it as it is. */
    st_error err = {0};
    st_sheet want = make_sheet("0668::SB12", 5, NULL), got;
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/s.tif", dir);
    st_image *img = scan_sheet(&want, 300, 181, 1);
    assert_st_ok(st_tiff_write(path, img, ST_TIFF_GREY_JPEG, 85, &err), &err);
    st_image ink = decode_ink(path, 0), coarse = {0};
    assert_int_equal(st_image_shrink(&ink, 6, &coarse), 0);
    assert_true(coarse.dpi == 50);
    int found = 0;
    assert_st_ok(st_sheet_detect(&coarse, ST_SHEET_INK, &found, &got, &err), &err);
    assert_int_equal(found, 1);
    assert_same_sheet(&want, &got);
    free(ink.px);
    free(coarse.px);
    st_image_free(img);
    th_rmtree(dir);
    free(dir);
}

/* A white A4 page at 200 dpi with a QR code of text (twice when text2). */
static st_image *page_with_codes(const char *text, const char *text2)
{
    st_error err = {0};
    int dpi = 200, w = st_mm_to_px(ST_SHEET_W_MM, dpi), h = st_mm_to_px(ST_SHEET_H_MM, dpi);
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, dpi / 25.4, dpi / 25.4);
    assert_st_ok(st_sheet_draw_code(cr, text, 50, 30, 80, &err), &err);
    if (text2)
        assert_st_ok(st_sheet_draw_code(cr, text2, 50, 170, 80, &err), &err);
    cairo_destroy(cr);
    st_image *img = from_surface(sf, 1, dpi);
    cairo_surface_destroy(sf);
    return img;
}

static void test_sheet_other_qr_codes_are_not_sheets(void **state)
{
    st_error err = {0};
    st_sheet got = make_sheet("untouched", 0, NULL);
    int found = -1;
    st_image *img = page_with_codes("https://www.kiesraad.nl/", NULL);
    assert_st_ok(st_sheet_detect(img, ST_SHEET_GREY, &found, &got, &err), &err);
    assert_int_equal(found, 0);
    assert_string_equal(got.station, "untouched");
    st_image_free(img);

    /* The same page with a sheet code beside the foreign one is a sheet. */
    img = page_with_codes("https://www.kiesraad.nl/", "STEMTEL-SHEET/1 station=0668::SB2");
    assert_st_ok(st_sheet_detect(img, ST_SHEET_GREY, &found, &got, &err), &err);
    assert_int_equal(found, 1);
    assert_string_equal(got.station, "0668::SB2");
    st_image_free(img);
}

static void test_sheet_unusable_sheet_codes_are_errors_not_ballots(void **state)
{
    static const struct {
        const char *a, *b;
        int code;
        const char *says;
    } cases[] = {
        {"STEMTEL-SHEET/2 station=0668::SB1", NULL, ST_ERR_UNSUPPORTED, "version 2"},
        {"STEMTEL-SHEET/1 station=0668::SB1 batch=zero", NULL, ST_ERR_PARSE, "batch"},
        {"STEMTEL-SHEET/1 station=0668::SB1", "STEMTEL-SHEET/1 station=0668::SB2",
         ST_ERR_INVALID, "two different sheet codes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        st_error err = {0};
        st_sheet got;
        int found = -1;
        st_image *img = page_with_codes(cases[i].a, cases[i].b);
        int rc = st_sheet_detect(img, ST_SHEET_GREY, &found, &got, &err);
        if (rc != cases[i].code || !strstr(err.msg, cases[i].says))
            fail_msg("case %zu: got %d \"%s\", want %d with \"%s\"", i, rc, err.msg,
                     cases[i].code, cases[i].says);
        st_image_free(img);
    }
}

/* Names of the *.tif files in dir, sorted; returns the count. */
static int list_tiffs(const char *dir, char names[][4200], int max)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max)
        if (strstr(e->d_name, ".tif"))
            snprintf(names[n++], 4200, "%s/%s", dir, e->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    return n;
}

static void test_sheet_ballots_are_never_sheets(void **state)
{
    /* Marked ballots in the formats and resolutions scanners write, and
     * the blank printed ballot. */
    static const char *const sets[] = {
        "--count 4 --seed 31 --dpi 200 --format rgb-jpeg",
        "--count 4 --seed 32 --dpi 300 --format grey-jpeg",
        "--count 4 --seed 33 --dpi 200 --format g4",
    };
    char *dir = th_tmpdir();
    char names[8][4200];
    st_error err = {0};
    int pages = 0;
    double t = 0;
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++) {
        char sub[4300];
        snprintf(sub, sizeof sub, "%s/%zu", dir, i);
        scan_synth(sub, sets[i]);
        int n = list_tiffs(sub, names, 8);
        assert_int_equal(n, 4);
        for (int k = 0; k < n; k++) {
            st_image ink = decode_ink(names[k], 0);
            st_sheet got;
            int found = -1;
            double t0 = scan_now();
            assert_st_ok(st_sheet_detect(&ink, ST_SHEET_INK, &found, &got, &err), &err);
            t += scan_now() - t0;
            if (found)
                fail_msg("%s taken for a sheet of %s", names[k], got.station);
            pages++;
            free(ink.px);
        }
    }
    char *model_path = th_root(SCAN_MODEL);
    st_model *m = NULL;
    assert_st_ok(st_model_load(model_path, &m, &err), &err);
    st_image *blank = NULL;
    assert_st_ok(st_render_grey(m, 300, &blank, &err), &err);
    int found = -1;
    st_sheet got;
    assert_st_ok(st_sheet_detect(blank, ST_SHEET_GREY, &found, &got, &err), &err);
    assert_int_equal(found, 0);
    print_message("    %d ballot pages, none a sheet; detection %.1f ms a page\n", pages,
                  1000 * t / pages);
    st_image_free(blank);
    st_model_free(m);
    free(model_path);
    th_rmtree(dir);
    free(dir);
}

/* ---- splitting a stack -------------------------------------------------- */

static void test_sheet_assign_splits_a_mixed_stack_of_three_stations(void **state)
{
    /* Real files: sheets printed by the command as TIFF (one fed upside
     * down at 300 dpi), ballots drawn by synth, in the order a team would
     * feed them: two stray ballots, then three stations' stacks. */
    char *dir = th_tmpdir();
    char ballots[12][4200], sub[4300], *out = NULL;
    snprintf(sub, sizeof sub, "%s/ballots", dir);
    scan_synth(sub, "--count 10 --seed 41 --dpi 200 --format grey-jpeg");
    assert_int_equal(list_tiffs(sub, ballots, 12), 10);
    static const char *const stations[] = {"0668::SB1", "0668::SB2", "0668::SB3"};
    char sheets[3][4200];
    for (int i = 0; i < 3; i++) {
        snprintf(sheets[i], sizeof sheets[i], "%s/sheet-%d.tif", dir, i + 1);
        if (i == 1)
            continue;
        int rc = th_run(&out, "sheet --station %s --batch %d -o '%s' --dpi 200",
                        stations[i], i + 1, sheets[i]);
        if (rc != 0)
            fail_msg("sheet failed (%d): %s", rc, out);
        free(out);
    }
    /* SB2's sheet is fed upside down, scanned at 300 dpi. */
    {
        st_error err = {0};
        st_image *img = scan_sheet(&(st_sheet){.station = "0668::SB2", .batch = 2}, 300,
                                   180, 1);
        assert_st_ok(st_tiff_write(sheets[1], img, ST_TIFF_GREY_JPEG, 85, &err), &err);
        st_image_free(img);
    }
    /* Stack: b b S1 b b b S2 b b S3 b b b (b = ballot). */
    const char *stack[13];
    const char *want[13] = {NULL,        NULL,        "0668::SB1", "0668::SB1", "0668::SB1",
                            "0668::SB1", "0668::SB2", "0668::SB2", "0668::SB2", "0668::SB3",
                            "0668::SB3", "0668::SB3", "0668::SB3"};
    int nb = 0;
    for (int i = 0; i < 13; i++)
        stack[i] = i == 2 ? sheets[0] : i == 6 ? sheets[1] : i == 9 ? sheets[2] : ballots[nb++];
    st_sheet found_sheets[13];
    const st_sheet *pages[13];
    st_error err = {0};
    for (int i = 0; i < 13; i++) {
        st_image ink = decode_ink(stack[i], 0);
        int found = -1;
        assert_st_ok(st_sheet_detect(&ink, ST_SHEET_INK, &found, &found_sheets[i], &err),
                     &err);
        pages[i] = found ? &found_sheets[i] : NULL;
        assert_int_equal(found, i == 2 || i == 6 || i == 9);
        free(ink.px);
    }
    st_sheet_slot slots[13];
    assert_int_equal(st_sheet_assign(pages, 13, NULL, slots), 2);
    for (int i = 0; i < 13; i++) {
        if (want[i])
            assert_string_equal(slots[i].station, want[i]);
        else
            assert_null(slots[i].station);
    }
    assert_int_equal(slots[7].sheet, 6);
    assert_int_equal(slots[7].batch, 2);
    assert_int_equal(slots[12].batch, 3);
    assert_int_equal(slots[0].sheet, -1);

    /* With a default station the stray ballots take it. */
    assert_int_equal(st_sheet_assign(pages, 13, "0668::SB9", slots), 0);
    assert_string_equal(slots[0].station, "0668::SB9");
    assert_string_equal(slots[1].station, "0668::SB9");
    assert_string_equal(slots[2].station, "0668::SB1");
    th_rmtree(dir);
    free(dir);
}

static void test_sheet_assign_handles_empty_batches_and_empty_stacks(void **state)
{
    st_sheet a = make_sheet("A", 1, NULL), b = make_sheet("B", 0, NULL);
    /* Two sheets in a row (a station with no ballots), ending on a sheet. */
    const st_sheet *pages[] = {&a, &b, NULL, &a};
    st_sheet_slot slots[4];
    assert_int_equal(st_sheet_assign(pages, 4, NULL, slots), 0);
    assert_string_equal(slots[0].station, "A");
    assert_int_equal(slots[0].sheet, 0);
    assert_string_equal(slots[1].station, "B");
    assert_string_equal(slots[2].station, "B");
    assert_int_equal(slots[2].batch, 0);
    assert_int_equal(slots[3].sheet, 3);
    assert_int_equal(st_sheet_assign(pages, 0, NULL, slots), 0);
}

static void test_sheet_step_leaves_pages_after_an_unusable_sheet_unassigned(void **state)
{
    /* As the runner sees one source: b S1 b X b S2 b (X = unusable). */
    st_sheet a = make_sheet("A", 4, NULL), b = make_sheet("B", 5, NULL);
    const int kind[] = {0, 1, 0, -1, 0, 1, 0};
    const st_sheet *sheet[] = {NULL, &a, NULL, NULL, NULL, &b, NULL};
    const char *want[] = {"D", "A", "A", NULL, NULL, "B", "B"};
    const int batch[] = {9, 4, 4, 0, 0, 5, 5};
    st_sheet_state st = {0};
    for (int i = 0; i < 7; i++) {
        st_sheet_slot slot;
        st_sheet_step(&st, kind[i], sheet[i], "D", 9, &slot);
        if (want[i])
            assert_string_equal(slot.station, want[i]);
        else
            assert_null(slot.station);
        assert_int_equal(slot.batch, batch[i]);
        assert_int_equal(slot.sheet, -1);
    }
    /* A second source starts afresh: its pages take the default. */
    st_sheet_state other = {0};
    st_sheet_slot slot;
    st_sheet_step(&other, 0, NULL, NULL, 0, &slot);
    assert_null(slot.station);
}

/* ---- the command ---------------------------------------------------------- */

static void test_sheet_command_writes_tif_png_and_pdf_that_read_back(void **state)
{
    char *dir = th_tmpdir(), *out = NULL, path[4200];
    st_error err = {0};
    st_sheet got;
    int found = -1;

    snprintf(path, sizeof path, "%s/s.tif", dir);
    assert_int_equal(th_run(&out, "sheet --station 0668::SB7 --batch 3 --election GR2022 "
                                  "-o '%s' --dpi 200", path), 0);
    free(out);
    st_image ink = decode_ink(path, 0);
    assert_int_equal(ink.w, st_mm_to_px(ST_SHEET_W_MM, 200));
    assert_st_ok(st_sheet_detect(&ink, ST_SHEET_INK, &found, &got, &err), &err);
    assert_int_equal(found, 1);
    assert_string_equal(got.station, "0668::SB7");
    assert_int_equal(got.batch, 3);
    assert_string_equal(got.election, "GR2022");
    free(ink.px);

    snprintf(path, sizeof path, "%s/s.png", dir);
    assert_int_equal(th_run(&out, "sheet --station 0668::SB8 -o '%s' --dpi 150", path), 0);
    free(out);
    cairo_surface_t *sf = cairo_image_surface_create_from_png(path);
    assert_int_equal(cairo_surface_status(sf), CAIRO_STATUS_SUCCESS);
    st_image *img = from_surface(sf, 3, 150);
    cairo_surface_destroy(sf);
    found = -1;
    assert_st_ok(st_sheet_detect(img, ST_SHEET_GREY, &found, &got, &err), &err);
    assert_int_equal(found, 1);
    assert_string_equal(got.station, "0668::SB8");
    assert_int_equal(got.batch, 0);
    st_image_free(img);

    snprintf(path, sizeof path, "%s/s.pdf", dir);
    assert_int_equal(th_run(&out, "sheet --station 0668::SB9 -o '%s'", path), 0);
    free(out);
    size_t len = 0;
    char *pdf = th_slurp(path, &len);
    assert_non_null(pdf);
    assert_true(len > 1000);
    assert_memory_equal(pdf, "%PDF-", 5);
    /* A4 in points (the file holds binary streams: no strstr). */
    static const char a4[] = "/MediaBox [ 0 0 595.275591 841.889764 ]";
    assert_non_null(memmem(pdf, len, a4, sizeof a4 - 1));
    free(pdf);
    th_rmtree(dir);
    free(dir);
}

static void test_sheet_command_refuses_bad_input_with_a_clear_message(void **state)
{
    char *dir = th_tmpdir(), *out = NULL;
    static const struct {
        const char *args, *says;
    } bad[] = {
        {"sheet -o %s/x.pdf", "--station ID is required"},
        {"sheet --station 0668::SB1", "-o FILE is required"},
        {"sheet --station '0668 SB1' -o %s/x.pdf", "station \"0668 SB1\""},
        {"sheet --station 0668::SB1 --batch 0 -o %s/x.pdf", "--batch: \"0\""},
        {"sheet --station 0668::SB1 --election 'a b' -o %s/x.pdf", "election \"a b\""},
        {"sheet --station 0668::SB1 --dpi 90 -o %s/x.png", "--dpi: \"90\""},
        {"sheet --station 0668::SB1 -o %s/x.jpg", "x.jpg: unknown output type"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char args[4400];
        snprintf(args, sizeof args, bad[i].args, dir);
        int rc = th_run(&out, "%s", args);
        if (rc != 2 || !strstr(out, bad[i].says))
            fail_msg("`%s`: exit %d, said \"%s\"; want 2 and \"%s\"", args, rc, out,
                     bad[i].says);
        free(out);
    }
    assert_int_equal(th_run(&out, "sheet --station 0668::SB1 -o /nonexistent/dir/x.pdf"), 1);
    assert_non_null(strstr(out, "/nonexistent/dir/x.pdf"));
    free(out);
    th_rmtree(dir);
    free(dir);
}

/* Dark pixels of img between y0 and y1 mm. */
static long dark_between(const st_image *img, double y0, double y1)
{
    double k = img->dpi / 25.4;
    long n = 0;
    for (int y = (int)(y0 * k); y < (int)(y1 * k) && y < img->h; y++)
        for (int x = 0; x < img->w; x++)
            n += img->px[(size_t)y * img->stride + x] < 128;
    return n;
}

static void test_sheet_prints_the_station_name_under_its_id_and_reads_the_same(void **state)
{
    st_error err = {0};
    st_sheet plain, named;
    assert_st_ok(st_sheet_make("0668::SB3", 2, NULL, &plain, &err), &err);
    named = plain;
    snprintf(named.name, sizeof named.name, "Dorpshuis De Kern, Beneden-Leeuwen");
    st_image *a = NULL, *b = NULL;
    assert_st_ok(st_sheet_render(&plain, 150, &a, &err), &err);
    assert_st_ok(st_sheet_render(&named, 150, &b, &err), &err);
    a->dpi = b->dpi = 150;
    /* The name band under the id is blank without a name, inked with one. */
    assert_int_equal(dark_between(a, 71, 79.5), 0);
    assert_true(dark_between(b, 71, 79.5) > 200);
    /* The code says the same either way: the name is for people. */
    int found = 0;
    st_sheet got;
    assert_st_ok(st_sheet_detect(b, ST_SHEET_GREY, &found, &got, &err), &err);
    assert_true(found);
    assert_string_equal(got.station, "0668::SB3");
    assert_int_equal(got.batch, 2);
    st_image_free(a);
    st_image_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sheet_payload_round_trips),
        cmocka_unit_test(test_sheet_parse_refuses_damaged_and_later_versions),
        cmocka_unit_test(test_sheet_make_refuses_bad_station_batch_election),
        cmocka_unit_test(test_sheet_detected_at_200_and_300_dpi_in_every_scanner_format),
        cmocka_unit_test(test_sheet_detected_upside_down_and_skewed),
        cmocka_unit_test(test_sheet_detected_in_grey_and_rgb_images),
        cmocka_unit_test(test_sheet_detected_when_worn_and_with_the_longest_payload),
        cmocka_unit_test(test_sheet_detected_in_an_already_shrunken_ink_image),
        cmocka_unit_test(test_sheet_other_qr_codes_are_not_sheets),
        cmocka_unit_test(test_sheet_unusable_sheet_codes_are_errors_not_ballots),
        cmocka_unit_test(test_sheet_ballots_are_never_sheets),
        cmocka_unit_test(test_sheet_assign_splits_a_mixed_stack_of_three_stations),
        cmocka_unit_test(test_sheet_assign_handles_empty_batches_and_empty_stacks),
        cmocka_unit_test(test_sheet_step_leaves_pages_after_an_unusable_sheet_unassigned),
        cmocka_unit_test(test_sheet_command_writes_tif_png_and_pdf_that_read_back),
        cmocka_unit_test(test_sheet_command_refuses_bad_input_with_a_clear_message),
        cmocka_unit_test(test_sheet_prints_the_station_name_under_its_id_and_reads_the_same),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
