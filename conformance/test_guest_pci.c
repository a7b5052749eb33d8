/*
 * The linux guest's PCI core against the real host model: the enumeration
 * lines of boot and of a hot-add (word for word as recorded, with the
 * recorded addresses for 2 and 4 root ports), the slot names of pciehp and
 * acpiphp, the serialization of scans and removals with asynchronous driver
 * probes, and the lookups that follow the VM to the target.
 */
#include "guest_fixture.h"

#define GX_FOUR_PORTS                                                                        \
    "host source\n"                                                                          \
    "    -M q35 -nodefaults\n" FO_NATIVE_HOTPLUG FO_ROOT_PORTS                                \
    "    -device pcie-root-port,id=root2,addr=0x3,chassis=3\n"                               \
    "    -device pcie-root-port,id=root3,addr=0x4,chassis=4\n" FO_PAIR                       \
    "    -netdev user,id=hs2\n"                                                               \
    "    -device virtio-net-pci,netdev=hs2,id=standby1,mac=52:54:00:22:22:22,bus=root2,"     \
    "failover=on\n"                                                                           \
    "    -netdev user,id=hs3\n"                                                               \
    "    -device e1000e,netdev=hs3,id=primary1,mac=52:54:00:22:22:22,bus=root3,"             \
    "failover_pair_id=standby1,romfile=\n"                                                    \
    "end\n"

/* Boot with two root ports: the recorded lines (runs/a/src/guest.log). */
static void boot_enumeration_two_ports(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\n");
    gx_run(&x, SIM_S(2));
    static const char *const lines[] = {
        "pci 0000:00:01.0: [1b36:000c] type 01 class 0x060400",
        "pci 0000:00:01.0: BAR 0 [mem 0xfe600000-0xfe600fff]",
        "pci 0000:00:02.0: [1b36:000c] type 01 class 0x060400",
        "pci 0000:00:02.0: BAR 0 [mem 0xfe601000-0xfe601fff]",
        "pci 0000:01:00.0: [1af4:1041] type 00 class 0x020000",
        "pci 0000:01:00.0: BAR 1 [mem 0xfe440000-0xfe440fff]",
        "pci 0000:01:00.0: BAR 4 [mem 0xfea00000-0xfea03fff 64bit pref]",
        "pci 0000:01:00.0: ROM [mem 0xfe400000-0xfe43ffff pref]",
        "pci 0000:00:01.0: PCI bridge to [bus 01]",
        "pci 0000:00:01.0:   bridge window [mem 0xfe400000-0xfe5fffff]",
        "pci 0000:00:01.0:   bridge window [mem 0xfea00000-0xfebfffff 64bit pref]",
        "pci 0000:00:02.0: PCI bridge to [bus 02]",
        "pci 0000:00:02.0:   bridge window [mem 0xfe200000-0xfe3fffff]",
        "pci 0000:00:02.0:   bridge window [mem 0xfe800000-0xfe9fffff 64bit pref]",
        "pcieport 0000:00:01.0: PME: Signaling with IRQ 24",
        "pcieport 0000:00:01.0: AER: enabled with IRQ 24",
        "pcieport 0000:00:01.0: pciehp: Slot #0 AttnBtn+ PwrCtrl+ MRL- AttnInd+ PwrInd+ "
        "HotPlug+ Surprise+ Interlock+ NoCompl- IbPresDis- LLActRep+",
        "pcieport 0000:00:02.0: PME: Signaling with IRQ 25",
    };
    gx_expect_lines(&x, OBS_SOURCE, lines, SIM_ARRAY_SIZE(lines));
    /* nothing behind root1 yet: the primary is hidden until negotiation */
    assert_int_equal(gx_count(&x, OBS_SOURCE, "pci 0000:02:00.0"), 0);
    struct guest *g = gx_guest(&x);
    assert_true(gpci_bus_populated(g, 1));
    assert_false(gpci_bus_populated(g, 2));
    gx_free(&x);
}

/* Four root ports: the addresses of runs/h/src/guest.log. */
static void boot_enumeration_four_ports(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_FOUR_PORTS "guest linux\nend\n");
    gx_run(&x, SIM_S(2));
    static const char *const lines[] = {
        "pci 0000:00:01.0: BAR 0 [mem 0xfe200000-0xfe200fff]",
        "pci 0000:00:04.0: BAR 0 [mem 0xfe203000-0xfe203fff]",
        "pci 0000:01:00.0: BAR 1 [mem 0xfe040000-0xfe040fff]",
        "pci 0000:01:00.0: ROM [mem 0xfe000000-0xfe03ffff pref]",
        "pci 0000:00:01.0:   bridge window [mem 0xfe000000-0xfe1fffff]",
        "pci 0000:00:02.0:   bridge window [mem 0xfde00000-0xfdffffff]",
        "pci 0000:03:00.0: BAR 1 [mem 0xfdc40000-0xfdc40fff]",
        "pci 0000:03:00.0: BAR 4 [mem 0xfe600000-0xfe603fff 64bit pref]",
        "pci 0000:00:04.0:   bridge window [mem 0xfda00000-0xfdbfffff]",
        "pci 0000:00:04.0:   bridge window [mem 0xfe400000-0xfe5fffff 64bit pref]",
    };
    gx_expect_lines(&x, OBS_SOURCE, lines, SIM_ARRAY_SIZE(lines));
    gx_free(&x);
}

