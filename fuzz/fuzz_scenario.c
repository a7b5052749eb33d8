/*
 * Fuzz target: scenario files (sim/scenario.c), then the models' checks.
 *
 * The input is written as a file and loaded with scn_load(), the path
 * `fosim run` takes (includes are relative to it).  A scenario that parses
 * is then built into a run (sim_run_new: host arguments, guest knobs and
 * traffic lines are checked by their models) and, if that succeeds, run
 * for a bounded simulated time with its expectations evaluated, so the
 * models meet odd but valid scenarios too.
 *
 * Oracles besides the sanitizers: a refused input must come with a message
 * that names a position ("FILE:..." first); a run must end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/expect.h"
#include "sim/run.h"
#include "sim/scenario.h"

/* Bounds of the run part, to keep one input well under a second: the
 * parser's own bounds are tested in full, only the simulation is cut. */
#define FUZZ_MAX_VMS 4
#define FUZZ_MAX_TIME SIM_S(120)

static void check_message(const struct sim_err *err)
{
    const char *colon = strchr(err->msg, ':');
    if (!err->msg[0] || !colon || colon == err->msg) {
        fprintf(stderr, "fuzz_scenario: refused without a positioned message: '%s'\n",
                err->msg);
        abort();
    }
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
    sim_run_go(r);
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
