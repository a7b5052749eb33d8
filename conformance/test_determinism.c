/*
 * Determinism: the same scenario and seed give the same bytes; another seed
 * changes what the seed drives (random MACs, the guest's timing jitter) and
 * nothing else.
 *
 * Each scenario of a set (one and two failover pairs, native and ACPI
 * hotplug, a random primary MAC, ping traffic, heavy traffic, a fleet of
 * VMs) is run with `fosim run --record DIR --seed K` twice for each of
 * FOSIM_DETERMINISM_SEEDS seeds (default 3 in `make check`; CI runs 100).
 * Both runs must print the same bytes (the whole timeline of every VM, the
 * traffic report, expectations and verdicts) and record byte-identical
 * bundles.  Across seeds:
 *   - the QMP conversation of each host, without time stamps (events with
 *     their data, commands with their arguments, replies), is identical;
 *   - the outcome of every expectation, the verdict totals and the exit
 *     status are identical;
 *   - the guest's console stamps differ (the kernel clock's phase and the
 *     drivers' delays are drawn from the seed);
 *   - a random MAC differs for every seed.
 * FOSIM_DETERMINISM_KEEP=1 keeps the runs' directories for inspection.
 */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/err.h"

#define MAX_SEEDS 1000

struct det_case {
    const char *name;
    const char *file; /* scenario under conformance/scenarios/, or NULL */
    const char *text; /* or a scenario written here; "%s" is the repository root */
    bool random_mac;  /* the primary's MAC is random: it must change with the seed */
};

static const struct det_case cases[] = {
    { "native-migration", "guest/native-migration.fos", NULL, false },
    { "acpi-migration", "guest/acpi-migration.fos", NULL, false },
    { "two-pairs", "guest/two-pairs.fos", NULL, false },
    { "primary-random-mac", "guest/primary-random-mac.fos", NULL, true },
    { "native-ping", "traffic/native-ping.fos", NULL, false },
    { "heavy-traffic", NULL,
      "include \"%s/conformance/scenarios/guest/native-migration.fos\"\n"
      "scenario det-heavy-traffic\n"
      "traffic\n"
      "    generate out rate 800/s size 120 from 1s\n"
      "    generate in rate 800/s size 120 from 1s\n"
      "    ping 10.0.2.2 every 20ms from 1s\n"
      "end\n",
      false },
    { "fleet", NULL,
      "include \"%s/conformance/scenarios/traffic/native-ping.fos\"\n"
      "scenario det-fleet\n"
      "vms 4\n",
      false },
};

/* What one run left behind, reduced to what the checks compare. */
struct run {
    int status;
    uint64_t out;          /* everything fosim printed */
    uint64_t bundle;       /* every file of the bundle, names included */
    uint64_t qmp;          /* the QMP conversations without time stamps */
    uint64_t report;       /* expectation outcomes, verdict totals */
    uint64_t console;      /* the guest console's stamps */
    char mac[18];          /* the random MAC, if the case has one */
    char out_path[256];
    char dir[256];
};

static char scratch[64];

static void remove_scratch(void)
{
    if (getenv("FOSIM_DETERMINISM_KEEP")) {
        fprintf(stderr, "test_determinism: runs kept in %s\n", scratch);
        return;
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "test_determinism: cannot remove %s\n", scratch);
}

static const char *scratch_dir(void)
{
    if (!scratch[0]) {
        snprintf(scratch, sizeof(scratch), "/tmp/fosim-det-XXXXXX");
        if (!mkdtemp(scratch))
            fail_msg("mkdtemp: %s", strerror(errno));
        atexit(remove_scratch);
    }
    return scratch;
}

static unsigned nseeds(void)
{
    const char *s = getenv("FOSIM_DETERMINISM_SEEDS");
    unsigned long n = s ? strtoul(s, NULL, 10) : 3;
    return n < 1 ? 1 : n > MAX_SEEDS ? MAX_SEEDS : (unsigned)n;
}

/* ---- Digests ------------------------------------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

#define FNV0 0xcbf29ce484222325ull

static uint64_t fnv_file(uint64_t h, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail_msg("%s: %s", path, strerror(errno));
        return h;
    }
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        h = fnv(h, buf, n);
    fclose(f);
    return h;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order: name and bytes. */
static uint64_t fnv_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("%s: %s", dir, strerror(errno));
    char *names[512] = { NULL };
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && n < SIM_ARRAY_SIZE(names))
            names[n++] = sim_xstrdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_str);
    uint64_t h = FNV0;
    for (size_t i = 0; i < n; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        h = fnv(h, names[i], strlen(names[i]) + 1);
        h = fnv_file(h, path);
        free(names[i]);
    }
    return h;
}

