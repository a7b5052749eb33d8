/*
 * Between a bundle's description and the checker's context.
 *
 * `fosim check` turns what a bundle says and what its files showed into a
 * struct check_ctx: which sources were given for each host, the devices and
 * their roles, the hotplug mechanism, and how well each source's clock is
 * aligned with its host's QMP clock.  `fosim run --record` goes the other
 * way, so a recorded bundle carries everything the in-memory check of the
 * same run knew, and checking the bundle gives the same verdicts.
 */
#include "check_bundle.h"

#include <stdlib.h>
#include <string.h>

#include "sim/err.h"

/* The bundle's source names are the checker's: map one to the other. */
static bool spec_source_of(enum bundle_source s, enum spec_source *out)
{
    return spec_source_parse(bundle_source_name(s), out) == 0;
}

static unsigned kind_sources(enum bundle_kind k, const char *point)
{
    switch (k) {
    case BUNDLE_QMP:
        return 1u << BUNDLE_SRC_QMP;
    case BUNDLE_CONSOLE:
        return 1u << BUNDLE_SRC_CONSOLE;
    case BUNDLE_STDERR:
        return 1u << BUNDLE_SRC_STDERR;
    case BUNDLE_PCAP:
        return 1u << (point && strcmp(point, "guest") == 0 ? BUNDLE_SRC_GUEST_PCAP
                                                            : BUNDLE_SRC_HOST_PCAP);
    case BUNDLE_NKINDS:
        break;
    }
    return 0;
}

/* The sources a bundle gives for host h: the manifest's list, else what
 * its files (and their contents) show. */
static unsigned given_sources(const struct bundle *b, enum obs_host h)
{
    if (b->recorded_set[h])
        return b->recorded[h];
    unsigned s = 0;
    for (size_t i = 0; i < b->nfiles; i++) {
        const struct bundle_file *f = &b->files[i];
        if (f->host != h)
            continue;
        s |= kind_sources(f->kind, f->point);
        if (f->kind == BUNDLE_QMP && f->commands > 0)
            s |= 1u << BUNDLE_SRC_QMP_COMMANDS;
    }
    for (size_t i = 0; i < b->ndevs; i++)
        if (b->devs[i].host == h && !b->devs[i].inferred)
            s |= 1u << BUNDLE_SRC_CONFIG;
    return s;
}

/* Alignment of one kind of source of host h with the host's QMP clock. */
static sim_time tolerance(const struct bundle *b, enum obs_host h, enum bundle_source s)
{
    sim_time tol = 0;
    for (size_t i = 0; i < b->nfiles; i++) {
        const struct bundle_file *f = &b->files[i];
        if (f->host != h || !(kind_sources(f->kind, f->point) & (1u << s)))
            continue;
        sim_time t = 0;
        if (f->clock_given)
            t = f->clock.tolerance; /* the manifest's bound, 0 when exact */
        else if (f->clock.estimated)
            t = f->clock.tolerance;
        else if (f->kind == BUNDLE_PCAP)
            t = s == BUNDLE_SRC_GUEST_PCAP ? CHECK_TOL_UNALIGNED : BUNDLE_PCAP_TOLERANCE;
        if (t > tol)
            tol = t;
    }
    return tol;
}

