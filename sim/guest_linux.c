/*
 * The linux guest profile: Linux 6.1 as Debian 12 boots it in the recorded
 * runs (FINDINGS.md), glued together.
 *
 * Boot, on guest time from the kernel's start (`boot` = uptime of "Run
 * /init", 2.5 s by default; the kernel's own stages sit at the fractions of
 * it the recordings show: the medians of the eleven runs of traces/real,
 * whose "Run /init" median is 2.50 s):
 *   0.284 boot acpiphp loads (built in; recorded 0.60-0.99 s)
 *   0.450 boot PCI enumeration of what the firmware left visible (recorded
 *              0.80-1.30 s); with ACPI hotplug each root port's slot is
 *              registered on the way
 *   0.693 boot pcieport binds the root ports (recorded 1.30-2.73 s):
 *              PME/AER lines, and pciehp on ports with native hotplug
 *              (G-53..G-57)
 *   boot       "Run /init as init process"; the init script then loads
 *              virtio_net (its FEATURES_OK +180 ms, recorded 162-233 ms
 *              but one run 411; not with failover-driver off; its probe
 *              takes 18 ms, QEMU plugs the primary at its start), e1000e
 *              (57 ms after virtio_net's probe finished, recorded 50-65),
 *              and brings the interfaces up (ifup, 47 ms after e1000e's
 *              load returned, recorded 45-51).  A VF driver is loaded on
 *              demand when a passed-through function shows up (udev's
 *              module autoload).
 * Hardware notifications go to pciehp (slot interrupts), acpiphp (the GPE)
 * or the driver bound to the function (virtio config, frames, NIC link).
 * While the VM is stopped the core drops interrupts; when it runs again,
 * whatever the hardware latched is serviced at once (12 ms later on a
 * target, whose code is cold), the highest port first (the highest MSI
 * vector wins; the recorded two-pair target plugs Slot(0-3) before
 * Slot(0-1)).
 */
#include "guest_linux.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpiphp.h"
#include "gnet_int.h"
#include "guest_pci.h"
#include "pciehp.h"
#include "sim/host.h"
#include "sim/mutant.h"
#include "sim/world.h"

#define MAX_PORTS 32
/* Stages of the boot in thousandths of `boot` (see above). */
#define AT_ACPIPHP 284
#define AT_PCI 450
#define AT_PORTS 693
#define INIT_TO_VIRTIO SIM_MS(180) /* "Run /init" -> virtio_net's FEATURES_OK */
#define INIT_TO_E1000E SIM_MS(220) /* without virtio_net: -> insmod e1000e */
#define NEXT_INSMOD SIM_MS(57)     /* virtio_net's probes done -> e1000e's init */
#define IFUP_AFTER SIM_MS(47)      /* the last insmod returned -> the master up */
/* knob address: init waits for the interface as for eth0, 20 x `sleep 0.1` */
#define ADDR_WAIT SIM_MS(100)
#define ADDR_WAITS 20
/* The VM runs again: what the hardware latched meanwhile is serviced at
 * once (recorded: the source's button line 1.5 ms after cont), on a
 * target's first run 12 ms later (its code is cold: recorded 11-18 ms to
 * the first line, with the IRQ thread's 2 ms). */
#define RESUME_LATENCY 0
#define RESUME_COLD SIM_MS(12)
/* A slot interrupt to pciehp's IRQ thread running (recorded: the plug's
 * first line 1.7-4.7 ms after FAILOVER_NEGOTIATED, the unplug's ~1.7 ms
 * after UNPLUG_PRIMARY) */
#define PCIEHP_IRQ_LATENCY SIM_MS(2)

/* A native hotplug port and its pciehp controller. */
struct hp_port {
    struct glinux *lx;
    struct hw_pci_addr addr;
    uint8_t bus;              /* secondary bus */
    char name[16];            /* "0000:00:02.0" */
    int slot;                 /* PCI slot handle (name) */
    struct pciehp_ctrl *c;
};

