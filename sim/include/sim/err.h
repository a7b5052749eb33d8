/*
 * Errors from the outside world, and assertions for bugs.
 *
 * Two channels that never mix.  Anything a user's input or the system can do
 * to us (a malformed scenario, a truncated pcap, a missing file, ENOMEM while
 * reading) is returned: the function returns -1 and fills a struct sim_err
 * with one line "file:line:column: what was expected, what was found".  The
 * CLI prints it and exits with status 2.  Anything only a bug can do trips
 * SIM_ASSERT, which is always on.
 */
#ifndef SIM_ERR_H
#define SIM_ERR_H

#include <stddef.h>

struct sim_err {
    char msg[768]; /* one line, no trailing newline; "" when no error */
};

/* Format a message into e (if e is non-NULL) and return -1. */
int sim__errf(struct sim_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define sim_errf(...) sim__minus_one(sim__errf(__VA_ARGS__))

/* Prefix an existing message: "prefix: old message".  Returns -1. */
int sim__err_prefix(struct sim_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define sim_err_prefix(...) sim__minus_one(sim__err_prefix(__VA_ARGS__))

/* The error helpers are variadic, and the static analyzer (make lint) does
 * not follow variadic calls: without seeing that they return -1 it explores
 * paths where "return sim_errf(...)" returned 0.  The macros above wrap
 * each call in this, which it does see through. */
static inline int sim__minus_one(int r)
{
    (void)r;
    return -1;
}

/* Report a failed assertion and abort.  Used by SIM_ASSERT. */
_Noreturn void sim_assert_fail(const char *expr, const char *file, int line);

#define SIM_ASSERT(cond) ((cond) ? (void)0 : sim_assert_fail(#cond, __FILE__, __LINE__))

#define SIM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SIM_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* Allocation that aborts on exhaustion (for model state, where a partial
 * simulation is worthless).  Readers of untrusted input use plain malloc and
 * report ENOMEM through sim_err instead. */
void *sim_xmalloc(size_t n);
void *sim_xcalloc(size_t n, size_t size);
void *sim_xrealloc(void *p, size_t n);
char *sim_xstrdup(const char *s);

/* Bounded copy that always terminates dst (dstlen > 0).  Returns strlen(src). */
size_t sim_strlcpy(char *dst, const char *src, size_t dstlen);

#endif
