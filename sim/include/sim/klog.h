/*
 * Reading a guest's serial console as a kernel log.
 *
 * A console holds the kernel's "[ uptime] text" lines among everything else
 * the serial port carried: firmware and boot noise, shell output, lines
 * without a stamp, ANSI escape sequences, "\r", lines cut short, binary
 * bytes.  Kernel lines become OBS_KLOG observations (klog_split_stamp and
 * klog_classify in sim/obs.c type them, as for the simulator); every other
 * line is skipped and counted.  Leading control bytes and ANSI sequences
 * before a stamp are ignored; control bytes inside a kernel line's text are
 * shown as '?'.
 *
 * Time: the stamp counts guest uptime, which stops while the VM is stopped
 * and continues on the target after a migration.  Wall-clock time is
 * uptime + the clock map's offset for the line (from the bundle's manifest
 * or estimated by the bundle reader; t_approx when estimated).  The source
 * and target consoles are separate files: the guest moves.
 */
#ifndef SIM_KLOG_H
#define SIM_KLOG_H

#include <stdint.h>

#include "sim/clock_map.h"
#include "sim/err.h"
#include "sim/obs.h"

#define KLOG_MAX_LINE (64u * 1024)

struct klog_reader;

struct klog_stats {
    uint64_t lines;       /* lines in the file */
    uint64_t kernel;      /* kernel lines passed on */
    uint64_t skipped;     /* lines without a kernel stamp */
    uint64_t junk_bytes;  /* control/binary bytes replaced or dropped */
    uint64_t partial;     /* 1 when the last line had no newline */
    uint64_t reboots;     /* times the uptime went backwards */
    sim_time first_uptime, last_uptime; /* SIM_TIME_NONE if no kernel line */
};

/* Open a console log; `name` (copied) names it in messages and origins;
 * `clock` (borrowed until close, may be NULL) maps uptime to wall clock. */
int klog_open(const char *path, const char *name, enum obs_host host,
              const struct clock_map *clock, struct klog_reader **out, struct sim_err *err);

/* Next kernel line: 1 and *o filled (borrowed until the next call), 0 at the
 * end, -1 with err (read error, empty file, a file with no kernel line). */
int klog_next(struct klog_reader *k, struct obs *o, struct sim_err *err);

/* Start again from the first line (a second pass with a new clock map). */
int klog_rewind(struct klog_reader *k, const struct clock_map *clock, struct sim_err *err);

/* Accept an empty file (no line at all) as a console that stayed silent:
 * a bundle's manifest lists the consoles that were recorded, and the
 * target's stays empty when the guest never ran there.  A file with lines
 * but no kernel line is still refused. */
void klog_allow_empty(struct klog_reader *k);

const struct klog_stats *klog_stats(const struct klog_reader *k);

void klog_close(struct klog_reader *k);

#endif
