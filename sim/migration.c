/*
 * Live migration of QEMU 7.2 with failover: the source and destination
 * state machines (qemu-host.md section 3, rules H-31..H-59).
 *
 * Source: migrate -> setup -> (connection; notifiers: UNPLUG_PRIMARY per
 * plugged primary, most recently realized standby first) -> device setup
 * (MIGRATION_PASS 1) -> wait-unplug, polled every 250 ms from the start of
 * the wait, without bound -> active (pre-copy rounds at max-bandwidth until
 * the rest fits the downtime limit) -> STOP -> completed.  migrate_cancel
 * moves any running state to cancelling; an unplug under way gets 120 more
 * polls (30 s), then cancelled and the primaries are plugged back.
 * Destination: listening (-incoming URI, or -incoming defer then
 * migrate-incoming) -> active at the connection -> at the end, the device
 * state is loaded in creation order (slot registers, the standby's
 * features: FAILOVER_NEGOTIATED and the primary's plug) -> RESUME ->
 * completed, then the RARP self-announcements.
 *
 * The timing constants were fitted to the real QEMU 7.2 runs (real-qemu.md)
 * and are listed in doc/host.md.  States change by compare-and-swap: a change
 * from a state that is no longer current is skipped, as in QEMU.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_int.h"
#include "sim/guest.h"
#include "sim/mutant.h"

#define MIG_STATES(X)                  \
    X(NONE, "none")                    \
    X(SETUP, "setup")                  \
    X(CANCELLING, "cancelling")        \
    X(CANCELLED, "cancelled")          \
    X(ACTIVE, "active")                \
    X(COMPLETED, "completed")          \
    X(FAILED, "failed")                \
    X(WAIT_UNPLUG, "wait-unplug")

enum mstate {
#define X(id, name) MS_##id,
    MIG_STATES(X)
#undef X
};

static const char *const mstate_names[] = {
#define X(id, name) name,
    MIG_STATES(X)
#undef X
};

/* Timing (doc/host.md). */
#define T_CONNECT SIM_US(800)        /* migrate -> connected, notifiers run */
#define T_SETUP SIM_US(3800)         /* connected -> device setup done (PASS 1) */
#define T_POLL SIM_MS(250)           /* wait-unplug poll period (H-38) */
#define GRACE_POLLS 120              /* H-44: 120 x 250 ms */
#define T_CANCEL_ACTIVE SIM_MS(25)   /* cancel noticed by the transfer loop */
#define T_DEVSTATE SIM_MS(35)        /* STOP -> completed: last pages, device state */
#define T_DEVSTATE_STOPPED SIM_MS(2) /* the same for a VM that was not running */
#define T_LOAD SIM_MS(6)             /* source completed -> target loaded */
#define TOUCHED_NUM 27               /* fraction of RAM a booted guest touched: 27% */
#define TOUCHED_DEN 100
#define T_ROUND SIM_MS(20)           /* per pre-copy round: bitmap sync, stream set-up */
#define DIRTY_RATE (2u << 20)        /* bytes/s an idle guest dirties */
#define DEFAULT_BANDWIDTH (128u << 20) /* QEMU 7.2 MAX_THROTTLE */

enum poll_phase { POLL_WAIT, POLL_GRACE };

struct mig {
    struct host *h;
    /* source */
    enum mstate state;
    char *uri;
    struct host *peer;           /* the destination, or NULL (exec to a file) */
    char *file;                  /* exec: the file the stream goes to */
    bool file_written;           /* the stream in `file` is complete */
    sim_time start, setup_time_ms, active_start, stop_at;
    sim_time downtime;           /* switchover: STOP to completed */
    char error[256];
    bool write_fails;            /* the destination is gone: next write fails */
    bool connected;
    bool stopped_vm;             /* we stopped the VM at switchover */
    bool was_running;            /* the VM ran at switchover (global state) */
    const char *src_runstate;    /* the source's run state at switchover */
    enum poll_phase phase;
    int grace_left;
    unsigned pass;
    uint64_t remaining, transferred, round_bytes;
    struct sim_event ev_connect, ev_setup, ev_poll, ev_round, ev_done, ev_cleanup;
    /* destination */
    enum mstate in_state;
    bool listening, incoming_started;
    char *listen_uri;
    struct host *src;            /* the source streaming to us */
    struct sim_event ev_load, ev_in_fail;
    /* what the source sent, for the load */
    struct saved_vn {
        char *id;
        uint64_t features;
    } *saved;
    unsigned nsaved;
};

struct mig *mig_new(struct host *h)
{
    struct mig *m = sim_xcalloc(1, sizeof(*m));
    m->h = h;
    return m;
}

