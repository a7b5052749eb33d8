/*
 * fosim run: simulate a scenario, print its timeline and its expectations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "check_bundle.h"
#include "sim/expect.h"
#include "sim/mutant.h"
#include "sim/record.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/traffic.h"

void cmd_run_usage(FILE *out)
{
    fprintf(out,
            "usage: fosim run SCENARIO [--seed N] [--until TIME] [--mutant NAME]... [--quiet]\n"
            "                [--record DIR]\n\n"
            "Simulate SCENARIO (see doc/scenario.md): print one line per observation (QMP\n"
            "lines, guest console lines, QEMU messages, frames, state changes), then\n"
            "whether each of the scenario's expectations held.\n\n"
            "  --seed N        seed for every random stream (default: the scenario's, else 1)\n"
            "  --until TIME    stop at this simulated time (default: the scenario's horizon,\n"
            "                  else when nothing is left to do)\n"
            "  --mutant NAME   run a deliberately broken model (a negative control);\n"
            "                  --mutant list prints the names\n"
            "  --quiet         print only the expectations and the summary\n"
            "  --record DIR    also write the run as a bundle in DIR (doc/bundle.md): QMP\n"
            "                  logs, guest consoles, QEMU stderr, pcaps, manifest.json\n\n"
            "After the expectations it prints the catalog's verdicts on the run: a\n"
            "summary line and every FAIL with its evidence (fosim explain ID).\n\n"
            "Exit status: 0 every expectation held and no assertion failed that the\n"
            "scenario does not expect to fail (expect verdict ID fail), 1 otherwise,\n"
            "2 bad input.\n");
}

struct printer {
    FILE *out;
    sim_time t0;
    bool quiet;
    char line[8192];
};

static void print_obs(void *ctx, const struct obs *o)
{
    struct printer *p = ctx;
    if (p->quiet || o->kind == OBS_END)
        return;
    obs_format(p->line, sizeof(p->line), o, p->t0);
    fprintf(p->out, "%s\n", p->line);
}

/* ---- verdicts (spec/check.h) -------------------------------------------------- */

/* Settle the scenario's "expect verdict ID V" from the monitors' results. */
static void settle_verdicts(struct expect_eval *ev, const struct check *chk)
{
    for (size_t i = 0; i < expect_count(ev); i++) {
        const struct expect_outcome *o = expect_outcome(ev, i);
        if (o->e->kind != SCN_EXPECT_VERDICT)
            continue;
        const struct spec_entry *a = spec_lookup(o->e->subject.text, NULL);
        const struct check_result *res = a ? check_result_for(chk, a->sid) : NULL;
        expect_settle_verdict(ev, i, res ? check_verdict_name(res->verdict) : NULL);
    }
}

/* Does the scenario expect assertion a to fail? */
static bool fail_expected(const struct scenario *s, const struct spec_entry *a)
{
    for (size_t i = 0; i < s->nexpects; i++) {
        const struct scn_expect *e = &s->expects[i];
        const struct spec_entry *x =
            e->kind == SCN_EXPECT_VERDICT ? spec_lookup(e->subject.text, NULL) : NULL;
        if (x == a && strcmp(e->word.text, "fail") == 0)
            return true;
    }
    return false;
}

/* Print the verdict summary and every FAIL with its evidence; returns the
 * number of FAILs the scenario did not expect. */
static unsigned print_verdicts(const struct check *chk, const struct scenario *s, FILE *out)
{
    unsigned t[CHECK_NVERDICTS], unexpected = 0;
    check_totals(chk, t);
    fprintf(out, "\nverdicts: %u pass, %u fail, %u inconclusive, %u n/a\n", t[CHECK_PASS],
            t[CHECK_FAIL], t[CHECK_INCONCLUSIVE], t[CHECK_NA]);
    for (size_t i = 0; i < check_count(chk); i++) {
        const struct check_result *res = check_result(chk, i);
        if (res->verdict != CHECK_FAIL)
            continue;
        bool expected = fail_expected(s, res->a);
        unexpected += !expected;
        fprintf(out, "\n%s", expected ? "(expected by the scenario) " : "");
        check_print_result(chk, res, out);
    }
    if (unexpected)
        fprintf(out, "\n%u assertion(s) failed that the scenario does not expect to fail\n",
                unexpected);
    return unexpected;
}
/* ---- end verdicts ---- */

