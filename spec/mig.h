/*
 * A migration as the monitors follow it on one host's QMP log (private to
 * spec/): its status, where it started, which primaries it asked the guest
 * to unplug.  A monitor embeds a struct mig in its state, reads it (the
 * state before the record), and calls mig_track() last in its obs().
 */
#ifndef FOSIM_MIG_H
#define FOSIM_MIG_H

#include <stdint.h>

#include "monitor.h"

struct mig {
    enum obs_host host;
    char status[24];        /* status of the latest MIGRATION event, "" before */
    char prev[24];          /* the one before it */
    unsigned count;         /* migrations started (setup events) */
    uint64_t unplug;        /* view device bits with UNPLUG_PRIMARY in this one */
    struct ck_rec setup;    /* its setup event */
    struct ck_rec entered;  /* the event that entered the current status */
    struct ck_rec wu;       /* the event that entered wait-unplug (if it did) */
    bool waited;            /* it went through wait-unplug */
};

void mig_init(struct mig *g, enum obs_host host);
/* Update from a record of g->host (other records are ignored). */
void mig_track(struct mig *g, struct check *c, const struct obs *o);

static inline bool mig_bit(uint64_t set, unsigned k)
{
    return k < 64 && (set >> k) & 1;
}

#endif
