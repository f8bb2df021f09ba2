/* design.c - a printer's ballot proof unlike stemtel's own layout, for tests
 */
#include "design.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <cmocka.h>

#define PT_PER_MM (72.0 / 25.4)
#define FONT "DejaVu Sans"

/* Text at (x, y) (its baseline), size in mm; right-aligned when right. */
static void text(cairo_t *cr, double x, double y, double size, int bold,
                 int right, const char *s)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    if (right) {
        cairo_text_extents_t e;
        cairo_text_extents(cr, s, &e);
        x -= e.x_advance;
    }
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

/* A box's outline with its outer edge on r. */
static void outline(cairo_t *cr, const td_options *o, st_rect r, double lw)
{
    double h = lw / 2;
    cairo_new_path(cr);
    if (o->shape == TD_CIRCLE) {
        cairo_arc(cr, r.x + r.w / 2, r.y + r.h / 2, fmin(r.w, r.h) / 2 - h, 0, 2 * M_PI);
    } else if (o->shape == TD_ROUNDED) {
        double x0 = r.x + h, y0 = r.y + h, x1 = r.x + r.w - h, y1 = r.y + r.h - h;
        double rad = 1.5 - h;
        cairo_arc(cr, x1 - rad, y0 + rad, rad, -M_PI / 2, 0);
        cairo_arc(cr, x1 - rad, y1 - rad, rad, 0, M_PI / 2);
        cairo_arc(cr, x0 + rad, y1 - rad, rad, M_PI / 2, M_PI);
        cairo_arc(cr, x0 + rad, y0 + rad, rad, M_PI, 3 * M_PI / 2);
        cairo_close_path(cr);
    } else {
        cairo_rectangle(cr, r.x + h, r.y + h, r.w - lw, r.h - lw);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, lw);
    cairo_stroke(cr);
}

/* A party's logo in an s x s square at (x, y): filled shapes in colour,
 * never an empty outline (that would be a box). */
static void logo(cairo_t *cr, int list, const char *name, double x, double y, double s)
{
    static const double colour[][3] = {
        {0.85, 0.1, 0.1}, {0.1, 0.3, 0.75}, {0.1, 0.55, 0.2}, {0.95, 0.55, 0.1}};
    const double *c = colour[list % 4];
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
    cairo_new_path(cr);
    switch (list % 3) {
    case 0:
        cairo_arc(cr, x + s / 2, y + s / 2, s / 2, 0, 2 * M_PI);
        break;
    case 1:
        cairo_move_to(cr, x + s / 2, y);
        cairo_line_to(cr, x + s, y + s);
        cairo_line_to(cr, x, y + s);
        cairo_close_path(cr);
        break;
    default:
        cairo_rectangle(cr, x, y + s * 0.15, s, s * 0.7);
        break;
    }
    cairo_fill(cr);
    char initial[2] = {name[0] ? name[0] : '?', 0};
    cairo_set_source_rgb(cr, 1, 1, 1);
    text(cr, x + s * 0.3, y + s * 0.8, s * 0.5, 1, 0, initial);
}

static void add(td_box **b, int *n, st_target_kind kind, int number, st_rect r)
{
    *b = realloc(*b, (size_t)(*n + 1) * sizeof **b);
    assert_non_null(*b);
    (*b)[(*n)++] = (td_box){kind, number, r};
}

