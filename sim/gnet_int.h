/*
 * Private interfaces of the guest's net side: netdev.c, net_failover.c and
 * virtio_net.c (never included outside them, except by their unit tests).
 *
 * guest_int.h is the contract with the rest of the guest (the NIC drivers
 * only see the opaque struct gnetdev and the gnetdev_* calls).  Here is what
 * the three net files share: the full net_device, the notifier chain, the
 * failover hooks and the per-guest net state (struct gnet).
 */
#ifndef SIM_GNET_INT_H
#define SIM_GNET_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_int.h"

#define GNET_EOPNOTSUPP 95
#define GNET_EINVAL 22
#define GNET_EBUSY 16
#define GNET_ENODEV 19
#define GNET_ENOMEM 12
#define GNET_EEXIST 17
#define GNET_ERANGE 34

/* Netdevice notifier events, in Linux's vocabulary (include/linux/netdevice.h). */
#define GNET_EVENTS(X)                                                         \
    X(REGISTER, "NETDEV_REGISTER")                                             \
    X(UNREGISTER, "NETDEV_UNREGISTER")                                         \
    X(PRE_UP, "NETDEV_PRE_UP")                                                 \
    X(UP, "NETDEV_UP")                                                         \
    X(GOING_DOWN, "NETDEV_GOING_DOWN")                                         \
    X(DOWN, "NETDEV_DOWN")                                                     \
    X(CHANGE, "NETDEV_CHANGE")                                                 \
    X(CHANGENAME, "NETDEV_CHANGENAME")                                         \
    X(CHANGEMTU, "NETDEV_CHANGEMTU")                                           \
    X(CHANGEADDR, "NETDEV_CHANGEADDR")                                         \
    X(JOIN, "NETDEV_JOIN")

enum gnet_event {
#define X(id, name) GNET_EV_##id,
    GNET_EVENTS(X)
#undef X
    GNET_NEVENTS
};

const char *gnet_event_name(enum gnet_event e);

/* priv_flags the failover code uses (IFF_* of netdevice.h). */
#define GND_IFF_FAILOVER 0x1u        /* the failover master */
#define GND_IFF_FAILOVER_SLAVE 0x2u  /* a slave of a failover master */
#define GND_IFF_NO_ADDRCONF 0x4u     /* no IPv6 autoconf (6.2+ on slaves) */
#define GND_IFF_LIVE_RENAME_OK 0x8u  /* may be renamed while up (5.2..6.1 slaves) */

/* NETIF_F_* the model tracks (G-11, G-50). */
#define GND_F_SG 0x1u
#define GND_F_HW_CSUM 0x2u
#define GND_F_FRAGLIST 0x4u
#define GND_F_HIGHDMA 0x8u
#define GND_F_TSO 0x10u
#define GND_F_LRO 0x20u
#define GND_F_VLAN_CTAG_TX 0x40u
#define GND_F_VLAN_CTAG_RX 0x80u
#define GND_F_VLAN_CTAG_FILTER 0x100u
#define GND_F_GSO_ENCAP 0x200u
#define GND_F_VLAN_CHALLENGED 0x400u
#define GND_F_NETNS_LOCAL 0x800u
#define GND_F_LLTX 0x1000u
/* FAILOVER_VLAN_FEATURES of net_failover.h and the encap set */
#define GND_F_VLAN_FEATURES                                                    \
    (GND_F_HW_CSUM | GND_F_SG | GND_F_FRAGLIST | GND_F_TSO | GND_F_HIGHDMA | GND_F_LRO)

/* Where the device sits: a PCI function, a virtio device, or nothing. */
enum gnd_bus { GND_BUS_NONE, GND_BUS_PCI, GND_BUS_VIRTIO };

struct gnd_parent {
    enum gnd_bus bus;
    const void *id;     /* identity of the parent device (G-19 compares these) */
    char name[24];      /* dev_name(): "0000:02:00.0", "virtio0" */
    char driver[24];    /* the parent's driver, printed by netdev_printk */
};

