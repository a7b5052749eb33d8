/*
 * Traffic: the workload, the capture points and the per-path accounting.
 *
 * Workloads (doc/traffic.md) make real frames: ICMP echo requests from the
 * guest to QEMU's user-network peer (slirp answers them on the netdev the
 * request left through), constant-rate UDP streams out of or into the
 * guest, and frames replayed from a pcap file.  Outgoing frames go through
 * guest_xmit (the path net_failover picks at that instant); incoming frames
 * arrive through host_netdev_rx on the netdev the host network uses for
 * the guest's MAC at that instant: the primary's while the primary device
 * is plugged on the host the VM runs on, the standby's otherwise.
 *
 * Every frame is seen at the capture points a real setup has: QEMU's
 * filter-dump on each host netdev and tcpdump -i any inside the guest.
 * Each record is an observation; with traffic_record() it is also written
 * to a pcap file exactly as those tools write it.
 *
 * A frame in flight is remembered by its flow key until it is delivered
 * (it reached the peer's netdev, or the guest stack accepted it) or a
 * model reports it dropped, so the accounting does not depend on the
 * models delivering synchronously.  Deliveries give the blackout: the
 * longest interval without one, per direction, overall and per migration.
 */
#include "sim/traffic.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim/guest.h"
#include "sim/host.h"
#include "sim/pcap_io.h"
#include "sim/world.h"

#define GUEST_IP 0x0a00020fu /* 10.0.2.15: QEMU user networking's first lease */
#define PEER_IP 0x0a000202u  /* 10.0.2.2: its gateway, which answers pings */
static const uint8_t PEER_MAC[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t QEMU_DEFAULT_MAC[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

#define PEER_DELAY SIM_US(30)       /* slirp's echo-reply latency (measured: 20-40 us) */
#define HOST_SNAPLEN 65536          /* filter-dump's default maxlen */
#define MAX_PENDING (1u << 20)      /* frames tracked in flight at most */
#define MAX_FRAME 1514
#define MAX_CAPTURES 64
#define SLL2_LEN 20

enum tdir { DIR_OUT, DIR_IN };
#define NDIRS 2
static const char *const dir_names[NDIRS] = { "out", "in" };

/* ---- accounting ------------------------------------------------------------------ */

struct acct {
    uint64_t sent[NDIRS];
    uint64_t delivered[NDIRS][OBS_NROLES];
    uint64_t (*dropped)[OBS_NROLES][FRAME_NDROPS]; /* [NDIRS], owned; NULL until
                                                      the first drop */
    sim_time first[NDIRS], last[NDIRS];  /* deliveries (world time) or NONE */
    sim_time gap[NDIRS];                 /* longest interval between two deliveries */
    sim_time gap_from[NDIRS], gap_to[NDIRS];
};

/* Traffic after the start of a migration (period k >= 1) or before any
 * (period 0). */
struct period {
    sim_time start;         /* world time: the migration's "setup" */
    enum obs_host host;     /* the migrating host */
    sim_time end;           /* its terminal state, or NONE */
    char status[24];        /* "completed", "failed", "cancelled", or "" */
    struct acct a;
};

/* ---- workloads -------------------------------------------------------------------- */

enum wl_kind { WL_PING, WL_GENERATE, WL_PCAP };
enum pcap_dir { PD_AUTO, PD_OUT, PD_IN };

struct workload {
    struct traffic *t;
    enum wl_kind kind;
    unsigned index;          /* 1-based, in block order */
    char *text;              /* the line as written */
    struct scn_pos pos;
    sim_time from, to;       /* window; to = NONE: open */
    struct sim_event ev;
    uint64_t tick;           /* next tick number */
    /* ping */
    uint32_t addr;
    sim_time every;
    unsigned size;           /* ping: ICMP data bytes; generate: frame bytes */
    uint16_t id;
    uint16_t seq;            /* next ICMP sequence number */
    uint64_t requests, replies;
    uint8_t *replied;        /* ping: bitmap of answered sequence numbers, grown
                                as the numbers are used (owned) */
    uint32_t replied_bytes;  /* its size: bits beyond it are clear */
    sim_time last_reply, gap, gap_from, gap_to;
    /* generate */
    enum tdir dir;
    uint64_t rate;           /* frames per second */
    uint8_t peer_mac[6];
    uint64_t gen_seq;
    /* pcap */
    char *path;              /* resolved path */
    enum pcap_dir pdir;
    uint64_t speed_num;      /* speed = num / 1e6 */
    int64_t ifindex;         /* SLL2 filter, or -1 */
    struct pcap_reader *rd;
    uint8_t *buf;            /* the next frame, built as Ethernet */
    uint32_t buf_len, buf_caplen;
    enum tdir buf_dir;
    bool have_next;
    sim_time first_ts, prev_at;
    uint64_t ignored, reordered, replayed;
    /* per workload */
    uint64_t sent, delivered, dropped;
};

/* A frame in flight, by flow key (several identical frames share one). */
struct pend {
    uint64_t flow;
    uint32_t count;          /* 0 = empty slot */
    uint8_t dir;
    uint16_t wl;             /* workload index - 1 */
    uint16_t seq;            /* ping: ICMP sequence */
    int8_t path;             /* in: role of the netdev the network chose */
};

/* A capture point: a host netdev (filter-dump) or the guest (tcpdump). */
struct capture {
    enum obs_host host;
    bool guest;
    const char *point;       /* these three point into names[] */
    const char *file;
    const char *netdev;
    enum obs_role role;
    uint64_t records;
    uint64_t dir_records[NDIRS]; /* records from / towards the guest */
    char names[];            /* point, file and netdev, each NUL-terminated */
};

/* The peer's answer to a ping, sent PEER_DELAY after the request. */
struct reply {
    struct sim_event ev;
    struct traffic *t;
    struct host *h;
    char netdev[64];
    uint8_t *frame;          /* owned, frame_cap bytes: the largest reply yet */
    uint32_t frame_cap;
    uint32_t len;
    uint16_t wl, seq;
    struct reply *next;      /* in t->replies (all) */
    bool busy;
};

struct traffic {
    struct sim_vm *vm;       /* borrowed: the VM whose traffic this is */
    struct sim_world *w;     /* borrowed */
    const struct scn_traffic *cfg; /* borrowed from the scenario */
    struct workload *wl;     /* owned array of nwl, in block order */
    size_t nwl;
    uint8_t guest_mac[6];    /* the MAC of the guest's failover pair */
    bool have_mac;           /* found on a host NIC (else QEMU's default) */
    bool dir_used[NDIRS];    /* some workload sends that way */
    struct pend *pend;       /* owned: frames in flight, by flow */
    uint32_t pend_cap, pend_n;
    uint64_t untracked;      /* frames not tracked because the table was full */
    struct capture **cap;    /* owned array of ncap owned captures (allocated as
                                they appear: their addresses never change) */
    unsigned ncap, cap_alloc;
    struct reply *replies;   /* owned list of reply events */
    struct acct total;       /* all traffic */
    struct period *per;      /* owned; per[0]: before any migration */
    size_t nper;
    struct host *cur_host;   /* where the VM last ran */
    struct sim_err *fail;    /* owned: why a replay broke mid-run, or NULL */
    bool failed;
};

/* ---- small helpers ------------------------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)(p[n - 1] << 8);
    return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static bool mac_eq(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, 6) == 0;
}

static const char *drop_name(enum frame_drop d)
{
    return frame_drop_name(d);
}

/* ---- frames ---------------------------------------------------------------------------- */

/* Ethernet + IPv4 header; returns the offset of the L4 header. */
static size_t build_ip(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint32_t sip,
                       uint32_t dip, uint8_t proto, uint16_t l4len, uint16_t ipid, uint8_t ttl)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, 0x0800);
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    ip[1] = 0;
    put16(ip + 2, (uint16_t)(20 + l4len));
    put16(ip + 4, ipid);
    put16(ip + 6, 0x4000); /* DF */
    ip[8] = ttl;
    ip[9] = proto;
    put16(ip + 10, 0);
    put32(ip + 12, sip);
    put32(ip + 16, dip);
    put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
    return 34;
}

/* An ICMP echo request (type 8) or reply (type 0) with `size` data bytes:
 * an 8-byte stamp then a counting pattern, as ping fills it. */
static uint32_t build_icmp(uint8_t *f, uint8_t type, const uint8_t dst[6], const uint8_t src[6],
                           uint32_t sip, uint32_t dip, uint16_t id, uint16_t seq, unsigned size,
                           sim_time stamp, uint8_t ttl)
{
    size_t o = build_ip(f, dst, src, sip, dip, 1, (uint16_t)(8 + size), seq, ttl);
    uint8_t *ic = f + o;
    ic[0] = type;
    ic[1] = 0;
    put16(ic + 2, 0);
    put16(ic + 4, id);
    put16(ic + 6, seq);
    for (unsigned i = 0; i < size; i++)
        ic[8 + i] = (uint8_t)(0x10 + i);
    if (size >= 8) {
        put32(ic + 8, (uint32_t)(stamp / 1000000000));
        put32(ic + 12, (uint32_t)(stamp % 1000000000 / 1000));
    }
    put16(ic + 2, csum_fold(csum_add(0, ic, 8 + size)));
    return (uint32_t)(o + 8 + size);
}

/* A UDP datagram making a frame of `size` bytes; its payload starts with
 * "fosim", the workload number and a 64-bit sequence number. */
static uint32_t build_udp(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint32_t sip,
                          uint32_t dip, uint16_t sport, uint16_t dport, unsigned size,
                          unsigned wl, uint64_t seq)
{
    uint16_t l4 = (uint16_t)(size - 34);
    size_t o = build_ip(f, dst, src, sip, dip, 17, l4, (uint16_t)seq, 64);
    uint8_t *u = f + o;
    put16(u, sport);
    put16(u + 2, dport);
    put16(u + 4, l4);
    put16(u + 6, 0);
    uint8_t *p = u + 8;
    size_t n = l4 - 8u;
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)i;
    memcpy(p, "fosim", 5);
    p[5] = (uint8_t)wl;
    p[6] = p[7] = 0;
    put32(p + 8, (uint32_t)(seq >> 32));
    put32(p + 12, (uint32_t)seq);
    uint8_t pseudo[12];
    put32(pseudo, sip);
    put32(pseudo + 4, dip);
    pseudo[8] = 0;
    pseudo[9] = 17;
    put16(pseudo + 10, l4);
    uint16_t c = csum_fold(csum_add(csum_add(0, pseudo, 12), u, l4));
    put16(u + 6, c ? c : 0xffff);
    return size;
}

/* The flow key obs_decode_frame gives these bytes at every capture point. */
static uint64_t frame_flow(const uint8_t *data, uint32_t caplen, uint32_t len)
{
    struct obs_frame of = { .data = data, .caplen = caplen, .len = len };
    obs_decode_frame(&of);
    return of.flow;
}

