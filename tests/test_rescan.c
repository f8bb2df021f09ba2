/* test_rescan.c - a sheet scanned twice is sent to people, another ballot is not
 *
 * Real TIFF files from synth through the command line: a jam (one sheet
 * fed again with a new shift, turn and noise) counted into a store under
 * a station, flagged as a possible rescan of its first scan, voided, and
 * the station's figures equal to its real count; blank sheets fed twice,
 * never flagged; and a set of rescans among distinct ballots that are all
 * the same vote in the same mark style, where the rescans must be flagged
 * (at least 99%) and pairs of distinct ballots must not match (at most
 * 0.1% of the pairs with the same marked boxes). The figures go to the
 * test's log.
 */
#include "helpers.h"

#include "stemtel/rescan.h"
#include "stemtel/store.h"

#include "run_ok.h"

#include <json-c/json.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL "models/test-small.json"
#define STATION "9999::SB1"
#define MEMBER "A. Jansen"

/* One page of a synth set as the store holds it. */
typedef struct page {
    char file[64];
    int sheet;              /* truth index of its sheet's first scan */
    int rescan;
    int64_t id, rescan_of;  /* in the store */
    json_object *expected;  /* borrowed from the truth records */
} page;

typedef struct set {
    json_object **truth;
    int n;
    page *p;
} set;

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Pages in truth order; store ids filled by store_ids. */
static set read_truth(const char *dir)
{
    char path[4200];
    set s = {0};
    snprintf(path, sizeof path, "%s/truth.jsonl", dir);
    s.truth = th_jsonl_strict(path, "synth", &s.n);
    s.p = calloc((size_t)s.n, sizeof *s.p);
    assert_non_null(s.p);
    for (int i = 0; i < s.n; i++) {
        page *p = &s.p[i];
        snprintf(p->file, sizeof p->file, "%s", th_json_str(s.truth[i], "file"));
        json_object *r = th_json_get(s.truth[i], "rescan_of");
        p->rescan = r != NULL;
        p->sheet = r ? th_json_int(r, "index") : i;
        p->expected = th_json_get(s.truth[i], "expected");
    }
    return s;
}

static void set_free(set *s)
{
    th_jsonl_free(s->truth, s->n);
    free(s->p);
}

static int take_id(void *ctx, st_store_ballot *b)
{
    set *s = ctx;
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->p[i].file, base_name(b->file))) {
            s->p[i].id = b->id;
            s->p[i].rescan_of = b->rescan_of;
        }
    return 0;
}

/* Each page's id in the store, and the earlier page it may be a rescan of. */
static void store_ids(const char *store, set *s)
{
    st_error err = {0};
    st_store *st = NULL;
    assert_st_ok(st_store_open(store, NULL, &st, &err), &err);
    assert_st_ok(st_store_each(st, ST_STORE_ALL, take_id, s, &err), &err);
    st_store_close(st);
    for (int i = 0; i < s->n; i++)
        if (!s->p[i].id)
            fail_msg("%s is not in the store", s->p[i].file);
}

static int index_of_id(const set *s, int64_t id)
{
    for (int i = 0; i < s->n; i++)
        if (s->p[i].id == id)
            return i;
    return -1;
}

/* The value of row (kind, list, candidate) in a tally.csv text; -1 when
 * there is no such row. */
static long csv_value(const char *csv, const char *kind, const char *list, const char *cand)
{
    char want[96];
    snprintf(want, sizeof want, "\n%s,%s,%s,", kind, list, cand);
    const char *at = strstr(csv, want);
    if (!at)
        return -1;
    /* The count is the line's last field (a name may hold a comma). */
    const char *end = strchr(at + 1, '\n'), *comma = NULL;
    for (const char *c = at + 1; c < (end ? end : at + strlen(at)); c++)
        if (*c == ',')
            comma = c;
    return comma ? strtol(comma + 1, NULL, 10) : -1;
}

