/* test_scan.c - `stemtel scan` end to end: SANE, hot folders, replay, sheets
 *
 * Every test runs the real command on real files: pages from SANE's own
 * `test` device, ballots drawn by `stemtel synth`, separator sheets drawn
 * by the library and written as TIFF. A scan that never ends by itself
 * (hot folders) is started in the background and ended by --idle or by
 * SIGINT, as a person would with Ctrl-C; a watchdog kills a scan that
 * hangs, and the test fails.
 */
#include "helpers.h"
#include "run_ok.h"
#include "scan_fixture.h"
#include "stemtel/image.h"
#include "stemtel/sheet.h"
#include "stemtel/tiffout.h"

#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define N_HOT 10

/* The lines of a JSON-lines file as parsed objects; *n gets the count. */
static json_object **read_jsonl(const char *path, int *n)
{
    char *text = th_slurp(path, NULL);
    if (!text)
        fail_msg("cannot read %s", path);
    json_object **v = NULL;
    *n = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        v = realloc(v, (size_t)(*n + 1) * sizeof *v);
        v[*n] = json_tokener_parse(line);
        if (!v[*n])
            fail_msg("%s: line %d is not JSON", path, *n + 1);
        (*n)++;
    }
    free(text);
    return v;
}

static void free_jsonl(json_object **v, int n)
{
    for (int i = 0; i < n; i++)
        json_object_put(v[i]);
    free(v);
}

static const char *jstr(json_object *o, const char *key)
{
    json_object *x;
    if (!json_object_object_get_ex(o, key, &x) || json_object_is_type(x, json_type_null))
        return NULL;
    return json_object_get_string(x);
}

/* The files a manifest lists: its lines after the two header lines,
 * comments (its closing line) left out. */
static int manifest_lines(const char *path)
{
    char *text = th_slurp(path, NULL);
    int lines = 0;
    if (!text)
        fail_msg("no manifest %s", path);
    for (char *p = text; *p; p++)
        lines += *p == '\n' && p[1] && p[1] != '#';
    free(text);
    return lines - 1;
}

/* A tally.json's review or rejected total. */
static int tally_total(const char *path, const char *what)
{
    json_object *t = json_object_from_file(path), *x, *total;
    if (!t)
        fail_msg("cannot read %s", path);
    assert_true(json_object_object_get_ex(t, what, &x));
    assert_true(json_object_object_get_ex(x, "total", &total));
    int v = json_object_get_int(total);
    json_object_put(t);
    return v;
}

