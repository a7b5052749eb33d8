/*
 * Corrupted recordings (spec/corrupt.h): reading the list, making the
 * corrupted copy of a stored bundle and checking it; and the matrix's use of
 * them (trace_run_corruptions, spec/trace.h).
 */
#include "corrupt.h"

#include <errno.h>
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check_bundle.h"
#include "sim/bundle.h"
#include "sim/pcap_io.h"
#include "sim/record.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "trace.h"

static const struct {
    const char *word;
    unsigned nargs;
} ops[CORRUPT_NOPS] = {
#define X(id, word, nargs) [CORRUPT_##id] = { word, nargs },
    CORRUPT_OPS(X)
#undef X
};

/* ---- The list ------------------------------------------------------------------- */

#define MAX_WORDS 12

/* Split a line into words ("..." quotes, # comments).  Returns the count,
 * or -1 with err. */
static int split(char *line, char **w, unsigned *cols, const char *path, unsigned ln,
                 struct sim_err *err)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (!*p || *p == '#')
            return n;
        if (n == MAX_WORDS)
            return sim_errf(err, "%s:%u:%u: too many words (at most %d)", path, ln,
                            (unsigned)(p - line) + 1, MAX_WORDS);
        cols[n] = (unsigned)(p - line) + 1;
        if (*p == '"' || *p == '\'') {
            /* "..." with \" and \\ escapes, or '...' taken as it is */
            char q = *p++, *out = p;
            w[n++] = p;
            while (*p && *p != q) {
                if (q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\'))
                    p++;
                *out++ = *p++;
            }
            if (*p != q)
                return sim_errf(err, "%s:%u:%u: unterminated %c...%c", path, ln, cols[n - 1], q,
                                q);
            *out = '\0';
            p++;
        } else {
            w[n++] = p;
            while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                p++;
            if (*p)
                *p++ = '\0';
        }
    }
}

static void corruption_free(struct corruption *c)
{
    free(c->name);
    free(c->bundle);
    for (unsigned i = 0; i < CORRUPT_MAX_ARGS; i++)
        free(c->args[i]);
}

void corrupt_list_free(struct corrupt_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        corruption_free(&l->v[i]);
    free(l->v);
    free(l);
}

static int parse_line(char *line, const char *path, unsigned ln, struct corruption *c,
                      struct sim_err *err)
{
    char *w[MAX_WORDS];
    unsigned col[MAX_WORDS];
    int n = split(line, w, col, path, ln, err);
    if (n <= 0)
        return n;
    if (n < 3)
        return sim_errf(err, "%s:%u:%u: expected NAME BUNDLE OP ARGS... fail|not-pass ID", path,
                        ln, col[0]);
    int op = -1;
    unsigned long nth = 1;
    char *at = strchr(w[2], '@');
    if (at) {
        char *end;
        *at = '\0';
        nth = strtoul(at + 1, &end, 10);
        if (*end || nth < 1 || nth > 100000)
            return sim_errf(err, "%s:%u:%u: expected OP@N with N from 1, got '@%s'", path, ln,
                            col[2], at + 1);
    }
    for (int i = 0; i < CORRUPT_NOPS; i++)
        if (strcmp(w[2], ops[i].word) == 0)
            op = i;
    if (op == CORRUPT_MOVE_FRAMES && at)
        return sim_errf(err, "%s:%u:%u: move-frames moves every frame: no @N", path, ln, col[2]);
    if (op < 0)
        return sim_errf(err, "%s:%u:%u: unknown operation '%s' (drop, dup, swap, retime, "
                             "shift, truncate, edit or move-frames)",
                        path, ln, col[2], w[2]);
    unsigned want = 3 + ops[op].nargs + 2;
    if ((unsigned)n != want)
        return sim_errf(err, "%s:%u:%u: %s takes %u argument(s), then fail|not-pass ID", path,
                        ln, col[2], w[2], ops[op].nargs);
    const char *mode = w[n - 2], *id = w[n - 1];
    if (strcmp(mode, "fail") != 0 && strcmp(mode, "not-pass") != 0)
        return sim_errf(err, "%s:%u:%u: expected fail or not-pass, got '%s'", path, ln,
                        col[n - 2], mode);
    const struct spec_entry *a = spec_lookup(id, NULL);
    if (!a)
        return sim_errf(err, "%s:%u:%u: '%s' is not a catalog assertion", path, ln, col[n - 1],
                        id);
    if (op == CORRUPT_RETIME || op == CORRUPT_SHIFT) {
        char *end;
        strtod(w[5], &end);
        if (*end || end == w[5])
            return sim_errf(err, "%s:%u:%u: %s expects seconds such as -2.5, got '%s'", path, ln,
                            col[5], w[2], w[5]);
    }
    memset(c, 0, sizeof(*c));
    c->name = sim_xstrdup(w[0]);
    c->bundle = sim_xstrdup(w[1]);
    c->op = (enum corrupt_op)op;
    for (unsigned i = 0; i < ops[op].nargs; i++)
        c->args[i] = sim_xstrdup(w[3 + i]);
    c->must_fail = strcmp(mode, "fail") == 0;
    c->nth = (unsigned)nth;
    c->id = a->sid;
    c->line = ln;
    return 1;
}

