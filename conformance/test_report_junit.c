/*
 * The JUnit XML report (spec/report_junit.c), read back with xmllint
 * (libxml2-utils): well-formed, valid against the shipped
 * spec/junit-4.xsd, one testsuite per area whose counts match its
 * testcases, one testcase per assertion with the verdict as status, a
 * failure (type = level) exactly for FAIL, a skipped exactly for N/A and
 * INCONCLUSIVE, and every ID's level as a property of its area's suite.
 * Text from the trace arrives intact where XML allows it and as "\xNN"
 * where it does not.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "report_fixture.h"

#define XSD "spec/junit-4.xsd"

static void need_xmllint(void)
{
    if (system("command -v xmllint >/dev/null 2>&1") != 0)
        fail_msg("xmllint is not installed (Debian package libxml2-utils; make deps)");
}

/* Write the report to a temporary file; returns its path (free it). */
static char *junit_file(const struct check *c)
{
    char *xml = rf_render(c, CHECK_REPORT_JUNIT, false);
    assert_true(rf_utf8_ok(xml));
    assert_false(rf_has_control(xml, true));
    char *path = fo_temp_text("/tmp/fosim-junit-XXXXXX", xml);
    free(xml);
    return path;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The string value of an XPath expression over file (no trailing newline). */
static void xpath(const char *file, const char *expr, char *out, size_t n)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "xmllint --xpath '%s' %s 2>/dev/null", expr, file);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t len = fread(out, 1, n - 1, p);
    out[len] = '\0';
    pclose(p);
    while (len && out[len - 1] == '\n')
        out[--len] = '\0';
}

static long xnum(const char *file, const char *expr)
{
    char buf[64];
    xpath(file, expr, buf, sizeof(buf));
    char *end;
    long v = strtol(buf, &end, 10);
    if (!buf[0] || *end)
        fail_msg("XPath %s gave '%s', not a number", expr, buf);
    return v;
}

static void valid(const char *file)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "xmllint --noout %s", file);
    assert_int_equal(run(cmd), 0);
    snprintf(cmd, sizeof(cmd), "xmllint --noout --schema " XSD " %s 2>/dev/null", file);
    if (run(cmd) != 0)
        fail_msg("%s does not validate against " XSD, file);
}

/* The report of c says what the engine decided. */
static void matches(const char *file, const struct check *c)
{
    unsigned t[CHECK_NVERDICTS];
    check_totals(c, t);
    assert_int_equal(xnum(file, "count(//testcase)"), SPEC_NIDS);
    assert_int_equal(xnum(file, "count(/testsuites/testsuite)"), SPEC_NAREAS);
    assert_int_equal(xnum(file, "number(/testsuites/@tests)"), SPEC_NIDS);
    assert_int_equal(xnum(file, "number(/testsuites/@failures)"), t[CHECK_FAIL]);
    assert_int_equal(xnum(file, "sum(//testsuite/@tests)"), SPEC_NIDS);
    assert_int_equal(xnum(file, "count(//failure)"), t[CHECK_FAIL]);
    assert_int_equal(xnum(file, "count(//skipped)"), t[CHECK_NA] + t[CHECK_INCONCLUSIVE]);
    /* each suite's counts are its testcases' */
    assert_int_equal(xnum(file, "count(//testsuite[count(testcase) != @tests or "
                                "count(testcase/failure) != @failures or "
                                "count(testcase/skipped) != @skipped or @errors != 0])"),
                     0);
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        const struct check_result *r = check_result(c, i);
        const struct spec_entry *a = r->a;
        char expr[512], got[256], want[256];
        snprintf(expr, sizeof(expr),
                 "concat(//testcase[@name=\"%s\"]/@status, \"|\", "
                 "//testcase[@name=\"%s\"]/@classname, \"|\", "
                 "//testcase[@name=\"%s\"]/../@name, \"|\", "
                 "count(//testcase[@name=\"%s\"]/failure), \"|\", "
                 "//testcase[@name=\"%s\"]/failure/@type, \"|\", "
                 "count(//testcase[@name=\"%s\"]/skipped), \"|\", "
                 "substring-before(//testcase[@name=\"%s\"]/skipped/@message, \":\"), \"|\", "
                 "//testcase[@name=\"%s\"]/../properties/property[@name=\"%s\"]/@value)",
                 a->id, a->id, a->id, a->id, a->id, a->id, a->id, a->id, a->id);
        xpath(file, expr, got, sizeof(got));
        bool fail = r->verdict == CHECK_FAIL;
        bool skip = r->verdict == CHECK_NA || r->verdict == CHECK_INCONCLUSIVE;
        snprintf(want, sizeof(want), "%s|%s|%s|%d|%s|%d|%s|%s", check_verdict_name(r->verdict),
                 spec_area_prefix(a->area), spec_area_prefix(a->area), fail,
                 fail ? spec_level_name(a->level) : "", skip,
                 skip ? check_verdict_name(r->verdict) : "", spec_level_name(a->level));
        if (strcmp(got, want) != 0)
            fail_msg("%s: report says '%s', engine '%s'", a->id, got, want);
    }
}

