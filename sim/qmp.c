/*
 * The QMP monitor of a QEMU 7.2 host: the greeting, capabilities
 * negotiation, the commands failover needs, replies and events, printed as
 * QEMU prints them (", " and ": " separators, QEMU's key order, replies that
 * echo the command's "id", events stamped with the host's wall clock).
 *
 * Events emitted while a command runs come before its reply, as in QEMU.
 * QMP device_add goes through QemuOpts in 7.2 (qmp_device_add): argument
 * values become strings (true -> "on", 5 -> "5"), objects, lists and null
 * are dropped, and the options are not JSON-typed (from_json false).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_int.h"

/* ---- output -------------------------------------------------------------------- */

static void print_json(struct host *h, json_t *o)
{
    sim_emit_qmp_json(h->vm, h->id, o, JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
}

void qmp_event(struct host *h, const char *name, json_t *data)
{
    if (h->exited) {
        json_decref(data);
        return;
    }
    if (!sim_world_wants(h->w, OBS_QMP_EVENT)) { /* nobody reads the events */
        json_decref(data);
        sim_emit_skip(h->vm, h->id, OBS_QMP_EVENT);
        return;
    }
    sim_time t = sim_wallclock(h->w);
    json_t *ts = json_object();
    json_object_set_new(ts, "seconds", json_integer(t / 1000000000));
    json_object_set_new(ts, "microseconds", json_integer(t % 1000000000 / 1000));
    json_t *o = json_object();
    json_object_set_new(o, "timestamp", ts);
    json_object_set_new(o, "event", json_string(name));
    if (data)
        json_object_set_new(o, "data", data);
    print_json(h, o);
    json_decref(o);
}

void qmp_greeting(struct host *h)
{
    json_t *ver = json_pack("{s:{s:i,s:i,s:i},s:s}", "qemu", "micro", 0, "minor", 2, "major",
                            7, "package", "Debian 1:7.2+dfsg-7+deb12u18+b3");
    /* QEMU 7.2 as Debian 12 ships it (real-qemu.md); micro as printed there */
    json_object_set_new(json_object_get(ver, "qemu"), "micro", json_integer(22));
    json_t *qmp = json_object();
    json_object_set_new(qmp, "version", ver);
    json_t *caps = json_array();
    json_array_append_new(caps, json_string("oob"));
    json_object_set_new(qmp, "capabilities", caps);
    json_t *o = json_object();
    json_object_set_new(o, "QMP", qmp);
    print_json(h, o);
    json_decref(o);
}

static void vstderr(struct host *h, const char *prefix, const char *fmt, va_list ap)
{
    char text[600];
    size_t n = (size_t)snprintf(text, sizeof(text), "%s", prefix);
    vsnprintf(text + n, sizeof(text) - n, fmt, ap);
    if (*prefix)
        sim_emit_hostlog(h->vm, h->id, text);
    else /* error_printf after a report: no program name, no timestamp */
        sim_emit_hostlog_continued(h->vm, h->id, text);
}

void host_stderr(struct host *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vstderr(h, "qemu-system-x86_64: ", fmt, ap);
    va_end(ap);
}

void host_warn(struct host *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vstderr(h, "qemu-system-x86_64: warning: ", fmt, ap);
    va_end(ap);
}

void host_hint(struct host *h, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vstderr(h, "", fmt, ap);
    va_end(ap);
}

static void reply_ok(struct host *h, json_t *ret, json_t *id)
{
    json_t *o = json_object();
    json_object_set_new(o, "return", ret ? ret : json_object());
    if (id)
        json_object_set(o, "id", id);
    print_json(h, o);
    json_decref(o);
}

static void reply_err(struct host *h, const char *cls, const char *desc, json_t *id)
{
    json_t *o = json_object();
    if (id)
        json_object_set(o, "id", id);
    json_t *e = json_object();
    json_object_set_new(e, "class", json_string(cls));
    json_object_set_new(e, "desc", json_string(desc));
    json_object_set_new(o, "error", e);
    print_json(h, o);
    json_decref(o);
}

/* ---- argument checking ------------------------------------------------------------ */

enum atype { A_STR, A_BOOL, A_INT, A_LIST };

struct arg {
    const char *name;
    enum atype type;
    bool required;
};

/* Check args against the command's schema; 0 or -1 with QEMU's message. */
static int check_args(const json_t *args, const struct arg *spec, size_t n, char *err,
                      size_t errlen)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)args, key, v) {
        const struct arg *a = NULL;
        for (size_t i = 0; i < n; i++)
            if (!strcmp(spec[i].name, key))
                a = &spec[i];
        if (!a) {
            snprintf(err, errlen, "Parameter '%s' is unexpected", key);
            return -1;
        }
        static const char *const tn[] = { "string", "boolean", "integer", "array" };
        bool ok = a->type == A_STR    ? json_is_string(v)
                  : a->type == A_BOOL ? json_is_boolean(v)
                  : a->type == A_INT  ? json_is_integer(v)
                                      : json_is_array(v);
        if (!ok) {
            snprintf(err, errlen, "Invalid parameter type for '%s', expected: %s", key,
                     tn[a->type]);
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (spec[i].required && !json_object_get(args, spec[i].name)) {
            snprintf(err, errlen, "Parameter '%s' is missing", spec[i].name);
            return -1;
        }
    return 0;
}

/* ---- commands ----------------------------------------------------------------------- */

struct qmp_ctx {
    struct host *h;
    json_t *args;
    const char *eclass; /* on error */
    char err[512];
};

typedef json_t *(*qmp_fn)(struct qmp_ctx *c);

static json_t *cmd_query_status(struct qmp_ctx *c)
{
    return json_pack("{s:s,s:b,s:b}", "status", c->h->runstate, "singlestep", 0, "running",
                     c->h->running);
}

static json_t *cmd_query_pci(struct qmp_ctx *c)
{
    return qdev_query_pci(c->h);
}

static json_t *cmd_stop(struct qmp_ctx *c)
{
    struct host *h = c->h;
    if (!strcmp(h->runstate, "inmigrate")) {
        h->start_paused = true; /* autostart = 0 */
        return json_object();
    }
    if (h->running)
        host_vm_stop(h, "paused");
    return json_object();
}

static json_t *cmd_cont(struct qmp_ctx *c)
{
    struct host *h = c->h;
    if (!strcmp(h->runstate, "inmigrate")) {
        h->start_paused = false; /* autostart = 1 */
        return json_object();
    }
    if (!h->running)
        host_vm_start(h);
    return json_object();
}

static json_t *cmd_device_add(struct qmp_ctx *c)
{
    struct host *h = c->h;
    /* qemu_opts_from_qdict: scalars to strings, anything else dropped */
    json_t *opts = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(c->args, key, v) {
        char buf[64];
        if (json_is_string(v)) {
            json_object_set(opts, key, v);
        } else if (json_is_boolean(v)) {
            json_object_set_new(opts, key, json_string(json_is_true(v) ? "on" : "off"));
        } else if (json_is_integer(v)) {
            snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v));
            json_object_set_new(opts, key, json_string(buf));
        } else if (json_is_real(v)) {
            snprintf(buf, sizeof(buf), "%.17g", json_real_value(v));
            json_object_set_new(opts, key, json_string(buf));
        }
    }
    json_t *ret = NULL;
    const json_t *jid = json_object_get(opts, "id");
    const char *id = json_string_value(jid);
    bool qdev_id_wellformed(const char *id);
    bool qdev_opts_id_taken(const struct host *h, const char *id);
    if (id && !qdev_id_wellformed(id)) {
        snprintf(c->err, sizeof(c->err), "Parameter 'id' expects an identifier");
        goto out;
    }
    if (id && qdev_opts_id_taken(h, id)) {
        snprintf(c->err, sizeof(c->err), "Duplicate ID '%s' for device", id);
        goto out;
    }
    bool hidden;
    struct hw_pcidev *d = qdev_device_add(h, opts, false, &hidden, c->err, sizeof(c->err));
    if (d || hidden) {
        ret = json_object();
        if (hidden)
            sim_emit_state(h->vm, h->id, "qdev", id ? id : "?", "hidden", "device_add");
    }
