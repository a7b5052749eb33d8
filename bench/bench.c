/*
 * fosim-bench: the project's benchmark table (`make bench`).
 *
 *   fosim-bench gen DIR                  write the checker's input bundles
 *   fosim-bench run DIR FOSIM [REPEATS [GROUPS]]  measure, print the table
 *                                    (GROUPS: queue,fleet,check,catalog; default all)
 *
 * Every row is a figure, the baseline it is judged against measured in the
 * same run (interleaved with it, on the same input), their ratio, and the
 * project's target for that ratio or figure.  Each number is the median of
 * REPEATS measurements (default 5).  The machine may be shared, so rates
 * and growth are computed from the CPU time (user + system) of the process
 * doing the work; wall times are printed beside them, and are the figure
 * for the catalog.  Peak memory is
 * measured in a child process (getrusage of the child, or /proc/self/status
 * inside it), so that one measurement's memory never counts in another's.
 *
 * The rows:
 *   queue-hold-*      the event queue under the hold model (bench/hold.c)
 *                     against a plain binary heap compiled in;
 *   fleet-*           1 to 10,000 VMs with a failover pair migrating with
 *                     traffic in one world (bench/fleet.c): model events per
 *                     CPU second (fleet-1000-all: with every observation
 *                     built and delivered to a sink), wall and CPU time,
 *                     memory per VM pair, and
 *                     the growth of the time from 1,000 to 10,000 VMs;
 *   check-*           `fosim check` on a 5,000,000-frame pcap plus a QMP log
 *                     of a few hundred events, against a plain libpcap
 *                     pcap_next_ex loop over the same file and against
 *                     `tcpdump -nqr FILE > /dev/null`; its peak memory on
 *                     that bundle against a 50,000-frame one;
 *   catalog           the conformance catalog, in one `fosim conformance`
 *                     process, against one `fosim run` process per scenario.
 * The inputs are generated under build/ at run time and never committed.
 *
 * Internal subcommands, run as children: `fleet N`, `fleet-all N`, `pcaploop FILE`.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use the BSD u_char types; wait4 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_check.h"
#include "fleet.h"
#include "hold.h"
#include "sim/bundle.h"
#include "sim/err.h"
#include "sim/pcap_io.h"

#define NFRAMES_BIG 5000000u
#define NFRAMES_SMALL 50000u
#define FRAME_LEN 64u
#define NEVENTS 300u
#define T0 ((sim_time)1764072000 * 1000000000)
#define GAP 672 /* ns between frames: 64 B + preamble and gap at 1 Gb/s */
#define MAX_REPEATS 64

static double wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- input generation --------------------------------------------------------------- */

/* A bundle of nframes 64-byte Ethernet frames between the guest and slirp's
 * gateway on the standby's netdev (filter-dump), with a QMP log of NEVENTS
 * events spread over the same span. */
static int gen_bundle(const char *dir, uint32_t nframes)
{
    struct sim_err err = { "" };
    char path[4096];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "fosim-bench: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    snprintf(path, sizeof(path), "%s/source-standby0.pcap", dir);
    struct pcap_writer *w;
    if (pcap_writer_open(path, PCAP_LINK_ETHERNET, 65535, true, &w, &err) != 0)
        goto report_error;
    uint8_t f[FRAME_LEN] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x52, 0x54, 0x00,
                             0x11, 0x11, 0x11, 0x08, 0x00, 0x45 };
    for (uint32_t i = 0; i < nframes; i++) {
        bool out = i % 2 == 0;
        memcpy(f, out ? "\x52\x55\x0a\x00\x02\x02" : "\x52\x54\x00\x11\x11\x11", 6);
        memcpy(f + 6, out ? "\x52\x54\x00\x11\x11\x11" : "\x52\x55\x0a\x00\x02\x02", 6);
        memcpy(f + 38, &i, 4); /* a sequence number in the payload: unique flows */
        if (pcap_writer_put(w, T0 + (sim_time)i * GAP, f, FRAME_LEN, FRAME_LEN, &err) != 0) {
            pcap_writer_close(w, NULL);
            goto report_error;
        }
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
    sim_time span = (sim_time)nframes * GAP;
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
    if (bundle_add(b, BUNDLE_QMP, OBS_SOURCE, NULL, path, &err) != 0 ||
        (snprintf(path, sizeof(path), "%s/source-standby0.pcap", dir),
         bundle_add(b, BUNDLE_PCAP, OBS_SOURCE, "standby0", path, &err) != 0)) {
        bundle_free(b);
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

static int gen(const char *dir)
{
    char sub[4096];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "fosim-bench: %s: %s\n", dir, strerror(errno));
        return 2;
    }
    snprintf(sub, sizeof(sub), "%s/50k", dir);
    int rc = gen_bundle(sub, NFRAMES_SMALL);
    snprintf(sub, sizeof(sub), "%s/5m", dir);
    return rc ? rc : gen_bundle(sub, NFRAMES_BIG);
}

