/*
 * The primary's drivers: e1000e (QEMU's emulated primary, the recorded one)
 * and a passed-through VF's driver (iavf, ixgbevf or mlx5_core, knob
 * primary-driver).
 *
 * e1000e, as recorded with Linux 6.1 (FINDINGS.md sections 2, 3; the 40
 *   hot-adds of traces/real and the earlier runs):
 *   probe   "enabling device (0000 -> 0002)", 3.4-7.4 ms later "Interrupt
 *           Throttling Rate ...", 47-65 ms later "0000:02:00.0
 *           (uninitialized): registered PHC clock" (the netdev still
 *           carries the PCI name), 118-142 ms later (e1000e_reset)
 *           register_netdev (net_failover's "registered" line comes from
 *           inside it) and the three device-info lines.  On a target's
 *           first hot-add (guest.cold: the code runs for the first time in
 *           that QEMU process) the steps take 17.8-30, 57.7-72 and 137-170
 *           ms.  (A few recorded probes took only 55-65 ms to register,
 *           with no pattern the model can tell; they are left out.)
 *   link    the watchdog timer runs at open and then every round_jiffies(2
 *           s); it queues the watchdog task, which reads the PHY and
 *           reports 5-45 ms later (recorded: link lines 16-77 ms after the
 *           whole second, the timer wheel's bucket taking 4-32 of it); the
 *           run at open still finds autonegotiation going on, so "NIC Link
 *           is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx" comes at the
 *           next one, ~2 s after open on a whole second of jiffies
 *           (recorded: 1.86-2.9 s, at the same fraction of a second in one
 *           boot); a link-change interrupt (set_link) runs it at the next
 *           tick;
 *   close   "NIC Link is Down" (e1000e_close);
 *   remove  "removed PHC", 62-70 ms later unregister_netdev (which closes:
 *           "NIC Link is Down", then failover's "unregistered").
 * The VF drivers follow their drivers' source texts (not recorded here; see
 * doc/guest.md): iavf and ixgbevf make up a random MAC when the PF gave
 * none, iavf/mlx5 report link from the PF shortly after open.
 *
 * Knob primary-mac random: the driver registers a random MAC (no permanent
 * address, G-18), whatever the device offers.
 *
 * Knob primary-link infiniband: the ConnectX VF's port runs InfiniBand, so
 * after mlx5_core the IB stack (mlx5_ib, ib_ipoib) registers the VF's net
 * device: ibN, ARPHRD_INFINIBAND, a 20-byte address (flags and QP number,
 * then the port GID fe80::GUID, the GUID the PF gave the VF, derived from
 * its MAC as mlx5 administrators commonly do: bytes 0-2, ff:fe, bytes 3-5).
 * Failover never considers it (G-16).  IPoIB prints no line of its own at
 * registration or on carrier changes; the wording of ConnectX VFs is not
 * recorded here.
 */

/* The UD QP number the model gives an IPoIB interface (the HCA allocates
 * one; its value only shows in the address's bytes 1-3). */
#define IPOIB_QPN 0x000048u
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnet_int.h"
#include "guest_linux.h"
#include "guest_pci.h"
#include "sim/host.h"
#include "sim/world.h"

enum nic_step {
    NS_IDLE,
    NS_PROBE_ITR,      /* e1000e: interrupt throttling line */
    NS_PROBE_PHC,      /* e1000e: PHC registered */
    NS_PROBE_REGISTER, /* register_netdev and the info lines */
    NS_REMOVE,         /* unregister_netdev, then the core frees the function */
};

/* What differs between the drivers. */
struct nic_model {
    const char *name;
    const char *banner[2];  /* module init lines ("name: ..."), NULL-terminated */
    sim_time probe_min, probe_max;     /* enable -> register_netdev */
    sim_time remove_min, remove_max;   /* first remove line -> unregister */
    bool link_on_netdev;    /* link lines name the netdev ("drv pci ethN:") */
    const char *link_up;
    const char *link_down;
    bool down_at_close;     /* close prints link_down (e1000e) */
    bool watchdog;          /* link polled by a 2 s round_jiffies watchdog */
    sim_time link_latency;  /* without watchdog: open -> link reported */
};

