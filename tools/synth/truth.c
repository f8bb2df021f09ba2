/* truth.c - the names synth writes, and one truth.jsonl record per ballot
 *
 * The spellings of styles, instruments, scenarios and degradations are
 * the CLI's and truth.jsonl's alike, so they live here with the parser of
 * the CLI's comma-separated lists. A record is written with jsonrec into
 * a memory stream per ballot (ballots are made in parallel) in a fixed
 * key order with fixed decimals; the file is written whole at the end,
 * atomically.
 */
#include "synth/truth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stemtel/tiffout.h"
#include "synth/draw.h"
#include "util/atomic.h"
#include "util/jsonrec.h"

static const char *const style_names[ST_STYLE_N] = {
    "fill", "partial", "x", "check", "stroke", "circle", "dot", "hesitant",
    "x-overshoot", "check-tail", "scribble-over", "ring"};
static const char *const instrument_names[ST_INSTR_N] = {
    "red-pencil", "blue-pen", "black-pen", "faint"};
static const char *const scenario_names[ST_SCEN_N] = {
    "vote", "list-only", "number-only", "several-lists", "several-numbers",
    "beyond-list", "blank", "between"};
static const char *const degradation_names[ST_DEG_N] = {
    "rotate", "shift", "scale", "upside-down", "noise", "blur", "streak",
    "fold", "stray", "jpeg", "fold-slant", "fold-vertical", "streak-marked",
    "streak-empty", "writing", "crop", "transport"};

static const char *const outcome_names[] = {"vote", "blank", "invalid",
                                            "review"};
static const char *const seen_names[] = {"clear", "ambiguous", "lost", "borderline-marked",
                                         "borderline-empty"};

static const char *name_at(const char *const *t, int n, int i)
{
    return i >= 0 && i < n ? t[i] : NULL;
}

const char *st_synth_style_name(int s)
{
    return name_at(style_names, ST_STYLE_N, s);
}

const char *st_synth_scenario_name(int s)
{
    return name_at(scenario_names, ST_SCEN_N, s);
}

const char *st_synth_degradation_name(int d)
{
    return name_at(degradation_names, ST_DEG_N, d);
}

int st_synth_parse_set(const char *kind, const char *csv, unsigned *bits,
                       st_error *err)
{
    const char *const *t;
    int n;
    int is_deg = 0;
    if (!kind || !csv || !bits)
        return st_error_set(err, ST_ERR_ARG, "synth: parse_set: NULL argument");
    if (!strncmp(kind, "style", 5))
        t = style_names, n = ST_STYLE_N;
    else if (!strncmp(kind, "instrument", 10))
        t = instrument_names, n = ST_INSTR_N;
    else if (!strncmp(kind, "scenario", 8))
        t = scenario_names, n = ST_SCEN_N;
    else if (!strncmp(kind, "degradation", 11) || !strcmp(kind, "degrade"))
        t = degradation_names, n = ST_DEG_N, is_deg = 1;
    else
        return st_error_set(err, ST_ERR_ARG, "synth: unknown kind of name \"%s\"",
                            kind);

    unsigned out = 0;
    const char *p = csv;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        while (len && (*p == ' ')) /* "a, b" is forgiven */
            p++, len--;
        while (len && p[len - 1] == ' ')
            len--;
        int found = 0;
        if (len == 3 && !strncmp(p, "all", 3)) {
            out |= (n >= 32 ? ~0u : (1u << n) - 1);
            found = 1;
        } else if (is_deg && len == 4 && !strncmp(p, "none", 4)) {
            out |= ST_SYNTH_DEG_NONE;
            found = 1;
        }
        for (int i = 0; !found && i < n; i++)
            if (strlen(t[i]) == len && !strncmp(p, t[i], len)) {
                out |= ST_SYNTH_BIT(i);
                found = 1;
            }
        if (!found) {
            char names[512] = "";
            for (int i = 0; i < n; i++) {
                strncat(names, t[i], sizeof names - strlen(names) - 1);
                strncat(names, ", ", sizeof names - strlen(names) - 1);
            }
            strncat(names, is_deg ? "all, none" : "all",
                    sizeof names - strlen(names) - 1);
            return st_error_set(err, ST_ERR_ARG,
                                "synth: unknown %s \"%.*s\" (known: %s)", kind,
                                (int)len, p, names);
        }
        if (!e)
            break;
        p = e + 1;
    }
    if (!out)
        return st_error_set(err, ST_ERR_ARG, "synth: empty list of %s", kind);
    if ((out & ST_SYNTH_DEG_NONE) && (out & ~ST_SYNTH_DEG_NONE))
        return st_error_set(err, ST_ERR_ARG,
                            "synth: \"none\" cannot be combined with other "
                            "degradations");
    *bits = out;
    return ST_OK;
}

/* The expected outcome (or the one a definite reading may give instead)
 * as members of the open object. */
