/*
 * fosim merge-reports: put the reports of the shards of one campaign back
 * together into the report the unsharded run gives (doc/sharding.md).
 *
 * Every input carries the shard marker (sim/include/sim/shard.h): the
 * merge refuses a set that is not exactly shards 1..N of one campaign of T
 * items, and shards whose fixed parts differ (they come from different
 * runs).  Shards hold contiguous blocks, so the merged report is the
 * shards' entries concatenated in K order:
 *   TAP    the test points (with their subtests and YAML blocks) are
 *          renumbered 1..T, the plan becomes 1..T, the summary comment
 *          (cli/tap_summary.h) is computed again, every other header and
 *          trailer line must be the same in every shard and is kept once;
 *          each shard's number of points must be its block's size.
 *   JUnit  the <testsuite> elements are concatenated (a suite split across
 *          two adjacent shards, same name, is joined), their tests,
 *          failures, errors, skipped and time attributes and those of
 *          <testsuites> are computed again from the test cases, a suite's
 *          id attribute is its position; the root start tag must otherwise
 *          be the same in every shard.
 * A bailed-out TAP shard, a truncated file or anything else that is not a
 * whole report is an error (exit 2): a partial merge is never a result.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "sim/err.h"
#include "sim/shard.h"
#include "tap_summary.h"

#define MAX_REPORT (1u << 30) /* bytes in one report */

void cmd_merge_reports_usage(FILE *out)
{
    fprintf(out,
            "usage: fosim merge-reports [--output FILE] REPORT...\n\n"
            "Merge the TAP or JUnit reports of the shards of one campaign (fosim check\n"
            "--shard K/N, fosim conformance --shard K/N) into the report of the whole\n"
            "campaign, as one unsharded run writes it (doc/sharding.md).  Every shard\n"
            "1..N must be given once, in any order.\n\n"
            "  --output FILE   write the merged report there instead of standard output\n\n"
            "Exit status: 0 merged, 2 the inputs are not the complete shards of one\n"
            "campaign (nothing is written).\n");
}

struct span {
    const char *p;
    size_t n;
};

struct report {
    const char *path;
    char *buf; /* the file, NUL-terminated (owned) */
    size_t len;
    struct shard shard;
    size_t first, last, total;
    bool marked;
};

static int read_report(struct report *r, struct sim_err *err)
{
    FILE *f = fopen(r->path, "rb");
    if (!f)
        return sim_errf(err, "%s: %s", r->path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(f);
            return sim_errf(err, "%s: out of memory", r->path);
        }
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1)
            break;
        if (cap >= MAX_REPORT) {
            free(buf);
            fclose(f);
            return sim_errf(err, "%s: larger than %u bytes, the bound on a report", r->path,
                            MAX_REPORT);
        }
        cap *= 2;
        char *nb = realloc(buf, cap);
        if (!nb)
            free(buf);
        buf = nb;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return sim_errf(err, "%s: read error: %s", r->path, strerror(errno));
    }
    buf[n] = '\0';
    size_t nul = strlen(buf);
    if (nul != n) {
        free(buf);
        return sim_errf(err, "%s: byte %zu: a NUL byte, expected a text report", r->path, nul);
    }
    r->buf = buf;
    r->len = n;
    return 0;
}

/* Record a shard marker found at line `line` of r. */
static int take_marker(struct report *r, const char *text, size_t len, unsigned line,
                       struct sim_err *err)
{
    char m[160];
    if (len >= sizeof(m))
        return sim_errf(err, "%s:%u: a malformed shard marker", r->path, line);
    memcpy(m, text, len);
    m[len] = '\0';
    if (r->marked)
        return sim_errf(err, "%s:%u: a second shard marker", r->path, line);
    if (shard_marker_parse(m, &r->shard, &r->first, &r->last, &r->total) != 0)
        return sim_errf(err, "%s:%u: a malformed shard marker '%s' (expected '%s K/N: items "
                        "A-B of T')", r->path, line, m, SHARD_MARKER);
    r->marked = true;
    return 0;
}

static void put_span(struct span s, FILE *out)
{
    if (s.n > 0)
        fwrite(s.p, 1, s.n, out);
}