out:
    json_decref(opts);
    return ret;
}

static json_t *cmd_device_del(struct qmp_ctx *c)
{
    const char *id = json_string_value(json_object_get(c->args, "id"));
    if (qdev_device_del(c->h, id, &c->eclass, c->err, sizeof(c->err)) != 0)
        return NULL;
    return json_object();
}

static json_t *cmd_migrate(struct qmp_ctx *c)
{
    const char *uri = json_string_value(json_object_get(c->args, "uri"));
    bool resume = json_is_true(json_object_get(c->args, "resume"));
    return mig_qmp_migrate(c->h, uri, resume, &c->eclass, c->err, sizeof(c->err));
}

static json_t *cmd_migrate_cancel(struct qmp_ctx *c)
{
    return mig_qmp_cancel(c->h);
}

static json_t *cmd_migrate_incoming(struct qmp_ctx *c)
{
    const char *uri = json_string_value(json_object_get(c->args, "uri"));
    return mig_qmp_incoming(c->h, uri, &c->eclass, c->err, sizeof(c->err));
}

static json_t *cmd_query_migrate(struct qmp_ctx *c)
{
    return mig_qmp_query(c->h);
}

static const char *const capabilities[] = {
    "xbzrle", "rdma-pin-all", "auto-converge", "zero-blocks", "compress", "events",
    "postcopy-ram", "x-colo", "release-ram", "block", "return-path",
    "pause-before-switchover", "multifd", "dirty-bitmaps", "postcopy-blocktime",
    "late-block-activate", "x-ignore-shared", "validate-uuid", "background-snapshot",
    "zero-copy-send", "postcopy-preempt",
};

