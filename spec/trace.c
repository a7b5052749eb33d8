/*
 * The traceability matrix (spec/trace.h): what implements and what gives
 * evidence for each catalog assertion and each rule-book rule, collected
 * from runs and from marks in the tree, and the gaps.
 */
#include "trace.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"

/* A growing list of owned strings, without duplicates. */
struct strlist {
    char **v;
    size_t n, cap;
};

static void sl_add(struct strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 4;
        l->v = sim_xrealloc(l->v, l->cap * sizeof(*l->v));
    }
    l->v[l->n++] = sim_xstrdup(s);
}

static void sl_free(struct strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

/* Host bug history 6.1..6.16; guest bug history L6.1..L6.19 and L6.14b. */
#define TRACE_NHOST_BUGS 16
#define TRACE_NGUEST_BUGS 20 /* 1..19, then 14b as the 20th */

struct trace_id {
    struct strlist imp, evidence, passes, recorded, kills, traces;
};

/* A rule-book rule that cannot be reached in the modelled system
 * (conformance/trace-exemptions): explained, not covered. */
struct trace_exempt {
    char rule[16];         /* "G-66" */
    char *file;            /* where the code shows it, relative to the root (owned) */
    char *mark;            /* text that must be in that file (owned) */
    char *reason;          /* why the rule is unreachable (owned) */
    unsigned mark_line;    /* line of the mark in the file; 0: not found */
    unsigned list_line;    /* line of the entry in the list */
};

struct trace_matrix {
    struct trace_id id[SPEC_NIDS];
    struct strlist host[TRACE_NHOST_RULES], guest[TRACE_NGUEST_RULES];
    struct strlist hbug[TRACE_NHOST_BUGS], gbug[TRACE_NGUEST_BUGS];
    struct strlist misses; /* corruptions that did not fail their assertion */
    struct trace_exempt *ex; /* the exemption list, in its order */
    size_t nex;
};

struct trace_matrix *trace_new(void)
{
    return sim_xcalloc(1, sizeof(struct trace_matrix));
}

void trace_free(struct trace_matrix *tm)
{
    if (!tm)
        return;
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        sl_free(&tm->id[i].imp);
        sl_free(&tm->id[i].evidence);
        sl_free(&tm->id[i].passes);
        sl_free(&tm->id[i].recorded);
        sl_free(&tm->id[i].kills);
        sl_free(&tm->id[i].traces);
    }
    for (unsigned i = 0; i < TRACE_NHOST_RULES; i++)
        sl_free(&tm->host[i]);
    for (unsigned i = 0; i < TRACE_NGUEST_RULES; i++)
        sl_free(&tm->guest[i]);
    for (unsigned i = 0; i < TRACE_NHOST_BUGS; i++)
        sl_free(&tm->hbug[i]);
    for (unsigned i = 0; i < TRACE_NGUEST_BUGS; i++)
        sl_free(&tm->gbug[i]);
    sl_free(&tm->misses);
    for (size_t i = 0; i < tm->nex; i++) {
        free(tm->ex[i].file);
        free(tm->ex[i].mark);
        free(tm->ex[i].reason);
    }
    free(tm->ex);
    free(tm);
}

void trace_note_kill(struct trace_matrix *tm, enum spec_id id, const char *mutant,
                     const char *case_name)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "mutant %s (%s)", mutant, case_name);
    /* one entry per mutant is enough: keep the first case that showed it */
    struct strlist *l = &tm->id[id].kills;
    size_t mlen = strlen("mutant ") + strlen(mutant) + 2;
    for (size_t i = 0; i < l->n; i++)
        if (strncmp(l->v[i], buf, mlen) == 0)
            return;
    sl_add(l, buf);
}

void trace_note_trace_fail(struct trace_matrix *tm, enum spec_id id, const char *name)
{
    sl_add(&tm->id[id].traces, name);
}

void trace_note_recording_pass(struct trace_matrix *tm, enum spec_id id, const char *bundle)
{
    sl_add(&tm->id[id].recorded, bundle);
}

void trace_note_corruption_miss(struct trace_matrix *tm, const char *name)
{
    sl_add(&tm->misses, name);
}

size_t trace_corruption_misses(const struct trace_matrix *tm)
{
    return tm->misses.n;
}

