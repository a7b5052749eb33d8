/*
 * The event queue: order by (time, sequence), FIFO ties, cancel and
 * reschedule from inside handlers, and a differential test against a
 * plainly sorted reference.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "sim/err.h"
#include "sim/event.h"
#include "sim/rng.h"
#include "sim/world.h"

struct rec_ev {
    struct sim_event ev;
    int id;
    int *log;
    int *nlog;
    /* optional actions performed when it runs */
    struct rec_ev *cancel;     /* cancel this one */
    struct rec_ev *resched;    /* reschedule this one ... */
    sim_time resched_at;       /* ... to this time */
    int repeat;                /* reschedule itself this many more times */
};

static void rec_fire(struct sim_world *w, struct sim_event *ev)
{
    struct rec_ev *r = SIM_CONTAINER_OF(ev, struct rec_ev, ev);
    r->log[(*r->nlog)++] = r->id;
    if (r->cancel)
        sim_cancel(w, &r->cancel->ev);
    if (r->resched)
        sim_schedule_at(w, &r->resched->ev, r->resched_at);
    if (r->repeat > 0) {
        r->repeat--;
        sim_schedule_in(w, ev, SIM_MS(1));
    }
}

static struct sim_world *world(void)
{
    struct sim_world_config c = { .seed = 1 };
    struct sim_world *w = sim_world_new(&c);
    assert_non_null(w);
    return w;
}

static void init(struct rec_ev *r, int id, int *log, int *nlog)
{
    memset(r, 0, sizeof(*r));
    sim_event_init(&r->ev, rec_fire, "rec");
    r->id = id;
    r->log = log;
    r->nlog = nlog;
}

/* Events run in time order whatever the order they were scheduled in. */
static void test_time_order(void **state)
{
    (void)state;
    struct sim_world *w = world();
    int log[8], n = 0;
    struct rec_ev e[4];
    sim_time at[4] = { SIM_MS(30), SIM_MS(10), SIM_MS(40), SIM_MS(20) };
    for (int i = 0; i < 4; i++) {
        init(&e[i], i, log, &n);
        sim_schedule_at(w, &e[i].ev, at[i]);
    }
    assert_i64_equal(sim_run_until(w, SIM_TIME_MAX), 4);
    int want[] = { 1, 3, 0, 2 };
    assert_memory_equal(log, want, sizeof(want));
    assert_i64_equal(w->now, SIM_MS(40));
    sim_world_free(w);
}

/* Events due at the same instant run first in, first out. */
static void test_fifo_ties(void **state)
{
    (void)state;
    struct sim_world *w = world();
    int log[64], n = 0;
    struct rec_ev e[50];
    for (int i = 0; i < 50; i++) {
        init(&e[i], i, log, &n);
        sim_schedule_at(w, &e[i].ev, SIM_S(1));
    }
    sim_run_until(w, SIM_TIME_MAX);
    assert_int_equal(n, 50);
    for (int i = 0; i < 50; i++)
        assert_int_equal(log[i], i);
    sim_world_free(w);
}

/* A handler may cancel an event due at the same instant; it does not run. */
static void test_cancel_during_dispatch(void **state)
{
    (void)state;
    struct sim_world *w = world();
    int log[8], n = 0;
    struct rec_ev a, b, c;
    init(&a, 1, log, &n);
    init(&b, 2, log, &n);
    init(&c, 3, log, &n);
    a.cancel = &b;
    sim_schedule_at(w, &a.ev, SIM_MS(5));
    sim_schedule_at(w, &b.ev, SIM_MS(5));
    sim_schedule_at(w, &c.ev, SIM_MS(5));
    sim_run_until(w, SIM_TIME_MAX);
    assert_int_equal(n, 2);
    assert_int_equal(log[0], 1);
    assert_int_equal(log[1], 3);
    assert_false(sim_event_pending(&b.ev));
    assert_i64_equal(w->queue.live, 0);
    sim_world_free(w);
}

/* Rescheduling from a handler moves the event; it runs once, at the new time. */
static void test_reschedule_from_handler(void **state)
{
    (void)state;
    struct sim_world *w = world();
    int log[8], n = 0;
    struct rec_ev a, b;
    init(&a, 1, log, &n);
    init(&b, 2, log, &n);
    a.resched = &b;
    a.resched_at = SIM_MS(50);
    sim_schedule_at(w, &a.ev, SIM_MS(10));
    sim_schedule_at(w, &b.ev, SIM_MS(20));
    sim_run_until(w, SIM_MS(30));
    assert_int_equal(n, 1);
    assert_true(sim_event_pending(&b.ev));
    assert_i64_equal(b.ev.when, SIM_MS(50));
    assert_i64_equal(w->now, SIM_MS(30));
    sim_run_until(w, SIM_TIME_MAX);
    assert_int_equal(n, 2);
    assert_int_equal(log[1], 2);
    assert_i64_equal(w->now, SIM_MS(50));
    sim_world_free(w);
}

