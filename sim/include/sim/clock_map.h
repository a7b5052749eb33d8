/*
 * A clock map: how one artifact's stamps become host wall-clock time.
 *
 * Each artifact counts time its own way: QMP stamps are the host's wall
 * clock, QEMU's filter-dump stamps are its virtual clock plus the
 * wall-clock second at open (and stop while the VM is stopped), a guest
 * console counts seconds since boot (and stops while the VM is stopped,
 * then continues on the target).  A clock map is a list of segments, each
 * from a position in the file (line or pcap record) on: wall = stamp +
 * offset.  One segment with offset 0 is the identity.  Maps come from a
 * bundle's manifest, or are estimated from paired events (sim/bundle.c).
 */
#ifndef SIM_CLOCK_MAP_H
#define SIM_CLOCK_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

struct clock_seg {
    uint64_t from;   /* first line/record (1-based) this segment applies to */
    sim_time offset; /* wall-clock ns = stamp + offset */
};

struct clock_map {
    struct clock_seg *segs; /* owned, sorted by `from`; NULL = identity */
    size_t n;
    bool estimated;         /* offsets were estimated, not given */
    sim_time tolerance;     /* half-width of the uncertainty, ns (0 = exact) */
};

/* Offset for position `pos`: the last segment whose from <= pos (the first
 * segment for positions before it; 0 for an empty map). */
sim_time clock_map_offset(const struct clock_map *m, uint64_t pos);

/* Append a segment (from must not decrease).  Returns 0 or -1 (ENOMEM). */
int clock_map_add(struct clock_map *m, uint64_t from, sim_time offset);

void clock_map_free(struct clock_map *m);

#endif
