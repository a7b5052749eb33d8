/*
 * The conformance suite's own machinery (spec/suite.h, spec/trace.h,
 * spec/corrupt.h): finding and selecting cases (globs, shards), running a
 * case on the reference model and on a mutant, the TAP 14 and JUnit reports
 * (validated: TAP's grammar here, JUnit with xmllint), the evidence names,
 * the traceability matrix on deliberately incomplete input, and the
 * corrupted recordings (the list's errors, and one corruption that must
 * fail).  A tester that cannot fail is no tester: each of these is checked
 * on a case that must pass and on one that must not.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "corrupt.h"
#include "sim/mutant.h"
#include "suite.h"
#include "trace.h"

static char tmp[64];

static void make_tmp(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/fosim-conformance-XXXXXX");
    assert_non_null(mkdtemp(tmp));
}

static void remove_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    assert_int_equal(system(cmd), 0);
}

static void write_at(const char *rel, const char *text)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", tmp, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
    assert_int_equal(system(cmd), 0);
    *slash = '/';
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* A qtest scenario that holds on the reference model and that the mutant
 * skip-wait-unplug breaks (it expects wait-unplug). */
static const char *const GOOD =
    "evidence H-37 MIGS-001\n"
    "host source\n"
    "    -M q35 -nodefaults -accel qtest\n"
    "    -device pcie-root-port,id=root0,addr=0x1,chassis=1\n"
    "    -device pcie-root-port,id=root1,addr=0x2,chassis=2\n"
    "    -netdev user,id=hs0\n"
    "    -device virtio-net,bus=root0,failover=on,netdev=hs0,id=standby0,mac=52:54:00:11:11:11\n"
    "    -netdev user,id=hs1\n"
    "    -device virtio-net,bus=root1,failover_pair_id=standby0,netdev=hs1,id=primary0,"
    "mac=52:54:00:11:11:11,rombar=0,romfile=\n"
    "end\n"
    "guest qtest\nend\n"
    "at 1s guest negotiate standby0\n"
    "at 2s source qmp {\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /dev/null\"}}\n"
    "at 3s guest eject primary0\n"
    "expect source migration wait-unplug\n"
    "expect source migration completed\n"
    "expect verdict MIGS-001 pass\n";

/* Lay out a small catalog: two areas, an include directory, a case that
 * fails, one without evidence and one that does not parse. */
static void small_catalog(void)
{
    write_at("cat/host/a-good.fos", GOOD);
    char failing[2048];
    snprintf(failing, sizeof(failing), "%sexpect source no migration completed\n", GOOD);
    write_at("cat/host/b-fails.fos", failing);
    write_at("cat/host/include/shared.fos", "this is not a case\n");
    write_at("cat/net/c-no-evidence.fos", "expect source no migration completed\n");
    write_at("cat/net/d-bad.fos", "evidence H-01\nexpect source nonsense\n");
    char bad_evidence[2048];
    snprintf(bad_evidence, sizeof(bad_evidence), "evidence H-99\n%s", GOOD);
    write_at("cat/net/e-bad-evidence.fos", bad_evidence);
    write_at("cat/z-top.fos", GOOD);
    write_at("cat/notes.txt", "not a scenario\n");
}

static struct suite *load_catalog(void)
{
    char dir[128];
    snprintf(dir, sizeof(dir), "%s/cat", tmp);
    struct suite *s = NULL;
    struct sim_err err = { "" };
    if (suite_load(dir, &s, &err) != 0)
        fail_msg("%s", err.msg);
    return s;
}

static void run_all(struct suite *s, uint64_t mutants)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].selected)
            suite_run_case(&s->v[i], mutants);
}

/* Cases are found recursively, named by path, sorted, includes skipped;
 * every outcome is right: pass, fail, error (no evidence, bad syntax,
 * unknown evidence name). */
