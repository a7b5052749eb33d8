/*
 * The bundle recorder (see sim/include/sim/record.h).
 *
 * Files are opened when their first observation arrives, so a bundle holds
 * only the artifacts the run produced (a guest that never ran on the target
 * leaves no target console).  A write error is remembered and reported by
 * record_finish; the manifest is then not written, so the directory is not
 * a bundle.
 */
#include "sim/record.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/bundle.h"
#include "sim/guest.h"
#include "sim/host.h"
#include "sim/hostlog.h"
#include "sim/pcap_io.h"
#include "sim/scenario.h"
#include "sim/world.h"

#define REC_MAX_PCAPS 32
#define REC_SNAPLEN 65535u
#define SLL2_LEN 20

struct rec_pcap {
    char *name;               /* file name in the bundle (owned) */
    struct pcap_writer *w;    /* owned */
    enum obs_host host;
    char *point;              /* owned */
    bool sll2;
    enum obs_role role;       /* Ethernet: the role of the device captured */
    uint64_t n;               /* records written */
    struct clock_map clock;   /* file stamp to wall clock, per record */
    struct bundle_iface ifaces[BUNDLE_MAX_IFACES];
    size_t nifaces;
};

struct recorder {
    char *dir;                      /* owned */
    struct sim_run *run;            /* borrowed */
    FILE *text[OBS_NHOSTS][3];      /* qmp, console, stderr; owned */
    struct clock_map console_clock[OBS_NHOSTS];
    uint64_t console_lines[OBS_NHOSTS];
    struct rec_pcap pcaps[REC_MAX_PCAPS];
    size_t npcaps;
    bool ended, truncated;
    sim_time end;           /* the END record's time: the run's end */
    struct sim_err err;             /* first error */
    bool failed;
    uint8_t *buf;                   /* SLL2 record assembly (owned) */
    bool guest_mac_set;             /* learnt from frames the guest sent */
    uint8_t guest_mac[6];
    struct bundle *b;               /* the manifest being built (owned) */
};

static const char *const text_suffix[3] = { ".qmp", "-guest.log", ".stderr" };

static void fail(struct recorder *r, const char *fmt, const char *what, int e)
{
    if (r->failed)
        return;
    r->failed = true;
    /* e is 0 when the error was only found by ferror() at the end */
    sim_errf(&r->err, fmt, what, e ? strerror(e) : "an earlier write to it failed");
}

static FILE *text_file(struct recorder *r, enum obs_host h, int which)
{
    if (r->text[h][which])
        return r->text[h][which];
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s%s", r->dir, obs_host_name(h), text_suffix[which]);
    r->text[h][which] = fopen(path, "wb");
    if (!r->text[h][which])
        fail(r, "%s: %s", path, errno);
    return r->text[h][which];
}

static struct rec_pcap *pcap_file(struct recorder *r, const struct obs *o)
{
    const char *name = o->origin.file;
    for (size_t i = 0; i < r->npcaps; i++)
        if (strcmp(r->pcaps[i].name, name) == 0)
            return &r->pcaps[i];
    if (r->npcaps == REC_MAX_PCAPS) {
        if (!r->failed) {
            r->failed = true;
            sim_errf(&r->err, "%s: more than %d capture files", r->dir, REC_MAX_PCAPS);
        }
        return NULL;
    }
    if (strchr(name, '/') || name[0] == '.') {
        if (!r->failed) {
            r->failed = true;
            sim_errf(&r->err, "capture file name '%s' is not a plain file name", name);
        }
        return NULL;
    }
    struct rec_pcap *p = &r->pcaps[r->npcaps];
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", r->dir, name);
    bool sll2 = o->u.frame.sll2;
    struct sim_err e;
    if (pcap_writer_open(path, sll2 ? PCAP_LINK_SLL2 : PCAP_LINK_ETHERNET, REC_SNAPLEN, false,
                         &p->w, &e) != 0) {
        if (!r->failed) {
            r->failed = true;
            r->err = e;
        }
        return NULL;
    }
    p->name = sim_xstrdup(name);
    p->host = o->host;
    p->point = sim_xstrdup(o->u.frame.point ? o->u.frame.point : "guest");
    p->sll2 = sll2;
    p->role = o->u.frame.role;
    r->npcaps++;
    return p;
}

/* Remember the role of an SLL2 interface index (and its name, if the guest
 * still has it). */
