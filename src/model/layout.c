/* layout.c - place registration marks, list boxes and number boxes on A3
 *
 * The page is cut into fixed zones: the corner marks sit 8 mm from the
 * edges; everything else stays inside a frame 20 mm from the edges, clear of
 * the marks, with a title strip above it. The frame's top half holds the
 * list boxes, the bottom half the number grid, 9 mm apart across the middle
 * of the page. Each grid takes its column count from the number of boxes
 * (see layout.h) and spreads its rows over its half up to a maximum pitch,
 * so a short ballot stays compact at the top of each half. The new arrays
 * are built completely before they replace the model's, so a failure leaves
 * the model as it was.
 */
#include "stemtel/layout.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAPER_W 420.0
#define PAPER_H 297.0

#define MARK_INSET 8.0   /* printers cannot print right to the edge */
#define MARK_SIZE 7.0
#define ORIENT_SIZE 5.0  /* F5: smaller than the corner marks, so it is */
#define ORIENT_GAP 4.0   /* told apart, and only at the top-left */
#define FRAME 20.0       /* content keeps this far from every edge */
#define MID_GAP 4.5      /* each half stops this far from the middle */

#define BOX 10.0         /* list and number boxes are BOX x BOX */
#define LABEL_GAP 2.0    /* box to its own label */
#define ROW_GAP 4.0      /* least space between rows of boxes */
#define ROW_PITCH_MAX 20.0

#define LIST_COL_GAP 6.0 /* a label to the next column's box */
#define LIST_COL_MAX 130.0 /* widest list cell, so one column is not 380 mm */
#define LIST_MIN_COLS 3

#define NUM_PER_ROW 10
#define NUM_LABEL_W 9.0  /* up to two digits */
#define NUM_COL_PITCH 36.0
#define NUM_ROW_PITCH_MAX 16.0

/* Keep the JSON tidy: every coordinate on a 0.1 mm grid. */
static double r1(double v) { return round(v * 10.0) / 10.0; }

static st_rect rect(double x, double y, double w, double h)
{
    st_rect r = {r1(x), r1(y), r1(w), r1(h)};
    return r;
}

static void put_fiducial(st_fiducial *f, const char *id, double x, double y,
                         double size)
{
    snprintf(f->id, sizeof f->id, "%s", id);
    f->rect = rect(x, y, size, size);
}

static void make_fiducials(st_fiducial f[5], double pw, double ph)
{
    double far_x = pw - MARK_INSET - MARK_SIZE;
    double far_y = ph - MARK_INSET - MARK_SIZE;
    put_fiducial(&f[0], "F1", MARK_INSET, MARK_INSET, MARK_SIZE);
    put_fiducial(&f[1], "F2", far_x, MARK_INSET, MARK_SIZE);
    put_fiducial(&f[2], "F3", far_x, far_y, MARK_SIZE);
    put_fiducial(&f[3], "F4", MARK_INSET, far_y, MARK_SIZE);
    /* Centred on F1's row, just right of it. */
    put_fiducial(&f[4], "F5", MARK_INSET + MARK_SIZE + ORIENT_GAP,
                 MARK_INSET + (MARK_SIZE - ORIENT_SIZE) / 2, ORIENT_SIZE);
}

/* Fill one target; the label is malloc'd. Returns 0 on no memory. */
static int put_target(st_target *t, st_target_kind kind, int number,
                      double x, double y, double label_w, const char *name)
{
    char buf[512];
    t->kind = kind;
    t->number = number;
    snprintf(t->id, sizeof t->id, "%c%d", kind == ST_TARGET_LIST ? 'L' : 'N',
             number);
    t->rect = rect(x, y, BOX, BOX);
    t->label_rect = rect(x + BOX + LABEL_GAP, y, label_w, BOX);
    /* Two spaces set the number apart from the name, as on the ballot. */
    if (name && *name)
        snprintf(buf, sizeof buf, "%d  %s", number, name);
    else
        snprintf(buf, sizeof buf, "%d", number);
    t->label = strdup(buf);
    return t->label != NULL;
}

