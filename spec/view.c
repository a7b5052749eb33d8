/*
 * The shared view: per-host migration, run and QMP session state, the
 * devices, and the guest's interfaces, derived once from the stream (see
 * spec/view.h for what and why).
 *
 * Run state: a host that boots the VM starts running (QEMU without -S); a
 * destination (the target, or any host whose first migration record is an
 * incoming one) starts stopped until RESUME.  SHUTDOWN stops it.
 */
#include "view.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "monitor.h"
#include "sim/err.h"

static void add_ctx_dev(struct view_host *vh, const struct check_device *d)
{
    if (vh->ndev == VIEW_MAX_DEVS) {
        vh->dev_overflow = true;
        return;
    }
    struct view_dev *v = &vh->dev[vh->ndev++];
    memset(v, 0, sizeof(*v));
    sim_strlcpy(v->id, d->id, sizeof(v->id));
    v->role = d->role;
    sim_strlcpy(v->pair, d->pair, sizeof(v->pair));
    sim_strlcpy(v->netdev, d->netdev, sizeof(v->netdev));
    v->has_mac = d->has_mac;
    memcpy(v->mac, d->mac, 6);
    v->hideable = d->hideable;
    v->configured = !d->added; /* an added one exists once its device_add succeeds */
}

void view_init(struct check *c)
{
    struct view *v = &c->view;
    memset(v, 0, sizeof(*v));
    for (int h = 0; h < OBS_NHOSTS; h++) {
        struct view_host *vh = &v->host[h];
        vh->running = h == OBS_SOURCE;
        vh->events_cap = ck_has(c, (enum obs_host)h, SPEC_SRC_QMP_COMMANDS) ? 0 : -1;
        const struct check_host *ch = &c->ctx.host[h];
        for (unsigned i = 0; i < ch->ndev && i < CHECK_MAX_DEVICES; i++)
            add_ctx_dev(vh, &ch->dev[i]);
    }
}

struct view_dev *view_dev(struct check *c, enum obs_host h, const char *id)
{
    struct view_host *vh = &c->view.host[h];
    if (!id || !*id)
        return NULL;
    for (unsigned i = 0; i < vh->ndev; i++)
        if (strcmp(vh->dev[i].id, id) == 0)
            return &vh->dev[i];
    return NULL;
}

struct view_dev *view_pair_of(struct check *c, enum obs_host h, const struct view_dev *primary)
{
    if (!primary || primary->role != OBS_ROLE_PRIMARY)
        return NULL;
    struct view_dev *s = view_dev(c, h, primary->pair);
    return s && s->role == OBS_ROLE_STANDBY ? s : NULL;
}

struct view_if *view_if(struct check *c, const char *name)
{
    for (unsigned i = 0; i < c->view.nifs; i++)
        if (strcmp(c->view.ifs[i].name, name) == 0)
            return &c->view.ifs[i];
    return NULL;
}

/* Interface names cannot contain ':' or blanks (dev_valid_name). */
static bool valid_ifname(const char *s)
{
    return s[0] && !strpbrk(s, ": /\t");
}

static struct view_if *get_if(struct check *c, const char *name)
{
    if (!valid_ifname(name))
        return NULL;
    struct view_if *i = view_if(c, name);
    if (i)
        return i;
    struct view *v = &c->view;
    if (v->nifs == VIEW_MAX_IFS) {
        /* forget the oldest interface that is not registered */
        unsigned k;
        for (k = 0; k < v->nifs && v->ifs[k].registered; k++)
            ;
        if (k == v->nifs)
            return NULL;
        memmove(&v->ifs[k], &v->ifs[k + 1], (v->nifs - k - 1) * sizeof(v->ifs[0]));
        v->nifs--;
    }
    i = &v->ifs[v->nifs++];
    memset(i, 0, sizeof(*i));
    sim_strlcpy(i->name, name, sizeof(i->name));
    return i;
}

enum obs_role view_frame_role(struct check *c, const struct obs *o)
{
    const struct obs_frame *f = &o->u.frame;
    if (f->role != OBS_ROLE_UNKNOWN)
        return f->role;
    const struct view_dev *d = view_dev(c, o->host, f->point);
    return d ? d->role : OBS_ROLE_UNKNOWN;
}

bool view_is_standby_mac(struct check *c, enum obs_host h, const uint8_t mac[6])
{
    struct view_host *vh = &c->view.host[h];
    for (unsigned i = 0; i < vh->ndev; i++)
        if (vh->dev[i].role == OBS_ROLE_STANDBY && vh->dev[i].has_mac &&
            memcmp(vh->dev[i].mac, mac, 6) == 0)
            return true;
    return false;
}

