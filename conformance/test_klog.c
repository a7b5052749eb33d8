/*
 * The guest console reader: kernel lines are found among boot noise, shell
 * output, ANSI sequences, "\r", binary bytes and a line cut short; they are
 * typed by klog_classify as the simulator's lines are, timed by the clock
 * map; every other line is skipped and counted; files without any kernel
 * line are refused; memory does not grow with the console.
 */
#include "harness.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/klog.h"

static char tmpdir[64];

static const char *write_tmp(const char *name, const char *text, size_t len)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, len, f), len);
    fclose(f);
    return path;
}

/* A console as QEMU's -serial file: writes it: firmware noise, \r\n line
 * ends, shell output, an ANSI colour before a stamp, a NUL and a 0xff byte
 * inside a line, and a last line without newline. */
static const char console[] =
    "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n"
    "Booting from ROM..\r\n"
    "[    0.000000] Linux version 6.1.0-56-amd64 (debian-kernel@lists.debian.org)\r\n"
    "[    1.814933] pcieport 0000:00:01.0: pciehp: Slot #0 AttnBtn+ PwrCtrl+ MRL- AttnInd+\r\n"
    "fosim-guest: insmod failover\r\n"
    "[    2.854749] virtio_net virtio0 eth0: failover master:eth0 registered\r\n"
    "\x1b[0;32m[    2.860767] virtio_net virtio0 eth0: failover standby slave:eth1 registered\r\n"
    "[    2.839023] pcieport 0000:00:02.0: pciehp: Slot(0-1) Powering on due to button press\r\n"
    "/ # ip link\r\n"
    "[    3.180956] virtio_net virtio0 eth0: failover primary slave:eth2 registered\r\n"
    "[    7.388493] pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed\x00\xff\r\n"
    "\r\n"
    "[   12.646979] virtio_net virtio0 eth0: failover primary slave:eth2 unregistered\r\n"
    "[   12.7";

/* Kernel lines are typed and positioned; noise is skipped and counted. */
static void test_reads_a_noisy_console(void **state)
{
    (void)state;
    EVIDENCE(G-43);
    const char *p = write_tmp("guest.log", console, sizeof(console) - 1);
    struct clock_map m = { 0 };
    assert_int_equal(clock_map_add(&m, 1, SIM_S(1700000000)), 0);
    m.estimated = true;
    struct klog_reader *k;
    struct sim_err err = { "" };
    assert_int_equal(klog_open(p, "source-guest.log", OBS_SOURCE, &m, &k, &err), 0);
    struct obs o;
    enum klog_kind kinds[16];
    uint64_t lines[16];
    sim_time ups[16];
    char texts[16][128];
    int n = 0, rc;
    while ((rc = klog_next(k, &o, &err)) == 1 && n < 16) {
        assert_int_equal(o.kind, OBS_KLOG);
        assert_int_equal(o.host, OBS_SOURCE);
        assert_string_equal(o.origin.file, "source-guest.log");
        assert_true(o.t_approx);
        assert_i64_equal(o.t, o.u.klog.uptime + SIM_S(1700000000));
        kinds[n] = o.u.klog.kind;
        lines[n] = o.origin.line;
        ups[n] = o.u.klog.uptime;
        sim_strlcpy(texts[n], o.u.klog.text, sizeof(texts[n]));
        n++;
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 8);
    assert_int_equal(kinds[0], KLOG_OTHER);
    assert_int_equal(kinds[1], KLOG_PCIEHP_SLOT_INIT);
    assert_int_equal(kinds[2], KLOG_FO_MASTER_REGISTERED);
    assert_int_equal(kinds[3], KLOG_FO_STANDBY_REGISTERED);
    assert_int_equal(lines[3], 7);
    assert_string_equal(texts[3], "virtio_net virtio0 eth0: failover standby slave:eth1 registered");
    assert_int_equal(kinds[4], KLOG_PCIEHP_POWER_ON_BUTTON);
    assert_int_equal(kinds[5], KLOG_FO_PRIMARY_REGISTERED);
    assert_int_equal(kinds[6], KLOG_PCIEHP_BUTTON);
    assert_string_equal(texts[6],
                        "pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed");
    assert_int_equal(kinds[7], KLOG_FO_PRIMARY_UNREGISTERED);
    assert_i64_equal(ups[7], SIM_US(12646979));
    const struct klog_stats *st = klog_stats(k);
    assert_int_equal(st->lines, 14);
    assert_int_equal(st->kernel, 8);
    assert_int_equal(st->skipped, 6); /* 4 noise, 1 blank, "[   12.7" cut short */
    assert_int_equal(st->partial, 1);
    assert_int_equal(st->reboots, 1); /* 2.839023 after 2.860767 */
    klog_close(k);
    clock_map_free(&m);
}

