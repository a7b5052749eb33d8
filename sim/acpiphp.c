/*
 * Linux acpiphp against QEMU's acpi-pcihp (see acpiphp.h).
 *
 * Slot names: for every hotplug bus the ACPI pci_slot driver first names
 * the slot after its _SUN (0) with make_slot_name ("0", "0-1", ...), then
 * acpiphp registers the hotplug slot and renames it to "0" again, which
 * make_slot_name turns into the first free name, its own counting as taken
 * (acpi_pci_add_bus: acpi_pci_slot_enumerate, then acpiphp_enumerate_slots;
 * pci_create_slot -> rename_slot).  Hence the recorded "Slot [0]" and
 * "Slot [0-2]" for two root ports.
 *
 * Timing: the GPE is handled 5 ms after it is raised (SCI, AML, notify
 * work; recorded: the primary's first enumeration line 4.7 ms after
 * FAILOVER_NEGOTIATED), plus the knob eject-delay; QEMU's wait-unplug then
 * sees the eject at its next 250 ms poll, as recorded (+0.25 s).  On a
 * target's first hot-add (guest.cold: the AML interpreter and the hotplug
 * code run for the first time in that QEMU process) the GPE takes 49 ms
 * more and the bus check 40 ms more between the enumeration lines and the
 * probe than native hotplug's (recorded: the first line 66 ms after RESUME,
 * the probe 64-82 ms after it, where native hotplug's takes 28-47 ms).
 */
#include "acpiphp.h"

#include <stdlib.h>

#include "guest_int.h"
#include "guest_pci.h"
#include "sim/mutant.h"
#include "sim/world.h"

#define GPE_LATENCY SIM_MS(5)
#define GPE_COLD SIM_MS(49)        /* more on a target's first hot-add */
#define BUS_CHECK_COLD SIM_MS(40)  /* enable_slot's AML after the scan, idem */
#define MAX_BUSES 32

struct acpiphp {
    struct guest *g;
    bool ignore_eject;
    sim_time delay;
    unsigned bsel[MAX_BUSES]; /* hotplug buses: the bus number is the selector */
    unsigned nbuses;
    struct guest_timer gpe;
    unsigned outstanding;     /* hotplug works queued on the PCI core */
};

/* One eject: the functions are gone, evaluate _EJ0. */
struct eject_work {
    struct acpiphp *a;
    unsigned bsel;
    unsigned slot;
};

static void work_done(void *ctx, int err)
{
    (void)err; /* an empty or already-known slot is not an error here */
    struct acpiphp *a = ctx;
    SIM_ASSERT(a->outstanding > 0);
    a->outstanding--;
}

static void eject_done(void *ctx, int err)
{
    (void)err;
    struct eject_work *w = ctx;
    struct acpiphp *a = w->a;
    if (a->g->host && !sim_mutant(a->g->w, MUT_ACPI_NO_EJECT))
        hw_acpi_pcihp_eject(a->g->host, w->bsel, 1u << w->slot);
    free(w);
    work_done(a, 0);
}

static void gpe_fire(struct guest *g, struct guest_timer *t)
{
    struct acpiphp *a = SIM_CONTAINER_OF(t, struct acpiphp, gpe);
    if (!g->host)
        return;
    for (unsigned i = 0; i < a->nbuses; i++) {
        uint32_t up, down;
        hw_acpi_pcihp_status(g->host, a->bsel[i], &up, &down);
        for (unsigned slot = 0; slot < 32; slot++) {
            /* PCNT: Notify(Sxx, 1) for up (bus check: scan and bind) */
            if (up & (1u << slot)) {
                a->outstanding++;
                gpci_scan_bus(g, (uint8_t)a->bsel[i], NULL, g->cold ? BUS_CHECK_COLD : 0,
                              work_done, a);
            }
        }
        for (unsigned slot = 0; slot < 32; slot++) {
            /* then Notify(Sxx, 3) for down: remove the functions, then _EJ0 */
            if (!(down & (1u << slot)))
                continue;
            /* IMP: knob eject never: the request stays unanswered */
            if (a->ignore_eject)
                continue;
            if (sim_mutant(g->w, MUT_ACPI_EJECT_BEFORE_REMOVE))
                hw_acpi_pcihp_eject(g->host, a->bsel[i], 1u << slot);
            struct eject_work *w = sim_xcalloc(1, sizeof(*w));
            *w = (struct eject_work){ .a = a, .bsel = a->bsel[i], .slot = slot };
            a->outstanding++;
            gpci_remove_bus(g, (uint8_t)a->bsel[i], false, eject_done, w);
        }
    }
}

struct acpiphp *acpiphp_init(struct guest *g, bool ignore_eject, sim_time delay)
{
    struct acpiphp *a = sim_xcalloc(1, sizeof(*a));
    a->g = g;
    a->ignore_eject = ignore_eject;
    a->delay = delay;
    guest_timer_init(&a->gpe, g, gpe_fire, "acpiphp-gpe");
    guest_log(g, "acpiphp: ACPI Hot Plug PCI Controller Driver version: 0.5");
    return a;
}

void acpiphp_free(struct acpiphp *a)
{
    if (!a)
        return;
    guest_timer_cancel(&a->gpe);
    free(a);
}

void acpiphp_add_bus(struct acpiphp *a, struct hw_port *p)
{
    if (a->nbuses == MAX_BUSES)
        return;
    a->bsel[a->nbuses++] = hw_port_secondary_bus(p);
    int slot = gpci_slot_register(a->g, "0"); /* the ACPI pci_slot driver (_SUN 0) */
    gpci_slot_rename(a->g, slot, "0");        /* acpiphp's pci_hp_register */
    guest_log(a->g, "acpiphp: Slot [%s] registered", gpci_slot_name(a->g, slot));
}

void acpiphp_gpe(struct acpiphp *a)
{
    if (guest_timer_pending(&a->gpe))
        return;
    /* IMP: knob eject-delay: a slow guest handles the GPE late */
    guest_timer_arm(&a->gpe, GPE_LATENCY + (a->g->cold ? GPE_COLD : 0) + a->delay);
}

bool acpiphp_busy(const struct acpiphp *a)
{
    return guest_timer_pending(&a->gpe) || a->outstanding > 0;
}
