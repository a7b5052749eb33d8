/*
 * Monitors of area PAIR: net_failover's pairing as the guest console shows
 * it -- which NIC becomes the primary (same MAC), one primary and one
 * standby per master, slaves only under a registered master, teardown
 * order, one master per virtio device (G-09..G-35).  The console is one
 * file per host and the guest moves between them; uptime orders it.
 */
#include <string.h>

#include "monitor.h"

/* Guest uptime of a console record (its stamp), else its wall-clock time. */
static sim_time uptime(const struct obs *o)
{
    return o->u.klog.uptime != SIM_TIME_NONE ? o->u.klog.uptime : o->t;
}

/* ---- PAIR-001: a primary has the standby's MAC ------------------------------------- */

#define PAIR_MAX 16

struct pair001 {
    char ifname[PAIR_MAX][16];    /* primaries registered, waiting for their MAC line */
    struct ck_rec line[PAIR_MAX];
    unsigned n;
};

static void pair001_obs(struct mon *m, const struct obs *o) /* IMP: PAIR-001 */
{
    struct pair001 *st = m->st;
    struct check *c = m->c;
    const struct obs_klog *k = &o->u.klog;
    if (k->kind == KLOG_FO_PRIMARY_REGISTERED && st->n < PAIR_MAX) {
        sim_strlcpy(st->ifname[st->n], k->ifname, sizeof(st->ifname[0]));
        ck_keep(&st->line[st->n], o);
        st->n++;
        return;
    }
    uint8_t mac[6];
    bool gone = k->kind == KLOG_FO_PRIMARY_UNREGISTERED;
    bool has_mac = ck_nic_mac(o, mac);
    if (!gone && !has_mac)
        return;
    for (unsigned i = 0; i < st->n; i++) {
        if (strcmp(st->ifname[i], k->ifname) != 0)
            continue;
        if (gone) {
            mon_unsure(m, "the driver of %s printed no MAC between its registration and its "
                          "removal", k->ifname);
        } else if (view_is_standby_mac(c, o->host, mac)) {
            mon_pass(m);
        } else {
            char got[24];
            ck_mac_str(got, sizeof(got), mac);
            mon_fail(m, o,
                     "net_failover pairs only identical MACs: primary slave %s reports %s, "
                     "which is no failover standby's MAC (G-17)",
                     k->ifname, got);
            mon_cite(m, &st->line[i]);
        }
        st->n--;
        if (i != st->n) {
            memcpy(st->ifname[i], st->ifname[st->n], sizeof(st->ifname[0]));
            st->line[i] = st->line[st->n];
        }
        return;
    }
}

static void pair001_end(struct mon *m)
{
    struct pair001 *st = m->st;
    for (unsigned i = 0; i < st->n; i++)
        mon_unsure(m, "the driver of primary slave %s printed no MAC", st->ifname[i]);
}

const struct monitor_def mon_PAIR_001 = {
    .kinds = K_KLOG, .size = sizeof(struct pair001), .obs = pair001_obs, .end = pair001_end,
};

/* ---- PAIR-002 / PAIR-003: one slave per role and master ------------------------------ */

static void one_slave(struct mon *m, const struct obs *o, enum klog_kind kind, enum obs_role role,
                      const char *rule)
{
    struct check *c = m->c;
    const struct obs_klog *k = &o->u.klog;
    if (k->kind != kind)
        return;
    for (unsigned i = 0; i < c->view.nifs; i++) {
        const struct view_if *f = &c->view.ifs[i];
        if (f->role == role && f->registered && strcmp(f->master, k->ifname2) == 0) {
            mon_fail(m, o,
                     "a master has one %s slave at a time: %s is still registered on %s (%s)",
                     obs_role_name(role), f->name, k->ifname2, rule);
            mon_cite(m, &f->changed);
            return;
        }
    }
    mon_pass(m);
}

static void pair002_obs(struct mon *m, const struct obs *o) /* IMP: PAIR-002 */
{
    one_slave(m, o, KLOG_FO_PRIMARY_REGISTERED, OBS_ROLE_PRIMARY, "G-20");
}

const struct monitor_def mon_PAIR_002 = { .kinds = K_KLOG, .obs = pair002_obs };

static void pair003_obs(struct mon *m, const struct obs *o) /* IMP: PAIR-003 */
{
    one_slave(m, o, KLOG_FO_STANDBY_REGISTERED, OBS_ROLE_STANDBY, "G-20");
}

