/*
 * The conformance suite's reports (spec/suite.h): text, TAP 14 and JUnit XML,
 * one test case per scenario of the catalog.
 *
 * Every report names the cases by their stable catalog name and lists them
 * in catalog order, so the reports of the shards of one run can be merged
 * by name.  TAP:
 *
 *   TAP version 14
 *   1..N
 *   ok 1 - guest/native-migration
 *     ---
 *     scenario: "conformance/scenarios/guest/native-migration.fos"
 *     ...
 *   not ok 2 - host/x              with the failed expectations in YAML
 *
 * An ERROR (the scenario cannot be read or built) is a "not ok" too.  JUnit
 * (junit-4.xsd): one <testsuite> per area (the catalog's first directory
 * level), a <testcase name="host/x" classname="host"> per case, <failure>
 * for FAIL and <error> for ERROR, the model (reference or mutant) as a
 * testsuite property.  A shard's TAP and JUnit reports carry the shard
 * marker of sim/shard.h in a comment, and nothing else differs between the
 * shards but their cases (doc/sharding.md).
 */
#include <string.h>

#include "report.h"
#include "suite.h"
#include "sim/shard.h"

/* ---- Escaping ------------------------------------------------------------------- */

static const char *model_name(const struct suite_report_info *info)
{
    return info && info->mutant ? info->mutant : "reference";
}

static double case_seconds(const struct suite *s, const struct suite_case *c,
                           const struct suite_report_info *info)
{
    return info && info->seconds ? info->seconds[c - s->v] : 0.0;
}

/* Call fn for each line of text (without its newline). */
static void each_line(const char *text, void (*fn)(FILE *, const char *, size_t), FILE *out)
{
    while (*text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        fn(out, text, n);
        text += n + (nl != NULL);
    }
}

/* The shard marker of a sharded run (sim/shard.h), for TAP and JUnit: the
 * rest of their headers is the same in every shard, so the shards' reports
 * merge into the unsharded run's (fosim merge-reports).  False when not
 * sharded. */
static bool shard_line(const struct suite *s, const struct suite_report_info *info, char *buf,
                       size_t n)
{
    if (!info || info->shard_n <= 1)
        return false;
    shard_marker(buf, n, (struct shard){ info->shard_k, info->shard_n }, s->nmatched);
    return true;
}

/* ---- Text --------------------------------------------------------------------------- */

static void text_line(FILE *out, const char *line, size_t n)
{
    fprintf(out, "      %.*s\n", (int)n, line);
}

static void suite_text(const struct suite *s, const struct suite_report_info *info, FILE *out)
{
    fprintf(out, "fosim conformance: catalog %s, %s model", s->dir, model_name(info));
    if (info && info->shard_n > 1)
        fprintf(out, ", shard %u/%u", info->shard_k, info->shard_n);
    fputc('\n', out);
    for (size_t i = 0; i < s->n; i++) {
        const struct suite_case *c = &s->v[i];
        if (!c->selected)
            continue;
        fprintf(out, "%-5s %s", suite_status_upper(c->status), c->name);
        if (c->status != SUITE_ERROR)
            fprintf(out, " (%u expectation(s), verdicts %u pass %u fail %u inconclusive)",
                    c->nexpect, c->totals[CHECK_PASS], c->totals[CHECK_FAIL],
                    c->totals[CHECK_INCONCLUSIVE]);
        fputc('\n', out);
        if (c->status != SUITE_PASS)
            each_line(c->detail, text_line, out);
    }
    unsigned t[SUITE_NSTATUSES];
    suite_totals(s, t);
    fprintf(out, "\n%u case(s): %u passed, %u failed, %u error(s)\n",
            t[SUITE_PASS] + t[SUITE_FAIL] + t[SUITE_ERROR], t[SUITE_PASS], t[SUITE_FAIL],
            t[SUITE_ERROR]);
}

/* ---- TAP 14 ------------------------------------------------------------------------- */

