/*
 * Monitors of area CFG: how QEMU answers device_add and device_del of
 * failover primaries (the hide listener's checks, H-10..H-17, and the
 * unplug rules H-29, H-60).  They read QMP commands with their replies: the
 * view (spec/view.h) says which command a reply answers and which devices
 * and standbys exist at that moment.
 */
#include <jansson.h>
#include <string.h>

#include "monitor.h"

/* A failover standby of host h that exists (configured or added). */
static const struct view_dev *standby(struct check *c, enum obs_host h, const char *id)
{
    const struct view_dev *d = view_dev(c, h, id);
    return d && d->role == OBS_ROLE_STANDBY && view_exists(d) ? d : NULL;
}

static bool any_standby(struct check *c, enum obs_host h)
{
    const struct view_host *vh = &c->view.host[h];
    for (unsigned i = 0; i < vh->ndev; i++)
        if (vh->dev[i].role == OBS_ROLE_STANDBY && view_exists(&vh->dev[i]))
            return true;
    return false;
}

/* The primary a standby stored (H-13): the first one QEMU could hide for
 * it.  Deleting that primary does not forget it (H-25). */
static const struct view_dev *stored_primary(struct check *c, enum obs_host h, const char *sid)
{
    const struct view_host *vh = &c->view.host[h];
    for (unsigned i = 0; i < vh->ndev; i++) {
        const struct view_dev *d = &vh->dev[i];
        if (d->role == OBS_ROLE_PRIMARY && d->hideable && (d->configured || d->added) &&
            strcmp(d->pair, sid) == 0)
            return d;
    }
    return NULL;
}

/* A device_add reply on a host whose commands were recorded: the command. */
static const struct view_cmd *device_add_reply(struct mon *m, const struct obs *o)
{
    if (!ck_is_reply_to(m->c, o, "device_add") || !ck_has(m->c, o->host, SPEC_SRC_QMP_COMMANDS))
        return NULL;
    return m->c->cmd;
}

/* An error the user caused before the hide check (H-08): unknown bus or
 * driver.  Such replies say nothing about failover. */
static bool user_error(const struct obs *o)
{
    const char *d = o->u.qmp.error_desc;
    return o->u.qmp.is_error &&
           ((strstr(d, "Bus '") && strstr(d, "not found")) || strstr(d, "not a valid device model") ||
            strstr(d, "Duplicate"));
}

static void expect_error(struct mon *m, const struct obs *o, const struct view_cmd *cmd,
                         const char *text, const char *text2, const char *required)
{
    const char *d = o->u.qmp.error_desc;
    if (o->u.qmp.is_error && strstr(d, text) && (!text2 || strstr(d, text2))) {
        mon_pass(m);
    } else if (user_error(o)) {
        return;
    } else {
        mon_fail(m, o, "%s", required);
        mon_cite(m, &cmd->rec);
    }
}

/* ---- CFG-001: no hotplug on pcie.0, hidden or not ------------------------------------ */

static void cfg001_obs(struct mon *m, const struct obs *o) /* IMP: CFG-001 */
{
    const struct view_cmd *cmd = device_add_reply(m, o);
    if (!cmd || !cmd->pair[0] || !standby(m->c, o->host, cmd->pair) ||
        strcmp(cmd->bus, "pcie.0") != 0)
        return;
    expect_error(m, o, cmd, "does not support hotplugging", NULL,
                 "device_add of a failover primary on bus pcie.0 fails with \"Bus 'pcie.0' "
                 "does not support hotplugging\" (H-15)");
}

const struct monitor_def mon_CFG_001 = { .kinds = K_QMP, .obs = cfg001_obs };

/* ---- CFG-002: a primary needs an id ------------------------------------------------- */

static void cfg002_obs(struct mon *m, const struct obs *o) /* IMP: CFG-002 */
{
    const struct view_cmd *cmd = device_add_reply(m, o);
    if (!cmd || !cmd->pair[0] || cmd->has_id || !any_standby(m->c, o->host))
        return;
    expect_error(m, o, cmd, "needs to have id", NULL,
                 "device_add with failover_pair_id and no id fails with \"Device with "
                 "failover_pair_id needs to have id\" while a failover standby exists (H-10)");
}

const struct monitor_def mon_CFG_002 = { .kinds = K_QMP, .obs = cfg002_obs };

/* ---- CFG-003: one primary per standby ------------------------------------------------- */

static void cfg003_obs(struct mon *m, const struct obs *o) /* IMP: CFG-003 */
{
    const struct view_cmd *cmd = device_add_reply(m, o);
    if (!cmd || !cmd->pair[0] || !cmd->has_id || !standby(m->c, o->host, cmd->pair))
        return;
    const struct view_dev *p = stored_primary(m->c, o->host, cmd->pair);
    if (!p || strcmp(p->id, cmd->dev_id) == 0)
        return;
    char required[300];
    snprintf(required, sizeof(required),
             "a second primary for '%s' is refused: \"Cannot attach more than one primary "
             "device to '%s': '%s' and '%s'\" (H-12)",
             cmd->pair, cmd->pair, p->id, cmd->dev_id);
    char both[140];
    snprintf(both, sizeof(both), "'%s' and '%s'", p->id, cmd->dev_id);
    expect_error(m, o, cmd, "Cannot attach more than one primary device", both, required);
}

const struct monitor_def mon_CFG_003 = { .kinds = K_QMP, .obs = cfg003_obs };

/* ---- CFG-007: the same hidden primary again ------------------------------------------- */

