/* fromscan.c - a model from the scan of an unmarked printed ballot
 *
 * The page is decoded as ink, its boxes found as from a proof
 * (boxfind.h), and counted against the 230b. Sorted from the top, the
 * first n_lists boxes must end clearly above the rest (else the sheet is
 * tried turned round). The number boxes fall into rows; the slope of the
 * rows is the sheet's skew, and every box and print is turned back about
 * the image's centre by it. Lists are then read column by column and
 * numbers row by row. What the print scores inside the boxes is measured
 * on the scan itself when it was straight enough to be scored as it is.
 */
#include "stemtel/fromscan.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/boxfind.h"
#include "sources/filebytes.h"
#include "stemtel/decode.h"

#define DEFAULT_DPI 300
#define HALVES_GAP_MM 2.0     /* between the last list box and the numbers */
#define ART_ABOVE_PAPER 40    /* print on a scan: this far above the paper */
#define ART_MIN_MM2 0.05
#define SCORE_SKEW_DEG 0.3    /* scanned straighter: its print is scored as it is */

typedef struct ctx {
    st_problems *notes, *problems;
    int nomem;
} ctx;

/* Add a message to p; on no memory, *nomem is set. */
#define NOTE(p, nomem, ...) ((void)(st_problems_add((p), __VA_ARGS__) && (*(nomem) = 1)))

static double cx_of(const st_rect *r) { return r->x + r->w / 2; }
static double cy_of(const st_rect *r) { return r->y + r->h / 2; }

static int by_top(const void *a, const void *b)
{
    double p = ((const st_found_box *)a)->r.y, q = ((const st_found_box *)b)->r.y;
    return (p > q) - (p < q);
}

static int by_cx(const void *a, const void *b)
{
    double p = cx_of(&((const st_found_box *)a)->r), q = cx_of(&((const st_found_box *)b)->r);
    return (p > q) - (p < q);
}

static int by_cy(const void *a, const void *b)
{
    double p = cy_of(&((const st_found_box *)a)->r), q = cy_of(&((const st_found_box *)b)->r);
    return (p > q) - (p < q);
}

/* The gap between the highest nl boxes (sorted by top) and the rest. */
static double halves_gap(const st_found_box *b, int n, int nl)
{
    double low = -1e9, high = 1e9;
    for (int i = 0; i < nl; i++)
        low = fmax(low, b[i].r.y + b[i].r.h);
    for (int i = nl; i < n; i++)
        high = fmin(high, b[i].r.y);
    return high - low;
}

static void turn_round(st_rect *r, double pw, double ph)
{
    r->x = pw - r->x - r->w;
    r->y = ph - r->y - r->h;
}

/* Rows of boxes b[0..n) sorted by centre y: starts[] receives the first
 * index of each row; returns the number of rows. */
static int rows_of(const st_found_box *b, int n, int *starts)
{
    int rows = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || cy_of(&b[i].r) - cy_of(&b[starts[rows - 1]].r) > b[i].r.h / 2)
            starts[rows++] = i;
    return rows;
}

/* The rows' mean slope, radians (least squares per row of two boxes or
 * more, weighted by its boxes). */
static double skew_of(const st_found_box *b, int n, const int *starts, int rows)
{
    double sum = 0, weight = 0;
    for (int r = 0; r < rows; r++) {
        int a = starts[r], z = r + 1 < rows ? starts[r + 1] : n;
        if (z - a < 2)
            continue;
        double mx = 0, my = 0, sxx = 0, sxy = 0;
        for (int i = a; i < z; i++)
            mx += cx_of(&b[i].r), my += cy_of(&b[i].r);
        mx /= z - a;
        my /= z - a;
        for (int i = a; i < z; i++) {
            double dx = cx_of(&b[i].r) - mx, dy = cy_of(&b[i].r) - my;
            sxx += dx * dx;
            sxy += dx * dy;
        }
        if (sxx > 0) {
            sum += atan(sxy / sxx) * (z - a);
            weight += z - a;
        }
    }
    return weight > 0 ? sum / weight : 0;
}

/* Turn r by -angle about (ox, oy): its centre turns; its size is the
 * upright box whose turned bounding box it is. */
static void straighten(st_rect *r, double angle, double ox, double oy, int is_box)
{
    double c = cos(angle), s = sin(-angle);
    double x = cx_of(r) - ox, y = cy_of(r) - oy;
    double nx = ox + x * c - y * s, ny = oy + x * s + y * c;
    double w = r->w, h = r->h, as = fabs(sin(angle)), d = c * c - as * as;
    if (is_box && d > 0.5) {
        w = (r->w * c - r->h * as) / d;
        h = (r->h * c - r->w * as) / d;
    }
    *r = (st_rect){nx - w / 2, ny - h / 2, w, h};
}

