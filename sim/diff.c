/*
 * Differential comparison of two runs (see sim/include/sim/diff.h).
 *
 * Why channels and an alignment rather than one merged timeline: two runs
 * of the same scenario interleave independent sources differently (a
 * console line and a QMP event a few ms apart may swap), while within one
 * source the order is meaningful and stable.  So each source keeps its own
 * order, sequences are aligned by their longest common subsequence, and
 * time is compared per matched item with a tolerance that grows with t
 * (boot speed differs between a TCG guest and the model by a few percent).
 */
#include "sim/diff.h"
#include "sim/scenario.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DIFF_CHANNELS(X)                                                       \
    X(EVENT, "event")       /* QMP events: name + data */                      \
    X(REPLY, "reply")       /* replies: command name + ok / error class */     \
    X(CONSOLE, "console")   /* failover-relevant guest console lines */        \
    X(STDERR, "stderr")     /* QEMU stderr lines */                            \
    X(ANNOUNCE, "announce") /* RARP self-announcements per capture role */     \
    X(PATH, "path")         /* datapath of the guest's echo requests (VM) */

enum diff_chan {
#define X(id, name) CH_##id,
    DIFF_CHANNELS(X)
#undef X
    CH_COUNT
};

static const char *const chan_names[] = {
#define X(id, name) name,
    DIFF_CHANNELS(X)
#undef X
};

struct item {
    sim_time t;   /* wall ns */
    sim_time up;  /* console lines: the guest's uptime stamp, else SIM_TIME_NONE */
    char *key;    /* compared for equality (owned) */
    char *where;  /* "file:line" evidence, or NULL (owned) */
};

struct chan {
    struct item *v;
    size_t n, cap;
};

struct cmd_name {
    char id[64];
    char name[48];
};

struct diff_run {
    char label[24];
    sim_time t0;
    bool uptime_is_t;                     /* console uptime 0 is t = 0 */
    struct chan ch[OBS_NHOSTS][CH_COUNT]; /* PATH lives in [OBS_SOURCE] */
    struct cmd_name *cmds;                /* command id -> name, for replies */
    size_t ncmds, capcmds;
    char last_path[64];                   /* current datapath run ("" = none) */
};

struct diff_known_entry {
    char *scn_glob;
    char *sig_glob;
    sim_time within; /* SIM_TIME_NONE, or the largest timing/duration offset it explains */
    char *reason;
    unsigned line;
    unsigned used;
};

struct diff_known {
    struct diff_known_entry *v;
    size_t n;
};

/* ---- reducing a run --------------------------------------------------------------- */

struct diff_run *diff_run_new(const char *label)
{
    struct diff_run *r = sim_xcalloc(1, sizeof(*r));
    sim_strlcpy(r->label, label, sizeof(r->label));
    r->uptime_is_t = true;
    return r;
}

void diff_run_set_uptime_is_t(struct diff_run *r, bool yes)
{
    r->uptime_is_t = yes;
}

void diff_run_free(struct diff_run *r)
{
    if (!r)
        return;
    for (int h = 0; h < OBS_NHOSTS; h++)
        for (int c = 0; c < CH_COUNT; c++) {
            for (size_t i = 0; i < r->ch[h][c].n; i++) {
                free(r->ch[h][c].v[i].key);
                free(r->ch[h][c].v[i].where);
            }
            free(r->ch[h][c].v);
        }
    free(r->cmds);
    free(r);
}

void diff_run_set_label(struct diff_run *r, const char *label)
{
    sim_strlcpy(r->label, label, sizeof(r->label));
}

void diff_run_set_t0(struct diff_run *r, sim_time t0)
{
    r->t0 = t0;
}

size_t diff_run_items(const struct diff_run *r)
{
    size_t n = 0;
    for (int h = 0; h < OBS_NHOSTS; h++)
        for (int c = 0; c < CH_COUNT; c++)
            n += r->ch[h][c].n;
    return n;
}

