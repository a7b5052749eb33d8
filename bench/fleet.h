/*
 * The model-scale benchmark: a fleet of failover VMs in one world
 * (bench/fleet.c).
 */
#ifndef FOSIM_BENCH_FLEET_H
#define FOSIM_BENCH_FLEET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct fleet_result {
    uint64_t events;  /* model events dispatched */
    double run_cpu_s; /* CPU seconds of sim_run_go (the model events) */
    double run_wall_s;/* wall seconds of the same */
    double wall_s;    /* wall seconds of build + run + free */
    double cpu_s;     /* CPU seconds of the whole child process (filled by
                         the parent from wait4) */
    uint64_t rss0_kb; /* resident memory before the world was built */
    uint64_t hwm_kb;  /* peak resident memory of the process */
};

/* Run a fleet of nvms VMs in this process and print one result line on
 * out; `all`: with a sink of every observation kind.  Returns 0, 1 when the fleet did not complete its migrations, 2 on
 * an error (message on stderr). */
int fleet_child(uint32_t nvms, bool all, FILE *out);

/* Parse a result line; 0 or -1. */
int fleet_parse(const char *line, struct fleet_result *res);

#endif
