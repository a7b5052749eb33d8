/*
 * Random streams: xoshiro256** (Blackman and Vigna), each stream seeded by
 * splitmix64 from the world seed mixed with an FNV-1a hash of the stream's
 * name.  The mapping (seed, name) -> sequence is part of fosim's
 * reproducibility promise; tests pin golden values.
 */
#include "sim/rng.h"

#include "sim/err.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

void sim_rng_init(struct sim_rng *r, uint64_t seed, const char *stream)
{
    uint64_t x = seed ^ fnv1a(stream ? stream : "");
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3]))
        r->s[0] = 1; /* the all-zero state is a fixed point */
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t sim_rng_next(struct sim_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
    SIM_ASSERT(n > 0);
    uint64_t limit = UINT64_MAX - UINT64_MAX % n; /* reject the biased tail */
    uint64_t x;
    do
        x = sim_rng_next(r);
    while (x >= limit);
    return x % n;
}

sim_time sim_rng_between(struct sim_rng *r, sim_time lo, sim_time hi)
{
    SIM_ASSERT(lo <= hi);
    uint64_t span = (uint64_t)(hi - lo);
    if (span == UINT64_MAX)
        return (sim_time)sim_rng_next(r);
    return lo + (sim_time)sim_rng_below(r, span + 1);
}

void sim_rng_mac(struct sim_rng *r, uint8_t mac[6])
{
    uint64_t x = sim_rng_next(r);
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)(x >> (8 * i));
    mac[0] = (uint8_t)((mac[0] & 0xfe) | 0x02); /* unicast, locally administered */
}
