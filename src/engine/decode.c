/* decode.c - turn a scanned page's TIFF bytes into an ink image
 *
 * libtiff reads the file from the caller's memory through client procedures
 * that also map the buffer, so strips are decoded straight from it without
 * a copy. Each handle carries its own error and warning handlers, which keep
 * the first message for our st_error; nothing is printed and nothing is
 * global. A page is decoded one strip (or tile) at a time into a buffer the
 * decoder keeps, and each row is converted at once into the caller's ink
 * image: 255 - grey, a 256-entry table (palette, bilevel a byte at a time)
 * or 255 - min(R,G,B) for colour. Converting out of a small, cache-warm
 * strip buffer measured faster than decoding into the ink rows and fixing
 * them up in place, and the same path serves tiles. Every size is checked
 * against the page's own geometry before anything is allocated or copied,
 * so a lying file cannot make us read or write out of bounds. JPEG pages in
 * strips can skip libtiff's codec: libjpeg then decodes each strip straight
 * from the file's bytes into the ink rows, at a reduced scale or (grey) at
 * full size. Messages count pages from 1.
 */
#include "stemtel/decode.h"

#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>
#include <jpeglib.h>

/* libtiff may allocate at most this much for one buffer; we hold our own
 * strip or tile buffer to the same bound. */
#define ST_DECODE_MAX_ALLOC ((tmsize_t)512 << 20)
#define ST_DECODE_MAX_TILE_SIDE 32768

/* Row conversions; INVERT and COPY are the grey table when it is linear,
 * written so the compiler vectorises them. */
enum { CONV_BITS, CONV_LUT8, CONV_INVERT, CONV_COPY, CONV_RGB };

struct st_decoder {
    TIFF *tif;
    const uint8_t *bytes;
    size_t len;
    uint64_t pos;          /* read position of the client procedures */
    char *name;
    int pages;
    int cur;               /* directory libtiff has loaded, -1 if unsure */
    int nerr, nwarn;       /* libtiff messages since the call began */
    char errmsg[512];
    char warnmsg[512];
    int watching;          /* 1 during a step whose warnings mean damage */
    int nwarn_watched;     /* warnings during such steps, and the first */
    char watchmsg[512];
    uint8_t *buf;          /* strip or tile buffer, grows to the largest */
    size_t buf_cap;
    uint8_t lut[256];      /* sample value -> ink */
    uint8_t bitlut[256][8];/* one byte of 1-bit samples -> 8 ink pixels */
    int ssse3;             /* the processor has SSSE3 (rgb_to_ink) */
    int avx2;              /* ... and AVX2 */
};

/* How one page is laid out, worked out and checked before decoding. */
typedef struct page_geom {
    int conv;              /* CONV_* */
    int spp;
    int tiled;
    uint32_t chunk_w, chunk_h; /* strip: w x rows per strip; tile: tile size */
    uint32_t across, down; /* chunks across and down */
    uint64_t row_bytes;    /* bytes of one decoded chunk row */
    uint64_t chunk_bytes;  /* bytes of one decoded chunk */
} page_geom;

/* ---- libtiff client procedures over the caller's buffer ---------------- */

static tmsize_t mem_read(thandle_t h, void *dst, tmsize_t size)
{
    st_decoder *d = h;
    if (size <= 0 || d->pos >= d->len)
        return 0;
    size_t n = d->len - (size_t)d->pos;
    if ((uint64_t)size < n)
        n = (size_t)size;
    memcpy(dst, d->bytes + d->pos, n);
    d->pos += n;
    return (tmsize_t)n;
}

static tmsize_t mem_write(thandle_t h, void *src, tmsize_t size)
{
    return 0; /* read-only: libtiff reports the short write */
}

static toff_t mem_seek(thandle_t h, toff_t off, int whence)
{
    st_decoder *d = h;
    uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? d->pos : d->len;
    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
        return (toff_t)-1;
    /* Offsets are unsigned; a wrap means a negative position. */
    if (off > UINT64_MAX - base)
        return (toff_t)-1;
    d->pos = base + off;
    return d->pos;
}

static int mem_close(thandle_t h) { return 0; }

static toff_t mem_size(thandle_t h) { return ((st_decoder *)h)->len; }

static int mem_map(thandle_t h, void **base, toff_t *size)
{
    st_decoder *d = h;
    /* libtiff only reads through the map of a file opened for reading. */
    *base = (void *)d->bytes;
    *size = d->len;
    return 1;
}

static void mem_unmap(thandle_t h, void *base, toff_t size) {}

/* ---- libtiff messages -------------------------------------------------- */

static void keep_message(const st_decoder *d, char *dst, size_t cap,
                         const char *module, const char *fmt, va_list ap)
{
    char what[400];
    vsnprintf(what, sizeof what, fmt, ap);
    /* libtiff often names the file as the module; our message already does. */
    if (module && *module && strcmp(module, d->name) != 0)
        snprintf(dst, cap, "%s: %s", module, what);
    else
        snprintf(dst, cap, "%s", what);
}

static int on_error(TIFF *tif, void *user, const char *module, const char *fmt,
                    va_list ap)
{
    st_decoder *d = user;
    if (d->nerr++ == 0)
        keep_message(d, d->errmsg, sizeof d->errmsg, module, fmt, ap);
    return 1; /* handled: libtiff must not print it */
}

static int on_warning(TIFF *tif, void *user, const char *module,
                      const char *fmt, va_list ap)
{
    st_decoder *d = user;
    if (d->watching && d->nwarn_watched++ == 0) {
        va_list again;
        va_copy(again, ap);
        keep_message(d, d->watchmsg, sizeof d->watchmsg, module, fmt, again);
        va_end(again);
    }
    if (d->nwarn++ == 0)
        keep_message(d, d->warnmsg, sizeof d->warnmsg, module, fmt, ap);
    return 1;
}

