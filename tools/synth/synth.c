/* synth.c - make a run of synthetic marked ballots with ground truth
 *
 * The runner checks the options, finds the model's boxes and, with
 * votes_from, the ballots of one station of a 510b count (votes.c). Files
 * are then made in parallel, one cairo surface per thread: each ballot is
 * planned (plan.c), drawn and measured (draw.c, degrade.c) and written to
 * a TIFF page; its truth.jsonl line (truth.c) is kept per ballot and all
 * are written in ballot order at the end, so nothing depends on the
 * thread count. A cropped page is drawn on a surface of the paper's size
 * that shares the bed surface's pixels. A failure reports the earliest file, as a serial run
 * would.
 */
#include "synth/synth.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cairo.h>
#include <libxml/parser.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "stemtel/frompdf.h"
#include "stemtel/render.h"
#include "synth/degrade.h"
#include "synth/draw.h"
#include "synth/plan.h"
#include "synth/rng.h"
#include "synth/truth.h"
#include "synth/votes.h"

/* Default mixes (see synth.h). */
static const double style_mix[ST_STYLE_N] = {28, 15, 8, 6, 10, 2, 2, 0,
                                             14, 10, 3, 2};
static const double instrument_mix[ST_INSTR_N] = {72, 12, 12, 4};
static const double scenario_mix[ST_SCEN_N] = {62, 8, 4, 4, 5, 3, 8, 6};

void st_synth_opts_default(st_synth_opts *o)
{
    memset(o, 0, sizeof *o);
    o->count = 10;
    o->seed = 1;
    o->dpi = 200;
    o->format = ST_TIFF_RGB_JPEG;
    o->jpeg_quality = 85;
    o->pages_per_file = 1;
    o->degrade_level = 0.5;
}

/* ---- one output file ---------------------------------------------------- */

/* One thread's page: the scanner bed's surface and image, and the
 * cropped frame's, which shares the bed's pixels. */
typedef struct worker {
    cairo_surface_t *surf, *crop;
    st_image *img, *img_crop;
} worker;

/* Copy the RGB24 surface into img (3 channels, or luma for 1). */
static void px_to_image(const uint8_t *data, int stride, st_image *img)
{
    for (int y = 0; y < img->h; y++) {
        const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride);
        uint8_t *o = img->px + (size_t)y * img->stride;
        for (int x = 0; x < img->w; x++) {
            uint32_t c = row[x];
            int r = (c >> 16) & 0xff, g = (c >> 8) & 0xff, b = c & 0xff;
            if (img->channels == 3) {
                o[3 * x] = (uint8_t)r;
                o[3 * x + 1] = (uint8_t)g;
                o[3 * x + 2] = (uint8_t)b;
            } else {
                o[x] = (uint8_t)((299 * r + 587 * g + 114 * b + 500) / 1000);
            }
        }
    }
}

/* A rescan's marks are its sheet's as the first scan settled them: a
 * hesitant stroke's length and a forced ballot's pen come from drawing
 * that scan, so draw it (only when its marks can change) and take them. */
static int settle_sheet(const job *j, worker *w, splan *p, st_error *err)
{
    splan first;
    st_synth_plan(j, p->paper, &first);
    int may_change = j->clear_only;
    for (int i = 0; i < first.n_marks; i++)
        may_change |= first.marks[i].style == ST_STYLE_HESITANT;
    if (may_change) {
        int rc = st_synth_settle(j, p->paper, &first, first.crop ? w->crop : w->surf, err);
        if (rc)
            return rc;
    }
    for (int i = 0; i < p->n_marks; i++) {
        p->marks[i].style = first.marks[i].style;
        p->marks[i].instrument = first.marks[i].instrument;
    }
    p->hesitant_cov = first.hesitant_cov;
    p->fixed = 1;
    return ST_OK;
}

