/*
 * The guest core: profiles, knobs, uptime, the console, and guest timers.
 *
 * The guest is the VM's operating system.  It runs on one host at a time;
 * while the VM is stopped (QMP stop, -S, the migration's switchover) its
 * CPUs do not run, so its clock (uptime, as printk stamps it) and its timers
 * stand still.  Subsystems (see guest_int.h) arm guest timers instead of
 * world events so they inherit this for free.
 *
 * The knobs of the linux profile are parsed and checked here, with the
 * positions of their words, so a bad knob is a scenario error before the
 * run starts.
 */
#include "sim/guest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_int.h"
#include "sim/host.h"
#include "sim/world.h"

/* ---- uptime, console ------------------------------------------------------------ */

sim_time guest_uptime(const struct guest *g)
{
    if (!g->booted)
        return 0;
    sim_time t = g->w->now - g->boot_at - g->stopped_total;
    if (!g->running)
        t -= g->w->now - g->stopped_at;
    return t;
}

void guest_log(struct guest *g, const char *fmt, ...)
{
    /* A guest driven without a host (subsystem unit tests) logs as the source. */
    enum obs_host host = g->host ? host_id(g->host) : OBS_SOURCE;
    if (!sim_world_wants(g->w, OBS_KLOG)) { /* nobody reads the console */
        sim_emit_skip(g->vm, host, OBS_KLOG);
        return;
    }
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    sim_emit_klog(g->vm, host, guest_uptime(g), text);
}

void guest_rx_drop(struct guest *g, const struct frame *f, enum obs_role via, enum frame_drop why)
{
    if (g->rx_hook.drop)
        g->rx_hook.drop(g->rx_hook.ctx, f, via, why);
}

/* ---- guest timers ----------------------------------------------------------------- */

static void timer_fire(struct sim_world *w, struct sim_event *ev)
{
    struct guest_timer *t = SIM_CONTAINER_OF(ev, struct guest_timer, ev);
    (void)w;
    struct guest *g = t->g;
    /* unlink */
    for (struct guest_timer **p = &g->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    t->armed = false;
    t->next = NULL;
    t->fn(g, t);
}

void guest_timer_init(struct guest_timer *t, struct guest *g,
                      void (*fn)(struct guest *g, struct guest_timer *t), const char *name)
{
    memset(t, 0, sizeof(*t));
    sim_event_init(&t->ev, timer_fire, name);
    t->g = g;
    t->fn = fn;
}

void guest_timer_cancel(struct guest_timer *t)
{
    if (!t->armed)
        return;
    struct guest *g = t->g;
    for (struct guest_timer **p = &g->timers; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            break;
        }
    }
    sim_cancel(g->w, &t->ev);
    t->armed = false;
    t->next = NULL;
}

void guest_timer_arm(struct guest_timer *t, sim_time delay)
{
    SIM_ASSERT(delay >= 0);
    guest_timer_cancel(t);
    struct guest *g = t->g;
    t->armed = true;
    t->next = g->timers;
    g->timers = t;
    if (g->running) {
        sim_schedule_in(g->w, &t->ev, delay);
    } else {
        t->remaining = delay;
    }
}

static void suspend_timers(struct guest *g)
{
    for (struct guest_timer *t = g->timers; t; t = t->next) {
        SIM_ASSERT(sim_event_pending(&t->ev));
        t->remaining = t->ev.when - g->w->now;
        sim_cancel(g->w, &t->ev);
    }
}

static void resume_timers(struct guest *g)
{
    /* Resume in arming order reversed back to oldest first, so equal
     * deadlines keep their original order. */
    struct guest_timer *v[256];
    size_t n = 0;
    for (struct guest_timer *t = g->timers; t && n < SIM_ARRAY_SIZE(v); t = t->next)
        v[n++] = t;
    SIM_ASSERT(n < SIM_ARRAY_SIZE(v));
    while (n > 0) {
        struct guest_timer *t = v[--n];
        sim_schedule_in(g->w, &t->ev, t->remaining);
    }
}

