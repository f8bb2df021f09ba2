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

/* What blocks a final result, one kind each (add_block words them). */
typedef enum st_recon_block {
    ST_BLOCK_REVIEW, ST_BLOCK_REJECTED, ST_BLOCK_ENTRIES, ST_BLOCK_NO_BASIS,
    ST_BLOCK_NONE_COUNTED, ST_BLOCK_NOTHING, ST_BLOCK_NOT_LISTED, ST_BLOCK_NO_STATION,
    ST_BLOCK_EMPTY, ST_BLOCK_ANSWERS
} st_recon_block;

static int keep_text(char ***v, int n, const char *text)
{
    char **nv = realloc(*v, (size_t)(n + 1) * sizeof *nv);
    if (!nv)
        return ST_ERR_NOMEM;
    *v = nv;
    return (nv[n] = strdup(text)) ? ST_OK : ST_ERR_NOMEM;
}

/* Append the pair (a, b) to *v, which holds *n pairs. */
static int keep_pair(char ***v, int *n, const char *a, const char *b)
{
    if (keep_text(v, 2 * *n, a))
        return ST_ERR_NOMEM;
    if (keep_text(v, 2 * *n + 1, b)) {
        free((*v)[2 * *n]);
        return ST_ERR_NOMEM;
    }
    (*n)++;
    return ST_OK;
}

/* Add what blocks a final result, in English and in Dutch: kind, the
 * station (NULL for none) and its count. */
static int add_block(st_recon *r, st_recon_block kind, const char *st, int64_t n)
{
    char en[300], nl[300];
    long long v = (long long)n;
    int one = n == 1;
    switch (kind) {
    case ST_BLOCK_REVIEW:
        snprintf(en, sizeof en, "%s: %lld ballot%s waiting for review", st, v, one ? "" : "s");
        snprintf(nl, sizeof nl, "%s: %lld stembiljet%s wacht%s op beoordeling", st, v,
                 one ? "" : "ten", one ? "" : "en");
        break;
    case ST_BLOCK_REJECTED:
        snprintf(en, sizeof en, "%s: %lld rejected page%s not yet decided (count by hand, then "
                 "`review decide`)", st, v, one ? "" : "s");
        snprintf(nl, sizeof nl, "%s: over %lld afgekeurde pagina%s is nog niet beslist (met de "
                 "hand tellen, dan `review decide`)", st, v, one ? "" : "'s");
        break;
    case ST_BLOCK_ENTRIES:
        snprintf(en, sizeof en, "%s: the two entries of the basistelling differ in %lld field%s "
                 "(W001): correct the wrong one and import it again", st, v, one ? "" : "s");
        snprintf(nl, sizeof nl, "%s: de twee invoeren van de basistelling verschillen in %lld "
                 "veld%s (W001): verbeter de foute en voer die opnieuw in", st, v,
                 one ? "" : "en");
        break;
    case ST_BLOCK_NO_BASIS:
        snprintf(en, sizeof en, "%s: ballots counted but no basistelling (N 10-2) imported", st);
        snprintf(nl, sizeof nl, "%s: stembiljetten geteld, maar geen basistelling (N 10-2) "
                 "ingevoerd", st);
        break;
    case ST_BLOCK_NONE_COUNTED:
        snprintf(en, sizeof en, "%s: basistelling says %lld ballots, none counted yet", st, v);
        snprintf(nl, sizeof nl, "%s: volgens de basistelling %lld stembiljet%s, nog geen "
                 "geteld", st, v, one ? "" : "ten");
        break;
    case ST_BLOCK_NOTHING:
        snprintf(en, sizeof en, "%s: nothing counted and no basistelling yet", st);
        snprintf(nl, sizeof nl, "%s: nog niets geteld en nog geen basistelling", st);
        break;
    case ST_BLOCK_NOT_LISTED:
        snprintf(en, sizeof en, "%s: not one of the municipality's polling stations "
                 "(stations import)", st);
        snprintf(nl, sizeof nl, "%s: geen stembureau van de gemeente (stations import)", st);
        break;
    case ST_BLOCK_NO_STATION:
        snprintf(en, sizeof en, "%lld ballot%s counted without a polling station "
                 "(count --station)", v, one ? "" : "s");
        snprintf(nl, sizeof nl, "%lld stembiljet%s geteld zonder stembureau (count --station)",
                 v, one ? "" : "ten");
        break;
    case ST_BLOCK_EMPTY:
        snprintf(en, sizeof en, "nothing counted yet");
        snprintf(nl, sizeof nl, "nog niets geteld");
        break;
    case ST_BLOCK_ANSWERS:
        snprintf(en, sizeof en, "%s: the GSB's answers to the questions of Na 31-2 Bijlage 1 "
                 "are incomplete or contradictory (%lld error%s F1..): answer with `basis "
                 "answer`", st, v, one ? "" : "s");
        snprintf(nl, sizeof nl, "%s: de antwoorden van het GSB op de vragen van Na 31-2 "
                 "Bijlage 1 zijn onvolledig of tegenstrijdig (%lld fout%s F1..): beantwoord "
                 "met `basis answer`", st, v, one ? "" : "en");
        break;
    }
    if (keep_text(&r->blocks, r->n_blocks, en))
        return ST_ERR_NOMEM;
    if (keep_text(&r->blocks_nl, r->n_blocks, nl)) {
        free(r->blocks[r->n_blocks]);
        return ST_ERR_NOMEM;
    }
    r->n_blocks++;
    return ST_OK;
}

