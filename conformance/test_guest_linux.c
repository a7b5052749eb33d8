/*
 * The linux guest profile as a whole: the boot stages and the boot knob,
 * the init script's module loads and ifup, failover-driver off, the
 * scripted actions (press, sysfs-power) with their checks, and the
 * servicing of interrupts latched while the VM was stopped.
 */
#include "guest_fixture.h"

static long state_rec(const struct gx *x, const char *entity, const char *to)
{
    return fo_find(&x->cap, 0, OBS_STATE, OBS_SOURCE, entity, to);
}

/* The kernel's stages sit at fixed fractions of `boot`, init at `boot`. */
static void boot_stages_follow_the_knob(void **state)
{
    (void)state;
    EVIDENCE(G-53, G-56);
    const struct {
        const char *knob;
        sim_time boot;
    } cases[] = { { "", SIM_MS(2500) }, { "    boot 1s\n", SIM_S(1) }, { "    boot 4s\n", SIM_S(4) } };
    for (size_t k = 0; k < SIM_ARRAY_SIZE(cases); k++) {
        char text[2048];
        snprintf(text, sizeof(text), "%sguest linux\n%send\n", GX_HOSTS_NATIVE, cases[k].knob);
        struct gx x;
        gx_new(&x, text);
        gx_run(&x, cases[k].boot + SIM_S(4));
        sim_time b = cases[k].boot;
        /* the recorded medians: 0.71 s, 1.13 s, 1.73 s with init at 2.50 s */
        assert_i64_equal(gx_uptime(&x, gx_log(&x, OBS_SOURCE, "acpiphp: ACPI Hot Plug")), b * 284 / 1000);
        assert_i64_equal(gx_uptime(&x, gx_log(&x, OBS_SOURCE, "pci 0000:00:01.0: [1b36:000c]")),
                         b * 450 / 1000);
        assert_i64_equal(gx_uptime(&x, gx_log(&x, OBS_SOURCE, "pcieport 0000:00:02.0: pciehp: Slot #0")),
                         b * 693 / 1000);
        assert_i64_equal(gx_uptime(&x, gx_log(&x, OBS_SOURCE, "Run /init as init process")), b);
        /* virtio_net 180 ms after init: its probe negotiates STANDBY */
        long neg = fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "FAILOVER_NEGOTIATED", NULL);
        assert_i64_equal(gx_time(&x, neg), b + SIM_MS(180));
        /* virtio_net's probe registers the master 13.6 ms after FEATURES_OK
         * and the standby 4.5 ms later; e1000e loads 57 ms after that */
        assert_i64_equal(gx_uptime(&x, gx_log(&x, OBS_SOURCE, "failover master:eth0 registered")),
                         b + SIM_MS(180) + SIM_US(13600));
        assert_i64_equal(gx_uptime(&x, gx_log(&x, OBS_SOURCE, "failover standby slave:eth1")),
                         b + SIM_MS(180) + SIM_US(18100));
        assert_i64_equal(gx_uptime(&x, gx_log(&x, OBS_SOURCE, "e1000e: Intel(R) PRO/1000")),
                         b + SIM_MS(180) + SIM_US(18100) + SIM_MS(57));
        /* the slot states pciehp found at probe (G-53): root0 occupied, root1 empty */
        assert_true(state_rec(&x, "pciehp slot 0", "ON") >= 0);
        assert_true(state_rec(&x, "pciehp slot 0-1", "OFF") >= 0);
        gx_free(&x);
    }
}

/* The firmware phase: a VM that runs from the start booted its firmware
 * before t = 0 (the kernel's clock 0); one started with -S runs it after
 * cont, `firmware` of guest time that stands still while it is stopped,
 * and only then does its kernel's clock start. */
