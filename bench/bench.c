/*
 * fosim-bench: the project's benchmark table.
 *
 *   fosim-bench gen DIR             write the benchmark bundle into DIR
 *   fosim-bench run DIR [REPEATS]   measure, print the table
 *
 * Each benchmark measures a figure and, in the same run, on the same input,
 * the baseline it is judged against, and prints one line:
 *
 *   NAME  FIGURE UNIT  BASELINE UNIT  RATIO  (what the baseline is)
 *
 * RATIO is figure / baseline for rates (higher is better), each the median
 * of REPEATS timed runs (default 5) after one warm-up run that brings the
 * files into the page cache.  A benchmark is a row in the table below: add
 * one by writing its two measuring functions.
 *
 * check-5m-frames: the checker (the bundle reader, the merge of every source
 * and the assertion engine fed with every observation) over a bundle of a
 * 5,000,000-frame Ethernet pcap plus a QMP log with a few hundred events,
 * against a plain libpcap pcap_next_ex loop over the same pcap.  The
 * baseline includes <pcap/pcap.h> directly: it is the reference the product
 * (which reaches libpcap only through sim/pcap_io.c) is measured against.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use the BSD u_char types */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_check.h"
#include "sim/bundle.h"
#include "sim/err.h"
#include "sim/pcap_io.h"

#define NFRAMES 5000000u
#define FRAME_LEN 64u
#define NEVENTS 300u
#define T0 ((sim_time)1764072000 * 1000000000)
#define GAP 672 /* ns between frames: 64 B + preamble and gap at 1 Gb/s */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int gen(const char *dir)
{
    struct sim_err err = { "" };
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "fosim-bench: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/source-standby0.pcap", dir);
    struct pcap_writer *w;
    if (pcap_writer_open(path, PCAP_LINK_ETHERNET, 65535, true, &w, &err) != 0)
        goto report_error;
    uint8_t f[FRAME_LEN] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00,
                             0x11, 0x11, 0x11, 0x08, 0x00, 0x45 };
    for (uint32_t i = 0; i < NFRAMES; i++) {
        bool out = i % 2 == 0;
        memcpy(f, out ? "\x52\x55\x0a\x00\x02\x02" : "\x52\x54\x00\x11\x11\x11", 6);
        memcpy(f + 6, out ? "\x52\x54\x00\x11\x11\x11" : "\x52\x55\x0a\x00\x02\x02", 6);
        memcpy(f + 38, &i, 4); /* a sequence number in the payload: unique flows */
        if (pcap_writer_put(w, T0 + (sim_time)i * GAP, f, FRAME_LEN, FRAME_LEN, &err) != 0)
            goto report_error;
    }
    if (pcap_writer_close(w, &err) != 0)
        goto report_error;
    snprintf(path, sizeof(path), "%s/source.qmp", dir);
    FILE *q = fopen(path, "w");
    if (!q) {
        fprintf(stderr, "fosim-bench: %s: %s\n", path, strerror(errno));
        return 2;
    }
    fprintf(q, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, "
               "\"capabilities\": [\"oob\"]}}\n");
    sim_time span = (sim_time)NFRAMES * GAP;
    for (uint32_t i = 0; i < NEVENTS; i++) {
        sim_time t = T0 + span / NEVENTS * i;
        const char *ev = i == 0 ? "\"FAILOVER_NEGOTIATED\", \"data\": {\"device-id\": \"standby0\"}"
                                : "\"NIC_RX_FILTER_CHANGED\", \"data\": {\"name\": \"standby0\"}";
        fprintf(q, "{\"timestamp\": {\"seconds\": %lld, \"microseconds\": %lld}, \"event\": %s}\n",
                (long long)(t / 1000000000), (long long)(t % 1000000000 / 1000), ev);
    }
    if (fclose(q) != 0) {
        fprintf(stderr, "fosim-bench: %s: write failed\n", path);
        return 2;
    }
    struct bundle *b = bundle_new();
    sim_strlcpy(b->generator, "fosim-bench", sizeof(b->generator));
    sim_strlcpy(b->version, FOSIM_VERSION, sizeof(b->version));
    b->complete = true;
    b->guest_mac_set = true;
    memcpy(b->guest_mac, "\x52\x54\x00\x11\x11\x11", 6);
    struct sim_err e2;
    if (bundle_add(b, BUNDLE_QMP, OBS_SOURCE, NULL, path, &e2) != 0 ||
        (snprintf(path, sizeof(path), "%s/source-standby0.pcap", dir),
         bundle_add(b, BUNDLE_PCAP, OBS_SOURCE, "standby0", path, &e2) != 0)) {
        bundle_free(b);
        err = e2;
        goto report_error;
    }
    /* manifest entries name files inside the bundle */
    free(b->files[0].name);
    b->files[0].name = sim_xstrdup("source.qmp");
    free(b->files[1].name);
    b->files[1].name = sim_xstrdup("source-standby0.pcap");
    b->ndevs = 0;
    int rc = bundle_write_manifest(b, dir, &err);
    bundle_free(b);
    if (rc != 0)
        goto report_error;
    return 0;