int corrupt_load(const char *path, struct corrupt_list **out, struct sim_err *err)
{
    *out = NULL;
    FILE *f = fopen(path, "r");
    if (!f)
        return sim_errf(err, "%s: %s", path, strerror(errno));
    struct corrupt_list *l = sim_xcalloc(1, sizeof(*l));
    size_t cap = 0;
    char line[2048];
    unsigned ln = 0;
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof(line), f)) {
        ln++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = sim_errf(err, "%s:%u: line longer than %zu bytes", path, ln, sizeof(line) - 2);
            break;
        }
        struct corruption c;
        int r = parse_line(line, path, ln, &c, err);
        if (r < 0) {
            rc = -1;
        } else if (r > 0) {
            for (size_t i = 0; i < l->n; i++) {
                if (strcmp(l->v[i].name, c.name) == 0) {
                    rc = sim_errf(err, "%s:%u:1: corruption '%s' already defined on line %u",
                                  path, ln, c.name, l->v[i].line);
                    corruption_free(&c);
                    break;
                }
            }
            if (rc)
                break;
            if (l->n == cap) {
                cap = cap ? 2 * cap : 16;
                l->v = sim_xrealloc(l->v, cap * sizeof(*l->v));
            }
            l->v[l->n++] = c;
        }
    }
    if (rc == 0 && ferror(f))
        rc = sim_errf(err, "%s: read error", path);
    fclose(f);
    if (rc == 0 && l->n == 0)
        rc = sim_errf(err, "%s: no corruption listed", path);
    if (rc) {
        corrupt_list_free(l);
        return -1;
    }
    *out = l;
    return 0;
}

bool corrupt_caught(const struct corruption *c, enum check_verdict before, enum check_verdict after)
{
    /* the stored recording must not already give what the corruption should cause */
    if (c->must_fail)
        return before != CHECK_FAIL && after == CHECK_FAIL;
    return before == CHECK_PASS && after != CHECK_PASS;
}

/* ---- Files ----------------------------------------------------------------------- */

static int mkdir_p(const char *path, struct sim_err *err)
{
    char buf[1024];
    if (sim_strlcpy(buf, path, sizeof(buf)) >= sizeof(buf))
        return sim_errf(err, "%s: path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || !*p) {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return sim_errf(err, "%s: cannot create: %s", buf, strerror(errno));
            if (!saved)
                break;
            *p = saved;
        }
    }
    return 0;
}

