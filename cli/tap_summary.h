/*
 * The closing comment of fosim's TAP reports over a list of items:
 *
 *   # fosim summary: 12 tests, 10 ok, 2 not ok, 1 todo, 0 skip
 *
 * computed from the test points alone, so that `fosim merge-reports` can
 * compute it again for the merged points and give the line the unsharded
 * run prints (cli/tap_summary.c).
 */
#ifndef FOSIM_TAP_SUMMARY_H
#define FOSIM_TAP_SUMMARY_H

#include <stdbool.h>
#include <stdio.h>

#define TAP_SUMMARY_PREFIX "# fosim summary: "

struct tap_summary {
    unsigned long tests, ok, not_ok, todo, skip;
};

/* Count one test point: ok or not, and its directive. */
void tap_summary_add(struct tap_summary *s, bool ok, bool todo, bool skip);

/* Print the summary line (with its newline). */
void tap_summary_print(const struct tap_summary *s, FILE *out);

#endif
