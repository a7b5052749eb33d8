/*
 * Monitors of area NEG: VIRTIO_NET_F_STANDBY negotiation, host and guest
 * side -- the virtio specification's MAY (device) and SHOULD (driver), the
 * MAC requirement, FAILOVER_NEGOTIATED and what follows it in QEMU (the
 * primary is created, or a warning says it cannot be) and in Linux (the
 * failover master, then the standby slave).
 */
#include <jansson.h>
#include <string.h>

#include "monitor.h"

/* ---- NEG-001: the device acts as standby only after negotiation -------------------- */

static void neg001_obs(struct mon *m, const struct obs *o) /* IMP: NEG-001 */
{
    struct check *c = m->c;
    if (!ck_is_event(o, "UNPLUG_PRIMARY") || !ck_has(c, o->host, SPEC_SRC_CONFIG))
        return;
    struct view_dev *p = view_dev(c, o->host, o->u.qmp.device_id);
    struct view_dev *s = view_pair_of(c, o->host, p);
    if (!s)
        return; /* not a primary: MIGS-011 */
    if (s->negotiated)
        mon_pass(m);
    else
        mon_fail(m, o,
                 "QEMU acts as standby for '%s' (unplugging primary '%s') only after its "
                 "driver negotiated VIRTIO_NET_F_STANDBY: no FAILOVER_NEGOTIATED for it on the "
                 "%s",
                 s->id, p->id, obs_host_name(o->host));
}

const struct monitor_def mon_NEG_001 = { .kinds = K_QMP, .obs = neg001_obs };

/* ---- NEG-002: the driver negotiates STANDBY when offered ---------------------------- */

struct neg002 {
    struct ck_rec pending[OBS_NHOSTS][VIEW_MAX_DEVS]; /* a frame before negotiation */
};

/* Has standby s negotiated for the guest running on host h? */
static bool negotiated(struct check *c, enum obs_host h, const struct view_dev *s)
{
    if (s->negotiated)
        return true;
    if (h == OBS_TARGET) { /* the state came with the migration */
        const struct view_dev *src = view_dev(c, OBS_SOURCE, s->id);
        return src && src->negotiated_before_migration;
    }
    return false;
}

static bool guest_ethertype(uint16_t et)
{
    return et == 0x0800 || et == 0x86dd || et == 0x0806;
}

static void neg002_obs(struct mon *m, const struct obs *o) /* IMP: NEG-002 */
{
    struct neg002 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    struct view_host *vh = &c->view.host[h];
    if (!ck_has(c, h, SPEC_SRC_CONFIG))
        return;
    if (ck_is_event(o, "FAILOVER_NEGOTIATED")) {
        struct view_dev *s = view_dev(c, h, o->u.qmp.device_id);
        if (!s)
            return;
        struct ck_rec *p = &st->pending[h][s - vh->dev];
        if (p->valid) {
            struct ck_rec ev;
            ck_keep(&ev, o);
            /* A frame that cannot be ordered against the event does not contradict
             * it: the driver did negotiate (set_features precedes DRIVER_OK and any
             * transmission).  Only a frame clearly before the event fails. */
            if (ck_order(c, p, &ev) >= 0) {
                mon_pass(m);
            } else {
                mon_fail_rec(m, p,
                             "the driver of '%s' negotiates VIRTIO_NET_F_STANDBY (offered: "
                             "failover=on) before it transmits",
                             s->id);
                mon_cite(m, &ev);
            }
            p->valid = false;
        }
        return;
    }
    for (unsigned k = 0; k < vh->ndev; k++) {
        struct ck_rec *p = &st->pending[h][k];
        if (p->valid && ck_covered(c, h, SPEC_SRC_QMP, p, 0)) {
            mon_fail_rec(m, p,
                         "the driver of '%s' negotiates VIRTIO_NET_F_STANDBY (offered: "
                         "failover=on) before it transmits; no FAILOVER_NEGOTIATED came",
                         vh->dev[k].id);
            p->valid = false;
        }
    }
    struct view_dev *s = NULL;
    if (ck_is_event(o, "NIC_RX_FILTER_CHANGED")) {
        const json_t *name = json_object_get(json_object_get(o->u.qmp.json, "data"), "name");
        s = json_is_string(name) ? view_dev(c, h, json_string_value(name)) : NULL;
        if (!s || s->role != OBS_ROLE_STANDBY)
            return;
        if (negotiated(c, h, s))
            mon_pass(m);
        else
            mon_fail(m, o,
                     "the driver of '%s' negotiates VIRTIO_NET_F_STANDBY, which the device "
                     "offers (failover=on), before it sets up its receive filter",
                     s->id);
        return;
    }
    if (o->kind != OBS_FRAME || o->u.frame.dir != OBS_DIR_FROM_GUEST ||
        ck_src(o) != SPEC_SRC_HOST_PCAP || !guest_ethertype(o->u.frame.ethertype))
        return;
    if (!ck_has(c, h, SPEC_SRC_QMP))
        return; /* no negotiation to compare with on this host */
    s = view_dev(c, h, o->u.frame.point);
    if (!s || s->role != OBS_ROLE_STANDBY)
        return;
    if (negotiated(c, h, s)) {
        mon_pass(m); /* as a frame that cannot be ordered against the event (above) */
        return;
    }
    struct ck_rec *p = &st->pending[h][s - vh->dev];
    if (!p->valid)
        ck_keep(p, o);
}