/* ---- child processes ------------------------------------------------------------------ */

struct child {
    int status;      /* exit status, or 128 + signal */
    double wall;     /* seconds */
    double cpu;      /* user + system seconds */
    long maxrss_kb;  /* peak resident memory */
    char out[1024];  /* the first bytes of its standard output (when captured) */
};

/* Run argv; its standard output goes to c->out when `capture`, else to
 * /dev/null; its standard error to /dev/null when `quiet`.  Returns 0, or
 * -1 when it could not be started. */
static int child_run(char *const argv[], bool capture, bool quiet, struct child *c)
{
    int fds[2] = { -1, -1 };
    if (capture && pipe(fds) != 0)
        return -1;
    double t0 = wall_s();
    pid_t pid = fork();
    if (pid < 0) {
        if (capture) {
            close(fds[0]);
            close(fds[1]);
        }
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(capture ? fds[1] : null, STDOUT_FILENO);
        if (quiet)
            dup2(null, STDERR_FILENO);
        if (capture) {
            close(fds[0]);
            close(fds[1]);
        }
        close(null);
        execvp(argv[0], argv);
        fprintf(stderr, "fosim-bench: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    size_t n = 0;
    if (capture) {
        close(fds[1]);
        ssize_t r;
        char sink[4096];
        while ((r = read(fds[0], n < sizeof(c->out) - 1 ? c->out + n : sink,
                         n < sizeof(c->out) - 1 ? sizeof(c->out) - 1 - n : sizeof(sink))) > 0 ||
               (r < 0 && errno == EINTR))
            if (r > 0 && n < sizeof(c->out) - 1)
                n += (size_t)r;
        close(fds[0]);
    }
    c->out[n] = '\0';
    int st;
    struct rusage ru;
    while (wait4(pid, &st, 0, &ru) < 0)
        if (errno != EINTR)
            return -1;
    c->wall = wall_s() - t0;
    c->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
             (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    c->maxrss_kb = ru.ru_maxrss;
    c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return 0;
}

/* The libpcap baseline, run as `fosim-bench pcaploop FILE`: pcap_next_ex
 * over the file, touching each frame as any reader does. */
static int pcaploop(const char *path)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
    if (!p) {
        fprintf(stderr, "fosim-bench: %s\n", ebuf);
        return 2;
    }
    struct pcap_pkthdr *h;
    const u_char *d;
    uint64_t n = 0, sum = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        n++;
        sum += d[13];
    }
    pcap_close(p);
    printf("%llu %llu\n", (unsigned long long)n, (unsigned long long)sum);
    return 0;
}

/* ---- statistics and the table ----------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct table {
    int rows, held, missed;
};

enum goal {
    GOAL_NONE,     /* informative row */
    GOAL_RATIO_GE, /* ratio >= target */
    GOAL_RATIO_LE, /* ratio <= target */
    GOAL_FIG_GE,   /* figure >= target */
    GOAL_FIG_LE,   /* figure <= target */
    GOAL_DIFF_LE,  /* figure - baseline <= target */
};

