/*
 * The host's virtual hardware and monitor, driven register by register as a
 * guest would (sim/hw.h) and command by command as a QMP client would:
 * PCIe slot registers with QEMU's semantics, ACPI PCI hotplug bitmaps,
 * virtio feature words, the QMP text itself, and the migration timing
 * (wait-unplug polls, the cancel grace, query-migrate per state).
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/err.h"
#include "sim/host.h"
#include "sim/hw.h"
#include "sim/run.h"
#include "sim/scenario.h"

#define PORTS "    -M q35 -nodefaults\n" FO_ROOT_PORTS FO_PAIR
#define NATIVE FO_NATIVE_HOTPLUG

/* A fake guest that counts what the host tells it. */
struct fake {
    unsigned slot_irqs, gpes, configs;
    bool running;
};

static void f_slot_irq(void *g, struct hw_port *p)
{
    (void)p;
    ((struct fake *)g)->slot_irqs++;
}
static void f_gpe(void *g)
{
    ((struct fake *)g)->gpes++;
}
static void f_config(void *g, struct hw_pcidev *d)
{
    (void)d;
    ((struct fake *)g)->configs++;
}
static void f_run(void *g, bool running)
{
    ((struct fake *)g)->running = running;
}
static const struct hw_guest_ops fake_ops = {
    .slot_irq = f_slot_irq, .acpi_pcihp_gpe = f_gpe, .virtio_config = f_config,
    .vm_run_state = f_run,
};

struct fx {
    struct scenario *s;
    struct sim_run *r;
    struct fo_capture cap;
    struct fake g;
    struct host *src, *tgt;
};

