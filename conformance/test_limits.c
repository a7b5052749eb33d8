/*
 * Resource limits: every bound on fosim's input (doc/limits.md) is enforced
 * with a message that names the bound and the place, and the command exits
 * with status 2; input right at a bound is still accepted.
 *
 * Each test builds the offending input in a scratch directory: scenarios
 * go through scn_load (and one through `fosim run`), trace files through
 * `fosim check`, whose exit status is the contract users see.
 */
#include "harness.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/bundle.h"
#include "sim/hostlog.h"
#include "sim/klog.h"
#include "sim/pcap_io.h"
#include "sim/qmp_log.h"
#include "sim/scenario.h"

static char scratch[64];

static void remove_scratch(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "test_limits: cannot remove %s\n", scratch);
}

static const char *path_of(const char *name)
{
    static char path[256];
    if (!scratch[0]) {
        snprintf(scratch, sizeof(scratch), "/tmp/fosim-limits-XXXXXX");
        if (!mkdtemp(scratch))
            fail_msg("mkdtemp: %s", strerror(errno));
        atexit(remove_scratch);
    }
    snprintf(path, sizeof(path), "%s/%s", scratch, name);
    return path;
}

/* A growable text, for building large inputs. */
struct text {
    char *p;
    size_t n, cap;
};

static void put(struct text *t, const void *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        t->cap = (t->n + n + 1) * 2;
        t->p = sim_xrealloc(t->p, t->cap);
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = '\0';
}

static void puts_(struct text *t, const char *s)
{
    put(t, s, strlen(s));
}

static void putf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct text *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    put(t, buf, (size_t)n);
}

static void repeat(struct text *t, char c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(t, &c, 1);
}

static const char *save(const char *name, const struct text *t)
{
    const char *p = path_of(name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(t->p, 1, t->n, f), t->n);
    assert_int_equal(fclose(f), 0);
    return p;
}

static void text_free(struct text *t)
{
    free(t->p);
    memset(t, 0, sizeof(*t));
}

/* Load a scenario file; returns the error message ("" when it loaded). */
static const char *load(const char *path)
{
    static struct sim_err err;
    struct scenario *s = NULL;
    err.msg[0] = '\0';
    if (scn_load(path, &s, &err) == 0)
        scn_free(s);
    return err.msg;
}

/* Load and require an error containing `want` (the bound's value and
 * wording) at position `where` ("name:line:col" or "name"). */
static void refused(const char *path, const char *where, const char *want)
{
    const char *msg = load(path);
    if (!strstr(msg, want) || !strstr(msg, where))
        fail_msg("%s: got '%s', wanted '%s' at '%s'", path, msg, want, where);
}

/* Save t as scenario file `name`, require it refused as refused() does, and
 * empty t for the next case. */
static void refused_text(struct text *t, const char *name, const char *where, const char *want)
{
    refused(save(name, t), where, want);
    text_free(t);
}

static void accepted(const char *path)
{
    const char *msg = load(path);
    if (msg[0])
        fail_msg("%s: refused: %s", path, msg);
}

/* Run `fosim ARGS` in the scratch directory; exit status, output in out. */
static int fosim(const char *args, char *out, size_t n)
{
    path_of("");
    return fo_fosim_in(scratch, args, out, n);
}

static void cli_refuses(const char *args, const char *want)
{
    char out[8192];
    int rc = fosim(args, out, sizeof(out));
    if (rc != 2 || !strstr(out, want))
        fail_msg("fosim %s: exit %d, output:\n%s\nwanted exit 2 and '%s'", args, rc, out, want);
}

static const char host_block[] = "host source\n-M q35\nend\n";

/* ---- Scenario files ------------------------------------------------------------------------- */

/* A logical line of SCN_MAX_LINE bytes is read; one byte more is refused at
 * the line's start, continuations included. */