static void neg002_end(struct mon *m)
{
    struct neg002 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++)
        for (unsigned k = 0; k < VIEW_MAX_DEVS; k++)
            if (st->pending[h][k].valid &&
                !ck_covered(m->c, (enum obs_host)h, SPEC_SRC_QMP, &st->pending[h][k], 0))
                mon_unsure(m, "the QMP log ends right after a frame of a standby's driver");
            else if (st->pending[h][k].valid)
                mon_fail_rec(m, &st->pending[h][k],
                             "the driver of '%s' negotiates VIRTIO_NET_F_STANDBY (offered: "
                             "failover=on); it transmitted without ever negotiating it",
                             m->c->view.host[h].dev[k].id);
}

const struct monitor_def mon_NEG_002 = {
    .kinds = K_QMP | K_FRAME, .size = sizeof(struct neg002), .obs = neg002_obs,
    .end = neg002_end,
};

/* ---- NEG-003: FAILOVER_NEGOTIATED only for failover=on devices ----------------------- */

static void neg003_obs(struct mon *m, const struct obs *o) /* IMP: NEG-003 */
{
    struct check *c = m->c;
    if (!ck_is_event(o, "FAILOVER_NEGOTIATED") || !ck_has(c, o->host, SPEC_SRC_CONFIG))
        return;
    const struct view_dev *s = view_dev(c, o->host, o->u.qmp.device_id);
    if (s && s->role == OBS_ROLE_STANDBY)
        mon_pass(m);
    else
        mon_fail(m, o,
                 "FAILOVER_NEGOTIATED names a virtio-net device with failover=on (only those "
                 "offer VIRTIO_NET_F_STANDBY: H-01); '%s' is %s",
                 o->u.qmp.device_id, s ? "not one" : "not a device of this host");
}

const struct monitor_def mon_NEG_003 = { .kinds = K_QMP, .obs = neg003_obs };

/* ---- NEG-004: negotiation creates the stored primary ----------------------------------- */

struct neg004 {
    struct ck_rec neg[OBS_NHOSTS];    /* a negotiation waiting for query-pci */
    int primary[OBS_NHOSTS];          /* view index of the primary it must create */
    bool warned[OBS_NHOSTS];          /* stderr said adding a primary failed */
};

