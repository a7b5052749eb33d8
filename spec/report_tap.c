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

/* A TAP description: one line, '#' and '\' escaped; line breaks and tabs
 * as spaces, other control characters and bytes that are not UTF-8 as
 * "\\xNN" (an escaped backslash: the reader sees "\xNN"). */
static void put_desc(FILE *out, const char *s)
{
    while (*s) {
        uint32_t cp;
        size_t n = report_utf8(s, &cp);
        if (n == 1 && (cp == '#' || cp == '\\')) {
            fputc('\\', out);
            fputc((int)cp, out);
        } else if (n == 1 && (cp == '\n' || cp == '\r' || cp == '\t')) {
            fputc(' ', out);
        } else if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            for (size_t i = 0; i < (n ? n : 1); i++)
                fprintf(out, "\\\\x%02x", (unsigned char)s[i]);
        } else {
            fwrite(s, 1, n, out);
        }
        s += n ? n : 1;
    }
}

/* Is code point cp shown as is in YAML?  c-printable (YAML 1.2 5.1) but
 * NEL (U+0085), which YAML 1.1 readers take for a line break. */
static bool yaml_printable(uint32_t cp)
{
    return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xd7ff) ||
           (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/* A YAML double-quoted scalar: non-printable code points as \uXXXX, bytes
 * that are not UTF-8 as \xNN (the reader gets U+00NN). */
static void put_yaml(FILE *out, const char *s)
{
    fputc('"', out);
    while (*s) {
        uint32_t cp;
        size_t n = report_utf8(s, &cp);
        if (n == 0)
            fprintf(out, "\\x%02x", (unsigned char)*s);
        else if (cp == '"' || cp == '\\')
            fprintf(out, "\\%c", (char)cp);
        else if (cp == '\n')
            fputs("\\n", out);
        else if (cp == '\t')
            fputs("\\t", out);
        else if (!yaml_printable(cp))
            fprintf(out, "\\u%04x", (unsigned)cp);
        else
            fwrite(s, 1, n, out);
        s += n ? n : 1;
    }
    fputc('"', out);
}

static void yaml_kv(FILE *out, const char *indent, const char *key, const char *val)
{
    fprintf(out, "%s%s: ", indent, key);
    put_yaml(out, val);
    fputc('\n', out);
}

static void point(const struct check *c, unsigned n, const struct check_result *r, FILE *out)
{
    const struct spec_entry *a = r->a;
    bool ok = r->verdict == CHECK_PASS || r->verdict == CHECK_NA;
    fprintf(out, "%s %u - %s ", ok ? "ok" : "not ok", n, a->id);
    put_desc(out, a->statement);
    if (r->verdict == CHECK_NA) {
        fputs(" # SKIP n/a: ", out);
        put_desc(out, r->why);
    } else if (r->verdict == CHECK_INCONCLUSIVE) {
        fputs(" # TODO inconclusive: ", out);
        put_desc(out, r->why);
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
    char src[512];
    report_sources(src, sizeof(src), c);
    fprintf(out, "# fosim check: ");
    put_desc(out, c->ctx.name[0] ? c->ctx.name : "(unnamed)");
    fprintf(out, "\n# sources: %s\n", src);
    if (c->truncated) {
        fputs("# the trace is truncated: ", out);
        put_desc(out, c->truncated_why);
        fputc('\n', out);
    }
    for (unsigned i = 0; i < SPEC_NIDS; i++)
        point(c, i + 1, check_result(c, i), out);
    unsigned t[CHECK_NVERDICTS];
    check_totals(c, t);
    fprintf(out, "# pass %u, fail %u, inconclusive %u, n/a %u; exit %d\n", t[CHECK_PASS],
            t[CHECK_FAIL], t[CHECK_INCONCLUSIVE], t[CHECK_NA], check_exit_status(c));
}