/* Every page a tally.json covers: counted (H), to review and rejected. */
static int tally_pages(const char *path)
{
    json_object *t = json_object_from_file(path), *h;
    if (!t)
        fail_msg("cannot read %s", path);
    assert_true(json_object_object_get_ex(t, "H", &h));
    int v = json_object_get_int(h);
    json_object_put(t);
    return v + tally_total(path, "review") + tally_total(path, "rejected");
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- SANE ----------------------------------------------------------------- */

/* SANE's test device feeds ten pages that are not ballots: each is a
 * rejected page with its reason, each saved, listed in the manifest and
 * stored; replaying the manifest gives the same records. */
static void test_scan_sane_test_device_pages_become_rejected_pages(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(SCAN_MODEL), *out = NULL, path[4400];
    int rc = th_run(&out, "scan --model '%s' --source sane:test --dpi 100 "
                          "--sane-option 'test-picture=Grid' --out '%s/out'",
                    model, dir);
    if (rc != 0)
        fail_msg("scan failed (%d): %s", rc, out);
    assert_non_null(strstr(out, "scanned 10 pages from 10 files"));
    free(out);

    int n;
    snprintf(path, sizeof path, "%s/out/run-001/ballots.jsonl", dir);
    json_object **rec = read_jsonl(path, &n);
    assert_int_equal(n, 10);
    for (int i = 0; i < n; i++) {
        char want[64];
        snprintf(want, sizeof want, "page-%06d.tif", i + 1);
        assert_non_null(strstr(jstr(rec[i], "file"), want));
        assert_string_equal(jstr(rec[i], "outcome"), "rejected");
        json_object *reasons;
        assert_true(json_object_object_get_ex(rec[i], "reasons", &reasons));
        assert_string_equal(json_object_get_string(json_object_array_get_idx(reasons, 0)),
                            "no_registration_marks");
        /* Two scans of the same picture are still two files. */
        for (int k = 0; k < i; k++)
            assert_string_not_equal(jstr(rec[i], "sha256"), jstr(rec[k], "sha256"));
    }
    snprintf(path, sizeof path, "%s/out/scans/1-test/page-000010.tif", dir);
    assert_true(exists(path));
    snprintf(path, sizeof path, "%s/out/manifest-sane1-001.tsv", dir);
    assert_int_equal(manifest_lines(path), 10);
    rc = th_run(&out, "tally --store '%s/out/stemtel.db' --out '%s/t'", dir, dir);
    assert_int_equal(rc, 0);
    free(out);
    snprintf(path, sizeof path, "%s/t/tally.json", dir);
    assert_int_equal(tally_pages(path), 10);
    assert_int_equal(tally_total(path, "rejected"), 10);

    /* The archive replays to the same records, box by box. */
    rc = th_run(&out, "scan --model '%s' --source 'replay:%s/out/manifest-sane1-001.tsv' "
                      "--out '%s/replay'", model, dir, dir);
    if (rc != 0)
        fail_msg("replay failed (%d): %s", rc, out);
    free(out);
    int m;
    snprintf(path, sizeof path, "%s/replay/run-001/ballots.jsonl", dir);
    json_object **again = read_jsonl(path, &m);
    assert_int_equal(m, n);
    for (int i = 0; i < n; i++) {
        json_object_object_del(rec[i], "file"); /* the path may be spelled otherwise */
        json_object_object_del(again[i], "file");
        json_object_object_del(rec[i], "message");
        json_object_object_del(again[i], "message");
        assert_string_equal(json_object_to_json_string(rec[i]),
                            json_object_to_json_string(again[i]));
    }
    free_jsonl(again, m);
    free_jsonl(rec, n);
    th_rmtree(dir);
    free(dir);
    free(model);
}

/* A device that does not exist: a clear error, nothing counted, no hang. */
static void test_scan_unknown_sane_device_is_a_clear_error(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(SCAN_MODEL), *out = NULL;
    int rc = th_run(&out, "scan --model '%s' --source sane:no-such-scanner --out '%s/out'",
                    model, dir);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "no-such-scanner"));
    assert_non_null(strstr(out, "scanner"));
    free(out);
    th_rmtree(dir);
    free(dir);
    free(model);
}

/* Once the store has the municipality's stations, a --station it does
 * not list is refused before the scan starts: no run folder is made and
 * the scanners are not opened (it used to surface only at the first
 * commit, after the first pages had been fed). */
static void test_scan_unlisted_station_is_refused_up_front(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(SCAN_MODEL), *out = NULL;
    char path[4300];
    snprintf(path, sizeof path, "%s/out", dir);
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/in", dir);
    assert_int_equal(mkdir(path, 0777), 0);
    /* The first scan, before the list came, makes the store (run-001). */
    RUN_OK("scan --model '%s' --source 'folder:%s/in' --idle 1 --out '%s/out'", model, dir,
           dir);
    snprintf(path, sizeof path, "%s/list.csv", dir);
    th_write(path, "id,name\n0668::SB1,Dorpshuis\n0668::SB2,School\n");
    RUN_OK("stations import --store '%s/out/stemtel.db' '%s'", dir, path);

    int rc = th_run(&out, "scan --model '%s' --source 'folder:%s/in' --station 0668::SB3 "
                    "--idle 1 --out '%s/out'", model, dir, dir);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "--station"));
    assert_non_null(strstr(out, "station 0668::SB3 is not one of the municipality's 2"));
    free(out);
    snprintf(path, sizeof path, "%s/out/run-002", dir);
    struct stat st;
    assert_int_not_equal(stat(path, &st), 0);

    /* A listed one scans. */
    RUN_OK("scan --model '%s' --source 'folder:%s/in' --station 0668::SB2 --idle 1 "
           "--out '%s/out'", model, dir, dir);
    th_rmtree(dir);
    free(dir);
    free(model);
}

/* ---- hot folders ---------------------------------------------------------- */

/* Write bytes to path in pieces, pausing between them, the ways scanner
 * software does: under the final name, or under a temporary name renamed
 * into place, or closing and reopening to append. */
