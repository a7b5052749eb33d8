/*
 * The guest's virtio_net driver, as far as failover sees it
 * (linux-guest.md 1.3 and 2.1, rules G-01..G-09; bugs 2, 9, 10, 11).
 *
 * Probe follows the virtio core and virtnet_probe of Linux 6.1:
 * reset, ACKNOWLEDGE, DRIVER; read the device's features and keep those the
 * driver knows; virtnet_validate (STANDBY without MAC is dropped on 6.3+,
 * G-01; an MTU below 68 drops VIRTIO_NET_F_MTU); write the feature words,
 * low then high (the two writes QEMU sees, H-20); FEATURES_OK; then the
 * standby netdev: MAC from config (or random), MTU range, the failover
 * master created *before* the standby registers (G-02), register, DRIVER_OK,
 * carrier from the config's status (G-06) or on without STATUS (G-07).
 * Removal unregisters the standby, then destroys the instance (G-09).
 * When the standby cannot register (knob fault virtio-register) the master
 * is destroyed again (G-03) and the probe fails.
 *
 * The probe takes guest time, as recorded under TCG (FINDINGS.md section 2,
 * traces/real): FEATURES_OK (QEMU then announces FAILOVER_NEGOTIATED and
 * plugs the primary) is followed by the virtqueue set-up, so the master
 * registers ~14 ms later (13.3-21.6 ms) and the standby ~4.5 ms after it
 * (4.1-4.9 ms); pciehp's plug lines come in between.  The PCI core's
 * module load waits for the probe to finish.
 *
 * A virtio device is named virtioN (lowest free N); the standby and the
 * master have it as parent, which is what makes the standby "the standby"
 * (G-19) and what their console lines print ("virtio_net virtio0 eth0: ").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnet_int.h"
#include "sim/host.h"
#include "sim/world.h"

/* The feature bits Linux 6.1's virtio_net and virtio core accept. */
static const unsigned known_features[] = {
    0,  /* CSUM */
    1,  /* GUEST_CSUM */
    2,  /* CTRL_GUEST_OFFLOADS */
    3,  /* MTU */
    5,  /* MAC */
    7,  /* GUEST_TSO4 */
    8,  /* GUEST_TSO6 */
    9,  /* GUEST_ECN */
    10, /* GUEST_UFO */
    11, /* HOST_TSO4 */
    12, /* HOST_TSO6 */
    13, /* HOST_ECN */
    15, /* MRG_RXBUF */
    16, /* STATUS */
    17, /* CTRL_VQ */
    18, /* CTRL_RX */
    19, /* CTRL_VLAN */
    21, /* GUEST_ANNOUNCE */
    22, /* MQ */
    23, /* CTRL_MAC_ADDR */
    28, /* RING_INDIRECT_DESC */
    29, /* RING_EVENT_IDX */
    32, /* VERSION_1 */
    33, /* ACCESS_PLATFORM */
    34, /* RING_PACKED */
    62, /* STANDBY */
    63, /* SPEED_DUPLEX */
};

#define F(bit) ((uint64_t)1 << (bit))

/* Guest time of virtnet_probe's steps after FEATURES_OK (medians of the
 * recorded runs). */
#define PROBE_VQS SIM_US(13600)    /* FEATURES_OK -> the master registered */
#define PROBE_STANDBY SIM_US(4500) /* the master -> the standby registered */

enum vnet_step {
    VS_MASTER,  /* init_vqs done: create the failover master, then register */
    VS_STANDBY, /* register the standby, DRIVER_OK */
};

