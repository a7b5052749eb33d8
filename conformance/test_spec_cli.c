/*
 * The catalog's commands as a user runs them: `fosim assertions` (filters,
 * TSV, retired IDs, the traceability matrix), `fosim explain`, the
 * verdicts `fosim run` prints and settles (`expect verdict`), and `fosim
 * check --blackout` (DP-004's configurable bound).  Exit statuses: 0, 1 for
 * a failed check or expectation, 2 for bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "harness.h"
#include "sim/err.h"
#include "spec.h"

/* Run `fosim ARGS` (stderr with stdout); the output (free it) and status. */
static char *fosim(const char *args, int *status)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s %s 2>&1", FOSIM_BIN, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t cap = 1 << 16, len = 0, n;
    char *out = malloc(cap);
    assert_non_null(out);
    while ((n = fread(out + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *bigger = realloc(out, cap *= 2);
            assert_non_null(bigger);
            out = bigger;
        }
    }
    out[len] = '\0';
    int rc = pclose(p);
    *status = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    return out;
}

static unsigned lines(const char *s)
{
    unsigned n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void assertions_lists_and_filters(void **state)
{
    (void)state;
    int rc;
    char *out = fosim("assertions --tsv", &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(lines(out), SPEC_NIDS);
    for (int i = 0; i < SPEC_NIDS; i++) {
        char want[64];
        const struct spec_entry *e = spec_get((enum spec_id)i);
        snprintf(want, sizeof(want), "%s\t%s\t%s\t", e->id, spec_level_name(e->level),
                 spec_area_prefix(e->area));
        assert_non_null(strstr(out, want));
    }
    free(out);

    out = fosim("assertions --tsv --area MIGS --level MUST", &rc);
    assert_int_equal(rc, 0);
    unsigned want = 0;
    for (int i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = spec_get((enum spec_id)i);
        want += e->area == SPEC_AREA_MIGS && e->level == SPEC_LEVEL_MUST;
    }
    assert_true(want > 0);
    assert_int_equal(lines(out), want);
    for (char *l = out; *l; l = strchr(l, '\n') + 1) {
        const char *nl = strchr(l, '\n'), *level = strstr(l, "\tMUST\t");
        assert_non_null(nl);
        assert_true(strncmp(l, "MIGS-", 5) == 0);
        /* on this line (strstr finds NULL past the last MUST: not below nl) */
        assert_non_null(level);
        assert_true(level < nl);
    }
    free(out);

    /* --needs: exactly the entries whose needs or alternatives read it */
    out = fosim("assertions --tsv --needs guest-pcap", &rc);
    assert_int_equal(rc, 0);
    want = 0;
    for (int i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = spec_get((enum spec_id)i);
        unsigned bits = e->needs | e->alt;
        want += (bits & (SPEC_NEED_S(GUEST_PCAP) | SPEC_NEED_T(GUEST_PCAP) |
                         SPEC_NEED_ANY(GUEST_PCAP))) != 0;
    }
    assert_true(want > 0);
    assert_int_equal(lines(out), want);
    free(out);

    out = fosim("assertions --retired", &rc);
    assert_int_equal(rc, 0);
    assert_true(spec_nretired > 0);
    for (size_t i = 0; i < spec_nretired; i++)
        assert_non_null(strstr(out, spec_retired_table[i].id));
    free(out);

    out = fosim("assertions --matrix --tsv", &rc);
    assert_int_equal(rc, 0);
    assert_int_equal(lines(out), SPEC_NIDS);
    assert_non_null(strstr(out, "test_monitor_migs.c:migs_004"));
    free(out);

    out = fosim("assertions --area XYZ", &rc);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "--area expects one of"));
    free(out);
    out = fosim("assertions --bogus", &rc);
    assert_int_equal(rc, 2);
    free(out);
}

static void explain_one(void **state)
{
    (void)state;
    int rc;
    static const char *const spellings[] = { "explain MIGS-004", "explain migs-004",
                                             "explain MIGS_004" };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(spellings); i++) {
        char *out = fosim(spellings[i], &rc);
        assert_int_equal(rc, 0);
        assert_true(strncmp(out, "MIGS-004  [MUST]", 16) == 0);
        static const char *const parts[] = { "\nstatement ", "\nsource ", "\nrules ",
                                             "\nneeds ", "\nverdicts ", "\ntests " };
        for (size_t k = 0; k < SIM_ARRAY_SIZE(parts); k++)
            assert_non_null(strstr(out, parts[k]));
        assert_non_null(strstr(out, "console@source"));
        free(out);
    }
    char *out = fosim("explain SLOT-003", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "SLOT-003 (retired)"));
    assert_non_null(strstr(out, "replaced by SLOT-009"));
    free(out);
    out = fosim("explain NOPE-001", &rc);
    assert_int_equal(rc, 2);
    assert_non_null(strstr(out, "no assertion 'NOPE-001'"));
    free(out);
    out = fosim("explain", &rc);
    assert_int_equal(rc, 2);
    free(out);
}

