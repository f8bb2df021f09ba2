/* test_store.c - the store: every page once, whatever happens to the counter
 *
 * The tests draw real ballots with synth, count them with the real command
 * into a store and read the store back through its own API: the kill test
 * SIGKILLs `stemtel count --store` at seeded random moments and restarts
 * it until it finishes, then demands the store hold exactly the records
 * and the tally of one clean, uninterrupted count. Other tests hand the
 * command another application's SQLite file (it must stay byte for byte
 * as it was), a store on a read-only file in a read-only folder (as
 * nobody, when the tests run as root, who could write anyway) and a store
 * on a full disk (a tmpfs in a mount namespace of its own, only as root).
 */
#include "helpers.h"

#include "sources/filebytes.h"
#include "stemtel/store.h"

#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MODEL "models/gr2022-west-maas-en-waal.json"

/* A stack drawn once for every test of this file. */
static char *g_dir;

static int setup_stack(void **state)
{
    char *model = th_root(MODEL), *out = NULL;
    g_dir = th_tmpdir();
    int rc = th_run(&out, "synth '%s' --out '%s/in' --count 160 --seed 61 --dpi 150 "
                          "--format g4 --pages-per-file 4", model, g_dir);
    if (rc != 0) {
        fprintf(stderr, "synth failed (%d): %s\n", rc, out);
        free(out);
        free(model);
        return -1;
    }
    free(out);
    /* The reference: one clean count without a store. */
    rc = th_run(&out, "count --model '%s' --station 0668::SB1 --out '%s/clean' '%s/in'",
                model, g_dir, g_dir);
    free(model);
    if (rc != 0) {
        fprintf(stderr, "count failed (%d): %s\n", rc, out);
        free(out);
        return -1;
    }
    free(out);
    return 0;
}

static int teardown_stack(void **state)
{
    th_rmtree(g_dir);
    free(g_dir);
    return 0;
}

static int collect_record(void *ctx, st_store_ballot *b)
{
    FILE *f = ctx;
    fprintf(f, "%s\n", b->record);
    return 0;
}

/* Every stored record, in store order, one per line (malloc'd). */
static char *stored_records(const char *store)
{
    st_error err = {0};
    st_store *s = NULL;
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_st_ok(st_store_each(s, ST_STORE_ALL, collect_record, f, &err), &err);
    fclose(f);
    st_store_close(s);
    return buf;
}

/* Pages in the store, 0 when the killed process left no usable store. */
static int64_t stored_pages(const char *store)
{
    st_error err = {0};
    st_store *s = NULL;
    st_store_counts c = {0};
    if (access(store, F_OK) != 0 || st_store_open(store, NULL, &s, &err))
        return 0;
    assert_st_ok(st_store_counts_get(s, NULL, &c, &err), &err);
    st_store_close(s);
    return c.pages;
}

/* Count `files` (shell words) for station into store; fails the test on
 * a non-zero exit. Returns the command's output (malloc'd). */
static char *store_count(const char *station, const char *store, const char *files)
{
    char *model = th_root(MODEL), *out = NULL;
    int rc = th_run(&out, "count --model '%s' --station %s --out '%s/out' --store '%s' %s",
                    model, station, g_dir, store, files);
    free(model);
    if (rc != 0)
        fail_msg("count failed (%d): %s", rc, out);
    return out;
}

