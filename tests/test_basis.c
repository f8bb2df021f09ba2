/* test_basis.c - reading the polling stations' own counts (N 10-2)
 *
 * The sample's basistelling.csv and the real 510b of West Maas en Waal are
 * two independent sources of polling station 0668::SB3's figures: they
 * must agree. Broken CSV files must be refused with the file, line and
 * column named. The form's D/H box and explanation answer survive the
 * store, and a store of the schema before them opens.
 */
#include "helpers.h"

#include "stemtel/basis.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL "models/gr2022-west-maas-en-waal.json"
#define TELLING "results/Telling_GR2022_WestMaasenWaal.eml.xml"

static st_model *load_model(const char *rel)
{
    st_error err = {0};
    st_model *m = NULL;
    char *p = th_root(rel);
    assert_st_ok(st_model_load_checked(p, &m, &err), &err);
    free(p);
    return m;
}

static const st_basis *find(const st_basis_set *s, const char *station)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].station, station))
            return &s->v[i];
    fail_msg("station %s not found", station);
    return NULL;
}

static void assert_same_figures(const st_basis *a, const st_basis *b)
{
    assert_int_equal(a->A, b->A);
    assert_int_equal(a->B, b->B);
    assert_int_equal(a->C, b->C);
    assert_int_equal(a->D, b->D);
    assert_int_equal(a->E, b->E);
    assert_int_equal(a->F, b->F);
    assert_int_equal(a->G, b->G);
    assert_int_equal(a->H, b->H);
    assert_int_equal(a->I, b->I);
    assert_int_equal(a->J, b->J);
    assert_int_equal(a->explained, b->explained);
    assert_int_equal(a->n_lists, b->n_lists);
    for (int k = 0; k < a->n_lists; k++) {
        assert_int_equal(a->list[k], b->list[k]);
        assert_int_equal(a->votes[k], b->votes[k]);
    }
}

static void test_basis_sample_csv_agrees_with_the_real_510b(void **state)
{
    st_model *m = load_model(MODEL);
    st_error err = {0};
    st_basis_set csv = {0, NULL}, eml = {0, NULL};
    char *csv_path = th_root("samples/gr2022-sb3/basistelling.csv"), *eml_path = th_data(TELLING);
    assert_st_ok(st_basis_read_csv(csv_path, m, &csv, &err), &err);
    assert_st_ok(st_basis_read_eml(eml_path, m, &eml, &err), &err);
    assert_int_equal(csv.n, 1);
    assert_int_equal(eml.n, 21);
    const st_basis *a = find(&csv, "0668::SB3"), *b = find(&eml, "0668::SB3");
    assert_int_equal(a->D, 331);
    assert_int_equal(a->E, 324);
    assert_int_equal(st_basis_list_votes(a, 6), 153);
    assert_same_figures(a, b);
    assert_null(a->name);
    assert_string_equal(b->name, "Stembureau Dorpshuis De Schuur (postcode: 6629 AR)");
    assert_int_equal(a->eligible, -1);
    assert_int_equal(b->eligible, 694);
    /* SB1 counted one ballot fewer than it admitted voters. */
    const st_basis *sb1 = find(&eml, "0668::SB1");
    assert_int_equal(sb1->D, 690);
    assert_int_equal(sb1->H, 689);
    assert_int_equal(sb1->J, 1);
    st_basis_set_free(&csv);
    st_basis_set_free(&eml);
    free(csv_path);
    free(eml_path);
    st_model_free(m);
}

static const char *const header =
    "station,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,explained\n";
static const char *const good_row =
    "0668::SB3,285,46,0,331,7,39,0,88,0,153,36,1,324,5,2,331,0,0,yes\n";

/* Read text as a CSV file and expect a refusal whose message holds every
 * one of the NULL-terminated fragments. */
static void expect_refusal(const char *text, ...)
{
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/basis.csv", dir);
    th_write(path, text);
    st_model *m = load_model(MODEL);
    st_error err = {0};
    st_basis_set set = {0, NULL};
    int rc = st_basis_read_csv(path, m, &set, &err);
    if (rc == ST_OK)
        fail_msg("accepted:\n%s", text);
    assert_int_equal(set.n, 0);
    assert_non_null(strstr(err.msg, path));
    va_list ap;
    va_start(ap, text);
    for (const char *frag; (frag = va_arg(ap, const char *));)
        if (!strstr(err.msg, frag))
            fail_msg("\"%s\" not in: %s", frag, err.msg);
    va_end(ap);
    st_model_free(m);
    th_rmtree(dir);
    free(dir);
}

