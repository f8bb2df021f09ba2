/* ballot.c - read one page: decode, register, score, interpret
 *
 * The order matters for "never guess": a page is only scored once its
 * registration passed every check and enough box outlines were found
 * where the transform put them; anything less is a rejected page with the
 * reason, which people count by hand. A registration the marks alone
 * left open (a mark cut by the image's edge or not agreeing) is refitted
 * to the box outlines and scored again before it counts.
 */
#include "stemtel/ballot.h"
#include "stemtel/grid.h"
#include "util/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Share of boxes whose outline must be found: fewer means the marks
 * matched but the page is another design. */
#define ST_MIN_LOCATED_SHARE 0.8

struct st_reader {
    st_image ink;
    st_shrink shrink;          /* folds ink rows into the coarse image */
    st_image writing_scratch;
    st_image fold_scratch;     /* st_folds_find's classed pixels */
    st_blob_scratch *finder;   /* the writing check's */
    st_reg_scratch *reg;
    st_image coarse_view;      /* st_reader_coarse's answer: reg's pixels */
    double *fit_pts;           /* box centres for the outline refit: model
                                  mm, then page px, 4 per box */
    int fit_cap;               /* boxes fit_pts holds */
};

st_reader *st_reader_new(void)
{
    st_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->reg = st_reg_scratch_new()) || !(r->finder = st_blob_scratch_new())) {
        if (r)
            st_reg_scratch_free(r->reg);
        free(r);
        return NULL;
    }
    return r;
}

void st_reader_free(st_reader *r)
{
    if (!r)
        return;
    free(r->ink.px);
    st_shrink_free(&r->shrink);
    free(r->writing_scratch.px);
    free(r->fold_scratch.px);
    st_reg_scratch_free(r->reg);
    st_blob_scratch_free(r->finder);
    free(r->fit_pts);
    free(r);
}

const st_image *st_reader_coarse(st_reader *rd, const st_ballot *b)
{
    int factor = 0;
    const st_image *c = st_reg_scratch_coarse(rd->reg, &factor);
    /* Every decoded page has its coarse image made by the decoder. */
    if (!b->decoded || !c->px || factor < 1)
        return NULL;
    rd->coarse_view = *c;
    rd->coarse_view.dpi = b->info.dpi_x * b->info.scale / factor;
    return &rd->coarse_view;
}

int st_ballot_init(st_ballot *b, const st_model *m)
{
    memset(b, 0, sizeof *b);
    size_t n = m->n_targets ? (size_t)m->n_targets : 1;
    b->boxes = calloc(n, sizeof *b->boxes);
    b->places = calloc(n, sizeof *b->places);
    b->prints = calloc(n, ST_PRINT_CELLS);
    if (!b->boxes || !b->places || !b->prints) {
        st_ballot_free(b);
        return ST_ERR_NOMEM;
    }
    return ST_OK;
}

void st_ballot_free(st_ballot *b)
{
    if (!b)
        return;
    free(b->boxes);
    free(b->places);
    free(b->prints);
    b->boxes = NULL;
    b->places = NULL;
    b->prints = NULL;
}

/* Reset the per-page fields, keeping the arrays. */
static void reset(st_ballot *b, const st_model *m)
{
    st_box *boxes = b->boxes;
    st_box_place *places = b->places;
    uint8_t *prints = b->prints;
    memset(b, 0, sizeof *b);
    b->boxes = boxes;
    b->places = places;
    b->prints = prints;
    memset(boxes, 0, (size_t)m->n_targets * sizeof *boxes);
    memset(places, 0, (size_t)m->n_targets * sizeof *places);
    memset(prints, 0, (size_t)m->n_targets * ST_PRINT_CELLS);
}

void st_ballot_reject(st_ballot *b, const st_model *m, const char *reason,
                      const char *message)
{
    reset(b, m);
    st_outcome_reject(&b->outcome, reason);
    snprintf(b->message, sizeof b->message, "%s", message);
}

/* Refit reg to the box outlines the last st_score_page call found in
 * b->places (every box with three or four edges found: both of its axes
 * measured). Returns ST_OK and updates *reg, ST_ERR_INVALID when the
 * outlines do not settle it, ST_ERR_NOMEM. */
static int refit_outlines(const st_model *m, st_reader *rd, const st_ballot *b,
                          st_registration *reg)
{
    if (rd->fit_cap < m->n_targets) {
        double *p = realloc(rd->fit_pts, (size_t)m->n_targets * 4 * sizeof *p);
        if (!p)
            return ST_ERR_NOMEM;
        rd->fit_pts = p;
        rd->fit_cap = m->n_targets;
    }
    double *src = rd->fit_pts, *dst = rd->fit_pts + 2 * (size_t)m->n_targets;
    int n = 0;
    for (int i = 0; i < m->n_targets; i++) {
        if (b->places[i].edges < 3)
            continue;
        const st_rect *r = &m->targets[i].rect;
        double x = r->x + r->w / 2, y = r->y + r->h / 2, px, py;
        st_affine_apply(&reg->xform, x, y, &px, &py);
        src[2 * n] = x;
        src[2 * n + 1] = y;
        dst[2 * n] = px + b->places[i].dx;
        dst[2 * n + 1] = py + b->places[i].dy;
        n++;
    }
    return st_register_refit(m, src, dst, n, reg);
}

