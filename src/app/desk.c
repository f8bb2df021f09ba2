/* desk.c - the adjudication desk of `stemtel serve`: its documents and its decision
 *
 * The queue is one walk of the open ballots (st_store_each) after one of
 * the batches (st_store_batches_each), which gives each (batch, station)
 * group its first page: a ballot's position in its batch is its id less
 * that, plus one, as pages are stored in the order they were fed. The
 * documents are built with json-c and printed plain: strict JSON, the
 * text from the store never interpreted by the page (which uses
 * textContent only). Under four eyes a ballot with a proposal waiting
 * stays in the queue (it is still open) with the proposal beside it.
 */
#include "app/desk.h"
#include "sources/filebytes.h"
#include "util/jsonfmt.h"
#include "stemtel/proof.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Half the scan's pixels: a 200 dpi A3 page stays sharp on a screen and
 * costs a quarter of the encoding. */
#define DESK_PNG_SCALE 0.5

typedef struct group {
    int64_t batch, first_id;
    char *station;
} group;

typedef struct groups {
    group *v;
    int n, cap;
} groups;

static int keep_group(void *ctx, const st_store_group *g)
{
    groups *gs = ctx;
    if (gs->n == gs->cap) {
        int cap = gs->cap ? 2 * gs->cap : 16;
        group *nv = realloc(gs->v, (size_t)cap * sizeof *nv);
        if (!nv)
            return ST_ERR_NOMEM;
        gs->v = nv;
        gs->cap = cap;
    }
    group *x = &gs->v[gs->n];
    x->batch = g->batch;
    x->first_id = g->first_id;
    x->station = g->station ? strdup(g->station) : NULL;
    if (g->station && !x->station)
        return ST_ERR_NOMEM;
    gs->n++;
    return ST_OK;
}

static void groups_free(groups *gs)
{
    for (int i = 0; i < gs->n; i++)
        free(gs->v[i].station);
    free(gs->v);
}

/* b's position in its batch (under its station now), 1 first; 0 unknown. */
static int64_t position(const groups *gs, const st_store_ballot *b)
{
    for (int i = 0; i < gs->n; i++) {
        const group *g = &gs->v[i];
        if (g->batch == b->batch && (g->station && b->station ? !strcmp(g->station, b->station)
                                                               : g->station == b->station))
            return b->id - g->first_id + 1;
    }
    return 0;
}

static json_object *jstr(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *reasons_json(const st_outcome *o)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < o->n_reasons; i++)
        json_object_array_add(a, json_object_new_string(o->reasons[i]));
    return a;
}

/* What the software proposes for o, as decide takes it; "" when it
 * proposes nothing a person could accept as it is. */
static void proposal_text(const st_outcome *o, char *buf, size_t n)
{
    st_outcome p = {.kind = o->proposal,
                    .list = o->proposal_list,
                    .candidate = o->proposal_candidate,
                    .party_only = o->proposal_party_only};
    if (o->proposal_reason[0]) {
        p.n_reasons = 1;
        snprintf(p.reasons[0], ST_REASON_MAX, "%s", o->proposal_reason);
    }
    if (p.kind == ST_OUTCOME_REVIEW || p.kind == ST_OUTCOME_REJECTED)
        buf[0] = 0;
    else
        st_decision_text(&p, buf, n);
}

/* Where b lies and what it is: the fields the queue and the ballot share. */
static json_object *ballot_head(const groups *gs, const st_store_ballot *b)
{
    const st_outcome *o = st_store_ballot_outcome(b);
    char prop[64];
    proposal_text(o, prop, sizeof prop);
    json_object *j = json_object_new_object();
    json_object_object_add(j, "id", json_object_new_int64(b->id));
    json_object_object_add(j, "station", jstr(b->station));
    json_object_object_add(j, "batch", json_object_new_int64(b->batch));
    json_object_object_add(j, "position", json_object_new_int64(position(gs, b)));
    json_object_object_add(j, "kind", json_object_new_string(st_outcome_name(o->kind)));
    json_object_object_add(j, "reasons", reasons_json(o));
    json_object_object_add(j, "proposal", json_object_new_string(prop));
    json_object_object_add(j, "file", jstr(b->file));
    json_object_object_add(j, "page", json_object_new_int(b->page));
    return j;
}

