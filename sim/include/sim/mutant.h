/*
 * Mutants: named, deliberate defects of the reference model.
 *
 * Each mutant breaks one rule the way a real implementation could.  They are
 * the negative controls of the conformance suite: run the catalog with a
 * mutant active and some scenario's expectations or some monitor's verdict
 * must fail ("the mutant is killed").  A mutant is active only when the
 * world was created with its bit set (fosim run/conformance --mutant NAME);
 * the reference model is the world with none set.
 *
 * The list is append-only: a mutant's number never changes meaning.
 */
#ifndef SIM_MUTANT_H
#define SIM_MUTANT_H

#include <stdint.h>

#define MUTANTS(X)                                                                        \
    X(SKIP_WAIT_UNPLUG, "skip-wait-unplug",                                               \
      "migration goes setup -> active without waiting for the guest's unplug")            \
    X(EARLY_ACTIVE, "early-active",                                                       \
      "wait-unplug ends at the first poll even though the unplug is still pending")       \
    X(NO_HIDE, "no-hide", "the primary is never hidden: created at once like any device") \
    X(PLUG_BEFORE_NEGOTIATION, "plug-before-negotiation",                                 \
      "the primary is plugged when the standby is realized, before negotiation")          \
    X(NO_REPLUG, "no-replug", "the primary is not plugged back after cancel or failure")  \
    X(NO_CANCEL_GRACE, "no-cancel-grace",                                                 \
      "cancel does not wait for an unplug already under way")                             \
    X(NO_TARGET_NEGOTIATED, "no-target-negotiated",                                       \
      "FAILOVER_NEGOTIATED is not emitted on the target during load")                     \
    X(RESUME_BEFORE_PRIMARY, "resume-before-primary",                                     \
      "the target resumes the VM before its primary is plugged")                          \
    X(PAIR_CURRENT_MAC, "pair-current-mac",                                               \
      "net_failover pairs by the current MAC instead of the permanent MAC")               \
    X(SECOND_STANDBY, "second-standby", "net_failover accepts a second standby")          \
    X(TX_AFTER_UNPLUG, "tx-after-unplug",                                                 \
      "the guest keeps transmitting on the primary after its unplug")                     \
    X(STANDBY_RX_DELIVERED, "standby-rx-delivered",                                       \
      "frames received on the standby reach the master while a primary is registered")    \
    X(NO_BUTTON_DELAY, "no-button-delay", "pciehp acts on the attention button at once")  \
    X(PRESS_NO_CANCEL, "press-no-cancel",                                                 \
      "a second button press within 5 s does not cancel the pending action")                \
    X(CARRIER_NOT_RECOMPUTED, "carrier-not-recomputed",                                   \
      "net_failover does not recompute the master carrier on slave DOWN/CHANGE")         \
    X(RANDOM_MAC_PAIRS, "random-mac-pairs",                                               \
      "a device registered with a random MAC gets a permanent address and pairs")         \
    X(STANDBY_BY_DRIVER, "standby-by-driver",                                             \
      "any virtio_net netdev is taken as the standby, whatever its parent device")        \
    X(NO_LINKWATCH_DELAY, "no-linkwatch-delay",                                           \
      "linkwatch delivers every carrier change at once, without the 1 s batching")        \
    X(SLAVE_MTU_NOT_ALIGNED, "slave-mtu-not-aligned",                                     \
      "net_failover enslaves without setting the slave MTU to the master MTU")            \
    X(NO_RENAME_REOPEN, "no-rename-reopen",                                               \
      "a slave renamed while the master runs is not opened again")                          \
    X(DELETE_ON_PARTIAL_EJECT, "delete-on-partial-eject",                                  \
      "the guest's eject of a partially unplugged primary really deletes it (H-39)")        \
    X(ACPI_NO_PENDING, "acpi-no-pending",                                                  \
      "ACPI unplug requests do not mark the unplug pending (bug 6.13)")                    \
    X(STALE_NOTIFIER, "stale-notifier",                                                    \
      "an unplugged standby keeps its migration notifier (bug 6.7, H-05)")                 \
    X(SECOND_PRIMARY, "second-primary",                                                    \
      "a second primary for one standby is accepted (H-12)")                               \
    X(READD_ON_RENEGOTIATION, "readd-on-renegotiation",                                    \
      "each STANDBY negotiation adds the primary again (bug 6.2, H-21)")                   \
    X(REPLUG_KEEPS_PARTIAL, "replug-keeps-partial",                                        \
      "the replug after a failed migration leaves the primary flagged partial (bug 6.8)")  \
    X(POWER_OFF_NO_WAIT, "power-off-no-wait",                                              \
      "pciehp turns the power indicator off right after power-off, without the 1 s wait")  \
    X(POWER_INDICATOR_STAYS_ON, "power-indicator-stays-on",                                \
      "pciehp powers a removed slot off but leaves its power indicator on")                \
    X(PLUG_WAITS_BUTTON, "plug-waits-button",                                              \
      "pciehp ignores the presence change that comes with a button press while it blinks") \
    X(ACPI_NO_EJECT, "acpi-no-eject",                                                      \
      "acpiphp removes the functions but never evaluates _EJ0 (no eject write)")           \
    X(ACPI_EJECT_BEFORE_REMOVE, "acpi-eject-before-remove",                                \
      "acpiphp writes the eject register before the driver has let go of the device")      \
    X(RESUME_DROPS_IRQ, "resume-drops-irq",                                                \
      "hotplug interrupts raised while the VM was stopped are lost when it runs again")   \
    X(REPLUG_ON_CANCEL, "replug-on-cancel",                                                \
      "migrate_cancel plugs the primary back at once, while the unplug wait still runs (6.9)") \
    X(LOAD_FORCES_STANDBY, "load-forces-standby",                                          \
      "the destination negotiates STANDBY on load whatever the guest negotiated (H-54)")     \
    X(MASTER_MAC_CHANGE, "master-mac-change",                                              \
      "the failover master takes a MAC change (G-14), so the guest's frames leave with it")

enum mutant {
#define X(id, name, desc) MUT_##id,
    MUTANTS(X)
#undef X
    MUT_COUNT
};

struct mutant_info {
    const char *name;
    const char *description;
};

extern const struct mutant_info mutant_table[MUT_COUNT];

/* Look up a mutant by name; returns its number or -1. */
int mutant_lookup(const char *name);

static inline uint64_t mutant_bit(enum mutant m)
{
    return (uint64_t)1 << m;
}

#endif
