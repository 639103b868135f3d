/*
 * The simulators' PRNG: splitmix64, one stream per purpose.
 *
 * Everything random in a simulated run comes from its seed through these,
 * never from rand() or the clock, so a seed replays exactly. Shared by the
 * membership simulator (tests/sim/) and the Paxos one (tests/paxos-sim/);
 * it holds no state of its own.
 */
#ifndef ROLLCALL_SIM_RNG_H
#define ROLLCALL_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A stream of its own for each purpose, so that (say) one more fault does
 * not reshuffle every network delay of the run. */
static inline void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	struct rng mix = { seed ^ (stream * UINT64_C(0xd1b54a32d192ed03)) };
	r->s = rng_next(&mix);
}

/* Uniform in [0, n); n == 0 gives 0. The modulo bias is negligible here. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* Uniform in [lo, hi]. */
static inline int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	return hi <= lo ? lo : lo + (int64_t)rng_below(r, (uint64_t)(hi - lo) + 1);
}

static inline bool rng_chance(struct rng *r, double p)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53 < p;
}

#endif