static void firmware_after_cont(void **state)
{
    (void)state;
    static const char paused[] =
        "host source\n" GX_PORTS FO_NATIVE_HOTPLUG "    -S\n" FO_PAIR "end\n"
        "host target like source\n    -incoming tcp:127.0.0.1:4444\nend\n";
    const struct {
        const char *text;
        sim_time init; /* world time of "Run /init" */
    } cases[] = {
        /* no -S: the knob does not matter, the kernel starts at 0 */
        { GX_HOSTS_NATIVE "guest linux\n    firmware 3s\nend\n", SIM_MS(2500) },
        /* the default firmware after cont at 1 s */
        { "%sguest linux\nend\nat 1s source cont\n", SIM_S(1) + SIM_MS(5400) + SIM_MS(2500) },
        /* the knob; a stop in the firmware holds it 2 s */
        { "%sguest linux\n    firmware 3s\nend\nat 1s source cont\nat 2s source stop\n"
          "at 4s source cont\n",
          SIM_S(1) + SIM_S(2) + SIM_S(3) + SIM_MS(2500) },
    };
    for (size_t k = 0; k < SIM_ARRAY_SIZE(cases); k++) {
        char text[4096];
        snprintf(text, sizeof(text), cases[k].text, paused);
        struct gx x;
        gx_new(&x, text);
        gx_run(&x, SIM_S(16));
        long init = gx_log(&x, OBS_SOURCE, "Run /init as init process");
        assert_true(init >= 0);
        assert_i64_equal(gx_time(&x, init), cases[k].init);
        assert_i64_equal(gx_uptime(&x, init), SIM_MS(2500));
        /* nothing at all is printed before the kernel runs */
        long first = gx_find(&x, 0, OBS_SOURCE, "");
        assert_i64_equal(gx_time(&x, first) - gx_uptime(&x, first),
                         cases[k].init - SIM_MS(2500));
        gx_free(&x);
    }
}

/* From the plug's button line to the primary's registration: 0.31-0.36 s
 * recorded at boot and after a cancel on the source (median 0.336 s),
 * 0.39-0.52 s in the first hot-add on a migration's target (median 0.406
 * s: its QEMU process runs the guest's code for the first time).  Each
 * simulated run stays within those spans widened by 30 ms, and on average
 * the target's hot-add is 50-100 ms slower than the boot's (recorded 70). */
static sim_time plug_to_registered(const struct gx *x, enum obs_host h, size_t from)
{
    long btn = gx_find(x, from, h, "Slot(0-1): Attention button pressed");
    assert_true(btn >= 0);
    long reg = gx_find(x, (size_t)btn, h, "failover primary slave:eth2 registered");
    assert_true(reg >= 0);
    return gx_time(x, reg) - gx_time(x, btn);
}

static void target_first_hot_add_is_cold(void **state)
{
    (void)state;
    sim_time sum_boot = 0, sum_target = 0;
    for (uint64_t seed = 1; seed <= 8; seed++) {
        char text[4096];
        snprintf(text, sizeof(text),
                 "%sguest linux\nend\nat 8s source migrate uri=tcp:127.0.0.1:4444\nseed %llu\n",
                 GX_HOSTS_NATIVE, (unsigned long long)seed);
        struct gx x;
        gx_new(&x, text);
        gx_run(&x, SIM_S(20));
        sim_time boot = plug_to_registered(&x, OBS_SOURCE, 0);
        sim_time target = plug_to_registered(&x, OBS_TARGET, 0);
        assert_true(boot >= SIM_MS(280) && boot <= SIM_MS(390));
        assert_true(target >= SIM_MS(360) && target <= SIM_MS(550));
        assert_true(target > boot);
        sum_boot += boot;
        sum_target += target;
        assert_false(gx_guest(&x)->cold); /* the first hot-add warmed it up */
        gx_free(&x);
    }
    assert_true(sum_target - sum_boot >= 8 * SIM_MS(50));
    assert_true(sum_target - sum_boot <= 8 * SIM_MS(100));
    /* a cancelled migration replugs on the source: warm */
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\nat 8s source migrate uri=tcp:127.0.0.1:4444\n"
                               "at 9.5s source migrate_cancel\n");
    gx_run(&x, SIM_S(20));
    long cancelled = fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "MIGRATION", "status=cancelled");
    assert_true(cancelled >= 0);
    sim_time replug = plug_to_registered(&x, OBS_SOURCE, (size_t)cancelled);
    assert_true(replug >= SIM_MS(280) && replug <= SIM_MS(390));
    gx_free(&x);
}

