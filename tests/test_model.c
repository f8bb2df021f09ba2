/* test_model.c - model files: load, save, and every check a hand edit needs */
#include "helpers.h"
#include "stemtel/model.h"

#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static st_model *load_small(void)
{
    st_error err = {0};
    st_model *m = NULL;
    char *path = th_root("models/test-small.json");
    assert_st_ok(st_model_load(path, &m, &err), &err);
    free(path);
    return m;
}

/* Problems of m, joined with newlines (malloc'd); *n receives the count. */
static char *problems_of(const st_model *m, int *n)
{
    st_problems pr = {0};
    *n = st_model_check(m, &pr);
    size_t len = 1;
    for (int i = 0; i < pr.n; i++)
        len += strlen(pr.msg[i]) + 1;
    char *all = calloc(1, len);
    for (int i = 0; i < pr.n; i++) {
        strcat(all, pr.msg[i]);
        strcat(all, "\n");
    }
    st_problems_free(&pr);
    return all;
}

static void assert_problem(const st_model *m, const char *needle1,
                           const char *needle2)
{
    int n;
    char *all = problems_of(m, &n);
    if (n < 1 || !strstr(all, needle1) || (needle2 && !strstr(all, needle2)))
        fail_msg("expected a problem with \"%s\"%s%s, got %d:\n%s", needle1,
                 needle2 ? " and " : "", needle2 ? needle2 : "", n, all);
    free(all);
}

static void test_model_loads_small_example(void **state)
{
    st_model *m = load_small();
    assert_int_equal(m->n_lists, 3);
    assert_int_equal(m->lists[1].n_candidates, 3);
    assert_string_equal(m->lists[0].candidates[0].name, "Jansen, A. (Anna)");
    assert_int_equal(m->n_fiducials, 5);
    assert_int_equal(m->n_targets, 8);
    assert_int_equal(st_model_max_candidates(m), 5);
    assert_int_equal(m->settings.party_only, ST_PARTY_ONLY_FIRST_CANDIDATE);
    assert_int_equal(m->settings.multiple_numbers, ST_MULTIPLE_NUMBERS_REVIEW);
    assert_true(m->settings.marginal < m->settings.definite);
    const st_target *t = st_model_target(m, ST_TARGET_NUMBER, 3);
    assert_non_null(t);
    assert_string_equal(t->id, "N3");
    assert_null(st_model_target(m, ST_TARGET_NUMBER, 6));
    int n;
    char *all = problems_of(m, &n);
    if (n != 0)
        fail_msg("models/test-small.json has problems:\n%s", all);
    free(all);
    st_model_free(m);
}

static void test_model_json_round_trip_is_byte_identical(void **state)
{
    st_error err = {0};
    st_model *m = load_small(), *m2 = NULL;
    char *a = st_model_to_json(m, &err);
    assert_non_null(a);
    assert_st_ok(st_model_parse(a, "round-trip", &m2, &err), &err);
    char *b = st_model_to_json(m2, &err);
    assert_string_equal(a, b);
    /* Numbers are printed tidily, not as 17-digit doubles. */
    assert_non_null(strstr(a, "\"marginal\": 0.006"));
    assert_null(strstr(a, "0000000"));
    free(a);
    free(b);
    st_model_free(m);
    st_model_free(m2);
}

static void test_model_settings_names_are_read(void **state)
{
    st_error err = {0};
    st_model *m = load_small(), *m2 = NULL;
    char *a = st_model_to_json(m, &err);
    char *q = strstr(a, "\"party_only\": \"first_candidate\"");
    assert_non_null(q);
    size_t n = strlen(a) + 32;
    char *b = malloc(n);
    snprintf(b, n, "%.*s\"party_only\": \"invalid\"%s", (int)(q - a), a,
             q + strlen("\"party_only\": \"first_candidate\""));
    assert_st_ok(st_model_parse(b, "edited", &m2, &err), &err);
    assert_int_equal(m2->settings.party_only, ST_PARTY_ONLY_INVALID);
    free(a);
    free(b);
    st_model_free(m);
    st_model_free(m2);
}

