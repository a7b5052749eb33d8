/*
 * The parts of fosim-record (conformance/real/), without QEMU: how a
 * scenario becomes QEMU command lines and guest knobs (and what is refused,
 * with its position), how followed files yield clock offsets, how processes
 * are stopped within bounds, the QMP client against a socket of our own, and
 * the whole recorder against a fake QEMU (this executable, re-run with
 * FOSIM_FAKE_QEMU set).  The end-to-end recording with real QEMU runs in CI
 * (.ci/run) and `make real`.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "real/recorder.h"
#include "sim/bundle.h"

struct tmp {
    char dir[64];
};

static void tmp_make(struct tmp *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/fosim-trec.XXXXXX");
    assert_non_null(mkdtemp(t->dir));
}

static void tmp_file(const struct tmp *t, const char *name, const char *text)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", t->dir, name);
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void tmp_remove(const struct tmp *t)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- the plan ------------------------------------------------------------------------ */

static const char *const HOSTS =
    "host source\n"
    "    -M q35 -m 256 -nodefaults\n"
    FO_NATIVE_HOTPLUG FO_ROOT_PORTS FO_STANDBY "    -netdev user,id=hs1\n"
    "end\n" FO_TARGET;

struct planned {
    struct tmp t;
    struct scenario *s;
    struct rec_plan p;
    struct rec_options opt;
    struct sim_err err;
    int rc;
};

static void plan_text(struct planned *pl, const char *text)
{
    memset(pl, 0, sizeof(*pl));
    tmp_make(&pl->t);
    tmp_file(&pl->t, "kernel-version", "6.1.0-56-amd64\n");
    pl->opt = (struct rec_options){ .qemu = "qemu-system-x86_64", .guest_dir = pl->t.dir,
                                    .workdir = pl->t.dir, .settle = SIM_S(20),
                                    .boot_timeout = SIM_S(120) };
    if (scn_parse_string("t.fos", text, &pl->s, &pl->err) != 0) {
        print_error("%s\n", pl->err.msg);
        fail();
    }
    pl->rc = rec_plan_build(&pl->p, pl->s, &pl->opt, &pl->err);
}

static void plan_done(struct planned *pl)
{
    if (pl->rc == 0)
        rec_plan_free(&pl->p);
    scn_free(pl->s);
    tmp_remove(&pl->t);
}

static int find_arg(const struct rec_host_plan *h, const char *opt, const char *val)
{
    for (int i = 0; i + 1 < h->argc; i++)
        if (strcmp(h->argv[i], opt) == 0 && (!val || strcmp(h->argv[i + 1], val) == 0))
            return i;
    return -1;
}

static int count_opt(const struct rec_host_plan *h, const char *opt)
{
    int n = 0;
    for (int i = 0; i < h->argc; i++)
        n += strcmp(h->argv[i], opt) == 0;
    return n;
}

/* The scenario's QEMU arguments are kept; the recorder adds what a real run
 * needs, a capture per netdev named after the device that will use it (here
 * one hot-added later), a free port for -incoming, and rewrites the migrate
 * URI to it. */