/* ---- run state ------------------------------------------------------------------------ */

void guest_vm_stop(struct guest *g)
{
    if (!g->running)
        return;
    g->running = false;
    g->stopped_at = g->w->now;
    suspend_timers(g);
}

void guest_vm_cont(struct guest *g)
{
    if (g->running)
        return;
    g->running = true;
    if (g->booted)
        g->stopped_total += g->w->now - g->stopped_at;
    resume_timers(g);
}

/* Host notifications go to the profile; the run state is the core's. */
static void hw_vm_run_state(void *gp, bool running)
{
    struct guest *g = gp;
    if (running)
        guest_vm_cont(g);
    else
        guest_vm_stop(g);
    if (g->prof->hw && g->prof->hw->vm_run_state)
        g->prof->hw->vm_run_state(g, running);
}

#define FORWARD(name, params, args)                                                      \
    static void hw_##name params                                                         \
    {                                                                                    \
        struct guest *g = gp;                                                            \
        if (g->running && g->prof->hw && g->prof->hw->name)                              \
            g->prof->hw->name args;                                                      \
    }
FORWARD(slot_irq, (void *gp, struct hw_port *p), (g, p))
FORWARD(acpi_pcihp_gpe, (void *gp), (g))
FORWARD(virtio_config, (void *gp, struct hw_pcidev *d), (g, d))
FORWARD(nic_link, (void *gp, struct hw_pcidev *d, bool up), (g, d, up))
#undef FORWARD

/* A frame for the guest is always accounted: a profile without drivers
 * (none, qtest) has nothing that receives it. */
static void hw_nic_rx(void *gp, struct hw_pcidev *d, const struct frame *f)
{
    struct guest *g = gp;
    if (!g->running)
        guest_rx_drop(g, f, OBS_ROLE_UNKNOWN, FRAME_DROP_VM_STOPPED);
    else if (g->prof->hw && g->prof->hw->nic_rx)
        g->prof->hw->nic_rx(g, d, f);
    else
        guest_rx_drop(g, f, OBS_ROLE_UNKNOWN, FRAME_DROP_NO_DRIVER);
}

/*
 * Interrupts and frames that arrive while the VM is stopped are not lost in
 * hardware: slot status bits and ACPI status stay latched, and the guest
 * sees them when it runs again (its handlers re-read the registers).  The
 * profile's vm_run_state(true) is where a profile re-checks them; frames
 * delivered to a stopped VM are dropped by the host (FRAME_DROP_VM_STOPPED).
 */
static const struct hw_guest_ops core_hw_ops = {
    .slot_irq = hw_slot_irq,
    .acpi_pcihp_gpe = hw_acpi_pcihp_gpe,
    .virtio_config = hw_virtio_config,
    .nic_rx = hw_nic_rx,
    .nic_link = hw_nic_link,
    .vm_run_state = hw_vm_run_state,
};

static void boot_fire(struct sim_world *w, struct sim_event *ev)
{
    struct guest *g = SIM_CONTAINER_OF(ev, struct guest, boot_ev);
    (void)w;
    if (g->prof->boot)
        g->prof->boot(g);
}

/* The kernel starts: its clock reads 0 now.  The profile's boot runs at
 * once; it arms its own timers for the stages of the boot. */
static void kernel_start(struct guest *g)
{
    g->booted = true;
    g->boot_at = g->w->now;
    g->stopped_total = 0;
    g->stopped_at = g->w->now;
    if (g->prof->boot) {
        sim_event_init(&g->boot_ev, boot_fire, "guest-boot");
        sim_schedule_in(g->w, &g->boot_ev, 0);
    }
}

static void firmware_done(struct guest *g, struct guest_timer *t)
{
    (void)t;
    kernel_start(g);
}

