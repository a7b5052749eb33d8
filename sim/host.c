/*
 * A QEMU 7.2 process (qemu-system-x86_64 -M q35): its command line, its
 * run state, and what the guest sees of it (sim/hw.h's PCI functions and
 * NICs).
 *
 * host_new parses the arguments and creates the devices in command-line
 * order through the same path as device_add, as QEMU does before the
 * machine starts; every error names the argument's position.  host_start
 * resets the machine (slot power, bus numbers), prints QEMU's start-up
 * warnings and the QMP greeting, and starts listening for an incoming
 * migration.  Options that do not affect failover are accepted and
 * ignored; doc/host.md lists what is modelled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_int.h"
#include "sim/guest.h"
#include "sim/traffic.h"

/* ---- command line ------------------------------------------------------------------ */

enum opt_kind {
    O_IGNORED,   /* accepted, no effect on failover */
    O_MACHINE,
    O_MEM,
    O_GLOBAL,
    O_DEVICE,
    O_NETDEV,
    O_OBJECT,
    O_INCOMING,
    O_PAUSED,
    O_ACCEL,
    O_KVM,
    O_NODEFAULTS,
    O_VGA,
    O_NIC,
    O_SMP,
};

static const struct qopt {
    const char *name;
    bool arg;
    enum opt_kind kind;
} qopts[] = {
    { "M", true, O_MACHINE },        { "machine", true, O_MACHINE },
    { "m", true, O_MEM },            { "global", true, O_GLOBAL },
    { "device", true, O_DEVICE },    { "netdev", true, O_NETDEV },
    { "object", true, O_OBJECT },    { "incoming", true, O_INCOMING },
    { "S", false, O_PAUSED },        { "accel", true, O_ACCEL },
    { "enable-kvm", false, O_KVM },  { "nodefaults", false, O_NODEFAULTS },
    { "vga", true, O_VGA },          { "nic", true, O_NIC },
    { "net", true, O_NIC },          { "smp", true, O_SMP },
    { "name", true, O_IGNORED },     { "display", true, O_IGNORED },
    { "nographic", false, O_IGNORED }, { "kernel", true, O_IGNORED },
    { "initrd", true, O_IGNORED },   { "append", true, O_IGNORED },
    { "serial", true, O_IGNORED },   { "qmp", true, O_IGNORED },
    { "monitor", true, O_IGNORED },  { "mon", true, O_IGNORED },
    { "chardev", true, O_IGNORED },  { "no-reboot", false, O_IGNORED },
    { "no-shutdown", false, O_IGNORED }, { "cpu", true, O_IGNORED },
    { "drive", true, O_IGNORED },    { "msg", true, O_IGNORED },
    { "D", true, O_IGNORED },        { "d", true, O_IGNORED },
    { "L", true, O_IGNORED },        { "bios", true, O_IGNORED },
    { "boot", true, O_IGNORED },     { "rtc", true, O_IGNORED },
    { "pidfile", true, O_IGNORED },  { "daemonize", false, O_IGNORED },
    { "uuid", true, O_IGNORED },     { "k", true, O_IGNORED },
    { "usb", false, O_IGNORED },     { "snapshot", false, O_IGNORED },
    { "trace", true, O_IGNORED },    { "vnc", true, O_IGNORED },
    { "sandbox", true, O_IGNORED },  { "overcommit", true, O_IGNORED },
    { "mem-prealloc", false, O_IGNORED }, { "mem-path", true, O_IGNORED },
    { "qtest", true, O_IGNORED },    { "qtest-log", true, O_IGNORED },
    { "full-screen", false, O_IGNORED }, { "sdl", false, O_IGNORED },
    { "parallel", true, O_IGNORED }, { "semihosting", false, O_IGNORED },
};

static const struct qopt *opt_lookup(const char *a)
{
    if (a[0] != '-')
        return NULL;
    a++;
    if (a[0] == '-') /* QEMU takes --opt as -opt */
        a++;
    for (size_t i = 0; i < SIM_ARRAY_SIZE(qopts); i++)
        if (!strcmp(qopts[i].name, a))
            return &qopts[i];
    return NULL;
}