static void cancel_events(struct mig *m)
{
    struct sim_world *w = m->h->w;
    sim_cancel(w, &m->ev_connect);
    sim_cancel(w, &m->ev_setup);
    sim_cancel(w, &m->ev_poll);
    sim_cancel(w, &m->ev_round);
    sim_cancel(w, &m->ev_done);
    sim_cancel(w, &m->ev_cleanup);
    sim_cancel(w, &m->ev_load);
    sim_cancel(w, &m->ev_in_fail);
}

static void free_saved(struct mig *m)
{
    for (unsigned i = 0; i < m->nsaved; i++)
        free(m->saved[i].id);
    free(m->saved);
    m->saved = NULL;
    m->nsaved = 0;
}

void mig_free(struct mig *m)
{
    if (!m)
        return;
    cancel_events(m);
    free(m->uri);
    free(m->file);
    free(m->listen_uri);
    free_saved(m);
    free(m);
}

bool mig_idle(const struct host *h)
{
    enum mstate s = h->mig->state;
    return s == MS_NONE || s == MS_COMPLETED || s == MS_FAILED || s == MS_CANCELLED;
}

const char *mig_status(const struct host *h)
{
    const struct mig *m = h->mig;
    if (m->in_state != MS_NONE)
        return mstate_names[m->in_state];
    return mstate_names[m->state];
}

/* migrate_set_state: compare-and-swap, event if the capability is on. */
static bool set_state(struct mig *m, enum mstate *sp, enum mstate from, enum mstate to,
                      const char *why)
{
    struct host *h = m->h;
    if (*sp != from)
        return false;
    *sp = to;
    sim_emit_state(h->vm, h->id, "migration", mstate_names[from], mstate_names[to], why);
    if (h->cap_events) {
        json_t *data = json_object();
        json_object_set_new(data, "status", json_string(mstate_names[to]));
        qmp_event(h, "MIGRATION", data);
    }
    return true;
}

static void pass_event(struct mig *m)
{
    m->pass++;
    if (m->h->cap_events) {
        json_t *data = json_object();
        json_object_set_new(data, "pass", json_integer(m->pass));
        qmp_event(m->h, "MIGRATION_PASS", data);
    }
}

/* RAM the guest has written: none if it never ran (all pages are zero). */
static uint64_t touched(const struct host *h)
{
    return h->ever_ran ? h->ram / TOUCHED_DEN * TOUCHED_NUM : 0;
}

static uint64_t bandwidth(const struct host *h)
{
    return h->max_bandwidth ? h->max_bandwidth : 1;
}

static sim_time xfer_time(const struct host *h, uint64_t bytes)
{
    /* whole microseconds, as every stamp is */
    return SIM_US((sim_time)((double)bytes * 1e6 / (double)bandwidth(h)));
}

/* qemu_savevm_state_guest_unplug_pending: every virtio-net device. */
static bool unplug_pending(struct host *h)
{
    bool pending = false;
    for (struct hw_pcidev *d = h->devs; d; d = d->next)
        if (d->vn && vnet_unplug_pending(d->vn))
            pending = true;
    return pending;
}

/* The migration notifiers: most recently registered first (H-36). */
static void run_notifiers(struct host *h, bool setup)
{
    for (unsigned i = 0; setup && i < h->nghosts; i++)
        vnet_ghost_setup(h, h->ghosts[i]);
    for (uint64_t seq = h->reg_seq; seq >= 1; seq--)
        for (struct hw_pcidev *d = h->devs; d; d = d->next)
            if (d->vn && d->vn->notifier && d->vn->reg_seq == seq) {
                if (setup)
                    vnet_migration_setup(d->vn); /* IMP: H-31 */
                else
                    vnet_migration_failed(d->vn);
            }
}

/* ---- destination -------------------------------------------------------------------- */

static void dest_fail(struct host *t, const char *why)
{
    struct mig *m = t->mig;
    set_state(m, &m->in_state, m->in_state, MS_FAILED, why);
    host_stderr(t, "load of migration failed: %s", "Invalid argument");
    m->src = NULL;
    host_exit(t); /* QEMU exits when an incoming migration fails */
}

/* The source's stream broke off (cancel, source failure). */
static void dest_stream_ended(struct host *t)
{
    struct mig *m = t->mig;
    if (t->exited || m->in_state != MS_ACTIVE)
        return;
    host_stderr(t, "check_section_footer: Read section footer failed: -5");
    dest_fail(t, "stream ended");
}

/* Does the destination have a RAM block for every ROM the source sends?
 * (H-59: a hidden primary has none.) */
