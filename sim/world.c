/*
 * The world: clock, queue, seed, observation sinks and owned models.
 *
 * The emit functions are where an observation gets its time (quantised to
 * the microsecond, as QMP and console stamps are), its sequence number and
 * its origin (the artifact file and line a recorded bundle will give it),
 * and is decoded exactly as a reader would decode the recorded line.
 */
#include "sim/world.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/err.h"

struct sim_world *sim_world_new(const struct sim_world_config *cfg)
{
    struct sim_world *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->seed = cfg->seed;
    w->epoch = cfg->epoch;
    w->mutants = cfg->mutants;
    w->obs_seq = 1;
    sim_queue_init(&w->queue);
    return w;
}

void sim_world_own(struct sim_world *w, void *ptr, void (*free_fn)(void *ptr))
{
    if (w->nowned == w->owned_cap) {
        w->owned_cap = w->owned_cap ? w->owned_cap * 2 : 8;
        w->owned = sim_xrealloc(w->owned, w->owned_cap * sizeof(*w->owned));
    }
    w->owned[w->nowned++] = (struct sim_owned){ .ptr = ptr, .free_fn = free_fn };
}

void sim_world_add_vms(struct sim_world *w, uint32_t n)
{
    SIM_ASSERT(w->nvms == 0 && n > 0);
    w->vms = sim_xcalloc(n, sizeof(*w->vms));
    w->nvms = n;
    for (uint32_t i = 0; i < n; i++) {
        w->vms[i].w = w;
        w->vms[i].index = i;
    }
}

void sim_world_free(struct sim_world *w)
{
    if (!w)
        return;
    while (w->nowned > 0) {
        struct sim_owned *o = &w->owned[--w->nowned];
        o->free_fn(o->ptr);
    }
    free(w->owned);
    free(w->vms);
    sim_queue_free(&w->queue);
    free(w);
}

int sim_world_add_sink_kinds(struct sim_world *w, void (*fn)(void *, const struct obs *),
                             void *ctx, uint32_t kinds)
{
    if (w->nsinks == SIM_MAX_SINKS)
        return -1;
    w->sink_kinds[w->nsinks] = kinds & OBS_ALL_KINDS;
    w->sinks[w->nsinks++] = (struct obs_sink){ .fn = fn, .ctx = ctx };
    w->wanted |= kinds & OBS_ALL_KINDS;
    return 0;
}

int sim_world_add_sink(struct sim_world *w, void (*fn)(void *, const struct obs *), void *ctx)
{
    return sim_world_add_sink_kinds(w, fn, ctx, OBS_ALL_KINDS);
}

void sim_world_rng(const struct sim_world *w, struct sim_rng *r, const char *stream)
{
    sim_rng_init(r, w->seed, stream);
}

void sim_vm_rng(const struct sim_vm *vm, struct sim_rng *r, const char *stream)
{
    if (vm->index == 0) {
        sim_rng_init(r, vm->w->seed, stream);
        return;
    }
    char name[128];
    snprintf(name, sizeof(name), "vm%u/%s", vm->index, stream);
    sim_rng_init(r, vm->w->seed, name);
}

void sim_world_stop(struct sim_world *w)
{
    w->stopped = true;
}

/* Wall-clock now, floored to the microsecond like every artifact stamp. */
static sim_time stamp_now(const struct sim_world *w)
{
    sim_time t = sim_wallclock(w);
    return t - (t % 1000);
}

static void deliver(struct sim_world *w, struct obs *o)
{
    o->seq = w->obs_seq++;
    for (unsigned i = 0; i < w->nsinks; i++)
        if ((w->sink_kinds[i] >> o->kind) & 1)
            w->sinks[i].fn(w->sinks[i].ctx, o);
}

static const char *artifact_name(enum obs_host h, enum sim_artifact a)
{
    static const char *const names[OBS_NHOSTS][SIM_NARTIFACTS] = {
        [OBS_SOURCE] = { "source.qmp", "source-guest.log", "source.stderr" },
        [OBS_TARGET] = { "target.qmp", "target-guest.log", "target.stderr" },
    };
    return names[h][a];
}

static void set_origin(struct sim_vm *vm, struct obs *o, enum sim_artifact a)
{
    o->origin.file = artifact_name(o->host, a);
    o->origin.line = ++vm->art_lines[o->host][a];
}

static void emit_qmp(struct sim_vm *vm, enum obs_host host, const json_t *j, const char *line)
{
    struct sim_world *w = vm->w;
    struct obs o = { .host = host, .vm = vm->index, .t = stamp_now(w) };
    char err[256];
    if (obs_decode_qmp(&o, j, line, true, err, sizeof(err)) != 0) {
        fprintf(stderr, "fosim: internal error: model printed bad QMP: %s: %s\n", err, line);
        abort();
    }
    set_origin(vm, &o, SIM_ART_QMP);
    deliver(w, &o);
}

/* The kind of a QMP object, as obs_decode_qmp classifies it (an object it
 * would refuse is decoded anyway, so that the model's bug is reported). */
static enum obs_kind qmp_kind(const json_t *j)
{
    if (json_object_get(j, "QMP"))
        return OBS_QMP_GREETING;
    if (json_object_get(j, "execute") || json_object_get(j, "exec-oob"))
        return OBS_QMP_COMMAND;
    if (json_object_get(j, "return") || json_object_get(j, "error"))
        return OBS_QMP_REPLY;
    return OBS_QMP_EVENT;
}