static double timed_count(const char *model, const char *in)
{
    struct timespec t0, t1;
    char *out = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(th_run(&out, "count --model '%s' --out '%s/timing' '%s'", model, g_dir, in),
                     0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(out);
    return (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
}

static void test_store_survives_20_kills_and_holds_every_ballot_once(void **state)
{
    const char *bin = getenv("STEMTEL_BIN");
    assert_non_null(bin);
    char *model = th_root(MODEL), store[4200], in[4200], outdir[4200], path[4200];
    snprintf(store, sizeof store, "%s/kill.db", g_dir);
    snprintf(in, sizeof in, "%s/in", g_dir);
    snprintf(outdir, sizeof outdir, "%s/killed", g_dir);
    /* How long one whole count and a count of one file take here, so the
     * kills fall between start-up and the last page. */
    char *out = NULL;
    double full = timed_count(model, in), start = 0;
    snprintf(path, sizeof path, "%s/stack-0001.tif", in);
    start = timed_count(model, path); /* reported only */
    unsigned seed = 6;
    int kills = 0, partial = 0, runs = 0;
    int64_t before = 0;
    for (;; runs++) {
        assert_true(runs < 80);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            dup2(null, 2);
            execl(bin, bin, "count", "--model", model, "--station", "0668::SB1", "--out",
                  outdir, "--store", store, in, (char *)NULL);
            _exit(127);
        }
        int st;
        if (kills < 20) {
            /* Two kinds of moment, drawn at random: during start-up and
             * the first pages (before anything is committed), or once the
             * run has committed a random 1..8 pages more (a window is 8)
             * plus a few milliseconds, so the kill falls anywhere in the
             * commit cycle. Watching the store rather than the clock keeps
             * this true on a machine of any speed or load. A restart skips
             * what is stored, so a full store only leaves start-up to
             * kill; a run that finishes before its kill does not count. */
            int early = before >= 160 || rand_r(&seed) % 3 == 0;
            int64_t target = before + 1 + rand_r(&seed) % 8;
            struct timespec t0, t;
            clock_gettime(CLOCK_MONOTONIC, &t0);
            int exited = 0;
            if (early)
                usleep((useconds_t)(rand_r(&seed) / (double)RAND_MAX * 0.5 * start * 1e6));
            for (; !early;) {
                usleep(3000);
                if (waitpid(pid, &st, WNOHANG) == pid) {
                    exited = 1;
                    break;
                }
                clock_gettime(CLOCK_MONOTONIC, &t);
                double el = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
                if (stored_pages(store) >= target || el > 20 * full + 5)
                    break;
            }
            if (!exited) {
                if (!early)
                    usleep((useconds_t)(rand_r(&seed) % 5000));
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
            }
            if (WIFSIGNALED(st))
                kills++;
            int64_t now = stored_pages(store);
            /* What was committed stays committed. */
            assert_true(now >= before);
            if (now > 0 && now < 160)
                partial++;
            before = now;
            continue;
        }
        waitpid(pid, &st, 0);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
        break;
    }
    print_message("    %d kills in %d runs (%d left a partly filled store), one count %.1f s, "
                  "start-up %.1f s\n", kills, runs, partial, full, start);
    assert_int_equal(kills, 20);
    assert_true(partial >= 3); /* the kills did fall while pages were being committed */
    assert_int_equal(stored_pages(store), 160);
    /* Exactly the records of the clean count, in input order. */
    snprintf(path, sizeof path, "%s/clean/ballots.jsonl", g_dir);
    char *want = th_slurp(path, NULL), *got = stored_records(store);
    assert_non_null(want);
    assert_string_equal(got, want);
    free(got);
    free(want);
    /* And the same tally. */
    assert_int_equal(th_run(&out, "tally --store '%s' --out '%s/tally'", store, g_dir), 0);
    free(out);
    snprintf(path, sizeof path, "%s/clean/tally.csv", g_dir);
    want = th_slurp(path, NULL);
    snprintf(path, sizeof path, "%s/tally/tally.csv", g_dir);
    got = th_slurp(path, NULL);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
    free(want);
    free(model);
}

static void test_store_does_not_take_a_copied_file_again(void **state)
{
    char *out = NULL, store[4200], files[9000];
    snprintf(store, sizeof store, "%s/copy.db", g_dir);
    snprintf(files, sizeof files, "'%s/in/stack-0001.tif'", g_dir);
    out = store_count("0668::SB2", store, files);
    assert_non_null(strstr(out, "4 pages added, 0 already there (skipped)"));
    free(out);
    /* The same bytes under another name are the same pages. */
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "cp '%s/in/stack-0001.tif' '%s/again.tif'", g_dir, g_dir);
    assert_int_equal(system(cmd), 0);
    snprintf(files, sizeof files, "'%s/again.tif' '%s/in/stack-0002.tif'", g_dir, g_dir);
    out = store_count("0668::SB2", store, files);
    assert_non_null(strstr(out, "4 pages added, 4 already there (skipped)"));
    free(out);
    assert_int_equal(stored_pages(store), 8);
}

