/*
 * The conformance suite: the scenario catalog run in-process.
 *
 * The catalog is a directory tree of scenario files (conformance/scenarios/,
 * one subdirectory per area; directories named "include" hold shared host
 * set-ups and are not cases).  Each scenario is one test case: it is run
 * against the reference model (or a mutant of it, sim/mutant.h) with the
 * catalog's monitors watching, exactly as `fosim run` does, and it passes
 * when every expectation held and no assertion failed that the scenario
 * does not expect to fail.  A case whose scenario cannot be read or built,
 * or that names no evidence or has no expectation, is an ERROR: a catalog
 * entry that cannot fail is not a test.
 *
 * Cases are named by their path below the catalog without ".fos"
 * ("host/migrate-on-out") and kept in byte order of that name, so the order
 * and the names are the same on every machine: a shard (K/N takes every
 * N-th case starting at the K-th) is a deterministic slice, and the reports
 * of the N shards can be merged by case name.
 */
#ifndef FOSIM_SUITE_H
#define FOSIM_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "check.h"
#include "sim/err.h"
#include "spec.h"

#define SUITE_STATUSES(X)                                                     \
    X(PASS, "pass", "PASS")                                                   \
    X(FAIL, "fail", "FAIL")                                                   \
    X(ERROR, "error", "ERROR")

enum suite_status {
#define X(id, word, upper) SUITE_##id,
    SUITE_STATUSES(X)
#undef X
    SUITE_NSTATUSES
};

const char *suite_status_name(enum suite_status s);  /* "pass" */
const char *suite_status_upper(enum suite_status s); /* "PASS" */

/* The catalog's limit on cases (doc/limits.md). */
#define SUITE_MAX_CASES 100000u

/* A verdict not reached (the case did not run, or errored). */
#define SUITE_NO_VERDICT 0xff

struct suite_case {
    char *path;     /* the scenario file (owned) */
    char *name;     /* "host/migrate-on-out" (owned) */
    char *area;     /* "host": the first directory below the catalog, or "" */
    bool selected;  /* by the filters and the shard */

    /* The outcome of the last suite_run_case. */
    enum suite_status status;
    char *description;       /* the scenario's describe line (owned) */
    char **evidence;         /* the scenario's evidence words (owned) */
    size_t nevidence;
    unsigned nexpect;        /* expectations */
    unsigned nexpect_failed; /* of them, failed */
    unsigned unexpected;     /* assertions that failed unexpectedly */
    unsigned totals[CHECK_NVERDICTS];
    uint8_t verdict[SPEC_NIDS]; /* enum check_verdict per assertion, or
                                   SUITE_NO_VERDICT */
    char *detail;            /* what failed, one item per line (owned), or "" */
};

struct suite {
    char *dir;               /* the catalog directory (owned) */
    struct suite_case *v;    /* owned, sorted by name */
    size_t n;
    size_t nmatched;         /* cases the filters matched (all shards) */
};

/* Find every case under dir (recursively, *.fos, skipping "include"
 * directories and hidden entries).  Returns 0, or -1 with err (the
 * directory cannot be read, no case found, too many cases). */
int suite_load(const char *dir, struct suite **out, struct sim_err *err);
void suite_free(struct suite *s);

/*
 * Select the cases: those matching at least one of the globs (fnmatch on
 * the case name; no glob selects all; s->nmatched counts them), then of
 * those the shard: shard K/N keeps the K-th of N contiguous blocks of the
 * matched cases (sim/shard.h), so that `fosim merge-reports` puts the
 * shards' reports together in catalog order.  Returns the number selected.
 */
size_t suite_select(struct suite *s, const char *const *globs, size_t nglobs, unsigned shard_k,
                    unsigned shard_n);

/* Parse "K/N" (1 <= K <= N).  Returns 0 or -1. */
int suite_shard_parse(const char *text, unsigned *k, unsigned *n);

/* Run one case with the given mutants active (0: the reference model) and
 * fill its outcome.  Returns its status. */
enum suite_status suite_run_case(struct suite_case *c, uint64_t mutants);

/* Is word a valid evidence name: a catalog ID (CFG-001), a rule-book rule
 * (H-01..H-60, G-01..G-86), a host bug-history item (6.1..6.16) or a guest
 * bug-history item (L6.1..L6.19, L6.14b)? */
bool suite_evidence_valid(const char *word);

/* ---- Reports ----------------------------------------------------------------- */

enum suite_format {
    SUITE_REPORT_TEXT,  /* one line per case, the failures, a summary */
    SUITE_REPORT_TAP,   /* TAP version 14, one test point per case */
    SUITE_REPORT_JUNIT, /* JUnit XML (junit-4.xsd): a testsuite per area */
};

int suite_format_parse(const char *s, enum suite_format *out); /* text|tap|junit */

/* What a report says about the run besides the cases. */
struct suite_report_info {
    const char *mutant;  /* the mutant name(s) run, or NULL: the reference model */
    unsigned shard_k, shard_n; /* 1/1 when not sharded */
    const double *seconds; /* per case (indexed like s->v), or NULL */
};

/* Write the report of the selected cases; returns 0 or -1 (write error). */
int suite_report(const struct suite *s, enum suite_format fmt,
                 const struct suite_report_info *info, FILE *out);

/* Counts of the selected cases per status. */
void suite_totals(const struct suite *s, unsigned out[SUITE_NSTATUSES]);

#endif
