/*
 * The event queue: a 4-ary min-heap of (when, seq, ticket) entries.
 *
 * Keys live in the heap array, so sifting compares without touching the
 * event nodes, which are scattered through the models' memory; an entry is
 * 16 bytes, so a node's four children share one cache line.  A pending
 * node holds a ticket; the ticket table maps it back to the node.  Cancel
 * (and reschedule, which is cancel + schedule) only clears the ticket; the
 * stale heap entry is dropped when it reaches the top ("lazy deletion").
 * So cancel is O(1), sift loops write nothing but the heap, and the queue
 * never reads a node after it was cancelled.  Stale entries cost memory
 * until their time comes; timers in this domain are re-armed rarely enough
 * for that to be noise (the benchmark measures it).
 */
#include "sim/event.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/err.h"
#include "sim/world.h"

#define ARITY 4

static inline int ent_less(const struct sim_qent *a, const struct sim_qent *b)
{
    return a->when != b->when ? a->when < b->when : a->seq < b->seq;
}

void sim_event_init(struct sim_event *ev, sim_event_fn fn, const char *name)
{
    ev->fn = fn;
    ev->when = 0;
    ev->ticket = 0;
    ev->name = name;
}

void sim_queue_init(struct sim_queue *q)
{
    *q = (struct sim_queue){ .next_seq = 1, .ntickets = 1 };
}

void sim_queue_free(struct sim_queue *q)
{
    free(q->heap_mem);
    free(q->tickets);
    free(q->free_tickets);
    sim_queue_init(q);
}

