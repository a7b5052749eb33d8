/*
 * Parsing and formatting of simulated time.  Integer arithmetic only: a
 * duration such as "0.1s" is exactly 100000000 ns, never a rounded double.
 */
#include "sim/time.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

int sim_time_parse(const char *text, sim_time *out, const char **end)
{
    const char *p = text;
    bool neg = false;
    uint64_t whole = 0, frac = 0, fracscale = 1;
    int ndig = 0;

    if (*p == '-') {
        neg = true;
        p++;
    }
    while (isdigit((unsigned char)*p)) {
        if (whole > (UINT64_MAX - 9) / 10)
            goto bad;
        whole = whole * 10 + (uint64_t)(*p - '0');
        p++;
        ndig++;
    }
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            goto bad; /* "1." or "1.s" */
        while (isdigit((unsigned char)*p)) {
            if (fracscale >= 1000000000000000000ull)
                goto bad; /* more than 18 decimals */
            frac = frac * 10 + (uint64_t)(*p - '0');
            fracscale *= 10;
            p++;
            ndig++;
        }
    }
    if (ndig == 0)
        goto bad;

    uint64_t unit; /* ns per unit */
    if (strncmp(p, "ns", 2) == 0) {
        unit = 1;
        p += 2;
    } else if (strncmp(p, "us", 2) == 0) {
        unit = 1000;
        p += 2;
    } else if (strncmp(p, "ms", 2) == 0) {
        unit = 1000000;
        p += 2;
    } else if (*p == 's') {
        unit = 1000000000;
        p += 1;
    } else if (*p == 'm' && p[1] != 's') {
        unit = 60ull * 1000000000;
        p += 1;
    } else if (*p == 'h') {
        unit = 3600ull * 1000000000;
        p += 1;
    } else {
        unit = 1000000000; /* bare number: seconds */
    }
    if (isalnum((unsigned char)*p) || *p == '.')
        goto bad;

    if (whole > (uint64_t)INT64_MAX / unit)
        goto bad;
    uint64_t ns = whole * unit;
    /* frac / fracscale * unit must be an exact number of ns */
    if (frac) {
        if (unit % fracscale != 0) {
            /* allow only when it divides exactly */
            __uint128_t num = (__uint128_t)frac * unit;
            if (num % fracscale != 0)
                goto bad;
            ns += (uint64_t)(num / fracscale);
        } else {
            ns += frac * (unit / fracscale);
        }
    }
    if (ns > (uint64_t)INT64_MAX)
        goto bad;
    *out = neg ? -(sim_time)ns : (sim_time)ns;
    if (end)
        *end = p;
    return 0;
bad:
    if (end)
        *end = p;
    return -1;
}

size_t sim_time_format(char *buf, size_t n, sim_time t)
{
    uint64_t a = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    int r = snprintf(buf, n, "%s%llu.%09llu", t < 0 ? "-" : "",
                     (unsigned long long)(a / 1000000000u),
                     (unsigned long long)(a % 1000000000u));
    return r < 0 ? 0 : (size_t)r;
}

size_t sim_time_format_short(char *buf, size_t n, sim_time t)
{
    uint64_t a = t < 0 ? (uint64_t)0 - (uint64_t)t : (uint64_t)t;
    const char *sign = t < 0 ? "-" : "";
    int r;
    if (a == 0)
        r = snprintf(buf, n, "0s");
    else if (a % 1000000000u == 0)
        r = snprintf(buf, n, "%s%llus", sign, (unsigned long long)(a / 1000000000u));
    else if (a < 1000000000u && a % 1000000u == 0)
        r = snprintf(buf, n, "%s%llums", sign, (unsigned long long)(a / 1000000u));
    else if (a < 1000000u && a % 1000u == 0)
        r = snprintf(buf, n, "%s%lluus", sign, (unsigned long long)(a / 1000u));
    else if (a < 1000u)
        r = snprintf(buf, n, "%s%lluns", sign, (unsigned long long)a);
    else {
        /* seconds with the decimals needed, trailing zeros removed */
        char frac[16];
        snprintf(frac, sizeof(frac), "%09llu", (unsigned long long)(a % 1000000000u));
        size_t k = strlen(frac);
        while (k > 1 && frac[k - 1] == '0')
            frac[--k] = '\0';
        r = snprintf(buf, n, "%s%llu.%ss", sign, (unsigned long long)(a / 1000000000u), frac);
    }
    return r < 0 ? 0 : (size_t)r;
}