/* A native hot-add: the recorded 13 lines; an ACPI one: no bridge lines. */
static void hotplug_enumeration_lines(void **state)
{
    (void)state;
    EVIDENCE(G-73);
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\n");
    gx_run(&x, SIM_S(4));
    static const char *const lines[] = {
        "pci 0000:02:00.0: [8086:10d3] type 00 class 0x020000",
        "pci 0000:02:00.0: BAR 0 [mem 0x00000000-0x0001ffff]",
        "pci 0000:02:00.0: BAR 1 [mem 0x00000000-0x0001ffff]",
        "pci 0000:02:00.0: BAR 2 [io  0x0000-0x001f]",
        "pci 0000:02:00.0: BAR 3 [mem 0x00000000-0x00003fff]",
        "pci 0000:02:00.0: BAR 0 [mem 0xfe200000-0xfe21ffff]: assigned",
        "pci 0000:02:00.0: BAR 1 [mem 0xfe220000-0xfe23ffff]: assigned",
        "pci 0000:02:00.0: BAR 3 [mem 0xfe240000-0xfe243fff]: assigned",
        "pci 0000:02:00.0: BAR 2 [io  0x2000-0x201f]: assigned",
        "pcieport 0000:00:02.0: PCI bridge to [bus 02]",
        "pcieport 0000:00:02.0:   bridge window [io  0x2000-0x2fff]",
        "pcieport 0000:00:02.0:   bridge window [mem 0xfe200000-0xfe3fffff]",
        "pcieport 0000:00:02.0:   bridge window [mem 0xfe800000-0xfe9fffff 64bit pref]",
        "e1000e 0000:02:00.0: enabling device (0000 -> 0002)",
    };
    long last = gx_expect_lines(&x, OBS_SOURCE, lines, SIM_ARRAY_SIZE(lines));
    /* the probe starts 9 ms after the lines (recorded 2.976387 -> 2.985407) */
    sim_time dt = gx_uptime(&x, last) - gx_uptime(&x, gx_log(&x, OBS_SOURCE, lines[0]));
    assert_i64_equal(dt, SIM_MS(9));
    struct gpci_dev *pdev = gpci_find(gx_guest(&x), (struct hw_pci_addr){ .bus = 2 });
    assert_non_null(pdev);
    assert_ptr_equal(pdev->drv, &e1000e_driver);
    assert_string_equal(pdev->name, "0000:02:00.0");
    assert_non_null(gpci_hw(pdev));
    gx_free(&x);

    gx_new(&x, GX_HOSTS_ACPI "guest linux\nend\n");
    gx_run(&x, SIM_S(4));
    gx_expect_lines(&x, OBS_SOURCE, lines, 9);
    assert_int_equal(gx_count(&x, OBS_SOURCE, "PCI bridge to [bus 02]"), 1); /* boot only */
    assert_int_equal(gx_count(&x, OBS_SOURCE, "pcieport 0000:00:02.0: PCI bridge"), 0);
    gx_free(&x);
}

/* pciehp names slots after the physical slot number, then N-1, N-2 ...;
 * ACPI's pci_slot names first and acpiphp renames, skipping its own name. */
static void slot_names(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_FOUR_PORTS "guest linux\nend\n");
    gx_run(&x, SIM_S(4));
    assert_true(gx_log(&x, OBS_SOURCE, "pcieport 0000:00:02.0: pciehp: Slot(0-1): Card present") >= 0);
    assert_true(gx_log(&x, OBS_SOURCE, "pcieport 0000:00:04.0: pciehp: Slot(0-3): Card present") >= 0);
    gx_free(&x);

    gx_new(&x, GX_HOSTS_ACPI "guest linux\nend\n");
    gx_run(&x, SIM_S(2));
    static const char *const acpi[] = { "acpiphp: Slot [0] registered",
                                        "acpiphp: Slot [0-2] registered" };
    gx_expect_lines(&x, OBS_SOURCE, acpi, 2);
    /* the registry itself: pci_slot then acpiphp for two more buses */
    struct guest *g = gx_guest(&x);
    int a = gpci_slot_register(g, "0");
    assert_string_equal(gpci_slot_name(g, a), "0-1");
    gpci_slot_rename(g, a, "0");
    assert_string_equal(gpci_slot_name(g, a), "0-3");
    int b = gpci_slot_register(g, "0");
    assert_string_equal(gpci_slot_name(g, b), "0-1");
    gpci_slot_rename(g, b, "0");
    assert_string_equal(gpci_slot_name(g, b), "0-4");
    int c = gpci_slot_register(g, "7");
    gpci_slot_rename(g, c, "7"); /* same name: unchanged */
    assert_string_equal(gpci_slot_name(g, c), "7");
    gx_free(&x);
}

