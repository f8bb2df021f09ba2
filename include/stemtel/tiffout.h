/* tiffout.h - write pages as TIFF in the formats real scanners produce
 *
 * Used by the renderer and by synth. Output is deterministic: no date or
 * host tags are written, so the same pixels give the same bytes.
 */
#ifndef STEMTEL_TIFFOUT_H
#define STEMTEL_TIFFOUT_H

#include "stemtel/error.h"
#include "stemtel/image.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum st_tiff_format {
    ST_TIFF_BILEVEL_G4 = 0, /* 1 bit, CCITT group 4; threshold at 50% */
    ST_TIFF_GREY_RAW,       /* 8-bit grey, uncompressed */
    ST_TIFF_GREY_LZW,
    ST_TIFF_GREY_DEFLATE,
    ST_TIFF_GREY_JPEG,
    ST_TIFF_RGB_RAW,
    ST_TIFF_RGB_JPEG,       /* YCbCr JPEG, as colour scanners write it */
    ST_TIFF_N_FORMATS
} st_tiff_format;

/* Name used on the command line and in ground truth: "g4", "grey",
 * "grey-lzw", "grey-deflate", "grey-jpeg", "rgb", "rgb-jpeg". */
const char *st_tiff_format_name(st_tiff_format f);

/* Parse a format name. Returns ST_OK or ST_ERR_ARG (message lists names). */
int st_tiff_format_parse(const char *name, st_tiff_format *out,
                         st_error *err);

/* 1 if the format stores colour. */
int st_tiff_format_is_rgb(st_tiff_format f);

typedef struct st_tiff_writer st_tiff_writer;

/* Create (truncate) a TIFF file for writing one or more pages. */
int st_tiff_writer_open(const char *path, st_tiff_writer **out,
                        st_error *err);

/* Append img as a page in format f (jpeg_quality 1..100 for JPEG formats,
 * ignored otherwise). A 3-channel image written in a grey format is
 * converted with the luma weights; a grey image written in an RGB format is
 * replicated. The resolution tag is img->dpi. */
int st_tiff_writer_add(st_tiff_writer *w, const st_image *img,
                       st_tiff_format f, int jpeg_quality, st_error *err);

/* Write text (NUL-terminated ASCII, or NULL for none) as the
 * ImageDescription of the pages added from now on: where a page came
 * from, which also makes two scans of one sheet distinct files. */
int st_tiff_writer_describe(st_tiff_writer *w, const char *text, st_error *err);

/* Finish and close the file; frees w. Returns the first error of any add
 * or of closing. Accepts NULL. */
int st_tiff_writer_close(st_tiff_writer *w, st_error *err);

/* Convenience: one page, one file. */
int st_tiff_write(const char *path, const st_image *img, st_tiff_format f,
                  int jpeg_quality, st_error *err);

#ifdef __cplusplus
}
#endif

#endif
