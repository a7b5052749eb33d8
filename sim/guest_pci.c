/*
 * The linux guest's PCI core: enumeration, resources, driver binding and
 * removal, serialized like pci_lock_rescan_remove(), and PCI slot names.
 *
 * The console lines are those of the recordings (FINDINGS.md section 2,
 * Debian's 6.1.192): "pci 0000:02:00.0: [8086:10d3] type 00 class
 * 0x020000", "BAR n [mem ...]" before and after assignment, and, for a
 * native hot-add, the port's "PCI bridge to [bus 02]" and window lines.
 * Addresses follow the layout SeaBIOS and Linux give q35 with N root ports
 * (fitted to the recordings with 2 and 4 ports): port j's BAR at
 * 0xfea00000 - N * 2 MiB + j * 4 KiB, bus k's memory window
 * 2 MiB below that per bus, its prefetchable window at 0xfec00000 - k * 2
 * MiB, its I/O window at k * 0x1000.  Only e1000e and virtio-net have BAR
 * layouts; other functions print their header line only.
 *
 * Not modelled: config-space writes (the safe-removal command-register
 * writes of G-79 have no register in hw.h), ROM BARs of hot-added
 * functions (hw_pci_info does not say whether a ROM is present), SR-IOV.
 */
#include "guest_pci.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/host.h"
#include "sim/world.h"

/* The enumeration lines to the first probe: recorded 9 ms (6.7-18 ms) at
 * boot and after a cancel, 30 ms (28.6-47 ms) in the target's first hot-add
 * (guest.cold: its code runs for the first time in that QEMU process). */
#define ENUM_COST SIM_MS(9)
#define ENUM_COST_COLD SIM_MS(30)
#define MAX_DRIVERS 8
#define MAX_SLOTS 64

struct gpci_op;
struct gpci_lane;

/* A function the guest enumerated. */
struct gpci_fn {
    struct gpci_dev pub;
    struct gpci_fn *next; /* address order */
    struct gpci_op *busy; /* the operation whose driver call (probe or
                             remove) on it is under way: the device lock */
};

enum op_kind { OP_SCAN, OP_REMOVE, OP_LOAD, OP_RESET };

/*
 * Operations run one at a time per lane: scans and removals hold
 * pci_lock_rescan_remove() (LANE_RESCAN); module loads (insmod's
 * driver_register, which binds the new driver to the functions it matches)
 * take no PCI lock, only each device's lock, and run one after the other
 * as the init script's insmods do (LANE_LOAD).  So a hot-add scan runs
 * while virtio_net's probe is still registering its net devices (recorded:
 * with ACPI hotplug the primary is enumerated before the failover master
 * registers).  A driver call on a function excludes any other on it (the
 * device lock): a removal waits for a probe under way.  Function resets
 * (sysfs `reset`: pci_reset_function) hold the device lock too, one after
 * the other (LANE_RESET), beside both.
 */
enum lane_id { LANE_RESCAN, LANE_LOAD, LANE_RESET, NLANES };

struct gpci_lane {
    struct gpci *p;
    struct gpci_op *head, *tail; /* FIFO; head runs */
    struct guest_timer step;     /* continues the head operation */
    bool in_run;
};

/* A serialized operation (scan, removal, module load). */
struct gpci_op {
    enum op_kind kind;
    struct gpci_lane *lane;
    uint8_t bus;
    bool has_port;
    struct hw_pci_addr port;
    sim_time extra;              /* the hotplug driver's own time before the probes */
    bool surprise;
    const struct guest_driver *drv;
    gpci_done_fn done;
    void *ctx;
    int err;
    bool started;
    struct hw_pci_addr todo[16]; /* functions to probe or remove, in order */
    unsigned ntodo, next;
    bool waiting;                /* a driver is probing or removing */
    bool blocked;                /* a function is busy with another lane's driver call */
    gpci_reset_method reset;     /* OP_RESET: the function's reset method */
    void *reset_ctx;
    struct gpci_op *link;
};

