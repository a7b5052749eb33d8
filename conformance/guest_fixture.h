/*
 * A fixture for tests of the linux guest's PCI and hotplug side against the
 * real host model: a run built from scenario text (host blocks, the guest
 * block, actions), a capture of everything observed, and lookups of console
 * lines with their uptime stamps.  Tests include the private headers on
 * purpose: they look at the PCI core's state directly.
 */
#ifndef FOSIM_GUEST_FIXTURE_H
#define FOSIM_GUEST_FIXTURE_H

#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/guest_int.h"
#include "../sim/guest_pci.h"
#include "sim/err.h"
#include "sim/host.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"

/* QEMU options of the recorded setup, without -global (ACPI hotplug). */
#define GX_PORTS "    -M q35 -accel tcg -m 256 -nodefaults -display none\n" FO_ROOT_PORTS
/* source and target of the recorded native / ACPI setup */
#define GX_HOSTS_NATIVE "host source\n" GX_PORTS FO_NATIVE_HOTPLUG FO_PAIR "end\n" FO_TARGET
#define GX_HOSTS_ACPI "host source\n" GX_PORTS FO_PAIR "end\n" FO_TARGET

struct gx {
    struct scenario *s;
    struct sim_run *r;
    struct fo_capture cap;
};

static inline void gx_new_mut(struct gx *x, const char *text, uint64_t mutants)
{
    memset(x, 0, sizeof(*x));
    struct sim_err err = { "" };
    if (scn_parse_string("gx.fos", text, &x->s, &err) != 0 ||
        sim_run_new(x->s,
                    &(struct sim_run_config){ .until = SIM_TIME_NONE, .mutants = mutants },
                    &x->r, &err) != 0) {
        print_error("%s\n", err.msg);
        fail();
    }
    sim_world_add_sink(x->r->w, fo_capture_sink, &x->cap);
}

static inline void gx_new(struct gx *x, const char *text)
{
    gx_new_mut(x, text, 0);
}

static inline void gx_free(struct gx *x)
{
    fo_capture_free(&x->cap);
    sim_run_free(x->r);
    scn_free(x->s);
}

static inline void gx_run(struct gx *x, sim_time t)
{
    sim_run_until(x->r->w, t);
}

static inline struct guest *gx_guest(struct gx *x)
{
    return x->r->w->vms[0].guest;
}

/* The first console line on host h containing text, at or after record
 * `from`; -1 if none. */
static inline long gx_find(const struct gx *x, size_t from, enum obs_host h, const char *text)
{
    return fo_find(&x->cap, from, OBS_KLOG, h, text, NULL);
}

static inline long gx_log(const struct gx *x, enum obs_host h, const char *text)
{
    return gx_find(x, 0, h, text);
}

static inline size_t gx_count(const struct gx *x, enum obs_host h, const char *text)
{
    return fo_count(&x->cap, OBS_KLOG, h, text, NULL);
}

/* Uptime stamp of a captured console line. */
static inline sim_time gx_uptime(const struct gx *x, long i)
{
    SIM_ASSERT(i >= 0);
    return x->cap.v[i].o.u.klog.uptime;
}

/* World time (ns since start) of a captured record. */
static inline sim_time gx_time(const struct gx *x, long i)
{
    SIM_ASSERT(i >= 0);
    return x->cap.v[i].o.t - x->r->w->epoch;
}

/* Assert that the console lines of host h appear in this order, each the
 * whole line after its stamp.  Returns the index of the last one. */
static inline long gx_expect_lines(const struct gx *x, enum obs_host h, const char *const *lines,
                                   size_t n)
{
    long at = 0;
    for (size_t k = 0; k < n; k++) {
        long i = gx_find(x, (size_t)at, h, lines[k]);
        if (i < 0) {
            print_error("console line %zu not found (in order): %s\n", k, lines[k]);
            fail();
        }
        if (strcmp(x->cap.v[i].text, lines[k]) != 0) {
            print_error("line %zu: got \"%s\", want \"%s\"\n", k, x->cap.v[i].text, lines[k]);
            fail();
        }
        at = i + 1;
    }
    return at - 1;
}

#endif
