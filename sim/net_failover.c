/*
 * The failover core and net_failover: the guest's "3-netdev" failover
 * (linux-guest.md section 1, rules G-10..G-52).
 *
 * Linux splits this in two: net/core/failover.c keeps the global list of
 * failover instances and listens on the netdevice notifier chain (pairing
 * by permanent MAC, rx_handler, upper link, flags), and
 * drivers/net/net_failover.c is the master device and the role logic
 * (primary/standby slots, MTU, open, VLAN and address replay, carrier, TX,
 * RX, stats).  One instance here is both halves: struct failover.
 *
 * Console lines are Linux 6.1's, printed with netdev_info/netdev_err on the
 * master ("virtio_net virtio0 eth0: failover primary slave:eth2 registered")
 * or on the slave.  Error texts not seen on a real console are taken from
 * the 6.1 sources as read for linux-guest.md (doc/guest-net.md lists them).
 */
#include <stdlib.h>
#include <string.h>

#include "gnet_int.h"
#include "sim/mutant.h"
#include "sim/world.h"

#define FAILOVER_TX_QUEUES 16

struct failover {
    struct gnet *n;
    struct gnetdev *master;
    struct gnetdev *primary;          /* NULL = absent (the RCU pointer) */
    struct gnetdev *standby;
    struct gnd_stats primary_stats;   /* last sample of each slave (G-29, G-51) */
    struct gnd_stats standby_stats;
    struct gnd_stats failover_stats;  /* last report of the master */
    unsigned last_queue;              /* queue chosen for the last frame (G-44) */
    struct failover *next;            /* the global list, in registration order */
};

static bool mutant(const struct gnet *n, enum mutant m)
{
    return sim_mutant(n->g->w, m);
}

struct gnetdev *failover_master(const struct failover *fo)
{
    return fo->master;
}

struct gnetdev *failover_primary(const struct failover *fo)
{
    return fo->primary;
}

struct gnetdev *failover_standby(const struct failover *fo)
{
    return fo->standby;
}

unsigned net_failover_last_queue(const struct failover *fo)
{
    return fo->last_queue;
}

enum obs_role gnet_failover_role(const struct gnetdev *nd)
{
    if (nd->priv_flags & GND_IFF_FAILOVER)
        return OBS_ROLE_MASTER;
    const struct gnetdev *m = nd->master;
    if (m && m->failover) {
        if (m->failover->primary == nd)
            return OBS_ROLE_PRIMARY;
        if (m->failover->standby == nd)
            return OBS_ROLE_STANDBY;
    }
    return OBS_ROLE_OTHER;
}

/* net_failover_xmit_ready: running and carrier. */
static bool xmit_ready(const struct gnetdev *nd)
{
    return nd && nd->running && nd->carrier;
}

static const char *role_word(bool standby)
{
    return standby ? "standby" : "primary";
}

/* ---- stats (G-51) -------------------------------------------------------------------- */

static uint64_t *stat_field(struct gnd_stats *s, unsigned i)
{
    uint64_t *v[GND_NSTATS] = { &s->rx_packets, &s->tx_packets, &s->rx_bytes,
                                &s->tx_bytes,   &s->rx_dropped, &s->tx_dropped };
    return v[i];
}

/* net_failover_fold_stats: add each counter's positive delta; a counter
 * whose old and new values both fit in 32 bits is taken as a 32-bit
 * counter and its delta computed modulo 2^32. */
static void fold_stats(struct gnd_stats *res, struct gnd_stats *nw, struct gnd_stats *old)
{
    /* IMP: G-51 */
    for (unsigned i = 0; i < GND_NSTATS; i++) {
        uint64_t nv = *stat_field(nw, i), ov = *stat_field(old, i);
        int64_t delta = (int64_t)(nv - ov);
        if (((nv | ov) >> 32) == 0)
            delta = (int32_t)((uint32_t)nv - (uint32_t)ov);
        if (delta > 0)
            *stat_field(res, i) += (uint64_t)delta;
    }
}

