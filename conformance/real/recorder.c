/*
 * fosim-record: run a scenario against real QEMU and a real Linux guest, and
 * write the run as a bundle that `fosim check` reads and `fosim diff`
 * compares with the simulator (doc/real.md).
 *
 * t = 0.  A scenario's times mean the same thing here as in the simulator,
 * where the guest powers on at t = 0 and its console stamps count from
 * there: t = 0 is the instant the source guest's kernel clock read zero (its
 * uptime stamps are therefore the scenario's times, as in the simulator).
 * Real QEMU spends a few seconds in firmware before that, and the recorder's
 * QMP set-up happens then, before t = 0.  The recorder learns where t = 0 lies
 * from the console: every kernel line bounds it (see follow.c).  When the
 * source starts paused (-S) or runs no guest, there is no kernel clock to
 * follow: t = 0 is then the end of the QMP set-up on every host (the
 * simulator's QMP set-up also happens at t = 0).
 *
 * The run: start every host's QEMU at once, connect to each QMP socket, do
 * the scenario's QMP set-up, perform each timed action at t0 + T with an id
 * "fosim-N@SECONDS.MICROSECONDS" (as the simulator does), record until the
 * horizon (`until`), then stop every process and write the bundle.  Every
 * wait is bounded; SIGINT/SIGTERM, a timeout or an error stop every process
 * started and leave no half-written bundle.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "recorder.h"
#include "sim/bundle.h"

#define POLL_PERIOD_MS 4
#define CONNECT_TIMEOUT SIM_S(30)
#define SETUP_TIMEOUT SIM_S(30)
#define STOP_GRACE SIM_S(3)

static volatile sig_atomic_t stop_signal; /* the only global: set by the handler */

static void on_signal(int sig)
{
    stop_signal = sig;
}

struct rec_host {
    struct rec_host_plan *plan;
    struct rec_proc proc;
    struct rec_qmp qmp;
    FILE *qmp_log;          /* <host>.qmp */
    FILE *transcript;       /* <host>.qmp.transcript */
    FILE *stderr_log;       /* <host>.stderr */
    FILE *arrivals;         /* <host>-guest.arrivals: line, uptime, arrival */
    char errline[4096];     /* stderr line being assembled */
    size_t errlen;
    struct rec_follow console;
    struct rec_follow pcaps[REC_MAX_CAPTURES];
    sim_time start_wall;
    sim_time connect_deadline;
    bool greeted;
    int setup_sent;         /* set-up commands sent */
    int setup_replied;      /* replies to them */
    bool setup_done;
    char greeting[512];     /* the QMP greeting, for the manifest */
    unsigned nresume;       /* RESUME events seen */
    uint64_t nevents;
    sim_time lat_min, lat_max; /* event arrival - stamp */
    uint64_t console_keep;  /* console bytes up to the horizon */
    uint64_t pcap_keep[REC_MAX_CAPTURES];
    bool ended_early;       /* QEMU exited before the horizon */
};

struct rec {
    const struct rec_options *opt;
    struct rec_plan *plan;
    const struct scenario *scn;
    struct rec_host hosts[OBS_NHOSTS];
    FILE *log;              /* recorder.log */
    sim_time anchor;        /* wall time of t = 0, or SIM_TIME_NONE */
    char anchor_how[256];
    sim_time started_mono;
    size_t next_action;
    unsigned long long next_cmd;
    unsigned late_actions;
    sim_time max_late;
    unsigned unsent;
    char failure[1024];     /* why the recording failed, or "" */
};

static void logf_(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct rec *r, const char *fmt, ...)
{
    sim_time w = rec_wall();
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (r->log) {
        if (r->anchor != SIM_TIME_NONE) {
            sim_time t = w - r->anchor;
            fprintf(r->log, "%lld.%06lld t=%s%lld.%06lld %s\n", (long long)(w / 1000000000),
                    (long long)(w % 1000000000 / 1000), t < 0 ? "-" : "",
                    (long long)((t < 0 ? -t : t) / 1000000000),
                    (long long)((t < 0 ? -t : t) % 1000000000 / 1000), msg);
        } else {
            fprintf(r->log, "%lld.%06lld %s\n", (long long)(w / 1000000000),
                    (long long)(w % 1000000000 / 1000), msg);
        }
        fflush(r->log);
    }
}

static int fail(struct rec *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct rec *r, const char *fmt, ...)
{
    if (r->failure[0])
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->failure, sizeof(r->failure), fmt, ap);
    va_end(ap);
    logf_(r, "FAILED: %s", r->failure);
    return -1;
}

static FILE *open_out(struct rec *r, const char *name)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", r->opt->workdir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fail(r, "%s: %s", path, strerror(errno));
    return f;
}

/* ---- QMP --------------------------------------------------------------------------- */

static const char *const setup_cmds[] = {
    "{\"execute\": \"qmp_capabilities\"}",
    "{\"execute\": \"migrate-set-capabilities\", \"arguments\": {\"capabilities\": "
    "[{\"capability\": \"events\", \"state\": true}]}}",
};

static int setup_count(const struct rec *r)
{
    switch (r->scn->qmp_setup) {
    case SCN_QMP_SETUP_EVENTS:
        return 2;
    case SCN_QMP_SETUP_PLAIN:
        return 1;
    case SCN_QMP_SETUP_NONE:
        return 0;
    }
    SIM_ASSERT(!"unhandled qmp-setup");
    return 0;
}

/* Send a command as the simulator does (sim/run.c): an id "fosim-N@S.U"
 * unless it has one, the text dumped with jansson in its order. */
