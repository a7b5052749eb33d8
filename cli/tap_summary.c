/*
 * The summary comment of fosim's TAP reports over a list of items (see
 * cli/tap_summary.h).
 */
#include "tap_summary.h"

void tap_summary_add(struct tap_summary *s, bool ok, bool todo, bool skip)
{
    s->tests++;
    s->ok += ok;
    s->not_ok += !ok;
    s->todo += todo;
    s->skip += skip;
}

void tap_summary_print(const struct tap_summary *s, FILE *out)
{
    fprintf(out, TAP_SUMMARY_PREFIX "%lu tests, %lu ok, %lu not ok, %lu todo, %lu skip\n",
            s->tests, s->ok, s->not_ok, s->todo, s->skip);
}