static void write_like_a_scanner(const char *final, const char *bytes, size_t len, int how)
{
    char tmp[4400];
    const char *path = final;
    if (how == 1) {
        snprintf(tmp, sizeof tmp, "%s.part", final);
        path = tmp;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    size_t step = len / 3 + 1;
    for (size_t off = 0; off < len; off += step) {
        size_t n = len - off < step ? len - off : step;
        assert_int_equal(write(fd, bytes + off, n), (ssize_t)n);
        if (off + n < len) {
            if (how == 2) {
                close(fd);
                fd = open(path, O_WRONLY | O_APPEND);
                assert_true(fd >= 0);
            }
            scan_sleep_ms(60);
        }
    }
    assert_int_equal(close(fd), 0);
    if (how == 1)
        assert_int_equal(rename(tmp, final), 0);
}

/* Two scanners write ballots slowly into two hot folders while scan runs:
 * every ballot is counted exactly once; run again, none is counted again;
 * a replay of the manifests gives the same records; an altered file makes
 * the replay refuse, naming it. */
static void test_scan_hot_folders_count_each_ballot_once_across_restarts(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(SCAN_MODEL), *out = NULL;
    char src[N_HOT][4200], sha[N_HOT][ST_SHA256_HEX_LEN], folder[2][4300], path[4400];
    char log[4400];
    scan_synth_files(dir, "src", N_HOT, 23, src, sha);
    for (int k = 0; k < 2; k++) {
        snprintf(folder[k], sizeof folder[k], "%s/scanner%d", dir, k + 1);
        assert_int_equal(mkdir(folder[k], 0755), 0);
    }
    /* One file is there before the scan starts. */
    size_t len;
    char *bytes = th_slurp(src[0], &len);
    snprintf(path, sizeof path, "%s/ballot-01.tif", folder[0]);
    write_like_a_scanner(path, bytes, len, 0);
    free(bytes);

    snprintf(log, sizeof log, "%s/scan1.log", dir);
    pid_t pid = scan_spawn(log, "scan --model '%s' --source 'folder:%s' --source 'folder:%s' "
                           "--settle-ms 300 --idle 4 --threads 2 --out '%s/out'",
                      model, folder[0], folder[1], dir);
    for (int i = 1; i < N_HOT; i++) {
        bytes = th_slurp(src[i], &len);
        snprintf(path, sizeof path, "%s/ballot-%02d.tif", folder[i % 2], i + 1);
        write_like_a_scanner(path, bytes, len, i % 3);
        free(bytes);
        scan_sleep_ms(100);
    }
    int rc = scan_reap(pid);
    out = th_slurp(log, NULL);
    if (rc != 0)
        fail_msg("scan failed (%d): %s", rc, out);
    free(out);

    int n;
    snprintf(path, sizeof path, "%s/out/run-001/ballots.jsonl", dir);
    json_object **rec = read_jsonl(path, &n);
    assert_int_equal(n, N_HOT);
    for (int i = 0; i < N_HOT; i++) {
        int found = 0;
        for (int k = 0; k < n; k++)
            found += strcmp(jstr(rec[k], "sha256"), sha[i]) == 0;
        if (found != 1)
            fail_msg("ballot %d counted %d times", i + 1, found);
        assert_string_not_equal(jstr(rec[i], "outcome"), "rejected");
    }

    /* Started again: the folders still hold every file, none counts. */
    rc = th_run(&out, "scan --model '%s' --source 'folder:%s' --source 'folder:%s' "
                      "--settle-ms 300 --idle 1 --out '%s/out'",
                model, folder[0], folder[1], dir);
    if (rc != 0)
        fail_msg("second scan failed (%d): %s", rc, out);
    assert_non_null(strstr(out, "scanned 0 pages"));
    char want[64];
    snprintf(want, sizeof want, "%d pages already in the store", N_HOT);
    assert_non_null(strstr(out, want));
    free(out);
    int n2;
    snprintf(path, sizeof path, "%s/out/run-002/ballots.jsonl", dir);
    json_object **none = read_jsonl(path, &n2);
    free_jsonl(none, n2);
    assert_int_equal(n2, 0);
    /* The store's tally is the first run's. */
    char p1[4400], p2[4400];
    snprintf(p1, sizeof p1, "%s/out/run-001/tally.csv", dir);
    snprintf(p2, sizeof p2, "%s/out/tally.csv", dir);
    char *t1 = th_slurp(p1, NULL), *t2 = th_slurp(p2, NULL);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);

    /* Replay both scanners' manifests: the same records. */
    rc = th_run(&out, "scan --model '%s' --source 'replay:%s/out/manifest-folder1-001.tsv' "
                      "--source 'replay:%s/out/manifest-folder2-001.tsv' --out '%s/replay'",
                model, dir, dir, dir);
    if (rc != 0)
        fail_msg("replay failed (%d): %s", rc, out);
    free(out);
    int m;
    snprintf(path, sizeof path, "%s/replay/run-001/ballots.jsonl", dir);
    json_object **again = read_jsonl(path, &m);
    assert_int_equal(m, n);
    for (int i = 0; i < m; i++) {
        int same = 0;
        for (int k = 0; k < n; k++)
            same += strcmp(json_object_to_json_string(again[i]),
                           json_object_to_json_string(rec[k])) == 0;
        if (same != 1)
            fail_msg("replayed record %d matches %d records of the live scan", i + 1, same);
    }
    free_jsonl(again, m);

    /* One byte added to one archived file: refused, named, nothing counted. */
    snprintf(path, sizeof path, "%s/ballot-04.tif", folder[1]);
    FILE *f = fopen(path, "a");
    assert_non_null(f);
    fputc(0, f);
    fclose(f);
    rc = th_run(&out, "scan --model '%s' --source 'replay:%s/out/manifest-folder2-001.tsv' "
                      "--out '%s/replay2'", model, dir, dir);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "ballot-04.tif"));
    assert_non_null(strstr(out, "altered"));
    assert_non_null(strstr(out, "nothing counted"));
    free(out);
    snprintf(path, sizeof path, "%s/replay2/run-001", dir);
    assert_false(exists(path));

    free_jsonl(rec, n);
    th_rmtree(dir);
    free(dir);
    free(model);
}

