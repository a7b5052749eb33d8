/*
 * Bundles: the manifest is read field by field and every wrong field is
 * named; files given one by one get roles from the QMP events and the
 * console; consoles are aligned from paired events with a stated
 * tolerance; the merge orders all sources by time with the documented tie
 * rule; pcaps become frames with role and direction; QEMU's stderr keeps
 * its -msg timestamp=on stamps.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sim/bundle.h"
#include "sim/hostlog.h"
#include "sim/pcap_io.h"

static char tmpdir[64];

static const char *put(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static char *path_of(const char *name)
{
    static char path[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
    return path[k];
}

/* ---- A small capture of the merged stream ------------------------------------ */

struct rec {
    enum obs_kind kind;
    enum obs_host host;
    sim_time t;
    bool approx;
    bool cont; /* a stderr continuation line */
    char file[64];
    uint64_t line;
    char what[96]; /* event name, klog text, point */
    enum obs_role role;
    enum obs_dir dir;
    int32_t ifindex;
    bool truncated;
};

struct cap {
    struct rec r[64];
    size_t n;
};

static void cap_sink(void *ctx, const struct obs *o)
{
    struct cap *c = ctx;
    if (c->n == 64)
        return;
    struct rec *r = &c->r[c->n++];
    memset(r, 0, sizeof(*r));
    r->kind = o->kind;
    r->host = o->host;
    r->t = o->t;
    r->approx = o->t_approx;
    r->cont = o->kind == OBS_HOSTLOG && o->u.hostlog.continuation;
    sim_strlcpy(r->file, o->origin.file ? o->origin.file : "", sizeof(r->file));
    r->line = o->origin.line;
    switch (o->kind) {
    case OBS_QMP_GREETING:
    case OBS_QMP_COMMAND:
    case OBS_QMP_REPLY:
    case OBS_QMP_EVENT:
        sim_strlcpy(r->what, o->u.qmp.name, sizeof(r->what));
        break;
    case OBS_KLOG:
        sim_strlcpy(r->what, o->u.klog.text, sizeof(r->what));
        break;
    case OBS_HOSTLOG:
        sim_strlcpy(r->what, o->u.hostlog.text, sizeof(r->what));
        break;
    case OBS_FRAME:
        sim_strlcpy(r->what, o->u.frame.point, sizeof(r->what));
        r->role = o->u.frame.role;
        r->dir = o->u.frame.dir;
        r->ifindex = o->u.frame.ifindex;
        break;
    case OBS_END:
        r->truncated = o->u.end.truncated;
        break;
    default:
        break;
    }
}

static int replay(struct bundle *b, struct cap *c, struct sim_err *err)
{
    memset(c, 0, sizeof(*c));
    struct obs_sink s = { cap_sink, c };
    if (bundle_prepare(b, err) != 0)
        return -1;
    return bundle_replay(b, &s, err);
}

#define T0 ((sim_time)1700000000 * 1000000000)

static const char src_qmp[] =
    "{\"QMP\": {\"version\": {}}}\n"
    "{\"timestamp\": {\"seconds\": 1700000010, \"microseconds\": 0}, \"event\": "
    "\"FAILOVER_NEGOTIATED\", \"data\": {\"device-id\": \"standby0\"}}\n"
    "{\"timestamp\": {\"seconds\": 1700000020, \"microseconds\": 0}, \"event\": "
    "\"MIGRATION\", \"data\": {\"status\": \"setup\"}}\n"
    "{\"timestamp\": {\"seconds\": 1700000020, \"microseconds\": 1000}, \"event\": "
    "\"UNPLUG_PRIMARY\", \"data\": {\"device-id\": \"primary0\"}}\n"
    "{\"timestamp\": {\"seconds\": 1700000026, \"microseconds\": 0}, \"event\": "
    "\"MIGRATION\", \"data\": {\"status\": \"active\"}}\n";

