/*
 * Monitors of area MIGD: the migration destination (the target host) --
 * negotiation during the load, the primary hidden until then and plugged
 * after, the destination's state table, no split brain, RARP and ordering
 * (H-52..H-56, §3.2).  What the guest negotiated comes from the source: the
 * standbys with FAILOVER_NEGOTIATED on the source before its migration's
 * setup (view: negotiated_before_migration).
 */
#include <string.h>

#include "hide.h"
#include "mig.h"
#include "monitor.h"

/* An incoming migration of the target as the monitors follow it. */
struct inc {
    bool running;             /* being received (setup/active) */
    bool resumed;             /* its autostart RESUME came */
    bool outgoing;            /* a 'migrate' was sent to the target itself */
    uint64_t neg;             /* target standbys negotiated during it */
    struct ck_rec neg_rec[VIEW_MAX_DEVS];
    int last_neg;             /* view index of the latest one, -1 */
    struct ck_rec start;
};

static void inc_track(struct inc *g, const struct check *c, const struct obs *o)
{
    (void)c;
    if (o->host != OBS_TARGET)
        return;
    if (ck_is_command(o, "migrate"))
        g->outgoing = true;
    const char *s = ck_migration(o);
    if (s && !g->running && !g->outgoing &&
        (strcmp(s, "setup") == 0 || strcmp(s, "active") == 0)) {
        g->running = true;
        g->resumed = false;
        g->neg = 0;
        g->last_neg = -1;
        ck_keep(&g->start, o);
    } else if (s && (strcmp(s, "completed") == 0 || strcmp(s, "failed") == 0)) {
        g->running = false;
    } else if (ck_is_event(o, "RESUME") && g->running) {
        g->resumed = true;
    }
}

/* The target view index of FAILOVER_NEGOTIATED's standby during an incoming
 * migration, recorded; -1 otherwise. */
static int inc_neg(struct inc *g, struct check *c, const struct obs *o)
{
    if (o->host != OBS_TARGET || !g->running || g->resumed ||
        !ck_is_event(o, "FAILOVER_NEGOTIATED"))
        return -1;
    struct view_host *vh = &c->view.host[OBS_TARGET];
    struct view_dev *d = view_dev(c, OBS_TARGET, o->u.qmp.device_id);
    if (!d || d - vh->dev >= VIEW_MAX_DEVS)
        return -1;
    int k = (int)(d - vh->dev);
    g->neg |= (uint64_t)1 << k;
    ck_keep(&g->neg_rec[k], o);
    return k;
}

/* Did standby `id` negotiate on the source before its migration? */
static bool src_negotiated(struct check *c, const char *id)
{
    const struct view_dev *d = view_dev(c, OBS_SOURCE, id);
    return d && d->role == OBS_ROLE_STANDBY && d->negotiated_before_migration;
}

static bool is_standby(const struct view_dev *d)
{
    return d->role == OBS_ROLE_STANDBY && !d->deleted;
}

/* ---- MIGD-001: FAILOVER_NEGOTIATED during the load ----------------------------------- */

/* At a verdict point of an incoming migration: every target standby that
 * negotiated on the source passes if it negotiated again during the load,
 * else fails with `required` (a format naming the standby's id). */
static void inc_judge(struct mon *m, struct inc *g, const struct obs *o, const char *required)
    __attribute__((format(printf, 4, 0)));
static void inc_judge(struct mon *m, struct inc *g, const struct obs *o, const char *required)
{
    struct check *c = m->c;
    const struct view_host *vh = &c->view.host[OBS_TARGET];
    for (unsigned k = 0; k < vh->ndev && k < VIEW_MAX_DEVS; k++) {
        if (!is_standby(&vh->dev[k]) || !src_negotiated(c, vh->dev[k].id))
            continue;
        if (mig_bit(g->neg, k)) {
            mon_pass(m);
        } else {
            mon_fail(m, o, required, vh->dev[k].id);
            mon_cite(m, &g->start);
        }
    }
}

static void migd001_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-001 */
{
    struct inc *g = m->st;
    struct check *c = m->c;
    inc_neg(g, c, o);
    const char *s = o->host == OBS_TARGET ? ck_migration(o) : NULL;
    if (s && g->running && strcmp(s, "completed") == 0)
        inc_judge(m, g, o,
                  "loading standby '%s', negotiated on the source, emits "
                  "FAILOVER_NEGOTIATED on the destination (H-53)");
    inc_track(g, c, o);
}

