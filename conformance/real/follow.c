/*
 * Following the files QEMU writes during a recording, and their clocks.
 *
 * The guest console (-serial file:) and the filter-dump pcaps are written
 * by QEMU as the guest runs; the recorder reads them as they grow and notes
 * when each line or record arrived.  A console line stamped with uptime U
 * that arrived at wall time W shows that uptime 0 was at or before W - U; the
 * smallest such bound is the estimate (QEMU writes the serial port without
 * buffering, so the soonest line is late by the recorder's poll period at
 * most).  A filter-dump record stamped S gives W - S the same way.  Both
 * clocks follow the VM's virtual clock, which stops while the VM is
 * stopped: every resume starts a new segment with its own offset.  The
 * guest's clock also shifts (by ~20 ms under TCG) when the kernel switches or
 * recalibrates its clocksource early in boot, which it logs: the line after
 * such a message starts a new segment too.
 *
 * The files themselves are copied into the bundle verbatim; this only reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "recorder.h"

void rec_follow_init(struct rec_follow *f, enum rec_follow_kind kind, const char *path)
{
    memset(f, 0, sizeof(*f));
    f->kind = kind;
    f->fd = -1;
    sim_strlcpy(f->path, path, sizeof(f->path));
    f->want_new_seg = true;
}

static struct rec_seg *segment(struct rec_follow *f, uint64_t unit)
{
    if (f->want_new_seg || f->nsegs == 0) {
        f->want_new_seg = false;
        if (f->nsegs < REC_MAX_SEGS) {
            struct rec_seg *s = &f->segs[f->nsegs++];
            memset(s, 0, sizeof(*s));
            s->from = unit;
            s->offset = SIM_TIME_NONE;
        }
    }
    return &f->segs[f->nsegs - 1];
}

static void bound(struct rec_follow *f, uint64_t unit, sim_time stamp, sim_time b)
{
    struct rec_seg *s = segment(f, unit);
    if (s->samples < REC_RATE_LINES && (s->samples == 0 || b < s->ref_bound)) {
        s->ref_bound = b;
        s->ref_stamp = stamp;
    }
    s->ring_stamp[s->nring % REC_RATE_LINES] = stamp;
    s->ring_bound[s->nring % REC_RATE_LINES] = b;
    s->nring++;
    if (s->offset == SIM_TIME_NONE || b < s->offset)
        s->offset = b;
    s->samples++;
    if (s->nbounds == s->capbounds) {
        s->capbounds = s->capbounds ? s->capbounds * 2 : 256;
        s->bounds = sim_xrealloc(s->bounds, s->capbounds * sizeof(*s->bounds));
    }
    s->bounds[s->nbounds++] = b;
}

void rec_follow_resumed(struct rec_follow *f)
{
    if (f->nsegs > 0)
        f->want_new_seg = true;
}

static void console_lines(struct rec_follow *f, sim_time wall,
                          void (*line_fn)(void *, const char *, sim_time, sim_time), void *ctx)
{
    char *nl;
    while ((nl = memchr(f->buf, '\n', f->len)) != NULL) {
        size_t n = (size_t)(nl - f->buf);
        *nl = '\0';
        if (n && f->buf[n - 1] == '\r')
            f->buf[n - 1] = '\0';
        f->units++;
        sim_time up = SIM_TIME_NONE;
        const char *text;
        /* the serial port may carry junk before the stamp: look for it */
        const char *lb = strchr(f->buf, '[');
        while (lb && klog_split_stamp(lb, &up, &text) != 0)
            lb = strchr(lb + 1, '[');
        if (lb) {
            f->kernel_lines++;
            bound(f, f->units, up, wall - up);
            /* The kernel says it changed its clock (early boot): the
             * uptime-to-wall offset may change from the next line on. */
            if (strstr(text, "clocksource: Switched to clocksource") ||
                strstr(text, "Refined TSC clocksource calibration"))
                f->want_new_seg = true;
        } else {
            up = SIM_TIME_NONE;
        }
        if (line_fn)
            line_fn(ctx, f->buf, up, wall);
        memmove(f->buf, nl + 1, f->len - n - 1);
        f->len -= n + 1;
    }
    if (f->len > 65536) /* a runaway line: drop it, keep following */
        f->len = 0;
}

