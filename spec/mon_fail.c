/*
 * Monitors of area FAIL: cancel and failure on the source -- cancelling at
 * once, the 30 s grace for an unplug under way and its warning, the replug
 * after cancelled/failed (and only then), the primary an ordinary device
 * again afterwards (H-43..H-49, bug history 6.3, 6.8-6.10, 6.14).
 */
#include <jansson.h>
#include <string.h>

#include "mig.h"
#include "monitor.h"

/* Cancelling entered while an unplug may be pending: from setup after an
 * UNPLUG_PRIMARY, or from wait-unplug. */
static bool cancel_in_wait(const struct mig *g, const char *s)
{
    return strcmp(s, "cancelling") == 0 &&
           (strcmp(g->status, "wait-unplug") == 0 ||
            (strcmp(g->status, "setup") == 0 && g->unplug));
}

static bool ended(const char *s)
{
    return strcmp(s, "cancelled") == 0 || strcmp(s, "failed") == 0;
}

/* ---- FAIL-001: cancelling at once ------------------------------------------------------ */

struct fail001 {
    struct ck_rec cmd;        /* a migrate_cancel while the migration ran */
    bool replied;
    bool cancelling_seen;     /* cancelling came before the reply */
};

static void fail001_obs(struct mon *m, const struct obs *o) /* IMP: FAIL-001 */
{
    struct fail001 *st = m->st;
    struct check *c = m->c;
    if (o->host != OBS_SOURCE)
        return;
    const char *s = ck_migration(o);
    if (ck_is_command(o, "migrate_cancel")) {
        st->cmd.valid = ck_mig_running(c->view.host[OBS_SOURCE].status) &&
                        strcmp(c->view.host[OBS_SOURCE].status, "cancelling") != 0;
        if (st->cmd.valid)
            ck_keep(&st->cmd, o);
        st->replied = st->cancelling_seen = false;
        return;
    }
    if (!st->cmd.valid)
        return;
    if (ck_is_reply_to(c, o, "migrate_cancel")) {
        st->replied = true;
        if (o->u.qmp.is_error)
            st->cmd.valid = false;
        else if (st->cancelling_seen) {
            mon_pass(m);
            st->cmd.valid = false;
        }
        return;
    }
    if (s) {
        sim_time late = o->t - st->cmd.t - (st->cmd.t_approx ? c->ctx.approx_tolerance : 0);
        if (strcmp(s, "cancelling") == 0 && late <= CK_PROMPT) {
            if (st->replied) {
                mon_pass(m);
                st->cmd.valid = false;
            } else {
                st->cancelling_seen = true;
            }
            return;
        }
        if (strcmp(s, "completed") == 0 || strcmp(s, "failed") == 0) {
            mon_unsure(m, "the migration %s before the cancel took effect (a race QEMU's own "
                          "test tolerates)", s);
        } else {
            mon_fail(m, o, "migrate_cancel moves the migration to cancelling at once (within "
                           "1 s), not to %s (H-43)", s);
            mon_cite(m, &st->cmd);
        }
        st->cmd.valid = false;
        return;
    }
    if (!st->cancelling_seen && ck_covered(c, OBS_SOURCE, SPEC_SRC_QMP, &st->cmd, CK_PROMPT)) {
        mon_fail_rec(m, &st->cmd, "migrate_cancel moves the migration to cancelling at once; no "
                                  "cancelling within 1 s (H-43)");
        st->cmd.valid = false;
    }
}

static void fail001_end(struct mon *m)
{
    struct fail001 *st = m->st;
    if (st->cmd.valid && !st->cancelling_seen &&
        ck_covered(m->c, OBS_SOURCE, SPEC_SRC_QMP, &st->cmd, CK_PROMPT))
        mon_fail_rec(m, &st->cmd, "migrate_cancel moves the migration to cancelling at once; "
                                  "no cancelling within 1 s (H-43)");
    else if (st->cmd.valid && !st->cancelling_seen)
        mon_unsure(m, "the trace ends within 1 s of a migrate_cancel");
    else if (st->cmd.valid)
        mon_pass(m);
}

