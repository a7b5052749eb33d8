/*
 * Shards: a deterministic slice of a campaign, so that N machines (a CI
 * matrix, GNU parallel, Kubernetes Indexed Jobs) each run one part of the
 * same list and the parts merge into the report one run would give.
 *
 * A campaign is an ordered list of T items (the scenarios of the catalog,
 * the bundles given to `fosim check`).  Shard K/N (1 <= K <= N) runs the
 * contiguous block of items [first, last) with
 *     first = floor((K - 1) * T / N),  last = floor(K * T / N),
 * so the blocks tile the list in order, their sizes differ by at most one,
 * and concatenating the shards' reports in K order gives the list's order.
 * A shard's report carries a marker line saying which block it holds
 * (SHARD_MARKER), which `fosim merge-reports` checks: every K of the same N
 * and T exactly once, blocks that tile [0, T).
 */
#ifndef SIM_SHARD_H
#define SIM_SHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/err.h"

struct shard {
    uint32_t k; /* 1-based index of this shard */
    uint32_t n; /* number of shards; 1 = the whole campaign */
};

#define SHARD_ALL ((struct shard){ 1, 1 })
#define SHARD_MAX 100000u /* bound on N */

/* Parse "K/N" (1 <= K <= N <= SHARD_MAX).  Returns 0, or -1 with a message
 * naming `what` (the option) and the text. */
int shard_parse(const char *text, const char *what, struct shard *out, struct sim_err *err);

/* The block of a campaign of `total` items this shard runs: [*first, *last). */
void shard_block(struct shard s, size_t total, size_t *first, size_t *last);

/* Does the shard run item i of total? */
bool shard_has(struct shard s, size_t i, size_t total);

/*
 * The marker a sharded report carries, in a comment of its format (TAP:
 * "# fosim shard 2/4: items 38-76 of 153"; JUnit: the same text in an XML
 * comment after the root element's start tag): shard K/N, items first+1 to
 * last (1-based, inclusive; "none" for an empty block) of total.
 */
#define SHARD_MARKER "fosim shard"

/* Format the marker text (without the comment syntax).  Returns its length. */
size_t shard_marker(char *buf, size_t n, struct shard s, size_t total);

/* Parse a marker text as shard_marker writes it.  Returns 0 or -1. */
int shard_marker_parse(const char *text, struct shard *s, size_t *first, size_t *last,
                       size_t *total);

#endif