const struct monitor_def mon_PAIR_003 = { .kinds = K_KLOG, .obs = pair003_obs };

/* ---- PAIR-004: slaves under a registered master --------------------------------------- */

struct pair004 {
    bool any_master; /* the console showed a master registration */
};

static void pair004_obs(struct mon *m, const struct obs *o) /* IMP: PAIR-004 */
{
    struct pair004 *st = m->st;
    const struct obs_klog *k = &o->u.klog;
    if (k->kind == KLOG_FO_MASTER_REGISTERED) {
        st->any_master = true;
        return;
    }
    if (k->kind != KLOG_FO_STANDBY_REGISTERED && k->kind != KLOG_FO_STANDBY_UNREGISTERED &&
        k->kind != KLOG_FO_PRIMARY_REGISTERED && k->kind != KLOG_FO_PRIMARY_UNREGISTERED)
        return;
    const struct view_if *master = view_if(m->c, k->ifname2);
    if (master && master->role == OBS_ROLE_MASTER) {
        if (master->registered) {
            mon_pass(m);
        } else {
            mon_fail(m, o, "slave lines name a registered master; %s was unregistered (G-31)",
                     k->ifname2);
            mon_cite(m, &master->changed);
        }
    } else if (st->any_master) {
        mon_fail(m, o, "slave lines name a registered master; %s never registered as one "
                       "(G-13)", k->ifname2);
    }
}

const struct monitor_def mon_PAIR_004 = {
    .kinds = K_KLOG, .size = sizeof(struct pair004), .obs = pair004_obs,
};

/* ---- PAIR-005: slaves leave before the master ----------------------------------------- */

static void pair005_obs(struct mon *m, const struct obs *o) /* IMP: PAIR-005 */
{
    struct check *c = m->c;
    const struct obs_klog *k = &o->u.klog;
    if (k->kind != KLOG_FO_MASTER_UNREGISTERED)
        return;
    for (unsigned i = 0; i < c->view.nifs; i++) {
        const struct view_if *f = &c->view.ifs[i];
        if ((f->role == OBS_ROLE_PRIMARY || f->role == OBS_ROLE_STANDBY) && f->registered &&
            strcmp(f->master, k->ifname) == 0) {
            mon_fail(m, o,
                     "master %s unregisters after its slaves; %s slave %s is still registered "
                     "(G-09, G-35)",
                     k->ifname, obs_role_name(f->role), f->name);
            mon_cite(m, &f->changed);
            return;
        }
    }
    mon_pass(m);
}

const struct monitor_def mon_PAIR_005 = { .kinds = K_KLOG, .obs = pair005_obs };

/* ---- PAIR-006: a NIC with the standby's MAC becomes the primary -------------------------- */

/*
 * NICs whose driver printed a failover standby's MAC, not enslaved yet.  A
 * NIC is known by its PCI address (some drivers print the MAC before the
 * interface has a name: "iavf 0000:02:00.0: MAC address: ..."), its
 * interface name learnt from a later line of the same device.  It must be
 * enslaved within 1 s of its MAC line when a master is registered then, or
 * within 1 s of a master's registration (the master scans the existing
 * devices, G-13).
 */
struct pair006_nic {
    char dev[48];
    char ifname[16];
    uint8_t mac[6];
    struct ck_rec line;       /* its MAC line */
    bool watched;             /* a master is registered: the deadline runs */
    sim_time deadline;        /* guest uptime */
    sim_time deadline_t;      /* the same on the host clock */
    struct ck_rec master;     /* the master registration that started it, if later */
};

struct pair006 {
    struct pair006_nic nic[PAIR_MAX];
    unsigned n;
};

static bool master_registered(struct check *c)
{
    for (unsigned i = 0; i < c->view.nifs; i++)
        if (c->view.ifs[i].role == OBS_ROLE_MASTER && c->view.ifs[i].registered)
            return true;
    return false;
}

static void pair006_drop(struct pair006 *st, unsigned i)
{
    st->nic[i] = st->nic[--st->n];
}

static void pair006_judge(struct mon *m, struct pair006_nic *x)
{
    if (!x->ifname[0]) {
        mon_unsure(m, "the console never named the interface of the NIC at %s (with a "
                      "standby's MAC)", x->dev);
        return;
    }
    mon_fail_rec(m, &x->line,
                 "net_failover enslaves a NIC with a failover standby's MAC as primary: %s was "
                 "not registered within 1 s (G-13, G-17)",
                 x->ifname);
    if (x->master.valid)
        mon_cite(m, &x->master);
}

