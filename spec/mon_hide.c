/*
 * Monitors of area HIDE: QEMU keeps a primary out of the device tree until
 * its standby negotiates STANDBY, and out of the guest's sight (H-07..H-18,
 * H-23, H-39).  Evidence: query-pci replies (the device tree), device_add
 * replies, DEVICE_DELETED, the guest console (what the guest sees), and the
 * start-up warning about netdevs without a peer.  The checks shared with the
 * destination (MIGD-002, MIGD-009) live here too, parameterised by host.
 */
#include <jansson.h>
#include <string.h>

#include "hide.h"
#include "monitor.h"

static const char *deleted_id(const struct obs *o)
{
    const json_t *dev = json_object_get(json_object_get(o->u.qmp.json, "data"), "device");
    return json_is_string(dev) ? json_string_value(dev) : "";
}

/* ---- Hidden primaries are not in query-pci (HIDE-001 source, MIGD-009 target) -------- */

void hide_qpci_obs(struct mon *m, const struct obs *o, enum obs_host host)
{
    struct check *c = m->c;
    if (o->host != host || !ck_is_qpci(c, o))
        return;
    const struct view_host *vh = &c->view.host[host];
    bool any = false;
    for (unsigned i = 0; i < vh->ndev; i++) {
        const struct view_dev *d = &vh->dev[i];
        if (!ck_hidden(c, host, d))
            continue;
        any = true;
        if (ck_qpci_lists(o, d->id)) {
            mon_fail(m, o,
                     "query-pci does not list primary '%s' while its standby '%s' has not "
                     "negotiated STANDBY on the %s (QEMU hides it: H-14)",
                     d->id, d->pair, obs_host_name(host));
            return;
        }
    }
    if (any)
        mon_pass(m);
}

static void hide001_obs(struct mon *m, const struct obs *o) /* IMP: HIDE-001 */
{
    hide_qpci_obs(m, o, OBS_SOURCE);
}

const struct monitor_def mon_HIDE_001 = { .kinds = K_QMP, .obs = hide001_obs };

/* ---- Primaries appear in the guest only after negotiation (HIDE-002, MIGD-002) ------- */

void hide_seen_obs(struct mon *m, const struct obs *o, enum obs_host host)
{
    struct hide_seen *st = m->st;
    struct check *c = m->c;
    struct view_host *vh = &c->view.host[host];
    if (o->host != host)
        return;
    if (ck_is_event(o, "FAILOVER_NEGOTIATED")) {
        struct view_dev *s = view_dev(c, host, o->u.qmp.device_id);
        if (!s)
            return;
        unsigned k = (unsigned)(s - vh->dev);
        if (!st->neg[k].valid)
            ck_keep(&st->neg[k], o);
        for (unsigned i = 0; i < vh->ndev; i++) { /* a line waiting for this event */
            struct ck_rec *p = &st->pending[i];
            if (!p->valid || strcmp(vh->dev[i].pair, s->id) != 0)
                continue;
            struct ck_rec ev;
            ck_keep(&ev, o);
            int ord = ck_order(c, &ev, p);
            if (ord < 0) {
                mon_pass(m);
            } else if (ord == 0) {
                mon_unsure(m, "%s's FAILOVER_NEGOTIATED and the guest's first sight of %s "
                              "cannot be ordered (clock alignment)",
                           s->id, vh->dev[i].id);
            } else {
                mon_fail_rec(m, p,
                             "primary '%s' appears in the guest on the %s only after "
                             "FAILOVER_NEGOTIATED of '%s' (H-14, H-19)",
                             vh->dev[i].id, obs_host_name(host), s->id);
                mon_cite(m, &ev);
            }
            p->valid = false;
        }
        return;
    }
    /* Lines waiting for a negotiation that never came in time. */
    for (unsigned i = 0; i < vh->ndev; i++) {
        struct ck_rec *p = &st->pending[i];
        if (p->valid && ck_covered(c, host, SPEC_SRC_QMP, p, 0)) {
            mon_fail_rec(m, p,
                         "primary '%s' appears in the guest on the %s only after "
                         "FAILOVER_NEGOTIATED of '%s'; none came",
                         vh->dev[i].id, obs_host_name(host), vh->dev[i].pair);
            p->valid = false;
        }
    }
    if (o->kind != OBS_KLOG)
        return;
    struct view_dev *d = ck_primary_appears(c, o);
    if (!d || !d->hideable)
        return;
    unsigned k = (unsigned)(d - vh->dev);
    struct view_dev *s = view_dev(c, host, d->pair);
    if (!s)
        return;
    const struct ck_rec *neg = &st->neg[s - vh->dev];
    struct ck_rec line;
    ck_keep(&line, o);
    if (neg->valid) {
        int ord = ck_order(c, neg, &line);
        if (ord < 0)
            mon_pass(m);
        else
            mon_unsure(m, "%s's FAILOVER_NEGOTIATED and the guest's sight of %s cannot be "
                          "ordered (clock alignment)", s->id, d->id);
        return;
    }
    if (!st->pending[k].valid)
        st->pending[k] = line;
}

