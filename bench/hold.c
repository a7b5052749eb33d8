/*
 * The event queue under the hold model, against a plain binary heap.
 *
 * The hold model (ns-3's bench-scheduler, Vaucher and Duval 1975) keeps a
 * constant population of pending events: each step takes the earliest event
 * and schedules it again a random delay later, so every step is one pop and
 * one push at a steady queue size.  The delays are uniform in [0, 200 us)
 * (mean 100 us) from a xorshift64 stream; integer delays make equal times
 * common, so the (time, sequence) tie rule is exercised too.
 *
 * fosim's queue runs through its public path: sim_run_until() dispatches
 * each event to its handler, which reschedules it with sim_schedule_in().
 * The baseline is a plain array binary heap compiled here, holding 32-byte
 * events by value ({time, seq, type, dev, ctx}) keyed on (time, seq), the
 * queue formats.md section C measured.  Both draw the same delays.
 */
#include "hold.h"

#include <stdlib.h>
#include <time.h>

#include "sim/err.h"
#include "sim/event.h"
#include "sim/world.h"

#define DELAY_SPAN 200000u /* ns: delays are uniform in [0, DELAY_SPAN) */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine may be shared */
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

#define SEED 88172645463325252ull

/* ---- the baseline: a plain binary heap of 32-byte events ------------------------ */

struct pev {
    int64_t t;
    uint64_t seq;
    uint32_t type, dev;
    void *ctx;
};

struct pheap {
    struct pev *a;
    size_t n, cap;
};

static inline int pev_less(const struct pev *x, const struct pev *y)
{
    return x->t != y->t ? x->t < y->t : x->seq < y->seq;
}

static void pheap_push(struct pheap *h, struct pev e)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->a = sim_xrealloc(h->a, h->cap * sizeof(*h->a));
    }
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!pev_less(&e, &h->a[p]))
            break;
        h->a[i] = h->a[p];
        i = p;
    }
    h->a[i] = e;
}

static struct pev pheap_pop(struct pheap *h)
{
    struct pev top = h->a[0], e = h->a[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && pev_less(&h->a[c + 1], &h->a[c]))
            c++;
        if (!pev_less(&h->a[c], &e))
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (h->n > 0)
        h->a[i] = e;
    return top;
}

double hold_plain(uint32_t pending, uint64_t holds)
{
    struct pheap h = { 0 };
    uint64_t s = SEED, seq = 0;
    for (uint32_t i = 0; i < pending; i++)
        pheap_push(&h, (struct pev){ .t = (int64_t)(xorshift(&s) % DELAY_SPAN), .seq = ++seq,
                                     .dev = i });
    double t0 = now_s();
    for (uint64_t k = 0; k < holds; k++) {
        struct pev e = pheap_pop(&h);
        e.t += (int64_t)(xorshift(&s) % DELAY_SPAN);
        e.seq = ++seq;
        pheap_push(&h, e);
    }
    double dt = now_s() - t0;
    free(h.a);
    return (double)holds / dt;
}

/* ---- fosim's queue -------------------------------------------------------------------- */

struct hold {
    uint64_t rng;
    uint64_t left; /* holds still to do */
};

struct hold_ev {
    struct sim_event ev;
    struct hold *h;
};

static void hold_fire(struct sim_world *w, struct sim_event *ev)
{
    struct hold *h = SIM_CONTAINER_OF(ev, struct hold_ev, ev)->h;
    if (h->left == 0) {
        sim_world_stop(w);
        return;
    }
    h->left--;
    sim_schedule_in(w, ev, (sim_time)(xorshift(&h->rng) % DELAY_SPAN));
}

double hold_fosim(uint32_t pending, uint64_t holds)
{
    struct sim_world_config cfg = { .seed = 1 };
    struct sim_world *w = sim_world_new(&cfg);
    struct hold h = { .rng = SEED, .left = holds };
    struct hold_ev *evs = sim_xcalloc(pending, sizeof(*evs));
    SIM_ASSERT(w != NULL);
    for (uint32_t i = 0; i < pending; i++) {
        evs[i].h = &h;
        sim_event_init(&evs[i].ev, hold_fire, "hold");
        sim_schedule_at(w, &evs[i].ev, (sim_time)(xorshift(&h.rng) % DELAY_SPAN));
    }
    double t0 = now_s();
    uint64_t n = sim_run_until(w, SIM_TIME_MAX);
    double dt = now_s() - t0;
    SIM_ASSERT(n == holds + 1 && h.left == 0);
    for (uint32_t i = 0; i < pending; i++)
        sim_cancel(w, &evs[i].ev);
    sim_world_free(w);
    free(evs);
    return (double)holds / dt;
}