void net_failover_get_stats(struct failover *fo, struct gnd_stats *out)
{
    struct gnd_stats res = fo->failover_stats, tmp;
    if (fo->primary) {
        gnetdev_get_stats(fo->primary, &tmp);
        fold_stats(&res, &tmp, &fo->primary_stats);
        fo->primary_stats = tmp;
    }
    if (fo->standby) {
        gnetdev_get_stats(fo->standby, &tmp);
        fold_stats(&res, &tmp, &fo->standby_stats);
        fo->standby_stats = tmp;
    }
    fo->failover_stats = res;
    *out = res;
    /* the core adds the master's own drop counters (dev->tx_dropped) */
    out->tx_dropped += fo->master->stats.tx_dropped;
    out->rx_dropped += fo->master->stats.rx_dropped;
}

/* ---- features and lower state (G-50, G-38) ---------------------------------------------- */

static void compute_features(struct failover *fo)
{
    /* IMP: G-50 */
    struct gnetdev *m = fo->master;
    uint32_t vlan = GND_F_VLAN_FEATURES, enc = GND_F_VLAN_FEATURES | GND_F_GSO_ENCAP;
    unsigned hlen = 14;
    bool dst_release = true;
    struct gnetdev *slaves[2] = { fo->primary, fo->standby };
    for (int i = 0; i < 2; i++) {
        struct gnetdev *s = slaves[i];
        if (!s)
            continue;
        vlan &= s->vlan_features | ~GND_F_VLAN_FEATURES;
        enc &= s->enc_features | ~(GND_F_VLAN_FEATURES | GND_F_GSO_ENCAP);
        dst_release = dst_release && s->dst_release;
        if (s->hard_header_len > hlen)
            hlen = s->hard_header_len;
    }
    m->vlan_features = vlan;
    m->enc_features = enc;
    m->hard_header_len = hlen;
    m->dst_release = dst_release;
}

static void lower_state_changed(struct failover *fo, struct gnetdev *slave)
{
    /* IMP: G-38 */
    slave->lower_link_up = slave->carrier;
    if (slave == fo->primary)
        slave->lower_tx_enabled = slave->running;
    else
        slave->lower_tx_enabled =
            !((fo->primary && fo->primary->running) || !slave->running);
}

/* ---- the failover list (failover_get_bymac) ------------------------------------------------ */

static bool is_zero_mac(const uint8_t *m)
{
    static const uint8_t z[6];
    return memcmp(m, z, 6) == 0;
}

/* First instance in list order whose master has this permanent MAC; no
 * namespace filter (G-17). */
static struct failover *failover_get_bymac(struct gnet *n, const struct gnetdev *nd)
{
    /* IMP: G-17 */
    bool current = mutant(n, MUT_PAIR_CURRENT_MAC);
    const uint8_t *mac = current ? nd->dev_addr : nd->perm_addr;
    for (struct failover *fo = n->failovers; fo; fo = fo->next) {
        const uint8_t *fm = current ? fo->master->dev_addr : fo->master->perm_addr;
        if (!is_zero_mac(fm) && memcmp(fm, mac, 6) == 0)
            return fo;
    }
    return NULL;
}

/* ---- enslave (net_failover_slave_pre_register / _register) ------------------------------------ */

static bool slave_is_standby(const struct failover *fo, const struct gnetdev *nd)
{
    if (mutant(fo->n, MUT_STANDBY_BY_DRIVER))
        return nd->parent.bus == GND_BUS_VIRTIO;
    /* IMP: G-19 */
    return nd->parent.id != NULL && nd->parent.id == fo->master->parent.id;
}