/* The list a rule-book word names, or NULL. */
static struct strlist *rule_list(struct trace_matrix *tm, const char *w)
{
    if (!suite_evidence_valid(w) || spec_lookup(w, NULL))
        return NULL;
    if (w[0] == 'H')
        return &tm->host[atoi(w + 2) - 1];
    if (w[0] == 'G')
        return &tm->guest[atoi(w + 2) - 1];
    if (w[0] == 'L') {
        int n = atoi(w + 3);
        return &tm->gbug[strchr(w, 'b') ? TRACE_NGUEST_BUGS - 1 : n - 1];
    }
    return &tm->hbug[atoi(w + 2) - 1];
}

void trace_note_mark(struct trace_matrix *tm, bool imp, const char *word, const char *where)
{
    const struct spec_entry *a = strchr(word, '_') ? NULL : spec_lookup(word, NULL);
    if (a) {
        sl_add(imp ? &tm->id[a->sid].imp : &tm->id[a->sid].evidence, where);
        return;
    }
    struct strlist *l = rule_list(tm, word);
    if (l && !imp) /* an IMP mark on a rule is code, not evidence */
        sl_add(l, where);
}

void trace_note_case(struct trace_matrix *tm, const struct suite_case *c)
{
    char where[300];
    snprintf(where, sizeof(where), "scenario %s", c->name);
    for (size_t i = 0; i < c->nevidence; i++)
        if (c->status == SUITE_PASS)
            trace_note_mark(tm, false, c->evidence[i], where);
    if (c->status != SUITE_PASS)
        return;
    for (unsigned a = 0; a < SPEC_NIDS; a++)
        if (c->verdict[a] == CHECK_PASS)
            sl_add(&tm->id[a].passes, c->name);
}

/* ---- Marks in the tree ---------------------------------------------------------- */

/* Copy the ID-like word at *p ([A-Z0-9.-]+ with a lower-case 'b' suffix for
 * L6.14b) into buf and advance. */
static size_t take_word(const char **p, char *buf, size_t n)
{
    size_t k = 0;
    const char *s = *p;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' ||
           *s == '_' || (*s == 'b' && k > 0 && s[-1] >= '0' && s[-1] <= '9')) {
        if (k + 1 < n)
            buf[k++] = *s;
        s++;
    }
    buf[k] = '\0';
    while (k && buf[k - 1] == '.') /* a sentence's full stop */
        buf[--k] = '\0';
    *p = s;
    return k;
}

/* Note the IDs of a mark's list: words separated by blanks and commas, up
 * to the first word that is not an ID. */
static void scan_list(struct trace_matrix *tm, bool imp, const char *p, const char *where)
{
    char w[32];
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!take_word(&p, w, sizeof(w)))
            return;
        if (!suite_evidence_valid(w))
            return;
        trace_note_mark(tm, imp, w, where);
    }
}

int trace_scan_file(struct trace_matrix *tm, const char *path, const char *shown,
                    struct sim_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return sim_errf(err, "%s: %s", path, strerror(errno));
    char line[4096], where[300];
    unsigned ln = 0;
    while (fgets(line, sizeof(line), f)) {
        ln++;
        snprintf(where, sizeof(where), "%s:%u", shown, ln);
        for (const char *p = line; (p = strstr(p, "IMP:")) != NULL; p += 4)
            scan_list(tm, true, p + 4, where);
        for (const char *p = line; (p = strstr(p, "EVIDENCE(")) != NULL; p += 9) {
            if (p > line && (p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z')))
                continue;
            scan_list(tm, false, p + 9, where);
        }
    }
    int bad = ferror(f);
    fclose(f);
    return bad ? sim_errf(err, "%s: read error", path) : 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Scan the files of root/sub whose names start with prefix and end in one
 * of the suffixes, in name order. */
static int scan_dir(struct trace_matrix *tm, const char *root, const char *sub, const char *prefix,
                    struct sim_err *err)
{
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/%s", root, sub);
    DIR *d = opendir(dir);
    if (!d)
        return sim_errf(err, "%s: cannot read: %s", dir, strerror(errno));
    struct strlist names = { 0 };
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0 && n > 2 &&
            (strcmp(de->d_name + n - 2, ".c") == 0 || strcmp(de->d_name + n - 2, ".h") == 0 ||
             strcmp(de->d_name + n - 4, ".def") == 0))
            sl_add(&names, de->d_name);
    }
    closedir(d);
    if (names.n)
        qsort(names.v, names.n, sizeof(*names.v), name_cmp);
    int rc = 0;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        char path[2048], shown[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names.v[i]);
        snprintf(shown, sizeof(shown), "%s/%s", sub, names.v[i]);
        rc = trace_scan_file(tm, path, shown, err);
    }
    sl_free(&names);
    return rc;
}

