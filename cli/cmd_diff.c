/*
 * fosim diff: compare two runs of a scenario, typically the simulator's
 * against a recording of real QEMU and Linux (sim/diff.h, doc/real.md).
 *
 * Each side is a bundle directory or a scenario file (simulated here, in
 * memory).  Every difference is printed with its signature; a
 * known-differences file explains the ones that are understood.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "sim/bundle.h"
#include "sim/diff.h"
#include "sim/run.h"
#include "sim/scenario.h"

void cmd_diff_usage(FILE *out)
{
    fprintf(out,
            "usage: fosim diff A B [--known FILE] [--scenario NAME] [--tolerance TIME]\n"
            "                      [--relative PERCENT] [--stay-tolerance TIME]\n"
            "                      [--boot-end TIME] [--boot-tolerance TIME] [--seed N]\n"
            "                      [--verbose]\n\n"
            "Compare two runs of one scenario, channel by channel: QMP events and replies\n"
            "per host, the guest's failover/hotplug/NIC console lines, QEMU's stderr, the\n"
            "datapath of the guest's pings and QEMU's announcements; and the time spent in\n"
            "each migration state.  A and B are bundle directories (fosim run --record,\n"
            "fosim-record) or scenario files, which are simulated here.  Times are seconds\n"
            "since each run's t = 0 (doc/real.md).\n\n"
            "  --known FILE          known differences: SCENARIO-GLOB | SIGNATURE-GLOB | REASON\n"
            "  --scenario NAME       the name matched against the known differences\n"
            "                        (default: the scenario's or bundle's name)\n"
            "  --tolerance TIME      time tolerance of a matched item (default 400ms) ...\n"
            "  --relative PERCENT    ... plus this share of its time (default 3)\n"
            "  --stay-tolerance TIME tolerance of a migration state's stay (default 300ms)\n"
            "                        plus the relative share\n"
            "  --boot-end TIME       items before TIME belong to the guest's boot (default:\n"
            "                        a simulated scenario's first action, after cont with\n"
            "                        -S; else none) ...\n"
            "  --boot-tolerance TIME ... and get this tolerance (default 2.5s): a real TCG\n"
            "                        boot's speed follows the host's load\n"
            "  --seed N              seed of a simulated side\n"
            "  --verbose             print the matched items too\n\n"
            "Exit status: 0 no unexplained difference, 1 some, 2 bad input.\n");
}

struct side {
    const char *path;
    struct diff_run *run;
    char name[128];       /* scenario name */
    bool simulated;       /* from the simulator (scenario file or fosim bundle) */
    sim_time first_qmp;   /* first source QMP observation, for bundles without t0 */
    sim_time first_action;/* where a simulated scenario's boot ends (diff_scenario_boot_end) */
};

static void side_sink(void *ctx, const struct obs *o)
{
    struct side *s = ctx;
    if (s->first_qmp == SIM_TIME_NONE && o->host == OBS_SOURCE &&
        (o->kind == OBS_QMP_GREETING || o->kind == OBS_QMP_EVENT || o->kind == OBS_QMP_REPLY ||
         o->kind == OBS_QMP_COMMAND))
        s->first_qmp = o->t;
    diff_run_sink(s->run, o);
}

/* t = 0 of a bundle: provenance.t0.wall ("S.U") of a recording, else the
 * first source QMP line (a simulated bundle's greeting is at t = 0). */
static bool provenance_t0(const struct bundle *b, sim_time *t0)
{
    const json_t *w = b->provenance ? json_object_get(json_object_get(b->provenance, "t0"), "wall")
                                    : NULL;
    const char *s = json_string_value(w);
    if (!s)
        return false;
    long long sec, us;
    char extra;
    if (sscanf(s, "%18lld.%6lld%c", &sec, &us, &extra) != 2)
        return false;
    *t0 = (sim_time)sec * 1000000000 + (sim_time)us * 1000;
    return true;
}

static int load_bundle(struct side *s, struct sim_err *err)
{
    struct bundle *b = NULL;
    if (bundle_open(s->path, &b, err) != 0)
        return -1;
    int rc = bundle_prepare(b, err);
    struct obs_sink sink = { side_sink, s };
    if (rc == 0)
        rc = bundle_replay(b, &sink, err);
    if (rc == 0) {
        sim_strlcpy(s->name, b->scenario, sizeof(s->name));
        s->simulated = strcmp(b->generator, "fosim-record") != 0;
        sim_time t0;
        if (b->epoch_set)
            t0 = b->epoch;
        else if (!provenance_t0(b, &t0))
            t0 = s->first_qmp != SIM_TIME_NONE ? s->first_qmp : 0;
        diff_run_set_t0(s->run, t0);
        /* a recording says how it found t = 0 (doc/real.md) */
        const char *how = b->provenance ? json_string_value(json_object_get(
                                              json_object_get(b->provenance, "t0"), "how"))
                                        : NULL;
        if (how)
            diff_run_set_uptime_is_t(s->run, strncmp(how, "source guest uptime 0", 21) == 0);
    }
    bundle_free(b);
    return rc;
}

