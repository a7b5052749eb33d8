/*
 * Decoding and formatting of observations.
 *
 * These decoders are shared by the simulator (which emits the raw text or
 * bytes an artifact would hold) and the trace readers (which read them back
 * from files), so the typed fields a monitor sees are the same either way.
 *
 * QMP commands sent by fosim (the simulator's client and the recorder) carry
 * an "id" of the form "fosim-N@SECONDS.MICROSECONDS": QMP echoes the id in
 * the reply, so both lines get an exact wall-clock time, which QMP replies
 * otherwise lack.  Lines without a stamp keep the time their producer gave
 * them and are marked approximate.
 */
#include "sim/obs.h"

#include <ctype.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/err.h"

const char *obs_host_name(enum obs_host h)
{
    return h == OBS_TARGET ? "target" : "source";
}

int obs_host_parse(const char *s, enum obs_host *out)
{
    if (strcmp(s, "source") == 0)
        *out = OBS_SOURCE;
    else if (strcmp(s, "target") == 0)
        *out = OBS_TARGET;
    else
        return -1;
    return 0;
}

const char *obs_kind_name(enum obs_kind k)
{
    static const char *const names[] = {
#define X(id, name) name,
        OBS_KINDS(X)
#undef X
    };
    return (unsigned)k < SIM_ARRAY_SIZE(names) ? names[k] : "?";
}

const char *klog_kind_name(enum klog_kind k)
{
    static const char *const names[] = {
#define X(id, name) name,
        KLOG_KINDS(X)
#undef X
    };
    return (unsigned)k < SIM_ARRAY_SIZE(names) ? names[k] : "?";
}

const char *obs_role_name(enum obs_role r)
{
    static const char *const names[] = {
#define X(id, name) name,
        OBS_ROLES(X)
#undef X
    };
    return (unsigned)r < SIM_ARRAY_SIZE(names) ? names[r] : "?";
}

/* ---- QMP ------------------------------------------------------------------ */

static void copy_str(char *dst, size_t n, const json_t *v)
{
    if (json_is_string(v))
        sim_strlcpy(dst, json_string_value(v), n);
}

/* Parse "fosim-N@S.U" ids into a wall-clock time. */
static int id_time(const char *id, sim_time *t)
{
    const char *at = strchr(id, '@');
    if (strncmp(id, "fosim-", 6) != 0 || !at)
        return -1;
    char *end;
    unsigned long long s = strtoull(at + 1, &end, 10);
    if (*end != '.' || end[1] == '\0')
        return -1;
    const char *u = end + 1;
    unsigned long long us = strtoull(u, &end, 10);
    if (*end != '\0' || end - u != 6 || s > 9000000000ull)
        return -1;
    *t = (sim_time)s * 1000000000 + (sim_time)us * 1000;
    return 0;
}