static int send_command(struct rec *r, struct rec_host *h, const char *json, char *id_out,
                        size_t idlen)
{
    char *rewritten = rec_plan_rewrite_command(r->plan, json);
    json_t *cmd = json_loads(rewritten, 0, NULL);
    free(rewritten);
    SIM_ASSERT(cmd != NULL);
    sim_time t = rec_wall();
    if (!json_object_get(cmd, "id")) {
        char id[80];
        snprintf(id, sizeof(id), "fosim-%llu@%lld.%06lld", ++r->next_cmd,
                 (long long)(t / 1000000000), (long long)(t % 1000000000 / 1000));
        json_object_set_new(cmd, "id", json_string(id));
    }
    if (id_out) {
        const char *s = json_string_value(json_object_get(cmd, "id"));
        sim_strlcpy(id_out, s ? s : "", idlen);
    }
    char *text = json_dumps(cmd, JSON_PRESERVE_ORDER);
    json_decref(cmd);
    SIM_ASSERT(text != NULL);
    int rc = rec_qmp_send(&h->qmp, text, t);
    free(text);
    return rc;
}

static void setup_next(struct rec *r, struct rec_host *h)
{
    int n = setup_count(r);
    if (h->setup_sent == h->setup_replied && h->setup_sent < n) {
        send_command(r, h, setup_cmds[h->setup_sent], NULL, 0);
        h->setup_sent++;
    }
    if (h->setup_replied == n && !h->setup_done) {
        h->setup_done = true;
        logf_(r, "%s: QMP set-up done", obs_host_name(h->plan->id));
    }
}

static void on_qmp_line(void *ctx, struct rec_qmp *q, const char *line, sim_time wall)
{
    struct rec *r = ctx;
    struct rec_host *h = SIM_CONTAINER_OF(q, struct rec_host, qmp);
    json_t *j = json_loads(line, 0, NULL);
    if (!j) {
        logf_(r, "%s: a QMP line that is not JSON: %.200s", obs_host_name(h->plan->id), line);
        return;
    }
    if (json_object_get(j, "QMP")) {
        h->greeted = true;
        sim_strlcpy(h->greeting, line, sizeof(h->greeting));
        logf_(r, "%s: QMP greeting", obs_host_name(h->plan->id));
        setup_next(r, h);
    } else if (json_object_get(j, "return") || json_object_get(j, "error")) {
        if (h->setup_replied < h->setup_sent) {
            if (json_object_get(j, "error"))
                fail(r, "%s: QMP set-up command refused: %.300s", obs_host_name(h->plan->id),
                     line);
            h->setup_replied++;
            setup_next(r, h);
        }
    } else if (json_is_string(json_object_get(j, "event"))) {
        const char *ev = json_string_value(json_object_get(j, "event"));
        const json_t *ts = json_object_get(j, "timestamp");
        sim_time stamp = (sim_time)json_integer_value(json_object_get(ts, "seconds")) * 1000000000 +
                         (sim_time)json_integer_value(json_object_get(ts, "microseconds")) * 1000;
        sim_time lat = wall - stamp;
        if (h->nevents == 0 || lat < h->lat_min)
            h->lat_min = lat;
        if (h->nevents == 0 || lat > h->lat_max)
            h->lat_max = lat;
        h->nevents++;
        if (strcmp(ev, "RESUME") == 0) {
            /* the VM's clocks run again: new clock segments from here on */
            h->nresume++;
            rec_follow_resumed(&h->console);
            for (int i = 0; i < h->plan->ncaps; i++)
                rec_follow_resumed(&h->pcaps[i]);
        }
        const json_t *data = json_object_get(j, "data");
        char *d = data ? json_dumps(data, JSON_COMPACT) : NULL;
        logf_(r, "%s: event %s %s", obs_host_name(h->plan->id), ev, d ? d : "");
        free(d);
    }
    json_decref(j);
}

/* ---- stderr -------------------------------------------------------------------------- */

static void read_stderr(struct rec *r, struct rec_host *h)
{
    if (h->proc.stderr_fd < 0)
        return;
    char buf[4096];
    for (;;) {
        ssize_t n = read(h->proc.stderr_fd, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0) {
                close(h->proc.stderr_fd);
                h->proc.stderr_fd = -1;
            }
            return;
        }
        if (h->stderr_log) {
            fwrite(buf, 1, (size_t)n, h->stderr_log);
            fflush(h->stderr_log);
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n' || h->errlen + 1 >= sizeof(h->errline)) {
                h->errline[h->errlen] = '\0';
                logf_(r, "%s: stderr: %s", obs_host_name(h->plan->id), h->errline);
                h->errlen = 0;
            } else {
                h->errline[h->errlen++] = buf[i];
            }
        }
    }
}

/* ---- start ---------------------------------------------------------------------------- */

static int start_host(struct rec *r, struct rec_host *h)
{
    const char *name = obs_host_name(h->plan->id);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s.qmp.transcript", name);
    h->qmp_log = open_out(r, h->plan->qmp_file);
    h->transcript = open_out(r, path);
    h->stderr_log = open_out(r, h->plan->stderr_file);
    snprintf(path, sizeof(path), "%s-guest.arrivals", name);
    h->arrivals = open_out(r, path);
    if (!h->qmp_log || !h->transcript || !h->stderr_log || !h->arrivals)
        return -1;
    snprintf(path, sizeof(path), "%s/%s.sock", r->opt->workdir, name);
    unlink(path);
    rec_qmp_init(&h->qmp, path, h->qmp_log, h->transcript);
    snprintf(path, sizeof(path), "%s/%s", r->opt->workdir, h->plan->serial_file);
    rec_follow_init(&h->console, REC_FOLLOW_CONSOLE, path);
    for (int i = 0; i < h->plan->ncaps; i++) {
        snprintf(path, sizeof(path), "%s/%s", r->opt->workdir, h->plan->caps[i].file);
        rec_follow_init(&h->pcaps[i], REC_FOLLOW_PCAP, path);
    }
    char cmd[8192];
    rec_format_cmdline(cmd, sizeof(cmd), h->plan->argv, h->plan->argc);
    logf_(r, "%s: starting %s", name, cmd);
    struct sim_err err = { "" };
    h->start_wall = rec_wall();
    if (rec_proc_start(&h->proc, h->plan->argv, r->opt->workdir, &err) != 0)
        return fail(r, "%s: %s", name, err.msg);
    h->connect_deadline = rec_mono() + CONNECT_TIMEOUT;
    logf_(r, "%s: QEMU pid %ld", name, (long)h->proc.pid);
    return 0;
}