const struct monitor_def mon_MIGD_001 = {
    .kinds = K_QMP, .size = sizeof(struct inc), .obs = migd001_obs,
};

/* ---- MIGD-002 / MIGD-009: hidden until negotiated, on the target ------------------------ */

static void migd002_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-002 */
{
    hide_seen_obs(m, o, OBS_TARGET);
}

static void migd002_end(struct mon *m)
{
    hide_seen_end(m, OBS_TARGET);
}

const struct monitor_def mon_MIGD_002 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct hide_seen), .obs = migd002_obs,
    .end = migd002_end,
};

static void migd009_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-009 */
{
    hide_qpci_obs(m, o, OBS_TARGET);
}

const struct monitor_def mon_MIGD_009 = { .kinds = K_QMP, .obs = migd009_obs };

/* ---- MIGD-003 / MIGD-004: before RESUME, exactly the negotiated ones --------------------- */

static void migd003_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-003 */
{
    struct inc *g = m->st;
    struct check *c = m->c;
    inc_neg(g, c, o);
    if (o->host == OBS_TARGET && ck_is_event(o, "RESUME") && g->running && !g->resumed)
        inc_judge(m, g, o,
                  "the destination negotiates standby '%s' (and plugs its primary) "
                  "during the load, before the VM resumes (H-53)");
    inc_track(g, c, o);
}

const struct monitor_def mon_MIGD_003 = {
    .kinds = K_QMP, .size = sizeof(struct inc), .obs = migd003_obs,
};

struct migd004 {
    struct inc g;
    uint64_t failed;
};

static void migd004_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-004 */
{
    struct migd004 *st = m->st;
    struct check *c = m->c;
    int k = inc_neg(&st->g, c, o);
    const struct view_host *vh = &c->view.host[OBS_TARGET];
    if (k >= 0 && !src_negotiated(c, vh->dev[k].id)) {
        mon_fail(m, o,
                 "no FAILOVER_NEGOTIATED for '%s' during the load: the guest did not negotiate "
                 "STANDBY on the source (H-54)",
                 vh->dev[k].id);
        st->failed |= (uint64_t)1 << k;
    }
    bool end = o->host == OBS_TARGET && st->g.running && !st->g.resumed &&
               (ck_is_event(o, "RESUME") ||
                (ck_migration(o) && !ck_mig_running(o->u.qmp.status)));
    if (end) {
        for (unsigned i = 0; i < vh->ndev && i < VIEW_MAX_DEVS; i++)
            if (is_standby(&vh->dev[i]) && !src_negotiated(c, vh->dev[i].id) &&
                !mig_bit(st->failed, i))
                mon_pass(m);
        st->failed = 0;
    }
    inc_track(&st->g, c, o);
}

const struct monitor_def mon_MIGD_004 = {
    .kinds = K_QMP, .size = sizeof(struct migd004), .obs = migd004_obs,
};

/* ---- MIGD-005: the primary registers again on the destination --------------------------- */

struct migd005 {
    struct inc g;
    unsigned want, got;
    struct ck_rec resume;     /* valid while waiting */
    struct ck_rec last_reg;   /* the latest primary registration on the target */
};