static void mixed_report(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    need_xmllint();
    struct check *c = rf_mixed();
    char *f = junit_file(c);
    valid(f);
    matches(f, c);
    unlink(f);
    free(f);
    check_free(c);
}

static void golden_and_empty_reports(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    need_xmllint();
    struct check *c = rf_golden();
    char *f = junit_file(c);
    valid(f);
    matches(f, c);
    assert_int_equal(xnum(f, "count(//failure)"), 0);
    unlink(f);
    free(f);
    check_free(c);
    /* nothing observed: every assertion N/A, still a valid document */
    struct check_ctx ctx;
    tf_ctx_default(&ctx);
    c = tf_check(&ctx, "", 0);
    f = junit_file(c);
    valid(f);
    matches(f, c);
    assert_int_equal(xnum(f, "count(//skipped)"), SPEC_NIDS);
    unlink(f);
    free(f);
    check_free(c);
}

static void hostile_text(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    need_xmllint();
    struct check *c = rf_mixed();
    char *f = junit_file(c);
    char got[1024];
    /* the context name: markup decoded back, the escape character, the bytes
     * that are not UTF-8 and the C1 control as text "\xNN", U+FFFE too */
    xpath(f, "string(/testsuites/@name)", got, sizeof(got));
    assert_string_equal(got, "fosim check bundle x<&>\"'#\\\\x1b[31m\\x80\\xe2\\x82=\\xc2\\x85"
                             "\\xef\\xbf\\xbe\xc3\xa9");
    /* NEG-003's requirement names the device id 'n<&>#\<U+0001>é' */
    xpath(f, "string(//testcase[@name=\"NEG-003\"]/failure/@message)", got, sizeof(got));
    assert_non_null(strstr(got, "'n<&>#\\\\x01\xc3\xa9' is not a device"));
    unlink(f);
    free(f);
    check_free(c);
}

/* The schema refuses what it should: it is the test's oracle. */
static void schema_refuses(void **state)
{
    (void)state;
    need_xmllint();
    static const char *const bad[] = {
        "<testsuites><testsuite tests=\"1\"/></testsuites>",                 /* no name */
        "<testsuites><testsuite name=\"A\" tests=\"x\"/></testsuites>",      /* not a count */
        "<testsuites><testsuite name=\"A\" tests=\"1\"><testcase/></testsuite></testsuites>",
        "<testsuites><testsuite name=\"A\" tests=\"1\"><testcase name=\"a\"><failure/>"
        "<skipped/></testcase></testsuite></testsuites>",                     /* order */
        "<testsuites><testsuite name=\"A\" tests=\"1\"><testcase name=\"a\"/>"
        "<properties/></testsuite></testsuites>",                             /* order */
        "<testsuite name=\"A\" tests=\"1\"><bogus/></testsuite>",
    };
    static const char *const good =
        "<testsuites><testsuite name=\"A\" tests=\"1\"><properties><property name=\"A-001\" "
        "value=\"MUST\"/></properties><testcase name=\"a\" status=\"fail\" time=\"0.5\">"
        "<failure type=\"MUST\" message=\"m\">t</failure></testcase></testsuite></testsuites>";
    char path[] = "/tmp/fosim-xsd-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "xmllint --noout --schema " XSD " %s >/dev/null 2>&1", path);
    for (size_t i = 0; i <= SIM_ARRAY_SIZE(bad); i++) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        fputs(i < SIM_ARRAY_SIZE(bad) ? bad[i] : good, f);
        assert_int_equal(fclose(f), 0);
        int rc = run(cmd);
        if (i < SIM_ARRAY_SIZE(bad) && rc == 0)
            fail_msg("the schema accepted bad document %zu", i);
        if (i == SIM_ARRAY_SIZE(bad) && rc != 0)
            fail_msg("the schema refused a good document");
    }
    unlink(path);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(mixed_report),
    cmocka_unit_test(golden_and_empty_reports),
    cmocka_unit_test(hostile_text),
    cmocka_unit_test(schema_refuses),
};

FO_MAIN("report_junit", tests)
