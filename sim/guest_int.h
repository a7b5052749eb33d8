/*
 * Private interfaces of the guest models (never included outside sim/).
 *
 * The guest is split by kernel subsystem, as Linux is:
 *   guest.c         the core: profiles, knobs, uptime, console, timers that
 *                   stop while the VM is stopped, the host notifications
 *   guest_pci.c     PCI enumeration, driver binding and removal
 *   pciehp.c        native PCIe hotplug (the slot state machine, section 3)
 *   acpiphp.c       ACPI PCI hotplug
 *   nic.c           the primary's driver (e1000e, a VF driver)
 *   netdev.c        net devices: registration, names, notifier chain,
 *                   open/close, carrier, linkwatch
 *   virtio_net.c    the virtio-net driver (features, STANDBY, standby netdev)
 *   net_failover.c  failover core and net_failover (pairing, TX, RX, carrier)
 *   guest_qtest.c   the qtest profile (scripted feature writes and ejects)
 *
 * Each part keeps its state in its own struct hung off struct guest.
 */
#ifndef SIM_GUEST_INT_H
#define SIM_GUEST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/event.h"
#include "sim/guest.h"
#include "sim/hw.h"
#include "sim/rng.h"
#include "sim/scenario.h"

struct gpci;     /* guest_pci.c */
struct gnet;     /* netdev.c, virtio_net.c, net_failover.c */
struct gqtest;   /* guest_qtest.c */
struct glinux;   /* guest_linux.c: the linux profile (boot, kernel clock, hotplug) */

#define GUEST_MAX_ADDRS 4 /* knob address: at most this many */

/* Knobs of the linux profile (doc/guest.md lists them with their defaults). */
struct guest_cfg {
    unsigned kernel_major, kernel_minor; /* "kernel 6.1" */
    bool standby_accept;      /* "standby accept|refuse" */
    bool standby_needs_mac;   /* "standby-needs-mac yes|no" (G-01; 6.3+ default yes) */
    bool failover_driver;     /* "failover-driver on|off": virtio_net/net_failover loaded */
    bool eject;               /* "eject on-request|never" */
    sim_time eject_delay;     /* "eject-delay T": extra latency before reacting to hotplug */
    sim_time firmware;        /* "firmware T": SeaBIOS and the kernel's loading, from the VM's
                                 first run to the kernel's clock 0 (after -S / prelaunch) */
    sim_time boot;            /* "boot T": kernel start to "Run /init"; init then loads the drivers */
    bool primary_random_mac;  /* "primary-mac permanent|random" */
    bool primary_bond;        /* "primary-bond on|off": the primary is a bond port */
    char primary_driver[24];  /* "primary-driver NAME" for vfio VFs */
    bool primary_infiniband;  /* "primary-link infiniband": the VF's port runs InfiniBand
                                 (mlx5_core; IPoIB registers ibN, ARPHRD_INFINIBAND) */
    sim_time linkwatch_delay; /* "link-watch-delay T" (default 1s) */
    bool ifup;                /* "ifup on|off": init brings the master (or NIC) up */
    bool pciehp_poll;         /* "pciehp-poll on|off" (G-86) */
    int pciehp_poll_time;     /* "pciehp-poll-time N" seconds (G-86; <= 0 or > 60: 2) */
    unsigned master_mtu;      /* "mtu N": MTU set on the master after boot; 0 = leave */
    /* "address IF A.B.C.D/N" (repeatable): after the ifup, init also runs `ip addr add
     * A/N dev IF; ip link set IF up`, the way a tool that is not failover-aware
     * configures a slave (linux-guest.md bug 8), and logs "fosim-guest: addr IF A/N" */
    struct guest_addr {
        char ifname[16];
        char prefix[20];      /* "10.0.2.16/24" */
    } addrs[GUEST_MAX_ADDRS];
    unsigned naddrs;
    bool fault_virtio_register; /* "fault virtio-register": the standby's register_netdevice
                                   fails with -ENOMEM (failslab), after the master exists */
};

