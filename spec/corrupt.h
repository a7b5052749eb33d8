/*
 * Corrupted recordings: the trace-side negative controls.
 *
 * A corruption takes a stored bundle (traces/sim/NAME or traces/real/NAME),
 * or the bundle a catalog scenario records when it is run (BUNDLE ending in
 * .fos: simulated with the reference model and recorded on the spot), copies
 * it, breaks one thing in the copy the way a broken implementation
 * (or a broken recorder) would, and names the catalog assertion that must
 * then fail when `fosim check` reads the copy.  The corruptions are listed
 * in conformance/corrupt/corruptions, one per line:
 *
 *   NAME BUNDLE OP ARGS... fail ID      the assertion must be FAIL
 *   NAME BUNDLE OP ARGS... not-pass ID  it must not be PASS (a cut trace)
 *
 * Operations (FILE is a file of the bundle; TEXT selects the first line
 * containing it, or with OP@N the N-th; "..." quotes a word with blanks, with
 * \" and \\ inside; '...' quotes one as it is):
 *
 *   drop FILE TEXT             remove the line (an event that never came)
 *   dup FILE TEXT              repeat the line right after itself
 *   swap FILE TEXT1 TEXT2      exchange what the two lines say, each
 *                              keeping its time stamp (two events reordered)
 *   retime FILE TEXT SECONDS   move the line's stamp by SECONDS (signed)
 *   shift FILE TEXT SECONDS    move the stamps of the line and of every later
 *                              line (a source whose clock jumped)
 *   truncate FILE TEXT         cut the file before the line
 *   edit FILE TEXT NEW         replace TEXT by NEW in the line (a wrong value:
 *                              another status, id, MAC or error text)
 *   move-frames FROM TO        move every frame of capture FROM into capture
 *                              TO (the traffic took the wrong path)
 *
 * Nothing is edited by hand: the copies are made under a work directory at
 * run time from the stored bundles.
 */
#ifndef FOSIM_CORRUPT_H
#define FOSIM_CORRUPT_H

#include <stdbool.h>
#include <stddef.h>

#include "check.h"
#include "sim/err.h"
#include "spec.h"

#define CORRUPT_OPS(X)                                                        \
    X(DROP, "drop", 2)                                                        \
    X(DUP, "dup", 2)                                                          \
    X(SWAP, "swap", 3)                                                        \
    X(RETIME, "retime", 3)                                                    \
    X(SHIFT, "shift", 3)                                                      \
    X(TRUNCATE, "truncate", 2)                                                \
    X(EDIT, "edit", 3)                                                        \
    X(MOVE_FRAMES, "move-frames", 2)

enum corrupt_op {
#define X(id, word, nargs) CORRUPT_##id,
    CORRUPT_OPS(X)
#undef X
    CORRUPT_NOPS
};

#define CORRUPT_MAX_ARGS 3

struct corruption {
    char *name;                    /* owned */
    char *bundle;                  /* relative to the root (owned) */
    enum corrupt_op op;
    char *args[CORRUPT_MAX_ARGS];  /* owned */
    bool must_fail;                /* "fail ID"; false: "not-pass ID" */
    enum spec_id id;
    unsigned nth;                  /* OP@N: the N-th line containing TEXT (1: the first) */
    unsigned line;                 /* in the list */
};

struct corrupt_list {
    struct corruption *v;
    size_t n;
};

/* Read a list (the format above).  Errors name the file, line and column. */
int corrupt_load(const char *path, struct corrupt_list **out, struct sim_err *err);
void corrupt_list_free(struct corrupt_list *l);

/*
 * Make the corrupted copy of c's bundle (root/c->bundle) in workdir/c->name
 * and check it, before and after the operation: before[SPEC_NIDS] and
 * after[SPEC_NIDS] receive every verdict.  -1 with err when
 * the bundle cannot be copied, the line or capture the operation names is
 * not there, or the checker refuses the copy (unusable input: a corruption
 * must produce a readable recording).
 */
int corrupt_run(const struct corruption *c, const char *root, const char *workdir,
                enum check_verdict *before, enum check_verdict *after, struct sim_err *err);

/* Apply c's operation to the bundle directory dir in place. */
int corrupt_apply(const struct corruption *c, const char *dir, struct sim_err *err);

/* Did the corruption turn c->id from `before` (the stored recording) into
 * what it names: FAIL (fail), or anything but PASS from PASS (not-pass)? */
bool corrupt_caught(const struct corruption *c, enum check_verdict before,
                    enum check_verdict after);

#endif