static void skip_line(struct sim_vm *vm, enum obs_host host, enum sim_artifact a)
{
    vm->w->obs_seq++;
    vm->art_lines[host][a]++;
}

void sim_emit_qmp(struct sim_vm *vm, enum obs_host host, const char *line)
{
    if (!(vm->w->wanted & OBS_QMP_KINDS)) {
        skip_line(vm, host, SIM_ART_QMP);
        return;
    }
    json_error_t jerr;
    json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    SIM_ASSERT(j != NULL); /* the host model only prints valid JSON */
    emit_qmp(vm, host, j, line);
    json_decref(j);
}

void sim_emit_qmp_json(struct sim_vm *vm, enum obs_host host, const json_t *json,
                       size_t dump_flags)
{
    if (!(vm->w->wanted & OBS_QMP_KINDS) || !sim_world_wants(vm->w, qmp_kind(json))) {
        skip_line(vm, host, SIM_ART_QMP);
        return;
    }
    char *line = json_dumps(json, dump_flags);
    SIM_ASSERT(line != NULL);
    emit_qmp(vm, host, json, line);
    free(line);
}

void sim_emit_skip(struct sim_vm *vm, enum obs_host host, enum obs_kind k)
{
    switch (k) {
    case OBS_QMP_GREETING:
    case OBS_QMP_COMMAND:
    case OBS_QMP_REPLY:
    case OBS_QMP_EVENT:
        skip_line(vm, host, SIM_ART_QMP);
        return;
    case OBS_KLOG:
        skip_line(vm, host, SIM_ART_CONSOLE);
        return;
    case OBS_HOSTLOG:
        skip_line(vm, host, SIM_ART_STDERR);
        return;
    case OBS_FRAME: /* the capture counts its records itself */
    case OBS_STATE:
    case OBS_END:
    case OBS_NKINDS:
        vm->w->obs_seq++;
        return;
    }
}

void sim_emit_klog(struct sim_vm *vm, enum obs_host host, sim_time uptime, const char *text)
{
    struct sim_world *w = vm->w;
    if (!sim_world_wants(w, OBS_KLOG)) {
        skip_line(vm, host, SIM_ART_CONSOLE);
        return;
    }
    struct obs o = { .host = host, .vm = vm->index, .t = stamp_now(w), .kind = OBS_KLOG };
    o.u.klog.text = text;
    o.u.klog.uptime = uptime - (uptime % 1000);
    klog_classify(&o.u.klog, text);
    set_origin(vm, &o, SIM_ART_CONSOLE);
    deliver(w, &o);
}

static void hostlog_line(struct sim_vm *vm, enum obs_host host, const char *text, bool continued)
{
    struct sim_world *w = vm->w;
    struct obs o = { .host = host, .vm = vm->index, .t = stamp_now(w), .kind = OBS_HOSTLOG,
                     .t_approx = continued };
    o.u.hostlog.text = text;
    o.u.hostlog.continuation = continued;
    set_origin(vm, &o, SIM_ART_STDERR);
    deliver(w, &o);
}

/* A message QEMU prints is one line in its file per line of text (a value
 * it echoes may hold a newline): each further line is a continuation, as a
 * reader of the file takes it, and an empty one is no line at all. */
static void hostlog_lines(struct sim_vm *vm, enum obs_host host, const char *text, bool continued)
{
    if (!strchr(text, '\n')) {
        if (*text || !continued) /* an empty further line is a blank one: none */
            hostlog_line(vm, host, text, continued);
        return;
    }
    char *copy = sim_xstrdup(text);
    char *p = copy;
    bool first = true;
    while (p) {
        char *e = strchr(p, '\n');
        if (e)
            *e = '\0';
        if (first && !continued)
            hostlog_line(vm, host, p, false);
        else if (*p)
            hostlog_line(vm, host, p, true);
        first = false;
        p = e ? e + 1 : NULL;
    }
    free(copy);
}

void sim_emit_hostlog(struct sim_vm *vm, enum obs_host host, const char *text)
{
    hostlog_lines(vm, host, text, false);
}

void sim_emit_hostlog_continued(struct sim_vm *vm, enum obs_host host, const char *text)
{
    hostlog_lines(vm, host, text, true);
}

void sim_emit_frame(struct sim_vm *vm, enum obs_host host, struct obs_frame *f,
                    const char *file, uint64_t record)
{
    struct sim_world *w = vm->w;
    if (!sim_world_wants(w, OBS_FRAME)) {
        w->obs_seq++;
        return;
    }
    struct obs o = { .host = host, .vm = vm->index, .t = stamp_now(w), .kind = OBS_FRAME };
    obs_decode_frame(f);
    o.u.frame = *f;
    o.origin.file = file;
    o.origin.line = record;
    deliver(w, &o);
}

void sim_emit_state(struct sim_vm *vm, enum obs_host host, const char *entity,
                    const char *from, const char *to, const char *why)
{
    struct sim_world *w = vm->w;
    struct obs o = { .host = host, .vm = vm->index, .t = sim_wallclock(w), .kind = OBS_STATE };
    o.u.state = (struct obs_state){ .entity = entity, .from = from, .to = to, .why = why };
    deliver(w, &o);
}

void sim_emit_end(struct sim_world *w, bool truncated)
{
    struct obs o = { .host = OBS_SOURCE, .t = stamp_now(w), .kind = OBS_END };
    o.u.end = (struct obs_end){ .truncated = truncated, .what = "run" };
    deliver(w, &o);
}
