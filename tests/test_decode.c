/* test_decode.c - page decoding: every format back to the ink it holds
 *
 * Pages of known content are written with our own TIFF writer (tiffout.h)
 * and, for what it does not write (tiles, G3, PackBits, fill order, palette,
 * alpha, resolution units), with libtiff directly; each is decoded and the
 * ink compared pixel by pixel with what the content implies. The broken
 * files of tests/data/bad/ must each give a status and a message that names
 * the file and says what is wrong, and nothing on stderr.
 */
#include "helpers.h"

#include <malloc.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tiffio.h>

#include "stemtel/decode.h"
#include "stemtel/sha256.h"
#include "stemtel/tiffout.h"
#include "synth/hostile.h"

#define W 300
#define H 200

/* ---- fixtures ------------------------------------------------------------ */

typedef struct fixture {
    char *dir;
    st_image ink;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = th_tmpdir();
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_rmtree(f->dir);
    free(f->dir);
    free(f->ink.px);
    free(f);
    return 0;
}

static char *tmp_path(const fixture *f, const char *name)
{
    size_t n = strlen(f->dir) + strlen(name) + 2;
    char *p = malloc(n);
    snprintf(p, n, "%s/%s", f->dir, name);
    return p;
}

/* Smooth grey content (JPEG keeps it well) with a dark block and a sharp
 * black bar for the exact formats. */
static uint8_t grey_at(int x, int y)
{
    if (x >= 40 && x < 72 && y >= 40 && y < 72)
        return 30;
    if (y >= 150 && y < 154)
        return 0;
    return (uint8_t)(140 + (x * 100) / W + (y * 15) / H);
}

static st_image *grey_image(void)
{
    st_image *img = st_image_new(W, H, 1, 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            img->px[(size_t)y * img->stride + x] = grey_at(x, y);
    img->dpi = 200;
    return img;
}

/* The grey content with a red pencil block (220, 60, 60) at 112..143. */
static int in_red(int x, int y) { return x >= 112 && x < 144 && y >= 96 && y < 128; }

static st_image *rgb_image(void)
{
    st_image *img = st_image_new(W, H, 3, 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = img->px + (size_t)y * img->stride + 3 * (size_t)x;
            uint8_t v = grey_at(x, y);
            p[0] = in_red(x, y) ? 220 : v;
            p[1] = in_red(x, y) ? 60 : v;
            p[2] = in_red(x, y) ? 60 : v;
        }
    img->dpi = 200;
    return img;
}

static st_decoder *open_file(const char *path, char **bytes)
{
    size_t len = 0;
    *bytes = th_slurp(path, &len);
    assert_non_null(*bytes);
    st_error err = {0};
    st_decoder *d = NULL;
    assert_st_ok(st_decoder_open(*bytes, len, path, &d, &err), &err);
    return d;
}

/* Write img in format fmt, decode page 0 into f->ink. */
static st_page_info round_trip(fixture *f, const st_image *img, st_tiff_format fmt)
{
    char *path = tmp_path(f, "page.tif"), *bytes;
    st_error err = {0};
    assert_st_ok(st_tiff_write(path, img, fmt, 90, &err), &err);
    st_decoder *d = open_file(path, &bytes);
    assert_int_equal(st_decoder_page_count(d), 1);
    st_page_info info;
    assert_st_ok(st_decoder_read_ink(d, 0, 300, &f->ink, &info, &err), &err);
    assert_int_equal(f->ink.w, img->w);
    assert_int_equal(f->ink.h, img->h);
    assert_int_equal(f->ink.channels, 1);
    st_decoder_close(d);
    free(bytes);
    free(path);
    return info;
}

static uint8_t ink_at(const st_image *ink, int x, int y)
{
    return ink->px[(size_t)y * ink->stride + x];
}

/* Every pixel exactly 255 - grey_at. */
static void assert_grey_ink_exact(const st_image *ink)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (ink_at(ink, x, y) != 255 - grey_at(x, y))
                fail_msg("ink at (%d,%d) is %d, want %d", x, y, ink_at(ink, x, y),
                         255 - grey_at(x, y));
}

/* ---- SHA-256 ------------------------------------------------------------- */