/* "256", "256M", "1G", "512k", "size=256M[,slots=..,maxmem=..]" */
static int parse_mem(const char *s, uint64_t *out)
{
    char buf[64];
    const char *v = s;
    if (!strncmp(v, "size=", 5))
        v += 5;
    size_t n = strcspn(v, ",");
    if (n == 0 || n >= sizeof(buf))
        return -1;
    memcpy(buf, v, n);
    buf[n] = '\0';
    char *end;
    double x = strtod(buf, &end);
    if (end == buf || x <= 0)
        return -1;
    uint64_t mul = 1ull << 20; /* a bare number is MiB */
    if (*end) {
        switch (*end) {
        case 'k': case 'K': mul = 1ull << 10; break;
        case 'M': case 'm': mul = 1ull << 20; break;
        case 'G': case 'g': mul = 1ull << 30; break;
        case 'T': case 't': mul = 1ull << 40; break;
        case 'B': case 'b': mul = 1; break;
        default: return -1;
        }
        if (end[1])
            return -1;
    }
    double bytes = x * (double)mul;
    if (bytes < 1 << 20 || bytes > (double)(1ull << 42))
        return -1;
    *out = (uint64_t)bytes;
    return 0;
}

static bool starts_with(const char *s, const char *p)
{
    return !strncmp(s, p, strlen(p));
}

/* The keyval "key=value" of a comma list, or NULL. */
static const char *kv_get(const char *list, const char *key, char *buf, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = list; p && *p;) {
        if (!strncmp(p, key, kl) && p[kl] == '=') {
            const char *v = p + kl + 1;
            size_t vl = strcspn(v, ",");
            if (vl >= n)
                vl = n - 1;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            return buf;
        }
        p = strchr(p, ',');
        if (p)
            p++;
    }
    return NULL;
}

static int opt_machine(struct host *h, const struct scn_arg *v, struct sim_err *err)
{
    char type[64];
    const char *t = v->text;
    size_t n = strcspn(t, ",");
    if (strchr(t, '=') && (size_t)(strchr(t, '=') - t) < n) {
        if (!kv_get(t, "type", type, sizeof(type)))
            type[0] = '\0';
    } else {
        snprintf(type, sizeof(type), "%.*s", (int)n, t);
    }
    char acc[32];
    if (kv_get(t, "accel", acc, sizeof(acc)))
        h->qtest = !strcmp(acc, "qtest");
    if (!type[0])
        return 0;
    if (!strcmp(type, "q35") || starts_with(type, "pc-q35-"))
        return 0;
    if (!strcmp(type, "pc") || starts_with(type, "pc-i440fx-") || starts_with(type, "pc-"))
        return scn_errf(err, &v->pos,
                        "-machine %s: the %s machine is not modelled: fosim models q35 "
                        "(-M q35 or pc-q35-*)",
                        t, type);
    return scn_errf(err, &v->pos, "-machine %s: unsupported machine type '%s' (use -M q35)", t,
                    type);
}

static int opt_global(struct host *h, const struct scn_arg *v, struct sim_err *err)
{
    const char *t = v->text;
    const char *dot = strchr(t, '.');
    const char *eq = strchr(t, '=');
    if (!dot || !eq || eq < dot || dot == t)
        return scn_errf(err, &v->pos,
                        "-global %s: Invalid format for -global: expected "
                        "DRIVER.PROPERTY=VALUE",
                        t);
    if (!strncmp(t, "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=", 46)) {
        const char *val = eq + 1;
        if (!strcmp(val, "on") || !strcmp(val, "yes") || !strcmp(val, "true") ||
            !strcmp(val, "y"))
            h->native_hotplug = false;
        else if (!strcmp(val, "off") || !strcmp(val, "no") || !strcmp(val, "false") ||
                 !strcmp(val, "n"))
            h->native_hotplug = true;
        else
            return scn_errf(err, &v->pos,
                            "-global %s: Parameter 'acpi-pci-hotplug-with-bridge-support' "
                            "expects 'on' or 'off'",
                            t);
    }
    return 0;
}

