/*
 * The checker engine: instantiate one monitor per catalog assertion, feed
 * them the stream, settle verdicts, and the helpers monitors decide with.
 *
 * A monitor whose needed sources were not given stays inactive and gets N/A
 * naming them.  The others count instances of their situation; at the end
 * FAIL wins over INCONCLUSIVE, INCONCLUSIVE over PASS, and a monitor that
 * counted nothing is N/A.  On a truncated trace a PASS becomes INCONCLUSIVE:
 * what held over the recorded part may not hold over the rest.
 */
#include "check.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "monitor.h"
#include "sim/err.h"

/* ---- Names ---------------------------------------------------------------- */

static const struct {
    const char *word, *upper;
} verdicts[] = {
#define X(id, word, upper) { word, upper },
    CHECK_VERDICTS(X)
#undef X
};

const char *check_verdict_name(enum check_verdict v)
{
    return (unsigned)v < CHECK_NVERDICTS ? verdicts[v].word : "?";
}

const char *check_verdict_upper(enum check_verdict v)
{
    return (unsigned)v < CHECK_NVERDICTS ? verdicts[v].upper : "?";
}

int check_verdict_parse(const char *s, enum check_verdict *out)
{
    for (unsigned v = 0; v < CHECK_NVERDICTS; v++) {
        if (strcasecmp(s, verdicts[v].word) == 0) {
            *out = (enum check_verdict)v;
            return 0;
        }
    }
    if (strcasecmp(s, "na") == 0) {
        *out = CHECK_NA;
        return 0;
    }
    return -1;
}

/* ---- Sources ---------------------------------------------------------------- */

bool ck_has(const struct check *c, enum obs_host h, enum spec_source s)
{
    const struct check_host *ch = &c->ctx.host[h];
    /* Commands are part of the QMP log: without the log they are not there. */
    if (s == SPEC_SRC_QMP_COMMANDS && !(ch->sources & (1u << SPEC_SRC_QMP)))
        return false;
    return ch->present && (ch->sources & (1u << s));
}

/* Is one SPEC_NEED_* bit satisfied? */
static bool need_met(const struct check *c, unsigned bit)
{
    for (unsigned k = 0; k < SPEC_NSOURCES; k++) {
        if (bit == SPEC_NEED_S(CONFIG) << k)
            return ck_has(c, OBS_SOURCE, (enum spec_source)k);
        if (bit == SPEC_NEED_T(CONFIG) << k)
            return ck_has(c, OBS_TARGET, (enum spec_source)k);
        if (bit == SPEC_NEED_ANY(CONFIG) << k)
            return ck_has(c, OBS_SOURCE, (enum spec_source)k) ||
                   ck_has(c, OBS_TARGET, (enum spec_source)k);
    }
    return false;
}

/* The needs of entry a; false with the missing ones in `why`. */
static bool needs_met(const struct check *c, const struct spec_entry *a, char *why, size_t n)
{
    unsigned missing = 0;
    for (unsigned b = 0; b < 32; b++)
        if ((a->needs & (1u << b)) && !need_met(c, 1u << b))
            missing |= 1u << b;
    bool alt_ok = a->alt == 0;
    for (unsigned b = 0; b < 32 && !alt_ok; b++)
        if ((a->alt & (1u << b)) && need_met(c, 1u << b))
            alt_ok = true;
    if (!missing && alt_ok)
        return true;
    char list[200];
    if (missing) {
        spec_needs_format(list, sizeof(list), missing, ", ");
        snprintf(why, n, "needs %s, not given", list);
    } else {
        spec_needs_format(list, sizeof(list), a->alt, " or ");
        snprintf(why, n, "needs %s, none given", list);
    }
    return false;
}

/* ---- The context --------------------------------------------------------------- */

void check_ctx_init(struct check_ctx *ctx)
{
    memset(ctx, 0, sizeof(*ctx));
}

