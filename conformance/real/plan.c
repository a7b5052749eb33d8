/*
 * The plan of a recording: what the scenario says, turned into what real
 * QEMU and the real guest need.
 *
 * The scenario's QEMU arguments are kept as written, with these changes,
 * each recorded in the manifest: -incoming tcp: gets a port that is free on
 * 127.0.0.1 for this run (and QMP commands naming the scenario's URI get the
 * real one); every netdev gets a filter-dump object writing
 * "<host>-<device id>.pcap" (a scenario's own filter-dump keeps its object
 * but writes that name); and the recorder adds -accel tcg, -nodefaults,
 * -display none, the fosim guest (-kernel/-initrd/-append), -serial file:
 * and -qmp unix:.  The guest block's knobs and the traffic block become
 * knobs of the guest's init script on the kernel command line; what the
 * real guest cannot do (a qtest guest, a guest that never ejects, a random
 * primary MAC...) is refused with the position of the word, as the
 * simulator refuses bad input.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "recorder.h"
#include "sim/bundle.h"

/* QEMU options that take a value (the rest used by scenarios are flags). */
static const char *const opts_with_value[] = {
    "-M", "-machine", "-m", "-global", "-device", "-netdev", "-object", "-incoming", "-smp",
    "-name", "-accel", "-display", "-kernel", "-initrd", "-append", "-serial", "-qmp",
    "-monitor", "-chardev", "-vga", "-cpu", "-drive", "-msg", "-boot", "-bios", "-rtc", "-k",
    "-L", "-pidfile", "-nic", "-net", "-mon", "-uuid", "-overcommit", "-icount",
};

/* Options the recorder sets itself: a scenario giving them cannot be recorded. */
static const char *const opts_owned[] = {
    "-serial", "-qmp", "-monitor", "-mon", "-daemonize", "-kernel", "-initrd", "-append",
    "-nographic", "-pidfile",
};

static bool in_list(const char *s, const char *const *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(s, v[i]) == 0)
            return true;
    return false;
}

