/*
 * Model scale: a fleet of VMs, each with a failover pair, all migrating at
 * once with traffic, in one world.
 *
 * The scenario (FLEET_SCENARIO below) is the recorded native-hotplug
 * migration: a virtio-net standby and an e1000e primary on two root ports,
 * the Linux guest with pciehp and net_failover, pings every 200 ms, a
 * migration at 8.3 s, run to 26 s.  `vms N` repeats it N times; every VM
 * boots, pairs, pings, unplugs, migrates and replugs concurrently with the
 * others.
 *
 * One measurement runs in its own process (the benchmark runs itself as
 * `fosim-bench fleet N`), so that peak memory is the run's alone: the child
 * reads VmRSS before it builds the world and VmHWM after it is freed, and
 * the difference over N is the memory of one VM pair (two QEMU hosts, the
 * guest and its workload).  A counting sink checks that every VM really
 * completed its migration on both hosts; a fleet that did not is an error,
 * not a figure.
 *
 * That sink reads only the models' state changes, so the observations
 * nobody reads (QMP text, console lines, captured frames) are not built:
 * the figure is the models' own work.  `fosim-bench fleet-all N` adds a
 * sink of every kind instead (it counts the records and the QMP MIGRATION
 * events): every observation is built, as when a run is printed, recorded
 * or checked.
 */
#include "fleet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../conformance/scenario_text.h"
#include "sim/err.h"
#include "sim/run.h"
#include "sim/scenario.h"

static const char FLEET_SCENARIO[] = "scenario bench-fleet\n" FO_PING_SCENARIO(FO_NATIVE_HOTPLUG);

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A field of /proc/self/status in kB ("VmRSS", "VmHWM"), or 0. */
static uint64_t proc_status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    uint64_t kb = 0;
    size_t n = strlen(field);
    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            kb = strtoull(line + n + 1, NULL, 10);
            break;
        }
    fclose(f);
    return kb;
}

struct completions {
    uint64_t done[2]; /* migrations completed, per host */
    uint64_t records; /* observations received */
};

/* The migration state machine of each host reaching "completed". */
static void count_completed(void *ctx, const struct obs *o)
{
    struct completions *c = ctx;
    c->records++;
    if (o->kind == OBS_STATE && strcmp(o->u.state.entity, "migration") == 0 &&
        strcmp(o->u.state.to, "completed") == 0)
        c->done[o->host]++;
}

/* Every observation: QMP MIGRATION events say "completed". */
static void count_all(void *ctx, const struct obs *o)
{
    struct completions *c = ctx;
    c->records++;
    if (o->kind == OBS_QMP_EVENT && strcmp(o->u.qmp.name, "MIGRATION") == 0 &&
        strcmp(o->u.qmp.status, "completed") == 0)
        c->done[o->host]++;
}

int fleet_child(uint32_t nvms, bool all, FILE *out)
{
    struct sim_err err = { "" };
    char *text = sim_xmalloc(sizeof(FLEET_SCENARIO) + 32);
    snprintf(text, sizeof(FLEET_SCENARIO) + 32, "%svms %u\n", FLEET_SCENARIO, nvms);
    struct scenario *s = NULL;
    int rc = scn_parse_string("bench-fleet.fos", text, &s, &err);
    free(text);
    if (rc != 0) {
        fprintf(stderr, "fosim-bench: %s\n", err.msg);
        return 2;
    }
    uint64_t rss0 = proc_status_kb("VmRSS");
    double w0 = clock_s(CLOCK_MONOTONIC);
    struct sim_run *r = NULL;
    if (sim_run_new(s, NULL, &r, &err) != 0) {
        fprintf(stderr, "fosim-bench: %s\n", err.msg);
        scn_free(s);
        return 2;
    }
    struct completions c = { { 0, 0 }, 0 };
    if (all)
        sim_world_add_sink(r->w, count_all, &c);
    else
        sim_world_add_sink_kinds(r->w, count_completed, &c, OBS_KIND_BIT(OBS_STATE));
    double c1 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w1 = clock_s(CLOCK_MONOTONIC);
    sim_run_go(r);
    double c2 = clock_s(CLOCK_PROCESS_CPUTIME_ID), w2 = clock_s(CLOCK_MONOTONIC);
    uint64_t events = r->w->queue.dispatched;
    sim_run_free(r);
    double w3 = clock_s(CLOCK_MONOTONIC);
    uint64_t hwm = proc_status_kb("VmHWM");
    scn_free(s);
    if (c.done[OBS_SOURCE] != nvms || c.done[OBS_TARGET] != nvms) {
        fprintf(stderr,
                "fosim-bench: fleet of %u: %llu source and %llu target migrations completed\n",
                nvms, (unsigned long long)c.done[OBS_SOURCE],
                (unsigned long long)c.done[OBS_TARGET]);
        return 1;
    }
    fprintf(out, "%llu %.9f %.9f %.9f %llu %llu\n", (unsigned long long)events, c2 - c1,
            w2 - w1, w3 - w0, (unsigned long long)rss0, (unsigned long long)hwm);
    return 0;
}

int fleet_parse(const char *line, struct fleet_result *res)
{
    unsigned long long ev, rss0, hwm;
    if (sscanf(line, "%llu %lf %lf %lf %llu %llu", &ev, &res->run_cpu_s, &res->run_wall_s,
               &res->wall_s, &rss0, &hwm) != 6)
        return -1;
    res->events = ev;
    res->rss0_kb = rss0;
    res->hwm_kb = hwm;
    return 0;
}