/* Ctrl-C (SIGINT) while a hot folder is watched: every file already
 * complete is counted, every output written, exit 0. */
static void test_scan_interrupt_finishes_and_writes_everything(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(SCAN_MODEL), *out = NULL;
    char src[4][4200], sha[4][ST_SHA256_HEX_LEN], folder[4300], path[4400], log[4400];
    scan_synth_files(dir, "src", 4, 29, src, sha);
    snprintf(folder, sizeof folder, "%s/in", dir);
    assert_int_equal(mkdir(folder, 0755), 0);
    snprintf(log, sizeof log, "%s/scan.log", dir);
    pid_t pid = scan_spawn(log, "scan --model '%s' --source 'folder:%s' --settle-ms 200 "
                           "--out '%s/out'", model, folder, dir);
    for (int i = 0; i < 4; i++) {
        size_t len;
        char *bytes = th_slurp(src[i], &len);
        snprintf(path, sizeof path, "%s/b%d.tif", folder, i);
        write_like_a_scanner(path, bytes, len, 1);
        free(bytes);
    }
    /* Wait until the store has them, then press Ctrl-C. */
    snprintf(path, sizeof path, "%s/out/run-001/ballots.jsonl", dir);
    double end = scan_now() + 60;
    for (;;) {
        char *t = th_slurp(path, NULL);
        int lines = 0;
        for (char *p = t; p && *p; p++)
            lines += *p == '\n';
        free(t);
        if (lines == 4 || scan_now() > end)
            break;
        scan_sleep_ms(100);
    }
    scan_sleep_ms(300); /* the window's commit */
    kill(pid, SIGINT);
    int rc = scan_reap(pid);
    out = th_slurp(log, NULL);
    if (rc != 0)
        fail_msg("scan after Ctrl-C: %d: %s", rc, out);
    assert_non_null(strstr(out, "(stopped)"));
    free(out);
    int n;
    snprintf(path, sizeof path, "%s/out/run-001/ballots.jsonl", dir);
    json_object **rec = read_jsonl(path, &n);
    free_jsonl(rec, n);
    assert_int_equal(n, 4);
    snprintf(path, sizeof path, "%s/out/manifest-folder1-001.tsv", dir);
    assert_int_equal(manifest_lines(path), 4);
    snprintf(path, sizeof path, "%s/out/tally.csv", dir);
    assert_true(exists(path));
    th_rmtree(dir);
    free(dir);
    free(model);
}

/* ---- separator sheets ----------------------------------------------------- */