static int slave_pre_register(struct failover *fo, struct gnetdev *nd)
{
    struct gnetdev *m = fo->master;
    bool standby = slave_is_standby(fo, nd);
    /* IMP: G-20 */
    struct gnetdev *occupant = standby ? fo->standby : fo->primary;
    if (occupant && !(standby && mutant(fo->n, MUT_SECOND_STANDBY))) {
        gnetdev_log(m, "%s attempting to register as slave dev when %s already present",
                    nd->name, role_word(standby));
        return -GNET_EINVAL;
    }
    /* IMP: G-21 */
    if (!standby && nd->parent.bus != GND_BUS_PCI)
        return -GNET_EINVAL;
    /* IMP: G-22 the guard reads the master's features, never the candidate's */
    if ((m->features & GND_F_VLAN_CHALLENGED) && m->nvids > 0) {
        gnetdev_log(m, "Device %s is VLAN challenged and failover device has VLAN set up",
                    m->name);
        return -GNET_EINVAL;
    }
    return 0;
}

/* vlan_vids_add_by_dev: all of the master's VLAN ids, undone on failure. */
static int vids_add_by_dev(struct gnetdev *to, const struct gnetdev *from)
{
    for (unsigned i = 0; i < from->nvids; i++) {
        int err = gnetdev_vlan_add(to, from->vids[i]);
        if (err) {
            while (i-- > 0)
                gnetdev_vlan_kill(to, from->vids[i]);
            return err;
        }
    }
    return 0;
}

static void vids_del_by_dev(struct gnetdev *to, const struct gnetdev *from)
{
    for (unsigned i = 0; i < from->nvids; i++)
        gnetdev_vlan_kill(to, from->vids[i]);
}

/* Runs with the slave's instance lock held (NETDEV_REGISTER holds it, the
 * scan of existing devices takes it): only the lock-free netif_* calls
 * (bug 5's fix, b84c5632). */
static int slave_register(struct failover *fo, struct gnetdev *nd)
{
    struct gnetdev *m = fo->master;
    unsigned orig_mtu = nd->mtu;
    int err;
    /* IMP: G-26 */
    if (!mutant(fo->n, MUT_SLAVE_MTU_NOT_ALIGNED)) {
        err = gnetdev_set_mtu_locked(nd, m->mtu);
        if (err) {
            gnetdev_log(m, "unable to change mtu of %s to %u register failed", nd->name, m->mtu);
            return err;
        }
    }
    /* IMP: G-27 */
    if (m->running) {
        err = gnetdev_open_locked(nd);
        if (err && err != -GNET_EBUSY) {
            gnetdev_log(m, "Opening slave %s failed err:%d", nd->name, err);
            goto err_dev_open;
        }
    }
    /* IMP: G-28 */
    gnetdev_addr_sync(nd, m);
    err = vids_add_by_dev(nd, m);
    if (err) {
        gnetdev_log(m, "Failed to add vlan ids to device %s err:%d", nd->name, err);
        goto err_vlan_add;
    }
    /* IMP: G-29 publish, then sample the counters as the baseline */
    bool standby = slave_is_standby(fo, nd);
    if (standby) {
        fo->standby = nd;
        gnetdev_get_stats(nd, &fo->standby_stats);
    } else {
        fo->primary = nd;
        gnetdev_get_stats(nd, &fo->primary_stats);
        m->min_mtu = nd->min_mtu;
        m->max_mtu = nd->max_mtu;
    }
    /* IMP: G-30 features and lower state, but not the master's carrier */
    lower_state_changed(fo, nd);
    compute_features(fo);
    gnet_call_notifiers(fo->n, GNET_EV_JOIN, nd);
    gnetdev_log(m, "failover %s slave:%s registered", role_word(standby), nd->name);
    return 0;

err_vlan_add:
    gnetdev_addr_unsync(nd, m);
    gnetdev_close_locked(nd);
err_dev_open:
    gnetdev_set_mtu_locked(nd, orig_mtu);
    return err;
}

static enum gnd_rx_result handle_frame(struct gnetdev **pnd, void *data);

/* failover_slave_register: runs on NETDEV_REGISTER and in the scan of
 * existing devices when a master registers. */
