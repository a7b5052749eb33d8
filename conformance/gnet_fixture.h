/*
 * A guest net fixture for the unit tests of netdev.c, net_failover.c and
 * virtio_net.c: a world with one VM whose linux guest has booted (on no
 * host: its console lines are stamped as the source's), the net core
 * initialised, and fake devices that stand for what the drivers register:
 *   - a "VF" on a fake PCI function (parent bus PCI, driver e1000e),
 *   - a virtio standby with its failover master, made as virtnet_probe
 *     makes them (master created before the standby registers),
 *   - any netdev with no parent.
 * Fake drivers record what they transmit and can be told to fail open,
 * VLAN programming or MTU changes.  Tests include the private headers on
 * purpose: they drive the net side through its internal contract.
 */
#ifndef FOSIM_GNET_FIXTURE_H
#define FOSIM_GNET_FIXTURE_H

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/gnet_int.h"
#include "sim/world.h"

struct fake_dev {
    struct gnetdev *nd;
    struct gpci_dev pdev;     /* the fake PCI function (VF) */
    int open_err;             /* ndo_open result */
    int vlan_err;             /* ndo_vlan_rx_add_vid result */
    int mtu_err;              /* ndo_change_mtu result */
    unsigned queue;           /* what select_queue answers */
    unsigned tx;              /* frames the driver sent */
    unsigned locked_calls;    /* ndo_open / ndo_change_mtu calls made under the instance lock */
    unsigned unlocked_calls;  /* ... and without it */
    struct fake_dev *next;
};

struct gfix {
    struct sim_world *w;
    struct guest *g;
    struct fo_capture cap;
    struct fake_dev *fakes;
    int vparent[4];           /* identities of fake virtio devices */
    unsigned rx_ok[OBS_NROLES];
    unsigned rx_drop[FRAME_NDROPS];
};

/* Count the driver calls made with and without the instance lock. */
static inline void fake_lock_seen(struct gnetdev *nd)
{
    struct fake_dev *f = gnetdev_priv(nd);
    if (nd->instance_locked)
        f->locked_calls++;
    else
        f->unlocked_calls++;
}

static inline int fake_open(struct gnetdev *nd)
{
    struct fake_dev *f = gnetdev_priv(nd);
    fake_lock_seen(nd);
    return f->open_err;
}

static inline enum frame_drop fake_xmit(struct gnetdev *nd, const struct frame *fr)
{
    (void)fr;
    struct fake_dev *f = gnetdev_priv(nd);
    f->tx++;
    return FRAME_DROP_NONE;
}

static inline int fake_mtu(struct gnetdev *nd, unsigned mtu)
{
    (void)mtu;
    struct fake_dev *f = gnetdev_priv(nd);
    fake_lock_seen(nd);
    return f->mtu_err;
}

static inline int fake_vlan(struct gnetdev *nd, uint16_t vid)
{
    (void)vid;
    struct fake_dev *f = gnetdev_priv(nd);
    return f->vlan_err;
}

static inline int fake_set_mac(struct gnetdev *nd, const uint8_t mac[6])
{
    (void)nd;
    (void)mac;
    return 0;
}

static inline unsigned fake_queue(struct gnetdev *nd, const struct frame *fr)
{
    (void)fr;
    struct fake_dev *f = gnetdev_priv(nd);
    return f->queue;
}

static const struct gnetdev_ops fake_ops = {
    .open = fake_open,
    .xmit = fake_xmit,
    .change_mtu = fake_mtu,
    .set_mac = fake_set_mac,
    .select_queue = fake_queue,
    .vlan_add = fake_vlan,
};

static inline void gfix_rx_ok(void *ctx, const struct frame *f, enum obs_role via)
{
    (void)f;
    struct gfix *x = ctx;
    x->rx_ok[via]++;
}

static inline void gfix_rx_drop(void *ctx, const struct frame *f, enum obs_role via,
                                enum frame_drop why)
{
    (void)f;
    (void)via;
    struct gfix *x = ctx;
    x->rx_drop[why]++;
}

/* knobs: scenario text of a guest block's lines ("kernel 6.2\n") or NULL */
static inline struct gfix *gfix_new_knobs(uint64_t mutants, const char *knobs)
{
    struct gfix *x = calloc(1, sizeof(*x));
    struct sim_world_config cfg = { .seed = 1, .mutants = mutants };
    x->w = sim_world_new(&cfg);
    sim_world_add_vms(x->w, 1);
    sim_world_add_sink(x->w, fo_capture_sink, &x->cap);
    char text[512];
    snprintf(text, sizeof(text), "host source\n-M q35\nend\nguest linux\n%send\n",
             knobs ? knobs : "");
    struct scenario *s;
    struct sim_err err;
    if (scn_parse_string("fixture.fos", text, &s, &err) != 0)
        fail_msg("%s", err.msg);
    x->g = guest_new(&x->w->vms[0], &s->guest, &err);
    scn_free(s);
    if (!x->g)
        fail_msg("%s", err.msg);
    x->g->booted = true;
    x->g->running = true;
    x->g->boot_at = 0;
    gnet_init(x->g);
    guest_set_rx_hook(x->g, (struct guest_rx_hook){ gfix_rx_ok, gfix_rx_drop, x });
    return x;
}

static inline struct gfix *gfix_new(uint64_t mutants)
{
    return gfix_new_knobs(mutants, NULL);
}

