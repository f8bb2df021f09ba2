/* grid.h - place a page by its printed box outlines when the marks cannot
 *
 * A page turned and shifted so that its corner marks lie partly outside
 * the image (a scanner writing a fixed frame, a sheet fed askew) still
 * shows every box. The printed outlines are found as empty square rings
 * on the ~50 dpi coarse ink image, and the turn, scale and shift that put
 * the most of the model's boxes on rings are found by voting over every
 * pairing of ring and box. The answer is provisional: the caller confirms
 * it with the box outlines at full resolution (st_register_refit), and
 * tries the other way up too when that fitted nearly as well. A page the
 * grid fits at two places, too few rings, or a registration mark that the
 * placement puts wholly on the image but is not there, is not placed.
 */
#ifndef STEMTEL_GRID_H
#define STEMTEL_GRID_H

#include "stemtel/blobs.h"
#include "stemtel/error.h"
#include "stemtel/image.h"
#include "stemtel/model.h"
#include "stemtel/register.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Place model m on the page whose ink, shrunk by factor, is coarse (1
 * channel, 0 = paper, 255 = ink; the image st_reg_scratch_coarse gives),
 * at dpi (of the full-resolution ink) and paper_ink (the page's median
 * coarse ink, st_registration.paper_ink). finder is the caller's blob
 * scratch (may be NULL). Always fills *out: on success out->ok,
 * out->provisional and out->by_grid are set, with the transform in full
 * resolution pixels, marks_found the registration marks that confirmed
 * it, and has_alt/alt_xform when the other way up fitted nearly as well;
 * otherwise out->ok is 0 with out->reason and out->detail saying why.
 * Returns ST_OK, or ST_ERR_NOMEM / ST_ERR_ARG (message in err).
 * Allocates per call (it serves pages the marks could not place, which
 * are few). Thread-safe with one finder per thread. */
int st_register_grid(const st_model *m, const st_image *coarse, int factor,
                     double dpi, double paper_ink, st_blob_scratch *finder,
                     st_registration *out, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
