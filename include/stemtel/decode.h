/* decode.h - turn a scanned page's TIFF bytes into an ink image
 *
 * A source reads a file once into memory, hashes it (sha256.h) and opens a
 * decoder on the same bytes. The decoder reads pages strip by strip (or
 * tile by tile) with libtiff and converts each row straight into an 8-bit
 * ink image: 0 = paper, 255 = full ink.
 *
 * Pages stemtel reads: 1-bit bilevel (CCITT G3 1D/2D, G4, PackBits, none),
 * 8-bit grey and RGB (JPEG incl. YCbCr, LZW, Deflate with or without
 * predictor, PackBits, none), 1- and 8-bit palette, each in strips or tiles,
 * contiguous samples, one extra (alpha) sample allowed and ignored, any
 * fill order, any number of pages. Everything else is refused with
 * ST_ERR_UNSUPPORTED and a message saying what the page is.
 *
 * Threads: one decoder belongs to one thread at a time; different decoders
 * may be used in different threads at once, also on the same bytes.
 * libtiff's messages go to handlers on each handle, never to stderr.
 */
#ifndef STEMTEL_DECODE_H
#define STEMTEL_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "stemtel/error.h"
#include "stemtel/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits no ballot scan reaches, so that a hostile or broken file costs
 * neither much memory nor much time: a page beyond one is refused with
 * ST_ERR_INVALID before anything large is allocated or decoded, and the
 * message names the limit ("limit: page pixels"); count makes it a
 * rejected page. The largest ballot is an A3 page (420 x 297 mm) scanned
 * at 600 dpi: 9921 x 7016 px, 69.6 Mpx, read into a 1-byte ink image.
 * doc/stemtel.1 lists them under LIMITS. */
/* page side: 12000 px is 508 mm at 600 dpi. */
#define ST_DECODE_MAX_SIDE 12000
/* page pixels: 100 Mpx. A scanner's frame is larger than the paper: synth
 * frames an A3 ballot at 448 x 331 mm, 82.7 Mpx at 600 dpi; 100 Mpx is a
 * frame of 500 x 350 mm. */
#define ST_DECODE_MAX_PIXELS 100000000.0
/* bytes per tile: the decoded bytes of one tile, which is decoded whole.
 * Scanners write tiles of 256 or 512 px a side: 0.75 MiB in RGB. Strips
 * have no limit of their own: one held whole counts towards memory per
 * thread, and one that does not fit there beside the page's ink is
 * decoded a row at a time (a page stored as one strip is common). */
#define ST_DECODE_MAX_TILE_BYTES ((size_t)16 << 20)
/* JPEG scans: scans of one JPEG stream (a strip or tile). Baseline JPEG
 * has one, libjpeg's progressive script 6 (grey) or 10 (colour); each
 * scan of a progressive stream is another pass over all of it. */
#define ST_DECODE_MAX_JPEG_SCANS 32
/* memory per thread: what decoding one page may hold, in the ink image,
 * the strip, tile or row buffer and libjpeg's working memory (a
 * progressive stream keeps every coefficient). 100 Mpx of ink and a tile
 * fit; two threads at the limit stay under 300 MB with the rest of
 * count. A reader keeps its ink image from page to page, up to
 * ST_DECODE_KEEP_SLACK more than a page needs. */
#define ST_DECODE_MAX_PAGE_MEMORY ((size_t)112 << 20)
#define ST_DECODE_KEEP_SLACK ((size_t)16 << 20)

typedef struct st_decoder st_decoder;

typedef struct st_page_info {
    int w, h;          /* pixels */
    double dpi_x, dpi_y;
    int dpi_from_tag;  /* 1: from the resolution tags; 0: the caller's default */
    int bits, spp;     /* bits per sample, samples per pixel */
    int photometric;   /* PHOTOMETRIC_* of tiff.h */
    int compression;   /* COMPRESSION_* of tiff.h */
    int tiled;         /* 1 if stored in tiles */
    double scale;      /* decoded pixels per stored pixel: 1, or 1/2, 1/4,
                          1/8 for a JPEG page read at a reduced scale */
} st_page_info;

/* Open a decoder on len bytes of a TIFF file; name (a path or any label) is
 * used in messages and copied. The bytes are NOT copied: they must stay
 * unchanged and alive until st_decoder_close. Reads the page directories
 * once to count them; a broken chain of directories is an error.
 * Returns ST_OK and *out (free with st_decoder_close), or ST_ERR_PARSE
 * (empty, not a TIFF, damaged directories; libtiff's own words in the
 * message), ST_ERR_NOMEM or ST_ERR_ARG. Thread-safe. */
int st_decoder_open(const void *bytes, size_t len, const char *name,
                    st_decoder **out, st_error *err);

/* Number of pages (>= 1) of an open decoder. */
int st_decoder_page_count(const st_decoder *d);

