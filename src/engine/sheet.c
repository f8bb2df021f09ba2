/* sheet.c - print and recognise batch separator sheets
 *
 * Printing: the sheet is drawn in millimetres on any cairo context (PDF,
 * or an image surface for PNG, TIFF and the tests), the QR code coming
 * from libqrencode as one filled path of module squares, 110 mm wide so
 * that even the longest payload (a version 11 code) keeps modules of
 * 1.8 mm. Recognition: the page is reduced to grey at about 60 dpi (a
 * block mean, so bilevel pages become grey too; modules stay 4 px or
 * more), and zbar looks for
 * QR codes only (clean sheets still read at 30 dpi); zbar finds a
 * QR code's three finder patterns at any angle, so rotation, including a
 * sheet fed upside down, needs no extra work. Only codes whose text starts
 * with ST_SHEET_MAGIC count, which is what keeps ballots (and pages with
 * other codes on them) from ever being taken for sheets.
 */
#include "stemtel/sheet.h"
#include "stemtel/decode.h"
#include "stemtel/render.h"

#include <errno.h>
#include <qrencode.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zbar.h>

#define ST_SHEET_FONT "DejaVu Sans"
#define ST_SHEET_SCAN_DPI 60.0

/* ---- the payload -------------------------------------------------------- */

/* 1 if s is a usable station or election id. */
static int st_sheet_id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= ST_SHEET_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == ':' || c == '.' || c == '_' ||
              c == '-'))
            return 0;
    }
    return 1;
}

static int st_sheet_check(const char *station, int batch, const char *election,
                          st_error *err)
{
    if (!station || !st_sheet_id_ok(station))
        return st_error_set(err, ST_ERR_ARG,
                            "sheet: station \"%s\" must be 1 to %d letters, digits "
                            "or \": . _ -\" (e.g. 0668::SB1)",
                            station ? station : "", ST_SHEET_ID_MAX - 1);
    if (batch < 0 || batch > ST_SHEET_BATCH_MAX)
        return st_error_set(err, ST_ERR_ARG, "sheet: batch %d is not 1 to %d", batch,
                            ST_SHEET_BATCH_MAX);
    if (election && *election && !st_sheet_id_ok(election))
        return st_error_set(err, ST_ERR_ARG,
                            "sheet: election \"%s\" must be 1 to %d letters, digits "
                            "or \": . _ -\"",
                            election, ST_SHEET_ID_MAX - 1);
    return ST_OK;
}

int st_sheet_make(const char *station, int batch, const char *election,
                  st_sheet *out, st_error *err)
{
    int rc = st_sheet_check(station, batch, election, err);
    if (rc)
        return rc;
    memset(out, 0, sizeof *out);
    snprintf(out->station, sizeof out->station, "%s", station);
    out->batch = batch;
    snprintf(out->election, sizeof out->election, "%s", election ? election : "");
    return ST_OK;
}

int st_sheet_payload(const st_sheet *s, char *buf, size_t cap, st_error *err)
{
    int rc = st_sheet_check(s->station, s->batch, s->election, err);
    if (rc)
        return rc;
    char batch[32] = "", election[ST_SHEET_ID_MAX + 16] = "";
    if (s->batch)
        snprintf(batch, sizeof batch, " batch=%d", s->batch);
    if (s->election[0])
        snprintf(election, sizeof election, " election=%s", s->election);
    int n = snprintf(buf, cap, "%s%d station=%s%s%s", ST_SHEET_MAGIC,
                     ST_SHEET_VERSION, s->station, batch, election);
    if (n < 0 || (size_t)n >= cap)
        return st_error_set(err, ST_ERR_ARG, "sheet: payload needs %d bytes, have %zu",
                            n + 1, cap);
    return ST_OK;
}

/* Parse a whole decimal number in lo..hi from [s, s + n); -1 if it is not. */
static long st_sheet_number(const char *s, size_t n, long lo, long hi)
{
    if (n == 0 || n > 9)
        return -1;
    long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi ? v : -1;
}

