/*
 * Evaluating a scenario's expectations over the observation stream.
 *
 * Every expectation keeps a little streaming state (a count, the time of the
 * first match, the position reached in an order) and is settled when the run
 * ends.  "device ID visible at T" samples the host model at T with an event
 * of its own.  Times in expectations are world times (seconds since the
 * run's start); observation times are wall-clock, so the world's epoch is
 * subtracted.
 */
#include "sim/expect.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sim/host.h"
#include "sim/traffic.h"
#include "sim/world.h"

struct exp_state {
    struct expect_outcome out;
    size_t nmatch;          /* matches so far */
    sim_time first, last;   /* world times of the first/last match */
    struct obs_origin first_origin;
    char first_file[64];
    size_t order_pos;       /* ORDER: items matched so far */
    sim_time entered;       /* DURATION: when the state was entered */
    sim_time duration;      /* DURATION: first complete stay, or NONE */
    bool sampled;           /* DEVICE: the sample ran */
    bool sample_ok;
    char label_id[80];      /* REPLY: the id the labelled command carried */
    bool reply_seen;
    struct sim_event sample;/* DEVICE: sampling event */
    struct expect_eval *ev;
};

struct expect_eval {
    struct sim_world *w;
    const struct scenario *s;
    struct exp_state *st;
    size_t n;
    sim_time end;           /* world time of the END observation */
};

static bool in_window(const struct scn_expect *e, sim_time t)
{
    return (e->from == SIM_TIME_NONE || t >= e->from) && (e->to == SIM_TIME_NONE || t <= e->to);
}

static void fmt_t(char *b, size_t n, sim_time t)
{
    sim_time_format_short(b, n, t);
}

/* Render a JSON scalar for comparison with a matcher's value text. */
static bool json_matches(const json_t *v, const char *want)
{
    if (!v)
        return false;
    if (json_is_string(v))
        return strcmp(json_string_value(v), want) == 0;
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    bool eq = s && strcmp(s, want) == 0;
    free(s);
    return eq;
}

static bool match_qmp(const struct scn_match *m, const struct obs *o)
{
    if (m->is_log) {
        return o->kind == OBS_KLOG && strstr(o->u.klog.text, m->name.text) != NULL;
    }
    if (o->kind != OBS_QMP_EVENT || strcmp(o->u.qmp.name, m->name.text) != 0)
        return false;
    const json_t *data = o->u.qmp.json ? json_object_get(o->u.qmp.json, "data") : NULL;
    for (size_t i = 0; i < m->nfields; i++) {
        const char *k = m->keys[i].text;
        const char *v = m->values[i].text;
        if (strcmp(k, "status") == 0 && !data) {
            if (strcmp(o->u.qmp.status, v) != 0)
                return false;
            continue;
        }
        if (!json_matches(data ? json_object_get(data, k) : NULL, v))
            return false;
    }
    return true;
}

static void note_first(struct exp_state *st, const struct obs *o, sim_time t)
{
    if (st->nmatch == 0) {
        st->first = t;
        st->first_origin = o->origin;
        if (o->origin.file)
            sim_strlcpy(st->first_file, o->origin.file, sizeof(st->first_file));
        st->first_origin.file = st->first_file;
    }
    st->last = t;
    st->nmatch++;
}