static void migd005_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-005 */
{
    struct migd005 *st = m->st;
    struct check *c = m->c;
    if (o->host == OBS_TARGET && ck_klog(o, KLOG_FO_PRIMARY_REGISTERED) && !st->resume.valid)
        ck_keep(&st->last_reg, o);
    if (st->resume.valid) {
        if (o->host == OBS_TARGET && ck_klog(o, KLOG_FO_PRIMARY_REGISTERED) &&
            ++st->got >= st->want) {
            mon_pass(m);
            st->resume.valid = false;
        } else if (ck_covered(c, OBS_TARGET, SPEC_SRC_CONSOLE, &st->resume, CK_PLUG)) {
            mon_fail_rec(m, &st->resume,
                         "after the VM resumes on the destination, net_failover registers the "
                         "primary again (%u expected, %u seen within 30 s)",
                         st->want, st->got);
            st->resume.valid = false;
        }
    }
    if (o->host == OBS_TARGET && ck_is_event(o, "RESUME") && st->g.running && !st->g.resumed) {
        const struct view_host *vh = &c->view.host[OBS_TARGET];
        st->want = st->got = 0;
        for (unsigned k = 0; k < vh->ndev; k++) {
            const struct view_dev *s = &vh->dev[k];
            if (!is_standby(s) || !src_negotiated(c, s->id))
                continue;
            for (unsigned j = 0; j < vh->ndev; j++)
                if (vh->dev[j].role == OBS_ROLE_PRIMARY && strcmp(vh->dev[j].pair, s->id) == 0) {
                    st->want++;
                    break;
                }
        }
        if (st->want) {
            ck_keep(&st->resume, o);
            /* a registration in the same instant may come first in a merge */
            if (st->last_reg.valid && ck_order(c, &st->last_reg, &st->resume) == 0)
                st->got++;
            if (st->got >= st->want) {
                mon_pass(m);
                st->resume.valid = false;
            }
        }
    }
    inc_track(&st->g, c, o);
}

static void migd005_end(struct mon *m)
{
    struct migd005 *st = m->st;
    if (st->resume.valid && ck_covered(m->c, OBS_TARGET, SPEC_SRC_CONSOLE, &st->resume, CK_PLUG))
        mon_fail_rec(m, &st->resume,
                     "after the VM resumes on the destination, net_failover registers the "
                     "primary again (%u expected, %u seen within 30 s)",
                     st->want, st->got);
    else if (st->resume.valid)
        mon_unsure(m, "the trace ends within 30 s of the destination's RESUME (%u of %u "
                      "primaries registered)", st->got, st->want);
}

const struct monitor_def mon_MIGD_005 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct migd005), .obs = migd005_obs,
    .end = migd005_end,
};

/* ---- MIGD-006: the destination's state table --------------------------------------------- */

struct migd006 {
    char status[24];
    struct ck_rec entered;
};

static void migd006_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-006 */
{
    struct migd006 *st = m->st;
    const char *s = o->host == OBS_TARGET ? ck_migration(o) : NULL;
    if (!s)
        return;
    const char *from = st->status;
    bool post = strncmp(s, "postcopy", 8) == 0 || strncmp(from, "postcopy", 8) == 0;
    bool ok = false;
    if (!from[0] || strcmp(from, "completed") == 0 || strcmp(from, "failed") == 0)
        ok = strcmp(s, "setup") == 0 || strcmp(s, "active") == 0;
    else if (strcmp(from, "setup") == 0)
        ok = strcmp(s, "active") == 0 || strcmp(s, "failed") == 0;
    else if (strcmp(from, "active") == 0)
        ok = strcmp(s, "completed") == 0 || strcmp(s, "failed") == 0;
    if (post) {
        mon_unsure(m, "postcopy states (%s -> %s) are outside the destination's table", from, s);
    } else if (ok) {
        mon_pass(m);
    } else {
        mon_fail(m, o, "the destination's states follow none -> setup -> active -> completed | "
                       "failed; %s -> %s is not in it (§3.2)", from[0] ? from : "none", s);
        mon_cite(m, &st->entered);
    }
    sim_strlcpy(st->status, s, sizeof(st->status));
    ck_keep(&st->entered, o);
}

const struct monitor_def mon_MIGD_006 = {
    .kinds = K_QMP, .size = sizeof(struct migd006), .obs = migd006_obs,
};

/* ---- MIGD-007: no split brain --------------------------------------------------------------- */

struct migd007 {
    struct inc g;
    struct ck_rec stop;       /* the source's STOP since its latest setup */
    struct ck_rec resume;     /* a RESUME waiting for the source's STOP */
};

