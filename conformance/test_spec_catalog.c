/*
 * The assertion catalog's own rules (spec/assertions.def, doc/catalog.md):
 * IDs well formed, unique, never reused after retirement; every field
 * filled; MUST/SHOULD/MAY only with a quoted specification text; every
 * assertion implemented by exactly one monitor (its "IMP: ID" mark in
 * spec/mon_*.c) and given evidence by the test its `tests` field names,
 * with at least one PASS and one FAIL case in the monitor tables
 * that its test file runs.
 *
 * Reads the sources, so it runs from the top of the tree (as make check
 * does).
 */
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim/err.h"
#include "spec.h"

/* The C symbols next to the IDs, as the .def spells them. */
static const struct {
    const char *sym;
    const char *id;
} syms[] = {
#define X(sym, id, area, level, source, rules, statement, needs, alt, verdicts, tests) { #sym, id },
#include "assertions.def"
#undef X
};

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    assert_non_null(buf);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            char *bigger = realloc(buf, cap *= 2);
            assert_non_null(bigger);
            buf = bigger;
        }
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

/* All files matching `pattern`, concatenated (NUL-free text). */
static char *slurp_glob(const char *pattern, size_t *nfiles)
{
    glob_t g;
    assert_int_equal(glob(pattern, 0, NULL, &g), 0);
    size_t cap = 1, len = 0;
    char *all = calloc(1, 1);
    assert_non_null(all);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char *t = slurp(g.gl_pathv[i]);
        assert_non_null(t);
        size_t n = strlen(t);
        char *bigger = realloc(all, cap + n + 1);
        assert_non_null(bigger);
        all = bigger;
        memcpy(all + len, t, n);
        len += n;
        all[len++] = '\n';
        all[len] = '\0';
        cap = len + 1;
        free(t);
    }
    *nfiles = g.gl_pathc;
    globfree(&g);
    return all;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
        n++;
    return n;
}

static bool id_well_formed(const char *id, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(id, prefix, n) != 0 || id[n] != '-')
        return false;
    for (int i = 1; i <= 3; i++)
        if (!isdigit((unsigned char)id[n + i]))
            return false;
    return id[n + 4] == '\0' && strcmp(id + n + 1, "000") != 0;
}

/* The area prefix of an ID ("MIGS" of "MIGS-004"), or NULL. */
static const char *prefix_of(const char *id)
{
    for (int a = 0; a < SPEC_NAREAS; a++) {
        const char *p = spec_area_prefix((enum spec_area)a);
        if (strncmp(id, p, strlen(p)) == 0 && id[strlen(p)] == '-')
            return p;
    }
    return NULL;
}

static void ids(void **state)
{
    (void)state;
    assert_true(SPEC_NIDS >= 80);
    assert_int_equal(SIM_ARRAY_SIZE(syms), SPEC_NIDS);
    for (int i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = spec_get((enum spec_id)i);
        assert_int_equal(e->sid, i);
        if (!id_well_formed(e->id, spec_area_prefix(e->area)))
            fail_msg("%s: not %s-NNN", e->id, spec_area_prefix(e->area));
        /* the symbol is the ID with '_' for '-' */
        char want[16];
        sim_strlcpy(want, e->id, sizeof(want));
        *strchr(want, '-') = '_';
        if (strcmp(syms[i].sym, want) != 0 || strcmp(syms[i].id, e->id) != 0)
            fail_msg("%s: symbol %s", e->id, syms[i].sym);
        for (int j = 0; j < i; j++)
            if (strcmp(spec_get((enum spec_id)j)->id, e->id) == 0)
                fail_msg("%s listed twice", e->id);
        const struct spec_retired *r = NULL;
        assert_ptr_equal(spec_lookup(e->id, &r), e);
        assert_null(r);
        /* entries of an area are together and numbered in order */
        if (i > 0) {
            const struct spec_entry *p = spec_get((enum spec_id)(i - 1));
            if (p->area == e->area)
                assert_true(strcmp(p->id, e->id) < 0);
            else
                assert_true(p->area < e->area);
        }
    }
}

