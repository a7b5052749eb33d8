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
#define _DEFAULT_SOURCE /* libpcap's headers use the BSD u_char/u_int types */
#include "harness.h"

#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <jansson.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sim/bundle.h"
#include "sim/err.h"
#include "sim/hostlog.h"
#include "sim/klog.h"
#include "sim/pcap_io.h"
#include "sim/qmp_log.h"
#include "sim/record.h"
#include "sim/run.h"
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
    long pcaps;              /* libpcap handles and dumpers opened, not closed */
    bool io_only;            /* fail only I/O calls (allocations abort by policy) */
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
char *__real_strdup(const char *s);
int __real_fputs(const char *s, FILE *f);
int __real_fputc(int c, FILE *f);
int __real_fsync(int fd);
int __real_mkdir(const char *path, mode_t mode);
pcap_t *__real_pcap_fopen_offline_with_tstamp_precision(FILE *f, u_int precision, char *errbuf);
pcap_t *__real_pcap_open_dead_with_tstamp_precision(int linktype, int snaplen, u_int precision);
void __real_pcap_close(pcap_t *p);
int __real_pcap_next_ex(pcap_t *p, struct pcap_pkthdr **h, const u_char **data);
pcap_dumper_t *__real_pcap_dump_fopen(pcap_t *p, FILE *f);
void __real_pcap_dump(u_char *user, const struct pcap_pkthdr *h, const u_char *sp);
int __real_pcap_dump_flush(pcap_dumper_t *d);
void __real_pcap_dump_close(pcap_dumper_t *d);

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
char *__wrap_strdup(const char *s);
int __wrap_fprintf(FILE *f, const char *fmt, ...);
int __wrap_fputs(const char *s, FILE *f);
int __wrap_fputc(int c, FILE *f);
int __wrap_fsync(int fd);
int __wrap_mkdir(const char *path, mode_t mode);
pcap_t *__wrap_pcap_fopen_offline_with_tstamp_precision(FILE *f, u_int precision, char *errbuf);
pcap_t *__wrap_pcap_open_dead_with_tstamp_precision(int linktype, int snaplen, u_int precision);
void __wrap_pcap_close(pcap_t *p);
int __wrap_pcap_next_ex(pcap_t *p, struct pcap_pkthdr **h, const u_char **data);
pcap_dumper_t *__wrap_pcap_dump_fopen(pcap_t *p, FILE *f);
void __wrap_pcap_dump(u_char *user, const struct pcap_pkthdr *h, const u_char *sp);
int __wrap_pcap_dump_flush(pcap_dumper_t *d);
void __wrap_pcap_dump_close(pcap_dumper_t *d);

static bool is_alloc(const char *what);

