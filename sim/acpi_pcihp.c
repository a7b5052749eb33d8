/*
 * q35's ACPI PCI hotplug (QEMU 7.2 hw/acpi/pcihp.c), the default hotplug of
 * devices behind pcie-root-ports since QEMU 6.1.
 *
 * Each hotplug-capable bus has a bus selector (bsel; here the bus number the
 * guest assigns) and two slot bitmaps: `up` (a device was plugged: the
 * guest should scan) and `down` (QEMU asks the guest to eject).  A change
 * raises the PCI hotplug GPE.  The guest reads the bitmaps (q35 clears `up`
 * on read) and ejects by writing a slot bitmap to the eject register; a
 * partially hotplugged failover primary is then not removed, only its
 * pending_deleted_event cleared (6.13).
 */
#include <stdio.h>
#include <string.h>

#include "host_int.h"
#include "sim/mutant.h"

#define ACPI_BSELS 256 /* bus selectors: the bus numbers */

/* The bitmaps of selector bsel (< ACPI_BSELS), made when first written. */
static struct acpi_bsel *bsel_at(struct host *h, unsigned bsel)
{
    if (bsel >= h->nacpi) {
        unsigned n = bsel + 1;
        h->acpi = sim_xrealloc(h->acpi, n * sizeof(*h->acpi));
        memset(h->acpi + h->nacpi, 0, (n - h->nacpi) * sizeof(*h->acpi));
        h->nacpi = n;
    }
    return &h->acpi[bsel];
}

void acpi_pcihp_plug(struct host *h, struct hw_pcidev *d)
{
    if (!d->hotplugged || !d->parent)
        return;
    unsigned bsel = qdev_bus(d);
    bsel_at(h, bsel)->up |= 1u << (d->devfn >> 3);
    host_notify_acpi(h);
}

int acpi_pcihp_unplug_request(struct host *h, struct hw_pcidev *d, char *err, size_t errlen)
{
    if (!d->parent) {
        snprintf(err, errlen,
                 "Unsupported bus. Bus doesn't have property 'acpi-pcihp-bsel' set");
        return -1;
    }
    unsigned bsel = qdev_bus(d);
    /* IMP: 6.13: the request marks the unplug as pending */
    if (!host_mut(h, MUT_ACPI_NO_PENDING))
        d->pending_deleted_event = true;
    d->pending_deleted_expires = h->w->now; /* IMP: H-60: expired at once */
    bsel_at(h, bsel)->down |= 1u << (d->devfn >> 3);
    host_notify_acpi(h);
    return 0;
}

bool hw_acpi_hotplug(struct host *h)
{
    return !h->native_hotplug;
}

void hw_acpi_pcihp_status(struct host *h, unsigned bsel, uint32_t *up, uint32_t *down)
{
    if (bsel >= ACPI_BSELS || bsel >= h->nacpi) {
        *up = *down = 0;
        return;
    }
    *up = h->acpi[bsel].up;
    *down = h->acpi[bsel].down;
    h->acpi[bsel].up = 0; /* q35 (not legacy piix): up clears on read */
}

void hw_acpi_pcihp_eject(struct host *h, unsigned bsel, uint32_t slots)
{
    if (bsel >= ACPI_BSELS)
        return;
    for (unsigned slot = 0; slot < 32; slot++) {
        if (!(slots & (1u << slot)))
            continue;
        if (bsel < h->nacpi) {
            h->acpi[bsel].up &= ~(1u << slot);
            h->acpi[bsel].down &= ~(1u << slot);
        }
        for (;;) {
            struct hw_pcidev *c = NULL;
            for (struct hw_pcidev *d = h->devs; d; d = d->next)
                if (d->parent && qdev_bus(d) == bsel && (d->devfn >> 3) == slot &&
                    !(d->partially_hotplugged && !d->pending_deleted_event))
                    c = d;
            if (!c)
                break;
            if (c->partially_hotplugged && !host_mut(h, MUT_DELETE_ON_PARTIAL_EJECT)) {
                c->pending_deleted_event = false; /* IMP: H-39 */
                sim_emit_state(h->vm, h->id, "qdev", c->id ? c->id : "?",
                               "partially-unplugged", "acpi eject");
                continue;
            }
            c->partially_hotplugged = false;
            qdev_unplug_done(c);
        }
    }
}