static void push(struct rec_host_plan *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void push(struct rec_host_plan *h, const char *fmt, ...)
{
    SIM_ASSERT(h->argc + 1 < REC_MAX_ARGS);
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    h->argv[h->argc++] = sim_xstrdup(buf);
    h->argv[h->argc] = NULL;
}

/* Value of key in a QEMU keyval string "driver,key=val,..." (",," escapes a
 * comma); copied into out.  Returns true if present. */
static bool keyval_get(const char *s, const char *key, char *out, size_t n)
{
    size_t klen = strlen(key);
    const char *p = s;
    while (*p) {
        const char *start = p;
        /* find the end of this element, honouring ",," */
        const char *e = p;
        while (*e && !(*e == ',' && e[1] != ',')) {
            if (*e == ',' && e[1] == ',')
                e++;
            e++;
        }
        if ((size_t)(e - start) > klen && strncmp(start, key, klen) == 0 && start[klen] == '=') {
            size_t k = 0;
            for (const char *c = start + klen + 1; c < e && k + 1 < n; c++) {
                out[k++] = *c;
                if (*c == ',' && c[1] == ',')
                    c++;
            }
            out[k] = '\0';
            return true;
        }
        p = *e ? e + 1 : e;
    }
    return false;
}

/* Same for the JSON form of -device. */
static bool json_get(const char *s, const char *key, char *out, size_t n)
{
    json_t *j = json_loads(s, 0, NULL);
    if (!j)
        return false;
    const json_t *v = json_object_get(j, key);
    bool ok = json_is_string(v);
    if (ok)
        sim_strlcpy(out, json_string_value(v), n);
    json_decref(j);
    return ok;
}

static bool dev_get(const char *s, const char *key, char *out, size_t n)
{
    return s[0] == '{' ? json_get(s, key, out, n) : keyval_get(s, key, out, n);
}

static bool starts(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static int free_port(struct sim_err *err)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sim_errf(err, "socket: %s", strerror(errno));
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        int e = errno;
        close(fd);
        return sim_errf(err, "cannot find a free port on 127.0.0.1: %s", strerror(e));
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* The capture point of a netdev: the device using it on this host's command
 * line, else one the scenario hot-adds with device_add, else the netdev. */
static void point_of(const struct scenario *s, const struct scn_host *sh, const char *netdev,
                     char *out, size_t n)
{
    char v[128], id[128];
    for (size_t i = 0; i + 1 < sh->argv.n; i++) {
        if (strcmp(sh->argv.v[i].text, "-device") != 0)
            continue;
        const char *d = sh->argv.v[i + 1].text;
        if (dev_get(d, "netdev", v, sizeof(v)) && strcmp(v, netdev) == 0 &&
            dev_get(d, "id", id, sizeof(id))) {
            sim_strlcpy(out, id, n);
            return;
        }
    }
    for (size_t i = 0; i < s->nactions; i++) {
        const struct scn_action *a = &s->actions[i];
        if (a->kind != SCN_ACT_QMP || a->host != sh->id)
            continue;
        json_t *j = json_loads(a->json, 0, NULL);
        const json_t *args = j ? json_object_get(j, "arguments") : NULL;
        const char *ex = j ? json_string_value(json_object_get(j, "execute")) : NULL;
        const char *nd = json_string_value(json_object_get(args, "netdev"));
        const char *did = json_string_value(json_object_get(args, "id"));
        bool hit = ex && strcmp(ex, "device_add") == 0 && nd && did && strcmp(nd, netdev) == 0;
        if (hit)
            sim_strlcpy(out, did, n);
        json_decref(j);
        if (hit)
            return;
    }
    sim_strlcpy(out, netdev, n);
}

static struct rec_capture *capture_for(struct rec_host_plan *h, const struct scenario *s,
                                       const struct scn_host *sh, const char *netdev)
{
    for (int i = 0; i < h->ncaps; i++)
        if (strcmp(h->caps[i].netdev, netdev) == 0)
            return &h->caps[i];
    if (h->ncaps == REC_MAX_CAPTURES)
        return NULL;
    struct rec_capture *c = &h->caps[h->ncaps++];
    memset(c, 0, sizeof(*c));
    sim_strlcpy(c->netdev, netdev, sizeof(c->netdev));
    point_of(s, sh, netdev, c->point, sizeof(c->point));
    char point[sizeof(c->point)];
    sim_strlcpy(point, c->point, sizeof(point));
    snprintf(c->file, sizeof(c->file), "%s-%s.pcap", obs_host_name(h->id), point);
    return c;
}

static int add_rewrite(struct rec_plan *p, const char *from, const char *to)
{
    for (int i = 0; i < p->nrewrites; i++)
        if (strcmp(p->rewrites[i].from, from) == 0)
            return 0;
    if (p->nrewrites == REC_MAX_REWRITES)
        return -1;
    sim_strlcpy(p->rewrites[p->nrewrites].from, from, sizeof(p->rewrites[0].from));
    sim_strlcpy(p->rewrites[p->nrewrites].to, to, sizeof(p->rewrites[0].to));
    p->nrewrites++;
    return 0;
}

static int plan_host(struct rec_plan *p, struct rec_host_plan *h, const struct scn_host *sh,
                     const struct rec_options *opt, bool kernel, struct sim_err *err)
{
    const struct scenario *s = p->scn;
    const char *name = obs_host_name(sh->id);
    h->present = true;
    h->id = sh->id;
    snprintf(h->serial_file, sizeof(h->serial_file), "%s-guest.log", name);
    snprintf(h->stderr_file, sizeof(h->stderr_file), "%s.stderr", name);
    snprintf(h->qmp_file, sizeof(h->qmp_file), "%s.qmp", name);
    push(h, "%s", opt->qemu);
    bool have_accel = false, have_nodefaults = false, have_display = false, have_msg = false;
    for (size_t i = 0; i < sh->argv.n; i++) {
        const char *a = sh->argv.v[i].text;
        have_accel |= strcmp(a, "-accel") == 0 || strcmp(a, "-enable-kvm") == 0;
        have_nodefaults |= strcmp(a, "-nodefaults") == 0;
        have_display |= strcmp(a, "-display") == 0;
        have_msg |= strcmp(a, "-msg") == 0;
    }
    if (!have_accel)
        push(h, "-accel");
    if (!have_accel)
        push(h, "tcg");
    if (!have_nodefaults)
        push(h, "-nodefaults");
    if (!have_msg) {
        /* stderr lines then carry the host wall clock (sim/hostlog.h) */
        push(h, "-msg");
        push(h, "timestamp=on");
    }
    if (!have_display) {
        push(h, "-display");
        push(h, "none");
    }
    /* First pass: the netdevs, so filter-dump objects can be named. */
    for (size_t i = 0; i + 1 < sh->argv.n; i++) {
        if (strcmp(sh->argv.v[i].text, "-netdev") != 0)
            continue;
        char id[64];
        if (!keyval_get(sh->argv.v[i + 1].text, "id", id, sizeof(id)))
            return scn_errf(err, &sh->argv.v[i + 1].pos, "-netdev without id= cannot be captured");
        if (!capture_for(h, s, sh, id))
            return scn_errf(err, &sh->argv.v[i + 1].pos, "more than %d netdevs", REC_MAX_CAPTURES);
    }
    for (size_t i = 0; i < sh->argv.n; i++) {
        const struct scn_arg *a = &sh->argv.v[i];
        const char *t = a->text;
        if (t[0] != '-') {
            return scn_errf(err, &a->pos, "expected a QEMU option, found '%s'", t);
        }
        if (in_list(t, opts_owned, SIM_ARRAY_SIZE(opts_owned)))
            return scn_errf(err, &a->pos,
                            "the recorder sets %s itself; remove it from the host block", t);
        if (strcmp(t, "-S") == 0)
            h->paused = true;
        if (!in_list(t, opts_with_value, SIM_ARRAY_SIZE(opts_with_value))) {
            push(h, "%s", t);
            continue;
        }
        if (i + 1 >= sh->argv.n)
            return scn_errf(err, &a->pos, "%s needs a value", t);
        const struct scn_arg *v = &sh->argv.v[++i];
        if (strcmp(t, "-incoming") == 0 && starts(v->text, "tcp:")) {
            int port = free_port(err);
            if (port < 0)
                return -1;
            char real[128];
            snprintf(real, sizeof(real), "tcp:127.0.0.1:%d", port);
            if (add_rewrite(p, v->text, real) != 0)
                return scn_errf(err, &v->pos, "too many -incoming URIs");
            push(h, "-incoming");
            push(h, "%s", real);
            continue;
        }
        if (strcmp(t, "-object") == 0 && starts(v->text, "filter-dump,")) {
            char nd[64];
            if (!keyval_get(v->text, "netdev", nd, sizeof(nd)))
                return scn_errf(err, &v->pos, "filter-dump without netdev=");
            struct rec_capture *c = capture_for(h, s, sh, nd);
            if (!c)
                return scn_errf(err, &v->pos, "too many captures");
            c->from_scenario = true;
            char id[64];
            if (!keyval_get(v->text, "id", id, sizeof(id)))
                return scn_errf(err, &v->pos, "filter-dump without id=");
            push(h, "-object");
            push(h, "filter-dump,id=%s,netdev=%s,file=%s", id, nd, c->file);
            continue;
        }
        push(h, "%s", t);
        push(h, "%s", v->text);
    }
    for (int i = 0; i < h->ncaps; i++) {
        if (h->caps[i].from_scenario)
            continue;
        push(h, "-object");
        push(h, "filter-dump,id=fosim-fd%d,netdev=%s,file=%s", i, h->caps[i].netdev,
             h->caps[i].file);
    }
    if (kernel) {
        h->has_kernel = true;
        push(h, "-kernel");
        push(h, "%s/vmlinuz", opt->guest_dir);
        push(h, "-initrd");
        push(h, "%s/initrd.gz", opt->guest_dir);
        push(h, "-append");
        push(h, "%s", p->append);
    }
    push(h, "-serial");
    push(h, "file:%s/%s", opt->workdir, h->serial_file);
    push(h, "-qmp");
    push(h, "unix:%s/%s.sock,server=on,wait=off", opt->workdir, name);
    return 0;
}

/* ---- the guest ------------------------------------------------------------------------ */

static void append(struct rec_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(struct rec_plan *p, const char *fmt, ...)
{
    size_t n = strlen(p->append);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->append + n, sizeof(p->append) - n, fmt, ap);
    va_end(ap);
}

static void secs(char *b, size_t n, sim_time t)
{
    snprintf(b, n, "%lld.%03lld", (long long)(t / 1000000000), (long long)(t % 1000000000 / 1000000));
}

static int one_value(const struct scn_knob *k, struct sim_err *err)
{
    if (k->values.n != 1)
        return scn_errf(err, &k->key.pos, "knob %s takes one value", k->key.text);
    return 0;
}

static int refuse(const struct scn_arg *at, const char *what, struct sim_err *err)
{
    return scn_errf(err, &at->pos, "%s cannot be reproduced by the real guest "
                                   "(see doc/real.md for what the recorder maps)", what);
}

static int time_value(const struct scn_arg *v, sim_time *t, struct sim_err *err)
{
    const char *end;
    if (sim_time_parse(v->text, t, &end) != 0 || *end || *t < 0)
        return scn_errf(err, &v->pos, "expected a time such as 2.5s, found '%s'", v->text);
    return 0;
}

static int read_kernel_version(const struct rec_options *opt, unsigned *maj, unsigned *min,
                               struct sim_err *err)
{
    char path[1024], buf[64] = "";
    snprintf(path, sizeof(path), "%s/kernel-version", opt->guest_dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return sim_errf(err, "%s: %s (build the guest with `make guest`)", path, strerror(errno));
    if (!fgets(buf, sizeof(buf), f) || sscanf(buf, "%u.%u", maj, min) != 2) {
        fclose(f);
        return sim_errf(err, "%s:1: expected a kernel version such as 6.1.0-56-amd64", path);
    }
    fclose(f);
    return 0;
}

static int plan_guest_knobs(struct rec_plan *p, const struct scn_guest *g,
                            const struct rec_options *opt, struct sim_err *err)
{
    unsigned kmaj = 0, kmin = 0;
    if (read_kernel_version(opt, &kmaj, &kmin, err) != 0)
        return -1;
    for (size_t i = 0; i < g->nknobs; i++) {
        const struct scn_knob *k = &g->knobs[i];
        const char *key = k->key.text;
        if (strcmp(key, "address") == 0) {
            /* address IF A.B.C.D/N: the init's fosim.addr (bug 8's userspace) */
            if (k->values.n != 2)
                return scn_errf(err, &k->key.pos,
                                "knob address takes an interface and A.B.C.D/N");
            const char *ifn = k->values.v[0].text, *pfx = k->values.v[1].text;
            unsigned a[4], len;
            char extra;
            if (!ifn[0] || strlen(ifn) > 15 || strspn(ifn, "abcdefghijklmnopqrstuvwxyz"
                                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                          "0123456789_-.") != strlen(ifn))
                return scn_errf(err, &k->values.v[0].pos,
                                "knob address: expected an interface name, found '%s'", ifn);
            if (sscanf(pfx, "%3u.%3u.%3u.%3u/%2u%c", &a[0], &a[1], &a[2], &a[3], &len,
                       &extra) != 5 ||
                a[0] > 255 || a[1] > 255 || a[2] > 255 || a[3] > 255 || len > 32)
                return scn_errf(err, &k->values.v[1].pos,
                                "knob address: expected A.B.C.D/N, found '%s'", pfx);
            append(p, " fosim.addr=%s=%u.%u.%u.%u/%u", ifn, a[0], a[1], a[2], a[3], len);
            continue;
        }
        if (one_value(k, err) != 0)
            return -1;
        const struct scn_arg *v = &k->values.v[0];
        const char *val = v->text;
        sim_time t;
        char b[32];
        if (strcmp(key, "kernel") == 0) {
            unsigned a, c;
            if (sscanf(val, "%u.%u", &a, &c) != 2 || a != kmaj || c != kmin)
                return scn_errf(err, &v->pos, "knob kernel %s: the guest kernel is %u.%u", val,
                                kmaj, kmin);
        } else if (strcmp(key, "standby") == 0) {
            if (strcmp(val, "accept") != 0)
                return refuse(v, "standby refuse (Linux always negotiates STANDBY)", err);
        } else if (strcmp(key, "standby-needs-mac") == 0) {
            bool has = kmaj > 6 || (kmaj == 6 && kmin >= 3);
            if (strcmp(val, has ? "yes" : "no") != 0)
                return refuse(v, "this standby-needs-mac value (fixed by the kernel version)", err);
        } else if (strcmp(key, "failover-driver") == 0) {
            if (strcmp(val, "on") && strcmp(val, "off"))
                return scn_errf(err, &v->pos, "knob failover-driver: expected on or off");
            append(p, " fosim.failover=%d", strcmp(val, "on") == 0);
        } else if (strcmp(key, "eject") == 0) {
            if (strcmp(val, "on-request") != 0)
                return refuse(v, "eject never", err);
        } else if (strcmp(key, "eject-delay") == 0) {
            if (time_value(v, &t, err))
                return -1;
            if (t != 0)
                return refuse(v, "an eject delay", err);
        } else if (strcmp(key, "boot") == 0) {
            if (time_value(v, &t, err))
                return -1;
            secs(b, sizeof(b), t);
            append(p, " fosim.loadat=%s", b);
        } else if (strcmp(key, "firmware") == 0) {
            /* the model's estimate of the real firmware: nothing to set */
            if (time_value(v, &t, err))
                return -1;
        } else if (strcmp(key, "primary-mac") == 0) {
            if (strcmp(val, "permanent") != 0)
                return refuse(v, "a random primary MAC", err);
        } else if (strcmp(key, "primary-bond") == 0) {
            if (strcmp(val, "off") != 0)
                return refuse(v, "a bonded primary", err);
        } else if (strcmp(key, "link-watch-delay") == 0) {
            if (time_value(v, &t, err))
                return -1;
            if (t != SIM_S(1))
                return refuse(v, "a link-watch delay other than 1s", err);
        } else if (strcmp(key, "ifup") == 0) {
            if (strcmp(val, "on") && strcmp(val, "off"))
                return scn_errf(err, &v->pos, "knob ifup: expected on or off");
            if (strcmp(val, "off") == 0)
                append(p, " fosim.ip=none");
        } else if (strcmp(key, "pciehp-poll") == 0) {
            if (strcmp(val, "on") && strcmp(val, "off"))
                return scn_errf(err, &v->pos, "knob pciehp-poll: expected on or off");
            if (strcmp(val, "on") == 0)
                append(p, " pciehp.pciehp_poll_mode=1");
        } else if (strcmp(key, "mtu") == 0) {
            char *end;
            unsigned long m = strtoul(val, &end, 10);
            if (*end || m < 68 || m > 65535)
                return scn_errf(err, &v->pos, "knob mtu: expected a number from 68 to 65535");
            append(p, " fosim.mtu=%lu", m);
        } else {
            return refuse(&k->key, "this knob", err);
        }
    }
    return 0;
}

/* ping ADDR [every T] [from T] [to T] [size N] */
static int plan_traffic(struct rec_plan *p, const struct scn_traffic *t, struct sim_err *err)
{
    bool ping = false;
    for (size_t i = 0; i < t->nlines; i++) {
        const struct scn_args *w = &t->lines[i].words;
        if (w->n < 2 || strcmp(w->v[0].text, "ping") != 0)
            return refuse(&w->v[0], "this workload (only `ping ADDR ...`)", err);
        if (ping)
            return refuse(&w->v[0], "a second ping", err);
        ping = true;
        append(p, " fosim.ping=%s", w->v[1].text);
        for (size_t k = 2; k < w->n; k += 2) {
            if (k + 1 >= w->n)
                return scn_errf(err, &w->v[k].pos, "%s needs a value", w->v[k].text);
            const char *kw = w->v[k].text;
            const struct scn_arg *v = &w->v[k + 1];
            sim_time tv;
            char b[32];
            if (strcmp(kw, "size") == 0) {
                char *end;
                unsigned long n = strtoul(v->text, &end, 10);
                if (*end || n > 65000)
                    return scn_errf(err, &v->pos, "ping size: expected a byte count");
                append(p, " fosim.pingsize=%lu", n);
                continue;
            }
            if (time_value(v, &tv, err))
                return -1;
            secs(b, sizeof(b), tv);
            if (strcmp(kw, "every") == 0)
                append(p, " fosim.pingint=%s", b);
            else if (strcmp(kw, "from") == 0)
                append(p, " fosim.pingat=%s", b);
            else if (strcmp(kw, "to") == 0)
                append(p, " fosim.pingend=%s", b);
            else
                return refuse(&w->v[k], "this ping option", err);
        }
    }
    return 0;
}

int rec_plan_build(struct rec_plan *p, const struct scenario *s, const struct rec_options *opt,
                   struct sim_err *err)
{
    memset(p, 0, sizeof(*p));
    p->scn = s;
    if (s->nvms > 1)
        return sim_errf(err, "%s: a fleet (vms %u) cannot be recorded", s->path, s->nvms);
    if (!s->hosts[OBS_SOURCE].present)
        return sim_errf(err, "%s: the scenario has no source host", s->path);
    const char *profile = s->guest.present ? s->guest.profile.text : "linux";
    bool kernel = strcmp(profile, "none") != 0;
    if (strcmp(profile, "linux") != 0 && kernel)
        return refuse(&s->guest.profile, "the qtest guest profile", err);
    snprintf(p->append, sizeof(p->append), "console=ttyS0 ignore_loglevel");
    if (s->guest.present && plan_guest_knobs(p, &s->guest, opt, err) != 0)
        return -1;
    if (s->traffic.present && plan_traffic(p, &s->traffic, err) != 0)
        return -1;
    sim_time last = 0;
    for (size_t i = 0; i < s->nactions; i++) {
        if (s->actions[i].kind != SCN_ACT_QMP)
            return refuse(&(struct scn_arg){ .text = "", .pos = s->actions[i].pos },
                          "a scripted guest action", err);
        if (s->actions[i].at > last)
            last = s->actions[i].at;
    }
    p->horizon = s->until != SIM_TIME_NONE ? s->until : last + opt->settle;
    p->horizon_default = s->until == SIM_TIME_NONE;
    for (int h = 0; h < OBS_NHOSTS; h++) {
        if (!s->hosts[h].present)
            continue;
        if (plan_host(p, &p->hosts[h], &s->hosts[h], opt, kernel, err) != 0) {
            rec_plan_free(p);
            return -1;
        }
    }
    p->anchor_on_kernel = kernel && !p->hosts[OBS_SOURCE].paused;
    return 0;
}

void rec_plan_free(struct rec_plan *p)
{
    for (int h = 0; h < OBS_NHOSTS; h++)
        for (int i = 0; i < p->hosts[h].argc; i++) {
            free(p->hosts[h].argv[i]);
            p->hosts[h].argv[i] = NULL;
        }
}

char *rec_plan_rewrite_command(const struct rec_plan *p, const char *json)
{
    json_t *j = json_loads(json, 0, NULL);
    SIM_ASSERT(j != NULL); /* the scenario parser checked it */
    json_t *args = json_object_get(j, "arguments");
    const char *uri = json_string_value(json_object_get(args, "uri"));
    for (int i = 0; uri && i < p->nrewrites; i++) {
        if (strcmp(uri, p->rewrites[i].from) == 0) {
            json_object_set_new(args, "uri", json_string(p->rewrites[i].to));
            break;
        }
    }
    char *out = json_dumps(j, JSON_PRESERVE_ORDER);
    json_decref(j);
    SIM_ASSERT(out != NULL);
    return out;
}

void rec_format_cmdline(char *buf, size_t n, char *const argv[], int argc)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < argc && k + 1 < n; i++) {
        const char *a = argv[i];
        bool plain = *a != '\0';
        for (const char *c = a; *c; c++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                        "-_=,.:/@+%",
                        *c))
                plain = false;
        k += (size_t)snprintf(buf + k, n - k, "%s", i ? " " : "");
        if (k >= n)
            break;
        if (plain) {
            k += (size_t)snprintf(buf + k, n - k, "%s", a);
        } else {
            k += (size_t)snprintf(buf + k, n - k, "'");
            for (const char *c = a; *c && k + 5 < n; c++) {
                if (*c == '\'')
                    k += (size_t)snprintf(buf + k, n - k, "'\\''");
                else
                    buf[k++] = *c;
            }
            if (k + 1 < n)
                buf[k++] = '\'';
            buf[k < n ? k : n - 1] = '\0';
        }
    }
}

