/*
 * Linux acpiphp: ACPI PCI hotplug of the linux guest, against QEMU's
 * acpi-pcihp (q35's default hotplug of devices behind root ports).
 *
 * QEMU's GPE handler (AML) reads, per bus selector, the `up` and `down`
 * slot bitmaps and notifies the slot: BUS_CHECK for `up` (acpiphp scans the
 * slot and binds drivers), EJECT_REQUEST for `down` (acpiphp removes the
 * functions, then evaluates _EJ0, which writes the eject register).  Each
 * notification is one ACPI hotplug work item, handled in order under the
 * PCI rescan lock.  acpiphp prints nothing at eject or re-add (FINDINGS.md
 * section 4.b); only its version line and one "Slot [N] registered" per
 * hotplug bus at boot.
 *
 * Private to sim/.
 */
#ifndef SIM_ACPIPHP_H
#define SIM_ACPIPHP_H

#include <stdbool.h>

#include "sim/time.h"

struct guest;
struct hw_port;
struct acpiphp;

/* Load the driver: "acpiphp: ACPI Hot Plug PCI Controller Driver version: 0.5".
 * `ignore_eject` ("eject never") leaves eject requests unanswered; `delay`
 * ("eject-delay") is added to the GPE handling latency. */
struct acpiphp *acpiphp_init(struct guest *g, bool ignore_eject, sim_time delay);
void acpiphp_free(struct acpiphp *a);

/* The PCI core is about to scan the bus behind root port p (boot): register
 * its hotplug slot (after the ACPI pci_slot driver named it). */
void acpiphp_add_bus(struct acpiphp *a, struct hw_port *p);

/* The PCI hotplug GPE fired (or was latched while the VM was stopped). */
void acpiphp_gpe(struct acpiphp *a);

/* Hotplug work is pending or running. */
bool acpiphp_busy(const struct acpiphp *a);

#endif