int trace_scan_tree(struct trace_matrix *tm, const char *root, struct sim_err *err)
{
    if (scan_dir(tm, root, "sim", "", err) || scan_dir(tm, root, "sim/include/sim", "", err) ||
        scan_dir(tm, root, "spec", "mon", err) || scan_dir(tm, root, "spec", "check", err) ||
        scan_dir(tm, root, "conformance", "test_", err))
        return -1;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root, TRACE_EXEMPTIONS);
    FILE *f = fopen(path, "r");
    if (!f) /* no list: nothing is exempt */
        return errno == ENOENT ? 0 : sim_errf(err, "%s: %s", path, strerror(errno));
    fclose(f);
    return trace_load_exemptions(tm, root, path, err);
}

/* ---- Exemptions ----------------------------------------------------------------- */

/* Take the next blank-separated word of *p ("..." quotes one with blanks,
 * \" and \\ inside), or NULL at the end of the line; *col is its column. */
static char *next_word(char **p, char *line, unsigned *col, const char *path, unsigned ln,
                       struct sim_err *err, bool *bad)
{
    char *s = *p;
    while (*s == ' ' || *s == '\t')
        s++;
    *col = (unsigned)(s - line) + 1;
    if (!*s || *s == '\n' || *s == '\r') {
        *p = s;
        return NULL;
    }
    char *w = s;
    if (*s == '"') {
        char *out = ++s;
        w = s;
        while (*s && *s != '"' && *s != '\n') {
            if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
                s++;
            *out++ = *s++;
        }
        if (*s != '"') {
            *bad = true;
            sim_errf(err, "%s:%u:%u: unterminated \"...\"", path, ln, *col);
            return NULL;
        }
        *out = '\0';
        *p = s + 1;
        return w;
    }
    while (*s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
        s++;
    if (*s)
        *s++ = '\0';
    *p = s;
    return w;
}

/* Append text to an owned string, separated by one blank. */
static void append_text(char **dst, const char *text)
{
    while (*text == ' ' || *text == '\t')
        text++;
    size_t n = strlen(text);
    while (n && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ' ||
                 text[n - 1] == '\t'))
        n--;
    if (!n)
        return;
    size_t old = *dst ? strlen(*dst) : 0;
    *dst = sim_xrealloc(*dst, old + (old ? 1 : 0) + n + 1);
    if (old)
        (*dst)[old++] = ' ';
    memcpy(*dst + old, text, n);
    (*dst)[old + n] = '\0';
}

/* Find the first line of root/file holding mark; 0 when there is none
 * (or the file cannot be read). */
static unsigned find_mark(const char *root, const char *file, const char *mark)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    unsigned ln = 0, found = 0;
    while (!found && getline(&line, &cap, f) >= 0) {
        ln++;
        if (strstr(line, mark))
            found = ln;
    }
    free(line);
    fclose(f);
    return found;
}

/* Check the last entry read: it must have a reason. */
static int exempt_done(const struct trace_matrix *tm, const char *path, struct sim_err *err)
{
    if (!tm->nex || tm->ex[tm->nex - 1].reason)
        return 0;
    return sim_errf(err, "%s:%u:1: exemption %s gives no reason (the lines after it, indented)",
                    path, tm->ex[tm->nex - 1].list_line, tm->ex[tm->nex - 1].rule);
}

