/* frompdf.c - a model from a printer's PDF proof of a ballot stemtel did not draw
 *
 * Four steps. The page is rendered at ST_FROMPDF_DPI as ink; its blobs of
 * ink the size and shape of a box whose inside is a closed stretch of
 * paper are the boxes (a glyph's bowl, an "O" in a heading, is refused by
 * the text poppler gives with positions). The text is cut into words with
 * their rectangles. Each list of the 230b is then looked for as its number
 * printed right of a box (after a logo, perhaps) or just left of it, with
 * its name following the number; each remaining box takes the number
 * printed inside it or nearest beside it. Last, the model: the lists'
 * boxes and the numbers' in order, no registration marks, the outline
 * width measured on the boxes, the print inside each box scored as the
 * engine will score a page (at three resolutions, sharp and blurred, the
 * highest kept), and the rest of the print as artwork.
 */
#include "stemtel/frompdf.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <poppler.h>

#include "app/boxfind.h"
#include "stemtel/image.h"
#include "stemtel/render.h"

#define NAME_GAP_MM 6.0        /* between the words of a list's name */
#define NAME_AFTER_MM 20.0     /* between the list's number and its name */
#define WORD_PAD_MM 0.3
#define ART_LEVEL 12           /* artwork: any print a scanner shows */

typedef struct word {
    char *text;
    st_rect r;                 /* mm */
    int number;                /* the integer it is, or -1 */
    int used;
} word;

typedef struct found {
    st_found_box *rings;
    int n_rings;
    word *words;
    int n_words;
    st_rect *art;
    int n_art;
} found;

static void found_free(found *f)
{
    for (int i = 0; i < f->n_words; i++)
        free(f->words[i].text);
    free(f->words);
    free(f->rings);
    free(f->art);
}

/* Add a message to p; on no memory, *nomem is set. */
#define PROBLEM(p, nomem, ...) ((void)(st_problems_add((p), __VA_ARGS__) && (*(nomem) = 1)))

/* Paint the proof's page on cr (user space mm), on white paper. */
static int draw_page(const void *what, cairo_t *cr, st_error *err)
{
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, 25.4 / 72, 25.4 / 72);
    poppler_page_render((PopplerPage *)what, cr);
    return cairo_status(cr) == CAIRO_STATUS_SUCCESS
               ? ST_OK
               : st_error_set(err, ST_ERR_INVALID, "cannot render the page: %s",
                              cairo_status_to_string(cairo_status(cr)));
}

/* The page at dpi (150..600) as ink: 255 - the renderer's grey. */
static int render_ink(PopplerPage *page, int dpi, st_image **ink, st_error *err)
{
    double wpt, hpt;
    poppler_page_get_size(page, &wpt, &hpt);
    st_drawing d = {wpt * 25.4 / 72, hpt * 25.4 / 72, NULL, draw_page, page};
    int rc = st_drawing_grey(&d, dpi, ink, err);
    if (rc)
        return rc;
    size_t n = (*ink)->stride * (size_t)(*ink)->h;
    for (size_t i = 0; i < n; i++)
        (*ink)->px[i] = (uint8_t)(255 - (*ink)->px[i]);
    return ST_OK;
}

static int inside(const st_rect *r, double x, double y)
{
    return x >= r->x && x <= r->x + r->w && y >= r->y && y <= r->y + r->h;
}

/* Case-folded letters and digits of s, into out (size n). */
static void fold(const char *s, char *out, size_t n)
{
    size_t j = 0;
    for (; *s && j + 1 < n; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 128 && isalnum(c))
            out[j++] = (char)tolower(c);
        else if (c >= 128 && (c & 0xC0) != 0x80)
            out[j++] = '~'; /* one place for each accented letter */
    }
    out[j] = 0;
}

static int parse_number(const char *s)
{
    if (!*s || strlen(s) > 4)
        return -1;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    return atoi(s);
}

/* Cut the page's text into words: whitespace ends a word, and so does a
 * jump to another line or a gap wider than a third of the text's height. */