static void add(struct diff_run *r, enum obs_host h, enum diff_chan c, const struct obs *o,
                const char *key)
{
    struct chan *ch = &r->ch[h][c];
    if (ch->n == ch->cap) {
        ch->cap = ch->cap ? ch->cap * 2 : 64;
        ch->v = sim_xrealloc(ch->v, ch->cap * sizeof(*ch->v));
    }
    struct item *it = &ch->v[ch->n++];
    it->t = o->t;
    it->up = o->kind == OBS_KLOG ? o->u.klog.uptime : SIM_TIME_NONE;
    it->key = sim_xstrdup(key);
    it->where = NULL;
    if (o->origin.file) {
        char w[160];
        snprintf(w, sizeof(w), "%s:%llu", o->origin.file, (unsigned long long)o->origin.line);
        it->where = sim_xstrdup(w);
    }
}

static bool console_kind_compared(enum klog_kind k)
{
    switch (k) {
    case KLOG_OTHER:
    case KLOG_NET_OTHER:
    case KLOG_VIRTIO_NET_OTHER:
        return false;
    default:
        return true;
    }
}

/* "2026-11-25T20:25:18.045229Z " as QEMU's -msg timestamp=on prints it. */
static const char *strip_stamp(const char *s)
{
    size_t n = strlen(s);
    if (n > 28 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[26] == 'Z' && s[27] == ' ')
        return s + 28;
    return s;
}

static bool is_echo_request(const struct obs_frame *f)
{
    if (f->sll2 || f->ethertype != 0x0800 || !f->data || f->caplen < 14 + 20 + 1)
        return false;
    const uint8_t *ip = f->data + 14;
    unsigned ihl = (unsigned)(ip[0] & 0x0f) * 4;
    if ((ip[0] >> 4) != 4 || ip[9] != 1 || f->caplen < 14 + ihl + 1)
        return false;
    return ip[ihl] == 8;
}

static void note_command(struct diff_run *r, const struct obs *o)
{
    if (!o->u.qmp.id[0])
        return;
    if (r->ncmds == r->capcmds) {
        r->capcmds = r->capcmds ? r->capcmds * 2 : 32;
        r->cmds = sim_xrealloc(r->cmds, r->capcmds * sizeof(*r->cmds));
    }
    sim_strlcpy(r->cmds[r->ncmds].id, o->u.qmp.id, sizeof(r->cmds[0].id));
    sim_strlcpy(r->cmds[r->ncmds].name, o->u.qmp.name, sizeof(r->cmds[0].name));
    r->ncmds++;
}

static const char *command_of(const struct diff_run *r, const char *id)
{
    for (size_t i = r->ncmds; i-- > 0;)
        if (strcmp(r->cmds[i].id, id) == 0)
            return r->cmds[i].name;
    return "?";
}

void diff_run_sink(void *ctx, const struct obs *o)
{
    struct diff_run *r = ctx;
    if (o->vm != 0)
        return;
    char key[1024];
    switch (o->kind) {
    case OBS_QMP_GREETING:
        add(r, o->host, CH_REPLY, o, "greeting");
        break;
    case OBS_QMP_COMMAND:
        note_command(r, o);
        break;
    case OBS_QMP_REPLY:
        if (o->u.qmp.is_error)
            snprintf(key, sizeof(key), "%s error %s", command_of(r, o->u.qmp.id),
                     o->u.qmp.error_class);
        else
            snprintf(key, sizeof(key), "%s ok", command_of(r, o->u.qmp.id));
        add(r, o->host, CH_REPLY, o, key);
        break;
    case OBS_QMP_EVENT: {
        const json_t *data = o->u.qmp.json ? json_object_get(o->u.qmp.json, "data") : NULL;
        char *d = data ? json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
        snprintf(key, sizeof(key), "%s%s%s", o->u.qmp.name, d ? " " : "", d ? d : "");
        free(d);
        add(r, o->host, CH_EVENT, o, key);
        break;
    }
    case OBS_KLOG:
        if (console_kind_compared(o->u.klog.kind) && o->u.klog.text)
            add(r, o->host, CH_CONSOLE, o, o->u.klog.text);
        break;
    case OBS_HOSTLOG:
        if (o->u.hostlog.text)
            add(r, o->host, CH_STDERR, o, strip_stamp(o->u.hostlog.text));
        break;
    case OBS_FRAME: {
        const struct obs_frame *f = &o->u.frame;
        if (f->point && strcmp(f->point, "guest") == 0)
            break; /* in-guest captures: the host netdevs show the path */
        if (!f->sll2 && f->ethertype == 0x8035) {
            snprintf(key, sizeof(key), "RARP on %s", obs_role_name(f->role));
            add(r, o->host, CH_ANNOUNCE, o, key);
            break;
        }
        if (f->dir != OBS_DIR_FROM_GUEST || !is_echo_request(f))
            break;
        snprintf(key, sizeof(key), "echo requests via %s %s", obs_host_name(o->host),
                 obs_role_name(f->role));
        if (strcmp(key, r->last_path) != 0) {
            sim_strlcpy(r->last_path, key, sizeof(r->last_path));
            add(r, OBS_SOURCE, CH_PATH, o, key);
        }
        break;
    }
    case OBS_STATE:
    case OBS_END:
    case OBS_NKINDS:
        break;
    }
}

