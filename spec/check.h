/*
 * The checker: one monitor per catalog assertion over an observation stream.
 *
 * A producer (the trace readers of `fosim check`, or a simulated run) fills a
 * struct check_ctx with what it knows about the recording: which kinds of
 * source were given for each host, the devices and their roles, pairs and
 * MACs, the hotplug mechanism, and how well the clocks of the sources are
 * aligned.  It then feeds every observation, in time order, to check_obs()
 * (or installs check_sink() on a world), calls check_finish() once at the
 * end, and reads the results or prints a report.
 *
 * Monitors stream: each keeps a few records of state, never the trace.  They
 * use only what real artifacts contain (QMP lines, console lines, stderr
 * lines, frames): OBS_STATE records are ignored.  Every verdict is one of
 *   PASS          the situation arose and the statement held every time;
 *   FAIL          it was violated: the result carries the evidence (time,
 *                 host or guest, file and line or pcap record, what was seen
 *                 and what was required);
 *   INCONCLUSIVE  the sources were given but do not settle it (the trace ends
 *                 mid-migration, two records are too close for the clock
 *                 alignment to order them);
 *   N/A           the situation never arose, or a needed kind of source was
 *                 not given (the result says which).
 * Records of different files whose times are within the alignment tolerance
 * (equal microseconds included) are treated as unordered, so the tie rule of
 * a merge never changes a verdict.
 *
 * Exit statuses (check_exit_status): 0 every applicable assertion passed,
 * 1 one failed, 3 none failed but some were inconclusive (or the trace was
 * truncated, or nothing at all was applicable).  Status 2, unusable input,
 * belongs to the readers: they stop before a verdict is reached.
 */
#ifndef FOSIM_CHECK_H
#define FOSIM_CHECK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/obs.h"
#include "sim/time.h"
#include "spec.h"

#define CHECK_VERDICTS(X)                                                     \
    X(PASS, "pass", "PASS")                                                   \
    X(FAIL, "fail", "FAIL")                                                   \
    X(INCONCLUSIVE, "inconclusive", "INCONCLUSIVE")                           \
    X(NA, "n/a", "N/A")

enum check_verdict {
#define X(id, word, upper) CHECK_##id,
    CHECK_VERDICTS(X)
#undef X
    CHECK_NVERDICTS
};

const char *check_verdict_name(enum check_verdict v);  /* "pass" ... "n/a" */
const char *check_verdict_upper(enum check_verdict v); /* "PASS" ... "N/A" */
int check_verdict_parse(const char *s, enum check_verdict *out);

/* ---- The context a producer fills in ------------------------------------------ */

#define CHECK_MAX_DEVICES 32
#define CHECK_ID_LEN 64

/* A device of a host's configuration that matters to failover. */
struct check_device {
    char id[CHECK_ID_LEN];     /* QEMU qdev id ("primary0") */
    enum obs_role role;        /* STANDBY: virtio-net with failover=on;
                                  PRIMARY: a device with failover_pair_id;
                                  OTHER: any other NIC */
    char pair[CHECK_ID_LEN];   /* PRIMARY: its failover_pair_id; else "" */
    char netdev[CHECK_ID_LEN]; /* its -netdev id, or "" */
    bool has_mac;
    uint8_t mac[6];
    bool hideable;             /* PRIMARY: a failover=on standby of that id
                                  was realized before it (QEMU hides it until
                                  negotiation); false if created first (H-18) */
    bool added;                /* not on the command line: created later by a
                                  device_add (the checker learns whether and
                                  how from the reply) */
};

enum check_hotplug {
    CHECK_HOTPLUG_UNKNOWN = 0,
    CHECK_HOTPLUG_ACPI,   /* q35's default: ACPI PCI hotplug (acpiphp) */
    CHECK_HOTPLUG_NATIVE, /* native PCIe hotplug (pciehp) */
};

/* Tolerance value for a source whose clock could not be aligned at all. */
#define CHECK_TOL_UNALIGNED SIM_TIME_MAX

struct check_host {
    bool present;              /* the host took part in the recording */
    unsigned sources;          /* bit set: 1u << SPEC_SRC_* given for this host */
    enum check_hotplug hotplug;
    bool qtest;                /* QEMU ran under qtest: it suppresses warnings */
    sim_time tolerance[SPEC_NSOURCES]; /* alignment of each source's clock with
                                  this host's QMP clock: 0 = exact (the
                                  simulator; stamps on one clock), else the
                                  bound of the error; CHECK_TOL_UNALIGNED */
    struct check_device dev[CHECK_MAX_DEVICES];
    unsigned ndev;
};

#define CHECK_DEFAULT_BLACKOUT SIM_S(2) /* DP-004 default bound */

struct check_ctx {
    char name[256];            /* what is checked (bundle, scenario), for reports */
    struct check_host host[OBS_NHOSTS];
    sim_time host_skew;        /* bound of the offset between the two hosts'
                                  clocks (0: one clock, as in the simulator) */
    sim_time approx_tolerance; /* error of records marked t_approx (QMP
                                  replies without a fosim id); 0 = default 1 s */
    sim_time blackout_bound;   /* DP-004; 0 = CHECK_DEFAULT_BLACKOUT */
    uint32_t vm;               /* which VM of a fleet is checked (0: a trace) */
    bool t0_set;               /* reports give times relative to t0 (a run's
                                  epoch); else relative to the first record */
    sim_time t0;
    bool end_covers;           /* a complete END record says every given source
                                  was recorded until its time: a quiet file
                                  shows nothing happened (a simulation; a
                                  bundle marked complete) */
};

