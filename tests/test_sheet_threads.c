/* test_sheet_threads.c - st_sheet_detect on many threads at once
 *
 * The batch runner reads pages on every core, so sheet detection must be
 * safe to call from several threads (each call has its own zbar scanner;
 * libqrencode and zbar keep no shared state we touch). Sheets of
 * different stations and a blank ballot are detected over and over in
 * an OpenMP loop; every answer must be the one a single thread gives.
 * In its own file so it can run under ThreadSanitizer.
 */
#include "helpers.h"
#include "stemtel/model.h"
#include "stemtel/render.h"
#include "stemtel/sheet.h"

#include <omp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define N_SHEETS 4
#define ROUNDS 6

static void test_sheet_detect_gives_the_same_answers_on_parallel_threads(void **state)
{
    st_error err = {0};
    st_image *page[N_SHEETS + 1];
    char want[N_SHEETS + 1][ST_SHEET_ID_MAX];
    for (int i = 0; i < N_SHEETS; i++) {
        st_sheet s;
        snprintf(want[i], sizeof want[i], "0668::SB%d", 20 + i);
        assert_st_ok(st_sheet_make(want[i], i + 1, NULL, &s, &err), &err);
        assert_st_ok(st_sheet_render(&s, 150 + 50 * (i % 2), &page[i], &err), &err);
    }
    /* The last page is a blank ballot: never a sheet. */
    char *path = th_root("models/test-small.json");
    st_model *m = NULL;
    assert_st_ok(st_model_load(path, &m, &err), &err);
    assert_st_ok(st_render_grey(m, 200, &page[N_SHEETS], &err), &err);
    want[N_SHEETS][0] = '\0';
    st_model_free(m);
    free(path);

    int n = (N_SHEETS + 1) * ROUNDS, wrong = 0, errors = 0;
    omp_set_num_threads(4);
#pragma omp parallel for schedule(dynamic, 1) reduction(+ : wrong, errors)
    for (int k = 0; k < n; k++) {
        int i = k % (N_SHEETS + 1), found = -1;
        st_error e = {0};
        st_sheet got;
        if (st_sheet_detect(page[i], ST_SHEET_GREY, &found, &got, &e) != ST_OK)
            errors++;
        else if (found != (want[i][0] != '\0') || (found && strcmp(got.station, want[i]) != 0))
            wrong++;
    }
    print_message("    %d detections on 4 threads: %d wrong, %d errors\n", n, wrong, errors);
    assert_int_equal(errors, 0);
    assert_int_equal(wrong, 0);
    for (int i = 0; i <= N_SHEETS; i++)
        st_image_free(page[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sheet_detect_gives_the_same_answers_on_parallel_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
