/* tally.c - count interpreted ballots into the figures of Model N 10-2
 *
 * One flat array holds the votes of every candidate of every list in model
 * order, with each list's offset into it; list totals and party-only counts
 * sit beside it. E and H are derived when asked, never stored, so they
 * cannot drift from the lists. Reason codes live in three small tables
 * (invalid, review, rejected) kept sorted by code, so output order never
 * depends on the order ballots or tallies arrived in. Every change first
 * makes room for what it will store, then counts, so a failure leaves the
 * tally as it was. The writers build the whole text in memory and hand it
 * to util/atomic.h, which replaces the file whole.
 */
#include "stemtel/tally.h"
#include "stemtel/decision.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "util/atomic.h"
#include "util/jsonfmt.h"

typedef struct st_reason_count {
    char code[ST_REASON_MAX];
    int64_t n;
} st_reason_count;

typedef struct st_reason_tab {
    int n, cap;
    st_reason_count *e; /* sorted by strcmp of code */
} st_reason_tab;

/* Indexes of the reason tables. */
enum { ST_TAB_INVALID = 0, ST_TAB_REVIEW = 1, ST_TAB_REJECTED = 2, ST_TAB_VOID = 3, ST_TABS = 4 };

struct st_tally {
    const st_model *m;
    int64_t *votes;          /* every candidate of every list, model order */
    int *first;              /* per list: index of its candidate 1 in votes */
    int64_t *list_total;     /* per list: E.x */
    int64_t *list_party_only;
    int64_t blank, invalid, review, rejected, voided;
    st_reason_tab tabs[ST_TABS];
};

#define ST_UNSPECIFIED "unspecified"

/* The codes that are listed even at zero, so every file of one model has
 * the same rows: the review ones here, the invalid and void ones the
 * reasons people may give (decision.h), which include the pipeline's. */
static const char *const st_review_codes[] = {
    ST_REASON_MARGINAL_MARK, ST_REASON_WRITING, ST_REASON_NO_SUCH_CANDIDATE,
    ST_REASON_SEVERAL_NUMBERS};

/* ---- reason tables ---- */

static int st_tab_find(const st_reason_tab *tab, const char *code)
{
    for (int i = 0; i < tab->n; i++)
        if (strcmp(tab->e[i].code, code) == 0)
            return i;
    return -1;
}

/* Make room for `extra` more codes without changing what is stored. */
static int st_tab_reserve(st_reason_tab *tab, int extra)
{
    if (tab->n + extra <= tab->cap)
        return ST_OK;
    int cap = tab->cap ? tab->cap : 8;
    while (cap < tab->n + extra)
        cap *= 2;
    st_reason_count *e = realloc(tab->e, (size_t)cap * sizeof *e);
    if (!e)
        return ST_ERR_NOMEM;
    tab->e = e;
    tab->cap = cap;
    return ST_OK;
}

/* Index of code, inserting it at zero in sorted place when absent; the
 * caller has reserved room. */
static int st_tab_slot(st_reason_tab *tab, const char *code)
{
    int i = st_tab_find(tab, code);
    if (i >= 0)
        return i;
    i = 0;
    while (i < tab->n && strcmp(tab->e[i].code, code) < 0)
        i++;
    memmove(tab->e + i + 1, tab->e + i, (size_t)(tab->n - i) * sizeof *tab->e);
    memset(&tab->e[i], 0, sizeof tab->e[i]);
    snprintf(tab->e[i].code, sizeof tab->e[i].code, "%s", code);
    tab->n++;
    return i;
}

static int st_tab_seed(st_reason_tab *tab, const char *const *codes, int n)
{
    if (st_tab_reserve(tab, n) != ST_OK)
        return ST_ERR_NOMEM;
    for (int i = 0; i < n; i++)
        st_tab_slot(tab, codes[i]);
    return ST_OK;
}

static const st_reason_tab *st_tab_of(const st_tally *t, st_outcome_kind kind)
{
    switch (kind) {
    case ST_OUTCOME_INVALID: return &t->tabs[ST_TAB_INVALID];
    case ST_OUTCOME_REVIEW: return &t->tabs[ST_TAB_REVIEW];
    case ST_OUTCOME_REJECTED: return &t->tabs[ST_TAB_REJECTED];
    case ST_OUTCOME_VOID: return &t->tabs[ST_TAB_VOID];
    default: return NULL;
    }
}