static void test_basis_csv_refuses_each_broken_file_naming_line_and_column(void **state)
{
    char text[2048];
    expect_refusal("", "empty file", NULL);
    expect_refusal("station,A,B,C,D,E.1,E.2,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,explained\n",
                   "line 1", "no column \"E.3\"", NULL);
    expect_refusal("station,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E.9,E,F,G,H,I,J,explained\n",
                   "line 1", "\"E.9\"", "no such list", NULL);
    expect_refusal("station,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,explained,K\n",
                   "line 1", "unknown column \"K\"", NULL);
    expect_refusal("station,A,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,explained\n",
                   "column \"A\" given twice", NULL);
    /* name and eligible too (a second name on a row leaked the first). */
    expect_refusal("name,station,name,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,"
                   "explained\n", "column \"name\" given twice", NULL);
    expect_refusal("station,eligible,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,"
                   "explained,eligible\n", "column \"eligible\" given twice", NULL);
    snprintf(text, sizeof text, "%s%s0668::SB4,1,2,0,3,0,0,0,0,0,0,0,0,0,x1,0,0,0,3,yes\n",
             header, good_row);
    expect_refusal(text, "line 3", "column F", "\"x1\"", NULL);
    snprintf(text, sizeof text, "%s0668::SB4,1,2,0,3,0,0,0,0,0,0,0,0,0,0,0,-1,0,3,yes\n",
             header);
    expect_refusal(text, "line 2", "column H", NULL);
    snprintf(text, sizeof text, "%s0668::SB4,1,2,0,3,0,0,0,0,0,0,0,0,0,0,0,0,0,3,maybe\n",
             header);
    expect_refusal(text, "line 2", "explained is \"maybe\"", NULL);
    snprintf(text, sizeof text, "station,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,"
                                "explained,box\n0668::SB4,1,2,0,3,0,0,0,0,0,0,0,0,0,0,0,0,0,3,"
                                "no,H<D+H<D\n");
    expect_refusal(text, "line 2", "box is \"H<D+H<D\"", NULL);
    snprintf(text, sizeof text, "%s%s%s", header, good_row, good_row);
    expect_refusal(text, "line 3", "station 0668::SB3 given twice", NULL);
    snprintf(text, sizeof text, "%s0668::SB4,1,2,0\n", header);
    expect_refusal(text, "line 2", "4 fields, the header has 20", NULL);
    snprintf(text, sizeof text, "%s\"0668::SB4,1,2,0\n", header);
    expect_refusal(text, "line 2", "quote is not closed", NULL);
}

static void test_basis_csv_takes_columns_in_any_order_with_quotes_and_crlf(void **state)
{
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/basis.csv", dir);
    th_write(path, "explained,name,station,J,I,H,G,F,E,E.8,E.7,E.6,E.5,E.4,E.3,E.2,E.1,D,C,B,A,"
                   "eligible\r\n"
                   "nee,\"Dorpshuis \"\"De Schuur\"\", Altforst\",0668::SB3,0,0,331,2,5,324,1,36,"
                   "153,0,88,0,39,7,331,0,46,285,694\r\n\r\n");
    st_model *m = load_model(MODEL);
    st_error err = {0};
    st_basis_set set = {0, NULL};
    assert_st_ok(st_basis_read_csv(path, m, &set, &err), &err);
    assert_int_equal(set.n, 1);
    assert_string_equal(set.v[0].name, "Dorpshuis \"De Schuur\", Altforst");
    assert_int_equal(set.v[0].explained, 0);
    assert_int_equal(set.v[0].eligible, 694);
    assert_int_equal(set.v[0].A, 285);
    assert_int_equal(st_basis_list_votes(&set.v[0], 1), 7);
    assert_int_equal(st_basis_list_votes(&set.v[0], 8), 1);
    st_basis_set_free(&set);
    st_model_free(m);
    th_rmtree(dir);
    free(dir);
}