static void cases_found_and_judged(void **state)
{
    (void)state;
    make_tmp();
    small_catalog();
    struct suite *s = load_catalog();
    const char *names[] = { "host/a-good", "host/b-fails", "net/c-no-evidence", "net/d-bad",
                            "net/e-bad-evidence", "z-top" };
    assert_int_equal(s->n, 6);
    for (size_t i = 0; i < s->n; i++)
        assert_string_equal(s->v[i].name, names[i]);
    assert_string_equal(s->v[0].area, "host");
    assert_string_equal(s->v[5].area, "");
    run_all(s, 0);
    if (s->v[0].status != SUITE_PASS)
        fail_msg("%s", s->v[0].detail);
    assert_int_equal(s->v[0].verdict[SPEC_MIGS_001], CHECK_PASS);
    assert_int_equal(s->v[1].status, SUITE_FAIL);
    if (!strstr(s->v[1].detail, "b-fails.fos:19: expect source no migration completed"))
        fail_msg("%s", s->v[1].detail);
    assert_int_equal(s->v[2].status, SUITE_ERROR);
    assert_non_null(strstr(s->v[2].detail, "evidence"));
    assert_int_equal(s->v[3].status, SUITE_ERROR);
    assert_non_null(strstr(s->v[3].detail, "d-bad.fos:2:"));
    assert_int_equal(s->v[4].status, SUITE_ERROR);
    assert_non_null(strstr(s->v[4].detail, "'H-99'"));
    assert_int_equal(s->v[5].status, SUITE_PASS);
    unsigned t[SUITE_NSTATUSES];
    suite_totals(s, t);
    assert_int_equal(t[SUITE_PASS], 2);
    assert_int_equal(t[SUITE_FAIL], 1);
    assert_int_equal(t[SUITE_ERROR], 3);
    /* a mutant kills the good case */
    assert_int_equal(suite_run_case(&s->v[0], mutant_bit(MUT_SKIP_WAIT_UNPLUG)), SUITE_FAIL);
    suite_free(s);

    struct sim_err err = { "" };
    char dir[128];
    /* an "expect verdict" naming a retired or unknown ID is an error of the
     * case at its position, not an expectation that fails after the run */
    static const char *const ids[] = { "SLOT-003", "NOPE-001" };
    static const char *const why[] = { ":19:16: expect verdict: SLOT-003 is retired",
                                       ":19:16: expect verdict: 'NOPE-001' is not an assertion" };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(ids); i++) {
        char text[2048];
        snprintf(text, sizeof(text), "%sexpect verdict %s pass\n", GOOD, ids[i]);
        write_at(i ? "verdict2/x.fos" : "verdict1/x.fos", text);
        snprintf(dir, sizeof(dir), "%s/verdict%zu", tmp, i + 1);
        assert_int_equal(suite_load(dir, &s, &err), 0);
        assert_int_equal(s->n, 1);
        assert_int_equal(suite_run_case(&s->v[0], 0), SUITE_ERROR);
        if (!strstr(s->v[0].detail, why[i]))
            fail_msg("want '%s' in: %s", why[i], s->v[0].detail);
        suite_free(s);
    }
    write_at("empty/readme.txt", "no scenario here\n");
    write_at("empty/include/x.fos", "skipped: an include directory\n");
    snprintf(dir, sizeof(dir), "%s/empty", tmp); /* no case at all */
    assert_int_equal(suite_load(dir, &s, &err), -1);
    assert_non_null(strstr(err.msg, "no scenario file"));
    assert_int_equal(suite_load("/nonexistent/catalog", &s, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/catalog"));
    remove_tmp();
}

/* Shards partition the selection into contiguous blocks in catalog order,
 * whatever N; filters apply before the shard. */
static void shards_partition(void **state)
{
    (void)state;
    make_tmp();
    small_catalog();
    struct suite *s = load_catalog();
    for (unsigned n = 1; n <= 7; n++) {
        unsigned seen[16] = { 0 };
        size_t next = 0; /* contiguous blocks, in catalog order */
        for (unsigned k = 1; k <= n; k++) {
            suite_select(s, NULL, 0, k, n);
            for (size_t i = 0; i < s->n; i++)
                if (s->v[i].selected) {
                    seen[i]++;
                    assert_int_equal(i, next);
                    next++;
                }
        }
        for (size_t i = 0; i < s->n; i++)
            assert_int_equal(seen[i], 1);
    }
    const char *globs[] = { "net/*", "z-*" };
    assert_int_equal(suite_select(s, globs, 2, 1, 1), 4);
    assert_int_equal(suite_select(s, globs, 2, 2, 2), 2);
    assert_true(s->v[4].selected && s->v[5].selected); /* the second block: e-bad-evidence, z-top */
    assert_int_equal(suite_select(s, globs, 1, 1, 1), 3);
    unsigned k, n;
    assert_int_equal(suite_shard_parse("2/5", &k, &n), 0);
    assert_true(k == 2 && n == 5);
    const char *bad[] = { "0/3", "4/3", "1/0", "1", "a/b", "1/2x", "-1/2", "" };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(bad); i++)
        assert_int_equal(suite_shard_parse(bad[i], &k, &n), -1);
    suite_free(s);
    remove_tmp();
}