const struct monitor_def mon_FAIL_001 = {
    .kinds = K_QMP, .size = sizeof(struct fail001), .obs = fail001_obs, .end = fail001_end,
};

/* ---- FAIL-002: the grace waits for the unplug under way ---------------------------------- */

struct fail002 {
    struct mig g;
    struct ck_rec cancelling;
    char ifname[VIEW_MAX_DEVS][16];       /* still registered at cancelling */
    struct ck_rec gone[VIEW_MAX_DEVS];    /* its unregistration since */
    unsigned n;
    struct ck_rec cancelled;              /* waiting for a late unregistration */
    char late[VIEW_MAX_DEVS][16];
    unsigned nlate;
};

static void fail002_init(struct mon *m)
{
    struct fail002 *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void fail002_obs(struct mon *m, const struct obs *o) /* IMP: FAIL-002 */
{
    struct fail002 *st = m->st;
    struct check *c = m->c;
    if (st->nlate && ck_klog(o, KLOG_FO_PRIMARY_UNREGISTERED)) {
        for (unsigned i = 0; i < st->nlate; i++) {
            if (strcmp(st->late[i], o->u.klog.ifname) != 0)
                continue;
            struct ck_rec line;
            ck_keep(&line, o);
            if (ck_order(c, &line, &st->cancelled) == 0) {
                mon_unsure(m, "the unregistration of %s and MIGRATION cancelled cannot be "
                              "ordered (clock alignment)", st->late[i]);
            } else {
                mon_fail_rec(m, &st->cancelled,
                             "a cancel during the unplug wait keeps waiting for the unplug under "
                             "way (up to 30 s): %s unregistered only after cancelled (H-44)",
                             st->late[i]);
                mon_cite(m, &line);
            }
            st->nlate--;
            memcpy(st->late[i], st->late[st->nlate], sizeof(st->late[0]));
            break;
        }
    }
    if (st->cancelling.valid && o->host == OBS_SOURCE &&
        ck_klog(o, KLOG_FO_PRIMARY_UNREGISTERED)) {
        for (unsigned i = 0; i < st->n; i++)
            if (!st->gone[i].valid && strcmp(st->ifname[i], o->u.klog.ifname) == 0)
                ck_keep(&st->gone[i], o);
    }
    if (st->nlate && ck_covered(c, OBS_SOURCE, SPEC_SRC_CONSOLE, &st->cancelled, 0)) {
        mon_fail_rec(m, &st->cancelled,
                     "a cancel during the unplug wait keeps waiting for the unplug under way (up "
                     "to 30 s): %s was still registered at cancelled (H-44)",
                     st->late[0]);
        st->nlate = 0;
    }
    const char *s = o->host == OBS_SOURCE ? ck_migration(o) : NULL;
    if (s && cancel_in_wait(&st->g, s)) {
        ck_keep(&st->cancelling, o);
        st->n = 0;
        const struct view_host *vh = &c->view.host[OBS_SOURCE];
        for (unsigned k = 0; k < vh->ndev && k < VIEW_MAX_DEVS; k++) {
            if (!mig_bit(st->g.unplug, k))
                continue;
            const struct view_if *f = view_if_of_primary(c, OBS_SOURCE, &vh->dev[k]);
            if (!f)
                mon_unsure(m, "the guest console never showed primary '%s' as a slave",
                           vh->dev[k].id);
            else if (f->registered) {
                st->gone[st->n].valid = false;
                sim_strlcpy(st->ifname[st->n++], f->name, sizeof(st->ifname[0]));
            }
        }
    } else if (s && strcmp(s, "cancelled") == 0 && st->cancelling.valid) {
        struct ck_rec ev;
        ck_keep(&ev, o);
        bool grace = ev.t - st->cancelling.t >= CK_GRACE - SIM_MS(300);
        for (unsigned i = 0; i < st->n; i++) {
            /* an unregistration since cancelling counts even if the slave came back in
             * the same instant as cancelled (FAIL-006 judges that) */
            if (st->gone[i].valid) {
                if (ck_order(c, &st->gone[i], &ev) == 0)
                    mon_unsure(m, "the unregistration of %s and MIGRATION cancelled cannot be "
                                  "ordered (clock alignment)", st->ifname[i]);
                else
                    mon_pass(m);
            } else if (grace) {
                mon_pass(m); /* the 30 s ran out: FAIL-004 wants the warning */
            } else {
                if (st->nlate == 0)
                    st->cancelled = ev;
                sim_strlcpy(st->late[st->nlate++], st->ifname[i], sizeof(st->late[0]));
            }
        }
        st->cancelling.valid = false;
        st->n = 0;
    }
    mig_track(&st->g, c, o);
}

static void fail002_end(struct mon *m)
{
    struct fail002 *st = m->st;
    if (st->nlate && !ck_covered(m->c, OBS_SOURCE, SPEC_SRC_CONSOLE, &st->cancelled, 0))
        mon_unsure(m, "the console ends before the unplug of %s could be ordered", st->late[0]);
    else if (st->nlate)
        mon_fail_rec(m, &st->cancelled,
                     "a cancel during the unplug wait keeps waiting for the unplug under way "
                     "(up to 30 s): %s was still registered at cancelled (H-44)",
                     st->late[0]);
}

const struct monitor_def mon_FAIL_002 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct fail002), .init = fail002_init,
    .obs = fail002_obs, .end = fail002_end,
};

