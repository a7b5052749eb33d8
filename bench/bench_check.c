/*
 * The benchmark's view of the checker: the assertion engine (spec/check.h)
 * with the context `fosim check` would give it for the bundle.
 */
#include "bench_check.h"

#include <stdlib.h>

#include "check.h"
#include "check_bundle.h"

struct bench_engine {
    struct check *chk;
    uint64_t frames;
};

struct bench_engine *bench_engine_new(const struct bundle *b)
{
    struct check_ctx *ctx = calloc(1, sizeof(*ctx));
    struct bench_engine *e = calloc(1, sizeof(*e));
    if (!ctx || !e) {
        free(ctx);
        free(e);
        return NULL;
    }
    check_ctx_from_bundle(ctx, b, "bench");
    e->chk = check_new(ctx);
    free(ctx);
    if (!e->chk) {
        free(e);
        return NULL;
    }
    return e;
}

void bench_engine_sink(void *ctx, const struct obs *o)
{
    struct bench_engine *e = ctx;
    e->frames += o->kind == OBS_FRAME;
    check_obs(e->chk, o);
}

uint64_t bench_engine_finish(struct bench_engine *e)
{
    check_finish(e->chk);
    return e->frames;
}

void bench_engine_free(struct bench_engine *e)
{
    if (!e)
        return;
    check_free(e->chk);
    free(e);
}

const char *bench_engine_what(void)
{
    return "checker figure: bundle readers + merge + every catalog monitor (fosim check's path)";
}