void td_design_pdf(const st_model *m, const td_options *o, const char *path,
                   td_box **boxes, int *n)
{
    double pw = o->portrait ? 297 : 420, ph = o->portrait ? 420 : 297;
    double s = o->box_mm > 0 ? o->box_mm : 8, lw = o->line_mm > 0 ? o->line_mm : 0.4;
    cairo_surface_t *surf = cairo_pdf_surface_create(path, pw * PT_PER_MM, ph * PT_PER_MM);
    assert_int_equal(cairo_surface_status(surf), CAIRO_STATUS_SUCCESS);
    cairo_t *cr = cairo_create(surf);
    cairo_scale(cr, PT_PER_MM, PT_PER_MM);
    *boxes = NULL;
    *n = 0;

    /* Heading and instructions. */
    cairo_set_source_rgb(cr, 0, 0, 0);
    text(cr, 15, 16, 8, 1, 0, "Stembiljet");
    text(cr, 15, 24, 4, 0, 0, m->election_name ? m->election_name : "Verkiezing");
    double ix = pw - 150;
    text(cr, ix, 12, 3.2, 1, 0, "Zo stemt u:");
    text(cr, ix, 17, 3.2, 0, 0, "Kleur het vakje van de lijst van uw keuze rood.");
    text(cr, ix, 22, 3.2, 0, 0, "Wilt u op een kandidaat stemmen, kleur dan ook");
    text(cr, ix, 27, 3.2, 0, 0, "het vakje met zijn of haar nummer rood.");
    if (o->extra_box) {
        st_rect r = {pw - 15 - s, 12, s, s};
        outline(cr, o, r, lw);
        add(boxes, n, ST_TARGET_NUMBER, 0, r);
    }

    /* The lists, in as few columns as fit them 14 mm apart (two at
     * least). */
    double top = 38, half = o->portrait ? 200 : 146;
    int cols = 2;
    while ((m->n_lists + cols - 1) / cols * 14.0 > half - top && cols < 4)
        cols++;
    int rows = (m->n_lists + cols - 1) / cols;
    double pitch = fmin(14, (half - top) / rows);
    for (int i = 0; i < m->n_lists; i++) {
        const st_list *l = &m->lists[i];
        if (l->number == o->omit_list)
            continue;
        double x = 15 + (i / rows) * (pw - 30) / cols, y = top + (i % rows) * pitch;
        st_rect r = {x, y, s, s};
        outline(cr, o, r, lw);
        add(boxes, n, ST_TARGET_LIST, l->number, r);
        logo(cr, l->number, l->name, x + s + 3, y, s);
        char num[16];
        snprintf(num, sizeof num, "%d", l->number);
        cairo_set_source_rgb(cr, 0, 0, 0);
        text(cr, x + 2 * s + 6, y + s * 0.72, 4, 1, 0, num);
        text(cr, x + 2 * s + 15, y + s * 0.72, 4, 0, 0, l->name);
    }

    /* A rule between the halves. */
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, 15, half + 4);
    cairo_line_to(cr, pw - 15, half + 4);
    cairo_stroke(cr);

    /* The numbers, ten to a row. */
    int numbers = 0;
    for (int i = 0; i < m->n_lists; i++)
        numbers = m->lists[i].n_candidates > numbers ? m->lists[i].n_candidates : numbers;
    double bw = o->number_inside ? s * 1.6 : s;
    double nx0 = 15 + (o->number_inside ? 0 : 10), npitch_x = (pw - 30) / 10;
    double ny0 = half + 14, npitch_y = fmin(20, (ph - 15 - ny0) / ((numbers + 9) / 10));
    for (int k = 1; k <= numbers; k++) {
        if (k == o->omit_number)
            continue;
        double x = nx0 + ((k - 1) % 10) * npitch_x, y = ny0 + ((k - 1) / 10) * npitch_y;
        st_rect r = {x, y, bw, s};
        outline(cr, o, r, lw);
        add(boxes, n, ST_TARGET_NUMBER, k, r);
        char num[16];
        snprintf(num, sizeof num, "%d", k);
        cairo_set_source_rgb(cr, 0, 0, 0);
        if (o->number_inside)
            text(cr, x + lw + 0.8, y + s * 0.68, 3.2, 0, 0, num);
        else
            text(cr, x - 2, y + s * 0.72, 4, 1, 1, num);
    }

    cairo_show_page(cr);
    assert_int_equal(cairo_status(cr), CAIRO_STATUS_SUCCESS);
    cairo_destroy(cr);
    cairo_surface_finish(surf);
    assert_int_equal(cairo_surface_status(surf), CAIRO_STATUS_SUCCESS);
    cairo_surface_destroy(surf);
}
