/*
 * A run: build a world from a scenario, schedule its actions, run it.
 *
 * At t = 0 every host starts (greeting), the QMP client does its set-up on
 * each host (qmp_capabilities, then the `events` migration capability,
 * unless the scenario says otherwise), the guest powers on on the source,
 * and the workload starts.  Each timed action is an event; QMP commands get
 * an id "fosim-N@SECONDS.MICROSECONDS" unless the scenario gave one, so
 * replies carry an exact time (see sim/obs.c).
 *
 * A fleet (`vms N`) builds N copies of the VM in the one world; each gets
 * the same actions.  Expectations are about VM 0.
 */
#include "sim/run.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sim/expect.h"
#include "sim/guest.h"
#include "sim/host.h"
#include "sim/traffic.h"

struct action_ev {
    struct sim_event ev;
    struct sim_run *run;
    struct sim_vm *vm;
    const struct scn_action *a; /* NULL for the implicit set-up commands */
    enum obs_host host;
    const char *json;           /* set-up command text */
};

struct run_priv {
    struct sim_run pub;
    struct action_ev *acts;
    size_t nacts;
    struct sim_event start;
};

static void send_qmp(struct sim_run *r, struct sim_vm *vm, enum obs_host h, const char *json,
                     const char *label)
{
    struct sim_world *w = r->w;
    json_t *cmd = json_loads(json, JSON_REJECT_DUPLICATES, NULL);
    SIM_ASSERT(cmd != NULL); /* checked by the parser */
    if (!json_object_get(cmd, "id")) {
        char id[80];
        sim_time t = sim_wallclock(w);
        snprintf(id, sizeof(id), "fosim-%llu@%lld.%06lld", (unsigned long long)++r->next_cmd,
                 (long long)(t / 1000000000), (long long)(t % 1000000000 / 1000));
        json_object_set_new(cmd, "id", json_string(id));
    }
    if (label && vm->index == 0) {
        char *idtxt = json_dumps(json_object_get(cmd, "id"), JSON_COMPACT | JSON_ENCODE_ANY);
        expect_note_label(r->expect, label, idtxt ? idtxt : "");
        free(idtxt);
    }
    host_qmp_json(vm->hosts[h], cmd, JSON_PRESERVE_ORDER, label);
    json_decref(cmd);
}

static void action_fire(struct sim_world *w, struct sim_event *ev)
{
    struct action_ev *ae = SIM_CONTAINER_OF(ev, struct action_ev, ev);
    (void)w;
    if (!ae->a) {
        send_qmp(ae->run, ae->vm, ae->host, ae->json, NULL);
        return;
    }
    if (ae->a->kind == SCN_ACT_QMP) {
        send_qmp(ae->run, ae->vm, ae->a->host, ae->a->json, ae->a->label);
        return;
    }
    struct sim_err err;
    /* checked by guest_action_check before the run */
    SIM_ASSERT(guest_action(ae->vm->guest, ae->a, &err) == 0);
}

static void start_fire(struct sim_world *w, struct sim_event *ev)
{
    (void)ev;
    for (uint32_t v = 0; v < w->nvms; v++) {
        struct sim_vm *vm = &w->vms[v];
        for (int h = 0; h < OBS_NHOSTS; h++)
            if (vm->hosts[h])
                host_start(vm->hosts[h]);
        if (vm->guest && vm->hosts[OBS_SOURCE])
            guest_boot(vm->guest, vm->hosts[OBS_SOURCE]);
        if (vm->traffic)
            traffic_start(vm->traffic);
    }
}

static void free_host(void *p)
{
    host_free(p);
}
static void free_guest(void *p)
{
    guest_free(p);
}
static void free_traffic(void *p)
{
    traffic_free(p);
}

static const char *const setup_cmds[] = {
    "{\"execute\": \"qmp_capabilities\"}",
    "{\"execute\": \"migrate-set-capabilities\", \"arguments\": {\"capabilities\": "
    "[{\"capability\": \"events\", \"state\": true}]}}",
};

static int build_vm(struct sim_vm *vm, const struct scenario *s, struct sim_err *err)
{
    struct sim_world *w = vm->w;
    for (int h = 0; h < OBS_NHOSTS; h++) {
        if (!s->hosts[h].present)
            continue;
        vm->hosts[h] = host_new(vm, &s->hosts[h], err);
        if (!vm->hosts[h])
            return -1;
        sim_world_own(w, vm->hosts[h], free_host);
    }
    static const struct scn_guest default_guest = { .present = false };
    vm->guest = guest_new(vm, s->guest.present ? &s->guest : &default_guest, err);
    if (!vm->guest)
        return -1;
    sim_world_own(w, vm->guest, free_guest);
    /* The traffic model always exists: it owns the capture points (every
     * host netdev, the guest's interfaces) even without a workload. */
    vm->traffic = traffic_new(vm, &s->traffic, err);
    if (!vm->traffic)
        return -1;
    sim_world_own(w, vm->traffic, free_traffic);
    return 0;
}