static void plan_builds_command_lines(void **state)
{
    (void)state;
    struct planned pl;
    char text[4096];
    snprintf(text, sizeof(text),
             "%s"
             "guest linux\n    failover-driver off\n    boot 2.5s\n    firmware 6s\n    mtu 1400\n"
             "    pciehp-poll on\n    ifup on\n    address eth2 10.0.2.16/24\n"
             "    address eth0 10.0.3.15/16\nend\n"
             "traffic\n    ping 10.0.2.2 every 200ms from 3.5s to 12s size 100\nend\n"
             "at 5s source device_add driver=e1000e netdev=hs1 id=primary0 bus=root1 "
             "failover_pair_id=standby0\n"
             "at 8s source migrate uri=tcp:127.0.0.1:4444\n"
             "until 15s\n",
             HOSTS);
    plan_text(&pl, text);
    assert_int_equal(pl.rc, 0);
    const struct rec_host_plan *src = &pl.p.hosts[OBS_SOURCE], *tgt = &pl.p.hosts[OBS_TARGET];
    assert_true(src->present && tgt->present);
    assert_string_equal(src->argv[0], "qemu-system-x86_64");
    assert_true(find_arg(src, "-accel", "tcg") > 0);
    assert_int_equal(count_opt(src, "-nodefaults"), 1); /* not added twice */
    assert_true(find_arg(src, "-msg", "timestamp=on") > 0);
    assert_true(find_arg(src, "-display", "none") > 0);
    assert_true(find_arg(src, "-global", "ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off") > 0);
    assert_true(rec_plan_native_hotplug(src));
    assert_true(find_arg(src, "-object",
                         "filter-dump,id=fosim-fd0,netdev=hs0,file=source-standby0.pcap") > 0);
    assert_true(find_arg(src, "-object",
                         "filter-dump,id=fosim-fd1,netdev=hs1,file=source-primary0.pcap") > 0);
    assert_int_equal(src->ncaps, 2);
    assert_string_equal(src->caps[1].point, "primary0");
    /* the target has no device_add: its hs1 capture is named after the netdev */
    assert_string_equal(tgt->caps[1].point, "hs1");
    char want[512];
    snprintf(want, sizeof(want), "file:%s/source-guest.log", pl.t.dir);
    assert_true(find_arg(src, "-serial", want) > 0);
    snprintf(want, sizeof(want), "unix:%s/source.sock,server=on,wait=off", pl.t.dir);
    assert_true(find_arg(src, "-qmp", want) > 0);
    snprintf(want, sizeof(want), "%s/vmlinuz", pl.t.dir);
    assert_true(find_arg(src, "-kernel", want) > 0);
    assert_true(src->has_kernel);
    assert_false(src->paused);
    assert_true(pl.p.anchor_on_kernel);
    assert_int_equal(pl.p.horizon, SIM_S(15));
    /* guest knobs and the ping, as the init script reads them (firmware sets
     * nothing: the real firmware takes what it takes) */
    assert_string_equal(pl.p.append, "console=ttyS0 ignore_loglevel fosim.failover=0 "
                                     "fosim.loadat=2.500 fosim.mtu=1400 "
                                     "pciehp.pciehp_poll_mode=1 fosim.addr=eth2=10.0.2.16/24 "
                                     "fosim.addr=eth0=10.0.3.15/16 fosim.ping=10.0.2.2 "
                                     "fosim.pingint=0.200 fosim.pingat=3.500 "
                                     "fosim.pingend=12.000 fosim.pingsize=100");
    /* the port */
    int inc = find_arg(tgt, "-incoming", NULL);
    assert_true(inc > 0);
    assert_int_equal(find_arg(src, "-incoming", NULL), -1);
    assert_int_equal(pl.p.nrewrites, 1);
    assert_string_equal(pl.p.rewrites[0].from, "tcp:127.0.0.1:4444");
    assert_string_equal(tgt->argv[inc + 1], pl.p.rewrites[0].to);
    assert_string_not_equal(pl.p.rewrites[0].to, "tcp:127.0.0.1:4444");
    char *cmd = rec_plan_rewrite_command(&pl.p, pl.s->actions[1].json);
    snprintf(want, sizeof(want), "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"%s\"}}",
             pl.p.rewrites[0].to);
    assert_string_equal(cmd, want);
    free(cmd);
    /* commands without a rewritten URI are left as they are */
    cmd = rec_plan_rewrite_command(&pl.p, "{\"execute\": \"migrate_cancel\"}");
    assert_string_equal(cmd, "{\"execute\": \"migrate_cancel\"}");
    free(cmd);
    plan_done(&pl);
}

/* Roles for the manifest come from -device and device_add. */
static void plan_notes_devices_and_roles(void **state)
{
    (void)state;
    struct bundle *b = bundle_new();
    rec_plan_note_device(b, OBS_SOURCE,
                         "virtio-net-pci,netdev=hs0,id=standby0,mac=52:54:00:11:11:11,"
                         "bus=root0,failover=on");
    rec_plan_note_device(b, OBS_SOURCE, "pcie-root-port,id=root0,addr=0x1,chassis=1");
    rec_plan_note_device_add(b, OBS_SOURCE,
                             "{\"execute\": \"device_add\", \"arguments\": {\"driver\": "
                             "\"e1000e\", \"id\": \"primary0\", \"mac\": \"52:54:00:11:11:11\", "
                             "\"failover_pair_id\": \"standby0\"}}");
    rec_plan_note_device_add(b, OBS_SOURCE, "{\"execute\": \"migrate\"}");
    assert_int_equal(b->ndevs, 2);
    assert_string_equal(b->devs[0].id, "standby0");
    assert_int_equal(b->devs[0].role, OBS_ROLE_STANDBY);
    assert_string_equal(b->devs[1].id, "primary0");
    assert_int_equal(b->devs[1].role, OBS_ROLE_PRIMARY);
    assert_string_equal(b->devs[1].pair, "standby0");
    assert_true(b->devs[1].hideable); /* created after its standby */
    assert_true(b->devs[1].added);     /* by device_add */
    assert_false(b->devs[0].added);
    assert_string_equal(b->devs[0].netdev, "hs0");
    assert_null(b->devs[1].netdev);
    assert_true(b->guest_mac_set);
    assert_int_equal(b->guest_mac[5], 0x11);
    bundle_free(b);
}

