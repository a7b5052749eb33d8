/*
 * fosim check on bad input: every kind of unusable artifact (empty,
 * truncated, garbage; pcaps with a wrong magic, a caplen beyond the
 * snaplen, a huge length; non-JSON QMP lines, events without timestamp,
 * timestamps going backwards; missing files; manifests naming a missing
 * file or with wrong types; bad options) gives a message naming the file
 * and position and exit status 2, and no report.  Unknown events are not
 * fatal.
 */
#include "harness.h"
#include "report_fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/err.h"

static char tmpdir[64];

static const char *put_bytes(const char *name, const void *data, size_t n)
{
    static char path[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof(path[k]), "%s/%s", tmpdir, name);
    FILE *f = fopen(path[k], "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    fclose(f);
    return path[k];
}

static const char *put(const char *name, const char *text)
{
    return put_bytes(name, text, strlen(text));
}

/* Run `fosim check ARGS` in tmpdir; returns the exit status, output in out. */
static int check(const char *args, char *out, size_t n)
{
    char a[2048];
    assert_true((size_t)snprintf(a, sizeof(a), "check %s", args) < sizeof(a));
    return fo_fosim_in(tmpdir, a, out, n);
}

struct bad {
    const char *args;
    const char *want;
};

static void expect_bad(const struct bad *cases, size_t n)
{
    static char out[65536];
    for (size_t i = 0; i < n; i++) {
        int rc = check(cases[i].args, out, sizeof(out));
        if (rc != 2 || !strstr(out, cases[i].want))
            print_error("fosim check %s: exit %d, output:\n%s\nwanted: %s\n", cases[i].args, rc,
                        out, cases[i].want);
        assert_int_equal(rc, 2);
        assert_non_null(strstr(out, cases[i].want));
        assert_null(strstr(out, "PASS"));
    }
}

static const char good_qmp[] =
    "{\"QMP\": {\"version\": {}}}\n"
    "{\"timestamp\": {\"seconds\": 1700000010, \"microseconds\": 0}, \"event\": "
    "\"FAILOVER_NEGOTIATED\", \"data\": {\"device-id\": \"standby0\"}}\n";

/* Options that make no sense are refused before anything is read. */
static void test_bad_options(void **state)
{
    (void)state;
    put("s.qmp", good_qmp);
    static const struct bad cases[] = {
        { "", "check needs a bundle directory or files" },
        { "--frobnicate", "unknown option '--frobnicate' for check" },
        { "--source-qmp", "--source-qmp needs a file" },
        { "--report xml --source-qmp s.qmp", "--report expects text, tap or junit" },
        { "--pcap guest.pcap", "--pcap expects HOST:DEVICE=FILE" },
        { "--pcap moon:guest=s.qmp", "--pcap: host must be source or target, got 'moon'" },
        { "--pcap source:=s.qmp", "--pcap expects HOST:DEVICE=FILE" },
        { ". --source-qmp s.qmp", "give either a bundle directory or files one by one" },
        { "a b", "a: No such file or directory" }, /* a campaign of two bundles, neither usable */
        { "--source-qmp s.qmp --source-qmp s.qmp", "a second qmp file for the source host" },
        { "--source-qmp missing.qmp", "--source-qmp: qmp: missing.qmp: No such file or directory" },
        { "--target-guest .", "--target-guest: console: .: not a regular file" },
    };
    expect_bad(cases, SIM_ARRAY_SIZE(cases));
}

/* QMP logs: empty, garbage, truncated, non-JSON, no timestamp, backwards. */
static void test_bad_qmp_logs(void **state)
{
    (void)state;
    put("empty.qmp", "");
    put_bytes("garbage.qmp", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03\xed\xbd\n", 13);
    put("trunc.qmp", "{\"QMP\": {}}\n{\"timestamp\": {\"seconds\": 17000000");
    put("text.qmp", "{\"QMP\": {}}\n{\"return\": {}}\nQMP connected\n");
    put("nots.qmp", "{\"QMP\": {}}\n{\"event\": \"RESUME\", \"data\": {}}\n");
    put("back.qmp", "{\"timestamp\": {\"seconds\": 1700000010, \"microseconds\": 5}, \"event\": "
                    "\"STOP\"}\n{\"timestamp\": {\"seconds\": 1700000009, \"microseconds\": 0}, "
                    "\"event\": \"RESUME\"}\n");
    put("notqmp.qmp", "{\"jsonrpc\": \"2.0\", \"method\": \"x\"}\n");
    static const struct bad cases[] = {
        { "--source-qmp empty.qmp", "empty.qmp: empty file: expected QMP lines" },
        { "--source-qmp garbage.qmp", "garbage.qmp:1:4: expected a JSON object, found a NUL byte" },
        { "--target-qmp trunc.qmp", "trunc.qmp:2:" },
        { "--target-qmp trunc.qmp", "(the last line is cut short: truncated file?)" },
        { "--source-qmp text.qmp", "text.qmp:3:3: expected one JSON object per line" },
        { "--source-qmp nots.qmp", "nots.qmp:2:1: event without a \"timestamp\"" },
        { "--source-qmp back.qmp", "back.qmp:2:1: event timestamp 1700000009.000000000 is earlier "
                                   "than 1700000010.000005000 on line 1" },
        { "--source-qmp notqmp.qmp", "notqmp.qmp:1:1: expected a QMP greeting, command, reply or event" },
    };
    expect_bad(cases, SIM_ARRAY_SIZE(cases));
}

/* Consoles and stderr: empty and garbage consoles, binary stderr. */
static void test_bad_consoles_and_stderr(void **state)
{
    (void)state;
    put("s.qmp", good_qmp);
    put("empty.log", "");
    put_bytes("garbage.log", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x01", 18);
    put_bytes("bin.stderr", "qemu-system-x86_64: warning: x\n\x00\x01\x02", 34);
    static const struct bad cases[] = {
        { "--source-qmp s.qmp --source-guest empty.log", "empty.log: empty file: expected a guest console" },
        { "--source-qmp s.qmp --target-guest garbage.log", "garbage.log: no kernel line in 3 lines" },
        { "--source-qmp s.qmp --source-stderr bin.stderr",
          "bin.stderr:2:1: expected text (QEMU's messages), found byte 0x00 (byte offset 31)" },
    };
    expect_bad(cases, SIM_ARRAY_SIZE(cases));
}

static void le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A microsecond pcap: header with `snap`, one record declaring `caplen`
 * and carrying `have` bytes. */
static size_t make_pcap(uint8_t *buf, uint32_t snap, uint32_t caplen, uint32_t len, uint32_t have)
{
    le32(buf, 0xa1b2c3d4);
    buf[4] = 2;
    buf[5] = 0;
    buf[6] = 4;
    buf[7] = 0;
    memset(buf + 8, 0, 8);
    le32(buf + 16, snap);
    le32(buf + 20, 1);
    le32(buf + 24, 1700000000);
    le32(buf + 28, 0);
    le32(buf + 32, caplen);
    le32(buf + 36, len);
    memset(buf + 40, 0xab, have);
    return 40 + have;
}

/* pcaps: empty, wrong magic, caplen beyond the snaplen, a huge length, a
 * record cut short, an unsupported link type. */
static void test_bad_pcaps(void **state)
{
    (void)state;
    put("s.qmp", good_qmp);
    static uint8_t buf[4096];
    put("empty.pcap", "");
    put("magic.pcap", "this is not a capture file at all, just text\n");
    put_bytes("snap.pcap", buf, make_pcap(buf, 100, 200, 200, 200));
    put_bytes("huge.pcap", buf, make_pcap(buf, 65535, 0x7fffffff, 0x7fffffff, 64));
    put_bytes("cut.pcap", buf, make_pcap(buf, 65535, 64, 64, 30));
    size_t n = make_pcap(buf, 65535, 60, 60, 60);
    le32(buf + 20, 105); /* 802.11 */
    put_bytes("link.pcap", buf, n);
    static const struct bad cases[] = {
        { "--pcap source:primary0=empty.pcap", "empty.pcap: byte offset 0: truncated file header" },
        { "--pcap source:primary0=magic.pcap", "magic.pcap: byte offset 0: not a pcap file" },
        { "--pcap source:primary0=snap.pcap", "snap.pcap: record 1 at byte offset 24: caplen 200 exceeds the file's snaplen of 100" },
        { "--pcap source:guest=huge.pcap", "huge.pcap: record 1 at byte offset 24: record length out of bounds" },
        { "--pcap target:standby0=cut.pcap", "cut.pcap: record 1 at byte offset 24: truncated record" },
        { "--source-qmp s.qmp --pcap source:standby0=link.pcap", "link.pcap: link type 105 (IEEE802_11) is not supported" },
    };
    expect_bad(cases, SIM_ARRAY_SIZE(cases));
}

/* Bundles: no manifest, a manifest naming a missing file, wrong types. */
static void test_bad_bundles(void **state)
{
    (void)state;
    static char out[65536];
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/b' '%s/c' '%s/d'", tmpdir, tmpdir, tmpdir);
    assert_int_equal(system(cmd), 0);
    put("c/manifest.json",
        "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": \"x\"}, "
        "\"complete\": true, \"files\": [{\"path\": \"source.qmp\", \"host\": \"source\", "
        "\"kind\": \"qmp\"}]}");
    put("d/source.qmp", good_qmp);
    put("d/manifest.json",
        "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": \"x\"}, "
        "\"complete\": \"yes\", \"files\": [{\"path\": \"source.qmp\", \"host\": \"source\", "
        "\"kind\": \"qmp\"}]}");
    static const struct bad cases[] = {
        { "nowhere", "nowhere: No such file or directory" },
        { "b", "b: no manifest.json: not a bundle, or its recording did not finish" },
        { "c", "c/manifest.json: files[0]: a file the manifest names: c/source.qmp: No such file" },
        { "d", "d/manifest.json: complete: expected true or false, found a string" },
    };
    expect_bad(cases, SIM_ARRAY_SIZE(cases));
    /* a good bundle with an unknown event is read (not exit 2) */
    put("d/source.qmp", "{\"QMP\": {}}\n{\"timestamp\": {\"seconds\": 1700000010, "
                        "\"microseconds\": 0}, \"event\": \"VENDOR_EVENT\"}\n");
    put("d/manifest.json",
        "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": \"x\"}, "
        "\"complete\": true, \"files\": [{\"path\": \"source.qmp\", \"host\": \"source\", "
        "\"kind\": \"qmp\"}]}");
    int rc = check("d", out, sizeof(out));
    if (rc == 2)
        print_error("%s\n", out);
    assert_true(rc != 2);
    assert_non_null(strstr(out, "1 event(s) fosim has no meaning for (first: VENDOR_EVENT)"));
    /* a recording that did not complete never passes */
    put("d/manifest.json",
        "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": \"x\"}, "
        "\"complete\": false, \"files\": [{\"path\": \"source.qmp\", \"host\": \"source\", "
        "\"kind\": \"qmp\"}]}");
    rc = check("d", out, sizeof(out));
    if (rc != 3 && rc != 1)
        print_error("exit %d:\n%s\n", rc, out);
    assert_true(rc == 3 || rc == 1);
}


/* The stored-trace step fails when a bundle's verdicts differ from its
 * .expect, and when the .expect is missing. */
static void test_check_traces_step_can_fail(void **state)
{
    (void)state;
    static char out[65536];
    char cwd[512], cmd[2048];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/traces/t/b'", tmpdir);
    assert_int_equal(system(cmd), 0);
    put("traces/t/b/source.qmp", good_qmp);
    put("traces/t/b/manifest.json",
        "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": \"x\"}, "
        "\"complete\": true, \"files\": [{\"path\": \"source.qmp\", \"host\": \"source\", "
        "\"kind\": \"qmp\"}]}");
    const char *steps[][2] = {
        { NULL, "FAIL traces/t/b: no traces/t/b.expect" },
        { "exit 0\nEVT-001 fail\n", "EVT-001: " },
        { "exit 1\n", "  exit " },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(steps); i++) {
        if (steps[i][0])
            put("traces/t/b.expect", steps[i][0]);
        snprintf(cmd, sizeof(cmd),
                 "cd '%s' && FOSIM='%s/%s' sh '%s/conformance/check-traces.sh' 2>&1", tmpdir, cwd,
                 FOSIM_BIN, cwd);
        FILE *p = popen(cmd, "r");
        assert_non_null(p);
        size_t k = fread(out, 1, sizeof(out) - 1, p);
        out[k] = '\0';
        pclose(p);
        if (!strstr(out, "RESULT traces 0 1") || !strstr(out, steps[i][1]))
            print_error("case %zu:\n%s\n", i, out);
        assert_non_null(strstr(out, "RESULT traces 0 1"));
        assert_non_null(strstr(out, steps[i][1]));
    }
    /* --write records what fosim check gives; then the step passes */
    snprintf(cmd, sizeof(cmd),
             "cd '%s' && FOSIM='%s/%s' sh '%s/conformance/check-traces.sh' --write traces/t/b "
             ">/dev/null && FOSIM='%s/%s' sh '%s/conformance/check-traces.sh'",
             tmpdir, cwd, FOSIM_BIN, cwd, cwd, FOSIM_BIN, cwd);
    FILE *p = popen(cmd, "r");
    size_t k = fread(out, 1, sizeof(out) - 1, p);
    out[k] = '\0';
    pclose(p);
    assert_non_null(strstr(out, "RESULT traces 1 0"));
}

/* A console the manifest lists may be empty (the guest never ran there);
 * given one by one, an empty console is refused. */
static void test_empty_console_in_a_bundle(void **state)
{
    (void)state;
    static char out[65536];
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "mkdir -p '%s/e'", tmpdir);
    assert_int_equal(system(cmd), 0);
    put("e/source.qmp", good_qmp);
    put("e/target-guest.log", "");
    put("e/manifest.json",
        "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": \"x\"}, "
        "\"complete\": true, \"files\": [{\"path\": \"source.qmp\", \"host\": \"source\", "
        "\"kind\": \"qmp\"}, {\"path\": \"target-guest.log\", \"host\": \"target\", \"kind\": "
        "\"console\"}]}");
    int rc = check("e", out, sizeof(out));
    if (rc == 2)
        print_error("%s\n", out);
    assert_true(rc != 2);
    assert_int_equal(check("--target-guest e/target-guest.log", out, sizeof(out)), 2);
    assert_non_null(strstr(out, "target-guest.log: empty file"));
}

/* Reports: TAP 14 and JUnit on --output; nothing written on bad input. */
static void test_report_formats_and_output(void **state)
{
    (void)state;
    static char out[65536];
    put("s.qmp", good_qmp);
    int rc = check("--source-qmp s.qmp --report tap", out, sizeof(out));
    assert_true(rc != 2);
    assert_non_null(strstr(out, "TAP version 14\n1.."));
    rc = check("--source-qmp s.qmp --report junit --output r.xml", out, sizeof(out));
    assert_true(rc != 2);
    char path[600];
    snprintf(path, sizeof(path), "%s/r.xml", tmpdir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t k = fread(out, 1, sizeof(out) - 1, f);
    out[k] = '\0';
    fclose(f);
    assert_non_null(strstr(out, "<testsuites"));
    put("bad.qmp", "{\"QMP\": {}}\nnot json\n");
    assert_int_equal(check("--source-qmp bad.qmp --output r2.xml", out, sizeof(out)), 2);
    snprintf(path, sizeof(path), "%s/r2.xml", tmpdir);
    assert_null(fopen(path, "r"));
}

/* A campaign's report names each bundle directory, and an unusable one with
 * its error: a name with bytes that are not UTF-8, a control character and
 * TAP's '#' is escaped for each format, so the report stays well-formed;
 * the text report and the messages on standard error show it as \xNN. */
static void test_campaign_report_escapes_names(void **state)
{
    (void)state;
    static char out[1 << 20];
    char dir[600], cwd[512], args[2048], path[600];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    snprintf(dir, sizeof(dir), "%s/b\x80x\x01#y", tmpdir);
    assert_int_equal(mkdir(dir, 0755), 0);
    static const struct {
        const char *fmt;
        const char *want; /* the bad directory's name as the format writes it */
    } cases[] = {
        { "junit", "b\\x80x\\x01#y" },
        { "tap", "b\\\\x80x\\\\x01\\#y" }, /* the test point's description */
        { "tap", "b\\x80x\\u0001#y" },   /* ... and its error in the YAML message */
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(cases); i++) {
        snprintf(args, sizeof(args),
                 "--report %s --output c.out '%s/traces/real/native-migration' 'b\x80x\x01#y'",
                 cases[i].fmt, cwd);
        assert_int_equal(check(args, out, sizeof(out)), 2); /* one bundle is unusable */
        snprintf(path, sizeof(path), "%s/c.out", tmpdir);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        out[fread(out, 1, sizeof(out) - 1, f)] = '\0';
        fclose(f);
        if (!rf_utf8_ok(out) || !strstr(out, cases[i].want)) {
            print_error("--report %s: want '%s' in well-formed UTF-8:\n%s\n", cases[i].fmt,
                        cases[i].want, out);
            fail();
        }
        for (const char *p = out; *p; p++)
            assert_true((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t');
    }
    /* the text report and the messages on standard error (check() joins
     * them) show the name as \xNN too */
    snprintf(args, sizeof(args), "'%s/traces/real/native-migration' 'b\x80x\x01#y'", cwd);
    assert_int_equal(check(args, out, sizeof(out)), 2);
    assert_true(rf_utf8_ok(out));
    for (const char *p = out; *p; p++)
        assert_true((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t');
    assert_non_null(strstr(out, "UNUSABLE b\\x80x\\x01#y: "));
    assert_non_null(strstr(out, "fosim: b\\x80x\\x01#y: no manifest.json"));
    rmdir(dir);
}

static int setup(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/fosim-cli-XXXXXX");
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
    cmocka_unit_test_setup_teardown(test_bad_options, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_qmp_logs, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_consoles_and_stderr, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_pcaps, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_bundles, setup, teardown),
    cmocka_unit_test_setup_teardown(test_check_traces_step_can_fail, setup, teardown),
    cmocka_unit_test_setup_teardown(test_empty_console_in_a_bundle, setup, teardown),
    cmocka_unit_test_setup_teardown(test_report_formats_and_output, setup, teardown),
    cmocka_unit_test_setup_teardown(test_campaign_report_escapes_names, setup, teardown),
};

FO_MAIN("check_cli", tests)
