/* test_hangs.c - a FIFO where a file should be never stops stemtel
 *
 * Opening a FIFO for reading waits for a writer, for ever if none comes:
 * an operator's mistake or a hostile archive could stop an audit or a
 * replay that way. Every command here runs under timeout(1), so a hang
 * fails the test instead of blocking it.
 */
#include "helpers.h"
#include "run_ok.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define MODEL "models/gr2022-west-maas-en-waal.json"

/* Seconds a command may take before it counts as hung. */
#define HANG_S 30

/* Run `stemtel ARGS` under timeout(1): its exit status, its output
 * (stdout and stderr) in *out (malloc'd). */
static int run_bounded(char **out, const char *args)
{
    const char *bin = getenv("STEMTEL_BIN");
    if (!bin || !*bin)
        fail_msg("$STEMTEL_BIN is not set: run the tests through `make test`");
    char cmd[9500];
    snprintf(cmd, sizeof cmd, "timeout %d '%s' %s 2>&1", HANG_S, bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, got;
    char *buf = malloc(cap);
    assert_non_null(buf);
    while (len < cap - 1 && (got = fread(buf + len, 1, cap - 1 - len, p)) > 0)
        len += got;
    buf[len] = '\0';
    int st = pclose(p);
    assert_true(st != -1 && WIFEXITED(st));
    if (WEXITSTATUS(st) == 124)
        fail_msg("hung (killed after %d s): stemtel %s", HANG_S, args);
    *out = buf;
    return WEXITSTATUS(st);
}

/* A stored scan replaced by a FIFO: verify reports it missing, naming
 * the file, and checks the rest. */
static void test_verify_reports_a_fifo_in_place_of_a_scan_without_waiting(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL;
    char args[9000];
    RUN_OK("synth '%s' --out '%s/in' --count 3 --seed 9 --dpi 150 --format grey-jpeg", model,
           dir);
    RUN_OK("count --model '%s' --station 0668::SB4 --out '%s/out' --store '%s/v.db' '%s/in'",
           model, dir, dir, dir);
    snprintf(args, sizeof args, "rm '%s/in/ballot-000002.tif' && mkfifo '%s/in/ballot-000002.tif'",
             dir, dir);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "verify --store '%s/v.db' --threads 2", dir);
    assert_int_equal(run_bounded(&out, args), 3);
    assert_non_null(strstr(out, "ballot-000002.tif page 0): file missing: not a regular file "
                                "(a pipe)"));
    assert_non_null(strstr(out, "verified 3 ballots: 1 file missing, 0 files changed"));
    free(out);
    free(model);
    th_rmtree(dir);
    free(dir);
}

/* A replay whose manifest lists a FIFO, and a manifest that is one: both
 * refused, naming the file, nothing counted. */
static void test_replay_refuses_a_fifo_as_manifest_or_listed_file_without_waiting(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(MODEL), *out = NULL;
    char args[9000];
    RUN_OK("synth '%s' --out '%s/in' --count 2 --seed 9 --dpi 150 --format grey-jpeg", model,
           dir);
    /* The manifest gives the real file's hash for the FIFO that replaced it. */
    snprintf(args, sizeof args,
             "cd '%s' && s1=$(sha256sum in/ballot-000001.tif | cut -d' ' -f1) && "
             "s2=$(sha256sum in/ballot-000002.tif | cut -d' ' -f1) && "
             "printf '# stemtel-manifest/1\\norder\\tfile\\tsha256\\tstation\\tbatch\\n"
             "1\\tin/ballot-000001.tif\\t%%s\\t0668::SB4\\t1\\n"
             "2\\tin/ballot-000002.tif\\t%%s\\t0668::SB4\\t1\\n' $s1 $s2 > m.tsv && "
             "rm in/ballot-000002.tif && mkfifo in/ballot-000002.tif fifo.tsv",
             dir);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "scan --model '%s' --source 'replay:%s/m.tsv' --out '%s/r1'",
             model, dir, dir);
    assert_int_equal(run_bounded(&out, args), 1);
    assert_non_null(strstr(out, "in/ballot-000002.tif: not a regular file"));
    assert_non_null(strstr(out, "nothing counted"));
    free(out);
    snprintf(args, sizeof args, "scan --model '%s' --source 'replay:%s/fifo.tsv' --out '%s/r2'",
             model, dir, dir);
    assert_int_equal(run_bounded(&out, args), 1);
    assert_non_null(strstr(out, "fifo.tsv: cannot open manifest: not a regular file"));
    free(out);
    free(model);
    th_rmtree(dir);
    free(dir);
}

/* A FIFO given as the model: refused at once, by count and model check. */
static void test_a_fifo_as_the_model_is_refused_without_waiting(void **state)
{
    char *dir = th_tmpdir(), *out = NULL;
    char args[9000];
    snprintf(args, sizeof args, "mkfifo '%s/model.json' && mkdir '%s/in'", dir, dir);
    assert_int_equal(system(args), 0);
    snprintf(args, sizeof args, "count --model '%s/model.json' --out '%s/out' '%s/in'", dir,
             dir, dir);
    assert_int_equal(run_bounded(&out, args), 1);
    assert_non_null(strstr(out, "model.json: not a regular file"));
    free(out);
    snprintf(args, sizeof args, "model check '%s/model.json'", dir);
    assert_int_not_equal(run_bounded(&out, args), 0);
    assert_non_null(strstr(out, "model.json: not a regular file"));
    free(out);
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_reports_a_fifo_in_place_of_a_scan_without_waiting),
        cmocka_unit_test(test_replay_refuses_a_fifo_as_manifest_or_listed_file_without_waiting),
        cmocka_unit_test(test_a_fifo_as_the_model_is_refused_without_waiting),
    };
    return cmocka_run_group_tests_name("hangs", tests, NULL, NULL);
}