void hide_seen_end(struct mon *m, enum obs_host host)
{
    struct hide_seen *st = m->st;
    struct view_host *vh = &m->c->view.host[host];
    for (unsigned i = 0; i < vh->ndev; i++)
        if (st->pending[i].valid && !ck_covered(m->c, host, SPEC_SRC_QMP, &st->pending[i], 0))
            mon_unsure(m, "the %s QMP log ends before %s's first sight could be ordered",
                       obs_host_name(host), vh->dev[i].id);
        else if (st->pending[i].valid)
            mon_fail_rec(m, &st->pending[i],
                         "primary '%s' appears in the guest on the %s only after "
                         "FAILOVER_NEGOTIATED of '%s'; none came",
                         vh->dev[i].id, obs_host_name(host), vh->dev[i].pair);
}

static void hide002_obs(struct mon *m, const struct obs *o) /* IMP: HIDE-002 */
{
    hide_seen_obs(m, o, OBS_SOURCE);
}

static void hide002_end(struct mon *m)
{
    hide_seen_end(m, OBS_SOURCE);
}

const struct monitor_def mon_HIDE_002 = {
    .kinds = K_QMP | K_KLOG,
    .size = sizeof(struct hide_seen),
    .obs = hide002_obs,
    .end = hide002_end,
};

/* ---- HIDE-003: device_add of a hidden primary succeeds ---------------------------------- */

static void hide003_obs(struct mon *m, const struct obs *o) /* IMP: HIDE-003 */
{
    struct check *c = m->c;
    if (!ck_is_reply_to(c, o, "device_add") || !ck_has(c, o->host, SPEC_SRC_QMP_COMMANDS))
        return;
    const struct view_cmd *cmd = c->cmd;
    if (!cmd->pair[0] || !cmd->has_id || strcmp(cmd->bus, "pcie.0") == 0)
        return;
    const struct view_dev *s = view_dev(c, o->host, cmd->pair);
    if (!view_exists(s) || s->role != OBS_ROLE_STANDBY || s->negotiated)
        return;
    const struct view_host *vh = &c->view.host[o->host];
    for (unsigned i = 0; i < vh->ndev; i++) /* a stored primary: CFG-003/CFG-007 */
        if (vh->dev[i].role == OBS_ROLE_PRIMARY && vh->dev[i].hideable &&
            (vh->dev[i].configured || vh->dev[i].added) && strcmp(vh->dev[i].pair, cmd->pair) == 0)
            return;
    const char *d = o->u.qmp.error_desc;
    if (!o->u.qmp.is_error) {
        mon_pass(m);
    } else if (!((strstr(d, "Bus '") && strstr(d, "not found")) ||
                 strstr(d, "not a valid device model") || strstr(d, "Duplicate"))) {
        mon_fail(m, o,
                 "device_add of primary '%s' for standby '%s' (not negotiated) succeeds and "
                 "hides it (H-15)",
                 cmd->dev_id, cmd->pair);
        mon_cite(m, &cmd->rec);
    }
}

const struct monitor_def mon_HIDE_003 = { .kinds = K_QMP, .obs = hide003_obs };

/* ---- HIDE-004: primaries created before their standby are ordinary devices ------------- */

static void hide004_obs(struct mon *m, const struct obs *o) /* IMP: HIDE-004 */
{
    struct check *c = m->c;
    if (!ck_is_qpci(c, o) || !ck_has(c, o->host, SPEC_SRC_CONFIG))
        return;
    const struct view_host *vh = &c->view.host[o->host];
    /* A fresh destination shows no devices behind its root ports until the
     * load gives them bus numbers (FINDINGS 5): only after its completion. */
    if (o->host == OBS_TARGET && strcmp(vh->status, "completed") != 0)
        return;
    bool any = false;
    for (unsigned i = 0; i < vh->ndev; i++) {
        const struct view_dev *d = &vh->dev[i];
        if (d->role != OBS_ROLE_PRIMARY || d->hideable || d->deleted ||
            !(d->configured || d->added))
            continue;
        any = true;
        if (!ck_qpci_lists(o, d->id)) {
            mon_fail(m, o,
                     "query-pci lists primary '%s': no failover standby '%s' existed when it "
                     "was created, so it is an ordinary device (H-18)",
                     d->id, d->pair);
            return;
        }
    }
    if (any)
        mon_pass(m);
}

const struct monitor_def mon_HIDE_004 = { .kinds = K_QMP, .obs = hide004_obs };

