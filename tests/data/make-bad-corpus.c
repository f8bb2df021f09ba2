/* make-bad-corpus.c - write the decoder's corpus of broken and refused pages
 *
 * `make bad-corpus` builds this and writes tests/data/bad/; the files are
 * committed, so this only runs again when the corpus changes. With a second
 * directory it also writes a few small valid pages there, which `make fuzz`
 * uses as seeds next to the bad ones.
 *
 * Valid pages come from libtiff itself; the broken ones are either built by
 * hand (a tiny classic little-endian TIFF writer below, so a header can say
 * whatever we like) or made by patching or cutting a libtiff-written file.
 * Every file stays well under 50 KB.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tiffio.h>

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("make-bad-corpus: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void put(bytes *b, const void *src, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        if (!(b->p = realloc(b->p, b->cap)))
            die("out of memory");
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put16(bytes *b, uint16_t v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    put(b, x, 2);
}

static void put32(bytes *b, uint32_t v)
{
    uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    put(b, x, 4);
}

static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static void set32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24);
}

static void save(const char *dir, const char *name, const void *p, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f || (n && fwrite(p, 1, n, f) != n) || fclose(f))
        die("cannot write %s", path);
}

static bytes slurp(const char *path)
{
    bytes b = {0};
    FILE *f = fopen(path, "rb");
    if (!f)
        die("cannot read %s", path);
    uint8_t chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        put(&b, chunk, got);
    fclose(f);
    return b;
}

/* ---- a hand-made TIFF: whatever the header claims ---------------------- */

typedef struct spec {
    uint32_t w, h;
    uint16_t bits, spp, photometric, planar, sampleformat; /* 0: tag left out */
    uint32_t rps;
    const uint8_t *px;     /* pixel bytes in strip order */
    size_t px_len;
    uint32_t one_strip_count; /* nonzero: a single strip claiming this size */
    uint32_t next_ifd;        /* 1: point the next-IFD link at this IFD */
} spec;

static bytes hand_tiff(const spec *s)
{
    uint32_t row = (uint32_t)(((uint64_t)s->w * s->bits * s->spp + 7) / 8);
    uint32_t rps = s->rps ? s->rps : s->h;
    uint32_t nstrips = s->one_strip_count ? 1 : (s->h + rps - 1) / rps;
    if (nstrips == 0)
        nstrips = 1;
    int ntags = 12 + (s->planar != 0) + (s->sampleformat != 0);
    uint32_t ifd = 8, ifd_size = 2 + 12 * (uint32_t)ntags + 4;
    uint32_t extra = ifd + ifd_size;      /* out-of-line values follow the IFD */
    uint32_t bps_at = extra, bps_len = s->spp > 2 ? 2u * s->spp : 0;
    uint32_t so_at = bps_at + bps_len, arr_len = nstrips > 1 ? 4 * nstrips : 0;
    uint32_t sbc_at = so_at + arr_len;
    uint32_t res_at = sbc_at + arr_len;
    uint32_t px_at = res_at + 16;

    bytes b = {0};
    put(&b, "II\x2a\x00", 4);
    put32(&b, ifd);
    put16(&b, (uint16_t)ntags);
#define TAG(tag, type, count, value) (put16(&b, tag), put16(&b, type), put32(&b, count), put32(&b, value))
    TAG(256, 4, 1, s->w);
    TAG(257, 4, 1, s->h);
    if (s->spp <= 2) { /* both SHORTs fit in the entry */
        put16(&b, 258), put16(&b, 3), put32(&b, s->spp), put16(&b, s->bits),
            put16(&b, s->spp == 2 ? s->bits : 0);
    } else {
        TAG(258, 3, s->spp, bps_at);
    }
    TAG(259, 3, 1, 1);
    TAG(262, 3, 1, s->photometric);
    TAG(273, 4, nstrips, nstrips > 1 ? so_at : px_at);
    TAG(277, 3, 1, s->spp);
    TAG(278, 4, 1, rps);
    TAG(279, 4, nstrips, nstrips > 1 ? sbc_at : s->one_strip_count ? s->one_strip_count
                                                                     : row * s->h);
    TAG(282, 5, 1, res_at);
    TAG(283, 5, 1, res_at + 8);
    if (s->planar)
        TAG(284, 3, 1, s->planar);
    TAG(296, 3, 1, 2);
    if (s->sampleformat)
        TAG(339, 3, 1, s->sampleformat);
#undef TAG
    put32(&b, s->next_ifd ? ifd : 0);
    for (uint32_t i = 0; i < bps_len / 2; i++)
        put16(&b, s->bits);
    if (nstrips > 1) {
        for (uint32_t i = 0; i < nstrips; i++)
            put32(&b, px_at + i * rps * row);
        for (uint32_t i = 0; i < nstrips; i++) {
            uint32_t rows = s->h - i * rps < rps ? s->h - i * rps : rps;
            put32(&b, rows * row);
        }
    }
    put32(&b, 200), put32(&b, 1), put32(&b, 200), put32(&b, 1);
    put(&b, s->px, s->px_len);
    return b;
}