static uint32_t rd32(const unsigned char *p, bool swapped)
{
    uint32_t v;
    memcpy(&v, p, 4);
    if (swapped)
        v = (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
    return v;
}

static void pcap_records(struct rec_follow *f, sim_time wall)
{
    size_t off = 0;
    const unsigned char *b = (const unsigned char *)f->buf;
    if (!f->pcap_header) {
        if (f->len < 24)
            return;
        uint32_t magic;
        memcpy(&magic, b, 4);
        if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
            f->pcap_nano = magic == 0xa1b23c4du;
        } else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
            f->pcap_swapped = true;
            f->pcap_nano = magic == 0x4d3cb2a1u;
        } else {
            f->pcap_bad = true;
            return;
        }
        f->pcap_header = true;
        off = 24;
    }
    while (f->len - off >= 16) {
        uint32_t sec = rd32(b + off, f->pcap_swapped);
        uint32_t frac = rd32(b + off + 4, f->pcap_swapped);
        uint32_t caplen = rd32(b + off + 8, f->pcap_swapped);
        if (caplen > 16u * 1024 * 1024) {
            f->pcap_bad = true;
            return;
        }
        if (f->len - off - 16 < caplen)
            break;
        f->units++;
        sim_time stamp = (sim_time)sec * 1000000000 + (sim_time)frac * (f->pcap_nano ? 1 : 1000);
        bound(f, f->units, stamp, wall - stamp);
        off += 16 + caplen;
    }
    memmove(f->buf, f->buf + off, f->len - off);
    f->len -= off;
}

void rec_follow_poll(struct rec_follow *f, sim_time wall,
                     void (*line_fn)(void *ctx, const char *line, sim_time uptime, sim_time wall),
                     void *ctx)
{
    if (f->fd < 0) {
        f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0)
            return;
    }
    if (f->pcap_bad)
        return;
    for (;;) {
        if (f->cap - f->len < 65536) {
            f->cap = f->cap ? f->cap * 2 : 131072;
            f->buf = sim_xrealloc(f->buf, f->cap);
        }
        ssize_t r = read(f->fd, f->buf + f->len, f->cap - f->len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        f->len += (size_t)r;
        f->bytes += (uint64_t)r;
        if (f->kind == REC_FOLLOW_CONSOLE)
            console_lines(f, wall, line_fn, ctx);
        else
            pcap_records(f, wall);
        if (f->pcap_bad)
            break;
    }
}

sim_time rec_follow_offset(const struct rec_follow *f)
{
    for (int i = f->nsegs - 1; i >= 0; i--)
        if (f->segs[i].offset != SIM_TIME_NONE)
            return f->segs[i].offset;
    return SIM_TIME_NONE;
}

bool rec_follow_drift(const struct rec_follow *f, sim_time span, double *drift)
{
    if (f->nsegs == 0)
        return false;
    const struct rec_seg *s = &f->segs[f->nsegs - 1];
    if (s->samples < 2 * REC_RATE_LINES)
        return false;
    /* the soonest of the recent lines */
    unsigned best = 0;
    for (unsigned i = 1; i < REC_RATE_LINES; i++)
        if (s->ring_bound[i] < s->ring_bound[best])
            best = i;
    sim_time du = s->ring_stamp[best] - s->ref_stamp;
    if (du < span)
        return false;
    *drift = (double)(s->ring_bound[best] - s->ref_bound) / (double)du;
    return true;
}

static int cmp_time(const void *a, const void *b)
{
    sim_time x = *(const sim_time *)a, y = *(const sim_time *)b;
    return x < y ? -1 : x > y;
}

void rec_follow_finish(struct rec_follow *f)
{
    for (int i = 0; i < f->nsegs; i++) {
        struct rec_seg *s = &f->segs[i];
        if (!s->nbounds)
            continue;
        qsort(s->bounds, s->nbounds, sizeof(*s->bounds), cmp_time);
        s->spread = s->bounds[s->nbounds / 2] - s->offset;
    }
}

void rec_follow_free(struct rec_follow *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    free(f->buf);
    f->buf = NULL;
    for (int i = 0; i < f->nsegs; i++)
        free(f->segs[i].bounds);
    f->nsegs = 0;
}
