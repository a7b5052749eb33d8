/*
 * Scenario files: the parsed form.
 *
 * A scenario is a self-checking test of a failover setup: the QEMU command
 * lines of the source and target hosts (QEMU's own -device / -netdev syntax),
 * the guest profile and its knobs, the workload, timed host (QMP) and guest
 * actions, and the expectations the run must meet.  The grammar is documented
 * in doc/scenario.md; this header is what the parser produces.
 *
 * The parser checks the statement structure, times and expectation syntax.
 * The meaning of host arguments, guest knobs and traffic lines is checked by
 * the model that owns them when the world is built (host_new, guest_new,
 * traffic_new), using the positions kept here, so every error still reads
 * "file:line:column: what was expected".
 */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/err.h"
#include "sim/obs.h"
#include "sim/time.h"

struct scn_pos {
    const char *file; /* path as given (owned by the scenario) */
    unsigned line;    /* 1-based */
    unsigned col;     /* 1-based */
};

/* A word of a statement, with where it was written. */
struct scn_arg {
    char *text; /* owned; quotes removed, escapes resolved */
    struct scn_pos pos;
};

struct scn_args {
    struct scn_arg *v; /* owned array */
    size_t n;
};

/* ---- Hosts ------------------------------------------------------------------ */

struct scn_host {
    bool present;
    enum obs_host id;
    struct scn_pos pos;   /* of the "host" statement */
    struct scn_args argv; /* QEMU arguments, program name removed; a "like"
                             host's arguments come first */
};

/* ---- Guest ------------------------------------------------------------------ */

/* "key value..." lines inside the guest block. */
struct scn_knob {
    struct scn_arg key;
    struct scn_args values;
};

struct scn_guest {
    bool present;
    struct scn_pos pos;
    struct scn_arg profile;  /* "linux" (default), "qtest", "none" */
    struct scn_knob *knobs;  /* owned */
    size_t nknobs;
};

/* ---- Traffic ---------------------------------------------------------------- */

/* One line of the traffic block, e.g. "ping 10.0.2.2 every 200ms from 3s". */
struct scn_traffic_line {
    struct scn_args words;
};

struct scn_traffic {
    bool present;
    struct scn_pos pos;
    struct scn_traffic_line *lines; /* owned */
    size_t nlines;
};

/* ---- Actions ------------------------------------------------------------------ */

enum scn_action_kind {
    SCN_ACT_QMP,   /* a QMP command sent to a host */
    SCN_ACT_GUEST, /* a scripted guest action (qtest profile) */
};

struct scn_action {
    enum scn_action_kind kind;
    sim_time at;          /* world time */
    struct scn_pos pos;
    enum obs_host host;   /* SCN_ACT_QMP: which host */
    char *json;           /* SCN_ACT_QMP: the command, compact JSON, owned */
    char *label;          /* "as NAME", or NULL; owned */
    struct scn_args words;/* SCN_ACT_GUEST: verb and arguments */
};

/* ---- Expectations -------------------------------------------------------------- */

/* An event matcher: NAME [key=value ...]; keys are paths under "data"
 * ("status", "device-id"), or "id"/"error" for replies. */
struct scn_match {
    struct scn_arg name;
    struct scn_arg *keys;   /* owned arrays of nfields */
    struct scn_arg *values;
    size_t nfields;
    bool is_log;            /* a `log "TEXT"` item (order expectations) */
};

#define SCN_EXPECT_KINDS(X)                                                       \
    X(EVENT, "event")       /* HOST [no] event MATCH [in A..B] [count N] */       \
    X(STATE, "migration")   /* HOST [no] migration STATE [in A..B] */             \
    X(DURATION, "duration") /* HOST duration STATE A..B */                        \
    X(DEVICE, "device")     /* HOST device ID visible|hidden at T */              \
    X(REPLY, "reply")       /* HOST reply LABEL ok | error "TEXT" */              \
    X(ORDER, "order")       /* HOST order MATCH < MATCH < ... */                  \
    X(LOG, "log")           /* HOST|guest [no] log "TEXT" [in A..B] [count N] */  \
    X(STDERR, "stderr")     /* HOST [no] stderr "TEXT" */                         \
    X(VERDICT, "verdict")   /* verdict ID pass|fail|inconclusive|n/a */           \
    X(TRAFFIC, "traffic")   /* traffic WORDS... (checked by the traffic model) */

enum scn_expect_kind {
#define X(id, name) SCN_EXPECT_##id,
    SCN_EXPECT_KINDS(X)
#undef X
};

