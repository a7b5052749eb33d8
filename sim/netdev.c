/*
 * Net devices of the Linux guest: the net core's part of net_device.
 *
 * What net_failover depends on is modelled after net/core/dev.c and
 * net/core/link_watch.c of Linux 6.1:
 *   - registration: names "ethN" with the lowest free N (a re-plugged VF gets
 *     eth2 again), ifindex never reused, the permanent MAC copied only when
 *     the address was not random (G-18), NETDEV_REGISTER;
 *   - dev_open/dev_close with NETDEV_UP/GOING_DOWN/DOWN, and close before
 *     unregister (the primary's DOWN precedes its UNREGISTER, section 1.9);
 *   - carrier: the flag flips at once (TX reads it per packet) but the
 *     notifier chain hears NETDEV_CHANGE from linkwatch, which runs
 *     non-urgent events at most once per link-watch-delay (1 s, G-40); an
 *     "up" event of a running device whose qdisc is not attached yet is
 *     urgent;
 *   - the receive path: rx_handler (PASS/ANOTHER/EXACT), then the stack;
 *   - IPv6 addrconf's "link becomes ready" line, the one net-core line a
 *     6.1 console shows for these devices;
 *   - what the busybox init of the recorded guest does (ifup), the guest's
 *     default route (gnet_xmit), and scripted `ip` commands (gnet_action).
 *
 * Everything hangs off struct gnet (g->net); time is the guest's uptime, so
 * linkwatch stands still while the VM is stopped.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnet_int.h"
#include "sim/host.h"
#include "sim/mutant.h"
#include "sim/world.h"

static const char *const gnet_event_names[GNET_NEVENTS] = {
#define X(id, name) [GNET_EV_##id] = name,
    GNET_EVENTS(X)
#undef X
};

const char *gnet_event_name(enum gnet_event e)
{
    SIM_ASSERT(e < GNET_NEVENTS);
    return gnet_event_names[e];
}

bool gnet_kernel_at_least(const struct guest *g, unsigned major, unsigned minor)
{
    return g->cfg.kernel_major > major ||
           (g->cfg.kernel_major == major && g->cfg.kernel_minor >= minor);
}

static bool mutant(const struct guest *g, enum mutant m)
{
    return sim_mutant(g->w, m);
}

/* ---- logging ------------------------------------------------------------------------ */

void gnetdev_log(const struct gnetdev *nd, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    /* netdev_printk: "<driver> <device> <ifname>: "; a device that is not
     * registered yet prints " (uninitialized)" after its name. */
    const char *name = nd->reg == GND_REG_UNINIT ? "(unnamed net_device) (uninitialized)"
                                                  : nd->name;
    if (nd->parent.bus != GND_BUS_NONE)
        guest_log(nd->g, "%s %s %s: %s", nd->parent.driver, nd->parent.name, name, text);
    else
        guest_log(nd->g, "%s: %s", name, text);
}

void gnd_parent_log(struct guest *g, const struct gnd_parent *p, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    guest_log(g, "%s %s: %s", p->driver, p->name, text);
}

/* ---- RTNL ------------------------------------------------------------------------------ */

void gnet_rtnl_lock(struct gnet *n)
{
    /* IMP: L6.9 a mutex: taking it from under itself never returns */
    SIM_ASSERT(!n->rtnl_held);
    n->rtnl_held = true;
}

void gnet_rtnl_unlock(struct gnet *n)
{
    SIM_ASSERT(n->rtnl_held);
    n->rtnl_held = false;
}

/* ---- the notifier chain ---------------------------------------------------------------- */

void gnet_notifier_register(struct gnet *n, void (*fn)(void *, enum gnet_event, struct gnetdev *),
                            void *ctx)
{
    SIM_ASSERT(n->nchain < GNET_MAX_NOTIFIERS);
    n->chain[n->nchain++] = (struct gnet_notifier){ fn, ctx };
}

void gnet_call_notifiers(struct gnet *n, enum gnet_event ev, struct gnetdev *nd)
{
    for (unsigned i = 0; i < n->nchain; i++)
        n->chain[i].fn(n->chain[i].ctx, ev, nd);
}

/* ---- IPv6 addrconf (net/ipv6/addrconf.c: addrconf_notify) -----------------------------
 *
 * A device is "link ready" when its operstate is up (or unknown) and its
 * qdisc is attached.  The first NETDEV_CHANGE that finds it ready prints
 * the line; a NETDEV_UP that finds it ready marks it silently; DOWN resets.
 * Since 6.2 failover slaves carry IFF_NO_ADDRCONF and are skipped (G-24).
 */
static bool addrconf_link_ready(const struct gnetdev *nd)
{
    return nd->operstate != GND_OPER_DOWN && nd->qdisc_active;
}

