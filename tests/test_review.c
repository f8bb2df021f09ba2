/* test_review.c - people decide ballots, and their decisions count
 *
 * A small stack synth draws with its default mix (pale marks, writing,
 * several numbers: ballots the pipeline must send to review) is counted
 * into a store; the tests decide ballots through the real command and
 * read the result back from the store.
 */
#include "helpers.h"

#include "stemtel/decision.h"
#include "stemtel/store.h"

#include <cairo.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL "models/gr2022-west-maas-en-waal.json"

static char *g_dir, g_store[4200];

static int setup_store(void **state)
{
    char *model = th_root(MODEL), *out = NULL;
    g_dir = th_tmpdir();
    snprintf(g_store, sizeof g_store, "%s/r.db", g_dir);
    int rc = th_run(&out, "synth '%s' --out '%s/in' --count 40 --seed 9 --dpi 150 "
                          "--format grey-jpeg", model, g_dir);
    if (rc == 0) {
        free(out);
        rc = th_run(&out, "count --model '%s' --station 0668::SB4 --out '%s/out' --store '%s' "
                          "'%s/in'", model, g_dir, g_store, g_dir);
    }
    if (rc != 0)
        fprintf(stderr, "setup failed (%d): %s\n", rc, out);
    free(out);
    free(model);
    return rc == 0 ? 0 : -1;
}

static int teardown_store(void **state)
{
    th_rmtree(g_dir);
    free(g_dir);
    return 0;
}