/* ---- life ---- */

st_tally *st_tally_new(const st_model *m)
{
    if (!m || m->n_lists < 0)
        return NULL;
    st_tally *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->m = m;
    int n_cand = 0;
    size_t nl = m->n_lists > 0 ? (size_t)m->n_lists : 1;
    t->first = calloc(nl, sizeof *t->first);
    t->list_total = calloc(nl, sizeof *t->list_total);
    t->list_party_only = calloc(nl, sizeof *t->list_party_only);
    if (!t->first || !t->list_total || !t->list_party_only)
        goto fail;
    for (int i = 0; i < m->n_lists; i++) {
        t->first[i] = n_cand;
        n_cand += m->lists[i].n_candidates > 0 ? m->lists[i].n_candidates : 0;
    }
    t->votes = calloc(n_cand > 0 ? (size_t)n_cand : 1, sizeof *t->votes);
    if (!t->votes)
        goto fail;
    int n_invalid, n_void;
    const char *const *invalid = st_decision_reason_codes(ST_OUTCOME_INVALID, &n_invalid);
    const char *const *voids = st_decision_reason_codes(ST_OUTCOME_VOID, &n_void);
    if (st_tab_seed(&t->tabs[ST_TAB_INVALID], invalid, n_invalid) ||
        st_tab_seed(&t->tabs[ST_TAB_REVIEW], st_review_codes,
                    (int)(sizeof st_review_codes / sizeof *st_review_codes)) ||
        st_tab_seed(&t->tabs[ST_TAB_VOID], voids, n_void))
        goto fail;
    return t;
fail:
    st_tally_free(t);
    return NULL;
}

void st_tally_free(st_tally *t)
{
    if (!t)
        return;
    for (int i = 0; i < ST_TABS; i++)
        free(t->tabs[i].e);
    free(t->votes);
    free(t->first);
    free(t->list_total);
    free(t->list_party_only);
    free(t);
}

const st_model *st_tally_model(const st_tally *t)
{
    return t ? t->m : NULL;
}

/* ---- counting ---- */

static int st_list_index(const st_model *m, int number)
{
    for (int i = 0; i < m->n_lists; i++)
        if (m->lists[i].number == number)
            return i;
    return -1;
}

/* A reason field of an outcome is usable when it is terminated inside its
 * array; an empty one means the producer gave none. */
static int st_reason_ok(const char *r)
{
    return memchr(r, '\0', ST_REASON_MAX) != NULL;
}

/* The codes o is counted under in tab (1 for invalid and rejected, every
 * distinct reason for review), "unspecified" standing in for none. */
static int st_codes_of(const st_outcome *o, const char *codes[ST_MAX_REASONS])
{
    int n = 0;
    int upto = o->kind == ST_OUTCOME_REVIEW ? o->n_reasons
                                            : (o->n_reasons > 0 ? 1 : 0);
    for (int i = 0; i < upto; i++) {
        const char *c = o->reasons[i][0] ? o->reasons[i] : ST_UNSPECIFIED;
        int dup = 0;
        for (int j = 0; j < n; j++)
            dup |= strcmp(codes[j], c) == 0;
        if (!dup)
            codes[n++] = c;
    }
    if (n == 0)
        codes[n++] = ST_UNSPECIFIED;
    return n;
}