/* ifup comes after the last module's probes: before the primary with
 * native hotplug (its enumeration waits for the link), after it with ACPI
 * (the primary is enumerated before e1000e loads): the recorded orders. */
static void ifup_after_the_modules(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\n");
    gx_run(&x, SIM_S(6));
    long up = fo_find(&x.cap, 0, OBS_STATE, OBS_SOURCE, "pciehp slot 0-1", "ON");
    assert_true(up >= 0);
    /* the master runs before the primary registers: failover opens the
     * primary at once and its link comes up without an ifup of its own */
    assert_true(gx_log(&x, OBS_SOURCE, "eth2: NIC Link is Up") > 0);
    gx_free(&x);

    gx_new(&x, GX_HOSTS_ACPI "guest linux\n    ifup off\nend\n");
    gx_run(&x, SIM_S(6));
    /* nobody brings the master up: the primary is never opened */
    assert_int_equal(gx_count(&x, OBS_SOURCE, "NIC Link is Up"), 0);
    assert_true(gx_log(&x, OBS_SOURCE, "failover primary slave:eth2 registered") >= 0);
    gx_free(&x);
}

/* failover-driver off: no virtio driver; e1000e is still loaded. */
static void without_the_failover_driver(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\n    failover-driver off\nend\n");
    gx_run(&x, SIM_S(6));
    assert_int_equal(gx_count(&x, OBS_SOURCE, "virtio_net"), 0);
    assert_true(gx_log(&x, OBS_SOURCE, "e1000e: Intel(R) PRO/1000 Network Driver") >= 0);
    assert_true(fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "FAILOVER_NEGOTIATED", NULL) < 0);
    struct gpci_dev *sb = gpci_find(gx_guest(&x), (struct hw_pci_addr){ .bus = 1 });
    assert_non_null(sb);
    assert_null(sb->drv);
    gx_free(&x);
}

/* Actions are checked before the run, with positions. */
static void action_errors(void **state)
{
    (void)state;
    const struct {
        const char *action;
        const char *msg;
    } cases[] = {
        { "at 5s guest press", "a.fos:9:13: expected: press SLOT" },
        { "at 5s guest press 0-1 now", "a.fos:9:13: expected: press SLOT" },
        { "at 5s guest press 0:1@x",
          "a.fos:9:19: expected a slot: its pciehp name (0-1), the port's address "
          "(0000:00:02.0) or the port's id, found '0:1@x'" },
        { "at 5s guest sysfs-power root1 maybe", "a.fos:9:31: expected on or off, found 'maybe'" },
        { "at 5s guest sysfs-power root1", "a.fos:9:13: expected: sysfs-power SLOT on|off" },
        { "at 5s guest frobnicate 1",
          "a.fos:9:13: unknown action 'frobnicate' for the linux guest (press, sysfs-power, "
          "reset, or a net action: see doc/guest.md)" },
        { "at 5s guest reset", "a.fos:9:13: expected: reset FUNCTION" },
        { "at 5s guest reset 02:00.0 now", "a.fos:9:13: expected: reset FUNCTION" },
        { "at 5s guest reset 0:1@x",
          "a.fos:9:19: expected a PCI function (0000:02:00.0, 02:00.0) or a device's id, "
          "found '0:1@x'" },
    };
    for (size_t k = 0; k < SIM_ARRAY_SIZE(cases); k++) {
        char text[2048];
        snprintf(text, sizeof(text),
                 "host source\n" GX_PORTS FO_NATIVE_HOTPLUG "end\nguest linux\nend\n%s\n", cases[k].action);
        struct scenario *s;
        struct sim_err err = { "" };
        if (scn_parse_string("a.fos", text, &s, &err) != 0)
            fail_msg("%s", err.msg);
        struct sim_run *r = NULL;
        assert_int_equal(sim_run_new(s, &(struct sim_run_config){ .until = SIM_TIME_NONE }, &r, &err),
                         -1);
        assert_string_equal(err.msg, cases[k].msg);
        scn_free(s);
    }
}