int st_sheet_parse(const char *text, st_sheet *out, st_error *err)
{
    size_t magic = strlen(ST_SHEET_MAGIC);
    if (strncmp(text, ST_SHEET_MAGIC, magic) != 0)
        return st_error_set(err, ST_ERR_PARSE,
                            "sheet: \"%.80s\" is not a separator sheet's code", text);
    const char *p = text + magic;
    size_t vlen = strcspn(p, " ");
    long version = st_sheet_number(p, vlen, 1, 999);
    if (version < 0)
        return st_error_set(err, ST_ERR_PARSE,
                            "sheet: \"%.80s\": bad version after %s", text,
                            ST_SHEET_MAGIC);
    if (version != ST_SHEET_VERSION)
        return st_error_set(err, ST_ERR_UNSUPPORTED,
                            "sheet: \"%.80s\" is a version %ld sheet; this stemtel "
                            "reads version %d: print the sheet again",
                            text, version, ST_SHEET_VERSION);
    p += vlen;
    st_sheet s = {0};
    int seen_station = 0, seen_batch = 0, seen_election = 0;
    while (*p) {
        if (*p != ' ' || p[1] == ' ' || p[1] == '\0')
            return st_error_set(err, ST_ERR_PARSE,
                                "sheet: \"%.80s\": fields must be separated by one space",
                                text);
        p++;
        size_t n = strcspn(p, " ");
        const char *eq = memchr(p, '=', n);
        if (!eq)
            return st_error_set(err, ST_ERR_PARSE, "sheet: \"%.80s\": field \"%.*s\" has no '='",
                                text, (int)n, p);
        size_t klen = (size_t)(eq - p), vn = n - klen - 1;
        const char *v = eq + 1;
        int *seen = NULL;
        char *dst = NULL;
        if (klen == 7 && !memcmp(p, "station", 7))
            seen = &seen_station, dst = s.station;
        else if (klen == 8 && !memcmp(p, "election", 8))
            seen = &seen_election, dst = s.election;
        else if (klen == 5 && !memcmp(p, "batch", 5))
            seen = &seen_batch;
        else
            return st_error_set(err, ST_ERR_PARSE, "sheet: \"%.80s\": unknown field \"%.*s\"",
                                text, (int)klen, p);
        if (*seen)
            return st_error_set(err, ST_ERR_PARSE, "sheet: \"%.80s\": field \"%.*s\" given twice",
                                text, (int)klen, p);
        *seen = 1;
        if (dst) {
            if (vn >= ST_SHEET_ID_MAX)
                return st_error_set(err, ST_ERR_PARSE, "sheet: \"%.80s\": \"%.*s\" is too long",
                                    text, (int)klen, p);
            memcpy(dst, v, vn);
            dst[vn] = '\0';
        } else {
            long b = st_sheet_number(v, vn, 1, ST_SHEET_BATCH_MAX);
            if (b < 0)
                return st_error_set(err, ST_ERR_PARSE,
                                    "sheet: \"%.80s\": batch \"%.*s\" is not 1 to %d", text,
                                    (int)vn, v, ST_SHEET_BATCH_MAX);
            s.batch = (int)b;
        }
        p += n;
    }
    if (!seen_station)
        return st_error_set(err, ST_ERR_PARSE, "sheet: \"%.80s\": no station", text);
    if (st_sheet_check(s.station, s.batch, s.election, err)) {
        st_error_prefix(err, "sheet: \"%.80s\"", text);
        if (err)
            err->code = ST_ERR_PARSE;
        return ST_ERR_PARSE;
    }
    *out = s;
    return ST_OK;
}

/* ---- drawing ------------------------------------------------------------ */