int st_tally_add(st_tally *t, const st_outcome *o)
{
    if (!t || !o)
        return ST_ERR_ARG;
    if (o->n_reasons < 0 || o->n_reasons > ST_MAX_REASONS)
        return ST_ERR_INVALID;
    for (int i = 0; i < o->n_reasons; i++)
        if (!st_reason_ok(o->reasons[i]))
            return ST_ERR_INVALID;

    switch (o->kind) {
    case ST_OUTCOME_VOTE: {
        int li = st_list_index(t->m, o->list);
        if (li < 0 || o->candidate < 1 ||
            o->candidate > t->m->lists[li].n_candidates)
            return ST_ERR_INVALID;
        t->votes[t->first[li] + o->candidate - 1]++;
        t->list_total[li]++;
        if (o->party_only)
            t->list_party_only[li]++;
        return ST_OK;
    }
    case ST_OUTCOME_BLANK:
        t->blank++;
        return ST_OK;
    case ST_OUTCOME_INVALID:
    case ST_OUTCOME_REVIEW:
    case ST_OUTCOME_REJECTED:
    case ST_OUTCOME_VOID: {
        st_reason_tab *tab = (st_reason_tab *)st_tab_of(t, o->kind);
        const char *codes[ST_MAX_REASONS];
        int n = st_codes_of(o, codes);
        if (st_tab_reserve(tab, n) != ST_OK)
            return ST_ERR_NOMEM;
        for (int i = 0; i < n; i++)
            tab->e[st_tab_slot(tab, codes[i])].n++;
        if (o->kind == ST_OUTCOME_INVALID)
            t->invalid++;
        else if (o->kind == ST_OUTCOME_REVIEW)
            t->review++;
        else if (o->kind == ST_OUTCOME_VOID)
            t->voided++;
        else
            t->rejected++;
        return ST_OK;
    }
    }
    return ST_ERR_INVALID;
}

static int st_same_shape(const st_model *a, const st_model *b)
{
    if (a == b)
        return 1;
    if (a->n_lists != b->n_lists)
        return 0;
    for (int i = 0; i < a->n_lists; i++)
        if (a->lists[i].number != b->lists[i].number ||
            a->lists[i].n_candidates != b->lists[i].n_candidates)
            return 0;
    return 1;
}

int st_tally_merge(st_tally *dst, const st_tally *src)
{
    if (!dst || !src)
        return ST_ERR_ARG;
    if (!st_same_shape(dst->m, src->m))
        return ST_ERR_INVALID;
    for (int k = 0; k < ST_TABS; k++) {
        int missing = 0;
        for (int i = 0; i < src->tabs[k].n; i++)
            missing += st_tab_find(&dst->tabs[k], src->tabs[k].e[i].code) < 0;
        if (st_tab_reserve(&dst->tabs[k], missing) != ST_OK)
            return ST_ERR_NOMEM;
    }
    /* Nothing below can fail. */
    for (int k = 0; k < ST_TABS; k++)
        for (int i = 0; i < src->tabs[k].n; i++) {
            int64_t n = src->tabs[k].e[i].n;
            dst->tabs[k].e[st_tab_slot(&dst->tabs[k], src->tabs[k].e[i].code)].n += n;
        }
    int n_cand = 0;
    for (int i = 0; i < src->m->n_lists; i++) {
        dst->list_total[i] += src->list_total[i];
        dst->list_party_only[i] += src->list_party_only[i];
        n_cand += src->m->lists[i].n_candidates > 0 ? src->m->lists[i].n_candidates : 0;
    }
    for (int i = 0; i < n_cand; i++)
        dst->votes[i] += src->votes[i];
    dst->blank += src->blank;
    dst->invalid += src->invalid;
    dst->review += src->review;
    dst->rejected += src->rejected;
    dst->voided += src->voided;
    return ST_OK;
}

/* ---- reading ---- */

int64_t st_tally_votes(const st_tally *t, int list, int candidate)
{
    if (!t)
        return 0;
    int li = st_list_index(t->m, list);
    if (li < 0 || candidate < 1 || candidate > t->m->lists[li].n_candidates)
        return 0;
    return t->votes[t->first[li] + candidate - 1];
}

int64_t st_tally_list_total(const st_tally *t, int list)
{
    int li = t ? st_list_index(t->m, list) : -1;
    return li < 0 ? 0 : t->list_total[li];
}

int64_t st_tally_list_party_only(const st_tally *t, int list)
{
    int li = t ? st_list_index(t->m, list) : -1;
    return li < 0 ? 0 : t->list_party_only[li];
}

void st_tally_get_totals(const st_tally *t, st_tally_totals *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!t)
        return;
    for (int i = 0; i < t->m->n_lists; i++) {
        out->E += t->list_total[i];
        out->party_only += t->list_party_only[i];
    }
    out->F = t->blank;
    out->G = t->invalid;
    out->H = out->E + out->F + out->G;
    out->review = t->review;
    out->rejected = t->rejected;
    out->voided = t->voided;
}