#define BOOT_STEPS(X)                                                                      \
    X(ACPIPHP)  /* acpiphp module init */                                                  \
    X(PCI)      /* root bus scan */                                                        \
    X(PORTS)    /* pcieport: PME, AER, pciehp */                                           \
    X(INIT)     /* Run /init */                                                            \
    X(VIRTIO)   /* insmod virtio_net (its probe negotiates; QEMU plugs the primary) */    \
    X(E1000E)   /* insmod e1000e */                                                        \
    X(IFUP)     /* ip link set up, ip addr add */                                          \
    X(ADDR)     /* knob address: ip addr add on further interfaces, waiting for each */    \
    X(DONE)

enum boot_step {
#define X(id) BOOT_##id,
    BOOT_STEPS(X)
#undef X
};

struct glinux {
    struct guest *g;
    struct kclock clk;
    struct sim_rng rng;
    struct hp_port ports[MAX_PORTS];
    unsigned nports;
    struct acpiphp *acpi;
    bool acpi_mode;
    enum boot_step step;
    struct guest_timer boot;
    struct guest_timer resume;
    bool vf_loaded;
    unsigned addr_next;       /* knob address: the next one init configures */
    unsigned addr_waits;      /* 100 ms waits for its interface so far */
    int irq;                  /* next pcieport IRQ number */
    struct func_reset *resets; /* function resets under way (owned) */
};

struct kclock *glinux_clock(struct guest *g)
{
    return &g->lx->clk;
}

struct sim_rng *glinux_rng(struct guest *g)
{
    return &g->lx->rng;
}

/* ---- pciehp's view of a port: the host's registers, the PCI core ------------------ */

static struct hw_port *port_of(const struct hp_port *hp)
{
    struct guest *g = hp->lx->g;
    return g->host ? hw_port_lookup(g->host, hp->addr) : NULL;
}

static uint32_t hp_sltcap(void *ctx)
{
    struct hw_port *p = port_of(ctx);
    return p ? hw_port_sltcap(p) : 0;
}

static uint32_t hp_sltcap2(void *ctx)
{
    (void)ctx;
    return 0; /* QEMU's root port has no Slot Capabilities 2 (IbPresDis-) */
}

static uint32_t hp_lnkcap(void *ctx)
{
    (void)ctx;
    return PCIEHP_LNKCAP_DLLLARC; /* QEMU's root/downstream ports report link active */
}

static uint16_t hp_sltctl(void *ctx)
{
    struct hw_port *p = port_of(ctx);
    return p ? hw_port_sltctl(p) : 0xffff;
}

static uint16_t hp_sltsta(void *ctx)
{
    struct hw_port *p = port_of(ctx);
    return p ? hw_port_sltsta(p) : 0;
}

static uint16_t hp_lnksta(void *ctx)
{
    struct hw_port *p = port_of(ctx);
    return p ? hw_port_lnksta(p) : 0;
}

static void hp_sltctl_write(void *ctx, uint16_t v)
{
    struct hw_port *p = port_of(ctx);
    if (p)
        hw_port_sltctl_write(p, v);
}

static void hp_sltsta_clear(void *ctx, uint16_t bits)
{
    struct hw_port *p = port_of(ctx);
    if (p)
        hw_port_sltsta_clear(p, bits);
}

static bool hp_dev_present(void *ctx)
{
    struct hp_port *hp = ctx;
    struct guest *g = hp->lx->g;
    struct hw_pci_addr f0 = { .bus = hp->bus };
    return g->host && hw_pci_lookup(g->host, f0) != NULL;
}

static bool hp_bus_has_devices(void *ctx)
{
    struct hp_port *hp = ctx;
    return gpci_bus_populated(hp->lx->g, hp->bus);
}

static void hp_core_done(void *ctx, int err)
{
    struct hp_port *hp = ctx;
    pciehp_core_done(hp->c, err);
}

static void hp_configure(void *ctx, struct pciehp_ctrl *c)
{
    (void)c;
    struct hp_port *hp = ctx;
    gpci_scan_bus(hp->lx->g, hp->bus, &hp->addr, 0, hp_core_done, hp);
}

static void hp_unconfigure(void *ctx, struct pciehp_ctrl *c, bool safe)
{
    (void)c;
    struct hp_port *hp = ctx;
    gpci_remove_bus(hp->lx->g, hp->bus, !safe, hp_core_done, hp);
}

