/*
 * The QMP log reader (see sim/include/sim/qmp_log.h for the format and the
 * time rule).
 *
 * Lines are parsed one at a time.  The only buffering is at the start of a
 * file: lines before the first stamped line (the greeting, the replies to
 * qmp_capabilities) wait, at most QMP_LOG_MAX_LEADING of them, until that
 * stamp is known.
 */
#include "sim/qmp_log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/line_reader.h"

/* A decoded line, kept until the caller is done with it. */
struct qline {
    char *text;     /* owned copy of the line */
    json_t *json;   /* owned reference */
    struct obs o;   /* decoded; o.u.qmp.line/json point into this entry */
};

struct qmp_log {
    struct line_reader lr;
    char *name;                  /* owned */
    enum obs_host host;
    const struct clock_map *clock;
    struct qmp_log_stats st;
    sim_time last_event_t;       /* last event stamp (raw), for the monotonic check */
    uint64_t last_event_line;
    bool have_stamp;
    sim_time last_t;             /* last stamp (corrected), for unstamped lines */
    struct qline *pending;       /* lines before the first stamp (owned) */
    size_t npending, head;       /* queue [head, npending) */
    bool releasing;              /* pending lines are being handed out */
    struct qline cur;            /* the line handed out last (owned) */
};

static const char *const known_events[] = {
    "FAILOVER_NEGOTIATED", "UNPLUG_PRIMARY", "MIGRATION", "MIGRATION_PASS", "STOP", "RESUME",
    "DEVICE_DELETED", "DEVICE_UNPLUG_GUEST_ERROR", "SHUTDOWN", "POWERDOWN", "RESET",
    "NIC_RX_FILTER_CHANGED", "ACPI_DEVICE_OST", "SUSPEND", "WAKEUP", "GUEST_PANICKED",
};

bool qmp_event_known(const char *name)
{
    for (size_t i = 0; i < SIM_ARRAY_SIZE(known_events); i++)
        if (strcmp(name, known_events[i]) == 0)
            return true;
    return false;
}

int qmp_log_open(const char *path, const char *name, enum obs_host host,
                 const struct clock_map *clock, struct qmp_log **out, struct sim_err *err)
{
    struct qmp_log *q = calloc(1, sizeof(*q));
    if (!q)
        return sim_errf(err, "%s: out of memory", name);
    q->name = strdup(name);
    if (!q->name) {
        free(q);
        return sim_errf(err, "%s: out of memory", name);
    }
    if (line_reader_open(&q->lr, path, q->name, QMP_LOG_MAX_LINE, err) != 0)
        goto err_free_name;
    q->host = host;
    q->clock = clock;
    q->st.first_t = q->st.last_t = SIM_TIME_NONE;
    *out = q;
    return 0;
err_free_name:
    free(q->name);
    free(q);
    return -1;
}

