/* test_fuzz.c - every libFuzzer target over its committed corpus, then briefly
 *
 * `make test` builds the targets of tests/fuzz/ (build/fuzz/fuzz_NAME,
 * clang with ASan and UBSan) and this runs each one over its corpus
 * (tests/fuzz/corpus/NAME/, decode's tests/data/bad/), so an input that
 * once crashed a parser stays a test, and then fuzzes it for a few
 * seconds from a fixed seed ($STEMTEL_FUZZ_SECONDS, default 10) with new
 * inputs going to a temporary folder, never into the corpus. A crash
 * fails the test with libFuzzer's report; `make fuzz` is the long run.
 */
#include "helpers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Run target `name` with libFuzzer arguments args (the corpus follows);
 * fails the test with the end of its report unless it exits 0. */
static void run_target(const char *name, const char *args)
{
    const char *root = getenv("STEMTEL_ROOT");
    assert_non_null(root);
    char bin[4200], corpus[4200], cmd[16384], log[4300];
    snprintf(bin, sizeof bin, "%s/build/fuzz/fuzz_%s", root, name);
    if (access(bin, X_OK) != 0)
        fail_msg("%s is not built: `make test` (or `make fuzz-build`) builds it", bin);
    if (!strcmp(name, "decode"))
        snprintf(corpus, sizeof corpus, "%s/tests/data/bad", root);
    else
        snprintf(corpus, sizeof corpus, "%s/tests/fuzz/corpus/%s", root, name);
    char *tmp = th_tmpdir();
    snprintf(log, sizeof log, "%s/fuzz.log", tmp);
    snprintf(cmd, sizeof cmd,
             "cd '%s' && '%s' -timeout=10 -rss_limit_mb=1024 -artifact_prefix='%s/' %s '%s' "
             ">'%s' 2>&1",
             tmp, bin, tmp, args, corpus, log);
    int rc = system(cmd);
    if (rc != 0) {
        char *text = th_slurp(log, NULL);
        size_t n = text ? strlen(text) : 0;
        fail_msg("fuzz_%s %s: exit %d; its report ends:\n%s", name, args, rc,
                 text ? text + (n > 3000 ? n - 3000 : 0) : "(none)");
    }
    th_rmtree(tmp);
    free(tmp);
}

static void fuzz_one(const char *name)
{
    const char *s = getenv("STEMTEL_FUZZ_SECONDS");
    int secs = s && atoi(s) > 0 ? atoi(s) : 10;
    char args[256];
    run_target(name, "-runs=0");
    /* New inputs go to the first folder given: a fresh one. */
    char *fresh = th_tmpdir();
    snprintf(args, sizeof args, "-seed=1 -max_total_time=%d '%s'", secs, fresh);
    run_target(name, args);
    th_rmtree(fresh);
    free(fresh);
}

static void test_fuzz_decode_survives_its_corpus_and_a_short_run(void **state)
{
    fuzz_one("decode");
}

static void test_fuzz_model_survives_its_corpus_and_a_short_run(void **state)
{
    fuzz_one("model");
}

static void test_fuzz_eml_survives_its_corpus_and_a_short_run(void **state)
{
    fuzz_one("eml");
}

static void test_fuzz_csv_survives_its_corpus_and_a_short_run(void **state)
{
    fuzz_one("csv");
}

static void test_fuzz_manifest_survives_its_corpus_and_a_short_run(void **state)
{
    fuzz_one("manifest");
}

static void test_fuzz_sheet_survives_its_corpus_and_a_short_run(void **state)
{
    fuzz_one("sheet");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fuzz_decode_survives_its_corpus_and_a_short_run),
        cmocka_unit_test(test_fuzz_model_survives_its_corpus_and_a_short_run),
        cmocka_unit_test(test_fuzz_eml_survives_its_corpus_and_a_short_run),
        cmocka_unit_test(test_fuzz_csv_survives_its_corpus_and_a_short_run),
        cmocka_unit_test(test_fuzz_manifest_survives_its_corpus_and_a_short_run),
        cmocka_unit_test(test_fuzz_sheet_survives_its_corpus_and_a_short_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
