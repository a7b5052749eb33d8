/*
 * Monitors of area MIGS: the migration source -- the unplug requests at
 * setup, the wait-unplug state and its 250 ms poll, the state table, the
 * switchover, what query-migrate reports (H-31..H-42, §3.1).  The source is
 * the host the VM starts on (OBS_SOURCE); its MIGRATION events are those of
 * an outgoing migration.
 */
#include <jansson.h>
#include <string.h>

#include "mig.h"
#include "monitor.h"

static const char *src_status(const struct obs *o)
{
    return o->host == OBS_SOURCE ? ck_migration(o) : NULL;
}

static void list_ids(char *buf, size_t n, struct check *c, enum obs_host h, uint64_t set)
{
    const struct view_host *vh = &c->view.host[h];
    size_t len = 0;
    buf[0] = '\0';
    for (unsigned k = 0; k < vh->ndev && k < VIEW_MAX_DEVS; k++) {
        if (!mig_bit(set, k))
            continue;
        int r = snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? ", " : "",
                         vh->dev[k].id);
        if (r > 0)
            len += (size_t)r;
    }
}

/* ---- MIGS-001: UNPLUG_PRIMARY for every plugged primary, in setup --------------------- */

struct migs001 {
    struct mig g;
    uint64_t expect;          /* primaries that must be unplugged in this setup */
    uint64_t gone;            /* unplugged by a completed migration */
    bool cant_unplug;         /* stderr: QEMU could not unplug a primary (H-35) */
    bool plug_warn;           /* stderr: adding a primary failed (H-22) */
};

