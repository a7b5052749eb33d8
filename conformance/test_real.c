/*
 * Ground truth: the stored recordings of real QEMU 7.2 + Linux 6.1
 * (traces/real/, recorded by fosim-record from conformance/real/scenarios/)
 * and the differential comparison (sim/diff.h) that holds the simulator to
 * them.
 *
 * Every scenario's own expectations must hold on its recording: they state
 * what real QEMU and Linux did, so `fosim run` of the same file holds the
 * simulator to reality.  The tests after those check the comparison itself
 * on the recordings: a run
 * compared with itself differs in nothing; a native-hotplug run compared
 * with an ACPI one differs exactly where the two mechanisms do (pciehp
 * lines, the ~6 s wait-unplug stay), so the comparison cannot be blind; the
 * known-differences file explains, reports stale entries and refuses
 * malformed lines with their position.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "sim/bundle.h"
#include "sim/diff.h"
#include "sim/expect.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"

#define REAL "traces/real/"

static sim_time bundle_t0(const struct bundle *b)
{
    const char *t0 =
        json_string_value(json_object_get(json_object_get(b->provenance, "t0"), "wall"));
    assert_non_null(t0);
    long long s, us;
    assert_int_equal(sscanf(t0, "%lld.%6lld", &s, &us), 2);
    return (sim_time)s * 1000000000 + (sim_time)us * 1000;
}

/* ---- the scenarios' expectations, evaluated on their recordings ---------------------- */

struct feed {
    struct sim_world *w;
    struct expect_eval *ev;
    const struct scenario *s;
    size_t sent[OBS_NHOSTS]; /* commands seen per host */
};

/* Hand each recorded observation to the expectations (the world's sinks),
 * and tell them which recorded command carried which labelled action: the
 * recorder sends the set-up commands first, then the host's actions in
 * scenario order. */
static void feed_obs(void *ctx, const struct obs *o)
{
    struct feed *f = ctx;
    if (o->kind == OBS_QMP_COMMAND) {
        size_t setup = f->s->qmp_setup == SCN_QMP_SETUP_EVENTS  ? 2
                       : f->s->qmp_setup == SCN_QMP_SETUP_PLAIN ? 1
                                                                : 0;
        size_t k = f->sent[o->host]++;
        if (k >= setup) {
            size_t want = k - setup, seen = 0;
            for (size_t i = 0; i < f->s->nactions; i++) {
                const struct scn_action *a = &f->s->actions[i];
                if (a->kind != SCN_ACT_QMP || a->host != o->host)
                    continue;
                if (seen++ == want) {
                    if (a->label)
                        expect_note_label(f->ev, a->label, o->u.qmp.id);
                    break;
                }
            }
        }
    }
    for (unsigned i = 0; i < f->w->nsinks; i++)
        f->w->sinks[i].fn(f->w->sinks[i].ctx, o);
}