/* Uptime 0 is wall clock 1700000005.000000 + the reaction latencies. */
static const char src_console[] =
    "[    5.002000] virtio_net virtio0 eth0: failover master:eth0 registered\n"
    "[    5.003000] virtio_net virtio0 eth0: failover standby slave:eth1 registered\n"
    "[    5.300000] virtio_net virtio0 eth0: failover primary slave:eth2 registered\n"
    "[    5.301000] e1000e 0000:02:00.0 eth2: (PCI Express:2.5GT/s:Width x1) 52:54:00:11:11:11\n"
    "[   15.003000] pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed\n"
    "[   15.003500] pcieport 0000:00:02.0: pciehp: Slot(0-1): Powering off due to button press\n"
    "[   20.500000] virtio_net virtio0 eth0: failover primary slave:eth2 unregistered\n";

/* Files given one by one: roles from the QMP events, the guest MAC from the
 * console, the console clock estimated from FAILOVER_NEGOTIATED and
 * UNPLUG_PRIMARY pairs with the tolerance reported. */
static void test_raw_files_roles_and_alignment(void **state)
{
    (void)state;
    struct bundle *b = bundle_new();
    struct sim_err err = { "" };
    assert_int_equal(bundle_add(b, BUNDLE_QMP, OBS_SOURCE, NULL, put("s.qmp", src_qmp), &err), 0);
    assert_int_equal(
        bundle_add(b, BUNDLE_CONSOLE, OBS_SOURCE, NULL, put("s.log", src_console), &err), 0);
    assert_int_equal(bundle_add(b, BUNDLE_QMP, OBS_SOURCE, NULL, path_of("s.qmp"), &err), -1);
    assert_non_null(strstr(err.msg, "a second qmp file for the source host"));
    struct cap c;
    assert_int_equal(replay(b, &c, &err), 0);
    /* roles */
    assert_int_equal(b->ndevs, 2);
    assert_string_equal(b->devs[0].id, "standby0");
    assert_int_equal(b->devs[0].role, OBS_ROLE_STANDBY);
    assert_string_equal(b->devs[1].id, "primary0");
    assert_int_equal(b->devs[1].role, OBS_ROLE_PRIMARY);
    assert_true(b->guest_mac_set);
    assert_int_equal(b->guest_mac[5], 0x11);
    assert_int_equal(b->hotplug[OBS_SOURCE], BUNDLE_HOTPLUG_NATIVE);
    /* alignment: negotiated 10.000 - registered 5.002 = 4.998; unplug
     * 20.001 - button 15.003 = 4.998: offset 4.998 s, tolerance default */
    const struct bundle_file *f = bundle_file_find(b, BUNDLE_CONSOLE, OBS_SOURCE, NULL);
    assert_non_null(f);
    assert_true(f->clock.estimated);
    assert_i64_equal(clock_map_offset(&f->clock, 1), T0 + SIM_MS(4998));
    assert_i64_equal(f->clock.tolerance, BUNDLE_DEFAULT_TOLERANCE);
    assert_non_null(strstr(f->clock_note, "estimated from 2 pair(s)"));
    assert_i64_equal(bundle_console_tolerance(b, OBS_SOURCE), BUNDLE_DEFAULT_TOLERANCE);
    /* the merged order: greeting, FN, master, standby, primary reg, nic, setup,
     * unplug, button, powering off, unregistered, active, END */
    static const char *const want[] = {
        "",
        "FAILOVER_NEGOTIATED",
        "virtio_net virtio0 eth0: failover master:eth0 registered",
        "virtio_net virtio0 eth0: failover standby slave:eth1 registered",
        "virtio_net virtio0 eth0: failover primary slave:eth2 registered",
        "e1000e 0000:02:00.0 eth2: (PCI Express:2.5GT/s:Width x1) 52:54:00:11:11:11",
        "MIGRATION",
        "UNPLUG_PRIMARY",
        "pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed",
        "pcieport 0000:00:02.0: pciehp: Slot(0-1): Powering off due to button press",
        "virtio_net virtio0 eth0: failover primary slave:eth2 unregistered",
        "MIGRATION",
    };
    assert_int_equal(c.n, SIM_ARRAY_SIZE(want) + 1);
    for (size_t i = 0; i < SIM_ARRAY_SIZE(want); i++)
        assert_string_equal(c.r[i].what, want[i]);
    assert_int_equal(c.r[c.n - 1].kind, OBS_END);
    assert_false(c.r[c.n - 1].truncated);
    for (size_t i = 1; i < c.n; i++)
        assert_true(c.r[i].t >= c.r[i - 1].t || c.r[i].approx);
    assert_true(c.r[8].approx);
    assert_i64_equal(c.r[8].t, T0 + SIM_MS(4998) + SIM_US(15003000));
    bool noted = false;
    for (size_t i = 0; i < b->nnotes; i++)
        noted |= strstr(b->notes[i], "cannot tell whether they are complete") != NULL;
    assert_true(noted);
    bundle_free(b);
}