static void sift_up(struct sim_qent *h, uint32_t i)
{
    struct sim_qent e = h[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / ARITY;
        if (!ent_less(&e, &h[parent]))
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = e;
}

static void sift_down(struct sim_qent *h, uint32_t len, uint32_t i)
{
    struct sim_qent e = h[i];
    for (;;) {
        uint32_t first = i * ARITY + 1;
        if (first >= len)
            break;
        uint32_t best = first;
        uint32_t last = first + ARITY < len ? first + ARITY : len;
        for (uint32_t c = first + 1; c < last; c++)
            if (ent_less(&h[c], &h[best]))
                best = c;
        if (!ent_less(&h[best], &e))
            break;
        h[i] = h[best];
        i = best;
    }
    h[i] = e;
}

/* Double the heap.  It is placed so that heap[1] starts a cache line: the
 * children of node i, 4i + 1 .. 4i + 4, then share one line. */
static void heap_grow(struct sim_queue *q)
{
    enum { LINE = 64 };
    uint32_t ncap = q->cap ? q->cap * 2 : 256;
    SIM_ASSERT(ncap > q->cap);
    char *mem = sim_xmalloc((size_t)ncap * sizeof(*q->heap) + LINE);
    uintptr_t first = ((uintptr_t)mem + sizeof(*q->heap) + LINE - 1) & ~(uintptr_t)(LINE - 1);
    struct sim_qent *heap = (struct sim_qent *)(void *)(mem + (first - (uintptr_t)mem) -
                                                        sizeof(*q->heap));
    if (q->len)
        memcpy(heap, q->heap, (size_t)q->len * sizeof(*heap));
    free(q->heap_mem);
    q->heap_mem = mem;
    q->heap = heap;
    q->cap = ncap;
}

static int ent_cmp(const void *a, const void *b)
{
    const struct sim_qent *x = a, *y = b;
    return ent_less(x, y) ? -1 : ent_less(y, x);
}

/*
 * The 32-bit sequence numbers ran out (after 4 G schedules): sort the
 * entries by (when, seq), which leaves a valid heap, and number them again
 * from 1 in that order.  Every pair of entries keeps its order, so the run
 * is the same as with unbounded numbers.
 */
static void renumber(struct sim_queue *q)
{
    qsort(q->heap, q->len, sizeof(*q->heap), ent_cmp);
    for (uint32_t i = 0; i < q->len; i++)
        q->heap[i].seq = i + 1;
    q->next_seq = (uint64_t)q->len + 1;
}

static uint32_t ticket_take(struct sim_queue *q, struct sim_event *ev)
{
    uint32_t t;
    if (q->nfree > 0) {
        t = q->free_tickets[--q->nfree];
    } else {
        if (q->ntickets >= q->ticket_cap) {
            uint32_t ncap = q->ticket_cap ? q->ticket_cap * 2 : 256;
            SIM_ASSERT(ncap > q->ticket_cap);
            q->tickets = sim_xrealloc(q->tickets, (size_t)ncap * sizeof(struct sim_event *));
            q->free_tickets =
                sim_xrealloc(q->free_tickets, (size_t)ncap * sizeof(*q->free_tickets));
            q->ticket_cap = ncap;
        }
        t = q->ntickets++;
    }
    q->tickets[t] = ev;
    return t;
}

static inline void ticket_release(struct sim_queue *q, uint32_t t)
{
    q->free_tickets[q->nfree++] = t;
}

void sim_queue_cancel(struct sim_queue *q, struct sim_event *ev)
{
    if (ev->ticket != 0) {
        q->tickets[ev->ticket] = NULL; /* the heap entry is now stale */
        ev->ticket = 0;
        q->live--;
    }
}

void sim_queue_push(struct sim_queue *q, struct sim_event *ev, sim_time when)
{
    sim_queue_cancel(q, ev);
    if (q->len == q->cap)
        heap_grow(q);
    uint32_t t = ticket_take(q, ev);
    ev->when = when;
    ev->ticket = t;
    q->live++;
    if (q->next_seq > UINT32_MAX)
        renumber(q);
    q->heap[q->len] = (struct sim_qent){ .when = when, .seq = (uint32_t)q->next_seq++,
                                         .ticket = t };
    sift_up(q->heap, q->len);
    q->len++;
}

static void pop_top(struct sim_queue *q)
{
    q->len--;
    if (q->len > 0) {
        q->heap[0] = q->heap[q->len];
        sift_down(q->heap, q->len, 0);
    }
}

/* Drop stale entries from the top; return the live top or NULL. */
static struct sim_qent *live_top(struct sim_queue *q)
{
    while (q->len > 0) {
        struct sim_qent *top = &q->heap[0];
        if (q->tickets[top->ticket] != NULL)
            return top;
        ticket_release(q, top->ticket);
        pop_top(q);
    }
    return NULL;
}

struct sim_event *sim_queue_pop(struct sim_queue *q, sim_time until)
{
    struct sim_qent *top = live_top(q);
    if (!top || top->when > until)
        return NULL;
    uint32_t t = top->ticket;
    struct sim_event *ev = q->tickets[t];
    q->tickets[t] = NULL;
    ticket_release(q, t);
    pop_top(q);
    ev->ticket = 0;
    q->live--;
    return ev;
}

void sim_schedule_at(struct sim_world *w, struct sim_event *ev, sim_time when)
{
    SIM_ASSERT(ev->fn != NULL);
    SIM_ASSERT(when >= w->now);
    sim_queue_push(&w->queue, ev, when);
}

void sim_schedule_in(struct sim_world *w, struct sim_event *ev, sim_time delay)
{
    SIM_ASSERT(delay >= 0);
    SIM_ASSERT(w->now <= SIM_TIME_MAX - delay);
    sim_schedule_at(w, ev, w->now + delay);
}

void sim_cancel(struct sim_world *w, struct sim_event *ev)
{
    sim_queue_cancel(&w->queue, ev);
}

bool sim_step(struct sim_world *w, sim_time until)
{
    struct sim_event *ev = sim_queue_pop(&w->queue, until);
    if (!ev)
        return false;
    SIM_ASSERT(ev->when >= w->now);
    w->now = ev->when;
    w->queue.dispatched++;
    ev->fn(w, ev);
    return true;
}

uint64_t sim_run_until(struct sim_world *w, sim_time until)
{
    uint64_t n = 0;
    w->stopped = false;
    while (!w->stopped && sim_step(w, until))
        n++;
    if (!w->stopped && until != SIM_TIME_MAX && until > w->now)
        w->now = until;
    return n;
}

sim_time sim_next_time(struct sim_world *w)
{
    struct sim_qent *top = live_top(&w->queue);
    return top ? top->when : SIM_TIME_NONE;
}