static void neg004_obs(struct mon *m, const struct obs *o) /* IMP: NEG-004 */
{
    struct neg004 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    struct view_host *vh = &c->view.host[h];
    if (o->kind == OBS_HOSTLOG) {
        const char *t = o->u.hostlog.text;
        if (strstr(t, "failover primary device") || strstr(t, "Primary device not found") ||
            strstr(t, "primary device must"))
            st->warned[h] = true;
        return;
    }
    if (ck_is_event(o, "FAILOVER_NEGOTIATED")) {
        if (!ck_has(c, h, SPEC_SRC_CONFIG) || ck_mig_running(vh->status))
            return; /* during an outgoing migration QEMU cannot add devices (H-57) */
        const char *sid = o->u.qmp.device_id;
        int best = -1;
        for (unsigned k = 0; k < vh->ndev; k++) {
            const struct view_dev *d = &vh->dev[k];
            if (d->role == OBS_ROLE_PRIMARY && strcmp(d->pair, sid) == 0 &&
                (d->configured || d->added) /* a manifest lists later device_adds too */ &&
                (best < 0 || vh->dev[best].deleted))
                best = (int)k;
        }
        if (best < 0)
            return; /* no primary: NEG-005 */
        st->primary[h] = best;
        ck_keep(&st->neg[h], o);
        st->warned[h] = false;
        return;
    }
    if (!st->neg[h].valid || !ck_is_qpci(c, o))
        return;
    if (h == OBS_TARGET && ck_mig_running(vh->status))
        return; /* bus numbers of a loading destination are not set yet */
    const struct view_dev *p = &vh->dev[st->primary[h]];
    if (ck_qpci_lists(o, p->id)) {
        mon_pass(m);
    } else if (st->warned[h]) {
        mon_unsure(m, "primary '%s' is missing after negotiation, and QEMU warned that adding "
                      "a primary failed", p->id);
    } else {
        mon_fail(m, o,
                 "after FAILOVER_NEGOTIATED of '%s', query-pci lists its primary '%s' (QEMU "
                 "creates it: H-19, H-21)",
                 p->pair, p->id);
        mon_cite(m, &st->neg[h]);
    }
    st->neg[h].valid = false;
}

const struct monitor_def mon_NEG_004 = {
    .kinds = K_QMP | K_HOSTLOG, .size = sizeof(struct neg004), .obs = neg004_obs,
};

/* ---- NEG-005: "Primary device not found" --------------------------------------------------- */

struct neg005 {
    bool need[OBS_NHOSTS];
    struct ck_rec neg[OBS_NHOSTS];
    bool seen[OBS_NHOSTS];
    struct ck_rec first_err[OBS_NHOSTS];
};

static void neg005_obs(struct mon *m, const struct obs *o) /* IMP: NEG-005 */
{
    struct neg005 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    if (o->kind == OBS_HOSTLOG) {
        if (!st->first_err[h].valid)
            ck_keep(&st->first_err[h], o);
        if (strstr(o->u.hostlog.text, "Primary device not found"))
            st->seen[h] = true;
        return;
    }
    if (!ck_is_event(o, "FAILOVER_NEGOTIATED") || !ck_has(c, h, SPEC_SRC_CONFIG) ||
        !ck_has(c, h, SPEC_SRC_STDERR) || c->ctx.host[h].qtest)
        return;
    const struct view_host *vh = &c->view.host[h];
    for (unsigned k = 0; k < vh->ndev; k++)
        if (vh->dev[k].role == OBS_ROLE_PRIMARY && (vh->dev[k].configured || vh->dev[k].added) &&
            strcmp(vh->dev[k].pair, o->u.qmp.device_id) == 0)
            return;
    if (!st->need[h])
        ck_keep(&st->neg[h], o);
    st->need[h] = true;
}

static void neg005_end(struct mon *m)
{
    struct neg005 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++) {
        if (!st->need[h])
            continue;
        if (st->seen[h]) {
            mon_pass(m);
            continue;
        }
        struct ck_rec note;
        ck_note(&note, &st->first_err[h], (enum obs_host)h, SPEC_SRC_STDERR,
                "(no line \"Primary device not found\" in the %s stderr)",
                obs_host_name((enum obs_host)h));
        mon_fail_rec(m, &st->neg[h],
                     "QEMU warns \"Primary device not found\" when a standby negotiates and no "
                     "primary names it (virtio-net-failover.rst 'Hotplug')");
        mon_cite(m, &note);
    }
}

const struct monitor_def mon_NEG_005 = {
    .kinds = K_QMP | K_HOSTLOG, .size = sizeof(struct neg005), .obs = neg005_obs,
    .end = neg005_end,
};

/* ---- NEG-006: a master only after negotiation -------------------------------------------- */

#define NEG006_RING 8

