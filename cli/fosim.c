/*
 * fosim: a reference simulator and conformance suite for virtio-net failover.
 *
 * This file dispatches to the commands; see cli/cmd_*.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "report.h"

static const struct cli_command commands[] = {
    { "run", "simulate a scenario: timeline, expectations, verdicts", cmd_run, cmd_run_usage },
    { "check", "check a recorded run (a bundle or raw artifacts) against the catalog", cmd_check,
      cmd_check_usage },
    { "assertions", "list the catalog of assertions (filters, traceability matrix)",
      cmd_assertions, cmd_assertions_usage },
    { "explain", "print one assertion in full: source, evidence needed, verdict rules",
      cmd_explain, cmd_explain_usage },
    { "conformance", "run the scenario catalog: reports, mutants, traceability matrix",
      cmd_conformance, cmd_conformance_usage },
    { "diff", "compare two runs of a scenario (simulated and real): every difference", cmd_diff,
      cmd_diff_usage },
    { "merge-reports", "merge the TAP or JUnit reports of a campaign's shards into one",
      cmd_merge_reports, cmd_merge_reports_usage },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: fosim COMMAND [ARGS...]\n"
                 "       fosim --help | --version\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'fosim COMMAND --help' describes a command.  Exit status: 0 success, "
                 "1 a check failed,\n2 unusable input, 3 inconclusive.\n");
}

int cli_bad(const char *fmt, ...)
{
    /* messages quote what the input held: control characters and bytes
     * that are not UTF-8 are shown as \xNN, never sent to the terminal */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *msg = n >= 0 ? malloc((size_t)n + 1) : NULL;
    fputs("fosim: ", stderr);
    if (msg) {
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
        for (char *line = msg, *e; line; line = e ? e + 1 : NULL) {
            if ((e = strchr(line, '\n')) != NULL)
                *e = '\0';
            report_put_plain(stderr, line);
            if (e)
                fputs("\n       ", stderr);
        }
        free(msg);
    } else {
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    return EXIT_BADINPUT;
}

int cli_time(const char *opt, const char *text, sim_time *out)
{
    const char *end;
    if (!text || sim_time_parse(text, out, &end) != 0 || *end || *out < 0) {
        cli_bad("%s expects a time such as 30s or 1500ms, got '%s'", opt, text ? text : "");
        return -1;
    }
    return 0;
}

int cli_u64(const char *opt, const char *text, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!text || !*text || text[0] == '-') {
        cli_bad("%s expects a number, got '%s'", opt, text ? text : "");
        return -1;
    }
    *out = strtoull(text, &end, 0);
    if (*end || errno) {
        cli_bad("%s expects a number, got '%s'", opt, text);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_BADINPUT;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("fosim %s\n", FOSIM_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            for (int k = 2; k < argc; k++) {
                if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                    commands[i].usage(stdout);
                    return EXIT_OK;
                }
            }
            return commands[i].main(argc - 1, argv + 1);
        }
    }
    cli_bad("unknown command '%s'", argv[1]);
    fputc('\n', stderr);
    usage(stderr);
    return EXIT_BADINPUT;
}