/* ---- QMP commands and replies ------------------------------------------------- */

static void str_arg(char *dst, size_t n, const json_t *args, const char *key)
{
    const json_t *v = json_object_get(args, key);
    if (json_is_string(v))
        sim_strlcpy(dst, json_string_value(v), n);
}

/* "on"/"true"/true as QMP's keyval and JSON forms spell a boolean. */
static bool bool_arg(const json_t *args, const char *key)
{
    const json_t *v = json_object_get(args, key);
    if (json_is_boolean(v))
        return json_is_true(v);
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        return strcmp(s, "on") == 0 || strcmp(s, "true") == 0 || strcmp(s, "yes") == 0;
    }
    return false;
}

static void fill_cmd(struct view_cmd *cmd, const struct obs *o)
{
    const struct obs_qmp *q = &o->u.qmp;
    memset(cmd, 0, sizeof(*cmd));
    sim_strlcpy(cmd->name, q->name, sizeof(cmd->name));
    sim_strlcpy(cmd->id, q->id, sizeof(cmd->id));
    ck_keep(&cmd->rec, o);
    cmd->events_cap = -1;
    const json_t *args = q->json ? json_object_get(q->json, "arguments") : NULL;
    if (!json_is_object(args))
        return;
    const json_t *idv = json_object_get(args, "id");
    cmd->has_id = json_is_string(idv);
    str_arg(cmd->dev_id, sizeof(cmd->dev_id), args, "id");
    str_arg(cmd->driver, sizeof(cmd->driver), args, "driver");
    str_arg(cmd->pair, sizeof(cmd->pair), args, "failover_pair_id");
    str_arg(cmd->bus, sizeof(cmd->bus), args, "bus");
    str_arg(cmd->netdev, sizeof(cmd->netdev), args, "netdev");
    cmd->failover = bool_arg(args, "failover");
    const json_t *mac = json_object_get(args, "mac");
    if (json_is_string(mac))
        cmd->has_mac = ck_find_mac(json_string_value(mac), cmd->mac);
    const json_t *caps = json_object_get(args, "capabilities");
    size_t i;
    const json_t *cap;
    json_array_foreach(caps, i, cap)
    {
        const json_t *name = json_object_get(cap, "capability");
        if (json_is_string(name) && strcmp(json_string_value(name), "events") == 0)
            cmd->events_cap = json_is_true(json_object_get(cap, "state")) ? 1 : 0;
    }
}

static void push_cmd(struct view_host *vh, const struct obs *o)
{
    if (vh->ncmds == VIEW_MAX_CMDS) { /* drop the oldest */
        vh->cmd_head = (vh->cmd_head + 1) % VIEW_MAX_CMDS;
        vh->ncmds--;
        vh->cmd_overflow = true;
    }
    fill_cmd(&vh->cmds[(vh->cmd_head + vh->ncmds) % VIEW_MAX_CMDS], o);
    vh->ncmds++;
}

/* The command a reply answers: the one with its id, else the oldest one
 * waiting (QMP answers in order).  It stays in the FIFO until view_post. */
static const struct view_cmd *match_reply(struct view_host *vh, const struct obs *o,
                                          unsigned *pos)
{
    const char *id = o->u.qmp.id;
    for (unsigned k = 0; k < vh->ncmds; k++) {
        const struct view_cmd *cmd = &vh->cmds[(vh->cmd_head + k) % VIEW_MAX_CMDS];
        if (id[0] && strcmp(cmd->id, id) == 0) {
            *pos = k;
            return cmd;
        }
    }
    if (!id[0] && vh->ncmds > 0) {
        *pos = 0;
        return &vh->cmds[vh->cmd_head];
    }
    return NULL;
}

static void drop_cmd(struct view_host *vh, unsigned pos)
{
    for (unsigned k = pos; k > 0; k--)
        vh->cmds[(vh->cmd_head + k) % VIEW_MAX_CMDS] =
            vh->cmds[(vh->cmd_head + k - 1) % VIEW_MAX_CMDS];
    vh->cmd_head = (vh->cmd_head + 1) % VIEW_MAX_CMDS;
    vh->ncmds--;
}

void view_pre(struct check *c, const struct obs *o)
{
    c->cmd = NULL;
    if (o->kind != OBS_QMP_REPLY)
        return;
    unsigned pos;
    c->cmd = match_reply(&c->view.host[o->host], o, &pos);
}