static void begin_call(st_decoder *d)
{
    d->nerr = d->nwarn = d->nwarn_watched = d->watching = 0;
    d->errmsg[0] = d->warnmsg[0] = d->watchmsg[0] = '\0';
}

/* libtiff's message for the failure at hand, or a fallback. */
static const char *tiff_says(const st_decoder *d, const char *fallback)
{
    return d->nerr ? d->errmsg : d->nwarn ? d->warnmsg : fallback;
}

/* ---- images ------------------------------------------------------------ */

int st_image_reserve(st_image *img, int w, int h, int channels)
{
    if (!img || w <= 0 || h <= 0 || (channels != 1 && channels != 3))
        return ST_ERR_ARG;
    size_t need = (size_t)w * (size_t)channels * (size_t)h;
    /* image.h has no capacity field; the allocator knows the real size. */
    size_t have = img->px ? malloc_usable_size(img->px) : 0;
    if (have < need) {
        uint8_t *px = malloc(need);
        if (!px)
            return ST_ERR_NOMEM;
        free(img->px);
        img->px = px;
    }
    img->w = w;
    img->h = h;
    img->channels = channels;
    img->stride = (size_t)w * (size_t)channels;
    return ST_OK;
}

/* ---- opening ----------------------------------------------------------- */

int st_decoder_open(const void *bytes, size_t len, const char *name,
                    st_decoder **out, st_error *err)
{
    if (!name)
        name = "(memory)";
    if (!out || (!bytes && len))
        return st_error_set(err, ST_ERR_ARG, "decode: %s: no bytes given", name);
    if (len == 0)
        return st_error_set(err, ST_ERR_PARSE,
                            "decode: %s: empty file (0 bytes), not a TIFF", name);

    int rc = ST_OK;
    TIFFOpenOptions *opt = NULL;
    st_decoder *d = calloc(1, sizeof *d);
    if (!d || !(d->name = strdup(name)) || !(opt = TIFFOpenOptionsAlloc())) {
        rc = st_error_set(err, ST_ERR_NOMEM, "decode: %s: out of memory", name);
        goto out;
    }
    d->bytes = bytes;
    d->len = len;
    d->cur = -1;
#if defined(__x86_64__) || defined(__i386__)
    d->ssse3 = __builtin_cpu_supports("ssse3");
    d->avx2 = __builtin_cpu_supports("avx2");
#endif
    TIFFOpenOptionsSetErrorHandlerExtR(opt, on_error, d);
    TIFFOpenOptionsSetWarningHandlerExtR(opt, on_warning, d);
    TIFFOpenOptionsSetMaxSingleMemAlloc(opt, ST_DECODE_MAX_ALLOC);
    begin_call(d);
    d->tif = TIFFClientOpenExt(d->name, "r", (thandle_t)d, mem_read, mem_write,
                               mem_seek, mem_close, mem_size, mem_map,
                               mem_unmap, opt);
    if (!d->tif) {
        rc = st_error_set(err, ST_ERR_PARSE, "decode: %s: not a readable TIFF file: %s",
                          name, tiff_says(d, "libtiff gave no reason"));
        goto out;
    }
    d->cur = 0;
    /* Walking the chain finds loops and offsets past the end. A file whose
     * chain is broken is refused whole: a silently missing page would be a
     * ballot dropped without a reason. */
    d->watching = 1;
    tdir_t n = TIFFNumberOfDirectories(d->tif);
    d->watching = 0;
    if (d->nerr || d->nwarn_watched || n == 0 || n > 1000000) {
        rc = st_error_set(err, ST_ERR_PARSE,
                          "decode: %s: broken chain of page directories: %s", name,
                          d->nerr ? d->errmsg : d->nwarn_watched ? d->watchmsg : "no pages");
        goto out;
    }
    d->pages = (int)n;
out:
    TIFFOpenOptionsFree(opt);
    if (rc) {
        st_decoder_close(d);
        return rc;
    }
    *out = d;
    return ST_OK;
}

int st_decoder_page_count(const st_decoder *d) { return d ? d->pages : 0; }

const char *st_decoder_warning(const st_decoder *d)
{
    return d && d->nwarn ? d->warnmsg : NULL;
}

void st_decoder_close(st_decoder *d)
{
    if (!d)
        return;
    if (d->tif)
        TIFFClose(d->tif);
    free(d->buf);
    free(d->name);
    free(d);
}

/* ---- describing a page ------------------------------------------------- */

static int select_page(st_decoder *d, int page, st_error *err)
{
    if (page < 0 || page >= d->pages)
        return st_error_set(err, ST_ERR_ARG, "decode: %s: no page %d (the file has %d)",
                            d->name, page + 1, d->pages);
    if (d->cur == page)
        return ST_OK;
    d->cur = -1;
    if (!TIFFSetDirectory(d->tif, (tdir_t)page) || d->nerr)
        return st_error_set(err, ST_ERR_PARSE,
                            "decode: %s: page %d: cannot read its directory: %s",
                            d->name, page + 1, tiff_says(d, "unknown error"));
    d->cur = page;
    return ST_OK;
}

/* Resolution from the tags, or the default when absent or implausible. */
static void page_dpi(TIFF *tif, double default_dpi, st_page_info *info)
{
    float xr = 0, yr = 0;
    uint16_t unit = RESUNIT_INCH;
    int have_x = TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xr);
    int have_y = TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yr);
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    if (have_x && !have_y)
        yr = xr;
    double scale = unit == RESUNIT_INCH ? 1.0 : unit == RESUNIT_CENTIMETER ? 2.54 : 0;
    double x = xr * scale, y = yr * scale;
    /* Written as a negated range so that NaN falls out too. */
    if (have_x && scale > 0 && x >= 100 && x <= 1200 && y >= 100 && y <= 1200) {
        info->dpi_x = x;
        info->dpi_y = y;
        info->dpi_from_tag = 1;
    } else {
        info->dpi_x = info->dpi_y = default_dpi;
        info->dpi_from_tag = 0;
    }
}