static void test_model_rejects_malformed_json_with_line_and_column(void **state)
{
    st_error err = {0};
    st_model *m = NULL;
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/broken.json", dir);
    th_write(path, "{\n  \"format\": \"stemtel-model\",\n  \"version\": 1,,\n}\n");
    int rc = st_model_load(path, &m, &err);
    assert_int_equal(rc, ST_ERR_PARSE);
    assert_null(m);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, ":3:"));
    /* Truncated text. */
    th_write(path, "{\n  \"format\": \"stemtel-model\",\n  \"lists\": [");
    assert_int_equal(st_model_load(path, &m, &err), ST_ERR_PARSE);
    assert_non_null(strstr(err.msg, "ends too early"));
    /* Not JSON at all. */
    th_write(path, "II*\x01 this is a TIFF, not a model");
    assert_int_equal(st_model_load(path, &m, &err), ST_ERR_PARSE);
    th_rmtree(dir);
    free(dir);
}

static void test_model_names_the_path_of_a_wrong_field(void **state)
{
    st_error err = {0};
    st_model *m = load_small(), *m2 = NULL;
    char *a = st_model_to_json(m, &err);
    /* Make targets[2].y_mm a string. */
    char *p = strstr(a, "\"id\": \"L3\"");
    assert_non_null(p);
    p = strstr(p, "\"y_mm\": ");
    assert_non_null(p);
    p += strlen("\"y_mm\": ");
    *p = '"';
    p[1] = '4';
    char *q = strchr(p, ',');
    *(q - 1) = '"';
    int rc = st_model_parse(a, "edited.json", &m2, &err);
    assert_int_equal(rc, ST_ERR_INVALID);
    assert_non_null(strstr(err.msg, "edited.json"));
    assert_non_null(strstr(err.msg, "targets[2]"));
    assert_non_null(strstr(err.msg, "y_mm"));
    free(a);
    st_model_free(m);
}

static void test_model_rejects_wrong_format_and_version(void **state)
{
    st_error err = {0};
    st_model *m = NULL;
    assert_int_equal(st_model_parse("{\"format\": \"something\", \"version\": 1}", "x.json",
                                    &m, &err), ST_ERR_INVALID);
    assert_non_null(strstr(err.msg, "stemtel-model"));
    assert_int_equal(st_model_parse("{\"format\": \"stemtel-model\", \"version\": 9}",
                                    "x.json", &m, &err), ST_ERR_INVALID);
    assert_non_null(strstr(err.msg, "version"));
    assert_int_equal(st_model_parse("[1, 2]", "x.json", &m, &err), ST_ERR_INVALID);
    assert_null(m);
}

static void test_model_check_reports_overlapping_boxes(void **state)
{
    st_model *m = load_small();
    /* targets[4] is N2; put it half over N1 (targets[3]). */
    m->targets[4].rect.x = m->targets[3].rect.x + 5;
    m->targets[4].rect.y = m->targets[3].rect.y + 5;
    assert_problem(m, "targets[3] (N1): overlaps targets[4] (N2)", NULL);
    st_model_free(m);
}

static void test_model_check_reports_box_off_the_page(void **state)
{
    st_model *m = load_small();
    m->targets[0].rect.x = m->paper_w - 4;
    assert_problem(m, "targets[0] (L1)", "off the");
    st_model_free(m);
}

static void test_model_check_reports_duplicate_numbers_and_ids(void **state)
{
    st_model *m = load_small();
    m->lists[2].number = 1;
    strcpy(m->targets[5].id, "N1");
    assert_problem(m, "lists[2]: list number 1 is also used by lists[0]", NULL);
    assert_problem(m, "targets[5] (N1): id \"N1\" is also used by targets[3]", NULL);
    st_model_free(m);
}

static void test_model_check_reports_missing_number_box_and_list_box(void **state)
{
    st_model *m = load_small();
    m->n_targets = 7; /* drops N5; list 1 has 5 candidates */
    assert_problem(m, "number box 5 is missing", NULL);
    m->targets[1].number = 7; /* list box for a list that does not exist */
    assert_problem(m, "list 2 (lists[1]) has no list box", NULL);
    assert_problem(m, "targets[1] (L2): box for list 7", NULL);
    m->n_targets = 8;
    st_model_free(m);
}

static void test_model_check_reports_candidate_gaps(void **state)
{
    st_model *m = load_small();
    m->lists[0].candidates[2].number = 4;
    assert_problem(m, "lists[0].candidates[2]", "4 where 3 was expected");
    st_model_free(m);
}

