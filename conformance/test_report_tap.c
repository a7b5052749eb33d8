/*
 * The TAP report (spec/report_tap.c) read back by a TAP 14 parser written
 * here: the version line, one plan, test points numbered 1..N, directives
 * (SKIP for N/A, TODO for INCONCLUSIVE) found only at an unescaped '#',
 * YAML diagnostics blocks (2-space indent, "---" .. "...") whose quoted
 * scalars use only YAML's escapes, the whole stream UTF-8 without control
 * characters.  Every point is compared with the engine's result.  TAP::Harness
 * (prove) does not know version 14 yet (3.44: "we don't know about versions
 * later than 13"); it reads the same stream with the version line set to 13,
 * and must count a FAIL as failed and everything else as passed.
 */
#include <ctype.h>
#include <setjmp.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "report_fixture.h"

#define TAP_MAXPOINTS 256

struct tap_point {
    bool ok;
    unsigned n;
    char desc[1024];          /* unescaped */
    char directive[8];        /* "", "SKIP", "TODO" */
    char reason[512];         /* unescaped */
    char id[32], level[16], verdict[16]; /* from the YAML block */
    bool required, evidence;  /* YAML keys present */
};

struct tap {
    jmp_buf jb;               /* a parse error returns here */
    char err[256];
    unsigned plan;
    bool plan_seen;
    unsigned npoints;
    struct tap_point p[TAP_MAXPOINTS];
    char comments[4096];
};

/* A parse error: the message, with the line number, and back to
 * tap_try_parse(). */
#define TAP_ERR(ln, ...)                                                           \
    do {                                                                           \
        char m_[200];                                                              \
        snprintf(m_, sizeof(m_), __VA_ARGS__);                                     \
        snprintf(t->err, sizeof(t->err), "TAP line %u: %s", (ln), m_);            \
        longjmp(t->jb, 1);                                                         \
    } while (0)

/* Unescape a TAP description or directive reason (\# and \\). */
static void tap_unescape(char *dst, size_t n, const char *s, size_t len)
{
    size_t k = 0;
    for (size_t i = 0; i < len && k + 1 < n; i++) {
        if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '#' || s[i + 1] == '\\'))
            i++;
        dst[k++] = s[i];
    }
    dst[k] = '\0';
}

/* A YAML double-quoted scalar at s (s[0] == '"'): decode into dst (UTF-8),
 * check it ends the line.  Only the escapes the report uses are accepted. */
static void yaml_quoted(struct tap *t, unsigned ln, const char *s, char *dst, size_t n)
{
    size_t k = 0;
    const char *p = s + 1;
    for (; *p && *p != '"'; p++) {
        unsigned ch = (unsigned char)*p;
        if (ch < 0x20)
            TAP_ERR(ln, "raw control character 0x%02x in a quoted scalar", ch);
        if (ch != '\\') {
            if (k + 1 < n)
                dst[k++] = (char)ch;
            continue;
        }
        p++;
        unsigned v = 0;
        int digits = 0;
        switch (*p) {
        case '"':
        case '\\':
            v = (unsigned char)*p;
            break;
        case 'n':
            v = '\n';
            break;
        case 't':
            v = '\t';
            break;
        case 'x':
            digits = 2;
            break;
        case 'u':
            digits = 4;
            break;
        default:
            TAP_ERR(ln, "escape \\%c is not one YAML's double quotes know", *p ? *p : '0');
        }
        for (int d = 0; d < digits; d++) {
            if (!isxdigit((unsigned char)p[1]))
                TAP_ERR(ln, "short \\x/\\u escape");
            char h[2] = { *++p, 0 };
            v = v * 16 + (unsigned)strtoul(h, NULL, 16);
        }
        /* UTF-8 encode v */
        char enc[4];
        int m = v < 0x80 ? 1 : v < 0x800 ? 2 : 3;
        if (m == 1)
            enc[0] = (char)v;
        else if (m == 2)
            enc[0] = (char)(0xc0 | v >> 6), enc[1] = (char)(0x80 | (v & 0x3f));
        else
            enc[0] = (char)(0xe0 | v >> 12), enc[1] = (char)(0x80 | ((v >> 6) & 0x3f)),
            enc[2] = (char)(0x80 | (v & 0x3f));
        for (int i = 0; i < m && k + 1 < n; i++)
            dst[k++] = enc[i];
    }
    if (*p != '"' || p[1] != '\0')
        TAP_ERR(ln, "quoted scalar not closed at the end of the line");
    dst[k] = '\0';
}

