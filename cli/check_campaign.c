/*
 * fosim check over a list of bundles: a campaign, optionally one shard of
 * it (sim/include/sim/shard.h), with one report for the whole list.
 *
 * Each bundle is one item: read, merged and checked on its own, exactly as
 * `fosim check DIR` does.  The report has one entry per bundle of the
 * shard's block, in the order given:
 *   text   one line per bundle (its verdict counts), then its failures;
 *   tap    TAP 14, one test point per bundle, the bundle's own TAP report
 *          as its subtest; a bundle that failed is `not ok`, one that was
 *          inconclusive `ok ... # TODO`, an unusable one `not ok` with the
 *          reading error in its YAML block;
 *   junit  one <testsuite> per bundle (named by its path), one <testcase>
 *          per catalog assertion (classname: the area); an unusable bundle
 *          is a suite with one <error>.
 * A sharded report carries the shard marker, so that `fosim merge-reports`
 * puts the shards back together into the report of the unsharded run.
 * Exit status: 2 if a bundle was unusable, else 1 if an assertion failed,
 * else 3 if something was inconclusive, else 0.
 */
#include "check_campaign.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check_bundle.h"
#include "report.h"
#include "cli.h"
#include "sim/bundle.h"
#include "tap_summary.h"

struct item {
    const char *dir;
    int status;              /* exit status of checking it */
    struct sim_err err;      /* status 2: why */
    struct check *chk;       /* owned; NULL when unusable */
};

/* Read, merge and check one bundle. */
static void check_one(struct item *it)
{
    it->chk = check_bundle_dir(it->dir, &it->err);
    it->status = it->chk ? check_exit_status(it->chk) : EXIT_BADINPUT;
}

/* ---- text ------------------------------------------------------------------------------ */

static void campaign_text(const struct item *v, size_t n, size_t total, const char *marker,
                          FILE *out)
{
    fprintf(out, "fosim check: %zu bundle(s)%s%s\n", total, marker[0] ? "; " : "", marker);
    for (size_t i = 0; i < n; i++) {
        if (!v[i].chk) {
            fputs("UNUSABLE ", out);
            report_put_plain(out, v[i].dir);
            fputs(": ", out);
            report_put_plain(out, v[i].err.msg);
            fputc('\n', out);
            continue;
        }
        unsigned t[CHECK_NVERDICTS];
        check_totals(v[i].chk, t);
        fprintf(out, "%-12s ",
                v[i].status == EXIT_OK     ? "PASS"
                : v[i].status == EXIT_FAIL ? "FAIL"
                                           : "INCONCLUSIVE");
        report_put_plain(out, v[i].dir);
        fprintf(out, ": %u pass, %u fail, %u inconclusive, %u n/a\n", t[CHECK_PASS],
                t[CHECK_FAIL], t[CHECK_INCONCLUSIVE], t[CHECK_NA]);
        for (size_t k = 0; k < check_count(v[i].chk); k++) {
            const struct check_result *r = check_result(v[i].chk, k);
            if (r->verdict == CHECK_FAIL)
                check_print_result(v[i].chk, r, out);
        }
    }
}

/* ---- TAP ------------------------------------------------------------------------------- */

/* The bundle's own TAP report, indented as a subtest (its version line
 * dropped: a subtest is a stream without one). */
static int put_subtest(const struct item *it, FILE *out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return -1;
    struct check_report_opts ro = { .verbose = false };
    int rc = check_report(it->chk, CHECK_REPORT_TAP, &ro, m);
    if (fclose(m) != 0 || rc != 0) {
        free(buf);
        return -1;
    }
    fputs("# Subtest: ", out);
    report_put_plain(out, it->dir);
    fputc('\n', out);
    const char *p = buf;
    if (strncmp(p, "TAP version", 11) == 0)
        p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(out, "    %.*s\n", (int)l, p);
        p += l + (nl != NULL);
    }
    free(buf);
    return 0;
}

static int campaign_tap(const struct item *v, size_t n, size_t total, const char *marker,
                        FILE *out)
{
    struct tap_summary sum = { 0 };
    fputs("TAP version 14\n", out);
    fprintf(out, "1..%zu\n", n);
    fprintf(out, "# fosim check: %zu bundle(s)\n", total);
    if (marker[0])
        fprintf(out, "# %s\n", marker);
    for (size_t i = 0; i < n; i++) {
        const struct item *it = &v[i];
        if (it->chk && put_subtest(it, out) != 0)
            return -1;
        bool ok = it->status == EXIT_OK || it->status == EXIT_INCONCLUSIVE;
        fprintf(out, "%s %zu - ", ok ? "ok" : "not ok", i + 1);
        report_put_tap_desc(out, it->dir);
        if (it->status == EXIT_INCONCLUSIVE)
            fputs(" # TODO inconclusive", out);
        fputc('\n', out);
        tap_summary_add(&sum, ok, it->status == EXIT_INCONCLUSIVE, false);
        if (!it->chk) {
            fputs("  ---\n  message: ", out);
            report_put_yaml(out, it->err.msg);
            fputs("\n  ...\n", out);
        }
    }
    tap_summary_print(&sum, out);
    return 0;
}

/* ---- JUnit ----------------------------------------------------------------------------- */