static void qline_clear(struct qline *l)
{
    free(l->text);
    json_decref(l->json);
    memset(l, 0, sizeof(*l));
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

/* Parse and decode the reader's current line into l.  Returns 0 or -1. */
static int decode_line(struct qmp_log *q, struct qline *l, struct sim_err *err)
{
    struct line_reader *lr = &q->lr;
    size_t n = lr->len;
    if (n > 0 && lr->buf[n - 1] == '\r')
        n--;
    if (memchr(lr->buf, '\0', n))
        return sim_errf(err, "%s:%llu:%zu: expected a JSON object, found a NUL byte", q->name,
                        (unsigned long long)lr->line,
                        (size_t)((const char *)memchr(lr->buf, '\0', n) - lr->buf) + 1);
    json_error_t jerr;
    json_t *j = json_loadb(lr->buf, n, 0, &jerr);
    if (!j) {
        int col = jerr.column > 0 ? jerr.column : 1;
        char bound[64] = "";
        if (json_error_code(&jerr) == json_error_stack_overflow)
            snprintf(bound, sizeof(bound), " (the bound on JSON nesting is %d levels)",
                     JSON_PARSER_MAX_DEPTH);
        return sim_errf(err, "%s:%llu:%d: expected one JSON object per line: %s%s%s", q->name,
                        (unsigned long long)lr->line, col, jerr.text, bound,
                        lr->partial ? " (the last line is cut short: truncated file?)" : "");
    }
    l->text = malloc(n + 1);
    if (!l->text) {
        json_decref(j);
        return sim_errf(err, "%s: out of memory", q->name);
    }
    memcpy(l->text, lr->buf, n);
    l->text[n] = '\0';
    l->json = j;
    /* decoded into a local first: the static analyzer loses l->text when
     * a pointer into *l goes to another file's function */
    struct obs ob = { .host = q->host, .t = SIM_TIME_NONE,
                      .origin = { .file = q->name, .line = lr->line } };
    char msg[256];
    if (obs_decode_qmp(&ob, j, l->text, true, msg, sizeof(msg)) != 0) {
        sim_errf(err, "%s:%llu:1: %s", q->name, (unsigned long long)lr->line, msg);
        qline_clear(l);
        return -1;
    }
    l->o = ob;
    struct obs *o = &l->o;
    if (o->t != SIM_TIME_NONE)
        o->t += clock_map_offset(q->clock, lr->line);
    q->st.lines++;
    switch (o->kind) {
    case OBS_QMP_GREETING:
        q->st.greetings++;
        break;
    case OBS_QMP_COMMAND:
        q->st.commands++;
        break;
    case OBS_QMP_REPLY:
        q->st.replies++;
        break;
    case OBS_QMP_EVENT:
        q->st.events++;
        if (!qmp_event_known(o->u.qmp.name)) {
            if (q->st.unknown_events++ == 0)
                sim_strlcpy(q->st.first_unknown, o->u.qmp.name, sizeof(q->st.first_unknown));
        }
        break;
    default:
        break;
    }
    return 0;
}

/* Check an event stamp against the previous one; record a stamp. */
static int note_stamp(struct qmp_log *q, struct obs *o, struct sim_err *err)
{
    if (o->kind == OBS_QMP_EVENT) {
        sim_time raw = o->t - clock_map_offset(q->clock, o->origin.line);
        if (q->last_event_line && raw < q->last_event_t) {
            char a[32], b[32];
            sim_time_format(a, sizeof(a), raw);
            sim_time_format(b, sizeof(b), q->last_event_t);
            return sim_errf(err,
                            "%s:%llu:1: event timestamp %s is earlier than %s on line %llu: the "
                            "host clock went backwards, so this log cannot be ordered against "
                            "the other sources",
                            q->name, (unsigned long long)o->origin.line, a, b,
                            (unsigned long long)q->last_event_line);
        }
        q->last_event_t = raw;
        q->last_event_line = o->origin.line;
    }
    if (!q->have_stamp || o->t > q->last_t)
        q->last_t = o->t;
    q->have_stamp = true;
    if (q->st.first_t == SIM_TIME_NONE)
        q->st.first_t = o->t;
    q->st.last_t = q->last_t;
    return 0;
}

static int hand_out(struct qmp_log *q, struct qline *from, struct obs *o)
{
    qline_clear(&q->cur);
    q->cur = *from;
    memset(from, 0, sizeof(*from));
    q->cur.o.u.qmp.line = q->cur.text;
    q->cur.o.u.qmp.json = q->cur.json;
    *o = q->cur.o;
    return 1;
}

static int release_pending(struct qmp_log *q, struct obs *o)
{
    struct qline *l = &q->pending[q->head++];
    int rc = hand_out(q, l, o);
    if (q->head == q->npending) {
        free(q->pending);
        q->pending = NULL;
        q->npending = q->head = 0;
        q->releasing = false;
    }
    return rc;
}

static int push_pending(struct qmp_log *q, struct qline *l, bool stamped, struct sim_err *err)
{
    if (!stamped && q->npending == QMP_LOG_MAX_LEADING)
        return sim_errf(err,
                        "%s:%llu:1: %u lines without a timestamp before the first event: "
                        "cannot place this log in time",
                        q->name, (unsigned long long)l->o.origin.line, QMP_LOG_MAX_LEADING);
    struct qline *p = realloc(q->pending, (q->npending + 1) * sizeof(*p));
    if (!p)
        return sim_errf(err, "%s: out of memory", q->name);
    q->pending = p;
    q->pending[q->npending++] = *l;
    memset(l, 0, sizeof(*l));
    return 0;
}

int qmp_log_next(struct qmp_log *q, struct obs *o, struct sim_err *err)
{
    if (q->releasing)
        return release_pending(q, o);
    for (;;) {
        int rc = line_reader_next(&q->lr, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (q->lr.line == 0 && q->st.blank == 0)
                return sim_errf(err, "%s: empty file: expected QMP lines (greeting, "
                                     "commands, replies, events), one JSON object per line",
                                q->name);
            if (q->st.lines == 0)
                return sim_errf(err, "%s: no QMP line, only blank lines", q->name);
            if (q->npending == 0)
                return 0;
            /* No stamp anywhere: the lines go first, at time 0. */
            for (size_t i = 0; i < q->npending; i++) {
                q->pending[i].o.t = 0;
                q->pending[i].o.t_approx = true;
                q->st.approx++;
            }
            q->releasing = true;
            return release_pending(q, o);
        }
        if (blank(q->lr.buf, q->lr.len)) {
            q->st.blank++;
            continue;
        }
        struct qline l = { 0 };
        if (decode_line(q, &l, err) != 0)
            return -1;
        if (l.o.t != SIM_TIME_NONE) {
            if (note_stamp(q, &l.o, err) != 0) {
                qline_clear(&l);
                return -1;
            }
            if (q->npending == 0)
                return hand_out(q, &l, o);
            for (size_t i = 0; i < q->npending; i++)
                q->pending[i].o.t = l.o.t;
            if (push_pending(q, &l, true, err) != 0) {
                qline_clear(&l);
                return -1;
            }
            q->releasing = true;
            return release_pending(q, o);
        }
        l.o.t_approx = true;
        q->st.approx++;
        if (q->have_stamp) {
            l.o.t = q->last_t;
            return hand_out(q, &l, o);
        }
        if (push_pending(q, &l, false, err) != 0) {
            qline_clear(&l);
            return -1;
        }
    }
}

const struct qmp_log_stats *qmp_log_stats(const struct qmp_log *q)
{
    return &q->st;
}

void qmp_log_close(struct qmp_log *q)
{
    if (!q)
        return;
    for (size_t i = q->head; i < q->npending; i++)
        qline_clear(&q->pending[i]);
    free(q->pending);
    qline_clear(&q->cur);
    line_reader_close(&q->lr);
    free(q->name);
    free(q);
}