struct vnet {
    struct guest *g;
    struct gpci_dev *pdev;
    int index;                  /* N of virtioN */
    enum vnet_step step;        /* the probe's next step */
    struct guest_timer probe;   /* the probe's steps */
    bool ready;                 /* probe done: receive queues are up */
    bool failed;                /* the probe failed: the virtio device stays, driverless */
    uint8_t mac[6];             /* the standby's MAC (config or random) */
    bool mac_random;
    struct gnd_parent parent;   /* the virtio device */
    uint64_t features;          /* negotiated */
    struct gnetdev *dev;        /* the standby (or plain) netdev */
    struct failover *failover;  /* with STANDBY */
    uint16_t status;            /* vi->status: last link bit seen */
    struct guest_timer config_work;
    bool config_enabled;        /* the virtio core passes config changes to the driver */
    bool config_pending;        /* ... and keeps one that came while it did not */
    unsigned announces;         /* peer notifications sent (G-08) */
    sim_time announced_at;      /* uptime of the last one */
};

/* From df28de7b0050 (6.11, "synchronize operstate with admin state") the
 * driver keeps config changes disabled until ndo_open and drops carrier at
 * ndo_stop; with the fix of bug 9 (taken as present) a change that came in
 * the meantime, an ANNOUNCE included, is handled once the device is open. */
static bool config_until_open(const struct guest *g)
{
    return gnet_kernel_at_least(g, 6, 11);
}

static bool has(const struct vnet *vi, unsigned bit)
{
    return (vi->features & F(bit)) != 0;
}

const char *virtio_net_devname(const struct gnetdev *nd)
{
    return nd->parent.bus == GND_BUS_VIRTIO ? nd->parent.name : NULL;
}

/* ---- net device operations ------------------------------------------------------------------ */

static enum frame_drop vnet_xmit(struct gnetdev *nd, const struct frame *f)
{
    struct vnet *vi = gnetdev_priv(nd);
    struct hw_pcidev *hw = gpci_hw(vi->pdev);
    if (!hw || vi->pdev->disconnected)
        return FRAME_DROP_DEVICE_GONE;
    return hw_nic_tx(hw, f);
}

static int vnet_set_mac(struct gnetdev *nd, const uint8_t mac[6])
{
    (void)mac;
    struct vnet *vi = gnetdev_priv(nd);
    /* IMP: G-05 */
    if (has(vi, HW_VIRTIO_NET_F_STANDBY))
        return -GNET_EOPNOTSUPP;
    return 0;
}

static int vnet_phys_port_name(struct gnetdev *nd, char *buf, size_t len)
{
    struct vnet *vi = gnetdev_priv(nd);
    /* IMP: G-04 */
    if (!has(vi, HW_VIRTIO_NET_F_STANDBY))
        return -GNET_EOPNOTSUPP;
    sim_strlcpy(buf, "sby", len);
    return 0;
}

static void config_enable(struct vnet *vi);

/* dev_open -> dev_set_rx_mode -> virtnet_set_rx_mode: the receive filter
 * (promiscuous/all-multicast, the MAC tables) goes to the device through
 * the control queue; QEMU answers with NIC_RX_FILTER_CHANGED.  From 6.11
 * open also turns config changes on (and with them the carrier). */
static int vnet_open(struct gnetdev *nd)
{
    struct vnet *vi = gnetdev_priv(nd);
    struct hw_pcidev *hw = gpci_hw(vi->pdev);
    if (hw && !vi->pdev->disconnected && has(vi, 17 /* CTRL_VQ */) && has(vi, 18 /* CTRL_RX */))
        hw_virtio_net_rx_filter(hw);
    if (config_until_open(vi->g) && has(vi, HW_VIRTIO_NET_F_STATUS)) {
        /* IMP: L6.9 the config work, and a pending ANNOUNCE, run once open */
        vi->config_pending = true;
        config_enable(vi);
    }
    return 0;
}

static int vnet_stop(struct gnetdev *nd)
{
    struct vnet *vi = gnetdev_priv(nd);
    if (config_until_open(vi->g) && has(vi, HW_VIRTIO_NET_F_STATUS)) {
        /* virtio_config_driver_disable, cancel_work_sync; the carrier follows
         * the admin state */
        vi->config_enabled = false;
        guest_timer_cancel(&vi->config_work);
        vi->status = 0;
        gnetdev_carrier_off(nd);
    }
    return 0;
}