static void addrconf_notify(void *ctx, enum gnet_event ev, struct gnetdev *nd)
{
    (void)ctx;
    switch (ev) {
    case GNET_EV_UP:
    case GNET_EV_CHANGE:
        if (nd->priv_flags & GND_IFF_NO_ADDRCONF)
            return;
        if (!addrconf_link_ready(nd))
            return;
        if (ev == GNET_EV_UP) {
            nd->ipv6_ready = true;
            return;
        }
        if (nd->ipv6_ready)
            return;
        nd->ipv6_ready = true;
        guest_log(nd->g, "IPv6: ADDRCONF(NETDEV_CHANGE): %s: link becomes ready", nd->name);
        return;
    case GNET_EV_DOWN:
    case GNET_EV_UNREGISTER:
        nd->ipv6_ready = false;
        return;
    case GNET_EV_REGISTER:
    case GNET_EV_PRE_UP:
    case GNET_EV_GOING_DOWN:
    case GNET_EV_CHANGENAME:
    case GNET_EV_CHANGEMTU:
    case GNET_EV_CHANGEADDR:
    case GNET_EV_JOIN:
    case GNET_NEVENTS:
        return;
    }
}

/* ---- a bond that owns the primary (knob primary-bond, bug 18) ---------------------------
 *
 * With `primary-bond on` the VF is a bond port before failover can take it:
 * the bond's rx_handler is installed on every PCI Ethernet device at its
 * registration, ahead of failover's notifier, so failover_slave_register
 * finds the handler taken (G-23).  The bond itself is not modelled: frames
 * it would receive are not delivered to the guest stack.
 */
static enum gnd_rx_result bond_handle_frame(struct gnetdev **pnd, void *data)
{
    (void)pnd;
    (void)data;
    return GND_RX_CONSUMED;
}

static void bond_notify(void *ctx, enum gnet_event ev, struct gnetdev *nd)
{
    (void)ctx;
    if (ev == GNET_EV_REGISTER && nd->parent.bus == GND_BUS_PCI && !nd->rx_handler)
        gnetdev_rx_handler_register(nd, bond_handle_frame, NULL, "bond");
    else if (ev == GNET_EV_UNREGISTER && nd->rx_handler == bond_handle_frame)
        gnetdev_rx_handler_unregister(nd);
}

/* ---- linkwatch (net/core/link_watch.c) ----------------------------------------------- */

static void linkwatch_run(struct guest *g, struct guest_timer *t);

static sim_time lw_hz(const struct guest *g)
{
    return g->cfg.linkwatch_delay;
}

/* linkwatch_urgent_event: a running device whose carrier came up while its
 * qdisc is detached (opened without carrier, or carrier lost before). */
static bool linkwatch_urgent_event(const struct gnetdev *nd)
{
    return nd->running && nd->carrier && !nd->qdisc_active;
}

static void linkwatch_schedule_work(struct gnet *n, bool urgent)
{
    struct guest *g = n->g;
    if (mutant(g, MUT_NO_LINKWATCH_DELAY)) {
        if (!guest_timer_pending(&n->lw_timer))
            guest_timer_arm(&n->lw_timer, 0);
        return;
    }
    /* IMP: G-40 */
    sim_time delay = n->lw_nextevent - guest_uptime(g);
    if (n->lw_urgent)
        return;
    if (urgent) {
        n->lw_urgent = true;
        delay = 0;
    }
    if (delay < 0 || delay > lw_hz(g))
        delay = 0;
    if (n->lw_urgent)
        guest_timer_arm(&n->lw_timer, 0); /* mod_delayed_work */
    else if (!guest_timer_pending(&n->lw_timer))
        guest_timer_arm(&n->lw_timer, delay); /* queue_delayed_work */
}

static void lw_append(struct gnet *n, struct gnetdev *nd)
{
    struct gnetdev **p = &n->lw_list;
    while (*p)
        p = &(*p)->lw_next;
    nd->lw_next = NULL;
    *p = nd;
}

static void lw_remove(struct gnet *n, struct gnetdev *nd)
{
    for (struct gnetdev **p = &n->lw_list; *p; p = &(*p)->lw_next) {
        if (*p == nd) {
            *p = nd->lw_next;
            break;
        }
    }
    nd->lw_next = NULL;
    nd->lw_pending = false;
}

static void linkwatch_fire_event(struct gnetdev *nd)
{
    struct gnet *n = gnet_of(nd->g);
    bool urgent = linkwatch_urgent_event(nd);
    if (!nd->lw_pending) {
        nd->lw_pending = true;
        lw_append(n, nd);
    } else if (!urgent) {
        return;
    }
    linkwatch_schedule_work(n, urgent);
}

/* linkwatch_do_dev: operstate from carrier; for an up device attach or
 * detach the qdisc and tell the chain (NETDEV_CHANGE). */
static void linkwatch_do_dev(struct gnetdev *nd)
{
    nd->lw_pending = false;
    nd->operstate = nd->carrier ? GND_OPER_UP : GND_OPER_DOWN;
    if (nd->up) {
        nd->qdisc_active = nd->carrier;
        gnet_call_notifiers(gnet_of(nd->g), GNET_EV_CHANGE, nd);
    }
}