int obs_decode_qmp(struct obs *o, const json_t *json, const char *line, bool use_stamp,
                   char *err, size_t errlen)
{
    struct obs_qmp *q = &o->u.qmp;
    memset(q, 0, sizeof(*q));
    q->line = line;
    q->json = json;
    if (!json_is_object(json)) {
        snprintf(err, errlen, "expected a JSON object");
        return -1;
    }
    const json_t *v;
    if (json_object_get(json, "QMP") != NULL) {
        o->kind = OBS_QMP_GREETING;
        o->t_approx = true;
        return 0;
    }
    const json_t *id = json_object_get(json, "id");
    if (id) {
        char *s = json_dumps(id, JSON_COMPACT | JSON_ENCODE_ANY);
        if (s) {
            sim_strlcpy(q->id, s, sizeof(q->id));
            free(s);
        }
    }
    sim_time idt = 0;
    bool have_idt = json_is_string(id) && id_time(json_string_value(id), &idt) == 0;

    if ((v = json_object_get(json, "execute")) != NULL ||
        (v = json_object_get(json, "exec-oob")) != NULL) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "\"execute\" is not a string");
            return -1;
        }
        o->kind = OBS_QMP_COMMAND;
        sim_strlcpy(q->name, json_string_value(v), sizeof(q->name));
        const json_t *args = json_object_get(json, "arguments");
        if (json_is_object(args))
            copy_str(q->device_id, sizeof(q->device_id), json_object_get(args, "id"));
        if (have_idt && use_stamp)
            o->t = idt;
        o->t_approx = !have_idt;
        return 0;
    }
    if ((v = json_object_get(json, "return")) != NULL) {
        o->kind = OBS_QMP_REPLY;
        if (json_is_object(v))
            copy_str(q->status, sizeof(q->status), json_object_get(v, "status"));
        if (have_idt && use_stamp)
            o->t = idt;
        o->t_approx = !have_idt;
        return 0;
    }
    if ((v = json_object_get(json, "error")) != NULL) {
        o->kind = OBS_QMP_REPLY;
        q->is_error = true;
        if (json_is_object(v)) {
            copy_str(q->error_class, sizeof(q->error_class), json_object_get(v, "class"));
            copy_str(q->error_desc, sizeof(q->error_desc), json_object_get(v, "desc"));
        }
        if (have_idt && use_stamp)
            o->t = idt;
        o->t_approx = !have_idt;
        return 0;
    }
    if ((v = json_object_get(json, "event")) != NULL) {
        if (!json_is_string(v)) {
            snprintf(err, errlen, "\"event\" is not a string");
            return -1;
        }
        o->kind = OBS_QMP_EVENT;
        sim_strlcpy(q->name, json_string_value(v), sizeof(q->name));
        const json_t *ts = json_object_get(json, "timestamp");
        const json_t *sec = json_object_get(ts, "seconds");
        const json_t *usec = json_object_get(ts, "microseconds");
        if (!json_is_integer(sec) || !json_is_integer(usec)) {
            snprintf(err, errlen,
                     "event without a \"timestamp\" {\"seconds\", \"microseconds\"} member");
            return -1;
        }
        json_int_t s = json_integer_value(sec), us = json_integer_value(usec);
        if (s < 0 || s > 9000000000LL || us < 0 || us > 999999) {
            snprintf(err, errlen, "event timestamp out of range");
            return -1;
        }
        if (use_stamp)
            o->t = (sim_time)s * 1000000000 + (sim_time)us * 1000;
        o->t_approx = false;
        const json_t *data = json_object_get(json, "data");
        if (json_is_object(data)) {
            copy_str(q->device_id, sizeof(q->device_id), json_object_get(data, "device-id"));
            copy_str(q->status, sizeof(q->status), json_object_get(data, "status"));
            const json_t *pass = json_object_get(data, "pass");
            if (json_is_integer(pass))
                q->pass = (int)json_integer_value(pass);
        }
        return 0;
    }
    snprintf(err, errlen,
             "expected a QMP greeting, command, reply or event (no \"QMP\", \"execute\", "
             "\"return\", \"error\" or \"event\" member)");
    return -1;
}

/* ---- Kernel log --------------------------------------------------------------- */

int klog_split_stamp(const char *line, sim_time *uptime, const char **text)
{
    const char *p = line;
    if (*p++ != '[')
        return -1;
    while (*p == ' ')
        p++;
    if (!isdigit((unsigned char)*p))
        return -1;
    uint64_t s = 0;
    while (isdigit((unsigned char)*p)) {
        if (s > 100000000000ull)
            return -1;
        s = s * 10 + (uint64_t)(*p++ - '0');
    }
    if (*p++ != '.')
        return -1;
    uint64_t frac = 0;
    int nd = 0;
    while (isdigit((unsigned char)*p) && nd < 9) {
        frac = frac * 10 + (uint64_t)(*p++ - '0');
        nd++;
    }
    if (nd == 0 || *p != ']')
        return -1;
    while (nd < 9) {
        frac *= 10;
        nd++;
    }
    p++;
    if (*p == ' ')
        p++;
    *uptime = (sim_time)(s * 1000000000ull + frac);
    *text = p;
    return 0;
}

