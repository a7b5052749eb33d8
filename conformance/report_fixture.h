/*
 * Checks for the report tests (test_report*.c): engines that reached every
 * verdict, with hostile text in what the reports print (markup, '#', '\',
 * control characters and bytes that are not UTF-8), and reports rendered
 * into memory.  Header-only: each test executable includes it once.
 */
#ifndef FOSIM_REPORT_FIXTURE_H
#define FOSIM_REPORT_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

/* Text a trace may carry (one word): markup, TAP's '#' and '\', an escape
 * sequence, a lone continuation byte, a cut-short sequence, a C1 control,
 * U+FFFE and a valid 'é'. */
#define RF_HOSTILE "x<&>\"'#\\\x1b[31m\x80\xe2\x82=\xc2\x85\xef\xbf\xbe\xc3\xa9"

/*
 * The golden migration, then: the target's console stops 6 s after RESUME
 * (MIGD-005 INCONCLUSIVE), an UNPLUG_PRIMARY with an empty device-id
 * (EVT-007 FAIL), a second standby slave whose name holds hostile bytes
 * (PAIR-003 FAIL with that line as evidence), a FAILOVER_NEGOTIATED for a
 * device whose id holds markup and control characters (NEG-003 FAIL), a
 * command named with them that is never answered (EVT-002 INCONCLUSIVE,
 * the name in its reason).
 */
#define RF_TRACE                                                                          \
    G_SESSIONS G_BOOT G_MIGRATE G_GUEST_UNPLUG G_ACTIVE NEG("14.106", "T")                \
    EV("14.107", "T", "RESUME", "") MIG("14.1071", "T", "completed")                      \
    CON("20", "T", "random: crng init done")                                            \
    EV("3.5", "S", "UNPLUG_PRIMARY", "{\"device-id\": \"\"}")                            \
    CON("3.6", "S", "virtio_net virtio0 eth0: failover standby slave:" RF_HOSTILE " registered") \
    EV("3.7", "S", "FAILOVER_NEGOTIATED", "{\"device-id\": \"n<&>#\\\\\\u0001\\u00e9\"}")  \
    CMD("21", "T", "{\"execute\": \"odd#\\\\cmd\\u0001\\u00e9\", \"id\": \"zz\"}")

/* An engine over RF_TRACE, its context named with hostile bytes. */
static inline struct check *rf_mixed(void)
{
    struct check_ctx ctx;
    tf_ctx_default(&ctx);
    sim_strlcpy(ctx.name, "bundle " RF_HOSTILE, sizeof(ctx.name));
    return tf_check(&ctx, RF_TRACE, 0);
}

/* An engine over the golden migration alone (no FAIL). */
static inline struct check *rf_golden(void)
{
    struct check_ctx ctx;
    tf_ctx_default(&ctx);
    return tf_check(&ctx, G_GOLDEN_ALL, 0);
}

/* The report in format fmt, NUL-terminated (free it). */
static inline char *rf_render(const struct check *c, enum check_format fmt, bool verbose)
{
    /* the stream's buffer pointer lives on the heap: gcc's -Wdangling-pointer
     * takes a pointer written through a local's address for one into it */
    struct {
        char *buf;
        size_t len;
    } *m = calloc(1, sizeof(*m));
    assert_non_null(m);
    FILE *f = open_memstream(&m->buf, &m->len);
    assert_non_null(f);
    struct check_report_opts opts = { .verbose = verbose };
    assert_int_equal(check_report(c, fmt, &opts, f), 0);
    assert_int_equal(fclose(f), 0);
    char *out = m->buf;
    free(m);
    return out;
}

/* Is the text well-formed UTF-8 throughout? */
static inline bool rf_utf8_ok(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        size_t n;
        uint32_t c, min;
        if (*u < 0x80) {
            u++;
            continue;
        }
        if ((*u & 0xe0) == 0xc0)
            n = 2, c = *u & 0x1fu, min = 0x80;
        else if ((*u & 0xf0) == 0xe0)
            n = 3, c = *u & 0x0fu, min = 0x800;
        else if ((*u & 0xf8) == 0xf0)
            n = 4, c = *u & 0x07u, min = 0x10000;
        else
            return false;
        for (size_t i = 1; i < n; i++) {
            if ((u[i] & 0xc0) != 0x80)
                return false;
            c = c << 6 | (u[i] & 0x3fu);
        }
        if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return false;
        u += n;
    }
    return true;
}

/* Does the text hold a control character other than newline (C0, DEL, or
 * a UTF-8-encoded C1)? */
static inline bool rf_has_control(const char *s, bool tab_ok)
{
    const unsigned char *u = (const unsigned char *)s;
    for (; *u; u++) {
        if ((*u < 0x20 && *u != '\n' && !(tab_ok && *u == '\t')) || *u == 0x7f)
            return true;
        if (*u == 0xc2 && u[1] >= 0x80 && u[1] < 0xa0)
            return true;
    }
    return false;
}

/* Counts of each verdict in an engine. */
static inline void rf_totals(const struct check *c, unsigned t[CHECK_NVERDICTS])
{
    check_totals(c, t);
}

#endif