static json_t *cmd_set_caps(struct qmp_ctx *c)
{
    struct host *h = c->h;
    json_t *list = json_object_get(c->args, "capabilities");
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e) {
        const json_t *cap = json_object_get(e, "capability");
        const json_t *st = json_object_get(e, "state");
        if (!json_is_object(e) || !json_is_string(cap) || !json_is_boolean(st)) {
            snprintf(c->err, sizeof(c->err),
                     "Invalid parameter type for 'capabilities[%zu]', expected: object with "
                     "'capability' (string) and 'state' (boolean)",
                     i);
            return NULL;
        }
        bool known = false;
        for (size_t k = 0; k < SIM_ARRAY_SIZE(capabilities); k++)
            known |= !strcmp(capabilities[k], json_string_value(cap));
        if (!known) {
            snprintf(c->err, sizeof(c->err),
                     "Parameter 'capabilities[%zu].capability' does not accept value '%s'", i,
                     json_string_value(cap));
            return NULL;
        }
    }
    if (!mig_idle(h)) {
        snprintf(c->err, sizeof(c->err), "There's a migration process in progress");
        return NULL;
    }
    json_array_foreach(list, i, e) {
        if (!strcmp(json_string_value(json_object_get(e, "capability")), "events"))
            h->cap_events = json_is_true(json_object_get(e, "state"));
    }
    return json_object();
}

static json_t *cmd_set_params(struct qmp_ctx *c)
{
    struct host *h = c->h;
    const json_t *bw = json_object_get(c->args, "max-bandwidth");
    const json_t *dl = json_object_get(c->args, "downtime-limit");
    if (bw && json_integer_value(bw) < 0) {
        snprintf(c->err, sizeof(c->err),
                 "Parameter 'max_bandwidth' expects an integer in the range of 0 to %zu "
                 "bytes/second",
                 (size_t)SIZE_MAX);
        return NULL;
    }
    if (dl && (json_integer_value(dl) < 0 || json_integer_value(dl) > 2000000)) {
        snprintf(c->err, sizeof(c->err),
                 "Parameter 'downtime_limit' expects an integer in the range of 0 to 2000000 "
                 "milliseconds");
        return NULL;
    }
    static const char *const ann[4] = { "announce-initial", "announce-max", "announce-rounds",
                                        "announce-step" };
    static const int64_t annmax[4] = { 100000, 100000, 1000, 10000 };
    for (int i = 0; i < 4; i++) {
        const json_t *v = json_object_get(c->args, ann[i]);
        if (v && (json_integer_value(v) < (i == 2 ? 0 : 1) || json_integer_value(v) > annmax[i])) {
            snprintf(c->err, sizeof(c->err), "Parameter '%s' expects an integer in the range of %d to %lld",
                     ann[i], i == 2 ? 0 : 1, (long long)annmax[i]);
            return NULL;
        }
    }
    for (int i = 0; i < 4; i++)
        if (json_object_get(c->args, ann[i]))
            h->announce[i] = json_integer_value(json_object_get(c->args, ann[i]));
    if (bw)
        h->max_bandwidth = (uint64_t)json_integer_value(bw);
    if (dl)
        h->downtime_limit_ms = (uint64_t)json_integer_value(dl);
    return json_object();
}

