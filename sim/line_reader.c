/*
 * A bounded line reader for text artifacts (see sim/line_reader.h).
 *
 * getc-level reading through stdio's buffer: simple, handles NUL bytes and
 * lines of any length up to the bound, and keeps only the current line.
 */
#include "sim/line_reader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int line_reader_open(struct line_reader *r, const char *path, const char *name, size_t max,
                     struct sim_err *err)
{
    memset(r, 0, sizeof(*r));
    r->name = name;
    r->max = max;
    r->f = fopen(path, "rb");
    if (!r->f)
        return sim_errf(err, "%s: cannot open: %s", name, strerror(errno));
    r->cap = 4096;
    r->buf = malloc(r->cap);
    if (!r->buf) {
        fclose(r->f);
        r->f = NULL;
        return sim_errf(err, "%s: out of memory", name);
    }
    r->buf[0] = '\0';
    return 0;
}

int line_reader_rewind(struct line_reader *r, struct sim_err *err)
{
    if (fseek(r->f, 0, SEEK_SET) != 0)
        return sim_errf(err, "%s: cannot rewind: %s", r->name, strerror(errno));
    r->line = 0;
    r->offset = r->next_off = 0;
    r->len = 0;
    r->partial = false;
    r->buf[0] = '\0';
    return 0;
}

int line_reader_next(struct line_reader *r, struct sim_err *err)
{
    size_t n = 0;
    int c;
    r->offset = r->next_off;
    r->partial = false;
    while ((c = getc_unlocked(r->f)) != EOF && c != '\n') {
        if (n == r->max)
            return sim_errf(err, "%s:%llu:1: line longer than %zu bytes (byte offset %llu)",
                                r->name, (unsigned long long)r->line + 1, r->max,
                                (unsigned long long)r->offset);
        if (n + 1 >= r->cap) {
            size_t ncap = r->cap * 2;
            char *nb = realloc(r->buf, ncap);
            if (!nb)
                return sim_errf(err, "%s: out of memory", r->name);
            r->buf = nb;
            r->cap = ncap;
        }
        r->buf[n++] = (char)c;
    }
    if (ferror(r->f))
        return sim_errf(err, "%s: read error: %s", r->name, strerror(errno));
    if (c == EOF && n == 0)
        return 0;
    r->buf[n] = '\0';
    r->len = n;
    r->line++;
    r->next_off = r->offset + n + (c == '\n');
    r->partial = c == EOF;
    return 1;
}

void line_reader_close(struct line_reader *r)
{
    if (r->f)
        fclose(r->f);
    free(r->buf);
    memset(r, 0, sizeof(*r));
}