static void test_basis_eml_refuses_a_candidate_list_and_another_election(void **state)
{
    st_model *m = load_model(MODEL), *other = load_model("models/test-small.json");
    st_error err = {0};
    st_basis_set set = {0, NULL};
    char *kl = th_data("results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml");
    char *tel = th_data(TELLING);
    assert_int_equal(st_basis_read_eml(kl, m, &set, &err), ST_ERR_UNSUPPORTED);
    assert_non_null(strstr(err.msg, "not an EML 510 count (EML 230b)"));
    assert_non_null(strstr(err.msg, kl));
    assert_int_equal(st_basis_read_eml(tel, other, &set, &err), ST_ERR_INVALID);
    assert_non_null(strstr(err.msg, "GR2022_WestMaasenWaal"));
    assert_non_null(strstr(err.msg, "TEST2026_Klein"));
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/broken.xml", dir);
    th_write(path, "<EML xmlns=\"urn:oasis:names:tc:evs:schema:eml\" Id=\"510b\">\n<Count>\n");
    assert_int_equal(st_basis_read_eml(path, m, &set, &err), ST_ERR_PARSE);
    assert_non_null(strstr(err.msg, "not well-formed"));
    assert_int_equal(set.n, 0);
    th_rmtree(dir);
    free(dir);
    free(kl);
    free(tel);
    st_model_free(m);
    st_model_free(other);
}

/* A new store of MODEL in dir: its path into store, a CSV path beside it
 * into csv (both 4200 bytes); returns the model (the caller's). */
static st_model *empty_store(const char *dir, char *store, char *csv)
{
    st_model *m = load_model(MODEL);
    st_error err = {0};
    st_store *s = NULL;
    snprintf(store, 4200, "%s/s.db", dir);
    snprintf(csv, 4200, "%s/b.csv", dir);
    assert_st_ok(st_store_open(store, m, &s, &err), &err);
    st_store_close(s);
    return m;
}

/* `basis import` csv into store, then read station's basistelling back
 * into *b (st_basis_clear it). */
static void imported(const char *store, const char *csv, const char *station, st_basis *b)
{
    char *out = NULL;
    st_error err = {0};
    st_store *s = NULL;
    int found = 0;
    if (th_run(&out, "basis import --store '%s' '%s'", store, csv))
        fail_msg("basis import: %s", out);
    free(out);
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    assert_st_ok(st_basis_load(s, station, b, &found, &err), &err);
    assert_true(found);
    st_store_close(s);
}

static void test_basis_import_replaces_a_station_in_the_store(void **state)
{
    char *dir = th_tmpdir(), store[4200], csv[4200], text[2048], *out = NULL;
    char *tel = th_data(TELLING);
    st_model *m = empty_store(dir, store, csv);
    st_error err = {0};
    st_store *s = NULL;
    assert_int_equal(th_run(&out, "basis import --store '%s' --from-eml '%s'", store, tel), 0);
    assert_non_null(strstr(out, "21 polling stations"));
    free(out);
    /* The station's sheet, typed in again with list 6 at 150. */
    snprintf(text, sizeof text, "%s0668::SB3,285,46,0,331,7,39,0,88,0,150,36,1,324,5,2,331,0,0,"
                                "no\n", header);
    th_write(csv, text);
    st_basis b;
    int found = 0;
    imported(store, csv, "0668::SB3", &b);
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    assert_int_equal(st_basis_list_votes(&b, 6), 150);
    assert_int_equal(b.explained, 0);
    assert_null(b.name);
    st_basis_clear(&b);
    assert_st_ok(st_basis_load(s, "0668::SB2", &b, &found, &err), &err);
    assert_true(found);
    assert_int_equal(b.D, 224);
    st_basis_clear(&b);
    assert_st_ok(st_basis_load(s, "0668::SB99", &b, &found, &err), &err);
    assert_false(found);
    st_store_close(s);
    /* A refused file changes nothing and says why. */
    th_write(csv, "station,A\n");
    assert_int_equal(th_run(&out, "basis import --store '%s' '%s'", store, csv), 1);
    assert_non_null(strstr(out, "no column"));
    free(out);
    st_model_free(m);
    free(tel);
    th_rmtree(dir);
    free(dir);
}

/* The real 510b with to put after the last occurrence of after (in the
 * last station), written into dir; malloc'd path. */
static char *telling_with(const char *dir, const char *after, const char *to)
{
    char *tel = th_data(TELLING), *text = th_slurp(tel, NULL), *at = NULL;
    for (char *p = strstr(text, after); p; p = strstr(p + 1, after))
        at = p;
    assert_non_null(at);
    at += strlen(after);
    size_t n = strlen(text) + strlen(to) + 1;
    char *out = malloc(n), *path = malloc(strlen(dir) + 32);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at);
    sprintf(path, "%s/twice.eml.xml", dir);
    th_write(path, out);
    free(out);
    free(text);
    free(tel);
    return path;
}

