/*
 * Monitors of area SLOT: the hotplug slot as the guest console shows it --
 * pciehp's attention-button state machine (5 s blink, cancel by a second
 * press, removal when the blink ends), the plug batch QEMU raises, and how
 * QEMU's unplug request reaches the guest with native and ACPI hotplug.
 *
 * Times between console lines use the guest's uptime (its own clock: the
 * blink timer runs on it, it stops while the VM is paused and continues on
 * the destination).  A removal is attributed to its slot through the
 * "PCI bridge to [bus N]" lines (port -> bus) and the NIC lines (interface
 * -> bus); without them, to the earliest blinking slot.
 */
#include <stdio.h>
#include <string.h>

#include "monitor.h"

#define SLOT_MAX 16

struct slot {
    char name[16];          /* "0-1" */
    char port[48];          /* "0000:00:02.0" */
    bool off;               /* blinking towards power-off */
    bool on;                /* blinking towards power-on (not enabled yet) */
    sim_time up;            /* uptime of the press that started the blink */
    struct ck_rec press;    /* its "Powering on/off due to button press" line */
    bool cancelled_off;     /* a power-off was cancelled: nothing may be removed */
    struct ck_rec await;    /* a press during the blink, waiting for the cancel */
    bool on_press;          /* the latest press was a power-on press */
    bool judged;            /* SLOT-007 decided (or is deciding) on it */
};

struct slots {
    struct slot s[SLOT_MAX];
    unsigned n;
    struct {
        char port[48];
        int bus;
    } br[SLOT_MAX];         /* port -> secondary bus */
    unsigned nbr;
    struct {
        char ifname[16];
        int bus;
    } nic[SLOT_MAX];        /* NIC interface -> bus */
    unsigned nnic;
};

static sim_time uptime(const struct obs *o)
{
    return o->u.klog.uptime != SIM_TIME_NONE ? o->u.klog.uptime : o->t;
}

/* Bus number of a PCI address "0000:02:00.0", or -1. */
static int bus_of(const char *addr)
{
    unsigned dom, bus, dev, fn;
    if (sscanf(addr, "%8x:%8x:%8x.%8x", &dom, &bus, &dev, &fn) != 4)
        return -1;
    return (int)bus;
}

static struct slot *slot_get(struct slots *t, const struct obs_klog *k)
{
    for (unsigned i = 0; i < t->n; i++)
        if (strcmp(t->s[i].name, k->slot) == 0 && strcmp(t->s[i].port, k->dev) == 0)
            return &t->s[i];
    if (t->n == SLOT_MAX || !k->slot[0])
        return NULL;
    struct slot *s = &t->s[t->n++];
    memset(s, 0, sizeof(*s));
    sim_strlcpy(s->name, k->slot, sizeof(s->name));
    sim_strlcpy(s->port, k->dev, sizeof(s->port));
    return s;
}

/* Learn the bridge and NIC maps from a console line. */
static void slots_learn(struct slots *t, const struct obs_klog *k)
{
    const char *p = k->text ? strstr(k->text, "PCI bridge to [bus ") : NULL;
    if (p) {
        unsigned bus;
        if (sscanf(p, "PCI bridge to [bus %8x", &bus) != 1)
            return;
        for (unsigned i = 0; i < t->nbr; i++)
            if (strcmp(t->br[i].port, k->dev) == 0) {
                t->br[i].bus = (int)bus;
                return;
            }
        if (t->nbr < SLOT_MAX) {
            sim_strlcpy(t->br[t->nbr].port, k->dev, sizeof(t->br[0].port));
            t->br[t->nbr++].bus = (int)bus;
        }
        return;
    }
    int bus = bus_of(k->dev);
    if (bus < 0 || !k->ifname[0] || strchr(k->ifname, ':'))
        return;
    for (unsigned i = 0; i < t->nnic; i++)
        if (strcmp(t->nic[i].ifname, k->ifname) == 0) {
            t->nic[i].bus = bus;
            return;
        }
    if (t->nnic < SLOT_MAX) {
        sim_strlcpy(t->nic[t->nnic].ifname, k->ifname, sizeof(t->nic[0].ifname));
        t->nic[t->nnic++].bus = bus;
    }
}

