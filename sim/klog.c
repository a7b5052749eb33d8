/*
 * The guest console reader (see sim/include/sim/klog.h).
 *
 * Each line is cleaned in place (leading "\r", control bytes and ANSI
 * escape sequences dropped, control bytes inside the text shown as '?'),
 * then split into stamp and text; lines without a stamp are counted and
 * skipped.
 */
#include "sim/klog.h"

#include <stdlib.h>
#include <string.h>

#include "sim/line_reader.h"

struct klog_reader {
    struct line_reader lr;
    char *name; /* owned */
    enum obs_host host;
    const struct clock_map *clock;
    struct klog_stats st;
    sim_time prev_uptime;
    bool allow_empty;
};

static void reset_stats(struct klog_reader *k)
{
    memset(&k->st, 0, sizeof(k->st));
    k->st.first_uptime = k->st.last_uptime = SIM_TIME_NONE;
    k->prev_uptime = SIM_TIME_NONE;
}

int klog_open(const char *path, const char *name, enum obs_host host,
              const struct clock_map *clock, struct klog_reader **out, struct sim_err *err)
{
    struct klog_reader *k = calloc(1, sizeof(*k));
    if (!k)
        return sim_errf(err, "%s: out of memory", name);
    k->name = strdup(name);
    if (!k->name) {
        free(k);
        return sim_errf(err, "%s: out of memory", name);
    }
    if (line_reader_open(&k->lr, path, k->name, KLOG_MAX_LINE, err) != 0) {
        free(k->name);
        free(k);
        return -1;
    }
    k->host = host;
    k->clock = clock;
    reset_stats(k);
    *out = k;
    return 0;
}

int klog_rewind(struct klog_reader *k, const struct clock_map *clock, struct sim_err *err)
{
    k->clock = clock;
    reset_stats(k);
    return line_reader_rewind(&k->lr, err);
}

/* Skip leading "\r", control bytes and ANSI escape sequences. */
static char *skip_junk(struct klog_reader *k, char *p, char *end)
{
    while (p < end && *p != '[') {
        unsigned char c = (unsigned char)*p;
        if (c == 0x1b) { /* ESC [ params final-byte, or ESC + one byte */
            p++;
            if (p < end && *p == '[') {
                p++;
                while (p < end && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x40)
                    p++;
                if (p < end)
                    p++;
            } else if (p < end) {
                p++;
            }
            k->st.junk_bytes++;
            continue;
        }
        if (c < 0x20 || c == 0x7f) {
            p++;
            k->st.junk_bytes++;
            continue;
        }
        break;
    }
    return p;
}

/* Replace control bytes in the text (ESC sequences included) with '?' and
 * cut trailing blanks and junk (control or non-ASCII bytes). */
static void clean_text(struct klog_reader *k, char *p, char *end)
{
    while (end > p && ((unsigned char)end[-1] < 0x21 || (unsigned char)end[-1] >= 0x7f)) {
        if (end[-1] != '\r' && end[-1] != ' ')
            k->st.junk_bytes++;
        *--end = '\0';
    }
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f) {
            *p = '?';
            k->st.junk_bytes++;
        }
    }
}

int klog_next(struct klog_reader *k, struct obs *o, struct sim_err *err)
{
    for (;;) {
        int rc = line_reader_next(&k->lr, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            if (k->lr.line == 0 && k->allow_empty)
                return 0;
            if (k->lr.line == 0)
                return sim_errf(err,
                                "%s: empty file: expected a guest console with kernel lines "
                                "\"[ uptime] text\" (leave the file out if the guest never "
                                "ran on this host)",
                                k->name);
            if (k->st.kernel == 0)
                return sim_errf(err,
                                "%s: no kernel line in %llu lines: expected \"[ seconds.micros] "
                                "text\" lines as Linux prints them on its console",
                                k->name, (unsigned long long)k->lr.line);
            return 0;
        }
        k->st.lines++;
        if (k->lr.partial)
            k->st.partial = 1;
        char *line = k->lr.buf, *end = line + k->lr.len;
        char *p = skip_junk(k, line, end);
        /* klog_split_stamp reads a C string: cut the line at a NUL byte in
         * the stamp, the rest is cleaned below. */
        sim_time up;
        const char *text;
        if (p >= end || memchr(p, '\0', (size_t)(end - p) < 24 ? (size_t)(end - p) : 24) ||
            klog_split_stamp(p, &up, &text) != 0) {
            k->st.skipped++;
            continue;
        }
        clean_text(k, (char *)text, end);
        k->st.kernel++;
        if (k->prev_uptime != SIM_TIME_NONE && up < k->prev_uptime)
            k->st.reboots++;
        k->prev_uptime = up;
        if (k->st.first_uptime == SIM_TIME_NONE)
            k->st.first_uptime = up;
        k->st.last_uptime = up;
        memset(o, 0, sizeof(*o));
        o->kind = OBS_KLOG;
        o->host = k->host;
        o->t = up + clock_map_offset(k->clock, k->lr.line);
        o->t_approx = !k->clock || k->clock->estimated;
        o->origin.file = k->name;
        o->origin.line = k->lr.line;
        o->u.klog.text = text;
        o->u.klog.uptime = up;
        klog_classify(&o->u.klog, text);
        return 1;
    }
}

void klog_allow_empty(struct klog_reader *k)
{
    k->allow_empty = true;
}

const struct klog_stats *klog_stats(const struct klog_reader *k)
{
    return &k->st;
}

void klog_close(struct klog_reader *k)
{
    if (!k)
        return;
    line_reader_close(&k->lr);
    free(k->name);
    free(k);
}