/* ---- pages written by libtiff ------------------------------------------ */

/* A tiny ballot: white paper, a printed box, a cross in it. */
static void draw_page(uint8_t *grey, int w, int h)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int box = x >= w / 4 && x < 3 * w / 4 && y >= h / 4 && y < 3 * h / 4;
            int edge = box && (x < w / 4 + 2 || x >= 3 * w / 4 - 2 || y < h / 4 + 2 ||
                               y >= 3 * h / 4 - 2);
            int cross = box && (abs((x - w / 4) - (y - h / 4)) < 2 ||
                                abs((x - w / 4) + (y - h / 4) - h / 2) < 2);
            grey[(size_t)y * w + x] = edge ? 0 : cross ? 40 : (uint8_t)(235 + (x + y) % 20);
        }
}

typedef struct lt_page {
    uint16_t compression, photometric, spp, bits, fillorder;
    uint32_t rps, tile; /* tile side, 0 for strips */
    int predictor;
    const char *g3opts; /* "2d" for 2-D G3 */
} lt_page;

static void add_page(TIFF *t, const uint8_t *grey, int w, int h, const lt_page *p)
{
    TIFFSetField(t, TIFFTAG_SUBFILETYPE, FILETYPE_PAGE);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, p->bits);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, p->spp);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, p->compression);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, p->photometric);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, 200.0);
    TIFFSetField(t, TIFFTAG_YRESOLUTION, 200.0);
    TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    if (p->fillorder)
        TIFFSetField(t, TIFFTAG_FILLORDER, p->fillorder);
    if (p->spp == 4) {
        uint16_t alpha = EXTRASAMPLE_UNASSALPHA;
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &alpha);
    }
    if (p->predictor)
        TIFFSetField(t, TIFFTAG_PREDICTOR, PREDICTOR_HORIZONTAL);
    if (p->g3opts)
        TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, GROUP3OPT_2DENCODING);
    if (p->photometric == PHOTOMETRIC_YCBCR)
        TIFFSetField(t, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    if (p->tile) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, p->tile);
        TIFFSetField(t, TIFFTAG_TILELENGTH, p->tile);
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, p->rps ? p->rps : (uint32_t)h);
    }
    /* Pack rows in the page's format. */
    size_t row = ((size_t)w * p->bits * p->spp + 7) / 8;
    uint8_t *img = calloc((size_t)h, row);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t v = grey[(size_t)y * w + x];
            uint8_t *r = img + (size_t)y * row;
            if (p->bits == 1) {
                int black = v < 128;
                if (black == (p->photometric == PHOTOMETRIC_MINISWHITE))
                    r[x >> 3] |= (uint8_t)(0x80 >> (x & 7));
            } else {
                for (int c = 0; c < p->spp; c++)
                    r[(size_t)x * p->spp + c] = c == 3 ? 255 : c == 1 && v < 100 ? 200 : v; /* colour ink, opaque alpha */
            }
        }
    if (p->tile) {
        uint32_t ts = p->tile;
        size_t trow = ((size_t)ts * p->bits * p->spp + 7) / 8;
        uint8_t *tile = malloc(trow * ts);
        for (uint32_t ty = 0; ty < (uint32_t)h; ty += ts)
            for (uint32_t tx = 0; tx < (uint32_t)w; tx += ts) {
                memset(tile, 0, trow * ts);
                for (uint32_t y = 0; y < ts && ty + y < (uint32_t)h; y++) {
                    size_t n = trow;
                    size_t from = tx * p->bits * p->spp / 8;
                    if (from + n > row)
                        n = row - from;
                    memcpy(tile + y * trow, img + (ty + y) * row + from, n);
                }
                TIFFWriteTile(t, tile, tx, ty, 0, 0);
            }
        free(tile);
    } else {
        for (int y = 0; y < h; y++)
            TIFFWriteScanline(t, img + (size_t)y * row, (uint32_t)y, 0);
    }
    TIFFWriteDirectory(t);
    free(img);
}

/* Write pages with libtiff to a temporary file and return its bytes. */
static bytes lt_file(const char *tmp, int w, int h, const lt_page *pages, int n)
{
    uint8_t *grey = malloc((size_t)w * h);
    draw_page(grey, w, h);
    TIFF *t = TIFFOpen(tmp, "w");
    if (!t)
        die("cannot create %s", tmp);
    for (int i = 0; i < n; i++)
        add_page(t, grey, w, h, &pages[i]);
    TIFFClose(t);
    free(grey);
    bytes b = slurp(tmp);
    remove(tmp);
    return b;
}

