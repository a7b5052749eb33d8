/*
 * The qtest guest profile: QEMU's tests/qtest/virtio-net-failover.c, which
 * fakes the guest driver with register writes, as scripted actions.
 *
 *   negotiate DEVICE [standby=on|off] [order=low-high|high-low]
 *       virtio status ACKNOWLEDGE|DRIVER, the host's features less
 *       INDIRECT_DESC and EVENT_IDX (less STANDBY with standby=off) written
 *       as two 32-bit words (low word first unless order=high-low), then
 *       FEATURES_OK and DRIVER_OK.
 *   eject DEVICE
 *       ACPI: the device's slot bit to the eject register of its bus;
 *       native: Slot Control of its port with power and power indicator off.
 *   reset DEVICE          virtio reset (status 0: features cleared)
 *   power DEVICE on|off   native: Slot Control power on (indicator on) or off
 *   indicator DEVICE on|off|blink   native: Slot Control power indicator only
 *
 * DEVICE is a QEMU id on the host the VM currently runs on; the qtest
 * touches hidden-from-the-guest functions as QEMU's test does (it knows the
 * addresses).  A device that does not exist when the action runs is reported
  * as a "qtest" state observation, not an abort.  The script stands for the
 * guest OS, so nothing happens while the VM is stopped (H-41).
 */
#include <stdio.h>
#include <string.h>

#include "guest_int.h"
#include "host_int.h"
#include "sim/world.h"

static void qtest_note(struct guest *g, const char *to, const char *why)
{
    if (g->host)
        sim_emit_state(g->vm, host_id(g->host), "qtest", "-", to, why);
}

static int usage(const struct scn_action *a, const struct scn_arg *at, struct sim_err *err)
{
    (void)a;
    return scn_errf(err, &at->pos,
                    "guest action: expected 'negotiate DEVICE [standby=on|off] "
                    "[order=low-high|high-low]', 'eject DEVICE', 'reset DEVICE', "
                    "'power DEVICE on|off' or 'indicator DEVICE on|off|blink'");
}

static int check(const struct scn_action *a, struct sim_err *err, bool *standby,
                 bool *high_first)
{
    const struct scn_args *w = &a->words;
    *standby = true;
    *high_first = false;
    if (w->n < 2)
        return usage(a, w->n ? &w->v[0] : &(struct scn_arg){ .pos = a->pos }, err);
    const char *verb = w->v[0].text;
    if (!strcmp(verb, "negotiate")) {
        for (size_t i = 2; i < w->n; i++) {
            const char *o = w->v[i].text;
            if (!strcmp(o, "standby=on"))
                *standby = true;
            else if (!strcmp(o, "standby=off"))
                *standby = false;
            else if (!strcmp(o, "order=low-high"))
                *high_first = false;
            else if (!strcmp(o, "order=high-low"))
                *high_first = true;
            else
                return scn_errf(err, &w->v[i].pos,
                                "guest negotiate: expected standby=on|off or "
                                "order=low-high|high-low, found '%s'",
                                o);
        }
        return 0;
    }
    if (!strcmp(verb, "eject") || !strcmp(verb, "reset")) {
        if (w->n != 2)
            return scn_errf(err, &w->v[2].pos, "guest %s takes one device id", verb);
        return 0;
    }
    if (!strcmp(verb, "power")) {
        if (w->n != 3 || (strcmp(w->v[2].text, "on") && strcmp(w->v[2].text, "off")))
            return scn_errf(err, &w->v[w->n > 2 ? 2 : 1].pos,
                            "guest power takes a device id and on or off");
        return 0;
    }
    if (!strcmp(verb, "indicator")) {
        if (w->n != 3 || (strcmp(w->v[2].text, "on") && strcmp(w->v[2].text, "off") &&
                          strcmp(w->v[2].text, "blink")))
            return scn_errf(err, &w->v[w->n > 2 ? 2 : 1].pos,
                            "guest indicator takes a device id and on, off or blink");
        return 0;
    }
    return usage(a, &w->v[0], err);
}