/* A console with no event to pair with is not aligned, and says so. */
static void test_unalignable_console(void **state)
{
    (void)state;
    struct bundle *b = bundle_new();
    struct sim_err err = { "" };
    assert_int_equal(bundle_add(b, BUNDLE_CONSOLE, OBS_TARGET, NULL,
                                put("t.log", "[    1.000000] hello\n"), &err),
                     0);
    struct cap c;
    assert_int_equal(replay(b, &c, &err), 0);
    const struct bundle_file *f = &b->files[0];
    assert_i64_equal(f->clock.tolerance, SIM_TIME_MAX);
    assert_non_null(strstr(f->clock_note, "not aligned"));
    bundle_free(b);
}

/* Equal times: source before target, then qmp < stderr < console < pcap,
 * then manifest order, then file order. */
static void test_tie_rule(void **state)
{
    (void)state;
    const char *stamp = "2023-11-14T22:13:20.000000Z";
    sim_time t;
    assert_int_equal(hostlog_parse_stamp(stamp, &t), 27);
    assert_i64_equal(t, T0);
    char line[128];
    char qmp[256];
    snprintf(qmp, sizeof(qmp),
             "{\"timestamp\": {\"seconds\": 1700000000, \"microseconds\": 0}, \"event\": "
             "\"STOP\"}\n");
    snprintf(line, sizeof(line), "%s qemu-system-x86_64: warning: x\n", stamp);
    put("m.stderr", line);
    put("m.qmp", qmp);
    put("t.qmp", qmp);
    put("m.log", "[    0.000000] a\n[    0.000000] b\n");
    put("manifest.json",
        "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": "
        "\"test\"}, \"complete\": false, \"files\": ["
        "{\"path\": \"m.log\", \"host\": \"source\", \"kind\": \"console\", \"clock\": "
        "[{\"from\": 1, \"offset_ns\": 1700000000000000000}]},"
        "{\"path\": \"t.qmp\", \"host\": \"target\", \"kind\": \"qmp\"},"
        "{\"path\": \"m.stderr\", \"host\": \"source\", \"kind\": \"stderr\"},"
        "{\"path\": \"m.qmp\", \"host\": \"source\", \"kind\": \"qmp\"}]}");
    struct bundle *b;
    struct sim_err err = { "" };
    assert_int_equal(bundle_open(tmpdir, &b, &err), 0);
    struct cap c;
    assert_int_equal(replay(b, &c, &err), 0);
    assert_int_equal(c.n, 6);
    assert_string_equal(c.r[0].file, "m.qmp");
    assert_string_equal(c.r[1].file, "m.stderr");
    assert_string_equal(c.r[1].what, "qemu-system-x86_64: warning: x");
    assert_false(c.r[1].approx);
    assert_string_equal(c.r[2].what, "a");
    assert_string_equal(c.r[3].what, "b");
    assert_false(c.r[3].approx);
    assert_string_equal(c.r[4].file, "t.qmp");
    assert_int_equal(c.r[4].host, OBS_TARGET);
    for (int i = 0; i < 5; i++)
        assert_i64_equal(c.r[i].t, T0);
    /* "complete": false: the stream ends truncated */
    assert_int_equal(c.r[5].kind, OBS_END);
    assert_true(c.r[5].truncated);
    bundle_free(b);
}

