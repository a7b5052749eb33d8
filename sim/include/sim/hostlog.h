/*
 * Reading what QEMU printed on stderr.
 *
 * Lines such as "qemu-system-x86_64: warning: netdev hs1 has no peer".
 * With `-msg timestamp=on` QEMU prefixes each message with the host wall
 * clock, "2026-11-25T20:25:06.984300Z "; such a line gets that time
 * exactly.  Only a message's first line carries the prefix: the further
 * lines QEMU prints with error_printf (hints such as "Virtio-net failover
 * will not work. Make sure ...") have none.  A line without the prefix after
 * a stamped line is such a continuation: it gets the time of the stamped
 * line before it, is marked t_approx and obs_hostlog.continuation.  A line
 * without the prefix before any stamped line (a file written without
 * -msg timestamp=on) gets the time the caller gives as the fallback (the
 * bundle uses the host's first QMP line, the start of the process, when
 * QEMU prints its start-up warnings) and is marked t_approx.
 *
 * An empty file is valid (QEMU printed nothing).  A NUL byte is an error
 * (byte offset given): stderr is text, not a binary file.  Other control
 * bytes are shown as '?' and counted: QEMU echoes command-line values
 * verbatim in its messages, control bytes included.
 */
#ifndef SIM_HOSTLOG_H
#define SIM_HOSTLOG_H

#include <stdint.h>

#include "sim/clock_map.h"
#include "sim/err.h"
#include "sim/obs.h"

#define HOSTLOG_MAX_LINE (64u * 1024)

struct hostlog_reader;

struct hostlog_stats {
    uint64_t lines;   /* lines passed on */
    uint64_t stamped; /* of which carried a -msg timestamp=on stamp */
    uint64_t continued; /* of which continued the stamped message before them */
    uint64_t blank;   /* blank lines skipped */
    uint64_t junk_bytes; /* control bytes shown as '?' */
};

int hostlog_open(const char *path, const char *name, enum obs_host host,
                 const struct clock_map *clock, sim_time fallback,
                 struct hostlog_reader **out, struct sim_err *err);

/* 1 and *o filled (borrowed until the next call), 0 at the end, -1 with err. */
int hostlog_next(struct hostlog_reader *h, struct obs *o, struct sim_err *err);

const struct hostlog_stats *hostlog_stats(const struct hostlog_reader *h);

void hostlog_close(struct hostlog_reader *h);

/* Parse "YYYY-MM-DDTHH:MM:SS.ffffffZ" at the start of s into Unix ns.
 * Returns the length of the stamp (without the following space), or 0. */
size_t hostlog_parse_stamp(const char *s, sim_time *t);

/* Format Unix ns t as "YYYY-MM-DDTHH:MM:SS.ffffffZ" (27 characters). */
size_t hostlog_format_stamp(char *buf, size_t n, sim_time t);

#endif
