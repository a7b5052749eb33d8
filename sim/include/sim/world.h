/*
 * A world: one independent simulation run.
 *
 * Everything a run needs hangs off one struct sim_world: the clock and the
 * event queue, the seed its random streams derive from, the observation
 * sinks, and the models (hosts, guest, traffic).  There is no global state in
 * sim/, so a process may build and run any number of worlds, one after the
 * other or interleaved.  The same scenario and seed give the same
 * observations, byte for byte.
 */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/event.h"
#include "sim/obs.h"
#include "sim/rng.h"
#include "sim/time.h"

struct host;      /* sim/host.h: one QEMU process */
struct guest;     /* sim/guest.h: the VM's operating system */
struct traffic;   /* sim/traffic.h: workload and capture points */
struct scenario;  /* sim/scenario.h */
struct sim_world;

#define SIM_MAX_SINKS 8

/* Artifact line counters, so in-memory records carry the file position the
 * recorded bundle will give them (evidence is identical either way). */
enum sim_artifact {
    SIM_ART_QMP,     /* <host>.qmp */
    SIM_ART_CONSOLE, /* <host>-guest.log */
    SIM_ART_STDERR,  /* <host>.stderr */
    SIM_NARTIFACTS
};

struct sim_world_config {
    uint64_t seed;      /* root of every random stream */
    sim_time epoch;     /* wall-clock ns (Unix) of world time 0 */
    uint64_t mutants;   /* bit set of enum mutant (conformance negative controls) */
};

/*
 * One virtual machine: the QEMU process on the source host, the one on the
 * target host, the guest OS that runs on one of them, and its workload.  A
 * scenario describes one VM; a fleet (`vms N`) repeats it N times in the
 * same world, each VM with its own random streams.
 */
struct sim_vm {
    struct sim_world *w;
    uint32_t index;                 /* 0-based; observations carry it */
    struct host *hosts[OBS_NHOSTS]; /* NULL if absent; freed via owned[] */
    struct guest *guest;            /* freed via owned[] */
    struct traffic *traffic;        /* freed via owned[] */
    uint64_t art_lines[OBS_NHOSTS][SIM_NARTIFACTS]; /* artifact line counters */
};

struct sim_world {
    sim_time now;               /* current world time, ns since start */
    sim_time epoch;             /* wall-clock ns of now == 0 */
    uint64_t seed;
    uint64_t mutants;           /* active mutants, see sim/mutant.h */
    struct sim_queue queue;
    uint64_t obs_seq;           /* next observation sequence number */
    struct obs_sink sinks[SIM_MAX_SINKS];
    uint32_t sink_kinds[SIM_MAX_SINKS]; /* the kinds each sink receives */
    unsigned nsinks;
    uint32_t wanted;            /* kinds at least one sink receives */
    struct sim_vm *vms;         /* owned array of nvms */
    uint32_t nvms;
    const struct scenario *scn;     /* borrowed; may be NULL */
    bool stopped;                   /* sim_world_stop() was called */
    struct sim_owned {
        void *ptr;
        void (*free_fn)(void *ptr);
    } *owned;                       /* freed in reverse order by sim_world_free */
    unsigned nowned, owned_cap;
};

/* Create a world.  Returns NULL only when memory is exhausted. */
struct sim_world *sim_world_new(const struct sim_world_config *cfg);

/* Free a world and every model it owns (in reverse order of sim_world_own).
 * NULL is a no-op. */
void sim_world_free(struct sim_world *w);

/* Hand an object to the world: it is freed with free_fn when the world is. */
void sim_world_own(struct sim_world *w, void *ptr, void (*free_fn)(void *ptr));

/* Add a consumer; sinks are called in the order added.  Returns 0 or -1
 * when SIM_MAX_SINKS are already installed. */
int sim_world_add_sink(struct sim_world *w, void (*fn)(void *, const struct obs *),
                       void *ctx);

/* A set of observation kinds: bit k stands for enum obs_kind k. */
#define OBS_KIND_BIT(k) (UINT32_C(1) << (k))
#define OBS_ALL_KINDS (OBS_KIND_BIT(OBS_NKINDS) - 1)
#define OBS_QMP_KINDS                                                                   \
    (OBS_KIND_BIT(OBS_QMP_GREETING) | OBS_KIND_BIT(OBS_QMP_COMMAND) |                   \
     OBS_KIND_BIT(OBS_QMP_REPLY) | OBS_KIND_BIT(OBS_QMP_EVENT))