static void test_sha256_of_abc_is_the_known_vector(void **state)
{
    uint8_t md[ST_SHA256_LEN];
    char hex[ST_SHA256_HEX_LEN];
    assert_int_equal(st_sha256("abc", 3, md), ST_OK);
    assert_string_equal(st_sha256_hex(md, hex),
                        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(st_sha256(NULL, 0, md), ST_OK);
    assert_string_equal(st_sha256_hex(md, hex),
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

/* ---- every format of our writer ------------------------------------------ */

static void test_decode_reads_g4_bilevel_exactly(void **state)
{
    fixture *f = *state;
    st_image *img = grey_image();
    st_page_info info = round_trip(f, img, ST_TIFF_BILEVEL_G4);
    assert_int_equal(info.bits, 1);
    assert_int_equal(info.compression, COMPRESSION_CCITTFAX4);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(ink_at(&f->ink, x, y), grey_at(x, y) < 128 ? 255 : 0);
    st_image_free(img);
}

static void test_decode_reads_grey_raw_lzw_and_deflate_exactly(void **state)
{
    fixture *f = *state;
    st_image *img = grey_image();
    const st_tiff_format fmts[] = {ST_TIFF_GREY_RAW, ST_TIFF_GREY_LZW, ST_TIFF_GREY_DEFLATE};
    for (int i = 0; i < 3; i++) {
        st_page_info info = round_trip(f, img, fmts[i]);
        assert_int_equal(info.bits, 8);
        assert_int_equal(info.spp, 1);
        assert_grey_ink_exact(&f->ink);
    }
    st_image_free(img);
}

static void test_decode_reads_rgb_as_255_minus_min_channel(void **state)
{
    fixture *f = *state;
    st_image *img = rgb_image();
    st_page_info info = round_trip(f, img, ST_TIFF_RGB_RAW);
    assert_int_equal(info.spp, 3);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(ink_at(&f->ink, x, y), in_red(x, y) ? 195 : 255 - grey_at(x, y));
    st_image_free(img);
}

/* Every pixel's channels differ and the least of them moves between red,
 * green and blue from pixel to pixel, so a conversion that mixes up lanes
 * (the vectorised paths take 32 or 16 pixels at a time, then a tail) is
 * caught. */
static void test_decode_takes_the_least_channel_wherever_it_lies(void **state)
{
    fixture *f = *state;
    st_image *img = st_image_new(W, H, 3, 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = img->px + (size_t)y * img->stride + 3 * (size_t)x;
            for (int c = 0; c < 3; c++)
                p[c] = (uint8_t)(37 * x + 91 * y + 53 * c * (x % 7 + 1));
        }
    img->dpi = 200;
    round_trip(f, img, ST_TIFF_RGB_RAW);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint8_t *p = img->px + (size_t)y * img->stride + 3 * (size_t)x;
            int m = p[0] < p[1] ? p[0] : p[1];
            m = m < p[2] ? m : p[2];
            assert_int_equal(ink_at(&f->ink, x, y), 255 - m);
        }
    st_image_free(img);
}

/* Every instruction set this CPU has converts colour to ink to the same
 * bytes as plain C, on lengths that leave every kind of tail. */
static void test_decode_ink_conversion_is_the_same_on_every_instruction_set(void **state)
{
    enum { N = 1000 };
    static uint8_t rgb[3 * N], want[N], got[N];
    uint32_t seed = 12345;
    for (int i = 0; i < 3 * N; i++) {
        seed = seed * 1103515245u + 12345u;
        rgb[i] = (uint8_t)(seed >> 16);
    }
    int levels = 0;
    for (uint32_t n = 0; n <= N; n += n < 70 ? 1 : 131) {
        assert_int_equal(st_decode_rgb_to_ink_level(0, rgb, n, want), 0);
        for (uint32_t i = 0; i < n; i++) {
            int m = rgb[3 * i] < rgb[3 * i + 1] ? rgb[3 * i] : rgb[3 * i + 1];
            m = m < rgb[3 * i + 2] ? m : rgb[3 * i + 2];
            assert_int_equal(want[i], 255 - m);
        }
        for (int level = 1; level <= 2; level++) {
            memset(got, 0x5a, sizeof got);
            if (st_decode_rgb_to_ink_level(level, rgb, n, got) != 0)
                continue;
            levels |= 1 << level;
            assert_memory_equal(got, want, n);
            assert_int_equal(got[n < N ? n : N - 1], n < N ? 0x5a : want[N - 1]);
        }
    }
    print_message("    instruction sets compared with plain C:%s%s\n",
                  levels & 2 ? " SSSE3" : "", levels & 4 ? " AVX2" : "");
}

static void test_decode_reads_jpeg_grey_and_colour_within_tolerance(void **state)
{
    fixture *f = *state;
    st_image *grey = grey_image(), *rgb = rgb_image();
    for (int k = 0; k < 2; k++) {
        st_page_info info = round_trip(f, k ? rgb : grey, k ? ST_TIFF_RGB_JPEG : ST_TIFF_GREY_JPEG);
        assert_int_equal(info.compression, COMPRESSION_JPEG);
        double sum = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                int want = k && in_red(x, y) ? 195 : 255 - grey_at(x, y);
                sum += abs(ink_at(&f->ink, x, y) - want);
            }
        if (sum / (W * H) > 3.0)
            fail_msg("%s: mean ink error %.2f", k ? "rgb-jpeg" : "grey-jpeg", sum / (W * H));
        /* Inside the blocks, away from edges that chroma subsampling blurs. */
        assert_in_range(ink_at(&f->ink, 56, 56), 215, 235);
        if (k)
            assert_in_range(ink_at(&f->ink, 128, 112), 180, 210);
    }
    st_image_free(grey);
    st_image_free(rgb);
}

/* ---- what only libtiff writes -------------------------------------------- */

typedef struct lt_opts {
    uint16_t compression, photometric, bits, spp, fillorder;
    uint32_t tile;          /* 0: strips */
    int g3_2d;
    int res;                /* 0 none, 1 inch, 2 centimetre */
    float xres, yres;
    int palette;            /* 8-bit palette: index i is grey i, 7 is red */
} lt_opts;

/* Write grey_at content in the given format (1-bit: grey < 128 is black). */
static void lt_write(const char *path, const lt_opts *o)
{
    TIFF *t = TIFFOpen(path, "w");
    assert_non_null(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, (uint32_t)W);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, (uint32_t)H);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, o->bits);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, o->spp);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_COMPRESSION, o->compression);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, o->photometric);
    if (o->fillorder)
        TIFFSetField(t, TIFFTAG_FILLORDER, o->fillorder);
    if (o->g3_2d)
        TIFFSetField(t, TIFFTAG_GROUP3OPTIONS, GROUP3OPT_2DENCODING);
    if (o->spp == 4) {
        uint16_t extra = EXTRASAMPLE_ASSOCALPHA;
        TIFFSetField(t, TIFFTAG_EXTRASAMPLES, 1, &extra);
    }
    if (o->res) {
        TIFFSetField(t, TIFFTAG_XRESOLUTION, o->xres);
        TIFFSetField(t, TIFFTAG_YRESOLUTION, o->yres);
        TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, o->res == 2 ? RESUNIT_CENTIMETER : RESUNIT_INCH);
    }
    uint16_t map[3][256];
    if (o->palette) {
        for (int i = 0; i < 256; i++)
            map[0][i] = map[1][i] = map[2][i] = (uint16_t)(i * 257);
        map[0][7] = 220 * 257, map[1][7] = 60 * 257, map[2][7] = 60 * 257;
        TIFFSetField(t, TIFFTAG_COLORMAP, map[0], map[1], map[2]);
    }
    size_t row = ((size_t)W * o->bits * o->spp + 7) / 8;
    uint8_t *img = calloc(H, row);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t v = grey_at(x, y), *r = img + (size_t)y * row;
            if (o->bits == 1) {
                if ((v < 128) == (o->photometric == PHOTOMETRIC_MINISWHITE))
                    r[x / 8] |= (uint8_t)(0x80 >> (x % 8));
            } else if (o->palette) {
                r[x] = in_red(x, y) ? 7 : v;
            } else {
                for (int c = 0; c < o->spp; c++)
                    r[(size_t)x * o->spp + c] =
                        c == 3 ? 255 : o->spp >= 3 && in_red(x, y) ? (c ? 60 : 220) : v;
            }
        }
    if (o->tile) {
        TIFFSetField(t, TIFFTAG_TILEWIDTH, o->tile);
        TIFFSetField(t, TIFFTAG_TILELENGTH, o->tile);
        size_t trow = ((size_t)o->tile * o->bits * o->spp + 7) / 8;
        uint8_t *tile = malloc(trow * o->tile);
        for (uint32_t ty = 0; ty < H; ty += o->tile)
            for (uint32_t tx = 0; tx < W; tx += o->tile) {
                memset(tile, 0xaa, trow * o->tile); /* junk beyond the page edge */
                size_t from = (size_t)tx * o->bits * o->spp / 8;
                size_t n = from + trow > row ? row - from : trow;
                for (uint32_t y = 0; y < o->tile && ty + y < H; y++)
                    memcpy(tile + y * trow, img + (ty + y) * row + from, n);
                assert_true(TIFFWriteTile(t, tile, tx, ty, 0, 0) >= 0);
            }
        free(tile);
    } else {
        TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, (uint32_t)16);
        for (int y = 0; y < H; y++)
            assert_true(TIFFWriteScanline(t, img + (size_t)y * row, (uint32_t)y, 0) >= 0);
    }
    TIFFClose(t);
    free(img);
}

