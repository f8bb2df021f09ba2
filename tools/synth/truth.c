/* truth.c - the names synth writes, and one truth.jsonl record per ballot
 *
 * The spellings of styles, instruments, scenarios and degradations are
 * the CLI's and truth.jsonl's alike, so they live here with the parser of
 * the CLI's comma-separated lists. A record is written into a memory
 * stream per ballot (ballots are made in parallel) in a fixed key order
 * with fixed decimals.
 */
#include "synth/truth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stemtel/tiffout.h"
#include "util/jsonfmt.h"

static const char *const style_names[ST_STYLE_N] = {
    "fill", "partial", "x", "check", "stroke", "circle", "dot", "hesitant"};
static const char *const instrument_names[ST_INSTR_N] = {
    "red-pencil", "blue-pen", "black-pen", "faint"};
static const char *const scenario_names[ST_SCEN_N] = {
    "vote", "list-only", "number-only", "several-lists", "several-numbers",
    "beyond-list", "blank", "between"};
static const char *const degradation_names[ST_DEG_N] = {
    "rotate", "shift", "scale", "upside-down", "noise", "blur", "streak",
    "fold", "stray", "jpeg"};

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

char *st_synth_truth_line(const job *j, int index, const char *file, int page,
                        int quality, const splan *p)
{
    const st_model *m = j->m;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("{\"file\":", f);
    st_json_fput_str(f, file);
    fprintf(f, ",\"page\":%d,\"index\":%d,\"seed\":%llu,\"dpi\":%d,\"format\":",
            page, index, (unsigned long long)j->o->seed, j->o->dpi);
    st_json_fput_str(f, st_tiff_format_name(j->o->format));
    fprintf(f, ",\"jpeg_quality\":");
    if (j->o->format == ST_TIFF_GREY_JPEG || j->o->format == ST_TIFF_RGB_JPEG)
        fprintf(f, "%d", quality);
    else
        fputs("null", f);
    fputs(",\"bed_margin_mm\":[", f);
    st_json_fput_num(f, j->margin_x, 1, 0);
    fputc(',', f);
    st_json_fput_num(f, j->margin_y, 1, 0);
    fputs("],\"scenario\":", f);
    st_json_fput_str(f, scenario_names[p->scenario]);

    fprintf(f, ",\"degradations\":{\"upside_down\":%s,\"rotation_deg\":",
            p->upside ? "true" : "false");
    st_json_fput_num(f, p->rot, 3, 0);
    fputs(",\"shift_mm\":[", f);
    st_json_fput_num(f, p->sx, 3, 0);
    fputc(',', f);
    st_json_fput_num(f, p->sy, 3, 0);
    fputs("],\"scale\":", f);
    st_json_fput_num(f, p->scale, 4, 0);
    fputs(",\"noise_sigma\":", f);
    st_json_fput_num(f, p->noise, 3, 0);
    fprintf(f, ",\"blur_px\":%d,\"jpeg_quality\":", p->blur);
    if (p->jpeg_q)
        fprintf(f, "%d", p->jpeg_q);
    else
        fputs("null", f);
    if (p->streak_w)
        fprintf(f, ",\"streak\":{\"x\":%d,\"width\":%d,\"kind\":\"%s\"}",
                p->streak_x, p->streak_w, p->streak_dark ? "dark" : "light");
    else
        fputs(",\"streak\":null", f);
    fputs(",\"fold_y_mm\":", f);
    if (p->fold)
        st_json_fput_num(f, p->fold_y, 3, 0);
    else
        fputs("null", f);
    fputs(",\"stray_writing\":[", f);
    for (int i = 0; i < p->n_stray; i++) {
        fputs(i ? ",[" : "[", f);
        st_json_fput_num(f, p->stray[2 * i], 3, 0);
        fputc(',', f);
        st_json_fput_num(f, p->stray[2 * i + 1], 3, 0);
        fputc(']', f);
    }
    fputs("]},\"marks\":[", f);
    for (int i = 0; i < p->n_marks; i++) {
        const smark *k = &p->marks[i];
        fputs(i ? ",{\"target\":" : "{\"target\":", f);
        st_json_fput_str(f, m->targets[k->target].id);
        fprintf(f, ",\"style\":\"%s\",\"instrument\":\"%s\",\"clarity\":\"%s\"",
                style_names[k->style], instrument_names[k->instrument],
                k->ambiguous ? "ambiguous" : "clear");
        fputs(",\"visible\":", f);
        st_json_fput_num(f, k->visible, 3, 0);
        fputs(",\"visible_trace\":", f);
        st_json_fput_num(f, k->visible_trace, 3, 0);
        fputs(",\"coverage\":", f);
        st_json_fput_num(f, k->coverage, 4, 0);
        fprintf(f, ",\"seen\":\"%s\"}", seen_names[k->seen]);
    }
    fprintf(f, "],\"expected\":{\"outcome\":\"%s\",", outcome_names[p->outcome]);
    if (p->outcome == OUT_VOTE)
        fprintf(f, "\"list\":%d,\"candidate\":%d,", p->list, p->cand);
    else
        fputs("\"list\":null,\"candidate\":null,", f);
    fprintf(f, "\"party_only\":%s,\"reason\":", p->party_only ? "true" : "false");
    st_json_fput_str(f, p->reason);
    if (p->has_alt) {
        fprintf(f, ",\"if_definite\":{\"outcome\":\"%s\",", outcome_names[p->alt_outcome]);
        if (p->alt_outcome == OUT_VOTE)
            fprintf(f, "\"list\":%d,\"candidate\":%d,", p->alt_list, p->alt_cand);
        else
            fputs("\"list\":null,\"candidate\":null,", f);
        fprintf(f, "\"party_only\":%s,\"reason\":", p->alt_party_only ? "true" : "false");
        st_json_fput_str(f, p->alt_reason);
        fputc('}', f);
    }
    fputs("}}\n", f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