static const struct nic_model models[] = {
    {
        .name = "e1000e",
        .banner = { "Intel(R) PRO/1000 Network Driver",
                    "Copyright(c) 1999 - 2015 Intel Corporation." },
        .remove_min = SIM_MS(62), .remove_max = SIM_MS(70),
        .link_on_netdev = true,
        .link_up = "NIC Link is Up 1000 Mbps Full Duplex, Flow Control: Rx/Tx",
        .link_down = "NIC Link is Down",
        .down_at_close = true,
        .watchdog = true,
    },
    {
        .name = "iavf",
        .banner = { "Intel(R) Ethernet Adaptive Virtual Function Network Driver",
                    "Copyright (c) 2013 - 2018 Intel Corporation." },
        .probe_min = SIM_MS(60), .probe_max = SIM_MS(120),
        .remove_min = SIM_MS(20), .remove_max = SIM_MS(40),
        .link_on_netdev = true,
        .link_up = "NIC Link is Up Speed is 10 Gbps Full Duplex",
        .link_down = "NIC Link is Down",
        .link_latency = SIM_MS(150),
    },
    {
        .name = "ixgbevf",
        .banner = { "Intel(R) 10 Gigabit PCI Express Virtual Function Network Driver",
                    "Copyright (c) 2009 - 2018 Intel Corporation." },
        .probe_min = SIM_MS(40), .probe_max = SIM_MS(90),
        .remove_min = SIM_MS(20), .remove_max = SIM_MS(40),
        .link_on_netdev = false,
        .link_up = "NIC Link is Up 10 Gbps",
        .link_down = "NIC Link is Down",
        .watchdog = true,
    },
    {
        .name = "mlx5_core",
        .probe_min = SIM_MS(200), .probe_max = SIM_MS(400),
        .remove_min = SIM_MS(50), .remove_max = SIM_MS(100),
        .link_on_netdev = true,
        .link_up = "Link up",
        .link_down = "Link down",
        .link_latency = SIM_MS(100),
    },
};

static const struct nic_model *model_named(const char *name)
{
    for (size_t i = 0; i < SIM_ARRAY_SIZE(models); i++)
        if (strcmp(models[i].name, name) == 0)
            return &models[i];
    return NULL;
}

bool nic_vf_driver_known(const char *name)
{
    const struct nic_model *m = model_named(name);
    return m && strcmp(name, "e1000e") != 0;
}

const char *nic_vf_driver_name(const struct guest *g)
{
    return g->cfg.primary_driver;
}

/* A bound adapter. */
struct nic {
    struct guest *g;
    struct gpci_dev *pdev;
    const struct nic_model *m;
    struct gnetdev *nd;
    uint8_t mac[6];
    bool mac_random;
    enum nic_step step;
    struct guest_timer t;        /* probe/remove steps */
    struct guest_timer watchdog; /* link poll / report */
    struct guest_timer task;     /* e1000e: the watchdog task the timer queued */
    bool open;
    bool negotiating;            /* the watchdog run at open sees no link yet */
    bool ib;                     /* IPoIB on an InfiniBand port (knob primary-link) */
};

static sim_time jitter(struct guest *g, sim_time lo, sim_time hi)
{
    return sim_rng_between(glinux_rng(g), lo, hi);
}

static sim_time uptime(const struct nic *n)
{
    return guest_uptime(n->g);
}

/* "e1000e 0000:02:00.0 eth2: TEXT" or "ixgbevf 0000:02:00.0: TEXT" */
static void nic_log(const struct nic *n, bool on_netdev, const char *text)
{
    if (on_netdev && n->nd)
        guest_log(n->g, "%s %s %s: %s", n->m->name, n->pdev->name, gnetdev_name(n->nd), text);
    else
        guest_log(n->g, "%s %s: %s", n->m->name, n->pdev->name, text);
}