static void fx_new(struct fx *f, const char *text)
{
    memset(f, 0, sizeof(*f));
    struct sim_err err = { "" };
    if (scn_parse_string("t.fos", text, &f->s, &err) != 0 ||
        sim_run_new(f->s, &(struct sim_run_config){ .until = SIM_TIME_NONE }, &f->r, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    sim_world_add_sink(f->r->w, fo_capture_sink, &f->cap);
    sim_run_until(f->r->w, 0); /* start, greeting, QMP set-up */
    f->src = f->r->w->vms[0].hosts[OBS_SOURCE];
    f->tgt = f->r->w->vms[0].hosts[OBS_TARGET];
    host_attach_guest(f->src, &fake_ops, &f->g);
}

static void fx_free(struct fx *f)
{
    fo_capture_free(&f->cap);
    sim_run_free(f->r);
    scn_free(f->s);
}

static void at(struct fx *f, double secs)
{
    sim_run_until(f->r->w, (sim_time)(secs * 1e9));
}

/* The line of the last QMP record of a kind on a host. */
static const char *last_line(const struct fx *f, enum obs_kind k, enum obs_host h)
{
    for (size_t i = f->cap.n; i-- > 0;)
        if (f->cap.v[i].o.kind == k && f->cap.v[i].o.host == h)
            return f->cap.v[i].text;
    return "";
}

static struct hw_pcidev *find_dev(struct host *h, uint8_t bus, uint8_t slot)
{
    return hw_pci_lookup(h, (struct hw_pci_addr){ .bus = bus, .slot = slot });
}

static void negotiate(struct hw_pcidev *d, bool high_first)
{
    uint64_t f = hw_virtio_host_features(d);
    if (high_first)
        hw_virtio_write_features(d, 1, (uint32_t)(f >> 32));
    hw_virtio_write_features(d, 0, (uint32_t)f);
    if (!high_first)
        hw_virtio_write_features(d, 1, (uint32_t)(f >> 32));
}

static int count_fn(void *ctx, struct hw_pcidev *d)
{
    (void)d;
    (*(int *)ctx)++;
    return 0;
}

/* ---- QMP text ----------------------------------------------------------------------- */

static void test_qmp_text(void **state)
{
    (void)state;
    struct fx f;
    fx_new(&f, "qmp-setup none\nhost source\n" PORTS "end\nguest none\nend\n");
    /* the greeting of QEMU 7.2 as Debian 12 prints it (real-qemu.md) */
    assert_string_equal(f.cap.v[fo_find(&f.cap, 0, OBS_QMP_GREETING, OBS_SOURCE, NULL, NULL)].text,
                        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, "
                        "\"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}");
    host_qmp(f.src, "{\"execute\": \"query-status\", \"id\": 7}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"id\": 7, \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                        "\"Expecting capabilities negotiation with 'qmp_capabilities'\"}}");
    host_qmp(f.src, "{\"execute\": \"qmp_capabilities\", \"id\": \"a\"}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE), "{\"return\": {}, \"id\": \"a\"}");
    host_qmp(f.src, "{\"execute\": \"qmp_capabilities\"}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Capabilities "
                        "negotiation is already complete, command ignored\"}}");
    host_qmp(f.src, "{\"execute\": \"warp\", \"id\": [1]}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"id\": [1], \"error\": {\"class\": \"CommandNotFound\", \"desc\": "
                        "\"The command warp has not been found\"}}");
    host_qmp(f.src, "{\"execute\": \"query-status\"}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}}");
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {}}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'uri' is missing\"}}");
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": 5}}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter "
                        "type for 'uri', expected: string\"}}");
    /* a list's element of the wrong type: QEMU names it (announce-self's ['str']) */
    host_qmp(f.src, "{\"execute\": \"announce-self\", \"arguments\": {\"initial\": 50, "
                    "\"max\": 550, \"rounds\": 5, \"step\": 100, \"interfaces\": [\"eth0\", 1]}}",
             NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Invalid parameter "
                        "type for 'interfaces[1]', expected: string\"}}");
    host_qmp(f.src, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"x\", \"y\": 1}}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Parameter 'y' is unexpected\"}}");
    host_qmp(f.src, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"error\": {\"class\": \"DeviceNotFound\", \"desc\": \"Device 'primary0' not found\"}}");
    at(&f, 1.25);
    host_qmp(f.src, "{\"execute\": \"stop\"}", NULL);
    /* events: QEMU's key order and separators, the host's wall clock */
    assert_string_equal(last_line(&f, OBS_QMP_EVENT, OBS_SOURCE),
                        "{\"timestamp\": {\"seconds\": 1764072001, \"microseconds\": 250000}, \"event\": \"STOP\"}");
    assert_false(f.g.running);
    host_qmp(f.src, "{\"execute\": \"cont\"}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_EVENT, OBS_SOURCE),
                        "{\"timestamp\": {\"seconds\": 1764072001, \"microseconds\": 250000}, \"event\": \"RESUME\"}");
    assert_true(f.g.running);
    /* MIGRATION events only with the capability (off here) */
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /tmp/x\"}}", NULL);
    at(&f, 5);
    assert_int_equal(fo_count(&f.cap, OBS_QMP_EVENT, OBS_SOURCE, "MIGRATION", NULL), 0);
    assert_string_equal(host_migration_status(f.src), "completed");
    host_qmp(f.src, "{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"max-bandwidth\": 1048576}}", NULL);
    host_qmp(f.src, "{\"execute\": \"query-migrate-parameters\"}", NULL);
    /* real run d, verbatim */
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"return\": {\"cpu-throttle-tailslow\": false, \"xbzrle-cache-size\": 67108864, \"cpu-throttle-initial\": 20, \"announce-max\": 550, \"decompress-threads\": 2, \"compress-threads\": 8, \"compress-level\": 1, \"multifd-channels\": 2, \"multifd-zstd-level\": 1, \"announce-initial\": 50, \"block-incremental\": false, \"compress-wait-thread\": true, \"downtime-limit\": 300, \"tls-authz\": \"\", \"multifd-compression\": \"none\", \"announce-rounds\": 5, \"announce-step\": 100, \"tls-creds\": \"\", \"multifd-zlib-level\": 1, \"max-cpu-throttle\": 99, \"max-postcopy-bandwidth\": 0, \"tls-hostname\": \"\", \"throttle-trigger-threshold\": 50, \"max-bandwidth\": 1048576, \"x-checkpoint-delay\": 20000, \"cpu-throttle-increment\": 10}}");
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:1.2.3.4:5\", \"resume\": true}}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Cannot resume if there is no paused migration\"}}");
    host_qmp(f.src, "{\"execute\": \"qom-get\", \"arguments\": {\"path\": \"/machine/peripheral/standby0\", \"property\": \"mac\"}}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE), "{\"return\": \"52:54:00:11:11:11\"}");
    fx_free(&f);
}

/* ---- native PCIe slot ------------------------------------------------------------------ */

