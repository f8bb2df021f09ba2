/* test_session.c - the desk's login plumbing: sessions, CSRF tokens, the rate limit, passwords
 *
 * The session table (app/session.h) is driven with a clock of the test's
 * own, so expiry and the rate limit's window are checked without
 * waiting; the password lines (util/password.h) round-trip and refuse
 * what is not theirs.
 */
#include "helpers.h"
#include "app/session.h"
#include "util/password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_session_ids_are_random_and_found_only_whole(void **state)
{
    st_sessions *t = st_sessions_new();
    st_error err = {0};
    const st_session *a = NULL, *b = NULL;
    char ida[80], idb[80], csrf[80];
    assert_non_null(t);
    assert_st_ok(st_sessions_open(t, "Jan", 100, &a, &err), &err);
    snprintf(ida, sizeof ida, "%s", a->id);
    snprintf(csrf, sizeof csrf, "%s", a->csrf);
    assert_st_ok(st_sessions_open(t, "Piet", 100, &b, &err), &err);
    snprintf(idb, sizeof idb, "%s", b->id);
    assert_int_equal(strlen(ida), ST_SESSION_ID_LEN);
    assert_string_not_equal(ida, idb);
    assert_string_not_equal(ida, csrf);
    a = st_sessions_find(t, ida, 101);
    assert_non_null(a);
    assert_string_equal(a->member, "Jan");
    assert_true(st_session_csrf_ok(a, csrf));
    assert_false(st_session_csrf_ok(a, ida));
    assert_false(st_session_csrf_ok(a, NULL));
    assert_false(st_session_csrf_ok(a, ""));
    char part[80];
    snprintf(part, sizeof part, "%.63s", ida);
    assert_null(st_sessions_find(t, part, 101));
    assert_null(st_sessions_find(t, NULL, 101));
    assert_null(st_sessions_find(t, "", 101));
    st_sessions_close(t, ida);
    assert_null(st_sessions_find(t, ida, 102));
    assert_non_null(st_sessions_find(t, idb, 102));
    st_sessions_free(t);
    st_sessions_free(NULL);
}

static void test_session_expires_when_idle_and_after_its_longest_life(void **state)
{
    st_sessions *t = st_sessions_new();
    st_error err = {0};
    const st_session *s = NULL;
    char id[80];
    assert_st_ok(st_sessions_open(t, "Jan", 0, &s, &err), &err);
    snprintf(id, sizeof id, "%s", s->id);
    /* Used every 20 minutes it lives on, up to its longest life. */
    double now = 0;
    while (now + 1200 < ST_SESSION_MAX_S) {
        now += 1200;
        assert_non_null(st_sessions_find(t, id, now));
    }
    assert_null(st_sessions_find(t, id, ST_SESSION_MAX_S + 1));
    assert_st_ok(st_sessions_open(t, "Jan", 0, &s, &err), &err);
    snprintf(id, sizeof id, "%s", s->id);
    assert_null(st_sessions_find(t, id, ST_SESSION_IDLE_S + 1));
    st_sessions_free(t);
}

static void test_session_table_full_ends_the_least_recently_used(void **state)
{
    st_sessions *t = st_sessions_new();
    st_error err = {0};
    const st_session *s = NULL;
    static char ids[ST_SESSION_MAX][80];
    for (int i = 0; i < ST_SESSION_MAX; i++) {
        assert_st_ok(st_sessions_open(t, "Jan", i, &s, &err), &err);
        snprintf(ids[i], sizeof ids[i], "%s", s->id);
    }
    assert_non_null(st_sessions_find(t, ids[0], 100)); /* now the most recent */
    assert_st_ok(st_sessions_open(t, "Piet", 101, &s, &err), &err);
    assert_non_null(st_sessions_find(t, ids[0], 102));
    assert_null(st_sessions_find(t, ids[1], 102));
    assert_non_null(st_sessions_find(t, ids[2], 102));
    st_sessions_free(t);
}

