/* screens.c - what the sitting's screens show, as JSON for `stemtel serve`
 *
 * Both documents start from a reconciliation report, which already holds
 * every station's figures with decisions applied and the municipality's
 * total; the operator's adds two short walks of the store: the latest
 * pages (st_store_each_recent) and the undecided rejected pages and
 * possible rescans (the warnings), without their records. Built with json-c
 * and printed plain (one line, slashes unescaped): strict JSON.
 */
#include "stemtel/screens.h"
#include "util/jsonfmt.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

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

int st_screen_operator_json(st_store *s, const st_recon *r, int n_recent, int n_warnings,
                            char **out, st_error *err)
{
    if (n_recent < 1 || n_warnings < 1)
        return st_error_set(err, ST_ERR_ARG, "screens: want at least one recent page and "
                                             "one warning, not %d and %d", n_recent, n_warnings);
    json_object *root = json_object_new_object(), *recent = json_object_new_array();
    warn_ctx w = {json_object_new_array(), n_warnings, 0};
    int rc = st_store_each_recent(s, n_recent, add_recent, recent, err);
    if (!rc)
        rc = st_store_each(s, ST_STORE_OPEN_WARN | ST_STORE_BRIEF, add_warning, &w, err);
    if (rc) {
        json_object_put(root);
        json_object_put(recent);
        json_object_put(w.list);
        return rc;
    }
    json_object_object_add(root, "election", election_json(r->model));
    json_object_object_add(root, "stations", stations_json(r, 1));
    json_object_object_add(root, "totals", totals_json(r));
    json_object_object_add(root, "no_station", jint(r->no_station));
    json_object_object_add(root, "final", json_object_new_boolean(r->n_blocks == 0));
    json_object_object_add(root, "pages", jint(r->pages));
    json_object_object_add(root, "recent", recent);
    json_object_object_add(root, "warnings", w.list);
    json_object_object_add(root, "warnings_total", jint(w.total));
    json_object *blocks = json_object_new_array();
    for (int i = 0; i < r->n_blocks; i++)
        json_object_array_add(blocks, json_object_new_string(r->blocks[i]));
    json_object_object_add(root, "blocks", blocks);
    return finish(root, out, err);
}