static void on_obs(void *ctx, const struct obs *o)
{
    struct expect_eval *ev = ctx;
    sim_time t = o->t - ev->w->epoch;
    if (o->kind == OBS_END)
        ev->end = t;
    if (o->vm != 0)
        return; /* expectations are about VM 0 (see sim/run.c) */
    for (size_t i = 0; i < ev->n; i++) {
        struct exp_state *st = &ev->st[i];
        const struct scn_expect *e = st->out.e;
        bool host_ok = e->any_host || o->host == e->host;
        switch (e->kind) {
        case SCN_EXPECT_EVENT:
            if (host_ok && in_window(e, t) && match_qmp(&e->items[0], o))
                note_first(st, o, t);
            break;
        case SCN_EXPECT_STATE:
            if (host_ok && o->kind == OBS_STATE && strcmp(o->u.state.entity, "migration") == 0 &&
                strcmp(o->u.state.to, e->subject.text) == 0 && in_window(e, t))
                note_first(st, o, t);
            break;
        case SCN_EXPECT_DURATION:
            if (host_ok && o->kind == OBS_STATE && strcmp(o->u.state.entity, "migration") == 0) {
                if (strcmp(o->u.state.to, e->subject.text) == 0 && st->entered == SIM_TIME_NONE &&
                    st->duration == SIM_TIME_NONE)
                    st->entered = t;
                else if (st->entered != SIM_TIME_NONE && st->duration == SIM_TIME_NONE &&
                         o->u.state.from && strcmp(o->u.state.from, e->subject.text) == 0)
                    st->duration = t - st->entered;
            }
            break;
        case SCN_EXPECT_REPLY:
            if (host_ok && o->kind == OBS_QMP_REPLY && st->label_id[0] && !st->reply_seen &&
                strcmp(o->u.qmp.id, st->label_id) == 0) {
                st->reply_seen = true;
                bool want_ok = strcmp(e->word.text, "ok") == 0;
                if (want_ok) {
                    st->out.result = o->u.qmp.is_error ? EXPECT_FAILED : EXPECT_HELD;
                    snprintf(st->out.why, sizeof(st->out.why), "reply: %s", o->u.qmp.line);
                } else if (!o->u.qmp.is_error) {
                    st->out.result = EXPECT_FAILED;
                    snprintf(st->out.why, sizeof(st->out.why), "succeeded: %s", o->u.qmp.line);
                } else if (e->detail.text && !strstr(o->u.qmp.error_desc, e->detail.text)) {
                    st->out.result = EXPECT_FAILED;
                    snprintf(st->out.why, sizeof(st->out.why), "error text was \"%s\"",
                             o->u.qmp.error_desc);
                } else {
                    st->out.result = EXPECT_HELD;
                    snprintf(st->out.why, sizeof(st->out.why), "error \"%s\"",
                             o->u.qmp.error_desc);
                }
            }
            break;
        case SCN_EXPECT_ORDER:
            if (host_ok && st->order_pos < e->nitems && match_qmp(&e->items[st->order_pos], o)) {
                if (st->order_pos == 0)
                    st->first = t;
                st->last = t;
                st->order_pos++;
            }
            break;
        case SCN_EXPECT_LOG:
            if (host_ok && o->kind == OBS_KLOG && in_window(e, t) &&
                strstr(o->u.klog.text, e->subject.text))
                note_first(st, o, t);
            break;
        case SCN_EXPECT_STDERR:
            if (host_ok && o->kind == OBS_HOSTLOG && in_window(e, t) &&
                strstr(o->u.hostlog.text, e->subject.text))
                note_first(st, o, t);
            break;
        case SCN_EXPECT_DEVICE:
        case SCN_EXPECT_VERDICT:
        case SCN_EXPECT_TRAFFIC:
            break;
        }
    }
}

static void sample_device(struct sim_world *w, struct sim_event *sev)
{
    struct exp_state *st = SIM_CONTAINER_OF(sev, struct exp_state, sample);
    const struct scn_expect *e = st->out.e;
    const struct host *h = w->vms[0].hosts[e->host];
    st->sampled = true;
    const char *want = e->word.text;
    bool vis = h && host_device_visible(h, e->subject.text);
    bool exists = h && host_device_exists(h, e->subject.text);
    if (strcmp(want, "visible") == 0)
        st->sample_ok = vis;
    else if (strcmp(want, "hidden") == 0)
        st->sample_ok = !vis;
    else if (strcmp(want, "present") == 0)
        st->sample_ok = exists;
    else
        st->sample_ok = !exists;
    snprintf(st->out.why, sizeof(st->out.why), "%s was %s%s", e->subject.text,
             !exists ? "absent" : vis ? "visible" : "hidden (exists in QEMU, not in the guest)",
             "");
}