/* A file and its copy in one run, within one window of pages (4 pages
 * each; the window holds 4 per thread): the copy is skipped before it is
 * read, so ballots.jsonl and the store agree. */
static void test_store_takes_the_same_bytes_once_within_a_run(void **state)
{
    char *out = NULL, store[4200], files[9000], cmd[9000], path[4300];
    snprintf(store, sizeof store, "%s/twice.db", g_dir);
    snprintf(cmd, sizeof cmd, "cp '%s/in/stack-0003.tif' '%s/twin.tif'", g_dir, g_dir);
    assert_int_equal(system(cmd), 0);
    snprintf(files, sizeof files, "'%s/in/stack-0003.tif' '%s/twin.tif'", g_dir, g_dir);
    out = store_count("0668::SB2", store, files);
    assert_non_null(strstr(out, "4 pages added, 4 already there (skipped)"));
    free(out);
    assert_int_equal(stored_pages(store), 4);
    snprintf(path, sizeof path, "%s/out/ballots.jsonl", g_dir);
    char *text = th_slurp(path, NULL);
    int lines = 0;
    for (const char *p = text; p && *p; p++)
        lines += *p == '\n';
    free(text);
    assert_int_equal(lines, 4);
}

static void test_store_keeps_two_empty_files_apart(void **state)
{
    char store[4200], files[9000], a[4200], b[4200];
    snprintf(store, sizeof store, "%s/empty.db", g_dir);
    snprintf(a, sizeof a, "%s/empty-a.tif", g_dir);
    snprintf(b, sizeof b, "%s/empty-b.tif", g_dir);
    th_write(a, "");
    th_write(b, "");
    /* Both hash to the SHA-256 of nothing, yet are two rejected pages. */
    snprintf(files, sizeof files, "'%s' '%s'", a, b);
    char *out = store_count("0668::SB5", store, files);
    assert_non_null(strstr(out, "2 pages added, 0 already there"));
    free(out);
    out = store_count("0668::SB5", store, files);
    assert_non_null(strstr(out, "0 pages added, 2 already there"));
    free(out);
    assert_int_equal(stored_pages(store), 2);
}

/* st_store_holds answers for one page or any page of a file, empty files
 * by their path, and claims nothing: st_store_seen still finds a page it
 * was asked about not stored. */
static void test_store_holds_says_which_pages_it_has_and_claims_none(void **state)
{
    char store[4200], files[9000], path[4200], empty[4200], sha[ST_SHA256_HEX_LEN];
    char other[ST_SHA256_HEX_LEN];
    st_error err = {0};
    size_t len;
    snprintf(store, sizeof store, "%s/holds.db", g_dir);
    snprintf(path, sizeof path, "%s/in/stack-0003.tif", g_dir);
    snprintf(empty, sizeof empty, "%s/empty-c.tif", g_dir);
    th_write(empty, "");
    snprintf(files, sizeof files, "'%s' '%s'", path, empty);
    free(store_count("0668::SB6", store, files));
    assert_st_ok(st_file_bytes(path, NULL, &len, sha, NULL, &err), &err);
    snprintf(files, sizeof files, "%s/in/stack-0004.tif", g_dir);
    assert_st_ok(st_file_bytes(files, NULL, &len, other, NULL, &err), &err);
    st_store *s = NULL;
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    for (int p = 0; p < 4; p++)
        assert_int_equal(st_store_holds(s, path, sha, p, &err), 1);
    assert_int_equal(st_store_holds(s, path, sha, 4, &err), 0);
    assert_int_equal(st_store_holds(s, path, sha, -1, &err), 1);
    assert_int_equal(st_store_holds(s, files, other, -1, &err), 0);
    assert_int_equal(st_store_holds(s, files, other, 0, &err), 0);
    assert_int_equal(st_store_seen(s, files, other, 0), 0);
    assert_int_equal(st_store_holds(s, empty, "", 0, &err), 1);
    st_store_close(s);
}