/* Zero the context and set defaults (no sources, unknown hotplug). */
void check_ctx_init(struct check_ctx *ctx);

/* Add a device to host h; returns it (zeroed but for id and role), or NULL
 * when CHECK_MAX_DEVICES are already there. */
struct check_device *check_ctx_add_device(struct check_ctx *ctx, enum obs_host h,
                                          const char *id, enum obs_role role);

/* Mark sources as given: check_ctx_give(ctx, OBS_SOURCE, SPEC_SRC_QMP). */
void check_ctx_give(struct check_ctx *ctx, enum obs_host h, enum spec_source s);

struct sim_run;
/*
 * Fill a context for a simulated run (VM 0): the devices of each host from
 * host_nics(), the hotplug mechanism from host_native_hotplug(), every source
 * the simulator writes (QMP with commands, QEMU stderr, host captures; the
 * guest console and guest capture unless the guest profile is qtest or
 * none), exact clocks.  Call after sim_run_new(), before sim_run_go().
 */
void check_ctx_from_run(struct check_ctx *ctx, const struct sim_run *run);

/* A checker of the simulated run `run`, installed as a sink of its world
 * (check_ctx_from_run, check_new, sim_world_add_sink in one): NULL when out
 * of memory or out of sinks.  Call after sim_run_new(), before sim_run_go();
 * check_finish() and check_free() remain the caller's. */
struct check *check_attach_run(struct sim_run *run);

/* Every "expect verdict ID ..." of scenario s names an assertion of the
 * catalog: 0, or -1 with "FILE:LINE:COL: ..." in err naming the unknown or
 * retired ID.  A scenario that fails this is bad input. */
struct scenario;
struct sim_err;
int check_scenario_verdicts(const struct scenario *s, struct sim_err *err);

/* ---- Results ------------------------------------------------------------------ */

#define CHECK_MAX_EVIDENCE 4

/* One record cited as evidence. */
struct check_evidence {
    sim_time t;                /* wall-clock ns, as the record had it */
    bool t_approx;
    enum obs_host host;        /* the host (for guest records: where it ran) */
    enum obs_kind kind;        /* QMP_EVENT, KLOG (guest), FRAME, ... */
    char file[96];             /* artifact name, or "" */
    uint64_t line;             /* 1-based line, or pcap record number; 0 unknown */
    char seen[240];            /* the record, as text */
};

struct check_result {
    const struct spec_entry *a;
    enum check_verdict verdict;
    char why[480];             /* FAIL: what was required; INCONCLUSIVE/N/A: why */
    struct check_evidence ev[CHECK_MAX_EVIDENCE];
    unsigned nev;
    unsigned checked;          /* instances of the situation that were decided */
    unsigned failed;           /* instances that failed */
    unsigned unsure;           /* instances left undecided */
};

/* ---- The engine ----------------------------------------------------------------- */

struct check;

/* Create an engine for the context (copied).  Returns NULL only when memory
 * is exhausted. */
struct check *check_new(const struct check_ctx *ctx);
void check_free(struct check *c);

/* Feed one observation (time order).  Records of other VMs are ignored. */
void check_obs(struct check *c, const struct obs *o);

/* The same, as a world sink: sim_world_add_sink(w, check_sink, c). */
void check_sink(void *c, const struct obs *o);

/* A reader says the trace is incomplete (a source was cut short), in
 * addition to END records with `truncated`.  `why` is copied. */
void check_mark_truncated(struct check *c, const char *why);

/* The input is over: settle every monitor.  Call once. */
void check_finish(struct check *c);

/* Results, one per catalog assertion, in catalog order (after finish). */
size_t check_count(const struct check *c);
const struct check_result *check_result(const struct check *c, size_t i);
const struct check_result *check_result_for(const struct check *c, enum spec_id id);

/* Counts per verdict (after finish), overall or for one area. */
void check_totals(const struct check *c, unsigned out[CHECK_NVERDICTS]);
void check_area_totals(const struct check *c, enum spec_area a,
                       unsigned out[CHECK_NVERDICTS]);

bool check_truncated(const struct check *c);
const char *check_truncated_why(const struct check *c); /* "" if complete */
const struct check_ctx *check_context(const struct check *c);

/* 0, 1 or 3 as described at the top (after finish). */
int check_exit_status(const struct check *c);

/* ---- Reports ------------------------------------------------------------------ */

enum check_format {
    CHECK_REPORT_TEXT,  /* failures first with evidence, then a summary by area */
    CHECK_REPORT_TAP,   /* TAP version 14, one test point per assertion */
    CHECK_REPORT_JUNIT, /* JUnit XML: a testsuite per area, a testcase per ID */
};

int check_format_parse(const char *s, enum check_format *out); /* text|tap|junit */

struct check_report_opts {
    bool verbose;       /* text: list every assertion, not only failures */
};

/* Write the report; returns 0, or -1 when writing failed (ferror). */
int check_report(const struct check *c, enum check_format fmt,
                 const struct check_report_opts *opts, FILE *out);

/* Print one FAIL result with its evidence as the text report does
 * (`fosim run` prints its failures this way). */
void check_print_result(const struct check *c, const struct check_result *r, FILE *out);

/* Format an evidence record's time as the reports do: wall-clock seconds
 * relative to t0 when t0 != SIM_TIME_NONE, else UTC "2025-11-25T12:00:07.123456Z". */
size_t check_format_time(char *buf, size_t n, sim_time t, sim_time t0);

#endif