static const struct pciehp_hw hp_hw = {
    .sltcap = hp_sltcap,
    .sltcap2 = hp_sltcap2,
    .lnkcap = hp_lnkcap,
    .sltctl = hp_sltctl,
    .sltsta = hp_sltsta,
    .lnksta = hp_lnksta,
    .sltctl_write = hp_sltctl_write,
    .sltsta_clear = hp_sltsta_clear,
    .dev_present = hp_dev_present,
    .bus_has_devices = hp_bus_has_devices,
    .configure = hp_configure,
    .unconfigure = hp_unconfigure,
};

static struct hp_port *hp_find(struct glinux *lx, struct hw_pci_addr a)
{
    for (unsigned i = 0; i < lx->nports; i++)
        if (lx->ports[i].addr.slot == a.slot && lx->ports[i].addr.func == a.func &&
            lx->ports[i].addr.bus == a.bus)
            return &lx->ports[i];
    return NULL;
}

/* ---- boot ----------------------------------------------------------------------------- */

static void boot_next(struct glinux *lx, enum boot_step step, sim_time delay)
{
    lx->step = step;
    guest_timer_arm(&lx->boot, delay);
}

static sim_time at_fraction(const struct glinux *lx, unsigned permille)
{
    return lx->g->cfg.boot * permille / 1000;
}

static void acpi_bus_hook(void *ctx, struct hw_port *p)
{
    struct glinux *lx = ctx;
    if (lx->acpi_mode)
        acpiphp_add_bus(lx->acpi, p);
}

static int add_port(void *ctx, struct hw_port *p)
{
    struct glinux *lx = ctx;
    struct guest *g = lx->g;
    if (lx->nports == MAX_PORTS)
        return 1;
    char name[16];
    gpci_addr_name(hw_port_addr(p), name, sizeof(name));
    int irq = lx->irq++;
    guest_log(g, "pcieport %s: PME: Signaling with IRQ %d", name, irq);
    guest_log(g, "pcieport %s: AER: enabled with IRQ %d", name, irq);
    if (!hw_port_native_hotplug(p))
        return 0;
    struct hp_port *hp = &lx->ports[lx->nports++];
    *hp = (struct hp_port){ .lx = lx, .addr = hw_port_addr(p), .bus = hw_port_secondary_bus(p) };
    sim_strlcpy(hp->name, name, sizeof(hp->name));
    /* pci_hp_register: the slot is named after its physical slot number */
    char psn[16];
    snprintf(psn, sizeof(psn), "%u", (unsigned)(hw_port_sltcap(p) >> HW_SLTCAP_PSN_SHIFT));
    hp->slot = gpci_slot_register(g, psn);
    struct pciehp_params prm = {
        .port = hp->name,
        .slot = gpci_slot_name(g, hp->slot),
        .kernel_major = g->cfg.kernel_major,
        .kernel_minor = g->cfg.kernel_minor,
        .poll = g->cfg.pciehp_poll,
        .poll_time = g->cfg.pciehp_poll_time,
        .msi = true,
        .secondary_bus = hp->bus,
        .ignore_button = !g->cfg.eject,
        .irq_delay = PCIEHP_IRQ_LATENCY + g->cfg.eject_delay,
    };
    hp->c = pciehp_probe(g, &lx->clk, &prm, &hp_hw, hp);
    return 0;
}

static void driver_loaded(void *ctx, int err);

/* udev's module autoload for a passed-through VF that found no driver */
static void autoload(struct guest *g, const struct hw_pci_info *info)
{
    struct glinux *lx = g->lx;
    if (info->kind != HW_DEV_VFIO || lx->vf_loaded)
        return;
    lx->vf_loaded = true;
    nic_module_init(g, &vf_driver);
    gpci_driver_load(g, &vf_driver, NULL, NULL);
}

static void has_unbound_vf(void *ctx, struct gpci_dev *pdev)
{
    bool *found = ctx;
    if (pdev->info.kind == HW_DEV_VFIO && !pdev->drv)
        *found = true;
}