/* A handler may reschedule itself (a periodic timer) and cancel itself. */
static void test_self_reschedule(void **state)
{
    (void)state;
    struct sim_world *w = world();
    int log[16], n = 0;
    struct rec_ev a;
    init(&a, 7, log, &n);
    a.repeat = 4;
    sim_schedule_at(w, &a.ev, 0);
    sim_run_until(w, SIM_TIME_MAX);
    assert_int_equal(n, 5);
    assert_i64_equal(w->now, SIM_MS(4));
    sim_world_free(w);
}

/* run_until stops at the boundary inclusively and leaves later events. */
static void test_run_until_boundary(void **state)
{
    (void)state;
    struct sim_world *w = world();
    int log[8], n = 0;
    struct rec_ev a, b;
    init(&a, 1, log, &n);
    init(&b, 2, log, &n);
    sim_schedule_at(w, &a.ev, SIM_S(1));
    sim_schedule_at(w, &b.ev, SIM_S(1) + 1);
    assert_i64_equal(sim_run_until(w, SIM_S(1)), 1);
    assert_i64_equal(sim_next_time(w), SIM_S(1) + 1);
    sim_cancel(w, &b.ev);
    assert_i64_equal(sim_next_time(w), SIM_TIME_NONE);
    sim_world_free(w);
}

/* The owner may free a node right after cancelling it (the queue never
 * touches a cancelled node); valgrind/ASan would flag a stray read. */
static void test_free_after_cancel(void **state)
{
    (void)state;
    struct sim_world *w = world();
    int log[8], n = 0;
    struct rec_ev *a = malloc(sizeof(*a));
    struct rec_ev b;
    init(a, 1, log, &n);
    init(&b, 2, log, &n);
    sim_schedule_at(w, &a->ev, SIM_MS(1));
    sim_schedule_at(w, &b.ev, SIM_MS(2));
    sim_cancel(w, &a->ev);
    free(a);
    sim_run_until(w, SIM_TIME_MAX);
    assert_int_equal(n, 1);
    assert_int_equal(log[0], 2);
    sim_world_free(w);
}

/* Differential test: random schedules, cancels and reschedules against a
 * reference that keeps (when, seq) in an array and picks the minimum. */
struct ref {
    sim_time when;
    uint64_t seq;
    bool live;
};

/* Pops one event from the queue and checks it is the reference's earliest
 * live one (ties: the first scheduled), or that both are empty.  Returns 1
 * when an event was popped. */
static unsigned pop_and_compare(struct sim_world *w, struct sim_event *ev, struct ref *ref, int n)
{
    int best = -1;
    for (int k = 0; k < n; k++)
        if (ref[k].live && (best < 0 || ref[k].when < ref[best].when ||
                            (ref[k].when == ref[best].when && ref[k].seq < ref[best].seq)))
            best = k;
    struct sim_event *got = sim_queue_pop(&w->queue, SIM_TIME_MAX);
    if (best < 0) {
        assert_null(got);
        return 0;
    }
    assert_ptr_equal(got, &ev[best]);
    w->now = ref[best].when;
    ref[best].live = false;
    return 1;
}

static void nop(struct sim_world *w, struct sim_event *ev)
{
    (void)w;
    (void)ev;
}