static void write_pcap(const char *name, int link, const uint8_t *const *frames,
                       const uint32_t *lens, size_t n)
{
    struct pcap_writer *w;
    struct sim_err err;
    assert_int_equal(pcap_writer_open(path_of(name), link, 65535, false, &w, &err), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(pcap_writer_put(w, T0 + SIM_S(30) + (sim_time)i * SIM_MS(1), frames[i],
                                         lens[i], lens[i], &err),
                         0);
    assert_int_equal(pcap_writer_close(w, &err), 0);
}

/* Frames: Ethernet captures take the device's role and the direction from
 * the guest MAC; SLL2 captures take the role of their interface index and
 * the direction from the packet type. */
static void test_pcaps_become_frames(void **state)
{
    (void)state;
    static const uint8_t out[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00,
                                     0x11, 0x11, 0x11, 0x08, 0x06 };
    static const uint8_t in[60] = { 0x52, 0x54, 0x00, 0x11, 0x11, 0x11, 0x52, 0x55, 0x0a,
                                    0x00, 0x02, 0x02, 0x08, 0x00 };
    const uint8_t *eth[] = { out, in };
    uint32_t elen[] = { 60, 60 };
    write_pcap("s-primary0.pcap", PCAP_LINK_ETHERNET, eth, elen, 2);
    uint8_t sll_out[40] = { 0x08, 0x00, 0, 0, 0, 0, 0, 4, 0, 1, 4, 6,
                            0x52, 0x54, 0x00, 0x11, 0x11, 0x11, 0, 0, 0x45 };
    uint8_t sll_in[40] = { 0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 0, 6,
                           0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0, 0, 0x45 };
    const uint8_t *sll[] = { sll_out, sll_in };
    uint32_t slen[] = { 40, 40 };
    write_pcap("s-guest.pcap", PCAP_LINK_SLL2, sll, slen, 2);
    put("s.qmp", src_qmp);
    put("manifest.json",
        "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": "
        "\"test\", \"version\": \"1\"}, \"complete\": true, \"guest_mac\": \"52:54:00:11:11:11\","
        "\"devices\": [{\"id\": \"primary0\", \"host\": \"source\", \"role\": \"primary\", "
        "\"pair\": \"standby0\"}],"
        "\"files\": [{\"path\": \"s.qmp\", \"host\": \"source\", \"kind\": \"qmp\"},"
        "{\"path\": \"s-primary0.pcap\", \"host\": \"source\", \"kind\": \"pcap\", \"point\": "
        "\"primary0\"},"
        "{\"path\": \"s-guest.pcap\", \"host\": \"source\", \"kind\": \"pcap\", \"point\": "
        "\"guest\", \"interfaces\": [{\"ifindex\": 2, \"name\": \"eth0\", \"role\": "
        "\"master\"}, {\"ifindex\": 4, \"name\": \"eth2\", \"role\": \"primary\"}]}]}");
    struct bundle *b;
    struct sim_err err = { "" };
    assert_int_equal(bundle_open(tmpdir, &b, &err), 0);
    struct cap c;
    assert_int_equal(replay(b, &c, &err), 0);
    size_t k = 0;
    struct rec *fr[4];
    for (size_t i = 0; i < c.n; i++)
        if (c.r[i].kind == OBS_FRAME && k < 4)
            fr[k++] = &c.r[i];
    assert_int_equal(k, 4);
    /* same stamps: primary0's file comes before the guest's (manifest order) */
    assert_string_equal(fr[0]->what, "primary0");
    assert_int_equal(fr[0]->role, OBS_ROLE_PRIMARY);
    assert_int_equal(fr[0]->dir, OBS_DIR_FROM_GUEST);
    assert_int_equal(fr[0]->line, 1);
    assert_string_equal(fr[1]->what, "guest");
    assert_int_equal(fr[1]->role, OBS_ROLE_PRIMARY);
    assert_int_equal(fr[1]->ifindex, 4);
    assert_int_equal(fr[1]->dir, OBS_DIR_FROM_GUEST);
    assert_int_equal(fr[2]->dir, OBS_DIR_TO_GUEST);
    assert_int_equal(fr[2]->role, OBS_ROLE_PRIMARY);
    assert_int_equal(fr[3]->role, OBS_ROLE_UNKNOWN); /* ifindex 3 not listed */
    assert_int_equal(fr[3]->dir, OBS_DIR_TO_GUEST);
    assert_int_equal(b->files[1].records, 2);
    bundle_free(b);
}


/* A target's filter-dump capture is aligned by its first RARP announcement
 * and the target's RESUME. */
static void test_target_pcap_aligned_by_rarp(void **state)
{
    (void)state;
    static const uint8_t ip[60] = { 0x52, 0x54, 0x00, 0x11, 0x11, 0x11, 0x52, 0x55, 0x0a,
                                    0x00, 0x02, 0x02, 0x08, 0x00 };
    static const uint8_t rarp[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00,
                                      0x11, 0x11, 0x11, 0x80, 0x35 };
    const uint8_t *fr[] = { ip, rarp };
    uint32_t len[] = { 60, 60 };
    write_pcap("t-standby0.pcap", PCAP_LINK_ETHERNET, fr, len, 2); /* T0+30s, T0+30.001s */
    put("t.qmp", "{\"QMP\": {}}\n{\"timestamp\": {\"seconds\": 1700000030, \"microseconds\": "
                 "501000}, \"event\": \"RESUME\"}\n");
    struct bundle *b = bundle_new();
    struct sim_err err = { "" };
    assert_int_equal(bundle_add(b, BUNDLE_QMP, OBS_TARGET, NULL, path_of("t.qmp"), &err), 0);
    assert_int_equal(
        bundle_add(b, BUNDLE_PCAP, OBS_TARGET, "standby0", path_of("t-standby0.pcap"), &err), 0);
    struct cap c;
    assert_int_equal(replay(b, &c, &err), 0);
    const struct bundle_file *f = bundle_file_find(b, BUNDLE_PCAP, OBS_TARGET, "standby0");
    assert_true(f->clock.estimated);
    assert_i64_equal(clock_map_offset(&f->clock, 1), SIM_MS(500));
    assert_non_null(strstr(f->clock_note, "first RARP announcement (record 2)"));
    bool rarp_at_resume = false;
    for (size_t i = 0; i < c.n; i++)
        if (c.r[i].kind == OBS_FRAME && c.r[i].line == 2)
            rarp_at_resume = c.r[i].t == T0 + SIM_S(30) + SIM_MS(501) && c.r[i].approx;
    assert_true(rarp_at_resume);
    bundle_free(b);
}

struct manifest_case {
    const char *json;
    const char *want;
};

/* Every wrong manifest is refused naming the manifest and the field. */
static void test_bad_manifests(void **state)
{
    (void)state;
    put("s.qmp", src_qmp);
#define HEAD "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": \"t\"}, "
    static const struct manifest_case cases[] = {
        { "", "manifest.json:1:0: expected the bundle manifest (JSON)" },
        { "[1]", "manifest.json: (top): expected a JSON object, found an array" },
        { "{\"format\": 3}", "manifest.json: (top): \"format\" must be a string, found an integer" },
        { "{\"format\": \"pcapng\"}", "manifest.json: format: expected \"fosim-bundle\"" },
        { "{\"format\": \"fosim-bundle\", \"format_version\": \"1\"}",
          "(top): \"format_version\" must be an integer, found a string" },
        { "{\"format\": \"fosim-bundle\", \"format_version\": 2}",
          "format_version: this fosim reads version 1, found 2" },
        { HEAD "\"files\": []}", "(top): missing member \"complete\"" },
        { HEAD "\"complete\": 1, \"files\": []}", "complete: expected true or false, found an integer" },
        { HEAD "\"complete\": true, \"files\": {}}", "files: expected an array, found an object" },
        { HEAD "\"complete\": true, \"files\": []}", "files: the bundle lists no file" },
        { HEAD "\"complete\": true, \"files\": [{\"path\": \"s.qmp\", \"host\": \"moon\", "
               "\"kind\": \"qmp\"}]}",
          "files[0]: \"host\" must be \"source\" or \"target\", found \"moon\"" },
        { HEAD "\"complete\": true, \"files\": [{\"path\": \"s.qmp\", \"host\": \"source\", "
               "\"kind\": \"json\"}]}",
          "files[0]: \"kind\" must be qmp, console, stderr or pcap" },
        { HEAD "\"complete\": true, \"files\": [{\"path\": 7, \"host\": \"source\", "
               "\"kind\": \"qmp\"}]}",
          "files[0]: \"path\" must be a string, found an integer" },
        { HEAD "\"complete\": true, \"files\": [{\"path\": \"../s.qmp\", \"host\": \"source\", "
               "\"kind\": \"qmp\"}]}",
          "files[0]: \"path\" must be a file name inside the bundle" },
        { HEAD "\"complete\": true, \"files\": [{\"path\": \"gone.qmp\", \"host\": \"source\", "
               "\"kind\": \"qmp\"}]}",
          "manifest.json: files[0]: a file the manifest names: " },
        { HEAD "\"complete\": true, \"files\": [{\"path\": \"s.qmp\", \"host\": \"source\", "
               "\"kind\": \"pcap\"}]}",
          "files[0]: a pcap needs \"point\"" },
        { HEAD "\"complete\": true, \"files\": [{\"path\": \"s.qmp\", \"host\": \"source\", "
               "\"kind\": \"qmp\", \"clock\": [{\"from\": 1}]}]}",
          "files[0].clock[0]: missing member \"offset_ns\"" },
        { HEAD "\"complete\": true, \"files\": [{\"path\": \"s.qmp\", \"host\": \"source\", "
               "\"kind\": \"qmp\", \"clock\": {\"offset_ns\": 1}}]}",
          "files[0]: \"clock\" must be an array" },
        { HEAD "\"complete\": true, \"files\": [{\"path\": \"s.qmp\", \"host\": \"source\", "
               "\"kind\": \"qmp\"}, {\"path\": \"s.qmp\", \"host\": \"target\", \"kind\": "
               "\"qmp\"}]}",
          "files[1]: \"s.qmp\" is listed twice" },
        { HEAD "\"complete\": true, \"devices\": [{\"id\": \"p\", \"host\": \"source\", "
               "\"role\": \"vf\"}], \"files\": []}",
          "devices[0]: \"role\" must be standby, primary or other" },
        { HEAD "\"complete\": true, \"guest_mac\": \"52:54:00\", \"files\": []}",
          "guest_mac: expected a MAC like" },
    };
#undef HEAD
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        put("manifest.json", cases[i].json);
        struct bundle *b = NULL;
        struct sim_err err = { "" };
        int rc = bundle_open(tmpdir, &b, &err);
        if (rc != -1 || !strstr(err.msg, cases[i].want))
            print_error("case %zu: rc %d '%s', wanted '%s'\n", i, rc, err.msg, cases[i].want);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err.msg, cases[i].want));
    }
    /* no manifest: the recording did not finish */
    remove(path_of("manifest.json"));
    struct bundle *b = NULL;
    struct sim_err err = { "" };
    assert_int_equal(bundle_open(tmpdir, &b, &err), -1);
    assert_non_null(strstr(err.msg, "no manifest.json: not a bundle, or its recording did not finish"));
    assert_int_equal(bundle_open(path_of("s.qmp"), &b, &err), -1);
    assert_non_null(strstr(err.msg, "not a directory"));
}

