/*
 * The conformance suite (spec/suite.h): finding the catalog's cases,
 * selecting them (globs, shards) and running one case in-process the way
 * `fosim run` runs a scenario: the world from the scenario, the monitors of
 * the catalog as a sink, the expectations settled, then "expect verdict"
 * settled from the monitors' results.
 */
#include "suite.h"

#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/expect.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/shard.h"

static const char *const status_names[SUITE_NSTATUSES][2] = {
#define X(id, word, upper) [SUITE_##id] = { word, upper },
    SUITE_STATUSES(X)
#undef X
};

const char *suite_status_name(enum suite_status s)
{
    return status_names[s][0];
}

const char *suite_status_upper(enum suite_status s)
{
    return status_names[s][1];
}

/* ---- Finding the cases ----------------------------------------------------------- */

struct finder {
    struct suite *s;
    size_t cap;
    size_t root_len; /* strlen(dir) + 1: where a case's name starts in its path */
    struct sim_err *err;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

static int add_case(struct finder *f, const char *path)
{
    struct suite *s = f->s;
    if (s->n >= SUITE_MAX_CASES)
        return sim_errf(f->err, "%s: more than %u scenario files (the catalog's limit)", s->dir,
                        SUITE_MAX_CASES);
    if (s->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        s->v = sim_xrealloc(s->v, f->cap * sizeof(*s->v));
    }
    struct suite_case *c = &s->v[s->n++];
    memset(c, 0, sizeof(*c));
    c->path = sim_xstrdup(path);
    c->name = sim_xstrdup(path + f->root_len);
    c->name[strlen(c->name) - 4] = '\0'; /* ".fos" */
    char *slash = strchr(c->name, '/');
    c->area = sim_xstrdup(c->name);
    if (slash)
        c->area[slash - c->name] = '\0';
    else
        c->area[0] = '\0';
    c->detail = sim_xstrdup("");
    memset(c->verdict, SUITE_NO_VERDICT, sizeof(c->verdict));
    return 0;
}

static int walk(struct finder *f, const char *dir, unsigned depth)
{
    if (depth > 16)
        return sim_errf(f->err, "%s: directories nested more than 16 deep", dir);
    DIR *d = opendir(dir);
    if (!d)
        return sim_errf(f->err, "%s: cannot read the catalog directory: %s", dir, strerror(errno));
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *path = sim_xmalloc(len);
        snprintf(path, len, "%s/%s", dir, de->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            rc = sim_errf(f->err, "%s: %s", path, strerror(errno));
        else if (S_ISDIR(st.st_mode) && strcmp(de->d_name, "include") != 0)
            rc = walk(f, path, depth + 1);
        else if (S_ISREG(st.st_mode) && ends_with(de->d_name, ".fos"))
            rc = add_case(f, path);
        free(path);
    }
    closedir(d);
    return rc;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct suite_case *)a)->name, ((const struct suite_case *)b)->name);
}

int suite_load(const char *dir, struct suite **out, struct sim_err *err)
{
    *out = NULL;
    struct suite *s = sim_xcalloc(1, sizeof(*s));
    s->dir = sim_xstrdup(dir);
    size_t len = strlen(s->dir);
    while (len > 1 && s->dir[len - 1] == '/')
        s->dir[--len] = '\0';
    struct finder f = { .s = s, .root_len = len + 1, .err = err };
    if (walk(&f, s->dir, 0) != 0)
        goto out_free;
    if (s->n == 0) {
        sim_errf(err, "%s: no scenario file (*.fos) in the catalog", s->dir);
        goto out_free;
    }
    qsort(s->v, s->n, sizeof(*s->v), by_name);
    for (size_t i = 0; i < s->n; i++)
        s->v[i].selected = true;
    *out = s;
    return 0;
out_free:
    suite_free(s);
    return -1;
}

static void clear_outcome(struct suite_case *c)
{
    free(c->description);
    c->description = NULL;
    for (size_t i = 0; i < c->nevidence; i++)
        free(c->evidence[i]);
    free(c->evidence);
    c->evidence = NULL;
    c->nevidence = 0;
    free(c->detail);
    c->detail = NULL;
}

void suite_free(struct suite *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        clear_outcome(&s->v[i]);
        free(s->v[i].path);
        free(s->v[i].name);
        free(s->v[i].area);
    }
    free(s->v);
    free(s->dir);
    free(s);
}

