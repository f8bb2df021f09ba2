/* test_register.c - registration on pages that lost registration marks
 *
 * One clean ballot is drawn by `stemtel synth` (GR2022, 200 dpi grey).
 * Each test turns and shifts that page inside a fixed scanner frame, as a
 * scanner writing a fixed frame does when the sheet goes in crooked, so
 * that corner marks are cut by the image's edge or lie wholly outside it,
 * writes it as a TIFF and counts it with `stemtel count`: every box is
 * still on the page, so the ballot must be read with the truth's outcome.
 * A blank page with three stray blobs on one line where marks belong must
 * be rejected with a finite message. Every ballots.jsonl line must parse
 * as strict JSON.
 */
#include "helpers.h"
#include "run_ok.h"

#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#define MODEL "models/gr2022-west-maas-en-waal.json"
#define FRAME_W_MM 440.0 /* the scanner's frame: 10 mm beyond the sheet */
#define FRAME_H_MM 317.0

typedef struct page {
    int w, h;
    double dpi;
    unsigned char *px; /* 8-bit grey, 255 = paper */
} page;

typedef struct fx {
    char *dir;
    char *model;
    page clean;
    page unmarked;              /* clean, every registration mark painted out */
    char *other;                /* another design's model */
    char *markless;             /* the model without registration marks */
    double bed_x, bed_y;        /* where synth put the sheet, mm */
    double paper_w, paper_h;    /* mm */
    char outcome[32];
    int list, candidate;        /* the truth's vote, when outcome is "vote" */
} fx;

static void tiff_quiet(const char *mod, const char *fmt, va_list ap)
{
    (void)mod, (void)fmt, (void)ap;
}

