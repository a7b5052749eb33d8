/*
 * Monitors of area EVT: the QMP event and command contract (what a QMP log
 * must look like, whatever the failover state): the events capability, the
 * reply/command pairing and ids, capabilities negotiation, valid migration
 * states, run-state events, event members, the greeting.
 */
#include <jansson.h>
#include <string.h>

#include "monitor.h"

static bool has_cmds(const struct mon *m, enum obs_host h)
{
    return ck_has(m->c, h, SPEC_SRC_QMP_COMMANDS);
}

/* ---- EVT-001: MIGRATION events iff the events capability ----------------------- */

struct evt001 {
    bool seen_since_cmd[OBS_NHOSTS]; /* a MIGRATION event since the last migrate */
    bool pending[OBS_NHOSTS];        /* migrate ok with events on, no event yet */
    struct ck_rec cmd[OBS_NHOSTS];
};

static void evt001_obs(struct mon *m, const struct obs *o) /* IMP: EVT-001 */
{
    struct evt001 *st = m->st;
    enum obs_host h = o->host;
    if (!has_cmds(m, h))
        return;
    const struct view_host *vh = &m->c->view.host[h];
    if (ck_migration(o)) {
        st->seen_since_cmd[h] = true;
        if (vh->events_cap != 1) {
            mon_fail(m, o,
                     "no MIGRATION event while the 'events' migration capability is off "
                     "(no successful migrate-set-capabilities with events true before it)");
            return;
        }
        if (st->pending[h]) {
            st->pending[h] = false;
        }
        mon_pass(m);
    } else if (ck_is_command(o, "migrate")) {
        st->seen_since_cmd[h] = false;
        ck_keep(&st->cmd[h], o);
    } else if (ck_is_reply_to(m->c, o, "migrate") && !o->u.qmp.is_error &&
               vh->events_cap == 1 && !st->seen_since_cmd[h]) {
        st->pending[h] = true;
    }
}

static void evt001_end(struct mon *m)
{
    struct evt001 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++) {
        if (!st->pending[h])
            continue;
        if (!ck_covered(m->c, (enum obs_host)h, SPEC_SRC_QMP, &st->cmd[h], 0))
            mon_unsure(m, "the trace ends after a migrate on %s before its MIGRATION event",
                       obs_host_name((enum obs_host)h));
        else
            mon_fail_rec(m, &st->cmd[h],
                         "a MIGRATION event after this successful migrate, since the "
                         "'events' capability was on; none came before the log ended");
    }
}

const struct monitor_def mon_EVT_001 = {
    .kinds = K_QMP, .size = sizeof(struct evt001), .obs = evt001_obs, .end = evt001_end,
};

/* ---- EVT-002: one reply per command, in order, echoing the id -------------------- */

struct evt002 {
    bool overflow_noted;
};

static void evt002_obs(struct mon *m, const struct obs *o) /* IMP: EVT-002 */
{
    if (o->kind != OBS_QMP_REPLY || !has_cmds(m, o->host))
        return;
    const struct view_host *vh = &m->c->view.host[o->host];
    if (vh->cmd_overflow) {
        struct evt002 *st = m->st;
        if (!st->overflow_noted)
            mon_unsure(m, "more than %d commands were waiting for replies on %s",
                       VIEW_MAX_CMDS, obs_host_name(o->host));
        st->overflow_noted = true;
        return;
    }
    if (vh->ncmds == 0) {
        mon_fail(m, o, "a reply only to a command that was sent; no command was waiting");
        return;
    }
    const struct view_cmd *head = &vh->cmds[vh->cmd_head];
    if (strcmp(head->id, o->u.qmp.id) != 0) {
        if (head->id[0] && !o->u.qmp.id[0])
            mon_fail(m, o, "the reply to %s echoes its id %s", head->name, head->id);
        else
            mon_fail(m, o,
                     "the next reply answers the oldest waiting command, %s with id %s, "
                     "but this one carries id %s",
                     head->name, head->id[0] ? head->id : "(none)", o->u.qmp.id);
        mon_cite(m, &head->rec);
        return;
    }
    mon_pass(m);
}