size_t suite_select(struct suite *s, const char *const *globs, size_t nglobs, unsigned shard_k,
                    unsigned shard_n)
{
    size_t matched = 0, selected = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct suite_case *c = &s->v[i];
        bool m = nglobs == 0;
        for (size_t g = 0; g < nglobs && !m; g++)
            m = fnmatch(globs[g], c->name, 0) == 0;
        c->selected = m;
        matched += m;
    }
    s->nmatched = matched;
    struct shard sh = { shard_k, shard_n > 1 ? shard_n : 1 };
    if (sh.n == 1)
        sh.k = 1;
    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct suite_case *c = &s->v[i];
        if (c->selected)
            c->selected = shard_has(sh, k++, matched);
        selected += c->selected;
    }
    return selected;
}

int suite_shard_parse(const char *text, unsigned *k, unsigned *n)
{
    char *end;
    errno = 0;
    if (!text || text[0] < '0' || text[0] > '9')
        return -1;
    unsigned long a = strtoul(text, &end, 10);
    if (*end != '/' || end[1] < '0' || end[1] > '9' || errno)
        return -1;
    unsigned long b = strtoul(end + 1, &end, 10);
    if (*end || errno || a < 1 || b < 1 || a > b || b > SUITE_MAX_CASES)
        return -1;
    *k = (unsigned)a;
    *n = (unsigned)b;
    return 0;
}

/* ---- Evidence names ------------------------------------------------------------ */

/* "PREFIX-NN" with a two-digit number in [1, max]. */
static bool rule(const char *w, char prefix, int max)
{
    if (w[0] != prefix || w[1] != '-' || w[2] < '0' || w[2] > '9' || w[3] < '0' || w[3] > '9' ||
        w[4])
        return false;
    int n = (w[2] - '0') * 10 + (w[3] - '0');
    return n >= 1 && n <= max;
}

/* "6.N" with N in [1, max] and no leading zero, then the optional suffix. */
static bool bug(const char *w, int max, const char *suffix)
{
    if (w[0] != '6' || w[1] != '.' || w[2] < '1' || w[2] > '9')
        return false;
    char *end;
    long n = strtol(w + 2, &end, 10);
    if (n > max)
        return false;
    return !*end || (suffix && strcmp(end, suffix) == 0 && n == 14);
}

bool suite_evidence_valid(const char *w)
{
    const struct spec_retired *retired = NULL;
    if (strchr(w, '_') == NULL && spec_lookup(w, &retired) != NULL)
        return true;
    return rule(w, 'H', 60) || rule(w, 'G', 86) || bug(w, 16, NULL) ||
           (w[0] == 'L' && bug(w + 1, 19, "b"));
}

/* ---- Running one case ----------------------------------------------------------- */

/* Does the scenario expect assertion a to reach verdict v? */
static bool verdict_expected(const struct scenario *s, const struct spec_entry *a, const char *v)
{
    for (size_t i = 0; i < s->nexpects; i++) {
        const struct scn_expect *e = &s->expects[i];
        if (e->kind == SCN_EXPECT_VERDICT && spec_lookup(e->subject.text, NULL) == a &&
            strcmp(e->word.text, v) == 0)
            return true;
    }
    return false;
}

struct detail {
    char *buf;
    size_t len;
    FILE *f;
};

static void detail_open(struct detail *d)
{
    d->buf = NULL;
    d->len = 0;
    d->f = open_memstream(&d->buf, &d->len);
    SIM_ASSERT(d->f);
}

static char *detail_close(struct detail *d)
{
    SIM_ASSERT(fclose(d->f) == 0);
    /* no trailing newline */
    while (d->len && d->buf[d->len - 1] == '\n')
        d->buf[--d->len] = '\0';
    return d->buf;
}

static enum suite_status case_error(struct suite_case *c, struct detail *d, const char *msg)
{
    fputs(msg, d->f);
    c->detail = detail_close(d);
    return c->status = SUITE_ERROR;
}

enum suite_status suite_run_case(struct suite_case *c, uint64_t mutants)
{
    clear_outcome(c);
    memset(c->verdict, SUITE_NO_VERDICT, sizeof(c->verdict));
    memset(c->totals, 0, sizeof(c->totals));
    c->nexpect = c->nexpect_failed = c->unexpected = 0;
    struct detail d;
    detail_open(&d);