/* What the real guest cannot do is refused, with the position of the word. */
static void plan_refuses_what_reality_cannot_run(void **state)
{
    (void)state;
    static const struct {
        const char *tail;
        const char *msg;
    } cases[] = {
        { "guest qtest\nend\n", "t.fos:13:7: the qtest guest profile cannot be reproduced" },
        { "guest linux\n    eject never\nend\n", "t.fos:14:11: eject never cannot be reproduced" },
        { "guest linux\n    standby refuse\nend\n", "t.fos:14:13: standby refuse (Linux always" },
        { "guest linux\n    kernel 5.10\nend\n", "t.fos:14:12: knob kernel 5.10: the guest kernel is 6.1" },
        { "guest linux\n    primary-mac random\nend\n", "t.fos:14:17: a random primary MAC" },
        { "guest linux\n    no-such-knob 1\nend\n", "t.fos:14:5: this knob cannot be reproduced" },
        { "guest linux\n    address eth2\nend\n", "t.fos:14:5: knob address takes an interface" },
        { "guest linux\n    address eth2=x 10.0.2.16/24\nend\n", "t.fos:14:13: knob address: expected an interface" },
        { "guest linux\n    address eth2 10.0.2.256/24\nend\n", "t.fos:14:18: knob address: expected A.B.C.D/N" },
        { "traffic\n    generate out rate 10/s size 100\nend\n",
          "t.fos:14:5: this workload (only `ping ADDR ...`)" },
        { "guest qtest\nend\nat 1s guest negotiate standby0\n", "t.fos:13:7: the qtest" },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        struct planned pl;
        char text[4096];
        snprintf(text, sizeof(text), "%s%s", HOSTS, cases[i].tail);
        plan_text(&pl, text);
        if (pl.rc == 0 || !strstr(pl.err.msg, cases[i].msg)) {
            print_error("case %zu: got rc %d '%s', want '%s'\n", i, pl.rc, pl.err.msg,
                        cases[i].msg);
            fail();
        }
        plan_done(&pl);
    }
    /* options the recorder owns */
    struct planned pl;
    plan_text(&pl, "host source\n    -M q35 -serial stdio\nend\n");
    assert_int_equal(pl.rc, -1);
    assert_non_null(strstr(pl.err.msg, "t.fos:2:12: the recorder sets -serial itself"));
    plan_done(&pl);
    /* a guest action in a linux scenario */
    char text[4096];
    snprintf(text, sizeof(text), "%sat 2s guest eject primary0\n", HOSTS);
    plan_text(&pl, text);
    assert_int_equal(pl.rc, -1);
    assert_non_null(strstr(pl.err.msg, "t.fos:13:1: a scripted guest action cannot be"));
    plan_done(&pl);
}

/* -S or no guest: t = 0 cannot come from a kernel clock. */
static void plan_anchor_without_kernel_clock(void **state)
{
    (void)state;
    struct planned pl;
    plan_text(&pl, "host source\n    -M q35 -S\nend\n");
    assert_int_equal(pl.rc, 0);
    assert_true(pl.p.hosts[OBS_SOURCE].paused);
    assert_false(pl.p.anchor_on_kernel);
    assert_int_equal(pl.p.horizon, SIM_S(20)); /* no until, no action: settle */
    assert_true(pl.p.horizon_default);
    plan_done(&pl);
    plan_text(&pl, "host source\n    -M q35\nend\nguest none\nend\n");
    assert_int_equal(pl.rc, 0);
    assert_false(pl.p.hosts[OBS_SOURCE].has_kernel);
    assert_int_equal(find_arg(&pl.p.hosts[OBS_SOURCE], "-kernel", NULL), -1);
    assert_false(pl.p.anchor_on_kernel);
    plan_done(&pl);
}

/* ---- followers -------------------------------------------------------------------------- */