/* Match the boxes (sorted by top, the lists first) with m's lists and
 * numbers; lists[] and nums[] receive their rects. */
static void read_order(const st_model *m, st_found_box *b, int n, int numbers, st_rect *lists,
                       st_rect *nums, int *starts, ctx *c)
{
    int nl = m->n_lists;
    /* Lists: columns from the left, each from the top. */
    qsort(b, (size_t)nl, sizeof *b, by_cx);
    int i = 0, col = 0, li = 0;
    while (i < nl) {
        int z = i + 1;
        while (z < nl && cx_of(&b[z].r) - cx_of(&b[i].r) < b[i].r.w / 2)
            z++;
        qsort(b + i, (size_t)(z - i), sizeof *b, by_cy);
        int first = li;
        for (int k = i; k < z; k++)
            lists[li++] = b[k].r;
        col++;
        NOTE(c->notes, &c->nomem, "list boxes, column %d (x %.1f mm): lists %d to %d, read from "
             "the top", col, b[i].r.x, m->lists[first].number, m->lists[li - 1].number);
        i = z;
    }
    /* Numbers: rows from the top, each from the left. */
    st_found_box *nb = b + nl;
    int nn = n - nl;
    qsort(nb, (size_t)nn, sizeof *nb, by_cy);
    int rows = rows_of(nb, nn, starts), k = 0;
    for (int r = 0; r < rows; r++) {
        int a = starts[r], z = r + 1 < rows ? starts[r + 1] : nn;
        qsort(nb + a, (size_t)(z - a), sizeof *nb, by_cx);
        int first = k + 1;
        for (int j = a; j < z && k < numbers; j++)
            nums[k++] = nb[j].r;
        NOTE(c->notes, &c->nomem, "number boxes, row %d (y %.1f mm): numbers %d to %d, read from "
             "the left", r + 1, nb[a].r.y, first, k);
    }
}

