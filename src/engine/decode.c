/* decode.c - turn a scanned page's TIFF bytes into an ink image
 *
 * libtiff reads the file from the caller's memory through client procedures
 * that also map the buffer, so strips are decoded straight from it without
 * a copy. Each handle carries its own error and warning handlers, which keep
 * the first message for our st_error; nothing is printed and nothing is
 * global. A page is decoded one strip (or tile) at a time into a buffer the
 * decoder keeps, and each row is converted at once into the caller's ink
 * image by engine/ink.h; the same path serves tiles. Every size is checked
 * against the page's own geometry before anything is allocated or copied,
 * so a lying file cannot make us read or write out of bounds. JPEG pages in
 * strips can skip libtiff's codec: this file finds the strips and hands
 * them to engine/jpeg.h, which has libjpeg decode them into the ink rows,
 * at a reduced scale or (grey) at full size. Messages count pages from 0,
 * as ballots.jsonl does.
 *
 * Hostile files meet the limits of decode.h before anything large is
 * allocated or decoded: the page's size, the bytes of a tile, the scans
 * of each JPEG stream (counted by walking its markers, which costs a
 * pass of memchr over the stream) and what one page may hold. A strip
 * that does not fit in that beside the page's ink is decoded a row at a
 * time, so a large page stored as one strip costs a row, not the whole
 * strip, on top of its ink.
 */
#include "stemtel/decode.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

#include "engine/ink.h"
#include "engine/jpeg.h"

#define ST_DECODE_MAX_TILE_SIDE 32768

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
    st_ink_conv ink;       /* how the current page's rows become ink */
};

/* How one page is laid out, worked out and checked before decoding. */
typedef struct page_geom {
    int tiled;
    uint32_t chunk_w, chunk_h; /* strip: w x rows per strip; tile: tile size */
    uint32_t across, down; /* chunks across and down */
    uint64_t row_bytes;    /* bytes of one decoded chunk row */
    uint64_t chunk_bytes;  /* bytes of one decoded chunk */
    int rowwise;           /* strips too large to hold: read a row at a time */
    int progressive;       /* a JPEG page with a progressive stream */
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
    } else if (have - need > ST_DECODE_KEEP_SLACK && have / 2 > need) {
        /* One huge page must not keep its buffer for the rest of a run
         * (each thread holding its largest page). Shrinking in place may
         * fail harmlessly: the larger buffer serves as well. */
        uint8_t *px = realloc(img->px, need);
        if (px)
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
    d->ink.level = st_ink_best_level();
    TIFFOpenOptionsSetErrorHandlerExtR(opt, on_error, d);
    TIFFOpenOptionsSetWarningHandlerExtR(opt, on_warning, d);
    /* libtiff's own buffers, one at a time, within what a page may hold. */
    TIFFOpenOptionsSetMaxSingleMemAlloc(opt, (tmsize_t)ST_DECODE_MAX_PAGE_MEMORY);
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
        return st_error_set(err, ST_ERR_ARG, "decode: %s: no page %d (the file has %d, "
                            "numbered from 0)", d->name, page, d->pages);
    if (d->cur == page)
        return ST_OK;
    d->cur = -1;
    if (!TIFFSetDirectory(d->tif, (tdir_t)page) || d->nerr)
        return st_error_set(err, ST_ERR_PARSE,
                            "decode: %s: page %d: cannot read its directory: %s",
                            d->name, page, tiff_says(d, "unknown error"));
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
                            d->name, page);
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
    if (in->photometric == PHOTOMETRIC_PALETTE) {
        uint16_t *r = NULL, *g = NULL, *b = NULL;
        if (!TIFFGetField(d->tif, TIFFTAG_COLORMAP, &r, &g, &b) || !r || !g || !b)
            return st_error_set(err, ST_ERR_PARSE,
                                "decode: %s: page %d: palette image without a colour map",
                                d->name, page);
        st_ink_palette_table(&d->ink, in->bits, r, g, b);
    } else {
        st_ink_grey_table(&d->ink, in->bits, in->photometric == PHOTOMETRIC_MINISWHITE);
    }
    return ST_OK;
}

