/*
 * The checker's context for a simulated run: what the simulator records and
 * what it knows about the devices, so `fosim run` (and tests) can check a
 * run in memory exactly as `fosim check` checks its recorded bundle.
 *
 * Devices, roles, pairs, netdevs and MACs come from host_nics(); which
 * primaries are hidden at start-up comes from the order of the -device
 * options (a primary is hidden when a failover=on standby of the id it names
 * was realized before it: H-14, H-18).  The simulator writes every source on
 * one clock, so every tolerance is 0.
 */
#include "check.h"

#include <jansson.h>
#include <string.h>

#include "sim/host.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"

/* What -device DRIVER,id=...,failover=on,failover_pair_id=... says. */
struct devopt {
    char id[CHECK_ID_LEN];
    char pair[CHECK_ID_LEN];
    bool failover;
};

static void keyval(struct devopt *d, const char *key, size_t klen, const char *val,
                   size_t vlen)
{
    char v[CHECK_ID_LEN];
    size_t n = vlen < sizeof(v) - 1 ? vlen : sizeof(v) - 1;
    memcpy(v, val, n);
    v[n] = '\0';
    if (klen == 2 && strncmp(key, "id", 2) == 0)
        sim_strlcpy(d->id, v, sizeof(d->id));
    else if (klen == 16 && strncmp(key, "failover_pair_id", 16) == 0)
        sim_strlcpy(d->pair, v, sizeof(d->pair));
    else if (klen == 8 && strncmp(key, "failover", 8) == 0)
        d->failover = strcmp(v, "on") == 0 || strcmp(v, "true") == 0 || strcmp(v, "yes") == 0;
}

/* Parse QEMU's keyval form (",," is a literal comma, not a separator) or
 * the JSON form of a -device argument.  Only the three keys matter here. */
static void parse_device(struct devopt *d, const char *text)
{
    memset(d, 0, sizeof(*d));
    if (text[0] == '{') {
        json_t *j = json_loads(text, 0, NULL);
        const json_t *v;
        if ((v = json_object_get(j, "id")) && json_is_string(v))
            sim_strlcpy(d->id, json_string_value(v), sizeof(d->id));
        if ((v = json_object_get(j, "failover_pair_id")) && json_is_string(v))
            sim_strlcpy(d->pair, json_string_value(v), sizeof(d->pair));
        v = json_object_get(j, "failover");
        d->failover = json_is_true(v) ||
                      (json_is_string(v) && strcmp(json_string_value(v), "on") == 0);
        json_decref(j);
        return;
    }
    const char *p = text;
    bool first = true;
    while (*p) {
        const char *start = p;
        while (*p && !(*p == ',' && p[1] != ',')) {
            if (*p == ',' && p[1] == ',')
                p++;
            p++;
        }
        if (!first) {
            const char *eq = memchr(start, '=', (size_t)(p - start));
            if (eq)
                keyval(d, start, (size_t)(eq - start), eq + 1, (size_t)(p - eq - 1));
        }
        first = false;
        if (*p == ',')
            p++;
    }
}

/* Is primary `id` hidden at start-up on this host: a failover standby of the
 * id it pairs with comes before it among the -device options? */
static bool hidden_at_start(const struct scn_host *sh, const char *id)
{
    char standbys[CHECK_MAX_DEVICES][CHECK_ID_LEN];
    unsigned ns = 0;
    for (size_t i = 0; i + 1 < sh->argv.n; i++) {
        if (strcmp(sh->argv.v[i].text, "-device") != 0)
            continue;
        struct devopt d;
        parse_device(&d, sh->argv.v[i + 1].text);
        if (d.failover && d.id[0] && ns < CHECK_MAX_DEVICES)
            sim_strlcpy(standbys[ns++], d.id, CHECK_ID_LEN);
        if (strcmp(d.id, id) == 0 && d.pair[0]) {
            for (unsigned k = 0; k < ns; k++)
                if (strcmp(standbys[k], d.pair) == 0)
                    return true;
            return false;
        }
    }
    return false;
}

static bool arg_present(const struct scn_host *sh, const char *opt, const char *val)
{
    for (size_t i = 0; i < sh->argv.n; i++) {
        if (strcmp(sh->argv.v[i].text, opt) != 0)
            continue;
        if (!val || (i + 1 < sh->argv.n && strstr(sh->argv.v[i + 1].text, val)))
            return true;
    }
    return false;
}