static void test_rescan_a_jammed_sheet_is_flagged_voided_and_the_count_is_right(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL, store[4200], path[4200];
    snprintf(store, sizeof store, "%s/cso.db", dir);
    /* Clear pen votes, so that nothing but the rescan waits for people. */
    RUN_OK("synth '%s' --out '%s/in' --count 24 --rescans 1 --seed 21 --dpi 150 "
           "--format grey-jpeg --scenarios vote --styles fill,x,check --instruments "
           "black-pen,blue-pen --degrade shift,rotate,noise", model, dir);
    snprintf(path, sizeof path, "%s/in", dir);
    set s = read_truth(path);
    int r = -1;
    for (int i = 0; i < s.n; i++)
        if (s.p[i].rescan)
            r = i;
    assert_true(r > 0);
    /* The real count: every sheet once. */
    long votes[4][6] = {{0}}, sheets = 0;
    for (int i = 0; i < s.n; i++) {
        assert_string_equal(th_json_str(s.p[i].expected, "outcome"), "vote");
        if (s.p[i].rescan)
            continue;
        votes[th_json_int(s.p[i].expected, "list")][th_json_int(s.p[i].expected, "candidate")]++;
        sheets++;
    }
    /* The count's own figures cannot hold the flag (the store finds it on
     * commit): its summary says so apart. */
    assert_int_equal(th_run(&out, "count --model '%s' --station %s --store '%s' --out '%s/out' "
                                  "'%s/in'", model, STATION, store, dir, dir), 0);
    if (!strstr(out, "possible rescans 1:") || !strstr(out, "review list --store"))
        fail_msg("the count's summary does not tell of the possible rescan:\n%s", out);
    free(out);
    out = NULL;
    store_ids(store, &s);
    /* The second scan, and only it, waits for people, naming the first. */
    int first = s.p[r].sheet;
    for (int i = 0; i < s.n; i++)
        assert_int_equal(s.p[i].rescan_of, i == r ? s.p[first].id : 0);
    assert_int_equal(th_run(&out, "review list --store '%s'", store), 0);
    char want[160];
    snprintf(want, sizeof want, "possible rescan of ballot %lld (similarity 0.9",
             (long long)s.p[first].id);
    if (!strstr(out, want) || !strstr(out, s.p[r].file) || !strstr(out, "1 ballot waiting"))
        fail_msg("review list does not name the first scan:\n%s", out);
    print_message("    %s", out);
    free(out);
    assert_int_equal(th_run(&out, "review show %lld --store '%s'", (long long)s.p[r].id, store),
                     0);
    if (!strstr(out, "possible rescan of ballot") || !strstr(out, s.p[first].file))
        fail_msg("review show does not name the first scan's file:\n%s", out);
    free(out);
    /* A review blocks the result; people void the second scan. */
    snprintf(path, sizeof path, "%s/basis.csv", dir);
    long e1 = 0, e2 = 0, e3 = 0;
    for (int c = 1; c < 6; c++)
        e1 += votes[1][c], e2 += votes[2][c], e3 += votes[3][c];
    char csv[512];
    snprintf(csv, sizeof csv,
             "station,A,B,C,D,E.1,E.2,E.3,E,F,G,H,I,J,explained\n"
             "%s,%ld,0,0,%ld,%ld,%ld,%ld,%ld,0,0,%ld,0,0,yes\n",
             STATION, sheets, sheets, e1, e2, e3, sheets, sheets);
    th_write(path, csv);
    RUN_OK("basis import --store '%s' '%s'", store, path);
    assert_int_equal(th_run(&out, "reconcile --store '%s'", store), 3);
    free(out);
    RUN_OK("members add '%s' --role voorzitter --store '%s'", MEMBER, store);
    RUN_OK("review decide %lld --store '%s' --as void:rescan --by '%s' --note 'jam'",
           (long long)s.p[r].id, store, MEMBER);
    /* The station's figures are its real count, candidate by candidate. */
    RUN_OK("tally --store '%s' --station %s --out '%s/tally'", store, STATION, dir);
    snprintf(path, sizeof path, "%s/tally/tally.csv", dir);
    char *tally = th_slurp(path, NULL);
    assert_non_null(tally);
    static const int ncand[4] = {0, 5, 3, 2};
    for (int l = 1; l <= 3; l++)
        for (int c = 1; c <= ncand[l]; c++) {
            char ls[8], cs[8];
            snprintf(ls, sizeof ls, "%d", l);
            snprintf(cs, sizeof cs, "%d", c);
            assert_int_equal(csv_value(tally, "candidate", ls, cs), votes[l][c]);
        }
    assert_int_equal(csv_value(tally, "H", "", ""), sheets);
    assert_int_equal(csv_value(tally, "review", "", ""), 0);
    assert_int_equal(csv_value(tally, "void:rescan", "", ""), 1);
    free(tally);
    assert_int_equal(th_run(&out, "reconcile --store '%s'", store), 0);
    free(out);
    /* An auditor's replay finds the same flag and the same figures. */
    assert_int_equal(th_run(&out, "verify --store '%s'", store), 0);
    if (!strstr(out, "0 results changed"))
        fail_msg("verify: %s", out);
    free(out);
    set_free(&s);
    th_rmtree(dir);
    free(dir);
    free(model);
}

