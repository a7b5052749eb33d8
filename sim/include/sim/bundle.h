/*
 * Bundles: the artifacts of one run, real or simulated, and their manifest.
 *
 * A bundle is a directory of the files a failover run leaves behind, each
 * in the format the real tool writes it: a QMP log per host
 * (<host>.qmp), the guest's serial console per host it ran on
 * (<host>-guest.log), QEMU's stderr (<host>.stderr), and pcaps per capture
 * point (filter-dump on a netdev: Ethernet; tcpdump -i any -y LINUX_SLL2 in
 * the guest: SLL2).  manifest.json, written last, says which file is which
 * (host, kind, capture point), how each file's clock maps to the host wall
 * clock, the devices and their roles, and whether the recording is
 * complete.  doc/bundle.md documents every field.
 *
 * Reading a bundle produces the observation stream a simulated run produces
 * in memory: every source is read by its streaming reader (qmp_log, klog,
 * hostlog, pcap_io) and the sources are merged by time.  Ties (the same
 * nanosecond in two files) are broken by a fixed rule: source host before
 * target host, then QMP, stderr, console, pcap, then the order of the files
 * in the manifest, then the position in the file.  Each source is ordered
 * by its own file order (a source's key never decreases).
 *
 * Files given one by one (fosim check --source-qmp ...) make a bundle
 * without manifest: roles then come from the QMP events (FAILOVER_NEGOTIATED
 * names standbys, UNPLUG_PRIMARY primaries) and the console's failover lines,
 * and console clocks are estimated from paired events.
 */
#ifndef SIM_BUNDLE_H
#define SIM_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/clock_map.h"
#include "sim/err.h"
#include "sim/obs.h"

#define BUNDLE_MANIFEST "manifest.json"
#define BUNDLE_FORMAT "fosim-bundle"
#define BUNDLE_FORMAT_VERSION 1
#define BUNDLE_MAX_IFACES 32
#define BUNDLE_MAX_FILES 256              /* files in a bundle (each is open during replay) */
#define BUNDLE_MAX_DEVICES 256            /* devices in a manifest */
#define BUNDLE_MAX_MANIFEST (4u << 20)    /* bytes of manifest.json */
/* Tolerance assumed for a console clock estimated from event pairs when the
 * pairs themselves do not show a larger spread: a guest's reaction to a
 * hotplug request or a resume is printed within this time (doc/bundle.md). */
#define BUNDLE_DEFAULT_TOLERANCE SIM_MS(20)

#define BUNDLE_KINDS(X)                                    \
    X(QMP, "qmp")         /* QMP log, one JSON per line */ \
    X(CONSOLE, "console") /* guest serial console */       \
    X(STDERR, "stderr")   /* QEMU's stderr */              \
    X(PCAP, "pcap")       /* a capture point */

enum bundle_kind {
#define X(id, name) BUNDLE_##id,
    BUNDLE_KINDS(X)
#undef X
    BUNDLE_NKINDS
};

const char *bundle_kind_name(enum bundle_kind k);
int bundle_kind_parse(const char *s, enum bundle_kind *out);

/* An interface of the guest in an SLL2 capture. */
struct bundle_iface {
    int32_t ifindex;
    char name[16];
    enum obs_role role;
};

struct bundle_file {
    char *name;              /* bundle-relative name; evidence names this (owned) */
    char *path;              /* path opened (owned) */
    enum bundle_kind kind;
    enum obs_host host;
    char *point;             /* PCAP: QEMU device id or "guest"; else NULL (owned) */
    enum obs_role role;      /* PCAP on a device: the device's role */
    struct clock_map clock;  /* stamps to host wall clock (owned) */
    bool clock_given;        /* from the manifest */
    char clock_note[160];    /* how the clock was established, for the report */
    struct bundle_iface ifaces[BUNDLE_MAX_IFACES]; /* PCAP guest: ifindex roles */
    size_t nifaces;
    bool ifaces_given;       /* from the manifest (else inferred) */
    uint64_t records;        /* observations read from it (after replay) */
    uint64_t skipped;        /* lines skipped (console noise, blank lines) */
    uint64_t unknown;        /* unknown QMP events (passed on) */
    uint64_t commands;       /* QMP: commands the client sent (first pass) */
};

/* A NIC of a host, with its failover role. */
struct bundle_device {
    char *id;                /* QEMU device id (owned) */
    enum obs_host host;
    enum obs_role role;      /* STANDBY, PRIMARY or OTHER */
    char *pair;              /* PRIMARY: failover_pair_id; else NULL (owned) */
    char *netdev;            /* its -netdev id, or NULL (owned) */
    bool hideable;           /* PRIMARY: QEMU hides it until the guest negotiates
                                (its standby was created before it) */
    bool has_mac;
    uint8_t mac[6];
    bool inferred;           /* learnt from the QMP events, not the manifest */
    bool added;              /* learnt from a device_add: not on the command line */
};

/*
 * The kinds of source a recording can hold for a host (the names are the
 * checker's, spec/spec.h).  A manifest says which were recorded, so a
 * console that stayed empty (the guest never ran there) still counts as
 * recorded: its absence of lines is evidence.
 */