/* 64-bit link statistics (rtnl_link_stats64, the fields the model counts). */
struct gnd_stats {
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes, rx_dropped, tx_dropped;
};
#define GND_NSTATS 6

/* rx_handler results (netdevice.h enum rx_handler_result). */
enum gnd_rx_result { GND_RX_PASS, GND_RX_ANOTHER, GND_RX_EXACT, GND_RX_CONSUMED };
typedef enum gnd_rx_result (*gnd_rx_handler)(struct gnetdev **pnd, void *data);

enum gnd_reg { GND_REG_UNINIT, GND_REG_REGISTERED, GND_REG_UNREGISTERING };
enum gnd_operstate { GND_OPER_UNKNOWN, GND_OPER_DOWN, GND_OPER_UP };

#define GND_MAX_ADDRS 16
#define GND_MAX_ADDR_LEN 32           /* MAX_ADDR_LEN */
#define GND_ARPHRD_ETHER 1            /* include/uapi/linux/if_arp.h */
#define GND_ARPHRD_INFINIBAND 32
#define GND_MAX_VIDS 16

struct gnetdev {
    struct guest *g;
    char name[16];            /* "ethN" once registered */
    int ifindex;              /* 0 until registered */
    char driver[24];          /* driver printed by dev_printk for the parent */
    struct gnd_parent parent;
    const struct gnetdev_ops *ops;
    void *priv;
    enum gnd_reg reg;
    uint16_t type;            /* ARPHRD_*: GND_ARPHRD_ETHER, or INFINIBAND for IPoIB */
    unsigned addr_len;        /* bytes of dev_addr/perm_addr: 6, or 20 for IPoIB */
    char name_prefix[8];      /* "eth" (ether_setup), "ib" (IPoIB): names "<prefix>N" */
    uint8_t dev_addr[GND_MAX_ADDR_LEN];  /* current hardware address (MAC) */
    uint8_t perm_addr[GND_MAX_ADDR_LEN]; /* all zero unless the address was permanent (G-18);
                                            failover compares its first 6 bytes */
    bool addr_random;         /* NET_ADDR_RANDOM at registration */
    bool up;                  /* IFF_UP (admin up) */
    bool running;             /* __LINK_STATE_START: ndo_open succeeded */
    bool carrier;             /* !__LINK_STATE_NOCARRIER */
    bool qdisc_active;        /* dev_activate attached the qdisc */
    bool tx_stopped;          /* netif_tx_stop_all_queues */
    enum gnd_operstate operstate; /* RFC 2863, set by linkwatch */
    bool lw_pending;          /* __LINK_STATE_LINKWATCH_PENDING */
    struct gnetdev *lw_next;  /* in gnet->lw_list */
    bool ipv6_ready;          /* addrconf IF_READY */
    unsigned mtu, min_mtu, max_mtu;
    unsigned num_tx_queues;
    uint32_t priv_flags;      /* GND_IFF_* */
    uint32_t features;        /* GND_F_* */
    uint32_t vlan_features;   /* features a VLAN on top inherits (G-50) */
    uint32_t enc_features;    /* hw_enc_features (G-50) */
    bool lower_link_up;       /* lower state published to the master (G-38) */
    bool lower_tx_enabled;
    unsigned hard_header_len;
    bool dst_release;         /* IFF_XMIT_DST_RELEASE */
    gnd_rx_handler rx_handler;
    void *rx_handler_data;
    const char *rx_handler_owner; /* "failover", "bond" (for messages) */
    struct gnetdev *master;   /* upper device (netdev_master_upper_dev_link) */
    struct gnd_stats stats;   /* the driver's counters */
    bool stats32;             /* counters wrap at 32 bits (G-51) */
    uint8_t uc[GND_MAX_ADDRS][6];
    unsigned nuc;
    uint8_t mc[GND_MAX_ADDRS][6];
    unsigned nmc;
    uint16_t vids[GND_MAX_VIDS];
    unsigned nvids;
    bool has_ipv4;            /* init configured 10.0.2.15/24 on it */
    struct failover *failover;/* this device is a failover master */
    bool ops_locked;          /* netdev_need_ops_lock: the driver's ops run under the
                                 instance lock (6.15+, drivers with queue management) */
    bool instance_locked;     /* netdev_lock() held (bug 5: never taken twice) */
    struct gnetdev *next;     /* registry, in registration order */
};