static int junit_suite(const struct item *it, FILE *out)
{
    fputs("  <testsuite", out);
    report_put_xml_attr(out, "name", it->dir);
    if (!it->chk) {
        fputs(" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\" time=\"0\">\n", out);
        fputs("    <testcase name=\"read\"", out);
        report_put_xml_attr(out, "classname", it->dir);
        fputs(" time=\"0\">\n      <error", out);
        report_put_xml_attr(out, "message", it->err.msg);
        fputs(" type=\"unusable\"/>\n    </testcase>\n  </testsuite>\n", out);
        return 0;
    }
    unsigned t[CHECK_NVERDICTS];
    check_totals(it->chk, t);
    fprintf(out, " tests=\"%zu\" failures=\"%u\" errors=\"0\" skipped=\"%u\" time=\"0\">\n",
            check_count(it->chk), t[CHECK_FAIL], t[CHECK_INCONCLUSIVE] + t[CHECK_NA]);
    for (size_t k = 0; k < check_count(it->chk); k++) {
        const struct check_result *r = check_result(it->chk, k);
        fputs("    <testcase", out);
        report_put_xml_attr(out, "name", r->a->id);
        report_put_xml_attr(out, "classname", spec_area_prefix(r->a->area));
        report_put_xml_attr(out, "status", check_verdict_name(r->verdict));
        fputs(" time=\"0\"", out);
        char msg[600];
        if (r->verdict == CHECK_PASS) {
            fputs("/>\n", out);
            continue;
        }
        fputs(">\n", out);
        if (r->verdict == CHECK_FAIL) {
            char *buf = NULL;
            size_t len = 0;
            FILE *m = open_memstream(&buf, &len);
            if (!m)
                return -1;
            check_print_result(it->chk, r, m);
            if (fclose(m) != 0) {
                free(buf);
                return -1;
            }
            fputs("      <failure", out);
            report_put_xml_attr(out, "message", r->why);
            report_put_xml_attr(out, "type", spec_level_name(r->a->level));
            fputc('>', out);
            report_put_xml(out, buf);
            fputs("</failure>\n", out);
            free(buf);
        } else {
            snprintf(msg, sizeof(msg), "%s: %s", check_verdict_name(r->verdict), r->why);
            fputs("      <skipped", out);
            report_put_xml_attr(out, "message", msg);
            fputs("/>\n", out);
        }
        fputs("    </testcase>\n", out);
    }
    fputs("  </testsuite>\n", out);
    return 0;
}

static int campaign_junit(const struct item *v, size_t n, const char *marker, FILE *out)
{
    unsigned tests = 0, failures = 0, errors = 0, skipped = 0;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].chk) {
            tests++;
            errors++;
            continue;
        }
        unsigned t[CHECK_NVERDICTS];
        check_totals(v[i].chk, t);
        tests += (unsigned)check_count(v[i].chk);
        failures += t[CHECK_FAIL];
        skipped += t[CHECK_INCONCLUSIVE] + t[CHECK_NA];
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", out);
    fprintf(out,
            "<testsuites name=\"fosim check\" tests=\"%u\" failures=\"%u\" errors=\"%u\" "
            "skipped=\"%u\" time=\"0\">\n",
            tests, failures, errors, skipped);
    if (marker[0])
        fprintf(out, "<!-- %s -->\n", marker);
    for (size_t i = 0; i < n; i++)
        if (junit_suite(&v[i], out) != 0)
            return -1;
    fputs("</testsuites>\n", out);
    return 0;
}

/* ---- the campaign ---------------------------------------------------------------------- */

int check_campaign(char **dirs, size_t ndirs, struct shard shard, bool sharded,
                   enum check_format fmt, const char *output)
{
    size_t first, last;
    shard_block(shard, ndirs, &first, &last);
    size_t n = last - first;
    struct item *v = calloc(n ? n : 1, sizeof(*v));
    if (!v)
        return cli_bad("out of memory");
    int rc = EXIT_OK;
    bool bad = false, failed = false, unsure = false;
    for (size_t i = 0; i < n; i++) {
        v[i].dir = dirs[first + i];
        check_one(&v[i]);
        bad |= v[i].status == EXIT_BADINPUT;
        failed |= v[i].status == EXIT_FAIL;
        unsure |= v[i].status == EXIT_INCONCLUSIVE;
        if (v[i].status == EXIT_BADINPUT)
            cli_bad("%s", v[i].err.msg);
    }
    char marker[128] = "";
    if (sharded)
        shard_marker(marker, sizeof(marker), shard, ndirs);
    FILE *out = stdout;
    if (output && !(out = fopen(output, "w"))) {
        rc = cli_bad("--output: %s: %s", output, strerror(errno));
        goto out_free;
    }
    int wr = 0;
    if (fmt == CHECK_REPORT_TAP)
        wr = campaign_tap(v, n, ndirs, marker, out);
    else if (fmt == CHECK_REPORT_JUNIT)
        wr = campaign_junit(v, n, marker, out);
    else
        campaign_text(v, n, ndirs, marker, out);
    bool werr = wr != 0 || fflush(out) != 0 || ferror(out);
    if (out != stdout && fclose(out) != 0)
        werr = true;
    if (werr) {
        rc = cli_bad("%s: write failed", output ? output : "standard output");
        if (output)
            remove(output); /* a report that could not be written whole is no report */
    } else {
        rc = bad ? EXIT_BADINPUT : failed ? EXIT_FAIL : unsure ? EXIT_INCONCLUSIVE : EXIT_OK;
    }
out_free:
    for (size_t i = 0; i < n; i++)
        check_free(v[i].chk);
    free(v);
    return rc;
}
