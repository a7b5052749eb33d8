/*
 * Monitors of area DP: the datapath, from captures.  Host captures are
 * QEMU's filter-dump on each netdev (the capture point is the device id);
 * a guest capture is tcpdump -i any in the guest (point "guest", the role of
 * each interface from the bundle).  "From the guest" frames were sent by
 * the guest; QEMU's own RARP announcements are told apart by EtherType.
 * Readiness of a primary comes from the console (registered + link up).
 */
#include <string.h>

#include "monitor.h"

static bool guest_tx(const struct obs *o)
{
    return o->kind == OBS_FRAME && o->u.frame.dir == OBS_DIR_FROM_GUEST;
}

static bool guest_ethertype(uint16_t et)
{
    return et == 0x0800 || et == 0x86dd || et == 0x0806;
}

/* The primary interface (in the guest) for frames with this source MAC. */
static struct view_if *primary_if_for(struct check *c, enum obs_host h, const uint8_t mac[6])
{
    const struct view_host *vh = &c->view.host[h];
    for (unsigned k = 0; k < vh->ndev; k++) {
        const struct view_dev *d = &vh->dev[k];
        if (d->role == OBS_ROLE_PRIMARY && d->has_mac && memcmp(d->mac, mac, 6) == 0)
            return view_if_of_primary(c, h, d);
    }
    return NULL;
}

/* The later of two kept records. */
static const struct ck_rec *later(const struct ck_rec *a, const struct ck_rec *b)
{
    if (!a->valid)
        return b;
    if (!b->valid)
        return a;
    return a->t >= b->t ? a : b;
}

/* ---- DP-001: a ready primary carries the guest's traffic ----------------------------- */

struct dp001 {
    struct ck_rec cand;       /* a frame on the standby while the primary was ready */
    char ifname[16];          /* that primary */
    struct ck_rec ready;      /* when it was ready */
};

static void dp001_resolve(struct mon *m, bool fail)
{
    struct dp001 *st = m->st;
    if (fail) {
        mon_fail_rec(m, &st->cand,
                     "while primary %s is registered with link up, the guest transmits through "
                     "it, not through the standby (G-43)",
                     st->ifname);
        mon_cite(m, &st->ready);
    }
    st->cand.valid = false;
}

static void dp001_obs(struct mon *m, const struct obs *o) /* IMP: DP-001 */
{
    struct dp001 *st = m->st;
    struct check *c = m->c;
    if (st->cand.valid) {
        const struct view_if *f = view_if(c, st->ifname);
        if (!f || !f->registered || !f->link_up) { /* readiness ended: before the frame? */
            const struct ck_rec *end = f ? later(&f->changed, &f->link) : NULL;
            int ord = end ? ck_order(c, end, &st->cand) : 1;
            if (ord == 0) {
                mon_unsure(m, "a frame on the standby is too close to %s losing readiness to "
                              "order", st->ifname);
                dp001_resolve(m, false);
            } else {
                dp001_resolve(m, ord > 0); /* ord < 0: readiness had ended before it */
            }
        } else if (ck_covered(c, c->view.guest_host, SPEC_SRC_CONSOLE, &st->cand, 0)) {
            dp001_resolve(m, true);
        }
    }
    if (!guest_tx(o) || o->u.frame.ethertype != 0x0800)
        return;
    if ((c->view.guest_seen && o->host != c->view.guest_host) ||
        !ck_has(c, o->host, SPEC_SRC_CONSOLE))
        return; /* readiness is only known from the console of that host */
    enum obs_role role = view_frame_role(c, o);
    if (role != OBS_ROLE_STANDBY && role != OBS_ROLE_PRIMARY)
        return;
    struct view_if *f = primary_if_for(c, o->host, o->u.frame.src);
    if (!f)
        return;
    if (!f->registered || !f->link_up) {
        /* Readiness just ended in the same instant: a merge may put the frame
         * on either side of it. */
        const struct ck_rec *end = later(&f->changed, &f->link);
        struct ck_rec fr;
        ck_keep(&fr, o);
        bool ended = end == &f->link ? !f->link_up : !f->registered; /* not a start */
        if (!ended || !end->valid || ck_order(c, end, &fr) != 0)
            return;
        if (role == OBS_ROLE_STANDBY)
            mon_unsure(m, "a frame on the standby is too close to %s losing readiness to "
                          "order", f->name);
        else
            mon_pass(m); /* on the primary: as if just before the change */
        return;
    }
    const struct ck_rec *ready = later(&f->changed, &f->link);
    struct ck_rec fr;
    ck_keep(&fr, o);
    /* Frames right at the readiness change are not judged. */
    if (fr.t - ready->t <= CK_SETTLE + ck_tol(c, &fr) + ck_tol(c, ready))
        return;
    if (role == OBS_ROLE_PRIMARY) {
        mon_pass(m);
        return;
    }
    if (st->cand.valid)
        return;
    st->cand = fr;
    sim_strlcpy(st->ifname, f->name, sizeof(st->ifname));
    st->ready = *ready;
}