/* The slot a removal line belongs to, if the maps tell; else NULL. */
static struct slot *removal_slot(struct slots *t, const struct obs_klog *k)
{
    int bus = k->kind == KLOG_NIC_REMOVE ? bus_of(k->dev) : -1;
    for (unsigned i = 0; bus < 0 && i < t->nnic; i++)
        if (strcmp(t->nic[i].ifname, k->ifname) == 0)
            bus = t->nic[i].bus;
    if (bus < 0)
        return NULL;
    for (unsigned i = 0; i < t->nbr; i++) {
        if (t->br[i].bus != bus)
            continue;
        for (unsigned j = 0; j < t->n; j++)
            if (strcmp(t->s[j].port, t->br[i].port) == 0)
                return &t->s[j];
    }
    return NULL;
}

/* The earliest slot blinking towards power-off. */
static struct slot *earliest_off(struct slots *t)
{
    struct slot *best = NULL;
    for (unsigned i = 0; i < t->n; i++)
        if (t->s[i].off && (!best || t->s[i].up < best->up))
            best = &t->s[i];
    return best;
}

static bool is_removal(const struct obs_klog *k)
{
    return k->kind == KLOG_NIC_REMOVE || k->kind == KLOG_FO_PRIMARY_UNREGISTERED;
}

/* The blinking-off slot a removal ends the blink of, or NULL. */
static struct slot *removal_ends(struct slots *t, const struct obs_klog *k)
{
    struct slot *s = removal_slot(t, k);
    if (!s || !s->off)
        s = earliest_off(t);
    return s && s->off ? s : NULL;
}

/* Track blinking state; returns the slot of a pciehp line (or NULL). */
static struct slot *slots_track(struct slots *t, const struct obs *o)
{
    const struct obs_klog *k = &o->u.klog;
    slots_learn(t, k);
    if (k->kind < KLOG_PCIEHP_SLOT_INIT || k->kind > KLOG_PCIEHP_OTHER || !k->slot[0])
        return NULL;
    struct slot *s = slot_get(t, k);
    if (!s)
        return NULL;
    switch (k->kind) {
    case KLOG_PCIEHP_POWER_OFF_BUTTON:
    case KLOG_PCIEHP_POWER_ON_BUTTON:
        s->off = k->kind == KLOG_PCIEHP_POWER_OFF_BUTTON;
        s->on = !s->off;
        s->up = uptime(o);
        ck_keep(&s->press, o);
        s->on_press = s->on;
        s->judged = false;
        break;
    case KLOG_PCIEHP_CARD_PRESENT:
    case KLOG_PCIEHP_LINK_UP:
        s->on = false;
        break;
    case KLOG_PCIEHP_BUTTON_CANCEL:
    case KLOG_PCIEHP_ACTION_CANCELED:
    case KLOG_PCIEHP_CARD_NOT_PRESENT:
    case KLOG_PCIEHP_LINK_DOWN:
        s->on = s->off = false; /* cancelled, or a surprise removal (G-69) */
        break;
    default:
        break;
    }
    return s;
}

/* ---- SLOT-008: removal no earlier than 5 s after the press ---------------------------- */

static void slot008_obs(struct mon *m, const struct obs *o) /* IMP: SLOT-008 */
{
    struct slots *t = m->st;
    const struct obs_klog *k = &o->u.klog;
    slots_track(t, o);
    if (!is_removal(k))
        return;
    struct slot *s = removal_ends(t, k);
    if (!s)
        return;
    sim_time dt = uptime(o) - s->up;
    if (dt < CK_BLINK) {
        mon_fail(m, o,
                 "the slot blinks 5 s before it powers off: Slot(%s) removed its device %.3f s "
                 "after the press (G-64, G-67)",
                 s->name, (double)dt / 1e9);
        mon_cite(m, &s->press);
    } else {
        mon_pass(m);
    }
    s->off = false;
}

const struct monitor_def mon_SLOT_008 = {
    .kinds = K_KLOG, .size = sizeof(struct slots), .obs = slot008_obs,
};

/* ---- SLOT-002: a second press cancels ----------------------------------------------------- */

