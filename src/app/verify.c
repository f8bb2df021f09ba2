/* verify.c - replay a store from its scans, as an auditor does
 *
 * The stored ballots are read into memory first (ids, files, stored
 * outcomes and records: small beside the images). They are then replayed
 * in windows with OpenMP, each thread with its own reader and ballot
 * scratch, exactly as `count` reads a page: the file is had from the
 * page-file module (sources/filebytes.h) and hashed,
 * the page decoded and interpreted against the store's model with the same
 * blank-ballot scores, and the record rebuilt with the path and station it
 * was counted under. Differences are logged after each window in store
 * order, so the log does not depend on the number of threads. Finally the
 * replayed outcomes, with the decisions (voids too) applied over them, are
 * tallied, in all and per station they are under now (moves applied),
 * and compared with the store's own tallies, which are made from the same
 * read of the store: a scan adding pages meanwhile makes no difference.
 * The stored possible rescans are applied like decisions; they are also
 * found again from the replayed records (rescan.h: each page against the
 * earlier pages counted under its station, as the store did when it took
 * them), and a page flagged differently is a result changed.
 */
#include "stemtel/verify.h"
#include "stemtel/ballot.h"
#include "stemtel/page.h"
#include "engine/cv.h"
#include "stemtel/render.h"
#include "stemtel/rescan.h"
#include "stemtel/score.h"
#include "stemtel/sha256.h"
#include "sources/filebytes.h"

#include <json-c/json.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

enum { V_SAME = 0, V_MISSING, V_CHANGED, V_RESULT, V_SKIPPED };

/* One stored ballot and what the replay made of it. */
typedef struct vitem {
    st_store_ballot b;
    char *counted_as;       /* the path the record was written with */
    int status;
    char now_sha[65];
    st_outcome replayed;
    st_rescan_marks *marks; /* of the replayed record (else the stored
                               one); NULL when it has none to compare */
    char why[200];
} vitem;

typedef struct vlist {
    int n, cap;
    vitem *v;
} vlist;

static int take(void *ctx, st_store_ballot *b)
{
    vlist *l = ctx;
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 256;
        vitem *nv = realloc(l->v, (size_t)cap * sizeof *nv);
        if (!nv)
            return ST_ERR_NOMEM;
        l->v = nv;
        l->cap = cap;
    }
    vitem *it = &l->v[l->n];
    memset(it, 0, sizeof *it);
    st_store_ballot_move(&it->b, b);
    json_object *rec = json_tokener_parse(it->b.record), *f = NULL;
    if (rec && json_object_object_get_ex(rec, "file", &f))
        it->counted_as = strdup(json_object_get_string(f));
    else
        it->counted_as = strdup(it->b.file);
    json_object_put(rec);
    l->n++;
    return it->counted_as ? ST_OK : ST_ERR_NOMEM;
}

static int same_outcome(const st_outcome *a, const st_outcome *b)
{
    if (a->kind != b->kind || a->list != b->list || a->candidate != b->candidate ||
        a->party_only != b->party_only || a->n_reasons != b->n_reasons ||
        a->proposal != b->proposal || a->proposal_list != b->proposal_list ||
        a->proposal_candidate != b->proposal_candidate ||
        a->proposal_party_only != b->proposal_party_only ||
        strcmp(a->proposal_reason, b->proposal_reason))
        return 0;
    for (int i = 0; i < a->n_reasons; i++)
        if (strcmp(a->reasons[i], b->reasons[i]))
            return 0;
    return 1;
}

static void describe(const st_outcome *o, char *buf, size_t n)
{
    char dec[64];
    st_decision_text(o, dec, sizeof dec);
    snprintf(buf, n, "%s", dec);
    for (int i = 0; i < o->n_reasons && o->kind != ST_OUTCOME_INVALID; i++)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", i ? "," : " ", o->reasons[i]);
}

/* Keep the marked boxes of record for the rescan check, if it has any. */
static int keep_marks(vitem *it, const char *record)
{
    st_rescan_marks mk;
    st_error err = {0};
    if (st_rescan_marks_read(record, &mk, &err) || !mk.n)
        return ST_OK; /* nothing to compare: never flagged */
    if (!(it->marks = malloc(sizeof *it->marks)))
        return ST_ERR_NOMEM;
    *it->marks = mk;
    return ST_OK;
}