/* Evidence names: catalog IDs, rule-book rules in range, bug items. */
static void evidence_names(void **state)
{
    (void)state;
    const char *good[] = { "MIGS-001", "HIDE-004", "H-01", "H-60", "G-01", "G-86",
                           "6.1",      "6.16",     "L6.1", "L6.19", "L6.14b" };
    const char *bad[] = { "H-00", "H-61", "G-87", "H-1", "H-001", "6.0", "6.17", "L6.20", "L6.13b",
                          "6.01", "MIGS_001", "XYZ-001", "", "h-01", "SLOT-001" /* retired */ };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(good); i++)
        assert_true(suite_evidence_valid(good[i]));
    for (size_t i = 0; i < SIM_ARRAY_SIZE(bad); i++)
        if (suite_evidence_valid(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
}

/* ---- TAP 14 ----------------------------------------------------------------------- */

/* A TAP 14 reader strict enough to catch what prove rejects: the version
 * line first, one plan, numbered points in order matching the plan, YAML
 * blocks indented by two spaces between --- and ...; returns the number of
 * "not ok" points, or -1 (and a message) when the stream is malformed. */
static int tap_check(const char *text, char *why, size_t n)
{
    const char *p = text;
    int plan = -1, point = 0, notok = 0;
    bool in_yaml = false, first = true;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[2048];
        snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) - 1 ? len : sizeof(line) - 1), p);
        p += len + (nl != NULL);
        if (first) {
            if (strcmp(line, "TAP version 14") != 0)
                return snprintf(why, n, "first line '%s'", line), -1;
            first = false;
            continue;
        }
        if (in_yaml) {
            if (strcmp(line, "  ...") == 0)
                in_yaml = false;
            else if (strncmp(line, "  ", 2) != 0)
                return snprintf(why, n, "YAML line not indented: '%s'", line), -1;
            continue;
        }
        int a, b;
        if (sscanf(line, "%d..%d", &a, &b) == 2 && strchr(line, ' ') == NULL) {
            if (plan >= 0 || a != 1)
                return snprintf(why, n, "second plan or plan not from 1: '%s'", line), -1;
            plan = b;
        } else if (strncmp(line, "ok ", 3) == 0 || strncmp(line, "not ok ", 7) == 0) {
            bool nok = line[0] == 'n';
            int num = atoi(line + (nok ? 7 : 3));
            if (num != ++point)
                return snprintf(why, n, "point %d numbered %d", point, num), -1;
            notok += nok;
        } else if (strcmp(line, "  ---") == 0) {
            if (point == 0)
                return snprintf(why, n, "YAML before any point"), -1;
            in_yaml = true;
        } else if (line[0] != '#' && line[0]) {
            return snprintf(why, n, "unexpected line '%s'", line), -1;
        }
    }
    if (in_yaml)
        return snprintf(why, n, "YAML block not closed"), -1;
    if (plan != point)
        return snprintf(why, n, "plan %d, %d points", plan, point), -1;
    return notok;
}

static char *report_text(const struct suite *s, enum suite_format fmt, unsigned k, unsigned n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct suite_report_info info = { .shard_k = k, .shard_n = n };
    assert_int_equal(suite_report(s, fmt, &info, f), 0);
    fclose(f);
    return buf;
}