/* ---- the table of frames in flight --------------------------------------------------------- */

static uint32_t pend_slot(uint64_t flow, uint32_t cap)
{
    return (uint32_t)((flow * 0x9e3779b97f4a7c15ull) >> 40) & (cap - 1);
}

static struct pend *pend_find(struct traffic *t, uint64_t flow)
{
    if (!t->pend_cap)
        return NULL;
    for (uint32_t i = pend_slot(flow, t->pend_cap);; i = (i + 1) & (t->pend_cap - 1)) {
        struct pend *p = &t->pend[i];
        if (!p->count)
            return NULL;
        if (p->flow == flow)
            return p;
    }
}

static void pend_grow(struct traffic *t)
{
    uint32_t ncap = t->pend_cap ? t->pend_cap * 2 : 16;
    struct pend *old = t->pend;
    uint32_t ocap = t->pend_cap;
    t->pend = sim_xcalloc(ncap, sizeof(*t->pend));
    t->pend_cap = ncap;
    for (uint32_t i = 0; i < ocap; i++) {
        if (!old[i].count)
            continue;
        uint32_t k = pend_slot(old[i].flow, ncap);
        while (t->pend[k].count)
            k = (k + 1) & (ncap - 1);
        t->pend[k] = old[i];
    }
    free(old);
}

/* Remember a frame in flight; false when the table is full. */
static bool pend_add(struct traffic *t, uint64_t flow, enum tdir dir, unsigned wl, uint16_t seq,
                     enum obs_role path)
{
    struct pend *p = pend_find(t, flow);
    if (p) {
        p->count++;
        return true;
    }
    if (t->pend_n >= MAX_PENDING) {
        t->untracked++;
        return false;
    }
    if ((t->pend_n + 1) * 2 > t->pend_cap)
        pend_grow(t);
    uint32_t i = pend_slot(flow, t->pend_cap);
    while (t->pend[i].count)
        i = (i + 1) & (t->pend_cap - 1);
    t->pend[i] = (struct pend){ .flow = flow, .count = 1, .dir = (uint8_t)dir,
                                .wl = (uint16_t)wl, .seq = seq, .path = (int8_t)path };
    t->pend_n++;
    return true;
}

/* Forget one frame of entry p (backward-shift deletion keeps probing exact). */
static void pend_take(struct traffic *t, struct pend *p)
{
    if (--p->count)
        return;
    uint32_t mask = t->pend_cap - 1;
    uint32_t i = (uint32_t)(p - t->pend);
    for (uint32_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (!t->pend[j].count)
            break;
        uint32_t home = pend_slot(t->pend[j].flow, t->pend_cap);
        /* can the entry at j move to the hole at i? */
        if (((j - home) & mask) >= ((j - i) & mask)) {
            t->pend[i] = t->pend[j];
            i = j;
        }
    }
    t->pend[i].count = 0;
    t->pend_n--;
}

/* ---- accounting ------------------------------------------------------------------------------ */

static void acct_init(struct acct *a)
{
    memset(a, 0, sizeof(*a));
    for (int d = 0; d < NDIRS; d++)
        a->first[d] = a->last[d] = a->gap_from[d] = a->gap_to[d] = SIM_TIME_NONE;
}

static void acct_deliver(struct acct *a, enum tdir d, enum obs_role via, sim_time now)
{
    a->delivered[d][via]++;
    if (a->last[d] != SIM_TIME_NONE && now - a->last[d] > a->gap[d]) {
        a->gap[d] = now - a->last[d];
        a->gap_from[d] = a->last[d];
        a->gap_to[d] = now;
    }
    if (a->first[d] == SIM_TIME_NONE)
        a->first[d] = now;
    a->last[d] = now;
}

static void acct_drop(struct acct *a, enum tdir d, enum obs_role via, enum frame_drop why)
{
    if (!a->dropped)
        a->dropped = sim_xcalloc(NDIRS, sizeof(*a->dropped));
    a->dropped[d][via][why]++;
}

static uint64_t acct_dropped(const struct acct *a, int d, int via, int why)
{
    return a->dropped ? a->dropped[d][via][why] : 0;
}

static struct acct *cur_acct(struct traffic *t)
{
    return &t->per[t->nper - 1].a;
}

static void count_sent(struct traffic *t, struct workload *wl, enum tdir d)
{
    t->total.sent[d]++;
    cur_acct(t)->sent[d]++;
    wl->sent++;
}

static void count_delivered(struct traffic *t, unsigned wlx, enum tdir d, enum obs_role via)
{
    sim_time now = t->w->now;
    acct_deliver(&t->total, d, via, now);
    acct_deliver(cur_acct(t), d, via, now);
    if (wlx < t->nwl)
        t->wl[wlx].delivered++;
}

static void count_dropped(struct traffic *t, unsigned wlx, enum tdir d, enum obs_role via,
                          enum frame_drop why)
{
    if ((unsigned)via >= OBS_NROLES)
        via = OBS_ROLE_UNKNOWN;
    acct_drop(&t->total, d, via, why);
    acct_drop(cur_acct(t), d, via, why);
    if (wlx < t->nwl)
        t->wl[wlx].dropped++;
}

/* A migration started: traffic from now on belongs to a new period; the
 * last delivery carries over, so a gap across the start counts here. */
static void period_begin(struct traffic *t, enum obs_host host)
{
    sim_time last[NDIRS];
    for (int d = 0; d < NDIRS; d++)
        last[d] = cur_acct(t)->last[d];
    t->per = sim_xrealloc(t->per, (t->nper + 1) * sizeof(*t->per));
    struct period *p = &t->per[t->nper++];
    memset(p, 0, sizeof(*p));
    p->start = t->w->now;
    p->host = host;
    p->end = SIM_TIME_NONE;
    acct_init(&p->a);
    for (int d = 0; d < NDIRS; d++)
        p->a.last[d] = last[d];
}

/* ---- capture points ---------------------------------------------------------------------------- */

static struct capture *capture_get(struct traffic *t, enum obs_host host, bool guest,
                                   const char *point, const char *netdev, enum obs_role role);

/* File stamps: the VM's virtual clock (it stands still while the VM is
 * stopped and moves to the target with the VM) on top of the wall-clock
 * second the process started, as QEMU's filter-dump stamps records and as
 * the guest's own clock (read from the RTC at boot) runs.  Both the QEMU
 * processes and the guest start at world time 0. */
static sim_time file_stamp(const struct traffic *t)
{
    const struct sim_world *w = t->w;
    sim_time base = w->epoch - w->epoch % SIM_S(1);
    sim_time vclock = w->now;
    if (t->vm->guest && guest_uptime(t->vm->guest) > 0)
        vclock = guest_uptime(t->vm->guest);
    return base + vclock;
}

static struct capture *capture_get(struct traffic *t, enum obs_host host, bool guest,
                                   const char *point, const char *netdev, enum obs_role role)
{
    if (!point) /* a NIC created without id: name its capture by its netdev */
        point = netdev;
    if (!point)
        return NULL;
    for (unsigned i = 0; i < t->ncap; i++) {
        struct capture *c = t->cap[i];
        if (c->host == host && c->guest == guest && strcmp(c->point, point) == 0)
            return c;
    }
    if (t->ncap == MAX_CAPTURES)
        return NULL;
    if (t->ncap == t->cap_alloc) {
        t->cap_alloc = t->cap_alloc ? t->cap_alloc * 2 : 8;
        t->cap = sim_xrealloc(t->cap, t->cap_alloc * sizeof(*t->cap)); /* NOLINT(bugprone-sizeof-expression): an array of pointers */
    }
    if (!netdev)
        netdev = "";
    const char *hname = obs_host_name(host);
    size_t np = strlen(point) + 1, nf = strlen(hname) + 1 + strlen(point) + 6,
           nn = strlen(netdev) + 1;
    struct capture *c = sim_xcalloc(1, sizeof(*c) + np + nf + nn);
    t->cap[t->ncap++] = c;
    c->host = host;
    c->guest = guest;
    c->role = role;
    char *names = c->names;
    memcpy(names, point, np);
    snprintf(names + np, nf, "%s-%s.pcap", hname, point);
    memcpy(names + np + nf, netdev, nn);
    c->point = names;
    c->file = names + np;
    c->netdev = names + np + nf;
    return c;
}

/* A frame at a host netdev, seen by filter-dump. */
static void capture_netdev(struct traffic *t, struct host *h, const char *qdev_id,
                           const char *netdev, enum obs_role role, enum obs_dir dir,
                           const uint8_t *data, uint32_t caplen, uint32_t len)
{
    enum obs_host hid = host_id(h);
    struct capture *c = capture_get(t, hid, false, qdev_id, netdev, role);
    if (!c)
        return;
    c->records++;
    c->dir_records[dir == OBS_DIR_FROM_GUEST ? DIR_OUT : DIR_IN]++;
    if (!sim_world_wants(t->w, OBS_FRAME)) { /* nobody reads the captures */
        sim_emit_skip(t->vm, hid, OBS_FRAME);
        return;
    }
    struct obs_frame of = { .point = c->point, .role = c->role, .dir = dir, .len = len,
                            .caplen = caplen > HOST_SNAPLEN ? HOST_SNAPLEN : caplen,
                            .data = data, .stamp = file_stamp(t) };
    sim_emit_frame(t->vm, hid, &of, c->file, c->records);
}

/* The guest's interface index for a role (0 if it has none now). */
static int guest_ifindex(const struct traffic *t, enum obs_role role)
{
    struct guest_ifinfo ifs[16];
    unsigned n = t->vm->guest ? guest_interfaces(t->vm->guest, ifs, 16) : 0;
    for (unsigned i = 0; i < n && i < 16; i++)
        if (ifs[i].role == role)
            return ifs[i].ifindex;
    return 0;
}