static void st_synth_truth_outcome(st_jsonrec *w, int outcome, int list, int cand,
                                   int party_only, const char *reason)
{
    st_jsonrec_str(w, "outcome", outcome_names[outcome]);
    if (outcome == OUT_VOTE) {
        st_jsonrec_int(w, "list", list);
        st_jsonrec_int(w, "candidate", cand);
    } else {
        st_jsonrec_null(w, "list");
        st_jsonrec_null(w, "candidate");
    }
    st_jsonrec_bool(w, "party_only", party_only);
    st_jsonrec_str(w, "reason", reason);
}

/* Streak s as an object (member key, or an array element with NULL). */
static void st_synth_truth_streak(st_jsonrec *w, const char *key, const st_model *m,
                                  const sstreak *s)
{
    st_jsonrec_obj(w, key);
    st_jsonrec_str(w, "name", degradation_names[s->kind]);
    st_jsonrec_int(w, "x", s->x);
    st_jsonrec_int(w, "width", s->w);
    st_jsonrec_str(w, "kind", s->dark ? "dark" : "light");
    st_jsonrec_str(w, "target", s->target >= 0 ? m->targets[s->target].id : NULL);
    st_jsonrec_end(w);
}

int st_synth_file_name(const st_synth_opts *o, int index, char *name, size_t n)
{
    int ppf = o->pages_per_file, file = index / ppf;
    if (ppf == 1)
        snprintf(name, n, "ballot-%06d.tif", file + 1);
    else
        snprintf(name, n, "stack-%04d.tif", file + 1);
    return index % ppf;
}