struct gpci {
    struct guest *g;
    struct gpci_fn *fns;
    const struct guest_driver *drivers[MAX_DRIVERS];
    unsigned ndrivers;
    struct gpci_lane lanes[NLANES];
    unsigned nports;             /* root ports seen at boot (resource layout) */
    void (*autoload)(struct guest *g, const struct hw_pci_info *info);
    struct {
        char name[16];
        bool used;
    } slots[MAX_SLOTS];
};

/* ---- functions ------------------------------------------------------------------ */

void gpci_addr_name(struct hw_pci_addr a, char *buf, size_t n)
{
    snprintf(buf, n, "0000:%02x:%02x.%u", a.bus, a.slot, a.func);
}

static bool addr_eq(struct hw_pci_addr a, struct hw_pci_addr b)
{
    return a.bus == b.bus && a.slot == b.slot && a.func == b.func;
}

static unsigned addr_key(struct hw_pci_addr a)
{
    return (unsigned)a.bus << 8 | (unsigned)a.slot << 3 | a.func;
}

static struct gpci_fn *fn_find(struct gpci *p, struct hw_pci_addr a)
{
    for (struct gpci_fn *f = p->fns; f; f = f->next)
        if (addr_eq(f->pub.addr, a))
            return f;
    return NULL;
}

struct gpci_dev *gpci_find(struct guest *g, struct hw_pci_addr a)
{
    struct gpci_fn *f = g->pci ? fn_find(g->pci, a) : NULL;
    return f ? &f->pub : NULL;
}

struct gpci_dev *gpci_find_hw(struct guest *g, const struct hw_pcidev *d)
{
    struct hw_pci_info info;
    hw_pci_info(d, &info);
    return gpci_find(g, info.addr);
}

struct hw_pcidev *gpci_hw(struct gpci_dev *pdev)
{
    struct guest *g = pdev->g;
    if (!g->host || pdev->disconnected)
        return NULL;
    return hw_pci_lookup(g->host, pdev->addr);
}

bool gpci_bus_populated(const struct guest *g, uint8_t bus)
{
    for (struct gpci_fn *f = g->pci ? g->pci->fns : NULL; f; f = f->next)
        if (f->pub.addr.bus == bus)
            return true;
    return false;
}

static struct gpci_fn *fn_add(struct gpci *p, const struct hw_pci_info *info)
{
    struct gpci_fn *f = sim_xcalloc(1, sizeof(*f));
    f->pub.g = p->g;
    f->pub.addr = info->addr;
    f->pub.info = *info;
    gpci_addr_name(info->addr, f->pub.name, sizeof(f->pub.name));
    struct gpci_fn **pp = &p->fns;
    while (*pp && addr_key((*pp)->pub.addr) < addr_key(info->addr))
        pp = &(*pp)->next;
    f->next = *pp;
    *pp = f;
    return f;
}

static void fn_del(struct gpci *p, struct gpci_fn *f)
{
    for (struct gpci_fn **pp = &p->fns; *pp; pp = &(*pp)->next) {
        if (*pp == f) {
            *pp = f->next;
            break;
        }
    }
    free(f);
}

/* ---- resources and lines -------------------------------------------------------------- */

static uint32_t mem_window(const struct gpci *p, unsigned bus)
{
    return 0xfea00000u - 0x200000u * p->nports - 0x200000u * bus;
}

static uint32_t pref_window(unsigned bus)
{
    return 0xfec00000u - 0x200000u * bus;
}

static void log_header(struct guest *g, const char *name, const struct hw_pci_info *info)
{
    guest_log(g, "pci %s: [%04x:%04x] type %02x class 0x%04x00", name, info->vendor,
              info->device, info->kind == HW_DEV_ROOT_PORT ? 1 : 0, info->class_code);
}

