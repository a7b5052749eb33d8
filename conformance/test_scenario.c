/*
 * The scenario parser: a complete valid file, then a table of invalid ones,
 * each with the exact "file:line:column: message" it must produce.  Also the
 * time syntax shared by scenarios and options.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/err.h"
#include "sim/scenario.h"

static const char *valid =
    "# native hotplug migration\n"
    "scenario native-migration\n"
    "describe \"Native PCIe hotplug; the migration completes.\"\n"
    "seed 7\n"
    "epoch 2026-11-25T12:00:00Z\n"
    "until 40s\n"
    "evidence MIG-SRC-001 H-37\n"
    "host source\n"
    "    qemu-system-x86_64 -M q35 -m 256 \\\n"
    "        -global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off\n"
    "    -device pcie-root-port,id=root0,addr=0x1,chassis=1\n"
    "    -netdev user,id=hs0 -device '{\"driver\":\"virtio-net-pci\",\"id\":\"standby0\"}'\n"
    "end\n"
    "host target like source\n"
    "    -incoming tcp:127.0.0.1:4444\n"
    "end\n"
    "guest linux\n"
    "    eject-delay 100ms\n"
    "    standby accept\n"
    "end\n"
    "traffic\n"
    "    ping 10.0.2.2 every 200ms\n"
    "end\n"
    "at 10s source migrate uri=tcp:127.0.0.1:4444 as mig\n"
    "at 2s source qmp {\"execute\": \"device_add\", \"arguments\": {\"driver\": \"e1000e\", "
    "\"id\": \"primary0\"}}\n"
    "at 11.5s source device_del id=primary0 rombar=0 failover=true\n"
    "at 3s guest eject primary0\n"
    "expect source event MIGRATION status=completed in 15s..18s\n"
    "expect source no event MIGRATION status=failed\n"
    "expect source event UNPLUG_PRIMARY device-id=primary0 count 1\n"
    "expect source migration wait-unplug in ..11s\n"
    "expect source duration wait-unplug 6s..7s\n"
    "expect source device primary0 hidden at 1s\n"
    "expect source reply mig ok\n"
    "expect source order UNPLUG_PRIMARY < MIGRATION status=wait-unplug < log \"Powering off\"\n"
    "expect guest log \"failover primary slave:eth2 registered\" count 2\n"
    "expect target no stderr \"warning\"\n"
    "expect verdict MIG-SRC-001 pass\n"
    "expect traffic blackout out < 1s\n";

static void test_valid_file(void **state)
{
    (void)state;
    struct scenario *s = NULL;
    struct sim_err err = { "" };
    int r = scn_parse_string("valid.fos", valid, &s, &err);
    if (r != 0)
        fail_msg("%s", err.msg);
    assert_string_equal(s->name, "native-migration");
    assert_string_equal(s->description, "Native PCIe hotplug; the migration completes.");
    assert_true(s->seed == 7 && s->seed_set);
    assert_i64_equal(s->epoch, (sim_time)1795608000 * 1000000000);
    assert_i64_equal(s->until, SIM_S(40));
    assert_int_equal(s->evidence.n, 2);

    const struct scn_host *src = &s->hosts[OBS_SOURCE];
    assert_true(src->present);
    /* the program name is dropped, the continuation joins the lines */
    assert_string_equal(src->argv.v[0].text, "-M");
    assert_int_equal(src->argv.v[0].pos.line, 9);
    assert_int_equal(src->argv.v[0].pos.col, 24);
    assert_string_equal(src->argv.v[4].text, "-global");
    assert_int_equal(src->argv.v[4].pos.line, 10);
    assert_string_equal(src->argv.v[10].text, "-device");
    assert_string_equal(src->argv.v[11].text, "{\"driver\":\"virtio-net-pci\",\"id\":\"standby0\"}");
    size_t nsrc = src->argv.n;
    const struct scn_host *dst = &s->hosts[OBS_TARGET];
    assert_int_equal(dst->argv.n, nsrc + 2);
    assert_string_equal(dst->argv.v[nsrc].text, "-incoming");

    assert_string_equal(s->guest.profile.text, "linux");
    assert_int_equal(s->guest.nknobs, 2);
    assert_non_null(scn_guest_knob(&s->guest, "eject-delay"));
    assert_int_equal(s->traffic.nlines, 1);
    assert_int_equal(s->traffic.lines[0].words.n, 4);

    /* actions are sorted by time, stable */
    assert_int_equal(s->nactions, 4);
    assert_i64_equal(s->actions[0].at, SIM_S(2));
    assert_int_equal(s->actions[1].kind, SCN_ACT_GUEST);
    assert_i64_equal(s->actions[2].at, SIM_S(10));
    assert_string_equal(s->actions[2].label, "mig");
    assert_string_equal(s->actions[2].json,
                        "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"tcp:127.0.0.1:4444\"}}");
    /* terse values: numbers and booleans become JSON, the rest strings */
    assert_string_equal(s->actions[3].json, "{\"execute\":\"device_del\",\"arguments\":"
                                            "{\"id\":\"primary0\",\"rombar\":0,\"failover\":true}}");

    assert_int_equal(s->nexpects, 12);
    assert_int_equal(s->expects[0].kind, SCN_EXPECT_EVENT);
    assert_string_equal(s->expects[0].items[0].keys[0].text, "status");
    assert_string_equal(s->expects[0].items[0].values[0].text, "completed");
    assert_i64_equal(s->expects[0].from, SIM_S(15));
    assert_true(s->expects[1].negated);
    assert_int_equal(s->expects[2].count, 1);
    assert_i64_equal(s->expects[3].from, SIM_TIME_NONE);
    assert_i64_equal(s->expects[3].to, SIM_S(11));
    assert_int_equal(s->expects[4].kind, SCN_EXPECT_DURATION);
    assert_int_equal(s->expects[5].kind, SCN_EXPECT_DEVICE);
    assert_i64_equal(s->expects[5].at, SIM_S(1));
    assert_int_equal(s->expects[7].nitems, 3);
    assert_true(s->expects[7].items[2].is_log);
    assert_true(s->expects[8].any_host);
    assert_int_equal(s->expects[11].kind, SCN_EXPECT_TRAFFIC);
    scn_free(s);
}

