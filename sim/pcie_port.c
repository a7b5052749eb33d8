/*
 * pcie-root-port: the PCI Express slot of a root port, as QEMU 7.2's
 * hw/pci/pcie.c implements it (native hotplug).
 *
 * Slot Capabilities: attention button, power controller, indicators, hot
 * plug surprise and capable, electromechanical interlock, physical slot
 * number; no "no command completed" (QEMU completes every Slot Control write
 * at once and sets Command Completed).  Events are latched in Slot Status;
 * the port interrupts when HPIE is set and an event bit is set together
 * with its enable bit (hotplug_event_update_event_status), on the rising
 * edge of that condition.  QEMU raises no DLLSC events.  With ACPI hotplug
 * (q35's default) the port does not advertise hotplug capability at all
 * (QEMU 6.1's "do not set HPC flag if acpihp is used").
 */
#include <stdio.h>
#include <string.h>

#include "host_int.h"
#include "sim/mutant.h"

#define SLTCAP_EIP 0x00020000u /* electromechanical interlock present */
#define EV_SUPPORTED (HW_SLTSTA_ABP | HW_SLTSTA_PDC | HW_SLTSTA_CC)
#define SLOT_EVENTS                                                                  \
    (HW_SLTSTA_ABP | HW_SLTSTA_PFD | HW_SLTSTA_MRLSC | HW_SLTSTA_PDC | HW_SLTSTA_CC)
#define LNKSTA_LINK (0x0004u | (32u << 4)) /* 16 GT/s x32: QEMU's root port default */

static struct hw_pcidev *child(const struct hw_port *p)
{
    struct host *h = p->dev->h;
    for (struct hw_pcidev *d = h->devs; d; d = d->next)
        if (d->parent == p->dev && (d->devfn & 7) == 0)
            return d;
    return NULL;
}

static bool powered_off(uint16_t sltctl)
{
    return (sltctl & HW_SLTCTL_PCC) && (sltctl & HW_SLTCTL_PIC) == HW_SLTCTL_PWR_IND_OFF;
}

void port_init(struct hw_pcidev *d)
{
    struct hw_port *p = d->port;
    if (!d->h->native_hotplug || !p->hotplug) {
        p->sltcap = (uint32_t)p->psn << HW_SLTCAP_PSN_SHIFT;
    } else {
        p->sltcap = (uint32_t)p->psn << HW_SLTCAP_PSN_SHIFT | SLTCAP_EIP | HW_SLTCAP_HPS |
                    HW_SLTCAP_HPC | HW_SLTCAP_PIP | HW_SLTCAP_AIP | HW_SLTCAP_ABP |
                    HW_SLTCAP_PCP;
    }
    p->sltctl = HW_SLTCTL_PWR_IND_OFF | HW_SLTCTL_ATTN_IND_OFF;
    p->sltsta = 0;
    p->lnksta = 0;
}

bool port_powered(const struct hw_port *p)
{
    if (!(p->sltcap & HW_SLTCAP_PCP))
        return true;
    return !(p->sltctl & HW_SLTCTL_PCC);
}

static void update_status(struct hw_port *p)
{
    bool prev = p->hpev_notified;
    p->hpev_notified = (p->sltctl & HW_SLTCTL_HPIE) && (p->sltsta & p->sltctl & EV_SUPPORTED);
    if (!prev && p->hpev_notified)
        host_notify_slot(p->dev->h, p);
}

/* pcie_cap_slot_event: latch the event; interrupt if it was new. */
static void slot_event(struct hw_port *p, uint16_t ev)
{
    uint16_t old = p->sltsta;
    p->sltsta |= ev;
    if ((old & ev) == ev)
        return;
    update_status(p);
}

static void emit_regs(struct hw_port *p, const char *why)
{
    char to[64];
    snprintf(to, sizeof(to), "sltctl=%04x sltsta=%04x", p->sltctl, p->sltsta);
    char ent[80];
    snprintf(ent, sizeof(ent), "slot %s", p->dev->id ? p->dev->id : "?");
    sim_emit_state(p->dev->h->vm, p->dev->h->id, ent, "-", to, why);
}

