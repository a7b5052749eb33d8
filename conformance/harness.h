/*
 * The test harness shared by every conformance/test_*.c executable.
 *
 * Each executable is one cmocka group.  FO_MAIN() runs it and prints a line
 * "RESULT <group> <passed> <failed>" that run-suite.sh adds up into the
 * suite's final "N passed, N failed".  EVIDENCE(...) names the catalog
 * assertions or rule-book rules (H-nn, G-nn) a test gives evidence for; the
 * traceability matrix is collected from these marks.
 *
 * Helpers here build worlds from scenario text and query what they saw, so
 * tests read as: build the scenario, run it, ask about the stream.
 */
#ifndef FOSIM_HARNESS_H
#define FOSIM_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "scenario_text.h"
#include "sim/obs.h"
#include "sim/time.h"

/* Marks the rules and assertions a test gives evidence for (collected by
 * the traceability matrix; at run time it does nothing). */
#define EVIDENCE(...) ((void)0)

int fo_run_group(const char *name, const struct CMUnitTest *tests, size_t n);

#define FO_MAIN(group, tests)                                                 \
    int main(void)                                                            \
    {                                                                         \
        return fo_run_group(group, tests, sizeof(tests) / sizeof(tests[0]));  \
    }

/* Typed assertions that print both sides (cmocka 1.1.5 prints integers
 * as unsigned). */
#define assert_i64_equal(a, b) fo_assert_i64((int64_t)(a), (int64_t)(b), #a, #b, __FILE__, __LINE__)
void fo_assert_i64(int64_t a, int64_t b, const char *ea, const char *eb, const char *file,
                   int line);

/* ---- Observation capture ------------------------------------------------------
 *
 * A fo_capture collects a copy of every observation (with owned strings) so a
 * test can search it after the run.
 */
struct fo_rec {
    struct obs o;  /* pointers inside point into the fields below */
    char *text;    /* owned copy of the raw line (QMP line, klog text, ...) */
    char *extra;   /* owned copy of state.from/to etc. as "from|to|entity|why" */
    uint8_t *bytes;/* owned copy of frame data */
};

struct fo_capture {
    struct fo_rec *v;
    size_t n, cap;
};

void fo_capture_sink(void *ctx, const struct obs *o);
void fo_capture_free(struct fo_capture *c);

/* Index of the first record at or after `from` matching kind/host and, if
 * non-NULL, `name` (QMP name) and `field` "key=value" (status/device-id), or
 * -1.  For KLOG records `name` is a substring of the text. */
long fo_find(const struct fo_capture *c, size_t from, enum obs_kind kind,
             enum obs_host host, const char *name, const char *field);

/* Count matching records. */
size_t fo_count(const struct fo_capture *c, enum obs_kind kind, enum obs_host host,
                const char *name, const char *field);

/* Print the capture as a timeline (for debugging a failing test). */
void fo_capture_dump(const struct fo_capture *c);

/* A new file made from mkstemp(3) template `tmpl` ("...XXXXXX") holding
 * text; returns its path (free it; the caller removes the file).  Any
 * failure fails the test. */
char *fo_temp_text(const char *tmpl, const char *text);

/* Run the built fosim with ARGS (shell words) in directory dir, stderr
 * with stdout; up to n - 1 bytes of the output in out.  Returns the exit
 * status, -1 if fosim did not exit (a signal). */
int fo_fosim_in(const char *dir, const char *args, char *out, size_t n);

#endif