static void evt002_end(struct mon *m)
{
    for (int h = 0; h < OBS_NHOSTS; h++) {
        const struct view_host *vh = &m->c->view.host[h];
        if (!has_cmds(m, (enum obs_host)h) || vh->ncmds == 0)
            continue;
        const struct view_cmd *last = &vh->cmds[(vh->cmd_head + vh->ncmds - 1) % VIEW_MAX_CMDS];
        if (vh->ncmds == 1 && strcmp(last->name, "quit") == 0)
            continue;
        mon_unsure(m, "the %s log ends with %u command(s) unanswered (the oldest: %s)",
                   obs_host_name((enum obs_host)h), vh->ncmds, vh->cmds[vh->cmd_head].name);
    }
}

const struct monitor_def mon_EVT_002 = {
    .kinds = K_QMP, .size = sizeof(struct evt002), .obs = evt002_obs, .end = evt002_end,
};

/* ---- EVT-003: capabilities negotiation mode -------------------------------------- */

static void evt003_obs(struct mon *m, const struct obs *o) /* IMP: EVT-003 */
{
    if (o->kind != OBS_QMP_REPLY || !has_cmds(m, o->host) || !m->c->cmd)
        return;
    const struct view_host *vh = &m->c->view.host[o->host];
    if (!vh->greeted || vh->qmp_caps)
        return;
    const struct view_cmd *cmd = m->c->cmd;
    if (strcmp(cmd->name, "qmp_capabilities") == 0) {
        if (!o->u.qmp.is_error)
            mon_pass(m);
        return;
    }
    if (!o->u.qmp.is_error) {
        mon_fail(m, o, "%s refused with CommandNotFound before qmp_capabilities succeeded",
                 cmd->name);
        mon_cite(m, &cmd->rec);
    } else if (strcmp(o->u.qmp.error_class, "CommandNotFound") != 0) {
        mon_fail(m, o, "%s refused with error class CommandNotFound before qmp_capabilities, "
                 "not %s", cmd->name, o->u.qmp.error_class);
        mon_cite(m, &cmd->rec);
    } else {
        mon_pass(m);
    }
}

const struct monitor_def mon_EVT_003 = { .kinds = K_QMP, .obs = evt003_obs };

/* ---- EVT-004: MIGRATION status values ---------------------------------------------- */

static bool valid_status(const char *s)
{
    static const char *const names[] = {
        "none",          "setup",           "cancelling",       "cancelled", "active",
        "postcopy-active", "postcopy-paused", "postcopy-recover", "completed", "failed",
        "colo",          "pre-switchover",  "device",           "wait-unplug",
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(names); i++)
        if (strcmp(s, names[i]) == 0)
            return true;
    return false;
}

static void evt004_obs(struct mon *m, const struct obs *o) /* IMP: EVT-004 */
{
    const char *st = ck_migration(o);
    if (!st)
        return;
    const json_t *data = json_object_get(o->u.qmp.json, "data");
    const json_t *status = json_object_get(data, "status");
    if (o->u.qmp.json && !json_is_string(status)) {
        mon_fail(m, o, "MIGRATION carries data.status, a MigrationStatus string");
        return;
    }
    if (!valid_status(st))
        mon_fail(m, o, "a MigrationStatus value, not \"%s\"", st);
    else
        mon_pass(m);
}

const struct monitor_def mon_EVT_004 = { .kinds = K_QMP, .obs = evt004_obs };

/* ---- EVT-005: query-migrate agrees with the MIGRATION events ------------------------- */

struct evt005 {
    bool pending[OBS_NHOSTS];
    char status[OBS_NHOSTS][24];
    struct ck_rec reply[OBS_NHOSTS];
};