struct expect_eval *expect_new(struct sim_world *w, const struct scenario *s)
{
    struct expect_eval *ev = sim_xcalloc(1, sizeof(*ev));
    ev->w = w;
    ev->s = s;
    ev->n = s->nexpects;
    ev->end = SIM_TIME_NONE;
    ev->st = sim_xcalloc(ev->n ? ev->n : 1, sizeof(*ev->st));
    for (size_t i = 0; i < ev->n; i++) {
        struct exp_state *st = &ev->st[i];
        st->ev = ev;
        st->out.e = &s->expects[i];
        st->out.result = EXPECT_PENDING;
        st->entered = st->duration = SIM_TIME_NONE;
        if (st->out.e->kind == SCN_EXPECT_DEVICE) {
            sim_event_init(&st->sample, sample_device, "expect-device");
            /* sample after everything else scheduled for that instant */
            sim_schedule_at(w, &st->sample, st->out.e->at);
        }
    }
    /* without expectations only the run's end is noted */
    sim_world_add_sink_kinds(w, on_obs, ev, ev->n ? OBS_ALL_KINDS : OBS_KIND_BIT(OBS_END));
    return ev;
}

void expect_note_label(struct expect_eval *ev, const char *label, const char *id_json)
{
    for (size_t i = 0; i < ev->n; i++) {
        struct exp_state *st = &ev->st[i];
        if (st->out.e->kind == SCN_EXPECT_REPLY && strcmp(st->out.e->subject.text, label) == 0)
            sim_strlcpy(st->label_id, id_json, sizeof(st->label_id));
    }
}

void expect_free(struct expect_eval *ev)
{
    if (!ev)
        return;
    for (size_t i = 0; i < ev->n; i++)
        sim_cancel(ev->w, &ev->st[i].sample);
    free(ev->st);
    free(ev);
}

static void window_text(char *b, size_t n, const struct scn_expect *e)
{
    char a[32] = "", z[32] = "";
    if (e->from == SIM_TIME_NONE && e->to == SIM_TIME_NONE) {
        b[0] = '\0';
        return;
    }
    if (e->from != SIM_TIME_NONE)
        fmt_t(a, sizeof(a), e->from);
    if (e->to != SIM_TIME_NONE)
        fmt_t(z, sizeof(z), e->to);
    snprintf(b, n, " in %s..%s", a, z);
}

static void settle_count(struct exp_state *st)
{
    const struct scn_expect *e = st->out.e;
    char win[80], t1[32], t2[32];
    window_text(win, sizeof(win), e);
    fmt_t(t1, sizeof(t1), st->first);
    fmt_t(t2, sizeof(t2), st->last);
    if (e->negated) {
        st->out.result = st->nmatch == 0 ? EXPECT_HELD : EXPECT_FAILED;
        if (st->nmatch)
            snprintf(st->out.why, sizeof(st->out.why), "seen %zu time(s), first at %s (%s:%llu)",
                     st->nmatch, t1, st->first_origin.file ? st->first_origin.file : "run",
                     (unsigned long long)st->first_origin.line);
        else
            snprintf(st->out.why, sizeof(st->out.why), "not seen%s", win);
        return;
    }
    bool ok = e->count < 0 ? st->nmatch > 0 : st->nmatch == (size_t)e->count;
    st->out.result = ok ? EXPECT_HELD : EXPECT_FAILED;
    if (st->nmatch == 0)
        snprintf(st->out.why, sizeof(st->out.why), "never seen%s", win);
    else if (st->nmatch == 1)
        snprintf(st->out.why, sizeof(st->out.why), "seen once, at %s (%s:%llu)", t1,
                 st->first_origin.file ? st->first_origin.file : "run",
                 (unsigned long long)st->first_origin.line);
    else
        snprintf(st->out.why, sizeof(st->out.why), "seen %zu times, first at %s, last at %s",
                 st->nmatch, t1, t2);
}