/* The lines of a function found at boot, with its firmware addresses. */
static void log_boot_function(struct gpci *p, const struct hw_pci_info *info, unsigned port_idx)
{
    char name[16];
    gpci_addr_name(info->addr, name, sizeof(name));
    log_header(p->g, name, info);
    unsigned bus = info->addr.bus;
    uint32_t mem = mem_window(p, bus), pref = pref_window(bus);
    switch (info->kind) {
    case HW_DEV_ROOT_PORT: {
        uint32_t bar = 0xfea00000u - 0x200000u * p->nports + 0x1000u * port_idx;
        guest_log(p->g, "pci %s: BAR 0 [mem 0x%08x-0x%08x]", name, bar, bar + 0xfffu);
        break;
    }
    case HW_DEV_VIRTIO_NET:
        guest_log(p->g, "pci %s: BAR 1 [mem 0x%08x-0x%08x]", name, mem + 0x40000u,
                  mem + 0x40fffu);
        guest_log(p->g, "pci %s: BAR 4 [mem 0x%08x-0x%08x 64bit pref]", name, pref,
                  pref + 0x3fffu);
        guest_log(p->g, "pci %s: ROM [mem 0x%08x-0x%08x pref]", name, mem, mem + 0x3ffffu);
        break;
    case HW_DEV_E1000E:
        guest_log(p->g, "pci %s: BAR 0 [mem 0x%08x-0x%08x]", name, mem, mem + 0x1ffffu);
        guest_log(p->g, "pci %s: BAR 1 [mem 0x%08x-0x%08x]", name, mem + 0x20000u,
                  mem + 0x3ffffu);
        guest_log(p->g, "pci %s: BAR 2 [io  0x%04x-0x%04x]", name, 0x1000u * bus,
                  0x1000u * bus + 0x1fu);
        guest_log(p->g, "pci %s: BAR 3 [mem 0x%08x-0x%08x]", name, mem + 0x40000u,
                  mem + 0x43fffu);
        break;
    case HW_DEV_OTHER:
    case HW_DEV_VFIO:
        break;
    }
}

/* The lines of a hot-added function: BARs unassigned, then assigned. */
static void log_hotplug_function(struct gpci *p, const struct hw_pci_info *info)
{
    char name[16];
    gpci_addr_name(info->addr, name, sizeof(name));
    log_header(p->g, name, info);
    unsigned bus = info->addr.bus;
    uint32_t mem = mem_window(p, bus), pref = pref_window(bus);
    switch (info->kind) {
    case HW_DEV_E1000E:
        guest_log(p->g, "pci %s: BAR 0 [mem 0x00000000-0x0001ffff]", name);
        guest_log(p->g, "pci %s: BAR 1 [mem 0x00000000-0x0001ffff]", name);
        guest_log(p->g, "pci %s: BAR 2 [io  0x0000-0x001f]", name);
        guest_log(p->g, "pci %s: BAR 3 [mem 0x00000000-0x00003fff]", name);
        guest_log(p->g, "pci %s: BAR 0 [mem 0x%08x-0x%08x]: assigned", name, mem,
                  mem + 0x1ffffu);
        guest_log(p->g, "pci %s: BAR 1 [mem 0x%08x-0x%08x]: assigned", name, mem + 0x20000u,
                  mem + 0x3ffffu);
        guest_log(p->g, "pci %s: BAR 3 [mem 0x%08x-0x%08x]: assigned", name, mem + 0x40000u,
                  mem + 0x43fffu);
        guest_log(p->g, "pci %s: BAR 2 [io  0x%04x-0x%04x]: assigned", name, 0x1000u * bus,
                  0x1000u * bus + 0x1fu);
        break;
    case HW_DEV_VIRTIO_NET:
        guest_log(p->g, "pci %s: BAR 1 [mem 0x00000000-0x00000fff]", name);
        guest_log(p->g, "pci %s: BAR 4 [mem 0x00000000-0x00003fff 64bit pref]", name);
        guest_log(p->g, "pci %s: BAR 1 [mem 0x%08x-0x%08x]: assigned", name, mem,
                  mem + 0xfffu);
        guest_log(p->g, "pci %s: BAR 4 [mem 0x%08x-0x%08x 64bit pref]: assigned", name, pref,
                  pref + 0x3fffu);
        break;
    case HW_DEV_ROOT_PORT:
    case HW_DEV_OTHER:
    case HW_DEV_VFIO:
        break;
    }
}

