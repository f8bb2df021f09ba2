/* test_tally.c - the N 10-2 arithmetic, merging, and the CSV and JSON bytes */
#include "helpers.h"
#include "stemtel/interpret.h"
#include "stemtel/model.h"
#include "stemtel/tally.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fx {
    st_model *m;
    st_box *boxes;
    char *dir;
} fx;

static st_model *load_model(const char *rel)
{
    st_error err = {0};
    st_model *m = NULL;
    char *path = th_root(rel);
    assert_st_ok(st_model_load(path, &m, &err), &err);
    free(path);
    return m;
}

static int setup_with(void **state, const char *rel)
{
    fx *f = calloc(1, sizeof *f);
    f->m = load_model(rel);
    f->boxes = calloc((size_t)f->m->n_targets, sizeof *f->boxes);
    f->dir = th_tmpdir();
    *state = f;
    return 0;
}

static int setup_small(void **state)
{
    return setup_with(state, "models/test-small.json");
}

static int setup_real(void **state)
{
    return setup_with(state, "models/gr2022-west-maas-en-waal.json");
}

static int teardown(void **state)
{
    fx *f = *state;
    th_rmtree(f->dir);
    free(f->dir);
    st_model_free(f->m);
    free(f->boxes);
    free(f);
    return 0;
}

/* The outcome of a ballot with the given boxes marked ("L1 N2"), the ones
 * in `marginal` marginal, and writing if asked. */
static st_outcome ballot(fx *f, const char *marked, const char *marginal,
                         int writing)
{
    memset(f->boxes, 0, (size_t)f->m->n_targets * sizeof *f->boxes);
    const char *sets[2] = {marked, marginal};
    for (int s = 0; s < 2; s++) {
        if (!sets[s])
            continue;
        char buf[256];
        snprintf(buf, sizeof buf, "%s", sets[s]);
        for (char *save = NULL, *id = strtok_r(buf, " ", &save); id;
             id = strtok_r(NULL, " ", &save)) {
            int i = 0;
            while (i < f->m->n_targets && strcmp(f->m->targets[i].id, id) != 0)
                i++;
            if (i == f->m->n_targets)
                fail_msg("no target %s", id);
            f->boxes[i].state = s == 0 ? ST_BOX_MARKED : ST_BOX_MARGINAL;
        }
    }
    st_outcome o;
    st_interpret(f->m, f->boxes, writing, &o);
    return o;
}

static void add(st_tally *t, const st_outcome *o)
{
    int rc = st_tally_add(t, o);
    if (rc != ST_OK)
        fail_msg("st_tally_add(%s) returned %d", st_outcome_name(o->kind), rc);
}

static st_outcome rejected(const char *reason)
{
    st_outcome o;
    st_outcome_reject(&o, reason);
    return o;
}

/* The small case whose files are spelled out below: 5 votes (one party
 * only), 2 blank, 3 invalid, 2 reviews, 3 rejected. */
static void add_small_case(fx *f, st_tally *t)
{
    st_outcome o[15];
    int n = 0;
    o[n++] = ballot(f, "L1 N2", NULL, 0);
    o[n++] = ballot(f, "L1 N2", NULL, 0);
    o[n++] = ballot(f, "L1", NULL, 0);       /* party only: candidate 1 */
    o[n++] = ballot(f, "L2 N3", NULL, 0);
    o[n++] = ballot(f, "L3 N1", NULL, 0);
    o[n++] = ballot(f, "", NULL, 0);
    o[n++] = ballot(f, NULL, NULL, 0);
    o[n++] = ballot(f, "N4", NULL, 0);       /* number_without_list */
    o[n++] = ballot(f, "L1 L2", NULL, 0);    /* several_lists */
    o[n++] = ballot(f, "L3 N5", NULL, 0);    /* no_such_candidate */
    o[n++] = ballot(f, "L1 N1 N2", NULL, 0); /* review several_numbers */
    o[n++] = ballot(f, "L2 N1", "N3", 1);    /* review marginal + writing */
    o[n++] = rejected("unreadable");
    o[n++] = rejected("no_registration_marks");
    o[n++] = rejected("unreadable");
    for (int i = 0; i < n; i++)
        add(t, &o[i]);
}

