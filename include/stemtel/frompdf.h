/* frompdf.h - a model from a printer's PDF proof of a ballot stemtel did not draw
 *
 * The municipality approves the printer's proof before the ballots are
 * printed; it holds the design exactly. The page is rendered (poppler),
 * every drawn box found as a closed outline (square, rounded or round,
 * 3 to 25 mm), and its printed text read with positions: a box is a
 * list's when the list's number and name are printed beside it, a
 * number's when a number 1..N is printed inside it or within
 * ST_FROMPDF_NUMBER_GAP_MM of it. The result is checked against the
 * candidate list: every list and every number once, no box left over.
 * The model has no registration marks (the engine places such pages by
 * their box grid), the boxes' outer edges as drawn, the outline width
 * measured, what the print itself puts inside each box (a number printed
 * in it, a round outline's corners) and where the rest of the print lies
 * (text, logos, rules), so that none of it reads as a voter's mark or
 * writing.
 */
#ifndef STEMTEL_FROMPDF_H
#define STEMTEL_FROMPDF_H

#include "stemtel/error.h"
#include "stemtel/image.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A number box's number: inside it or at most this far from its edge. */
#define ST_FROMPDF_NUMBER_GAP_MM 4.0
/* A list box's number: at most this far right of it (a logo may lie
 * between) or ST_FROMPDF_NUMBER_GAP_MM left of it. */
#define ST_FROMPDF_LIST_GAP_MM 40.0
/* The resolution the proof is read at. */
#define ST_FROMPDF_DPI 300

/* Give m (a model with its election, municipality and lists and no
 * geometry, as st_eml_read_candidates reads a 230b) the geometry of page
 * `page` (1-based) of the PDF proof at path. On success returns ST_OK and
 * m has its paper, boxes (list boxes in list order, then numbers 1..N),
 * artwork and outline width, no registration marks, and passes
 * st_model_check. When the proof does not match the lists, returns
 * ST_ERR_INVALID, appends one message per problem to *problems (zero-
 * initialised by the caller, freed with st_problems_free: a list or
 * number without a box, a box without a list or number, a number or list
 * given two boxes, each with its position in mm), says how many in err
 * and leaves m as it was. Other failures: ST_ERR_IO or ST_ERR_PARSE (the
 * file cannot be read as PDF), ST_ERR_ARG (no such page, or m already has
 * boxes), ST_ERR_NOMEM, each naming path. Thread-safe for distinct
 * arguments. */
int st_model_from_pdf(const char *path, int page, st_model *m,
                      st_problems *problems, st_error *err);

/* Page `page` (1-based) of the PDF at path rendered at dpi (150..600) as
 * ink: 1 channel, 0 where the paper is bare, 255 where it is black, grey
 * for colour by its lightness; what a perfect scanner sees of the proof.
 * On success *out owns the image (st_image_free); errors as for
 * st_model_from_pdf, naming path. Thread-safe for distinct arguments. */
int st_proof_ink(const char *path, int page, int dpi, st_image **out, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