static bool pair006_nic_line(const struct obs *o, uint8_t mac[6])
{
    const struct obs_klog *k = &o->u.klog;
    if (ck_nic_mac(o, mac))
        return true;
    /* a MAC line before the interface has a name: "DRIVER 0000:bb:dd.f: ... MAC" */
    return k->driver[0] && strcmp(k->driver, "virtio_net") != 0 &&
           strcmp(k->driver, "pcieport") != 0 && strchr(k->dev, ':') && !k->ifname[0] &&
           ck_find_mac(k->text, mac);
}

static void pair006_obs(struct mon *m, const struct obs *o) /* IMP: PAIR-006 */
{
    struct pair006 *st = m->st;
    struct check *c = m->c;
    const struct obs_klog *k = &o->u.klog;
    sim_time now = uptime(o);
    const char *gone = ck_removal(o);
    for (unsigned i = 0; i < st->n;) {
        struct pair006_nic *x = &st->nic[i];
        if (!x->ifname[0] && k->ifname[0] && k->dev[0] && strcmp(k->dev, x->dev) == 0 &&
            strcmp(k->driver, "virtio_net") != 0) {
            sim_strlcpy(x->ifname, k->ifname, sizeof(x->ifname));
            const struct view_if *f = view_if(c, x->ifname);
            if (f && f->role == OBS_ROLE_PRIMARY && f->registered) {
                mon_pass(m); /* it was enslaved before its name was printed with it */
                pair006_drop(st, i);
                continue;
            }
        }
        if (x->ifname[0] && k->kind == KLOG_FO_PRIMARY_REGISTERED &&
            strcmp(k->ifname, x->ifname) == 0) {
            mon_pass(m);
            pair006_drop(st, i);
        } else if (x->ifname[0] && k->kind == KLOG_FO_PRIMARY_UNREGISTERED &&
                   strcmp(k->ifname, x->ifname) == 0) {
            pair006_drop(st, i); /* a primary slave leaving: not ours to judge */
        } else if (x->watched && now > x->deadline) {
            pair006_judge(m, x);
            pair006_drop(st, i);
        } else if ((gone && x->ifname[0] && strcmp(gone, x->ifname) == 0) ||
                   (k->kind == KLOG_NIC_REMOVE && k->dev[0] && strcmp(k->dev, x->dev) == 0)) {
            pair006_drop(st, i); /* removed before a master took it */
        } else {
            i++;
        }
    }
    if (k->kind == KLOG_FO_MASTER_REGISTERED) {
        for (unsigned i = 0; i < st->n; i++) {
            if (st->nic[i].watched ||
                !view_is_standby_mac(c, st->nic[i].line.host, st->nic[i].mac))
                continue;
            st->nic[i].watched = true;
            st->nic[i].deadline = now + CK_PROMPT;
            st->nic[i].deadline_t = o->t + CK_PROMPT;
            ck_keep(&st->nic[i].master, o);
        }
        return;
    }
    uint8_t mac[6];
    if (!pair006_nic_line(o, mac))
        return;
    /* a NIC with another MAC is kept too: its standby may be added later */
    bool standby_mac = view_is_standby_mac(c, o->host, mac);
    if (k->ifname[0]) {
        const struct view_if *f = view_if(c, k->ifname);
        if (f && f->role == OBS_ROLE_PRIMARY && f->registered) {
            if (standby_mac)
                mon_pass(m); /* registered just before (the usual order) */
            return;
        }
    }
    for (unsigned i = 0; i < st->n; i++)
        if ((k->dev[0] && strcmp(st->nic[i].dev, k->dev) == 0) ||
            (k->ifname[0] && strcmp(st->nic[i].ifname, k->ifname) == 0))
            return;
    if (st->n == PAIR_MAX)
        return;
    struct pair006_nic *x = &st->nic[st->n++];
    memset(x, 0, sizeof(*x));
    sim_strlcpy(x->dev, k->dev, sizeof(x->dev));
    sim_strlcpy(x->ifname, k->ifname, sizeof(x->ifname));
    memcpy(x->mac, mac, 6);
    ck_keep(&x->line, o);
    x->watched = standby_mac && master_registered(c);
    x->deadline = now + CK_PROMPT;
    x->deadline_t = o->t + CK_PROMPT;
}

