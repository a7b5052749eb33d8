/*
 * The report formats (private to spec/): text, TAP 14 and JUnit XML, and
 * what they share.  The public entry point is check_report() in check.h.
 */
#ifndef FOSIM_REPORT_H
#define FOSIM_REPORT_H

#include <stdint.h>
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

/*
 * Text from a trace (device ids, console lines, file names) may hold any
 * bytes.  report_utf8() decodes one well-formed UTF-8 sequence at s into
 * *cp and returns its length (1-4), or 0 when the bytes there are not one
 * (a stray continuation byte, an overlong form, a surrogate, beyond
 * U+10FFFF, cut short) or s is at its end.
 */
size_t report_utf8(const char *s, uint32_t *cp);

/* Write s for a terminal or a log: control characters (C0, DEL, C1) and
 * bytes that are not UTF-8 as "\xNN", the rest as is. */
void report_put_plain(FILE *out, const char *s);

/* The escapes of the report formats, shared by fosim check's reports, the
 * conformance suite's and a campaign's (each written byte-exact for its
 * reader; conformance/test_report_tap.c and test_report_junit.c hold them
 * to it):
 *   report_put_tap_desc  a TAP description: one line, '#' and '\' escaped,
 *                        line breaks and tabs as spaces, control characters
 *                        and bytes that are not UTF-8 as "\\xNN";
 *   report_put_yaml      a YAML double-quoted scalar (quotes included);
 *   report_put_xml       XML 1.0 text or attribute value; characters XML
 *                        does not allow and bytes that are not UTF-8 as "\xNN";
 *   report_put_xml_attr  ' name="value"' with that escaping. */
void report_put_tap_desc(FILE *out, const char *s);
void report_put_yaml(FILE *out, const char *s);
void report_put_xml(FILE *out, const char *s);
void report_put_xml_attr(FILE *out, const char *name, const char *val);

/* The lines the text and TAP reports open with, each led by `lead` ("" for
 * text, "# " for TAP): "fosim check: NAME", "sources: ..." and,
 * when the trace is cut short, "the trace is truncated: WHY".  Trace text
 * (the name, the reason) goes through `put`, the format's escaping. */
void report_head(FILE *out, const struct check *c, const char *lead,
                 void (*put)(FILE *out, const char *s));

#endif