static void migs001_init(struct mon *m)
{
    struct migs001 *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

/* Primaries plugged now: they exist and their standby negotiated. */
static uint64_t plugged(struct check *c, uint64_t gone)
{
    const struct view_host *vh = &c->view.host[OBS_SOURCE];
    uint64_t set = 0;
    for (unsigned k = 0; k < vh->ndev && k < VIEW_MAX_DEVS; k++) {
        const struct view_dev *d = &vh->dev[k];
        if (d->role != OBS_ROLE_PRIMARY || d->deleted || !(d->configured || d->added) ||
            mig_bit(gone, k))
            continue;
        const struct view_dev *s = view_dev(c, OBS_SOURCE, d->pair);
        if (s && s->role == OBS_ROLE_STANDBY && !s->deleted && s->negotiated)
            set |= (uint64_t)1 << k;
    }
    return set;
}

static void migs001_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-001 */
{
    struct migs001 *st = m->st;
    struct check *c = m->c;
    if (o->kind == OBS_HOSTLOG && o->host == OBS_SOURCE) {
        const char *t = o->u.hostlog.text;
        if (strstr(t, "couldn't unplug primary device") && strcmp(st->g.status, "setup") == 0)
            st->cant_unplug = true;
        if (strstr(t, "failover primary device") || strstr(t, "primary device must"))
            st->plug_warn = true;
        return;
    }
    const char *s = src_status(o);
    /* without MIGRATION events (the events capability off) the state is not
     * known: an UNPLUG_PRIMARY then proves nothing */
    bool state_known = st->g.status[0] || c->view.host[OBS_SOURCE].events_cap == 1;
    if (ck_is_event(o, "UNPLUG_PRIMARY") && o->host == OBS_SOURCE && state_known &&
        strcmp(st->g.status, "setup") != 0)
        mon_fail(m, o, "UNPLUG_PRIMARY comes in setup, when QEMU requests the unplug, not %s%s "
                       "(H-34)", st->g.status[0] ? "in " : "outside a migration",
                 st->g.status);
    if (s && strcmp(s, "setup") == 0) {
        st->expect = plugged(c, st->gone);
        st->cant_unplug = false;
    } else if (s && strcmp(st->g.status, "setup") == 0 && st->expect) {
        uint64_t missing = st->expect & ~st->g.unplug;
        if (strcmp(s, "failed") == 0 || strcmp(s, "cancelling") == 0) {
            /* setup ended before the notifiers ran (S3): nothing to say */
        } else if (!missing || st->cant_unplug) {
            mon_pass(m);
        } else if (st->plug_warn) {
            mon_unsure(m, "a primary may not have been plugged: QEMU warned that adding one "
                          "failed");
        } else {
            char ids[200];
            list_ids(ids, sizeof(ids), c, OBS_SOURCE, missing);
            mon_fail(m, o,
                     "QEMU requests the unplug of every plugged primary in setup "
                     "(UNPLUG_PRIMARY before the state leaves setup); none for %s (H-31, H-34)",
                     ids);
            mon_cite(m, &st->g.setup);
        }
    }
    if (s && strcmp(s, "completed") == 0)
        st->gone |= st->g.unplug;
    mig_track(&st->g, c, o);
}

const struct monitor_def mon_MIGS_001 = {
    .kinds = K_QMP | K_HOSTLOG, .size = sizeof(struct migs001), .init = migs001_init,
    .obs = migs001_obs,
};

/* ---- Waiting for the guest to let go of requested primaries (MIGS-003, MIGS-004) ------- */

/* At an event that needs the guest's unplugs completed (setup -> active,
 * wait-unplug -> active): primaries still registered wait here for their
 * unregistration, which decides between "too close to order" and FAIL. */
struct unreg_wait {
    struct ck_rec at;
    char ifname[VIEW_MAX_DEVS][16];
    char dev[VIEW_MAX_DEVS][CHECK_ID_LEN];
    unsigned n;
};

static void uw_start(struct mon *m, struct unreg_wait *w, uint64_t set, const struct ck_rec *ev)
{
    struct check *c = m->c;
    const struct view_host *vh = &c->view.host[OBS_SOURCE];
    w->at = *ev;
    w->n = 0;
    for (unsigned k = 0; k < vh->ndev && k < VIEW_MAX_DEVS; k++) {
        if (!mig_bit(set, k))
            continue;
        const struct view_if *f = view_if_of_primary(c, OBS_SOURCE, &vh->dev[k]);
        if (!f) {
            mon_unsure(m, "the guest console never showed primary '%s' as a slave", vh->dev[k].id);
        } else if (f->registered) {
            sim_strlcpy(w->ifname[w->n], f->name, sizeof(w->ifname[0]));
            sim_strlcpy(w->dev[w->n], vh->dev[k].id, sizeof(w->dev[0]));
            w->n++;
        } else if (ck_order(c, &f->changed, ev) == 0) {
            mon_unsure(m, "the unregistration of %s and the migration's %s cannot be ordered "
                          "(clock alignment)", f->name, "state change");
        } else {
            mon_pass(m);
        }
    }
}

static void uw_fail(struct mon *m, struct unreg_wait *w, unsigned i, const char *why)
{
    mon_fail_rec(m, &w->at, "%s: primary '%s' (slave %s) was still registered in the guest",
                 why, w->dev[i], w->ifname[i]);
}

static void uw_drop(struct unreg_wait *w, unsigned i)
{
    w->n--;
    memcpy(w->ifname[i], w->ifname[w->n], sizeof(w->ifname[0]));
    memcpy(w->dev[i], w->dev[w->n], sizeof(w->dev[0]));
}

static void uw_obs(struct mon *m, struct unreg_wait *w, const struct obs *o, const char *why)
{
    struct check *c = m->c;
    if (!w->n)
        return;
    if (ck_klog(o, KLOG_FO_PRIMARY_UNREGISTERED)) {
        for (unsigned i = 0; i < w->n; i++) {
            if (strcmp(w->ifname[i], o->u.klog.ifname) != 0)
                continue;
            struct ck_rec line;
            ck_keep(&line, o);
            if (ck_order(c, &line, &w->at) == 0) {
                mon_unsure(m, "the unregistration of %s and the migration's state change cannot "
                              "be ordered (clock alignment)", w->ifname[i]);
            } else {
                uw_fail(m, w, i, why);
                mon_cite(m, &line);
            }
            uw_drop(w, i);
            break;
        }
    }
    if (w->n && ck_covered(c, OBS_SOURCE, SPEC_SRC_CONSOLE, &w->at, 0)) {
        uw_fail(m, w, 0, why);
        w->n = 0;
    }
}

static void uw_end(struct mon *m, struct unreg_wait *w, const char *why)
{
    if (!w->n)
        return;
    if (ck_covered(m->c, OBS_SOURCE, SPEC_SRC_CONSOLE, &w->at, 0))
        uw_fail(m, w, 0, why);
    else
        mon_unsure(m, "the console ends before the unplug of '%s' could be ordered", w->dev[0]);
    w->n = 0;
}

/* ---- MIGS-002 / MIGS-003: wait-unplug iff an unplug was requested --------------------- */

struct migs_wu {
    struct mig g;
    struct unreg_wait w;
};

static void migs_wu_init(struct mon *m)
{
    struct migs_wu *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void migs002_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-002 */
{
    struct migs_wu *st = m->st;
    const char *s = src_status(o);
    if (s && strcmp(st->g.status, "setup") == 0 && st->g.unplug == 0) {
        if (strcmp(s, "wait-unplug") == 0) {
            mon_fail(m, o, "a migration that requested no unplug does not wait: setup goes to "
                           "active, not wait-unplug (H-37, bug 6.1)");
            mon_cite(m, &st->g.setup);
        } else {
            mon_pass(m);
        }
    }
    mig_track(&st->g, m->c, o);
}

const struct monitor_def mon_MIGS_002 = {
    .kinds = K_QMP, .size = sizeof(struct migs_wu), .init = migs_wu_init, .obs = migs002_obs,
};

#define MIGS003_WHY                                                                          \
    "after UNPLUG_PRIMARY the migration enters wait-unplug, not active, unless the guest had "  \
    "completed the unplug (H-37)"

static void migs003_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-003 */
{
    struct migs_wu *st = m->st;
    struct check *c = m->c;
    uw_obs(m, &st->w, o, MIGS003_WHY);
    const char *s = src_status(o);
    if (s && strcmp(st->g.status, "setup") == 0 && st->g.unplug) {
        if (strcmp(s, "wait-unplug") == 0) {
            mon_pass(m);
        } else if (strcmp(s, "active") == 0) {
            if (!ck_has(c, OBS_SOURCE, SPEC_SRC_CONSOLE)) {
                mon_unsure(m, "setup went to active after UNPLUG_PRIMARY: without the guest "
                              "console it cannot be told whether the unplug had completed");
            } else {
                struct ck_rec ev;
                ck_keep(&ev, o);
                uw_start(m, &st->w, st->g.unplug, &ev);
            }
        }
    }
    mig_track(&st->g, c, o);
}

static void migs003_end(struct mon *m)
{
    struct migs_wu *st = m->st;
    uw_end(m, &st->w, MIGS003_WHY);
}

const struct monitor_def mon_MIGS_003 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct migs_wu), .init = migs_wu_init,
    .obs = migs003_obs, .end = migs003_end,
};