static void pair006_end(struct mon *m)
{
    struct pair006 *st = m->st;
    for (unsigned i = 0; i < st->n; i++)
        if (st->nic[i].watched &&
            ck_covered_t(m->c, st->nic[i].line.host, SPEC_SRC_CONSOLE, st->nic[i].deadline_t, 0))
            pair006_judge(m, &st->nic[i]);
        else if (st->nic[i].watched)
            mon_unsure(m, "the console ends within 1 s of %s's MAC line or its master's "
                          "registration",
                       st->nic[i].ifname[0] ? st->nic[i].ifname : st->nic[i].dev);
}

const struct monitor_def mon_PAIR_006 = {
    .kinds = K_KLOG, .size = sizeof(struct pair006), .obs = pair006_obs, .end = pair006_end,
};

/* ---- PAIR-007: one master per virtio device ---------------------------------------------- */

struct pair007 {
    char dev[PAIR_MAX][48];    /* virtio devices with a registered master */
    char master[PAIR_MAX][16];
    struct ck_rec line[PAIR_MAX];
    unsigned n;
};

static void pair007_obs(struct mon *m, const struct obs *o) /* IMP: PAIR-007 */
{
    struct pair007 *st = m->st;
    struct check *c = m->c;
    const struct obs_klog *k = &o->u.klog;
    if (k->kind != KLOG_FO_MASTER_REGISTERED)
        return;
    for (unsigned i = 0; i < st->n; i++) {
        if (strcmp(st->dev[i], k->dev) != 0)
            continue;
        const struct view_if *prev = view_if(c, st->master[i]);
        if (prev && prev->registered) {
            mon_fail(m, o,
                     "a virtio device has one failover master; %s's master %s is still "
                     "registered (G-02)",
                     k->dev, st->master[i]);
            mon_cite(m, &st->line[i]);
        } else {
            mon_pass(m);
        }
        sim_strlcpy(st->master[i], k->ifname, sizeof(st->master[0]));
        ck_keep(&st->line[i], o);
        return;
    }
    mon_pass(m);
    if (st->n == PAIR_MAX)
        return;
    sim_strlcpy(st->dev[st->n], k->dev, sizeof(st->dev[0]));
    sim_strlcpy(st->master[st->n], k->ifname, sizeof(st->master[0]));
    ck_keep(&st->line[st->n], o);
    st->n++;
}

const struct monitor_def mon_PAIR_007 = {
    .kinds = K_KLOG, .size = sizeof(struct pair007), .obs = pair007_obs,
};

/* ---- PAIR-008: userspace leaves the slaves alone -------------------------------------- */

/*
 * The init's "fosim-guest: addr IF A/N" lines (knob address; the recorder's
 * fosim.addr) against the interfaces net_failover's lines show as slaves.
 * An address on an interface that is no slave is decided when the console
 * shows the interface removed (held) or enslaved (failed: the address stays
 * on it), else at the end (held).  Renames ("DRIVER DEV NEW: renamed from
 * OLD", dev_change_name) carry both sets to the new name.
 */
struct pair008 {
    char slave[PAIR_MAX][16];         /* registered failover slaves now */
    struct ck_rec slave_line[PAIR_MAX];
    unsigned nslaves;
    char addr[PAIR_MAX][16];          /* addressed interfaces, no slave so far */
    struct ck_rec addr_line[PAIR_MAX];
    unsigned naddrs;
};

static int pair008_find(char (*names)[16], unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return (int)i;
    return -1;
}

static void pair008_drop_slave(struct pair008 *st, int i)
{
    st->nslaves--;
    if ((unsigned)i != st->nslaves) {
        memcpy(st->slave[i], st->slave[st->nslaves], sizeof(st->slave[0]));
        st->slave_line[i] = st->slave_line[st->nslaves];
    }
}

static void pair008_drop_addr(struct pair008 *st, int i)
{
    st->naddrs--;
    if ((unsigned)i != st->naddrs) {
        memcpy(st->addr[i], st->addr[st->naddrs], sizeof(st->addr[0]));
        st->addr_line[i] = st->addr_line[st->naddrs];
    }
}