static int find_words(const char *text, const PopplerRectangle *chars, guint n_chars,
                      double mm_per_pt, found *f, st_error *err)
{
    size_t cap = 0;
    char buf[256];
    size_t len = 0;
    st_rect wr = {0, 0, 0, 0};
    const char *p = text;
    for (guint i = 0; i <= n_chars; i++) {
        const char *next = p && *p ? g_utf8_next_char(p) : p;
        gunichar c = i < n_chars && p && *p ? g_utf8_get_char(p) : ' ';
        st_rect cr = {0, 0, 0, 0};
        int brk = i == n_chars || g_unichar_isspace(c);
        if (!brk) {
            cr = (st_rect){chars[i].x1 * mm_per_pt, chars[i].y1 * mm_per_pt,
                           (chars[i].x2 - chars[i].x1) * mm_per_pt,
                           (chars[i].y2 - chars[i].y1) * mm_per_pt};
            if (len) {
                double my = wr.y + wr.h / 2, cy = cr.y + cr.h / 2;
                double gap = cr.x - (wr.x + wr.w);
                if (fabs(cy - my) > 0.5 * wr.h || gap > wr.h / 3 || gap < -wr.h)
                    brk = 2;
            }
        }
        if (brk && len) {
            if ((size_t)f->n_words == cap) {
                cap = cap ? 2 * cap : 256;
                word *nw = realloc(f->words, cap * sizeof *nw);
                if (!nw)
                    return st_error_set(err, ST_ERR_NOMEM, "out of memory");
                f->words = nw;
            }
            buf[len] = 0;
            word *w = &f->words[f->n_words];
            if (!(w->text = strdup(buf)))
                return st_error_set(err, ST_ERR_NOMEM, "out of memory");
            w->r = wr;
            w->number = parse_number(buf);
            w->used = 0;
            f->n_words++;
            len = 0;
        }
        if (brk != 1 && i < n_chars) {
            size_t cl = (size_t)(next - p);
            if (len + cl < sizeof buf) {
                memcpy(buf + len, p, cl);
                if (!len) {
                    wr = cr;
                } else {
                    double x1 = fmax(wr.x + wr.w, cr.x + cr.w), y1 = fmax(wr.y + wr.h, cr.y + cr.h);
                    wr.x = fmin(wr.x, cr.x);
                    wr.y = fmin(wr.y, cr.y);
                    wr.w = x1 - wr.x;
                    wr.h = y1 - wr.y;
                }
                len += cl;
            }
        }
        p = next;
    }
    return ST_OK;
}

/* w lies on the line of box r (its middle within r's height, 1 mm
 * spare). */
static int on_line(const st_rect *w, const st_rect *r)
{
    double my = w->y + w->h / 2;
    return my >= r->y - 1 && my <= r->y + r->h + 1;
}

/* The name printed after word wi on its line, folded, into out. */
static void name_after(const found *f, int wi, char *out, size_t n)
{
    const word *w = &f->words[wi];
    st_rect at = w->r;
    size_t len = 0;
    out[0] = 0;
    for (;;) {
        int best = -1;
        double bx = 0;
        for (int j = 0; j < f->n_words; j++) {
            const st_rect *r = &f->words[j].r;
            double gap = r->x - (at.x + at.w);
            if (j == wi || !on_line(r, &w->r) || gap < -0.2 || gap > (len ? NAME_GAP_MM : NAME_AFTER_MM))
                continue;
            if (best < 0 || r->x < bx) {
                best = j;
                bx = r->x;
            }
        }
        if (best < 0)
            return;
        fold(f->words[best].text, out + len, n - len);
        len = strlen(out);
        at = f->words[best].r;
        if (len + 1 >= n)
            return;
    }
}

/* The printed name matches the registered one: the same letters, or one
 * begins the other with at least four. An empty registered name (a list
 * without one) matches anything. */
static int name_matches(const char *printed, const char *registered)
{
    char reg[256];
    fold(registered, reg, sizeof reg);
    if (!reg[0])
        return 1;
    size_t a = strlen(printed), b = strlen(reg);
    if (a == b)
        return !strcmp(printed, reg);
    size_t m = a < b ? a : b;
    return m >= 4 && !strncmp(printed, reg, m);
}

