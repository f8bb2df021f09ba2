/* proof.h - a stored page drawn with its boxes and scores, for people
 *
 * What `review show --png` writes: the scanned page in grey with every box
 * of the model outlined where the stored transform put it (green marked,
 * orange marginal, blue empty) and its score beside it, so a reviewer sees
 * what the software saw.
 */
#ifndef STEMTEL_PROOF_H
#define STEMTEL_PROOF_H

#include "stemtel/error.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Draw page `page` of the TIFF at tiff_path with the boxes of record (a
 * ballots.jsonl record as the store keeps it: its registration transform
 * and boxes) and write a PNG to png_path. Refuses a record without a
 * transform (a rejected page: nothing was located on it) with
 * ST_ERR_INVALID; a file that cannot be read with ST_ERR_IO or the
 * decoder's code, naming the file. Thread-safe. */
int st_proof_png(const st_model *m, const char *tiff_path, int page, const char *record,
                 const char *png_path, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