static int opt_object(struct host *h, const struct scn_arg *v, struct sim_err *err)
{
    char type[64], id[64], nd[64], file[256];
    const char *t = v->text;
    snprintf(type, sizeof(type), "%.*s", (int)strcspn(t, ","), t);
    if (strchr(type, '='))
        kv_get(t, "qom-type", type, sizeof(type));
    if (!kv_get(t, "id", id, sizeof(id)))
        return scn_errf(err, &v->pos, "-object %s: Parameter 'id' is missing", t);
    if (strcmp(type, "filter-dump") != 0)
        return 0; /* other objects do not touch failover */
    if (!kv_get(t, "netdev", nd, sizeof(nd)))
        return scn_errf(err, &v->pos, "-object %s: Parameter 'netdev' is missing", t);
    if (!hnetdev_find(h, nd))
        return scn_errf(err, &v->pos,
                        "-object %s: Parameter 'netdev' expects a network backend id", t);
    if (!kv_get(t, "file", file, sizeof(file)))
        return scn_errf(err, &v->pos, "-object %s: dump filter needs 'file' property set!", t);
    return 0;
}

static int opt_device(struct host *h, const struct scn_arg *v, struct sim_err *err)
{
    char msg[512];
    bool from_json, hidden;
    json_t *opts = qdev_parse_device_arg(v->text, &from_json, msg, sizeof(msg));
    if (!opts)
        return scn_errf(err, &v->pos, "-device %s: %s", v->text, msg);
    int rc = 0;
    const char *id = json_string_value(json_object_get(opts, "id"));
    bool qdev_id_wellformed(const char *id);
    bool qdev_opts_id_taken(const struct host *h, const char *id);
    if (!from_json && id && !qdev_id_wellformed(id)) {
        rc = scn_errf(err, &v->pos, "-device %s: Parameter 'id' expects an identifier",
                      v->text);
        goto out;
    }
    if (!from_json && id && qdev_opts_id_taken(h, id)) {
        rc = scn_errf(err, &v->pos, "-device %s: Duplicate ID '%s' for device", v->text, id);
        goto out;
    }
    struct hw_pcidev *d = qdev_device_add(h, opts, from_json, &hidden, msg, sizeof(msg));
    if (!d && !hidden) {
        rc = scn_errf(err, &v->pos, "-device %s: %s", v->text, msg);
        goto out;
    }
    if (hidden && id && !from_json) {
        h->cl_hidden = sim_xrealloc(h->cl_hidden, (h->ncl_hidden + 1) * sizeof(char *));
        h->cl_hidden[h->ncl_hidden++] = sim_xstrdup(id);
    }
out:
    json_decref(opts);
    return rc;
}

