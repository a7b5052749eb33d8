/*
 * The event queue: the only thing that moves simulated time.
 *
 * An event is a node the owner embeds in its own structure (the queue never
 * allocates per event).  Events run in (time, sequence) order; the sequence
 * number is taken when the event is scheduled, so events scheduled for the
 * same instant run first in, first out.  Dispatch is re-entrant: a handler may
 * schedule, reschedule or cancel any event, itself included.
 *
 * Cancellation is O(1) and never touches the heap: a pending node owns a
 * small "ticket" in the queue; heap entries point at the ticket, not at the
 * node.  Cancelling clears the ticket, and the stale entry is discarded when
 * it reaches the top.  The queue therefore never dereferences a cancelled
 * node, so its owner may free it right after sim_cancel().
 */
#ifndef SIM_EVENT_H
#define SIM_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

struct sim_world;
struct sim_event;

typedef void (*sim_event_fn)(struct sim_world *w, struct sim_event *ev);

struct sim_event {
    sim_event_fn fn;  /* handler; set by sim_event_init */
    sim_time when;    /* world time it is due (valid while pending) */
    uint32_t ticket;  /* 0 = not pending; else its ticket in the queue */
    const char *name; /* for traces and assertion messages; borrowed */
};

/* One heap entry (16 bytes: a node's four children fill one cache line);
 * exposed only so struct sim_queue has a known size. */
struct sim_qent {
    sim_time when;
    uint32_t seq;    /* schedule order: ties run first in, first out; when the
                        32-bit count runs out the pending entries are
                        renumbered in order (event.c), which keeps the order */
    uint32_t ticket; /* index into tickets[] */
};

struct sim_queue {
    struct sim_qent *heap;      /* 4-ary min-heap on (when, seq), inside heap_mem */
    void *heap_mem;             /* owned allocation; heap[1] starts a cache line */
    uint32_t len;               /* entries in heap, live or stale */
    uint32_t cap;               /* allocated entries */
    struct sim_event **tickets; /* ticket -> node, NULL once cancelled; owned */
    uint32_t *free_tickets;     /* stack of reusable tickets; owned */
    uint32_t nfree;
    uint32_t ntickets;          /* tickets[0] is never used */
    uint32_t ticket_cap;
    uint32_t live;              /* pending events (entries that will run) */
    uint64_t next_seq;          /* next sequence number; starts at 1, never
                                   above UINT32_MAX (see struct sim_qent) */
    uint64_t dispatched;        /* events run so far */
};

/* Prepare an event node; it starts not pending.  name is borrowed. */
void sim_event_init(struct sim_event *ev, sim_event_fn fn, const char *name);

static inline bool sim_event_pending(const struct sim_event *ev)
{
    return ev->ticket != 0;
}

/*
 * Schedule ev at absolute world time `when` (>= now).  If ev is already
 * pending it is moved (its old entry becomes stale).  The queue grows as
 * needed; growth failure aborts, as running out of memory mid-run leaves no
 * result worth reporting.
 */
void sim_schedule_at(struct sim_world *w, struct sim_event *ev, sim_time when);

/* Schedule ev `delay` (>= 0) after the current time. */
void sim_schedule_in(struct sim_world *w, struct sim_event *ev, sim_time delay);

/* Cancel ev if pending; otherwise do nothing. */
void sim_cancel(struct sim_world *w, struct sim_event *ev);

/*
 * Run the next due event if its time is <= until, advancing the clock to it.
 * Returns true if an event ran.
 */
bool sim_step(struct sim_world *w, sim_time until);

/*
 * Run events until none is left at or before `until`, then set the clock to
 * `until` (unless it is SIM_TIME_MAX).  Returns the number of events run.
 */
uint64_t sim_run_until(struct sim_world *w, sim_time until);

/* Time of the next pending event, or SIM_TIME_NONE when the queue is empty. */
sim_time sim_next_time(struct sim_world *w);

/* Queue internals used by world.c and the benchmarks. */
void sim_queue_init(struct sim_queue *q);
void sim_queue_free(struct sim_queue *q);
void sim_queue_push(struct sim_queue *q, struct sim_event *ev, sim_time when);
void sim_queue_cancel(struct sim_queue *q, struct sim_event *ev);
struct sim_event *sim_queue_pop(struct sim_queue *q, sim_time until);

#endif