static void append_file(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static void count_line(void *ctx, const char *line, sim_time uptime, sim_time wall)
{
    (void)line;
    (void)uptime;
    (void)wall;
    (*(unsigned *)ctx)++;
}

/* Console: the offset is the smallest (arrival - stamp); the kernel's
 * clocksource messages and resumes start new segments; noise and partial
 * lines are handled. */
static void follow_console_measures_offsets(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    char path[256];
    snprintf(path, sizeof(path), "%s/c.log", t.dir);
    struct rec_follow f;
    rec_follow_init(&f, REC_FOLLOW_CONSOLE, path);
    unsigned lines_seen = 0;
    rec_follow_poll(&f, SIM_S(100), count_line, &lines_seen); /* file not there yet */
    assert_int_equal(f.units, 0);
    /* boot: buffered lines arrive late (bounds 100.5, 100.3); then noise */
    const char *boot = "SeaBIOS noise\n[    0.000000] Linux version\n[    0.200000] a\n";
    append_file(path, boot, strlen(boot));
    rec_follow_poll(&f, SIM_MS(100500), count_line, &lines_seen);
    assert_int_equal(f.units, 3);
    assert_int_equal(f.kernel_lines, 2);
    assert_int_equal(rec_follow_offset(&f), SIM_MS(100300));
    /* a clocksource switch: later lines form a new segment */
    const char *sw = "\x1b[0m[    0.900000] clocksource: Switched to clocksource tsc\n";
    append_file(path, sw, strlen(sw));
    rec_follow_poll(&f, SIM_MS(101190), count_line, &lines_seen);
    append_file(path, "[    1.000000] b\n[    1.10", 26);
    rec_follow_poll(&f, SIM_MS(101320), count_line, &lines_seen); /* bound 100.32 */
    assert_int_equal(f.nsegs, 2);
    assert_int_equal(f.segs[1].from, 5);
    assert_int_equal(rec_follow_offset(&f), SIM_MS(100320));
    append_file(path, "0000] c\n", 8); /* the rest of a partial line */
    rec_follow_poll(&f, SIM_MS(101400), count_line, &lines_seen); /* bound 100.30 */
    assert_int_equal(f.units, 6);
    assert_int_equal(rec_follow_offset(&f), SIM_MS(100300));
    /* the VM was stopped for 2 s and resumed */
    rec_follow_resumed(&f);
    append_file(path, "[    1.200000] d\n", 17);
    rec_follow_poll(&f, SIM_MS(103501), count_line, &lines_seen);
    assert_int_equal(f.nsegs, 3);
    assert_int_equal(f.segs[2].from, 7);
    assert_int_equal(rec_follow_offset(&f), SIM_MS(102301));
    assert_int_equal(lines_seen, 7);
    rec_follow_finish(&f);
    /* the switch line itself (bound 100.29) still belongs to the old clock */
    assert_int_equal(f.segs[0].offset, SIM_MS(100290));
    assert_int_equal(f.segs[0].samples, 3);
    assert_int_equal(f.segs[0].spread, SIM_MS(10)); /* median 100.30 - min 100.29 */
    rec_follow_free(&f);
    tmp_remove(&t);
}

/* A guest clock that runs 3x the host clock (a failed TSC calibration) is
 * seen as a drift of the bound; a sound one shows none. */
static void follow_console_detects_a_wrong_guest_clock(void **state)
{
    (void)state;
    for (int rate = 1; rate <= 3; rate += 2) {
        struct tmp t;
        tmp_make(&t);
        char path[256];
        snprintf(path, sizeof(path), "%s/c.log", t.dir);
        struct rec_follow f;
        rec_follow_init(&f, REC_FOLLOW_CONSOLE, path);
        double drift = 0;
        for (int i = 0; i < 60; i++) {
            sim_time wall = SIM_S(100) + SIM_MS(50) * i + (i % 3) * SIM_MS(2); /* jitter */
            sim_time up = (SIM_MS(50) * i) * rate;
            char line[64];
            snprintf(line, sizeof(line), "[%5lld.%06lld] x\n", (long long)(up / 1000000000),
                     (long long)(up % 1000000000 / 1000));
            append_file(path, line, strlen(line));
            rec_follow_poll(&f, wall, NULL, NULL);
            if (i == 20) /* not enough stamp time yet to judge */
                assert_false(rec_follow_drift(&f, SIM_S(1), &drift));
        }
        assert_true(rec_follow_drift(&f, SIM_S(1), &drift));
        if (rate == 1)
            assert_true(drift > -0.005 && drift < 0.005);
        else
            assert_true(drift < -0.6 && drift > -0.7); /* (1 - 3) / 3 */
        rec_follow_free(&f);
        tmp_remove(&t);
    }
}

static void put32(unsigned char *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

/* filter-dump pcap: records are counted as they complete; each gives
 * arrival - stamp; a file that is not a pcap stops the parse. */
static void follow_pcap_measures_offsets(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    char path[256];
    snprintf(path, sizeof(path), "%s/p.pcap", t.dir);
    struct rec_follow f;
    rec_follow_init(&f, REC_FOLLOW_PCAP, path);
    unsigned char hdr[24] = { 0 };
    put32(hdr, 0xa1b2c3d4u);
    hdr[4] = 2;
    hdr[6] = 4;
    put32(hdr + 16, 65536);
    put32(hdr + 20, 1);
    append_file(path, hdr, 10);
    rec_follow_poll(&f, SIM_S(50), NULL, NULL);
    assert_false(f.pcap_header);
    append_file(path, hdr + 10, 14);
    unsigned char rec[16 + 60] = { 0 };
    put32(rec, 49);          /* stamp 49.5 s (virtual clock + second at open) */
    put32(rec + 4, 500000);
    put32(rec + 8, 60);
    put32(rec + 12, 60);
    append_file(path, rec, 30); /* half a record */
    rec_follow_poll(&f, SIM_S(50), NULL, NULL);
    assert_true(f.pcap_header);
    assert_int_equal(f.units, 0);
    append_file(path, rec + 30, sizeof(rec) - 30);
    rec_follow_poll(&f, SIM_MS(50100), NULL, NULL);
    assert_int_equal(f.units, 1);
    assert_int_equal(rec_follow_offset(&f), SIM_MS(600));
    assert_int_equal(f.bytes - f.len, 24 + sizeof(rec)); /* complete bytes */
    rec_follow_free(&f);

    snprintf(path, sizeof(path), "%s/bad.pcap", t.dir);
    rec_follow_init(&f, REC_FOLLOW_PCAP, path);
    append_file(path, "this is not a pcap file at all", 30);
    rec_follow_poll(&f, SIM_S(1), NULL, NULL);
    assert_true(f.pcap_bad);
    assert_int_equal(rec_follow_offset(&f), SIM_TIME_NONE);
    rec_follow_free(&f);
    tmp_remove(&t);
}

/* ---- processes ------------------------------------------------------------------------------ */

/* A process that ignores SIGTERM is killed after the grace period, in its
 * own process group (its children too), and reaped; exec failures are
 * reported. */
static void proc_stops_within_bounds(void **state)
{
    (void)state;
    struct rec_proc p;
    struct sim_err err = { "" };
    char pidfile[] = "/tmp/fosim-trec-pid.XXXXXX";
    int pfd = mkstemp(pidfile);
    assert_true(pfd >= 0);
    close(pfd);
    char script[256];
    snprintf(script, sizeof(script), "trap '' TERM; sleep 30 & echo $! > %s; sleep 30; wait",
             pidfile);
    char *argv[] = { "sh", "-c", script, NULL };
    assert_int_equal(rec_proc_start(&p, argv, "/", &err), 0);
    assert_true(p.pid > 0);
    assert_false(rec_proc_poll(&p));
    long child = 0;
    for (int i = 0; i < 200 && child == 0; i++) {
        FILE *f = fopen(pidfile, "r");
        if (f && fscanf(f, "%ld", &child) != 1)
            child = 0;
        if (f)
            fclose(f);
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
    assert_true(child > 0);
    unlink(pidfile);
    sim_time t = rec_mono();
    rec_proc_stop(&p, SIM_MS(300));
    assert_true(p.exited);
    assert_true(rec_mono() - t < SIM_S(3));
    char d[64];
    rec_proc_describe(&p, d, sizeof(d));
    assert_string_equal(d, "killed by signal 9");
    /* the background child of its group is gone too (a zombie at most,
     * until whoever adopted it reaps it) */
    char stat[64], st[256] = "";
    snprintf(stat, sizeof(stat), "/proc/%ld/stat", child);
    for (int i = 0; i < 100; i++) {
        FILE *f = fopen(stat, "r");
        if (!f)
            break;
        if (!fgets(st, sizeof(st), f))
            st[0] = '\0';
        fclose(f);
        if (strstr(st, ") Z "))
            break;
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    }
    assert_true(access(stat, F_OK) != 0 || strstr(st, ") Z ") != NULL);

    char *bad[] = { "/nonexistent/qemu", NULL };
    assert_int_equal(rec_proc_start(&p, bad, "/", &err), -1);
    assert_non_null(strstr(err.msg, "cannot run /nonexistent/qemu: No such file"));

    /* stderr arrives through the pipe; the exit status is described */
    char *say[] = { "sh", "-c", "echo oops >&2; exit 3", NULL };
    assert_int_equal(rec_proc_start(&p, say, "/", &err), 0);
    assert_true(rec_proc_wait(&p, SIM_S(5)));
    rec_proc_describe(&p, d, sizeof(d));
    assert_string_equal(d, "exited with status 3");
    char buf[64] = "";
    assert_int_equal(read(p.stderr_fd, buf, sizeof(buf) - 1), 5);
    assert_string_equal(buf, "oops\n");
    rec_proc_stop(&p, SIM_MS(100));
    assert_int_equal(p.stderr_fd, -1);
}

/* ---- the QMP client ---------------------------------------------------------------------------- */

struct got {
    char lines[8][256];
    int n;
};

static void got_line(void *ctx, struct rec_qmp *q, const char *line, sim_time wall)
{
    (void)q;
    (void)wall;
    struct got *g = ctx;
    if (g->n < 8)
        sim_strlcpy(g->lines[g->n++], line, sizeof(g->lines[0]));
}

static void pump(struct rec_qmp *q, struct got *g)
{
    for (int i = 0; i < 50; i++) {
        rec_qmp_io(q, POLLIN | POLLOUT, got_line, g);
        nanosleep(&(struct timespec){ 0, 2000000 }, NULL);
    }
}

/* Lines are logged verbatim in both directions, split reads are joined,
 * the peer going away is an EOF (no SIGPIPE), sends after it fail. */
static void qmp_client_logs_every_line(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    char sock[128], logp[128], trp[128];
    snprintf(sock, sizeof(sock), "%s/q.sock", t.dir);
    snprintf(logp, sizeof(logp), "%s/q.log", t.dir);
    snprintf(trp, sizeof(trp), "%s/q.tr", t.dir);
    FILE *log = fopen(logp, "w"), *tr = fopen(trp, "w");
    struct rec_qmp q;
    rec_qmp_init(&q, sock, log, tr);
    struct sim_err err = { "" };
    assert_int_equal(rec_qmp_try_connect(&q, &err), 0); /* no socket yet */
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    sim_strlcpy(a.sun_path, sock, sizeof(a.sun_path));
    assert_int_equal(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(ls, 1), 0);
    assert_int_equal(rec_qmp_try_connect(&q, &err), 1);
    int s = accept(ls, NULL, NULL);
    assert_true(s >= 0);
    const char *greet = "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}\r\n{\"timest";
    assert_int_equal(write(s, greet, strlen(greet)), (ssize_t)strlen(greet));
    struct got g = { .n = 0 };
    pump(&q, &g);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.lines[0], "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}");
    const char *rest = "amp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\n";
    assert_int_equal(write(s, rest, strlen(rest)), (ssize_t)strlen(rest));
    assert_int_equal(rec_qmp_send(&q, "{\"execute\": \"qmp_capabilities\"}", SIM_S(7)), 0);
    pump(&q, &g);
    assert_int_equal(g.n, 2);
    char buf[256] = "";
    assert_int_equal(read(s, buf, sizeof(buf) - 1), 32);
    assert_string_equal(buf, "{\"execute\": \"qmp_capabilities\"}\n");
    close(s); /* QEMU exits */
    pump(&q, &g);
    assert_true(q.eof);
    assert_int_equal(rec_qmp_send(&q, "{\"execute\": \"quit\"}", SIM_S(8)), -1);
    rec_qmp_close(&q);
    close(ls);
    fclose(log);
    fclose(tr);
    FILE *f = fopen(logp, "r");
    char l[256];
    assert_non_null(fgets(l, sizeof(l), f));
    assert_string_equal(l, "{\"QMP\": {\"version\": {}, \"capabilities\": [\"oob\"]}}\n");
    assert_non_null(fgets(l, sizeof(l), f));
    assert_string_equal(l, "{\"execute\": \"qmp_capabilities\"}\n");
    assert_non_null(fgets(l, sizeof(l), f));
    assert_string_equal(l, "{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": "
                           "\"STOP\"}\n");
    assert_null(fgets(l, sizeof(l), f));
    fclose(f);
    f = fopen(trp, "r");
    assert_non_null(fgets(l, sizeof(l), f));
    assert_non_null(strstr(l, " <- {\"QMP\""));
    assert_non_null(fgets(l, sizeof(l), f));
    assert_string_equal(l, "7.000000 -> {\"execute\": \"qmp_capabilities\"}\n");
    assert_non_null(fgets(l, sizeof(l), f));
    assert_non_null(fgets(l, sizeof(l), f));
    assert_non_null(strstr(l, " == EOF"));
    fclose(f);
    tmp_remove(&t);
}

/* Shell quoting of command lines in the manifest. */
static void command_lines_are_quoted(void **state)
{
    (void)state;
    char *argv[] = { "qemu", "-append", "console=ttyS0 ignore_loglevel", "-device",
                     "e1000e,romfile=", "it's", NULL };
    char b[256];
    rec_format_cmdline(b, sizeof(b), argv, 6);
    assert_string_equal(b, "qemu -append 'console=ttyS0 ignore_loglevel' -device e1000e,romfile= "
                           "'it'\\''s'");
}


/* ---- the whole recorder, against a fake QEMU ---------------------------------------------------
 *
 * This executable doubles as a fake qemu-system-x86_64 when FOSIM_FAKE_QEMU
 * is set (the recorder passes its environment on): it creates the QMP socket
 * and the serial file it is given, "boots" a kernel that prints a stamped
 * line every 50 ms, answers every command and exits on quit.  Modes: "ok";
 * "die" (exits at once with a message on stderr); "hang" (ignores quit and
 * SIGTERM, so only SIGKILL ends it).
 */
static const char *arg_after(int argc, char **argv, const char *opt, const char *prefix)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], opt) == 0 && strncmp(argv[i + 1], prefix, strlen(prefix)) == 0)
            return argv[i + 1] + strlen(prefix);
    return NULL;
}