/* ---- FAIL-003 / FAIL-004: the 30 s bound and its warning ---------------------------------- */

#define FAIL_BOUND (CK_GRACE + CK_POLL + SIM_MS(10) + 120 * SIM_MS(1))

struct fail003 {
    struct mig g;
    struct ck_rec cancelling;
};

static void fail003_init(struct mon *m)
{
    struct fail003 *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void fail003_obs(struct mon *m, const struct obs *o) /* IMP: FAIL-003 */
{
    struct fail003 *st = m->st;
    struct check *c = m->c;
    const char *s = o->host == OBS_SOURCE ? ck_migration(o) : NULL;
    if (s && cancel_in_wait(&st->g, s)) {
        ck_keep(&st->cancelling, o);
    } else if (s && strcmp(s, "cancelled") == 0 && st->cancelling.valid) {
        if (o->t - st->cancelling.t <= FAIL_BOUND) {
            mon_pass(m);
        } else {
            mon_fail(m, o, "the cancel grace is bounded: cancelled within 30 s (plus a poll) of "
                           "cancelling (H-44)");
            mon_cite(m, &st->cancelling);
        }
        st->cancelling.valid = false;
    } else if (st->cancelling.valid && ck_covered(c, OBS_SOURCE, SPEC_SRC_QMP, &st->cancelling, FAIL_BOUND)) {
        mon_fail_rec(m, &st->cancelling, "the cancel grace is bounded: cancelled within 30 s "
                                         "(plus a poll) of cancelling; still cancelling (H-44)");
        st->cancelling.valid = false;
    }
    mig_track(&st->g, c, o);
}

static void fail003_end(struct mon *m)
{
    struct fail003 *st = m->st;
    if (st->cancelling.valid &&
        ck_covered(m->c, OBS_SOURCE, SPEC_SRC_QMP, &st->cancelling, FAIL_BOUND))
        mon_fail_rec(m, &st->cancelling, "the cancel grace is bounded: cancelled within 30 s "
                                         "(plus a poll) of cancelling; still cancelling (H-44)");
    else if (st->cancelling.valid)
        mon_unsure(m, "the trace ends while the migration is cancelling");
}

const struct monitor_def mon_FAIL_003 = {
    .kinds = K_QMP, .size = sizeof(struct fail003), .init = fail003_init, .obs = fail003_obs,
    .end = fail003_end,
};

/* FAIL-004 judges a cancel whose grace may have run out (cancelling lasted
 * about 30 s or more) when the next one starts or the trace ends: the
 * warning may be logged after cancelled in a merge of stderr and QMP. */
struct fail004 {
    struct mig g;
    struct ck_rec cancelling;
    bool warned;              /* the warning since the latest cancelling */
    enum { F4_NONE, F4_NEED, F4_CANNOT_TELL } judge;
    struct ck_rec cancelled;
    struct ck_rec first_err;
};

static void fail004_init(struct mon *m)
{
    struct fail004 *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void fail004_settle(struct mon *m, struct fail004 *st)
{
    if (st->judge != F4_NONE && st->warned) {
        mon_pass(m);
    } else if (st->judge == F4_NEED) {
        struct ck_rec note;
        ck_note(&note, &st->first_err, OBS_SOURCE, SPEC_SRC_STDERR,
                "(no line \"migration: partially unplugged device on failure\" in the source "
                "stderr)");
        mon_fail_rec(m, &st->cancelled, "when the 30 s grace runs out with the unplug pending, "
                                        "QEMU warns \"migration: partially unplugged device on "
                                        "failure\" (H-45)");
        mon_cite(m, &note);
    } else if (st->judge == F4_CANNOT_TELL) {
        mon_unsure(m, "cancelling lasted about 30 s and QEMU did not warn; whether the unplug "
                      "was still pending when the grace ended cannot be told without the guest "
                      "console");
    }
    st->judge = F4_NONE;
}

/* After a grace of about 30 s: was a requested primary still in the guest?
 * 1 yes, 0 no, -1 cannot tell. */
static int fail004_pending(struct check *c, const struct fail004 *st)
{
    if (!ck_has(c, OBS_SOURCE, SPEC_SRC_CONSOLE))
        return -1;
    const struct view_host *vh = &c->view.host[OBS_SOURCE];
    int r = 0;
    for (unsigned k = 0; k < vh->ndev && k < VIEW_MAX_DEVS; k++) {
        if (!mig_bit(st->g.unplug, k))
            continue;
        const struct view_if *f = view_if_of_primary(c, OBS_SOURCE, &vh->dev[k]);
        if (!f)
            r = r ? r : -1;
        else if (f->registered)
            r = 1;
    }
    return r;
}

static void fail004_obs(struct mon *m, const struct obs *o) /* IMP: FAIL-004 */
{
    struct fail004 *st = m->st;
    struct check *c = m->c;
    if (c->ctx.host[OBS_SOURCE].qtest)
        return;
    if (o->kind == OBS_HOSTLOG) {
        if (o->host != OBS_SOURCE)
            return;
        if (!st->first_err.valid)
            ck_keep(&st->first_err, o);
        if (strstr(o->u.hostlog.text, "partially unplugged device on failure"))
            st->warned = true;
        return;
    }
    const char *s = o->host == OBS_SOURCE ? ck_migration(o) : NULL;
    if (s && cancel_in_wait(&st->g, s)) {
        fail004_settle(m, st);
        ck_keep(&st->cancelling, o);
        st->warned = false;
    } else if (s && strcmp(s, "cancelled") == 0 && st->cancelling.valid) {
        /* 120 polls of 250 ms; the first may end at once (the cancel posts the semaphore) */
        if (o->t - st->cancelling.t >= CK_GRACE - CK_POLL - CK_SETTLE) {
            int pending = fail004_pending(c, st);
            st->judge = pending > 0 ? F4_NEED : pending < 0 ? F4_CANNOT_TELL : F4_NONE;
            ck_keep(&st->cancelled, o);
        }
        st->cancelling.valid = false;
    }
    mig_track(&st->g, c, o);
}

static void fail004_end(struct mon *m)
{
    struct fail004 *st = m->st;
    if (m->c->ctx.host[OBS_SOURCE].qtest) {
        mon_na(m, "QEMU ran under qtest, which silences this warning");
        return;
    }
    fail004_settle(m, st);
}

const struct monitor_def mon_FAIL_004 = {
    .kinds = K_QMP | K_KLOG | K_HOSTLOG, .size = sizeof(struct fail004), .init = fail004_init,
    .obs = fail004_obs, .end = fail004_end,
};

/* ---- FAIL-005: the primary is plugged back ------------------------------------------------ */

#define WATCH_MAX 8

struct fail005 {
    struct mig g;
    char master[WATCH_MAX][16];   /* masters whose primary must come back */
    char ifname[WATCH_MAX][16];   /* the primary slave that left */
    bool held[WATCH_MAX];         /* still registered at the end: PASS unless an
                                     unregistration in the same instant follows */
    struct ck_rec end[WATCH_MAX]; /* the cancelled/failed event */
    unsigned n;
};

static void fail005_init(struct mon *m)
{
    struct fail005 *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void fail005_drop(struct fail005 *st, unsigned i)
{
    st->n--;
    memcpy(st->master[i], st->master[st->n], sizeof(st->master[0]));
    memcpy(st->ifname[i], st->ifname[st->n], sizeof(st->ifname[0]));
    st->held[i] = st->held[st->n];
    st->end[i] = st->end[st->n];
}

static void fail005_obs(struct mon *m, const struct obs *o) /* IMP: FAIL-005 */
{
    struct fail005 *st = m->st;
    struct check *c = m->c;
    for (unsigned i = 0; i < st->n;) {
        if (st->held[i]) {
            if (o->host == OBS_SOURCE && ck_klog(o, KLOG_FO_PRIMARY_UNREGISTERED) &&
                strcmp(o->u.klog.ifname, st->ifname[i]) == 0 && ck_order_cur(c, &st->end[i]) == 0) {
                st->held[i] = false; /* it left in the instant the migration ended */
            } else if (ck_order_cur(c, &st->end[i]) < 0) {
                mon_pass(m); /* the guest never lost it */
                fail005_drop(st, i);
                continue;
            }
            i++;
            continue;
        }
        if (o->host == OBS_SOURCE && ck_klog(o, KLOG_FO_PRIMARY_REGISTERED) &&
            strcmp(o->u.klog.ifname2, st->master[i]) == 0) {
            mon_pass(m);
            fail005_drop(st, i);
        } else if (ck_covered(c, OBS_SOURCE, SPEC_SRC_CONSOLE, &st->end[i], CK_PLUG)) {
            mon_fail_rec(m, &st->end[i],
                         "after a cancelled or failed migration the primary is plugged back "
                         "and registers again on master %s; not within 30 s (H-47)",
                         st->master[i]);
            fail005_drop(st, i);
        } else {
            i++;
        }
    }
    const char *s = o->host == OBS_SOURCE ? ck_migration(o) : NULL;
    if (s && ended(s) && st->g.unplug) {
        const struct view_host *vh = &c->view.host[OBS_SOURCE];
        for (unsigned k = 0; k < vh->ndev && k < VIEW_MAX_DEVS; k++) {
            if (!mig_bit(st->g.unplug, k))
                continue;
            const struct view_if *f = view_if_of_primary(c, OBS_SOURCE, &vh->dev[k]);
            if (!f) {
                mon_unsure(m, "the guest console never showed primary '%s' as a slave",
                           vh->dev[k].id);
            } else if (st->n < WATCH_MAX) {
                sim_strlcpy(st->master[st->n], f->master, sizeof(st->master[0]));
                sim_strlcpy(st->ifname[st->n], f->name, sizeof(st->ifname[0]));
                st->held[st->n] = f->registered;
                ck_keep(&st->end[st->n], o);
                st->n++;
            }
        }
    }
    mig_track(&st->g, c, o);
}

static void fail005_end(struct mon *m)
{
    struct fail005 *st = m->st;
    for (unsigned i = 0; i < st->n; i++) {
        if (st->held[i])
            mon_pass(m);
        else if (ck_covered(m->c, OBS_SOURCE, SPEC_SRC_CONSOLE, &st->end[i], CK_PLUG))
            mon_fail_rec(m, &st->end[i],
                         "after a cancelled or failed migration the primary is plugged back "
                         "and registers again on master %s; not within 30 s (H-47)",
                         st->master[i]);
        else
            mon_unsure(m, "the trace ends before the primary of %s registered again",
                       st->master[i]);
    }
}

const struct monitor_def mon_FAIL_005 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct fail005), .init = fail005_init,
    .obs = fail005_obs, .end = fail005_end,
};

/* ---- FAIL-006: the replug only after the migration ended ----------------------------------- */

struct fail006 {
    struct mig g;
    char master[WATCH_MAX][16];   /* masters whose primary left during this migration */
    unsigned n;
    struct ck_rec early;          /* a re-registration while the migration ran */
};

static void fail006_init(struct mon *m)
{
    struct fail006 *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void fail006_obs(struct mon *m, const struct obs *o) /* IMP: FAIL-006 */
{
    struct fail006 *st = m->st;
    struct check *c = m->c;
    const char *s = o->host == OBS_SOURCE ? ck_migration(o) : NULL;
    if (s && strcmp(s, "setup") == 0)
        st->n = 0;
    if (s && !ck_mig_running(s) && st->early.valid) {
        struct ck_rec ev;
        ck_keep(&ev, o);
        if (ck_order(c, &st->early, &ev) == 0) {
            mon_unsure(m, "a re-registration and the migration's end cannot be ordered (clock "
                          "alignment)");
        } else {
            mon_fail_rec(m, &st->early, "the primary is plugged back only when the migration "
                                        "has ended (%s came after it: H-46, H-47)", s);
            mon_cite(m, &ev);
        }
        st->early.valid = false;
    }
    if (o->host == OBS_SOURCE && ck_klog(o, KLOG_FO_PRIMARY_UNREGISTERED) &&
        ck_mig_running(st->g.status)) {
        const struct view_if *f = view_if(c, o->u.klog.ifname);
        const struct view_dev *p = f ? view_primary_of_if(c, OBS_SOURCE, f) : NULL;
        const struct view_host *vh = &c->view.host[OBS_SOURCE];
        if (p && mig_bit(st->g.unplug, (unsigned)(p - vh->dev)) && st->n < WATCH_MAX)
            sim_strlcpy(st->master[st->n++], o->u.klog.ifname2, sizeof(st->master[0]));
    } else if (o->host == OBS_SOURCE && ck_klog(o, KLOG_FO_PRIMARY_REGISTERED)) {
        for (unsigned i = 0; i < st->n; i++) {
            if (strcmp(st->master[i], o->u.klog.ifname2) != 0)
                continue;
            struct ck_rec line;
            ck_keep(&line, o);
            if (ck_mig_running(st->g.status)) {
                if (!st->early.valid)
                    st->early = line;
            } else if (ck_order(c, &st->g.entered, &line) == 0) {
                mon_unsure(m, "a re-registration and the migration's end cannot be ordered "
                              "(clock alignment)");
            } else {
                mon_pass(m);
            }
            st->n--;
            memcpy(st->master[i], st->master[st->n], sizeof(st->master[0]));
            break;
        }
    }
    mig_track(&st->g, c, o);
}

static void fail006_end(struct mon *m)
{
    struct fail006 *st = m->st;
    if (st->early.valid && !ck_covered(m->c, OBS_SOURCE, SPEC_SRC_QMP, &st->early, 0))
        mon_unsure(m, "the QMP log ends before the migration's end could be ordered");
    else if (st->early.valid)
        mon_fail_rec(m, &st->early, "the primary is plugged back only when the migration has "
                                    "ended; it never ended (H-46, H-47)");
}

const struct monitor_def mon_FAIL_006 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct fail006), .init = fail006_init,
    .obs = fail006_obs, .end = fail006_end,
};