/* Decode page (0-based) into ink (1 channel, stride = w): colour ink is
 * 255 - min(R,G,B) so red pencil counts like black pen; grey ink is
 * 255 - grey (255 - x for min-is-white data is handled); bilevel ink is 0
 * or 255. ink->dpi is set to info.dpi_x.
 * ink is caller-owned scratch, reused from page to page: either zeroed
 * (st_image ink = {0}; free ink.px with free()) or from st_image_new. Its
 * buffer grows only when a page needs more than it already holds, so memory
 * stays flat over a batch. info (may be NULL) gets the page's description;
 * its resolution is the tags' (inch or centimetre unit) when both lie
 * within 100..1200 dpi, else default_dpi with dpi_from_tag = 0.
 * Returns ST_OK, ST_ERR_UNSUPPORTED (a kind of page we do not read, named
 * in the message), ST_ERR_INVALID (beyond a limit above, named in the
 * message), ST_ERR_PARSE
 * (damaged pixel data: libtiff's message; a libtiff warning while decoding
 * pixels counts as damage, since a ballot must never be read from guessed
 * pixels), ST_ERR_NOMEM or ST_ERR_ARG. On error ink holds no meaningful
 * pixels but stays valid for reuse. */
int st_decoder_read_ink(st_decoder *d, int page, double default_dpi,
                        st_image *ink, st_page_info *info, st_error *err);

/* As st_decoder_read_ink, but a JPEG page (8-bit grey or YCbCr/RGB, in
 * strips) may be decoded at a reduced scale: the smallest of 1/2, 1/4 and
 * 1/8 that keeps at least min_dpi in both directions, made by libjpeg's
 * scaled inverse DCT, so the full-size pixels are never computed. ink is
 * then ceil(w * scale) x ceil(h * scale) px, ink->dpi = info.dpi_x * scale
 * and info.scale says the scale (1 for every other page, and when
 * min_dpi <= 0). Strips that would not stack into whole rows at a scale
 * (rows per strip not a multiple of 8 / (8 * scale)) are read at full size.
 * Grey JPEG pages in strips go to libjpeg directly at full size too (the
 * same pixels as through libtiff, sooner). libjpeg's errors and corrupt-
 * data warnings are damage (ST_ERR_PARSE naming the strip), as libtiff's
 * are. */
int st_decoder_read_ink_at(st_decoder *d, int page, double default_dpi,
                           double min_dpi, st_image *ink, st_page_info *info,
                           st_error *err);

/* The scale, in eighths (1, 2, 4 or 8 = full size), st_decoder_read_ink_at
 * reads a JPEG page of this resolution and strip height at: the smallest
 * 1/8, 1/4 or 1/2 that keeps at least min_dpi both ways and whose strips
 * stack into whole rows. Pure; for tools that report it. */
int st_decode_jpeg_num(double dpi_x, double dpi_y, double min_dpi,
                       uint32_t rows_per_strip);

/* As st_decoder_read_ink_at, and also shrink the ink into coarse by the
 * factor st_shrink_factor(ink->dpi, coarse_dpi), written to *factor: the
 * bytes st_image_shrink would give, made while each strip's ink rows are
 * still in cache rather than in a second pass over the page. sh is the
 * caller's reusable shrink state (image.h), coarse follows the reuse rules
 * of ink. With coarse_dpi <= 0 it is st_decoder_read_ink_at (sh, coarse
 * and factor unused, may be NULL). On error coarse holds no meaningful
 * pixels and *factor is not written. */
int st_decoder_read_ink_shrunk(st_decoder *d, int page, double default_dpi,
                               double min_dpi, double coarse_dpi, st_image *ink,
                               st_shrink *sh, st_image *coarse, int *factor,
                               st_page_info *info, st_error *err);

/* The colour-to-ink conversion, 255 - min(R,G,B) for each of n pixels,
 * with one instruction set: 0 plain C, 1 SSSE3, 2 AVX2. The decoder takes
 * the best the CPU has; every level must give the same bytes, so that a
 * count replayed on another machine is the same. Returns 0, or -1 (ink
 * untouched) when this CPU or build lacks the level. For tests. */
int st_decode_rgb_to_ink_level(int level, const uint8_t *rgb, uint32_t n, uint8_t *ink);

/* The decode-only ceiling for the benchmark: the same libtiff work as
 * st_decoder_read_ink (every strip or tile read and decompressed, with the
 * same checks) into scratch, without converting to ink. scratch follows the
 * same reuse rules as ink above; its contents afterwards are unspecified.
 * Returns as st_decoder_read_ink. */
int st_decoder_read_raw(st_decoder *d, int page, st_image *scratch,
                        st_error *err);

/* The first libtiff warning of the last call on d (e.g. an unknown tag that
 * libtiff skipped), or NULL. Valid until the next call on d. */
const char *st_decoder_warning(const st_decoder *d);

/* Close the decoder and free what it owns (not the bytes). Accepts NULL. */
void st_decoder_close(st_decoder *d);

/* Make img a w x h image with the given channels (1 or 3), stride w *
 * channels, reusing its buffer when that already holds enough bytes
 * (shrinking it when it holds more than twice as many and
 * ST_DECODE_KEEP_SLACK more) and growing it otherwise. img->px must be NULL or from malloc (as in
 * st_image_new); pixel contents are unspecified afterwards. Returns ST_OK,
 * ST_ERR_ARG (bad size or channels; img unchanged) or ST_ERR_NOMEM (img
 * unchanged). Thread-safe for different images. */
int st_image_reserve(st_image *img, int w, int h, int channels);

#ifdef __cplusplus
}
#endif

#endif
