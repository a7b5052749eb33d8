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

/* XML 1.0 text or attribute value: markup escaped; characters XML 1.0
 * does not allow (C0 controls but tab and newline, U+FFFE, U+FFFF), the
 * C1 controls and DEL, and bytes that are not UTF-8 written as the text
 * "\xNN". */
static void put_xml(FILE *out, const char *s)
{
    while (*s) {
        uint32_t cp;
        size_t n = report_utf8(s, &cp);
        if (n == 0 || (n > 1 && (cp < 0xa0 || cp == 0xfffe || cp == 0xffff))) {
            for (size_t i = 0; i < (n ? n : 1); i++)
                fprintf(out, "\\x%02x", (unsigned char)s[i]);
            s += n ? n : 1;
            continue;
        }
        if (n > 1) {
            fwrite(s, 1, n, out);
            s += n;
            continue;
        }
        unsigned char ch = (unsigned char)*s++;
        switch (ch) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&apos;", out);
            break;
        case '\n':
        case '\t':
            fputc(ch, out);
            break;
        default:
            if (ch < 0x20 || ch == 0x7f)
                fprintf(out, "\\x%02x", ch);
            else
                fputc(ch, out);
        }
    }
}

static void attr(FILE *out, const char *name, const char *val)
{
    fprintf(out, " %s=\"", name);
    put_xml(out, val);
    fputc('"', out);
}

static void testcase(const struct check *c, const struct check_result *r, FILE *out)
{
    const struct spec_entry *a = r->a;
    fputs("    <testcase", out);
    attr(out, "name", a->id);
    attr(out, "classname", spec_area_prefix(a->area));
    attr(out, "status", check_verdict_name(r->verdict));
    fprintf(out, " assertions=\"%u\" time=\"0\">\n", r->checked + r->unsure);
    char msg[600];
    switch (r->verdict) {
    case CHECK_PASS:
        break;
    case CHECK_NA:
    case CHECK_INCONCLUSIVE:
        snprintf(msg, sizeof(msg), "%s: %s", check_verdict_name(r->verdict), r->why);
        fputs("      <skipped", out);
        attr(out, "message", msg);
        fputs("/>\n", out);
        break;
    case CHECK_FAIL: {
        fputs("      <failure", out);
        attr(out, "message", r->why);
        attr(out, "type", spec_level_name(a->level));
        fputs(">", out);
        put_xml(out, a->id);
        fputs(" ", out);
        put_xml(out, a->statement);
        fputs("\nrequired: ", out);
        put_xml(out, r->why);
        fprintf(out, "\nfailed instances: %u of %u\nsource: ", r->failed, r->checked);
        put_xml(out, a->source);
        fputs(" (", out);
        put_xml(out, a->rules);
        fputs(")\n", out);
        sim_time t0 = report_t0(c);
        for (unsigned i = 0; i < r->nev; i++) {
            const struct check_evidence *e = &r->ev[i];
            char abs[48], rel[48], where[160];
            check_format_time(abs, sizeof(abs), e->t, SIM_TIME_NONE);
            check_format_time(rel, sizeof(rel), e->t, t0);
            report_evidence_where(where, sizeof(where), e);
            fprintf(out, "evidence: %s (%s) ", abs, rel);
            put_xml(out, where);
            fputs(": ", out);
            put_xml(out, e->seen);
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
    attr(out, "name", name);
    fprintf(out, " tests=\"%u\" failures=\"%u\" errors=\"0\" disabled=\"0\" time=\"0\">\n",
            (unsigned)SPEC_NIDS, t[CHECK_FAIL]);
    for (unsigned a = 0; a < SPEC_NAREAS; a++) {
        unsigned at[CHECK_NVERDICTS];
        check_area_totals(c, (enum spec_area)a, at);
        unsigned n = at[CHECK_PASS] + at[CHECK_FAIL] + at[CHECK_INCONCLUSIVE] + at[CHECK_NA];
        if (n == 0)
            continue;
        fputs("  <testsuite", out);
        attr(out, "name", spec_area_prefix((enum spec_area)a));
        attr(out, "package", "fosim");
        fprintf(out, " id=\"%u\" tests=\"%u\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"0\">\n",
                a, n, at[CHECK_FAIL], at[CHECK_INCONCLUSIVE] + at[CHECK_NA]);
        fputs("    <properties>\n      <property name=\"area\"", out);
        attr(out, "value", spec_area_name((enum spec_area)a));
        fputs("/>\n", out);
        for (unsigned i = 0; i < SPEC_NIDS; i++) {
            const struct check_result *r = check_result(c, i);
            if (r->a->area != (enum spec_area)a)
                continue;
            fputs("      <property", out);
            attr(out, "name", r->a->id);
            attr(out, "value", spec_level_name(r->a->level));
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