/* A scenario written to a temporary file; returns the path (free it). */
static char *scenario(const char *text)
{
    return fo_temp_text("conformance/scenarios/guest/zz-spec-cli-XXXXXX", text);
}

#define NATIVE_MIGRATION                                                                     \
    "scenario spec-cli\n"                                                                    \
    "include \"include/hosts-native.fos\"\n"                                                 \
    "guest linux\nend\n"                                                                     \
    "at 7.3s source migrate uri=tcp:127.0.0.1:47101\n"                                       \
    "until 25s\n"                                                                            \
    "expect source migration completed\n"

static void run_prints_and_settles_verdicts(void **state)
{
    (void)state;
    EVIDENCE(MIGS-004, SLOT-009);
    int rc;
    /* a compliant run: the summary line, no FAIL, exit 0; the expectation holds */
    char *path = scenario(NATIVE_MIGRATION "expect verdict MIGS-004 pass\n");
    char args[256];
    snprintf(args, sizeof(args), "run --quiet %s", path);
    char *out = fosim(args, &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "\nverdicts: "));
    assert_null(strstr(out, "\nFAIL MIGS-"));
    assert_non_null(strstr(out, "expect verdict MIGS-004 pass"));
    free(out);
    unlink(path);
    free(path);

    /* an expectation the verdict contradicts fails the run */
    path = scenario(NATIVE_MIGRATION "expect verdict MIGS-004 fail\n");
    snprintf(args, sizeof(args), "run --quiet %s", path);
    out = fosim(args, &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "FAIL  "));
    free(out);
    unlink(path);
    free(path);

    /* an unknown or retired ID is refused when the scenario is read: bad
     * input (exit 2) at its line and column, before anything runs */
    static const char *const bad[] = { "NOPE-001", "SLOT-003" };
    static const char *const why[] = { "'NOPE-001' is not an assertion of the catalog",
                                       "SLOT-003 is retired (replaced by SLOT-009)" };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(bad); i++) {
        char text[1024];
        snprintf(text, sizeof(text), NATIVE_MIGRATION "expect verdict %s pass\n", bad[i]);
        path = scenario(text);
        snprintf(args, sizeof(args), "run --quiet %s", path);
        out = fosim(args, &rc);
        assert_int_equal(rc, 2);
        char where[256];
        snprintf(where, sizeof(where), "%s:8:16: expect verdict: %s", path, why[i]);
        if (!strstr(out, where))
            fail_msg("want '%s' in: %s", where, out);
        assert_null(strstr(out, "verdicts: "));
        free(out);
        unlink(path);
        free(path);
    }

    /* an assertion that fails and is expected to: printed, exit 0 */
    out = fosim("run --quiet conformance/scenarios/guest/eject-never.fos", &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "FAIL SLOT-009 ["));
    free(out);
}

static void check_blackout_bound(void **state)
{
    (void)state;
    EVIDENCE(DP-004);
    int rc;
    /* the real ping run: a 2.6 s gap of replies, but outgoing frames < 1 s apart */
    char *out = fosim("check --blackout 3 traces/real/ping-native", &rc);
    assert_int_equal(rc, 0);
    free(out);
    out = fosim("check --blackout 0.1 traces/real/ping-native", &rc);
    assert_int_equal(rc, 1);
    assert_non_null(strstr(out, "FAIL DP-004 ["));
    free(out);
    static const char *const bad[] = { "x", "0", "-1", "4000", "1s" };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(bad); i++) {
        char args[128];
        snprintf(args, sizeof(args), "check --blackout %s traces/real/ping-native", bad[i]);
        out = fosim(args, &rc);
        assert_int_equal(rc, 2);
        assert_non_null(strstr(out, "--blackout expects seconds"));
        free(out);
    }
    out = fosim("check --blackout 1 traces/real/ping-native traces/real/two-pairs", &rc);
    assert_int_equal(rc, 2);
    free(out);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(assertions_lists_and_filters),
    cmocka_unit_test(explain_one),
    cmocka_unit_test(run_prints_and_settles_verdicts),
    cmocka_unit_test(check_blackout_bound),
};

FO_MAIN("spec_cli", tests)