static void test_native_slot(void **state)
{
    (void)state;
    EVIDENCE(H-19, H-21, H-33, H-39, H-47, H-60);
    struct fx f;
    fx_new(&f, "host source\n" PORTS NATIVE "end\nguest none\nend\n");
    struct hw_port *r0 = hw_port_lookup(f.src, (struct hw_pci_addr){ .slot = 1 });
    struct hw_port *r1 = hw_port_lookup(f.src, (struct hw_pci_addr){ .slot = 2 });
    assert_non_null(r0);
    assert_non_null(r1);
    assert_true(hw_port_native_hotplug(r1));
    uint32_t cap = hw_port_sltcap(r1);
    assert_true((cap & (HW_SLTCAP_ABP | HW_SLTCAP_PCP | HW_SLTCAP_AIP | HW_SLTCAP_PIP |
                        HW_SLTCAP_HPS | HW_SLTCAP_HPC)) ==
                (HW_SLTCAP_ABP | HW_SLTCAP_PCP | HW_SLTCAP_AIP | HW_SLTCAP_PIP | HW_SLTCAP_HPS |
                 HW_SLTCAP_HPC));
    assert_int_equal(cap & HW_SLTCAP_NCCS, 0);
    assert_int_equal(hw_port_secondary_bus(r0), 1);
    assert_int_equal(hw_port_secondary_bus(r1), 2);
    /* reset: the populated slot is powered, the empty one (hidden primary) off */
    assert_int_equal(hw_port_sltctl(r0) & (HW_SLTCTL_PCC | HW_SLTCTL_PIC), HW_SLTCTL_PWR_IND_ON);
    assert_int_equal(hw_port_sltctl(r1) & (HW_SLTCTL_PCC | HW_SLTCTL_PIC),
                     HW_SLTCTL_PCC | HW_SLTCTL_PWR_IND_OFF);
    assert_true(hw_port_sltsta(r0) & HW_SLTSTA_PDS);
    assert_false(hw_port_sltsta(r1) & HW_SLTSTA_PDS);
    assert_true(hw_port_lnksta(r0) & HW_LNKSTA_DLLLA);
    /* the guest enables events; the write completes at once (CC) */
    uint16_t en = HW_SLTCTL_HPIE | HW_SLTCTL_ABPE | HW_SLTCTL_PDCE | HW_SLTCTL_CCIE;
    hw_port_sltctl_write(r1, (uint16_t)(hw_port_sltctl(r1) | en));
    assert_true(hw_port_sltsta(r1) & HW_SLTSTA_CC);
    assert_int_equal(f.g.slot_irqs, 1);
    hw_port_sltsta_clear(r1, HW_SLTSTA_CC);
    assert_false(hw_port_sltsta(r1) & HW_SLTSTA_CC);
    /* negotiation plugs the primary: PDS, link active, PDC|ABP, one interrupt,
     * after FAILOVER_NEGOTIATED (H-19) */
    struct hw_pcidev *sb = find_dev(f.src, 1, 0);
    assert_non_null(sb);
    int n = 0;
    hw_for_each_pci(f.src, count_fn, &n);
    assert_int_equal(n, 3); /* two ports and the standby */
    at(&f, 1);
    negotiate(sb, false);
    long ev = fo_find(&f.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "FAILOVER_NEGOTIATED", NULL);
    long pl = fo_find(&f.cap, 0, OBS_STATE, OBS_SOURCE, "qdev", "plugged");
    assert_true(ev >= 0 && pl > ev);
    assert_int_equal(hw_port_sltsta(r1) & (HW_SLTSTA_PDS | HW_SLTSTA_PDC | HW_SLTSTA_ABP),
                     HW_SLTSTA_PDS | HW_SLTSTA_PDC | HW_SLTSTA_ABP);
    assert_true(hw_port_lnksta(r1) & HW_LNKSTA_DLLLA);
    assert_int_equal(f.g.slot_irqs, 2);
    /* the slot is still off: the guest cannot see the card yet */
    assert_null(find_dev(f.src, 2, 0));
    hw_port_sltsta_clear(r1, HW_SLTSTA_PDC | HW_SLTSTA_ABP);
    hw_port_sltctl_write(r1, (uint16_t)((hw_port_sltctl(r1) & ~(HW_SLTCTL_PCC | HW_SLTCTL_PIC)) |
                                        HW_SLTCTL_PWR_IND_ON));
    hw_port_sltsta_clear(r1, HW_SLTSTA_CC);
    struct hw_pcidev *pr = find_dev(f.src, 2, 0);
    assert_non_null(pr);
    struct hw_pci_info info;
    hw_pci_info(pr, &info);
    assert_int_equal(info.kind, HW_DEV_E1000E);
    assert_int_equal(info.class_code, 0x0200);
    assert_string_equal(info.qdev_id, "primary0");
    /* renegotiation adds nothing (H-21) */
    unsigned irqs = f.g.slot_irqs;
    hw_virtio_set_status(sb, 0);
    negotiate(sb, false);
    assert_int_equal(f.g.slot_irqs, irqs);
    /* migration: attention button, pending (H-33) */
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /tmp/y\"}}", NULL);
    at(&f, 2);
    assert_true(hw_port_sltsta(r1) & HW_SLTSTA_ABP);
    assert_string_equal(host_migration_status(f.src), "wait-unplug");
    /* H-60: a user device_del is refused for 5 s */
    host_qmp(f.src, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}}", NULL);
    assert_non_null(strstr(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                           "Device primary0 is already in the process of unplug"));
    /* writing an unchanged control does not unplug; power off does (H-39) */
    hw_port_sltsta_clear(r1, HW_SLTSTA_ABP);
    hw_port_sltctl_write(r1, hw_port_sltctl(r1));
    assert_true(host_device_visible(f.src, "primary0"));
    hw_port_sltctl_write(r1, (uint16_t)((hw_port_sltctl(r1) & ~HW_SLTCTL_PIC) | HW_SLTCTL_PCC |
                                        HW_SLTCTL_PWR_IND_OFF));
    assert_true(host_device_exists(f.src, "primary0"));
    assert_false(host_device_visible(f.src, "primary0"));
    assert_false(hw_port_sltsta(r1) & HW_SLTSTA_PDS);
    assert_true(hw_port_sltsta(r1) & HW_SLTSTA_PDC);
    assert_int_equal(fo_count(&f.cap, OBS_QMP_EVENT, OBS_SOURCE, "DEVICE_DELETED", NULL), 0);
    at(&f, 5);
    assert_string_equal(host_migration_status(f.src), "completed");
    fx_free(&f);
}