static int describe(st_decoder *d, int page, double default_dpi,
                    st_page_info *info, st_error *err)
{
    int rc = select_page(d, page, err);
    if (rc)
        return rc;
    TIFF *tif = d->tif;
    uint32_t w = 0, h = 0;
    uint16_t bits = 1, spp = 1, photometric = 0, compression = COMPRESSION_NONE;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) ||
        !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h))
        return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: no image size",
                            d->name, page + 1);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric))
        /* Fax files often omit it; fax convention is white = 0. */
        photometric = spp >= 3 ? PHOTOMETRIC_RGB
                      : bits == 1 ? PHOTOMETRIC_MINISWHITE
                                  : PHOTOMETRIC_MINISBLACK;
    memset(info, 0, sizeof *info);
    /* Sizes beyond int are absurd anyway; keep them visible as INT_MAX-ish. */
    info->w = w > 0x7fffffff ? 0x7fffffff : (int)w;
    info->h = h > 0x7fffffff ? 0x7fffffff : (int)h;
    info->bits = bits;
    info->spp = spp;
    info->photometric = photometric;
    info->compression = compression;
    info->tiled = TIFFIsTiled(tif) ? 1 : 0;
    info->scale = 1;
    page_dpi(tif, default_dpi, info);
    return ST_OK;
}

static const char *photometric_name(int p)
{
    switch (p) {
    case PHOTOMETRIC_SEPARATED: return "CMYK (separated)";
    case PHOTOMETRIC_MASK: return "a transparency mask";
    case PHOTOMETRIC_CIELAB: return "CIE L*a*b*";
    case PHOTOMETRIC_ICCLAB: return "ICC L*a*b*";
    case PHOTOMETRIC_ITULAB: return "ITU L*a*b*";
    case PHOTOMETRIC_CFA: return "a raw sensor (CFA)";
    case PHOTOMETRIC_LOGL: return "LogL";
    case PHOTOMETRIC_LOGLUV: return "LogLuv";
    default: return "an unknown colour model";
    }
}

/* The ink table for 1-channel pages: grey, bilevel or palette. */
static int build_lut(st_decoder *d, int page, const st_page_info *in,
                     st_error *err)
{
    int n = 1 << in->bits;
    if (in->photometric == PHOTOMETRIC_PALETTE) {
        uint16_t *r = NULL, *g = NULL, *b = NULL;
        if (!TIFFGetField(d->tif, TIFFTAG_COLORMAP, &r, &g, &b) || !r || !g || !b)
            return st_error_set(err, ST_ERR_PARSE,
                                "decode: %s: page %d: palette image without a colour map",
                                d->name, page + 1);
        /* Some writers store 8-bit values in the 16-bit map. */
        int shift = 0;
        for (int i = 0; i < n; i++)
            if (r[i] > 255 || g[i] > 255 || b[i] > 255)
                shift = 8;
        for (int i = 0; i < n; i++) {
            unsigned m = r[i] < g[i] ? r[i] : g[i];
            m = m < b[i] ? m : b[i];
            d->lut[i] = (uint8_t)(255 - (m >> shift));
        }
    } else {
        int white_is_zero = in->photometric == PHOTOMETRIC_MINISWHITE;
        for (int i = 0; i < n; i++) {
            int v = in->bits == 1 ? i * 255 : i;
            d->lut[i] = (uint8_t)(white_is_zero ? v : 255 - v);
        }
    }
    if (in->bits == 1)
        for (int byte = 0; byte < 256; byte++)
            for (int k = 0; k < 8; k++)
                d->bitlut[byte][k] = d->lut[(byte >> (7 - k)) & 1];
    return ST_OK;
}