static int simulate(struct side *s, uint64_t seed, bool seed_set, struct sim_err *err)
{
    struct scenario *scn = NULL;
    if (scn_load(s->path, &scn, err) != 0)
        return -1;
    struct sim_run_config cfg = { .until = SIM_TIME_NONE, .seed = seed, .seed_set = seed_set };
    struct sim_run *r = NULL;
    if (sim_run_new(scn, &cfg, &r, err) != 0) {
        scn_free(scn);
        return -1;
    }
    sim_world_add_sink(r->w, side_sink, s);
    sim_run_go(r);
    diff_run_set_t0(s->run, r->w->epoch);
    diff_run_set_uptime_is_t(s->run, !diff_scenario_paused(scn));
    s->first_action = diff_scenario_boot_end(scn);
    sim_strlcpy(s->name, scn->name, sizeof(s->name));
    s->simulated = true;
    sim_run_free(r);
    scn_free(scn);
    return 0;
}

static int load_side(struct side *s, uint64_t seed, bool seed_set, struct sim_err *err)
{
    struct stat st;
    s->first_qmp = SIM_TIME_NONE;
    s->first_action = SIM_TIME_NONE;
    if (stat(s->path, &st) != 0)
        return sim_errf(err, "%s: no such bundle directory or scenario file", s->path);
    return S_ISDIR(st.st_mode) ? load_bundle(s, err) : simulate(s, seed, seed_set, err);
}

int cmd_diff(int argc, char **argv)
{
    struct diff_options opt;
    diff_options_default(&opt);
    const char *known_path = NULL, *scenario = NULL;
    struct side sides[2] = { { 0 } };
    int nsides = 0;
    unsigned long long seed = 0;
    bool seed_set = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--known") == 0) {
            if (!v)
                return cli_bad("--known needs a file");
            known_path = argv[++i];
        } else if (strcmp(a, "--scenario") == 0) {
            if (!v)
                return cli_bad("--scenario needs a name");
            scenario = argv[++i];
        } else if (strcmp(a, "--tolerance") == 0) {
            if (cli_time(a, v, &opt.tol_abs))
                return EXIT_BADINPUT;
            i++;
        } else if (strcmp(a, "--boot-tolerance") == 0) {
            if (cli_time(a, v, &opt.tol_boot))
                return EXIT_BADINPUT;
            i++;
        } else if (strcmp(a, "--boot-end") == 0) {
            if (cli_time(a, v, &opt.boot_end))
                return EXIT_BADINPUT;
            i++;
        } else if (strcmp(a, "--stay-tolerance") == 0) {
            if (cli_time(a, v, &opt.tol_duration))
                return EXIT_BADINPUT;
            i++;
        } else if (strcmp(a, "--relative") == 0) {
            unsigned long long p;
            if (cli_u64(a, v, &p))
                return EXIT_BADINPUT;
            if (p > 100)
                return cli_bad("--relative expects a percentage from 0 to 100, got '%s'", v);
            opt.tol_rel = (double)p / 100.0;
            i++;
        } else if (strcmp(a, "--seed") == 0) {
            if (cli_u64(a, v, &seed))
                return EXIT_BADINPUT;
            seed_set = true;
            i++;
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            opt.verbose = true;
        } else if (a[0] == '-' && a[1]) {
            return cli_bad("unknown option '%s' for diff (fosim diff --help)", a);
        } else if (nsides < 2) {
            sides[nsides++].path = a;
        } else {
            return cli_bad("diff compares two runs, got a third: '%s'", a);
        }
    }
    if (nsides != 2)
        return cli_bad("diff needs two runs: bundle directories or scenario files (fosim diff "
                       "--help)");

    struct sim_err err = { "" };
    struct diff_known *known = NULL;
    int rc = EXIT_BADINPUT;
    if (known_path && diff_known_load(known_path, &known, &err) != 0) {
        cli_bad("%s", err.msg);
        return EXIT_BADINPUT;
    }
    for (int i = 0; i < 2; i++)
        sides[i].run = diff_run_new("?");
    for (int i = 0; i < 2; i++) {
        if (load_side(&sides[i], seed, seed_set, &err) != 0) {
            cli_bad("%s", err.msg);
            goto out;
        }
    }
    /* Labels: "sim" and "real" when the sides are one of each kind. */
    for (int i = 0; i < 2; i++)
        diff_run_set_label(sides[i].run, sides[0].simulated != sides[1].simulated
                                             ? (sides[i].simulated ? "sim" : "real")
                                             : (i == 0 ? "a" : "b"));
    opt.known = known;
    if (opt.boot_end == SIM_TIME_NONE) /* the scenario says where its boot ends */
        opt.boot_end = sides[0].first_action != SIM_TIME_NONE ? sides[0].first_action
                                                              : sides[1].first_action;
    opt.scenario = scenario ? scenario : sides[1].name[0] ? sides[1].name : sides[0].name;
    printf("diff %s (%s) against %s (%s), scenario %s\n", sides[0].path,
           sides[0].simulated ? "simulated" : "recorded", sides[1].path,
           sides[1].simulated ? "simulated" : "recorded", opt.scenario);
    struct diff_result res;
    diff_compare(sides[0].run, sides[1].run, &opt, stdout, &res);
    printf("\n%u matched, %u difference(s): %u explained by known differences, %u unexplained"
           "%s\n",
           res.matched, res.differences, res.explained, res.unexplained,
           res.stale ? " (some known differences did not occur: see 'stale')" : "");
    rc = res.unexplained ? EXIT_FAIL : EXIT_OK;
out:
    for (int i = 0; i < 2; i++)
        diff_run_free(sides[i].run);
    diff_known_free(known);
    return rc;
}
