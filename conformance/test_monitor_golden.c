/*
 * The golden trace (golden.h plus a ping workload): a failover migration
 * that complies with every statement, shaped like the real QEMU 7.2 + Linux
 * 6.1 recordings.  Every monitor must reach PASS or N/A on it -- never FAIL,
 * never INCONCLUSIVE -- and still so with any one kind of source removed
 * (a missing source makes assertions N/A, never false).  A fixed list of
 * assertions must PASS, so the trace keeps exercising them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

/* Append one line (printf) to a growing buffer. */
static void add(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add(char **buf, size_t *len, size_t *cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(n >= 0);
    if (*len + (size_t)n + 1 > *cap) {
        *cap = (*len + (size_t)n + 1) * 2;
        *buf = sim_xrealloc(*buf, *cap);
    }
    va_start(ap, fmt);
    vsnprintf(*buf + *len, *cap - *len, fmt, ap);
    va_end(ap);
    *len += (size_t)n;
}

/*
 * A ping every 200 ms from 3 s to 20 s, along the path the guest takes:
 * standby until the primary's link is up (5.14), primary until its link
 * goes down (12.25), standby until the switchover (14.06), nothing during
 * the downtime, the target's standby after RESUME (14.107) until the target
 * primary's link is up (16.8), then the target primary.  Host captures see
 * request and reply; the guest capture (tcpdump -i any) sees the request on
 * the master and the slave, the reply on the slave and, unless net_failover
 * drops it (a primary registered, reply on the standby: G-45), on the master.
 */
static char *golden_trace(void)
{
    size_t len = 0, cap = 65536;
    char *buf = sim_xmalloc(cap);
    buf[0] = '\0';
    add(&buf, &len, &cap, "%s", G_GOLDEN_ALL);
    for (int i = 0; i <= 85; i++) {
        double t = 3.0 + 0.2 * i;
        const char *host, *point, *role;
        bool primary_registered; /* in the guest at this moment */
        if (t < 5.14) {
            host = "S", point = "standby0", role = "standby";
            primary_registered = t > 3.18;
        } else if (t < 12.25) {
            host = "S", point = "primary0", role = "primary";
            primary_registered = true;
        } else if (t < 14.06) {
            host = "S", point = "standby0", role = "standby";
            primary_registered = t < 12.26;
        } else if (t < 14.107) {
            continue;
        } else if (t < 16.8) {
            host = "T", point = "standby0", role = "standby";
            primary_registered = t > 14.6;
        } else {
            host = "T", point = "primary0", role = "primary";
            primary_registered = true;
        }
        unsigned req = 2u * (unsigned)i, rep = req + 1;
        add(&buf, &len, &cap, "%.3f %s frame %s %s out " MAC1 " 52:55:0a:00:02:02 0800 %u\n", t,
            host, point, role, req);
        add(&buf, &len, &cap, "%.4f %s frame %s %s in 52:55:0a:00:02:02 " MAC1 " 0800 %u\n",
            t + 0.0005, host, point, role, rep);
        add(&buf, &len, &cap, "%.3f %s frame guest master out " MAC1 " 00:00:00:00:00:00 0800 %u\n",
            t, host, req);
        add(&buf, &len, &cap, "%.3f %s frame guest %s out " MAC1 " 00:00:00:00:00:00 0800 %u\n", t,
            host, role, req);
        add(&buf, &len, &cap, "%.4f %s frame guest %s in 52:55:0a:00:02:02 00:00:00:00:00:00 0800 %u\n",
            t + 0.0006, host, role, rep);
        bool dropped = primary_registered && strcmp(role, "standby") == 0;
        if (!dropped)
            add(&buf, &len, &cap,
                "%.4f %s frame guest master in 52:55:0a:00:02:02 00:00:00:00:00:00 0800 %u\n",
                t + 0.0006, host, rep);
    }
    return buf;
}

/* Run the trace; count FAIL and INCONCLUSIVE verdicts (printed). */
static unsigned bad_verdicts(const struct check_ctx *ctx, const char *trace, const char *label,
                             struct check **out)
{
    struct check *c = tf_check(ctx, trace, 0);
    unsigned bad = 0;
    for (size_t i = 0; i < check_count(c); i++) {
        const struct check_result *r = check_result(c, i);
        if (getenv("GOLDEN_LIST"))
            fprintf(stderr, "%-9s %-12s %s\n", r->a->id, check_verdict_name(r->verdict), r->why);
        if (r->verdict == CHECK_FAIL || r->verdict == CHECK_INCONCLUSIVE) {
            fprintf(stderr, "[%s] ", label);
            check_print_result(c, r, stderr);
            bad++;
        }
    }
    if (out)
        *out = c;
    else
        check_free(c);
    return bad;
}

/* Assertions the golden trace must keep exercising. */
static const char *const must_pass[] = {
    "HIDE-001", "HIDE-002", "HIDE-005", "HIDE-006", "HIDE-007", "HIDE-008", "NEG-001",
    "NEG-002",  "NEG-003",  "NEG-006",  "NEG-010",  "NEG-008",  "PAIR-001", "PAIR-002",
    "PAIR-003", "PAIR-004", "PAIR-006", "PAIR-007", "DP-001",   "DP-002",   "DP-003",
    "DP-004",   "DP-005",   "DP-006",   "SLOT-008", "SLOT-009", "SLOT-004", "SLOT-005",
    "SLOT-007", "MIGS-001", "MIGS-003", "MIGS-004", "MIGS-005", "MIGS-007", "MIGS-008",
    "MIGS-009", "MIGS-011", "MIGS-013", "MIGS-014", "MIGD-001", "MIGD-002", "MIGD-003", "MIGD-005", "MIGD-006",
    "MIGD-007", "MIGD-008", "EVT-001",  "EVT-002",  "EVT-003",  "EVT-004",  "EVT-006",
    "EVT-007",  "EVT-008",  "EVT-009",
};

static void golden_passes(void **state)
{
    (void)state;
    EVIDENCE(H-14, H-31, H-34, H-37, H-38, H-53, G-13, G-43, G-45, G-64);
    struct check_ctx ctx;
    tf_ctx_default(&ctx);
    char *trace = golden_trace();
    struct check *c;
    unsigned bad = bad_verdicts(&ctx, trace, "all sources", &c);
    for (size_t i = 0; i < SIM_ARRAY_SIZE(must_pass); i++) {
        const struct spec_entry *a = spec_lookup(must_pass[i], NULL);
        assert_non_null(a);
        const struct check_result *r = check_result_for(c, a->sid);
        if (r->verdict != CHECK_PASS) {
            fprintf(stderr, "%s: %s (%s), want pass\n", a->id, check_verdict_name(r->verdict),
                    r->why);
            bad++;
        }
    }
    assert_int_equal(check_exit_status(c), bad ? 1 : 0);
    /* records of different files in the same instant, merged the other way */
    for (unsigned p = 1; p <= 2; p++) {
        struct check *q = tf_check(&ctx, trace, p);
        for (size_t i = 0; i < check_count(c); i++) {
            const struct check_result *a = check_result(c, i), *b = check_result(q, i);
            if (a->verdict != b->verdict) {
                fprintf(stderr, "%s: %s, but %s with same-time records permuted (%u)\n",
                        a->a->id, check_verdict_name(a->verdict),
                        check_verdict_name(b->verdict), p);
                bad++;
            }
        }
        check_free(q);
    }
    check_free(c);
    free(trace);
    assert_int_equal(bad, 0);
}

static void golden_without_each_source(void **state)
{
    (void)state;
    char *trace = golden_trace();
    struct check_ctx all;
    tf_ctx_default(&all);
    struct check *full = tf_check(&all, trace, 0);
    unsigned bad = 0;
    for (unsigned s = 0; s < SPEC_NSOURCES; s++) {
        for (int h = -1; h < OBS_NHOSTS; h++) {
            struct check_ctx ctx;
            tf_ctx_default(&ctx);
            tf_ctx_drop(&ctx, h, (enum spec_source)s);
            char label[64];
            snprintf(label, sizeof(label), "without %s on %s", spec_source_name(s),
                     h < 0 ? "both" : obs_host_name((enum obs_host)h));
            struct check *c;
            bad += bad_verdicts(&ctx, trace, label, &c);
            /* gone from both hosts, the source is really gone: some assertion
             * that PASSes with every source no longer does (one host's copy
             * of a source may stand in for the other's, so not per host) */
            unsigned lost = 0;
            for (size_t i = 0; i < check_count(c); i++)
                lost += check_result(full, i)->verdict == CHECK_PASS &&
                        check_result(c, i)->verdict != CHECK_PASS;
            if (h < 0 && lost == 0) {
                fprintf(stderr, "[%s] every verdict as with all sources\n", label);
                bad++;
            }
            check_free(c);
        }
    }
    check_free(full);
    free(trace);
    assert_int_equal(bad, 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(golden_passes),
    cmocka_unit_test(golden_without_each_source),
};

FO_MAIN("monitor_golden", tests)