static const char small_csv[] =
    "kind,list,candidate,name,count\n"
    "list,1,,\"Partij Een\",3\n"
    "candidate,1,1,\"Jansen, A. (Anna)\",1\n"
    "candidate,1,2,\"Bakker, B. (Bram)\",2\n"
    "candidate,1,3,\"Visser, C. (Cor)\",0\n"
    "candidate,1,4,\"Smit, D. (Dina)\",0\n"
    "candidate,1,5,\"Mulder, E. (Eef)\",0\n"
    "list,2,,\"Lijst Twee\",1\n"
    "candidate,2,1,\"de Vries, F. (Fleur)\",0\n"
    "candidate,2,2,\"van Dijk, G. (Gijs)\",0\n"
    "candidate,2,3,\"Bos, H. (Hanna)\",1\n"
    "list,3,,\"Derde Groep\",1\n"
    "candidate,3,1,\"Meijer, I. (Ilse)\",1\n"
    "candidate,3,2,\"de Boer, J. (Joost)\",0\n"
    "E,,,,5\n"
    "F,,,,2\n"
    "G,,,,3\n"
    "H,,,,10\n"
    "party_only,1,,\"Partij Een\",1\n"
    "party_only,2,,\"Lijst Twee\",0\n"
    "party_only,3,,\"Derde Groep\",0\n"
    "party_only,,,,1\n"
    "invalid:identifying_writing,,,,0\n"
    "invalid:no_such_candidate,,,,1\n"
    "invalid:number_without_list,,,,1\n"
    "invalid:other,,,,0\n"
    "invalid:party_only,,,,0\n"
    "invalid:several_lists,,,,1\n"
    "invalid:several_numbers,,,,0\n"
    "review,,,,2\n"
    "review:marginal_mark,,,,1\n"
    "review:no_such_candidate,,,,0\n"
    "review:several_numbers,,,,1\n"
    "review:writing_outside_boxes,,,,1\n"
    "rejected,,,,3\n"
    "rejected:no_registration_marks,,,,1\n"
    "rejected:unreadable,,,,2\n"
    "void,,,,0\n"
    "void:damaged,,,,0\n"
    "void:not_a_ballot,,,,0\n"
    "void:rescan,,,,0\n";