/* ---- known differences ---------------------------------------------------------------- */

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

int diff_known_load(const char *path, struct diff_known **out, struct sim_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return sim_errf(err, "%s: %s", path, strerror(errno));
    struct diff_known *k = sim_xcalloc(1, sizeof(*k));
    char line[4096];
    unsigned ln = 0;
    int rc = 0;
    for (;;) {
        /* one line, read byte by byte: a NUL byte is refused, not taken for
         * the line's end (fgets would hide what follows it) */
        size_t n = 0;
        int c;
        bool nul = false;
        while ((c = getc(f)) != EOF && c != '\n') {
            if (n == sizeof(line) - 2)
                break;
            if (c == '\0' && !nul) {
                nul = true;
                rc = sim_errf(err, "%s:%u:%zu: a NUL byte (a text line was expected)", path,
                              ln + 1, n + 1);
            }
            line[n++] = (char)c;
        }
        if (c == EOF && n == 0)
            break;
        line[n] = '\0';
        ln++;
        if (nul)
            break;
        if (c != EOF && c != '\n') {
            rc = sim_errf(err, "%s:%u:1: line longer than %zu bytes", path, ln, sizeof(line) - 2);
            break;
        }
        char *s = trim(line);
        if (!*s || *s == '#')
            continue;
        char *bar1 = strchr(s, '|');
        char *bar2 = bar1 ? strchr(bar1 + 1, '|') : NULL;
        char *bar3 = bar2 ? strchr(bar2 + 1, '|') : NULL;
        if (!bar1 || !bar2) {
            rc = sim_errf(err,
                          "%s:%u:1: expected SCENARIO-GLOB | SIGNATURE-GLOB | [within TIME |] REASON",
                          path, ln);
            break;
        }
        sim_time within = SIM_TIME_NONE;
        char *w = bar2 + 1;
        while (*w == ' ' || *w == '\t')
            w++;
        /* "within" as a word opens the bound: a time without a reason field or
         * words after the time are errors, never an entry that explains any
         * offset (its bound taken for the reason) */
        bool bound = strncmp(w, "within", 6) == 0 &&
                     (w[6] == ' ' || w[6] == '\t' || w[6] == '|' || w[6] == '\0');
        if (bound && !bar3) {
            const char *t = w + 6;
            while (*t == ' ' || *t == '\t')
                t++;
            if (!*t || isdigit((unsigned char)*t) || *t == '.' || *t == '-') {
                rc = sim_errf(err,
                              "%s:%u:%d: expected \"within TIME | REASON\" (the reason is missing)",
                              path, ln, (int)(w - line + 1));
                break;
            }
        }
        if (bound && bar3) { /* SCENARIO | SIGNATURE | within T | REASON */
            *bar3 = '\0';
            const char *end = NULL;
            if (sim_time_parse(trim(w + 6), &within, &end) != 0 || *end || within <= 0) {
                rc = sim_errf(err, "%s:%u:%d: expected \"within TIME\" (e.g. within 1.05s)",
                              path, ln, (int)(bar2 - line + 2));
                break;
            }
            *bar2 = '\0'; /* the signature ends here */
            bar2 = bar3;
        }
        *bar1 = *bar2 = '\0';
        char *scn = trim(s), *sig = trim(bar1 + 1), *why = trim(bar2 + 1);
        if (!*scn || !*sig || !*why) {
            rc = sim_errf(err, "%s:%u:%d: %s is empty", path, ln,
                          !*scn ? 1 : (int)(!*sig ? bar1 - line + 2 : bar2 - line + 2),
                          !*scn ? "the scenario glob" : !*sig ? "the signature glob" : "the reason");
            break;
        }
        k->v = sim_xrealloc(k->v, (k->n + 1) * sizeof(*k->v));
        k->v[k->n++] = (struct diff_known_entry){ .scn_glob = sim_xstrdup(scn),
                                                  .sig_glob = sim_xstrdup(sig),
                                                  .reason = sim_xstrdup(why),
                                                  .within = within,
                                                  .line = ln };
    }
    if (rc == 0 && ferror(f))
        rc = sim_errf(err, "%s: read error: %s", path, strerror(errno));
    fclose(f);
    if (rc != 0) {
        diff_known_free(k);
        return rc;
    }
    *out = k;
    return 0;
}

