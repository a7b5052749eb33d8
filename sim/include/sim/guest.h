/*
 * The guest: the VM's operating system (linux-guest.md, rules G-01..G-86).
 *
 * Profiles:
 *   linux  Linux 6.1-like: virtio_net with STANDBY, net_failover, pciehp,
 *          acpiphp, the NIC drivers, and their console lines word for word;
 *          knobs select behaviour that differs between kernels or setups.
 *   qtest  QEMU's qtest driver: does nothing on its own; scenario actions
 *          ("at 3s guest negotiate standby0", "guest eject primary0") drive
 *          feature negotiation and ejects, as tests/qtest/virtio-net-failover.c.
 *   none   no guest at all (a VM sitting in firmware).
 *
 * The guest runs on one host at a time; at the migration's switchover it
 * moves to the target (guest_migrate).  While its host's VM is stopped it
 * makes no progress: its timers are suspended and resumed.
 */
#ifndef SIM_GUEST_H
#define SIM_GUEST_H

#include <stdbool.h>

#include "sim/err.h"
#include "sim/frame.h"
#include "sim/scenario.h"

struct sim_world;
struct sim_vm;
struct host;
struct guest;

/* Build the guest from the scenario's guest block (knobs are validated
 * here, with their positions). */
struct guest *guest_new(struct sim_vm *vm, const struct scn_guest *cfg,
                        struct sim_err *err);
void guest_free(struct guest *g);

/* Power on: the guest starts booting on host h at the current time. */
void guest_boot(struct guest *g, struct host *h);

/* The VM stopped (paused, or switchover) / continued on its current host. */
void guest_vm_stop(struct guest *g);
void guest_vm_cont(struct guest *g);

/* The VM's state moved to `to` (called before guest_vm_cont on the target).
 * Device handles are re-resolved by address on the new host. */
void guest_migrate(struct guest *g, struct host *to);

/* A scripted action from the scenario ("negotiate standby0", "eject
 * primary0", ...).  Returns -1 with a positioned error if the action is not
 * valid for this profile. */
int guest_action(struct guest *g, const struct scn_action *a, struct sim_err *err);

/* Check a scripted action before the run starts (same errors as
 * guest_action, nothing done). */
int guest_action_check(const struct guest *g, const struct scn_action *a, struct sim_err *err);

/* Uptime as the guest's console stamps it (guest virtual time since boot). */
sim_time guest_uptime(const struct guest *g);

/* ---- Datapath, for the traffic model --------------------------------------------- */

/* The guest stack sends a frame out of its default interface (the failover
 * master when one exists).  Returns why it was dropped, or
 * FRAME_DROP_NONE; `*via` gets the role of the slave it left through. */
enum frame_drop guest_xmit(struct guest *g, const struct frame *f, enum obs_role *via);

/* The traffic model is told of every frame the guest stack accepted (so
 * the workload can count and answer), and (optional `drop`) of every frame
 * a guest device received that the stack did not get, with the reason (e.g.
 * FRAME_DROP_STANDBY_RX_WITH_PRIMARY, G-45); installed by traffic_new. */
struct guest_rx_hook {
    void (*fn)(void *ctx, const struct frame *f, enum obs_role via);
    void (*drop)(void *ctx, const struct frame *f, enum obs_role via, enum frame_drop why);
    void *ctx;
};
void guest_set_rx_hook(struct guest *g, struct guest_rx_hook hook);

/* Guest interfaces for captures inside the guest: index, name, role. */
struct guest_ifinfo {
    int ifindex;
    char name[16];
    enum obs_role role;
    bool up;
    bool carrier;
};
unsigned guest_interfaces(const struct guest *g, struct guest_ifinfo *out, unsigned max);

#endif
