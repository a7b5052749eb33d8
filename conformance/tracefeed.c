/*
 * Hand-built observation sequences for the checker's tests (see
 * tracefeed.h): parse the text, decode each record with the shared
 * decoders, feed the engine.
 */
#include "tracefeed.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sim/err.h"

void tf_ctx_default(struct check_ctx *ctx)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x11, 0x11, 0x11 };
    check_ctx_init(ctx);
    sim_strlcpy(ctx->name, "hand-built trace", sizeof(ctx->name));
    for (int h = 0; h < OBS_NHOSTS; h++) {
        for (unsigned s = 0; s < SPEC_NSOURCES; s++)
            check_ctx_give(ctx, (enum obs_host)h, (enum spec_source)s);
        ctx->host[h].hotplug = CHECK_HOTPLUG_NATIVE;
        struct check_device *d =
            check_ctx_add_device(ctx, (enum obs_host)h, "standby0", OBS_ROLE_STANDBY);
        sim_strlcpy(d->netdev, "hs0", sizeof(d->netdev));
        d->has_mac = true;
        memcpy(d->mac, mac, 6);
        d = check_ctx_add_device(ctx, (enum obs_host)h, "primary0", OBS_ROLE_PRIMARY);
        sim_strlcpy(d->netdev, "hs1", sizeof(d->netdev));
        sim_strlcpy(d->pair, "standby0", sizeof(d->pair));
        d->has_mac = true;
        memcpy(d->mac, mac, 6);
        d->hideable = true;
    }
}

void tf_ctx_drop(struct check_ctx *ctx, int h, enum spec_source s)
{
    for (int k = 0; k < OBS_NHOSTS; k++)
        if (h < 0 || h == k)
            ctx->host[k].sources &= ~(1u << s);
}

void tf_ctx_acpi(struct check_ctx *ctx)
{
    ctx->host[OBS_SOURCE].hotplug = ctx->host[OBS_TARGET].hotplug = CHECK_HOTPLUG_ACPI;
}

void tf_ctx_primary_added(struct check_ctx *ctx)
{
    for (int h = 0; h < OBS_NHOSTS; h++)
        ctx->host[h].ndev = 1;
}

void tf_ctx_no_commands(struct check_ctx *ctx)
{
    tf_ctx_drop(ctx, -1, SPEC_SRC_QMP_COMMANDS);
}

/* ---- Parsing ------------------------------------------------------------------ */

enum tf_kind { TF_EVENT, TF_CMD, TF_REPLY, TF_GREET, TF_CON, TF_ERR, TF_FRAME, TF_END };

struct tf_rec {
    sim_time t;            /* wall clock */
    enum obs_host host;
    enum tf_kind kind;
    char *rest;            /* owned: the text after the kind word */
    char file[64];         /* which artifact it belongs to */
    unsigned lineno;       /* line in the trace text, for messages */
};