int cmd_run(int argc, char **argv)
{
    const char *path = NULL;
    struct sim_run_config cfg = { .until = SIM_TIME_NONE };
    bool quiet = false;
    const char *record_dir = NULL; /* --record */
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--seed") == 0) {
            unsigned long long v;
            if (++i >= argc)
                return cli_bad("--seed needs a number");
            if (cli_u64(a, argv[i], &v))
                return EXIT_BADINPUT;
            cfg.seed = v;
            cfg.seed_set = true;
        } else if (strcmp(a, "--until") == 0) {
            if (++i >= argc)
                return cli_bad("--until needs a time");
            if (cli_time(a, argv[i], &cfg.until))
                return EXIT_BADINPUT;
        } else if (strcmp(a, "--mutant") == 0) {
            if (++i >= argc)
                return cli_bad("--mutant needs a name (--mutant list shows them)");
            if (strcmp(argv[i], "list") == 0) {
                for (int m = 0; m < MUT_COUNT; m++)
                    printf("%-26s %s\n", mutant_table[m].name, mutant_table[m].description);
                return EXIT_OK;
            }
            int m = mutant_lookup(argv[i]);
            if (m < 0)
                return cli_bad("unknown mutant '%s' (--mutant list shows them)", argv[i]);
            cfg.mutants |= mutant_bit((enum mutant)m);
        } else if (strcmp(a, "--record") == 0) { /* --record DIR */
            if (++i >= argc)
                return cli_bad("--record needs a directory");
            record_dir = argv[i];
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            quiet = true;
        } else if (a[0] == '-' && a[1]) {
            return cli_bad("unknown option '%s' for run (fosim run --help)", a);
        } else if (!path) {
            path = a;
        } else {
            return cli_bad("run takes one scenario file, got '%s' and '%s'", path, a);
        }
    }
    if (!path)
        return cli_bad("run needs a scenario file (fosim run --help)");

    struct sim_err err = { "" };
    struct scenario *s = NULL;
    if (scn_load(path, &s, &err) != 0 || check_scenario_verdicts(s, &err) != 0) {
        cli_bad("%s", err.msg);
        scn_free(s);
        return EXIT_BADINPUT;
    }
    struct sim_run *r = NULL;
    if (sim_run_new(s, &cfg, &r, &err) != 0) {
        cli_bad("%s", err.msg);
        scn_free(s);
        return EXIT_BADINPUT;
    }
    struct printer *pr = calloc(1, sizeof(*pr));
    if (!pr) {
        sim_run_free(r);
        scn_free(s);
        return cli_bad("out of memory");
    }
    pr->out = stdout;
    pr->t0 = r->w->epoch;
    pr->quiet = quiet;
    sim_world_add_sink(r->w, print_obs, pr);
    /* ---- verdicts (spec/check.h): the catalog's monitors watch the run ---- */
    struct check *chk = check_attach_run(r);
    if (!chk) {
        free(pr);
        sim_run_free(r);
        scn_free(s);
        return cli_bad("out of memory");
    }
    /* ---- end verdicts ---- */

    struct recorder *rec = NULL; /* --record: attach the bundle recorder */
    if (record_dir && record_open(record_dir, r, &rec, &err) != 0) {
        cli_bad("%s", err.msg);
        free(pr);
        check_free(chk);
        sim_run_free(r);
        scn_free(s);
        return EXIT_BADINPUT;
    }
    if (rec) /* --record: the manifest describes the hosts as the checker sees them */
        check_ctx_to_bundle(record_manifest(rec), check_context(chk));

    printf("scenario %s%s%s\n", s->name, s->description[0] ? ": " : "", s->description);
    if (!quiet)
        printf("%14s %-6s %s\n", "time (s)", "host", "observation");
    sim_run_go(r);
    int rc = EXIT_OK;
    if (sim_run_inputs_ok(r, &err) != 0) { /* an input broke mid-run: no result */
        cli_bad("%s", err.msg);
        record_abort(rec);
        rc = EXIT_BADINPUT;
        goto out;
    }
    if (rec && record_finish(rec, &err) != 0) { /* --record: write the manifest */
        cli_bad("%s", err.msg);
        rc = EXIT_BADINPUT;
        goto out;
    }
    if (expect_finish(r->expect, &err) != 0) {
        cli_bad("%s", err.msg);
        rc = EXIT_BADINPUT;
        goto out;
    }
    check_finish(chk);
    settle_verdicts(r->expect, chk);
    if (s->traffic.present) {
        printf("\ntraffic:\n");
        traffic_report(r->w->vms[0].traffic, stdout);
    }
    printf("\nexpectations:\n");
    unsigned failed = expect_report(r->expect, stdout);
    size_t n = expect_count(r->expect);
    printf("\n%zu expectation(s): %zu held, %u failed%s\n", n, n - failed, failed,
           r->truncated ? " (the run was cut at its horizon)" : "");
    unsigned unexpected = print_verdicts(chk, s, stdout);
    rc = failed || unexpected ? EXIT_FAIL : EXIT_OK;
out:
    free(pr);
    check_free(chk);
    sim_run_free(r);
    scn_free(s);
    return rc;
}
