/*
 * Linux pciehp: the native PCIe hotplug controller of one port
 * (linux-guest.md sections 2.8, 2.9, 3 and 4; rules G-53..G-86).
 *
 * The controller reaches its port through struct pciehp_hw: the slot
 * registers, a config read of the function behind the port, and the PCI
 * core (enumerate / remove the devices below the port).  The linux profile
 * backs it with the host's hw_port_* registers and guest_pci.c; the unit
 * tests back it with a scripted slot, which is how register behaviour QEMU
 * never shows (power faults, an open latch, an untrainable link, no
 * command-completed support) is exercised.
 *
 * Private to sim/ (and the tests that drive the model directly).
 */
#ifndef SIM_PCIEHP_H
#define SIM_PCIEHP_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

struct guest;
struct kclock;
struct pciehp_ctrl;

/* Slot states, in the kernel's numbering (pciehp.h: OFF_STATE 0 ... ON_STATE 5). */
#define PCIEHP_STATES(X)                                                                   \
    X(OFF, "OFF")                 /* powered off, nothing enumerated */                     \
    X(BLINKINGON, "BLINKINGON")   /* will power on after 5 s, power indicator blinking */ \
    X(BLINKINGOFF, "BLINKINGOFF") /* will power off after 5 s */                            \
    X(POWERON, "POWERON")         /* the IRQ thread is enabling the slot */                 \
    X(POWEROFF, "POWEROFF")       /* the IRQ thread is disabling the slot */                \
    X(ON, "ON")                   /* powered, devices enumerated */

enum pciehp_state {
#define X(id, name) PCIEHP_##id,
    PCIEHP_STATES(X)
#undef X
};

const char *pciehp_state_name(enum pciehp_state s);

/* Link Capabilities / Slot Capabilities 2 bits the controller reads. */
#define PCIEHP_LNKCAP_DLLLARC 0x00100000u /* Data Link Layer Link Active Reporting */
#define PCIEHP_SLTCAP2_IBPD 0x00000001u   /* In-Band PD Disable Supported */
#define PCIEHP_SLTCAP_EIP 0x00020000u     /* Electromechanical Interlock Present */
#define PCIEHP_SLTCTL_IBPD_DISABLE 0x4000u

/*
 * Access to one port.  Every function gets the ctx given to pciehp_probe.
 * configure/unconfigure run the PCI core; they finish (at once or later) by
 * calling pciehp_core_done() on the controller.
 */
struct pciehp_hw {
    uint32_t (*sltcap)(void *ctx);
    uint32_t (*sltcap2)(void *ctx);
    uint32_t (*lnkcap)(void *ctx);
    uint16_t (*sltctl)(void *ctx);
    uint16_t (*sltsta)(void *ctx);
    uint16_t (*lnksta)(void *ctx);
    void (*sltctl_write)(void *ctx, uint16_t val);
    void (*sltsta_clear)(void *ctx, uint16_t bits); /* write-1-to-clear */
    /* Function 0 behind the port answers a config read of its vendor ID. */
    bool (*dev_present)(void *ctx);
    /* The secondary bus already holds enumerated devices (probe, G-53). */
    bool (*bus_has_devices)(void *ctx);
    /* pciehp_configure_device: scan the slot, assign resources, bind
     * drivers.  Done with 0, -EEXIST (already there) or -ENODEV. */
    void (*configure)(void *ctx, struct pciehp_ctrl *c);
    /* pciehp_unconfigure_device: unbind and remove every device below the
     * port, marking them disconnected first unless `safe` (G-79). */
    void (*unconfigure)(void *ctx, struct pciehp_ctrl *c, bool safe);
};

struct pciehp_params {
    const char *port;       /* "0000:00:02.0" (log prefix), borrowed */
    const char *slot;       /* slot name, "0-1", borrowed */
    unsigned kernel_major;  /* behaviour that changed between kernels */
    unsigned kernel_minor;
    bool poll;              /* pciehp_poll_mode (G-86) */
    int poll_time;          /* pciehp_poll_time, seconds */
    bool msi;               /* the port signals with MSI (re-read loop, G-59) */
    bool broken_cmd_compl;  /* Command Completed erratum (G-83) */
    uint8_t secondary_bus;  /* the port's secondary bus (log lines) */
    bool ignore_button;     /* "eject never": button presses are not acted on */
    sim_time irq_delay;     /* "eject-delay": latency before the IRQ thread runs */
};

/*
 * Bind pciehp to a port (pciehp_probe): read the capabilities, print the
 * "Slot #N ..." line, set the initial state, clear stale events, power off
 * an empty powered slot, arm notifications and check presence (G-53..G-57).
 * The writes and command waits continue on the controller's thread.
 * `clk` and `hw` are borrowed for the controller's life.
 */
struct pciehp_ctrl *pciehp_probe(struct guest *g, struct kclock *clk,
                                 const struct pciehp_params *p,
                                 const struct pciehp_hw *hw, void *ctx);
void pciehp_free(struct pciehp_ctrl *c);

/* The port raised its hotplug interrupt (MSI/INTx): run pciehp_isr. */
void pciehp_irq(struct pciehp_ctrl *c);

/* The VM runs again: an interrupt raised while it was stopped is delivered
 * now if its event bits are still set and enabled. */
void pciehp_resume(struct pciehp_ctrl *c);

/* The PCI core finished configure/unconfigure. */
void pciehp_core_done(struct pciehp_ctrl *c, int err);

/* A scripted attention-button press seen by the driver (as if its interrupt
 * handler had read ABP); the slot registers are not touched. */
void pciehp_press(struct pciehp_ctrl *c);

/*
 * sysfs "power" writes (G-84, G-85).  Returns -ENODEV at once (with the
 * kernel's log line) when the state does not allow it; otherwise 0, and
 * done(ctx, result) is called when the IRQ thread has handled the request.
 */
int pciehp_sysfs_enable(struct pciehp_ctrl *c, void (*done)(void *ctx, int result), void *ctx);
int pciehp_sysfs_disable(struct pciehp_ctrl *c, void (*done)(void *ctx, int result), void *ctx);

/*
 * The slot's reset method (pciehp_reset_slot), which pci_reset_function
 * uses for a function alone behind the port; the caller holds that
 * function's device lock.  Takes reset_lock for writing (waiting while the
 * IRQ thread handles a disable request or a presence/link change), masks
 * link (and, without a button, presence) notifications, resets the
 * secondary bus (2 ms, then 1 s), clears the changes that caused, unmasks
 * and lets go; then done(ctx, 0).  -EBUSY while a reset is under way.  On
 * kernels before the fix of bug 15 (in the model: before 6.1) the IRQ
 * thread keeps reset_lock while the PCI core (un)binds drivers, so a reset
 * whose caller holds a device lock the core needs never ends.
 */
int pciehp_reset_slot(struct pciehp_ctrl *c, void (*done)(void *ctx, int result), void *ctx);
bool pciehp_resetting(const struct pciehp_ctrl *c);

enum pciehp_state pciehp_state(const struct pciehp_ctrl *c);
const char *pciehp_slot_name(const struct pciehp_ctrl *c);
/* The IRQ thread is running or has work pending. */
bool pciehp_busy(const struct pciehp_ctrl *c);

#endif