static bool check_ramblocks(struct host *src, struct host *t)
{
    for (struct hw_pcidev *d = src->devs; d; d = d->next) {
        if (!d->rom)
            continue;
        char path[64];
        qdev_dev_path(d, path, sizeof(path));
        bool found = false;
        for (struct hw_pcidev *e = t->devs; e; e = e->next) {
            char p2[64];
            qdev_dev_path(e, p2, sizeof(p2));
            if (e->rom && e->drv == d->drv && !strcmp(path, p2))
                found = true;
        }
        if (!found) {
            host_stderr(t, "Unknown ramblock \"%s/%s.rom\", cannot accept migration", path,
                        d->drv->name);
            host_stderr(t, "error while loading state for instance 0x0 of device 'ram'");
            return false;
        }
    }
    return true;
}

static void in_fail_fire(struct sim_world *w, struct sim_event *ev)
{
    struct mig *m = SIM_CONTAINER_OF(ev, struct mig, ev_in_fail);
    (void)w;
    dest_fail(m->h, "unknown ramblock");
}

/* The connection is accepted: NONE -> ACTIVE. */
static void dest_connect(struct host *t, struct host *src)
{
    struct mig *m = t->mig;
    m->src = src;
    set_state(m, &m->in_state, m->in_state, MS_ACTIVE, "connection accepted");
}

static struct hw_pcidev *find_by_path(struct host *h, const struct hw_pcidev *like)
{
    char p[64];
    qdev_dev_path(like, p, sizeof(p));
    for (struct hw_pcidev *e = h->devs; e; e = e->next) {
        char p2[64];
        qdev_dev_path(e, p2, sizeof(p2));
        if (e->drv == like->drv && !strcmp(p, p2))
            return e;
    }
    return NULL;
}

static void target_resume(struct host *t, struct host *src)
{
    struct sim_vm *vm = t->vm;
    if (vm->guest && src && src->gops)
        guest_migrate(vm->guest, t);
    /* process_incoming_migration_bh: the source's global run state */
    if (src && !src->mig->was_running) {
        t->runstate = src->mig->src_runstate;
        return;
    }
    if (t->start_paused) {
        t->runstate = "paused";
        return;
    }
    t->ever_ran = true;
    host_vm_start(t);
}

/* The final device-state load (H-52..H-55), then resume and complete. */
static void dest_load(struct host *t, struct host *src)
{
    struct mig *m = t->mig;
    if (t->exited || m->in_state != MS_ACTIVE)
        return;
    /* devices whose state was sent must exist here */
    for (struct hw_pcidev *d = src->devs; d; d = d->next) {
        if (!d->vmstate || d->vn)
            continue;
        if (!find_by_path(t, d)) {
            char p[64];
            qdev_dev_path(d, p, sizeof(p));
            host_stderr(t,
                        "Unknown savevm section or instance '%s/%s' 0. Make sure that your "
                        "current VM setup matches your saved VM setup, including any "
                        "hotplugged devices",
                        p, d->drv->vmsd);
            dest_fail(t, "unknown section");
            return;
        }
    }
    /* the chipset first: ACPI hotplug state, then the slots */
    t->numbered = src->numbered;
    free(t->acpi);
    t->acpi = NULL;
    t->nacpi = src->nacpi;
    if (src->nacpi) {
        t->acpi = sim_xmalloc(src->nacpi * sizeof(*t->acpi));
        memcpy(t->acpi, src->acpi, src->nacpi * sizeof(*t->acpi));
    }
    for (struct hw_pcidev *d = t->devs; d; d = d->next) {
        struct hw_pcidev *s = d->port ? qdev_find(src, d->id) : NULL;
        if (s && s->port)
            port_load(d->port, s->port);
    }
    bool resume_first = host_mut(t, MUT_RESUME_BEFORE_PRIMARY);
    if (resume_first)
        target_resume(t, src);
    t->loading = true;
    for (struct hw_pcidev *d = t->devs; d; d = d->next) { /* IMP: H-53: load order */
        if (!d->vn)
            continue;
        const struct saved_vn *sv = NULL;
        for (unsigned i = 0; i < src->mig->nsaved; i++)
            if (d->id && !strcmp(src->mig->saved[i].id, d->id))
                sv = &src->mig->saved[i];
        if (!sv)
            continue;
        if (sv->features & ~d->vn->host_features) { /* IMP: H-55 */
            char p[64];
            qdev_dev_path(d, p, sizeof(p));
            host_stderr(t, "Features 0x%llx unsupported. Allowed features: 0x%llx",
                        (unsigned long long)sv->features,
                        (unsigned long long)d->vn->host_features);
            host_stderr(t, "error while loading state for instance 0x0 of device '%s/%s'", p,
                        "virtio-net");
            t->loading = false;
            set_state(m, &m->in_state, MS_ACTIVE, MS_FAILED, "virtio load failed");
            host_stderr(t, "load of migration failed: %s", "Operation not permitted");
            host_exit(t);
            return;
        }
        d->vn->gf[0] = (uint32_t)sv->features;
        d->vn->gf[1] = (uint32_t)(sv->features >> 32);
        d->vn->status = HW_VIRTIO_STATUS_ACKNOWLEDGE | HW_VIRTIO_STATUS_DRIVER |
                        HW_VIRTIO_STATUS_FEATURES_OK | HW_VIRTIO_STATUS_DRIVER_OK;
        uint64_t features = sv->features;
        if (host_mut(t, MUT_LOAD_FORCES_STANDBY)) /* a broken H-54 */
            features |= d->vn->host_features & ((uint64_t)1 << HW_VIRTIO_NET_F_STANDBY);
        vnet_set_features(d->vn, features); /* IMP: H-53, H-54 */
    }
    t->loading = false;
    host_announce(t); /* qemu_announce_self before vm_start */
    if (!resume_first)
        target_resume(t, src);
    set_state(m, &m->in_state, MS_ACTIVE, MS_COMPLETED, "loaded");
    m->src = NULL;
}

