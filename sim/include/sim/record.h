/*
 * Recording a simulated run as a bundle (fosim run --record DIR).
 *
 * The recorder is an observation sink: it writes every observation of VM 0
 * into the file a real setup would have written it to, in that file's real
 * format: <host>.qmp (every QMP line, commands included, one per line as a
 * recording client writes them), <host>-guest.log (console lines with
 * Linux's "[%5lu.%06lu] " stamps), <host>.stderr (QEMU's messages with the
 * `-msg timestamp=on` stamp, so each keeps its time), and one pcap per
 * capture point under the name the traffic model gave it (Ethernet with
 * microsecond stamps for host netdevs, as filter-dump writes them; SLL2 for
 * the guest, as tcpdump -i any -y LINUX_SLL2 does).  manifest.json is
 * written last, atomically; it holds everything needed to read the files
 * back into the very same observations (clock segments of the consoles, the
 * devices and their roles, the guest's interface indexes).  The same
 * scenario and seed give byte-identical bundles.
 */
#ifndef SIM_RECORD_H
#define SIM_RECORD_H

#include "sim/err.h"
#include "sim/run.h"

struct recorder;

/* Create DIR if needed (an existing manifest.json there is removed first,
 * so a half-written recording never looks complete) and attach the
 * recorder to the run's world as a sink.  Call before sim_run_go. */
int record_open(const char *dir, struct sim_run *run, struct recorder **out,
                struct sim_err *err);

/* The manifest under construction: a caller that knows more about the
 * hosts than the models tell (the checker's context: recorded sources,
 * devices with their netdevs and whether QEMU hides them, qtest) fills its
 * hosts, devices, epoch and guest MAC before record_finish, which adds the
 * files and the rest.  Borrowed until record_finish. */
struct bundle;
struct bundle *record_manifest(struct recorder *rec);

/* After the run: close every file, report the first write error if any,
 * write the manifest.  Frees the recorder in every case. */
int record_finish(struct recorder *rec, struct sim_err *err);

/* Give up a recording whose run has no result (bad input found mid-run):
 * close the files and free the recorder without writing the manifest, so
 * the directory never looks like a complete bundle. */
void record_abort(struct recorder *rec);

#endif