static void test_session_five_failures_a_minute_refuse_that_address_only(void **state)
{
    st_sessions *t = st_sessions_new();
    for (int i = 0; i < ST_SESSION_FAILS; i++) {
        assert_true(st_sessions_may_try(t, "10.0.0.7", 10 + i));
        st_sessions_failed(t, "10.0.0.7", 10 + i);
    }
    assert_false(st_sessions_may_try(t, "10.0.0.7", 20));
    assert_true(st_sessions_may_try(t, "10.0.0.8", 20));
    assert_false(st_sessions_may_try(t, "10.0.0.7", 10 + ST_SESSION_WINDOW_S));
    assert_true(st_sessions_may_try(t, "10.0.0.7", 11 + ST_SESSION_WINDOW_S));
    st_sessions_free(t);
}

static void test_session_reads_form_fields_decoded_and_refuses_bad_ones(void **state)
{
    char v[16];
    const char *body = "member=A.+Jansen&password=p%40ss%26w%3D&as=candidate%3A3%3A1&x=";
    assert_int_equal(st_session_form_get(body, "member", v, sizeof v), 0);
    assert_string_equal(v, "A. Jansen");
    assert_int_equal(st_session_form_get(body, "password", v, sizeof v), 0);
    assert_string_equal(v, "p@ss&w=");
    assert_int_equal(st_session_form_get(body, "as", v, sizeof v), 0);
    assert_string_equal(v, "candidate:3:1");
    assert_int_equal(st_session_form_get(body, "x", v, sizeof v), 0);
    assert_string_equal(v, "");
    assert_int_equal(st_session_form_get(body, "mem", v, sizeof v), -1);
    assert_int_equal(st_session_form_get(body, "note", v, sizeof v), -1);
    assert_int_equal(st_session_form_get(NULL, "note", v, sizeof v), -1);
    assert_int_equal(st_session_form_get("a=%zz", "a", v, sizeof v), -1);
    assert_int_equal(st_session_form_get("a=%00", "a", v, sizeof v), -1);
    assert_int_equal(st_session_form_get("a=%4", "a", v, sizeof v), -1);
    assert_int_equal(st_session_form_get("a=0123456789abcdef", "a", v, sizeof v), -1);
}

static void test_session_password_lines_verify_only_their_password(void **state)
{
    char a[ST_PASSWORD_LINE], b[ST_PASSWORD_LINE];
    st_error err = {0};
    assert_st_ok(st_password_hash("korenbloem-42", a, sizeof a, &err), &err);
    assert_st_ok(st_password_hash("korenbloem-42", b, sizeof b, &err), &err);
    assert_string_not_equal(a, b); /* a fresh salt each time */
    assert_true(st_password_verify("korenbloem-42", a));
    assert_true(st_password_verify("korenbloem-42", b));
    assert_false(st_password_verify("korenbloem-43", a));
    assert_false(st_password_verify("", a));
    assert_false(st_password_verify("korenbloem-42", NULL));
    assert_false(st_password_verify("korenbloem-42", "pbkdf2-sha256$600000$00$00"));
    char cut[ST_PASSWORD_LINE];
    snprintf(cut, sizeof cut, "%.*s", (int)strlen(a) - 2, a);
    assert_false(st_password_verify("korenbloem-42", cut));
    assert_int_equal(st_password_hash("kort", a, sizeof a, &err), ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "8 to 256"));
    char big[300];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(st_password_hash(big, a, sizeof a, &err), ST_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_ids_are_random_and_found_only_whole),
        cmocka_unit_test(test_session_expires_when_idle_and_after_its_longest_life),
        cmocka_unit_test(test_session_table_full_ends_the_least_recently_used),
        cmocka_unit_test(test_session_five_failures_a_minute_refuse_that_address_only),
        cmocka_unit_test(test_session_reads_form_fields_decoded_and_refuses_bad_ones),
        cmocka_unit_test(test_session_password_lines_verify_only_their_password),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