/* H-47 in registers: a cancelled migration plugs the card back with
 * PDS and a PDC|ABP event; a real device_del + power off deletes it. */
static void test_native_replug_and_delete(void **state)
{
    (void)state;
    EVIDENCE(H-47, H-39, 6.8);
    struct fx f;
    fx_new(&f, "host source\n" PORTS NATIVE "end\nguest none\nend\n");
    struct hw_port *r1 = hw_port_lookup(f.src, (struct hw_pci_addr){ .slot = 2 });
    negotiate(find_dev(f.src, 1, 0), false);
    hw_port_sltctl_write(r1, (uint16_t)((hw_port_sltctl(r1) & ~(HW_SLTCTL_PCC | HW_SLTCTL_PIC)) |
                                        HW_SLTCTL_PWR_IND_ON));
    hw_port_sltsta_clear(r1, HW_SLTSTA_EVENTS);
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /tmp/z\"}}", NULL);
    at(&f, 1);
    host_qmp(f.src, "{\"execute\": \"migrate_cancel\"}", NULL);
    hw_port_sltsta_clear(r1, HW_SLTSTA_EVENTS);
    hw_port_sltctl_write(r1, (uint16_t)(hw_port_sltctl(r1) | HW_SLTCTL_PCC | HW_SLTCTL_PWR_IND_OFF));
    hw_port_sltsta_clear(r1, HW_SLTSTA_EVENTS);
    at(&f, 2);
    assert_string_equal(host_migration_status(f.src), "cancelled");
    assert_int_equal(hw_port_sltsta(r1) & (HW_SLTSTA_PDS | HW_SLTSTA_PDC | HW_SLTSTA_ABP),
                     HW_SLTSTA_PDS | HW_SLTSTA_PDC | HW_SLTSTA_ABP);
    assert_true(host_device_visible(f.src, "primary0"));
    /* 6.8: the replug cleared partially_hotplugged, so a user unplug is real */
    hw_port_sltsta_clear(r1, HW_SLTSTA_EVENTS);
    hw_port_sltctl_write(r1, (uint16_t)((hw_port_sltctl(r1) & ~(HW_SLTCTL_PCC | HW_SLTCTL_PIC)) |
                                        HW_SLTCTL_PWR_IND_ON));
    at(&f, 8);
    host_qmp(f.src, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE), "{\"return\": {}}");
    hw_port_sltctl_write(r1, (uint16_t)(hw_port_sltctl(r1) | HW_SLTCTL_PCC | HW_SLTCTL_PWR_IND_OFF));
    assert_false(host_device_exists(f.src, "primary0"));
    assert_string_equal(last_line(&f, OBS_QMP_EVENT, OBS_SOURCE),
                        "{\"timestamp\": {\"seconds\": 1764072008, \"microseconds\": 0}, \"event\": "
                        "\"DEVICE_DELETED\", \"data\": {\"device\": \"primary0\", \"path\": "
                        "\"/machine/peripheral/primary0\"}}");
    fx_free(&f);
}