static void load_fire(struct sim_world *w, struct sim_event *ev)
{
    struct mig *m = SIM_CONTAINER_OF(ev, struct mig, ev_load);
    (void)w;
    if (m->src)
        dest_load(m->h, m->src);
}

/* ---- source ------------------------------------------------------------------------ */

static void cleanup_fire(struct sim_world *w, struct sim_event *ev);

/* migrate_fd_cleanup: cancelling -> cancelled, notifiers, VM back. */
static void cleanup(struct mig *m)
{
    struct host *h = m->h;
    sim_cancel(h->w, &m->ev_poll);
    sim_cancel(h->w, &m->ev_round);
    sim_cancel(h->w, &m->ev_done);
    set_state(m, &m->state, MS_CANCELLING, MS_CANCELLED, "cleanup"); /* IMP: H-46 */
    if (m->state == MS_CANCELLED || m->state == MS_FAILED) {
        if (m->peer)
            dest_stream_ended(m->peer);
        run_notifiers(h, false); /* IMP: H-47 */
    }
    if (m->stopped_vm) {
        m->stopped_vm = false;
        host_vm_start(h);
    }
    m->peer = NULL;
}

static void cleanup_fire(struct sim_world *w, struct sim_event *ev)
{
    struct mig *m = SIM_CONTAINER_OF(ev, struct mig, ev_cleanup);
    (void)w;
    cleanup(m);
}

static void fail(struct mig *m, enum mstate from, const char *desc)
{
    sim_strlcpy(m->error, desc, sizeof(m->error));
    set_state(m, &m->state, from, MS_FAILED, desc);
    cleanup(m);
}

static void save_stream(struct mig *m)
{
    struct host *h = m->h;
    free_saved(m);
    for (struct hw_pcidev *d = h->devs; d; d = d->next)
        if (d->vn && d->id) {
            m->saved = sim_xrealloc(m->saved, (m->nsaved + 1) * sizeof(*m->saved));
            m->saved[m->nsaved].id = sim_xstrdup(d->id);
            m->saved[m->nsaved].features = d->vn->guest_features;
            m->nsaved++;
        }
}

static void done_fire(struct sim_world *w, struct sim_event *ev)
{
    struct mig *m = SIM_CONTAINER_OF(ev, struct mig, ev_done);
    struct host *h = m->h;
    (void)w;
    m->transferred += m->remaining;
    m->remaining = 0;
    save_stream(m);
    if (!set_state(m, &m->state, MS_ACTIVE, MS_COMPLETED, "transfer finished"))
        return;
    /* IMP: H-50: PRECOPY_DONE is ignored; the primary stays unplugged */
    h->runstate = "postmigrate";
    m->stopped_vm = false;
    if (m->file)
        m->file_written = true;
    if (m->peer) {
        m->peer->mig->src = h;
        sim_schedule_in(h->w, &m->peer->mig->ev_load, T_LOAD);
    }
    m->peer = NULL;
}