static void read_grey(const char *path, page *p)
{
    TIFF *t = TIFFOpen(path, "r");
    assert_non_null(t);
    uint32_t w = 0, h = 0;
    uint16_t bps = 0, spp = 0;
    float xr = 0;
    TIFFGetField(t, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(t, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(t, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(t, TIFFTAG_SAMPLESPERPIXEL, &spp);
    assert_true(TIFFGetField(t, TIFFTAG_XRESOLUTION, &xr));
    assert_int_equal(bps, 8);
    assert_int_equal(spp, 1);
    p->w = (int)w;
    p->h = (int)h;
    p->dpi = xr;
    p->px = malloc((size_t)w * h);
    assert_non_null(p->px);
    for (uint32_t y = 0; y < h; y++)
        assert_true(TIFFReadScanline(t, p->px + (size_t)y * w, y, 0) >= 0);
    TIFFClose(t);
}

static void write_grey(const char *path, const page *p)
{
    TIFF *t = TIFFOpen(path, "w");
    assert_non_null(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, p->w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, p->h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_LZW);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, (float)p->dpi);
    TIFFSetField(t, TIFFTAG_YRESOLUTION, (float)p->dpi);
    TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, 64);
    for (int y = 0; y < p->h; y++)
        assert_true(TIFFWriteScanline(t, p->px + (size_t)y * p->w, (uint32_t)y, 0) == 1);
    TIFFClose(t);
}

/* The sheet of page in turned by deg degrees about its centre, moved by
 * (tx, ty) mm, in a frame of fw x fh mm centred on it; what falls outside
 * is lost. */
static void frame_of(const fx *f, const page *in, double fw, double fh, double deg,
                     double tx, double ty, page *out)
{
    double k = in->dpi / 25.4, a = deg * M_PI / 180, c = cos(a), s = sin(a);
    out->dpi = in->dpi;
    out->w = (int)lround(fw * k);
    out->h = (int)lround(fh * k);
    out->px = malloc((size_t)out->w * out->h);
    assert_non_null(out->px);
    double cix = (f->bed_x + f->paper_w / 2) * k, ciy = (f->bed_y + f->paper_h / 2) * k;
    double cox = out->w / 2.0 + tx * k, coy = out->h / 2.0 + ty * k;
    for (int y = 0; y < out->h; y++)
        for (int x = 0; x < out->w; x++) {
            double qx = x + 0.5 - cox, qy = y + 0.5 - coy;
            double px = c * qx + s * qy + cix, py = -s * qx + c * qy + ciy;
            int ix = (int)floor(px), iy = (int)floor(py);
            out->px[(size_t)y * out->w + x] =
                ix >= 0 && iy >= 0 && ix < in->w && iy < in->h
                    ? in->px[(size_t)iy * in->w + ix]
                    : 255;
        }
}

/* The clean page in the scanner's fixed frame. */
static void frame(const fx *f, double deg, double tx, double ty, page *out)
{
    frame_of(f, &f->clean, FRAME_W_MM, FRAME_H_MM, deg, tx, ty, out);
}

/* f->unmarked: the clean page with every registration mark of the model
 * painted over in paper white (1 mm beyond its edge), as on a ballot
 * printed without them. */
static void paint_out_marks(fx *f)
{
    char *text = th_slurp(f->model, NULL);
    assert_non_null(text);
    json_object *m = json_tokener_parse(text), *fids;
    assert_non_null(m);
    assert_true(json_object_object_get_ex(m, "fiducials", &fids));
    page *u = &f->unmarked;
    *u = f->clean;
    u->px = malloc((size_t)u->w * u->h);
    assert_non_null(u->px);
    memcpy(u->px, f->clean.px, (size_t)u->w * u->h);
    double k = u->dpi / 25.4;
    int n = (int)json_object_array_length(fids);
    assert_true(n >= 3);
    for (int i = 0; i < n; i++) {
        json_object *fd = json_object_array_get_idx(fids, i), *v;
        double r[4];
        const char *keys[4] = {"x_mm", "y_mm", "w_mm", "h_mm"};
        for (int j = 0; j < 4; j++) {
            assert_true(json_object_object_get_ex(fd, keys[j], &v));
            r[j] = json_object_get_double(v);
        }
        int x0 = (int)floor((f->bed_x + r[0] - 1) * k), x1 = (int)ceil((f->bed_x + r[0] + r[2] + 1) * k);
        int y0 = (int)floor((f->bed_y + r[1] - 1) * k), y1 = (int)ceil((f->bed_y + r[1] + r[3] + 1) * k);
        for (int y = y0 < 0 ? 0 : y0; y < y1 && y < u->h; y++)
            for (int x = x0 < 0 ? 0 : x0; x < x1 && x < u->w; x++)
                u->px[(size_t)y * u->w + x] = 255;
    }
    /* The same design as a model that has no marks (a ballot printed
     * without them). */
    json_object_object_add(m, "fiducials", json_object_new_array());
    char path[4200];
    snprintf(path, sizeof path, "%s/markless.json", f->dir);
    assert_int_equal(json_object_to_file_ext(path, m, JSON_C_TO_STRING_PLAIN), 0);
    f->markless = strdup(path);
    json_object_put(m);
    free(text);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    TIFFSetWarningHandler(tiff_quiet);
    f->dir = th_tmpdir();
    f->model = th_root(MODEL);
    RUN_OK("synth '%s' --count 1 --seed 5 --format grey --dpi 200 --degrade none "
           "--scenarios vote --styles fill --instruments black-pen --threads 1 "
           "--out '%s/clean'", f->model, f->dir);
    char path[4096];
    snprintf(path, sizeof path, "%s/clean/truth.jsonl", f->dir);
    char *truth = th_slurp(path, NULL);
    assert_non_null(truth);
    json_object *t = json_tokener_parse(truth), *v, *e;
    assert_non_null(t);
    assert_true(json_object_object_get_ex(t, "bed_margin_mm", &v));
    f->bed_x = json_object_get_double(json_object_array_get_idx(v, 0));
    f->bed_y = json_object_get_double(json_object_array_get_idx(v, 1));
    assert_true(json_object_object_get_ex(t, "expected", &e));
    assert_true(json_object_object_get_ex(e, "outcome", &v));
    snprintf(f->outcome, sizeof f->outcome, "%s", json_object_get_string(v));
    assert_string_equal(f->outcome, "vote");
    assert_true(json_object_object_get_ex(e, "list", &v));
    f->list = json_object_get_int(v);
    assert_true(json_object_object_get_ex(e, "candidate", &v));
    f->candidate = json_object_get_int(v);
    json_object_put(t);
    free(truth);
    f->paper_w = 420;
    f->paper_h = 297;
    snprintf(path, sizeof path, "%s/clean/ballot-000001.tif", f->dir);
    read_grey(path, &f->clean);
    paint_out_marks(f);
    f->other = th_root("models/tk2025-haarlem.json");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    th_rmtree(f->dir);
    free(f->dir);
    free(f->model);
    free(f->clean.px);
    free(f->unmarked.px);
    free(f->other);
    free(f->markless);
    free(f);
    return 0;
}

/* One ballots.jsonl record, parsed strictly. */
typedef struct result {
    char outcome[32];
    char reason[64];
    char message[512];
    int list, candidate;
    int marks;
    double rms_mm;
    char placed_by[16];
} result;

/* Count the page p as the only page of a batch; every line of
 * ballots.jsonl must parse in json-c's strict mode. */
static void count_page_as(const fx *f, const char *model, const char *name, const page *p,
                          result *r)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/%s", f->dir, name);
    snprintf(path, sizeof path, "mkdir -p '%s/in'", dir);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof path, "%s/in/page.tif", dir);
    write_grey(path, p);
    char *out = NULL;
    int rc = th_run(&out, "count --model '%s' --threads 1 --out '%s/out' '%s/in'",
                    model, dir, dir);
    assert_true(rc == 0 || rc == 1);
    free(out);
    snprintf(path, sizeof path, "%s/out/ballots.jsonl", dir);
    size_t len = 0;
    char *text = th_slurp(path, &len);
    assert_non_null(text);
    memset(r, 0, sizeof *r);
    int lines = 0;
    for (char *ln = text, *nl; *ln; ln = nl + 1) {
        nl = strchr(ln, '\n');
        assert_non_null(nl);
        json_tokener *tok = json_tokener_new();
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        json_object *o = json_tokener_parse_ex(tok, ln, (int)(nl - ln));
        if (!o || json_tokener_get_error(tok) != json_tokener_success)
            fail_msg("ballots.jsonl line is not strict JSON: %.*s", (int)(nl - ln), ln);
        json_tokener_free(tok);
        json_object *v;
        if (json_object_object_get_ex(o, "outcome", &v))
            snprintf(r->outcome, sizeof r->outcome, "%s", json_object_get_string(v));
        if (json_object_object_get_ex(o, "list", &v))
            r->list = json_object_get_int(v);
        if (json_object_object_get_ex(o, "candidate", &v))
            r->candidate = json_object_get_int(v);
        if (json_object_object_get_ex(o, "reasons", &v) && json_object_array_length(v))
            snprintf(r->reason, sizeof r->reason, "%s",
                     json_object_get_string(json_object_array_get_idx(v, 0)));
        if (json_object_object_get_ex(o, "message", &v))
            snprintf(r->message, sizeof r->message, "%s", json_object_get_string(v));
        json_object *g;
        if (json_object_object_get_ex(o, "registration", &g) &&
            json_object_object_get_ex(g, "marks", &v))
            r->marks = json_object_get_int(v);
        if (json_object_object_get_ex(o, "registration", &g) &&
            json_object_object_get_ex(g, "rms_mm", &v))
            r->rms_mm = json_object_get_double(v);
        if (json_object_object_get_ex(o, "registration", &g) &&
            json_object_object_get_ex(g, "placed_by", &v))
            snprintf(r->placed_by, sizeof r->placed_by, "%s", json_object_get_string(v));
        json_object_put(o);
        lines++;
    }
    assert_int_equal(lines, 1);
    free(text);
}