/* The first IFD entry of tag in a little-endian classic TIFF. */
static uint8_t *find_tag(bytes *b, uint16_t tag)
{
    uint32_t ifd = get32(b->p + 4);
    uint16_t n = get16(b->p + ifd);
    for (uint16_t i = 0; i < n; i++) {
        uint8_t *e = b->p + ifd + 2 + 12 * i;
        if (get16(e) == tag)
            return e;
    }
    die("tag %u not found", tag);
    return NULL;
}

/* Element i of a strip offset or count array: libtiff stores it as SHORT
 * or LONG, inline when it fits in the entry. */
static uint8_t *elem_at(bytes *b, uint16_t tag, uint32_t i, int *size)
{
    uint8_t *e = find_tag(b, tag);
    *size = get16(e + 2) == 3 ? 2 : 4;
    uint32_t count = get32(e + 4);
    return (count * (uint32_t)*size <= 4 ? e + 8 : b->p + get32(e + 8)) + (uint32_t)*size * i;
}

static uint32_t elem_get(bytes *b, uint16_t tag, uint32_t i)
{
    int size;
    uint8_t *p = elem_at(b, tag, i, &size);
    return size == 2 ? get16(p) : get32(p);
}

static void elem_set(bytes *b, uint16_t tag, uint32_t i, uint32_t v)
{
    int size;
    uint8_t *p = elem_at(b, tag, i, &size);
    if (size == 2)
        p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
    else
        set32(p, v);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3)
        die("usage: make-bad-corpus BAD_DIR [SEED_DIR]");
    const char *bad = argv[1];
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/.make-bad-corpus.tmp", bad);
    TIFFSetWarningHandler(NULL); /* a throwaway tool: keep its output quiet */

    save(bad, "empty.tif", "", 0);

    static const uint8_t png[] = {
        0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R',
        0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0, 0x3a, 0x7e, 0x9b, 0x55,
        0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xae, 0x42, 0x60, 0x82};
    save(bad, "not-a-tiff.tif", png, sizeof png);

    /* A 300 x 200 grey page, raw, in 10 strips; cut halfway through them. */
    int w = 300, h = 200;
    uint8_t *grey = malloc((size_t)w * h);
    draw_page(grey, w, h);
    spec s = {.w = 300, .h = 200, .bits = 8, .spp = 1, .photometric = 1, .rps = 20,
              .px = grey, .px_len = (size_t)w * h};
    bytes b = hand_tiff(&s);
    save(bad, "truncated.tif", b.p, b.n - (size_t)w * h / 2);
    save(bad, "header-only.tif", b.p, 8);
    free(b.p);

    /* Strip 3 of a smaller page starts beyond the end of the file. */
    s.w = 120, s.h = 80, s.rps = 8, s.px_len = 120 * 80;
    b = hand_tiff(&s);
    set32(b.p + get32(find_tag(&b, 273) + 8) + 4 * 3, 0x7fff0000u);
    save(bad, "bad-strip-offset.tif", b.p, b.n);
    free(b.p);

    /* A page that loops back to itself. */
    s = (spec){.w = 40, .h = 30, .bits = 8, .spp = 1, .photometric = 1,
               .px = grey, .px_len = 40 * 30, .next_ifd = 1};
    b = hand_tiff(&s);
    save(bad, "ifd-loop.tif", b.p, b.n);
    set32(b.p + 4, 0x7ffffff0u);
    save(bad, "bad-ifd-offset.tif", b.p, b.n);
    free(b.p);

    s = (spec){.w = 1000000, .h = 1000000, .bits = 1, .spp = 1, .photometric = 0,
               .px = grey, .px_len = 64, .one_strip_count = 64};
    b = hand_tiff(&s);
    save(bad, "absurd-dimensions.tif", b.p, b.n);
    free(b.p);

    s = (spec){.w = 0, .h = 30, .bits = 8, .spp = 1, .photometric = 1,
               .px = grey, .px_len = 64, .one_strip_count = 64};
    b = hand_tiff(&s);
    save(bad, "zero-size.tif", b.p, b.n);
    free(b.p);

    s = (spec){.w = 40, .h = 30, .bits = 16, .spp = 1, .photometric = 1,
               .px = grey, .px_len = 40 * 30 * 2};
    b = hand_tiff(&s);
    save(bad, "bits16.tif", b.p, b.n);
    free(b.p);

    s = (spec){.w = 40, .h = 30, .bits = 4, .spp = 1, .photometric = 1,
               .px = grey, .px_len = 20 * 30};
    b = hand_tiff(&s);
    save(bad, "bits4.tif", b.p, b.n);
    free(b.p);

    s = (spec){.w = 40, .h = 30, .bits = 32, .spp = 1, .photometric = 1,
               .sampleformat = SAMPLEFORMAT_IEEEFP, .px = grey, .px_len = 40 * 30 * 4};
    b = hand_tiff(&s);
    save(bad, "float32.tif", b.p, b.n);
    free(b.p);

    s = (spec){.w = 40, .h = 30, .bits = 8, .spp = 4, .photometric = PHOTOMETRIC_SEPARATED,
               .px = grey, .px_len = 40 * 30 * 4};
    b = hand_tiff(&s);
    save(bad, "cmyk.tif", b.p, b.n);
    free(b.p);

    s = (spec){.w = 40, .h = 30, .bits = 8, .spp = 3, .photometric = PHOTOMETRIC_RGB,
               .planar = PLANARCONFIG_SEPARATE, .px = grey, .px_len = 40 * 30 * 3};
    b = hand_tiff(&s);
    save(bad, "separate-planes.tif", b.p, b.n);
    free(b.p);
    free(grey);

    /* Compressed pages from libtiff with their strip data damaged. */
    lt_page lzw = {COMPRESSION_LZW, PHOTOMETRIC_MINISBLACK, 1, 8, 0, 8, 0, 1, NULL};
    b = lt_file(tmp, 120, 80, &lzw, 1);
    for (uint32_t i = 0; i < 64; i++) /* strip 2: codes that were never defined */
        b.p[elem_get(&b, 273, 2) + 2 + i] = (uint8_t)(0xff - 7 * i);
    save(bad, "corrupt-lzw.tif", b.p, b.n);
    free(b.p);

    lt_page g4 = {COMPRESSION_CCITTFAX4, PHOTOMETRIC_MINISWHITE, 1, 1, 0, 0, 0, 0, NULL};
    b = lt_file(tmp, 120, 80, &g4, 1);
    uint32_t at = elem_get(&b, 273, 0), n = elem_get(&b, 279, 0);
    for (uint32_t i = n / 3; i < n; i++)
        b.p[at + i] = 0x00; /* runs of zero bits are no valid G4 code */
    save(bad, "corrupt-g4.tif", b.p, b.n);
    free(b.p);

    lt_page jpg = {COMPRESSION_JPEG, PHOTOMETRIC_YCBCR, 3, 8, 0, 16, 0, 0, NULL};
    b = lt_file(tmp, 120, 80, &jpg, 1);
    elem_set(&b, 279, 2, elem_get(&b, 279, 2) / 2); /* strip 2 stops mid-scan */
    save(bad, "truncated-jpeg.tif", b.p, b.n);
    free(b.p);

    if (argc == 3) {
        const char *seeds = argv[2];
        snprintf(tmp, sizeof tmp, "%s/.make-bad-corpus.tmp", seeds);
        const struct {
            const char *name;
            lt_page p;
        } valid[] = {
            {"valid-g4.tif", {COMPRESSION_CCITTFAX4, PHOTOMETRIC_MINISWHITE, 1, 1, 0, 0, 0, 0, NULL}},
            {"valid-g3-2d.tif", {COMPRESSION_CCITTFAX3, PHOTOMETRIC_MINISWHITE, 1, 1, 0, 0, 0, 0, "2d"}},
            {"valid-packbits-lsb.tif", {COMPRESSION_PACKBITS, PHOTOMETRIC_MINISBLACK, 1, 1, FILLORDER_LSB2MSB, 16, 0, 0, NULL}},
            {"valid-grey-lzw.tif", {COMPRESSION_LZW, PHOTOMETRIC_MINISBLACK, 1, 8, 0, 16, 0, 1, NULL}},
            {"valid-grey-deflate-tiled.tif", {COMPRESSION_ADOBE_DEFLATE, PHOTOMETRIC_MINISBLACK, 1, 8, 0, 0, 32, 0, NULL}},
            {"valid-grey-jpeg.tif", {COMPRESSION_JPEG, PHOTOMETRIC_MINISBLACK, 1, 8, 0, 16, 0, 0, NULL}},
            {"valid-rgb-jpeg.tif", {COMPRESSION_JPEG, PHOTOMETRIC_YCBCR, 3, 8, 0, 16, 0, 0, NULL}},
            {"valid-rgba.tif", {COMPRESSION_ADOBE_DEFLATE, PHOTOMETRIC_RGB, 4, 8, 0, 16, 0, 0, NULL}},
        };
        for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
            b = lt_file(tmp, 120, 80, &valid[i].p, 1);
            save(seeds, valid[i].name, b.p, b.n);
            free(b.p);
        }
        lt_page multi[3] = {valid[0].p, valid[3].p, valid[6].p};
        b = lt_file(tmp, 120, 80, multi, 3);
        save(seeds, "valid-multipage.tif", b.p, b.n);
        free(b.p);
    }
    return 0;
}