/* A YAML line "INDENTkey: value" of the block: returns the key length and
 * points *val at the value ("" for a nested mapping or list). */
static size_t yaml_key(struct tap *t, unsigned ln, const char *l, size_t indent, const char **val)
{
    const char *k = l + indent;
    if (!isalpha((unsigned char)*k))
        TAP_ERR(ln, "YAML key expected at column %zu", indent + 1);
    const char *c = k;
    while (isalnum((unsigned char)*c) || *c == '_' || *c == '-')
        c++;
    if (*c != ':')
        TAP_ERR(ln, "YAML 'key:' expected");
    *val = c[1] == ' ' ? c + 2 : c + 1;
    if (**val == '\0' && c[1] != '\0')
        TAP_ERR(ln, "trailing space after a key");
    return (size_t)(c - k);
}

static void yaml_scalar(struct tap *t, unsigned ln, const char *v, char *dst, size_t n)
{
    if (*v == '"') {
        yaml_quoted(t, ln, v, dst, n);
        return;
    }
    /* plain scalars the report writes: integers and booleans */
    if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
        for (const char *p = v; *p; p++)
            if (!isdigit((unsigned char)*p))
                TAP_ERR(ln, "plain scalar '%s' is not a number or a boolean", v);
        if (!*v)
            TAP_ERR(ln, "empty scalar");
    }
    sim_strlcpy(dst, v, n);
}

/* Parse a YAML block from line *i (the "  ---" line) into pt. */
static void tap_yaml(struct tap *t, char **lines, unsigned nl, unsigned *i, struct tap_point *pt)
{
    unsigned ln = *i + 1;
    bool in_list = false;
    for ((*i)++; *i < nl; (*i)++) {
        const char *l = lines[*i];
        ln = *i + 1;
        if (strcmp(l, "  ...") == 0)
            return;
        if (strncmp(l, "  ", 2) != 0)
            TAP_ERR(ln, "YAML line not indented by 2 spaces");
        char buf[1024];
        const char *v = NULL;
        if (l[2] != ' ') {
            size_t kl = yaml_key(t, ln, l, 2, &v);
            in_list = false;
            if (*v == '\0') {
                if (!(kl == 8 && strncmp(l + 2, "evidence", 8) == 0))
                    TAP_ERR(ln, "only 'evidence' opens a nested list");
                pt->evidence = in_list = true;
                continue;
            }
            yaml_scalar(t, ln, v, buf, sizeof(buf));
            if (kl == 2 && strncmp(l + 2, "id", 2) == 0)
                sim_strlcpy(pt->id, buf, sizeof(pt->id));
            else if (kl == 5 && strncmp(l + 2, "level", 5) == 0)
                sim_strlcpy(pt->level, buf, sizeof(pt->level));
            else if (kl == 7 && strncmp(l + 2, "verdict", 7) == 0)
                sim_strlcpy(pt->verdict, buf, sizeof(pt->verdict));
            else if (kl == 8 && strncmp(l + 2, "required", 8) == 0)
                pt->required = true;
            continue;
        }
        if (!in_list)
            TAP_ERR(ln, "indented line outside a list");
        if (strncmp(l, "    - ", 6) == 0)
            yaml_key(t, ln, l, 6, &v);
        else if (strncmp(l, "      ", 6) == 0 && l[6] != ' ')
            yaml_key(t, ln, l, 6, &v);
        else
            TAP_ERR(ln, "list item or its member expected");
        yaml_scalar(t, ln, v, buf, sizeof(buf));
    }
    TAP_ERR(ln, "YAML block without its '  ...' line");
}