static void note_iface(struct recorder *r, struct rec_pcap *p, const struct obs_frame *f)
{
    for (size_t i = 0; i < p->nifaces; i++)
        if (p->ifaces[i].ifindex == f->ifindex)
            return;
    if (p->nifaces == BUNDLE_MAX_IFACES)
        return;
    struct bundle_iface *bi = &p->ifaces[p->nifaces++];
    bi->ifindex = f->ifindex;
    bi->role = f->role;
    const struct guest *g = r->run->w->vms[0].guest;
    struct guest_ifinfo ifs[BUNDLE_MAX_IFACES];
    unsigned n = g ? guest_interfaces(g, ifs, BUNDLE_MAX_IFACES) : 0;
    for (unsigned i = 0; i < n; i++)
        if (ifs[i].ifindex == f->ifindex)
            sim_strlcpy(bi->name, ifs[i].name, sizeof(bi->name));
}

static void put_frame(struct recorder *r, const struct obs *o)
{
    const struct obs_frame *f = &o->u.frame;
    struct rec_pcap *p = pcap_file(r, o);
    if (!p)
        return;
    /* The file holds the capture tool's own stamp (microseconds); the
     * manifest maps it back to the host clock record by record. */
    sim_time st = f->stamp ? f->stamp - f->stamp % 1000 : o->t;
    if (clock_map_add(&p->clock, ++p->n, o->t - st) != 0 && !r->failed) {
        r->failed = true;
        sim_errf(&r->err, "%s: out of memory", r->dir);
    }
    struct sim_err e;
    int rc;
    if (p->sll2) {
        note_iface(r, p, f);
        uint32_t cap = f->caplen > REC_SNAPLEN - SLL2_LEN ? REC_SNAPLEN - SLL2_LEN : f->caplen;
        uint8_t *h = r->buf;
        h[0] = (uint8_t)(f->ethertype >> 8);
        h[1] = (uint8_t)f->ethertype;
        h[2] = h[3] = 0;
        uint32_t ifx = (uint32_t)f->ifindex;
        h[4] = (uint8_t)(ifx >> 24);
        h[5] = (uint8_t)(ifx >> 16);
        h[6] = (uint8_t)(ifx >> 8);
        h[7] = (uint8_t)ifx;
        h[8] = 0;
        h[9] = 1; /* ARPHRD_ETHER */
        h[10] = f->dir == OBS_DIR_FROM_GUEST ? 4 : 0;
        h[11] = 6;
        memcpy(h + 12, f->src, 6);
        h[18] = h[19] = 0;
        if (cap)
            memcpy(h + SLL2_LEN, f->data, cap);
        rc = pcap_writer_put(p->w, st, h, SLL2_LEN + cap, SLL2_LEN + f->len, &e);
    } else {
        if (!r->guest_mac_set && f->dir == OBS_DIR_FROM_GUEST && f->caplen >= 12) {
            memcpy(r->guest_mac, f->data + 6, 6);
            r->guest_mac_set = true;
        }
        rc = pcap_writer_put(p->w, st, f->data, f->caplen, f->len, &e);
    }
    if (rc != 0 && !r->failed) {
        r->failed = true;
        r->err = e;
    }
}

static void record_sink(void *ctx, const struct obs *o)
{
    struct recorder *r = ctx;
    if (o->kind == OBS_END) {
        r->ended = true;
        r->truncated = o->u.end.truncated;
        r->end = o->t;
        return;
    }
    if (o->vm != 0 || r->failed)
        return;
    FILE *f;
    switch (o->kind) {
    case OBS_QMP_GREETING:
    case OBS_QMP_COMMAND:
    case OBS_QMP_REPLY:
    case OBS_QMP_EVENT:
        if ((f = text_file(r, o->host, 0)) != NULL)
            fprintf(f, "%s\n", o->u.qmp.line);
        break;
    case OBS_KLOG: {
        if ((f = text_file(r, o->host, 1)) == NULL)
            break;
        uint64_t up = (uint64_t)(o->u.klog.uptime < 0 ? 0 : o->u.klog.uptime);
        fprintf(f, "[%5" PRIu64 ".%06" PRIu64 "] %s\n", up / 1000000000u,
                up % 1000000000u / 1000u, o->u.klog.text);
        uint64_t line = ++r->console_lines[o->host];
        if (clock_map_add(&r->console_clock[o->host], line, o->t - o->u.klog.uptime) != 0 &&
            !r->failed) {
            r->failed = true;
            sim_errf(&r->err, "%s: out of memory", r->dir);
        }
        break;
    }
    case OBS_HOSTLOG: {
        if ((f = text_file(r, o->host, 2)) == NULL)
            break;
        char ts[40];
        hostlog_format_stamp(ts, sizeof(ts), o->t);
        /* -msg timestamp=on stamps a message's first line only */
        if (o->u.hostlog.continuation)
            fprintf(f, "%s\n", o->u.hostlog.text);
        else
            fprintf(f, "%s %s\n", ts, o->u.hostlog.text);
        break;
    }
    case OBS_FRAME:
        put_frame(r, o);
        break;
    case OBS_STATE:
    case OBS_END:
    case OBS_NKINDS:
        break;
    }
}

