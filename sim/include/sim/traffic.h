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
 * capture points exist whether or not there is a workload. */
struct traffic *traffic_new(struct sim_vm *vm, const struct scn_traffic *cfg,
                            struct sim_err *err);
void traffic_free(struct traffic *t);

/* Schedule the workload (called once the hosts and guest exist). */
void traffic_start(struct traffic *t);

/* A frame left the guest through a device of host h whose netdev is
 * `netdev`; capture points on that netdev see it, the peer may answer. */
void traffic_netdev_tx(struct traffic *t, struct host *h, const char *qdev_id,
                       const char *netdev, const struct frame *f);

/* Print the per-path and blackout report. */
void traffic_report(const struct traffic *t, FILE *out);

/* Evaluate an "expect traffic ..." statement.  Returns 1 held, 0 failed
 * (with a reason in why), -1 malformed (positioned error). */
int traffic_expect(const struct traffic *t, const struct scn_expect *e, char *why,
                   size_t whylen, struct sim_err *err);

#endif
