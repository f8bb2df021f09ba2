/* test_folder.c - hot folders: every complete file once, never a half-written one
 *
 * Real ballots drawn by `stemtel synth` are the files. A writer thread
 * puts them into two watched folders the ways scanner software does:
 * slowly in pieces under the final name, through temporary names (*.tmp,
 * .name, ~name) renamed into place, and by closing and reopening to
 * append; it also sends one file again unchanged and drops in a file
 * that is not a TIFF. The watcher must yield each ballot exactly once,
 * with exactly the bytes of the finished file, and leave every original
 * as it was.
 */
#include "helpers.h"
#include "scan_fixture.h"
#include "stemtel/decode.h"
#include "stemtel/folder.h"
#include "stemtel/manifest.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_SRC 12
#define N_AT_START 2

typedef struct fixture {
    char *dir;
    char src[N_SRC][4200];           /* synth's ballots */
    char sha[N_SRC][ST_SHA256_HEX_LEN];
    char folder[2][4200];            /* the watched folders */
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->dir = th_tmpdir();
    scan_synth_files(f->dir, "src", N_SRC, 71, f->src, f->sha);
    for (int k = 0; k < 2; k++) {
        snprintf(f->folder[k], sizeof f->folder[k], "%s/scanner%d", f->dir, k + 1);
        assert_int_equal(mkdir(f->folder[k], 0755), 0);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    th_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* Write bytes to path in `pieces` parts with pause_ms between them; with
 * reopen, close and reopen (append) between parts. Returns 0, or -1 on a
 * failed call (no cmocka assertion: the writer runs on its own thread). */
static int write_slowly(const char *path, const char *bytes, size_t len, int pieces,
                        int pause_ms, int reopen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    size_t step = (len + (size_t)pieces - 1) / (size_t)pieces;
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        if (write(fd, bytes + off, n) != (ssize_t)n)
            break;
        if (off + n < len) {
            if (reopen) {
                close(fd);
                scan_sleep_ms(pause_ms);
                if ((fd = open(path, O_WRONLY | O_APPEND)) < 0)
                    return -1;
            } else {
                scan_sleep_ms(pause_ms);
            }
        }
    }
    return close(fd);
}

typedef struct writer_job {
    fixture *f;
    int done;
    int failures; /* calls that failed on the writer's thread */
} writer_job;

/* The scanners: files N_AT_START.. into the two folders by turns, each in
 * one of five ways. */
static void *writer(void *arg)
{
    writer_job *job = arg;
    fixture *f = job->f;
    for (int i = N_AT_START; i < N_SRC; i++) {
        size_t len;
        char *bytes = th_slurp(f->src[i], &len);
        const char *dir = f->folder[i % 2];
        char final[4400], tmp[4400];
        snprintf(final, sizeof final, "%s/ballot-%06d.tif", dir, i + 1);
        switch (i % 5) {
        case 0: /* in pieces under the final name */
            job->failures -= write_slowly(final, bytes, len, 5, 40, 0);
            break;
        case 1: /* name.tmp, then renamed */
            snprintf(tmp, sizeof tmp, "%s.tmp", final);
            job->failures -= write_slowly(tmp, bytes, len, 4, 40, 0);
            job->failures -= rename(tmp, final);
            break;
        case 2: /* hidden name, then renamed */
            snprintf(tmp, sizeof tmp, "%s/.ballot-%06d.tif", dir, i + 1);
            job->failures -= write_slowly(tmp, bytes, len, 4, 40, 0);
            job->failures -= rename(tmp, final);
            break;
        case 3: /* ~name, then renamed */
            snprintf(tmp, sizeof tmp, "%s/~ballot-%06d.tif", dir, i + 1);
            job->failures -= write_slowly(tmp, bytes, len, 3, 40, 0);
            job->failures -= rename(tmp, final);
            break;
        case 4: /* closed and reopened between pieces */
            job->failures -= write_slowly(final, bytes, len, 4, 60, 1);
            break;
        }
        free(bytes);
    }
    /* A scanner that sends a file again, unchanged, and a sidecar file. */
    size_t len;
    char *bytes = th_slurp(f->src[N_AT_START], &len), again[4400], note[4400];
    snprintf(again, sizeof again, "%s/ballot-%06d.tif", f->folder[N_AT_START % 2],
             N_AT_START + 1);
    job->failures -= write_slowly(again, bytes, len, 2, 10, 0);
    free(bytes);
    snprintf(note, sizeof note, "%s/scan-log.txt", f->folder[0]);
    FILE *fp = fopen(note, "w");
    job->failures += !fp || fputs("12 pages\n", fp) < 0;
    if (fp)
        fclose(fp);
    __atomic_store_n(&job->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static int src_index(const fixture *f, const char *path)
{
    const char *name = strrchr(path, '/') + 1;
    int k;
    if (sscanf(name, "ballot-%06d.tif", &k) != 1 || k < 1 || k > N_SRC)
        return -1;
    return k - 1;
}

static void test_folder_yields_every_complete_file_exactly_once(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    /* Files already there at start (old enough), and temporary names. */
    for (int i = 0; i < N_AT_START; i++) {
        char path[4400];
        snprintf(path, sizeof path, "%s/ballot-%06d.tif", f->folder[0], i + 1);
        size_t len;
        char *bytes = th_slurp(f->src[i], &len);
        assert_int_equal(write_slowly(path, bytes, len, 1, 0, 0), 0);
        free(bytes);
        struct timespec old[2] = {{time(NULL) - 60, 0}, {time(NULL) - 60, 0}};
        assert_int_equal(utimensat(AT_FDCWD, path, old, 0), 0);
    }
    char junk[4400];
    snprintf(junk, sizeof junk, "%s/.partial.tif", f->folder[1]);
    th_write(junk, "half a page");
    snprintf(junk, sizeof junk, "%s/ballot-999999.tif.tmp", f->folder[1]);
    th_write(junk, "half a page");

    const char *dirs[2] = {f->folder[0], f->folder[1]};
    st_folder_opts opts = {.settle_ms = 250};
    st_folder *w = NULL;
    assert_st_ok(st_folder_open(dirs, 2, &opts, &w, &err), &err);

    writer_job job = {f, 0, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, writer, &job), 0);
    int count[N_SRC] = {0}, total = 0;
    double t0 = scan_now(), quiet_since = 0;
    while (scan_now() - t0 < 60) {
        st_folder_file file;
        int rc = st_folder_next(w, 100, &file, &err);
        if (rc < 0)
            fail_msg("st_folder_next: %s", err.msg);
        if (rc == 0) {
            /* Stop once the writer is done and nothing came for a while
             * longer than the settle time. */
            if (__atomic_load_n(&job.done, __ATOMIC_SEQ_CST)) {
                if (!quiet_since)
                    quiet_since = scan_now();
                else if (scan_now() - quiet_since > 1.0)
                    break;
            }
            continue;
        }
        quiet_since = 0;
        int k = src_index(f, file.path);
        if (k < 0)
            fail_msg("yielded a name that is no ballot: %s", file.path);
        /* Complete: the very bytes of the finished file, a readable TIFF. */
        if (strcmp(file.sha256, f->sha[k]) != 0)
            fail_msg("%s yielded before it was complete (%zu bytes)", file.path, file.len);
        st_decoder *d = NULL;
        assert_st_ok(st_decoder_open(file.bytes, file.len, file.path, &d, &err), &err);
        st_decoder_close(d);
        int want_folder = k < N_AT_START ? 0 : k % 2;
        assert_int_equal(file.folder, want_folder);
        assert_non_null(strstr(file.path, f->folder[want_folder]));
        count[k]++;
        total++;
        st_folder_file_free(&file);
    }
    pthread_join(th, NULL);
    assert_int_equal(job.failures, 0);
    for (int k = 0; k < N_SRC; k++)
        if (count[k] != 1)
            fail_msg("ballot-%06d.tif yielded %d times", k + 1, count[k]);
    st_folder_stats stats;
    st_folder_get_stats(w, &stats);
    print_message("    %d files in %.1f s: %d yielded, %d repeats passed over, %d other "
                  "names ignored\n",
                  N_SRC, scan_now() - t0, stats.yielded, stats.repeated, stats.ignored);
    assert_int_equal(total, N_SRC);
    assert_int_equal(stats.yielded, N_SRC);
    assert_int_equal(stats.repeated, 1);
    assert_int_equal(stats.ignored, 1);
    st_folder_close(w);

    /* The originals are all still there, unchanged; temporary files too. */
    for (int i = 0; i < N_SRC; i++) {
        char path[4400], hex[ST_SHA256_HEX_LEN];
        snprintf(path, sizeof path, "%s/ballot-%06d.tif",
                 f->folder[i < N_AT_START ? 0 : i % 2], i + 1);
        assert_st_ok(st_manifest_hash_file(path, hex, &err), &err);
        assert_string_equal(hex, f->sha[i]);
    }
    assert_int_equal(access(junk, F_OK), 0);
}

static void test_folder_file_rewritten_with_new_bytes_is_yielded_again(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    const char *dirs[1] = {f->folder[0]};
    st_folder_opts opts = {.settle_ms = 100};
    st_folder *w = NULL;
    assert_st_ok(st_folder_open(dirs, 1, &opts, &w, &err), &err);
    char path[4400];
    snprintf(path, sizeof path, "%s/page.tif", f->folder[0]);
    st_folder_file file;
    for (int round = 0; round < 3; round++) {
        /* Rounds 0 and 2 write ballot 1, round 1 ballot 2: the path with
         * ballot 1's bytes must come only once. */
        size_t len;
        char *bytes = th_slurp(f->src[round == 1], &len);
        assert_int_equal(write_slowly(path, bytes, len, 2, 20, 0), 0);
        free(bytes);
        int rc = st_folder_next(w, 2000, &file, &err);
        if (round < 2) {
            assert_int_equal(rc, 1);
            assert_string_equal(file.sha256, f->sha[round == 1]);
            st_folder_file_free(&file);
        } else {
            assert_int_equal(rc, 0);
        }
    }
    st_folder_stats stats;
    st_folder_get_stats(w, &stats);
    assert_int_equal(stats.yielded, 2);
    assert_int_equal(stats.repeated, 1);
    st_folder_close(w);
}

static void test_folder_young_file_at_start_waits_until_settled(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    char path[4400];
    snprintf(path, sizeof path, "%s/fresh.tif", f->folder[1]);
    size_t len;
    char *bytes = th_slurp(f->src[3], &len);
    assert_int_equal(write_slowly(path, bytes, len, 1, 0, 0), 0);
    free(bytes);
    const char *dirs[1] = {f->folder[1]};
    st_folder_opts opts = {.settle_ms = 600};
    st_folder *w = NULL;
    double t0 = scan_now();
    assert_st_ok(st_folder_open(dirs, 1, &opts, &w, &err), &err);
    st_folder_file file;
    /* Not at once: it was written just now and may still be growing. */
    assert_int_equal(st_folder_next(w, 0, &file, &err), 0);
    assert_int_equal(st_folder_next(w, 3000, &file, &err), 1);
    double waited = scan_now() - t0;
    assert_true(waited >= 0.4);
    assert_true(waited < 2.5);
    assert_string_equal(file.sha256, f->sha[3]);
    st_folder_file_free(&file);
    st_folder_close(w);
}

/* A held folder gives nothing more, however ready its files; the other
 * folder goes on; a new watcher takes what the held one left. */
static void test_folder_held_folder_gives_nothing_more(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    const char *dirs[2] = {f->folder[0], f->folder[1]};
    char path[4400];
    for (int k = 0; k < 4; k++) {
        size_t len;
        char *bytes = th_slurp(f->src[k], &len);
        snprintf(path, sizeof path, "%s/b%d.tif", f->folder[k % 2], k);
        assert_int_equal(write_slowly(path, bytes, len, 1, 0, 0), 0);
        free(bytes);
    }
    st_folder_opts opts = {.settle_ms = 50};
    st_folder *w = NULL;
    assert_st_ok(st_folder_open(dirs, 2, &opts, &w, &err), &err);
    st_folder_hold(w, 0);
    st_folder_hold(w, 7); /* no such folder: nothing happens */
    st_folder_file file;
    for (int k = 1; k < 4; k += 2) {
        assert_int_equal(st_folder_next(w, 2000, &file, &err), 1);
        assert_int_equal(file.folder, 1);
        assert_string_equal(file.sha256, f->sha[k]);
        st_folder_file_free(&file);
    }
    assert_int_equal(st_folder_next(w, 300, &file, &err), 0);
    st_folder_close(w);
    assert_st_ok(st_folder_open(dirs, 2, &opts, &w, &err), &err);
    for (int k = 0; k < 4; k++) {
        assert_int_equal(st_folder_next(w, 2000, &file, &err), 1);
        st_folder_file_free(&file);
    }
    st_folder_close(w);
}

static void test_folder_timeout_is_kept_when_nothing_comes(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    const char *dirs[2] = {f->folder[0], f->folder[1]};
    st_folder *w = NULL;
    assert_st_ok(st_folder_open(dirs, 2, NULL, &w, &err), &err);
    st_folder_file file;
    double t0 = scan_now();
    assert_int_equal(st_folder_next(w, 300, &file, &err), 0);
    double took = scan_now() - t0;
    assert_true(took >= 0.29);
    assert_true(took < 1.5);
    st_folder_close(w);
}

static void test_folder_refuses_missing_folders_and_notices_removal(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    st_folder *w = NULL;
    char missing[4400];
    snprintf(missing, sizeof missing, "%s/no-such-scanner", f->dir);
    const char *bad[2] = {f->folder[0], missing};
    assert_int_equal(st_folder_open(bad, 2, NULL, &w, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "no-such-scanner"));
    const char *twice[2] = {f->folder[0], f->folder[0]};
    assert_int_equal(st_folder_open(twice, 2, NULL, &w, &err), ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "given twice"));
    const char *file_not_dir[1] = {f->src[0]};
    assert_int_equal(st_folder_open(file_not_dir, 1, NULL, &w, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "not a folder"));

    const char *dirs[1] = {f->folder[1]};
    assert_st_ok(st_folder_open(dirs, 1, NULL, &w, &err), &err);
    assert_int_equal(rmdir(f->folder[1]), 0);
    st_folder_file file;
    assert_int_equal(st_folder_next(w, 1000, &file, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "scanner2 was removed"));
    st_folder_close(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_folder_yields_every_complete_file_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_file_rewritten_with_new_bytes_is_yielded_again, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_young_file_at_start_waits_until_settled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_held_folder_gives_nothing_more, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_timeout_is_kept_when_nothing_comes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_folder_refuses_missing_folders_and_notices_removal, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
