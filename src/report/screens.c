/* screens.c - what the sitting's screens show, as JSON for `stemtel serve`
 *
 * Every document starts from a reconciliation report, which already holds
 * every station's figures with decisions applied and the municipality's
 * total; the operator's adds short walks of the store: the latest
 * pages (st_store_each_recent), the undecided rejected pages and
 * possible rescans (the warnings), without their records, and each
 * source's progress (st_store_sources), whose state and pace come from
 * the times its pages were committed. Built with json-c and printed plain
 * (one line, slashes unescaped): strict JSON.
 */
#include "stemtel/screens.h"
#include "util/jsonfmt.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A source that committed a page in the last this many seconds is
 * counting, and its pace is taken over as long. */
#define SCREEN_SOURCE_WINDOW 10.0

static json_object *jint(int64_t v)
{
    return json_object_new_int64(v);
}

static json_object *jstr_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *election_json(const st_model *m)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(m->election_id));
    json_object_object_add(o, "name", json_object_new_string(m->election_name));
    json_object_object_add(o, "municipality", json_object_new_string(m->municipality_name));
    return o;
}

/* A reconciled station's votes per list, ours beside its basistelling's. */
static json_object *station_lists(const st_model *m, const st_recon_station *s)
{
    json_object *a = json_object_new_array();
    for (int l = 0; l < m->n_lists; l++) {
        int number = m->lists[l].number;
        json_object *o = json_object_new_object();
        json_object_object_add(o, "number", json_object_new_int(number));
        json_object_object_add(o, "name", json_object_new_string(m->lists[l].name));
        json_object_object_add(o, "votes", jint(st_tally_list_total(s->tally, number)));
        json_object_object_add(o, "basis", jint(st_basis_list_votes(&s->basis, number)));
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *stations_json(const st_recon *r, int operator_view)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < r->n; i++) {
        const st_recon_station *s = &r->st[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "id", json_object_new_string(s->station));
        json_object_object_add(o, "name", jstr_or_null(s->listed_name));
        json_object_object_add(o, "state", json_object_new_string(s->state));
        json_object_object_add(o, "pages", jint(s->pages.pages));
        json_object_object_add(o, "counted", jint(s->ours.H));
        json_object_object_add(o, "review", jint(s->ours.review));
        json_object_object_add(o, "rejected", jint(s->ours.rejected));
        json_object_object_add(o, "voided", jint(s->ours.voided));
        if (operator_view) {
            json_object_object_add(o, "open_review", jint(s->pages.open_review));
            json_object_object_add(o, "open_rejected", jint(s->pages.open_rejected));
        } else if (s->has_basis && !strcmp(s->state, ST_RECON_RECONCILED)) {
            json_object_object_add(o, "lists", station_lists(r->model, s));
        }
        json_object_array_add(a, o);
    }
    return a;
}

static json_object *totals_json(const st_recon *r)
{
    json_object *o = json_object_new_object(), *lists = json_object_new_array();
    const st_model *m = r->model;
    for (int l = 0; l < m->n_lists; l++) {
        json_object *lj = json_object_new_object();
        json_object_object_add(lj, "number", json_object_new_int(m->lists[l].number));
        json_object_object_add(lj, "name", json_object_new_string(m->lists[l].name));
        json_object_object_add(lj, "total",
                               jint(st_tally_list_total(r->total, m->lists[l].number)));
        json_object_array_add(lists, lj);
    }
    st_tally_totals t;
    st_tally_get_totals(r->total, &t);
    json_object_object_add(o, "lists", lists);
    json_object_object_add(o, "E", jint(t.E));
    json_object_object_add(o, "F", jint(t.F));
    json_object_object_add(o, "G", jint(t.G));
    json_object_object_add(o, "H", jint(t.H));
    json_object_object_add(o, "review", jint(t.review));
    json_object_object_add(o, "rejected", jint(t.rejected));
    json_object_object_add(o, "voided", jint(t.voided));
    return o;
}

/* The document's text into *out; takes root's reference. */
static int finish(json_object *root, char **out, st_error *err)
{
    return st_json_finish(root, "screens", out, err);
}