struct bad {
    const char *text;
    const char *msg;
};

static const struct bad bad_cases[] = {
    { "", "bad.fos:1:1: the scenario defines no 'host source' block" },
    { "host source\n-m 1\n", "bad.fos:1:1: host block has no matching 'end'" },
    { "host sauce\nend\n", "bad.fos:1:6: expected a host, source or target, found 'sauce'" },
    { "host source\nend\nhost source\nend\n",
      "bad.fos:3:6: host source is defined twice (first at bad.fos:1)" },
    { "host target like source\nend\n",
      "bad.fos:1:18: 'like source' needs host source to be defined earlier" },
    { "hots source\n",
      "bad.fos:1:1: unknown statement 'hots' (expected scenario, describe, seed, epoch, until, "
      "vms, qmp-setup, evidence, tags, include, host, guest, traffic, at or expect)" },
    { "host source\nend\nvms 0\n",
      "bad.fos:3:5: expected a number of VMs from 1 to 100000, found '0'" },
    /* strtoul wraps a negative number round: this one would read as 2 */
    { "host source\nend\nvms -18446744073709551614\n",
      "bad.fos:3:5: expected a number of VMs from 1 to 100000, found '-18446744073709551614'" },
    { "host source\nend\nvms +2\n",
      "bad.fos:3:5: expected a number of VMs from 1 to 100000, found '+2'" },
    { "host source\nend\nat 2x source migrate\n",
      "bad.fos:3:4: expected a time such as 2s, 1.5s, 250ms or 10us, found '2x'" },
    { "host source\nend\nat 2s moon migrate\n",
      "bad.fos:3:7: expected source, target or guest after the time, found 'moon'" },
    { "host source\nend\nat 2s source migrate uri\n",
      "bad.fos:3:22: expected key=value (an argument of migrate), found 'uri'" },
    { "host source\nend\nat 2s source qmp {\"execute\": 1}\n",
      "bad.fos:3:18: a QMP command is an object with an \"execute\" string member" },
    { "host source\nend\nat 2s source qmp {\"execute\": \"x\",}\n",
      "bad.fos:3:34: invalid JSON: string or '}' expected near '}'" },
    { "host source\nend\nat 2s source qmp {\"execute\": \"x\"\n",
      "bad.fos:3:18: unterminated JSON value (a JSON object must end on the line it starts)" },
    { "host source\nend\nat 2s target migrate\n",
      "bad.fos:3:1: action on host target, which the scenario does not define" },
    { "host source\nend\nexpect source event migration\n",
      "bad.fos:3:21: expected a QMP event name in capitals (MIGRATION, UNPLUG_PRIMARY, ...), "
      "found 'migration'" },
    { "host source\nend\nexpect source event MIGRATION status\n",
      "bad.fos:3:31: expected field=value (e.g. status=wait-unplug), 'in', 'count' or '<', "
      "found 'status'" },
    { "host source\nend\nexpect source event MIGRATION in 8s..5s\n",
      "bad.fos:3:34: time window ends before it starts" },
    { "host source\nend\nexpect source event MIGRATION in 5s..x\n",
      "bad.fos:3:38: expected a time after '..', found 'x'" },
    { "host source\nend\nexpect source reply nolabel ok\n",
      "bad.fos:3:21: no action is labelled 'nolabel' (use 'as nolabel')" },
    { "host source\nend\nexpect source order MIGRATION\n",
      "bad.fos:3:15: an order needs at least two items: A < B" },
    { "host source\nend\nexpect verdict X maybe\n",
      "bad.fos:3:18: expected pass, fail, inconclusive or n/a, found 'maybe'" },
    { "host source\nend\nexpect guest event MIGRATION\n",
      "bad.fos:3:14: 'expect guest' takes only 'log' or 'no log'" },
    { "host source\nend\nexpect source log \"x\n",
      "bad.fos:3:19: unterminated \"-quoted string" },
    { "host source\nend\nguest windows\nend\n",
      "bad.fos:3:7: expected a guest profile: linux, qtest or none; found 'windows'" },
    { "host source\nend\nseed -1\n", "bad.fos:3:6: expected a seed (a number), found '-1'" },
    { "host source\nend\nepoch yesterday\n",
      "bad.fos:3:7: expected an epoch as 2025-11-25T12:00:00Z or Unix seconds, found 'yesterday'" },
    { "host source\nend\nexpect source device primary0 visible\n",
      "bad.fos:3:15: expected 'device ID visible|hidden|present|absent at TIME'" },
    { "host source\nend\nat 1s source migrate as a\nat 2s source migrate as a\n",
      "bad.fos:4:25: label 'a' is already used at bad.fos:3" },
    { "host source\nend\ninclude \"does-not-exist.fos\"\n",
      "bad.fos:3:9: does-not-exist.fos: cannot open: No such file or directory" },
    { "host source\nend\nexpect source log \"a\\q\"\n",
      "bad.fos:3:22: unknown escape \\q (expected \\\", \\\\, \\n or \\t)" },
};