/* ---- HIDE-005: no DEVICE_DELETED for a failover unplug -------------------------------------- */

struct hide005 {
    bool watch[OBS_NHOSTS][VIEW_MAX_DEVS];   /* UNPLUG_PRIMARY seen, migration running */
    bool user_del[OBS_NHOSTS][VIEW_MAX_DEVS];/* a device_del asked for its removal */
    struct ck_rec unplug[OBS_NHOSTS][VIEW_MAX_DEVS];
};

static void hide005_obs(struct mon *m, const struct obs *o) /* IMP: HIDE-005 */
{
    struct hide005 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    if (!ck_has(c, h, SPEC_SRC_QMP_COMMANDS))
        return;
    struct view_host *vh = &c->view.host[h];
    struct view_dev *d = NULL;
    if (ck_is_event(o, "UNPLUG_PRIMARY") && (d = view_dev(c, h, o->u.qmp.device_id))) {
        unsigned k = (unsigned)(d - vh->dev);
        st->watch[h][k] = true;
        st->user_del[h][k] = false;
        ck_keep(&st->unplug[h][k], o);
    } else if (ck_is_command(o, "device_del") &&
               (d = view_dev(c, h, o->u.qmp.device_id)) != NULL) {
        st->user_del[h][d - vh->dev] = true;
    } else if (ck_is_event(o, "DEVICE_DELETED") && (d = view_dev(c, h, deleted_id(o)))) {
        unsigned k = (unsigned)(d - vh->dev);
        if (st->watch[h][k] && st->user_del[h][k]) {
            mon_pass(m); /* the device_del asked for it */
        } else if (st->watch[h][k]) {
            mon_fail(m, o,
                     "no DEVICE_DELETED for '%s' after its failover unplug: the guest's "
                     "completion only clears the pending flag, the device stays (H-39)",
                     d->id);
            mon_cite(m, &st->unplug[h][k]);
        }
        st->watch[h][k] = false;
    } else if (ck_migration(o) && !ck_mig_running(o->u.qmp.status)) {
        for (unsigned k = 0; k < vh->ndev; k++) {
            if (st->watch[h][k])
                mon_pass(m);
            st->watch[h][k] = false;
        }
    }
}

static void hide005_end(struct mon *m)
{
    struct hide005 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++)
        for (unsigned k = 0; k < VIEW_MAX_DEVS; k++)
            if (st->watch[h][k])
                mon_unsure(m, "the trace ends while the migration that unplugged %s runs",
                           m->c->view.host[h].dev[k].id);
}

const struct monitor_def mon_HIDE_005 = {
    .kinds = K_QMP, .size = sizeof(struct hide005), .obs = hide005_obs, .end = hide005_end,
};

/* ---- HIDE-006: an unplugged primary stays in query-pci ----------------------------------- */

struct hide006 {
    bool unplugged[OBS_NHOSTS][VIEW_MAX_DEVS];
    struct ck_rec unplug[OBS_NHOSTS][VIEW_MAX_DEVS];
};

static void hide006_obs(struct mon *m, const struct obs *o) /* IMP: HIDE-006 */
{
    struct hide006 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    struct view_host *vh = &c->view.host[h];
    struct view_dev *d;
    if (ck_is_event(o, "UNPLUG_PRIMARY") && (d = view_dev(c, h, o->u.qmp.device_id))) {
        st->unplugged[h][d - vh->dev] = true;
        ck_keep(&st->unplug[h][d - vh->dev], o);
    } else if (ck_is_event(o, "DEVICE_DELETED") && (d = view_dev(c, h, deleted_id(o)))) {
        st->unplugged[h][d - vh->dev] = false;
    } else if (ck_is_qpci(c, o)) {
        bool any = false;
        for (unsigned k = 0; k < vh->ndev; k++) {
            if (!st->unplugged[h][k])
                continue;
            any = true;
            if (!ck_qpci_lists(o, vh->dev[k].id)) {
                mon_fail(m, o,
                         "query-pci still lists '%s' after its failover unplug: the device "
                         "stays realized, partially unplugged (H-39)",
                         vh->dev[k].id);
                mon_cite(m, &st->unplug[h][k]);
                return;
            }
        }
        if (any)
            mon_pass(m);
    }
}

const struct monitor_def mon_HIDE_006 = {
    .kinds = K_QMP, .size = sizeof(struct hide006), .obs = hide006_obs,
};

/* ---- HIDE-007: the start-up warning for hidden primaries' netdevs -------------------------- */

#define HIDE007_MAX 32

struct hide007 {
    char nopeer[OBS_NHOSTS][HIDE007_MAX][CHECK_ID_LEN]; /* netdevs warned about */
    struct ck_rec line[OBS_NHOSTS][HIDE007_MAX];
    unsigned n[OBS_NHOSTS];
    struct ck_rec first[OBS_NHOSTS];                    /* any stderr line, for notes */
};