static void tap_reports_are_valid(void **state)
{
    (void)state;
    char why[256] = "";
    /* the reader itself rejects what it must */
    assert_int_equal(tap_check("TAP version 14\n1..1\nok 1 - a\n", why, sizeof(why)), 0);
    assert_int_equal(tap_check("1..1\nok 1 - a\n", why, sizeof(why)), -1);
    assert_int_equal(tap_check("TAP version 14\n1..2\nok 1 - a\n", why, sizeof(why)), -1);
    assert_int_equal(tap_check("TAP version 14\n1..1\n1..1\nok 1 - a\n", why, sizeof(why)), -1);
    assert_int_equal(tap_check("TAP version 14\n1..1\nok 1 - a\n  ---\n  x: 1\n", why, sizeof(why)), -1);
    assert_int_equal(tap_check("TAP version 14\n1..2\nok 1 - a\nok 3 - b\n", why, sizeof(why)), -1);

    make_tmp();
    small_catalog();
    struct suite *s = load_catalog();
    run_all(s, 0);
    char *t = report_text(s, SUITE_REPORT_TAP, 1, 1);
    int nok = tap_check(t, why, sizeof(why));
    if (nok < 0)
        fail_msg("TAP: %s\n%s", why, t);
    assert_int_equal(nok, 4);
    assert_non_null(strstr(t, "ok 1 - host/a-good\n"));
    assert_non_null(strstr(t, "not ok 2 - host/b-fails\n"));
    assert_non_null(strstr(t, "  evidence: [\"H-37\", \"MIGS-001\"]\n"));
    free(t);
    /* a shard is a valid stream of its own, with the shard's cases */
    for (unsigned k = 1; k <= 2; k++) {
        suite_select(s, NULL, 0, k, 2);
        t = report_text(s, SUITE_REPORT_TAP, k, 2);
        nok = tap_check(t, why, sizeof(why));
        if (nok < 0)
            fail_msg("TAP shard %u: %s", k, why);
        assert_non_null(strstr(t, k == 1 ? "1..3\n" : "1..3\n"));
        assert_non_null(strstr(t, k == 1 ? " - host/a-good\n" : " - net/d-bad\n"));
        free(t);
    }
    suite_free(s);
    remove_tmp();
}

/* JUnit: well-formed (xmllint, when installed: it comes with make deps),
 * one testsuite per area, the counts right, failures and errors marked. */
static void junit_reports_are_valid(void **state)
{
    (void)state;
    make_tmp();
    small_catalog();
    struct suite *s = load_catalog();
    run_all(s, 0);
    char *x = report_text(s, SUITE_REPORT_JUNIT, 1, 1);
    assert_non_null(strstr(x, "<testsuites name=\"fosim conformance\" tests=\"6\" failures=\"1\" "
                              "errors=\"3\""));
    assert_non_null(strstr(x, "<testsuite name=\"host\""));
    assert_non_null(strstr(x, "<testsuite name=\"net\""));
    assert_non_null(strstr(x, "<testsuite name=\"catalog\""));
    assert_non_null(strstr(x, "<testcase name=\"host/b-fails\" classname=\"host\""));
    assert_non_null(strstr(x, "<failure message="));
    assert_non_null(strstr(x, "<error message="));
    char path[128];
    snprintf(path, sizeof(path), "%s/r.xml", tmp);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(x, f);
    assert_int_equal(fclose(f), 0);
    free(x);
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        fail_msg("xmllint is not installed (Debian package libxml2-utils; make deps)");
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "xmllint --noout '%s' 2>/dev/null", path);
    assert_int_equal(system(cmd), 0);
    /* and the check would catch a broken document (xmllint exits 1) */
    f = fopen(path, "a");
    assert_non_null(f);
    fputs("<testsuites/>\n", f);
    assert_int_equal(fclose(f), 0);
    int st = system(cmd);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    /* text: the summary line */
    char *t = report_text(s, SUITE_REPORT_TEXT, 1, 1);
    assert_non_null(strstr(t, "6 case(s): 2 passed, 1 failed, 3 error(s)\n"));
    assert_non_null(strstr(t, "ERROR net/d-bad\n"));
    free(t);
    enum suite_format fmt;
    assert_int_equal(suite_format_parse("tap", &fmt), 0);
    assert_int_equal(fmt, SUITE_REPORT_TAP);
    assert_int_equal(suite_format_parse("html", &fmt), -1);
    suite_free(s);
    remove_tmp();
}