static void count_page(const fx *f, const char *name, const page *p, result *r)
{
    count_page_as(f, f->model, name, p, r);
}

/* The framed page is read and gives the truth's vote, placed as well as
 * a whole page is (a cut mark's centre taken for the mark's moves the
 * fit by a quarter millimetre and more). */
static void assert_read(const fx *f, const char *name, double deg, double tx, double ty)
{
    page p;
    frame(f, deg, tx, ty, &p);
    result r;
    count_page(f, name, &p, &r);
    free(p.px);
    if (strcmp(r.outcome, f->outcome) || r.list != f->list || r.candidate != f->candidate)
        fail_msg("%s: got %s %d/%d (%s: %s), truth %s %d/%d", name, r.outcome, r.list,
                 r.candidate, r.reason, r.message, f->outcome, f->list, f->candidate);
    if (!(r.rms_mm <= 0.1))
        fail_msg("%s: read, but %d marks fit only to %.3f mm", name, r.marks, r.rms_mm);
}

static void test_register_reads_page_whose_corner_mark_is_outside(void **state)
{
    /* F3 (bottom right) wholly beyond the frame's bottom edge. */
    assert_read(*state, "one-out", 1.5, -12, 20);
}

static void test_register_reads_page_with_half_a_mark_cut_off(void **state)
{
    /* F4 (bottom left): about half of it is beyond the left edge. */
    assert_read(*state, "half-cut", 2, -17, 0);
}