static void test_scenario_line(void **state)
{
    (void)state;
    struct text t = { 0 };
    puts_(&t, host_block);
    puts_(&t, "describe ");
    repeat(&t, 'x', SCN_MAX_LINE - strlen("describe "));
    puts_(&t, "\n");
    accepted(save("line-ok.fos", &t));
    text_free(&t);

    puts_(&t, host_block);
    puts_(&t, "describe ");
    repeat(&t, 'x', 40000);
    puts_(&t, " \\\n");
    repeat(&t, 'y', 40000);
    puts_(&t, "\n");
    refused_text(&t, "line-long.fos", "line-long.fos:4:1:",
                 "line longer than 65536 bytes (the bound on a scenario line)");

    puts_(&t, host_block);
    puts_(&t, "tags");
    for (unsigned i = 0; i < SCN_MAX_LINE_WORDS; i++)
        puts_(&t, " w");
    puts_(&t, "\n");
    refused_text(&t, "words.fos", "words.fos:4:",
                 "more than 4096 words on one line (the bound on a scenario line)");
}

/* The file and its includes hold at most SCN_MAX_BYTES; at most
 * SCN_MAX_FILES files are read; includes nest SCN_MAX_INCLUDE_DEPTH deep;
 * an include must be a regular file. */
static void test_scenario_size_and_includes(void **state)
{
    (void)state;
    struct text t = { 0 };
    puts_(&t, host_block);
    while (t.n <= SCN_MAX_BYTES)
        puts_(&t, "# padding padding padding padding padding padding padding padding\n");
    refused_text(&t, "big.fos", "big.fos", "larger than 16777216 bytes (the bound on a scenario)");

    /* two halves that fit alone but not together */
    while (t.n <= SCN_MAX_BYTES / 2 + 64)
        puts_(&t, "# padding padding padding padding padding padding padding padding\n");
    save("half.fos", &t);
    text_free(&t);
    puts_(&t, host_block);
    puts_(&t, "include \"half.fos\"\ninclude \"half.fos\"\n");
    refused_text(&t, "halves.fos", "halves.fos:5:9:",
                 "the scenario and its includes exceed 16777216 bytes (the bound on a scenario)");

    puts_(&t, "# empty\n");
    save("empty-inc.fos", &t);
    text_free(&t);
    puts_(&t, host_block);
    for (unsigned i = 1; i < SCN_MAX_FILES; i++)
        puts_(&t, "include \"empty-inc.fos\"\n");
    accepted(save("files-ok.fos", &t));
    puts_(&t, "include \"empty-inc.fos\"\n");
    refused_text(&t, "files.fos", "files.fos:67:1:",
                 "more than 64 files read (the scenario and its includes; the bound on includes)");

    for (unsigned d = 0; d <= SCN_MAX_INCLUDE_DEPTH + 1; d++) {
        char name[32], next[32];
        snprintf(name, sizeof(name), "nest%u.fos", d);
        snprintf(next, sizeof(next), "nest%u.fos", d + 1);
        putf(&t, "include \"%s\"\n", next);
        save(name, &t);
        text_free(&t);
    }
    puts_(&t, host_block);
    puts_(&t, "include \"nest0.fos\"\n");
    refused_text(&t, "deep.fos", "nest7.fos:1:1:",
                 "includes nested deeper than 8 (the bound on includes)");

    /* a FIFO could block the parser forever; a directory is not a file */
    assert_int_equal(mkfifo(path_of("fifo.fos"), 0600), 0);
    puts_(&t, host_block);
    puts_(&t, "include \"fifo.fos\"\n");
    refused_text(&t, "inc-fifo.fos", "inc-fifo.fos:4:9:",
                 "fifo.fos: not a regular file (an include must be a file)");
    assert_int_equal(mkdir(path_of("dir.fos"), 0700), 0);
    refused(path_of("dir.fos"), "dir.fos", "is a directory, not a scenario file");
}

/* A host has at most SCN_MAX_HOST_ARGS arguments and SCN_MAX_DEVICES
 * -device options; the guest and traffic blocks at most SCN_MAX_KNOBS and
 * SCN_MAX_TRAFFIC_LINES lines. */