static void row(struct table *t, const char *name, double fig, const char *unit, double base,
                const char *bunit, enum goal g, double target, const char *note)
{
    double ratio = base > 0 ? fig / base : 0;
    char tgt[32] = "", r[16] = "-", b[16] = "-";
    bool ok = true;
    switch (g) {
    case GOAL_NONE:
        break;
    case GOAL_RATIO_GE:
        snprintf(tgt, sizeof(tgt), "ratio>=%g", target);
        ok = ratio >= target;
        break;
    case GOAL_RATIO_LE:
        snprintf(tgt, sizeof(tgt), "ratio<=%g", target);
        ok = ratio <= target;
        break;
    case GOAL_FIG_GE:
        snprintf(tgt, sizeof(tgt), ">=%g", target);
        ok = fig >= target;
        break;
    case GOAL_FIG_LE:
        snprintf(tgt, sizeof(tgt), "<=%g", target);
        ok = fig <= target;
        break;
    case GOAL_DIFF_LE:
        snprintf(tgt, sizeof(tgt), "+<=%g", target);
        ok = fig - base <= target;
        break;
    }
    if (base > 0) {
        snprintf(r, sizeof(r), "%.2f", ratio);
        snprintf(b, sizeof(b), "%.3g", base);
    }
    printf("%-22s %9.3g %-8s %9s %-8s %7s  %-12s %-4s %s\n", name, fig, unit, b,
           base > 0 ? bunit : "", r, tgt, g == GOAL_NONE ? "" : ok ? "ok" : "MISS", note);
    t->rows++;
    if (g != GOAL_NONE) {
        t->held += ok;
        t->missed += !ok;
    }
}

/* ---- the benchmarks ---------------------------------------------------------------------- */

static void bench_queue(struct table *t, int repeats)
{
    static const struct {
        const char *name;
        uint32_t pending;
        uint64_t holds;
    } sizes[] = {
        { "queue-hold-10k", 10000, 4000000 },
        { "queue-hold-100k", 100000, 3000000 },
        { "queue-hold-1m", 1000000, 2000000 },
    };
    for (size_t s = 0; s < SIM_ARRAY_SIZE(sizes); s++) {
        double f[MAX_REPEATS], b[MAX_REPEATS];
        for (int i = 0; i < repeats; i++) {
            b[i] = hold_plain(sizes[s].pending, sizes[s].holds);
            f[i] = hold_fosim(sizes[s].pending, sizes[s].holds);
        }
        row(t, sizes[s].name, median(f, repeats) / 1e6, "Mev/s", median(b, repeats) / 1e6,
            "Mev/s", GOAL_RATIO_GE, 1.0, "baseline: plain binary heap, 32-byte events by value");
    }
}

static int run_fleet(const char *self, uint32_t n, bool all, struct fleet_result *res)
{
    char num[16];
    snprintf(num, sizeof(num), "%u", n);
    char *argv[] = { (char *)self, all ? "fleet-all" : "fleet", num, NULL };
    struct child c;
    if (child_run(argv, true, false, &c) != 0 || c.status != 0 || fleet_parse(c.out, res) != 0) {
        fprintf(stderr, "fosim-bench: the fleet of %u VMs failed (status %d)\n", n, c.status);
        return -1;
    }
    res->cpu_s = c.cpu;
    return 0;
}

