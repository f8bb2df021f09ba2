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

#include "run_ok.h"

#include <cairo.h>
#include <sqlite3.h>
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
    static const char *const members[][2] = {
        {"A. Jansen", "voorzitter"}, {"B. de Vries", "lid"}, {"T", "lid"}};
    for (int i = 0; rc == 0 && i < 3; i++) {
        free(out);
        rc = th_run(&out, "members add '%s' --role %s --store '%s'", members[i][0],
                    members[i][1], g_store);
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
    assert_int_equal(st_decision_parse(m, "invalid:party_only", &o, &err), ST_ERR_ARG);
    assert_st_ok(st_decision_parse(m, "void:rescan", &o, &err), &err);
    assert_int_equal(o.kind, ST_OUTCOME_VOID);
    assert_string_equal(st_decision_text(&o, text, sizeof text), "void:rescan");
    assert_st_ok(st_decision_parse(m, "invalid:other", &o, &err), &err);
    assert_true(st_decision_needs_note(&o));
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
        {"invalid:", "reason must be one of number_without_list"},
        {"invalid:two words", "reason must be one of"},
        {"invalid:foo", "reason must be one of"},
        {"void:", "reason must be one of rescan, not_a_ballot, damaged"},
        {"void:lost", "reason must be one of rescan"},
        {"review", "want candidate:LIST:NUMBER, list:LIST, blank, invalid:REASON or "
                   "void:REASON"},
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

/* The totals of one station of the store at path (NULL: all). */
static st_tally_totals totals_of(const char *path, const char *station)
{
    st_error err = {0};
    st_store *s = NULL;
    st_tally *t = NULL;
    st_tally_totals x;
    assert_st_ok(st_store_open(path, NULL, &s, &err), &err);
    assert_st_ok(st_store_tally(s, station, &t, &err), &err);
    st_tally_get_totals(t, &x);
    st_tally_free(t);
    st_store_close(s);
    return x;
}

static st_tally_totals store_totals(void)
{
    return totals_of(g_store, NULL);
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
    /* The whole history, in the order taken, with who and why. */
    char *first = strstr(out, "decided candidate:6:3 by A. Jansen: faint cross on 3");
    assert_non_null(first);
    assert_non_null(strstr(first, "decided blank by B. de Vries"));
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
    assert_int_equal(th_run(&out, "review decide 99999 --store '%s' --as blank --by T", g_store), 1);
    assert_non_null(strstr(out, "no ballot 99999"));
    free(out);
    /* A decider who is not a registered member, or nobody. */
    assert_int_equal(th_run(&out, "review decide 1 --store '%s' --as blank --by X", g_store), 1);
    assert_non_null(strstr(out, "\"X\" is not a member"));
    assert_non_null(strstr(out, "members add"));
    free(out);
    assert_int_equal(th_run(&out, "review decide 1 --store '%s' --as blank --by ''", g_store), 1);
    assert_non_null(strstr(out, "needs who took it"));
    free(out);
    assert_int_equal(th_run(&out, "review decide 1 --store '%s' --as blank --by ' T'", g_store), 1);
    assert_non_null(strstr(out, "is not a member"));
    free(out);
    /* A reason outside the list; "other" without a note. */
    assert_int_equal(th_run(&out, "review decide 1 --store '%s' --as invalid:foo --by T", g_store),
                     1);
    assert_non_null(strstr(out, "reason must be one of"));
    free(out);
    assert_int_equal(th_run(&out, "review decide 1 --store '%s' --as invalid:other --by T",
                            g_store),
                     1);
    assert_non_null(strstr(out, "needs a note"));
    free(out);
    /* Members: a role outside the two, a name twice, a blank name. */
    assert_int_equal(th_run(&out, "members add Z --role baas --store '%s'", g_store), 1);
    assert_non_null(strstr(out, "voorzitter or lid"));
    free(out);
    assert_int_equal(th_run(&out, "members add T --role lid --store '%s'", g_store), 1);
    assert_non_null(strstr(out, "already a member"));
    free(out);
    assert_int_equal(th_run(&out, "members add '' --role lid --store '%s'", g_store), 1);
    free(out);
    assert_int_equal(th_run(&out, "members list --store '%s'", g_store), 0);
    assert_non_null(strstr(out, "voorzitter A. Jansen"));
    assert_non_null(strstr(out, "3 members"));
    free(out);
    assert_int_equal(th_run(&out, "review decide 1 --store '%s' --as blank", g_store), 2);
    assert_non_null(strstr(out, "--by NAME"));
    free(out);
    assert_int_equal(th_run(&out, "review decide 1 --store '%s' --as candidate:1:99 --by T",
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

static void test_review_voids_pages_and_batches_and_moves_a_batch(void **state)
{
    /* Two runs into a fresh store under 0668::SB1: 12 ballots, then a
     * stack of 6 that belongs to 0668::SB2. */
    char *model = th_root(MODEL), *out = NULL, store[4200];
    char *dir = th_tmpdir();
    snprintf(store, sizeof store, "%s/v.db", dir);
    RUN_OK("synth '%s' --out '%s/a' --count 12 --seed 31 --dpi 150 --format grey "
           "--degrade none", model, dir);
    RUN_OK("synth '%s' --out '%s/b' --count 6 --seed 32 --dpi 150 --format grey "
           "--degrade none", model, dir);
    for (int i = 0; i < 2; i++) {
        int rc = th_run(&out, "count --model '%s' --station 0668::SB1 --out '%s/o%d' --store "
                              "'%s' '%s/%c'", model, dir, i, store, dir, "ab"[i]);
        assert_true(rc == 0 || rc == 1);
        free(out);
    }
    RUN_OK("members add 'C. Smit' --role voorzitter --store '%s'", store);
    st_tally_totals all0 = totals_of(store, NULL), sb1_0 = totals_of(store, "0668::SB1");
    int64_t pages0 = all0.H + all0.review + all0.rejected;
    assert_int_equal(pages0, 18);
    assert_int_equal(sb1_0.H, all0.H);

    /* batches: two runs, their ids for --batch. */
    assert_int_equal(th_run(&out, "review batches --store '%s'", store), 0);
    assert_non_null(strstr(out, "batch 1    0668::SB1          12 pages (ids 1-12)"));
    assert_non_null(strstr(out, "batch 2    0668::SB1           6 pages (ids 13-18)"));
    free(out);

    /* Ballot 2 was the same sheet as ballot 1, scanned again: void. */
    st_error err = {0};
    st_store *s = NULL;
    st_store_ballot b2 = {0};
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    assert_st_ok(st_store_get(s, 2, &b2, &err), &err);
    st_store_close(s);
    st_outcome was = *st_store_ballot_outcome(&b2);
    st_store_ballot_clear(&b2);
    RUN_OK("review decide 2 --store '%s' --as void:rescan --by 'C. Smit' --note 'jam'", store);
    st_tally_totals all1 = totals_of(store, NULL);
    assert_int_equal(all1.voided, 1);
    assert_int_equal(all1.H + all1.review + all1.rejected, pages0 - 1);
    if (was.kind == ST_OUTCOME_VOTE)
        assert_int_equal(all1.E, all0.E - 1);

    /* The second stack was fed under the wrong station: move it. */
    RUN_OK("review move --batch 2 --station 0668::SB1 --to 0668::SB2 --by 'C. Smit' --store "
           "'%s'", store);
    st_tally_totals sb1 = totals_of(store, "0668::SB1"), sb2 = totals_of(store, "0668::SB2");
    assert_int_equal(sb1.H + sb1.review + sb1.rejected, 11);
    assert_int_equal(sb2.H + sb2.review + sb2.rejected, 6);
    assert_int_equal(sb1.H + sb2.H, all1.H);
    assert_int_equal(th_run(&out, "review show 14 --store '%s'", store), 0);
    assert_non_null(strstr(out, "0668::SB2"));
    assert_non_null(strstr(out, "counted under 0668::SB1"));
    assert_non_null(strstr(out, "moved to 0668::SB2 by C. Smit"));
    free(out);
    /* Moving what is not there names the batch. */
    assert_int_equal(th_run(&out, "review move --batch 2 --station 0668::SB1 --to 0668::SB3 "
                                  "--by 'C. Smit' --store '%s'", store), 1);
    assert_non_null(strstr(out, "batch 2 has no pages under 0668::SB1"));
    free(out);

    /* Then the moved stack turns out to be a stray: void it whole. */
    assert_int_equal(th_run(&out, "review decide --batch 2 --station 0668::SB2 --as blank "
                                  "--by 'C. Smit' --store '%s'", store), 1);
    assert_non_null(strstr(out, "can only be void"));
    free(out);
    RUN_OK("review decide --batch 2 --station 0668::SB2 --as void:not_a_ballot --by 'C. Smit' "
           "--store '%s'", store);
    sb2 = totals_of(store, "0668::SB2");
    assert_int_equal(sb2.H + sb2.review + sb2.rejected, 0);
    assert_int_equal(sb2.voided, 6);
    st_tally_totals all2 = totals_of(store, NULL);
    assert_int_equal(all2.voided, 7);
    assert_int_equal(all2.H + all2.review + all2.rejected, 11);

    /* The reconciliation lists the void pages per station and reason. */
    int rc = th_run(&out, "reconcile --store '%s' --format text", store);
    assert_true(rc == 0 || rc == 3);
    assert_non_null(strstr(out, "void pages (set aside by people, in no figure): 1 (rescan 1)"));
    assert_non_null(strstr(out, "void pages (set aside by people, in no figure): 6 "
                                "(not_a_ballot 6)"));
    free(out);
    /* verify re-reads every page and re-applies voids and the move, in
     * all and station by station. */
    assert_int_equal(th_run(&out, "verify --store '%s' --threads 2", store), 0);
    assert_non_null(strstr(out, "0 results changed; the tally with the decisions applied is "
                                "the same"));
    free(out);
    /* The store's tally file has the void rows. */
    RUN_OK("tally --store '%s' --out '%s/t'", store, dir);
    char path[4300];
    snprintf(path, sizeof path, "%s/t/tally.csv", dir);
    char *csv = th_slurp(path, NULL);
    assert_non_null(csv);
    assert_non_null(strstr(csv, "\nvoid,,,,7\n"));
    assert_non_null(strstr(csv, "\nvoid:not_a_ballot,,,,6\n"));
    assert_non_null(strstr(csv, "\nvoid:rescan,,,,1\n"));
    free(csv);
    th_rmtree(dir);
    free(dir);
    free(model);
}

static void test_review_opens_a_version_1_store_and_adds_the_new_tables(void **state)
{
    /* A store as the first schema made it: no members, moves, stations,
     * prints, rescans, nor the form's boxes, second entries and answers. */
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL, store[4200];
    snprintf(store, sizeof store, "%s/old.db", dir);
    st_error err = {0};
    st_model *m = NULL;
    st_store *s = NULL;
    assert_st_ok(st_model_load_checked(model, &m, &err), &err);
    assert_st_ok(st_store_open(store, m, &s, &err), &err);
    st_store_close(s);
    st_model_free(m);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE rules; DROP TABLE page_sources; DROP TABLE proposals; DROP TABLE passwords; DROP TABLE members; DROP TABLE moves;"
                                      "DROP TABLE stations; DROP TABLE prints;"
                                      "DROP TABLE rescans; DROP TABLE basis_form;"
                                      "DROP TABLE basis2_form; DROP TABLE basis2_lists;"
                                      "DROP TABLE basis2; DROP TABLE answers;"
                                      "PRAGMA user_version=1", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    RUN_OK("members add D --role lid --store '%s'", store);
    assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), ST_STORE_SCHEMA_VERSION);
    sqlite3_finalize(q);
    sqlite3_close(db);
    assert_int_equal(th_run(&out, "review batches --store '%s'", store), 0);
    assert_non_null(strstr(out, "0 batches"));
    free(out);
    th_rmtree(dir);
    free(dir);
    free(model);
}

static void test_review_escapes_what_it_prints_and_refuses_control_text(void **state)
{
    char *out = NULL;
    /* Through the command: a note or name that would move the cursor or
     * start a fake line is refused. */
    assert_int_equal(th_run(&out, "review decide 3 --store '%s' --as invalid:other --by T "
                                  "--note \"$(printf 'ok\\033[2J\\nballot 3 decided blank')\"",
                            g_store), 1);
    if (!strstr(out, "--note: a control character at byte 3"))
        fail_msg("want the note refused: %s", out);
    free(out);
    assert_int_equal(th_run(&out, "members add \"$(printf 'E\\302\\233')\" --role lid "
                                  "--store '%s'", g_store), 1);
    assert_non_null(strstr(out, "a member's name: a control character"));
    free(out);
    /* What an older stemtel let into the store is shown, escaped. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(g_store, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "UPDATE pages SET file = file || char(27) || '[2J' WHERE id = 3;"
                                  "INSERT INTO decisions(page, outcome, list, candidate, "
                                  "party_only, reason, decided_by, decided_at, note) VALUES(3, "
                                  "'blank', 0, 0, 0, '', 'T' || char(155) || '1m', "
                                  "'2026-01-01T00:00:00Z', 'see' || char(10) || "
                                  "'4      0668::SB4 fake line' || char(27) || ']0;x' || char(7))",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(th_run(&out, "review show 3 --store '%s'", g_store), 0);
    for (const char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 && *p != '\n')
            fail_msg("a raw control byte 0x%02x reached the terminal: %s", *p, out);
    if (strstr(out, "\xc2\x9b") || !strstr(out, "\\x1b[2J") ||
        !strstr(out, "by T\\xc2\\x9b1m") ||
        !strstr(out, ": see\\x0a4      0668::SB4 fake line\\x1b]0;x\\x07\n"))
        fail_msg("want everything escaped: %s", out);
    free(out);
    assert_int_equal(th_run(&out, "review list --all --store '%s'", g_store), 0);
    assert_null(strchr(out, '\x1b'));
    assert_non_null(strstr(out, "\\x1b[2J"));
    free(out);
}

/* A store of its own for the rule's tests, counted from the stack the
 * setup drew, with the same three members. */
static void eyes_store(char *store, size_t n)
{
    char *model = th_root(MODEL);
    snprintf(store, n, "%s/eyes.db", g_dir);
    RUN_OK("count --model '%s' --station 0668::SB4 --out '%s/eyes-out' --store '%s' '%s/in'",
           model, g_dir, store, g_dir);
    RUN_OK("members add 'A. Jansen' --role voorzitter --store '%s'", store);
    RUN_OK("members add 'B. de Vries' --role lid --store '%s'", store);
    RUN_OK("members add T --role lid --store '%s'", store);
    free(model);
}

/* The open ballots' ids of the store at path. */
static ids open_ids_of(const char *path)
{
    st_error err = {0};
    st_store *s = NULL;
    ids x = {0};
    assert_st_ok(st_store_open_readonly(path, &s, &err), &err);
    assert_st_ok(st_store_each(s, ST_STORE_OPEN, collect, &x, &err), &err);
    st_store_close(s);
    return x;
}

/* out holds want, else the test fails showing out. */
static void assert_says(const char *out, const char *want)
{
    if (!strstr(out, want))
        fail_msg("\"%s\" not in: %s", want, out);
}

/* Vier ogen as the store's rule: off, a decision counts at once; only
 * the voorzitter switches it; on, decide only proposes (the tally stays),
 * the proposer cannot confirm, another member can and then it counts;
 * a batch's void is refused; verify re-applies the result; off again,
 * decide counts at once, and every switch stays on record. */
static void test_review_four_eyes_rule_makes_decide_a_proposal(void **state)
{
    char store[4200], *out = NULL;
    eyes_store(store, sizeof store);
    ids open = open_ids_of(store);
    assert_true(open.n >= 4);
    assert_int_equal(th_run(&out, "review rule --store '%s'", store), 0);
    assert_says(out, "vier ogen: off");
    free(out);

    st_tally_totals t0 = totals_of(store, NULL);
    RUN_OK("review decide %lld --store '%s' --as blank --by T", (long long)open.v[0], store);
    st_tally_totals t1 = totals_of(store, NULL);
    assert_int_equal(t1.F, t0.F + 1);
    assert_int_equal(t1.review + t1.rejected, t0.review + t0.rejected - 1);

    /* A lid cannot switch it, nor can someone who is no member. */
    assert_int_equal(th_run(&out, "review rule --store '%s' --four-eyes on --by T", store), 1);
    assert_says(out, store);
    assert_says(out, "only the voorzitter may switch vier ogen");
    assert_says(out, "T's role is lid");
    free(out);
    assert_int_equal(th_run(&out, "review rule --store '%s' --four-eyes on --by X", store), 1);
    assert_says(out, "\"X\" is not a member");
    free(out);
    assert_int_equal(th_run(&out, "review rule --store '%s' --four-eyes maybe --by 'A. Jansen'",
                            store), 2);
    assert_says(out, "--four-eyes on or off");
    free(out);
    assert_int_equal(th_run(&out, "review rule --store '%s' --four-eyes on --by 'A. Jansen'",
                            store), 0);
    assert_says(out, "vier ogen: on");
    assert_says(out, "switched on by A. Jansen");
    free(out);
    /* On again is no switch: said, and not recorded a second time. */
    assert_int_equal(th_run(&out, "review rule --store '%s' --four-eyes on --by 'A. Jansen'",
                            store), 0);
    assert_says(out, "vier ogen was on already: nothing recorded");
    char *second = strstr(out, "switched on by A. Jansen");
    if (!second || strstr(second + 1, "switched on by A. Jansen"))
        fail_msg("the rule's history shows the switch other than once:\n%s", out);
    free(out);

    /* On: decide is a proposal and the tally stays as it was. */
    assert_int_equal(th_run(&out, "review decide %lld --store '%s' --as blank --by T",
                            (long long)open.v[1], store), 0);
    assert_says(out, "proposed as blank by T");
    assert_says(out, "review confirm");
    free(out);
    st_tally_totals t2 = totals_of(store, NULL);
    assert_int_equal(t2.F, t1.F);
    assert_int_equal(t2.review + t2.rejected, t1.review + t1.rejected);
    assert_int_equal(th_run(&out, "review list --store '%s'", store), 0);
    assert_says(out, "proposed blank by T, waiting for a second member");
    free(out);
    assert_int_equal(th_run(&out, "review show %lld --store '%s'", (long long)open.v[1], store),
                     0);
    assert_says(out, "proposed (four eyes, not confirmed) blank by T");
    free(out);

    /* The proposer cannot confirm; another member does, and it counts. */
    assert_int_equal(th_run(&out, "review confirm %lld --store '%s' --by T",
                            (long long)open.v[1], store), 1);
    assert_says(out, store);
    assert_says(out, "T proposed this decision");
    assert_says(out, "a second, different member must confirm it");
    free(out);
    assert_int_equal(totals_of(store, NULL).F, t1.F);
    assert_int_equal(th_run(&out, "review confirm %lld --store '%s'", (long long)open.v[1], store),
                     2);
    free(out);
    assert_int_equal(th_run(&out, "review confirm %lld --store '%s' --by 'B. de Vries'",
                            (long long)open.v[2], store), 1);
    assert_says(out, "no decision waiting for a second member");
    free(out);
    RUN_OK("review confirm %lld --store '%s' --by 'B. de Vries'", (long long)open.v[1], store);
    st_tally_totals t3 = totals_of(store, NULL);
    assert_int_equal(t3.F, t1.F + 1);
    assert_int_equal(t3.review + t3.rejected, t1.review + t1.rejected - 1);
    assert_int_equal(th_run(&out, "review show %lld --store '%s'", (long long)open.v[1], store),
                     0);
    assert_says(out, "decided blank by T, confirmed by B. de Vries at ");
    free(out);

    /* A whole batch cannot wait for a second member. */
    assert_int_equal(th_run(&out, "review decide --batch 1 --station 0668::SB4 --store '%s' "
                                  "--as void:rescan --by 'A. Jansen'", store), 1);
    assert_says(out, "vier ogen is on");
    free(out);
    assert_int_equal(totals_of(store, NULL).F, t3.F);

    /* A proposal left waiting counts for nothing in verify either. */
    RUN_OK("review decide %lld --store '%s' --as blank --by T", (long long)open.v[2], store);
    assert_int_equal(th_run(&out, "verify --store '%s'", store), 0);
    assert_says(out, "the same");
    free(out);

    /* Off again: decide counts at once; both switches are on record. */
    RUN_OK("review rule --store '%s' --four-eyes off --by 'A. Jansen'", store);
    assert_int_equal(th_run(&out, "review decide %lld --store '%s' --as blank --by T",
                            (long long)open.v[3], store), 0);
    assert_says(out, "decided as blank by T");
    free(out);
    assert_int_equal(totals_of(store, NULL).F, t3.F + 1);
    assert_int_equal(th_run(&out, "review rule --store '%s'", store), 0);
    assert_says(out, "vier ogen: off");
    const char *on = strstr(out, "switched on by A. Jansen");
    assert_non_null(on);
    assert_non_null(strstr(on, "switched off by A. Jansen"));
    free(out);
}

/* A store of schema version 8, from before the rule lived in the store,
 * gains its table when read and has vier ogen off. */
static void test_review_a_version_8_store_gains_the_rule_off(void **state)
{
    char store[4200], *out = NULL;
    snprintf(store, sizeof store, "%s/v8.db", g_dir);
    char *model = th_root(MODEL);
    RUN_OK("count --model '%s' --station 0668::SB4 --out '%s/v8-out' --store '%s' '%s/in'",
           model, g_dir, store, g_dir);
    free(model);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE rules; PRAGMA user_version=8", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(th_run(&out, "review rule --store '%s'", store), 0);
    assert_says(out, "vier ogen: off");
    free(out);
    assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT user_version FROM pragma_user_version),"
                                            " count(*) FROM rules", -1, &q, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(q, 0), ST_STORE_SCHEMA_VERSION);
    assert_int_equal(sqlite3_column_int(q, 1), 0);
    sqlite3_finalize(q);
    sqlite3_close(db);
    RUN_OK("members add V --role voorzitter --store '%s'", store);
    RUN_OK("review rule --store '%s' --four-eyes on --by V", store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_review_parses_each_kind_of_decision_against_the_model),
        cmocka_unit_test(test_review_refuses_unknown_ballots_and_missing_names),
        cmocka_unit_test(test_review_show_draws_the_page_with_its_boxes_in_their_states),
        cmocka_unit_test(test_review_decisions_count_and_the_latest_one_wins),
        cmocka_unit_test(test_review_voids_pages_and_batches_and_moves_a_batch),
        cmocka_unit_test(test_review_opens_a_version_1_store_and_adds_the_new_tables),
        cmocka_unit_test(test_review_escapes_what_it_prints_and_refuses_control_text),
        cmocka_unit_test(test_review_four_eyes_rule_makes_decide_a_proposal),
        cmocka_unit_test(test_review_a_version_8_store_gains_the_rule_off),
    };
    return cmocka_run_group_tests(tests, setup_store, teardown_store);
}