/* A proposal waiting for a second member as JSON {as, by, at, note}. */
static json_object *pending_json(const st_store_proposal *p)
{
    char as[64];
    json_object *o = json_object_new_object();
    json_object_object_add(o, "as", json_object_new_string(st_decision_text(&p->o, as, sizeof as)));
    json_object_object_add(o, "by", json_object_new_string(p->by));
    json_object_object_add(o, "at", json_object_new_string(p->at));
    json_object_object_add(o, "note", jstr(p->note));
    return o;
}

/* The waiting proposals by ballot, in ballot order (as the walk gives). */
typedef struct pendings {
    int64_t *id;
    json_object **doc;
    int n, cap;
} pendings;

static int keep_pending(void *ctx, const st_store_proposal *p)
{
    pendings *ps = ctx;
    if (ps->n == ps->cap) {
        int cap = ps->cap ? 2 * ps->cap : 16;
        int64_t *ni = realloc(ps->id, (size_t)cap * sizeof *ni);
        if (ni)
            ps->id = ni;
        json_object **nd = ni ? realloc(ps->doc, (size_t)cap * sizeof *nd) : NULL;
        if (!nd)
            return ST_ERR_NOMEM;
        ps->doc = nd;
        ps->cap = cap;
    }
    ps->id[ps->n] = p->ballot;
    ps->doc[ps->n++] = pending_json(p);
    return ST_OK;
}

static void pendings_free(pendings *ps)
{
    for (int i = 0; i < ps->n; i++)
        json_object_put(ps->doc[i]);
    free(ps->id);
    free(ps->doc);
}