struct neg006 {
    unsigned nneg[OBS_NHOSTS];                  /* FAILOVER_NEGOTIATED so far */
    struct ck_rec ring[OBS_NHOSTS][NEG006_RING];/* the latest ones */
    unsigned nmaster[OBS_NHOSTS];               /* master registrations so far */
    struct ck_rec pending[OBS_NHOSTS];          /* a master waiting for its event */
};

/* Negotiations definitely before the line. */
static unsigned before(struct mon *m, enum obs_host h, const struct ck_rec *line, bool *unsure)
{
    struct neg006 *st = m->st;
    unsigned kept = st->nneg[h] < NEG006_RING ? st->nneg[h] : NEG006_RING;
    unsigned n = st->nneg[h] - kept;
    *unsure = false;
    for (unsigned i = 0; i < kept; i++) {
        int ord = ck_order(m->c, &st->ring[h][i], line);
        n += ord < 0;
        *unsure |= ord == 0;
    }
    return n;
}

static void neg006_obs(struct mon *m, const struct obs *o) /* IMP: NEG-006 */
{
    struct neg006 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    if (!ck_has(c, h, SPEC_SRC_QMP) || !ck_has(c, h, SPEC_SRC_CONSOLE))
        return;
    if (ck_is_event(o, "FAILOVER_NEGOTIATED")) {
        ck_keep(&st->ring[h][st->nneg[h] % NEG006_RING], o);
        st->nneg[h]++;
        if (st->pending[h].valid) {
            bool unsure;
            if (before(m, h, &st->pending[h], &unsure) < st->nmaster[h] && !unsure) {
                mon_fail_rec(m, &st->pending[h],
                             "the guest creates a failover master only after negotiating "
                             "STANDBY: FAILOVER_NEGOTIATED on the %s comes before it (G-02)",
                             obs_host_name(h));
            } else if (unsure) {
                mon_unsure(m, "a master registration and FAILOVER_NEGOTIATED cannot be "
                              "ordered (clock alignment)");
            } else {
                mon_pass(m);
            }
            st->pending[h].valid = false;
        }
        return;
    }
    if (st->pending[h].valid && ck_covered(c, h, SPEC_SRC_QMP, &st->pending[h], 0)) {
        mon_fail_rec(m, &st->pending[h],
                     "the guest creates a failover master only after negotiating STANDBY: "
                     "no FAILOVER_NEGOTIATED on the %s before it (G-02)",
                     obs_host_name(h));
        st->pending[h].valid = false;
    }
    if (!ck_klog(o, KLOG_FO_MASTER_REGISTERED))
        return;
    st->nmaster[h]++;
    struct ck_rec line;
    ck_keep(&line, o);
    bool unsure;
    unsigned n = before(m, h, &line, &unsure);
    if (n >= st->nmaster[h])
        mon_pass(m);
    else if (st->nneg[h] >= st->nmaster[h] && unsure)
        mon_unsure(m, "a master registration and FAILOVER_NEGOTIATED cannot be ordered "
                      "(clock alignment)");
    else if (!st->pending[h].valid)
        st->pending[h] = line;
}

static void neg006_end(struct mon *m)
{
    struct neg006 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++)
        if (st->pending[h].valid &&
            !ck_covered(m->c, (enum obs_host)h, SPEC_SRC_QMP, &st->pending[h], 0))
            mon_unsure(m, "the QMP log ends right after a master registered");
        else if (st->pending[h].valid)
            mon_fail_rec(m, &st->pending[h],
                         "the guest creates a failover master only after negotiating STANDBY: "
                         "no FAILOVER_NEGOTIATED on the %s before it (G-02)",
                         obs_host_name((enum obs_host)h));
}

const struct monitor_def mon_NEG_006 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct neg006), .obs = neg006_obs, .end = neg006_end,
};

/* ---- NEG-010: the standby joins its master right after it registers ---------------------- */

#define NEG010_MAX 8

/* A master waiting for its standby. */
struct neg010_master {
    enum obs_host host;
    char name[16];            /* X of "failover master:X registered" */
    char dev[48];             /* its virtio device ("virtio0") */
    struct ck_rec line;       /* the registration */
    bool refused;             /* an enslavement was refused meanwhile */
    struct ck_rec gone;       /* X unregistered: the next line must be the failed probe */
};

