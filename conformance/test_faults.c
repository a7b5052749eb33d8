/*
 * Fault injection: the readers and writers of artifacts meet failing
 * allocations and failing I/O.
 *
 * This executable is linked with -Wl,--wrap for the C library's allocation
 * and stdio calls (and libpcap's open/dump calls, see FAULT_WRAP in the
 * Makefile), and jansson's allocator is pointed at the same wrappers.  An
 * operation (load a scenario, read a pcap, write one, ...) is run once for
 * every N = 1, 2, 3, ... with the Nth fallible call failing, until a run
 * makes fewer than N calls, i.e. it succeeded with nothing injected.  Each
 * run happens in a forked child, so that an abort (sim_xmalloc's policy,
 * meant for model state only) or a crash is reported as a failure of the
 * test naming the call, instead of killing the suite.
 *
 * For every N the child checks:
 *   - the operation returned an error with a message, or succeeded when the
 *     failed call was one it may survive (never after a failed write: a
 *     writer must report that data was lost);
 *   - every allocation it made was freed and every file it opened closed
 *     (tracked here, so the check holds in plain builds as well as under
 *     ASan and valgrind);
 *   - for bundle writers: a failed write leaves no manifest, so nothing
 *     looks like a complete bundle.
 */
#include "harness.h"

#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/err.h"
#include "sim/scenario.h"

/* ---- The injector ------------------------------------------------------------------ */

#define FAULT_MAX_CALLS 200000 /* a bug guard: no operation here needs more */

struct injector {
    bool armed;              /* count (and maybe fail) calls */
    unsigned long calls;     /* fallible calls made while armed */
    unsigned long fail_at;   /* the call to fail (1-based); 0 = none */
    const char *failed;      /* what the failed call was ("malloc", "fwrite") */
    bool failed_write;       /* it was an output call */
    void *bt[24];            /* where it was called from */
    int nbt;
    void **set;              /* open-addressing set of live allocations */
    size_t setcap;
    size_t live;
    long files;              /* FILEs opened while armed, not yet closed */
    FILE *writers[64];       /* streams open for writing (a failed close loses data) */
};

static struct injector inj;

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
FILE *__real_fopen(const char *path, const char *mode);
FILE *__real_fdopen(int fd, const char *mode);
int __real_fclose(FILE *f);
size_t __real_fwrite(const void *p, size_t size, size_t n, FILE *f);
size_t __real_fread(void *p, size_t size, size_t n, FILE *f);
int __real_getc(FILE *f);
int __real_fflush(FILE *f);
int __real_rename(const char *from, const char *to);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
FILE *__wrap_fopen(const char *path, const char *mode);
FILE *__wrap_fdopen(int fd, const char *mode);
int __wrap_fclose(FILE *f);
size_t __wrap_fwrite(const void *p, size_t size, size_t n, FILE *f);
size_t __wrap_fread(void *p, size_t size, size_t n, FILE *f);
int __wrap_getc(FILE *f);
int __wrap_fflush(FILE *f);
int __wrap_rename(const char *from, const char *to);

static bool fault_point(const char *what, bool write)
{
    if (!inj.armed)
        return false;
    inj.calls++;
    if (inj.calls != inj.fail_at)
        return false;
    inj.failed = what;
    inj.failed_write = write;
    inj.nbt = backtrace(inj.bt, (int)SIM_ARRAY_SIZE(inj.bt));
    return true;
}

static size_t slot_of(const void *p, size_t cap)
{
    uintptr_t h = (uintptr_t)p;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 7) & (cap - 1);
}

static void set_add(void *p)
{
    if (!p)
        return;
    if ((inj.live + 1) * 2 > inj.setcap) {
        size_t ncap = inj.setcap ? inj.setcap * 2 : 4096;
        void **nset = __real_calloc(ncap, sizeof(*nset));
        SIM_ASSERT(nset != NULL);
        for (size_t i = 0; i < inj.setcap; i++) {
            if (!inj.set[i])
                continue;
            size_t k = slot_of(inj.set[i], ncap);
            while (nset[k])
                k = (k + 1) & (ncap - 1);
            nset[k] = inj.set[i];
        }
        __real_free(inj.set);
        inj.set = nset;
        inj.setcap = ncap;
    }
    size_t k = slot_of(p, inj.setcap);
    while (inj.set[k])
        k = (k + 1) & (inj.setcap - 1);
    inj.set[k] = p;
    inj.live++;
}

