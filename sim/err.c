/*
 * Error messages for bad input, assertions for bugs, and the allocation
 * helpers the models use.
 */
#include "sim/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sim__errf(struct sim_err *e, const char *fmt, ...)
{
    if (e) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
    }
    return -1;
}

int sim__err_prefix(struct sim_err *e, const char *fmt, ...)
{
    if (e) {
        char prefix[256];
        char old[sizeof(e->msg)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, e->msg, sizeof(old));
        snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old);
    }
    return -1;
}

_Noreturn void sim_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "fosim: internal error: assertion `%s' failed at %s:%d\n", expr, file,
            line);
    abort();
}

static _Noreturn void out_of_memory(size_t n)
{
    fprintf(stderr, "fosim: out of memory allocating %zu bytes\n", n);
    abort();
}

void *sim_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        out_of_memory(n);
    return p;
}

void *sim_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory(n * size);
    return p;
}

void *sim_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory(n);
    return q;
}

char *sim_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = sim_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

size_t sim_strlcpy(char *dst, const char *src, size_t dstlen)
{
    size_t n = strlen(src);
    if (dstlen) {
        size_t k = n < dstlen - 1 ? n : dstlen - 1;
        memcpy(dst, src, k);
        dst[k] = '\0';
    }
    return n;
}
