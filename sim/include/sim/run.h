/*
 * A run: a world built from a scenario, with its expectations.
 *
 * sim_run_new() checks everything the scenario says against the models
 * (host arguments, guest knobs, traffic lines) and schedules the timed
 * actions; nothing has run yet, so a caller can add observation sinks.
 * sim_run_go() runs to the scenario's horizon and evaluates the
 * expectations.
 */
#ifndef SIM_RUN_H
#define SIM_RUN_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/err.h"
#include "sim/scenario.h"
#include "sim/world.h"

struct expect_eval;

struct sim_run_config {
    uint64_t seed;       /* used when seed_set, else the scenario's */
    bool seed_set;
    sim_time until;      /* overrides the scenario's horizon unless NONE */
    uint64_t mutants;
};

struct sim_run {
    struct sim_world *w;          /* owned */
    const struct scenario *scn;   /* borrowed */
    struct expect_eval *expect;   /* owned */
    sim_time horizon;             /* world time the run stops at, or NONE */
    bool truncated;               /* stopped at the horizon with work left */
    uint64_t next_cmd;            /* numbering of fosim's QMP command ids */
};

/* Default horizon when the scenario gives none: run until nothing is left to
 * do, but never beyond this much simulated time. */
#define SIM_RUN_MAX_TIME SIM_S(3600)

int sim_run_new(const struct scenario *s, const struct sim_run_config *cfg,
                struct sim_run **out, struct sim_err *err);

/* Run to the horizon (or quiescence) and emit the END observation. */
void sim_run_go(struct sim_run *r);

void sim_run_free(struct sim_run *r);

/* After sim_run_go: did every input the models read during the run stay
 * readable?  Returns -1 with the error when one broke (the run has no
 * result then: the caller reports it and exits 2), else 0. */
int sim_run_inputs_ok(const struct sim_run *r, struct sim_err *err);

#endif
