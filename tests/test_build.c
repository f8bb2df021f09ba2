/* test_build.c - the tree keeps its layers, and installs as a packager expects
 *
 * scripts/check-layers must pass on the tree and fail on an include that
 * goes up a layer; scripts/check-contracts likewise on a public function
 * without its contract comment; `make install DESTDIR=...` must install a binary that
 * runs, the man page (which must render and describe every command that
 * `stemtel --help` lists) and the example models.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helpers.h"

/* Run a shell command; its output into *out (malloc'd). Exit status. */
static int sh(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int sh(char **out, const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char *dir = th_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/out", dir);
    char full[12600];
    /* A nested make must not join the make that runs the tests. */
    snprintf(full, sizeof full,
             "unset MAKEFLAGS MFLAGS MAKELEVEL; ( %s ) > '%s' 2>&1", cmd, path);
    int rc = system(full);
    *out = th_slurp(path, NULL);
    th_rmtree(dir);
    free(dir);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_build_check_layers_passes_on_the_tree(void **state)
{
    (void)state;
    char *root = th_root(""), *out = NULL;
    int rc = sh(&out, "'%s/scripts/check-layers' '%s'", root, root);
    if (rc != 0)
        fail_msg("check-layers failed on the tree:\n%s", out ? out : "");
    free(out);
    free(root);
}

static void test_build_check_layers_fails_on_an_include_going_up(void **state)
{
    (void)state;
    char *root = th_root(""), *dir = th_tmpdir(), *out = NULL;
    int rc = sh(&out, "cd '%s' && cp -r src cli tools include scripts '%s'/", root, dir);
    assert_int_equal(rc, 0);
    free(out);
    /* The engine reaching up into the record: the store. */
    rc = sh(&out, "printf '#include \"stemtel/store.h\"\\n' >> '%s/src/engine/score.c' && "
                  "'%s/scripts/check-layers' '%s'", dir, root, dir);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "src/engine/score.c:"));
    assert_non_null(strstr(out, "\"stemtel/store.h\" of the record layer"));
    free(out);
    /* An internal header of a layer above, by its folder. */
    rc = sh(&out, "cd '%s' && "
                  "cp '%s/src/engine/score.c' src/engine/score.c && "
                  "printf '#include \"sources/filebytes.h\"\\n' >> src/model/render.c && "
                  "'%s/scripts/check-layers' '%s'", dir, root, root, dir);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "src/model/render.c:"));
    assert_null(strstr(out, "src/engine/score.c:"));
    free(out);
    th_rmtree(dir);
    free(dir);
    free(root);
}

static void test_build_check_contracts_fails_on_a_public_function_without_one(void **state)
{
    (void)state;
    char *root = th_root(""), *dir = th_tmpdir(), *out = NULL;
    int rc = sh(&out, "'%s/scripts/check-contracts' '%s'", root, root);
    if (rc != 0)
        fail_msg("check-contracts failed on the tree:\n%s", out ? out : "");
    free(out);
    rc = sh(&out, "mkdir -p '%s/include/stemtel' && cp '%s'/include/stemtel/*.h '%s/include/stemtel/' && "
                  "printf '\nint st_model_frobnicate(int x);\n' >> '%s/include/stemtel/model.h' && "
                  "'%s/scripts/check-contracts' '%s'", dir, root, dir, dir, root, dir);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "model.h:"));
    assert_non_null(strstr(out, "st_model_frobnicate"));
    free(out);
    th_rmtree(dir);
    free(dir);
    free(root);
}

static void test_build_man_page_renders_and_names_every_command(void **state)
{
    (void)state;
    char *root = th_root(""), *out = NULL, *help = NULL;
    int rc = sh(&out, "MANWIDTH=100 man --warnings -l '%s/doc/stemtel.1' 2>&1 | col -b", root);
    assert_int_equal(rc, 0);
    assert_null(strstr(out, "warning"));
    rc = th_run(&help, "--help");
    assert_int_equal(rc, 0);
    /* Every "  NAME ..." line under "commands:" of --help: its first two
     * words (or one, before an option) are in the page. */
    const char *p = strstr(help, "commands:\n");
    assert_non_null(p);
    int named = 0;
    for (p = strchr(p, '\n') + 1; *p == ' '; p = strchr(p, '\n') + 1) {
        if (p[2] == ' ')
            continue; /* a description's line */
        char w1[64] = "", w2[64] = "", want[140];
        sscanf(p, "%63s %63s", w1, w2);
        if (w2[0] == '-' || w2[0] == '[' || w2[0] == '.' || (w2[0] >= 'A' && w2[0] <= 'Z'))
            snprintf(want, sizeof want, "%s ", w1);
        else
            snprintf(want, sizeof want, "%s %s", w1, w2);
        if (!strstr(out, want))
            fail_msg("the man page does not describe \"%s\" of stemtel --help", want);
        named++;
    }
    assert_true(named >= 14);
    free(help);
    free(out);
    free(root);
}

static void test_build_make_install_puts_a_working_binary_under_destdir(void **state)
{
    (void)state;
    char *root = th_root(""), *dir = th_tmpdir(), *out = NULL;
    const char *bin = getenv("STEMTEL_BIN");
    assert_non_null(bin);
    char bdir[4096];
    snprintf(bdir, sizeof bdir, "%s", bin);
    *strrchr(bdir, '/') = 0;
    int rc = sh(&out, "make --no-print-directory -C '%s' install B='%s' DESTDIR='%s' PREFIX=/usr",
                root, bdir, dir);
    if (rc != 0)
        fail_msg("make install failed:\n%s", out ? out : "");
    free(out);
    rc = sh(&out, "'%s/usr/bin/stemtel' --version", dir);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "stemtel 0.1.0"));
    free(out);
    rc = sh(&out, "'%s/usr/bin/stemtel' model check '%s/usr/share/stemtel/models/"
                  "gr2022-west-maas-en-waal.json'", dir, dir);
    if (rc != 0)
        fail_msg("the installed model does not check:\n%s", out ? out : "");
    free(out);
    rc = sh(&out, "man -l '%s/usr/share/man/man1/stemtel.1' | col -b | head -3", dir);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "STEMTEL(1)"));
    free(out);
    th_rmtree(dir);
    free(dir);
    free(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_check_layers_passes_on_the_tree),
        cmocka_unit_test(test_build_check_layers_fails_on_an_include_going_up),
        cmocka_unit_test(test_build_check_contracts_fails_on_a_public_function_without_one),
        cmocka_unit_test(test_build_man_page_renders_and_names_every_command),
        cmocka_unit_test(test_build_make_install_puts_a_working_binary_under_destdir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
