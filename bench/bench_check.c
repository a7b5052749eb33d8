/*
 * The benchmark's view of the checker, before the assertion engine is in
 * the build: the readers and the merge only, and the table says so.
 */
#include "bench_check.h"

#include <stdlib.h>

struct bench_engine *bench_engine_new(const struct bundle *b)
{
    (void)b;
    return NULL;
}

void bench_engine_sink(void *e, const struct obs *o)
{
    (void)e;
    (void)o;
}

uint64_t bench_engine_finish(struct bench_engine *e)
{
    (void)e;
    return 0;
}

void bench_engine_free(struct bench_engine *e)
{
    (void)e;
}

const char *bench_engine_what(void)
{
    return "checker figure: bundle readers + merge (no assertion engine in this build)";
}
