/*
 * fosim check: read a bundle (or raw artifacts given one by one), merge
 * them into one observation stream, feed it to the checker (spec/check.h)
 * and print its report.  Reading errors stop everything before a verdict:
 * exit 2 and no report.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_campaign.h"
#include "cli.h"
#include "check_bundle.h"
#include "check.h"
#include "report.h"
#include "sim/bundle.h"

void cmd_check_usage(FILE *out)
{
    fprintf(out,
            "usage: fosim check [BUNDLE_DIR] [--source-qmp FILE] [--target-qmp FILE]\n"
            "                   [--source-guest FILE] [--target-guest FILE]\n"
            "                   [--source-stderr FILE] [--target-stderr FILE]\n"
            "                   [--pcap HOST:DEVICE=FILE]... [--report text|tap|junit]\n"
            "                   [--output FILE] [--timeline] [--blackout SECONDS]\n"
            "       fosim check [--shard K/N] [--report text|tap|junit] [--output FILE]\n"
            "                   BUNDLE_DIR BUNDLE_DIR...\n\n"
            "Check the artifacts of a failover run against the assertion catalog.\n"
            "BUNDLE_DIR is a directory with a manifest.json (doc/bundle.md), as\n"
            "`fosim run --record` writes it; or give the files one by one:\n\n"
            "  --source-qmp FILE, --target-qmp FILE      QMP logs, one JSON object per line\n"
            "  --source-guest FILE, --target-guest FILE  the guest's serial console on each host\n"
            "  --source-stderr FILE, --target-stderr FILE  QEMU's stderr\n"
            "  --pcap HOST:DEVICE=FILE  a capture: HOST source|target, DEVICE a QEMU device\n"
            "                           id (filter-dump, Ethernet) or `guest` (SLL2)\n"
            "  --report FORMAT          text (default), tap (TAP 14) or junit (JUnit XML)\n"
            "  --output FILE            write the report there instead of standard output\n"
            "  --timeline               also print the merged observation stream\n"
            "  --blackout SECONDS       the longest traffic gap DP-004 accepts during a\n"
            "                           migration (default 2; one bundle only)\n"
            "  --shard K/N              with several bundles: check only shard K of N, a\n"
            "                           contiguous block of the list (doc/sharding.md);\n"
            "                           fosim merge-reports joins the shards' reports\n\n"
            "With several bundle directories (a campaign), each is checked on its own and\n"
            "the report has one entry per bundle: TAP, a test point per bundle with its\n"
            "report as a subtest; JUnit, a testsuite per bundle.\n\n"
            "Exit status: 0 every applicable assertion passed, 1 one failed, 2 unusable\n"
            "input, 3 none failed but some were inconclusive (a partial trace is never a\n"
            "pass).  A campaign exits 2 if a bundle was unusable, else 1 if one failed,\n"
            "else 3 if one was inconclusive.\n");
}

struct check_opts {
    const char *dir;
    bool timeline;
    sim_time blackout;  /* DP-004's bound; 0: the default */
    const char *report;
    const char *output;
};

static int add_opt_file(struct bundle *b, enum bundle_kind kind, enum obs_host host,
                        const char *point, const char *opt, const char *path)
{
    struct sim_err err = { "" };
    if (!path)
        return cli_bad("%s needs a file", opt);
    if (bundle_add(b, kind, host, point, path, &err) != 0)
        return cli_bad("%s: %s", opt, err.msg);
    return 0;
}

/* --pcap HOST:DEVICE=FILE */
static int add_pcap(struct bundle *b, const char *arg)
{
    if (!arg)
        return cli_bad("--pcap needs HOST:DEVICE=FILE");
    const char *colon = strchr(arg, ':'), *eq = colon ? strchr(colon, '=') : NULL;
    if (!colon || !eq || eq == colon + 1 || !eq[1])
        return cli_bad("--pcap expects HOST:DEVICE=FILE (HOST source or target, DEVICE a QEMU "
                       "device id or guest), got '%s'",
                       arg);
    char host[16], dev[128];
    size_t hl = (size_t)(colon - arg), dl = (size_t)(eq - colon - 1);
    if (hl >= sizeof(host) || dl >= sizeof(dev))
        return cli_bad("--pcap: '%s' is too long", arg);
    memcpy(host, arg, hl);
    host[hl] = '\0';
    memcpy(dev, colon + 1, dl);
    dev[dl] = '\0';
    enum obs_host h;
    if (obs_host_parse(host, &h) != 0)
        return cli_bad("--pcap: host must be source or target, got '%s' in '%s'", host, arg);
    return add_opt_file(b, BUNDLE_PCAP, h, dev, "--pcap", eq + 1);
}

