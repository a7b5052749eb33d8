/*
 * Shards: which contiguous block of a campaign a shard K/N runs, and the
 * marker its report carries (see sim/include/sim/shard.h).
 */
#include "sim/shard.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decimal number without sign or leading blanks; -1 if not one. */
static int parse_num(const char *s, const char **end, uint64_t *out)
{
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *e;
    unsigned long long v = strtoull(s, &e, 10);
    if (errno)
        return -1;
    *out = v;
    *end = e;
    return 0;
}

int shard_parse(const char *text, const char *what, struct shard *out, struct sim_err *err)
{
    const char *p = text;
    uint64_t k, n;
    if (parse_num(p, &p, &k) != 0 || *p++ != '/' || parse_num(p, &p, &n) != 0 || *p)
        return sim_errf(err, "%s expects K/N (shard K of N, 1 <= K <= N), got '%s'", what, text);
    if (n < 1 || n > SHARD_MAX || k < 1 || k > n)
        return sim_errf(err, "%s %s: K must be from 1 to N and N from 1 to %u", what, text,
                        SHARD_MAX);
    *out = (struct shard){ (uint32_t)k, (uint32_t)n };
    return 0;
}

void shard_block(struct shard s, size_t total, size_t *first, size_t *last)
{
    /* no overflow: k <= SHARD_MAX and total < 2^40 (shard_marker_parse bounds it) */
    *first = (size_t)((uint64_t)(s.k - 1) * total / s.n);
    *last = (size_t)((uint64_t)s.k * total / s.n);
}

bool shard_has(struct shard s, size_t i, size_t total)
{
    size_t first, last;
    shard_block(s, total, &first, &last);
    return i >= first && i < last;
}

size_t shard_marker(char *buf, size_t n, struct shard s, size_t total)
{
    size_t first, last;
    shard_block(s, total, &first, &last);
    int r;
    if (first == last)
        r = snprintf(buf, n, "%s %" PRIu32 "/%" PRIu32 ": items none of %zu", SHARD_MARKER, s.k,
                     s.n, total);
    else
        r = snprintf(buf, n, "%s %" PRIu32 "/%" PRIu32 ": items %zu-%zu of %zu", SHARD_MARKER,
                     s.k, s.n, first + 1, last, total);
    return r < 0 ? 0 : (size_t)r;
}

int shard_marker_parse(const char *text, struct shard *s, size_t *first, size_t *last,
                       size_t *total)
{
    size_t ml = strlen(SHARD_MARKER);
    const char *p = text;
    uint64_t k, n, a = 0, b = 0, t;
    if (strncmp(p, SHARD_MARKER " ", ml + 1) != 0)
        return -1;
    p += ml + 1;
    if (parse_num(p, &p, &k) != 0 || *p++ != '/' || parse_num(p, &p, &n) != 0 ||
        strncmp(p, ": items ", 8) != 0)
        return -1;
    p += 8;
    bool none = strncmp(p, "none", 4) == 0;
    if (none)
        p += 4;
    else if (parse_num(p, &p, &a) != 0 || *p++ != '-' || parse_num(p, &p, &b) != 0)
        return -1;
    if (strncmp(p, " of ", 4) != 0 || parse_num(p + 4, &p, &t) != 0 || *p)
        return -1;
    if (n < 1 || n > SHARD_MAX || k < 1 || k > n || t > ((uint64_t)1 << 40) ||
        (!none && (a < 1 || a > b || b > t)))
        return -1;
    struct shard sh = { (uint32_t)k, (uint32_t)n };
    size_t f, l;
    shard_block(sh, (size_t)t, &f, &l);
    /* the block must be the one shard K/N of T runs */
    if (none ? f != l : (f != a - 1 || l != b))
        return -1;
    *s = sh;
    *first = f;
    *last = l;
    *total = (size_t)t;
    return 0;
}
