/*
 * The scenario file parser.
 *
 * A scenario is read line by line.  A logical line is split into words that
 * keep their file, line and column: plain words, '...' and "..." strings,
 * and JSON objects or arrays ({...}, [...]) taken as one word.  A backslash
 * at the end of a line continues it; '#' at the start of a word starts a
 * comment.  Blocks (host, guest, traffic) run to a line "end".
 *
 * Only the statement structure, times and expectations are checked here.
 * Host arguments, guest knobs and traffic lines are kept with their
 * positions and checked by their models when the world is built.
 *
 * The grammar is documented in doc/scenario.md; keep the two in step.
 */
#include "sim/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct word {
    char *text; /* owned until moved into the scenario */
    struct scn_pos pos;
    bool quoted; /* was a '...' or "..." string */
    bool json;   /* was a {...} or [...] word */
};

struct line {
    struct word *w;
    size_t n, cap;
    struct scn_pos pos; /* of the first character */
};

struct parser {
    struct scenario *s;
    const char *file;   /* owned by s->files */
    const char *text;   /* file contents */
    size_t len;
    size_t off;
    unsigned lineno;
    int depth;
    size_t *total;      /* bytes read so far, this file and its includer(s) */
    struct sim_err *err;
};

int scn__errf(struct sim_err *e, const struct scn_pos *pos, const char *fmt, ...)
{
    if (!e)
        return -1;
    char msg[640];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (pos && pos->file)
        snprintf(e->msg, sizeof(e->msg), "%s:%u:%u: %s", pos->file, pos->line, pos->col, msg);
    else
        snprintf(e->msg, sizeof(e->msg), "%s", msg);
    return -1;
}

/* ---- Lines and words ------------------------------------------------------------ */

static void line_free(struct line *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->w[i].text);
    free(l->w);
    memset(l, 0, sizeof(*l));
}

/*
 * Allocation: a scenario is untrusted input, so running out of memory while
 * reading one is an error reported with its position (never an abort, see
 * sim/err.h).  Every helper below returns NULL or -1 when memory runs out,
 * freeing what it was handed, and the caller reports ps_oom().
 */
static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Grow *v (of *cap elements of `size` bytes) to hold at least `need`. */
static int grow(void *v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap : 4;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*(void **)v, ncap * size);
    if (!p)
        return -1;
    *(void **)v = p;
    *cap = ncap;
    return 0;
}

static int ps_oom(struct parser *ps, const struct scn_pos *pos)
{
    return scn_errf(ps->err, pos, "out of memory while reading the scenario");
}

/* Takes ownership of text (NULL = an allocation already failed). */
static int line_push(struct line *l, char *text, struct scn_pos pos, bool quoted, bool json)
{
    if (!text || grow(&l->w, &l->cap, l->n + 1, sizeof(*l->w)) != 0) {
        free(text);
        return -1;
    }
    l->w[l->n++] = (struct word){ .text = text, .pos = pos, .quoted = quoted, .json = json };
    return 0;
}

struct buf {
    char *p;
    size_t n, cap;
    bool oom; /* an allocation failed: the contents are incomplete */
};

static void buf_put(struct buf *b, char c)
{
    if (b->oom)
        return;
    if (b->n + 2 > b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 64;
        char *p = realloc(b->p, ncap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = ncap;
    }
    b->p[b->n++] = c;
    b->p[b->n] = '\0';
}

/* The text built so far (owned by the caller), or NULL if memory ran out. */
static char *buf_take(struct buf *b)
{
    char *p = b->oom ? NULL : b->p ? b->p : dup_str("");
    if (b->oom)
        free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    b->oom = false;
    return p;
}

/*
 * Read the next logical line into l.  Returns 1 when a line was read, 0 at
 * end of file, -1 on a lexical error.  Empty and comment-only lines are
 * skipped.
 */
static int next_line(struct parser *ps, struct line *l)
{
    line_free(l);
    for (;;) {
        if (ps->off >= ps->len)
            return 0;
        unsigned col = 1;
        ps->lineno++;
        struct buf b = { 0 };
        size_t start = ps->off;
        struct scn_pos lpos = { ps->file, ps->lineno, 1 };
        for (;;) {
            if (ps->off - start > SCN_MAX_LINE) {
                free(b.p);
                return scn_errf(ps->err, &lpos,
                                "line longer than %u bytes (the bound on a scenario line)",
                                SCN_MAX_LINE);
            }
            if (ps->off >= ps->len)
                break;
            char c = ps->text[ps->off];
            if (c == '\n') {
                ps->off++;
                break;
            }
            if (c == '\r' && ps->off + 1 < ps->len && ps->text[ps->off + 1] == '\n') {
                ps->off += 2;
                break;
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                ps->off++;
                col++;
                continue;
            }
            if (c == '\\' && (ps->off + 1 >= ps->len || ps->text[ps->off + 1] == '\n' ||
                              (ps->text[ps->off + 1] == '\r'))) {
                /* continuation: skip to the next physical line */
                ps->off++;
                if (ps->off < ps->len && ps->text[ps->off] == '\r')
                    ps->off++;
                if (ps->off < ps->len && ps->text[ps->off] == '\n')
                    ps->off++;
                ps->lineno++;
                col = 1;
                continue;
            }
            if (c == '#') {
                while (ps->off < ps->len && ps->text[ps->off] != '\n')
                    ps->off++;
                continue;
            }
            struct scn_pos pos = { ps->file, ps->lineno, col };
            if (l->n >= SCN_MAX_LINE_WORDS) {
                free(b.p);
                return scn_errf(ps->err, &pos,
                                "more than %u words on one line (the bound on a scenario line)",
                                SCN_MAX_LINE_WORDS);
            }
            if (c == '\'' || c == '"') {
                char q = c;
                ps->off++;
                col++;
                for (;;) {
                    if (ps->off >= ps->len || ps->text[ps->off] == '\n') {
                        free(b.p);
                        return scn_errf(ps->err, &pos, "unterminated %c-quoted string", q);
                    }
                    char d = ps->text[ps->off++];
                    col++;
                    if (d == q)
                        break;
                    if (q == '"' && d == '\\') {
                        if (ps->off >= ps->len || ps->text[ps->off] == '\n') {
                            free(b.p);
                            return scn_errf(ps->err, &pos, "unterminated \"-quoted string");
                        }
                        char e = ps->text[ps->off++];
                        col++;
                        switch (e) {
                        case 'n':
                            e = '\n';
                            break;
                        case 't':
                            e = '\t';
                            break;
                        case '"':
                        case '\\':
                            break;
                        default: {
                            struct scn_pos ep = { ps->file, ps->lineno, col - 1 };
                            free(b.p);
                            return scn_errf(ps->err, &ep,
                                            "unknown escape \\%c (expected \\\", \\\\, \\n "
                                            "or \\t)",
                                            e);
                        }
                        }
                        d = e;
                    }
                    if (d == '\0') {
                        free(b.p);
                        return scn_errf(ps->err, &pos, "NUL byte in string");
                    }
                    buf_put(&b, d);
                }
                if (line_push(l, buf_take(&b), pos, true, false) != 0)
                    return ps_oom(ps, &pos);
                continue;
            }
            if (c == '{' || c == '[') {
                /* a JSON value: balance brackets outside JSON strings */
                int depth = 0;
                bool in_str = false, esc = false;
                for (;;) {
                    if (ps->off >= ps->len || ps->text[ps->off] == '\n') {
                        free(b.p);
                        return scn_errf(ps->err, &pos,
                                        "unterminated JSON value (a JSON object must end "
                                        "on the line it starts)");
                    }
                    char d = ps->text[ps->off++];
                    col++;
                    buf_put(&b, d);
                    if (in_str) {
                        if (esc)
                            esc = false;
                        else if (d == '\\')
                            esc = true;
                        else if (d == '"')
                            in_str = false;
                        continue;
                    }
                    if (d == '"')
                        in_str = true;
                    else if (d == '{' || d == '[')
                        depth++;
                    else if (d == '}' || d == ']') {
                        if (--depth == 0)
                            break;
                    }
                }
                if (line_push(l, buf_take(&b), pos, false, true) != 0)
                    return ps_oom(ps, &pos);
                continue;
            }
            /* a plain word: up to white space; quotes inside are literal */
            while (ps->off < ps->len) {
                char d = ps->text[ps->off];
                if (d == ' ' || d == '\t' || d == '\n' || d == '\r')
                    break;
                if (d == '\0') {
                    struct scn_pos np = { ps->file, ps->lineno, col };
                    free(b.p);
                    return scn_errf(ps->err, &np, "NUL byte in scenario text");
                }
                buf_put(&b, d);
                ps->off++;
                col++;
            }
            if (line_push(l, buf_take(&b), pos, false, false) != 0)
                return ps_oom(ps, &pos);
        }
        free(b.p);
        if (l->n > 0) {
            l->pos = l->w[0].pos;
            return 1;
        }
    }
}

static struct scn_arg take_arg(struct word *w)
{
    struct scn_arg a = { .text = w->text, .pos = w->pos };
    w->text = NULL;
    return a;
}

/* Takes ownership of x.text (NULL = an allocation already failed). */
static int args_push(struct scn_args *a, struct scn_arg x)
{
    struct scn_arg *v = x.text ? realloc(a->v, (a->n + 1) * sizeof(*a->v)) : NULL;
    if (!v) {
        free(x.text);
        return -1;
    }
    a->v = v;
    a->v[a->n++] = x;
    return 0;
}

static void args_free(struct scn_args *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i].text);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

