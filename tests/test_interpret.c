/* test_interpret.c - every row of the validity table under every setting,
 * reviews with their reasons and proposals, and rejected pages */
#include "helpers.h"
#include "stemtel/interpret.h"
#include "stemtel/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-test fixture: the small model (L1..L3 with 5, 3, 2 candidates;
 * N1..N5) and an all-empty box array. */
typedef struct fx {
    st_model *m;
    st_box *boxes;
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

static int setup_small(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->m = load_model("models/test-small.json");
    f->boxes = calloc((size_t)f->m->n_targets, sizeof *f->boxes);
    *state = f;
    return 0;
}

static int setup_real(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->m = load_model("models/gr2022-west-maas-en-waal.json");
    f->boxes = calloc((size_t)f->m->n_targets, sizeof *f->boxes);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    st_model_free(f->m);
    free(f->boxes);
    free(f);
    return 0;
}

/* Set the box of target id ("L2", "N4") to s. */
static void set_box(fx *f, const char *id, st_box_state s)
{
    for (int i = 0; i < f->m->n_targets; i++)
        if (strcmp(f->m->targets[i].id, id) == 0) {
            f->boxes[i].state = s;
            f->boxes[i].score = s == ST_BOX_MARKED ? 0.5 : s ? 0.07 : 0.0;
            f->boxes[i].faint = f->boxes[i].score;
            return;
        }
    fail_msg("no target %s in the model", id);
}

/* Mark a space-separated list of target ids. */
static void mark(fx *f, const char *ids)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", ids);
    for (char *save = NULL, *id = strtok_r(buf, " ", &save); id;
         id = strtok_r(NULL, " ", &save))
        set_box(f, id, ST_BOX_MARKED);
}

static void clear(fx *f)
{
    memset(f->boxes, 0, (size_t)f->m->n_targets * sizeof *f->boxes);
}

static st_outcome run(fx *f, int writing)
{
    st_outcome o;
    memset(&o, 0x5a, sizeof o); /* st_interpret must write every field */
    st_interpret(f->m, f->boxes, writing, &o);
    return o;
}

static void assert_vote(const st_outcome *o, int list, int cand, int party_only)
{
    if (o->kind != ST_OUTCOME_VOTE || o->list != list ||
        o->candidate != cand || o->party_only != party_only)
        fail_msg("expected vote %d/%d%s, got %s %d/%d party_only=%d %s",
                 list, cand, party_only ? " (party only)" : "",
                 st_outcome_name(o->kind), o->list, o->candidate,
                 o->party_only, o->n_reasons ? o->reasons[0] : "");
    assert_int_equal(o->n_reasons, 0);
}

static void assert_one_reason(const st_outcome *o, st_outcome_kind kind,
                              const char *reason)
{
    if (o->kind != kind || o->n_reasons != 1 ||
        strcmp(o->reasons[0], reason) != 0)
        fail_msg("expected %s %s, got %s with %d reasons (%s)",
                 st_outcome_name(kind), reason, st_outcome_name(o->kind),
                 o->n_reasons, o->n_reasons ? o->reasons[0] : "");
    assert_int_equal(o->list, 0);
    assert_int_equal(o->candidate, 0);
}

/* Every combination of the three settings: 2 x 2 x 3. */
static void for_each_setting(fx *f, void (*check)(fx *f))
{
    for (int p = 0; p < 2; p++)
        for (int b = 0; b < 2; b++)
            for (int n = 0; n < 3; n++) {
                f->m->settings.party_only = (st_party_only)p;
                f->m->settings.beyond_list = (st_beyond_list)b;
                f->m->settings.multiple_numbers = (st_multiple_numbers)n;
                check(f);
            }
}

/* ---- rows no setting touches ---- */

static void check_blank(fx *f)
{
    clear(f);
    st_outcome o = run(f, 0);
    assert_int_equal(o.kind, ST_OUTCOME_BLANK);
    assert_int_equal(o.n_reasons, 0);
    assert_int_equal(o.proposal, ST_OUTCOME_BLANK);
}

static void test_interpret_nothing_marked_is_blank_under_every_setting(void **state)
{
    for_each_setting(*state, check_blank);
}

static void check_vote(fx *f)
{
    clear(f);
    mark(f, "L2 N3");
    st_outcome o = run(f, 0);
    assert_vote(&o, 2, 3, 0);
    clear(f);
    mark(f, "L1 N5");
    o = run(f, 0);
    assert_vote(&o, 1, 5, 0);
}