/* A reader's error stops the replay and names the file and position. */
static void test_bad_source_stops_the_replay(void **state)
{
    (void)state;
    struct bundle *b = bundle_new();
    struct sim_err err = { "" };
    put("bad.qmp", "{\"QMP\": {}}\n{\"timestamp\": {\"seconds\": 5, \"microseconds\": 0}, "
                   "\"event\": \"STOP\"}\nnot json\n");
    assert_int_equal(bundle_add(b, BUNDLE_QMP, OBS_SOURCE, NULL, path_of("bad.qmp"), &err), 0);
    struct cap c;
    assert_int_equal(replay(b, &c, &err), -1);
    assert_non_null(strstr(err.msg, "bad.qmp:3:"));
    bundle_free(b);
    b = bundle_new();
    /* a control byte is what QEMU echoed from its command line: shown as
     * '?'; a NUL byte makes it a binary file (test_check_cli) */
    put("odd.stderr", "qemu-system-x86_64: warning: a\nbin\x01" "ary\n");
    assert_int_equal(bundle_add(b, BUNDLE_STDERR, OBS_SOURCE, NULL, path_of("odd.stderr"), &err),
                     0);
    assert_int_equal(replay(b, &c, &err), 0);
    bool found = false;
    for (size_t i = 0; i < c.n; i++)
        found |= c.r[i].kind == OBS_HOSTLOG && strcmp(c.r[i].what, "bin?ary") == 0;
    assert_true(found);
    bundle_free(b);
}