/* Copy the word at p (up to a space, ':' or ')' or end) into dst. */
static void word(char *dst, size_t n, const char *p, const char *stops)
{
    size_t k = 0;
    while (p[k] && !strchr(stops, p[k]) && k + 1 < n) {
        dst[k] = p[k];
        k++;
    }
    dst[k] = '\0';
}

/*
 * The "driver device[ ifname]: " prefix of dev_printk/netdev_printk lines.
 * Fills driver, dev and (if three words) ifname2; returns the message after
 * the prefix, or NULL when the line has no such prefix.
 */
static const char *dev_prefix(struct obs_klog *k, const char *text, char *ifname)
{
    const char *colon = strstr(text, ": ");
    if (!colon)
        return NULL;
    char pre[128];
    size_t n = (size_t)(colon - text);
    if (n >= sizeof(pre))
        return NULL;
    memcpy(pre, text, n);
    pre[n] = '\0';
    char *save = NULL;
    char *a = strtok_r(pre, " ", &save);
    char *b = a ? strtok_r(NULL, " ", &save) : NULL;
    char *c = b ? strtok_r(NULL, " ", &save) : NULL;
    if (!a || !b)
        return NULL;
    sim_strlcpy(k->driver, a, sizeof(k->driver));
    sim_strlcpy(k->dev, b, sizeof(k->dev));
    if (c && ifname)
        sim_strlcpy(ifname, c, 16);
    return colon + 2;
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void classify_failover(struct obs_klog *k, const char *msg)
{
    const char *p = msg + strlen("failover ");
    bool reg;
    if (starts(p, "master:")) {
        word(k->ifname, sizeof(k->ifname), p + 7, " ");
        p = strchr(p, ' ');
        reg = p && strcmp(p, " registered") == 0;
        if (p && (reg || strcmp(p, " unregistered") == 0))
            k->kind = reg ? KLOG_FO_MASTER_REGISTERED : KLOG_FO_MASTER_UNREGISTERED;
        return;
    }
    bool primary = starts(p, "primary slave:");
    bool standby = starts(p, "standby slave:");
    if (!primary && !standby)
        return;
    p += strlen("primary slave:");
    word(k->ifname, sizeof(k->ifname), p, " ");
    p = strchr(p, ' ');
    if (!p)
        return;
    if (strcmp(p, " registered") == 0)
        k->kind = primary ? KLOG_FO_PRIMARY_REGISTERED : KLOG_FO_STANDBY_REGISTERED;
    else if (strcmp(p, " unregistered") == 0)
        k->kind = primary ? KLOG_FO_PRIMARY_UNREGISTERED : KLOG_FO_STANDBY_UNREGISTERED;
}

static void classify_pciehp(struct obs_klog *k, const char *p)
{
    k->kind = KLOG_PCIEHP_OTHER;
    if (starts(p, "Slot #")) {
        k->kind = KLOG_PCIEHP_SLOT_INIT;
        word(k->slot, sizeof(k->slot), p + 6, " ");
        return;
    }
    if (!starts(p, "Slot("))
        return;
    word(k->slot, sizeof(k->slot), p + 5, ")");
    p = strchr(p, ')');
    if (!p)
        return;
    p++;
    if (*p == ':')
        p++;
    if (*p == ' ')
        p++;
    static const struct {
        const char *text;
        enum klog_kind kind;
        bool prefix;
    } table[] = {
        { "Attention button pressed", KLOG_PCIEHP_BUTTON, false },
        { "Powering on due to button press", KLOG_PCIEHP_POWER_ON_BUTTON, false },
        { "Powering off due to button press", KLOG_PCIEHP_POWER_OFF_BUTTON, false },
        { "Button cancel", KLOG_PCIEHP_BUTTON_CANCEL, false },
        { "Action canceled due to button press", KLOG_PCIEHP_ACTION_CANCELED, false },
        { "Card present", KLOG_PCIEHP_CARD_PRESENT, false },
        { "Card not present", KLOG_PCIEHP_CARD_NOT_PRESENT, false },
        { "Link Up", KLOG_PCIEHP_LINK_UP, false },
        { "Link Down", KLOG_PCIEHP_LINK_DOWN, false },
        { "Ignoring invalid state", KLOG_PCIEHP_INVALID_STATE, true },
        { "Power fault", KLOG_PCIEHP_POWER_FAULT, true },
    };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(table); i++) {
        if (table[i].prefix ? starts(p, table[i].text) : strcmp(p, table[i].text) == 0) {
            k->kind = table[i].kind;
            return;
        }
    }
}