static void fields(void **state)
{
    (void)state;
    for (int i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = spec_get((enum spec_id)i);
        const char *f[] = { e->source, e->rules, e->statement, e->verdicts, e->tests };
        for (size_t k = 0; k < SIM_ARRAY_SIZE(f); k++)
            if (!f[k] || !f[k][0])
                fail_msg("%s: field %zu empty", e->id, k);
        size_t n = strlen(e->statement);
        if (e->statement[n - 1] != '.')
            fail_msg("%s: the statement is not a sentence", e->id);
        if (e->needs == 0 && e->alt == 0)
            fail_msg("%s: needs no evidence", e->id);
        /* the verdict rules say when it fails and when it passes */
        if (!strstr(e->verdicts, "FAIL") || !strstr(e->verdicts, "PASS"))
            fail_msg("%s: the verdict rules name no FAIL or no PASS", e->id);
        /* MUST/SHOULD/MAY only from a specification: a quoted text of the virtio
         * specification or QEMU's documentation, or the QAPI schema's types */
        bool quoted = strchr(e->source, '"') &&
                      (strstr(e->source, "virtio spec") || strstr(e->source, "docs/"));
        if (e->level != SPEC_LEVEL_OBSERVED && !quoted && !strstr(e->source, "qapi/"))
            fail_msg("%s: level %s without a specification text", e->id,
                     spec_level_name(e->level));
    }
}

static void retired(void **state)
{
    (void)state;
    /* spec_lookup's answer for a retired ID is checked below: there are some */
    assert_true(spec_nretired > 0);
    for (size_t i = 0; i < spec_nretired; i++) {
        const struct spec_retired *r = &spec_retired_table[i];
        const char *p = prefix_of(r->id);
        if (!p || !id_well_formed(r->id, p))
            fail_msg("retired %s: not AREA-NNN", r->id);
        if (!r->statement[0] || !r->why[0])
            fail_msg("retired %s: statement or reason missing", r->id);
        for (int k = 0; k < SPEC_NIDS; k++)
            if (strcmp(spec_get((enum spec_id)k)->id, r->id) == 0)
                fail_msg("retired %s is in use again", r->id);
        for (size_t j = 0; j < i; j++)
            if (strcmp(spec_retired_table[j].id, r->id) == 0)
                fail_msg("retired %s listed twice", r->id);
        const struct spec_retired *got = NULL;
        assert_null(spec_lookup(r->id, &got));
        assert_ptr_equal(got, r);
    }
}

/* The body of `static void func(void **state)` in `text`, up to its closing
 * brace at the start of a line; NULL if there is none. */
static char *function_body(const char *text, const char *func)
{
    char head[96];
    snprintf(head, sizeof(head), "static void %s(void **state)\n{", func);
    const char *b = strstr(text, head);
    if (!b)
        return NULL;
    const char *e = strstr(b, "\n}\n");
    if (!e)
        return NULL;
    size_t n = (size_t)(e - b);
    char *s = malloc(n + 1);
    assert_non_null(s);
    memcpy(s, b, n);
    s[n] = '\0';
    return s;
}

