/*
 * Bundles: the manifest, the first pass (roles, clocks), and the merged
 * replay of every source (see sim/include/sim/bundle.h and doc/bundle.md).
 *
 * The manifest is read with jansson and checked field by field; an error
 * names the manifest and the field's JSON path.  The replay keeps one head
 * observation per source and hands out the smallest key each time; the
 * number of sources is small (a few per host), so a linear scan beats a
 * heap here.  Memory does not grow with the length of any file.
 */
#include "sim/bundle.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim/hostlog.h"
#include "sim/klog.h"
#include "sim/pcap_io.h"
#include "sim/qmp_log.h"

const char *bundle_kind_name(enum bundle_kind k)
{
    static const char *const names[] = {
#define X(id, name) name,
        BUNDLE_KINDS(X)
#undef X
    };
    return (unsigned)k < SIM_ARRAY_SIZE(names) ? names[k] : "?";
}

int bundle_kind_parse(const char *s, enum bundle_kind *out)
{
    for (int k = 0; k < BUNDLE_NKINDS; k++) {
        if (strcmp(s, bundle_kind_name((enum bundle_kind)k)) == 0) {
            *out = (enum bundle_kind)k;
            return 0;
        }
    }
    return -1;
}

static int role_parse(const char *s, enum obs_role *out)
{
    for (int r = 0; r < OBS_NROLES; r++) {
        if (strcmp(s, obs_role_name((enum obs_role)r)) == 0) {
            *out = (enum obs_role)r;
            return 0;
        }
    }
    return -1;
}

int bundle_mac_parse(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[i * 3 + k];
            int d = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
            if (d < 0)
                return -1;
            v = v * 16 + (unsigned)d;
        }
        char sep = s[i * 3 + 2];
        if (i < 5 ? sep != ':' : sep != '\0')
            return -1;
        mac[i] = (uint8_t)v;
    }
    return 0;
}