static void arg_free(struct scn_arg *a)
{
    free(a->text);
    a->text = NULL;
}

/* ---- Small helpers ------------------------------------------------------------------ */

static bool is(const struct word *w, const char *s)
{
    return !w->quoted && !w->json && strcmp(w->text, s) == 0;
}

static int expect_words(struct parser *ps, const struct line *l, size_t min, size_t max,
                        const char *usage)
{
    if (l->n < min) {
        const struct scn_pos *p = &l->w[l->n - 1].pos;
        struct scn_pos end = { p->file, p->line, p->col + (unsigned)strlen(l->w[l->n - 1].text) };
        return scn_errf(ps->err, &end, "expected %s", usage);
    }
    if (max && l->n > max)
        return scn_errf(ps->err, &l->w[max].pos, "unexpected '%s' (expected %s)",
                        l->w[max].text, usage);
    return 0;
}

static int parse_time(struct parser *ps, const struct word *w, sim_time *out)
{
    const char *end;
    if (w->quoted || w->json || sim_time_parse(w->text, out, &end) != 0 || *end != '\0' ||
        *out < 0) {
        return scn_errf(ps->err, &w->pos,
                        "expected a time such as 2s, 1.5s, 250ms or 10us, found '%s'",
                        w->text);
    }
    return 0;
}

/* "A..B", "..B", "A.." */
static int parse_window(struct parser *ps, const struct word *w, sim_time *from, sim_time *to)
{
    const char *dots = strstr(w->text, "..");
    if (!dots || w->quoted)
        return scn_errf(ps->err, &w->pos, "expected a time window such as 5s..8s, found '%s'",
                        w->text);
    char a[64], b[64];
    size_t la = (size_t)(dots - w->text);
    if (la >= sizeof(a) || strlen(dots + 2) >= sizeof(b))
        return scn_errf(ps->err, &w->pos, "time window too long");
    memcpy(a, w->text, la);
    a[la] = '\0';
    strcpy(b, dots + 2);
    *from = *to = SIM_TIME_NONE;
    const char *end;
    if (a[0] && (sim_time_parse(a, from, &end) != 0 || *end || *from < 0))
        return scn_errf(ps->err, &w->pos, "expected a time before '..', found '%s'", a);
    if (b[0] && (sim_time_parse(b, to, &end) != 0 || *end || *to < 0)) {
        struct scn_pos p = w->pos;
        p.col += (unsigned)(la + 2);
        return scn_errf(ps->err, &p, "expected a time after '..', found '%s'", b);
    }
    if (!a[0] && !b[0])
        return scn_errf(ps->err, &w->pos, "empty time window '..'");
    if (*from != SIM_TIME_NONE && *to != SIM_TIME_NONE && *from > *to)
        return scn_errf(ps->err, &w->pos, "time window ends before it starts");
    return 0;
}

static int parse_host(struct parser *ps, const struct word *w, enum obs_host *h)
{
    if (w->quoted || obs_host_parse(w->text, h) != 0)
        return scn_errf(ps->err, &w->pos, "expected a host, source or target, found '%s'",
                        w->text);
    return 0;
}

/* ---- Blocks ---------------------------------------------------------------------------- */

static int read_block(struct parser *ps, struct line *l, const struct scn_pos *start,
                      const char *what, int (*each)(struct parser *, struct line *, void *),
                      void *ctx)
{
    for (;;) {
        int r = next_line(ps, l);
        if (r < 0)
            return -1;
        if (r == 0)
            return scn_errf(ps->err, start, "%s block has no matching 'end'", what);
        if (l->n == 1 && is(&l->w[0], "end"))
            return 0;
        if (each(ps, l, ctx) != 0)
            return -1;
    }
}

static int host_line(struct parser *ps, struct line *l, void *ctx)
{
    struct scn_host *h = ctx;
    size_t i = 0;
    if (h->argv.n == 0 && l->n > 0 && strncmp(l->w[0].text, "qemu-system-", 12) == 0 &&
        !l->w[0].quoted)
        i = 1; /* a pasted command line: drop the program name */
    for (; i < l->n; i++) {
        if (h->argv.n >= SCN_MAX_HOST_ARGS)
            return scn_errf(ps->err, &l->w[i].pos,
                            "more than %u QEMU arguments for one host (the bound on a host)",
                            SCN_MAX_HOST_ARGS);
        if (args_push(&h->argv, take_arg(&l->w[i])) != 0)
            return ps_oom(ps, &l->w[i].pos);
    }
    unsigned devices = 0;
    for (size_t k = 0; k < h->argv.n; k++) {
        if (strcmp(h->argv.v[k].text, "-device") == 0 && ++devices > SCN_MAX_DEVICES)
            return scn_errf(ps->err, &h->argv.v[k].pos,
                            "more than %u -device options for one host (the bound on devices)",
                            SCN_MAX_DEVICES);
    }
    return 0;
}