static void log_bridge(struct gpci *p, const char *drv, struct hw_pci_addr port, unsigned bus,
                       bool io)
{
    char name[16];
    gpci_addr_name(port, name, sizeof(name));
    uint32_t mem = mem_window(p, bus), pref = pref_window(bus);
    guest_log(p->g, "%s %s: PCI bridge to [bus %02x]", drv, name, bus);
    if (io)
        guest_log(p->g, "%s %s:   bridge window [io  0x%04x-0x%04x]", drv, name, 0x1000u * bus,
                  0x1000u * bus + 0xfffu);
    guest_log(p->g, "%s %s:   bridge window [mem 0x%08x-0x%08x]", drv, name, mem,
              mem + 0x1fffffu);
    guest_log(p->g, "%s %s:   bridge window [mem 0x%08x-0x%08x 64bit pref]", drv, name, pref,
              pref + 0x1fffffu);
}

/* ---- boot enumeration ------------------------------------------------------------------ */

struct boot_ctx {
    struct gpci *p;
    struct hw_port *ports[32];
    unsigned nports;
    uint8_t bus; /* the bus being listed */
};

static int collect_port(void *ctx, struct hw_port *port)
{
    struct boot_ctx *b = ctx;
    if (b->nports < SIM_ARRAY_SIZE(b->ports))
        b->ports[b->nports++] = port;
    return 0;
}

static int add_on_bus(void *ctx, struct hw_pcidev *d)
{
    struct boot_ctx *b = ctx;
    struct hw_pci_info info;
    hw_pci_info(d, &info);
    if (info.addr.bus != b->bus || fn_find(b->p, info.addr))
        return 0;
    unsigned idx = 0;
    for (unsigned i = 0; i < b->nports; i++)
        if (addr_eq(hw_port_addr(b->ports[i]), info.addr))
            idx = i;
    fn_add(b->p, &info);
    log_boot_function(b->p, &info, idx);
    return 0;
}

void gpci_boot_scan(struct guest *g, void (*bus_hook)(void *ctx, struct hw_port *p), void *ctx)
{
    struct gpci *p = g->pci;
    struct boot_ctx b = { .p = p };
    hw_for_each_port(g->host, collect_port, &b);
    p->nports = b.nports;
    /* q35's own functions, which hw.h does not list: the host bridge first,
     * the ICH9 LPC, AHCI and SMBus functions at 00:1f after the rest of bus 0
     * (as recorded, with -nodefaults too) */
    guest_log(g, "pci 0000:00:00.0: [8086:29c0] type 00 class 0x060000");
    b.bus = 0;
    hw_for_each_pci(g->host, add_on_bus, &b);
    uint32_t ahci = 0xfea00000u - 0x200000u * p->nports + 0x1000u * p->nports;
    guest_log(g, "pci 0000:00:1f.0: [8086:2918] type 00 class 0x060100");
    guest_log(g, "pci 0000:00:1f.0: quirk: [io  0x0600-0x067f] claimed by ICH6 ACPI/GPIO/TCO");
    guest_log(g, "pci 0000:00:1f.2: [8086:2922] type 00 class 0x010601");
    guest_log(g, "pci 0000:00:1f.2: BAR 4 [io  0xc040-0xc05f]");
    guest_log(g, "pci 0000:00:1f.2: BAR 5 [mem 0x%08x-0x%08x]", ahci, ahci + 0xfffu);
    guest_log(g, "pci 0000:00:1f.3: [8086:2930] type 00 class 0x0c0500");
    guest_log(g, "pci 0000:00:1f.3: BAR 4 [io  0x0700-0x073f]");
    for (unsigned i = 0; i < b.nports; i++) {
        if (bus_hook)
            bus_hook(ctx, b.ports[i]);
        b.bus = hw_port_secondary_bus(b.ports[i]);
        hw_for_each_pci(g->host, add_on_bus, &b);
        log_bridge(p, "pci", hw_port_addr(b.ports[i]), b.bus, false);
    }
}