static void test_interpret_list_and_number_is_vote_under_every_setting(void **state)
{
    for_each_setting(*state, check_vote);
}

static void check_number_without_list(fx *f)
{
    clear(f);
    mark(f, "N2");
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_NUMBER_WITHOUT_LIST);
    clear(f);
    mark(f, "N1 N4");
    o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_NUMBER_WITHOUT_LIST);
}

static void test_interpret_number_without_list_is_invalid_under_every_setting(void **state)
{
    for_each_setting(*state, check_number_without_list);
}

static void check_several_lists(fx *f)
{
    static const char *const cases[] = {"L1 L2", "L1 L3 N1", "L1 L2 L3",
                                        "L2 L3 N1 N2"};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        clear(f);
        mark(f, cases[i]);
        st_outcome o = run(f, 0);
        assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_SEVERAL_LISTS);
        assert_int_equal(o.proposal, ST_OUTCOME_INVALID);
        assert_string_equal(o.proposal_reason, ST_REASON_SEVERAL_LISTS);
    }
}

static void test_interpret_two_lists_is_invalid_several_lists(void **state)
{
    for_each_setting(*state, check_several_lists);
}

static void test_interpret_last_candidate_of_a_list_is_a_vote(void **state)
{
    fx *f = *state;
    mark(f, "L3 N2");
    st_outcome o = run(f, 0);
    assert_vote(&o, 3, 2, 0);
}

/* ---- party only ---- */

static void test_interpret_list_only_credits_candidate_1_under_first_candidate(void **state)
{
    fx *f = *state;
    f->m->settings.party_only = ST_PARTY_ONLY_FIRST_CANDIDATE;
    mark(f, "L2");
    st_outcome o = run(f, 0);
    assert_vote(&o, 2, 1, 1);
    assert_int_equal(o.proposal, ST_OUTCOME_VOTE);
    assert_int_equal(o.proposal_party_only, 1);
}

static void test_interpret_list_only_is_invalid_party_only_under_invalid(void **state)
{
    fx *f = *state;
    f->m->settings.party_only = ST_PARTY_ONLY_INVALID;
    mark(f, "L2");
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_PARTY_ONLY);
    assert_int_equal(o.party_only, 0);
}

/* ---- a number beyond the list ---- */

static void test_interpret_number_beyond_list_is_invalid_no_such_candidate_under_invalid(void **state)
{
    fx *f = *state;
    f->m->settings.beyond_list = ST_BEYOND_LIST_INVALID;
    mark(f, "L3 N3"); /* list 3 has 2 candidates */
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_NO_SUCH_CANDIDATE);
    clear(f);
    mark(f, "L2 N5");
    o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_NO_SUCH_CANDIDATE);
}

static void test_interpret_number_beyond_list_is_review_proposing_invalid_under_review(void **state)
{
    fx *f = *state;
    f->m->settings.beyond_list = ST_BEYOND_LIST_REVIEW;
    mark(f, "L3 N3");
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_NO_SUCH_CANDIDATE);
    assert_int_equal(o.proposal, ST_OUTCOME_INVALID);
    assert_string_equal(o.proposal_reason, ST_REASON_NO_SUCH_CANDIDATE);
    assert_int_equal(o.proposal_list, 0);
}

/* ---- several numbers ---- */

static void test_interpret_several_numbers_is_review_without_proposal_under_review(void **state)
{
    fx *f = *state;
    f->m->settings.multiple_numbers = ST_MULTIPLE_NUMBERS_REVIEW;
    mark(f, "L1 N1 N2");
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_SEVERAL_NUMBERS);
    assert_int_equal(o.proposal, ST_OUTCOME_REVIEW);
    assert_string_equal(o.proposal_reason, "");
}

static void test_interpret_several_numbers_is_invalid_under_invalid(void **state)
{
    fx *f = *state;
    f->m->settings.multiple_numbers = ST_MULTIPLE_NUMBERS_INVALID;
    mark(f, "L1 N1 N2 N5");
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_SEVERAL_NUMBERS);
}