static void test_model_check_reports_thresholds_out_of_order(void **state)
{
    st_model *m = load_small();
    m->settings.marginal = 0.2;
    m->settings.definite = 0.1;
    assert_problem(m, "settings.thresholds: marginal 0.200 must be below definite 0.100",
                   NULL);
    st_model_free(m);
}

static void test_model_check_reports_too_few_marks_and_small_boxes(void **state)
{
    st_model *m = load_small();
    m->n_fiducials = 2;
    m->targets[6].rect.w = 2.5;
    assert_problem(m, "fiducials: 2 registration marks", NULL);
    assert_problem(m, "targets[6] (N4): box 2.5 x 10.0 mm", NULL);
    m->n_fiducials = 5;
    st_model_free(m);
}

static void test_model_check_lists_every_problem_at_once(void **state)
{
    st_model *m = load_small();
    m->targets[4].rect = m->targets[3].rect;  /* overlap */
    m->targets[0].rect.y = -3;                /* off page */
    m->settings.definite = 1.5;               /* threshold range */
    m->lists[1].n_candidates = 0;             /* empty list */
    int n;
    char *all = problems_of(m, &n);
    assert_true(n >= 4);
    assert_non_null(strstr(all, "overlaps"));
    assert_non_null(strstr(all, "off the"));
    assert_non_null(strstr(all, "definite"));
    assert_non_null(strstr(all, "has no candidates"));
    free(all);
    m->lists[1].n_candidates = 3;
    st_model_free(m);
}

static void test_model_load_checked_refuses_overlapping_model(void **state)
{
    st_error err = {0};
    st_model *m = load_small(), *m2 = NULL;
    m->targets[4].rect = m->targets[3].rect;
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/overlap.json", dir);
    assert_st_ok(st_model_save(m, path, &err), &err);
    assert_int_equal(st_model_load_checked(path, &m2, &err), ST_ERR_INVALID);
    assert_null(m2);
    assert_non_null(strstr(err.msg, "overlap.json"));
    assert_non_null(strstr(err.msg, "overlaps"));
    st_model_free(m);
    th_rmtree(dir);
    free(dir);
}

static void test_cli_model_check_exit_status_and_messages(void **state)
{
    st_error err = {0};
    char *out = NULL, *good = th_root("models/test-small.json");
    assert_int_equal(th_run(&out, "model check '%s'", good), 0);
    assert_non_null(strstr(out, "ok"));
    free(out);

    st_model *m = load_small();
    m->targets[4].rect = m->targets[3].rect;
    m->settings.marginal = 0.5;
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    assert_st_ok(st_model_save(m, path, &err), &err);
    assert_int_equal(th_run(&out, "model check '%s'", path), 1);
    assert_non_null(strstr(out, "bad.json: targets[3] (N1): overlaps targets[4] (N2)"));
    assert_non_null(strstr(out, "thresholds"));
    assert_non_null(strstr(out, "2 problems"));
    free(out);

    /* Malformed JSON: exit 1, file named. */
    th_write(path, "{ \"format\": ");
    assert_int_equal(th_run(&out, "model check '%s'", path), 1);
    assert_non_null(strstr(out, "bad.json"));
    free(out);
    /* Commands that use a model refuse a broken one. */
    assert_int_equal(th_run(&out, "model inspect '%s' --json", path), 1);
    free(out);
    /* Missing file. */
    assert_int_equal(th_run(&out, "model check '%s/nope.json'", dir), 1);
    assert_non_null(strstr(out, "nope.json: cannot open"));
    free(out);
    /* Usage errors exit 2. */
    assert_int_equal(th_run(&out, "model frobnicate x"), 2);
    free(out);
    st_model_free(m);
    free(good);
    th_rmtree(dir);
    free(dir);
}

