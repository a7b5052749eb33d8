/*
 * The JUnit XML report, in the shape of Jenkins' junit-4.xsd (the schema is
 * shipped as spec/junit-4.xsd and the tests validate against it).
 *
 *   <testsuites name="fosim check" tests failures errors skipped>
 *     <testsuite name="MIGS" tests failures errors skipped time>  one per area
 *       <properties>  area name, and per assertion its level:
 *         <property name="MIGS-004" value="MUST"/>
 *       <testcase name="MIGS-004" classname="MIGS" status="fail">
 *         <failure message="required..." type="MUST">evidence</failure>
 *       <testcase ... status="n/a"><skipped message="n/a: why"/>
 *       <testcase ... status="inconclusive"><skipped message="inconclusive: why"/>
 *
 * junit-4.xsd has no per-testcase properties, so the ID and level travel as
 * testsuite properties (and as the testcase name and failure type).
 */
#include <inttypes.h>
#include <string.h>

#include "monitor.h"
#include "report.h"

static void testcase(const struct check *c, const struct check_result *r, FILE *out)
{
    const struct spec_entry *a = r->a;
    fputs("    <testcase", out);
    report_put_xml_attr(out, "name", a->id);
    report_put_xml_attr(out, "classname", spec_area_prefix(a->area));
    report_put_xml_attr(out, "status", check_verdict_name(r->verdict));
    fprintf(out, " assertions=\"%u\" time=\"0\">\n", r->checked + r->unsure);
    char msg[600];
    switch (r->verdict) {
    case CHECK_PASS:
        break;
    case CHECK_NA:
    case CHECK_INCONCLUSIVE:
        snprintf(msg, sizeof(msg), "%s: %s", check_verdict_name(r->verdict), r->why);
        fputs("      <skipped", out);
        report_put_xml_attr(out, "message", msg);
        fputs("/>\n", out);
        break;
    case CHECK_FAIL: {
        fputs("      <failure", out);
        report_put_xml_attr(out, "message", r->why);
        report_put_xml_attr(out, "type", spec_level_name(a->level));
        fputs(">", out);
        report_put_xml(out, a->id);
        fputs(" ", out);
        report_put_xml(out, a->statement);
        fputs("\nrequired: ", out);
        report_put_xml(out, r->why);
        fprintf(out, "\nfailed instances: %u of %u\nsource: ", r->failed, r->checked);
        report_put_xml(out, a->source);
        fputs(" (", out);
        report_put_xml(out, a->rules);
        fputs(")\n", out);
        sim_time t0 = report_t0(c);
        for (unsigned i = 0; i < r->nev; i++) {
            const struct check_evidence *e = &r->ev[i];
            char abs[48], rel[48], where[160];
            check_format_time(abs, sizeof(abs), e->t, SIM_TIME_NONE);
            check_format_time(rel, sizeof(rel), e->t, t0);
            report_evidence_where(where, sizeof(where), e);
            fprintf(out, "evidence: %s (%s) ", abs, rel);
            report_put_xml(out, where);
            fputs(": ", out);
            report_put_xml(out, e->seen);
            fputc('\n', out);
        }
        fputs("</failure>\n", out);
        break;
    }
    case CHECK_NVERDICTS:
        break;
    }
    fputs("    </testcase>\n", out);
}

void report_junit(const struct check *c, const struct check_report_opts *opts, FILE *out)
{
    (void)opts;
    unsigned t[CHECK_NVERDICTS];
    check_totals(c, t);
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites", out);
    char name[300];
    snprintf(name, sizeof(name), "fosim check %s", c->ctx.name);
    report_put_xml_attr(out, "name", name);
    fprintf(out, " tests=\"%u\" failures=\"%u\" errors=\"0\" disabled=\"0\" time=\"0\">\n",
            (unsigned)SPEC_NIDS, t[CHECK_FAIL]);
    for (unsigned a = 0; a < SPEC_NAREAS; a++) {
        unsigned at[CHECK_NVERDICTS];
        check_area_totals(c, (enum spec_area)a, at);
        unsigned n = at[CHECK_PASS] + at[CHECK_FAIL] + at[CHECK_INCONCLUSIVE] + at[CHECK_NA];
        if (n == 0)
            continue;
        fputs("  <testsuite", out);
        report_put_xml_attr(out, "name", spec_area_prefix((enum spec_area)a));
        report_put_xml_attr(out, "package", "fosim");
        fprintf(out, " id=\"%u\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"0\">\n",
                a, n, at[CHECK_FAIL], at[CHECK_INCONCLUSIVE] + at[CHECK_NA]);
        fputs("    <properties>\n      <property name=\"area\"", out);
        report_put_xml_attr(out, "value", spec_area_name((enum spec_area)a));
        fputs("/>\n", out);
        for (unsigned i = 0; i < SPEC_NIDS; i++) {
            const struct check_result *r = check_result(c, i);
            if (r->a->area != (enum spec_area)a)
                continue;
            fputs("      <property", out);
            report_put_xml_attr(out, "name", r->a->id);
            report_put_xml_attr(out, "value", spec_level_name(r->a->level));
            fputs("/>\n", out);
        }
        fputs("    </properties>\n", out);
        for (unsigned i = 0; i < SPEC_NIDS; i++) {
            const struct check_result *r = check_result(c, i);
            if (r->a->area == (enum spec_area)a)
                testcase(c, r, out);
        }
        fputs("  </testsuite>\n", out);
    }
    fputs("</testsuites>\n", out);
}