/* A profile's operations; NULL members do nothing. */
struct guest_profile {
    const char *name;
    void (*free)(struct guest *g);
    void (*boot)(struct guest *g);                      /* drivers start */
    void (*migrated)(struct guest *g);                  /* now on g->host */
    int (*action)(struct guest *g, const struct scn_action *a, bool dry_run,
                  struct sim_err *err);
    enum frame_drop (*xmit)(struct guest *g, const struct frame *f, enum obs_role *via);
    unsigned (*interfaces)(const struct guest *g, struct guest_ifinfo *out, unsigned max);
    const struct hw_guest_ops *hw;                      /* host notifications */
};

extern const struct guest_profile guest_profile_linux;
extern const struct guest_profile guest_profile_qtest;

/* A guest timer: runs on guest time, so it stands still while the VM is
 * stopped (paused, or between switchover and resume on the target). */
struct guest_timer {
    struct sim_event ev;          /* on the world queue while armed and running */
    struct guest *g;
    void (*fn)(struct guest *g, struct guest_timer *t);
    sim_time remaining;           /* while suspended: time left */
    bool armed;
    struct guest_timer *next;     /* in g->timers while armed */
};

struct guest {
    struct sim_world *w;
    struct sim_vm *vm;
    const struct guest_profile *prof;
    struct guest_cfg cfg;
    struct host *host;            /* the host the VM runs on, or NULL */
    bool powered;                 /* power-on happened (guest_boot) */
    bool booted;                  /* the kernel started (after the firmware) */
    bool running;                 /* the VM's CPUs run */
    bool cold;                    /* the kernel ran before, and the VM has since moved to a
                                     new QEMU process: see guest_migrate */
    sim_time boot_at;             /* world time of the kernel's clock 0 */
    sim_time stopped_total;       /* world time spent stopped since boot */
    sim_time stopped_at;          /* when the current stop began */
    struct guest_timer *timers;   /* armed timers */
    struct sim_rng rng;           /* "guest" stream */
    struct guest_rx_hook rx_hook;
    struct sim_event boot_ev;
    struct guest_timer firmware;  /* the firmware phase, on guest time */
    struct gpci *pci;             /* owned by guest_pci.c */
    struct gnet *net;             /* owned by netdev.c */
    struct gqtest *qtest;         /* owned by guest_qtest.c */
    struct glinux *lx;            /* owned by guest_linux.c */
};

/* ---- PCI functions and drivers (guest_pci.c) ----------------------------------
 *
 * A gpci_dev is a PCI function the guest enumerated.  It keeps the function's
 * address and what the guest read from it; the host's device is looked up
 * again by address whenever it is touched (the VM may have moved hosts).
 */
struct gpci_dev;

/*
 * Probe and remove may take guest time (a real e1000e probe takes ~0.2 s and
 * its remove ~80 ms, and pciehp's power-off waits for it): such a driver
 * returns GPCI_ASYNC and calls gpci_probe_done() / gpci_remove_done() later.
 * The PCI core, and the hotplug controller or module load waiting on it,
 * continue only then.  A driver that finishes at once returns 0 (or, from
 * probe, a negative errno).
 */
#define GPCI_ASYNC 1

struct guest_driver {
    const char *name; /* "virtio-pci"/"virtio_net", "e1000e", "iavf", ... */
    /* Does this driver bind to the function? */
    bool (*match)(const struct guest *g, const struct hw_pci_info *info);
    /* Bind: create the net device etc.  0, a negative errno, or GPCI_ASYNC. */
    int (*probe)(struct guest *g, struct gpci_dev *pdev);
    /* Unbind (safe or surprise removal, or module unload): 0 or GPCI_ASYNC.
     * After remove returned 0 or called gpci_remove_done() the driver must
     * not touch pdev again. */
    int (*remove)(struct guest *g, struct gpci_dev *pdev, bool surprise);
    /* Interrupts of a bound function, routed by the PCI core to its driver
     * (the hw_guest_ops of the same names).  Each may be NULL: ignored. */
    void (*config_changed)(struct guest *g, struct gpci_dev *pdev); /* virtio config irq */
    void (*rx)(struct guest *g, struct gpci_dev *pdev, const struct frame *f); /* frame in */
    void (*link)(struct guest *g, struct gpci_dev *pdev, bool up);  /* NIC PHY link */
};