static void test_scenario_blocks(void **state)
{
    (void)state;
    struct text t = { 0 };
    puts_(&t, "host source\n");
    for (unsigned i = 0; i < SCN_MAX_DEVICES; i++)
        putf(&t, "-device e1000e,id=n%u\n", i);
    puts_(&t, "end\n");
    accepted(save("devices-ok.fos", &t));
    t.n -= strlen("end\n");
    puts_(&t, "-device e1000e,id=one-too-many\nend\n");
    refused_text(&t, "devices.fos", "devices.fos:258:1:",
                 "more than 256 -device options for one host (the bound on devices)");

    puts_(&t, "host source\n");
    for (unsigned i = 0; i < SCN_MAX_HOST_ARGS / 8; i++)
        puts_(&t, "-a -b -c -d -e -f -g -h\n");
    puts_(&t, "-z\nend\n");
    refused_text(&t, "args.fos", "args.fos:514:1:",
                 "more than 4096 QEMU arguments for one host (the bound on a host)");

    puts_(&t, host_block);
    puts_(&t, "guest linux\n");
    for (unsigned i = 0; i <= SCN_MAX_KNOBS; i++)
        putf(&t, "knob%u on\n", i);
    puts_(&t, "end\n");
    refused_text(&t, "knobs.fos", "knobs.fos:261:1:",
                 "more than 256 lines in the guest block (the bound on guest knobs)");

    puts_(&t, host_block);
    puts_(&t, "traffic\n");
    for (unsigned i = 0; i <= SCN_MAX_TRAFFIC_LINES; i++)
        puts_(&t, "ping 10.0.2.2\n");
    puts_(&t, "end\n");
    refused_text(&t, "traffic.fos", "traffic.fos:261:1:",
                 "more than 256 lines in the traffic block (the bound on workloads)");
}

/* At most SCN_MAX_ACTIONS timed actions and SCN_MAX_EXPECTS expectations;
 * a fleet schedules at most SCN_MAX_FLEET_ACTIONS actions in all. */
static void test_scenario_events(void **state)
{
    (void)state;
    struct text t = { 0 };
    puts_(&t, host_block);
    for (unsigned i = 0; i < SCN_MAX_ACTIONS; i++)
        putf(&t, "at %ums source stop\n", i);
    accepted(save("actions-ok.fos", &t));
    puts_(&t, "at 1h source cont\n");
    refused_text(&t, "actions.fos", "actions.fos:10004:1:",
                 "more than 10000 timed actions (the bound on timed actions)");

    puts_(&t, host_block);
    for (unsigned i = 0; i <= SCN_MAX_EXPECTS; i++)
        puts_(&t, "expect source event STOP\n");
    refused_text(&t, "expects.fos", "expects.fos:10004:1:",
                 "more than 10000 expectations (the bound on expectations)");

    puts_(&t, host_block);
    puts_(&t, "vms 100001\n");
    refused_text(&t, "vms.fos", "vms.fos:4:5:", "expected a number of VMs from 1 to 100000");

    /* 100000 VMs x (6 actions + 4 set-up commands) = 10^6: at the bound */
    puts_(&t, host_block);
    puts_(&t, "vms 100000\n");
    for (unsigned i = 0; i < 6; i++)
        putf(&t, "at %us source stop\n", i);
    accepted(save("fleet-ok.fos", &t));
    puts_(&t, "at 9s source cont\n");
    refused_text(&t, "fleet.fos", "fleet.fos:11:1:",
                 "100000 VMs with 7 timed actions each exceed 1000000 actions (the bound on a "
                 "fleet's actions");
    /* the same bound when "vms" comes after the actions */
    puts_(&t, host_block);
    for (unsigned i = 0; i < 7; i++)
        putf(&t, "at %us source stop\n", i);
    puts_(&t, "vms 100000\n");
    refused_text(&t, "fleet2.fos", "fleet2.fos:11:5:",
                 "100000 VMs with 7 timed actions each exceed 1000000 actions");
}

/* A scenario has at most two hosts, source and target, each defined once;
 * a fleet is the way to more VMs (vms N). */