static void failover_slave_register(struct gnet *n, struct gnetdev *nd)
{
    /* IMP: G-16 only Ethernet devices are considered (an IPoIB interface
     * has a 20-byte address whose first 6 bytes the MAC lookup would read) */
    if (nd->type != GND_ARPHRD_ETHER)
        return;
    struct failover *fo = failover_get_bymac(n, nd);
    if (!fo)
        return;
    if (slave_pre_register(fo, nd) != 0)
        return;
    /* IMP: G-23 */
    int err = gnetdev_rx_handler_register(nd, handle_frame, fo, "failover");
    if (err) {
        gnetdev_log(nd, "can not register failover rx handler (err = %d)", err);
        return;
    }
    /* IMP: G-24 upper link (LAG, active-backup) and the slave flags */
    nd->master = fo->master;
    uint32_t flags = GND_IFF_FAILOVER_SLAVE;
    if (gnet_kernel_at_least(n->g, 6, 2))
        flags |= GND_IFF_NO_ADDRCONF;
    else if (gnet_kernel_at_least(n->g, 5, 2))
        flags |= GND_IFF_LIVE_RENAME_OK;
    nd->priv_flags |= flags;
    if (slave_register(fo, nd) == 0)
        return;
    /* IMP: G-25 undo: the device stays a standalone netdev */
    nd->master = NULL;
    nd->priv_flags &= ~flags;
    gnetdev_rx_handler_unregister(nd);
}

/* ---- unenslave ------------------------------------------------------------------------------------ */

static void slave_unregister(struct failover *fo, struct gnetdev *nd)
{
    struct gnetdev *m = fo->master;
    bool standby = nd == fo->standby;
    /* IMP: G-33 */
    vids_del_by_dev(nd, m);
    gnetdev_addr_unsync(nd, m);
    gnetdev_close(nd);
    struct gnd_stats snap;
    net_failover_get_stats(fo, &snap);
    if (standby) {
        fo->standby = NULL;
    } else {
        fo->primary = NULL;
        if (fo->standby) {
            m->min_mtu = fo->standby->min_mtu;
            m->max_mtu = fo->standby->max_mtu;
        }
    }
    /* IMP: G-34 features, not carrier */
    compute_features(fo);
    gnetdev_log(m, "failover %s slave:%s unregistered", role_word(standby), nd->name);
}

static void failover_slave_unregister(struct gnet *n, struct gnetdev *nd)
{
    /* IMP: G-31 */
    if (!(nd->priv_flags & GND_IFF_FAILOVER_SLAVE))
        return;
    struct failover *fo = failover_get_bymac(n, nd);
    if (!fo || (nd != fo->primary && nd != fo->standby))
        return;
    /* IMP: G-32 detach order */
    gnetdev_rx_handler_unregister(nd);
    nd->master = NULL;
    nd->priv_flags &= ~(GND_IFF_FAILOVER_SLAVE | GND_IFF_NO_ADDRCONF | GND_IFF_LIVE_RENAME_OK);
    slave_unregister(fo, nd);
}

/* ---- link and name changes --------------------------------------------------------------------------- */

static struct failover *running_slave_instance(struct gnet *n, struct gnetdev *nd)
{
    if (!(nd->priv_flags & GND_IFF_FAILOVER_SLAVE))
        return NULL;
    struct failover *fo = failover_get_bymac(n, nd);
    /* IMP: G-36 */
    if (!fo || !fo->master->running)
        return NULL;
    /* the pointer is published after the enslave's open (G-30) */
    if (nd != fo->primary && nd != fo->standby)
        return NULL;
    return fo;
}

static void slave_link_change(struct gnet *n, struct gnetdev *nd)
{
    struct failover *fo = running_slave_instance(n, nd);
    if (!fo || mutant(n, MUT_CARRIER_NOT_RECOMPUTED))
        return;
    struct gnetdev *m = fo->master;
    /* IMP: G-37 */
    if (xmit_ready(fo->primary) || xmit_ready(fo->standby)) {
        gnetdev_carrier_on(m);
        gnetdev_tx_wake_all(m);
    } else {
        struct gnd_stats snap;
        net_failover_get_stats(fo, &snap);
        gnetdev_carrier_off(m);
        gnetdev_tx_stop_all(m);
    }
    lower_state_changed(fo, nd);
}

