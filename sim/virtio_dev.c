/*
 * The virtio-net device of QEMU 7.2 and its failover logic
 * (hw/net/virtio-net.c, hw/virtio/virtio.c, virtio-pci's feature words).
 *
 * A standby (failover=on) offers VIRTIO_NET_F_STANDBY, hides the device
 * that names it in failover_pair_id until the guest negotiates STANDBY,
 * then creates it through the normal device-add path; around a migration
 * it asks the guest to unplug the primary and plugs it back if the
 * migration fails.  The feature set offered otherwise is QEMU's default for
 * a peer without a vnet header (user networking): no checksum or
 * segmentation offloads.
 */
#include <stdio.h>
#include <string.h>

#include "host_int.h"
#include "sim/mutant.h"

#define F(bit) ((uint64_t)1 << (bit))

/* virtio_net_get_features with QEMU 7.2's defaults. */
static uint64_t default_features(const struct hw_pcidev *d)
{
    uint64_t f = F(HW_VIRTIO_NET_F_MAC) | F(15) /* MRG_RXBUF */ | F(HW_VIRTIO_NET_F_STATUS) |
                 F(17) /* CTRL_VQ */ | F(18) /* CTRL_RX */ | F(19) /* CTRL_VLAN */ |
                 F(20) /* CTRL_RX_EXTRA */ | F(21) /* GUEST_ANNOUNCE */ |
                 F(23) /* CTRL_MAC_ADDR */ | F(27) /* ANY_LAYOUT */ |
                 F(28) /* INDIRECT_DESC */ | F(29) /* EVENT_IDX */ |
                 F(HW_VIRTIO_F_VERSION_1);
    struct hnetdev *nd = d->netdev ? hnetdev_find(d->h, d->netdev) : NULL;
    if (nd && !strcmp(nd->type, "tap")) /* a vnet header: the offloads */
        f |= F(0) | F(1) | F(2) | F(7) | F(8) | F(9) | F(11) | F(12) | F(13);
    return f;
}

void vnet_realize(struct hw_pcidev *d)
{
    struct vnet *vn = d->vn;
    struct host *h = d->h;
    vn->host_features = default_features(d);
    vn->net_status = HW_VIRTIO_NET_S_LINK_UP;
    if (vn->failover) {
        /* IMP: H-02 */
        vn->primary_hidden = !host_mut(h, MUT_PLUG_BEFORE_NEGOTIATION);
        vn->listening = true;
        vn->notifier = true;
        vn->reg_seq = ++h->reg_seq;
        vn->host_features |= F(HW_VIRTIO_NET_F_STANDBY); /* IMP: H-01 */
        if (!d->id && h->machine_ready) /* H-58 (cold-plugged: at start) */
            sim_emit_state(h->vm, h->id, "qdev", "virtio-net-pci", "standby-without-id",
                           "failover=on without id: no primary can name it");
    }
}

void vnet_unrealize(struct hw_pcidev *d)
{
    struct vnet *vn = d->vn;
    /* IMP: H-05: forget the primary's options, the listener, the notifier
     * (IMP: H-06: a plugged primary is left alone) */
    json_decref(vn->primary_opts);
    vn->primary_opts = NULL;
    vn->listening = false;
    vn->notifier = false;
    if (host_mut(d->h, MUT_STALE_NOTIFIER) && d->id) {
        struct host *h = d->h;
        h->ghosts = sim_xrealloc(h->ghosts, (h->nghosts + 1) * sizeof(char *));
        h->ghosts[h->nghosts++] = sim_xstrdup(d->id);
    }
}

unsigned vnet_standbys(struct host *h, struct vnet **out, unsigned max)
{
    unsigned n = 0;
    for (uint64_t seq = 1; seq <= h->reg_seq; seq++)
        for (struct hw_pcidev *d = h->devs; d; d = d->next)
            if (d->vn && d->vn->listening && d->vn->reg_seq == seq && n < max)
                out[n++] = d->vn;
    return n;
}