int trace_load_exemptions(struct trace_matrix *tm, const char *root, const char *path,
                          struct sim_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return sim_errf(err, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    unsigned ln = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        ln++;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p || *p == '\n' || *p == '\r' || *p == '#')
            continue;
        if (p != line) { /* an indented line continues the reason */
            if (!tm->nex) {
                rc = sim_errf(err, "%s:%u:%u: a reason before any exemption (an entry starts "
                                   "with RULE FILE \"MARK\" in column 1)",
                              path, ln, (unsigned)(p - line) + 1);
                break;
            }
            append_text(&tm->ex[tm->nex - 1].reason, p);
            continue;
        }
        if ((rc = exempt_done(tm, path, err)) != 0)
            break;
        bool bad = false;
        unsigned col[4];
        char *w[4];
        p = line;
        for (int i = 0; i < 3; i++)
            w[i] = next_word(&p, line, &col[i], path, ln, err, &bad);
        if (bad) {
            rc = -1;
            break;
        }
        if (!w[2]) {
            rc = sim_errf(err, "%s:%u:%u: expected RULE FILE \"MARK\" [REASON...]", path, ln,
                          col[w[0] ? (w[1] ? 2 : 1) : 0]);
            break;
        }
        const struct spec_entry *a = spec_lookup(w[0], NULL);
        if (a || !suite_evidence_valid(w[0])) {
            rc = sim_errf(err, "%s:%u:1: '%s' is not a rule-book rule or bug-history item "
                               "(H-01..H-60, G-01..G-86, 6.N, L6.N)%s",
                          path, ln, w[0],
                          a ? ": catalog assertions cannot be exempted" : "");
            break;
        }
        for (size_t i = 0; i < tm->nex; i++)
            if (strcmp(tm->ex[i].rule, w[0]) == 0)
                rc = sim_errf(err, "%s:%u:1: %s is exempted twice (first at line %u)", path, ln,
                              w[0], tm->ex[i].list_line);
        if (rc)
            break;
        if (w[1][0] == '/' || strstr(w[1], "..") || !*w[2]) {
            rc = sim_errf(err, "%s:%u:%u: expected a file of the tree (relative, without '..') "
                               "and a non-empty mark",
                          path, ln, col[1]);
            break;
        }
        tm->ex = sim_xrealloc(tm->ex, (tm->nex + 1) * sizeof(*tm->ex));
        struct trace_exempt *e = &tm->ex[tm->nex++];
        memset(e, 0, sizeof(*e));
        sim_strlcpy(e->rule, w[0], sizeof(e->rule));
        e->file = sim_xstrdup(w[1]);
        e->mark = sim_xstrdup(w[2]);
        e->list_line = ln;
        e->mark_line = find_mark(root, e->file, e->mark);
        append_text(&e->reason, p);
    }
    if (rc == 0 && ferror(f))
        rc = sim_errf(err, "%s: read error", path);
    if (rc == 0)
        rc = exempt_done(tm, path, err);
    free(line);
    fclose(f);
    return rc;
}

/* The exemption of a rule word, or NULL. */
static const struct trace_exempt *exempt_of(const struct trace_matrix *tm, const char *word)
{
    for (size_t i = 0; i < tm->nex; i++)
        if (strcmp(tm->ex[i].rule, word) == 0)
            return &tm->ex[i];
    return NULL;
}

/* ---- The report ----------------------------------------------------------------- */

static void first_of(FILE *out, const char *label, const struct strlist *l)
{
    if (!l->n)
        return;
    fprintf(out, "    %-12s %s", label, l->v[0]);
    for (size_t i = 1; i < l->n && i < 3; i++)
        fprintf(out, ", %s", l->v[i]);
    if (l->n > 3)
        fprintf(out, " (+%zu)", l->n - 3);
    fputc('\n', out);
}

/* Print text as indented lines of at most `width` columns. */
static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
    const char *p = text;
    while (*p) {
        int room = width - indent, n = 0, cut = 0;
        while (n < room && p[n]) {
            if (p[n] == ' ')
                cut = n;
            n++;
        }
        if (!p[n] || !cut)
            cut = n;
        fprintf(out, "%*s%.*s\n", indent, "", cut, p);
        p += cut;
        while (*p == ' ')
            p++;
    }
}

/* The gap line(s) of one rule-book word and their number: named by no
 * test (unless exempt), or exempt with a mark that is gone or while a test
 * names it (the exemption is stale: remove it). */
static unsigned rule_gap(const struct trace_matrix *tm, FILE *out, const char *word,
                         const struct strlist *named, const char *missing, unsigned *nexempt)
{
    const struct trace_exempt *e = exempt_of(tm, word);
    if (!e) {
        if (named->n)
            return 0;
        fprintf(out, "  GAP %s%s\n", word, missing);
        return 1;
    }
    if (named->n) {
        fprintf(out, "  GAP %s: exempt (%s:%u) but %s names it: remove the exemption\n", word,
                TRACE_EXEMPTIONS, e->list_line, named->v[0]);
        return 1;
    }
    if (!e->mark_line) {
        fprintf(out, "  GAP %s: exempt (%s:%u) but %s has no line containing \"%s\": the code "
                     "moved, review the exemption\n",
                word, TRACE_EXEMPTIONS, e->list_line, e->file, e->mark);
        return 1;
    }
    (*nexempt)++;
    return 0;
}

