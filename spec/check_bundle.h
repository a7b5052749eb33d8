/*
 * Between a bundle's description (sim/bundle.h) and the checker's context
 * (spec/check.h): see spec/check_bundle.c.  The counterpart of
 * check_ctx_from_run (spec/check_sim.c) for recorded runs.
 */
#ifndef FOSIM_CHECK_BUNDLE_H
#define FOSIM_CHECK_BUNDLE_H

#include "check.h"
#include "sim/bundle.h"

/* Alignment assumed for a filter-dump capture without a manifest clock:
 * its stamps are QEMU's virtual clock on the wall-clock second QEMU
 * started in, measured 0.2-0.9 s before the host clock in unpaused runs
 * (doc/bundle.md); every pause of the VM adds to it. */
#define BUNDLE_PCAP_TOLERANCE SIM_MS(1500)

/* Fill ctx for checking bundle b (after bundle_prepare); `name` names it. */
void check_ctx_from_bundle(struct check_ctx *ctx, const struct bundle *b, const char *name);

/* Describe the hosts of ctx in b (a recording's manifest). */
void check_ctx_to_bundle(struct bundle *b, const struct check_ctx *ctx);

/* Open, prepare and check the bundle in dir, as `fosim check DIR` does:
 * the finished check (the caller frees it), or NULL with why in err. */
struct check *check_bundle_dir(const char *dir, struct sim_err *err);

#endif