/* Count inputs (a shell word list under dir) under STATION into store,
 * the run's files in dir/out_name, and return what `review list` says
 * then (the caller's). */
static char *count_and_list(const char *model, const char *store, const char *dir,
                            const char *out_name, const char *inputs)
{
    char *out = NULL;
    RUN_OK("count --model '%s' --station %s --store '%s' --out '%s/%s' %s", model, STATION,
           store, dir, out_name, inputs);
    assert_int_equal(th_run(&out, "review list --store '%s'", store), 0);
    return out;
}

static void test_rescan_a_blank_sheet_fed_twice_is_never_flagged(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL, store[4200];
    snprintf(store, sizeof store, "%s/cso.db", dir);
    RUN_OK("synth '%s' --out '%s/in' --count 8 --rescans 4 --seed 22 --dpi 150 "
           "--scenarios blank --degrade none", model, dir);
    char in[4300];
    snprintf(in, sizeof in, "'%s/in'", dir);
    /* Identical blank pages but for the scanner: nothing tells them apart. */
    out = count_and_list(model, store, dir, "out", in);
    if (!strstr(out, "0 ballots waiting"))
        fail_msg("a blank page was sent to review:\n%s", out);
    free(out);
    th_rmtree(dir);
    free(dir);
    free(model);
}

static void test_rescan_flags_rescans_and_not_distinct_ballots_with_one_vote(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), store[4200], path[4200];
    snprintf(store, sizeof store, "%s/cso.db", dir);
    /* 300 sheets, all a fill of list 1 and candidate 1, 100 fed twice. */
    RUN_OK("synth '%s' --out '%s/in' --count 400 --rescans 100 --vote 1:1 --styles fill "
           "--seed 23 --dpi 150 --format grey-jpeg", model, dir);
    RUN_OK("count --model '%s' --station %s --store '%s' --out '%s/out' '%s/in'", model,
           STATION, store, dir, dir);
    snprintf(path, sizeof path, "%s/in", dir);
    set s = read_truth(path);
    store_ids(store, &s);
    /* Every page's marks from the records the count wrote. */
    snprintf(path, sizeof path, "%s/out/ballots.jsonl", dir);
    int nb = 0;
    json_object **recs = th_jsonl_strict(path, "count", &nb);
    assert_int_equal(nb, s.n);
    st_rescan_marks *mk = calloc((size_t)nb, sizeof *mk);
    assert_non_null(mk);
    for (int i = 0; i < nb; i++) {
        st_error err = {0};
        assert_string_equal(base_name(th_json_str(recs[i], "file")), s.p[i].file);
        assert_st_ok(st_rescan_marks_read(json_object_to_json_string(recs[i]), &mk[i], &err),
                     &err);
    }
    /* A rescan can be flagged when both scans show a marked box (a faint
     * pencil read marginal everywhere is in review for that, and is never
     * compared: it cannot be told from a blank). */
    int rescans = 0, can = 0, flagged = 0, wrong = 0, firsts = 0, firsts_flagged = 0;
    for (int i = 0; i < s.n; i++) {
        const page *p = &s.p[i];
        if (!p->rescan) {
            firsts++;
            firsts_flagged += p->rescan_of != 0;
            continue;
        }
        rescans++;
        can += mk[i].n && mk[p->sheet].n;
        if (!p->rescan_of)
            continue;
        flagged++;
        int k = index_of_id(&s, p->rescan_of);
        wrong += k < 0 || s.p[k].sheet != p->sheet;
    }
    /* Every pair of distinct sheets the check compares. */
    long pairs = 0, matched = 0;
    double worst = -1;
    for (int i = 0; i < nb; i++)
        for (int j = 0; j < i; j++) {
            if (s.p[i].sheet == s.p[j].sheet)
                continue;
            st_rescan_cmp c = st_rescan_compare(&mk[i], &mk[j]);
            if (!c.comparable)
                continue;
            pairs++;
            matched += c.match;
            if (c.similarity > worst)
                worst = c.similarity;
        }
    print_message("    %d of %d rescans flagged (%d can be: both scans show a marked box; %d "
                  "naming another sheet); %d of %d first scans flagged; %ld of %ld pairs of "
                  "distinct sheets match (most similar %.3f)\n", flagged, rescans, can, wrong,
                  firsts_flagged, firsts, matched, pairs, worst);
    assert_int_equal(rescans, 100);
    assert_true(can >= 95);
    assert_true(100 * (flagged - wrong) >= 99 * can);
    assert_true(pairs > 40000);
    assert_true(matched * 1000 <= pairs);
    free(mk);
    th_jsonl_free(recs, nb);
    set_free(&s);
    th_rmtree(dir);
    free(dir);
    free(model);
}