static void tests_field(void **state)
{
    (void)state;
    for (int i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = spec_get((enum spec_id)i);
        char buf[256];
        sim_strlcpy(buf, e->tests, sizeof(buf));
        unsigned n = 0;
        char *save = NULL;
        for (char *tok = strtok_r(buf, " ,;", &save); tok; tok = strtok_r(NULL, " ,;", &save)) {
            char *colon = strchr(tok, ':');
            if (!colon)
                fail_msg("%s: test '%s' is not FILE:FUNCTION", e->id, tok);
            *colon = '\0';
            char path[128];
            snprintf(path, sizeof(path), "conformance/%s", tok);
            char *text = slurp(path);
            if (!text)
                fail_msg("%s: %s does not exist", e->id, path);
            char *body = function_body(text, colon + 1);
            if (!body)
                fail_msg("%s: no test %s in %s", e->id, colon + 1, path);
            char mark[32], reg[96];
            snprintf(mark, sizeof(mark), "EVIDENCE(%s", e->id);
            const char *ev = strstr(body, mark);
            if (!ev || (ev[strlen(mark)] != ',' && ev[strlen(mark)] != ')'))
                fail_msg("%s: %s:%s has no EVIDENCE(%s...)", e->id, tok, colon + 1, e->id);
            snprintf(reg, sizeof(reg), "cmocka_unit_test(%s)", colon + 1);
            if (!strstr(text, reg))
                fail_msg("%s: %s:%s is not run", e->id, tok, colon + 1);
            free(body);
            free(text);
            n++;
        }
        if (n == 0)
            fail_msg("%s: no test", e->id);
    }
}

static void implemented(void **state)
{
    (void)state;
    size_t nfiles;
    char *mon = slurp_glob("spec/mon_*.c", &nfiles);
    assert_true(nfiles >= SPEC_NAREAS);
    for (int i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = spec_get((enum spec_id)i);
        char mark[32];
        snprintf(mark, sizeof(mark), "/* IMP: %s */", e->id);
        size_t n = count(mon, mark);
        if (n != 1)
            fail_msg("%s: %zu monitors marked '%s' in spec/mon_*.c", e->id, n, mark);
    }
    /* and every mark names an assertion of the catalog */
    for (const char *p = mon; (p = strstr(p, "/* IMP: ")) != NULL; p += 8) {
        char id[16] = "";
        sscanf(p + 8, "%15[A-Z0-9-]", id);
        if (!spec_lookup(id, NULL))
            fail_msg("monitor marked IMP: %s, which is not in the catalog", id);
    }
    free(mon);
}

/* A case of a monitor table counts only in a file that runs the cases of its
 * assertion (tf_run_cases runs a table's cases one assertion at a time: a
 * case whose assertion no test of its file names never runs). */
static void pass_and_fail_cases(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("conformance/test_monitor_*.c", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= SPEC_NAREAS);
    char **text = calloc(g.gl_pathc, sizeof(*text));
    assert_non_null(text);
    for (size_t f = 0; f < g.gl_pathc; f++) {
        text[f] = slurp(g.gl_pathv[f]);
        assert_non_null(text[f]);
    }
    for (int i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = spec_get((enum spec_id)i);
        char pass[48], fail[48], run[96];
        snprintf(pass, sizeof(pass), "{ \"%s\", CHECK_PASS,", e->id);
        snprintf(fail, sizeof(fail), "{ \"%s\", CHECK_FAIL,", e->id);
        snprintf(run, sizeof(run), "tf_run_cases(cases, SIM_ARRAY_SIZE(cases), \"%s\");", e->id);
        bool has_pass = false, has_fail = false;
        for (size_t f = 0; f < g.gl_pathc; f++) {
            bool ran = strstr(text[f], run) != NULL;
            has_pass |= ran && strstr(text[f], pass);
            has_fail |= ran && strstr(text[f], fail);
        }
        if (!has_pass || !has_fail)
            fail_msg("%s: no %s case in a monitor table whose file runs %s's cases", e->id,
                     has_pass ? "FAIL" : "PASS", e->id);
    }
    for (size_t f = 0; f < g.gl_pathc; f++)
        free(text[f]);
    free(text);
    globfree(&g);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(ids),         cmocka_unit_test(fields),
    cmocka_unit_test(retired),     cmocka_unit_test(tests_field),
    cmocka_unit_test(implemented), cmocka_unit_test(pass_and_fail_cases),
};

FO_MAIN("spec_catalog", tests)