static bool span_eq(struct span a, struct span b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* ---- TAP -------------------------------------------------------------------------------- */

struct tap_point {
    struct span pre;  /* subtest and comments before the point line */
    bool ok, todo, skip;
    struct span rest; /* the point line after "ok N" */
    struct span post; /* its YAML block */
};

struct tap {
    struct span version;
    struct span head[64]; /* header lines; {NULL, 0} stands for the plan */
    unsigned nhead;
    struct span tail[64]; /* trailer lines but the summary; {NULL, 0}: the plan */
    unsigned ntail;
    struct tap_point *pts;
    size_t npts, cap;
};

static struct span next_line(const char **p)
{
    struct span s = { *p, strcspn(*p, "\n") };
    *p += s.n + ((*p)[s.n] == '\n');
    return s;
}

static bool starts(struct span s, const char *pfx)
{
    size_t l = strlen(pfx);
    return s.n >= l && memcmp(s.p, pfx, l) == 0;
}

static bool is_plan(struct span s)
{
    if (!starts(s, "1.."))
        return false;
    size_t i = 3;
    while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
        i++;
    return i > 3 && (i == s.n || s.p[i] == ' ');
}

/* A directive after an unescaped '#' in a point's description. */
static void directive(struct span rest, bool *todo, bool *skip)
{
    for (size_t i = 0; i < rest.n; i++) {
        if (rest.p[i] == '\\') {
            i++;
            continue;
        }
        if (rest.p[i] != '#')
            continue;
        size_t j = i + 1;
        while (j < rest.n && rest.p[j] == ' ')
            j++;
        if (rest.n - j >= 4 && strncasecmp(rest.p + j, "todo", 4) == 0)
            *todo = true;
        if (rest.n - j >= 4 && strncasecmp(rest.p + j, "skip", 4) == 0)
            *skip = true;
        return;
    }
}

static int tap_parse(struct report *r, struct tap *t, struct sim_err *err)
{
    const char *p = r->buf;
    unsigned line = 1;
    t->version = next_line(&p);
    if (!starts(t->version, "TAP version "))
        return sim_errf(err, "%s:1: expected 'TAP version 14'", r->path);
    bool body = false, plan = false;
    unsigned long planned = 0; /* N of the plan 1..N */
    const char *loose = NULL;  /* start of lines not yet given to a point */
    while (*p) {
        line++;
        const char *at = p;
        struct span s = next_line(&p);
        bool ok = starts(s, "ok"), nok = starts(s, "not ok");
        if ((ok && (s.n == 2 || s.p[2] == ' ')) || (nok && (s.n == 6 || s.p[6] == ' '))) {
            struct tap_point pt = { .ok = ok };
            pt.pre = loose ? (struct span){ loose, (size_t)(at - loose) } : (struct span){ at, 0 };
            loose = NULL;
            size_t i = ok ? 2 : 6;
            if (i < s.n && s.p[i] == ' ' && i + 1 < s.n && s.p[i + 1] >= '0' &&
                s.p[i + 1] <= '9') {
                unsigned long num = strtoul(s.p + i + 1, NULL, 10);
                if (num != t->npts + 1)
                    return sim_errf(err, "%s:%u: test point %lu, expected %zu", r->path, line,
                                    num, t->npts + 1);
                i++;
                while (i < s.n && s.p[i] >= '0' && s.p[i] <= '9')
                    i++;
            }
            pt.rest = (struct span){ s.p + i, s.n - i };
            directive(pt.rest, &pt.todo, &pt.skip);
            const char *yaml = p;
            struct span y = next_line(&yaml);
            if (y.n == 5 && memcmp(y.p, "  ---", 5) == 0) {
                unsigned l2 = line + 1;
                for (;;) {
                    if (!*yaml)
                        return sim_errf(err, "%s:%u: a YAML block without its closing '  ...'",
                                        r->path, l2);
                    y = next_line(&yaml);
                    l2++;
                    if (y.n == 5 && memcmp(y.p, "  ...", 5) == 0)
                        break;
                }
                pt.post = (struct span){ p, (size_t)(yaml - p) };
                line = l2;
                p = yaml;
            }
            if (t->npts == t->cap) {
                t->cap = t->cap ? t->cap * 2 : 64;
                t->pts = sim_xrealloc(t->pts, t->cap * sizeof(*t->pts));
            }
            t->pts[t->npts++] = pt;
            body = true;
            continue;
        }
        if (starts(s, "Bail out!"))
            return sim_errf(err, "%s:%u: the shard bailed out: its report is partial", r->path,
                            line);
        if (starts(s, "# " SHARD_MARKER " ")) {
            if (take_marker(r, s.p + 2, s.n - 2, line, err) != 0)
                return -1;
            continue;
        }
        if (is_plan(s)) {
            if (plan)
                return sim_errf(err, "%s:%u: a second plan", r->path, line);
            plan = true;
            errno = 0;
            planned = strtoul(s.p + 3, NULL, 10);
            if (errno)
                return sim_errf(err, "%s:%u: a plan of more test points than can be counted",
                                r->path, line);
            if (body) { /* a trailing plan: it ends the points */
                if (!loose)
                    loose = at;
                continue;
            }
            if (t->nhead == SIM_ARRAY_SIZE(t->head))
                return sim_errf(err, "%s:%u: too many header lines", r->path, line);
            t->head[t->nhead++] = (struct span){ NULL, 0 };
            continue;
        }
        if (!body && starts(s, TAP_SUMMARY_PREFIX))
            continue; /* an empty shard's summary: computed again */
        if (!body && (s.n == 0 || s.p[0] == '#') && !starts(s, "# Subtest")) {
            if (t->nhead == SIM_ARRAY_SIZE(t->head))
                return sim_errf(err, "%s:%u: too many header lines", r->path, line);
            t->head[t->nhead++] = s;
            continue;
        }
        if (s.n == 0 || s.p[0] == '#' || s.p[0] == ' ') {
            if (!loose)
                loose = at;
            body = true;
            continue;
        }
        return sim_errf(err, "%s:%u: expected a TAP line (test point, plan, comment or "
                        "indented subtest), found '%.*s'", r->path, line,
                        (int)(s.n > 60 ? 60 : s.n), s.p);
    }
    if (!plan)
        return sim_errf(err, "%s: no plan: the report is incomplete", r->path);
    if (planned != t->npts) /* cut at a line boundary, or not one report */
        return sim_errf(err, "%s: the plan announces %lu test points, the report has %zu: "
                        "the report is incomplete", r->path, planned, t->npts);
    /* lines after the last point: the trailer */
    for (const char *q = loose; q && *q;) {
        struct span s = next_line(&q);
        if (starts(s, TAP_SUMMARY_PREFIX))
            continue;
        if (s.n > 0 && s.p[0] == ' ')
            return sim_errf(err, "%s: an indented subtest after the last test point", r->path);
        if (t->ntail == SIM_ARRAY_SIZE(t->tail))
            return sim_errf(err, "%s: too many trailer lines", r->path);
        t->tail[t->ntail++] = is_plan(s) ? (struct span){ NULL, 0 } : s;
    }
    return 0;
}

static bool lines_eq(const struct span *a, unsigned na, const struct span *b, unsigned nb)
{
    if (na != nb)
        return false;
    for (unsigned i = 0; i < na; i++)
        if ((a[i].p == NULL) != (b[i].p == NULL) || (a[i].p && !span_eq(a[i], b[i])))
            return false;
    return true;
}

static void put_lines(const struct span *v, unsigned n, size_t total, FILE *out)
{
    for (unsigned i = 0; i < n; i++) {
        if (v[i].p)
            fprintf(out, "%.*s\n", (int)v[i].n, v[i].p);
        else
            fprintf(out, "1..%zu\n", total);
    }
}

/* Merge parsed shards t[] (order[k]: shard k + 1) into out. */
static int tap_merge(struct report *rs, struct tap *t, size_t nr, const size_t *order, FILE *out,
                     struct sim_err *err)
{
    int rc = -1;
    for (size_t i = 0; i < nr; i++) {
        const struct report *r = &rs[i];
        if (r->marked && t[i].npts != r->last - r->first) {
            sim_errf(err, "%s: %zu test points, but shard %u/%u holds %zu items", r->path,
                     t[i].npts, r->shard.k, r->shard.n, r->last - r->first);
            goto out_free;
        }
        if (!span_eq(t[i].version, t[0].version) ||
            !lines_eq(t[i].head, t[i].nhead, t[0].head, t[0].nhead) ||
            !lines_eq(t[i].tail, t[i].ntail, t[0].tail, t[0].ntail)) {
            sim_errf(err, "%s and %s differ outside their test points: not shards of one run",
                     rs[0].path, r->path);
            goto out_free;
        }
    }
    size_t total = 0;
    for (size_t i = 0; i < nr; i++)
        total += t[i].npts;
    struct tap_summary sum = { 0 };
    bool summary = false;
    for (size_t i = 0; i < nr && !summary; i++)
        summary = strstr(rs[i].buf, "\n" TAP_SUMMARY_PREFIX) != NULL;
    fprintf(out, "%.*s\n", (int)t[0].version.n, t[0].version.p);
    put_lines(t[0].head, t[0].nhead, total, out);
    size_t n = 0;
    for (size_t k = 0; k < nr; k++) {
        const struct tap *tk = &t[order[k]];
        for (size_t i = 0; i < tk->npts; i++) {
            const struct tap_point *pt = &tk->pts[i];
            put_span(pt->pre, out);
            fprintf(out, "%s %zu%.*s\n", pt->ok ? "ok" : "not ok", ++n, (int)pt->rest.n,
                    pt->rest.p);
            put_span(pt->post, out);
            tap_summary_add(&sum, pt->ok, pt->todo, pt->skip);
        }
    }
    put_lines(t[0].tail, t[0].ntail, total, out);
    if (summary)
        tap_summary_print(&sum, out);
    rc = 0;
out_free:
    return rc;
}

/* ---- JUnit ------------------------------------------------------------------------------ */

struct suite {
    struct span ws;    /* whitespace before it */
    struct span start; /* its start tag */
    struct span name;  /* value of name= */
    struct span head;  /* content before its first testcase */
    struct span *cases;/* each testcase with the whitespace before it */
    size_t ncases;
    struct span tail;  /* content after the last testcase */
    bool empty;        /* <testsuite .../> */
    double time;
};

struct junit {
    struct span prolog; /* up to and including the root start tag's '<' */
    struct span root;   /* the root start tag */
    struct suite *suites;
    size_t nsuites;
    struct span end;    /* whitespace, </testsuites> and what follows */
};

/* End of the markup item at p ('<' ...), or NULL: a tag with quoted
 * attributes, a comment, CDATA or a processing instruction. */
static const char *item_end(const char *p)
{
    if (strncmp(p, "<!--", 4) == 0) {
        const char *e = strstr(p + 4, "-->");
        return e ? e + 3 : NULL;
    }
    if (strncmp(p, "<![CDATA[", 9) == 0) {
        const char *e = strstr(p + 9, "]]>");
        return e ? e + 3 : NULL;
    }
    if (strncmp(p, "<?", 2) == 0) {
        const char *e = strstr(p + 2, "?>");
        return e ? e + 2 : NULL;
    }
    char q = 0;
    for (p++; *p; p++) {
        if (q) {
            if (*p == q)
                q = 0;
        } else if (*p == '"' || *p == '\'') {
            q = *p;
        } else if (*p == '>') {
            return p + 1;
        }
    }
    return NULL;
}

/* The element starting at p (a start tag): the end of its end tag. */
static const char *element_end(const char *p)
{
    const char *e = item_end(p);
    if (!e || e[-2] == '/')
        return e;
    int depth = 1;
    for (p = e; *p;) {
        if (*p != '<') {
            p++;
            continue;
        }
        e = item_end(p);
        if (!e)
            return NULL;
        if (p[1] == '/')
            depth--;
        else if (p[1] != '!' && p[1] != '?' && e[-2] != '/')
            depth++;
        p = e;
        if (depth == 0)
            return p;
    }
    return NULL;
}

/* The value of attribute `name` in a start tag, or {NULL, 0}. */
static struct span attr_value(struct span tag, const char *name)
{
    size_t l = strlen(name);
    for (size_t i = 0; i + l + 2 < tag.n; i++) {
        if ((tag.p[i] == ' ' || tag.p[i] == '\n' || tag.p[i] == '\t') &&
            memcmp(tag.p + i + 1, name, l) == 0 && tag.p[i + 1 + l] == '=' &&
            (tag.p[i + 2 + l] == '"' || tag.p[i + 2 + l] == '\'')) {
            const char *v = tag.p + i + 3 + l;
            const char *e = memchr(v, tag.p[i + 2 + l], tag.n - (size_t)(v - tag.p));
            return e ? (struct span){ v, (size_t)(e - v) } : (struct span){ NULL, 0 };
        }
    }
    return (struct span){ NULL, 0 };
}

static bool tag_is(const char *p, const char *name)
{
    size_t l = strlen(name);
    return p[0] == '<' && strncmp(p + 1, name, l) == 0 &&
           (p[1 + l] == ' ' || p[1 + l] == '>' || p[1 + l] == '/' || p[1 + l] == '\n' ||
            p[1 + l] == '\t');
}

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

static int suite_parse(struct report *r, const char *p, const char *e, struct suite *s,
                       struct sim_err *err)
{
    const char *st = item_end(p);
    s->start = (struct span){ p, (size_t)(st - p) };
    s->name = attr_value(s->start, "name");
    struct span tv = attr_value(s->start, "time");
    s->time = tv.p ? strtod(tv.p, NULL) : 0;
    s->empty = st[-2] == '/';
    if (s->empty)
        return 0;
    const char *q = st, *content_end = e;
    while (content_end > q && *--content_end != '<') /* the end tag */
        ;
    const char *last_end = NULL, *between = NULL; /* another element after a case */
    while (q < content_end) {
        const char *ws = q;
        q = skip_ws(q);
        if (q >= content_end)
            break;
        if (*q != '<')
            return sim_errf(err, "%s: byte %zu: text inside <testsuite>", r->path,
                            (size_t)(q - r->buf));
        const char *ie = strncmp(q, "<!--", 4) == 0 ? item_end(q) : element_end(q);
        if (!ie || ie > content_end)
            return sim_errf(err, "%s: byte %zu: an element without its end", r->path,
                            (size_t)(q - r->buf));
        /* JUnit's children of <testsuite>: what is not kept is an error,
         * never a case dropped from the merge */
        if (!tag_is(q, "testcase") && !tag_is(q, "properties") && !tag_is(q, "system-out") &&
            !tag_is(q, "system-err") && strncmp(q, "<!--", 4) != 0)
            return sim_errf(err, "%s: byte %zu: expected <testcase>, <properties>, <system-out> "
                            "or <system-err> inside <testsuite>, found '%.*s'",
                            r->path, (size_t)(q - r->buf), (int)strcspn(q, " >\n"), q);
        if (!tag_is(q, "testcase") && s->ncases && !between)
            between = q;
        if (tag_is(q, "testcase") && between)
            return sim_errf(err, "%s: byte %zu: an element between test cases (the merge "
                            "keeps what precedes the first and follows the last)",
                            r->path, (size_t)(between - r->buf));
        if (tag_is(q, "testcase")) {
            if (!s->ncases)
                s->head = (struct span){ st, (size_t)(ws - st) };
            s->cases = sim_xrealloc(s->cases, (s->ncases + 1) * sizeof(*s->cases));
            s->cases[s->ncases++] = (struct span){ ws, (size_t)(ie - ws) };
            last_end = ie;
        }
        q = ie;
    }
    if (!s->ncases)
        s->head = (struct span){ st, (size_t)(content_end - st) };
    s->tail = last_end ? (struct span){ last_end, (size_t)(content_end - last_end) }
                       : (struct span){ content_end, 0 };
    return 0;
}

static int junit_parse(struct report *r, struct junit *j, struct sim_err *err)
{
    const char *p = r->buf;
    for (;;) {
        p = skip_ws(p);
        if (strncmp(p, "<?", 2) == 0 || (strncmp(p, "<!--", 4) == 0)) {
            const char *e = item_end(p);
            if (!e)
                return sim_errf(err, "%s: byte %zu: unterminated markup", r->path,
                                (size_t)(p - r->buf));
            p = e;
            continue;
        }
        break;
    }
    if (!tag_is(p, "testsuites"))
        return sim_errf(err, "%s: byte %zu: expected the <testsuites> root element", r->path,
                        (size_t)(p - r->buf));
    const char *rootend = item_end(p);
    if (!rootend || rootend[-2] == '/')
        return sim_errf(err, "%s: byte %zu: a <testsuites> without content", r->path,
                        (size_t)(p - r->buf));
    j->prolog = (struct span){ r->buf, (size_t)(p - r->buf) };
    j->root = (struct span){ p, (size_t)(rootend - p) };
    p = rootend;
    for (;;) {
        const char *ws = p;
        p = skip_ws(p);
        if (strncmp(p, "</testsuites>", 13) == 0) {
            j->end = (struct span){ ws, strlen(ws) };
            if (*skip_ws(p + 13))
                return sim_errf(err, "%s: byte %zu: content after </testsuites>", r->path,
                                (size_t)(p + 13 - r->buf));
            return 0;
        }
        if (strncmp(p, "<!--", 4) == 0) {
            const char *e = item_end(p);
            if (!e)
                return sim_errf(err, "%s: byte %zu: unterminated comment", r->path,
                                (size_t)(p - r->buf));
            const char *t = skip_ws(p + 4);
            if (strncmp(t, SHARD_MARKER " ", strlen(SHARD_MARKER) + 1) == 0) {
                const char *te = e - 3;
                while (te > t && te[-1] == ' ')
                    te--;
                if (take_marker(r, t, (size_t)(te - t), 0, err) != 0)
                    return -1;
            }
            p = e;
            continue;
        }
        if (!tag_is(p, "testsuite"))
            return sim_errf(err, "%s: byte %zu: expected <testsuite> or </testsuites>%s",
                            r->path, (size_t)(p - r->buf),
                            *p ? "" : " (the report is truncated)");
        const char *e = element_end(p);
        if (!e)
            return sim_errf(err, "%s: byte %zu: a <testsuite> without its end (the report is "
                            "truncated)", r->path, (size_t)(p - r->buf));
        j->suites = sim_xrealloc(j->suites, (j->nsuites + 1) * sizeof(*j->suites));
        struct suite *s = &j->suites[j->nsuites++];
        *s = (struct suite){ .ws = { ws, (size_t)(p - ws) } };
        if (suite_parse(r, p, e, s, err) != 0)
            return -1;
        p = e;
    }
}

struct counts {
    unsigned long tests, failures, errors, skipped;
    double time;
    bool frac; /* some time had a fraction */
    long id;   /* a testsuite's position (its id attribute), or -1 for the root */
};

static void count_cases(const struct span *cases, size_t n, struct counts *c)
{
    for (size_t i = 0; i < n; i++) {
        /* the child elements of a testcase decide its outcome */
        char *dup = sim_xmalloc(cases[i].n + 1);
        memcpy(dup, cases[i].p, cases[i].n);
        dup[cases[i].n] = '\0';
        c->tests++;
        c->failures += strstr(dup, "<failure") != NULL;
        c->errors += strstr(dup, "<error") != NULL;
        c->skipped += strstr(dup, "<skipped") != NULL;
        free(dup);
    }
}

/* Write a start tag with the count attributes replaced. */
static void put_tag(struct span tag, const struct counts *c, FILE *out)
{
    static const char *const names[] = { "tests", "failures", "errors", "skipped", "time", "id" };
    const char *p = tag.p, *end = tag.p + tag.n;
    while (p < end) {
        bool done = false;
        for (size_t k = 0; k < SIM_ARRAY_SIZE(names) && !done; k++) {
            size_t l = strlen(names[k]);
            if (p > tag.p && p[-1] == ' ' && (size_t)(end - p) > l + 2 &&
                memcmp(p, names[k], l) == 0 && p[l] == '=' && p[l + 1] == '"') {
                const char *ve = memchr(p + l + 2, '"', (size_t)(end - p - (long)l - 2));
                if (!ve)
                    break;
                fprintf(out, "%s=\"", names[k]);
                unsigned long v[] = { c->tests, c->failures, c->errors, c->skipped };
                if (k < 4)
                    fprintf(out, "%lu", v[k]);
                else if (k == 5 && c->id < 0)
                    fprintf(out, "%.*s", (int)(ve - p - (long)l - 2), p + l + 2);
                else if (k == 5)
                    fprintf(out, "%ld", c->id);
                else if (c->frac)
                    fprintf(out, "%.3f", c->time);
                else
                    fprintf(out, "%.0f", c->time);
                fputc('"', out);
                p = ve + 1;
                done = true;
            }
        }
        if (!done)
            fputc(*p++, out);
    }
}

/* The root start tag without its count attributes, for comparison. */
static bool roots_eq(struct span a, struct span b)
{
    struct counts z = { .id = -1 };
    char *x = NULL, *y = NULL;
    size_t xn = 0, yn = 0;
    FILE *fx = open_memstream(&x, &xn), *fy = open_memstream(&y, &yn);
    if (fx)
        put_tag(a, &z, fx);
    if (fy)
        put_tag(b, &z, fy);
    bool eq = fx && fy && fclose(fx) == 0 && fclose(fy) == 0 && xn == yn &&
              memcmp(x, y, xn) == 0;
    free(x);
    free(y);
    return eq;
}

/* Merge parsed shards j[] (order[k]: shard k + 1) into out. */
static int junit_merge(struct report *rs, struct junit *j, size_t nr, const size_t *order,
                       FILE *out, struct sim_err *err)
{
    int rc = -1;
    for (size_t i = 1; i < nr; i++)
        if (!roots_eq(j[i].root, j[0].root) || !span_eq(j[i].prolog, j[0].prolog)) {
            sim_errf(err, "%s and %s have different <testsuites>: not shards of one run",
                     rs[0].path, rs[i].path);
            goto out_free;
        }
    /* the suites in order, adjacent ones of the same name joined */
    struct suite **all = NULL;
    size_t nall = 0;
    for (size_t k = 0; k < nr; k++)
        for (size_t i = 0; i < j[order[k]].nsuites; i++) {
            all = sim_xrealloc(all, (nall + 1) * sizeof(*all));
            all[nall++] = &j[order[k]].suites[i];
        }
    struct counts root = { .id = -1 };
    for (size_t i = 0; i < nall; i++) {
        size_t g = i;
        while (g + 1 < nall && all[g + 1]->name.p && all[i]->name.p &&
               span_eq(all[g + 1]->name, all[i]->name))
            g++;
        struct counts c = { 0 };
        for (size_t m = i; m <= g; m++) {
            if (m > i && !span_eq(all[m]->head, all[i]->head)) {
                sim_errf(err, "the suite '%.*s' is split across shards with different "
                         "properties: cannot join it", (int)all[i]->name.n, all[i]->name.p);
                free(all);
                goto out_free;
            }
            count_cases(all[m]->cases, all[m]->ncases, &c);
            c.time += all[m]->time;
            struct span tv = attr_value(all[m]->start, "time");
            c.frac |= tv.p && memchr(tv.p, '.', tv.n) != NULL;
        }
        if (i == 0) {
            put_span(j[0].prolog, out);
            root.time = 0;
        }
        root.tests += c.tests;
        root.failures += c.failures;
        root.errors += c.errors;
        root.skipped += c.skipped;
        root.time += c.time;
        root.frac |= c.frac;
        i = g;
    }
    if (nall == 0)
        put_span(j[0].prolog, out);
    put_tag(j[0].root, &root, out);
    long id = 0;
    for (size_t i = 0; i < nall; i++) {
        size_t g = i;
        while (g + 1 < nall && all[g + 1]->name.p && all[i]->name.p &&
               span_eq(all[g + 1]->name, all[i]->name))
            g++;
        struct counts c = { .id = id };
        id++;
        for (size_t m = i; m <= g; m++) {
            count_cases(all[m]->cases, all[m]->ncases, &c);
            c.time += all[m]->time;
            struct span tv = attr_value(all[m]->start, "time");
            c.frac |= tv.p && memchr(tv.p, '.', tv.n) != NULL;
        }
        put_span(all[i]->ws, out);
        put_tag(all[i]->start, &c, out);
        if (!all[i]->empty || g > i) {
            put_span(all[i]->head, out);
            for (size_t m = i; m <= g; m++)
                for (size_t k = 0; k < all[m]->ncases; k++)
                    put_span(all[m]->cases[k], out);
            put_span(all[g]->tail, out);
            if (!all[i]->empty)
                fputs("</testsuite>", out);
        }
        i = g;
    }
    put_span(j[nr - 1].end, out);
    free(all);
    rc = 0;
out_free:
    return rc;
}

/* ---- the command ---------------------------------------------------------------------- */

/* Check that the reports are the shards 1..N of one campaign; order[k] is
 * the report of shard k + 1. */
static int check_set(struct report *rs, size_t nr, size_t *order, struct sim_err *err)
{
    if (nr == 1 && !rs[0].marked) {
        order[0] = 0;
        return 0;
    }
    for (size_t i = 0; i < nr; i++)
        if (!rs[i].marked)
            return sim_errf(err, "%s: no shard marker ('%s K/N: ...'): not the report of a "
                            "shard", rs[i].path, SHARD_MARKER);
    uint32_t n = rs[0].shard.n;
    size_t total = rs[0].total;
    for (size_t i = 0; i < nr; i++) {
        if (rs[i].shard.n != n || rs[i].total != total)
            return sim_errf(err, "%s is shard %u/%u of %zu items, %s shard %u/%u of %zu: not "
                            "one campaign", rs[i].path, rs[i].shard.k, rs[i].shard.n,
                            rs[i].total, rs[0].path, rs[0].shard.k, n, total);
    }
    if (nr != n) {
        for (uint32_t k = 1; k <= n; k++) {
            bool found = false;
            for (size_t i = 0; i < nr && !found; i++)
                found = rs[i].shard.k == k;
            if (!found)
                return sim_errf(err, "shard %u/%u is missing: the merge would be partial", k,
                                n);
        }
    }
    for (uint32_t k = 1; k <= n; k++) {
        size_t found = nr;
        for (size_t i = 0; i < nr; i++)
            if (rs[i].shard.k == k) {
                if (found != nr)
                    return sim_errf(err, "shard %u/%u is given twice: %s and %s", k, n,
                                    rs[found].path, rs[i].path);
                found = i;
            }
        if (found == nr)
            return sim_errf(err, "shard %u/%u is missing: the merge would be partial", k, n);
        order[k - 1] = found;
    }
    return 0;
}

int cmd_merge_reports(int argc, char **argv)
{
    const char *output = NULL;
    size_t nr = 0;
    struct report *rs = sim_xcalloc((size_t)argc, sizeof(*rs));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--output") == 0) {
            if (++i >= argc) {
                free(rs);
                return cli_bad("--output needs a file");
            }
            output = argv[i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            free(rs);
            return cli_bad("unknown option '%s' for merge-reports (fosim merge-reports --help)",
                           argv[i]);
        } else {
            rs[nr++].path = argv[i];
        }
    }
    int rc = EXIT_BADINPUT;
    struct sim_err err = { "" };
    size_t *order = sim_xcalloc(nr ? nr : 1, sizeof(*order));
    char *buf = NULL;
    size_t len = 0;
    FILE *m;
    if (nr == 0) {
        cli_bad("merge-reports needs the shards' reports (fosim merge-reports --help)");
        goto out_free;
    }
    for (size_t i = 0; i < nr; i++)
        if (read_report(&rs[i], &err) != 0)
            goto out_err;
    bool tap = strncmp(rs[0].buf, "TAP version", 11) == 0;
    for (size_t i = 0; i < nr; i++) {
        const char *p = skip_ws(rs[i].buf);
        bool t = strncmp(p, "TAP version", 11) == 0, x = *p == '<';
        if (!t && !x) {
            sim_errf(&err, "%s:1: expected a TAP ('TAP version 14') or JUnit XML report",
                     rs[i].path);
            goto out_err;
        }
        if (t != tap) {
            sim_errf(&err, "%s and %s are not in the same format", rs[0].path, rs[i].path);
            goto out_err;
        }
    }
    /* parse (which finds the markers), check the set, merge in memory */
    struct tap *t = tap ? sim_xcalloc(nr, sizeof(*t)) : NULL;
    struct junit *j = tap ? NULL : sim_xcalloc(nr, sizeof(*j));
    int r = 0;
    for (size_t i = 0; i < nr && r == 0; i++)
        r = tap ? tap_parse(&rs[i], &t[i], &err) : junit_parse(&rs[i], &j[i], &err);
    if (r == 0)
        r = check_set(rs, nr, order, &err);
    if (r == 0) {
        m = open_memstream(&buf, &len);
        if (!m)
            r = sim_errf(&err, "out of memory");
    }
    if (r == 0) {
        r = tap ? tap_merge(rs, t, nr, order, m, &err) : junit_merge(rs, j, nr, order, m, &err);
        if (fclose(m) != 0 && r == 0)
            r = sim_errf(&err, "out of memory");
    }
    for (size_t i = 0; i < nr; i++) {
        if (t)
            free(t[i].pts);
        for (size_t k = 0; j && k < j[i].nsuites; k++)
            free(j[i].suites[k].cases);
        if (j)
            free(j[i].suites);
    }
    free(t);
    free(j);
    if (r != 0)
        goto out_err;
    FILE *out = output ? fopen(output, "w") : stdout;
    if (!out) {
        cli_bad("--output: %s: %s", output, strerror(errno));
        goto out_free;
    }
    bool werr = fwrite(buf, 1, len, out) != len || fflush(out) != 0;
    if (out != stdout && fclose(out) != 0)
        werr = true;
    if (werr) {
        cli_bad("%s: write failed", output ? output : "standard output");
        if (output)
            remove(output);
        goto out_free;
    }
    rc = EXIT_OK;
    goto out_free;
out_err:
    cli_bad("%s", err.msg);
out_free:
    free(buf);
    for (size_t i = 0; i < nr; i++)
        free(rs[i].buf);
    free(rs);
    free(order);
    return rc;
}