/* Distance from word w to box r along the line, mm: 0 inside it, else
 * the gap; right says which side (1: the word lies right of the box). */
static double gap_to(const st_rect *w, const st_rect *r, int *right)
{
    double cx = w->x + w->w / 2;
    *right = cx > r->x + r->w / 2;
    if (inside(r, cx, w->y + w->h / 2))
        return 0;
    return *right ? w->x - (r->x + r->w) : r->x - (w->x + w->w);
}

static void match_lists(const st_model *m, found *f, st_problems *pr, int *nomem)
{
    for (int li = 0; li < m->n_lists; li++) {
        const st_list *l = &m->lists[li];
        int hits = 0, hit_ring = -1, hit_word = -1;
        for (int wi = 0; wi < f->n_words; wi++) {
            if (f->words[wi].number != l->number)
                continue;
            /* The nearest box on its line: right of it within a logo's
             * room, or just left of it. */
            int best = -1;
            double bd = 0;
            for (int ri = 0; ri < f->n_rings; ri++) {
                int right;
                if (!on_line(&f->words[wi].r, &f->rings[ri].r))
                    continue;
                double d = gap_to(&f->words[wi].r, &f->rings[ri].r, &right);
                if (d < -0.5 || d > (right ? ST_FROMPDF_LIST_GAP_MM : ST_FROMPDF_NUMBER_GAP_MM))
                    continue;
                if (best < 0 || d < bd) {
                    best = ri;
                    bd = d;
                }
            }
            if (best < 0)
                continue;
            char printed[256];
            name_after(f, wi, printed, sizeof printed);
            if (!name_matches(printed, l->name))
                continue;
            if (hits++ == 0) {
                hit_ring = best;
                hit_word = wi;
            }
        }
        if (hits == 0) {
            PROBLEM(pr, nomem, "list %d (%s): no box with its number and name printed beside it",
                    l->number, l->name);
        } else if (hits > 1) {
            PROBLEM(pr, nomem, "list %d (%s): its number and name are printed beside %d boxes",
                    l->number, l->name, hits);
        } else if (f->rings[hit_ring].number) {
            const st_rect *r = &f->rings[hit_ring].r;
            PROBLEM(pr, nomem, "box at x %.1f mm, y %.1f mm: lists %d and %d are both printed "
                    "beside it", r->x, r->y, f->rings[hit_ring].number, l->number);
        } else {
            f->rings[hit_ring].kind = ST_TARGET_LIST;
            f->rings[hit_ring].number = l->number;
            f->words[hit_word].used = 1;
        }
    }
}

static void match_numbers(int numbers, found *f, int *box_of, st_problems *pr, int *nomem)
{
    for (int ri = 0; ri < f->n_rings; ri++) {
        st_found_box *g = &f->rings[ri];
        if (g->number)
            continue;
        int best = -1, second = -1;
        double bd = 0, sd = 0;
        for (int wi = 0; wi < f->n_words; wi++) {
            int right;
            if (f->words[wi].used || f->words[wi].number < 1 || !on_line(&f->words[wi].r, &g->r))
                continue;
            double d = gap_to(&f->words[wi].r, &g->r, &right);
            if (d < -0.5 || d > ST_FROMPDF_NUMBER_GAP_MM)
                continue;
            if (best < 0 || d < bd) {
                second = best;
                sd = bd;
                best = wi;
                bd = d;
            } else if (second < 0 || d < sd) {
                second = wi;
                sd = d;
            }
        }
        if (best < 0) {
            PROBLEM(pr, nomem, "box at x %.1f mm, y %.1f mm (%.1f x %.1f mm): no list or number "
                    "printed beside it", g->r.x, g->r.y, g->r.w, g->r.h);
            continue;
        }
        int k = f->words[best].number;
        if (second >= 0 && sd - bd < 0.5) {
            PROBLEM(pr, nomem, "box at x %.1f mm, y %.1f mm: numbers %d and %d are printed "
                    "equally near it", g->r.x, g->r.y, k, f->words[second].number);
            continue;
        }
        if (k > numbers) {
            PROBLEM(pr, nomem, "box at x %.1f mm, y %.1f mm: number %d is beyond the longest "
                    "list (%d candidates)", g->r.x, g->r.y, k, numbers);
            continue;
        }
        if (box_of[k] >= 0) {
            const st_rect *o = &f->rings[box_of[k]].r;
            PROBLEM(pr, nomem, "number %d: two boxes, at x %.1f mm, y %.1f mm and x %.1f mm, "
                    "y %.1f mm", k, o->x, o->y, g->r.x, g->r.y);
            continue;
        }
        g->kind = ST_TARGET_NUMBER;
        g->number = k;
        box_of[k] = ri;
    }
    for (int k = 1; k <= numbers; k++)
        if (box_of[k] < 0)
            PROBLEM(pr, nomem, "number %d: no box with it printed inside or beside it", k);
}

