/*
 * Recording: a run written with the recorder and read back as a bundle gives
 * the observations the run gave in memory (same kinds, texts, bytes, typed
 * fields, origins and times; every file in its own order; the merged
 * stream in time order); the same run gives a byte-identical bundle; the
 * manifest says whether the run completed.
 *
 * The run here is a scripted world (no host or guest model): each step
 * emits what a model would, at nanosecond instants that are not microsecond
 * aligned, with a guest whose uptime pauses across a migration.  Scenario
 * runs through the real models are checked the same way by the stored
 * bundles of traces/sim (conformance/check-traces.sh).
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "check_bundle.h"
#include "sim/bundle.h"
#include "sim/record.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"

static char tmpdir[64];

#define EPOCH ((sim_time)1764072000 * 1000000000)
#define BOOT (SIM_MS(500) + 333)      /* the guest's uptime 0, world time */
#define DOWNTIME (SIM_MS(310) + 777)  /* uptime does not count this */

enum step_kind { S_QMP, S_KLOG, S_ERR, S_ERR_MORE, S_ETH, S_SLL2 };

struct step {
    sim_time at;
    enum step_kind kind;
    enum obs_host host;
    const char *text;
};

static const struct step script[] = {
    { 0, S_QMP, OBS_SOURCE, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": [\"oob\"]}}" },
    { 0, S_ERR, OBS_SOURCE, "qemu-system-x86_64: warning: netdev hs1 has no peer" },
    { 0, S_QMP, OBS_SOURCE, "{\"execute\": \"qmp_capabilities\", \"id\": \"fosim-1@1764072000.000000\"}" },
    { 0, S_QMP, OBS_SOURCE, "{\"return\": {}, \"id\": \"fosim-1@1764072000.000000\"}" },
    { 0, S_QMP, OBS_TARGET, "{\"QMP\": {\"version\": {\"qemu\": {\"major\": 7}}, \"capabilities\": [\"oob\"]}}" },
    { 0, S_QMP, OBS_TARGET, "{\"execute\": \"qmp_capabilities\", \"id\": \"fosim-2@1764072000.000000\"}" },
    { SIM_MS(900) + 17, S_KLOG, OBS_SOURCE, "virtio_net virtio0 eth0: failover master:eth0 registered" },
    { SIM_MS(900) + 999, S_QMP, OBS_SOURCE, "{\"timestamp\": {\"seconds\": 1764072000, \"microseconds\": 900000}, \"event\": \"FAILOVER_NEGOTIATED\", \"data\": {\"device-id\": \"standby0\"}}" },
    { SIM_MS(901) + 1, S_KLOG, OBS_SOURCE, "virtio_net virtio0 eth0: failover standby slave:eth1 registered" },
    { SIM_MS(1200), S_KLOG, OBS_SOURCE, "virtio_net virtio0 eth0: failover primary slave:eth2 registered" },
    { SIM_MS(1500) + 1, S_ETH, OBS_SOURCE, "out" },
    { SIM_MS(1500) + 2, S_SLL2, OBS_SOURCE, "out" },
    { SIM_MS(1600) + 3, S_ETH, OBS_SOURCE, "in" },
    { SIM_MS(1600) + 4, S_SLL2, OBS_SOURCE, "in" },
    { SIM_S(2), S_QMP, OBS_SOURCE, "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:x\"}, \"id\": \"mine\"}" },
    { SIM_S(2), S_QMP, OBS_SOURCE, "{\"timestamp\": {\"seconds\": 1764072002, \"microseconds\": 0}, \"event\": \"MIGRATION\", \"data\": {\"status\": \"setup\"}}" },
    { SIM_S(2), S_QMP, OBS_SOURCE, "{\"return\": {}, \"id\": \"mine\"}" },
    { SIM_S(2) + 5, S_KLOG, OBS_SOURCE, "pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed" },
    { SIM_S(3) + 5, S_ERR, OBS_SOURCE, "qemu-system-x86_64: warning: something late" },
    { SIM_S(3) + 5, S_ERR_MORE, OBS_SOURCE, "and a hint on the line after it" },
    { SIM_S(7) + 123, S_KLOG, OBS_SOURCE, "virtio_net virtio0 eth0: failover primary slave:eth2 unregistered" },
    { SIM_S(8), S_QMP, OBS_SOURCE, "{\"timestamp\": {\"seconds\": 1764072008, \"microseconds\": 0}, \"event\": \"STOP\"}" },
    { SIM_S(8) + DOWNTIME, S_QMP, OBS_TARGET, "{\"timestamp\": {\"seconds\": 1764072008, \"microseconds\": 310000}, \"event\": \"RESUME\"}" },
    { SIM_S(8) + DOWNTIME + 999, S_KLOG, OBS_TARGET, "pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed" },
    { SIM_S(9) + 1, S_ETH, OBS_TARGET, "out" },
    { SIM_S(9) + 2, S_SLL2, OBS_TARGET, "out" },
};

