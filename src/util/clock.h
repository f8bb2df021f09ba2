/* clock.h - seconds for measuring how long work takes */
#ifndef STEMTEL_CLOCK_H
#define STEMTEL_CLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds on the monotonic clock (CLOCK_MONOTONIC): only differences mean
 * anything. Thread-safe. */
double st_clock_now(void);

#ifdef __cplusplus
}
#endif

#endif