static st_page_info lt_round_trip(fixture *f, const lt_opts *o)
{
    char *path = tmp_path(f, "lt.tif"), *bytes;
    lt_write(path, o);
    st_decoder *d = open_file(path, &bytes);
    st_error err = {0};
    st_page_info info;
    assert_st_ok(st_decoder_read_ink(d, 0, 300, &f->ink, &info, &err), &err);
    assert_null(st_decoder_warning(d));
    st_decoder_close(d);
    free(bytes);
    free(path);
    return info;
}

static void assert_bilevel_ink_exact(const st_image *ink)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (ink_at(ink, x, y) != (grey_at(x, y) < 128 ? 255 : 0))
                fail_msg("bilevel ink at (%d,%d) is %d", x, y, ink_at(ink, x, y));
}

static void test_decode_reads_g3_1d_2d_and_packbits_bilevel_exactly(void **state)
{
    fixture *f = *state;
    const lt_opts cases[] = {
        {.compression = COMPRESSION_CCITTFAX3, .photometric = PHOTOMETRIC_MINISWHITE, .bits = 1, .spp = 1},
        {.compression = COMPRESSION_CCITTFAX3, .photometric = PHOTOMETRIC_MINISWHITE, .bits = 1, .spp = 1, .g3_2d = 1},
        {.compression = COMPRESSION_PACKBITS, .photometric = PHOTOMETRIC_MINISBLACK, .bits = 1, .spp = 1},
        {.compression = COMPRESSION_NONE, .photometric = PHOTOMETRIC_MINISWHITE, .bits = 1, .spp = 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lt_round_trip(f, &cases[i]);
        assert_bilevel_ink_exact(&f->ink);
    }
}

static void test_decode_honours_lsb_first_fill_order(void **state)
{
    fixture *f = *state;
    lt_opts o = {.compression = COMPRESSION_CCITTFAX4, .photometric = PHOTOMETRIC_MINISWHITE,
                 .bits = 1, .spp = 1, .fillorder = FILLORDER_LSB2MSB};
    lt_round_trip(f, &o);
    assert_bilevel_ink_exact(&f->ink);
}

static void test_decode_reads_tiled_pages_with_partial_edge_tiles(void **state)
{
    fixture *f = *state;
    /* 300 x 200 in 64-px tiles: the right and bottom tiles stick out. */
    lt_opts grey = {.compression = COMPRESSION_ADOBE_DEFLATE, .photometric = PHOTOMETRIC_MINISBLACK,
                    .bits = 8, .spp = 1, .tile = 64};
    st_page_info info = lt_round_trip(f, &grey);
    assert_int_equal(info.tiled, 1);
    assert_grey_ink_exact(&f->ink);

    lt_opts g4 = {.compression = COMPRESSION_CCITTFAX4, .photometric = PHOTOMETRIC_MINISWHITE,
                  .bits = 1, .spp = 1, .tile = 64};
    lt_round_trip(f, &g4);
    assert_bilevel_ink_exact(&f->ink);

    lt_opts rgb = {.compression = COMPRESSION_LZW, .photometric = PHOTOMETRIC_RGB,
                   .bits = 8, .spp = 3, .tile = 32};
    lt_round_trip(f, &rgb);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(ink_at(&f->ink, x, y), in_red(x, y) ? 195 : 255 - grey_at(x, y));
}

static void test_decode_reads_palette_and_ignores_alpha(void **state)
{
    fixture *f = *state;
    lt_opts pal = {.compression = COMPRESSION_LZW, .photometric = PHOTOMETRIC_PALETTE,
                   .bits = 8, .spp = 1, .palette = 1};
    lt_round_trip(f, &pal);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            assert_int_equal(ink_at(&f->ink, x, y), in_red(x, y) ? 195 : 255 - grey_at(x, y));

    lt_opts rgba = {.compression = COMPRESSION_NONE, .photometric = PHOTOMETRIC_RGB,
                    .bits = 8, .spp = 4};
    lt_round_trip(f, &rgba);
    assert_int_equal(ink_at(&f->ink, 120, 100), 195);
    assert_int_equal(ink_at(&f->ink, 10, 10), 255 - grey_at(10, 10));
}

/* ---- pages and resolution ------------------------------------------------ */

static void test_decode_counts_and_reads_every_page_of_a_multipage_file(void **state)
{
    fixture *f = *state;
    char *path = tmp_path(f, "multi.tif"), *bytes;
    st_error err = {0};
    st_tiff_writer *w;
    assert_st_ok(st_tiff_writer_open(path, &w, &err), &err);
    const uint8_t fill[3] = {255, 200, 0};
    const st_tiff_format fmt[3] = {ST_TIFF_GREY_LZW, ST_TIFF_GREY_RAW, ST_TIFF_BILEVEL_G4};
    for (int p = 0; p < 3; p++) {
        st_image *img = st_image_new(100 + 10 * p, 80, 1, fill[p]);
        img->dpi = 200;
        assert_st_ok(st_tiff_writer_add(w, img, fmt[p], 90, &err), &err);
        st_image_free(img);
    }
    assert_st_ok(st_tiff_writer_close(w, &err), &err);

    st_decoder *d = open_file(path, &bytes);
    assert_int_equal(st_decoder_page_count(d), 3);
    const uint8_t want[3] = {0, 55, 255};
    for (int p = 2; p >= 0; p--) { /* backwards: pages are reached by index */
        st_page_info info;
        assert_st_ok(st_decoder_read_ink(d, p, 300, &f->ink, &info, &err), &err);
        assert_int_equal(info.w, 100 + 10 * p);
        for (int i = 0; i < f->ink.w * f->ink.h; i++)
            assert_int_equal(f->ink.px[i], want[p]);
    }
    assert_int_equal(st_decoder_read_ink(d, 3, 300, &f->ink, NULL, &err), ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "no page 3 (the file has 3, numbered from 0)"));
    st_decoder_close(d);
    free(bytes);
    free(path);
}

