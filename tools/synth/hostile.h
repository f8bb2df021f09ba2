/* hostile.h - TIFF files made to hurt a reader, for tests and benchmarks
 *
 * What an attacker or a broken scanner could hand to `stemtel count`:
 * a progressive JPEG page of hundreds of scans, pages stored as one huge
 * strip or one huge tile, pages beyond the size limits. Each is a few
 * hundred kB on disk (blank pixels compress to almost nothing) and would
 * cost a reader without limits gigabytes or minutes. The bytes depend
 * only on the arguments.
 */
#ifndef STEMTEL_SYNTH_HOSTILE_H
#define STEMTEL_SYNTH_HOSTILE_H

#include "stemtel/error.h"

/* The most scans a progressive 8-bit JPEG stream of one component can
 * have: the DC band and each of the 63 AC coefficients on its own, each
 * sent as 11 successive approximations (bit 10 down to bit 0). */
#define ST_HOSTILE_MAX_SCANS 704

/* Write a one-page grey TIFF of w x h px at dpi to path whose one strip
 * is a progressive JPEG stream of ST_HOSTILE_MAX_SCANS scans (pixels: a
 * soft gradient with noise, so every scan carries data). Returns ST_OK,
 * ST_ERR_IO or ST_ERR_NOMEM naming path. */
int st_hostile_jpeg_bomb(const char *path, int w, int h, int dpi, st_error *err);

/* The same page, with spp samples (1 grey, 3 YCbCr), as one progressive
 * stream of libjpeg's own scan script (6 scans grey, 10 colour): what a
 * reader must still read. */
int st_hostile_jpeg_progressive(const char *path, int w, int h, int dpi, int spp,
                                st_error *err);

/* Write a one-page white 8-bit TIFF of w x h px at dpi, spp samples (1
 * grey, 3 RGB), Deflate-compressed, to path: in one strip when tile is 0,
 * else in tiles of tile x tile px. Returns ST_OK, ST_ERR_IO or
 * ST_ERR_NOMEM naming path. */
int st_hostile_blank(const char *path, int w, int h, int dpi, int spp, int tile,
                     st_error *err);

#endif
