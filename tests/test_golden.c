/* test_golden.c - what stemtel writes has not changed, byte for byte
 *
 * tests/golden/make-outputs draws and counts a fixed set of batches and
 * prints the SHA-256 of every output (ballots.jsonl, tally, sheets,
 * manifests, EML export, reconcile, synth pages and truth, models).
 * tests/golden/SHA256SUMS holds what the code wrote before the tree was
 * reorganised into layers; a change meant to keep behaviour must keep
 * every line. A change that is meant to alter output rewrites the file
 * (tests/golden/make-outputs BIN DATA DIR > tests/golden/SHA256SUMS) and
 * says why in its commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"

static void test_golden_outputs_equal_the_recorded_sums(void **state)
{
    (void)state;
    char *script = th_root("tests/golden/make-outputs");
    char *want_path = th_root("tests/golden/SHA256SUMS");
    char *data = th_data("");
    char *dir = th_tmpdir();
    const char *bin = getenv("STEMTEL_BIN");
    assert_non_null(bin);
    char cmd[4096], got_path[1024];
    snprintf(got_path, sizeof got_path, "%s.sums", dir);
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s/out' > '%s'", script, bin, data, dir,
             got_path);
    int rc = system(cmd);
    assert_int_equal(rc, 0);
    char *want = th_slurp(want_path, NULL);
    char *got = th_slurp(got_path, NULL);
    assert_non_null(want);
    assert_non_null(got);
    if (strcmp(want, got)) {
        snprintf(cmd, sizeof cmd, "diff '%s' '%s' | head -40", want_path, got_path);
        if (system(cmd) < 0)
            perror("diff");
        fail_msg("outputs differ from tests/golden/SHA256SUMS (lines above)");
    }
    /* Far more than a handful of files are compared. */
    int lines = 0;
    for (const char *p = got; *p; p++)
        lines += *p == '\n';
    assert_true(lines > 500);
    free(want);
    free(got);
    th_rmtree(dir);
    remove(got_path);
    free(dir);
    free(data);
    free(want_path);
    free(script);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_outputs_equal_the_recorded_sums),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