struct player {
    struct sim_event ev;
    struct sim_vm *vm;
    size_t next;
};

static uint8_t frame_bytes[64];

static void play(struct sim_world *w, struct sim_event *ev)
{
    struct player *p = SIM_CONTAINER_OF(ev, struct player, ev);
    const struct step *s = &script[p->next];
    sim_time up = w->now - BOOT - (s->host == OBS_TARGET ? DOWNTIME : 0);
    struct obs_frame f;
    static uint64_t recs[2][2];
    switch (s->kind) {
    case S_QMP:
        sim_emit_qmp(p->vm, s->host, s->text);
        break;
    case S_KLOG:
        sim_emit_klog(p->vm, s->host, up, s->text);
        break;
    case S_ERR:
        sim_emit_hostlog(p->vm, s->host, s->text);
        break;
    case S_ERR_MORE:
        sim_emit_hostlog_continued(p->vm, s->host, s->text);
        break;
    case S_ETH:
    case S_SLL2: {
        bool out = strcmp(s->text, "out") == 0, sll2 = s->kind == S_SLL2;
        memset(&f, 0, sizeof(f));
        static const uint8_t guest[6] = { 0x52, 0x54, 0x00, 0x11, 0x11, 0x11 };
        static const uint8_t peer[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
        memcpy(frame_bytes, out ? peer : guest, 6);
        memcpy(frame_bytes + 6, out ? guest : peer, 6);
        frame_bytes[12] = 0x08;
        frame_bytes[13] = 0x00;
        for (int i = 14; i < 64; i++)
            frame_bytes[i] = (uint8_t)(i * 7 + p->next);
        f.dir = out ? OBS_DIR_FROM_GUEST : OBS_DIR_TO_GUEST;
        if (sll2) {
            f.point = "guest";
            f.sll2 = true;
            f.ifindex = out ? 4 : 2;
            f.role = out ? OBS_ROLE_PRIMARY : OBS_ROLE_MASTER;
            f.data = frame_bytes + 14;
            f.caplen = f.len = 50;
            memcpy(f.src, out ? guest : peer, 6);
            f.ethertype = 0x0800;
        } else {
            f.point = "primary0";
            f.role = OBS_ROLE_PRIMARY;
            f.data = frame_bytes;
            f.caplen = f.len = 64;
            /* filter-dump: the virtual clock (stopped while the VM is) on the
             * start second */
            f.stamp = EPOCH + up + 987654;
        }
        char file[64];
        snprintf(file, sizeof(file), "%s-%s.pcap", obs_host_name(s->host), f.point);
        sim_emit_frame(p->vm, s->host, &f, file, ++recs[s->host][sll2]);
        break;
    }
    }
    if (++p->next < SIM_ARRAY_SIZE(script))
        sim_schedule_at(w, &p->ev, script[p->next].at);
    else
        memset(recs, 0, sizeof(recs));
}

/* ---- Deep copies of observations ------------------------------------------------ */

struct rec {
    struct obs o;
    char file[64];
    char text[512];
    uint8_t bytes[128];
};

struct cap {
    struct rec *v;
    size_t n, cap;
};

static void cap_sink(void *ctx, const struct obs *o)
{
    struct cap *c = ctx;
    if (o->kind == OBS_STATE)
        return;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->v = realloc(c->v, c->cap * sizeof(*c->v));
        assert_non_null(c->v);
    }
    struct rec *r = &c->v[c->n++];
    memset(r, 0, sizeof(*r));
    r->o = *o;
    sim_strlcpy(r->file, o->origin.file ? o->origin.file : "", sizeof(r->file));
    switch (o->kind) {
    case OBS_QMP_GREETING:
    case OBS_QMP_COMMAND:
    case OBS_QMP_REPLY:
    case OBS_QMP_EVENT:
        sim_strlcpy(r->text, o->u.qmp.line, sizeof(r->text));
        break;
    case OBS_KLOG:
        sim_strlcpy(r->text, o->u.klog.text, sizeof(r->text));
        break;
    case OBS_HOSTLOG:
        sim_strlcpy(r->text, o->u.hostlog.text, sizeof(r->text));
        break;
    case OBS_FRAME:
        sim_strlcpy(r->text, o->u.frame.point, sizeof(r->text));
        assert_true(o->u.frame.caplen <= sizeof(r->bytes));
        memcpy(r->bytes, o->u.frame.data, o->u.frame.caplen);
        break;
    default:
        break;
    }
}