static void slave_name_change(struct gnet *n, struct gnetdev *nd)
{
    struct failover *fo = running_slave_instance(n, nd);
    if (!fo || mutant(n, MUT_NO_RENAME_REOPEN))
        return;
    /* IMP: G-39 bring the slave up after udev's rename */
    gnetdev_open(nd);
}

/* failover_event: the one notifier of the failover core. */
static void failover_event(void *ctx, enum gnet_event ev, struct gnetdev *nd)
{
    struct gnet *n = ctx;
    /* IMP: G-15 */
    if (nd->priv_flags & GND_IFF_FAILOVER)
        return;
    switch (ev) {
    case GNET_EV_REGISTER:
        failover_slave_register(n, nd);
        return;
    case GNET_EV_UNREGISTER:
        failover_slave_unregister(n, nd);
        return;
    case GNET_EV_UP:
    case GNET_EV_DOWN:
    case GNET_EV_CHANGE:
        slave_link_change(n, nd);
        return;
    case GNET_EV_CHANGENAME:
        slave_name_change(n, nd);
        return;
    case GNET_EV_PRE_UP:
    case GNET_EV_GOING_DOWN:
    case GNET_EV_CHANGEMTU: /* IMP: G-47 slave MTU changes are not propagated */
    case GNET_EV_CHANGEADDR:
    case GNET_EV_JOIN:
    case GNET_NEVENTS:
        return;
    }
}

/* ---- RX (G-45) --------------------------------------------------------------------------------------------- */

static enum gnd_rx_result handle_frame(struct gnetdev **pnd, void *data)
{
    struct failover *fo = data;
    struct gnetdev *nd = *pnd;
    /* IMP: G-45 a primary pointer (not its readiness) makes standby frames EXACT */
    if (fo->primary && nd == fo->standby && !mutant(fo->n, MUT_STANDBY_RX_DELIVERED))
        return GND_RX_EXACT;
    *pnd = fo->master;
    return GND_RX_ANOTHER;
}

/* ---- the master's operations -------------------------------------------------------------------------------- */

static int master_open(struct gnetdev *m)
{
    /* IMP: G-41 */
    struct failover *fo = m->failover;
    struct gnetdev *p = fo->primary, *s = fo->standby;
    int err;
    if (p) {
        err = gnetdev_open(p);
        if (err)
            goto err_primary_open;
    }
    if (s) {
        err = gnetdev_open(s);
        if (err)
            goto err_standby_open;
    }
    if (xmit_ready(p) || xmit_ready(s)) {
        gnetdev_carrier_on(m);
        gnetdev_tx_wake_all(m);
    }
    return 0;

err_standby_open:
    if (p) /* bug 3: never close a primary that is absent */
        gnetdev_close(p);
err_primary_open:
    gnetdev_tx_stop_all(m);
    return err;
}

static int master_stop(struct gnetdev *m)
{
    /* IMP: G-42 carrier is left as it is */
    struct failover *fo = m->failover;
    gnetdev_tx_stop_all(m);
    if (fo->primary)
        gnetdev_close(fo->primary);
    if (fo->standby)
        gnetdev_close(fo->standby);
    return 0;
}

/* net_failover_select_queue (G-44, bug 4). */
static unsigned select_queue(struct failover *fo, const struct frame *f)
{
    struct gnetdev *p = fo->primary;
    unsigned q = 0;
    /* IMP: G-44 the primary's selector whenever a primary is present */
    if (p && p->ops && p->ops->select_queue)
        q = p->ops->select_queue(p, f);
    while (q >= FAILOVER_TX_QUEUES)
        q -= FAILOVER_TX_QUEUES;
    return q;
}

