/* rng.h - small seeded pseudo-random generator with independent streams
 *
 * xoshiro256** seeded through splitmix64. A stream is named by (seed, a, b):
 * synth uses a = ballot index and b = purpose, so every ballot draws the same
 * numbers whichever thread makes it and in whatever order. Not for secrets.
 * An st_rng is plain state: one per thread or per ballot, never shared.
 */
#ifndef STEMTEL_RNG_H
#define STEMTEL_RNG_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct st_rng {
    uint64_t s[4];
} st_rng;

/* Seed r with the stream named (seed, a, b). Distinct names give
 * statistically independent sequences. */
void st_rng_init(st_rng *r, uint64_t seed, uint64_t a, uint64_t b);

/* Next 64 random bits. */
uint64_t st_rng_next(st_rng *r);

/* Uniform double in [0, 1), 53 bits. */
double st_rng_unit(st_rng *r);

/* Uniform double in [lo, hi). */
double st_rng_range(st_rng *r, double lo, double hi);

/* Uniform integer in [0, n); returns 0 when n <= 0. Unbiased. */
int st_rng_int(st_rng *r, int n);

/* 1 with probability p. */
int st_rng_chance(st_rng *r, double p);

/* Standard normal deviate (Box-Muller, one value per call). */
double st_rng_normal(st_rng *r);

/* Index drawn from weights w[0..n-1] (>= 0, not all 0); -1 if all are 0. */
int st_rng_pick(st_rng *r, const double *w, int n);

#ifdef __cplusplus
}
#endif

#endif
