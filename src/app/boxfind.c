/* boxfind.c - the boxes and the rest of the print on an image of a ballot someone else drew
 */
#include "app/boxfind.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "stemtel/blobs.h"
#include "stemtel/register.h"
#include "stemtel/score.h"

#define INK_LEVEL 128          /* a pixel of the print: half black or more */
#define MIN_BLOB_MM2 0.3       /* smaller blobs are specks, never a box */
#define MAX_BLOBS 60000
#define RING_ASPECT 1.34       /* a box is at most this much higher than wide */
#define RING_WIDE 2.0          /* and this much wider than high (a number inside) */
#define RING_OPEN_SHARE 0.40   /* of the bbox, the inside paper at least */
#define ARTWORK_MAX_MM 100.0   /* a print larger both ways is a frame */

/* A box blur of radius rad px (a scanner's softness), in place. */
static int box_blur(st_image *img, int rad)
{
    if (rad <= 0)
        return 0;
    int w = img->w, h = img->h, n = 2 * rad + 1;
    int len = w > h ? w : h;
    int *acc = malloc((size_t)(len + 1) * sizeof *acc);
    uint8_t *line = malloc((size_t)len);
    if (!acc || !line) {
        free(acc);
        free(line);
        return -1;
    }
    for (int pass = 0; pass < 2; pass++) {
        int lines = pass ? w : h, along = pass ? h : w;
        for (int l = 0; l < lines; l++) {
            for (int i = 0; i < along; i++)
                line[i] = pass ? img->px[(size_t)i * img->stride + l]
                               : img->px[(size_t)l * img->stride + i];
            acc[0] = 0;
            for (int i = 0; i < along; i++)
                acc[i + 1] = acc[i] + line[i];
            for (int i = 0; i < along; i++) {
                int a = i - rad < 0 ? 0 : i - rad, b = i + rad + 1 > along ? along : i + rad + 1;
                uint8_t v = (uint8_t)((acc[b] - acc[a] + n / 2) / n);
                if (pass)
                    img->px[(size_t)i * img->stride + l] = v;
                else
                    img->px[(size_t)l * img->stride + i] = v;
            }
        }
    }
    free(acc);
    free(line);
    return 0;
}

static int ink_at(const st_image *img, int x, int y)
{
    if (x < 0 || y < 0 || x >= img->w || y >= img->h)
        return 0;
    return img->px[(size_t)y * img->stride + x];
}

/* Paper pixels reached from (sx, sy) inside blob b's bbox, or -1 when the
 * paper runs out to the bbox's edge (an open shape). */
static long fill_inside(const st_image *ink, const st_blob *b, int sx, int sy,
                        uint8_t *seen, int *stack)
{
    int w = b->w, h = b->h;
    memset(seen, 0, (size_t)w * h);
    long n = 0;
    int top = 0;
    stack[top++] = (sy - b->y) * w + (sx - b->x);
    seen[stack[0]] = 1;
    while (top) {
        int i = stack[--top], x = i % w, y = i / w;
        if (x == 0 || y == 0 || x == w - 1 || y == h - 1)
            return -1;
        n++;
        static const int d[4][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}};
        for (int k = 0; k < 4; k++) {
            int nx = x + d[k][0], ny = y + d[k][1], j = ny * w + nx;
            if (!seen[j] && ink_at(ink, b->x + nx, b->y + ny) < INK_LEVEL) {
                seen[j] = 1;
                stack[top++] = j;
            }
        }
    }
    return n;
}

/* Ink crossed from (x, y) stepping (dx, dy) until paper: a line's width
 * in px, partial pixels counted by their ink. */
static double run_width(const st_image *ink, int x, int y, int dx, int dy, int max, int paper)
{
    double s = 0;
    int started = 0;
    for (int i = 0; i < max; i++, x += dx, y += dy) {
        int v = ink_at(ink, x, y);
        if (v < paper + 16) {
            if (started)
                break;
            continue;
        }
        started = 1;
        s += (v - paper) / (255.0 - paper);
    }
    return s;
}

static int inside(const st_rect *r, double x, double y)
{
    return x >= r->x && x <= r->x + r->w && y >= r->y && y <= r->y + r->h;
}

static int within(const st_rect *a, const st_rect *b, double pad)
{
    return a->x >= b->x - pad && a->y >= b->y - pad && a->x + a->w <= b->x + b->w + pad &&
           a->y + a->h <= b->y + b->h + pad;
}

int st_boxfind_paper(const st_image *ink)
{
    long hist[256] = {0}, n = 0;
    for (int y = 0; y < ink->h; y += 7)
        for (int x = 0; x < ink->w; x += 7, n++)
            hist[ink->px[(size_t)y * ink->stride + x]]++;
    long acc = 0;
    for (int v = 0; v < 256; v++)
        if ((acc += hist[v]) * 2 >= n)
            return v;
    return 0;
}

