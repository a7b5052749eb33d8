/*
 * The host's command line: a table of invalid QEMU arguments, each with the
 * exact positioned message it must produce (QEMU's wording where QEMU has
 * one), then valid forms (keyval escapes, the JSON -device, ignored
 * options, aliases) checked through what the host built.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/err.h"
#include "sim/host.h"
#include "sim/run.h"
#include "sim/scenario.h"

#define BASE                                                                                 \
    "-M q35 -nodefaults -device pcie-root-port,id=root0,addr=0x1,chassis=1 "                 \
    "-device pcie-root-port,id=root1,addr=0x2,chassis=2 -netdev user,id=hs0 "                 \
    "-netdev user,id=hs1 "
#define SB "-device virtio-net-pci,netdev=hs0,id=standby0,bus=root0,failover=on "

/* Build a run from one host line; returns 0 or -1 with the message. */
static int build(const char *args, struct sim_run **out, struct scenario **s, char *msg,
                 size_t n)
{
    char text[4096];
    snprintf(text, sizeof(text), "host source\n    %s\nend\nguest none\nend\n", args);
    struct sim_err err = { "" };
    if (scn_parse_string("t.fos", text, s, &err) != 0) {
        print_error("scenario does not parse: %s\n", err.msg);
        fail();
    }
    struct sim_run_config cfg = { .until = SIM_TIME_NONE };
    int rc = sim_run_new(*s, &cfg, out, &err);
    snprintf(msg, n, "%s", err.msg);
    return rc;
}

struct bad {
    const char *args; /* after "host source\n    " (column 5) */
    const char *msg;  /* the whole expected message */
};