report_error:
    fprintf(stderr, "fosim-bench: %s\n", err.msg);
    return 2;
}

/* ---- check-5m-frames -------------------------------------------------------------- */

static uint64_t sink_count;

static void count_sink(void *ctx, const struct obs *o)
{
    (void)ctx;
    sink_count += o->kind == OBS_FRAME;
}

/* The checker: open, prepare, replay into the engine.  Returns frames seen,
 * or 0 on error. */
static uint64_t run_checker(const char *dir)
{
    struct bundle *b;
    struct sim_err err = { "" };
    if (bundle_open(dir, &b, &err) != 0 || bundle_prepare(b, &err) != 0) {
        fprintf(stderr, "fosim-bench: %s\n", err.msg);
        return 0;
    }
    struct bench_engine *e = bench_engine_new(b);
    sink_count = 0;
    struct obs_sink s = { e ? bench_engine_sink : count_sink, e };
    uint64_t frames = 0;
    if (bundle_replay(b, &s, &err) != 0)
        fprintf(stderr, "fosim-bench: %s\n", err.msg);
    else
        frames = e ? bench_engine_finish(e) : sink_count;
    bench_engine_free(e);
    bundle_free(b);
    return frames;
}

/* The baseline: pcap_next_ex over the same file. */
static uint64_t run_libpcap(const char *dir)
{
    char path[4096], ebuf[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof(path), "%s/source-standby0.pcap", dir);
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!p) {
        fprintf(stderr, "fosim-bench: %s\n", ebuf);
        return 0;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    uint64_t n = 0, sum = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        n++;
        sum += d[13]; /* touch the data, as any reader does */
    }
    pcap_close(p);
    return n + (sum == 0xffffffffffffffffull);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median rate (items/s) of `repeats` runs of fn. */
static double median_rate(uint64_t (*fn)(const char *), const char *dir, int repeats,
                          uint64_t *items)
{
    double r[64] = { 0 };
    fn(dir); /* warm-up: page cache */
    for (int i = 0; i < repeats; i++) {
        double t = now_s();
        *items = fn(dir);
        double dt = now_s() - t;
        r[i] = *items ? (double)*items / dt : 0;
    }
    qsort(r, (size_t)repeats, sizeof(r[0]), cmp_double);
    return r[repeats / 2];
}

struct benchmark {
    const char *name;
    const char *unit;
    uint64_t (*figure)(const char *dir);
    uint64_t (*baseline)(const char *dir);
    const char *baseline_what;
};

static const struct benchmark table[] = {
    { "check-5m-frames", "Mframes/s", run_checker, run_libpcap, "libpcap pcap_next_ex loop" },
};

static int run(const char *dir, int repeats)
{
    printf("# fosim-bench %s: median of %d runs each, baseline measured in the same run\n",
           FOSIM_VERSION, repeats);
    printf("# %s\n", bench_engine_what());
    printf("%-20s %12s %12s %8s  %s\n", "benchmark", "figure", "baseline", "ratio",
           "unit / baseline");
    int rc = 0;
    for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        const struct benchmark *bm = &table[i];
        uint64_t n1 = 0, n2 = 0;
        double base = median_rate(bm->baseline, dir, repeats, &n2);
        double fig = median_rate(bm->figure, dir, repeats, &n1);
        if (n1 == 0 || n1 != n2) {
            fprintf(stderr, "fosim-bench: %s: the checker saw %llu frames, libpcap %llu\n",
                    bm->name, (unsigned long long)n1, (unsigned long long)n2);
            rc = 1;
            continue;
        }
        printf("%-20s %12.2f %12.2f %8.2f  %s / %s\n", bm->name, fig / 1e6, base / 1e6,
               fig / base, bm->unit, bm->baseline_what);
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "gen") == 0)
        return gen(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "run") == 0) {
        int repeats = argc >= 4 ? atoi(argv[3]) : 5;
        if (repeats < 1 || repeats > 64)
            repeats = 5;
        return run(argv[2], repeats);
    }
    fprintf(stderr, "usage: fosim-bench gen DIR | run DIR [REPEATS]\n");
    return 2;
}