static int parse_argv(struct host *h, const struct scn_host *cfg, struct sim_err *err)
{
    static const struct scn_arg no_value = { .text = (char *)"" }; /* options without one */
    const struct scn_args *a = &cfg->argv;
    char msg[512];
    /* pass 1: settings and netdevs (QEMU creates netdevs before devices) */
    for (size_t i = 0; i < a->n; i++) {
        const struct scn_arg *o = &a->v[i];
        const struct qopt *q = opt_lookup(o->text);
        if (!q) {
            if (o->text[0] == '-')
                return scn_errf(err, &o->pos, "unknown QEMU option '%s'", o->text);
            return scn_errf(err, &o->pos,
                            "unexpected argument '%s' (a disk image is not modelled)", o->text);
        }
        const struct scn_arg *v = &no_value;
        if (q->arg) {
            if (i + 1 >= a->n)
                return scn_errf(err, &o->pos, "option %s requires an argument", o->text);
            v = &a->v[++i];
        }
        switch (q->kind) {
        case O_IGNORED:
        case O_DEVICE:
        case O_OBJECT:
            break;
        case O_MACHINE:
            if (opt_machine(h, v, err) != 0)
                return -1;
            break;
        case O_MEM:
            if (parse_mem(v->text, &h->ram) != 0)
                return scn_errf(err, &v->pos,
                                "-m %s: Parameter 'size' expects a non-negative number below "
                                "2^64 (a size such as 256, 256M or 1G, at least 1M)",
                                v->text);
            break;
        case O_GLOBAL:
            if (opt_global(h, v, err) != 0)
                return -1;
            break;
        case O_NETDEV:
            if (qdev_netdev_add(h, v->text, msg, sizeof(msg)) != 0)
                return scn_errf(err, &v->pos, "-netdev %s: %s", v->text, msg);
            break;
        case O_INCOMING:
            free(h->incoming_uri);
            h->incoming_uri = NULL;
            if (!strcmp(v->text, "defer")) {
                h->incoming = INCOMING_DEFER;
            } else if (starts_with(v->text, "tcp:") || starts_with(v->text, "exec:") ||
                       starts_with(v->text, "unix:")) {
                h->incoming = INCOMING_URI;
                h->incoming_uri = sim_xstrdup(v->text);
            } else {
                return scn_errf(err, &v->pos, "-incoming %s: unknown migration protocol: %s",
                                v->text, v->text);
            }
            break;
        case O_PAUSED:
            h->start_paused = true;
            break;
        case O_ACCEL: {
            size_t n = strcspn(v->text, ",");
            char acc[32];
            snprintf(acc, sizeof(acc), "%.*s", (int)n, v->text);
            if (strchr(acc, '='))
                kv_get(v->text, "accel", acc, sizeof(acc));
            if (strcmp(acc, "tcg") && strcmp(acc, "kvm") && strcmp(acc, "qtest") &&
                strcmp(acc, "xen") && strcmp(acc, "hvf") && strcmp(acc, "whpx"))
                return scn_errf(err, &v->pos, "-accel %s: invalid accelerator %s", v->text,
                                acc);
            h->qtest = !strcmp(acc, "qtest");
            break;
        }
        case O_KVM:
            break;
        case O_NODEFAULTS:
            h->nodefaults = true;
            break;
        case O_VGA:
            if (!strcmp(v->text, "none"))
                h->vga = false;
            break;
        case O_NIC:
            return scn_errf(err, &o->pos,
                            "option %s is not modelled: use -netdev with -device", o->text);
        case O_SMP: {
            char *end;
            const char *s = v->text;
            if (starts_with(s, "cpus="))
                s += 5;
            long n = strtol(s, &end, 10);
            if (end == s || n < 1 || n > 288 || (*end && *end != ','))
                return scn_errf(err, &v->pos, "-smp %s: Parameter 'cpus' expects a number", v->text);
            break;
        }
        }
    }
    /* the machine's own devices */
    if (!h->nodefaults && h->vga) {
        const struct hdrv *vga = hdrv_lookup("VGA");
        struct hw_pcidev *d = sim_xcalloc(1, sizeof(*d));
        d->h = h;
        d->drv = vga;
        d->serial = ++h->dev_serial;
        d->devfn = 1 << 3;
        d->vmstate = true;
        d->rom = true;
        h->devs = d;
    }
    /* pass 2: objects, then devices in order */
    for (size_t i = 0; i < a->n; i++) {
        const struct qopt *q = opt_lookup(a->v[i].text);
        const struct scn_arg *v = q->arg ? &a->v[i + 1] : &no_value;
        if (q->arg)
            i++;
        if (q->kind == O_OBJECT && opt_object(h, v, err) != 0)
            return -1;
    }
    for (size_t i = 0; i < a->n; i++) {
        const struct qopt *q = opt_lookup(a->v[i].text);
        const struct scn_arg *v = q->arg ? &a->v[i + 1] : &no_value;
        if (q->arg)
            i++;
        if (q->kind == O_DEVICE && opt_device(h, v, err) != 0)
            return -1;
    }
    return 0;
}

struct host *host_new(struct sim_vm *vm, const struct scn_host *cfg, struct sim_err *err)
{
    struct host *h = sim_xcalloc(1, sizeof(*h));
    h->vm = vm;
    h->w = vm->w;
    h->id = cfg->id;
    h->cfg = cfg;
    h->ram = 128ull << 20; /* QEMU's default -m */
    h->vga = true;
    h->runstate = "prelaunch";
    h->max_bandwidth = 128u << 20;
    h->downtime_limit_ms = 300;
    h->announce[0] = 50, h->announce[1] = 550, h->announce[2] = 5, h->announce[3] = 100;
    h->mig = mig_new(h);
    char stream[32];
    snprintf(stream, sizeof(stream), "host/%s", obs_host_name(cfg->id));
    sim_vm_rng(vm, &h->rng, stream);
    if (parse_argv(h, cfg, err) != 0) {
        host_free(h);
        return NULL;
    }
    return h;
}