/* ---- t = 0 and the actions ---------------------------------------------------------------- */

static bool all_setup_done(const struct rec *r)
{
    for (int i = 0; i < OBS_NHOSTS; i++) {
        const struct rec_host *h = &r->hosts[i];
        if (h->plan && !h->setup_done)
            return false;
    }
    return true;
}

static void update_anchor(struct rec *r)
{
    struct rec_host *src = &r->hosts[OBS_SOURCE];
    if (r->plan->anchor_on_kernel) {
        sim_time off = rec_follow_offset(&src->console);
        if (off == SIM_TIME_NONE)
            return;
        if (r->anchor == SIM_TIME_NONE)
            logf_(r, "source guest kernel clock seen: t = 0 estimated at %lld.%06lld",
                  (long long)(off / 1000000000), (long long)(off % 1000000000 / 1000));
        r->anchor = off; /* only ever moves earlier as better lines arrive */
        snprintf(r->anchor_how, sizeof(r->anchor_how),
                 "source guest uptime 0: the smallest (arrival - uptime stamp) over the "
                 "console lines since the kernel's last clock change (%llu lines in all)",
                 (unsigned long long)src->console.kernel_lines);
    } else if (r->anchor == SIM_TIME_NONE && all_setup_done(r)) {
        r->anchor = rec_wall();
        snprintf(r->anchor_how, sizeof(r->anchor_how),
                 "end of the QMP set-up on every host (the source %s)",
                 r->plan->hosts[OBS_SOURCE].paused ? "starts paused (-S)" : "runs no guest");
        logf_(r, "t = 0 (%s)", r->anchor_how);
    }
}

/*
 * The guest's uptime must run with the host clock, or t = 0 (and every
 * action time) is wrong.  Under heavy host load the kernel's early TSC
 * calibration can fail ("tsc: PIT calibration deviates from HPET", then
 * "Detected 729.935 MHz"): its clock then runs 3x too fast.  Such a run is
 * refused, with the reason, rather than recorded with actions at the wrong
 * guest times.
 */
#define MAX_DRIFT 0.02

static int check_guest_clock(struct rec *r)
{
    double drift;
    if (!r->plan->anchor_on_kernel ||
        !rec_follow_drift(&r->hosts[OBS_SOURCE].console, SIM_S(1), &drift))
        return 0;
    if (drift > MAX_DRIFT || drift < -MAX_DRIFT)
        return fail(r, "the source guest's clock runs at %.3f times the host clock (its TSC "
                       "calibration failed under load: see \"tsc:\" in its console); the "
                       "scenario's times cannot be kept: record again",
                    1.0 / (1.0 + drift));
    return 0;
}

static void do_actions(struct rec *r)
{
    const struct scenario *s = r->scn;
    if (r->anchor == SIM_TIME_NONE || !all_setup_done(r))
        return;
    sim_time now = rec_wall();
    while (r->next_action < s->nactions) {
        const struct scn_action *a = &s->actions[r->next_action];
        sim_time due = r->anchor + a->at;
        if (now < due)
            return;
        if (check_guest_clock(r) != 0)
            return;
        r->next_action++;
        struct rec_host *h = &r->hosts[a->host];
        sim_time late = now - due;
        if (late > r->max_late)
            r->max_late = late;
        if (late > SIM_MS(20))
            r->late_actions++;
        char id[96] = "";
        if (!h->plan) {
            r->unsent++;
            logf_(r, "action at %s:%u for %s: no such host", a->pos.file, a->pos.line,
                  obs_host_name(a->host));
            continue;
        }
        if (send_command(r, h, a->json, id, sizeof(id)) != 0) {
            r->unsent++;
            logf_(r, "action at %s:%u not sent: the %s QMP connection is closed (QEMU %s)",
                  a->pos.file, a->pos.line, obs_host_name(a->host),
                  h->proc.exited ? "exited" : "closed it");
            continue;
        }
        logf_(r, "action %s:%u sent to %s as %s, %lld us after its time", a->pos.file,
              a->pos.line, obs_host_name(a->host), id, (long long)(late / 1000));
    }
}

/* ---- the loop ----------------------------------------------------------------------------- */

/* Keep the raw clock measurement: when each kernel line arrived. */
static void console_line(void *ctx, const char *line, sim_time uptime, sim_time wall)
{
    struct rec_host *h = ctx;
    (void)line;
    if (!h->arrivals || uptime == SIM_TIME_NONE)
        return;
    fprintf(h->arrivals, "%llu %lld.%09lld %lld.%09lld\n", (unsigned long long)h->console.units,
            (long long)(uptime / 1000000000), (long long)(uptime % 1000000000),
            (long long)(wall / 1000000000), (long long)(wall % 1000000000));
}