static void dp001_end(struct mon *m)
{
    struct dp001 *st = m->st;
    if (st->cand.valid && !ck_covered(m->c, m->c->view.guest_host, SPEC_SRC_CONSOLE, &st->cand, 0))
        mon_unsure(m, "the console ends before a frame on the standby could be ordered");
    else if (st->cand.valid)
        dp001_resolve(m, true);
}

const struct monitor_def mon_DP_001 = {
    .kinds = K_FRAME | K_KLOG, .size = sizeof(struct dp001), .obs = dp001_obs, .end = dp001_end,
};

/* ---- DP-002: nothing through an unplugged primary ------------------------------------- */

struct dp002 {
    struct ck_rec cand;
    char ifname[16];
    struct ck_rec gone;
    struct ck_rec last;       /* the latest frame on a primary's path while registered */
    char last_if[16];
};

static void dp002_obs(struct mon *m, const struct obs *o) /* IMP: DP-002 */
{
    struct dp002 *st = m->st;
    struct check *c = m->c;
    if (ck_klog(o, KLOG_FO_PRIMARY_UNREGISTERED) && st->last.valid &&
        strcmp(o->u.klog.ifname, st->last_if) == 0) {
        /* A frame passed just before, in the same instant: a merge may put it
         * on either side of the unregistration. */
        struct ck_rec line;
        ck_keep(&line, o);
        if (ck_order(c, &st->last, &line) == 0)
            mon_unsure(m, "a frame on %s's path is too close to its unregistration to order",
                       st->last_if);
        st->last.valid = false;
    }
    if (st->cand.valid) {
        const struct view_if *f = view_if(c, st->ifname);
        if (f && f->registered) { /* plugged again: before the frame? */
            if (ck_order(c, &f->changed, &st->cand) == 0) {
                mon_unsure(m, "a frame on %s's path is too close to its re-registration to "
                              "order", st->ifname);
            } else {
                mon_fail_rec(m, &st->cand,
                             "after primary %s unregistered (its unplug completed) the guest "
                             "sends nothing through it until it is registered again",
                             st->ifname);
                mon_cite(m, &st->gone);
            }
            st->cand.valid = false;
        } else if (ck_covered(c, c->view.guest_host, SPEC_SRC_CONSOLE, &st->cand, 0)) {
            mon_fail_rec(m, &st->cand,
                         "after primary %s unregistered (its unplug completed) the guest sends "
                         "nothing through it until it is registered again",
                         st->ifname);
            mon_cite(m, &st->gone);
            st->cand.valid = false;
        }
    }
    if (!guest_tx(o) || !guest_ethertype(o->u.frame.ethertype) ||
        view_frame_role(c, o) != OBS_ROLE_PRIMARY || !ck_has(c, o->host, SPEC_SRC_CONSOLE))
        return;
    struct view_if *f = primary_if_for(c, o->host, o->u.frame.src);
    if (!f || !f->changed.valid)
        return;
    struct ck_rec fr;
    ck_keep(&fr, o);
    int ord = ck_order(c, &f->changed, &fr);
    if (f->registered) {
        if (ord == 0) /* registered in the same instant: either order */
            mon_unsure(m, "a frame on %s's path is too close to its registration to order",
                       f->name);
        else
            mon_pass(m);
        st->last = fr;
        sim_strlcpy(st->last_if, f->name, sizeof(st->last_if));
        return;
    }
    if (ord == 0) {
        mon_unsure(m, "a frame on %s's path is too close to its unregistration to order",
                   f->name);
        return;
    }
    if (ord > 0 || st->cand.valid)
        return;
    st->cand = fr;
    sim_strlcpy(st->ifname, f->name, sizeof(st->ifname));
    st->gone = f->changed;
}