static const struct bad bad_args[] = {
    { "-M q35 -foo", "t.fos:2:12: unknown QEMU option '-foo'" },
    { "-M q35 disk.img", "t.fos:2:12: unexpected argument 'disk.img' (a disk image is not modelled)" },
    { "-M q35 -device", "t.fos:2:12: option -device requires an argument" },
    { "-M pc", "t.fos:2:8: -machine pc: the pc machine is not modelled: fosim models q35 (-M q35 or pc-q35-*)" },
    { "-M bogus", "t.fos:2:8: -machine bogus: unsupported machine type 'bogus' (use -M q35)" },
    { "-M q35 -m lots",
      "t.fos:2:15: -m lots: Parameter 'size' expects a non-negative number below 2^64 (a size such as 256, 256M or 1G, at least 1M)" },
    { "-M q35 -global nodot",
      "t.fos:2:20: -global nodot: Invalid format for -global: expected DRIVER.PROPERTY=VALUE" },
    { "-M q35 -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=maybe",
      "t.fos:2:20: -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=maybe: Parameter 'acpi-pci-hotplug-with-bridge-support' expects 'on' or 'off'" },
    { "-M q35 -netdev user", "t.fos:2:20: -netdev user: Parameter 'id' is missing" },
    { "-M q35 -netdev warp,id=x", "t.fos:2:20: -netdev warp,id=x: Parameter 'type' expects a netdev backend type" },
    { "-M q35 -netdev user,id=a -netdev tap,id=a", "t.fos:2:38: -netdev tap,id=a: Duplicate ID 'a' for netdev" },
    { "-M q35 -incoming carrier-pigeon", "t.fos:2:22: -incoming carrier-pigeon: unknown migration protocol: carrier-pigeon" },
    { "-M q35 -accel warp", "t.fos:2:19: -accel warp: invalid accelerator warp" },
    { "-M q35 -nic user", "t.fos:2:12: option -nic is not modelled: use -netdev with -device" },
    { "-M q35 -object filter-dump,id=f,netdev=nope,file=x",
      "t.fos:2:20: -object filter-dump,id=f,netdev=nope,file=x: Parameter 'netdev' expects a network backend id" },
    { "-M q35 -netdev user,id=n -object filter-dump,id=f,netdev=n",
      "t.fos:2:38: -object filter-dump,id=f,netdev=n: dump filter needs 'file' property set!" },
    { "-M q35 -device warp-nic", "t.fos:2:20: -device warp-nic: 'warp-nic' is not a valid device model name" },
    { "-M q35 -device id=x", "t.fos:2:20: -device id=x: Parameter 'driver' is missing" },
    { "-M q35 -device e1000e,bus=nowhere", "t.fos:2:20: -device e1000e,bus=nowhere: Bus 'nowhere' not found" },
    { "-M q35 -device e1000e,warp=9", "t.fos:2:20: -device e1000e,warp=9: Property 'e1000e.warp' not found" },
    { "-M q35 -device virtio-net-pci,failover=perhaps",
      "t.fos:2:20: -device virtio-net-pci,failover=perhaps: Parameter 'failover' expects 'on' or 'off'" },
    { "-M q35 -device {\"driver\":\"virtio-net-pci\",\"failover\":\"on\"}",
      "t.fos:2:20: -device {\"driver\":\"virtio-net-pci\",\"failover\":\"on\"}: Invalid parameter type for 'failover', expected: boolean" },
    { "-M q35 -device {\"driver\":\"e1000e\",\"rombar\":\"0\"}",
      "t.fos:2:20: -device {\"driver\":\"e1000e\",\"rombar\":\"0\"}: Invalid parameter type for 'rombar', expected: integer" },
    { "-M q35 -device e1000e,rombar=x", "t.fos:2:20: -device e1000e,rombar=x: Parameter 'rombar' expects integer" },
    { "-M q35 -device pcie-root-port,chassis=300",
      "t.fos:2:20: -device pcie-root-port,chassis=300: Parameter 'chassis' expects uint8_t" },
    { "-M q35 -device e1000e,mac=52:54:00:zz:00:01",
      "t.fos:2:20: -device e1000e,mac=52:54:00:zz:00:01: Property 'e1000e.mac' doesn't take value '52:54:00:zz:00:01'" },
    { "-M q35 -device e1000e,addr=0x40", "t.fos:2:20: -device e1000e,addr=0x40: Property 'e1000e.addr' doesn't take value '0x40'" },
    { "-M q35 -device e1000e,netdev=none", "t.fos:2:20: -device e1000e,netdev=none: Property 'e1000e.netdev' can't find value 'none'" },
    { "-M q35 -netdev user,id=n -device e1000e,netdev=n -device e1000e,netdev=n",
      "t.fos:2:62: -device e1000e,netdev=n: Property 'e1000e.netdev' can't take value 'n', it's in use" },
    { "-M q35 -device e1000e,id=a -device e1000e,id=a", "t.fos:2:40: -device e1000e,id=a: Duplicate ID 'a' for device" },
    { "-M q35 -device e1000e,id=9a", "t.fos:2:20: -device e1000e,id=9a: Parameter 'id' expects an identifier" },
    { "-M q35 -device e1000e,addr=0x3 -device e1000e,addr=0x3",
      "t.fos:2:44: -device e1000e,addr=0x3: PCI: slot 3 function 0 not available for e1000e, in use by e1000e,id=" },
    { "-M q35 -device vfio-pci", "t.fos:2:20: -device vfio-pci: No provided host device" },
    { "-M q35 -device vfio-pci,host=3b:10", "t.fos:2:20: -device vfio-pci,host=3b:10: Property 'vfio-pci.host' doesn't take value '3b:10'" },
    /* without -nodefaults the default VGA sits at 00:01.0 */
    { "-M q35 -device pcie-root-port,id=r,addr=0x1",
      "t.fos:2:20: -device pcie-root-port,id=r,addr=0x1: PCI: slot 1 function 0 not available for pcie-root-port, in use by VGA,id=" },
    /* H-10: with a standby present, a failover_pair_id without id */
    { BASE SB "-device e1000e,bus=root1,failover_pair_id=standby0",
      "t.fos:2:242: -device e1000e,bus=root1,failover_pair_id=standby0: Device with failover_pair_id needs to have id" },
    /* H-15: a hidden primary on the root bus */
    { BASE SB "-device e1000e,id=p,failover_pair_id=standby0",
      "t.fos:2:242: -device e1000e,id=p,failover_pair_id=standby0: Bus 'pcie.0' does not support hotplugging" },
    /* H-27: a realized device with failover_pair_id that is not Ethernet */
    { BASE "-device pcie-root-port,id=r2,addr=0x3,failover_pair_id=nobody",
      "t.fos:2:174: -device pcie-root-port,id=r2,addr=0x3,failover_pair_id=nobody: failover primary device is not an Ethernet device" },
    /* H-26: a realized primary on a conventional PCI bus */
    { BASE "-device pcie-pci-bridge,id=ppb,addr=0x4 -device e1000e,id=p,bus=ppb,addr=0x1,failover_pair_id=nobody",
      "t.fos:2:214: -device e1000e,id=p,bus=ppb,addr=0x1,failover_pair_id=nobody: failover primary device must be on PCIExpress bus" },
    { "-M q35 -nodefaults -device pcie-root-port,id=r -device pcie-pci-bridge,id=b,bus=r",
      "t.fos:2:60: -device pcie-pci-bridge,id=b,bus=r: fosim models a pcie-pci-bridge on pcie.0 only" },
    /* H-28: multifunction or not function 0 */
    { BASE "-device e1000e,id=p,bus=root1,multifunction=on,failover_pair_id=nobody",
      "t.fos:2:174: -device e1000e,id=p,bus=root1,multifunction=on,failover_pair_id=nobody: failover: primary device must be in its own PCI slot" },
    { BASE "-device e1000e,id=p,bus=root1,addr=0.1,failover_pair_id=nobody",
      "t.fos:2:174: -device e1000e,id=p,bus=root1,addr=0.1,failover_pair_id=nobody: failover: primary device must be in its own PCI slot" },
    /* H-12 at start-up: two primaries for one standby */
    { BASE SB "-device e1000e,id=p0,bus=root1,failover_pair_id=standby0 -device e1000e,id=p1,bus=root1,failover_pair_id=standby0",
      "t.fos:2:299: -device e1000e,id=p1,bus=root1,failover_pair_id=standby0: Cannot attach more than one primary device to 'standby0': 'p0' and 'p1'" },
};