enum frame_drop net_failover_xmit(struct failover *fo, const struct frame *f, enum obs_role *via)
{
    struct gnetdev *p = fo->primary, *s = fo->standby;
    fo->last_queue = select_queue(fo, f);
    /* IMP: G-43 per packet: ready primary, else ready standby, else drop */
    bool p_ok = mutant(fo->n, MUT_TX_AFTER_UNPLUG) ? p != NULL : xmit_ready(p);
    if (p_ok) {
        *via = OBS_ROLE_PRIMARY;
        return gnetdev_queue_xmit(p, f);
    }
    if (xmit_ready(s)) {
        *via = OBS_ROLE_STANDBY;
        return gnetdev_queue_xmit(s, f);
    }
    *via = OBS_ROLE_MASTER;
    fo->master->stats.tx_dropped++;
    return FRAME_DROP_NO_READY_SLAVE;
}

static enum frame_drop master_xmit(struct gnetdev *m, const struct frame *f)
{
    enum obs_role via;
    return net_failover_xmit(m->failover, f, &via);
}

static int master_change_mtu(struct gnetdev *m, unsigned mtu)
{
    /* IMP: G-46 */
    struct failover *fo = m->failover;
    struct gnetdev *p = fo->primary, *s = fo->standby;
    unsigned old = m->mtu;
    int err;
    if (p) {
        err = gnetdev_set_mtu(p, mtu);
        if (err)
            return err;
    }
    if (s) {
        err = gnetdev_set_mtu(s, mtu);
        if (err) {
            if (p)
                gnetdev_set_mtu(p, old);
            return err;
        }
    }
    return 0;
}

static void master_set_rx_mode(struct gnetdev *m)
{
    /* IMP: G-48 */
    struct failover *fo = m->failover;
    if (fo->primary)
        gnetdev_addr_sync(fo->primary, m);
    if (fo->standby)
        gnetdev_addr_sync(fo->standby, m);
}

static int master_vlan_add(struct gnetdev *m, uint16_t vid)
{
    /* IMP: G-49 */
    struct failover *fo = m->failover;
    int err;
    if (fo->primary) {
        err = gnetdev_vlan_add(fo->primary, vid);
        if (err)
            return err;
    }
    if (fo->standby) {
        err = gnetdev_vlan_add(fo->standby, vid);
        if (err) {
            if (fo->primary)
                gnetdev_vlan_kill(fo->primary, vid);
            return err;
        }
    }
    return 0;
}

static int master_vlan_kill(struct gnetdev *m, uint16_t vid)
{
    struct failover *fo = m->failover;
    if (fo->primary)
        gnetdev_vlan_kill(fo->primary, vid);
    if (fo->standby)
        gnetdev_vlan_kill(fo->standby, vid);
    return 0;
}

/* IMP: G-14 the master has no MAC-change operation: a change fails with
 * EOPNOTSUPP (what the core answers without one).  A master that took it,
 * as a bond does, would send with an address that is not the pair's. */
static int master_set_mac(struct gnetdev *m, const uint8_t mac[6])
{
    (void)mac;
    return mutant(m->failover->n, MUT_MASTER_MAC_CHANGE) ? 0 : -GNET_EOPNOTSUPP;
}

static const struct gnetdev_ops failover_dev_ops = {
    .open = master_open,
    .stop = master_stop,
    .xmit = master_xmit,
    .change_mtu = master_change_mtu,
    .set_rx_mode = master_set_rx_mode,
    .vlan_add = master_vlan_add,
    .vlan_kill = master_vlan_kill,
    .set_mac = master_set_mac,
};

enum obs_role net_failover_link_source(const struct failover *fo)
{
    /* IMP: G-52 */
    if (xmit_ready(fo->primary))
        return OBS_ROLE_PRIMARY;
    if (xmit_ready(fo->standby))
        return OBS_ROLE_STANDBY;
    return OBS_ROLE_UNKNOWN;
}

/* ---- create / destroy ------------------------------------------------------------------------------------------- */

