/*
 * The traffic model against a scripted datapath.
 *
 * This executable supplies its own host and guest (the ten functions the
 * traffic model calls: host_nics, host_nic_find, host_netdev_rx, guest_xmit,
 * ...), so the datapath is exactly what each test scripts: which slave the guest
 * transmits on, whether the primary is plugged or registered, whether the
 * VM runs.  The traffic model is then checked exactly: the records of each
 * capture point (file, number, direction, bytes), the per-path counters,
 * the drop reasons, the blackout, ping accounting, the expectation grammar
 * and the positioned errors of the traffic block.  The real models are
 * exercised end to end by the scenarios in conformance/scenarios/traffic.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/guest.h"
#include "sim/host.h"
#include "sim/pcap_io.h"
#include "sim/scenario.h"
#include "sim/traffic.h"
#include "sim/world.h"

static const uint8_t GMAC[6] = { 0x52, 0x54, 0x00, 0x11, 0x11, 0x11 };
static const uint8_t PMAC[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

/* ---- the scripted host and guest ------------------------------------------------ */

struct host {
    enum obs_host id;
    bool present;
    bool running;
    bool primary_visible;
};

struct guest {
    struct guest_rx_hook hook;
    enum obs_role tx_via;       /* UNKNOWN: no slave ready */
    bool primary_registered;    /* standby RX is dropped (G-45) */
    bool running;
    enum { RX_STACK = 1, RX_NO_DRIVER, RX_SILENT } rx; /* what takes frames in (0: stack) */
};

/* One captured observation, copied. */
struct rec {
    enum obs_host host;
    char file[64];
    uint64_t record;
    char point[32];
    enum obs_role role;
    enum obs_dir dir;
    int32_t ifindex;
    bool sll2;
    uint32_t len, caplen;
    uint8_t data[1600];
    sim_time t, stamp;
    uint64_t flow;
};

struct fx {
    struct sim_world *w;
    struct scenario *s;
    struct host hosts[OBS_NHOSTS];
    struct guest g;
    struct traffic *t;
    struct rec *recs;
    size_t nrecs, cap;
};

static struct fx *cur; /* the fixture the scripted models belong to */

enum obs_host host_id(const struct host *h)
{
    return h->id;
}

bool host_vm_running(const struct host *h)
{
    return h->running;
}

bool host_device_visible(const struct host *h, const char *qdev_id)
{
    return strcmp(qdev_id, "primary0") != 0 || h->primary_visible;
}

unsigned host_nics(const struct host *h, struct host_nic_info *out, unsigned max)
{
    (void)h;
    if (max < 2)
        return 2;
    out[0] = (struct host_nic_info){ .qdev_id = "standby0", .netdev = "hs0",
                                     .role = OBS_ROLE_STANDBY, .pair = "standby0",
                                     .has_mac = true };
    out[1] = (struct host_nic_info){ .qdev_id = "primary0", .netdev = "hs1",
                                     .role = OBS_ROLE_PRIMARY, .pair = "standby0",
                                     .has_mac = true };
    memcpy(out[0].mac, GMAC, 6);
    memcpy(out[1].mac, GMAC, 6);
    return 2;
}

bool host_nic_find(const struct host *h, const char *qdev_id, const char *netdev,
                   struct host_nic_info *out)
{
    struct host_nic_info nics[2];
    unsigned n = host_nics(h, nics, 2);
    for (unsigned i = 0; i < n; i++)
        if ((qdev_id || netdev) && (!qdev_id || strcmp(nics[i].qdev_id, qdev_id) == 0) &&
            (!netdev || strcmp(nics[i].netdev, netdev) == 0)) {
            *out = nics[i];
            return true;
        }
    return false;
}

enum frame_drop host_netdev_rx(struct host *h, const char *netdev, const struct frame *f)
{
    struct guest *g = &cur->g;
    if (!h->running)
        return FRAME_DROP_VM_STOPPED;
    enum obs_role role = strcmp(netdev, "hs1") == 0 ? OBS_ROLE_PRIMARY : OBS_ROLE_STANDBY;
    if (role == OBS_ROLE_PRIMARY && !h->primary_visible)
        return FRAME_DROP_DEVICE_GONE;
    if (g->rx == RX_NO_DRIVER) { /* no interface: the guest cannot name a path */
        g->hook.drop(g->hook.ctx, f, OBS_ROLE_UNKNOWN, FRAME_DROP_NO_DRIVER);
        return FRAME_DROP_NONE;
    }
    if (g->rx == RX_SILENT) /* a model that forgets to say */
        return FRAME_DROP_NONE;
    if (role == OBS_ROLE_STANDBY && g->primary_registered) {
        g->hook.drop(g->hook.ctx, f, role, FRAME_DROP_STANDBY_RX_WITH_PRIMARY);
        return FRAME_DROP_NONE;
    }
    g->hook.fn(g->hook.ctx, f, role);
    return FRAME_DROP_NONE;
}

sim_time guest_uptime(const struct guest *g)
{
    (void)g;
    return cur->w->now;
}

enum frame_drop guest_xmit(struct guest *g, const struct frame *f, enum obs_role *via)
{
    *via = OBS_ROLE_UNKNOWN;
    if (!g->running)
        return FRAME_DROP_VM_STOPPED;
    *via = g->tx_via;
    if (g->tx_via == OBS_ROLE_UNKNOWN)
        return FRAME_DROP_NO_READY_SLAVE;
    bool p = g->tx_via == OBS_ROLE_PRIMARY;
    traffic_netdev_tx(cur->t, &cur->hosts[OBS_SOURCE], p ? "primary0" : "standby0",
                      p ? "hs1" : "hs0", f);
    return FRAME_DROP_NONE;
}

void guest_set_rx_hook(struct guest *g, struct guest_rx_hook hook)
{
    g->hook = hook;
}

unsigned guest_interfaces(const struct guest *g, struct guest_ifinfo *out, unsigned max)
{
    static const struct guest_ifinfo ifs[3] = {
        { .ifindex = 2, .name = "eth0", .role = OBS_ROLE_MASTER, .up = true, .carrier = true },
        { .ifindex = 3, .name = "eth1", .role = OBS_ROLE_STANDBY, .up = true, .carrier = true },
        { .ifindex = 4, .name = "eth2", .role = OBS_ROLE_PRIMARY, .up = true, .carrier = true },
    };
    unsigned n = g->primary_registered ? 3 : 2;
    for (unsigned i = 0; i < n && i < max; i++)
        out[i] = ifs[i];
    return n;
}