static void mac_text(const uint8_t m[6], char *buf, size_t len)
{
    snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

/* ---- link -------------------------------------------------------------------------------- */

static bool hw_link(struct nic *n)
{
    struct hw_pcidev *d = gpci_hw(n->pdev);
    return d && hw_nic_link_up(d);
}

static void report_link(struct nic *n, bool up)
{
    if (!n->nd || gnetdev_carrier_ok(n->nd) == up)
        return;
    if (n->ib) { /* IPoIB follows the port silently */
        if (up)
            gnetdev_carrier_on(n->nd);
        else
            gnetdev_carrier_off(n->nd);
        return;
    }
    if (up) {
        nic_log(n, n->m->link_on_netdev, n->m->link_up);
        gnetdev_carrier_on(n->nd);
    } else {
        nic_log(n, n->m->link_on_netdev, n->m->link_down);
        gnetdev_carrier_off(n->nd);
    }
}

/* e1000_watchdog_task: the PHY's link, the report, the timer again */
static void task_fire(struct guest *g, struct guest_timer *t)
{
    struct nic *n = SIM_CONTAINER_OF(t, struct nic, task);
    if (!n->open)
        return;
    bool link = !n->negotiating && hw_link(n);
    n->negotiating = false;
    report_link(n, link);
    /* mod_timer(&watchdog_timer, round_jiffies(jiffies + 2 * HZ)) */
    struct kclock *k = glinux_clock(g);
    uint64_t now = kclock_jiffies(k, uptime(n));
    uint64_t at = kclock_round_jiffies(now + 2 * KCLOCK_HZ, now);
    guest_timer_arm(&n->watchdog, kclock_timer_delay(k, uptime(n), at));
}

/* e1000_watchdog (the timer): queue the task */
static void watchdog_fire(struct guest *g, struct guest_timer *t)
{
    struct nic *n = SIM_CONTAINER_OF(t, struct nic, watchdog);
    if (!n->open)
        return;
    if (!n->m->watchdog) {
        report_link(n, hw_link(n));
        return;
    }
    if (!guest_timer_pending(&n->task))
        guest_timer_arm(&n->task, jitter(g, SIM_MS(5), SIM_MS(45)));
}

/* ---- net device operations ------------------------------------------------------------- */

static int nic_open(struct gnetdev *nd)
{
    struct nic *n = gnetdev_priv(nd);
    n->open = true;
    if (n->m->watchdog) {
        /* e1000e_open fires a link-change interrupt: the watchdog runs at
         * the next tick, while the PHY still negotiates */
        n->negotiating = true;
        struct kclock *k = glinux_clock(n->g);
        guest_timer_arm(&n->watchdog,
                        kclock_timer_delay(k, uptime(n), kclock_jiffies(k, uptime(n)) + 1));
    } else {
        guest_timer_arm(&n->watchdog, n->m->link_latency);
    }
    return 0;
}

static int nic_stop(struct gnetdev *nd)
{
    struct nic *n = gnetdev_priv(nd);
    n->open = false;
    guest_timer_cancel(&n->watchdog);
    guest_timer_cancel(&n->task);
    if (n->m->down_at_close && !n->pdev->disconnected)
        nic_log(n, true, n->m->link_down); /* e1000e_close */
    gnetdev_carrier_off(nd);
    return 0;
}

static enum frame_drop nic_xmit(struct gnetdev *nd, const struct frame *f)
{
    struct nic *n = gnetdev_priv(nd);
    struct hw_pcidev *d = gpci_hw(n->pdev);
    if (!d)
        return FRAME_DROP_DEVICE_GONE;
    return hw_nic_tx(d, f);
}

/* ndo_set_mac_address (e1000_set_mac, iavf_set_mac): a valid unicast address
 * is taken (a VF's PF is assumed to allow it); the permanent address stays
 * (G-17, G-18). */
static int nic_set_mac(struct gnetdev *nd, const uint8_t mac[6])
{
    static const uint8_t zero[6];
    if ((mac[0] & 1) || memcmp(mac, zero, 6) == 0)
        return -GNET_EINVAL; /* -EADDRNOTAVAIL in Linux: not a unicast address */
    struct nic *n = gnetdev_priv(nd);
    memcpy(n->mac, mac, 6);
    return 0;
}

static const struct gnetdev_ops nic_ops = {
    .open = nic_open,
    .stop = nic_stop,
    .xmit = nic_xmit,
    .set_mac = nic_set_mac,
};

/* ---- probe and remove ------------------------------------------------------------------ */

static void step_fire(struct guest *g, struct guest_timer *t);

static struct nic *nic_new(struct guest *g, struct gpci_dev *pdev, const struct nic_model *m)
{
    struct nic *n = sim_xcalloc(1, sizeof(*n));
    n->g = g;
    n->pdev = pdev;
    n->m = m;
    guest_timer_init(&n->t, g, step_fire, "nic-step");
    guest_timer_init(&n->watchdog, g, watchdog_fire, "nic-watchdog");
    guest_timer_init(&n->task, g, task_fire, "nic-watchdog-task");
    /* IMP: G-18 knob primary-mac random: a made-up MAC, no permanent address */
    n->mac_random = pdev->info.mac_random || !pdev->info.has_mac || g->cfg.primary_random_mac;
    if (n->mac_random)
        sim_rng_mac(glinux_rng(g), n->mac);
    else
        memcpy(n->mac, pdev->info.mac, 6);
    pdev->drvdata = n;
    return n;
}

static void nic_destroy(struct nic *n)
{
    guest_timer_cancel(&n->t);
    guest_timer_cancel(&n->watchdog);
    guest_timer_cancel(&n->task);
    n->pdev->drvdata = NULL;
    free(n);
}

/* The IPoIB hardware address: datagram mode (flags 0), the QP number, the
 * port's link-local GID fe80::GUID. */
static void ipoib_addr(const struct nic *n, uint8_t a[20])
{
    memset(a, 0, 20);
    a[1] = (uint8_t)(IPOIB_QPN >> 16), a[2] = (uint8_t)(IPOIB_QPN >> 8), a[3] = (uint8_t)IPOIB_QPN;
    a[4] = 0xfe, a[5] = 0x80;
    const uint8_t *m = n->mac;
    uint8_t guid[8] = { m[0], m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5] };
    memcpy(a + 12, guid, 8);
}