/* Machine reset (pcie_cap_slot_reset): a populated slot is powered with
 * its power indicator on; an empty one is off. */
void port_reset(struct hw_port *p)
{
    if (p->sltcap & HW_SLTCAP_PCP) {
        bool populated = child(p) != NULL;
        if (populated)
            p->sltctl &= (uint16_t)~HW_SLTCTL_PCC;
        else
            p->sltctl |= HW_SLTCTL_PCC;
        p->sltctl = (uint16_t)((p->sltctl & ~HW_SLTCTL_PIC) |
                               (populated ? HW_SLTCTL_PWR_IND_ON : HW_SLTCTL_PWR_IND_OFF));
    }
    if (child(p)) { /* cold-plugged: present, link active, no event */
        p->sltsta |= HW_SLTSTA_PDS;
        p->lnksta = HW_LNKSTA_DLLLA | LNKSTA_LINK;
    }
    p->sltsta &= (uint16_t) ~(HW_SLTSTA_EIS | HW_SLTSTA_CC | HW_SLTSTA_PDC | HW_SLTSTA_ABP);
    p->hpev_notified = false;
}

/* pcie_cap_slot_plug_cb for a hot-plugged function 0. */
void port_plug(struct hw_port *p, struct hw_pcidev *d)
{
    if (d->devfn & 7)
        return;
    p->sltsta |= HW_SLTSTA_PDS;
    p->lnksta = HW_LNKSTA_DLLLA | LNKSTA_LINK;
    slot_event(p, HW_SLTSTA_PDC | HW_SLTSTA_ABP);
    emit_regs(p, "plug");
}

/* pcie_unplug_device for every function, then the slot is empty. */
static void do_unplug(struct hw_port *p)
{
    struct host *h = p->dev->h;
    for (;;) {
        struct hw_pcidev *c = NULL;
        for (struct hw_pcidev *d = h->devs; d; d = d->next)
            if (d->parent == p->dev && !(d->partially_hotplugged && !d->pending_deleted_event))
                c = d;
        if (!c)
            break;
        if (c->partially_hotplugged && !host_mut(h, MUT_DELETE_ON_PARTIAL_EJECT)) {
            c->pending_deleted_event = false; /* IMP: H-39 */
            sim_emit_state(h->vm, h->id, "qdev", c->id ? c->id : "?", "partially-unplugged",
                           "slot powered off");
            continue;
        }
        c->partially_hotplugged = false;
        qdev_unplug_done(c);
    }
    p->sltsta &= (uint16_t)~HW_SLTSTA_PDS;
    p->lnksta &= (uint16_t)~HW_LNKSTA_DLLLA;
    p->sltsta |= HW_SLTSTA_PDC;
}

int port_unplug_request(struct hw_port *p, struct hw_pcidev *d, char *err, size_t errlen)
{
    if (!(p->sltcap & HW_SLTCAP_HPC)) {
        snprintf(err, errlen, "Hot-unplug failed: unsupported by the port device '%s'",
                 p->dev->id ? p->dev->id : "");
        return -1;
    }
    if (p->sltsta & HW_SLTSTA_EIS) {
        snprintf(err, errlen, "slot is electromechanically locked");
        return -1;
    }
    if ((p->sltctl & HW_SLTCTL_PIC) == HW_SLTCTL_PWR_IND_BLINK) { /* IMP: H-35 */
        snprintf(err, errlen, "Hot-unplug failed: guest is busy (power indicator blinking)");
        return -1;
    }
    struct host *h = d->h;
    d->pending_deleted_event = true;
    d->pending_deleted_expires = h->w->now + SIM_S(5); /* IMP: H-60 */
    if (powered_off(p->sltctl)) {
        /* the slot is off: unplug without a round trip to the guest */
        do_unplug(p);
        update_status(p);
        p->sltsta &= (uint16_t)~HW_SLTSTA_ABP;
        emit_regs(p, "unplug (slot off)");
        return 0;
    }
    slot_event(p, HW_SLTSTA_ABP); /* pcie_cap_slot_push_attention_button */
    emit_regs(p, "attention button");
    return 0;
}