struct check_device *check_ctx_add_device(struct check_ctx *ctx, enum obs_host h,
                                          const char *id, enum obs_role role)
{
    struct check_host *ch = &ctx->host[h];
    if (ch->ndev == CHECK_MAX_DEVICES)
        return NULL;
    struct check_device *d = &ch->dev[ch->ndev++];
    memset(d, 0, sizeof(*d));
    sim_strlcpy(d->id, id, sizeof(d->id));
    d->role = role;
    ch->present = true;
    return d;
}

void check_ctx_give(struct check_ctx *ctx, enum obs_host h, enum spec_source s)
{
    ctx->host[h].present = true;
    ctx->host[h].sources |= 1u << s;
}

/* ---- The engine ----------------------------------------------------------------- */

struct check *check_new(const struct check_ctx *ctx)
{
    struct check *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->ctx = *ctx;
    if (c->ctx.approx_tolerance <= 0)
        c->ctx.approx_tolerance = SIM_S(1);
    if (c->ctx.blackout_bound <= 0)
        c->ctx.blackout_bound = CHECK_DEFAULT_BLACKOUT;
    c->t_first = c->t_last = SIM_TIME_NONE;
    for (int h = 0; h < OBS_NHOSTS; h++)
        for (unsigned s = 0; s < SPEC_NSOURCES; s++)
            c->last[h][s] = SIM_TIME_NONE;
    c->mons = calloc(SPEC_NIDS, sizeof(*c->mons));
    c->results = calloc(SPEC_NIDS, sizeof(*c->results));
    if (!c->mons || !c->results)
        goto err_free_check;
    view_init(c);
    for (unsigned k = 0; k < OBS_NKINDS; k++) {
        c->bykind[k] = calloc(SPEC_NIDS, sizeof(struct mon *));
        if (!c->bykind[k])
            goto err_free_states;
    }
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        struct mon *m = &c->mons[i];
        m->def = monitor_table[i];
        m->c = c;
        m->a = &spec_table[i];
        m->res = &c->results[i];
        m->res->a = m->a;
        m->st = calloc(1, m->def->size ? m->def->size : 1);
        if (!m->st)
            goto err_free_states;
        m->active = needs_met(c, m->a, m->na_why, sizeof(m->na_why));
    }
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        struct mon *m = &c->mons[i];
        if (!m->active)
            continue;
        if (m->def->init)
            m->def->init(m);
        for (unsigned k = 0; k < OBS_NKINDS; k++)
            if (m->def->kinds & (1u << k))
                c->bykind[k][c->nbykind[k]++] = m;
    }
    return c;
err_free_states:
    check_free(c);
    return NULL;
err_free_check:
    free(c->mons);
    free(c->results);
    free(c);
    return NULL;
}

void check_free(struct check *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < SPEC_NIDS && c->mons; i++)
        free(c->mons[i].st);
    for (unsigned k = 0; k < OBS_NKINDS; k++)
        free(c->bykind[k]);
    free(c->mons);
    free(c->results);
    free(c);
}

void check_mark_truncated(struct check *c, const char *why)
{
    if (!c->truncated)
        sim_strlcpy(c->truncated_why, why && *why ? why : "a source was cut short",
                    sizeof(c->truncated_why));
    c->truncated = true;
}

void check_obs(struct check *c, const struct obs *o)
{
    SIM_ASSERT(!c->finished);
    if (o->kind == OBS_STATE || (unsigned)o->kind >= OBS_NKINDS)
        return; /* real traces have no state records: monitors never use them */
    if (o->kind == OBS_END) {
        if (o->u.end.truncated) {
            char why[200];
            snprintf(why, sizeof(why), "%s ended before its end",
                     o->u.end.what ? o->u.end.what : "a source");
            check_mark_truncated(c, why);
        } else if (c->ctx.end_covers) { /* every given source went on until now */
            for (int h = 0; h < OBS_NHOSTS; h++)
                for (unsigned s = 0; s < SPEC_NSOURCES; s++)
                    if (ck_has(c, (enum obs_host)h, (enum spec_source)s) &&
                        (c->last[h][s] == SIM_TIME_NONE || c->last[h][s] < o->t))
                        c->last[h][s] = o->t;
        }
        return;
    }
    if (o->vm != c->ctx.vm)
        return;
    if (c->t_first == SIM_TIME_NONE)
        c->t_first = o->t;
    c->t_last = o->t;
    c->nrecs++;
    sim_time *last = &c->last[o->host][ck_src(o)];
    if (*last == SIM_TIME_NONE || o->t > *last)
        *last = o->t;
    c->cur = o;
    view_pre(c, o);
    struct mon **ms = c->bykind[o->kind];
    for (unsigned i = 0, n = c->nbykind[o->kind]; i < n; i++)
        ms[i]->def->obs(ms[i], o);
    view_post(c, o);
    c->cur = NULL;
    c->cmd = NULL;
}