/* The same for a consumer of only some kinds (a set of OBS_KIND_BIT): it is
 * not called for the others.  An observation no sink receives is not built
 * at all (not printed, formatted or decoded); it still takes its sequence
 * number and its line in its artifact, so the records that are delivered
 * are the same whatever the other sinks want. */
int sim_world_add_sink_kinds(struct sim_world *w, void (*fn)(void *, const struct obs *),
                             void *ctx, uint32_t kinds);

/* Does any sink receive observations of kind k?  A producer whose record
 * costs work to build asks first and, if not, calls sim_emit_skip. */
static inline bool sim_world_wants(const struct sim_world *w, enum obs_kind k)
{
    return (w->wanted >> k) & 1;
}

/* Wall-clock ns of the current instant. */
static inline sim_time sim_wallclock(const struct sim_world *w)
{
    return w->epoch + w->now;
}

/* Create the world's VMs (empty; the run fills in hosts, guest, traffic). */
void sim_world_add_vms(struct sim_world *w, uint32_t n);

/* Seed a random stream that belongs to this world.  Models of a VM use
 * sim_vm_rng, which prefixes the VM ("vm3/guest") for VMs other than 0. */
void sim_world_rng(const struct sim_world *w, struct sim_rng *r, const char *stream);
void sim_vm_rng(const struct sim_vm *vm, struct sim_rng *r, const char *stream);

/* Ask sim_world_run() to return after the current event. */
void sim_world_stop(struct sim_world *w);

/* True when mutant number m is active in this world. */
static inline bool sim_mutant(const struct sim_world *w, unsigned m)
{
    return m < 64 && (w->mutants >> m) & 1;
}

/* ---- Emitting observations --------------------------------------------------
 *
 * Producers call these; each stamps the record with the current time
 * (quantised as the artifact would be), a sequence number and its origin,
 * decodes it, and hands it to every sink.
 */

/* A QMP line printed by `host` (greeting, reply or event) or sent to it
 * (command).  `line` is the exact JSON text, without newline. */
void sim_emit_qmp(struct sim_vm *vm, enum obs_host host, const char *line);

/* The same line given as the JSON object it is the text of: the line is
 * json_dumps(json, dump_flags), and the record is decoded from `json` itself
 * (jansson reads its own output back to an equal object, so this is what a
 * reader of the line decodes, without printing and parsing it again). */
void sim_emit_qmp_json(struct sim_vm *vm, enum obs_host host, const struct json_t *json,
                       size_t dump_flags);

/* A guest console line, printed while the guest runs on `host`.  `uptime` is
 * the guest's uptime stamp; `text` the message without the stamp. */
void sim_emit_klog(struct sim_vm *vm, enum obs_host host, sim_time uptime, const char *text);

/* A line QEMU printed on stderr ("qemu-system-x86_64: warning: ...").  A
 * newline in text (QEMU echoes values verbatim) ends the line: what follows
 * comes as further lines, as sim_emit_hostlog_continued. */
void sim_emit_hostlog(struct sim_vm *vm, enum obs_host host, const char *text);

/* A further line of the stderr message just emitted (a hint QEMU prints
 * with error_printf: no program name, no -msg timestamp=on stamp).  Its
 * time is the message's, approximate as a reader of the file must take it. */
void sim_emit_hostlog_continued(struct sim_vm *vm, enum obs_host host, const char *text);

/* A frame at a capture point (the record is filled by the caller, the
 * time/seq/origin by this function; `file` names the capture's pcap). */
void sim_emit_frame(struct sim_vm *vm, enum obs_host host, struct obs_frame *f,
                    const char *file, uint64_t record);

/* An observation of kind k that no sink receives (sim_world_wants is
 * false): it takes its sequence number and, for QMP, console and stderr
 * lines, its line in the artifact, as if it had been emitted. */
void sim_emit_skip(struct sim_vm *vm, enum obs_host host, enum obs_kind k);

/* A model state change. */
void sim_emit_state(struct sim_vm *vm, enum obs_host host, const char *entity,
                    const char *from, const char *to, const char *why);

/* The end of the run (truncated = stopped by --until before quiescence). */
void sim_emit_end(struct sim_world *w, bool truncated);

#endif