/*
 * Knob address, as the recorder's init does it (conformance/real/mkguest.sh,
 * fosim.addr): for each address in turn, wait for the interface (up to 20
 * times 100 ms), `ip addr add A/N dev IF && ip link set IF up`, and log the
 * outcome through /dev/kmsg, so the line carries the kernel's stamp in a
 * recording as here.  Nothing refuses a failover slave (bug 8).
 */
static void boot_addr(struct glinux *lx) /* IMP: L6.8 */
{
    struct guest *g = lx->g;
    while (lx->addr_next < g->cfg.naddrs) {
        const struct guest_addr *a = &g->cfg.addrs[lx->addr_next];
        int err = gnet_addr_add(g, a->ifname);
        if (err == -GNET_ENODEV && lx->addr_waits < ADDR_WAITS) {
            lx->addr_waits++;
            boot_next(lx, BOOT_ADDR, ADDR_WAIT);
            return;
        }
        if (err)
            guest_log(g, "fosim-guest: addr %s %s failed", a->ifname, a->prefix);
        else
            guest_log(g, "fosim-guest: addr %s %s", a->ifname, a->prefix);
        lx->addr_next++;
        lx->addr_waits = 0;
    }
    lx->step = BOOT_DONE;
}

static void boot_fire(struct guest *g, struct guest_timer *t)
{
    struct glinux *lx = SIM_CONTAINER_OF(t, struct glinux, boot);
    switch (lx->step) {
    case BOOT_ACPIPHP:
        lx->acpi = acpiphp_init(g, !g->cfg.eject, g->cfg.eject_delay);
        boot_next(lx, BOOT_PCI, at_fraction(lx, AT_PCI) - at_fraction(lx, AT_ACPIPHP));
        return;
    case BOOT_PCI:
        lx->acpi_mode = g->host && hw_acpi_hotplug(g->host);
        if (g->host)
            gpci_boot_scan(g, acpi_bus_hook, lx);
        boot_next(lx, BOOT_PORTS, at_fraction(lx, AT_PORTS) - at_fraction(lx, AT_PCI));
        return;
    case BOOT_PORTS:
        if (g->host)
            hw_for_each_port(g->host, add_port, lx);
        boot_next(lx, BOOT_INIT, g->cfg.boot - at_fraction(lx, AT_PORTS));
        return;
    case BOOT_INIT:
        guest_log(g, "Run /init as init process");
        if (g->cfg.failover_driver)
            boot_next(lx, BOOT_VIRTIO, INIT_TO_VIRTIO);
        else
            boot_next(lx, BOOT_E1000E, INIT_TO_E1000E);
        return;
    case BOOT_VIRTIO:
        lx->step = BOOT_E1000E;
        gpci_driver_load(g, &virtio_net_driver, driver_loaded, lx);
        return;
    case BOOT_E1000E: {
        lx->step = BOOT_IFUP;
        nic_module_init(g, &e1000e_driver);
        gpci_driver_load(g, &e1000e_driver, NULL, NULL);
        bool vf = false;
        gpci_for_each(g, has_unbound_vf, &vf);
        if (vf && !lx->vf_loaded) {
            lx->vf_loaded = true;
            nic_module_init(g, &vf_driver);
            gpci_driver_load(g, &vf_driver, NULL, NULL);
        }
        gpci_set_autoload(g, autoload);
        /* the last insmod returns when its probes are done */
        gpci_sync(g, driver_loaded, lx);
        return;
    }
    case BOOT_IFUP:
        /* IMP: knob ifup: init brings the master (or the plain NIC) up */
        if (g->cfg.ifup)
            gnet_ifup(g);
        lx->step = BOOT_ADDR;
        boot_addr(lx);
        return;
    case BOOT_ADDR:
        boot_addr(lx);
        return;
    case BOOT_DONE:
        return;
    }
    SIM_ASSERT(!"unhandled boot step");
}

/* An insmod finished: the next step of the init script. */
static void driver_loaded(void *ctx, int err)
{
    (void)err;
    struct glinux *lx = ctx;
    if (lx->step == BOOT_E1000E)
        boot_next(lx, BOOT_E1000E, NEXT_INSMOD); /* the shell runs the next insmod */
    else if (lx->step == BOOT_IFUP)
        boot_next(lx, BOOT_IFUP, IFUP_AFTER); /* ip link set eth0 up; ip addr add */
}