/* Replay one item; pure apart from the item and the thread's scratch. */
static int replay(const st_model *m, const double *blank, st_reader *rd, st_ballot *ballot,
                  vitem *it)
{
    it->replayed = it->b.found;
    if (it->b.counted_station && keep_marks(it, it->b.record))
        return ST_ERR_NOMEM;
    if (!strncmp(it->b.sha256, "unreadable:", 11)) {
        it->status = V_SKIPPED; /* nothing was read then, nothing to compare now */
        return ST_OK;
    }
    st_filebytes fb;
    st_error err = {0};
    if (st_filebytes_open(&fb, it->b.file, &err)) {
        /* What the log always said: the system's reason for a file that
         * cannot be opened, else the module's words after the name. */
        size_t skip = strlen(it->b.file) + 2;
        snprintf(it->why, sizeof it->why, "%s",
                 fb.fail == ST_FILEBYTES_OPEN ? strerror(fb.sys_errno)
                 : strlen(err.msg) > skip     ? err.msg + skip
                                              : err.msg);
        it->status = V_MISSING;
        return ST_OK;
    }
    const uint8_t *p = fb.bytes;
    size_t len = fb.len;
    st_sheet sheet;
    int is_sheet = 0, rc = st_filebytes_sha256(p, len, it->now_sha);
    if (rc == ST_OK) {
        if (strcmp(it->now_sha, it->b.sha256)) {
            it->status = V_CHANGED;
        } else if ((rc = st_page_read(m, blank, p, len, it->counted_as, it->b.page, rd,
                                      ballot, &sheet, &is_sheet)) == ST_OK &&
                   is_sheet == 1) {
            snprintf(it->why, sizeof it->why, "now reads as the separator sheet of %s",
                     sheet.station);
            it->status = V_RESULT;
        } else if (rc == ST_OK) {
            char *rec = st_page_record(m, it->b.counted_station, it->counted_as, it->now_sha,
                                       it->b.page, ballot);
            if (!rec) {
                rc = ST_ERR_NOMEM;
            } else {
                it->replayed = ballot->outcome;
                free(it->marks);
                it->marks = NULL;
                if (it->b.counted_station && keep_marks(it, rec))
                    rc = ST_ERR_NOMEM;
                if (!same_outcome(&ballot->outcome, &it->b.found)) {
                    char was[96], now[96];
                    describe(&it->b.found, was, sizeof was);
                    describe(&ballot->outcome, now, sizeof now);
                    snprintf(it->why, sizeof it->why, "stored %s, reads as %s", was, now);
                    it->status = V_RESULT;
                } else if (strcmp(rec, it->b.record)) {
                    snprintf(it->why, sizeof it->why,
                             "the stored record (scores, boxes) differs from the replay");
                    it->status = V_RESULT;
                }
                free(rec);
            }
        }
    }
    st_filebytes_close(&fb);
    return rc;
}

/* The replayed outcome that counts: the decision, else for a stored
 * possible rescan its held review (in *tmp), else the replay's. */
static const st_outcome *effective(const vitem *it, st_outcome *tmp)
{
    if (it->b.decided)
        return &it->b.decision;
    if (it->b.rescan_of) {
        st_rescan_held(&it->replayed, tmp);
        return tmp;
    }
    return &it->replayed;
}

static int same_tally(const st_model *m, const st_tally *a, const st_tally *b)
{
    st_tally_totals x, y;
    st_tally_get_totals(a, &x);
    st_tally_get_totals(b, &y);
    if (memcmp(&x, &y, sizeof x))
        return 0;
    for (int l = 0; l < m->n_lists; l++) {
        const st_list *lst = &m->lists[l];
        if (st_tally_list_total(a, lst->number) != st_tally_list_total(b, lst->number))
            return 0;
        for (int c = 1; c <= lst->n_candidates; c++)
            if (st_tally_votes(a, lst->number, c) != st_tally_votes(b, lst->number, c))
                return 0;
    }
    return 1;
}