static void test_decode_takes_dpi_from_the_tag_or_the_default(void **state)
{
    fixture *f = *state;
    lt_opts o = {.compression = COMPRESSION_NONE, .photometric = PHOTOMETRIC_MINISBLACK,
                 .bits = 8, .spp = 1, .res = 1, .xres = 200, .yres = 200};
    st_page_info info = lt_round_trip(f, &o);
    assert_true(info.dpi_from_tag);
    assert_true(info.dpi_x == 200 && info.dpi_y == 200 && f->ink.dpi == 200);

    o.res = 2, o.xres = o.yres = 118.11f; /* 300 dpi in pixels per centimetre */
    info = lt_round_trip(f, &o);
    assert_true(info.dpi_from_tag);
    assert_true(info.dpi_x > 299.9 && info.dpi_x < 300.1);

    o.res = 0;
    info = lt_round_trip(f, &o);
    assert_false(info.dpi_from_tag);
    assert_true(info.dpi_x == 300 && info.dpi_y == 300);

    o.res = 1, o.xres = o.yres = 72; /* a screen default, not a scan */
    info = lt_round_trip(f, &o);
    assert_false(info.dpi_from_tag);
    assert_true(info.dpi_x == 300);
}

/* ---- scratch and the raw ceiling ----------------------------------------- */