static void test_review_parses_each_kind_of_decision_against_the_model(void **state)
{
    st_error err = {0};
    st_model *m = NULL;
    char *p = th_root(MODEL), text[64];
    assert_st_ok(st_model_load_checked(p, &m, &err), &err);
    free(p);
    st_outcome o;
    assert_st_ok(st_decision_parse(m, "candidate:6:3", &o, &err), &err);
    assert_int_equal(o.kind, ST_OUTCOME_VOTE);
    assert_int_equal(o.list, 6);
    assert_int_equal(o.candidate, 3);
    assert_false(o.party_only);
    assert_string_equal(st_decision_text(&o, text, sizeof text), "candidate:6:3");
    assert_st_ok(st_decision_parse(m, "list:2", &o, &err), &err);
    assert_int_equal(o.kind, ST_OUTCOME_VOTE);
    assert_int_equal(o.candidate, 1); /* party_only: first_candidate */
    assert_true(o.party_only);
    assert_string_equal(st_decision_text(&o, text, sizeof text), "list:2");
    assert_st_ok(st_decision_parse(m, "blank", &o, &err), &err);
    assert_int_equal(o.kind, ST_OUTCOME_BLANK);
    assert_st_ok(st_decision_parse(m, "invalid:identifying_writing", &o, &err), &err);
    assert_int_equal(o.kind, ST_OUTCOME_INVALID);
    assert_string_equal(o.reasons[0], "identifying_writing");
    /* Under party_only = invalid a list box alone is an invalid ballot. */
    m->settings.party_only = ST_PARTY_ONLY_INVALID;
    assert_st_ok(st_decision_parse(m, "list:2", &o, &err), &err);
    assert_int_equal(o.kind, ST_OUTCOME_INVALID);
    assert_string_equal(o.reasons[0], "party_only");
    static const struct {
        const char *text, *says;
    } bad[] = {
        {"candidate:6:99", "list 6 has 20 candidates"},
        {"candidate:9:1", "no list 9"},
        {"candidate:6", "want candidate:LIST:NUMBER"},
        {"candidate:6:1x", "want candidate:LIST:NUMBER"},
        {"list:0", "want list:NUMBER"},
        {"invalid:", "reason must be"},
        {"invalid:two words", "reason must be"},
        {"review", "want candidate:LIST:NUMBER, list:LIST, blank or invalid:REASON"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(st_decision_parse(m, bad[i].text, &o, &err), ST_ERR_ARG);
        if (!strstr(err.msg, bad[i].says))
            fail_msg("%s: \"%s\" not in: %s", bad[i].text, bad[i].says, err.msg);
    }
    st_model_free(m);
}

/* The open ballots' ids, in store order. */
typedef struct ids {
    int n;
    int64_t v[256];
} ids;

static int collect(void *ctx, st_store_ballot *b)
{
    ids *x = ctx;
    if (x->n < 256)
        x->v[x->n++] = b->id;
    return 0;
}

static ids open_ids(void)
{
    st_error err = {0};
    st_store *s = NULL;
    ids x = {0};
    assert_st_ok(st_store_open(g_store, NULL, &s, &err), &err);
    assert_st_ok(st_store_each(s, ST_STORE_OPEN, collect, &x, &err), &err);
    st_store_close(s);
    return x;
}

static st_tally_totals store_totals(void)
{
    st_error err = {0};
    st_store *s = NULL;
    st_tally *t = NULL;
    st_tally_totals x;
    assert_st_ok(st_store_open(g_store, NULL, &s, &err), &err);
    assert_st_ok(st_store_tally(s, NULL, &t, &err), &err);
    st_tally_get_totals(t, &x);
    st_tally_free(t);
    st_store_close(s);
    return x;
}

static void test_review_decisions_count_and_the_latest_one_wins(void **state)
{
    char *out = NULL;
    ids open = open_ids();
    st_tally_totals before = store_totals();
    print_message("    %d of 40 ballots wait for review\n", open.n);
    assert_true(open.n >= 3);
    assert_int_equal(before.review + before.rejected, open.n);
    assert_int_equal(th_run(&out, "review list --store '%s'", g_store), 0);
    char want[64];
    snprintf(want, sizeof want, "%d ballots waiting for a decision", open.n);
    assert_non_null(strstr(out, want));
    free(out);
    /* Decide the first as a vote, then change it to blank; the rest blank. */
    assert_int_equal(th_run(&out, "review decide %lld --store '%s' --as candidate:6:3 --by "
                                  "'A. Jansen' --note 'faint cross on 3'",
                            (long long)open.v[0], g_store),
                     0);
    free(out);
    st_tally_totals mid = store_totals();
    assert_int_equal(mid.review + mid.rejected, open.n - 1);
    assert_int_equal(mid.E, before.E + 1);
    assert_int_equal(th_run(&out, "review decide %lld --store '%s' --as blank --by 'B. de Vries'",
                            (long long)open.v[0], g_store),
                     0);
    free(out);
    for (int i = 1; i < open.n; i++) {
        assert_int_equal(th_run(&out, "review decide %lld --store '%s' --as blank --by T",
                                (long long)open.v[i], g_store),
                         0);
        free(out);
    }
    st_tally_totals after = store_totals();
    assert_int_equal(after.review + after.rejected, 0);
    assert_int_equal(after.E, before.E);
    assert_int_equal(after.F, before.F + open.n);
    assert_int_equal(after.H, before.H + open.n);
    assert_int_equal(open_ids().n, 0);
    /* show: the latest decision, who and why, and every box. */
    assert_int_equal(th_run(&out, "review show %lld --store '%s'", (long long)open.v[0], g_store),
                     0);
    assert_non_null(strstr(out, "decision blank by B. de Vries at 20"));
    assert_non_null(strstr(out, "proposal "));
    assert_non_null(strstr(out, "L8 "));
    assert_non_null(strstr(out, "N28 "));
    free(out);
    /* Both decisions stay on record. */
    assert_int_equal(th_run(&out, "review list --all --store '%s'", g_store), 0);
    assert_non_null(strstr(out, "decided blank by B. de Vries"));
    free(out);
}

static void test_review_refuses_unknown_ballots_and_missing_names(void **state)
{
    char *out = NULL;
    assert_int_equal(th_run(&out, "review decide 99999 --store '%s' --as blank --by X", g_store), 1);
    assert_non_null(strstr(out, "no ballot 99999"));
    free(out);
    assert_int_equal(th_run(&out, "review decide 1 --store '%s' --as blank", g_store), 2);
    assert_non_null(strstr(out, "--by NAME"));
    free(out);
    assert_int_equal(th_run(&out, "review decide 1 --store '%s' --as candidate:1:99 --by X",
                            g_store),
                     1);
    assert_non_null(strstr(out, "list 1 has"));
    free(out);
    assert_int_equal(th_run(&out, "review frobnicate --store '%s'", g_store), 2);
    free(out);
}

static int first_marginal(void *ctx, st_store_ballot *b)
{
    for (int i = 0; i < b->found.n_reasons; i++)
        if (!strcmp(b->found.reasons[i], "marginal_mark")) {
            st_store_ballot_move(ctx, b);
            return 1;
        }
    return 0;
}

static void test_review_show_draws_the_page_with_its_boxes_in_their_states(void **state)
{
    st_error err = {0};
    st_store *s = NULL;
    st_store_ballot b = {0};
    assert_st_ok(st_store_open(g_store, NULL, &s, &err), &err);
    assert_int_equal(st_store_each(s, ST_STORE_ALL, first_marginal, &b, &err), 1);
    st_store_close(s);
    char png[4200], *out = NULL;
    snprintf(png, sizeof png, "%s/show.png", g_dir);
    assert_int_equal(th_run(&out, "review show %lld --store '%s' --png '%s'", (long long)b.id,
                            g_store, png),
                     0);
    assert_non_null(strstr(out, "page with its boxes drawn"));
    free(out);
    /* The page at its scanned size, with an orange (marginal) and blue
     * (empty) outline on it, and paper in between. */
    cairo_surface_t *img = cairo_image_surface_create_from_png(png);
    assert_int_equal(cairo_surface_status(img), CAIRO_STATUS_SUCCESS);
    json_object *rec = json_tokener_parse(b.record), *im, *w, *h;
    assert_true(json_object_object_get_ex(rec, "image", &im));
    json_object_object_get_ex(im, "w", &w);
    json_object_object_get_ex(im, "h", &h);
    assert_int_equal(cairo_image_surface_get_width(img), json_object_get_int(w));
    assert_int_equal(cairo_image_surface_get_height(img), json_object_get_int(h));
    long orange = 0, blue = 0, white = 0;
    const uint8_t *px = cairo_image_surface_get_data(img);
    int stride = cairo_image_surface_get_stride(img);
    for (int y = 0; y < cairo_image_surface_get_height(img); y++)
        for (int x = 0; x < cairo_image_surface_get_width(img); x++) {
            uint32_t v = *(const uint32_t *)(px + (size_t)y * (size_t)stride + 4 * (size_t)x);
            int r = (v >> 16) & 255, g = (v >> 8) & 255, bl = v & 255;
            orange += r > 200 && g > 90 && g < 160 && bl < 60;
            blue += r < 80 && g > 80 && g < 130 && bl > 200;
            white += r > 240 && g > 240 && bl > 240;
        }
    print_message("    ballot %lld: %ld orange, %ld blue, %ld paper pixels\n", (long long)b.id,
                  orange, blue, white);
    assert_true(orange > 100);
    assert_true(blue > 2 * orange); /* dozens of empty boxes, a few marginal */
    assert_true(white > 1000000);
    json_object_put(rec);
    cairo_surface_destroy(img);
    st_store_ballot_clear(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_review_parses_each_kind_of_decision_against_the_model),
        cmocka_unit_test(test_review_refuses_unknown_ballots_and_missing_names),
        cmocka_unit_test(test_review_show_draws_the_page_with_its_boxes_in_their_states),
        cmocka_unit_test(test_review_decisions_count_and_the_latest_one_wins),
    };
    return cmocka_run_group_tests(tests, setup_store, teardown_store);
}