static void test_interpret_several_numbers_counts_as_list_only_under_party_only(void **state)
{
    fx *f = *state;
    f->m->settings.multiple_numbers = ST_MULTIPLE_NUMBERS_PARTY_ONLY;
    f->m->settings.party_only = ST_PARTY_ONLY_FIRST_CANDIDATE;
    mark(f, "L2 N2 N3");
    st_outcome o = run(f, 0);
    assert_vote(&o, 2, 1, 1);

    f->m->settings.party_only = ST_PARTY_ONLY_INVALID;
    o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_PARTY_ONLY);
}

static void test_interpret_several_numbers_beyond_the_list_are_several_numbers(void **state)
{
    fx *f = *state;
    f->m->settings.multiple_numbers = ST_MULTIPLE_NUMBERS_INVALID;
    mark(f, "L3 N4 N5");
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_SEVERAL_NUMBERS);
}

/* ---- doubts: marginal boxes and writing ---- */

/* No proposal: the proposal fields all say nothing. */
static void assert_no_proposal(const st_outcome *o)
{
    assert_int_equal(o->proposal, ST_OUTCOME_REVIEW);
    assert_int_equal(o->proposal_list, 0);
    assert_int_equal(o->proposal_candidate, 0);
    assert_int_equal(o->proposal_party_only, 0);
    assert_string_equal(o->proposal_reason, "");
}

static void test_interpret_marginal_box_that_adds_a_number_proposes_nothing(void **state)
{
    fx *f = *state;
    mark(f, "L1 N2");
    set_box(f, "N4", ST_BOX_MARGINAL);
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_MARGINAL_MARK);
    assert_no_proposal(&o);
}

static void test_interpret_marginal_list_box_alone_proposes_nothing(void **state)
{
    fx *f = *state;
    set_box(f, "L2", ST_BOX_MARGINAL);
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_MARGINAL_MARK);
    assert_no_proposal(&o); /* blank or a party vote: the box decides */
}

/* Issue 11: accepting "list only" gave the vote to the first candidate
 * when the marginal number box was the voter's. */
static void test_interpret_marginal_number_is_never_proposed_list_only(void **state)
{
    fx *f = *state;
    mark(f, "L3");
    set_box(f, "N2", ST_BOX_MARGINAL);
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_MARGINAL_MARK);
    assert_no_proposal(&o);
}

static void test_interpret_marginal_boxes_that_change_nothing_keep_the_proposal(void **state)
{
    fx *f = *state;
    /* Two lists: invalid whatever the marginal number boxes hold. */
    mark(f, "L1 L2");
    set_box(f, "N1", ST_BOX_MARGINAL);
    set_box(f, "N3", ST_BOX_MARGINAL);
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_MARGINAL_MARK);
    assert_int_equal(o.proposal, ST_OUTCOME_INVALID);
    assert_string_equal(o.proposal_reason, ST_REASON_SEVERAL_LISTS);
}

static void test_interpret_marginal_box_proposes_invalid_with_its_reason(void **state)
{
    fx *f = *state;
    mark(f, "L1 L2");
    set_box(f, "N1", ST_BOX_MARGINAL);
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_MARGINAL_MARK);
    assert_int_equal(o.proposal, ST_OUTCOME_INVALID);
    assert_string_equal(o.proposal_reason, ST_REASON_SEVERAL_LISTS);
}

static void test_interpret_writing_outside_is_review_writing(void **state)
{
    fx *f = *state;
    mark(f, "L2 N1");
    st_outcome o = run(f, 1);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_WRITING);
    assert_int_equal(o.proposal, ST_OUTCOME_VOTE);
    assert_int_equal(o.proposal_list, 2);
    assert_int_equal(o.proposal_candidate, 1);
}

static void test_interpret_writing_on_blank_ballot_proposes_blank(void **state)
{
    fx *f = *state;
    st_outcome o = run(f, 1);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_WRITING);
    assert_int_equal(o.proposal, ST_OUTCOME_BLANK);
}

static void test_interpret_marginal_and_writing_give_both_reasons(void **state)
{
    fx *f = *state;
    mark(f, "L1 N3");
    set_box(f, "L2", ST_BOX_MARGINAL);
    st_outcome o = run(f, 1);
    assert_int_equal(o.kind, ST_OUTCOME_REVIEW);
    assert_int_equal(o.n_reasons, 2);
    assert_string_equal(o.reasons[0], ST_REASON_MARGINAL_MARK);
    assert_string_equal(o.reasons[1], ST_REASON_WRITING);
    assert_no_proposal(&o); /* L2 marked would make it several lists */
}