static void test_decode_reuses_the_ink_buffer_for_a_smaller_page(void **state)
{
    fixture *f = *state;
    char *path = tmp_path(f, "two.tif"), *bytes;
    st_error err = {0};
    st_tiff_writer *w;
    assert_st_ok(st_tiff_writer_open(path, &w, &err), &err);
    st_image *big = grey_image(), *small = st_image_new(40, 30, 1, 0);
    small->dpi = 200;
    assert_st_ok(st_tiff_writer_add(w, big, ST_TIFF_GREY_LZW, 90, &err), &err);
    assert_st_ok(st_tiff_writer_add(w, small, ST_TIFF_RGB_JPEG, 90, &err), &err);
    assert_st_ok(st_tiff_writer_close(w, &err), &err);

    st_decoder *d = open_file(path, &bytes);
    assert_st_ok(st_decoder_read_ink(d, 0, 300, &f->ink, NULL, &err), &err);
    uint8_t *px = f->ink.px;
    assert_st_ok(st_decoder_read_ink(d, 1, 300, &f->ink, NULL, &err), &err);
    assert_ptr_equal(f->ink.px, px);
    assert_int_equal(f->ink.w, 40);
    assert_int_equal(f->ink.stride, 40);
    assert_st_ok(st_decoder_read_ink(d, 0, 300, &f->ink, NULL, &err), &err);
    assert_ptr_equal(f->ink.px, px);
    assert_grey_ink_exact(&f->ink);

    st_image scratch = {0};
    for (int p = 0; p < 2; p++)
        assert_st_ok(st_decoder_read_raw(d, p, &scratch, &err), &err);
    free(scratch.px);
    st_decoder_close(d);
    st_image_free(big);
    st_image_free(small);
    free(bytes);
    free(path);
}

/* ---- pages too large to hold in one strip ----------------------------------- */

/* Write a w x h RGB page, Deflate, rps rows per strip, with a pattern
 * that changes along both axes, a row at a time. */
static void write_big_rgb(const char *path, uint32_t w, uint32_t h, uint32_t rps)
{
    TIFF *t = TIFFOpen(path, "w");
    assert_non_null(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 8);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 3);
    TIFFSetField(t, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_RGB);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_ADOBE_DEFLATE);
    TIFFSetField(t, TIFFTAG_ZIPQUALITY, 1);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rps);
    uint8_t *row = malloc((size_t)w * 3);
    for (uint32_t y = 0; y < h; y++) {
        for (uint32_t x = 0; x < w; x++) {
            row[3 * x] = (uint8_t)(x / 7 + y / 5);
            row[3 * x + 1] = (uint8_t)(y / 3);
            row[3 * x + 2] = (uint8_t)(x / 11);
        }
        assert_true(TIFFWriteScanline(t, row, y, 0) >= 0);
    }
    free(row);
    TIFFClose(t);
}

/* A page whose single strip would not fit in memory per thread beside
 * its ink is decoded a row at a time: the same ink and coarse image as
 * the same page in small strips, and less memory. A small page after it
 * lets the large ink buffer go rather than keep it for the run. */
