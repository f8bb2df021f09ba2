/* test_layout.c - automatic ballot geometry for models read from EML
 *
 * Every real candidate list is laid out and must pass st_model_check; the
 * geometric promises of layout.h (margins, halves, spacing, label size) are
 * checked directly, also for synthetic models of every size we support.
 */
#include "helpers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stemtel/eml.h"
#include "stemtel/layout.h"
#include "stemtel/model.h"

static const char *valid_files[] = {
    "results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml",
    "results/Kandidatenlijsten_TK2025_Haarlem.eml.xml",
    "eml/Kandidatenlijsten_PS2023_Drenthe.eml.xml",
    "eml/Kandidatenlijsten_PS2023_Drenthe.indented.eml.xml",
    "eml/eml230b_test.eml.xml",
    "eml/eml230b_test_more_than_45_candidates.eml.xml",
};

static st_model *read_and_lay_out(const char *rel)
{
    st_error err = {0};
    st_model *m = NULL;
    char *path = th_data(rel);
    assert_st_ok(st_eml_read_candidates(path, &m, &err), &err);
    assert_st_ok(st_layout_auto(m, &err), &err);
    free(path);
    return m;
}

/* A model with lists lists; list i has cands[i % n_cands] candidates. */
static st_model *synthetic(int lists, int cands)
{
    st_model *m = st_model_new();
    assert_non_null(m);
    m->election_id = strdup("synthetic");
    m->election_name = strdup("Synthetic");
    m->election_date = strdup("");
    m->municipality_code = strdup("0000");
    m->municipality_name = strdup("Nergens");
    m->lists = calloc((size_t)lists, sizeof *m->lists);
    m->n_lists = lists;
    for (int i = 0; i < lists; i++) {
        st_list *l = &m->lists[i];
        char name[64];
        snprintf(name, sizeof name, "Partij met een vrij lange naam %d", i + 1);
        l->number = i + 1;
        l->name = strdup(name);
        /* The first list is the longest; the others vary. */
        l->n_candidates = i == 0 ? cands : 1 + (i * 7) % cands;
        l->candidates = calloc((size_t)l->n_candidates, sizeof *l->candidates);
        for (int j = 0; j < l->n_candidates; j++) {
            l->candidates[j].number = j + 1;
            l->candidates[j].name = strdup("Naam, A.");
        }
    }
    return m;
}

static void assert_checks_clean(const st_model *m, const char *what)
{
    st_problems p = {0};
    int n = st_model_check(m, &p);
    if (n != 0) {
        for (int i = 0; i < p.n; i++)
            fprintf(stderr, "  %s: %s\n", what, p.msg[i]);
        st_problems_free(&p);
        fail_msg("%s: st_model_check found %d problems", what, n);
    }
    st_problems_free(&p);
}

static double gap(st_rect a, st_rect b)
{
    double dx = fmax(0, fmax(a.x - (b.x + b.w), b.x - (a.x + a.w)));
    double dy = fmax(0, fmax(a.y - (b.y + b.h), b.y - (a.y + a.h)));
    return fmax(dx, dy);
}

static void assert_inside_margin(const st_model *m, st_rect r, const char *what)
{
    const double margin = 8.0 - 1e-9;
    if (r.x < margin || r.y < margin || r.x + r.w > m->paper_w - margin ||
        r.y + r.h > m->paper_h - margin)
        fail_msg("%s (%.1f, %.1f) %.1f x %.1f is not 8 mm inside the page", what,
                 r.x, r.y, r.w, r.h);
}

static int on_tenth_mm(double v) { return fabs(v * 10 - round(v * 10)) < 1e-6; }

/* Everything layout.h promises, for any laid-out model. */
static void assert_layout_promises(const st_model *m, const char *what)
{
    int nn = st_model_max_candidates(m);
    assert_checks_clean(m, what);
    assert_true(m->paper_w == 420.0 && m->paper_h == 297.0);
    assert_int_equal(m->n_targets, m->n_lists + nn);

    assert_int_equal(m->n_fiducials, 5);
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof id, "F%d", i + 1);
        assert_string_equal(m->fiducials[i].id, id);
        assert_inside_margin(m, m->fiducials[i].rect, id);
    }
    /* F5 sits at the top-left only, so a turned page shows it bottom-right. */
    assert_true(m->fiducials[4].rect.x < m->paper_w / 2 &&
                m->fiducials[4].rect.y < m->paper_h / 2);
    assert_true(m->fiducials[4].rect.w < m->fiducials[0].rect.w);

    for (int i = 0; i < m->n_targets; i++) {
        const st_target *t = &m->targets[i];
        assert_inside_margin(m, t->rect, t->id);
        assert_non_null(t->label);
        assert_inside_margin(m, t->label_rect, t->id);
        assert_true(t->label_rect.h >= 3.5);
        assert_true(t->rect.w >= 8.0 && t->rect.h >= 8.0);
        assert_true(on_tenth_mm(t->rect.x) && on_tenth_mm(t->rect.y) &&
                    on_tenth_mm(t->label_rect.x) && on_tenth_mm(t->label_rect.w));
        if (i < m->n_lists) {
            assert_int_equal(t->kind, ST_TARGET_LIST);
            assert_int_equal(t->number, m->lists[i].number);
            assert_true(t->rect.y + t->rect.h <= m->paper_h / 2);
            assert_true(t->label_rect.y + t->label_rect.h <= m->paper_h / 2);
            /* Room for a party name, not just the number. */
            assert_true(t->label_rect.w >= 40.0);
        } else {
            char id[16];
            snprintf(id, sizeof id, "N%d", i - m->n_lists + 1);
            assert_int_equal(t->kind, ST_TARGET_NUMBER);
            assert_int_equal(t->number, i - m->n_lists + 1);
            assert_string_equal(t->id, id);
            assert_true(t->rect.y >= m->paper_h / 2);
        }
        /* Boxes keep 3 mm from every other box and from the marks. */
        for (int k = 0; k < i; k++)
            if (gap(t->rect, m->targets[k].rect) < 3.0)
                fail_msg("%s: %s and %s are %.1f mm apart", what, t->id,
                         m->targets[k].id, gap(t->rect, m->targets[k].rect));
        for (int k = 0; k < m->n_fiducials; k++)
            assert_true(gap(t->rect, m->fiducials[k].rect) >= 3.0 &&
                        gap(t->label_rect, m->fiducials[k].rect) >= 3.0);
    }
}