static int read_file(const char *path, char **data, size_t *len, struct sim_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sim_errf(err, "%s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    char *buf = sim_xmalloc(cap + 1);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n, f)) > 0) {
        n += k;
        if (n == cap)
            buf = sim_xrealloc(buf, (cap *= 2) + 1);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return sim_errf(err, "%s: read error", path);
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

static int write_file(const char *path, const char *data, size_t len, struct sim_err *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return sim_errf(err, "%s: %s", path, strerror(errno));
    size_t k = len ? fwrite(data, 1, len, f) : 0;
    if (fclose(f) != 0 || k != len)
        return sim_errf(err, "%s: write error", path);
    return 0;
}

/* Copy every regular file of src into dst (created; old files replaced). */
static int copy_dir(const char *src, const char *dst, struct sim_err *err)
{
    if (mkdir_p(dst, err) != 0)
        return -1;
    DIR *d = opendir(src);
    if (!d)
        return sim_errf(err, "%s: cannot read the bundle: %s", src, strerror(errno));
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char from[2048], to[2048];
        snprintf(from, sizeof(from), "%s/%s", src, de->d_name);
        snprintf(to, sizeof(to), "%s/%s", dst, de->d_name);
        struct stat st;
        if (stat(from, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        char *data;
        size_t len;
        rc = read_file(from, &data, &len, err);
        if (rc == 0) {
            rc = write_file(to, data, len, err);
            free(data);
        }
    }
    closedir(d);
    return rc;
}

/* ---- Line operations ---------------------------------------------------------------- */

struct lines {
    char **v; /* owned, without newlines */
    size_t n;
    bool final_newline;
};

static void lines_free(struct lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
}

static int lines_read(const char *path, struct lines *l, struct sim_err *err)
{
    char *data;
    size_t len;
    if (read_file(path, &data, &len, err) != 0)
        return -1;
    memset(l, 0, sizeof(*l));
    l->final_newline = len && data[len - 1] == '\n';
    size_t cap = 0;
    for (char *p = data; *p;) {
        char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (l->n == cap) {
            cap = cap ? 2 * cap : 64;
            l->v = sim_xrealloc(l->v, cap * sizeof(*l->v));
        }
        l->v[l->n] = sim_xmalloc(n + 1);
        memcpy(l->v[l->n], p, n);
        l->v[l->n++][n] = '\0';
        p += n + (nl != NULL);
    }
    free(data);
    return 0;
}

static int lines_write(const char *path, const struct lines *l, struct sim_err *err)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return sim_errf(err, "%s: %s", path, strerror(errno));
    for (size_t i = 0; i < l->n; i++)
        fprintf(f, "%s%s", l->v[i], i + 1 < l->n || l->final_newline ? "\n" : "");
    if (fclose(f) != 0)
        return sim_errf(err, "%s: write error", path);
    return 0;
}

static long find_line(const struct lines *l, const char *text, unsigned nth)
{
    for (size_t i = 0; i < l->n; i++)
        if (strstr(l->v[i], text) && --nth == 0)
            return (long)i;
    return -1;
}

/* The time stamp of a line: "[   12.345678]" of a kernel line, or the
 * "timestamp" object of a QMP event; [*start, *end) or an empty span. */
static void stamp_span(const char *line, size_t *start, size_t *end)
{
    *start = *end = 0;
    const char *close;
    if (line[0] == '[' && (close = strchr(line, ']')) != NULL) {
        *end = (size_t)(close - line) + 1;
        return;
    }
    const char *ts = strstr(line, "\"timestamp\": {");
    if (ts && (close = strchr(ts, '}')) != NULL) {
        *start = (size_t)(ts - line);
        *end = (size_t)(close - line) + 1;
    }
}

/* line2 with line1's stamp. */
static char *with_stamp(const char *line1, const char *line2)
{
    size_t s1, e1, s2, e2;
    stamp_span(line1, &s1, &e1);
    stamp_span(line2, &s2, &e2);
    size_t n = s2 + (e1 - s1) + strlen(line2 + e2);
    char *out = sim_xmalloc(n + 1);
    memcpy(out, line2, s2);
    memcpy(out + s2, line1 + s1, e1 - s1);
    strcpy(out + s2 + (e1 - s1), line2 + e2);
    return out;
}

/* A new stamp `delta` ns later; -1 if the line has no stamp. */
static int retime(char **line, double delta_s)
{
    size_t s, e;
    stamp_span(*line, &s, &e);
    if (e == 0)
        return -1;
    char stamp[96];
    if ((*line)[0] == '[') {
        double t = strtod(*line + 1, NULL) + delta_s;
        if (t < 0)
            t = 0;
        long sec = (long)t;
        long usec = (long)((t - (double)sec) * 1e6 + 0.5);
        if (usec >= 1000000)
            sec++, usec -= 1000000;
        snprintf(stamp, sizeof(stamp), "[%5ld.%06ld]", sec, usec);
    } else {
        long long sec = 0, usec = 0;
        const char *p = strstr(*line + s, "\"seconds\": ");
        const char *q = strstr(*line + s, "\"microseconds\": ");
        if (!p || !q)
            return -1;
        sec = strtoll(p + 11, NULL, 10);
        usec = strtoll(q + 16, NULL, 10);
        long long t = sec * 1000000 + usec + (long long)(delta_s * 1e6);
        snprintf(stamp, sizeof(stamp), "\"timestamp\": {\"seconds\": %lld, \"microseconds\": %lld}",
                 t / 1000000, t % 1000000);
    }
    size_t n = s + strlen(stamp) + strlen(*line + e);
    char *out = sim_xmalloc(n + 1);
    memcpy(out, *line, s);
    strcpy(out + s, stamp);
    strcat(out, *line + e);
    free(*line);
    *line = out;
    return 0;
}

static int line_op(const struct corruption *c, const char *dir, struct sim_err *err)
{
    char path[2048];
    snprintf(path, sizeof(path), "%s/%s", dir, c->args[0]);
    struct lines l;
    if (lines_read(path, &l, err) != 0)
        return -1;
    int rc = -1;
    long i = find_line(&l, c->args[1], c->nth);
    if (i < 0 || (size_t)i >= l.n) {
        sim_errf(err, "%s: no line %u contains \"%s\" (corruption %s)", path, c->nth, c->args[1],
                 c->name);
        goto out;
    }
    SIM_ASSERT(l.v != NULL && (size_t)i < l.n); /* find_line found it */
    switch (c->op) {
    case CORRUPT_DROP:
        free(l.v[i]);
        memmove(&l.v[i], &l.v[i + 1], (l.n - (size_t)i - 1) * sizeof(*l.v));
        l.n--;
        break;
    case CORRUPT_DUP:
        l.v = sim_xrealloc(l.v, (l.n + 1) * sizeof(*l.v));
        memmove(&l.v[i + 1], &l.v[i], (l.n - (size_t)i) * sizeof(*l.v));
        l.v[i + 1] = sim_xstrdup(l.v[i]);
        l.n++;
        break;
    case CORRUPT_SWAP: {
        long j = find_line(&l, c->args[2], 1);
        if (j < 0 || j == i) {
            sim_errf(err, "%s: no other line contains \"%s\" (corruption %s)", path, c->args[2],
                     c->name);
            goto out;
        }
        char *a = with_stamp(l.v[i], l.v[j]);
        char *b = with_stamp(l.v[j], l.v[i]);
        free(l.v[i]);
        free(l.v[j]);
        l.v[i] = a;
        l.v[j] = b;
        break;
    }
    case CORRUPT_SHIFT:
    case CORRUPT_RETIME:
        for (size_t k = (size_t)i + 1; c->op == CORRUPT_SHIFT && k < l.n; k++)
            retime(&l.v[k], strtod(c->args[2], NULL)); /* lines without a stamp stay */
        if (retime(&l.v[i], strtod(c->args[2], NULL)) != 0) {
            sim_errf(err, "%s: the line with \"%s\" has no time stamp (corruption %s)", path,
                     c->args[1], c->name);
            goto out;
        }
        break;
    case CORRUPT_TRUNCATE:
        for (size_t k = (size_t)i; k < l.n; k++)
            free(l.v[k]);
        l.n = (size_t)i;
        break;
    case CORRUPT_EDIT: {
        char *at = strstr(l.v[i], c->args[1]);
        size_t pre = (size_t)(at - l.v[i]), old = strlen(c->args[1]);
        size_t n = strlen(l.v[i]) - old + strlen(c->args[2]);
        char *s = sim_xmalloc(n + 1);
        memcpy(s, l.v[i], pre);
        strcpy(s + pre, c->args[2]);
        strcat(s, at + old);
        free(l.v[i]);
        l.v[i] = s;
        break;
    }
    case CORRUPT_MOVE_FRAMES:
    case CORRUPT_NOPS:
        SIM_ASSERT(0);
    }
    rc = lines_write(path, &l, err);
out:
    lines_free(&l);
    return rc;
}

/* ---- Frames ------------------------------------------------------------------------- */

struct frame {
    sim_time t;
    uint32_t caplen, len;
    uint8_t *data;
    size_t order;
};

static int by_time(const void *a, const void *b)
{
    const struct frame *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* Append the records of path to *v; sets the link type and snaplen. */
static int read_frames(const char *path, struct frame **v, size_t *n, int *linktype,
                       uint32_t *snaplen, bool *nano, struct sim_err *err)
{
    struct pcap_reader *r;
    if (pcap_reader_open(path, &r, err) != 0)
        return -1;
    *linktype = pcap_reader_linktype(r);
    *snaplen = pcap_reader_snaplen(r);
    *nano = pcap_reader_nano(r);
    struct pcap_rec rec;
    int k;
    while ((k = pcap_reader_next(r, &rec, err)) == 1) {
        *v = sim_xrealloc(*v, (*n + 1) * sizeof(**v));
        struct frame *f = &(*v)[*n];
        f->t = rec.t;
        f->caplen = rec.caplen;
        f->len = rec.len;
        f->data = sim_xmalloc(rec.caplen ? rec.caplen : 1);
        memcpy(f->data, rec.data, rec.caplen);
        f->order = (*n)++;
    }
    pcap_reader_close(r);
    return k;
}

static int write_frames(const char *path, const struct frame *v, size_t n, int linktype,
                        uint32_t snaplen, bool nano, struct sim_err *err)
{
    struct pcap_writer *w;
    if (pcap_writer_open(path, linktype, snaplen, nano, &w, err) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = pcap_writer_put(w, v[i].t, v[i].data, v[i].caplen, v[i].len, err);
    if (pcap_writer_close(w, rc == 0 ? err : NULL) != 0)
        rc = -1;
    return rc;
}

static int move_frames(const struct corruption *c, const char *dir, struct sim_err *err)
{
    char from[2048], to[2048];
    snprintf(from, sizeof(from), "%s/%s", dir, c->args[0]);
    snprintf(to, sizeof(to), "%s/%s", dir, c->args[1]);
    struct frame *v = NULL;
    size_t n = 0, nfrom;
    int lt_from, lt_to, rc = -1;
    uint32_t snap_from, snap_to;
    bool nano_from, nano_to;
    if (read_frames(from, &v, &n, &lt_from, &snap_from, &nano_from, err) != 0)
        goto out;
    nfrom = n;
    if (read_frames(to, &v, &n, &lt_to, &snap_to, &nano_to, err) != 0)
        goto out;
    if (lt_from != lt_to) {
        sim_errf(err, "%s and %s have different link types (corruption %s)", from, to, c->name);
        goto out;
    }
    if (nfrom == 0) {
        sim_errf(err, "%s has no frame to move (corruption %s)", from, c->name);
        goto out;
    }
    qsort(v, n, sizeof(*v), by_time);
    if (write_frames(to, v, n, lt_to, snap_to > snap_from ? snap_to : snap_from, nano_to, err) ||
        write_frames(from, NULL, 0, lt_from, snap_from, nano_from, err))
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(v[i].data);
    free(v);
    return rc;
}

/* The corrupted copy stands for another recording, not a file cut after
 * one: the manifest's "bytes" take the edited files' sizes. */
static int refresh_sizes(const char *dir, struct sim_err *err)
{
    char path[2048], file[2048];
    snprintf(path, sizeof(path), "%s/%s", dir, BUNDLE_MANIFEST);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return sim_errf(err, "%s:%d: %s", path, je.line, je.text);
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(root, "files"), i, f) {
        const char *name = json_string_value(json_object_get(f, "path"));
        struct stat sb;
        if (!name || !json_object_get(f, "bytes"))
            continue;
        snprintf(file, sizeof(file), "%s/%s", dir, name);
        if (stat(file, &sb) == 0)
            json_object_set_new(f, "bytes", json_integer((json_int_t)sb.st_size));
    }
    int rc = json_dump_file(root, path, JSON_INDENT(2) | JSON_PRESERVE_ORDER) == 0
                 ? 0
                 : sim_errf(err, "%s: write failed", path);
    json_decref(root);
    return rc;
}

int corrupt_apply(const struct corruption *c, const char *dir, struct sim_err *err)
{
    int rc = c->op == CORRUPT_MOVE_FRAMES ? move_frames(c, dir, err) : line_op(c, dir, err);
    return rc == 0 ? refresh_sizes(dir, err) : rc;
}

/* ---- Checking the copy ------------------------------------------------------------------ */

/* fosim check of the bundle in dir: every verdict. */
static int check_dir(const char *dir, const char *name, enum check_verdict *verdicts,
                     struct sim_err *err)
{
    struct check *chk = check_bundle_dir(dir, err);
    if (!chk)
        return sim_err_prefix(err, "corruption %s", name);
    for (unsigned i = 0; i < SPEC_NIDS; i++)
        verdicts[i] = check_result_for(chk, (enum spec_id)i)->verdict;
    check_free(chk);
    return 0;
}

/* Simulate a catalog scenario with the reference model and record its
 * bundle in dir, as `fosim run --record` does. */
static int record_scenario(const char *path, const char *dir, struct sim_err *err)
{
    struct scenario *s = NULL;
    if (scn_load(path, &s, err) != 0)
        return -1;
    int rc = -1;
    struct sim_run *r = NULL;
    struct recorder *rec = NULL;
    struct check_ctx *ctx = sim_xcalloc(1, sizeof(*ctx));
    struct sim_run_config cfg = { .until = SIM_TIME_NONE };
    if (sim_run_new(s, &cfg, &r, err) != 0)
        goto out_scn;
    if (mkdir_p(dir, err) != 0 || record_open(dir, r, &rec, err) != 0)
        goto out_run;
    check_ctx_from_run(ctx, r);
    check_ctx_to_bundle(record_manifest(rec), ctx);
    sim_run_go(r);
    rc = record_finish(rec, err);
out_run:
    sim_run_free(r);
out_scn:
    free(ctx);
    scn_free(s);
    return rc;
}

int corrupt_run(const struct corruption *c, const char *root, const char *workdir,
                enum check_verdict *before, enum check_verdict *after, struct sim_err *err)
{
    char src[2048], dst[2048];
    snprintf(src, sizeof(src), "%s/%s", root, c->bundle);
    snprintf(dst, sizeof(dst), "%s/%s", workdir, c->name);
    size_t n = strlen(c->bundle);
    bool scenario = n > 4 && strcmp(c->bundle + n - 4, ".fos") == 0;
    if ((scenario ? record_scenario(src, dst, err) : copy_dir(src, dst, err)) != 0 ||
        check_dir(dst, c->name, before, err) != 0 ||
        corrupt_apply(c, dst, err) != 0 || check_dir(dst, c->name, after, err) != 0)
        return -1;
    return 0;
}

/* ---- The matrix's negative controls ------------------------------------------------ */

int trace_run_corruptions(struct trace_matrix *tm, const char *root, const char *work,
                          FILE *out, struct sim_err *err)
{
    char list[1024];
    snprintf(list, sizeof(list), "%s/conformance/corrupt/corruptions", root);
    struct corrupt_list *l;
    if (corrupt_load(list, &l, err) != 0)
        return -1;
    unsigned caught = 0;
    fprintf(out, "\ncorrupted recordings (conformance/corrupt/corruptions): each must fail the "
                 "assertion it names\n");
    int rc = 0;
    enum check_verdict *before = sim_xcalloc(SPEC_NIDS, sizeof(*before));
    enum check_verdict *after = sim_xcalloc(SPEC_NIDS, sizeof(*after));
    for (size_t i = 0; i < l->n; i++) {
        const struct corruption *c = &l->v[i];
        if (corrupt_run(c, root, work, before, after, err) != 0) {
            rc = -1;
            break;
        }
        bool ok = corrupt_caught(c, before[c->id], after[c->id]);
        caught += ok;
        fprintf(out, "%-8s %-34s %s %s: %s -> %s\n", ok ? "caught" : "MISSED", c->name,
                c->must_fail ? "fail" : "not-pass", spec_get(c->id)->id,
                check_verdict_upper(before[c->id]), check_verdict_upper(after[c->id]));
        if (!ok)
            trace_note_corruption_miss(tm, c->name);
        else if (after[c->id] == CHECK_FAIL)
            trace_note_trace_fail(tm, c->id, c->name);
        size_t blen = strlen(c->bundle);
        if (blen < 4 || strcmp(c->bundle + blen - 4, ".fos") != 0)
            for (unsigned a = 0; a < SPEC_NIDS; a++) /* a stored recording passes it */
                if (before[a] == CHECK_PASS)
                    trace_note_recording_pass(tm, (enum spec_id)a, c->bundle);
    }
    if (rc == 0)
        fprintf(out, "corrupted recordings: %u/%zu caught\n", caught, l->n);
    free(before);
    free(after);
    corrupt_list_free(l);
    return rc;
}