/* ---- fixture ----------------------------------------------------------------------- */

static void sink(void *ctx, const struct obs *o)
{
    struct fx *f = ctx;
    if (o->kind != OBS_FRAME)
        return;
    if (f->nrecs == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 64;
        f->recs = realloc(f->recs, f->cap * sizeof(*f->recs));
        assert_non_null(f->recs);
    }
    struct rec *r = &f->recs[f->nrecs++];
    memset(r, 0, sizeof(*r));
    const struct obs_frame *fr = &o->u.frame;
    r->host = o->host;
    snprintf(r->file, sizeof(r->file), "%s", o->origin.file ? o->origin.file : "");
    r->record = o->origin.line;
    snprintf(r->point, sizeof(r->point), "%s", fr->point);
    r->role = fr->role;
    r->dir = fr->dir;
    r->ifindex = fr->ifindex;
    r->sll2 = fr->sll2;
    r->len = fr->len;
    r->caplen = fr->caplen;
    assert_true(fr->caplen <= sizeof(r->data));
    memcpy(r->data, fr->data, fr->caplen);
    r->t = o->t - cur->w->epoch;
    r->stamp = fr->stamp;
    r->flow = fr->flow;
}

static const char HOSTS[] = "host source\n    -M q35\nend\n";

/* Build a fixture from the traffic block and expectations in `text`.
 * Returns 0, or -1 with err from traffic_new (the scenario must parse). */
static int fx_build(struct fx *f, const char *text, struct sim_err *err)
{
    memset(f, 0, sizeof(*f));
    cur = f;
    size_t n = strlen(HOSTS) + strlen(text) + 1;
    char *all = malloc(n);
    assert_non_null(all);
    snprintf(all, n, "%s%s", HOSTS, text);
    struct sim_err perr = { "" };
    int rc = scn_parse_string("t.fos", all, &f->s, &perr);
    free(all);
    if (rc != 0) {
        print_error("scenario does not parse: %s\n", perr.msg);
        fail();
    }
    struct sim_world_config wc = { .seed = 1, .epoch = f->s->epoch };
    f->w = sim_world_new(&wc);
    f->w->scn = f->s;
    sim_world_add_vms(f->w, 1);
    struct sim_vm *vm = &f->w->vms[0];
    f->hosts[OBS_SOURCE] = (struct host){ .id = OBS_SOURCE, .present = true, .running = true,
                                          .primary_visible = true };
    vm->hosts[OBS_SOURCE] = &f->hosts[OBS_SOURCE];
    f->g = (struct guest){ .tx_via = OBS_ROLE_PRIMARY, .primary_registered = true,
                           .running = true };
    vm->guest = &f->g;
    assert_int_equal(sim_world_add_sink(f->w, sink, f), 0);
    f->t = traffic_new(vm, &f->s->traffic, err);
    if (!f->t)
        return -1;
    vm->traffic = f->t;
    return 0;
}

static void fx_free(struct fx *f)
{
    traffic_free(f->t);
    sim_world_free(f->w);
    scn_free(f->s);
    free(f->recs);
    cur = NULL;
}

/* A change of the scripted datapath at a given time. */
struct step {
    struct sim_event ev;
    sim_time at;
    int tx_via;          /* -1: unchanged */
    int primary_visible; /* -1: unchanged */
    int registered;      /* -1: unchanged */
    int running;         /* -1: unchanged */
    int rx;              /* 0 or -1: unchanged, else RX_* */
    const char *migration; /* emit a migration state change to this */
};

static void step_fire(struct sim_world *w, struct sim_event *ev)
{
    struct step *s = SIM_CONTAINER_OF(ev, struct step, ev);
    if (s->tx_via >= 0)
        cur->g.tx_via = (enum obs_role)s->tx_via;
    if (s->primary_visible >= 0)
        cur->hosts[OBS_SOURCE].primary_visible = s->primary_visible;
    if (s->registered >= 0)
        cur->g.primary_registered = s->registered;
    if (s->running >= 0)
        cur->g.running = cur->hosts[OBS_SOURCE].running = s->running;
    if (s->rx > 0)
        cur->g.rx = s->rx;
    if (s->migration)
        sim_emit_state(&w->vms[0], OBS_SOURCE, "migration",
                       strcmp(s->migration, "setup") == 0 ? "none" : "active", s->migration,
                       NULL);
}

static void fx_run(struct fx *f, struct step *steps, size_t nsteps, sim_time until)
{
    for (size_t i = 0; i < nsteps; i++) {
        sim_event_init(&steps[i].ev, step_fire, "step");
        sim_schedule_at(f->w, &steps[i].ev, steps[i].at);
    }
    traffic_start(f->t);
    sim_run_until(f->w, until);
}

/* Evaluate the scenario's i-th expectation: 1 held, 0 failed. */
static int fx_expect(struct fx *f, size_t i, char *why, size_t n)
{
    struct sim_err err = { "" };
    assert_true(i < f->s->nexpects);
    int r = traffic_expect(f->t, &f->s->expects[i], why, n, &err);
    if (r < 0) {
        print_error("expectation %zu malformed: %s\n", i, err.msg);
        fail();
    }
    return r;
}

/* Every expectation of the scenario holds (and it has some). */
static void fx_expect_all(struct fx *f)
{
    assert_true(f->s->nexpects > 0);
    for (size_t i = 0; i < f->s->nexpects; i++) {
        char why[512];
        if (fx_expect(f, i, why, sizeof(why)) != 1) {
            print_error("expect %s -- failed: %s\n", f->s->expects[i].text, why);
            fail();
        }
    }
}

static size_t fx_count(const struct fx *f, const char *file)
{
    size_t n = 0;
    for (size_t i = 0; i < f->nrecs; i++)
        n += strcmp(f->recs[i].file, file) == 0;
    return n;
}

/* The k-th (0-based) record of `file`. */
static const struct rec *fx_rec(const struct fx *f, const char *file, size_t k)
{
    for (size_t i = 0; i < f->nrecs; i++)
        if (strcmp(f->recs[i].file, file) == 0 && k-- == 0)
            return &f->recs[i];
    print_error("%s has no record %zu\n", file, k);
    fail();
    return NULL;
}

static char tmpdir[64];

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

static const char *tpath(const char *name)
{
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/fosim-traffic-XXXXXX");
        assert_non_null(mkdtemp(tmpdir));
        atexit(remove_tmpdir);
    }
    static char buf[256];
    snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
    return buf;
}

/* A frame of n bytes: dst, src, EtherType 0x88b5 (local experimental) and
 * a payload unique to `tag`. */