static int mkdir_p(const char *dir, struct sim_err *err)
{
    char *p = sim_xstrdup(dir);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            sim_errf(err, "%s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return sim_errf(err, "%s: %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return sim_errf(err, "%s: not a directory", dir);
    return 0;
}

int record_open(const char *dir, struct sim_run *run, struct recorder **out, struct sim_err *err)
{
    if (mkdir_p(dir, err) != 0)
        return -1;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, BUNDLE_MANIFEST);
    if (unlink(path) != 0 && errno != ENOENT)
        return sim_errf(err, "%s: cannot remove the old manifest: %s", path, strerror(errno));
    struct recorder *r = sim_xcalloc(1, sizeof(*r));
    r->dir = sim_xstrdup(dir);
    r->run = run;
    r->buf = sim_xmalloc(REC_SNAPLEN);
    r->b = bundle_new();
    if (sim_world_add_sink(run->w, record_sink, r) != 0) {
        bundle_free(r->b);
        free(r->buf);
        free(r->dir);
        free(r);
        return sim_errf(err, "%s: too many observation sinks", dir);
    }
    *out = r;
    return 0;
}

/* Devices, hotplug mechanism and the guest MAC from the hosts, for what
 * the caller did not describe (record_manifest). */
static void describe_hosts(struct recorder *r, struct bundle *b)
{
    const struct sim_vm *vm = &r->run->w->vms[0];
    bool have_devs = b->ndevs > 0;
    for (int h = 0; h < OBS_NHOSTS; h++) {
        const struct host *hs = vm->hosts[h];
        if (!hs)
            continue;
        if (!b->hotplug[h])
            b->hotplug[h] = host_native_hotplug(hs) ? BUNDLE_HOTPLUG_NATIVE : BUNDLE_HOTPLUG_ACPI;
        if (have_devs || b->recorded_set[h])
            continue; /* the caller described this host (its devices at start) */
        struct host_nic_info nics[32];
        unsigned n = host_nics(hs, nics, 32);
        for (unsigned i = 0; i < n && i < 32; i++) {
            if (!nics[i].qdev_id) /* a NIC without id has no role to record */
                continue;
            b->devs = sim_xrealloc(b->devs, (b->ndevs + 1) * sizeof(*b->devs));
            struct bundle_device *d = &b->devs[b->ndevs++];
            memset(d, 0, sizeof(*d));
            d->id = sim_xstrdup(nics[i].qdev_id);
            d->host = (enum obs_host)h;
            d->role = nics[i].role;
            d->pair = nics[i].role == OBS_ROLE_PRIMARY && nics[i].pair
                          ? sim_xstrdup(nics[i].pair)
                          : NULL;
            d->netdev = nics[i].netdev ? sim_xstrdup(nics[i].netdev) : NULL;
            d->has_mac = nics[i].has_mac;
            memcpy(d->mac, nics[i].mac, 6);
            if (!b->guest_mac_set && nics[i].role == OBS_ROLE_STANDBY && nics[i].has_mac) {
                memcpy(b->guest_mac, nics[i].mac, 6);
                b->guest_mac_set = true;
            }
        }
    }
}

static void add_entry(struct bundle *b, const char *name, enum bundle_kind kind,
                      enum obs_host host, const char *point)
{
    b->files = sim_xrealloc(b->files, (b->nfiles + 1) * sizeof(*b->files));
    struct bundle_file *f = &b->files[b->nfiles++];
    memset(f, 0, sizeof(*f));
    f->name = sim_xstrdup(name);
    f->kind = kind;
    f->host = host;
    f->point = point ? sim_xstrdup(point) : NULL;
}

