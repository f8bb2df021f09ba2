/* tiffout.c - write pages as TIFF the way scanners do
 *
 * Each page is one directory: G4 bilevel (min-is-white, one strip, as fax
 * and document scanners write it), 8-bit grey raw/LZW/Deflate/JPEG, or RGB
 * raw/JPEG (JPEG colour pages as YCbCr with libtiff converting from RGB).
 * libtiff's messages go to a handler on this handle, never to stderr, and
 * the first error is kept for the caller.
 */
#include "stemtel/tiffout.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

static const char *const format_names[ST_TIFF_N_FORMATS] = {
    "g4", "grey", "grey-lzw", "grey-deflate", "grey-jpeg", "rgb", "rgb-jpeg"};

const char *st_tiff_format_name(st_tiff_format f)
{
    return (unsigned)f < ST_TIFF_N_FORMATS ? format_names[f] : "?";
}

int st_tiff_format_parse(const char *name, st_tiff_format *out, st_error *err)
{
    for (int i = 0; i < ST_TIFF_N_FORMATS; i++)
        if (strcmp(name, format_names[i]) == 0) {
            *out = (st_tiff_format)i;
            return ST_OK;
        }
    return st_error_set(err, ST_ERR_ARG,
                        "tiff: unknown format \"%s\"; use g4, grey, grey-lzw, "
                        "grey-deflate, grey-jpeg, rgb or rgb-jpeg", name);
}

int st_tiff_format_is_rgb(st_tiff_format f)
{
    return f == ST_TIFF_RGB_RAW || f == ST_TIFF_RGB_JPEG;
}

struct st_tiff_writer {
    TIFF *tif;
    char *path;
    int rc;               /* first error */
    char msg[ST_ERROR_MAX];
    char *description;    /* ImageDescription of the pages added, or NULL */
};

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt,
                    va_list ap)
{
    st_tiff_writer *w = user;
    if (w && w->rc == ST_OK) {
        char what[512];
        vsnprintf(what, sizeof what, fmt, ap);
        snprintf(w->msg, sizeof w->msg, "%s", what);
        w->rc = ST_ERR_IO;
    }
    return 1;
}

static int on_warning(TIFF *tif, void *user, const char *module,
                      const char *fmt, va_list ap)
{
    return 1; /* writing our own pages: nothing a user could act on */
}

int st_tiff_writer_open(const char *path, st_tiff_writer **out, st_error *err)
{
    st_tiff_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        free(w);
        return st_error_set(err, ST_ERR_NOMEM, "tiff: out of memory");
    }
    TIFFOpenOptions *opt = TIFFOpenOptionsAlloc();
    TIFFOpenOptionsSetErrorHandlerExtR(opt, on_error, w);
    TIFFOpenOptionsSetWarningHandlerExtR(opt, on_warning, w);
    w->tif = TIFFOpenExt(path, "w", opt);
    TIFFOpenOptionsFree(opt);
    if (!w->tif) {
        int rc = st_error_set(err, ST_ERR_IO, "tiff: %s: cannot create: %s", path,
                              w->msg[0] ? w->msg : "unknown error");
        free(w->path);
        free(w);
        return rc;
    }
    *out = w;
    return ST_OK;
}

/* Fill row (w pixels of the page format) from img's row y. */
static void convert_row(const st_image *img, int y, int rgb, uint8_t *row)
{
    const uint8_t *src = img->px + (size_t)y * img->stride;
    if (rgb && img->channels == 1) {
        for (int x = 0; x < img->w; x++)
            row[3 * x] = row[3 * x + 1] = row[3 * x + 2] = src[x];
    } else if (!rgb && img->channels == 3) {
        for (int x = 0; x < img->w; x++)
            row[x] = (uint8_t)((77 * src[3 * x] + 150 * src[3 * x + 1] +
                                29 * src[3 * x + 2] + 128) >> 8);
    } else {
        memcpy(row, src, (size_t)img->w * (rgb ? 3 : 1));
    }
}

int st_tiff_writer_describe(st_tiff_writer *w, const char *text, st_error *err)
{
    char *copy = NULL;
    if (text && !(copy = strdup(text)))
        return st_error_set(err, ST_ERR_NOMEM, "tiff: out of memory");
    free(w->description);
    w->description = copy;
    return ST_OK;
}

