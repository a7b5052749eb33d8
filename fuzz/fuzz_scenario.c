/*
 * Fuzz target: scenario files (sim/scenario.c), then the models' checks.
 *
 * The input is written as a file and loaded with scn_load(), the path
 * `fosim run` takes (includes are relative to it).  A scenario that parses
 * is then built into a run (sim_run_new: host arguments, guest knobs and
 * traffic lines are checked by their models) and, if that succeeds, run
 * for a bounded simulated time (and event budget) with its expectations
 * evaluated and recorded as `fosim run --record` records, so the models and
 * the recorder meet odd but valid scenarios too.  The recorded bundle is
 * then read back as `fosim check` reads it.
 *
 * Oracles besides the sanitizers: a refused input must come with a message
 * that names a position ("FILE:..." first); a run must end; what fosim
 * recorded it must read back without an error, with exactly as many
 * observations as the run produced for VM 0 (state changes aside).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/bundle.h"
#include "sim/expect.h"
#include "sim/record.h"
#include "sim/run.h"
#include "sim/scenario.h"

/* Bounds of the run part, to keep one input well under a second: the
 * parser's own bounds are tested in full, only the simulation is cut (a
 * valid scenario may ask for an hour of a million frames a second). */
#define FUZZ_MAX_VMS 4
#define FUZZ_MAX_TIME SIM_S(120)
#define FUZZ_MAX_EVENTS 200000u
#define FUZZ_SLICE SIM_MS(100)

static void check_message(const struct sim_err *err)
{
    const char *colon = strchr(err->msg, ':');
    if (!err->msg[0] || !colon || colon == err->msg) {
        fprintf(stderr, "fuzz_scenario: refused without a positioned message: '%s'\n",
                err->msg);
        abort();
    }
}

static void oops(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_scenario: %s: %s\n", what, detail);
    abort();
}

/* Observations a recorded bundle holds: VM 0's artifacts (not the model's
 * state changes, not the end marker). */
static bool recorded_kind(const struct obs *o)
{
    return o->vm == 0 && o->kind != OBS_STATE && o->kind != OBS_END;
}

static void count_obs(void *ctx, const struct obs *o)
{
    if (o->kind != OBS_END)
        (*(uint64_t *)ctx)++;
}

static void count_live(void *ctx, const struct obs *o)
{
    if (recorded_kind(o))
        (*(uint64_t *)ctx)++;
}

/* What fosim recorded, fosim must read back: the same number of
 * observations, without an error. */
static void round_trip(const char *dir, uint64_t live)
{
    struct bundle *b = NULL;
    struct sim_err err = { "" };
    if (bundle_open(dir, &b, &err) != 0)
        oops("a recorded bundle does not open", err.msg);
    uint64_t n = 0;
    struct obs_sink sink = { count_obs, &n };
    if (bundle_prepare(b, &err) != 0)
        oops("a recorded bundle fails its first pass", err.msg);
    if (bundle_replay(b, &sink, &err) != 0)
        oops("a recorded bundle fails to replay", err.msg);
    if (n != live) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%llu observations live, %llu read back",
                 (unsigned long long)live, (unsigned long long)n);
        oops("the recording lost or invented observations", msg);
    }
    bundle_free(b);
}

static void run(const struct scenario *s)
{
    struct sim_run_config cfg = { .until = s->until };
    if (cfg.until == SIM_TIME_NONE || cfg.until > FUZZ_MAX_TIME)
        cfg.until = FUZZ_MAX_TIME;
    struct sim_run *r = NULL;
    struct sim_err err = { "" };
    if (sim_run_new(s, &cfg, &r, &err) != 0) {
        check_message(&err);
        return;
    }
    /* record it as `fosim run --record` does, then read it back */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/bundle", fuzz_dir());
    struct recorder *rec = NULL;
    uint64_t live = 0;
    if (record_open(dir, r, &rec, &err) != 0) {
        check_message(&err);
        rec = NULL;
    }
    sim_world_add_sink(r->w, count_live, &live);
    /* run in slices until the horizon or the event budget, then let
     * sim_run_go end the run (END observation, truncation) where it is */
    struct sim_world *w = r->w;
    while (w->now < cfg.until && w->queue.dispatched < FUZZ_MAX_EVENTS &&
           sim_next_time(w) != SIM_TIME_NONE) {
        sim_time next = w->now + FUZZ_SLICE;
        sim_run_until(w, next < cfg.until ? next : cfg.until);
    }
    r->horizon = w->now;
    sim_run_go(r);
    if (rec) {
        if (record_finish(rec, &err) == 0)
            round_trip(dir, live);
        else
            check_message(&err);
        err.msg[0] = '\0';
    }
    if (expect_finish(r->expect, &err) == 0) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            expect_report(r->expect, null);
            fclose(null);
        }
    } else {
        check_message(&err);
    }
    sim_run_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_file("input.fos", data, size);
    struct scenario *s = NULL;
    struct sim_err err = { "" };
    if (scn_load(path, &s, &err) != 0) {
        check_message(&err);
        return 0;
    }
    if (s->nvms <= FUZZ_MAX_VMS)
        run(s);
    scn_free(s);
    return 0;
}