static void test_register_leaves_out_a_mark_with_a_sliver_cut_off(void **state)
{
    /* 30% of F4 cut: its blob still has about a mark's size, not its centre. */
    assert_read(*state, "sliver-cut", 2, -15.5, 0);
}

static void test_register_reads_page_turned_4_degrees_with_two_marks_cut(void **state)
{
    /* F3 cut, F4 wholly outside: two whole corner marks and the
     * orientation mark are left. */
    assert_read(*state, "turned-4", 4, -22, 8);
}

static void test_register_reads_upside_down_page_with_a_mark_cut(void **state)
{
    /* Fed the other way round; a quarter of F2 cut by the edge. */
    assert_read(*state, "upside-down", 181, -17.5, -12);
}

static void test_register_reads_page_with_only_the_top_marks(void **state)
{
    /* Both bottom corner marks below the frame: the three marks left lie
     * on one line, which fixes no affine transform; two of them far apart
     * and the box outlines place the page. */
    assert_read(*state, "top-only", 0, 0, 26);
}

static void test_register_rejects_blank_page_with_marks_on_one_line(void **state)
{
    fx *f = *state;
    page p = {.dpi = f->clean.dpi};
    double k = p.dpi / 25.4;
    p.w = (int)lround(FRAME_W_MM * k);
    p.h = (int)lround(FRAME_H_MM * k);
    p.px = malloc((size_t)p.w * p.h);
    assert_non_null(p.px);
    memset(p.px, 255, (size_t)p.w * p.h);
    /* Three blobs where F1, F5 and F2 belong on a sheet centred in the
     * frame: all on one line, and no box outline anywhere. */
    const double sq[3][3] = {{8, 8, 7}, {19, 9, 5}, {405, 8, 7}};
    double ox = (FRAME_W_MM - f->paper_w) / 2, oy = (FRAME_H_MM - f->paper_h) / 2;
    for (int i = 0; i < 3; i++)
        for (int y = (int)((oy + sq[i][1]) * k); y < (int)((oy + sq[i][1] + sq[i][2]) * k); y++)
            for (int x = (int)((ox + sq[i][0]) * k); x < (int)((ox + sq[i][0] + sq[i][2]) * k); x++)
                p.px[(size_t)y * p.w + x] = 0;
    result r;
    count_page(f, "collinear", &p, &r);
    free(p.px);
    assert_string_equal(r.outcome, "rejected");
    assert_true(r.reason[0]);
    assert_true(r.message[0]);
    assert_null(strstr(r.message, "nan"));
    assert_null(strstr(r.message, "inf"));
    assert_null(strstr(r.message, "0.0%"));
}

/* The page p is read by its printed boxes alone and gives the truth's
 * vote, the outlines placing it as well as marks do. */
static void assert_read_by_grid(const fx *f, const char *model, const char *name,
                                const page *p, int marks)
{
    result r;
    count_page_as(f, model, name, p, &r);
    if (strcmp(r.outcome, f->outcome) || r.list != f->list || r.candidate != f->candidate)
        fail_msg("%s: got %s %d/%d (%s: %s), truth %s %d/%d", name, r.outcome, r.list,
                 r.candidate, r.reason, r.message, f->outcome, f->list, f->candidate);
    assert_string_equal(r.placed_by, "grid");
    assert_int_equal(r.marks, marks);
    if (!(r.rms_mm <= 0.1))
        fail_msg("%s: read, but the outlines fit only to %.3f mm", name, r.rms_mm);
}

static void test_register_places_cropped_page_with_every_mark_cut_by_its_boxes(void **state)
{
    /* The frame is exactly the sheet (a scanner cropping to the paper's
     * size), the sheet turned 4.8 degrees: every corner mark and the
     * orientation mark lose a part beyond the image's edges. */
    fx *f = *state;
    page p;
    frame_of(f, &f->clean, f->paper_w, f->paper_h, 4.8, -1, 4.4, &p);
    assert_read_by_grid(f, f->model, "cropped", &p, 0);
    free(p.px);
}

static void test_register_places_page_without_marks_by_its_boxes(void **state)
{
    /* A design printed without marks, and a model that has none. */
    fx *f = *state;
    page p;
    frame_of(f, &f->unmarked, FRAME_W_MM, FRAME_H_MM, -2.5, 3, -2, &p);
    assert_read_by_grid(f, f->markless, "no-marks", &p, 0);
    free(p.px);
}

