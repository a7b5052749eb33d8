/*
 * The report formats (private to spec/): text, TAP 14 and JUnit XML, and
 * what they share.  The public entry point is check_report() in check.h.
 */
#ifndef FOSIM_REPORT_H
#define FOSIM_REPORT_H

#include <stdio.h>

#include "check.h"

void report_text(const struct check *c, const struct check_report_opts *opts, FILE *out);
void report_tap(const struct check *c, const struct check_report_opts *opts, FILE *out);
void report_junit(const struct check *c, const struct check_report_opts *opts, FILE *out);

/* The time reports show relative times against (the run's epoch, else the
 * first record), or SIM_TIME_NONE when nothing was seen. */
sim_time report_t0(const struct check *c);

/* "source: config qmp console; target: qmp" */
size_t report_sources(char *buf, size_t n, const struct check *c);

/* "source qmp source.qmp:57" / "target guest target-guest.log:12" /
 * "source pcap primary0.pcap:1200 (record)" */
size_t report_evidence_where(char *buf, size_t n, const struct check_evidence *e);

#endif