int st_model_from_scan(const char *path, st_model *m, st_problems *notes,
                       st_problems *problems, st_error *err)
{
    if (!path || !m || !notes || !problems || m->n_targets || m->n_fiducials)
        return st_error_set(err, ST_ERR_ARG, "%s: a model from a scan needs lists and no boxes "
                            "yet", path ? path : "(null)");
    uint8_t *bytes = NULL;
    size_t len = 0;
    st_decoder *d = NULL;
    st_image ink = {0};
    st_page_info info;
    st_found_box *b = NULL;
    st_rect *art = NULL, *lists = NULL, *nums = NULL;
    int *starts = NULL, n = 0, n_art = 0;
    ctx c = {notes, problems, 0};
    double outline = m->settings.outline_mm;
    int rc = st_file_bytes(path, &bytes, &len, NULL, NULL, err);
    if (rc)
        return rc;
    if ((rc = st_decoder_open(bytes, len, path, &d, err)) ||
        (rc = st_decoder_read_ink(d, 0, DEFAULT_DPI, &ink, &info, err)))
        goto out;
    if (!info.dpi_from_tag)
        NOTE(notes, &c.nomem, "the file gives no resolution: %d dpi assumed", DEFAULT_DPI);
    double pw = ink.w * 25.4 / ink.dpi, ph = ink.h * 25.4 / ink.dpi;
    NOTE(notes, &c.nomem, "the image is taken for the whole sheet: %.0f x %.0f mm", pw, ph);
    if ((rc = st_boxfind_boxes(&ink, NULL, 0, &b, &n, err)))
        goto out;
    int nl = m->n_lists, numbers = st_model_max_candidates(m);
    if (n != nl + numbers) {
        NOTE(problems, &c.nomem, "%d boxes found; the candidate list needs %d (%d lists and "
             "numbers 1 to %d)", n, nl + numbers, nl, numbers);
        rc = st_error_set(err, ST_ERR_INVALID, "%s: the boxes do not fit the candidate list",
                          path);
        goto out;
    }
    /* Which way up: the lists' boxes end clearly above the numbers', and
     * (the Ministry's model) lie in the top half, the numbers in the
     * bottom half. A way up that has only the gap will do when the other
     * has not even that. */
    int fit[2];
    for (int way = 0; way < 2; way++) {
        if (way)
            for (int i = 0; i < n; i++)
                turn_round(&b[i].r, pw, ph);
        qsort(b, (size_t)n, sizeof *b, by_top);
        int halves = 1;
        for (int i = 0; i < n; i++)
            halves &= i < nl ? cy_of(&b[i].r) < ph / 2 : cy_of(&b[i].r) > ph / 2;
        fit[way] = halves_gap(b, n, nl) >= HALVES_GAP_MM ? 1 + halves : 0;
    }
    int turned = fit[1] > fit[0];
    if (!turned)
        for (int i = 0; i < n; i++)
            turn_round(&b[i].r, pw, ph);
    qsort(b, (size_t)n, sizeof *b, by_top);
    if (fit[turned] == 0 || fit[0] == fit[1]) {
        NOTE(problems, &c.nomem, "the %d list boxes cannot be told from the numbers: %s", nl,
             fit[0] ? "the boxes fit the layout either way up"
                    : "the highest boxes, either way up, do not end above all the others");
        rc = st_error_set(err, ST_ERR_INVALID, "%s: the boxes do not fit the candidate list",
                          path);
        goto out;
    }
    if (turned)
        NOTE(notes, &c.nomem, "the sheet was scanned upside down: turned round");
    if (!(starts = calloc((size_t)n + 1, sizeof *starts)) ||
        !(lists = calloc((size_t)nl + 1, sizeof *lists)) ||
        !(nums = calloc((size_t)numbers + 1, sizeof *nums))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* The skew, from the rows of numbers. */
    qsort(b + nl, (size_t)(n - nl), sizeof *b, by_cy);
    int rows = rows_of(b + nl, n - nl, starts);
    double skew = skew_of(b + nl, n - nl, starts, rows), deg = skew * 180 / M_PI;
    if (fabs(deg) > ST_FROMSCAN_MAX_SKEW_DEG) {
        NOTE(problems, &c.nomem, "the rows of numbers slope %.1f degrees; at most %.0f can be "
             "straightened: scan the sheet straighter", deg, ST_FROMSCAN_MAX_SKEW_DEG);
        rc = st_error_set(err, ST_ERR_INVALID, "%s: the sheet lies too far askew", path);
        goto out;
    }
    double k = ink.dpi / 25.4;
    if ((rc = st_boxfind_artwork(&ink, st_boxfind_paper(&ink) + ART_ABOVE_PAPER,
                                 (int)ceil(ART_MIN_MM2 * k * k), b, n, NULL, 0, 0, &art, &n_art,
                                 err)))
        goto out;
    if (turned)
        for (int i = 0; i < n_art; i++)
            turn_round(&art[i], pw, ph);
    if (fabs(deg) >= 0.05) {
        for (int i = 0; i < n; i++)
            straighten(&b[i].r, skew, pw / 2, ph / 2, 1);
        for (int i = 0; i < n_art; i++)
            straighten(&art[i], skew, pw / 2, ph / 2, 0);
        NOTE(notes, &c.nomem, "the sheet lay %.2f degrees askew: straightened", deg);
    }
    qsort(b, (size_t)n, sizeof *b, by_top);
    read_order(m, b, n, numbers, lists, nums, starts, &c);
    if (c.nomem) {
        rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = st_boxfind_geometry(m, lists, nums, numbers, b, n, pw, ph, art, n_art, err);
    if (!rc && fabs(deg) < SCORE_SKEW_DEG) {
        if (turned) {
            /* The print, turned round as the boxes were. */
            size_t w = (size_t)ink.w, h = (size_t)ink.h;
            for (size_t y = 0; y < h / 2 + (h & 1); y++) {
                uint8_t *top = ink.px + y * ink.stride, *bot = ink.px + (h - 1 - y) * ink.stride;
                for (size_t x = 0; x < (y == h - 1 - y ? w / 2 : w); x++) {
                    uint8_t t = top[x];
                    top[x] = bot[w - 1 - x];
                    bot[w - 1 - x] = t;
                }
            }
        }
        rc = st_boxfind_printed(m, &ink, err);
    } else if (!rc) {
        NOTE(notes, &c.nomem, "the print inside the boxes is not measured on an askew scan: "
             "the engine takes the boxes as printed empty");
    }
    if (!rc)
        rc = st_boxfind_check(m, outline, problems, err);
    if (rc && rc != ST_ERR_NOMEM)
        st_error_prefix(err, "%s", path);
out:
    free(ink.px);
    st_decoder_close(d);
    free(bytes);
    free(b);
    free(art);
    free(lists);
    free(nums);
    free(starts);
    return rc;
}