static const char small_json[] =
    "{\n"
    "  \"election_id\": \"TEST2026_Klein\",\n"
    "  \"lists\": [\n"
    "    {\n"
    "      \"number\": 1,\n"
    "      \"name\": \"Partij Een\",\n"
    "      \"total\": 3,\n"
    "      \"party_only\": 1,\n"
    "      \"candidates\": [\n"
    "        {\n"
    "          \"number\": 1,\n"
    "          \"name\": \"Jansen, A. (Anna)\",\n"
    "          \"votes\": 1\n"
    "        },\n"
    "        {\n"
    "          \"number\": 2,\n"
    "          \"name\": \"Bakker, B. (Bram)\",\n"
    "          \"votes\": 2\n"
    "        },\n"
    "        {\n"
    "          \"number\": 3,\n"
    "          \"name\": \"Visser, C. (Cor)\",\n"
    "          \"votes\": 0\n"
    "        },\n"
    "        {\n"
    "          \"number\": 4,\n"
    "          \"name\": \"Smit, D. (Dina)\",\n"
    "          \"votes\": 0\n"
    "        },\n"
    "        {\n"
    "          \"number\": 5,\n"
    "          \"name\": \"Mulder, E. (Eef)\",\n"
    "          \"votes\": 0\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"number\": 2,\n"
    "      \"name\": \"Lijst Twee\",\n"
    "      \"total\": 1,\n"
    "      \"party_only\": 0,\n"
    "      \"candidates\": [\n"
    "        {\n"
    "          \"number\": 1,\n"
    "          \"name\": \"de Vries, F. (Fleur)\",\n"
    "          \"votes\": 0\n"
    "        },\n"
    "        {\n"
    "          \"number\": 2,\n"
    "          \"name\": \"van Dijk, G. (Gijs)\",\n"
    "          \"votes\": 0\n"
    "        },\n"
    "        {\n"
    "          \"number\": 3,\n"
    "          \"name\": \"Bos, H. (Hanna)\",\n"
    "          \"votes\": 1\n"
    "        }\n"
    "      ]\n"
    "    },\n"
    "    {\n"
    "      \"number\": 3,\n"
    "      \"name\": \"Derde Groep\",\n"
    "      \"total\": 1,\n"
    "      \"party_only\": 0,\n"
    "      \"candidates\": [\n"
    "        {\n"
    "          \"number\": 1,\n"
    "          \"name\": \"Meijer, I. (Ilse)\",\n"
    "          \"votes\": 1\n"
    "        },\n"
    "        {\n"
    "          \"number\": 2,\n"
    "          \"name\": \"de Boer, J. (Joost)\",\n"
    "          \"votes\": 0\n"
    "        }\n"
    "      ]\n"
    "    }\n"
    "  ],\n"
    "  \"E\": 5,\n"
    "  \"F\": 2,\n"
    "  \"G\": 3,\n"
    "  \"H\": 10,\n"
    "  \"party_only\": 1,\n"
    "  \"invalid\": {\n"
    "    \"identifying_writing\": 0,\n"
    "    \"no_such_candidate\": 1,\n"
    "    \"number_without_list\": 1,\n"
    "    \"other\": 0,\n"
    "    \"party_only\": 0,\n"
    "    \"several_lists\": 1,\n"
    "    \"several_numbers\": 0\n"
    "  },\n"
    "  \"review\": {\n"
    "    \"total\": 2,\n"
    "    \"reasons\": {\n"
    "      \"marginal_mark\": 1,\n"
    "      \"no_such_candidate\": 0,\n"
    "      \"several_numbers\": 1,\n"
    "      \"writing_outside_boxes\": 1\n"
    "    }\n"
    "  },\n"
    "  \"rejected\": {\n"
    "    \"total\": 3,\n"
    "    \"reasons\": {\n"
    "      \"no_registration_marks\": 1,\n"
    "      \"unreadable\": 2\n"
    "    }\n"
    "  },\n"
    "  \"void\": {\n"
    "    \"total\": 0,\n"
    "    \"reasons\": {\n"
    "      \"damaged\": 0,\n"
    "      \"not_a_ballot\": 0,\n"
    "      \"rescan\": 0\n"
    "    }\n"
    "  }\n"
    "}\n";

/* Write t in both formats under f->dir/<stem>.{csv,json}; return the
 * bytes (malloc'd) through csv and json. */
static void write_both(fx *f, const st_tally *t, const char *stem, char **csv,
                       char **json)
{
    st_error err = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/%s.csv", f->dir, stem);
    assert_st_ok(st_tally_write_csv(t, path, &err), &err);
    *csv = th_slurp(path, NULL);
    assert_non_null(*csv);
    snprintf(path, sizeof path, "%s/%s.json", f->dir, stem);
    assert_st_ok(st_tally_write_json(t, path, &err), &err);
    *json = th_slurp(path, NULL);
    assert_non_null(*json);
}

static void assert_text_equal(const char *got, const char *want)
{
    if (strcmp(got, want) != 0)
        fail_msg("file differs.\n--- got:\n%s\n--- want:\n%s", got, want);
}

/* ---- arithmetic ---- */

static void test_tally_new_tally_is_all_zero(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    assert_non_null(t);
    assert_ptr_equal(st_tally_model(t), f->m);
    st_tally_totals tot;
    st_tally_get_totals(t, &tot);
    assert_true(tot.E == 0 && tot.F == 0 && tot.G == 0 && tot.H == 0);
    assert_true(tot.party_only == 0 && tot.review == 0 && tot.rejected == 0);
    assert_int_equal(st_tally_n_reasons(t, ST_OUTCOME_INVALID), 7);
    assert_int_equal(st_tally_n_reasons(t, ST_OUTCOME_VOID), 3);
    assert_true(tot.voided == 0);
    assert_int_equal(st_tally_n_reasons(t, ST_OUTCOME_REVIEW), 4);
    assert_int_equal(st_tally_n_reasons(t, ST_OUTCOME_REJECTED), 0);
    assert_int_equal(st_tally_n_reasons(t, ST_OUTCOME_VOTE), 0);
    st_tally_free(t);
    st_tally_free(NULL);
    assert_null(st_tally_new(NULL));
}

