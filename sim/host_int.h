/*
 * Private interfaces of the QEMU host model (never included outside sim/).
 *
 * The host is split as QEMU is:
 *   host.c        the process: command line, run state, public API, the
 *                 guest-visible PCI functions and NICs of sim/hw.h
 *   qdev.c        the device tree: -device/-netdev options, properties,
 *                 hide listeners, device_add/device_del, query-pci
 *   virtio_dev.c  the virtio-net device: features, set_features, failover
 *                 (FAILOVER_NEGOTIATED, adding, unplugging, replugging the
 *                 primary)
 *   pcie_port.c   pcie-root-port: slot registers, native hotplug
 *   acpi_pcihp.c  q35's ACPI PCI hotplug: up/down bitmaps, GPE, eject
 *   qmp.c         the QMP monitor: commands, replies, events
 *   migration.c   the source and destination migration state machines
 *
 * All state hangs off struct host; nothing is global.
 */
#ifndef SIM_HOST_INT_H
#define SIM_HOST_INT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/event.h"
#include "sim/host.h"
#include "sim/hw.h"
#include "sim/rng.h"
#include "sim/world.h"

struct mig;      /* migration.c */

/* ---- drivers (qdev.c) ------------------------------------------------------------ */

enum hdrv_id {
    HDRV_ROOT_PORT, /* pcie-root-port */
    HDRV_VIRTIO_NET,/* virtio-net-pci (alias virtio-net) */
    HDRV_E1000E,    /* e1000e */
    HDRV_VFIO,      /* vfio-pci */
    HDRV_VGA,       /* the default VGA of a machine without -nodefaults */
    HDRV_PCI_BRIDGE,/* pcie-pci-bridge: a conventional PCI bus */
};

struct hdrv {
    const char *name;     /* QOM type name */
    enum hdrv_id id;
    enum hw_dev_kind kind;
    uint16_t vendor, device, class_code;
    uint16_t subsys_vendor, subsys;
    const char *class_desc;  /* query-pci class_info.desc */
    const char *vmsd;        /* vmstate name ("e1000e"), NULL if none */
    const char *romfile;     /* default option ROM, or NULL */
    bool nic;                /* has netdev/mac properties */
    bool hotpluggable;
};

const struct hdrv *hdrv_lookup(const char *name);

/* ---- netdevs (qdev.c) ------------------------------------------------------------ */

struct hnetdev {
    char *id;             /* owned */
    char *type;           /* "user", "tap", ...; owned */
    struct hw_pcidev *peer; /* the NIC using it, or NULL */
    struct hnetdev *next; /* creation order */
};

struct hnetdev *hnetdev_find(struct host *h, const char *id);

/* ---- devices ------------------------------------------------------------------ */

/* The virtio-net device state of a virtio-net-pci function (virtio_dev.c). */
struct vnet {
    struct hw_pcidev *d;
    bool failover;            /* property failover (H-01) */
    uint64_t host_features;
    uint64_t guest_features;  /* negotiated (after masking, H-03) */
    uint32_t gf[2];           /* the transport's two guest feature words (H-20) */
    uint8_t status;           /* device status register */
    uint16_t net_status;      /* config.status: LINK_UP, ANNOUNCE */
    bool primary_hidden;      /* failover_primary_hidden (H-02, H-14) */
    json_t *primary_opts;     /* stored options of the primary (H-13), owned */
    bool primary_opts_from_json;
    bool listening;           /* hide listener registered (H-02, H-05) */
    bool notifier;            /* migration notifier registered */
    bool rx_notify_off;       /* NIC_RX_FILTER_CHANGED sent, not re-armed */
    uint64_t reg_seq;         /* registration order of listener and notifier */
};

/* A PCI function in the device tree. */
struct hw_pcidev {
    struct host *h;
    struct hw_pcidev *next;   /* h->devs, creation order */
    const struct hdrv *drv;
    char *id;                 /* qdev id or NULL; owned */
    bool from_json;
    struct hw_pcidev *parent; /* the bridge it sits behind (a root port or a
                                 pcie-pci-bridge); NULL = pcie.0 */
    uint8_t devfn;            /* slot << 3 | function on its bus */
    bool multifunction;
    bool hotplugged;          /* created after the machine started */
    char *netdev;             /* netdev id, owned, or NULL */
    bool has_mac, mac_random;
    uint8_t mac[6];
    char *pair;               /* failover_pair_id, owned, or NULL */
    bool rom;                 /* has an option ROM RAM block (H-59) */
    char *vfio_host;          /* vfio-pci host=, owned */
    bool partially_hotplugged;/* H-33, H-47 */
    bool pending_deleted_event;
    sim_time pending_deleted_expires; /* world time; H-60 */
    bool allow_unplug_during_migration; /* H-29 */
    bool vmstate;             /* its device state is migrated (H-34) */
    bool link_up;             /* NIC link (set_link) */
    struct vnet *vn;          /* virtio-net state, or NULL */
    struct hw_port *port;     /* root port state, or NULL */
    uint64_t serial;          /* unique in its host, never reused */
    bool pci_bridge;          /* a pcie-pci-bridge: its bus is conventional PCI */
    uint8_t secbus;           /* pcie-pci-bridge: its secondary bus number */
};