static bool fault_point(const char *what, bool write)
{
    if (!inj.armed || (inj.io_only && is_alloc(what)))
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

/*
 * jansson allocates through these (json_set_alloc_funcs).  Its parser is
 * not safe against a failing allocation: jansson 2.14 (Debian 12) writes
 * through a NULL buffer or frees twice when an allocation fails while it
 * lexes a string (reproduced outside fosim with json_loads and an
 * allocator that fails once).  Nothing above jansson can defend against
 * that, so inside json_load*() allocations are tracked but never failed;
 * instead each json_load*() call is itself a fallible call that fails the
 * way jansson reports running out of memory.  jansson's other allocations
 * (building and encoding values) fail normally; its encoder reports some
 * failures without saying why, so a failure injected there is not required
 * to produce an "out of memory" message.
 */
static int in_json_parse;

static void *json_fault_malloc(size_t n)
{
    if (!in_json_parse && fault_point("jansson-malloc", false)) {
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

/* Output to a file (not the terminal: messages on stderr are not data). */
static bool out_fault(const char *what, FILE *f)
{
    return f != stdout && f != stderr && fault_point(what, true);
}

size_t __wrap_fwrite(const void *p, size_t size, size_t n, FILE *f)
{
    if (out_fault("fwrite", f)) {
        set_stream_error(f);
        errno = ENOSPC;
        return 0;
    }
    return __real_fwrite(p, size, n, f);
}

int __wrap_fprintf(FILE *f, const char *fmt, ...)
{
    if (out_fault("fprintf", f)) {
        set_stream_error(f);
        errno = ENOSPC;
        return -1;
    }
    va_list ap;
    va_start(ap, fmt);
    int r = vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

int __wrap_fputs(const char *s, FILE *f)
{
    if (out_fault("fputs", f)) {
        set_stream_error(f);
        errno = ENOSPC;
        return EOF;
    }
    return __real_fputs(s, f);
}

int __wrap_fputc(int c, FILE *f)
{
    if (out_fault("fputc", f)) {
        set_stream_error(f);
        errno = ENOSPC;
        return EOF;
    }
    return __real_fputc(c, f);
}

int __wrap_fsync(int fd)
{
    if (fault_point("fsync", true)) {
        errno = EIO;
        return -1;
    }
    return __real_fsync(fd);
}

int __wrap_mkdir(const char *path, mode_t mode)
{
    if (fault_point("mkdir", true)) {
        errno = ENOSPC;
        return -1;
    }
    return __real_mkdir(path, mode);
}

int __wrap_fflush(FILE *f)
{
    if (f && out_fault("fflush", f)) {
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

char *__wrap_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = __wrap_malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* libpcap: a handle opened on our FILE owns it from then on (pcap_close
 * closes it with the real fclose), so the FILE stops counting as ours and
 * the handle counts instead. */
pcap_t *__wrap_pcap_fopen_offline_with_tstamp_precision(FILE *f, u_int precision, char *errbuf)
{
    if (fault_point("pcap_fopen_offline", false)) {
        snprintf(errbuf, PCAP_ERRBUF_SIZE, "fault injected");
        return NULL;
    }
    pcap_t *p = __real_pcap_fopen_offline_with_tstamp_precision(f, precision, errbuf);
    if (p && inj.armed) {
        inj.files--;
        inj.pcaps++;
    }
    return p;
}

pcap_t *__wrap_pcap_open_dead_with_tstamp_precision(int linktype, int snaplen, u_int precision)
{
    if (fault_point("pcap_open_dead", false))
        return NULL;
    pcap_t *p = __real_pcap_open_dead_with_tstamp_precision(linktype, snaplen, precision);
    if (p && inj.armed)
        inj.pcaps++;
    return p;
}

void __wrap_pcap_close(pcap_t *p)
{
    if (p && inj.armed)
        inj.pcaps--;
    __real_pcap_close(p);
}

int __wrap_pcap_next_ex(pcap_t *p, struct pcap_pkthdr **h, const u_char **data)
{
    if (fault_point("pcap_next_ex", false))
        return PCAP_ERROR;
    return __real_pcap_next_ex(p, h, data);
}

pcap_dumper_t *__wrap_pcap_dump_fopen(pcap_t *p, FILE *f)
{
    if (fault_point("pcap_dump_fopen", true))
        return NULL;
    pcap_dumper_t *d = __real_pcap_dump_fopen(p, f);
    if (d)
        forget_writer(f); /* libpcap closes it */
    if (d && inj.armed) {
        inj.files--;
        inj.pcaps++;
    }
    return d;
}

/* A failing pcap_dump writes nothing and leaves the stream's error flag
 * set, as a failing fwrite inside libpcap would. */
void __wrap_pcap_dump(u_char *user, const struct pcap_pkthdr *h, const u_char *sp)
{
    if (fault_point("pcap_dump", true)) {
        set_stream_error(pcap_dump_file((pcap_dumper_t *)(void *)user));
        errno = ENOSPC;
        return;
    }
    __real_pcap_dump(user, h, sp);
}

int __wrap_pcap_dump_flush(pcap_dumper_t *d)
{
    if (fault_point("pcap_dump_flush", true)) {
        set_stream_error(pcap_dump_file(d));
        errno = ENOSPC;
        return -1;
    }
    return __real_pcap_dump_flush(d);
}

void __wrap_pcap_dump_close(pcap_dumper_t *d)
{
    if (d && inj.armed)
        inj.pcaps--;
    __real_pcap_dump_close(d);
}

json_t *__real_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *e);
json_t *__real_json_loads(const char *s, size_t flags, json_error_t *e);
json_t *__real_json_load_file(const char *path, size_t flags, json_error_t *e);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *e);
json_t *__wrap_json_loads(const char *s, size_t flags, json_error_t *e);
json_t *__wrap_json_load_file(const char *path, size_t flags, json_error_t *e);

/* Fail a whole json_load*() the way jansson reports running out of memory. */
static bool json_load_fault(json_error_t *e)
{
    if (!fault_point("json_load", false))
        return false;
    if (e) {
        memset(e, 0, sizeof(*e));
        e->line = e->column = -1;
        snprintf(e->text, sizeof(e->text), "out of memory");
        e->text[JSON_ERROR_TEXT_LENGTH - 1] = (char)json_error_out_of_memory;
    }
    return true;
}

json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *e)
{
    if (json_load_fault(e))
        return NULL;
    in_json_parse++;
    json_t *j = __real_json_loadb(buf, len, flags, e);
    in_json_parse--;
    return j;
}

json_t *__wrap_json_loads(const char *s, size_t flags, json_error_t *e)
{
    if (json_load_fault(e))
        return NULL;
    in_json_parse++;
    json_t *j = __real_json_loads(s, flags, e);
    in_json_parse--;
    return j;
}

json_t *__wrap_json_load_file(const char *path, size_t flags, json_error_t *e)
{
    if (json_load_fault(e))
        return NULL;
    in_json_parse++;
    json_t *j = __real_json_load_file(path, flags, e);
    in_json_parse--;
    return j;
}

/* ---- Running an operation under every fault ------------------------------------------ */

struct fault_op {
    const char *name;
    /* Before each run, not counted (may be NULL). */
    void (*before)(void *ctx);
    /* Fail only I/O calls: for writers whose allocations abort by policy
     * (sim_xmalloc: model state, a partial run has no result). */
    bool io_only;
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
    long pcaps;             /* libpcap handles not closed */
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
    if (op->before)
        op->before(op->ctx);
    inj.calls = 0;
    inj.fail_at = n;
    inj.failed = NULL;
    inj.io_only = op->io_only;
    inj.armed = true;
    rep.result = op->run(op->ctx, &err);
    inj.armed = false;
    rep.calls = inj.calls;
    rep.live = inj.live;
    rep.files = inj.files;
    rep.pcaps = inj.pcaps;
    rep.failed_write = inj.failed_write;
    if (inj.failed)
        sim_strlcpy(rep.failed, inj.failed, sizeof(rep.failed));
    sim_strlcpy(rep.msg, err.msg, sizeof(rep.msg));
    if (op->after)
        op->after(op->ctx, rep.result != 0, rep.complaint, sizeof(rep.complaint));
    if (rep.live || rep.files || rep.pcaps || rep.complaint[0])
        print_injection_site();
    ssize_t w = write(fd, &rep, sizeof(rep));
    _exit(w == (ssize_t)sizeof(rep) ? 0 : 3);
}

static bool is_alloc(const char *what)
{
    if (!what)
        return false;
    return strcmp(what, "malloc") == 0 || strcmp(what, "calloc") == 0 ||
           strcmp(what, "realloc") == 0 || strcmp(what, "json_load") == 0 ||
           strcmp(what, "jansson-malloc") == 0;
}

/* Run op with call N failing, for N = 1, 2, ... until it runs clean.
 * Returns true and the number of runs with a fault injected in *runs, or
 * false with what went wrong in why. */
static bool run_with_faults(const struct fault_op *op, unsigned long *runs, char *why, size_t len)
{
    /* Debugging: FOSIM_FAULTS_AT=N runs only call N failing, in this
     * process (so gdb sees it). */
    const char *at = getenv("FOSIM_FAULTS_AT");
    if (at) {
        if (op->before)
            op->before(op->ctx);
        inj.calls = 0;
        inj.fail_at = strtoul(at, NULL, 10);
        inj.io_only = op->io_only;
        inj.armed = true;
        struct sim_err err = { "" };
        int r = op->run(op->ctx, &err);
        inj.armed = false;
        fprintf(stderr, "%s: call %s (%s) failing: %s; %zu allocation(s), %ld file(s) left\n",
                op->name, at, inj.failed ? inj.failed : "none", r ? err.msg : "success",
                inj.live, inj.files);
        *runs = 0;
        return true;
    }
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
        if (rep.pcaps)
            return snprintf(why, len, "%s: %s (call %lu) failing left %ld libpcap handle(s) open",
                            op->name, injected ? rep.failed : "nothing", n, rep.pcaps),
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
        if (rep.result != 0 && !rep.failed_write && is_alloc(rep.failed) &&
            strcmp(rep.failed, "jansson-malloc") != 0 && !strstr(rep.msg, "memory"))
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

/* ---- Trace readers --------------------------------------------------------------------- */

static const char qmp_text[] =
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}}, "
    "\"capabilities\": [\"oob\"]}}\n"
    "{\"execute\":\"qmp_capabilities\"}\n"
    "{\"return\": {}}\n"
    "{\"timestamp\": {\"seconds\": 1795637523, \"microseconds\": 198058}, \"event\": "
    "\"FAILOVER_NEGOTIATED\", \"data\": {\"device-id\": \"standby0\"}}\n"
    "\n"
    "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:1\"}, \"id\": "
    "\"fosim-7@1795637527.500000\"}\n"
    "{\"return\": {}, \"id\": \"fosim-7@1795637527.500000\"}\n"
    "{\"timestamp\": {\"seconds\": 1795637527, \"microseconds\": 748632}, \"event\": "
    "\"UNPLUG_PRIMARY\", \"data\": {\"device-id\": \"primary0\"}}\n"
    "{\"timestamp\": {\"seconds\": 1795637528, \"microseconds\": 0}, \"event\": "
    "\"VENDOR_THING\"}\n";

static const char console_text[] =
    "SeaBIOS (version 1.16.2-debian-1.16.2-1)\r\n"
    "\x1b[2J\x1b[01;01H[    0.000000] Linux version 6.1.0-41-amd64\n"
    "[    1.100000] virtio_net virtio0 eth0: failover master:eth0 registered\n"
    "[    1.100100] virtio_net virtio0 eth0: failover standby slave:eth1 registered\n"
    "login: \n"
    "[   30.000000] pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed\n"
    "[   35.000000] pcieport 0000:00:02.0: pciehp: Slot(0-1): Powering off due to button press\n"
    "[   35.100000] virtio_net virtio0 eth0: failover primary slave:eth2 unregistered\n"
    "[   35.2";

static const char stderr_text[] =
    "qemu-system-x86_64: warning: netdev hs1 has no peer\n"
    "2026-11-25T20:25:06.984300Z qemu-system-x86_64: -device vfio-pci: warning: x\n"
    "\n";

static int op_qmp(void *ctx, struct sim_err *err)
{
    struct qmp_log *q;
    if (qmp_log_open(ctx, "source.qmp", OBS_SOURCE, NULL, &q, err) != 0)
        return -1;
    struct obs o;
    int rc;
    while ((rc = qmp_log_next(q, &o, err)) == 1)
        ;
    qmp_log_close(q);
    return rc;
}

static int op_klog(void *ctx, struct sim_err *err)
{
    struct klog_reader *k;
    if (klog_open(ctx, "source-guest.log", OBS_SOURCE, NULL, &k, err) != 0)
        return -1;
    struct obs o;
    int rc;
    while ((rc = klog_next(k, &o, err)) == 1)
        ;
    if (rc == 0 && (rc = klog_rewind(k, NULL, err)) == 0)
        while ((rc = klog_next(k, &o, err)) == 1)
            ;
    klog_close(k);
    return rc;
}

static int op_hostlog(void *ctx, struct sim_err *err)
{
    struct hostlog_reader *h;
    if (hostlog_open(ctx, "source.stderr", OBS_SOURCE, NULL, SIM_S(1), &h, err) != 0)
        return -1;
    struct obs o;
    int rc;
    while ((rc = hostlog_next(h, &o, err)) == 1)
        ;
    hostlog_close(h);
    return rc;
}

/* The QMP log, console and stderr readers survive every failing call. */
static void test_text_readers(void **state)
{
    (void)state;
    char qmp[256], console[256], stderr_path[256];
    sim_strlcpy(qmp, write_scratch("source.qmp", qmp_text, sizeof(qmp_text) - 1), sizeof(qmp));
    sim_strlcpy(console, write_scratch("source-guest.log", console_text, sizeof(console_text) - 1),
                sizeof(console));
    sim_strlcpy(stderr_path, write_scratch("source.stderr", stderr_text, sizeof(stderr_text) - 1),
                sizeof(stderr_path));
    struct fault_op ops[] = {
        { .name = "qmp_log", .run = op_qmp, .ctx = qmp },
        { .name = "klog", .run = op_klog, .ctx = console },
        { .name = "hostlog", .run = op_hostlog, .ctx = stderr_path },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(ops); i++)
        assert_true(check_faults(&ops[i]) >= 3);
}

/* A capture of `n` frames (outside the injector), Ethernet or SLL2. */
static void write_capture(const char *path, bool sll2, unsigned n)
{
    struct pcap_writer *w;
    struct sim_err err;
    if (pcap_writer_open(path, sll2 ? PCAP_LINK_SLL2 : PCAP_LINK_ETHERNET, 65535, sll2, &w,
                         &err) != 0)
        fail_msg("%s", err.msg);
    uint8_t frame[80];
    memset(frame, 0, sizeof(frame));
    for (unsigned i = 0; i < n; i++) {
        frame[0] = (uint8_t)i;
        frame[12] = 0x08; /* SLL2 protocol / EtherType IPv4 */
        if (pcap_writer_put(w, SIM_S(1795637523) + SIM_US(i), frame, sizeof(frame),
                            sizeof(frame), &err) != 0)
            fail_msg("%s", err.msg);
    }
    if (pcap_writer_close(w, &err) != 0)
        fail_msg("%s", err.msg);
}

static void count_sink(void *ctx, const struct obs *o)
{
    (void)o;
    (*(uint64_t *)ctx)++;
}

static int op_pcap_read(void *ctx, struct sim_err *err)
{
    struct pcap_reader *r;
    if (pcap_reader_open(ctx, &r, err) != 0)
        return -1;
    struct pcap_rec rec;
    int rc;
    while ((rc = pcap_reader_next(r, &rec, err)) == 1)
        ;
    pcap_reader_close(r);
    return rc;
}

struct pcap_write_ctx {
    char path[256];
    bool sll2;
};

static int op_pcap_write(void *ctx, struct sim_err *err)
{
    struct pcap_write_ctx *c = ctx;
    struct pcap_writer *w;
    if (pcap_writer_open(c->path, c->sll2 ? PCAP_LINK_SLL2 : PCAP_LINK_ETHERNET, 1500, false, &w,
                         err) != 0)
        return -1;
    uint8_t frame[64] = { 0 };
    int rc = 0;
    for (unsigned i = 0; i < 4 && rc == 0; i++)
        rc = pcap_writer_put(w, SIM_S(1795637523) + SIM_MS(i), frame, sizeof(frame),
                             sizeof(frame), err);
    struct sim_err cerr = { "" };
    if (pcap_writer_close(w, rc == 0 ? err : &cerr) != 0)
        rc = -1;
    return rc;
}

/* The pcap layer: reading survives every failing call; writing reports
 * every failed write (never a silently short file). */
static void test_pcap_io(void **state)
{
    (void)state;
    char eth[256], sll2[256];
    setup_once();
    snprintf(eth, sizeof(eth), "%s/eth.pcap", scratch);
    snprintf(sll2, sizeof(sll2), "%s/sll2.pcap", scratch);
    write_capture(eth, false, 5);
    write_capture(sll2, true, 5);
    struct pcap_write_ctx wc = { .sll2 = false };
    snprintf(wc.path, sizeof(wc.path), "%s/out.pcap", scratch);
    struct fault_op ops[] = {
        { .name = "pcap read (Ethernet)", .run = op_pcap_read, .ctx = eth },
        { .name = "pcap read (SLL2)", .run = op_pcap_read, .ctx = sll2 },
        { .name = "pcap write", .run = op_pcap_write, .ctx = &wc },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(ops); i++)
        assert_true(check_faults(&ops[i]) >= 3);
}

/* ---- Bundles ------------------------------------------------------------------------------ */

static const char manifest_text[] =
    "{\"format\": \"fosim-bundle\", \"format_version\": 1, \"generator\": {\"name\": \"test\"},\n"
    " \"complete\": true, \"guest_mac\": \"52:54:00:11:11:11\",\n"
    " \"devices\": [{\"id\": \"standby0\", \"host\": \"source\", \"role\": \"standby\"},\n"
    "               {\"id\": \"primary0\", \"host\": \"source\", \"role\": \"primary\",\n"
    "                \"pair\": \"standby0\", \"mac\": \"52:54:00:11:11:11\"}],\n"
    " \"files\": [{\"path\": \"source.qmp\", \"host\": \"source\", \"kind\": \"qmp\"},\n"
    "           {\"path\": \"source-guest.log\", \"host\": \"source\", \"kind\": \"console\",\n"
    "            \"clock\": [{\"from\": 1, \"offset_ns\": 1795637490000000000}]},\n"
    "           {\"path\": \"source.stderr\", \"host\": \"source\", \"kind\": \"stderr\"},\n"
    "           {\"path\": \"source-primary0.pcap\", \"host\": \"source\", \"kind\": \"pcap\",\n"
    "            \"point\": \"primary0\"}]}\n";

static int op_bundle_read(void *ctx, struct sim_err *err)
{
    struct bundle *b;
    if (bundle_open(ctx, &b, err) != 0)
        return -1;
    uint64_t n = 0;
    struct obs_sink sink = { count_sink, &n };
    int rc = bundle_prepare(b, err);
    if (rc == 0)
        rc = bundle_replay(b, &sink, err);
    bundle_free(b);
    return rc;
}

/* A small bundle in the scratch directory. */
static void make_bundle(void)
{
    write_scratch("source.qmp", qmp_text, sizeof(qmp_text) - 1);
    write_scratch("source-guest.log", console_text, sizeof(console_text) - 1);
    write_scratch("source.stderr", stderr_text, sizeof(stderr_text) - 1);
    char pcap[256];
    snprintf(pcap, sizeof(pcap), "%s/source-primary0.pcap", scratch);
    write_capture(pcap, false, 4);
    write_scratch("manifest.json", manifest_text, sizeof(manifest_text) - 1);
}

/* Reading a bundle (manifest, first pass, merged replay) survives every
 * failing call with an error and nothing leaked. */
static void test_bundle_read(void **state)
{
    (void)state;
    char dir[256];
    make_bundle();
    sim_strlcpy(dir, scratch, sizeof(dir));
    struct fault_op op = { .name = "bundle read", .run = op_bundle_read, .ctx = dir };
    assert_true(check_faults(&op) >= 10);
}

/* Writing a manifest: a failure leaves no manifest (nor its temporary). */
struct manifest_ctx {
    char dir[256];
    struct bundle *b;
};

static void manifest_before(void *ctx)
{
    struct manifest_ctx *c = ctx;
    char path[300];
    snprintf(path, sizeof(path), "%s/%s", c->dir, BUNDLE_MANIFEST);
    unlink(path);
}

static int op_manifest_write(void *ctx, struct sim_err *err)
{
    struct manifest_ctx *c = ctx;
    return bundle_write_manifest(c->b, c->dir, err);
}

static void manifest_after(void *ctx, bool failed, char *buf, size_t n)
{
    const struct manifest_ctx *c = ctx;
    DIR *d = opendir(c->dir);
    if (!d) {
        snprintf(buf, n, "%s: %s", c->dir, strerror(errno));
        return;
    }
    struct dirent *e;
    bool manifest = false, other = false;
    while ((e = readdir(d)) != NULL) {
        manifest |= strcmp(e->d_name, BUNDLE_MANIFEST) == 0;
        other |= e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    }
    closedir(d);
    if (failed && manifest)
        snprintf(buf, n, "the write failed but %s exists: the bundle looks complete",
                 BUNDLE_MANIFEST);
    else if (!failed && !manifest)
        snprintf(buf, n, "the write succeeded but there is no %s", BUNDLE_MANIFEST);
    else if (other)
        snprintf(buf, n, "a temporary file was left behind");
}

static void test_manifest_write(void **state)
{
    (void)state;
    struct manifest_ctx c;
    setup_once();
    snprintf(c.dir, sizeof(c.dir), "%s/mw", scratch);
    assert_int_equal(mkdir(c.dir, 0700), 0);
    struct sim_err err;
    struct bundle *src;
    make_bundle(); /* read, then written again */
    assert_int_equal(bundle_open(scratch, &src, &err), 0);
    c.b = src;
    struct fault_op op = { .name = "manifest write", .run = op_manifest_write, .ctx = &c,
                           .before = manifest_before, .after = manifest_after };
    assert_true(check_faults(&op) >= 5);
    bundle_free(src);
}

/* Recording a run: every failing write, open, flush, sync, rename or mkdir
 * is reported, and leaves no manifest, so nothing looks like a complete
 * bundle.  Allocations are not failed here: the recorder's state is model
 * state (sim_xmalloc aborts by policy; an aborted run writes no manifest). */
struct record_ctx {
    struct scenario *s;
    char dir[256];
};

static void empty_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char p[512];
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
}

static void record_before(void *ctx)
{
    const struct record_ctx *c = ctx;
    empty_dir(c->dir);
    rmdir(c->dir);
}

static int op_record(void *ctx, struct sim_err *err)
{
    const struct record_ctx *c = ctx;
    struct sim_run_config cfg = { .until = SIM_S(12) };
    struct sim_run *r;
    if (sim_run_new(c->s, &cfg, &r, err) != 0)
        return -1;
    struct recorder *rec;
    if (record_open(c->dir, r, &rec, err) != 0) {
        sim_run_free(r);
        return -1;
    }
    sim_run_go(r);
    int rc = record_finish(rec, err);
    sim_run_free(r);
    return rc;
}

static void record_after(void *ctx, bool failed, char *buf, size_t n)
{
    const struct record_ctx *c = ctx;
    char path[512];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", c->dir, BUNDLE_MANIFEST);
    bool manifest = stat(path, &st) == 0;
    if (failed && manifest)
        snprintf(buf, n, "the recording failed but %s exists: the bundle looks complete",
                 BUNDLE_MANIFEST);
    else if (!failed && !manifest)
        snprintf(buf, n, "the recording succeeded but there is no %s", BUNDLE_MANIFEST);
}

static void test_record(void **state)
{
    (void)state;
    setup_once();
    struct record_ctx c;
    struct sim_err err;
    if (scn_load("conformance/scenarios/guest/native-migration.fos", &c.s, &err) != 0)
        fail_msg("%s", err.msg);
    snprintf(c.dir, sizeof(c.dir), "%s/rec", scratch);
    struct fault_op op = { .name = "record", .run = op_record, .ctx = &c, .io_only = true,
                           .before = record_before, .after = record_after };
    assert_true(check_faults(&op) >= 10);
    scn_free(c.s);
}

/* The injector itself: a leak and an ignored write error are caught (the
 * checks above cannot pass vacuously). */
static int op_leaky(void *ctx, struct sim_err *err)
{
    (void)ctx;
    void *p = malloc(16);
    if (!p)
        return sim_errf(err, "out of memory");
    // cppcheck-suppress memleak
    return 0; /* leaks p, on purpose */
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
    cmocka_unit_test(test_text_readers),
    cmocka_unit_test(test_pcap_io),
    cmocka_unit_test(test_bundle_read),
    cmocka_unit_test(test_manifest_write),
    cmocka_unit_test(test_record),
};

FO_MAIN("faults", tests)