/* ---- the traceability matrix -------------------------------------------------------- */

static unsigned report_gaps(const struct trace_matrix *tm, char **text)
{
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    unsigned g = trace_report(tm, f);
    fclose(f);
    return g;
}

/* An empty matrix has a gap for every MUST/OBSERVED assertion twice and
 * for every rule and bug item; filling it closes exactly what was
 * filled. */
static void matrix_finds_gaps(void **state)
{
    (void)state;
    struct trace_matrix *tm = trace_new();
    char *text;
    unsigned gaps = report_gaps(tm, &text);
    unsigned strict = 0;
    for (unsigned i = 0; i < SPEC_NIDS; i++)
        strict += spec_table[i].level == SPEC_LEVEL_MUST || spec_table[i].level == SPEC_LEVEL_OBSERVED;
    assert_int_equal(gaps, 2 * strict + TRACE_NHOST_RULES + TRACE_NGUEST_RULES + 16 + 20);
    assert_non_null(strstr(text, "GAP MIGS-001 (MUST): no catalog case and no stored recording"));
    assert_non_null(strstr(text, "GAP G-86: no test or scenario names it"));
    assert_non_null(strstr(text, "GAP L6.14b"));
    free(text);

    /* a killing mutant closes one gap; a passing case another; IMP marks
     * are not evidence */
    trace_note_kill(tm, SPEC_MIGS_001, "skip-wait-unplug", "host/x");
    trace_note_kill(tm, SPEC_MIGS_001, "skip-wait-unplug", "host/y"); /* same mutant: once */
    trace_note_mark(tm, true, "H-37", "sim/migration.c:1");
    trace_note_mark(tm, false, "H-38", "conformance/test_x.c:2");
    trace_note_mark(tm, false, "L6.14b", "conformance/test_x.c:3");
    trace_note_mark(tm, false, "NOT-AN-ID", "conformance/test_x.c:4");
    unsigned g2 = report_gaps(tm, &text);
    assert_int_equal(g2, gaps - 3);
    assert_null(strstr(text, "GAP MIGS-001 (MUST): no mutant"));
    assert_non_null(strstr(text, "GAP H-37:"));
    assert_null(strstr(text, "GAP H-38:"));
    free(text);
    trace_note_corruption_miss(tm, "broken-one");
    assert_int_equal(report_gaps(tm, &text), g2 + 1);
    assert_non_null(strstr(text, "GAP corruption broken-one"));
    free(text);
    trace_free(tm);
}

/* Marks are read from files: IMP lists, EVIDENCE(...) lists, sentence
 * ends, and not EVIDENCE inside another identifier. */
static void matrix_reads_marks(void **state)
{
    (void)state;
    make_tmp();
    write_at("t.c", "/* IMP: H-07, H-08: hide listeners */\n"
                    "    EVIDENCE(G-43, DP-001);\n"
                    "    MY_EVIDENCE(G-44);\n"
                    "/* IMP: MIGS-002.  Then words G-45 */\n"
                    "    EVIDENCE(L6.14b, 6.9);\n");
    char path[128];
    snprintf(path, sizeof(path), "%s/t.c", tmp);
    struct trace_matrix *tm = trace_new();
    struct sim_err err = { "" };
    assert_int_equal(trace_scan_file(tm, path, "t.c", &err), 0);
    char *text;
    report_gaps(tm, &text);
    assert_null(strstr(text, "GAP G-43:"));
    assert_non_null(strstr(text, "GAP G-44:"));
    assert_non_null(strstr(text, "GAP G-45:"));
    assert_null(strstr(text, "GAP L6.14b"));
    assert_null(strstr(text, "GAP 6.9 "));
    assert_non_null(strstr(text, "implemented: t.c:4"));
    assert_non_null(strstr(text, "evidence:    t.c:2"));
    free(text);
    assert_int_equal(trace_scan_file(tm, "/nonexistent/x.c", "x.c", &err), -1);
    assert_int_equal(trace_scan_tree(tm, tmp, &err), -1); /* no sim/ there */
    trace_free(tm);
    remove_tmp();
}

