/*
 * A network frame in flight through the model.
 *
 * Frames are values passed down a call chain (guest stack -> net_failover ->
 * slave driver -> device -> host netdev -> peer); every pointer is borrowed
 * for the duration of the call.  `flow` identifies a frame across capture
 * points (the same ping request seen in the guest and on the host netdev),
 * and `born` is when the workload created it, for latency and blackout.
 */
#ifndef SIM_FRAME_H
#define SIM_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

struct frame {
    const uint8_t *data; /* Ethernet frame, borrowed */
    uint32_t len;        /* original length */
    uint32_t caplen;     /* bytes available in data (<= len) */
    uint64_t flow;       /* workload key: same value at every capture point */
    sim_time born;       /* world time the workload created it */
};

/* Why a frame did not reach its destination. */
#define FRAME_DROPS(X)                                                              \
    X(NONE, "delivered")                                                            \
    X(NO_READY_SLAVE, "no-ready-slave")       /* failover TX: neither slave ready */ \
    X(STANDBY_RX_WITH_PRIMARY, "standby-rx-while-primary") /* G-45 EXACT drop */    \
    X(NO_CARRIER, "no-carrier")               /* interface without carrier */       \
    X(DEVICE_GONE, "device-gone")             /* device unplugged or hidden */      \
    X(VM_STOPPED, "vm-stopped")               /* VM paused or migrating */          \
    X(NO_PEER, "no-peer")                     /* netdev without a peer/backend */   \
    X(NO_ROUTE, "no-route")                   /* no interface for it in the guest */\
    X(LINK_DOWN, "link-down")                                                       \
    X(NO_DRIVER, "no-driver")  /* reached a guest function no driver receives on */

enum frame_drop {
#define X(id, name) FRAME_DROP_##id,
    FRAME_DROPS(X)
#undef X
    FRAME_NDROPS
};

const char *frame_drop_name(enum frame_drop d);

#endif
