/* doc.c - a printable document as a list of blocks, written as HTML or PDF
 *
 * The blocks own their text. The HTML writer maps each block to one
 * element (h1, h2, h3, p, table) and closes every element it opens, so an
 * XML parser reads the page too. The PDF writer lays the blocks out top to
 * bottom on A4 with cairo's toy text API (fontconfig finds DejaVu Sans):
 * paragraphs wrapped at spaces, tables with columns as wide as their
 * widest cell (a room-to-write column takes what is left), a table's
 * heading row repeated on each page it runs onto, a heading never left
 * alone at the foot of a page, and a page number at the foot of each page.
 */
#include "report/doc.h"
#include "util/text.h"

#include <cairo-pdf.h>
#include <cairo.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

st_doc *st_doc_new(const char *title)
{
    st_doc *d = calloc(1, sizeof *d);
    if (d && !(d->title = strdup(title ? title : ""))) {
        free(d);
        return NULL;
    }
    return d;
}

void st_doc_free(st_doc *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->n; i++) {
        free(d->b[i].text);
        for (int k = 0; k < d->b[i].n_cells; k++)
            free(d->b[i].cell[k]);
        free(d->b[i].cell);
    }
    free(d->b);
    free(d->title);
    free(d);
}

/* fmt formatted and made printable (valid UTF-8, no control bytes); NULL
 * on no memory. */
static char *st_doc_format(const char *fmt, va_list ap)
{
    char raw[2048], shown[4096];
    vsnprintf(raw, sizeof raw, fmt, ap);
    return strdup(ST_TEXT_SHOWN(raw, shown));
}

static st_doc_block *st_doc_push(st_doc *d, st_doc_kind k)
{
    if (d->n == d->cap) {
        int cap = d->cap ? 2 * d->cap : 64;
        st_doc_block *nb = realloc(d->b, (size_t)cap * sizeof *nb);
        if (!nb) {
            d->nomem = 1;
            return NULL;
        }
        d->b = nb;
        d->cap = cap;
    }
    st_doc_block *b = &d->b[d->n++];
    memset(b, 0, sizeof *b);
    b->kind = k;
    return b;
}

void st_doc_add(st_doc *d, st_doc_kind k, const char *fmt, ...)
{
    st_doc_block *b = st_doc_push(d, k);
    if (!b || !fmt)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (!(b->text = st_doc_format(fmt, ap)))
        d->nomem = 1;
    va_end(ap);
}

static void st_doc_put_cell(st_doc *d, st_doc_block *t, char *text)
{
    char **nc = text ? realloc(t->cell, (size_t)(t->n_cells + 1) * sizeof *nc) : NULL;
    if (!nc) {
        free(text);
        d->nomem = 1;
        return;
    }
    t->cell = nc;
    nc[t->n_cells++] = text;
}

void st_doc_table(st_doc *d, int cols, unsigned figures, unsigned space, ...)
{
    st_doc_block *t = st_doc_push(d, ST_DOC_TABLE);
    if (!t)
        return;
    t->cols = cols < 1 ? 1 : cols > 32 ? 32 : cols;
    t->figures = figures;
    t->space = space;
    va_list ap;
    va_start(ap, space);
    for (int c = 0; c < t->cols; c++) {
        const char *h = va_arg(ap, const char *);
        char shown[4096];
        st_doc_put_cell(d, t, strdup(ST_TEXT_SHOWN(h ? h : "", shown)));
    }
    va_end(ap);
}

void st_doc_cell(st_doc *d, const char *fmt, ...)
{
    if (!d->n || d->b[d->n - 1].kind != ST_DOC_TABLE)
        return;
    va_list ap;
    va_start(ap, fmt);
    st_doc_put_cell(d, &d->b[d->n - 1], st_doc_format(fmt, ap));
    va_end(ap);
}

/* ---- HTML ----------------------------------------------------------------- */

