/*
 * fosim-record: the parts of the real-QEMU recorder (private to conformance/real).
 *
 * The recorder runs a scenario file against real QEMU and a real Linux guest
 * and writes the run as a bundle (doc/real.md):
 *   plan.c      scenario -> QEMU command lines, guest kernel command line,
 *               port rewrites, capture files (everything decided before a
 *               process starts; refusals are positioned scenario errors)
 *   proc.c      QEMU processes: start in their own process group, stderr
 *               through a pipe, reap, stop (quit, SIGTERM, SIGKILL)
 *   qmp.c       a non-blocking QMP client that logs every line both ways
 *   follow.c    following files QEMU writes (console, filter-dump pcaps) and
 *               measuring their clock offsets from arrival times
 *   recorder.c  the run: the event loop, t = 0, timed actions, the bundle
 *
 * Time: `wall` values are CLOCK_REALTIME nanoseconds (the clock QMP stamps
 * use); deadlines use CLOCK_MONOTONIC.  Nothing here is used by sim/.
 */
#ifndef FOSIM_RECORDER_H
#define FOSIM_RECORDER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "sim/err.h"
#include "sim/obs.h"
#include "sim/scenario.h"
#include "sim/time.h"

/* ---- clocks ---------------------------------------------------------------------- */

sim_time rec_wall(void); /* CLOCK_REALTIME, ns */
sim_time rec_mono(void); /* CLOCK_MONOTONIC, ns */

/* ---- the plan (plan.c) ------------------------------------------------------------- */

#define REC_MAX_ARGS 512
#define REC_MAX_CAPTURES 16
#define REC_MAX_REWRITES 8

struct rec_capture {
    char netdev[64];   /* QEMU netdev id the filter-dump object watches */
    char point[64];    /* capture point: the id of the device on that netdev */
    char file[96];     /* bundle file name: "<host>-<point>.pcap" */
    bool from_scenario;/* the scenario had its own filter-dump object */
};

struct rec_rewrite {
    char from[128]; /* as the scenario wrote it: "tcp:127.0.0.1:4444" */
    char to[128];   /* as the recorder ran it:   "tcp:127.0.0.1:41237" */
};

struct rec_host_plan {
    bool present;
    enum obs_host id;
    char *argv[REC_MAX_ARGS]; /* owned strings; argv[0] is the QEMU binary */
    int argc;
    bool paused;              /* -S: the VM starts in prelaunch */
    bool has_kernel;          /* the recorder boots the fosim guest on it */
    char serial_file[96];     /* "<host>-guest.log" */
    char stderr_file[96];     /* "<host>.stderr" */
    char qmp_file[96];        /* "<host>.qmp" */
    struct rec_capture caps[REC_MAX_CAPTURES];
    int ncaps;
};

struct rec_plan {
    const struct scenario *scn;          /* borrowed */
    struct rec_host_plan hosts[OBS_NHOSTS];
    char append[1024];                   /* guest kernel command line */
    struct rec_rewrite rewrites[REC_MAX_REWRITES];
    int nrewrites;
    sim_time horizon;                    /* world time the recording stops */
    bool horizon_default;                /* no `until`: last action + settle */
    bool anchor_on_kernel;               /* t = 0 is the source guest's uptime 0 */
};

struct rec_options {
    const char *qemu;      /* QEMU binary (default qemu-system-x86_64) */
    const char *guest_dir; /* vmlinuz, initrd.gz, kernel-version */
    const char *workdir;   /* run directory (QEMU's cwd; sockets, files) */
    sim_time settle;       /* horizon without `until`: last action + settle */
    sim_time boot_timeout; /* t = 0 must be established within this */
};

/* Build the plan.  Refusals (a guest knob the real guest cannot honour, a
 * qtest guest, a traffic line other than ping) are "file:line:col: ..."
 * errors.  Ports for -incoming are chosen here (free on 127.0.0.1). */
int rec_plan_build(struct rec_plan *p, const struct scenario *s, const struct rec_options *opt,
                   struct sim_err *err);
void rec_plan_free(struct rec_plan *p);

/* Rewrite a QMP command's text (compact JSON) for the real run: a "uri"
 * argument equal to a rewritten URI gets the real one.  Returns a newly
 * allocated string (never NULL: aborts on exhaustion). */
char *rec_plan_rewrite_command(const struct rec_plan *p, const char *json);

struct bundle;

/* Add the NIC described by a -device value (keyval or JSON) / a device_add
 * command (JSON text) to the bundle's device list with its failover role. */
void rec_plan_note_device(struct bundle *b, enum obs_host host, const char *device);
void rec_plan_note_device_add(struct bundle *b, enum obs_host host, const char *json);

/* The host uses native PCIe hotplug (q35 with ACPI PCI hotplug turned off). */
bool rec_plan_native_hotplug(const struct rec_host_plan *h);

/* Quote argv as a shell command line (for the manifest). */
void rec_format_cmdline(char *buf, size_t n, char *const argv[], int argc);

/* ---- processes (proc.c) ----------------------------------------------------------------- */

struct rec_proc {
    pid_t pid;        /* 0 = not started; the process group id too */
    int stderr_fd;    /* read end of its stderr, -1 when closed */
    bool exited;
    int status;       /* waitpid status once exited */
    sim_time exit_wall;
};

/* Start argv in `cwd` in a new process group, stdin and stdout on
 * /dev/null, stderr into a non-blocking pipe.  0, or -1 with err. */
int rec_proc_start(struct rec_proc *p, char *const argv[], const char *cwd, struct sim_err *err);

