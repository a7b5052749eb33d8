/*
 * The shared view (private to spec/): facts every monitor would otherwise
 * derive again from the stream, kept once by the engine.
 *
 * Per host: the migration status of the latest MIGRATION event, whether the
 * VM runs (STOP/RESUME), the QMP session (capabilities, the `events`
 * migration capability, commands waiting for their reply), and the devices
 * (the context's plus those device_add created) with the standbys that
 * negotiated STANDBY on that host.  For the guest (one OS, whichever host it
 * runs on): its interfaces as the console names them, with MAC, failover
 * role, master and link state.
 *
 * The engine updates the view in two steps around the monitors: view_pre
 * finds the command a reply answers, view_post applies the record.  So a
 * monitor always reads the state before the record it is looking at.
 * Everything is bounded: the view never grows with the trace.
 */
#ifndef FOSIM_VIEW_H
#define FOSIM_VIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "check.h"

#define VIEW_MAX_DEVS 48
_Static_assert(VIEW_MAX_DEVS <= 64, "device sets are 64-bit masks (mig.h)");
#define VIEW_MAX_CMDS 32
#define VIEW_MAX_IFS 32

/* A record kept for evidence or to order later records against. */
struct ck_rec {
    bool valid;
    sim_time t;
    uint64_t seq;             /* stream position */
    bool t_approx;
    enum obs_host host;
    enum obs_kind kind;
    enum spec_source src;     /* QMP (commands too), CONSOLE, STDERR, *_PCAP */
    char point[CHECK_ID_LEN]; /* frames: capture point (one pcap per point) */
    char file[96];
    uint64_t line;
    char text[240];           /* the record as text; for a frame kept by
                                 ck_keep it is made on demand from `fr`
                                 (ck_rec_text): formatting every frame a
                                 monitor keeps cost the checker 2/3 of its time */
    bool text_lazy;           /* text is not filled: use ck_rec_text */
    struct ck_frame_sum {     /* what a frame's text says */
        enum obs_role role;
        enum obs_dir dir;
        bool no_point;
        uint8_t src[6], dst[6];
        uint16_t ethertype;
        uint32_t len;
    } fr;
};

/* The record's text (r->text, or a frame's made in buf of n bytes). */
const char *ck_rec_text(const struct ck_rec *r, char *buf, size_t n);

/* A command waiting for its reply, with what monitors need of it. */
struct view_cmd {
    char name[48];            /* "device_add" */
    char id[64];              /* its "id" as compact JSON, or "" */
    struct ck_rec rec;        /* the command line, for evidence */
    /* device_add / device_del arguments */
    bool has_id;
    char dev_id[CHECK_ID_LEN];
    char driver[48];
    char pair[CHECK_ID_LEN];  /* failover_pair_id, or "" */
    char bus[CHECK_ID_LEN];
    char netdev[CHECK_ID_LEN];
    bool failover;            /* failover: true / "on" */
    bool has_mac;
    uint8_t mac[6];
    int events_cap;           /* migrate-set-capabilities: events 1/0, -1 absent */
};

struct view_dev {
    char id[CHECK_ID_LEN];
    enum obs_role role;
    char pair[CHECK_ID_LEN];
    char netdev[CHECK_ID_LEN];
    bool has_mac;
    uint8_t mac[6];
    bool hideable;            /* primary hidden until its standby negotiates */
    bool configured;          /* from the context (command line, manifest) */
    bool added;               /* created by a successful device_add */
    bool deleted;             /* DEVICE_DELETED named it */
    bool negotiated;          /* standby: FAILOVER_NEGOTIATED seen on this host */
    bool created;             /* primary: its standby negotiated, so QEMU created it;
                                 nothing hides it again (H-24) until it is deleted */
    bool negotiated_before_migration; /* standby: negotiated when the latest
                                         outgoing migration started */
};

struct view_host {
    char status[24];          /* latest MIGRATION status, "" before any */
    unsigned migrations;      /* MIGRATION setup events so far */
    bool running;             /* VM runs: per STOP/RESUME (see view.c) */
    int events_cap;           /* 1 on, 0 off, -1 unknown (no commands given) */
    bool qmp_caps;            /* qmp_capabilities succeeded in this session */
    bool greeted;             /* a greeting was seen */
    struct view_cmd cmds[VIEW_MAX_CMDS]; /* FIFO of commands without reply */
    unsigned cmd_head, ncmds;
    bool cmd_overflow;        /* commands were dropped from the FIFO */
    struct view_dev dev[VIEW_MAX_DEVS];
    unsigned ndev;
    bool dev_overflow;
};

struct view_if {
    char name[16];
    bool has_mac;
    uint8_t mac[6];           /* as the NIC driver printed it */
    enum obs_role role;       /* MASTER, STANDBY, PRIMARY per the failover
                                 lines, UNKNOWN before any */
    char master[16];          /* slaves: the master they are registered on */
    bool registered;          /* master registered / slave enslaved now */
    bool link_up;             /* NIC Link is Up seen, not Down since */
    struct ck_rec changed;    /* the latest (un)registration line */
    struct ck_rec link;       /* the latest link up / down / removal line */
};

struct view {
    struct view_host host[OBS_NHOSTS];
    struct view_if ifs[VIEW_MAX_IFS];
    unsigned nifs;
    bool guest_seen;
    enum obs_host guest_host; /* host of the latest console line */
};

struct check;

void view_init(struct check *c);
/* Before the monitors: match a reply to its command (sets c->cmd). */
void view_pre(struct check *c, const struct obs *o);
/* After the monitors: apply the record. */
void view_post(struct check *c, const struct obs *o);

/* Does the device exist in QEMU at this moment (configured at start, or
 * created by a device_add), not deleted? */
static inline bool view_exists(const struct view_dev *d)
{
    return d && (d->configured || d->added) && !d->deleted;
}

/* Lookups (NULL when unknown). */
struct view_dev *view_dev(struct check *c, enum obs_host h, const char *id);
struct view_if *view_if(struct check *c, const char *name);
/* The standby a primary pairs with, on host h. */
struct view_dev *view_pair_of(struct check *c, enum obs_host h, const struct view_dev *primary);
/* The role of the capture point of a frame (its own role, else the
 * device's of that id on the frame's host). */
enum obs_role view_frame_role(struct check *c, const struct obs *o);
/* The guest interface of a primary device of host h: the primary slave
 * with the device's MAC, else the only primary slave the guest has when the
 * host has one primary.  NULL when unknown. */
struct view_if *view_if_of_primary(struct check *c, enum obs_host h, const struct view_dev *p);
/* The primary device of host h an interface is: by MAC, else the host's only
 * primary when the interface is a primary slave. */
struct view_dev *view_primary_of_if(struct check *c, enum obs_host h, const struct view_if *i);

/* A failover standby's MAC (any standby of host h when it is the only one,
 * or the one with that MAC). */
bool view_is_standby_mac(struct check *c, enum obs_host h, const uint8_t mac[6]);

#endif