struct neg010 {
    struct neg010_master m[NEG010_MAX];
    unsigned n;
    unsigned masters;         /* registrations seen */
};

static void neg010_drop(struct neg010 *st, unsigned i)
{
    st->m[i] = st->m[--st->n];
}

/* "virtio_net: probe of virtio0 failed with error -12" for device dev. */
static bool probe_failed(const struct obs_klog *k, const char *dev)
{
    static const char pre[] = "virtio_net: probe of ";
    size_t n = strlen(dev);
    return strncmp(k->text, pre, sizeof(pre) - 1) == 0 &&
           strncmp(k->text + sizeof(pre) - 1, dev, n) == 0 &&
           strncmp(k->text + sizeof(pre) - 1 + n, " failed with error ", 19) == 0;
}

static void neg010_fail(struct mon *m, const struct obs *o, struct neg010_master *w,
                        const char *what)
{
    mon_fail(m, o,
             "right after \"failover master:%s registered\" the virtio netdev joins it as its "
             "standby; %s came first (G-02, G-03)",
             w->name, what);
    mon_cite(m, &w->line);
}

static void neg010_obs(struct mon *m, const struct obs *o) /* IMP: NEG-010 */
{
    struct neg010 *st = m->st;
    if (o->kind != OBS_KLOG)
        return;
    const struct obs_klog *k = &o->u.klog;
    /* a master unregistered before its standby: this line must be its probe's failure */
    for (unsigned i = 0; i < st->n; i++) {
        struct neg010_master *w = &st->m[i];
        if (w->host != o->host || !w->gone.valid)
            continue;
        if (!probe_failed(k, w->dev))
            neg010_fail(m, o, w, "its unregistration without a failed probe");
        neg010_drop(st, i); /* the failed probe: G-03's error path, not counted */
        return;
    }
    const char *about = NULL; /* the master a failover line is about */
    switch (k->kind) {
    case KLOG_FO_MASTER_REGISTERED:
        st->masters++;
        if (st->n < NEG010_MAX) {
            struct neg010_master *w = &st->m[st->n++];
            memset(w, 0, sizeof(*w));
            w->host = o->host;
            sim_strlcpy(w->name, k->ifname, sizeof(w->name));
            sim_strlcpy(w->dev, k->dev, sizeof(w->dev));
            ck_keep(&w->line, o);
        }
        return;
    case KLOG_FO_SLAVE_REFUSED:
        /* a refused enslavement may be the standby's (an MTU it cannot take,
         * a second standby with the same MAC refused by the first master) */
        for (unsigned i = 0; i < st->n; i++)
            if (st->m[i].host == o->host)
                st->m[i].refused = true;
        return;
    case KLOG_FO_MASTER_UNREGISTERED:
        about = k->ifname;
        break;
    case KLOG_FO_STANDBY_REGISTERED:
    case KLOG_FO_STANDBY_UNREGISTERED:
    case KLOG_FO_PRIMARY_UNREGISTERED:
        about = k->ifname2;
        break;
    default: /* a primary registered: the master's scan found it (G-13) */
        return;
    }
    for (unsigned i = 0; i < st->n; i++) {
        struct neg010_master *w = &st->m[i];
        if (w->host != o->host || strcmp(w->name, about) != 0)
            continue;
        if (k->kind == KLOG_FO_MASTER_UNREGISTERED) {
            ck_keep(&w->gone, o); /* decided by the next line */
            return;
        }
        if (k->kind == KLOG_FO_STANDBY_REGISTERED)
            mon_pass(m);
        else
            neg010_fail(m, o, w, "a slave leaving it");
        neg010_drop(st, i);
        return;
    }
}