/* Write the sheet of station at dpi, turned `turns` quarter turns. */
static void write_sheet(const char *path, const char *station, int batch, int dpi, int turns)
{
    st_error err = {0};
    st_sheet s;
    st_image *img = NULL;
    assert_st_ok(st_sheet_make(station, batch, NULL, &s, &err), &err);
    assert_st_ok(st_sheet_render(&s, dpi, &img, &err), &err);
    for (int t = 0; t < turns; t++) {
        st_image *r = st_image_new(img->h, img->w, 1, 255);
        assert_non_null(r);
        for (int y = 0; y < img->h; y++)
            for (int x = 0; x < img->w; x++)
                r->px[(size_t)x * r->stride + (size_t)(img->h - 1 - y)] =
                    img->px[(size_t)y * img->stride + (size_t)x];
        r->dpi = img->dpi;
        st_image_free(img);
        img = r;
    }
    assert_st_ok(st_tiff_write(path, img, ST_TIFF_GREY_JPEG, 85, &err), &err);
    st_image_free(img);
}

/* Records of the mixed stack: ballots in order with their stations; the
 * 12th is the unusable sheet. */
static void check_stations(json_object **rec, int n, const char *const *station_of,
                           char (*sha)[ST_SHA256_HEX_LEN])
{
    for (int i = 0, b = 0; i < n; i++) {
        const char *got = jstr(rec[i], "station");
        if (i == 11) {
            json_object *reasons;
            assert_string_equal(jstr(rec[i], "outcome"), "rejected");
            assert_true(json_object_object_get_ex(rec[i], "reasons", &reasons));
            assert_string_equal(
                json_object_get_string(json_object_array_get_idx(reasons, 0)),
                "separator_sheet_unusable");
            assert_non_null(strstr(jstr(rec[i], "message"), "STEMTEL-SHEET/9"));
            assert_null(got);
            continue;
        }
        assert_string_equal(jstr(rec[i], "sha256"), sha[b++]);
        if (!station_of[i] ? got != NULL : !got || strcmp(got, station_of[i]) != 0)
            fail_msg("record %d: station %s, expected %s", i + 1, got ? got : "none",
                     station_of[i] ? station_of[i] : "none");
    }
}

/* Write a page whose QR code says text (a sheet code this version cannot
 * use), at 200 dpi. */
static void write_bad_sheet(const char *path, const char *text)
{
    st_error err = {0};
    int w = st_mm_to_px(ST_SHEET_W_MM, 200), h = st_mm_to_px(ST_SHEET_H_MM, 200);
    cairo_surface_t *sf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    cairo_t *cr = cairo_create(sf);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_scale(cr, 200 / 25.4, 200 / 25.4);
    cairo_set_source_rgb(cr, 0, 0, 0);
    assert_st_ok(st_sheet_draw_code(cr, text, 50, 90, 110, &err), &err);
    cairo_destroy(cr);
    cairo_surface_flush(sf);
    st_image *img = st_image_new(w, h, 1, 255);
    assert_non_null(img);
    img->dpi = 200;
    const uint8_t *px = cairo_image_surface_get_data(sf);
    int stride = cairo_image_surface_get_stride(sf);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            img->px[(size_t)y * img->stride + (size_t)x] = px[(size_t)y * stride + 4 * x];
    cairo_surface_destroy(sf);
    assert_st_ok(st_tiff_write(path, img, ST_TIFF_GREY_LZW, 0, &err), &err);
    st_image_free(img);
}

/* A mixed stack of three polling stations behind separator sheets (200
 * and 300 dpi, one fed upside down, one turned a quarter), with two
 * ballots before any sheet and, at the end, a sheet of a later version
 * and one more ballot: each ballot gets the right station (none after
 * the sheet that cannot be used), in the records, the store and the
 * manifests; `verify` finds the store as read; `count` splits it the
 * same way. */
