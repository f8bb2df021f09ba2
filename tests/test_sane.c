/* test_sane.c - scanning through SANE, against SANE's own test device
 *
 * The `test` backend of Debian's sane-backends behaves like a scanner
 * with a document feeder that empties after ten sheets; it draws known
 * pictures (solid black, a grid, a colour pattern) of a set size, and can
 * be told to fail (paper jam). The pages it gives are not ballots: written
 * as TIFF and counted with `stemtel count`, each must become a rejected
 * page with its reason, none lost.
 *
 * Every SANE session runs in a child process that sends its pages and
 * final status back through a pipe. The test backend reads in a thread
 * that sane_cancel kills asynchronously; now and then that leaves a libc
 * lock (malloc's, setlocale's) held for good, and the next call that
 * needs it hangs. In a child that cannot spread to the other tests, and a
 * watchdog turns a hang into a failure.
 */
#include "helpers.h"
#include "scan_fixture.h"
#include "stemtel/sane.h"
#include "stemtel/tiffout.h"

#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* SANE's test device draws an 80 x 100 mm page by default. */
#define PAGE_W_MM 80.0
#define PAGE_H_MM 100.0
#define MAX_PAGES 16
#define WATCHDOG_S 60

typedef struct session {
    int rc;                     /* ST_OK, or the error st_sane_* gave */
    char msg[ST_ERROR_MAX];
    int pages;
    st_image *page[MAX_PAGES];
} session;

static volatile pid_t scanner_pid;

static void watchdog(int sig)
{
    if (scanner_pid > 0)
        kill(scanner_pid, SIGKILL);
}

/* In the child: open the test device with o, scan up to max pages, and
 * write "page W H CHANNELS DPI\n" + pixels per page, then "end RC MSG\n". */
static void scanner_child(FILE *out, const st_sane_opts *o, int max)
{
    st_error err = {0};
    st_sane *s = NULL;
    int rc = st_sane_init(&err), pages = 0;
    if (!rc)
        rc = st_sane_open("test", o, &s, &err);
    while (!rc && pages < max) {
        st_image *img = NULL;
        rc = st_sane_next(s, &img, &err);
        if (rc != 1)
            break;
        rc = ST_OK;
        fprintf(out, "page %d %d %d %g\n", img->w, img->h, img->channels, img->dpi);
        for (int y = 0; y < img->h; y++)
            fwrite(img->px + (size_t)y * img->stride, 1, (size_t)img->w * img->channels, out);
        st_image_free(img);
        pages++;
    }
    fprintf(out, "end %d %s\n", rc, rc < 0 ? err.msg : "");
    fflush(out);
    st_sane_close(s);
}

/* Run one session on the test device in a child process. */
static session scan(const st_sane_opts *o, int max)
{
    session r = {0};
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        FILE *out = fdopen(fds[1], "w");
        if (out)
            scanner_child(out, o, max);
        _exit(0); /* never back into cmocka in the child */
    }
    close(fds[1]);
    scanner_pid = pid;
    signal(SIGALRM, watchdog);
    alarm(WATCHDOG_S);
    FILE *in = fdopen(fds[0], "r");
    char line[ST_ERROR_MAX + 64];
    int ended = 0;
    while (in && fgets(line, sizeof line, in)) {
        int w, h, ch;
        double dpi;
        if (sscanf(line, "page %d %d %d %lf", &w, &h, &ch, &dpi) == 4 && r.pages < MAX_PAGES) {
            st_image *img = st_image_new(w, h, ch, 0);
            assert_non_null(img);
            img->dpi = dpi;
            size_t n = img->stride * (size_t)h;
            assert_int_equal(fread(img->px, 1, n, in), n);
            r.page[r.pages++] = img;
        } else if (sscanf(line, "end %d", &r.rc) == 1) {
            char *msg = strchr(line + 4, ' ');
            snprintf(r.msg, sizeof r.msg, "%s", msg ? msg + 1 : "");
            r.msg[strcspn(r.msg, "\n")] = '\0';
            ended = 1;
            break;
        }
    }
    if (in)
        fclose(in);
    int status = 0;
    waitpid(pid, &status, 0);
    alarm(0);
    scanner_pid = 0;
    if (!ended)
        fail_msg("the SANE session did not finish (hung and killed after %d s, or "
                 "crashed: status %d)", WATCHDOG_S, status);
    return r;
}

static void session_free(session *r)
{
    for (int i = 0; i < r->pages; i++)
        st_image_free(r->page[i]);
    r->pages = 0;
}