/* Check that we read this kind of page and work out its layout. */
static int prepare(st_decoder *d, int page, double default_dpi,
                   st_page_info *in, page_geom *g, st_error *err)
{
    int rc = describe(d, page, default_dpi, in, err);
    if (rc)
        return rc;
    TIFF *tif = d->tif;
    const char *nm = d->name;
    int pg = page + 1;
    memset(g, 0, sizeof *g);

    if (in->w <= 0 || in->h <= 0)
        return st_error_set(err, ST_ERR_INVALID, "decode: %s: page %d: empty image (%d x %d px)",
                            nm, pg, in->w, in->h);
    if (in->w > ST_DECODE_MAX_SIDE || in->h > ST_DECODE_MAX_SIDE ||
        (double)in->w * in->h > ST_DECODE_MAX_PIXELS)
        return st_error_set(err, ST_ERR_INVALID,
                            "decode: %s: page %d: absurd dimensions %d x %d px (stemtel "
                            "reads up to %d px a side and %.0f Mpx)",
                            nm, pg, in->w, in->h, ST_DECODE_MAX_SIDE,
                            ST_DECODE_MAX_PIXELS / 1e6);
    uint16_t fmt = SAMPLEFORMAT_UINT;
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &fmt);
    if (fmt != SAMPLEFORMAT_UINT)
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "decode: %s: page %d: %s samples; stemtel reads unsigned "
                            "integer samples", nm, pg,
                            fmt == SAMPLEFORMAT_INT ? "signed" :
                            fmt == SAMPLEFORMAT_IEEEFP ? "floating-point" : "complex");
    if (in->bits != 1 && in->bits != 8)
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "decode: %s: page %d: %d bits per sample; stemtel reads "
                            "1-bit and 8-bit pages", nm, pg, in->bits);

    int base; /* colour samples per pixel */
    switch (in->photometric) {
    case PHOTOMETRIC_MINISWHITE:
    case PHOTOMETRIC_MINISBLACK:
    case PHOTOMETRIC_PALETTE:
        base = 1;
        g->conv = in->bits == 1 ? CONV_BITS : CONV_LUT8;
        break;
    case PHOTOMETRIC_YCBCR:
        if (in->compression != COMPRESSION_JPEG)
            return st_error_set(err, ST_ERR_UNSUPPORTED,
                                "decode: %s: page %d: YCbCr colour without JPEG "
                                "compression; stemtel reads YCbCr only in JPEG pages",
                                nm, pg);
        /* Let libjpeg upsample and convert: rows come back as plain RGB. */
        if (!TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB))
            return st_error_set(err, ST_ERR_PARSE,
                                "decode: %s: page %d: cannot set up JPEG colour "
                                "conversion: %s", nm, pg, tiff_says(d, "unknown error"));
        /* fall through */
    case PHOTOMETRIC_RGB:
        base = 3;
        g->conv = CONV_RGB;
        if (in->bits != 8)
            return st_error_set(err, ST_ERR_UNSUPPORTED,
                                "decode: %s: page %d: %d-bit colour; stemtel reads "
                                "8-bit colour", nm, pg, in->bits);
        break;
    default:
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "decode: %s: page %d: %s image (photometric %d); stemtel "
                            "reads bilevel, grey, palette and RGB pages",
                            nm, pg, photometric_name(in->photometric), in->photometric);
    }
    if (in->spp < base || in->spp > base + 1 || (in->bits == 1 && in->spp != 1))
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "decode: %s: page %d: %d samples per pixel of %d bits for a "
                            "%s page; stemtel reads grey or RGB with at most one extra "
                            "(alpha) sample", nm, pg, in->spp, in->bits,
                            base == 1 ? "one-channel" : "colour");
    g->spp = in->spp;
    uint16_t planar = PLANARCONFIG_CONTIG;
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    if (in->spp > 1 && planar != PLANARCONFIG_CONTIG)
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "decode: %s: page %d: colour stored in separate planes; "
                            "stemtel reads interleaved (contiguous) samples", nm, pg);
    if (!TIFFIsCODECConfigured(in->compression)) {
        const TIFFCodec *c = TIFFFindCODEC(in->compression);
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "decode: %s: page %d: compression %d (%s), which this "
                            "libtiff cannot decode", nm, pg, in->compression,
                            c ? c->name : "unknown");
    }
    if (base == 1 && (rc = build_lut(d, page, in, err)))
        return rc;
    if (g->conv == CONV_LUT8 && in->spp == 1 && in->photometric != PHOTOMETRIC_PALETTE)
        g->conv = in->photometric == PHOTOMETRIC_MINISWHITE ? CONV_COPY : CONV_INVERT;

    /* Geometry: libtiff's sizes must agree with ours before we trust them. */
    uint64_t want_row;
    g->tiled = in->tiled;
    if (in->tiled) {
        uint32_t tw = 0, th = 0;
        TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
        TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
        if (tw == 0 || th == 0 || tw > ST_DECODE_MAX_TILE_SIDE || th > ST_DECODE_MAX_TILE_SIDE)
            return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: bad tile size "
                                "%u x %u px", nm, pg, tw, th);
        g->chunk_w = tw;
        g->chunk_h = th;
        g->across = ((uint32_t)in->w + tw - 1) / tw;
        g->down = ((uint32_t)in->h + th - 1) / th;
        if ((uint64_t)TIFFNumberOfTiles(tif) < (uint64_t)g->across * g->down)
            return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: %u tiles listed, "
                                "%llu needed", nm, pg, TIFFNumberOfTiles(tif),
                                (unsigned long long)g->across * g->down);
        g->row_bytes = TIFFTileRowSize64(tif);
        g->chunk_bytes = TIFFTileSize64(tif);
        want_row = ((uint64_t)tw * in->bits * in->spp + 7) / 8;
    } else {
        uint32_t rps = 0;
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
        if (rps == 0)
            return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: zero rows per strip",
                                nm, pg);
        if (rps > (uint32_t)in->h)
            rps = (uint32_t)in->h;
        g->chunk_w = (uint32_t)in->w;
        g->chunk_h = rps;
        g->across = 1;
        g->down = ((uint32_t)in->h + rps - 1) / rps;
        if (TIFFNumberOfStrips(tif) < g->down)
            return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: %u strips listed, "
                                "%u needed", nm, pg, TIFFNumberOfStrips(tif), g->down);
        g->row_bytes = TIFFScanlineSize64(tif);
        g->chunk_bytes = TIFFStripSize64(tif);
        want_row = ((uint64_t)in->w * in->bits * in->spp + 7) / 8;
    }
    if (g->row_bytes != want_row || g->chunk_bytes < g->row_bytes * g->chunk_h)
        return st_error_set(err, ST_ERR_PARSE,
                            "decode: %s: page %d: inconsistent layout (%llu bytes a row, "
                            "%llu expected; %s)", nm, pg, (unsigned long long)g->row_bytes,
                            (unsigned long long)want_row, tiff_says(d, "no libtiff message"));
    if (g->chunk_bytes > (uint64_t)ST_DECODE_MAX_ALLOC)
        return st_error_set(err, ST_ERR_INVALID,
                            "decode: %s: page %d: absurd %s of %llu bytes", nm, pg,
                            in->tiled ? "tile" : "strip",
                            (unsigned long long)g->chunk_bytes);
    return ST_OK;
}