void host_free(struct host *h)
{
    if (!h)
        return;
    sim_cancel(h->w, &h->announce_ev);
    mig_free(h->mig);
    qdev_free_all(h);
    for (unsigned i = 0; i < h->ncl_hidden; i++)
        free(h->cl_hidden[i]);
    free(h->cl_hidden);
    for (unsigned i = 0; i < h->nghosts; i++)
        free(h->ghosts[i]);
    free(h->ghosts);
    free(h->incoming_uri);
    free(h->acpi);
    free(h);
}

static void announce_fire(struct sim_world *w, struct sim_event *ev);

void host_start(struct host *h)
{
    SIM_ASSERT(!h->started);
    h->started = true;
    sim_event_init(&h->announce_ev, announce_fire, "announce");
    qdev_machine_ready(h);
    for (struct hw_pcidev *d = h->devs; d; d = d->next)
        if (d->port)
            port_reset(d->port);
    h->machine_ready = true;
    for (struct hw_pcidev *d = h->devs; d; d = d->next) /* IMP: H-58 */
        if (d->vn && d->vn->failover && !d->id)
            sim_emit_state(h->vm, h->id, "qdev", "virtio-net-pci", "standby-without-id",
                           "failover=on without id: no primary can name it");
    /* net_check_clients: a netdev nobody uses (a hidden primary's) */
    for (struct hnetdev *n = h->netdevs; n; n = n->next)
        if (!n->peer)
            host_warn(h, "netdev %s has no peer", n->id);
    unsigned anon[8] = { 0 };
    for (struct hw_pcidev *d = h->devs; d; d = d->next) {
        if (!d->drv->nic || d->netdev)
            continue;
        if (d->id) {
            host_warn(h, "nic %s has no peer", d->id);
        } else { /* an id-less NIC is named after its model and a count */
            host_warn(h, "nic %s.%u has no peer", d->drv->name, anon[d->drv->id]++);
        }
    }
    qmp_greeting(h);
    if (h->incoming != INCOMING_NONE) {
        h->runstate = "inmigrate";
        h->running = false;
        if (h->incoming == INCOMING_URI)
            mig_start_incoming(h, false);
    } else if (h->start_paused) {
        h->runstate = "prelaunch";
        h->running = false;
    } else {
        h->runstate = "running";
        h->running = true;
        h->ever_ran = true;
        h->numbered = true;
    }
    sim_emit_state(h->vm, h->id, "runstate", "-", h->runstate, "start");
}

/* ---- public API ------------------------------------------------------------------------ */

enum obs_host host_id(const struct host *h)
{
    return h->id;
}

struct sim_world *host_world(const struct host *h)
{
    return h->w;
}

struct sim_vm *host_vm(const struct host *h)
{
    return h->vm;
}

void host_attach_guest(struct host *h, const struct hw_guest_ops *ops, void *guest)
{
    h->gops = ops;
    h->guest = guest;
}

const char *host_runstate(const struct host *h)
{
    return h->runstate;
}

bool host_vm_running(const struct host *h)
{
    return h->running;
}

bool host_device_exists(const struct host *h, const char *qdev_id)
{
    return qdev_find(h, qdev_id) != NULL;
}

bool host_device_visible(const struct host *h, const char *qdev_id)
{
    const struct hw_pcidev *d = qdev_find(h, qdev_id);
    /* partially unplugged: the guest completed the failover unplug */
    return d && !(d->partially_hotplugged && !d->pending_deleted_event);
}

const char *host_migration_status(const struct host *h)
{
    return mig_status(h);
}

bool host_native_hotplug(const struct host *h)
{
    return h->native_hotplug;
}

static enum obs_role role_of(const struct hw_pcidev *d)
{
    if (d->vn && d->vn->failover)
        return OBS_ROLE_STANDBY;
    if (d->pair)
        return OBS_ROLE_PRIMARY;
    return OBS_ROLE_OTHER;
}

int host_parse_mac(const char *s, uint8_t mac[6]);

/* The NICs in host_nics' order, each given to fn until it returns true
 * (then true is returned). */