/*
 * Power-on.  Real QEMU runs its firmware (SeaBIOS, then the kernel and
 * initrd loaded through fw_cfg: seconds under TCG) before the kernel's clock
 * starts.  A VM that runs from the start did that before t = 0, which is
 * by definition the kernel's clock 0 (doc/real.md): its kernel starts now.
 * A VM that has not run yet (-S, or the target of a migration of a VM that
 * never ran) runs the firmware phase once its CPUs run: `firmware` of guest
 * time, standing still while the VM is stopped.
 */
void guest_boot(struct guest *g, struct host *h)
{
    SIM_ASSERT(!g->powered);
    g->powered = true;
    g->host = h;
    g->running = host_vm_running(h);
    g->stopped_at = g->w->now;
    host_attach_guest(h, &core_hw_ops, g);
    if (g->running || !g->prof->boot) {
        kernel_start(g);
        return;
    }
    /* IMP: knob firmware */
    guest_timer_init(&g->firmware, g, firmware_done, "guest-firmware");
    guest_timer_arm(&g->firmware, g->cfg.firmware);
}

/*
 * The VM moves to the target's QEMU process.  Under TCG (the recorded
 * setup) that process has translated none of the guest's code yet: the
 * kernel's paths run slower the first time they run there (recorded: the
 * target's first hot-add, from the interrupt to the primary's
 * registration, takes 0.39-0.52 s where the same one takes 0.31-0.35 s at
 * boot or after a cancel on the source, and its second one is as fast as
 * at boot).  `cold` tells the guest's models; the PCI core clears it once
 * the first hot-add on the target is done.  A kernel that never ran (a
 * prelaunch VM) boots on the target as on any new process.
 */
void guest_migrate(struct guest *g, struct host *to)
{
    if (g->host)
        host_attach_guest(g->host, NULL, NULL);
    g->cold = g->booted;
    g->host = to;
    host_attach_guest(to, &core_hw_ops, g);
    if (g->prof->migrated)
        g->prof->migrated(g);
}

/* ---- profile operations ------------------------------------------------------------------- */

int guest_action(struct guest *g, const struct scn_action *a, struct sim_err *err)
{
    if (!g->prof->action)
        return scn_errf(err, &a->pos, "the %s guest profile takes no scripted actions "
                                      "(use 'guest qtest')",
                        g->prof->name);
    return g->prof->action(g, a, false, err);
}

int guest_action_check(const struct guest *g, const struct scn_action *a, struct sim_err *err)
{
    if (!g->prof->action)
        return scn_errf(err, &a->pos, "the %s guest profile takes no scripted actions "
                                      "(use 'guest qtest')",
                        g->prof->name);
    return g->prof->action((struct guest *)g, a, true, err);
}

enum frame_drop guest_xmit(struct guest *g, const struct frame *f, enum obs_role *via)
{
    *via = OBS_ROLE_UNKNOWN;
    if (!g->booted || !g->running)
        return FRAME_DROP_VM_STOPPED;
    if (!g->prof->xmit)
        return FRAME_DROP_NO_ROUTE;
    return g->prof->xmit(g, f, via);
}

void guest_set_rx_hook(struct guest *g, struct guest_rx_hook hook)
{
    g->rx_hook = hook;
}

unsigned guest_interfaces(const struct guest *g, struct guest_ifinfo *out, unsigned max)
{
    return g->prof->interfaces ? g->prof->interfaces(g, out, max) : 0;
}

/* ---- knobs ------------------------------------------------------------------------------------ */

/* From `cont` to the kernel's clock 0 in the real runs (-S, prelaunch
 * target; TCG, 256 MiB, an 8 MiB kernel and a 1.3 MiB initrd): 5.25 s and
 * 6.15 s in traces/real (paused-source, prelaunch), 6.14 s and 3.88 s in
 * the earlier runs j and l of the recording notes: 5.35 s on average. */
#define GUEST_FIRMWARE_DEFAULT SIM_MS(5400)