static int qtest_action(struct guest *g, const struct scn_action *a, bool dry_run,
                        struct sim_err *err)
{
    bool standby, high_first;
    if (check(a, err, &standby, &high_first) != 0)
        return -1;
    if (dry_run)
        return 0;
    const char *verb = a->words.v[0].text;
    const char *id = a->words.v[1].text;
    struct host *h = g->host;
    struct hw_pcidev *d = h ? qdev_find(h, id) : NULL;
    if (h && !host_vm_running(h)) {
        qtest_note(g, "skipped", "the VM is stopped");
        return 0;
    }
    if (!d) {
        char why[160];
        snprintf(why, sizeof(why), "%s: no device '%s'", verb, id);
        qtest_note(g, "error", why);
        return 0;
    }
    if (!strcmp(verb, "negotiate")) {
        if (!d->vn) {
            qtest_note(g, "error", "negotiate: not a virtio-net device");
            return 0;
        }
        hw_virtio_set_status(d, HW_VIRTIO_STATUS_ACKNOWLEDGE);
        hw_virtio_set_status(d, HW_VIRTIO_STATUS_ACKNOWLEDGE | HW_VIRTIO_STATUS_DRIVER);
        uint64_t f = hw_virtio_host_features(d) & ~((1ull << 28) | (1ull << 29));
        if (!standby)
            f &= ~(1ull << HW_VIRTIO_NET_F_STANDBY);
        if (high_first) {
            hw_virtio_write_features(d, 1, (uint32_t)(f >> 32));
            hw_virtio_write_features(d, 0, (uint32_t)f);
        } else {
            hw_virtio_write_features(d, 0, (uint32_t)f);
            hw_virtio_write_features(d, 1, (uint32_t)(f >> 32));
        }
        /* the primary's plug may have freed nothing, but d is still ours */
        d = qdev_find(h, id);
        if (d) {
            hw_virtio_set_status(d, HW_VIRTIO_STATUS_ACKNOWLEDGE | HW_VIRTIO_STATUS_DRIVER |
                                        HW_VIRTIO_STATUS_FEATURES_OK);
            hw_virtio_set_status(d, HW_VIRTIO_STATUS_ACKNOWLEDGE | HW_VIRTIO_STATUS_DRIVER |
                                        HW_VIRTIO_STATUS_FEATURES_OK |
                                        HW_VIRTIO_STATUS_DRIVER_OK);
        }
        return 0;
    }
    if (!strcmp(verb, "reset")) {
        hw_virtio_set_status(d, 0);
        return 0;
    }
    if (!d->parent || !d->parent->port) {
        qtest_note(g, "error", "eject/power: the device is not behind a hotplug slot");
        return 0;
    }
    if (!strcmp(verb, "eject") && !h->native_hotplug) {
        hw_acpi_pcihp_eject(h, qdev_bus(d), 1u << (d->devfn >> 3));
        return 0;
    }
    struct hw_port *p = d->parent->port;
    uint16_t ctl = hw_port_sltctl(p) & (uint16_t) ~(HW_SLTCTL_PCC | HW_SLTCTL_PIC);
    if (!strcmp(verb, "indicator")) {
        const char *s = a->words.v[2].text;
        uint16_t pic = !strcmp(s, "on")    ? HW_SLTCTL_PWR_IND_ON
                       : !strcmp(s, "off") ? HW_SLTCTL_PWR_IND_OFF
                                           : HW_SLTCTL_PWR_IND_BLINK;
        hw_port_sltctl_write(p, (uint16_t)((hw_port_sltctl(p) & ~HW_SLTCTL_PIC) | pic));
        return 0;
    }
    bool on = !strcmp(verb, "power") && !strcmp(a->words.v[2].text, "on");
    hw_port_sltctl_write(p, on ? (uint16_t)(ctl | HW_SLTCTL_PWR_IND_ON)
                               : (uint16_t)(ctl | HW_SLTCTL_PCC | HW_SLTCTL_PWR_IND_OFF));
    return 0;
}

const struct guest_profile guest_profile_qtest = {
    .name = "qtest",
    .action = qtest_action,
};
