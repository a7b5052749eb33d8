/*
 * Clock maps: piecewise stamp-to-wall-clock offsets (see sim/clock_map.h).
 *
 * Lookups are monotone in practice (readers go forward), but a binary
 * search keeps them cheap for maps with many segments.
 */
#include "sim/clock_map.h"

#include <stdlib.h>

sim_time clock_map_offset(const struct clock_map *m, uint64_t pos)
{
    if (!m || m->n == 0 || pos < m->segs[0].from)
        return m && m->n ? m->segs[0].offset : 0;
    size_t lo = 0, hi = m->n; /* invariant: segs[lo].from <= pos */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->segs[mid].from <= pos)
            lo = mid;
        else
            hi = mid;
    }
    return m->segs[lo].offset;
}

int clock_map_add(struct clock_map *m, uint64_t from, sim_time offset)
{
    if (m->n > 0 && from < m->segs[m->n - 1].from)
        return -1;
    if (m->n > 0 && m->segs[m->n - 1].offset == offset)
        return 0;
    if (m->n > 0 && m->segs[m->n - 1].from == from) {
        m->segs[m->n - 1].offset = offset;
        return 0;
    }
    struct clock_seg *s = realloc(m->segs, (m->n + 1) * sizeof(*s));
    if (!s)
        return -1;
    m->segs = s;
    m->segs[m->n++] = (struct clock_seg){ .from = from, .offset = offset };
    return 0;
}

void clock_map_free(struct clock_map *m)
{
    free(m->segs);
    m->segs = NULL;
    m->n = 0;
}