static const struct guest_profile guest_profile_none = { .name = "none" };

static int knob_bool(const struct scn_knob *k, const char *yes, const char *no, bool *out,
                     struct sim_err *err)
{
    if (k->values.n != 1)
        return scn_errf(err, &k->key.pos, "knob %s takes one value: %s or %s", k->key.text, yes, no);
    const char *v = k->values.v[0].text;
    if (strcmp(v, yes) == 0)
        *out = true;
    else if (strcmp(v, no) == 0)
        *out = false;
    else
        return scn_errf(err, &k->values.v[0].pos, "knob %s: expected %s or %s, found '%s'",
                        k->key.text, yes, no, v);
    return 0;
}

static int knob_time(const struct scn_knob *k, sim_time *out, struct sim_err *err)
{
    const char *end;
    if (k->values.n != 1)
        return scn_errf(err, &k->key.pos, "knob %s takes one time, e.g. 200ms", k->key.text);
    if (sim_time_parse(k->values.v[0].text, out, &end) != 0 || *end || *out < 0)
        return scn_errf(err, &k->values.v[0].pos, "knob %s: expected a time such as 200ms, found '%s'",
                        k->key.text, k->values.v[0].text);
    return 0;
}

/* "address IF A.B.C.D/N": an interface name the kernel would take (and a
 * kernel command line word can carry: no '=' or ','), and an IPv4 prefix in
 * its usual spelling (it is printed back as written). */
static int knob_address(const struct scn_knob *k, struct guest_cfg *c, struct sim_err *err)
{
    if (k->values.n != 2)
        return scn_errf(err, &k->key.pos, "knob address takes an interface and A.B.C.D/N, e.g. "
                                          "address eth2 10.0.2.16/24");
    const struct scn_arg *ifv = &k->values.v[0], *pv = &k->values.v[1];
    size_t n = strlen(ifv->text);
    bool ok = n > 0 && n < sizeof(c->addrs[0].ifname) && strcmp(ifv->text, ".") != 0 &&
              strcmp(ifv->text, "..") != 0;
    for (size_t i = 0; ok && i < n; i++) {
        char ch = ifv->text[i];
        ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
             ch == '_' || ch == '-' || ch == '.';
    }
    if (!ok)
        return scn_errf(err, &ifv->pos,
                        "knob address: expected an interface name (1-15 letters, digits, "
                        "'_', '-', '.'), found '%s'",
                        ifv->text);
    unsigned a[4], len;
    char extra, canon[24];
    if (sscanf(pv->text, "%3u.%3u.%3u.%3u/%2u%c", &a[0], &a[1], &a[2], &a[3], &len, &extra) !=
            5 ||
        a[0] > 255 || a[1] > 255 || a[2] > 255 || a[3] > 255 || len > 32 ||
        (snprintf(canon, sizeof(canon), "%u.%u.%u.%u/%u", a[0], a[1], a[2], a[3], len),
         strcmp(canon, pv->text) != 0))
        return scn_errf(err, &pv->pos, "knob address: expected A.B.C.D/N (e.g. 10.0.2.16/24), "
                                       "found '%s'",
                        pv->text);
    if (c->naddrs == GUEST_MAX_ADDRS)
        return scn_errf(err, &k->key.pos, "knob address: at most %d addresses",
                        GUEST_MAX_ADDRS);
    struct guest_addr *g = &c->addrs[c->naddrs++];
    sim_strlcpy(g->ifname, ifv->text, sizeof(g->ifname));
    sim_strlcpy(g->prefix, canon, sizeof(g->prefix));
    return 0;
}

/* A whole number written with decimal digits only, after an optional '-'
 * when `sign`: strtoul and sscanf's %u also take blanks and '+', and wrap a
 * negative number round ("6.-1" read as 6.4294967295). */
static bool decimal(const char *s, bool sign)
{
    if (sign && *s == '-')
        s++;
    return *s && strspn(s, "0123456789") == strlen(s);
}