static void test_store_refuses_another_model_and_a_file_that_is_no_store(void **state)
{
    char *model = th_root(MODEL), *other = th_root("models/test-small.json"), *out = NULL;
    char store[4200], junk[4200];
    snprintf(store, sizeof store, "%s/model.db", g_dir);
    assert_int_equal(th_run(&out, "count --model '%s' --out '%s/m1' --store '%s' "
                                  "'%s/in/stack-0001.tif'",
                            model, g_dir, store, g_dir),
                     0);
    free(out);
    assert_int_equal(th_run(&out, "count --model '%s' --out '%s/m2' --store '%s' "
                                  "'%s/in/stack-0001.tif'",
                            other, g_dir, store, g_dir),
                     1);
    assert_non_null(strstr(out, "another ballot model"));
    assert_non_null(strstr(out, store));
    free(out);
    snprintf(junk, sizeof junk, "%s/junk.db", g_dir);
    th_write(junk, "this is not a database, just text long enough to look like one......"
                   "................................................................");
    assert_int_equal(th_run(&out, "tally --store '%s' --out '%s/t'", junk, g_dir), 1);
    assert_non_null(strstr(out, "not a stemtel store"));
    assert_non_null(strstr(out, junk));
    free(out);
    assert_int_equal(th_run(&out, "tally --store '%s/missing.db'", g_dir), 1);
    assert_non_null(strstr(out, "no such store"));
    free(out);
    /* A new store in a folder that is not there: said so, not SQLite's
     * "unable to open database file". */
    assert_int_equal(th_run(&out, "count --model '%s' --out '%s/m3' --store '%s/nodir/s.db' "
                                  "'%s/in/stack-0001.tif'", model, g_dir, g_dir, g_dir),
                     1);
    char want[4300];
    snprintf(want, sizeof want, "the folder %s/nodir does not exist", g_dir);
    if (!strstr(out, want))
        fail_msg("want \"%s\":\n%s", want, out);
    free(out);
    free(model);
    free(other);
}

static void test_store_counts_stations_apart(void **state)
{
    char store[4200], files[9000];
    snprintf(store, sizeof store, "%s/stations.db", g_dir);
    snprintf(files, sizeof files, "'%s/in/stack-0001.tif'", g_dir);
    free(store_count("0668::SB10", store, files));
    snprintf(files, sizeof files, "'%s/in/stack-0002.tif' '%s/in/stack-0003.tif'", g_dir, g_dir);
    free(store_count("0668::SB2", store, files));
    st_error err = {0};
    st_store *s = NULL;
    char **st = NULL;
    int n = 0;
    assert_st_ok(st_store_open(store, NULL, &s, &err), &err);
    assert_st_ok(st_store_stations(s, &st, &n, &err), &err);
    assert_int_equal(n, 2);
    assert_string_equal(st[0], "0668::SB2"); /* numbers in numeric order */
    assert_string_equal(st[1], "0668::SB10");
    st_store_counts c;
    assert_st_ok(st_store_counts_get(s, "0668::SB2", &c, &err), &err);
    assert_int_equal(c.pages, 8);
    assert_st_ok(st_store_counts_get(s, NULL, &c, &err), &err);
    assert_int_equal(c.pages, 12);
    st_tally *t = NULL;
    st_tally_totals x;
    assert_st_ok(st_store_tally(s, "0668::SB10", &t, &err), &err);
    st_tally_get_totals(t, &x);
    assert_int_equal(x.H + x.review + x.rejected, 4);
    st_tally_free(t);
    st_store_strings_free(st, n);
    st_store_close(s);
}

/* The whole file at path (malloc'd) and its size; fails the test when unreadable. */
static char *file_bytes(const char *path, size_t *len)
{
    char *b = th_slurp(path, len);
    assert_non_null(b);
    return b;
}

/* 1 when path-wal or path-shm exists. */
static int has_wal_files(const char *path)
{
    char p[4300];
    snprintf(p, sizeof p, "%s-wal", path);
    int wal = access(p, F_OK) == 0;
    snprintf(p, sizeof p, "%s-shm", path);
    return wal || access(p, F_OK) == 0;
}

/* The real $STEMTEL_BIN while a test runs it through a wrapper. */
static char *g_real_bin;

/* Make $STEMTEL_BIN a script in g_dir that runs the real one behind
 * `prefix` (shell words; the script's own arguments follow the command),
 * until the test's teardown (unwrap_bin). */
