/*
 * A host: one QEMU process with its device tree, its QMP monitor and its
 * migration state, as qemu-host.md describes (rules H-01..H-60).
 *
 * The host is built from the scenario's QEMU arguments (-M, -m, -global,
 * -device, -netdev, -object filter-dump, -incoming, -S).  It answers QMP
 * commands (the command and its reply are observations), emits QMP events,
 * prints QEMU's warnings on stderr, and exposes the virtual hardware to the
 * guest through sim/hw.h.
 */
#ifndef SIM_HOST_H
#define SIM_HOST_H

#include <stdbool.h>

#include "sim/err.h"
#include "sim/hw.h"
#include "sim/obs.h"
#include "sim/scenario.h"

struct sim_world;
struct sim_vm;
struct host;

/* Build the host from its scenario block.  Errors name the argument's
 * position.  The host is not yet started: see host_start(). */
struct host *host_new(struct sim_vm *vm, const struct scn_host *cfg,
                      struct sim_err *err);
void host_free(struct host *h);

/* Start the QEMU process at the current time: realize the devices, print
 * the start-up warnings, emit the QMP greeting. */
void host_start(struct host *h);

enum obs_host host_id(const struct host *h);
struct sim_world *host_world(const struct host *h);
struct sim_vm *host_vm(const struct host *h);

/* Execute a QMP command (one JSON object as text) at the current time.  The
 * command and the reply appear on the observation stream; `label` (may be
 * NULL) names the action for expectations. */
void host_qmp(struct host *h, const char *json, const char *label);

/* The same command given as the object a client built: the stream shows it
 * as json_dumps(cmd, dump_flags), and the host executes the object itself
 * (what it would parse that text back to). */
void host_qmp_json(struct host *h, struct json_t *cmd, size_t dump_flags, const char *label);

/* The guest OS now runs on this host (at boot, or at the migration's
 * switchover on the target); NULL detaches it. */
void host_attach_guest(struct host *h, const struct hw_guest_ops *ops, void *guest);

/* Run state as QEMU reports it ("running", "paused", "inmigrate",
 * "postmigrate", "finish-migrate", "shutdown"). */
const char *host_runstate(const struct host *h);
bool host_vm_running(const struct host *h);

/* Visibility of a device to the guest, for "expect device": true when the
 * device exists in the qdev tree and is not hidden or partially unplugged. */
bool host_device_visible(const struct host *h, const char *qdev_id);
/* The device exists in QEMU's device tree (query-pci lists it). */
bool host_device_exists(const struct host *h, const char *qdev_id);

/* Migration state of this host as QEMU's MigrationStatus string. */
const char *host_migration_status(const struct host *h);

/* The MAC address the guest will pair on: of the failover standbys and of
 * every NIC, for traffic and for the checker's context.  Fills up to max
 * entries; returns the count. */
struct host_nic_info {
    const char *qdev_id;     /* borrowed; NULL for a device created without id */
    const char *netdev;      /* netdev id, or NULL */
    enum obs_role role;      /* STANDBY for failover=on virtio-net, PRIMARY for
                                a device with failover_pair_id, else OTHER */
    const char *pair;        /* failover_pair_id, or the standby's own id */
    bool has_mac;
    uint8_t mac[6];
};
unsigned host_nics(const struct host *h, struct host_nic_info *out, unsigned max);
/* The first NIC of that list with this qdev id (unless NULL) and this netdev
 * (unless NULL), without building the list; false if none (or both NULL). */
bool host_nic_find(const struct host *h, const char *qdev_id, const char *netdev,
                   struct host_nic_info *out);

/* True when the scenario asked for native PCIe hotplug on this host. */
bool host_native_hotplug(const struct host *h);

/* The peer of netdev `netdev` (slirp, a tap's far side, the network) sends a
 * frame towards the guest.  The host delivers it to the device using that
 * netdev (if the device is visible and the VM runs) and returns why it did
 * not arrive, or FRAME_DROP_NONE.  Capture points on the netdev see it. */
enum frame_drop host_netdev_rx(struct host *h, const char *netdev, const struct frame *f);

#endif