static int make_file(const job *j, worker *w, const char *dir, int file,
                     char **lines, int *outcomes, st_error *err)
{
    const st_synth_opts *o = j->o;
    int ppf = o->pages_per_file;
    int first = file * ppf, last = first + ppf;
    if (last > j->n)
        last = j->n;
    char name[64], path[4096];
    st_synth_file_name(o, first, name, sizeof name);
    snprintf(path, sizeof path, "%s/%s", dir, name);

    st_tiff_writer *tw = NULL;
    int rc = st_tiff_writer_open(path, &tw, err);
    if (rc)
        goto out;
    for (int i = first; i < last; i++) {
        splan p;
        st_synth_plan(j, i, &p);
        if (p.paper != i && (rc = settle_sheet(j, w, &p, err)))
            goto out;
        cairo_surface_t *surf = p.crop ? w->crop : w->surf;
        st_image *img = p.crop ? w->img_crop : w->img;
        rc = st_synth_settle(j, i, &p, surf, err);
        if (rc)
            goto out;
        px_to_image(cairo_image_surface_get_data(surf),
                    cairo_image_surface_get_stride(surf), img);
        int q = p.jpeg_q ? p.jpeg_q : o->jpeg_quality;
        rc = st_tiff_writer_add(tw, img, o->format, q, err);
        if (rc)
            goto out;
        lines[i] = st_synth_truth_line(j, i, name, i - first, q, &p);
        if (!lines[i]) {
            rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
            goto out;
        }
        outcomes[i] = p.outcome;
    }
out:
    {
        st_error cerr = {0};
        int crc = st_tiff_writer_close(tw, &cerr);
        if (!rc && crc) {
            rc = crc;
            if (err)
                *err = cerr;
        }
    }
    if (rc && err && !strstr(err->msg, path))
        st_error_prefix(err, "synth: %s", path);
    return rc;
}

/* ---- the run ------------------------------------------------------------ */