/* A notifier block: fn(ctx, event, dev). */
struct gnet_notifier {
    void (*fn)(void *ctx, enum gnet_event ev, struct gnetdev *nd);
    void *ctx;
};

#define GNET_MAX_NOTIFIERS 8
#define GNET_MAX_VIRTIO 32

/* The per-guest net state ("the network namespace" and the net core). */
struct gnet {
    struct guest *g;
    struct gnetdev *devs;        /* registry in registration order */
    int next_ifindex;            /* lo is 1: the first ethN gets 2 */
    struct gnet_notifier chain[GNET_MAX_NOTIFIERS];
    unsigned nchain;
    /* linkwatch (net/core/link_watch.c) */
    struct gnetdev *lw_list;     /* pending devices, FIFO */
    sim_time lw_nextevent;       /* uptime before which only urgent events run */
    bool lw_urgent;              /* LW_URGENT */
    struct guest_timer lw_timer;
    /* failover core */
    struct failover *failovers;  /* the global list, in registration order */
    /* virtio devices by index (virtio0, virtio1, ...): struct vnet, owned */
    void *virtio[GNET_MAX_VIRTIO];
    /* the interface init configured (ifup), or NULL */
    struct gnetdev *ifup_dev;
    /* test hook: the next gnetdev_register fails with this -errno */
    int fail_next_register;
    /* RTNL, the net core's big lock, where the model takes it (virtio_net's
     * probe around registration, netdev_notify_peers): taking it twice is
     * the hang of bug 9, which the model asserts never happens */
    bool rtnl_held;
};

static inline struct gnet *gnet_of(const struct guest *g)
{
    return g->net;
}

/* ---- netdev.c: core services the other two files use -------------------------- */

void gnet_notifier_register(struct gnet *n, void (*fn)(void *, enum gnet_event, struct gnetdev *),
                            void *ctx);
void gnet_call_notifiers(struct gnet *n, enum gnet_event ev, struct gnetdev *nd);
/* Allocate a device on a given parent (virtio devices, the master). */
struct gnetdev *gnetdev_alloc_on(struct guest *g, const char *driver,
                                 const struct gnd_parent *parent,
                                 const struct gnetdev_ops *ops, void *priv);
int gnetdev_rx_handler_register(struct gnetdev *nd, gnd_rx_handler fn, void *data,
                                const char *owner);
void gnetdev_rx_handler_unregister(struct gnetdev *nd);
/* dev_queue_xmit on a lower device: counts, hands to the driver. */
enum frame_drop gnetdev_queue_xmit(struct gnetdev *nd, const struct frame *f);
/* Deliver a frame to the stack bound to nd (the end of __netif_receive_skb). */
enum frame_drop gnetdev_deliver(struct gnetdev *nd, const struct frame *f, enum obs_role via);
int gnetdev_set_mac(struct gnetdev *nd, const uint8_t mac[6]);
/*
 * The instance lock (netdev_lock_ops, linux-guest.md bug 5).  From 6.15 a
 * device whose driver needs it (gnetdev_set_ops_locked) is locked while
 * NETDEV_REGISTER and NETDEV_UP run, and the dev_* calls (gnetdev_open,
 * gnetdev_close, gnetdev_set_mtu) take it themselves; code that already
 * holds it -- a notifier on such a device, or its own locker -- uses the
 * netif_* variants below, which require it held.  The lock is a plain
 * mutex: taking it twice is the hang of bug 5, and the model asserts it
 * never happens.  On older kernels and other devices all of this is a
 * no-op.
 */
