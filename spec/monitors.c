/*
 * The monitor registry: one monitor per catalog assertion, by ID.
 *
 * Built from spec/assertions.def, so an entry without its monitor
 * (`const struct monitor_def mon_SYM` in spec/mon_AREA.c) does not link.
 */
#include "monitor.h"

#define X(sym, ...) extern const struct monitor_def mon_##sym;
#include "assertions.def"
#undef X

const struct monitor_def *const monitor_table[SPEC_NIDS] = {
#define X(sym, ...) [SPEC_##sym] = &mon_##sym,
#include "assertions.def"
#undef X
};