struct printer {
    FILE *out;
    sim_time t0;
    bool t0_set;
    char line[8192];
};

static void print_obs(void *ctx, const struct obs *o)
{
    struct printer *p = ctx;
    if (o->kind == OBS_END)
        return;
    if (!p->t0_set) {
        p->t0 = o->t;
        p->t0_set = true;
    }
    obs_format(p->line, sizeof(p->line), o, p->t0);
    fprintf(p->out, "%s%s\n", p->line, o->t_approx ? "  (~)" : "");
}

struct tee {
    struct printer *pr; /* NULL without --timeline */
    struct check *chk;
};

static void tee_obs(void *ctx, const struct obs *o)
{
    struct tee *t = ctx;
    if (t->pr)
        print_obs(t->pr, o);
    check_obs(t->chk, o);
}

/* Read, merge, check and report; the bundle is prepared.  Returns the exit
 * status. */
static int check_bundle(struct bundle *b, const struct check_opts *opt, enum check_format fmt)
{
    struct sim_err err = { "" };
    struct check_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return cli_bad("out of memory");
    check_ctx_from_bundle(ctx, b, opt->dir ? opt->dir : "files");
    if (opt->blackout)
        ctx->blackout_bound = opt->blackout;
    struct check *chk = check_new(ctx);
    free(ctx);
    struct printer *pr = opt->timeline ? calloc(1, sizeof(*pr)) : NULL;
    if (!chk || (opt->timeline && !pr)) {
        check_free(chk);
        return cli_bad("out of memory");
    }
    int rc = EXIT_BADINPUT;
    FILE *out = stdout;
    if (opt->output && !(out = fopen(opt->output, "w"))) {
        cli_bad("--output: %s: %s", opt->output, strerror(errno));
        goto out_free;
    }
    if (pr)
        pr->out = out;
    struct tee t = { pr, chk };
    struct obs_sink sink = { tee_obs, &t };
    if (bundle_replay(b, &sink, &err) != 0) {
        cli_bad("%s", err.msg);
        goto out_close;
    }
    check_finish(chk);
    struct check_report_opts ro = { .verbose = false };
    if (check_report(chk, fmt, &ro, out) != 0 || fflush(out) != 0) {
        cli_bad("%s: write failed", opt->output ? opt->output : "standard output");
        goto out_close;
    }
    for (size_t i = 0; i < b->nnotes; i++) {
        fputs("fosim: note: ", stderr);
        report_put_plain(stderr, b->notes[i]);
        fputc('\n', stderr);
    }
    rc = check_exit_status(chk);
out_close:
    if (out != stdout && fclose(out) != 0 && rc != EXIT_BADINPUT)
        rc = cli_bad("--output: %s: write failed", opt->output);
    if (rc == EXIT_BADINPUT && opt->output)
        remove(opt->output); /* no partial report */
out_free:
    free(pr);
    check_free(chk);
    return rc;
}