/* A frame on a guest interface, seen by tcpdump -i any -y LINUX_SLL2. */
static void capture_guest(struct traffic *t, enum obs_role role, enum obs_dir dir,
                          const uint8_t *eth, uint32_t caplen, uint32_t len)
{
    if (!t->cur_host || caplen < 14)
        return;
    int ifindex = guest_ifindex(t, role);
    if (!ifindex)
        return;
    enum obs_host hid = host_id(t->cur_host);
    struct capture *c = capture_get(t, hid, true, "guest", NULL, OBS_ROLE_MASTER);
    if (!c)
        return;
    if (!sim_world_wants(t->w, OBS_FRAME)) { /* nobody reads the captures */
        c->records++;
        c->dir_records[dir == OBS_DIR_FROM_GUEST ? DIR_OUT : DIR_IN]++;
        sim_emit_skip(t->vm, hid, OBS_FRAME);
        return;
    }
    uint8_t rec[SLL2_LEN + MAX_FRAME];
    uint32_t pl_cap = caplen - 14 > MAX_FRAME ? MAX_FRAME : caplen - 14;
    uint16_t proto = get16(eth + 12);
    put16(rec, proto);
    put16(rec + 2, 0);
    put32(rec + 4, (uint32_t)ifindex);
    put16(rec + 8, 1); /* ARPHRD_ETHER */
    uint8_t pkttype;
    if (dir == OBS_DIR_FROM_GUEST)
        pkttype = 4; /* PACKET_OUTGOING */
    else if (eth[0] == 0xff && eth[1] == 0xff && eth[2] == 0xff && eth[3] == 0xff &&
             eth[4] == 0xff && eth[5] == 0xff)
        pkttype = 1; /* PACKET_BROADCAST */
    else if (eth[0] & 1)
        pkttype = 2; /* PACKET_MULTICAST */
    else
        pkttype = mac_eq(eth, t->guest_mac) ? 0 : 3; /* PACKET_HOST / OTHERHOST */
    rec[10] = pkttype;
    rec[11] = 6;
    memset(rec + 12, 0, 8);
    memcpy(rec + 12, eth + 6, 6); /* the sender's address */
    memcpy(rec + SLL2_LEN, eth + 14, pl_cap);
    c->records++;
    c->dir_records[dir == OBS_DIR_FROM_GUEST ? DIR_OUT : DIR_IN]++;
    struct obs_frame of = { .point = c->point, .role = role, .ifindex = ifindex, .dir = dir,
                            .sll2 = true, .len = len - 14, .caplen = pl_cap,
                            .data = rec + SLL2_LEN, .ethertype = proto,
                            .stamp = file_stamp(t) };
    memcpy(of.src, eth + 6, 6);
    sim_emit_frame(t->vm, hid, &of, c->file, c->records);
}

/* ---- the hosts' side ---------------------------------------------------------------------------- */

/* The host the VM runs on now (or last ran on). */
static struct host *current_host(struct traffic *t)
{
    for (int h = 0; h < OBS_NHOSTS; h++)
        if (t->vm->hosts[h] && host_vm_running(t->vm->hosts[h]))
            t->cur_host = t->vm->hosts[h];
    if (!t->cur_host)
        t->cur_host = t->vm->hosts[OBS_SOURCE] ? t->vm->hosts[OBS_SOURCE]
                                               : t->vm->hosts[OBS_TARGET];
    return t->cur_host;
}

#define MAX_NICS 16

/* The NIC with role `role` carrying the guest's MAC on host h (role OTHER:
 * any NIC with that MAC), or NULL. */
static bool find_nic(const struct traffic *t, struct host *h, enum obs_role role,
                     struct host_nic_info *out)
{
    struct host_nic_info nics[MAX_NICS];
    unsigned n = host_nics(h, nics, MAX_NICS);
    for (unsigned i = 0; i < n && i < MAX_NICS; i++) {
        const struct host_nic_info *x = &nics[i];
        if (!x->netdev || (role != OBS_ROLE_OTHER && x->role != role))
            continue;
        if (x->has_mac ? !mac_eq(x->mac, t->guest_mac) : !mac_eq(QEMU_DEFAULT_MAC, t->guest_mac))
            continue;
        *out = *x;
        return true;
    }
    return false;
}

/* IMP: the host network delivers frames for the guest's MAC to the VF (the
 * primary) while it is plugged on the host the VM runs on, and to the
 * standby's netdev otherwise (doc/traffic.md, "Incoming frames"). */
static bool inbound_path(struct traffic *t, struct host **h, struct host_nic_info *nic)
{
    *h = current_host(t);
    if (!*h)
        return false;
    struct host_nic_info p;
    if (find_nic(t, *h, OBS_ROLE_PRIMARY, &p) && host_device_visible(*h, p.qdev_id)) {
        *nic = p;
        return true;
    }
    if (find_nic(t, *h, OBS_ROLE_STANDBY, nic))
        return true;
    return find_nic(t, *h, OBS_ROLE_OTHER, nic);
}

/* The peer (or the network) sends a frame towards the guest through
 * `netdev` of host h: filter-dump sees it, then the host delivers it. */
static void send_in(struct traffic *t, struct host *h, const struct host_nic_info *nic,
                    struct frame *f, unsigned wlx, uint16_t seq)
{
    capture_netdev(t, h, nic->qdev_id, nic->netdev, nic->role, OBS_DIR_TO_GUEST, f->data,
                   f->caplen, f->len);
    bool tracked = pend_add(t, f->flow, DIR_IN, wlx, seq, nic->role);
    enum frame_drop why = host_netdev_rx(h, nic->netdev, f);
    if (why != FRAME_DROP_NONE) {
        count_dropped(t, wlx, DIR_IN, nic->role, why);
        struct pend *p = tracked ? pend_find(t, f->flow) : NULL;
        if (p)
            pend_take(t, p);
    }
}

/* The guest sends a frame.  Returns false when the guest is not running
 * (the sending process is frozen: nothing was sent). */
static bool send_out(struct traffic *t, struct workload *wl, struct frame *f, uint16_t seq,
                     bool frozen_ok)
{
    unsigned wlx = wl->index - 1;
    bool tracked = pend_add(t, f->flow, DIR_OUT, wlx, seq, OBS_ROLE_UNKNOWN);
    enum obs_role via = OBS_ROLE_UNKNOWN;
    current_host(t);
    enum frame_drop why =
        t->vm->guest ? guest_xmit(t->vm->guest, f, &via) : FRAME_DROP_NO_ROUTE;
    struct pend *p = tracked ? pend_find(t, f->flow) : NULL;
    if (why == FRAME_DROP_VM_STOPPED && frozen_ok) {
        if (p)
            pend_take(t, p);
        return false;
    }
    count_sent(t, wl, DIR_OUT);
    /* the guest's capture: the master's tap sees what the stack sent, the
     * slave's tap what left through it */
    if (why != FRAME_DROP_VM_STOPPED) {
        if (via != OBS_ROLE_OTHER)
            capture_guest(t, OBS_ROLE_MASTER, OBS_DIR_FROM_GUEST, f->data, f->caplen, f->len);
        if (why == FRAME_DROP_NONE && via != OBS_ROLE_UNKNOWN)
            capture_guest(t, via, OBS_DIR_FROM_GUEST, f->data, f->caplen, f->len);
    }
    if (why != FRAME_DROP_NONE) {
        count_dropped(t, wlx, DIR_OUT, via, why);
        if (p)
            pend_take(t, p);
    }
    return true;
}

static void schedule_reply(struct traffic *t, struct host *h, const char *netdev,
                           const struct frame *req, unsigned wlx, uint16_t seq);

void traffic_netdev_tx(struct traffic *t, struct host *h, const char *qdev_id,
                       const char *netdev, const struct frame *f)
{
    enum obs_role role = OBS_ROLE_OTHER;
    struct host_nic_info nic;
    if (qdev_id && host_nic_find(h, qdev_id, NULL, &nic)) /* qdev ids are unique */
        role = nic.role;
    if (netdev)
        capture_netdev(t, h, qdev_id, netdev, role, OBS_DIR_FROM_GUEST, f->data, f->caplen,
                       f->len);
    struct pend *p = pend_find(t, f->flow);
    if (!p || p->dir != DIR_OUT)
        return; /* not a workload frame: QEMU's own (announce) or the guest's */
    unsigned wlx = p->wl;
    uint16_t seq = p->seq;
    pend_take(t, p);
    count_delivered(t, wlx, DIR_OUT, role);
    if (wlx < t->nwl && t->wl[wlx].kind == WL_PING && netdev)
        schedule_reply(t, h, netdev, f, wlx, seq);
}

/* Bit seq of a ping's answered set; the set grows to cover seq when marked. */
static bool replied_has(const struct workload *wl, uint16_t seq)
{
    return (uint32_t)(seq >> 3) < wl->replied_bytes && (wl->replied[seq >> 3] >> (seq & 7)) & 1;
}

static void replied_put(struct workload *wl, uint16_t seq, bool on)
{
    uint32_t i = seq >> 3;
    if (i >= wl->replied_bytes) {
        if (!on)
            return;
        uint32_t n = wl->replied_bytes ? wl->replied_bytes : 16;
        while (n <= i)
            n *= 2;
        wl->replied = sim_xrealloc(wl->replied, n);
        memset(wl->replied + wl->replied_bytes, 0, n - wl->replied_bytes);
        wl->replied_bytes = n;
    }
    if (on)
        wl->replied[i] |= (uint8_t)(1u << (seq & 7));
    else
        wl->replied[i] &= (uint8_t)~(1u << (seq & 7));
}

/* ---- the guest's side ------------------------------------------------------------------------------- */

static void on_guest_rx(void *ctx, const struct frame *f, enum obs_role via)
{
    struct traffic *t = ctx;
    current_host(t);
    capture_guest(t, via, OBS_DIR_TO_GUEST, f->data, f->caplen, f->len);
    if (via == OBS_ROLE_PRIMARY || via == OBS_ROLE_STANDBY)
        capture_guest(t, OBS_ROLE_MASTER, OBS_DIR_TO_GUEST, f->data, f->caplen, f->len);
    struct pend *p = pend_find(t, f->flow);
    if (!p || p->dir != DIR_IN)
        return;
    unsigned wlx = p->wl;
    uint16_t seq = p->seq;
    pend_take(t, p);
    count_delivered(t, wlx, DIR_IN, via);
    if (wlx < t->nwl && t->wl[wlx].kind == WL_PING) {
        struct workload *wl = &t->wl[wlx];
        if (replied_has(wl, seq))
            return; /* a duplicate reply */
        replied_put(wl, seq, true);
        wl->replies++;
        sim_time now = t->w->now;
        if (wl->last_reply != SIM_TIME_NONE && now - wl->last_reply > wl->gap) {
            wl->gap = now - wl->last_reply;
            wl->gap_from = wl->last_reply;
            wl->gap_to = now;
        }
        wl->last_reply = now;
    }
}

static void on_guest_drop(void *ctx, const struct frame *f, enum obs_role via,
                          enum frame_drop why)
{
    struct traffic *t = ctx;
    current_host(t);
    /* G-45: the standby's tap saw it before net_failover's rx_handler
     * kept it from the master */
    if (why == FRAME_DROP_STANDBY_RX_WITH_PRIMARY)
        capture_guest(t, via, OBS_DIR_TO_GUEST, f->data, f->caplen, f->len);
    struct pend *p = pend_find(t, f->flow);
    if (!p || p->dir != DIR_IN)
        return;
    unsigned wlx = p->wl;
    /* no guest interface took it (no driver): the path is the netdev's */
    if (via == OBS_ROLE_UNKNOWN)
        via = (enum obs_role)p->path;
    pend_take(t, p);
    count_dropped(t, wlx, DIR_IN, via, why);
}

/* ---- the peer's answers to pings ------------------------------------------------------------------------ */

