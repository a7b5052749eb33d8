/*
 * fosim explain ID: one catalog assertion in full -- statement, level, the
 * source it comes from and the rule-book rules, what evidence the monitor
 * needs, how it decides its verdict, and the tests giving evidence for it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "spec.h"

void cmd_explain_usage(FILE *out)
{
    fprintf(out, "usage: fosim explain ID\n\n"
                 "Print one assertion of the catalog in full: its statement and level, the\n"
                 "source it comes from, the rules it derives from, the evidence its monitor\n"
                 "needs, the verdict rules, and the tests that give evidence for it.\n"
                 "IDs look like MIGS-004 ('fosim assertions' lists them).\n");
}

/* Print text wrapped at 76 columns with a hanging indent. */
static void wrapped(const char *label, const char *text)
{
    const int width = 76, indent = 12;
    printf("%-*s", indent, label);
    int col = indent;
    const char *p = text;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *w = p;
        while (*p && *p != ' ')
            p++;
        int len = (int)(p - w);
        if (len == 0)
            break;
        if (col > indent && col + 1 + len > width) {
            printf("\n%*s", indent, "");
            col = indent;
        } else if (col > indent) {
            putchar(' ');
            col++;
        }
        printf("%.*s", len, w);
        col += len;
    }
    putchar('\n');
}

int cmd_explain(int argc, char **argv)
{
    if (argc != 2)
        return cli_bad("explain takes one assertion ID, e.g. fosim explain MIGS-004");
    const struct spec_retired *ret = NULL;
    const struct spec_entry *e = spec_lookup(argv[1], &ret);
    if (ret) {
        printf("%s (retired)\n\n", ret->id);
        wrapped("statement", ret->statement);
        wrapped("retired", ret->why);
        if (ret->replaced_by[0])
            wrapped("replaced by", ret->replaced_by);
        return EXIT_OK;
    }
    if (!e) {
        /* Suggest IDs of the same area prefix. */
        char prefix[8] = "";
        size_t k = 0;
        for (; argv[1][k] && isalpha((unsigned char)argv[1][k]) && k + 1 < sizeof(prefix); k++)
            prefix[k] = (char)toupper((unsigned char)argv[1][k]);
        prefix[k] = '\0';
        enum spec_area area;
        if (k && spec_area_parse(prefix, &area) == 0)
            return cli_bad("no assertion '%s'; 'fosim assertions --area %s' lists that area",
                           argv[1], prefix);
        return cli_bad("no assertion '%s'; 'fosim assertions' lists them", argv[1]);
    }
    char needs[256], alt[256];
    spec_needs_format(needs, sizeof(needs), e->needs, ", ");
    spec_needs_format(alt, sizeof(alt), e->alt, " or ");
    printf("%s  [%s]  area %s (%s)\n\n", e->id, spec_level_name(e->level),
           spec_area_prefix(e->area), spec_area_name(e->area));
    wrapped("statement", e->statement);
    wrapped("source", e->source);
    wrapped("rules", e->rules);
    if (e->needs)
        wrapped("needs", needs);
    if (e->alt)
        wrapped(e->needs ? "and one of" : "needs one of", alt);
    wrapped("verdicts", e->verdicts);
    wrapped("tests", e->tests);
    return EXIT_OK;
}
