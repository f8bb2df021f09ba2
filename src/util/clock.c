/* clock.c - seconds for measuring how long work takes */
#include "util/clock.h"

#include <time.h>

double st_clock_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}