char *st_synth_truth_line(const job *j, int index, const char *file, int page,
                          int quality, const splan *p)
{
    const st_model *m = j->m;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    st_jsonrec w;
    st_jsonrec_start(&w, f);
    st_jsonrec_obj(&w, NULL);
    st_jsonrec_str(&w, "file", file);
    st_jsonrec_int(&w, "page", page);
    st_jsonrec_int(&w, "index", index);
    st_jsonrec_uint(&w, "seed", (unsigned long long)j->o->seed);
    st_jsonrec_int(&w, "dpi", j->o->dpi);
    st_jsonrec_str(&w, "format", st_tiff_format_name(j->o->format));
    if (j->o->format == ST_TIFF_GREY_JPEG || j->o->format == ST_TIFF_RGB_JPEG)
        st_jsonrec_int(&w, "jpeg_quality", quality);
    else
        st_jsonrec_null(&w, "jpeg_quality");
    st_jsonrec_arr(&w, "bed_margin_mm");
    st_jsonrec_num(&w, NULL, p->margin_x, 1, 0);
    st_jsonrec_num(&w, NULL, p->margin_y, 1, 0);
    st_jsonrec_end(&w);
    st_jsonrec_arr(&w, "image_px");
    st_jsonrec_int(&w, NULL, p->w_px);
    st_jsonrec_int(&w, NULL, p->h_px);
    st_jsonrec_end(&w);
    st_jsonrec_str(&w, "scenario", scenario_names[p->scenario]);

    st_jsonrec_obj(&w, "degradations");
    st_jsonrec_arr(&w, "applied");
    for (int d = 0; d < ST_DEG_N; d++)
        if (p->applied & ST_SYNTH_BIT(d))
            st_jsonrec_str(&w, NULL, degradation_names[d]);
    st_jsonrec_end(&w);
    st_jsonrec_bool(&w, "cropped", p->crop);
    st_jsonrec_bool(&w, "upside_down", p->upside);
    st_jsonrec_num(&w, "rotation_deg", p->rot, 3, 0);
    st_jsonrec_arr(&w, "shift_mm");
    st_jsonrec_num(&w, NULL, p->sx, 3, 0);
    st_jsonrec_num(&w, NULL, p->sy, 3, 0);
    st_jsonrec_end(&w);
    st_jsonrec_num(&w, "scale", p->scale, 4, 0);
    st_jsonrec_num(&w, "noise_sigma", p->noise, 3, 0);
    st_jsonrec_int(&w, "blur_px", p->blur);
    if (p->jpeg_q)
        st_jsonrec_int(&w, "jpeg_quality", p->jpeg_q);
    else
        st_jsonrec_null(&w, "jpeg_quality");
    st_jsonrec_num(&w, "stretch", p->stretch, 5, 0);
    st_jsonrec_num(&w, "shear", p->shear, 5, 0);
    /* The first streak and horizontal fold as "streak" and "fold_y_mm",
     * all of them in "streaks" and "folds". */
    if (p->n_streaks)
        st_synth_truth_streak(&w, "streak", m, &p->streaks[0]);
    else
        st_jsonrec_null(&w, "streak");
    st_jsonrec_arr(&w, "streaks");
    for (int i = 0; i < p->n_streaks; i++)
        st_synth_truth_streak(&w, NULL, m, &p->streaks[i]);
    st_jsonrec_end(&w);
    int hfold = -1;
    for (int i = p->n_folds - 1; i >= 0; i--)
        if (p->folds[i].kind != ST_DEG_FOLD_VERTICAL)
            hfold = i;
    if (hfold >= 0)
        st_jsonrec_num(&w, "fold_y_mm", p->folds[hfold].at, 3, 0);
    else
        st_jsonrec_null(&w, "fold_y_mm");
    st_jsonrec_arr(&w, "folds");
    for (int i = 0; i < p->n_folds; i++) {
        const sfold *fd = &p->folds[i];
        st_jsonrec_obj(&w, NULL);
        st_jsonrec_str(&w, "name", degradation_names[fd->kind]);
        st_jsonrec_num(&w, "at_mm", fd->at, 3, 0);
        st_jsonrec_num(&w, "slant_deg", fd->slant, 3, 0);
        st_jsonrec_num(&w, "tilt_mm", fd->tilt, 3, 0);
        st_jsonrec_end(&w);
    }
    st_jsonrec_end(&w);
    st_jsonrec_arr(&w, "stray_writing");
    for (int i = 0; i < p->n_stray; i++) {
        st_jsonrec_arr(&w, NULL);
        st_jsonrec_num(&w, NULL, p->stray[2 * i], 3, 0);
        st_jsonrec_num(&w, NULL, p->stray[2 * i + 1], 3, 0);
        st_jsonrec_end(&w);
    }
    st_jsonrec_end(&w);
    st_jsonrec_arr(&w, "writing");
    for (int i = 0; i < p->n_stray; i++) {
        if (p->wkind[i] == WRITE_STRAY)
            continue;
        st_jsonrec_obj(&w, NULL);
        st_jsonrec_str(&w, "kind", p->wkind[i] == WRITE_INITIALS ? "initials" : "word");
        st_jsonrec_str(&w, "text", p->wkind[i] == WRITE_INITIALS ? p->wtext[i] : NULL);
        st_jsonrec_arr(&w, "at_mm");
        st_jsonrec_num(&w, NULL, p->stray[2 * i], 3, 0);
        st_jsonrec_num(&w, NULL, p->stray[2 * i + 1], 3, 0);
        st_jsonrec_end(&w);
        st_jsonrec_str(&w, "by", p->wby[i] >= 0 ? m->targets[p->wby[i]].id : NULL);
        st_jsonrec_end(&w);
    }
    st_jsonrec_end(&w);
    st_jsonrec_end(&w);

    /* What of each registration mark the image holds. */
    cairo_matrix_t ctm;
    st_synth_page_matrix(j, p, &ctm);
    st_jsonrec_arr(&w, "fiducials");
    for (int i = 0; i < m->n_fiducials; i++) {
        st_jsonrec_obj(&w, NULL);
        st_jsonrec_str(&w, "id", m->fiducials[i].id);
        st_jsonrec_num(&w, "in_image", st_synth_in_image(p, &ctm, &m->fiducials[i].rect), 3, 0);
        st_jsonrec_end(&w);
    }
    st_jsonrec_end(&w);

    st_jsonrec_arr(&w, "marks");
    for (int i = 0; i < p->n_marks; i++) {
        const smark *k = &p->marks[i];
        st_jsonrec_obj(&w, NULL);
        st_jsonrec_str(&w, "target", m->targets[k->target].id);
        st_jsonrec_str(&w, "style", style_names[k->style]);
        st_jsonrec_str(&w, "instrument", instrument_names[k->instrument]);
        st_jsonrec_str(&w, "clarity", k->ambiguous ? "ambiguous" : "clear");
        st_jsonrec_num(&w, "visible", k->visible, 3, 0);
        st_jsonrec_num(&w, "visible_trace", k->visible_trace, 3, 0);
        st_jsonrec_num(&w, "coverage", k->coverage, 4, 0);
        st_jsonrec_num(&w, "in_image", k->in_image, 3, 0);
        st_jsonrec_num(&w, "pressure", k->pressure, 3, 0);
        st_jsonrec_str(&w, "seen", seen_names[k->seen]);
        st_jsonrec_end(&w);
    }
    st_jsonrec_end(&w);

    /* A second scan of an earlier ballot's sheet (a jam): people void it. */
    if (p->paper != index) {
        char first[64];
        int fp = st_synth_file_name(j->o, p->paper, first, sizeof first);
        st_jsonrec_obj(&w, "rescan_of");
        st_jsonrec_int(&w, "index", p->paper);
        st_jsonrec_str(&w, "file", first);
        st_jsonrec_int(&w, "page", fp);
        st_jsonrec_end(&w);
    }

    st_jsonrec_obj(&w, "expected");
    st_synth_truth_outcome(&w, p->outcome, p->list, p->cand, p->party_only, p->reason);
    if (p->has_alt) {
        st_jsonrec_obj(&w, "if_definite");
        st_synth_truth_outcome(&w, p->alt_outcome, p->alt_list, p->alt_cand,
                               p->alt_party_only, p->alt_reason);
        st_jsonrec_end(&w);
    }
    st_jsonrec_end(&w);
    st_jsonrec_end(&w);
    fputc('\n', f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int st_synth_truth_write(const char *dir, char *const *lines, int n, st_error *err)
{
    char path[4096];
    st_atomic a;
    snprintf(path, sizeof path, "%s/truth.jsonl", dir);
    int rc = st_atomic_open(&a, path, "synth", err);
    if (rc)
        return rc;
    for (int i = 0; i < n; i++)
        fputs(lines[i], a.f);
    return st_atomic_commit(&a, err);
}
