/* test_checks.c - every Kiesraad check raised alone, and just not raised
 *
 * A clean form raises nothing; each case changes it so that exactly one
 * code fires (or, at a threshold's edge, none), as ../shared/domain.md
 * gives the conditions and the worked edges.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stemtel/checks.h"

static const int lists[2] = {1, 2};

/* A form of 100 admitted voters and 100 ballots that adds up. */
typedef struct form {
    st_checks_in in;
    int64_t ex[2], total[2], cand[2];
} form;

static void clean(form *f, int groups)
{
    memset(f, 0, sizeof *f);
    f->ex[0] = f->total[0] = f->cand[0] = 66;
    f->ex[1] = f->total[1] = f->cand[1] = 30;
    f->in = (st_checks_in){.groups = groups, .A = 100, .D = 100, .E = 96, .F = 2, .G = 2,
                           .H = 100, .d_known = 1, .n_lists = 2, .list = lists, .ex = f->ex,
                           .list_total = f->total, .cand_sum = f->cand,
                           .boxes = ST_BOX_D_IS_H, .explained = ST_ANSWER_YES,
                           .b1_other_reason = ST_ANSWER_NO, .b1_recounted = ST_ANSWER_NO,
                           .b1_explained = ST_ANSWER_YES, .b1_differs = ST_ANSWER_NO};
}

/* H moved by dh from D, E and list 1 with it. */
static void h_by(form *f, int dh)
{
    f->in.H += dh;
    f->in.E += dh;
    f->ex[0] += dh;
    f->total[0] += dh;
    f->cand[0] += dh;
}

/* The codes that fire on f, space separated, must be want. */
static void expect(const form *f, const char *want, const char *what)
{
    st_check *v = NULL;
    int n = -1;
    assert_int_equal(st_checks_run(&f->in, &v, &n), ST_OK);
    char got[400] = "";
    for (int i = 0; i < n; i++) {
        assert_true(strlen(v[i].text) > 10);
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", i ? " " : "",
                 v[i].code);
    }
    if (strcmp(got, want))
        fail_msg("%s: got \"%s\", want \"%s\"", what, got, want);
    free(v);
}

#define ALL (ST_CHECKS_QUESTIONS | ST_CHECKS_FORM | ST_CHECKS_LISTS | ST_CHECKS_WARN)

static void test_checks_clean_form_raises_nothing(void **state)
{
    form f;
    clean(&f, ALL);
    expect(&f, "", "clean");
}

static void test_checks_questions_f101_f102_f111_f112(void **state)
{
    form f;
    clean(&f, ALL);
    f.in.b1_recounted = ST_ANSWER_BLANK;
    expect(&f, "F101", "one B1-1 question answered");
    f.in.b1_other_reason = ST_ANSWER_BLANK;
    expect(&f, "", "neither B1-1 question answered");
    clean(&f, ALL);
    f.in.b1_other_reason = ST_ANSWER_BOTH;
    expect(&f, "F102", "yes and no on B1-1");
    clean(&f, ALL);
    f.in.b1_explained = ST_ANSWER_BLANK;
    expect(&f, "F111", "B1-2.1 unanswered");
    clean(&f, ALL);
    f.in.b1_differs = ST_ANSWER_BOTH;
    expect(&f, "F112", "yes and no on B1-2.3");
    clean(&f, ALL);
    f.in.b1_differs = f.in.b1_recounted = ST_ANSWER_UNKNOWN;
    expect(&f, "", "answers not recorded are not checked");
}

static void test_checks_form_f201_to_f204_with_precedence(void **state)
{
    form f;
    clean(&f, ALL);
    f.in.A = 99;
    expect(&f, "F201", "A + B + C != D");
    clean(&f, ALL);
    f.ex[1] = 31; /* the form's E.2, not the candidate page */
    f.in.groups = ST_CHECKS_FORM;
    expect(&f, "F202", "E.x do not add up to E");
    clean(&f, ALL);
    f.in.G = 1;
    expect(&f, "F203", "E + F + G != H");
    clean(&f, ST_CHECKS_FORM);
    f.in.E = 0;
    expect(&f, "F204", "E left empty: not F202 or F203 as well");
}

static void test_checks_comparison_box_f301_to_f304(void **state)
{
    form f;
    clean(&f, ALL);
    h_by(&f, 1);
    f.in.I = 1;
    expect(&f, "F301", "D = H ticked, H > D");
    clean(&f, ALL);
    f.in.boxes = ST_BOX_H_OVER_D;
    expect(&f, "F302", "H > D ticked, D = H");
    clean(&f, ALL);
    f.in.boxes = ST_BOX_H_UNDER_D;
    expect(&f, "F303", "H < D ticked, D = H");
    clean(&f, ALL);
    f.in.boxes = 0;
    expect(&f, "F304", "no box ticked");
    clean(&f, ALL);
    f.in.boxes = ST_BOXES_UNKNOWN;
    expect(&f, "", "box not recorded");
}

