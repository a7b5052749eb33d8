/*
 * Sinks of some kinds: a sink added with sim_world_add_sink_kinds receives
 * only those kinds, and the simulator does not build observations no sink
 * receives (QMP lines, console lines, frames).  What a sink receives must
 * not depend on what the others want: each record it gets (sequence number,
 * time, origin file and line, every decoded field) is the one a sink of
 * every kind gets in the same run.  Scenarios with traffic, both hotplug
 * flavours and a fleet are run once with a sink of every kind and once for
 * each narrower set, alone in the world, and the records compared.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/err.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"

/* One record reduced to what a consumer can see of it. */
struct line {
    uint64_t seq;
    enum obs_kind kind;
    char *text; /* origin, vm, and obs_format's rendering */
};

struct lines {
    struct line *v;
    size_t n, cap;
    uint32_t kinds; /* kinds this sink asked for */
    size_t others;  /* records of other kinds it was given (must stay 0) */
};

static void lines_sink(void *ctx, const struct obs *o)
{
    struct lines *l = ctx;
    if (!((l->kinds >> o->kind) & 1)) {
        l->others++;
        return;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        assert_non_null(l->v);
    }
    char body[2048], text[2300];
    obs_format(body, sizeof(body), o, 0);
    char extra[64] = "";
    if (o->kind == OBS_FRAME)
        snprintf(extra, sizeof(extra), " flow=%016llx role=%d if=%d",
                 (unsigned long long)o->u.frame.flow, o->u.frame.role, o->u.frame.ifindex);
    snprintf(text, sizeof(text), "vm%u %s:%llu t=%lld%s %s%s", o->vm,
             o->origin.file ? o->origin.file : "-", (unsigned long long)o->origin.line,
             (long long)o->t, o->t_approx ? "~" : "", body, extra);
    l->v[l->n++] = (struct line){ .seq = o->seq, .kind = o->kind, .text = strdup(text) };
}

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].text);
    free(l->v);
}

static void run_with(const char *text, struct lines *l)
{
    struct scenario *s = NULL;
    struct sim_err err = { "" };
    if (scn_parse_string("sink-kinds.fos", text, &s, &err) != 0)
        fail_msg("%s", err.msg);
    struct sim_run *r = NULL;
    if (sim_run_new(s, NULL, &r, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(sim_world_add_sink_kinds(r->w, lines_sink, l, l->kinds), 0);
    /* the run's own sinks (traffic accounting, expectations) want no more
     * than state changes and the end, so the other kinds are not built */
    assert_int_equal(r->w->wanted & ~(l->kinds | OBS_KIND_BIT(OBS_STATE) | OBS_KIND_BIT(OBS_END)),
                     0);
    sim_run_go(r);
    sim_run_free(r);
    scn_free(s);
}

/* The narrow sink's records are exactly the full sink's records of its
 * kinds, in order. */
static void compare(const char *scenario, uint32_t kinds)
{
    struct lines all = { .kinds = OBS_ALL_KINDS }, some = { .kinds = kinds };
    run_with(scenario, &all);
    run_with(scenario, &some);
    assert_int_equal(some.others, 0);
    size_t j = 0;
    for (size_t i = 0; i < all.n; i++) {
        if (!((kinds >> all.v[i].kind) & 1))
            continue;
        if (j == some.n)
            fail_msg("kinds %#x: record %zu missing: %s", kinds, j, all.v[i].text);
        if (all.v[i].seq != some.v[j].seq || strcmp(all.v[i].text, some.v[j].text) != 0)
            fail_msg("kinds %#x: record %zu differs:\n  all:  #%llu %s\n  some: #%llu %s",
                     kinds, j, (unsigned long long)all.v[i].seq, all.v[i].text,
                     (unsigned long long)some.v[j].seq, some.v[j].text);
        j++;
    }
    assert_int_equal(j, some.n);
    assert_true(some.n > 0); /* the scenario has records of these kinds */
    lines_free(&all);
    lines_free(&some);
}

static const uint32_t kind_sets[] = {
    OBS_KIND_BIT(OBS_QMP_EVENT),
    OBS_KIND_BIT(OBS_QMP_COMMAND) | OBS_KIND_BIT(OBS_QMP_REPLY),
    OBS_KIND_BIT(OBS_KLOG),
    OBS_KIND_BIT(OBS_FRAME),
    OBS_KIND_BIT(OBS_STATE) | OBS_KIND_BIT(OBS_END),
    OBS_KIND_BIT(OBS_KLOG) | OBS_KIND_BIT(OBS_FRAME) | OBS_KIND_BIT(OBS_QMP_GREETING),
};

static void compare_all_sets(const char *scenario)
{
    for (size_t i = 0; i < sizeof(kind_sets) / sizeof(kind_sets[0]); i++)
        compare(scenario, kind_sets[i]);
}

/* The catalog's ping scenarios without their expectations (a scenario's
 * expectations receive every kind, which would hide what this tests). */
#define NATIVE FO_PING_SCENARIO(FO_NATIVE_HOTPLUG)
#define ACPI FO_PING_SCENARIO("")

static void test_native_ping(void **state)
{
    (void)state;
    compare_all_sets("scenario sink-kinds-native\n" NATIVE);
}

static void test_acpi_ping(void **state)
{
    (void)state;
    compare_all_sets("scenario sink-kinds-acpi\n" ACPI);
}

static void test_fleet(void **state)
{
    (void)state;
    compare_all_sets("scenario sink-kinds-fleet\n" NATIVE "vms 3\n");
}

/* A sink of no kind is never called, and a run with only it still counts
 * every observation (the END record a later full sink would see has the
 * same sequence number). */
static void test_nothing_wanted(void **state)
{
    (void)state;
    const char *scn = "scenario sink-kinds-none\n" NATIVE;
    struct lines none = { .kinds = 0 }, end = { .kinds = OBS_KIND_BIT(OBS_END) };
    run_with(scn, &none);
    assert_int_equal(none.n + none.others, 0);
    struct lines all = { .kinds = OBS_ALL_KINDS };
    run_with(scn, &all);
    run_with(scn, &end);
    assert_int_equal(end.n, 1);
    assert_true(all.n > 100);
    assert_int_equal(end.v[0].seq, all.v[all.n - 1].seq);
    lines_free(&all);
    lines_free(&end);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_native_ping),
    cmocka_unit_test(test_acpi_ping),
    cmocka_unit_test(test_fleet),
    cmocka_unit_test(test_nothing_wanted),
};

FO_MAIN("sink_kinds", tests)