/* A glyph's own outline (the bowl of an "O"): the box's centre lies in a
 * text rectangle at least half its size. */
static int is_glyph(const st_rect *r, const st_rect *text, int n_text)
{
    double cx = r->x + r->w / 2, cy = r->y + r->h / 2;
    for (int i = 0; i < n_text; i++)
        if (inside(&text[i], cx, cy) && text[i].w * text[i].h >= 0.5 * r->w * r->h)
            return 1;
    return 0;
}

int st_boxfind_boxes(const st_image *ink, const st_rect *text, int n_text,
                     st_found_box **out, int *n, st_error *err)
{
    double k = ink->dpi / 25.4;
    st_blob *b = malloc(MAX_BLOBS * sizeof *b);
    int nb = 0, rc = ST_OK, paper = st_boxfind_paper(ink);
    int side = (int)ceil(ST_BOXFIND_MAX_MM * k) + 2;
    uint8_t *seen = malloc((size_t)side * side);
    int *stack = malloc((size_t)side * side * sizeof *stack);
    *n = 0;
    *out = NULL;
    st_found_box *f = NULL;
    if (!b || !seen || !stack) {
        rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
        goto done;
    }
    rc = st_blobs_find(ink, INK_LEVEL, (int)ceil(MIN_BLOB_MM2 * k * k), ink->w * ink->h, b,
                       MAX_BLOBS, &nb, NULL, err);
    if (rc)
        goto done;
    if (!(f = calloc((size_t)nb + 1, sizeof *f))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < nb; i++) {
        st_rect r = {b[i].x / k, b[i].y / k, b[i].w / k, b[i].h / k};
        if (r.w < ST_BOXFIND_MIN_MM || r.h < ST_BOXFIND_MIN_MM || r.w > ST_BOXFIND_MAX_MM ||
            r.h > ST_BOXFIND_MAX_MM || r.w > RING_WIDE * r.h || r.h > RING_ASPECT * r.w)
            continue;
        /* The inside is paper from the centre, or (a number printed in
         * the middle) a little right of it. */
        int cx = b[i].x + b[i].w / 2, cy = b[i].y + b[i].h / 2;
        long in = -1;
        for (int dx = 0; dx < b[i].w / 3 && in < 0; dx += 2)
            if (ink_at(ink, cx + dx, cy) < INK_LEVEL)
                in = fill_inside(ink, &b[i], cx + dx, cy, seen, stack);
        if (in < RING_OPEN_SHARE * b[i].w * b[i].h || is_glyph(&r, text, n_text))
            continue;
        int max = b[i].w / 3;
        double lw = run_width(ink, b[i].x - 1, cy, 1, 0, max, paper) +
                    run_width(ink, b[i].x + b[i].w, cy, -1, 0, max, paper) +
                    run_width(ink, cx, b[i].y - 1, 0, 1, max, paper) +
                    run_width(ink, cx, b[i].y + b[i].h, 0, -1, max, paper);
        f[*n].r = r;
        f[*n].line_mm = lw / 4 / k;
        (*n)++;
    }
    *out = f;
    f = NULL;
done:
    free(f);
    free(b);
    free(seen);
    free(stack);
    return rc;
}