/* Each station's replayed tally (decisions and moves applied) against the
 * stored outcomes of the same ballots under it, all from the one read of
 * the store: a ballot that reads differently shows in its station even
 * where the totals agree. Sets *differs when one differs. */
static int compare_stations(const st_model *m, const vlist *l, int *differs, st_error *err)
{
    for (int k = 0; k < l->n; k++) {
        const char *st = l->v[k].b.station;
        if (!st)
            continue;
        int first = 1;
        for (int i = 0; i < k && first; i++)
            first = !l->v[i].b.station || strcmp(l->v[i].b.station, st);
        if (!first)
            continue;
        st_tally *mine = st_tally_new(m), *theirs = st_tally_new(m);
        if (!mine || !theirs) {
            st_tally_free(mine);
            st_tally_free(theirs);
            return st_error_set(err, ST_ERR_NOMEM, "verify: out of memory");
        }
        for (int i = k; i < l->n; i++) {
            const vitem *it = &l->v[i];
            if (it->b.station && !strcmp(it->b.station, st)) {
                st_outcome tmp;
                st_tally_add(mine, effective(it, &tmp));
                st_tally_add(theirs, st_store_ballot_outcome(&it->b));
            }
        }
        if (!same_tally(m, mine, theirs))
            *differs = 1;
        st_tally_free(mine);
        st_tally_free(theirs);
    }
    return ST_OK;
}

/* Items by the station they were counted under, then id: the pages one
 * page can match come right before it. */
static int by_station(const void *pa, const void *pb)
{
    const vitem *a = *(vitem *const *)pa, *b = *(vitem *const *)pb;
    int c = strcmp(a->b.counted_station, b->b.counted_station);
    return c ? c : (a->b.id > b->b.id) - (a->b.id < b->b.id);
}

/* Find the possible rescans again from the marks kept (each page against
 * the earlier pages of its station, the best match named) and log every page flagged otherwise than the store has
 * it, as a result changed. Out of memory skips the check, saying so. */
static void find_rescans(vlist *l, FILE *log, st_verify_report *rep)
{
    vitem **v = malloc(sizeof *v * (size_t)(l->n ? l->n : 1));
    int64_t *found = calloc((size_t)(l->n ? l->n : 1), sizeof *found);
    int n = 0;
    if (!v || !found) {
        if (log)
            fprintf(log, "verify: out of memory: possible rescans not checked\n");
        rep->result_changed++;
        free(v);
        free(found);
        return;
    }
    for (int i = 0; i < l->n; i++)
        if (l->v[i].marks)
            v[n++] = &l->v[i];
    qsort(v, (size_t)n, sizeof *v, by_station);
    for (int g = 0, end; g < n; g = end) {
        for (end = g + 1;
             end < n && !strcmp(v[g]->b.counted_station, v[end]->b.counted_station); end++)
            ;
        for (int i = g + 1; i < end; i++) {
            st_rescan_cmp best = {0};
            for (int j = g; j < i; j++) {
                st_rescan_cmp c = st_rescan_compare(v[i]->marks, v[j]->marks);
                if (st_rescan_better(&c, &best)) {
                    best = c;
                    found[v[i] - l->v] = v[j]->b.id;
                }
            }
        }
    }
    for (int i = 0; i < l->n; i++) {
        const vitem *it = &l->v[i];
        if (found[i] == it->b.rescan_of)
            continue;
        rep->result_changed++;
        if (!log)
            continue;
        fprintf(log, "ballot %lld (%s page %d): result changed: ", (long long)it->b.id,
                it->b.file, it->b.page);
        if (!it->b.rescan_of)
            fprintf(log, "the replay finds a possible rescan of ballot %lld, the store none\n",
                    (long long)found[i]);
        else if (!found[i])
            fprintf(log, "stored as a possible rescan of ballot %lld, the replay finds none\n",
                    (long long)it->b.rescan_of);
        else
            fprintf(log, "stored as a possible rescan of ballot %lld, the replay finds one "
                    "of ballot %lld\n", (long long)it->b.rescan_of, (long long)found[i]);
    }
    free(v);
    free(found);
}

#define VERIFY_WINDOW 64