static void test_cli_from_eml_builds_models_and_refuses_invalid_files(void **state)
{
    char *dir = th_tmpdir(), *out = NULL, path[4200];
    char *good = th_data("results/Kandidatenlijsten_GR2022_WestMaasenWaal.eml.xml");
    char *xsd = th_data("eml-xsd/230-candidatelist-kiesraad-strict.xsd");
    snprintf(path, sizeof path, "%s/gr.json", dir);
    assert_int_equal(th_run(&out, "model from-eml '%s' --schema '%s' -o '%s'", good, xsd, path), 0);
    free(out);
    assert_int_equal(th_run(&out, "model check '%s'", path), 0);
    free(out);
    /* Not candidate lists, or not valid: exit 1 and the file named. */
    static const char *const bad[] = {
        "eml/eml110b_test.eml.xml",
        "eml/eml510b_with_investigations.eml.xml",
        "eml/Verkiezingsdefinitie_PS2023_Drenthe.eml.xml",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *p = th_data(bad[i]);
        assert_int_equal(th_run(&out, "model from-eml '%s' -o '%s/x.json'", p, dir), 1);
        if (!strstr(out, strrchr(bad[i], '/') + 1))
            fail_msg("from-eml %s: message does not name the file: %s", bad[i], out);
        free(out);
        free(p);
    }
    /* A truncated candidate list. */
    size_t len;
    char *text = th_slurp(good, &len);
    text[len / 2] = '\0';
    snprintf(path, sizeof path, "%s/cut.eml.xml", dir);
    th_write(path, text);
    assert_int_equal(th_run(&out, "model from-eml '%s' -o '%s/x.json'", path, dir), 1);
    assert_non_null(strstr(out, "cut.eml.xml"));
    free(out);
    free(text);
    free(good);
    free(xsd);
    th_rmtree(dir);
    free(dir);
}

static void test_model_readme_example_is_a_valid_model(void **state)
{
    st_error err = {0};
    st_model *m = NULL;
    char *path = th_root("models/README.md");
    char *doc = th_slurp(path, NULL);
    assert_non_null(doc);
    char *start = strstr(doc, "```json\n");
    assert_non_null(start);
    start += strlen("```json\n");
    char *end = strstr(start, "```");
    assert_non_null(end);
    *end = '\0';
    assert_st_ok(st_model_parse(start, "models/README.md example", &m, &err), &err);
    int n;
    char *all = problems_of(m, &n);
    if (n != 0)
        fail_msg("the README example has problems:\n%s", all);
    assert_int_equal(m->n_targets, 3);
    free(all);
    free(doc);
    free(path);
    st_model_free(m);
}

/* The real West Maas en Waal model with its 56 boxes copied until there
 * are n: every copy repeats an id, a number and a rectangle. Saved in
 * dir; returns the malloc'd path. */
static char *copied_boxes_model(const char *dir, int n)
{
    st_error err = {0};
    st_model *m = NULL;
    char *src = th_root("models/gr2022-west-maas-en-waal.json");
    assert_st_ok(st_model_load(src, &m, &err), &err);
    int k = m->n_targets;
    st_target *t = calloc((size_t)n, sizeof *t);
    assert_non_null(t);
    for (int i = 0; i < n; i++) {
        t[i] = m->targets[i % k];
        t[i].label = m->targets[i % k].label ? strdup(m->targets[i % k].label) : NULL;
    }
    for (int i = 0; i < k; i++)
        free(m->targets[i].label);
    free(m->targets);
    m->targets = t;
    m->n_targets = n;
    size_t pn = strlen(dir) + 32;
    char *path = malloc(pn);
    snprintf(path, pn, "%s/copies.json", dir);
    assert_st_ok(st_model_save(m, path, &err), &err);
    st_model_free(m);
    free(src);
    return path;
}

static void test_cli_model_check_of_100000_boxes_is_quick_and_short(void **state)
{
    char *dir = th_tmpdir(), *out = NULL;
    char *path = copied_boxes_model(dir, 100000);
    /* Before: every pair compared (over 5 minutes, 14 GB) and one line per
     * pair printed. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(th_run(&out, "model check '%s'", path), 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (secs > 60)
        fail_msg("model check took %.1f s", secs);
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, ST_PROBLEMS_KEPT + 2);
    if (!strstr(out, "id \"L1\" is also used by targets[0]") ||
        !strstr(out, "more problems not shown") || !strstr(out, " problems\n"))
        fail_msg("want the first repeat, the rest counted: %.2000s", out);
    free(out);
    free(path);
    th_rmtree(dir);
    free(dir);
}

static void test_model_check_names_the_first_of_each_repeat_once(void **state)
{
    st_model *m = load_small();
    /* Three boxes with one id: each later one names the first. */
    strcpy(m->targets[5].id, "N1");
    strcpy(m->targets[6].id, "N1");
    int n;
    char *all = problems_of(m, &n);
    assert_non_null(strstr(all, "targets[5] (N1): id \"N1\" is also used by targets[3]"));
    assert_non_null(strstr(all, "targets[6] (N1): id \"N1\" is also used by targets[3]"));
    assert_null(strstr(all, "is also used by targets[5]"));
    free(all);
    st_model_free(m);
}