/* A pcie-root-port's PCI Express slot (pcie_port.c). */
struct hw_port {
    struct hw_pcidev *dev;    /* the port's own function */
    uint8_t chassis, psn;     /* chassis=, slot= (physical slot number) */
    uint8_t secbus;           /* secondary bus number the guest assigns */
    bool hotplug;             /* property hotplug (default on) */
    uint32_t sltcap;
    uint16_t sltctl, sltsta, lnksta;
    bool hpev_notified;       /* QEMU's exp.hpev_notified */
};

/* ---- the host ------------------------------------------------------------------- */

enum host_incoming {
    INCOMING_NONE,
    INCOMING_DEFER, /* -incoming defer: wait for migrate-incoming */
    INCOMING_URI,   /* -incoming URI: listening from the start */
};

struct host {
    struct sim_vm *vm;
    struct sim_world *w;
    enum obs_host id;
    const struct scn_host *cfg; /* borrowed from the scenario */
    /* configuration */
    uint64_t ram;               /* -m, bytes */
    bool native_hotplug;        /* -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off */
    bool start_paused;          /* -S */
    bool qtest;                 /* -accel qtest: qtest_enabled() */
    bool nodefaults;
    bool vga;                   /* a default VGA occupies 00:01.0 */
    enum host_incoming incoming;
    char *incoming_uri;         /* owned */
    /* device tree */
    struct hw_pcidev *devs;
    struct hnetdev *netdevs;
    unsigned mac_index;         /* qemu_macaddr_default_if_unset */
    uint64_t reg_seq;           /* listener/notifier registration counter */
    uint64_t dev_serial;        /* last device serial handed out */
    bool machine_ready;         /* after host_start: device_add is a hotplug */
    char **cl_hidden;           /* ids of command-line -device (keyval) that were hidden */
    unsigned ncl_hidden;
    char **ghosts;              /* MUT_STALE_NOTIFIER: ids of removed standbys */
    unsigned nghosts;
    /* ACPI PCI hotplug (acpi_pcihp.c): per bsel */
    struct acpi_bsel {          /* ACPI PCI hotplug (acpi_pcihp.c): per bus selector */
        uint32_t up, down;      /* slot bitmaps */
    } *acpi;                    /* owned; nacpi entries, grown when written: a
                                   selector beyond it has both bitmaps clear */
    unsigned nacpi;
    /* run state */
    bool started, exited;
    bool running;
    bool ever_ran;              /* the VM's CPUs have run (its RAM is not all zero) */
    bool numbered;              /* bus numbers assigned (firmware ran, or loaded) */
    bool loading;               /* the incoming device state is being loaded */
    const char *runstate;       /* QEMU RunState name */
    /* QMP */
    bool qmp_caps;              /* qmp_capabilities done */
    bool cap_events;            /* migrate capability events */
    uint64_t max_bandwidth;     /* migrate parameter, bytes/s */
    uint64_t downtime_limit_ms;
    int64_t announce[4];        /* announce-initial, -max, -rounds, -step (ms, count) */
    /* guest */
    const struct hw_guest_ops *gops;
    void *guest;
    struct mig *mig;            /* migration.c, owned */
    struct sim_event announce_ev;  /* qemu_announce_self rounds */
    int announce_round;
    int64_t announce_cur[4];    /* the parameters of the announcement under way */
    struct sim_rng rng;
};

static inline bool host_mut(const struct host *h, unsigned m)
{
    return sim_mutant(h->w, m);
}

/* ---- qdev.c ----------------------------------------------------------------------- */

/* Parse -device's argument (keyval or JSON) into an options object. */
json_t *qdev_parse_device_arg(const char *text, bool *from_json, char *err, size_t errlen);
/* Parse -netdev and create it.  0 or -1 with a message. */
int qdev_netdev_add(struct host *h, const char *text, char *err, size_t errlen);
/* QEMU's qdev_device_add_from_qdict: hide listeners, checks, create,
 * realize, plug.  Returns the device, or NULL: *hidden tells a hidden
 * creation (success) from an error (message in err). */
struct hw_pcidev *qdev_device_add(struct host *h, json_t *opts, bool from_json, bool *hidden,
                                  char *err, size_t errlen);
/* QMP device_del (H-29, H-60).  0 or -1 with class and message. */
int qdev_device_del(struct host *h, const char *id, const char **eclass, char *err,
                    size_t errlen);
/* Unrealize and free a device after the guest completed a real unplug
 * (DEVICE_DELETED). */