/* The -msg timestamp=on stamp round-trips; lines without one take the
 * host's start time, unless they follow a stamped line: QEMU stamps only a
 * message's first line, the hint printed after it continues the message. */
static void test_stderr_stamps(void **state)
{
    (void)state;
    char buf[40];
    sim_time t;
    hostlog_format_stamp(buf, sizeof(buf), T0 + SIM_US(123456));
    assert_string_equal(buf, "2023-11-14T22:13:20.123456Z");
    assert_int_equal(hostlog_parse_stamp(buf, &t), 27);
    assert_i64_equal(t, T0 + SIM_US(123456));
    hostlog_format_stamp(buf, sizeof(buf), SIM_S(951782400)); /* 2000-02-29 */
    assert_string_equal(buf, "2000-02-29T00:00:00.000000Z");
    assert_int_equal(hostlog_parse_stamp("2026-13-01T00:00:00.000000Z", &t), 0);
    assert_int_equal(hostlog_parse_stamp("qemu-system-x86_64: x", &t), 0);
    struct bundle *b = bundle_new();
    struct sim_err err = { "" };
    put("q.qmp", src_qmp);
    put("q.stderr", "qemu-system-x86_64: warning: netdev hs1 has no peer\n");
    assert_int_equal(bundle_add(b, BUNDLE_QMP, OBS_SOURCE, NULL, path_of("q.qmp"), &err), 0);
    assert_int_equal(bundle_add(b, BUNDLE_STDERR, OBS_SOURCE, NULL, path_of("q.stderr"), &err), 0);
    struct cap c;
    assert_int_equal(replay(b, &c, &err), 0);
    /* at the greeting's time, after the QMP lines of that instant */
    assert_int_equal(c.r[2].kind, OBS_HOSTLOG);
    assert_true(c.r[2].approx);
    assert_i64_equal(c.r[2].t, T0 + SIM_S(10));
    assert_false(c.r[2].cont);
    bundle_free(b);
    b = bundle_new();
    put("h.stderr", "2023-11-14T22:13:21.000000Z qemu-system-x86_64: warning: netdev hs1 has no "
                    "peer\n2023-11-14T22:13:25.500000Z qemu-system-x86_64: warning: Primary "
                    "device not found\nVirtio-net failover will not work. Make sure primary "
                    "device has parameter failover_pair_id=standby0\n"
                    "2023-11-14T22:13:26.000000Z qemu-system-x86_64: warning: later\n");
    assert_int_equal(bundle_add(b, BUNDLE_QMP, OBS_SOURCE, NULL, path_of("q.qmp"), &err), 0);
    assert_int_equal(bundle_add(b, BUNDLE_STDERR, OBS_SOURCE, NULL, path_of("h.stderr"), &err), 0);
    assert_int_equal(replay(b, &c, &err), 0);
    size_t k = 0;
    while (k < c.n && !(c.r[k].kind == OBS_HOSTLOG && strstr(c.r[k].what, "Virtio-net")))
        k++;
    assert_true(k < c.n && k > 0);
    assert_true(c.r[k].approx);
    assert_true(c.r[k].cont);
    assert_i64_equal(c.r[k].t, T0 + SIM_MS(5500)); /* the warning's time, not the start's */
    assert_int_equal(c.r[k - 1].kind, OBS_HOSTLOG);
    assert_false(c.r[k - 1].cont);
    assert_non_null(strstr(c.r[k - 1].what, "Primary device not found"));
    assert_false(c.r[k + 1].approx);
    bundle_free(b);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/fosim-bundle-XXXXXX");
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
    cmocka_unit_test_setup_teardown(test_raw_files_roles_and_alignment, setup, teardown),
    cmocka_unit_test_setup_teardown(test_unalignable_console, setup, teardown),
    cmocka_unit_test_setup_teardown(test_tie_rule, setup, teardown),
    cmocka_unit_test_setup_teardown(test_pcaps_become_frames, setup, teardown),
    cmocka_unit_test_setup_teardown(test_target_pcap_aligned_by_rarp, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_manifests, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_source_stops_the_replay, setup, teardown),
    cmocka_unit_test_setup_teardown(test_stderr_stamps, setup, teardown),
};

FO_MAIN("bundle", tests)