/* register_netdev and what the driver prints after it */
static int nic_register(struct nic *n)
{
    n->nd = gnetdev_alloc(n->g, n->m->name, n->pdev, &nic_ops, n);
    gnetdev_carrier_off(n->nd); /* "carrier off reporting is important ... before open" */
    int err;
    /* mlx5e has queue management ops: from 6.15 its ops run under the
     * instance lock (IPoIB does not) */
    if (!n->ib && strcmp(n->m->name, "mlx5_core") == 0)
        gnetdev_set_ops_locked(n->nd);
    if (n->ib) {
        uint8_t addr[20];
        ipoib_addr(n, addr);
        gnetdev_set_link(n->nd, GNETDEV_LINK_INFINIBAND);
        err = gnetdev_register_addr(n->nd, addr, sizeof(addr), false);
    } else {
        err = gnetdev_register(n->nd, n->mac, n->mac_random);
    }
    if (err) {
        gnetdev_free(n->nd);
        n->nd = NULL;
        return err;
    }
    char mac[24];
    mac_text(n->mac, mac, sizeof(mac));
    char line[96];
    if (strcmp(n->m->name, "e1000e") == 0) {
        snprintf(line, sizeof(line), "(PCI Express:2.5GT/s:Width x1) %s", mac);
        nic_log(n, true, line);
        nic_log(n, true, "Intel(R) PRO/1000 Network Connection");
        nic_log(n, true, "MAC: 3, PHY: 8, PBA No: 000000-000");
    } else if (strcmp(n->m->name, "iavf") == 0) {
        snprintf(line, sizeof(line), "MAC address: %s", mac);
        nic_log(n, false, line);
        nic_log(n, false, "GRO is enabled");
    } else if (strcmp(n->m->name, "ixgbevf") == 0) {
        nic_log(n, false, mac);
        nic_log(n, false, "MAC: 1");
        nic_log(n, false, "Intel(R) 82599 Virtual Function");
    }
    return 0;
}

static void step_fire(struct guest *g, struct guest_timer *t)
{
    struct nic *n = SIM_CONTAINER_OF(t, struct nic, t);
    struct gpci_dev *pdev = n->pdev;
    switch (n->step) {
    case NS_IDLE:
        return;
    case NS_PROBE_ITR:
        nic_log(n, false, "Interrupt Throttling Rate (ints/sec) set to dynamic conservative mode");
        n->step = NS_PROBE_PHC;
        guest_timer_arm(&n->t, g->cold ? jitter(g, SIM_US(57700), SIM_MS(72))
                                       : jitter(g, SIM_MS(47), SIM_MS(65)));
        return;
    case NS_PROBE_PHC:
        guest_log(g, "%s %s %s (uninitialized): registered PHC clock", n->m->name, pdev->name,
                  pdev->name);
        n->step = NS_PROBE_REGISTER;
        guest_timer_arm(&n->t, g->cold ? jitter(g, SIM_MS(137), SIM_MS(170))
                                       : jitter(g, SIM_MS(118), SIM_MS(142)));
        return;
    case NS_PROBE_REGISTER: {
        n->step = NS_IDLE;
        int err = nic_register(n);
        if (err) {
            nic_destroy(n);
            gpci_probe_done(pdev, err);
            return;
        }
        gpci_probe_done(pdev, 0);
        return;
    }
    case NS_REMOVE:
        n->step = NS_IDLE;
        if (n->nd)
            gnetdev_unregister(n->nd); /* closes first: "NIC Link is Down" */
        nic_destroy(n);
        gpci_remove_done(pdev);
        return;
    }
    SIM_ASSERT(!"unhandled nic step");
}