static void reply_fire(struct sim_world *w, struct sim_event *ev)
{
    struct reply *r = SIM_CONTAINER_OF(ev, struct reply, ev);
    struct traffic *t = r->t;
    (void)w;
    r->busy = false;
    struct host_nic_info nic;
    if (!host_nic_find(r->h, NULL, r->netdev, &nic))
        return;
    struct frame f = { .data = r->frame, .len = r->len, .caplen = r->len,
                       .flow = frame_flow(r->frame, r->len, r->len), .born = t->w->now };
    count_sent(t, &t->wl[r->wl], DIR_IN);
    send_in(t, r->h, &nic, &f, r->wl, r->seq);
}

/* IMP: slirp answers an echo request on the netdev it came from. */
static void schedule_reply(struct traffic *t, struct host *h, const char *netdev,
                           const struct frame *req, unsigned wlx, uint16_t seq)
{
    if (req->caplen < 42 || req->caplen > MAX_FRAME)
        return;
    struct reply *r = t->replies;
    while (r && r->busy)
        r = r->next;
    if (!r) {
        r = sim_xcalloc(1, sizeof(*r));
        r->t = t;
        sim_event_init(&r->ev, reply_fire, "ping-reply");
        r->next = t->replies;
        t->replies = r;
    }
    if (r->frame_cap < req->caplen) {
        r->frame = sim_xrealloc(r->frame, req->caplen);
        r->frame_cap = req->caplen;
    }
    r->busy = true;
    r->h = h;
    sim_strlcpy(r->netdev, netdev, sizeof(r->netdev));
    const uint8_t *q = req->data;
    uint32_t sip = (uint32_t)q[26] << 24 | (uint32_t)q[27] << 16 | (uint32_t)q[28] << 8 | q[29];
    uint32_t dip = (uint32_t)q[30] << 24 | (uint32_t)q[31] << 16 | (uint32_t)q[32] << 8 | q[33];
    unsigned size = req->caplen - 42;
    const struct workload *wl = &t->wl[wlx];
    r->len = build_icmp(r->frame, 0, q + 6, q, dip, sip, wl->id, seq, size, 0, 255);
    memcpy(r->frame + 42, q + 42, size); /* the echo data comes back unchanged */
    uint8_t *ic = r->frame + 34;
    put16(ic + 2, 0);
    put16(ic + 2, csum_fold(csum_add(0, ic, 8 + size)));
    r->wl = (uint16_t)wlx;
    r->seq = seq;
    sim_schedule_in(t->w, &r->ev, PEER_DELAY);
}

/* ---- workloads at run time ------------------------------------------------------------------------------- */

static bool window_over(const struct workload *wl, sim_time now)
{
    return wl->to != SIM_TIME_NONE && now > wl->to;
}

static void ping_tick(struct traffic *t, struct workload *wl)
{
    uint8_t buf[MAX_FRAME];
    uint16_t seq = wl->seq;
    uint32_t len = build_icmp(buf, 8, PEER_MAC, t->guest_mac, GUEST_IP, wl->addr, wl->id, seq,
                              wl->size, file_stamp(t), 64);
    struct frame f = { .data = buf, .len = len, .caplen = len,
                       .flow = frame_flow(buf, len, len), .born = t->w->now };
    /* a reply to an old use of this sequence number no longer counts */
    replied_put(wl, seq, false);
    if (send_out(t, wl, &f, seq, true)) {
        wl->requests++;
        wl->seq++;
    }
}

static void generate_tick(struct traffic *t, struct workload *wl)
{
    uint8_t buf[MAX_FRAME];
    uint32_t len;
    if (wl->dir == DIR_OUT)
        len = build_udp(buf, wl->peer_mac, t->guest_mac, GUEST_IP, PEER_IP, 40000, 9, wl->size,
                        wl->index, wl->gen_seq);
    else
        len = build_udp(buf, t->guest_mac, wl->peer_mac, PEER_IP, GUEST_IP, 40001, 9, wl->size,
                        wl->index, wl->gen_seq);
    struct frame f = { .data = buf, .len = len, .caplen = len,
                       .flow = frame_flow(buf, len, len), .born = t->w->now };
    if (wl->dir == DIR_OUT) {
        if (send_out(t, wl, &f, 0, true))
            wl->gen_seq++;
        return;
    }
    wl->gen_seq++;
    count_sent(t, wl, DIR_IN);
    struct host *h;
    struct host_nic_info nic;
    if (!inbound_path(t, &h, &nic)) {
        count_dropped(t, wl->index - 1, DIR_IN, OBS_ROLE_UNKNOWN, FRAME_DROP_NO_PEER);
        return;
    }
    send_in(t, h, &nic, &f, wl->index - 1, 0);
}

static int pcap_fetch(struct traffic *t, struct workload *wl, struct sim_err *err);

static void pcap_tick(struct traffic *t, struct workload *wl)
{
    struct frame f = { .data = wl->buf, .len = wl->buf_len, .caplen = wl->buf_caplen,
                       .flow = frame_flow(wl->buf, wl->buf_caplen, wl->buf_len),
                       .born = t->w->now };
    wl->replayed++;
    if (wl->buf_dir == DIR_OUT) {
        send_out(t, wl, &f, 0, false);
    } else {
        count_sent(t, wl, DIR_IN);
        struct host *h;
        struct host_nic_info nic;
        if (!inbound_path(t, &h, &nic))
            count_dropped(t, wl->index - 1, DIR_IN, OBS_ROLE_UNKNOWN, FRAME_DROP_NO_PEER);
        else
            send_in(t, h, &nic, &f, wl->index - 1, 0);
    }
}

/* When the current tick of wl is due (NONE: the workload is over). */
static sim_time next_due(struct workload *wl)
{
    switch (wl->kind) {
    case WL_PING:
        return wl->from + (sim_time)wl->tick * wl->every;
    case WL_GENERATE:
        return wl->from + (sim_time)(wl->tick * 1000000000ull / wl->rate);
    case WL_PCAP:
        return wl->have_next ? wl->prev_at : SIM_TIME_NONE;
    }
    SIM_ASSERT(!"unhandled workload kind");
    return SIM_TIME_NONE;
}

static void wl_fire(struct sim_world *w, struct sim_event *ev)
{
    struct workload *wl = SIM_CONTAINER_OF(ev, struct workload, ev);
    struct traffic *t = wl->t;
    if (window_over(wl, w->now))
        return;
    switch (wl->kind) {
    case WL_PING:
        ping_tick(t, wl);
        break;
    case WL_GENERATE:
        generate_tick(t, wl);
        break;
    case WL_PCAP:
        pcap_tick(t, wl);
        struct sim_err err;
        if (pcap_fetch(t, wl, &err) != 0) {
            t->fail = sim_xmalloc(sizeof(*t->fail));
            *t->fail = err;
            t->failed = true;
            return;
        }
        break;
    }
    wl->tick++;
    sim_time due = next_due(wl);
    if (due != SIM_TIME_NONE && !window_over(wl, due))
        sim_schedule_at(w, &wl->ev, due < w->now ? w->now : due);
}

void traffic_start(struct traffic *t)
{
    current_host(t);
    for (size_t i = 0; i < t->nwl; i++) {
        struct workload *wl = &t->wl[i];
        sim_time due = next_due(wl);
        if (due != SIM_TIME_NONE)
            sim_schedule_at(t->w, &wl->ev, due < t->w->now ? t->w->now : due);
    }
}

/* ---- pcap replay ------------------------------------------------------------------------------------------- */

static bool is_group(const uint8_t *mac)
{
    return mac[0] & 1;
}

/* Read records until one to replay; builds it in wl->buf and sets its
 * time.  At the end of the file have_next becomes false. */
static int pcap_fetch(struct traffic *t, struct workload *wl, struct sim_err *err)
{
    for (;;) {
        struct pcap_rec rec;
        int rc = pcap_reader_next(wl->rd, &rec, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            wl->have_next = false;
            return 0;
        }
        enum tdir d;
        uint32_t caplen, len;
        if (rec.sll2) {
            if (wl->ifindex >= 0 && rec.ifindex != wl->ifindex)
                continue;
            if (rec.hatype != 1 && rec.hatype != 772) { /* Ethernet, loopback */
                wl->ignored++;
                continue;
            }
            bool outgoing = rec.pkttype == 4;
            d = wl->pdir == PD_OUT ? DIR_OUT : wl->pdir == PD_IN ? DIR_IN
                : outgoing         ? DIR_OUT
                                   : DIR_IN;
            caplen = rec.payload_caplen > MAX_FRAME - 14 ? MAX_FRAME - 14 : rec.payload_caplen;
            len = rec.payload_len + 14;
            uint8_t *b = wl->buf;
            if (d == DIR_OUT) {
                memcpy(b, PEER_MAC, 6);
                memcpy(b + 6, t->guest_mac, 6);
            } else {
                memcpy(b, t->guest_mac, 6);
                memcpy(b + 6, rec.halen == 6 ? rec.addr : PEER_MAC, 6);
            }
            put16(b + 12, rec.protocol);
            memcpy(b + 14, rec.payload, caplen);
            caplen += 14;
        } else {
            if (rec.caplen < 14) {
                wl->ignored++;
                continue;
            }
            const uint8_t *dst = rec.data, *src = rec.data + 6;
            if (wl->pdir == PD_OUT)
                d = DIR_OUT;
            else if (wl->pdir == PD_IN)
                d = DIR_IN;
            else if (mac_eq(src, t->guest_mac))
                d = DIR_OUT;
            else if (mac_eq(dst, t->guest_mac) || is_group(dst))
                d = DIR_IN;
            else {
                wl->ignored++; /* neither from nor for the guest */
                continue;
            }
            caplen = rec.caplen > MAX_FRAME ? MAX_FRAME : rec.caplen;
            len = rec.len;
            memcpy(wl->buf, rec.data, caplen);
        }
        wl->buf_caplen = caplen;
        wl->buf_len = len < caplen ? caplen : len;
        wl->buf_dir = d;
        if (!wl->have_next && wl->replayed == 0 && wl->first_ts == SIM_TIME_NONE)
            wl->first_ts = rec.t;
        sim_time rel = rec.t - wl->first_ts;
        if (rel < 0)
            rel = 0;
        /* scale by 1e6 / speed_num without overflow */
        sim_time scaled = (rel / (sim_time)wl->speed_num) * 1000000 +
                          (rel % (sim_time)wl->speed_num) * 1000000 / (sim_time)wl->speed_num;
        sim_time at = wl->from + scaled;
        if (at < wl->prev_at) {
            wl->reordered++;
            at = wl->prev_at;
        }
        wl->prev_at = at;
        wl->have_next = true;
        return 0;
    }
}

/* ---- parsing the traffic block ---------------------------------------------------------------------------- */