/* Ballot id's waiting proposal as a new reference, or NULL. */
static json_object *pending_of(const pendings *ps, int64_t id)
{
    int lo = 0, hi = ps->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (ps->id[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < ps->n && ps->id[lo] == id ? json_object_get(ps->doc[lo]) : NULL;
}

/* The proposals waiting on id (0: all) into *ps. */
static int load_pending(st_store *s, int64_t id, pendings *ps, st_error *err)
{
    int rc = st_store_pending_each(s, id, keep_pending, ps, err);
    return rc == ST_ERR_NOMEM ? st_error_set(err, rc, "desk: out of memory") : rc;
}

typedef struct queue_walk {
    const groups *gs;
    const pendings *ps;
    json_object *queue;
} queue_walk;

static int queue_one(void *ctx, st_store_ballot *b)
{
    queue_walk *w = ctx;
    json_object *j = ballot_head(w->gs, b);
    json_object_object_add(j, "pending", pending_of(w->ps, b->id));
    json_object_array_add(w->queue, j);
    return ST_OK;
}

static const char *field(json_object *o, const char *k)
{
    json_object *v = NULL;
    return json_object_object_get_ex(o, k, &v) && v ? json_object_get_string(v) : "";
}

/* Station, then first reason, then id: the queue as the GSB works it. */
static int by_station_reason(const void *a, const void *b)
{
    json_object *x = *(json_object *const *)a, *y = *(json_object *const *)b;
    int c = strcmp(field(x, "station"), field(y, "station"));
    json_object *rx = NULL, *ry = NULL;
    json_object_object_get_ex(x, "reasons", &rx);
    json_object_object_get_ex(y, "reasons", &ry);
    const char *sx = json_object_array_length(rx) ? json_object_get_string(json_object_array_get_idx(rx, 0)) : "";
    const char *sy = json_object_array_length(ry) ? json_object_get_string(json_object_array_get_idx(ry, 0)) : "";
    if (!c)
        c = strcmp(sx, sy);
    if (!c) {
        int64_t ix = json_object_get_int64(json_object_object_get(x, "id"));
        int64_t iy = json_object_get_int64(json_object_object_get(y, "id"));
        c = (ix > iy) - (ix < iy);
    }
    return c;
}

static json_object *reason_list(const st_model *m, st_outcome_kind kind)
{
    int n;
    const char *const *v = st_decision_reason_codes(kind, &n);
    json_object *a = json_object_new_array();
    for (int i = 0; i < n; i++)
        if (st_decision_reason_ok(m, kind, v[i]))
            json_object_array_add(a, json_object_new_string(v[i]));
    return a;
}

/* The document's text into *out; takes root's reference. */
static int finish(json_object *root, char **out, st_error *err)
{
    return st_json_finish(root, "desk", out, err);
}

int st_desk_queue_json(st_store *s, const char *member, const char *csrf, int four_eyes,
                       char **out, st_error *err)
{
    groups gs = {0};
    pendings ps = {0};
    json_object *root = json_object_new_object(), *q = json_object_new_array();
    json_object *stations = json_object_new_array(), *reasons = json_object_new_object();
    json_object *lists = json_object_new_array();
    json_object_object_add(root, "member", jstr(member));
    json_object_object_add(root, "csrf", jstr(csrf));
    json_object_object_add(root, "queue", q);
    json_object_object_add(root, "stations", stations);
    json_object_object_add(root, "reasons", reasons);
    json_object_object_add(root, "lists", lists);
    json_object_object_add(root, "four_eyes", json_object_new_boolean(four_eyes));
    queue_walk w = {&gs, &ps, q};
    int rc = st_store_batches_each(s, keep_group, &gs, err);
    if (rc == ST_ERR_NOMEM)
        st_error_set(err, rc, "desk: out of memory");
    if (!rc)
        rc = load_pending(s, 0, &ps, err);
    if (!rc)
        rc = st_store_each(s, ST_STORE_OPEN | ST_STORE_BRIEF, queue_one, &w, err);
    groups_free(&gs);
    pendings_free(&ps);
    if (rc) {
        json_object_put(root);
        return rc;
    }
    json_object_array_sort(q, by_station_reason);
    for (size_t i = 0; i < json_object_array_length(q); i++) {
        const char *st = field(json_object_array_get_idx(q, i), "station");
        size_t last = json_object_array_length(stations);
        json_object *prev = last ? json_object_array_get_idx(stations, last - 1) : NULL;
        if (prev && !strcmp(field(prev, "id"), st)) {
            json_object *n = json_object_object_get(prev, "open");
            json_object_set_int64(n, json_object_get_int64(n) + 1);
            continue;
        }
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(st));
        json_object_object_add(o, "open", json_object_new_int64(1));
        json_object_array_add(stations, o);
    }
    const st_model *m = st_store_model(s);
    json_object_object_add(reasons, "invalid", reason_list(m, ST_OUTCOME_INVALID));
    json_object_object_add(reasons, "void", reason_list(m, ST_OUTCOME_VOID));
    for (int i = 0; i < m->n_lists; i++) {
        json_object *l = json_object_new_object();
        json_object_object_add(l, "number", json_object_new_int(m->lists[i].number));
        json_object_object_add(l, "name", json_object_new_string(m->lists[i].name));
        json_object_object_add(l, "candidates", json_object_new_int(m->lists[i].n_candidates));
        json_object_array_add(lists, l);
    }
    return finish(root, out, err);
}

static int history_one(void *ctx, const st_store_event *e)
{
    json_object *h = json_object_new_object();
    char what[160], dec[64];
    if (e->move)
        snprintf(what, sizeof what, "move:%s", e->to_station);
    else if (e->proposed)
        snprintf(what, sizeof what, "proposed:%s",
                 st_decision_text(&e->decision, dec, sizeof dec));
    else
        st_decision_text(&e->decision, what, sizeof what);
    json_object_object_add(h, "confirmed_by", jstr(e->confirmed_by));
    json_object_object_add(h, "confirmed_at", jstr(e->confirmed_at));
    json_object_object_add(h, "at", json_object_new_string(e->at));
    json_object_object_add(h, "by", json_object_new_string(e->by));
    json_object_object_add(h, "what", json_object_new_string(what));
    json_object_object_add(h, "note", jstr(e->note));
    json_object_array_add(ctx, h);
    return ST_OK;
}

/* The record's boxes, each {id, state, score}; an empty array when it
 * has none (a rejected page). */
static json_object *boxes_json(const char *record)
{
    json_object *rec = json_tokener_parse(record), *boxes = NULL, *a = json_object_new_array();
    if (rec && json_object_object_get_ex(rec, "boxes", &boxes))
        for (size_t i = 0; i < json_object_array_length(boxes); i++) {
            json_object *b = json_object_array_get_idx(boxes, i), *o = json_object_new_object();
            json_object_object_add(o, "id", json_object_new_string(field(b, "id")));
            json_object_object_add(o, "state", json_object_new_string(field(b, "state")));
            json_object *sc = json_object_object_get(b, "score");
            json_object_object_add(o, "score", sc ? json_object_get(sc) : NULL);
            json_object_array_add(a, o);
        }
    json_object_put(rec);
    return a;
}

/* The boxes with ink as areas of the drawn page, each {id, state, score,
 * x, y, w, h} (fractions of the upright page); [] when it cannot be
 * drawn. */
static json_object *areas_json(const st_model *m, const char *record)
{
    st_proof_area v[64];
    json_object *a = json_object_new_array();
    int n = st_proof_areas(m, record, v, (int)(sizeof v / sizeof v[0]), NULL);
    for (int i = 0; i < n; i++) {
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(v[i].id));
        json_object_object_add(o, "state", json_object_new_string(v[i].state));
        json_object_object_add(o, "score", st_json_num(v[i].score, 3));
        json_object_object_add(o, "x", st_json_num(v[i].x, 5));
        json_object_object_add(o, "y", st_json_num(v[i].y, 5));
        json_object_object_add(o, "w", st_json_num(v[i].w, 5));
        json_object_object_add(o, "h", st_json_num(v[i].h, 5));
        json_object_array_add(a, o);
    }
    return a;
}

