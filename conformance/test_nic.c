/*
 * The primary's drivers of the linux guest (sim/nic.c) against the host
 * model: e1000e's probe, link and remove lines with the recorded timings,
 * its link following QEMU's set_link, the random-MAC knob (G-18), and the
 * VF drivers chosen by primary-driver.
 */
#include "guest_fixture.h"

#include "../sim/guest_linux.h"


/* e1000e's probe: the recorded lines, in order, with the recorded gaps. */
static void e1000e_probe_lines(void **state)
{
    (void)state;
    EVIDENCE(G-73);
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\n");
    gx_run(&x, SIM_S(7));
    static const char *const lines[] = {
        "e1000e: Intel(R) PRO/1000 Network Driver",
        "e1000e: Copyright(c) 1999 - 2015 Intel Corporation.",
        "e1000e 0000:02:00.0: enabling device (0000 -> 0002)",
        "e1000e 0000:02:00.0: Interrupt Throttling Rate (ints/sec) set to dynamic conservative mode",
        "e1000e 0000:02:00.0 0000:02:00.0 (uninitialized): registered PHC clock",
        "virtio_net virtio0 eth0: failover primary slave:eth2 registered",
        "e1000e 0000:02:00.0 eth2: (PCI Express:2.5GT/s:Width x1) 52:54:00:11:11:11",
        "e1000e 0000:02:00.0 eth2: Intel(R) PRO/1000 Network Connection",
        "e1000e 0000:02:00.0 eth2: MAC: 3, PHY: 8, PBA No: 000000-000",
        "e1000e 0000:02:00.0 eth2: NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
    };
    gx_expect_lines(&x, OBS_SOURCE, lines, SIM_ARRAY_SIZE(lines));
    sim_time en = gx_uptime(&x, gx_log(&x, OBS_SOURCE, lines[2]));
    sim_time itr = gx_uptime(&x, gx_log(&x, OBS_SOURCE, lines[3]));
    sim_time phc = gx_uptime(&x, gx_log(&x, OBS_SOURCE, lines[4]));
    sim_time reg = gx_uptime(&x, gx_log(&x, OBS_SOURCE, lines[5]));
    sim_time up = gx_uptime(&x, gx_log(&x, OBS_SOURCE, lines[9]));
    /* at boot (recorded 3.4-13.7, 46.6-65.1 and 118-168 ms; see nic.c) */
    assert_true(itr - en >= SIM_US(3400) && itr - en <= SIM_US(7400));
    assert_true(phc - itr >= SIM_MS(47) && phc - itr <= SIM_MS(65));
    assert_true(reg - phc >= SIM_MS(118) && reg - phc <= SIM_MS(142));
    /* the link: ~2 s after open, on a whole second of jiffies */
    assert_true(up - reg >= SIM_MS(1700) && up - reg <= SIM_MS(3100));
    struct kclock *k = glinux_clock(gx_guest(&x));
    uint64_t j = kclock_jiffies(k, up);
    /* round_jiffies, the wheel's 8-jiffy bucket, then 5-45 ms of the task */
    assert_true(j % KCLOCK_HZ >= 1 && j % KCLOCK_HZ < 8 + 12);
    gx_free(&x);
}

/* set_link off/on: the link-change interrupt runs the watchdog at the next
 * tick, its task reports 5-45 ms later. */
static void link_follows_set_link(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\n"
                               "at 7s source set_link name=primary0 up=false\n"
                               "at 9s source set_link name=primary0 up=true\n");
    gx_run(&x, SIM_S(12));
    long down = gx_log(&x, OBS_SOURCE, "e1000e 0000:02:00.0 eth2: NIC Link is Down");
    assert_true(down >= 0);
    assert_true(gx_time(&x, down) >= SIM_S(7) + SIM_MS(5) &&
                gx_time(&x, down) <= SIM_S(7) + SIM_MS(53));
    long up = gx_find(&x, (size_t)down, OBS_SOURCE, "e1000e 0000:02:00.0 eth2: NIC Link is Up");
    assert_true(up >= 0);
    assert_true(gx_time(&x, up) >= SIM_S(9) + SIM_MS(5) && gx_time(&x, up) <= SIM_S(9) + SIM_MS(53));
    gx_free(&x);
}

/* Removal: "removed PHC", 62-70 ms later the close ("NIC Link is Down") and
 * failover's "unregistered" (recorded +62..70 ms and +2..16 ms). */