/* ---- ACPI PCI hotplug ------------------------------------------------------------------- */

static void test_acpi(void **state)
{
    (void)state;
    EVIDENCE(H-33, H-39, H-60, 6.13);
    struct fx f;
    fx_new(&f, "host source\n" PORTS "end\nguest none\nend\n");
    assert_true(hw_acpi_hotplug(f.src));
    struct hw_port *r1 = hw_port_lookup(f.src, (struct hw_pci_addr){ .slot = 2 });
    assert_false(hw_port_native_hotplug(r1));
    negotiate(find_dev(f.src, 1, 0), false);
    assert_int_equal(f.g.gpes, 1);
    uint32_t up, down;
    hw_acpi_pcihp_status(f.src, 2, &up, &down);
    assert_int_equal(up, 1);
    assert_int_equal(down, 0);
    hw_acpi_pcihp_status(f.src, 2, &up, &down); /* q35: up clears on read */
    assert_int_equal(up, 0);
    assert_non_null(find_dev(f.src, 2, 0));
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /tmp/w\"}}", NULL);
    at(&f, 1);
    hw_acpi_pcihp_status(f.src, 2, &up, &down);
    assert_int_equal(down, 1);
    assert_int_equal(f.g.gpes, 2);
    assert_string_equal(host_migration_status(f.src), "wait-unplug"); /* 6.13 */
    /* ACPI: a user device_del may repeat at once (H-60) */
    host_qmp(f.src, "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE), "{\"return\": {}}");
    hw_acpi_pcihp_eject(f.src, 2, 1);
    hw_acpi_pcihp_status(f.src, 2, &up, &down);
    assert_int_equal(down, 0);
    assert_true(host_device_exists(f.src, "primary0")); /* H-39 */
    assert_false(host_device_visible(f.src, "primary0"));
    assert_int_equal(fo_count(&f.cap, OBS_QMP_EVENT, OBS_SOURCE, "DEVICE_DELETED", NULL), 0);
    at(&f, 3);
    assert_string_equal(host_migration_status(f.src), "completed");
    fx_free(&f);
}

/* ---- virtio features ------------------------------------------------------------------ */

static void test_virtio_features(void **state)
{
    (void)state;
    EVIDENCE(H-01, H-03, H-20, H-23, H-24);
    struct fx f;
    fx_new(&f,
           "host source\n" PORTS
           "    -device pcie-root-port,id=root2,addr=0x3,chassis=3\n"
           "    -netdev user,id=hs2\n"
           "    -device virtio-net-pci,netdev=hs2,id=plain,bus=root2\n"
           "end\nguest none\nend\n");
    struct hw_pcidev *sb = find_dev(f.src, 1, 0), *plain = find_dev(f.src, 3, 0);
    uint64_t fs = hw_virtio_host_features(sb), fp = hw_virtio_host_features(plain);
    assert_true(fs >> HW_VIRTIO_NET_F_STANDBY & 1);
    assert_false(fp >> HW_VIRTIO_NET_F_STANDBY & 1);
    assert_true(fs >> HW_VIRTIO_NET_F_MAC & 1);
    assert_true(fp >> HW_VIRTIO_NET_F_MAC & 1); /* QEMU always offers MAC */
    assert_true(fs >> HW_VIRTIO_F_VERSION_1 & 1);
    assert_false(fs & 1); /* no CSUM without a vnet header (user networking) */
    /* H-03: asking for STANDBY on a device that does not offer it */
    hw_virtio_write_features(plain, 0, (uint32_t)fp);
    hw_virtio_write_features(plain, 1, (uint32_t)(fp >> 32) | 1u << (62 - 32));
    assert_int_equal(fo_count(&f.cap, OBS_QMP_EVENT, OBS_SOURCE, "FAILOVER_NEGOTIATED", NULL), 0);
    /* H-23: the low word alone carries no STANDBY */
    hw_virtio_write_features(sb, 0, (uint32_t)fs);
    assert_int_equal(fo_count(&f.cap, OBS_QMP_EVENT, OBS_SOURCE, "FAILOVER_NEGOTIATED", NULL), 0);
    assert_false(host_device_exists(f.src, "primary0"));
    /* H-20: high then low: two set_features with STANDBY */
    hw_virtio_write_features(sb, 1, (uint32_t)(fs >> 32));
    hw_virtio_write_features(sb, 0, (uint32_t)fs);
    assert_int_equal(fo_count(&f.cap, OBS_QMP_EVENT, OBS_SOURCE, "FAILOVER_NEGOTIATED", NULL), 2);
    /* after FEATURES_OK the words are ignored */
    hw_virtio_set_status(sb, HW_VIRTIO_STATUS_ACKNOWLEDGE | HW_VIRTIO_STATUS_DRIVER |
                                 HW_VIRTIO_STATUS_FEATURES_OK);
    hw_virtio_write_features(sb, 0, 0);
    assert_int_equal(fo_count(&f.cap, OBS_QMP_EVENT, OBS_SOURCE, "FAILOVER_NEGOTIATED", NULL), 2);
    /* H-24: a reset (set_features(0)) leaves the primary plugged */
    hw_virtio_set_status(sb, 0);
    assert_true(host_device_visible(f.src, "primary0"));
    assert_int_equal(hw_virtio_net_status(sb) & HW_VIRTIO_NET_S_LINK_UP, HW_VIRTIO_NET_S_LINK_UP);
    fx_free(&f);
}