static void test_tally_small_case_figures_match_hand_count(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    add_small_case(f, t);
    st_tally_totals tot;
    st_tally_get_totals(t, &tot);
    assert_int_equal(tot.E, 5);
    assert_int_equal(tot.F, 2);
    assert_int_equal(tot.G, 3);
    assert_int_equal(tot.H, 10);
    assert_int_equal(tot.party_only, 1);
    assert_int_equal(tot.review, 2);
    assert_int_equal(tot.rejected, 3);
    assert_int_equal(st_tally_votes(t, 1, 1), 1);
    assert_int_equal(st_tally_votes(t, 1, 2), 2);
    assert_int_equal(st_tally_votes(t, 2, 3), 1);
    assert_int_equal(st_tally_votes(t, 3, 1), 1);
    assert_int_equal(st_tally_votes(t, 3, 3), 0); /* not on the list */
    assert_int_equal(st_tally_votes(t, 9, 1), 0);
    assert_int_equal(st_tally_list_total(t, 1), 3);
    assert_int_equal(st_tally_list_total(t, 2), 1);
    assert_int_equal(st_tally_list_total(t, 3), 1);
    assert_int_equal(st_tally_list_party_only(t, 1), 1);
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_INVALID,
                                           ST_REASON_SEVERAL_LISTS), 1);
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_REVIEW,
                                           ST_REASON_WRITING), 1);
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_REJECTED,
                                           "unreadable"), 2);
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_REJECTED, "torn"), 0);
    st_tally_free(t);
}

/* A deterministic stream of many ballots over the real model, every kind
 * of outcome included. */
static void add_stream(fx *f, st_tally *t, int from, int to)
{
    char marked[64], marginal[16];
    for (int i = from; i < to; i++) {
        unsigned h = (unsigned)i * 2654435761u;
        int list = 1 + (int)(h % 8), num = 1 + (int)((h >> 8) % 48);
        int kind = (int)((h >> 16) % 10);
        st_outcome o;
        marginal[0] = '\0';
        if (kind <= 4)
            snprintf(marked, sizeof marked, "L%d N%d", list, num);
        else if (kind == 5)
            snprintf(marked, sizeof marked, "L%d", list);
        else if (kind == 6)
            snprintf(marked, sizeof marked, "%s", "");
        else if (kind == 7)
            snprintf(marked, sizeof marked, "L%d L%d", list, list % 8 + 1);
        else if (kind == 8) {
            snprintf(marked, sizeof marked, "L%d N%d", list, num);
            snprintf(marginal, sizeof marginal, "N%d", num % 48 + 1);
        }
        if (kind == 9) {
            o = rejected(i % 2 ? "unreadable" : "too_distorted");
        } else {
            o = ballot(f, marked, marginal[0] ? marginal : NULL, i % 17 == 0);
        }
        add(t, &o);
    }
}

static void test_tally_h_is_e_plus_f_plus_g_and_lists_sum_their_candidates(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    add_stream(f, t, 0, 5000);
    st_tally_totals tot;
    st_tally_get_totals(t, &tot);
    assert_int_equal(tot.H, tot.E + tot.F + tot.G);
    int64_t e = 0, po = 0;
    for (int l = 0; l < f->m->n_lists; l++) {
        const st_list *list = &f->m->lists[l];
        int64_t sum = 0;
        for (int c = 1; c <= list->n_candidates; c++)
            sum += st_tally_votes(t, list->number, c);
        assert_int_equal(sum, st_tally_list_total(t, list->number));
        e += sum;
        po += st_tally_list_party_only(t, list->number);
    }
    assert_int_equal(e, tot.E);
    assert_int_equal(po, tot.party_only);
    assert_true(tot.E > 0 && tot.F > 0 && tot.G > 0 && tot.review > 0 &&
                tot.rejected > 0 && tot.party_only > 0);
    /* Every ballot is somewhere, once. */
    assert_int_equal(tot.H + tot.review + tot.rejected, 5000);
    /* Invalid reasons sum to G. */
    int64_t g = 0, n;
    for (int i = 0; st_tally_reason_at(t, ST_OUTCOME_INVALID, i, &n); i++)
        g += n;
    assert_int_equal(g, tot.G);
    st_tally_free(t);
}

