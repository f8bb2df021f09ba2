/* register.h - find where the ballot lies on the page
 *
 * Registration turns model millimetres into page pixels: it finds the
 * model's registration marks on a shrunken ink image, tries the page both
 * ways up, fits an affine transform to the marks it matched, and checks the
 * result (enough marks, plausible scale, little shear, small residuals)
 * before anything is read from the page. A mark cut by the image's edge or
 * one that does not agree with the others is left out; when that leaves
 * the fit open (marks lost, or only two), the registration is provisional
 * and the caller confirms it with the box outlines (st_register_refit).
 * A page that fails gets a named reason instead of a guess; every number
 * a registration holds is finite.
 */
#ifndef STEMTEL_REGISTER_H
#define STEMTEL_REGISTER_H

#include "stemtel/error.h"
#include "stemtel/image.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Rejection reasons (stable codes for ballots.jsonl). */
#define ST_REJECT_UNREADABLE "unreadable"
#define ST_REJECT_NO_MARKS "no_registration_marks"
#define ST_REJECT_NOT_THIS_MODEL "not_this_model"
#define ST_REJECT_SCALE "scale_out_of_range"
#define ST_REJECT_DISTORTED "too_distorted"
#define ST_REJECT_DEGENERATE "degenerate_fit"

/* Map model mm to page pixels: px = m[0]*x + m[1]*y + m[2],
 * py = m[3]*x + m[4]*y + m[5] (continuous pixel coordinates). */
typedef struct st_affine {
    double m[6];
} st_affine;

static inline void st_affine_apply(const st_affine *a, double x, double y,
                                   double *px, double *py)
{
    *px = a->m[0] * x + a->m[1] * y + a->m[2];
    *py = a->m[3] * x + a->m[4] * y + a->m[5];
}

typedef struct st_registration {
    int ok;                 /* 1: xform is usable */
    const char *reason;     /* when !ok: one of ST_REJECT_* */
    char detail[360];       /* when !ok: what was wrong, for people */
    st_affine xform;        /* model mm -> page px */
    int upside_down;        /* the page was fed the other way round */
    double dpi;             /* the resolution the fit confirmed */
    double rotation_deg;    /* of the page's x axis against the image's */
    double scale;           /* fitted px/mm over expected px/mm */
    double rms_mm;          /* mark residual after the fit */
    int marks_found;        /* of model->n_fiducials */
    double paper_ink;       /* the page's median ink level: paper tint and
                               noise, what "no ink" looks like here */
    int provisional;        /* ok, but the marks alone do not settle the
                               transform (a mark lost, or only two): confirm
                               it with the box outlines before reading */
    int has_alt;            /* the other way up fitted as many marks */
    st_affine alt_xform;    /* when has_alt: that way's transform */
    int bilevel;            /* the page's pixels are black or white only
                               (set by the caller, who knows the file) */
    int by_outlines;        /* the marks' fit was refitted to the box
                               outlines (st_register_refit) */
    int by_grid;            /* placed by the printed box outlines alone
                               (st_register_grid): the marks could not */
} st_registration;

/* Per-thread scratch (a shrunken image and blob lists), reused page after
 * page so a long batch allocates nothing new. */
typedef struct st_reg_scratch st_reg_scratch;

/* Empty scratch, or NULL when out of memory. */
st_reg_scratch *st_reg_scratch_new(void);
/* Free scratch. Accepts NULL. */
void st_reg_scratch_free(st_reg_scratch *s);

/* The shrunken ink image of the last st_register call (about 50 dpi) and
 * its shrink factor, for the writing check; valid until the next call. */
const st_image *st_reg_scratch_coarse(const st_reg_scratch *s, int *factor);

/* The resolution registration shrinks the ink image to (nearest integer
 * factor, st_shrink_factor). */
#define ST_REG_COARSE_DPI 50.0

/* A shrunken image made ahead (by the decoder, while it produced the ink):
 * fill the image st_reg_scratch_coarse_slot returns with the ink the next
 * st_register call gets, shrunk by factor (st_decoder_read_ink_shrunk with
 * ST_REG_COARSE_DPI), then call st_reg_scratch_coarse_ready. That call
 * then uses it instead of shrinking the ink again, when its resolution
 * asks for the same factor; only the next st_register call does. */
st_image *st_reg_scratch_coarse_slot(st_reg_scratch *s);
void st_reg_scratch_coarse_ready(st_reg_scratch *s, int factor);

/* Register ink (0 = paper, 255 = ink) against model m. dpi is the
 * resolution the page claims; fallback_dpi (may equal dpi) is tried when
 * the marks do not fit at dpi (a missing or wrong resolution tag). Always
 * fills *out; returns ST_OK when registration ran (check out->ok), or an
 * error status for a failure of the machinery itself (out of memory).
 * Thread-safe with one scratch per thread. */
int st_register(const st_model *m, const st_image *ink, double dpi,
                double fallback_dpi, st_reg_scratch *s, st_registration *out,
                st_error *err);

/* Refit r's transform to n box centres: src[2i], src[2i+1] in model mm,
 * dst[2i], dst[2i+1] the page pixels where that box's outline was found.
 * Boxes that disagree with the rest (an outline taken for a neighbouring
 * line) are dropped. Needs at least 6 agreeing boxes spread over the page
 * and the same checks as the marks (scale, shear, residual). On success
 * updates r's xform, scale, rotation_deg, upside_down and rms_mm (now the
 * boxes' residual), sets by_outlines, clears provisional and returns ST_OK; otherwise
 * returns ST_ERR_INVALID and leaves r as it was. Thread-safe. */
int st_register_refit(const st_model *m, const double *src, const double *dst,
                      int n, st_registration *r);

#ifdef __cplusplus
}
#endif

#endif
