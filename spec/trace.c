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

struct trace_matrix {
    struct trace_id id[SPEC_NIDS];
    struct strlist host[TRACE_NHOST_RULES], guest[TRACE_NGUEST_RULES];
    struct strlist hbug[TRACE_NHOST_BUGS], gbug[TRACE_NGUEST_BUGS];
    struct strlist misses; /* corruptions that did not fail their assertion */
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
    return 0;
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
    unsigned nh = 0, ng = 0, nhb = 0, ngb = 0;
    for (unsigned i = 0; i < TRACE_NHOST_RULES; i++) {
        nh += tm->host[i].n > 0;
        if (!tm->host[i].n)
            fprintf(out, "  GAP H-%02u: no test or scenario names it\n", i + 1), gaps++;
    }
    for (unsigned i = 0; i < TRACE_NGUEST_RULES; i++) {
        ng += tm->guest[i].n > 0;
        if (!tm->guest[i].n)
            fprintf(out, "  GAP G-%02u: no test or scenario names it\n", i + 1), gaps++;
    }
    for (unsigned i = 0; i < TRACE_NHOST_BUGS; i++) {
        nhb += tm->hbug[i].n > 0;
        if (!tm->hbug[i].n)
            fprintf(out, "  GAP 6.%u (qemu-host.md bug history): no regression test names it\n",
                    i + 1), gaps++;
    }
    for (unsigned i = 0; i < TRACE_NGUEST_BUGS; i++) {
        ngb += tm->gbug[i].n > 0;
        if (!tm->gbug[i].n) {
            if (i == TRACE_NGUEST_BUGS - 1)
                fprintf(out, "  GAP L6.14b (linux-guest.md bug history): no regression test "
                             "names it\n");
            else
                fprintf(out, "  GAP L6.%u (linux-guest.md bug history): no regression test "
                             "names it\n", i + 1);
            gaps++;
        }
    }
    for (size_t i = 0; i < tm->misses.n; i++)
        fprintf(out, "  GAP corruption %s: the assertion it names did not fail\n",
                tm->misses.v[i]), gaps++;
    if (!gaps)
        fprintf(out, "  none\n");
    fprintf(out,
            "\nrule-book coverage: host rules %u/%u, guest rules %u/%u, host bug history "
            "%u/%u, guest bug history %u/%u named by a test\n",
            nh, (unsigned)TRACE_NHOST_RULES, ng, (unsigned)TRACE_NGUEST_RULES, nhb,
            (unsigned)TRACE_NHOST_BUGS, ngb, (unsigned)TRACE_NGUEST_BUGS);
    fprintf(out, "traceability: %u gap(s)\n", gaps);
    return gaps;
}