void diff_known_free(struct diff_known *k)
{
    if (!k)
        return;
    for (size_t i = 0; i < k->n; i++) {
        free(k->v[i].scn_glob);
        free(k->v[i].sig_glob);
        free(k->v[i].reason);
    }
    free(k->v);
    free(k);
}

/* ---- comparing ------------------------------------------------------------------------ */

void diff_options_default(struct diff_options *o)
{
    *o = (struct diff_options){
        .tol_abs = SIM_MS(400),
        .tol_rel = 0.03,
        .tol_duration = SIM_MS(300),
        .boot_end = SIM_TIME_NONE,
        .tol_boot = SIM_MS(2500),
    };
}

struct cmp {
    const struct diff_options *opt;
    FILE *out;
    struct diff_result *res;
    const char *la, *lb;
    unsigned *used; /* per known entry: matches in this comparison */
};

static sim_time abs_t(sim_time t)
{
    return t < 0 ? -t : t;
}

static void fmt_t(char *b, size_t n, sim_time t)
{
    bool neg = t < 0;
    if (neg)
        t = -t;
    snprintf(b, n, "%s%lld.%03lld", neg ? "-" : "", (long long)(t / 1000000000),
             (long long)(t % 1000000000 / 1000000));
}

/* A difference; `off` is how far a timing or duration is off (SIM_TIME_NONE
 * for others): an entry with a bound explains only what is within it. */
static void report(struct cmp *c, const char *chan, const char *what, const char *key,
                   const char *detail, sim_time off)
{
    char sig[1400];
    snprintf(sig, sizeof(sig), "%s %s %s", chan, what, key);
    c->res->differences++;
    const char *reason = NULL;
    const struct diff_known *k = c->opt->known;
    for (size_t i = 0; k && i < k->n; i++) {
        if (fnmatch(k->v[i].scn_glob, c->opt->scenario ? c->opt->scenario : "", 0) == 0 &&
            fnmatch(k->v[i].sig_glob, sig, 0) == 0 &&
            (k->v[i].within == SIM_TIME_NONE ||
             (off != SIM_TIME_NONE && off <= k->v[i].within))) {
            reason = k->v[i].reason;
            c->used[i]++;
            break;
        }
    }
    if (reason)
        c->res->explained++;
    else
        c->res->unexplained++;
    if (c->out) {
        fprintf(c->out, "  %s %s\n      %s\n", reason ? "known  " : "DIFFER ", sig, detail);
        if (reason)
            fprintf(c->out, "      known difference: %s\n", reason);
    }
}

/* An item's time since t = 0.  A console line's own stamp is the guest's
 * uptime, which is t itself where t = 0 is the guest's power-on (both the
 * simulator and a recording, doc/real.md): it is used rather than the
 * line's wall-clock time, which a recording can only estimate.  Before
 * t = 0 (a recording's set-up phase) counts as 0. */
