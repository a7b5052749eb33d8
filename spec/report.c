/*
 * Reports: the format switch and what the three formats share (times,
 * the list of sources given, escaping helpers live with each format).
 */
#include "report.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "monitor.h"
#include "sim/err.h"

int check_format_parse(const char *s, enum check_format *out)
{
    if (strcasecmp(s, "text") == 0)
        *out = CHECK_REPORT_TEXT;
    else if (strcasecmp(s, "tap") == 0)
        *out = CHECK_REPORT_TAP;
    else if (strcasecmp(s, "junit") == 0 || strcasecmp(s, "xml") == 0)
        *out = CHECK_REPORT_JUNIT;
    else
        return -1;
    return 0;
}

size_t check_format_time(char *buf, size_t n, sim_time t, sim_time t0)
{
    int r;
    if (t == SIM_TIME_NONE) {
        r = snprintf(buf, n, "-");
    } else if (t0 != SIM_TIME_NONE) {
        sim_time d = t - t0;
        const char *sign = d < 0 ? "-" : "+";
        uint64_t a = (uint64_t)(d < 0 ? -d : d);
        r = snprintf(buf, n, "%s%" PRIu64 ".%06" PRIu64 "s", sign, a / 1000000000u,
                     (a % 1000000000u) / 1000u);
    } else {
        time_t secs = (time_t)(t / 1000000000);
        long us = (long)((t % 1000000000) / 1000);
        if (us < 0) {
            us += 1000000;
            secs--;
        }
        struct tm tm;
        if (!gmtime_r(&secs, &tm))
            r = snprintf(buf, n, "%lld", (long long)t);
        else
            r = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                         tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, us);
    }
    return r < 0 ? 0 : (size_t)r;
}

size_t report_utf8(const char *s, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n;
    uint32_t c, min;
    if (u[0] == 0)
        return 0;
    if (u[0] < 0x80) {
        *cp = u[0];
        return 1;
    }
    if ((u[0] & 0xe0) == 0xc0) {
        n = 2, c = u[0] & 0x1fu, min = 0x80;
    } else if ((u[0] & 0xf0) == 0xe0) {
        n = 3, c = u[0] & 0x0fu, min = 0x800;
    } else if ((u[0] & 0xf8) == 0xf0) {
        n = 4, c = u[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) { /* stops at a NUL: not a continuation byte */
        if ((u[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (u[i] & 0x3fu);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

void report_put_plain(FILE *out, const char *s)
{
    while (*s) {
        uint32_t cp;
        size_t n = report_utf8(s, &cp);
        if (n == 0 || cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
            for (size_t i = 0; i < (n ? n : 1); i++)
                fprintf(out, "\\x%02x", (unsigned char)s[i]);
            s += n ? n : 1;
        } else {
            fwrite(s, 1, n, out);
            s += n;
        }
    }
}

void report_head(FILE *out, const struct check *c, const char *lead,
                 void (*put)(FILE *out, const char *s))
{
    char src[512];
    report_sources(src, sizeof(src), c);
    fprintf(out, "%sfosim check: ", lead);
    put(out, c->ctx.name[0] ? c->ctx.name : "(unnamed)");
    fprintf(out, "\n%ssources: %s\n", lead, src);
    if (c->truncated) {
        fprintf(out, "%sthe trace is truncated: ", lead);
        put(out, c->truncated_why);
        fputc('\n', out);
    }
}

sim_time report_t0(const struct check *c)
{
    if (c->ctx.t0_set)
        return c->ctx.t0;
    return c->t_first;
}

size_t report_sources(char *buf, size_t n, const struct check *c)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int h = 0; h < OBS_NHOSTS; h++) {
        const struct check_host *ch = &c->ctx.host[h];
        if (!ch->present)
            continue;
        int r = snprintf(buf + len, len < n ? n - len : 0, "%s%s:", len ? "; " : "",
                         obs_host_name((enum obs_host)h));
        if (r > 0)
            len += (size_t)r;
        bool any = false;
        for (unsigned k = 0; k < SPEC_NSOURCES; k++) {
            if (!(ch->sources & (1u << k)))
                continue;
            r = snprintf(buf + len, len < n ? n - len : 0, " %s",
                         spec_source_name((enum spec_source)k));
            if (r > 0)
                len += (size_t)r;
            any = true;
        }
        if (!any) {
            r = snprintf(buf + len, len < n ? n - len : 0, " (none)");
            if (r > 0)
                len += (size_t)r;
        }
    }
    if (len == 0)
        snprintf(buf, n, "(no source given)");
    return len;
}

size_t report_evidence_where(char *buf, size_t n, const struct check_evidence *e)
{
    const char *what = e->kind == OBS_KLOG      ? "guest"
                       : e->kind == OBS_FRAME   ? "pcap"
                       : e->kind == OBS_HOSTLOG ? "stderr"
                                                : "qmp";
    int r;
    if (e->file[0] && e->line)
        r = snprintf(buf, n, "%s %s %s:%" PRIu64 "%s", obs_host_name(e->host), what, e->file,
                     e->line, e->kind == OBS_FRAME ? " (record)" : "");
    else if (e->file[0])
        r = snprintf(buf, n, "%s %s %s", obs_host_name(e->host), what, e->file);
    else
        r = snprintf(buf, n, "%s %s", obs_host_name(e->host), what);
    return r < 0 ? 0 : (size_t)r;
}

int check_report(const struct check *c, enum check_format fmt,
                 const struct check_report_opts *opts, FILE *out)
{
    static const struct check_report_opts none = { .verbose = false };
    if (!opts)
        opts = &none;
    switch (fmt) {
    case CHECK_REPORT_TEXT:
        report_text(c, opts, out);
        break;
    case CHECK_REPORT_TAP:
        report_tap(c, opts, out);
        break;
    case CHECK_REPORT_JUNIT:
        report_junit(c, opts, out);
        break;
    }
    if (fflush(out) != 0 || ferror(out))
        return -1;
    return 0;
}

/* ---- escaping for the report formats (check, conformance and campaign reports alike) ---- */

/* A TAP description: one line, '#' and '\' escaped; line breaks and tabs
 * as spaces, other control characters and bytes that are not UTF-8 as
 * "\\xNN" (an escaped backslash: the reader sees "\xNN"). */
void report_put_tap_desc(FILE *out, const char *s)
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
void report_put_yaml(FILE *out, const char *s)
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

/* XML 1.0 text or attribute value: markup escaped; characters XML 1.0
 * does not allow (C0 controls but tab and newline, U+FFFE, U+FFFF), the
 * C1 controls and DEL, and bytes that are not UTF-8 written as the text
 * "\xNN". */
void report_put_xml(FILE *out, const char *s)
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

void report_put_xml_attr(FILE *out, const char *name, const char *val)
{
    fprintf(out, " %s=\"", name);
    report_put_xml(out, val);
    fputc('"', out);
}
