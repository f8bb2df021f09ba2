/* reconcile.c - the scanned count beside each polling station's own count
 *
 * st_reconcile walks the store's ballots once, without their records,
 * adding each (decisions applied) to its station's tally and page counts
 * and to the municipality's: a screen polling the report on a store of
 * ten thousand ballots must not read it once per station. Then per
 * station it reads the basistelling, runs the checks on the
 * basistelling and on our figures, works out the list table and the new
 * A..J, and collects what still blocks a final result. The writers only
 * format that plain data: text for the terminal, JSON for programs (built
 * with json-c, keys in a fixed order), and an HTML page with its style
 * inline so it prints as it is.
 */
#include "stemtel/reconcile.h"
#include "util/jsonfmt.h"
#include "util/text.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int add_block(st_recon *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int add_block(st_recon *r, const char *fmt, ...)
{
    char buf[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **nb = realloc(r->blocks, (size_t)(r->n_blocks + 1) * sizeof *nb);
    if (!nb)
        return ST_ERR_NOMEM;
    r->blocks = nb;
    if (!(nb[r->n_blocks] = strdup(buf)))
        return ST_ERR_NOMEM;
    r->n_blocks++;
    return ST_OK;
}

/* Append the checks that fire on in to s->checks, keeping code order
 * (the basistelling's run before ours, and theirs are F2xx/F3xx, ours
 * F4xx and W). */
static int run_checks(st_recon_station *s, const st_checks_in *in)
{
    st_check *v = NULL;
    int n = 0;
    if (st_checks_run(in, &v, &n))
        return ST_ERR_NOMEM;
    if (n) {
        st_recon_check *nc = realloc(s->checks, (size_t)(s->n_checks + n) * sizeof *nc);
        if (!nc) {
            free(v);
            return ST_ERR_NOMEM;
        }
        memcpy(nc + s->n_checks, v, (size_t)n * sizeof *v);
        s->checks = nc;
        s->n_checks += n;
    }
    free(v);
    return ST_OK;
}

/* The Kiesraad's checks on the station's own figures. The form as we
 * take it records neither the D/H box ticked nor the GSB's answers, so
 * F301-F304 and F101-F112 are not run on it. */
static int check_basis(st_recon_station *s)
{
    const st_basis *b = &s->basis;
    st_checks_in in = {.groups = ST_CHECKS_FORM, .A = b->A, .B = b->B, .C = b->C, .D = b->D,
                       .E = b->E, .F = b->F, .G = b->G, .H = b->H, .I = b->I, .J = b->J,
                       .d_known = 1, .n_lists = b->n_lists, .list = b->list, .ex = b->votes,
                       .boxes = ST_BOXES_UNKNOWN,
                       .explained = b->explained ? ST_ANSWER_YES : ST_ANSWER_NO};
    return run_checks(s, &in);
}

/* The candidate-level checks on our own figures, and the warnings (H, F,
 * G ours; D the station's when it has a basistelling). Our E.x is the
 * list total itself, so F403 cannot differ and is not run. */
static int check_ours(const st_model *m, st_recon_station *s)
{
    int n = m->n_lists, rc;
    int *list = calloc((size_t)(n ? n : 1), sizeof *list);
    int64_t *total = calloc((size_t)(n ? n : 1), sizeof *total);
    int64_t *cand = calloc((size_t)(n ? n : 1), sizeof *cand);
    if (!list || !total || !cand) {
        rc = ST_ERR_NOMEM;
        goto out;
    }
    for (int i = 0; i < n; i++) {
        const st_list *l = &m->lists[i];
        list[i] = l->number;
        total[i] = st_tally_list_total(s->tally, l->number);
        for (int c = 1; c <= l->n_candidates; c++)
            cand[i] += st_tally_votes(s->tally, l->number, c);
    }
    const st_tally_totals *x = &s->ours;
    st_checks_in in = {.groups = ST_CHECKS_LISTS | ST_CHECKS_WARN,
                       .D = s->has_basis ? s->basis.D : 0, .d_known = s->has_basis,
                       .E = x->E, .F = x->F, .G = x->G, .H = x->H, .n_lists = n,
                       .list = list, .list_total = total, .cand_sum = cand,
                       .boxes = ST_BOXES_UNKNOWN};
    rc = run_checks(s, &in);
out:
    free(list);
    free(total);
    free(cand);
    return rc;
}

static int build_station(st_store *store, st_recon *r, st_recon_station *s, st_error *err)
{
    const st_model *m = r->model;
    int rc;
    if ((rc = st_basis_load(store, s->station, &s->basis, &s->has_basis, err)))
        return rc;
    st_tally_get_totals(s->tally, &s->ours);
    const st_basis *b = &s->basis;
    if (s->has_basis && check_basis(s))
        goto nomem;
    if (check_ours(m, s))
        goto nomem;
    s->E = s->ours.E;
    s->F = s->ours.F;
    s->G = s->ours.G;
    s->H = s->ours.H;
    if (s->has_basis) {
        s->A = b->A;
        s->B = b->B;
        s->C = b->C;
        s->D = b->D;
        s->h_differs = b->H != s->H;
        s->recount_admitted = s->h_differs || (b->D != b->H && !b->explained);
        s->diff = calloc((size_t)(m->n_lists ? m->n_lists : 1), sizeof *s->diff);
        if (!s->diff)
            goto nomem;
        for (int i = 0; i < m->n_lists; i++) {
            int n = m->lists[i].number;
            int64_t theirs = st_basis_list_votes(b, n), ours = st_tally_list_total(s->tally, n);
            if (theirs != ours)
                s->diff[s->n_diff++] = (st_recon_diff){n, theirs, ours};
        }
    }
    s->I = s->H > s->D ? s->H - s->D : 0;
    s->J = s->D > s->H ? s->D - s->H : 0;
    if (s->pages.open_review &&
        add_block(r, "%s: %lld ballot%s waiting for review", s->station,
                  (long long)s->pages.open_review, s->pages.open_review == 1 ? "" : "s"))
        goto nomem;
    if (s->pages.open_rejected &&
        add_block(r, "%s: %lld rejected page%s not yet decided (count by hand, then `review "
                     "decide`)", s->station, (long long)s->pages.open_rejected,
                  s->pages.open_rejected == 1 ? "" : "s"))
        goto nomem;
    if (s->pages.pages && !s->has_basis &&
        add_block(r, "%s: ballots counted but no basistelling (N 10-2) imported", s->station))
        goto nomem;
    if (!s->pages.pages && s->has_basis && b->H > 0 &&
        add_block(r, "%s: basistelling says %lld ballots, none counted yet", s->station,
                  (long long)b->H))
        goto nomem;
    /* A listed station is accounted for once it has ballots or a
     * basistelling (a station may have none: H = 0); one off the list has
     * only what came in before the list did. */
    if (s->listed && !s->pages.pages && !s->has_basis &&
        add_block(r, "%s: nothing counted and no basistelling yet", s->station))
        goto nomem;
    if (r->n_listed && !s->listed &&
        add_block(r, "%s: not one of the municipality's polling stations (stations import)",
                  s->station))
        goto nomem;
    int open = s->pages.open_review + s->pages.open_rejected > 0;
    int differs = s->h_differs || s->n_diff > 0;
    for (int k = 0; k < s->n_checks; k++)
        differs |= s->checks[k].code[0] == 'F';
    s->state = r->n_listed && !s->listed ? ST_RECON_NOT_LISTED
               : !s->pages.pages         ? ST_RECON_NOT_STARTED
               : open                    ? ST_RECON_IN_REVIEW
               : !s->has_basis           ? ST_RECON_WAITING
               : differs                 ? ST_RECON_DIFFERENCES
                                         : ST_RECON_RECONCILED;
    return ST_OK;
nomem:
    return st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory");
}

/* The walk of every ballot: each into the total and its station's
 * figures, as st_store_tally and st_store_counts_get would count them. */
typedef struct recon_walk {
    st_recon *r;
    int last;               /* the last ballot's station: pages come in runs */
    int rc;                 /* st_tally_add's failure */
} recon_walk;

static int recon_one(void *ctx, st_store_ballot *b)
{
    recon_walk *w = ctx;
    st_recon *r = w->r;
    const st_outcome *o = st_store_ballot_outcome(b);
    if ((w->rc = st_tally_add(r->total, o)))
        return 1;
    r->pages++;
    if (!b->station) {
        r->no_station++;
        return ST_OK;
    }
    if (w->last < 0 || strcmp(r->st[w->last].station, b->station)) {
        w->last = -1;
        for (int i = 0; i < r->n && w->last < 0; i++)
            if (!strcmp(r->st[i].station, b->station))
                w->last = i;
        if (w->last < 0) /* a station that came in after the list was read */
            return ST_OK;
    }
    st_recon_station *s = &r->st[w->last];
    if ((w->rc = st_tally_add(s->tally, o)))
        return 1;
    int open = !b->decided;
    s->pages.pages++;
    s->pages.open_review += open && (b->found.kind == ST_OUTCOME_REVIEW || b->rescan_of);
    s->pages.open_rejected += open && b->found.kind == ST_OUTCOME_REJECTED;
    return ST_OK;
}

/* Every station's and the total's tally and page counts, in one walk. */
static int walk_ballots(st_store *store, st_recon *r, st_error *err)
{
    if (!(r->total = st_tally_new(r->model)))
        return st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory");
    for (int i = 0; i < r->n; i++)
        if (!(r->st[i].tally = st_tally_new(r->model)))
            return st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory");
    recon_walk w = {r, -1, 0};
    int rc = st_store_each(store, ST_STORE_ALL | ST_STORE_BRIEF, recon_one, &w, err);
    if (rc > 0)
        rc = st_error_set(err, ST_ERR_INVALID, "reconcile: a stored ballot does not fit the "
                          "model (%d)", w.rc);
    return rc;
}

/* Keep each listed station's name, in a growing array of r. */
static int keep_listed(void *ctx, const st_station_def *d)
{
    st_recon *r = ctx;
    char **nv = realloc(r->listed, (size_t)(r->n_listed + 1) * 2 * sizeof *nv);
    if (!nv)
        return ST_ERR_NOMEM;
    r->listed = nv;
    nv[2 * r->n_listed] = strdup(d->id);
    nv[2 * r->n_listed + 1] = strdup(d->name);
    r->n_listed++;
    return !nv[2 * r->n_listed - 2] || !nv[2 * r->n_listed - 1] ? ST_ERR_NOMEM : ST_OK;
}

int st_reconcile(st_store *store, st_recon **out, st_error *err)
{
    st_recon *r = calloc(1, sizeof *r);
    char **names = NULL;
    int n = 0, rc;
    if (!r)
        return st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory");
    r->model = st_store_model(store);
    if ((rc = st_store_stations_listed(store, keep_listed, r, err))) {
        if (rc == ST_ERR_NOMEM)
            st_error_set(err, rc, "reconcile: out of memory");
        goto out;
    }
    if ((rc = st_store_stations(store, &names, &n, err)))
        goto out;
    if (!(r->st = calloc((size_t)(n ? n : 1), sizeof *r->st))) {
        rc = st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        r->st[i].station = names[i];
        names[i] = NULL;
        r->n++;
        for (int k = 0; k < r->n_listed; k++)
            if (!strcmp(r->listed[2 * k], r->st[i].station)) {
                r->st[i].listed = 1;
                r->st[i].listed_name = r->listed[2 * k + 1];
            }
    }
    if ((rc = walk_ballots(store, r, err)))
        goto out;
    for (int i = 0; i < n; i++)
        if ((rc = build_station(store, r, &r->st[i], err)))
            goto out;
    if (r->no_station &&
        add_block(r, "%lld ballot%s counted without a polling station (count --station)",
                  (long long)r->no_station, r->no_station == 1 ? "" : "s")) {
        rc = st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory");
        goto out;
    }
    if (!n && add_block(r, "nothing counted yet")) {
        rc = st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory");
        goto out;
    }
    *out = r;
    r = NULL;
out:
    st_store_strings_free(names, n);
    st_recon_free(r);
    return rc;
}

void st_recon_free(st_recon *r)
{
    if (!r)
        return;
    for (int i = 0; i < r->n; i++) {
        st_recon_station *s = &r->st[i];
        free(s->station);
        st_basis_clear(&s->basis);
        st_tally_free(s->tally);
        free(s->checks);
        free(s->diff);
    }
    free(r->st);
    for (int i = 0; i < r->n_blocks; i++)
        free(r->blocks[i]);
    free(r->blocks);
    for (int i = 0; i < 2 * r->n_listed; i++)
        free(r->listed[i]);
    free(r->listed);
    st_tally_free(r->total);
    free(r);
}

/* ---- writers -------------------------------------------------------------- */

static int io_result(FILE *f, st_error *err)
{
    if (fflush(f) != 0 || ferror(f))
        return st_error_set(err, ST_ERR_IO, "reconcile: write failed");
    return ST_OK;
}

/* Item 1 of Bijlage 1: the station's own D/H difference. */
static const char *dh_verdict(const st_basis *b)
{
    if (b->D == b->H)
        return "none";
    return b->explained ? "explained" : "NOT explained: recount the admitted voters";
}

static const char *station_name(const st_recon_station *s)
{
    if (s->listed_name)
        return s->listed_name;
    return s->has_basis && s->basis.name ? s->basis.name : "";
}

/* "3 (rescan 2, not_a_ballot 1)": the station's void pages by reason, the
 * reasons with none left out; "" when there are none. */
static const char *void_summary(const st_recon_station *s, char *buf, size_t n)
{
    buf[0] = '\0';
    if (!s->ours.voided)
        return buf;
    int len = snprintf(buf, n, "%lld (", (long long)s->ours.voided), first = 1;
    int64_t c;
    const char *code;
    for (int i = 0; (code = st_tally_reason_at(s->tally, ST_OUTCOME_VOID, i, &c)); i++)
        if (c && len >= 0 && (size_t)len < n) {
            len += snprintf(buf + len, n - (size_t)len, "%s%s %lld", first ? "" : ", ", code,
                            (long long)c);
            first = 0;
        }
    if (len >= 0 && (size_t)len < n)
        snprintf(buf + len, n - (size_t)len, ")");
    return buf;
}

int st_recon_write_text(const st_recon *r, FILE *f, st_error *err)
{
    const st_model *m = r->model;
    /* Names came from outside: escaped, as the report is read on a
     * terminal (util/text.h). */
    char t1[1024], t2[1024], t3[1024];
    fprintf(f, "Reconciliation: %s (%s %s)\n\n", ST_TEXT_SHOWN(m->election_name, t1),
            ST_TEXT_SHOWN(m->municipality_code, t2), ST_TEXT_SHOWN(m->municipality_name, t3));
    for (int i = 0; i < r->n; i++) {
        const st_recon_station *s = &r->st[i];
        fprintf(f, "== %s %s\n", ST_TEXT_SHOWN(s->station, t1),
                ST_TEXT_SHOWN(station_name(s), t2));
        fprintf(f, "state %s; pages %lld, waiting for review %lld, rejected undecided %lld\n",
                s->state, (long long)s->pages.pages, (long long)s->pages.open_review,
                (long long)s->pages.open_rejected);
        char voids[256];
        if (*void_summary(s, voids, sizeof voids))
            fprintf(f, "void pages (set aside by people, in no figure): %s\n", voids);
        for (int k = 0; k < s->n_checks; k++)
            fprintf(f, "%s %s\n", s->checks[k].code, ST_TEXT_SHOWN(s->checks[k].text, t1));
        if (!s->has_basis) {
            fputs("1. no basistelling imported\n", f);
        } else {
            const st_basis *b = &s->basis;
            fprintf(f, "1. D/H difference of the station (D %lld, H %lld): %s\n",
                    (long long)b->D, (long long)b->H, dh_verdict(b));
        }
        fputs("2. votes per candidate (ours):\n", f);
        for (int l = 0; l < m->n_lists; l++) {
            const st_list *lst = &m->lists[l];
            fprintf(f, "   list %d %s: %lld\n", lst->number, ST_TEXT_SHOWN(lst->name, t1),
                    (long long)st_tally_list_total(s->tally, lst->number));
            for (int c = 1; c <= lst->n_candidates; c++)
                fprintf(f, "     %2d %-44s %6lld\n", c,
                        ST_TEXT_SHOWN(lst->candidates[c - 1].name, t1),
                        (long long)st_tally_votes(s->tally, lst->number, c));
        }
        if (s->has_basis) {
            fprintf(f, "3. H: station %lld, ours %lld: %s\n", (long long)s->basis.H,
                    (long long)s->H,
                    s->h_differs ? "DIFFERENT: recount the admitted voters" : "the same");
            if (!s->n_diff)
                fputs("4. lists whose totals differ: none\n", f);
            else
                fputs("4. lists whose totals differ:\n   list   station      ours  difference\n",
                      f);
            for (int k = 0; k < s->n_diff; k++)
                fprintf(f, "   %4d %9lld %9lld %+11lld\n", s->diff[k].list,
                        (long long)s->diff[k].station, (long long)s->diff[k].ours,
                        (long long)(s->diff[k].ours - s->diff[k].station));
        }
        fprintf(f, "5. new figures: A %lld B %lld C %lld D %lld E %lld F %lld G %lld H %lld "
                   "I %lld J %lld\n\n",
                (long long)s->A, (long long)s->B, (long long)s->C, (long long)s->D,
                (long long)s->E, (long long)s->F, (long long)s->G, (long long)s->H,
                (long long)s->I, (long long)s->J);
    }
    if (r->n_blocks) {
        fputs("NOT FINAL: these block a final result:\n", f);
        for (int i = 0; i < r->n_blocks; i++)
            fprintf(f, "  - %s\n", ST_TEXT_SHOWN(r->blocks[i], t1));
    } else {
        fputs("Nothing blocks a final result.\n", f);
    }
    return io_result(f, err);
}

static json_object *jint(int64_t v)
{
    return json_object_new_int64(v);
}

static json_object *figures_json(int64_t A, int64_t B, int64_t C, int64_t D, int64_t E,
                                 int64_t F, int64_t G, int64_t H, int64_t I, int64_t J)
{
    json_object *o = json_object_new_object();
    const int64_t v[] = {A, B, C, D, E, F, G, H, I, J};
    for (int k = 0; k < 10; k++) {
        char key[2] = {(char)('A' + k), 0};
        json_object_object_add(o, key, jint(v[k]));
    }
    return o;
}

static json_object *station_json(const st_model *m, const st_recon_station *s)
{
    json_object *o = json_object_new_object(), *a;
    json_object_object_add(o, "station", json_object_new_string(s->station));
    json_object_object_add(o, "name", json_object_new_string(station_name(s)));
    json_object_object_add(o, "state", json_object_new_string(s->state));
    json_object_object_add(o, "listed", json_object_new_boolean(s->listed));
    json_object_object_add(o, "pages", jint(s->pages.pages));
    json_object_object_add(o, "open_review", jint(s->pages.open_review));
    json_object_object_add(o, "open_rejected", jint(s->pages.open_rejected));
    json_object *vo = json_object_new_object(), *vr = json_object_new_object();
    json_object_object_add(vo, "total", jint(s->ours.voided));
    int64_t nv;
    const char *code;
    for (int i = 0; (code = st_tally_reason_at(s->tally, ST_OUTCOME_VOID, i, &nv)); i++)
        json_object_object_add(vr, code, jint(nv));
    json_object_object_add(vo, "reasons", vr);
    json_object_object_add(o, "void", vo);
    a = json_object_new_array();
    for (int k = 0; k < s->n_checks; k++) {
        json_object *c = json_object_new_object();
        json_object_object_add(c, "code", json_object_new_string(s->checks[k].code));
        json_object_object_add(c, "text", json_object_new_string(s->checks[k].text));
        json_object_array_add(a, c);
    }
    json_object_object_add(o, "checks", a);
    if (s->has_basis) {
        const st_basis *b = &s->basis;
        json_object *bj = figures_json(b->A, b->B, b->C, b->D, b->E, b->F, b->G, b->H, b->I, b->J);
        json_object *lists = json_object_new_object();
        for (int k = 0; k < b->n_lists; k++) {
            char key[16];
            snprintf(key, sizeof key, "%d", b->list[k]);
            json_object_object_add(lists, key, jint(b->votes[k]));
        }
        json_object_object_add(bj, "lists", lists);
        json_object_object_add(bj, "explained", json_object_new_boolean(b->explained));
        json_object_object_add(o, "basistelling", bj);
    } else {
        json_object_object_add(o, "basistelling", NULL);
    }
    json_object_object_add(o, "recount_admitted_voters",
                           json_object_new_boolean(s->recount_admitted));
    json_object_object_add(o, "h_differs", json_object_new_boolean(s->h_differs));
    a = json_object_new_array();
    for (int k = 0; k < s->n_diff; k++) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "list", json_object_new_int(s->diff[k].list));
        json_object_object_add(d, "station", jint(s->diff[k].station));
        json_object_object_add(d, "ours", jint(s->diff[k].ours));
        json_object_object_add(d, "difference", jint(s->diff[k].ours - s->diff[k].station));
        json_object_array_add(a, d);
    }
    json_object_object_add(o, "lists_differing", a);
    a = json_object_new_array();
    for (int l = 0; l < m->n_lists; l++) {
        const st_list *lst = &m->lists[l];
        json_object *lj = json_object_new_object(), *cands = json_object_new_array();
        json_object_object_add(lj, "list", json_object_new_int(lst->number));
        json_object_object_add(lj, "total", jint(st_tally_list_total(s->tally, lst->number)));
        for (int c = 1; c <= lst->n_candidates; c++)
            json_object_array_add(cands, jint(st_tally_votes(s->tally, lst->number, c)));
        json_object_object_add(lj, "candidates", cands);
        json_object_array_add(a, lj);
    }
    json_object_object_add(o, "votes", a);
    json_object_object_add(o, "new", figures_json(s->A, s->B, s->C, s->D, s->E, s->F, s->G,
                                                  s->H, s->I, s->J));
    return o;
}

