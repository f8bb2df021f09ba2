/* clock.h - seconds for measuring how long work takes, and the wall time */
#ifndef STEMTEL_CLOCK_H
#define STEMTEL_CLOCK_H

#ifdef __cplusplus
extern "C" {
#endif

/* Seconds on the monotonic clock (CLOCK_MONOTONIC): only differences mean
 * anything. Thread-safe. */
double st_clock_now(void);

/* Seconds since the Unix epoch on the wall clock (CLOCK_REALTIME), with
 * fractions: a time other processes on the machine can compare with.
 * Thread-safe. */
double st_clock_wall(void);

#ifdef __cplusplus
}
#endif

#endif