/* QEMU 7.2's parameters, in its order (real run d). */
static json_t *cmd_query_params(struct qmp_ctx *c)
{
    struct host *h = c->h;
    json_t *r = json_object();
    json_object_set_new(r, "cpu-throttle-tailslow", json_false());
    json_object_set_new(r, "xbzrle-cache-size", json_integer(67108864));
    json_object_set_new(r, "cpu-throttle-initial", json_integer(20));
    json_object_set_new(r, "announce-max", json_integer(h->announce[1]));
    json_object_set_new(r, "decompress-threads", json_integer(2));
    json_object_set_new(r, "compress-threads", json_integer(8));
    json_object_set_new(r, "compress-level", json_integer(1));
    json_object_set_new(r, "multifd-channels", json_integer(2));
    json_object_set_new(r, "multifd-zstd-level", json_integer(1));
    json_object_set_new(r, "announce-initial", json_integer(h->announce[0]));
    json_object_set_new(r, "block-incremental", json_false());
    json_object_set_new(r, "compress-wait-thread", json_true());
    json_object_set_new(r, "downtime-limit", json_integer((json_int_t)h->downtime_limit_ms));
    json_object_set_new(r, "tls-authz", json_string(""));
    json_object_set_new(r, "multifd-compression", json_string("none"));
    json_object_set_new(r, "announce-rounds", json_integer(h->announce[2]));
    json_object_set_new(r, "announce-step", json_integer(h->announce[3]));
    json_object_set_new(r, "tls-creds", json_string(""));
    json_object_set_new(r, "multifd-zlib-level", json_integer(1));
    json_object_set_new(r, "max-cpu-throttle", json_integer(99));
    json_object_set_new(r, "max-postcopy-bandwidth", json_integer(0));
    json_object_set_new(r, "tls-hostname", json_string(""));
    json_object_set_new(r, "throttle-trigger-threshold", json_integer(50));
    json_object_set_new(r, "max-bandwidth", json_integer((json_int_t)h->max_bandwidth));
    json_object_set_new(r, "x-checkpoint-delay", json_integer(20000));
    json_object_set_new(r, "cpu-throttle-increment", json_integer(10));
    return r;
}

static json_t *cmd_qom_get(struct qmp_ctx *c)
{
    const char *path = json_string_value(json_object_get(c->args, "path"));
    const char *prop = json_string_value(json_object_get(c->args, "property"));
    const char *pre = "/machine/peripheral/";
    struct hw_pcidev *d = NULL;
    if (!strncmp(path, pre, strlen(pre)))
        d = qdev_find(c->h, path + strlen(pre));
    if (!d) {
        c->eclass = "DeviceNotFound";
        snprintf(c->err, sizeof(c->err), "Device '%s' not found", path);
        return NULL;
    }
    if (!strcmp(prop, "mac") && d->drv->nic) {
        char s[18];
        snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1],
                 d->mac[2], d->mac[3], d->mac[4], d->mac[5]);
        return json_string(s);
    }
    if (!strcmp(prop, "failover") && d->vn)
        return json_boolean(d->vn->failover);
    if (!strcmp(prop, "failover_pair_id"))
        return json_string(d->pair ? d->pair : "");
    snprintf(c->err, sizeof(c->err), "Property '%s' not found", prop);
    return NULL;
}