static void neg010_end(struct mon *m)
{
    struct neg010 *st = m->st;
    for (unsigned i = 0; i < st->n; i++) {
        struct neg010_master *w = &st->m[i];
        const struct ck_rec *last = w->gone.valid ? &w->gone : &w->line;
        if (!ck_covered(m->c, w->host, SPEC_SRC_CONSOLE, last, 0))
            mon_unsure(m, "the console ends right after master %s %s", w->name,
                       w->gone.valid ? "unregistered" : "registered");
        else if (w->gone.valid)
            mon_fail_rec(m, &w->gone,
                         "master %s is unregistered before its standby registers only when "
                         "virtio_net's probe fails; no failed probe followed (G-03)",
                         w->name);
        else if (!w->refused)
            mon_fail_rec(m, &w->line,
                         "a standby slave registers on master %s right after it; none did",
                         w->name);
    }
    if (!st->masters)
        mon_na(m, "no failover master registered");
    else if (!m->npass && !m->nfail && !m->nunsure)
        mon_na(m, "no master could get its standby: its probe failed or the standby's "
                  "enslavement was refused");
}

const struct monitor_def mon_NEG_010 = {
    .kinds = K_KLOG, .size = sizeof(struct neg010), .obs = neg010_obs, .end = neg010_end,
};

/* ---- NEG-008: the standby uses the device's MAC ------------------------------------------ */

static void neg008_obs(struct mon *m, const struct obs *o) /* IMP: NEG-008 */
{
    struct check *c = m->c;
    const struct obs_frame *f = &o->u.frame;
    if (f->dir != OBS_DIR_FROM_GUEST || view_frame_role(c, o) != OBS_ROLE_STANDBY)
        return;
    enum obs_host h = o->host;
    const struct view_host *vh = &c->view.host[h];
    const struct view_dev *s = NULL;
    if (ck_src(o) == SPEC_SRC_HOST_PCAP) {
        s = view_dev(c, h, f->point);
    } else { /* a guest capture: the host's only standby */
        for (unsigned k = 0; k < vh->ndev; k++) {
            if (vh->dev[k].role != OBS_ROLE_STANDBY)
                continue;
            if (s)
                return; /* several standbys: the interface is not attributable */
            s = &vh->dev[k];
        }
    }
    if (!s || !s->has_mac)
        return;
    if (memcmp(f->src, s->mac, 6) == 0) {
        mon_pass(m);
    } else {
        char want[24];
        ck_mac_str(want, sizeof(want), s->mac);
        mon_fail(m, o,
                 "the guest sends through standby '%s' with its mac %s as source address "
                 "(virtio 5.1.4.2: the driver MUST use mac)",
                 s->id, want);
    }
}

const struct monitor_def mon_NEG_008 = { .kinds = K_FRAME, .obs = neg008_obs };

/* ---- NEG-009: no "Primary device not found" while the primary exists ----------------------- */

struct neg009 {
    /* per host and standby (view index): did a primary of it exist at its
     * latest negotiation?  0 none seen, 1 no, 2 yes */
    uint8_t at_neg[OBS_NHOSTS][VIEW_MAX_DEVS];
    struct ck_rec neg[OBS_NHOSTS][VIEW_MAX_DEVS];
    struct ck_rec warn[OBS_NHOSTS]; /* a warning waiting for its hint line */
    /* a warning (with its standby, "" when not named) waiting until the
     * stream is clearly past it: a negotiation in the same instant may be
     * merged after it */
    struct ck_rec judge[OBS_NHOSTS];
    char sid[OBS_NHOSTS][CHECK_ID_LEN];
};

/* Does a primary of standby sid certainly exist as a device?  One QEMU
 * created at once (it came before its standby, H-18) and has not deleted.
 * A hidden primary's stored options may have been dropped (H-22: a failed
 * creation, a standby deleted), so it does not count. */
static bool primary_of_exists(struct check *c, enum obs_host h, const char *sid)
{
    const struct view_host *vh = &c->view.host[h];
    for (unsigned k = 0; k < vh->ndev; k++) {
        const struct view_dev *d = &vh->dev[k];
        if (d->role == OBS_ROLE_PRIMARY && (d->configured || d->added) && !d->deleted &&
            !d->hideable && strcmp(d->pair, sid) == 0)
            return true;
    }
    return false;
}