/* Append the checks that fire on in to s->checks (sort_checks puts the
 * runs in code order). */
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

/* F101-F112 on the GSB's answers (none while it has answered nothing for
 * the station). */
static int check_answers(st_recon_station *s)
{
    const st_answer *a = s->b1.a;
    st_checks_in in = {.groups = ST_CHECKS_QUESTIONS, .boxes = ST_BOXES_UNKNOWN,
                       .b1_other_reason = a[ST_B1_OTHER_REASON],
                       .b1_recounted = a[ST_B1_RECOUNTED], .b1_explained = a[ST_B1_EXPLAINED],
                       .b1_differs = a[ST_B1_DIFFERS]};
    return run_checks(s, &in);
}

/* The Kiesraad's checks on the station's own figures: F201-F310 on the
 * form as it was entered (F301-F304 and F310 only where the import had
 * the box ticked and the explanation question). */
static int check_basis(st_recon_station *s)
{
    const st_basis *b = &s->basis;
    st_checks_in in = {.groups = ST_CHECKS_FORM, .A = b->A, .B = b->B, .C = b->C, .D = b->D,
                       .E = b->E, .F = b->F, .G = b->G, .H = b->H, .I = b->I, .J = b->J,
                       .d_known = 1, .n_lists = b->n_lists, .list = b->list, .ex = b->votes,
                       .boxes = b->boxes, .explained = b->explained_as};
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

/* W001 for every field in which the station's second entry differs from
 * its first (the one reconcile uses). */
static int check_second_entry(st_store *store, st_recon_station *s, st_error *err)
{
    st_basis second;
    st_basis_diff *d = NULL;
    int n = 0, rc = st_basis_load_second(store, s->station, &second, &s->has_second, err);
    if (rc || !s->has_second)
        return rc;
    if (st_basis_compare(&s->basis, &second, &d, &n) == ST_OK && n) {
        st_recon_check *nc = realloc(s->checks, (size_t)(s->n_checks + n) * sizeof *nc);
        if (nc) {
            s->checks = nc;
            for (int k = 0; k < n; k++) {
                st_recon_check *c = &nc[s->n_checks++];
                snprintf(c->code, sizeof c->code, "W001");
                snprintf(c->text, sizeof c->text, "Dubbele invoer: %s is %s in de eerste "
                         "invoer en %s in de tweede", d[k].field, d[k].first, d[k].second);
            }
            s->n_entry_diff = n;
        } else {
            n = -1;
        }
    }
    free(d);
    st_basis_clear(&second);
    return n < 0 ? st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory") : ST_OK;
}

/* Put s->checks in code order (stable: within a code, as they came). */
static void sort_checks(st_recon_station *s)
{
    for (int i = 1; i < s->n_checks; i++) {
        st_recon_check c = s->checks[i];
        int j = i;
        for (; j > 0 && strcmp(s->checks[j - 1].code, c.code) > 0; j--)
            s->checks[j] = s->checks[j - 1];
        s->checks[j] = c;
    }
}

static int build_station(st_store *store, st_recon *r, st_recon_station *s, st_error *err)
{
    const st_model *m = r->model;
    int rc;
    if ((rc = st_basis_load(store, s->station, &s->basis, &s->has_basis, err)) ||
        (rc = st_basis_answers_load(store, s->station, &s->b1, err)))
        return rc;
    st_tally_get_totals(s->tally, &s->ours);
    const st_basis *b = &s->basis;
    if (check_answers(s))
        goto nomem;
    if (s->has_basis && check_basis(s))
        goto nomem;
    if (check_ours(m, s))
        goto nomem;
    if (s->has_basis && (rc = check_second_entry(store, s, err)))
        return rc;
    sort_checks(s);
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
    }
    s->recount_admitted |= s->b1.a[ST_B1_EXPLAINED] == ST_ANSWER_NO ||
                           s->b1.a[ST_B1_DIFFERS] == ST_ANSWER_YES;
    if (s->has_basis) {
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
        add_block(r, ST_BLOCK_REVIEW, s->station, s->pages.open_review))
        goto nomem;
    if (s->pages.open_rejected &&
        add_block(r, ST_BLOCK_REJECTED, s->station, s->pages.open_rejected))
        goto nomem;
    if (s->n_entry_diff && add_block(r, ST_BLOCK_ENTRIES, s->station, s->n_entry_diff))
        goto nomem;
    if (s->pages.pages && !s->has_basis && add_block(r, ST_BLOCK_NO_BASIS, s->station, 0))
        goto nomem;
    if (!s->pages.pages && s->has_basis && b->H > 0 &&
        add_block(r, ST_BLOCK_NONE_COUNTED, s->station, b->H))
        goto nomem;
    /* A listed station is accounted for once it has ballots or a
     * basistelling (a station may have none: H = 0); one off the list has
     * only what came in before the list did. */
    if (s->listed && !s->pages.pages && !s->has_basis &&
        add_block(r, ST_BLOCK_NOTHING, s->station, 0))
        goto nomem;
    if (r->n_listed && !s->listed && add_block(r, ST_BLOCK_NOT_LISTED, s->station, 0))
        goto nomem;
    /* The GSB's own answers are its record, and it can correct them: an
     * error on them (F101-F112) blocks. An error on the station's form
     * (F2xx, F3xx) stands in the record as the station wrote it. */
    int n_answer_errors = 0;
    for (int k = 0; k < s->n_checks; k++)
        n_answer_errors += !strncmp(s->checks[k].code, "F1", 2);
    if (n_answer_errors && add_block(r, ST_BLOCK_ANSWERS, s->station, n_answer_errors))
        goto nomem;
    int open = s->pages.open_review + s->pages.open_rejected > 0;
    int differs = s->h_differs || s->n_diff > 0 || s->n_entry_diff > 0;
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

/* Add n decisions of kind (with reason) to d. */
static void count_decisions(st_recon_decisions *d, st_outcome_kind kind, int party_only,
                            const char *reason, int64_t n)
{
    int nr = 0;
    const char *const *codes = st_decision_reason_codes(kind, &nr);
    int64_t *by = kind == ST_OUTCOME_INVALID ? d->invalid_by : d->void_by;
    d->total += n;
    switch (kind) {
    case ST_OUTCOME_VOTE: d->votes += n; d->party_only += party_only ? n : 0; break;
    case ST_OUTCOME_BLANK: d->blank += n; break;
    case ST_OUTCOME_INVALID: d->invalid += n; break;
    case ST_OUTCOME_VOID: d->voided += n; break;
    default: break;
    }
    for (int k = 0; k < nr && k < ST_RECON_REASONS; k++)
        if (!strcmp(codes[k], reason))
            by[k] += n;
}

/* Count a group of decisions under its station and in the whole. */
static int keep_decisions(void *ctx, const char *station, st_outcome_kind kind,
                          int party_only, const char *reason, int64_t n)
{
    st_recon *r = ctx;
    count_decisions(&r->decided, kind, party_only, reason, n);
    for (int i = 0; station && i < r->n; i++)
        if (!strcmp(r->st[i].station, station)) {
            count_decisions(&r->st[i].decided, kind, party_only, reason, n);
            break;
        }
    return ST_OK;
}

static int keep_member(void *ctx, const char *name, const char *role, const char *added)
{
    st_recon *r = ctx;
    return keep_pair(&r->members, &r->n_members, name, role);
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
    return keep_pair(&r->listed, &r->n_listed, d->id, d->name);
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
    if ((rc = st_store_decisions_each(store, keep_decisions, r, err)) ||
        (rc = st_store_members_each(store, keep_member, r, err)) ||
        (rc = st_store_last_change(store, r->last_change, sizeof r->last_change, err))) {
        if (rc == ST_ERR_NOMEM)
            st_error_set(err, rc, "reconcile: out of memory");
        goto out;
    }
    if (r->no_station && add_block(r, ST_BLOCK_NO_STATION, NULL, r->no_station)) {
        rc = st_error_set(err, ST_ERR_NOMEM, "reconcile: out of memory");
        goto out;
    }
    if (!n && add_block(r, ST_BLOCK_EMPTY, NULL, 0)) {
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
    for (int i = 0; i < r->n_blocks; i++) {
        free(r->blocks[i]);
        free(r->blocks_nl[i]);
    }
    free(r->blocks);
    free(r->blocks_nl);
    for (int i = 0; i < 2 * r->n_members; i++)
        free(r->members[i]);
    free(r->members);
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
        if (s->b1.a[0] != ST_ANSWER_UNKNOWN)
            fputs("Antwoorden Bijlage 1:\n", f);
        for (int k = 0; s->b1.a[0] != ST_ANSWER_UNKNOWN && k < ST_B1_N; k++) {
            const char *a = st_answer_name(s->b1.a[k]);
            fprintf(f, "   %s: %s", st_b1_question_name((st_b1_question)k),
                    *a ? a : "(niet beantwoord)");
            if (*s->b1.by[k])
                fprintf(f, " (%s)", ST_TEXT_SHOWN(s->b1.by[k], t1));
            fputc('\n', f);
        }
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
            for (int c = 1; c <= lst->n_candidates; c++) {
                /* Padded to 44 characters, not bytes: "Gé" is two. */
                const char *name = ST_TEXT_SHOWN(lst->candidates[c - 1].name, t1);
                int chars = 0;
                for (const char *q = name; *q; q++)
                    chars += (*q & 0xC0) != 0x80;
                fprintf(f, "     %2d %s%*s %6lld\n", c, name, chars < 44 ? 44 - chars : 0, "",
                        (long long)st_tally_votes(s->tally, lst->number, c));
            }
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
        fputs(st_recon_form_errors(r)
                  ? "Nothing blocks a final result; the errors (F) above are on the "
                    "stations' own forms and stand in the record as written.\n"
                  : "Nothing blocks a final result.\n",
              f);
    }
    return io_result(f, err);
}

int st_recon_form_errors(const st_recon *r)
{
    int n = 0;
    for (int i = 0; i < r->n; i++)
        for (int k = 0; k < r->st[i].n_checks; k++)
            n += !strncmp(r->st[i].checks[k].code, "F2", 2) ||
                 !strncmp(r->st[i].checks[k].code, "F3", 2);
    return n;
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

/* An answer on a form: "ja", "nee", "beide", "" (unanswered) or null
 * (not recorded). */
static json_object *answer_json(st_answer a)
{
    return st_answer_name(a) ? json_object_new_string(st_answer_name(a)) : NULL;
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
        json_object_object_add(bj, "second_entry",
                               json_object_new_string(!s->has_second    ? "none"
                                                      : s->n_entry_diff ? "differs"
                                                                        : "agrees"));
        json_object_object_add(bj, "explained_answer", answer_json(b->explained_as));
        if (b->boxes == ST_BOXES_UNKNOWN) {
            json_object_object_add(bj, "boxes", NULL);
        } else {
            json_object *bx = json_object_new_array();
            static const struct { int bit; const char *name; } box[] = {
                {ST_BOX_D_IS_H, "D=H"}, {ST_BOX_H_OVER_D, "H>D"}, {ST_BOX_H_UNDER_D, "H<D"}};
            for (size_t k = 0; k < sizeof box / sizeof *box; k++)
                if (b->boxes & box[k].bit)
                    json_object_array_add(bx, json_object_new_string(box[k].name));
            json_object_object_add(bj, "boxes", bx);
        }
        json_object_object_add(o, "basistelling", bj);
    } else {
        json_object_object_add(o, "basistelling", NULL);
    }
    json_object *ans = json_object_new_object();
    for (int k = 0; k < ST_B1_N; k++) {
        json_object *q = NULL;
        if (s->b1.a[k] != ST_ANSWER_UNKNOWN) {
            q = json_object_new_object();
            json_object_object_add(q, "answer", answer_json(s->b1.a[k]));
            json_object_object_add(q, "by", json_object_new_string(s->b1.by[k]));
            json_object_object_add(q, "at", json_object_new_string(s->b1.at[k]));
        }
        json_object_object_add(ans, st_b1_question_name((st_b1_question)k), q);
    }
    json_object_object_add(o, "answers", ans);
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