void check_ctx_from_run(struct check_ctx *ctx, const struct sim_run *run)
{
    const struct scenario *s = run->scn;
    const struct sim_vm *vm = &run->w->vms[0];
    check_ctx_init(ctx);
    sim_strlcpy(ctx->name, s->path ? s->path : s->name, sizeof(ctx->name));
    ctx->t0_set = true;
    ctx->t0 = run->w->epoch;
    ctx->end_covers = true; /* the run records every source until its END */
    const char *profile = s->guest.present && s->guest.profile.text ? s->guest.profile.text
                                                                     : "linux";
    bool os = strcmp(profile, "qtest") != 0 && strcmp(profile, "none") != 0;
    for (int h = 0; h < OBS_NHOSTS; h++) {
        const struct host *host = vm->hosts[h];
        if (!host)
            continue;
        enum obs_host oh = (enum obs_host)h;
        const struct scn_host *sh = &s->hosts[h];
        struct check_host *ch = &ctx->host[h];
        ch->present = true;
        check_ctx_give(ctx, oh, SPEC_SRC_CONFIG);
        check_ctx_give(ctx, oh, SPEC_SRC_QMP);
        check_ctx_give(ctx, oh, SPEC_SRC_QMP_COMMANDS);
        check_ctx_give(ctx, oh, SPEC_SRC_STDERR);
        check_ctx_give(ctx, oh, SPEC_SRC_HOST_PCAP);
        if (os) {
            check_ctx_give(ctx, oh, SPEC_SRC_CONSOLE);
            check_ctx_give(ctx, oh, SPEC_SRC_GUEST_PCAP);
        }
        ch->hotplug = host_native_hotplug(host) ? CHECK_HOTPLUG_NATIVE : CHECK_HOTPLUG_ACPI;
        ch->qtest = strcmp(profile, "qtest") == 0 || arg_present(sh, "-qtest", NULL) ||
                    arg_present(sh, "-accel", "qtest");
        struct host_nic_info nics[CHECK_MAX_DEVICES];
        unsigned n = host_nics(host, nics, CHECK_MAX_DEVICES);
        for (unsigned i = 0; i < n && i < CHECK_MAX_DEVICES; i++) {
            const struct host_nic_info *ni = &nics[i];
            struct check_device *d =
                check_ctx_add_device(ctx, oh, ni->qdev_id ? ni->qdev_id : "", ni->role);
            if (!d)
                break;
            if (ni->role == OBS_ROLE_PRIMARY && ni->pair)
                sim_strlcpy(d->pair, ni->pair, sizeof(d->pair));
            if (ni->netdev)
                sim_strlcpy(d->netdev, ni->netdev, sizeof(d->netdev));
            d->has_mac = ni->has_mac;
            memcpy(d->mac, ni->mac, 6);
            d->hideable = ni->role == OBS_ROLE_PRIMARY && hidden_at_start(sh, d->id);
        }
    }
}

struct check *check_attach_run(struct sim_run *run)
{
    struct check_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return NULL;
    check_ctx_from_run(ctx, run);
    struct check *c = check_new(ctx);
    free(ctx);
    if (c && sim_world_add_sink(run->w, check_sink, c) != 0) {
        check_free(c);
        c = NULL;
    }
    return c;
}

int check_scenario_verdicts(const struct scenario *s, struct sim_err *err)
{
    for (size_t i = 0; i < s->nexpects; i++) {
        const struct scn_expect *e = &s->expects[i];
        if (e->kind != SCN_EXPECT_VERDICT)
            continue;
        const struct scn_arg *id = &e->subject;
        const struct spec_retired *old = NULL;
        if (spec_lookup(id->text, &old))
            continue;
        if (old)
            return sim_errf(err,
                            "%s:%u:%u: expect verdict: %s is retired (%s%s); "
                            "fosim explain %s",
                            id->pos.file, id->pos.line, id->pos.col, old->id,
                            old->replaced_by[0] ? "replaced by " : "no replacement",
                            old->replaced_by, old->id);
        return sim_errf(err,
                        "%s:%u:%u: expect verdict: '%s' is not an assertion of the catalog "
                        "(fosim assertions lists them)",
                        id->pos.file, id->pos.line, id->pos.col, id->text);
    }
    return 0;
}