/* "PREFIX NEW: renamed from OLD[ (while UP)]": the two names, else false. */
static bool pair008_rename(const char *text, char newname[16], char oldname[16])
{
    const char *r = strstr(text, ": renamed from ");
    if (!r)
        return false;
    const char *b = r;
    while (b > text && b[-1] != ' ')
        b--;
    size_t n = (size_t)(r - b);
    const char *o = r + strlen(": renamed from ");
    size_t on = strcspn(o, " ");
    if (n == 0 || n >= 16 || on == 0 || on >= 16)
        return false;
    memcpy(newname, b, n);
    newname[n] = '\0';
    memcpy(oldname, o, on);
    oldname[on] = '\0';
    return true;
}

static void pair008_obs(struct mon *m, const struct obs *o) /* IMP: PAIR-008 */
{
    struct pair008 *st = m->st;
    const struct obs_klog *k = &o->u.klog;
    int i;
    switch (k->kind) {
    case KLOG_FO_STANDBY_REGISTERED:
    case KLOG_FO_PRIMARY_REGISTERED:
        if ((i = pair008_find(st->addr, st->naddrs, k->ifname)) >= 0) {
            mon_fail(m, o,
                     "userspace configures the master, not its slaves: %s got an address and "
                     "was then enslaved to %s with it (net_failover.rst; bug 8)",
                     k->ifname, k->ifname2);
            mon_cite(m, &st->addr_line[i]);
            pair008_drop_addr(st, i);
        }
        if (pair008_find(st->slave, st->nslaves, k->ifname) < 0 && st->nslaves < PAIR_MAX) {
            sim_strlcpy(st->slave[st->nslaves], k->ifname, sizeof(st->slave[0]));
            ck_keep(&st->slave_line[st->nslaves], o);
            st->nslaves++;
        }
        return;
    case KLOG_FO_STANDBY_UNREGISTERED:
    case KLOG_FO_PRIMARY_UNREGISTERED:
        if ((i = pair008_find(st->slave, st->nslaves, k->ifname)) >= 0)
            pair008_drop_slave(st, i);
        return;
    case KLOG_NIC_REMOVE:
        if (k->ifname[0] && (i = pair008_find(st->addr, st->naddrs, k->ifname)) >= 0) {
            mon_pass(m); /* it left without ever being a slave */
            pair008_drop_addr(st, i);
        }
        return;
    case KLOG_GUEST_ADDR:
        if (!k->ifname[0]) { /* a damaged line: which interface is not known */
            mon_unsure(m, "a \"fosim-guest: addr\" line that is not \"addr IF A.B.C.D/N\" "
                          "(cut short or damaged): %.80s",
                       k->text);
        } else if ((i = pair008_find(st->slave, st->nslaves, k->ifname)) >= 0) {
            mon_fail(m, o,
                     "userspace configures the master, not its slaves: %s is a failover slave "
                     "(net_failover.rst; bug 8)",
                     k->ifname);
            mon_cite(m, &st->slave_line[i]);
        } else if (pair008_find(st->addr, st->naddrs, k->ifname) >= 0) {
            /* a second address on it: one instance, the first line */
        } else if (st->naddrs == PAIR_MAX) {
            mon_unsure(m, "more than %d interfaces got addresses at once", PAIR_MAX);
        } else {
            sim_strlcpy(st->addr[st->naddrs], k->ifname, sizeof(st->addr[0]));
            ck_keep(&st->addr_line[st->naddrs], o);
            st->naddrs++;
        }
        return;
    default: {
        char newname[16], oldname[16];
        if (!pair008_rename(k->text, newname, oldname))
            return;
        if ((i = pair008_find(st->slave, st->nslaves, oldname)) >= 0)
            sim_strlcpy(st->slave[i], newname, sizeof(st->slave[0]));
        if ((i = pair008_find(st->addr, st->naddrs, oldname)) >= 0)
            sim_strlcpy(st->addr[i], newname, sizeof(st->addr[0]));
        return;
    }
    }
}

static void pair008_end(struct mon *m)
{
    struct pair008 *st = m->st;
    for (unsigned i = 0; i < st->naddrs; i++)
        mon_pass(m); /* never a slave while the console ran */
    if (m->npass + m->nfail + m->nunsure == 0)
        mon_na(m, "no \"fosim-guest: addr\" line: the userspace's addresses are not on the "
                  "console");
}

const struct monitor_def mon_PAIR_008 = {
    .kinds = K_KLOG, .size = sizeof(struct pair008), .obs = pair008_obs, .end = pair008_end,
};