static void test_interpret_marginal_with_several_numbers_adds_the_setting_reason(void **state)
{
    fx *f = *state;
    f->m->settings.multiple_numbers = ST_MULTIPLE_NUMBERS_REVIEW;
    mark(f, "L1 N1 N2");
    set_box(f, "N3", ST_BOX_MARGINAL);
    st_outcome o = run(f, 1);
    assert_int_equal(o.kind, ST_OUTCOME_REVIEW);
    assert_int_equal(o.n_reasons, 3);
    assert_string_equal(o.reasons[0], ST_REASON_MARGINAL_MARK);
    assert_string_equal(o.reasons[1], ST_REASON_WRITING);
    assert_string_equal(o.reasons[2], ST_REASON_SEVERAL_NUMBERS);
    assert_int_equal(o.proposal, ST_OUTCOME_REVIEW);
}

static void test_interpret_marginal_with_beyond_list_review_proposes_nothing(void **state)
{
    fx *f = *state;
    f->m->settings.beyond_list = ST_BEYOND_LIST_REVIEW;
    mark(f, "L3 N4");
    set_box(f, "N1", ST_BOX_MARGINAL);
    st_outcome o = run(f, 0);
    assert_int_equal(o.kind, ST_OUTCOME_REVIEW);
    assert_int_equal(o.n_reasons, 2);
    assert_string_equal(o.reasons[0], ST_REASON_MARGINAL_MARK);
    assert_string_equal(o.reasons[1], ST_REASON_NO_SUCH_CANDIDATE);
    assert_no_proposal(&o); /* N1 marked would make it several numbers */
}

static void test_interpret_beyond_list_review_without_marginal_proposes_invalid(void **state)
{
    fx *f = *state;
    f->m->settings.beyond_list = ST_BEYOND_LIST_REVIEW;
    mark(f, "L3 N4");
    st_outcome o = run(f, 1);
    assert_int_equal(o.kind, ST_OUTCOME_REVIEW);
    assert_int_equal(o.proposal, ST_OUTCOME_INVALID);
    assert_string_equal(o.proposal_reason, ST_REASON_NO_SUCH_CANDIDATE);
}

static void test_interpret_unknown_box_state_is_taken_as_marginal(void **state)
{
    fx *f = *state;
    mark(f, "L1 N1");
    f->boxes[7].state = (st_box_state)7;
    st_outcome o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_REVIEW, ST_REASON_MARGINAL_MARK);
    assert_no_proposal(&o);
}

static void test_interpret_proposal_of_a_plain_outcome_repeats_it(void **state)
{
    fx *f = *state;
    mark(f, "L2 N2");
    st_outcome o = run(f, 0);
    assert_int_equal(o.proposal, ST_OUTCOME_VOTE);
    assert_int_equal(o.proposal_list, 2);
    assert_int_equal(o.proposal_candidate, 2);
    assert_string_equal(o.proposal_reason, "");
    clear(f);
    mark(f, "N2");
    o = run(f, 0);
    assert_int_equal(o.proposal, ST_OUTCOME_INVALID);
    assert_string_equal(o.proposal_reason, ST_REASON_NUMBER_WITHOUT_LIST);
}

/* ---- rejected and names ---- */

static void test_outcome_reject_sets_kind_reason_and_proposal(void **state)
{
    st_outcome o;
    memset(&o, 0x5a, sizeof o);
    st_outcome_reject(&o, "no_registration_marks");
    assert_int_equal(o.kind, ST_OUTCOME_REJECTED);
    assert_int_equal(o.n_reasons, 1);
    assert_string_equal(o.reasons[0], "no_registration_marks");
    assert_int_equal(o.list, 0);
    assert_int_equal(o.candidate, 0);
    assert_int_equal(o.party_only, 0);
    assert_int_equal(o.proposal, ST_OUTCOME_REJECTED);
}

static void test_outcome_reject_without_reason_is_unspecified(void **state)
{
    st_outcome o;
    st_outcome_reject(&o, NULL);
    assert_string_equal(o.reasons[0], "unspecified");
    st_outcome_reject(&o, "");
    assert_string_equal(o.reasons[0], "unspecified");
}

static void test_outcome_reject_cuts_a_long_reason(void **state)
{
    char longr[200];
    memset(longr, 'x', sizeof longr - 1);
    longr[sizeof longr - 1] = '\0';
    st_outcome o;
    st_outcome_reject(&o, longr);
    assert_int_equal(strlen(o.reasons[0]), ST_REASON_MAX - 1);
}