/* Open page page_no (1-based) of the PDF at path. */
static int open_page(const char *path, int page_no, PopplerDocument **doc_out,
                     PopplerPage **page_out, st_error *err)
{
    GError *gerr = NULL;
    char *abs = NULL, *uri;
    if (g_path_is_absolute(path)) {
        uri = g_filename_to_uri(path, NULL, NULL);
    } else {
        char *cwd = g_get_current_dir();
        abs = g_build_filename(cwd, path, NULL);
        g_free(cwd);
        uri = g_filename_to_uri(abs, NULL, NULL);
    }
    g_free(abs);
    PopplerDocument *doc = uri ? poppler_document_new_from_file(uri, NULL, &gerr) : NULL;
    g_free(uri);
    if (!doc) {
        int rc = st_error_set(err, gerr && gerr->domain == G_FILE_ERROR ? ST_ERR_IO : ST_ERR_PARSE,
                              "%s: not a readable PDF (%s)", path,
                              gerr ? gerr->message : "unknown error");
        if (gerr)
            g_error_free(gerr);
        return rc;
    }
    int pages = poppler_document_get_n_pages(doc);
    if (page_no < 1 || page_no > pages) {
        g_object_unref(doc);
        return st_error_set(err, ST_ERR_ARG, "%s: has %d page%s, no page %d", path, pages,
                            pages == 1 ? "" : "s", page_no);
    }
    *page_out = poppler_document_get_page(doc, page_no - 1);
    if (!*page_out) {
        g_object_unref(doc);
        return st_error_set(err, ST_ERR_PARSE, "%s: page %d cannot be read", path, page_no);
    }
    *doc_out = doc;
    return ST_OK;
}

int st_proof_ink(const char *path, int page_no, int dpi, st_image **out, st_error *err)
{
    PopplerDocument *doc;
    PopplerPage *page;
    *out = NULL;
    int rc = open_page(path, page_no, &doc, &page, err);
    if (rc)
        return rc;
    if ((rc = render_ink(page, dpi, out, err)))
        st_error_prefix(err, "%s page %d", path, page_no);
    g_object_unref(page);
    g_object_unref(doc);
    return rc;
}

/* The model's geometry from what was found and matched, and the print
 * inside each box at three resolutions. */
static int build(PopplerPage *page, st_model *m, const found *f, int numbers,
                 const int *box_of, double pw, double ph, st_error *err)
{
    static const int dpis[] = {150, 200, 300};
    st_rect *lists = calloc((size_t)m->n_lists + 1, sizeof *lists);
    st_rect *nums = calloc((size_t)numbers + 1, sizeof *nums);
    st_rect *art = calloc((size_t)(f->n_art + f->n_words + 1), sizeof *art);
    int rc = ST_OK;
    if (!lists || !nums || !art) {
        rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int li = 0; li < m->n_lists; li++)
        for (int ri = 0; ri < f->n_rings; ri++)
            if (f->rings[ri].kind == ST_TARGET_LIST && f->rings[ri].number == m->lists[li].number)
                lists[li] = f->rings[ri].r;
    for (int k = 1; k <= numbers; k++)
        nums[k - 1] = f->rings[box_of[k]].r;
    int na = 0;
    for (int i = 0; i < f->n_words; i++) {
        const st_rect *r = &f->words[i].r;
        art[na++] = (st_rect){r->x - WORD_PAD_MM, r->y - WORD_PAD_MM, r->w + 2 * WORD_PAD_MM,
                              r->h + 2 * WORD_PAD_MM};
    }
    for (int i = 0; i < f->n_art; i++)
        art[na++] = f->art[i];
    rc = st_boxfind_geometry(m, lists, nums, numbers, f->rings, f->n_rings, pw, ph, art, na, err);
    for (size_t d = 0; !rc && d < sizeof dpis / sizeof *dpis; d++) {
        st_image *ink = NULL;
        rc = render_ink(page, dpis[d], &ink, err);
        if (!rc)
            rc = st_boxfind_printed(m, ink, err);
        st_image_free(ink);
    }
out:
    free(lists);
    free(nums);
    free(art);
    return rc;
}

