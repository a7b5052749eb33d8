/*
 * fosim assertions: list the catalog (spec/assertions.def), filtered by
 * area, level or needed source; --retired lists retired IDs; --matrix
 * prints the traceability matrix the catalog records (ID, level, rule-book
 * rules, tests giving evidence).
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "spec.h"

void cmd_assertions_usage(FILE *out)
{
    fprintf(out,
            "usage: fosim assertions [--area AREA] [--level LEVEL] [--needs SOURCE]\n"
            "                        [--retired] [--matrix] [--tsv]\n\n"
            "List the catalog of assertions fosim checks: ID, level, area and statement.\n\n"
            "  --area AREA      only this area: CFG HIDE NEG PAIR DP SLOT MIGS MIGD FAIL EVT\n"
            "                   (or its name, e.g. \"migration source\"); may be repeated\n"
            "  --level LEVEL    only this level: MUST SHOULD MAY OBSERVED; may be repeated\n"
            "  --needs SOURCE   only assertions that read this kind of source: config qmp\n"
            "                   qmp-commands console stderr host-pcap guest-pcap\n"
            "  --retired        list the retired IDs instead (never reused)\n"
            "  --matrix         traceability: ID, level, rule-book rules, tests\n"
            "  --tsv            tab-separated, one assertion per line, no header\n\n"
            "'fosim explain ID' prints one assertion in full.  doc/catalog.md explains the\n"
            "IDs, levels and areas.\n");
}

static bool reads(const struct spec_entry *a, enum spec_source s)
{
    unsigned bits = a->needs | a->alt;
    return bits & ((1u << s) | (1u << (8 + s)) | (1u << (16 + s)));
}

int cmd_assertions(int argc, char **argv)
{
    bool area_on[SPEC_NAREAS] = { false }, level_on[SPEC_NLEVELS] = { false };
    bool any_area = false, any_level = false, retired = false, matrix = false, tsv = false;
    int need = -1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--area") == 0) {
            enum spec_area ar;
            if (++i >= argc || spec_area_parse(argv[i], &ar) != 0)
                return cli_bad("--area expects one of CFG HIDE NEG PAIR DP SLOT MIGS MIGD FAIL "
                               "EVT, got '%s'",
                               i < argc ? argv[i] : "");
            area_on[ar] = any_area = true;
        } else if (strcmp(a, "--level") == 0) {
            enum spec_level l;
            if (++i >= argc || spec_level_parse(argv[i], &l) != 0)
                return cli_bad("--level expects MUST, SHOULD, MAY or OBSERVED, got '%s'",
                               i < argc ? argv[i] : "");
            level_on[l] = any_level = true;
        } else if (strcmp(a, "--needs") == 0) {
            enum spec_source s;
            if (++i >= argc || spec_source_parse(argv[i], &s) != 0)
                return cli_bad("--needs expects config, qmp, qmp-commands, console, stderr, "
                               "host-pcap or guest-pcap, got '%s'",
                               i < argc ? argv[i] : "");
            need = (int)s;
        } else if (strcmp(a, "--retired") == 0) {
            retired = true;
        } else if (strcmp(a, "--matrix") == 0) {
            matrix = true;
        } else if (strcmp(a, "--tsv") == 0) {
            tsv = true;
        } else {
            return cli_bad("unknown argument '%s' for assertions (fosim assertions --help)", a);
        }
    }
    if (retired) {
        if (spec_nretired == 0)
            printf("no retired IDs\n");
        for (size_t i = 0; i < spec_nretired; i++) {
            const struct spec_retired *r = &spec_retired_table[i];
            if (tsv)
                printf("%s\t%s\t%s\t%s\n", r->id, r->replaced_by, r->statement, r->why);
            else
                printf("%-9s retired%s%s: %s\n          why: %s\n", r->id,
                       r->replaced_by[0] ? ", replaced by " : "", r->replaced_by, r->statement,
                       r->why);
        }
        return EXIT_OK;
    }
    unsigned shown = 0;
    if (!tsv)
        printf(matrix ? "%-9s %-8s %-28s %s\n" : "%-9s %-8s %-22s %s\n", "ID", "LEVEL",
               matrix ? "RULES" : "AREA", matrix ? "TESTS" : "STATEMENT");
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        const struct spec_entry *e = &spec_table[i];
        if ((any_area && !area_on[e->area]) || (any_level && !level_on[e->level]) ||
            (need >= 0 && !reads(e, (enum spec_source)need)))
            continue;
        shown++;
        if (tsv && matrix)
            printf("%s\t%s\t%s\t%s\n", e->id, spec_level_name(e->level), e->rules, e->tests);
        else if (tsv)
            printf("%s\t%s\t%s\t%s\n", e->id, spec_level_name(e->level),
                   spec_area_prefix(e->area), e->statement);
        else if (matrix)
            printf("%-9s %-8s %-28s %s\n", e->id, spec_level_name(e->level), e->rules, e->tests);
        else
            printf("%-9s %-8s %-22s %s\n", e->id, spec_level_name(e->level),
                   spec_area_name(e->area), e->statement);
    }
    if (!tsv)
        printf("\n%u of %u assertion(s)%s\n", shown, (unsigned)SPEC_NIDS,
               spec_nretired ? " (--retired lists the retired IDs)" : "");
    return EXIT_OK;
}
