/*
 * QEMU processes of a recording.
 *
 * Each QEMU runs in a process group of its own (so a stop reaches anything
 * it forked) with stdin and stdout on /dev/null and stderr in a pipe the
 * recorder reads as lines arrive.  Every wait is bounded: a process that
 * does not go away after SIGTERM gets SIGKILL, and the recorder never waits
 * for a child without a deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "recorder.h"

sim_time rec_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (sim_time)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

sim_time rec_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (sim_time)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int rec_proc_start(struct rec_proc *p, char *const argv[], const char *cwd, struct sim_err *err)
{
    int pipefd[2];
    *p = (struct rec_proc){ .stderr_fd = -1 };
    if (pipe(pipefd) != 0)
        return sim_errf(err, "pipe: %s", strerror(errno));
    /* A pipe to learn whether exec failed (it closes on a successful exec). */
    int execfd[2];
    if (pipe(execfd) != 0) {
        sim_errf(err, "pipe: %s", strerror(errno));
        goto err_close_stderr;
    }
    fcntl(execfd[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        sim_errf(err, "fork: %s", strerror(errno));
        goto err_close_exec;
    }
    if (pid == 0) {
        setpgid(0, 0);
        /* the recorder ignores SIGPIPE; QEMU gets the default dispositions */
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
        }
        dup2(pipefd[1], 2);
        close(pipefd[0]);
        close(pipefd[1]);
        close(execfd[0]);
        int e = 0;
        if (chdir(cwd) != 0)
            e = errno;
        else {
            execvp(argv[0], argv);
            e = errno;
        }
        if (write(execfd[1], &e, sizeof(e)) < 0)
            _exit(126);
        _exit(127);
    }
    setpgid(pid, pid); /* also from the parent, so a signal cannot race it */
    close(pipefd[1]);
    close(execfd[1]);
    int e = 0;
    ssize_t r;
    do {
        r = read(execfd[0], &e, sizeof(e));
    } while (r < 0 && errno == EINTR);
    close(execfd[0]);
    if (r == (ssize_t)sizeof(e)) {
        int st;
        waitpid(pid, &st, 0);
        close(pipefd[0]);
        return sim_errf(err, "cannot run %s: %s", argv[0], strerror(e));
    }
    fcntl(pipefd[0], F_SETFL, fcntl(pipefd[0], F_GETFL) | O_NONBLOCK);
    fcntl(pipefd[0], F_SETFD, FD_CLOEXEC);
    p->pid = pid;
    p->stderr_fd = pipefd[0];
    return 0;

err_close_exec:
    close(execfd[0]);
    close(execfd[1]);
err_close_stderr:
    close(pipefd[0]);
    close(pipefd[1]);
    return -1;
}

bool rec_proc_poll(struct rec_proc *p)
{
    if (p->pid <= 0 || p->exited)
        return p->exited;
    int st;
    pid_t r = waitpid(p->pid, &st, WNOHANG);
    if (r == p->pid) {
        p->exited = true;
        p->status = st;
        p->exit_wall = rec_wall();
    }
    return p->exited;
}

bool rec_proc_wait(struct rec_proc *p, sim_time timeout)
{
    sim_time end = rec_mono() + timeout;
    while (!rec_proc_poll(p)) {
        if (p->pid <= 0 || rec_mono() >= end)
            return p->exited;
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return true;
}

void rec_proc_stop(struct rec_proc *p, sim_time grace)
{
    if (p->pid > 0 && !rec_proc_poll(p)) {
        kill(-p->pid, SIGTERM);
        if (!rec_proc_wait(p, grace)) {
            kill(-p->pid, SIGKILL);
            rec_proc_wait(p, SIM_S(5));
        }
    }
    /* whatever else is left in its group */
    if (p->pid > 0)
        kill(-p->pid, SIGKILL);
    if (p->stderr_fd >= 0) {
        close(p->stderr_fd);
        p->stderr_fd = -1;
    }
}

void rec_proc_describe(const struct rec_proc *p, char *buf, size_t n)
{
    if (!p->exited)
        snprintf(buf, n, "running");
    else if (WIFEXITED(p->status))
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(p->status));
    else if (WIFSIGNALED(p->status))
        snprintf(buf, n, "killed by signal %d", WTERMSIG(p->status));
    else
        snprintf(buf, n, "ended (status 0x%x)", (unsigned)p->status);
}
