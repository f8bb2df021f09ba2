/* ballot.c - read one page: decode, register, score, interpret
 *
 * The order matters for "never guess": a page is only scored once its
 * registration passed every check and enough box outlines were found
 * where the transform put them; anything less is a rejected page with the
 * reason, which people count by hand.
 */
#include "stemtel/ballot.h"
#include "util/clock.h"

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
    st_blob_scratch *finder;   /* the writing check's */
    st_reg_scratch *reg;
    st_image coarse_view;      /* st_reader_coarse's answer: reg's pixels */
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
    st_reg_scratch_free(r->reg);
    st_blob_scratch_free(r->finder);
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
    if (!b->boxes || !b->places) {
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
    b->boxes = NULL;
    b->places = NULL;
}

/* Reset the per-page fields, keeping the arrays. */
static void reset(st_ballot *b, const st_model *m)
{
    st_box *boxes = b->boxes;
    st_box_place *places = b->places;
    memset(b, 0, sizeof *b);
    b->boxes = boxes;
    b->places = places;
    memset(boxes, 0, (size_t)m->n_targets * sizeof *boxes);
    memset(places, 0, (size_t)m->n_targets * sizeof *places);
}

void st_ballot_reject(st_ballot *b, const st_model *m, const char *reason,
                      const char *message)
{
    reset(b, m);
    st_outcome_reject(&b->outcome, reason);
    snprintf(b->message, sizeof b->message, "%s", message);
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
    t1 = st_clock_now();
    b->t_register = t1 - t0;
    t0 = t1;
    if (rc)
        goto out;
    if (!b->reg.ok) {
        st_outcome_reject(&b->outcome, b->reg.reason);
        snprintf(b->message, sizeof b->message, "%s: page %d: %s", name, page,
                 b->reg.detail);
        goto out;
    }
    b->located = st_score_page(m, &rd->ink, &b->reg, blank, b->boxes, b->places);
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
    if ((rc = st_writing_check(m, &b->reg, b->boxes, coarse, factor,
                               &rd->writing_scratch, rd->finder, &b->writing,
                               &err)))
        goto out;
    st_score_streaks(m, &b->reg, &b->writing, b->boxes);
    st_interpret(m, b->boxes, b->writing.found, &b->outcome);
    b->t_interpret = st_clock_now() - t0; /* with the writing check */
out:
    st_decoder_close(d);
    return rc;
}