static const struct gnetdev_ops virtnet_ops = {
    .xmit = vnet_xmit,
    .open = vnet_open,
    .stop = vnet_stop,
    .set_mac = vnet_set_mac,
    .phys_port_name = vnet_phys_port_name,
};

/* ---- peer notification (G-08, bug 11) ---------------------------------------------------------
 *
 * netdev_notify_peers on the standby: IPv4 has no address there, so no
 * gratuitous ARP; IPv6 sends an unsolicited neighbour advertisement for
 * the standby's own link-local address if it has one (6.1: yes; 6.2+ puts
 * IFF_NO_ADDRCONF on slaves, so nothing at all).  The master's 10.0.2.15
 * is never announced.
 */
static uint16_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)(p[n - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static void send_unsolicited_na(struct vnet *vi)
{
    struct gnetdev *nd = vi->dev;
    const uint8_t *mac = nd->dev_addr;
    uint8_t b[86] = { 0x33, 0x33, 0, 0, 0, 1 };
    memcpy(b + 6, mac, 6);
    b[12] = 0x86, b[13] = 0xdd;
    uint8_t *ip = b + 14, *icmp = b + 54;
    ip[0] = 0x60, ip[5] = 32, ip[6] = 58, ip[7] = 255; /* payload 32, ICMPv6, hop 255 */
    uint8_t src[16] = { 0xfe, 0x80 }, dst[16] = { 0xff, 0x02 };
    dst[15] = 1;
    src[8] = mac[0] ^ 2, src[9] = mac[1], src[10] = mac[2], src[11] = 0xff, src[12] = 0xfe;
    src[13] = mac[3], src[14] = mac[4], src[15] = mac[5];
    memcpy(ip + 8, src, 16);
    memcpy(ip + 24, dst, 16);
    icmp[0] = 136;        /* neighbour advertisement */
    icmp[4] = 0x20;       /* override */
    memcpy(icmp + 8, src, 16);
    icmp[24] = 2, icmp[25] = 1; /* target link-layer address option */
    memcpy(icmp + 26, mac, 6);
    uint8_t pseudo[40] = { 0 };
    memcpy(pseudo, src, 16);
    memcpy(pseudo + 16, dst, 16);
    pseudo[35] = 32, pseudo[39] = 58;
    uint32_t sum = csum_add(0, pseudo, sizeof(pseudo));
    uint16_t c = (uint16_t)~csum_add(sum, icmp, 32);
    icmp[2] = (uint8_t)(c >> 8), icmp[3] = (uint8_t)c;
    struct frame f = { .data = b, .len = sizeof(b), .caplen = sizeof(b), .born = vi->g->w->now };
    gnetdev_queue_xmit(nd, &f);
}

/* netdev_notify_peers: takes RTNL (bug 9: from under RTNL it hangs). */
static void notify_peers(struct vnet *vi)
{
    struct gnetdev *nd = vi->dev;
    struct gnet *n = gnet_of(vi->g);
    gnet_rtnl_lock(n);
    vi->announces++;
    vi->announced_at = guest_uptime(vi->g);
    if (nd->up && nd->ipv6_ready && !(nd->priv_flags & GND_IFF_NO_ADDRCONF))
        send_unsolicited_na(vi);
    gnet_rtnl_unlock(n);
}

unsigned virtio_net_announces(const struct gnetdev *nd, sim_time *last)
{
    const struct vnet *vi = nd->parent.bus == GND_BUS_VIRTIO ? nd->parent.id : NULL;
    if (last)
        *last = vi && vi->announces ? vi->announced_at : SIM_TIME_NONE;
    return vi ? vi->announces : 0;
}

/* ---- config changes (virtnet_config_changed_work) ---------------------------------------------- */

static void config_work(struct guest *g, struct guest_timer *t)
{
    struct vnet *vi = SIM_CONTAINER_OF(t, struct vnet, config_work);
    (void)g;
    struct hw_pcidev *hw = gpci_hw(vi->pdev);
    if (!hw || !has(vi, HW_VIRTIO_NET_F_STATUS))
        return;
    uint16_t v = hw_virtio_net_status(hw);
    /* IMP: G-08 the announce goes out on the standby, then is acknowledged */
    if (v & HW_VIRTIO_NET_S_ANNOUNCE) {
        notify_peers(vi);
        if (has(vi, 21) && has(vi, 17)) /* GUEST_ANNOUNCE over the control queue */
            hw_virtio_net_announce_ack(hw);
    }
    /* IMP: G-06 only the link bit counts */
    v &= HW_VIRTIO_NET_S_LINK_UP;
    if (vi->status == v)
        return;
    vi->status = v;
    if (v) {
        gnetdev_carrier_on(vi->dev);
        gnetdev_tx_wake_all(vi->dev);
    } else {
        gnetdev_carrier_off(vi->dev);
        gnetdev_tx_stop_all(vi->dev);
    }
}

/* virtio_config_changed: the driver's handler while config changes are
 * enabled, else kept for when they are (virtio_config_enable). */
static void vnet_config_changed(struct guest *g, struct gpci_dev *pdev)
{
    (void)g;
    struct vnet *vi = pdev->drvdata;
    if (!vi || vi->failed)
        return;
    if (!vi->ready || !vi->config_enabled) {
        vi->config_pending = true;
        return;
    }
    guest_timer_arm(&vi->config_work, 0); /* schedule_work */
}

/* virtio_config_enable / virtio_config_driver_enable: a change kept meanwhile
 * is handled now -- by the work, never from under the caller's locks. */
static void config_enable(struct vnet *vi)
{
    vi->config_enabled = true;
    if (vi->config_pending) {
        vi->config_pending = false;
        guest_timer_arm(&vi->config_work, 0);
    }
}

static void vnet_rx(struct guest *g, struct gpci_dev *pdev, const struct frame *f)
{
    struct vnet *vi = pdev->drvdata;
    if (vi && vi->ready)
        gnetdev_rx(vi->dev, f);
    else /* no receive queue yet */
        guest_rx_drop(g, f, OBS_ROLE_UNKNOWN, FRAME_DROP_NO_DRIVER);
}

/* ---- probe / remove ---------------------------------------------------------------------------------- */

static bool vnet_match(const struct guest *g, const struct hw_pci_info *info)
{
    return g->cfg.failover_driver && info->kind == HW_DEV_VIRTIO_NET;
}

static int alloc_index(struct gnet *n)
{
    for (int i = 0; i < GNET_MAX_VIRTIO; i++) {
        if (!n->virtio[i])
            return i;
    }
    return -1;
}

/* Feature negotiation (virtio_dev_probe + virtnet_validate). */
static uint64_t negotiate(struct vnet *vi, struct hw_pcidev *hw)
{
    struct guest *g = vi->g;
    uint64_t offered = hw_virtio_host_features(hw), mask = 0;
    for (size_t i = 0; i < SIM_ARRAY_SIZE(known_features); i++)
        mask |= F(known_features[i]);
    if (!g->cfg.standby_accept)
        mask &= ~F(HW_VIRTIO_NET_F_STANDBY);
    uint64_t feat = offered & mask;
    /* IMP: G-01 */
    if ((feat & F(HW_VIRTIO_NET_F_STANDBY)) && !(feat & F(HW_VIRTIO_NET_F_MAC)) &&
        g->cfg.standby_needs_mac) {
        gnd_parent_log(g, &vi->parent,
                       "device advertises feature VIRTIO_NET_F_STANDBY but not "
                       "VIRTIO_NET_F_MAC, disabling standby");
        feat &= ~F(HW_VIRTIO_NET_F_STANDBY);
    }
    if ((feat & F(HW_VIRTIO_NET_F_MTU)) && hw_virtio_net_mtu(hw) < 68)
        feat &= ~F(HW_VIRTIO_NET_F_MTU);
    /* vp_modern_set_features: the low word, then the high word */
    hw_virtio_write_features(hw, 0, (uint32_t)feat);
    hw_virtio_write_features(hw, 1, (uint32_t)(feat >> 32));
    return feat;
}

/*
 * Undo a probe that failed after FEATURES_OK (virtnet_probe's error path).
 * virtio-pci's own probe succeeded: the function stays bound and the
 * virtio device (virtioN) stays, without a driver, until the function is
 * removed; the driver core reports the failure under the virtio device's
 * name (silently for -ENODEV).
 */
static void probe_failed(struct vnet *vi, int err)
{
    struct gpci_dev *pdev = vi->pdev;
    if (vi->failover) /* IMP: G-03 free_failover: the master is destroyed */
        net_failover_destroy(vi->failover);
    vi->failover = NULL;
    if (vi->dev)
        gnetdev_free(vi->dev);
    vi->dev = NULL;
    struct hw_pcidev *hw = gpci_hw(pdev);
    if (hw)
        hw_virtio_set_status(hw, 0); /* virtio_reset_device */
    guest_timer_cancel(&vi->probe);
    vi->failed = true;
    if (err != -GNET_ENODEV)
        guest_log(vi->g, "virtio_net: probe of %s failed with error %d", vi->parent.name, err);
    gpci_probe_done(pdev, 0);
}

static void probe_step(struct guest *g, struct guest_timer *t)
{
    struct vnet *vi = SIM_CONTAINER_OF(t, struct vnet, probe);
    struct hw_pcidev *hw = gpci_hw(vi->pdev);
    int err;
    switch (vi->step) {
    case VS_MASTER: {
        if (!hw) { /* surprise-removed while the queues were set up */
            probe_failed(vi, -GNET_ENODEV);
            return;
        }
        struct gnetdev *nd = gnetdev_alloc_on(g, "virtio_net", &vi->parent, &virtnet_ops, vi);
        vi->dev = nd;
        uint8_t *mac = vi->mac;
        bool random = vi->mac_random = !has(vi, HW_VIRTIO_NET_F_MAC);
        if (!random) {
            struct hw_pci_info info;
            hw_pci_info(hw, &info);
            memcpy(mac, info.mac, 6);
        } else {
            sim_rng_mac(&g->rng, mac);
            gnd_parent_log(g, &vi->parent,
                           "Assigned random MAC address %02x:%02x:%02x:%02x:%02x:%02x", mac[0],
                           mac[1], mac[2], mac[3], mac[4], mac[5]);
        }
        memcpy(nd->dev_addr, mac, 6); /* the master copies it before registration */
        if (has(vi, HW_VIRTIO_NET_F_MTU)) {
            /* bug 10: the device's MTU is also the maximum */
            unsigned mtu = hw_virtio_net_mtu(hw);
            gnetdev_set_mtu_range(nd, mtu, 68, mtu);
        } else {
            gnetdev_set_mtu_range(nd, 1500, 68, 65535);
        }
        /* IMP: G-02 the master first; its failure fails the probe */
        if (has(vi, HW_VIRTIO_NET_F_STANDBY)) {
            vi->failover = net_failover_create(nd, &err);
            if (!vi->failover) {
                probe_failed(vi, err);
                return;
            }
        }
        vi->step = VS_STANDBY;
        guest_timer_arm(&vi->probe, has(vi, HW_VIRTIO_NET_F_STANDBY) ? PROBE_STANDBY : 0);
        return;
    }
    case VS_STANDBY: {
        struct gnetdev *nd = vi->dev;
        struct gnet *n = gnet_of(g);
        /* serialize register_netdevice + virtio_device_ready with ndo_open */
        gnet_rtnl_lock(n);
        /* IMP: knob fault virtio-register: register_netdevice fails (failslab) */
        err = g->cfg.fault_virtio_register ? -GNET_ENOMEM
                                           : gnetdev_register(nd, vi->mac, vi->mac_random);
        if (err) {
            gnet_rtnl_unlock(n);
            probe_failed(vi, err);
            return;
        }
        if (hw)
            hw_virtio_set_status(hw, HW_VIRTIO_STATUS_ACKNOWLEDGE | HW_VIRTIO_STATUS_DRIVER |
                                         HW_VIRTIO_STATUS_FEATURES_OK |
                                         HW_VIRTIO_STATUS_DRIVER_OK);
        vi->ready = true;
        gnet_rtnl_unlock(n);
        /* IMP: G-07 carrier from config with STATUS, else assumed on */
        gnetdev_carrier_off(nd);
        if (has(vi, HW_VIRTIO_NET_F_STATUS)) {
            if (!config_until_open(g)) { /* the virtio core enables config changes */
                vi->config_pending = true;
                config_enable(vi);
            } /* else ndo_open will (it may have run already, from the enslave) */
        } else {
            vi->status = HW_VIRTIO_NET_S_LINK_UP;
            gnetdev_carrier_on(nd);
        }
        gpci_probe_done(vi->pdev, 0);
        return;
    }
    }
    SIM_ASSERT(!"unhandled probe step");
}

static int vnet_probe(struct guest *g, struct gpci_dev *pdev)
{
    struct gnet *n = gnet_of(g);
    struct hw_pcidev *hw = gpci_hw(pdev);
    if (!hw)
        return -GNET_ENODEV;
    int index = alloc_index(n);
    if (index < 0)
        return -GNET_ENOMEM;
    struct vnet *vi = sim_xcalloc(1, sizeof(*vi));
    vi->g = g;
    vi->pdev = pdev;
    vi->index = index;
    n->virtio[index] = vi;
    vi->parent = (struct gnd_parent){ .bus = GND_BUS_VIRTIO, .id = vi };
    snprintf(vi->parent.name, sizeof(vi->parent.name), "virtio%d", index);
    sim_strlcpy(vi->parent.driver, "virtio_net", sizeof(vi->parent.driver));
    guest_timer_init(&vi->config_work, g, config_work, "virtnet-config-work");
    guest_timer_init(&vi->probe, g, probe_step, "virtnet-probe");
    pdev->drvdata = vi;

    uint8_t status = HW_VIRTIO_STATUS_ACKNOWLEDGE;
    hw_virtio_set_status(hw, 0);
    hw_virtio_set_status(hw, status);
    status |= HW_VIRTIO_STATUS_DRIVER;
    hw_virtio_set_status(hw, status);
    vi->features = negotiate(vi, hw);
    status |= HW_VIRTIO_STATUS_FEATURES_OK;
    hw_virtio_set_status(hw, status);
    /* virtnet_probe: the queues, then the net devices (guest time) */
    vi->step = VS_MASTER;
    guest_timer_arm(&vi->probe, PROBE_VQS);
    return GPCI_ASYNC;
}

static int vnet_remove(struct guest *g, struct gpci_dev *pdev, bool surprise)
{
    (void)surprise;
    struct gnet *n = gnet_of(g);
    struct vnet *vi = pdev->drvdata;
    if (!vi)
        return 0;
    SIM_ASSERT(vi->ready || vi->failed); /* the PCI core never removes during a probe */
    guest_timer_cancel(&vi->probe);
    guest_timer_cancel(&vi->config_work);
    if (vi->failed) { /* virtio-pci removes the driverless virtio device */
        n->virtio[vi->index] = NULL;
        pdev->drvdata = NULL;
        free(vi);
        return 0;
    }
    /* IMP: G-09 the standby leaves first, then the instance and master */
    gnetdev_unregister(vi->dev);
    if (vi->failover)
        net_failover_destroy(vi->failover);
    struct hw_pcidev *hw = gpci_hw(pdev);
    if (hw && !pdev->disconnected)
        hw_virtio_set_status(hw, 0);
    n->virtio[vi->index] = NULL;
    pdev->drvdata = NULL;
    free(vi);
    return 0;
}

const struct guest_driver virtio_net_driver = {
    .name = "virtio_net",
    .match = vnet_match,
    .probe = vnet_probe,
    .remove = vnet_remove,
    .config_changed = vnet_config_changed,
    .rx = vnet_rx,
};