static void round_fire(struct sim_world *w, struct sim_event *ev)
{
    struct mig *m = SIM_CONTAINER_OF(ev, struct mig, ev_round);
    struct host *h = m->h;
    (void)w;
    if (m->state != MS_ACTIVE)
        return;
    m->transferred += m->round_bytes;
    sim_time took = xfer_time(h, m->round_bytes);
    uint64_t dirty = h->running ? (uint64_t)((double)DIRTY_RATE * (double)took / 1e9) : 0;
    uint64_t t = touched(h);
    m->remaining = dirty < t ? dirty : t;
    pass_event(m); /* the bitmap sync after the round */
    sim_time rest = xfer_time(h, m->remaining);
    if (rest <= SIM_MS(h->downtime_limit_ms)) {
        /* switchover */
        m->stop_at = h->w->now;
        m->was_running = h->running;
        m->src_runstate = h->runstate;
        if (h->running) {
            m->stopped_vm = true;
            host_vm_stop(h, "finish-migrate");
            pass_event(m); /* the final sync (real runs show none for a stopped VM) */
        } else {
            h->runstate = "finish-migrate";
        }
        m->downtime = rest + (m->was_running ? T_DEVSTATE : T_DEVSTATE_STOPPED);
        sim_schedule_in(h->w, &m->ev_done, m->downtime);
        return;
    }
    m->round_bytes = m->remaining;
    sim_schedule_in(h->w, &m->ev_round, xfer_time(h, m->round_bytes) + T_ROUND);
}

static void start_active(struct mig *m)
{
    struct host *h = m->h;
    m->active_start = h->w->now;
    m->setup_time_ms = (h->w->now - m->start) / SIM_MS(1);
    if (m->write_fails) { /* IMP: H-42, H-59: the destination closed the stream */
        host_stderr(h, "failed to save SaveStateEntry with id(name): 2(ram): -5");
        host_stderr(h, "Unable to write to socket: Broken pipe");
        fail(m, MS_ACTIVE, "Unable to write to socket: Broken pipe");
        return;
    }
    m->round_bytes = touched(h);
    sim_schedule_in(h->w, &m->ev_round, xfer_time(h, m->round_bytes) + T_ROUND);
}

/* The end of qemu_savevm_wait_unplug: try new_state, else the thread
 * finishes (cancelled). */
static void wait_done(struct mig *m, enum mstate from)
{
    if (set_state(m, &m->state, from, MS_ACTIVE, "unplug done")) {
        start_active(m);
        return;
    }
    sim_schedule_in(m->h->w, &m->ev_cleanup, SIM_MS(1));
}

static void grace_step(struct mig *m)
{
    struct host *h = m->h;
    if (m->grace_left > 0 && unplug_pending(h) && !host_mut(h, MUT_NO_CANCEL_GRACE)) {
        m->grace_left--;
        m->phase = POLL_GRACE;
        sim_schedule_in(h->w, &m->ev_poll, T_POLL); /* IMP: H-44 */
        return;
    }
    if (unplug_pending(h) && !h->qtest) /* IMP: H-45 */
        host_warn(h, "migration: partially unplugged device on failure");
    wait_done(m, MS_WAIT_UNPLUG);
}

static void poll_fire(struct sim_world *w, struct sim_event *ev)
{
    struct mig *m = SIM_CONTAINER_OF(ev, struct mig, ev_poll);
    struct host *h = m->h;
    (void)w;
    if (m->phase == POLL_GRACE) {
        grace_step(m);
        return;
    }
    if (m->state == MS_WAIT_UNPLUG) {
        /* IMP: H-38: no bound while not cancelled */
        if (unplug_pending(h) && !host_mut(h, MUT_EARLY_ACTIVE)) {
            sim_schedule_in(h->w, &m->ev_poll, T_POLL);
            return;
        }
        wait_done(m, MS_WAIT_UNPLUG);
        return;
    }
    m->grace_left = GRACE_POLLS;
    grace_step(m);
}

/* Device setup is done: PASS 1, then qemu_savevm_wait_unplug (the same for
 * a background snapshot: IMP: H-51). */
static void setup_fire(struct sim_world *w, struct sim_event *ev)
{
    struct mig *m = SIM_CONTAINER_OF(ev, struct mig, ev_setup);
    struct host *h = m->h;
    (void)w;
    if (m->peer && !check_ramblocks(h, m->peer)) {
        m->write_fails = true; /* IMP: H-59 */
        sim_schedule_in(h->w, &m->peer->mig->ev_in_fail, SIM_US(200));
    }
    pass_event(m);
    bool pending = unplug_pending(h) && !host_mut(h, MUT_SKIP_WAIT_UNPLUG);
    if (!pending) { /* IMP: H-37, 6.1 */
        if (set_state(m, &m->state, MS_SETUP, MS_ACTIVE, "nothing to unplug"))
            start_active(m);
        else
            sim_schedule_in(h->w, &m->ev_cleanup, SIM_MS(1));
        return;
    }
    /* IMP: H-37, H-41: a stopped guest cannot finish; we wait anyway */
    set_state(m, &m->state, MS_SETUP, MS_WAIT_UNPLUG, "primary unplug pending");
    if (m->state == MS_WAIT_UNPLUG) {
        m->phase = POLL_WAIT;
        sim_schedule_in(h->w, &m->ev_poll, T_POLL);
        return;
    }
    /* cancelled while in setup: straight to the grace wait */
    m->grace_left = GRACE_POLLS;
    grace_step(m);
}