/* ---- the serializer -------------------------------------------------------------------- */

static void lane_run(struct gpci_lane *l);

static void step_fire(struct guest *g, struct guest_timer *t)
{
    (void)g;
    lane_run(SIM_CONTAINER_OF(t, struct gpci_lane, step));
}

static void lane_kick(struct gpci_lane *l)
{
    if (l->head && !l->in_run && !guest_timer_pending(&l->step))
        guest_timer_arm(&l->step, 0);
}

static void op_queue(struct gpci *p, enum lane_id lane, struct gpci_op *op)
{
    struct gpci_lane *l = &p->lanes[lane];
    op->lane = l;
    if (l->tail)
        l->tail->link = op;
    else
        l->head = op;
    l->tail = op;
    if (l->head == op)
        lane_kick(l);
}

static const struct guest_driver *driver_for(struct gpci *p, const struct hw_pci_info *info)
{
    for (unsigned i = 0; i < p->ndrivers; i++)
        if (p->drivers[i]->match(p->g, info))
            return p->drivers[i];
    return NULL;
}

struct scan_ctx {
    struct gpci *p;
    struct gpci_op *op;
};

static int scan_new(void *ctx, struct hw_pcidev *d)
{
    struct scan_ctx *s = ctx;
    struct hw_pci_info info;
    hw_pci_info(d, &info);
    if (info.addr.bus != s->op->bus || info.addr.slot != 0 || fn_find(s->p, info.addr))
        return 0;
    fn_add(s->p, &info);
    log_hotplug_function(s->p, &info);
    if (s->op->ntodo < SIM_ARRAY_SIZE(s->op->todo))
        s->op->todo[s->op->ntodo++] = info.addr;
    return 0;
}

/* Start the operation at the head: find its functions, print, maybe wait. */
static bool op_start(struct gpci *p, struct gpci_op *op)
{
    op->started = true;
    switch (op->kind) {
    case OP_SCAN: {
        struct hw_pci_addr f0 = { .bus = op->bus, .slot = 0, .func = 0 };
        if (fn_find(p, f0)) {
            op->err = -EEXIST; /* already there (configured by a previous event) */
            return false;
        }
        struct scan_ctx s = { .p = p, .op = op };
        if (p->g->host)
            hw_for_each_pci(p->g->host, scan_new, &s);
        if (op->ntodo == 0) {
            op->err = -ENODEV;
            return false;
        }
        if (op->has_port)
            log_bridge(p, "pcieport", op->port, op->bus, true);
        guest_timer_arm(&op->lane->step, (p->g->cold ? ENUM_COST_COLD : ENUM_COST) + op->extra);
        return true; /* resources are being assigned */
    }
    case OP_REMOVE:
        /* last function first */
        for (struct gpci_fn *f = p->fns; f; f = f->next)
            if (f->pub.addr.bus == op->bus && op->ntodo < SIM_ARRAY_SIZE(op->todo)) {
                memmove(op->todo + 1, op->todo, op->ntodo * sizeof(op->todo[0]));
                op->todo[0] = f->pub.addr;
                op->ntodo++;
            }
        return false;
    case OP_RESET:
        /* todo[0] is the function: gone by now, nothing to reset */
        if (!fn_find(p, op->todo[0]))
            op->err = -ENODEV;
        return false;
    case OP_LOAD:
        for (struct gpci_fn *f = op->drv ? p->fns : NULL; f; f = f->next)
            if (!f->pub.drv && op->drv->match(p->g, &f->pub.info) &&
                op->ntodo < SIM_ARRAY_SIZE(op->todo))
                op->todo[op->ntodo++] = f->pub.addr;
        return false;
    }
    SIM_ASSERT(!"unhandled operation");
    return false;
}