void check_sink(void *ctx, const struct obs *o)
{
    check_obs(ctx, o);
}

static void settle(struct check *c, struct mon *m)
{
    struct check_result *r = m->res;
    r->checked = m->npass + m->nfail;
    r->failed = m->nfail;
    r->unsure = m->nunsure;
    if (!m->active) {
        r->verdict = CHECK_NA;
        sim_strlcpy(r->why, m->na_why, sizeof(r->why));
    } else if (m->nfail) {
        r->verdict = CHECK_FAIL; /* why and evidence set by mon_fail */
    } else if (m->nunsure) {
        r->verdict = CHECK_INCONCLUSIVE;
        sim_strlcpy(r->why, m->unsure_why, sizeof(r->why));
    } else if (m->npass && c->truncated) {
        r->verdict = CHECK_INCONCLUSIVE;
        snprintf(r->why, sizeof(r->why),
                 "held in all %u instance(s) recorded, but the trace is truncated (%s)",
                 m->npass, c->truncated_why);
    } else if (m->npass) {
        r->verdict = CHECK_PASS;
        snprintf(r->why, sizeof(r->why), "held in all %u instance(s)", m->npass);
    } else {
        r->verdict = CHECK_NA;
        sim_strlcpy(r->why, m->na_why[0] ? m->na_why : "the situation never arose",
                    sizeof(r->why));
    }
}

void check_finish(struct check *c)
{
    SIM_ASSERT(!c->finished);
    for (unsigned i = 0; i < SPEC_NIDS; i++) {
        struct mon *m = &c->mons[i];
        if (m->active && m->def->end)
            m->def->end(m);
    }
    for (unsigned i = 0; i < SPEC_NIDS; i++)
        settle(c, &c->mons[i]);
    c->finished = true;
}

size_t check_count(const struct check *c)
{
    (void)c;
    return SPEC_NIDS;
}

const struct check_result *check_result(const struct check *c, size_t i)
{
    return i < SPEC_NIDS ? &c->results[i] : NULL;
}

const struct check_result *check_result_for(const struct check *c, enum spec_id id)
{
    return (unsigned)id < SPEC_NIDS ? &c->results[id] : NULL;
}

void check_totals(const struct check *c, unsigned out[CHECK_NVERDICTS])
{
    memset(out, 0, CHECK_NVERDICTS * sizeof(out[0]));
    for (unsigned i = 0; i < SPEC_NIDS; i++)
        out[c->results[i].verdict]++;
}

void check_area_totals(const struct check *c, enum spec_area a, unsigned out[CHECK_NVERDICTS])
{
    memset(out, 0, CHECK_NVERDICTS * sizeof(out[0]));
    for (unsigned i = 0; i < SPEC_NIDS; i++)
        if (spec_table[i].area == a)
            out[c->results[i].verdict]++;
}

bool check_truncated(const struct check *c)
{
    return c->truncated;
}

const char *check_truncated_why(const struct check *c)
{
    return c->truncated ? c->truncated_why : "";
}

const struct check_ctx *check_context(const struct check *c)
{
    return &c->ctx;
}

int check_exit_status(const struct check *c)
{
    unsigned t[CHECK_NVERDICTS];
    check_totals(c, t);
    if (t[CHECK_FAIL])
        return 1;
    if (t[CHECK_INCONCLUSIVE] || c->truncated || t[CHECK_PASS] == 0)
        return 3;
    return 0;
}

/* ---- Deciding (monitor.h) ---------------------------------------------------------- */

void mon_pass(struct mon *m)
{
    m->npass++;
}

