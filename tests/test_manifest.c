/* test_manifest.c - replay manifests: written, read back, and every bad one refused
 *
 * Batches are real TIFF ballots drawn by `stemtel synth`; the manifest is
 * written with the library's writer from hashes of the bytes, read back,
 * and then the files are damaged (one byte altered, one file deleted) and
 * the manifest text broken line by line: each must give an error that
 * names the file (or the manifest's line) and what is wrong.
 */
#include "helpers.h"
#include "scan_fixture.h"
#include "stemtel/manifest.h"
#include "util/seen.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_FILES 5

typedef struct fixture {
    char *dir;                       /* holds batch/ and the manifest */
    char files[N_FILES][4200];       /* batch/ballot-00000k.tif */
    char sha[N_FILES][ST_SHA256_HEX_LEN];
    char manifest[4200];
} fixture;

/* Draw N_FILES ballots with synth and write their manifest. */
static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    st_error err = {0};
    f->dir = th_tmpdir();
    scan_synth_files(f->dir, "batch", N_FILES, 61, f->files, f->sha);
    snprintf(f->manifest, sizeof f->manifest, "%s/batch.manifest", f->dir);
    st_manifest_writer *w = NULL;
    assert_st_ok(st_manifest_writer_open(f->manifest, &w, &err), &err);
    for (int i = 0; i < N_FILES; i++) {
        assert_st_ok(st_manifest_writer_add(w, f->files[i], f->sha[i],
                                            i < 3 ? "0668::SB1" : NULL, i < 3 ? 2 : 0, &err),
                     &err);
    }
    /* Written in place, under its own name, as it goes. */
    assert_int_equal(access(f->manifest, F_OK), 0);
    assert_int_equal(st_manifest_writer_count(w), N_FILES);
    assert_st_ok(st_manifest_writer_close(w, &err), &err);
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

static void expect_error(const char *manifest, int code, const char *says1,
                         const char *says2)
{
    st_error err = {0};
    st_manifest *m = NULL;
    int rc = st_manifest_read(manifest, &m, &err);
    if (rc != code || !strstr(err.msg, says1) || (says2 && !strstr(err.msg, says2)))
        fail_msg("got %d \"%s\"; want %d with \"%s\"%s%s", rc, err.msg, code, says1,
                 says2 ? " and " : "", says2 ? says2 : "");
    assert_null(m);
}

static void test_manifest_round_trips_a_batch_of_real_files(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    st_manifest *m = NULL;
    assert_st_ok(st_manifest_read(f->manifest, &m, &err), &err);
    assert_int_equal(m->n, N_FILES);
    for (int i = 0; i < N_FILES; i++) {
        const st_manifest_entry *e = &m->entries[i];
        char want[64];
        snprintf(want, sizeof want, "batch/ballot-%06d.tif", i + 1);
        /* Written relative to the manifest's folder. */
        assert_string_equal(e->file, want);
        assert_int_equal(e->order, i + 1);
        assert_string_equal(e->sha256, f->sha[i]);
        if (i < 3) {
            assert_string_equal(e->station, "0668::SB1");
            assert_int_equal(e->batch, 2);
        } else {
            assert_null(e->station);
            assert_int_equal(e->batch, 0);
        }
        char hex[ST_SHA256_HEX_LEN];
        assert_st_ok(st_manifest_hash_file(e->path, hex, &err), &err);
        assert_string_equal(hex, f->sha[i]);
    }
    st_manifest_free(m);

    /* The text is the documented format. */
    char *text = th_slurp(f->manifest, NULL);
    char line[256];
    snprintf(line, sizeof line, "%s\n%s\n1\tbatch/ballot-000001.tif\t%s\t0668::SB1\t2\n",
             ST_MANIFEST_MAGIC, ST_MANIFEST_COLUMNS, f->sha[0]);
    assert_memory_equal(text, line, strlen(line));
    snprintf(line, sizeof line, "\n5\tbatch/ballot-000005.tif\t%s\t\t\n# closed: 5 files\n",
             f->sha[4]);
    assert_non_null(strstr(text, line));
    assert_string_equal(text + strlen(text) - strlen(line), line);
    free(text);
}