static void test_tally_party_only_credited_to_candidate_1_only_under_first_candidate(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    f->m->settings.party_only = ST_PARTY_ONLY_FIRST_CANDIDATE;
    st_outcome o = ballot(f, "L2", NULL, 0);
    add(t, &o);
    st_tally_totals tot;
    st_tally_get_totals(t, &tot);
    assert_int_equal(st_tally_votes(t, 2, 1), 1);
    assert_int_equal(st_tally_list_total(t, 2), 1);
    assert_int_equal(st_tally_list_party_only(t, 2), 1);
    assert_int_equal(tot.party_only, 1);
    assert_int_equal(tot.E, 1);
    assert_int_equal(tot.G, 0);
    st_tally_free(t);

    t = st_tally_new(f->m);
    f->m->settings.party_only = ST_PARTY_ONLY_INVALID;
    o = ballot(f, "L2", NULL, 0);
    add(t, &o);
    st_tally_get_totals(t, &tot);
    assert_int_equal(st_tally_votes(t, 2, 1), 0);
    assert_int_equal(st_tally_list_total(t, 2), 0);
    assert_int_equal(st_tally_list_party_only(t, 2), 0);
    assert_int_equal(tot.party_only, 0);
    assert_int_equal(tot.E, 0);
    assert_int_equal(tot.G, 1);
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_INVALID,
                                           ST_REASON_PARTY_ONLY), 1);
    st_tally_free(t);
}

static void test_tally_review_and_rejected_stay_out_of_h(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    st_outcome o = ballot(f, "L1 N1", "L2", 1); /* two reasons */
    add(t, &o);
    o = rejected("double_feed");
    add(t, &o);
    st_tally_totals tot;
    st_tally_get_totals(t, &tot);
    assert_int_equal(tot.H, 0);
    assert_int_equal(tot.review, 1);
    assert_int_equal(tot.rejected, 1);
    assert_int_equal(st_tally_votes(t, 1, 1), 0);
    /* One ballot, counted under each of its reasons. */
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_REVIEW,
                                           ST_REASON_MARGINAL_MARK), 1);
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_REVIEW,
                                           ST_REASON_WRITING), 1);
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_REJECTED,
                                           "double_feed"), 1);
    st_tally_free(t);
}

static void test_tally_reasons_are_listed_in_byte_order(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    const char *codes[] = {"unreadable", "not_this_model", "torn",
                           "no_registration_marks", "unreadable"};
    for (size_t i = 0; i < sizeof codes / sizeof *codes; i++) {
        st_outcome o = rejected(codes[i]);
        add(t, &o);
    }
    assert_int_equal(st_tally_n_reasons(t, ST_OUTCOME_REJECTED), 4);
    int64_t n = -1;
    assert_string_equal(st_tally_reason_at(t, ST_OUTCOME_REJECTED, 0, &n),
                        "no_registration_marks");
    assert_int_equal(n, 1);
    assert_string_equal(st_tally_reason_at(t, ST_OUTCOME_REJECTED, 1, NULL),
                        "not_this_model");
    assert_string_equal(st_tally_reason_at(t, ST_OUTCOME_REJECTED, 2, NULL),
                        "torn");
    assert_string_equal(st_tally_reason_at(t, ST_OUTCOME_REJECTED, 3, &n),
                        "unreadable");
    assert_int_equal(n, 2);
    assert_null(st_tally_reason_at(t, ST_OUTCOME_REJECTED, 4, NULL));
    assert_null(st_tally_reason_at(t, ST_OUTCOME_BLANK, 0, NULL));
    st_tally_free(t);
}

static void test_tally_outcome_without_reason_counts_as_unspecified(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    st_outcome o = {0};
    o.kind = ST_OUTCOME_INVALID;
    add(t, &o);
    o.kind = ST_OUTCOME_REVIEW;
    add(t, &o);
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_INVALID,
                                           "unspecified"), 1);
    assert_int_equal(st_tally_reason_count(t, ST_OUTCOME_REVIEW,
                                           "unspecified"), 1);
    st_tally_free(t);
}