/* Probe or remove the next function; true when the operation waits (a
 * driver is still busy, or another lane's driver call holds the function). */
static bool op_next(struct gpci *p, struct gpci_op *op)
{
    op->blocked = false;
    while (op->next < op->ntodo) {
        struct gpci_fn *f = fn_find(p, op->todo[op->next]);
        if (f && f->busy && f->busy != op) {
            if (op->kind == OP_REMOVE || op->kind == OP_RESET) {
                op->blocked = true; /* device_lock: the probe under way ends first */
                return true;
            }
            op->next++; /* being removed: nothing to bind */
            continue;
        }
        op->next++;
        if (!f)
            continue;
        if (op->kind == OP_RESET) {
            /* pci_dev_lock, then the reset method; the lock is let go when it ends */
            op->waiting = true;
            f->busy = op;
            int r = op->reset(op->reset_ctx, &f->pub);
            if (r == GPCI_ASYNC)
                return true;
            op->waiting = false;
            f->busy = NULL;
            op->err = r;
            continue;
        }
        if (op->kind == OP_REMOVE) {
            if (!f->pub.drv) {
                fn_del(p, f);
                continue;
            }
            op->waiting = true;
            f->busy = op;
            /* IMP: G-79 unbind (driver remove -> netdev unregister), then remove */
            int r = f->pub.drv->remove(p->g, &f->pub, op->surprise);
            if (r == GPCI_ASYNC)
                return true;
            op->waiting = false;
            fn_del(p, f);
            continue;
        }
        const struct guest_driver *drv = op->kind == OP_LOAD ? op->drv : driver_for(p, &f->pub.info);
        if (!drv && op->kind == OP_SCAN && p->autoload)
            p->autoload(p->g, &f->pub.info); /* loads later, after this scan */
        if (!drv || f->pub.drv)
            continue;
        f->pub.drv = drv;
        op->waiting = true;
        f->busy = op;
        int r = drv->probe(p->g, &f->pub);
        if (r == GPCI_ASYNC)
            return true;
        op->waiting = false;
        f->busy = NULL;
        if (r < 0) {
            guest_log(p->g, "%s: probe of %s failed with error %d", drv->name, f->pub.name, r);
            f->pub.drv = NULL;
            f->pub.drvdata = NULL;
        }
    }
    return false;
}

static void lane_run(struct gpci_lane *l)
{
    struct gpci *p = l->p;
    if (l->in_run)
        return;
    l->in_run = true;
    while (l->head) {
        struct gpci_op *op = l->head;
        if (op->waiting)
            break;
        if (!op->started && op_start(p, op))
            break;
        if (guest_timer_pending(&l->step))
            break;
        if (op_next(p, op))
            break;
        l->head = op->link;
        if (!l->head)
            l->tail = NULL;
        if (op->kind == OP_SCAN && op->ntodo > 0)
            p->g->cold = false; /* the hot-add path has run on this process now */
        gpci_done_fn done = op->done;
        void *ctx = op->ctx;
        int err = op->err;
        free(op);
        if (done)
            done(ctx, err);
    }
    l->in_run = false;
}

static struct gpci_op *op_new(enum op_kind kind, gpci_done_fn done, void *ctx)
{
    struct gpci_op *op = sim_xcalloc(1, sizeof(*op));
    op->kind = kind;
    op->done = done;
    op->ctx = ctx;
    return op;
}