/* ---- decoding ---------------------------------------------------------- */

/* 255 - min(R,G,B) for packed RGB. The compiler does not vectorise the
 * stride-3 loads, and this loop was a third of a colour page's time, so on
 * x86 with SSSE3 sixteen pixels at a time are pulled apart with byte
 * shuffles; the plain loop finishes the row and serves other machines.
 * Both give the same bytes. */
static void rgb_to_ink_plain(const uint8_t *src, uint32_t n, uint8_t *dst)
{
    for (uint32_t x = 0; x < n; x++) {
        uint8_t r = src[3 * x], gr = src[3 * x + 1], b = src[3 * x + 2];
        uint8_t m = r < gr ? r : gr;
        dst[x] = (uint8_t)(255 - (m < b ? m : b));
    }
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

/* For each of 16 pixels in 48 bytes (blocks a, b, c), where its red,
 * green and blue bytes lie in each block; -1 zeroes the lane. */
#define Z -1
#define ST_RGB_MASKS(set)                                                       \
    const __m128i ra = set(0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);   \
    const __m128i rb = set(Z, Z, Z, Z, Z, Z, 2, 5, 8, 11, 14, Z, Z, Z, Z, Z);   \
    const __m128i rc = set(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 1, 4, 7, 10, 13);   \
    const __m128i ga = set(1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);   \
    const __m128i gb = set(Z, Z, Z, Z, Z, 0, 3, 6, 9, 12, 15, Z, Z, Z, Z, Z);   \
    const __m128i gc = set(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 2, 5, 8, 11, 14);   \
    const __m128i ba = set(2, 5, 8, 11, 14, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, Z);   \
    const __m128i bb = set(Z, Z, Z, Z, Z, 1, 4, 7, 10, 13, Z, Z, Z, Z, Z, Z);   \
    const __m128i bc = set(Z, Z, Z, Z, Z, Z, Z, Z, Z, Z, 0, 3, 6, 9, 12, 15)

__attribute__((target("ssse3")))
static void rgb_to_ink_ssse3(const uint8_t *src, uint32_t n, uint8_t *dst)
{
    ST_RGB_MASKS(_mm_setr_epi8);
    const __m128i all = _mm_set1_epi8(-1);
    uint32_t x = 0;
    for (; x + 16 <= n; x += 16) {
        const uint8_t *p = src + 3 * (size_t)x;
        __m128i a = _mm_loadu_si128((const __m128i *)p);
        __m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
        __m128i r = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ra), _mm_shuffle_epi8(b, rb)),
                                 _mm_shuffle_epi8(c, rc));
        __m128i g = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ga), _mm_shuffle_epi8(b, gb)),
                                 _mm_shuffle_epi8(c, gc));
        __m128i bl = _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, ba), _mm_shuffle_epi8(b, bb)),
                                  _mm_shuffle_epi8(c, bc));
        __m128i m = _mm_min_epu8(_mm_min_epu8(r, g), bl);
        _mm_storeu_si128((__m128i *)(dst + x), _mm_xor_si128(m, all)); /* 255 - m */
    }
    rgb_to_ink_plain(src + 3 * (size_t)x, n - x, dst + x);
}

/* The same with 32 pixels at a time: AVX2 shuffles within each 128-bit
 * half, so the low half takes pixels 0..15 and the high half 16..31, each
 * with the masks above. */
__attribute__((target("avx2")))
static void rgb_to_ink_avx2(const uint8_t *src, uint32_t n, uint8_t *dst)
{
    ST_RGB_MASKS(_mm_setr_epi8);
    const __m256i all = _mm256_set1_epi8(-1);
#define ST_BOTH(v) _mm256_broadcastsi128_si256(v)
    const __m256i ra2 = ST_BOTH(ra), rb2 = ST_BOTH(rb), rc2 = ST_BOTH(rc);
    const __m256i ga2 = ST_BOTH(ga), gb2 = ST_BOTH(gb), gc2 = ST_BOTH(gc);
    const __m256i ba2 = ST_BOTH(ba), bb2 = ST_BOTH(bb), bc2 = ST_BOTH(bc);
#undef ST_BOTH
    uint32_t x = 0;
    for (; x + 32 <= n; x += 32) {
        const uint8_t *p = src + 3 * (size_t)x;
        __m256i a = _mm256_loadu2_m128i((const __m128i *)(p + 48), (const __m128i *)p);
        __m256i b = _mm256_loadu2_m128i((const __m128i *)(p + 64), (const __m128i *)(p + 16));
        __m256i c = _mm256_loadu2_m128i((const __m128i *)(p + 80), (const __m128i *)(p + 32));
        __m256i r = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, ra2),
                                                    _mm256_shuffle_epi8(b, rb2)),
                                    _mm256_shuffle_epi8(c, rc2));
        __m256i g = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, ga2),
                                                    _mm256_shuffle_epi8(b, gb2)),
                                    _mm256_shuffle_epi8(c, gc2));
        __m256i bl = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, ba2),
                                                     _mm256_shuffle_epi8(b, bb2)),
                                     _mm256_shuffle_epi8(c, bc2));
        __m256i m = _mm256_min_epu8(_mm256_min_epu8(r, g), bl);
        _mm256_storeu_si256((__m256i *)(dst + x), _mm256_xor_si256(m, all)); /* 255 - m */
    }
    rgb_to_ink_ssse3(src + 3 * (size_t)x, n - x, dst + x);
}
#undef ST_RGB_MASKS
#undef Z
#endif