/* With a manifest clock the lines are exact, and rewinding with another
 * clock gives the same lines at other times. */
static void test_exact_clock_and_rewind(void **state)
{
    (void)state;
    const char *p = write_tmp("g.log", console, sizeof(console) - 1);
    struct clock_map m = { 0 }, m2 = { 0 };
    assert_int_equal(clock_map_add(&m, 1, SIM_S(10)), 0);
    assert_int_equal(clock_map_add(&m, 13, SIM_S(20)), 0);
    assert_int_equal(clock_map_add(&m2, 1, 0), 0);
    struct klog_reader *k;
    struct sim_err err;
    assert_int_equal(klog_open(p, "g.log", OBS_TARGET, &m, &k, &err), 0);
    struct obs o;
    while (klog_next(k, &o, &err) == 1) {
        assert_false(o.t_approx);
        assert_i64_equal(o.t, o.u.klog.uptime + (o.origin.line >= 13 ? SIM_S(20) : SIM_S(10)));
    }
    assert_int_equal(klog_rewind(k, &m2, &err), 0);
    assert_int_equal(klog_next(k, &o, &err), 1);
    assert_int_equal(o.origin.line, 3);
    assert_i64_equal(o.t, 0);
    klog_close(k);
    clock_map_free(&m);
    clock_map_free(&m2);
}

/* An empty console and one without any kernel line are refused. */
static void test_bad_consoles_are_refused(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        size_t len;
        const char *want;
    } cases[] = {
        { "", 0, "c.log: empty file: expected a guest console" },
        { "SeaBIOS\r\nBooting\r\n/ # \r\n", 23, "c.log: no kernel line in 3 lines" },
        { "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 16, "c.log: no kernel line in 3 lines" },
        { "[ 12.5 oops\n[x] y\n", 18, "c.log: no kernel line in 2 lines" },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        const char *p = write_tmp("c.log", cases[i].text, cases[i].len);
        struct klog_reader *k;
        struct sim_err err = { "" };
        assert_int_equal(klog_open(p, "c.log", OBS_SOURCE, NULL, &k, &err), 0);
        struct obs o;
        int rc;
        while ((rc = klog_next(k, &o, &err)) == 1)
            ;
        if (rc != -1 || !strstr(err.msg, cases[i].want))
            print_error("case %zu: rc %d '%s'\n", i, rc, err.msg);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(err.msg, cases[i].want));
        klog_close(k);
    }
    struct klog_reader *k;
    struct sim_err err = { "" };
    assert_int_equal(klog_open("/nonexistent/x.log", "x.log", OBS_SOURCE, NULL, &k, &err), -1);
    assert_non_null(strstr(err.msg, "x.log: cannot open: No such file"));
}

/* Memory stays flat over 300,000 console lines. */
static void test_streaming_memory(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/long.log", tmpdir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (unsigned i = 0; i < 300000; i++)
        fprintf(f, i % 3 ? "[%5u.%06u] e1000e 0000:02:00.0 eth2: NIC Link is Up\r\n"
                         : "noise %u %u\r\n",
                i / 1000, i % 1000);
    fclose(f);
    struct klog_reader *k;
    struct sim_err err;
    assert_int_equal(klog_open(path, "long.log", OBS_SOURCE, NULL, &k, &err), 0);
    struct obs o;
    size_t base = 0, peak = 0, n = 0;
    int rc;
    while ((rc = klog_next(k, &o, &err)) == 1) {
        if (++n % 10000 == 0) {
            size_t used = mallinfo2().uordblks;
            if (n == 10000)
                base = used;
            if (used > peak)
                peak = used;
        }
    }
    assert_int_equal(rc, 0);
    assert_int_equal(n, 200000);
    assert_int_equal(klog_stats(k)->skipped, 100000);
    if (base > 0)
        assert_true(peak <= base + 64 * 1024);
    klog_close(k);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/fosim-klog-XXXXXX");
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
    cmocka_unit_test_setup_teardown(test_reads_a_noisy_console, setup, teardown),
    cmocka_unit_test_setup_teardown(test_exact_clock_and_rewind, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_consoles_are_refused, setup, teardown),
    cmocka_unit_test_setup_teardown(test_streaming_memory, setup, teardown),
};

FO_MAIN("klog", tests)
