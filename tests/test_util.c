/* test_util.c - atomic files, JSON records and the clock (src/util) */
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"
#include "util/atomic.h"
#include "util/clock.h"
#include "util/jsonrec.h"
#include "util/logfile.h"

static void test_atomic_write_puts_the_whole_file_and_leaves_no_temporary(void **state)
{
    (void)state;
    char *dir = th_tmpdir(), path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/out.txt", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    st_error err = {0};
    th_write(path, "old contents\n");
    assert_st_ok(st_atomic_write(path, "new\n", 4, "test", &err), &err);
    char *got = th_slurp(path, NULL);
    assert_string_equal(got, "new\n");
    free(got);
    assert_int_equal(access(tmp, F_OK), -1);

    /* Until commit the old file stays as it was. */
    st_atomic a;
    assert_st_ok(st_atomic_open(&a, path, "test", &err), &err);
    fputs("half", a.f);
    got = th_slurp(path, NULL);
    assert_string_equal(got, "new\n");
    free(got);
    st_atomic_abort(&a);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_null(a.f);
    got = th_slurp(path, NULL);
    assert_string_equal(got, "new\n");
    free(got);
    st_atomic_abort(&a); /* a cleared writer: nothing happens */
    th_rmtree(dir);
    free(dir);
}

static void test_atomic_open_names_the_file_it_cannot_write(void **state)
{
    (void)state;
    st_error err = {0};
    st_atomic a;
    int rc = st_atomic_open(&a, "/nonexistent-dir/x.json", "tally", &err);
    assert_int_equal(rc, ST_ERR_IO);
    assert_non_null(strstr(err.msg, "tally: /nonexistent-dir/x.json: cannot write"));
    assert_null(a.f);
    assert_int_equal(st_atomic_write("/nonexistent-dir/y", "x", 1, "export", &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "export: /nonexistent-dir/y: cannot write"));
}

/* Keeps a line unless it starts with "uncommitted". */
static int keep_committed(void *ctx, char *line, st_error *err)
{
    ++*(int *)ctx;
    return strncmp(line, "uncommitted", 11) != 0;
}

static void test_logfile_grows_in_place_and_cuts_back_a_torn_and_an_unwanted_end(void **state)
{
    (void)state;
    char *dir = th_tmpdir(), path[4200];
    snprintf(path, sizeof path, "%s/log.txt", dir);
    st_error err = {0};
    st_logfile l;
    assert_st_ok(st_logfile_open(&l, path, "wx", "test", &err), &err);
    fputs("header\ncommitted 1\n", l.f);
    assert_st_ok(st_logfile_sync(&l, &err), &err);
    /* Synced lines are there under the file's own name at once. */
    char *got = th_slurp(path, NULL);
    assert_string_equal(got, "header\ncommitted 1\n");
    free(got);
    fputs("uncommitted 2\nuncommitted 3\nuncommit", l.f);
    assert_st_ok(st_logfile_close(&l, &err), &err);
    assert_null(l.f);
    /* excl: an existing file is refused, named. */
    assert_int_equal(st_logfile_open(&l, path, "wx", "test", &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "log.txt"));

    int asked = 0, kept = -1, cut = -1;
    assert_st_ok(st_logfile_cut(path, 1, keep_committed, &asked, &kept, &cut, &err), &err);
    assert_int_equal(asked, 3); /* the torn line is never offered */
    assert_int_equal(kept, 2);
    assert_int_equal(cut, 3);
    got = th_slurp(path, NULL);
    assert_string_equal(got, "header\ncommitted 1\n");
    free(got);
    /* "a" goes on where the file ends. */
    assert_st_ok(st_logfile_open(&l, path, "a", "test", &err), &err);
    fputs("uncommitted 4\n", l.f);
    assert_st_ok(st_logfile_close(&l, &err), &err);
    asked = 0;
    assert_st_ok(st_logfile_cut(path, 1, keep_committed, &asked, &kept, &cut, &err), &err);
    assert_int_equal(asked, 2);
    assert_int_equal(cut, 1);
    /* Cut again: nothing to do. The first lines are never offered. */
    th_write(path, "uncommitted header\n");
    asked = 0;
    assert_st_ok(st_logfile_cut(path, 1, keep_committed, &asked, &kept, &cut, &err), &err);
    assert_int_equal(asked, 0);
    assert_int_equal(kept, 1);
    assert_int_equal(cut, 0);
    assert_int_equal(st_logfile_cut("/nonexistent-dir/x", 0, keep_committed, &asked, &kept,
                                    &cut, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x"));
    th_rmtree(dir);
    free(dir);
}

static void test_jsonrec_writes_nested_records_with_commas_and_null_for_nan(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    st_jsonrec w;
    st_jsonrec_start(&w, f);
    st_jsonrec_obj(&w, NULL);
    st_jsonrec_str(&w, "file", "a \"b\".tif");
    st_jsonrec_int(&w, "page", 3);
    st_jsonrec_uint(&w, "seed", 18446744073709551615ull);
    st_jsonrec_str(&w, "station", NULL);
    st_jsonrec_arr(&w, "xs");
    st_jsonrec_num(&w, NULL, 1.25, 3, 1);
    st_jsonrec_num(&w, NULL, NAN, 3, 1);
    st_jsonrec_num(&w, NULL, -INFINITY, 3, 1);
    st_jsonrec_num(&w, NULL, -0.0001, 2, 0);
    st_jsonrec_end(&w);
    st_jsonrec_obj(&w, "o");
    st_jsonrec_bool(&w, "ok", 1);
    st_jsonrec_null(&w, "n");
    st_jsonrec_end(&w);
    st_jsonrec_arr(&w, "empty");
    st_jsonrec_end(&w);
    st_jsonrec_end(&w);
    fclose(f);
    assert_string_equal(buf, "{\"file\":\"a \\\"b\\\".tif\",\"page\":3,\"seed\":18446744073709551615,\"station\":null,"
                             "\"xs\":[1.25,null,null,0.00],\"o\":{\"ok\":true,\"n\":null},"
                             "\"empty\":[]}");
    /* And a strict parser takes it. */
    json_tokener *tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    json_object *o = json_tokener_parse_ex(tok, buf, (int)strlen(buf));
    assert_non_null(o);
    assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
    json_object_put(o);
    json_tokener_free(tok);
    free(buf);
}

static void test_clock_goes_forward(void **state)
{
    (void)state;
    double a = st_clock_now();
    usleep(2000);
    double b = st_clock_now();
    assert_true(b - a >= 0.0015);
    assert_true(b - a < 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_write_puts_the_whole_file_and_leaves_no_temporary),
        cmocka_unit_test(test_atomic_open_names_the_file_it_cannot_write),
        cmocka_unit_test(test_logfile_grows_in_place_and_cuts_back_a_torn_and_an_unwanted_end),
        cmocka_unit_test(test_jsonrec_writes_nested_records_with_commas_and_null_for_nan),
        cmocka_unit_test(test_clock_goes_forward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
