/*
 * The checker's path in the benchmark's process: bundle reader, merge and
 * the assertion engine (spec/check.h) with the context `fosim check` gives
 * it, counting the frames the engine is fed.
 */
#include "bench_check.h"

#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "check_bundle.h"
#include "sim/bundle.h"

struct counting {
    struct check *chk;
    uint64_t frames;
};

static void counting_sink(void *ctx, const struct obs *o)
{
    struct counting *c = ctx;
    c->frames += o->kind == OBS_FRAME;
    check_obs(c->chk, o);
}

uint64_t bench_checker_frames(const char *dir)
{
    struct bundle *b = NULL;
    struct sim_err err = { "" };
    struct check_ctx *ctx = calloc(1, sizeof(*ctx));
    struct counting c = { NULL, 0 };
    uint64_t frames = 0;
    if (!ctx) {
        fprintf(stderr, "fosim-bench: out of memory\n");
        return 0;
    }
    if (bundle_open(dir, &b, &err) != 0 || bundle_prepare(b, &err) != 0) {
        fprintf(stderr, "fosim-bench: %s\n", err.msg);
        goto out_free;
    }
    check_ctx_from_bundle(ctx, b, "bench");
    c.chk = check_new(ctx);
    if (!c.chk) {
        fprintf(stderr, "fosim-bench: out of memory\n");
        goto out_free;
    }
    struct obs_sink s = { counting_sink, &c };
    if (bundle_replay(b, &s, &err) != 0) {
        fprintf(stderr, "fosim-bench: %s\n", err.msg);
        goto out_free;
    }
    check_finish(c.chk);
    frames = c.frames;
out_free:
    check_free(c.chk);
    bundle_free(b);
    free(ctx);
    return frames;
}