/* Scans, removals and module loads run one at a time: a removal requested
 * while the driver still probes waits for the probe to finish. */
static void removal_waits_for_probe(void **state)
{
    (void)state;
    struct gx x;
    /* ACPI: the plug at negotiation is enumerated at once; e1000e probes
     * (~200 ms) after its insmod; device_del asks for the eject meanwhile */
    gx_new(&x, GX_HOSTS_ACPI "guest linux\nend\n"
                             "at 2.86s source device_del id=primary0\n");
    gx_run(&x, SIM_S(5));
    long reg = gx_log(&x, OBS_SOURCE, "failover primary slave:eth2 registered");
    long rm = gx_log(&x, OBS_SOURCE, "e1000e 0000:02:00.0 eth2: removed PHC");
    assert_true(reg >= 0 && rm > reg);
    assert_true(gx_time(&x, gx_log(&x, OBS_SOURCE, "enabling device")) < SIM_MS(2860));
    assert_true(fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "DEVICE_DELETED", NULL) > rm);
    assert_null(gpci_find(gx_guest(&x), (struct hw_pci_addr){ .bus = 2 }));
    gx_free(&x);
}

/* Two slots plugged while the VM was stopped (the target of two pairs) are
 * enumerated one after the other: the second enumeration starts only once
 * the first device is registered. */
static void scans_are_serialized(void **state)
{
    (void)state;
    struct gx x;
    char text[4096];
    snprintf(text, sizeof(text), "%s%s", GX_FOUR_PORTS,
             "host target like source\n    -incoming tcp:127.0.0.1:4444\nend\n"
             "guest linux\nend\n"
             "at 3.05s guest up eth2\n"
             "at 8.35s source migrate uri=tcp:127.0.0.1:4444\n");
    gx_new(&x, text);
    gx_run(&x, SIM_S(25));
    long first = gx_log(&x, OBS_TARGET, "pci 0000:04:00.0: [8086:10d3]");
    long reg1 = gx_log(&x, OBS_TARGET, "virtio_net virtio1 eth2: failover primary slave:eth4 registered");
    long second = gx_log(&x, OBS_TARGET, "pci 0000:02:00.0: [8086:10d3]");
    long reg2 = gx_log(&x, OBS_TARGET, "virtio_net virtio0 eth0: failover primary slave:eth5 registered");
    assert_true(first >= 0 && reg1 > first && second > reg1 && reg2 > second);
    gx_free(&x);
}

/* The guest keeps functions by address: after the migration its standby's
 * gpci_dev resolves on the target, and the unplugged primary is gone. */
static void lookups_follow_the_vm(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\nat 7.4s source migrate uri=tcp:127.0.0.1:4444\n");
    gx_run(&x, SIM_S(10));
    struct guest *g = gx_guest(&x);
    struct gpci_dev *sb = gpci_find(g, (struct hw_pci_addr){ .bus = 1 });
    assert_non_null(sb);
    assert_ptr_equal(sb->drv, &virtio_net_driver);
    struct host *src = x.r->w->vms[0].hosts[OBS_SOURCE];
    struct host *tgt = x.r->w->vms[0].hosts[OBS_TARGET];
    assert_ptr_equal(gpci_hw(sb), hw_pci_lookup(src, sb->addr));
    gx_run(&x, SIM_S(16));
    assert_ptr_equal(g->host, tgt);
    assert_ptr_equal(gpci_hw(sb), hw_pci_lookup(tgt, sb->addr));
    assert_non_null(gpci_hw(sb));
    /* the replugged primary is a new function on the target */
    struct gpci_dev *p = gpci_find(g, (struct hw_pci_addr){ .bus = 2 });
    assert_non_null(p);
    assert_ptr_equal(gpci_hw(p), hw_pci_lookup(tgt, p->addr));
    gx_free(&x);
}

/* The PCI core is busy while a scan waits for its driver probe, idle after. */
static void busy_and_idle(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_NATIVE "guest linux\nend\n");
    gx_run(&x, SIM_MS(2900));
    assert_true(gpci_busy(gx_guest(&x))); /* the hot-add's scan and e1000e probe */
    gx_run(&x, SIM_S(4));
    assert_false(gpci_busy(gx_guest(&x)));
    gx_free(&x);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(boot_enumeration_two_ports),
    cmocka_unit_test(boot_enumeration_four_ports),
    cmocka_unit_test(hotplug_enumeration_lines),
    cmocka_unit_test(slot_names),
    cmocka_unit_test(removal_waits_for_probe),
    cmocka_unit_test(scans_are_serialized),
    cmocka_unit_test(lookups_follow_the_vm),
    cmocka_unit_test(busy_and_idle),
};

FO_MAIN("guest_pci", tests)