static bool nics_walk(const struct host *h, bool (*fn)(void *ctx, const struct host_nic_info *i),
                      void *ctx)
{
    for (const struct hw_pcidev *d = h->devs; d; d = d->next) {
        if (!d->drv->nic && d->drv->id != HDRV_VFIO)
            continue;
        struct host_nic_info i = {
            .qdev_id = d->id, .netdev = d->netdev ? d->netdev : d->vfio_host,
            .role = role_of(d), .pair = d->pair ? d->pair : d->id, .has_mac = d->has_mac,
        };
        memcpy(i.mac, d->mac, 6);
        if (fn(ctx, &i))
            return true;
    }
    /* hidden primaries: known by the options their standby stored */
    for (const struct hw_pcidev *d = h->devs; d; d = d->next) {
        if (!d->vn || !d->vn->primary_opts)
            continue;
        const json_t *o = d->vn->primary_opts;
        const char *id = json_string_value(json_object_get(o, "id"));
        if (qdev_find(h, id))
            continue;
        struct host_nic_info i = {
            .qdev_id = id, .netdev = json_string_value(json_object_get(o, "netdev")),
            .role = OBS_ROLE_PRIMARY, .pair = d->id,
        };
        const char *mac = json_string_value(json_object_get(o, "mac"));
        i.has_mac = mac && host_parse_mac(mac, i.mac) == 0;
        if (fn(ctx, &i))
            return true;
    }
    return false;
}

struct nics_list {
    struct host_nic_info *out;
    unsigned max, n;
};

static bool nics_list_add(void *ctx, const struct host_nic_info *i)
{
    struct nics_list *l = ctx;
    if (l->n < l->max)
        l->out[l->n++] = *i;
    return false;
}

unsigned host_nics(const struct host *h, struct host_nic_info *out, unsigned max)
{
    struct nics_list l = { .out = out, .max = max };
    nics_walk(h, nics_list_add, &l);
    return l.n;
}

struct nics_find {
    const char *qdev_id, *netdev;
    struct host_nic_info *out;
};

static bool nics_find_one(void *ctx, const struct host_nic_info *i)
{
    struct nics_find *f = ctx;
    if (f->qdev_id && !(i->qdev_id && strcmp(i->qdev_id, f->qdev_id) == 0))
        return false;
    if (f->netdev && !(i->netdev && strcmp(i->netdev, f->netdev) == 0))
        return false;
    *f->out = *i;
    return true;
}

bool host_nic_find(const struct host *h, const char *qdev_id, const char *netdev,
                   struct host_nic_info *out)
{
    struct nics_find f = { .qdev_id = qdev_id, .netdev = netdev, .out = out };
    return (qdev_id || netdev) && nics_walk(h, nics_find_one, &f);
}

/* ---- run state ------------------------------------------------------------------------- */

void host_vm_stop(struct host *h, const char *runstate)
{
    h->runstate = runstate;
    if (!h->running)
        return;
    h->running = false;
    qmp_event(h, "STOP", NULL);
    sim_emit_state(h->vm, h->id, "runstate", "running", runstate, "stop");
    if (h->gops && h->gops->vm_run_state)
        h->gops->vm_run_state(h->guest, false);
}

void host_vm_start(struct host *h)
{
    if (h->running || h->exited)
        return;
    const char *from = h->runstate;
    h->running = true;
    h->ever_ran = true;
    h->numbered = true;
    h->runstate = "running";
    qmp_event(h, "RESUME", NULL);
    sim_emit_state(h->vm, h->id, "runstate", from, "running", "start");
    if (h->gops && h->gops->vm_run_state)
        h->gops->vm_run_state(h->guest, true);
}

void host_exit(struct host *h)
{
    if (h->exited)
        return;
    if (h->running && h->gops && h->gops->vm_run_state)
        h->gops->vm_run_state(h->guest, false);
    h->running = false;
    h->runstate = "shutdown";
    h->exited = true;
    sim_cancel(h->w, &h->announce_ev);
    sim_emit_state(h->vm, h->id, "process", "running", "exited", NULL);
}

void host_notify_slot(struct host *h, struct hw_port *p)
{
    if (h->gops && h->gops->slot_irq)
        h->gops->slot_irq(h->guest, p);
}

void host_notify_acpi(struct host *h)
{
    if (h->gops && h->gops->acpi_pcihp_gpe)
        h->gops->acpi_pcihp_gpe(h->guest);
}