static bool is_nic_driver(const char *d)
{
    static const char *const drivers[] = { "e1000e", "e1000", "igb", "igbvf", "ixgbe",
                                           "ixgbevf", "iavf", "ice", "i40e", "mlx5_core",
                                           "mlx4_core", "bnxt_en", "ena", "qede" };
    for (size_t i = 0; i < SIM_ARRAY_SIZE(drivers); i++)
        if (strcmp(d, drivers[i]) == 0)
            return true;
    return false;
}

void klog_classify(struct obs_klog *k, const char *text)
{
    k->kind = KLOG_OTHER;
    k->dev[0] = k->driver[0] = k->ifname[0] = k->ifname2[0] = k->slot[0] = '\0';
    if (!text)
        return;

    if (starts(text, "acpiphp: ") || starts(text, "acpiphp_glue: ")) {
        const char *p = strchr(text, ' ') + 1;
        k->kind = KLOG_ACPIPHP_OTHER;
        sim_strlcpy(k->driver, "acpiphp", sizeof(k->driver));
        if (starts(p, "Slot [")) {
            word(k->slot, sizeof(k->slot), p + 6, "]");
            const char *q = strchr(p, ']');
            if (q && strcmp(q, "] registered") == 0)
                k->kind = KLOG_ACPIPHP_SLOT_REGISTERED;
        }
        return;
    }

    /* "fosim-guest: addr IF A.B.C.D/N": the init's own line, exactly two words
     * after "addr" (a "... failed" line configured nothing).  Any other line
     * after "addr " (cut short, a name Linux would refuse, no address) is
     * still the init's record of an address: it is classified with an empty
     * ifname, so that a damaged line leaves its checks undecided instead of
     * reading as no line at all. */
    if (starts(text, "fosim-guest: addr") && (text[17] == ' ' || text[17] == '\0')) {
        k->kind = KLOG_GUEST_ADDR;
        const char *p = text + strlen("fosim-guest: addr");
        if (*p++ != ' ')
            return;
        size_t n = strcspn(p, " ");
        const char *a = p + n;
        if (*a == ' ' && strcmp(a + 1 + strcspn(a + 1, " "), " failed") == 0) {
            k->kind = KLOG_OTHER; /* "addr IF A/N failed": nothing configured */
            return;
        }
        unsigned b[4], len;
        char extra;
        /* dev_valid_name: 1-15 bytes, not "." or "..", no '/', ':' or space;
         * nor '?', which is what the console reader makes of a control byte */
        bool name_ok = n > 0 && n < sizeof(k->ifname) && memchr(p, '/', n) == NULL &&
                       memchr(p, ':', n) == NULL && memchr(p, '?', n) == NULL &&
                       strncmp(p, ".", n) != 0 && strncmp(p, "..", n) != 0;
        if (name_ok && *a == ' ' &&
            sscanf(a + 1, "%3u.%3u.%3u.%3u/%2u%c", &b[0], &b[1], &b[2], &b[3], &len, &extra) ==
                5 &&
            b[0] < 256 && b[1] < 256 && b[2] < 256 && b[3] < 256 && len <= 32 &&
            strspn(a + 1, "0123456789./") == strlen(a + 1)) {
            memcpy(k->ifname, p, n);
            k->ifname[n] = '\0';
        }
        return;
    }

    char ifname[16] = "";
    const char *msg = dev_prefix(k, text, ifname);
    if (!msg)
        return;

    if (starts(msg, "failover ")) {
        sim_strlcpy(k->ifname2, ifname, sizeof(k->ifname2));
        classify_failover(k, msg);
        if (k->kind == KLOG_OTHER)
            k->kind = KLOG_NET_OTHER;
        return;
    }
    /* net_failover refusing a slave (linux-guest.md G-20, G-23, G-26..G-28):
     * "eth0: eth3 attempting to register as slave dev when standby already
     * present" on the master, "eth2: can not register failover rx handler"
     * on the slave; ifname gets the refused device */
    if (strstr(msg, " attempting to register as slave dev when ")) {
        sim_strlcpy(k->ifname2, ifname, sizeof(k->ifname2));
        word(k->ifname, sizeof(k->ifname), msg, " ");
        k->kind = KLOG_FO_SLAVE_REFUSED;
        return;
    }
    if (starts(msg, "can not register failover rx handler") ||
        starts(msg, "unable to change mtu of ") || starts(msg, "Opening slave ") ||
        starts(msg, "Failed to add vlan ids to device ")) {
        k->kind = KLOG_FO_SLAVE_REFUSED;
        if (starts(msg, "can not"))
            sim_strlcpy(k->ifname, ifname, sizeof(k->ifname));
        else
            sim_strlcpy(k->ifname2, ifname, sizeof(k->ifname2));
        return;
    }
    if (starts(msg, "pciehp: ")) {
        classify_pciehp(k, msg + 8);
        return;
    }
    if (strcmp(k->driver, "pci") == 0) {
        if (msg[0] == '[' && strstr(msg, "] type "))
            k->kind = KLOG_PCI_ADD_DEVICE;
        return;
    }
    if (strcmp(k->driver, "virtio_net") == 0) {
        sim_strlcpy(k->ifname, ifname, sizeof(k->ifname));
        k->kind = KLOG_VIRTIO_NET_OTHER;
        return;
    }
    if (is_nic_driver(k->driver)) {
        if (ifname[0] && ifname[0] != '(')
            sim_strlcpy(k->ifname, ifname, sizeof(k->ifname));
        if (starts(msg, "NIC Link is Up"))
            k->kind = KLOG_NIC_LINK_UP;
        else if (starts(msg, "NIC Link is Down"))
            k->kind = KLOG_NIC_LINK_DOWN;
        else if (strcmp(msg, "removed PHC") == 0)
            k->kind = KLOG_NIC_REMOVE;
        else if (strstr(msg, "Network Connection"))
            k->kind = KLOG_NIC_PROBE;
        else
            k->kind = KLOG_NET_OTHER;
        return;
    }
}