/* A test point line. */
static void tap_point(struct tap *t, unsigned ln, const char *l, struct tap_point *pt)
{
    memset(pt, 0, sizeof(*pt));
    const char *p = l;
    if (strncmp(p, "not ok", 6) == 0) {
        p += 6;
    } else if (strncmp(p, "ok", 2) == 0) {
        pt->ok = true;
        p += 2;
    } else {
        TAP_ERR(ln, "not a test point");
    }
    if (*p != ' ' || !isdigit((unsigned char)p[1]))
        TAP_ERR(ln, "test point without a number");
    char *end;
    pt->n = (unsigned)strtoul(p + 1, &end, 10);
    p = end;
    if (strncmp(p, " - ", 3) != 0)
        TAP_ERR(ln, "' - ' and a description expected");
    p += 3;
    /* the description ends at the first unescaped '#' */
    const char *d = p;
    for (; *p; p++) {
        if (*p == '\\' && (p[1] == '#' || p[1] == '\\'))
            p++;
        else if (*p == '#')
            break;
    }
    size_t dl = (size_t)(p - d);
    while (dl && d[dl - 1] == ' ')
        dl--;
    tap_unescape(pt->desc, sizeof(pt->desc), d, dl);
    if (!*p)
        return;
    if (p[-1] != ' ')
        TAP_ERR(ln, "an unescaped '#' inside the description");
    p++;
    while (*p == ' ')
        p++;
    if (strncasecmp(p, "SKIP", 4) == 0 || strncasecmp(p, "TODO", 4) == 0) {
        memcpy(pt->directive, p, 4);
        for (int i = 0; i < 4; i++)
            pt->directive[i] = (char)toupper((unsigned char)pt->directive[i]);
        p += 4;
        if (*p == ' ')
            p++;
        else if (*p)
            TAP_ERR(ln, "directive word not followed by a space");
        tap_unescape(pt->reason, sizeof(pt->reason), p, strlen(p));
    } else {
        TAP_ERR(ln, "'#' followed by neither SKIP nor TODO");
    }
}

/* Parse a whole TAP stream (modifies text); false with t->err set when it
 * is not well-formed. */
static bool tap_try_parse(char *text, struct tap *t, char **lines, unsigned maxlines)
{
    memset(t, 0, sizeof(*t));
    if (setjmp(t->jb))
        return false;
    unsigned nl = 0;
    if (text[0] == '\0' || text[strlen(text) - 1] != '\n')
        TAP_ERR(1u, "empty, or the last line has no newline");
    for (char *s = text; *s && nl < maxlines;) {
        char *e = strchr(s, '\n');
        *e = '\0';
        lines[nl++] = s;
        s = e + 1;
    }
    if (nl == 0 || strcmp(lines[0], "TAP version 14") != 0)
        TAP_ERR(1u, "the first line is not 'TAP version 14'");
    for (unsigned i = 1; i < nl; i++) {
        const char *l = lines[i];
        unsigned ln = i + 1;
        if (l[0] == '#') {
            strncat(t->comments, l, sizeof(t->comments) - strlen(t->comments) - 2);
            strcat(t->comments, "\n");
        } else if (strncmp(l, "1..", 3) == 0) {
            if (t->plan_seen)
                TAP_ERR(ln, "a second plan");
            char *end;
            t->plan = (unsigned)strtoul(l + 3, &end, 10);
            if (*end || !isdigit((unsigned char)l[3]))
                TAP_ERR(ln, "malformed plan");
            if (t->npoints != 0) { /* a trailing plan ends the stream */
                for (unsigned k = i + 1; k < nl; k++)
                    if (lines[k][0] != '#')
                        TAP_ERR(k + 1, "test output after a trailing plan");
            }
            t->plan_seen = true;
        } else if (strncmp(l, "ok", 2) == 0 || strncmp(l, "not ok", 6) == 0) {
            if (t->npoints == TAP_MAXPOINTS)
                TAP_ERR(ln, "too many points");
            struct tap_point *pt = &t->p[t->npoints++];
            tap_point(t, ln, l, pt);
            if (pt->n != t->npoints)
                TAP_ERR(ln, "test point %u out of sequence (expected %u)", pt->n, t->npoints);
            if (i + 1 < nl && strcmp(lines[i + 1], "  ---") == 0) {
                i++;
                tap_yaml(t, lines, nl, &i, pt);
            }
        } else if (strncmp(l, "Bail out!", 9) == 0) {
            TAP_ERR(ln, "bail out");
        } else {
            TAP_ERR(ln, "unknown line '%.40s'", l);
        }
    }
    if (!t->plan_seen)
        TAP_ERR(nl, "no plan");
    if (t->plan != t->npoints)
        TAP_ERR(nl, "plan 1..%u but %u test points", t->plan, t->npoints);
    return true;
}