/* Find the host listening on the URI's port (tcp) among this VM's hosts. */
static struct host *find_listener(struct host *h, const char *uri)
{
    bool tcp = !strncmp(uri, "tcp:", 4);
    const char *p = tcp ? strrchr(uri, ':') : uri;
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct host *t = h->vm->hosts[i];
        if (!t || t == h || t->exited || !t->mig->listening || !t->mig->listen_uri)
            continue;
        const char *l = t->mig->listen_uri;
        if (tcp && !strncmp(l, "tcp:", 4) && !strcmp(p, strrchr(l, ':')))
            return t; /* the port decides; any address of this machine */
        if (!tcp && !strcmp(l, uri))
            return t; /* unix: the same socket path */
    }
    return NULL;
}

static void connect_fire(struct sim_world *w, struct sim_event *ev)
{
    struct mig *m = SIM_CONTAINER_OF(ev, struct mig, ev_connect);
    struct host *h = m->h;
    (void)w;
    if (m->state != MS_SETUP) { /* cancelled before connecting */
        cleanup(m);
        return;
    }
    if (!strncmp(m->uri, "tcp:", 4) || !strncmp(m->uri, "unix:", 5)) {
        struct host *t = find_listener(h, m->uri);
        if (!t && m->uri[0] == 'u') {
            char desc[256];
            snprintf(desc, sizeof(desc), "Failed to connect to '%s': No such file or directory",
                     m->uri + 5);
            fail(m, MS_SETUP, desc);
            return;
        }
        if (!t) {
            char desc[256];
            const char *hp = m->uri + 4;
            const char *colon = strrchr(hp, ':');
            snprintf(desc, sizeof(desc), "Failed to connect to '%.*s:%s': Connection refused",
                     (int)(colon ? colon - hp : 0), hp, colon ? colon + 1 : hp);
            fail(m, MS_SETUP, desc); /* S3: nothing was unplugged */
            return;
        }
        m->peer = t;
        dest_connect(t, h);
    }
    m->connected = true;
    run_notifiers(h, true); /* IMP: H-31..H-36 */
    sim_schedule_in(h->w, &m->ev_setup, T_SETUP);
}

static bool is_running_state(enum mstate s)
{
    return s == MS_SETUP || s == MS_WAIT_UNPLUG || s == MS_ACTIVE;
}

/* exec:cat > FILE  ->  FILE */
static char *exec_out_file(const char *cmd)
{
    const char *gt = strchr(cmd, '>');
    if (!gt)
        return NULL;
    gt++;
    while (*gt == ' ')
        gt++;
    return *gt ? sim_xstrdup(gt) : NULL;
}

json_t *mig_qmp_migrate(struct host *h, const char *uri, bool resume, const char **eclass,
                        char *err, size_t errlen)
{
    (void)eclass;
    struct mig *m = h->mig;
    if (resume) {
        snprintf(err, errlen, "Cannot resume if there is no paused migration");
        return NULL;
    }
    if (!mig_idle(h)) {
        snprintf(err, errlen, "There's a migration process in progress");
        return NULL;
    }
    if (!strcmp(h->runstate, "inmigrate")) {
        snprintf(err, errlen, "Guest is waiting for an incoming migration");
        return NULL;
    }
    for (struct hw_pcidev *d = h->devs; d; d = d->next)
        if (d->drv->id == HDRV_VFIO && !d->pair) { /* IMP: H-30 */
            snprintf(err, errlen, "VFIO device doesn't support migration");
            return NULL;
        }
    cancel_events(m);
    free(m->uri);
    free(m->file);
    m->uri = sim_xstrdup(uri);
    m->file = !strncmp(uri, "exec:", 5) ? exec_out_file(uri + 5) : NULL;
    m->file_written = false;
    m->peer = NULL;
    m->error[0] = '\0';
    m->write_fails = m->connected = m->stopped_vm = false;
    m->pass = 0;
    m->transferred = m->remaining = 0;
    m->start = h->w->now;
    m->setup_time_ms = 0;
    sim_event_init(&m->ev_connect, connect_fire, "mig-connect");
    sim_event_init(&m->ev_setup, setup_fire, "mig-setup");
    sim_event_init(&m->ev_poll, poll_fire, "mig-poll");
    sim_event_init(&m->ev_round, round_fire, "mig-round");
    sim_event_init(&m->ev_done, done_fire, "mig-done");
    sim_event_init(&m->ev_cleanup, cleanup_fire, "mig-cleanup");
    m->state = m->state == MS_NONE ? MS_NONE : m->state;
    set_state(m, &m->state, m->state, MS_SETUP, "migrate");
    if (strncmp(uri, "tcp:", 4) && strncmp(uri, "exec:", 5) && strncmp(uri, "unix:", 5)) {
        /* qmp_migrate: migrate_prepare moved to setup already */
        set_state(m, &m->state, MS_SETUP, MS_FAILED, "unknown protocol");
        snprintf(err, errlen, "Parameter 'uri' expects a valid migration protocol");
        return NULL;
    }
    sim_schedule_in(h->w, &m->ev_connect, T_CONNECT);
    return json_object();
}