/* Remove p if present (linear probing with backward-shift deletion). */
static void set_del(void *p)
{
    if (!p || !inj.setcap)
        return;
    size_t k = slot_of(p, inj.setcap);
    while (inj.set[k] && inj.set[k] != p)
        k = (k + 1) & (inj.setcap - 1);
    if (!inj.set[k])
        return;
    inj.set[k] = NULL;
    inj.live--;
    size_t j = k;
    for (;;) {
        j = (j + 1) & (inj.setcap - 1);
        if (!inj.set[j])
            break;
        size_t home = slot_of(inj.set[j], inj.setcap);
        /* move set[j] into the hole k unless its home lies in (k, j] */
        bool between = k <= j ? (home > k && home <= j) : (home > k || home <= j);
        if (!between) {
            inj.set[k] = inj.set[j];
            inj.set[j] = NULL;
            k = j;
        }
    }
}

void *__wrap_malloc(size_t n)
{
    if (fault_point("malloc", false)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __real_malloc(n);
    if (inj.armed)
        set_add(p);
    return p;
}

void *__wrap_calloc(size_t n, size_t size)
{
    if (fault_point("calloc", false)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __real_calloc(n, size);
    if (inj.armed)
        set_add(p);
    return p;
}

void *__wrap_realloc(void *p, size_t n)
{
    if (fault_point("realloc", false)) {
        errno = ENOMEM;
        return NULL;
    }
    void *q = __real_realloc(p, n);
    if (q && inj.armed) {
        set_del(p);
        set_add(q);
    }
    return q;
}

void __wrap_free(void *p)
{
    set_del(p);
    __real_free(p);
}

/* jansson allocates through these (json_set_alloc_funcs).  Its parser
 * reports some allocation failures as syntax errors ("string or '}'
 * expected"), so a failure injected here is not required to produce an
 * "out of memory" message; everything else still holds. */
static void *json_fault_malloc(size_t n)
{
    if (fault_point("jansson-malloc", false)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = __real_malloc(n);
    if (inj.armed)
        set_add(p);
    return p;
}

static void json_fault_free(void *p)
{
    __wrap_free(p);
}

static void note_writer(FILE *f, const char *mode)
{
    if (!f || !strpbrk(mode, "wa+"))
        return;
    for (size_t i = 0; i < SIM_ARRAY_SIZE(inj.writers); i++) {
        if (!inj.writers[i]) {
            inj.writers[i] = f;
            return;
        }
    }
}

/* Forget f; true if it was open for writing. */
static bool forget_writer(FILE *f)
{
    for (size_t i = 0; i < SIM_ARRAY_SIZE(inj.writers); i++) {
        if (inj.writers[i] == f) {
            inj.writers[i] = NULL;
            return true;
        }
    }
    return false;
}

FILE *__wrap_fopen(const char *path, const char *mode)
{
    if (fault_point("fopen", false)) {
        errno = EMFILE;
        return NULL;
    }
    FILE *f = __real_fopen(path, mode);
    if (f && inj.armed)
        inj.files++;
    note_writer(f, mode);
    return f;
}

FILE *__wrap_fdopen(int fd, const char *mode)
{
    if (fault_point("fdopen", false)) {
        errno = ENOMEM;
        return NULL;
    }
    FILE *f = __real_fdopen(fd, mode);
    if (f && inj.armed)
        inj.files++;
    note_writer(f, mode);
    return f;
}

int __wrap_fclose(FILE *f)
{
    if (inj.armed)
        inj.files--;
    bool fail = fault_point("fclose", forget_writer(f));
    int r = __real_fclose(f);
    if (fail) {
        errno = EIO;
        return EOF;
    }
    return r;
}

/* glibc: the stream's error indicator, as a failed write or read sets it. */
static void set_stream_error(FILE *f)
{
    f->_flags |= _IO_ERR_SEEN;
}

size_t __wrap_fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    if (fault_point("fwrite", true)) {
        set_stream_error(f);
        errno = ENOSPC;
        return 0;
    }
    return __real_fwrite(p, size, n, f);
}

int __wrap_fflush(FILE *f)
{
    if (f && fault_point("fflush", true)) {
        set_stream_error(f);
        errno = ENOSPC;
        return EOF;
    }
    return __real_fflush(f);
}

size_t __wrap_fread(void *p, size_t size, size_t n, FILE *f)
{
    if (fault_point("fread", false)) {
        set_stream_error(f);
        errno = EIO;
        return 0;
    }
    return __real_fread(p, size, n, f);
}

int __wrap_getc(FILE *f)
{
    /* getc runs once per byte: only the first call after an open would be a
     * realistic place for a read error, and counting every byte would make
     * N huge, so getc is counted but fails only as the first read. */
    return __real_getc(f);
}

int __wrap_rename(const char *from, const char *to)
{
    if (fault_point("rename", true)) {
        errno = EXDEV;
        return -1;
    }
    return __real_rename(from, to);
}

/* ---- Running an operation under every fault ------------------------------------------ */

struct fault_op {
    const char *name;
    /* Run once; 0 on success, -1 with err filled.  Must free all it made. */
    int (*run)(void *ctx, struct sim_err *err);
    void *ctx;
    /* After the run (success or not): return a non-empty complaint in
     * buf if what it left on disk is wrong (e.g. a manifest after a failed
     * write); may be NULL. */
    void (*after)(void *ctx, bool failed, char *buf, size_t n);
};

struct child_report {
    int result;             /* the operation's return value */
    unsigned long calls;    /* fallible calls made */
    size_t live;            /* allocations not freed */
    long files;             /* files not closed */
    bool failed_write;
    char failed[16];
    char msg[sizeof(((struct sim_err *)0)->msg)];
    char complaint[256];
};

static void print_injection_site(void)
{
    static const char head[] = "fault injected here:\n";
    ssize_t w = write(STDERR_FILENO, head, sizeof(head) - 1);
    (void)w;
    backtrace_symbols_fd(inj.bt, inj.nbt, STDERR_FILENO);
}

static void on_fatal_signal(int sig)
{
    if (inj.failed)
        print_injection_site();
    signal(sig, SIG_DFL);
    raise(sig);
}

static _Noreturn void child(const struct fault_op *op, unsigned long n, int fd)
{
    signal(SIGABRT, on_fatal_signal);
    signal(SIGSEGV, on_fatal_signal);
    struct child_report rep;
    memset(&rep, 0, sizeof(rep));
    struct sim_err err = { "" };
    inj.calls = 0;
    inj.fail_at = n;
    inj.failed = NULL;
    inj.armed = true;
    rep.result = op->run(op->ctx, &err);
    inj.armed = false;
    rep.calls = inj.calls;
    rep.live = inj.live;
    rep.files = inj.files;
    rep.failed_write = inj.failed_write;
    if (inj.failed)
        sim_strlcpy(rep.failed, inj.failed, sizeof(rep.failed));
    sim_strlcpy(rep.msg, err.msg, sizeof(rep.msg));
    if (op->after)
        op->after(op->ctx, rep.result != 0, rep.complaint, sizeof(rep.complaint));
    if (rep.live || rep.files || rep.complaint[0])
        print_injection_site();
    ssize_t w = write(fd, &rep, sizeof(rep));
    _exit(w == (ssize_t)sizeof(rep) ? 0 : 3);
}

static bool is_alloc(const char *what)
{
    return strcmp(what, "malloc") == 0 || strcmp(what, "calloc") == 0 || strcmp(what, "realloc") == 0;
}

/* Run op with call N failing, for N = 1, 2, ... until it runs clean.
 * Returns true and the number of runs with a fault injected in *runs, or
 * false with what went wrong in why. */
static bool run_with_faults(const struct fault_op *op, unsigned long *runs, char *why, size_t len)
{
    for (unsigned long n = 1; n < FAULT_MAX_CALLS; n++) {
        int p[2];
        if (pipe(p) != 0)
            return snprintf(why, len, "pipe: %s", strerror(errno)), false;
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0)
            return snprintf(why, len, "fork: %s", strerror(errno)), false;
        if (pid == 0) {
            close(p[0]);
            child(op, n, p[1]);
        }
        close(p[1]);
        struct child_report rep;
        ssize_t got = read(p[0], &rep, sizeof(rep));
        close(p[0]);
        int status;
        if (waitpid(pid, &status, 0) != pid)
            return snprintf(why, len, "waitpid: %s", strerror(errno)), false;
        if (WIFSIGNALED(status))
            return snprintf(why, len,
                            "%s: call %lu failing killed the process (signal %d); the "
                            "backtrace of the failed call is above",
                            op->name, n, WTERMSIG(status)),
                   false;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != (ssize_t)sizeof(rep))
            return snprintf(why, len, "%s: call %lu failing: the child exited with status %d",
                            op->name, n, WIFEXITED(status) ? WEXITSTATUS(status) : -1),
                   false;
        bool injected = rep.calls >= n;
        if (getenv("FOSIM_FAULTS_VERBOSE"))
            fprintf(stderr, "%s: %s (call %lu) failing: %s\n", op->name,
                    injected ? rep.failed : "nothing", n, rep.result ? rep.msg : "success");
        if (rep.live)
            return snprintf(why, len, "%s: %s (call %lu) failing leaked %zu allocation(s)",
                            op->name, injected ? rep.failed : "nothing", n, rep.live),
                   false;
        if (rep.files)
            return snprintf(why, len, "%s: %s (call %lu) failing left %ld file(s) open",
                            op->name, injected ? rep.failed : "nothing", n, rep.files),
                   false;
        if (rep.complaint[0])
            return snprintf(why, len, "%s: %s (call %lu) failing: %s", op->name,
                            injected ? rep.failed : "nothing", n, rep.complaint),
                   false;
        if (!injected) {
            if (rep.result != 0)
                return snprintf(why, len, "%s: fails without any fault injected: %s",
                                op->name, rep.msg),
                       false;
            *runs = n - 1;
            return true;
        }
        if (rep.result == 0 && rep.failed_write)
            return snprintf(why, len,
                            "%s: %s (call %lu) failed but the operation reported success: "
                            "written data was lost silently",
                            op->name, rep.failed, n),
                   false;
        if (rep.result != 0 && !rep.msg[0])
            return snprintf(why, len, "%s: %s (call %lu) failing gave an error without a message",
                            op->name, rep.failed, n),
                   false;
        if (rep.result != 0 && !rep.failed_write && is_alloc(rep.failed) && !strstr(rep.msg, "memory"))
            return snprintf(why, len, "%s: %s (call %lu) failing gave a misleading message: %s",
                            op->name, rep.failed, n, rep.msg),
                   false;
    }
    return snprintf(why, len, "%s: more than %d fallible calls", op->name, FAULT_MAX_CALLS),
           false;
}

