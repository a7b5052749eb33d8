/*
 * What the linux profile (guest_linux.c) shares with its drivers (nic.c):
 * the kernel clock, the random stream for driver timings, and the NIC
 * drivers' entry points the init script and teardown use.
 *
 * Private to sim/.
 */
#ifndef SIM_GUEST_LINUX_H
#define SIM_GUEST_LINUX_H

#include "guest_int.h"
#include "kclock.h"

/* The booted kernel's clock (jiffies, timer wheel). */
struct kclock *glinux_clock(struct guest *g);

/* The "guest/linux" random stream: how long driver steps take. */
struct sim_rng *glinux_rng(struct guest *g);

/* ---- nic.c ------------------------------------------------------------------------- */

/* The module init lines of the driver ("e1000e: Intel(R) PRO/1000 Network
 * Driver" ...), printed when the init script loads it. */
void nic_module_init(struct guest *g, const struct guest_driver *drv);

/* The VF driver the guest uses for a passed-through function: the knob
 * primary-driver (default iavf). */
const char *nic_vf_driver_name(const struct guest *g);

/* Free a bound adapter's memory at teardown, printing nothing. */
void nic_release(struct gpci_dev *pdev);

#endif