static void test_manifest_survives_moving_the_archive(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    char moved[4300];
    snprintf(moved, sizeof moved, "%s-moved", f->dir);
    assert_int_equal(rename(f->dir, moved), 0);
    char path[4400];
    snprintf(path, sizeof path, "%s/batch.manifest", moved);
    st_manifest *m = NULL;
    int rc = st_manifest_read(path, &m, &err);
    assert_int_equal(rename(moved, f->dir), 0);
    assert_st_ok(rc, &err);
    assert_int_equal(m->n, N_FILES);
    st_manifest_free(m);
}

static void test_manifest_altered_byte_is_named(void **state)
{
    fixture *f = *state;
    size_t len;
    char *bytes = th_slurp(f->files[2], &len);
    bytes[len / 2] ^= 0x01;
    FILE *fp = fopen(f->files[2], "wb");
    fwrite(bytes, 1, len, fp);
    fclose(fp);
    free(bytes);
    expect_error(f->manifest, ST_ERR_INVALID, "batch/ballot-000003.tif (line 5): altered",
                 "1 of 5 files");
}

static void test_manifest_missing_file_is_named(void **state)
{
    fixture *f = *state;
    assert_int_equal(unlink(f->files[1]), 0);
    expect_error(f->manifest, ST_ERR_IO, "batch/ballot-000002.tif (line 4): missing",
                 "nothing counted");
}

static void test_manifest_reports_every_bad_file_at_once(void **state)
{
    fixture *f = *state;
    assert_int_equal(unlink(f->files[0]), 0);
    th_write(f->files[4], "not the ballot");
    expect_error(f->manifest, ST_ERR_IO, "ballot-000001.tif (line 3): missing",
                 "ballot-000005.tif (line 7): altered");
}

/* Rewrite the manifest with line `lineno` (1-based) replaced by text (NULL:
 * dropped) and expect a parse error mentioning says. */
static void expect_broken(fixture *f, int lineno, const char *text, const char *says)
{
    char *orig = th_slurp(f->manifest, NULL), *copy = strdup(orig), path[4300];
    snprintf(path, sizeof path, "%s/broken.manifest", f->dir);
    FILE *fp = fopen(path, "w");
    int k = 0;
    for (char *save = NULL, *ln = strtok_r(copy, "\n", &save); ln;
         ln = strtok_r(NULL, "\n", &save)) {
        if (++k == lineno) {
            if (text)
                fprintf(fp, "%s\n", text);
        } else {
            fprintf(fp, "%s\n", ln);
        }
    }
    fclose(fp);
    char where[4400];
    snprintf(where, sizeof where, "broken.manifest:%d:", lineno);
    expect_error(path, ST_ERR_PARSE, says, where);
    free(orig);
    free(copy);
}

static void test_manifest_format_errors_name_the_line(void **state)
{
    fixture *f = *state;
    char line[300];
    expect_broken(f, 1, "# stemtel-manifest/2", "not a stemtel manifest");
    expect_broken(f, 2, "order\tfile\tsha", "expected \"order");
    expect_broken(f, 4, NULL, "order \"3\" where 2 was due");
    expect_broken(f, 3, "1\tbatch/ballot-000001.tif\tABC\t\t", "is not 64 lower-case hex");
    snprintf(line, sizeof line, "1\tbatch/ballot-000001.tif\t%s\t", f->sha[0]);
    expect_broken(f, 3, line, "expected 5 tab-separated fields");
    snprintf(line, sizeof line, "1\tbatch/ballot-000001.tif\t%s\t\t0", f->sha[0]);
    expect_broken(f, 3, line, "batch \"0\"");
    snprintf(line, sizeof line, "2\tbatch/ballot-000001.tif\t%s\t\t", f->sha[1]);
    expect_broken(f, 4, line, "ballot-000001.tif is listed twice");
    snprintf(line, sizeof line, "2\tbatch/other.tif\t%s\t\t", f->sha[0]);
    expect_broken(f, 4, line, "the same page listed twice");
    snprintf(line, sizeof line, "1\t\t%s\t\t", f->sha[0]);
    expect_broken(f, 3, line, "empty file name");

    char path[4300];
    snprintf(path, sizeof path, "%s/empty.manifest", f->dir);
    th_write(path, "");
    expect_error(path, ST_ERR_PARSE, "empty.manifest: empty", NULL);
    snprintf(path, sizeof path, "%s/none.manifest", f->dir);
    expect_error(path, ST_ERR_IO, "none.manifest: cannot open manifest", NULL);
}