static void test_register_places_upside_down_page_without_marks_by_its_boxes(void **state)
{
    /* The design is not the same both ways up: its boxes tell. */
    fx *f = *state;
    page p;
    frame_of(f, &f->unmarked, FRAME_W_MM, FRAME_H_MM, 178.5, -4, 3, &p);
    assert_read_by_grid(f, f->markless, "no-marks-upside-down", &p, 0);
    free(p.px);
}

static void test_register_grid_needs_the_marks_it_puts_on_the_page(void **state)
{
    /* Turned 4.8 degrees in a frame cropped to the sheet and shifted 5 mm:
     * the marks left do not place the page, so its boxes do, and the two
     * marks that placement puts wholly on the image are found there. */
    fx *f = *state;
    page p;
    frame_of(f, &f->clean, f->paper_w, f->paper_h, -4.8, 5, 0, &p);
    result r;
    count_page(f, "marks-kept", &p, &r);
    free(p.px);
    if (strcmp(r.outcome, f->outcome) || r.list != f->list || r.candidate != f->candidate)
        fail_msg("marks-kept: got %s %d/%d (%s: %s)", r.outcome, r.list, r.candidate,
                 r.reason, r.message);
    assert_string_equal(r.placed_by, "grid");
    assert_int_equal(r.marks, 2);
}

static void test_register_grid_rejects_page_missing_marks_it_would_show(void **state)
{
    /* The model has marks, the page none, though the boxes put them all
     * well inside the image: the boxes alone do not vouch for the page. */
    fx *f = *state;
    page p;
    frame_of(f, &f->unmarked, FRAME_W_MM, FRAME_H_MM, -2.5, 3, -2, &p);
    result r;
    count_page(f, "marks-missing", &p, &r);
    free(p.px);
    assert_string_equal(r.outcome, "rejected");
    if (!strstr(r.message, "registration mark F") || !strstr(r.message, "not there"))
        fail_msg("marks-missing: message does not name the missing mark: %s", r.message);
}

static void test_register_grid_rejects_a_page_of_another_design(void **state)
{
    /* The GR2022 page without its marks, counted against the TK2025
     * model with its marks and without: other boxes at other places.
     * Never read, and the message says the printed boxes were tried. */
    fx *f = *state;
    char *text = th_slurp(f->other, NULL);
    assert_non_null(text);
    json_object *m = json_tokener_parse(text);
    assert_non_null(m);
    json_object_object_add(m, "fiducials", json_object_new_array());
    char markless[4200];
    snprintf(markless, sizeof markless, "%s/other-markless.json", f->dir);
    assert_int_equal(json_object_to_file_ext(markless, m, JSON_C_TO_STRING_PLAIN), 0);
    json_object_put(m);
    free(text);
    page p;
    frame_of(f, &f->unmarked, FRAME_W_MM, FRAME_H_MM, 1.0, 0, 0, &p);
    const char *models[2] = {f->other, markless}, *names[2] = {"other", "other-markless"};
    for (int i = 0; i < 2; i++) {
        result r;
        count_page_as(f, models[i], names[i], &p, &r);
        assert_string_equal(r.outcome, "rejected");
        if (!strstr(r.message, "printed boxes"))
            fail_msg("%s: message does not say the boxes were tried: %s", names[i], r.message);
    }
    free(p.px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_register_reads_page_whose_corner_mark_is_outside),
        cmocka_unit_test(test_register_reads_page_with_half_a_mark_cut_off),
        cmocka_unit_test(test_register_leaves_out_a_mark_with_a_sliver_cut_off),
        cmocka_unit_test(test_register_reads_page_turned_4_degrees_with_two_marks_cut),
        cmocka_unit_test(test_register_reads_upside_down_page_with_a_mark_cut),
        cmocka_unit_test(test_register_reads_page_with_only_the_top_marks),
        cmocka_unit_test(test_register_rejects_blank_page_with_marks_on_one_line),
        cmocka_unit_test(test_register_places_cropped_page_with_every_mark_cut_by_its_boxes),
        cmocka_unit_test(test_register_places_page_without_marks_by_its_boxes),
        cmocka_unit_test(test_register_places_upside_down_page_without_marks_by_its_boxes),
        cmocka_unit_test(test_register_grid_needs_the_marks_it_puts_on_the_page),
        cmocka_unit_test(test_register_grid_rejects_page_missing_marks_it_would_show),
        cmocka_unit_test(test_register_grid_rejects_a_page_of_another_design),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