void bundle_mac_format(char out[18], const uint8_t m[6])
{
    snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *const hotplug_names[] = { "unknown", "native", "acpi" };

const char *bundle_source_name(enum bundle_source s)
{
    static const char *const names[] = {
#define X(id, name) name,
        BUNDLE_SOURCES(X)
#undef X
    };
    return (unsigned)s < SIM_ARRAY_SIZE(names) ? names[s] : "?";
}

/* ---- Construction ------------------------------------------------------------ */

/*
 * Allocation: bundles are untrusted input, so running out of memory while
 * reading one is an error ("out of memory"), never an abort (sim/err.h).
 * The helpers below return NULL; where a void helper fails (note,
 * infer_dev), b->oom is set and bundle_prepare reports it.
 */
static char *dup_or_null(const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static struct bundle *bundle_alloc(void)
{
    struct bundle *b = calloc(1, sizeof(*b));
    if (b)
        b->complete = true;
    return b;
}

struct bundle *bundle_new(void)
{
    struct bundle *b = bundle_alloc();
    if (!b) { /* the command line's empty bundle: nothing read yet */
        fputs("fosim: out of memory\n", stderr);
        abort();
    }
    return b;
}

static void note(struct bundle *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct bundle *b, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    char **notes = realloc(b->notes, (b->nnotes + 1) * sizeof(*b->notes));
    if (notes)
        b->notes = notes;
    char *s = notes ? dup_or_null(buf) : NULL;
    if (!s) {
        b->oom = true;
        return;
    }
    b->notes[b->nnotes++] = s;
}

/* A new zeroed file entry, or NULL when memory ran out. */
static struct bundle_file *add_file(struct bundle *b)
{
    struct bundle_file *files = realloc(b->files, (b->nfiles + 1) * sizeof(*b->files));
    if (!files)
        return NULL;
    b->files = files;
    struct bundle_file *f = &b->files[b->nfiles++];
    memset(f, 0, sizeof(*f));
    return f;
}

/* A new zeroed device entry, or NULL when memory ran out. */
static struct bundle_device *add_dev(struct bundle *b)
{
    struct bundle_device *devs = realloc(b->devs, (b->ndevs + 1) * sizeof(*b->devs));
    if (!devs)
        return NULL;
    b->devs = devs;
    struct bundle_device *d = &b->devs[b->ndevs++];
    memset(d, 0, sizeof(*d));
    return d;
}

static bool same_point(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

const struct bundle_file *bundle_file_find(const struct bundle *b, enum bundle_kind kind,
                                           enum obs_host host, const char *point)
{
    for (size_t i = 0; i < b->nfiles; i++) {
        const struct bundle_file *f = &b->files[i];
        if (f->kind == kind && f->host == host && (!point || same_point(f->point, point)))
            return f;
    }
    return NULL;
}

bool bundle_has(const struct bundle *b, enum bundle_kind kind, enum obs_host host)
{
    return bundle_file_find(b, kind, host, NULL) != NULL;
}

static int check_readable(const char *path, const char *what, struct sim_err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return sim_errf(err, "%s: %s: %s", what, path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return sim_errf(err, "%s: %s: not a regular file", what, path);
    return 0;
}

int bundle_add(struct bundle *b, enum bundle_kind kind, enum obs_host host, const char *point,
               const char *path, struct sim_err *err)
{
    if (kind == BUNDLE_PCAP && (!point || !*point))
        return sim_errf(err, "%s: a pcap needs a capture point (a device id or \"guest\")", path);
    if (kind != BUNDLE_PCAP)
        point = NULL;
    if (b->nfiles >= BUNDLE_MAX_FILES)
        return sim_errf(err, "%s: more than %d files (the bound on a bundle)", path,
                        BUNDLE_MAX_FILES);
    if (bundle_file_find(b, kind, host, point))
        return sim_errf(err, "%s: a second %s file for the %s host%s%s", path,
                        bundle_kind_name(kind), obs_host_name(host), point ? " at " : "",
                        point ? point : "");
    if (check_readable(path, bundle_kind_name(kind), err) != 0)
        return -1;
    struct bundle_file *f = add_file(b);
    if (!f)
        return sim_errf(err, "%s: out of memory", path);
    f->name = dup_or_null(path);
    f->path = dup_or_null(path);
    f->kind = kind;
    f->host = host;
    f->point = dup_or_null(point);
    if (!f->name || !f->path || (point && !f->point))
        return sim_errf(err, "%s: out of memory", path);
    return 0;
}

void bundle_free(struct bundle *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->nfiles; i++) {
        free(b->files[i].name);
        free(b->files[i].path);
        free(b->files[i].point);
        clock_map_free(&b->files[i].clock);
    }
    free(b->files);
    for (size_t i = 0; i < b->ndevs; i++) {
        free(b->devs[i].id);
        free(b->devs[i].pair);
        free(b->devs[i].netdev);
    }
    free(b->devs);
    for (size_t i = 0; i < b->nnotes; i++)
        free(b->notes[i]);
    free(b->notes);
    json_decref(b->provenance);
    free(b->dir);
    free(b);
}

/* ---- The manifest ---------------------------------------------------------------- */

struct mctx {
    const char *file;   /* manifest path, for messages */
    struct sim_err *err;
};

static int bad_(struct mctx *m, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define bad(...) sim__minus_one(bad_(__VA_ARGS__)) /* -1, visibly: see sim/err.h */
static int bad_(struct mctx *m, const char *path, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return sim_errf(m->err, "%s: %s: %s", m->file, path, buf);
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/* A string member: required or optional (NULL when absent). */
static int get_str(struct mctx *m, const json_t *o, const char *key, const char *where,
                   bool required, const char **out)
{
    const json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v) {
        if (required)
            return bad(m, where, "missing member \"%s\" (a string)", key);
        return 0;
    }
    if (!json_is_string(v))
        return bad(m, where, "\"%s\" must be a string, found %s", key, json_type_name(v));
    *out = json_string_value(v);
    return 0;
}

static int get_int(struct mctx *m, const json_t *o, const char *key, const char *where,
                   bool *present, json_int_t *out)
{
    const json_t *v = json_object_get(o, key);
    *present = v != NULL;
    if (!v)
        return 0;
    if (!json_is_integer(v))
        return bad(m, where, "\"%s\" must be an integer, found %s", key, json_type_name(v));
    *out = json_integer_value(v);
    return 0;
}

static int parse_host(struct mctx *m, const json_t *o, const char *where, enum obs_host *h)
{
    const char *s;
    if (get_str(m, o, "host", where, true, &s) != 0)
        return -1;
    if (obs_host_parse(s, h) != 0)
        return bad(m, where, "\"host\" must be \"source\" or \"target\", found \"%s\"", s);
    return 0;
}

/* "clock": [{"from": N, "offset_ns": NS}, ...] */
static int parse_clock(struct mctx *m, const json_t *arr, const char *where,
                       struct bundle_file *f)
{
    char path[128];
    if (!json_is_array(arr))
        return bad(m, where, "\"clock\" must be an array of {\"from\", \"offset_ns\"}, found %s",
                   json_type_name(arr));
    size_t i;
    const json_t *seg;
    uint64_t last_from = 0;
    json_array_foreach(arr, i, seg)
    {
        snprintf(path, sizeof(path), "%s.clock[%zu]", where, i);
        if (!json_is_object(seg))
            return bad(m, path, "expected an object, found %s", json_type_name(seg));
        bool have_from, have_off;
        json_int_t from = 1, off = 0;
        if (get_int(m, seg, "from", path, &have_from, &from) != 0 ||
            get_int(m, seg, "offset_ns", path, &have_off, &off) != 0)
            return -1;
        if (!have_off)
            return bad(m, path, "missing member \"offset_ns\" (an integer)");
        if (!have_from)
            from = 1;
        if (from < 1 || (uint64_t)from < last_from)
            return bad(m, path, "\"from\" must be a line/record number >= 1, in increasing order");
        last_from = (uint64_t)from;
        if (clock_map_add(&f->clock, (uint64_t)from, (sim_time)off) != 0)
            return bad(m, path, "out of memory");
    }
    f->clock_given = true;
    return 0;
}

static int parse_ifaces(struct mctx *m, const json_t *arr, const char *where,
                        struct bundle_file *f)
{
    char path[128];
    if (!json_is_array(arr))
        return bad(m, where, "\"interfaces\" must be an array, found %s", json_type_name(arr));
    size_t i;
    const json_t *it;
    json_array_foreach(arr, i, it)
    {
        snprintf(path, sizeof(path), "%s.interfaces[%zu]", where, i);
        if (!json_is_object(it))
            return bad(m, path, "expected an object, found %s", json_type_name(it));
        if (f->nifaces == BUNDLE_MAX_IFACES)
            return bad(m, path, "more than %d interfaces", BUNDLE_MAX_IFACES);
        struct bundle_iface *bi = &f->ifaces[f->nifaces];
        bool have;
        json_int_t idx = 0;
        const char *name, *role;
        if (get_int(m, it, "ifindex", path, &have, &idx) != 0)
            return -1;
        if (!have || idx < 1 || idx > INT32_MAX)
            return bad(m, path, "\"ifindex\" must be an integer >= 1");
        if (get_str(m, it, "name", path, false, &name) != 0 ||
            get_str(m, it, "role", path, true, &role) != 0)
            return -1;
        bi->ifindex = (int32_t)idx;
        sim_strlcpy(bi->name, name ? name : "", sizeof(bi->name));
        if (role_parse(role, &bi->role) != 0)
            return bad(m, path, "\"role\" must be primary, standby, master or other, found \"%s\"",
                       role);
        f->nifaces++;
    }
    f->ifaces_given = true;
    return 0;
}

/* A file name inside the bundle: relative, no "..", no directories. */
static bool safe_name(const char *s)
{
    return *s && s[0] != '/' && s[0] != '.' && !strchr(s, '/') && !strchr(s, '\\');
}

static int parse_file(struct mctx *m, struct bundle *b, const json_t *o, size_t i)
{
    char where[64];
    snprintf(where, sizeof(where), "files[%zu]", i);
    if (!json_is_object(o))
        return bad(m, where, "expected an object, found %s", json_type_name(o));
    const char *path, *kind, *point;
    enum obs_host host;
    if (get_str(m, o, "path", where, true, &path) != 0 ||
        get_str(m, o, "kind", where, true, &kind) != 0 || parse_host(m, o, where, &host) != 0 ||
        get_str(m, o, "point", where, false, &point) != 0)
        return -1;
    enum bundle_kind k;
    if (bundle_kind_parse(kind, &k) != 0)
        return bad(m, where, "\"kind\" must be qmp, console, stderr or pcap, found \"%s\"", kind);
    if (!safe_name(path))
        return bad(m, where, "\"path\" must be a file name inside the bundle, found \"%s\"", path);
    if (k == BUNDLE_PCAP && !point)
        return bad(m, where, "a pcap needs \"point\" (a QEMU device id or \"guest\")");
    for (size_t j = 0; j < b->nfiles; j++) {
        const struct bundle_file *g = &b->files[j];
        if (strcmp(g->name, path) == 0)
            return bad(m, where, "\"%s\" is listed twice", path);
        if (g->kind == k && g->host == host && (k != BUNDLE_PCAP || same_point(g->point, point)))
            return bad(m, where, "a second %s file for the %s host%s%s", kind,
                       obs_host_name(host), point ? " at " : "", point ? point : "");
    }
    size_t n = strlen(b->dir) + strlen(path) + 2;
    char *full = malloc(n);
    if (!full)
        return bad(m, where, "out of memory");
    snprintf(full, n, "%s/%s", b->dir, path);
    if (check_readable(full, "a file the manifest names", m->err) != 0) {
        sim_err_prefix(m->err, "%s: %s", m->file, where);
        free(full);
        return -1;
    }
    /* the size the writer saw when it closed the file: a file cut at a line
     * or record boundary looks whole, and its stream would end early */
    bool have_bytes;
    json_int_t bytes = 0;
    struct stat sb;
    if (get_int(m, o, "bytes", where, &have_bytes, &bytes) != 0) {
        free(full);
        return -1;
    }
    if (have_bytes && bytes < 0) {
        free(full);
        return bad(m, where, "\"bytes\" must be >= 0");
    }
    if (have_bytes && stat(full, &sb) == 0 && (json_int_t)sb.st_size != bytes) {
        bad(m, where, "%s has %lld bytes, the manifest records %lld: the file was cut short "
                      "or changed after the recording",
            path, (long long)sb.st_size, (long long)bytes);
        free(full);
        return -1;
    }
    struct bundle_file *f = add_file(b);
    if (!f) {
        free(full);
        return bad(m, where, "out of memory");
    }
    f->name = dup_or_null(path);
    f->path = full;
    f->kind = k;
    f->host = host;
    f->point = k == BUNDLE_PCAP ? dup_or_null(point) : NULL;
    if (!f->name || (k == BUNDLE_PCAP && !f->point))
        return bad(m, where, "out of memory");
    const json_t *v;
    if ((v = json_object_get(o, "clock")) != NULL && parse_clock(m, v, where, f) != 0)
        return -1;
    bool have_tol;
    json_int_t tol = 0;
    if (get_int(m, o, "clock_tolerance_ns", where, &have_tol, &tol) != 0)
        return -1;
    if (have_tol && (tol < 0 || !f->clock_given))
        return bad(m, where, "\"clock_tolerance_ns\" must be >= 0 and go with a \"clock\" list");
    f->clock.tolerance = (sim_time)tol;
    if ((v = json_object_get(o, "interfaces")) != NULL) {
        if (k != BUNDLE_PCAP || strcmp(point, "guest") != 0)
            return bad(m, where, "\"interfaces\" belongs to a guest pcap only");
        if (parse_ifaces(m, v, where, f) != 0)
            return -1;
    }
    return 0;
}

static int parse_device(struct mctx *m, struct bundle *b, const json_t *o, size_t i)
{
    char where[64];
    snprintf(where, sizeof(where), "devices[%zu]", i);
    if (!json_is_object(o))
        return bad(m, where, "expected an object, found %s", json_type_name(o));
    const char *id, *role, *pair, *mac, *netdev;
    enum obs_host host;
    if (get_str(m, o, "id", where, true, &id) != 0 || parse_host(m, o, where, &host) != 0 ||
        get_str(m, o, "role", where, true, &role) != 0 ||
        get_str(m, o, "pair", where, false, &pair) != 0 ||
        get_str(m, o, "netdev", where, false, &netdev) != 0 ||
        get_str(m, o, "mac", where, false, &mac) != 0)
        return -1;
    const json_t *hv = json_object_get(o, "hideable");
    if (hv && !json_is_boolean(hv))
        return bad(m, where, "\"hideable\" must be true or false, found %s", json_type_name(hv));
    const json_t *av = json_object_get(o, "added");
    if (av && !json_is_boolean(av))
        return bad(m, where, "\"added\" must be true or false, found %s", json_type_name(av));
    enum obs_role r;
    if (role_parse(role, &r) != 0 || (r != OBS_ROLE_STANDBY && r != OBS_ROLE_PRIMARY &&
                                      r != OBS_ROLE_OTHER))
        return bad(m, where, "\"role\" must be standby, primary or other, found \"%s\"", role);
    uint8_t mb[6];
    if (mac && bundle_mac_parse(mac, mb) != 0)
        return bad(m, where, "\"mac\" must look like 52:54:00:11:11:11, found \"%s\"", mac);
    struct bundle_device *d = add_dev(b);
    if (!d)
        return bad(m, where, "out of memory");
    d->id = dup_or_null(id);
    d->host = host;
    d->role = r;
    d->pair = dup_or_null(pair);
    d->has_mac = mac != NULL;
    d->netdev = dup_or_null(netdev);
    if (!d->id || (pair && !d->pair) || (netdev && !d->netdev))
        return bad(m, where, "out of memory");
    d->hideable = json_is_true(hv);
    d->added = json_is_true(av);
    if (mac)
        memcpy(d->mac, mb, 6);
    return 0;
}

static int parse_manifest(struct mctx *m, struct bundle *b, const json_t *root)
{
    if (!json_is_object(root))
        return bad(m, "(top)", "expected a JSON object, found %s", json_type_name(root));
    const char *fmt, *scn, *gmac;
    if (get_str(m, root, "format", "(top)", true, &fmt) != 0)
        return -1;
    if (strcmp(fmt, BUNDLE_FORMAT) != 0)
        return bad(m, "format", "expected \"%s\", found \"%s\"", BUNDLE_FORMAT, fmt);
    bool have;
    json_int_t ver = 0;
    if (get_int(m, root, "format_version", "(top)", &have, &ver) != 0)
        return -1;
    if (!have)
        return bad(m, "(top)", "missing member \"format_version\" (an integer)");
    if (ver != BUNDLE_FORMAT_VERSION)
        return bad(m, "format_version", "this fosim reads version %d, found %lld",
                   BUNDLE_FORMAT_VERSION, (long long)ver);
    const json_t *gen = json_object_get(root, "generator");
    if (!gen)
        return bad(m, "(top)", "missing member \"generator\" ({\"name\", \"version\"})");
    if (!json_is_object(gen))
        return bad(m, "generator", "expected an object, found %s", json_type_name(gen));
    const char *gname, *gver;
    if (get_str(m, gen, "name", "generator", true, &gname) != 0 ||
        get_str(m, gen, "version", "generator", false, &gver) != 0)
        return -1;
    sim_strlcpy(b->generator, gname, sizeof(b->generator));
    sim_strlcpy(b->version, gver ? gver : "", sizeof(b->version));
    if (get_str(m, root, "scenario", "(top)", false, &scn) != 0)
        return -1;
    sim_strlcpy(b->scenario, scn ? scn : "", sizeof(b->scenario));
    json_int_t seed = 0;
    if (get_int(m, root, "seed", "(top)", &have, &seed) != 0)
        return -1;
    b->seed_set = have;
    b->seed = (uint64_t)seed;
    const json_t *v = json_object_get(root, "provenance");
    if (v) {
        if (!json_is_object(v))
            return bad(m, "provenance", "expected an object, found %s", json_type_name(v));
        b->provenance = json_incref((json_t *)v);
    }
    v = json_object_get(root, "complete");
    if (!v)
        return bad(m, "(top)", "missing member \"complete\" (true or false)");
    if (!json_is_boolean(v))
        return bad(m, "complete", "expected true or false, found %s", json_type_name(v));
    b->complete = json_is_true(v);
    if (get_str(m, root, "guest_mac", "(top)", false, &gmac) != 0)
        return -1;
    if (gmac) {
        if (bundle_mac_parse(gmac, b->guest_mac) != 0)
            return bad(m, "guest_mac", "expected a MAC like 52:54:00:11:11:11, found \"%s\"", gmac);
        b->guest_mac_set = true;
    }
    v = json_object_get(root, "hotplug"); /* the short form of hosts.X.hotplug */
    if (v) {
        if (!json_is_object(v))
            return bad(m, "hotplug", "expected an object {\"source\": \"native\"|\"acpi\", ...}");
        for (int h = 0; h < OBS_NHOSTS; h++) {
            const char *s;
            if (get_str(m, v, obs_host_name((enum obs_host)h), "hotplug", false, &s) != 0)
                return -1;
            if (s && strcmp(s, "native") == 0)
                b->hotplug[h] = BUNDLE_HOTPLUG_NATIVE;
            else if (s && strcmp(s, "acpi") == 0)
                b->hotplug[h] = BUNDLE_HOTPLUG_ACPI;
            else if (s)
                return bad(m, "hotplug", "expected \"native\" or \"acpi\", found \"%s\"", s);
        }
    }
    v = json_object_get(root, "hosts");
    if (v) {
        if (!json_is_object(v))
            return bad(m, "hosts", "expected an object {\"source\": {...}, \"target\": {...}}");
        for (int h = 0; h < OBS_NHOSTS; h++) {
            const char *hn = obs_host_name((enum obs_host)h);
            const json_t *ho = json_object_get(v, hn);
            char where[32];
            snprintf(where, sizeof(where), "hosts.%s", hn);
            if (!ho)
                continue;
            if (!json_is_object(ho))
                return bad(m, where, "expected an object, found %s", json_type_name(ho));
            const char *s;
            if (get_str(m, ho, "hotplug", where, false, &s) != 0)
                return -1;
            if (s && strcmp(s, "native") == 0)
                b->hotplug[h] = BUNDLE_HOTPLUG_NATIVE;
            else if (s && strcmp(s, "acpi") == 0)
                b->hotplug[h] = BUNDLE_HOTPLUG_ACPI;
            else if (s)
                return bad(m, where, "\"hotplug\" must be \"native\" or \"acpi\", found \"%s\"", s);
            const json_t *q = json_object_get(ho, "qtest");
            if (q && !json_is_boolean(q))
                return bad(m, where, "\"qtest\" must be true or false, found %s",
                           json_type_name(q));
            b->qtest[h] = json_is_true(q);
            const json_t *rec = json_object_get(ho, "recorded");
            if (!rec)
                continue;
            if (!json_is_array(rec))
                return bad(m, where, "\"recorded\" must be an array of source names, found %s",
                           json_type_name(rec));
            size_t i;
            const json_t *it;
            json_array_foreach(rec, i, it)
            {
                int k = -1;
                for (int sidx = 0; sidx < BUNDLE_NSOURCES && json_is_string(it); sidx++)
                    if (strcmp(json_string_value(it),
                               bundle_source_name((enum bundle_source)sidx)) == 0)
                        k = sidx;
                if (k < 0)
                    return bad(m, where,
                               "\"recorded\"[%zu] must be one of config, qmp, qmp-commands, "
                               "console, stderr, host-pcap, guest-pcap",
                               i);
                b->recorded[h] |= 1u << k;
            }
            b->recorded_set[h] = true;
        }
    }
    json_int_t iv = 0;
    if (get_int(m, root, "epoch_ns", "(top)", &have, &iv) != 0)
        return -1;
    b->epoch_set = have;
    b->epoch = (sim_time)iv;
    if (get_int(m, root, "end_ns", "(top)", &have, &iv) != 0)
        return -1;
    b->end_set = have;
    b->end = (sim_time)iv;
    if (get_int(m, root, "host_skew_ns", "(top)", &have, &iv) != 0)
        return -1;
    if (have && iv < 0)
        return bad(m, "host_skew_ns", "expected a bound >= 0");
    b->host_skew_set = have;
    b->host_skew = (sim_time)iv;
    v = json_object_get(root, "devices");
    if (v) {
        if (!json_is_array(v))
            return bad(m, "devices", "expected an array, found %s", json_type_name(v));
        size_t i;
        const json_t *d;
        if (json_array_size(v) > BUNDLE_MAX_DEVICES)
            return bad(m, "devices", "more than %d devices (the bound on a bundle)",
                       BUNDLE_MAX_DEVICES);
        json_array_foreach(v, i, d) if (parse_device(m, b, d, i) != 0) return -1;
    }
    v = json_object_get(root, "files");
    if (!v)
        return bad(m, "(top)", "missing member \"files\" (an array)");
    if (!json_is_array(v))
        return bad(m, "files", "expected an array, found %s", json_type_name(v));
    if (json_array_size(v) == 0)
        return bad(m, "files", "the bundle lists no file");
    if (json_array_size(v) > BUNDLE_MAX_FILES)
        return bad(m, "files", "more than %d files (the bound on a bundle)", BUNDLE_MAX_FILES);
    size_t i;
    const json_t *f;
    json_array_foreach(v, i, f) if (parse_file(m, b, f, i) != 0) return -1;
    return 0;
}

int bundle_open(const char *dir, struct bundle **out, struct sim_err *err)
{
    struct stat st;
    if (stat(dir, &st) != 0)
        return sim_errf(err, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return sim_errf(err, "%s: not a directory (a bundle is a directory with %s)", dir,
                        BUNDLE_MANIFEST);
    size_t n = strlen(dir) + sizeof(BUNDLE_MANIFEST) + 1;
    char *mpath = malloc(n);
    if (!mpath)
        return sim_errf(err, "%s: out of memory", dir);
    snprintf(mpath, n, "%s/%s", dir, BUNDLE_MANIFEST);
    if (stat(mpath, &st) != 0) {
        sim_errf(err,
                 "%s: no %s: not a bundle, or its recording did not finish (the manifest is "
                 "written last)",
                 dir, BUNDLE_MANIFEST);
        free(mpath);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > BUNDLE_MAX_MANIFEST) {
        if (S_ISREG(st.st_mode))
            sim_errf(err, "%s: %lld bytes, larger than %u (the bound on a manifest)", mpath,
                     (long long)st.st_size, BUNDLE_MAX_MANIFEST);
        else
            sim_errf(err, "%s: not a regular file", mpath);
        free(mpath);
        return -1;
    }
    json_error_t jerr;
    json_t *root = json_load_file(mpath, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        char bound[64] = "";
        if (json_error_code(&jerr) == json_error_stack_overflow)
            snprintf(bound, sizeof(bound), " (the bound on JSON nesting is %d levels)",
                     JSON_PARSER_MAX_DEPTH);
        sim_errf(err, "%s:%d:%d: expected the bundle manifest (JSON): %s%s", mpath, jerr.line,
                 jerr.column, jerr.text, bound);
        free(mpath);
        return -1;
    }
    struct bundle *b = bundle_alloc();
    if (b)
        b->dir = dup_or_null(dir);
    if (!b || !b->dir) {
        bundle_free(b);
        json_decref(root);
        free(mpath);
        return sim_errf(err, "%s: out of memory", dir);
    }
    b->has_manifest = true;
    struct mctx m = { .file = mpath, .err = err };
    int rc = parse_manifest(&m, b, root);
    json_decref(root);
    free(mpath);
    if (rc != 0) {
        bundle_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

/* ---- Writing the manifest ------------------------------------------------------- */

/* The manifest as JSON, or NULL when memory ran out (every insertion is
 * checked: a manifest missing a file or a clock must never be written). */
static json_t *manifest_json(const struct bundle *b, const char *dir)
{
    bool ok = true;
#define SET(o, k, v) (ok &= json_object_set_new((o), (k), (v)) == 0)
#define APPEND(a, v) (ok &= json_array_append_new((a), (v)) == 0)
    json_t *root = json_object();
    if (!root)
        return NULL;
    SET(root, "format", json_string(BUNDLE_FORMAT));
    SET(root, "format_version", json_integer(BUNDLE_FORMAT_VERSION));
    SET(root, "generator",
        json_pack("{s:s, s:s}", "name", b->generator, "version", b->version));
    if (b->scenario[0])
        SET(root, "scenario", json_string(b->scenario));
    if (b->seed_set)
        SET(root, "seed", json_integer((json_int_t)b->seed));
    if (b->provenance)
        ok &= json_object_set(root, "provenance", b->provenance) == 0;
    SET(root, "complete", json_boolean(b->complete));
    if (b->guest_mac_set) {
        char mac[18];
        bundle_mac_format(mac, b->guest_mac);
        SET(root, "guest_mac", json_string(mac));
    }
    if (b->epoch_set)
        SET(root, "epoch_ns", json_integer((json_int_t)b->epoch));
    if (b->end_set)
        SET(root, "end_ns", json_integer((json_int_t)b->end));
    if (b->host_skew_set)
        SET(root, "host_skew_ns", json_integer((json_int_t)b->host_skew));
    json_t *hosts = json_object();
    for (int h = 0; h < OBS_NHOSTS; h++) {
        json_t *ho = json_object();
        if (b->hotplug[h] != BUNDLE_HOTPLUG_UNKNOWN)
            SET(ho, "hotplug", json_string(hotplug_names[b->hotplug[h]]));
        if (b->qtest[h])
            SET(ho, "qtest", json_true());
        if (b->recorded_set[h]) {
            json_t *a = json_array();
            for (int s = 0; s < BUNDLE_NSOURCES; s++)
                if (b->recorded[h] >> s & 1)
                    APPEND(a, json_string(bundle_source_name((enum bundle_source)s)));
            SET(ho, "recorded", a);
        }
        if (json_object_size(ho))
            SET(hosts, obs_host_name((enum obs_host)h), ho);
        else
            json_decref(ho);
    }
    if (json_object_size(hosts))
        SET(root, "hosts", hosts);
    else
        json_decref(hosts);
    json_t *devs = json_array();
    for (size_t i = 0; i < b->ndevs; i++) {
        const struct bundle_device *d = &b->devs[i];
        json_t *o = json_pack("{s:s, s:s, s:s}", "id", d->id, "host", obs_host_name(d->host),
                              "role", obs_role_name(d->role));
        if (d->pair)
            SET(o, "pair", json_string(d->pair));
        if (d->netdev)
            SET(o, "netdev", json_string(d->netdev));
        if (d->hideable)
            SET(o, "hideable", json_true());
        if (d->added)
            SET(o, "added", json_true());
        if (d->has_mac) {
            char mac[18];
            bundle_mac_format(mac, d->mac);
            SET(o, "mac", json_string(mac));
        }
        APPEND(devs, o);
    }
    SET(root, "devices", devs);
    json_t *files = json_array();
    for (size_t i = 0; i < b->nfiles; i++) {
        const struct bundle_file *f = &b->files[i];
        json_t *o = json_pack("{s:s, s:s, s:s}", "path", f->name, "host", obs_host_name(f->host),
                              "kind", bundle_kind_name(f->kind));
        if (f->point)
            SET(o, "point", json_string(f->point));
        char full[4096];
        struct stat sb;
        if ((size_t)snprintf(full, sizeof(full), "%s/%s", dir, f->name) < sizeof(full) &&
            stat(full, &sb) == 0 && S_ISREG(sb.st_mode))
            SET(o, "bytes", json_integer((json_int_t)sb.st_size));
        if (f->clock.n) {
            json_t *c = json_array();
            for (size_t k = 0; k < f->clock.n; k++)
                APPEND(c, json_pack("{s:I, s:I}", "from", (json_int_t)f->clock.segs[k].from,
                                    "offset_ns", (json_int_t)f->clock.segs[k].offset));
            SET(o, "clock", c);
            if (f->clock_given && f->clock.tolerance > 0)
                SET(o, "clock_tolerance_ns", json_integer((json_int_t)f->clock.tolerance));
        }
        if (f->nifaces) {
            json_t *a = json_array();
            for (size_t k = 0; k < f->nifaces; k++)
                APPEND(a, json_pack("{s:i, s:s, s:s}", "ifindex", (int)f->ifaces[k].ifindex,
                                    "name", f->ifaces[k].name, "role",
                                    obs_role_name(f->ifaces[k].role)));
            SET(o, "interfaces", a);
        }
        APPEND(files, o);
    }
    SET(root, "files", files);
#undef SET
#undef APPEND
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

int bundle_write_manifest(const struct bundle *b, const char *dir, struct sim_err *err)
{
    json_t *root = manifest_json(b, dir);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(root);
    if (!text)
        return sim_errf(err, "%s: out of memory", dir);
    size_t n = strlen(dir) + sizeof(BUNDLE_MANIFEST) + 8;
    char *tmp = malloc(n), *final = malloc(n);
    int rc = -1;
    if (!tmp || !final) {
        sim_errf(err, "%s: out of memory", dir);
        goto free_paths;
    }
    snprintf(tmp, n, "%s/.%s.tmp", dir, BUNDLE_MANIFEST);
    snprintf(final, n, "%s/%s", dir, BUNDLE_MANIFEST);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        sim_errf(err, "%s: %s", tmp, strerror(errno));
        goto free_paths;
    }
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF && fflush(f) == 0 &&
              fsync(fileno(f)) == 0;
    if (fclose(f) != 0)
        ok = false;
    if (!ok) {
        sim_errf(err, "%s: write failed: %s", tmp, strerror(errno));
        unlink(tmp);
        goto free_paths;
    }
    if (rename(tmp, final) != 0) {
        sim_errf(err, "%s: %s", final, strerror(errno));
        unlink(tmp);
        goto free_paths;
    }
    rc = 0;
free_paths:
    free(tmp);
    free(final);
    free(text);
    return rc;
}

/* ---- First pass: roles, hotplug, guest MAC, clocks -------------------------------- */

#define MAX_PAIRS 64

/* What the QMP log of one host shows that the first pass needs. */
struct qmp_facts {
    bool present;
    sim_time first_t;              /* time of the first line (the greeting) */
    sim_time negotiated;           /* first FAILOVER_NEGOTIATED */
    sim_time unplug[MAX_PAIRS];    /* UNPLUG_PRIMARY, in order */
    size_t nunplug;
    sim_time resume;               /* first RESUME */
};

/* What a console shows (uptimes). */
struct console_facts {
    sim_time registered;           /* first failover master/standby registered */
    sim_time episode[MAX_PAIRS];   /* start of each primary unplug */
    size_t nepisode;
    sim_time first;                /* first kernel line */
    /* unplug episode tracking */
    sim_time ep_start, last_button;
    /* interface registrations, in order, for the ifindex heuristic */
    char reg_name[BUNDLE_MAX_IFACES][16];
    enum obs_role reg_role[BUNDLE_MAX_IFACES];
    size_t nreg;
};

static struct bundle_device *find_dev(struct bundle *b, enum obs_host h, const char *id)
{
    for (size_t i = 0; i < b->ndevs; i++)
        if (b->devs[i].host == h && strcmp(b->devs[i].id, id) == 0)
            return &b->devs[i];
    return NULL;
}

static void infer_dev(struct bundle *b, enum obs_host h, const char *id, enum obs_role role,
                      const char *pair)
{
    if (!id || !*id)
        return;
    struct bundle_device *d = find_dev(b, h, id);
    if (d) {
        if (d->inferred && d->role == OBS_ROLE_OTHER)
            d->role = role;
        if (d->inferred && pair && !d->pair && !(d->pair = dup_or_null(pair)))
            b->oom = true;
        return;
    }
    /* a log naming ever new device ids must not grow memory (and the
     * search) without bound */
    if (b->ndevs >= BUNDLE_MAX_DEVICES) {
        if (!b->devs_overflow)
            note(b, "more than %d devices named in the logs: the others (from %s on) are not "
                    "tracked, and checks about them say so",
                 BUNDLE_MAX_DEVICES, id);
        b->devs_overflow = true;
        return;
    }
    if (!(d = add_dev(b))) {
        b->oom = true;
        return;
    }
    d->id = dup_or_null(id);
    d->host = h;
    d->role = role;
    d->pair = dup_or_null(pair);
    d->inferred = true;
    if (!d->id || (pair && !d->pair)) {
        free(d->id);
        free(d->pair);
        b->ndevs--;
        b->oom = true;
    }
}

/* A device_add the client sent names a device's pair and MAC. */
static void learn_device_add(struct bundle *b, enum obs_host h, const json_t *j)
{
    const json_t *args = json_object_get(j, "arguments");
    const char *id = json_string_value(json_object_get(args, "id"));
    const char *pair = json_string_value(json_object_get(args, "failover_pair_id"));
    const char *mac = json_string_value(json_object_get(args, "mac"));
    const json_t *fo = json_object_get(args, "failover");
    bool standby = json_is_true(fo) ||
                   (json_is_string(fo) && strcmp(json_string_value(fo), "on") == 0);
    if (!id)
        return;
    infer_dev(b, h, id, pair ? OBS_ROLE_PRIMARY : standby ? OBS_ROLE_STANDBY : OBS_ROLE_OTHER,
              pair);
    struct bundle_device *d = find_dev(b, h, id);
    if (d && d->inferred)
        d->added = true;
    if (d && d->inferred && mac && !d->has_mac && bundle_mac_parse(mac, d->mac) == 0)
        d->has_mac = true;
}

static int scan_qmp(struct bundle *b, struct bundle_file *f, struct qmp_facts *qf,
                    struct sim_err *err)
{
    struct qmp_log *q;
    if (qmp_log_open(f->path, f->path, f->host, &f->clock, &q, err) != 0)
        return -1;
    qf->present = true;
    qf->first_t = qf->negotiated = qf->resume = SIM_TIME_NONE;
    struct obs o;
    int rc;
    while ((rc = qmp_log_next(q, &o, err)) == 1) {
        if (qf->first_t == SIM_TIME_NONE)
            qf->first_t = o.t;
        if (o.kind == OBS_QMP_COMMAND && strcmp(o.u.qmp.name, "device_add") == 0) {
            learn_device_add(b, f->host, o.u.qmp.json);
            continue;
        }
        if (o.kind != OBS_QMP_EVENT)
            continue;
        const char *ev = o.u.qmp.name;
        if (strcmp(ev, "FAILOVER_NEGOTIATED") == 0) {
            infer_dev(b, f->host, o.u.qmp.device_id, OBS_ROLE_STANDBY, NULL);
            if (qf->negotiated == SIM_TIME_NONE)
                qf->negotiated = o.t;
        } else if (strcmp(ev, "UNPLUG_PRIMARY") == 0) {
            infer_dev(b, f->host, o.u.qmp.device_id, OBS_ROLE_PRIMARY, NULL);
            if (qf->nunplug < MAX_PAIRS)
                qf->unplug[qf->nunplug++] = o.t;
        } else if (strcmp(ev, "RESUME") == 0 && qf->resume == SIM_TIME_NONE) {
            qf->resume = o.t;
        }
    }
    const struct qmp_log_stats *st = qmp_log_stats(q);
    f->skipped = st->blank;
    f->unknown = st->unknown_events;
    f->commands = st->commands;
    if (rc == 0 && st->unknown_events)
        note(b, "%s: %llu event(s) fosim has no meaning for (first: %s): passed on, not checked",
             f->name, (unsigned long long)st->unknown_events, st->first_unknown);
    qmp_log_close(q);
    return rc;
}

/* First MAC-looking word "xx:xx:xx:xx:xx:xx" in s. */
static bool find_mac(const char *s, uint8_t mac[6])
{
    for (const char *p = s; *p; p++) {
        if (strlen(p) < 17)
            return false;
        char buf[18];
        memcpy(buf, p, 17);
        buf[17] = '\0';
        if (bundle_mac_parse(buf, mac) == 0 && (p == s || p[-1] == ' ') &&
            (p[17] == '\0' || p[17] == ' '))
            return true;
    }
    return false;
}

static void console_line(struct bundle *b, struct console_facts *cf, enum obs_host h,
                         const struct obs_klog *k)
{
    sim_time up = k->uptime;
    if (cf->first == SIM_TIME_NONE)
        cf->first = up;
    switch (k->kind) {
    case KLOG_FO_MASTER_REGISTERED:
    case KLOG_FO_STANDBY_REGISTERED:
    case KLOG_FO_PRIMARY_REGISTERED:
        if (k->kind != KLOG_FO_PRIMARY_REGISTERED && cf->registered == SIM_TIME_NONE)
            cf->registered = up;
        if (k->kind == KLOG_FO_PRIMARY_REGISTERED)
            cf->ep_start = SIM_TIME_NONE;
        if (cf->nreg < BUNDLE_MAX_IFACES) {
            sim_strlcpy(cf->reg_name[cf->nreg], k->ifname, sizeof(cf->reg_name[0]));
            cf->reg_role[cf->nreg++] = k->kind == KLOG_FO_MASTER_REGISTERED    ? OBS_ROLE_MASTER
                                       : k->kind == KLOG_FO_STANDBY_REGISTERED ? OBS_ROLE_STANDBY
                                                                                : OBS_ROLE_PRIMARY;
        }
        break;
    case KLOG_PCIEHP_SLOT_INIT:
    case KLOG_PCIEHP_POWER_OFF_BUTTON:
    case KLOG_PCIEHP_POWER_ON_BUTTON:
        if (!b->hotplug[h])
            b->hotplug[h] = BUNDLE_HOTPLUG_NATIVE;
        if (k->kind == KLOG_PCIEHP_POWER_OFF_BUTTON && cf->ep_start == SIM_TIME_NONE)
            cf->ep_start = cf->last_button != SIM_TIME_NONE ? cf->last_button : up;
        cf->last_button = SIM_TIME_NONE;
        break;
    case KLOG_ACPIPHP_SLOT_REGISTERED:
        if (!b->hotplug[h])
            b->hotplug[h] = BUNDLE_HOTPLUG_ACPI;
        break;
    case KLOG_PCIEHP_BUTTON:
        cf->last_button = up;
        break;
    case KLOG_NIC_REMOVE:
    case KLOG_PCI_REMOVE_DEVICE:
        if (cf->ep_start == SIM_TIME_NONE)
            cf->ep_start = up;
        break;
    case KLOG_FO_PRIMARY_UNREGISTERED:
        if (cf->ep_start == SIM_TIME_NONE)
            cf->ep_start = up;
        if (cf->nepisode < MAX_PAIRS)
            cf->episode[cf->nepisode++] = cf->ep_start;
        cf->ep_start = SIM_TIME_NONE;
        break;
    default:
        break;
    }
    uint8_t mac[6];
    if (!b->guest_mac_set && (k->kind == KLOG_NET_OTHER || k->kind == KLOG_NIC_PROBE) &&
        find_mac(k->text, mac)) {
        memcpy(b->guest_mac, mac, 6);
        b->guest_mac_set = true;
        note(b, "guest MAC %02x:%02x:%02x:%02x:%02x:%02x taken from the console line \"%s\"",
             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], k->text);
    }
}

static int scan_console(struct bundle *b, struct bundle_file *f, struct console_facts *cf,
                        struct sim_err *err)
{
    struct klog_reader *k;
    if (klog_open(f->path, f->path, f->host, NULL, &k, err) != 0)
        return -1;
    if (b->has_manifest)
        klog_allow_empty(k);
    cf->registered = cf->first = cf->ep_start = cf->last_button = SIM_TIME_NONE;
    struct obs o;
    int rc;
    while ((rc = klog_next(k, &o, err)) == 1)
        console_line(b, cf, f->host, &o.u.klog);
    f->skipped = klog_stats(k)->skipped;
    if (rc == 0 && f->skipped)
        note(b, "%s: %llu line(s) without a kernel stamp (boot noise, shell output) skipped",
             f->name, (unsigned long long)f->skipped);
    klog_close(k);
    return rc;
}

/* Estimate a console's clock from cause (QMP event) -> effect (console
 * line) pairs: each pair gives a lower bound qmp_t - uptime on the offset;
 * the tightest is used, and the tolerance is the spread of the bounds, at
 * least BUNDLE_DEFAULT_TOLERANCE. */
static void estimate_clock(struct bundle *b, struct bundle_file *f, const struct qmp_facts *qf,
                           const struct console_facts *cf)
{
    sim_time lo = SIM_TIME_MAX, hi = SIM_TIME_NONE;
    unsigned n = 0;
    char used[96] = "";
#define BOUND(qt, up, what)                                                    \
    do {                                                                       \
        sim_time l_ = (qt) - (up);                                             \
        lo = l_ < lo ? l_ : lo;                                                \
        hi = l_ > hi ? l_ : hi;                                                \
        if (n++ == 0 || !strstr(used, what))                                   \
            snprintf(used + strlen(used), sizeof(used) - strlen(used), "%s%s", \
                     used[0] ? ", " : "", what);                               \
    } while (0)
    if (qf->present) {
        if (qf->negotiated != SIM_TIME_NONE && cf->registered != SIM_TIME_NONE &&
            f->host == OBS_SOURCE)
            BOUND(qf->negotiated, cf->registered, "FAILOVER_NEGOTIATED");
        size_t k = qf->nunplug < cf->nepisode ? qf->nunplug : cf->nepisode;
        for (size_t i = 0; i < k; i++)
            BOUND(qf->unplug[i], cf->episode[i], "UNPLUG_PRIMARY");
        if (f->host == OBS_TARGET && qf->resume != SIM_TIME_NONE && cf->first != SIM_TIME_NONE)
            BOUND(qf->resume, cf->first, "RESUME");
    }
#undef BOUND
    f->clock.estimated = true;
    if (n == 0) {
        f->clock.tolerance = SIM_TIME_MAX;
        snprintf(f->clock_note, sizeof(f->clock_note),
                 "not aligned: no event pair between %s and the %s QMP log", f->name,
                 obs_host_name(f->host));
        note(b, "%s: its clock cannot be aligned with the host's (no paired events); its "
                "lines are ordered by uptime only and any cross-source order is unknown",
             f->name);
        return;
    }
    clock_map_add(&f->clock, 1, hi);
    sim_time tol = hi - lo;
    f->clock.tolerance = tol > BUNDLE_DEFAULT_TOLERANCE ? tol : BUNDLE_DEFAULT_TOLERANCE;
    char ts[32];
    sim_time_format_short(ts, sizeof(ts), f->clock.tolerance);
    snprintf(f->clock_note, sizeof(f->clock_note), "estimated from %u pair(s) (%s), tolerance %s",
             n, used, ts);
    note(b, "%s: clock %s", f->name, f->clock_note);
}

/* SLL2 interface roles from the order the consoles show interfaces
 * registering: lo is 1, then each registration takes the next index. */
static void infer_ifaces(struct bundle *b, struct bundle_file *f,
                         const struct console_facts cfs[OBS_NHOSTS])
{
    int32_t next = 2;
    if (cfs[OBS_SOURCE].nreg || cfs[OBS_TARGET].nreg) { /* lo, always index 1 */
        struct bundle_iface *lo = &f->ifaces[f->nifaces++];
        lo->ifindex = 1;
        sim_strlcpy(lo->name, "lo", sizeof(lo->name));
        lo->role = OBS_ROLE_OTHER;
    }
    for (int h = 0; h < OBS_NHOSTS; h++) {
        const struct console_facts *cf = &cfs[h];
        for (size_t i = 0; i < cf->nreg && f->nifaces < BUNDLE_MAX_IFACES; i++) {
            /* Master and standby survive the migration: the target's
             * console does not register them again. */
            struct bundle_iface *bi = &f->ifaces[f->nifaces++];
            bi->ifindex = next++;
            sim_strlcpy(bi->name, cf->reg_name[i], sizeof(bi->name));
            bi->role = cf->reg_role[i];
        }
    }
    if (f->nifaces)
        note(b, "%s: interface roles guessed from the order the console shows them "
                "registering (lo = 1, then %s = 2, ...); give \"interfaces\" in the manifest "
                "to be sure",
             f->name, f->ifaces[f->nifaces > 1 ? 1 : 0].name);
    else
        note(b, "%s: interface roles unknown (no failover lines in the console, no "
                "\"interfaces\" in the manifest): frames carry role \"unknown\"",
             f->name);
}

/* A target's filter-dump capture without a manifest clock: QEMU announces
 * the guest (RARP, EtherType 0x8035) the moment the VM resumes on the
 * target, so the first RARP pairs with the target's RESUME.  Only the first
 * records are looked at (the announcements come first on a target). */
#define RARP_SCAN_MAX 100000

static int estimate_pcap_clock(struct bundle *b, struct bundle_file *f, const struct qmp_facts *qf,
                               struct sim_err *err)
{
    if (f->host != OBS_TARGET || !qf->present || qf->resume == SIM_TIME_NONE)
        return 0;
    struct pcap_reader *r;
    if (pcap_reader_open(f->path, &r, err) != 0)
        return -1;
    struct pcap_rec rec;
    int rc;
    uint64_t n = 0;
    while ((rc = pcap_reader_next(r, &rec, err)) == 1 && n++ < RARP_SCAN_MAX) {
        if (rec.sll2 || rec.caplen < 14 || rec.data[12] != 0x80 || rec.data[13] != 0x35)
            continue;
        clock_map_add(&f->clock, 1, qf->resume - rec.t);
        f->clock.estimated = true;
        f->clock.tolerance = BUNDLE_DEFAULT_TOLERANCE;
        snprintf(f->clock_note, sizeof(f->clock_note),
                 "estimated from RESUME and the first RARP announcement (record %llu), "
                 "tolerance 20ms",
                 (unsigned long long)rec.record);
        note(b, "%s: clock %s", f->name, f->clock_note);
        break;
    }
    pcap_reader_close(r);
    return rc < 0 ? -1 : 0;
}

int bundle_prepare(struct bundle *b, struct sim_err *err)
{
    struct qmp_facts qf[OBS_NHOSTS];
    struct console_facts *cf = calloc(OBS_NHOSTS, sizeof(*cf));
    if (!cf)
        return sim_errf(err, "out of memory while reading the bundle");
    memset(qf, 0, sizeof(qf));
    int rc = -1;
    for (int h = 0; h < OBS_NHOSTS; h++)
        cf[h].registered = cf[h].first = SIM_TIME_NONE;
    for (size_t i = 0; i < b->nfiles; i++) {
        struct bundle_file *f = &b->files[i];
        if (f->kind == BUNDLE_QMP && scan_qmp(b, f, &qf[f->host], err) != 0)
            goto free_facts;
    }
    for (int h = 0; h < OBS_NHOSTS; h++)
        b->start[h] = qf[h].present ? qf[h].first_t : 0;
    for (size_t i = 0; i < b->nfiles; i++) {
        struct bundle_file *f = &b->files[i];
        if (f->kind == BUNDLE_CONSOLE && scan_console(b, f, &cf[f->host], err) != 0)
            goto free_facts;
    }
    for (size_t i = 0; i < b->nfiles; i++) {
        struct bundle_file *f = &b->files[i];
        switch (f->kind) {
        case BUNDLE_CONSOLE:
            if (f->clock_given)
                snprintf(f->clock_note, sizeof(f->clock_note), "given by the manifest");
            else
                estimate_clock(b, f, &qf[f->host], &cf[f->host]);
            break;
        case BUNDLE_QMP:
        case BUNDLE_STDERR:
            snprintf(f->clock_note, sizeof(f->clock_note), "%s",
                     f->clock_given ? "given by the manifest" : "host wall clock");
            if (f->kind == BUNDLE_STDERR && !qf[f->host].present)
                note(b, "%s: no QMP log for the %s host: lines without a -msg timestamp=on "
                        "stamp are placed at time 0",
                     f->name, obs_host_name(f->host));
            break;
        case BUNDLE_PCAP:
            snprintf(f->clock_note, sizeof(f->clock_note), "%s",
                     f->clock_given ? "given by the manifest"
                                    : "stamps taken as host wall clock");
            if (!f->clock_given && strcmp(f->point, "guest") != 0 &&
                estimate_pcap_clock(b, f, &qf[f->host], err) != 0)
                goto free_facts;
            if (strcmp(f->point, "guest") == 0) {
                if (!f->ifaces_given)
                    infer_ifaces(b, f, cf);
            } else {
                const struct bundle_device *d = find_dev(b, f->host, f->point);
                f->role = d ? d->role : OBS_ROLE_UNKNOWN;
                if (!d)
                    note(b, "%s: device %s has no known role (not in the manifest, not named "
                            "by FAILOVER_NEGOTIATED or UNPLUG_PRIMARY)",
                         f->name, f->point);
            }
            if (!f->clock_given && !f->clock.estimated && strcmp(f->point, "guest") != 0 &&
                !b->has_manifest)
                note(b, "%s: filter-dump stamps are QEMU's virtual clock plus the wall-clock "
                        "second at open; without a manifest offset they are taken as wall "
                        "clock",
                     f->name);
            break;
        case BUNDLE_NKINDS:
            break;
        }
    }
    for (size_t i = 0; i < b->ndevs; i++) {
        struct bundle_device *d = &b->devs[i];
        if (d->inferred && d->role == OBS_ROLE_PRIMARY && !d->pair)
            note(b, "%s: primary %s: its failover_pair_id is not in the logs (no manifest, no "
                    "device_add): pairing by id cannot be checked",
                 obs_host_name(d->host), d->id);
    }
    if (!b->guest_mac_set) {
        for (size_t i = 0; i < b->ndevs; i++) {
            if (b->devs[i].role == OBS_ROLE_STANDBY && b->devs[i].has_mac) {
                memcpy(b->guest_mac, b->devs[i].mac, 6);
                b->guest_mac_set = true;
                break;
            }
        }
    }
    if (!b->guest_mac_set && bundle_has(b, BUNDLE_PCAP, OBS_SOURCE))
        note(b, "guest MAC unknown: frames on host netdevs get direction \"unknown\"");
    if (!b->has_manifest)
        note(b, "files given one by one: fosim cannot tell whether they are complete; a file "
                "cut at a line boundary looks complete");
    rc = b->oom ? sim_errf(err, "out of memory while reading the bundle") : 0;
free_facts:
    free(cf);
    return rc;
}

sim_time bundle_console_tolerance(const struct bundle *b, enum obs_host host)
{
    sim_time tol = 0;
    for (size_t i = 0; i < b->nfiles; i++) {
        const struct bundle_file *f = &b->files[i];
        if (f->kind == BUNDLE_CONSOLE && f->host == host && f->clock.tolerance > tol)
            tol = f->clock.tolerance;
    }
    return tol;
}

/* ---- Second pass: the merged stream ------------------------------------------------ */

/* Tie-break rank of a file kind at equal times (doc/bundle.md). */
static int kind_rank(enum bundle_kind k)
{
    switch (k) {
    case BUNDLE_QMP:
        return 0;
    case BUNDLE_STDERR:
        return 1;
    case BUNDLE_CONSOLE:
        return 2;
    case BUNDLE_PCAP:
        return 3;
    case BUNDLE_NKINDS:
        break;
    }
    return 4;
}

struct src {
    struct bundle_file *f;
    const struct bundle *b;
    int rank;                  /* host * 8 + kind rank */
    size_t index;              /* position in the manifest */
    struct qmp_log *qmp;
    struct klog_reader *klog;
    struct hostlog_reader *hostlog;
    struct pcap_reader *pcap;
    struct pcap_rec rec;
    const uint8_t *guest_mac;  /* Ethernet capture: the guest's MAC on its netdev, or NULL */
    struct obs head;           /* valid while `have` */
    bool have;
    sim_time key;              /* merge key: never decreases within a source */
};

static enum obs_role iface_role(const struct bundle_file *f, int32_t ifindex)
{
    for (size_t i = 0; i < f->nifaces; i++)
        if (f->ifaces[i].ifindex == ifindex)
            return f->ifaces[i].role;
    return OBS_ROLE_UNKNOWN;
}

static bool is_group(const uint8_t *mac)
{
    return mac[0] & 1;
}

static int pcap_next_obs(struct src *s, struct sim_err *err)
{
    int rc = pcap_reader_next(s->pcap, &s->rec, err);
    if (rc <= 0)
        return rc;
    const struct pcap_rec *r = &s->rec;
    struct obs *o = &s->head;
    /* Only the frame member is written: clearing the whole record (the
     * union holds the QMP member's text buffers) costs more than the
     * frame's decoding on a trace of millions of frames. */
    o->kind = OBS_FRAME;
    o->host = s->f->host;
    o->vm = 0;
    o->t_approx = s->f->clock.estimated;
    o->t = r->t + clock_map_offset(&s->f->clock, r->record);
    o->origin.file = s->f->name;
    o->origin.line = r->record;
    struct obs_frame *fr = &o->u.frame;
    *fr = (struct obs_frame){ .stamp = r->t, .point = s->f->point, .data = r->payload,
                              .caplen = r->payload_caplen, .len = r->payload_len };
    if (r->sll2) {
        fr->sll2 = true;
        fr->ifindex = r->ifindex;
        fr->role = iface_role(s->f, r->ifindex);
        fr->dir = r->pkttype == 4 ? OBS_DIR_FROM_GUEST : OBS_DIR_TO_GUEST;
        fr->ethertype = r->protocol;
        if (r->halen == 6)
            memcpy(fr->src, r->addr, 6);
        obs_decode_frame(fr);
        return 1;
    }
    fr->role = s->f->role;
    obs_decode_frame(fr);
    const uint8_t *gm = s->guest_mac;
    if (gm && fr->caplen >= 14) {
        if (memcmp(fr->src, gm, 6) == 0)
            fr->dir = OBS_DIR_FROM_GUEST;
        else if (memcmp(fr->dst, gm, 6) == 0 || is_group(fr->dst))
            fr->dir = OBS_DIR_TO_GUEST;
    }
    return 1;
}

static int src_open(struct src *s, struct sim_err *err)
{
    struct bundle_file *f = s->f;
    switch (f->kind) {
    case BUNDLE_QMP:
        return qmp_log_open(f->path, f->path, f->host, &f->clock, &s->qmp, err);
    case BUNDLE_CONSOLE:
        if (klog_open(f->path, f->path, f->host, &f->clock, &s->klog, err) != 0)
            return -1;
        if (s->b->has_manifest)
            klog_allow_empty(s->klog);
        return 0;
    case BUNDLE_STDERR:
        return hostlog_open(f->path, f->path, f->host, &f->clock, s->b->start[f->host],
                            &s->hostlog, err);
    case BUNDLE_PCAP: {
        /* The guest's MAC on this netdev: its device's, else the bundle's
         * (two failover pairs have two MACs). */
        const struct bundle *b = s->b;
        s->guest_mac = b->guest_mac_set ? b->guest_mac : NULL;
        for (size_t i = 0; f->point && i < b->ndevs; i++)
            if (b->devs[i].host == f->host && b->devs[i].has_mac &&
                strcmp(b->devs[i].id, f->point) == 0)
                s->guest_mac = b->devs[i].mac;
        return pcap_reader_open(f->path, &s->pcap, err);
    }
    case BUNDLE_NKINDS:
        break;
    }
    return sim_errf(err, "%s: unknown kind", f->name);
}

/* Advance a source: 1 with a new head, 0 at its end, -1 on error. */
static int src_next(struct src *s, struct sim_err *err)
{
    int rc = -1;
    switch (s->f->kind) {
    case BUNDLE_QMP:
        rc = qmp_log_next(s->qmp, &s->head, err);
        break;
    case BUNDLE_CONSOLE:
        rc = klog_next(s->klog, &s->head, err);
        break;
    case BUNDLE_STDERR:
        rc = hostlog_next(s->hostlog, &s->head, err);
        break;
    case BUNDLE_PCAP:
        rc = pcap_next_obs(s, err);
        break;
    case BUNDLE_NKINDS:
        break;
    }
    s->have = rc == 1;
    if (rc == 1) {
        s->head.origin.file = s->f->name;
        s->f->records++;
        if (s->head.t > s->key)
            s->key = s->head.t;
    }
    return rc;
}

static void src_close(struct src *s)
{
    qmp_log_close(s->qmp);
    if (s->klog) {
        s->f->skipped = klog_stats(s->klog)->skipped;
        klog_close(s->klog);
    }
    hostlog_close(s->hostlog);
    if (s->pcap)
        pcap_reader_close(s->pcap);
}

/* a before b in the merged stream? */
static bool src_before(const struct src *a, const struct src *b)
{
    if (a->key != b->key)
        return a->key < b->key;
    if (a->rank != b->rank)
        return a->rank < b->rank;
    return a->index < b->index;
}

int bundle_replay(struct bundle *b, const struct obs_sink *sink, struct sim_err *err)
{
    struct src *srcs = calloc(b->nfiles ? b->nfiles : 1, sizeof(*srcs));
    if (!srcs)
        return sim_errf(err, "out of memory while reading the bundle");
    size_t n = 0;
    int rc = -1;
    for (size_t i = 0; i < b->nfiles; i++) {
        struct src *s = &srcs[n];
        s->f = &b->files[i];
        s->f->records = 0;
        s->b = b;
        s->index = i;
        s->rank = (int)s->f->host * 8 + kind_rank(s->f->kind);
        s->key = SIM_TIME_NONE;
        if (src_open(s, err) != 0)
            goto close_sources;
        n++;
        if (src_next(s, err) < 0)
            goto close_sources;
    }
    uint64_t seq = 1;
    sim_time last = 0;
    /* best: the source whose head comes next; runner: the first of the
     * others.  Only best's head moves, so while it stays before runner's
     * it is still the first, and the sources are not compared again. */
    struct src *best = NULL, *runner = NULL;
    for (;;) {
        if (!best || !best->have || (runner && !src_before(best, runner))) {
            best = runner = NULL;
            for (size_t i = 0; i < n; i++) {
                struct src *x = &srcs[i];
                if (!x->have)
                    continue;
                if (!best || src_before(x, best)) {
                    runner = best;
                    best = x;
                } else if (!runner || src_before(x, runner)) {
                    runner = x;
                }
            }
        }
        if (!best)
            break;
        best->head.seq = seq++;
        last = best->head.t > last ? best->head.t : last;
        sink->fn(sink->ctx, &best->head);
        if (src_next(best, err) < 0)
            goto close_sources;
    }
    /* a complete bundle covers until the run's end, when the manifest says it */
    if (b->end_set && b->complete && b->end > last)
        last = b->end;
    struct obs end = { .kind = OBS_END, .t = last, .seq = seq, .host = OBS_SOURCE };
    end.u.end.truncated = !b->complete;
    end.u.end.what = b->dir ? b->dir : "files";
    sink->fn(sink->ctx, &end);
    rc = 0;
close_sources:
    for (size_t i = 0; i < n; i++)
        src_close(&srcs[i]);
    free(srcs);
    return rc;
}