int sim_run_new(const struct scenario *s, const struct sim_run_config *cfg, struct sim_run **out,
                struct sim_err *err)
{
    struct sim_world_config wc = {
        .seed = cfg && cfg->seed_set ? cfg->seed : s->seed,
        .epoch = s->epoch,
        .mutants = cfg ? cfg->mutants : 0,
    };
    struct run_priv *rp = sim_xcalloc(1, sizeof(*rp));
    struct sim_run *r = &rp->pub;
    r->scn = s;
    r->w = sim_world_new(&wc);
    if (!r->w) {
        free(rp);
        return sim_errf(err, "out of memory");
    }
    struct sim_world *w = r->w;
    w->scn = s;
    r->horizon = cfg && cfg->until != SIM_TIME_NONE && cfg->until != 0 ? cfg->until : s->until;
    sim_world_add_vms(w, s->nvms ? s->nvms : 1);
    for (uint32_t v = 0; v < w->nvms; v++)
        if (build_vm(&w->vms[v], s, err) != 0)
            goto fail;
    for (size_t i = 0; i < s->nactions; i++)
        if (s->actions[i].kind == SCN_ACT_GUEST &&
            guest_action_check(w->vms[0].guest, &s->actions[i], err) != 0)
            goto fail;

    r->expect = expect_new(w, s);

    sim_event_init(&rp->start, start_fire, "start");
    sim_schedule_at(w, &rp->start, 0);

    size_t nsetup = s->qmp_setup == SCN_QMP_SETUP_NONE    ? 0
                    : s->qmp_setup == SCN_QMP_SETUP_PLAIN ? 1
                                                          : 2;
    size_t nhosts = 0;
    for (int h = 0; h < OBS_NHOSTS; h++)
        nhosts += s->hosts[h].present;
    size_t per_vm = nsetup * nhosts + s->nactions;
    rp->nacts = per_vm * w->nvms;
    rp->acts = sim_xcalloc(rp->nacts ? rp->nacts : 1, sizeof(*rp->acts));
    size_t k = 0;
    for (uint32_t v = 0; v < w->nvms; v++) {
        struct sim_vm *vm = &w->vms[v];
        for (size_t c = 0; c < nsetup; c++) {
            for (int h = 0; h < OBS_NHOSTS; h++) {
                if (!vm->hosts[h])
                    continue;
                struct action_ev *ae = &rp->acts[k++];
                *ae = (struct action_ev){ .run = r, .vm = vm, .host = (enum obs_host)h,
                                          .json = setup_cmds[c] };
                sim_event_init(&ae->ev, action_fire, "qmp-setup");
                sim_schedule_at(w, &ae->ev, 0);
            }
        }
        for (size_t i = 0; i < s->nactions; i++) {
            struct action_ev *ae = &rp->acts[k++];
            *ae = (struct action_ev){ .run = r, .vm = vm, .a = &s->actions[i] };
            sim_event_init(&ae->ev, action_fire, "action");
            sim_schedule_at(w, &ae->ev, s->actions[i].at);
        }
    }
    *out = r;
    return 0;
fail:
    sim_world_free(w);
    free(rp);
    return -1;
}

void sim_run_go(struct sim_run *r)
{
    struct sim_world *w = r->w;
    sim_time until = r->horizon != SIM_TIME_NONE ? r->horizon : SIM_RUN_MAX_TIME;
    sim_run_until(w, until);
    sim_time next = sim_next_time(w);
    r->truncated = next != SIM_TIME_NONE;
    if (r->horizon != SIM_TIME_NONE && w->now < r->horizon)
        w->now = r->horizon;
    sim_emit_end(w, r->truncated && r->horizon == SIM_TIME_NONE);
}

int sim_run_inputs_ok(const struct sim_run *r, struct sim_err *err)
{
    for (uint32_t v = 0; v < r->w->nvms; v++)
        if (r->w->vms[v].traffic && traffic_input_failed(r->w->vms[v].traffic, err) != 0)
            return -1;
    return 0;
}

void sim_run_free(struct sim_run *r)
{
    if (!r)
        return;
    struct run_priv *rp = SIM_CONTAINER_OF(r, struct run_priv, pub);
    for (size_t i = 0; i < rp->nacts; i++)
        sim_cancel(r->w, &rp->acts[i].ev);
    sim_cancel(r->w, &rp->start);
    expect_free(r->expect);
    sim_world_free(r->w);
    free(rp->acts);
    free(rp);
}