static void resume_fire(struct guest *g, struct guest_timer *t);

static void linux_boot(struct guest *g)
{
    struct glinux *lx = sim_xcalloc(1, sizeof(*lx));
    lx->g = g;
    g->lx = lx;
    struct sim_rng r;
    sim_vm_rng(g->vm, &r, "guest/kclock");
    kclock_init(&lx->clk, &r);
    sim_vm_rng(g->vm, &lx->rng, "guest/linux");
    lx->irq = 24;
    guest_timer_init(&lx->boot, g, boot_fire, "linux-boot");
    guest_timer_init(&lx->resume, g, resume_fire, "linux-resume");
    gpci_init(g);
    gnet_init(g);
    /* nothing is printed now: with -S the CPUs have not run yet */
    boot_next(lx, BOOT_ACPIPHP, at_fraction(lx, AT_ACPIPHP));
}

/* ---- hardware notifications ------------------------------------------------------------- */

static void hw_slot_irq(void *gp, struct hw_port *p)
{
    struct guest *g = gp;
    struct hp_port *hp = g->lx ? hp_find(g->lx, hw_port_addr(p)) : NULL;
    if (hp && hp->c)
        pciehp_irq(hp->c);
}

static void hw_acpi_gpe(void *gp)
{
    struct guest *g = gp;
    if (g->lx && g->lx->acpi && g->lx->acpi_mode)
        acpiphp_gpe(g->lx->acpi);
}

static struct gpci_dev *bound(struct guest *g, struct hw_pcidev *d)
{
    struct gpci_dev *pdev = g->pci ? gpci_find_hw(g, d) : NULL;
    return pdev && pdev->drv ? pdev : NULL;
}

static void hw_virtio_config(void *gp, struct hw_pcidev *d)
{
    struct guest *g = gp;
    struct gpci_dev *pdev = bound(g, d);
    if (pdev && pdev->drv->config_changed)
        pdev->drv->config_changed(g, pdev);
}

/* A frame reaches a function: its driver receives it.  Before a driver is
 * bound (not enumerated yet, no driver loaded, or during the firmware) no
 * one has set up a receive ring: the frame is lost (QEMU's device refuses
 * it while the guest has not enabled reception). */
static void hw_nic_rx(void *gp, struct hw_pcidev *d, const struct frame *f)
{
    struct guest *g = gp;
    struct gpci_dev *pdev = bound(g, d);
    if (pdev && pdev->drv->rx)
        pdev->drv->rx(g, pdev, f);
    else
        guest_rx_drop(g, f, OBS_ROLE_UNKNOWN, FRAME_DROP_NO_DRIVER);
}

static void hw_nic_link(void *gp, struct hw_pcidev *d, bool up)
{
    struct guest *g = gp;
    struct gpci_dev *pdev = bound(g, d);
    if (pdev && pdev->drv->link)
        pdev->drv->link(g, pdev, up);
}

static void config_latched(void *ctx, struct gpci_dev *pdev)
{
    struct guest *g = ctx;
    if (pdev->drv && pdev->drv->config_changed)
        pdev->drv->config_changed(g, pdev);
}

static void resume_fire(struct guest *g, struct guest_timer *t)
{
    struct glinux *lx = SIM_CONTAINER_OF(t, struct glinux, resume);
    if (sim_mutant(g->w, MUT_RESUME_DROPS_IRQ))
        return;
    /* pending MSIs: the highest vector (the last port bound) first */
    for (unsigned i = lx->nports; i-- > 0;)
        if (lx->ports[i].c)
            pciehp_resume(lx->ports[i].c);
    if (lx->acpi && lx->acpi_mode)
        acpiphp_gpe(lx->acpi); /* a latched GPE status bit */
    gpci_for_each(g, config_latched, g);
}

static void hw_run_state(void *gp, bool running)
{
    struct guest *g = gp;
    if (running && g->lx && g->lx->step != BOOT_ACPIPHP)
        guest_timer_arm(&g->lx->resume, g->cold ? RESUME_COLD : RESUME_LATENCY);
}