/* Reap without blocking; true once it has exited. */
bool rec_proc_poll(struct rec_proc *p);

/* Stop the process group: SIGTERM, wait up to grace, then SIGKILL and wait
 * (bounded).  Safe to call on a process that already exited or never started. */
void rec_proc_stop(struct rec_proc *p, sim_time grace);

/* Wait up to `timeout` for the process to exit by itself. */
bool rec_proc_wait(struct rec_proc *p, sim_time timeout);

/* Describe an exit status ("exited with status 1", "killed by signal 9"). */
void rec_proc_describe(const struct rec_proc *p, char *buf, size_t n);

/* ---- QMP client (qmp.c) --------------------------------------------------------------------- */

struct rec_qmp {
    int fd;                 /* -1 = not connected */
    bool eof;               /* the peer closed the connection */
    char path[108];         /* unix socket */
    char *in;               /* input buffer (owned) */
    size_t inlen, incap;
    char *out;              /* pending output (owned) */
    size_t outlen, outcap;
    FILE *log;              /* bundle QMP log: every line, both directions */
    FILE *transcript;       /* "<wall s.us> <- line" / "-> line" / "== EOF" */
    bool recording;         /* lines go to `log` (false after the horizon) */
};

/* Line callback: a complete line received (without newline). */
typedef void (*rec_qmp_line_fn)(void *ctx, struct rec_qmp *q, const char *line, sim_time wall);

void rec_qmp_init(struct rec_qmp *q, const char *path, FILE *log, FILE *transcript);
/* Try to connect (non-blocking socket); 1 connected, 0 not yet, -1 error. */
int rec_qmp_try_connect(struct rec_qmp *q, struct sim_err *err);
/* Queue a command line (no newline) and log it.  -1 if not connected. */
int rec_qmp_send(struct rec_qmp *q, const char *line, sim_time wall);
/* Events for poll(): POLLIN, plus POLLOUT while output is pending. */
short rec_qmp_events(const struct rec_qmp *q);
/* Handle poll results: read and dispatch lines, write pending output. */
void rec_qmp_io(struct rec_qmp *q, short revents, rec_qmp_line_fn fn, void *ctx);
void rec_qmp_close(struct rec_qmp *q);

/* ---- followers and clock offsets (follow.c) ---------------------------------------------------
 *
 * A follower reads a file QEMU is writing, as it grows, and notes when each
 * piece arrived.  For a console, every kernel line "[ uptime] text" gives an
 * upper bound of the offset wall - uptime; for a filter-dump pcap every record
 * gives wall - stamp.  The VM's clocks (uptime, and the virtual clock the
 * pcap stamps follow) stop while the VM is stopped, so the offset changes at
 * every resume: the caller starts a new segment then.  Per segment the
 * estimate is the smallest bound seen (the line that arrived soonest).
 */
#define REC_MAX_SEGS 16

struct rec_seg {
    uint64_t from;      /* first line / record of the segment (1-based) */
    sim_time offset;    /* min(wall - stamp) over the segment */
    sim_time spread;    /* median bound minus the min (quality indication) */
    uint64_t samples;   /* bounds seen */
    sim_time *bounds;   /* owned, for the median */
    size_t nbounds, capbounds;
    /* The stamp's rate against the host clock: the line with the smallest
     * bound among the segment's first REC_RATE_LINES, and the last
     * REC_RATE_LINES lines (a ring), as (stamp, bound). */
    sim_time ref_stamp, ref_bound;
    sim_time ring_stamp[16], ring_bound[16];
    unsigned nring;
};

#define REC_RATE_LINES 16

enum rec_follow_kind { REC_FOLLOW_CONSOLE, REC_FOLLOW_PCAP };

struct rec_follow {
    enum rec_follow_kind kind;
    char path[512];
    int fd;                  /* -1 until the file exists */
    char *buf;               /* partial line / record (owned) */
    size_t len, cap;
    uint64_t units;          /* lines (console) or records (pcap) completed */
    uint64_t kernel_lines;   /* console: lines with an uptime stamp */
    bool pcap_header;        /* pcap: the 24-byte header was read */
    bool pcap_swapped, pcap_nano;
    bool pcap_bad;           /* pcap: stop parsing (unexpected content) */
    struct rec_seg segs[REC_MAX_SEGS];
    int nsegs;
    bool want_new_seg;       /* start a segment at the next unit */
    uint64_t bytes;
};

void rec_follow_init(struct rec_follow *f, enum rec_follow_kind kind, const char *path);
/* Read what is new.  `wall` is now.  Calls line_fn for every complete
 * console line (may be NULL). */
void rec_follow_poll(struct rec_follow *f, sim_time wall,
                     void (*line_fn)(void *ctx, const char *line, sim_time uptime, sim_time wall),
                     void *ctx);
/* The VM resumed: later units belong to a new clock segment. */
void rec_follow_resumed(struct rec_follow *f);
/* Current estimate of the last segment's offset, or SIM_TIME_NONE. */
sim_time rec_follow_offset(const struct rec_follow *f);
/* How the current segment's bound moves per unit of stamp time: 0 when the
 * stamps run with the host clock; (1 - r) / r when they run r times as fast
 * (a guest whose TSC calibration failed under load runs r = 3).  Returns
 * false when the segment spans less than `span` of stamp time. */
bool rec_follow_drift(const struct rec_follow *f, sim_time span, double *drift);

/* Finish: compute the spreads. */
void rec_follow_finish(struct rec_follow *f);
void rec_follow_free(struct rec_follow *f);

#endif
