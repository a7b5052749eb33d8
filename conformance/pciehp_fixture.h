/*
 * A scripted PCIe slot for the pciehp unit tests: Slot Capabilities,
 * Control and Status, Link Status, a card that can be inserted, pulled or
 * made faulty, and a stand-in for the PCI core that counts enumerations and
 * removals.  By default it behaves as QEMU 7.2's pcie-root-port (attention
 * button, power controller, indicators, interlock, link-active reporting;
 * Command Completed set on every Slot Control write; an MSI when an enabled
 * event bit is set while HPIE is on), so a test changes only what it is
 * about.  The guest runs on no host (its lines are stamped as the source's).
 *
 * Tests include the private headers on purpose: they drive pciehp through
 * its internal contract (sim/pciehp.h).
 */
#ifndef FOSIM_PCIEHP_FIXTURE_H
#define FOSIM_PCIEHP_FIXTURE_H

#include "harness.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sim/guest_int.h"
#include "../sim/kclock.h"
#include "../sim/pciehp.h"
#include "sim/world.h"

#define QEMU_SLTCAP                                                                        \
    (HW_SLTCAP_ABP | HW_SLTCAP_PCP | HW_SLTCAP_AIP | HW_SLTCAP_PIP | HW_SLTCAP_HPS |       \
     HW_SLTCAP_HPC | PCIEHP_SLTCAP_EIP)

struct fslot {
    struct sim_world *w;
    struct guest *g;
    struct kclock clk;
    struct fo_capture cap;
    struct pciehp_ctrl *c;
    struct pciehp_params p;
    /* registers */
    uint32_t sltcap, sltcap2, lnkcap;
    uint16_t sltctl, events;  /* events: Slot Status event bits */
    bool card, link, mrl_open;
    bool training;            /* Link Training stuck */
    bool width0;              /* negotiated width 0 */
    bool no_vendor;           /* the function never answers config reads */
    /* host behaviour */
    sim_time cc_delay;        /* Command Completed this long after a write */
    bool cc_never;            /* ... or never */
    struct sim_event cc_ev;
    bool sticky_pfd;          /* PFD re-asserts as soon as it is cleared */
    uint16_t race_bits;       /* set once, between the driver's read and clear */
    bool power_toggles_link;  /* power off/on drops/raises the link with DLLSC */
    /* the PCI core */
    bool bus_devices;
    int configures, unconfigures;
    bool last_safe;
    sim_time configured_at, unconfigured_at; /* uptime */
    int configure_err;
    sim_time core_delay;      /* the core takes this long (driver probe/remove) */
    struct sim_event core_ev;
    bool core_is_unconfig;
    int writes;               /* Slot Control writes */
    sim_time pi_off_at;       /* uptime of the last write turning PI off */
    int sysfs_result;
    bool sysfs_done;
    /* the device lock of the function behind the port: a driver unbind
     * (unconfigure) waits while someone else holds it */
    bool dev_locked;
    bool unconfig_waiting;    /* an unconfigure waits for the device lock */
    bool reset_done;
    int reset_result;
    sim_time reset_done_at;   /* uptime */
};

static inline sim_time fs_uptime(struct fslot *s)
{
    return guest_uptime(s->g);
}

static inline void fs_notify(struct fslot *s, uint16_t bits)
{
    uint16_t before = s->events;
    s->events |= bits;
    uint16_t en = (uint16_t)(s->sltctl & 0x1f);
    if (s->sltctl & HW_SLTCTL_DLLSCE)
        en |= HW_SLTSTA_DLLSC;
    /* an MSI when the enabled pending events go from none to some while HPIE
     * is on (QEMU's hpev_notified; PCIe r5.0 6.7.3.4: no new MSI while any
     * event bit is still set) */
    if ((s->sltctl & HW_SLTCTL_HPIE) && !(before & en) && (s->events & en) && s->c)
        pciehp_irq(s->c);
}

static inline void fs_cc_fire(struct sim_world *w, struct sim_event *ev)
{
    (void)w;
    struct fslot *s = SIM_CONTAINER_OF(ev, struct fslot, cc_ev);
    fs_notify(s, HW_SLTSTA_CC);
}

static inline uint32_t fs_sltcap(void *ctx) { return ((struct fslot *)ctx)->sltcap; }
static inline uint32_t fs_sltcap2(void *ctx) { return ((struct fslot *)ctx)->sltcap2; }
static inline uint32_t fs_lnkcap(void *ctx) { return ((struct fslot *)ctx)->lnkcap; }
static inline uint16_t fs_sltctl(void *ctx) { return ((struct fslot *)ctx)->sltctl; }

