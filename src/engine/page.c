/* page.c - read one page as the counter does, and its ballots.jsonl record
 *
 * Reading: st_ballot_read does the work; only a page it rejected after
 * decoding is then shown to st_sheet_detect, in the ~50 dpi ink the
 * reader kept, so ballots pay nothing for sheet recognition. The record
 * is streamed field by field through util/jsonrec: a tree per page would
 * cost more than the page's scoring, and fixed decimals keep the bytes
 * stable across machines.
 */
#include "stemtel/page.h"

#include <stdlib.h>

#include "util/jsonrec.h"

int st_page_read(const st_model *m, const double *blank, const void *bytes, size_t len,
                 const char *name, int page, st_reader *rd, st_ballot *b,
                 st_sheet *sheet, int *is_sheet)
{
    st_error err = {0};
    int found = 0, rc = st_ballot_read(m, blank, bytes, len, name, page, rd, b);
    *is_sheet = 0;
    /* A sheet has no registration marks, so only rejected pages can be one. */
    if (rc || b->outcome.kind != ST_OUTCOME_REJECTED)
        return rc;
    const st_image *coarse = st_reader_coarse(rd, b);
    if (!coarse)
        return ST_OK;
    rc = st_sheet_detect(coarse, ST_SHEET_INK, &found, sheet, &err);
    if (rc == ST_ERR_NOMEM)
        return rc;
    if (rc) {
        /* A sheet we cannot use: which station follows is unknown. */
        *is_sheet = -1;
        st_outcome_reject(&b->outcome, ST_REJECT_BAD_SHEET);
        snprintf(b->message, sizeof b->message, "%s: page %d: %s", name, page, err.msg);
        return ST_OK;
    }
    *is_sheet = found;
    return ST_OK;
}

void st_page_print_hex(const uint8_t *print, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (int c = 0; c < ST_PRINT_CELLS; c++) {
        hex[2 * c] = digits[print[c] >> 4];
        hex[2 * c + 1] = digits[print[c] & 15];
    }
    hex[2 * ST_PRINT_CELLS] = '\0';
}

static const char *state_name(st_box_state s)
{
    return s == ST_BOX_MARKED ? "marked" : s == ST_BOX_MARGINAL ? "marginal" : "empty";
}

/* The outcome, its reasons and, for review, the proposal. */
static void put_outcome(st_jsonrec *w, const st_outcome *o)
{
    st_jsonrec_str(w, "outcome", st_outcome_name(o->kind));
    if (o->kind == ST_OUTCOME_VOTE) {
        st_jsonrec_int(w, "list", o->list);
        st_jsonrec_int(w, "candidate", o->candidate);
        st_jsonrec_bool(w, "party_only", o->party_only);
    }
    st_jsonrec_arr(w, "reasons");
    for (int i = 0; i < o->n_reasons; i++)
        st_jsonrec_str(w, NULL, o->reasons[i]);
    st_jsonrec_end(w);
    if (o->kind == ST_OUTCOME_REVIEW) {
        st_jsonrec_obj(w, "proposal");
        st_jsonrec_str(w, "outcome", st_outcome_name(o->proposal));
        if (o->proposal == ST_OUTCOME_VOTE) {
            st_jsonrec_int(w, "list", o->proposal_list);
            st_jsonrec_int(w, "candidate", o->proposal_candidate);
        }
        st_jsonrec_end(w);
    }
}

/* The decoded image and the registration found on it. */
static void put_geometry(st_jsonrec *w, const st_ballot *b)
{
    const st_registration *r = &b->reg;
    st_jsonrec_obj(w, "image");
    st_jsonrec_int(w, "w", b->info.w);
    st_jsonrec_int(w, "h", b->info.h);
    st_jsonrec_num(w, "dpi", b->info.dpi_x, 2, 1);
    st_jsonrec_bool(w, "dpi_from_tag", b->info.dpi_from_tag);
    st_jsonrec_int(w, "bits", b->info.bits);
    st_jsonrec_int(w, "samples", b->info.spp);
    st_jsonrec_num(w, "read_scale", b->info.scale, 3, 1);
    st_jsonrec_end(w);
    if (r->marks_found <= 0 && !(r->ok && r->by_grid))
        return;
    st_jsonrec_obj(w, "registration");
    st_jsonrec_int(w, "marks", r->marks_found);
    /* What placed the page: every mark, some marks confirmed by the box
     * outlines, or the printed box grid alone. */
    if (r->ok)
        st_jsonrec_str(w, "placed_by", r->by_grid ? "grid" : r->by_outlines ? "outlines" : "marks");
    st_jsonrec_bool(w, "upside_down", r->upside_down);
    st_jsonrec_num(w, "rotation_deg", r->rotation_deg, 3, 1);
    st_jsonrec_num(w, "scale", r->scale, 4, 1);
    st_jsonrec_num(w, "rms_mm", r->rms_mm, 3, 1);
    st_jsonrec_num(w, "dpi", r->dpi, 2, 1);
    st_jsonrec_arr(w, "transform");
    for (int i = 0; i < 6; i++)
        st_jsonrec_num(w, NULL, r->xform.m[i], 4, 1);
    st_jsonrec_end(w);
    st_jsonrec_end(w);
}