static void linkwatch_run(struct guest *g, struct guest_timer *t)
{
    (void)t;
    struct gnet *n = gnet_of(g);
    sim_time now = guest_uptime(g);
    bool urgent_only = n->lw_nextevent > now && !mutant(g, MUT_NO_LINKWATCH_DELAY);
    if (!urgent_only)
        n->lw_nextevent = now + lw_hz(g);
    else if (n->lw_nextevent > now + lw_hz(g))
        n->lw_nextevent = now;
    n->lw_urgent = false;
    struct gnetdev *wrk = n->lw_list;
    n->lw_list = NULL;
    while (wrk) {
        struct gnetdev *nd = wrk;
        wrk = nd->lw_next;
        nd->lw_next = NULL;
        if (urgent_only && !linkwatch_urgent_event(nd)) {
            lw_append(n, nd);
            continue;
        }
        linkwatch_do_dev(nd);
    }
    if (n->lw_list)
        linkwatch_schedule_work(n, false);
}

/* ---- allocation and registration -------------------------------------------------------- */

struct gnetdev *gnetdev_alloc_on(struct guest *g, const char *driver,
                                 const struct gnd_parent *parent,
                                 const struct gnetdev_ops *ops, void *priv)
{
    struct gnetdev *nd = sim_xcalloc(1, sizeof(*nd));
    nd->g = g;
    sim_strlcpy(nd->driver, driver, sizeof(nd->driver));
    if (parent)
        nd->parent = *parent;
    nd->ops = ops;
    nd->priv = priv;
    nd->carrier = true; /* a fresh net_device has no NOCARRIER bit */
    nd->operstate = GND_OPER_UNKNOWN;
    nd->mtu = 1500;     /* ether_setup */
    nd->min_mtu = 68;
    nd->max_mtu = 1500;
    nd->num_tx_queues = 1;
    nd->hard_header_len = 14;
    nd->dst_release = true;
    nd->vlan_features = GND_F_VLAN_FEATURES;
    nd->enc_features = GND_F_VLAN_FEATURES | GND_F_GSO_ENCAP;
    nd->type = GND_ARPHRD_ETHER; /* ether_setup */
    nd->addr_len = 6;
    sim_strlcpy(nd->name_prefix, "eth", sizeof(nd->name_prefix));
    return nd;
}

void gnetdev_set_link(struct gnetdev *nd, enum gnetdev_link link)
{
    SIM_ASSERT(nd->reg == GND_REG_UNINIT);
    switch (link) {
    case GNETDEV_LINK_ETHER:
        nd->type = GND_ARPHRD_ETHER;
        nd->addr_len = 6;
        sim_strlcpy(nd->name_prefix, "eth", sizeof(nd->name_prefix));
        return;
    case GNETDEV_LINK_INFINIBAND:
        /* ipoib_setup_common: datagram mode, the IB MTU less the 4-byte
         * IPoIB header: 2044 on a 2 KiB IB MTU, at most 4092 */
        nd->type = GND_ARPHRD_INFINIBAND;
        nd->addr_len = 20;
        nd->hard_header_len = 24;
        sim_strlcpy(nd->name_prefix, "ib", sizeof(nd->name_prefix));
        gnetdev_set_mtu_range(nd, 2044, 68, 4092);
        return;
    }
    SIM_ASSERT(!"unhandled link type");
}

struct gnetdev *gnetdev_alloc(struct guest *g, const char *driver, struct gpci_dev *parent,
                              const struct gnetdev_ops *ops, void *priv)
{
    struct gnd_parent p = { .bus = GND_BUS_NONE };
    if (parent) {
        p.bus = GND_BUS_PCI;
        p.id = parent;
        sim_strlcpy(p.name, parent->name, sizeof(p.name));
        sim_strlcpy(p.driver, driver, sizeof(p.driver));
    }
    return gnetdev_alloc_on(g, driver, parent ? &p : NULL, ops, priv);
}

void gnetdev_free(struct gnetdev *nd)
{
    if (!nd)
        return;
    SIM_ASSERT(nd->reg == GND_REG_UNINIT);
    free(nd);
}

void *gnetdev_priv(const struct gnetdev *nd)
{
    return nd->priv;
}

const char *gnetdev_name(const struct gnetdev *nd)
{
    return nd->name;
}

int gnetdev_ifindex(const struct gnetdev *nd)
{
    return nd->ifindex;
}

bool gnetdev_carrier_ok(const struct gnetdev *nd)
{
    return nd->carrier;
}

bool gnetdev_running(const struct gnetdev *nd)
{
    return nd->running;
}