void qdev_unplug_done(struct hw_pcidev *d);
/* Free every device (host teardown). */
void qdev_free_all(struct host *h);
struct hw_pcidev *qdev_find(const struct host *h, const char *id);
/* The device's guest-visible bus number. */
uint8_t qdev_bus(const struct hw_pcidev *d);
/* Bus/slot bookkeeping at machine start (secondary bus numbers). */
void qdev_machine_ready(struct host *h);
/* query-pci's return value. */
json_t *qdev_query_pci(struct host *h);
/* "0000:00:02.0:00.0" as QEMU's vmstate/ramblock paths name a device. */
void qdev_dev_path(const struct hw_pcidev *d, char *buf, size_t n);
/* The primary paired with a standby (failover_find_primary_device), or NULL. */
struct hw_pcidev *qdev_find_primary(struct host *h, const char *standby_id);
/* Hotplug handler dispatch: plug (after realize), unplug request. */
void qdev_hotplug_plug(struct hw_pcidev *d);
int qdev_hotplug_unplug_request(struct hw_pcidev *d, char *err, size_t errlen);

/* ---- virtio_dev.c -------------------------------------------------------------------- */

void vnet_realize(struct hw_pcidev *d);
void vnet_unrealize(struct hw_pcidev *d);
/* virtio_net_set_features (H-19..H-25). */
void vnet_set_features(struct vnet *vn, uint64_t features);
/* The hide listener of one standby (H-09..H-14).  Returns 1 hide, 0 don't,
 * -1 error (message in err). */
int vnet_hide_primary(struct vnet *vn, const json_t *opts, bool from_json, char *err,
                      size_t errlen);
/* Is this standby's primary unplug still pending (H-37, H-40)? */
bool vnet_unplug_pending(struct vnet *vn);
/* Migration notifier: setup (unplug) or failed/cancelled (replug). */
void vnet_migration_setup(struct vnet *vn);
void vnet_migration_failed(struct vnet *vn);
/* MUT_STALE_NOTIFIER: the notifier of a removed standby still runs. */
void vnet_ghost_setup(struct host *h, const char *standby_id);
/* Standbys in listener (registration) order. */
unsigned vnet_standbys(struct host *h, struct vnet **out, unsigned max);

/* ---- pcie_port.c ------------------------------------------------------------------- */

void port_init(struct hw_pcidev *d);
void port_reset(struct hw_port *p); /* machine reset, after cold plug */
void port_plug(struct hw_port *p, struct hw_pcidev *child);
int port_unplug_request(struct hw_port *p, struct hw_pcidev *child, char *err, size_t errlen);
bool port_powered(const struct hw_port *p); /* functions behind it have power */
/* Copy the slot registers from a migrated port (the target loads the
 * root port's config space). */
void port_load(struct hw_port *p, const struct hw_port *from);

/* ---- acpi_pcihp.c ------------------------------------------------------------------ */

void acpi_pcihp_plug(struct host *h, struct hw_pcidev *d);
int acpi_pcihp_unplug_request(struct host *h, struct hw_pcidev *d, char *err, size_t errlen);

/* ---- qmp.c ------------------------------------------------------------------------- */

/* Emit an event: data is stolen (may be NULL). */
void qmp_event(struct host *h, const char *name, json_t *data);
void qmp_greeting(struct host *h);
/* A line on QEMU's stderr: "qemu-system-x86_64: " + text (printf). */
void host_stderr(struct host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void host_warn(struct host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line without the program prefix (an error hint). */
void host_hint(struct host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- migration.c --------------------------------------------------------------------- */

struct mig *mig_new(struct host *h);
void mig_free(struct mig *m);
bool mig_idle(const struct host *h);  /* migration_is_idle() */
const char *mig_status(const struct host *h);
/* QMP commands; each returns the reply's return value (stolen) or NULL
 * with an error (class and text). */
json_t *mig_qmp_migrate(struct host *h, const char *uri, bool resume, const char **eclass,
                        char *err, size_t errlen);
json_t *mig_qmp_cancel(struct host *h);
json_t *mig_qmp_incoming(struct host *h, const char *uri, const char **eclass, char *err,
                         size_t errlen);
json_t *mig_qmp_query(struct host *h);
/* The host starts listening on its -incoming URI. */
void mig_start_incoming(struct host *h, bool announce_setup);
/* The guest's unplug completed somewhere: re-check soon (nothing; polls). */

/* ---- host.c ---------------------------------------------------------------------------- */

/* Stop / continue the VM (QMP stop/cont, switchover, -S). */
void host_vm_stop(struct host *h, const char *runstate);
void host_vm_start(struct host *h);
/* Tell the attached guest. */
void host_notify_slot(struct host *h, struct hw_port *p);
void host_notify_acpi(struct host *h);
void host_notify_virtio_config(struct host *h, struct hw_pcidev *d);
/* Send QEMU's RARP self-announcements (after incoming migration). */
void host_announce(struct host *h);
/* The same with the parameters of QMP announce-self (initial, max, rounds,
 * step: ms, ms, count, ms). */
void host_announce_with(struct host *h, const int64_t params[4]);
/* The process exits (failed incoming migration, quit). */
void host_exit(struct host *h);

#endif
