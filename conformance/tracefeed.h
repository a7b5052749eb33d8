/*
 * Hand-built observation sequences for the checker's tests.
 *
 * A trace is text, one record per line, decoded by the same decoders the
 * simulator and the readers use (obs_decode_qmp, klog_classify,
 * obs_decode_frame):
 *
 *   TIME HOST event NAME [DATA-JSON]     QMP event, stamped TIME
 *   TIME HOST cmd JSON                   QMP command as a client sent it
 *   TIME HOST reply JSON                 QMP reply ({"return": ...} / {"error": ...})
 *   TIME HOST greet                      QMP greeting
 *   TIME HOST con TEXT                   guest console line (uptime = TIME)
 *   TIME HOST err TEXT                   a line QEMU printed on stderr
 *   TIME HOST frame POINT ROLE DIR SRC DST ETHERTYPE [FLOW]
 *                                        a frame: POINT a device id or "guest",
 *                                        ROLE primary|standby|master|unknown,
 *                                        DIR out (from the guest) | in
 *   TIME HOST end [truncated]            END of the input
 *   # comment, blank lines
 *
 * Records of a source the context does not give are not fed (a reader would
 * not have them).
 * TIME is seconds after the trace epoch (2025-11-25T12:00:00Z), HOST S or T.
 * Records are fed in time order (a stable sort: lines of equal time keep the
 * order they are written in).
 * Records get origins as a recorded bundle names them ("source.qmp" line N,
 * "target-guest.log", "source.stderr", "POINT.pcap" record N).
 */
#ifndef FOSIM_TRACEFEED_H
#define FOSIM_TRACEFEED_H

#include <stdbool.h>

#include "check.h"

#define TF_EPOCH ((sim_time)1764072000 * 1000000000)

/* A context with both hosts, every source, native hotplug, and on each host
 * standby0 (hs0) and primary0 (hs1, pairs with standby0, hidden at start),
 * both with MAC 52:54:00:11:11:11. */
void tf_ctx_default(struct check_ctx *ctx);

/* Remove a source from a host (or from both when h < 0). */
void tf_ctx_drop(struct check_ctx *ctx, int h, enum spec_source s);

/* Context tweaks shared by the monitor tables (struct tf_case's ctx): ACPI
 * PCI hotplug on both hosts; primary0 on neither command line (the trace
 * adds it); no QMP commands recorded on either host. */
void tf_ctx_acpi(struct check_ctx *ctx);
void tf_ctx_primary_added(struct check_ctx *ctx);
void tf_ctx_no_commands(struct check_ctx *ctx);

/*
 * Feed `trace` to a new engine and finish it.  `permute` reorders records
 * that have the same time but come from different files (a tie a merge may
 * break either way); 0 keeps the text order.  Fails the test (cmocka) on a
 * malformed trace line.  The caller frees the engine.
 */
struct check *tf_check(const struct check_ctx *ctx, const char *trace, unsigned permute);

/* One case of a monitor table: the assertion, the verdict it must reach,
 * what the case shows, a context tweak (or NULL), and the trace. */
struct tf_case {
    const char *id;
    enum check_verdict want;
    const char *what;
    void (*ctx)(struct check_ctx *ctx);
    const char *trace;
};

/* Run every case of `cases` for assertion `id` (and check that reordering
 * same-time records of different files changes no verdict).  Fails the
 * test if a case reaches another verdict, or if `id` has no case. */
void tf_run_cases(const struct tf_case *cases, size_t n, const char *id);

/* Run one case: fails the test if the verdict differs.  Returns the
 * engine (the caller frees it) for further inspection. */
struct check *tf_run_case(const struct tf_case *c);

#endif