static void poll_files(struct rec *r)
{
    sim_time now = rec_wall();
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct rec_host *h = &r->hosts[i];
        if (!h->plan)
            continue;
        rec_follow_poll(&h->console, now, console_line, h);
        for (int k = 0; k < h->plan->ncaps; k++)
            rec_follow_poll(&h->pcaps[k], now, NULL, NULL);
    }
}

static int run_loop(struct rec *r)
{
    const struct rec_options *opt = r->opt;
    sim_time boot_deadline = rec_mono() + opt->boot_timeout;
    for (;;) {
        if (stop_signal)
            return fail(r, "interrupted by signal %d", (int)stop_signal);
        sim_time mono = rec_mono();
        struct pollfd pfd[2 * OBS_NHOSTS];
        struct rec_host *who[2 * OBS_NHOSTS];
        bool is_qmp[2 * OBS_NHOSTS];
        int n = 0;
        for (int i = 0; i < OBS_NHOSTS; i++) {
            struct rec_host *h = &r->hosts[i];
            if (!h->plan)
                continue;
            const char *name = obs_host_name(h->plan->id);
            if (h->qmp.fd < 0 && !h->proc.exited) {
                struct sim_err err = { "" };
                int c = rec_qmp_try_connect(&h->qmp, &err);
                if (c < 0)
                    return fail(r, "%s: %s", name, err.msg);
                if (c > 0)
                    logf_(r, "%s: QMP connected", name);
                else if (mono > h->connect_deadline)
                    return fail(r, "%s: no QMP socket after %d s", name,
                                (int)(CONNECT_TIMEOUT / SIM_S(1)));
            }
            if (rec_proc_poll(&h->proc) && !h->ended_early) {
                char d[64];
                rec_proc_describe(&h->proc, d, sizeof(d));
                h->ended_early = true;
                logf_(r, "%s: QEMU %s", name, d);
                if (!h->greeted) {
                    read_stderr(r, h);
                    return fail(r, "%s: QEMU %s before its QMP greeting; its stderr: %s", name, d,
                                h->errline[0] ? h->errline : "(see the .stderr file)");
                }
                if (h->plan->id == OBS_SOURCE)
                    return fail(r, "the source QEMU %s before the horizon", d);
            }
            if (h->qmp.fd >= 0 && rec_qmp_events(&h->qmp)) {
                pfd[n] = (struct pollfd){ .fd = h->qmp.fd, .events = rec_qmp_events(&h->qmp) };
                who[n] = h;
                is_qmp[n++] = true;
            }
            if (h->proc.stderr_fd >= 0) {
                pfd[n] = (struct pollfd){ .fd = h->proc.stderr_fd, .events = POLLIN };
                who[n] = h;
                is_qmp[n++] = false;
            }
        }
        int pr = poll(pfd, (nfds_t)n, POLL_PERIOD_MS);
        if (pr < 0 && errno != EINTR)
            return fail(r, "poll: %s", strerror(errno));
        for (int i = 0; pr > 0 && i < n; i++) {
            if (!pfd[i].revents)
                continue;
            if (is_qmp[i])
                rec_qmp_io(&who[i]->qmp, pfd[i].revents, on_qmp_line, r);
            else
                read_stderr(r, who[i]);
        }
        if (r->failure[0])
            return -1;
        poll_files(r);
        update_anchor(r);
        mono = rec_mono();
        if (!all_setup_done(r)) {
            for (int i = 0; i < OBS_NHOSTS; i++) {
                struct rec_host *h = &r->hosts[i];
                if (h->plan && h->qmp.fd >= 0 && !h->setup_done &&
                    mono > h->connect_deadline + SETUP_TIMEOUT)
                    return fail(r, "%s: QMP set-up did not finish", obs_host_name(h->plan->id));
            }
        }
        if (r->anchor == SIM_TIME_NONE) {
            if (mono > boot_deadline)
                return fail(r, "t = 0 was not established within %lld s: %s",
                            (long long)(opt->boot_timeout / SIM_S(1)),
                            r->plan->anchor_on_kernel
                                ? "the source guest printed no kernel line (is the guest built? "
                                  "make guest)"
                                : "the QMP set-up did not finish");
            continue;
        }
        do_actions(r);
        if (r->failure[0])
            return -1;
        if (rec_wall() >= r->anchor + r->plan->horizon) {
            logf_(r, "horizon reached");
            return check_guest_clock(r);
        }
    }
}

/* ---- stopping ------------------------------------------------------------------------------ */

static void stop_hosts(struct rec *r)
{
    /* Ask politely (not recorded: the bundle ends at the horizon). */
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct rec_host *h = &r->hosts[i];
        if (!h->plan)
            continue;
        h->qmp.recording = false;
        if (h->qmp.fd >= 0 && !h->qmp.eof && h->greeted && !h->proc.exited) {
            rec_qmp_send(&h->qmp, "{\"execute\": \"quit\"}", rec_wall());
            rec_qmp_io(&h->qmp, POLLOUT, NULL, NULL);
        }
    }
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct rec_host *h = &r->hosts[i];
        if (!h->plan || h->proc.pid <= 0)
            continue;
        if (!rec_proc_wait(&h->proc, STOP_GRACE))
            logf_(r, "%s: QEMU did not quit, stopping its process group",
                  obs_host_name(h->plan->id));
        rec_proc_stop(&h->proc, STOP_GRACE);
        char d[64];
        rec_proc_describe(&h->proc, d, sizeof(d));
        logf_(r, "%s: QEMU %s", obs_host_name(h->plan->id), d);
        rec_qmp_close(&h->qmp);
        unlink(h->qmp.path);
    }
}

/* ---- the bundle ---------------------------------------------------------------------------- */