static void tap_parse(char *text, struct tap *t)
{
    char **lines = calloc(1 << 14, sizeof(*lines));
    assert_non_null(lines);
    bool ok = tap_try_parse(text, t, lines, 1 << 14);
    free(lines);
    if (!ok)
        fail_msg("%s", t->err);
}

/* The parsed stream says what the engine decided, point by point. */
static void tap_matches(const struct tap *t, const struct check *c)
{
    assert_int_equal(t->npoints, SPEC_NIDS);
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        const struct check_result *r = check_result(c, i);
        const struct tap_point *pt = &t->p[i];
        char want[1024];
        snprintf(want, sizeof(want), "%s %s", r->a->id, r->a->statement);
        assert_string_equal(pt->desc, want);
        assert_string_equal(pt->id, r->a->id);
        assert_string_equal(pt->level, spec_level_name(r->a->level));
        assert_string_equal(pt->verdict, check_verdict_name(r->verdict));
        switch (r->verdict) {
        case CHECK_PASS:
            assert_true(pt->ok);
            assert_string_equal(pt->directive, "");
            break;
        case CHECK_FAIL:
            assert_false(pt->ok);
            assert_string_equal(pt->directive, "");
            assert_true(pt->required);
            assert_true(pt->evidence);
            break;
        case CHECK_NA:
            assert_true(pt->ok);
            assert_string_equal(pt->directive, "SKIP");
            assert_true(strncmp(pt->reason, "n/a: ", 5) == 0);
            assert_string_equal(pt->reason + 5, r->why);
            break;
        case CHECK_INCONCLUSIVE:
            assert_false(pt->ok);
            assert_string_equal(pt->directive, "TODO");
            assert_true(strncmp(pt->reason, "inconclusive: ", 14) == 0);
            break;
        case CHECK_NVERDICTS:
            fail();
        }
    }
}

static void stream_reads_back(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    struct check *c = rf_mixed();
    char *tap = rf_render(c, CHECK_REPORT_TAP, false);
    assert_true(rf_utf8_ok(tap));
    assert_false(rf_has_control(tap, false));
    struct tap *t = malloc(sizeof(*t));
    assert_non_null(t);
    tap_parse(tap, t);
    tap_matches(t, c);
    /* the summary comment carries the counts and the exit status */
    unsigned tot[CHECK_NVERDICTS];
    check_totals(c, tot);
    char sum[128];
    snprintf(sum, sizeof(sum), "# pass %u, fail %u, inconclusive %u, n/a %u; exit 1\n",
             tot[CHECK_PASS], tot[CHECK_FAIL], tot[CHECK_INCONCLUSIVE], tot[CHECK_NA]);
    assert_non_null(strstr(t->comments, sum));
    free(t);
    free(tap);
    check_free(c);
}

static void hostile_text_escaped(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    struct check *c = rf_mixed();
    char *tap = rf_render(c, CHECK_REPORT_TAP, false);
    struct tap *t = malloc(sizeof(*t));
    assert_non_null(t);
    char *copy = strdup(tap);
    tap_parse(copy, t);
    /* EVT-002's reason names the unanswered command 'odd#\cmd<U+0001>é': the
     * '#' and '\' escaped in the directive, the control as \\x01 */
    const struct tap_point *pt = &t->p[SPEC_EVT_002];
    assert_string_equal(pt->directive, "TODO");
    assert_non_null(strstr(pt->reason, "odd#\\cmd\\x01\xc3\xa9"));
    assert_non_null(strstr(tap, "odd\\#\\\\cmd\\\\x01\xc3\xa9"));
    /* in YAML the id of NEG-003's device: markup as is, control as \u0001 */
    assert_non_null(strstr(tap, "'n<&>#\\\\\\u0001\xc3\xa9' is not a device"));
    /* the bytes that are not UTF-8 in PAIR-003's evidence line, as \xNN */
    assert_non_null(
        strstr(tap, "slave:x<&>\\\"'#\\\\\\u001b[31m\\x80\\xe2\\x82=\\u0085\\ufffe\xc3\xa9 registered"));
    free(copy);
    free(t);
    free(tap);
    check_free(c);
}

