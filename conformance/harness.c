/*
 * Test harness: group runner with a RESULT line, typed assertions, and an
 * observation capture for tests that search what a run showed.
 */
#include "harness.h"

#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/err.h"

/* FOSIM_TEST_FILTER=GLOB runs the tests whose name matches (fnmatch(3));
 * the RESULT line counts the tests that ran, so a filter never reports the
 * others as passed, and one that matches nothing fails. */
int fo_run_group(const char *name, const struct CMUnitTest *tests, size_t n)
{
    const char *filter = getenv("FOSIM_TEST_FILTER");
    struct CMUnitTest *run = sim_xmalloc((n ? n : 1) * sizeof(*run));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!filter || !*filter || fnmatch(filter, tests[i].name, 0) == 0)
            run[k++] = tests[i];
    if (k == 0) {
        fprintf(stderr, "%s: no test to run (FOSIM_TEST_FILTER=%s)\n", name, filter ? filter : "");
        free(run);
        printf("RESULT %s 0 1\n", name);
        fflush(stdout);
        return 1;
    }
    int failed = _cmocka_run_group_tests(name, run, k, NULL, NULL);
    free(run);
    if (failed < 0 || (size_t)failed > k) /* not a count of tests: all failed */
        failed = (int)k;
    fflush(stderr);
    printf("RESULT %s %zu %d\n", name, k - (size_t)failed, failed);
    fflush(stdout);
    return failed ? 1 : 0;
}

void fo_assert_i64(int64_t a, int64_t b, const char *ea, const char *eb, const char *file,
                   int line)
{
    if (a != b) {
        print_error("%s (%" PRId64 ") != %s (%" PRId64 ")\n", ea, a, eb, b);
        _fail(file, line);
    }
}

static char *dup_or_null(const char *s)
{
    return s ? sim_xstrdup(s) : NULL;
}

void fo_capture_sink(void *ctx, const struct obs *o)
{
    struct fo_capture *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 256;
        c->v = sim_xrealloc(c->v, c->cap * sizeof(*c->v));
    }
    struct fo_rec *r = &c->v[c->n++];
    memset(r, 0, sizeof(*r));
    r->o = *o;
    r->o.origin.file = NULL; /* borrowed in the original */
    switch (o->kind) {
    case OBS_QMP_GREETING:
    case OBS_QMP_COMMAND:
    case OBS_QMP_REPLY:
    case OBS_QMP_EVENT:
        r->text = dup_or_null(o->u.qmp.line);
        r->o.u.qmp.line = r->text;
        r->o.u.qmp.json = NULL;
        break;
    case OBS_KLOG:
        r->text = dup_or_null(o->u.klog.text);
        r->o.u.klog.text = r->text;
        break;
    case OBS_HOSTLOG:
        r->text = dup_or_null(o->u.hostlog.text);
        r->o.u.hostlog.text = r->text;
        break;
    case OBS_FRAME:
        r->text = dup_or_null(o->u.frame.point);
        r->o.u.frame.point = r->text;
        if (o->u.frame.data && o->u.frame.caplen) {
            r->bytes = sim_xmalloc(o->u.frame.caplen);
            memcpy(r->bytes, o->u.frame.data, o->u.frame.caplen);
        }
        r->o.u.frame.data = r->bytes;
        break;
    case OBS_STATE: {
        const struct obs_state *s = &o->u.state;
        size_t len = strlen(s->entity) + (s->from ? strlen(s->from) : 0) + strlen(s->to) +
                     (s->why ? strlen(s->why) : 0) + 4;
        r->extra = sim_xmalloc(len);
        char *p = r->extra;
        r->o.u.state.entity = p;
        p += sprintf(p, "%s", s->entity) + 1;
        r->o.u.state.from = s->from ? p : NULL;
        if (s->from)
            p += sprintf(p, "%s", s->from) + 1;
        r->o.u.state.to = p;
        p += sprintf(p, "%s", s->to) + 1;
        r->o.u.state.why = s->why ? p : NULL;
        if (s->why)
            sprintf(p, "%s", s->why);
        break;
    }
    case OBS_END:
        r->o.u.end.what = "end";
        break;
    case OBS_NKINDS:
        break;
    }
}

void fo_capture_free(struct fo_capture *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].text);
        free(c->v[i].extra);
        free(c->v[i].bytes);
    }
    free(c->v);
    memset(c, 0, sizeof(*c));
}

static bool field_match(const struct obs *o, const char *field)
{
    if (!field)
        return true;
    const char *eq = strchr(field, '=');
    if (!eq)
        return false;
    size_t klen = (size_t)(eq - field);
    const char *want = eq + 1;
    if (strncmp(field, "status", klen) == 0 && klen == 6)
        return strcmp(o->u.qmp.status, want) == 0;
    if (strncmp(field, "device-id", klen) == 0 && klen == 9)
        return strcmp(o->u.qmp.device_id, want) == 0;
    if (strncmp(field, "error", klen) == 0 && klen == 5)
        return o->u.qmp.is_error && strstr(o->u.qmp.error_desc, want) != NULL;
    return false;
}

long fo_find(const struct fo_capture *c, size_t from, enum obs_kind kind, enum obs_host host,
             const char *name, const char *field)
{
    for (size_t i = from; i < c->n; i++) {
        const struct obs *o = &c->v[i].o;
        if (o->kind != kind || o->host != host)
            continue;
        if (kind == OBS_KLOG) {
            if (name && !strstr(o->u.klog.text, name))
                continue;
            return (long)i;
        }
        if (kind == OBS_HOSTLOG) {
            if (name && !strstr(o->u.hostlog.text, name))
                continue;
            return (long)i;
        }
        if (kind == OBS_STATE) {
            if (name && strcmp(o->u.state.entity, name) != 0)
                continue;
            if (field && strcmp(o->u.state.to, field) != 0)
                continue;
            return (long)i;
        }
        if (name && strcmp(o->u.qmp.name, name) != 0)
            continue;
        if (!field_match(o, field))
            continue;
        return (long)i;
    }
    return -1;
}

size_t fo_count(const struct fo_capture *c, enum obs_kind kind, enum obs_host host,
                const char *name, const char *field)
{
    size_t n = 0;
    long i = -1;
    while ((i = fo_find(c, (size_t)(i + 1), kind, host, name, field)) >= 0)
        n++;
    return n;
}

void fo_capture_dump(const struct fo_capture *c)
{
    char line[2048];
    sim_time t0 = c->n ? c->v[0].o.t : 0;
    for (size_t i = 0; i < c->n; i++) {
        obs_format(line, sizeof(line), &c->v[i].o, t0);
        fprintf(stderr, "%s\n", line);
    }
}

char *fo_temp_text(const char *tmpl, const char *text)
{
    char *path = strdup(tmpl);
    assert_non_null(path);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    return path;
}

int fo_fosim_in(const char *dir, const char *args, char *out, size_t n)
{
    char cwd[1024], cmd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    int len = snprintf(cmd, sizeof(cmd), "cd '%s' && '%s/%s' %s 2>&1", dir, cwd, FOSIM_BIN, args);
    assert_true(len > 0 && (size_t)len < sizeof(cmd));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t got = fread(out, 1, n - 1, p);
    out[got] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