static void expectations_hold(const char *name)
{
    char path[256], dir[256];
    snprintf(path, sizeof(path), "conformance/real/scenarios/%s.fos", name);
    snprintf(dir, sizeof(dir), REAL "%s", name);
    struct sim_err err = { "" };
    struct scenario *s = NULL;
    if (scn_load(path, &s, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    struct bundle *b = NULL;
    if (bundle_open(dir, &b, &err) != 0 || bundle_prepare(b, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    assert_true(b->complete);
    assert_string_equal(b->scenario, s->name);
    struct sim_world_config wc = { .seed = 1, .epoch = bundle_t0(b) };
    struct feed f = { .w = sim_world_new(&wc), .s = s };
    for (size_t i = 0; i < s->nexpects; i++)
        assert_true(s->expects[i].kind != SCN_EXPECT_DEVICE &&
                    s->expects[i].kind != SCN_EXPECT_STATE &&
                    s->expects[i].kind != SCN_EXPECT_DURATION); /* need the model */
    f.ev = expect_new(f.w, s);
    struct obs_sink sink = { feed_obs, &f };
    if (bundle_replay(b, &sink, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    if (expect_finish(f.ev, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    unsigned failed = 0;
    for (size_t i = 0; i < expect_count(f.ev); i++) {
        const struct expect_outcome *o = expect_outcome(f.ev, i);
        if (o->result != EXPECT_HELD) {
            failed++;
            print_error("%s:%u: %s -- on the recording: %s\n", o->e->pos.file, o->e->pos.line,
                        o->e->text, o->why);
        }
    }
    assert_true(expect_count(f.ev) > 0);
    expect_free(f.ev);
    sim_world_free(f.w);
    bundle_free(b);
    scn_free(s);
    assert_int_equal(failed, 0);
}

#define REAL_SCENARIOS(X)                                                                \
    X(native_migration, "native-migration")                                              \
    X(acpi_migration, "acpi-migration")                                                  \
    X(cancel_wait_unplug, "cancel-wait-unplug")                                          \
    X(cancel_active, "cancel-active")                                                    \
    X(no_failover_driver, "no-failover-driver")                                          \
    X(device_add_after_negotiation, "device-add-after-negotiation")                      \
    X(failed_rom, "failed-rom")                                                          \
    X(two_pairs, "two-pairs")                                                            \
    X(ping_native, "ping-native")                                                        \
    X(paused_source, "paused-source")                                                    \
    X(prelaunch, "prelaunch")                                                            \
    X(address_on_slave, "address-on-slave")

/* Each recording meets its scenario's expectations. */
#define X(id, name)                                                                      \
    static void expectations_hold_on_##id(void **state)                                  \
    {                                                                                    \
        (void)state;                                                                     \
        expectations_hold(name);                                                         \
    }
REAL_SCENARIOS(X)
#undef X

/* Every stored recording's manifest records the size of each of its files,
 * so a stored trace cut short is refused rather than checked. */
static void stored_manifests_record_sizes(void **state)
{
    (void)state;
    static const char *const names[] = {
#define X(id, name) name,
        REAL_SCENARIOS(X)
#undef X
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(names); i++) {
        char path[256];
        snprintf(path, sizeof(path), "traces/real/%s/manifest.json", names[i]);
        json_error_t je;
        json_t *m = json_load_file(path, 0, &je);
        assert_non_null(m);
        json_t *files = json_object_get(m, "files");
        assert_true(json_array_size(files) > 0);
        size_t k;
        json_t *f;
        json_array_foreach(files, k, f) {
            if (!json_is_integer(json_object_get(f, "bytes"))) {
                print_error("%s: files[%zu] records no size\n", path, k);
                fail();
            }
        }
        json_decref(m);
    }
}

/* ---- the simulator against reality --------------------------------------------------- */

static struct diff_run *load_real(const char *name, const char *label);
static char *compare_to_text(const struct diff_run *a, const struct diff_run *b,
                             const struct diff_options *opt, struct diff_result *res);

/* Simulate the scenario, compare it with its recording: every difference
 * must be explained by conformance/real/known-differences. */
static void simulator_matches_reality(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), "conformance/real/scenarios/%s.fos", name);
    struct sim_err err = { "" };
    struct scenario *s = NULL;
    if (scn_load(path, &s, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    struct sim_run_config cfg = { .until = SIM_TIME_NONE };
    struct sim_run *run = NULL;
    if (sim_run_new(s, &cfg, &run, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    struct diff_run *sim = diff_run_new("sim");
    sim_world_add_sink(run->w, diff_run_sink, sim);
    sim_run_go(run);
    diff_run_set_t0(sim, run->w->epoch);
    diff_run_set_uptime_is_t(sim, !diff_scenario_paused(s));
    struct diff_run *real = load_real(name, "real");
    diff_run_set_uptime_is_t(real, !diff_scenario_paused(s));
    struct diff_known *known = NULL;
    if (diff_known_load("conformance/real/known-differences", &known, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    struct diff_options opt;
    diff_options_default(&opt);
    opt.known = known;
    opt.scenario = name;
    opt.boot_end = diff_scenario_boot_end(s);
    struct diff_result res;
    char *text = compare_to_text(sim, real, &opt, &res);
    if (res.unexplained) {
        /* the whole report: cmocka's print_error cuts long messages */
        fprintf(stderr, "fosim diff %s traces/real/%s --known conformance/real/known-differences:\n%s",
                path, name, text);
    }
    assert_true(res.matched > 10);
    assert_int_equal(res.unexplained, 0);
    free(text);
    diff_known_free(known);
    diff_run_free(sim);
    diff_run_free(real);
    sim_run_free(run);
    scn_free(s);
}

/* The simulator's run of each real scenario differs from the recording only
 * where conformance/real/known-differences says why. */
#define X(id, name)                                                                      \
    static void simulator_matches_##id(void **state)                                     \
    {                                                                                    \
        (void)state;                                                                     \
        simulator_matches_reality(name);                                                 \
    }
REAL_SCENARIOS(X)
#undef X

/* ---- the comparison ------------------------------------------------------------------- */

/* Replay a stored bundle into a diff run; t = 0 from its provenance. */
static struct diff_run *load_real(const char *name, const char *label)
{
    char dir[256];
    snprintf(dir, sizeof(dir), REAL "%s", name);
    struct sim_err err = { "" };
    struct bundle *b = NULL;
    if (bundle_open(dir, &b, &err) != 0 || bundle_prepare(b, &err) != 0) {
        print_error("%s\n", err.msg);
        bundle_free(b);
        fail();
    }
    struct diff_run *r = diff_run_new(label);
    struct obs_sink sink = { diff_run_sink, r };
    if (bundle_replay(b, &sink, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    diff_run_set_t0(r, bundle_t0(b));
    bundle_free(b);
    return r;
}

static char *compare_to_text(const struct diff_run *a, const struct diff_run *b,
                             const struct diff_options *opt, struct diff_result *res)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    diff_compare(a, b, opt, f, res);
    fclose(f);
    return buf;
}

/* A recording compared with itself: everything matches, nothing differs. */
static void diff_of_a_run_with_itself_is_empty(void **state)
{
    (void)state;
    struct diff_run *a = load_real("native-migration", "a");
    struct diff_run *b = load_real("native-migration", "b");
    struct diff_options opt;
    diff_options_default(&opt);
    struct diff_result res;
    char *text = compare_to_text(a, b, &opt, &res);
    assert_int_equal(res.differences, 0);
    assert_true(res.matched > 20);
    assert_true(res.matched == diff_run_items(a));
    free(text);
    diff_run_free(a);
    diff_run_free(b);
}

/* Native against ACPI hotplug: the comparison must see the mechanisms
 * differ (pciehp lines, a 6.25 s against a 0.25 s wait-unplug). */
static void diff_sees_native_against_acpi(void **state)
{
    (void)state;
    EVIDENCE(H-37, G-60);
    struct diff_run *a = load_real("native-migration", "native");
    struct diff_run *b = load_real("acpi-migration", "acpi");
    struct diff_options opt;
    diff_options_default(&opt);
    struct diff_result res;
    char *text = compare_to_text(a, b, &opt, &res);
    assert_true(res.unexplained > 0);
    assert_non_null(strstr(text, "source.migration duration stay wait-unplug"));
    assert_non_null(strstr(text, "source.console only-in-native pcieport 0000:00:02.0: pciehp: "
                                 "Slot(0-1): Attention button pressed"));
    assert_non_null(strstr(text, "source.console only-in-acpi acpiphp: Slot [0] registered"));
    /* the QMP sequence itself is the same, bar the state stays */
    assert_null(strstr(text, "source.event only-in"));
    free(text);
    diff_run_free(a);
    diff_run_free(b);
}

static char *write_known_n(const char *text, size_t n)
{
    char *path = strdup("/tmp/fosim-known-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, n), (ssize_t)n);
    close(fd);
    return path;
}

static char *write_known(const char *text)
{
    return write_known_n(text, strlen(text));
}

/* A known-differences entry explains what it matches (scenario and
 * signature globs) and an entry that matches nothing is reported stale. */
static void known_differences_explain_and_go_stale(void **state)
{
    (void)state;
    char *path = write_known("# comment\n\n"
                             "native-* | source.migration duration stay wait-unplug | pciehp "
                             "waits 5 s + 1 s\n"
                             "native-* | source.console only-in-native *pciehp* | native only\n"
                             "native-* | source.console only-in-acpi acpiphp* | acpi only\n"
                             "other-*  | * | another scenario: never consulted\n"
                             "native-* | source.event only-in-* NOSUCHEVENT* | goes stale\n");
    struct diff_known *k = NULL;
    struct sim_err err = { "" };
    assert_int_equal(diff_known_load(path, &k, &err), 0);
    struct diff_run *a = load_real("native-migration", "native");
    struct diff_run *b = load_real("acpi-migration", "acpi");
    struct diff_options opt;
    diff_options_default(&opt);
    opt.known = k;
    opt.scenario = "native-migration";
    struct diff_result res;
    char *text = compare_to_text(a, b, &opt, &res);
    assert_true(res.explained >= 3);
    assert_int_equal(res.explained + res.unexplained, res.differences);
    assert_int_equal(res.stale, 1);
    assert_non_null(strstr(text, "stale   known-differences line 7 matched nothing"));
    assert_non_null(strstr(text, "known difference: pciehp waits 5 s + 1 s"));
    free(text);
    diff_run_free(a);
    diff_run_free(b);
    diff_known_free(k);
    unlink(path);
    free(path);
}

/* An entry with "within TIME" explains a timing or duration difference only
 * up to that offset, and never one of another kind. */
static void known_differences_within_bound(void **state)
{
    (void)state;
    static const struct {
        const char *bound;
        bool explains;
    } cases[] = { { "within 1ms | ", false }, { "within 1h | ", true }, { "", true } };
    struct diff_run *a = load_real("native-migration", "native");
    struct diff_run *b = load_real("acpi-migration", "acpi");
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "native-* | source.migration duration stay wait-unplug | %spciehp waits\n"
                 "native-* | source.console only-in-native *pciehp* | within 1h | a bound on "
                 "a difference that has no offset\n",
                 cases[i].bound);
        char *path = write_known(text);
        struct diff_known *k = NULL;
        struct sim_err err = { "" };
        assert_int_equal(diff_known_load(path, &k, &err), 0);
        struct diff_options opt;
        diff_options_default(&opt);
        opt.known = k;
        opt.scenario = "native-migration";
        struct diff_result res;
        char *out = compare_to_text(a, b, &opt, &res);
        bool explained = strstr(out, "known   source.migration duration stay wait-unplug") != NULL;
        bool differ = strstr(out, "DIFFER  source.migration duration stay wait-unplug") != NULL;
        if (explained != cases[i].explains || differ == cases[i].explains) {
            print_error("case %zu (%s): explained %d\n%s", i, cases[i].bound, explained, out);
            fail();
        }
        assert_null(strstr(out, "known   source.console only-in-native")); /* no offset */
        /* the bounded only-in entry explains nothing; a bound too narrow neither */
        assert_int_equal(res.stale, cases[i].explains ? 1 : 2);
        free(out);
        diff_known_free(k);
        unlink(path);
        free(path);
    }
    diff_run_free(a);
    diff_run_free(b);
}

/* Where the boot ends: the first action; with -S the first action after
 * the first cont (to the end when there is none). */
static void boot_end_of_scenarios(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        sim_time end;
    } cases[] = {
        { "conformance/real/scenarios/native-migration.fos", SIM_S(8) },
        { "conformance/real/scenarios/paused-source.fos", SIM_S(30) }, /* cont at 1 s */
        { "conformance/real/scenarios/prelaunch.fos", INT64_MAX },     /* target cont, last */
        { "conformance/real/scenarios/acpi-migration.fos", SIM_TIME_NONE }, /* set below */
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        struct sim_err err = { "" };
        struct scenario *s = NULL;
        if (scn_load(cases[i].path, &s, &err) != 0) {
            print_error("%s\n", err.msg);
            fail();
        }
        sim_time want = cases[i].end;
        if (want == SIM_TIME_NONE) { /* not paused: its first action, whatever it is */
            assert_false(diff_scenario_paused(s));
            want = s->actions[0].at;
        }
        if (diff_scenario_boot_end(s) != want) {
            print_error("%s: boot end %lld, want %lld\n", cases[i].path,
                        (long long)diff_scenario_boot_end(s), (long long)want);
            fail();
        }
        scn_free(s);
    }
}

/* Malformed known-differences lines are refused with file:line:column. */
static void known_differences_refuse_bad_lines(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        { "a | b\n", ":1:1: expected SCENARIO-GLOB | SIGNATURE-GLOB | [within TIME |] REASON" },
        { "# ok\n a | b | \n", ":2:9: the reason is empty" },
        { "a |  | why\n", ":1:4: the signature glob is empty" },
        { " | b | why\n", ":1:1: the scenario glob is empty" },
        { "a | b | within x | why\n", ":1:8: expected \"within TIME\"" },
        { "a | b | within 0s | why\n", ":1:8: expected \"within TIME\"" },
        { "a | b | within 1s | \n", ":1:20: the reason is empty" },
        /* a bound without its reason field is not a reason "within 1s" */
        { "a | b | within 1s\n", ":1:9: expected \"within TIME | REASON\" (the reason is missing)" },
        { "a | b | within\n", ":1:9: expected \"within TIME | REASON\" (the reason is missing)" },
        /* words after the time are not a bound of 1 s */
        { "a | b | within 1s junk | why\n", ":1:8: expected \"within TIME\"" },
        { "a | b | within\t1x | why\n", ":1:8: expected \"within TIME\"" },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        char *path = write_known(cases[i].text);
        struct diff_known *k = NULL;
        struct sim_err err = { "" };
        assert_int_equal(diff_known_load(path, &k, &err), -1);
        assert_null(k);
        if (!strstr(err.msg, cases[i].msg) || strncmp(err.msg, path, strlen(path)) != 0) {
            print_error("case %zu: got '%s', want '%s%s'\n", i, err.msg, path, cases[i].msg);
            fail();
        }
        unlink(path);
        free(path);
    }
    /* a NUL byte does not end the line, nor reads as a line too long */
    static const char nul[] = "# ok\na | b | wh\0y\n";
    char *path = write_known_n(nul, sizeof(nul) - 1);
    struct diff_known *k = NULL;
    struct sim_err err = { "" };
    assert_int_equal(diff_known_load(path, &k, &err), -1);
    assert_null(k);
    if (!strstr(err.msg, ":2:11: a NUL byte (a text line was expected)")) {
        print_error("NUL case: got '%s'\n", err.msg);
        fail();
    }
    unlink(path);
    free(path);
    assert_int_equal(diff_known_load("/nonexistent/known", &k, &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent/known: No such file"));
    /* a directory opens but cannot be read: say so */
    assert_int_equal(diff_known_load("conformance", &k, &err), -1);
    if (!strstr(err.msg, "conformance: read error: Is a directory"))
        fail_msg("directory: got '%s'", err.msg);
}

static const struct CMUnitTest tests[] = {
#define X(id, name) cmocka_unit_test(expectations_hold_on_##id),
    REAL_SCENARIOS(X)
#undef X
#define X(id, name) cmocka_unit_test(simulator_matches_##id),
    REAL_SCENARIOS(X)
#undef X
    cmocka_unit_test(diff_of_a_run_with_itself_is_empty),
    cmocka_unit_test(diff_sees_native_against_acpi),
    cmocka_unit_test(known_differences_within_bound),
    cmocka_unit_test(boot_end_of_scenarios),
    cmocka_unit_test(stored_manifests_record_sizes),
    cmocka_unit_test(known_differences_explain_and_go_stale),
    cmocka_unit_test(known_differences_refuse_bad_lines),
};

FO_MAIN("real", tests)