static void e1000e_remove_lines(void **state)
{
    (void)state;
    EVIDENCE(G-79);
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\nat 7.4s source migrate uri=tcp:127.0.0.1:4444\n");
    gx_run(&x, SIM_S(14));
    static const char *const lines[] = {
        "e1000e 0000:02:00.0 eth2: removed PHC",
        "e1000e 0000:02:00.0 eth2: NIC Link is Down",
        "virtio_net virtio0 eth0: failover primary slave:eth2 unregistered",
    };
    gx_expect_lines(&x, OBS_SOURCE, lines, 3);
    sim_time a = gx_uptime(&x, gx_log(&x, OBS_SOURCE, lines[0]));
    sim_time b = gx_uptime(&x, gx_log(&x, OBS_SOURCE, lines[1]));
    assert_true(b - a >= SIM_MS(62) && b - a <= SIM_MS(70));
    assert_null(gpci_find(gx_guest(&x), (struct hw_pci_addr){ .bus = 2 }));
    gx_free(&x);
}

/* primary-mac random: the e1000e registers a made-up, locally administered
 * MAC, so it has no permanent address and never pairs. */
static void random_mac_never_pairs(void **state)
{
    (void)state;
    EVIDENCE(G-18);
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\n    primary-mac random\nend\n");
    gx_run(&x, SIM_S(5));
    long i = gx_log(&x, OBS_SOURCE, "e1000e 0000:02:00.0 eth2: (PCI Express:2.5GT/s:Width x1) ");
    assert_true(i >= 0);
    const char *mac = x.cap.v[i].text + strlen("e1000e 0000:02:00.0 eth2: (PCI Express:2.5GT/s:Width x1) ");
    assert_string_not_equal(mac, "52:54:00:11:11:11");
    unsigned first;
    assert_int_equal(sscanf(mac, "%x:", &first), 1);
    assert_true(first & 0x02);  /* locally administered */
    assert_false(first & 0x01); /* unicast */
    assert_int_equal(gx_count(&x, OBS_SOURCE, "failover primary slave"), 0);
    gx_free(&x);
}

/* The VF drivers: module banner on demand, their lines, their link. */
static void vf_drivers(void **state)
{
    (void)state;
    struct {
        const char *knob;
        const char *lines[3];
    } cases[] = {
        { "iavf",
          { "iavf: Intel(R) Ethernet Adaptive Virtual Function Network Driver",
            "iavf 0000:02:00.0: MAC address: 52:54:00:11:11:11",
            "iavf 0000:02:00.0 eth2: NIC Link is Up Speed is 10 Gbps Full Duplex" } },
        { "ixgbevf",
          { "ixgbevf: Intel(R) 10 Gigabit PCI Express Virtual Function Network Driver",
            "ixgbevf 0000:02:00.0: Intel(R) 82599 Virtual Function",
            "ixgbevf 0000:02:00.0: NIC Link is Up 10 Gbps" } },
        { "mlx5_core",
          { "pci 0000:02:00.0: [8086:154c] type 00 class 0x020000",
            "virtio_net virtio0 eth0: failover primary slave:eth2 registered",
            "mlx5_core 0000:02:00.0 eth2: Link up" } },
    };
    for (size_t k = 0; k < SIM_ARRAY_SIZE(cases); k++) {
        char text[2048];
        snprintf(text, sizeof(text),
                 "host source\n" GX_PORTS FO_NATIVE_HOTPLUG
                 "    -netdev user,id=hs0\n"
                 "    -device virtio-net-pci,netdev=hs0,id=standby0,mac=52:54:00:11:11:11,"
                 "bus=root0,failover=on\n"
                 "    -device vfio-pci,host=5e:02.1,id=primary0,bus=root1,"
                 "failover_pair_id=standby0\n"
                 "end\nguest linux\n    primary-driver %s\nend\n",
                 cases[k].knob);
        struct gx x;
        gx_new(&x, text);
        gx_run(&x, SIM_S(8));
        gx_expect_lines(&x, OBS_SOURCE, cases[k].lines, 3);
        assert_true(gx_log(&x, OBS_SOURCE, "failover primary slave:eth2 registered") >= 0);
        gx_free(&x);
    }
}

/* The knob is checked when the scenario is read. */
static void primary_driver_knob(void **state)
{
    (void)state;
    struct scenario *s;
    struct sim_err err = { "" };
    assert_int_equal(scn_parse_string("k.fos", "host source\n-M q35\nend\n"
                                               "guest linux\n    primary-driver e1000\nend\n",
                                      &s, &err),
                     0);
    struct sim_run *r;
    assert_int_equal(sim_run_new(s, &(struct sim_run_config){ .until = SIM_TIME_NONE }, &r, &err),
                     -1);
    assert_string_equal(err.msg, "k.fos:5:20: knob primary-driver: expected iavf, ixgbevf or "
                                 "mlx5_core, found 'e1000'");
    scn_free(s);
    assert_true(nic_vf_driver_known("ixgbevf"));
    assert_false(nic_vf_driver_known("e1000e"));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(e1000e_probe_lines),
    cmocka_unit_test(link_follows_set_link),
    cmocka_unit_test(e1000e_remove_lines),
    cmocka_unit_test(random_mac_never_pairs),
    cmocka_unit_test(vf_drivers),
    cmocka_unit_test(primary_driver_knob),
};

FO_MAIN("nic", tests)