int st_screen_public_json(const st_recon *r, char **out, st_error *err)
{
    json_object *root = json_object_new_object();
    json_object_object_add(root, "election", election_json(r->model));
    json_object_object_add(root, "stations", stations_json(r, 0));
    json_object_object_add(root, "totals", totals_json(r));
    json_object_object_add(root, "no_station", jint(r->no_station));
    json_object_object_add(root, "final", json_object_new_boolean(r->n_blocks == 0));
    return finish(root, out, err);
}

/* The name of a page's file without its folder. */
static const char *base_name(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path ? path : "";
}

static json_object *page_json(const st_store_ballot *b)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", jint(b->id));
    json_object_object_add(o, "station", jstr_or_null(b->station));
    json_object_object_add(o, "file", json_object_new_string(base_name(b->file)));
    json_object_object_add(o, "page", json_object_new_int(b->page));
    return o;
}

static int add_recent(void *ctx, st_store_ballot *b)
{
    const st_outcome *o = st_store_ballot_outcome(b);
    json_object *p = page_json(b), *reasons = json_object_new_array();
    json_object_object_add(p, "outcome", json_object_new_string(st_outcome_name(o->kind)));
    for (int i = 0; i < o->n_reasons && i < ST_MAX_REASONS; i++)
        json_object_array_add(reasons, json_object_new_string(o->reasons[i]));
    json_object_object_add(p, "reasons", reasons);
    json_object_object_add(p, "decided", json_object_new_boolean(b->decided));
    json_object_array_add(ctx, p);
    return ST_OK;
}

typedef struct warn_ctx {
    json_object *list;
    int max;
    int64_t total;
} warn_ctx;

static int add_warning(void *ctx, st_store_ballot *b)
{
    warn_ctx *w = ctx;
    int rejected = b->found.kind == ST_OUTCOME_REJECTED;
    if (!rejected && !b->rescan_of)
        return ST_OK;
    json_object *p = page_json(b);
    json_object_object_add(p, "kind",
                           json_object_new_string(b->rescan_of ? "possible_rescan" : "rejected"));
    json_object_object_add(p, "reason", json_object_new_string(
                                            b->found.n_reasons ? b->found.reasons[0] : ""));
    if (b->rescan_of) {
        json_object_object_add(p, "rescan_of", jint(b->rescan_of));
        json_object_object_add(p, "similarity", st_json_num(b->rescan_similarity, 3));
    }
    w->total++;
    json_object_array_add(w->list, p);
    /* Keep only the latest: the walk is in id order. */
    if ((int)json_object_array_length(w->list) > w->max)
        json_object_array_del_idx(w->list, 0, 1);
    return ST_OK;
}

/* What blocks a final result, in English or in Dutch. */
static json_object *blocks_json(const st_recon *r, int dutch)
{
    json_object *a = json_object_new_array();
    for (int i = 0; i < r->n_blocks; i++)
        json_object_array_add(a, json_object_new_string(dutch ? r->blocks_nl[i]
                                                              : r->blocks[i]));
    return a;
}

/* The sources of the latest run with their state and pace at now; a
 * source gone quiet while another still counts is also a warning. */
