/*
 * The run driver: an input that breaks during the run (a replayed capture
 * cut short after the up-front check) leaves the run without a result, and
 * `fosim run` exits 2 without writing a bundle that looks complete.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/pcap_io.h"
#include "sim/run.h"
#include "sim/scenario.h"

static const char *scn_text =
    "host source\n"
    "    -M q35 -m 256 -nodefaults\n"
    "    -device pcie-root-port,id=root0,addr=0x1,chassis=1\n"
    "    -netdev user,id=hs0\n"
    "    -device virtio-net-pci,netdev=hs0,id=standby0,mac=52:54:00:11:11:11,bus=root0,failover=on\n"
    "end\n"
    "traffic\n"
    "    pcap %s out from 5s\n"
    "end\n"
    "until 40s\n";

/* Write n Ethernet frames from the guest's MAC, 10 ms apart (large enough
 * that the reader cannot have buffered all of it when the run starts). */
static void write_capture(const char *path, int n)
{
    struct pcap_writer *pw;
    struct sim_err err;
    assert_int_equal(pcap_writer_open(path, PCAP_LINK_ETHERNET, 65535, true, &pw, &err), 0);
    uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x11, 0x11, 0x11,
                          0x08, 0x00 };
    for (int i = 0; i < n; i++) {
        frame[20] = (uint8_t)i;
        frame[21] = (uint8_t)(i >> 8); /* distinct payloads, distinct flows */
        assert_int_equal(pcap_writer_put(pw, SIM_S(1000) + i * SIM_MS(10), frame, sizeof(frame),
                                         sizeof(frame), &err),
                         0);
    }
    assert_int_equal(pcap_writer_close(pw, &err), 0);
}

static struct scenario *load(const char *pcap)
{
    char text[2048];
    snprintf(text, sizeof(text), scn_text, pcap);
    struct scenario *s = NULL;
    struct sim_err err = { "" };
    if (scn_parse_string("run.fos", text, &s, &err) != 0)
        fail_msg("%s", err.msg);
    return s;
}

/* A capture cut short after the run was built: the run has no result. */
static void test_replay_broken_mid_run(void **state)
{
    (void)state;
    char dir[] = "/tmp/fosim-run-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char pcap[256];
    snprintf(pcap, sizeof(pcap), "%s/w.pcap", dir);
    write_capture(pcap, 2000);

    struct scenario *s = load(pcap);
    struct sim_run *r = NULL;
    struct sim_err err = { "" };
    struct sim_run_config cfg = { .until = SIM_TIME_NONE };
    if (sim_run_new(s, &cfg, &r, &err) != 0)
        fail_msg("%s", err.msg);
    /* cut the file in the middle of record 1500 */
    assert_int_equal(truncate(pcap, 24 + 1499 * (16 + 60) + 20), 0);
    sim_run_go(r);
    assert_int_equal(sim_run_inputs_ok(r, &err), -1);
    assert_non_null(strstr(err.msg, "w.pcap"));
    sim_run_free(r);

    /* the intact file: the same run has a result */
    write_capture(pcap, 2000);
    assert_int_equal(sim_run_new(s, &cfg, &r, &err), 0);
    sim_run_go(r);
    assert_int_equal(sim_run_inputs_ok(r, &err), 0);
    sim_run_free(r);
    scn_free(s);
    unlink(pcap);
    rmdir(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_replay_broken_mid_run),
};

FO_MAIN("run", tests)