static void test_layout_of_every_real_candidate_list_passes_the_model_check(void **state)
{
    for (size_t i = 0; i < sizeof valid_files / sizeof valid_files[0]; i++) {
        st_model *m = read_and_lay_out(valid_files[i]);
        assert_layout_promises(m, valid_files[i]);
        st_model_free(m);
    }
}

static void test_layout_labels_list_boxes_with_number_and_party_name(void **state)
{
    st_model *m =
        read_and_lay_out("results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml");
    assert_int_equal(m->n_targets, 8 + 48);
    assert_string_equal(m->targets[0].id, "L1");
    assert_string_equal(m->targets[0].label, "1  FD Partij Beneden-Leeuwen");
    assert_string_equal(m->targets[8].id, "N1");
    assert_string_equal(m->targets[8].label, "1");
    assert_string_equal(m->targets[8 + 47].id, "N48");
    /* The label sits to the right of its box, level with it. */
    assert_true(m->targets[0].label_rect.x > m->targets[0].rect.x + m->targets[0].rect.w);
    assert_true(m->targets[0].label_rect.y == m->targets[0].rect.y);
    st_model_free(m);
}

static void test_layout_of_tk2025_keeps_list_numbers_with_gaps(void **state)
{
    st_model *m = read_and_lay_out("results/Kandidatenlijsten_TK2025_Haarlem.eml.xml");
    assert_int_equal(m->n_targets, 23 + 80);
    assert_string_equal(m->targets[22].id, "L25");
    assert_int_equal(m->targets[22].number, 25);
    assert_string_equal(m->targets[22].label, "25  NL PLAN");
    st_model_free(m);
}

/* Lists go down a column first; numbers go along a row first. */
static void test_layout_fills_list_columns_and_number_rows(void **state)
{
    st_model *m = read_and_lay_out("eml/Kandidatenlijsten_PS2023_Drenthe.eml.xml");
    const st_target *t = m->targets;
    assert_true(t[1].rect.x == t[0].rect.x && t[1].rect.y > t[0].rect.y);
    const st_target *n = m->targets + m->n_lists;
    assert_true(n[1].rect.y == n[0].rect.y && n[1].rect.x > n[0].rect.x);
    assert_true(n[10].rect.x == n[0].rect.x && n[10].rect.y > n[0].rect.y);
    st_model_free(m);
}

static void test_layout_works_for_every_supported_size(void **state)
{
    static const int cands[] = {1, 2, 9, 10, 11, 48, 50, 79, 80};
    for (int lists = 1; lists <= ST_LAYOUT_MAX_LISTS; lists++)
        for (size_t c = 0; c < sizeof cands / sizeof cands[0]; c++) {
            st_error err = {0};
            char what[64];
            snprintf(what, sizeof what, "%d lists, %d candidates", lists, cands[c]);
            st_model *m = synthetic(lists, cands[c]);
            assert_st_ok(st_layout_auto(m, &err), &err);
            assert_layout_promises(m, what);
            st_model_free(m);
        }
}

static void test_layout_replaces_earlier_geometry(void **state)
{
    st_error err = {0};
    st_model *m = read_and_lay_out("eml/eml230b_test.eml.xml");
    assert_st_ok(st_layout_auto(m, &err), &err);
    assert_int_equal(m->n_targets, 3 + 12);
    assert_int_equal(m->n_fiducials, 5);
    assert_checks_clean(m, "twice");
    st_model_free(m);
}

static void test_layout_refuses_models_beyond_the_ballots_limits(void **state)
{
    st_error err = {0};
    st_model *m = synthetic(ST_LAYOUT_MAX_LISTS + 1, 5);
    assert_int_equal(st_layout_auto(m, &err), ST_ERR_INVALID);
    assert_non_null(strstr(err.msg, "41 lists"));
    assert_int_equal(m->n_targets, 0);
    st_model_free(m);

    m = synthetic(3, ST_LAYOUT_MAX_NUMBERS + 1);
    assert_int_equal(st_layout_auto(m, &err), ST_ERR_INVALID);
    assert_non_null(strstr(err.msg, "81 candidates"));
    st_model_free(m);

    m = st_model_new();
    assert_int_equal(st_layout_auto(m, &err), ST_ERR_INVALID);
    st_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_of_every_real_candidate_list_passes_the_model_check),
        cmocka_unit_test(test_layout_labels_list_boxes_with_number_and_party_name),
        cmocka_unit_test(test_layout_of_tk2025_keeps_list_numbers_with_gaps),
        cmocka_unit_test(test_layout_fills_list_columns_and_number_rows),
        cmocka_unit_test(test_layout_works_for_every_supported_size),
        cmocka_unit_test(test_layout_replaces_earlier_geometry),
        cmocka_unit_test(test_layout_refuses_models_beyond_the_ballots_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