static void test_decode_reads_a_page_too_large_for_one_strip_buffer_row_by_row(void **state)
{
    fixture *f = *state;
    const uint32_t w = 6000, h = 5600; /* 33.6 Mpx: 101 MB of RGB, 34 MB of ink */
    assert_true((size_t)w * h * 4 > ST_DECODE_MAX_PAGE_MEMORY);
    char *one = tmp_path(f, "one-strip.tif"), *many = tmp_path(f, "strips.tif");
    write_big_rgb(one, w, h, h);
    write_big_rgb(many, w, h, 64);
    st_image ink[2] = {{0}}, coarse[2] = {{0}};
    st_shrink sh[2] = {{0}};
    const char *paths[2] = {one, many};
    for (int k = 0; k < 2; k++) {
        char *bytes;
        st_decoder *d = open_file(paths[k], &bytes);
        st_error err = {0};
        int factor = 0;
        assert_st_ok(st_decoder_read_ink_shrunk(d, 0, 300, 0, 50, &ink[k], &sh[k], &coarse[k],
                                                &factor, NULL, &err), &err);
        assert_int_equal(factor, 6);
        st_decoder_close(d);
        free(bytes);
    }
    assert_int_equal(ink[0].w, (int)w);
    assert_int_equal(ink[0].h, (int)h);
    assert_memory_equal(ink[0].px, ink[1].px, (size_t)w * h);
    assert_int_equal(coarse[0].w, coarse[1].w);
    assert_memory_equal(coarse[0].px, coarse[1].px, (size_t)coarse[0].w * coarse[0].h);
    write_big_rgb(one, 64, 64, 64);
    char *bytes;
    st_decoder *d = open_file(one, &bytes);
    st_error err = {0};
    assert_st_ok(st_decoder_read_ink(d, 0, 300, &ink[0], NULL, &err), &err);
    assert_true(malloc_usable_size(ink[0].px) < ST_DECODE_KEEP_SLACK);
    st_decoder_close(d);
    free(bytes);
    for (int k = 0; k < 2; k++) {
        free(ink[k].px);
        free(coarse[k].px);
        st_shrink_free(&sh[k]);
    }
    free(one);
    free(many);
}

/* Progressive JPEG pages within the scan limit are read, grey and colour
 * (colour then goes to libjpeg directly, which is held to memory per
 * thread), at full size and reduced. */
static void test_decode_reads_progressive_jpeg_pages_within_the_limits(void **state)
{
    fixture *f = *state;
    char *path = tmp_path(f, "progressive.tif"), *bytes;
    st_error err = {0};
    for (int spp = 1; spp <= 3; spp += 2) {
        assert_st_ok(st_hostile_jpeg_progressive(path, 800, 640, 300, spp, &err), &err);
        st_decoder *d = open_file(path, &bytes);
        for (int min_dpi = 0; min_dpi <= 150; min_dpi += 150) {
            st_page_info info;
            assert_st_ok(st_decoder_read_ink_at(d, 0, 300, min_dpi, &f->ink, &info, &err),
                         &err);
            assert_int_equal(f->ink.w, min_dpi ? 400 : 800);
            double sum = 0;
            for (int i = 0; i < f->ink.w * f->ink.h; i++)
                sum += f->ink.px[i];
            double mean = sum / (f->ink.w * f->ink.h);
            if (mean < 80 || mean > 100)
                fail_msg("%d samples, read at %d dpi: mean ink %.1f", spp, min_dpi, mean);
        }
        st_decoder_close(d);
        free(bytes);
    }
    free(path);
}

/* The JPEG bomb: a page of 704 scans is refused before any is decoded. */
static void test_decode_refuses_a_jpeg_stream_of_too_many_scans(void **state)
{
    fixture *f = *state;
    char *path = tmp_path(f, "bomb.tif"), *bytes;
    st_error err = {0};
    assert_st_ok(st_hostile_jpeg_bomb(path, 320, 240, 200, &err), &err);
    st_decoder *d = open_file(path, &bytes);
    assert_int_equal(st_decoder_read_ink_at(d, 0, 200, 150, &f->ink, NULL, &err),
                     ST_ERR_INVALID);
    assert_non_null(strstr(err.msg, "page 0: strip 0 is a JPEG stream of 704 scans (stemtel "
                                    "reads up to 32; limit: JPEG scans)"));
    st_decoder_close(d);
    free(bytes);
    free(path);
}

/* ---- JPEG pages at a reduced scale ----------------------------------------- */

/* Decode page 0 of path with min_dpi into ink; returns the page info. */
static st_page_info read_at(const char *path, double min_dpi, st_image *ink)
{
    char *bytes;
    st_error err = {0};
    st_decoder *d = open_file(path, &bytes);
    st_page_info info;
    assert_st_ok(st_decoder_read_ink_at(d, 0, 300, min_dpi, ink, &info, &err), &err);
    st_decoder_close(d);
    free(bytes);
    return info;
}