static void test_scenario_hosts(void **state)
{
    (void)state;
    struct text t = { 0 };
    puts_(&t, host_block);
    puts_(&t, "host target\n-M q35\nend\nhost third\nend\n");
    refused_text(&t, "hosts3.fos", "hosts3.fos:7:6:",
                 "expected a host, source or target, found 'third'");
    puts_(&t, host_block);
    puts_(&t, host_block);
    refused_text(&t, "hosts2.fos", "hosts2.fos:4:6:", "host source is defined twice");
}

/* `fosim run` turns a bound into exit status 2 with the message. */
static void test_scenario_cli(void **state)
{
    (void)state;
    struct text t = { 0 };
    puts_(&t, host_block);
    puts_(&t, "describe ");
    repeat(&t, 'x', SCN_MAX_LINE);
    puts_(&t, "\n");
    save("cli-line.fos", &t);
    text_free(&t);
    cli_refuses("run cli-line.fos",
                "cli-line.fos:4:1: line longer than 65536 bytes (the bound on a scenario line)");
}

/* ---- Trace files -------------------------------------------------------------------------- */

static const char greeting[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, "
    "\"capabilities\": [\"oob\"]}}\n";

static const char event[] = "{\"timestamp\": {\"seconds\": 1795637523, \"microseconds\": 1}, "
                            "\"event\": \"STOP\"}\n";

/* A QMP line longer than QMP_LOG_MAX_LINE is refused with its line and
 * byte offset; so is JSON nested deeper than jansson's parser bound. */
static void test_qmp_bounds(void **state)
{
    (void)state;
    struct text t = { 0 };
    puts_(&t, greeting);
    puts_(&t, "{\"return\": \"");
    repeat(&t, 'x', QMP_LOG_MAX_LINE);
    puts_(&t, "\"}\n");
    save("long.qmp", &t);
    text_free(&t);
    char want[160];
    snprintf(want, sizeof(want), "long.qmp:2:1: line longer than %u bytes (byte offset %zu)",
             QMP_LOG_MAX_LINE, sizeof(greeting) - 1);
    cli_refuses("check --source-qmp long.qmp", want);

    puts_(&t, greeting);
    puts_(&t, "{\"return\": ");
    repeat(&t, '[', JSON_PARSER_MAX_DEPTH + 1);
    repeat(&t, ']', JSON_PARSER_MAX_DEPTH + 1);
    puts_(&t, "}\n");
    save("deep.qmp", &t);
    text_free(&t);
    snprintf(want, sizeof(want), "deep.qmp:2:%d: expected one JSON object per line: ",
             JSON_PARSER_MAX_DEPTH + 11);
    cli_refuses("check --source-qmp deep.qmp", want);
    snprintf(want, sizeof(want), "(the bound on JSON nesting is %d levels)",
             JSON_PARSER_MAX_DEPTH);
    cli_refuses("check --source-qmp deep.qmp", want);

    /* at the bound: accepted */
    puts_(&t, greeting);
    puts_(&t, "{\"return\": ");
    repeat(&t, '[', JSON_PARSER_MAX_DEPTH - 1);
    repeat(&t, ']', JSON_PARSER_MAX_DEPTH - 1);
    puts_(&t, "}\n");
    puts_(&t, event);
    save("deep-ok.qmp", &t);
    text_free(&t);
    char out[8192];
    int rc = fosim("check --source-qmp deep-ok.qmp", out, sizeof(out));
    if (rc != 0 && rc != 1) /* read and checked, whatever the verdicts */
        fail_msg("JSON nested %d deep: exit %d: %s", JSON_PARSER_MAX_DEPTH, rc, out);
}

/* Console and stderr lines longer than their bounds are refused with the
 * line and byte offset. */
static void test_text_line_bounds(void **state)
{
    (void)state;
    struct text t = { 0 };
    puts_(&t, greeting);
    puts_(&t, event);
    save("ok.qmp", &t);
    text_free(&t);

    static const char first[] =
        "[    1.000000] virtio_net virtio0 eth0: failover master:eth0 registered\n";
    puts_(&t, first);
    puts_(&t, "[");
    repeat(&t, '7', KLOG_MAX_LINE + 1);
    puts_(&t, "\n");
    save("long-guest.log", &t);
    text_free(&t);
    char want[160];
    snprintf(want, sizeof(want), "long-guest.log:2:1: line longer than %u bytes (byte offset %zu)",
             KLOG_MAX_LINE, sizeof(first) - 1);
    cli_refuses("check --source-qmp ok.qmp --source-guest long-guest.log", want);

    puts_(&t, "qemu-system-x86_64: warning: ");
    repeat(&t, 'w', HOSTLOG_MAX_LINE);
    puts_(&t, "\n");
    save("long.stderr", &t);
    text_free(&t);
    snprintf(want, sizeof(want), "long.stderr:1:1: line longer than %u bytes (byte offset 0)",
             HOSTLOG_MAX_LINE);
    cli_refuses("check --source-qmp ok.qmp --source-stderr long.stderr", want);
}

/* A pcap record beyond the file's snaplen, or beyond PCAP_MAX_RECORD when
 * the snaplen is larger, is refused with the record number and offset. */
static void test_pcap_bounds(void **state)
{
    (void)state;
    struct text t = { 0 };
    puts_(&t, greeting);
    puts_(&t, event);
    save("ok.qmp", &t);
    text_free(&t);

    /* classic pcap, little endian, microseconds, Ethernet */
    uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
    uint32_t snaplen = 1500, link = 1;
    memcpy(hdr + 16, &snaplen, 4);
    memcpy(hdr + 20, &link, 4);
    uint32_t rec[4] = { 1795637523, 0, 1501, 1501 };
    put(&t, hdr, sizeof(hdr));
    put(&t, rec, sizeof(rec));
    repeat(&t, 0, 1501);
    save("snap.pcap", &t);
    text_free(&t);
    cli_refuses("check --source-qmp ok.qmp --pcap source:primary0=snap.pcap",
                "snap.pcap: record 1 at byte offset 24: caplen 1501 exceeds the file's snaplen "
                "of 1500");

    snaplen = 1u << 30;
    memcpy(hdr + 16, &snaplen, 4);
    uint32_t big = PCAP_MAX_RECORD + 1;
    rec[2] = rec[3] = big;
    put(&t, hdr, sizeof(hdr));
    put(&t, rec, sizeof(rec));
    repeat(&t, 0, big);
    save("huge.pcap", &t);
    text_free(&t);
    /* libpcap refuses it first, naming the same bound (its own maximum) */
    char want[200];
    snprintf(want, sizeof(want),
             "huge.pcap: record 1 at byte offset 24: record length out of bounds (libpcap: "
             "invalid packet capture length %u, bigger than maximum of %u)",
             big, PCAP_MAX_RECORD);
    cli_refuses("check --source-qmp ok.qmp --pcap source:primary0=huge.pcap", want);

    /* a record of PCAP_MAX_RECORD bytes is read */
    rec[2] = rec[3] = PCAP_MAX_RECORD;
    put(&t, hdr, sizeof(hdr));
    put(&t, rec, sizeof(rec));
    repeat(&t, 0, PCAP_MAX_RECORD);
    save("edge.pcap", &t);
    text_free(&t);
    char out[8192];
    int rc = fosim("check --source-qmp ok.qmp --pcap source:primary0=edge.pcap", out, sizeof(out));
    if (rc != 0 && rc != 1) /* read and checked, whatever the verdicts */
        fail_msg("a record of %u bytes: exit %d: %s", PCAP_MAX_RECORD, rc, out);
}

/* The manifest: at most BUNDLE_MAX_MANIFEST bytes, BUNDLE_MAX_FILES files,
 * BUNDLE_MAX_DEVICES devices, and JSON nested within jansson's bound. */
static void test_manifest_bounds(void **state)
{
    (void)state;
    char dir[256], out[8192], want[256];
    sim_strlcpy(dir, path_of("bundle"), sizeof(dir));
    assert_int_equal(mkdir(dir, 0700), 0);
    struct text t = { 0 };
    puts_(&t, greeting);
    puts_(&t, event);
    save("bundle/source.qmp", &t);
    text_free(&t);
    static const char head[] = "{\"format\": \"fosim-bundle\", \"format_version\": 1, "
                               "\"generator\": {\"name\": \"test\"}, \"complete\": true, ";

    puts_(&t, head);
    puts_(&t, "\"files\": [");
    for (unsigned i = 0; i <= BUNDLE_MAX_FILES; i++)
        putf(&t, "%s{\"path\": \"f%u.qmp\", \"host\": \"source\", \"kind\": \"qmp\"}",
             i ? ", " : "", i);
    puts_(&t, "]}\n");
    save("bundle/manifest.json", &t);
    text_free(&t);
    cli_refuses("check bundle", "manifest.json: files: more than 256 files (the bound on a bundle)");

    puts_(&t, head);
    puts_(&t, "\"devices\": [");
    for (unsigned i = 0; i <= BUNDLE_MAX_DEVICES; i++)
        putf(&t, "%s{\"id\": \"d%u\", \"host\": \"source\", \"role\": \"other\"}", i ? ", " : "",
             i);
    puts_(&t, "], \"files\": [{\"path\": \"source.qmp\", \"host\": \"source\", \"kind\": "
              "\"qmp\"}]}\n");
    save("bundle/manifest.json", &t);
    text_free(&t);
    cli_refuses("check bundle",
                "manifest.json: devices: more than 256 devices (the bound on a bundle)");

    puts_(&t, head);
    puts_(&t, "\"provenance\": {\"x\": ");
    repeat(&t, '[', JSON_PARSER_MAX_DEPTH + 1);
    repeat(&t, ']', JSON_PARSER_MAX_DEPTH + 1);
    puts_(&t, "}, \"files\": []}\n");
    save("bundle/manifest.json", &t);
    text_free(&t);
    snprintf(want, sizeof(want), "(the bound on JSON nesting is %d levels)",
             JSON_PARSER_MAX_DEPTH);
    cli_refuses("check bundle", want);

    puts_(&t, head);
    puts_(&t, "\"provenance\": {\"log\": \"");
    repeat(&t, 'p', BUNDLE_MAX_MANIFEST);
    puts_(&t, "\"}, \"files\": []}\n");
    save("bundle/manifest.json", &t);
    snprintf(want, sizeof(want), "manifest.json: %zu bytes, larger than %u (the bound on a manifest)",
             t.n, BUNDLE_MAX_MANIFEST);
    text_free(&t);
    cli_refuses("check bundle", want);

    /* a FIFO in place of the manifest must not block */
    assert_int_equal(unlink(path_of("bundle/manifest.json")), 0);
    assert_int_equal(mkfifo(path_of("bundle/manifest.json"), 0600), 0);
    assert_int_equal(fosim("check bundle", out, sizeof(out)), 2);
    assert_non_null(strstr(out, "manifest.json: not a regular file"));
}

/* QEMU's -msg timestamp=on stamp: years whose nanoseconds since 1970 do
 * not fit in 64 bits are not stamps (found by fuzz_stderr: UB before). */
static void test_stderr_stamp_range(void **state)
{
    (void)state;
    sim_time t;
    assert_int_equal(hostlog_parse_stamp("2200-12-31T23:59:59.999999Z", &t), 27);
    assert_true(t > 0);
    assert_int_equal(hostlog_parse_stamp("2201-01-01T00:00:00.000000Z", &t), 0);
    assert_int_equal(hostlog_parse_stamp("5026-11-25T20:25:24.301265Z", &t), 0);
    assert_int_equal(hostlog_parse_stamp("9999-12-31T23:59:59.999999Z", &t), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_scenario_line),
    cmocka_unit_test(test_scenario_size_and_includes),
    cmocka_unit_test(test_scenario_blocks),
    cmocka_unit_test(test_scenario_events),
    cmocka_unit_test(test_scenario_hosts),
    cmocka_unit_test(test_scenario_cli),
    cmocka_unit_test(test_qmp_bounds),
    cmocka_unit_test(test_text_line_bounds),
    cmocka_unit_test(test_pcap_bounds),
    cmocka_unit_test(test_manifest_bounds),
    cmocka_unit_test(test_stderr_stamp_range),
};

FO_MAIN("limits", tests)