static void slot002_obs(struct mon *m, const struct obs *o) /* IMP: SLOT-002 */
{
    struct slots *t = m->st;
    const struct obs_klog *k = &o->u.klog;
    if (is_removal(k)) {
        slots_learn(t, k);
        struct slot *s = removal_slot(t, k);
        if (!s) { /* unattributed: any slot that should not remove anything */
            for (unsigned i = 0; i < t->n && !s; i++)
                if (t->s[i].cancelled_off || t->s[i].await.valid)
                    s = &t->s[i];
            for (unsigned i = 0; i < t->n; i++)
                if (t->s[i].off)
                    s = NULL; /* a blinking slot may own it */
        }
        if (s && (s->cancelled_off || s->await.valid)) {
            mon_fail(m, o,
                     "a second button press within the blink cancels the power-off of "
                     "Slot(%s): nothing is removed (G-65)",
                     s->name);
            mon_cite(m, s->await.valid ? &s->await : &s->press);
            s->cancelled_off = false;
            s->await.valid = false;
        }
        struct slot *b = removal_ends(t, k);
        if (b)
            b->off = false;
        return;
    }
    if (k->kind < KLOG_PCIEHP_SLOT_INIT || k->kind > KLOG_PCIEHP_OTHER || !k->slot[0])
        return;
    struct slot *s = slot_get(t, k);
    if (!s)
        return;
    if (s->await.valid) {
        if (k->kind == KLOG_PCIEHP_BUTTON_CANCEL || k->kind == KLOG_PCIEHP_ACTION_CANCELED) {
            mon_pass(m);
            s->cancelled_off = s->off;
            s->await.valid = false;
        } else {
            mon_fail(m, o,
                     "a button press while Slot(%s) blinks cancels the pending action "
                     "(\"Button cancel\", G-65)",
                     s->name);
            mon_cite(m, &s->await);
            s->await.valid = false;
        }
        slots_track(t, o);
        return;
    }
    if (k->kind == KLOG_PCIEHP_BUTTON) {
        s->cancelled_off = false;
        if ((s->on || s->off) && uptime(o) - s->up < CK_BLINK)
            ck_keep(&s->await, o);
    }
    slots_track(t, o);
}

static void slot002_end(struct mon *m)
{
    struct slots *t = m->st;
    for (unsigned i = 0; i < t->n; i++) {
        if (!t->s[i].await.valid)
            continue;
        if (!ck_covered(m->c, t->s[i].await.host, SPEC_SRC_CONSOLE, &t->s[i].await, 0))
            mon_unsure(m, "the console ends right after a second press on Slot(%s)",
                       t->s[i].name);
        else
            mon_fail_rec(m, &t->s[i].await,
                         "a button press while Slot(%s) blinks cancels the pending action; "
                         "no \"Button cancel\" followed",
                         t->s[i].name);
    }
}

const struct monitor_def mon_SLOT_002 = {
    .kinds = K_KLOG, .size = sizeof(struct slots), .obs = slot002_obs, .end = slot002_end,
};

/* ---- SLOT-009 / SLOT-010: QEMU's unplug request reaches the guest --------------------------- */

#define REQ_MAX 8

struct reqs {
    struct ck_rec req[REQ_MAX];   /* UNPLUG_PRIMARY events waiting for the guest */
    bool stopped[REQ_MAX];        /* the VM was stopped at the request */
    sim_time deadline[REQ_MAX];   /* SIM_TIME_NONE while the VM stays stopped */
    unsigned n;
    struct ck_rec last;           /* the latest answer no request was waiting for */
};

static void reqs_pop(struct reqs *st)
{
    st->n--;
    memmove(&st->req[0], &st->req[1], st->n * sizeof(st->req[0]));
    memmove(&st->stopped[0], &st->stopped[1], st->n * sizeof(st->stopped[0]));
    memmove(&st->deadline[0], &st->deadline[1], st->n * sizeof(st->deadline[0]));
}

/* Shared body: `answer` tells whether a console line answers a request,
 * `wrong` whether it shows the other mechanism. */
