/* test_verify.c - an auditor's replay finds what was altered
 *
 * A stack synth draws is counted into a store and a review decided; then
 * a scan is swapped for another, one is deleted, and a stored result is
 * edited behind the software's back. verify must name each, ballot by
 * ballot, and nothing else.
 */
#include "helpers.h"
#include "run_ok.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL "models/gr2022-west-maas-en-waal.json"

static void sql(const char *store, const char *stmt)
{
    sqlite3 *db = NULL;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(store, &db), SQLITE_OK);
    if (sqlite3_exec(db, stmt, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", stmt, msg);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_close(db);
}

static void test_verify_finds_a_swapped_image_a_lost_file_and_an_edited_result(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL, *out1 = NULL;
    char store[4200], cmd[9000];
    snprintf(store, sizeof store, "%s/v.db", dir);
    RUN_OK("synth '%s' --out '%s/in' --count 30 --seed 9 --dpi 150 --format grey-jpeg", model, dir);
    RUN_OK("count --model '%s' --station 0668::SB4 --out '%s/out' --store '%s' '%s/in'", model,
           dir, store, dir);
    /* Ballot 6 waits for review (seed 9); a person decides it. */
    RUN_OK("members add X --role lid --store '%s'", store);
    RUN_OK("review decide 6 --store '%s' --as blank --by X", store);
    /* Untouched: nothing to report, with any number of threads. */
    assert_int_equal(th_run(&out1, "verify --store '%s' --threads 1", store), 0);
    assert_non_null(strstr(out1, "verified 30 ballots: 0 files missing, 0 files changed, "
                                 "0 results changed; the tally with the decisions applied is "
                                 "the same"));
    assert_int_equal(th_run(&out, "verify --store '%s' --threads 2", store), 0);
    assert_string_equal(out, out1);
    free(out);
    free(out1);
    /* Swap ballot 3's scan for ballot 4's, and lose ballot 9's. */
    snprintf(cmd, sizeof cmd, "cp '%s/in/ballot-000004.tif' '%s/in/ballot-000003.tif' && "
                              "rm '%s/in/ballot-000009.tif'", dir, dir, dir);
    assert_int_equal(system(cmd), 0);
    /* And store ballot 12 as a vote for candidate 2 of list 1. */
    sql(store, "UPDATE ballots SET outcome='vote', list=1, candidate=2, party_only=0, reasons='',"
               " proposal='vote', proposal_list=1, proposal_candidate=2 WHERE page=12");
    assert_int_equal(th_run(&out, "verify --store '%s'", store), 3);
    assert_non_null(strstr(out, "ballot 3 ("));
    assert_non_null(strstr(out, "ballot-000003.tif page 0): file changed: sha256 was "));
    assert_non_null(strstr(out, "ballot-000009.tif page 0): file missing: No such file"));
    assert_non_null(strstr(out, "ballot 12 ("));
    assert_non_null(strstr(out, "result changed: stored candidate:1:2, reads as "));
    assert_non_null(strstr(out, "1 file missing, 1 file changed, 1 result changed; the tally "
                                "with the decisions applied is DIFFERENT"));
    /* Exactly those three lines and the summary. */
    int lines = 0;
    for (const char *p = out; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 4);
    free(out);
    /* A record edited without its outcome is found too. */
    sql(store, "UPDATE ballots SET record=replace(record, '\"score\":0,', '\"score\":0.5,') "
               "WHERE page=13");
    assert_int_equal(th_run(&out, "verify --store '%s'", store), 3);
    assert_non_null(strstr(out, "ballot 13 ("));
    assert_non_null(strstr(out, "the stored record (scores, boxes) differs from the replay"));
    assert_non_null(strstr(out, "2 results changed"));
    free(out);
    free(model);
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_finds_a_swapped_image_a_lost_file_and_an_edited_result),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
