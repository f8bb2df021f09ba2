/* rng.c - xoshiro256** with splitmix64 seeding and named streams
 *
 * A stream's state is four splitmix64 outputs of a key that mixes the seed
 * with the two stream coordinates, so neighbouring ballot indexes start far
 * apart. Everything is integer arithmetic except the unit/normal helpers,
 * which use only IEEE operations (and log/cos/sqrt for the normal), so a
 * given build produces the same numbers on every run and thread.
 */
#include "synth/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void st_rng_init(st_rng *r, uint64_t seed, uint64_t a, uint64_t b)
{
    /* Hash the coordinates one after the other, so (seed, a, b) and
     * (seed, b, a) name different streams. */
    uint64_t k = seed;
    uint64_t h = splitmix64(&k);
    k = h ^ a;
    h = splitmix64(&k);
    k = h ^ (b * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&k);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1; /* the all-zero state is a fixed point */
}

uint64_t st_rng_next(st_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

double st_rng_unit(st_rng *r)
{
    return (double)(st_rng_next(r) >> 11) * 0x1.0p-53;
}

double st_rng_range(st_rng *r, double lo, double hi)
{
    return lo + (hi - lo) * st_rng_unit(r);
}

int st_rng_int(st_rng *r, int n)
{
    if (n <= 0)
        return 0;
    /* Rejection keeps small ranges exactly uniform. */
    uint64_t lim = UINT64_MAX - UINT64_MAX % (uint64_t)n;
    uint64_t v;
    do
        v = st_rng_next(r);
    while (v >= lim);
    return (int)(v % (uint64_t)n);
}

int st_rng_chance(st_rng *r, double p)
{
    return st_rng_unit(r) < p;
}

double st_rng_normal(st_rng *r)
{
    double u = 1.0 - st_rng_unit(r); /* (0, 1]: log stays finite */
    double v = st_rng_unit(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

int st_rng_pick(st_rng *r, const double *w, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += w[i] > 0 ? w[i] : 0;
    if (total <= 0)
        return -1;
    double x = st_rng_unit(r) * total;
    int last = -1;
    for (int i = 0; i < n; i++) {
        if (w[i] <= 0)
            continue;
        last = i;
        if (x < w[i])
            return i;
        x -= w[i];
    }
    return last; /* rounding left x a hair above the sum */
}