struct bundle *record_manifest(struct recorder *r)
{
    return r->b;
}

void record_abort(struct recorder *r)
{
    struct sim_err ignored;
    if (!r)
        return;
    if (!r->failed) {
        r->failed = true;
        sim_errf(&r->err, "%s: recording abandoned", r->dir);
    }
    record_finish(r, &ignored);
}

int record_finish(struct recorder *r, struct sim_err *err)
{
    static const enum bundle_kind text_kind[3] = { BUNDLE_QMP, BUNDLE_CONSOLE, BUNDLE_STDERR };
    struct bundle *b = r->b;
    for (int h = 0; h < OBS_NHOSTS; h++) {
        for (int k = 0; k < 3; k++) {
            FILE *f = r->text[h][k];
            if (!f)
                continue;
            char name[64];
            snprintf(name, sizeof(name), "%s%s", obs_host_name((enum obs_host)h), text_suffix[k]);
            if ((fflush(f) != 0 || ferror(f)) && !r->failed)
                fail(r, "%s: write failed: %s", name, errno);
            if (fclose(f) != 0 && !r->failed)
                fail(r, "%s: write failed: %s", name, errno);
            add_entry(b, name, text_kind[k], (enum obs_host)h, NULL);
            if (k == 1) {
                struct bundle_file *bf = &b->files[b->nfiles - 1];
                bf->clock = r->console_clock[h];
                memset(&r->console_clock[h], 0, sizeof(r->console_clock[h]));
            }
        }
    }
    for (size_t i = 0; i < r->npcaps; i++) {
        struct rec_pcap *p = &r->pcaps[i];
        struct sim_err e;
        if (pcap_writer_close(p->w, &e) != 0 && !r->failed) {
            r->failed = true;
            r->err = e;
        }
        add_entry(b, p->name, BUNDLE_PCAP, p->host, p->point);
        struct bundle_file *bf = &b->files[b->nfiles - 1];
        memcpy(bf->ifaces, p->ifaces, sizeof(p->ifaces));
        bf->nifaces = p->nifaces;
        bf->role = p->role;
        bf->clock = p->clock;
        memset(&p->clock, 0, sizeof(p->clock));
        free(p->name);
        free(p->point);
    }
    int rc = -1;
    if (r->failed) {
        *err = r->err;
        goto free_recorder;
    }
    if (b->nfiles == 0) {
        sim_errf(err, "%s: the run produced no artifact to record", r->dir);
        goto free_recorder;
    }
    sim_strlcpy(b->generator, "fosim", sizeof(b->generator));
    sim_strlcpy(b->version, FOSIM_VERSION, sizeof(b->version));
    const struct scenario *s = r->run->scn;
    sim_strlcpy(b->scenario, s && s->name ? s->name : "", sizeof(b->scenario));
    b->seed = r->run->w->seed;
    b->seed_set = true;
    b->complete = r->ended && !r->truncated;
    b->end_set = r->ended;
    b->end = r->end;
    describe_hosts(r, b);
    if (!b->guest_mac_set && r->guest_mac_set) {
        memcpy(b->guest_mac, r->guest_mac, 6);
        b->guest_mac_set = true;
    }
    /* Devices the captures name but the hosts do not describe keep the
     * role their frames carried. */
    for (size_t i = 0; i < b->nfiles; i++) {
        const struct bundle_file *bf = &b->files[i];
        if (bf->kind != BUNDLE_PCAP || strcmp(bf->point, "guest") == 0)
            continue;
        bool known = false;
        for (size_t k = 0; k < b->ndevs; k++)
            known |= b->devs[k].host == bf->host && strcmp(b->devs[k].id, bf->point) == 0;
        if (known)
            continue;
        b->devs = sim_xrealloc(b->devs, (b->ndevs + 1) * sizeof(*b->devs));
        struct bundle_device *d = &b->devs[b->ndevs++];
        memset(d, 0, sizeof(*d));
        d->id = sim_xstrdup(bf->point);
        d->host = bf->host;
        d->role = bf->role;
    }
    rc = bundle_write_manifest(b, r->dir, err);
free_recorder:
    for (int h = 0; h < OBS_NHOSTS; h++)
        clock_map_free(&r->console_clock[h]);
    bundle_free(b);
    free(r->buf);
    free(r->dir);
    free(r);
    return rc;
}