static void evidence_from(struct check_evidence *e, const struct ck_rec *r)
{
    e->t = r->t;
    e->t_approx = r->t_approx;
    e->host = r->host;
    e->kind = r->kind;
    sim_strlcpy(e->file, r->file, sizeof(e->file));
    e->line = r->line;
    char buf[sizeof(r->text)];
    sim_strlcpy(e->seen, ck_rec_text(r, buf, sizeof(buf)), sizeof(e->seen));
}

void mon_cite(struct mon *m, const struct ck_rec *r)
{
    struct check_result *res = m->res;
    if (m->nfail != 1 || !r || !r->valid || res->nev == CHECK_MAX_EVIDENCE)
        return;
    char buf[sizeof(r->text)];
    const char *text = ck_rec_text(r, buf, sizeof(buf));
    for (unsigned i = 0; i < res->nev; i++) /* cite a record once */
        if (res->ev[i].t == r->t && res->ev[i].line == r->line &&
            strcmp(res->ev[i].file, r->file) == 0 && strcmp(res->ev[i].seen, text) == 0)
            return;
    evidence_from(&res->ev[res->nev++], r);
}

static void vfail(struct mon *m, const struct ck_rec *r, const char *fmt, va_list ap)
{
    m->nfail++;
    if (m->nfail != 1)
        return;
    vsnprintf(m->res->why, sizeof(m->res->why), fmt, ap);
    mon_cite(m, r);
}

void mon_fail(struct mon *m, const struct obs *o, const char *required, ...)
{
    struct ck_rec r = { .valid = false };
    if (o)
        ck_keep(&r, o);
    va_list ap;
    va_start(ap, required);
    vfail(m, o ? &r : NULL, required, ap);
    va_end(ap);
}

void mon_fail_rec(struct mon *m, const struct ck_rec *r, const char *required, ...)
{
    va_list ap;
    va_start(ap, required);
    vfail(m, r, required, ap);
    va_end(ap);
}

void mon_unsure(struct mon *m, const char *why, ...)
{
    m->nunsure++;
    if (m->nunsure != 1)
        return;
    va_list ap;
    va_start(ap, why);
    vsnprintf(m->unsure_why, sizeof(m->unsure_why), why, ap);
    va_end(ap);
}

void mon_na(struct mon *m, const char *why, ...)
{
    va_list ap;
    va_start(ap, why);
    vsnprintf(m->na_why, sizeof(m->na_why), why, ap);
    va_end(ap);
}

/* ---- Records and order ----------------------------------------------------------- */

enum spec_source ck_src(const struct obs *o)
{
    switch (o->kind) {
    case OBS_KLOG:
        return SPEC_SRC_CONSOLE;
    case OBS_HOSTLOG:
        return SPEC_SRC_STDERR;
    case OBS_FRAME:
        /* the first letter rules out most host capture points */
        return o->u.frame.point && o->u.frame.point[0] == 'g' &&
                       strcmp(o->u.frame.point, "guest") == 0
                   ? SPEC_SRC_GUEST_PCAP
                   : SPEC_SRC_HOST_PCAP;
    default:
        return SPEC_SRC_QMP;
    }
}

static void frame_text(char *buf, size_t n, const char *point, const struct ck_frame_sum *f)
{
    snprintf(buf, n,
             "frame at %s (%s) %s %02x:%02x:%02x:%02x:%02x:%02x > "
             "%02x:%02x:%02x:%02x:%02x:%02x ethertype 0x%04x len %u",
             f->no_point ? "?" : point, obs_role_name(f->role),
             f->dir == OBS_DIR_FROM_GUEST ? "from guest"
             : f->dir == OBS_DIR_TO_GUEST ? "to guest"
                                          : "?",
             f->src[0], f->src[1], f->src[2], f->src[3], f->src[4], f->src[5], f->dst[0],
             f->dst[1], f->dst[2], f->dst[3], f->dst[4], f->dst[5], f->ethertype, f->len);
}

const char *ck_rec_text(const struct ck_rec *r, char *buf, size_t n)
{
    if (!r->text_lazy)
        return r->text;
    frame_text(buf, n, r->point, &r->fr);
    return buf;
}