bool gnetdev_need_ops_lock(const struct gnetdev *nd);
void gnetdev_lock_ops(struct gnetdev *nd);
void gnetdev_unlock_ops(struct gnetdev *nd);
int gnetdev_open_locked(struct gnetdev *nd);                 /* netif_open */
void gnetdev_close_locked(struct gnetdev *nd);               /* netif_close */
int gnetdev_set_mtu_locked(struct gnetdev *nd, unsigned mtu); /* netif_set_mtu */
int gnetdev_change_name(struct gnetdev *nd, const char *newname);
int gnetdev_vlan_add(struct gnetdev *nd, uint16_t vid);
int gnetdev_vlan_kill(struct gnetdev *nd, uint16_t vid);
int gnetdev_mc_add(struct gnetdev *nd, const uint8_t mac[6]);
int gnetdev_uc_add(struct gnetdev *nd, const uint8_t mac[6]);
/* dev_uc/mc_sync_multiple and unsync: copy `from`'s lists onto `to`. */
void gnetdev_addr_sync(struct gnetdev *to, const struct gnetdev *from);
void gnetdev_addr_unsync(struct gnetdev *to, const struct gnetdev *from);
/* dev_get_stats: the counters as the stack reports them. */
void gnetdev_get_stats(struct gnetdev *nd, struct gnd_stats *out);
void gnetdev_tx_wake_all(struct gnetdev *nd);
void gnetdev_tx_stop_all(struct gnetdev *nd);
struct gnetdev *gnetdev_by_name(const struct gnet *n, const char *name);
/* netdev_info/netdev_err: "<driver> <parent> <ifname>: text" on the console. */
void gnetdev_log(const struct gnetdev *nd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* dev_info on the parent device: "<driver> <parent>: text". */
void gnd_parent_log(struct guest *g, const struct gnd_parent *p, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool gnet_kernel_at_least(const struct guest *g, unsigned major, unsigned minor);

/* ---- net_failover.c ---------------------------------------------------------------- */

struct failover; /* one failover instance (failover core + net_failover_info) */

void gnet_failover_init(struct gnet *n);   /* registers the failover notifier */
void gnet_failover_free(struct gnet *n);
/* net_failover_create(standby): the master, registered, carrier off, and
 * the instance registered.  NULL with *err = -errno on failure. */
struct failover *net_failover_create(struct gnetdev *standby, int *err);
void net_failover_destroy(struct failover *fo);
struct gnetdev *failover_master(const struct failover *fo);
struct gnetdev *failover_primary(const struct failover *fo);
struct gnetdev *failover_standby(const struct failover *fo);
/* The master's role for a device of this guest: PRIMARY/STANDBY if a slave,
 * MASTER if a master, OTHER otherwise. */
enum obs_role gnet_failover_role(const struct gnetdev *nd);
/* ethtool get_link_ksettings on the master (G-52): whose settings it
 * reports, PRIMARY or STANDBY, or UNKNOWN (speed/duplex unknown, port OTHER). */
enum obs_role net_failover_link_source(const struct failover *fo);
/* The TX queue the master chose for the last frame (after folding, G-44). */
unsigned net_failover_last_queue(const struct failover *fo);
/* The master's TX (G-43): the frame leaves through a ready slave. */
enum frame_drop net_failover_xmit(struct failover *fo, const struct frame *f, enum obs_role *via);
/* The master's folded stats (G-51). */
void net_failover_get_stats(struct failover *fo, struct gnd_stats *out);

/* rtnl_lock / rtnl_unlock (a plain mutex: never taken twice). */
void gnet_rtnl_lock(struct gnet *n);
void gnet_rtnl_unlock(struct gnet *n);

/* ---- virtio_net.c ------------------------------------------------------------------ */

/* The virtio device name this netdev's parent has ("virtio0"), or NULL. */
const char *virtio_net_devname(const struct gnetdev *nd);
/* Peer notifications (G-08) virtio_net sent for this standby so far, and
 * the uptime of the last (SIM_TIME_NONE if none). */
unsigned virtio_net_announces(const struct gnetdev *nd, sim_time *last);

#endif