#define BUNDLE_SOURCES(X)                                                    \
    X(CONFIG, "config")             /* the device configuration */          \
    X(QMP, "qmp")                   /* QMP events and replies */            \
    X(QMP_COMMANDS, "qmp-commands") /* the commands the client sent */     \
    X(CONSOLE, "console")           /* the guest console */                 \
    X(STDERR, "stderr")             /* QEMU's stderr */                      \
    X(HOST_PCAP, "host-pcap")       /* filter-dump captures */              \
    X(GUEST_PCAP, "guest-pcap")     /* the capture inside the guest */

enum bundle_source {
#define X(id, name) BUNDLE_SRC_##id,
    BUNDLE_SOURCES(X)
#undef X
    BUNDLE_NSOURCES
};

const char *bundle_source_name(enum bundle_source s);

/* Hotplug mechanism of the guest on a host, as far as known. */
enum bundle_hotplug {
    BUNDLE_HOTPLUG_UNKNOWN = 0,
    BUNDLE_HOTPLUG_NATIVE,   /* pciehp */
    BUNDLE_HOTPLUG_ACPI,     /* acpiphp */
};

struct bundle {
    char *dir;               /* NULL for files given one by one (owned) */
    bool has_manifest;
    char generator[64];      /* "fosim", or the recording harness */
    char version[32];
    char scenario[128];      /* scenario name, or "" */
    uint64_t seed;
    bool seed_set;           /* simulated bundles */
    struct json_t *provenance; /* real bundles: versions, command lines, date (owned) */
    bool complete;           /* the recording finished (manifest "complete") */
    struct bundle_file *files; /* owned array */
    size_t nfiles;
    struct bundle_device *devs; /* owned array */
    size_t ndevs;
    bool guest_mac_set;
    uint8_t guest_mac[6];
    enum bundle_hotplug hotplug[OBS_NHOSTS];
    bool recorded_set[OBS_NHOSTS]; /* the manifest lists the recorded sources */
    unsigned recorded[OBS_NHOSTS];  /* bit set of 1u << BUNDLE_SRC_* */
    bool qtest[OBS_NHOSTS];     /* QEMU ran under qtest (no guest OS) */
    bool epoch_set;
    sim_time epoch;             /* simulated: wall-clock ns of the scenario's t = 0 */
    bool end_set;
    sim_time end;               /* the run's end (wall-clock ns): a complete
                                   bundle's files cover the time until then */
    bool host_skew_set;
    sim_time host_skew;         /* bound of the offset between the hosts' clocks */
    sim_time start[OBS_NHOSTS]; /* first QMP line per host (time of unstamped stderr lines) */
    char **notes;            /* what the reader assumed or could not know (owned) */
    size_t nnotes;
    bool devs_overflow;      /* the logs named more than BUNDLE_MAX_DEVICES devices */
    bool oom;                /* an allocation failed in bundle_prepare (it reports it) */
};

/* Read DIR/manifest.json and check every file it names exists.  Errors
 * name the manifest and the JSON path of the offending field. */
int bundle_open(const char *dir, struct bundle **out, struct sim_err *err);

/* An empty bundle, for files given one by one. */
struct bundle *bundle_new(void);

/* Add a file.  `point` is for PCAP (device id or "guest").  The file must
 * exist.  Two files of the same kind and host (and point) are an error. */
int bundle_add(struct bundle *b, enum bundle_kind kind, enum obs_host host, const char *point,
               const char *path, struct sim_err *err);

/* First pass: learn roles, the guest MAC and the hotplug mechanism from the
 * QMP logs and consoles, and establish every clock (estimating those the
 * manifest does not give).  Reads the QMP logs and consoles once. */
int bundle_prepare(struct bundle *b, struct sim_err *err);

/* Second pass: merge every source by time and hand each observation to
 * `sink`, then one END (truncated unless the bundle is complete).  Returns
 * 0, or -1 with err at the first bad record (the sink has then seen a
 * prefix of the stream and must not report it as a result). */
int bundle_replay(struct bundle *b, const struct obs_sink *sink, struct sim_err *err);

/* Does the bundle hold a file of this kind for this host (any point)? */
bool bundle_has(const struct bundle *b, enum bundle_kind kind, enum obs_host host);

/* The file for kind/host/point (point NULL: any), or NULL. */
const struct bundle_file *bundle_file_find(const struct bundle *b, enum bundle_kind kind,
                                           enum obs_host host, const char *point);

/* Largest clock tolerance among the consoles (0 when all exact). */
sim_time bundle_console_tolerance(const struct bundle *b, enum obs_host host);

void bundle_free(struct bundle *b);

/* ---- Writing (used by sim/record.c) --------------------------------------- */

/* Parse / format a MAC "52:54:00:11:11:11". */
int bundle_mac_parse(const char *s, uint8_t mac[6]);
void bundle_mac_format(char out[18], const uint8_t mac[6]);

/* Write b's manifest as DIR/manifest.json, atomically (a temporary file,
 * fsync, rename).  File entries use their `name`. */
int bundle_write_manifest(const struct bundle *b, const char *dir, struct sim_err *err);

#endif