void gpci_driver_load(struct guest *g, const struct guest_driver *drv, gpci_done_fn done,
                      void *ctx)
{
    struct gpci *p = g->pci;
    SIM_ASSERT(p->ndrivers < MAX_DRIVERS);
    p->drivers[p->ndrivers++] = drv;
    struct gpci_op *op = op_new(OP_LOAD, done, ctx);
    op->drv = drv;
    op_queue(p, LANE_LOAD, op);
}

void gpci_sync(struct guest *g, gpci_done_fn done, void *ctx)
{
    /* a load of no driver: no work */
    op_queue(g->pci, LANE_LOAD, op_new(OP_LOAD, done, ctx));
}

void gpci_scan_bus(struct guest *g, uint8_t bus, const struct hw_pci_addr *port, sim_time extra,
                   gpci_done_fn done, void *ctx)
{
    struct gpci_op *op = op_new(OP_SCAN, done, ctx);
    op->bus = bus;
    op->extra = extra;
    if (port) {
        op->has_port = true;
        op->port = *port;
    }
    op_queue(g->pci, LANE_RESCAN, op);
}

void gpci_remove_bus(struct guest *g, uint8_t bus, bool surprise, gpci_done_fn done, void *ctx)
{
    struct gpci *p = g->pci;
    if (surprise) /* IMP: G-79 pci_walk_bus(pci_dev_set_disconnected), before the lock */
        for (struct gpci_fn *f = p->fns; f; f = f->next)
            if (f->pub.addr.bus == bus)
                f->pub.disconnected = true;
    struct gpci_op *op = op_new(OP_REMOVE, done, ctx);
    op->bus = bus;
    op->surprise = surprise;
    op_queue(p, LANE_RESCAN, op);
}

static void call_ended(struct gpci *p, struct gpci_op *op);

void gpci_reset_function(struct guest *g, struct hw_pci_addr a, gpci_reset_method method,
                         void *method_ctx, gpci_done_fn done, void *ctx)
{
    struct gpci_op *op = op_new(OP_RESET, done, ctx);
    op->todo[0] = a;
    op->ntodo = 1;
    op->reset = method;
    op->reset_ctx = method_ctx;
    op_queue(g->pci, LANE_RESET, op);
}

void gpci_reset_done(struct gpci_dev *pdev, int err)
{
    struct gpci *p = pdev->g->pci;
    struct gpci_fn *f = SIM_CONTAINER_OF(pdev, struct gpci_fn, pub);
    struct gpci_op *op = f->busy;
    SIM_ASSERT(op != NULL && op->waiting && op->kind == OP_RESET);
    f->busy = NULL;
    op->err = err;
    call_ended(p, op);
}

bool gpci_busy(const struct guest *g)
{
    if (!g->pci)
        return false;
    for (int i = 0; i < NLANES; i++)
        if (g->pci->lanes[i].head)
            return true;
    return false;
}

void gpci_for_each(struct guest *g, void (*fn)(void *ctx, struct gpci_dev *pdev), void *ctx)
{
    struct gpci_fn *next;
    for (struct gpci_fn *f = g->pci ? g->pci->fns : NULL; f; f = next) {
        next = f->next;
        fn(ctx, &f->pub);
    }
}

void gpci_set_autoload(struct guest *g, void (*fn)(struct guest *g, const struct hw_pci_info *info))
{
    g->pci->autoload = fn;
}

/* A driver call on f ended: its operation goes on, and an operation of the
 * other lane waiting for the function may run. */
static void call_ended(struct gpci *p, struct gpci_op *op)
{
    op->waiting = false;
    guest_timer_arm(&op->lane->step, 0);
    for (int i = 0; i < NLANES; i++)
        if (p->lanes[i].head && p->lanes[i].head->blocked)
            lane_kick(&p->lanes[i]);
}