int st_decode_rgb_to_ink_level(int level, const uint8_t *rgb, uint32_t n, uint8_t *ink)
{
    switch (level) {
    case 0:
        rgb_to_ink_plain(rgb, n, ink);
        return 0;
#if defined(__x86_64__) || defined(__i386__)
    case 1:
        if (!__builtin_cpu_supports("ssse3"))
            return -1;
        rgb_to_ink_ssse3(rgb, n, ink);
        return 0;
    case 2:
        if (!__builtin_cpu_supports("avx2"))
            return -1;
        rgb_to_ink_avx2(rgb, n, ink);
        return 0;
#endif
    default:
        return -1;
    }
}

static void rgb_to_ink(const st_decoder *d, const uint8_t *src, uint32_t n,
                       uint8_t *dst)
{
#if defined(__x86_64__) || defined(__i386__)
    if (d->avx2) {
        rgb_to_ink_avx2(src, n, dst);
        return;
    }
    if (d->ssse3) {
        rgb_to_ink_ssse3(src, n, dst);
        return;
    }
#endif
    rgb_to_ink_plain(src, n, dst);
}

static void convert_row(const st_decoder *d, const page_geom *g,
                        const uint8_t *src, uint32_t n, uint8_t *dst)
{
    switch (g->conv) {
    case CONV_BITS: {
        uint32_t full = n / 8, x;
        for (uint32_t i = 0; i < full; i++)
            memcpy(dst + 8 * i, d->bitlut[src[i]], 8);
        for (x = full * 8; x < n; x++)
            dst[x] = d->bitlut[src[full]][x & 7];
        break;
    }
    case CONV_INVERT:
        for (uint32_t x = 0; x < n; x++)
            dst[x] = (uint8_t)(255 - src[x]);
        break;
    case CONV_COPY:
        memcpy(dst, src, n);
        break;
    case CONV_LUT8:
        if (g->spp == 1)
            for (uint32_t x = 0; x < n; x++)
                dst[x] = d->lut[src[x]];
        else
            for (uint32_t x = 0; x < n; x++)
                dst[x] = d->lut[src[(size_t)x * g->spp]];
        break;
    default:
        if (g->spp == 3) { /* the common case, with a constant stride */
            rgb_to_ink(d, src, n, dst);
            break;
        }
        for (uint32_t x = 0; x < n; x++, src += g->spp) {
            uint8_t m = src[0] < src[1] ? src[0] : src[1];
            m = m < src[2] ? m : src[2];
            dst[x] = (uint8_t)(255 - m);
        }
        break;
    }
}

/* Decode every chunk of the prepared page. With ink, rows are converted into
 * it (and, with sh, a page in strips is folded into the shrink strip by
 * strip, while the rows are in cache); without, chunks land in scratch (the
 * benchmark's ceiling). */
static int decode_chunks(st_decoder *d, int page, const st_page_info *in,
                         const page_geom *g, st_image *ink, st_image *scratch,
                         st_shrink *sh, st_error *err)
{
    TIFF *tif = d->tif;
    uint8_t *buf;
    if (scratch) {
        uint64_t rows = (g->chunk_bytes + g->row_bytes - 1) / g->row_bytes;
        if (st_image_reserve(scratch, (int)g->row_bytes, (int)rows, 1))
            return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory "
                                "for a %llu-byte buffer", d->name, page + 1,
                                (unsigned long long)g->chunk_bytes);
        buf = scratch->px;
    } else if (d->buf_cap < g->chunk_bytes) {
        uint8_t *nb = malloc((size_t)g->chunk_bytes);
        if (!nb)
            return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory "
                                "for a %llu-byte buffer", d->name, page + 1,
                                (unsigned long long)g->chunk_bytes);
        free(d->buf);
        d->buf = nb;
        d->buf_cap = (size_t)g->chunk_bytes;
        buf = d->buf;
    } else {
        buf = d->buf;
    }

    for (uint32_t cy = 0; cy < g->down; cy++) {
        uint32_t y0 = cy * g->chunk_h;
        uint32_t rows = (uint32_t)in->h - y0 < g->chunk_h ? (uint32_t)in->h - y0 : g->chunk_h;
        for (uint32_t cx = 0; cx < g->across; cx++) {
            uint32_t x0 = cx * g->chunk_w;
            uint32_t cols = (uint32_t)in->w - x0 < g->chunk_w ? (uint32_t)in->w - x0 : g->chunk_w;
            uint32_t idx = cy * g->across + cx;
            /* A tile always decodes whole; the last strip only has its rows. */
            tmsize_t want = (tmsize_t)(g->tiled ? g->chunk_bytes : g->row_bytes * rows);
            d->watching = 1;
            tmsize_t got = g->tiled ? TIFFReadEncodedTile(tif, idx, buf, want)
                                    : TIFFReadEncodedStrip(tif, idx, buf, want);
            d->watching = 0;
            if (got < 0 || d->nerr)
                return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged %s %u: %s",
                                    d->name, page + 1, g->tiled ? "tile" : "strip", idx,
                                    tiff_says(d, "libtiff gave no reason"));
            if (d->nwarn_watched)
                return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged %s %u "
                                    "(pixels would be guessed): %s", d->name, page + 1,
                                    g->tiled ? "tile" : "strip", idx, d->watchmsg);
            if (got < want)
                return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: %s %u decoded "
                                    "to %lld bytes, %lld expected", d->name, page + 1,
                                    g->tiled ? "tile" : "strip", idx, (long long)got,
                                    (long long)want);
            if (!ink)
                continue;
            for (uint32_t r = 0; r < rows; r++) {
                uint8_t *out = ink->px + (size_t)(y0 + r) * ink->stride + x0;
                convert_row(d, g, buf + (size_t)r * g->row_bytes, cols, out);
            }
            if (sh && g->across == 1)
                st_shrink_rows(sh, ink->px + (size_t)y0 * ink->stride, ink->stride,
                               (int)rows);
        }
    }
    /* Tiles finish rows only with the last tile across: shrink afterwards. */
    if (ink && sh && g->across != 1)
        st_shrink_rows(sh, ink->px, ink->stride, ink->h);
    return ST_OK;
}