static void test_manifest_comments_are_allowed_after_the_header(void **state)
{
    fixture *f = *state;
    char *orig = th_slurp(f->manifest, NULL);
    FILE *fp = fopen(f->manifest, "a");
    fputs("# checked by the GSB on 2026-03-19\n", fp);
    fclose(fp);
    st_error err = {0};
    st_manifest *m = NULL;
    assert_st_ok(st_manifest_read(f->manifest, &m, &err), &err);
    assert_int_equal(m->n, N_FILES);
    st_manifest_free(m);
    free(orig);
}

static void test_manifest_writer_refuses_what_cannot_be_replayed(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    char path[4300], outside[4300];
    snprintf(path, sizeof path, "%s/second.manifest", f->dir);
    st_manifest_writer *w = NULL;
    assert_st_ok(st_manifest_writer_open(path, &w, &err), &err);
    assert_st_ok(st_manifest_writer_add(w, f->files[0], f->sha[0], NULL, 0, &err), &err);
    assert_int_equal(st_manifest_writer_add(w, f->files[0], f->sha[1], NULL, 0, &err),
                     ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "file already in this manifest"));
    assert_int_equal(st_manifest_writer_add(w, f->files[1], f->sha[0], NULL, 0, &err),
                     ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "its SHA-256 is already"));
    assert_int_equal(st_manifest_writer_add(w, f->files[1], "xyz", NULL, 0, &err),
                     ST_ERR_ARG);
    assert_non_null(strstr(err.msg, "ballot-000002.tif: sha256"));
    assert_int_equal(st_manifest_writer_add(w, f->files[1], f->sha[1], "a\tb", 0, &err),
                     ST_ERR_ARG);
    assert_int_equal(st_manifest_writer_add(w, f->files[1], f->sha[1], NULL, -2, &err),
                     ST_ERR_ARG);
    snprintf(outside, sizeof outside, "%s/batch/none.tif", f->dir);
    assert_int_equal(st_manifest_writer_add(w, outside, f->sha[1], NULL, 0, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "none.tif"));

    /* A file outside the manifest's folder is written with its absolute
     * path; the refusals above left no line behind. */
    char *elsewhere = th_tmpdir();
    snprintf(outside, sizeof outside, "%s/scan.tif", elsewhere);
    th_write(outside, "a page");
    char hex[ST_SHA256_HEX_LEN];
    assert_st_ok(st_manifest_hash_file(outside, hex, &err), &err);
    assert_st_ok(st_manifest_writer_add(w, outside, hex, "0668::SB4", 7, &err), &err);
    assert_st_ok(st_manifest_writer_close(w, &err), &err);
    st_manifest *m = NULL;
    assert_st_ok(st_manifest_read(path, &m, &err), &err);
    assert_int_equal(m->n, 2);
    assert_int_equal(m->entries[1].order, 2);
    assert_true(m->entries[1].file[0] == '/');
    assert_non_null(strstr(m->entries[1].file, "/scan.tif"));
    assert_int_equal(m->entries[1].batch, 7);
    st_manifest_free(m);
    th_rmtree(elsewhere);
    free(elsewhere);

    /* A manifest that exists is never written over. */
    assert_int_equal(st_manifest_writer_open(f->manifest, &w, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "batch.manifest"));
    snprintf(path, sizeof path, "%s/no/such/dir/x.manifest", f->dir);
    assert_int_equal(st_manifest_writer_open(path, &w, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "no/such/dir"));
}

/* What the store holds, as the repair asks it: the files listed in
 * held_files (by hash). */
typedef struct holds {
    const char *held[N_FILES];
    int asked;
} holds;

static int held_by(void *ctx, const char *path, const char *sha256, st_error *err)
{
    holds *h = ctx;
    h->asked++;
    if (access(path, F_OK) != 0)
        return st_error_set(err, ST_ERR_IO, "asked about %s, which is not there", path);
    for (int i = 0; i < N_FILES; i++)
        if (h->held[i] && strcmp(h->held[i], sha256) == 0)
            return 1;
    return 0;
}

/* A batch cut short: the writer stopped after syncing 5 lines, of which
 * the store committed 3, and a sixth line torn in two. The repair cuts
 * back to the 3 and closes the manifest saying so; a second repair, or
 * one of a closed manifest, changes nothing; a manifest whose files the
 * store has none of (a sheet's line and one file) is removed. */