static void reqs_obs(struct mon *m, const struct obs *o, enum check_hotplug mech,
                     bool (*answer)(const struct obs_klog *k),
                     bool (*wrong)(const struct obs_klog *k), const char *what)
{
    struct reqs *st = m->st;
    struct check *c = m->c;
    if (c->ctx.host[OBS_SOURCE].hotplug != mech || o->host != OBS_SOURCE)
        return;
    if (ck_is_event(o, "UNPLUG_PRIMARY") && st->n < REQ_MAX) {
        struct ck_rec r;
        ck_keep(&r, o);
        if (st->last.valid && ck_order(c, &st->last, &r) == 0) {
            /* answered in the same instant: a merge may put either first */
            mon_unsure(m, "the guest's reaction and UNPLUG_PRIMARY cannot be ordered (clock "
                          "alignment)");
            st->last.valid = false;
            return;
        }
        ck_keep(&st->req[st->n], o);
        st->stopped[st->n] = !c->view.host[OBS_SOURCE].running;
        st->deadline[st->n] = st->stopped[st->n] ? SIM_TIME_NONE : o->t + CK_PLUG;
        st->n++;
        return;
    }
    if (ck_is_event(o, "RESUME")) {
        for (unsigned i = 0; i < st->n; i++)
            if (st->deadline[i] == SIM_TIME_NONE)
                st->deadline[i] = o->t + CK_PLUG;
        return;
    }
    if (st->n && st->deadline[0] != SIM_TIME_NONE) {
        if (ck_covered_t(c, OBS_SOURCE, SPEC_SRC_CONSOLE, st->deadline[0], ck_tol(c, &st->req[0]))) {
            mon_fail_rec(m, &st->req[0], "%s within 30 s of running time after QEMU's "
                                         "unplug request; none came", what);
            reqs_pop(st);
        }
    }
    if (o->kind != OBS_KLOG)
        return;
    const struct obs_klog *k = &o->u.klog;
    if (st->n == 0) {
        if (answer(k))
            ck_keep(&st->last, o);
        return;
    }
    if (wrong && wrong(k)) {
        mon_fail(m, o, "%s: the host uses %s hotplug", what,
                 mech == CHECK_HOTPLUG_ACPI ? "ACPI" : "native");
        mon_cite(m, &st->req[0]);
        reqs_pop(st);
        return;
    }
    if (!answer(k))
        return;
    struct ck_rec line;
    ck_keep(&line, o);
    int ord = ck_order(c, &st->req[0], &line);
    if (ord > 0) {
        st->last = line; /* the line came before the request */
        return;
    }
    if (ord == 0)
        mon_unsure(m, "the guest's reaction and UNPLUG_PRIMARY cannot be ordered (clock "
                      "alignment)");
    else
        mon_pass(m);
    reqs_pop(st);
}

static void reqs_end(struct mon *m, enum check_hotplug mech)
{
    struct reqs *st = m->st;
    if (m->c->ctx.host[OBS_SOURCE].hotplug != mech) {
        mon_na(m, "the source host's hotplug mechanism is %s",
               m->c->ctx.host[OBS_SOURCE].hotplug == CHECK_HOTPLUG_UNKNOWN ? "not known"
               : mech == CHECK_HOTPLUG_NATIVE                              ? "ACPI"
                                                                           : "native");
        return;
    }
    for (unsigned i = 0; i < st->n; i++) {
        if (st->deadline[i] != SIM_TIME_NONE &&
            ck_covered_t(m->c, OBS_SOURCE, SPEC_SRC_CONSOLE, st->deadline[i],
                         ck_tol(m->c, &st->req[i])))
            mon_fail_rec(m, &st->req[i], "the guest reacts within 30 s of running time after "
                                         "QEMU's unplug request; it did not");
        else
            mon_unsure(m, "the trace ends before the guest reacted to an unplug request");
    }
}

static bool press(const struct obs_klog *k)
{
    return k->kind == KLOG_PCIEHP_BUTTON;
}

static bool removal_line(const struct obs_klog *k)
{
    return is_removal(k);
}

static bool pciehp_line(const struct obs_klog *k)
{
    return k->kind >= KLOG_PCIEHP_BUTTON && k->kind <= KLOG_PCIEHP_POWER_FAULT;
}

static void slot009_obs(struct mon *m, const struct obs *o) /* IMP: SLOT-009 */
{
    reqs_obs(m, o, CHECK_HOTPLUG_NATIVE, press, NULL,
             "the guest logs an attention button press");
}

static void slot009_end(struct mon *m)
{
    reqs_end(m, CHECK_HOTPLUG_NATIVE);
}

const struct monitor_def mon_SLOT_009 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct reqs), .obs = slot009_obs,
    .end = slot009_end,
};

static void slot010_obs(struct mon *m, const struct obs *o) /* IMP: SLOT-010 */
{
    reqs_obs(m, o, CHECK_HOTPLUG_ACPI, removal_line, pciehp_line,
             "the guest removes the primary at once (ACPI eject)");
}

static void slot010_end(struct mon *m)
{
    reqs_end(m, CHECK_HOTPLUG_ACPI);
}

const struct monitor_def mon_SLOT_010 = {
    .kinds = K_QMP | K_KLOG, .size = sizeof(struct reqs), .obs = slot010_obs,
    .end = slot010_end,
};

/* ---- SLOT-004: the guest uses the host's hotplug mechanism --------------------------- */