    struct sim_err err = { "" };
    struct scenario *s = NULL;
    if (scn_load(c->path, &s, &err) != 0)
        return case_error(c, &d, err.msg);
    c->description = sim_xstrdup(s->description);
    c->evidence = sim_xcalloc(s->evidence.n + 1, sizeof(*c->evidence));
    for (size_t i = 0; i < s->evidence.n; i++)
        c->evidence[c->nevidence++] = sim_xstrdup(s->evidence.v[i].text);

    enum suite_status st = SUITE_ERROR;
    if (s->evidence.n == 0) {
        fprintf(d.f, "%s: a catalog scenario names the rules it gives evidence for "
                     "(evidence ID...)", c->path);
        goto out_scn;
    }
    for (size_t i = 0; i < s->evidence.n; i++) {
        const struct scn_arg *a = &s->evidence.v[i];
        if (!suite_evidence_valid(a->text)) {
            fprintf(d.f, "%s:%u:%u: evidence '%s' is not a catalog ID, a rule (H-01..H-60, "
                         "G-01..G-86) or a bug-history item (6.N, L6.N)",
                    a->pos.file, a->pos.line, a->pos.col, a->text);
            goto out_scn;
        }
    }
    if (s->nexpects == 0) {
        fprintf(d.f, "%s: a catalog scenario has at least one expectation", c->path);
        goto out_scn;
    }
    if (check_scenario_verdicts(s, &err) != 0) {
        fputs(err.msg, d.f);
        goto out_scn;
    }

    struct sim_run_config cfg = { .until = SIM_TIME_NONE, .mutants = mutants };
    struct sim_run *r = NULL;
    if (sim_run_new(s, &cfg, &r, &err) != 0) {
        fputs(err.msg, d.f);
        goto out_scn;
    }
    struct check *chk = check_attach_run(r);
    SIM_ASSERT(chk);
    sim_run_go(r);
    if (expect_finish(r->expect, &err) != 0) {
        fputs(err.msg, d.f);
        goto out_chk;
    }
    check_finish(chk);

    /* the scenario's "expect verdict" from the monitors */
    for (size_t i = 0; i < expect_count(r->expect); i++) {
        const struct expect_outcome *o = expect_outcome(r->expect, i);
        if (o->e->kind != SCN_EXPECT_VERDICT)
            continue;
        const struct spec_entry *a = spec_lookup(o->e->subject.text, NULL);
        const struct check_result *res = a ? check_result_for(chk, a->sid) : NULL;
        expect_settle_verdict(r->expect, i, res ? check_verdict_name(res->verdict) : NULL);
    }
    c->nexpect = (unsigned)expect_count(r->expect);
    for (size_t i = 0; i < expect_count(r->expect); i++) {
        const struct expect_outcome *o = expect_outcome(r->expect, i);
        if (o->result == EXPECT_HELD)
            continue;
        c->nexpect_failed++;
        fprintf(d.f, "%s:%u: %s -- %s\n", o->e->pos.file, o->e->pos.line, o->e->text,
                o->why);
    }
    check_totals(chk, c->totals);
    for (size_t i = 0; i < check_count(chk); i++) {
        const struct check_result *res = check_result(chk, i);
        c->verdict[res->a->sid] = (uint8_t)res->verdict;
        if (res->verdict == CHECK_FAIL && !verdict_expected(s, res->a, "fail")) {
            c->unexpected++;
            fprintf(d.f, "%s failed (not expected by the scenario): %s\n", res->a->id, res->why);
        }
    }
    if (r->truncated)
        fprintf(d.f, "(the run was cut at its horizon)\n");
    st = c->nexpect_failed || c->unexpected ? SUITE_FAIL : SUITE_PASS;
out_chk:
    check_free(chk);
    sim_run_free(r);
out_scn:
    scn_free(s);
    c->detail = detail_close(&d);
    return c->status = st;
}

void suite_totals(const struct suite *s, unsigned out[SUITE_NSTATUSES])
{
    memset(out, 0, SUITE_NSTATUSES * sizeof(*out));
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i].selected)
            out[s->v[i].status]++;
}
