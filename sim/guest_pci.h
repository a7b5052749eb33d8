/*
 * The linux guest's PCI core (guest_pci.c): what drivers/pci does for the
 * failover story.  It enumerates the functions the host lets the guest see,
 * prints the enumeration lines Linux prints, keeps the functions the guest
 * knows (struct gpci_dev of guest_int.h), binds loaded drivers to them and
 * removes them again.  Scans and removals run one at a time, as
 * pci_lock_rescan_remove() serializes them; module loads run one at a time
 * beside them (insmod takes no PCI lock); a driver's probe and removal of
 * the same function exclude each other (the device lock).  Each operation
 * finishes (possibly much later: driver probes take guest time) by calling
 * its completion.
 *
 * It also keeps the names of PCI slots (drivers/pci/slot.c), which pciehp
 * and acpiphp print ("Slot(0-1)", "Slot [0-2]").
 *
 * Private to sim/ (and tests that drive the model directly).
 */
#ifndef SIM_GUEST_PCI_H
#define SIM_GUEST_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_int.h"

/* Completion of a serialized PCI operation: 0 or a negative errno. */
typedef void (*gpci_done_fn)(void *ctx, int err);

/* Create / free g->pci. */
void gpci_init(struct guest *g);
void gpci_free(struct guest *g);

/*
 * The PCI enumeration of boot (pci_scan_root_bus): every function the host
 * shows, bus 0 first, then each root port's bus.  `bus_hook` (may be NULL)
 * runs before a root port's secondary bus is scanned (ACPI hotplug
 * registers its slots there).  No driver is bound: none is loaded yet.
 */
void gpci_boot_scan(struct guest *g, void (*bus_hook)(void *ctx, struct hw_port *p), void *ctx);

/* insmod: the driver binds to every matching unbound function, one after
 * the other; done(ctx, 0) when all probes finished. */
void gpci_driver_load(struct guest *g, const struct guest_driver *drv, gpci_done_fn done,
                      void *ctx);

/* Completes (done(ctx, 0)) once every module load queued before it has
 * (the init script's last insmod returns when its probes are done). */
void gpci_sync(struct guest *g, gpci_done_fn done, void *ctx);

/*
 * Hot-add (pciehp_configure_device, acpiphp enable_slot): scan function 0..7
 * of slot 0 on `bus`, print the enumeration lines, assign resources (with
 * the bridge lines of `port` when given: native hotplug prints them, ACPI
 * does not), then, `extra` later than the PCI core's own time (what the
 * hotplug driver does in between), bind drivers.  done: 0, -EEXIST
 * (function 0 already there) or -ENODEV (nothing new found).
 */
void gpci_scan_bus(struct guest *g, uint8_t bus, const struct hw_pci_addr *port, sim_time extra,
                   gpci_done_fn done, void *ctx);

/* Hot-remove every function on `bus`, last first (pci_stop_and_remove_bus_device).
 * A surprise removal marks them disconnected before anything else. */
void gpci_remove_bus(struct guest *g, uint8_t bus, bool surprise, gpci_done_fn done, void *ctx);

/*
 * A function reset (sysfs `reset`, pci_reset_function): queued beside scans
 * and removals (resets run one at a time); it takes the function's device
 * lock -- waiting for a probe or removal under way, and making a removal
 * wait -- then runs `method` (the reset the function has: pciehp's slot
 * reset, a parent bus reset), which returns 0 or -errno when done at once,
 * or GPCI_ASYNC and calls gpci_reset_done() later.  done(ctx, result):
 * -ENODEV if the function was gone.
 */
typedef int (*gpci_reset_method)(void *ctx, struct gpci_dev *pdev);
void gpci_reset_function(struct guest *g, struct hw_pci_addr a, gpci_reset_method method,
                         void *method_ctx, gpci_done_fn done, void *ctx);
void gpci_reset_done(struct gpci_dev *pdev, int err);

/* The guest knows a function on `bus` (the bus is populated). */
bool gpci_bus_populated(const struct guest *g, uint8_t bus);

/* The function the guest knows at the host function's address, or NULL. */
struct gpci_dev *gpci_find_hw(struct guest *g, const struct hw_pcidev *d);
struct gpci_dev *gpci_find(struct guest *g, struct hw_pci_addr a);

/* "0000:02:00.0" */
void gpci_addr_name(struct hw_pci_addr a, char *buf, size_t n);

/* A PCI operation is queued or running. */
bool gpci_busy(const struct guest *g);

/* Visit every function the guest knows, in address order. */
void gpci_for_each(struct guest *g, void (*fn)(void *ctx, struct gpci_dev *pdev), void *ctx);

/* Called when a hot-added function finds no loaded driver (udev's module
 * autoload: the profile may load one; it binds after the scan). */
void gpci_set_autoload(struct guest *g, void (*fn)(struct guest *g, const struct hw_pci_info *info));

/* ---- slot names (drivers/pci/slot.c) ---------------------------------------------- */

/*
 * pci_create_slot's naming: `base` if free, else "base-1", "base-2", ... the
 * first name no other slot has.  Returns the slot's handle; its name is
 * gpci_slot_name().  gpci_slot_rename() is rename_slot(): a slot renamed to
 * another base gets the first free name of that base, its own current name
 * counting as taken (how acpiphp's slots end up "0", "0-2", "0-3" ...).
 */
int gpci_slot_register(struct guest *g, const char *base);
void gpci_slot_rename(struct guest *g, int slot, const char *base);
const char *gpci_slot_name(const struct guest *g, int slot);

#endif