int vnet_hide_primary(struct vnet *vn, const json_t *opts, bool from_json, char *err,
                      size_t errlen)
{
    struct host *h = vn->d->h;
    if (!opts || !json_object_get(opts, "failover_pair_id")) /* IMP: H-09 */
        return 0;
    if (!json_object_get(opts, "id")) { /* IMP: H-10 */
        snprintf(err, errlen, "Device with failover_pair_id needs to have id");
        return -1;
    }
    const json_t *jp = json_object_get(opts, "failover_pair_id");
    const char *standby = json_is_string(jp) ? json_string_value(jp) : NULL;
    if (!standby || !vn->d->id || strcmp(standby, vn->d->id) != 0) /* IMP: H-04, H-11 */
        return 0;
    const char *nid = json_string_value(json_object_get(opts, "id"));
    if (vn->primary_opts) {
        const char *old = json_string_value(json_object_get(vn->primary_opts, "id"));
        if (old && nid && strcmp(old, nid) != 0 && !host_mut(h, MUT_SECOND_PRIMARY)) {
            /* IMP: H-12 */
            snprintf(err, errlen,
                     "Cannot attach more than one primary device to '%s': '%s' and '%s'",
                     vn->d->id, old, nid);
            return -1;
        }
    } else {
        /* IMP: H-13 */
        vn->primary_opts = json_deep_copy(opts);
        vn->primary_opts_from_json = from_json;
    }
    if (host_mut(h, MUT_NO_HIDE))
        return 0;
    return vn->primary_hidden ? 1 : 0; /* IMP: H-14, H-52 */
}

/* failover_add_primary (H-21, H-22). */
static void add_primary(struct vnet *vn)
{
    struct host *h = vn->d->h;
    struct hw_pcidev *p = qdev_find_primary(h, vn->d->id);
    if (p && !host_mut(h, MUT_READD_ON_RENEGOTIATION)) /* IMP: H-21, 6.2 */
        return;
    char err[256] = "";
    if (!vn->primary_opts) {
        if (!h->qtest) {
            host_warn(h, "Primary device not found");
            host_hint(h, "Virtio-net failover will not work. Make sure primary device "
                           "has parameter failover_pair_id=%s",
                        vn->d->id ? vn->d->id : "(null)");
        }
        return;
    }
    bool hidden;
    json_t *opts = json_incref(vn->primary_opts);
    struct hw_pcidev *d = qdev_device_add(h, opts, vn->primary_opts_from_json, &hidden, err,
                                          sizeof(err));
    json_decref(opts);
    if (!d && !hidden) {
        /* IMP: H-22: warn, drop the options */
        json_decref(vn->primary_opts);
        vn->primary_opts = NULL;
        if (!h->qtest)
            host_warn(h, "%s", err);
        return;
    }
    if (d)
        sim_emit_state(h->vm, h->id, "qdev", d->id ? d->id : "?", "plugged",
                       "failover primary added");
}

void vnet_set_features(struct vnet *vn, uint64_t features)
{
    struct host *h = vn->d->h;
    /* IMP: H-03: the core masks with the host features */
    features &= vn->host_features;
    vn->guest_features = features;
    if (!(features & F(HW_VIRTIO_NET_F_STANDBY)))
        return; /* IMP: H-23, H-24: nothing on the way back */
    if (!vn->failover) /* IMP: H-56 */
        return;
    /* IMP: H-19 */
    if (!(h->loading && host_mut(h, MUT_NO_TARGET_NEGOTIATED))) {
        json_t *data = json_object();
        json_object_set_new(data, "device-id", vn->d->id ? json_string(vn->d->id) : json_null());
        qmp_event(h, "FAILOVER_NEGOTIATED", data);
    }
    vn->primary_hidden = false;
    add_primary(vn); /* IMP: H-21, H-25 */
}

bool vnet_unplug_pending(struct vnet *vn)
{
    /* IMP: H-37, H-40: against the current guest features */
    if (!(vn->guest_features & F(HW_VIRTIO_NET_F_STANDBY)))
        return false;
    struct hw_pcidev *p = qdev_find_primary(vn->d->h, vn->d->id);
    return p ? p->pending_deleted_event : false;
}

/* virtio_net_handle_migration_primary, migration in setup. */
void vnet_migration_setup(struct vnet *vn)
{
    struct host *h = vn->d->h;
    struct hw_pcidev *p = qdev_find_primary(h, vn->d->id);
    if (!p || vn->primary_hidden) /* IMP: H-32 */
        return;
    /* IMP: H-33: without a hotplug handler (a primary on q35's root bus,
     * created before its standby) the unplug fails without an error */
    char err[256];
    if (!p->parent || !p->parent->port) {
        host_warn(h, "couldn't unplug primary device"); /* IMP: H-35 */
        return;
    }
    p->partially_hotplugged = true;
    char *pid = sim_xstrdup(p->id ? p->id : "");
    if (qdev_hotplug_unplug_request(p, err, sizeof(err)) != 0) {
        /* IMP: H-35 */
        host_stderr(h, "%s", err);
        host_warn(h, "couldn't unplug primary device");
        free(pid);
        return;
    }
    /* A slot that is already powered off completes the request at once;
     * with mutant delete-on-partial-eject that deletes the device: look
     * it up again. */
    p = qdev_find_primary(h, vn->d->id);
    /* IMP: H-34: vmstate out, event, hidden again */
    if (p)
        p->vmstate = false;
    json_t *data = json_object();
    json_object_set_new(data, "device-id", json_string(pid));
    qmp_event(h, "UNPLUG_PRIMARY", data);
    vn->primary_hidden = true;
    sim_emit_state(h->vm, h->id, "qdev", pid, "unplug-requested", "migration setup");
    free(pid);
}