/* press and sysfs-power at run time: results as guest-action observations. */
static void actions_at_run_time(void **state)
{
    (void)state;
    EVIDENCE(G-84, G-85);
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\n"
                               "at 5s guest sysfs-power 00:02.0 off\n"
                               "at 8s guest sysfs-power 0-1 off\n"
                               "at 9s guest sysfs-power root1 on\n"
                               "at 10s guest press nosuchport\n");
    gx_run(&x, SIM_S(12));
    assert_true(gx_log(&x, OBS_SOURCE, "e1000e 0000:02:00.0 eth2: removed PHC") >= 0);
    assert_true(state_rec(&x, "guest-action", "0") >= 0);   /* the first off: done */
    assert_true(gx_log(&x, OBS_SOURCE, "pcieport 0000:00:02.0: pciehp: Slot(0-1): Already disabled") >= 0);
    assert_true(state_rec(&x, "guest-action", "-19") >= 0); /* off again, and on an empty slot */
    long f = state_rec(&x, "guest-action", "failed");
    assert_true(f >= 0);
    assert_string_equal(x.cap.v[f].o.u.state.from, "press nosuchport");
    /* the powered-off slot was unplugged by QEMU for real */
    assert_true(fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "DEVICE_DELETED", NULL) >= 0);
    gx_free(&x);
}

/* A function reset (sysfs `reset`) at run time: behind pciehp it is the
 * slot's reset (a second), its result a guest-action observation; a
 * function the guest does not know fails the action (bug 15's scenario,
 * regress/l6.15, runs one during a removal). */
static void function_reset_at_run_time(void **state)
{
    (void)state;
    EVIDENCE(L6.15);
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\n"
                               "at 5s guest reset primary0\n"
                               "at 8s guest reset 0000:05:00.0\n"
                               "at 9s guest reset 00:02.0\n");
    gx_run(&x, SIM_S(12));
    long ok = state_rec(&x, "guest-action", "0");
    assert_true(ok >= 0);
    assert_string_equal(x.cap.v[ok].o.u.state.from, "reset primary0");
    sim_time took = gx_time(&x, ok) - SIM_S(5);
    assert_true(took >= SIM_MS(1002) && took <= SIM_MS(1040)); /* 2 ms + 1 s on the wheel */
    long f = state_rec(&x, "guest-action", "failed");
    assert_true(f >= 0);
    assert_string_equal(x.cap.v[f].o.u.state.from, "reset 0000:05:00.0");
    long nt = state_rec(&x, "guest-action", "-25"); /* a root-bus port: -ENOTTY */
    assert_true(nt >= 0);
    assert_string_equal(x.cap.v[nt].o.u.state.from, "reset 00:02.0");
    /* the primary stays bound and paired */
    assert_int_equal(gx_count(&x, OBS_SOURCE, "failover primary slave:eth2 unregistered"), 0);
    gx_free(&x);
}

/* Interrupts latched while the VM was stopped are serviced as soon as it
 * runs again (here: a device_del while stopped); pciehp's IRQ thread runs
 * 2 ms after its interrupt (recorded: the button line 1.5 ms after cont). */
