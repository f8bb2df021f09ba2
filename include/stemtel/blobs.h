/* blobs.h - connected blobs of ink on a small image
 *
 * Registration looks for its marks, and the writing check for writing, as
 * 8-connected blobs of pixels at or above a threshold on the ~50 dpi
 * coarse image. Most of that image is paper, so the finder works on runs
 * of ink and never visits a paper pixel twice.
 */
#ifndef STEMTEL_BLOBS_H
#define STEMTEL_BLOBS_H

#include "stemtel/error.h"
#include "stemtel/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A connected blob of pixels >= threshold. */
typedef struct st_blob {
    int x, y, w, h;       /* bounding box */
    int area;             /* pixels in the blob */
    double cx, cy;        /* centroid, pixel-centre coordinates */
} st_blob;

/* Working memory of the finder (its run lists), kept between calls so a
 * batch allocates only while its pages grow busier. One per thread. */
typedef struct st_blob_scratch st_blob_scratch;

/* Empty scratch, or NULL when out of memory. */
st_blob_scratch *st_blob_scratch_new(void);
/* Free scratch. Accepts NULL. */
void st_blob_scratch_free(st_blob_scratch *s);

/* Find the 8-connected blobs of pixels >= threshold in img (1 channel)
 * whose area lies in [min_area, max_area]. Writes up to max_blobs into
 * blobs, in the order of each blob's first 2 x 2 pixel block in a scan of
 * such blocks row by row (the label order of OpenCV's block-based
 * labelling, which this replaced), and their count to *n; blobs beyond
 * max_blobs are dropped. s may be NULL (the call then allocates and
 * frees its own). Returns ST_OK, ST_ERR_ARG or ST_ERR_NOMEM (message in
 * err). Thread-safe with one scratch per thread. */
int st_blobs_find(const st_image *img, int threshold, int min_area,
                  int max_area, st_blob *blobs, int max_blobs, int *n,
                  st_blob_scratch *s, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