static int parse_time_word(const struct scn_arg *a, sim_time *out, struct sim_err *err)
{
    const char *end;
    if (sim_time_parse(a->text, out, &end) != 0 || *end || *out < 0)
        return scn_errf(err, &a->pos, "expected a time such as 2s, 1.5s or 200ms, found '%s'",
                        a->text);
    return 0;
}

static int parse_uint(const struct scn_arg *a, uint64_t lo, uint64_t hi, uint64_t *out,
                      const char *what, struct sim_err *err)
{
    const char *s = a->text;
    uint64_t v = 0;
    if (!*s)
        goto bad;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > UINT64_MAX / 10 - 9)
            goto bad;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    if (v < lo || v > hi)
        goto bad;
    *out = v;
    return 0;
bad:
    return scn_errf(err, &a->pos, "expected %s (%" PRIu64 "..%" PRIu64 "), found '%s'", what, lo,
                    hi, a->text);
}

static int parse_ipv4(const struct scn_arg *a, uint32_t *out, struct sim_err *err)
{
    unsigned b[4];
    char tail;
    if (sscanf(a->text, "%3u.%3u.%3u.%3u%c", &b[0], &b[1], &b[2], &b[3], &tail) != 4 ||
        b[0] > 255 || b[1] > 255 || b[2] > 255 || b[3] > 255)
        return scn_errf(err, &a->pos, "expected an IPv4 address such as 10.0.2.2, found '%s'",
                        a->text);
    *out = b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
    return 0;
}

static int parse_mac(const struct scn_arg *a, uint8_t mac[6], struct sim_err *err)
{
    unsigned b[6];
    char tail;
    if (strlen(a->text) != 17 ||
        sscanf(a->text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
               &tail) != 6)
        return scn_errf(err, &a->pos,
                        "expected a MAC address such as 52:55:0a:00:02:02, found '%s'", a->text);
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return 0;
}

/* "X" with up to six decimals, 0.001..1000000, as X * 1e6. */
static int parse_speed(const struct scn_arg *a, uint64_t *out, struct sim_err *err)
{
    const char *s = a->text;
    uint64_t ip = 0, frac = 0;
    int nd = 0;
    if (*s < '0' || *s > '9')
        goto bad;
    while (*s >= '0' && *s <= '9' && ip < 10000000)
        ip = ip * 10 + (uint64_t)(*s++ - '0');
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9' && nd < 6) {
            frac = frac * 10 + (uint64_t)(*s++ - '0');
            nd++;
        }
        if (nd == 0)
            goto bad;
    }
    if (*s)
        goto bad;
    while (nd++ < 6)
        frac *= 10;
    *out = ip * 1000000 + frac;
    if (*out < 1000 || *out > 1000000000000ull)
        goto bad;
    return 0;
bad:
    return scn_errf(err, &a->pos,
                    "expected a replay speed such as 1, 2 or 0.5 (0.001..1000000), found '%s'",
                    a->text);
}

/* The value word after a keyword. */
static const struct scn_arg *value_of(const struct scn_args *w, size_t *i, const char *usage,
                                      struct sim_err *err)
{
    if (*i + 1 >= w->n) {
        const struct scn_arg *k = &w->v[*i];
        struct scn_pos p = k->pos;
        p.col += (unsigned)strlen(k->text);
        scn_errf(err, &p, "expected a value after '%s' (%s)", k->text, usage);
        return NULL;
    }
    return &w->v[++*i];
}

static char *join_words(const struct scn_args *w)
{
    size_t n = 1;
    for (size_t i = 0; i < w->n; i++)
        n += strlen(w->v[i].text) + 1;
    char *s = sim_xmalloc(n);
    s[0] = '\0';
    for (size_t i = 0; i < w->n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, w->v[i].text);
    }
    return s;
}

/* Resolve a pcap path against the directory of the file that named it. */
static char *resolve_path(const struct scn_arg *a)
{
    if (a->text[0] == '/' || !a->pos.file || !strchr(a->pos.file, '/'))
        return sim_xstrdup(a->text);
    const char *slash = strrchr(a->pos.file, '/');
    size_t dl = (size_t)(slash - a->pos.file);
    char *p = sim_xmalloc(dl + 1 + strlen(a->text) + 1);
    memcpy(p, a->pos.file, dl);
    p[dl] = '/';
    strcpy(p + dl + 1, a->text);
    return p;
}

#define PING_USAGE "ping ADDR [every T] [from T] [to T] [size N]"
#define GEN_USAGE "generate out|in rate R/s size N [from T] [to T] [peer MAC]"
#define PCAP_USAGE "pcap FILE [out|in|auto] [from T] [speed X] [ifindex N]"

/* Options shared by the three statements. */
static int common_opt(const struct scn_args *w, size_t *i, struct workload *wl, bool *seen_from,
                      bool *seen_to, const char *usage, struct sim_err *err, bool *handled)
{
    const struct scn_arg *k = &w->v[*i];
    *handled = true;
    if (strcmp(k->text, "from") == 0 || strcmp(k->text, "to") == 0) {
        bool from = k->text[0] == 'f';
        if (from ? *seen_from : *seen_to)
            return scn_errf(err, &k->pos, "'%s' given twice", k->text);
        const struct scn_arg *v = value_of(w, i, usage, err);
        if (!v || parse_time_word(v, from ? &wl->from : &wl->to, err))
            return -1;
        *(from ? seen_from : seen_to) = true;
        return 0;
    }
    *handled = false;
    return 0;
}

static int parse_ping(struct traffic *t, const struct scn_args *w, struct workload *wl,
                      struct sim_err *err)
{
    (void)t;
    wl->kind = WL_PING;
    wl->every = SIM_S(1);
    wl->size = 56;
    if (w->n < 2)
        return scn_errf(err, &w->v[0].pos, "expected %s", PING_USAGE);
    if (parse_ipv4(&w->v[1], &wl->addr, err))
        return -1;
    bool sf = false, st = false, se = false, ss = false;
    for (size_t i = 2; i < w->n; i++) {
        bool handled;
        if (common_opt(w, &i, wl, &sf, &st, PING_USAGE, err, &handled))
            return -1;
        if (handled)
            continue;
        const struct scn_arg *k = &w->v[i];
        if (strcmp(k->text, "every") == 0 && !se) {
            const struct scn_arg *v = value_of(w, &i, PING_USAGE, err);
            if (!v || parse_time_word(v, &wl->every, err))
                return -1;
            if (wl->every < SIM_MS(1))
                return scn_errf(err, &v->pos, "ping interval below 1ms ('%s')", v->text);
            se = true;
        } else if (strcmp(k->text, "size") == 0 && !ss) {
            const struct scn_arg *v = value_of(w, &i, PING_USAGE, err);
            uint64_t n;
            if (!v || parse_uint(v, 0, 1472, &n, "ICMP data bytes", err))
                return -1;
            wl->size = (unsigned)n;
            ss = true;
        } else {
            return scn_errf(err, &k->pos, "unexpected '%s' (expected %s)", k->text, PING_USAGE);
        }
    }
    wl->id = (uint16_t)(0x6600 + wl->index);
    return 0;
}

static int parse_rate(const struct scn_arg *a, uint64_t *out, struct sim_err *err)
{
    size_t n = strlen(a->text);
    if (n < 3 || strcmp(a->text + n - 2, "/s") != 0)
        return scn_errf(err, &a->pos, "expected a rate such as 100/s, found '%s'", a->text);
    struct scn_arg num = *a;
    char buf[32];
    if (n - 2 >= sizeof(buf))
        return scn_errf(err, &a->pos, "expected a rate such as 100/s, found '%s'", a->text);
    memcpy(buf, a->text, n - 2);
    buf[n - 2] = '\0';
    num.text = buf;
    return parse_uint(&num, 1, 1000000, out, "frames per second", err);
}

static int parse_generate(struct traffic *t, const struct scn_args *w, struct workload *wl,
                          struct sim_err *err)
{
    (void)t;
    wl->kind = WL_GENERATE;
    memcpy(wl->peer_mac, PEER_MAC, 6);
    if (w->n < 2)
        return scn_errf(err, &w->v[0].pos, "expected %s", GEN_USAGE);
    if (strcmp(w->v[1].text, "out") == 0)
        wl->dir = DIR_OUT;
    else if (strcmp(w->v[1].text, "in") == 0)
        wl->dir = DIR_IN;
    else
        return scn_errf(err, &w->v[1].pos, "expected out or in, found '%s' (%s)", w->v[1].text,
                        GEN_USAGE);
    bool sf = false, st = false, sr = false, ss = false, sp = false;
    for (size_t i = 2; i < w->n; i++) {
        bool handled;
        if (common_opt(w, &i, wl, &sf, &st, GEN_USAGE, err, &handled))
            return -1;
        if (handled)
            continue;
        const struct scn_arg *k = &w->v[i];
        if (strcmp(k->text, "rate") == 0 && !sr) {
            const struct scn_arg *v = value_of(w, &i, GEN_USAGE, err);
            if (!v || parse_rate(v, &wl->rate, err))
                return -1;
            sr = true;
        } else if (strcmp(k->text, "size") == 0 && !ss) {
            const struct scn_arg *v = value_of(w, &i, GEN_USAGE, err);
            uint64_t n;
            if (!v || parse_uint(v, 60, 1514, &n, "frame bytes", err))
                return -1;
            wl->size = (unsigned)n;
            ss = true;
        } else if (strcmp(k->text, "peer") == 0 && !sp) {
            const struct scn_arg *v = value_of(w, &i, GEN_USAGE, err);
            if (!v || parse_mac(v, wl->peer_mac, err))
                return -1;
            sp = true;
        } else {
            return scn_errf(err, &k->pos, "unexpected '%s' (expected %s)", k->text, GEN_USAGE);
        }
    }
    if (!sr || !ss) {
        const struct scn_arg *last = &w->v[w->n - 1];
        struct scn_pos p = last->pos;
        p.col += (unsigned)strlen(last->text);
        return scn_errf(err, &p, "expected %s: 'rate' and 'size' are required", GEN_USAGE);
    }
    return 0;
}