void vnet_ghost_setup(struct host *h, const char *standby_id)
{
    struct hw_pcidev *p = qdev_find_primary(h, standby_id);
    char err[256];
    if (!p || p->partially_hotplugged)
        return;
    p->partially_hotplugged = true;
    if (qdev_hotplug_unplug_request(p, err, sizeof(err)) != 0)
        return;
    json_t *data = json_object();
    json_object_set_new(data, "device-id", json_string(p->id));
    qmp_event(h, "UNPLUG_PRIMARY", data);
}

/* virtio_net_handle_migration_primary, migration failed or cancelled. */
void vnet_migration_failed(struct vnet *vn)
{
    struct host *h = vn->d->h;
    struct hw_pcidev *p = qdev_find_primary(h, vn->d->id);
    if (!p || !p->partially_hotplugged) /* IMP: H-48 */
        return;
    if (host_mut(h, MUT_NO_REPLUG))
        return;
    /* IMP: H-47, H-49: plug back, whether or not the guest finished */
    vn->primary_hidden = false;
    if (p->parent && p->parent->port && h->native_hotplug) {
        struct hw_port *port = p->parent->port;
        if (port->sltsta & HW_SLTSTA_EIS) { /* pre-plug fails: flag stays */
            host_stderr(h, "slot is electromechanically locked");
            return;
        }
    }
    qdev_hotplug_plug(p);
    if (!host_mut(h, MUT_REPLUG_KEEPS_PARTIAL)) /* IMP: 6.8 */
        p->partially_hotplugged = false;
    sim_emit_state(h->vm, h->id, "qdev", p->id, "plugged", "replug after failed migration");
}

/* ---- sim/hw.h: the transport ---------------------------------------------------------- */

uint64_t hw_virtio_host_features(const struct hw_pcidev *d)
{
    return d->vn ? d->vn->host_features : 0;
}

void hw_virtio_write_features(struct hw_pcidev *d, unsigned word, uint32_t value)
{
    struct vnet *vn = d->vn;
    if (!vn || word > 1)
        return;
    if (vn->status & HW_VIRTIO_STATUS_FEATURES_OK)
        return; /* virtio_set_features refuses after FEATURES_OK */
    vn->gf[word] = value;
    /* IMP: H-20: every word write runs set_features with both words */
    vnet_set_features(vn, (uint64_t)vn->gf[1] << 32 | vn->gf[0]);
}

void hw_virtio_set_status(struct hw_pcidev *d, uint8_t status)
{
    struct vnet *vn = d->vn;
    if (!vn)
        return;
    if (status == 0) { /* reset: features cleared (H-24, H-40) */
        vn->status = 0;
        vn->gf[0] = vn->gf[1] = 0;
        vnet_set_features(vn, 0);
        return;
    }
    vn->status = status;
}

uint16_t hw_virtio_net_status(const struct hw_pcidev *d)
{
    return d->vn ? d->vn->net_status : 0;
}

uint16_t hw_virtio_net_mtu(const struct hw_pcidev *d)
{
    (void)d;
    return 1500;
}

void hw_virtio_net_announce_ack(struct hw_pcidev *d)
{
    if (d->vn)
        d->vn->net_status &= (uint16_t)~HW_VIRTIO_NET_S_ANNOUNCE;
}

void hw_virtio_net_rx_filter(struct hw_pcidev *d)
{
    struct vnet *vn = d->vn;
    if (!vn || vn->rx_notify_off)
        return;
    vn->rx_notify_off = true;
    char path[128];
    snprintf(path, sizeof(path), "/machine/peripheral/%s/virtio-backend", d->id ? d->id : "?");
    json_t *data = json_object();
    json_object_set_new(data, "name", d->id ? json_string(d->id) : json_null());
    json_object_set_new(data, "path", json_string(path));
    qmp_event(d->h, "NIC_RX_FILTER_CHANGED", data);
}