/* Read a text file line by line; fn gets each line without its newline. */
static void each_line(const char *path, void (*fn)(void *ctx, char *line), void *ctx)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return; /* a file the run did not write (no target host) */
    size_t cap = 0;
    char *line = NULL;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[len - 1] = '\0';
        fn(ctx, line);
    }
    free(line);
    fclose(f);
}

/* A QMP line without its time: events keep name and data, commands their
 * name and arguments (not the id: fosim's ids carry the time), replies
 * whether they succeeded. */
static void qmp_line(void *ctx, char *line)
{
    uint64_t *h = ctx;
    json_t *j = json_loads(line, 0, NULL);
    if (!j)
        fail_msg("the recorded QMP log has a line that is not JSON: %s", line);
    json_t *p = json_object();
    const char *keep[] = { "event", "data", "execute", "arguments", "QMP" };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(keep); i++) {
        json_t *v = json_object_get(j, keep[i]);
        if (v)
            json_object_set(p, keep[i], v);
    }
    if (json_object_get(j, "return"))
        json_object_set_new(p, "return", json_true());
    json_t *e = json_object_get(j, "error");
    if (e)
        json_object_set(p, "error", json_object_get(e, "class"));
    char *s = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
    *h = fnv(*h, s, strlen(s) + 1);
    free(s);
    json_decref(p);
    json_decref(j);
}

/* The report without what the seed may move: each expectation's outcome and
 * statement (not the "-- why", which carries times), the summary lines. */
static void report_line(void *ctx, char *line)
{
    uint64_t *h = ctx;
    if (strncmp(line, "  PASS", 6) == 0 || strncmp(line, "  FAIL", 6) == 0) {
        char *why = strstr(line, " -- ");
        if (why)
            *why = '\0';
    } else if (!strstr(line, " expectation(s): ") && strncmp(line, "verdicts: ", 10) != 0 &&
               !strstr(line, "assertion(s) failed")) {
        return;
    }
    *h = fnv(*h, line, strlen(line) + 1);
}

static void console_line(void *ctx, char *line)
{
    uint64_t *h = ctx;
    char *end = line[0] == '[' ? strchr(line, ']') : NULL;
    if (end)
        *h = fnv(*h, line, (size_t)(end - line));
}

/* "e1000e 0000:02:00.0 eth2: (PCI Express:2.5GT/s:Width x1) 52:54:00:..." */
static void mac_line(void *ctx, char *line)
{
    char *mac = ctx;
    const char *p = strstr(line, "(PCI Express:");
    const char *q = p ? strstr(p, ") ") : NULL;
    if (q && !mac[0] && strlen(q + 2) >= 17)
        sim_strlcpy(mac, q + 2, 18);
}

/* ---- Running ------------------------------------------------------------------------------ */

static const char *scenario_path(const struct det_case *c)
{
    static char path[512];
    char cwd[400];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    if (c->file) {
        snprintf(path, sizeof(path), "%s/conformance/scenarios/%s", cwd, c->file);
        return path;
    }
    snprintf(path, sizeof(path), "%s/%s.fos", scratch_dir(), c->name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, c->text, cwd);
    assert_int_equal(fclose(f), 0);
    return path;
}

static void run_once(const struct det_case *c, const char *scn, uint64_t seed, char tag,
                     struct run *r)
{
    char cwd[400], cmd[2048];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    memset(r, 0, sizeof(*r));
    snprintf(r->dir, sizeof(r->dir), "%s/%s-%" PRIu64 "%c", scratch_dir(), c->name, seed, tag);
    snprintf(r->out_path, sizeof(r->out_path), "%s.out", r->dir);
    snprintf(cmd, sizeof(cmd), "'%s/%s' run --seed %" PRIu64 " --record '%s' '%s' >'%s' 2>&1",
             cwd, FOSIM_BIN, seed, r->dir, scn, r->out_path);
    int st = system(cmd);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (r->status != 0 && r->status != 1 && r->status != 3)
        fail_msg("%s seed %" PRIu64 ": fosim exited with %d (see %s)", c->name, seed, r->status,
                 r->out_path);
    r->out = fnv_file(FNV0, r->out_path);
    r->bundle = fnv_dir(r->dir);
    char path[512];
    r->qmp = FNV0;
    for (int h = 0; h < 2; h++) {
        snprintf(path, sizeof(path), "%s/%s.qmp", r->dir, h ? "target" : "source");
        r->qmp = fnv(r->qmp, "|", 1);
        each_line(path, qmp_line, &r->qmp);
    }
    r->report = FNV0;
    each_line(r->out_path, report_line, &r->report);
    r->console = FNV0;
    snprintf(path, sizeof(path), "%s/source-guest.log", r->dir);
    each_line(path, console_line, &r->console);
    each_line(path, mac_line, r->mac);
}