static inline void gfix_free(struct gfix *x)
{
    gnet_free(x->g);
    guest_free(x->g);
    sim_world_free(x->w);
    while (x->fakes) {
        struct fake_dev *f = x->fakes;
        x->fakes = f->next;
        free(f);
    }
    fo_capture_free(&x->cap);
    free(x);
}

static inline struct gnet *gfix_net(struct gfix *x)
{
    return gnet_of(x->g);
}

static inline void gfix_run(struct gfix *x, sim_time until)
{
    sim_run_until(x->w, until);
}

static const uint8_t MAC_A[6] = { 0x52, 0x54, 0x00, 0x11, 0x11, 0x11 };
static const uint8_t MAC_B[6] = { 0x52, 0x54, 0x00, 0x22, 0x22, 0x22 };

static inline struct fake_dev *gfix_fake(struct gfix *x)
{
    struct fake_dev *f = calloc(1, sizeof(*f));
    f->next = x->fakes;
    x->fakes = f;
    return f;
}

/* A VF on PCI function `pciname`, registered with `mac`. */
static inline struct fake_dev *gfix_vf(struct gfix *x, const char *pciname, const uint8_t mac[6],
                                       bool random)
{
    struct fake_dev *f = gfix_fake(x);
    f->pdev.g = x->g;
    snprintf(f->pdev.name, sizeof(f->pdev.name), "%s", pciname);
    f->nd = gnetdev_alloc(x->g, "e1000e", &f->pdev, &fake_ops, f);
    gnetdev_set_mtu_range(f->nd, 1500, 68, 9000);
    assert_int_equal(gnetdev_register(f->nd, mac, random), 0);
    return f;
}

/* A VF whose link is not up yet when it registers (e1000e turns its
 * carrier off before register_netdev; the PHY comes up later). */
static inline struct fake_dev *gfix_vf_nocarrier(struct gfix *x, const char *pciname,
                                                 const uint8_t mac[6])
{
    struct fake_dev *f = gfix_fake(x);
    f->pdev.g = x->g;
    snprintf(f->pdev.name, sizeof(f->pdev.name), "%s", pciname);
    f->nd = gnetdev_alloc(x->g, "e1000e", &f->pdev, &fake_ops, f);
    gnetdev_carrier_off(f->nd);
    assert_int_equal(gnetdev_register(f->nd, mac, false), 0);
    return f;
}

/* A netdev with no parent device (a veth, a tap...). */
static inline struct fake_dev *gfix_virtual(struct gfix *x, const uint8_t mac[6])
{
    struct fake_dev *f = gfix_fake(x);
    f->nd = gnetdev_alloc(x->g, "veth", NULL, &fake_ops, f);
    assert_int_equal(gnetdev_register(f->nd, mac, false), 0);
    return f;
}

/* A standby on fake virtio device `idx` as virtnet_probe makes it: the
 * master first (with STANDBY), then the standby, carrier from status. */
static inline struct fake_dev *gfix_standby_mtu(struct gfix *x, int idx, const uint8_t mac[6],
                                                bool standby, unsigned mtu, unsigned max)
{
    struct fake_dev *f = gfix_fake(x);
    struct gnd_parent p = { .bus = GND_BUS_VIRTIO, .id = &x->vparent[idx] };
    snprintf(p.name, sizeof(p.name), "virtio%d", idx);
    snprintf(p.driver, sizeof(p.driver), "virtio_net");
    f->nd = gnetdev_alloc_on(x->g, "virtio_net", &p, &fake_ops, f);
    gnetdev_set_mtu_range(f->nd, mtu, 68, max);
    memcpy(f->nd->dev_addr, mac, 6);
    if (standby) {
        int err;
        assert_non_null(net_failover_create(f->nd, &err));
    }
    assert_int_equal(gnetdev_register(f->nd, mac, false), 0);
    return f;
}

static inline struct fake_dev *gfix_standby(struct gfix *x, int idx, const uint8_t mac[6])
{
    return gfix_standby_mtu(x, idx, mac, true, 1500, 65535);
}

/* The failover instance a master device belongs to. */
static inline struct failover *gfix_fo(struct gfix *x, const char *master)
{
    struct gnetdev *m = gnetdev_by_name(gfix_net(x), master);
    assert_non_null(m);
    assert_non_null(m->failover);
    return m->failover;
}

static inline struct gnetdev *gfix_dev(struct gfix *x, const char *name)
{
    return gnetdev_by_name(gfix_net(x), name);
}

/* Console lines containing `text`. */
static inline size_t gfix_count(struct gfix *x, const char *text)
{
    return fo_count(&x->cap, OBS_KLOG, OBS_SOURCE, text, NULL);
}

static inline long gfix_find(struct gfix *x, const char *text)
{
    return fo_find(&x->cap, 0, OBS_KLOG, OBS_SOURCE, text, NULL);
}

static inline enum frame_drop gfix_rx(struct gfix *x, struct gnetdev *nd)
{
    (void)x;
    static uint8_t b[60];
    memcpy(b, nd->dev_addr, 6);
    struct frame f = { .data = b, .len = 60, .caplen = 60 };
    return gnetdev_rx(nd, &f);
}

static inline enum frame_drop gfix_tx(struct gfix *x, enum obs_role *via)
{
    static uint8_t b[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    struct frame f = { .data = b, .len = 60, .caplen = 60 };
    return gnet_xmit(x->g, &f, via);
}

#endif
