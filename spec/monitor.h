/*
 * The monitor framework (private to spec/): what a monitor is, the engine
 * state monitors may read, and the helpers they decide with.
 *
 * A monitor is a small state machine over the observation stream, one per
 * catalog assertion (spec/assertions.def), defined in spec/mon_AREA.c as
 * `const struct monitor_def mon_SYM`.  The engine gives every record first
 * to the shared view (spec/view.h: migration status, negotiated standbys,
 * the command a reply answers, the guest's interfaces), then to each
 * monitor; the view a monitor reads is the state *before* the record, plus
 * `c->cmd` for a reply.  Monitors count instances of their situation with
 * mon_pass/mon_fail/mon_unsure; the engine turns the counts into a verdict.
 */
#ifndef FOSIM_MONITOR_H
#define FOSIM_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "sim/err.h"
#include "view.h"

struct mon;

struct monitor_def {
    unsigned kinds;                            /* bit set of 1u << OBS_* it reads */
    size_t size;                               /* bytes of state (zeroed) */
    void (*init)(struct mon *m);               /* optional */
    void (*obs)(struct mon *m, const struct obs *o);
    void (*end)(struct mon *m);                /* optional: the input is over */
};

struct mon {
    const struct monitor_def *def;
    struct check *c;
    const struct spec_entry *a;
    void *st;                /* the monitor's state */
    bool active;             /* false: its sources were not given (N/A) */
    struct check_result *res;
    unsigned npass, nfail, nunsure;
    char unsure_why[240];    /* first reason an instance was left undecided */
    char na_why[240];        /* a monitor's own reason for N/A, if it sets one */
};

struct check {
    struct check_ctx ctx;
    struct view view;
    struct mon *mons;        /* SPEC_NIDS */
    struct mon **bykind[OBS_NKINDS]; /* active monitors reading each kind */
    unsigned nbykind[OBS_NKINDS];
    struct check_result *results;
    const struct obs *cur;   /* the record being dispatched */
    const struct view_cmd *cmd; /* for a QMP reply: the command it answers */
    bool truncated;
    char truncated_why[240];
    bool finished;
    sim_time t_first, t_last;/* times of the first and last record */
    sim_time last[OBS_NHOSTS][SPEC_NSOURCES]; /* latest time seen per source */
    uint64_t nrecs;
};

extern const struct monitor_def *const monitor_table[SPEC_NIDS];

/* ---- Bounds (doc/catalog.md lists them) ---------------------------------------- */

#define CK_PROMPT SIM_S(1)      /* "at once": a reaction within 1 s */
#define CK_PLUG SIM_S(30)       /* a plug or re-registration within 30 s */
#define CK_POLL SIM_MS(250)     /* QEMU's wait-unplug poll */
#define CK_BLINK SIM_S(5)       /* pciehp's attention-button blink */
#define CK_BLINK_MAX SIM_S(8)   /* blink plus the removal itself */
#define CK_GRACE SIM_S(30)      /* QEMU's cancel grace, 120 x 250 ms */
#define CK_SETTLE SIM_MS(10)    /* a readiness change settles in the datapath */

/* ---- QMP and console helpers ------------------------------------------------------- */

/* A query-pci reply (by its command, else by its shape). */
bool ck_is_qpci(const struct check *c, const struct obs *o);
/* Does a query-pci reply list a device with this qdev_id? */
bool ck_qpci_lists(const struct obs *o, const char *qdev_id);
/* A migration status in which the migration runs (not none or ended). */
bool ck_mig_running(const char *status);
/* A NIC driver console line that reports a MAC address (and the MAC). */
bool ck_nic_mac(const struct obs *o, uint8_t mac[6]);
/* The primary device of host o->host that this console line shows
 * appearing in the guest (its MAC printed by the NIC driver, or a primary
 * slave registered when the host has one primary), or NULL. */
struct view_dev *ck_primary_appears(struct check *c, const struct obs *o);
/* A console line showing a NIC or a primary slave going away: the
 * interface name, else NULL. */
const char *ck_removal(const struct obs *o);
/* Is device d hidden from the guest at this moment (a primary QEMU hides
 * whose standby has not negotiated on host h)? */