static void wrap_bin(const char *name, const char *prefix)
{
    char path[4200], text[9000];
    g_real_bin = strdup(getenv("STEMTEL_BIN"));
    snprintf(path, sizeof path, "%s/%s", g_dir, name);
    snprintf(text, sizeof text, "#!/bin/sh\n%s '%s' \"$@\"\n", prefix, g_real_bin);
    th_write(path, text);
    assert_int_equal(chmod(path, 0755), 0);
    setenv("STEMTEL_BIN", path, 1);
}

/* Teardown: the real command again, whether the test passed or not. */
static int unwrap_bin(void **state)
{
    if (g_real_bin)
        setenv("STEMTEL_BIN", g_real_bin, 1);
    free(g_real_bin);
    g_real_bin = NULL;
    return 0;
}

/* Root writes to a 0444 file in a 0555 folder anyway: when the tests run
 * as root, the command runs as nobody (until the test's teardown). */
static void as_nobody_when_root(void)
{
    if (geteuid() != 0)
        return;
    assert_int_equal(chmod(g_dir, 0755), 0);
    wrap_bin("as-nobody", "exec setpriv --reuid=65534 --regid=65534 --clear-groups");
}

/* Open the SQLite file at path as any other program would and run sql;
 * the connection stays open for the caller (sqlite3_close). */
static sqlite3 *sql_run(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        fail_msg("%s: %s: %s", path, sql, sqlite3_errmsg(db));
    return db;
}

static void test_store_leaves_another_applications_database_as_it_was(void **state)
{
    char *model = th_root(MODEL), *out = NULL, other[4200], csv[4200];
    snprintf(other, sizeof other, "%s/other-app.db", g_dir);
    sqlite3_close(sql_run(other, "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT);"
                                 "INSERT INTO notes(text) VALUES('keep me')"));
    size_t n0, n1;
    char *before = file_bytes(other, &n0);
    snprintf(csv, sizeof csv, "%s/samples/gr2022-sb3/basistelling.csv", getenv("STEMTEL_ROOT"));
    const char *cmds[] = {"count --model '%s' --out '%s/o' --store '%s' '%s/in/stack-0001.tif'",
                          "review list --store '%3$s'", "review show 1 --store '%3$s'",
                          "tally --store '%3$s' --out '%2$s/t'", "reconcile --store '%3$s'",
                          "verify --store '%3$s'", "members add Ann --role lid --store '%3$s'",
                          "basis import --store '%3$s' '%5$s'"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char args[9000];
        snprintf(args, sizeof args, cmds[i], model, g_dir, other, g_dir, csv);
        assert_int_equal(th_run(&out, "%s", args), 1);
        if (!strstr(out, "not a stemtel store") || !strstr(out, other))
            fail_msg("%s: %s", args, out);
        free(out);
        char *after = file_bytes(other, &n1);
        if (n1 != n0 || memcmp(before, after, n0) != 0 || has_wal_files(other))
            fail_msg("%s changed the other application's file", args);
        free(after);
    }
    free(before);
    free(model);
}

/* A finished store, copied alone (as stemtel leaves it: no -wal, no -shm)
 * into a read-only folder as a read-only file. */
static void read_only_store(const char *name, char *dir, size_t ndir, char *store, size_t n)
{
    char src[4200], files[9000], cmd[9000];
    snprintf(src, sizeof src, "%s/%s-src.db", g_dir, name);
    snprintf(files, sizeof files, "'%s/in/stack-0001.tif' '%s/in/stack-0002.tif'", g_dir,
             g_dir);
    free(store_count("0668::SB7", src, files));
    snprintf(dir, ndir, "%s/%s", g_dir, name);
    snprintf(store, n, "%s/store.db", dir);
    snprintf(cmd, sizeof cmd, "mkdir '%s' && cp '%s' '%s' && chmod 0444 '%s' && chmod 0555 '%s'",
             dir, src, store, store, dir);
    assert_int_equal(system(cmd), 0);
}