static void tap_item(FILE *out, const char *line, size_t n)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) - 1 ? n : sizeof(buf) - 1), line);
    fputs("    - ", out);
    report_put_yaml(out, buf);
    fputc('\n', out);
}

static void suite_tap(const struct suite *s, const struct suite_report_info *info, FILE *out)
{
    unsigned t[SUITE_NSTATUSES];
    suite_totals(s, t);
    fprintf(out, "TAP version 14\n1..%u\n", t[SUITE_PASS] + t[SUITE_FAIL] + t[SUITE_ERROR]);
    fprintf(out, "# fosim conformance: catalog %s, %s model\n", s->dir, model_name(info));
    char marker[128];
    if (shard_line(s, info, marker, sizeof(marker)))
        fprintf(out, "# %s\n", marker); /* the header is the same in every shard */
    unsigned k = 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct suite_case *c = &s->v[i];
        if (!c->selected)
            continue;
        fprintf(out, "%s %u - ", c->status == SUITE_PASS ? "ok" : "not ok", ++k);
        report_put_tap_desc(out, c->name);
        fputs("\n  ---\n  scenario: ", out);
        report_put_yaml(out, c->path);
        fputs("\n  status: ", out);
        report_put_yaml(out, suite_status_name(c->status));
        fputs("\n  model: ", out);
        report_put_yaml(out, model_name(info));
        fputc('\n', out);
        if (c->description && c->description[0]) {
            fputs("  description: ", out);
            report_put_yaml(out, c->description);
            fputc('\n', out);
        }
        if (c->nevidence) {
            fputs("  evidence: [", out);
            for (size_t e = 0; e < c->nevidence; e++) {
                fputs(e ? ", " : "", out);
                report_put_yaml(out, c->evidence[e]);
            }
            fputs("]\n", out);
        }
        if (c->status != SUITE_ERROR)
            fprintf(out,
                    "  expectations: %u\n  expectations_failed: %u\n  verdicts: {pass: %u, "
                    "fail: %u, inconclusive: %u, n/a: %u}\n",
                    c->nexpect, c->nexpect_failed, c->totals[CHECK_PASS], c->totals[CHECK_FAIL],
                    c->totals[CHECK_INCONCLUSIVE], c->totals[CHECK_NA]);
        if (c->status != SUITE_PASS && c->detail[0]) {
            fputs(c->status == SUITE_ERROR ? "  error:\n" : "  failures:\n", out);
            each_line(c->detail, tap_item, out);
        }
        fprintf(out, "  duration_ms: %.3f\n  ...\n", 1000.0 * case_seconds(s, c, info));
    }
}

/* ---- JUnit XML ------------------------------------------------------------------------ */

static void junit_text(FILE *out, const char *line, size_t n)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%.*s", (int)(n < sizeof(buf) - 1 ? n : sizeof(buf) - 1), line);
    report_put_xml(out, buf);
    fputc('\n', out);
}

/* The first line of a case's detail, for a failure message. */
static void first_line(char *buf, size_t n, const char *text)
{
    const char *nl = strchr(text, '\n');
    size_t len = nl ? (size_t)(nl - text) : strlen(text);
    snprintf(buf, n, "%.*s", (int)(len < n - 1 ? len : n - 1), text);
}