/* A 300 dpi JPEG page read with jpeg_min_dpi 150 comes out at half size and
 * 150 dpi, each pixel close to the mean of the 2 x 2 full-size pixels it
 * stands for (grey and colour, the red block included); asking for more
 * than half the resolution, or for 0, reads it at full size. */
static void test_decode_reads_a_300_dpi_jpeg_page_at_half_size(void **state)
{
    fixture *f = *state;
    st_image *grey = grey_image(), *rgb = rgb_image();
    grey->dpi = rgb->dpi = 300;
    char *path = tmp_path(f, "page300.tif");
    for (int k = 0; k < 2; k++) {
        st_error err = {0};
        assert_st_ok(st_tiff_write(path, k ? rgb : grey, k ? ST_TIFF_RGB_JPEG : ST_TIFF_GREY_JPEG,
                                   90, &err), &err);
        st_image full = {0}, half = {0};
        st_page_info fi = read_at(path, 0, &full);
        assert_true(fi.scale == 1);
        assert_int_equal(full.w, W);
        st_page_info hi = read_at(path, 150, &half);
        assert_true(hi.scale == 0.5);
        assert_int_equal(hi.w, W); /* the stored page's size */
        assert_int_equal(half.w, W / 2);
        assert_int_equal(half.h, H / 2);
        assert_true(half.dpi == 150);
        double sum = 0;
        for (int y = 0; y < H / 2; y++)
            for (int x = 0; x < W / 2; x++) {
                double mean = (ink_at(&full, 2 * x, 2 * y) + ink_at(&full, 2 * x + 1, 2 * y) +
                               ink_at(&full, 2 * x, 2 * y + 1) +
                               ink_at(&full, 2 * x + 1, 2 * y + 1)) / 4.0;
                sum += fabs(ink_at(&half, x, y) - mean);
            }
        if (sum / (W / 2 * H / 2) > 3)
            fail_msg("%s: mean difference %.2f from the full-size page",
                     k ? "rgb-jpeg" : "grey-jpeg", sum / (W / 2 * H / 2));
        /* The red pencil block stays as strong as at full size. */
        assert_true(abs(ink_at(&half, 64, 56) - ink_at(&full, 128, 112)) <= 12);
        st_page_info again = read_at(path, 200, &half);
        assert_true(again.scale == 1);
        assert_int_equal(half.w, W);
        free(full.px);
        free(half.px);
    }
    free(path);
    st_image_free(grey);
    st_image_free(rgb);
}

/* Lossless pages are never scaled, whatever the setting. */
static void test_decode_reads_lossless_pages_at_full_size_always(void **state)
{
    fixture *f = *state;
    st_image *grey = grey_image();
    grey->dpi = 600;
    char *path = tmp_path(f, "lzw600.tif");
    st_error err = {0};
    assert_st_ok(st_tiff_write(path, grey, ST_TIFF_GREY_LZW, 90, &err), &err);
    st_image ink = {0};
    st_page_info info = read_at(path, 100, &ink);
    assert_true(info.scale == 1);
    assert_int_equal(ink.w, W);
    assert_grey_ink_exact(&ink);
    free(ink.px);
    free(path);
    st_image_free(grey);
}

/* ---- the bad corpus -------------------------------------------------------- */