static int bench_fleet(struct table *t, const char *self, int repeats)
{
    static const uint32_t sizes[] = { 1, 100, 1000, 10000 };
    enum { NS = SIM_ARRAY_SIZE(sizes) };
    double rate[NS], wall[NS], cpu[NS], kb[NS], events[NS];
    for (size_t s = 0; s < NS; s++) {
        double r[MAX_REPEATS], w[MAX_REPEATS], m[MAX_REPEATS], u[MAX_REPEATS];
        for (int i = 0; i < repeats; i++) {
            struct fleet_result res;
            if (run_fleet(self, sizes[s], false, &res) != 0)
                return -1;
            r[i] = (double)res.events / res.run_cpu_s;
            w[i] = res.wall_s;
            u[i] = res.cpu_s;
            m[i] = (double)(res.hwm_kb - res.rss0_kb) * 1024 / sizes[s];
            events[s] = (double)res.events;
        }
        rate[s] = median(r, repeats);
        wall[s] = median(w, repeats);
        cpu[s] = median(u, repeats);
        kb[s] = median(m, repeats) / 1024;
    }
    for (size_t s = 0; s < NS; s++) {
        char name[32], note[160];
        snprintf(name, sizeof(name), "fleet-%u", sizes[s]);
        snprintf(note, sizeof(note),
                 "%.3g M events, wall %.3g s, CPU %.3g s, %.1f KB/pair; baseline: fleet-1",
                 events[s] / 1e6, wall[s], cpu[s], kb[s]);
        row(t, name, rate[s] / 1e6, "Mev/s", s > 0 ? rate[0] / 1e6 : 0, "Mev/s",
            sizes[s] == 10000 ? GOAL_FIG_GE : GOAL_NONE, 5.0, note);
    }
    /* the same 1,000 VMs with every observation built and delivered */
    double ra[MAX_REPEATS];
    for (int i = 0; i < repeats; i++) {
        struct fleet_result res;
        if (run_fleet(self, 1000, true, &res) != 0)
            return -1;
        ra[i] = (double)res.events / res.run_cpu_s;
    }
    row(t, "fleet-1000-all", median(ra, repeats) / 1e6, "Mev/s", rate[NS - 2] / 1e6, "Mev/s",
        GOAL_NONE, 0,
        "with a sink of every observation kind (QMP text, console, frames); baseline: fleet-1000");
    char note[160];
    snprintf(note, sizeof(note),
             "CPU s of the run's process; baseline: 10 x fleet-1000 (linear); wall %.3g s / "
             "10 x %.3g s", wall[NS - 1], wall[NS - 2]);
    row(t, "fleet-10000-time", cpu[NS - 1], "s", cpu[NS - 2] * 10, "s", GOAL_RATIO_LE, 1.15, note);
    row(t, "fleet-10000-mem", kb[NS - 1], "KB/pair", kb[NS - 2], "KB/pair", GOAL_FIG_LE, 4.0,
        "peak RSS over the VM pairs; baseline: fleet-1000");
    return 0;
}