static void latched_interrupts_at_cont(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\n"
                               "at 6s source stop\n"
                               "at 6.5s source device_del id=primary0\n"
                               "at 8s source cont\n");
    gx_run(&x, SIM_S(10));
    long press = gx_find(&x, (size_t)gx_log(&x, OBS_SOURCE, "Link Up"), OBS_SOURCE,
                         "Slot(0-1): Attention button pressed");
    assert_true(press >= 0);
    assert_i64_equal(gx_time(&x, press), SIM_S(8) + SIM_MS(2));
    /* guest time stood still for the 2 s stop */
    assert_i64_equal(gx_uptime(&x, press), SIM_S(6) + SIM_MS(2));
    gx_free(&x);
}

/* Knob address: after the ifup, init waits for each interface (20 x 100 ms,
 * as the recorder's init does) and logs what it configured; nothing refuses a
 * slave (bug 8).  Bad values are scenario errors with their position. */
static void address_knob(void **state)
{
    (void)state;
    EVIDENCE(L6.8);
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\n    address eth2 10.0.2.16/24\n"
                               "    address eth9 10.0.9.1/24\n    address eth0 10.0.3.15/16\nend\n");
    gx_run(&x, SIM_S(8));
    long ifup = gx_log(&x, OBS_SOURCE, "e1000e: Intel(R) PRO/1000"); /* ifup is 47 ms after */
    long slave = gx_log(&x, OBS_SOURCE, "failover primary slave:eth2 registered");
    long a2 = gx_log(&x, OBS_SOURCE, "fosim-guest: addr eth2 10.0.2.16/24");
    long a9 = gx_log(&x, OBS_SOURCE, "fosim-guest: addr eth9 10.0.9.1/24 failed");
    long a0 = gx_log(&x, OBS_SOURCE, "fosim-guest: addr eth0 10.0.3.15/16");
    assert_true(ifup >= 0 && slave >= 0 && a2 > slave && a9 > a2 && a0 > a9);
    /* eth2 registers after the ifup: init found it on a later 100 ms poll */
    sim_time up = gx_uptime(&x, ifup);
    assert_true(gx_uptime(&x, a2) > up + SIM_MS(47));
    assert_i64_equal((gx_uptime(&x, a2) - gx_uptime(&x, ifup) - SIM_MS(47)) % SIM_MS(100), 0);
    assert_true(gx_uptime(&x, a2) - gx_uptime(&x, slave) <= SIM_MS(100));
    /* eth9 never comes: 2 s of waiting, then the failure; eth0 at once */
    assert_i64_equal(gx_uptime(&x, a9) - gx_uptime(&x, a2), SIM_S(2));
    assert_i64_equal(gx_uptime(&x, a0), gx_uptime(&x, a9));
    assert_int_equal(gx_count(&x, OBS_SOURCE, "fosim-guest: addr"), 3);
    gx_free(&x);

    const struct {
        const char *knob, *msg;
    } bad[] = {
        { "address eth2\n", "knob address takes an interface and A.B.C.D/N" },
        { "address eth2=0 10.0.2.16/24\n", "knob address: expected an interface name" },
        { "address eth2 10.0.2.16\n", "knob address: expected A.B.C.D/N" },
        { "address eth2 10.0.2.016/24\n", "knob address: expected A.B.C.D/N" },
        { "address eth2 10.0.2.16/33\n", "knob address: expected A.B.C.D/N" },
        { "address a 1.1.1.1/8\naddress b 1.1.1.1/8\naddress c 1.1.1.1/8\n"
          "address d 1.1.1.1/8\naddress e 1.1.1.1/8\n", "knob address: at most 4 addresses" },
    };
    for (size_t k = 0; k < SIM_ARRAY_SIZE(bad); k++) {
        char text[2048];
        snprintf(text, sizeof(text), "%sguest linux\n%send\n", GX_HOSTS_NATIVE, bad[k].knob);
        struct scenario *sc;
        struct sim_err err = { "" };
        assert_int_equal(scn_parse_string("k.fos", text, &sc, &err), 0);
        struct sim_run *r;
        assert_int_equal(
            sim_run_new(sc, &(struct sim_run_config){ .until = SIM_TIME_NONE }, &r, &err), -1);
        if (!strstr(err.msg, bad[k].msg) || strncmp(err.msg, "k.fos:", 6) != 0)
            fail_msg("case %zu: got '%s'", k, err.msg);
        scn_free(sc);
    }
}

