/* proof.h - a stored page drawn with its boxes and scores, for people
 *
 * What `review show --png` writes: the scanned page in grey with every box
 * of the model outlined where the stored transform put it (green marked,
 * orange marginal, blue empty) and its score beside it, so a reviewer sees
 * what the software saw.
 */
#ifndef STEMTEL_PROOF_H
#define STEMTEL_PROOF_H

#include <stddef.h>

#include "stemtel/error.h"
#include "stemtel/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether record (a ballots.jsonl record as the store keeps it) can be
 * drawn: ST_OK when it holds a registration transform and boxes, else
 * ST_ERR_INVALID naming the page (name, page): a rejected page, on which
 * nothing was located. Pure and thread-safe. */
int st_proof_check(const char *record, const char *name, int page, st_error *err);

/* Draw page `page` of the TIFF whose len bytes are at bytes (named name
 * in messages; the caller reads the file, e.g. through the page-file
 * module) with the boxes of record, and write a PNG to png_path. Refuses
 * a record st_proof_check refuses, with its error; an empty file with
 * ST_ERR_IO; a page that cannot be decoded with the decoder's code; a
 * PNG that cannot be written with ST_ERR_IO. Thread-safe. */
int st_proof_png(const st_model *m, const void *bytes, size_t len, const char *name,
                 int page, const char *record, const char *png_path, st_error *err);

/* As st_proof_png, but the PNG drawn at scale (above 0, at most 1: the
 * scan's own pixels) into memory, and turned the right way up (a page fed
 * upside down is shown as the ballot reads, the scores' text level):
 * *png (malloc'd, the caller frees it) and *png_len, written only on
 * success. ST_ERR_ARG for another scale; ST_ERR_NOMEM; else as
 * st_proof_png. Thread-safe. */
int st_proof_png_mem(const st_model *m, const void *bytes, size_t len, const char *name,
                     int page, const char *record, double scale, unsigned char **png,
                     size_t *png_len, st_error *err);

/* A box with ink on the page st_proof_png_mem draws: the rectangle around
 * it (the box and a margin of half its size each side) in fractions of
 * the drawn page's width and height, for a screen to show enlarged. */
typedef struct st_proof_area {
    char id[32];
    char state[16];         /* "marked" or "marginal" */
    double score;
    double x, y, w, h;      /* 0..1 of the upright page */
} st_proof_area;

/* The boxes of record that are not empty, in the model's order, into
 * areas (the caller's, max of them). Returns how many (0 or more; at most
 * max), or ST_ERR_INVALID as st_proof_check. Pure and thread-safe. */
int st_proof_areas(const st_model *m, const char *record, st_proof_area *areas, int max,
                   st_error *err);

#ifdef __cplusplus
}
#endif

#endif