int st_layout_auto(st_model *m, st_error *err)
{
    int rc = ST_OK, n_targets = 0;
    st_fiducial *fid = NULL;
    st_target *tg = NULL;

    if (!m)
        return st_error_set(err, ST_ERR_ARG, "layout: no model given");
    int nl = m->n_lists;
    if (nl < 1 || nl > ST_LAYOUT_MAX_LISTS)
        return st_error_set(err, ST_ERR_INVALID,
                            "layout: %s: %d lists; an automatic ballot holds "
                            "1 to %d", m->election_id ? m->election_id : "?",
                            nl, ST_LAYOUT_MAX_LISTS);
    for (int i = 0; i < nl; i++)
        if (m->lists[i].n_candidates < 1)
            return st_error_set(err, ST_ERR_INVALID,
                                "layout: list %d has no candidates",
                                m->lists[i].number);
    int nn = st_model_max_candidates(m);
    if (nn > ST_LAYOUT_MAX_NUMBERS)
        return st_error_set(err, ST_ERR_INVALID,
                            "layout: %s: the longest list has %d candidates; "
                            "the number grid holds at most %d",
                            m->election_id ? m->election_id : "?", nn,
                            ST_LAYOUT_MAX_NUMBERS);

    const double pw = PAPER_W, ph = PAPER_H;
    const double fw = pw - 2 * FRAME;            /* frame width */
    const double half_h = ph / 2 - MID_GAP - FRAME; /* height of each half */

    fid = calloc(5, sizeof *fid);
    tg = calloc((size_t)(nl + nn), sizeof *tg);
    if (!fid || !tg)
        goto nomem;
    make_fiducials(fid, pw, ph);

    /* Lists: as few columns as keep the rows at least ROW_GAP apart, but
     * never fewer than three, so the block spreads across the landscape
     * page the way the printed ballot does. Column-major. */
    int rows_max = (int)floor((half_h + ROW_GAP) / (BOX + ROW_GAP));
    int cols = (nl + rows_max - 1) / rows_max;
    if (cols < LIST_MIN_COLS)
        cols = nl < LIST_MIN_COLS ? nl : LIST_MIN_COLS;
    int rows = (nl + cols - 1) / cols;
    double col_w = fmin((fw + LIST_COL_GAP) / cols, LIST_COL_MAX);
    double label_w = col_w - LIST_COL_GAP - BOX - LABEL_GAP;
    double pitch = fmin(ROW_PITCH_MAX, (half_h + ROW_GAP) / rows);
    double x0 = FRAME + (fw - (cols * col_w - LIST_COL_GAP)) / 2;
    double y0 = FRAME;
    for (int i = 0; i < nl; i++) {
        int c = i / rows, r = i % rows;
        if (!put_target(&tg[n_targets++], ST_TARGET_LIST, m->lists[i].number,
                        x0 + c * col_w, y0 + r * pitch, label_w,
                        m->lists[i].name))
            goto nomem;
    }

    /* Numbers: row-major, NUM_PER_ROW a row, reading like a page. */
    int ncols = nn < NUM_PER_ROW ? nn : NUM_PER_ROW;
    int nrows = (nn + ncols - 1) / ncols;
    double npitch = fmin(NUM_ROW_PITCH_MAX, (half_h + ROW_GAP) / nrows);
    double cell_w = BOX + LABEL_GAP + NUM_LABEL_W;
    double nx0 = FRAME + (fw - ((ncols - 1) * NUM_COL_PITCH + cell_w)) / 2;
    double ny0 = ph / 2 + MID_GAP;
    for (int k = 0; k < nn; k++) {
        int c = k % ncols, r = k / ncols;
        if (!put_target(&tg[n_targets++], ST_TARGET_NUMBER, k + 1,
                        nx0 + c * NUM_COL_PITCH, ny0 + r * npitch,
                        NUM_LABEL_W, NULL))
            goto nomem;
    }

    /* Commit: drop the old geometry, keep everything else. */
    for (int i = 0; i < m->n_targets; i++)
        free(m->targets[i].label);
    free(m->targets);
    free(m->fiducials);
    m->targets = tg;
    m->n_targets = n_targets;
    m->fiducials = fid;
    m->n_fiducials = 5;
    m->paper_w = pw;
    m->paper_h = ph;
    tg = NULL;
    fid = NULL;
    n_targets = 0;
    goto out;

nomem:
    rc = st_error_set(err, ST_ERR_NOMEM, "layout: out of memory");
out:
    for (int i = 0; tg && i < n_targets; i++)
        free(tg[i].label);
    free(tg);
    free(fid);
    return rc;
}