/* ---- Frames -------------------------------------------------------------------- */

/* A hash of the network-layer bytes (at most 64): equal for the same frame
 * wherever it was captured, whatever the link-layer framing.  Eight bytes
 * at a time, read little-endian so every host computes the same value; a
 * checker hashes every frame of a trace, so this is on its hot path. */
/* Eight bytes as a little-endian number: one load (gcc 12 does not merge
 * the byte-wise form into one). */
static inline uint64_t load_le64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

static uint64_t flow_hash(uint16_t ethertype, const uint8_t *p, uint32_t n)
{
    const uint64_t k = 0x9e3779b97f4a7c15ull;
    uint64_t h = (0xcbf29ce484222325ull ^ ethertype ^ ((uint64_t)(n > 64 ? 64 : n) << 16)) * k;
    if (n > 64)
        n = 64;
    uint32_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w = load_le64(p + i);
        h = (h ^ w) * k;
        h ^= h >> 29;
    }
    uint64_t w = 0;
    for (uint32_t s = 0; i < n; i++, s += 8)
        w |= (uint64_t)p[i] << s;
    h = (h ^ w) * k;
    return h ^ h >> 32;
}

void obs_decode_frame(struct obs_frame *f)
{
    if (f->sll2) {
        memset(f->dst, 0, 6);
        f->flow = f->data ? flow_hash(f->ethertype, f->data, f->caplen) : 0;
        return;
    }
    memset(f->src, 0, 6);
    memset(f->dst, 0, 6);
    f->ethertype = 0;
    f->flow = 0;
    if (!f->data || f->caplen < 14)
        return;
    memcpy(f->dst, f->data, 6);
    memcpy(f->src, f->data + 6, 6);
    uint32_t l2 = 14;
    uint16_t et = (uint16_t)(f->data[12] << 8 | f->data[13]);
    if ((et == 0x8100 || et == 0x88a8) && f->caplen >= 18) {
        et = (uint16_t)(f->data[16] << 8 | f->data[17]);
        l2 = 18;
    }
    f->ethertype = et;
    f->flow = flow_hash(et, f->data + l2, f->caplen - l2);
}