bool ck_hidden(struct check *c, enum obs_host h, const struct view_dev *d);

/* Kinds of records, for monitor_def.kinds. */
#define K_QMP                                                                 \
    ((1u << OBS_QMP_GREETING) | (1u << OBS_QMP_COMMAND) | (1u << OBS_QMP_REPLY) |    \
     (1u << OBS_QMP_EVENT))
#define K_KLOG (1u << OBS_KLOG)
#define K_HOSTLOG (1u << OBS_HOSTLOG)
#define K_FRAME (1u << OBS_FRAME)

/* ---- Deciding ---------------------------------------------------------------- */

/* One instance of the situation held. */
void mon_pass(struct mon *m);

/* One instance was violated.  `o` (may be NULL) is the violating record and
 * is cited first; `required` says what should have happened.  Further
 * records can be cited with mon_cite before or after. */
void mon_fail(struct mon *m, const struct obs *o, const char *required, ...)
    __attribute__((format(printf, 3, 4)));
void mon_fail_rec(struct mon *m, const struct ck_rec *r, const char *required, ...)
    __attribute__((format(printf, 3, 4)));

/* Cite a kept record as evidence of the last failure (or of the next). */
void mon_cite(struct mon *m, const struct ck_rec *r);

/* One instance could not be decided from these sources. */
void mon_unsure(struct mon *m, const char *why, ...) __attribute__((format(printf, 2, 3)));

/* The monitor decides N/A for a reason of its own (when it never counted an
 * instance), e.g. "no migration in the trace". */
void mon_na(struct mon *m, const char *why, ...) __attribute__((format(printf, 2, 3)));

/* ---- Records and order -------------------------------------------------------- */

void ck_keep(struct ck_rec *r, const struct obs *o);
enum spec_source ck_src(const struct obs *o);

/* The alignment error of a kept record, or of a live one. */
sim_time ck_tol(const struct check *c, const struct ck_rec *r);

/* Order of two records: -1 a was before b, 1 a was after b, 0 they cannot be
 * ordered (different files within the alignment tolerance: equal
 * microseconds included).  Records of one file are ordered by position. */
int ck_order(const struct check *c, const struct ck_rec *a, const struct ck_rec *b);

/* The same against the record being dispatched (kept on the fly). */
int ck_order_cur(const struct check *c, const struct ck_rec *a);

/* Has source s of host h gone on beyond `d` after record a (beyond the
 * alignment tolerances)?  Then what that source would have shown by
 * a->t + d certainly did not happen by then.  When it has not, the source
 * ended (or has not got there yet) and the absence proves nothing. */
bool ck_covered(const struct check *c, enum obs_host h, enum spec_source s, const struct ck_rec *a,
                sim_time d);
/* The same for an absolute instant t with an extra tolerance. */
bool ck_covered_t(const struct check *c, enum obs_host h, enum spec_source s, sim_time t,
                  sim_time tol);
/* Has any capture (host or guest pcap, either host) gone on beyond t? */
bool ck_frames_covered(const struct check *c, sim_time t);

/* Make an evidence note for something that is missing: it names the host,
 * the kind of source and its file (from `like` if valid, else none). */
void ck_note(struct ck_rec *r, const struct ck_rec *like, enum obs_host h, enum spec_source src,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Is a source given for a host (per the context)? */
bool ck_has(const struct check *c, enum obs_host h, enum spec_source s);

/* ---- Small helpers ------------------------------------------------------------- */

bool ck_is_event(const struct obs *o, const char *name);
bool ck_is_command(const struct obs *o, const char *name);
/* A MIGRATION event: its status, else NULL. */
const char *ck_migration(const struct obs *o);
/* A reply to command `name` (per the view's command matching). */
bool ck_is_reply_to(const struct check *c, const struct obs *o, const char *name);

/* Guest console record of a given kind. */
static inline bool ck_klog(const struct obs *o, enum klog_kind k)
{
    return o->kind == OBS_KLOG && o->u.klog.kind == k;
}

/* Parse "52:54:00:11:11:11" anywhere in text (the last such token). */
bool ck_find_mac(const char *text, uint8_t mac[6]);
void ck_mac_str(char *buf, size_t n, const uint8_t mac[6]);

#endif