static json_t *cmd_set_link(struct qmp_ctx *c)
{
    struct host *h = c->h;
    const char *name = json_string_value(json_object_get(c->args, "name"));
    bool up = json_is_true(json_object_get(c->args, "up"));
    struct hw_pcidev *d = qdev_find(h, name);
    struct hnetdev *nd = hnetdev_find(h, name);
    if (!d && nd)
        d = nd->peer;
    if (!d && !nd) {
        c->eclass = "DeviceNotFound";
        snprintf(c->err, sizeof(c->err), "Device '%s' not found", name);
        return NULL;
    }
    if (d && d->drv->nic && d->link_up != up) {
        d->link_up = up;
        if (d->vn) {
            if (up)
                d->vn->net_status |= HW_VIRTIO_NET_S_LINK_UP;
            else
                d->vn->net_status &= (uint16_t)~HW_VIRTIO_NET_S_LINK_UP;
            host_notify_virtio_config(h, d);
        } else if (h->gops && h->gops->nic_link) {
            h->gops->nic_link(h->guest, d, up);
        }
    }
    return json_object();
}

static json_t *cmd_quit(struct qmp_ctx *c)
{
    (void)c;
    return json_object();
}

/* qmp_announce_self: RARPs on every NIC, and a virtio-net whose guest
 * negotiated GUEST_ANNOUNCE is asked to announce itself (its ANNOUNCE status
 * bit and a config interrupt), round after round (net/announce.c).  The
 * named timer of `id` and the `interfaces` filter are not modelled: every
 * NIC announces on the one timer. */
static json_t *cmd_announce_self(struct qmp_ctx *c)
{
    static const char *const names[4] = { "initial", "max", "rounds", "step" };
    size_t k;
    json_t *e;
    json_array_foreach(json_object_get(c->args, "interfaces"), k, e) {
        if (!json_is_string(e)) { /* ['str']: QEMU's input visitor names the element */
            snprintf(c->err, sizeof(c->err),
                     "Invalid parameter type for 'interfaces[%zu]', expected: string", k);
            return NULL;
        }
    }
    int64_t p[4];
    /* QAPI 'int': the model takes a negative value as 0 and caps each at
     * 100000; 0 rounds announce nothing (qemu_announce_self) */
    for (int i = 0; i < 4; i++) {
        p[i] = json_integer_value(json_object_get(c->args, names[i]));
        if (p[i] < 0)
            p[i] = 0;
        if (p[i] > 100000)
            p[i] = 100000;
    }
    host_announce_with(c->h, p);
    return json_object();
}

static json_t *cmd_caps(struct qmp_ctx *c)
{
    (void)c;
    return json_object();
}

static const struct arg a_none[] = { { "", A_STR, false } };
static const struct arg a_uri[] = {
    { "uri", A_STR, true }, { "blk", A_BOOL, false }, { "inc", A_BOOL, false },
    { "detach", A_BOOL, false }, { "resume", A_BOOL, false },
};
static const struct arg a_uri_only[] = { { "uri", A_STR, true } };
static const struct arg a_id[] = { { "id", A_STR, true } };
static const struct arg a_caps[] = { { "capabilities", A_LIST, true } };
static const struct arg a_params[] = {
    { "max-bandwidth", A_INT, false },   { "downtime-limit", A_INT, false },
    { "announce-initial", A_INT, false }, { "announce-max", A_INT, false },
    { "announce-rounds", A_INT, false }, { "announce-step", A_INT, false },
};
static const struct arg a_qom[] = { { "path", A_STR, true }, { "property", A_STR, true } };
static const struct arg a_announce[] = {
    { "initial", A_INT, true }, { "max", A_INT, true },     { "rounds", A_INT, true },
    { "step", A_INT, true },    { "interfaces", A_LIST, false }, { "id", A_STR, false },
};
static const struct arg a_link[] = { { "name", A_STR, true }, { "up", A_BOOL, true } };
static const struct arg a_caps0[] = { { "enable", A_LIST, false } };