int st_recon_write_json(const st_recon *r, FILE *f, st_error *err)
{
    json_object *root = json_object_new_object(), *a = json_object_new_array();
    json_object_object_add(root, "election_id", json_object_new_string(r->model->election_id));
    for (int i = 0; i < r->n; i++)
        json_object_array_add(a, station_json(r->model, &r->st[i]));
    json_object_object_add(root, "stations", a);
    json_object_object_add(root, "no_station", jint(r->no_station));
    a = json_object_new_array();
    for (int i = 0; i < r->n_blocks; i++)
        json_object_array_add(a, json_object_new_string(r->blocks[i]));
    json_object_object_add(root, "blocks", a);
    json_object_object_add(root, "final", json_object_new_boolean(r->n_blocks == 0));
    char *text = st_json_text(root);
    json_object_put(root);
    if (!text)
        return st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory");
    fputs(text, f);
    free(text);
    return io_result(f, err);
}

/* Text with HTML's special characters escaped; control characters and
 * bytes that are not UTF-8 (which HTML does not take either) first made
 * visible as \xNN. */
static void html_put(FILE *f, const char *s)
{
    char buf[4096];
    for (s = ST_TEXT_SHOWN(s, buf); *s; s++) {
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

int st_recon_write_html(const st_recon *r, FILE *f, st_error *err)
{
    const st_model *m = r->model;
    fputs("<!DOCTYPE html>\n<html lang=\"nl\"><head><meta charset=\"utf-8\">\n<title>", f);
    html_put(f, m->election_name);
    fputs(" - Na 31-2 Bijlage 1</title>\n<style>\n"
          "body{font:11pt/1.35 sans-serif;margin:2em}h1{font-size:16pt}\n"
          "h2{font-size:13pt;border-bottom:1px solid #000;margin-top:2em}\n"
          "section{page-break-after:always}table{border-collapse:collapse;margin:.5em 0}\n"
          "td,th{border:1px solid #888;padding:2px 6px}td.n{text-align:right}\n"
          ".warn{color:#a60}.err{color:#b00;font-weight:bold}.block{color:#b00}\n"
          "@media print{body{margin:0}}\n</style></head><body>\n<h1>", f);
    html_put(f, m->election_name);
    fputs(" &mdash; ", f);
    html_put(f, m->municipality_name);
    fputs("</h1>\n", f);
    if (r->n_blocks) {
        fputs("<p class=\"block\"><b>Not final.</b> These block a final result:</p><ul>\n", f);
        for (int i = 0; i < r->n_blocks; i++) {
            fputs("<li class=\"block\">", f);
            html_put(f, r->blocks[i]);
            fputs("</li>\n", f);
        }
        fputs("</ul>\n", f);
    } else {
        fputs("<p>Nothing blocks a final result.</p>\n", f);
    }
    for (int i = 0; i < r->n; i++) {
        const st_recon_station *s = &r->st[i];
        fputs("<section><h2>", f);
        html_put(f, s->station);
        fputc(' ', f);
        html_put(f, station_name(s));
        fprintf(f, "</h2>\n<p>State %s: %lld pages; %lld waiting for review; %lld rejected "
                   "undecided.</p>\n", s->state, (long long)s->pages.pages,
                (long long)s->pages.open_review, (long long)s->pages.open_rejected);
        char voids[256];
        if (*void_summary(s, voids, sizeof voids)) {
            fputs("<p>Void pages (set aside by people, in no figure): ", f);
            html_put(f, voids);
            fputs(".</p>\n", f);
        }
        for (int k = 0; k < s->n_checks; k++) {
            fprintf(f, "<p class=\"%s\">%s ", s->checks[k].code[0] == 'F' ? "err" : "warn",
                    s->checks[k].code);
            html_put(f, s->checks[k].text);
            fputs("</p>\n", f);
        }
        if (s->has_basis) {
            const st_basis *b = &s->basis;
            fprintf(f, "<p>1. D/H difference of the station (D %lld, H %lld): %s</p>\n",
                    (long long)b->D, (long long)b->H, dh_verdict(b));
            fprintf(f, "<p>3. H: station %lld, ours %lld: %s</p>\n", (long long)b->H,
                    (long long)s->H,
                    s->h_differs ? "<b>different: recount the admitted voters</b>" : "the same");
            fputs("<p>4. Lists whose totals differ:", f);
            if (!s->n_diff)
                fputs(" none.</p>\n", f);
            else
                fputs("</p>\n<table><tr><th>list</th><th>station</th><th>ours</th>"
                      "<th>difference</th><th>explanation</th></tr>\n", f);
            for (int k = 0; k < s->n_diff; k++)
                fprintf(f, "<tr><td class=\"n\">%d</td><td class=\"n\">%lld</td>"
                           "<td class=\"n\">%lld</td><td class=\"n\">%+lld</td><td></td></tr>\n",
                        s->diff[k].list, (long long)s->diff[k].station,
                        (long long)s->diff[k].ours,
                        (long long)(s->diff[k].ours - s->diff[k].station));
            if (s->n_diff)
                fputs("</table>\n", f);
        } else {
            fputs("<p class=\"block\">No basistelling imported.</p>\n", f);
        }
        fputs("<p>5. New figures:</p>\n<table><tr>", f);
        for (int k = 0; k < 10; k++)
            fprintf(f, "<th>%c</th>", 'A' + k);
        const int64_t v[] = {s->A, s->B, s->C, s->D, s->E, s->F, s->G, s->H, s->I, s->J};
        fputs("</tr>\n<tr>", f);
        for (int k = 0; k < 10; k++)
            fprintf(f, "<td class=\"n\">%lld</td>", (long long)v[k]);
        fputs("</tr></table>\n<p>2. Votes per candidate:</p>\n", f);
        for (int l = 0; l < m->n_lists; l++) {
            const st_list *lst = &m->lists[l];
            fprintf(f, "<table><tr><th colspan=\"2\">list %d ", lst->number);
            html_put(f, lst->name);
            fprintf(f, "</th><th>%lld</th></tr>\n",
                    (long long)st_tally_list_total(s->tally, lst->number));
            for (int c = 1; c <= lst->n_candidates; c++) {
                fprintf(f, "<tr><td class=\"n\">%d</td><td>", c);
                html_put(f, lst->candidates[c - 1].name);
                fprintf(f, "</td><td class=\"n\">%lld</td></tr>\n",
                        (long long)st_tally_votes(s->tally, lst->number, c));
            }
            fputs("</table>\n", f);
        }
        fputs("</section>\n", f);
    }
    fputs("</body></html>\n", f);
    return io_result(f, err);
}