unsigned trace_report(const struct trace_matrix *tm, FILE *out)
{
    unsigned gaps = 0;
    fprintf(out, "\ntraceability matrix: %u catalog assertions (spec/assertions.def)\n",
            (unsigned)SPEC_NIDS);
    fprintf(out, "%-9s %-8s %5s %5s %5s %5s %5s %5s\n", "ID", "LEVEL", "IMP", "TESTS", "PASS",
            "RECPS", "MUTNT", "TRACE");
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = &spec_table[i];
        const struct trace_id *t = &tm->id[i];
        fprintf(out, "%-9s %-8s %5zu %5zu %5zu %5zu %5zu %5zu\n", e->id, spec_level_name(e->level),
                t->imp.n, t->evidence.n, t->passes.n, t->recorded.n, t->kills.n, t->traces.n);
        first_of(out, "implemented:", &t->imp);
        first_of(out, "evidence:", &t->evidence);
        first_of(out, "passes in:", &t->passes);
        first_of(out, "recorded:", &t->recorded);
        first_of(out, "killed by:", &t->kills);
        first_of(out, "failed by:", &t->traces);
    }
    fprintf(out, "\ngaps:\n");
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = &spec_table[i];
        const struct trace_id *t = &tm->id[i];
        if (e->level != SPEC_LEVEL_MUST && e->level != SPEC_LEVEL_OBSERVED)
            continue;
        if (!t->passes.n && !t->recorded.n) {
            fprintf(out, "  GAP %s (%s): no catalog case and no stored recording passes it\n",
                    e->id, spec_level_name(e->level));
            gaps++;
        }
        if (!t->kills.n && !t->traces.n) {
            fprintf(out, "  GAP %s (%s): no mutant and no corrupted trace makes it fail\n",
                    e->id, spec_level_name(e->level));
            gaps++;
        }
    }
    unsigned nh = 0, ng = 0, nhb = 0, ngb = 0, nexempt = 0;
    for (unsigned i = 0; i < TRACE_NHOST_RULES; i++) {
        char w[16];
        snprintf(w, sizeof(w), "H-%02u", i + 1);
        nh += tm->host[i].n > 0;
        gaps += rule_gap(tm, out, w, &tm->host[i], ": no test or scenario names it", &nexempt);
    }
    for (unsigned i = 0; i < TRACE_NGUEST_RULES; i++) {
        char w[16];
        snprintf(w, sizeof(w), "G-%02u", i + 1);
        ng += tm->guest[i].n > 0;
        gaps += rule_gap(tm, out, w, &tm->guest[i], ": no test or scenario names it", &nexempt);
    }
    for (unsigned i = 0; i < TRACE_NHOST_BUGS; i++) {
        char w[16];
        snprintf(w, sizeof(w), "6.%u", i + 1);
        nhb += tm->hbug[i].n > 0;
        gaps += rule_gap(tm, out, w, &tm->hbug[i],
                         " (qemu-host.md bug history): no regression test names it", &nexempt);
    }
    for (unsigned i = 0; i < TRACE_NGUEST_BUGS; i++) {
        char w[16];
        if (i == TRACE_NGUEST_BUGS - 1)
            snprintf(w, sizeof(w), "L6.14b");
        else
            snprintf(w, sizeof(w), "L6.%u", i + 1);
        ngb += tm->gbug[i].n > 0;
        gaps += rule_gap(tm, out, w, &tm->gbug[i],
                         " (linux-guest.md bug history): no regression test names it", &nexempt);
    }
    for (size_t i = 0; i < tm->misses.n; i++)
        fprintf(out, "  GAP corruption %s: the assertion it names did not fail\n",
                tm->misses.v[i]), gaps++;
    if (!gaps)
        fprintf(out, "  none\n");
    if (tm->nex) {
        fprintf(out, "\nexempt (unreachable in the modelled system; explained, not covered; "
                     "%s):\n",
                TRACE_EXEMPTIONS);
        for (size_t i = 0; i < tm->nex; i++) {
            const struct trace_exempt *e = &tm->ex[i];
            if (e->mark_line)
                fprintf(out, "  %-7s %s:%u\n", e->rule, e->file, e->mark_line);
            else
                fprintf(out, "  %-7s %s (mark not found)\n", e->rule, e->file);
            print_wrapped(out, e->reason, 10, 96);
        }
    }
    fprintf(out,
            "\nrule-book coverage: host rules %u/%u, guest rules %u/%u, host bug history "
            "%u/%u, guest bug history %u/%u named by a test; %u exempt\n",
            nh, (unsigned)TRACE_NHOST_RULES, ng, (unsigned)TRACE_NGUEST_RULES, nhb,
            (unsigned)TRACE_NHOST_BUGS, ngb, (unsigned)TRACE_NGUEST_BUGS, nexempt);
    fprintf(out, "traceability: %u gap(s)\n", gaps);
    return gaps;
}
