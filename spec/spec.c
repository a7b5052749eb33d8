/*
 * The catalog tables built from spec/assertions.def and spec/retired.def,
 * and the names of levels, areas and sources.
 */
#include "spec.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sim/err.h"

const struct spec_entry spec_table[SPEC_NIDS] = {
#define X(sym, id, area, level, source, rules, statement, needs, alt, verdicts, tests)   \
    [SPEC_##sym] = { SPEC_##sym, id,    SPEC_AREA_##area, SPEC_LEVEL_##level,           \
                     source,     rules, statement,        needs,                        \
                     alt,        verdicts, tests },
#include "assertions.def"
#undef X
};

const struct spec_retired spec_retired_table[] = {
#define R(id, by, statement, why) { id, by, statement, why },
#include "retired.def"
#undef R
    { NULL, NULL, NULL, NULL }, /* sentinel, not counted */
};

const size_t spec_nretired = SIM_ARRAY_SIZE(spec_retired_table) - 1;

const struct spec_entry *spec_get(enum spec_id id)
{
    return (unsigned)id < SPEC_NIDS ? &spec_table[id] : NULL;
}

/* Compare an ID written "MIGS-004", "migs-004" or "MIGS_004". */
static bool id_equal(const char *want, const char *got)
{
    for (; *want && *got; want++, got++) {
        char g = (char)(*got == '_' ? '-' : toupper((unsigned char)*got));
        if (g != *want)
            return false;
    }
    return *want == '\0' && *got == '\0';
}

const struct spec_entry *spec_lookup(const char *id, const struct spec_retired **retired)
{
    if (retired)
        *retired = NULL;
    if (!id)
        return NULL;
    for (size_t i = 0; i < SPEC_NIDS; i++)
        if (id_equal(spec_table[i].id, id))
            return &spec_table[i];
    for (size_t i = 0; i < spec_nretired; i++) {
        if (id_equal(spec_retired_table[i].id, id)) {
            if (retired)
                *retired = &spec_retired_table[i];
            return NULL;
        }
    }
    return NULL;
}

static const char *const level_names[] = {
#define X(id, name) name,
    SPEC_LEVELS(X)
#undef X
};

static const struct {
    const char *prefix, *name;
} areas[] = {
#define X(id, name) { #id, name },
    SPEC_AREAS(X)
#undef X
};

static const struct {
    const char *name, *desc;
} sources[] = {
#define X(id, name, desc) { name, desc },
    SPEC_SOURCES(X)
#undef X
};

const char *spec_level_name(enum spec_level l)
{
    return (unsigned)l < SPEC_NLEVELS ? level_names[l] : "?";
}

const char *spec_area_prefix(enum spec_area a)
{
    return (unsigned)a < SPEC_NAREAS ? areas[a].prefix : "?";
}

const char *spec_area_name(enum spec_area a)
{
    return (unsigned)a < SPEC_NAREAS ? areas[a].name : "?";
}

const char *spec_source_name(enum spec_source s)
{
    return (unsigned)s < SPEC_NSOURCES ? sources[s].name : "?";
}

const char *spec_source_desc(enum spec_source s)
{
    return (unsigned)s < SPEC_NSOURCES ? sources[s].desc : "?";
}

int spec_area_parse(const char *s, enum spec_area *out)
{
    for (unsigned a = 0; a < SPEC_NAREAS; a++) {
        if (strcasecmp(s, areas[a].prefix) == 0 || strcasecmp(s, areas[a].name) == 0) {
            *out = (enum spec_area)a;
            return 0;
        }
    }
    return -1;
}

int spec_level_parse(const char *s, enum spec_level *out)
{
    for (unsigned l = 0; l < SPEC_NLEVELS; l++) {
        if (strcasecmp(s, level_names[l]) == 0) {
            *out = (enum spec_level)l;
            return 0;
        }
    }
    return -1;
}

int spec_source_parse(const char *s, enum spec_source *out)
{
    for (unsigned k = 0; k < SPEC_NSOURCES; k++) {
        if (strcasecmp(s, sources[k].name) == 0) {
            *out = (enum spec_source)k;
            return 0;
        }
    }
    return -1;
}

size_t spec_needs_format(char *buf, size_t n, unsigned bits, const char *sep)
{
    static const char *const where[] = { "source", "target", "any host" };
    size_t len = 0;
    if (n)
        buf[0] = '\0';
    for (unsigned w = 0; w < 3; w++) {
        for (unsigned k = 0; k < SPEC_NSOURCES; k++) {
            if (!(bits & (1u << (8 * w + k))))
                continue;
            int r = snprintf(buf + len, len < n ? n - len : 0, "%s%s@%s", len ? sep : "",
                             sources[k].name, where[w]);
            if (r > 0)
                len += (size_t)r;
        }
    }
    if (len >= n && n)
        buf[n - 1] = '\0';
    return len;
}
