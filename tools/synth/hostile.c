/* hostile.c - TIFF files made to hurt a reader, for tests and benchmarks
 *
 * The JPEG bomb is encoded by libjpeg itself with a scan script of its
 * own: the DC band and then each AC coefficient alone, every band sent
 * bit by bit by successive approximation, the most scans the standard
 * allows an 8-bit stream of one component. Its stream goes into the TIFF
 * as a raw strip. The blank pages go through libtiff's Deflate codec row
 * by row or tile by tile, so even a page of hundreds of megabytes never
 * sits in memory whole here.
 */
#include "synth/hostile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <tiffio.h>

/* libtiff's messages would go to stderr: these files are deliberate. */
static int quiet(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    return 1;
}

static TIFF *open_tiff(const char *path)
{
    TIFFOpenOptions *opt = TIFFOpenOptionsAlloc();
    if (!opt)
        return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(opt, quiet, NULL);
    TIFFOpenOptionsSetWarningHandlerExtR(opt, quiet, NULL);
    TIFF *tif = TIFFOpenExt(path, "w", opt);
    TIFFOpenOptionsFree(opt);
    return tif;
}

static void set_page(TIFF *tif, int w, int h, int dpi, int spp, int compression)
{
    TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
    TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)h);
    TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, spp);
    TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, spp == 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK);
    TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(tif, TIFFTAG_COMPRESSION, compression);
    TIFFSetField(tif, TIFFTAG_XRESOLUTION, (float)dpi);
    TIFFSetField(tif, TIFFTAG_YRESOLUTION, (float)dpi);
    TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
}

/* Encode the w x h image (spp 1 grey or 3 colour) as a progressive JPEG
 * into *out (malloc'd by libjpeg's memory destination), *len bytes: with
 * the most scans (grey only) when bomb, else libjpeg's own script. */
static int encode_progressive(int w, int h, int spp, int bomb, unsigned char **out,
                              unsigned long *len)
{
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr jerr;
    jpeg_scan_info scans[ST_HOSTILE_MAX_SCANS];
    unsigned char *row = malloc((size_t)w * (size_t)spp);
    if (!row)
        return -1;
    int n = 0;
    for (int k = 0; k < 64; k++)
        for (int ah = 0; ah <= 10; ah++) {
            jpeg_scan_info *s = &scans[n++];
            s->comps_in_scan = 1;
            s->component_index[0] = 0;
            s->Ss = s->Se = k;
            s->Ah = ah == 0 ? 0 : 11 - ah;
            s->Al = ah == 0 ? 10 : 10 - ah;
        }
    c.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, out, len);
    c.image_width = (JDIMENSION)w;
    c.image_height = (JDIMENSION)h;
    c.input_components = spp;
    c.in_color_space = spp == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    if (bomb) {
        c.scan_info = scans;
        c.num_scans = n;
    } else {
        jpeg_simple_progression(&c);
    }
    jpeg_start_compress(&c, TRUE);
    uint32_t rng = 12345;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w * spp; x++) {
            rng = rng * 1664525u + 1013904223u;
            row[x] = (unsigned char)(128 + (x / spp + y) % 64 + (int)(rng >> 28));
        }
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    free(row);
    return 0;
}

/* One page of one strip holding a progressive JPEG stream. */
static int write_progressive(const char *path, int w, int h, int dpi, int spp, int bomb,
                             st_error *err)
{
    unsigned char *jpg = NULL;
    unsigned long len = 0;
    if (w < 1 || h < 1 || (spp != 1 && spp != 3) || (bomb && spp != 1) ||
        encode_progressive(w, h, spp, bomb, &jpg, &len))
        return st_error_set(err, ST_ERR_NOMEM, "hostile: %s: cannot encode the JPEG", path);
    TIFF *tif = open_tiff(path);
    int rc = ST_OK;
    if (!tif) {
        rc = st_error_set(err, ST_ERR_IO, "hostile: %s: cannot create", path);
        goto out;
    }
    set_page(tif, w, h, dpi, spp, COMPRESSION_JPEG);
    if (spp == 3) {
        TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_YCBCR);
        TIFFSetField(tif, TIFFTAG_YCBCRSUBSAMPLING, 2, 2);
    }
    TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)h);
    if (TIFFWriteRawStrip(tif, 0, jpg, (tmsize_t)len) < 0 || !TIFFWriteDirectory(tif))
        rc = st_error_set(err, ST_ERR_IO, "hostile: %s: cannot write", path);
    TIFFClose(tif);
out:
    free(jpg);
    return rc;
}

int st_hostile_jpeg_bomb(const char *path, int w, int h, int dpi, st_error *err)
{
    return write_progressive(path, w, h, dpi, 1, 1, err);
}

int st_hostile_jpeg_progressive(const char *path, int w, int h, int dpi, int spp,
                                st_error *err)
{
    return write_progressive(path, w, h, dpi, spp, 0, err);
}

int st_hostile_blank(const char *path, int w, int h, int dpi, int spp, int tile,
                     st_error *err)
{
    if (w < 1 || h < 1 || (spp != 1 && spp != 3) || tile < 0 || tile % 16)
        return st_error_set(err, ST_ERR_ARG, "hostile: %s: bad page", path);
    size_t row = (size_t)(tile ? tile : w) * (size_t)spp;
    uint8_t *buf = malloc(row * (size_t)(tile ? tile : 1));
    TIFF *tif = buf ? open_tiff(path) : NULL;
    int rc = ST_OK;
    if (!tif) {
        rc = st_error_set(err, buf ? ST_ERR_IO : ST_ERR_NOMEM, "hostile: %s: cannot create",
                          path);
        goto out;
    }
    memset(buf, 255, row * (size_t)(tile ? tile : 1));
    set_page(tif, w, h, dpi, spp, COMPRESSION_ADOBE_DEFLATE);
    int ok = 1;
    if (tile) {
        TIFFSetField(tif, TIFFTAG_TILEWIDTH, (uint32_t)tile);
        TIFFSetField(tif, TIFFTAG_TILELENGTH, (uint32_t)tile);
        uint32_t tiles = TIFFNumberOfTiles(tif);
        for (uint32_t t = 0; ok && t < tiles; t++)
            ok = TIFFWriteEncodedTile(tif, t, buf, (tmsize_t)(row * (size_t)tile)) >= 0;
    } else {
        TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)h);
        for (int y = 0; ok && y < h; y++)
            ok = TIFFWriteScanline(tif, buf, (uint32_t)y, 0) >= 0;
    }
    if (!ok || !TIFFWriteDirectory(tif))
        rc = st_error_set(err, ST_ERR_IO, "hostile: %s: cannot write", path);
    TIFFClose(tif);
out:
    free(buf);
    return rc;
}