static inline uint16_t fs_sltsta(void *ctx)
{
    struct fslot *s = ctx;
    return (uint16_t)(s->events | (s->card ? HW_SLTSTA_PDS : 0) |
                      (s->mrl_open ? HW_SLTSTA_MRLSS : 0));
}

static inline uint16_t fs_lnksta(void *ctx)
{
    struct fslot *s = ctx;
    uint16_t v = 0;
    if (s->link)
        v |= HW_LNKSTA_DLLLA | (s->width0 ? 0 : 0x0010);
    if (s->training)
        v |= HW_LNKSTA_LT;
    return v;
}

static inline void fs_sltctl_write(void *ctx, uint16_t v)
{
    struct fslot *s = ctx;
    uint16_t old = s->sltctl;
    s->sltctl = v;
    s->writes++;
    if ((v & HW_SLTCTL_PIC) == HW_SLTCTL_PWR_IND_OFF && (old & HW_SLTCTL_PIC) != HW_SLTCTL_PWR_IND_OFF)
        s->pi_off_at = fs_uptime(s);
    if (s->power_toggles_link && (old ^ v) & HW_SLTCTL_PCC) {
        bool on = !(v & HW_SLTCTL_PCC);
        s->link = on && s->card;
        fs_notify(s, HW_SLTSTA_DLLSC);
    }
    if (s->cc_never)
        return;
    if (s->cc_delay == 0)
        fs_notify(s, HW_SLTSTA_CC);
    else
        sim_schedule_in(s->w, &s->cc_ev, s->cc_delay);
}

static inline void fs_sltsta_clear(void *ctx, uint16_t bits)
{
    struct fslot *s = ctx;
    s->events &= (uint16_t)~(bits & HW_SLTSTA_EVENTS);
    if (s->sticky_pfd && (bits & HW_SLTSTA_PFD))
        s->events |= HW_SLTSTA_PFD;
    if (s->race_bits) {
        s->events |= s->race_bits; /* arrived between read and clear: no new MSI */
        s->race_bits = 0;
    }
}

static inline bool fs_dev_present(void *ctx)
{
    struct fslot *s = ctx;
    return s->card && !(s->sltctl & HW_SLTCTL_PCC) && !s->no_vendor;
}

static inline bool fs_bus_has_devices(void *ctx)
{
    return ((struct fslot *)ctx)->bus_devices;
}

static inline void fs_core_fire(struct sim_world *w, struct sim_event *ev)
{
    (void)w;
    struct fslot *s = SIM_CONTAINER_OF(ev, struct fslot, core_ev);
    if (s->core_is_unconfig) {
        s->bus_devices = false;
        s->unconfigured_at = fs_uptime(s);
        pciehp_core_done(s->c, 0);
    } else {
        s->bus_devices = s->configure_err == 0;
        s->configured_at = fs_uptime(s);
        pciehp_core_done(s->c, s->configure_err);
    }
}

static inline void fs_configure(void *ctx, struct pciehp_ctrl *c)
{
    struct fslot *s = ctx;
    (void)c;
    s->configures++;
    s->core_is_unconfig = false;
    if (s->core_delay) {
        sim_schedule_in(s->w, &s->core_ev, s->core_delay);
        return;
    }
    fs_core_fire(s->w, &s->core_ev);
}

static inline void fs_unconfigure(void *ctx, struct pciehp_ctrl *c, bool safe)
{
    struct fslot *s = ctx;
    (void)c;
    s->unconfigures++;
    s->last_safe = safe;
    s->core_is_unconfig = true;
    if (s->dev_locked) { /* device_release_driver: device_lock */
        s->unconfig_waiting = true;
        return;
    }
    if (s->core_delay) {
        sim_schedule_in(s->w, &s->core_ev, s->core_delay);
        return;
    }
    fs_core_fire(s->w, &s->core_ev);
}

static const struct pciehp_hw fs_hw = {
    .sltcap = fs_sltcap,
    .sltcap2 = fs_sltcap2,
    .lnkcap = fs_lnkcap,
    .sltctl = fs_sltctl,
    .sltsta = fs_sltsta,
    .lnksta = fs_lnksta,
    .sltctl_write = fs_sltctl_write,
    .sltsta_clear = fs_sltsta_clear,
    .dev_present = fs_dev_present,
    .bus_has_devices = fs_bus_has_devices,
    .configure = fs_configure,
    .unconfigure = fs_unconfigure,
};

/* A slot as QEMU's root port 00:02.0 ("0-1"), empty and powered off, with a
 * booted linux guest on no host; not probed yet (see fs_probe). */