static void added_device(struct check *c, enum obs_host h, const struct view_cmd *cmd)
{
    struct view_host *vh = &c->view.host[h];
    if (!cmd->has_id)
        return;
    struct view_dev *d = view_dev(c, h, cmd->dev_id);
    if (!d) {
        if (vh->ndev == VIEW_MAX_DEVS) {
            vh->dev_overflow = true;
            return;
        }
        d = &vh->dev[vh->ndev++];
        memset(d, 0, sizeof(*d));
        sim_strlcpy(d->id, cmd->dev_id, sizeof(d->id));
    }
    bool virtio = strncmp(cmd->driver, "virtio-net", 10) == 0;
    d->role = cmd->pair[0]          ? OBS_ROLE_PRIMARY
              : virtio && cmd->failover ? OBS_ROLE_STANDBY
                                        : OBS_ROLE_OTHER;
    sim_strlcpy(d->pair, cmd->pair, sizeof(d->pair));
    sim_strlcpy(d->netdev, cmd->netdev, sizeof(d->netdev));
    d->has_mac = cmd->has_mac;
    memcpy(d->mac, cmd->mac, 6);
    if (d->role == OBS_ROLE_PRIMARY) {
        const struct view_dev *s = view_dev(c, h, cmd->pair);
        d->hideable = s && s->role == OBS_ROLE_STANDBY && view_exists(s);
    }
    d->added = true;
    d->deleted = false;
    d->created = false;
}

static void post_qmp(struct check *c, const struct obs *o)
{
    struct view_host *vh = &c->view.host[o->host];
    const struct obs_qmp *q = &o->u.qmp;
    switch (o->kind) {
    case OBS_QMP_GREETING:
        vh->greeted = true;
        vh->qmp_caps = false;
        vh->ncmds = 0;
        vh->cmd_head = 0;
        break;
    case OBS_QMP_COMMAND:
        if (!json_object_get(q->json, "exec-oob"))
            push_cmd(vh, o);
        break;
    case OBS_QMP_REPLY: {
        unsigned pos;
        const struct view_cmd *cmd = match_reply(vh, o, &pos);
        if (!cmd)
            break;
        if (!q->is_error) {
            if (strcmp(cmd->name, "qmp_capabilities") == 0)
                vh->qmp_caps = true;
            else if (strcmp(cmd->name, "migrate-set-capabilities") == 0 && cmd->events_cap >= 0)
                vh->events_cap = cmd->events_cap;
            else if (strcmp(cmd->name, "device_add") == 0)
                added_device(c, o->host, cmd);
        }
        drop_cmd(vh, pos);
        break;
    }
    case OBS_QMP_EVENT:
        if (strcmp(q->name, "MIGRATION") == 0) {
            if (strcmp(q->status, "setup") == 0) {
                vh->migrations++;
                for (unsigned i = 0; i < vh->ndev; i++)
                    vh->dev[i].negotiated_before_migration = vh->dev[i].negotiated;
            }
            sim_strlcpy(vh->status, q->status, sizeof(vh->status));
        } else if (strcmp(q->name, "STOP") == 0 || strcmp(q->name, "SHUTDOWN") == 0) {
            vh->running = false;
        } else if (strcmp(q->name, "RESUME") == 0) {
            vh->running = true;
        } else if (strcmp(q->name, "FAILOVER_NEGOTIATED") == 0) {
            struct view_dev *d = view_dev(c, o->host, q->device_id);
            if (d)
                d->negotiated = true;
            for (unsigned i = 0; d && i < vh->ndev; i++) /* H-19, H-21 */
                if (vh->dev[i].role == OBS_ROLE_PRIMARY && !vh->dev[i].deleted &&
                    strcmp(vh->dev[i].pair, d->id) == 0)
                    vh->dev[i].created = true;
        } else if (strcmp(q->name, "DEVICE_DELETED") == 0) {
            const json_t *data = json_object_get(q->json, "data");
            const json_t *dev = json_object_get(data, "device");
            struct view_dev *d =
                json_is_string(dev) ? view_dev(c, o->host, json_string_value(dev)) : NULL;
            if (d) {
                d->deleted = true;
                d->negotiated = false;
                d->created = false;
            }
        }
        break;
    default:
        break;
    }
}

/* ---- The guest console ---------------------------------------------------------- */