/* The marks left the transform open (provisional): take it, or the other
 * way up when the marks fitted that as well, to the box outlines, refit,
 * and score again with the refitted transform. Keeps the candidate whose
 * outlines were found; a page whose outlines fit both ways up is not
 * placed. Returns ST_OK (b->reg and b->located updated; b->reg.ok cleared
 * with a reason when no candidate held) or ST_ERR_NOMEM. */
static int place_by_outlines(const st_model *m, const st_image *ink,
                             const double *blank, st_reader *rd, st_ballot *b)
{
    st_registration cand[2];
    int located[2] = {0, 0}, held[2] = {0, 0}, nc = b->reg.has_alt ? 2 : 1;
    int need = (int)ceil(ST_MIN_LOCATED_SHARE * m->n_targets);
    cand[0] = b->reg;
    if (nc == 2) {
        cand[1] = b->reg;
        cand[1].xform = b->reg.alt_xform;
        cand[1].upside_down = !b->reg.upside_down;
    }
    located[0] = b->located;
    for (int c = 0; c < nc; c++) {
        if (c > 0)
            located[c] = st_score_page(m, ink, &cand[c], blank, NULL, 0, b->boxes, b->places);
        int rc = refit_outlines(m, rd, b, &cand[c]);
        if (rc == ST_ERR_NOMEM)
            return rc;
        if (rc)
            continue;
        located[c] = st_score_page(m, ink, &cand[c], blank, NULL, 0, b->boxes, b->places);
        held[c] = located[c] >= need;
    }
    if (held[0] && nc == 2 && held[1]) {
        b->reg.ok = 0;
        b->reg.reason = ST_REJECT_NO_MARKS;
        snprintf(b->reg.detail, sizeof b->reg.detail,
                 "the box outlines fit the page both ways up; a registration mark "
                 "that tells them apart is lost");
        return ST_OK;
    }
    int pick = held[0] ? 0 : nc == 2 && held[1] ? 1 : -1;
    if (pick < 0) {
        /* Name the boxes the marks' own fit could not find. */
        if (nc == 2)
            st_score_page(m, ink, &b->reg, blank, NULL, 0, b->boxes, b->places);
        char lost[96] = "";
        int nl = 0, len = 0;
        for (int i = 0; i < m->n_targets; i++)
            if (b->places[i].edges < 2 && nl++ < 6 && len < (int)sizeof lost - 16)
                len += snprintf(lost + len, sizeof lost - (size_t)len, "%s%s",
                                nl > 1 ? " " : "", m->targets[i].id);
        b->reg.ok = 0;
        b->reg.reason = ST_REJECT_DISTORTED;
        snprintf(b->reg.detail, sizeof b->reg.detail,
                 "%d of %d registration marks found, and the box outlines do not "
                 "place the page (%d of %d found; not: %s%s)", b->reg.marks_found,
                 m->n_fiducials, located[0] > located[1] ? located[0] : located[1],
                 m->n_targets, lost, nl > 6 ? " ..." : "");
        return ST_OK;
    }
    /* The boxes were last scored with the other candidate: again. */
    if (pick != nc - 1)
        located[pick] = st_score_page(m, ink, &cand[pick], blank, NULL, 0, b->boxes, b->places);
    b->reg = cand[pick];
    b->located = located[pick];
    return ST_OK;
}

/* The marks could not place the page (lost, cut by the image's edge, or
 * not agreeing with the outlines): place it by the printed box grid and
 * confirm that with the outlines as for marks that left it open. When
 * that fails too, b->reg keeps the marks' reason, its detail saying what
 * the grid found. Returns ST_OK or an error of the machinery (err). */
static int place_by_grid(const st_model *m, const st_image *ink, const double *blank,
                         st_reader *rd, st_ballot *b, st_error *err)
{
    int factor = 0;
    const st_image *coarse = st_reg_scratch_coarse(rd->reg, &factor);
    st_registration g;
    int rc = st_register_grid(m, coarse, factor, b->info.dpi_x * b->info.scale,
                              b->reg.paper_ink, rd->finder, &g, err);
    if (rc)
        return rc;
    if (g.ok) {
        st_registration marks = b->reg;
        g.bilevel = marks.bilevel;
        b->reg = g;
        b->located = st_score_page(m, ink, &b->reg, blank, NULL, 0, b->boxes, b->places);
        if ((rc = place_by_outlines(m, ink, blank, rd, b)))
            return rc;
        if (b->reg.ok)
            return ST_OK;
        snprintf(g.detail, sizeof g.detail, "%s", b->reg.detail);
        b->reg = marks;
    }
    char first[sizeof b->reg.detail];
    snprintf(first, sizeof first, "%s", b->reg.detail);
    snprintf(b->reg.detail, sizeof b->reg.detail, "%s; placed by the printed boxes: %s",
             first, g.detail);
    return ST_OK;
}