/* An asynchronous probe finished: 0 or a negative errno (the core unbinds). */
void gpci_probe_done(struct gpci_dev *pdev, int err);
/* An asynchronous remove finished; pdev may be freed from here on. */
void gpci_remove_done(struct gpci_dev *pdev);

extern const struct guest_driver virtio_net_driver; /* virtio_net.c */
extern const struct guest_driver e1000e_driver;     /* nic.c */
extern const struct guest_driver vf_driver;         /* nic.c: passthrough VFs */
/* nic.c: the VF drivers the knob primary-driver may name (iavf, ixgbevf, mlx5_core). */
bool nic_vf_driver_known(const char *name);

struct gpci_dev {
    struct guest *g;
    struct hw_pci_addr addr;
    struct hw_pci_info info;      /* as read at enumeration (qdev_id borrowed
                                     from the host that was current then) */
    char name[16];                /* "0000:02:00.0" */
    const struct guest_driver *drv; /* bound driver, or NULL */
    void *drvdata;                /* the driver's state */
    bool disconnected;            /* surprise removal marked it gone */
};

/* The host's function behind pdev on the current host, or NULL if gone. */
struct hw_pcidev *gpci_hw(struct gpci_dev *pdev);

/* ---- Net devices (netdev.c) ---------------------------------------------------
 *
 * A gnetdev is a Linux net_device: a name (ethN, the lowest free N, given at
 * registration), an ifindex (never reused), a permanent and a current MAC,
 * flags (up/running), carrier, MTU and its range, an rx_handler, an upper
 * (master) link and counters.  Registration and state changes run the
 * netdevice notifier chain, which net_failover listens on.  Carrier changes
 * reach the chain through linkwatch (delayed, G-40).  doc/guest-net.md
 * describes the model.
 */
struct gnetdev;

struct gnetdev_ops {
    int (*open)(struct gnetdev *nd);            /* ndo_open; 0 or -errno */
    int (*stop)(struct gnetdev *nd);            /* ndo_stop */
    enum frame_drop (*xmit)(struct gnetdev *nd, const struct frame *f);
    int (*change_mtu)(struct gnetdev *nd, unsigned mtu); /* NULL: any in range */
    int (*set_mac)(struct gnetdev *nd, const uint8_t mac[6]); /* NULL: refused */
    /* Optional members (NULL: the core's default). */
    unsigned (*select_queue)(struct gnetdev *nd, const struct frame *f); /* NULL: 0 */
    int (*vlan_add)(struct gnetdev *nd, uint16_t vid);   /* NULL: accepted */
    int (*vlan_kill)(struct gnetdev *nd, uint16_t vid);  /* NULL: accepted */
    void (*set_rx_mode)(struct gnetdev *nd);             /* address lists changed */
    int (*phys_port_name)(struct gnetdev *nd, char *buf, size_t len); /* NULL: -EOPNOTSUPP */
};

/* Allocate a net device.  `parent` is the PCI function it sits on (NULL for
 * virtual devices); `driver` is the name printed in its log lines.  Carrier
 * starts on, as alloc_netdev leaves it: a NIC driver whose PHY has no link
 * yet calls gnetdev_carrier_off before registering (e1000e does). */
struct gnetdev *gnetdev_alloc(struct guest *g, const char *driver, struct gpci_dev *parent,
                              const struct gnetdev_ops *ops, void *priv);
/* Free a device that was never registered (a probe that failed early). */
void gnetdev_free(struct gnetdev *nd);
/* Register: name it, copy the permanent MAC (unless the MAC was random),
 * run NETDEV_REGISTER.  0 or -errno (the device is then still allocated). */
int gnetdev_register(struct gnetdev *nd, const uint8_t mac[6], bool mac_random);
/* The same for a device whose address is not a MAC: `len` bytes (at most
 * 32), e.g. IPoIB's 20 (flags, QP number, port GID). */
int gnetdev_register_addr(struct gnetdev *nd, const uint8_t *addr, unsigned len, bool random);
/* Link layers other than Ethernet, set before registering: the device's
 * type (ARPHRD_*), its name prefix and address length change. */