json_t *mig_qmp_cancel(struct host *h)
{
    struct mig *m = h->mig;
    if (!is_running_state(m->state))
        return json_object();
    enum mstate old = m->state;
    set_state(m, &m->state, old, MS_CANCELLING, "migrate_cancel"); /* IMP: H-43 */
    if (host_mut(h, MUT_REPLUG_ON_CANCEL)) /* bug 6.9: the replug does not wait */
        run_notifiers(h, false);
    if (m->peer)
        dest_stream_ended(m->peer); /* the stream is shut down */
    if (old == MS_ACTIVE) {
        sim_cancel(h->w, &m->ev_round);
        if (!sim_event_pending(&m->ev_done))
            sim_schedule_in(h->w, &m->ev_cleanup, T_CANCEL_ACTIVE);
        else {
            sim_cancel(h->w, &m->ev_done);
            sim_schedule_in(h->w, &m->ev_cleanup, T_CANCEL_ACTIVE);
        }
    }
    /* setup and wait-unplug: the migration thread notices at its next step */
    return json_object();
}

void mig_start_incoming(struct host *h, bool announce_setup)
{
    struct mig *m = h->mig;
    m->listening = true;
    m->incoming_started = true;
    free(m->listen_uri);
    m->listen_uri = sim_xstrdup(h->incoming_uri);
    sim_event_init(&m->ev_load, load_fire, "mig-load");
    sim_event_init(&m->ev_in_fail, in_fail_fire, "mig-in-fail");
    /* qemu_start_incoming_migration sends SETUP without looking at the
     * events capability; the state itself stays none until a connection */
    if (announce_setup) /* at start-up no QMP client is connected yet */
        qmp_event(h, "MIGRATION", json_pack("{s:s}", "status", "setup"));
    if (!strncmp(m->listen_uri, "exec:", 5)) {
        /* exec:cat FILE: read a stream another host wrote */
        const char *f = m->listen_uri + 5;
        while (*f == ' ')
            f++;
        if (!strncmp(f, "cat", 3))
            f += 3;
        while (*f == ' ')
            f++;
        struct host *src = NULL;
        for (int i = 0; i < OBS_NHOSTS; i++) {
            struct host *o = h->vm->hosts[i];
            if (o && o != h && o->mig->file && o->mig->file_written &&
                !strcmp(o->mig->file, f))
                src = o;
        }
        if (!src) {
            host_stderr(h, "load of migration failed: Input/output error");
            set_state(m, &m->in_state, MS_NONE, MS_FAILED, "no stream in file");
            host_exit(h);
            return;
        }
        dest_connect(h, src);
        if (!check_ramblocks(src, h)) {
            sim_schedule_in(h->w, &m->ev_in_fail, SIM_US(200));
            return;
        }
        sim_schedule_in(h->w, &m->ev_load, T_LOAD);
    }
}

json_t *mig_qmp_incoming(struct host *h, const char *uri, const char **eclass, char *err,
                         size_t errlen)
{
    (void)eclass;
    if (h->incoming != INCOMING_DEFER) {
        snprintf(err, errlen, "For use with '-incoming defer'");
        return NULL;
    }
    if (h->mig->incoming_started) {
        snprintf(err, errlen, "The incoming migration has already been started");
        return NULL;
    }
    if (strncmp(uri, "tcp:", 4) && strncmp(uri, "exec:", 5) && strncmp(uri, "unix:", 5)) {
        snprintf(err, errlen, "unknown migration protocol: %s", uri);
        return NULL;
    }
    free(h->incoming_uri);
    h->incoming_uri = sim_xstrdup(uri);
    mig_start_incoming(h, true);
    return json_object();
}