static void dp002_end(struct mon *m)
{
    struct dp002 *st = m->st;
    if (st->cand.valid &&
        !ck_covered(m->c, m->c->view.guest_host, SPEC_SRC_CONSOLE, &st->cand, 0)) {
        mon_unsure(m, "the console ends before a frame on %s's path could be ordered",
                   st->ifname);
    } else if (st->cand.valid) {
        mon_fail_rec(m, &st->cand,
                     "after primary %s unregistered (its unplug completed) the guest sends "
                     "nothing through it until it is registered again",
                     st->ifname);
        mon_cite(m, &st->gone);
    }
}

const struct monitor_def mon_DP_002 = {
    .kinds = K_FRAME | K_KLOG, .size = sizeof(struct dp002), .obs = dp002_obs, .end = dp002_end,
};

/* ---- DP-003: standby RX is dropped while a primary is registered ----------------------- */

#define DP003_RING 16

struct dp003 {
    uint64_t flow[DP003_RING];
    struct ck_rec rec[DP003_RING];
    unsigned n;
};

static bool primary_registered(struct check *c)
{
    for (unsigned i = 0; i < c->view.nifs; i++)
        if (c->view.ifs[i].role == OBS_ROLE_PRIMARY && c->view.ifs[i].registered)
            return true;
    return false;
}

static void dp003_obs(struct mon *m, const struct obs *o) /* IMP: DP-003 */
{
    struct dp003 *st = m->st;
    struct check *c = m->c;
    if (o->kind != OBS_FRAME || ck_src(o) != SPEC_SRC_GUEST_PCAP)
        return;
    for (unsigned i = 0; i < st->n;) { /* frames that were not delivered */
        if (o->t - st->rec[i].t > CK_SETTLE) {
            mon_pass(m);
            st->n--;
            st->flow[i] = st->flow[st->n];
            st->rec[i] = st->rec[st->n];
        } else {
            i++;
        }
    }
    const struct obs_frame *f = &o->u.frame;
    if (f->dir != OBS_DIR_TO_GUEST)
        return;
    enum obs_role role = view_frame_role(c, o);
    if (role == OBS_ROLE_MASTER) {
        for (unsigned i = 0; i < st->n; i++) {
            if (st->flow[i] != f->flow)
                continue;
            mon_fail(m, o,
                     "a frame received on the standby while a primary is registered is not "
                     "delivered to the master (RX_HANDLER_EXACT, G-45)");
            mon_cite(m, &st->rec[i]);
            st->n--;
            st->flow[i] = st->flow[st->n];
            st->rec[i] = st->rec[st->n];
            return;
        }
        return;
    }
    if (role != OBS_ROLE_STANDBY || !primary_registered(c))
        return;
    if (st->n == DP003_RING) { /* the oldest is decided */
        mon_pass(m);
        st->n--;
        st->flow[0] = st->flow[st->n];
        st->rec[0] = st->rec[st->n];
    }
    st->flow[st->n] = f->flow;
    ck_keep(&st->rec[st->n], o);
    st->n++;
}

static void dp003_end(struct mon *m)
{
    struct dp003 *st = m->st;
    for (unsigned i = 0; i < st->n; i++)
        mon_pass(m);
    st->n = 0;
}

const struct monitor_def mon_DP_003 = {
    .kinds = K_FRAME, .size = sizeof(struct dp003), .obs = dp003_obs, .end = dp003_end,
};

/* ---- DP-004: the blackout bound ------------------------------------------------------------ */

struct dp004 {
    struct ck_rec last;       /* the latest guest IPv4 frame */
    bool window;              /* inside a migration's window */
    bool failed;              /* this window already failed */
    bool unsure;
    sim_time end;             /* window end (SIM_TIME_NONE: not known yet) */
    struct ck_rec setup;
};