static void test_bad_arguments(void **state)
{
    (void)state;
    EVIDENCE(H-10, H-12, H-15, H-26, H-27, H-28);
    int bad = 0;
    for (size_t i = 0; i < SIM_ARRAY_SIZE(bad_args); i++) {
        struct sim_run *r = NULL;
        struct scenario *s = NULL;
        char msg[1024];
        int rc = build(bad_args[i].args, &r, &s, msg, sizeof(msg));
        if (rc == 0 || strcmp(msg, bad_args[i].msg) != 0) {
            print_error("case %zu: %s\n  expected: %s\n  got (%d): %s\n", i, bad_args[i].args,
                        bad_args[i].msg, rc, msg);
            sim_run_free(r);
            bad++;
        }
        scn_free(s);
    }
    assert_int_equal(bad, 0);
}

/* Options that do not touch failover are accepted; the keyval ",," escape,
 * the virtio-net alias and the JSON -device all create devices. */
static void test_valid_forms(void **state)
{
    (void)state;
    EVIDENCE(H-01, H-58);
    const char *args =
        "qemu-system-x86_64 -machine type=pc-q35-7.2,accel=tcg -m 1G -smp 2 -name vm1 -accel tcg "
        "-enable-kvm -cpu host -display none -nographic -nodefaults -kernel k -initrd i "
        "-append 'console=ttyS0' -serial file:g.log -qmp unix:q.sock,server=on,wait=off "
        "-chardev socket,id=c -vga none -no-reboot -drive file=d,if=none -S "
        "-device pcie-root-port,id=root0,addr=0x1,chassis=1 "
        "-device pcie-root-port,id=root1,addr=0x2,chassis=2 "
        "-netdev user,id=hs0 -netdev tap,id=hs1 "
        "-device virtio-net,netdev=hs0,id=standby0,bus=root0,failover=on,mac=52:54:00:aa:bb:cc "
        "-device {\"driver\":\"e1000e\",\"id\":\"p,0\",\"bus\":\"root1\",\"netdev\":\"hs1\","
        "\"rombar\":0} "
        "-object filter-dump,id=fd,netdev=hs0,file=x.pcap "
        "-device pcie-root-port,id=root2,addr=0x3,chassis=3 "
        "-device virtio-net-pci,bus=root2,failover=on";
    struct sim_run *r = NULL;
    struct scenario *s = NULL;
    char msg[1024];
    if (build(args, &r, &s, msg, sizeof(msg)) != 0) {
        print_error("%s\n", msg);
        fail();
    }
    struct fo_capture cap = { 0 };
    sim_world_add_sink(r->w, fo_capture_sink, &cap);
    sim_run_go(r);
    struct host *h = r->w->vms[0].hosts[OBS_SOURCE];
    assert_true(host_device_exists(h, "standby0"));
    assert_true(host_device_exists(h, "p,0"));
    assert_string_equal(host_runstate(h), "prelaunch"); /* -S */
    struct host_nic_info nics[8];
    unsigned n = host_nics(h, nics, 8);
    assert_int_equal(n, 3);
    assert_int_equal(nics[0].role, OBS_ROLE_STANDBY);
    assert_int_equal(nics[0].mac[5], 0xcc);
    /* the id-less standby is flagged (H-58) */
    assert_true(fo_find(&cap, 0, OBS_STATE, OBS_SOURCE, "qdev", "standby-without-id") >= 0);
    /* the JSON -device's rombar typed 0: no option ROM; a default MAC */
    assert_int_equal(nics[1].role, OBS_ROLE_OTHER);
    assert_int_equal(nics[1].mac[0], 0x52);
    assert_int_equal(nics[1].mac[5], 0x56);
    fo_capture_free(&cap);
    sim_run_free(r);
    scn_free(s);
}