static void test_sane_reads_every_feeder_page_in_gray_at_200_dpi(void **state)
{
    const char *extra[] = {"test-picture=Solid black", NULL};
    st_sane_opts o = {.dpi = 200, .mode = "gray", .source = "adf", .extra = extra};
    session r = scan(&o, MAX_PAGES);
    if (r.rc)
        fail_msg("%d: %s", r.rc, r.msg);
    /* The feeder holds ten sheets; the eleventh call finds it empty. */
    assert_int_equal(r.pages, 10);
    for (int i = 0; i < r.pages; i++) {
        const st_image *img = r.page[i];
        assert_int_equal(img->channels, 1);
        assert_true(img->dpi == 200);
        assert_int_equal(img->w, (int)(PAGE_W_MM / 25.4 * 200));
        assert_int_equal(img->h, (int)(PAGE_H_MM / 25.4 * 200));
        for (int y = 0; y < img->h; y += 7)
            for (int x = 0; x < img->w; x += 5)
                assert_int_equal(img->px[(size_t)y * img->stride + x], 0);
    }
    session_free(&r);
}

static void test_sane_reads_colour_at_300_dpi(void **state)
{
    const char *extra[] = {"test-picture=Color pattern", NULL};
    st_sane_opts o = {.dpi = 300, .mode = "color", .source = "adf", .extra = extra};
    session r = scan(&o, 1);
    if (r.rc)
        fail_msg("%d: %s", r.rc, r.msg);
    assert_int_equal(r.pages, 1);
    const st_image *img = r.page[0];
    assert_int_equal(img->channels, 3);
    assert_true(img->dpi == 300);
    assert_int_equal(img->w, (int)(PAGE_W_MM / 25.4 * 300));
    /* A colour pattern: somewhere red, green and blue differ a lot. */
    int coloured = 0;
    for (int y = 0; y < img->h; y += 11)
        for (int x = 0; x < img->w; x += 3) {
            const uint8_t *p = img->px + (size_t)y * img->stride + 3 * (size_t)x;
            coloured += abs(p[0] - p[1]) > 100 || abs(p[1] - p[2]) > 100;
        }
    assert_true(coloured > 100);
    session_free(&r);
}

static void test_sane_reads_lineart_and_16_bit_gray(void **state)
{
    const char *white[] = {"test-picture=Solid white", NULL};
    st_sane_opts o = {.dpi = 150, .mode = "lineart", .source = "adf", .extra = white};
    session r = scan(&o, 1);
    if (r.rc)
        fail_msg("%d: %s", r.rc, r.msg);
    const st_image *img = r.page[0];
    assert_int_equal(img->channels, 1);
    for (size_t i = 0; i < (size_t)img->w; i++)
        assert_int_equal(img->px[(size_t)(img->h / 2) * img->stride + i], 255);
    session_free(&r);

    const char *deep[] = {"depth=16", "test-picture=Grid", NULL};
    st_sane_opts o16 = {.dpi = 100, .mode = "gray", .extra = deep};
    r = scan(&o16, 1);
    if (r.rc)
        fail_msg("%d: %s", r.rc, r.msg);
    img = r.page[0];
    /* A grid: black and white both present after taking the high byte. */
    int black = 0, white_px = 0;
    for (size_t i = 0; i < img->stride * (size_t)img->h; i++) {
        black += img->px[i] == 0;
        white_px += img->px[i] == 255;
    }
    assert_true(black > 100);
    assert_true(white_px > 100);
    session_free(&r);
}

static void test_sane_paper_jam_is_an_error_naming_the_device(void **state)
{
    const char *extra[] = {"read-return-value=SANE_STATUS_JAMMED", NULL};
    st_sane_opts o = {.dpi = 75, .mode = "gray", .source = "adf", .extra = extra};
    session r = scan(&o, 1);
    assert_int_equal(r.rc, ST_ERR_IO);
    assert_int_equal(r.pages, 0);
    assert_non_null(strstr(r.msg, "sane: test: page 1"));
    assert_non_null(strstr(r.msg, "jammed"));
}