int st_desk_ballot_json(st_store *s, int64_t id, char **out, st_error *err)
{
    groups gs = {0};
    pendings ps = {0};
    st_store_ballot b = {0};
    char dec[64];
    int rc = st_store_batches_each(s, keep_group, &gs, err);
    if (rc == ST_ERR_NOMEM)
        st_error_set(err, rc, "desk: out of memory");
    if (rc || (rc = st_store_get(s, id, &b, err)) || (rc = load_pending(s, id, &ps, err))) {
        groups_free(&gs);
        pendings_free(&ps);
        st_store_ballot_clear(&b);
        return rc;
    }
    json_object *j = ballot_head(&gs, &b), *hist = json_object_new_array();
    groups_free(&gs);
    json_object_object_add(j, "pending", b.decided ? NULL : pending_of(&ps, id));
    pendings_free(&ps);
    json_object_object_add(j, "counted_station", jstr(b.counted_station));
    json_object_object_add(j, "found", json_object_new_string(st_outcome_name(b.found.kind)));
    json_object_object_add(j, "decided", json_object_new_boolean(b.decided));
    json_object_object_add(j, "decision", b.decided ? json_object_new_string(
                                              st_decision_text(&b.decision, dec, sizeof dec))
                                                    : NULL);
    json_object_object_add(j, "decided_by", jstr(b.decided_by));
    json_object_object_add(j, "decided_at", jstr(b.decided_at));
    json_object_object_add(j, "confirmed_by", jstr(b.confirmed_by));
    json_object_object_add(j, "confirmed_at", jstr(b.confirmed_at));
    json_object_object_add(j, "rescan_of", json_object_new_int64(b.rescan_of));
    json_object_object_add(j, "drawable",
                           json_object_new_boolean(!st_proof_check(b.record, "", 0, NULL)));
    json_object_object_add(j, "areas", areas_json(st_store_model(s), b.record));
    json_object_object_add(j, "boxes", boxes_json(b.record));
    json_object_object_add(j, "history", hist);
    st_store_ballot_clear(&b);
    if ((rc = st_store_history(s, id, history_one, hist, err))) {
        json_object_put(j);
        return rc;
    }
    return finish(j, out, err);
}

int st_desk_page_png(st_store *s, int64_t id, unsigned char **png, size_t *len,
                     st_error *err)
{
    st_store_ballot b = {0};
    st_filebytes fb = {0};
    int rc = st_store_get(s, id, &b, err);
    if (rc)
        return rc;
    if (!b.file) {
        rc = st_error_set(err, ST_ERR_ARG, "desk: ballot %lld has no file to show",
                          (long long)id);
        goto out;
    }
    if ((rc = st_proof_check(b.record, b.file, b.page, err))) {
        rc = ST_ERR_ARG;
        goto out;
    }
    if ((rc = st_filebytes_open(&fb, b.file, err)))
        goto out;
    rc = st_proof_png_mem(st_store_model(s), fb.bytes, fb.len, b.file, b.page, b.record,
                          DESK_PNG_SCALE, png, len, err);
out:
    st_filebytes_close(&fb);
    st_store_ballot_clear(&b);
    return rc;
}

int st_desk_decide(st_store *w, int64_t id, const char *as, const char *by, const char *note,
                   int four_eyes, st_error *err)
{
    st_outcome o;
    int rc = st_decision_parse(st_store_model(w), as, &o, err);
    if (rc)
        return rc;
    return four_eyes ? st_store_propose(w, id, &o, by, note, err)
                     : st_store_decide(w, id, &o, by, note, err);
}