int st_model_from_pdf(const char *path, int page_no, st_model *m,
                      st_problems *problems, st_error *err)
{
    if (!path || !m || !problems || m->n_targets || m->n_fiducials)
        return st_error_set(err, ST_ERR_ARG, "%s: a model from a proof needs lists and no boxes yet",
                            path ? path : "(null)");
    PopplerDocument *doc;
    PopplerPage *page;
    int orc = open_page(path, page_no, &doc, &page, err);
    if (orc)
        return orc;
    double wpt, hpt;
    poppler_page_get_size(page, &wpt, &hpt);
    double mm_per_pt = 25.4 / 72;
    found f;
    memset(&f, 0, sizeof f);
    char *text = poppler_page_get_text(page);
    PopplerRectangle *chars = NULL;
    guint n_chars = 0;
    if (!poppler_page_get_text_layout(page, &chars, &n_chars))
        n_chars = 0;
    int rc = ST_OK, nomem = 0;
    double outline = m->settings.outline_mm;
    st_image *ink = NULL;
    if ((rc = render_ink(page, ST_FROMPDF_DPI, &ink, err)))
        goto out;
    st_rect *skip = NULL;
    if ((rc = find_words(text ? text : "", chars, n_chars, mm_per_pt, &f, err)))
        goto out;
    if (!(skip = calloc((size_t)n_chars + (size_t)f.n_words + 1, sizeof *skip))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (guint i = 0; i < n_chars; i++)
        skip[i] = (st_rect){chars[i].x1 * mm_per_pt, chars[i].y1 * mm_per_pt,
                            (chars[i].x2 - chars[i].x1) * mm_per_pt,
                            (chars[i].y2 - chars[i].y1) * mm_per_pt};
    rc = st_boxfind_boxes(ink, skip, (int)n_chars, &f.rings, &f.n_rings, err);
    for (int i = 0; i < f.n_words; i++)
        skip[i] = f.words[i].r;
    if (!rc)
        rc = st_boxfind_artwork(ink, ART_LEVEL, 1, f.rings, f.n_rings, skip, f.n_words,
                                WORD_PAD_MM, &f.art, &f.n_art, err);
    free(skip);
    if (rc)
        goto out;
    int numbers = st_model_max_candidates(m);
    int *box_of = malloc((size_t)(numbers + 1) * sizeof *box_of);
    if (!box_of) {
        rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (int k = 0; k <= numbers; k++)
        box_of[k] = -1;
    int before = problems->n + problems->more;
    match_lists(m, &f, problems, &nomem);
    match_numbers(numbers, &f, box_of, problems, &nomem);
    int found_problems = problems->n + problems->more - before;
    if (nomem)
        rc = st_error_set(err, ST_ERR_NOMEM, "out of memory");
    else if (found_problems)
        rc = st_error_set(err, ST_ERR_INVALID, "%d problem%s matching the boxes "
                          "with the candidate list", found_problems,
                          found_problems == 1 ? "" : "s");
    else
        rc = build(page, m, &f, numbers, box_of, wpt * mm_per_pt, hpt * mm_per_pt, err);
    free(box_of);
    if (rc == ST_OK)
        rc = st_boxfind_check(m, outline, problems, err);
    if (rc)
        st_error_prefix(err, "%s page %d", path, page_no);
out:
    st_image_free(ink);
    found_free(&f);
    g_free(chars);
    g_free(text);
    g_object_unref(page);
    g_object_unref(doc);
    return rc;
}
