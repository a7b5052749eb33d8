/*
 * The traceability matrix: for every catalog assertion, the code that
 * implements it, the tests and scenarios that give evidence for it, the
 * catalog cases in which the reference model passed it, and the negative
 * controls that made it fail (a mutant of the model, or a corrupted
 * recording); and for every rule of the two rule books (H-01..H-60,
 * G-01..G-86) the tests and scenarios that name it.
 *
 * The matrix is filled from what was actually run (a catalog run, the
 * mutant runs, the corrupted traces) and from marks in the source tree:
 *   IMP: ID...       in sim/ and spec/ (a comment on the implementing code)
 *   EVIDENCE(ID...)  in conformance/test_*.c
 *   evidence ID...   in the catalog's scenario files (taken from the run)
 * A gap is a MUST or OBSERVED assertion without a passing case or without a
 * killing negative control, or a rule-book rule named by no test; the
 * report lists every gap and trace_report returns their number.
 *
 * A rule the modelled system cannot reach (QEMU has no DPC, ...) is not a
 * gap when conformance/trace-exemptions explains it: the rule, the file
 * and a text in it where the code shows why, and the reason.  Exempt rules
 * are printed in the matrix and counted as explained, not as covered; an
 * exemption whose text is no longer in its file, or for a rule a test now
 * names, is a gap (it must be reviewed or removed).
 */
#ifndef FOSIM_TRACE_H
#define FOSIM_TRACE_H

#include <stdio.h>

#include "sim/err.h"
#include "spec.h"

struct trace_matrix;
struct suite_case;

#define TRACE_NHOST_RULES 60  /* H-01..H-60 (qemu-host.md) */
#define TRACE_EXEMPTIONS "conformance/trace-exemptions" /* relative to the root */
#define TRACE_NGUEST_RULES 86 /* G-01..G-86 (linux-guest.md) */

struct trace_matrix *trace_new(void);
void trace_free(struct trace_matrix *tm); /* NULL is a no-op */

/* A mutant made assertion `id` fail in case `case_name`. */
void trace_note_kill(struct trace_matrix *tm, enum spec_id id, const char *mutant,
                     const char *case_name);

/* A corrupted recording `name` made assertion `id` fail. */
void trace_note_trace_fail(struct trace_matrix *tm, enum spec_id id, const char *name);

/* A catalog case that ran on the reference model: its PASS verdicts count
 * as passing evidence (only if the case passed), its evidence words as
 * naming the assertions and rules. */
void trace_note_case(struct trace_matrix *tm, const struct suite_case *c);

/* A mark found in the tree: "IMP" (implementation) or "EVIDENCE" (test),
 * for `word` (a catalog ID or a rule), at `where` ("sim/qdev.c:120").
 * Words that are neither are ignored. */
void trace_note_mark(struct trace_matrix *tm, bool imp, const char *word, const char *where);

/* Scan root/sim, root/spec (IMP marks) and root/conformance/test_*.c
 * (EVIDENCE marks), and load root/TRACE_EXEMPTIONS if it exists.  Returns
 * 0 or -1 with err. */
int trace_scan_tree(struct trace_matrix *tm, const char *root, struct sim_err *err);

/*
 * Load an exemption list (path; the files it names are relative to root):
 *
 *   # comment
 *   RULE FILE "MARK"  [first words of the reason]
 *       the reason, continued on indented lines
 *
 * RULE is a rule-book rule or bug-history item (H-nn, G-nn, 6.N, L6.N;
 * never a catalog assertion), FILE the file where the code shows why the
 * rule cannot be reached and MARK a text on that line.  Returns 0, or -1
 * with err naming the list's line and column (an unknown rule, a rule
 * listed twice, an entry without a reason).
 */
int trace_load_exemptions(struct trace_matrix *tm, const char *root, const char *path,
                          struct sim_err *err);

/* Scan one file for marks (IMP: or EVIDENCE(...)); `shown` is the name
 * the matrix gives it.  Returns 0 or -1 with err. */
int trace_scan_file(struct trace_matrix *tm, const char *path, const char *shown,
                    struct sim_err *err);

/* Run the corrupted recordings of root/conformance/corrupt (spec/corrupt.h)
 * (their copies made under workdir) and note which assertions they made fail; a corruption whose named
 * assertion does not fail is reported on `out` and counted as a gap.
 * Returns 0 or -1 with err (a list or bundle that cannot be read). */
int trace_run_corruptions(struct trace_matrix *tm, const char *root, const char *workdir,
                          FILE *out, struct sim_err *err);

/* A stored recording (traces/...) on which `fosim check` passes assertion id:
 * a scenario recorded on real QEMU and Linux (or by the simulator) that passes
 * counts as passing evidence like a catalog case. */
void trace_note_recording_pass(struct trace_matrix *tm, enum spec_id id, const char *bundle);

/* A corruption that did not fail the assertion it names. */
void trace_note_corruption_miss(struct trace_matrix *tm, const char *name);

/* How many corruptions did not fail the assertion they name. */
size_t trace_corruption_misses(const struct trace_matrix *tm);

/* Print the matrix, the rule-book coverage and the gaps.  Returns the
 * number of gaps (0: complete). */
unsigned trace_report(const struct trace_matrix *tm, FILE *out);

#endif