int st_sheet_draw_code(cairo_t *cr, const char *text, double x, double y,
                       double side, st_error *err)
{
    errno = 0;
    QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_Q, QR_MODE_8, 1);
    if (!qr)
        return errno == ENOMEM
                   ? st_error_set(err, ST_ERR_NOMEM, "sheet: out of memory")
                   : st_error_set(err, ST_ERR_ARG,
                                  "sheet: \"%.80s\" does not fit in a QR code", text);
    double m = side / qr->width;
    for (int r = 0; r < qr->width; r++)
        for (int c = 0; c < qr->width; c++)
            if (qr->data[r * qr->width + c] & 1)
                cairo_rectangle(cr, x + c * m, y + r * m, m, m);
    QRcode_free(qr);
    cairo_save(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
    cairo_fill(cr);
    cairo_restore(cr);
    return ST_OK;
}

/* Set text centred in the box (x, y, w, h): as large as fits, at most the
 * box's height. */
static void st_sheet_text(cairo_t *cr, const char *text, double x, double y,
                          double w, double h, int bold)
{
    cairo_text_extents_t e;
    cairo_select_font_face(cr, ST_SHEET_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, h);
    cairo_text_extents(cr, text, &e);
    double k = 1.0;
    if (e.width > w)
        k = w / e.width;
    if (e.height * k > h)
        k = h / e.height;
    cairo_set_font_size(cr, h * k);
    cairo_text_extents(cr, text, &e);
    cairo_move_to(cr, x + (w - e.width) / 2 - e.x_bearing,
                  y + (h - e.height) / 2 - e.y_bearing);
    cairo_show_text(cr, text);
}

int st_sheet_draw(const st_sheet *s, cairo_t *cr, st_error *err)
{
    char payload[ST_SHEET_PAYLOAD_MAX], line[64];
    int rc = st_sheet_payload(s, payload, sizeof payload, err);
    if (rc)
        return rc;
    const double W = ST_SHEET_W_MM, margin = 15, tw = W - 2 * margin;
    const double qr_side = 110, qr_y = 116;
    cairo_save(cr);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_rectangle(cr, 0, 0, W, ST_SHEET_H_MM);
    cairo_fill(cr);
    cairo_set_source_rgb(cr, 0, 0, 0);

    /* Heavy rules above and below, so the sheet stands out in a stack. */
    cairo_rectangle(cr, margin, 30, tw, 4);
    cairo_rectangle(cr, margin, 258, tw, 4);
    cairo_fill(cr);
    st_sheet_text(cr, "SCHEIDINGSVEL STEMBUREAU", margin, 15, tw, 10, 1);
    st_sheet_text(cr, s->station, margin, 42, tw, 32, 1);
    if (s->name[0])
        st_sheet_text(cr, s->name, margin, 72, tw, 6, 0);
    if (s->batch) {
        snprintf(line, sizeof line, "batch %d", s->batch);
        st_sheet_text(cr, line, margin, 80, tw, 12, 0);
    }
    if (s->election[0])
        st_sheet_text(cr, s->election, margin, 95, tw, 7, 0);
    rc = st_sheet_draw_code(cr, payload, (W - qr_side) / 2, qr_y, qr_side, err);
    if (!rc) {
        st_sheet_text(cr, payload, margin, qr_y + qr_side + 14, tw, 4, 0);
        st_sheet_text(cr, "Bovenop de stembiljetten van dit stembureau leggen. "
                          "Dit vel is geen stembiljet.",
                      margin, 268, tw, 5, 0);
    }
    cairo_restore(cr);
    cairo_status_t cs = cairo_status(cr);
    if (!rc && cs != CAIRO_STATUS_SUCCESS)
        rc = st_error_set(err, ST_ERR_INVALID, "sheet: cairo: %s",
                          cairo_status_to_string(cs));
    return rc;
}

static int st_sheet_draw_any(const void *what, cairo_t *cr, st_error *err)
{
    return st_sheet_draw(what, cr, err);
}

static st_drawing st_sheet_drawing(const st_sheet *s)
{
    return (st_drawing){ST_SHEET_W_MM, ST_SHEET_H_MM, s->station, st_sheet_draw_any, s};
}