int st_ballot_read(const st_model *m, const double *blank, const void *bytes,
                   size_t len, const char *name, int page, st_reader *rd,
                   st_ballot *b)
{
    reset(b, m);
    st_error err = {0};
    st_decoder *d = NULL;
    int rc = ST_OK;
    double dflt = m->settings.scan_dpi;
    double t0 = st_clock_now(), t1;

    int factor;
    if (st_decoder_open(bytes, len, name, &d, &err) ||
        st_decoder_read_ink_shrunk(d, page, dflt, m->settings.jpeg_min_dpi,
                                   ST_REG_COARSE_DPI, &rd->ink, &rd->shrink,
                                   st_reg_scratch_coarse_slot(rd->reg), &factor,
                                   &b->info, &err)) {
        if (err.code == ST_ERR_NOMEM) {
            rc = ST_ERR_NOMEM;
            goto out;
        }
        st_outcome_reject(&b->outcome, ST_REJECT_UNREADABLE);
        snprintf(b->message, sizeof b->message, "%s", err.msg);
        goto out;
    }
    b->decoded = 1;
    st_reg_scratch_coarse_ready(rd->reg, factor);
    t1 = st_clock_now();
    b->t_decode = t1 - t0;
    t0 = t1;
    /* Registration works in the decoded pixels, which a JPEG page read at
     * a reduced scale has fewer of: both resolutions scale with them. */
    rc = st_register(m, &rd->ink, b->info.dpi_x * b->info.scale, dflt * b->info.scale,
                     rd->reg, &b->reg, &err);
    b->reg.bilevel = b->info.bits == 1;
    t1 = st_clock_now();
    b->t_register = t1 - t0;
    t0 = t1;
    if (rc)
        goto out;
    if (b->reg.ok && b->reg.provisional) {
        /* Too few whole marks: place the page by its box outlines first
         * (without fold bands, which need the final placement). */
        st_score_page(m, &rd->ink, &b->reg, blank, NULL, 0, b->boxes, b->places);
        if ((rc = place_by_outlines(m, &rd->ink, blank, rd, b)))
            goto out;
    }
    if (!b->reg.ok && (rc = place_by_grid(m, &rd->ink, blank, rd, b, &err)))
        goto out;
    if (!b->reg.ok) {
        memset(b->boxes, 0, (size_t)m->n_targets * sizeof *b->boxes);
        memset(b->places, 0, (size_t)m->n_targets * sizeof *b->places);
        b->located = 0;
        st_outcome_reject(&b->outcome, b->reg.reason);
        snprintf(b->message, sizeof b->message, "%s: page %d: %s", name, page,
                 b->reg.detail);
        goto out;
    }
    /* Folds first: their bands are left out of every box they cross. */
    st_fold *folds = b->folds;
    int n_folds = 0;
    const st_image *fold_coarse = st_reg_scratch_coarse(rd->reg, &factor);
    if ((rc = st_folds_find(m, &b->reg, blank, fold_coarse, factor, &rd->fold_scratch, folds,
                            ST_MAX_FOLDS, &n_folds, &err)))
        goto out;
    b->n_folds = n_folds;
    b->located = st_score_page(m, &rd->ink, &b->reg, blank, folds, n_folds, b->boxes,
                               b->places);
    t1 = st_clock_now();
    b->t_score = t1 - t0;
    t0 = t1;
    if (b->located < ST_MIN_LOCATED_SHARE * m->n_targets) {
        st_outcome_reject(&b->outcome, ST_REJECT_NOT_THIS_MODEL);
        snprintf(b->message, sizeof b->message,
                 "%s: page %d: the registration marks fit, but only %d of %d box "
                 "outlines are where the model puts them", name, page, b->located,
                 m->n_targets);
        goto out;
    }
    const st_image *coarse = st_reg_scratch_coarse(rd->reg, &factor);
    if ((rc = st_writing_check(m, &b->reg, folds, n_folds, b->boxes, coarse, factor,
                               &rd->writing_scratch, rd->finder, &b->writing,
                               &err)))
        goto out;
    st_score_streaks(m, &rd->ink, &b->reg, &b->writing, blank, folds, n_folds,
                     b->places, b->boxes);
    st_score_baseline(m, b->boxes, b->faint_base);
    /* Prints of the boxes with ink, for telling a second scan of this
     * sheet (the store compares them). */
    for (int i = 0; i < m->n_targets; i++)
        if (b->boxes[i].state != ST_BOX_EMPTY)
            st_score_print(m, &rd->ink, &b->reg, &b->writing, i,
                           b->prints + (size_t)i * ST_PRINT_CELLS);
    st_interpret(m, b->boxes, b->writing.found, &b->outcome);
    b->t_interpret = st_clock_now() - t0; /* with the writing check */
out:
    st_decoder_close(d);
    return rc;
}
