/*
 * The QEMU stderr reader (see sim/include/sim/hostlog.h), and the
 * `-msg timestamp=on` stamp format QEMU uses (ISO 8601, UTC, microseconds,
 * "2026-11-25T20:25:06.984300Z"), which the recorder writes too.
 */
#include "sim/hostlog.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/line_reader.h"

struct hostlog_reader {
    struct line_reader lr;
    char *name; /* owned */
    enum obs_host host;
    const struct clock_map *clock;
    sim_time fallback;
    sim_time last;    /* time of the last stamped line (continuations take it) */
    bool have_last;   /* a stamped line was read */
    struct hostlog_stats st;
};

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, int n, unsigned *v)
{
    unsigned x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    *v = x;
    return true;
}

size_t hostlog_parse_stamp(const char *s, sim_time *t)
{
    unsigned y, mo, d, h, mi, se, us;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || s[10] != 'T' || !digits(s + 11, 2, &h) || s[13] != ':' ||
        !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &se) || s[19] != '.' ||
        !digits(s + 20, 6, &us) || s[26] != 'Z')
        return 0;
    /* years past 2200 would overflow nanoseconds since 1970 in 64 bits */
    if (y < 1970 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return 0;
    int64_t days = days_from_civil(y, mo, d);
    *t = ((days * 86400 + h * 3600 + mi * 60 + se) * 1000000 + us) * 1000;
    return 27;
}

size_t hostlog_format_stamp(char *buf, size_t n, sim_time t)
{
    int64_t us = t / 1000, secs = us / 1000000, days = secs / 86400;
    int64_t sod = secs % 86400;
    /* civil_from_days */
    int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    int r = snprintf(buf, n, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u.%06uZ", y, m, d,
                     (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60),
                     (unsigned)(us % 1000000));
    return r < 0 ? 0 : (size_t)r;
}

int hostlog_open(const char *path, const char *name, enum obs_host host,
                 const struct clock_map *clock, sim_time fallback,
                 struct hostlog_reader **out, struct sim_err *err)
{
    struct hostlog_reader *h = calloc(1, sizeof(*h));
    if (!h)
        return sim_errf(err, "%s: out of memory", name);
    h->name = strdup(name);
    if (!h->name) {
        free(h);
        return sim_errf(err, "%s: out of memory", name);
    }
    if (line_reader_open(&h->lr, path, h->name, HOSTLOG_MAX_LINE, err) != 0) {
        free(h->name);
        free(h);
        return -1;
    }
    h->host = host;
    h->clock = clock;
    h->fallback = fallback;
    *out = h;
    return 0;
}

int hostlog_next(struct hostlog_reader *h, struct obs *o, struct sim_err *err)
{
    for (;;) {
        int rc = line_reader_next(&h->lr, err);
        if (rc <= 0)
            return rc;
        char *s = h->lr.buf;
        size_t n = h->lr.len;
        if (n > 0 && s[n - 1] == '\r')
            s[--n] = '\0';
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c != '\0' && ((c < 0x20 && c != '\t') || c == 0x7f)) {
                /* QEMU echoes command-line values verbatim, control bytes
                 * and all ("doesn't take value '...'") */
                s[i] = '?';
                h->st.junk_bytes++;
                continue;
            }
            if (c == '\0')
                return sim_errf(err,
                                "%s:%llu:%zu: expected text (QEMU's messages), found byte 0x%02x "
                                "(byte offset %llu)",
                                h->name, (unsigned long long)h->lr.line, i + 1, c,
                                (unsigned long long)h->lr.offset + i);
        }
        if (n == 0) {
            h->st.blank++;
            continue;
        }
        memset(o, 0, sizeof(*o));
        o->kind = OBS_HOSTLOG;
        o->host = h->host;
        o->origin.file = h->name;
        o->origin.line = h->lr.line;
        sim_time t;
        size_t k = hostlog_parse_stamp(s, &t);
        if (k && s[k] == ' ') {
            o->t = t + clock_map_offset(h->clock, h->lr.line);
            o->u.hostlog.text = s + k + 1;
            h->last = o->t;
            h->have_last = true;
            h->st.stamped++;
        } else if (h->have_last) {
            /* -msg timestamp=on stamps the first line of a message; a line
             * without one after a stamped line continues that message */
            o->t = h->last;
            o->t_approx = true;
            o->u.hostlog.text = s;
            o->u.hostlog.continuation = true;
            h->st.continued++;
        } else {
            o->t = h->fallback;
            o->t_approx = true;
            o->u.hostlog.text = s;
        }
        h->st.lines++;
        return 1;
    }
}

const struct hostlog_stats *hostlog_stats(const struct hostlog_reader *h)
{
    return &h->st;
}

void hostlog_close(struct hostlog_reader *h)
{
    if (!h)
        return;
    line_reader_close(&h->lr);
    free(h->name);
    free(h);
}