/* Run op under every fault; fail the test on the first problem.  Returns
 * the number of faults injected. */
static unsigned long check_faults(const struct fault_op *op)
{
    unsigned long runs = 0;
    char why[512];
    if (!run_with_faults(op, &runs, why, sizeof(why)))
        fail_msg("%s", why);
    return runs;
}

/* ---- Fixtures ------------------------------------------------------------------------------ */

static char scratch[64];

static void remove_scratch(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "test_faults: cannot remove %s\n", scratch);
}

/* Route jansson through the injector and make a scratch directory (once,
 * before anything is allocated with jansson). */
static void setup_once(void)
{
    if (scratch[0])
        return;
    json_set_alloc_funcs(json_fault_malloc, json_fault_free);
    snprintf(scratch, sizeof(scratch), "/tmp/fosim-faults-XXXXXX");
    if (!mkdtemp(scratch))
        fail_msg("mkdtemp: %s", strerror(errno));
    atexit(remove_scratch);
}

static const char *write_scratch(const char *name, const void *data, size_t n)
{
    static char path[256];
    setup_once();
    snprintf(path, sizeof(path), "%s/%s", scratch, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
    return path;
}

/* ---- Scenario files ------------------------------------------------------------------------ */

static const char scenario_main[] =
    "scenario faults\n"
    "describe \"every statement kind, for fault injection\"\n"
    "seed 3\n"
    "epoch 2025-11-25T12:00:00Z\n"
    "until 30s\n"
    "vms 2\n"
    "qmp-setup plain\n"
    "evidence H-01 G-02\n"
    "tags a b\n"
    "host source\n"
    "    qemu-system-x86_64 -M q35 -m 256 \\\n"
    "    -device '{\"driver\":\"virtio-net-pci\",\"id\":\"standby0\"}'\n"
    "end\n"
    "host target like source\n"
    "    -incoming defer\n"
    "end\n"
    "guest linux\n"
    "    eject-delay 100ms\n"
    "end\n"
    "traffic\n"
    "    ping 10.0.2.2 every 200ms\n"
    "end\n"
    "include \"faults-inc.fos\"\n"
    "at 10s source migrate uri=tcp:127.0.0.1:4444 as mig\n"
    "at 2s source qmp {\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}}\n"
    "at 3s guest eject primary0\n"
    "expect source event MIGRATION status=completed in 15s..18s\n"
    "expect source migration wait-unplug in ..11s\n"
    "expect source duration wait-unplug 6s..7s\n"
    "expect source device primary0 hidden at 1s\n"
    "expect source reply mig ok\n"
    "expect source order UNPLUG_PRIMARY < MIGRATION status=wait-unplug < log \"x\"\n"
    "expect guest log \"failover\" count 2\n"
    "expect target no stderr \"warning\"\n"
    "expect verdict MIG-SRC-001 pass\n"
    "expect traffic blackout out < 1s\n";

static const char scenario_inc[] = "at 12s source migrate_cancel\n";

static int op_scenario(void *ctx, struct sim_err *err)
{
    struct scenario *s = NULL;
    if (scn_load(ctx, &s, err) != 0)
        return -1;
    scn_free(s);
    return 0;
}

/* Loading a scenario (and its include) survives every failing allocation
 * and file open with an error message and nothing leaked. */
static void test_scenario_load(void **state)
{
    (void)state;
    write_scratch("faults-inc.fos", scenario_inc, sizeof(scenario_inc) - 1);
    char path[256];
    sim_strlcpy(path, write_scratch("faults.fos", scenario_main, sizeof(scenario_main) - 1),
                sizeof(path));
    struct fault_op op = { .name = "scn_load", .run = op_scenario, .ctx = path };
    unsigned long n = check_faults(&op);
    assert_true(n > 100); /* the operation really allocates: the injector works */
}

/* The injector itself: a leak and an ignored write error are caught (the
 * checks above cannot pass vacuously). */
static int op_leaky(void *ctx, struct sim_err *err)
{
    (void)ctx;
    void *p = malloc(16);
    if (!p)
        return sim_errf(err, "out of memory");
    return 0; /* leaks p */
}

static int op_lossy(void *ctx, struct sim_err *err)
{
    (void)err;
    FILE *f = fopen(ctx, "wb");
    if (!f)
        return sim_errf(err, "cannot open");
    fwrite("x", 1, 1, f); /* result ignored */
    fclose(f);            /* result ignored */
    return 0;
}

static void test_injector_catches_leak_and_lost_write(void **state)
{
    (void)state;
    setup_once();
    char path[256];
    snprintf(path, sizeof(path), "%s/lossy", scratch);
    struct fault_op leaky = { .name = "leaky", .run = op_leaky };
    struct fault_op lossy = { .name = "lossy", .run = op_lossy, .ctx = path };
    unsigned long runs;
    char why[512] = "";
    int saved = dup(STDERR_FILENO); /* the children print backtraces: hide them */
    int null = open("/dev/null", O_WRONLY);
    dup2(null, STDERR_FILENO);
    bool leak_caught = !run_with_faults(&leaky, &runs, why, sizeof(why));
    bool leak_named = strstr(why, "leaked 1 allocation") != NULL;
    bool loss_caught = !run_with_faults(&lossy, &runs, why, sizeof(why));
    bool loss_named = strstr(why, "lost silently") != NULL;
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(null);
    assert_true(leak_caught && leak_named);
    assert_true(loss_caught && loss_named);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_injector_catches_leak_and_lost_write),
    cmocka_unit_test(test_scenario_load),
};

FO_MAIN("faults", tests)