static void test_invalid_files(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        struct scenario *s = NULL;
        struct sim_err err = { "" };
        int r = scn_parse_string("bad.fos", bad_cases[i].text, &s, &err);
        if (r == 0) {
            scn_free(s);
            fail_msg("case %zu parsed but should fail: %s", i, bad_cases[i].text);
        }
        if (strcmp(err.msg, bad_cases[i].msg) != 0)
            fail_msg("case %zu:\n  got:  %s\n  want: %s", i, err.msg, bad_cases[i].msg);
    }
}

/* A NUL byte is refused with its offset. */
static void test_nul_byte(void **state)
{
    (void)state;
    char path[] = "/tmp/fosim-test-nul-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "wb");
    fwrite("host source\n\0end\n", 1, 17, f);
    fclose(f);
    struct scenario *s = NULL;
    struct sim_err err;
    assert_int_equal(scn_load(path, &s, &err), -1);
    assert_non_null(strstr(err.msg, ": byte 12: NUL byte (a scenario is a text file)"));
    unlink(path);
}

static void test_time_syntax(void **state)
{
    (void)state;
    struct {
        const char *text;
        sim_time want;
    } ok[] = {
        { "2s", SIM_S(2) },       { "1.5s", SIM_MS(1500) }, { "250ms", SIM_MS(250) },
        { "10us", SIM_US(10) },   { "100ns", 100 },         { "3", SIM_S(3) },
        { "0.000000001s", 1 },    { "1m", SIM_S(60) },      { "0.25ms", SIM_US(250) },
        { "1h", SIM_S(3600) },
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        sim_time t;
        const char *end;
        assert_int_equal(sim_time_parse(ok[i].text, &t, &end), 0);
        assert_int_equal(*end, '\0');
        assert_i64_equal(t, ok[i].want);
    }
    const char *bad[] = { "", "s", "1.5", "0.0000000001s", "2 s", "1e3s", "x", "1.s", "99999999999999999999s" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        sim_time t;
        const char *end;
        int r = sim_time_parse(bad[i], &t, &end);
        if (r == 0 && *end == '\0' && strcmp(bad[i], "1.5") != 0)
            fail_msg("'%s' parsed as a time", bad[i]);
    }
    char buf[32];
    sim_time_format(buf, sizeof(buf), SIM_MS(1500));
    assert_string_equal(buf, "1.500000000");
    sim_time_format_short(buf, sizeof(buf), SIM_MS(250));
    assert_string_equal(buf, "250ms");
    sim_time_format_short(buf, sizeof(buf), SIM_MS(6250));
    assert_string_equal(buf, "6.25s");
    sim_time_format_short(buf, sizeof(buf), SIM_S(30));
    assert_string_equal(buf, "30s");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_valid_file),
    cmocka_unit_test(test_invalid_files),
    cmocka_unit_test(test_nul_byte),
    cmocka_unit_test(test_time_syntax),
};

FO_MAIN("scenario", tests)