/* models/test-small.json with the first from replaced by to, in dir. */
static char *edited_small(const char *dir, const char *file, const char *from, const char *to)
{
    char *src = th_root("models/test-small.json");
    char *text = th_slurp(src, NULL);
    char *at = strstr(text, from);
    if (!at)
        fail_msg("test-small.json lacks %s", from);
    size_t n = strlen(text) + strlen(to) + 1;
    char *out = malloc(n), *path = malloc(strlen(dir) + strlen(file) + 2);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    sprintf(path, "%s/%s", dir, file);
    th_write(path, out);
    free(out);
    free(text);
    free(src);
    return path;
}

static void expect_check_refuses(const char *path, const char *want1, const char *want2)
{
    char *out = NULL;
    assert_int_equal(th_run(&out, "model check '%s'", path), 1);
    if (!strstr(out, path) || !strstr(out, want1) || (want2 && !strstr(out, want2)))
        fail_msg("want \"%s\" and \"%s\": %s", want1, want2 ? want2 : "", out);
    free(out);
}

static void test_cli_model_check_refuses_repeated_keys_nul_bad_utf8_and_huge_dpi(void **state)
{
    static const struct {
        const char *file, *from, *to, *want1, *want2;
    } cases[] = {
        {"dup.json", "\"paper\"", "\"version\": 1, \"paper\"", "key \"version\" given twice",
         NULL},
        {"esc.json", "\"paper\"", "\"\\u0070aper\": {}, \"paper\"", "key \"paper\" given twice",
         NULL},
        {"nul.json", "\"Jansen, A. (Anna)\"", "\"Jansen\\u0000, B.\"",
         "lists[0].candidates[0].name", "a NUL character at byte 7"},
        {"esc1b.json", "\"Jansen, A. (Anna)\"", "\"Jansen\\u001b[2J\"",
         "lists[0].candidates[0].name", "a control character at byte 7"},
        {"utf8.json", "\"Jansen, A. (Anna)\"", "\"Jansen \xff\"", "invalid utf-8", NULL},
        {"dpi.json", "\"dpi\": 300", "\"dpi\": 99999999999",
         "\"dpi\" = 99999999999 is out of range", NULL},
    };
    char *dir = th_tmpdir();
    /* Before: each of these was "ok", the last copy of a key winning. */
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *p = edited_small(dir, cases[i].file, cases[i].from, cases[i].to);
        expect_check_refuses(p, cases[i].want1, cases[i].want2);
        free(p);
    }
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_loads_small_example),
        cmocka_unit_test(test_model_json_round_trip_is_byte_identical),
        cmocka_unit_test(test_model_settings_names_are_read),
        cmocka_unit_test(test_model_rejects_malformed_json_with_line_and_column),
        cmocka_unit_test(test_model_names_the_path_of_a_wrong_field),
        cmocka_unit_test(test_model_rejects_wrong_format_and_version),
        cmocka_unit_test(test_model_check_reports_overlapping_boxes),
        cmocka_unit_test(test_model_check_reports_box_off_the_page),
        cmocka_unit_test(test_model_check_reports_duplicate_numbers_and_ids),
        cmocka_unit_test(test_model_check_reports_missing_number_box_and_list_box),
        cmocka_unit_test(test_model_check_reports_candidate_gaps),
        cmocka_unit_test(test_model_check_reports_thresholds_out_of_order),
        cmocka_unit_test(test_model_check_reports_too_few_marks_and_small_boxes),
        cmocka_unit_test(test_model_check_lists_every_problem_at_once),
        cmocka_unit_test(test_model_load_checked_refuses_overlapping_model),
        cmocka_unit_test(test_cli_model_check_exit_status_and_messages),
        cmocka_unit_test(test_model_readme_example_is_a_valid_model),
        cmocka_unit_test(test_cli_from_eml_builds_models_and_refuses_invalid_files),
        cmocka_unit_test(test_cli_model_check_of_100000_boxes_is_quick_and_short),
        cmocka_unit_test(test_model_check_names_the_first_of_each_repeat_once),
        cmocka_unit_test(test_cli_model_check_refuses_repeated_keys_nul_bad_utf8_and_huge_dpi),
    };
    return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
