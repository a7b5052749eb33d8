/*
 * The guest's net core (sim/netdev.c): names and indexes, permanent MAC,
 * open/close and the notifier order, linkwatch batching against the real
 * boot's timing (real-qemu.md, FINDINGS.md section 2), the receive and
 * transmit paths of a plain NIC, ifup, interfaces, and scripted actions.
 */
#include "gnet_fixture.h"

#include "sim/mutant.h"

/* ethN takes the lowest free N (a re-plugged VF is eth2 again); the
 * ifindex is never reused (the new eth2 is 5, FINDINGS.md). */
static void test_names_and_ifindex(void **state)
{
    (void)state;
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_string_equal(vf->nd->name, "eth2");
    assert_int_equal(gfix_dev(x, "eth0")->ifindex, 2);
    assert_int_equal(gfix_dev(x, "eth1")->ifindex, 3);
    assert_int_equal(vf->nd->ifindex, 4);
    gnetdev_unregister(vf->nd);
    vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    assert_string_equal(vf->nd->name, "eth2");
    assert_int_equal(vf->nd->ifindex, 5);
    gfix_free(x);
}

/* perm_addr is copied at registration only for a non-random MAC. */
static void test_perm_addr(void **state)
{
    (void)state;
    EVIDENCE(G-18);
    static const uint8_t zero[6];
    struct gfix *x = gfix_new(0);
    struct fake_dev *a = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    struct fake_dev *b = gfix_vf(x, "0000:03:00.0", MAC_B, true);
    assert_memory_equal(a->nd->perm_addr, MAC_A, 6);
    assert_memory_equal(b->nd->perm_addr, zero, 6);
    assert_memory_equal(b->nd->dev_addr, MAC_B, 6);
    assert_int_equal(gnetdev_set_mac(a->nd, MAC_B), 0);
    assert_memory_equal(a->nd->perm_addr, MAC_A, 6);
    gfix_free(x);
}

/* The order of notifier events: an up device is closed (GOING_DOWN, DOWN)
 * before its UNREGISTER. */
struct ev_log {
    enum gnet_event ev[16];
    unsigned n;
    struct gnetdev *dev;
};

static void log_notifier(void *ctx, enum gnet_event ev, struct gnetdev *nd)
{
    struct ev_log *l = ctx;
    if (nd == l->dev && l->n < 16)
        l->ev[l->n++] = ev;
}

static void test_close_before_unregister(void **state)
{
    (void)state;
    EVIDENCE(G-34);
    struct gfix *x = gfix_new(0);
    struct fake_dev *a = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    struct ev_log l = { .dev = a->nd };
    gnet_notifier_register(gfix_net(x), log_notifier, &l);
    assert_int_equal(gnetdev_open(a->nd), 0);
    gnetdev_unregister(a->nd);
    static const enum gnet_event want[] = { GNET_EV_PRE_UP, GNET_EV_UP, GNET_EV_GOING_DOWN,
                                            GNET_EV_DOWN, GNET_EV_UNREGISTER };
    assert_int_equal(l.n, SIM_ARRAY_SIZE(want));
    for (unsigned i = 0; i < l.n; i++)
        assert_string_equal(gnet_event_name(l.ev[i]), gnet_event_name(want[i]));
    gfix_free(x);
}

/* The recorded boot: the master's carrier-off at creation runs a batch at
 * once, so the carrier it gets when init brings it up ~0.15 s later waits
 * for the next batch one second after the first: "eth0: link becomes
 * ready" ~1.0 s after the probe (real: 2.855 -> 3.858).  A VF opened
 * before its PHY is up gets its line at once when the link comes (urgent:
 * real 5.1386 -> 5.1411). */
static void test_linkwatch_boot_timing(void **state)
{
    (void)state;
    EVIDENCE(G-40);
    struct gfix *x = gfix_new(0);
    gfix_run(x, SIM_MS(2855));
    gfix_standby(x, 0, MAC_A);
    gfix_run(x, SIM_MS(3010));
    gnet_ifup(x->g);
    gfix_run(x, SIM_MS(3181));
    struct fake_dev *vf = gfix_vf_nocarrier(x, "0000:02:00.0", MAC_A);
    gfix_run(x, SIM_MS(5138));
    gnetdev_carrier_on(vf->nd);
    gfix_run(x, SIM_S(10));
    long i = gfix_find(x, "IPv6: ADDRCONF(NETDEV_CHANGE): eth0: link becomes ready");
    assert_true(i >= 0);
    assert_i64_equal(x->cap.v[i].o.u.klog.uptime, SIM_MS(3855));
    i = gfix_find(x, "IPv6: ADDRCONF(NETDEV_CHANGE): eth2: link becomes ready");
    assert_true(i >= 0);
    assert_i64_equal(x->cap.v[i].o.u.klog.uptime, SIM_MS(5138));
    assert_int_equal(gfix_count(x, "eth1: link becomes ready"), 0);
    gfix_free(x);
}

/* The link-watch-delay knob sets the batching interval. */
static void test_linkwatch_knob(void **state)
{
    (void)state;
    EVIDENCE(G-40);
    struct gfix *x = gfix_new_knobs(0, "link-watch-delay 250ms\n");
    gfix_standby(x, 0, MAC_A);
    gfix_run(x, SIM_MS(10));
    gnet_ifup(x->g);
    gfix_run(x, SIM_S(2));
    long i = gfix_find(x, "eth0: link becomes ready");
    assert_true(i >= 0);
    assert_i64_equal(x->cap.v[i].o.u.klog.uptime, SIM_MS(250));
    gfix_free(x);
}