static int copy_file(const char *from, const char *to, uint64_t limit, struct sim_err *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        if (errno != ENOENT)
            return sim_errf(err, "%s: %s", from, strerror(errno));
        limit = 0; /* never created: an empty file says so */
    }
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        if (in >= 0)
            close(in);
        return sim_errf(err, "%s: %s", to, strerror(errno));
    }
    char buf[65536];
    uint64_t done = 0;
    int rc = 0;
    while (in >= 0 && done < limit) {
        size_t want = sizeof(buf);
        if (limit - done < want)
            want = (size_t)(limit - done);
        ssize_t n = read(in, buf, want);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        if (write(out, buf, (size_t)n) != n) {
            rc = sim_errf(err, "%s: %s", to, strerror(errno));
            break;
        }
        done += (uint64_t)n;
    }
    if (in >= 0)
        close(in);
    if (close(out) != 0 && rc == 0)
        rc = sim_errf(err, "%s: %s", to, strerror(errno));
    return rc;
}

static int close_out(FILE **f)
{
    int rc = 0;
    if (*f && fclose(*f) != 0)
        rc = -1;
    *f = NULL;
    return rc;
}

static void json_time(json_t *o, const char *key, sim_time t)
{
    char b[40];
    snprintf(b, sizeof(b), "%lld.%06lld", (long long)(t / 1000000000),
             (long long)(t % 1000000000 / 1000));
    json_object_set_new(o, key, json_string(b));
}

static void iso_time(char *b, size_t n, sim_time t)
{
    time_t s = (time_t)(t / 1000000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(b, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static json_t *clock_json(const struct rec_follow *f, sim_time add)
{
    json_t *a = json_array();
    for (int i = 0; i < f->nsegs; i++) {
        const struct rec_seg *s = &f->segs[i];
        if (s->offset == SIM_TIME_NONE)
            continue;
        json_array_append_new(a, json_pack("{s:I, s:I, s:I, s:I}", "from", (json_int_t)s->from,
                                           "offset_ns", (json_int_t)(s->offset + add),
                                           "samples", (json_int_t)s->samples, "spread_ns",
                                           (json_int_t)s->spread));
    }
    return a;
}

static void first_line(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    if (fgets(out, (int)n, f))
        out[strcspn(out, "\n")] = '\0';
    fclose(f);
}

/* "Linux version ..." from the console, for the provenance. */
static void kernel_banner(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof(line), f)) {
        char *p = strstr(line, "] Linux version ");
        if (p) {
            sim_strlcpy(out, p + 2, n);
            out[strcspn(out, "\n")] = '\0';
            break;
        }
    }
    fclose(f);
}

static json_t *provenance(struct rec *r)
{
    json_t *p = json_object();
    char b[4096];
    json_object_set_new(p, "kind", json_string("real"));
    json_object_set_new(p, "recorder", json_string("fosim-record " FOSIM_VERSION));
    iso_time(b, sizeof(b), r->anchor != SIM_TIME_NONE ? r->anchor : rec_wall());
    json_object_set_new(p, "date", json_string(b));
    json_object_set_new(p, "scenario_file", json_string(r->scn->path));
    char rerecord[PATH_MAX + 128];
    snprintf(rerecord, sizeof(rerecord), "make recorder guest && build/fosim-record %s DIR",
             r->scn->path);
    json_object_set_new(p, "rerecord", json_string(rerecord));
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(b, sizeof(b), "%s %s %s", u.sysname, u.release, u.machine);
        json_object_set_new(p, "machine", json_string(b));
    }
    snprintf(b, sizeof(b), "%s/kernel-version", r->opt->guest_dir);
    char kv[128];
    first_line(b, kv, sizeof(kv));
    json_object_set_new(p, "guest_kernel", json_string(kv));
    json_t *hosts = json_object();
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct rec_host *h = &r->hosts[i];
        if (!h->plan)
            continue;
        json_t *o = json_object();
        rec_format_cmdline(b, sizeof(b), h->plan->argv, h->plan->argc);
        json_object_set_new(o, "command_line", json_string(b));
        json_t *g = h->greeting[0] ? json_loads(h->greeting, 0, NULL) : NULL;
        const json_t *v = g ? json_object_get(json_object_get(g, "QMP"), "version") : NULL;
        if (v) {
            const json_t *q = json_object_get(v, "qemu");
            snprintf(b, sizeof(b), "%lld.%lld.%lld %s",
                     (long long)json_integer_value(json_object_get(q, "major")),
                     (long long)json_integer_value(json_object_get(q, "minor")),
                     (long long)json_integer_value(json_object_get(q, "micro")),
                     json_string_value(json_object_get(v, "package")));
            json_object_set_new(o, "qemu_version", json_string(b));
        }
        json_decref(g);
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", r->opt->workdir, h->plan->serial_file);
        kernel_banner(path, b, sizeof(b));
        if (b[0])
            json_object_set_new(o, "guest_banner", json_string(b));
        json_time(o, "process_start", h->start_wall);
        if (h->nevents)
            json_object_set_new(o, "qmp_event_latency_ns",
                                json_pack("{s:I, s:I}", "min", (json_int_t)h->lat_min, "max",
                                          (json_int_t)h->lat_max));
        rec_proc_describe(&h->proc, b, sizeof(b));
        json_object_set_new(o, "exit", json_string(b));
        json_object_set_new(o, "ended_before_horizon", json_boolean(h->ended_early &&
                                                                     h->proc.exited));
        json_object_set_new(hosts, obs_host_name(h->plan->id), o);
    }
    json_object_set_new(p, "hosts", hosts);
    json_t *t0 = json_object();
    json_time(t0, "wall", r->anchor);
    json_object_set_new(t0, "how", json_string(r->anchor_how));
    json_object_set_new(p, "t0", t0);
    json_object_set_new(p, "horizon_ns", json_integer((json_int_t)r->plan->horizon));
    if (r->plan->horizon_default)
        json_object_set_new(p, "horizon_note",
                            json_string("the scenario has no `until`: last action + settle"));
    json_t *rw = json_array();
    for (int i = 0; i < r->plan->nrewrites; i++)
        json_array_append_new(rw, json_pack("{s:s, s:s}", "scenario", r->plan->rewrites[i].from,
                                            "real", r->plan->rewrites[i].to));
    json_object_set_new(p, "rewrites", rw);
    json_object_set_new(p, "guest_command_line", json_string(r->plan->append));
    json_object_set_new(p, "actions_late_over_20ms", json_integer(r->late_actions));
    json_object_set_new(p, "max_action_lateness_ns", json_integer((json_int_t)r->max_late));
    json_object_set_new(p, "actions_not_sent", json_integer(r->unsent));
    /* Every clock measurement, also those the manifest's file entries carry. */
    json_t *clocks = json_object();
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct rec_host *h = &r->hosts[i];
        if (!h->plan)
            continue;
        json_object_set_new(clocks, h->plan->serial_file, clock_json(&h->console, 0));
        for (int k = 0; k < h->plan->ncaps; k++)
            json_object_set_new(clocks, h->plan->caps[k].file, clock_json(&h->pcaps[k], 0));
    }
    json_object_set_new(p, "clock_measurements", clocks);
    return p;
}