static void test_manifest_repair_cuts_what_the_store_never_committed(void **state)
{
    fixture *f = *state;
    st_error err = {0};
    char path[4300];
    snprintf(path, sizeof path, "%s/cut.manifest", f->dir);
    st_manifest_writer *w = NULL;
    assert_st_ok(st_manifest_writer_open(path, &w, &err), &err);
    for (int i = 0; i < N_FILES; i++)
        assert_st_ok(st_manifest_writer_add(w, f->files[i], f->sha[i], "0668::SB1", 0, &err),
                     &err);
    assert_st_ok(st_manifest_writer_sync(w, &err), &err);
    st_manifest_writer_abort(w);
    FILE *fp = fopen(path, "a");
    fputs("6\tbatch/ballot-0000", fp);
    fclose(fp);
    holds h = {{f->sha[0], f->sha[1], f->sha[2]}, 0};
    st_manifest_repaired r;
    assert_st_ok(st_manifest_repair(path, held_by, &h, &r, &err), &err);
    assert_int_equal(h.asked, 3);
    assert_int_equal(r.cut, 3);
    assert_false(r.was_closed);
    assert_false(r.removed);
    st_manifest *m = NULL;
    assert_st_ok(st_manifest_read(path, &m, &err), &err);
    assert_int_equal(m->n, 3);
    assert_string_equal(m->entries[2].sha256, f->sha[2]);
    st_manifest_free(m);
    char *text = th_slurp(path, NULL);
    assert_non_null(strstr(text, "\n# closed when the next scan started: 3 lines cut"));
    free(text);
    /* Closed now: left alone, whatever the store says. */
    holds none = {{NULL}, 0};
    assert_st_ok(st_manifest_repair(path, held_by, &none, &r, &err), &err);
    assert_true(r.was_closed);
    assert_int_equal(r.cut, 0);
    assert_int_equal(none.asked, 0);
    assert_st_ok(st_manifest_repair(f->manifest, held_by, &none, &r, &err), &err);
    assert_true(r.was_closed);

    /* Nothing of it committed: no manifest. */
    snprintf(path, sizeof path, "%s/none.manifest", f->dir);
    assert_st_ok(st_manifest_writer_open(path, &w, &err), &err);
    assert_st_ok(st_manifest_writer_add(w, f->files[3], f->sha[3], "0668::SB2", 0, &err),
                 &err);
    assert_st_ok(st_manifest_writer_add(w, f->files[4], f->sha[4], "0668::SB2", 0, &err),
                 &err);
    st_manifest_writer_abort(w);
    assert_st_ok(st_manifest_repair(path, held_by, &h, &r, &err), &err);
    assert_int_equal(r.cut, 2);
    assert_true(r.removed);
    assert_int_equal(access(path, F_OK), -1);
    /* Nor when even its header is torn; but a file that is no manifest
     * stays for the parser to name. */
    th_write(path, ST_MANIFEST_MAGIC "\nord");
    assert_st_ok(st_manifest_repair(path, held_by, &h, &r, &err), &err);
    assert_true(r.removed);
    th_write(path, "some notes\n");
    assert_st_ok(st_manifest_repair(path, held_by, &h, &r, &err), &err);
    assert_false(r.removed);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/absent.manifest", f->dir);
    assert_int_equal(st_manifest_repair(path, held_by, &h, &r, &err), ST_ERR_IO);
    assert_non_null(strstr(err.msg, "absent.manifest"));
}

static void test_seen_set_tells_new_from_repeated_over_many_keys(void **state)
{
    st_seen *s = st_seen_new();
    char key[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(st_seen_add(s, key), 1);
    }
    for (int i = 0; i < 5000; i += 7) {
        snprintf(key, sizeof key, "k%d", i);
        assert_int_equal(st_seen_add(s, key), 0);
        assert_true(st_seen_has(s, key));
    }
    assert_false(st_seen_has(s, "k5000"));
    assert_int_equal(st_seen_count(s), 5000);
    st_seen_free(s);
    st_seen_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_manifest_round_trips_a_batch_of_real_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_survives_moving_the_archive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_altered_byte_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_missing_file_is_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_reports_every_bad_file_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_format_errors_name_the_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_comments_are_allowed_after_the_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_writer_refuses_what_cannot_be_replayed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_repair_cuts_what_the_store_never_committed, setup, teardown),
        cmocka_unit_test(test_seen_set_tells_new_from_repeated_over_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