static void test_tally_add_refuses_what_the_model_lacks_and_changes_nothing(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    st_outcome o = {0};
    o.kind = ST_OUTCOME_VOTE;
    o.list = 3;
    o.candidate = 3; /* list 3 has 2 */
    assert_int_equal(st_tally_add(t, &o), ST_ERR_INVALID);
    o.list = 4;
    o.candidate = 1;
    assert_int_equal(st_tally_add(t, &o), ST_ERR_INVALID);
    o.list = 1;
    o.candidate = 0;
    assert_int_equal(st_tally_add(t, &o), ST_ERR_INVALID);
    o.kind = (st_outcome_kind)42;
    assert_int_equal(st_tally_add(t, &o), ST_ERR_INVALID);
    o.kind = ST_OUTCOME_INVALID;
    o.n_reasons = ST_MAX_REASONS + 1;
    assert_int_equal(st_tally_add(t, &o), ST_ERR_INVALID);
    assert_int_equal(st_tally_add(NULL, &o), ST_ERR_ARG);
    assert_int_equal(st_tally_add(t, NULL), ST_ERR_ARG);
    st_tally_totals tot;
    st_tally_get_totals(t, &tot);
    assert_true(tot.H == 0 && tot.review == 0 && tot.rejected == 0);
    st_tally_free(t);
}

/* ---- merging ---- */

static void test_tally_merge_equals_adding_in_one(void **state)
{
    fx *f = *state;
    st_tally *one = st_tally_new(f->m), *a = st_tally_new(f->m),
             *b = st_tally_new(f->m), *c = st_tally_new(f->m);
    add_stream(f, one, 0, 3000);
    add_stream(f, a, 0, 1000);
    add_stream(f, b, 1000, 2500);
    add_stream(f, c, 2500, 3000);
    st_outcome o = rejected("only_in_c");
    add(c, &o);
    add(one, &o);
    /* Merge in another order than the ballots came. */
    st_tally *sum = st_tally_new(f->m);
    assert_int_equal(st_tally_merge(sum, c), ST_OK);
    assert_int_equal(st_tally_merge(sum, a), ST_OK);
    assert_int_equal(st_tally_merge(sum, b), ST_OK);

    char *csv1, *json1, *csv2, *json2;
    write_both(f, one, "one", &csv1, &json1);
    write_both(f, sum, "sum", &csv2, &json2);
    assert_text_equal(csv2, csv1);
    assert_text_equal(json2, json1);
    /* Sources are unchanged. */
    st_tally_totals ta;
    st_tally_get_totals(a, &ta);
    assert_int_equal(ta.H + ta.review + ta.rejected, 1000);
    free(csv1);
    free(json1);
    free(csv2);
    free(json2);
    st_tally_free(one);
    st_tally_free(a);
    st_tally_free(b);
    st_tally_free(c);
    st_tally_free(sum);
}

static void test_tally_merge_refuses_another_model(void **state)
{
    fx *f = *state;
    st_model *small = load_model("models/test-small.json");
    st_tally *t = st_tally_new(f->m), *s = st_tally_new(small);
    st_outcome o = rejected("unreadable");
    add(s, &o);
    assert_int_equal(st_tally_merge(t, s), ST_ERR_INVALID);
    assert_int_equal(st_tally_n_reasons(t, ST_OUTCOME_REJECTED), 0);
    assert_int_equal(st_tally_merge(NULL, s), ST_ERR_ARG);
    st_tally_free(t);
    st_tally_free(s);
    st_model_free(small);
}

static void test_tally_merge_accepts_an_equal_model_loaded_twice(void **state)
{
    fx *f = *state;
    st_model *again = load_model("models/test-small.json");
    st_tally *t = st_tally_new(f->m), *s = st_tally_new(again);
    add_small_case(f, s);
    assert_int_equal(st_tally_merge(t, s), ST_OK);
    assert_int_equal(st_tally_list_total(t, 1), 3);
    st_tally_free(t);
    st_tally_free(s);
    st_model_free(again);
}

/* ---- files ---- */

static void test_tally_csv_of_small_case_is_exactly_as_documented(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    add_small_case(f, t);
    char *csv, *json;
    write_both(f, t, "small", &csv, &json);
    assert_text_equal(csv, small_csv);
    free(csv);
    free(json);
    st_tally_free(t);
}

static void test_tally_json_of_small_case_is_exactly_as_documented(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    add_small_case(f, t);
    char *csv, *json;
    write_both(f, t, "small", &csv, &json);
    assert_text_equal(json, small_json);
    free(csv);
    free(json);
    st_tally_free(t);
}