/* Devices and roles from the QEMU command lines and device_add actions. */
static void add_devices(struct rec *r, struct bundle *b)
{
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct rec_host_plan *hp = &r->plan->hosts[i];
        if (!hp->present)
            continue;
        for (int a = 1; a + 1 < hp->argc; a++) {
            if (strcmp(hp->argv[a], "-device") != 0)
                continue;
            rec_plan_note_device(b, hp->id, hp->argv[a + 1]);
        }
        for (size_t k = 0; k < r->scn->nactions; k++) {
            const struct scn_action *act = &r->scn->actions[k];
            if (act->kind == SCN_ACT_QMP && act->host == hp->id)
                rec_plan_note_device_add(b, hp->id, act->json);
        }
    }
}

struct out_file {
    const char *file;
    enum bundle_kind kind;
    uint64_t keep;              /* bytes copied (up to the horizon) */
    const char *point;
    const struct rec_follow *clock;
};

/* Remove a directory tree (the recorder's own directories only). */
static void rec_rmtree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rec_rmtree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(path);
}

static int write_bundle(struct rec *r, const char *outdir, struct sim_err *err)
{
    char tmpdir[PATH_MAX], path[PATH_MAX], from[PATH_MAX];
    snprintf(tmpdir, sizeof(tmpdir), "%s.partial", outdir);
    rec_rmtree(tmpdir);
    if (mkdir(tmpdir, 0755) != 0)
        return sim_errf(err, "%s: %s", tmpdir, strerror(errno));
    struct bundle *b = bundle_new();
    sim_strlcpy(b->generator, "fosim-record", sizeof(b->generator));
    sim_strlcpy(b->version, FOSIM_VERSION, sizeof(b->version));
    sim_strlcpy(b->scenario, r->scn->name, sizeof(b->scenario));
    b->complete = true;
    b->provenance = provenance(r);
    /* t = 0 of the scenario, so reports give scenario times (doc/real.md) */
    b->epoch_set = true;
    b->epoch = r->anchor;
    b->host_skew_set = true; /* both QEMUs on this machine, one clock */
    b->host_skew = 0;
    add_devices(r, b);
    int rc = 0;
    for (int i = 0; i < OBS_NHOSTS && rc == 0; i++) {
        struct rec_host *h = &r->hosts[i];
        if (!h->plan)
            continue;
        b->hotplug[h->plan->id] = rec_plan_native_hotplug(h->plan) ? BUNDLE_HOTPLUG_NATIVE
                                                                   : BUNDLE_HOTPLUG_ACPI;
        /* What was recorded, also when it stayed empty (a console the guest
         * never wrote to is left out, and its absence is evidence). */
        b->recorded_set[h->plan->id] = true;
        b->recorded[h->plan->id] = 1u << BUNDLE_SRC_CONFIG | 1u << BUNDLE_SRC_QMP |
                                   1u << BUNDLE_SRC_QMP_COMMANDS | 1u << BUNDLE_SRC_STDERR |
                                   1u << BUNDLE_SRC_HOST_PCAP;
        if (h->plan->has_kernel)
            b->recorded[h->plan->id] |= 1u << BUNDLE_SRC_CONSOLE;
        const char *name = obs_host_name(h->plan->id);
        struct out_file files[2 + REC_MAX_CAPTURES + 1];
        int nf = 0;
        files[nf++] = (struct out_file){ h->plan->qmp_file, BUNDLE_QMP, UINT64_MAX, NULL, NULL };
        files[nf++] = (struct out_file){ h->plan->stderr_file, BUNDLE_STDERR, UINT64_MAX, NULL,
                                          NULL };
        /* A console the guest never wrote to (it never ran on this host) is
         * left out, as doc/bundle.md asks; so is a capture QEMU never
         * opened (no pcap header). */
        if (h->plan->has_kernel && h->console_keep > 0 && h->console.kernel_lines > 0)
            files[nf++] = (struct out_file){ h->plan->serial_file, BUNDLE_CONSOLE,
                                              h->console_keep, NULL, &h->console };
        for (int k = 0; k < h->plan->ncaps; k++)
            if (h->pcap_keep[k] >= 24)
                files[nf++] = (struct out_file){ h->plan->caps[k].file, BUNDLE_PCAP,
                                                 h->pcap_keep[k], h->plan->caps[k].point,
                                                 &h->pcaps[k] };
        for (int k = 0; k < nf && rc == 0; k++) {
            snprintf(from, sizeof(from), "%s/%s", r->opt->workdir, files[k].file);
            snprintf(path, sizeof(path), "%s/%s", tmpdir, files[k].file);
            rc = copy_file(from, path, files[k].keep, err);
            if (rc == 0)
                rc = bundle_add(b, files[k].kind, h->plan->id, files[k].point, path, err);
            if (rc == 0) { /* the manifest names files relative to the bundle */
                struct bundle_file *bf = &b->files[b->nfiles - 1];
                free(bf->name);
                bf->name = sim_xstrdup(files[k].file);
            }
            if (rc == 0 && files[k].clock) {
                struct bundle_file *bf = &b->files[b->nfiles - 1];
                const struct rec_follow *f = files[k].clock;
                for (int s = 0; s < f->nsegs; s++)
                    if (f->segs[s].offset != SIM_TIME_NONE)
                        clock_map_add(&bf->clock, f->segs[s].from, f->segs[s].offset);
                bf->clock_given = bf->clock.n > 0;
            }
        }
        if (rc == 0 && h->plan->has_kernel) {
            snprintf(from, sizeof(from), "%s/%s-guest.arrivals", r->opt->workdir, name);
            snprintf(path, sizeof(path), "%s/%s-guest.arrivals", tmpdir, name);
            rc = copy_file(from, path, UINT64_MAX, err);
        }
        /* the transcript: raw evidence with the recorder's clock (not read by check) */
        snprintf(from, sizeof(from), "%s/%s.qmp.transcript", r->opt->workdir, name);
        snprintf(path, sizeof(path), "%s/%s.qmp.transcript", tmpdir, name);
        if (rc == 0)
            rc = copy_file(from, path, UINT64_MAX, err);
    }
    if (rc == 0) {
        snprintf(from, sizeof(from), "%s/recorder.log", r->opt->workdir);
        snprintf(path, sizeof(path), "%s/recorder.log", tmpdir);
        rc = copy_file(from, path, UINT64_MAX, err);
    }
    if (rc == 0)
        rc = bundle_write_manifest(b, tmpdir, err);
    bundle_free(b);
    if (rc == 0) {
        char old[PATH_MAX];
        snprintf(old, sizeof(old), "%s.old", outdir);
        rec_rmtree(old);
        if (access(outdir, F_OK) == 0 && rename(outdir, old) != 0)
            rc = sim_errf(err, "%s: %s", outdir, strerror(errno));
        else if (rename(tmpdir, outdir) != 0)
            rc = sim_errf(err, "%s: %s", outdir, strerror(errno));
        rec_rmtree(old);
    }
    if (rc != 0)
        rec_rmtree(tmpdir);
    return rc;
}