static void same_record(const struct rec *m, const struct rec *b)
{
    const struct obs *x = &m->o, *y = &b->o;
    assert_int_equal(x->kind, y->kind);
    assert_int_equal(x->host, y->host);
    assert_int_equal(x->origin.line, y->origin.line);
    assert_string_equal(m->file, b->file);
    assert_string_equal(m->text, b->text);
    assert_int_equal(x->t_approx, y->t_approx);
    if (x->t_approx)
        assert_true(y->t <= x->t); /* the documented lower bound */
    else
        assert_i64_equal(x->t, y->t);
    switch (x->kind) {
    case OBS_QMP_GREETING:
    case OBS_QMP_COMMAND:
    case OBS_QMP_REPLY:
    case OBS_QMP_EVENT:
        assert_string_equal(x->u.qmp.name, y->u.qmp.name);
        assert_string_equal(x->u.qmp.device_id, y->u.qmp.device_id);
        assert_string_equal(x->u.qmp.status, y->u.qmp.status);
        assert_string_equal(x->u.qmp.id, y->u.qmp.id);
        break;
    case OBS_KLOG:
        assert_i64_equal(x->u.klog.uptime, y->u.klog.uptime);
        assert_int_equal(x->u.klog.kind, y->u.klog.kind);
        assert_string_equal(x->u.klog.ifname, y->u.klog.ifname);
        break;
    case OBS_HOSTLOG:
        assert_int_equal(x->u.hostlog.continuation, y->u.hostlog.continuation);
        break;
    case OBS_FRAME: {
        const struct obs_frame *f = &x->u.frame, *g = &y->u.frame;
        assert_int_equal(f->role, g->role);
        assert_int_equal(f->dir, g->dir);
        assert_int_equal(f->ifindex, g->ifindex);
        assert_int_equal(f->sll2, g->sll2);
        assert_int_equal(f->len, g->len);
        assert_int_equal(f->caplen, g->caplen);
        assert_memory_equal(m->bytes, b->bytes, f->caplen);
        assert_memory_equal(f->src, g->src, 6);
        assert_memory_equal(f->dst, g->dst, 6);
        assert_int_equal(f->ethertype, g->ethertype);
        assert_true(f->flow == g->flow);
        assert_i64_equal(f->stamp ? f->stamp - f->stamp % 1000 : x->t, g->stamp);
        break;
    }
    default:
        break;
    }
}

/* Run the script, recording into dir; the in-memory stream goes to mem. */
static void run_script(const char *dir, struct cap *mem, bool cut)
{
    struct sim_world_config wc = { .seed = 1, .epoch = EPOCH };
    struct sim_world *w = sim_world_new(&wc);
    sim_world_add_vms(w, 1);
    struct sim_run run = { .w = w, .horizon = SIM_TIME_NONE };
    if (mem)
        sim_world_add_sink(w, cap_sink, mem);
    struct recorder *rec;
    struct sim_err err = { "" };
    assert_int_equal(record_open(dir, &run, &rec, &err), 0);
    struct player p = { .vm = &w->vms[0] };
    sim_event_init(&p.ev, play, "script");
    sim_schedule_at(w, &p.ev, script[0].at);
    sim_run_until(w, cut ? SIM_S(5) : SIM_S(60));
    sim_emit_end(w, cut);
    assert_int_equal(record_finish(rec, &err), 0);
    sim_cancel(w, &p.ev);
    sim_world_free(w);
}

static void read_bundle(const char *dir, struct cap *c, struct bundle **out)
{
    struct bundle *b;
    struct sim_err err = { "" };
    if (bundle_open(dir, &b, &err) != 0 || bundle_prepare(b, &err) != 0)
        fail_msg("%s", err.msg);
    struct obs_sink s = { cap_sink, c };
    if (bundle_replay(b, &s, &err) != 0)
        fail_msg("%s", err.msg);
    *out = b;
}