static void migd007_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-007 */
{
    struct migd007 *st = m->st;
    struct check *c = m->c;
    const char *s = ck_migration(o);
    if (o->host == OBS_SOURCE && s && strcmp(s, "setup") == 0)
        st->stop.valid = false;
    if (o->host == OBS_SOURCE && ck_is_event(o, "STOP")) {
        ck_keep(&st->stop, o);
        if (st->resume.valid) {
            if (ck_order(c, &st->stop, &st->resume) == 0) {
                mon_unsure(m, "the source's STOP and the destination's RESUME cannot be ordered "
                              "(host clocks)");
            } else {
                mon_fail_rec(m, &st->resume, "the destination resumes the VM only after the "
                                             "source stopped it (no split brain)");
                mon_cite(m, &st->stop);
            }
            st->resume.valid = false;
        }
    }
    if (o->host == OBS_TARGET && ck_is_event(o, "RESUME") && st->g.running && !st->g.resumed) {
        struct ck_rec r;
        ck_keep(&r, o);
        if (!st->stop.valid) {
            st->resume = r;
        } else {
            int ord = ck_order(c, &st->stop, &r);
            if (ord < 0)
                mon_pass(m);
            else if (ord == 0)
                mon_unsure(m, "the source's STOP and the destination's RESUME cannot be "
                              "ordered (host clocks)");
            else
                mon_fail(m, o, "the destination resumes the VM only after the source stopped "
                               "it (no split brain)");
        }
    }
    inc_track(&st->g, c, o);
}

static void migd007_end(struct mon *m)
{
    struct migd007 *st = m->st;
    if (st->resume.valid && !ck_covered(m->c, OBS_SOURCE, SPEC_SRC_QMP, &st->resume, 0))
        mon_unsure(m, "the source's QMP log ends before the destination's RESUME");
    else if (st->resume.valid)
        mon_fail_rec(m, &st->resume, "the destination resumes the VM only after the source "
                                     "stopped it; the source never emitted STOP");
}

const struct monitor_def mon_MIGD_007 = {
    .kinds = K_QMP, .size = sizeof(struct migd007), .obs = migd007_obs, .end = migd007_end,
};

/* ---- MIGD-008: no UNPLUG_PRIMARY on the destination ----------------------------------------- */

struct migd008 {
    struct inc g;
    bool bad;
};

static void migd008_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-008 */
{
    struct migd008 *st = m->st;
    if (o->host == OBS_TARGET) {
        if (ck_is_event(o, "UNPLUG_PRIMARY") && st->g.running && !st->g.outgoing) {
            mon_fail(m, o, "the destination emits no UNPLUG_PRIMARY while it receives a "
                           "migration (the event belongs to the source side)");
            mon_cite(m, &st->g.start);
            st->bad = true;
        }
        const char *s = ck_migration(o);
        if (s && st->g.running && !ck_mig_running(s)) {
            if (!st->bad)
                mon_pass(m);
            st->bad = false;
        }
    }
    inc_track(&st->g, m->c, o);
}

const struct monitor_def mon_MIGD_008 = {
    .kinds = K_QMP, .size = sizeof(struct migd008), .obs = migd008_obs,
};

/* ---- MIGD-010: load order ---------------------------------------------------------------- */

struct migd010 {
    struct inc g;
    unsigned nneg;
    bool bad;
};

static void migd010_obs(struct mon *m, const struct obs *o) /* IMP: MIGD-010 */
{
    struct migd010 *st = m->st;
    struct check *c = m->c;
    int prev = st->g.last_neg;
    int k = inc_neg(&st->g, c, o);
    if (k >= 0) {
        const struct view_host *vh = &c->view.host[OBS_TARGET];
        if (prev >= 0 && k < prev && vh->dev[k].configured && vh->dev[prev].configured) {
            mon_fail(m, o,
                     "the destination loads standbys in order: '%s' (configured first) is "
                     "negotiated after '%s' (H-53)",
                     vh->dev[k].id, vh->dev[prev].id);
            mon_cite(m, &st->g.neg_rec[prev]);
            st->bad = true;
        }
        st->g.last_neg = k;
        st->nneg++;
    }
    const char *s = o->host == OBS_TARGET ? ck_migration(o) : NULL;
    if (s && st->g.running && !ck_mig_running(s)) {
        if (st->nneg >= 2 && !st->bad)
            mon_pass(m);
        st->nneg = 0;
        st->bad = false;
    }
    inc_track(&st->g, c, o);
}

const struct monitor_def mon_MIGD_010 = {
    .kinds = K_QMP, .size = sizeof(struct migd010), .obs = migd010_obs,
};