struct gnetdev *gnetdev_by_name(const struct gnet *n, const char *name)
{
    for (struct gnetdev *d = n->devs; d; d = d->next)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

/* dev_alloc_name("eth%d", "ib%d"): the lowest unit number not in use. */
static void alloc_name(struct gnet *n, struct gnetdev *nd)
{
    for (unsigned unit = 0;; unit++) {
        char name[16];
        snprintf(name, sizeof(name), "%s%u", nd->name_prefix, unit);
        if (!gnetdev_by_name(n, name)) {
            sim_strlcpy(nd->name, name, sizeof(nd->name));
            return;
        }
    }
}

int gnetdev_register(struct gnetdev *nd, const uint8_t mac[6], bool mac_random)
{
    SIM_ASSERT(nd->addr_len == 6);
    return gnetdev_register_addr(nd, mac, 6, mac_random);
}

int gnetdev_register_addr(struct gnetdev *nd, const uint8_t *mac, unsigned len, bool mac_random)
{
    struct gnet *n = gnet_of(nd->g);
    SIM_ASSERT(nd->reg == GND_REG_UNINIT);
    SIM_ASSERT(len == nd->addr_len && len <= GND_MAX_ADDR_LEN);
    if (n->fail_next_register) {
        int err = n->fail_next_register;
        n->fail_next_register = 0;
        return err;
    }
    alloc_name(n, nd);
    nd->ifindex = n->next_ifindex++;
    memcpy(nd->dev_addr, mac, len);
    nd->addr_random = mac_random;
    /* IMP: G-18 register_netdevice copies perm_addr only for NET_ADDR_PERM */
    if (!mac_random || mutant(nd->g, MUT_RANDOM_MAC_PAIRS))
        memcpy(nd->perm_addr, mac, len);
    nd->reg = GND_REG_REGISTERED;
    struct gnetdev **p = &n->devs;
    while (*p)
        p = &(*p)->next;
    *p = nd;
    /* linkwatch_init_dev: operstate stays "unknown" while carrier is on */
    nd->operstate = nd->carrier ? GND_OPER_UNKNOWN : GND_OPER_DOWN;
    /* from 6.15 NETDEV_REGISTER runs under the instance lock (4c975fd70002) */
    gnetdev_lock_ops(nd);
    gnet_call_notifiers(n, GNET_EV_REGISTER, nd);
    gnetdev_unlock_ops(nd);
    return 0;
}

void gnetdev_unregister(struct gnetdev *nd)
{
    struct gnet *n = gnet_of(nd->g);
    SIM_ASSERT(nd->reg == GND_REG_REGISTERED);
    /* the core closes a running device before NETDEV_UNREGISTER (G-34) */
    gnetdev_close(nd);
    nd->reg = GND_REG_UNREGISTERING;
    if (nd->lw_pending)
        lw_remove(n, nd); /* linkwatch_forget_dev: the device is down */
    gnet_call_notifiers(n, GNET_EV_UNREGISTER, nd);
    SIM_ASSERT(nd->master == NULL && nd->rx_handler == NULL);
    for (struct gnetdev **p = &n->devs; *p; p = &(*p)->next) {
        if (*p == nd) {
            *p = nd->next;
            break;
        }
    }
    if (n->ifup_dev == nd)
        n->ifup_dev = NULL;
    free(nd);
}

/* ---- the instance lock (bug 5) ------------------------------------------------------- */

void gnetdev_set_ops_locked(struct gnetdev *nd)
{
    SIM_ASSERT(nd->reg == GND_REG_UNINIT);
    nd->ops_locked = true;
}

/* netdev_need_ops_lock: the instance lock exists from 6.15 (4c975fd70002). */
bool gnetdev_need_ops_lock(const struct gnetdev *nd)
{
    return nd->ops_locked && gnet_kernel_at_least(nd->g, 6, 15);
}

void gnetdev_lock_ops(struct gnetdev *nd)
{
    if (!gnetdev_need_ops_lock(nd))
        return;
    /* a mutex: taking it again from under itself never returns (bug 5) */
    SIM_ASSERT(!nd->instance_locked);
    nd->instance_locked = true;
}

void gnetdev_unlock_ops(struct gnetdev *nd)
{
    if (!gnetdev_need_ops_lock(nd))
        return;
    SIM_ASSERT(nd->instance_locked);
    nd->instance_locked = false;
}

/* netdev_ops_assert_locked */
static void assert_ops_locked(const struct gnetdev *nd)
{
    SIM_ASSERT(!gnetdev_need_ops_lock(nd) || nd->instance_locked);
}

/* ---- open / close ------------------------------------------------------------------------- */

static void dev_set_rx_mode(struct gnetdev *nd)
{
    if (nd->up && nd->ops && nd->ops->set_rx_mode)
        nd->ops->set_rx_mode(nd);
}

/* netif_open: the caller holds the instance lock; NETDEV_UP runs under it. */
int gnetdev_open_locked(struct gnetdev *nd)
{
    struct gnet *n = gnet_of(nd->g);
    assert_ops_locked(nd);
    if (nd->reg != GND_REG_REGISTERED)
        return -GNET_ENODEV;
    if (nd->up)
        return 0;
    gnet_call_notifiers(n, GNET_EV_PRE_UP, nd);
    nd->running = true; /* __LINK_STATE_START before ndo_open */
    int err = nd->ops && nd->ops->open ? nd->ops->open(nd) : 0;
    if (err) {
        nd->running = false;
        return err;
    }
    nd->up = true;
    nd->tx_stopped = false;
    dev_set_rx_mode(nd);
    nd->qdisc_active = nd->carrier; /* dev_activate waits for carrier */
    gnet_call_notifiers(n, GNET_EV_UP, nd);
    return 0;
}

int gnetdev_open(struct gnetdev *nd)
{
    gnetdev_lock_ops(nd);
    int err = gnetdev_open_locked(nd);
    gnetdev_unlock_ops(nd);
    return err;
}

void gnetdev_close_locked(struct gnetdev *nd)
{
    struct gnet *n = gnet_of(nd->g);
    assert_ops_locked(nd);
    if (!nd->up)
        return;
    gnet_call_notifiers(n, GNET_EV_GOING_DOWN, nd);
    nd->running = false;
    nd->qdisc_active = false; /* dev_deactivate */
    if (nd->ops && nd->ops->stop)
        nd->ops->stop(nd);
    nd->up = false;
    gnet_call_notifiers(n, GNET_EV_DOWN, nd);
}

void gnetdev_close(struct gnetdev *nd)
{
    gnetdev_lock_ops(nd);
    gnetdev_close_locked(nd);
    gnetdev_unlock_ops(nd);
}

/* ---- carrier ---------------------------------------------------------------------------------- */

void gnetdev_carrier_on(struct gnetdev *nd)
{
    if (nd->carrier)
        return;
    nd->carrier = true;
    if (nd->reg == GND_REG_UNINIT)
        return;
    linkwatch_fire_event(nd);
}

void gnetdev_carrier_off(struct gnetdev *nd)
{
    if (!nd->carrier)
        return;
    nd->carrier = false;
    if (nd->reg == GND_REG_UNINIT) {
        nd->operstate = GND_OPER_DOWN;
        return;
    }
    linkwatch_fire_event(nd);
}

void gnetdev_tx_wake_all(struct gnetdev *nd)
{
    nd->tx_stopped = false;
}

void gnetdev_tx_stop_all(struct gnetdev *nd)
{
    nd->tx_stopped = true;
}

/* ---- MTU, MAC, name, queues, counters ------------------------------------------------------- */

void gnetdev_set_mtu_range(struct gnetdev *nd, unsigned mtu, unsigned min, unsigned max)
{
    SIM_ASSERT(min <= max);
    nd->mtu = mtu;
    nd->min_mtu = min;
    nd->max_mtu = max;
}

unsigned gnetdev_mtu(const struct gnetdev *nd)
{
    return nd->mtu;
}

/* netif_set_mtu: range check, the driver's ndo_change_mtu, NETDEV_CHANGEMTU;
 * the caller holds the instance lock. */
int gnetdev_set_mtu_locked(struct gnetdev *nd, unsigned mtu)
{
    assert_ops_locked(nd);
    if (mtu == nd->mtu)
        return 0;
    if (mtu < nd->min_mtu || mtu > nd->max_mtu)
        return -GNET_EINVAL;
    if (nd->reg != GND_REG_REGISTERED)
        return -GNET_ENODEV;
    if (nd->ops && nd->ops->change_mtu) {
        int err = nd->ops->change_mtu(nd, mtu);
        if (err)
            return err;
    }
    nd->mtu = mtu;
    gnet_call_notifiers(gnet_of(nd->g), GNET_EV_CHANGEMTU, nd);
    return 0;
}

/* dev_set_mtu: takes the instance lock around netif_set_mtu. */
int gnetdev_set_mtu(struct gnetdev *nd, unsigned mtu)
{
    gnetdev_lock_ops(nd);
    int err = gnetdev_set_mtu_locked(nd, mtu);
    gnetdev_unlock_ops(nd);
    return err;
}

int gnetdev_set_mac(struct gnetdev *nd, const uint8_t mac[6])
{
    if (!nd->ops || !nd->ops->set_mac)
        return -GNET_EOPNOTSUPP;
    int err = nd->ops->set_mac(nd, mac);
    if (err)
        return err;
    memcpy(nd->dev_addr, mac, 6); /* perm_addr never changes (G-17) */
    gnet_call_notifiers(gnet_of(nd->g), GNET_EV_CHANGEADDR, nd);
    return 0;
}

/* dev_change_name: an up device may be renamed only with
 * IFF_LIVE_RENAME_OK (5.2 .. 6.1) or on 6.2+, where the check is gone. */
int gnetdev_change_name(struct gnetdev *nd, const char *newname)
{
    struct gnet *n = gnet_of(nd->g);
    if (strlen(newname) == 0 || strlen(newname) >= sizeof(nd->name))
        return -GNET_EINVAL;
    if (strcmp(newname, nd->name) == 0)
        return 0;
    if (gnetdev_by_name(n, newname))
        return -GNET_EEXIST;
    if (nd->up && !(nd->priv_flags & GND_IFF_LIVE_RENAME_OK) &&
        !gnet_kernel_at_least(nd->g, 6, 2))
        return -GNET_EBUSY;
    sim_strlcpy(nd->name, newname, sizeof(nd->name));
    gnet_call_notifiers(n, GNET_EV_CHANGENAME, nd);
    return 0;
}

void gnetdev_set_tx_queues(struct gnetdev *nd, unsigned q)
{
    SIM_ASSERT(q >= 1);
    nd->num_tx_queues = q;
}

void gnetdev_set_stats32(struct gnetdev *nd, bool on)
{
    nd->stats32 = on;
}

static uint64_t counter_add(const struct gnetdev *nd, uint64_t c, uint64_t v)
{
    c += v;
    return nd->stats32 ? (uint32_t)c : c;
}

void gnetdev_get_stats(struct gnetdev *nd, struct gnd_stats *out)
{
    if (nd->failover && nd->priv_flags & GND_IFF_FAILOVER) {
        net_failover_get_stats(nd->failover, out);
        return;
    }
    *out = nd->stats;
}

/* ---- address lists and VLANs --------------------------------------------------------------- */

static bool list_has(uint8_t (*l)[6], unsigned nl, const uint8_t mac[6])
{
    for (unsigned i = 0; i < nl; i++)
        if (memcmp(l[i], mac, 6) == 0)
            return true;
    return false;
}

static int list_add(uint8_t (*l)[6], unsigned *nl, const uint8_t mac[6])
{
    if (list_has(l, *nl, mac))
        return 0;
    if (*nl >= GND_MAX_ADDRS)
        return -GNET_ENOMEM;
    memcpy(l[(*nl)++], mac, 6);
    return 1;
}

static void list_del(uint8_t (*l)[6], unsigned *nl, const uint8_t mac[6])
{
    for (unsigned i = 0; i < *nl; i++) {
        if (memcmp(l[i], mac, 6) == 0) {
            memmove(l[i], l[i + 1], (size_t)(*nl - i - 1) * 6);
            (*nl)--;
            return;
        }
    }
}

int gnetdev_mc_add(struct gnetdev *nd, const uint8_t mac[6])
{
    int r = list_add(nd->mc, &nd->nmc, mac);
    if (r > 0)
        dev_set_rx_mode(nd);
    return r < 0 ? r : 0;
}

int gnetdev_uc_add(struct gnetdev *nd, const uint8_t mac[6])
{
    int r = list_add(nd->uc, &nd->nuc, mac);
    if (r > 0)
        dev_set_rx_mode(nd);
    return r < 0 ? r : 0;
}

void gnetdev_addr_sync(struct gnetdev *to, const struct gnetdev *from)
{
    for (unsigned i = 0; i < from->nuc; i++)
        list_add(to->uc, &to->nuc, from->uc[i]);
    for (unsigned i = 0; i < from->nmc; i++)
        list_add(to->mc, &to->nmc, from->mc[i]);
    dev_set_rx_mode(to);
}

void gnetdev_addr_unsync(struct gnetdev *to, const struct gnetdev *from)
{
    for (unsigned i = 0; i < from->nuc; i++)
        list_del(to->uc, &to->nuc, from->uc[i]);
    for (unsigned i = 0; i < from->nmc; i++)
        list_del(to->mc, &to->nmc, from->mc[i]);
    dev_set_rx_mode(to);
}

int gnetdev_vlan_add(struct gnetdev *nd, uint16_t vid)
{
    for (unsigned i = 0; i < nd->nvids; i++)
        if (nd->vids[i] == vid)
            return 0;
    if (nd->nvids >= GND_MAX_VIDS)
        return -GNET_ENOMEM;
    if (nd->ops && nd->ops->vlan_add) {
        int err = nd->ops->vlan_add(nd, vid);
        if (err)
            return err;
    }
    nd->vids[nd->nvids++] = vid;
    return 0;
}

int gnetdev_vlan_kill(struct gnetdev *nd, uint16_t vid)
{
    for (unsigned i = 0; i < nd->nvids; i++) {
        if (nd->vids[i] != vid)
            continue;
        if (nd->ops && nd->ops->vlan_kill)
            nd->ops->vlan_kill(nd, vid);
        memmove(&nd->vids[i], &nd->vids[i + 1], (nd->nvids - i - 1) * sizeof(nd->vids[0]));
        nd->nvids--;
        return 0;
    }
    return 0;
}

/* ---- rx_handler ----------------------------------------------------------------------------- */

int gnetdev_rx_handler_register(struct gnetdev *nd, gnd_rx_handler fn, void *data,
                                const char *owner)
{
    if (nd->rx_handler)
        return -GNET_EBUSY;
    nd->rx_handler = fn;
    nd->rx_handler_data = data;
    nd->rx_handler_owner = owner;
    return 0;
}

void gnetdev_rx_handler_unregister(struct gnetdev *nd)
{
    nd->rx_handler = NULL;
    nd->rx_handler_data = NULL;
    nd->rx_handler_owner = NULL;
}

/* ---- datapath ---------------------------------------------------------------------------------- */

static enum obs_role role_of(const struct gnetdev *nd)
{
    return gnet_failover_role(nd);
}

static bool is_unicast_to_other(const struct gnetdev *nd, const struct frame *f)
{
    if (f->caplen < 6)
        return false;
    if (f->data[0] & 1) /* group address */
        return false;
    return memcmp(f->data, nd->dev_addr, 6) != 0;
}

/* The stack bound to nd takes the frame if it holds the guest's address. */
enum frame_drop gnetdev_deliver(struct gnetdev *nd, const struct frame *f, enum obs_role via)
{
    struct guest *g = nd->g;
    if (!nd->up || !nd->has_ipv4 || is_unicast_to_other(nd, f)) {
        guest_rx_drop(g, f, via, FRAME_DROP_NO_ROUTE);
        return FRAME_DROP_NO_ROUTE;
    }
    if (g->rx_hook.fn)
        g->rx_hook.fn(g->rx_hook.ctx, f, via);
    return FRAME_DROP_NONE;
}

enum frame_drop gnetdev_rx(struct gnetdev *nd, const struct frame *f)
{
    struct guest *g = nd->g;
    enum obs_role via = role_of(nd);
    if (nd->reg != GND_REG_REGISTERED || !nd->up) {
        guest_rx_drop(g, f, via, FRAME_DROP_LINK_DOWN);
        return FRAME_DROP_LINK_DOWN;
    }
    nd->stats.rx_packets = counter_add(nd, nd->stats.rx_packets, 1);
    nd->stats.rx_bytes = counter_add(nd, nd->stats.rx_bytes, f->len);
    /* __netif_receive_skb_core: rx_handler of the device, ANOTHER goes round
     * again with the new device (at most a few levels) */
    struct gnetdev *dev = nd;
    for (int depth = 0; depth < 8; depth++) {
        if (!dev->rx_handler)
            return gnetdev_deliver(dev, f, via);
        switch (dev->rx_handler(&dev, dev->rx_handler_data)) {
        case GND_RX_ANOTHER:
            continue;
        case GND_RX_EXACT:
            /* only packet handlers bound exactly to this device see it:
             * the guest's IP stack is bound to the master, not here (G-45) */
            guest_rx_drop(g, f, via, FRAME_DROP_STANDBY_RX_WITH_PRIMARY);
            return FRAME_DROP_STANDBY_RX_WITH_PRIMARY;
        case GND_RX_CONSUMED:
            guest_rx_drop(g, f, via, FRAME_DROP_NO_ROUTE);
            return FRAME_DROP_NO_ROUTE;
        case GND_RX_PASS:
            return gnetdev_deliver(dev, f, via);
        }
    }
    SIM_ASSERT(!"rx_handler loop");
    return FRAME_DROP_NO_ROUTE;
}

/* dev_queue_xmit on one device: its qdisc (detached without carrier), its
 * queues, then the driver. */
enum frame_drop gnetdev_queue_xmit(struct gnetdev *nd, const struct frame *f)
{
    enum frame_drop d;
    if (!nd->up) {
        d = FRAME_DROP_LINK_DOWN;
    } else if (!nd->qdisc_active || nd->tx_stopped) {
        d = FRAME_DROP_NO_CARRIER;
    } else if (!nd->ops || !nd->ops->xmit) {
        d = FRAME_DROP_NO_ROUTE;
    } else {
        d = nd->ops->xmit(nd, f);
    }
    if (d == FRAME_DROP_NONE) {
        nd->stats.tx_packets = counter_add(nd, nd->stats.tx_packets, 1);
        nd->stats.tx_bytes = counter_add(nd, nd->stats.tx_bytes, f->len);
    } else if (nd->up) {
        nd->stats.tx_dropped = counter_add(nd, nd->stats.tx_dropped, 1);
    }
    return d;
}

/* ---- the guest's stack: init, default route, interfaces ----------------------------------------- */

void gnet_init(struct guest *g)
{
    SIM_ASSERT(g->net == NULL);
    struct gnet *n = sim_xcalloc(1, sizeof(*n));
    n->g = g;
    n->next_ifindex = 2; /* lo is 1 */
    g->net = n;
    guest_timer_init(&n->lw_timer, g, linkwatch_run, "guest-linkwatch");
    /* notifier order: built-in IPv6 first, then a bond set up on the VF,
     * then the failover module */
    gnet_notifier_register(n, addrconf_notify, n);
    if (g->cfg.primary_bond)
        gnet_notifier_register(n, bond_notify, n);
    gnet_failover_init(n);
}

void gnet_free(struct guest *g)
{
    struct gnet *n = g->net;
    if (!n)
        return;
    guest_timer_cancel(&n->lw_timer);
    gnet_failover_free(n);
    for (int i = 0; i < GNET_MAX_VIRTIO; i++)
        free(n->virtio[i]); /* struct vnet: plain memory, its timer is cancelled */
    while (n->devs) {
        struct gnetdev *d = n->devs;
        n->devs = d->next;
        free(d);
    }
    free(n);
    g->net = NULL;
}

/* The interface init configures: the first failover master, else the
 * first Ethernet device that is nobody's slave. */
static struct gnetdev *default_interface(struct gnet *n)
{
    for (struct gnetdev *d = n->devs; d; d = d->next)
        if (d->priv_flags & GND_IFF_FAILOVER)
            return d;
    for (struct gnetdev *d = n->devs; d; d = d->next)
        if (!d->master && d->type == GND_ARPHRD_ETHER)
            return d;
    return NULL;
}

/* What the recorded guest's init does: `ip link set eth0 up` and
 * `ip addr add 10.0.2.15/24 dev eth0` on the master (or the plain NIC).
 * IPv4 joins the all-hosts group, which the master replays to its slaves. */
void gnet_ifup(struct guest *g)
{
    struct gnet *n = gnet_of(g);
    struct gnetdev *d = default_interface(n);
    if (!d)
        return;
    if (gnetdev_open(d) != 0)
        return;
    d->has_ipv4 = true;
    n->ifup_dev = d;
    /* knob mtu N: `ip link set eth0 mtu N` after the address (G-46 on a master) */
    if (g->cfg.master_mtu && gnetdev_set_mtu(d, g->cfg.master_mtu) != 0)
        sim_emit_state(g->vm, g->host ? host_id(g->host) : OBS_SOURCE, "guest-net", "",
                       "failed", "mtu: error setting the knob's MTU");
    static const uint8_t all_hosts[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };
    gnetdev_mc_add(d, all_hosts);
}

/* Knob address: what the init script does for each `fosim.addr=IF=A/N`,
 * `ip addr add A/N dev IF` then `ip link set IF up`.  Nothing in the kernel
 * stops userspace from configuring a failover slave (net_failover.rst asks
 * userspace to skip interfaces that have a master); the model keeps the
 * traffic on init's interface (gnet_ifup) and records the act on the console
 * (guest_linux.c), which is what a recording shows. */
int gnet_addr_add(struct guest *g, const char *ifname) /* IMP: L6.8 */
{
    struct gnet *n = gnet_of(g);
    struct gnetdev *d = n ? gnetdev_by_name(n, ifname) : NULL;
    if (!d || d->reg != GND_REG_REGISTERED)
        return -GNET_ENODEV;
    return gnetdev_open(d);
}

enum frame_drop gnet_xmit(struct guest *g, const struct frame *f, enum obs_role *via)
{
    struct gnet *n = gnet_of(g);
    *via = OBS_ROLE_UNKNOWN;
    struct gnetdev *d = n ? n->ifup_dev : NULL;
    if (!d || !d->up || !d->has_ipv4)
        return FRAME_DROP_NO_ROUTE;
    /* The stack builds the Ethernet header with the interface's own address
     * (dev_hard_header): a workload frame made with another source gets it. */
    struct frame own;
    uint8_t *copy = NULL;
    if (f->caplen >= 12 && memcmp(f->data + 6, d->dev_addr, 6) != 0) {
        copy = sim_xmalloc(f->caplen);
        memcpy(copy, f->data, f->caplen);
        memcpy(copy + 6, d->dev_addr, 6);
        own = *f;
        own.data = copy;
        f = &own;
    }
    enum frame_drop why;
    if (d->failover && (d->priv_flags & GND_IFF_FAILOVER)) {
        if (!d->qdisc_active || d->tx_stopped)
            why = FRAME_DROP_NO_CARRIER;
        else
            why = net_failover_xmit(d->failover, f, via);
    } else {
        *via = role_of(d);
        why = gnetdev_queue_xmit(d, f);
    }
    free(copy);
    return why;
}

unsigned gnet_interfaces(const struct guest *g, struct guest_ifinfo *out, unsigned max)
{
    const struct gnet *n = gnet_of(g);
    unsigned k = 0;
    if (!n)
        return 0;
    for (const struct gnetdev *d = n->devs; d && k < max; d = d->next, k++) {
        out[k] = (struct guest_ifinfo){
            .ifindex = d->ifindex, .role = role_of(d), .up = d->up, .carrier = d->carrier,
        };
        _Static_assert(sizeof(out[k].name) == sizeof(d->name), "IFNAMSIZ");
        memcpy(out[k].name, d->name, sizeof(d->name)); /* NUL-terminated within */
    }
    return k;
}
