/*
 * QMP emission without a re-parse: the simulator decodes each QMP line it
 * emits from the JSON object the line was printed from (sim_emit_qmp_json),
 * not from parsing the printed text again.  That is only right if the two
 * give the same record.  This runs every scenario of the catalog and, for
 * every QMP line on the stream (greetings, commands, replies, events, on
 * both hosts), parses the line as a reader of the recorded .qmp file does
 * and checks that the decoded record is field for field the one the sinks
 * received, and that the parsed object equals the emitted one.
 */
#include "harness.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/err.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"
#include "suite.h"

#define CATALOG "conformance/scenarios"

struct cmp {
    const char *scenario;
    unsigned long lines;     /* QMP lines compared */
    unsigned long by_kind[OBS_NKINDS];
    unsigned long mismatches;
    char first[512];         /* the first mismatch, for the failure message */
};

static void mismatch(struct cmp *c, const char *what, const struct obs *o)
{
    if (c->mismatches++ == 0)
        snprintf(c->first, sizeof(c->first), "%s: %s differs for %s", c->scenario, what,
                 o->u.qmp.line);
}

static void compare_sink(void *ctx, const struct obs *o)
{
    struct cmp *c = ctx;
    if (o->kind != OBS_QMP_GREETING && o->kind != OBS_QMP_COMMAND &&
        o->kind != OBS_QMP_REPLY && o->kind != OBS_QMP_EVENT)
        return;
    c->lines++;
    c->by_kind[o->kind]++;
    json_error_t jerr;
    json_t *j = json_loads(o->u.qmp.line, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        mismatch(c, "the text (it does not parse)", o);
        return;
    }
    if (!o->u.qmp.json || !json_equal(j, (json_t *)o->u.qmp.json))
        mismatch(c, "the object", o);
    /* the reader's decoding of the line (qmp_log does exactly this) */
    struct obs r = { .t = o->t, .host = o->host, .vm = o->vm };
    char err[256];
    if (obs_decode_qmp(&r, j, o->u.qmp.line, true, err, sizeof(err)) != 0) {
        mismatch(c, "decoding", o);
        json_decref(j);
        return;
    }
    const struct obs_qmp *a = &o->u.qmp, *b = &r.u.qmp;
    if (r.kind != o->kind)
        mismatch(c, "the kind", o);
    if (r.t != o->t || r.t_approx != o->t_approx)
        mismatch(c, "the time", o);
    if (strcmp(a->name, b->name) != 0)
        mismatch(c, "name", o);
    if (strcmp(a->device_id, b->device_id) != 0)
        mismatch(c, "device_id", o);
    if (strcmp(a->status, b->status) != 0)
        mismatch(c, "status", o);
    if (strcmp(a->id, b->id) != 0)
        mismatch(c, "id", o);
    if (a->pass != b->pass)
        mismatch(c, "pass", o);
    if (a->is_error != b->is_error)
        mismatch(c, "is_error", o);
    if (strcmp(a->error_class, b->error_class) != 0)
        mismatch(c, "error_class", o);
    if (strcmp(a->error_desc, b->error_desc) != 0)
        mismatch(c, "error_desc", o);
    json_decref(j);
}

/* Every QMP line of every catalog scenario decodes the same from the object
 * and from its text. */
static void test_catalog_object_equals_text(void **state)
{
    (void)state;
    struct suite *s = NULL;
    struct sim_err err = { "" };
    if (suite_load(CATALOG, &s, &err) != 0)
        fail_msg("%s", err.msg);
    unsigned long total = 0, kinds[OBS_NKINDS] = { 0 };
    size_t ran = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct scenario *scn = NULL;
        if (scn_load(s->v[i].path, &scn, &err) != 0)
            fail_msg("%s", err.msg);
        struct sim_run *r = NULL;
        if (sim_run_new(scn, NULL, &r, &err) != 0) {
            /* a case that is meant to be refused before it runs */
            scn_free(scn);
            continue;
        }
        struct cmp c = { .scenario = s->v[i].name };
        assert_int_equal(sim_world_add_sink(r->w, compare_sink, &c), 0);
        sim_run_go(r);
        sim_run_free(r);
        scn_free(scn);
        if (c.mismatches)
            fail_msg("%lu mismatch(es); first: %s", c.mismatches, c.first);
        total += c.lines;
        for (int k = 0; k < OBS_NKINDS; k++)
            kinds[k] += c.by_kind[k];
        ran++;
    }
    print_message("%zu scenarios, %lu QMP lines (%lu greetings, %lu commands, %lu replies, "
                  "%lu events)\n",
                  ran, total, kinds[OBS_QMP_GREETING], kinds[OBS_QMP_COMMAND],
                  kinds[OBS_QMP_REPLY], kinds[OBS_QMP_EVENT]);
    suite_free(s);
    /* the comparison saw the whole catalog and every kind of QMP line */
    assert_true(ran >= 100);
    assert_true(total >= 1000);
    assert_true(kinds[OBS_QMP_GREETING] > 0 && kinds[OBS_QMP_COMMAND] > 0 &&
                kinds[OBS_QMP_REPLY] > 0 && kinds[OBS_QMP_EVENT] > 0);
}

/* The comparison can fail: an object that does not print to its text is
 * caught (a decoded field and the object both differ). */
static void test_comparison_catches_a_difference(void **state)
{
    (void)state;
    json_t *j = json_pack("{s:s,s:{s:s}}", "event", "DEVICE_DELETED", "data", "device-id",
                          "primary0");
    json_t *ts = json_pack("{s:i,s:i}", "seconds", 1764072000, "microseconds", 5);
    json_object_set_new(j, "timestamp", ts);
    struct obs o = { .host = OBS_SOURCE };
    char err[256];
    assert_int_equal(obs_decode_qmp(&o, j, "{\"timestamp\": {\"seconds\": 1764072000, "
                                            "\"microseconds\": 5}, \"event\": "
                                            "\"DEVICE_DELETED\", \"data\": {\"device-id\": "
                                            "\"primary1\"}}",
                                    true, err, sizeof(err)),
                     0);
    struct cmp c = { .scenario = "made-up" };
    compare_sink(&c, &o);
    assert_int_equal(c.lines, 1);
    assert_true(c.mismatches >= 2);
    json_decref(j);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_catalog_object_equals_text),
    cmocka_unit_test(test_comparison_catches_a_difference),
};

FO_MAIN("qmp_emit", tests)