static void test_scan_mixed_stack_of_three_stations_is_split(void **state)
{
    char *dir = th_tmpdir(), *model = th_root(SCAN_MODEL), *out = NULL;
    char src[12][4200], sha[12][ST_SHA256_HEX_LEN], in[4300], path[4400], name[4400];
    /* stack order: 2 ballots, SB1, 3 ballots, SB2, 3 ballots, SB3, 3 ballots,
     * an unusable sheet (record 12), 1 ballot */
    static const char *const station_of[] = {
        "0668::SB9", "0668::SB9", "0668::SB1", "0668::SB1", "0668::SB1", "0668::SB2",
        "0668::SB2", "0668::SB2", "0668::SB3", "0668::SB3", "0668::SB3", NULL, NULL};
    scan_synth_files(dir, "src", 12, 31, src, sha);
    snprintf(in, sizeof in, "%s/stack", dir);
    assert_int_equal(mkdir(in, 0755), 0);
    int pos = 0, b = 0;
    for (int part = 0; part < 5; part++) {
        if (part == 1) {
            snprintf(name, sizeof name, "%s/%03d.tif", in, pos++);
            write_sheet(name, "0668::SB1", 1, 200, 0);
        } else if (part == 2) {
            snprintf(name, sizeof name, "%s/%03d.tif", in, pos++);
            write_sheet(name, "0668::SB2", 2, 300, 2); /* upside down */
        } else if (part == 3) {
            snprintf(name, sizeof name, "%s/%03d.tif", in, pos++);
            write_sheet(name, "0668::SB3", 3, 200, 1);
        } else if (part == 4) {
            snprintf(name, sizeof name, "%s/%03d.tif", in, pos++);
            write_bad_sheet(name, "STEMTEL-SHEET/9 station=0668::SB7");
        }
        for (int k = 0; k < (part == 0 ? 2 : part == 4 ? 1 : 3); k++, b++) {
            size_t len;
            char *bytes = th_slurp(src[b], &len);
            snprintf(name, sizeof name, "%s/%03d.tif", in, pos++);
            FILE *f = fopen(name, "wb");
            assert_non_null(f);
            assert_int_equal(fwrite(bytes, 1, len, f), len);
            fclose(f);
            free(bytes);
        }
    }
    int rc = th_run(&out, "scan --model '%s' --source 'folder:%s' --station 0668::SB9 "
                          "--settle-ms 100 --idle 1 --out '%s/out'", model, in, dir);
    if (rc != 0)
        fail_msg("scan failed (%d): %s", rc, out);
    assert_non_null(strstr(out, "3 separator sheets"));
    free(out);

    int n;
    snprintf(path, sizeof path, "%s/out/run-001/ballots.jsonl", dir);
    json_object **rec = read_jsonl(path, &n);
    assert_int_equal(n, 13);
    check_stations(rec, n, station_of, sha);
    free_jsonl(rec, n);
    snprintf(path, sizeof path, "%s/out/run-001/sheets.jsonl", dir);
    rec = read_jsonl(path, &n);
    assert_int_equal(n, 3);
    assert_string_equal(jstr(rec[1], "station"), "0668::SB2");
    free_jsonl(rec, n);
    /* One manifest per batch: before the first sheet, then one per sheet
     * (the unusable one included). */
    static const int files_in[] = {2, 4, 4, 4, 2};
    for (int k = 1; k <= 5; k++) {
        snprintf(path, sizeof path, "%s/out/manifest-folder1-%03d.tsv", dir, k);
        assert_int_equal(manifest_lines(path), files_in[k - 1]);
    }
    /* The store holds each station's ballots. */
    for (int s = 1; s <= 3; s++) {
        rc = th_run(&out, "tally --store '%s/out/stemtel.db' --station 0668::SB%d "
                          "--out '%s/t%d'", dir, s, dir, s);
        assert_int_equal(rc, 0);
        free(out);
        snprintf(path, sizeof path, "%s/t%d/tally.json", dir, s);
        assert_int_equal(tally_pages(path), 3);
    }
    /* `count` on the same stack assigns the same stations. */
    rc = th_run(&out, "count --model '%s' --station 0668::SB9 --out '%s/count' '%s'", model,
                dir, in);
    assert_int_equal(rc, 0);
    free(out);
    snprintf(path, sizeof path, "%s/count/ballots.jsonl", dir);
    rec = read_jsonl(path, &n);
    assert_int_equal(n, 13);
    check_stations(rec, n, station_of, sha);
    free_jsonl(rec, n);
    /* verify reads every stored page again as scan did. */
    rc = th_run(&out, "verify --store '%s/out/stemtel.db'", dir);
    if (rc != 0)
        fail_msg("verify found differences (%d): %s", rc, out);
    free(out);
    th_rmtree(dir);
    free(dir);
    free(model);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_sane_test_device_pages_become_rejected_pages),
        cmocka_unit_test(test_scan_unknown_sane_device_is_a_clear_error),
        cmocka_unit_test(test_scan_unlisted_station_is_refused_up_front),
        cmocka_unit_test(test_scan_hot_folders_count_each_ballot_once_across_restarts),
        cmocka_unit_test(test_scan_interrupt_finishes_and_writes_everything),
        cmocka_unit_test(test_scan_mixed_stack_of_three_stations_is_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