int st_sheet_render(const st_sheet *s, int dpi, st_image **out, st_error *err)
{
    st_drawing d = st_sheet_drawing(s);
    return st_drawing_grey(&d, dpi, out, err);
}

int st_sheet_render_file(const st_sheet *s, const char *path, int dpi,
                         st_error *err)
{
    st_drawing d = st_sheet_drawing(s);
    return st_drawing_file(&d, path, dpi, err);
}

int st_sheet_render_pdf(const st_sheet *v, int n, const char *path, st_error *err)
{
    if (n < 1)
        return st_error_set(err, ST_ERR_ARG, "sheet: %s: no sheets to print", path);
    st_drawing *d = malloc((size_t)n * sizeof *d);
    if (!d)
        return st_error_set(err, ST_ERR_NOMEM, "sheet: out of memory");
    int rc = ST_OK;
    for (int i = 0; i < n && !rc; i++) {
        rc = st_sheet_check(v[i].station, v[i].batch, v[i].election, err);
        d[i] = st_sheet_drawing(&v[i]);
    }
    if (!rc)
        rc = st_drawing_pdf(d, n, path, err);
    free(d);
    return rc;
}

/* ---- recognition -------------------------------------------------------- */

/* img reduced to grey (0 = black) at about ST_SHEET_SCAN_DPI into *small. */
static int st_sheet_reduce(const st_image *img, st_sheet_pixels kind,
                           st_image *small, st_error *err)
{
    double dpi = img->dpi;
    if (dpi <= 0) {
        /* Unknown: take the short side as an A4 page's. */
        int side = img->w < img->h ? img->w : img->h;
        dpi = side / (ST_SHEET_W_MM / 25.4);
    }
    int f = (int)(dpi / ST_SHEET_SCAN_DPI + 0.5);
    if (f < 1)
        f = 1;
    st_image grey = *img, *tmp = NULL;
    if (img->channels == 3) {
        /* The darkest channel, as the ink image takes it, so a red pen on
         * a sheet reads like black. */
        tmp = st_image_new(img->w, img->h, 1, 255);
        if (!tmp)
            return st_error_set(err, ST_ERR_NOMEM, "sheet: out of memory");
        for (int y = 0; y < img->h; y++) {
            const uint8_t *s = img->px + (size_t)y * img->stride;
            uint8_t *d = tmp->px + (size_t)y * tmp->stride;
            for (int x = 0; x < img->w; x++, s += 3) {
                uint8_t m = s[0] < s[1] ? s[0] : s[1];
                d[x] = m < s[2] ? m : s[2];
            }
        }
        tmp->dpi = img->dpi;
        grey = *tmp;
    }
    int rc = st_image_shrink(&grey, f, small);
    st_image_free(tmp);
    if (rc)
        return st_error_set(err, ST_ERR_NOMEM, "sheet: out of memory");
    if (kind == ST_SHEET_INK) {
        size_t n = small->stride * (size_t)small->h;
        for (size_t i = 0; i < n; i++)
            small->px[i] = (uint8_t)(255 - small->px[i]);
    }
    return ST_OK;
}