/* host_nic_find: the first NIC of host_nics' list with that qdev id and/or
 * netdev, hidden primaries included, with no cap on the NICs a host has. */
static void test_nic_find(void **state)
{
    (void)state;
    char args[4096];
    size_t k = (size_t)snprintf(args, sizeof(args), "%s%s", BASE, SB);
    for (int i = 0; i < 20; i++) /* NICs beyond the first 16 are found too */
        k += (size_t)snprintf(args + k, sizeof(args) - k,
                              "-netdev user,id=n%d -device e1000e,netdev=n%d,id=e%d ", i, i, i);
    snprintf(args + k, sizeof(args) - k,
             "-device e1000e,netdev=hs1,id=primary0,bus=root1,failover_pair_id=standby0");
    struct sim_run *r = NULL;
    struct scenario *s = NULL;
    char msg[1024];
    if (build(args, &r, &s, msg, sizeof(msg)) != 0) {
        print_error("%s\n", msg);
        fail();
    }
    sim_run_go(r);
    struct host *h = r->w->vms[0].hosts[OBS_SOURCE];
    struct host_nic_info nic;
    assert_true(host_nic_find(h, "e19", NULL, &nic));
    assert_string_equal(nic.netdev, "n19");
    assert_int_equal(nic.role, OBS_ROLE_OTHER);
    assert_true(host_nic_find(h, NULL, "hs0", &nic));
    assert_string_equal(nic.qdev_id, "standby0");
    assert_int_equal(nic.role, OBS_ROLE_STANDBY);
    /* the primary is hidden (no guest negotiated): known by its options */
    assert_false(host_device_exists(h, "primary0"));
    assert_true(host_nic_find(h, "primary0", "hs1", &nic));
    assert_int_equal(nic.role, OBS_ROLE_PRIMARY);
    assert_string_equal(nic.pair, "standby0");
    assert_false(host_nic_find(h, "primary0", "hs0", &nic)); /* both must match */
    assert_false(host_nic_find(h, "nosuch", NULL, &nic));
    assert_false(host_nic_find(h, NULL, NULL, &nic));
    sim_run_free(r);
    scn_free(s);
}

/* H-07: listeners are asked in registration order; the first error wins.
 * standby0's listener fails on the missing id before standby1's could
 * hide the device. */