/* ---- devices and roles, for the manifest ---------------------------------------------- */

static bool is_nic_driver(const char *d)
{
    return strcmp(d, "virtio-net-pci") == 0 || strcmp(d, "virtio-net") == 0 ||
           strcmp(d, "e1000e") == 0 || strcmp(d, "vfio-pci") == 0 || strcmp(d, "igb") == 0;
}

static void note(struct bundle *b, enum obs_host host, const char *driver, const char *id,
                 const char *mac, bool failover, const char *pair, const char *netdev,
                 bool added)
{
    if (!driver || !id || !is_nic_driver(driver))
        return;
    for (size_t i = 0; i < b->ndevs; i++)
        if (b->devs[i].host == host && strcmp(b->devs[i].id, id) == 0)
            return;
    b->devs = sim_xrealloc(b->devs, (b->ndevs + 1) * sizeof(*b->devs));
    struct bundle_device *d = &b->devs[b->ndevs++];
    memset(d, 0, sizeof(*d));
    d->id = sim_xstrdup(id);
    d->host = host;
    d->role = failover ? OBS_ROLE_STANDBY : pair ? OBS_ROLE_PRIMARY : OBS_ROLE_OTHER;
    d->pair = pair ? sim_xstrdup(pair) : NULL;
    d->netdev = netdev ? sim_xstrdup(netdev) : NULL;
    d->added = added; /* created by a device_add, not on the command line */
    /* QEMU hides a primary created after its failover standby (H-07, H-18) */
    if (pair)
        for (size_t i = 0; i + 1 < b->ndevs; i++)
            if (b->devs[i].host == host && b->devs[i].role == OBS_ROLE_STANDBY &&
                strcmp(b->devs[i].id, pair) == 0)
                d->hideable = true;
    d->has_mac = mac && bundle_mac_parse(mac, d->mac) == 0;
    if (failover && d->has_mac && !b->guest_mac_set) {
        memcpy(b->guest_mac, d->mac, 6);
        b->guest_mac_set = true;
    }
}

