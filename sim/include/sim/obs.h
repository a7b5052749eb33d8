/*
 * The observation stream: the one seam between producers and consumers.
 *
 * Everything observable about a run is an observation: a QMP line a host
 * printed (greeting, reply, event) or a command a client sent, a guest kernel
 * console line, a line QEMU wrote to stderr, a frame seen at a capture point,
 * and (simulator only) a model state transition.  The simulator emits them as
 * they happen; the trace readers (qmp_log, klog, pcap_io, bundle) produce the
 * very same records from real files.  Monitors and expectations consume them
 * and never know which side they came from.
 *
 * A producer fills the raw part (the text or bytes exactly as the artifact
 * holds them); obs_decode_*() derives the typed fields from that raw part.
 * Both sides use the same decoders, which is what makes "check in memory" and
 * "record, then check the files" give the same verdicts.
 *
 * Times are wall-clock nanoseconds since the Unix epoch on the host's clock,
 * quantised to what the artifact can hold (microseconds for QMP and console
 * stamps).  A guest console line carries its own uptime stamp too; its
 * wall-clock time comes from the bundle's clock alignment and may be marked
 * approximate.
 *
 * All pointers inside a struct obs are borrowed for the duration of the
 * callback that receives it; a consumer that keeps anything must copy it.
 */
#ifndef SIM_OBS_H
#define SIM_OBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

struct json_t; /* jansson */

/* Which host a record belongs to (a guest line belongs to the host it ran on). */
enum obs_host {
    OBS_SOURCE = 0,
    OBS_TARGET = 1,
};
#define OBS_NHOSTS 2

const char *obs_host_name(enum obs_host h); /* "source" / "target" */
int obs_host_parse(const char *s, enum obs_host *out);

#define OBS_KINDS(X)                                                          \
    X(QMP_GREETING, "qmp-greeting") /* {"QMP": {...}} */                     \
    X(QMP_COMMAND, "qmp-command")   /* {"execute": ...} sent by a client */   \
    X(QMP_REPLY, "qmp-reply")       /* {"return": ...} or {"error": ...} */   \
    X(QMP_EVENT, "qmp-event")       /* {"timestamp":..., "event": ...} */     \
    X(KLOG, "klog")                 /* a guest kernel console line */         \
    X(HOSTLOG, "hostlog")           /* a line QEMU printed on stderr */       \
    X(FRAME, "frame")               /* a frame at a capture point */          \
    X(STATE, "state")               /* a model state change (sim only) */     \
    X(END, "end")                   /* a source ended, completely or not */

enum obs_kind {
#define X(id, name) OBS_##id,
    OBS_KINDS(X)
#undef X
    OBS_NKINDS
};

const char *obs_kind_name(enum obs_kind k);

/* Where a record came from, for evidence: "source.qmp" line 12. */
struct obs_origin {
    const char *file; /* artifact name (bundle-relative) or NULL */
    uint64_t line;    /* 1-based line, or pcap record number; 0 = unknown */
};

/* ---- QMP ---------------------------------------------------------------- */

struct obs_qmp {
    const char *line;          /* the JSON text as printed/sent, one line */
    const struct json_t *json; /* parsed object, or NULL if not available */
    char name[48];     /* event name, or command name for commands/replies */
    char device_id[64];/* data.device-id (events), arguments.id (device_*) */
    char status[32];   /* MIGRATION data.status; query-migrate status */
    char id[64];       /* command/reply "id" rendered as compact JSON, or "" */
    int pass;          /* MIGRATION_PASS data.pass, else 0 */
    bool is_error;     /* reply is {"error": ...} */
    char error_class[32];
    char error_desc[256];
};

/* ---- Guest kernel log --------------------------------------------------- */

/*
 * The console lines fosim recognises.  Each has a fixed text shape taken from
 * Linux (the comment shows it after the "[uptime] " stamp); klog_classify()
 * fills `dev`, `ifname`, `ifname2` and `slot` from the line.
 */
