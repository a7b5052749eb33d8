/*
 * A non-blocking QMP client for the recorder.
 *
 * One unix-socket connection per QEMU.  Everything received is split into
 * lines and handed to the caller with its arrival time; everything sent is
 * queued and written as the socket accepts it.  While `recording`, every
 * line in both directions goes to the bundle's QMP log verbatim (received
 * lines exactly as QEMU printed them, sent lines exactly as sent), and to a
 * transcript that adds the recorder's clock.  A peer that goes away (QEMU
 * exits when an incoming migration fails) is an EOF, never a SIGPIPE.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "recorder.h"

#define QMP_MAX_LINE (16u * 1024 * 1024)

static void stamp(FILE *f, sim_time wall)
{
    fprintf(f, "%lld.%06lld ", (long long)(wall / 1000000000),
            (long long)(wall % 1000000000 / 1000));
}

void rec_qmp_init(struct rec_qmp *q, const char *path, FILE *log, FILE *transcript)
{
    memset(q, 0, sizeof(*q));
    q->fd = -1;
    sim_strlcpy(q->path, path, sizeof(q->path));
    q->log = log;
    q->transcript = transcript;
    q->recording = true;
}

int rec_qmp_try_connect(struct rec_qmp *q, struct sim_err *err)
{
    if (q->fd >= 0)
        return 1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return sim_errf(err, "socket: %s", strerror(errno));
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    sim_strlcpy(a.sun_path, q->path, sizeof(a.sun_path));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
        int e = errno;
        close(fd);
        if (e == ENOENT || e == ECONNREFUSED || e == EAGAIN)
            return 0; /* QEMU has not created or opened it yet */
        return sim_errf(err, "connect %s: %s", q->path, strerror(e));
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    q->fd = fd;
    return 1;
}

static void grow(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 4096;
    while (c < need)
        c *= 2;
    *buf = sim_xrealloc(*buf, c);
    *cap = c;
}

int rec_qmp_send(struct rec_qmp *q, const char *line, sim_time wall)
{
    if (q->fd < 0 || q->eof)
        return -1;
    size_t n = strlen(line);
    grow(&q->out, &q->outcap, q->outlen + n + 1);
    memcpy(q->out + q->outlen, line, n);
    q->out[q->outlen + n] = '\n';
    q->outlen += n + 1;
    if (q->recording && q->log) {
        fprintf(q->log, "%s\n", line);
        fflush(q->log);
    }
    if (q->transcript) {
        stamp(q->transcript, wall);
        fprintf(q->transcript, "-> %s\n", line);
        fflush(q->transcript);
    }
    return 0;
}

short rec_qmp_events(const struct rec_qmp *q)
{
    if (q->fd < 0 || q->eof)
        return 0;
    return (short)(POLLIN | (q->outlen ? POLLOUT : 0));
}

static void got_eof(struct rec_qmp *q)
{
    if (q->eof)
        return;
    q->eof = true;
    if (q->transcript) {
        stamp(q->transcript, rec_wall());
        fprintf(q->transcript, "== EOF\n");
        fflush(q->transcript);
    }
}

void rec_qmp_io(struct rec_qmp *q, short revents, rec_qmp_line_fn fn, void *ctx)
{
    if (q->fd < 0 || q->eof)
        return;
    if (revents & POLLOUT && q->outlen) {
        ssize_t w = send(q->fd, q->out, q->outlen, MSG_NOSIGNAL);
        if (w > 0) {
            memmove(q->out, q->out + w, q->outlen - (size_t)w);
            q->outlen -= (size_t)w;
        } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            got_eof(q);
            return;
        }
    }
    if (!(revents & (POLLIN | POLLHUP | POLLERR)))
        return;
    for (;;) {
        grow(&q->in, &q->incap, q->inlen + 65536);
        ssize_t r = read(q->fd, q->in + q->inlen, q->incap - q->inlen - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r <= 0) {
            got_eof(q);
            break;
        }
        q->inlen += (size_t)r;
        sim_time wall = rec_wall();
        char *nl;
        while ((nl = memchr(q->in, '\n', q->inlen)) != NULL) {
            size_t n = (size_t)(nl - q->in);
            *nl = '\0';
            if (n && q->in[n - 1] == '\r')
                q->in[n - 1] = '\0';
            if (q->recording && q->log) {
                fprintf(q->log, "%s\n", q->in);
                fflush(q->log);
            }
            if (q->transcript) {
                stamp(q->transcript, wall);
                fprintf(q->transcript, "<- %s\n", q->in);
                fflush(q->transcript);
            }
            if (fn)
                fn(ctx, q, q->in, wall);
            memmove(q->in, nl + 1, q->inlen - n - 1);
            q->inlen -= n + 1;
        }
        if (q->inlen > QMP_MAX_LINE) { /* not QMP: stop reading it */
            got_eof(q);
            break;
        }
    }
}

void rec_qmp_close(struct rec_qmp *q)
{
    if (q->fd >= 0)
        close(q->fd);
    q->fd = -1;
    free(q->in);
    free(q->out);
    q->in = q->out = NULL;
    q->inlen = q->incap = q->outlen = q->outcap = 0;
}