static void truncated_and_golden(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    struct check_ctx ctx;
    tf_ctx_default(&ctx);
    struct check *c = tf_check(&ctx, G_GOLDEN_ALL "30 S end truncated\n", 0);
    char *tap = rf_render(c, CHECK_REPORT_TAP, false);
    struct tap *t = malloc(sizeof(*t));
    assert_non_null(t);
    tap_parse(tap, t);
    tap_matches(t, c);
    assert_non_null(strstr(t->comments, "# the trace is truncated: "));
    assert_non_null(strstr(t->comments, "; exit 3\n"));
    free(t);
    free(tap);
    check_free(c);
}

/* The parser refuses what it must refuse (it is the test's oracle). */
static void parser_refuses_bad_streams(void **state)
{
    (void)state;
    static const char *const good =
        "TAP version 14\n1..2\nok 1 - A \\# b # SKIP n/a: x\n  ---\n  id: \"A\"\n  ...\n"
        "not ok 2 - B # TODO why\n";
    struct tap *t = malloc(sizeof(*t));
    assert_non_null(t);
    char *s = strdup(good);
    tap_parse(s, t);
    assert_string_equal(t->p[0].desc, "A # b");
    assert_string_equal(t->p[0].directive, "SKIP");
    assert_string_equal(t->p[0].id, "A");
    assert_string_equal(t->p[1].directive, "TODO");
    free(s);
    free(t);
    /* each of these is refused */
    static const char *const bad[] = {
        "TAP version 13\n1..1\nok 1 - a\n",
        "TAP version 14\n1..2\nok 1 - a\n",
        "TAP version 14\n1..1\n1..1\nok 1 - a\n",
        "TAP version 14\n1..2\nok 1 - a\nok 3 - b\n",
        "TAP version 14\n1..1\nok 1 - a # FOO\n",
        "TAP version 14\n1..1\nok 1 - a#b\n",
        "TAP version 14\n1..1\nok 1 - a\n  ---\n  id: \"x\\q\"\n  ...\n",
        "TAP version 14\n1..1\nok 1 - a\n  ---\n  id: x y\n  ...\n",
        "TAP version 14\n1..1\nok 1 - a\n  ---\n  id: \"x\"\n",
        "TAP version 14\nok 1 - a\n1..1\nok 2 - b\n",
        "TAP version 14\n1..1\nok 1 - a\nrandom\n",
    };
    t = malloc(sizeof(*t));
    char **lines = calloc(64, sizeof(*lines));
    assert_non_null(t);
    assert_non_null(lines);
    for (size_t i = 0; i < SIM_ARRAY_SIZE(bad); i++) {
        char *b = strdup(bad[i]);
        if (tap_try_parse(b, t, lines, 64))
            fail_msg("the parser accepted bad stream %zu", i);
        free(b);
    }
    free(lines);
    free(t);
}

/* prove reads the stream (version line 13): a FAIL fails it, the golden
 * run passes, SKIP and TODO count as passed. */
static int prove(const char *tap)
{
    char path[] = "/tmp/fosim-tap-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_true(strncmp(tap, "TAP version 14\n", 15) == 0);
    fprintf(f, "TAP version 13\n%s", tap + 15);
    assert_int_equal(fclose(f), 0);
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "prove -e cat %s >/dev/null 2>&1", path);
    int rc = system(cmd);
    unlink(path);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void prove_agrees(void **state)
{
    (void)state;
    EVIDENCE(G-17);
    if (system("command -v prove >/dev/null 2>&1") != 0)
        fail_msg("prove (TAP::Harness, Debian package perl) is not installed");
    struct check *c = rf_mixed();
    char *tap = rf_render(c, CHECK_REPORT_TAP, false);
    assert_int_not_equal(prove(tap), 0);
    free(tap);
    check_free(c);
    c = rf_golden();
    tap = rf_render(c, CHECK_REPORT_TAP, false);
    assert_int_equal(prove(tap), 0);
    free(tap);
    check_free(c);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(stream_reads_back),   cmocka_unit_test(hostile_text_escaped),
    cmocka_unit_test(truncated_and_golden), cmocka_unit_test(parser_refuses_bad_streams),
    cmocka_unit_test(prove_agrees),
};

FO_MAIN("report_tap", tests)