static int fake_qemu(const char *mode, int argc, char **argv)
{
    const char *pidfile = getenv("FOSIM_FAKE_PIDFILE");
    if (pidfile) {
        FILE *f = fopen(pidfile, "w");
        if (f) {
            fprintf(f, "%ld\n", (long)getpid());
            fclose(f);
        }
    }
    if (strcmp(mode, "die") == 0) {
        fprintf(stderr, "qemu-system-x86_64: fake: cannot start\n");
        return 1;
    }
    if (strcmp(mode, "hang") == 0)
        signal(SIGTERM, SIG_IGN);
    const char *serial = arg_after(argc, argv, "-serial", "file:");
    const char *qmp = arg_after(argc, argv, "-qmp", "unix:");
    if (!serial || !qmp)
        return 2;
    char sock[256];
    snprintf(sock, sizeof(sock), "%.*s", (int)strcspn(qmp, ","), qmp);
    FILE *con = fopen(serial, "w");
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    sim_strlcpy(a.sun_path, sock, sizeof(a.sun_path));
    if (!con || ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(ls, 1) != 0)
        return 3;
    fprintf(stderr, "qemu-system-x86_64: warning: fake netdev has no peer\n");
    sim_time start = rec_mono(), next_line = start + SIM_MS(200);
    int c = -1;
    char in[4096];
    size_t inlen = 0;
    while (rec_mono() - start < SIM_S(60)) {
        struct pollfd p = { .fd = c >= 0 ? c : ls, .events = POLLIN };
        poll(&p, 1, 10);
        sim_time now = rec_mono();
        if (now >= next_line) { /* the kernel clock starts 0.2 s after the process */
            sim_time up = now - start - SIM_MS(200);
            fprintf(con, "[%5lld.%06lld] fake kernel line\n", (long long)(up / 1000000000),
                    (long long)(up % 1000000000 / 1000));
            fflush(con);
            next_line += SIM_MS(50);
        }
        if (c < 0 && (p.revents & POLLIN)) {
            c = accept(ls, NULL, NULL);
            const char *g = "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, "
                            "\"major\": 7}, \"package\": \"fake\"}, \"capabilities\": []}}\r\n";
            if (write(c, g, strlen(g)) < 0)
                return 4;
            continue;
        }
        if (c < 0 || !(p.revents & (POLLIN | POLLHUP)))
            continue;
        ssize_t n = read(c, in + inlen, sizeof(in) - inlen - 1);
        if (n <= 0)
            return 0;
        inlen += (size_t)n;
        char *nl;
        while ((nl = memchr(in, '\n', inlen)) != NULL) {
            *nl = '\0';
            json_t *j = json_loads(in, 0, NULL);
            const char *ex = j ? json_string_value(json_object_get(j, "execute")) : NULL;
            json_t *rep = json_pack("{s:{}}", "return");
            if (j && json_object_get(j, "id"))
                json_object_set(rep, "id", json_object_get(j, "id"));
            char *t = json_dumps(rep, JSON_PRESERVE_ORDER);
            if (t && (write(c, t, strlen(t)) < 0 || write(c, "\r\n", 2) < 0))
                return 5;
            free(t);
            json_decref(rep);
            bool quit = ex && strcmp(ex, "quit") == 0 && strcmp(mode, "hang") != 0;
            json_decref(j);
            if (quit)
                return 0;
            memmove(in, nl + 1, inlen - (size_t)(nl - in) - 1);
            inlen -= (size_t)(nl - in) + 1;
        }
    }
    return 0;
}