static void test_sane_refuses_unknown_devices_options_and_values(void **state)
{
    static const struct {
        const char *mode, *source, *extra, *extra2;
        int dpi, code;
        const char *says;
    } bad[] = {
        {"sepia", NULL, NULL, NULL, 0, ST_ERR_ARG, "mode \"sepia\""},
        {NULL, "duplex", NULL, NULL, 0, ST_ERR_ARG, "no duplex source; it offers \"Flatbed\""},
        {NULL, NULL, "no-such-option=1", NULL, 0, ST_ERR_ARG, "no option \"no-such-option\""},
        {NULL, NULL, "test-picture=Stripes", NULL, 0, ST_ERR_ARG, "it offers \"Solid black\""},
        {NULL, NULL, "hand-scanner=perhaps", NULL, 0, ST_ERR_ARG, "\"perhaps\" is not a value"},
        {NULL, NULL, "depth", NULL, 0, ST_ERR_ARG, "not name=value"},
        {NULL, NULL, NULL, NULL, 5000, ST_ERR_ARG, "cannot scan at 5000 dpi (it would scan at 1200)"},
        /* An option holding a list of numbers is refused, not overrun. */
        {NULL, NULL, "enable-test-options=yes", "int-constraint-array=1", 0, ST_ERR_ARG,
         "\"int-constraint-array\" takes a list"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *extra[] = {bad[i].extra, bad[i].extra2, NULL};
        st_sane_opts o = {.dpi = bad[i].dpi, .mode = bad[i].mode, .source = bad[i].source,
                          .extra = extra};
        session r = scan(&o, 0);
        if (r.rc != bad[i].code || !strstr(r.msg, bad[i].says))
            fail_msg("case %zu: got %d \"%s\"; want %d with \"%s\"", i, r.rc, r.msg,
                     bad[i].code, bad[i].says);
    }
    /* A device that does not exist: in this process, no scanning involved. */
    st_error err = {0};
    st_sane *s = NULL;
    assert_st_ok(st_sane_init(&err), &err);
    assert_int_equal(st_sane_open("nosuchbackend:scanner", NULL, &s, &err), ST_ERR_IO);
    assert_null(s);
    assert_non_null(strstr(err.msg, "cannot open device \"nosuchbackend:scanner\""));
    st_sane_exit();
}

static void test_sane_pages_counted_as_tiff_become_rejected_pages(void **state)
{
    /* What a scan of non-ballots must give: every page a rejected record
     * with its reason, nothing lost, nothing crashing. */
    st_error err = {0};
    const char *extra[] = {"test-picture=Grid", NULL};
    st_sane_opts o = {.dpi = 200, .mode = "gray", .source = "adf", .extra = extra};
    session r = scan(&o, MAX_PAGES);
    if (r.rc)
        fail_msg("%d: %s", r.rc, r.msg);
    assert_int_equal(r.pages, 10);
    char *dir = th_tmpdir(), path[4200];
    for (int i = 0; i < r.pages; i++) {
        snprintf(path, sizeof path, "%s/scan-%02d.tif", dir, i + 1);
        assert_st_ok(st_tiff_write(path, r.page[i], ST_TIFF_GREY_LZW, 0, &err), &err);
    }
    session_free(&r);

    char *model = th_root(SCAN_MODEL), *out = NULL;
    int rc = th_run(&out, "count --model '%s' --out '%s/out' '%s'", model, dir, dir);
    if (rc != 0)
        fail_msg("count failed (%d): %s", rc, out);
    free(out);
    free(model);
    snprintf(path, sizeof path, "%s/out/ballots.jsonl", dir);
    char *text = th_slurp(path, NULL);
    assert_non_null(text);
    int lines = 0;
    for (char *save = NULL, *ln = strtok_r(text, "\n", &save); ln;
         ln = strtok_r(NULL, "\n", &save)) {
        json_object *rec = json_tokener_parse(ln), *v = NULL, *reasons = NULL;
        assert_non_null(rec);
        assert_true(json_object_object_get_ex(rec, "outcome", &v));
        assert_string_equal(json_object_get_string(v), "rejected");
        assert_true(json_object_object_get_ex(rec, "reasons", &reasons));
        assert_true(json_object_array_length(reasons) >= 1);
        lines++;
        json_object_put(rec);
    }
    assert_int_equal(lines, 10);
    free(text);
    th_rmtree(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sane_reads_every_feeder_page_in_gray_at_200_dpi),
        cmocka_unit_test(test_sane_reads_colour_at_300_dpi),
        cmocka_unit_test(test_sane_reads_lineart_and_16_bit_gray),
        cmocka_unit_test(test_sane_paper_jam_is_an_error_naming_the_device),
        cmocka_unit_test(test_sane_refuses_unknown_devices_options_and_values),
        cmocka_unit_test(test_sane_pages_counted_as_tiff_become_rejected_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