/* ---- migration timing --------------------------------------------------------------------- */

static sim_time state_time(const struct fx *f, enum obs_host h, const char *to)
{
    long i = fo_find(&f->cap, 0, OBS_STATE, h, "migration", to);
    return i < 0 ? -1 : f->cap.v[i].o.t - f->s->epoch;
}

static void test_wait_unplug_polls(void **state)
{
    (void)state;
    EVIDENCE(H-37, H-38, H-44, H-45, H-46);
    struct fx f;
    fx_new(&f, "host source\n" PORTS "end\nguest none\nend\n");
    negotiate(find_dev(f.src, 1, 0), false);
    at(&f, 10);
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /tmp/v\"}}", NULL);
    at(&f, 11);
    sim_time ws = state_time(&f, OBS_SOURCE, "wait-unplug");
    assert_true(ws > SIM_S(10) && ws < SIM_S(10) + SIM_MS(10));
    /* query-migrate in wait-unplug: the status only */
    host_qmp(f.src, "{\"execute\": \"query-migrate\"}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"return\": {\"status\": \"wait-unplug\"}}");
    at(&f, 11.6);
    host_qmp(f.src, "{\"execute\": \"migrate_cancel\"}", NULL);
    at(&f, 11.7);
    host_qmp(f.src, "{\"execute\": \"query-migrate\"}", NULL);
    const char *q = last_line(&f, OBS_QMP_REPLY, OBS_SOURCE);
    assert_non_null(strstr(q, "{\"return\": {\"expected-downtime\": 300, \"status\": \"cancelling\", \"setup-time\": 0, \"total-time\": 1700, \"ram\": {\"total\": 135012352, \"postcopy-requests\": 0, \"dirty-sync-count\": 1, \"multifd-bytes\": 0, \"pages-per-second\": 0, \"downtime-bytes\": 0, \"page-size\": 4096, \"remaining\": 135012352,"));
    at(&f, 60);
    /* the first poll after the cancel is 1.75 s into the wait; then 120 more */
    sim_time c = state_time(&f, OBS_SOURCE, "cancelled");
    assert_i64_equal(c, ws + SIM_MS(1750) + 120 * SIM_MS(250) + SIM_MS(1));
    long warn = fo_find(&f.cap, 0, OBS_HOSTLOG, OBS_SOURCE, NULL, NULL);
    assert_true(warn >= 0);
    assert_string_equal(last_line(&f, OBS_HOSTLOG, OBS_SOURCE),
                        "qemu-system-x86_64: warning: migration: partially unplugged device on failure");
    host_qmp(f.src, "{\"execute\": \"query-migrate\"}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_SOURCE),
                        "{\"return\": {\"status\": \"cancelled\"}}");
    assert_true(host_device_visible(f.src, "primary0"));
    fx_free(&f);
}

/* The real native timeline (real-qemu.md): an eject 6.25 s into the wait
 * becomes active at the next 250 ms poll; the transfer of 256 MiB takes
 * about 0.56 s at QEMU's default bandwidth; the target negotiates, resumes
 * and completes right after. */