/* Box id's print in rec replaced by hex (a string of the given length:
 * the 16 x 16 cells of a record from before prints grew finer, or junk). */
static void set_print(json_object *rec, const char *id, const char *hex)
{
    json_object *boxes = NULL;
    assert_true(json_object_object_get_ex(rec, "boxes", &boxes));
    for (size_t i = 0; i < json_object_array_length(boxes); i++) {
        json_object *b = json_object_array_get_idx(boxes, i);
        if (!strcmp(th_json_str(b, "id"), id))
            json_object_object_add(b, "print", json_object_new_string(hex));
    }
}

static void test_rescan_prints_from_before_finer_ones_are_not_compared(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL, store[4200], path[4200];
    snprintf(store, sizeof store, "%s/cso.db", dir);
    RUN_OK("synth '%s' --out '%s/in' --count 3 --rescans 1 --vote 1:1 --styles fill "
           "--seed 24 --dpi 150 --format grey-jpeg --degrade shift,noise", model, dir);
    RUN_OK("count --model '%s' --out '%s/out' '%s/in'", model, dir, dir);
    snprintf(path, sizeof path, "%s/out/ballots.jsonl", dir);
    int nb = 0;
    json_object **recs = th_jsonl_strict(path, "count", &nb);
    assert_int_equal(nb, 3);
    st_rescan_marks mk;
    st_error err = {0};
    assert_st_ok(st_rescan_marks_read(json_object_to_json_string(recs[0]), &mk, &err), &err);
    assert_int_equal(mk.n, 2);
    /* A record of the old size is read, and not compared. */
    char old[2 * ST_PRINT_OLD_CELLS + 1];
    memset(old, '4', sizeof old - 1);
    old[sizeof old - 1] = '\0';
    set_print(recs[0], "N1", old);
    assert_st_ok(st_rescan_marks_read(json_object_to_json_string(recs[0]), &mk, &err), &err);
    assert_int_equal(mk.n, 0);
    /* Any other length is a broken record, named by its box. */
    set_print(recs[0], "N1", "0a0b0c");
    assert_int_equal(st_rescan_marks_read(json_object_to_json_string(recs[0]), &mk, &err),
                     ST_ERR_PARSE);
    if (!strstr(err.msg, "box N1") || !strstr(err.msg, "6 hex digits"))
        fail_msg("the error does not name the box and what is wrong: %s", err.msg);
    for (int i = 0; i < nb; i++)
        json_object_put(recs[i]);
    free(recs);
    /* The third page is a rescan of the first: a store flags it... */
    char store2[4200], in[4300];
    snprintf(store2, sizeof store2, "%s/new.db", dir);
    snprintf(in, sizeof in, "'%s/in'", dir);
    out = count_and_list(model, store2, dir, "out1", in);
    if (!strstr(out, "possible rescan of ballot 1 "))
        fail_msg("the rescan was not flagged:\n%s", out);
    free(out);
    /* ...but not when the first was stored with 16 x 16 prints: the rescan
     * is taken, compared with nothing it cannot read. */
    RUN_OK("count --model '%s' --station %s --store '%s' --out '%s/out2' '%s/in/ballot-000001.tif'",
           model, STATION, store, dir, dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "UPDATE prints SET prints = substr(prints, 1, 256 * "
                                      "(length(inked) - length(replace(inked, ' ', '')) + 1))",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    out = count_and_list(model, store, dir, "out3", in);
    if (strstr(out, "possible rescan"))
        fail_msg("a page with old prints was compared:\n%s", out);
    free(out);
    th_rmtree(dir);
    free(dir);
    free(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rescan_a_jammed_sheet_is_flagged_voided_and_the_count_is_right),
        cmocka_unit_test(test_rescan_a_blank_sheet_fed_twice_is_never_flagged),
        cmocka_unit_test(test_rescan_flags_rescans_and_not_distinct_ballots_with_one_vote),
        cmocka_unit_test(test_rescan_prints_from_before_finer_ones_are_not_compared),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