static int mkdir_p(const char *dir)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", dir) >= (int)sizeof buf)
        return -1;
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            if (mkdir(buf, 0777) && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

/* Weights for one kind: the default mix or the chosen set, uniformly. */
static void weights(unsigned set, const double *mix, int n, double *w)
{
    for (int i = 0; i < n; i++)
        w[i] = set ? ((set & ST_SYNTH_BIT(i)) ? 1 : 0) : mix[i];
}

static int check_opts(const st_model *m, const st_synth_opts *o,
                      const char *dir, st_error *err)
{
    if (!m || !o || !dir)
        return st_error_set(err, ST_ERR_ARG, "synth: NULL argument");
    if (o->dpi < ST_RENDER_DPI_MIN || o->dpi > ST_RENDER_DPI_MAX)
        return st_error_set(err, ST_ERR_ARG, "synth: dpi %d is not in %d..%d",
                            o->dpi, ST_RENDER_DPI_MIN, ST_RENDER_DPI_MAX);
    if (o->jpeg_quality < 1 || o->jpeg_quality > 100)
        return st_error_set(err, ST_ERR_ARG,
                            "synth: JPEG quality %d is not in 1..100",
                            o->jpeg_quality);
    if (o->pages_per_file < 1)
        return st_error_set(err, ST_ERR_ARG, "synth: pages per file must be >= 1");
    if (!o->votes_from && o->count < 0)
        return st_error_set(err, ST_ERR_ARG, "synth: negative count");
    if (!(o->degrade_level >= 0 && o->degrade_level <= 1))
        return st_error_set(err, ST_ERR_ARG,
                            "synth: degrade level must be in 0..1");
    if ((int)o->format < 0 || o->format >= ST_TIFF_N_FORMATS)
        return st_error_set(err, ST_ERR_ARG, "synth: unknown TIFF format %d",
                            (int)o->format);
    if (!o->votes_from != !o->station)
        return st_error_set(err, ST_ERR_ARG,
                            "synth: votes_from and station go together");
    if (o->rescans < 0 || (!o->votes_from && o->count > 0 && o->rescans >= o->count) ||
        (!o->votes_from && o->count == 0 && o->rescans > 0))
        return st_error_set(err, ST_ERR_ARG,
                            "synth: %d rescans of %d ballots: a rescan needs an earlier "
                            "sheet", o->rescans, o->count);
    if (o->vote_list > 0) {
        int l = st_synth_list_index(m, o->vote_list);
        if (o->votes_from)
            return st_error_set(err, ST_ERR_ARG,
                                "synth: a fixed vote and votes_from exclude each other");
        if (l < 0)
            return st_error_set(err, ST_ERR_ARG, "synth: the model has no list %d",
                                o->vote_list);
        if (o->vote_candidate < 0 || o->vote_candidate > m->lists[l].n_candidates)
            return st_error_set(err, ST_ERR_ARG,
                                "synth: list %d has no candidate %d (it has %d)",
                                o->vote_list, o->vote_candidate, m->lists[l].n_candidates);
    }
    if (!(m->paper_w > 0 && m->paper_h > 0))
        return st_error_set(err, ST_ERR_INVALID, "synth: the model has no paper size");
    return ST_OK;
}

/* Which ballots of j's run are rescans and of which sheet (*rescan_of,
 * one per ballot, -1 for a sheet of its own), the run growing to hold
 * o->rescans of them on top of the sheets it had (j->n - o->rescans for
 * a count, every one of votes_from's); *forced (when not NULL: one per
 * sheet) is spread over the ballots the same way. */
static int plan_rescans(job *j, force **forced, int **rescan_of, st_error *err)
{
    const st_synth_opts *o = j->o;
    int total = o->votes_from ? j->n + o->rescans : j->n, *pos = NULL, *of = NULL;
    force *spread = NULL;
    pos = malloc(sizeof *pos * (size_t)(total > 1 ? total : 1));
    of = malloc(sizeof *of * (size_t)(total > 0 ? total : 1));
    if (*forced)
        spread = malloc(sizeof *spread * (size_t)(total > 0 ? total : 1));
    if (!pos || !of || (*forced && !spread)) {
        free(pos);
        free(of);
        free(spread);
        return st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
    }
    /* o->rescans of the places 1 .. total - 1, by a partial shuffle. */
    st_rng r;
    st_rng_init(&r, o->seed, UINT64_MAX, 8);
    for (int i = 0; i < total - 1; i++)
        pos[i] = i + 1;
    for (int i = 0; i < total; i++)
        of[i] = -1;
    for (int k = 0; k < o->rescans && k < total - 1; k++) {
        int pick = k + st_rng_int(&r, total - 1 - k), t = pos[k];
        pos[k] = pos[pick];
        pos[pick] = t;
        of[pos[k]] = 0; /* placed below, in ballot order */
    }
    for (int i = 1; i < total; i++) {
        if (of[i] < 0)
            continue;
        st_rng_init(&r, o->seed, (uint64_t)i, 5);
        int back = i < ST_SYNTH_RESCAN_BACK ? i : ST_SYNTH_RESCAN_BACK;
        int k = i - 1 - st_rng_int(&r, back);
        of[i] = of[k] >= 0 ? of[k] : k; /* the sheet, not an earlier rescan */
    }
    for (int i = 0, sheet = 0; spread && i < total; i++)
        spread[i] = of[i] >= 0 ? spread[of[i]] : (*forced)[sheet++];
    free(pos);
    if (spread) {
        free(*forced);
        *forced = spread;
    }
    *rescan_of = of;
    j->n = total;
    return ST_OK;
}

/* The printer's proof o->background as an A8 surface at the run's dpi,
 * its page the size of the model's paper. */
static int load_proof(const st_model *m, const st_synth_opts *o, job *j, st_error *err)
{
    st_image *ink = NULL;
    int page = o->background_page > 0 ? o->background_page : 1;
    int rc = st_proof_ink(o->background, page, o->dpi, &ink, err);
    if (rc)
        return st_error_prefix(err, "synth: --background");
    double w = ink->w * 25.4 / o->dpi, h = ink->h * 25.4 / o->dpi;
    if (fabs(w - m->paper_w) > 1 || fabs(h - m->paper_h) > 1) {
        st_image_free(ink);
        return st_error_set(err, ST_ERR_INVALID, "synth: --background %s: its page is %.0f x %.0f "
                            "mm, the model's paper %.0f x %.0f mm: not the model's proof",
                            o->background, w, h, m->paper_w, m->paper_h);
    }
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, ink->w, ink->h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        st_image_free(ink);
        return st_error_set(err, ST_ERR_NOMEM, "synth: no memory for the proof");
    }
    cairo_surface_flush(s);
    uint8_t *px = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < ink->h; y++)
        memcpy(px + (size_t)y * stride, ink->px + (size_t)y * ink->stride, (size_t)ink->w);
    cairo_surface_mark_dirty(s);
    st_image_free(ink);
    j->proof = s;
    j->proof_dpi = o->dpi;
    return ST_OK;
}