static void evt005_obs(struct mon *m, const struct obs *o) /* IMP: EVT-005 */
{
    struct evt005 *st = m->st;
    enum obs_host h = o->host;
    if (!has_cmds(m, h))
        return;
    const struct view_host *vh = &m->c->view.host[h];
    const char *ev = ck_migration(o);
    if (ev) {
        if (st->pending[h]) {
            st->pending[h] = false;
            if (strcmp(ev, st->status[h]) == 0) {
                mon_pass(m);
            } else {
                mon_fail_rec(m, &st->reply[h],
                             "query-migrate reports the status of the latest MIGRATION event "
                             "(%s) or of the next one (%s), not %s",
                             vh->status, ev, st->status[h]);
                struct ck_rec r;
                ck_keep(&r, o);
                mon_cite(m, &r);
            }
        }
        return;
    }
    if (!ck_is_reply_to(m->c, o, "query-migrate") || o->u.qmp.is_error || !o->u.qmp.status[0] ||
        vh->events_cap != 1 || !vh->status[0])
        return;
    const char *rs = o->u.qmp.status;
    if (st->pending[h]) {
        if (strcmp(rs, st->status[h]) != 0 && strcmp(rs, vh->status) != 0) {
            mon_fail(m, o, "query-migrate reports the status of the latest MIGRATION event (%s)",
                     vh->status);
            mon_cite(m, &st->reply[h]);
        }
        return;
    }
    if (strcmp(rs, vh->status) == 0) {
        mon_pass(m);
        return;
    }
    st->pending[h] = true;
    sim_strlcpy(st->status[h], rs, sizeof(st->status[h]));
    ck_keep(&st->reply[h], o);
}

static void evt005_end(struct mon *m)
{
    struct evt005 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++) {
        if (!st->pending[h])
            continue;
        if (!ck_covered(m->c, (enum obs_host)h, SPEC_SRC_QMP, &st->reply[h], 0))
            mon_unsure(m, "the trace ends before a MIGRATION event confirmed query-migrate's %s",
                       st->status[h]);
        else
            mon_fail_rec(m, &st->reply[h],
                         "query-migrate reports the status of the latest MIGRATION event (%s); "
                         "no event with %s followed",
                         m->c->view.host[h].status, st->status[h]);
    }
}

const struct monitor_def mon_EVT_005 = {
    .kinds = K_QMP, .size = sizeof(struct evt005), .obs = evt005_obs, .end = evt005_end,
};

/* ---- EVT-006: STOP and RESUME alternate --------------------------------------------- */

struct evt006 {
    int running[OBS_NHOSTS]; /* 1 runs, 0 stopped, -1 unknown */
    struct ck_rec last[OBS_NHOSTS];
};

static void evt006_init(struct mon *m)
{
    struct evt006 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++)
        st->running[h] = -1;
}

static void evt006_obs(struct mon *m, const struct obs *o) /* IMP: EVT-006 */
{
    struct evt006 *st = m->st;
    enum obs_host h = o->host;
    bool stop = ck_is_event(o, "STOP");
    bool resume = ck_is_event(o, "RESUME");
    if (stop || resume) {
        if (st->running[h] == (resume ? 1 : 0)) {
            mon_fail(m, o, "%s only when the VM %s; it already %s", resume ? "RESUME" : "STOP",
                     resume ? "was stopped" : "was running",
                     resume ? "ran (no STOP since the last RESUME)"
                            : "was stopped (no RESUME since the last STOP)");
            mon_cite(m, &st->last[h]);
        } else if (st->running[h] >= 0) {
            mon_pass(m);
        }
        st->running[h] = resume ? 1 : 0;
        ck_keep(&st->last[h], o);
        return;
    }
    if (ck_is_event(o, "SHUTDOWN")) {
        st->running[h] = 0;
        ck_keep(&st->last[h], o);
        return;
    }
    /* A destination is stopped until its RESUME. */
    if (ck_migration(o) && st->running[h] < 0 && h == OBS_TARGET) {
        st->running[h] = 0;
        ck_keep(&st->last[h], o);
        return;
    }
    if (ck_is_reply_to(m->c, o, "query-status") && !o->u.qmp.is_error) {
        const json_t *ret = json_object_get(o->u.qmp.json, "return");
        const json_t *run = json_object_get(ret, "running");
        if (json_is_boolean(run)) {
            st->running[h] = json_is_true(run) ? 1 : 0;
            ck_keep(&st->last[h], o);
        }
    }
}