static int parse_pcap(struct traffic *t, const struct scn_args *w, struct workload *wl,
                      struct sim_err *err)
{
    (void)t;
    wl->kind = WL_PCAP;
    wl->pdir = PD_AUTO;
    wl->speed_num = 1000000;
    wl->ifindex = -1;
    wl->first_ts = SIM_TIME_NONE;
    if (w->n < 2)
        return scn_errf(err, &w->v[0].pos, "expected %s", PCAP_USAGE);
    bool sf = false, st = false, sd = false, ss = false, si = false;
    for (size_t i = 2; i < w->n; i++) {
        bool handled;
        if (common_opt(w, &i, wl, &sf, &st, PCAP_USAGE, err, &handled))
            return -1;
        if (handled)
            continue;
        const struct scn_arg *k = &w->v[i];
        if (!sd && (strcmp(k->text, "out") == 0 || strcmp(k->text, "in") == 0 ||
                    strcmp(k->text, "auto") == 0)) {
            wl->pdir = k->text[0] == 'o' ? PD_OUT : k->text[0] == 'i' ? PD_IN : PD_AUTO;
            sd = true;
        } else if (strcmp(k->text, "speed") == 0 && !ss) {
            const struct scn_arg *v = value_of(w, &i, PCAP_USAGE, err);
            if (!v || parse_speed(v, &wl->speed_num, err))
                return -1;
            ss = true;
        } else if (strcmp(k->text, "ifindex") == 0 && !si) {
            const struct scn_arg *v = value_of(w, &i, PCAP_USAGE, err);
            uint64_t n;
            if (!v || parse_uint(v, 1, INT32_MAX, &n, "an interface index", err))
                return -1;
            wl->ifindex = (int64_t)n;
            si = true;
        } else {
            return scn_errf(err, &k->pos, "unexpected '%s' (expected %s)", k->text, PCAP_USAGE);
        }
    }
    wl->path = resolve_path(&w->v[1]);
    /* Read the whole file once now: a bad record anywhere is an error
     * before the run, never a replay cut short. */
    struct pcap_reader *rd;
    struct sim_err perr = { "" };
    if (pcap_reader_open(wl->path, &rd, &perr) != 0)
        return scn_errf(err, &w->v[1].pos, "pcap: %s", perr.msg);
    int linktype = pcap_reader_linktype(rd);
    struct pcap_rec rec;
    int rc;
    uint64_t n = 0;
    while ((rc = pcap_reader_next(rd, &rec, &perr)) == 1)
        n++;
    pcap_reader_close(rd);
    if (rc < 0)
        return scn_errf(err, &w->v[1].pos, "pcap: %s", perr.msg);
    if (si && linktype != PCAP_LINK_SLL2)
        return scn_errf(err, &w->v[1].pos,
                        "'ifindex' selects an interface of a Linux SLL2 capture, but %s is "
                        "an Ethernet capture",
                        w->v[1].text);
    (void)n;
    if (pcap_reader_open(wl->path, &wl->rd, &perr) != 0)
        return scn_errf(err, &w->v[1].pos, "pcap: %s", perr.msg);
    wl->buf = sim_xmalloc(MAX_FRAME);
    return 0;
}

static int parse_line(struct traffic *t, const struct scn_traffic_line *line,
                      struct workload *wl, struct sim_err *err)
{
    const struct scn_args *w = &line->words;
    wl->pos = w->v[0].pos;
    wl->text = join_words(w);
    wl->from = 0;
    wl->to = SIM_TIME_NONE;
    int r;
    const char *verb = w->v[0].text;
    if (strcmp(verb, "ping") == 0)
        r = parse_ping(t, w, wl, err);
    else if (strcmp(verb, "generate") == 0)
        r = parse_generate(t, w, wl, err);
    else if (strcmp(verb, "pcap") == 0)
        r = parse_pcap(t, w, wl, err);
    else
        return scn_errf(err, &w->v[0].pos,
                        "expected a workload: %s, %s or %s; found '%s'", PING_USAGE, GEN_USAGE,
                        PCAP_USAGE, verb);
    if (r)
        return r;
    if (wl->to != SIM_TIME_NONE && wl->to < wl->from)
        return scn_errf(err, &wl->pos, "the workload ends ('to') before it starts ('from')");
    if (wl->kind == WL_PING) {
        t->dir_used[DIR_OUT] = t->dir_used[DIR_IN] = true;
    } else if (wl->kind == WL_GENERATE) {
        t->dir_used[wl->dir] = true;
    } else {
        if (wl->pdir != PD_IN)
            t->dir_used[DIR_OUT] = true;
        if (wl->pdir != PD_OUT)
            t->dir_used[DIR_IN] = true;
    }
    return 0;
}

/* ---- the model's life ---------------------------------------------------------------------------------------- */

/* The guest's MAC: the failover standby's (the pair shares it), else the
 * first NIC's; QEMU's default when the NIC has none. */
static bool guest_mac(struct traffic *t)
{
    for (int pass = 0; pass < 2; pass++) {
        for (int h = 0; h < OBS_NHOSTS; h++) {
            if (!t->vm->hosts[h])
                continue;
            struct host_nic_info nics[MAX_NICS];
            unsigned n = host_nics(t->vm->hosts[h], nics, MAX_NICS);
            for (unsigned i = 0; i < n && i < MAX_NICS; i++) {
                if (pass == 0 && nics[i].role != OBS_ROLE_STANDBY)
                    continue;
                memcpy(t->guest_mac, nics[i].has_mac ? nics[i].mac : QEMU_DEFAULT_MAC, 6);
                return true;
            }
        }
    }
    return false;
}

/* Migrations, from the model's state observations (one sink per world
 * serves every VM's traffic). */
static void on_obs(void *ctx, const struct obs *o)
{
    struct sim_world *w = ctx;
    if (o->kind != OBS_STATE || o->vm >= w->nvms || strcmp(o->u.state.entity, "migration") != 0)
        return;
    struct traffic *t = w->vms[o->vm].traffic;
    if (!t)
        return;
    const char *to = o->u.state.to;
    /* the outgoing side is where the VM runs when its migration starts */
    struct host *h = t->vm->hosts[o->host];
    if (strcmp(to, "setup") == 0 && (!o->u.state.from || strcmp(o->u.state.from, "setup") != 0) &&
        h && host_vm_running(h)) {
        period_begin(t, o->host);
        return;
    }
    struct period *p = &t->per[t->nper - 1];
    if (t->nper > 1 && p->host == o->host && p->end == SIM_TIME_NONE &&
        (strcmp(to, "completed") == 0 || strcmp(to, "failed") == 0 ||
         strcmp(to, "cancelled") == 0)) {
        p->end = t->w->now;
        sim_strlcpy(p->status, to, sizeof(p->status));
    }
}

static int expect_parse(const struct traffic *t, const struct scn_expect *e, struct sim_err *err,
                        void *q);

struct traffic *traffic_new(struct sim_vm *vm, const struct scn_traffic *cfg, struct sim_err *err)
{
    struct traffic *t = sim_xcalloc(1, sizeof(*t));
    t->vm = vm;
    t->w = vm->w;
    t->cfg = cfg;
    acct_init(&t->total);
    t->per = sim_xcalloc(1, sizeof(*t->per));
    t->nper = 1;
    t->per[0].end = SIM_TIME_NONE;
    acct_init(&t->per[0].a);
    /* without any NIC the workload still runs: its frames find no route */
    t->have_mac = guest_mac(t);
    if (!t->have_mac)
        memcpy(t->guest_mac, QEMU_DEFAULT_MAC, 6);
    if (cfg->present && cfg->nlines > 0) {
        t->wl = sim_xcalloc(cfg->nlines, sizeof(*t->wl));
        for (size_t i = 0; i < cfg->nlines; i++) {
            struct workload *wl = &t->wl[i];
            wl->t = t;
            wl->index = (unsigned)i + 1;
            wl->last_reply = SIM_TIME_NONE;
            wl->gap_from = wl->gap_to = SIM_TIME_NONE;
            sim_event_init(&wl->ev, wl_fire, "traffic");
            t->nwl = i + 1;
            if (parse_line(t, &cfg->lines[i], wl, err) != 0)
                goto err_free;
            if (wl->kind == WL_PCAP && pcap_fetch(t, wl, err) != 0)
                goto err_free;
        }
    }
    /* expectations about traffic are checked now, before anything runs */
    if (vm->index == 0 && vm->w->scn) {
        const struct scenario *s = vm->w->scn;
        for (size_t i = 0; i < s->nexpects; i++)
            if (s->expects[i].kind == SCN_EXPECT_TRAFFIC &&
                expect_parse(t, &s->expects[i], err, NULL) != 0)
                goto err_free;
    }
    /* the netdev capture points exist from the start, as filter-dump's
     * files do */
    for (int h = 0; h < OBS_NHOSTS; h++) {
        if (!vm->hosts[h])
            continue;
        struct host_nic_info nics[MAX_NICS];
        unsigned n = host_nics(vm->hosts[h], nics, MAX_NICS);
        for (unsigned i = 0; i < n && i < MAX_NICS; i++)
            if (nics[i].netdev)
                capture_get(t, (enum obs_host)h, false, nics[i].qdev_id, nics[i].netdev,
                            nics[i].role);
    }
    if (vm->guest)
        guest_set_rx_hook(vm->guest, (struct guest_rx_hook){ .fn = on_guest_rx,
                                                             .drop = on_guest_drop, .ctx = t });
    if (vm->index == 0)
        sim_world_add_sink_kinds(vm->w, on_obs, vm->w, OBS_KIND_BIT(OBS_STATE));
    return t;
err_free:
    traffic_free(t);
    return NULL;
}

void traffic_free(struct traffic *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nwl; i++) {
        struct workload *wl = &t->wl[i];
        sim_cancel(t->w, &wl->ev);
        free(wl->text);
        free(wl->replied);
        free(wl->path);
        free(wl->buf);
        pcap_reader_close(wl->rd);
    }
    free(t->wl);
    while (t->replies) {
        struct reply *r = t->replies;
        t->replies = r->next;
        sim_cancel(t->w, &r->ev);
        free(r->frame);
        free(r);
    }
    for (unsigned i = 0; i < t->ncap; i++)
        free(t->cap[i]);
    free(t->cap);
    free(t->pend);
    free(t->total.dropped);
    for (size_t i = 0; i < t->nper; i++)
        free(t->per[i].a.dropped);
    free(t->per);
    free(t->fail);
    free(t);
}

/* ---- capture points, for a bundle manifest -------------------------------------------------------------------- */

unsigned traffic_captures(const struct traffic *t, struct traffic_capture_info *out, unsigned max)
{
    for (unsigned i = 0; i < t->ncap && i < max; i++) {
        const struct capture *c = t->cap[i];
        out[i] = (struct traffic_capture_info){
            .host = c->host, .point = c->point, .file = c->file,
            .netdev = c->guest ? NULL : c->netdev, .role = c->role,
            .linktype = c->guest ? PCAP_LINK_SLL2 : PCAP_LINK_ETHERNET, .records = c->records,
        };
    }
    return t->ncap;
}

/* ---- measures ------------------------------------------------------------------------------------------------------ */

/* Does the workload send frames in direction d? */
static bool workload_uses(const struct workload *wl, enum tdir d)
{
    switch (wl->kind) {
    case WL_PING:
        return true;
    case WL_GENERATE:
        return wl->dir == d;
    case WL_PCAP:
        return wl->pdir == PD_AUTO || (wl->pdir == PD_OUT) == (d == DIR_OUT);
    }
    SIM_ASSERT(!"unhandled workload kind");
    return false;
}

