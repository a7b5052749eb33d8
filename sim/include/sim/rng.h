/*
 * Deterministic random numbers with independent streams.
 *
 * Every entity draws from its own stream, derived from the world seed and a
 * stable stream name ("guest/link-watch", "host/source/migration"), so adding
 * an entity or a draw in one place never changes the numbers another entity
 * sees.  The generator is xoshiro256** seeded through splitmix64; the output
 * for a given (seed, name) is fixed forever (golden tests guard it).
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

#include "sim/time.h"

struct sim_rng {
    uint64_t s[4];
};

/* Seed a stream from a world seed and a stream name (borrowed). */
void sim_rng_init(struct sim_rng *r, uint64_t seed, const char *stream);

uint64_t sim_rng_next(struct sim_rng *r);

/* Uniform integer in [0, n); n > 0.  Unbiased (rejection sampling). */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);

/* Uniform duration in [lo, hi]; lo <= hi. */
sim_time sim_rng_between(struct sim_rng *r, sim_time lo, sim_time hi);

/* A locally administered unicast MAC address (random MAC, as Linux makes). */
void sim_rng_mac(struct sim_rng *r, uint8_t mac[6]);

#endif