static char *dupn(const char *s, size_t n)
{
    char *d = sim_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void file_of(struct tf_rec *r)
{
    const char *host = obs_host_name(r->host);
    switch (r->kind) {
    case TF_EVENT:
    case TF_CMD:
    case TF_REPLY:
    case TF_GREET:
        snprintf(r->file, sizeof(r->file), "%s.qmp", host);
        break;
    case TF_CON:
        snprintf(r->file, sizeof(r->file), "%s-guest.log", host);
        break;
    case TF_ERR:
        snprintf(r->file, sizeof(r->file), "%s.stderr", host);
        break;
    case TF_FRAME: {
        char point[64] = "";
        sscanf(r->rest, "%63s", point);
        snprintf(r->file, sizeof(r->file), "%s-%s.pcap", host, point);
        break;
    }
    case TF_END:
        snprintf(r->file, sizeof(r->file), "end");
        break;
    }
}

static size_t parse(const char *trace, struct tf_rec **out)
{
    size_t n = 0, cap = 16;
    struct tf_rec *v = sim_xcalloc(cap, sizeof(*v));
    unsigned lineno = 0;
    for (const char *p = trace; *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        char *line = dupn(p, len);
        p += len + (eol ? 1 : 0);
        lineno++;
        char *s = line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '\0' || *s == '#') {
            free(line);
            continue;
        }
        char tword[32], hword[8], kword[16];
        int used = 0;
        if (sscanf(s, "%31s %7s %15s %n", tword, hword, kword, &used) < 3)
            fail_msg("trace line %u: expected TIME HOST KIND: %s", lineno, s);
        sim_time t;
        const char *end;
        if (sim_time_parse(tword, &t, &end) != 0 || *end)
            fail_msg("trace line %u: bad time '%s'", lineno, tword);
        static const char *const kinds[] = { "event", "cmd", "reply", "greet",
                                             "con",   "err", "frame", "end" };
        int k = -1;
        for (int i = 0; i < (int)SIM_ARRAY_SIZE(kinds); i++)
            if (strcmp(kword, kinds[i]) == 0)
                k = i;
        if (k < 0 || (strcmp(hword, "S") != 0 && strcmp(hword, "T") != 0))
            fail_msg("trace line %u: bad host or kind: %s", lineno, s);
        if (n == cap) {
            cap *= 2;
            v = sim_xrealloc(v, cap * sizeof(*v));
        }
        struct tf_rec *r = &v[n++];
        memset(r, 0, sizeof(*r));
        r->t = TF_EPOCH + t;
        r->host = hword[0] == 'S' ? OBS_SOURCE : OBS_TARGET;
        r->kind = (enum tf_kind)k;
        r->rest = sim_xstrdup(used > 0 ? s + used : "");
        r->lineno = lineno;
        file_of(r);
        free(line);
    }
    /* Stable sort by time: a trace may list its sources one after the other. */
    for (size_t i = 1; i < n; i++) {
        struct tf_rec r = v[i];
        size_t j = i;
        while (j > 0 && v[j - 1].t > r.t) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = r;
    }
    *out = v;
    return n;
}

/* Reorder same-time records of different files: within each group of equal
 * times, emit the files' records file by file, files in reverse order of
 * first appearance (permute 1) or rotated by one (permute 2).  The order
 * inside a file never changes. */
static void permute_groups(struct tf_rec *v, size_t n, unsigned permute)
{
    struct tf_rec *tmp = sim_xcalloc(n ? n : 1, sizeof(*tmp));
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && v[j].t == v[i].t)
            j++;
        const char *files[64];
        size_t nf = 0;
        for (size_t k = i; k < j; k++) {
            size_t f;
            for (f = 0; f < nf && strcmp(files[f], v[k].file) != 0; f++)
                ;
            if (f == nf && nf < SIM_ARRAY_SIZE(files))
                files[nf++] = v[k].file;
        }
        size_t o = 0;
        for (size_t q = 0; q < nf; q++) {
            size_t f = permute == 1 ? nf - 1 - q : (q + 1) % nf;
            for (size_t k = i; k < j; k++)
                if (strcmp(v[k].file, files[f]) == 0)
                    tmp[o++] = v[k];
        }
        memcpy(&v[i], tmp, o * sizeof(*tmp));
        i = j;
    }
    free(tmp);
}

/* ---- Feeding ---------------------------------------------------------------------- */

struct tf_lines {
    char name[64];
    uint64_t n;
};

static uint64_t next_line(struct tf_lines *lines, size_t *nlines, const char *file)
{
    for (size_t i = 0; i < *nlines; i++)
        if (strcmp(lines[i].name, file) == 0)
            return ++lines[i].n;
    if (*nlines < 64) {
        sim_strlcpy(lines[*nlines].name, file, sizeof(lines[0].name));
        lines[(*nlines)++].n = 1;
    }
    return 1;
}

static void parse_mac(const char *s, uint8_t mac[6], unsigned lineno)
{
    unsigned m[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
        fail_msg("trace line %u: bad MAC '%s'", lineno, s);
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)m[i];
}

static void feed_qmp(struct check *c, struct obs *o, const char *line, bool stamp,
                     unsigned lineno)
{
    json_error_t jerr;
    json_t *j = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
    if (!j)
        fail_msg("trace line %u: bad JSON (%s): %s", lineno, jerr.text, line);
    char err[256];
    if (obs_decode_qmp(o, j, line, stamp, err, sizeof(err)) != 0)
        fail_msg("trace line %u: %s: %s", lineno, err, line);
    check_obs(c, o);
    json_decref(j);
}

