/*
 * The assertion catalog: stable IDs, levels, areas, sources and statements.
 *
 * spec/assertions.def is the single source of truth; this header turns it
 * into `enum spec_id` (SPEC_MIGS_004 for "MIGS-004") and a constant table.
 * An ID never changes meaning: to change a statement, retire its ID (it
 * stays listed, in RETIRED) and add a new one.  doc/catalog.md explains the
 * ID rules, the levels and the areas.
 */
#ifndef FOSIM_SPEC_H
#define FOSIM_SPEC_H

#include <stdbool.h>
#include <stddef.h>

/* Levels: MUST/SHOULD/MAY only where a specification text says so (the
 * virtio specification, QEMU's documentation of the feature); OBSERVED for
 * behaviour of QEMU or Linux that no document states. */
#define SPEC_LEVELS(X)                                                        \
    X(MUST, "MUST")                                                           \
    X(SHOULD, "SHOULD")                                                       \
    X(MAY, "MAY")                                                             \
    X(OBSERVED, "OBSERVED")

enum spec_level {
#define X(id, name) SPEC_LEVEL_##id,
    SPEC_LEVELS(X)
#undef X
    SPEC_NLEVELS
};

/* Areas, in report order: the ID prefix and a readable name. */
#define SPEC_AREAS(X)                                                         \
    X(CFG, "configuration")                                                   \
    X(HIDE, "hiding")                                                         \
    X(NEG, "negotiation")                                                     \
    X(PAIR, "pairing")                                                        \
    X(DP, "datapath")                                                         \
    X(SLOT, "hotplug slot")                                                   \
    X(MIGS, "migration source")                                               \
    X(MIGD, "migration destination")                                          \
    X(FAIL, "cancel and failure")                                             \
    X(EVT, "event contract")

enum spec_area {
#define X(id, name) SPEC_AREA_##id,
    SPEC_AREAS(X)
#undef X
    SPEC_NAREAS
};

/*
 * Kinds of evidence a monitor reads, per host.  CONFIG is the hosts' device
 * configuration (QEMU command lines, a manifest): which devices exist, their
 * roles, pairs, MACs and netdevs.
 */
#define SPEC_SOURCES(X)                                                                  \
    X(CONFIG, "config", "the device configuration (QEMU command line or manifest)")     \
    X(QMP, "qmp", "QMP events and replies")                                            \
    X(QMP_COMMANDS, "qmp-commands", "the QMP commands the client sent")                \
    X(CONSOLE, "console", "the guest kernel console")                                  \
    X(STDERR, "stderr", "QEMU's stderr")                                               \
    X(HOST_PCAP, "host-pcap", "captures on the host netdevs (filter-dump)")            \
    X(GUEST_PCAP, "guest-pcap", "a capture inside the guest (tcpdump -i any, SLL2)")

enum spec_source {
#define X(id, name, desc) SPEC_SRC_##id,
    SPEC_SOURCES(X)
#undef X
    SPEC_NSOURCES
};

/*
 * What an assertion needs, as a bit set.  SPEC_NEED_S(QMP) is "the source
 * host's QMP log", SPEC_NEED_T(CONSOLE) "the target's guest console",
 * SPEC_NEED_ANY(STDERR) "QEMU's stderr of at least one host" (the monitor
 * then checks every host that has it).
 */
#define SPEC_NEED_S(k) (1u << (SPEC_SRC_##k))
#define SPEC_NEED_T(k) (1u << (8 + SPEC_SRC_##k))
#define SPEC_NEED_ANY(k) (1u << (16 + SPEC_SRC_##k))
#define SPEC_NEED_B(k) (SPEC_NEED_S(k) | SPEC_NEED_T(k))

enum spec_id {
#define X(sym, id, area, level, source, rules, statement, needs, alt, verdicts, tests) \
    SPEC_##sym,
#include "assertions.def"
#undef X
    SPEC_NIDS
};

struct spec_entry {
    enum spec_id sid;
    const char *id;        /* "MIGS-004" */
    enum spec_area area;
    enum spec_level level;
    const char *source;    /* document and section, or file and function */
    const char *rules;     /* rule-book rules it derives from: "H-37 H-38" */
    const char *statement; /* the normative statement */
    unsigned needs;        /* SPEC_NEED_* bits: all of them are required */
    unsigned alt;          /* SPEC_NEED_* bits: at least one of them (0: none) */
    const char *verdicts;  /* how the monitor decides PASS/FAIL/INCONCLUSIVE/N/A */
    const char *tests;     /* tests giving evidence: "test_monitor_migs.c:migs_004" */
};

/* A retired ID: kept so it is never reused with another meaning. */
struct spec_retired {
    const char *id;
    const char *replaced_by; /* ID(s), or "" */
    const char *statement;   /* what it used to say */
    const char *why;
};

extern const struct spec_entry spec_table[SPEC_NIDS];
extern const struct spec_retired spec_retired_table[];
extern const size_t spec_nretired;

const struct spec_entry *spec_get(enum spec_id id);

/* Look up an ID ("MIGS-004", case-insensitive, "MIGS_004" accepted).
 * Returns the entry or NULL; *retired is set when it names a retired ID. */
const struct spec_entry *spec_lookup(const char *id, const struct spec_retired **retired);

const char *spec_level_name(enum spec_level l);
const char *spec_area_prefix(enum spec_area a); /* "MIGS" */
const char *spec_area_name(enum spec_area a);   /* "migration source" */
const char *spec_source_name(enum spec_source s);
const char *spec_source_desc(enum spec_source s);
int spec_area_parse(const char *s, enum spec_area *out);   /* prefix or name */
int spec_level_parse(const char *s, enum spec_level *out); /* case-insensitive */
int spec_source_parse(const char *s, enum spec_source *out);

/* Render a needs/alt bit set as "qmp@source console@source", "stderr@any". */
size_t spec_needs_format(char *buf, size_t n, unsigned bits, const char *sep);

#endif