struct scn_expect {
    enum scn_expect_kind kind;
    struct scn_pos pos;
    char *text;           /* the statement as written, for reports; owned */
    bool any_host;        /* "guest log": either host */
    enum obs_host host;
    bool negated;         /* "no event", "no migration", "no log", "no stderr" */
    struct scn_match *items; /* EVENT: 1; ORDER: n; owned */
    size_t nitems;
    struct scn_arg subject;  /* STATE/DURATION: state; DEVICE: id; REPLY: label;
                                LOG/STDERR: text; VERDICT: assertion ID */
    struct scn_arg word;     /* DEVICE: visible|hidden; REPLY: ok|error;
                                VERDICT: the verdict */
    struct scn_arg detail;   /* REPLY error: expected text (substring) */
    sim_time from, to;       /* window; SIM_TIME_NONE if open */
    sim_time at;             /* DEVICE: instant */
    long count;              /* exact count, or -1 for "at least once" */
    struct scn_args words;   /* TRAFFIC: everything after "traffic" */
};

/* ---- The scenario ---------------------------------------------------------------- */

enum scn_qmp_setup {
    SCN_QMP_SETUP_EVENTS, /* qmp_capabilities + events capability (default) */
    SCN_QMP_SETUP_PLAIN,  /* qmp_capabilities only */
    SCN_QMP_SETUP_NONE,   /* nothing: the scenario sends everything itself */
};

struct scenario {
    char *path;         /* file it was read from (owned) */
    char *name;         /* "scenario" statement or the file stem */
    char *description;  /* "describe" text or "" */
    uint64_t seed;
    bool seed_set;
    sim_time epoch;     /* wall-clock ns of t = 0 */
    sim_time until;     /* run horizon; SIM_TIME_NONE = until quiescent */
    enum scn_qmp_setup qmp_setup;
    uint32_t nvms;      /* "vms N": a fleet of N copies of the VM (default 1) */
    struct scn_host hosts[OBS_NHOSTS];
    struct scn_guest guest;
    struct scn_traffic traffic;
    struct scn_action *actions; /* sorted by (at, file order); owned */
    size_t nactions;
    struct scn_expect *expects; /* in file order; owned */
    size_t nexpects;
    struct scn_args evidence;   /* "evidence ID ..." assertion IDs */
    struct scn_args tags;       /* "tags WORD ..." */
    char **files;               /* every file read (owned), for positions */
    size_t nfiles;
};

/*
 * Bounds on a scenario (doc/limits.md lists them all).  Input beyond one is
 * refused with a message naming the bound and the place; they keep a
 * hostile or broken file from exhausting memory or time.
 */
#define SCN_MAX_BYTES (16u << 20)      /* the file and its includes together */
#define SCN_MAX_FILES 64u              /* files read: the scenario and its includes */
#define SCN_MAX_INCLUDE_DEPTH 8u       /* includes nested in includes */
#define SCN_MAX_LINE (64u * 1024)      /* bytes in a logical line (continuations joined) */
#define SCN_MAX_LINE_WORDS 4096u       /* words in a logical line */
#define SCN_MAX_HOST_ARGS 4096u        /* QEMU arguments of one host */
#define SCN_MAX_DEVICES 256u           /* -device options of one host */
#define SCN_MAX_KNOBS 256u             /* lines in the guest block */
#define SCN_MAX_TRAFFIC_LINES 256u     /* lines in the traffic block */
#define SCN_MAX_ACTIONS 10000u         /* timed actions ("at") */
#define SCN_MAX_EXPECTS 10000u         /* expectations */
#define SCN_MAX_VMS 100000u            /* "vms N" bound */
#define SCN_MAX_FLEET_ACTIONS 1000000u /* vms x (timed actions + QMP set-up commands) */
#define SCN_SETUP_ACTIONS 4u           /* set-up commands per VM counted by the above */

#define SCN_DEFAULT_EPOCH ((sim_time)1764072000 * 1000000000) /* 2025-11-25T12:00:00Z */

/* Read and parse a scenario file (and the files it includes). */
int scn_load(const char *path, struct scenario **out, struct sim_err *err);

/* Parse scenario text held in memory; `name` is used as the file name. */
int scn_parse_string(const char *name, const char *text, struct scenario **out,
                     struct sim_err *err);

void scn_free(struct scenario *s);

/* Report an error at a position: "file:line:col: message".  Returns -1
 * (a macro for the static analyzer's sake, see sim__minus_one). */
int scn__errf(struct sim_err *e, const struct scn_pos *pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define scn_errf(...) sim__minus_one(scn__errf(__VA_ARGS__))

/* Find a guest knob by name, or NULL. */
const struct scn_knob *scn_guest_knob(const struct scn_guest *g, const char *key);

#endif