/* ---- MIGS-004: active only after every unplug completed ------------------------------ */

#define MIGS004_WHY                                                                          \
    "the migration leaves wait-unplug only after the guest completed every requested unplug " \
    "(H-37, H-38)"

static void migs004_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-004 */
{
    struct migs_wu *st = m->st;
    uw_obs(m, &st->w, o, MIGS004_WHY);
    const char *s = src_status(o);
    if (s && strcmp(s, "active") == 0 && strcmp(st->g.status, "wait-unplug") == 0) {
        struct ck_rec ev;
        ck_keep(&ev, o);
        uw_start(m, &st->w, st->g.unplug, &ev);
    }
    mig_track(&st->g, m->c, o);
}

static void migs004_end(struct mon *m)
{
    struct migs_wu *st = m->st;
    uw_end(m, &st->w, MIGS004_WHY);
}

const struct monitor_def mon_MIGS_004 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct migs_wu), .init = migs_wu_init,
    .obs = migs004_obs, .end = migs004_end,
};

/* ---- MIGS-005: the 250 ms poll ------------------------------------------------------------ */

struct migs_g {
    struct mig g;
};

static void migs_g_init(struct mon *m)
{
    struct migs_g *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void migs005_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-005 */
{
    struct migs_g *st = m->st;
    const char *s = src_status(o);
    if (s && strcmp(s, "active") == 0 && strcmp(st->g.status, "wait-unplug") == 0) {
        sim_time d = o->t - st->g.wu.t;
        int64_t polls = d / CK_POLL;
        sim_time rem = d - polls * CK_POLL;
        sim_time tol = SIM_MS(10) + polls * SIM_MS(1);
        if (d >= 0 && rem <= tol) {
            mon_pass(m);
        } else {
            mon_fail(m, o,
                     "wait-unplug is polled every 250 ms: active comes a whole number of polls "
                     "after wait-unplug (here %.6f s, %.1f ms past a poll; allowed %.1f ms)",
                     (double)d / 1e9, (double)rem / 1e6, (double)tol / 1e6);
            mon_cite(m, &st->g.wu);
        }
    }
    mig_track(&st->g, m->c, o);
}

const struct monitor_def mon_MIGS_005 = {
    .kinds = K_QMP, .size = sizeof(struct migs_g), .init = migs_g_init, .obs = migs005_obs,
};

/* ---- MIGS-006: a stopped guest keeps the migration in wait-unplug ------------------------- */

struct migs006 {
    struct mig g;
    bool stopped_req;         /* an unplug was requested while the VM was stopped */
    bool resumed;
    struct ck_rec req;
};

static void migs006_init(struct mon *m)
{
    struct migs006 *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void migs006_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-006 */
{
    struct migs006 *st = m->st;
    struct check *c = m->c;
    if (o->host != OBS_SOURCE)
        return;
    const char *s = ck_migration(o);
    if (s && strcmp(s, "setup") == 0) {
        st->stopped_req = st->resumed = false;
    } else if (ck_is_event(o, "UNPLUG_PRIMARY") && !c->view.host[OBS_SOURCE].running &&
               !st->stopped_req) {
        st->stopped_req = true;
        ck_keep(&st->req, o);
    } else if (ck_is_event(o, "RESUME")) {
        st->resumed = true;
    } else if (s && st->stopped_req && strcmp(s, "cancelling") != 0 &&
               strcmp(s, "wait-unplug") != 0 && strcmp(s, "failed") != 0 &&
               strcmp(s, "cancelled") != 0) {
        if (st->resumed) {
            mon_pass(m);
        } else {
            mon_fail(m, o,
                     "a stopped guest cannot complete the unplug: the migration stays in "
                     "wait-unplug until the VM resumes (H-41)");
            mon_cite(m, &st->req);
        }
        st->stopped_req = false;
    }
    mig_track(&st->g, c, o);
}

const struct monitor_def mon_MIGS_006 = {
    .kinds = K_QMP, .size = sizeof(struct migs006), .init = migs006_init, .obs = migs006_obs,
};

/* ---- MIGS-007: the source's state table ----------------------------------------------------- */

static bool in_list(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return true;
    return false;
}

/* 1 allowed, 0 outside the failover table (postcopy), -1 forbidden. */
static int src_transition(const char *from, const char *to)
{
    static const char *const post[] = { "postcopy-active", "postcopy-paused", "postcopy-recover",
                                        NULL };
    static const char *const restart[] = { "completed", "failed", "cancelled", "none", NULL };
    static const char *const from_setup[] = { "wait-unplug", "active", "cancelling", "failed",
                                              NULL };
    static const char *const from_wu[] = { "active", "cancelling", NULL };
    static const char *const from_active[] = { "completed", "cancelling", "failed",
                                               "pre-switchover", "device", NULL };
    static const char *const from_pre[] = { "device", "cancelling", "failed", NULL };
    static const char *const from_dev[] = { "completed", "cancelling", "failed", NULL };
    static const char *const from_cancelling[] = { "cancelled", NULL };
    if (in_list(from, post) || in_list(to, post))
        return 0;
    if (strcmp(to, "setup") == 0)
        return in_list(from, restart) ? 1 : -1;
    const char *const *allowed = strcmp(from, "setup") == 0            ? from_setup
                                 : strcmp(from, "wait-unplug") == 0    ? from_wu
                                 : strcmp(from, "active") == 0         ? from_active
                                 : strcmp(from, "pre-switchover") == 0 ? from_pre
                                 : strcmp(from, "device") == 0         ? from_dev
                                 : strcmp(from, "cancelling") == 0     ? from_cancelling
                                                                       : NULL;
    return allowed && in_list(to, allowed) ? 1 : -1;
}

static void migs007_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-007 */
{
    struct migs_g *st = m->st;
    const char *s = src_status(o);
    if (s && st->g.status[0]) {
        int r = src_transition(st->g.status, s);
        if (r > 0) {
            mon_pass(m);
        } else if (r == 0) {
            mon_unsure(m, "postcopy states (%s -> %s) are outside the failover state table",
                       st->g.status, s);
        } else {
            mon_fail(m, o, "the source's migration state changes along the table of §3.1; "
                           "%s -> %s is not in it", st->g.status, s);
            mon_cite(m, &st->g.entered);
        }
    }
    mig_track(&st->g, m->c, o);
}

const struct monitor_def mon_MIGS_007 = {
    .kinds = K_QMP, .size = sizeof(struct migs_g), .init = migs_g_init, .obs = migs007_obs,
};

/* ---- MIGS-008: the switchover stop comes in active ---------------------------------------- */

static bool stop_waiting(const struct view_host *vh)
{
    for (unsigned k = 0; k < vh->ncmds; k++)
        if (strcmp(vh->cmds[(vh->cmd_head + k) % VIEW_MAX_CMDS].name, "stop") == 0)
            return true;
    return false;
}

static void migs008_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-008 */
{
    struct migs_g *st = m->st;
    struct check *c = m->c;
    if (ck_is_event(o, "STOP") && o->host == OBS_SOURCE && ck_mig_running(st->g.status)) {
        bool early = strcmp(st->g.status, "setup") == 0 || strcmp(st->g.status, "wait-unplug") == 0;
        if (!early || stop_waiting(&c->view.host[OBS_SOURCE])) {
            mon_pass(m);
        } else {
            mon_fail(m, o, "the source stops the VM for switchover only in active, not in %s "
                           "(no 'stop' command asked for it: H-38)", st->g.status);
            mon_cite(m, &st->g.entered);
        }
    }
    mig_track(&st->g, c, o);
}

const struct monitor_def mon_MIGS_008 = {
    .kinds = K_QMP, .size = sizeof(struct migs_g), .init = migs_g_init, .obs = migs008_obs,
};

/* ---- MIGS-009: page iteration starts in active --------------------------------------------- */

static void migs009_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-009 */
{
    struct migs_g *st = m->st;
    if (ck_is_event(o, "MIGRATION_PASS") && o->host == OBS_SOURCE && o->u.qmp.pass >= 2) {
        if (strcmp(st->g.status, "setup") == 0 || strcmp(st->g.status, "wait-unplug") == 0) {
            mon_fail(m, o, "page iteration starts in active: MIGRATION_PASS %d does not come "
                           "in %s (H-38)", o->u.qmp.pass, st->g.status);
            mon_cite(m, &st->g.entered);
        } else {
            mon_pass(m);
        }
    }
    mig_track(&st->g, m->c, o);
}

const struct monitor_def mon_MIGS_009 = {
    .kinds = K_QMP, .size = sizeof(struct migs_g), .init = migs_g_init, .obs = migs009_obs,
};

/* ---- MIGS-010: query-migrate fields per state ------------------------------------------------ */

static void migs010_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-010 */
{
    struct check *c = m->c;
    if (o->host != OBS_SOURCE || !ck_is_reply_to(c, o, "query-migrate") || o->u.qmp.is_error)
        return;
    const json_t *ret = json_object_get(o->u.qmp.json, "return");
    const char *s = o->u.qmp.status;
    bool tt = json_object_get(ret, "total-time") != NULL;
    bool ram = json_object_get(ret, "ram") != NULL;
    if (strcmp(s, "setup") == 0 || strcmp(s, "wait-unplug") == 0) {
        if (tt || ram)
            mon_fail(m, o, "query-migrate reports %s with the status only, no total-time or "
                           "RAM statistics (§3.1)", s);
        else
            mon_pass(m);
    } else if (strcmp(s, "active") == 0 || strcmp(s, "cancelling") == 0) {
        if (tt)
            mon_pass(m);
        else
            mon_fail(m, o, "query-migrate reports total-time in %s (§3.1)", s);
    }
}

const struct monitor_def mon_MIGS_010 = { .kinds = K_QMP, .obs = migs010_obs };

/* ---- MIGS-011: UNPLUG_PRIMARY names a primary ------------------------------------------------ */

static void migs011_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-011 */
{
    struct check *c = m->c;
    if (!ck_is_event(o, "UNPLUG_PRIMARY") || !ck_has(c, o->host, SPEC_SRC_CONFIG))
        return;
    struct view_dev *d = view_dev(c, o->host, o->u.qmp.device_id);
    if (view_pair_of(c, o->host, d))
        mon_pass(m);
    else
        mon_fail(m, o, "UNPLUG_PRIMARY names the primary being unplugged (a device with "
                       "failover_pair_id naming a failover standby); '%s' is not one (H-34)",
                 o->u.qmp.device_id);
}

const struct monitor_def mon_MIGS_011 = { .kinds = K_QMP, .obs = migs011_obs };

/* ---- MIGS-012: a removed standby takes no part in later migrations -------------------------- */

struct migs012 {
    struct mig g;
    uint64_t watch;           /* primaries of removed standbys, this migration */
    struct ck_rec removed[VIEW_MAX_DEVS];
};

static void migs012_init(struct mon *m)
{
    struct migs012 *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void migs012_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-012 */
{
    struct migs012 *st = m->st;
    struct check *c = m->c;
    if (o->host != OBS_SOURCE || !ck_has(c, OBS_SOURCE, SPEC_SRC_CONFIG))
        return;
    struct view_host *vh = &c->view.host[OBS_SOURCE];
    const char *s = ck_migration(o);
    if (ck_is_event(o, "DEVICE_DELETED")) {
        const json_t *dev = json_object_get(json_object_get(o->u.qmp.json, "data"), "device");
        struct view_dev *d = json_is_string(dev) ? view_dev(c, OBS_SOURCE, json_string_value(dev))
                                                 : NULL;
        if (d && d->role == OBS_ROLE_STANDBY)
            ck_keep(&st->removed[d - vh->dev], o);
    } else if (s && strcmp(s, "setup") == 0) {
        st->watch = 0;
        for (unsigned k = 0; k < vh->ndev && k < VIEW_MAX_DEVS; k++) {
            const struct view_dev *p = &vh->dev[k];
            const struct view_dev *sb = p->role == OBS_ROLE_PRIMARY ? view_dev(c, OBS_SOURCE, p->pair)
                                                                    : NULL;
            if (sb && sb->deleted && st->removed[sb - vh->dev].valid && !p->deleted)
                st->watch |= (uint64_t)1 << k;
        }
    } else if (ck_is_event(o, "UNPLUG_PRIMARY")) {
        struct view_dev *p = view_dev(c, OBS_SOURCE, o->u.qmp.device_id);
        if (p && mig_bit(st->watch, (unsigned)(p - vh->dev))) {
            mon_fail(m, o, "no failover action for '%s' after its standby '%s' was removed "
                           "(the migration notifier goes with it: H-05)", p->id, p->pair);
            const struct view_dev *sb = view_dev(c, OBS_SOURCE, p->pair);
            if (sb)
                mon_cite(m, &st->removed[sb - vh->dev]);
            st->watch &= ~((uint64_t)1 << (p - vh->dev));
        }
    } else if (s && strcmp(st->g.status, "setup") == 0 && st->watch) {
        for (unsigned k = 0; k < VIEW_MAX_DEVS; k++)
            if (mig_bit(st->watch, k))
                mon_pass(m);
        st->watch = 0;
    }
    mig_track(&st->g, c, o);
}

const struct monitor_def mon_MIGS_012 = {
    .kinds = K_QMP, .size = sizeof(struct migs012), .init = migs012_init, .obs = migs012_obs,
};

/* ---- MIGS-013 / MIGS-014: wait-unplug ends when the guest's unplug completes --------------- */

/*
 * The guest's part of an unplug ends with the removal of the requested
 * primaries (their slave unregistered, their driver's "removed" line).
 * QEMU's part follows: with native hotplug the unplug completes when the
 * guest turns the slot's power indicator off, which pciehp does 1 s after
 * powering the slot off (G-80; hw/pci/pcie.c pcie_cap_slot_write_config
 * detaches only when power and indicator are both off); with ACPI the
 * eject follows the removal at once.  QEMU then notices at its next
 * 250 ms poll (H-38).
 */
#define PCIEHP_OFF_WAIT SIM_S(1)
/* The driver's removal goes on after its last console line (unregister_netdev
 * follows "removed PHC" by 80 ms in the real runs; a bonded primary prints no
 * unregistration at all). */
#define REMOVAL_TAIL SIM_MS(500)

struct migs_done {
    struct mig g;
    uint64_t removed;         /* requested primaries removed in this migration */
    struct ck_rec last;       /* the latest of their removal lines */
    bool stopped;             /* the VM stopped after the last removal */
    bool judged;
};

static void migs_done_init(struct mon *m)
{
    struct migs_done *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

/* Follow removals and stops; true when every requested primary is removed. */
static bool migs_done_track(struct migs_done *st, struct check *c, const struct obs *o)
{
    const char *s = src_status(o);
    if (s && strcmp(s, "setup") == 0) {
        st->removed = 0;
        st->last.valid = st->stopped = st->judged = false;
    }
    if (o->host == OBS_SOURCE && ck_is_event(o, "STOP") && st->last.valid)
        st->stopped = true;
    const char *gone = ck_removal(o);
    if (gone && o->host == OBS_SOURCE && ck_mig_running(st->g.status)) {
        struct view_if *f = view_if(c, gone);
        struct view_dev *p = f ? view_primary_of_if(c, OBS_SOURCE, f) : NULL;
        const struct view_host *vh = &c->view.host[OBS_SOURCE];
        if (p && mig_bit(st->g.unplug, (unsigned)(p - vh->dev))) {
            st->removed |= (uint64_t)1 << (p - vh->dev);
            ck_keep(&st->last, o);
            st->stopped = false;
        }
    }
    return st->g.unplug && (st->removed & st->g.unplug) == st->g.unplug && st->last.valid;
}

/* When QEMU has noticed at the latest: the removal and its tail, pciehp's
 * 1 s (native or unknown hotplug), one poll, and the poll tolerance since
 * wait-unplug. */
static sim_time migs013_deadline(const struct check *c, const struct migs_done *st)
{
    sim_time t = st->last.t + REMOVAL_TAIL + CK_POLL;
    if (c->ctx.host[OBS_SOURCE].hotplug != CHECK_HOTPLUG_ACPI)
        t += PCIEHP_OFF_WAIT;
    sim_time polls = st->g.wu.valid ? (t - st->g.wu.t) / CK_POLL : 0;
    return t + CK_SETTLE + (polls > 0 ? polls : 0) * SIM_MS(1);
}

static void migs013_late(struct mon *m, const struct ck_rec *at)
{
    struct migs_done *st = m->st;
    mon_fail_rec(m, at,
                 "once the guest has removed every primary the migration asked to unplug, "
                 "wait-unplug ends at QEMU's next poll after the unplug completes (%s); it "
                 "had not %.3f s after the last removal",
                 m->c->ctx.host[OBS_SOURCE].hotplug == CHECK_HOTPLUG_ACPI
                     ? "ACPI: at the eject"
                     : "native: when pciehp turns the power indicator off, 1 s after power-off",
                 (double)(at->t - st->last.t) / 1e9);
    mon_cite(m, &st->last);
    mon_cite(m, &st->g.wu);
}

static void migs013_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-013 */
{
    struct migs_done *st = m->st;
    struct check *c = m->c;
    bool all = migs_done_track(st, c, o);
    bool waiting = strcmp(st->g.status, "wait-unplug") == 0;
    const char *s = src_status(o);
    if (all && waiting && !st->judged && !st->stopped) {
        sim_time deadline = migs013_deadline(c, st);
        sim_time tol = ck_tol(c, &st->last);
        if (s && strcmp(s, "wait-unplug") != 0) { /* it leaves */
            struct ck_rec ev;
            ck_keep(&ev, o);
            if (ck_order(c, &st->last, &ev) == 0)
                ; /* the removal in the same instant: MIGS-004 judges that */
            else if (o->t <= deadline + tol)
                mon_pass(m);
            else
                migs013_late(m, &ev);
            st->judged = true;
        } else if (ck_covered_t(c, OBS_SOURCE, SPEC_SRC_QMP, deadline, tol)) {
            struct ck_rec now;
            ck_keep(&now, o);
            migs013_late(m, o->host == OBS_SOURCE && ck_src(o) == SPEC_SRC_QMP ? &now : &st->last);
            st->judged = true;
        }
    }
    mig_track(&st->g, c, o);
}

static void migs013_end(struct mon *m)
{
    struct migs_done *st = m->st;
    struct check *c = m->c;
    bool all = st->g.unplug && (st->removed & st->g.unplug) == st->g.unplug && st->last.valid;
    if (!all || st->judged || st->stopped || strcmp(st->g.status, "wait-unplug") != 0)
        return;
    sim_time deadline = migs013_deadline(c, st);
    if (ck_covered_t(c, OBS_SOURCE, SPEC_SRC_QMP, deadline, ck_tol(c, &st->last)))
        migs013_late(m, &st->last);
    else
        mon_unsure(m, "the QMP log ends in wait-unplug too soon after the guest's removal to "
                      "tell");
}

const struct monitor_def mon_MIGS_013 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct migs_done), .init = migs_done_init,
    .obs = migs013_obs, .end = migs013_end,
};

static void migs014_obs(struct mon *m, const struct obs *o) /* IMP: MIGS-014 */
{
    struct migs_done *st = m->st;
    struct check *c = m->c;
    bool all = migs_done_track(st, c, o);
    const char *s = src_status(o);
    if (s && strcmp(s, "active") == 0 && strcmp(st->g.status, "wait-unplug") == 0 && all &&
        c->ctx.host[OBS_SOURCE].hotplug == CHECK_HOTPLUG_NATIVE) {
        struct ck_rec ev;
        ck_keep(&ev, o);
        sim_time d = ev.t - st->last.t;
        sim_time tol = ck_tol(c, &st->last) + ck_tol(c, &ev);
        if (ck_order(c, &st->last, &ev) == 0) {
            /* the removal in the same instant may come after it: MIGS-004's case */
        } else if (d >= PCIEHP_OFF_WAIT) {
            mon_pass(m);
        } else if (d >= PCIEHP_OFF_WAIT - tol) {
            mon_unsure(m, "active %.3f s after the guest's last removal: within the alignment "
                          "tolerance of pciehp's 1 s", (double)d / 1e9);
        } else {
            mon_fail(m, o,
                     "with native hotplug QEMU's unplug completes only when pciehp turns the "
                     "power indicator off, 1 s after powering the slot off: active came %.3f s "
                     "after the guest's last removal",
                     (double)d / 1e9);
            mon_cite(m, &st->last);
        }
    }
    mig_track(&st->g, c, o);
}

const struct monitor_def mon_MIGS_014 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct migs_done), .init = migs_done_init,
    .obs = migs014_obs,
};