int cmd_check(int argc, char **argv)
{
    struct check_opts opt = { .report = "text" };
    enum check_format fmt = CHECK_REPORT_TEXT;
    struct bundle *files = bundle_new();
    int rc = EXIT_BADINPUT;
    bool any_file = false;
    char **dirs = calloc((size_t)argc, sizeof(*dirs)); /* --shard / campaigns */
    size_t ndirs = 0;
    struct shard shard = SHARD_ALL;
    bool sharded = false;
    if (!dirs) {
        bundle_free(files);
        return cli_bad("out of memory");
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        int r = -1;
        if (strcmp(a, "--source-qmp") == 0 || strcmp(a, "--target-qmp") == 0)
            r = add_opt_file(files, BUNDLE_QMP, a[2] == 's' ? OBS_SOURCE : OBS_TARGET, NULL, a, v);
        else if (strcmp(a, "--source-guest") == 0 || strcmp(a, "--target-guest") == 0)
            r = add_opt_file(files, BUNDLE_CONSOLE, a[2] == 's' ? OBS_SOURCE : OBS_TARGET, NULL,
                             a, v);
        else if (strcmp(a, "--source-stderr") == 0 || strcmp(a, "--target-stderr") == 0)
            r = add_opt_file(files, BUNDLE_STDERR, a[2] == 's' ? OBS_SOURCE : OBS_TARGET, NULL,
                             a, v);
        else if (strcmp(a, "--pcap") == 0)
            r = add_pcap(files, v);
        else if (strcmp(a, "--report") == 0) {
            if (!v || (strcmp(v, "text") && strcmp(v, "tap") && strcmp(v, "junit")))
                return free(dirs), bundle_free(files), cli_bad("--report expects text, tap or junit");
            opt.report = v;
            check_format_parse(v, &fmt);
            r = 0;
        } else if (strcmp(a, "--output") == 0) {
            if (!v)
                return free(dirs), bundle_free(files), cli_bad("--output needs a file");
            opt.output = v;
            r = 0;
        } else if (strcmp(a, "--timeline") == 0) {
            opt.timeline = true;
            continue;
        } else if (strcmp(a, "--blackout") == 0) {
            char *end = NULL;
            double sec = v ? strtod(v, &end) : 0;
            if (!v || end == v || *end || !(sec > 0 && sec <= 3600)) {
                free(dirs);
                bundle_free(files);
                return cli_bad("--blackout expects seconds, more than 0 and at most 3600 "
                               "(got %s)", v ? v : "nothing");
            }
            opt.blackout = (sim_time)(sec * 1e9 + 0.5);
            r = 0;
        } else if (strcmp(a, "--shard") == 0) { /* campaigns: cli/check_campaign.c */
            struct sim_err e = { "" };
            if (!v || shard_parse(v, "--shard", &shard, &e) != 0) {
                free(dirs);
                bundle_free(files);
                return cli_bad("%s", v ? e.msg : "--shard needs K/N");
            }
            sharded = true;
            r = 0;
        } else if (a[0] == '-' && a[1]) {
            free(dirs);
            bundle_free(files);
            return cli_bad("unknown option '%s' for check (fosim check --help)", a);
        } else {
            if (!opt.dir)
                opt.dir = a;
            dirs[ndirs++] = (char *)a;
            continue;
        }
        if (r != 0)
            goto out_files;
        if (strncmp(a, "--source-", 9) == 0 || strncmp(a, "--target-", 9) == 0 ||
            strcmp(a, "--pcap") == 0)
            any_file = true;
        i++;
    }
    if (ndirs > 1 || sharded) { /* a campaign */
        if (any_file || opt.timeline || opt.blackout) {
            cli_bad("a campaign (several bundles or --shard) takes bundle directories only, "
                    "without --timeline, --blackout or files one by one");
            goto out_files;
        }
        if (ndirs == 0) {
            cli_bad("--shard needs the bundle directories of the campaign");
            goto out_files;
        }
        rc = check_campaign(dirs, ndirs, shard, sharded, fmt, opt.output);
        goto out_files;
    }
    if (opt.dir && any_file) {
        cli_bad("give either a bundle directory or files one by one, not both");
        goto out_files;
    }
    if (!opt.dir && !any_file) {
        cli_bad("check needs a bundle directory or files (fosim check --help)");
        goto out_files;
    }
    struct sim_err err = { "" };
    struct bundle *b = files;
    if (opt.dir) {
        if (bundle_open(opt.dir, &b, &err) != 0) {
            cli_bad("%s", err.msg);
            goto out_files;
        }
        bundle_free(files);
        files = NULL;
    }
    if (bundle_prepare(b, &err) != 0) {
        cli_bad("%s", err.msg);
        goto out_bundle;
    }
    rc = check_bundle(b, &opt, fmt);
out_bundle:
    if (b != files)
        bundle_free(b);
out_files:
    free(dirs);
    bundle_free(files);
    return rc;
}
