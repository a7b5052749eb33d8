/*
 * Hiding checks shared by the source (HIDE-001, HIDE-002) and the
 * destination (MIGD-009, MIGD-002) monitors (private to spec/).
 */
#ifndef FOSIM_HIDE_H
#define FOSIM_HIDE_H

#include "monitor.h"

/* query-pci of `host` lists no primary that QEMU hides at that moment. */
void hide_qpci_obs(struct mon *m, const struct obs *o, enum obs_host host);

/* State of the "appears only after negotiation" check. */
struct hide_seen {
    struct ck_rec neg[VIEW_MAX_DEVS];     /* first FAILOVER_NEGOTIATED per standby */
    struct ck_rec pending[VIEW_MAX_DEVS]; /* a primary's first sight waiting for it */
};

/* A primary appears in the guest on `host` only after its standby's
 * FAILOVER_NEGOTIATED there (state: struct hide_seen). */
void hide_seen_obs(struct mon *m, const struct obs *o, enum obs_host host);
void hide_seen_end(struct mon *m, enum obs_host host);

#endif