/* A plain NIC without failover: init brings it up, TX leaves through it,
 * RX reaches the stack; a frame for another unicast MAC does not. */
static void test_plain_nic(void **state)
{
    (void)state;
    struct gfix *x = gfix_new_knobs(0, "failover-driver off\n");
    struct fake_dev *a = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    gnet_ifup(x->g);
    assert_true(a->nd->up);
    enum obs_role via;
    assert_int_equal(gfix_tx(x, &via), FRAME_DROP_NONE);
    assert_int_equal(via, OBS_ROLE_OTHER);
    assert_int_equal(a->tx, 1);
    assert_int_equal(gfix_rx(x, a->nd), FRAME_DROP_NONE);
    assert_int_equal(x->rx_ok[OBS_ROLE_OTHER], 1);
    uint8_t b[60];
    memcpy(b, MAC_B, 6);
    struct frame f = { .data = b, .len = 60, .caplen = 60 };
    assert_int_equal(gnetdev_rx(a->nd, &f), FRAME_DROP_NO_ROUTE);
    gnetdev_carrier_off(a->nd);
    gfix_run(x, SIM_S(2));
    assert_int_equal(gfix_tx(x, &via), FRAME_DROP_NO_CARRIER);
    struct guest_ifinfo inf[4];
    assert_int_equal(gnet_interfaces(x->g, inf, 4), 1);
    assert_string_equal(inf[0].name, "eth0");
    assert_int_equal(inf[0].ifindex, 2);
    assert_true(inf[0].up);
    assert_false(inf[0].carrier);
    gfix_free(x);
}

/* Without ifup there is no route; interfaces list every device with its
 * role. */
static void test_no_ifup_and_roles(void **state)
{
    (void)state;
    struct gfix *x = gfix_new(0);
    gfix_standby(x, 0, MAC_A);
    gfix_vf(x, "0000:02:00.0", MAC_A, false);
    enum obs_role via;
    assert_int_equal(gfix_tx(x, &via), FRAME_DROP_NO_ROUTE);
    struct guest_ifinfo inf[4];
    assert_int_equal(gnet_interfaces(x->g, inf, 4), 3);
    assert_int_equal(inf[0].role, OBS_ROLE_MASTER);
    assert_int_equal(inf[1].role, OBS_ROLE_STANDBY);
    assert_int_equal(inf[2].role, OBS_ROLE_PRIMARY);
    gfix_free(x);
}

/* Scripted actions: bad words are errors with their position; unknown
 * verbs are left to the profile. */
static int check_action(struct gfix *x, const char *line, struct sim_err *err)
{
    char text[256];
    snprintf(text, sizeof(text), "host source\n-M q35\nend\nat 1s guest %s\n", line);
    struct scenario *s;
    if (scn_parse_string("a.fos", text, &s, err) != 0)
        fail_msg("%s", err->msg);
    assert_int_equal(s->nactions, 1);
    int r = gnet_action(x->g, &s->actions[0], true, err);
    scn_free(s);
    return r;
}

static void test_action_parsing(void **state)
{
    (void)state;
    struct gfix *x = gfix_new(0);
    struct sim_err err;
    assert_int_equal(check_action(x, "rename eth2 ens4", &err), 0);
    assert_int_equal(check_action(x, "mtu eth0 9000", &err), 0);
    assert_int_equal(check_action(x, "link eth1 down", &err), 0);
    assert_int_equal(check_action(x, "vlan eth0 add 5", &err), 0);
    assert_int_equal(check_action(x, "eject primary0", &err), 1);
    assert_int_equal(check_action(x, "mtu eth0 9x", &err), -1);
    assert_non_null(strstr(err.msg, "a.fos:4:22: expected an MTU from 68 to 65535, found '9x'"));
    assert_int_equal(check_action(x, "link eth1 sideways", &err), -1);
    assert_non_null(strstr(err.msg, "a.fos:4:23: expected up or down"));
    assert_int_equal(check_action(x, "mac eth1 52:54:00:11:11", &err), -1);
    assert_non_null(strstr(err.msg, "expected a MAC address"));
    assert_int_equal(check_action(x, "vlan eth0 add 4095", &err), -1);
    assert_int_equal(check_action(x, "rename eth2", &err), -1);
    assert_non_null(strstr(err.msg, "guest action rename takes: rename IF NEWNAME"));
    gfix_free(x);
}

/* The mtu knob: init sets the master's MTU after bringing it up, which the
 * master applies to its slaves (G-46). */
static void test_mtu_knob(void **state)
{
    (void)state;
    EVIDENCE(G-46);
    struct gfix *x = gfix_new_knobs(0, "mtu 9000\n");
    struct fake_dev *s = gfix_standby(x, 0, MAC_A);
    struct fake_dev *vf = gfix_vf(x, "0000:02:00.0", MAC_A, false);
    gnet_ifup(x->g);
    assert_int_equal(gfix_dev(x, "eth0")->mtu, 9000);
    assert_int_equal(s->nd->mtu, 9000);
    assert_int_equal(vf->nd->mtu, 9000);
    gfix_free(x);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_mtu_knob),
    cmocka_unit_test(test_names_and_ifindex),
    cmocka_unit_test(test_perm_addr),
    cmocka_unit_test(test_close_before_unregister),
    cmocka_unit_test(test_linkwatch_boot_timing),
    cmocka_unit_test(test_linkwatch_knob),
    cmocka_unit_test(test_plain_nic),
    cmocka_unit_test(test_no_ifup_and_roles),
    cmocka_unit_test(test_action_parsing),
};

FO_MAIN("netdev", tests)