int st_verify(st_store *s, int threads, FILE *log, st_verify_report *rep, st_error *err)
{
    const st_model *m = st_store_model(s);
    vlist l = {0, 0, NULL};
    st_reader **readers = NULL;
    st_ballot *scratch = NULL;
    double *blank = NULL;
    st_tally *replayed = NULL, *stored = NULL;
    int rc, nt = threads > 0 ? threads : omp_get_max_threads();
    memset(rep, 0, sizeof *rep);
    st_cv_single_threaded();
    if ((rc = st_store_each(s, ST_STORE_ALL, take, &l, err))) {
        if (rc == ST_ERR_NOMEM)
            st_error_set(err, rc, "verify: out of memory");
        goto out;
    }
    readers = calloc((size_t)nt, sizeof *readers);
    scratch = calloc((size_t)nt, sizeof *scratch);
    blank = calloc(ST_BLANK_PER_BOX * (size_t)(m->n_targets ? m->n_targets : 1),
                   sizeof *blank);
    replayed = st_tally_new(m);
    stored = st_tally_new(m);
    if (!readers || !scratch || !blank || !replayed || !stored) {
        rc = st_error_set(err, ST_ERR_NOMEM, "verify: out of memory");
        goto out;
    }
    for (int i = 0; i < nt; i++)
        if (!(readers[i] = st_reader_new()) || st_ballot_init(&scratch[i], m)) {
            rc = st_error_set(err, ST_ERR_NOMEM, "verify: out of memory");
            goto out;
        }
    /* The blank ballot's own scores, as count computes them. */
    if ((rc = st_score_blank(m, ST_RENDER_DPI_MIN, blank, err)))
        goto out;
    for (int start = 0; start < l.n; start += VERIFY_WINDOW) {
        int end = start + VERIFY_WINDOW < l.n ? start + VERIFY_WINDOW : l.n, failed = 0;
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) reduction(| : failed)
        for (int i = start; i < end; i++) {
            int t = omp_get_thread_num();
            failed |= replay(m, blank, readers[t], &scratch[t], &l.v[i]) != ST_OK;
        }
        if (failed) {
            rc = st_error_set(err, ST_ERR_NOMEM, "verify: out of memory");
            goto out;
        }
        for (int i = start; i < end; i++) {
            vitem *it = &l.v[i];
            rep->ballots++;
            st_outcome tmp;
            const st_outcome *o = effective(it, &tmp);
            if (st_tally_add(replayed, o) != ST_OK)
                rep->result_changed++; /* an outcome the model cannot hold */
            if (st_tally_add(stored, st_store_ballot_outcome(&it->b)) != ST_OK) {
                rc = st_error_set(err, ST_ERR_INVALID, "verify: ballot %lld: a stored "
                                  "outcome the model cannot hold", (long long)it->b.id);
                goto out;
            }
            if (it->status == V_SAME || it->status == V_SKIPPED)
                continue;
            const char *what = it->status == V_MISSING ? "file missing"
                               : it->status == V_CHANGED ? "file changed"
                                                         : "result changed";
            rep->file_missing += it->status == V_MISSING;
            rep->file_changed += it->status == V_CHANGED;
            rep->result_changed += it->status == V_RESULT;
            if (!log)
                continue;
            fprintf(log, "ballot %lld (%s page %d): %s: ", (long long)it->b.id, it->b.file,
                    it->b.page, what);
            if (it->status == V_CHANGED)
                fprintf(log, "sha256 was %s, is now %s\n", it->b.sha256, it->now_sha);
            else
                fprintf(log, "%s\n", it->why);
        }
    }
    find_rescans(&l, log, rep);
    rep->tally_differs = !same_tally(m, replayed, stored);
    if ((rc = compare_stations(m, &l, &rep->tally_differs, err)))
        goto out;
    rc = ST_OK;
out:
    for (int i = 0; i < l.n; i++) {
        st_store_ballot_clear(&l.v[i].b);
        free(l.v[i].counted_as);
        free(l.v[i].marks);
    }
    free(l.v);
    for (int i = 0; readers && i < nt; i++)
        st_reader_free(readers[i]);
    for (int i = 0; scratch && i < nt; i++)
        st_ballot_free(&scratch[i]);
    free(readers);
    free(scratch);
    free(blank);
    st_tally_free(replayed);
    st_tally_free(stored);
    return rc;
}