static char *dir_of(const char *name)
{
    static char path[2][256];
    static int k;
    k ^= 1;
    snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
    return path[k];
}

/* Reading the bundle back gives the in-memory observations, file by file,
 * and the merged stream is in time order. */
static void test_bundle_reads_back_as_the_run(void **state)
{
    (void)state;
    struct cap mem = { 0 }, back = { 0 };
    run_script(dir_of("b1"), &mem, false);
    struct bundle *b;
    read_bundle(dir_of("b1"), &back, &b);
    assert_true(b->complete);
    assert_int_equal(mem.n, back.n);
    assert_int_equal(back.v[back.n - 1].o.kind, OBS_END);
    assert_false(back.v[back.n - 1].o.u.end.truncated);
    /* file by file, in order */
    size_t matched = 0;
    for (size_t i = 0; i < mem.n; i++) {
        if (mem.v[i].o.kind == OBS_END)
            continue;
        size_t k_mem = 0, k_back = 0;
        for (size_t j = 0; j < i; j++)
            k_mem += strcmp(mem.v[j].file, mem.v[i].file) == 0;
        size_t j;
        for (j = 0; j < back.n; j++) {
            if (strcmp(back.v[j].file, mem.v[i].file) == 0 && k_back++ == k_mem)
                break;
        }
        if (j == back.n)
            fail_msg("record %zu of %s missing from the bundle", k_mem + 1, mem.v[i].file);
        same_record(&mem.v[i], &back.v[j]);
        matched++;
    }
    assert_int_equal(matched, SIM_ARRAY_SIZE(script));
    for (size_t i = 1; i < back.n; i++)
        assert_true(back.v[i].o.t >= back.v[i - 1].o.t || back.v[i].o.t_approx);
    /* the target console's clock is the source's plus the downtime */
    const struct bundle_file *f = bundle_file_find(b, BUNDLE_CONSOLE, OBS_SOURCE, NULL);
    assert_non_null(f);
    assert_true(f->clock_given);
    assert_int_equal(b->nfiles, 9);
    const struct bundle_file *g = bundle_file_find(b, BUNDLE_CONSOLE, OBS_TARGET, NULL);
    assert_non_null(g);
    sim_time d = clock_map_offset(&g->clock, 1) - clock_map_offset(&f->clock, 1);
    assert_true(d >= DOWNTIME - SIM_US(2) && d <= DOWNTIME + SIM_US(2));
    bundle_free(b);
    free(mem.v);
    free(back.v);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* The same run gives the same bytes, file for file; the files are in the
 * real formats. */
static void test_same_run_same_bytes(void **state)
{
    (void)state;
    run_script(dir_of("x"), NULL, false);
    run_script(dir_of("y"), NULL, false);
    static const char *const files[] = {
        "manifest.json", "source.qmp",          "source-guest.log", "source.stderr",
        "target.qmp",    "target-guest.log",    "source-primary0.pcap",
        "source-guest.pcap", "target-primary0.pcap", "target-guest.pcap",
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(files); i++) {
        char a[300], b[300];
        snprintf(a, sizeof(a), "%s/%s", dir_of("x"), files[i]);
        snprintf(b, sizeof(b), "%s/%s", dir_of("y"), files[i]);
        size_t na, nb;
        char *x = slurp(a, &na), *y = slurp(b, &nb);
        assert_int_equal(na, nb);
        assert_memory_equal(x, y, na);
        if (strcmp(files[i], "source-guest.log") == 0)
            assert_non_null(strstr(x, "[    0.399999] virtio_net virtio0 eth0: failover "
                                      "master:eth0 registered\n"));
        /* -msg timestamp=on stamps a message's first line, not its hint */
        if (strcmp(files[i], "source.stderr") == 0) {
            assert_non_null(strstr(x, "2025-11-25T12:00:00.000000Z qemu-system-x86_64: "
                                      "warning: netdev hs1 has no peer\n"));
            assert_non_null(strstr(x, "Z qemu-system-x86_64: warning: something late\n"
                                      "and a hint on the line after it\n"));
        }
        if (strcmp(files[i], "source.qmp") == 0)
            assert_non_null(strstr(x, "\n{\"execute\": \"migrate\""));
        if (strcmp(files[i], "source-primary0.pcap") == 0)
            assert_int_equal((unsigned char)x[0], 0xd4); /* microseconds, as filter-dump */
        free(x);
        free(y);
    }
}

/* The same scenario recorded twice gives the same bytes in every file. */
static void test_scenario_recording_is_reproducible(void **state)
{
    (void)state;
    static const char *const scn = "traces/sim/scenarios/qtest-migrate.fos";
    char cmd[1200];
    char cwd[512];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof(cmd), "'%s/%s' run --quiet '%s' --record '%s' >/dev/null", cwd,
                 FOSIM_BIN, scn, dir_of(i ? "r2" : "r1"));
        assert_int_equal(system(cmd), 0);
    }
    snprintf(cmd, sizeof(cmd), "diff -r '%s/r1' '%s/r2'", tmpdir, tmpdir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "test -s '%s/r1/source.qmp' && test -s '%s/r1/manifest.json'",
             tmpdir, tmpdir);
    assert_int_equal(system(cmd), 0);
}