enum gnetdev_link {
    GNETDEV_LINK_ETHER,      /* ether_setup: ARPHRD_ETHER, "ethN", 6-byte MAC (the default) */
    GNETDEV_LINK_INFINIBAND, /* ipoib_setup_common: ARPHRD_INFINIBAND, "ibN", 20-byte
                                address, MTU 2044 (datagram mode) */
};
void gnetdev_set_link(struct gnetdev *nd, enum gnetdev_link link);
/* The driver's ops need the instance lock (a queue-management driver such
 * as mlx5 from 6.15: netdev_need_ops_lock); set before registering. */
void gnetdev_set_ops_locked(struct gnetdev *nd);
/* Unregister (closing it first if up, as the core does) and free it. */
void gnetdev_unregister(struct gnetdev *nd);
void *gnetdev_priv(const struct gnetdev *nd);
const char *gnetdev_name(const struct gnetdev *nd);
int gnetdev_ifindex(const struct gnetdev *nd);
/* Carrier: the flag changes at once (TX sees it); the notifier chain hears
 * of it through linkwatch. */
void gnetdev_carrier_on(struct gnetdev *nd);
void gnetdev_carrier_off(struct gnetdev *nd);
bool gnetdev_carrier_ok(const struct gnetdev *nd);
bool gnetdev_running(const struct gnetdev *nd);
/* The driver received a frame from the wire: rx_handler, then the stack.
 * Returns why the stack did not take it, or FRAME_DROP_NONE. */
enum frame_drop gnetdev_rx(struct gnetdev *nd, const struct frame *f);
int gnetdev_open(struct gnetdev *nd);    /* dev_open */
void gnetdev_close(struct gnetdev *nd);  /* dev_close */
/* MTU: the range a driver allows (before registering), and dev_set_mtu. */
void gnetdev_set_mtu_range(struct gnetdev *nd, unsigned mtu, unsigned min, unsigned max);
int gnetdev_set_mtu(struct gnetdev *nd, unsigned mtu);
unsigned gnetdev_mtu(const struct gnetdev *nd);
/* Number of TX queues (alloc_etherdev_mq; default 1). */
void gnetdev_set_tx_queues(struct gnetdev *nd, unsigned n);
/* The device's 32-bit hardware counters wrap at 2^32 (G-51). */
void gnetdev_set_stats32(struct gnetdev *nd, bool on);

/* The net side of the linux profile (netdev.c). */
void gnet_init(struct guest *g);                 /* at boot, before drivers */
void gnet_free(struct guest *g);
void gnet_ifup(struct guest *g);                 /* init: master (or NIC) up, 10.0.2.15/24, knob mtu */
/* init: `ip addr add A/N dev IF; ip link set IF up` (knob address): 0, or a negative
 * GNET_E* (-GNET_ENODEV: no such interface yet) */
int gnet_addr_add(struct guest *g, const char *ifname);
enum frame_drop gnet_xmit(struct guest *g, const struct frame *f, enum obs_role *via);
unsigned gnet_interfaces(const struct guest *g, struct guest_ifinfo *out, unsigned max);
/* A scripted net action of the linux profile (`at T guest VERB ARGS`, verbs
 * in doc/guest-net.md: rename, mtu, up, down, mac, vlan, mc ...).  Returns 1
 * when VERB is not a net verb (the profile tries its own), 0 when done (or
 * valid, with dry_run), -1 with a positioned error. */
int gnet_action(struct guest *g, const struct scn_action *a, bool dry_run, struct sim_err *err);

/* ---- core services (guest.c) ------------------------------------------------ */

/* A frame a guest device received did not reach the stack: tell the
 * traffic model why (rx_hook.drop).  `via` is the role of the interface it
 * arrived on, OBS_ROLE_UNKNOWN when no interface exists (no driver). */
void guest_rx_drop(struct guest *g, const struct frame *f, enum obs_role via,
                   enum frame_drop why);

/* Print a kernel console line (printf format) stamped with the uptime. */
void guest_log(struct guest *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void guest_timer_init(struct guest_timer *t, struct guest *g,
                      void (*fn)(struct guest *g, struct guest_timer *t), const char *name);
/* Arm (or re-arm) t to fire `delay` of guest time from now. */
void guest_timer_arm(struct guest_timer *t, sim_time delay);
void guest_timer_cancel(struct guest_timer *t);
static inline bool guest_timer_pending(const struct guest_timer *t)
{
    return t->armed;
}

#endif