void host_notify_virtio_config(struct host *h, struct hw_pcidev *d)
{
    if (h->gops && h->gops->virtio_config)
        h->gops->virtio_config(h->guest, d);
}

/* ---- RARP self-announcement (net/announce.c) ------------------------------------------ */

/* the migration parameters announce-initial (default 50 ms), -max (550 ms),
 * -rounds (5), -step (100 ms) */

static void announce_once(struct host *h)
{
    for (struct hw_pcidev *d = h->devs; d; d = d->next) {
        if (!d->drv->nic || !d->netdev)
            continue;
        uint8_t buf[60] = { 0 };
        memset(buf, 0xff, 6);
        memcpy(buf + 6, d->mac, 6);
        buf[12] = 0x80; /* ETH_P_RARP */
        buf[13] = 0x35;
        buf[14] = 0x00; buf[15] = 0x01; /* hardware type: Ethernet */
        buf[16] = 0x08; buf[17] = 0x00; /* protocol: IPv4 */
        buf[18] = 6; buf[19] = 4;
        buf[20] = 0x00; buf[21] = 0x03; /* reverse request */
        memcpy(buf + 22, d->mac, 6);
        memcpy(buf + 32, d->mac, 6);
        uint64_t flow = 1469598103934665603ull;
        for (size_t i = 0; i < 42; i++)
            flow = (flow ^ buf[i]) * 1099511628211ull;
        flow ^= (uint64_t)h->announce_round << 56;
        struct frame f = { .data = buf, .len = 60, .caplen = 60, .flow = flow,
                           .born = h->w->now };
        if (h->vm->traffic)
            traffic_netdev_tx(h->vm->traffic, h, d->id, d->netdev, &f);
        /* a guest that negotiated GUEST_ANNOUNCE and CTRL_VQ announces too */
        if (d->vn && (d->vn->guest_features >> 21 & 1) && (d->vn->guest_features >> 17 & 1)) {
            d->vn->net_status |= HW_VIRTIO_NET_S_ANNOUNCE;
            host_notify_virtio_config(h, d);
        }
    }
}

static void announce_fire(struct sim_world *w, struct sim_event *ev)
{
    struct host *h = SIM_CONTAINER_OF(ev, struct host, announce_ev);
    (void)w;
    announce_once(h);
    const int64_t *p = h->announce_cur;
    if (--h->announce_round > 0) {
        int64_t step = p[0] + (p[2] - h->announce_round - 1) * p[3];
        if (step < 0 || step > p[1])
            step = p[1];
        sim_schedule_in(h->w, &h->announce_ev, SIM_MS(step));
    }
}

void host_announce_with(struct host *h, const int64_t params[4])
{
    memcpy(h->announce_cur, params, sizeof(h->announce_cur));
    h->announce_round = (int)params[2];
    sim_cancel(h->w, &h->announce_ev);
    if (h->announce_round > 0)
        announce_fire(h->w, &h->announce_ev);
}

void host_announce(struct host *h)
{
    host_announce_with(h, h->announce);
}

/* ---- sim/hw.h: PCI functions ------------------------------------------------------------- */

/* The guest can reach the function: realized, behind a powered slot. */
static bool guest_reachable(const struct hw_pcidev *d)
{
    if (!d->parent || !d->parent->port)
        return true;
    const struct hw_port *p = d->parent->port;
    if (d->h->native_hotplug && !(p->sltsta & HW_SLTSTA_PDS))
        return false;
    return port_powered(p);
}

static int cmp_addr(const void *a, const void *b)
{
    const struct hw_pcidev *x = *(struct hw_pcidev *const *)a, *y = *(struct hw_pcidev *const *)b;
    int kx = qdev_bus(x) << 8 | x->devfn, ky = qdev_bus(y) << 8 | y->devfn;
    return (kx > ky) - (kx < ky);
}