static void test_completion_timeline(void **state)
{
    (void)state;
    EVIDENCE(H-50, H-52, H-53);
    struct fx f;
    fx_new(&f, "host source\n    -m 256\n" PORTS "end\nhost target like source\n"
               "    -incoming tcp:127.0.0.1:4444\nend\nguest none\nend\n");
    negotiate(find_dev(f.src, 1, 0), false);
    at(&f, 1);
    host_qmp(f.tgt, "{\"execute\": \"query-migrate\"}", NULL);
    assert_string_equal(last_line(&f, OBS_QMP_REPLY, OBS_TARGET),
                        "{\"return\": {\"socket-address\": [{\"port\": \"4444\", \"ipv4\": true, "
                        "\"host\": \"127.0.0.1\", \"type\": \"inet\"}]}}");
    /* a fresh target: no firmware ran, the root ports have no bus numbers
     * and list nothing behind them (real run a) */
    host_qmp(f.tgt, "{\"execute\": \"query-pci\"}", NULL);
    const char *pci = last_line(&f, OBS_QMP_REPLY, OBS_TARGET);
    assert_non_null(strstr(pci, "\"pci_bridge\": {\"bus\": {\"secondary\": 0, \"number\": 0, \"subordinate\": 0}}, \"qdev_id\": \"root0\""));
    assert_null(strstr(pci, "standby0"));
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:127.0.0.1:4444\"}}", NULL);
    at(&f, 7.2);
    hw_acpi_pcihp_eject(f.src, 2, 1);
    at(&f, 20);
    sim_time ws = state_time(&f, OBS_SOURCE, "wait-unplug");
    sim_time ac = state_time(&f, OBS_SOURCE, "active");
    sim_time co = state_time(&f, OBS_SOURCE, "completed");
    sim_time tc = state_time(&f, OBS_TARGET, "completed");
    assert_i64_equal(ac - ws, 25 * SIM_MS(250));
    assert_true(co - ac > SIM_MS(500) && co - ac < SIM_MS(700));
    assert_true(tc > co && tc - co < SIM_MS(20));
    long neg = fo_find(&f.cap, 0, OBS_QMP_EVENT, OBS_TARGET, "FAILOVER_NEGOTIATED", NULL);
    long res = fo_find(&f.cap, 0, OBS_QMP_EVENT, OBS_TARGET, "RESUME", NULL);
    long com = fo_find(&f.cap, 0, OBS_QMP_EVENT, OBS_TARGET, "MIGRATION", "status=completed");
    assert_true(neg >= 0 && neg < res && res < com);
    assert_string_equal(host_runstate(f.src), "postmigrate");
    assert_string_equal(host_runstate(f.tgt), "running");
    assert_true(host_device_exists(f.src, "primary0"));
    assert_false(host_device_visible(f.src, "primary0"));
    host_qmp(f.tgt, "{\"execute\": \"query-pci\"}", NULL);
    pci = last_line(&f, OBS_QMP_REPLY, OBS_TARGET);
    assert_non_null(strstr(pci, "\"secondary\": 2, \"number\": 0, \"subordinate\": 2}, \"devices\": [{\"irq_pin\": 1, \"bus\": 2, \"qdev_id\": \"primary0\""));
    assert_true(host_device_visible(f.tgt, "primary0"));
    fx_free(&f);
}

/* H-36: notifiers run most recently realized standby first. */
static void test_notifier_order(void **state)
{
    (void)state;
    EVIDENCE(H-36);
    struct fx f;
    fx_new(&f, "host source\n" PORTS
               "    -device pcie-root-port,id=root2,addr=0x3,chassis=3\n"
               "    -device pcie-root-port,id=root3,addr=0x4,chassis=4\n"
               "    -netdev user,id=hs2\n"
               "    -device virtio-net-pci,netdev=hs2,id=standby1,bus=root2,failover=on\n"
               "    -netdev user,id=hs3\n"
               "    -device e1000e,netdev=hs3,id=primary1,bus=root3,failover_pair_id=standby1,romfile=\n"
               "end\nguest none\nend\n");
    negotiate(find_dev(f.src, 1, 0), false);
    negotiate(find_dev(f.src, 3, 0), false);
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /tmp/u\"}}", NULL);
    at(&f, 1);
    long a = fo_find(&f.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "UNPLUG_PRIMARY", "device-id=primary1");
    long b = fo_find(&f.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "UNPLUG_PRIMARY", "device-id=primary0");
    assert_true(a >= 0 && b > a);
    fx_free(&f);
}


/* ---- frames ---------------------------------------------------------------------------- */

static unsigned rx_count;
static void f_rx(void *g, struct hw_pcidev *d, const struct frame *fr)
{
    (void)g;
    (void)d;
    (void)fr;
    rx_count++;
}

