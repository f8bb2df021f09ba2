/* jpeg.h - decode a TIFF page's JPEG strips with libjpeg itself (internal)
 *
 * decode.c finds the strips and the shared JPEG tables in the TIFF file;
 * this module decodes each strip's stream straight from the file's bytes
 * into the ink rows, at scale num/8, without libtiff's codec or its strip
 * buffer. It knows nothing of TIFF.
 */
#ifndef STEMTEL_ENGINE_JPEG_H
#define STEMTEL_ENGINE_JPEG_H

#include <stddef.h>
#include <stdint.h>

#include "stemtel/error.h"
#include "stemtel/image.h"

/* One page's strips, as the TIFF file lays them out. Everything is
 * borrowed from the caller. */
typedef struct st_jpeg_page {
    const char *name;        /* the file, for messages */
    int page;                /* for messages, counted from 0 */
    const uint8_t *bytes;    /* the whole file */
    size_t len;
    const uint64_t *offs;    /* where each strip lies in bytes, and its length */
    const uint64_t *lens;
    uint32_t strips;         /* strips to decode */
    uint32_t rows_per_strip;
    uint32_t h;              /* the page's full-size height */
    int spp;                 /* 1 grey, 3 colour */
    const void *tables;      /* the JPEGTables tag, or NULL */
    uint32_t tables_len;
    int level;               /* instruction set for colour (engine/ink.h) */
    uint8_t *rgb;            /* one row of ink->w * 3 bytes when spp == 3 */
    size_t max_memory;       /* bytes libjpeg may allocate for a stream */
} st_jpeg_page;

/* Decode every strip of p at scale num/8 (1, 2, 4 or 8) into ink, which
 * is already reserved at the scaled size; with sh, each ink row is fed to
 * the shrink as soon as it is made. libjpeg's errors and its corrupt-data
 * warnings are damage: ST_ERR_PARSE naming the strip ("decode: NAME: page
 * N: damaged strip S: ..."), as are strips lying outside the file and
 * streams whose size disagrees with the page. A stream that needs more
 * working memory than p->max_memory (a large progressive one keeps all
 * its coefficients) is ST_ERR_INVALID naming the limit "memory per
 * thread". Returns ST_OK or that error;
 * ink's pixels are then unspecified. Thread-safe for different pages. */
int st_jpeg_read_strips(const st_jpeg_page *p, int num, st_image *ink, st_shrink *sh,
                        st_error *err);

#endif