static void mkframe(uint8_t *b, size_t n, const uint8_t *dst, const uint8_t *src, uint8_t tag)
{
    memcpy(b, dst, 6);
    memcpy(b + 6, src, 6);
    b[12] = 0x88;
    b[13] = 0xb5;
    for (size_t i = 14; i < n; i++)
        b[i] = (uint8_t)(tag * 7 + i);
    b[14] = tag;
}

static uint16_t csum(const uint8_t *p, size_t n, uint32_t sum)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)(p[n - 1] << 8);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* ---- pcap replay through the datapath ---------------------------------------------------- */

/*
 * A pcap of known frames in; the per-path captures and counters out,
 * compared exactly.  The datapath: primary until 3s; then the primary is
 * being unplugged (gone from the host, TX on the standby, still registered
 * in the guest, so standby RX is dropped, G-45) until 3.5s; then standby only.
 */
static void test_pcap_replay_exact(void **state)
{
    (void)state;
    static const uint8_t BCAST[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    static const uint8_t OTHER[6] = { 0x02, 0, 0, 0, 0, 9 };
    struct {
        sim_time ts;      /* in the file */
        const uint8_t *dst, *src;
        size_t len;
        const char *file; /* host capture it must appear in, or NULL */
        enum obs_dir dir;
    } in[] = {
        { SIM_MS(100), PMAC, GMAC, 98, "source-primary0.pcap", OBS_DIR_FROM_GUEST },
        { SIM_MS(200), GMAC, PMAC, 60, "source-primary0.pcap", OBS_DIR_TO_GUEST },
        { SIM_MS(300), OTHER, PMAC, 60, NULL, OBS_DIR_UNKNOWN }, /* not the guest's */
        { SIM_MS(400), BCAST, PMAC, 64, "source-primary0.pcap", OBS_DIR_TO_GUEST },
        { SIM_MS(2200), GMAC, PMAC, 70, "source-standby0.pcap", OBS_DIR_TO_GUEST },
        { SIM_MS(2300), PMAC, GMAC, 1514, "source-standby0.pcap", OBS_DIR_FROM_GUEST },
        { SIM_MS(3000), PMAC, GMAC, 80, "source-standby0.pcap", OBS_DIR_FROM_GUEST },
        { SIM_MS(3100), GMAC, PMAC, 90, "source-standby0.pcap", OBS_DIR_TO_GUEST },
    };
    uint8_t frames[8][1514];
    const char *p = tpath("replay.pcap");
    struct sim_err err = { "" };
    struct pcap_writer *w;
    assert_int_equal(pcap_writer_open(p, PCAP_LINK_ETHERNET, 65535, true, &w, &err), 0);
    for (size_t i = 0; i < 8; i++) {
        mkframe(frames[i], in[i].len, in[i].dst, in[i].src, (uint8_t)(i + 1));
        assert_int_equal(pcap_writer_put(w, SIM_S(1764000000) + in[i].ts, frames[i],
                                         (uint32_t)in[i].len, (uint32_t)in[i].len, &err),
                         0);
    }
    assert_int_equal(pcap_writer_close(w, &err), 0);

    char text[1024];
    snprintf(text, sizeof(text),
             "traffic\n    pcap %s from 900ms\nend\n"
             "expect traffic sent out == 3\n"
             "expect traffic delivered out via primary == 1\n"
             "expect traffic delivered out via standby == 2\n"
             "expect traffic sent in == 4\n"
             "expect traffic delivered in via primary == 2\n"
             "expect traffic delivered in via standby == 1\n"
             "expect traffic dropped in reason standby-rx-while-primary == 1\n"
             "expect traffic dropped in via standby == 1\n"
             "expect traffic lost in == 1\n"
             "expect traffic lost out == 0\n"
             "expect traffic blackout out == 2.2s\n"
             "expect traffic blackout in == 2.7s\n",
             p);
    struct fx f;
    assert_int_equal(fx_build(&f, text, &err), 0);
    struct step steps[] = {
        { .at = SIM_S(3), .tx_via = OBS_ROLE_STANDBY, .primary_visible = 0, .registered = -1,
          .running = -1 },
        { .at = SIM_MS(3500), .tx_via = -1, .primary_visible = -1, .registered = 0,
          .running = -1 },
    };
    fx_run(&f, steps, 2, SIM_S(5));
    fx_expect_all(&f);

    /* host captures: every frame in the right file, in order, unchanged */
    size_t k_primary = 0, k_standby = 0;
    for (size_t i = 0; i < 8; i++) {
        if (!in[i].file)
            continue;
        bool prim = strcmp(in[i].file, "source-primary0.pcap") == 0;
        size_t k = prim ? k_primary++ : k_standby++;
        const struct rec *r = fx_rec(&f, in[i].file, k);
        assert_int_equal(r->record, k + 1);
        assert_string_equal(r->point, prim ? "primary0" : "standby0");
        assert_int_equal(r->role, prim ? OBS_ROLE_PRIMARY : OBS_ROLE_STANDBY);
        assert_int_equal(r->dir, in[i].dir);
        assert_false(r->sll2);
        assert_int_equal(r->len, in[i].len);
        assert_int_equal(r->caplen, in[i].len);
        assert_memory_equal(r->data, frames[i], in[i].len);
        sim_time at = SIM_MS(900) + in[i].ts - SIM_MS(100);
        assert_i64_equal(r->t, at);
        assert_i64_equal(r->stamp, f.w->epoch + at);
    }
    assert_int_equal(fx_count(&f, "source-primary0.pcap"), 3);
    assert_int_equal(fx_count(&f, "source-standby0.pcap"), 4);

    /* the guest's capture: SLL2, each frame on the master and the slave,
     * the G-45 drop on the standby only */
    static const struct {
        size_t frame;
        int32_t ifindex;
        enum obs_dir dir;
    } g[] = {
        { 0, 2, OBS_DIR_FROM_GUEST }, { 0, 4, OBS_DIR_FROM_GUEST },
        { 1, 4, OBS_DIR_TO_GUEST },   { 1, 2, OBS_DIR_TO_GUEST },
        { 3, 4, OBS_DIR_TO_GUEST },   { 3, 2, OBS_DIR_TO_GUEST },
        { 4, 3, OBS_DIR_TO_GUEST },   { 5, 2, OBS_DIR_FROM_GUEST },
        { 5, 3, OBS_DIR_FROM_GUEST }, { 6, 2, OBS_DIR_FROM_GUEST },
        { 6, 3, OBS_DIR_FROM_GUEST }, { 7, 3, OBS_DIR_TO_GUEST },
        { 7, 2, OBS_DIR_TO_GUEST },
    };
    assert_int_equal(fx_count(&f, "source-guest.pcap"), SIM_ARRAY_SIZE(g));
    for (size_t k = 0; k < SIM_ARRAY_SIZE(g); k++) {
        const struct rec *r = fx_rec(&f, "source-guest.pcap", k);
        size_t i = g[k].frame;
        assert_int_equal(r->record, k + 1);
        assert_true(r->sll2);
        assert_string_equal(r->point, "guest");
        assert_int_equal(r->ifindex, g[k].ifindex);
        assert_int_equal(r->role, g[k].ifindex == 2   ? OBS_ROLE_MASTER
                                  : g[k].ifindex == 3 ? OBS_ROLE_STANDBY
                                                      : OBS_ROLE_PRIMARY);
        assert_int_equal(r->dir, g[k].dir);
        assert_int_equal(r->len, in[i].len - 14);
        assert_memory_equal(r->data, frames[i] + 14, in[i].len - 14);
    }
    /* the same frame has the same flow key at both capture points */
    assert_true(fx_rec(&f, "source-guest.pcap", 0)->flow ==
                fx_rec(&f, "source-primary0.pcap", 0)->flow);

    struct traffic_capture_info ci[8];
    unsigned nci = traffic_captures(f.t, ci, 8);
    assert_int_equal(nci, 3);
    assert_string_equal(ci[0].file, "source-standby0.pcap");
    assert_int_equal(ci[0].records, 4);
    assert_string_equal(ci[1].file, "source-primary0.pcap");
    assert_int_equal(ci[1].records, 3);
    assert_string_equal(ci[2].file, "source-guest.pcap");
    assert_int_equal(ci[2].linktype, PCAP_LINK_SLL2);
    fx_free(&f);
}

/* An SLL2 capture replays too: the link layer is rebuilt from the SLL2
 * header (direction from the packet type), and `ifindex` keeps one
 * interface of a tcpdump -i any capture, which holds each frame twice. */
static void test_sll2_replay(void **state)
{
    (void)state;
    const char *p = tpath("any.pcap");
    struct sim_err err = { "" };
    struct pcap_writer *w;
    assert_int_equal(pcap_writer_open(p, PCAP_LINK_SLL2, 65535, false, &w, &err), 0);
    for (int i = 0; i < 6; i++) {
        uint8_t rec[20 + 50];
        memset(rec, 0, sizeof(rec));
        rec[0] = 0x08; /* IPv4 */
        rec[7] = (uint8_t)(i % 2 ? 3 : 2);   /* ifindex 2 (master) or 3 */
        rec[9] = 1;
        rec[10] = i < 4 ? 4 : 0;           /* outgoing, then to us */
        rec[11] = 6;
        memcpy(rec + 12, i < 4 ? GMAC : PMAC, 6);
        rec[20] = 0x45;
        rec[21] = (uint8_t)i;
        assert_int_equal(pcap_writer_put(w, SIM_S(100) + SIM_MS(10) * (i / 2), rec, sizeof(rec),
                                         sizeof(rec), &err),
                         0);
    }
    assert_int_equal(pcap_writer_close(w, &err), 0);
    char text[512];
    snprintf(text, sizeof(text),
             "traffic\n    pcap %s ifindex 2 speed 0.5\nend\n"
             "expect traffic sent out == 2\nexpect traffic sent in == 1\n"
             "expect traffic delivered in via primary == 1\n",
             p);
    struct fx f;
    assert_int_equal(fx_build(&f, text, &err), 0);
    fx_run(&f, NULL, 0, SIM_S(1));
    fx_expect_all(&f);
    /* speed 0.5: 10 ms apart in the file, 20 ms apart in the run */
    const struct rec *r0 = fx_rec(&f, "source-primary0.pcap", 0);
    const struct rec *r1 = fx_rec(&f, "source-primary0.pcap", 1);
    const struct rec *r2 = fx_rec(&f, "source-primary0.pcap", 2);
    assert_i64_equal(r0->t, 0);
    assert_i64_equal(r1->t, SIM_MS(20));
    assert_i64_equal(r2->t, SIM_MS(40));
    assert_int_equal(r0->dir, OBS_DIR_FROM_GUEST);
    assert_memory_equal(r0->data, PMAC, 6);
    assert_memory_equal(r0->data + 6, GMAC, 6);
    assert_int_equal(r2->dir, OBS_DIR_TO_GUEST);
    assert_memory_equal(r2->data, GMAC, 6);
    assert_memory_equal(r2->data + 6, PMAC, 6);
    assert_int_equal(r2->data[12], 0x08);
    assert_int_equal(r2->data[15], 4); /* the payload after the new header */
    assert_int_equal(r2->len, 64);
    fx_free(&f);
}

/* A real filter-dump capture (conformance/data/README.md) replayed through
 * the primary: every record is re-captured on the primary's netdev byte for
 * byte at its relative time, 44 out and 38 in (counted with tcpdump -e). */
static void test_real_capture_replay(void **state)
{
    (void)state;
    const char *p = "conformance/data/real-ping-source-primary0.pcap";
    struct sim_err err = { "" };
    struct fx f;
    char text[512];
    snprintf(text, sizeof(text),
             "traffic\n    pcap %s from 2s\nend\n"
             "expect traffic sent out == 44\n"
             "expect traffic delivered out via primary == 44\n"
             "expect traffic sent in == 38\n"
             "expect traffic delivered in via primary == 38\n",
             p);
    assert_int_equal(fx_build(&f, text, &err), 0);
    fx_run(&f, NULL, 0, SIM_S(10));
    fx_expect_all(&f);
    assert_int_equal(fx_count(&f, "source-primary0.pcap"), 82);
    struct pcap_reader *r;
    assert_int_equal(pcap_reader_open(p, &r, &err), 0);
    struct pcap_rec rec;
    sim_time first = SIM_TIME_NONE;
    for (size_t k = 0; k < 82; k++) {
        assert_int_equal(pcap_reader_next(r, &rec, &err), 1);
        if (first == SIM_TIME_NONE)
            first = rec.t;
        const struct rec *x = fx_rec(&f, "source-primary0.pcap", k);
        assert_i64_equal(x->t, SIM_S(2) + rec.t - first);
        assert_int_equal(x->len, rec.len);
        assert_int_equal(x->caplen, rec.caplen);
        assert_memory_equal(x->data, rec.data, rec.caplen);
        bool from_guest = memcmp(rec.data + 6, GMAC, 6) == 0;
        assert_int_equal(x->dir, from_guest ? OBS_DIR_FROM_GUEST : OBS_DIR_TO_GUEST);
    }
    assert_int_equal(pcap_reader_next(r, &rec, &err), 0);
    pcap_reader_close(r);
    fx_free(&f);
}

/* ---- ping ------------------------------------------------------------------------------------------- */

/*
 * ping: requests from the guest's MAC/IP to the peer, which answers on the
 * netdev the request left through 30 us later.  While the VM is stopped the
 * ping process is frozen (no request, no sequence number used); replies
 * that come back on the standby while the primary is registered are lost
 * (G-45), as in the real recording of a migration with ping.
 */
static void test_ping(void **state)
{
    (void)state;
    struct sim_err err = { "" };
    struct fx f;
    assert_int_equal(fx_build(&f,
                              "traffic\n    ping 10.0.2.2 every 200ms from 1s to 4s\nend\n"
                              "expect traffic ping requests == 13\n"
                              "expect traffic ping replies == 10\n"
                              "expect traffic ping lost == 3\n"
                              "expect traffic ping gap == 800ms\n"
                              "expect traffic dropped in reason standby-rx-while-primary == 3\n"
                              "expect traffic delivered out via standby == 3\n",
                              &err),
                     0);
    struct step steps[] = {
        { .at = SIM_MS(1950), .tx_via = -1, .primary_visible = -1, .registered = -1,
          .running = 0 },
        { .at = SIM_MS(2450), .tx_via = -1, .primary_visible = -1, .registered = -1,
          .running = 1 },
        { .at = SIM_MS(3150), .tx_via = OBS_ROLE_STANDBY, .primary_visible = -1,
          .registered = -1, .running = -1 },
        { .at = SIM_MS(3700), .tx_via = OBS_ROLE_PRIMARY, .primary_visible = -1,
          .registered = -1, .running = -1 },
    };
    fx_run(&f, steps, 4, SIM_S(5));
    fx_expect_all(&f);

    /* request 0 and its reply, byte by byte */
    const struct rec *q = fx_rec(&f, "source-primary0.pcap", 0);
    const struct rec *a = fx_rec(&f, "source-primary0.pcap", 1);
    assert_i64_equal(q->t, SIM_S(1));
    assert_i64_equal(a->t, SIM_S(1) + SIM_US(30));
    assert_int_equal(q->dir, OBS_DIR_FROM_GUEST);
    assert_int_equal(a->dir, OBS_DIR_TO_GUEST);
    assert_int_equal(q->len, 98); /* 14 + 20 + 8 + 56, as ping sends */
    assert_memory_equal(q->data, PMAC, 6);
    assert_memory_equal(q->data + 6, GMAC, 6);
    assert_memory_equal(a->data, GMAC, 6);
    assert_memory_equal(a->data + 6, PMAC, 6);
    static const uint8_t ips[8] = { 10, 0, 2, 15, 10, 0, 2, 2 };
    assert_memory_equal(q->data + 26, ips, 8);
    assert_memory_equal(a->data + 26, ips + 4, 4);
    assert_memory_equal(a->data + 30, ips, 4);
    assert_int_equal(q->data[34], 8); /* echo request */
    assert_int_equal(a->data[34], 0); /* echo reply */
    assert_int_equal(csum(q->data + 14, 20, 0), 0);
    assert_int_equal(csum(a->data + 14, 20, 0), 0);
    assert_int_equal(csum(q->data + 34, 64, 0), 0);
    assert_int_equal(csum(a->data + 34, 64, 0), 0);
    assert_memory_equal(q->data + 38, a->data + 38, 60); /* id, seq, data echoed */
    assert_true(q->flow != a->flow);

    /* sequence numbers are consecutive across the stop */
    for (size_t k = 0; k < 13; k++) {
        size_t i;
        const struct rec *r = NULL;
        size_t seen = 0;
        for (i = 0; i < f.nrecs; i++) {
            const struct rec *x = &f.recs[i];
            if (x->sll2 || x->dir != OBS_DIR_FROM_GUEST)
                continue;
            if (seen++ == k) {
                r = x;
                break;
            }
        }
        assert_non_null(r);
        assert_int_equal(r->data[40] << 8 | r->data[41], k);
    }
    char why[256];
    assert_int_equal(fx_expect(&f, 3, why, sizeof(why)), 1);
    assert_non_null(strstr(why, "800ms (1.80003s..2.60003s)"));
    fx_free(&f);
}

/* ---- generators and the host network's path --------------------------------------------------- */

/* generate in: frames for the guest's MAC arrive on the primary's netdev
 * while the primary is plugged, on the standby's after; to a stopped VM
 * they are lost.  generate out: UDP with a correct checksum, frozen with
 * the VM.  The blackout is the stop. */
static void test_generate_paths_and_blackout(void **state)
{
    (void)state;
    struct sim_err err = { "" };
    struct fx f;
    assert_int_equal(
        fx_build(&f,
                 "traffic\n"
                 "    generate in rate 10/s size 100 from 1s to 3s\n"
                 "    generate out rate 100/s size 1514 from 1s to 1.05s peer 02:00:00:00:00:07\n"
                 "end\n"
                 "expect traffic sent in == 21\n"
                 "expect traffic delivered in via primary == 10\n"
                 "expect traffic delivered in via standby == 6\n"
                 "expect traffic dropped in reason vm-stopped == 5\n"
                 "expect traffic dropped in via standby reason vm-stopped == 5\n"
                 "expect traffic lost in == 5\n"
                 "expect traffic blackout in == 600ms\n"
                 "expect traffic blackout in < 601ms\n"
                 "expect traffic blackout in > 1s\n"
                 "expect traffic sent out == 6\n"
                 "expect traffic delivered out == 6\n",
                 &err),
        0);
    struct step steps[] = {
        { .at = SIM_MS(1950), .tx_via = OBS_ROLE_STANDBY, .primary_visible = 0,
          .registered = 0, .running = -1 },
        { .at = SIM_MS(2050), .tx_via = -1, .primary_visible = -1, .registered = -1,
          .running = 0 },
        { .at = SIM_MS(2550), .tx_via = -1, .primary_visible = -1, .registered = -1,
          .running = 1 },
    };
    fx_run(&f, steps, 3, SIM_S(4));
    assert_int_equal(f.s->nexpects, 11); /* the 9th must fail, the others hold */
    for (size_t i = 0; i < f.s->nexpects; i++) {
        char why[256];
        int want = i == 8 ? 0 : 1;
        if (fx_expect(&f, i, why, sizeof(why)) != want) {
            print_error("%s: %s\n", f.s->expects[i].text, why);
            fail();
        }
    }
    const struct rec *r = fx_rec(&f, "source-primary0.pcap", 1); /* the first UDP out */
    assert_int_equal(r->dir, OBS_DIR_FROM_GUEST);
    assert_int_equal(r->len, 1514);
    static const uint8_t peer[6] = { 2, 0, 0, 0, 0, 7 };
    assert_memory_equal(r->data, peer, 6);
    assert_int_equal(r->data[23], 17);
    uint8_t pseudo[12] = { 10, 0, 2, 15, 10, 0, 2, 2, 0, 17, 0x05, 0xc8 };
    uint32_t s = 0;
    for (int i = 0; i < 12; i += 2)
        s += (uint32_t)(pseudo[i] << 8 | pseudo[i + 1]);
    assert_int_equal(csum(r->data + 34, 1480, s), 0);
    assert_memory_equal(r->data + 42, "fosim", 5);
    fx_free(&f);
}

/* A frame the guest drops before any interface exists (no driver) counts
 * on the path the network chose; a frame neither delivered nor dropped is
 * unaccounted, and the measure says so. */
static void test_no_driver_and_unaccounted(void **state)
{
    (void)state;
    struct sim_err err = { "" };
    struct fx f;
    assert_int_equal(fx_build(&f,
                              "traffic\n    generate in rate 10/s size 100 from 1s to 2.9s\nend\n"
                              "expect traffic sent in == 20\n"
                              "expect traffic dropped in via primary reason no-driver == 5\n"
                              "expect traffic dropped in via standby reason no-driver == 5\n"
                              "expect traffic delivered in == 5\n"
                              "expect traffic unaccounted in == 5\n"
                              "expect traffic unaccounted in == 0\n",
                              &err),
                     0);
    struct step steps[] = {
        { .at = SIM_MS(950), .tx_via = -1, .primary_visible = 1, .registered = -1,
          .running = -1, .rx = RX_NO_DRIVER },
        { .at = SIM_MS(1450), .tx_via = -1, .primary_visible = 0, .registered = -1,
          .running = -1, .rx = -1 },
        { .at = SIM_MS(1950), .tx_via = -1, .primary_visible = -1, .registered = 0,
          .running = -1, .rx = RX_STACK },
        { .at = SIM_MS(2450), .tx_via = -1, .primary_visible = -1, .registered = -1,
          .running = -1, .rx = RX_SILENT },
    };
    fx_run(&f, steps, SIM_ARRAY_SIZE(steps), SIM_S(4));
    static const int want[] = { 1, 1, 1, 1, 1, 0 };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(want); i++) {
        char why[256];
        if (fx_expect(&f, i, why, sizeof(why)) != want[i]) {
            print_error("%s: %s\n", f.s->expects[i].text, why);
            fail();
        }
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    traffic_report(f.t, out);
    fclose(out);
    assert_non_null(strstr(buf, "primary no-driver 5, standby no-driver 5), 5 unaccounted"));
    free(buf);
    fx_free(&f);
}

/* Per migration: traffic from a migration's start on is counted apart, and
 * the gap that straddles the start belongs to the migration. */
static void test_migration_periods(void **state)
{
    (void)state;
    struct sim_err err = { "" };
    struct fx f;
    assert_int_equal(fx_build(&f,
                              "traffic\n    generate in rate 10/s size 60 from 1s to 4s\nend\n"
                              "expect traffic delivered in == 27\n"
                              "expect traffic delivered in migration 1 == 14\n"
                              "expect traffic blackout in migration 1 == 500ms\n"
                              "expect traffic blackout in migration 2 == 0s\n",
                              &err),
                     0);
    struct step steps[] = {
        { .at = SIM_MS(2350), .tx_via = -1, .primary_visible = -1, .registered = -1,
          .running = 0 },
        { .at = SIM_MS(2300), .tx_via = -1, .primary_visible = -1, .registered = -1,
          .running = -1, .migration = "setup" },
        { .at = SIM_MS(2750), .tx_via = -1, .primary_visible = -1, .registered = -1,
          .running = 1, .migration = "completed" },
    };
    fx_run(&f, steps, 3, SIM_S(5));
    char why[256];
    assert_int_equal(fx_expect(&f, 0, why, sizeof(why)), 1);
    assert_int_equal(fx_expect(&f, 1, why, sizeof(why)), 1);
    assert_int_equal(fx_expect(&f, 2, why, sizeof(why)), 1);
    assert_int_equal(fx_expect(&f, 3, why, sizeof(why)), 0);
    assert_non_null(strstr(why, "no migration 2"));
    struct traffic_blackout b;
    assert_true(traffic_blackout(f.t, TRAFFIC_IN, 1, &b));
    assert_i64_equal(b.len, SIM_MS(500));
    assert_i64_equal(b.from, SIM_MS(2300));
    assert_i64_equal(b.to, SIM_MS(2800));
    assert_false(b.open);
    assert_true(traffic_blackout(f.t, TRAFFIC_IN, 0, &b));
    assert_i64_equal(b.len, SIM_MS(500));
    assert_false(traffic_blackout(f.t, TRAFFIC_IN, 2, &b));
    fx_free(&f);
}

/* ---- expectations: held, failed, malformed ------------------------------------------------------ */

static void test_expect_results(void **state)
{
    (void)state;
    struct sim_err err = { "" };
    struct fx f;
    assert_int_equal(fx_build(&f,
                              "traffic\n    generate out rate 10/s size 60 from 0s to 900ms\nend\n"
                              "expect traffic sent out == 10\n"
                              "expect traffic sent out != 10\n"
                              "expect traffic delivered out via primary >= 10\n"
                              "expect traffic delivered out via primary > 10\n"
                              "expect traffic delivered out via standby <= 0\n"
                              "expect traffic dropped out < 1\n"
                              "expect traffic lost out == 1\n"
                              "expect traffic blackout out <= 100ms\n"
                              "expect traffic captured source-primary0.pcap out == 10\n"
                              "expect traffic captured source-primary0.pcap in == 0\n"
                              "expect traffic captured source-guest.pcap == 20\n"
                              "expect traffic captured source-standby0.pcap > 0\n"
                              "expect traffic captured target-guest.pcap == 0\n",
                              &err),
                     0);
    fx_run(&f, NULL, 0, SIM_S(1));
    static const int want[] = { 1, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 0, 1 };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(want); i++) {
        char why[256];
        assert_int_equal(fx_expect(&f, i, why, sizeof(why)), want[i]);
        if (i == 6)
            assert_string_equal(why, "0");
    }
    fx_free(&f);
}

