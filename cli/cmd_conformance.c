/*
 * fosim conformance: run the scenario catalog against the reference model
 * in-process (spec/suite.h), one test case per scenario, and report in text,
 * TAP 14 or JUnit XML.  With --mutant the model is a deliberately broken one
 * (sim/mutant.h); with --mutants every mutant is run against the catalog and
 * the mutation score says how many the catalog kills.  With --trace it also
 * checks the corrupted traces (spec/corrupt.h) and prints the traceability
 * matrix (spec/trace.h), failing on any gap.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "corrupt.h"
#include "sim/mutant.h"
#include "suite.h"
#include "trace.h"

void cmd_conformance_usage(FILE *out)
{
    fprintf(out,
            "usage: fosim conformance [--dir DIR] [--filter GLOB]... [--shard K/N]\n"
            "                         [--report text|tap|junit] [--output FILE]\n"
            "                         [--mutant NAME]... | --mutants | --trace [--root DIR] [--work DIR]\n"
            "                         [--list] | --corruptions\n\n"
            "Run the scenario catalog (doc/conformance.md) against the reference model,\n"
            "in-process: one test case per scenario; a case passes when every expectation\n"
            "held and no assertion failed that the scenario does not expect to fail.\n\n"
            "  --dir DIR        the catalog (default conformance/scenarios)\n"
            "  --filter GLOB    only cases whose name matches (e.g. 'host/migrate-*');\n"
            "                   may be repeated\n"
            "  --shard K/N      the K-th of N contiguous blocks of the selected cases;\n"
            "                   fosim merge-reports joins the N reports (doc/sharding.md)\n"
            "  --report FORMAT  text (default), tap (TAP version 14) or junit (JUnit XML)\n"
            "  --output FILE    write the report to FILE (nothing is left on bad input)\n"
            "  --mutant NAME    run a deliberately broken model instead (--mutant list)\n"
            "  --mutants        run the catalog under every mutant: the mutation score\n"
            "                   (killed / total) and which cases killed each; exit 1 if a\n"
            "                   mutant survives or the reference model fails a case\n"
            "  --trace          --mutants, plus the corrupted traces of conformance/corrupt\n"
            "                   and the traceability matrix: for every catalog ID the code\n"
            "                   implementing it (IMP marks), the tests and scenarios giving\n"
            "                   evidence, a passing case, and a killing mutant or failing\n"
            "                   trace; rule-book coverage (H-01..H-60, G-01..G-86); exit 1\n"
            "                   on any gap\n"
            "  --root DIR       the source tree --trace reads (default .)\n"
            "  --work DIR       where --trace makes the corrupted copies (default build/corrupt)\n"
            "  --corruptions    only the corrupted recordings: each must fail the assertion\n"
            "                   it names (exit 1 if one does not)\n"
            "  --list           list the selected cases and exit\n\n"
            "Exit status: 0 every case passed, 1 a case failed (or, with --mutants/--trace,\n"
            "a mutant survived or the matrix has a gap), 2 bad input (a case that cannot\n"
            "be read or built is an error, reported and counted as a failure).\n");
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run the selected cases with `mutants`; fills seconds[]; returns failures
 * (FAIL or ERROR). */
static unsigned run_selected(struct suite *s, uint64_t mutants, double *seconds)
{
    unsigned bad = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (!s->v[i].selected)
            continue;
        double t = now_seconds();
        bad += suite_run_case(&s->v[i], mutants) != SUITE_PASS;
        if (seconds)
            seconds[i] = now_seconds() - t;
    }
    return bad;
}

struct opts {
    const char *dir, *root, *work, *output;
    const char **globs;
    size_t nglobs;
    unsigned shard_k, shard_n;
    enum suite_format fmt;
    uint64_t mutants;
    char mutant_names[512];
    bool all_mutants, trace, list, corruptions;
};