/* End of the traffic window of direction d: the latest end of a workload
 * sending that way, or now. */
static sim_time window_end(const struct traffic *t, enum tdir d)
{
    sim_time end = SIM_TIME_NONE;
    for (size_t i = 0; i < t->nwl; i++) {
        const struct workload *wl = &t->wl[i];
        if (!workload_uses(wl, d))
            continue;
        sim_time e = wl->to == SIM_TIME_NONE || wl->to > t->w->now ? t->w->now : wl->to;
        if (wl->kind == WL_PCAP && !wl->have_next && wl->replayed && wl->prev_at < e)
            e = wl->prev_at; /* the capture is over: its last record */
        if (e > end)
            end = e;
    }
    return end == SIM_TIME_NONE ? t->w->now : end;
}

static sim_time window_start(const struct traffic *t, enum tdir d)
{
    sim_time start = SIM_TIME_NONE;
    for (size_t i = 0; i < t->nwl; i++) {
        const struct workload *wl = &t->wl[i];
        if (workload_uses(wl, d) && (start == SIM_TIME_NONE || wl->from < start))
            start = wl->from;
    }
    return start == SIM_TIME_NONE ? 0 : start;
}

struct blackout {
    sim_time len, from, to;
    bool open;       /* still going at the end of the window */
    bool none;       /* nothing was delivered at all */
};

/* The longest interval without a delivery in direction d for accounting a
 * that covers [start, end]. */
static struct blackout blackout_of(const struct acct *a, enum tdir d, sim_time start,
                                   sim_time end)
{
    struct blackout b = { .len = a->gap[d], .from = a->gap_from[d], .to = a->gap_to[d] };
    if (a->last[d] == SIM_TIME_NONE) {
        b = (struct blackout){ .len = end > start ? end - start : 0, .from = start, .to = end,
                               .open = true, .none = true };
        return b;
    }
    if (end - a->last[d] > b.len) {
        b.len = end - a->last[d];
        b.from = a->last[d];
        b.to = end;
        b.open = true;
    }
    return b;
}

bool traffic_blackout(const struct traffic *t, enum traffic_dir d, unsigned migration,
                      struct traffic_blackout *out)
{
    enum tdir dir = d == TRAFFIC_OUT ? DIR_OUT : DIR_IN;
    const struct acct *a = &t->total;
    sim_time start = window_start(t, dir), end = window_end(t, dir);
    if (migration > 0) {
        if (migration >= t->nper)
            return false;
        a = &t->per[migration].a;
        start = t->per[migration].start;
        if (migration + 1 < t->nper)
            end = t->per[migration + 1].start;
    }
    struct blackout b = blackout_of(a, dir, start, end);
    *out = (struct traffic_blackout){ .len = b.len, .from = b.from, .to = b.to,
                                      .open = b.open, .none = b.none };
    return true;
}

static uint64_t sum_delivered(const struct acct *a, enum tdir d, int via)
{
    uint64_t n = 0;
    for (int r = 0; r < OBS_NROLES; r++)
        if (via < 0 || via == r)
            n += a->delivered[d][r];
    return n;
}

static uint64_t sum_dropped(const struct acct *a, enum tdir d, int via, int why)
{
    uint64_t n = 0;
    for (int r = 0; r < OBS_NROLES; r++)
        for (int k = 0; k < FRAME_NDROPS; k++)
            if ((via < 0 || via == r) && (why < 0 || why == k))
                n += acct_dropped(a, d, r, k);
    return n;
}

/* ---- the report ------------------------------------------------------------------------------------------------------ */

/* A path as reports and expectations name it ("none": no path chosen). */
static const char *path_name(int role)
{
    return role == OBS_ROLE_UNKNOWN ? "none" : obs_role_name((enum obs_role)role);
}

static void fmt_time(char *b, size_t n, sim_time t)
{
    sim_time_format_short(b, n, t);
}

static void report_acct(const struct traffic *t, const struct acct *a, sim_time start,
                        sim_time end, FILE *out, const char *indent)
{
    for (int d = 0; d < NDIRS; d++) {
        if (!t->dir_used[d])
            continue;
        uint64_t del = sum_delivered(a, (enum tdir)d, -1);
        uint64_t drop = sum_dropped(a, (enum tdir)d, -1, -1);
        fprintf(out, "%s%-3s %" PRIu64 " sent, %" PRIu64 " delivered", indent, dir_names[d],
                a->sent[d], del);
        const char *sep = " (";
        for (int r = 0; r < OBS_NROLES; r++) {
            if (!a->delivered[d][r])
                continue;
            fprintf(out, "%svia %s %" PRIu64, sep, path_name(r),
                    a->delivered[d][r]);
            sep = ", ";
        }
        if (sep[0] == ',')
            fputc(')', out);
        fprintf(out, ", %" PRIu64 " dropped", drop);
        sep = " (";
        for (int r = 0; r < OBS_NROLES; r++)
            for (int k = 0; k < FRAME_NDROPS; k++) {
                if (!acct_dropped(a, d, r, k))
                    continue;
                fprintf(out, "%s%s %s %" PRIu64, sep, path_name(r),
                        drop_name((enum frame_drop)k), acct_dropped(a, d, r, k));
                sep = ", ";
            }
        if (sep[0] == ',')
            fputc(')', out);
        uint64_t other = a->sent[d] >= del + drop ? a->sent[d] - del - drop : 0;
        if (other)
            fprintf(out, ", %" PRIu64 " unaccounted", other);
        struct blackout b = blackout_of(a, (enum tdir)d, start < 0 ? window_start(t, (enum tdir)d) : start,
                                        end < 0 ? window_end(t, (enum tdir)d) : end);
        char l[32], f[32], e[32];
        fmt_time(l, sizeof(l), b.len);
        fmt_time(f, sizeof(f), b.from);
        fmt_time(e, sizeof(e), b.to);
        if (b.none)
            fprintf(out, "; nothing delivered\n");
        else
            fprintf(out, "; blackout %s (%s..%s%s)\n", l, f, e, b.open ? ", to the end" : "");
    }
}

void traffic_report(const struct traffic *t, FILE *out)
{
    char a[32], b[32], c[32];
    if (t->failed)
        fprintf(out, "  error: %s\n", t->fail->msg);
    for (size_t i = 0; i < t->nwl; i++) {
        const struct workload *wl = &t->wl[i];
        fprintf(out, "  %zu. %s:", i + 1, wl->text);
        switch (wl->kind) {
        case WL_PING:
            fprintf(out, " %" PRIu64 " requests, %" PRIu64 " replies, %" PRIu64 " lost",
                    wl->requests, wl->replies,
                    wl->requests >= wl->replies ? wl->requests - wl->replies : 0);
            if (wl->gap_from != SIM_TIME_NONE) {
                fmt_time(a, sizeof(a), wl->gap);
                fmt_time(b, sizeof(b), wl->gap_from);
                fmt_time(c, sizeof(c), wl->gap_to);
                fprintf(out, ", longest gap between replies %s (%s..%s)", a, b, c);
            }
            break;
        case WL_GENERATE:
        case WL_PCAP:
            fprintf(out, " %" PRIu64 " sent, %" PRIu64 " delivered, %" PRIu64 " dropped",
                    wl->sent, wl->delivered, wl->dropped);
            if (wl->kind == WL_PCAP && wl->ignored)
                fprintf(out, ", %" PRIu64 " records neither from nor for the guest skipped",
                        wl->ignored);
            if (wl->kind == WL_PCAP && wl->reordered)
                fprintf(out, ", %" PRIu64 " records out of time order sent late",
                        wl->reordered);
            break;
        }
        fputc('\n', out);
    }
    fprintf(out, "  all traffic:\n");
    report_acct(t, &t->total, -1, -1, out, "    ");
    for (size_t k = 1; k < t->nper; k++) {
        const struct period *p = &t->per[k];
        fmt_time(a, sizeof(a), p->start);
        fprintf(out, "  migration %zu (%s, setup at %s", k, obs_host_name(p->host), a);
        if (p->end != SIM_TIME_NONE) {
            fmt_time(b, sizeof(b), p->end);
            fprintf(out, ", %s at %s", p->status, b);
        }
        fprintf(out, "), traffic from its start on:\n");
        report_acct(t, &p->a, p->start, k + 1 < t->nper ? t->per[k + 1].start : -1, out,
                    "    ");
    }
    if (t->untracked)
        fprintf(out, "  %" PRIu64 " frames were not tracked (too many in flight)\n", t->untracked);
    fprintf(out, "  captures:");
    for (unsigned i = 0; i < t->ncap; i++)
        fprintf(out, "%s %s %" PRIu64, i ? "," : "", t->cap[i]->file, t->cap[i]->records);
    fputc('\n', out);
}

/* ---- expect traffic ... --------------------------------------------------------------------------------------------------- */

enum metric { M_SENT, M_DELIVERED, M_DROPPED, M_LOST, M_BLACKOUT, M_UNACCOUNTED, M_REQUESTS,
              M_REPLIES, M_PING_LOST, M_GAP, M_CAPTURED };

enum cmp_op { OP_LT, OP_LE, OP_EQ, OP_NE, OP_GE, OP_GT };
static const char *const op_names[] = { "<", "<=", "==", "!=", ">=", ">" };

struct tquery {
    enum metric m;
    enum tdir dir;
    int via;               /* role, or -1 */
    int why;               /* frame_drop, or -1 */
    long migration;        /* 0: all traffic; N: from migration N's start */
    enum cmp_op op;
    bool is_time;
    int64_t value;         /* count, or ns */
    char file[96];         /* M_CAPTURED: the capture file */
    int cdir;              /* M_CAPTURED: DIR_OUT, DIR_IN, or -1 for both */
};

#define EXPECT_USAGE                                                                            \
    "expect traffic sent|delivered|dropped|lost|blackout|unaccounted out|in "                      \
    "[via primary|standby|other|none] "                                                           \
    "[reason NAME] [migration N] OP VALUE, or expect traffic ping requests|replies|lost|gap "       \
    "[migration N] OP VALUE, or expect traffic captured FILE [out|in] OP COUNT"