struct slot004 {
    unsigned pciehp_init, pciehp_any, acpiphp_slot;
    struct ck_rec first_pciehp, first_acpiphp;
};

static void slot004_obs(struct mon *m, const struct obs *o)
{
    struct slot004 *st = m->st;
    if (o->host != OBS_SOURCE)
        return;
    enum klog_kind k = o->u.klog.kind;
    if (k >= KLOG_PCIEHP_SLOT_INIT && k <= KLOG_PCIEHP_OTHER) {
        st->pciehp_any++;
        st->pciehp_init += k == KLOG_PCIEHP_SLOT_INIT;
        if (!st->first_pciehp.valid)
            ck_keep(&st->first_pciehp, o);
    } else if (k == KLOG_ACPIPHP_SLOT_REGISTERED) {
        st->acpiphp_slot++;
        if (!st->first_acpiphp.valid)
            ck_keep(&st->first_acpiphp, o);
    }
}

static void slot004_end(struct mon *m) /* IMP: SLOT-004 */
{
    struct slot004 *st = m->st;
    enum check_hotplug mech = m->c->ctx.host[OBS_SOURCE].hotplug;
    if (mech == CHECK_HOTPLUG_UNKNOWN) {
        mon_na(m, "the source host's hotplug mechanism is not known");
        return;
    }
    if (st->pciehp_init + st->acpiphp_slot == 0) {
        mon_na(m, "the source console shows no hotplug slot lines (boot not recorded)");
        return;
    }
    if (mech == CHECK_HOTPLUG_NATIVE) {
        if (st->pciehp_init && !st->acpiphp_slot)
            mon_pass(m);
        else if (st->acpiphp_slot)
            mon_fail_rec(m, &st->first_acpiphp,
                         "with native PCIe hotplug pciehp binds the slots, not acpiphp");
        else
            mon_fail_rec(m, &st->first_pciehp,
                         "with native PCIe hotplug pciehp announces its slots (\"pciehp: "
                         "Slot #N ...\")");
    } else {
        if (st->acpiphp_slot && !st->pciehp_any)
            mon_pass(m);
        else if (st->pciehp_any)
            mon_fail_rec(m, &st->first_pciehp,
                         "with ACPI PCI hotplug acpiphp drives the slots and pciehp stays "
                         "silent");
        else
            mon_fail_rec(m, &st->first_acpiphp,
                         "with ACPI PCI hotplug acpiphp registers the slots");
    }
}

const struct monitor_def mon_SLOT_004 = {
    .kinds = K_KLOG, .size = sizeof(struct slot004), .obs = slot004_obs, .end = slot004_end,
};

/* ---- SLOT-005: a blinking-off slot removes its devices in time ---------------------------- */

static void slot005_obs(struct mon *m, const struct obs *o) /* IMP: SLOT-005 */
{
    struct slots *t = m->st;
    const struct obs_klog *k = &o->u.klog;
    sim_time now = uptime(o);
    for (unsigned i = 0; i < t->n; i++) {
        struct slot *s = &t->s[i];
        if (s->off && now - s->up > CK_BLINK_MAX) {
            mon_fail_rec(m, &s->press,
                         "Slot(%s) removes its devices when the 5 s blink ends (within 8 s of "
                         "the press); nothing was removed (G-67, G-68)",
                         s->name);
            s->off = false;
        }
    }
    struct slot *ps = slots_track(t, o);
    if (ps && k->kind == KLOG_PCIEHP_BUTTON_CANCEL)
        ps->off = false;
    if (!is_removal(k))
        return;
    struct slot *s = removal_ends(t, k);
    if (s) {
        mon_pass(m);
        s->off = false;
    }
}

static void slot005_end(struct mon *m)
{
    struct slots *t = m->st;
    for (unsigned i = 0; i < t->n; i++)
        if (t->s[i].off)
            mon_unsure(m, "the console ends while Slot(%s) blinks towards power-off",
                       t->s[i].name);
}

const struct monitor_def mon_SLOT_005 = {
    .kinds = K_KLOG, .size = sizeof(struct slots), .obs = slot005_obs, .end = slot005_end,
};

/* ---- SLOT-007: a QEMU plug enables the slot at once --------------------------------------- */

struct slot007 {
    struct slots t;
    struct ck_rec trigger[OBS_NHOSTS]; /* the latest plug trigger of each host */
    bool unplugged[OBS_NHOSTS];        /* an UNPLUG_PRIMARY in the running migration */
};

