/*
 * The text report: what a person reads first.
 *
 * Failures first, each with the statement, what was required, the source it
 * comes from and the records that show it; then the inconclusive ones with
 * their reason; then the N/A ones grouped by reason (which source was
 * missing, or that the situation never arose); then a summary per area and
 * the overall verdict with the exit status.
 */
#include <string.h>

#include "monitor.h"
#include "report.h"

static void print_evidence(const struct check *c, const struct check_result *r, FILE *out)
{
    sim_time t0 = report_t0(c);
    for (unsigned i = 0; i < r->nev; i++) {
        const struct check_evidence *e = &r->ev[i];
        char abs[48], rel[48], where[160];
        check_format_time(abs, sizeof(abs), e->t, SIM_TIME_NONE);
        check_format_time(rel, sizeof(rel), e->t, t0);
        report_evidence_where(where, sizeof(where), e);
        fprintf(out, "    %s (%s%s) ", abs, rel, e->t_approx ? ", approx." : "");
        report_put_plain(out, where);
        fputs("\n        ", out);
        report_put_plain(out, e->seen);
        fputc('\n', out);
    }
}

void check_print_result(const struct check *c, const struct check_result *r, FILE *out)
{
    const struct spec_entry *a = r->a;
    fprintf(out, "%s %s [%s] %s\n", check_verdict_upper(r->verdict), a->id,
            spec_level_name(a->level), a->statement);
    if (r->verdict == CHECK_FAIL) {
        fputs("  required: ", out);
        report_put_plain(out, r->why);
        fputc('\n', out);
        if (r->failed > 1)
            fprintf(out, "  (%u of %u instances failed; the first is shown)\n", r->failed,
                    r->checked);
    } else if (r->why[0]) {
        fputs("  ", out);
        report_put_plain(out, r->why);
        fputc('\n', out);
    }
    fprintf(out, "  source: %s (%s)\n", a->source, a->rules);
    if (r->nev) {
        fprintf(out, "  evidence:\n");
        print_evidence(c, r, out);
    }
}

static void na_groups(const struct check *c, FILE *out)
{
    bool done[SPEC_NIDS] = { false };
    bool any = false;
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        const struct check_result *r = check_result(c, i);
        if (r->verdict != CHECK_NA || done[i])
            continue;
        if (!any)
            fprintf(out, "N/A:\n");
        any = true;
        fputs("  ", out);
        report_put_plain(out, r->why);
        fputc(':', out);
        for (unsigned k = i; k < SPEC_NIDS; k++) {
            const struct check_result *q = check_result(c, k);
            if (q->verdict == CHECK_NA && !done[k] && strcmp(q->why, r->why) == 0) {
                fprintf(out, " %s", q->a->id);
                done[k] = true;
            }
        }
        fprintf(out, "\n");
    }
    if (any)
        fprintf(out, "\n");
}

void report_text(const struct check *c, const struct check_report_opts *opts, FILE *out)
{
    report_head(out, c, "", report_put_plain);
    fprintf(out, "\n");

    static const enum check_verdict order[] = { CHECK_FAIL, CHECK_INCONCLUSIVE, CHECK_PASS };
    for (unsigned v = 0; v < SIM_ARRAY_SIZE(order); v++) {
        if (order[v] == CHECK_PASS && !opts->verbose)
            break;
        for (unsigned i = 0; i < SPEC_NIDS; i++) {
            const struct check_result *r = check_result(c, i);
            if (r->verdict != order[v])
                continue;
            check_print_result(c, r, out);
            fprintf(out, "\n");
        }
    }
    na_groups(c, out);

    fprintf(out, "%-27s %5s %5s %13s %5s\n", "area", "pass", "fail", "inconclusive", "n/a");
    for (unsigned a = 0; a < SPEC_NAREAS; a++) {
        unsigned t[CHECK_NVERDICTS];
        check_area_totals(c, (enum spec_area)a, t);
        char name[40];
        snprintf(name, sizeof(name), "%s %s", spec_area_prefix((enum spec_area)a),
                 spec_area_name((enum spec_area)a));
        fprintf(out, "%-27s %5u %5u %13u %5u\n", name, t[CHECK_PASS], t[CHECK_FAIL],
                t[CHECK_INCONCLUSIVE], t[CHECK_NA]);
    }
    unsigned t[CHECK_NVERDICTS];
    check_totals(c, t);
    fprintf(out, "%-27s %5u %5u %13u %5u\n", "total", t[CHECK_PASS], t[CHECK_FAIL],
            t[CHECK_INCONCLUSIVE], t[CHECK_NA]);
    int rc = check_exit_status(c);
    const char *verdict = rc == 0   ? "PASS: every applicable assertion held"
                          : rc == 1 ? "FAIL: at least one assertion failed"
                          : t[CHECK_PASS] + t[CHECK_INCONCLUSIVE] == 0
                              ? "INCONCLUSIVE: no assertion was applicable"
                              : "INCONCLUSIVE: none failed, but not everything was settled";
    fprintf(out, "\n%s (exit %d)\n", verdict, rc);
}