static void test_tally_files_are_byte_stable_across_writes(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    add_stream(f, t, 0, 2000);
    char *csv1, *json1, *csv2, *json2;
    write_both(f, t, "first", &csv1, &json1);
    write_both(f, t, "first", &csv2, &json2); /* overwrite the same file */
    assert_text_equal(csv2, csv1);
    assert_text_equal(json2, json1);
    /* No temporary file is left behind. */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s/first.csv.tmp", f->dir);
    assert_null(th_slurp(tmp, NULL));
    free(csv1);
    free(json1);
    free(csv2);
    free(json2);
    st_tally_free(t);
}

static void set_name(char **slot, const char *name)
{
    free(*slot);
    *slot = strdup(name);
}

static void test_tally_csv_and_json_escape_commas_quotes_and_keep_utf8(void **state)
{
    fx *f = *state;
    set_name(&f->m->lists[1].name, "Lijst \"Nieuw\", Oost");
    set_name(&f->m->lists[1].candidates[0].name, "\xc3\x87" "elik, \xc3\x96. (\xc3\x96zlem)");
    set_name(&f->m->lists[2].name, "");
    st_tally *t = st_tally_new(f->m);
    st_outcome o = ballot(f, "L2 N1", NULL, 0);
    add(t, &o);
    char *csv, *json;
    write_both(f, t, "names", &csv, &json);
    const char *want[] = {
        "list,2,,\"Lijst \"\"Nieuw\"\", Oost\",1\n",
        "candidate,2,1,\"\xc3\x87" "elik, \xc3\x96. (\xc3\x96zlem)\",1\n",
        "list,3,,\"\",0\n",
        "party_only,2,,\"Lijst \"\"Nieuw\"\", Oost\",0\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        if (!strstr(csv, want[i]))
            fail_msg("CSV lacks %s in:\n%s", want[i], csv);
    if (!strstr(json, "\"name\": \"Lijst \\\"Nieuw\\\", Oost\""))
        fail_msg("JSON does not escape the quotes:\n%s", json);
    if (!strstr(json, "\"name\": \"\xc3\x87" "elik, \xc3\x96. (\xc3\x96zlem)\""))
        fail_msg("JSON does not keep UTF-8:\n%s", json);
    free(csv);
    free(json);
    st_tally_free(t);
}

static void test_tally_write_to_missing_directory_fails_naming_the_file(void **state)
{
    fx *f = *state;
    st_tally *t = st_tally_new(f->m);
    st_error err = {0};
    char path[4200];
    snprintf(path, sizeof path, "%s/no/such/dir/tally.csv", f->dir);
    assert_int_equal(st_tally_write_csv(t, path, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "tally.csv"));
    assert_non_null(strstr(err.msg, "tally: "));
    snprintf(path, sizeof path, "%s/no/such/dir/tally.json", f->dir);
    assert_int_equal(st_tally_write_json(t, path, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "tally.json"));
    st_tally_free(t);
}

#define S(fn) cmocka_unit_test_setup_teardown(fn, setup_small, teardown)
#define R(fn) cmocka_unit_test_setup_teardown(fn, setup_real, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        S(test_tally_new_tally_is_all_zero),
        S(test_tally_small_case_figures_match_hand_count),
        R(test_tally_h_is_e_plus_f_plus_g_and_lists_sum_their_candidates),
        S(test_tally_party_only_credited_to_candidate_1_only_under_first_candidate),
        S(test_tally_review_and_rejected_stay_out_of_h),
        S(test_tally_reasons_are_listed_in_byte_order),
        S(test_tally_outcome_without_reason_counts_as_unspecified),
        S(test_tally_add_refuses_what_the_model_lacks_and_changes_nothing),
        R(test_tally_merge_equals_adding_in_one),
        R(test_tally_merge_refuses_another_model),
        S(test_tally_merge_accepts_an_equal_model_loaded_twice),
        S(test_tally_csv_of_small_case_is_exactly_as_documented),
        S(test_tally_json_of_small_case_is_exactly_as_documented),
        R(test_tally_files_are_byte_stable_across_writes),
        S(test_tally_csv_and_json_escape_commas_quotes_and_keep_utf8),
        S(test_tally_write_to_missing_directory_fails_naming_the_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
