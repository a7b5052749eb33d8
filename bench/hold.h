/*
 * The hold-model benchmark of the event queue (bench/hold.c).
 */
#ifndef FOSIM_BENCH_HOLD_H
#define FOSIM_BENCH_HOLD_H

#include <stdint.h>

/* Holds (pop + push) per second of `holds` steps at `pending` events:
 * through fosim's queue (sim_run_until and a rescheduling handler), and
 * through the plain binary heap the benchmark compiles in. */
double hold_fosim(uint32_t pending, uint64_t holds);
double hold_plain(uint32_t pending, uint64_t holds);

#endif
