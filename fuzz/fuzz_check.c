/*
 * Fuzz target: a whole bundle through `fosim check`'s path: the manifest,
 * the first pass (roles, guest MAC, clock estimation from paired events),
 * and the merged replay of every source, down to a sink that formats each
 * observation as the timeline does.
 *
 * The input packs the bundle's files (fuzz/pack.sh writes this format; the
 * seeds are the stored and freshly recorded bundles):
 *
 *     \n@@fosim-file NAME\n<bytes of NAME>\n@@fosim-file NAME2\n<bytes>...
 *
 * Bytes before the first header are ignored; a name must be a plain file
 * name ([A-Za-z0-9._-], not starting with '.', at most 64 bytes), others
 * are skipped.  Each input gets a fresh directory.  Oracles besides the
 * sanitizers: an error is a message; the merged stream is in time order
 * (keys never decrease) with increasing sequence numbers and ends with
 * exactly one END, which is marked truncated unless the manifest says the
 * recording is complete.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "sim/bundle.h"

#define HEADER "\n@@fosim-file "

static void oops(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_check: %s: %s\n", what, detail);
    abort();
}

static int plain_name(const char *s, size_t n)
{
    if (n == 0 || n > 64 || s[0] == '.')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static const uint8_t *find(const uint8_t *p, const uint8_t *end, const char *what)
{
    size_t n = strlen(what);
    for (; p + n <= end; p++)
        if (memcmp(p, what, n) == 0)
            return p;
    return NULL;
}

/* Write every packed file into the scratch directory. */
static void unpack(const uint8_t *data, size_t size)
{
    const uint8_t *end = data + size;
    const uint8_t *h = find(data, end, HEADER);
    while (h) {
        const uint8_t *name = h + strlen(HEADER);
        const uint8_t *nl = memchr(name, '\n', (size_t)(end - name));
        if (!nl)
            return;
        const uint8_t *body = nl + 1;
        const uint8_t *next = find(body, end, HEADER);
        const uint8_t *stop = next ? next : end;
        char fname[65];
        size_t n = (size_t)(nl - name);
        if (plain_name((const char *)name, n)) {
            memcpy(fname, name, n);
            fname[n] = '\0';
            fuzz_file(fname, body, (size_t)(stop - body));
        }
        h = next;
    }
}

struct watch {
    uint64_t n, ends, last_seq;
    bool truncated;
    char line[8192];
};

static void sink_fn(void *ctx, const struct obs *o)
{
    struct watch *w = ctx;
    if (w->ends)
        oops("an observation after END", obs_kind_name(o->kind));
    if (o->seq <= w->last_seq)
        oops("sequence numbers do not increase", obs_kind_name(o->kind));
    w->last_seq = o->seq;
    if (o->kind == OBS_END) {
        w->ends++;
        w->truncated = o->u.end.truncated;
        return;
    }
    w->n++;
    obs_format(w->line, sizeof(w->line), o, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_dir_clean();
    unpack(data, size);
    struct bundle *b = NULL;
    struct sim_err err = { "" };
    if (bundle_open(fuzz_dir(), &b, &err) != 0) {
        if (!err.msg[0])
            oops("refused without a message", "");
        return 0;
    }
    struct watch *w = calloc(1, sizeof(*w));
    if (!w)
        abort();
    struct obs_sink sink = { sink_fn, w };
    if (bundle_prepare(b, &err) == 0) {
        if (bundle_replay(b, &sink, &err) == 0) {
            if (w->ends != 1)
                oops("the stream does not end with one END", "");
            if (w->truncated == b->complete)
                oops("END's truncated flag contradicts the manifest", "");
        } else if (!err.msg[0]) {
            oops("replay failed without a message", "");
        }
    } else if (!err.msg[0]) {
        oops("prepare failed without a message", "");
    }
    free(w);
    bundle_free(b);
    return 0;
}