static int parse_knobs(const struct scn_guest *sg, struct guest_cfg *c, struct sim_err *err)
{
    /* Linux 6.1, as Debian 12 runs it (linux-guest.md; real-qemu.md). */
    *c = (struct guest_cfg){
        .kernel_major = 6, .kernel_minor = 1, .standby_accept = true, .failover_driver = true,
        .eject = true, .firmware = GUEST_FIRMWARE_DEFAULT, .boot = SIM_MS(2500),
        .linkwatch_delay = SIM_S(1), .ifup = true,
    };
    sim_strlcpy(c->primary_driver, "iavf", sizeof(c->primary_driver));
    bool needs_mac_set = false;
    const struct scn_knob *link_knob = NULL;
    for (size_t i = 0; i < sg->nknobs; i++) {
        const struct scn_knob *k = &sg->knobs[i];
        const char *key = k->key.text;
        int r = 0;
        if (strcmp(key, "kernel") == 0) {
            unsigned a, b;
            char extra;
            const char *t = k->values.n == 1 ? k->values.v[0].text : "";
            size_t d = strspn(t, "0123456789");
            if (k->values.n != 1 || d == 0 || t[d] != '.' || !decimal(t + d + 1, false) ||
                sscanf(t, "%9u.%9u%c", &a, &b, &extra) != 2 || a < 4 || a > 9)
                return scn_errf(err, k->values.n ? &k->values.v[0].pos : &k->key.pos,
                                "knob kernel: expected a version such as 6.1");
            c->kernel_major = a;
            c->kernel_minor = b;
        } else if (strcmp(key, "standby") == 0) {
            r = knob_bool(k, "accept", "refuse", &c->standby_accept, err);
        } else if (strcmp(key, "standby-needs-mac") == 0) {
            r = knob_bool(k, "yes", "no", &c->standby_needs_mac, err);
            needs_mac_set = true;
        } else if (strcmp(key, "failover-driver") == 0) {
            r = knob_bool(k, "on", "off", &c->failover_driver, err);
        } else if (strcmp(key, "eject") == 0) {
            r = knob_bool(k, "on-request", "never", &c->eject, err);
        } else if (strcmp(key, "eject-delay") == 0) {
            r = knob_time(k, &c->eject_delay, err);
        } else if (strcmp(key, "boot") == 0) {
            r = knob_time(k, &c->boot, err);
        } else if (strcmp(key, "firmware") == 0) {
            r = knob_time(k, &c->firmware, err);
        } else if (strcmp(key, "primary-mac") == 0) {
            r = knob_bool(k, "random", "permanent", &c->primary_random_mac, err);
        } else if (strcmp(key, "primary-bond") == 0) {
            r = knob_bool(k, "on", "off", &c->primary_bond, err);
        } else if (strcmp(key, "primary-driver") == 0) {
            if (k->values.n != 1 || strlen(k->values.v[0].text) >= sizeof(c->primary_driver))
                return scn_errf(err, &k->key.pos, "knob primary-driver takes one driver name");
            if (!nic_vf_driver_known(k->values.v[0].text))
                return scn_errf(err, &k->values.v[0].pos,
                                "knob primary-driver: expected iavf, ixgbevf or mlx5_core, "
                                "found '%s'",
                                k->values.v[0].text);
            sim_strlcpy(c->primary_driver, k->values.v[0].text, sizeof(c->primary_driver));
        } else if (strcmp(key, "primary-link") == 0) {
            r = knob_bool(k, "infiniband", "ethernet", &c->primary_infiniband, err);
            link_knob = k;
        } else if (strcmp(key, "link-watch-delay") == 0) {
            r = knob_time(k, &c->linkwatch_delay, err);
        } else if (strcmp(key, "ifup") == 0) {
            r = knob_bool(k, "on", "off", &c->ifup, err);
        } else if (strcmp(key, "pciehp-poll") == 0) {
            r = knob_bool(k, "on", "off", &c->pciehp_poll, err);
        } else if (strcmp(key, "pciehp-poll-time") == 0) {
            char *end;
            long v = k->values.n == 1 ? strtol(k->values.v[0].text, &end, 10) : 0;
            if (k->values.n != 1 || *end || !decimal(k->values.v[0].text, true) || v < -1000 ||
                v > 1000)
                return scn_errf(err, k->values.n ? &k->values.v[0].pos : &k->key.pos,
                                "knob pciehp-poll-time: expected whole seconds from -1000 to 1000");
            c->pciehp_poll_time = (int)v;
        } else if (strcmp(key, "mtu") == 0) {
            char *end;
            unsigned long v = k->values.n == 1 ? strtoul(k->values.v[0].text, &end, 10) : 0;
            if (k->values.n != 1 || *end || !decimal(k->values.v[0].text, false) || v < 68 ||
                v > 65535)
                return scn_errf(err, k->values.n ? &k->values.v[0].pos : &k->key.pos,
                                "knob mtu: expected a number from 68 to 65535");
            c->master_mtu = (unsigned)v;
        } else if (strcmp(key, "address") == 0) {
            r = knob_address(k, c, err);
        } else if (strcmp(key, "fault") == 0) {
            /* fault injection (the kernel's failslab): what is made to fail */
            if (k->values.n == 0)
                return scn_errf(err, &k->key.pos, "knob fault takes what fails: virtio-register");
            for (size_t v = 0; v < k->values.n; v++) {
                if (strcmp(k->values.v[v].text, "virtio-register") == 0)
                    c->fault_virtio_register = true;
                else
                    return scn_errf(err, &k->values.v[v].pos,
                                    "knob fault: expected virtio-register, found '%s'",
                                    k->values.v[v].text);
            }
        } else {
            return scn_errf(err, &k->key.pos,
                            "unknown guest knob '%s' (see doc/guest.md for the list)", key);
        }
        if (r)
            return r;
    }
    /* ConnectX VFs run either link layer; the Intel VFs only Ethernet */
    if (link_knob && c->primary_infiniband && strcmp(c->primary_driver, "mlx5_core") != 0)
        return scn_errf(err, &link_knob->values.v[0].pos,
                        "knob primary-link infiniband needs primary-driver mlx5_core (an %s VF "
                        "is Ethernet only)",
                        c->primary_driver);
    if (!needs_mac_set) /* G-01 landed in Linux 6.3 */
        c->standby_needs_mac = c->kernel_major > 6 || (c->kernel_major == 6 && c->kernel_minor >= 3);
    return 0;
}