/* Every malformed statement is refused before the run, at its position. */
static void test_malformed(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        { "traffic\n    flood 10.0.2.2\nend\n", "t.fos:5:5: expected a workload" },
        { "traffic\n    ping\nend\n", "t.fos:5:5: expected ping ADDR" },
        { "traffic\n    ping 10.0.2.300\nend\n", "t.fos:5:10: expected an IPv4 address" },
        { "traffic\n    ping 10.0.2.2 every\nend\n", "t.fos:5:24: expected a value after 'every'" },
        { "traffic\n    ping 10.0.2.2 every 0\nend\n", "t.fos:5:25: ping interval below 1ms" },
        { "traffic\n    ping 10.0.2.2 every soon\nend\n", "t.fos:5:25: expected a time" },
        { "traffic\n    ping 10.0.2.2 size 9000\nend\n", "t.fos:5:24: expected ICMP data bytes" },
        { "traffic\n    ping 10.0.2.2 from 1s from 2s\nend\n", "t.fos:5:27: 'from' given twice" },
        { "traffic\n    ping 10.0.2.2 from 3s to 2s\nend\n", "t.fos:5:5: the workload ends" },
        { "traffic\n    ping 10.0.2.2 loud\nend\n", "t.fos:5:19: unexpected 'loud'" },
        { "traffic\n    generate sideways rate 1/s size 60\nend\n",
          "t.fos:5:14: expected out or in" },
        { "traffic\n    generate out rate 10 size 60\nend\n",
          "t.fos:5:23: expected a rate such as 100/s" },
        { "traffic\n    generate out rate 0/s size 60\nend\n", "t.fos:5:23: expected frames per second" },
        { "traffic\n    generate out rate 10/s size 59\nend\n", "t.fos:5:33: expected frame bytes" },
        { "traffic\n    generate out rate 10/s\nend\n", "t.fos:5:27: expected generate" },
        { "traffic\n    generate in rate 1/s size 60 peer 52:55\nend\n",
          "t.fos:5:39: expected a MAC address" },
        { "traffic\n    pcap /nonexistent/x.pcap\nend\n",
          "t.fos:5:10: pcap: /nonexistent/x.pcap: cannot open" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic sideways out == 1\n",
          "t.fos:7:16: unknown traffic measure 'sideways'" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic sent == 1\n",
          "t.fos:7:21: expected a direction" },
        { "traffic\n    generate out rate 1/s size 60\nend\nexpect traffic blackout in < 1s\n",
          "t.fos:7:25: no workload sends frames in" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic sent out via primary == 1\n",
          "t.fos:7:25: unexpected 'via'" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic dropped out reason bored == 1\n",
          "t.fos:7:35: unknown drop reason 'bored'" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic dropped out via space == 1\n",
          "t.fos:7:32: expected primary, standby, other or none" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic blackout out < many\n",
          "t.fos:7:31: expected a time" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic sent out == -1\n",
          "t.fos:7:28: expected a count" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic sent out == 1 2\n",
          "t.fos:7:30: unexpected '2' after the value" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic sent out\n",
          "t.fos:7:24: expected a comparison" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic ping echoes == 1\n",
          "t.fos:7:21: expected requests, replies, lost or gap" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic ping lost migration 1 == 0\n",
          "t.fos:7:26: unexpected 'migration'" },
        { "traffic\n    generate out rate 1/s size 60\nend\nexpect traffic ping lost == 0\n",
          "t.fos:7:1: 'expect traffic ping ...' but the traffic block has no ping" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic captured primary0.pcap == 0\n",
          "t.fos:7:25: expected a capture file such as source-primary0.pcap" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic captured\n",
          "t.fos:7:16: expected a capture file after 'captured'" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic captured source-guest.pcap via primary == 0\n",
          "t.fos:7:43: unexpected 'via'" },
        { "traffic\n    ping 10.0.2.2\nend\nexpect traffic sent out migration 0 == 0\n",
          "t.fos:7:35: expected a migration number" },
    };
    int bad = 0;
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        struct sim_err err = { "" };
        struct fx f;
        int rc = fx_build(&f, cases[i].text, &err);
        if (rc == 0 || !strstr(err.msg, cases[i].msg)) {
            print_error("case %zu: %s\n  got: %s\n  wanted: %s\n", i, cases[i].text,
                        rc == 0 ? "(accepted)" : err.msg, cases[i].msg);
            bad++;
        }
        fx_free(&f);
    }
    assert_int_equal(bad, 0);
}