static int parse_host_block(struct parser *ps, struct line *l)
{
    int r = expect_words(ps, l, 2, 4, "host source|target [like source|target]");
    if (r)
        return r;
    enum obs_host id;
    if (parse_host(ps, &l->w[1], &id))
        return -1;
    struct scn_host *h = &ps->s->hosts[id];
    if (h->present)
        return scn_errf(ps->err, &l->w[1].pos, "host %s is defined twice (first at %s:%u)",
                        l->w[1].text, h->pos.file, h->pos.line);
    h->present = true;
    h->id = id;
    h->pos = l->w[0].pos;
    if (l->n > 2) {
        if (l->n != 4 || !is(&l->w[2], "like"))
            return scn_errf(ps->err, &l->w[2].pos, "expected 'like source|target' after the host name");
        enum obs_host like;
        if (parse_host(ps, &l->w[3], &like))
            return -1;
        const struct scn_host *src = &ps->s->hosts[like];
        if (like == id || !src->present)
            return scn_errf(ps->err, &l->w[3].pos,
                            "'like %s' needs host %s to be defined earlier", l->w[3].text,
                            l->w[3].text);
        for (size_t i = 0; i < src->argv.n; i++) {
            struct scn_arg a = { .text = dup_str(src->argv.v[i].text), .pos = src->argv.v[i].pos };
            if (args_push(&h->argv, a) != 0)
                return ps_oom(ps, &l->w[3].pos);
        }
    }
    struct scn_pos start = l->w[0].pos;
    return read_block(ps, l, &start, "host", host_line, h);
}

static int guest_line(struct parser *ps, struct line *l, void *ctx)
{
    struct scn_guest *g = ctx;
    if (g->nknobs >= SCN_MAX_KNOBS)
        return scn_errf(ps->err, &l->pos,
                        "more than %u lines in the guest block (the bound on guest knobs)",
                        SCN_MAX_KNOBS);
    struct scn_knob *knobs = realloc(g->knobs, (g->nknobs + 1) * sizeof(*g->knobs));
    if (!knobs)
        return ps_oom(ps, &l->pos);
    g->knobs = knobs;
    struct scn_knob *k = &g->knobs[g->nknobs++];
    memset(k, 0, sizeof(*k));
    k->key = take_arg(&l->w[0]);
    for (size_t i = 1; i < l->n; i++)
        if (args_push(&k->values, take_arg(&l->w[i])) != 0)
            return ps_oom(ps, &l->w[i].pos);
    return 0;
}

static int parse_guest_block(struct parser *ps, struct line *l)
{
    int r = expect_words(ps, l, 1, 2, "guest [linux|qtest|none]");
    if (r)
        return r;
    struct scn_guest *g = &ps->s->guest;
    if (g->present)
        return scn_errf(ps->err, &l->w[0].pos, "the guest is defined twice (first at %s:%u)",
                        g->pos.file, g->pos.line);
    g->present = true;
    g->pos = l->w[0].pos;
    if (l->n == 2) {
        g->profile = take_arg(&l->w[1]);
    } else {
        g->profile.text = dup_str("linux");
        g->profile.pos = l->w[0].pos;
        if (!g->profile.text)
            return ps_oom(ps, &l->w[0].pos);
    }
    const char *p = g->profile.text;
    if (strcmp(p, "linux") && strcmp(p, "qtest") && strcmp(p, "none"))
        return scn_errf(ps->err, &g->profile.pos,
                        "expected a guest profile: linux, qtest or none; found '%s'", p);
    struct scn_pos start = l->w[0].pos;
    return read_block(ps, l, &start, "guest", guest_line, g);
}

static int traffic_line(struct parser *ps, struct line *l, void *ctx)
{
    struct scn_traffic *t = ctx;
    if (t->nlines >= SCN_MAX_TRAFFIC_LINES)
        return scn_errf(ps->err, &l->pos,
                        "more than %u lines in the traffic block (the bound on workloads)",
                        SCN_MAX_TRAFFIC_LINES);
    struct scn_traffic_line *lines = realloc(t->lines, (t->nlines + 1) * sizeof(*t->lines));
    if (!lines)
        return ps_oom(ps, &l->pos);
    t->lines = lines;
    struct scn_traffic_line *tl = &t->lines[t->nlines++];
    memset(tl, 0, sizeof(*tl));
    for (size_t i = 0; i < l->n; i++)
        if (args_push(&tl->words, take_arg(&l->w[i])) != 0)
            return ps_oom(ps, &l->w[i].pos);
    return 0;
}

static int parse_traffic_block(struct parser *ps, struct line *l)
{
    int r = expect_words(ps, l, 1, 1, "traffic (then one workload per line, then end)");
    if (r)
        return r;
    struct scn_traffic *t = &ps->s->traffic;
    if (t->present)
        return scn_errf(ps->err, &l->w[0].pos, "traffic is defined twice (first at %s:%u)",
                        t->pos.file, t->pos.line);
    t->present = true;
    t->pos = l->w[0].pos;
    struct scn_pos start = l->w[0].pos;
    return read_block(ps, l, &start, "traffic", traffic_line, t);
}

/* ---- Actions ---------------------------------------------------------------------------- */

/* What a fleet of nvms VMs schedules for nactions timed actions each. */
static uint64_t fleet_actions(uint32_t nvms, size_t nactions)
{
    return (uint64_t)nvms * ((uint64_t)nactions + SCN_SETUP_ACTIONS);
}

/* A terse QMP value: JSON literals, numbers and JSON objects stay JSON; the
 * rest (and anything quoted) is a string.  NULL when the JSON is invalid
 * (je->text says why), the text is not UTF-8 or memory ran out. */
static json_t *terse_value(const struct word *w, const char *text, json_error_t *je)
{
    je->text[0] = '\0';
    if (w->quoted)
        return json_string(text);
    if (strcmp(text, "true") == 0)
        return json_true();
    if (strcmp(text, "false") == 0)
        return json_false();
    if (strcmp(text, "null") == 0)
        return json_null();
    if (text[0] == '{' || text[0] == '[')
        return json_loads(text, JSON_REJECT_DUPLICATES, je);
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*text && *end == '\0' && errno == 0 && (isdigit((unsigned char)text[0]) || text[0] == '-'))
        return json_integer(v);
    return json_string(text);
}

/* jansson refuses text that is not UTF-8, and fails when memory runs out:
 * tell the two apart for the message. */
static int json_fail(struct parser *ps, const struct scn_pos *pos, const char *text)
{
    json_t *probe = json_string(text);
    if (!probe && (probe = json_string_nocheck(text)) != NULL) {
        json_decref(probe);
        return scn_errf(ps->err, pos, "expected UTF-8 text (a QMP command is JSON)");
    }
    json_decref(probe);
    return ps_oom(ps, pos);
}

static int json_word(struct parser *ps, const struct word *w, json_t **out)
{
    json_error_t je;
    json_t *j = json_loads(w->text, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        if (!je.text[0] || json_error_code(&je) == json_error_out_of_memory)
            return ps_oom(ps, &w->pos);
        struct scn_pos p = w->pos;
        if (je.position > 0)
            p.col += (unsigned)je.position - 1;
        return scn_errf(ps->err, &p, "invalid JSON: %s", je.text);
    }
    *out = j;
    return 0;
}