/* The exemption list: its errors name the line and column; an exempt rule
 * is explained (printed, counted apart) and no longer a gap; an exemption
 * whose mark is gone, or for a rule a test names, is a gap again. */
static void matrix_exemptions(void **state)
{
    (void)state;
    make_tmp();
    write_at("sim/x.c", "/* line 1 */\n/* Not modelled: DPC here */\n");
    char list[128];
    snprintf(list, sizeof(list), "%s/ex", tmp);
    const struct {
        const char *text, *msg;
    } bad[] = {
        { "G-99 sim/x.c \"DPC\"\n    why\n", "ex:1:1: 'G-99' is not a rule-book rule" },
        { "DP-005 sim/x.c \"DPC\"\n    why\n", "catalog assertions cannot be exempted" },
        { "G-62 sim/x.c\n", "ex:1:" },
        { "G-62 sim/x.c \"DPC\n", "ex:1:14: unterminated" },
        { "    why\n", "ex:1:5: a reason before any exemption" },
        { "G-62 sim/x.c \"DPC\"\n# no reason\nG-66 sim/x.c \"DPC\" why\n",
          "ex:1:1: exemption G-62 gives no reason" },
        { "G-62 sim/x.c \"DPC\" why\nG-62 sim/x.c \"DPC\" again\n",
          "ex:2:1: G-62 is exempted twice (first at line 1)" },
        { "G-62 /etc/passwd \"root\" why\n", "ex:1:6: expected a file of the tree" },
        { "G-62 ../x.c \"DPC\" why\n", "ex:1:6: expected a file of the tree" },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(bad); i++) {
        write_at("ex", bad[i].text);
        struct trace_matrix *tm = trace_new();
        struct sim_err err = { "" };
        assert_int_equal(trace_load_exemptions(tm, tmp, list, &err), -1);
        if (!strstr(err.msg, bad[i].msg))
            fail_msg("case %zu: '%s' does not contain '%s'", i, err.msg, bad[i].msg);
        trace_free(tm);
    }

    write_at("ex", "# comment\n"
                   "G-62 sim/x.c \"Not modelled: DPC\"  QEMU has\n"
                   "    no DPC.\n\n"
                   "L6.14b sim/x.c \"gone from the file\"\n"
                   "\tthe text moved\n");
    struct trace_matrix *tm = trace_new();
    struct sim_err err = { "" };
    char *text;
    unsigned before = report_gaps(tm, &text);
    free(text);
    assert_int_equal(trace_load_exemptions(tm, tmp, list, &err), 0);
    /* G-62 is explained; L6.14b stays a gap (its mark is not in the file) */
    assert_int_equal(report_gaps(tm, &text), before - 1);
    assert_null(strstr(text, "GAP G-62"));
    assert_non_null(strstr(text, "  G-62    sim/x.c:2\n          QEMU has no DPC.\n"));
    assert_non_null(strstr(text, "GAP L6.14b: exempt (conformance/trace-exemptions:5) but "
                                 "sim/x.c has no line containing \"gone from the file\""));
    assert_non_null(strstr(text, "; 1 exempt\n"));
    free(text);
    /* a test that names an exempt rule makes the exemption stale */
    trace_note_mark(tm, false, "G-62", "conformance/test_x.c:9");
    assert_int_equal(report_gaps(tm, &text), before);
    assert_non_null(strstr(text, "GAP G-62: exempt (conformance/trace-exemptions:2) but "
                                 "conformance/test_x.c:9 names it: remove the exemption"));
    free(text);
    trace_free(tm);
    remove_tmp();
}

/* ---- corrupted recordings ------------------------------------------------------------- */