const struct monitor_def mon_EVT_006 = {
    .kinds = K_QMP, .size = sizeof(struct evt006), .init = evt006_init, .obs = evt006_obs,
};

/* ---- EVT-007: device-id of the failover events -------------------------------------- */

static void evt007_obs(struct mon *m, const struct obs *o) /* IMP: EVT-007 */
{
    if (!ck_is_event(o, "FAILOVER_NEGOTIATED") && !ck_is_event(o, "UNPLUG_PRIMARY"))
        return;
    const json_t *id = json_object_get(json_object_get(o->u.qmp.json, "data"), "device-id");
    bool ok = o->u.qmp.json ? json_is_string(id) && json_string_length(id) > 0
                            : o->u.qmp.device_id[0] != '\0';
    if (ok)
        mon_pass(m);
    else
        mon_fail(m, o, "%s carries data.device-id, a non-empty string", o->u.qmp.name);
}

const struct monitor_def mon_EVT_007 = { .kinds = K_QMP, .obs = evt007_obs };

/* ---- EVT-008: the greeting comes first ------------------------------------------------ */

struct evt008 {
    bool greeted[OBS_NHOSTS];
    bool early[OBS_NHOSTS];
    struct ck_rec first[OBS_NHOSTS];
};

static void evt008_obs(struct mon *m, const struct obs *o) /* IMP: EVT-008 */
{
    struct evt008 *st = m->st;
    enum obs_host h = o->host;
    if (st->greeted[h] || o->kind == OBS_QMP_COMMAND)
        return;
    if (o->kind == OBS_QMP_GREETING) {
        st->greeted[h] = true;
        if (st->early[h])
            mon_fail_rec(m, &st->first[h],
                         "the server greeting {\"QMP\": ...} before any reply or event");
        else
            mon_pass(m);
        return;
    }
    if (!st->early[h])
        ck_keep(&st->first[h], o);
    st->early[h] = true;
}

static void evt008_end(struct mon *m)
{
    struct evt008 *st = m->st;
    for (int h = 0; h < OBS_NHOSTS; h++)
        if (st->early[h] && !st->greeted[h])
            mon_na(m, "the %s QMP log has no greeting: the recording started within a session",
                   obs_host_name((enum obs_host)h));
}

const struct monitor_def mon_EVT_008 = {
    .kinds = K_QMP, .size = sizeof(struct evt008), .obs = evt008_obs, .end = evt008_end,
};

/* ---- EVT-009: MIGRATION_PASS counts from 1 --------------------------------------------- */

struct evt009 {
    int next[OBS_NHOSTS];        /* expected pass, 0 before any setup */
    struct ck_rec setup[OBS_NHOSTS];
};

static void evt009_obs(struct mon *m, const struct obs *o) /* IMP: EVT-009 */
{
    struct evt009 *st = m->st;
    enum obs_host h = o->host;
    const char *s = ck_migration(o);
    if (s && strcmp(s, "setup") == 0) {
        st->next[h] = 1;
        ck_keep(&st->setup[h], o);
        return;
    }
    if (!ck_is_event(o, "MIGRATION_PASS") || st->next[h] == 0)
        return;
    if (o->u.qmp.pass == st->next[h]) {
        mon_pass(m);
    } else {
        mon_fail(m, o, "MIGRATION_PASS counts from 1 in each migration: pass %d expected, "
                       "not %d", st->next[h], o->u.qmp.pass);
        mon_cite(m, &st->setup[h]);
    }
    st->next[h] = o->u.qmp.pass + 1;
}

const struct monitor_def mon_EVT_009 = {
    .kinds = K_QMP, .size = sizeof(struct evt009), .obs = evt009_obs,
};
