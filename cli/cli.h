/*
 * The fosim command line: one program, several commands.
 *
 * Each command lives in its own cli/cmd_NAME.c and is listed in the table in
 * cli/fosim.c.  Exit statuses are shared: 0 success, 1 a check failed,
 * 2 unusable input (bad scenario, unreadable trace, bad option), 3 nothing
 * failed but something was inconclusive.
 */
#ifndef FOSIM_CLI_H
#define FOSIM_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/time.h"

enum {
    EXIT_OK = 0,
    EXIT_FAIL = 1,
    EXIT_BADINPUT = 2,
    EXIT_INCONCLUSIVE = 3,
};

struct cli_command {
    const char *name;
    const char *summary;
    int (*main)(int argc, char **argv); /* argv[0] is the command name */
    void (*usage)(FILE *out);
};

int cmd_run(int argc, char **argv);
void cmd_run_usage(FILE *out);
int cmd_check(int argc, char **argv);
void cmd_check_usage(FILE *out);
int cmd_assertions(int argc, char **argv);
void cmd_assertions_usage(FILE *out);
int cmd_explain(int argc, char **argv);
void cmd_explain_usage(FILE *out);
int cmd_conformance(int argc, char **argv);
void cmd_conformance_usage(FILE *out);
int cmd_diff(int argc, char **argv);
void cmd_diff_usage(FILE *out);
int cmd_merge_reports(int argc, char **argv);
void cmd_merge_reports_usage(FILE *out);

/* Print "fosim: message" on stderr and return EXIT_BADINPUT. */
int cli_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Option helpers: parse a time or an unsigned number for option `opt`. */
int cli_time(const char *opt, const char *text, sim_time *out);
int cli_u64(const char *opt, const char *text, unsigned long long *out);

#endif