/* QMP records after which QEMU plugs a device into a native port. */
static void slot007_judge(struct mon *m, struct slot *s)
{
    s->judged = true;
    if (s->on) {
        s->await = s->press; /* waits for Card present */
    } else {
        mon_pass(m);
        s->await.valid = false;
    }
}

/* A trigger in the same instant as a power-on press already seen: either
 * may come first in a merge, so the press is judged all the same. */
static void slot007_late_trigger(struct mon *m, struct slots *t, const struct ck_rec *tr)
{
    for (unsigned i = 0; i < t->n; i++) {
        struct slot *s = &t->s[i];
        if (s->on_press && !s->judged && s->press.host == tr->host &&
            ck_order(m->c, &s->press, tr) == 0)
            slot007_judge(m, s);
    }
}

static void slot007_qmp(struct slot007 *st, struct check *c, const struct obs *o)
{
    enum obs_host h = o->host;
    const char *s = ck_migration(o);
    if (ck_is_event(o, "FAILOVER_NEGOTIATED") ||
        (ck_is_reply_to(c, o, "device_add") && !o->u.qmp.is_error)) {
        ck_keep(&st->trigger[h], o);
    } else if (ck_is_event(o, "UNPLUG_PRIMARY")) {
        st->unplugged[h] = true;
    } else if (s && strcmp(s, "setup") == 0) {
        st->unplugged[h] = false;
    } else if (s && (strcmp(s, "cancelled") == 0 || strcmp(s, "failed") == 0) &&
               st->unplugged[h]) {
        ck_keep(&st->trigger[h], o); /* the replug (H-47) */
        st->unplugged[h] = false;
    }
}

static void slot007_obs(struct mon *m, const struct obs *o) /* IMP: SLOT-007 */
{
    struct slot007 *st = m->st;
    struct slots *t = &st->t;
    struct check *c = m->c;
    if (o->kind != OBS_KLOG) {
        struct ck_rec before = st->trigger[o->host];
        slot007_qmp(st, c, o);
        if (st->trigger[o->host].valid && st->trigger[o->host].seq != before.seq)
            slot007_late_trigger(m, t, &st->trigger[o->host]);
        return;
    }
    const struct obs_klog *k = &o->u.klog;
    sim_time now = uptime(o);
    for (unsigned i = 0; i < t->n; i++) {
        struct slot *s = &t->s[i];
        if (s->on && s->await.valid && now - s->up > CK_PROMPT) {
            mon_fail_rec(m, &s->press,
                         "a QEMU plug enables Slot(%s) at once: \"Card present\" within 1 s of "
                         "\"Powering on due to button press\" (presence and button together)",
                         s->name);
            s->on = false;
            s->await.valid = false;
        }
    }
    bool judged = false;
    for (unsigned i = 0; i < t->n; i++)
        if (strcmp(t->s[i].name, k->slot) == 0 && strcmp(t->s[i].port, k->dev) == 0)
            judged = t->s[i].on && t->s[i].await.valid;
    struct slot *s = slots_track(t, o);
    if (!s)
        return;
    if (judged && (k->kind == KLOG_PCIEHP_CARD_PRESENT || k->kind == KLOG_PCIEHP_LINK_UP)) {
        mon_pass(m);
        s->await.valid = false;
    } else if (k->kind == KLOG_PCIEHP_POWER_ON_BUTTON) {
        /* Judge it only as the answer to a plug QEMU just made on this host. */
        const struct ck_rec *tr = &st->trigger[o->host];
        struct ck_rec line;
        ck_keep(&line, o);
        s->await.valid = false;
        if (tr->valid && line.t - tr->t <= SIM_S(2) + ck_tol(c, &line) + ck_tol(c, tr) &&
            line.t - tr->t >= -(ck_tol(c, &line) + ck_tol(c, tr)))
            slot007_judge(m, s);
    } else if (!s->on) {
        s->await.valid = false;
    }
}

static void slot007_end(struct mon *m)
{
    struct slot007 *st = m->st;
    for (unsigned i = 0; i < st->t.n; i++)
        if (st->t.s[i].on && st->t.s[i].await.valid)
            mon_unsure(m, "the console ends within 1 s of Slot(%s) powering on", st->t.s[i].name);
}

const struct monitor_def mon_SLOT_007 = {
    .kinds = K_KLOG | K_QMP, .size = sizeof(struct slot007), .obs = slot007_obs,
    .end = slot007_end,
};
