/*
 * Traffic through the real models: the blackout a ping measures during a
 * failover migration is the model's own path switch.
 *
 * In the real recording (run i) the replies lost during the migration are
 * those that came back through the standby while the target's new primary
 * was registered but had no link yet (seq 60-72, 2.6 s): net_failover sends
 * on the standby (the primary is not ready, G-43) and drops what the
 * standby receives while a primary exists (G-45).  So the blackout towards
 * the guest must start at the last reply before the target's "failover
 * primary slave:eth2 registered" and end at the first reply after the
 * target's "NIC Link is Up", one ping interval at most from each.  Checked
 * with native PCIe hotplug and with ACPI hotplug.
 *
 * Every frame a workload sends is accounted for, through boots, firmware,
 * pauses and migrations: delivered, or dropped with the reason a model
 * gave (a function with no driver yet is "no-driver"), never neither.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/expect.h"
#include "sim/pcap_io.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/traffic.h"
#include "sim/world.h"

#define INTERVAL SIM_MS(200)

struct klines {
    struct {
        enum obs_host host;
        sim_time t;
        char text[160];
    } v[512];
    size_t n;
    sim_time epoch;
};

static void klog_sink(void *ctx, const struct obs *o)
{
    struct klines *k = ctx;
    if (o->kind != OBS_KLOG || o->vm != 0 || k->n == SIM_ARRAY_SIZE(k->v))
        return;
    k->v[k->n].host = o->host;
    k->v[k->n].t = o->t - k->epoch;
    snprintf(k->v[k->n].text, sizeof(k->v[k->n].text), "%s", o->u.klog.text);
    k->n++;
}

/* World time of the first console line of `host` at or after `from`
 * containing both needles, or NONE. */
static sim_time find(const struct klines *k, enum obs_host host, sim_time from, const char *a,
                     const char *b)
{
    for (size_t i = 0; i < k->n; i++)
        if (k->v[i].host == host && k->v[i].t >= from && strstr(k->v[i].text, a) &&
            (!b || strstr(k->v[i].text, b)))
            return k->v[i].t;
    return SIM_TIME_NONE;
}

static const char SCENARIO[] = FO_PING_SCENARIO("%s");