struct recording {
    struct tmp t;
    char out[128];
    char pidfile[128];
    int status;
    char log[8192];   /* the recorder's stdout and stderr */
};

/* Run fosim-record on `scenario` with this executable as its fake QEMU in
 * `mode` (SIGTERM to the recorder once QEMU runs if `interrupt`), and
 * require it to exit with status want_exit (its output is shown if not). */
static void record_with_fake(struct recording *rc, const char *mode, const char *scenario,
                             bool interrupt, int want_exit)
{
    memset(rc, 0, sizeof(*rc));
    tmp_make(&rc->t);
    tmp_file(&rc->t, "kernel-version", "6.1.0-56-amd64\n");
    tmp_file(&rc->t, "vmlinuz", "");
    tmp_file(&rc->t, "initrd.gz", "");
    tmp_file(&rc->t, "s.fos", scenario);
    snprintf(rc->out, sizeof(rc->out), "%s/new/dirs/out", rc->t.dir); /* parents made */
    snprintf(rc->pidfile, sizeof(rc->pidfile), "%s/fake.pid", rc->t.dir);
    char self[512], rec[600], scn[128], logp[128];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    assert_true(n > 0);
    self[n] = '\0';
    /* build/conformance/test_recorder -> build/fosim-record */
    snprintf(rec, sizeof(rec), "%.*s/../fosim-record", (int)(strrchr(self, '/') - self), self);
    snprintf(scn, sizeof(scn), "%s/s.fos", rc->t.dir);
    snprintf(logp, sizeof(logp), "%s/log", rc->t.dir);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("FOSIM_FAKE_QEMU", mode, 1);
        setenv("FOSIM_FAKE_PIDFILE", rc->pidfile, 1);
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(rec, rec, "--qemu", self, "--guest", rc->t.dir, "--boot-timeout", "10s", scn,
              rc->out, (char *)NULL);
        _exit(127);
    }
    if (interrupt) {
        /* once the fake QEMU runs and the recorder has waited a little */
        for (int i = 0; i < 500 && access(rc->pidfile, F_OK) != 0; i++)
            nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
        nanosleep(&(struct timespec){ 0, 700000000 }, NULL);
        kill(pid, SIGTERM);
    }
    sim_time end = rec_mono() + SIM_S(30);
    pid_t w = 0;
    while ((w = waitpid(pid, &rc->status, WNOHANG)) == 0 && rec_mono() < end)
        nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
    if (w != pid) {
        kill(pid, SIGKILL);
        waitpid(pid, &rc->status, 0);
        fail_msg("the recorder did not finish within 30 s");
    }
    FILE *f = fopen(logp, "r");
    if (f) {
        size_t k = fread(rc->log, 1, sizeof(rc->log) - 1, f);
        rc->log[k] = '\0';
        fclose(f);
    }
    if (!WIFEXITED(rc->status) || WEXITSTATUS(rc->status) != want_exit) {
        print_error("%s\n", rc->log);
        fail_msg("the recorder ended with wait status %#x, wanted exit %d", rc->status, want_exit);
    }
}