void hw_for_each_pci(struct host *h, int (*fn)(void *ctx, struct hw_pcidev *d), void *ctx)
{
    /* a snapshot in address order: fn may plug or unplug */
    size_t n = 0, cap = 16;
    struct hw_pcidev **v = sim_xmalloc(cap * sizeof(*v)); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
    uint64_t *serial = sim_xmalloc(cap * sizeof(*serial));
    for (struct hw_pcidev *d = h->devs; d; d = d->next) {
        if (!guest_reachable(d))
            continue;
        if (n == cap) {
            cap *= 2;
            v = sim_xrealloc(v, cap * sizeof(*v)); /* NOLINT(bugprone-sizeof-expression) */
        }
        v[n++] = d;
    }
    qsort(v, n, sizeof(*v), cmp_addr); /* NOLINT(bugprone-sizeof-expression) */
    serial = sim_xrealloc(serial, (n ? n : 1) * sizeof(*serial));
    for (size_t i = 0; i < n; i++)
        serial[i] = v[i]->serial;
    for (size_t i = 0; i < n; i++) {
        /* still there and reachable? (a callback may have changed the tree;
         * serials are never reused, so a freed device cannot be mistaken) */
        struct hw_pcidev *live = NULL;
        for (struct hw_pcidev *d = h->devs; d && !live; d = d->next)
            if (d->serial == serial[i])
                live = d;
        if (live && guest_reachable(live) && fn(ctx, live))
            break;
    }
    free(serial);
    free(v);
}

struct hw_pcidev *hw_pci_lookup(struct host *h, struct hw_pci_addr a)
{
    for (struct hw_pcidev *d = h->devs; d; d = d->next)
        if (qdev_bus(d) == a.bus && d->devfn == (a.slot << 3 | a.func) && guest_reachable(d))
            return d;
    return NULL;
}

void hw_pci_info(const struct hw_pcidev *d, struct hw_pci_info *out)
{
    *out = (struct hw_pci_info){
        .kind = d->drv->kind,
        .addr = { .bus = qdev_bus(d), .slot = (uint8_t)(d->devfn >> 3),
                  .func = (uint8_t)(d->devfn & 7) },
        .vendor = d->drv->vendor,
        .device = d->drv->device,
        .class_code = d->drv->class_code,
        .multifunction = d->multifunction,
        .has_mac = d->has_mac,
        .mac_random = d->mac_random,
        .qdev_id = d->id,
        .vf_driver = d->drv->id == HDRV_VFIO ? "iavf" : NULL,
    };
    memcpy(out->mac, d->mac, 6);
}

/* ---- sim/hw.h: NICs and the wire ------------------------------------------------------------ */

bool hw_nic_link_up(const struct hw_pcidev *d)
{
    return d->link_up;
}

static enum frame_drop path_state(const struct hw_pcidev *d)
{
    const struct host *h = d->h;
    if (!h->running)
        return FRAME_DROP_VM_STOPPED;
    if (!guest_reachable(d) || (d->partially_hotplugged && !d->pending_deleted_event))
        return FRAME_DROP_DEVICE_GONE;
    if (!d->link_up)
        return FRAME_DROP_LINK_DOWN;
    return FRAME_DROP_NONE;
}

enum frame_drop hw_nic_tx(struct hw_pcidev *d, const struct frame *f)
{
    enum frame_drop why = path_state(d);
    if (why != FRAME_DROP_NONE)
        return why;
    const char *nd = d->netdev ? d->netdev : d->vfio_host;
    if (!nd)
        return FRAME_DROP_NO_PEER;
    if (d->h->vm->traffic)
        traffic_netdev_tx(d->h->vm->traffic, d->h, d->id, nd, f);
    return FRAME_DROP_NONE;
}

enum frame_drop host_netdev_rx(struct host *h, const char *netdev, const struct frame *f)
{
    struct hw_pcidev *d = NULL;
    struct hnetdev *nd = hnetdev_find(h, netdev);
    if (nd)
        d = nd->peer;
    else
        for (struct hw_pcidev *e = h->devs; e; e = e->next)
            if (e->vfio_host && !strcmp(e->vfio_host, netdev))
                d = e;
    if (!d || h->exited)
        return FRAME_DROP_NO_PEER;
    enum frame_drop why = path_state(d);
    if (why != FRAME_DROP_NONE)
        return why;
    if (!h->gops || !h->gops->nic_rx)
        return FRAME_DROP_VM_STOPPED;
    h->gops->nic_rx(h->guest, d, f);
    return FRAME_DROP_NONE;
}
