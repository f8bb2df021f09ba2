/* jpeg.c - decode a TIFF page's JPEG strips with libjpeg itself
 *
 * Each strip of a JPEG page in a TIFF file is a complete JPEG stream (its
 * Huffman and quantisation tables may sit once in the JPEGTables tag).
 * libjpeg reads it straight from the file's bytes and its scaled inverse
 * DCT makes an image of 1/2, 1/4 or 1/8 the size directly, so the
 * full-size pixels, and the colour conversion of them, are never computed;
 * at full size a grey page still skips libtiff's strip buffer. Each row
 * goes into the ink image as it comes out and, with a shrink, on into the
 * coarse image while it is in cache. libjpeg's error exit jumps back to the
 * strip at hand; its warnings count as damage, as libtiff's do.
 */
#include "engine/jpeg.h"

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

#include "engine/ink.h"
#include "stemtel/decode.h"

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

/* Decode one strip's JPEG stream at scale num/8 into ink rows y0... .
 * The jpeg object has the page's tables loaded. Returns ST_OK or an error
 * naming the strip. */
static int jpeg_strip(const st_jpeg_page *p, struct jpeg_decompress_struct *c,
                      jpeg_trap *trap, const uint8_t *data, size_t len, int num,
                      uint32_t strip, uint32_t rows, int y0, st_image *ink,
                      st_shrink *sh, st_error *err)
{
    int spp = p->spp;
    uint8_t *rgb = p->rgb;
    if (setjmp(trap->back)) {
        int no_memory = c->err->msg_code == JERR_NO_BACKING_STORE;
        jpeg_abort_decompress(c);
        if (no_memory)
            return st_error_set(err, ST_ERR_INVALID, "decode: %s: page %d: strip %u needs "
                                "more working memory than the %zu MiB left to a page "
                                "(limit: memory per thread)", p->name, p->page, strip,
                                p->max_memory >> 20);
        return st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged strip %u: %s",
                            p->name, p->page, strip, trap->msg);
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
            st_ink_from_rgb(p->level, rgb, want_w, out);
        else
            for (uint32_t x = 0; x < want_w; x++)
                out[x] = (uint8_t)(255 - out[x]);
        if (sh)
            st_shrink_rows(sh, out, ink->stride, 1);
    }
    jpeg_finish_decompress(c);
    if (trap->warnings) {
        return st_error_set(err, ST_ERR_PARSE,
                            "decode: %s: page %d: damaged strip %u (pixels would be guessed): %s",
                            p->name, p->page, strip, trap->msg);
    }
    return ST_OK;
}

int st_jpeg_read_strips(const st_jpeg_page *p, int num, st_image *ink, st_shrink *sh,
                        st_error *err)
{
    struct jpeg_decompress_struct c;
    jpeg_trap trap;
    memset(&trap, 0, sizeof trap);
    c.err = jpeg_std_error(&trap.pub);
    trap.pub.error_exit = jpeg_trap_exit;
    trap.pub.emit_message = jpeg_trap_message;
    trap.pub.output_message = jpeg_trap_output;
    jpeg_create_decompress(&c);
    /* Beyond it, libjpeg wants a backing store, which this build lacks:
     * an error, not a swap file. */
    c.mem->max_memory_to_use = (long)(p->max_memory > 0 ? p->max_memory : 1);
    int rc = ST_OK;
    if (p->tables && p->tables_len > 0) {
        if (setjmp(trap.back)) {
            rc = st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged JPEG "
                              "tables: %s", p->name, p->page, trap.msg);
            goto out;
        }
        jpeg_mem_src(&c, p->tables, p->tables_len);
        jpeg_read_header(&c, FALSE); /* tables only */
    }
    for (uint32_t cy = 0; cy < p->strips; cy++) {
        uint32_t y0 = cy * p->rows_per_strip;
        uint32_t rows = p->h - y0 < p->rows_per_strip ? p->h - y0 : p->rows_per_strip;
        if (p->lens[cy] == 0 || p->offs[cy] > p->len || p->lens[cy] > p->len - p->offs[cy]) {
            rc = st_error_set(err, ST_ERR_PARSE, "decode: %s: page %d: damaged strip %u: "
                              "its %llu bytes at offset %llu lie outside the file",
                              p->name, p->page, cy, (unsigned long long)p->lens[cy],
                              (unsigned long long)p->offs[cy]);
            goto out;
        }
        if ((rc = jpeg_strip(p, &c, &trap, p->bytes + p->offs[cy], (size_t)p->lens[cy], num,
                             cy, rows, (int)(y0 * (uint32_t)num / 8), ink, sh, err)))
            goto out;
    }
out:
    jpeg_destroy_decompress(&c);
    return rc;
}