static void hide007_obs(struct mon *m, const struct obs *o)
{
    struct hide007 *st = m->st;
    enum obs_host h = o->host;
    const char *t = o->u.hostlog.text;
    if (!st->first[h].valid)
        ck_keep(&st->first[h], o);
    const char *p = strstr(t, "netdev ");
    const char *q = p ? strstr(p, " has no peer") : NULL;
    if (!p || !q || st->n[h] == HIDE007_MAX)
        return;
    p += strlen("netdev ");
    size_t len = (size_t)(q - p);
    if (len == 0 || len >= CHECK_ID_LEN)
        return;
    memcpy(st->nopeer[h][st->n[h]], p, len);
    st->nopeer[h][st->n[h]][len] = '\0';
    ck_keep(&st->line[h][st->n[h]], o);
    st->n[h]++;
}

static void hide007_end(struct mon *m) /* IMP: HIDE-007 */
{
    struct hide007 *st = m->st;
    struct check *c = m->c;
    for (int hi = 0; hi < OBS_NHOSTS; hi++) {
        enum obs_host h = (enum obs_host)hi;
        if (!ck_has(c, h, SPEC_SRC_STDERR) || !ck_has(c, h, SPEC_SRC_CONFIG))
            continue;
        /* an empty stderr says "no warning" only of a QEMU that ran: some
         * record of the host must show it */
        bool ran = false;
        for (unsigned s = 0; s < SPEC_NSOURCES; s++)
            ran = ran || c->last[h][s] != SIM_TIME_NONE;
        if (!ran)
            continue;
        const struct check_host *ch = &c->ctx.host[h];
        for (unsigned i = 0; i < ch->ndev; i++) {
            const struct check_device *d = &ch->dev[i];
            if (!d->netdev[0] || d->role == OBS_ROLE_OTHER || d->added)
                continue; /* only devices of the command line exist at start */
            int found = -1;
            for (unsigned k = 0; k < st->n[h]; k++)
                if (strcmp(st->nopeer[h][k], d->netdev) == 0)
                    found = (int)k;
            bool hidden = d->role == OBS_ROLE_PRIMARY && d->hideable;
            if (hidden && found < 0) {
                struct ck_rec note;
                ck_note(&note, &st->first[h], h, SPEC_SRC_STDERR,
                        "(no line \"warning: netdev %s has no peer\" in the %s stderr)",
                        d->netdev, obs_host_name(h));
                mon_fail_rec(m, &note,
                             "QEMU warns that netdev '%s' has no peer at start: primary '%s' "
                             "is hidden, so nothing uses it",
                             d->netdev, d->id);
            } else if (!hidden && found >= 0) {
                mon_fail_rec(m, &st->line[h][found],
                             "no \"has no peer\" warning for netdev '%s': %s '%s' is created "
                             "at start and uses it",
                             d->netdev, obs_role_name(d->role), d->id);
            } else {
                mon_pass(m);
            }
        }
    }
}

const struct monitor_def mon_HIDE_007 = {
    .kinds = K_HOSTLOG, .size = sizeof(struct hide007), .obs = hide007_obs, .end = hide007_end,
};

/* ---- HIDE-008: created primaries are never hidden again ------------------------------------ */

struct hide008 {
    bool listed[OBS_NHOSTS][VIEW_MAX_DEVS];
    struct ck_rec when[OBS_NHOSTS][VIEW_MAX_DEVS];
};

static void hide008_obs(struct mon *m, const struct obs *o) /* IMP: HIDE-008 */
{
    struct hide008 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    struct view_host *vh = &c->view.host[h];
    struct view_dev *d;
    if (ck_is_event(o, "DEVICE_DELETED") && (d = view_dev(c, h, deleted_id(o)))) {
        st->listed[h][d - vh->dev] = false;
        return;
    }
    if (!ck_is_qpci(c, o))
        return;
    for (unsigned k = 0; k < vh->ndev; k++) {
        if (vh->dev[k].role != OBS_ROLE_PRIMARY)
            continue;
        bool now = ck_qpci_lists(o, vh->dev[k].id);
        if (st->listed[h][k]) {
            if (now) {
                mon_pass(m);
            } else {
                mon_fail(m, o,
                         "query-pci keeps listing primary '%s', which QEMU created earlier, "
                         "until a DEVICE_DELETED (no path re-hides it: H-24)",
                         vh->dev[k].id);
                mon_cite(m, &st->when[h][k]);
            }
        }
        if (now && !st->listed[h][k]) {
            st->listed[h][k] = true;
            ck_keep(&st->when[h][k], o);
        }
    }
}

const struct monitor_def mon_HIDE_008 = {
    .kinds = K_QMP, .size = sizeof(struct hide008), .obs = hide008_obs,
};