static sim_time item_t(const struct item *it, const struct diff_run *r, bool use_uptime)
{
    sim_time t = use_uptime && it->up != SIM_TIME_NONE ? it->up : it->t - r->t0;
    return t < 0 ? 0 : t;
}

static int cmp_key_time(const void *x, const void *y)
{
    const struct item *a = x, *b = y;
    int k = strcmp(a->key, b->key);
    return k ? k : (a->t > b->t) - (a->t < b->t);
}

static sim_time tolerance(const struct diff_options *o, sim_time t)
{
    return o->tol_abs + (sim_time)(o->tol_rel * (double)(t < 0 ? -t : t));
}

/* The items of one side that the other lacks (those not matched as moved,
 * SIZE_MAX in idx): "only-in-<side>". */
static void report_only(struct cmp *c, const char *name, const struct chan *ch,
                        const struct diff_run *r, bool up, const size_t *idx, size_t n,
                        const char *side, const char *other)
{
    for (size_t k = 0; k < n; k++) {
        if (idx[k] == SIZE_MAX)
            continue;
        char what[40], t[32], detail[1600];
        const struct item *x = &ch->v[idx[k]];
        fmt_t(t, sizeof(t), item_t(x, r, up));
        snprintf(what, sizeof(what), "only-in-%s", side);
        snprintf(detail, sizeof(detail), "%s at %s s (%s); not in %s", side, t,
                 x->where ? x->where : "no origin", other);
        report(c, name, what, x->key, detail, SIM_TIME_NONE);
    }
}

/* Longest common subsequence of two channels, then a walk reporting.  A
 * matched item is on time when its time since t = 0, or its time since the
 * previous matched item of the channel, agrees within the tolerance: so a
 * late boot shows once (its first line), not on every line after it. */
static void compare_chan(struct cmp *c, const struct diff_run *a, const struct diff_run *b,
                         const struct chan *ca, const struct chan *cb, const char *name)
{
    size_t n = ca->n, m = cb->n;
    bool up = a->uptime_is_t && b->uptime_is_t;
    uint32_t *L = sim_xcalloc((n + 1) * (m + 1), sizeof(*L));
#define AT(i, j) L[(size_t)(i) * (m + 1) + (j)]
    for (size_t i = n; i-- > 0;)
        for (size_t j = m; j-- > 0;)
            AT(i, j) = strcmp(ca->v[i].key, cb->v[j].key) == 0
                           ? AT(i + 1, j + 1) + 1
                           : (AT(i + 1, j) > AT(i, j + 1) ? AT(i + 1, j) : AT(i, j + 1));
    size_t i = 0, j = 0;
    char detail[1600], ta[32], tb[32];
    sim_time p1 = 0, p2 = 0; /* previous matched item's times */
    size_t *ua = sim_xmalloc((n ? n : 1) * sizeof(*ua)), nua = 0; /* unmatched in a */
    size_t *ub = sim_xmalloc((m ? m : 1) * sizeof(*ub)), nub = 0; /* unmatched in b */
    while (i < n || j < m) {
        if (i < n && j < m && strcmp(ca->v[i].key, cb->v[j].key) == 0) {
            sim_time t1 = item_t(&ca->v[i], a, up), t2 = item_t(&cb->v[j], b, up);
            sim_time d = t2 - t1, dgap = (t2 - p2) - (t1 - p1);
            sim_time tol = tolerance(c->opt, t1 > t2 ? t1 : t2);
            sim_time tolgap = tolerance(c->opt, t1 - p1);
            if (c->opt->boot_end != SIM_TIME_NONE && t1 < c->opt->boot_end &&
                t2 < c->opt->boot_end && tol < c->opt->tol_boot)
                tol = c->opt->tol_boot; /* the guest's boot: host-load dependent */
            bool on_time = (d <= tol && d >= -tol) || (dgap <= tolgap && dgap >= -tolgap);
            fmt_t(ta, sizeof(ta), t1);
            fmt_t(tb, sizeof(tb), t2);
            c->res->matched++;
            p1 = t1;
            p2 = t2;
            if (!on_time) {
                char dd[32], tt[32], dg[32];
                fmt_t(dd, sizeof(dd), d);
                fmt_t(tt, sizeof(tt), tol);
                fmt_t(dg, sizeof(dg), dgap);
                snprintf(detail, sizeof(detail),
                         "%s at %s s, %s at %s s (%s s apart, %s s since the previous item; "
                         "tolerance %s s)",
                         c->la, ta, c->lb, tb, dd, dg, tt);
                report(c, name, "timing", ca->v[i].key, detail,
                   abs_t(d) < abs_t(dgap) ? abs_t(d) : abs_t(dgap));
            } else if (c->opt->verbose && c->out) {
                fprintf(c->out, "  same    %s %s\n      %s at %s s, %s at %s s\n", name,
                        ca->v[i].key, c->la, ta, c->lb, tb);
            }
            i++;
            j++;
        } else if (j >= m || (i < n && AT(i + 1, j) >= AT(i, j + 1))) {
            ua[nua++] = i++;
        } else {
            ub[nub++] = j++;
        }
    }
#undef AT
    free(L);
    /* An item both runs have, but placed differently among the channel's
     * other items, is one "order" difference, not two "only-in" ones. */
    for (size_t k = 0; k < nua; k++) {
        const struct item *x = &ca->v[ua[k]];
        size_t l = 0;
        while (l < nub && (ub[l] == SIZE_MAX || strcmp(cb->v[ub[l]].key, x->key) != 0))
            l++;
        if (l == nub)
            continue;
        const struct item *y = &cb->v[ub[l]];
        fmt_t(ta, sizeof(ta), item_t(x, a, up));
        fmt_t(tb, sizeof(tb), item_t(y, b, up));
        snprintf(detail, sizeof(detail),
                 "%s at %s s (%s), %s at %s s (%s): in another place among the channel's items",
                 c->la, ta, x->where ? x->where : "no origin", c->lb, tb,
                 y->where ? y->where : "no origin");
        report(c, name, "order", x->key, detail, SIM_TIME_NONE);
        ua[k] = SIZE_MAX;
        ub[l] = SIZE_MAX;
    }
    report_only(c, name, ca, a, up, ua, nua, c->la, c->lb);
    report_only(c, name, cb, b, up, ub, nub, c->lb, c->la);
    free(ua);
    free(ub);
}