static void feed_frame(struct check *c, struct obs *o, const struct tf_rec *r)
{
    char point[64], role[16], dir[8], src[32], dst[32], et[16], flow[32] = "0";
    if (sscanf(r->rest, "%63s %15s %7s %31s %31s %15s %31s", point, role, dir, src, dst, et,
               flow) < 6)
        fail_msg("trace line %u: frame POINT ROLE DIR SRC DST ETHERTYPE [FLOW]", r->lineno);
    struct obs_frame *f = &o->u.frame;
    memset(f, 0, sizeof(*f));
    f->point = point;
    f->role = OBS_ROLE_UNKNOWN;
    for (unsigned k = 0; k < OBS_NROLES; k++)
        if (strcmp(role, obs_role_name((enum obs_role)k)) == 0)
            f->role = (enum obs_role)k;
    f->dir = strcmp(dir, "out") == 0 ? OBS_DIR_FROM_GUEST
             : strcmp(dir, "in") == 0 ? OBS_DIR_TO_GUEST
                                      : OBS_DIR_UNKNOWN;
    uint8_t bytes[64] = { 0 };
    uint8_t smac[6], dmac[6];
    parse_mac(src, smac, r->lineno);
    parse_mac(dst, dmac, r->lineno);
    unsigned long ethertype = strtoul(et, NULL, 16);
    unsigned long long fl = strtoull(flow, NULL, 0);
    memcpy(bytes, dmac, 6);
    memcpy(bytes + 6, smac, 6);
    bytes[12] = (uint8_t)(ethertype >> 8);
    bytes[13] = (uint8_t)ethertype;
    for (int i = 0; i < 8; i++)
        bytes[14 + i] = (uint8_t)(fl >> (8 * i));
    if (strcmp(point, "guest") == 0) {
        f->sll2 = true;
        memcpy(f->src, smac, 6);
        f->ethertype = (uint16_t)ethertype;
        f->data = bytes + 14;
        f->caplen = f->len = 50;
    } else {
        f->data = bytes;
        f->caplen = f->len = 64;
    }
    obs_decode_frame(f);
    check_obs(c, o);
}

/* Is the source of a record given in the context? */
static bool given(const struct check_ctx *ctx, const struct tf_rec *r)
{
    enum spec_source s;
    switch (r->kind) {
    case TF_CMD:
        if (!((ctx->host[r->host].sources >> SPEC_SRC_QMP) & 1))
            return false;
        s = SPEC_SRC_QMP_COMMANDS;
        break;
    case TF_CON:
        s = SPEC_SRC_CONSOLE;
        break;
    case TF_ERR:
        s = SPEC_SRC_STDERR;
        break;
    case TF_FRAME:
        s = strncmp(r->rest, "guest ", 6) == 0 ? SPEC_SRC_GUEST_PCAP : SPEC_SRC_HOST_PCAP;
        break;
    case TF_END:
        return true;
    default:
        s = SPEC_SRC_QMP;
        break;
    }
    return (ctx->host[r->host].sources >> s) & 1;
}