static int parse(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (strcmp(a, "--dir") == 0 && v) {
            o->dir = v;
        } else if (strcmp(a, "--root") == 0 && v) {
            o->root = v;
        } else if (strcmp(a, "--work") == 0 && v) {
            o->work = v;
        } else if (strcmp(a, "--output") == 0 && v) {
            o->output = v;
        } else if (strcmp(a, "--filter") == 0 && v) {
            o->globs[o->nglobs++] = v;
        } else if (strcmp(a, "--shard") == 0 && v) {
            if (suite_shard_parse(v, &o->shard_k, &o->shard_n) != 0)
                return cli_bad("--shard expects K/N with 1 <= K <= N, got '%s'", v);
        } else if (strcmp(a, "--report") == 0 && v) {
            if (suite_format_parse(v, &o->fmt) != 0)
                return cli_bad("--report expects text, tap or junit, got '%s'", v);
        } else if (strcmp(a, "--mutant") == 0 && v) {
            if (strcmp(v, "list") == 0) {
                for (int m = 0; m < MUT_COUNT; m++)
                    printf("%-26s %s\n", mutant_table[m].name, mutant_table[m].description);
                return -1;
            }
            int m = mutant_lookup(v);
            if (m < 0)
                return cli_bad("unknown mutant '%s' (--mutant list shows them)", v);
            o->mutants |= mutant_bit((enum mutant)m);
            size_t len = strlen(o->mutant_names);
            snprintf(o->mutant_names + len, sizeof(o->mutant_names) - len, "%s%s",
                     len ? "+" : "", v);
        } else {
            takes = false;
            if (strcmp(a, "--mutants") == 0)
                o->all_mutants = true;
            else if (strcmp(a, "--trace") == 0)
                o->trace = o->all_mutants = true;
            else if (strcmp(a, "--list") == 0)
                o->list = true;
            else if (strcmp(a, "--corruptions") == 0)
                o->corruptions = true;
            else if (strcmp(a, "--dir") == 0 || strcmp(a, "--root") == 0 || strcmp(a, "--work") == 0 ||
                     strcmp(a, "--output") == 0 || strcmp(a, "--filter") == 0 ||
                     strcmp(a, "--shard") == 0 || strcmp(a, "--report") == 0 ||
                     strcmp(a, "--mutant") == 0)
                return cli_bad("%s needs a value (fosim conformance --help)", a);
            else
                return cli_bad("unknown argument '%s' for conformance (fosim conformance --help)",
                               a);
        }
        i += takes;
    }
    if (o->mutants && o->all_mutants)
        return cli_bad("--mutant runs one broken model, --mutants and --trace run them all: "
                       "give one of them");
    return 0;
}

/* ---- --mutants ------------------------------------------------------------------------ */

/*
 * Run every mutant against the selected cases.  kills[m] counts the cases
 * that failed under mutant m; the names of the killing cases are printed.
 * Also records, per assertion, which mutant first made a case FAIL it
 * (for the matrix).  Returns the number of surviving mutants.
 */
static unsigned run_mutants(struct suite *s, struct trace_matrix *tm, FILE *out)
{
    unsigned survived = 0, killed = 0;
    uint8_t *ref = sim_xmalloc(s->n * SPEC_NIDS);
    for (size_t i = 0; i < s->n; i++)
        memcpy(ref + i * SPEC_NIDS, s->v[i].verdict, SPEC_NIDS);
    fprintf(out, "\nmutants (sim/include/sim/mutant.h): each must make a case fail\n");
    for (int m = 0; m < MUT_COUNT; m++) {
        unsigned nk = 0;
        char names[4096] = "";
        size_t len = 0;
        for (size_t i = 0; i < s->n; i++) {
            struct suite_case *c = &s->v[i];
            if (!c->selected || c->status != SUITE_PASS)
                continue;
            /* the case's reference verdicts were saved above; run it broken */
            struct suite_case tmp = *c;
            tmp.description = NULL;
            tmp.evidence = NULL;
            tmp.nevidence = 0;
            tmp.detail = NULL;
            enum suite_status st = suite_run_case(&tmp, mutant_bit((enum mutant)m));
            if (st == SUITE_FAIL) {
                nk++;
                if (len < sizeof(names) - 80)
                    len += (size_t)snprintf(names + len, sizeof(names) - len, " %s", c->name);
                for (unsigned a = 0; a < SPEC_NIDS; a++)
                    if (tmp.verdict[a] == CHECK_FAIL && ref[i * SPEC_NIDS + a] != CHECK_FAIL)
                        trace_note_kill(tm, (enum spec_id)a, mutant_table[m].name, c->name);
            }
            free(tmp.description);
            for (size_t e = 0; e < tmp.nevidence; e++)
                free(tmp.evidence[e]);
            free(tmp.evidence);
            free(tmp.detail);
        }
        if (nk) {
            killed++;
            fprintf(out, "killed   %-26s by %u case(s):%s%s\n", mutant_table[m].name, nk, names,
                    len >= sizeof(names) - 80 ? " ..." : "");
        } else {
            survived++;
            fprintf(out, "SURVIVED %-26s %s\n", mutant_table[m].name,
                    mutant_table[m].description);
        }
    }
    fprintf(out, "\nmutation score: %u/%u killed\n", killed, (unsigned)MUT_COUNT);
    free(ref);
    return survived;
}

