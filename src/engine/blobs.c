/* blobs.c - connected blobs of ink on a small image
 *
 * One pass over the rows finds the runs of pixels at or above the
 * threshold and joins each run to the runs of the row above that touch it
 * (8-connected: overlapping or meeting at a corner) in a union-find whose
 * root is always the earliest run. A second pass over the runs alone sums
 * each blob's area, bounding box and centroid. Paper pixels are only
 * compared with the threshold, 16 at a time where the CPU allows: on a
 * ballot they are nearly all of the image. The generic labelling in OpenCV
 * this replaced called a statistics routine for every pixel, paper
 * included, and was most of registration's time.
 */
#include "stemtel/blobs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

typedef struct run {
    int x0, x1, y;   /* pixels x0..x1 of row y */
} run;

typedef struct comp {
    long long key;            /* first 2 x 2 block in block-scan order */
    long long area;
    uint64_t sx, sy;          /* sums of pixel indices, for the centroid */
    int x0, x1, y0, y1;       /* bounding box, inclusive */
} comp;

struct st_blob_scratch {
    run *runs;
    int *parent;              /* per run; later its blob's index */
    comp *comps;
    size_t cap;               /* runs (and comps) room */
};

st_blob_scratch *st_blob_scratch_new(void)
{
    return calloc(1, sizeof(st_blob_scratch));
}

void st_blob_scratch_free(st_blob_scratch *s)
{
    if (!s)
        return;
    free(s->runs);
    free(s->parent);
    free(s->comps);
    free(s);
}

static int grow(st_blob_scratch *s)
{
    size_t cap = s->cap ? 2 * s->cap : 4096;
    run *r = realloc(s->runs, cap * sizeof *r);
    if (r)
        s->runs = r;
    int *p = realloc(s->parent, cap * sizeof *p);
    if (p)
        s->parent = p;
    comp *c = realloc(s->comps, cap * sizeof *c);
    if (c)
        s->comps = c;
    if (!r || !p || !c)
        return -1;
    s->cap = cap;
    return 0;
}

static int root_of(int *parent, int i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static void join(int *parent, int a, int b)
{
    a = root_of(parent, a);
    b = root_of(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

/* First x >= from in row where the pixel's inkness (>= t) equals want, or
 * w. t is in 0..255. */
static int scan_to(const uint8_t *row, int w, int from, int t, int want)
{
    int x = from;
#ifdef __SSE2__
    const __m128i tv = _mm_set1_epi8((char)(uint8_t)t);
    while (x + 16 <= w) {
        __m128i v = _mm_loadu_si128((const __m128i *)(row + x));
        /* max(v, t) == v exactly when v >= t (unsigned). */
        int m = _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, tv), v));
        if (!want)
            m = ~m & 0xffff;
        if (m)
            return x + __builtin_ctz((unsigned)m);
        x += 16;
    }
#endif
    while (x < w && (row[x] >= t) != want)
        x++;
    return x;
}

static int by_key(const void *a, const void *b)
{
    long long ka = ((const comp *)a)->key, kb = ((const comp *)b)->key;
    return (ka > kb) - (ka < kb);
}

int st_blobs_find(const st_image *img, int threshold, int min_area,
                  int max_area, st_blob *blobs, int max_blobs, int *n,
                  st_blob_scratch *s, st_error *err)
{
    if (!img || img->channels != 1 || !n || (max_blobs > 0 && !blobs))
        return st_error_set(err, ST_ERR_ARG, "blobs: needs a 1-channel image");
    *n = 0;
    if (threshold > 255)
        return ST_OK; /* no pixel reaches it */
    if (threshold < 0)
        threshold = 0; /* every pixel reaches it */
    st_blob_scratch own = {0};
    st_blob_scratch *sc = s ? s : &own;
    int rc = ST_OK;
    int nr = 0, prev0 = 0, prev1 = 0; /* runs of the row above: [prev0, prev1) */
    for (int y = 0; y < img->h; y++) {
        const uint8_t *row = img->px + (size_t)y * img->stride;
        int cur0 = nr, k = prev0;
        for (int x = scan_to(row, img->w, 0, threshold, 1); x < img->w;
             x = scan_to(row, img->w, x, threshold, 1)) {
            int e = scan_to(row, img->w, x, threshold, 0);
            if ((size_t)nr == sc->cap && grow(sc)) {
                rc = st_error_set(err, ST_ERR_NOMEM, "blobs: out of memory");
                goto out;
            }
            sc->runs[nr] = (run){x, e - 1, y};
            sc->parent[nr] = nr;
            /* Runs above that end left of this one's left neighbour touch
             * neither it nor any later run of this row. */
            while (k < prev1 && sc->runs[k].x1 < x - 1)
                k++;
            for (int j = k; j < prev1 && sc->runs[j].x0 <= e; j++)
                join(sc->parent, nr, j);
            nr++;
            x = e;
        }
        prev0 = cur0;
        prev1 = nr;
    }

    /* Parents only ever point to earlier runs, so one pass in order turns
     * them into blob numbers: a root (its own parent) starts a blob, any
     * other run takes the number its parent already got. Blobs are thus
     * numbered in the order of their first run. */
    int nc = 0;
    long long bw = (img->w + 1) / 2;
    for (int i = 0; i < nr; i++) {
        const run *r = &sc->runs[i];
        long long key = (long long)(r->y / 2) * bw + r->x0 / 2;
        comp *q;
        if (sc->parent[i] == i) {
            sc->parent[i] = nc;
            q = &sc->comps[nc++];
            *q = (comp){.key = key, .x0 = r->x0, .x1 = r->x1, .y0 = r->y, .y1 = r->y};
        } else {
            sc->parent[i] = sc->parent[sc->parent[i]];
            q = &sc->comps[sc->parent[i]];
            if (key < q->key)
                q->key = key;
            if (r->x0 < q->x0)
                q->x0 = r->x0;
            if (r->x1 > q->x1)
                q->x1 = r->x1;
            q->y1 = r->y; /* runs come row by row */
        }
        long long len = r->x1 - r->x0 + 1;
        q->area += len;
        /* x0 + x1 and len differ in parity, so the product is even. */
        q->sx += (uint64_t)((long long)(r->x0 + r->x1) * len / 2);
        q->sy += (uint64_t)((long long)r->y * len);
    }

    int kept = 0;
    for (int c = 0; c < nc; c++)
        if (sc->comps[c].area >= min_area && sc->comps[c].area <= max_area)
            sc->comps[kept++] = sc->comps[c];
    if (kept > 1) /* comps is still NULL on a page without ink */
        qsort(sc->comps, (size_t)kept, sizeof *sc->comps, by_key);
    if (kept > max_blobs)
        kept = max_blobs > 0 ? max_blobs : 0;
    for (int c = 0; c < kept; c++) {
        const comp *q = &sc->comps[c];
        blobs[c] = (st_blob){.x = q->x0, .y = q->y0, .w = q->x1 - q->x0 + 1,
                             .h = q->y1 - q->y0 + 1, .area = (int)q->area,
                             .cx = (double)q->sx / (double)q->area + 0.5,
                             .cy = (double)q->sy / (double)q->area + 0.5};
    }
    *n = kept;
out:
    if (sc == &own) {
        free(own.runs);
        free(own.parent);
        free(own.comps);
    }
    return rc;
}