static void test_checks_i_and_j_f305_to_f310(void **state)
{
    form f;
    clean(&f, ALL);
    f.in.I = 1;
    expect(&f, "F305", "I filled in with D = H");
    clean(&f, ALL);
    h_by(&f, 1);
    f.in.boxes = ST_BOX_H_OVER_D;
    f.in.I = 1;
    expect(&f, "", "H > D, I = H - D");
    f.in.I = 2;
    expect(&f, "F306", "I wrong");
    f.in.I = 1;
    f.in.J = 1;
    expect(&f, "F307", "J filled in with H > D");
    clean(&f, ALL);
    h_by(&f, -1);
    f.in.boxes = ST_BOX_H_UNDER_D;
    f.in.J = 1;
    expect(&f, "", "H < D, J = D - H");
    f.in.J = 2;
    expect(&f, "F308", "J wrong");
    f.in.J = 1;
    f.in.I = 1;
    expect(&f, "F309", "I filled in with H < D");
    f.in.I = 0;
    f.in.explained = ST_ANSWER_BLANK;
    expect(&f, "F310", "difference, explanation unanswered");
    f.in.explained = ST_ANSWER_BOTH;
    expect(&f, "F310", "difference, explanation yes and no");
    f.in.explained = ST_ANSWER_NO;
    expect(&f, "", "difference, not explained: answered");
}

static void test_checks_lists_f401_to_f403_with_precedence(void **state)
{
    form f;
    clean(&f, ST_CHECKS_LISTS);
    f.total[0] = 0;
    expect(&f, "F401", "list total empty: not F402 or F403 as well");
    clean(&f, ST_CHECKS_LISTS);
    f.cand[1] = 29;
    expect(&f, "F402", "candidates do not add up");
    clean(&f, ST_CHECKS_LISTS);
    f.ex[1] = 31;
    expect(&f, "F403", "list total differs from E.x");
    clean(&f, ST_CHECKS_LISTS);
    f.ex[0] = f.total[0] = f.cand[0] = 0;
    expect(&f, "", "a list without votes");
}

static void test_checks_warnings_at_their_edges(void **state)
{
    form f;
    clean(&f, ALL);
    f.in.F = 3;
    f.in.E = 95;
    f.ex[0] = f.total[0] = f.cand[0] = 65;
    expect(&f, "W201", "3 blank of 100");
    clean(&f, ALL);
    f.in.G = 3;
    f.in.E = 95;
    f.ex[0] = f.total[0] = f.cand[0] = 65;
    expect(&f, "W202", "3 invalid of 100");

    /* W203 alone on a bare count: D against H. */
    static const struct { int64_t d, h; const char *want; } w203[] = {
        {101, 100, ""}, {102, 100, "W203"}, {1014, 1000, ""}, {1015, 1000, "W203"},
        {98, 100, "W203"}, {0, 0, "W204"}, {5, 0, "W203 W204"},
    };
    for (size_t k = 0; k < sizeof w203 / sizeof *w203; k++) {
        form g;
        memset(&g, 0, sizeof g);
        g.in = (st_checks_in){.groups = ST_CHECKS_WARN, .D = w203[k].d, .H = w203[k].h,
                              .E = w203[k].h, .d_known = 1};
        char what[64];
        snprintf(what, sizeof what, "D = %lld, H = %lld", (long long)w203[k].d,
                 (long long)w203[k].h);
        expect(&g, w203[k].want, what);
    }
    form g;
    memset(&g, 0, sizeof g);
    g.in = (st_checks_in){.groups = ST_CHECKS_WARN, .D = 200, .H = 100, .E = 100};
    expect(&g, "", "no D known: no W203");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks_clean_form_raises_nothing),
        cmocka_unit_test(test_checks_questions_f101_f102_f111_f112),
        cmocka_unit_test(test_checks_form_f201_to_f204_with_precedence),
        cmocka_unit_test(test_checks_comparison_box_f301_to_f304),
        cmocka_unit_test(test_checks_i_and_j_f305_to_f310),
        cmocka_unit_test(test_checks_lists_f401_to_f403_with_precedence),
        cmocka_unit_test(test_checks_warnings_at_their_edges),
    };
    return cmocka_run_group_tests_name("checks", tests, NULL, NULL);
}