static int parse_at(struct parser *ps, struct line *l)
{
    int r = expect_words(ps, l, 4, 0, "at TIME source|target COMMAND ... | at TIME guest ACTION ...");
    if (r)
        return r;
    struct scn_action a = { 0 };
    if (parse_time(ps, &l->w[1], &a.at))
        return -1;
    a.pos = l->w[0].pos;
    size_t n = l->n;
    /* trailing "as LABEL" */
    if (n >= 6 && is(&l->w[n - 2], "as")) {
        a.label = l->w[n - 1].text;
        l->w[n - 1].text = NULL;
        n -= 2;
    }
    if (is(&l->w[2], "guest")) {
        a.kind = SCN_ACT_GUEST;
        for (size_t i = 3; i < n; i++) {
            if (args_push(&a.words, take_arg(&l->w[i])) != 0) {
                free(a.label);
                args_free(&a.words);
                return ps_oom(ps, &l->w[i].pos);
            }
        }
        goto add;
    }
    a.kind = SCN_ACT_QMP;
    if (parse_host(ps, &l->w[2], &a.host)) {
        free(a.label);
        return scn_errf(ps->err, &l->w[2].pos,
                        "expected source, target or guest after the time, found '%s'",
                        l->w[2].text);
    }
    json_t *cmd = NULL;
    if (is(&l->w[3], "qmp")) {
        if (n != 5 || !l->w[4].json) {
            free(a.label);
            return scn_errf(ps->err, n > 4 ? &l->w[4].pos : &l->w[3].pos,
                            "expected one JSON object after 'qmp', e.g. "
                            "{\"execute\": \"migrate\", \"arguments\": {...}}");
        }
        if (json_word(ps, &l->w[4], &cmd)) {
            free(a.label);
            return -1;
        }
        if (!json_is_object(cmd) || !json_is_string(json_object_get(cmd, "execute"))) {
            json_decref(cmd);
            free(a.label);
            return scn_errf(ps->err, &l->w[4].pos,
                            "a QMP command is an object with an \"execute\" string member");
        }
    } else {
        const struct word *name = &l->w[3];
        if (name->quoted || name->json || strchr(name->text, '=')) {
            free(a.label);
            return scn_errf(ps->err, &name->pos,
                            "expected a QMP command name (migrate, device_add, ...) or 'qmp', "
                            "found '%s'",
                            name->text);
        }
        cmd = json_object();
        if (!cmd || json_object_set_new(cmd, "execute", json_string(name->text)) != 0) {
            json_decref(cmd);
            free(a.label);
            return json_fail(ps, &name->pos, name->text);
        }
        json_t *args = NULL;
        for (size_t i = 4; i < n; i++) {
            const struct word *kv = &l->w[i];
            char *eq = kv->quoted || kv->json ? NULL : strchr(kv->text, '=');
            if (!eq || eq == kv->text) {
                json_decref(cmd);
                json_decref(args);
                free(a.label);
                return scn_errf(ps->err, &kv->pos,
                                "expected key=value (an argument of %s), found '%s'",
                                name->text, kv->text);
            }
            *eq = '\0';
            json_error_t je;
            json_t *v = terse_value(kv, eq + 1, &je);
            if (!v) {
                struct scn_pos p = kv->pos;
                p.col += (unsigned)(eq - kv->text) + 1;
                json_decref(cmd);
                json_decref(args);
                free(a.label);
                if (je.text[0] && json_error_code(&je) != json_error_out_of_memory)
                    return scn_errf(ps->err, &p, "invalid JSON value for '%s': %s", kv->text,
                                    je.text);
                return eq[1] == '{' || eq[1] == '[' ? ps_oom(ps, &p) : json_fail(ps, &p, eq + 1);
            }
            if (!args && (args = json_object()) == NULL) {
                json_decref(v);
                json_decref(cmd);
                free(a.label);
                return ps_oom(ps, &kv->pos);
            }
            if (json_object_get(args, kv->text)) {
                json_decref(v);
                json_decref(cmd);
                json_decref(args);
                free(a.label);
                return scn_errf(ps->err, &kv->pos, "argument '%s' given twice", kv->text);
            }
            if (json_object_set_new(args, kv->text, v) != 0) {
                json_decref(cmd);
                json_decref(args);
                free(a.label);
                return json_fail(ps, &kv->pos, kv->text);
            }
        }
        if (args && json_object_set_new(cmd, "arguments", args) != 0) {
            json_decref(cmd);
            free(a.label);
            return ps_oom(ps, &l->w[3].pos);
        }
    }
    a.json = json_dumps(cmd, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(cmd);
    if (!a.json) {
        free(a.label);
        return ps_oom(ps, &a.pos); /* json_dumps fails only when memory runs out */
    }
add:
    for (size_t i = 0; a.label && i < ps->s->nactions; i++) {
        const struct scn_action *o = &ps->s->actions[i];
        if (o->label && strcmp(o->label, a.label) == 0) {
            int rr = scn_errf(ps->err, &l->w[l->n - 1].pos,
                              "label '%s' is already used at %s:%u", a.label, o->pos.file,
                              o->pos.line);
            free(a.label);
            free(a.json);
            args_free(&a.words);
            return rr;
        }
    }
    if (ps->s->nactions >= SCN_MAX_ACTIONS ||
        fleet_actions(ps->s->nvms, ps->s->nactions + 1) > SCN_MAX_FLEET_ACTIONS) {
        free(a.label);
        free(a.json);
        args_free(&a.words);
        if (ps->s->nactions >= SCN_MAX_ACTIONS)
            return scn_errf(ps->err, &a.pos,
                            "more than %u timed actions (the bound on timed actions)",
                            SCN_MAX_ACTIONS);
        return scn_errf(ps->err, &a.pos,
                        "%u VMs with %zu timed actions each exceed %u actions (the bound on a "
                        "fleet's actions: vms x (actions + %u set-up commands))",
                        ps->s->nvms, ps->s->nactions + 1, SCN_MAX_FLEET_ACTIONS,
                        SCN_SETUP_ACTIONS);
    }
    struct scn_action *acts = realloc(ps->s->actions, (ps->s->nactions + 1) * sizeof(a));
    if (!acts) {
        free(a.label);
        free(a.json);
        args_free(&a.words);
        return ps_oom(ps, &a.pos);
    }
    ps->s->actions = acts;
    ps->s->actions[ps->s->nactions++] = a;
    return 0;
}

/* ---- Expectations ----------------------------------------------------------------------------- */

static void match_free(struct scn_match *m)
{
    arg_free(&m->name);
    for (size_t i = 0; i < m->nfields; i++) {
        arg_free(&m->keys[i]);
        arg_free(&m->values[i]);
    }
    free(m->keys);
    free(m->values);
}

static void expect_free(struct scn_expect *e)
{
    free(e->text);
    for (size_t i = 0; i < e->nitems; i++)
        match_free(&e->items[i]);
    free(e->items);
    arg_free(&e->subject);
    arg_free(&e->word);
    arg_free(&e->detail);
    args_free(&e->words);
}

static bool is_event_name(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!(isupper((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
            return false;
    return true;
}

/* Parse an event matcher starting at w[*i]; stops at '<', 'in', 'count' or the end. */
static int parse_match(struct parser *ps, struct line *l, size_t *i, struct scn_match *m)
{
    if (*i >= l->n)
        return scn_errf(ps->err, &l->w[l->n - 1].pos, "expected an event name after this");
    struct word *w = &l->w[*i];
    if (is(w, "log")) {
        (*i)++;
        if (*i >= l->n || !l->w[*i].quoted)
            return scn_errf(ps->err, &w->pos, "expected a quoted text after 'log'");
        m->is_log = true;
        m->name = take_arg(&l->w[*i]);
        (*i)++;
        return 0;
    }
    if (w->quoted || !is_event_name(w->text))
        return scn_errf(ps->err, &w->pos,
                        "expected a QMP event name in capitals (MIGRATION, UNPLUG_PRIMARY, ...), "
                        "found '%s'",
                        w->text);
    m->name = take_arg(w);
    (*i)++;
    while (*i < l->n) {
        struct word *kv = &l->w[*i];
        if (is(kv, "<") || is(kv, "in") || is(kv, "count"))
            break;
        char *eq = kv->quoted ? NULL : strchr(kv->text, '=');
        if (!eq || eq == kv->text)
            return scn_errf(ps->err, &kv->pos,
                            "expected field=value (e.g. status=wait-unplug), 'in', 'count' or "
                            "'<', found '%s'",
                            kv->text);
        struct scn_arg *keys = realloc(m->keys, (m->nfields + 1) * sizeof(*m->keys));
        if (keys)
            m->keys = keys;
        struct scn_arg *values = keys ? realloc(m->values, (m->nfields + 1) * sizeof(*m->values)) : NULL;
        if (!values)
            return ps_oom(ps, &kv->pos);
        m->values = values;
        *eq = '\0';
        struct scn_pos vp = kv->pos;
        vp.col += (unsigned)(eq - kv->text) + 1;
        char *key = dup_str(kv->text), *value = dup_str(eq + 1);
        if (!key || !value) {
            free(key);
            free(value);
            return ps_oom(ps, &kv->pos);
        }
        m->keys[m->nfields] = (struct scn_arg){ .text = key, .pos = kv->pos };
        m->values[m->nfields] = (struct scn_arg){ .text = value, .pos = vp };
        m->nfields++;
        (*i)++;
    }
    return 0;
}

/* Optional trailing "in A..B" and "count N" (flags say which are allowed). */
static int parse_tail(struct parser *ps, struct line *l, size_t i, struct scn_expect *e,
                      bool allow_count)
{
    while (i < l->n) {
        struct word *w = &l->w[i];
        if (is(w, "in") && i + 1 < l->n) {
            if (parse_window(ps, &l->w[i + 1], &e->from, &e->to))
                return -1;
            i += 2;
        } else if (allow_count && is(w, "count") && i + 1 < l->n) {
            char *end;
            errno = 0;
            long c = strtol(l->w[i + 1].text, &end, 10);
            if (*end || errno || c < 0 || l->w[i + 1].quoted)
                return scn_errf(ps->err, &l->w[i + 1].pos,
                                "expected a count (a whole number >= 0), found '%s'",
                                l->w[i + 1].text);
            e->count = c;
            i += 2;
        } else {
            return scn_errf(ps->err, &w->pos, "unexpected '%s' (expected 'in A..B'%s)", w->text,
                            allow_count ? " or 'count N'" : "");
        }
    }
    return 0;
}

/* The line as written, for reports; NULL if memory ran out. */
static char *join_line(const struct line *l)
{
    struct buf b = { 0 };
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            buf_put(&b, ' ');
        if (l->w[i].quoted)
            buf_put(&b, '"');
        for (const char *p = l->w[i].text; p && *p; p++)
            buf_put(&b, *p);
        if (l->w[i].quoted)
            buf_put(&b, '"');
    }
    return buf_take(&b);
}

static const char *const verdict_words[] = { "pass", "fail", "inconclusive", "n/a" };

static int parse_expect(struct parser *ps, struct line *l)
{
    struct scn_expect *expects;
    int r = expect_words(ps, l, 2, 0, "expect source|target|guest|verdict|traffic ...");
    if (r)
        return r;
    struct scn_expect e = { .pos = l->w[0].pos, .from = SIM_TIME_NONE, .to = SIM_TIME_NONE,
                            .at = SIM_TIME_NONE, .count = -1 };
    e.text = join_line(l);
    if (!e.text)
        return ps_oom(ps, &l->pos);
    size_t i = 1;
    struct word *w = &l->w[i];

    if (is(w, "verdict")) {
        e.kind = SCN_EXPECT_VERDICT;
        if (l->n != 4) {
            r = expect_words(ps, l, 4, 4, "expect verdict ID pass|fail|inconclusive|n/a");
            goto out;
        }
        e.subject = take_arg(&l->w[2]);
        bool ok = false;
        for (size_t k = 0; k < SIM_ARRAY_SIZE(verdict_words); k++)
            ok |= strcmp(l->w[3].text, verdict_words[k]) == 0;
        if (!ok) {
            r = scn_errf(ps->err, &l->w[3].pos,
                         "expected pass, fail, inconclusive or n/a, found '%s'", l->w[3].text);
            goto out;
        }
        e.word = take_arg(&l->w[3]);
        goto add;
    }
    if (is(w, "traffic")) {
        e.kind = SCN_EXPECT_TRAFFIC;
        if (l->n < 3) {
            r = expect_words(ps, l, 3, 0, "expect traffic ...");
            goto out;
        }
        for (size_t k = 2; k < l->n; k++) {
            if (args_push(&e.words, take_arg(&l->w[k])) != 0) {
                r = ps_oom(ps, &l->w[k].pos);
                goto out;
            }
        }
        goto add;
    }
    if (is(w, "guest")) {
        e.any_host = true;
    } else if (parse_host(ps, w, &e.host)) {
        r = scn_errf(ps->err, &w->pos,
                     "expected source, target, guest, verdict or traffic after 'expect', found "
                     "'%s'",
                     w->text);
        goto out;
    }
    i++;
    if (i < l->n && is(&l->w[i], "no")) {
        e.negated = true;
        i++;
    }
    if (i >= l->n) {
        r = scn_errf(ps->err, &l->w[l->n - 1].pos,
                     "expected event, migration, duration, device, reply, order, log or stderr");
        goto out;
    }
    w = &l->w[i++];
    if (e.any_host && !is(w, "log")) {
        r = scn_errf(ps->err, &w->pos, "'expect guest' takes only 'log' or 'no log'");
        goto out;
    }
    if (is(w, "event")) {
        e.kind = SCN_EXPECT_EVENT;
        e.items = calloc(1, sizeof(*e.items));
        if (!e.items) {
            r = ps_oom(ps, &w->pos);
            goto out;
        }
        e.nitems = 1;
        if (parse_match(ps, l, &i, &e.items[0]) || e.items[0].is_log) {
            r = e.items[0].is_log ? scn_errf(ps->err, &w->pos, "expected an event name") : -1;
            goto out;
        }
        r = parse_tail(ps, l, i, &e, !e.negated);
        goto check;
    }
    if (is(w, "migration")) {
        e.kind = SCN_EXPECT_STATE;
        if (i >= l->n) {
            r = scn_errf(ps->err, &w->pos, "expected a migration state after 'migration'");
            goto out;
        }
        e.subject = take_arg(&l->w[i++]);
        r = parse_tail(ps, l, i, &e, false);
        goto check;
    }
    if (is(w, "duration") && !e.negated) {
        e.kind = SCN_EXPECT_DURATION;
        if (i + 2 != l->n) {
            r = scn_errf(ps->err, &w->pos, "expected 'duration STATE A..B'");
            goto out;
        }
        e.subject = take_arg(&l->w[i]);
        r = parse_window(ps, &l->w[i + 1], &e.from, &e.to);
        goto check;
    }
    if (is(w, "device") && !e.negated) {
        e.kind = SCN_EXPECT_DEVICE;
        if (i + 4 != l->n || !is(&l->w[i + 2], "at") ||
            (!is(&l->w[i + 1], "visible") && !is(&l->w[i + 1], "hidden") &&
             !is(&l->w[i + 1], "present") && !is(&l->w[i + 1], "absent"))) {
            r = scn_errf(ps->err, &w->pos,
                         "expected 'device ID visible|hidden|present|absent at TIME'");
            goto out;
        }
        e.subject = take_arg(&l->w[i]);
        e.word = take_arg(&l->w[i + 1]);
        r = parse_time(ps, &l->w[i + 3], &e.at);
        goto check;
    }
    if (is(w, "reply") && !e.negated) {
        e.kind = SCN_EXPECT_REPLY;
        if (i + 2 > l->n || (!is(&l->w[i + 1], "ok") && !is(&l->w[i + 1], "error")) ||
            (is(&l->w[i + 1], "ok") && i + 2 != l->n) ||
            (is(&l->w[i + 1], "error") && i + 3 < l->n) ||
            (i + 3 == l->n && !l->w[i + 2].quoted)) {
            r = scn_errf(ps->err, &w->pos, "expected 'reply LABEL ok' or 'reply LABEL error \"TEXT\"'");
            goto out;
        }
        e.subject = take_arg(&l->w[i]);
        e.word = take_arg(&l->w[i + 1]);
        if (i + 3 == l->n)
            e.detail = take_arg(&l->w[i + 2]);
        goto add;
    }
    if (is(w, "order") && !e.negated) {
        e.kind = SCN_EXPECT_ORDER;
        for (;;) {
            struct scn_match *items = realloc(e.items, (e.nitems + 1) * sizeof(*e.items));
            if (!items) {
                r = ps_oom(ps, i < l->n ? &l->w[i].pos : &w->pos);
                goto out;
            }
            e.items = items;
            memset(&e.items[e.nitems], 0, sizeof(*e.items));
            e.nitems++;
            if (parse_match(ps, l, &i, &e.items[e.nitems - 1])) {
                r = -1;
                goto out;
            }
            if (i >= l->n)
                break;
            if (!is(&l->w[i], "<")) {
                r = scn_errf(ps->err, &l->w[i].pos, "expected '<' between order items, found '%s'",
                             l->w[i].text);
                goto out;
            }
            i++;
        }
        if (e.nitems < 2) {
            r = scn_errf(ps->err, &w->pos, "an order needs at least two items: A < B");
            goto out;
        }
        goto add;
    }
    if (is(w, "log") || is(w, "stderr")) {
        e.kind = is(w, "log") ? SCN_EXPECT_LOG : SCN_EXPECT_STDERR;
        if (i >= l->n || !l->w[i].quoted) {
            r = scn_errf(ps->err, &w->pos, "expected a quoted text after '%s'", w->text);
            goto out;
        }
        e.subject = take_arg(&l->w[i++]);
        r = parse_tail(ps, l, i, &e, !e.negated);
        goto check;
    }
    r = scn_errf(ps->err, &w->pos,
                 "expected event, migration, duration, device, reply, order, log or stderr%s, "
                 "found '%s'",
                 e.negated ? " after 'no'" : "", w->text);
    goto out;
check:
    if (r)
        goto out;
add:
    if (ps->s->nexpects >= SCN_MAX_EXPECTS) {
        r = scn_errf(ps->err, &e.pos, "more than %u expectations (the bound on expectations)",
                     SCN_MAX_EXPECTS);
        goto out;
    }
    if (!(expects = realloc(ps->s->expects, (ps->s->nexpects + 1) * sizeof(e)))) {
        r = ps_oom(ps, &e.pos);
        goto out;
    }
    ps->s->expects = expects;
    ps->s->expects[ps->s->nexpects++] = e;
    return 0;
out:
    expect_free(&e);
    return r ? r : -1;
}

/* ---- Top level --------------------------------------------------------------------------------- */

static int parse_file(struct parser *ps, const char *path, const struct scn_pos *from);

/* ISO 8601 UTC "2025-11-25T12:00:00Z" or seconds since the epoch. */
static int parse_epoch(struct parser *ps, const struct word *w, sim_time *out)
{
    int Y, M, D, h, m, s;
    char z;
    if (sscanf(w->text, "%4d-%2d-%2dT%2d:%2d:%2d%c", &Y, &M, &D, &h, &m, &s, &z) == 7 && z == 'Z' &&
        strlen(w->text) == 20 && Y >= 1970 && Y < 2200 && M >= 1 && M <= 12 && D >= 1 &&
        D <= 31 && h < 24 && m < 60 && s < 61) {
        /* days from civil (Howard Hinnant's algorithm) */
        int y = Y - (M <= 2);
        int era = y / 400;
        unsigned yoe = (unsigned)(y - era * 400);
        unsigned doy = (unsigned)((153 * (M + (M > 2 ? -3 : 9)) + 2) / 5 + D - 1);
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        int64_t days = (int64_t)era * 146097 + (int64_t)doe - 719468;
        *out = ((days * 86400) + h * 3600 + m * 60 + s) * (sim_time)1000000000;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(w->text, &end, 10);
    if (!w->quoted && *end == '\0' && errno == 0 && v >= 0 && v < 7000000000LL) {
        *out = (sim_time)v * 1000000000;
        return 0;
    }
    return scn_errf(ps->err, &w->pos,
                    "expected an epoch as 2025-11-25T12:00:00Z or Unix seconds, found '%s'",
                    w->text);
}

static int parse_statement(struct parser *ps, struct line *l)
{
    struct scenario *s = ps->s;
    struct word *kw = &l->w[0];
    if (kw->quoted || kw->json)
        return scn_errf(ps->err, &kw->pos, "expected a statement keyword, found a %s",
                        kw->json ? "JSON value" : "string");
    const char *k = kw->text;
    int r;
    if (strcmp(k, "host") == 0)
        return parse_host_block(ps, l);
    if (strcmp(k, "guest") == 0)
        return parse_guest_block(ps, l);
    if (strcmp(k, "traffic") == 0)
        return parse_traffic_block(ps, l);
    if (strcmp(k, "at") == 0)
        return parse_at(ps, l);
    if (strcmp(k, "expect") == 0)
        return parse_expect(ps, l);
    if (strcmp(k, "scenario") == 0) {
        if ((r = expect_words(ps, l, 2, 2, "scenario NAME")))
            return r;
        free(s->name);
        s->name = dup_str(l->w[1].text);
        return s->name ? 0 : ps_oom(ps, &l->w[1].pos);
    }
    if (strcmp(k, "describe") == 0) {
        if ((r = expect_words(ps, l, 2, 0, "describe TEXT")))
            return r;
        char *t = join_line(l);
        if (!t)
            return ps_oom(ps, &kw->pos);
        free(s->description);
        /* drop the keyword and the quotes join_line added around strings */
        const char *p = t + strlen("describe ");
        size_t n = strlen(p);
        if (l->n == 2 && l->w[1].quoted && n >= 2) {
            p++;
            n -= 2;
        }
        s->description = malloc(n + 1);
        if (s->description) {
            memcpy(s->description, p, n);
            s->description[n] = '\0';
        }
        free(t);
        return s->description ? 0 : ps_oom(ps, &kw->pos);
    }
    if (strcmp(k, "seed") == 0) {
        if ((r = expect_words(ps, l, 2, 2, "seed NUMBER")))
            return r;
        char *end;
        errno = 0;
        unsigned long long v = strtoull(l->w[1].text, &end, 0);
        if (*end || errno || l->w[1].text[0] == '-' || l->w[1].quoted)
            return scn_errf(ps->err, &l->w[1].pos, "expected a seed (a number), found '%s'",
                            l->w[1].text);
        s->seed = v;
        s->seed_set = true;
        return 0;
    }
    if (strcmp(k, "vms") == 0) {
        if ((r = expect_words(ps, l, 2, 2, "vms N")))
            return r;
        char *end;
        errno = 0;
        unsigned long v = strtoul(l->w[1].text, &end, 10);
        /* digits only: strtoul takes '+' and wraps "-18446744073709551614" to 2 */
        if (*end || errno || v < 1 || v > SCN_MAX_VMS || l->w[1].quoted ||
            l->w[1].text[0] < '0' || l->w[1].text[0] > '9')
            return scn_errf(ps->err, &l->w[1].pos,
                            "expected a number of VMs from 1 to %u, found '%s'", SCN_MAX_VMS,
                            l->w[1].text);
        if (fleet_actions((uint32_t)v, s->nactions) > SCN_MAX_FLEET_ACTIONS)
            return scn_errf(ps->err, &l->w[1].pos,
                            "%lu VMs with %zu timed actions each exceed %u actions (the bound "
                            "on a fleet's actions: vms x (actions + %u set-up commands))",
                            v, s->nactions, SCN_MAX_FLEET_ACTIONS, SCN_SETUP_ACTIONS);
        s->nvms = (uint32_t)v;
        return 0;
    }
    if (strcmp(k, "epoch") == 0) {
        if ((r = expect_words(ps, l, 2, 2, "epoch 2025-11-25T12:00:00Z")))
            return r;
        return parse_epoch(ps, &l->w[1], &s->epoch);
    }
    if (strcmp(k, "until") == 0) {
        if ((r = expect_words(ps, l, 2, 2, "until TIME")))
            return r;
        return parse_time(ps, &l->w[1], &s->until);
    }
    if (strcmp(k, "qmp-setup") == 0) {
        if ((r = expect_words(ps, l, 2, 2, "qmp-setup events|plain|none")))
            return r;
        if (is(&l->w[1], "events"))
            s->qmp_setup = SCN_QMP_SETUP_EVENTS;
        else if (is(&l->w[1], "plain"))
            s->qmp_setup = SCN_QMP_SETUP_PLAIN;
        else if (is(&l->w[1], "none"))
            s->qmp_setup = SCN_QMP_SETUP_NONE;
        else
            return scn_errf(ps->err, &l->w[1].pos,
                            "expected events, plain or none, found '%s'", l->w[1].text);
        return 0;
    }
    if (strcmp(k, "evidence") == 0 || strcmp(k, "tags") == 0) {
        if ((r = expect_words(ps, l, 2, 0, strcmp(k, "tags") ? "evidence ID..." : "tags WORD...")))
            return r;
        struct scn_args *a = strcmp(k, "tags") ? &s->evidence : &s->tags;
        for (size_t i = 1; i < l->n; i++)
            if (args_push(a, take_arg(&l->w[i])) != 0)
                return ps_oom(ps, &l->w[i].pos);
        return 0;
    }
    if (strcmp(k, "include") == 0) {
        if ((r = expect_words(ps, l, 2, 2, "include \"FILE\"")))
            return r;
        if (ps->depth >= (int)SCN_MAX_INCLUDE_DEPTH)
            return scn_errf(ps->err, &kw->pos,
                            "includes nested deeper than %u (the bound on includes)",
                            SCN_MAX_INCLUDE_DEPTH);
        if (s->nfiles >= SCN_MAX_FILES)
            return scn_errf(ps->err, &kw->pos,
                            "more than %u files read (the scenario and its includes; the bound "
                            "on includes)",
                            SCN_MAX_FILES);
        char path[4096];
        const char *inc = l->w[1].text;
        const char *slash = strrchr(ps->file, '/');
        if (inc[0] == '/' || !slash)
            snprintf(path, sizeof(path), "%s", inc);
        else
            snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - ps->file), ps->file, inc);
        struct scn_pos from = l->w[1].pos;
        return parse_file(ps, path, &from);
    }
    return scn_errf(ps->err, &kw->pos,
                    "unknown statement '%s' (expected scenario, describe, seed, epoch, until, vms, "
                    "qmp-setup, evidence, tags, include, host, guest, traffic, at or expect)",
                    k);
}

static int parse_text(struct parser *ps)
{
    struct line l = { 0 };
    int r;
    while ((r = next_line(ps, &l)) > 0) {
        if (parse_statement(ps, &l) != 0) {
            r = -1;
            break;
        }
    }
    line_free(&l);
    return r < 0 ? -1 : 0;
}

/* Remember a file name for positions; NULL if memory ran out. */
static const char *keep_file_name(struct scenario *s, const char *path)
{
    char **files = realloc(s->files, (s->nfiles + 1) * sizeof(*s->files));
    if (!files)
        return NULL;
    s->files = files;
    if (!(s->files[s->nfiles] = dup_str(path)))
        return NULL;
    return s->files[s->nfiles++];
}

static int run_parser(struct scenario *s, const char *file, const char *text, size_t len,
                      int depth, size_t *total, struct sim_err *err)
{
    if (memchr(text, '\0', len)) {
        size_t off = (size_t)((const char *)memchr(text, '\0', len) - text);
        return sim_errf(err, "%s: byte %zu: NUL byte (a scenario is a text file)", file, off);
    }
    struct parser ps = { .s = s, .file = keep_file_name(s, file), .text = text, .len = len,
                         .depth = depth, .total = total, .err = err };
    if (!ps.file)
        return sim_errf(err, "%s: out of memory while reading the scenario", file);
    return parse_text(&ps);
}

/*
 * Read a whole file of at most `budget` bytes (what SCN_MAX_BYTES leaves
 * after the files read before it).  An include must be a regular file: a
 * FIFO or a device could block or never end.
 */
static int read_file(const char *path, bool include, size_t budget, char **out, size_t *len,
                     struct sim_err *err)
{
    /* look before opening: opening a FIFO blocks until someone writes */
    struct stat st;
    if (stat(path, &st) == 0 && (S_ISDIR(st.st_mode) || (include && !S_ISREG(st.st_mode))))
        return sim_errf(err, "%s: %s", path,
                        S_ISDIR(st.st_mode) ? "is a directory, not a scenario file"
                                            : "not a regular file (an include must be a file)");
    FILE *f = fopen(path, "rb");
    if (!f)
        return sim_errf(err, "%s: cannot open: %s", path, strerror(errno));
    struct buf b = { 0 };
    int c;
    while ((c = getc(f)) != EOF && !b.oom) {
        if (b.n >= budget) {
            fclose(f);
            free(b.p);
            if (budget == SCN_MAX_BYTES)
                return sim_errf(err, "%s: larger than %u bytes (the bound on a scenario)", path,
                                SCN_MAX_BYTES);
            return sim_errf(err,
                            "%s: the scenario and its includes exceed %u bytes (the bound on a "
                            "scenario)",
                            path, SCN_MAX_BYTES);
        }
        buf_put(&b, (char)c);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(b.p);
        return sim_errf(err, "%s: read error", path);
    }
    *len = b.n;
    *out = buf_take(&b);
    return *out ? 0 : sim_errf(err, "%s: out of memory while reading the scenario", path);
}

static int parse_file(struct parser *ps, const char *path, const struct scn_pos *from)
{
    char *text = NULL;
    size_t len = 0;
    struct sim_err ierr;
    if (read_file(path, from != NULL, SCN_MAX_BYTES - *ps->total, &text, &len, &ierr) != 0) {
        if (from)
            return scn_errf(ps->err, from, "%s", ierr.msg);
        *ps->err = ierr;
        return -1;
    }
    *ps->total += len;
    int r = run_parser(ps->s, path, text, len, ps->depth + 1, ps->total, ps->err);
    free(text);
    return r;
}

/* A scenario with its defaults, or NULL (with err) if memory ran out. */
static struct scenario *scn_new(const char *path, struct sim_err *err)
{
    struct scenario *s = calloc(1, sizeof(*s));
    if (s) {
        s->path = dup_str(path);
        s->description = dup_str("");
    }
    if (!s || !s->path || !s->description) {
        scn_free(s);
        sim_errf(err, "%s: out of memory while reading the scenario", path);
        return NULL;
    }
    s->epoch = SCN_DEFAULT_EPOCH;
    s->until = SIM_TIME_NONE;
    s->seed = 1;
    s->nvms = 1;
    return s;
}

static int cmp_action(const void *a, const void *b)
{
    const struct scn_action *x = a, *y = b;
    if (x->at != y->at)
        return x->at < y->at ? -1 : 1;
    return 0;
}

static int finish(struct scenario *s, struct sim_err *err)
{
    if (!s->name) {
        const char *base = strrchr(s->path, '/');
        base = base ? base + 1 : s->path;
        s->name = dup_str(base);
        if (!s->name)
            return sim_errf(err, "%s: out of memory while reading the scenario", s->path);
        char *dot = strrchr(s->name, '.');
        if (dot && dot != s->name)
            *dot = '\0';
    }
    if (!s->hosts[OBS_SOURCE].present) {
        struct scn_pos p = { s->path, 1, 1 };
        return scn_errf(err, &p, "the scenario defines no 'host source' block");
    }
    for (size_t i = 0; i < s->nactions; i++) {
        const struct scn_action *a = &s->actions[i];
        if (a->kind == SCN_ACT_QMP && !s->hosts[a->host].present)
            return scn_errf(err, &a->pos, "action on host %s, which the scenario does not define",
                            obs_host_name(a->host));
    }
    for (size_t i = 0; i < s->nexpects; i++) {
        const struct scn_expect *e = &s->expects[i];
        if (!e->any_host && e->kind != SCN_EXPECT_VERDICT && e->kind != SCN_EXPECT_TRAFFIC &&
            !s->hosts[e->host].present)
            return scn_errf(err, &e->pos,
                            "expectation about host %s, which the scenario does not define",
                            obs_host_name(e->host));
        if (e->kind == SCN_EXPECT_REPLY) {
            bool found = false;
            for (size_t k = 0; k < s->nactions; k++)
                found |= s->actions[k].label && strcmp(s->actions[k].label, e->subject.text) == 0;
            if (!found)
                return scn_errf(err, &e->subject.pos, "no action is labelled '%s' (use 'as %s')",
                                e->subject.text, e->subject.text);
        }
    }
    /* stable sort by time: qsort is not stable, so sort indices by (at, index) */
    size_t n = s->nactions;
    for (size_t i = 1; i < n; i++) {
        struct scn_action x = s->actions[i];
        size_t j = i;
        while (j > 0 && cmp_action(&s->actions[j - 1], &x) > 0) {
            s->actions[j] = s->actions[j - 1];
            j--;
        }
        s->actions[j] = x;
    }
    return 0;
}

int scn_parse_string(const char *name, const char *text, struct scenario **out,
                     struct sim_err *err)
{
    struct scenario *s = scn_new(name, err);
    if (!s)
        return -1;
    size_t total = strlen(text);
    if (total > SCN_MAX_BYTES) {
        scn_free(s);
        return sim_errf(err, "%s: larger than %u bytes (the bound on a scenario)", name,
                        SCN_MAX_BYTES);
    }
    if (run_parser(s, name, text, total, 0, &total, err) != 0 || finish(s, err) != 0) {
        scn_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

int scn_load(const char *path, struct scenario **out, struct sim_err *err)
{
    struct scenario *s = scn_new(path, err);
    if (!s)
        return -1;
    size_t total = 0;
    struct parser ps = { .s = s, .err = err, .depth = -1, .total = &total };
    if (parse_file(&ps, path, NULL) != 0 || finish(s, err) != 0) {
        scn_free(s);
        return -1;
    }
    *out = s;
    return 0;
}

void scn_free(struct scenario *s)
{
    if (!s)
        return;
    free(s->path);
    free(s->name);
    free(s->description);
    for (int h = 0; h < OBS_NHOSTS; h++)
        args_free(&s->hosts[h].argv);
    arg_free(&s->guest.profile);
    for (size_t i = 0; i < s->guest.nknobs; i++) {
        arg_free(&s->guest.knobs[i].key);
        args_free(&s->guest.knobs[i].values);
    }
    free(s->guest.knobs);
    for (size_t i = 0; i < s->traffic.nlines; i++)
        args_free(&s->traffic.lines[i].words);
    free(s->traffic.lines);
    for (size_t i = 0; i < s->nactions; i++) {
        free(s->actions[i].json);
        free(s->actions[i].label);
        args_free(&s->actions[i].words);
    }
    free(s->actions);
    for (size_t i = 0; i < s->nexpects; i++)
        expect_free(&s->expects[i]);
    free(s->expects);
    args_free(&s->evidence);
    args_free(&s->tags);
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    free(s->files);
    free(s);
}

const struct scn_knob *scn_guest_knob(const struct scn_guest *g, const char *key)
{
    for (size_t i = 0; i < g->nknobs; i++)
        if (strcmp(g->knobs[i].key.text, key) == 0)
            return &g->knobs[i];
    return NULL;
}