/* The scans of the JPEG stream of n bytes at p; *progressive is set when
 * its frame is progressive. Walks the
 * markers: segments by their length, entropy-coded data to the next 0xFF
 * that is neither a stuffed 0x00 nor a restart marker. */
static int jpeg_scans(const uint8_t *p, size_t n, int *progressive)
{
    int scans = 0;
    size_t i = 0;
    while (i + 1 < n) {
        if (p[i] != 0xFF || p[i + 1] == 0xFF) {
            i++;
            continue;
        }
        uint8_t m = p[i + 1];
        i += 2;
        if (m == 0xD9)
            break;
        if (m == 0x01 || m == 0xD8 || (m >= 0xD0 && m <= 0xD7) || i + 2 > n)
            continue;
        if (m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE)
            *progressive = 1;
        i += ((size_t)p[i] << 8) | p[i + 1];
        if (m != 0xDA)
            continue;
        scans++;
        while (i + 1 < n) {
            const uint8_t *ff = memchr(p + i, 0xFF, n - i - 1);
            if (!ff) {
                i = n;
                break;
            }
            i = (size_t)(ff - p);
            uint8_t next = p[i + 1];
            if (next != 0x00 && (next < 0xD0 || next > 0xD7))
                break;
            i += 2;
        }
    }
    return scans;
}

/* Refuse a JPEG page any of whose streams has more scans than a ballot
 * scan ever has: each scan of a progressive stream is another pass over
 * all its coefficients, so a stream of hundreds of them costs a minute.
 * Notes whether the page is progressive. Streams outside the file are
 * left for decoding to report as damage. */