static void st_doc_html_put(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static void st_doc_html_table(FILE *f, const st_doc_block *t)
{
    fputs("<table>\n", f);
    for (int k = 0; k < t->n_cells; k++) {
        int c = k % t->cols, head = k < t->cols;
        if (!c)
            fputs("<tr>", f);
        fputs(head ? "<th" : "<td", f);
        if (t->space >> c & 1)
            fputs(" class=\"space\"", f);
        else if (!head && t->figures >> c & 1)
            fputs(" class=\"n\"", f);
        fputc('>', f);
        st_doc_html_put(f, t->cell[k]);
        fputs(head ? "</th>" : "</td>", f);
        if (c == t->cols - 1 || k == t->n_cells - 1)
            fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
}

int st_doc_write_html(const st_doc *d, FILE *f, const char *who, st_error *err)
{
    static const char *const tag[] = {[ST_DOC_TITLE] = "h1", [ST_DOC_HEAD] = "h2",
                                      [ST_DOC_SUBHEAD] = "h3", [ST_DOC_TEXT] = "p",
                                      [ST_DOC_NOTE] = "p class=\"note\"",
                                      [ST_DOC_SIGN] = "p class=\"sign\""};
    static const char *const end[] = {[ST_DOC_TITLE] = "h1", [ST_DOC_HEAD] = "h2",
                                      [ST_DOC_SUBHEAD] = "h3", [ST_DOC_TEXT] = "p",
                                      [ST_DOC_NOTE] = "p", [ST_DOC_SIGN] = "p"};
    if (d->nomem)
        return st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", who);
    fputs("<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\"/>\n<title>", f);
    st_doc_html_put(f, d->title);
    fputs("</title>\n<style>\n"
          "body{font:10.5pt/1.35 sans-serif;margin:2em}h1{font-size:16pt}\n"
          "h2{font-size:13pt;border-bottom:1px solid #000;margin-top:1.5em}h3{font-size:11pt}\n"
          "table{border-collapse:collapse;margin:.4em 0}\n"
          "td,th{border:1px solid #888;padding:2px 6px;text-align:left}td.n{text-align:right}\n"
          "td.space{min-width:18em;height:2em}.note{color:#b00;font-weight:bold}\n"
          ".sign{margin-top:3em;border-top:1px solid #000;width:22em;padding-top:2px}\n"
          "section+section{page-break-before:always}@media print{body{margin:0}}\n"
          "</style></head><body>\n<section>\n", f);
    for (int i = 0; i < d->n; i++) {
        const st_doc_block *b = &d->b[i];
        if (b->kind == ST_DOC_PAGE) {
            fputs("</section>\n<section>\n", f);
        } else if (b->kind == ST_DOC_TABLE) {
            st_doc_html_table(f, b);
        } else {
            fprintf(f, "<%s>", tag[b->kind]);
            st_doc_html_put(f, b->text);
            fprintf(f, "</%s>\n", end[b->kind]);
        }
    }
    fputs("</section>\n</body></html>\n", f);
    if (fflush(f) != 0 || ferror(f))
        return st_error_set(err, ST_ERR_IO, "%s: write failed", who);
    return ST_OK;
}

/* ---- PDF ------------------------------------------------------------------ */

#define ST_DOC_W 595.28
#define ST_DOC_H 841.89
#define ST_DOC_MARGIN 48.0
#define ST_DOC_BOTTOM (ST_DOC_H - 56.0)
#define ST_DOC_FONT "DejaVu Sans"
#define ST_DOC_PAD 3.5

typedef struct st_doc_pdf {
    cairo_t *cr;
    double y;
    int page;
    const char *title;  /* at the foot of every page */
} st_doc_pdf;

static void st_doc_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, ST_DOC_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double st_doc_width(cairo_t *cr, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(cr, s, &e);
    return e.x_advance;
}

static void st_doc_text_at(cairo_t *cr, double x, double y, const char *s)
{
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

/* Close the page (the title and its number at the foot) and start the
 * next. */
static void st_doc_next_page(st_doc_pdf *p)
{
    char num[32];
    snprintf(num, sizeof num, "pagina %d", p->page);
    st_doc_font(p->cr, 7.5, 0);
    st_doc_text_at(p->cr, ST_DOC_MARGIN, ST_DOC_H - 30, p->title);
    st_doc_text_at(p->cr, ST_DOC_W - ST_DOC_MARGIN - st_doc_width(p->cr, num), ST_DOC_H - 30,
                   num);
    cairo_show_page(p->cr);
    p->page++;
    p->y = ST_DOC_MARGIN;
}

/* Make room for h points, on a new page if need be. */
static void st_doc_need(st_doc_pdf *p, double h)
{
    if (p->y + h > ST_DOC_BOTTOM && p->y > ST_DOC_MARGIN)
        st_doc_next_page(p);
}

/* A paragraph wrapped at spaces within the text width. */
static void st_doc_para(st_doc_pdf *p, const char *text, double size, int bold, double x)
{
    cairo_t *cr = p->cr;
    double line = size * 1.35, room = ST_DOC_W - ST_DOC_MARGIN - x;
    char buf[4096];
    size_t len = 0;
    st_doc_font(cr, size, bold);
    for (const char *s = text;;) {
        const char *sp = strchr(s, ' ');
        size_t w = sp ? (size_t)(sp - s) : strlen(s), keep = len;
        if (w >= sizeof buf)
            w = sizeof buf - 1;
        if (len + w + 2 < sizeof buf) {
            if (len)
                buf[len++] = ' ';
            memcpy(buf + len, s, w);
            len += w;
            buf[len] = '\0';
        }
        if (keep && st_doc_width(cr, buf) > room) {
            buf[keep] = '\0';
            st_doc_need(p, line);
            st_doc_text_at(cr, x, p->y + size, buf);
            p->y += line;
            memmove(buf, s, w);
            buf[w] = '\0';
            len = w;
        }
        if (!sp)
            break;
        s = sp + 1;
    }
    st_doc_need(p, line);
    st_doc_text_at(cr, x, p->y + size, buf);
    p->y += line;
}

static void st_doc_row(st_doc_pdf *p, const st_doc_block *t, int row, const double *w,
                       double h)
{
    cairo_t *cr = p->cr;
    double x = ST_DOC_MARGIN;
    st_doc_font(cr, 8, row == 0);
    for (int c = 0; c < t->cols; c++) {
        int k = row * t->cols + c;
        cairo_rectangle(cr, x, p->y, w[c], h);
        if (row == 0) {
            cairo_set_source_rgb(cr, 0.9, 0.9, 0.9);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 0, 0, 0);
        }
        cairo_stroke(cr);
        if (k < t->n_cells && *t->cell[k]) {
            const char *s = t->cell[k];
            double tx = row && t->figures >> c & 1 ? x + w[c] - ST_DOC_PAD - st_doc_width(cr, s)
                                                   : x + ST_DOC_PAD;
            cairo_save(cr);
            cairo_rectangle(cr, x, p->y, w[c], h);
            cairo_clip(cr);
            st_doc_text_at(cr, tx, p->y + 10, s);
            cairo_restore(cr);
        }
        x += w[c];
    }
    p->y += h;
}

static void st_doc_pdf_table(st_doc_pdf *p, const st_doc_block *t)
{
    cairo_t *cr = p->cr;
    double w[32], sum = 0, room = ST_DOC_W - 2 * ST_DOC_MARGIN;
    int rows = (t->n_cells + t->cols - 1) / t->cols, widest = -1;
    for (int c = 0; c < t->cols; c++) {
        w[c] = t->space >> c & 1 ? 150 : 0;
        for (int r = 0; r < rows; r++) {
            int k = r * t->cols + c;
            st_doc_font(cr, 8, r == 0);
            if (k < t->n_cells) {
                double x = st_doc_width(cr, t->cell[k]) + 2 * ST_DOC_PAD;
                w[c] = x > w[c] ? x : w[c];
            }
        }
        sum += w[c];
        if (!(t->figures >> c & 1) && (widest < 0 || w[c] > w[widest]))
            widest = c;
    }
    for (int c = 0; c < t->cols; c++)
        if (t->space >> c & 1 && sum < room) {
            w[c] += room - sum;
            sum = room;
        }
    if (sum > room && widest >= 0 && w[widest] - (sum - room) > 40)
        w[widest] -= sum - room;
    double h = t->space ? 20 : 13.5;
    st_doc_need(p, 13.5 + h);
    st_doc_row(p, t, 0, w, 13.5);
    for (int r = 1; r < rows; r++) {
        if (p->y + h > ST_DOC_BOTTOM) {
            st_doc_next_page(p);
            st_doc_row(p, t, 0, w, 13.5);
        }
        st_doc_row(p, t, r, w, h);
    }
    p->y += 6;
}

/* How each kind of text block is set: font size, bold, the room it wants
 * left on the page (a heading keeps some of its section with it), and the
 * space before and after it. */
static const struct {
    double size;
    int bold;
    double keep, before, after;
} st_doc_style[] = {
    [ST_DOC_TITLE] = {15, 1, 0, 0, 6},   [ST_DOC_HEAD] = {12.5, 1, 90, 8, 7},
    [ST_DOC_SUBHEAD] = {10.5, 1, 60, 5, 2}, [ST_DOC_TEXT] = {9, 0, 0, 0, 2},
    [ST_DOC_NOTE] = {9, 1, 0, 0, 2},     [ST_DOC_SIGN] = {9, 0, 50, 36, 0}};

static void st_doc_rule(cairo_t *cr, double y, double x1, double width)
{
    cairo_set_line_width(cr, width);
    cairo_move_to(cr, ST_DOC_MARGIN, y);
    cairo_line_to(cr, x1, y);
    cairo_stroke(cr);
    cairo_set_line_width(cr, 0.5);
}

static void st_doc_pdf_block(st_doc_pdf *p, const st_doc_block *b)
{
    if (b->kind == ST_DOC_TABLE) {
        st_doc_pdf_table(p, b);
        return;
    }
    if (b->kind == ST_DOC_PAGE) {
        if (p->y > ST_DOC_MARGIN)
            st_doc_next_page(p);
        return;
    }
    st_doc_need(p, st_doc_style[b->kind].keep);
    p->y += st_doc_style[b->kind].before;
    if (b->kind == ST_DOC_SIGN)
        st_doc_rule(p->cr, p->y - 2, ST_DOC_MARGIN + 250, 0.5);
    st_doc_para(p, b->text, st_doc_style[b->kind].size, st_doc_style[b->kind].bold,
                ST_DOC_MARGIN);
    if (b->kind == ST_DOC_HEAD)
        st_doc_rule(p->cr, p->y + 1, ST_DOC_W - ST_DOC_MARGIN, 0.8);
    p->y += st_doc_style[b->kind].after;
}

static cairo_status_t st_doc_pdf_out(void *closure, const unsigned char *data,
                                     unsigned int len)
{
    return fwrite(data, 1, len, closure) == len ? CAIRO_STATUS_SUCCESS
                                                : CAIRO_STATUS_WRITE_ERROR;
}

int st_doc_write_pdf(const st_doc *d, FILE *f, const char *date, const char *who,
                     st_error *err)
{
    if (d->nomem)
        return st_error_set(err, ST_ERR_NOMEM, "%s: out of memory", who);
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(st_doc_pdf_out, f, ST_DOC_W,
                                                             ST_DOC_H);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_TITLE, d->title);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "stemtel");
    if (date && *date) {
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, date);
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, date);
    }
    st_doc_pdf p = {cairo_create(s), ST_DOC_MARGIN, 1, d->title};
    cairo_set_source_rgb(p.cr, 0, 0, 0);
    cairo_set_line_width(p.cr, 0.5);
    for (int i = 0; i < d->n; i++)
        st_doc_pdf_block(&p, &d->b[i]);
    st_doc_next_page(&p);
    cairo_status_t cs = cairo_status(p.cr);
    cairo_destroy(p.cr);
    cairo_surface_finish(s);
    if (cs == CAIRO_STATUS_SUCCESS)
        cs = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (cs != CAIRO_STATUS_SUCCESS)
        return st_error_set(err, ST_ERR_IO, "%s: cannot write the PDF: %s", who,
                            cairo_status_to_string(cs));
    if (fflush(f) != 0 || ferror(f))
        return st_error_set(err, ST_ERR_IO, "%s: write failed", who);
    return ST_OK;
}