/* failover_register: flag, append, announce, then scan existing devices. */
static void failover_register(struct failover *fo)
{
    struct gnet *n = fo->n;
    struct gnetdev *m = fo->master;
    /* IMP: G-13 */
    m->priv_flags |= GND_IFF_FAILOVER;
    struct failover **pp = &n->failovers;
    while (*pp)
        pp = &(*pp)->next;
    *pp = fo;
    gnetdev_log(m, "failover master:%s registered", m->name);
    /* failover_existing_slave_register: every non-master with the same
     * permanent MAC, in registration order */
    for (struct gnetdev *d = n->devs; d;) {
        struct gnetdev *next = d->next;
        if (!(d->priv_flags & GND_IFF_FAILOVER) && !is_zero_mac(d->perm_addr) &&
            memcmp(d->perm_addr, m->perm_addr, 6) == 0) {
            /* IMP: L6.5 the scan takes the candidate's instance lock, as
             * NETDEV_REGISTER would hold it */
            gnetdev_lock_ops(d);
            failover_slave_register(n, d);
            gnetdev_unlock_ops(d);
        }
        d = next;
    }
}

static void failover_unregister(struct failover *fo)
{
    struct gnet *n = fo->n;
    struct gnetdev *m = fo->master;
    gnetdev_log(m, "failover master:%s unregistered", m->name);
    m->priv_flags &= ~GND_IFF_FAILOVER;
    for (struct failover **pp = &n->failovers; *pp; pp = &(*pp)->next) {
        if (*pp == fo) {
            *pp = fo->next;
            break;
        }
    }
}

struct failover *net_failover_create(struct gnetdev *standby, int *errp)
{
    struct guest *g = standby->g;
    struct gnet *n = gnet_of(g);
    struct failover *fo = sim_xcalloc(1, sizeof(*fo));
    fo->n = n;
    /* IMP: G-10 16 queues, the standby's parent and MAC and MTU range, MTU 1500 */
    struct gnetdev *m = gnetdev_alloc_on(g, "net_failover", &standby->parent, &failover_dev_ops, fo);
    gnetdev_set_tx_queues(m, FAILOVER_TX_QUEUES);
    m->min_mtu = standby->min_mtu;
    m->max_mtu = standby->max_mtu;
    m->mtu = 1500;
    /* IMP: G-11 */
    m->dst_release = false;
    m->features = GND_F_VLAN_FEATURES | GND_F_VLAN_CTAG_TX | GND_F_VLAN_CTAG_RX |
                  GND_F_VLAN_CTAG_FILTER | GND_F_GSO_ENCAP | GND_F_NETNS_LOCAL | GND_F_LLTX;
    m->failover = fo;
    fo->master = m;
    /* IMP: G-12 register, carrier off, then the instance */
    int err = gnetdev_register(m, standby->dev_addr, false);
    if (err) {
        gnd_parent_log(g, &standby->parent, "Unable to register failover_dev!");
        gnetdev_free(m);
        free(fo);
        *errp = err;
        return NULL;
    }
    gnetdev_carrier_off(m);
    failover_register(fo);
    *errp = 0;
    return fo;
}

void net_failover_destroy(struct failover *fo)
{
    struct gnet *n = fo->n;
    struct gnetdev *m = fo->master;
    /* IMP: G-35 primary, then standby, then the instance, then the master */
    if (fo->primary)
        failover_slave_unregister(n, fo->primary);
    if (fo->standby)
        failover_slave_unregister(n, fo->standby);
    failover_unregister(fo);
    gnetdev_unregister(m); /* closes it: master_stop still finds fo */
    free(fo);
}

void gnet_failover_init(struct gnet *n)
{
    if (n->g->cfg.failover_driver)
        gnet_notifier_register(n, failover_event, n);
}

void gnet_failover_free(struct gnet *n)
{
    while (n->failovers) {
        struct failover *fo = n->failovers;
        n->failovers = fo->next;
        free(fo);
    }
}