static const struct hw_guest_ops linux_hw_ops = {
    .slot_irq = hw_slot_irq,
    .acpi_pcihp_gpe = hw_acpi_gpe,
    .virtio_config = hw_virtio_config,
    .nic_rx = hw_nic_rx,
    .nic_link = hw_nic_link,
    .vm_run_state = hw_run_state,
};

/* ---- scripted actions -------------------------------------------------------------------- */

/* A slot named as the user knows it: pciehp's slot name ("0-1"), the port's
 * address ("0000:00:02.0" or "00:02.0") or its QEMU id ("root1"). */
static bool slot_word_valid(const char *w)
{
    unsigned a, b, c, d;
    char extra;
    if (sscanf(w, "%8x:%8x:%8x.%8x%c", &a, &b, &c, &d, &extra) == 4 ||
        sscanf(w, "%8x:%8x.%8x%c", &a, &b, &c, &extra) == 3)
        return true;
    if (sscanf(w, "%9u-%9u%c", &a, &b, &extra) == 2 || sscanf(w, "%9u%c", &a, &extra) == 1)
        return true;
    for (const char *p = w; *p; p++)
        if (!(('a' <= *p && *p <= 'z') || ('A' <= *p && *p <= 'Z') || ('0' <= *p && *p <= '9') ||
              *p == '-' || *p == '_' || *p == '.'))
            return false;
    return *w != '\0';
}

static struct hp_port *slot_lookup(struct glinux *lx, const char *w)
{
    struct guest *g = lx->g;
    for (unsigned i = 0; i < lx->nports; i++) {
        struct hp_port *hp = &lx->ports[i];
        if (strcmp(gpci_slot_name(g, hp->slot), w) == 0 || strcmp(hp->name, w) == 0 ||
            strcmp(hp->name + 5, w) == 0)
            return hp;
        struct hw_pcidev *d = g->host ? hw_pci_lookup(g->host, hp->addr) : NULL;
        if (d) {
            struct hw_pci_info info;
            hw_pci_info(d, &info);
            if (info.qdev_id && strcmp(info.qdev_id, w) == 0)
                return hp;
        }
    }
    return NULL;
}

static void action_failed(struct guest *g, const char *what, const char *why)
{
    sim_emit_state(g->vm, g->host ? host_id(g->host) : OBS_SOURCE, "guest-action", what,
                   "failed", why);
}

struct sysfs_req {
    struct guest *g;
    char what[64];
};

static void sysfs_done(void *ctx, int result)
{
    struct sysfs_req *r = ctx;
    char res[32];
    snprintf(res, sizeof(res), "%d", result);
    sim_emit_state(r->g->vm, r->g->host ? host_id(r->g->host) : OBS_SOURCE, "guest-action",
                   r->what, res, "sysfs write returned");
    free(r);
}

/* ---- function reset (sysfs `reset`, pci_reset_function) ---------------------------- */

/* A reset in progress: its parent bus reset timer (no pciehp slot) and the
 * action's name for its result. */
struct func_reset {
    struct guest *g;
    struct gpci_dev *pdev;
    struct guest_timer sbr;
    char what[64];
    struct func_reset *next;     /* lx->resets */
};

static void pciehp_reset_done(void *ctx, int result)
{
    struct func_reset *r = ctx;
    gpci_reset_done(r->pdev, result);
}

static void sbr_done(struct guest *g, struct guest_timer *t)
{
    (void)g;
    struct func_reset *r = SIM_CONTAINER_OF(t, struct func_reset, sbr);
    gpci_reset_done(r->pdev, 0);
}

/* The function's reset method, as pci_reset_function picks it for a
 * function alone behind a port (no FLR or PM reset modelled): the hotplug
 * slot's reset when pciehp drives the port (reset_lock, bug 15), else a
 * secondary bus reset of the parent bridge (2 ms, then 1 s); a function on
 * the root bus has none (-ENOTTY). */
