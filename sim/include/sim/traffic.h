/*
 * Traffic: the workload, capture points and per-path accounting.
 *
 * Frames come from a pcap file (Ethernet or Linux SLL2, read with libpcap)
 * or a generator (ping, rate/size/direction).  Each frame follows the path
 * the guest model selects at that instant.  Capture points are written as a
 * real setup records them: one pcap per host netdev (QEMU's filter-dump) and
 * one per guest interface set (tcpdump -i any -y LINUX_SLL2 in the guest).
 * Per migration it reports frames delivered and dropped per path with the
 * reason, and the blackout (the longest interval without a delivery, per
 * direction).
 */
#ifndef SIM_TRAFFIC_H
#define SIM_TRAFFIC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/err.h"
#include "sim/frame.h"
#include "sim/obs.h"
#include "sim/scenario.h"

struct sim_world;
struct sim_vm;
struct host;
struct traffic;

/* Always created, even without a traffic block (cfg->present false): the
 * capture points exist whether or not there is a workload.  The workload
 * lines and every "expect traffic" statement of the world's scenario are
 * checked here (positioned errors), and a pcap to replay is read through
 * once, so a bad file stops the run before it starts.  Installs the
 * guest's rx hook. */
struct traffic *traffic_new(struct sim_vm *vm, const struct scn_traffic *cfg,
                            struct sim_err *err);
void traffic_free(struct traffic *t);

/* Schedule the workload (called once the hosts and guest exist). */
void traffic_start(struct traffic *t);

/* A frame left the guest through a device of host h whose netdev is
 * `netdev` (the host calls this for the guest's frames and its own, e.g.
 * announcements); capture points on that netdev see it, the peer may
 * answer.  Frames towards the guest are the traffic model's own: it records
 * them at the netdev's capture point, then calls host_netdev_rx. */
void traffic_netdev_tx(struct traffic *t, struct host *h, const char *qdev_id,
                       const char *netdev, const struct frame *f);

/* A workload's input broke during the run (a replayed pcap that became
 * unreadable after the up-front check).  Returns -1 with the positioned
 * error, else 0.  A run with such a failure has no result: exit 2. */
int traffic_input_failed(const struct traffic *t, struct sim_err *err);

/* Print the per-path and blackout report. */
void traffic_report(const struct traffic *t, FILE *out);

/* ---- Capture points ----------------------------------------------------------
 *
 * Every record of a capture point is an OBS_FRAME observation whose origin
 * is the pcap file a real setup writes and the record's number in it:
 * <host>-<qdev id>.pcap per host netdev (Ethernet, QEMU filter-dump) and
 * <host>-guest.pcap per host the guest ran on (Linux SLL2, tcpdump -i any
 * in the guest); obs_frame.stamp is the stamp that tool writes.  The
 * recorder (fosim run --record) writes them out; doc/traffic.md. */

/* One capture point, for a bundle manifest. */
struct traffic_capture_info {
    enum obs_host host;
    const char *point;  /* QEMU device id, or "guest"; borrowed */
    const char *file;   /* "<host>-<point>.pcap"; borrowed */
    const char *netdev; /* the netdev id, or NULL for the guest capture */
    enum obs_role role; /* role of the device (guest capture: MASTER) */
    int linktype;       /* PCAP_LINK_ETHERNET or PCAP_LINK_SLL2 */
    uint64_t records;   /* records so far */
};
/* Fill up to max entries (in creation order); returns the number of points. */
unsigned traffic_captures(const struct traffic *t, struct traffic_capture_info *out,
                          unsigned max);

/* The blackout of one direction: the longest interval without a delivery
 * (world times).  `open`: it lasted to the end of that direction's traffic;
 * `none`: nothing was delivered at all (then from..to is the window). */
enum traffic_dir { TRAFFIC_OUT, TRAFFIC_IN };
struct traffic_blackout {
    sim_time len, from, to;
    bool open, none;
};
/* Over all traffic (migration 0) or from the start of migration N (1-based)
 * on.  Returns false when there was no migration N. */
bool traffic_blackout(const struct traffic *t, enum traffic_dir d, unsigned migration,
                      struct traffic_blackout *out);

/* Evaluate an "expect traffic ..." statement.  Returns 1 held, 0 failed
 * (with a reason in why), -1 malformed (positioned error). */
int traffic_expect(const struct traffic *t, const struct scn_expect *e, char *why,
                   size_t whylen, struct sim_err *err);

#endif
