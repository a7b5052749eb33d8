/*
 * The assertion engine as the benchmark drives it: created for a bundle,
 * fed every observation, finished.  Kept apart so the benchmark's driver
 * does not depend on the engine's API.
 */
#ifndef FOSIM_BENCH_CHECK_H
#define FOSIM_BENCH_CHECK_H

#include <stdint.h>

#include "sim/bundle.h"
#include "sim/obs.h"

struct bench_engine;

/* NULL when this build has no engine (the sink then only counts). */
struct bench_engine *bench_engine_new(const struct bundle *b);
void bench_engine_sink(void *e, const struct obs *o);
/* Settle every monitor; returns the frames the engine saw. */
uint64_t bench_engine_finish(struct bench_engine *e);
void bench_engine_free(struct bench_engine *e);
/* One line saying what the checker figure includes. */
const char *bench_engine_what(void);

#endif