/* A recorded file cut at a line or record boundary looks whole: the
 * manifest's "bytes" gives it away, and the check refuses the bundle (exit
 * 2) instead of judging the part that is left. */
static void test_file_cut_after_recording_is_refused(void **state)
{
    (void)state;
    static const char *const scn = "traces/sim/scenarios/qtest-migrate.fos";
    static const char *const cut[] = {
        "head -n -1 '%s/cut/target.qmp' > '%s/x' && cat '%s/x' > '%s/cut/target.qmp'",
        /* a pcap cut after its first record (header 24 + 16 + caplen) */
        "f='%s/cut/target-primary0.pcap' && n=$(od -An -tu4 -j32 -N4 \"$f\") && "
        "head -c $((40 + n)) \"$f\" > '%s/x' && cat '%s/x' > \"$f\" && test -n '%s'",
    };
    char cmd[2048], cwd[512];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cut); i++) {
        snprintf(cmd, sizeof(cmd),
                 "rm -rf '%s/cut' && '%s/%s' run --quiet '%s' --record '%s/cut' >/dev/null && "
                 "'%s/%s' check '%s/cut' >/dev/null 2>&1",
                 tmpdir, cwd, FOSIM_BIN, scn, tmpdir, cwd, FOSIM_BIN, tmpdir);
        assert_int_equal(system(cmd), 0); /* whole, the recording passes */
        snprintf(cmd, sizeof(cmd), cut[i], tmpdir, tmpdir, tmpdir, tmpdir);
        assert_int_equal(system(cmd), 0);
        snprintf(cmd, sizeof(cmd), "'%s/%s' check '%s/cut' >/dev/null 2>'%s/err'", cwd,
                 FOSIM_BIN, tmpdir, tmpdir);
        int rc = system(cmd);
        assert_true(WIFEXITED(rc));
        assert_int_equal(WEXITSTATUS(rc), 2);
        snprintf(cmd, sizeof(cmd),
                 "grep -q 'manifest.json: files\\[[0-9]*\\]: .* bytes, the manifest records "
                 "[0-9]*: the file was cut short' '%s/err'",
                 tmpdir);
        if (system(cmd) != 0) {
            snprintf(cmd, sizeof(cmd), "cat '%s/err' >&2", tmpdir);
            (void)!system(cmd);
            fail_msg("case %zu: no message naming the cut file", i);
        }
    }
}

/* A run cut short is recorded as incomplete; its stream ends truncated. */
static void test_cut_run_is_incomplete(void **state)
{
    (void)state;
    struct cap back = { 0 };
    run_script(dir_of("cut"), NULL, true);
    struct bundle *b;
    read_bundle(dir_of("cut"), &back, &b);
    assert_false(b->complete);
    assert_true(back.v[back.n - 1].o.u.end.truncated);
    bundle_free(b);
    free(back.v);
    /* a directory that is not writable is reported */
    struct sim_world_config wc = { .seed = 1, .epoch = EPOCH };
    struct sim_world *w = sim_world_new(&wc);
    sim_world_add_vms(w, 1);
    struct sim_run run = { .w = w };
    struct recorder *rec;
    struct sim_err err = { "" };
    assert_int_equal(record_open("/proc/fosim/x", &run, &rec, &err), -1);
    assert_true(err.msg[0] != '\0');
    sim_world_free(w);
}


/* ---- Scenarios through the real models: same verdicts, same evidence ------------- */

