/*
 * Expectations: the scenario's own checks, evaluated over the observation
 * stream of a simulated run (and, for "device ... at T", by sampling the
 * model at that instant).
 */
#ifndef SIM_EXPECT_H
#define SIM_EXPECT_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/err.h"
#include "sim/scenario.h"

struct sim_world;
struct expect_eval;

enum expect_result {
    EXPECT_HELD,
    EXPECT_FAILED,
    EXPECT_PENDING, /* VERDICT expectations, settled by expect_settle_verdict */
};

struct expect_outcome {
    const struct scn_expect *e; /* borrowed from the scenario */
    enum expect_result result;
    char why[512];              /* what was seen (held) or what was missing */
};

/* Attach to a world before it runs (installs a sink, schedules samples). */
struct expect_eval *expect_new(struct sim_world *w, const struct scenario *s);
void expect_free(struct expect_eval *ev);

/* Settle everything after the run ended.  traffic expectations are asked of
 * the traffic model.  Returns -1 with a positioned error if an expectation
 * is malformed in a way only the model can tell. */
int expect_finish(struct expect_eval *ev, struct sim_err *err);

/* Outcomes, in scenario order. */
size_t expect_count(const struct expect_eval *ev);
const struct expect_outcome *expect_outcome(const struct expect_eval *ev, size_t i);

/* The run tells the evaluator which QMP id the action labelled `label` was
 * sent with (compact JSON, as obs_qmp.id renders it). */
void expect_note_label(struct expect_eval *ev, const char *label, const char *id_json);

/* Settle "expect verdict ID V" given the verdict the monitors reached
 * ("pass", "fail", "inconclusive", "n/a", or NULL if no such assertion). */
void expect_settle_verdict(struct expect_eval *ev, size_t index, const char *verdict);

/* Print "PASS/FAIL file:line: statement — why" lines; returns failures. */
unsigned expect_report(const struct expect_eval *ev, FILE *out);

#endif