/* ---- main ------------------------------------------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: fosim-record [OPTIONS] SCENARIO.fos OUTDIR\n\n"
            "Run SCENARIO against real QEMU and a real Linux guest and write the run as a\n"
            "bundle in OUTDIR (replaced only when the recording succeeded).  t = 0 is the\n"
            "source guest's uptime 0 (doc/real.md).\n\n"
            "  --qemu PATH          QEMU binary (default qemu-system-x86_64)\n"
            "  --guest DIR          the guest from `make guest` (default build/guest)\n"
            "  --settle TIME        horizon when the scenario has no `until`: the last\n"
            "                       action + TIME (default 20s)\n"
            "  --boot-timeout TIME  t = 0 must be seen within TIME (default 120s)\n"
            "  --keep-workdir       keep the run directory (QEMU's files) for debugging\n\n"
            "Exit status: 0 recorded, 1 the recording failed (QEMU, timeouts), 2 bad input\n"
            "(a scenario the real guest cannot run, missing guest or QEMU), 130 interrupted.\n");
}

static int opt_time(const char *opt, const char *v, sim_time *out)
{
    const char *end;
    if (!v || sim_time_parse(v, out, &end) != 0 || *end || *out <= 0) {
        fprintf(stderr, "fosim-record: %s expects a time such as 20s, got '%s'\n", opt,
                v ? v : "");
        return -1;
    }
    return 0;
}

static int check_guest(const char *dir)
{
    static const char *const files[] = { "vmlinuz", "initrd.gz", "kernel-version" };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(files); i++) {
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", dir, files[i]);
        if (access(p, R_OK) != 0) {
            fprintf(stderr,
                    "fosim-record: %s: %s; build the guest with `make guest` (it needs: "
                    "apt-get install -y --no-install-recommends qemu-system-x86 "
                    "linux-image-amd64 busybox-static)\n",
                    p, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* mkdir -p of the directory that will hold OUTDIR; 0 or -1 (errno set). */