static void result_text(char *buf, size_t n, const struct check_result *r)
{
    int k = snprintf(buf, n, "%s %s why=[%s] nev=%u checked=%u failed=%u unsure=%u", r->a->id,
                     check_verdict_name(r->verdict), r->why, r->nev, r->checked, r->failed,
                     r->unsure);
    for (unsigned i = 0; i < r->nev && k > 0 && (size_t)k < n; i++) {
        const struct check_evidence *e = &r->ev[i];
        k += snprintf(buf + k, n - (size_t)k, " | ev t=%lld%s host=%d kind=%d %s:%llu [%s]",
                      (long long)e->t, e->t_approx ? "~" : "", e->host, e->kind, e->file,
                      (unsigned long long)e->line, e->seen);
    }
}

/* Run one scenario with the checker in memory and the recorder; check the
 * bundle; every result must be the same, evidence included. */
static unsigned same_verdicts(const char *path, const char *dir)
{
    struct sim_err err = { "" };
    struct scenario *s;
    if (scn_load(path, &s, &err) != 0)
        fail_msg("%s", err.msg);
    struct sim_run_config cfg = { .until = SIM_TIME_NONE };
    struct sim_run *r;
    if (sim_run_new(s, &cfg, &r, &err) != 0) {
        scn_free(s); /* a scenario that is meant to be refused */
        return 0;
    }
    struct check_ctx *ctx = calloc(1, sizeof(*ctx));
    assert_non_null(ctx);
    check_ctx_from_run(ctx, r);
    struct check *mem = check_new(ctx);
    sim_world_add_sink(r->w, check_sink, mem);
    struct recorder *rec;
    if (record_open(dir, r, &rec, &err) != 0)
        fail_msg("%s", err.msg);
    check_ctx_to_bundle(record_manifest(rec), check_context(mem));
    sim_run_go(r);
    if (record_finish(rec, &err) != 0)
        fail_msg("%s: %s", path, err.msg);
    check_finish(mem);

    struct bundle *b;
    if (bundle_open(dir, &b, &err) != 0 || bundle_prepare(b, &err) != 0)
        fail_msg("%s: %s", path, err.msg);
    check_ctx_from_bundle(ctx, b, "bundle");
    struct check *rd = check_new(ctx);
    struct obs_sink sink = { check_sink, rd };
    if (bundle_replay(b, &sink, &err) != 0)
        fail_msg("%s: %s", path, err.msg);
    check_finish(rd);

    assert_int_equal(check_count(mem), check_count(rd));
    unsigned differ = 0;
    static char x[8192], y[8192];
    for (size_t i = 0; i < check_count(mem); i++) {
        result_text(x, sizeof(x), check_result(mem, i));
        result_text(y, sizeof(y), check_result(rd, i));
        if (strcmp(x, y) != 0) {
            print_error("%s:\n  in memory: %s\n  bundle:    %s\n", path, x, y);
            differ++;
        }
    }
    assert_int_equal(check_exit_status(mem), check_exit_status(rd));
    check_free(rd);
    check_free(mem);
    bundle_free(b);
    free(ctx);
    sim_run_free(r);
    scn_free(s);
    return differ;
}

/* Every scenario of the catalog: record it, check the bundle, compare with
 * the check of the run in memory. */
static void test_scenarios_same_verdicts(void **state)
{
    (void)state;
    FILE *p = popen("find conformance/scenarios traces/sim/scenarios -name '*.fos' ! -path '*/include/*' | LC_ALL=C sort",
                    "r");
    assert_non_null(p);
    char path[512];
    unsigned n = 0, differ = 0;
    while (fgets(path, sizeof(path), p)) {
        path[strcspn(path, "\n")] = '\0';
        char dir[600];
        snprintf(dir, sizeof(dir), "%s/s%u", tmpdir, n++);
        differ += same_verdicts(path, dir);
    }
    pclose(p);
    print_message("%u scenarios recorded and checked\n", n);
    assert_true(n > 0);
    assert_int_equal(differ, 0);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/fosim-record-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_bundle_reads_back_as_the_run, setup, teardown),
    cmocka_unit_test_setup_teardown(test_same_run_same_bytes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_scenario_recording_is_reproducible, setup, teardown),
    cmocka_unit_test_setup_teardown(test_cut_run_is_incomplete, setup, teardown),
    cmocka_unit_test_setup_teardown(test_file_cut_after_recording_is_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_scenarios_same_verdicts, setup, teardown),
};

FO_MAIN("record", tests)