/* Take the sheet codes among the symbols zbar found. */
static int st_sheet_symbols(const zbar_image_t *zi, int *found, st_sheet *out,
                            st_error *err)
{
    size_t magic = strlen(ST_SHEET_MAGIC);
    int n = 0;
    st_sheet first = {0};
    for (const zbar_symbol_t *sym = zbar_image_first_symbol(zi); sym;
         sym = zbar_symbol_next(sym)) {
        if (zbar_symbol_get_type(sym) != ZBAR_QRCODE)
            continue;
        const char *data = zbar_symbol_get_data(sym);
        unsigned len = zbar_symbol_get_data_length(sym);
        if (len < magic || memcmp(data, ST_SHEET_MAGIC, magic) != 0)
            continue; /* someone else's code */
        char text[ST_SHEET_PAYLOAD_MAX];
        if (len >= sizeof text || memchr(data, '\0', len))
            return st_error_set(err, ST_ERR_PARSE,
                                "sheet: a separator-sheet code of %u bytes that is "
                                "not a version %d payload",
                                len, ST_SHEET_VERSION);
        memcpy(text, data, len);
        text[len] = '\0';
        st_sheet s;
        int rc = st_sheet_parse(text, &s, err);
        if (rc)
            return rc;
        if (n && memcmp(&s, &first, sizeof s) != 0)
            return st_error_set(err, ST_ERR_INVALID,
                                "sheet: one page carries two different sheet codes "
                                "(stations %s and %s)",
                                first.station, s.station);
        first = s;
        n++;
    }
    *found = n > 0;
    if (n)
        *out = first;
    return ST_OK;
}

int st_sheet_detect(const st_image *img, st_sheet_pixels kind, int *found,
                    st_sheet *out, st_error *err)
{
    if (!img || !img->px || !found || !out || img->w <= 0 || img->h <= 0 ||
        (img->channels != 1 && img->channels != 3) ||
        (kind == ST_SHEET_INK && img->channels != 1))
        return st_error_set(err, ST_ERR_ARG,
                            "sheet: detect needs a 1-channel grey or ink image or a "
                            "3-channel RGB one");
    st_image small = {0};
    zbar_image_scanner_t *sc = NULL;
    zbar_image_t *zi = NULL;
    int rc = st_sheet_reduce(img, kind, &small, err);
    if (rc)
        goto out;
    sc = zbar_image_scanner_create();
    zi = zbar_image_create();
    if (!sc || !zi) {
        rc = st_error_set(err, ST_ERR_NOMEM, "sheet: out of memory");
        goto out;
    }
    zbar_image_scanner_set_config(sc, 0, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(zi, (unsigned)small.w, (unsigned)small.h);
    zbar_image_set_data(zi, small.px, small.stride * (size_t)small.h, NULL);
    if (zbar_scan_image(sc, zi) < 0) {
        rc = st_error_set(err, ST_ERR_NOMEM, "sheet: zbar could not scan the page");
        goto out;
    }
    rc = st_sheet_symbols(zi, found, out, err);
out:
    if (zi)
        zbar_image_destroy(zi);
    if (sc)
        zbar_image_scanner_destroy(sc);
    free(small.px);
    return rc;
}

/* ---- splitting a stack -------------------------------------------------- */

void st_sheet_step(st_sheet_state *st, int kind, const st_sheet *s,
                   const char *default_station, int default_batch, st_sheet_slot *out)
{
    out->sheet = -1;
    out->station = NULL;
    out->batch = 0;
    if (kind == 1) {
        snprintf(st->station, sizeof st->station, "%s", s->station);
        st->batch = s->batch;
        st->have_sheet = 1;
        st->lost = 0;
    } else if (kind == -1) {
        st->lost = 1;
        return;
    }
    if (st->lost)
        return;
    if (st->have_sheet) {
        out->station = st->station;
        out->batch = st->batch;
    } else {
        out->station = default_station;
        out->batch = default_batch;
    }
}

int st_sheet_assign(const st_sheet *const *pages, int n,
                    const char *default_station, st_sheet_slot *out)
{
    st_sheet_state st = {0};
    int unassigned = 0, cur = -1;
    for (int i = 0; i < n; i++) {
        st_sheet_slot slot;
        st_sheet_step(&st, pages[i] ? 1 : 0, pages[i], default_station, 0, &slot);
        if (pages[i])
            cur = i;
        /* The sheet's own text rather than the state's copy, which the
         * next sheet overwrites. */
        out[i].sheet = cur;
        out[i].station = cur >= 0 ? pages[cur]->station : slot.station;
        out[i].batch = slot.batch;
        if (!out[i].station && !pages[i])
            unassigned++;
    }
    return unassigned;
}
