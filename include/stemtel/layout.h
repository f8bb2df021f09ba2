/* layout.h - give a ballot model its geometry automatically
 *
 * A model read from EML has lists and candidates but no boxes. The layout
 * places, on A3 landscape (420 x 297 mm), five registration marks, one box
 * per list in the top half and a shared grid of candidate-number boxes in
 * the bottom half, following the "nieuw model stembiljet".
 */
#ifndef STEMTEL_LAYOUT_H
#define STEMTEL_LAYOUT_H

#include "stemtel/error.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The most lists and the longest list one automatic ballot holds. The EML
 * importer refuses files beyond them. */
#define ST_LAYOUT_MAX_LISTS 40
#define ST_LAYOUT_MAX_NUMBERS 80

/* Lay out m's ballot, replacing any paper size, fiducials and targets it
 * had (election data, lists and settings are kept).
 *
 * Paper: A3 landscape, 420 x 297 mm. Registration marks: 7 mm solid squares
 * F1 (top-left), F2 (top-right), F3 (bottom-right), F4 (bottom-left), 8 mm
 * from the edges, plus a 5 mm square F5 4 mm right of F1 so that a page fed
 * upside down can be told apart. A strip 8..18 mm from the top, between F5
 * and F2, is left free for a title.
 *
 * Top half: one 10 mm list box per list ("L<n>"), labelled "<n>  <name>"
 * (just "<n>" for a list without a name) in a 10 mm high label rect to its
 * right. Lists are placed column-major (down the first column, then the
 * next) in ballot order, in max(3, ceil(lists / 9)) columns, or fewer when
 * there are fewer lists.
 *
 * Bottom half: one grid of 10 mm number boxes 1..N ("N<n>", N =
 * st_model_max_candidates), labelled "<n>" to their right, row-major with
 * 10 boxes a row (fewer when N < 10).
 *
 * Targets: list boxes in list order, then number boxes 1..N. Every mark,
 * box and label lies at least 8 mm inside the page; boxes are at least
 * 4 mm apart. Coordinates are rounded to 0.1 mm.
 *
 * Returns ST_OK; ST_ERR_INVALID if m has no lists, a list without
 * candidates, more than ST_LAYOUT_MAX_LISTS lists or more than
 * ST_LAYOUT_MAX_NUMBERS candidates on a list; ST_ERR_NOMEM. On failure m is
 * unchanged. Thread-safe for distinct models. */
int st_layout_auto(st_model *m, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