/* Judge the warning of host h about standby sid ("": not named). */
static void neg009_judge(struct mon *m, enum obs_host h, const char *sid)
{
    struct neg009 *st = m->st;
    if (!sid[0])
        sid = NULL;
    struct check *c = m->c;
    const struct view_host *vh = &c->view.host[h];
    int k = -1;
    if (sid) {
        const struct view_dev *s = view_dev(c, h, sid);
        k = s ? (int)(s - vh->dev) : -1;
    } else { /* not named: the only standby negotiated so far */
        for (unsigned i = 0; i < vh->ndev && i < VIEW_MAX_DEVS; i++)
            if (st->at_neg[h][i])
                k = k == -1 ? (int)i : -2;
    }
    if (k >= 0 && st->at_neg[h][k] && ck_order(c, &st->judge[h], &st->neg[h][k]) < 0)
        k = -1; /* its negotiation came clearly later: not the one */
    if (k < 0 || !st->at_neg[h][k]) {
        mon_unsure(m, "a \"Primary device not found\" warning on the %s that no negotiation "
                      "of a known standby explains",
                   obs_host_name(h));
    } else if (st->at_neg[h][k] == 2) {
        mon_fail_rec(m, &st->judge[h],
                     "QEMU warns \"Primary device not found\" only when no primary names the "
                     "standby; a primary of '%s' existed when it negotiated (failover_add_primary "
                     "returns at once: H-21)",
                     vh->dev[k].id);
        mon_cite(m, &st->neg[h][k]);
    } else {
        mon_pass(m);
    }
    st->judge[h].valid = false;
}

/* The warning (and its standby) is complete: judge it once the stream is
 * past it. */
static void neg009_ready(struct neg009 *st, enum obs_host h, const char *sid)
{
    st->judge[h] = st->warn[h];
    sim_strlcpy(st->sid[h], sid, sizeof(st->sid[h]));
    st->warn[h].valid = false;
}

static void neg009_obs(struct mon *m, const struct obs *o) /* IMP: NEG-009 */
{
    struct neg009 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    for (int x = 0; x < OBS_NHOSTS; x++)
        if (st->judge[x].valid && ck_order_cur(c, &st->judge[x]) < 0)
            neg009_judge(m, (enum obs_host)x, st->sid[x]);
    if (!ck_has(c, h, SPEC_SRC_CONFIG))
        return;
    if (ck_is_event(o, "FAILOVER_NEGOTIATED")) {
        const struct view_host *vh = &c->view.host[h];
        struct view_dev *s = view_dev(c, h, o->u.qmp.device_id);
        if (!s || s - vh->dev >= VIEW_MAX_DEVS)
            return;
        st->at_neg[h][s - vh->dev] = primary_of_exists(c, h, s->id) ? 2 : 1;
        ck_keep(&st->neg[h][s - vh->dev], o);
        return;
    }
    if (o->kind != OBS_HOSTLOG)
        return;
    const char *t = o->u.hostlog.text;
    if (st->warn[h].valid) {
        const char *p = o->u.hostlog.continuation ? strstr(t, "failover_pair_id=") : NULL;
        if (p) {
            char sid[CHECK_ID_LEN];
            p += strlen("failover_pair_id=");
            size_t n = strcspn(p, " \t,");
            if (n >= sizeof(sid))
                n = sizeof(sid) - 1;
            memcpy(sid, p, n);
            sid[n] = '\0';
            if (st->judge[h].valid)
                neg009_judge(m, h, st->sid[h]);
            neg009_ready(st, h, sid);
            return;
        }
        if (st->judge[h].valid)
            neg009_judge(m, h, st->sid[h]);
        neg009_ready(st, h, "");
    }
    if (strstr(t, "Primary device not found"))
        ck_keep(&st->warn[h], o);
}

static void neg009_end(struct mon *m)
{
    struct neg009 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++) {
        if (st->judge[h].valid)
            neg009_judge(m, (enum obs_host)h, st->sid[h]);
        if (st->warn[h].valid) {
            neg009_ready(st, (enum obs_host)h, "");
            neg009_judge(m, (enum obs_host)h, "");
        }
    }
}

const struct monitor_def mon_NEG_009 = {
    .kinds = K_QMP | K_HOSTLOG, .size = sizeof(struct neg009), .obs = neg009_obs,
    .end = neg009_end,
};