/* ---- FAIL-007: an ordinary device again ---------------------------------------------------- */

struct fail007 {
    struct mig g;
    bool replugged[VIEW_MAX_DEVS];  /* unplugged by a migration that was cancelled/failed */
    bool del[VIEW_MAX_DEVS];        /* a device_del of it succeeded */
    struct ck_rec removed[VIEW_MAX_DEVS]; /* its removal in the guest, waiting */
};

static void fail007_init(struct mon *m)
{
    struct fail007 *st = m->st;
    mig_init(&st->g, OBS_SOURCE);
}

static void fail007_obs(struct mon *m, const struct obs *o) /* IMP: FAIL-007 */
{
    struct fail007 *st = m->st;
    struct check *c = m->c;
    struct view_host *vh = &c->view.host[OBS_SOURCE];
    for (unsigned k = 0; k < vh->ndev; k++) {
        if (st->removed[k].valid && ck_covered(c, OBS_SOURCE, SPEC_SRC_QMP, &st->removed[k], SIM_S(3))) {
            mon_fail_rec(m, &st->removed[k],
                         "after a cancelled or failed migration '%s' is an ordinary device: its "
                         "device_del ends with DEVICE_DELETED once the guest removed it; none "
                         "within 3 s (H-47, bug 6.8)",
                         vh->dev[k].id);
            st->removed[k].valid = false;
            st->del[k] = false;
        }
    }
    if (o->host != OBS_SOURCE) {
        mig_track(&st->g, c, o);
        return;
    }
    const char *s = ck_migration(o);
    struct view_dev *d;
    if (s && ended(s)) {
        for (unsigned k = 0; k < vh->ndev && k < VIEW_MAX_DEVS; k++)
            if (mig_bit(st->g.unplug, k))
                st->replugged[k] = true;
    } else if (ck_is_reply_to(c, o, "device_del") && !o->u.qmp.is_error &&
               (d = view_dev(c, OBS_SOURCE, c->cmd->dev_id)) != NULL &&
               st->replugged[d - vh->dev]) {
        st->del[d - vh->dev] = true;
    } else if (ck_klog(o, KLOG_FO_PRIMARY_UNREGISTERED)) {
        const struct view_if *f = view_if(c, o->u.klog.ifname);
        d = f ? view_primary_of_if(c, OBS_SOURCE, f) : NULL;
        if (d && st->del[d - vh->dev] && !st->removed[d - vh->dev].valid)
            ck_keep(&st->removed[d - vh->dev], o);
    } else if (ck_is_event(o, "DEVICE_DELETED")) {
        const json_t *dev = json_object_get(json_object_get(o->u.qmp.json, "data"), "device");
        d = json_is_string(dev) ? view_dev(c, OBS_SOURCE, json_string_value(dev)) : NULL;
        if (d && st->del[d - vh->dev]) {
            mon_pass(m);
            st->del[d - vh->dev] = false;
            st->removed[d - vh->dev].valid = false;
            st->replugged[d - vh->dev] = false;
        }
    }
    mig_track(&st->g, c, o);
}