void ck_keep(struct ck_rec *r, const struct obs *o)
{
    r->valid = true;
    r->t = o->t;
    r->seq = o->seq;
    r->t_approx = o->t_approx;
    r->host = o->host;
    r->kind = o->kind;
    r->src = ck_src(o);
    r->point[0] = '\0';
    r->text_lazy = false;
    sim_strlcpy(r->file, o->origin.file ? o->origin.file : "", sizeof(r->file));
    r->line = o->origin.line;
    switch (o->kind) {
    case OBS_QMP_GREETING:
    case OBS_QMP_COMMAND:
    case OBS_QMP_REPLY:
    case OBS_QMP_EVENT:
        sim_strlcpy(r->text, o->u.qmp.line ? o->u.qmp.line : "", sizeof(r->text));
        break;
    case OBS_KLOG:
        sim_strlcpy(r->text, o->u.klog.text ? o->u.klog.text : "", sizeof(r->text));
        break;
    case OBS_HOSTLOG:
        sim_strlcpy(r->text, o->u.hostlog.text ? o->u.hostlog.text : "", sizeof(r->text));
        break;
    case OBS_FRAME: {
        const struct obs_frame *f = &o->u.frame;
        r->fr = (struct ck_frame_sum){ .role = f->role, .dir = f->dir, .no_point = !f->point,
                                       .ethertype = f->ethertype, .len = f->len };
        memcpy(r->fr.src, f->src, 6);
        memcpy(r->fr.dst, f->dst, 6);
        /* the text is made when the record is cited, from r->point: unless
         * the point is longer than r->point holds */
        r->text_lazy = sim_strlcpy(r->point, f->point ? f->point : "", sizeof(r->point)) <
                       sizeof(r->point);
        if (!r->text_lazy)
            frame_text(r->text, sizeof(r->text), f->point, &r->fr);
        return;
    }
    default:
        r->text[0] = '\0';
        break;
    }
}

static sim_time sat_add(sim_time a, sim_time b)
{
    if (a == CHECK_TOL_UNALIGNED || b == CHECK_TOL_UNALIGNED || a > SIM_TIME_MAX - b)
        return CHECK_TOL_UNALIGNED;
    return a + b;
}

sim_time ck_tol(const struct check *c, const struct ck_rec *r)
{
    sim_time t = c->ctx.host[r->host].tolerance[r->src];
    if (t < 0)
        t = 0;
    if (r->t_approx)
        t = sat_add(t, c->ctx.approx_tolerance);
    return t;
}

static bool same_file(const struct ck_rec *a, const struct ck_rec *b)
{
    return a->host == b->host && a->src == b->src &&
           (a->src != SPEC_SRC_HOST_PCAP || strcmp(a->point, b->point) == 0);
}

/* The tolerance between two records of different files. */
static sim_time pair_tol(const struct check *c, const struct ck_rec *a, const struct ck_rec *b)
{
    sim_time tol = sat_add(ck_tol(c, a), ck_tol(c, b));
    if (a->host != b->host)
        tol = sat_add(tol, c->ctx.host_skew < 0 ? 0 : c->ctx.host_skew);
    return tol;
}

int ck_order(const struct check *c, const struct ck_rec *a, const struct ck_rec *b)
{
    if (same_file(a, b))
        return a->seq < b->seq ? -1 : a->seq > b->seq ? 1 : 0;
    sim_time tol = pair_tol(c, a, b);
    if (tol == CHECK_TOL_UNALIGNED)
        return 0;
    if (a->t < b->t && b->t - a->t > tol)
        return -1;
    if (b->t < a->t && a->t - b->t > tol)
        return 1;
    return 0;
}

int ck_order_cur(const struct check *c, const struct ck_rec *a)
{
    struct ck_rec cur;
    SIM_ASSERT(c->cur != NULL);
    ck_keep(&cur, c->cur);
    return ck_order(c, a, &cur);
}