static inline struct fslot *fs_new_knobs(uint64_t mutants, const char *knobs)
{
    struct fslot *s = calloc(1, sizeof(*s));
    struct sim_world_config cfg = { .seed = 1, .mutants = mutants };
    s->w = sim_world_new(&cfg);
    sim_world_add_vms(s->w, 1);
    sim_world_add_sink(s->w, fo_capture_sink, &s->cap);
    char text[512];
    snprintf(text, sizeof(text), "host source\n-M q35\nend\nguest linux\n%send\n",
             knobs ? knobs : "");
    struct scenario *scn;
    struct sim_err err;
    if (scn_parse_string("pciehp.fos", text, &scn, &err) != 0)
        fail_msg("%s", err.msg);
    s->g = guest_new(&s->w->vms[0], &scn->guest, &err);
    scn_free(scn);
    if (!s->g)
        fail_msg("%s", err.msg);
    s->g->booted = true;
    s->g->running = true;
    s->g->boot_at = 0;
    struct sim_rng r;
    sim_rng_init(&r, 7, "kclock");
    kclock_init(&s->clk, &r);
    sim_event_init(&s->cc_ev, fs_cc_fire, "fake-cc");
    sim_event_init(&s->core_ev, fs_core_fire, "fake-core");
    s->sltcap = QEMU_SLTCAP;
    s->lnkcap = PCIEHP_LNKCAP_DLLLARC;
    s->sltctl = HW_SLTCTL_PCC | HW_SLTCTL_PWR_IND_OFF | HW_SLTCTL_ATTN_IND_OFF;
    s->p = (struct pciehp_params){
        .port = "0000:00:02.0", .slot = "0-1", .kernel_major = s->g->cfg.kernel_major,
        .kernel_minor = s->g->cfg.kernel_minor, .poll = s->g->cfg.pciehp_poll,
        .poll_time = s->g->cfg.pciehp_poll_time, .msi = true, .secondary_bus = 2,
        .ignore_button = !s->g->cfg.eject, .irq_delay = s->g->cfg.eject_delay,
    };
    return s;
}

static inline struct fslot *fs_new(void)
{
    return fs_new_knobs(0, NULL);
}

static inline void fs_probe(struct fslot *s)
{
    s->c = pciehp_probe(s->g, &s->clk, &s->p, &fs_hw, s);
}

static inline void fs_free(struct fslot *s)
{
    pciehp_free(s->c);
    sim_cancel(s->w, &s->cc_ev);
    sim_cancel(s->w, &s->core_ev);
    guest_free(s->g);
    sim_world_free(s->w);
    fo_capture_free(&s->cap);
    free(s);
}

/* Run until uptime t (the guest booted at world time 0 and never stops). */
static inline void fs_run(struct fslot *s, sim_time t)
{
    sim_run_until(s->w, t);
}

/* QEMU's hot-plug: card in, link up, PDC|ABP in one go (pcie_cap_slot_plug_cb). */
static inline void fs_plug(struct fslot *s)
{
    s->card = true;
    s->link = true;
    fs_notify(s, HW_SLTSTA_PDC | HW_SLTSTA_ABP);
}

/* QEMU's unplug request: the attention button (pcie_cap_slot_unplug_request_cb). */
static inline void fs_press(struct fslot *s)
{
    fs_notify(s, HW_SLTSTA_ABP);
}

/* The card is pulled without notice. */
static inline void fs_pull(struct fslot *s)
{
    s->card = false;
    s->link = false;
    fs_notify(s, HW_SLTSTA_PDC | HW_SLTSTA_DLLSC);
}

static inline long fs_log(struct fslot *s, const char *text)
{
    return fo_find(&s->cap, 0, OBS_KLOG, OBS_SOURCE, text, NULL);
}

static inline size_t fs_count(struct fslot *s, const char *text)
{
    return fo_count(&s->cap, OBS_KLOG, OBS_SOURCE, text, NULL);
}

/* Uptime stamp of the first console line containing text (or -1). */
static inline sim_time fs_log_at(struct fslot *s, const char *text)
{
    long i = fs_log(s, text);
    return i < 0 ? -1 : s->cap.v[i].o.u.klog.uptime;
}

/* The holder of the device lock lets go: a waiting unbind goes on. */
static inline void fs_dev_unlock(struct fslot *s)
{
    s->dev_locked = false;
    if (!s->unconfig_waiting)
        return;
    s->unconfig_waiting = false;
    sim_schedule_in(s->w, &s->core_ev, s->core_delay);
}

/* A reset's caller: done, then it lets go of the device lock it held. */
static inline void fs_reset_done(void *ctx, int result)
{
    struct fslot *s = ctx;
    s->reset_done = true;
    s->reset_result = result;
    s->reset_done_at = fs_uptime(s);
    fs_dev_unlock(s);
}

static inline void fs_sysfs_done(void *ctx, int result)
{
    struct fslot *s = ctx;
    s->sysfs_done = true;
    s->sysfs_result = result;
}

#endif