/* Name the first difference between two runs that should be identical. */
static void explain_difference(const struct det_case *c, uint64_t seed, const struct run *a,
                               const struct run *b)
{
    char cmd[1200];
    snprintf(cmd, sizeof(cmd),
             "diff '%s' '%s' | head -n 6 >&2; diff -rq '%s' '%s' | head -n 6 >&2", a->out_path,
             b->out_path, a->dir, b->dir);
    if (system(cmd) < 0)
        fprintf(stderr, "cannot run diff\n");
    fail_msg("%s: seed %" PRIu64 " run twice gave different %s (set FOSIM_DETERMINISM_KEEP=1 "
             "to keep %s and %s)",
             c->name, seed, a->out != b->out ? "output" : "bundles", a->dir, b->dir);
}

static void drop_run(const struct run *r)
{
    if (getenv("FOSIM_DETERMINISM_KEEP"))
        return;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", r->dir, r->out_path);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", r->dir);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void check_case(const struct det_case *c)
{
    unsigned n = nseeds();
    const char *scn = scenario_path(c);
    struct run first = { 0 };
    uint64_t *console = sim_xcalloc(n, sizeof(*console));
    char (*macs)[18] = sim_xcalloc(n, sizeof(*macs));
    for (unsigned k = 0; k < n; k++) {
        uint64_t seed = 1 + (uint64_t)k * 7919;
        struct run a, b;
        run_once(c, scn, seed, 'a', &a);
        run_once(c, scn, seed, 'b', &b);
        if (a.out != b.out || a.bundle != b.bundle || a.status != b.status)
            explain_difference(c, seed, &a, &b);
        if (k == 0)
            first = a;
        else if (a.qmp != first.qmp)
            fail_msg("%s: seed %" PRIu64 " changed the QMP conversation (events, commands or "
                     "replies), which the seed must not drive",
                     c->name, seed);
        else if (a.report != first.report || a.status != first.status)
            fail_msg("%s: seed %" PRIu64 " changed an expectation's outcome, the verdicts or "
                     "the exit status (%d, seed 1 gave %d): see %s",
                     c->name, seed, a.status, first.status, a.out_path);
        console[k] = a.console;
        sim_strlcpy(macs[k], a.mac, sizeof(macs[k]));
        drop_run(&b);
        if (k > 0)
            drop_run(&a);
    }
    drop_run(&first);
    /* the seed drives the guest's timing: with two seeds or more the
     * console's stamps differ somewhere */
    qsort(console, n, sizeof(*console), cmp_u64);
    unsigned distinct = n ? 1 : 0;
    for (unsigned k = 1; k < n; k++)
        distinct += console[k] != console[k - 1];
    if (n >= 2 && distinct < 2)
        fail_msg("%s: %u seeds gave the same console stamps: the seed does not reach the "
                 "guest's timing",
                 c->name, n);
    if (c->random_mac) {
        for (unsigned k = 0; k < n; k++) {
            if (!macs[k][0])
                fail_msg("%s: no random MAC found in the console", c->name);
            for (unsigned m = 0; m < k; m++)
                if (strcmp(macs[k], macs[m]) == 0)
                    fail_msg("%s: seeds %u and %u gave the same random MAC %s", c->name, k, m,
                             macs[k]);
        }
    }
    free(console);
    free(macs);
}

/* ---- Tests --------------------------------------------------------------------------------- */

#define CASE_TEST(fn, idx)        \
    static void fn(void **state) \
    {                            \
        (void)state;             \
        check_case(&cases[idx]); \
    }

/* One failover pair, native PCIe hotplug, a completed migration. */
CASE_TEST(test_native_migration, 0)
/* ACPI hotplug. */
CASE_TEST(test_acpi_migration, 1)
/* Two failover pairs. */
CASE_TEST(test_two_pairs, 2)
/* A primary with a random MAC: the MAC follows the seed. */
CASE_TEST(test_random_mac, 3)
/* Ping through the migration: captures and the traffic report. */
CASE_TEST(test_ping, 4)
/* Heavy traffic both ways through the migration. */
CASE_TEST(test_heavy_traffic, 5)
/* A fleet of four VMs in one world, each with its own random streams. */
CASE_TEST(test_fleet, 6)

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_native_migration), cmocka_unit_test(test_acpi_migration),
    cmocka_unit_test(test_two_pairs),        cmocka_unit_test(test_random_mac),
    cmocka_unit_test(test_ping),             cmocka_unit_test(test_heavy_traffic),
    cmocka_unit_test(test_fleet),
};

FO_MAIN("determinism", tests)