bool ck_covered_t(const struct check *c, enum obs_host h, enum spec_source s, sim_time t,
                  sim_time tol)
{
    sim_time last = c->last[h][s];
    if (last == SIM_TIME_NONE || t == SIM_TIME_NONE)
        return false;
    tol = sat_add(tol, c->ctx.host[h].tolerance[s] < 0 ? 0 : c->ctx.host[h].tolerance[s]);
    if (tol == CHECK_TOL_UNALIGNED)
        return false;
    return last > sat_add(t, tol);
}

bool ck_covered(const struct check *c, enum obs_host h, enum spec_source s, const struct ck_rec *a,
                sim_time d)
{
    sim_time tol = ck_tol(c, a);
    if (a->host != h)
        tol = sat_add(tol, c->ctx.host_skew < 0 ? 0 : c->ctx.host_skew);
    return ck_covered_t(c, h, s, a->t + d, tol);
}

bool ck_frames_covered(const struct check *c, sim_time t)
{
    for (int h = 0; h < OBS_NHOSTS; h++)
        if (ck_covered_t(c, (enum obs_host)h, SPEC_SRC_HOST_PCAP, t, 0) ||
            ck_covered_t(c, (enum obs_host)h, SPEC_SRC_GUEST_PCAP, t, 0))
            return true;
    return false;
}

/* ---- Small helpers ------------------------------------------------------------------ */

bool ck_is_event(const struct obs *o, const char *name)
{
    return o->kind == OBS_QMP_EVENT && strcmp(o->u.qmp.name, name) == 0;
}

bool ck_is_command(const struct obs *o, const char *name)
{
    return o->kind == OBS_QMP_COMMAND && strcmp(o->u.qmp.name, name) == 0;
}

const char *ck_migration(const struct obs *o)
{
    return ck_is_event(o, "MIGRATION") ? o->u.qmp.status : NULL;
}

bool ck_is_reply_to(const struct check *c, const struct obs *o, const char *name)
{
    return o->kind == OBS_QMP_REPLY && c->cmd && strcmp(c->cmd->name, name) == 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

bool ck_find_mac(const char *text, uint8_t mac[6])
{
    bool found = false;
    size_t n = text ? strlen(text) : 0;
    for (size_t i = 0; i + 17 <= n; i++) {
        if (i > 0 && (hexval(text[i - 1]) >= 0 || text[i - 1] == ':'))
            continue;
        uint8_t m[6];
        size_t k;
        for (k = 0; k < 6; k++) {
            const char *p = text + i + 3 * k;
            int hi = hexval(p[0]), lo = hexval(p[1]);
            if (hi < 0 || lo < 0 || (k < 5 && p[2] != ':'))
                break;
            m[k] = (uint8_t)(hi << 4 | lo);
        }
        if (k < 6)
            continue;
        char after = text[i + 17];
        if (hexval(after) >= 0 || after == ':')
            continue;
        memcpy(mac, m, 6);
        found = true;
    }
    return found;
}

void ck_mac_str(char *buf, size_t n, const uint8_t mac[6])
{
    snprintf(buf, n, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
             mac[5]);
}

/* ---- QMP and console helpers (monitor.h) ------------------------------------------ */

static bool qpci_shape(const json_t *ret)
{
    if (!json_is_array(ret) || json_array_size(ret) == 0)
        return false;
    const json_t *bus = json_array_get(ret, 0);
    return json_is_object(bus) && json_is_array(json_object_get(bus, "devices")) &&
           json_object_get(bus, "bus") != NULL;
}

bool ck_is_qpci(const struct check *c, const struct obs *o)
{
    if (o->kind != OBS_QMP_REPLY || o->u.qmp.is_error)
        return false;
    if (c->cmd)
        return strcmp(c->cmd->name, "query-pci") == 0;
    return qpci_shape(json_object_get(o->u.qmp.json, "return"));
}

static bool devices_list(const json_t *devices, const char *qdev_id, int depth)
{
    size_t i;
    const json_t *d;
    if (depth > 16)
        return false;
    json_array_foreach(devices, i, d)
    {
        const json_t *id = json_object_get(d, "qdev_id");
        if (json_is_string(id) && strcmp(json_string_value(id), qdev_id) == 0)
            return true;
        const json_t *bridge = json_object_get(d, "pci_bridge");
        if (bridge && devices_list(json_object_get(bridge, "devices"), qdev_id, depth + 1))
            return true;
    }
    return false;
}

bool ck_qpci_lists(const struct obs *o, const char *qdev_id)
{
    const json_t *ret = json_object_get(o->u.qmp.json, "return");
    size_t i;
    const json_t *bus;
    json_array_foreach(ret, i, bus)
    {
        if (devices_list(json_object_get(bus, "devices"), qdev_id, 0))
            return true;
    }
    return false;
}

bool ck_mig_running(const char *status)
{
    static const char *const running[] = { "setup",          "wait-unplug",  "active",
                                           "pre-switchover", "device",       "cancelling",
                                           "postcopy-active", "postcopy-paused",
                                           "postcopy-recover" };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(running); i++)
        if (strcmp(status, running[i]) == 0)
            return true;
    return false;
}