struct guest *guest_new(struct sim_vm *vm, const struct scn_guest *sg, struct sim_err *err)
{
    struct sim_world *w = vm->w;
    const char *profile = sg->present ? sg->profile.text : "linux";
    const struct guest_profile *prof;
    if (strcmp(profile, "linux") == 0)
        prof = &guest_profile_linux;
    else if (strcmp(profile, "qtest") == 0)
        prof = &guest_profile_qtest;
    else
        prof = &guest_profile_none;
    struct guest *g = sim_xcalloc(1, sizeof(*g));
    g->w = w;
    g->vm = vm;
    g->prof = prof;
    sim_vm_rng(vm, &g->rng, "guest");
    if (prof != &guest_profile_linux && sg->nknobs > 0) {
        scn_errf(err, &sg->knobs[0].key.pos, "the %s guest profile takes no knobs", prof->name);
        free(g);
        return NULL;
    }
    if (parse_knobs(sg, &g->cfg, err) != 0) {
        free(g);
        return NULL;
    }
    return g;
}

void guest_free(struct guest *g)
{
    if (!g)
        return;
    while (g->timers)
        guest_timer_cancel(g->timers);
    sim_cancel(g->w, &g->boot_ev);
    if (g->prof->free)
        g->prof->free(g);
    free(g);
}
