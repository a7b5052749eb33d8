/*
 * The TAP report: TAP version 14, one test point per catalog assertion.
 *
 *   TAP version 14
 *   1..N
 *   ok 1 - CFG-001 <statement>
 *   not ok 7 - MIGS-004 <statement>      FAIL, with YAML diagnostics
 *   ok 9 - NEG-002 <statement> # SKIP n/a: <why>
 *   not ok 12 - EVT-002 <statement> # TODO inconclusive: <why>
 *
 * N/A is a SKIP; INCONCLUSIVE is a TODO ("not verified", which a harness
 * does not count as a failure: the exit status 3 says it).  Every point
 * carries a YAML block (2-space indented, between --- and ...) with the id,
 * area, level, source, rules, verdict and, for a failure, what was required
 * and the evidence records.  '#' and '\' in descriptions are escaped.
 */
#include <inttypes.h>
#include <string.h>

#include "monitor.h"
#include "report.h"

static void yaml_kv(FILE *out, const char *indent, const char *key, const char *val)
{
    fprintf(out, "%s%s: ", indent, key);
    report_put_yaml(out, val);
    fputc('\n', out);
}

static void point(const struct check *c, unsigned n, const struct check_result *r, FILE *out)
{
    const struct spec_entry *a = r->a;
    bool ok = r->verdict == CHECK_PASS || r->verdict == CHECK_NA;
    fprintf(out, "%s %u - %s ", ok ? "ok" : "not ok", n, a->id);
    report_put_tap_desc(out, a->statement);
    if (r->verdict == CHECK_NA) {
        fputs(" # SKIP n/a: ", out);
        report_put_tap_desc(out, r->why);
    } else if (r->verdict == CHECK_INCONCLUSIVE) {
        fputs(" # TODO inconclusive: ", out);
        report_put_tap_desc(out, r->why);
    }
    fputc('\n', out);
    fputs("  ---\n", out);
    yaml_kv(out, "  ", "id", a->id);
    yaml_kv(out, "  ", "area", spec_area_name(a->area));
    yaml_kv(out, "  ", "level", spec_level_name(a->level));
    yaml_kv(out, "  ", "source", a->source);
    yaml_kv(out, "  ", "rules", a->rules);
    yaml_kv(out, "  ", "verdict", check_verdict_name(r->verdict));
    yaml_kv(out, "  ", r->verdict == CHECK_FAIL ? "required" : "message", r->why);
    fprintf(out, "  instances: %u\n", r->checked + r->unsure);
    if (r->verdict == CHECK_FAIL)
        fprintf(out, "  failed: %u\n", r->failed);
    if (r->nev) {
        sim_time t0 = report_t0(c);
        fputs("  evidence:\n", out);
        for (unsigned i = 0; i < r->nev; i++) {
            const struct check_evidence *e = &r->ev[i];
            char abs[48], rel[48];
            check_format_time(abs, sizeof(abs), e->t, SIM_TIME_NONE);
            check_format_time(rel, sizeof(rel), e->t, t0);
            yaml_kv(out, "    - ", "time", abs);
            yaml_kv(out, "      ", "relative", rel);
            fprintf(out, "      approximate: %s\n", e->t_approx ? "true" : "false");
            yaml_kv(out, "      ", "host", obs_host_name(e->host));
            yaml_kv(out, "      ", "record", obs_kind_name(e->kind));
            yaml_kv(out, "      ", "file", e->file);
            fprintf(out, "      line: %" PRIu64 "\n", e->line);
            yaml_kv(out, "      ", "seen", e->seen);
        }
    }
    fputs("  ...\n", out);
}

void report_tap(const struct check *c, const struct check_report_opts *opts, FILE *out)
{
    (void)opts;
    fputs("TAP version 14\n", out);
    fprintf(out, "1..%u\n", (unsigned)SPEC_NIDS);
    report_head(out, c, "# ", report_put_tap_desc);
    for (unsigned i = 0; i < SPEC_NIDS; i++)
        point(c, i + 1, check_result(c, i), out);
    unsigned t[CHECK_NVERDICTS];
    check_totals(c, t);
    fprintf(out, "# pass %u, fail %u, inconclusive %u, n/a %u; exit %d\n", t[CHECK_PASS],
            t[CHECK_FAIL], t[CHECK_INCONCLUSIVE], t[CHECK_NA], check_exit_status(c));
}