static void test_differential(void **state)
{
    (void)state;
    enum { N = 2000, OPS = 40000 };
    struct sim_world *w = world();
    struct sim_event *ev = calloc(N, sizeof(*ev));
    struct ref *ref = calloc(N, sizeof(*ref));
    assert_non_null(ev);
    assert_non_null(ref);
    for (int i = 0; i < N; i++)
        sim_event_init(&ev[i], nop, "d");
    struct sim_rng rng;
    sim_rng_init(&rng, 42, "test/differential");
    uint64_t seq = 0;
    unsigned popped = 0;
    for (int op = 0; op < OPS; op++) {
        int i = (int)sim_rng_below(&rng, N);
        uint64_t what = sim_rng_below(&rng, 10);
        if (what < 6) {
            sim_time t = w->now + (sim_time)sim_rng_below(&rng, 1000); /* many ties */
            sim_schedule_at(w, &ev[i], t);
            seq++;
            ref[i] = (struct ref){ .when = t, .seq = seq, .live = true };
        } else if (what < 8) {
            sim_cancel(w, &ev[i]);
            ref[i].live = false;
        } else {
            popped += pop_and_compare(w, ev, ref, N);
        }
        uint32_t live = 0;
        for (int k = 0; k < N; k++)
            live += ref[k].live;
        assert_int_equal(w->queue.live, live);
    }
    assert_true(popped > OPS / 10); /* the comparison ran, and often */
    for (int i = 0; i < N; i++)
        sim_cancel(w, &ev[i]);
    free(ev);
    free(ref);
    sim_world_free(w);
}

/* The 32-bit sequence numbers of the heap run out after 4 G schedules; the
 * queue renumbers its pending entries then.  Start just below the limit
 * and check, against the reference, that order and FIFO ties survive
 * several renumberings (stale entries of rescheduled events included). */
static void test_sequence_wrap(void **state)
{
    (void)state;
    enum { N = 300, OPS = 6000 };
    struct sim_world *w = world();
    struct sim_event *ev = calloc(N, sizeof(*ev));
    struct ref *ref = calloc(N, sizeof(*ref));
    assert_non_null(ev);
    assert_non_null(ref);
    for (int i = 0; i < N; i++)
        sim_event_init(&ev[i], nop, "w");
    struct sim_rng rng;
    sim_rng_init(&rng, 7, "test/wrap");
    uint64_t seq = 0;
    unsigned wraps = 0, popped = 0;
    w->queue.next_seq = UINT32_MAX - 50;
    for (int op = 0; op < OPS; op++) {
        if (w->queue.next_seq > UINT32_MAX - 2 && w->queue.live > 0) {
            /* force the next schedule to renumber, as 4 G schedules would */
            w->queue.next_seq = (uint64_t)UINT32_MAX + 1;
            wraps++;
        }
        int i = (int)sim_rng_below(&rng, N);
        uint64_t what = sim_rng_below(&rng, 10);
        if (what < 6) {
            sim_time t = w->now + (sim_time)sim_rng_below(&rng, 20); /* many ties */
            sim_schedule_at(w, &ev[i], t);
            seq++;
            ref[i] = (struct ref){ .when = t, .seq = seq, .live = true };
        } else if (what < 7) {
            sim_cancel(w, &ev[i]);
            ref[i].live = false;
        } else {
            popped += pop_and_compare(w, ev, ref, N);
        }
        assert_true(w->queue.next_seq <= (uint64_t)UINT32_MAX + 1);
        if (w->queue.next_seq < 1000)
            w->queue.next_seq = UINT32_MAX - 30; /* climb back towards the limit */
    }
    assert_true(wraps > 10);
    assert_true(popped > OPS / 10);
    for (int i = 0; i < N; i++)
        sim_cancel(w, &ev[i]);
    free(ev);
    free(ref);
    sim_world_free(w);
}

/* Many worlds in one process do not interfere. */
static void test_worlds_independent(void **state)
{
    (void)state;
    struct sim_world *a = world(), *b = world();
    int la[4], na = 0, lb[4], nb = 0;
    struct rec_ev ea, eb;
    init(&ea, 1, la, &na);
    init(&eb, 2, lb, &nb);
    sim_schedule_at(a, &ea.ev, SIM_S(5));
    sim_schedule_at(b, &eb.ev, SIM_S(1));
    sim_run_until(b, SIM_TIME_MAX);
    assert_int_equal(na, 0);
    assert_int_equal(nb, 1);
    assert_i64_equal(a->now, 0);
    sim_run_until(a, SIM_TIME_MAX);
    assert_int_equal(na, 1);
    sim_world_free(a);
    sim_world_free(b);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_time_order),
    cmocka_unit_test(test_fifo_ties),
    cmocka_unit_test(test_cancel_during_dispatch),
    cmocka_unit_test(test_reschedule_from_handler),
    cmocka_unit_test(test_self_reschedule),
    cmocka_unit_test(test_run_until_boundary),
    cmocka_unit_test(test_free_after_cancel),
    cmocka_unit_test(test_differential),
    cmocka_unit_test(test_sequence_wrap),
    cmocka_unit_test(test_worlds_independent),
};

FO_MAIN("event", tests)