static int bench_check(struct table *t, const char *dir, const char *fosim, int repeats)
{
    char big[4096], small[4096], pcap[4200];
    snprintf(big, sizeof(big), "%s/5m", dir);
    snprintf(small, sizeof(small), "%s/50k", dir);
    snprintf(pcap, sizeof(pcap), "%s/source-standby0.pcap", big);

    /* The checker's path in this process once, to prove it sees every frame. */
    uint64_t seen = bench_checker_frames(big);
    if (seen != NFRAMES_BIG) {
        fprintf(stderr, "fosim-bench: the checker saw %llu of %u frames\n",
                (unsigned long long)seen, NFRAMES_BIG);
        return -1;
    }
    char *check_big[] = { (char *)fosim, "check", big, NULL };
    char *check_small[] = { (char *)fosim, "check", small, NULL };
    char *loop[] = { "/proc/self/exe", "pcaploop", pcap, NULL };
    char *tcpdump[] = { "tcpdump", "-nqr", pcap, NULL };
    struct child c;
    /* warm-up: the page cache */
    if (child_run(check_big, false, true, &c) != 0 || (c.status != 0 && c.status != 1 &&
                                                        c.status != 3)) {
        fprintf(stderr, "fosim-bench: %s check %s: status %d\n", fosim, big, c.status);
        return -1;
    }
    double f[MAX_REPEATS], b[MAX_REPEATS], td[MAX_REPEATS], mb[MAX_REPEATS], ms[MAX_REPEATS];
    bool have_tcpdump = true;
    int nt = repeats < 3 ? repeats : 3; /* tcpdump takes half a minute per run */
    for (int i = 0; i < repeats; i++) {
        if (child_run(loop, true, false, &c) != 0 || c.status != 0 ||
            strtoull(c.out, NULL, 10) != NFRAMES_BIG) {
            fprintf(stderr, "fosim-bench: the libpcap loop failed: %s\n", c.out);
            return -1;
        }
        b[i] = NFRAMES_BIG / c.cpu;
        if (child_run(check_big, false, true, &c) != 0)
            return -1;
        f[i] = NFRAMES_BIG / c.cpu;
        mb[i] = (double)c.maxrss_kb / 1024;
        if (child_run(check_small, false, true, &c) != 0)
            return -1;
        ms[i] = (double)c.maxrss_kb / 1024;
        if (i < nt && have_tcpdump) {
            if (child_run(tcpdump, false, true, &c) != 0 || c.status != 0)
                have_tcpdump = false;
            td[i] = NFRAMES_BIG / c.cpu;
        }
    }
    double fig = median(f, repeats) / 1e6;
    row(t, "check-5m-libpcap", fig, "Mfr/s", median(b, repeats) / 1e6, "Mfr/s", GOAL_RATIO_GE,
        0.8, "fosim check; baseline: libpcap pcap_next_ex loop, same file");
    if (have_tcpdump)
        row(t, "check-5m-tcpdump", fig, "Mfr/s", median(td, nt) / 1e6, "Mfr/s", GOAL_RATIO_GE,
            20, "baseline: tcpdump -nqr FILE > /dev/null");
    else
        printf("%-22s (tcpdump is not installed: no baseline)\n", "check-5m-tcpdump");
    double big_mb = median(mb, repeats), small_mb = median(ms, repeats);
    char note[128];
    snprintf(note, sizeof(note), "peak RSS of fosim check; baseline: 50k frames; +%.2f MB",
             big_mb - small_mb);
    row(t, "check-5m-memory", big_mb, "MB", small_mb, "MB", GOAL_DIFF_LE, 4.0, note);
    return 0;
}

/* The scenario files of the catalog, sorted, for the per-process baseline. */
static size_t list_scenarios(const char *dir, char ***out, size_t n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    if (!d)
        return n;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "include") == 0)
            continue;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            n = list_scenarios(path, out, n);
        } else {
            size_t l = strlen(e->d_name);
            if (l > 4 && strcmp(e->d_name + l - 4, ".fos") == 0) {
                *out = sim_xrealloc(*out, (n + 1) * sizeof(**out));
                (*out)[n++] = sim_xstrdup(path);
            }
        }
    }
    closedir(d);
    return n;
}

static int bench_catalog(struct table *t, const char *fosim, int repeats)
{
    char **files = NULL;
    size_t nf = list_scenarios("conformance/scenarios", &files, 0);
    char *help[] = { (char *)fosim, "conformance", "--help", NULL };
    char *conf[] = { (char *)fosim, "conformance", NULL };
    struct child c;
    bool have = child_run(help, false, true, &c) == 0 && c.status == 0;
    double f[MAX_REPEATS], b[MAX_REPEATS];
    int rc = 0;
    for (int i = 0; i < repeats && rc == 0; i++) {
        double sum = 0;
        for (size_t k = 0; k < nf; k++) {
            char *run[] = { (char *)fosim, "run", "--quiet", files[k], NULL };
            if (child_run(run, false, true, &c) != 0)
                rc = -1;
            sum += c.wall;
        }
        b[i] = sum;
        if (have) {
            if (child_run(conf, false, true, &c) != 0 || c.status != 0) {
                fprintf(stderr, "fosim-bench: fosim conformance: status %d\n", c.status);
                rc = -1;
            }
            f[i] = c.wall;
        }
    }
    for (size_t k = 0; k < nf; k++)
        free(files[k]);
    free(files);
    if (rc != 0)
        return rc;
    char note[128];
    if (have) {
        snprintf(note, sizeof(note), "fosim conformance, wall; baseline: %zu fosim run processes",
                 nf);
        row(t, "catalog", median(f, repeats), "s", median(b, repeats), "s", GOAL_FIG_LE, 2.0,
            note);
    } else {
        snprintf(note, sizeof(note), "%zu scenarios, one fosim run each (no fosim conformance "
                                     "in this build)", nf);
        row(t, "catalog", median(b, repeats), "s", 0, "", GOAL_FIG_LE, 2.0, note);
    }
    return 0;
}