/* A bad pcap is refused before the run, naming the scenario line, the file
 * and the record -- never replayed in part. */
static void test_bad_pcap_refused(void **state)
{
    (void)state;
    const char *p = tpath("bad.pcap");
    struct sim_err err = { "" };
    struct pcap_writer *w;
    assert_int_equal(pcap_writer_open(p, PCAP_LINK_ETHERNET, 65535, false, &w, &err), 0);
    uint8_t frame[60] = { 0 };
    assert_int_equal(pcap_writer_put(w, SIM_S(1), frame, 60, 60, &err), 0);
    assert_int_equal(pcap_writer_put(w, SIM_S(2), frame, 60, 60, &err), 0);
    assert_int_equal(pcap_writer_close(w, &err), 0);
    assert_int_equal(truncate(p, 24 + 76 + 30), 0);
    char text[512], want[512];
    snprintf(text, sizeof(text), "traffic\n    pcap %s\nend\n", p);
    struct fx f;
    assert_int_equal(fx_build(&f, text, &err), -1);
    snprintf(want, sizeof(want), "t.fos:5:10: pcap: %s: record 2 at byte offset 100: truncated",
             p);
    if (!strstr(err.msg, want)) {
        print_error("got %s\nwanted %s\n", err.msg, want);
        fail();
    }
    fx_free(&f);
}