/* ---- Formatting ------------------------------------------------------------------ */

size_t obs_format(char *buf, size_t n, const struct obs *o, sim_time t0)
{
    char ts[32];
    sim_time_format(ts, sizeof(ts), o->t - t0);
    const char *host = obs_host_name(o->host);
    int r = 0;
    switch (o->kind) {
    case OBS_QMP_GREETING:
    case OBS_QMP_REPLY:
    case OBS_QMP_EVENT:
        r = snprintf(buf, n, "%14s %-6s qmp   -> %s", ts, host, o->u.qmp.line);
        break;
    case OBS_QMP_COMMAND:
        r = snprintf(buf, n, "%14s %-6s qmp   <- %s", ts, host, o->u.qmp.line);
        break;
    case OBS_KLOG: {
        uint64_t up = (uint64_t)(o->u.klog.uptime < 0 ? 0 : o->u.klog.uptime);
        r = snprintf(buf, n, "%14s %-6s guest [%5" PRIu64 ".%06" PRIu64 "] %s", ts, host,
                     up / 1000000000u, (up % 1000000000u) / 1000u, o->u.klog.text);
        break;
    }
    case OBS_HOSTLOG:
        r = snprintf(buf, n, "%14s %-6s qemu  %s", ts, host, o->u.hostlog.text);
        break;
    case OBS_FRAME: {
        const struct obs_frame *f = &o->u.frame;
        r = snprintf(buf, n,
                     "%14s %-6s frame %s (%s) %s %02x:%02x:%02x:%02x:%02x:%02x > "
                     "%02x:%02x:%02x:%02x:%02x:%02x ethertype 0x%04x len %u",
                     ts, host, f->point, obs_role_name(f->role),
                     f->dir == OBS_DIR_FROM_GUEST ? "out"
                     : f->dir == OBS_DIR_TO_GUEST ? "in"
                                                  : "?",
                     f->src[0], f->src[1], f->src[2], f->src[3], f->src[4], f->src[5], f->dst[0],
                     f->dst[1], f->dst[2], f->dst[3], f->dst[4], f->dst[5], f->ethertype, f->len);
        break;
    }
    case OBS_STATE:
        r = snprintf(buf, n, "%14s %-6s state %s: %s -> %s%s%s", ts, host, o->u.state.entity,
                     o->u.state.from ? o->u.state.from : "-", o->u.state.to,
                     o->u.state.why ? " (" : "", o->u.state.why ? o->u.state.why : "");
        if (o->u.state.why && r >= 0 && (size_t)r + 1 < n)
            r += snprintf(buf + r, n - (size_t)r, ")");
        break;
    case OBS_END:
        r = snprintf(buf, n, "%14s %-6s end   %s%s", ts, host, o->u.end.what,
                     o->u.end.truncated ? " (truncated)" : "");
        break;
    case OBS_NKINDS:
        r = snprintf(buf, n, "%14s ?", ts);
        break;
    }
    return r < 0 ? 0 : (size_t)r;
}
