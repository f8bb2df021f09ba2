/* scan_fixture.h - what the scanner-module tests share
 *
 * Header-only (the Makefile links one helper object into every test):
 * draw real ballots with `stemtel synth` for the tests to feed, a clock
 * and a sleep, and start the command in the background and wait for it
 * under a watchdog. Include after helpers.h.
 */
#ifndef STEMTEL_TEST_SCAN_FIXTURE_H
#define STEMTEL_TEST_SCAN_FIXTURE_H

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sources/filebytes.h"
#include "util/clock.h"

#define SCAN_MODEL "models/gr2022-west-maas-en-waal.json"

/* How long a command started in the background may take. */
#define SCAN_WATCHDOG_S 180

/* Draw ballots of the GR2022 model into out_dir with synth's args
 * ("--count 4 --seed 1 ..."); fails the test if synth does. */
static inline void scan_synth(const char *out_dir, const char *args)
{
    char *model = th_root(SCAN_MODEL), *out = NULL;
    int rc = th_run(&out, "synth '%s' --out '%s' %s", model, out_dir, args);
    if (rc != 0)
        fail_msg("synth failed (%d): %s", rc, out);
    free(out);
    free(model);
}

/* Draw n ballots (200 dpi grey JPEG, one a file) with seed into
 * dir/sub; path[i] and sha[i] get file i's path and SHA-256. */
static inline void scan_synth_files(const char *dir, const char *sub, int n, int seed,
                                    char (*path)[4200], char (*sha)[ST_SHA256_HEX_LEN])
{
    char out[4300], args[128];
    st_error err = {0};
    snprintf(out, sizeof out, "%s/%s", dir, sub);
    snprintf(args, sizeof args, "--count %d --seed %d --dpi 200 --format grey-jpeg", n, seed);
    scan_synth(out, args);
    for (int i = 0; i < n; i++) {
        size_t len;
        snprintf(path[i], 4200, "%s/ballot-%06d.tif", out, i + 1);
        assert_st_ok(st_file_bytes(path[i], NULL, &len, sha[i], NULL, &err), &err);
    }
}

/* Seconds on the monotonic clock (the library's clock). */
static inline double scan_now(void)
{
    return st_clock_now();
}

static inline void scan_sleep_ms(int ms)
{
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

/* Start `stemtel ARGS` in the background, stdout and stderr to log. */
static inline pid_t scan_spawn(const char *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline pid_t scan_spawn(const char *log, const char *fmt, ...)
{
    const char *bin = getenv("STEMTEL_BIN");
    char args[16384], cmd[17000];
    va_list ap;
    assert_non_null(bin);
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "exec '%s' %s >'%s' 2>&1", bin, args, log);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

/* Wait for pid to end; its wait status. A process still running after
 * SCAN_WATCHDOG_S is killed and the test fails. */
static inline int scan_wait(pid_t pid)
{
    double end = scan_now() + SCAN_WATCHDOG_S;
    int status = 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (scan_now() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            fail_msg("stemtel did not finish within %d s", SCAN_WATCHDOG_S);
        }
        scan_sleep_ms(20);
    }
    return status;
}

/* Wait for pid to exit; its exit status. Fails the test when it died. */
static inline int scan_reap(pid_t pid)
{
    int status = scan_wait(pid);
    if (!WIFEXITED(status))
        fail_msg("stemtel died (status %d)", status);
    return WEXITSTATUS(status);
}

#endif