/* ---- through fosim run ------------------------------------------------------------------------ */

/* Write `n` bytes as a file. */
static void put_file(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

static void le32w(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A classic pcap: file header, then records of `caplen` bytes declaring
 * `declared` bytes (all the same), `keep` bytes of the whole kept. */
static size_t mk_pcap(uint8_t *b, uint32_t magic, uint32_t snaplen, uint32_t linktype,
                      int nrec, uint32_t caplen, uint32_t declared)
{
    memset(b, 0, 24);
    le32w(b, magic);
    b[4] = 2;
    b[6] = 4;
    le32w(b + 16, snaplen);
    le32w(b + 20, linktype);
    size_t n = 24;
    for (int i = 0; i < nrec; i++) {
        le32w(b + n, 1000 + (uint32_t)i);
        le32w(b + n + 4, 0);
        le32w(b + n + 8, declared);
        le32w(b + n + 12, declared);
        n += 16;
        mkframe(b + n, caplen < 14 ? 14 : caplen, PMAC, GMAC, (uint8_t)i);
        n += caplen;
    }
    return n;
}

/* Every kind of bad capture makes `fosim run` stop before the run with
 * exit status 2 and one line naming the scenario line, the file and the
 * record or byte offset; nothing of a result is printed. */
static void test_cli_bad_pcap_exit_2(void **state)
{
    (void)state;
    static uint8_t b[4096];
    static const char *const msgs[6] = {
        "record 2 at byte offset 100: truncated record",
        "byte offset 0: not a pcap file",
        "record 1 at byte offset 24: caplen 100 exceeds the file's snaplen of 64",
        "record 1 at byte offset 24: record length out of bounds",
        "link type 113 (LINUX_SLL) is not supported",
        "cannot open: No such file or directory",
    };
    const size_t nc = 6;
    char dir[256], cmd[1536], out[4096];
    snprintf(dir, sizeof(dir), "%s", tpath(""));
    /* 0: the second record cut short */
    size_t n = mk_pcap(b, 0xa1b2c3d4, 65535, 1, 2, 60, 60);
    put_file(tpath("bad0.pcap"), b, n - 20);
    /* 1: not a pcap at all */
    put_file(tpath("bad1.pcap"), "{\"QMP\": {}}\n", 12);
    /* 2: caplen beyond the snaplen */
    n = mk_pcap(b, 0xa1b2c3d4, 64, 1, 1, 100, 100);
    put_file(tpath("bad2.pcap"), b, n);
    /* 3: a 2 GiB record */
    n = mk_pcap(b, 0xa1b2c3d4, 65535, 1, 1, 60, 0x7fffffff);
    put_file(tpath("bad3.pcap"), b, n);
    /* 4: Linux cooked capture v1 */
    n = mk_pcap(b, 0xa1b2c3d4, 65535, 113, 1, 60, 60);
    put_file(tpath("bad4.pcap"), b, n);
    /* 5: no such file (bad99.pcap) */

    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    for (size_t i = 0; i < nc; i++) {
        char scn[512];
        snprintf(scn, sizeof(scn), "%ss%zu.fos", dir, i);
        FILE *fp = fopen(scn, "w");
        assert_non_null(fp);
        fprintf(fp, "scenario bad-pcap\n"
                    "host source\n"
                    "    -M q35 -m 256 -nodefaults\n"
                    "    -netdev user,id=hs0\n"
                    "    -device virtio-net-pci,netdev=hs0,id=standby0,mac=52:54:00:11:11:11\n"
                    "end\n"
                    "traffic\n"
                    "    ping 10.0.2.2\n"
                    "    pcap bad%zu.pcap from 1s\n"
                    "end\n"
                    "expect traffic sent out >= 0\n",
                i == 5 ? (size_t)99 : i);
        assert_int_equal(fclose(fp), 0);
        snprintf(cmd, sizeof(cmd), "'%s/%s' run '%s' 2>&1", cwd, FOSIM_BIN, scn);
        FILE *pp = popen(cmd, "r");
        assert_non_null(pp);
        size_t got = fread(out, 1, sizeof(out) - 1, pp);
        out[got] = '\0';
        int st = pclose(pp);
        char want[1024];
        snprintf(want, sizeof(want), "fosim: %s:9:10: pcap: %sbad%zu.pcap: %s", scn, dir,
                 i == 5 ? (size_t)99 : i, msgs[i]);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 2 || !strstr(out, want) ||
            strstr(out, "expectation")) {
            print_error("case %zu: status %d, output:\n%s\nwanted exit 2 and: %s\n", i,
                        WIFEXITED(st) ? WEXITSTATUS(st) : -1, out, want);
            fail();
        }
    }
}

/* Same scenario, same seed: the same records, byte for byte. */
static void test_deterministic(void **state)
{
    (void)state;
    struct rec *first = NULL;
    size_t nfirst = 0;
    for (int run = 0; run < 2; run++) {
        struct sim_err err = { "" };
        struct fx f;
        assert_int_equal(fx_build(&f,
                                  "traffic\n    ping 10.0.2.2 every 100ms\n"
                                  "    generate in rate 50/s size 200\nend\n",
                                  &err),
                         0);
        fx_run(&f, NULL, 0, SIM_S(2));
        if (run == 0) {
            first = f.recs;
            nfirst = f.nrecs;
            f.recs = NULL;
        } else {
            assert_int_equal(f.nrecs, nfirst);
            assert_memory_equal(f.recs, first, nfirst * sizeof(*first));
        }
        fx_free(&f);
    }
    free(first);
}

static void test_report(void **state)
{
    (void)state;
    struct sim_err err = { "" };
    struct fx f;
    assert_int_equal(fx_build(&f,
                              "traffic\n    ping 10.0.2.2 every 500ms from 1s to 2s\nend\n",
                              &err),
                     0);
    fx_run(&f, NULL, 0, SIM_S(3));
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_non_null(out);
    traffic_report(f.t, out);
    fclose(out);
    assert_non_null(strstr(buf, "1. ping 10.0.2.2 every 500ms from 1s to 2s: 3 requests, 3 "
                                "replies, 0 lost"));
    assert_non_null(strstr(buf, "out 3 sent, 3 delivered (via primary 3), 0 dropped"));
    assert_non_null(strstr(buf, "source-primary0.pcap 6"));
    free(buf);
    fx_free(&f);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_pcap_replay_exact),
    cmocka_unit_test(test_sll2_replay),
    cmocka_unit_test(test_real_capture_replay),
    cmocka_unit_test(test_ping),
    cmocka_unit_test(test_generate_paths_and_blackout),
    cmocka_unit_test(test_migration_periods),
    cmocka_unit_test(test_no_driver_and_unaccounted),
    cmocka_unit_test(test_expect_results),
    cmocka_unit_test(test_malformed),
    cmocka_unit_test(test_bad_pcap_refused),
    cmocka_unit_test(test_cli_bad_pcap_exit_2),
    cmocka_unit_test(test_deterministic),
    cmocka_unit_test(test_report),
};

FO_MAIN("traffic", tests)