/* ---- JPEG pages at a reduced scale -------------------------------------- */

/* libjpeg reports errors by calling error_exit, which must not return: we
 * jump back to the strip being decoded. Warnings (corrupt data that libjpeg
 * would paper over) are counted: as with libtiff, a ballot is never read
 * from guessed pixels. Nothing is printed. */
typedef struct jpeg_trap {
    struct jpeg_error_mgr pub;
    jmp_buf back;
    int warnings;
    char msg[JMSG_LENGTH_MAX];
} jpeg_trap;

static void jpeg_trap_exit(j_common_ptr c)
{
    jpeg_trap *t = (jpeg_trap *)c->err;
    c->err->format_message(c, t->msg);
    longjmp(t->back, 1);
}

static void jpeg_trap_message(j_common_ptr c, int level)
{
    jpeg_trap *t = (jpeg_trap *)c->err;
    if (level < 0 && t->warnings++ == 0)
        c->err->format_message(c, t->msg);
}

static void jpeg_trap_output(j_common_ptr c) { (void)c; }

int st_decode_jpeg_num(double dpi_x, double dpi_y, double min_dpi,
                       uint32_t rows_per_strip)
{
    if (min_dpi <= 0)
        return 8;
    for (int num = 1; num < 8; num *= 2)
        if (dpi_x * num / 8 >= min_dpi - 1e-9 && dpi_y * num / 8 >= min_dpi - 1e-9 &&
            rows_per_strip % (uint32_t)(8 / num) == 0)
            return num;
    return 8;
}

/* Is this a JPEG page in strips libjpeg can read on its own? */
static int jpeg_direct(const st_page_info *in)
{
    return in->compression == COMPRESSION_JPEG && !in->tiled && in->bits == 8 &&
           (in->spp == 1 || in->spp == 3) &&
           (in->photometric == PHOTOMETRIC_MINISBLACK || in->photometric == PHOTOMETRIC_YCBCR);
}

/* The DCT scale (num/8) to decode this page at, or 8 (full size). */
static int jpeg_scale(const st_page_info *in, const page_geom *g, double min_dpi)
{
    if (!jpeg_direct(in))
        return 8;
    return st_decode_jpeg_num(in->dpi_x, in->dpi_y, min_dpi, g->chunk_h);
}

/* Decode one strip's JPEG stream at scale num/8 into ink rows y0... .
 * The jpeg object has the page's tables loaded. Returns ST_OK or an error
 * naming the strip. */
static int jpeg_strip(st_decoder *d, int page, struct jpeg_decompress_struct *c,
                      jpeg_trap *trap, const uint8_t *data, size_t len, int num,
                      uint32_t strip, uint32_t rows, int spp, int y0, st_image *ink,
                      uint8_t *rgb, st_shrink *sh, st_error *err)
{
    if (setjmp(trap->back)) {
        jpeg_abort_decompress(c);
        return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged strip %u: %s",
                            d->name, page + 1, strip, trap->msg);
    }
    trap->warnings = 0;
    jpeg_mem_src(c, data, (unsigned long)len);
    if (jpeg_read_header(c, TRUE) != JPEG_HEADER_OK)
        longjmp(trap->back, 1);
    uint32_t want_w = (uint32_t)ink->w, want_h = (rows * (uint32_t)num + 7) / 8;
    if (c->num_components != spp || c->image_height != rows ||
        (c->image_width * (uint32_t)num + 7) / 8 != want_w) {
        snprintf(trap->msg, sizeof trap->msg, "its JPEG stream is %u x %u px with %d "
                 "components, the page says %u rows of %d samples",
                 c->image_width, c->image_height, c->num_components, rows, spp);
        longjmp(trap->back, 1);
    }
    c->scale_num = (unsigned)num;
    c->scale_denom = 8;
    c->out_color_space = spp == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_start_decompress(c);
    if (c->output_width != want_w || c->output_height != want_h ||
        (int)(y0 + want_h) > ink->h) {
        snprintf(trap->msg, sizeof trap->msg, "scaled to %u x %u px, %u x %u expected",
                 c->output_width, c->output_height, want_w, want_h);
        longjmp(trap->back, 1);
    }
    while (c->output_scanline < c->output_height) {
        uint8_t *out = ink->px + (size_t)(y0 + (int)c->output_scanline) * ink->stride;
        JSAMPROW row = spp == 3 ? rgb : out;
        jpeg_read_scanlines(c, &row, 1);
        if (spp == 3)
            rgb_to_ink(d, rgb, want_w, out);
        else
            for (uint32_t x = 0; x < want_w; x++)
                out[x] = (uint8_t)(255 - out[x]);
        if (sh)
            st_shrink_rows(sh, out, ink->stride, 1);
    }
    jpeg_finish_decompress(c);
    if (trap->warnings) {
        snprintf(err->msg, sizeof err->msg, "decode: %s: page %d: damaged strip %u "
                 "(pixels would be guessed): %s", d->name, page + 1, strip, trap->msg);
        err->code = ST_ERR_PARSE;
        return ST_ERR_PARSE;
    }
    return ST_OK;
}

/* Decode a JPEG page's strips straight from the file's bytes with libjpeg
 * at scale num/8: the inverse DCT then makes the smaller image itself, so
 * neither the full-size pixels nor the colour conversion of them are ever
 * computed. ink is already reserved at the scaled size. */