static bool is_nic_line(const struct obs_klog *k)
{
    switch (k->kind) {
    case KLOG_NIC_PROBE:
    case KLOG_NIC_REMOVE:
    case KLOG_NIC_LINK_UP:
    case KLOG_NIC_LINK_DOWN:
        return true;
    case KLOG_NET_OTHER:
        return k->driver[0] && strcmp(k->driver, "virtio_net") != 0 && k->ifname[0];
    default:
        return false;
    }
}

static void post_klog(struct check *c, const struct obs *o)
{
    const struct obs_klog *k = &o->u.klog;
    struct view *v = &c->view;
    v->guest_seen = true;
    v->guest_host = o->host;
    struct view_if *i;
    switch (k->kind) {
    case KLOG_FO_MASTER_REGISTERED:
    case KLOG_FO_MASTER_UNREGISTERED:
        if ((i = get_if(c, k->ifname)) != NULL) {
            i->role = OBS_ROLE_MASTER;
            i->registered = k->kind == KLOG_FO_MASTER_REGISTERED;
            i->master[0] = '\0';
            ck_keep(&i->changed, o);
        }
        return;
    case KLOG_FO_STANDBY_REGISTERED:
    case KLOG_FO_PRIMARY_REGISTERED:
        if ((i = get_if(c, k->ifname)) != NULL) {
            i->role = k->kind == KLOG_FO_STANDBY_REGISTERED ? OBS_ROLE_STANDBY : OBS_ROLE_PRIMARY;
            i->registered = true;
            sim_strlcpy(i->master, k->ifname2, sizeof(i->master));
            ck_keep(&i->changed, o);
        }
        return;
    case KLOG_FO_STANDBY_UNREGISTERED:
    case KLOG_FO_PRIMARY_UNREGISTERED:
        if ((i = get_if(c, k->ifname)) != NULL) {
            i->registered = false;
            ck_keep(&i->changed, o);
        }
        return;
    default:
        break;
    }
    if (!is_nic_line(k) || !(i = get_if(c, k->ifname)))
        return;
    uint8_t mac[6];
    if (ck_find_mac(k->text, mac)) {
        i->has_mac = true;
        memcpy(i->mac, mac, 6);
    }
    if (k->kind == KLOG_NIC_LINK_UP) {
        i->link_up = true;
        ck_keep(&i->link, o);
    } else if (k->kind == KLOG_NIC_LINK_DOWN || k->kind == KLOG_NIC_REMOVE) {
        i->link_up = false;
        ck_keep(&i->link, o);
    }
}

void view_post(struct check *c, const struct obs *o)
{
    switch (o->kind) {
    case OBS_QMP_GREETING:
    case OBS_QMP_COMMAND:
    case OBS_QMP_REPLY:
    case OBS_QMP_EVENT:
        post_qmp(c, o);
        break;
    case OBS_KLOG:
        post_klog(c, o);
        break;
    default:
        break;
    }
}

/* ---- Primary devices and guest interfaces ----------------------------------------- */

static unsigned count_primaries(struct check *c, enum obs_host h)
{
    unsigned n = 0;
    const struct view_host *vh = &c->view.host[h];
    for (unsigned i = 0; i < vh->ndev; i++)
        n += vh->dev[i].role == OBS_ROLE_PRIMARY && !vh->dev[i].deleted;
    return n;
}

struct view_if *view_if_of_primary(struct check *c, enum obs_host h, const struct view_dev *p)
{
    struct view *v = &c->view;
    struct view_if *only = NULL;
    unsigned nprim = 0;
    for (unsigned k = 0; k < v->nifs; k++) {
        struct view_if *i = &v->ifs[k];
        if (i->role != OBS_ROLE_PRIMARY)
            continue;
        if (p->has_mac && i->has_mac) {
            if (memcmp(i->mac, p->mac, 6) == 0)
                return i;
            continue; /* another primary's interface */
        }
        nprim++;
        only = i;
    }
    return nprim == 1 && count_primaries(c, h) == 1 ? only : NULL;
}

struct view_dev *view_primary_of_if(struct check *c, enum obs_host h, const struct view_if *i)
{
    struct view_host *vh = &c->view.host[h];
    struct view_dev *only = NULL;
    unsigned n = 0;
    for (unsigned k = 0; k < vh->ndev; k++) {
        struct view_dev *d = &vh->dev[k];
        if (d->role != OBS_ROLE_PRIMARY || d->deleted)
            continue;
        if (i->has_mac && d->has_mac) {
            if (memcmp(i->mac, d->mac, 6) == 0)
                return d;
            continue;
        }
        n++;
        only = d;
    }
    return n == 1 && i->role == OBS_ROLE_PRIMARY ? only : NULL;
}
