/*
 * The mutant table (names and descriptions) built from MUTANTS().
 */
#include "sim/mutant.h"

#include <string.h>

const struct mutant_info mutant_table[MUT_COUNT] = {
#define X(id, name, desc) [MUT_##id] = { name, desc },
    MUTANTS(X)
#undef X
};

int mutant_lookup(const char *name)
{
    for (int i = 0; i < MUT_COUNT; i++)
        if (strcmp(mutant_table[i].name, name) == 0)
            return i;
    return -1;
}