struct check *tf_check(const struct check_ctx *ctx, const char *trace, unsigned permute)
{
    struct tf_rec *v;
    size_t n = parse(trace, &v);
    if (permute)
        permute_groups(v, n, permute);
    struct check *c = check_new(ctx);
    assert_non_null(c);
    struct tf_lines lines[64];
    size_t nlines = 0;
    bool ended = false;
    for (size_t i = 0; i < n; i++) {
        const struct tf_rec *r = &v[i];
        if (!given(ctx, r))
            continue; /* a reader would not have it */
        struct obs o = { .t = r->t, .seq = i + 1, .host = r->host };
        o.origin.file = r->file;
        if (r->kind != TF_FRAME)
            o.origin.line = next_line(lines, &nlines, r->file);
        char line[4096];
        switch (r->kind) {
        case TF_EVENT: {
            char name[64];
            int used = 0;
            if (sscanf(r->rest, "%63s %n", name, &used) < 1)
                fail_msg("trace line %u: event NAME [DATA]", r->lineno);
            const char *data = r->rest + used;
            sim_time us = (r->t / 1000) % 1000000, s = r->t / 1000000000;
            if (*data)
                snprintf(line, sizeof(line),
                         "{\"timestamp\": {\"seconds\": %" PRId64 ", \"microseconds\": %" PRId64
                         "}, \"event\": \"%s\", \"data\": %s}",
                         s, us, name, data);
            else
                snprintf(line, sizeof(line),
                         "{\"timestamp\": {\"seconds\": %" PRId64 ", \"microseconds\": %" PRId64
                         "}, \"event\": \"%s\"}",
                         s, us, name);
            feed_qmp(c, &o, line, true, r->lineno);
            break;
        }
        case TF_CMD:
        case TF_REPLY:
            feed_qmp(c, &o, r->rest, false, r->lineno);
            break;
        case TF_GREET:
            feed_qmp(c, &o,
                     "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
                     "\"major\": 7}, \"package\": \"\"}, \"capabilities\": [\"oob\"]}}",
                     false, r->lineno);
            break;
        case TF_CON:
            o.kind = OBS_KLOG;
            o.u.klog.text = r->rest;
            o.u.klog.uptime = r->t - TF_EPOCH;
            klog_classify(&o.u.klog, r->rest);
            check_obs(c, &o);
            break;
        case TF_ERR:
            o.kind = OBS_HOSTLOG;
            o.u.hostlog.text = r->rest;
            check_obs(c, &o);
            break;
        case TF_FRAME:
            o.kind = OBS_FRAME;
            o.origin.line = next_line(lines, &nlines, r->file);
            feed_frame(c, &o, r);
            break;
        case TF_END:
            o.kind = OBS_END;
            o.u.end.truncated = strstr(r->rest, "truncated") != NULL;
            o.u.end.what = "trace";
            check_obs(c, &o);
            ended = true;
            break;
        }
    }
    (void)ended;
    check_finish(c);
    for (size_t i = 0; i < n; i++)
        free(v[i].rest);
    free(v);
    return c;
}

/* ---- Cases ------------------------------------------------------------------------ */

static void dump(const struct check *c, const struct check_result *r)
{
    fprintf(stderr, "    got %s: %s\n", check_verdict_name(r->verdict), r->why);
    check_print_result(c, r, stderr);
}

struct check *tf_run_case(const struct tf_case *tc)
{
    struct check_ctx ctx;
    tf_ctx_default(&ctx);
    if (tc->ctx)
        tc->ctx(&ctx);
    const struct spec_entry *a = spec_lookup(tc->id, NULL);
    if (!a)
        fail_msg("case '%s': no assertion %s in the catalog", tc->what, tc->id);
    struct check *c = tf_check(&ctx, tc->trace, 0);
    const struct check_result *r = check_result_for(c, a->sid);
    if (r->verdict != tc->want) {
        fprintf(stderr, "%s case '%s': want %s\n", tc->id, tc->what,
                check_verdict_name(tc->want));
        dump(c, r);
        enum check_verdict got = r->verdict;
        check_free(c);
        fail_msg("%s case '%s': want %s, got %s", tc->id, tc->what,
                 check_verdict_name(tc->want), check_verdict_name(got));
    }
    if (getenv("TF_VERBOSE"))
        fprintf(stderr, "%-9s %-12s %-45s %s\n", tc->id, check_verdict_name(r->verdict),
                tc->what, r->why);
    if (tc->want == CHECK_FAIL && r->nev == 0) {
        check_free(c);
        fail_msg("%s case '%s': a FAIL without evidence", tc->id, tc->what);
    }
    /* A merge may break same-time ties between files either way: no
     * verdict of any assertion may depend on it. */
    for (unsigned p = 1; p <= 2; p++) {
        struct check *q = tf_check(&ctx, tc->trace, p);
        for (size_t i = 0; i < check_count(c); i++) {
            const struct check_result *x = check_result(c, i), *y = check_result(q, i);
            if (x->verdict != y->verdict) {
                fprintf(stderr, "%s case '%s': permutation %u changes %s: %s -> %s\n", tc->id,
                        tc->what, p, x->a->id, check_verdict_name(x->verdict),
                        check_verdict_name(y->verdict));
                dump(q, y);
                check_free(q);
                check_free(c);
                fail_msg("a same-time reordering changed a verdict");
            }
        }
        check_free(q);
    }
    return c;
}

void tf_run_cases(const struct tf_case *cases, size_t n, const char *id)
{
    size_t ran = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(cases[i].id, id) != 0)
            continue;
        check_free(tf_run_case(&cases[i]));
        ran++;
    }
    if (ran == 0)
        fail_msg("no case for %s", id);
}