int64_t st_tally_reason_count(const st_tally *t, st_outcome_kind kind,
                              const char *reason)
{
    const st_reason_tab *tab = t && reason ? st_tab_of(t, kind) : NULL;
    int i = tab ? st_tab_find(tab, reason) : -1;
    return i < 0 ? 0 : tab->e[i].n;
}

int st_tally_n_reasons(const st_tally *t, st_outcome_kind kind)
{
    const st_reason_tab *tab = t ? st_tab_of(t, kind) : NULL;
    return tab ? tab->n : 0;
}

const char *st_tally_reason_at(const st_tally *t, st_outcome_kind kind, int i,
                               int64_t *count)
{
    const st_reason_tab *tab = t ? st_tab_of(t, kind) : NULL;
    if (!tab || i < 0 || i >= tab->n)
        return NULL;
    if (count)
        *count = tab->e[i].n;
    return tab->e[i].code;
}

/* ---- writers ---- */

/* A name as one RFC 4180 field: always quoted, quotes doubled. */
static void st_csv_name(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void st_csv_reasons(FILE *f, const char *prefix, const st_reason_tab *tab)
{
    for (int i = 0; i < tab->n; i++)
        fprintf(f, "%s:%s,,,,%" PRId64 "\n", prefix, tab->e[i].code,
                tab->e[i].n);
}

int st_tally_write_csv(const st_tally *t, const char *path, st_error *err)
{
    if (!t || !path)
        return st_error_set(err, ST_ERR_ARG, "tally: %s: no tally or path",
                            path ? path : "(null)");
    int rc = ST_OK;
    char *text = NULL;
    size_t len = 0;
    const st_model *m = t->m;
    st_tally_totals tot;
    st_tally_get_totals(t, &tot);

    FILE *f = open_memstream(&text, &len);
    if (!f) {
        rc = st_error_set(err, ST_ERR_NOMEM, "tally: %s: out of memory", path);
        goto out;
    }
    fputs("kind,list,candidate,name,count\n", f);
    for (int i = 0; i < m->n_lists; i++) {
        const st_list *l = &m->lists[i];
        fprintf(f, "list,%d,,", l->number);
        st_csv_name(f, l->name);
        fprintf(f, ",%" PRId64 "\n", t->list_total[i]);
        for (int c = 0; c < l->n_candidates; c++) {
            fprintf(f, "candidate,%d,%d,", l->number, l->candidates[c].number);
            st_csv_name(f, l->candidates[c].name);
            fprintf(f, ",%" PRId64 "\n", t->votes[t->first[i] + c]);
        }
    }
    fprintf(f, "E,,,,%" PRId64 "\nF,,,,%" PRId64 "\nG,,,,%" PRId64
               "\nH,,,,%" PRId64 "\n",
            tot.E, tot.F, tot.G, tot.H);
    for (int i = 0; i < m->n_lists; i++) {
        fprintf(f, "party_only,%d,,", m->lists[i].number);
        st_csv_name(f, m->lists[i].name);
        fprintf(f, ",%" PRId64 "\n", t->list_party_only[i]);
    }
    fprintf(f, "party_only,,,,%" PRId64 "\n", tot.party_only);
    st_csv_reasons(f, "invalid", &t->tabs[ST_TAB_INVALID]);
    fprintf(f, "review,,,,%" PRId64 "\n", tot.review);
    st_csv_reasons(f, "review", &t->tabs[ST_TAB_REVIEW]);
    fprintf(f, "rejected,,,,%" PRId64 "\n", tot.rejected);
    st_csv_reasons(f, "rejected", &t->tabs[ST_TAB_REJECTED]);
    fprintf(f, "void,,,,%" PRId64 "\n", tot.voided);
    st_csv_reasons(f, "void", &t->tabs[ST_TAB_VOID]);
    int bad = ferror(f);
    int closed = fclose(f);
    if (bad || closed != 0 || !text) {
        rc = st_error_set(err, ST_ERR_NOMEM, "tally: %s: out of memory", path);
        goto out;
    }
    rc = st_atomic_write(path, text, len, "tally", err);
out:
    free(text);
    return rc;
}

/* Add v under key to obj; takes v's reference even on failure. */
static int st_jset(json_object *obj, const char *key, json_object *v)
{
    if (!v)
        return -1;
    if (json_object_object_add(obj, key, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

static int st_jpush(json_object *arr, json_object *v)
{
    if (!v)
        return -1;
    if (json_object_array_add(arr, v) != 0) {
        json_object_put(v);
        return -1;
    }
    return 0;
}

static json_object *st_json_reasons(const st_reason_tab *tab)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    for (int i = 0; i < tab->n; i++)
        if (st_jset(o, tab->e[i].code, json_object_new_int64(tab->e[i].n))) {
            json_object_put(o);
            return NULL;
        }
    return o;
}

/* The review/rejected object: total and reasons. */
static json_object *st_json_pending(int64_t total, const st_reason_tab *tab)
{
    json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    if (st_jset(o, "total", json_object_new_int64(total)) ||
        st_jset(o, "reasons", st_json_reasons(tab))) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

static json_object *st_json_list(const st_tally *t, int i)
{
    const st_list *l = &t->m->lists[i];
    json_object *o = json_object_new_object(), *cands = NULL;
    if (!o)
        return NULL;
    if (st_jset(o, "number", json_object_new_int(l->number)) ||
        st_jset(o, "name", json_object_new_string(l->name ? l->name : "")) ||
        st_jset(o, "total", json_object_new_int64(t->list_total[i])) ||
        st_jset(o, "party_only", json_object_new_int64(t->list_party_only[i])))
        goto fail;
    cands = json_object_new_array();
    if (st_jset(o, "candidates", cands))
        goto fail;
    for (int c = 0; c < l->n_candidates; c++) {
        const st_candidate *cd = &l->candidates[c];
        json_object *co = json_object_new_object();
        if (st_jpush(cands, co) ||
            st_jset(co, "number", json_object_new_int(cd->number)) ||
            st_jset(co, "name", json_object_new_string(cd->name ? cd->name : "")) ||
            st_jset(co, "votes", json_object_new_int64(t->votes[t->first[i] + c])))
            goto fail;
    }
    return o;
fail:
    json_object_put(o);
    return NULL;
}

int st_tally_write_json(const st_tally *t, const char *path, st_error *err)
{
    if (!t || !path)
        return st_error_set(err, ST_ERR_ARG, "tally: %s: no tally or path",
                            path ? path : "(null)");
    int rc = ST_OK;
    char *text = NULL;
    json_object *root = json_object_new_object(), *lists = NULL;
    st_tally_totals tot;
    st_tally_get_totals(t, &tot);
    const char *eid = t->m->election_id ? t->m->election_id : "";

    /* Any failure below is a failed allocation inside json-c. */
    int bad = !root ||
              st_jset(root, "election_id", json_object_new_string(eid)) ||
              st_jset(root, "lists", lists = json_object_new_array());
    for (int i = 0; !bad && i < t->m->n_lists; i++)
        bad = st_jpush(lists, st_json_list(t, i));
    bad = bad ||
          st_jset(root, "E", json_object_new_int64(tot.E)) ||
          st_jset(root, "F", json_object_new_int64(tot.F)) ||
          st_jset(root, "G", json_object_new_int64(tot.G)) ||
          st_jset(root, "H", json_object_new_int64(tot.H)) ||
          st_jset(root, "party_only", json_object_new_int64(tot.party_only)) ||
          st_jset(root, "invalid", st_json_reasons(&t->tabs[ST_TAB_INVALID])) ||
          st_jset(root, "review",
                  st_json_pending(tot.review, &t->tabs[ST_TAB_REVIEW])) ||
          st_jset(root, "rejected",
                  st_json_pending(tot.rejected, &t->tabs[ST_TAB_REJECTED])) ||
          st_jset(root, "void", st_json_pending(tot.voided, &t->tabs[ST_TAB_VOID])) ||
          !(text = st_json_text(root));
    if (bad) {
        rc = st_error_set(err, ST_ERR_NOMEM, "tally: %s: out of memory", path);
        goto out;
    }
    rc = st_atomic_write(path, text, strlen(text), "tally", err);
out:
    json_object_put(root);
    free(text);
    return rc;
}