static int make_parents(const char *outdir)
{
    char p[PATH_MAX];
    sim_strlcpy(p, outdir, sizeof(p));
    char *slash = strrchr(p, '/');
    if (!slash || slash == p)
        return 0;
    *slash = '\0';
    for (char *c = p + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST)
            return -1;
        *c = '/';
    }
    if (mkdir(p, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

int main(int argc, char **argv)
{
    struct rec_options opt = {
        .qemu = "qemu-system-x86_64",
        .guest_dir = "build/guest",
        .settle = SIM_S(20),
        .boot_timeout = SIM_S(120),
    };
    bool keep = false;
    const char *scn_path = NULL, *outdir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--qemu") == 0 && i + 1 < argc) {
            opt.qemu = argv[++i];
        } else if (strcmp(a, "--guest") == 0 && i + 1 < argc) {
            opt.guest_dir = argv[++i];
        } else if (strcmp(a, "--settle") == 0) {
            if (opt_time(a, i + 1 < argc ? argv[++i] : NULL, &opt.settle))
                return 2;
        } else if (strcmp(a, "--boot-timeout") == 0) {
            if (opt_time(a, i + 1 < argc ? argv[++i] : NULL, &opt.boot_timeout))
                return 2;
        } else if (strcmp(a, "--keep-workdir") == 0) {
            keep = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "fosim-record: unknown or incomplete option '%s' (--help)\n", a);
            return 2;
        } else if (!scn_path) {
            scn_path = a;
        } else if (!outdir) {
            outdir = a;
        } else {
            fprintf(stderr, "fosim-record: too many arguments (--help)\n");
            return 2;
        }
    }
    if (!scn_path || !outdir) {
        usage(stderr);
        return 2;
    }
    char guest_abs[PATH_MAX];
    if (check_guest(opt.guest_dir) != 0 || !realpath(opt.guest_dir, guest_abs))
        return 2;
    /* where the bundle goes must be writable before anything starts */
    if (make_parents(outdir) != 0) {
        fprintf(stderr, "fosim-record: cannot create the directory of %s: %s\n", outdir,
                strerror(errno));
        return 2;
    }
    opt.guest_dir = guest_abs;

    struct sim_err err = { "" };
    struct scenario *s = NULL;
    if (scn_load(scn_path, &s, &err) != 0) {
        fprintf(stderr, "fosim-record: %s\n", err.msg);
        return 2;
    }
    /* A short directory: unix socket paths are limited to 107 bytes. */
    const char *tmp = getenv("TMPDIR");
    char workdir[PATH_MAX];
    snprintf(workdir, sizeof(workdir), "%s/fosim-rec.XXXXXX",
             tmp && *tmp && strlen(tmp) < 60 ? tmp : "/tmp");
    if (!mkdtemp(workdir)) {
        fprintf(stderr, "fosim-record: %s: %s\n", workdir, strerror(errno));
        scn_free(s);
        return 1;
    }
    opt.workdir = workdir;

    struct rec_plan plan;
    if (rec_plan_build(&plan, s, &opt, &err) != 0) {
        fprintf(stderr, "fosim-record: %s\n", err.msg);
        rec_rmtree(workdir);
        scn_free(s);
        return 2;
    }

    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct rec *r = calloc(1, sizeof(*r));
    if (!r) {
        rec_plan_free(&plan);
        rec_rmtree(workdir);
        scn_free(s);
        return 1;
    }
    r->opt = &opt;
    r->plan = &plan;
    r->scn = s;
    r->anchor = SIM_TIME_NONE;
    r->started_mono = rec_mono();
    r->log = open_out(r, "recorder.log");
    logf_(r, "recording %s (%s) into %s; work directory %s", s->path, s->name, outdir, workdir);
    for (int i = 0; i < plan.nrewrites; i++)
        logf_(r, "rewrite %s -> %s", plan.rewrites[i].from, plan.rewrites[i].to);

    int rc = 0;
    for (int i = 0; i < OBS_NHOSTS && rc == 0; i++) {
        if (!plan.hosts[i].present)
            continue;
        r->hosts[i].plan = &plan.hosts[i];
        rc = start_host(r, &r->hosts[i]);
    }
    if (rc == 0)
        rc = run_loop(r);
    /* What the bundle keeps: everything up to now (the horizon). */
    poll_files(r);
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct rec_host *h = &r->hosts[i];
        if (!h->plan)
            continue;
        h->console_keep = h->console.bytes - h->console.len;
        for (int k = 0; k < h->plan->ncaps; k++)
            h->pcap_keep[k] = h->pcaps[k].bytes - h->pcaps[k].len;
        read_stderr(r, h);
    }
    stop_hosts(r);
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct rec_host *h = &r->hosts[i];
        if (!h->plan)
            continue;
        rec_follow_finish(&h->console);
        for (int k = 0; k < h->plan->ncaps; k++)
            rec_follow_finish(&h->pcaps[k]);
        if (close_out(&h->qmp_log) || close_out(&h->transcript) || close_out(&h->stderr_log) ||
            close_out(&h->arrivals))
            fail(r, "%s: write error in the work directory", obs_host_name(h->plan->id));
    }
    int status = 0;
    if (stop_signal) {
        fprintf(stderr, "fosim-record: interrupted; every QEMU was stopped, %s left unchanged\n",
                outdir);
        status = 130;
    } else if (r->failure[0]) {
        fprintf(stderr, "fosim-record: %s: %s (%s left unchanged; log: %s/recorder.log)\n",
                s->path, r->failure, outdir, keep ? workdir : "use --keep-workdir");
        status = 1;
    } else {
        logf_(r, "writing the bundle");
        close_out(&r->log);
        if (write_bundle(r, outdir, &err) != 0) {
            fprintf(stderr, "fosim-record: %s\n", err.msg);
            status = 1;
        } else {
            printf("fosim-record: %s recorded into %s (t = 0 by %s)\n", s->name, outdir,
                   r->anchor_how);
        }
    }
    for (int i = 0; i < OBS_NHOSTS; i++) {
        struct rec_host *h = &r->hosts[i];
        if (!h->plan)
            continue;
        rec_follow_free(&h->console);
        for (int k = 0; k < h->plan->ncaps; k++)
            rec_follow_free(&h->pcaps[k]);
    }
    close_out(&r->log);
    if (!keep)
        rec_rmtree(workdir);
    else
        fprintf(stderr, "fosim-record: work directory kept: %s\n", workdir);
    free(r);
    rec_plan_free(&plan);
    scn_free(s);
    return status;
}