/* A guest IPv4 frame that left net_failover: seen at a host capture point,
 * or in the guest's capture on a slave (the master's own capture shows
 * frames it may still drop, G-43). */
static bool guest_ipv4_left(struct check *c, const struct obs *o)
{
    return guest_tx(o) && o->u.frame.ethertype == 0x0800 &&
           (ck_src(o) == SPEC_SRC_HOST_PCAP || view_frame_role(c, o) != OBS_ROLE_MASTER);
}

/* The window ends: the tail gap from the last frame to its end counts. */
static void dp004_close(struct mon *m)
{
    struct dp004 *st = m->st;
    struct check *c = m->c;
    sim_time bound = c->ctx.blackout_bound;
    st->window = false;
    if (st->failed || st->unsure)
        return;
    sim_time tol = ck_tol(c, &st->last);
    sim_time tail = st->end - st->last.t;
    if (tail > bound + tol && ck_frames_covered(c, st->last.t + bound + tol)) {
        mon_fail_rec(m, &st->last, "while a workload runs, guest IPv4 frames continue through "
                                   "the migration; none for longer than the blackout bound "
                                   "after this one");
        mon_cite(m, &st->setup);
    } else if (tail > bound - tol) {
        mon_unsure(m, "the captures end, or pause, within the tolerance of the blackout bound "
                      "after the migration");
    } else {
        mon_pass(m);
    }
}

static void dp004_obs(struct mon *m, const struct obs *o) /* IMP: DP-004 */
{
    struct dp004 *st = m->st;
    struct check *c = m->c;
    sim_time bound = c->ctx.blackout_bound;
    if (st->window && st->end != SIM_TIME_NONE && o->t > st->end)
        dp004_close(m);
    const char *ms = ck_migration(o);
    if (ms && o->host == OBS_SOURCE && strcmp(ms, "setup") == 0) {
        if (st->window) /* a new migration before the old window closed */
            st->window = false;
        struct ck_rec s;
        ck_keep(&s, o);
        if (st->last.valid && s.t - st->last.t <= bound) {
            st->window = true;
            st->failed = st->unsure = false;
            st->end = SIM_TIME_NONE;
            st->setup = s;
        }
    } else if (st->window && ((ms && o->host == OBS_SOURCE && !ck_mig_running(ms)) ||
                              (ck_is_event(o, "RESUME") && o->host == OBS_TARGET))) {
        sim_time e = o->t + 2 * bound;
        st->end = st->end == SIM_TIME_NONE || e > st->end ? e : st->end;
    }
    if (!guest_ipv4_left(c, o))
        return;
    if (st->window && !st->failed) {
        struct ck_rec cur;
        ck_keep(&cur, o);
        sim_time tol = ck_tol(c, &cur) + ck_tol(c, &st->last);
        if (cur.host != st->last.host)
            tol += c->ctx.host_skew;
        sim_time gap = cur.t - st->last.t;
        if (gap > bound + tol) {
            st->failed = true;
            mon_fail(m, o, "while a workload runs, no gap between guest IPv4 frames exceeds the "
                           "blackout bound during a migration");
            mon_cite(m, &st->last);
            mon_cite(m, &st->setup);
        } else if (gap > bound - tol && !st->unsure) {
            st->unsure = true;
            mon_unsure(m, "a gap between guest frames is within the alignment tolerance of the "
                          "blackout bound");
        }
    }
    ck_keep(&st->last, o);
}

static void dp004_end(struct mon *m)
{
    struct dp004 *st = m->st;
    if (!st->window)
        return;
    if (st->end != SIM_TIME_NONE)
        dp004_close(m);
    else if (!st->failed && !st->unsure)
        mon_unsure(m, "the trace ends inside a migration's blackout window");
}

const struct monitor_def mon_DP_004 = {
    .kinds = K_FRAME | K_QMP, .size = sizeof(struct dp004), .obs = dp004_obs, .end = dp004_end,
};

/* ---- DP-005: frames through the primary carry the pair's MAC --------------------------- */