/* The number knobs take decimal digits only: strtoul and sscanf's %u take a
 * sign and blanks too and wrap a negative number round, so "kernel 6.-1" ran
 * as 6.4294967295 and "mtu -18446744073709550116" as 1500. */
static void number_knobs_take_digits_only(void **state)
{
    (void)state;
    const struct {
        const char *knob, *msg;
    } bad[] = {
        { "kernel 6.-1\n", "k.fos:15:10: knob kernel: expected a version such as 6.1" },
        { "kernel 6.+1\n", "k.fos:15:10: knob kernel: expected a version such as 6.1" },
        { "kernel +6.1\n", "k.fos:15:10: knob kernel: expected a version such as 6.1" },
        { "kernel \"6. 1\"\n", "k.fos:15:10: knob kernel: expected a version such as 6.1" },
        { "mtu -18446744073709550116\n", "k.fos:15:7: knob mtu: expected a number from 68 to 65535" },
        { "mtu +1500\n", "k.fos:15:7: knob mtu: expected a number from 68 to 65535" },
        { "mtu \" 1500\"\n", "k.fos:15:7: knob mtu: expected a number from 68 to 65535" },
        { "pciehp-poll-time +5\n",
          "k.fos:15:20: knob pciehp-poll-time: expected whole seconds from -1000 to 1000" },
        { "pciehp-poll-time \" 5\"\n",
          "k.fos:15:20: knob pciehp-poll-time: expected whole seconds from -1000 to 1000" },
    };
    for (size_t k = 0; k < SIM_ARRAY_SIZE(bad); k++) {
        char text[2048];
        snprintf(text, sizeof(text), "%sguest linux\n  %send\n", GX_HOSTS_NATIVE, bad[k].knob);
        struct scenario *sc;
        struct sim_err err = { "" };
        assert_int_equal(scn_parse_string("k.fos", text, &sc, &err), 0);
        struct sim_run *r;
        assert_int_equal(
            sim_run_new(sc, &(struct sim_run_config){ .until = SIM_TIME_NONE }, &r, &err), -1);
        if (!strstr(err.msg, bad[k].msg))
            fail_msg("case %zu: got '%s', want '%s'", k, err.msg, bad[k].msg);
        scn_free(sc);
    }
    /* the forms that are meant still run */
    const char *good[] = { "kernel 6.2\n", "mtu 9000\n", "pciehp-poll-time -5\n" };
    for (size_t k = 0; k < SIM_ARRAY_SIZE(good); k++) {
        char text[2048];
        snprintf(text, sizeof(text), "%sguest linux\n  %send\n", GX_HOSTS_NATIVE, good[k]);
        struct scenario *sc;
        struct sim_err err = { "" };
        assert_int_equal(scn_parse_string("k.fos", text, &sc, &err), 0);
        struct sim_run *r;
        if (sim_run_new(sc, &(struct sim_run_config){ .until = SIM_TIME_NONE }, &r, &err) != 0)
            fail_msg("good case %zu: %s", k, err.msg);
        sim_run_free(r);
        scn_free(sc);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(boot_stages_follow_the_knob),
    cmocka_unit_test(firmware_after_cont),
    cmocka_unit_test(target_first_hot_add_is_cold),
    cmocka_unit_test(ifup_after_the_modules),
    cmocka_unit_test(without_the_failover_driver),
    cmocka_unit_test(action_errors),
    cmocka_unit_test(actions_at_run_time),
    cmocka_unit_test(function_reset_at_run_time),
    cmocka_unit_test(latched_interrupts_at_cont),
    cmocka_unit_test(address_knob),
    cmocka_unit_test(number_knobs_take_digits_only),
};

FO_MAIN("guest_linux", tests)