static int check_jpeg_scans(st_decoder *d, int page, page_geom *g, st_error *err)
{
    uint64_t *offs = NULL, *lens = NULL;
    if (!TIFFGetField(d->tif, TIFFTAG_STRIPOFFSETS, &offs) ||
        !TIFFGetField(d->tif, TIFFTAG_STRIPBYTECOUNTS, &lens) || !offs || !lens)
        return ST_OK;
    uint64_t chunks = (uint64_t)g->across * g->down;
    for (uint64_t k = 0; k < chunks; k++) {
        if (offs[k] > d->len || lens[k] > d->len - offs[k])
            continue;
        int scans = jpeg_scans(d->bytes + offs[k], (size_t)lens[k], &g->progressive);
        if (scans > ST_DECODE_MAX_JPEG_SCANS)
            return st_error_set(err, ST_ERR_INVALID,
                                "decode: %s: page %d: %s %llu is a JPEG stream of %d scans "
                                "(stemtel reads up to %d; limit: JPEG scans)", d->name, page,
                                g->tiled ? "tile" : "strip", (unsigned long long)k, scans,
                                ST_DECODE_MAX_JPEG_SCANS);
    }
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
    int pg = page;
    memset(g, 0, sizeof *g);

    if (in->w <= 0 || in->h <= 0)
        return st_error_set(err, ST_ERR_INVALID, "decode: %s: page %d: empty image (%d x %d px)",
                            nm, pg, in->w, in->h);
    if (in->w > ST_DECODE_MAX_SIDE || in->h > ST_DECODE_MAX_SIDE)
        return st_error_set(err, ST_ERR_INVALID,
                            "decode: %s: page %d: absurd dimensions %d x %d px (stemtel "
                            "reads up to %d px a side; limit: page side)",
                            nm, pg, in->w, in->h, ST_DECODE_MAX_SIDE);
    if ((double)in->w * in->h > ST_DECODE_MAX_PIXELS)
        return st_error_set(err, ST_ERR_INVALID,
                            "decode: %s: page %d: absurd dimensions %d x %d px, %.1f Mpx "
                            "(stemtel reads up to %.0f Mpx; limit: page pixels)",
                            nm, pg, in->w, in->h, (double)in->w * in->h / 1e6,
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
        d->ink.kind = in->bits == 1 ? ST_INK_BITS : ST_INK_LUT8;
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
        d->ink.kind = ST_INK_RGB;
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
    d->ink.spp = in->spp;
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
    if (d->ink.kind == ST_INK_LUT8 && in->spp == 1 && in->photometric != PHOTOMETRIC_PALETTE)
        d->ink.kind = in->photometric == PHOTOMETRIC_MINISWHITE ? ST_INK_COPY : ST_INK_INVERT;

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
    if (in->tiled && g->chunk_bytes > ST_DECODE_MAX_TILE_BYTES)
        return st_error_set(err, ST_ERR_INVALID,
                            "decode: %s: page %d: absurd tile of %llu bytes (stemtel reads "
                            "tiles up to %zu bytes; limit: bytes per tile)", nm, pg,
                            (unsigned long long)g->chunk_bytes, ST_DECODE_MAX_TILE_BYTES);
    /* A strip too large to hold beside nothing else: a row at a time. */
    g->rowwise = !in->tiled && g->chunk_bytes > ST_DECODE_MAX_PAGE_MEMORY;
    if (in->compression == COMPRESSION_JPEG)
        return check_jpeg_scans(d, page, g, err);
    return ST_OK;
}

/* ---- decoding ---------------------------------------------------------- */

/* Bytes of the buffer a page's chunks are decoded into: a chunk, or one
 * row of a strip too large to hold. */
static uint64_t chunk_hold(const page_geom *g)
{
    return g->rowwise ? g->row_bytes : g->chunk_bytes;
}

/* A page in strips too large to hold, a row at a time into buf (one row):
 * libtiff decodes each strip as far as the row asked for, so the rows
 * are the bytes a whole-strip read gives. Damage is reported as there,
 * naming the strip. */
static int decode_rows(st_decoder *d, int page, const st_page_info *in,
                       const page_geom *g, uint8_t *buf, st_image *ink, st_shrink *sh,
                       st_error *err)
{
    for (uint32_t y = 0; y < (uint32_t)in->h; y++) {
        d->watching = 1;
        int got = TIFFReadScanline(d->tif, buf, y, 0);
        d->watching = 0;
        uint32_t strip = y / g->chunk_h;
        if (got < 0 || d->nerr)
            return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged strip %u: %s",
                                d->name, page, strip, tiff_says(d, "libtiff gave no reason"));
        if (d->nwarn_watched)
            return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged strip %u "
                                "(pixels would be guessed): %s", d->name, page, strip,
                                d->watchmsg);
        if (!ink)
            continue;
        uint8_t *out = ink->px + (size_t)y * ink->stride;
        st_ink_row(&d->ink, buf, (uint32_t)in->w, out);
        if (sh)
            st_shrink_rows(sh, out, ink->stride, 1);
    }
    return ST_OK;
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
    uint64_t hold = chunk_hold(g);
    if (scratch) {
        uint64_t rows = (hold + g->row_bytes - 1) / g->row_bytes;
        if (st_image_reserve(scratch, (int)g->row_bytes, (int)rows, 1))
            return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory "
                                "for a %llu-byte buffer", d->name, page,
                                (unsigned long long)hold);
        buf = scratch->px;
    } else if (d->buf_cap < hold) {
        uint8_t *nb = malloc((size_t)hold);
        if (!nb)
            return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory "
                                "for a %llu-byte buffer", d->name, page,
                                (unsigned long long)hold);
        free(d->buf);
        d->buf = nb;
        d->buf_cap = (size_t)hold;
        buf = d->buf;
    } else {
        buf = d->buf;
    }
    if (g->rowwise)
        return decode_rows(d, page, in, g, buf, ink, sh, err);

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
                                    d->name, page, g->tiled ? "tile" : "strip", idx,
                                    tiff_says(d, "libtiff gave no reason"));
            if (d->nwarn_watched)
                return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged %s %u "
                                    "(pixels would be guessed): %s", d->name, page,
                                    g->tiled ? "tile" : "strip", idx, d->watchmsg);
            if (got < want)
                return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: %s %u decoded "
                                    "to %lld bytes, %lld expected", d->name, page,
                                    g->tiled ? "tile" : "strip", idx, (long long)got,
                                    (long long)want);
            if (!ink)
                continue;
            for (uint32_t r = 0; r < rows; r++) {
                uint8_t *out = ink->px + (size_t)(y0 + r) * ink->stride + x0;
                st_ink_row(&d->ink, buf + (size_t)r * g->row_bytes, cols, out);
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

/* Find the strips and tables of a JPEG page and let libjpeg decode them
 * (engine/jpeg.h) at scale num/8: the inverse DCT then makes the smaller
 * image itself. ink is already reserved at the scaled size; libjpeg may
 * use max_memory bytes of its own. */
static int decode_jpeg_scaled(st_decoder *d, int page, const st_page_info *in,
                              const page_geom *g, int num, st_image *ink,
                              st_shrink *sh, size_t max_memory, st_error *err)
{
    TIFF *tif = d->tif;
    uint64_t *offs = NULL, *lens = NULL;
    uint32_t tlen = 0;
    void *tables = NULL;
    if (!TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offs) ||
        !TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &lens) || !offs || !lens)
        return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: no strip offsets",
                            d->name, page);
    TIFFGetField(tif, TIFFTAG_JPEGTABLES, &tlen, &tables);
    uint8_t *rgb = NULL;
    if (in->spp == 3) {
        if (d->buf_cap < (size_t)ink->w * 3) {
            uint8_t *nb = malloc((size_t)ink->w * 3);
            if (!nb)
                return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory",
                                    d->name, page);
            free(d->buf);
            d->buf = nb;
            d->buf_cap = (size_t)ink->w * 3;
        }
        rgb = d->buf;
    }
    st_jpeg_page p = {
        .name = d->name, .page = page, .bytes = d->bytes, .len = d->len,
        .offs = offs, .lens = lens, .strips = g->down, .rows_per_strip = g->chunk_h,
        .h = (uint32_t)in->h, .spp = in->spp, .tables = tables, .tables_len = tlen,
        .level = d->ink.level, .rgb = rgb, .max_memory = max_memory,
    };
    return st_jpeg_read_strips(&p, num, ink, sh, err);
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
    /* Grey JPEG goes to libjpeg directly at full size too: it then
     * decodes into the ink rows, not through libtiff's strip buffer, and
     * gives the same pixels (10.7 -> 8.3 ms per 200 dpi A3 page, with the
     * shrink). Colour measured no faster that way, so libtiff keeps it,
     * but for a progressive stream, whose working memory libjpeg is held
     * to here and libtiff does not hold to our limit. */
    int direct = num < 8 || (jpeg_direct(&in) && (in.spp == 1 || g.progressive));
    size_t ink_bytes = (size_t)w * (size_t)h;
    /* A strip that does not fit beside the ink is read a row at a time.
     * That costs time for Deflate: libtiff inflates a whole strip with
     * libdeflate but rows with zlib, 2.8 s against 1.0 s for a 240 MB
     * strip. */
    g.rowwise = !g.tiled && ink_bytes + g.chunk_bytes > ST_DECODE_MAX_PAGE_MEMORY;
    size_t buf_bytes = direct ? (in.spp == 3 ? (size_t)w * 3 : 0) : (size_t)chunk_hold(&g);
    if (ink_bytes + buf_bytes > ST_DECODE_MAX_PAGE_MEMORY)
        return st_error_set(err, ST_ERR_INVALID, "decode: %s: page %d: needs %zu MiB to "
                            "decode (a %d x %d px ink image and a %zu-byte buffer); stemtel "
                            "lets a page use %zu MiB (limit: memory per thread)", d->name,
                            page, (ink_bytes + buf_bytes) >> 20, w, h, buf_bytes,
                            ST_DECODE_MAX_PAGE_MEMORY >> 20);
    if (st_image_reserve(ink, w, h, 1))
        return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory for a "
                            "%d x %d px ink image", d->name, page, w, h);
    in.scale = num / 8.0;
    ink->dpi = in.dpi_x * in.scale;
    int f = 0;
    if (coarse_dpi > 0) {
        f = st_shrink_factor(ink->dpi, coarse_dpi);
        if (st_shrink_begin(sh, w, h, ink->dpi, f, coarse))
            return st_error_set(err, ST_ERR_NOMEM, "decode: %s: page %d: out of memory "
                                "for the shrunken image", d->name, page);
    } else {
        sh = NULL;
    }
    rc = direct ? decode_jpeg_scaled(d, page, &in, &g, num, ink, sh,
                                     ST_DECODE_MAX_PAGE_MEMORY - ink_bytes - buf_bytes, err)
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
