/* fromscan.h - a model from the scan of an unmarked printed ballot
 *
 * When no proof is at hand, a blank ballot from the printer's stack,
 * scanned, gives the geometry. A scan has no text to read, so what each
 * box means comes from the 230b and the Ministry's layout: the list boxes
 * are the highest n_lists boxes (the top half), read column by column,
 * each column from the top; the number boxes the rest, read row by row,
 * each row from the left, as 1..N. The scan is taken to show the whole
 * sheet and nothing else (scan it cropped to the paper); a sheet turned
 * upside down is turned back, one a little askew straightened. Everything
 * assumed is reported, so a person can hold it against the printed ballot.
 */
#ifndef STEMTEL_FROMSCAN_H
#define STEMTEL_FROMSCAN_H

#include "stemtel/error.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The largest skew a scan may have to be straightened, degrees. */
#define ST_FROMSCAN_MAX_SKEW_DEG 5.0

/* Give m (lists, no geometry, as st_eml_read_candidates reads a 230b) the
 * geometry of the first page of the TIFF scan at path. Appends to *notes
 * (zero-initialised by the caller, freed with st_problems_free) one line
 * per assumption made: the resolution when the file gives none, the
 * paper size taken from the image, a turn or skew corrected, and where
 * each column of lists and each row of numbers was found. On success
 * returns ST_OK and m has its paper, boxes (lists in list order, then
 * numbers 1..N), artwork, outline width and no registration marks, and
 * passes st_model_check. When the boxes do not fit the 230b (not
 * n_lists + N boxes, no clear gap between the list boxes and the
 * numbers, a skew over ST_FROMSCAN_MAX_SKEW_DEG) returns ST_ERR_INVALID
 * with each problem in *problems and m as it was. Other errors: the
 * file's (ST_ERR_IO, ST_ERR_PARSE, ST_ERR_UNSUPPORTED), ST_ERR_ARG (m
 * has boxes), ST_ERR_NOMEM; err names path. Thread-safe. */
int st_model_from_scan(const char *path, st_model *m, st_problems *notes,
                       st_problems *problems, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