void check_ctx_from_bundle(struct check_ctx *ctx, const struct bundle *b, const char *name)
{
    check_ctx_init(ctx);
    sim_strlcpy(ctx->name, name, sizeof(ctx->name));
    ctx->t0_set = b->epoch_set;
    ctx->t0 = b->epoch;
    /* "complete": every file was closed after the run's end (doc/bundle.md),
     * so each covers the time until the END record (end_ns, or the last
     * record of any file) */
    ctx->end_covers = b->complete;
    ctx->host_skew = b->host_skew_set ? b->host_skew : 0;
    for (int hi = 0; hi < OBS_NHOSTS; hi++) {
        enum obs_host h = (enum obs_host)hi;
        struct check_host *ch = &ctx->host[h];
        unsigned given = given_sources(b, h);
        bool devs = false;
        for (size_t i = 0; i < b->ndevs; i++)
            devs |= b->devs[i].host == h;
        ch->present = given != 0 || devs;
        if (!ch->present)
            continue;
        for (int s = 0; s < BUNDLE_NSOURCES; s++) {
            enum spec_source ss;
            if (!(given >> s & 1) || !spec_source_of((enum bundle_source)s, &ss))
                continue;
            check_ctx_give(ctx, h, ss);
            ch->tolerance[ss] = tolerance(b, h, (enum bundle_source)s);
        }
        ch->hotplug = b->hotplug[h] == BUNDLE_HOTPLUG_NATIVE ? CHECK_HOTPLUG_NATIVE
                      : b->hotplug[h] == BUNDLE_HOTPLUG_ACPI ? CHECK_HOTPLUG_ACPI
                                                             : CHECK_HOTPLUG_UNKNOWN;
        ch->qtest = b->qtest[h];
        for (size_t i = 0; i < b->ndevs; i++) {
            const struct bundle_device *bd = &b->devs[i];
            if (bd->host != h)
                continue;
            struct check_device *d = check_ctx_add_device(ctx, h, bd->id, bd->role);
            if (!d)
                break;
            if (bd->pair)
                sim_strlcpy(d->pair, bd->pair, sizeof(d->pair));
            if (bd->netdev)
                sim_strlcpy(d->netdev, bd->netdev, sizeof(d->netdev));
            d->has_mac = bd->has_mac;
            memcpy(d->mac, bd->mac, 6);
            d->hideable = bd->hideable;
            d->added = bd->added;
        }
    }
}

void check_ctx_to_bundle(struct bundle *b, const struct check_ctx *ctx)
{
    b->epoch_set = ctx->t0_set;
    b->epoch = ctx->t0;
    b->host_skew_set = true;
    b->host_skew = ctx->host_skew;
    for (int hi = 0; hi < OBS_NHOSTS; hi++) {
        const struct check_host *ch = &ctx->host[hi];
        if (!ch->present)
            continue;
        b->recorded_set[hi] = true;
        b->recorded[hi] = 0;
        for (int s = 0; s < BUNDLE_NSOURCES; s++) {
            enum spec_source ss;
            if (spec_source_of((enum bundle_source)s, &ss) && (ch->sources >> ss & 1))
                b->recorded[hi] |= 1u << s;
        }
        b->hotplug[hi] = ch->hotplug == CHECK_HOTPLUG_NATIVE ? BUNDLE_HOTPLUG_NATIVE
                         : ch->hotplug == CHECK_HOTPLUG_ACPI ? BUNDLE_HOTPLUG_ACPI
                                                             : BUNDLE_HOTPLUG_UNKNOWN;
        b->qtest[hi] = ch->qtest;
        for (unsigned i = 0; i < ch->ndev; i++) {
            const struct check_device *d = &ch->dev[i];
            b->devs = sim_xrealloc(b->devs, (b->ndevs + 1) * sizeof(*b->devs));
            struct bundle_device *bd = &b->devs[b->ndevs++];
            memset(bd, 0, sizeof(*bd));
            bd->id = sim_xstrdup(d->id);
            bd->host = (enum obs_host)hi;
            bd->role = d->role;
            bd->pair = d->pair[0] ? sim_xstrdup(d->pair) : NULL;
            bd->netdev = d->netdev[0] ? sim_xstrdup(d->netdev) : NULL;
            bd->has_mac = d->has_mac;
            memcpy(bd->mac, d->mac, 6);
            bd->hideable = d->hideable;
            bd->added = d->added;
            if (!b->guest_mac_set && d->role == OBS_ROLE_STANDBY && d->has_mac) {
                memcpy(b->guest_mac, d->mac, 6);
                b->guest_mac_set = true;
            }
        }
    }
}

struct check *check_bundle_dir(const char *dir, struct sim_err *err)
{
    struct bundle *b = NULL;
    struct check *chk = NULL;
    struct check_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx) {
        sim_errf(err, "%s: out of memory", dir);
        return NULL;
    }
    if (bundle_open(dir, &b, err) != 0 || bundle_prepare(b, err) != 0)
        goto out_free;
    check_ctx_from_bundle(ctx, b, dir);
    chk = check_new(ctx);
    if (!chk) {
        sim_errf(err, "%s: out of memory", dir);
        goto out_free;
    }
    struct obs_sink sink = { check_sink, chk };
    if (bundle_replay(b, &sink, err) != 0) {
        check_free(chk);
        chk = NULL;
        goto out_free;
    }
    check_finish(chk);
out_free:
    bundle_free(b);
    free(ctx);
    return chk;
}
