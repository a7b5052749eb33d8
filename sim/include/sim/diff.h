/*
 * Differential comparison of two runs of one scenario: typically the
 * simulator's run against a recording of real QEMU and Linux (doc/real.md).
 *
 * Each run is reduced, as its observations stream by, to comparable items
 * on channels: per host the QMP events (name and data), the replies to the
 * commands (ok, or the error class), the guest's console lines that matter
 * to failover (net_failover, pciehp, acpiphp, PCI enumeration, the NIC
 * driver's probe/remove/link lines: exact text, stamps removed), QEMU's
 * stderr (text, stamp removed), and per VM the datapath: which capture
 * point (host and role) carried the guest's ICMP echo requests, as runs,
 * plus QEMU's RARP announcements.  Times are seconds since the run's t = 0
 * (doc/real.md defines it for recordings; the simulator's world time);
 * anything before t = 0 (a recording's QMP set-up, while the guest is still
 * in firmware) counts as t = 0.
 *
 * Comparing aligns each channel's two sequences (longest common
 * subsequence on the items' keys) and reports every item only one run has,
 * every item both have but in another place among the channel's items
 * ("order"), every matched item whose time differs by more than the
 * tolerance both since t = 0 and since the previous matched item of its
 * channel (so a slower boot shows once), and every migration state whose
 * stay (MIGRATION event to the next) differs by more than the duration
 * tolerance.  A
 * console line's time is its uptime stamp (t itself, doc/real.md) when both
 * runs started their guest at t = 0.  Each difference has a one-line
 * signature, "<channel> <what> <key>", which a known-differences file
 * matches with globs to explain it.
 */
#ifndef SIM_DIFF_H
#define SIM_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "sim/err.h"
#include "sim/obs.h"
#include "sim/time.h"

struct diff_run;

/* A run being reduced.  `label` names it in reports ("sim", "real"). */
struct diff_run *diff_run_new(const char *label);
void diff_run_free(struct diff_run *r);

/* Rename the run in reports (e.g. once it is known which side is real). */
void diff_run_set_label(struct diff_run *r, const char *label);

/* Wall-clock ns of the run's t = 0 (observation times minus this are the
 * times compared).  Set before or after feeding; used when comparing. */
void diff_run_set_t0(struct diff_run *r, sim_time t0);

/* Whether the guest's console uptime 0 is the run's t = 0 (default true:
 * the simulator's guest powers on at t = 0, and a recording's t = 0 is the
 * source guest's uptime 0).  False when the source starts paused (-S): the
 * guest's clock then starts after `cont` and the firmware.
 * Console lines are compared by their uptime stamps only when both runs say
 * true, else by their wall-clock times. */
void diff_run_set_uptime_is_t(struct diff_run *r, bool yes);

/* The observation sink: pass it to sim_world_add_sink / bundle_replay with
 * the run as ctx.  Only VM 0 is considered. */
void diff_run_sink(void *ctx, const struct obs *o);

/* Items reduced so far (all channels). */
size_t diff_run_items(const struct diff_run *r);

/* ---- known differences -------------------------------------------------------- */

struct diff_known;

/*
 * Read a known-differences file: one entry per line,
 *     SCENARIO-GLOB | SIGNATURE-GLOB | [within TIME |] REASON
 * ('#' starts a comment line; blank lines are skipped; the reason must not
 * be empty).  Globs as fnmatch(3).  With "within TIME" the entry explains a
 * timing or duration difference only when it is off by at most TIME, and
 * nothing else.  Errors name the file and line.
 */
int diff_known_load(const char *path, struct diff_known **out, struct sim_err *err);
void diff_known_free(struct diff_known *k);

/* ---- comparing ---------------------------------------------------------------- */

struct diff_options {
    sim_time tol_abs;      /* time tolerance of a matched item: tol_abs + tol_rel * t */
    double tol_rel;
    sim_time tol_duration; /* migration state stays: tol_duration + tol_rel * stay */
    sim_time boot_end;     /* items before this t (the scenario's first action) belong
                              to the guest's boot: SIM_TIME_NONE for none */
    sim_time tol_boot;     /* their tolerance: a TCG boot's speed follows host load */
    const char *scenario;  /* matched against known-differences entries */
    const struct diff_known *known; /* may be NULL */
    bool verbose;          /* also print matched items and durations */
};

/* Defaults: 0.4 s + 3 % of t for items, 0.3 s + 3 % for stays, no boot phase,
 * 2.5 s for boot items once boot_end is set (doc/real.md). */
void diff_options_default(struct diff_options *o);

struct scenario;
/* The scenario's source host starts paused (-S among its QEMU arguments). */
bool diff_scenario_paused(const struct scenario *s);
/*
 * Where the guest's boot ends for boot_end: the first action once the guest
 * runs.  It runs from t = 0, or, when the source starts paused, from the
 * first `cont` (on either host); with no action after that, the boot lasts
 * to the end.  SIM_TIME_NONE when nothing is known (no action).
 */
sim_time diff_scenario_boot_end(const struct scenario *s);

struct diff_result {
    unsigned matched;      /* items both runs have */
    unsigned differences;  /* all differences found */
    unsigned explained;    /* of which a known-differences entry explains */
    unsigned unexplained;
    unsigned stale;        /* known entries for this scenario that matched nothing */
};

/* Compare a (e.g. the simulator) with b (e.g. the recording), printing one
 * line per difference (and per stale known entry) to out.  Fills res. */
void diff_compare(const struct diff_run *a, const struct diff_run *b,
                  const struct diff_options *opt, FILE *out, struct diff_result *res);

#endif