/* Writing found outside the boxes, and every box's score and place. */
static void put_boxes(st_jsonrec *w, const st_model *m, const st_ballot *b)
{
    if (b->outcome.kind != ST_OUTCOME_REJECTED) {
        if (b->writing.found) {
            st_jsonrec_obj(w, "writing");
            st_jsonrec_num(w, "area_mm2", b->writing.area_mm2, 1, 1);
            st_jsonrec_arr(w, "at_mm");
            st_jsonrec_num(w, NULL, b->writing.x_mm, 1, 1);
            st_jsonrec_num(w, NULL, b->writing.y_mm, 1, 1);
            st_jsonrec_end(w);
            st_jsonrec_end(w);
        } else {
            st_jsonrec_null(w, "writing");
        }
        /* Boxes crossed by a dark scan-line streak went to review. */
        if (b->writing.n_streak_cols)
            st_jsonrec_int(w, "scanner_streaks", b->writing.n_streak_cols);
        /* The page's faint level, taken from every box's faint share. */
        if (b->faint_base[0] > 0 || b->faint_base[1] > 0) {
            st_jsonrec_arr(w, "faint_base");
            st_jsonrec_num(w, NULL, b->faint_base[0], 4, 1);
            st_jsonrec_num(w, NULL, b->faint_base[1], 4, 1);
            st_jsonrec_end(w);
        }
        /* Folds found: their bands were left out of the boxes they cross. */
        if (b->n_folds) {
            st_jsonrec_arr(w, "folds");
            for (int i = 0; i < b->n_folds; i++) {
                const st_fold *f = &b->folds[i];
                st_jsonrec_obj(w, NULL);
                st_jsonrec_arr(w, "from_mm");
                st_jsonrec_num(w, NULL, f->x0, 1, 1);
                st_jsonrec_num(w, NULL, f->y0, 1, 1);
                st_jsonrec_end(w);
                st_jsonrec_arr(w, "to_mm");
                st_jsonrec_num(w, NULL, f->x1, 1, 1);
                st_jsonrec_num(w, NULL, f->y1, 1, 1);
                st_jsonrec_end(w);
                st_jsonrec_num(w, "half_mm", f->half_mm, 2, 1);
                st_jsonrec_end(w);
            }
            st_jsonrec_end(w);
        }
    }
    st_jsonrec_arr(w, "boxes");
    for (int i = 0; i < m->n_targets; i++) {
        const st_box *x = &b->boxes[i];
        st_jsonrec_obj(w, NULL);
        st_jsonrec_str(w, "id", m->targets[i].id);
        st_jsonrec_num(w, "score", x->score, 4, 1);
        st_jsonrec_num(w, "faint", x->faint, 4, 1);
        st_jsonrec_str(w, "state", state_name(x->state));
        st_jsonrec_arr(w, "shift_px");
        st_jsonrec_num(w, NULL, b->places[i].dx, 1, 1);
        st_jsonrec_num(w, NULL, b->places[i].dy, 1, 1);
        st_jsonrec_end(w);
        st_jsonrec_int(w, "edges", b->places[i].edges);
        if (x->state != ST_BOX_EMPTY && b->outcome.kind != ST_OUTCOME_REJECTED) {
            char hex[2 * ST_PRINT_CELLS + 1];
            st_page_print_hex(b->prints + (size_t)i * ST_PRINT_CELLS, hex);
            st_jsonrec_str(w, "print", hex);
        }
        st_jsonrec_end(w);
    }
    st_jsonrec_end(w);
}

void st_page_write_record(FILE *f, const st_model *m, const char *station,
                          const char *path, const char *sha256, int page,
                          const st_ballot *b)
{
    st_jsonrec w;
    st_jsonrec_start(&w, f);
    st_jsonrec_obj(&w, NULL);
    st_jsonrec_str(&w, "file", path);
    st_jsonrec_int(&w, "page", page);
    st_jsonrec_str(&w, "sha256", sha256);
    st_jsonrec_str(&w, "station", station);
    put_outcome(&w, &b->outcome);
    if (b->message[0])
        st_jsonrec_str(&w, "message", b->message);
    if (b->decoded)
        put_geometry(&w, b);
    if (b->decoded && b->reg.ok)
        put_boxes(&w, m, b);
    st_jsonrec_end(&w);
    fputc('\n', f);
}

char *st_page_record(const st_model *m, const char *station, const char *path,
                     const char *sha256, int page, const st_ballot *b)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    st_page_write_record(f, m, station, path, sha256, page, b);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    buf[len - 1] = '\0'; /* no newline */
    return buf;
}