static json_object *sources_json(const st_store_source *v, int n, double now,
                                 json_object *warnings, int64_t *n_warnings)
{
    json_object *a = json_object_new_array();
    int counting = 0;
    for (int i = 0; i < n; i++)
        counting += v[i].pages && now - v[i].last_at <= SCREEN_SOURCE_WINDOW;
    for (int i = 0; i < n; i++) {
        const st_store_source *x = &v[i];
        json_object *o = json_object_new_object();
        int active = x->pages && now - x->last_at <= SCREEN_SOURCE_WINDOW;
        double span = now - x->first_at;
        if (span > SCREEN_SOURCE_WINDOW)
            span = SCREEN_SOURCE_WINDOW;
        if (span < 1)
            span = 1;
        json_object_object_add(o, "name", json_object_new_string(x->name));
        json_object_object_add(o, "input", json_object_new_string(x->input));
        json_object_object_add(o, "state", json_object_new_string(
                                               !x->pages ? "waiting" : active ? "counting"
                                                                              : "idle"));
        json_object_object_add(o, "station", x->station[0] ? json_object_new_string(x->station)
                                                           : NULL);
        json_object_object_add(o, "batch", json_object_new_int(x->batch));
        json_object_object_add(o, "pages", jint(x->pages));
        json_object_object_add(o, "pages_per_s", st_json_num(active ? x->recent / span : 0, 1));
        json_object_object_add(o, "idle_s", jint(x->pages ? (int64_t)(now - x->last_at) : 0));
        if (x->last_id) {
            json_object_object_add(o, "last_id", jint(x->last_id));
            json_object_object_add(o, "last_file", json_object_new_string(x->last_file));
            json_object_object_add(o, "last_page", json_object_new_int(x->last_page));
        }
        json_object_array_add(a, o);
        if (x->pages && !active && counting) {
            json_object *w = json_object_new_object();
            json_object_object_add(w, "kind", json_object_new_string("source_stopped"));
            json_object_object_add(w, "source", json_object_new_string(x->name));
            json_object_object_add(w, "station", x->station[0]
                                                     ? json_object_new_string(x->station)
                                                     : NULL);
            json_object_object_add(w, "idle_s", jint((int64_t)(now - x->last_at)));
            json_object_array_add(warnings, w);
            (*n_warnings)++;
        }
    }
    return a;
}

int st_screen_operator_json(st_store *s, const st_recon *r, int n_recent, int n_warnings,
                            double now, char **out, st_error *err)
{
    if (n_recent < 1 || n_warnings < 1)
        return st_error_set(err, ST_ERR_ARG, "screens: want at least one recent page and "
                                             "one warning, not %d and %d", n_recent, n_warnings);
    json_object *root = json_object_new_object(), *recent = json_object_new_array();
    warn_ctx w = {json_object_new_array(), n_warnings, 0};
    st_store_source *src = NULL;
    int n_src = 0;
    int rc = st_store_each_recent(s, n_recent, add_recent, recent, err);
    if (!rc)
        rc = st_store_each(s, ST_STORE_OPEN_WARN | ST_STORE_BRIEF, add_warning, &w, err);
    if (!rc)
        rc = st_store_sources(s, now, SCREEN_SOURCE_WINDOW, &src, &n_src, err);
    if (rc) {
        json_object_put(root);
        json_object_put(recent);
        json_object_put(w.list);
        return rc;
    }
    json_object *sources = sources_json(src, n_src, now, w.list, &w.total);
    st_store_sources_free(src);
    json_object_object_add(root, "election", election_json(r->model));
    json_object_object_add(root, "stations", stations_json(r, 1));
    json_object_object_add(root, "totals", totals_json(r));
    json_object_object_add(root, "no_station", jint(r->no_station));
    json_object_object_add(root, "final", json_object_new_boolean(r->n_blocks == 0));
    json_object_object_add(root, "pages", jint(r->pages));
    json_object_object_add(root, "sources", sources);
    json_object_object_add(root, "recent", recent);
    json_object_object_add(root, "warnings", w.list);
    json_object_object_add(root, "warnings_total", jint(w.total));
    json_object_object_add(root, "blocks", blocks_json(r, 0));
    json_object_object_add(root, "blocks_nl", blocks_json(r, 1));
    return finish(root, out, err);
}

int st_screen_reconcile_json(const st_recon *r, char **out, st_error *err)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return st_error_set(err, ST_ERR_NOMEM, "screens: out of memory");
    int rc = st_recon_write_json(r, f, err);
    if (fclose(f) != 0 && !rc)
        rc = st_error_set(err, ST_ERR_NOMEM, "screens: out of memory");
    json_object *root = rc ? NULL : json_tokener_parse(buf);
    free(buf);
    if (rc)
        return rc;
    if (!root)
        return st_error_set(err, ST_ERR_NOMEM, "screens: the reconciliation's JSON cannot "
                                               "be read back");
    json_object_object_add(root, "blocks_nl", blocks_json(r, 1));
    return finish(root, out, err);
}