static void test_listener_order(void **state)
{
    (void)state;
    EVIDENCE(H-07, H-09, H-11);
    const char *args = BASE SB
        "-device pcie-root-port,id=root2,addr=0x3,chassis=3 -netdev user,id=hs2 "
        "-device virtio-net-pci,netdev=hs2,id=standby1,bus=root2,failover=on "
        "-device pcie-root-port,id=root3,addr=0x4,chassis=4 "
        "-device e1000e,id=p1,bus=root3,failover_pair_id=standby1 "
        "-device pcie-root-port,id=root4,addr=0x5,chassis=5 "
        "-device e1000e,id=plain,bus=root4";
    struct sim_run *r = NULL;
    struct scenario *s = NULL;
    char msg[1024];
    assert_int_equal(build(args, &r, &s, msg, sizeof(msg)), 0);
    sim_run_go(r);
    struct host *h = r->w->vms[0].hosts[OBS_SOURCE];
    assert_false(host_device_exists(h, "p1"));   /* standby1 hid it */
    assert_true(host_device_exists(h, "plain")); /* H-09: no failover_pair_id */
    sim_run_free(r);
    scn_free(s);
    /* the same without an id: standby0 (registered first) refuses */
    const char *args2 = BASE SB
        "-device pcie-root-port,id=root2,addr=0x3,chassis=3 -netdev user,id=hs2 "
        "-device virtio-net-pci,netdev=hs2,id=standby1,bus=root2,failover=on "
        "-device e1000e,bus=root1,failover_pair_id=standby1";
    assert_int_equal(build(args2, &r, &s, msg, sizeof(msg)), -1);
    assert_non_null(strstr(msg, "Device with failover_pair_id needs to have id"));
    scn_free(s);
}


/* The qtest profile's actions are checked before the run, with positions. */
static void test_guest_actions(void **state)
{
    (void)state;
    static const struct {
        const char *action;
        const char *msg;
    } cases[] = {
        { "at 1s guest negotiate standby0 order=sideways",
          "t.fos:6:32: guest negotiate: expected standby=on|off or order=low-high|high-low, found 'order=sideways'" },
        { "at 1s guest eject", "t.fos:6:13: guest action: expected 'negotiate DEVICE [standby=on|off] [order=low-high|high-low]', 'eject DEVICE', 'reset DEVICE', 'power DEVICE on|off' or 'indicator DEVICE on|off|blink'" },
        { "at 1s guest eject a b", "t.fos:6:21: guest eject takes one device id" },
        { "at 1s guest power primary0 sideways", "t.fos:6:28: guest power takes a device id and on or off" },
        { "at 1s guest indicator primary0 bright", "t.fos:6:32: guest indicator takes a device id and on, off or blink" },
        { "at 1s guest dance primary0", "t.fos:6:13: guest action: expected 'negotiate DEVICE [standby=on|off] [order=low-high|high-low]', 'eject DEVICE', 'reset DEVICE', 'power DEVICE on|off' or 'indicator DEVICE on|off|blink'" },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        char text[512];
        snprintf(text, sizeof(text), "host source\n    -M q35\nend\nguest qtest\nend\n%s\n",
                 cases[i].action);
        struct scenario *s = NULL;
        struct sim_run *r = NULL;
        struct sim_err err = { "" };
        assert_int_equal(scn_parse_string("t.fos", text, &s, &err), 0);
        int rc = sim_run_new(s, &(struct sim_run_config){ .until = SIM_TIME_NONE }, &r, &err);
        if (rc == 0 || strcmp(err.msg, cases[i].msg) != 0) {
            print_error("case %zu: got %d: %s\n", i, rc, err.msg);
            sim_run_free(r);
            scn_free(s);
            fail();
        }
        scn_free(s);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bad_arguments),
    cmocka_unit_test(test_valid_forms),
    cmocka_unit_test(test_listener_order),
    cmocka_unit_test(test_guest_actions),
    cmocka_unit_test(test_nic_find),
};

FO_MAIN("host_args", tests)