static json_t *socket_addr(const char *uri)
{
    const char *hp = uri + 4;
    const char *colon = strrchr(hp, ':');
    char host[64];
    snprintf(host, sizeof(host), "%.*s", (int)(colon ? colon - hp : 0), hp);
    json_t *a = json_pack("{s:s,s:b,s:s,s:s}", "port", colon ? colon + 1 : "", "ipv4", 1,
                          "host", host, "type", "inet");
    json_t *l = json_array();
    json_array_append_new(l, a);
    return l;
}

/* RAM blocks: the guest RAM, the firmware's (pc.bios 256 KiB, pc.rom and the
 * ACPI tables 128 KiB each, two 4 KiB blobs) and 256 KiB per option ROM;
 * 269230080 for -m 256 with one ROM, as the real runs report. */
static uint64_t ram_total(const struct host *h)
{
    uint64_t t = h->ram + 532480;
    for (const struct hw_pcidev *d = h->devs; d; d = d->next)
        if (d->rom)
            t += 262144;
    return t;
}

static json_t *ram_info(const struct mig *m)
{
    const struct host *h = m->h;
    json_t *r = json_object();
    uint64_t pages = m->transferred / 4096;
    json_object_set_new(r, "total", json_integer((json_int_t)ram_total(h)));
    json_object_set_new(r, "postcopy-requests", json_integer(0));
    json_object_set_new(r, "dirty-sync-count", json_integer(m->pass));
    json_object_set_new(r, "multifd-bytes", json_integer(0));
    json_object_set_new(r, "pages-per-second", json_integer(0));
    json_object_set_new(r, "downtime-bytes", json_integer(0));
    json_object_set_new(r, "page-size", json_integer(4096));
    json_object_set_new(r, "remaining",
                        json_integer((json_int_t)(m->state == MS_COMPLETED
                                                      ? 0
                                                      : ram_total(h) - m->transferred)));
    json_object_set_new(r, "postcopy-bytes", json_integer(0));
    json_object_set_new(r, "mbps", json_integer(0));
    json_object_set_new(r, "transferred", json_integer((json_int_t)m->transferred));
    json_object_set_new(r, "dirty-sync-missed-zero-copy", json_integer(0));
    json_object_set_new(r, "precopy-bytes", json_integer((json_int_t)m->transferred));
    json_object_set_new(r, "duplicate", json_integer(0));
    json_object_set_new(r, "dirty-pages-rate", json_integer(0));
    json_object_set_new(r, "skipped", json_integer(0));
    json_object_set_new(r, "normal-bytes", json_integer((json_int_t)pages * 4096));
    json_object_set_new(r, "normal", json_integer((json_int_t)pages));
    return r;
}

json_t *mig_qmp_query(struct host *h)
{
    struct mig *m = h->mig;
    json_t *r = json_object();
    sim_time now = h->w->now;
    if (m->listening || m->in_state != MS_NONE) {
        if (m->in_state != MS_NONE)
            json_object_set_new(r, "status", json_string(mstate_names[m->in_state]));
        if (m->listen_uri && !strncmp(m->listen_uri, "tcp:", 4) &&
            m->in_state != MS_COMPLETED && m->in_state != MS_FAILED)
            json_object_set_new(r, "socket-address", socket_addr(m->listen_uri));
        return r;
    }
    switch (m->state) {
    case MS_NONE:
        break;
    case MS_SETUP:
    case MS_WAIT_UNPLUG:
    case MS_CANCELLED:
        json_object_set_new(r, "status", json_string(mstate_names[m->state]));
        break;
    case MS_ACTIVE:
    case MS_CANCELLING:
        json_object_set_new(r, "expected-downtime",
                            json_integer((json_int_t)h->downtime_limit_ms));
        json_object_set_new(r, "status", json_string(mstate_names[m->state]));
        json_object_set_new(r, "setup-time", json_integer((json_int_t)m->setup_time_ms));
        json_object_set_new(r, "total-time", json_integer((now - m->start) / SIM_MS(1)));
        json_object_set_new(r, "ram", ram_info(m));
        break;
    case MS_COMPLETED:
        json_object_set_new(r, "status", json_string("completed"));
        json_object_set_new(r, "setup-time", json_integer((json_int_t)m->setup_time_ms));
        json_object_set_new(r, "downtime",
                            json_integer((m->downtime + SIM_MS(1) / 2) / SIM_MS(1)));
        json_object_set_new(r, "total-time",
                            json_integer((m->stop_at + m->downtime - m->start) / SIM_MS(1)));
        json_object_set_new(r, "ram", ram_info(m));
        break;
    case MS_FAILED:
        json_object_set_new(r, "status", json_string("failed"));
        if (m->error[0])
            json_object_set_new(r, "error-desc", json_string(m->error));
        break;
    }
    return r;
}
