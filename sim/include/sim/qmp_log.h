/*
 * Reading a QMP log as a client records it.
 *
 * One JSON object per line: the greeting, the commands the client sent
 * (with "execute"), the replies, and the events with their
 * {"timestamp": {"seconds", "microseconds"}}.  Each line is parsed with
 * jansson and typed by obs_decode_qmp (sim/obs.c), exactly as the simulator
 * types the lines it prints, and becomes one observation.  Streaming: one
 * line is held at a time (plus, at the start of a file, the few lines that
 * precede its first stamp).
 *
 * Time: events carry their stamp; commands and replies whose "id" has
 * fosim's form "fosim-N@S.U" carry one too.  Any other line (the greeting,
 * other replies) takes the stamp of the last stamped line before it in the
 * file (the earliest instant it can have been printed at) and is marked
 * t_approx; lines before the first stamp take that first stamp.  A file
 * without any stamp places its lines at time 0 (before everything else).
 *
 * Errors (file:line:column): a line that is not JSON, JSON that is not a QMP
 * object, an event without a timestamp, an event stamp earlier than the one
 * before it (the host clock stepped back: the log cannot be ordered against
 * the other sources, so fosim refuses to guess), a line longer than
 * QMP_LOG_MAX_LINE, an empty file.  Unknown events are not errors: they are
 * counted and passed on.
 */
#ifndef SIM_QMP_LOG_H
#define SIM_QMP_LOG_H

#include <stdint.h>

#include "sim/clock_map.h"
#include "sim/err.h"
#include "sim/obs.h"

#define QMP_LOG_MAX_LINE (16u * 1024 * 1024) /* query-pci replies are long */
#define QMP_LOG_MAX_LEADING 4096             /* unstamped lines before the first stamp */

struct qmp_log;

struct qmp_log_stats {
    uint64_t lines;          /* non-blank lines read */
    uint64_t blank;          /* blank lines skipped */
    uint64_t greetings, commands, replies, events;
    uint64_t unknown_events; /* events fosim has no meaning for */
    char first_unknown[48];  /* the first such event's name */
    uint64_t approx;         /* lines whose time was inferred */
    sim_time first_t, last_t;/* first and last stamp seen (SIM_TIME_NONE if none) */
};

/*
 * Open a QMP log.  `name` (copied) names the file in messages and in each
 * observation's origin; `host` is stamped on every observation; `clock`
 * (borrowed until close, may be NULL) corrects the stamps per line.
 */
int qmp_log_open(const char *path, const char *name, enum obs_host host,
                 const struct clock_map *clock, struct qmp_log **out, struct sim_err *err);

/* Next observation: 1 and *o filled (pointers borrowed until the next call),
 * 0 at the end of the file, -1 with err. */
int qmp_log_next(struct qmp_log *q, struct obs *o, struct sim_err *err);

const struct qmp_log_stats *qmp_log_stats(const struct qmp_log *q);

/* True when `name` is an event fosim gives a meaning to. */
bool qmp_event_known(const char *name);

void qmp_log_close(struct qmp_log *q);

#endif