static int decode_jpeg_scaled(st_decoder *d, int page, const st_page_info *in,
                              const page_geom *g, int num, st_image *ink,
                              st_shrink *sh, st_error *err)
{
    TIFF *tif = d->tif;
    uint64_t *offs = NULL, *lens = NULL;
    uint32_t tlen = 0;
    void *tables = NULL;
    if (!TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offs) ||
        !TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &lens) || !offs || !lens)
        return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: no strip offsets",
                            d->name, page + 1);
    TIFFGetField(tif, TIFFTAG_JPEGTABLES, &tlen, &tables);
    uint8_t *rgb = NULL;
    if (in->spp == 3) {
        if (d->buf_cap < (size_t)ink->w * 3) {
            uint8_t *nb = malloc((size_t)ink->w * 3);
            if (!nb)
                return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory",
                                    d->name, page + 1);
            free(d->buf);
            d->buf = nb;
            d->buf_cap = (size_t)ink->w * 3;
        }
        rgb = d->buf;
    }
    struct jpeg_decompress_struct c;
    jpeg_trap trap;
    memset(&trap, 0, sizeof trap);
    c.err = jpeg_std_error(&trap.pub);
    trap.pub.error_exit = jpeg_trap_exit;
    trap.pub.emit_message = jpeg_trap_message;
    trap.pub.output_message = jpeg_trap_output;
    jpeg_create_decompress(&c);
    int rc = ST_OK;
    if (tables && tlen > 0) {
        if (setjmp(trap.back)) {
            rc = st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged JPEG "
                              "tables: %s", d->name, page + 1, trap.msg);
            goto out;
        }
        jpeg_mem_src(&c, tables, tlen);
        jpeg_read_header(&c, FALSE); /* tables only */
    }
    for (uint32_t cy = 0; cy < g->down; cy++) {
        uint32_t y0 = cy * g->chunk_h;
        uint32_t rows = (uint32_t)in->h - y0 < g->chunk_h ? (uint32_t)in->h - y0 : g->chunk_h;
        if (lens[cy] == 0 || offs[cy] > d->len || lens[cy] > d->len - offs[cy]) {
            rc = st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged strip %u: "
                              "its %llu bytes at offset %llu lie outside the file",
                              d->name, page + 1, cy, (unsigned long long)lens[cy],
                              (unsigned long long)offs[cy]);
            goto out;
        }
        if ((rc = jpeg_strip(d, page, &c, &trap, d->bytes + offs[cy], (size_t)lens[cy], num,
                             cy, rows, in->spp, (int)(y0 * (uint32_t)num / 8), ink, rgb,
                             sh, err)))
            goto out;
    }
out:
    jpeg_destroy_decompress(&c);
    return rc;
}

int st_decoder_read_ink_at(st_decoder *d, int page, double default_dpi,
                           double min_dpi, st_image *ink, st_page_info *info,
                           st_error *err)
{
    return st_decoder_read_ink_shrunk(d, page, default_dpi, min_dpi, 0, ink, NULL,
                                      NULL, NULL, info, err);
}

int st_decoder_read_ink_shrunk(st_decoder *d, int page, double default_dpi,
                               double min_dpi, double coarse_dpi, st_image *ink,
                               st_shrink *sh, st_image *coarse, int *factor,
                               st_page_info *info, st_error *err)
{
    if (!d || !ink || (coarse_dpi > 0 && (!sh || !coarse || !factor)))
        return st_error_set(err, ST_ERR_ARG, "decode: no decoder or image given");
    begin_call(d);
    st_page_info in;
    page_geom g;
    int rc = prepare(d, page, default_dpi, &in, &g, err);
    if (rc)
        return rc;
    int num = jpeg_scale(&in, &g, min_dpi);
    int w = (int)(((int64_t)in.w * num + 7) / 8), h = (int)(((int64_t)in.h * num + 7) / 8);
    if (st_image_reserve(ink, w, h, 1))
        return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory for a "
                            "%d x %d px ink image", d->name, page + 1, w, h);
    in.scale = num / 8.0;
    ink->dpi = in.dpi_x * in.scale;
    int f = 0;
    if (coarse_dpi > 0) {
        f = st_shrink_factor(ink->dpi, coarse_dpi);
        if (st_shrink_begin(sh, w, h, ink->dpi, f, coarse))
            return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory "
                                "for the shrunken image", d->name, page + 1);
    } else {
        sh = NULL;
    }
    /* Grey JPEG goes to libjpeg directly at full size too: it then
     * decodes into the ink rows, not through libtiff's strip buffer, and
     * gives the same pixels (10.7 -> 8.3 ms per 200 dpi A3 page, with the
     * shrink). Colour measured no faster that way, so libtiff keeps it. */
    int direct = num < 8 || (jpeg_direct(&in) && in.spp == 1);
    rc = direct ? decode_jpeg_scaled(d, page, &in, &g, num, ink, sh, err)
                 : decode_chunks(d, page, &in, &g, ink, NULL, sh, err);
    if (rc == ST_OK && info)
        *info = in;
    if (rc == ST_OK && sh)
        *factor = f;
    return rc;
}

int st_decoder_read_ink(st_decoder *d, int page, double default_dpi,
                        st_image *ink, st_page_info *info, st_error *err)
{
    return st_decoder_read_ink_at(d, page, default_dpi, 0, ink, info, err);
}

int st_decoder_read_raw(st_decoder *d, int page, st_image *scratch,
                        st_error *err)
{
    if (!d || !scratch)
        return st_error_set(err, ST_ERR_ARG, "decode: no decoder or image given");
    begin_call(d);
    st_page_info in;
    page_geom g;
    int rc = prepare(d, page, 0, &in, &g, err);
    if (rc)
        return rc;
    return decode_chunks(d, page, &in, &g, NULL, scratch, NULL, err);
}