/* Stay in each MIGRATION state (to the next MIGRATION event), first stay only. */
static bool stay(const struct chan *ev, const char *status, sim_time *out)
{
    char want[80];
    snprintf(want, sizeof(want), "MIGRATION {\"status\":\"%s\"}", status);
    for (size_t i = 0; i < ev->n; i++) {
        if (strcmp(ev->v[i].key, want) != 0)
            continue;
        for (size_t k = i + 1; k < ev->n; k++) {
            if (strncmp(ev->v[k].key, "MIGRATION {", 11) == 0) {
                *out = ev->v[k].t - ev->v[i].t;
                return true;
            }
        }
        return false;
    }
    return false;
}

static void compare_stays(struct cmp *c, const struct chan *ea, const struct chan *eb,
                          const char *host)
{
    static const char *const states[] = { "setup",      "wait-unplug", "active",
                                          "cancelling", "pre-switchover", "device" };
    for (size_t s = 0; s < SIM_ARRAY_SIZE(states); s++) {
        sim_time da, db;
        if (!stay(ea, states[s], &da) || !stay(eb, states[s], &db))
            continue;
        char ta[32], tb[32], chan[48], key[64], detail[256];
        fmt_t(ta, sizeof(ta), da);
        fmt_t(tb, sizeof(tb), db);
        snprintf(chan, sizeof(chan), "%s.migration", host);
        snprintf(key, sizeof(key), "stay %s", states[s]);
        sim_time d = db - da;
        sim_time tol = c->opt->tol_duration +
                       (sim_time)(c->opt->tol_rel * (double)(da > db ? da : db));
        if (d > tol || d < -tol) {
            char tt[32];
            fmt_t(tt, sizeof(tt), tol);
            snprintf(detail, sizeof(detail), "%s %s s, %s %s s (tolerance %s s)", c->la, ta, c->lb,
                     tb, tt);
            report(c, chan, "duration", key, detail, abs_t(d));
        } else if (c->out) {
            fprintf(c->out, "  same    %s %s: %s %s s, %s %s s\n", chan, key, c->la, ta, c->lb, tb);
        }
    }
}