int st_synth_run(const st_model *m, const st_synth_opts *o,
                 const char *out_dir, st_synth_report *rep, st_error *err)
{
    job j;
    memset(&j, 0, sizeof j);
    force *forced = NULL;
    int *rescan_of = NULL;
    char **lines = NULL;
    int *outcomes = NULL;
    int rc = check_opts(m, o, out_dir, err);
    if (rc)
        return rc;
    rc = st_synth_geo_build(m, &j.g, err);
    if (rc)
        return rc;
    j.m = m;
    j.o = o;
    st_synth_bed_margins(m, o, &j.margin_x, &j.margin_y);
    j.w_px = st_mm_to_px(m->paper_w + 2 * j.margin_x, o->dpi);
    j.h_px = st_mm_to_px(m->paper_h + 2 * j.margin_y, o->dpi);
    j.paper_w_px = st_mm_to_px(m->paper_w, o->dpi);
    j.paper_h_px = st_mm_to_px(m->paper_h, o->dpi);
    if (j.paper_w_px > j.w_px)
        j.paper_w_px = j.w_px; /* cannot be: the bed holds the paper */
    if (j.paper_h_px > j.h_px)
        j.paper_h_px = j.h_px;
    if (o->background && (rc = load_proof(m, o, &j, err)))
        goto out;
    j.clear_only = o->votes_from != NULL;
    weights(o->styles, style_mix, ST_STYLE_N, j.style_w);
    weights(o->instruments, instrument_mix, ST_INSTR_N, j.instr_w);
    weights(o->scenarios, scenario_mix, ST_SCEN_N, j.scen_w);
    /* Scenarios the model cannot show are dropped, not faked. */
    if (!j.g.short_lists)
        j.scen_w[ST_SCEN_BEYOND_LIST] = 0;
    if (m->n_lists < 2)
        j.scen_w[ST_SCEN_SEVERAL_LISTS] = 0;
    if (j.g.grid < 2)
        j.scen_w[ST_SCEN_SEVERAL_NUMBERS] = 0;
    if (j.clear_only) {
        /* Real ballots counted as valid: marks a person reads at once. */
        j.style_w[ST_STYLE_CIRCLE] = j.style_w[ST_STYLE_DOT] = 0;
        j.instr_w[ST_INSTR_FAINT] = 0;
    }
    j.style_w[ST_STYLE_HESITANT] = 0; /* only "between" draws it */
    double sum_s = 0, sum_i = 0, sum_c = 0;
    for (int i = 0; i < ST_STYLE_N; i++)
        sum_s += j.style_w[i];
    for (int i = 0; i < ST_INSTR_N; i++)
        sum_i += j.instr_w[i];
    for (int i = 0; i < ST_SCEN_N; i++)
        sum_c += j.scen_w[i];
    if (sum_s <= 0 || sum_i <= 0 || (!j.clear_only && sum_c <= 0)) {
        rc = st_error_set(err, ST_ERR_ARG,
                          "synth: no %s left to draw (the chosen ones need a "
                          "different model%s)",
                          sum_s <= 0 ? "mark style" : sum_i <= 0 ? "instrument"
                                                                 : "scenario",
                          j.clear_only ? ", or are not clear marks" : "");
        goto out;
    }

    j.n = o->count;
    if (o->votes_from) {
        xmlInitParser();
        rc = st_synth_votes_load(&j, o->votes_from, o->station, &forced, &j.n, err);
        if (rc)
            goto out;
    }
    if (o->vote_list > 0) {
        /* Every sheet the same vote: a fixed list and candidate. */
        if (o->vote_candidate > j.g.grid) {
            rc = st_error_set(err, ST_ERR_ARG, "synth: the model has no number box %d",
                              o->vote_candidate);
            goto out;
        }
        if (!(forced = malloc(sizeof *forced * (size_t)(j.n > 0 ? j.n : 1)))) {
            rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
            goto out;
        }
        for (int i = 0; i < j.n; i++)
            forced[i] = (force){o->vote_candidate ? FORCE_VOTE : FORCE_LIST,
                                st_synth_list_index(m, o->vote_list), o->vote_candidate};
    }
    if (o->rescans > 0 && (rc = plan_rescans(&j, &forced, &rescan_of, err)))
        goto out;
    j.forced = forced;
    j.rescan_of = rescan_of;
    if (mkdir_p(out_dir)) {
        rc = st_error_set(err, ST_ERR_IO, "synth: %s: cannot create folder: %s",
                          out_dir, strerror(errno));
        goto out;
    }
    lines = calloc((size_t)j.n + 1, sizeof *lines);
    outcomes = calloc((size_t)j.n + 1, sizeof *outcomes);
    if (!lines || !outcomes) {
        rc = st_error_set(err, ST_ERR_NOMEM, "synth: out of memory");
        goto out;
    }

    int n_files = (j.n + o->pages_per_file - 1) / o->pages_per_file;
    int failed = 0, failed_at = INT_MAX;
    st_error first = {0};
    int nt = o->threads;
#ifdef _OPENMP
    if (nt <= 0)
        nt = omp_get_max_threads();
#else
    nt = 1;
#endif
    if (nt > n_files)
        nt = n_files > 0 ? n_files : 1;

#pragma omp parallel num_threads(nt)
    {
        worker w = {0};
        st_error terr = {0};
        w.surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, j.w_px, j.h_px);
        int ok = cairo_surface_status(w.surf) == CAIRO_STATUS_SUCCESS;
        if (ok)
            w.crop = cairo_image_surface_create_for_data(
                cairo_image_surface_get_data(w.surf), CAIRO_FORMAT_RGB24,
                j.paper_w_px, j.paper_h_px, cairo_image_surface_get_stride(w.surf));
        int ch = st_tiff_format_is_rgb(o->format) ? 3 : 1;
        w.img = st_image_new(j.w_px, j.h_px, ch, 255);
        w.img_crop = st_image_new(j.paper_w_px, j.paper_h_px, ch, 255);
        ok = ok && w.img && w.img_crop &&
             cairo_surface_status(w.crop) == CAIRO_STATUS_SUCCESS;
        if (w.img)
            w.img->dpi = o->dpi;
        if (w.img_crop)
            w.img_crop->dpi = o->dpi;
#pragma omp for schedule(dynamic)
        for (int f = 0; f < n_files; f++) {
            int stop;
#pragma omp atomic read
            stop = failed;
            if (stop)
                continue;
            int frc = ok ? make_file(&j, &w, out_dir, f, lines, outcomes, &terr)
                         : st_error_set(&terr, ST_ERR_NOMEM,
                                        "synth: no memory for a %d x %d page",
                                        j.w_px, j.h_px);
            if (frc) {
#pragma omp critical(st_synth_fail)
                {
                    /* Report the earliest file, as a serial run would. */
                    if (f < failed_at) {
                        failed_at = f;
                        first = terr;
                    }
#pragma omp atomic write
                    failed = 1;
                }
            }
        }
        cairo_surface_destroy(w.crop); /* before the bed that holds its pixels */
        cairo_surface_destroy(w.surf);
        st_image_free(w.img);
        st_image_free(w.img_crop);
    }
    if (failed) {
        rc = first.code ? first.code : ST_ERR_IO;
        if (err)
            *err = first;
        goto out;
    }

    /* Truth last, whole or not at all. */
    rc = st_synth_truth_write(out_dir, lines, j.n, err);
    if (rc)
        goto out;
    if (rep) {
        memset(rep, 0, sizeof *rep);
        rep->n_ballots = j.n;
        rep->n_rescans = rescan_of ? o->rescans : 0;
        rep->n_files = n_files;
        for (int i = 0; i < j.n; i++) {
            rep->n_vote += outcomes[i] == OUT_VOTE;
            rep->n_blank += outcomes[i] == OUT_BLANK;
            rep->n_invalid += outcomes[i] == OUT_INVALID;
            rep->n_review += outcomes[i] == OUT_REVIEW;
        }
    }
out:
    if (lines)
        for (int i = 0; i < j.n; i++)
            free(lines[i]);
    free(lines);
    free(outcomes);
    free(forced);
    free(rescan_of);
    st_synth_geo_free(&j.g);
    if (j.proof)
        cairo_surface_destroy(j.proof);
    return rc;
}