static void test_decode_refuses_every_bad_file_with_a_named_reason(void **state)
{
    const struct {
        const char *file;
        int code;
        const char *phrase;
    } cases[] = {
        {"empty.tif", ST_ERR_PARSE, "empty file"},
        {"not-a-tiff.tif", ST_ERR_PARSE, "not a readable TIFF"},
        {"truncated.tif", ST_ERR_PARSE, "damaged strip"},
        {"header-only.tif", ST_ERR_PARSE, "not a readable TIFF"},
        {"absurd-dimensions.tif", ST_ERR_INVALID, "absurd dimensions 1000000 x 1000000"},
        {"bits16.tif", ST_ERR_UNSUPPORTED, "16 bits per sample; stemtel reads 1-bit and 8-bit"},
        {"bits4.tif", ST_ERR_UNSUPPORTED, "4 bits per sample"},
        {"bad-ifd-offset.tif", ST_ERR_PARSE, "directory"},
        {"zero-size.tif", ST_ERR_PARSE, "not a readable TIFF"},
        {"bad-strip-offset.tif", ST_ERR_PARSE, "damaged strip 3"},
        {"ifd-loop.tif", ST_ERR_PARSE, "broken chain of page directories"},
        {"float32.tif", ST_ERR_UNSUPPORTED, "floating-point"},
        {"cmyk.tif", ST_ERR_UNSUPPORTED, "CMYK"},
        {"separate-planes.tif", ST_ERR_UNSUPPORTED, "separate planes"},
        {"corrupt-lzw.tif", ST_ERR_PARSE, "damaged strip 2"},
        {"corrupt-g4.tif", ST_ERR_PARSE, "damaged strip 0"},
        {"truncated-jpeg.tif", ST_ERR_PARSE, "Premature end of JPEG"},
    };
    /* libtiff must say nothing on stderr: catch it in a file meanwhile. */
    fixture *f = *state;
    char *errpath = tmp_path(f, "stderr.txt");
    fflush(stderr);
    int saved = dup(2);
    FILE *cap = fopen(errpath, "w");
    assert_non_null(cap);
    dup2(fileno(cap), 2);

    char failure[2048] = "";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && !failure[0]; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/data/bad/%s", cases[i].file);
        char *path = th_root(rel);
        size_t len = 0;
        char *bytes = th_slurp(path, &len);
        if (!bytes) {
            snprintf(failure, sizeof failure, "%s: cannot read", path);
            free(path);
            break;
        }
        st_error err = {0};
        st_decoder *d = NULL;
        st_image ink = {0}, scratch = {0};
        int rc = st_decoder_open(bytes, len, path, &d, &err);
        for (int p = 0; rc == ST_OK && p < st_decoder_page_count(d); p++) {
            st_error raw_err = {0};
            int raw = st_decoder_read_raw(d, p, &scratch, &raw_err);
            rc = st_decoder_read_ink(d, p, 300, &ink, NULL, &err);
            if (raw != rc)
                snprintf(failure, sizeof failure, "%s: raw decode says %d, ink %d",
                         cases[i].file, raw, rc);
            /* JPEG pages read at a reduced scale go through libjpeg
             * directly: the same refusal, naming the file. */
            st_error small_err = {0};
            int small = st_decoder_read_ink_at(d, p, 300, 100, &ink, NULL, &small_err);
            if (!failure[0] && (small != rc || (rc && !strstr(small_err.msg, path))))
                snprintf(failure, sizeof failure, "%s: reduced-scale read says %d \"%s\", "
                         "full-size %d", cases[i].file, small, small_err.msg, rc);
        }
        if (!failure[0] && (rc != cases[i].code || !strstr(err.msg, path) ||
                            !strstr(err.msg, cases[i].phrase)))
            snprintf(failure, sizeof failure, "%s: got %d \"%s\", want %d and \"%s\"",
                     cases[i].file, rc, err.msg, cases[i].code, cases[i].phrase);
        st_decoder_close(d);
        free(ink.px);
        free(scratch.px);
        free(bytes);
        free(path);
    }
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    fclose(cap);
    size_t said = 0;
    char *text = th_slurp(errpath, &said);
    if (failure[0])
        fail_msg("%s", failure);
    if (said)
        fail_msg("libtiff wrote to stderr: %s", text);
    free(text);
    free(errpath);
}

static void test_decode_refuses_a_null_or_unknown_page(void **state)
{
    st_error err = {0};
    st_decoder *d = NULL;
    assert_int_equal(st_decoder_open(NULL, 10, "x.tif", &d, &err), ST_ERR_ARG);
    assert_null(d);
    st_decoder_close(NULL);
    st_image img = {0};
    assert_int_equal(st_image_reserve(&img, 0, 10, 1), ST_ERR_ARG);
    assert_int_equal(st_image_reserve(&img, 10, 10, 2), ST_ERR_ARG);
    assert_null(img.px);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_of_abc_is_the_known_vector),
        cmocka_unit_test_setup_teardown(test_decode_reads_g4_bilevel_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_grey_raw_lzw_and_deflate_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_rgb_as_255_minus_min_channel, setup, teardown),
        cmocka_unit_test(test_decode_ink_conversion_is_the_same_on_every_instruction_set),
        cmocka_unit_test_setup_teardown(test_decode_takes_the_least_channel_wherever_it_lies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_a_300_dpi_jpeg_page_at_half_size, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_lossless_pages_at_full_size_always, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_jpeg_grey_and_colour_within_tolerance, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_g3_1d_2d_and_packbits_bilevel_exactly, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_honours_lsb_first_fill_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_tiled_pages_with_partial_edge_tiles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_palette_and_ignores_alpha, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_counts_and_reads_every_page_of_a_multipage_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_takes_dpi_from_the_tag_or_the_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reuses_the_ink_buffer_for_a_smaller_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_a_page_too_large_for_one_strip_buffer_row_by_row, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_reads_progressive_jpeg_pages_within_the_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_refuses_a_jpeg_stream_of_too_many_scans, setup, teardown),
        cmocka_unit_test_setup_teardown(test_decode_refuses_every_bad_file_with_a_named_reason, setup, teardown),
        cmocka_unit_test(test_decode_refuses_a_null_or_unknown_page),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