static void test_store_reads_a_read_only_store_with_every_reading_command(void **state)
{
    char dir[4200], store[4200], outdir[4200], *out = NULL;
    read_only_store("ro", dir, sizeof dir, store, sizeof store);
    snprintf(outdir, sizeof outdir, "%s/ro-out", g_dir);
    assert_int_equal(mkdir(outdir, 0777), 0);
    assert_int_equal(chmod(outdir, 0777), 0);
    as_nobody_when_root();
    size_t n0, n1;
    char *before = file_bytes(store, &n0);
    const char *cmds[] = {"review list --store '%s'", "review list --all --store '%s'",
                          "review show 1 --store '%s'", "review batches --store '%s'",
                          "tally --store '%s' --out '%s'", "reconcile --store '%s'",
                          "export eml --draft --store '%s' -o '%s/510b.xml'",
                          "verify --store '%s'", "members list --store '%s'",
                          "stations list --store '%s'"};
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        char args[9000];
        snprintf(args, sizeof args, cmds[i], store, outdir);
        int rc = th_run(&out, "%s", args);
        /* reconcile finds no basistelling: exit 3, its answer, not a failure. */
        if (rc != 0 && !(i == 5 && rc == 3))
            fail_msg("%s: exit %d: %s", args, rc, out);
        free(out);
    }
    /* A command that writes says why it cannot. */
    assert_int_equal(th_run(&out, "review decide 1 --as blank --by Ann --store '%s'", store), 1);
    if (!strstr(out, "cannot be written") || !strstr(out, store))
        fail_msg("%s", out);
    free(out);
    char *after = file_bytes(store, &n1);
    assert_true(n1 == n0 && memcmp(before, after, n0) == 0);
    assert_false(has_wal_files(store));
    free(before);
    free(after);
}

static void test_store_reads_on_a_full_disk_and_says_the_disk_is_full(void **state)
{
    char *out = NULL;
    if (geteuid() != 0 || system("unshare -m true 2>/dev/null") != 0) {
        print_message("    (skipped: needs root and mount namespaces for a small tmpfs)\n");
        skip();
    }
    char src[4200], full[4200], prefix[9000], files[9000];
    snprintf(src, sizeof src, "%s/full-src.db", g_dir);
    snprintf(files, sizeof files, "'%s/in/stack-0001.tif'", g_dir);
    free(store_count("0668::SB8", src, files));
    snprintf(full, sizeof full, "%s/full", g_dir);
    assert_int_equal(mkdir(full, 0755), 0);
    /* Each command in a namespace of its own, on a 256 KB tmpfs holding
     * the store and a file filling the rest. */
    snprintf(prefix, sizeof prefix,
             "exec unshare -m sh -c 'mount -t tmpfs -o size=256k tmpfs \"%s\" || exit 99; "
             "cp \"%s\" \"%s/store.db\" || exit 98; dd if=/dev/zero of=\"%s/fill\" bs=4k "
             "2>/dev/null; exec \"$0\" \"$@\"'", full, src, full, full);
    wrap_bin("on-full-disk", prefix);
    int rc = th_run(&out, "review list --all --store '%s/store.db'", full);
    if (rc != 0)
        fail_msg("review list on a full disk: exit %d: %s", rc, out);
    free(out);
    rc = th_run(&out, "tally --store '%s/store.db' --out '%s-tally'", full, full);
    if (rc != 0)
        fail_msg("tally on a full disk: exit %d: %s", rc, out);
    free(out);
    rc = th_run(&out, "members add Ann --role lid --store '%s/store.db'", full);
    assert_int_equal(rc, 1);
    if (!strstr(out, "No space left on device") || strstr(out, "not a stemtel store"))
        fail_msg("%s", out);
    free(out);
}

/* Make the store at path look as the first schema left it. */
static void make_version_1(const char *path)
{
    sqlite3_close(sql_run(path, "DROP TABLE rules; DROP TABLE page_sources; DROP TABLE proposals; DROP TABLE passwords; DROP TABLE members;"
                                "DROP TABLE moves; DROP TABLE stations; DROP TABLE prints;"
                                "DROP TABLE rescans; DROP TABLE basis_form; DROP TABLE basis2_form;"
                                "DROP TABLE basis2_lists; DROP TABLE basis2; DROP TABLE answers;"
                                "PRAGMA user_version=1"));
}

