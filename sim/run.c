/*
 * A run: build a world from a scenario, schedule its actions, run it.
 *
 * At t = 0 every host starts (greeting), the QMP client does its set-up on
 * each host (qmp_capabilities, then the `events` migration capability,
 * unless the scenario says otherwise), the guest powers on on the source,
 * and the workload starts.  Each timed action is an event; QMP commands get
 * an id "fosim-N@SECONDS.MICROSECONDS" unless the scenario gave one, so
 * replies carry an exact time (see sim/obs.c).
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

static void send_qmp(struct sim_run *r, enum obs_host h, const char *json, const char *label)
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
    if (label) {
        char *idtxt = json_dumps(json_object_get(cmd, "id"), JSON_COMPACT | JSON_ENCODE_ANY);
        expect_note_label(r->expect, label, idtxt ? idtxt : "");
        free(idtxt);
    }
    char *text = json_dumps(cmd, JSON_PRESERVE_ORDER);
    json_decref(cmd);
    SIM_ASSERT(text != NULL);
    host_qmp(w->hosts[h], text, label);
    free(text);
}

static void action_fire(struct sim_world *w, struct sim_event *ev)
{
    struct action_ev *ae = SIM_CONTAINER_OF(ev, struct action_ev, ev);
    (void)w;
    if (!ae->a) {
        send_qmp(ae->run, ae->host, ae->json, NULL);
        return;
    }
    if (ae->a->kind == SCN_ACT_QMP) {
        send_qmp(ae->run, ae->a->host, ae->a->json, ae->a->label);
        return;
    }
    struct sim_err err;
    /* checked by guest_action_check before the run */
    SIM_ASSERT(guest_action(w->guest, ae->a, &err) == 0);
}

static void start_fire(struct sim_world *w, struct sim_event *ev)
{
    (void)ev;
    for (int h = 0; h < OBS_NHOSTS; h++)
        if (w->hosts[h])
            host_start(w->hosts[h]);
    if (w->guest && w->hosts[OBS_SOURCE])
        guest_boot(w->guest, w->hosts[OBS_SOURCE]);
    if (w->traffic)
        traffic_start(w->traffic);
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

    for (int h = 0; h < OBS_NHOSTS; h++) {
        if (!s->hosts[h].present)
            continue;
        w->hosts[h] = host_new(w, &s->hosts[h], err);
        if (!w->hosts[h])
            goto fail;
        sim_world_own(w, w->hosts[h], free_host);
    }
    static const struct scn_guest default_guest = { .present = false };
    w->guest = guest_new(w, s->guest.present ? &s->guest : &default_guest, err);
    if (!w->guest)
        goto fail;
    sim_world_own(w, w->guest, free_guest);
    if (s->traffic.present) {
        w->traffic = traffic_new(w, &s->traffic, err);
        if (!w->traffic)
            goto fail;
        sim_world_own(w, w->traffic, free_traffic);
    }
    for (size_t i = 0; i < s->nactions; i++)
        if (s->actions[i].kind == SCN_ACT_GUEST &&
            guest_action_check(w->guest, &s->actions[i], err) != 0)
            goto fail;

    r->expect = expect_new(w, s);

    sim_event_init(&rp->start, start_fire, "start");
    sim_schedule_at(w, &rp->start, 0);

    size_t nsetup = s->qmp_setup == SCN_QMP_SETUP_NONE    ? 0
                    : s->qmp_setup == SCN_QMP_SETUP_PLAIN ? 1
                                                          : 2;
    size_t nhosts = 0;
    for (int h = 0; h < OBS_NHOSTS; h++)
        nhosts += w->hosts[h] != NULL;
    rp->nacts = nsetup * nhosts + s->nactions;
    rp->acts = sim_xcalloc(rp->nacts ? rp->nacts : 1, sizeof(*rp->acts));
    size_t k = 0;
    for (size_t c = 0; c < nsetup; c++) {
        for (int h = 0; h < OBS_NHOSTS; h++) {
            if (!w->hosts[h])
                continue;
            struct action_ev *ae = &rp->acts[k++];
            *ae = (struct action_ev){ .run = r, .host = (enum obs_host)h, .json = setup_cmds[c] };
            sim_event_init(&ae->ev, action_fire, "qmp-setup");
            sim_schedule_at(w, &ae->ev, 0);
        }
    }
    for (size_t i = 0; i < s->nactions; i++) {
        struct action_ev *ae = &rp->acts[k++];
        *ae = (struct action_ev){ .run = r, .a = &s->actions[i] };
        sim_event_init(&ae->ev, action_fire, "action");
        sim_schedule_at(w, &ae->ev, s->actions[i].at);
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