void hw_port_sltctl_write(struct hw_port *p, uint16_t val)
{
    uint16_t old = p->sltctl;
    /* writable: enables, indicators, power controller; EIC toggles EIS */
    const uint16_t rw = HW_SLTCTL_ABPE | HW_SLTCTL_PFDE | HW_SLTCTL_MRLSCE | HW_SLTCTL_PDCE |
                        HW_SLTCTL_CCIE | HW_SLTCTL_HPIE | HW_SLTCTL_AIC | HW_SLTCTL_PIC |
                        HW_SLTCTL_PCC | HW_SLTCTL_DLLSCE;
    p->sltctl = (uint16_t)((old & ~rw) | (val & rw));
    if (val & HW_SLTCTL_EIC)
        p->sltsta ^= HW_SLTSTA_EIS;
    /* IMP: H-39: unplug when the power controller and the power indicator
     * go off (not when they already were) */
    if ((p->sltsta & HW_SLTSTA_PDS) && powered_off(val) && !powered_off(old))
        do_unplug(p);
    update_status(p);
    slot_event(p, HW_SLTSTA_CC); /* command completed, at once */
    emit_regs(p, "slot control write");
}

void hw_port_sltsta_clear(struct hw_port *p, uint16_t bits)
{
    uint16_t old = p->sltsta;
    p->sltsta &= (uint16_t) ~(bits & HW_SLTSTA_EVENTS);
    /* QEMU reverts a write that clears events which were not set */
    if (bits & ~old & SLOT_EVENTS)
        p->sltsta = (uint16_t)((p->sltsta & ~SLOT_EVENTS) | (old & SLOT_EVENTS));
    p->hpev_notified = (p->sltctl & HW_SLTCTL_HPIE) && (p->sltsta & p->sltctl & EV_SUPPORTED);
}

void port_load(struct hw_port *p, const struct hw_port *from)
{
    p->sltctl = from->sltctl;
    /* presence is the target's own; latched events travel with config space */
    uint16_t pds = p->sltsta & HW_SLTSTA_PDS;
    p->sltsta = (uint16_t)((from->sltsta & ~HW_SLTSTA_PDS) | pds);
    p->hpev_notified = from->hpev_notified;
}

/* ---- sim/hw.h accessors --------------------------------------------------------------- */

struct hw_pci_addr hw_port_addr(const struct hw_port *p)
{
    return (struct hw_pci_addr){ .bus = 0, .slot = (uint8_t)(p->dev->devfn >> 3),
                                 .func = (uint8_t)(p->dev->devfn & 7) };
}

uint8_t hw_port_secondary_bus(const struct hw_port *p)
{
    return p->secbus;
}

bool hw_port_native_hotplug(const struct hw_port *p)
{
    return (p->sltcap & HW_SLTCAP_HPC) != 0;
}

uint32_t hw_port_sltcap(const struct hw_port *p)
{
    return p->sltcap;
}

uint16_t hw_port_sltctl(const struct hw_port *p)
{
    return p->sltctl;
}

uint16_t hw_port_sltsta(const struct hw_port *p)
{
    return p->sltsta;
}

uint16_t hw_port_lnksta(const struct hw_port *p)
{
    return p->lnksta;
}

void hw_for_each_port(struct host *h, int (*fn)(void *ctx, struct hw_port *p), void *ctx)
{
    for (unsigned devfn = 0; devfn < 256; devfn++)
        for (struct hw_pcidev *d = h->devs; d; d = d->next)
            if (!d->parent && d->devfn == devfn && d->port) {
                if (fn(ctx, d->port))
                    return;
                break;
            }
}

struct hw_port *hw_port_lookup(struct host *h, struct hw_pci_addr a)
{
    if (a.bus != 0)
        return NULL;
    for (struct hw_pcidev *d = h->devs; d; d = d->next)
        if (!d->parent && d->port && d->devfn == (a.slot << 3 | a.func))
            return d->port;
    return NULL;
}