int st_tiff_writer_add(st_tiff_writer *w, const st_image *img,
                       st_tiff_format f, int jpeg_quality, st_error *err)
{
    if ((unsigned)f >= ST_TIFF_N_FORMATS)
        return st_error_set(err, ST_ERR_ARG, "tiff: bad format %d", (int)f);
    if (w->rc)
        return st_error_set(err, w->rc, "tiff: %s: %s", w->path, w->msg);
    TIFF *t = w->tif;
    int rgb = st_tiff_format_is_rgb(f), bilevel = f == ST_TIFF_BILEVEL_G4;
    int spp = rgb ? 3 : 1;
    uint8_t *row = malloc((size_t)img->w * 3);
    uint8_t *bits = malloc((size_t)(img->w + 7) / 8);
    int rc = ST_OK;
    if (!row || !bits) {
        rc = st_error_set(err, ST_ERR_NOMEM, "tiff: out of memory");
        goto out;
    }
    double dpi = img->dpi > 0 ? img->dpi : 300;
    uint32_t rows_per_strip;

    TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)img->w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)img->h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, bilevel ? 1 : 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, spp);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, dpi);
    TIFFSetField(t, TIFFTAG_YRESOLUTION, dpi);
    TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    TIFFSetField(t, TIFFTAG_ORIENTATION, ORIENTATION_TOPLEFT);
    if (w->description)
        TIFFSetField(t, TIFFTAG_IMAGEDESCRIPTION, w->description);
    switch (f) {
    case ST_TIFF_BILEVEL_G4:
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
        rows_per_strip = (uint32_t)img->h;
        break;
    case ST_TIFF_GREY_JPEG:
    case ST_TIFF_RGB_JPEG:
        TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_JPEG);
        TIFFSetField(t, TIFFTAG_JPEGQUALITY,
                     jpeg_quality >= 1 && jpeg_quality <= 100 ? jpeg_quality : 85);
        if (rgb) {
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
            TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
        } else {
            TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
        }
        rows_per_strip = 64; /* a multiple of the 16-row YCbCr MCU */
        break;
    default:
        TIFFSetField(t, TIFFTAG_PHOTOMETRIC, rgb ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
        if (f == ST_TIFF_GREY_LZW || f == ST_TIFF_GREY_DEFLATE) {
            TIFFSetField(t, TIFFTAG_COMPRESSION, f == ST_TIFF_GREY_LZW
                                                     ? COMPRESSION_LZW
                                                     : COMPRESSION_ADOBE_DEFLATE);
            TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
        } else {
            TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_NONE);
        }
        rows_per_strip = (uint32_t)(65536 / ((size_t)img->w * spp) + 1);
        break;
    }
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rows_per_strip);

    for (int y = 0; y < img->h && !w->rc; y++) {
        convert_row(img, y, rgb, row);
        void *out = row;
        if (bilevel) {
            /* min-is-white: a set bit is black; threshold at half grey. */
            memset(bits, 0, (size_t)(img->w + 7) / 8);
            for (int x = 0; x < img->w; x++)
                if (row[x] < 128)
                    bits[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
            out = bits;
        }
        if (TIFFWriteScanline(t, out, (uint32_t)y, 0) < 0 && !w->rc) {
            w->rc = ST_ERR_IO;
            snprintf(w->msg, sizeof w->msg, "writing row %d failed", y);
        }
    }
    if (!w->rc && !TIFFWriteDirectory(t) && !w->rc) {
        w->rc = ST_ERR_IO;
        snprintf(w->msg, sizeof w->msg, "writing the page directory failed");
    }
    if (w->rc)
        rc = st_error_set(err, w->rc, "tiff: %s: %s", w->path, w->msg);
out:
    free(row);
    free(bits);
    return rc;
}

int st_tiff_writer_close(st_tiff_writer *w, st_error *err)
{
    if (!w)
        return ST_OK;
    TIFFClose(w->tif);
    int rc = w->rc;
    if (rc)
        st_error_set(err, rc, "tiff: %s: %s", w->path, w->msg);
    free(w->path);
    free(w->description);
    free(w);
    return rc;
}

int st_tiff_write(const char *path, const st_image *img, st_tiff_format f,
                  int jpeg_quality, st_error *err)
{
    st_tiff_writer *w;
    int rc = st_tiff_writer_open(path, &w, err);
    if (rc)
        return rc;
    rc = st_tiff_writer_add(w, img, f, jpeg_quality, err);
    int rc2 = st_tiff_writer_close(w, rc ? NULL : err);
    return rc ? rc : rc2;
}