static void machine(void)
{
    char model[256] = "unknown CPU", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            if (p) {
                sim_strlcpy(model, p + 2, sizeof(model));
                model[strcspn(model, "\n")] = '\0';
            }
            break;
        }
    if (f)
        fclose(f);
    struct utsname u;
    uname(&u);
    long mem = sysconf(_SC_PHYS_PAGES) / 1024 * (sysconf(_SC_PAGESIZE) / 1024);
    printf("# machine: %s, %ld CPUs, %.1f GiB, %s %s, %s; libpcap %s\n", model,
           sysconf(_SC_NPROCESSORS_ONLN), (double)mem / 1024, u.sysname, u.release,
#ifdef __VERSION__
           "cc " __VERSION__,
#else
           "cc",
#endif
           pcap_lib_version());
}

/* Is group g selected by the comma-separated list `only` (NULL: all)? */
static bool selected(const char *only, const char *g)
{
    if (!only || !*only)
        return true;
    size_t l = strlen(g);
    for (const char *p = only; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (strncmp(p, g, l) == 0 && (p[l] == ',' || p[l] == '\0'))
            return true;
    return false;
}

static int run(const char *dir, const char *fosim, int repeats, const char *only)
{
    struct table t = { 0 };
    printf("# fosim-bench %s: median of %d runs each (tcpdump: of %d), baseline interleaved "
           "in the same run;\n# rates per CPU second (user + system) of the measuring process\n",
           FOSIM_VERSION, repeats, repeats < 3 ? repeats : 3);
    machine();
    printf("%-22s %9s %-8s %9s %-8s %7s  %-12s %-4s %s\n", "benchmark", "figure", "unit",
           "baseline", "unit", "ratio", "target", "", "what");
    fflush(stdout);
    int rc = 0;
    if (selected(only, "queue"))
        bench_queue(&t, repeats);
    fflush(stdout);
    if (selected(only, "fleet"))
        rc |= bench_fleet(&t, "/proc/self/exe", repeats);
    fflush(stdout);
    if (selected(only, "check"))
        rc |= bench_check(&t, dir, fosim, repeats);
    fflush(stdout);
    if (selected(only, "catalog"))
        rc |= bench_catalog(&t, fosim, repeats);
    printf("# targets: %d held, %d missed\n", t.held, t.missed);
    return rc ? 2 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "gen") == 0)
        return gen(argv[2]);
    if (argc == 3 && strcmp(argv[1], "fleet") == 0)
        return fleet_child((uint32_t)strtoul(argv[2], NULL, 10), false, stdout);
    if (argc == 3 && strcmp(argv[1], "fleet-all") == 0)
        return fleet_child((uint32_t)strtoul(argv[2], NULL, 10), true, stdout);
    if (argc == 3 && strcmp(argv[1], "pcaploop") == 0)
        return pcaploop(argv[2]);
    if (argc >= 4 && argc <= 6 && strcmp(argv[1], "run") == 0) {
        int repeats = argc >= 5 ? atoi(argv[4]) : 5;
        if (repeats < 1 || repeats > MAX_REPEATS) {
            fprintf(stderr, "fosim-bench: REPEATS must be 1 to %d\n", MAX_REPEATS);
            return 2;
        }
        return run(argv[2], argv[3], repeats, argc == 6 ? argv[5] : NULL);
    }
    fprintf(stderr, "usage: fosim-bench gen DIR | run DIR FOSIM [REPEATS [GROUP,...]]\n"
                    "groups: queue, fleet, check, catalog (default: all)\n");
    return 2;
}
