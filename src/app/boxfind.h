/* boxfind.h - the boxes and the rest of the print on an image of a ballot someone else drew
 *
 * What `model from-pdf` and `model from-scan` share: closed outlines the
 * size of a box found in ink, the print that is not a box, the score the
 * print leaves inside each box, and the model's geometry made of them.
 */
#ifndef STEMTEL_APP_BOXFIND_H
#define STEMTEL_APP_BOXFIND_H

#include "stemtel/error.h"
#include "stemtel/image.h"
#include "stemtel/model.h"

/* Sizes a drawn box may have (outer edge), mm. */
#define ST_BOXFIND_MIN_MM 3.0
#define ST_BOXFIND_MAX_MM 25.0

/* A box found: its outer edge (mm in the image's frame) and the width
 * of its outline. kind and number are the caller's, 0 until matched. */
typedef struct st_found_box {
    st_rect r;
    double line_mm;
    st_target_kind kind;
    int number;
} st_found_box;

/* The paper's ink level on ink: the median of a sample of its pixels
 * (most of a ballot is paper). Pure. */
int st_boxfind_paper(const st_image *ink);

/* The boxes drawn on ink (1 channel, ink->dpi set): blobs of pixels >=
 * 128, ST_BOXFIND_MIN_MM..MAX_MM a side, at most 1.34 times as high as
 * wide and twice as wide as high, whose inside, from its centre (or a
 * little right of it, past a number printed there), is paper closed off
 * from the outside and at least 40% of the bounding box. A box whose
 * centre lies in one of the n_text rectangles (mm) of half its size or
 * more is a glyph's bowl and left out. On success *out (malloc'd, free)
 * holds *n boxes in the blob finder's order. ST_ERR_NOMEM otherwise. */
int st_boxfind_boxes(const st_image *ink, const st_rect *text, int n_text,
                     st_found_box **out, int *n, st_error *err);

/* The rest of the print on ink: the bounding box (grown by a pixel) of
 * every blob of pixels >= level of at least min_area px that is neither
 * one of the boxes nor inside one of the skip rectangles (grown by pad
 * mm); a print larger than 100 mm both ways (a frame round the page) is
 * left out, since it would hide everything. Appends to *art / *n_art
 * (malloc'd, may start NULL / 0). ST_OK or ST_ERR_NOMEM. */
int st_boxfind_artwork(const st_image *ink, int level, int min_area,
                       const st_found_box *boxes, int n_boxes, const st_rect *skip,
                       int n_skip, double pad, st_rect **art, int *n_art, st_error *err);

/* Give m (lists, no boxes) its geometry: list boxes lists[i] for
 * m->lists[i], number boxes numbers[k - 1] for k = 1..n_numbers, paper
 * pw x ph mm, the artwork (copied, clipped to the paper), the outline
 * width the median of the boxes' (n_boxes of them, all found), no
 * registration marks. Every target's printed score starts at 0; raise it
 * with st_boxfind_printed. ST_OK or ST_ERR_NOMEM (m untouched). */
int st_boxfind_geometry(st_model *m, const st_rect *lists, const st_rect *numbers,
                        int n_numbers, const st_found_box *boxes, int n_boxes, double pw,
                        double ph, const st_rect *art, int n_art, st_error *err);

/* Raise each target's printed score and faint share to what ink (1
 * channel, ink->dpi set, the model's mm at ink->dpi / 25.4 px each, no
 * turn) scores inside it, sharp and blurred by 1 and 2 px as a scanner
 * softens print. ink is not changed. ST_OK or ST_ERR_NOMEM. */
int st_boxfind_printed(st_model *m, const st_image *ink, st_error *err);

/* Run st_model_check on m as st_boxfind_geometry made it. When it finds
 * problems, appends them to *problems, gives m back its outline width
 * outline_mm and no boxes or artwork, and returns ST_ERR_INVALID saying
 * how many (or ST_ERR_NOMEM); else ST_OK. */
int st_boxfind_check(st_model *m, double outline_mm, st_problems *problems, st_error *err);

#endif