static const struct qmp_cmd {
    const char *name;
    qmp_fn fn;
    const struct arg *args; /* NULL: any arguments (device_add) */
    size_t nargs;
} commands[] = {
    { "qmp_capabilities", cmd_caps, a_caps0, 1 },
    { "query-status", cmd_query_status, a_none, 0 },
    { "query-pci", cmd_query_pci, a_none, 0 },
    { "stop", cmd_stop, a_none, 0 },
    { "cont", cmd_cont, a_none, 0 },
    { "device_add", cmd_device_add, NULL, 0 },
    { "device_del", cmd_device_del, a_id, 1 },
    { "migrate", cmd_migrate, a_uri, SIM_ARRAY_SIZE(a_uri) },
    { "migrate_cancel", cmd_migrate_cancel, a_none, 0 },
    { "migrate-incoming", cmd_migrate_incoming, a_uri_only, 1 },
    { "query-migrate", cmd_query_migrate, a_none, 0 },
    { "migrate-set-capabilities", cmd_set_caps, a_caps, 1 },
    { "migrate-set-parameters", cmd_set_params, a_params, SIM_ARRAY_SIZE(a_params) },
    { "query-migrate-parameters", cmd_query_params, a_none, 0 },
    { "qom-get", cmd_qom_get, a_qom, 2 },
    { "announce-self", cmd_announce_self, a_announce, SIM_ARRAY_SIZE(a_announce) },
    { "set_link", cmd_set_link, a_link, 2 },
    { "quit", cmd_quit, a_none, 0 },
};

static void qmp_execute(struct host *h, json_t *cmd);

void host_qmp(struct host *h, const char *json, const char *label)
{
    (void)label;
    if (h->exited) /* nobody listens any more: the client sees nothing */
        return;
    sim_emit_qmp(h->vm, h->id, json);
    json_t *cmd = json_loads(json, 0, NULL);
    SIM_ASSERT(cmd != NULL);
    qmp_execute(h, cmd);
    json_decref(cmd);
}

void host_qmp_json(struct host *h, json_t *cmd, size_t dump_flags, const char *label)
{
    (void)label;
    if (h->exited)
        return;
    sim_emit_qmp_json(h->vm, h->id, cmd, dump_flags);
    qmp_execute(h, cmd);
}

/* Run one command (the object a client's line parses to): its events, then
 * its reply. */
static void qmp_execute(struct host *h, json_t *cmd)
{
    json_t *id = json_object_get(cmd, "id");
    struct qmp_ctx c = { .h = h, .eclass = "GenericError" };
    const json_t *ex = json_object_get(cmd, "execute");
    json_t *args = json_object_get(cmd, "arguments");
    const struct qmp_cmd *qc = NULL;
    json_t *ret = NULL;
    if (!json_is_string(ex)) {
        reply_err(h, "GenericError", "QMP input lacks member 'execute'", id);
        return;
    }
    if (args && !json_is_object(args)) {
        reply_err(h, "GenericError", "QMP input member 'arguments' must be an object", id);
        return;
    }
    const char *name = json_string_value(ex);
    for (size_t i = 0; i < SIM_ARRAY_SIZE(commands); i++)
        if (!strcmp(commands[i].name, name))
            qc = &commands[i];
    if (!h->qmp_caps && (!qc || qc->fn != cmd_caps)) {
        reply_err(h, "CommandNotFound",
                  "Expecting capabilities negotiation with 'qmp_capabilities'", id);
        return;
    }
    if (h->qmp_caps && qc && qc->fn == cmd_caps) {
        reply_err(h, "CommandNotFound",
                  "Capabilities negotiation is already complete, command ignored", id);
        return;
    }
    if (!qc) {
        char d[160];
        snprintf(d, sizeof(d), "The command %s has not been found", name);
        reply_err(h, "CommandNotFound", d, id);
        return;
    }
    json_t *empty = json_object();
    c.args = args ? args : empty;
    if (qc->args && check_args(c.args, qc->args, qc->nargs, c.err, sizeof(c.err)) != 0) {
        reply_err(h, "GenericError", c.err, id);
        json_decref(empty);
        return;
    }
    ret = qc->fn(&c);
    json_decref(empty);
    if (!ret) {
        reply_err(h, c.eclass, c.err, id);
        return;
    }
    if (qc->fn == cmd_caps)
        h->qmp_caps = true;
    reply_ok(h, ret, id);
    if (qc->fn == cmd_quit) {
        json_t *data = json_pack("{s:b,s:s}", "guest", 0, "reason", "host-qmp-quit");
        qmp_event(h, "SHUTDOWN", data);
        host_exit(h);
    }
}