void gpci_probe_done(struct gpci_dev *pdev, int err)
{
    struct gpci *p = pdev->g->pci;
    struct gpci_fn *f = SIM_CONTAINER_OF(pdev, struct gpci_fn, pub);
    struct gpci_op *op = f->busy;
    SIM_ASSERT(op != NULL && op->waiting && op->kind != OP_REMOVE);
    f->busy = NULL;
    if (err < 0) {
        guest_log(p->g, "%s: probe of %s failed with error %d", pdev->drv->name, pdev->name,
                  err);
        pdev->drv = NULL;
        pdev->drvdata = NULL;
    }
    call_ended(p, op);
}

void gpci_remove_done(struct gpci_dev *pdev)
{
    struct gpci *p = pdev->g->pci;
    struct gpci_fn *f = SIM_CONTAINER_OF(pdev, struct gpci_fn, pub);
    struct gpci_op *op = f->busy;
    SIM_ASSERT(op != NULL && op->waiting && op->kind == OP_REMOVE);
    fn_del(p, f);
    call_ended(p, op);
}

/* ---- slot names ------------------------------------------------------------------------ */

static bool name_taken(const struct gpci *p, const char *name)
{
    for (unsigned i = 0; i < MAX_SLOTS; i++)
        if (p->slots[i].used && strcmp(p->slots[i].name, name) == 0)
            return true;
    return false;
}

/* make_slot_name */
static void make_name(const struct gpci *p, const char *base, char *out, size_t n)
{
    snprintf(out, n, "%s", base);
    for (unsigned dup = 1; name_taken(p, out); dup++)
        snprintf(out, n, "%s-%u", base, dup);
}

int gpci_slot_register(struct guest *g, const char *base)
{
    struct gpci *p = g->pci;
    for (int i = 0; i < MAX_SLOTS; i++) {
        if (p->slots[i].used)
            continue;
        make_name(p, base, p->slots[i].name, sizeof(p->slots[i].name));
        p->slots[i].used = true;
        return i;
    }
    SIM_ASSERT(!"too many PCI slots");
    return -1;
}

void gpci_slot_rename(struct guest *g, int slot, const char *base)
{
    struct gpci *p = g->pci;
    SIM_ASSERT(slot >= 0 && slot < MAX_SLOTS && p->slots[slot].used);
    if (strcmp(p->slots[slot].name, base) == 0)
        return;
    char name[16];
    make_name(p, base, name, sizeof(name));
    sim_strlcpy(p->slots[slot].name, name, sizeof(p->slots[slot].name));
}

const char *gpci_slot_name(const struct guest *g, int slot)
{
    SIM_ASSERT(slot >= 0 && slot < MAX_SLOTS && g->pci->slots[slot].used);
    return g->pci->slots[slot].name;
}

/* ---- life ------------------------------------------------------------------------------- */

void gpci_init(struct guest *g)
{
    SIM_ASSERT(g->pci == NULL);
    struct gpci *p = sim_xcalloc(1, sizeof(*p));
    p->g = g;
    for (int i = 0; i < NLANES; i++) {
        p->lanes[i].p = p;
        guest_timer_init(&p->lanes[i].step, g, step_fire,
                         i == LANE_RESCAN ? "pci-rescan" : i == LANE_LOAD ? "pci-load" : "pci-reset");
    }
    g->pci = p;
}

void gpci_free(struct guest *g)
{
    struct gpci *p = g->pci;
    if (!p)
        return;
    for (int i = 0; i < NLANES; i++) {
        struct gpci_lane *l = &p->lanes[i];
        guest_timer_cancel(&l->step);
        while (l->head) {
            struct gpci_op *op = l->head;
            l->head = op->link;
            free(op);
        }
    }
    while (p->fns) {
        struct gpci_fn *f = p->fns;
        p->fns = f->next;
        free(f);
    }
    free(p);
    g->pci = NULL;
}
