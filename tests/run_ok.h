/* run_ok.h - run the stemtel command in a test and insist that it succeeds
 *
 * For tests that drive the command line step by step (synth, count, review,
 * export ...), where any failing step should stop the test with the
 * command's own output in the report.
 */
#ifndef STEMTEL_TEST_RUN_OK_H
#define STEMTEL_TEST_RUN_OK_H

#include <stdlib.h>

#include "helpers.h"

/* th_run(...) and fail the test, showing the output, unless it exits 0. */
#define RUN_OK(...)                                                         \
    do {                                                                    \
        char *out_ = NULL;                                                  \
        int rc_ = th_run(&out_, __VA_ARGS__);                               \
        if (rc_ != 0)                                                       \
            fail_msg("exit %d: %s", rc_, out_ ? out_ : "");                 \
        free(out_);                                                         \
    } while (0)

#endif