static void corruption_list_errors(void **state)
{
    (void)state;
    make_tmp();
    const struct {
        const char *text, *msg;
    } cases[] = {
        { "a b\n", ":1:1: expected NAME BUNDLE OP" },
        { "a b frob F T fail MIGS-001\n", ":1:5: unknown operation 'frob'" },
        { "a b drop F fail MIGS-001\n", "drop takes 2 argument(s)" },
        { "a b drop F T maybe MIGS-001\n", "expected fail or not-pass" },
        { "a b drop F T fail XYZ-001\n", "'XYZ-001' is not a catalog assertion" },
        { "a b retime F T soon fail MIGS-001\n", "retime expects seconds" },
        { "a b drop@0 F T fail MIGS-001\n", "expected OP@N" },
        { "a b move-frames@2 F T fail DP-001\n", "no @N" },
        { "a b drop F \"T fail MIGS-001\n", "unterminated" },
        { "a b drop F T fail MIGS-001\na c drop F T fail MIGS-001\n", "already defined on line 1" },
        { "# nothing\n", "no corruption listed" },
    };
    char path[128];
    snprintf(path, sizeof(path), "%s/list", tmp);
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        write_at("list", cases[i].text);
        struct corrupt_list *l = NULL;
        struct sim_err err = { "" };
        assert_int_equal(corrupt_load(path, &l, &err), -1);
        assert_null(l);
        if (!strstr(err.msg, cases[i].msg))
            fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, cases[i].msg);
    }
    write_at("list", "x traces/sim/qtest-migrate drop@2 \"a\\\"b\" 'c d' fail MIGS-001 # c\n");
    struct corrupt_list *l = NULL;
    struct sim_err err = { "" };
    assert_int_equal(corrupt_load(path, &l, &err), 0); /* FILE a"b, TEXT c d */
    assert_string_equal(l->v[0].args[0], "a\"b");
    corrupt_list_free(l);
    write_at("list", "x traces/sim/qtest-migrate swap@2 f.qmp \"a\\\"b\" 'c d' not-pass MIGS-001\n");
    assert_int_equal(corrupt_load(path, &l, &err), 0);
    assert_int_equal(l->n, 1);
    assert_string_equal(l->v[0].args[1], "a\"b");
    assert_string_equal(l->v[0].args[2], "c d");
    assert_int_equal(l->v[0].nth, 2);
    assert_false(l->v[0].must_fail);
    corrupt_list_free(l);
    remove_tmp();
}

/* A stored recording passes MIGS-001; with its UNPLUG_PRIMARY removed it
 * must fail it; a selector that matches nothing is an error, not a pass. */
static void corruption_is_caught(void **state)
{
    (void)state;
    make_tmp();
    write_at("list",
             "gone traces/sim/qtest-migrate drop source.qmp UNPLUG_PRIMARY fail MIGS-001\n"
             "none traces/sim/qtest-migrate drop source.qmp NO_SUCH_EVENT fail MIGS-001\n"
             "frames traces/sim/qtest-migrate move-frames target-standby0.pcap target-primary0.pcap "
             "fail DP-006\n");
    char path[128];
    snprintf(path, sizeof(path), "%s/list", tmp);
    struct corrupt_list *l = NULL;
    struct sim_err err = { "" };
    assert_int_equal(corrupt_load(path, &l, &err), 0);
    enum check_verdict before[SPEC_NIDS], after[SPEC_NIDS];
    if (corrupt_run(&l->v[0], ".", tmp, before, after, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(before[SPEC_MIGS_001], CHECK_PASS);
    assert_int_equal(after[SPEC_MIGS_001], CHECK_FAIL);
    assert_true(corrupt_caught(&l->v[0], before[SPEC_MIGS_001], after[SPEC_MIGS_001]));
    /* a corruption is credited only with what it changed */
    assert_false(corrupt_caught(&l->v[0], CHECK_FAIL, CHECK_FAIL));
    assert_int_equal(corrupt_run(&l->v[1], ".", tmp, before, after, &err), -1);
    assert_non_null(strstr(err.msg, "NO_SUCH_EVENT"));
    if (corrupt_run(&l->v[2], ".", tmp, before, after, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_not_equal(after[SPEC_DP_006], CHECK_PASS);
    corrupt_list_free(l);
    remove_tmp();
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(cases_found_and_judged),
    cmocka_unit_test(shards_partition),
    cmocka_unit_test(evidence_names),
    cmocka_unit_test(tap_reports_are_valid),
    cmocka_unit_test(junit_reports_are_valid),
    cmocka_unit_test(matrix_finds_gaps),
    cmocka_unit_test(matrix_reads_marks),
    cmocka_unit_test(matrix_exemptions),
    cmocka_unit_test(corruption_list_errors),
    cmocka_unit_test(corruption_is_caught),
};

FO_MAIN("conformance", tests)