static void fail007_end(struct mon *m)
{
    struct fail007 *st = m->st;
    for (unsigned k = 0; k < VIEW_MAX_DEVS; k++) {
        if (!st->removed[k].valid)
            continue;
        if (ck_covered(m->c, OBS_SOURCE, SPEC_SRC_QMP, &st->removed[k], SIM_S(3)))
            mon_fail_rec(m, &st->removed[k],
                         "after a cancelled or failed migration a primary is an ordinary "
                         "device: its device_del ends with DEVICE_DELETED; none (H-47)");
        else
            mon_unsure(m, "the trace ends within 3 s of the guest removing a deleted primary");
    }
}

const struct monitor_def mon_FAIL_007 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct fail007), .init = fail007_init,
    .obs = fail007_obs, .end = fail007_end,
};

/* ---- FAIL-008: cancel without a migration changes nothing ------------------------------------ */

struct fail008 {
    struct ck_rec cmd[OBS_NHOSTS];
};

static void fail008_obs(struct mon *m, const struct obs *o) /* IMP: FAIL-008 */
{
    struct fail008 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    if (!ck_has(c, h, SPEC_SRC_QMP_COMMANDS))
        return;
    if (ck_is_command(o, "migrate_cancel")) {
        if (!ck_mig_running(c->view.host[h].status) && !st->cmd[h].valid)
            ck_keep(&st->cmd[h], o);
    } else if (ck_is_command(o, "migrate") && st->cmd[h].valid) {
        mon_pass(m);
        st->cmd[h].valid = false;
    } else if (ck_migration(o) && st->cmd[h].valid) {
        mon_fail(m, o, "a migrate_cancel while no migration runs changes nothing: no MIGRATION "
                       "event before the next migrate");
        mon_cite(m, &st->cmd[h]);
        st->cmd[h].valid = false;
    }
}

static void fail008_end(struct mon *m)
{
    struct fail008 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++)
        if (st->cmd[h].valid)
            mon_pass(m);
}

const struct monitor_def mon_FAIL_008 = {
    .kinds = K_QMP, .size = sizeof(struct fail008), .obs = fail008_obs, .end = fail008_end,
};