static bool truthy(const char *v)
{
    return strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
           strcmp(v, "1") == 0;
}

void rec_plan_note_device(struct bundle *b, enum obs_host host, const char *dev)
{
    char driver[64] = "", id[64], mac[32], fo[16], pair[64], netdev[64];
    if (dev[0] == '{') {
        json_t *j = json_loads(dev, 0, NULL);
        if (!j)
            return;
        char *text = json_dumps(json_object_get(j, "arguments") ? json_object_get(j, "arguments")
                                                                 : j,
                                JSON_COMPACT);
        json_decref(j);
        if (text)
            rec_plan_note_device_add(b, host, text);
        free(text);
        return;
    }
    size_t n = strcspn(dev, ",");
    if (n >= sizeof(driver))
        return;
    memcpy(driver, dev, n);
    driver[n] = '\0';
    if (!keyval_get(dev, "id", id, sizeof(id)))
        return;
    bool has_mac = keyval_get(dev, "mac", mac, sizeof(mac));
    bool failover = keyval_get(dev, "failover", fo, sizeof(fo)) && truthy(fo);
    bool has_pair = keyval_get(dev, "failover_pair_id", pair, sizeof(pair));
    bool has_netdev = keyval_get(dev, "netdev", netdev, sizeof(netdev));
    note(b, host, driver, id, has_mac ? mac : NULL, failover, has_pair ? pair : NULL,
         has_netdev ? netdev : NULL, false);
}

void rec_plan_note_device_add(struct bundle *b, enum obs_host host, const char *json)
{
    json_t *j = json_loads(json, 0, NULL);
    if (!j)
        return;
    const char *ex = json_string_value(json_object_get(j, "execute"));
    const json_t *args = ex ? json_object_get(j, "arguments") : j;
    if (ex && strcmp(ex, "device_add") != 0) {
        json_decref(j);
        return;
    }
    const json_t *fo = json_object_get(args, "failover");
    bool failover = json_is_true(fo) || (json_is_string(fo) && truthy(json_string_value(fo)));
    note(b, host, json_string_value(json_object_get(args, "driver")),
         json_string_value(json_object_get(args, "id")),
         json_string_value(json_object_get(args, "mac")), failover,
         json_string_value(json_object_get(args, "failover_pair_id")),
         json_string_value(json_object_get(args, "netdev")), ex != NULL);
    json_decref(j);
}

bool rec_plan_native_hotplug(const struct rec_host_plan *h)
{
    for (int i = 1; i + 1 < h->argc; i++)
        if (strcmp(h->argv[i], "-global") == 0 &&
            strcmp(h->argv[i + 1], "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off") == 0)
            return true;
    return false;
}