static void junit_case(const struct suite *s, const struct suite_case *c,
                       const struct suite_report_info *info, FILE *out)
{
    fputs("    <testcase", out);
    report_put_xml_attr(out, "name", c->name);
    report_put_xml_attr(out, "classname", c->area[0] ? c->area : "catalog");
    fprintf(out, " assertions=\"%u\" time=\"%.3f\">\n", c->nexpect, case_seconds(s, c, info));
    char msg[600];
    first_line(msg, sizeof(msg), c->detail);
    if (c->status != SUITE_PASS) {
        const char *tag = c->status == SUITE_FAIL ? "failure" : "error";
        fprintf(out, "      <%s", tag);
        report_put_xml_attr(out, "message", msg);
        report_put_xml_attr(out, "type", c->status == SUITE_FAIL ? "expectation" : "input");
        fputs(">", out);
        each_line(c->detail, junit_text, out);
        fprintf(out, "</%s>\n", tag);
    }
    fputs("      <system-out>", out);
    report_put_xml(out, c->path);
    if (c->nevidence) {
        fputs("\nevidence:", out);
        for (size_t e = 0; e < c->nevidence; e++) {
            fputc(' ', out);
            report_put_xml(out, c->evidence[e]);
        }
    }
    fputs("</system-out>\n    </testcase>\n", out);
}

static void suite_junit(const struct suite *s, const struct suite_report_info *info, FILE *out)
{
    unsigned t[SUITE_NSTATUSES];
    suite_totals(s, t);
    double total = 0;
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].selected)
            total += case_seconds(s, &s->v[i], info);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
    report_put_xml_attr(out, "name", "fosim conformance");
    fprintf(out, " tests=\"%u\" failures=\"%u\" errors=\"%u\" disabled=\"0\" time=\"%.3f\">\n",
            t[SUITE_PASS] + t[SUITE_FAIL] + t[SUITE_ERROR], t[SUITE_FAIL], t[SUITE_ERROR], total);
    char marker[128];
    if (shard_line(s, info, marker, sizeof(marker)))
        fprintf(out, "<!-- %s -->\n", marker);
    unsigned id = 0;
    for (size_t i = 0; i < s->n;) {
        /* one testsuite per run of cases with the same area (sorted by name) */
        size_t j = i;
        unsigned n = 0, f = 0, e = 0;
        double secs = 0;
        for (; j < s->n && strcmp(s->v[j].area, s->v[i].area) == 0; j++) {
            if (!s->v[j].selected)
                continue;
            n++;
            f += s->v[j].status == SUITE_FAIL;
            e += s->v[j].status == SUITE_ERROR;
            secs += case_seconds(s, &s->v[j], info);
        }
        if (n) {
            fputs("  <testsuite", out);
            report_put_xml_attr(out, "name", s->v[i].area[0] ? s->v[i].area : "catalog");
            report_put_xml_attr(out, "package", "fosim.conformance");
            fprintf(out,
                    " id=\"%u\" tests=\"%u\" failures=\"%u\" errors=\"%u\" skipped=\"0\" "
                    "time=\"%.3f\">\n",
                    id++, n, f, e, secs);
            fputs("    <properties>\n      <property name=\"model\"", out);
            report_put_xml_attr(out, "value", model_name(info));
            fputs("/>\n      <property name=\"catalog\"", out);
            report_put_xml_attr(out, "value", s->dir);
            fputs("/>\n    </properties>\n", out);
            for (size_t k = i; k < j; k++)
                if (s->v[k].selected)
                    junit_case(s, &s->v[k], info, out);
            fputs("  </testsuite>\n", out);
        }
        i = j;
    }
    fputs("</testsuites>\n", out);
}

int suite_format_parse(const char *s, enum suite_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = SUITE_REPORT_TEXT;
    else if (strcmp(s, "tap") == 0)
        *out = SUITE_REPORT_TAP;
    else if (strcmp(s, "junit") == 0)
        *out = SUITE_REPORT_JUNIT;
    else
        return -1;
    return 0;
}

int suite_report(const struct suite *s, enum suite_format fmt,
                 const struct suite_report_info *info, FILE *out)
{
    switch (fmt) {
    case SUITE_REPORT_TEXT:
        suite_text(s, info, out);
        break;
    case SUITE_REPORT_TAP:
        suite_tap(s, info, out);
        break;
    case SUITE_REPORT_JUNIT:
        suite_junit(s, info, out);
        break;
    }
    return ferror(out) ? -1 : 0;
}
