/*
 * The checker's path run in the benchmark's own process (bench/bench_check.c):
 * to prove that `fosim check` on the benchmark bundle sees every frame.
 */
#ifndef FOSIM_BENCH_CHECK_H
#define FOSIM_BENCH_CHECK_H

#include <stdint.h>

/* Open and prepare the bundle in dir, replay it into the assertion engine
 * with the context fosim check gives it, settle the engine; returns the
 * frames the engine saw, or 0 on an error (message on stderr). */
uint64_t bench_checker_frames(const char *dir);

#endif