void diff_compare(const struct diff_run *a, const struct diff_run *b,
                  const struct diff_options *opt, FILE *out, struct diff_result *res)
{
    memset(res, 0, sizeof(*res));
    size_t nk = opt->known ? opt->known->n : 0;
    struct cmp c = { .opt = opt, .out = out, .res = res, .la = a->label, .lb = b->label,
                     .used = sim_xcalloc(nk ? nk : 1, sizeof(unsigned)) };
    for (int h = 0; h < OBS_NHOSTS; h++) {
        for (int ch = 0; ch < CH_COUNT; ch++) {
            if (ch == CH_PATH && h != OBS_SOURCE)
                continue;
            char name[48];
            if (ch == CH_PATH)
                snprintf(name, sizeof(name), "%s", chan_names[ch]);
            else
                snprintf(name, sizeof(name), "%s.%s", obs_host_name((enum obs_host)h),
                         chan_names[ch]);
            if (ch == CH_ANNOUNCE) {
                /* announcements go out on every NIC at the same instants:
                 * compare them per capture role, not interleaved */
                struct chan sa = a->ch[h][ch], sb = b->ch[h][ch];
                sa.v = sim_xmalloc((sa.n ? sa.n : 1) * sizeof(*sa.v));
                sb.v = sim_xmalloc((sb.n ? sb.n : 1) * sizeof(*sb.v));
                if (sa.n)
                    memcpy(sa.v, a->ch[h][ch].v, sa.n * sizeof(*sa.v));
                if (sb.n)
                    memcpy(sb.v, b->ch[h][ch].v, sb.n * sizeof(*sb.v));
                qsort(sa.v, sa.n, sizeof(*sa.v), cmp_key_time);
                qsort(sb.v, sb.n, sizeof(*sb.v), cmp_key_time);
                compare_chan(&c, a, b, &sa, &sb, name);
                free(sa.v);
                free(sb.v);
                continue;
            }
            compare_chan(&c, a, b, &a->ch[h][ch], &b->ch[h][ch], name);
        }
        compare_stays(&c, &a->ch[h][CH_EVENT], &b->ch[h][CH_EVENT],
                      obs_host_name((enum obs_host)h));
    }
    for (size_t i = 0; i < nk; i++) {
        const struct diff_known_entry *e = &opt->known->v[i];
        if (c.used[i] || fnmatch(e->scn_glob, opt->scenario ? opt->scenario : "", 0) != 0)
            continue;
        res->stale++;
        if (out)
            fprintf(out, "  stale   known-differences line %u matched nothing: %s | %s\n", e->line,
                    e->scn_glob, e->sig_glob);
    }
    free(c.used);
}

/* ---- the scenario's boot ------------------------------------------------------------------ */

bool diff_scenario_paused(const struct scenario *s)
{
    const struct scn_args *a = &s->hosts[OBS_SOURCE].argv;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].text, "-S") == 0)
            return true;
    return false;
}

static bool is_cont(const struct scn_action *a)
{
    if (a->kind != SCN_ACT_QMP || !a->json)
        return false;
    json_t *j = json_loads(a->json, 0, NULL);
    const char *cmd = json_string_value(json_object_get(j, "execute"));
    bool cont = cmd && strcmp(cmd, "cont") == 0;
    json_decref(j);
    return cont;
}

sim_time diff_scenario_boot_end(const struct scenario *s)
{
    if (!s->nactions)
        return SIM_TIME_NONE;
    if (!diff_scenario_paused(s))
        return s->actions[0].at;
    size_t i = 0;
    while (i < s->nactions && !is_cont(&s->actions[i]))
        i++;
    if (i == s->nactions) /* the guest never runs: nothing boots */
        return s->actions[0].at;
    sim_time started = s->actions[i].at;
    for (; i < s->nactions; i++)
        if (s->actions[i].at > started)
            return s->actions[i].at;
    return INT64_MAX; /* booting to the end */
}