bool ck_nic_mac(const struct obs *o, uint8_t mac[6])
{
    if (o->kind != OBS_KLOG)
        return false;
    const struct obs_klog *k = &o->u.klog;
    if (!k->driver[0] || strcmp(k->driver, "virtio_net") == 0 || !k->ifname[0] ||
        strchr(k->ifname, ':'))
        return false;
    if (k->kind != KLOG_NIC_PROBE && k->kind != KLOG_NET_OTHER && k->kind != KLOG_NIC_LINK_UP &&
        k->kind != KLOG_NIC_LINK_DOWN)
        return false;
    return ck_find_mac(k->text, mac);
}

struct view_dev *ck_primary_appears(struct check *c, const struct obs *o)
{
    uint8_t mac[6];
    struct view_host *vh = &c->view.host[o->host];
    if (ck_nic_mac(o, mac)) {
        for (unsigned i = 0; i < vh->ndev; i++) {
            struct view_dev *d = &vh->dev[i];
            if (d->role == OBS_ROLE_PRIMARY && d->has_mac && memcmp(d->mac, mac, 6) == 0)
                return d;
        }
        return NULL;
    }
    if (!ck_klog(o, KLOG_FO_PRIMARY_REGISTERED))
        return NULL;
    struct view_dev *only = NULL;
    unsigned n = 0;
    for (unsigned i = 0; i < vh->ndev; i++) {
        if (vh->dev[i].role == OBS_ROLE_PRIMARY && !vh->dev[i].deleted) {
            only = &vh->dev[i];
            n++;
        }
    }
    return n == 1 ? only : NULL;
}

const char *ck_removal(const struct obs *o)
{
    if (o->kind != OBS_KLOG)
        return NULL;
    const struct obs_klog *k = &o->u.klog;
    if (k->kind == KLOG_FO_PRIMARY_UNREGISTERED || k->kind == KLOG_NIC_REMOVE)
        return k->ifname[0] ? k->ifname : NULL;
    return NULL;
}

bool ck_hidden(struct check *c, enum obs_host h, const struct view_dev *d)
{
    if (d->role != OBS_ROLE_PRIMARY || !d->hideable || d->deleted || d->created)
        return false;
    const struct view_dev *s = view_dev(c, h, d->pair);
    return s && s->role == OBS_ROLE_STANDBY && !s->negotiated;
}

void ck_note(struct ck_rec *r, const struct ck_rec *like, enum obs_host h, enum spec_source src,
             const char *fmt, ...)
{
    memset(r, 0, sizeof(*r));
    r->valid = true;
    r->host = h;
    r->src = src;
    r->kind = src == SPEC_SRC_CONSOLE  ? OBS_KLOG
              : src == SPEC_SRC_STDERR ? OBS_HOSTLOG
              : src == SPEC_SRC_QMP    ? OBS_QMP_EVENT
                                       : OBS_FRAME;
    r->t = SIM_TIME_NONE;
    if (like && like->valid) {
        sim_strlcpy(r->file, like->file, sizeof(r->file));
        r->t = like->t;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->text, sizeof(r->text), fmt, ap);
    va_end(ap);
}