#define KLOG_KINDS(X)                                                                   \
    X(OTHER, "other")                                                                   \
    /* net_failover: "virtio_net virtio0 eth0: failover master:eth0 registered" */     \
    X(FO_MASTER_REGISTERED, "failover-master-registered")                              \
    X(FO_MASTER_UNREGISTERED, "failover-master-unregistered")                          \
    X(FO_STANDBY_REGISTERED, "failover-standby-registered")                            \
    X(FO_STANDBY_UNREGISTERED, "failover-standby-unregistered")                        \
    X(FO_PRIMARY_REGISTERED, "failover-primary-registered")                            \
    X(FO_PRIMARY_UNREGISTERED, "failover-primary-unregistered")                        \
    X(FO_SLAVE_REFUSED, "failover-slave-refused")                                      \
    /* pciehp: "pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed" */ \
    X(PCIEHP_SLOT_INIT, "pciehp-slot-init")                                            \
    X(PCIEHP_BUTTON, "pciehp-button")                                                  \
    X(PCIEHP_POWER_ON_BUTTON, "pciehp-powering-on")                                    \
    X(PCIEHP_POWER_OFF_BUTTON, "pciehp-powering-off")                                  \
    X(PCIEHP_BUTTON_CANCEL, "pciehp-button-cancel")                                    \
    X(PCIEHP_ACTION_CANCELED, "pciehp-action-canceled")                                \
    X(PCIEHP_CARD_PRESENT, "pciehp-card-present")                                      \
    X(PCIEHP_CARD_NOT_PRESENT, "pciehp-card-not-present")                              \
    X(PCIEHP_LINK_UP, "pciehp-link-up")                                                \
    X(PCIEHP_LINK_DOWN, "pciehp-link-down")                                            \
    X(PCIEHP_INVALID_STATE, "pciehp-invalid-state")                                    \
    X(PCIEHP_POWER_FAULT, "pciehp-power-fault")                                        \
    X(PCIEHP_OTHER, "pciehp-other")                                                    \
    /* acpiphp */                                                                      \
    X(ACPIPHP_SLOT_REGISTERED, "acpiphp-slot-registered")                              \
    X(ACPIPHP_OTHER, "acpiphp-other")                                                  \
    /* PCI core and NIC drivers */                                                     \
    X(PCI_ADD_DEVICE, "pci-add-device")                                                \
    X(PCI_REMOVE_DEVICE, "pci-remove-device")                                          \
    X(NIC_PROBE, "nic-probe")                                                          \
    X(NIC_REMOVE, "nic-remove")                                                        \
    X(NIC_LINK_UP, "nic-link-up")                                                      \
    X(NIC_LINK_DOWN, "nic-link-down")                                                  \
    X(VIRTIO_NET_OTHER, "virtio-net-other")                                            \
    X(NET_OTHER, "net-other")                                                          \
    /* the recorded guest's init (not Linux): "fosim-guest: addr eth2 10.0.2.16/24",  \
     * userspace configured an address on ifname (knob address, fosim.addr) */        \
    X(GUEST_ADDR, "guest-addr")

enum klog_kind {
#define X(id, name) KLOG_##id,
    KLOG_KINDS(X)
#undef X
    KLOG_NKINDS
};

const char *klog_kind_name(enum klog_kind k);

struct obs_klog {
    const char *text;    /* the line after the "[ uptime] " stamp */
    sim_time uptime;     /* the stamp, in ns; SIM_TIME_NONE if the line had none */
    enum klog_kind kind; /* from klog_classify() */
    char dev[48];        /* device name prefix: "0000:00:02.0", "virtio0" */
    char driver[24];     /* driver prefix: "pcieport", "virtio_net", "e1000e" */
    char ifname[16];     /* interface the line is about ("eth2" in "slave:eth2") */
    char ifname2[16];    /* the master's name on failover lines ("eth0") */
    char slot[16];       /* pciehp/acpiphp slot name ("0-1") */
};

/* ---- QEMU stderr --------------------------------------------------------- */

struct obs_hostlog {
    const char *text;  /* the line without the trailing newline */
    bool continuation; /* a further line of the message before it: QEMU prints
                          it with error_printf, without the program name and
                          without a -msg timestamp=on stamp (a hint) */
};

/* ---- Frames ------------------------------------------------------------- */

/* The role of the interface or netdev a frame was captured on. */
#define OBS_ROLES(X)                                                          \
    X(UNKNOWN, "unknown")                                                     \
    X(PRIMARY, "primary")  /* the VF / primary's netdev or guest interface */ \
    X(STANDBY, "standby")  /* the virtio-net standby */                       \
    X(MASTER, "master")    /* the guest's net_failover master */              \
    X(OTHER, "other")      /* any other interface */