static void check_blackout(bool native)
{
    char text[2048];
    snprintf(text, sizeof(text), SCENARIO,
             native ? "    -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off\n" : "");
    struct scenario *s = NULL;
    struct sim_err err = { "" };
    if (scn_parse_string(native ? "native.fos" : "acpi.fos", text, &s, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    struct sim_run *r = NULL;
    struct sim_run_config cfg = { .until = SIM_TIME_NONE };
    if (sim_run_new(s, &cfg, &r, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    struct klines *k = calloc(1, sizeof(*k));
    assert_non_null(k);
    k->epoch = r->w->epoch;
    assert_int_equal(sim_world_add_sink(r->w, klog_sink, k), 0);
    sim_run_go(r);

    sim_time reg = find(k, OBS_TARGET, 0, "failover primary slave:", " registered");
    assert_true(reg != SIM_TIME_NONE);
    sim_time up = find(k, OBS_TARGET, reg, "NIC Link is Up", NULL);
    assert_true(up != SIM_TIME_NONE);

    struct traffic_blackout b;
    assert_true(traffic_blackout(r->w->vms[0].traffic, TRAFFIC_IN, 1, &b));
    char l[32], f[32], t[32], rs[32], us[32];
    sim_time_format_short(l, sizeof(l), b.len);
    sim_time_format_short(f, sizeof(f), b.from);
    sim_time_format_short(t, sizeof(t), b.to);
    sim_time_format_short(rs, sizeof(rs), reg);
    sim_time_format_short(us, sizeof(us), up);
    print_message("%s: blackout in %s (%s..%s); target primary registered at %s, link up at "
                  "%s\n",
                  native ? "native" : "acpi", l, f, t, rs, us);
    assert_false(b.none);
    assert_false(b.open);
    /* the last reply came at most one interval (and slirp's 30 us) before
     * the registration, the first one at most one interval after link up */
    assert_true(b.from <= reg && reg - b.from <= INTERVAL + SIM_US(30));
    assert_true(b.to >= up && b.to - up <= INTERVAL + SIM_US(30));

    /* the requests were never lost: out, the blackout is the VM's stop */
    assert_true(traffic_blackout(r->w->vms[0].traffic, TRAFFIC_OUT, 1, &b));
    assert_true(b.len <= INTERVAL + SIM_MS(100));

    free(k);
    sim_run_free(r);
    scn_free(s);
}

static void test_blackout_is_target_link_wait_native(void **state)
{
    (void)state;
    EVIDENCE(G-43, G-45);
    check_blackout(true);
}

static void test_blackout_is_target_link_wait_acpi(void **state)
{
    (void)state;
    EVIDENCE(G-43, G-45);
    check_blackout(false);
}

/* Frames at the primary's capture point, in order. */
struct frames {
    struct {
        uint32_t len, caplen;
        uint8_t data[1600];
    } v[128];
    size_t n;
};

static void frame_sink(void *ctx, const struct obs *o)
{
    struct frames *fr = ctx;
    if (o->kind != OBS_FRAME || strcmp(o->u.frame.point, "primary0") != 0 ||
        fr->n == SIM_ARRAY_SIZE(fr->v))
        return;
    fr->v[fr->n].len = o->u.frame.len;
    fr->v[fr->n].caplen = o->u.frame.caplen;
    memcpy(fr->v[fr->n].data, o->u.frame.data, o->u.frame.caplen);
    fr->n++;
}

/* A pcap of known frames in (a real capture, conformance/data), replayed
 * into a running failover guest through the real host and guest models:
 * every record comes out at the primary's capture point, unchanged and in
 * order, and none at the standby's. */
static void test_replay_through_real_models(void **state)
{
    (void)state;
    EVIDENCE(G-43);
    const char *p = "conformance/data/real-ping-source-primary0.pcap";
    struct scenario *s = NULL;
    struct sim_err err = { "" };
    assert_int_equal(scn_load("conformance/scenarios/traffic/replay-real.fos", &s, &err), 0);
    struct sim_run *r = NULL;
    struct sim_run_config cfg = { .until = SIM_TIME_NONE };
    assert_int_equal(sim_run_new(s, &cfg, &r, &err), 0);
    struct frames *fr = calloc(1, sizeof(*fr));
    assert_non_null(fr);
    assert_int_equal(sim_world_add_sink(r->w, frame_sink, fr), 0);
    sim_run_go(r);
    struct pcap_reader *rd;
    assert_int_equal(pcap_reader_open(p, &rd, &err), 0);
    struct pcap_rec rec;
    size_t k = 0;
    while (pcap_reader_next(rd, &rec, &err) == 1) {
        assert_true(k < fr->n);
        assert_int_equal(fr->v[k].len, rec.len);
        assert_int_equal(fr->v[k].caplen, rec.caplen);
        assert_memory_equal(fr->v[k].data, rec.data, rec.caplen);
        k++;
    }
    pcap_reader_close(rd);
    assert_int_equal(k, 82);
    assert_int_equal(fr->n, 82);
    struct traffic_blackout b;
    assert_true(traffic_blackout(r->w->vms[0].traffic, TRAFFIC_OUT, 0, &b));
    assert_false(b.open); /* the window ends with the capture's last record */
    free(fr);
    sim_run_free(r);
    scn_free(s);
}

/* ---- every frame is accounted for ------------------------------------------------ */

static const char ACCOUNT_HOSTS[] =
    "host source\n"
    "    -M q35 -m 256 -nodefaults %s\n"
    "%s" FO_ROOT_PORTS FO_PAIR "end\n" FO_TARGET
    "guest %s\n"
    "%s"
    "end\n"
    "traffic\n"
    "    generate in rate 100/s size 200 from 0s\n"
    "    generate out rate 50/s size 120 from 0s\n"
    "    ping 10.0.2.2 every 200ms from 0s\n"
    "end\n"
    "%s"
    "expect traffic unaccounted in == 0\n"
    "expect traffic unaccounted out == 0\n"
    "%s";

struct account_case {
    const char *name;
    const char *paused;  /* -S */
    bool native;
    const char *profile;
    const char *knobs;
    const char *actions; /* with `until` */
    const char *expect;  /* more expectations */
};

static const struct account_case account_cases[] = {
    /* the target's primary is plugged before e1000e has probed it */
    { "native", "", true, "linux", "", "at 8s source migrate uri=tcp:127.0.0.1:4444\nuntil 22s\n",
      "expect traffic dropped in via primary reason no-driver migration 1 > 0\n"
      "expect traffic dropped in via standby reason no-driver > 0\n" },
    { "acpi", "", false, "linux", "", "at 8s source migrate uri=tcp:127.0.0.1:4444\nuntil 22s\n",
      "expect traffic dropped in via primary reason no-driver migration 1 > 0\n" },
    /* nothing receives during the firmware after cont */
    { "paused", "-S", true, "linux", "",
      "at 1s source cont\nat 20s source migrate uri=tcp:127.0.0.1:4444\nuntil 34s\n",
      "expect traffic dropped in via standby reason no-driver > 0\n" },
    { "no-failover-driver", "", true, "linux", "    failover-driver off\n",
      "at 8s source migrate uri=tcp:127.0.0.1:4444\nuntil 16s\n",
      "expect traffic dropped in via standby reason no-driver > 0\n" },
    /* no operating system: no driver at all */
    { "none", "", true, "none", "", "until 5s\n",
      "expect traffic delivered in == 0\n"
      "expect traffic dropped in via standby reason no-driver > 0\n" },
};

static void test_every_frame_is_accounted(void **state)
{
    (void)state;
    for (size_t c = 0; c < SIM_ARRAY_SIZE(account_cases); c++) {
        const struct account_case *k = &account_cases[c];
        char text[4096];
        snprintf(text, sizeof(text), ACCOUNT_HOSTS, k->paused,
                 k->native ? "    -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off\n" : "",
                 k->profile, k->knobs, k->actions, k->expect);
        struct scenario *s = NULL;
        struct sim_err err = { "" };
        if (scn_parse_string(k->name, text, &s, &err) != 0) {
            print_error("%s\n", err.msg);
            fail();
        }
        struct sim_run *r = NULL;
        struct sim_run_config cfg = { .until = SIM_TIME_NONE };
        if (sim_run_new(s, &cfg, &r, &err) != 0) {
            print_error("%s\n", err.msg);
            fail();
        }
        sim_run_go(r);
        if (expect_finish(r->expect, &err) != 0) {
            print_error("%s\n", err.msg);
            fail();
        }
        unsigned failed = 0;
        assert_true(expect_count(r->expect) >= 3);
        for (size_t i = 0; i < expect_count(r->expect); i++) {
            const struct expect_outcome *o = expect_outcome(r->expect, i);
            if (o->result != EXPECT_HELD) {
                failed++;
                print_error("%s: %s -- %s\n", k->name, o->e->text, o->why);
            }
        }
        sim_run_free(r);
        scn_free(s);
        assert_int_equal(failed, 0);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_frame_is_accounted),
    cmocka_unit_test(test_replay_through_real_models),
    cmocka_unit_test(test_blackout_is_target_link_wait_native),
    cmocka_unit_test(test_blackout_is_target_link_wait_acpi),
};

FO_MAIN("traffic_path", tests)