static int nic_remove(struct guest *g, struct gpci_dev *pdev, bool surprise)
{
    (void)surprise; /* the same lines either way; a disconnected device prints no close line */
    struct nic *n = pdev->drvdata;
    guest_timer_cancel(&n->t);
    if (strcmp(n->m->name, "e1000e") == 0)
        nic_log(n, true, "removed PHC"); /* e1000e_ptp_remove */
    n->step = NS_REMOVE;
    guest_timer_arm(&n->t, jitter(g, n->m->remove_min, n->m->remove_max));
    return GPCI_ASYNC;
}

static void nic_rx(struct guest *g, struct gpci_dev *pdev, const struct frame *f)
{
    struct nic *n = pdev->drvdata;
    if (n && n->nd)
        (void)gnetdev_rx(n->nd, f); /* the stack's verdict (link-down before
                                       open) reaches the rx hook */
    else /* still probing: no net device, no receive ring */
        guest_rx_drop(g, f, OBS_ROLE_UNKNOWN, FRAME_DROP_NO_DRIVER);
}

static void nic_link(struct guest *g, struct gpci_dev *pdev, bool up)
{
    (void)up; /* the driver reads the link itself */
    struct nic *n = pdev->drvdata;
    if (!n || !n->open)
        return;
    if (n->m->watchdog) {
        /* the link-change interrupt runs the watchdog at the next tick */
        struct kclock *k = glinux_clock(g);
        guest_timer_arm(&n->watchdog,
                        kclock_timer_delay(k, uptime(n), kclock_jiffies(k, uptime(n)) + 1));
        return;
    }
    guest_timer_arm(&n->watchdog, n->m->link_latency);
}

/* ---- e1000e -------------------------------------------------------------------------------- */

static bool e1000e_match(const struct guest *g, const struct hw_pci_info *info)
{
    (void)g;
    return info->kind == HW_DEV_E1000E;
}

static int e1000e_probe(struct guest *g, struct gpci_dev *pdev)
{
    struct nic *n = nic_new(g, pdev, &models[0]);
    nic_log(n, false, "enabling device (0000 -> 0002)");
    n->step = NS_PROBE_ITR;
    guest_timer_arm(&n->t, g->cold ? jitter(g, SIM_US(17800), SIM_MS(30))
                                   : jitter(g, SIM_US(3400), SIM_US(7400)));
    return GPCI_ASYNC;
}

const struct guest_driver e1000e_driver = {
    .name = "e1000e",
    .match = e1000e_match,
    .probe = e1000e_probe,
    .remove = nic_remove,
    .rx = nic_rx,
    .link = nic_link,
};

/* ---- VF drivers ---------------------------------------------------------------------------- */

static bool vf_match(const struct guest *g, const struct hw_pci_info *info)
{
    (void)g;
    return info->kind == HW_DEV_VFIO;
}

static int vf_probe(struct guest *g, struct gpci_dev *pdev)
{
    const struct nic_model *m = model_named(nic_vf_driver_name(g));
    SIM_ASSERT(m != NULL); /* the knob is checked when parsed */
    struct nic *n = nic_new(g, pdev, m);
    n->ib = g->cfg.primary_infiniband;
    if (n->mac_random && !n->ib) {
        if (strcmp(m->name, "iavf") == 0) {
            nic_log(n, false, "Invalid MAC address 00:00:00:00:00:00, using random");
        } else if (strcmp(m->name, "ixgbevf") == 0) {
            nic_log(n, false, "PF still in reset state.  Is the PF interface up?");
            nic_log(n, false, "Assigning random MAC address");
        }
    }
    n->step = NS_PROBE_REGISTER;
    guest_timer_arm(&n->t, jitter(g, m->probe_min, m->probe_max));
    return GPCI_ASYNC;
}

/* The PCI core names the driver by the model; the vf_driver table entry
 * carries the generic name and the knob picks the lines. */
const struct guest_driver vf_driver = {
    .name = "vf",
    .match = vf_match,
    .probe = vf_probe,
    .remove = nic_remove,
    .rx = nic_rx,
    .link = nic_link,
};

/* ---- module init and teardown --------------------------------------------------------------- */

void nic_module_init(struct guest *g, const struct guest_driver *drv)
{
    const struct nic_model *m = drv == &e1000e_driver ? &models[0]
                                                      : model_named(nic_vf_driver_name(g));
    for (size_t i = 0; m && i < SIM_ARRAY_SIZE(m->banner) && m->banner[i]; i++)
        guest_log(g, "%s: %s", m->name, m->banner[i]);
}

void nic_release(struct gpci_dev *pdev)
{
    if ((pdev->drv == &e1000e_driver || pdev->drv == &vf_driver) && pdev->drvdata)
        nic_destroy(pdev->drvdata);
}