static int reset_method(void *ctx, struct gpci_dev *pdev)
{
    struct func_reset *r = ctx;
    struct glinux *lx = r->g->lx;
    r->pdev = pdev;
    if (pdev->addr.bus == 0)
        return -ENOTTY;
    for (unsigned i = 0; i < lx->nports; i++) {
        struct hp_port *hp = &lx->ports[i];
        if (hp->bus == pdev->addr.bus && hp->c) {
            int rc = pciehp_reset_slot(hp->c, pciehp_reset_done, r);
            return rc ? rc : GPCI_ASYNC;
        }
    }
    struct kclock *k = &lx->clk;
    sim_time up = guest_uptime(r->g);
    guest_timer_arm(&r->sbr, kclock_msleep(k, up, 2) + kclock_msleep(k, up, 1000));
    return GPCI_ASYNC;
}

static void reset_finished(void *ctx, int result)
{
    struct func_reset *r = ctx;
    struct glinux *lx = r->g->lx;
    char res[32];
    snprintf(res, sizeof(res), "%d", result);
    sim_emit_state(r->g->vm, r->g->host ? host_id(r->g->host) : OBS_SOURCE, "guest-action",
                   r->what, res, "sysfs write returned");
    for (struct func_reset **pp = &lx->resets; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    guest_timer_cancel(&r->sbr);
    free(r);
}

struct by_id {
    const char *id;
    bool found;
    struct hw_pci_addr addr;
};

static int match_id(void *ctx, struct hw_pcidev *d)
{
    struct by_id *b = ctx;
    struct hw_pci_info info;
    hw_pci_info(d, &info);
    if (!info.qdev_id || strcmp(info.qdev_id, b->id) != 0)
        return 0;
    b->found = true;
    b->addr = info.addr;
    return 1;
}

/* "0000:02:00.0", "02:00.0" or a device's QEMU id: the function's address. */
static bool function_lookup(struct guest *g, const char *w, struct hw_pci_addr *a)
{
    unsigned d, b, sl, fn;
    char extra;
    if (sscanf(w, "%4x:%2x:%2x.%1u%c", &d, &b, &sl, &fn, &extra) == 4 ||
        (d = 0, sscanf(w, "%2x:%2x.%1u%c", &b, &sl, &fn, &extra) == 3)) {
        if (d != 0 || b > 255 || sl > 31 || fn > 7)
            return false;
        *a = (struct hw_pci_addr){ .bus = (uint8_t)b, .slot = (uint8_t)sl, .func = (uint8_t)fn };
        return true;
    }
    struct by_id ctx = { .id = w };
    if (g->host)
        hw_for_each_pci(g->host, match_id, &ctx);
    if (!ctx.found)
        return false;
    *a = ctx.addr;
    return true;
}

static int linux_action(struct guest *g, const struct scn_action *a, bool dry_run,
                        struct sim_err *err)
{
    const struct scn_args *w = &a->words;
    if (w->n == 0)
        return scn_errf(err, &a->pos, "expected a guest action");
    const char *verb = w->v[0].text;
    bool press = strcmp(verb, "press") == 0;
    bool sysfs = strcmp(verb, "sysfs-power") == 0;
    if (strcmp(verb, "reset") == 0) {
        /* echo 1 > /sys/bus/pci/devices/F/reset */
        if (w->n != 2)
            return scn_errf(err, &w->v[0].pos, "expected: reset FUNCTION");
        struct hw_pci_addr fa;
        unsigned d, b, sl, fn;
        char extra;
        bool addr_form = sscanf(w->v[1].text, "%4x:%2x:%2x.%1u%c", &d, &b, &sl, &fn, &extra) == 4 ||
                         sscanf(w->v[1].text, "%2x:%2x.%1u%c", &b, &sl, &fn, &extra) == 3;
        if (!addr_form && !slot_word_valid(w->v[1].text))
            return scn_errf(err, &w->v[1].pos,
                            "expected a PCI function (0000:02:00.0, 02:00.0) or a device's id, "
                            "found '%s'",
                            w->v[1].text);
        if (dry_run)
            return 0;
        char what[64];
        snprintf(what, sizeof(what), "reset %s", w->v[1].text);
        if (!g->lx || !function_lookup(g, w->v[1].text, &fa) || !gpci_find(g, fa)) {
            action_failed(g, what, "no such PCI function in the guest");
            return 0;
        }
        struct func_reset *r = sim_xcalloc(1, sizeof(*r));
        r->g = g;
        sim_strlcpy(r->what, what, sizeof(r->what));
        guest_timer_init(&r->sbr, g, sbr_done, "pci-bus-reset");
        r->next = g->lx->resets;
        g->lx->resets = r;
        gpci_reset_function(g, fa, reset_method, r, reset_finished, r);
        return 0;
    }
    if (!press && !sysfs) {
        int r = gnet_action(g, a, dry_run, err);
        if (r == 1)
            return scn_errf(err, &w->v[0].pos,
                            "unknown action '%s' for the linux guest (press, sysfs-power, reset, "
                            "or a net action: see doc/guest.md)",
                            verb);
        return r;
    }
    size_t want = press ? 2 : 3;
    if (w->n != want)
        return scn_errf(err, &w->v[0].pos, press ? "expected: press SLOT"
                                                 : "expected: sysfs-power SLOT on|off");
    if (!slot_word_valid(w->v[1].text))
        return scn_errf(err, &w->v[1].pos,
                        "expected a slot: its pciehp name (0-1), the port's address "
                        "(0000:00:02.0) or the port's id, found '%s'",
                        w->v[1].text);
    if (sysfs && strcmp(w->v[2].text, "on") != 0 && strcmp(w->v[2].text, "off") != 0)
        return scn_errf(err, &w->v[2].pos, "expected on or off, found '%s'", w->v[2].text);
    if (dry_run)
        return 0;
    char what[64];
    snprintf(what, sizeof(what), "%s %s%s%s", verb, w->v[1].text, sysfs ? " " : "",
             sysfs ? w->v[2].text : "");
    struct hp_port *hp = g->lx ? slot_lookup(g->lx, w->v[1].text) : NULL;
    if (!hp || !hp->c) {
        action_failed(g, what, "no pciehp slot by that name");
        return 0;
    }
    if (press) {
        pciehp_press(hp->c);
        return 0;
    }
    struct sysfs_req *r = sim_xcalloc(1, sizeof(*r));
    r->g = g;
    sim_strlcpy(r->what, what, sizeof(r->what));
    int rc = strcmp(w->v[2].text, "on") == 0 ? pciehp_sysfs_enable(hp->c, sysfs_done, r)
                                              : pciehp_sysfs_disable(hp->c, sysfs_done, r);
    if (rc != 0)
        sysfs_done(r, rc);
    return 0;
}

/* ---- the rest of the profile ------------------------------------------------------------- */

static void release(void *ctx, struct gpci_dev *pdev)
{
    (void)ctx;
    nic_release(pdev);
}

static void linux_free(struct guest *g)
{
    struct glinux *lx = g->lx;
    if (lx) {
        for (unsigned i = 0; i < lx->nports; i++)
            pciehp_free(lx->ports[i].c);
        acpiphp_free(lx->acpi);
        guest_timer_cancel(&lx->boot);
        guest_timer_cancel(&lx->resume);
        while (lx->resets) {
            struct func_reset *r = lx->resets;
            lx->resets = r->next;
            guest_timer_cancel(&r->sbr);
            free(r);
        }
    }
    gpci_for_each(g, release, NULL);
    gpci_free(g);
    gnet_free(g);
    free(lx);
    g->lx = NULL;
}

static void linux_migrated(struct guest *g)
{
    (void)g; /* functions and ports are found again by address on the new host */
}

static enum frame_drop linux_xmit(struct guest *g, const struct frame *f, enum obs_role *via)
{
    if (!g->net)
        return FRAME_DROP_NO_ROUTE;
    return gnet_xmit(g, f, via);
}

static unsigned linux_interfaces(const struct guest *g, struct guest_ifinfo *out, unsigned max)
{
    return g->net ? gnet_interfaces(g, out, max) : 0;
}

const struct guest_profile guest_profile_linux = {
    .name = "linux",
    .free = linux_free,
    .boot = linux_boot,
    .migrated = linux_migrated,
    .action = linux_action,
    .xmit = linux_xmit,
    .interfaces = linux_interfaces,
    .hw = &linux_hw_ops,
};