static void test_interpret_without_model_is_rejected_bad_input(void **state)
{
    st_box b[1] = {{0}};
    st_outcome o;
    st_interpret(NULL, b, 0, &o);
    assert_one_reason(&o, ST_OUTCOME_REJECTED, "bad_input");
}

static void test_outcome_names_are_stable(void **state)
{
    assert_string_equal(st_outcome_name(ST_OUTCOME_VOTE), "vote");
    assert_string_equal(st_outcome_name(ST_OUTCOME_BLANK), "blank");
    assert_string_equal(st_outcome_name(ST_OUTCOME_INVALID), "invalid");
    assert_string_equal(st_outcome_name(ST_OUTCOME_REVIEW), "review");
    assert_string_equal(st_outcome_name(ST_OUTCOME_REJECTED), "rejected");
    assert_string_equal(st_outcome_name((st_outcome_kind)99), "unknown");
}

/* ---- the real model ---- */

static void test_interpret_real_model_reads_number_against_the_marked_list(void **state)
{
    fx *f = *state;
    /* List 7 (Sociaal Maas en Waal) has 18 candidates, list 1 has 48. */
    mark(f, "L7 N18");
    st_outcome o = run(f, 0);
    assert_vote(&o, 7, 18, 0);
    clear(f);
    mark(f, "L7 N19");
    o = run(f, 0);
    assert_one_reason(&o, ST_OUTCOME_INVALID, ST_REASON_NO_SUCH_CANDIDATE);
    clear(f);
    mark(f, "L1 N48");
    o = run(f, 0);
    assert_vote(&o, 1, 48, 0);
    clear(f);
    mark(f, "L8");
    o = run(f, 0);
    assert_vote(&o, 8, 1, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_small, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_interpret_nothing_marked_is_blank_under_every_setting),
        T(test_interpret_list_and_number_is_vote_under_every_setting),
        T(test_interpret_number_without_list_is_invalid_under_every_setting),
        T(test_interpret_two_lists_is_invalid_several_lists),
        T(test_interpret_last_candidate_of_a_list_is_a_vote),
        T(test_interpret_list_only_credits_candidate_1_under_first_candidate),
        T(test_interpret_list_only_is_invalid_party_only_under_invalid),
        T(test_interpret_number_beyond_list_is_invalid_no_such_candidate_under_invalid),
        T(test_interpret_number_beyond_list_is_review_proposing_invalid_under_review),
        T(test_interpret_several_numbers_is_review_without_proposal_under_review),
        T(test_interpret_several_numbers_is_invalid_under_invalid),
        T(test_interpret_several_numbers_counts_as_list_only_under_party_only),
        T(test_interpret_several_numbers_beyond_the_list_are_several_numbers),
        T(test_interpret_marginal_box_that_adds_a_number_proposes_nothing),
        T(test_interpret_marginal_list_box_alone_proposes_nothing),
        T(test_interpret_marginal_number_is_never_proposed_list_only),
        T(test_interpret_marginal_boxes_that_change_nothing_keep_the_proposal),
        T(test_interpret_marginal_box_proposes_invalid_with_its_reason),
        T(test_interpret_writing_outside_is_review_writing),
        T(test_interpret_writing_on_blank_ballot_proposes_blank),
        T(test_interpret_marginal_and_writing_give_both_reasons),
        T(test_interpret_marginal_with_several_numbers_adds_the_setting_reason),
        T(test_interpret_marginal_with_beyond_list_review_proposes_nothing),
        T(test_interpret_beyond_list_review_without_marginal_proposes_invalid),
        T(test_interpret_unknown_box_state_is_taken_as_marginal),
        T(test_interpret_proposal_of_a_plain_outcome_repeats_it),
        cmocka_unit_test(test_outcome_reject_sets_kind_reason_and_proposal),
        cmocka_unit_test(test_outcome_reject_without_reason_is_unspecified),
        cmocka_unit_test(test_outcome_reject_cuts_a_long_reason),
        cmocka_unit_test(test_interpret_without_model_is_rejected_bad_input),
        cmocka_unit_test(test_outcome_names_are_stable),
        cmocka_unit_test_setup_teardown(
            test_interpret_real_model_reads_number_against_the_marked_list,
            setup_real, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