int st_boxfind_artwork(const st_image *ink, int level, int min_area,
                       const st_found_box *boxes, int n_boxes, const st_rect *skip,
                       int n_skip, double pad, st_rect **art, int *n_art, st_error *err)
{
    double k = ink->dpi / 25.4;
    st_blob *b = malloc(MAX_BLOBS * sizeof *b);
    int nb = 0, rc;
    if (!b)
        return st_error_set(err, ST_ERR_NOMEM, "out of memory");
    rc = st_blobs_find(ink, level, min_area, ink->w * ink->h, b, MAX_BLOBS, &nb, NULL, err);
    for (int i = 0; !rc && i < nb; i++) {
        st_rect r = {(b[i].x - 1) / k, (b[i].y - 1) / k, (b[i].w + 2) / k, (b[i].h + 2) / k};
        int drop = r.w > ARTWORK_MAX_MM && r.h > ARTWORK_MAX_MM;
        for (int j = 0; !drop && j < n_boxes; j++)
            drop = within(&r, &boxes[j].r, 0.5) && within(&boxes[j].r, &r, 0.5);
        for (int j = 0; !drop && j < n_skip; j++)
            drop = within(&r, &skip[j], pad);
        if (drop)
            continue;
        st_rect *a = realloc(*art, (size_t)(*n_art + 1) * sizeof *a);
        if (!a) {
            rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
            break;
        }
        *art = a;
        a[(*n_art)++] = r;
    }
    free(b);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int st_boxfind_geometry(st_model *m, const st_rect *lists, const st_rect *numbers,
                        int n_numbers, const st_found_box *boxes, int n_boxes, double pw,
                        double ph, const st_rect *art, int n_art, st_error *err)
{
    int nt = m->n_lists + n_numbers;
    st_target *t = calloc((size_t)nt + 1, sizeof *t);
    st_rect *a = calloc((size_t)n_art + 1, sizeof *a);
    double *lw = calloc((size_t)n_boxes + 1, sizeof *lw);
    if (!t || !a || !lw) {
        free(t);
        free(a);
        free(lw);
        return st_error_set(err, ST_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < nt; i++) {
        int list = i < m->n_lists;
        t[i].kind = list ? ST_TARGET_LIST : ST_TARGET_NUMBER;
        t[i].number = list ? m->lists[i].number : i - m->n_lists + 1;
        snprintf(t[i].id, sizeof t[i].id, "%c%d", list ? 'L' : 'N', t[i].number);
        t[i].rect = list ? lists[i] : numbers[i - m->n_lists];
        t[i].printed_set = 1;
    }
    for (int i = 0; i < n_art; i++) {
        /* On the page, as the model's check wants every rectangle. */
        a[i] = art[i];
        a[i].x = fmax(0, a[i].x);
        a[i].y = fmax(0, a[i].y);
        a[i].w = fmin(a[i].w, pw - a[i].x);
        a[i].h = fmin(a[i].h, ph - a[i].y);
    }
    for (int i = 0; i < n_boxes; i++)
        lw[i] = boxes[i].line_mm;
    qsort(lw, (size_t)n_boxes, sizeof *lw, cmp_double);
    m->paper_w = pw;
    m->paper_h = ph;
    m->targets = t;
    m->n_targets = nt;
    m->artwork = a;
    m->n_artwork = n_art;
    if (n_boxes)
        m->settings.outline_mm = round(lw[n_boxes / 2] * 100) / 100;
    free(lw);
    return ST_OK;
}

int st_boxfind_printed(st_model *m, const st_image *ink, st_error *err)
{
    st_box *boxes = calloc((size_t)m->n_targets + 1, sizeof *boxes);
    st_image *soft = st_image_new(ink->w, ink->h, 1, 0);
    if (!boxes || !soft) {
        free(boxes);
        st_image_free(soft);
        return st_error_set(err, ST_ERR_NOMEM, "out of memory");
    }
    soft->dpi = ink->dpi;
    double k = ink->dpi / 25.4;
    st_registration r;
    memset(&r, 0, sizeof r);
    r.ok = 1;
    r.dpi = ink->dpi;
    r.scale = 1;
    r.xform = (st_affine){{k, 0, 0, 0, k, 0}};
    r.paper_ink = st_boxfind_paper(ink);
    int rc = ST_OK;
    for (int rad = 0; rad <= 2 && !rc; rad++) {
        for (int y = 0; y < ink->h; y++)
            memcpy(soft->px + (size_t)y * soft->stride, ink->px + (size_t)y * ink->stride,
                   (size_t)ink->w);
        if (box_blur(soft, rad)) {
            rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
            break;
        }
        st_score_page(m, soft, &r, NULL, NULL, 0, boxes, NULL);
        for (int i = 0; i < m->n_targets; i++) {
            st_target *t = &m->targets[i];
            t->printed_set = 1;
            t->printed_score = fmax(t->printed_score, boxes[i].score);
            t->printed_faint = fmax(t->printed_faint, boxes[i].faint);
        }
    }
    free(boxes);
    st_image_free(soft);
    return rc;
}

int st_boxfind_check(st_model *m, double outline_mm, st_problems *problems, st_error *err)
{
    st_problems pc = {0, NULL, 0};
    int np = st_model_check(m, &pc), rc = ST_OK;
    for (int i = 0; np > 0 && i < pc.n && !rc; i++)
        rc = st_problems_add(problems, "%s", pc.msg[i]);
    if (np < 0 || rc)
        rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
    else if (np > 0)
        rc = st_error_set(err, ST_ERR_INVALID, "the model found has %d problem%s", np,
                          np == 1 ? "" : "s");
    st_problems_free(&pc);
    if (rc) {
        m->settings.outline_mm = outline_mm;
        free(m->targets);
        free(m->artwork);
        m->targets = NULL;
        m->artwork = NULL;
        m->n_targets = m->n_artwork = 0;
    }
    return rc;
}