static void test_basis_eml_refuses_a_figure_given_twice(void **state)
{
    static const struct {
        const char *after, *to, *want;
    } cases[] = {
        {"<TotalCounted>235</TotalCounted>", "<TotalCounted>999</TotalCounted>",
         "TotalCounted given twice"},
        {"<RejectedVotes ReasonCode=\"blanco\">0</RejectedVotes>",
         "<RejectedVotes ReasonCode=\"blanco\">50</RejectedVotes>",
         "RejectedVotes \"blanco\" given twice"},
        {"<ValidVotes>14</ValidVotes></Selection>",
         "<Selection><AffiliationIdentifier Id=\"7\"/><ValidVotes>90</ValidVotes></Selection>",
         "the votes of list 7 given twice"},
    };
    st_model *m = load_model(MODEL);
    char *dir = th_tmpdir();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        st_error err = {0};
        st_basis_set set = {0, NULL};
        char *path = telling_with(dir, cases[i].after, cases[i].to);
        /* Before: the last copy won, silently. */
        assert_int_equal(st_basis_read_eml(path, m, &set, &err), ST_ERR_INVALID);
        if (!strstr(err.msg, path) || !strstr(err.msg, cases[i].want) ||
            !strstr(err.msg, "line 1:"))
            fail_msg("want the file, line and \"%s\": %s", cases[i].want, err.msg);
        assert_int_equal(set.n, 0);
        free(path);
    }
    th_rmtree(dir);
    free(dir);
    st_model_free(m);
}

static void test_basis_form_boxes_and_answer_survive_the_store_and_an_older_store_opens(
    void **state)
{
    char *dir = th_tmpdir(), store[4200], csv[4200], *out = NULL;
    st_model *m = empty_store(dir, store, csv);
    st_error err = {0};
    st_store *s = NULL;
    th_write(csv, "station,A,B,C,D,E.1,E.2,E.3,E.4,E.5,E.6,E.7,E.8,E,F,G,H,I,J,explained,box\n"
                  "0668::SB3,285,46,0,331,7,39,0,88,0,153,36,1,324,5,2,331,0,0,beide,"
                  "D=H+H>D\n"
                  "0668::SB4,1,2,0,3,0,0,0,0,0,0,0,0,0,0,0,0,0,3,,geen\n");
    st_basis b;
    int found = 0;
    imported(store, csv, "0668::SB3", &b);
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    assert_int_equal(b.boxes, ST_BOX_D_IS_H | ST_BOX_H_OVER_D);
    assert_int_equal(b.explained_as, ST_ANSWER_BOTH);
    assert_int_equal(b.explained, 0);
    st_basis_clear(&b);
    assert_st_ok(st_basis_load(s, "0668::SB4", &b, &found, &err), &err);
    assert_int_equal(b.boxes, 0);
    assert_int_equal(b.explained_as, ST_ANSWER_BLANK);
    st_basis_clear(&b);
    st_store_close(s);
    /* A store of schema version 5 (before the form's boxes were kept)
     * opens, gains the tables, and has its basistelling without them. */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "DROP TABLE rules; DROP TABLE page_sources; DROP TABLE proposals; DROP TABLE basis_form; DROP TABLE basis2_form;"
                                      "DROP TABLE basis2_lists; DROP TABLE basis2;"
                                      "DROP TABLE answers; PRAGMA user_version=5", NULL, NULL,
                                  NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    assert_st_ok(st_basis_load(s, "0668::SB3", &b, &found, &err), &err);
    assert_true(found);
    assert_int_equal(b.boxes, ST_BOXES_UNKNOWN);
    assert_int_equal(b.explained_as, ST_ANSWER_UNKNOWN);
    assert_int_equal(b.D, 331);
    st_basis_clear(&b);
    st_store_close(s);
    assert_int_equal(th_run(&out, "basis import --store '%s' '%s'", store, csv), 0);
    free(out);
    st_model_free(m);
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basis_sample_csv_agrees_with_the_real_510b),
        cmocka_unit_test(test_basis_csv_refuses_each_broken_file_naming_line_and_column),
        cmocka_unit_test(test_basis_csv_takes_columns_in_any_order_with_quotes_and_crlf),
        cmocka_unit_test(test_basis_eml_refuses_a_candidate_list_and_another_election),
        cmocka_unit_test(test_basis_import_replaces_a_station_in_the_store),
        cmocka_unit_test(test_basis_eml_refuses_a_figure_given_twice),
        cmocka_unit_test(
            test_basis_form_boxes_and_answer_survive_the_store_and_an_older_store_opens),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