static void dp005_obs(struct mon *m, const struct obs *o) /* IMP: DP-005 */
{
    struct check *c = m->c;
    if (!guest_tx(o) || ck_src(o) != SPEC_SRC_HOST_PCAP ||
        !guest_ethertype(o->u.frame.ethertype))
        return;
    const struct view_dev *p = view_dev(c, o->host, o->u.frame.point);
    if (!p || p->role != OBS_ROLE_PRIMARY || !p->has_mac)
        return;
    if (memcmp(o->u.frame.src, p->mac, 6) == 0) {
        mon_pass(m);
    } else {
        char want[24];
        ck_mac_str(want, sizeof(want), p->mac);
        mon_fail(m, o, "the guest's frames through primary '%s' carry the pair's MAC %s "
                       "(G-10, G-17)", p->id, want);
    }
}

const struct monitor_def mon_DP_005 = { .kinds = K_FRAME, .obs = dp005_obs };

/* ---- DP-006: RARP announcements when the destination starts ----------------------------- */

struct dp006 {
    struct ck_rec rarp;       /* the latest RARP with a standby's MAC on the target */
    struct ck_rec resume;     /* a RESUME waiting for its announcement */
    bool incoming;            /* the target's incoming migration is running */
};

static bool target_rarp(struct check *c, const struct obs *o)
{
    if (o->kind != OBS_FRAME || o->host != OBS_TARGET || o->u.frame.ethertype != 0x8035 ||
        ck_src(o) != SPEC_SRC_HOST_PCAP)
        return false;
    const struct view_dev *s = view_dev(c, OBS_TARGET, o->u.frame.point);
    return s && s->role == OBS_ROLE_STANDBY && s->has_mac &&
           memcmp(o->u.frame.src, s->mac, 6) == 0;
}

static bool standby_mac_known(struct check *c)
{
    const struct view_host *vh = &c->view.host[OBS_TARGET];
    for (unsigned k = 0; k < vh->ndev; k++)
        if (vh->dev[k].role == OBS_ROLE_STANDBY && vh->dev[k].has_mac)
            return true;
    return false;
}

static void dp006_obs(struct mon *m, const struct obs *o) /* IMP: DP-006 */
{
    struct dp006 *st = m->st;
    struct check *c = m->c;
    if (target_rarp(c, o)) {
        ck_keep(&st->rarp, o);
        if (st->resume.valid) {
            mon_pass(m);
            st->resume.valid = false;
        }
        return;
    }
    if (st->resume.valid && ck_covered(c, OBS_TARGET, SPEC_SRC_HOST_PCAP, &st->resume, CK_PROMPT)) {
        mon_fail_rec(m, &st->resume,
                     "QEMU announces the guest's MAC (RARP) on the standby's netdev within 1 s "
                     "of the VM starting on the destination; none came");
        st->resume.valid = false;
    }
    if (o->host != OBS_TARGET || o->kind != OBS_QMP_EVENT)
        return;
    const char *ms = ck_migration(o);
    if (ms) {
        st->incoming = ck_mig_running(ms);
        return;
    }
    if (!ck_is_event(o, "RESUME") || !st->incoming || !standby_mac_known(c))
        return;
    struct ck_rec r;
    ck_keep(&r, o);
    if (st->rarp.valid) {
        sim_time tol = ck_tol(c, &r) + ck_tol(c, &st->rarp);
        if (r.t - st->rarp.t <= CK_PROMPT + tol) {
            mon_pass(m);
            return;
        }
    }
    st->resume = r;
}

static void dp006_end(struct mon *m)
{
    struct dp006 *st = m->st;
    if (st->resume.valid && ck_covered(m->c, OBS_TARGET, SPEC_SRC_HOST_PCAP, &st->resume, CK_PROMPT))
        mon_fail_rec(m, &st->resume,
                     "QEMU announces the guest's MAC (RARP) on the standby's netdev within 1 s "
                     "of the VM starting on the destination; none came");
    else if (st->resume.valid)
        mon_unsure(m, "the target captures end within 1 s of the destination's RESUME");
}

const struct monitor_def mon_DP_006 = {
    .kinds = K_FRAME | K_QMP, .size = sizeof(struct dp006), .obs = dp006_obs, .end = dp006_end,
};