int cmd_conformance(int argc, char **argv)
{
    const char **globs = calloc((size_t)argc + 1, sizeof(*globs));
    if (!globs)
        return cli_bad("out of memory");
    struct opts o = { .dir = "conformance/scenarios", .root = ".", .work = "build/corrupt", .globs = globs, .shard_k = 1,
                      .shard_n = 1, .fmt = SUITE_REPORT_TEXT };
    int rc = parse(argc, argv, &o);
    if (rc != 0) {
        free(globs);
        return rc < 0 ? EXIT_OK : rc;
    }
    struct sim_err err = { "" };
    struct suite *s = NULL;
    struct trace_matrix *tm = NULL;
    double *seconds = NULL;
    FILE *out = stdout;
    rc = EXIT_BADINPUT;
    if (o.corruptions) { /* the corrupted recordings alone */
        tm = trace_new();
        if (trace_run_corruptions(tm, o.root, o.work, stdout, &err) != 0) {
            cli_bad("%s", err.msg);
            goto out_free;
        }
        rc = trace_corruption_misses(tm) ? EXIT_FAIL : EXIT_OK;
        goto out_free;
    }
    if (suite_load(o.dir, &s, &err) != 0) {
        cli_bad("%s", err.msg);
        goto out_free;
    }
    size_t nsel = suite_select(s, o.globs, o.nglobs, o.shard_k, o.shard_n);
    if (nsel == 0 && o.nglobs) {
        cli_bad("no case of %s matches the filter", o.dir);
        goto out_free;
    }
    if (o.list) {
        for (size_t i = 0; i < s->n; i++)
            if (s->v[i].selected)
                printf("%s\n", s->v[i].name);
        rc = EXIT_OK;
        goto out_free;
    }
    if (o.output && !(out = fopen(o.output, "w"))) {
        cli_bad("--output: %s: %s", o.output, strerror(errno));
        goto out_free;
    }
    seconds = sim_xcalloc(s->n, sizeof(*seconds));
    unsigned bad = run_selected(s, o.mutants, seconds);
    struct suite_report_info info = { .mutant = o.mutants ? o.mutant_names : NULL,
                                      .shard_k = o.shard_k, .shard_n = o.shard_n,
                                      .seconds = seconds };
    if (suite_report(s, o.fmt, &info, out) != 0) {
        cli_bad("%s: write failed", o.output ? o.output : "standard output");
        goto out_close;
    }
    rc = bad ? EXIT_FAIL : EXIT_OK;
    if (o.all_mutants) {
        /* the mutation score and the matrix go to stdout (or after a text report) */
        FILE *mo = o.fmt == SUITE_REPORT_TEXT ? out : stdout;
        tm = trace_new();
        if (bad) {
            fprintf(mo, "\nthe reference model fails %u case(s): mutants are not run\n", bad);
        } else if (run_mutants(s, tm, mo) != 0) {
            rc = EXIT_FAIL;
        }
        if (o.trace && !bad) {
            for (size_t i = 0; i < s->n; i++)
                if (s->v[i].selected)
                    trace_note_case(tm, &s->v[i]);
            if (trace_run_corruptions(tm, o.root, o.work, mo, &err) != 0 ||
                trace_scan_tree(tm, o.root, &err) != 0) {
                cli_bad("%s", err.msg);
                rc = EXIT_BADINPUT;
                goto out_close;
            }
            if (trace_report(tm, mo) != 0)
                rc = EXIT_FAIL;
        }
    }
    if (fflush(out) != 0 || ferror(out)) {
        cli_bad("%s: write failed", o.output ? o.output : "standard output");
        rc = EXIT_BADINPUT;
    }
out_close:
    if (out != stdout && fclose(out) != 0 && rc != EXIT_BADINPUT)
        rc = cli_bad("--output: %s: write failed", o.output);
    if (rc == EXIT_BADINPUT && o.output)
        remove(o.output); /* no partial report */
out_free:
    trace_free(tm);
    free(seconds);
    suite_free(s);
    free(globs);
    return rc;
}