static void test_store_read_of_an_older_store_adds_its_tables_where_it_may(void **state)
{
    char old[4200], files[9000], *out = NULL;
    snprintf(old, sizeof old, "%s/v1.db", g_dir);
    snprintf(files, sizeof files, "'%s/in/stack-0001.tif'", g_dir);
    free(store_count("0668::SB9", old, files));
    make_version_1(old);
    assert_int_equal(th_run(&out, "review list --all --store '%s'", old), 0);
    free(out);
    st_error err = {0};
    st_store *s = NULL;
    assert_st_ok(st_store_open_readonly(old, &s, &err), &err);
    st_store_close(s);
    /* On read-only media it cannot, and says so. */
    char dir[4200], store[4200], cmd[9000];
    snprintf(dir, sizeof dir, "%s/v1-ro", g_dir);
    snprintf(store, sizeof store, "%s/store.db", dir);
    make_version_1(old);
    snprintf(cmd, sizeof cmd, "mkdir '%s' && cp '%s' '%s' && chmod 0444 '%s' && chmod 0555 '%s'",
             dir, old, store, store, dir);
    assert_int_equal(system(cmd), 0);
    as_nobody_when_root();
    assert_int_equal(th_run(&out, "tally --store '%s'", store), 1);
    if (!strstr(out, "schema version 1 needs the tables of version") ||
        !strstr(out, "cannot be written"))
        fail_msg("%s", out);
    free(out);
}

/* A store copied while a writer had it open: its last change is still in
 * the -wal. With the -shm beside it a read-only folder reads it whole;
 * without, SQLite cannot read the -wal there, and the command says so
 * rather than give the store without its last change. */
static void test_store_reads_its_write_ahead_log_on_read_only_media_or_says_why_not(void **state)
{
    char src[4200], files[9000], cmd[16384], *out = NULL;
    snprintf(src, sizeof src, "%s/wal-src.db", g_dir);
    snprintf(files, sizeof files, "'%s/in/stack-0001.tif'", g_dir);
    free(store_count("0668::SB10", src, files));
    sqlite3 *db = sql_run(src, "PRAGMA wal_autocheckpoint=0; INSERT INTO members "
                               "VALUES('Ann','lid','2026-03-18T08:00:00Z')");
    snprintf(cmd, sizeof cmd,
             "set -e; cd '%s'; mkdir with-shm without-shm; cp wal-src.db with-shm/s.db; "
             "cp wal-src.db-wal with-shm/s.db-wal; cp wal-src.db-shm with-shm/s.db-shm; "
             "cp wal-src.db without-shm/s.db; cp wal-src.db-wal without-shm/s.db-wal; "
             "chmod 0444 with-shm/* without-shm/*; chmod 0555 with-shm without-shm",
             g_dir);
    assert_int_equal(system(cmd), 0);
    sqlite3_close(db);
    as_nobody_when_root();
    assert_int_equal(th_run(&out, "members list --store '%s/with-shm/s.db'", g_dir), 0);
    if (!strstr(out, "Ann"))
        fail_msg("the change in the -wal is missing: %s", out);
    free(out);
    assert_int_equal(th_run(&out, "members list --store '%s/without-shm/s.db'", g_dir), 1);
    if (!strstr(out, "s.db-wal") || strstr(out, "not a stemtel store"))
        fail_msg("%s", out);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_refuses_another_model_and_a_file_that_is_no_store),
        cmocka_unit_test(test_store_does_not_take_a_copied_file_again),
        cmocka_unit_test(test_store_takes_the_same_bytes_once_within_a_run),
        cmocka_unit_test(test_store_keeps_two_empty_files_apart),
        cmocka_unit_test(test_store_holds_says_which_pages_it_has_and_claims_none),
        cmocka_unit_test(test_store_counts_stations_apart),
        cmocka_unit_test(test_store_leaves_another_applications_database_as_it_was),
        cmocka_unit_test_teardown(test_store_reads_a_read_only_store_with_every_reading_command,
                                  unwrap_bin),
        cmocka_unit_test_teardown(test_store_reads_on_a_full_disk_and_says_the_disk_is_full,
                                  unwrap_bin),
        cmocka_unit_test_teardown(test_store_read_of_an_older_store_adds_its_tables_where_it_may,
                                  unwrap_bin),
        cmocka_unit_test_teardown(
            test_store_reads_its_write_ahead_log_on_read_only_media_or_says_why_not, unwrap_bin),
        cmocka_unit_test(test_store_survives_20_kills_and_holds_every_ballot_once),
    };
    return cmocka_run_group_tests(tests, setup_stack, teardown_stack);
}