int expect_finish(struct expect_eval *ev, struct sim_err *err)
{
    for (size_t i = 0; i < ev->n; i++) {
        struct exp_state *st = &ev->st[i];
        const struct scn_expect *e = st->out.e;
        char t1[32], t2[32];
        switch (e->kind) {
        case SCN_EXPECT_EVENT:
        case SCN_EXPECT_STATE:
        case SCN_EXPECT_LOG:
        case SCN_EXPECT_STDERR:
            settle_count(st);
            break;
        case SCN_EXPECT_DURATION:
            if (st->duration == SIM_TIME_NONE) {
                st->out.result = EXPECT_FAILED;
                snprintf(st->out.why, sizeof(st->out.why), "%s",
                         st->entered == SIM_TIME_NONE ? "the state was never entered"
                                                      : "the state was never left");
            } else {
                st->out.result = in_window(e, st->duration) ? EXPECT_HELD : EXPECT_FAILED;
                fmt_t(t1, sizeof(t1), st->duration);
                fmt_t(t2, sizeof(t2), st->entered);
                snprintf(st->out.why, sizeof(st->out.why), "lasted %s (entered at %s)", t1, t2);
            }
            break;
        case SCN_EXPECT_DEVICE:
            if (!st->sampled) {
                st->out.result = EXPECT_FAILED;
                fmt_t(t1, sizeof(t1), e->at);
                snprintf(st->out.why, sizeof(st->out.why), "the run ended before %s", t1);
            } else {
                st->out.result = st->sample_ok ? EXPECT_HELD : EXPECT_FAILED;
            }
            break;
        case SCN_EXPECT_REPLY:
            if (!st->reply_seen) {
                st->out.result = EXPECT_FAILED;
                snprintf(st->out.why, sizeof(st->out.why), "no reply to '%s' was seen",
                         e->subject.text);
            }
            break;
        case SCN_EXPECT_ORDER:
            if (st->order_pos == e->nitems) {
                st->out.result = EXPECT_HELD;
                fmt_t(t1, sizeof(t1), st->first);
                fmt_t(t2, sizeof(t2), st->last);
                snprintf(st->out.why, sizeof(st->out.why), "in order from %s to %s", t1, t2);
            } else {
                st->out.result = EXPECT_FAILED;
                const struct scn_match *m = &e->items[st->order_pos];
                snprintf(st->out.why, sizeof(st->out.why), "item %zu (%s%s%s) not seen after item %zu",
                         st->order_pos + 1, m->is_log ? "log \"" : "", m->name.text,
                         m->is_log ? "\"" : "", st->order_pos);
            }
            break;
        case SCN_EXPECT_VERDICT:
            break;
        case SCN_EXPECT_TRAFFIC: {
            int r = traffic_expect(ev->w->vms[0].traffic, e, st->out.why, sizeof(st->out.why), err);
            if (r < 0)
                return -1;
            st->out.result = r ? EXPECT_HELD : EXPECT_FAILED;
            break;
        }
        }
    }
    return 0;
}

size_t expect_count(const struct expect_eval *ev)
{
    return ev->n;
}

const struct expect_outcome *expect_outcome(const struct expect_eval *ev, size_t i)
{
    return i < ev->n ? &ev->st[i].out : NULL;
}

void expect_settle_verdict(struct expect_eval *ev, size_t index, const char *verdict)
{
    struct exp_state *st = &ev->st[index];
    const struct scn_expect *e = st->out.e;
    if (!verdict) {
        st->out.result = EXPECT_FAILED;
        snprintf(st->out.why, sizeof(st->out.why), "no assertion %s in the catalog",
                 e->subject.text);
        return;
    }
    st->out.result = strcmp(verdict, e->word.text) == 0 ? EXPECT_HELD : EXPECT_FAILED;
    snprintf(st->out.why, sizeof(st->out.why), "verdict was %s", verdict);
}

unsigned expect_report(const struct expect_eval *ev, FILE *out)
{
    unsigned failed = 0;
    for (size_t i = 0; i < ev->n; i++) {
        const struct expect_outcome *o = &ev->st[i].out;
        const char *r = o->result == EXPECT_HELD ? "PASS" : o->result == EXPECT_FAILED ? "FAIL" : "----";
        if (o->result != EXPECT_HELD)
            failed++;
        fprintf(out, "  %s  %s:%u: %s -- %s\n", r, o->e->pos.file, o->e->pos.line, o->e->text,
                o->why);
    }
    return failed;
}