static void cfg007_obs(struct mon *m, const struct obs *o) /* IMP: CFG-007 */
{
    const struct view_cmd *cmd = device_add_reply(m, o);
    if (!cmd || !cmd->pair[0] || !cmd->has_id || strcmp(cmd->bus, "pcie.0") == 0)
        return;
    const struct view_dev *s = standby(m->c, o->host, cmd->pair);
    const struct view_dev *p = s ? stored_primary(m->c, o->host, cmd->pair) : NULL;
    if (!p || strcmp(p->id, cmd->dev_id) != 0 || s->negotiated)
        return;
    bool dup = o->u.qmp.is_error && strstr(o->u.qmp.error_desc, "Duplicate ID");
    if (p->configured) { /* its -device options keep the id */
        if (dup) {
            mon_pass(m);
        } else {
            mon_fail(m, o,
                     "repeating device_add of '%s', a hidden primary from the command line, "
                     "fails with \"Duplicate ID '%s' for device\" (qmp_device_add)",
                     cmd->dev_id, cmd->dev_id);
            mon_cite(m, &cmd->rec);
        }
    } else if (!o->u.qmp.is_error) {
        mon_pass(m);
    } else if (!user_error(o) || dup) {
        mon_fail(m, o,
                 "repeating device_add of the still hidden primary '%s' (added by device_add) "
                 "succeeds: nothing exists yet to clash with (H-12, H-17)",
                 cmd->dev_id);
        mon_cite(m, &cmd->rec);
    }
}

const struct monitor_def mon_CFG_007 = { .kinds = K_QMP, .obs = cfg007_obs };

/* ---- CFG-005: device_del of a primary during a migration ------------------------------- */

static void cfg005_obs(struct mon *m, const struct obs *o) /* IMP: CFG-005 */
{
    if (!ck_is_reply_to(m->c, o, "device_del") || !ck_has(m->c, o->host, SPEC_SRC_QMP_COMMANDS))
        return;
    const struct view_cmd *cmd = m->c->cmd;
    const struct view_dev *d = view_dev(m->c, o->host, cmd->dev_id);
    if (!d || d->role != OBS_ROLE_PRIMARY || !ck_mig_running(m->c->view.host[o->host].status))
        return;
    if (o->u.qmp.is_error && strstr(o->u.qmp.error_desc, "while migrating")) {
        mon_fail(m, o,
                 "device_del of failover primary '%s' is allowed during a migration "
                 "(allow_unplug_during_migration, H-29)",
                 cmd->dev_id);
        mon_cite(m, &cmd->rec);
    } else {
        mon_pass(m);
    }
}

const struct monitor_def mon_CFG_005 = { .kinds = K_QMP, .obs = cfg005_obs };

/* ---- CFG-006: device_del while the failover unplug is outstanding ----------------------- */

struct cfg006 {
    struct ck_rec unplug[OBS_NHOSTS][VIEW_MAX_DEVS]; /* latest UNPLUG_PRIMARY per device */
};

static void cfg006_obs(struct mon *m, const struct obs *o) /* IMP: CFG-006 */
{
    struct cfg006 *st = m->st;
    struct check *c = m->c;
    enum obs_host h = o->host;
    if (c->ctx.host[h].hotplug != CHECK_HOTPLUG_NATIVE)
        return;
    struct view_host *vh = &c->view.host[h];
    if (ck_is_event(o, "UNPLUG_PRIMARY") || ck_is_event(o, "DEVICE_DELETED")) {
        const char *id = o->u.qmp.device_id;
        if (ck_is_event(o, "DEVICE_DELETED")) {
            const json_t *dev = json_object_get(json_object_get(o->u.qmp.json, "data"), "device");
            id = json_is_string(dev) ? json_string_value(dev) : "";
        }
        struct view_dev *d = view_dev(c, h, id);
        if (!d)
            return;
        unsigned k = (unsigned)(d - vh->dev);
        if (ck_is_event(o, "UNPLUG_PRIMARY"))
            ck_keep(&st->unplug[h][k], o);
        else
            st->unplug[h][k].valid = false;
        return;
    }
    if (!ck_is_reply_to(c, o, "device_del") || !ck_has(c, h, SPEC_SRC_QMP_COMMANDS))
        return;
    const struct view_cmd *cmd = c->cmd;
    struct view_dev *d = view_dev(c, h, cmd->dev_id);
    if (!d || d->role != OBS_ROLE_PRIMARY)
        return;
    const struct ck_rec *u = &st->unplug[h][d - vh->dev];
    if (!u->valid)
        return;
    sim_time elapsed = cmd->rec.t - u->t;
    sim_time tol = cmd->rec.t_approx ? c->ctx.approx_tolerance : 0;
    if (elapsed - tol >= CK_BLINK)
        return; /* the request has expired: device_del re-issues it */
    if (elapsed + tol >= CK_BLINK) {
        mon_unsure(m, "device_del of %s about 5 s after its unplug request; its time is "
                      "approximate", cmd->dev_id);
        return;
    }
    if (o->u.qmp.is_error && strstr(o->u.qmp.error_desc, "already in the process of unplug")) {
        mon_pass(m);
    } else {
        mon_fail(m, o,
                 "device_del of '%s' within 5 s of its failover unplug request is refused with "
                 "\"Device %s is already in the process of unplug\" (H-60)",
                 cmd->dev_id, cmd->dev_id);
        mon_cite(m, &cmd->rec);
        mon_cite(m, u);
    }
}

const struct monitor_def mon_CFG_006 = {
    .kinds = K_QMP, .size = sizeof(struct cfg006), .obs = cfg006_obs,
};