/* host_netdev_rx and hw_nic_tx: why a frame does not arrive. */
static void test_frames(void **state)
{
    (void)state;
    EVIDENCE(H-14, H-39);
    struct fx f;
    fx_new(&f, "host source\n" PORTS "end\nguest none\nend\n");
    static const struct hw_guest_ops ops = { .nic_rx = f_rx, .vm_run_state = f_run };
    host_attach_guest(f.src, &ops, &f.g);
    uint8_t buf[60] = { 0 };
    struct frame fr = { .data = buf, .len = 60, .caplen = 60 };
    rx_count = 0;
    /* the hidden primary's netdev has no peer */
    assert_int_equal(host_netdev_rx(f.src, "hs1", &fr), FRAME_DROP_NO_PEER);
    assert_int_equal(host_netdev_rx(f.src, "nosuch", &fr), FRAME_DROP_NO_PEER);
    assert_int_equal(host_netdev_rx(f.src, "hs0", &fr), FRAME_DROP_NONE);
    assert_int_equal(rx_count, 1);
    struct hw_pcidev *sb = find_dev(f.src, 1, 0);
    assert_int_equal(hw_nic_tx(sb, &fr), FRAME_DROP_NONE);
    negotiate(sb, false);
    assert_int_equal(host_netdev_rx(f.src, "hs1", &fr), FRAME_DROP_NONE);
    assert_int_equal(rx_count, 2);
    /* a stopped VM drops frames */
    host_qmp(f.src, "{\"execute\": \"stop\"}", NULL);
    assert_int_equal(host_netdev_rx(f.src, "hs0", &fr), FRAME_DROP_VM_STOPPED);
    assert_int_equal(hw_nic_tx(sb, &fr), FRAME_DROP_VM_STOPPED);
    host_qmp(f.src, "{\"execute\": \"cont\"}", NULL);
    /* the link can be set down */
    host_qmp(f.src, "{\"execute\": \"set_link\", \"arguments\": {\"name\": \"standby0\", \"up\": false}}", NULL);
    assert_int_equal(host_netdev_rx(f.src, "hs0", &fr), FRAME_DROP_LINK_DOWN);
    assert_false(hw_nic_link_up(sb));
    assert_int_equal(hw_virtio_net_status(sb) & HW_VIRTIO_NET_S_LINK_UP, 0);
    /* after the guest's failover unplug the primary gets nothing */
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"exec:cat > /tmp/t\"}}", NULL);
    at(&f, 1);
    hw_acpi_pcihp_eject(f.src, 2, 1);
    assert_int_equal(host_netdev_rx(f.src, "hs1", &fr), FRAME_DROP_DEVICE_GONE);
    fx_free(&f);
}

/* QEMU's self-announcement after an incoming migration: a RARP per NIC in
 * five rounds, at 0, 50, 200, 450 and 800 ms, before RESUME. */
static void test_announce(void **state)
{
    (void)state;
    EVIDENCE(H-53);
    struct fx f;
    fx_new(&f, "host source\n" PORTS "end\nhost target like source\n"
               "    -incoming tcp:127.0.0.1:4444\nend\nguest none\nend\n");
    /* the target's own announce parameters apply */
    host_qmp(f.tgt, "{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"announce-rounds\": 4}}", NULL);
    negotiate(find_dev(f.src, 1, 0), false);
    host_qmp(f.src, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:127.0.0.1:4444\"}}", NULL);
    at(&f, 1);
    hw_acpi_pcihp_eject(f.src, 2, 1);
    at(&f, 10);
    long res = fo_find(&f.cap, 0, OBS_QMP_EVENT, OBS_TARGET, "RESUME", NULL);
    assert_true(res >= 0);
    sim_time t0 = f.cap.v[res].o.t;
    static const int ms[] = { 0, 50, 200, 450, 800 };
    size_t k = 0;
    for (size_t i = 0; i < f.cap.n; i++) {
        const struct obs *o = &f.cap.v[i].o;
        if (o->kind != OBS_FRAME || o->host != OBS_TARGET || o->u.frame.ethertype != 0x8035)
            continue;
        assert_true(k < 10);
        assert_i64_equal(o->t - t0, SIM_MS(ms[k / 2]));
        assert_true(k / 2 > 0 || (long)i < res); /* the first round before RESUME */
        assert_int_equal(o->u.frame.src[5], 0x11);
        k++;
    }
    assert_int_equal(k, 8); /* standby and primary, four rounds */
    fx_free(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_qmp_text),
    cmocka_unit_test(test_native_slot),
    cmocka_unit_test(test_native_replug_and_delete),
    cmocka_unit_test(test_acpi),
    cmocka_unit_test(test_virtio_features),
    cmocka_unit_test(test_wait_unplug_polls),
    cmocka_unit_test(test_completion_timeline),
    cmocka_unit_test(test_notifier_order),
    cmocka_unit_test(test_frames),
    cmocka_unit_test(test_announce),
};

FO_MAIN("host_hw", tests)