enum obs_role {
#define X(id, name) OBS_ROLE_##id,
    OBS_ROLES(X)
#undef X
    OBS_NROLES
};

const char *obs_role_name(enum obs_role r);

/* Direction relative to the guest. */
enum obs_dir {
    OBS_DIR_UNKNOWN = 0,
    OBS_DIR_FROM_GUEST, /* guest transmitted it */
    OBS_DIR_TO_GUEST,   /* delivered towards the guest */
};

struct obs_frame {
    const char *point;  /* capture point: QEMU device id ("primary0") or "guest" */
    enum obs_role role; /* role of the netdev/interface it was captured on */
    int32_t ifindex;    /* guest interface index (SLL2 captures), else 0 */
    enum obs_dir dir;
    bool sll2;          /* data is an SLL2 payload (network layer); src and
                           ethertype come from the SLL2 header, dst is unknown */
    uint32_t len;       /* original length of data's frame */
    uint32_t caplen;    /* bytes present in data */
    const uint8_t *data;/* Ethernet frame, or the SLL2 payload when sll2 */
    uint8_t src[6];
    uint8_t dst[6];
    uint16_t ethertype; /* after any 802.1Q tag */
    uint64_t flow;      /* hash of the network-layer bytes: the same frame has
                           the same flow at every capture point (obs_decode_frame) */
    sim_time stamp;     /* the record's stamp in its pcap file, on the capture
                           tool's clock (filter-dump: the VM's virtual clock on
                           top of QEMU's start second), or 0 when unknown */
};

/* ---- State transitions (simulator only) --------------------------------- */

struct obs_state {
    const char *entity; /* "migration", "slot root1", "failover eth0" */
    const char *from;
    const char *to;
    const char *why;    /* optional cause, or NULL */
};

/* ---- End of a source ----------------------------------------------------- */

struct obs_end {
    bool truncated;   /* the source ended mid-record or was cut short */
    const char *what; /* what ended: "source.qmp", "run" */
};

/* ---- The record ------------------------------------------------------------ */

struct obs {
    sim_time t;              /* wall-clock ns on the common timebase */
    uint64_t seq;            /* position in the stream (total order) */
    enum obs_kind kind;
    enum obs_host host;
    uint32_t vm;             /* VM index (fleets); 0 for a single VM or a trace */
    bool t_approx;           /* time inferred, not read from a stamp */
    struct obs_origin origin;
    union {
        struct obs_qmp qmp;        /* QMP_GREETING/COMMAND/REPLY/EVENT */
        struct obs_klog klog;      /* KLOG */
        struct obs_hostlog hostlog;/* HOSTLOG */
        struct obs_frame frame;    /* FRAME */
        struct obs_state state;    /* STATE */
        struct obs_end end;        /* END */
    } u;
};

/* A consumer of observations. */
struct obs_sink {
    void (*fn)(void *ctx, const struct obs *o);
    void *ctx;
};

/* ---- Decoders (shared by the simulator and the readers) --------------------- */

/*
 * Classify a QMP line and fill o->u.qmp from its JSON object.  `json` is the
 * parsed line (borrowed).  Sets o->kind to the right QMP_* kind.  Returns 0,
 * or -1 with a message in err (size errlen) when the object is none of
 * greeting, command, reply or event.  For an event, o->t is set from its
 * timestamp when `use_stamp` is true.
 */
int obs_decode_qmp(struct obs *o, const struct json_t *json, const char *line,
                   bool use_stamp, char *err, size_t errlen);

/*
 * Classify a kernel console line (without its "[ uptime] " stamp) into
 * o->u.klog.kind and the name fields.  Never fails: unknown lines are OTHER.
 */
void klog_classify(struct obs_klog *k, const char *text);

/*
 * Split "[   32.957735] text" into its uptime and text.  Returns 0 and sets
 * *uptime and *text (pointing into line), or -1 if the line has no stamp.
 */
int klog_split_stamp(const char *line, sim_time *uptime, const char **text);

/* Fill src/dst/ethertype (Ethernet frames) and flow (all frames) from the
 * frame's bytes; caplen may be short.  For SLL2 payloads src and ethertype
 * must already be set from the SLL2 header. */
void obs_decode_frame(struct obs_frame *f);

/* Render one observation as a single readable timeline line (no newline). */
size_t obs_format(char *buf, size_t n, const struct obs *o, sim_time t0);

#endif