/* The fake QEMU is gone: no such process, or a zombie nobody reaped yet. */
static void assert_fake_gone(const struct recording *rc)
{
    long pid = 0;
    FILE *f = fopen(rc->pidfile, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%ld", &pid), 1);
    fclose(f);
    char stat[64], st[256] = "";
    snprintf(stat, sizeof(stat), "/proc/%ld/stat", pid);
    f = fopen(stat, "r");
    if (f) {
        if (!fgets(st, sizeof(st), f))
            st[0] = '\0';
        fclose(f);
        assert_non_null(strstr(st, ") Z "));
    }
}

static char *slurp(const char *dir, const char *name)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    FILE *f = fopen(p, "r");
    if (!f)
        return NULL;
    char *buf = calloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static const char *const FAKE_SCN =
    "host source\n    -M q35 -m 256 -nodefaults\n    -netdev user,id=hs0\n"
    "    -device virtio-net-pci,netdev=hs0,id=standby0,mac=52:54:00:11:11:11,failover=on\nend\n"
    "at 1s source query-status\nuntil 1.5s\n";

/* A whole recording: t = 0 from the fake kernel's stamps, the set-up, the
 * action with a fosim id at its time, a bundle with its manifest, every
 * process stopped and the work directory removed. */
static void recorder_records_a_run(void **state)
{
    (void)state;
    struct recording rc;
    record_with_fake(&rc, "ok", FAKE_SCN, false, 0);
    assert_non_null(strstr(rc.log, "recorded into"));
    char *qmp = slurp(rc.out, "source.qmp");
    assert_non_null(qmp);
    assert_non_null(strstr(qmp, "{\"QMP\": {\"version\""));
    assert_non_null(strstr(qmp, "{\"execute\": \"qmp_capabilities\", \"id\": \"fosim-1@"));
    assert_non_null(strstr(qmp, "{\"execute\": \"migrate-set-capabilities\""));
    assert_non_null(strstr(qmp, "{\"execute\": \"query-status\", \"id\": \"fosim-3@"));
    assert_null(strstr(qmp, "quit")); /* the bundle ends at the horizon */
    char *man = slurp(rc.out, "manifest.json");
    assert_non_null(man);
    assert_non_null(strstr(man, "\"generator\""));
    assert_non_null(strstr(man, "\"how\": \"source guest uptime 0"));
    assert_non_null(strstr(man, "\"epoch_ns\""));
    assert_non_null(strstr(man, "\"path\": \"source-guest.log\""));
    /* the fake wrote no capture: a pcap QEMU never opened is left out */
    assert_null(strstr(man, "\"path\": \"source-standby0.pcap\""));
    char *log = slurp(rc.out, "recorder.log");
    assert_non_null(log);
    /* the action went out at t = 1 s, a few ms late at most */
    const char *sent = strstr(log, "sent to source as fosim-3@");
    assert_non_null(sent);
    long long late = -1;
    const char *us = strstr(sent, ", ");
    assert_non_null(us);
    assert_int_equal(sscanf(us, ", %lld us after its time", &late), 1);
    assert_true(late >= 0 && late < 50000);
    /* the work directory is gone */
    const char *wd = strstr(log, "work directory ");
    assert_non_null(wd);
    char dir[128];
    assert_int_equal(sscanf(wd, "work directory %127s", dir), 1);
    assert_int_equal(access(dir, F_OK), -1);
    assert_null(slurp(rc.t.dir, "new/dirs/out.partial/manifest.json"));
    assert_fake_gone(&rc);
    free(qmp);
    free(man);
    free(log);
    tmp_remove(&rc.t);
}

/* QEMU that dies at start: exit 1 with its stderr in the message, no
 * bundle. */
static void recorder_reports_a_qemu_that_dies(void **state)
{
    (void)state;
    struct recording rc;
    record_with_fake(&rc, "die", FAKE_SCN, false, 1);
    assert_non_null(strstr(rc.log, "before its QMP greeting"));
    assert_non_null(strstr(rc.log, "fake: cannot start"));
    assert_int_equal(access(rc.out, F_OK), -1);
    tmp_remove(&rc.t);
}

/* SIGTERM while QEMU ignores SIGTERM and quit: the recorder still stops
 * it (SIGKILL after the grace), exits 130 and leaves no bundle. */
static void recorder_stops_everything_when_interrupted(void **state)
{
    (void)state;
    struct recording rc;
    record_with_fake(&rc, "hang", FAKE_SCN, true, 130);
    assert_non_null(strstr(rc.log, "interrupted"));
    assert_int_equal(access(rc.out, F_OK), -1);
    assert_fake_gone(&rc);
    tmp_remove(&rc.t);
}

/* A scenario the real guest cannot run: exit 2 before any process starts. */
static void recorder_refuses_bad_input(void **state)
{
    (void)state;
    struct recording rc;
    record_with_fake(&rc, "ok", "host source\n    -M q35\nend\nguest qtest\nend\n", false, 2);
    assert_non_null(strstr(rc.log, "s.fos:4:7: the qtest guest profile cannot be reproduced"));
    assert_int_equal(access(rc.pidfile, F_OK), -1); /* no QEMU was started */
    tmp_remove(&rc.t);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(plan_builds_command_lines),
    cmocka_unit_test(plan_notes_devices_and_roles),
    cmocka_unit_test(plan_refuses_what_reality_cannot_run),
    cmocka_unit_test(plan_anchor_without_kernel_clock),
    cmocka_unit_test(follow_console_measures_offsets),
    cmocka_unit_test(follow_console_detects_a_wrong_guest_clock),
    cmocka_unit_test(follow_pcap_measures_offsets),
    cmocka_unit_test(proc_stops_within_bounds),
    cmocka_unit_test(qmp_client_logs_every_line),
    cmocka_unit_test(command_lines_are_quoted),
    cmocka_unit_test(recorder_records_a_run),
    cmocka_unit_test(recorder_reports_a_qemu_that_dies),
    cmocka_unit_test(recorder_stops_everything_when_interrupted),
    cmocka_unit_test(recorder_refuses_bad_input),
};

int main(int argc, char **argv)
{
    const char *fake = getenv("FOSIM_FAKE_QEMU");
    if (fake)
        return fake_qemu(fake, argc, argv);
    return fo_run_group("recorder", tests, SIM_ARRAY_SIZE(tests));
}