static int expect_parse(const struct traffic *t, const struct scn_expect *e, struct sim_err *err,
                        void *qv)
{
    struct tquery q = { .via = -1, .why = -1 };
    const struct scn_args *w = &e->words;
    size_t i = 0;
    if (w->n == 0)
        return scn_errf(err, &e->pos, "expected %s", EXPECT_USAGE);
    const struct scn_arg *m = &w->v[i++];
    bool ping = strcmp(m->text, "ping") == 0;
    bool captured = strcmp(m->text, "captured") == 0;
    q.cdir = -1;
    if (captured) {
        q.m = M_CAPTURED;
        if (i >= w->n)
            return scn_errf(err, &m->pos, "expected a capture file after 'captured'");
        const struct scn_arg *fa = &w->v[i++];
        size_t fl = strlen(fa->text);
        bool ok = (strncmp(fa->text, "source-", 7) == 0 || strncmp(fa->text, "target-", 7) == 0) &&
                  fl > 12 && fl < sizeof(q.file) && strcmp(fa->text + fl - 5, ".pcap") == 0;
        if (!ok)
            return scn_errf(err, &fa->pos,
                            "expected a capture file such as source-primary0.pcap or "
                            "target-guest.pcap, found '%s'",
                            fa->text);
        sim_strlcpy(q.file, fa->text, sizeof(q.file));
        if (i < w->n && (strcmp(w->v[i].text, "out") == 0 || strcmp(w->v[i].text, "in") == 0)) {
            q.cdir = strcmp(w->v[i].text, "out") == 0 ? DIR_OUT : DIR_IN;
            i++;
        }
    } else if (ping) {
        if (i >= w->n)
            return scn_errf(err, &m->pos, "expected requests, replies, lost or gap after 'ping'");
        m = &w->v[i++];
        if (strcmp(m->text, "requests") == 0)
            q.m = M_REQUESTS;
        else if (strcmp(m->text, "replies") == 0)
            q.m = M_REPLIES;
        else if (strcmp(m->text, "lost") == 0)
            q.m = M_PING_LOST;
        else if (strcmp(m->text, "gap") == 0)
            q.m = M_GAP;
        else
            return scn_errf(err, &m->pos,
                            "expected requests, replies, lost or gap after 'ping', found '%s'",
                            m->text);
        bool have = false;
        for (size_t k = 0; k < t->nwl; k++)
            have |= t->wl[k].kind == WL_PING;
        if (!have)
            return scn_errf(err, &e->pos, "'expect traffic ping ...' but the traffic block has "
                                          "no ping");
    } else {
        static const char *const names[] = { "sent",     "delivered", "dropped",
                                             "lost",     "blackout",  "unaccounted" };
        size_t k;
        for (k = 0; k < SIM_ARRAY_SIZE(names); k++)
            if (strcmp(m->text, names[k]) == 0)
                break;
        if (k == SIM_ARRAY_SIZE(names))
            return scn_errf(err, &m->pos, "unknown traffic measure '%s' (expected %s)", m->text,
                            EXPECT_USAGE);
        q.m = (enum metric)k;
        if (i >= w->n || (strcmp(w->v[i].text, "out") != 0 && strcmp(w->v[i].text, "in") != 0))
            return scn_errf(err, i < w->n ? &w->v[i].pos : &m->pos,
                            "expected a direction, out or in, after '%s'", m->text);
        q.dir = strcmp(w->v[i].text, "out") == 0 ? DIR_OUT : DIR_IN;
        if (!t->dir_used[q.dir])
            return scn_errf(err, &w->v[i].pos,
                            "no workload sends frames %s (add a ping, generate or pcap line)",
                            w->v[i].text);
        i++;
    }
    q.is_time = q.m == M_BLACKOUT || q.m == M_GAP;
    for (; i < w->n; i++) {
        const struct scn_arg *k = &w->v[i];
        if (strcmp(k->text, "via") == 0 && !ping && (q.m == M_DELIVERED || q.m == M_DROPPED) &&
            q.via < 0) {
            if (++i >= w->n)
                return scn_errf(err, &k->pos, "expected primary, standby, other or none after "
                                              "'via'");
            const char *v = w->v[i].text;
            if (strcmp(v, "primary") == 0)
                q.via = OBS_ROLE_PRIMARY;
            else if (strcmp(v, "standby") == 0)
                q.via = OBS_ROLE_STANDBY;
            else if (strcmp(v, "other") == 0)
                q.via = OBS_ROLE_OTHER;
            else if (strcmp(v, "none") == 0)
                q.via = OBS_ROLE_UNKNOWN;
            else
                return scn_errf(err, &w->v[i].pos,
                                "expected primary, standby, other or none, found '%s'", v);
        } else if (strcmp(k->text, "reason") == 0 && q.m == M_DROPPED && q.why < 0) {
            if (++i >= w->n)
                return scn_errf(err, &k->pos, "expected a drop reason after 'reason'");
            const char *v = w->v[i].text;
            for (int d = 1; d < FRAME_NDROPS; d++)
                if (strcmp(v, frame_drop_name((enum frame_drop)d)) == 0)
                    q.why = d;
            if (q.why < 0) {
                char list[512] = "";
                for (int d = 1; d < FRAME_NDROPS; d++) {
                    strcat(list, d > 1 ? ", " : "");
                    strcat(list, frame_drop_name((enum frame_drop)d));
                }
                return scn_errf(err, &w->v[i].pos, "unknown drop reason '%s' (expected one of %s)",
                                v, list);
            }
        } else if (strcmp(k->text, "migration") == 0 && q.migration == 0 && !ping && !captured) {
            uint64_t n;
            if (++i >= w->n)
                return scn_errf(err, &k->pos, "expected a migration number after 'migration'");
            if (parse_uint(&w->v[i], 1, 1000000, &n, "a migration number", err))
                return -1;
            q.migration = (long)n;
        } else {
            size_t o;
            for (o = 0; o < SIM_ARRAY_SIZE(op_names); o++)
                if (strcmp(k->text, op_names[o]) == 0)
                    break;
            if (o == SIM_ARRAY_SIZE(op_names))
                return scn_errf(err, &k->pos, "unexpected '%s' (expected %s)", k->text,
                                EXPECT_USAGE);
            q.op = (enum cmp_op)o;
            if (i + 1 >= w->n)
                return scn_errf(err, &k->pos, "expected a %s after '%s'",
                                q.is_time ? "time" : "count", k->text);
            const struct scn_arg *v = &w->v[++i];
            if (q.is_time) {
                sim_time tv;
                if (parse_time_word(v, &tv, err))
                    return -1;
                q.value = tv;
            } else {
                uint64_t n;
                if (parse_uint(v, 0, INT64_MAX, &n, "a count", err))
                    return -1;
                q.value = (int64_t)n;
            }
            if (i + 1 < w->n)
                return scn_errf(err, &w->v[i + 1].pos, "unexpected '%s' after the value",
                                w->v[i + 1].text);
            if (qv)
                *(struct tquery *)qv = q;
            return 0;
        }
    }
    const struct scn_arg *last = &w->v[w->n - 1];
    struct scn_pos p = last->pos;
    p.col += (unsigned)strlen(last->text);
    return scn_errf(err, &p, "expected a comparison such as '< 1s' or '== 0' (%s)", EXPECT_USAGE);
}

static bool compare(int64_t a, enum cmp_op op, int64_t b)
{
    switch (op) {
    case OP_LT:
        return a < b;
    case OP_LE:
        return a <= b;
    case OP_EQ:
        return a == b;
    case OP_NE:
        return a != b;
    case OP_GE:
        return a >= b;
    case OP_GT:
        return a > b;
    }
    SIM_ASSERT(!"unhandled comparison");
    return false;
}

int traffic_input_failed(const struct traffic *t, struct sim_err *err)
{
    if (!t->failed)
        return 0;
    *err = *t->fail;
    return -1;
}

int traffic_expect(const struct traffic *t, const struct scn_expect *e, char *why, size_t whylen,
                   struct sim_err *err)
{
    if (t->failed)
        return scn_errf(err, &e->pos, "traffic replay failed: %s", t->fail->msg);
    struct tquery q;
    if (expect_parse(t, e, err, &q) != 0)
        return -1;
    const struct acct *a = &t->total;
    sim_time start = window_start(t, q.dir), end = window_end(t, q.dir);
    char scope[48] = "";
    if (q.migration > 0) {
        if ((size_t)q.migration >= t->nper) {
            snprintf(why, whylen, "there was no migration %ld (%zu seen)", q.migration,
                     t->nper - 1);
            return 0;
        }
        const struct period *p = &t->per[q.migration];
        a = &p->a;
        start = p->start;
        if ((size_t)q.migration + 1 < t->nper)
            end = t->per[q.migration + 1].start;
        snprintf(scope, sizeof(scope), " from migration %ld on", q.migration);
    }
    int64_t v = 0;
    char detail[256] = "";
    switch (q.m) {
    case M_SENT:
        v = (int64_t)a->sent[q.dir];
        break;
    case M_DELIVERED:
        v = (int64_t)sum_delivered(a, q.dir, q.via);
        break;
    case M_DROPPED:
        v = (int64_t)sum_dropped(a, q.dir, q.via, q.why);
        break;
    case M_LOST: {
        uint64_t del = sum_delivered(a, q.dir, -1);
        v = (int64_t)(a->sent[q.dir] > del ? a->sent[q.dir] - del : 0);
        break;
    }
    case M_UNACCOUNTED: {
        uint64_t done = sum_delivered(a, q.dir, -1) + sum_dropped(a, q.dir, -1, -1);
        v = (int64_t)(a->sent[q.dir] > done ? a->sent[q.dir] - done : 0);
        break;
    }
    case M_BLACKOUT: {
        struct blackout b = blackout_of(a, q.dir, start, end);
        v = b.len;
        char f[32], to[32];
        fmt_time(f, sizeof(f), b.from);
        fmt_time(to, sizeof(to), b.to);
        snprintf(detail, sizeof(detail), " (%s..%s%s)", f, to,
                 b.none ? ", nothing delivered" : b.open ? ", to the end" : "");
        break;
    }
    case M_CAPTURED:
        for (unsigned c = 0; c < t->ncap; c++)
            if (strcmp(t->cap[c]->file, q.file) == 0)
                v = (int64_t)(q.cdir < 0 ? t->cap[c]->records : t->cap[c]->dir_records[q.cdir]);
        break;
    case M_REQUESTS:
    case M_REPLIES:
    case M_PING_LOST:
    case M_GAP:
        for (size_t k = 0; k < t->nwl; k++) {
            const struct workload *wl = &t->wl[k];
            if (wl->kind != WL_PING)
                continue;
            if (q.m == M_REQUESTS)
                v += (int64_t)wl->requests;
            else if (q.m == M_REPLIES)
                v += (int64_t)wl->replies;
            else if (q.m == M_PING_LOST)
                v += (int64_t)(wl->requests - wl->replies);
            else if (wl->gap > v) {
                v = wl->gap;
                char f[32], to[32];
                fmt_time(f, sizeof(f), wl->gap_from);
                fmt_time(to, sizeof(to), wl->gap_to);
                snprintf(detail, sizeof(detail), " (%s..%s)", f, to);
            }
        }
        break;
    }
    bool held = compare(v, q.op, q.value);
    char vs[32];
    if (q.is_time)
        fmt_time(vs, sizeof(vs), v);
    else
        snprintf(vs, sizeof(vs), "%" PRId64, v);
    snprintf(why, whylen, "%s%s%s", vs, detail, scope);
    return held ? 1 : 0;
}
