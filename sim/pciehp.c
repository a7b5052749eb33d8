/*
 * Linux pciehp, the native PCIe hotplug driver of one port, as Linux 6.1
 * runs it (pciehp_core.c, pciehp_hpc.c, pciehp_ctrl.c; linux-guest.md
 * sections 2.8, 2.9 and 3).
 *
 * Two machines, both data:
 *   - the slot state machine of section 3 (PCIEHP_STATES x SLOT_EVENTS, one
 *     transition function, slot_event());
 *   - the controller's IRQ thread (IST_STEPS, one function, ist_run()): the
 *     kernel's pciehp_ist and the enable/disable sequences it runs, with
 *     every sleep, command-completion wait and PCI-core call a step at which
 *     the thread may block.  Only one batch of events is handled at a time;
 *     events raised meanwhile wait in `pending` (G-61).
 * The hard interrupt handler (isr()) and the 5 s button work run beside
 * the thread, as in the kernel.  Sleeps use the kernel clock (kclock.h), so
 * durations carry the timer wheel's granularity like the real ones.
 *
 * The slot reset (pciehp_reset_slot, the reset method pci_reset_function
 * uses for a function alone behind the port) and the IRQ thread exclude
 * each other with reset_lock, a read-write semaphore: the thread reads it
 * while it handles a disable request or a presence/link change, a reset
 * writes it.  Since f5eff5591b8f (linux-guest.md bug 15; 6.1 in the model,
 * as stable carried it) the thread lets go of it while the PCI core binds
 * or unbinds drivers, which take the device lock a resetter already holds;
 * before, the two could wait for each other forever (AB-BA).
 *
 * Not modelled: DPC (G-62 has nothing to act on), runtime PM / D3cold,
 * Link Disable (hw.h has no Link Control register), what a secondary bus
 * reset does to the device (hw.h has no Bridge Control register).
 */
#include "pciehp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_int.h"
#include "kclock.h"
#include "sim/host.h"
#include "sim/mutant.h"
#include "sim/world.h"

#define DISABLE_SLOT (1u << 16) /* synthetic event: pciehp_request(DISABLE_SLOT) */
#define HP_EVENTS (HW_SLTSTA_ABP | HW_SLTSTA_PFD | HW_SLTSTA_PDC | HW_SLTSTA_CC | HW_SLTSTA_DLLSC)
#define CC_ERRATUM_MASK (HW_SLTCTL_PCC | HW_SLTCTL_PIC | HW_SLTCTL_AIC | HW_SLTCTL_EIC)
#define INDICATOR_NOOP 0xffffu
#define ISR_LOOP_LIMIT 1000 /* re-reads after which a sticky bit counts as a livelock */

/* ---- the slot state machine (section 3) ------------------------------------ */

#define SLOT_EVENTS(X)                                                                  \
    X(ABP, "attention button")  /* the IRQ thread saw Attention Button Pressed */       \
    X(T5, "button timer")       /* the 5 s button work ran */                           \
    X(DIS, "disable request")   /* DISABLE_SLOT (timer in BLINKINGOFF, sysfs) */        \
    X(PL, "presence/link change") /* PDC or DLLSC, first half: turn an ON slot off */   \
    X(OCC, "occupancy check")   /* second half: enable if presence or link is up */     \
    X(PFD, "power fault")                                                               \
    X(SYSFS_ON, "sysfs enable")                                                         \
    X(SYSFS_OFF, "sysfs disable")

enum slot_event {
#define X(id, name) EV_##id,
    SLOT_EVENTS(X)
#undef X
};

static const char *const event_names[] = {
#define X(id, name) name,
    SLOT_EVENTS(X)
#undef X
};

static const char *const state_names[] = {
#define X(id, name) name,
    PCIEHP_STATES(X)
#undef X
};

const char *pciehp_state_name(enum pciehp_state s)
{
    return (unsigned)s < SIM_ARRAY_SIZE(state_names) ? state_names[s] : "?";
}

/* What the IRQ thread does after a transition. */
enum slot_work {
    WORK_NONE,
    WORK_BLINK,        /* PI blink, AI off, then arm the button timer (G-64) */
    WORK_CANCEL_LEDS,  /* PI on/off, AI off, then "Action canceled" (G-65) */
    WORK_FAULT_LEDS,   /* PI off, AI on (G-63) */
    WORK_OFF_LEDS,     /* PI off (bug 12 fix) */
    WORK_DISABLE_SAFE, /* pciehp_disable_slot(SAFE_REMOVAL) */
    WORK_DISABLE_SURPRISE, /* pciehp_disable_slot(SURPRISE_REMOVAL), then OCC */
    WORK_ENABLE,       /* pciehp_enable_slot */
    WORK_REQUEST_PDC,  /* pciehp_request(PDC): the thread handles it */
    WORK_REQUEST_DIS,  /* pciehp_request(DISABLE_SLOT) */
};

/* ---- the IRQ thread's program --------------------------------------------- */

#define IST_STEPS(X)                                                                   \
    X(IDLE)                                                                            \
    /* probe: pcie_init .. pciehp_check_presence */                                   \
    X(PROBE_QUIET) X(PROBE_QUIET_WAIT) X(PROBE_POWER_OFF) X(PROBE_POWER_OFF_WAIT)      \
    X(PROBE_NOTIFY) X(PROBE_PRESENCE)                                                  \
    /* pciehp_ist: one batch */                                                       \
    X(BEGIN) X(BUTTON) X(BUTTON_LEDS) X(FAULT) X(FAULT_LEDS) X(DISPATCH)               \
    X(PL_OCCUPIED) X(PL_OFF_LEDS)                                                      \
    /* pciehp_enable_slot / board_added */                                            \
    X(EN_BEGIN) X(EN_POWER) X(EN_POWER_WAIT) X(EN_BLINK) X(EN_LINK) X(EN_LINK_POLL)   \
    X(EN_PRESENCE_POLL) X(EN_PRESENCE_SLEPT) X(EN_DEVICE_POLL) X(EN_DEVICE_SLEPT)      \
    X(EN_CHECK) X(EN_CONFIGURE)                                                        \
    X(EN_CONFIGURED) X(EN_LEDS_ON) X(EN_FAIL_POWER) X(EN_FAIL_POWER_WAIT)              \
    X(EN_FAIL_LEDS) X(EN_FAIL_BUTTON_LEDS) X(EN_DONE)                                  \
    /* pciehp_disable_slot / remove_board */                                          \
    X(DIS_BEGIN) X(DIS_UNCONFIGURED) X(DIS_POWER) X(DIS_POWER_WAIT) X(DIS_SLEPT)       \
    X(DIS_LEDS) X(DIS_DONE)                                                            \
    X(END)

enum ist_step {
#define X(id) IST_##id,
    IST_STEPS(X)
#undef X
};

enum ist_block {
    BLOCK_NONE,
    BLOCK_SLEEP, /* msleep / poll interval: the thread timer resumes it */
    BLOCK_CMD,   /* waiting for Command Completed (or its timeout) */
    BLOCK_CORE,  /* waiting for the PCI core (configure/unconfigure) */
    BLOCK_RESET, /* down_read(reset_lock) while a slot reset holds or wants it */
};

/* A slot reset's steps (pciehp_reset_slot). */
enum reset_step {
    RESET_IDLE,
    RESET_LOCK,  /* down_write(reset_lock): waits for the IRQ thread's read */
    RESET_SBR,   /* the secondary bus reset: 2 ms asserted, then 1 s */
    RESET_END,
};

struct pciehp_ctrl {
    struct guest *g;
    struct kclock *clk;
    const struct pciehp_hw *hw;
    void *ctx;
    struct pciehp_params p;
    char port[16];
    char slot[16];
    char entity[40];          /* observation entity: "pciehp slot 0-1" */

    /* what pcie_init found */
    uint32_t sltcap;
    bool link_active_reporting;
    bool inband_presence_disabled;
    /* kernel behaviour by version (linux-guest.md section 6) */
    bool fix_msi_reread;      /* bug 14: re-read Slot Status in MSI mode (5.9) */
    bool fix_pfd_in_isr;      /* bug 14b: PFD latched in the hard handler (5.16) */
    bool fix_blinkingon_gone; /* bug 12: card gone while BLINKINGON -> OFF */
    bool fix_power_off_link;  /* bug 13: drop DLLSC/PDC caused by power-off */
    unsigned dllla_step_ms;   /* pcie_wait_for_link poll step: 10 ms, 1 ms from 6.6 */

    /* driver state */
    enum pciehp_state state;
    uint16_t slot_ctrl;       /* ctrl->slot_ctrl: last value written */
    bool cmd_busy;
    uint64_t cmd_started;     /* jiffies */
    bool power_fault_detected;
    uint32_t pending;         /* ctrl->pending_events */
    bool wedged;              /* the hard handler livelocked (bug 14b) */
    int request_result;
    struct guest_timer button; /* button_work, 5 s */
    struct guest_timer poller; /* poll mode kthread */
    bool probing;

    /* the IRQ thread */
    enum ist_step step;
    enum ist_block block;
    bool in_thread;           /* ist_run is on the stack */
    struct guest_timer thread;
    uint32_t events;          /* the batch being handled */
    enum slot_work work;      /* from the last transition */
    uint16_t leds_pwr, leds_attn; /* indicator values for *_LEDS steps */
    bool leds_arm_timer, leds_cancel_log;
    enum ist_step after_disable;
    bool safe;                /* the disable being run is a safe removal */
    int seq_err;              /* result of the enable/disable in progress */
    bool cmd_waiting;         /* a command wait is in progress */
    sim_time cmd_deadline;    /* uptime at which a command wait times out */
    int cmd_poll_left;        /* pcie_poll_cmd's remaining budget, ms */
    int poll_left;            /* link/presence/vendor-id poll budget, ms */
    uint64_t link_end;        /* 6.6+: jiffies at which the link wait gives up */
    bool link_slept;          /* the link poll slept since its last read */
    bool found;               /* pci_bus_check_dev */
    bool core_pending;        /* configure/unconfigure not finished yet */
    int core_err;

    /* reset_lock (bug 15), and the slot reset that writes it */
    bool fix_reset_lock;      /* reset_lock released around driver (un)binding */
    bool rl_read;             /* the IRQ thread holds it for reading */
    bool rl_write;            /* a slot reset holds it */
    enum reset_step reset_step;
    struct guest_timer reset_t;
    uint16_t reset_mask;      /* the notifications masked during the reset */
    void (*reset_done)(void *ctx, int result);
    void *reset_ctx;

    void (*sysfs_done)(void *ctx, int result);
    void *sysfs_ctx;
};

/* ---- helpers ------------------------------------------------------------------ */

static sim_time uptime(const struct pciehp_ctrl *c)
{
    return guest_uptime(c->g);
}

static uint64_t jiffies(const struct pciehp_ctrl *c)
{
    return kclock_jiffies(c->clk, uptime(c));
}

static bool attn_button(const struct pciehp_ctrl *c)
{
    return c->sltcap & HW_SLTCAP_ABP;
}
static bool power_ctrl(const struct pciehp_ctrl *c)
{
    return c->sltcap & HW_SLTCAP_PCP;
}

/* ctrl_info / ctrl_err: "pcieport 0000:00:02.0: pciehp: ..." */
static void ctrl_log(const struct pciehp_ctrl *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void ctrl_log(const struct pciehp_ctrl *c, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    guest_log(c->g, "pcieport %s: pciehp: %s", c->port, msg);
}

static enum obs_host obs_host_of(const struct guest *g)
{
    return g->host ? host_id(g->host) : OBS_SOURCE;
}

static void set_state(struct pciehp_ctrl *c, enum pciehp_state to, const char *why)
{
    if (c->state == to)
        return;
    enum pciehp_state from = c->state;
    c->state = to;
    sim_emit_state(c->g->vm, obs_host_of(c->g), c->entity, state_names[from], state_names[to],
                   why);
}

static bool card_present(const struct pciehp_ctrl *c)
{
    return c->hw->sltsta(c->ctx) & HW_SLTSTA_PDS;
}
static bool link_active(const struct pciehp_ctrl *c)
{
    return c->hw->lnksta(c->ctx) & HW_LNKSTA_DLLLA;
}
static bool occupied(const struct pciehp_ctrl *c)
{
    return card_present(c) || link_active(c);
}
static bool powered(const struct pciehp_ctrl *c)
{
    return (c->hw->sltctl(c->ctx) & HW_SLTCTL_PCC) == 0;
}

/* ---- thread plumbing ---------------------------------------------------------- */

static void ist_run(struct pciehp_ctrl *c);

static void thread_fire(struct guest *g, struct guest_timer *t)
{
    (void)g;
    struct pciehp_ctrl *c = SIM_CONTAINER_OF(t, struct pciehp_ctrl, thread);
    ist_run(c);
}

/* Block the thread for `delay` of guest time; it resumes at the current step. */
static void thread_sleep(struct pciehp_ctrl *c, enum ist_block why, sim_time delay)
{
    c->block = why;
    guest_timer_arm(&c->thread, delay);
}

/* msleep(ms), then continue at `next`. */
static void thread_msleep(struct pciehp_ctrl *c, unsigned ms, enum ist_step next)
{
    c->step = next;
    thread_sleep(c, BLOCK_SLEEP, kclock_msleep(c->clk, uptime(c), ms));
}

/* Resume a thread blocked for `why` (from the hard handler or the core). */
static void thread_wake(struct pciehp_ctrl *c, enum ist_block why)
{
    if (c->block != why || c->in_thread)
        return;
    guest_timer_arm(&c->thread, 0);
}

/* ---- reset_lock (bug 15) ---------------------------------------------------------- */

static void reset_run(struct pciehp_ctrl *c);

/* down_read_nested(&ctrl->reset_lock): false when the thread must wait (a
 * reset holds the lock or waits for it: waiting writers go first); the
 * current step runs again when the reset lets go. */
static bool ist_down_read(struct pciehp_ctrl *c)
{
    if (c->rl_read)
        return true;
    if (c->rl_write || c->reset_step == RESET_LOCK) {
        c->block = BLOCK_RESET;
        return false;
    }
    c->rl_read = true;
    return true;
}

static void ist_up_read(struct pciehp_ctrl *c)
{
    if (!c->rl_read)
        return;
    c->rl_read = false;
    if (c->reset_step == RESET_LOCK)
        reset_run(c); /* the waiting writer gets it */
}

/* Start the IRQ thread for pending events (irq_wake_thread). */
static void thread_start(struct pciehp_ctrl *c)
{
    if (c->step != IST_IDLE || c->wedged)
        return; /* a running thread looks at `pending` again when it ends */
    c->step = IST_BEGIN;
    c->block = BLOCK_SLEEP;
    /* IMP: knob eject-delay: a slow guest reacts late to hotplug events */
    guest_timer_arm(&c->thread, c->p.irq_delay);
}

/* pciehp_request(): queue a synthetic event for the thread (G-84, G-85). */
static void request(struct pciehp_ctrl *c, uint32_t action)
{
    c->pending |= action;
    if (!c->p.poll)
        thread_start(c);
}

/* ---- Slot Control commands (G-82, G-83) ------------------------------------------ */

static bool cmd_interrupt_driven(const struct pciehp_ctrl *c)
{
    return (c->slot_ctrl & HW_SLTCTL_HPIE) && (c->slot_ctrl & HW_SLTCTL_CCIE);
}

/*
 * pcie_wait_cmd: true when the previous command completed (or timed out),
 * false when the thread now waits; the current step then runs again.
 */
static bool cmd_ready(struct pciehp_ctrl *c)
{
    /* IMP: G-82 slots without command-completed support never wait */
    if ((c->sltcap & HW_SLTCAP_NCCS) || !c->cmd_busy) {
        if (c->cmd_waiting) {
            c->cmd_waiting = false;
            guest_timer_cancel(&c->thread);
        }
        return true;
    }
    uint64_t now = jiffies(c);
    bool irq = cmd_interrupt_driven(c);
    if (!c->cmd_waiting) {
        /* IMP: G-82 wait up to 1 s after the command was issued, 2.5 s in poll mode */
        uint64_t dur = kclock_ms_to_jiffies(c->p.poll ? 2500 : 1000);
        uint64_t end = c->cmd_started + dur;
        uint64_t timeout = end <= now ? 1 : end - now;
        c->cmd_waiting = true;
        if (irq) {
            c->cmd_deadline = uptime(c) + kclock_timer_delay(c->clk, uptime(c), now + timeout);
            thread_sleep(c, BLOCK_CMD, c->cmd_deadline - uptime(c));
            return false;
        }
        c->cmd_poll_left = (int)(timeout * 1000 / KCLOCK_HZ);
    }
    if (irq) {
        if (uptime(c) < c->cmd_deadline) {
            thread_sleep(c, BLOCK_CMD, c->cmd_deadline - uptime(c));
            return false;
        }
    } else {
        /* IMP: G-82 pcie_poll_cmd: read CC every 10 ms and clear it */
        if (c->hw->sltsta(c->ctx) & HW_SLTSTA_CC) {
            c->hw->sltsta_clear(c->ctx, HW_SLTSTA_CC);
            c->cmd_busy = false;
            c->cmd_waiting = false;
            return true;
        }
        if (c->cmd_poll_left >= 0) {
            c->cmd_poll_left -= 10;
            thread_sleep(c, BLOCK_SLEEP, kclock_msleep(c->clk, uptime(c), 10));
            return false;
        }
    }
    ctrl_log(c, "Timeout on hotplug command %#06x (issued %u msec ago)", c->slot_ctrl,
             (unsigned)((now - c->cmd_started) * 1000 / KCLOCK_HZ));
    c->cmd_waiting = false;
    return true;
}

/* The write half of pcie_do_write_cmd (the caller waited with cmd_ready). */
static void cmd_write(struct pciehp_ctrl *c, uint16_t cmd, uint16_t mask)
{
    uint16_t orig = c->hw->sltctl(c->ctx);
    uint16_t v = (uint16_t)((orig & ~mask) | (cmd & mask));
    c->cmd_busy = true;
    c->slot_ctrl = v;
    c->cmd_started = jiffies(c);
    c->hw->sltctl_write(c->ctx, v); /* may raise the interrupt at once */
    /* IMP: G-83 erratum: only power/indicator/interlock changes complete */
    if (c->p.broken_cmd_compl && (orig & CC_ERRATUM_MASK) == (v & CC_ERRATUM_MASK))
        c->cmd_busy = false;
}

/* pciehp_set_indicators: the write, or false when there is nothing to write. */
static bool leds_write(struct pciehp_ctrl *c, uint16_t pwr, uint16_t attn)
{
    uint16_t cmd = 0, mask = 0;
    if ((c->sltcap & HW_SLTCAP_PIP) && pwr != INDICATOR_NOOP) {
        cmd |= pwr & HW_SLTCTL_PIC;
        mask |= HW_SLTCTL_PIC;
    }
    if ((c->sltcap & HW_SLTCAP_AIP) && attn != INDICATOR_NOOP) {
        cmd |= attn & HW_SLTCTL_AIC;
        mask |= HW_SLTCTL_AIC;
    }
    if (!mask)
        return false;
    cmd_write(c, cmd, mask);
    return true;
}

/* ---- the hard interrupt handler (pciehp_isr) --------------------------------------- */

/* Returns true when the thread has work (IRQ_WAKE_THREAD). */
static bool isr(struct pciehp_ctrl *c)
{
    if (c->wedged)
        return false;
    /* IMP: G-58 no interrupts while hotplug interrupts are disabled (non-poll) */
    if (!(c->slot_ctrl & HW_SLTCTL_HPIE) && !c->p.poll)
        return false;
    uint32_t events = 0;
    for (unsigned loops = 0;; loops++) {
        /* IMP: G-59 keep only ABP, PFD, PDC, CC and DLLSC */
        uint16_t status = c->hw->sltsta(c->ctx) & HP_EVENTS;
        /* IMP: G-59 report a power fault once until the next power-on (bug 14b) */
        if (c->power_fault_detected)
            status &= (uint16_t)~HW_SLTSTA_PFD;
        else if ((status & HW_SLTSTA_PFD) && c->fix_pfd_in_isr)
            c->power_fault_detected = true;
        events |= status;
        if (!events)
            return false;
        if (!status)
            break;
        c->hw->sltsta_clear(c->ctx, status);
        /* IMP: G-59 in MSI mode re-read until no event bit is left (bug 14) */
        if (!(c->p.msi && !c->p.poll && c->fix_msi_reread))
            break;
        if (loops == ISR_LOOP_LIMIT) {
            /* A bit that re-asserts at once keeps the hard handler looping
             * (bug 14b before its fix): the port's interrupt never returns. */
            c->wedged = true;
            sim_emit_state(c->g->vm, obs_host_of(c->g), c->entity, state_names[c->state],
                           "wedged", "interrupt handler livelock on a sticky Slot Status bit");
            return false;
        }
    }
    /* IMP: G-60 Command Completed is consumed here, never by the thread */
    if (events & HW_SLTSTA_CC) {
        c->cmd_busy = false;
        thread_wake(c, BLOCK_CMD);
        if (events == HW_SLTSTA_CC)
            return false;
        events &= ~(uint32_t)HW_SLTSTA_CC;
    }
    /* IMP: knob eject never: the guest does not act on the attention button */
    if (c->p.ignore_button) {
        events &= ~(uint32_t)HW_SLTSTA_ABP;
        if (!events)
            return false;
    }
    c->pending |= events;
    return true;
}

void pciehp_irq(struct pciehp_ctrl *c)
{
    if (c->p.poll)
        return; /* poll mode requests no interrupts; a stray one is not ours */
    if (isr(c))
        thread_start(c);
}

void pciehp_resume(struct pciehp_ctrl *c)
{
    if (c->p.poll || !(c->slot_ctrl & HW_SLTCTL_HPIE))
        return;
    uint16_t ctl = c->hw->sltctl(c->ctx);
    uint16_t enabled = (uint16_t)(ctl & (HW_SLTSTA_ABP | HW_SLTSTA_PFD | HW_SLTSTA_MRLSC |
                                         HW_SLTSTA_PDC | HW_SLTSTA_CC));
    if (ctl & HW_SLTCTL_DLLSCE)
        enabled |= HW_SLTSTA_DLLSC;
    if ((ctl & HW_SLTCTL_HPIE) && (c->hw->sltsta(c->ctx) & enabled))
        pciehp_irq(c);
}

/* ---- the button work and the poller ---------------------------------------------- */

static sim_time button_delay(struct pciehp_ctrl *c)
{
    if (sim_mutant(c->g->w, MUT_NO_BUTTON_DELAY))
        return 0;
    /* IMP: G-64 schedule_delayed_work(&button_work, 5 * HZ) */
    return kclock_timer_delay(c->clk, uptime(c), jiffies(c) + 5 * KCLOCK_HZ);
}

static enum slot_work slot_event(struct pciehp_ctrl *c, enum slot_event ev);

static void button_fire(struct guest *g, struct guest_timer *t)
{
    (void)g;
    struct pciehp_ctrl *c = SIM_CONTAINER_OF(t, struct pciehp_ctrl, button);
    enum slot_work w = slot_event(c, EV_T5);
    if (w == WORK_REQUEST_DIS)
        request(c, DISABLE_SLOT);
    else if (w == WORK_REQUEST_PDC)
        request(c, HW_SLTSTA_PDC);
}

static sim_time poll_interval(struct pciehp_ctrl *c)
{
    /* IMP: G-86 pciehp_poll_time clamped to 2 s when <= 0 or > 60 */
    int t = c->p.poll_time <= 0 || c->p.poll_time > 60 ? 2 : c->p.poll_time;
    return kclock_timer_delay(c->clk, uptime(c), jiffies(c) + (uint64_t)t * KCLOCK_HZ);
}

static void poller_fire(struct guest *g, struct guest_timer *t)
{
    (void)g;
    struct pciehp_ctrl *c = SIM_CONTAINER_OF(t, struct pciehp_ctrl, poller);
    if (c->step != IST_IDLE)
        return; /* cannot happen: the poller is the thread in poll mode */
    if (isr(c) || c->pending) {
        c->step = IST_BEGIN;
        ist_run(c);
        return;
    }
    guest_timer_arm(&c->poller, poll_interval(c));
}

/* ---- the transition function ------------------------------------------------------- */

static void cancel_button(struct pciehp_ctrl *c)
{
    guest_timer_cancel(&c->button);
}

static void set_leds(struct pciehp_ctrl *c, uint16_t pwr, uint16_t attn, bool arm, bool cancel_log)
{
    c->leds_pwr = pwr;
    c->leds_attn = attn;
    c->leds_arm_timer = arm;
    c->leds_cancel_log = cancel_log;
}

/*
 * One event on the slot (linux-guest.md section 3): change state, log, arm or
 * cancel the button timer, and say what the IRQ thread must do next.
 */
static enum slot_work slot_event(struct pciehp_ctrl *c, enum slot_event ev)
{
    const char *why = event_names[ev];
    switch (c->state) {
    case PCIEHP_OFF:
        switch (ev) {
        case EV_ABP:
            /* IMP: G-64 OFF + button: BLINKINGON, PI blink, AI off, 5 s timer */
            set_state(c, PCIEHP_BLINKINGON, why);
            ctrl_log(c, "Slot(%s) Powering on due to button press", c->slot);
            set_leds(c, HW_SLTCTL_PWR_IND_BLINK, HW_SLTCTL_ATTN_IND_OFF, true, false);
            return WORK_BLINK;
        case EV_DIS:
            set_state(c, PCIEHP_POWEROFF, why);
            return WORK_DISABLE_SAFE;
        case EV_OCC:
            if (!occupied(c))
                return WORK_NONE; /* IMP: G-70 nothing there: stays OFF */
            /* IMP: G-71 presence or link while OFF: enable the slot */
            set_state(c, PCIEHP_POWERON, why);
            return WORK_ENABLE;
        case EV_SYSFS_ON:
            c->request_result = -ENODEV; /* IMP: G-84 until the thread says otherwise */
            return WORK_REQUEST_PDC;
        case EV_SYSFS_OFF:
            ctrl_log(c, "Slot(%s): Already disabled", c->slot);
            return WORK_NONE;
        case EV_T5:
        case EV_PL:
        case EV_PFD:
            return WORK_NONE;
        }
        break;
    case PCIEHP_BLINKINGON:
        switch (ev) {
        case EV_ABP:
            if (sim_mutant(c->g->w, MUT_PRESS_NO_CANCEL))
                return WORK_NONE;
            /* IMP: G-65 second press cancels: OFF, PI off, AI off */
            ctrl_log(c, "Slot(%s): Button cancel", c->slot);
            cancel_button(c);
            set_state(c, PCIEHP_OFF, why);
            set_leds(c, HW_SLTCTL_PWR_IND_OFF, HW_SLTCTL_ATTN_IND_OFF, false, true);
            return WORK_CANCEL_LEDS;
        case EV_T5:
            /* IMP: G-67 timer in BLINKINGON synthesizes a presence change */
            return WORK_REQUEST_PDC;
        case EV_DIS:
            /* IMP: G-68 a disable request cancels the blink timer */
            cancel_button(c);
            set_state(c, PCIEHP_POWEROFF, why);
            return WORK_DISABLE_SAFE;
        case EV_OCC:
            if (!occupied(c)) {
                /* IMP: G-70 card gone while blinking on: OFF, timer cancelled,
                 * PI off (bug 12 fix; before it the slot stayed BLINKINGON) */
                if (!c->fix_blinkingon_gone)
                    return WORK_NONE;
                set_state(c, PCIEHP_OFF, why);
                cancel_button(c);
                set_leds(c, HW_SLTCTL_PWR_IND_OFF, INDICATOR_NOOP, false, false);
                ctrl_log(c, "Slot(%s): Card not present", c->slot);
                return WORK_OFF_LEDS;
            }
            /* IMP: G-71 occupied while BLINKINGON: cancel the timer, enable */
            cancel_button(c);
            set_state(c, PCIEHP_POWERON, why);
            return WORK_ENABLE;
        case EV_SYSFS_ON:
            c->request_result = -ENODEV;
            return WORK_REQUEST_PDC;
        case EV_SYSFS_OFF:
            ctrl_log(c, "Slot(%s): Already disabled", c->slot);
            return WORK_NONE;
        case EV_PL:
        case EV_PFD:
            return WORK_NONE;
        }
        break;
    case PCIEHP_BLINKINGOFF:
        switch (ev) {
        case EV_ABP:
            if (sim_mutant(c->g->w, MUT_PRESS_NO_CANCEL))
                return WORK_NONE;
            /* IMP: G-65 second press cancels: ON, PI on, AI off */
            ctrl_log(c, "Slot(%s): Button cancel", c->slot);
            cancel_button(c);
            set_state(c, PCIEHP_ON, why);
            set_leds(c, HW_SLTCTL_PWR_IND_ON, HW_SLTCTL_ATTN_IND_OFF, false, true);
            return WORK_CANCEL_LEDS;
        case EV_T5:
            /* IMP: G-67 timer in BLINKINGOFF requests a disable */
            return WORK_REQUEST_DIS;
        case EV_DIS:
            /* IMP: G-68 cancel the timer, POWEROFF, safe removal */
            cancel_button(c);
            set_state(c, PCIEHP_POWEROFF, why);
            return WORK_DISABLE_SAFE;
        case EV_PL:
            /* IMP: G-69 presence/link change while BLINKINGOFF: surprise removal */
            cancel_button(c);
            set_state(c, PCIEHP_POWEROFF, why);
            return WORK_DISABLE_SURPRISE;
        case EV_SYSFS_ON:
            ctrl_log(c, "Slot(%s): Already enabled", c->slot);
            return WORK_NONE;
        case EV_SYSFS_OFF:
            return WORK_REQUEST_DIS; /* IMP: G-85 */
        case EV_OCC:
        case EV_PFD:
            return WORK_NONE;
        }
        break;
    case PCIEHP_POWERON:
        switch (ev) {
        case EV_ABP:
            /* IMP: G-66 presses while powering on/off are ignored */
            ctrl_log(c, "Slot(%s): Ignoring invalid state %#x", c->slot, (unsigned)c->state);
            return WORK_NONE;
        case EV_SYSFS_ON:
            ctrl_log(c, "Slot(%s): Already in powering on state", c->slot);
            return WORK_NONE;
        case EV_SYSFS_OFF:
            ctrl_log(c, "Slot(%s): Already disabled", c->slot);
            return WORK_NONE;
        case EV_DIS:
            set_state(c, PCIEHP_POWEROFF, why);
            return WORK_DISABLE_SAFE;
        case EV_T5:
        case EV_PL:
        case EV_OCC:
        case EV_PFD:
            return WORK_NONE;
        }
        break;
    case PCIEHP_POWEROFF:
        switch (ev) {
        case EV_ABP:
            ctrl_log(c, "Slot(%s): Ignoring invalid state %#x", c->slot, (unsigned)c->state);
            return WORK_NONE;
        case EV_SYSFS_ON:
            ctrl_log(c, "Slot(%s): Already enabled", c->slot);
            return WORK_NONE;
        case EV_SYSFS_OFF:
            ctrl_log(c, "Slot(%s): Already in powering off state", c->slot);
            return WORK_NONE;
        case EV_DIS:
            return WORK_DISABLE_SAFE;
        case EV_T5:
        case EV_PL:
        case EV_OCC:
        case EV_PFD:
            return WORK_NONE;
        }
        break;
    case PCIEHP_ON:
        switch (ev) {
        case EV_ABP:
            /* IMP: G-64 ON + button: BLINKINGOFF, PI blink, AI off, 5 s timer */
            set_state(c, PCIEHP_BLINKINGOFF, why);
            ctrl_log(c, "Slot(%s): Powering off due to button press", c->slot);
            set_leds(c, HW_SLTCTL_PWR_IND_BLINK, HW_SLTCTL_ATTN_IND_OFF, true, false);
            return WORK_BLINK;
        case EV_DIS:
            /* IMP: G-68 ON + disable request: POWEROFF, safe removal, OFF */
            set_state(c, PCIEHP_POWEROFF, why);
            return WORK_DISABLE_SAFE;
        case EV_PL:
            /* IMP: G-69 any presence/link change while ON: surprise removal first */
            set_state(c, PCIEHP_POWEROFF, why);
            return WORK_DISABLE_SURPRISE;
        case EV_SYSFS_ON:
            ctrl_log(c, "Slot(%s): Already enabled", c->slot);
            return WORK_NONE;
        case EV_SYSFS_OFF:
            return WORK_REQUEST_DIS; /* IMP: G-85 */
        case EV_T5:
        case EV_OCC:
        case EV_PFD:
            return WORK_NONE;
        }
        break;
    }
    SIM_ASSERT(!"unhandled slot state");
    return WORK_NONE;
}

/* ---- the IRQ thread ---------------------------------------------------------------- */

/* Where the thread goes for the work a transition asked for. */
static enum ist_step work_step(struct pciehp_ctrl *c, enum slot_work w, enum ist_step none)
{
    switch (w) {
    case WORK_NONE:
    case WORK_REQUEST_PDC: /* only from the timer and sysfs, never in the thread */
    case WORK_REQUEST_DIS:
        return none;
    case WORK_BLINK:
    case WORK_CANCEL_LEDS:
        return IST_BUTTON_LEDS;
    case WORK_FAULT_LEDS:
        return IST_FAULT_LEDS;
    case WORK_OFF_LEDS:
        return IST_PL_OFF_LEDS;
    case WORK_DISABLE_SAFE:
        c->safe = true;
        c->after_disable = IST_END;
        return IST_DIS_BEGIN;
    case WORK_DISABLE_SURPRISE:
        c->safe = false;
        c->after_disable = IST_PL_OCCUPIED;
        return IST_DIS_BEGIN;
    case WORK_ENABLE:
        return IST_EN_BEGIN;
    }
    SIM_ASSERT(!"unhandled work");
    return none;
}

static void thread_end(struct pciehp_ctrl *c)
{
    c->step = IST_IDLE;
    c->block = BLOCK_NONE;
    if (c->sysfs_done && !c->pending) {
        void (*done)(void *, int) = c->sysfs_done;
        c->sysfs_done = NULL;
        done(c->sysfs_ctx, c->request_result);
    }
}

static void ist_run(struct pciehp_ctrl *c)
{
    SIM_ASSERT(!c->in_thread);
    c->in_thread = true;
    for (;;) {
        enum ist_step step = c->step;
        switch (step) {
        case IST_IDLE:
            goto out;

        /* ---- probe ---- */
        case IST_PROBE_QUIET:
            /* IMP: G-55 powered but empty: power off with notifications disabled */
            if (!(power_ctrl(c) && powered(c) && !occupied(c))) {
                c->step = IST_PROBE_NOTIFY;
                break;
            }
            if (!cmd_ready(c))
                goto out;
            cmd_write(c, 0, HW_SLTCTL_PDCE | HW_SLTCTL_ABPE | HW_SLTCTL_MRLSCE | HW_SLTCTL_PFDE |
                               HW_SLTCTL_HPIE | HW_SLTCTL_CCIE | HW_SLTCTL_DLLSCE);
            c->step = IST_PROBE_QUIET_WAIT;
            break;
        case IST_PROBE_QUIET_WAIT:
        case IST_PROBE_POWER_OFF_WAIT:
            if (!cmd_ready(c))
                goto out;
            c->step = step == IST_PROBE_QUIET_WAIT ? IST_PROBE_POWER_OFF : IST_PROBE_NOTIFY;
            break;
        case IST_PROBE_POWER_OFF:
            if (!cmd_ready(c))
                goto out;
            cmd_write(c, HW_SLTCTL_PCC, HW_SLTCTL_PCC);
            c->step = IST_PROBE_POWER_OFF_WAIT;
            break;
        case IST_PROBE_NOTIFY: {
            if (!cmd_ready(c))
                goto out;
            /* IMP: G-56 DLLSCE always; ABPE with a button, else PDCE; HPIE and
             * CCIE unless polling (no CCIE without command-completed support) */
            uint16_t cmd = HW_SLTCTL_DLLSCE;
            cmd |= attn_button(c) ? HW_SLTCTL_ABPE : HW_SLTCTL_PDCE;
            if (!c->p.poll)
                cmd |= HW_SLTCTL_HPIE;
            if (!c->p.poll && !(c->sltcap & HW_SLTCAP_NCCS))
                cmd |= HW_SLTCTL_CCIE;
            cmd_write(c, cmd, HW_SLTCTL_PDCE | HW_SLTCTL_ABPE | HW_SLTCTL_PFDE | HW_SLTCTL_HPIE |
                                  HW_SLTCTL_CCIE | HW_SLTCTL_DLLSCE);
            c->step = IST_PROBE_PRESENCE;
            break;
        }
        case IST_PROBE_PRESENCE: {
            /* IMP: G-57 synthesize a presence change when occupancy and state disagree */
            bool occ = occupied(c);
            if ((occ && (c->state == PCIEHP_OFF || c->state == PCIEHP_BLINKINGON)) ||
                (!occ && (c->state == PCIEHP_ON || c->state == PCIEHP_BLINKINGOFF)))
                c->pending |= HW_SLTSTA_PDC;
            c->step = IST_END;
            break;
        }

        /* ---- pciehp_ist ---- */
        case IST_BEGIN:
            c->events = c->pending;
            c->pending = 0;
            c->step = c->events ? IST_BUTTON : IST_END;
            break;
        case IST_BUTTON:
            c->step = IST_FAULT;
            /* IMP: G-61 the button first, then power fault, then DIS or PL */
            if (c->events & HW_SLTSTA_ABP) {
                ctrl_log(c, "Slot(%s): Attention button pressed", c->slot);
                c->step = work_step(c, slot_event(c, EV_ABP), IST_FAULT);
            }
            break;
        case IST_BUTTON_LEDS: {
            if (!cmd_ready(c))
                goto out;
            leds_write(c, c->leds_pwr, c->leds_attn);
            if (c->leds_arm_timer)
                guest_timer_arm(&c->button, button_delay(c));
            if (c->leds_cancel_log)
                ctrl_log(c, "Slot(%s): Action canceled due to button press", c->slot);
            c->step = IST_FAULT;
            break;
        }
        case IST_FAULT:
            c->step = IST_DISPATCH;
            if (c->events & HW_SLTSTA_PFD) {
                /* IMP: G-63 power fault: PI off, AI on, the state stays */
                c->power_fault_detected = true;
                ctrl_log(c, "Slot(%s): Power fault", c->slot);
                (void)slot_event(c, EV_PFD);
                c->step = IST_FAULT_LEDS;
            }
            break;
        case IST_FAULT_LEDS:
            if (!cmd_ready(c))
                goto out;
            leds_write(c, HW_SLTCTL_PWR_IND_OFF, HW_SLTCTL_ATTN_IND_ON);
            c->step = IST_DISPATCH;
            break;
        case IST_DISPATCH:
            /* IMP: L6.15 the disable or presence/link handling reads reset_lock */
            if (!ist_down_read(c))
                goto out;
            c->step = IST_END;
            /* IMP: G-61 a disable request wins; PL bits of the batch are dropped */
            if (c->events & DISABLE_SLOT) {
                c->step = work_step(c, slot_event(c, EV_DIS), IST_END);
            } else if ((c->events & HW_SLTSTA_ABP) && c->state == PCIEHP_BLINKINGON &&
                       sim_mutant(c->g->w, MUT_PLUG_WAITS_BUTTON)) {
                /* the presence change of the batch is dropped: power on at T5 */
            } else if (c->events & (HW_SLTSTA_PDC | HW_SLTSTA_DLLSC)) {
                enum slot_work w = slot_event(c, EV_PL);
                if (w == WORK_DISABLE_SURPRISE) {
                    if (c->events & HW_SLTSTA_DLLSC)
                        ctrl_log(c, "Slot(%s): Link Down", c->slot);
                    if (c->events & HW_SLTSTA_PDC)
                        ctrl_log(c, "Slot(%s): Card not present", c->slot);
                }
                c->step = work_step(c, w, IST_PL_OCCUPIED);
            }
            break;
        case IST_PL_OCCUPIED: {
            bool present = card_present(c), link = link_active(c);
            enum slot_work w = slot_event(c, EV_OCC);
            if (w == WORK_ENABLE) {
                if (present)
                    ctrl_log(c, "Slot(%s): Card present", c->slot);
                if (link)
                    ctrl_log(c, "Slot(%s): Link Up", c->slot);
            }
            c->step = work_step(c, w, IST_END);
            break;
        }
        case IST_PL_OFF_LEDS:
            if (!cmd_ready(c))
                goto out;
            leds_write(c, c->leds_pwr, c->leds_attn);
            c->step = IST_END;
            break;

        /* ---- enable: pciehp_enable_slot, board_added ---- */
        case IST_EN_BEGIN:
            c->seq_err = 0;
            /* IMP: G-72 an open latch fails the enable */
            if ((c->sltcap & HW_SLTCAP_MRLSP) && (c->hw->sltsta(c->ctx) & HW_SLTSTA_MRLSS)) {
                ctrl_log(c, "Slot(%s): Latch open", c->slot);
                c->seq_err = -ENODEV;
                c->step = IST_EN_FAIL_BUTTON_LEDS;
                break;
            }
            /* IMP: G-72 already powered: success without adding the board */
            if (power_ctrl(c) && powered(c)) {
                ctrl_log(c, "Slot(%s): Already enabled", c->slot);
                c->step = IST_EN_DONE;
                break;
            }
            c->step = power_ctrl(c) ? IST_EN_POWER : IST_EN_BLINK;
            break;
        case IST_EN_POWER:
            if (!cmd_ready(c))
                goto out;
            /* IMP: G-73 clear a stale power fault, power on, wait for completion */
            if (c->hw->sltsta(c->ctx) & HW_SLTSTA_PFD)
                c->hw->sltsta_clear(c->ctx, HW_SLTSTA_PFD);
            c->power_fault_detected = false;
            cmd_write(c, 0, HW_SLTCTL_PCC);
            c->step = IST_EN_POWER_WAIT;
            break;
        case IST_EN_POWER_WAIT:
            if (!cmd_ready(c))
                goto out;
            c->step = IST_EN_BLINK;
            break;
        case IST_EN_BLINK:
            if (!cmd_ready(c))
                goto out;
            leds_write(c, HW_SLTCTL_PWR_IND_BLINK, INDICATOR_NOOP);
            c->step = IST_EN_LINK;
            break;
        case IST_EN_LINK:
            /* IMP: G-74 no link-active reporting: sleep 1000 + 100 ms */
            if (!c->link_active_reporting) {
                thread_msleep(c, 1100, c->inband_presence_disabled ? IST_EN_PRESENCE_POLL
                                                                    : IST_EN_DEVICE_POLL);
                c->poll_left = c->inband_presence_disabled ? 1250 : 1000;
                goto out;
            }
            /* IMP: G-74 20 ms, then poll DLLLA for up to 1 s */
            c->poll_left = 1000;
            c->link_slept = false;
            c->link_end = 0;
            thread_msleep(c, 20, IST_EN_LINK_POLL);
            goto out;
        case IST_EN_LINK_POLL:
            /* 6.6+ (pcie_wait_for_link_status): 1 ms sleeps until 1 s of
             * jiffies has passed; before: 10 ms sleeps counted to 1000 */
            if (c->link_end == 0) /* pcie_wait_for_link_status starts its clock */
                c->link_end = jiffies(c) + kclock_ms_to_jiffies(1000);
            if (c->dllla_step_ms == 1 && c->link_slept && jiffies(c) >= c->link_end) {
                ctrl_log(c, "Slot(%s): No link", c->slot);
                c->seq_err = -1;
                c->step = IST_EN_FAIL_POWER;
                break;
            }
            c->link_slept = false;
            if (link_active(c)) {
                /* IMP: G-74 then a fixed 100 ms */
                c->poll_left = c->inband_presence_disabled ? 1250 : 1000;
                thread_msleep(c, 100, c->inband_presence_disabled ? IST_EN_PRESENCE_POLL
                                                                  : IST_EN_DEVICE_POLL);
                goto out;
            }
            if (c->dllla_step_ms == 1) {
                c->link_slept = true;
                thread_msleep(c, 1, IST_EN_LINK_POLL);
                goto out;
            }
            if (c->poll_left <= 0) {
                ctrl_log(c, "Slot(%s): No link", c->slot);
                c->seq_err = -1;
                c->step = IST_EN_FAIL_POWER;
                break;
            }
            c->poll_left -= (int)c->dllla_step_ms;
            thread_msleep(c, c->dllla_step_ms, IST_EN_LINK_POLL);
            goto out;
        case IST_EN_PRESENCE_POLL:
            /* in-band presence disabled: pcie_wait_for_presence, PDS every
             * 10 ms for 1250 ms (counted as the kernel counts, not as slept) */
            if (card_present(c)) {
                c->poll_left = 1000;
                c->step = IST_EN_DEVICE_POLL;
                break;
            }
            c->poll_left -= 10;
            thread_msleep(c, 10, IST_EN_PRESENCE_SLEPT);
            goto out;
        case IST_EN_PRESENCE_SLEPT:
            c->step = c->poll_left > 0 ? IST_EN_PRESENCE_POLL : IST_EN_DEVICE_POLL;
            if (c->step == IST_EN_DEVICE_POLL)
                c->poll_left = 1000;
            break;
        case IST_EN_DEVICE_POLL:
            /* IMP: G-75 poll function 0's vendor ID every 20 ms, up to 1 s */
            c->found = c->hw->dev_present(c->ctx);
            if (!c->found) {
                c->poll_left -= 20;
                thread_msleep(c, 20, IST_EN_DEVICE_SLEPT);
                goto out;
            }
            /* IMP: G-75 found: link or presence changes up to here are dropped */
            c->pending &= ~(uint32_t)(HW_SLTSTA_DLLSC | HW_SLTSTA_PDC);
            c->step = IST_EN_CHECK;
            break;
        case IST_EN_DEVICE_SLEPT:
            c->step = c->poll_left > 0 ? IST_EN_DEVICE_POLL : IST_EN_CHECK;
            break;
        case IST_EN_CHECK: {
            uint16_t lnk = c->hw->lnksta(c->ctx);
            c->step = IST_EN_FAIL_POWER;
            c->seq_err = -1;
            /* IMP: G-76 Link Training set or width 0: untrainable */
            if ((lnk & HW_LNKSTA_LT) || !(lnk & HW_LNKSTA_NLW)) {
                ctrl_log(c, "Slot(%s): Cannot train link: status %#06x", c->slot, lnk);
                break;
            }
            if (!c->found) {
                ctrl_log(c, "Slot(%s): No device found", c->slot);
                break;
            }
            /* IMP: G-73 fail on a recorded or present power fault */
            if (c->power_fault_detected || (c->hw->sltsta(c->ctx) & HW_SLTSTA_PFD)) {
                ctrl_log(c, "Slot(%s): Power fault", c->slot);
                c->seq_err = -EIO;
                break;
            }
            c->seq_err = 0;
            c->step = IST_EN_CONFIGURE;
            break;
        }
        case IST_EN_CONFIGURE:
            /* IMP: G-73 enumerate: scan, assign, add devices (driver probe) */
            c->step = IST_EN_CONFIGURED;
            c->block = BLOCK_CORE;
            c->core_pending = true;
            /* IMP: L6.15 binding drivers takes device locks: reset_lock is let
             * go meanwhile (f5eff5591b8f) */
            if (c->fix_reset_lock)
                ist_up_read(c);
            c->hw->configure(c->ctx, c);
            if (c->core_pending)
                goto out;
            break;
        case IST_EN_CONFIGURED:
            c->block = BLOCK_NONE;
            if (!ist_down_read(c))
                goto out;
            if (c->core_err && c->core_err != -EEXIST) {
                ctrl_log(c, "Cannot add device at 0000:%02x:00", (unsigned)c->p.secondary_bus);
                c->seq_err = c->core_err;
                c->step = IST_EN_FAIL_POWER;
                break;
            }
            c->step = IST_EN_LEDS_ON;
            break;
        case IST_EN_LEDS_ON:
            if (!cmd_ready(c))
                goto out;
            leds_write(c, HW_SLTCTL_PWR_IND_ON, HW_SLTCTL_ATTN_IND_OFF);
            c->step = IST_EN_DONE;
            break;
        case IST_EN_FAIL_POWER:
            /* IMP: G-77 set_slot_off: power off, wait 1 s, PI off, AI on */
            if (!power_ctrl(c)) {
                c->step = IST_EN_FAIL_LEDS;
                break;
            }
            if (!cmd_ready(c))
                goto out;
            cmd_write(c, HW_SLTCTL_PCC, HW_SLTCTL_PCC);
            c->step = IST_EN_FAIL_POWER_WAIT;
            break;
        case IST_EN_FAIL_POWER_WAIT:
            if (!cmd_ready(c))
                goto out;
            thread_msleep(c, 1000, IST_EN_FAIL_LEDS);
            goto out;
        case IST_EN_FAIL_LEDS:
            if (!cmd_ready(c))
                goto out;
            leds_write(c, HW_SLTCTL_PWR_IND_OFF, HW_SLTCTL_ATTN_IND_ON);
            c->step = IST_EN_FAIL_BUTTON_LEDS;
            break;
        case IST_EN_FAIL_BUTTON_LEDS:
            /* IMP: G-78 a failed enable with a button turns PI off (may blink) */
            if (attn_button(c)) {
                if (!cmd_ready(c))
                    goto out;
                leds_write(c, HW_SLTCTL_PWR_IND_OFF, INDICATOR_NOOP);
            }
            c->step = IST_EN_DONE;
            break;
        case IST_EN_DONE:
            /* IMP: G-71 ON on success, OFF on failure */
            set_state(c, c->seq_err ? PCIEHP_OFF : PCIEHP_ON,
                      c->seq_err ? "enable failed" : "enabled");
            c->request_result = c->seq_err;
            c->step = IST_END;
            break;

        /* ---- disable: pciehp_disable_slot, remove_board ---- */
        case IST_DIS_BEGIN:
            c->seq_err = 0;
            /* IMP: G-81 power already off: "Already disabled", still OFF */
            if (power_ctrl(c) && !powered(c)) {
                ctrl_log(c, "Slot(%s): Already disabled", c->slot);
                c->seq_err = -EINVAL;
                c->step = IST_DIS_DONE;
                break;
            }
            /* IMP: G-79 unbind and remove the devices (surprise: disconnected first) */
            c->step = IST_DIS_UNCONFIGURED;
            c->block = BLOCK_CORE;
            c->core_pending = true;
            /* IMP: L6.15 unbinding drivers takes device locks: reset_lock is
             * let go meanwhile (f5eff5591b8f) */
            if (c->fix_reset_lock)
                ist_up_read(c);
            c->hw->unconfigure(c->ctx, c, c->safe);
            if (c->core_pending)
                goto out;
            break;
        case IST_DIS_UNCONFIGURED:
            c->block = BLOCK_NONE;
            if (!ist_down_read(c))
                goto out;
            c->step = power_ctrl(c) ? IST_DIS_POWER : IST_DIS_LEDS;
            break;
        case IST_DIS_POWER:
            if (!cmd_ready(c))
                goto out;
            cmd_write(c, HW_SLTCTL_PCC, HW_SLTCTL_PCC);
            c->step = IST_DIS_POWER_WAIT;
            break;
        case IST_DIS_POWER_WAIT:
            if (!cmd_ready(c))
                goto out;
            /* IMP: G-80 wait 1 s after power-off */
            if (sim_mutant(c->g->w, MUT_POWER_OFF_NO_WAIT)) {
                c->step = IST_DIS_SLEPT;
                break;
            }
            thread_msleep(c, 1000, IST_DIS_SLEPT);
            goto out;
        case IST_DIS_SLEPT:
            /* IMP: G-80 drop the link/presence changes the power-off caused (bug 13) */
            if (c->fix_power_off_link)
                c->pending &= ~(uint32_t)(HW_SLTSTA_DLLSC | HW_SLTSTA_PDC);
            c->step = IST_DIS_LEDS;
            break;
        case IST_DIS_LEDS:
            if (!cmd_ready(c))
                goto out;
            /* IMP: G-80 then the power indicator goes off */
            if (!sim_mutant(c->g->w, MUT_POWER_INDICATOR_STAYS_ON))
                leds_write(c, HW_SLTCTL_PWR_IND_OFF, INDICATOR_NOOP);
            c->step = IST_DIS_DONE;
            break;
        case IST_DIS_DONE:
            set_state(c, PCIEHP_OFF, c->safe ? "safe removal done" : "surprise removal done");
            if (c->safe)
                c->request_result = c->seq_err;
            c->step = c->after_disable;
            break;

        case IST_END:
            ist_up_read(c);
            if (c->p.poll) {
                if (c->probing) {
                    c->probing = false;
                    /* IMP: G-86 the poller starts after 10 s */
                    guest_timer_arm(&c->poller, kclock_timer_delay(c->clk, uptime(c),
                                                                   jiffies(c) + 10 * KCLOCK_HZ));
                    thread_end(c);
                    goto out;
                }
                if (isr(c) || c->pending) {
                    c->step = IST_BEGIN;
                    break;
                }
                guest_timer_arm(&c->poller, poll_interval(c));
                thread_end(c);
                goto out;
            }
            c->probing = false;
            if (c->pending) {
                c->step = IST_BEGIN;
                break;
            }
            thread_end(c);
            goto out;
        }
    }
out:
    c->in_thread = false;
}

void pciehp_core_done(struct pciehp_ctrl *c, int err)
{
    SIM_ASSERT(c->block == BLOCK_CORE && c->core_pending);
    c->core_pending = false;
    c->core_err = err;
    thread_wake(c, BLOCK_CORE);
}

/* ---- the slot reset (pciehp_reset_slot) ------------------------------------------------ */

/* One step of the reset; runs from pciehp_reset_slot, from its timer, and
 * from the thread when it lets go of reset_lock. */
static void reset_run(struct pciehp_ctrl *c)
{
    switch (c->reset_step) {
    case RESET_IDLE:
    case RESET_END:
        return;
    case RESET_LOCK: {
        /* down_write_nested: no reader, no other writer */
        if (c->rl_read || c->rl_write)
            return;
        c->rl_write = true;
        /* mask the link (and, without a button, presence) changes the
         * reset causes; pcie_write_cmd */
        c->reset_mask = HW_SLTCTL_DLLSCE | (attn_button(c) ? 0 : HW_SLTCTL_PDCE);
        cmd_write(c, 0, c->reset_mask);
        c->reset_step = RESET_SBR;
        /* pci_reset_secondary_bus: SBR set, msleep(2), cleared, ssleep(1) */
        guest_timer_arm(&c->reset_t, kclock_msleep(c->clk, uptime(c), 2) +
                                         kclock_msleep(c->clk, uptime(c), 1000));
        return;
    }
    case RESET_SBR: {
        /* clear what the reset caused, unmask (pcie_write_cmd_nowait), up_write */
        uint16_t stat = HW_SLTSTA_DLLSC | (attn_button(c) ? 0 : HW_SLTSTA_PDC);
        c->hw->sltsta_clear(c->ctx, stat);
        cmd_write(c, c->reset_mask, c->reset_mask);
        c->rl_write = false;
        c->reset_step = RESET_IDLE;
        void (*done)(void *, int) = c->reset_done;
        void *ctx = c->reset_ctx;
        c->reset_done = NULL;
        thread_wake(c, BLOCK_RESET);
        if (done)
            done(ctx, 0);
        return;
    }
    }
    SIM_ASSERT(!"unhandled reset step");
}

static void reset_fire(struct guest *g, struct guest_timer *t)
{
    (void)g;
    reset_run(SIM_CONTAINER_OF(t, struct pciehp_ctrl, reset_t));
}

int pciehp_reset_slot(struct pciehp_ctrl *c, void (*done)(void *ctx, int result), void *ctx)
{
    if (c->reset_step != RESET_IDLE)
        return -EBUSY; /* one resetter at a time (its caller holds the device lock) */
    c->reset_done = done;
    c->reset_ctx = ctx;
    c->reset_step = RESET_LOCK;
    reset_run(c);
    return 0;
}

bool pciehp_resetting(const struct pciehp_ctrl *c)
{
    return c->reset_step != RESET_IDLE;
}

/* ---- probe and the rest of the API ---------------------------------------------------- */

static bool kernel_at_least(const struct pciehp_params *p, unsigned major, unsigned minor)
{
    return p->kernel_major > major || (p->kernel_major == major && p->kernel_minor >= minor);
}

#define FLAG(x) ((x) ? '+' : '-')

struct pciehp_ctrl *pciehp_probe(struct guest *g, struct kclock *clk,
                                 const struct pciehp_params *p, const struct pciehp_hw *hw,
                                 void *ctx)
{
    struct pciehp_ctrl *c = sim_xcalloc(1, sizeof(*c));
    c->g = g;
    c->clk = clk;
    c->hw = hw;
    c->ctx = ctx;
    c->p = *p;
    sim_strlcpy(c->port, p->port, sizeof(c->port));
    sim_strlcpy(c->slot, p->slot, sizeof(c->slot));
    c->p.port = c->port;
    c->p.slot = c->slot;
    snprintf(c->entity, sizeof(c->entity), "pciehp slot %s", c->slot);
    c->fix_msi_reread = kernel_at_least(p, 5, 9);
    c->fix_pfd_in_isr = kernel_at_least(p, 5, 16);
    /* Both fixes were sent to stable; Debian 12's 6.1.y carries them
     * (doc/guest.md says how sure that is). */
    c->fix_blinkingon_gone = kernel_at_least(p, 6, 1);
    c->fix_power_off_link = kernel_at_least(p, 6, 1);
    c->dllla_step_ms = kernel_at_least(p, 6, 6) ? 1 : 10;
    /* f5eff5591b8f (2023) was sent to stable for 4.19+: 6.1.y has it */
    c->fix_reset_lock = kernel_at_least(p, 6, 1);
    guest_timer_init(&c->thread, g, thread_fire, "pciehp-irq-thread");
    guest_timer_init(&c->reset_t, g, reset_fire, "pciehp-reset-slot");
    guest_timer_init(&c->button, g, button_fire, "pciehp-button");
    guest_timer_init(&c->poller, g, poller_fire, "pciehp-poll");

    /* pcie_init */
    c->sltcap = hw->sltcap(ctx);
    c->link_active_reporting = hw->lnkcap(ctx) & PCIEHP_LNKCAP_DLLLARC;
    uint32_t cap2 = hw->sltcap2(ctx);
    if (cap2 & PCIEHP_SLTCAP2_IBPD) {
        hw->sltctl_write(ctx, hw->sltctl(ctx) | PCIEHP_SLTCTL_IBPD_DISABLE);
        c->inband_presence_disabled = true;
    }
    /* IMP: G-53 ON if the bus already has devices, else OFF */
    c->state = hw->bus_has_devices(ctx) ? PCIEHP_ON : PCIEHP_OFF;
    /* IMP: G-54 clear every stale event bit */
    hw->sltsta_clear(ctx, HW_SLTSTA_ABP | HW_SLTSTA_PFD | HW_SLTSTA_MRLSC | HW_SLTSTA_PDC |
                              HW_SLTSTA_CC | HW_SLTSTA_DLLSC);
    uint32_t sc = c->sltcap;
    ctrl_log(c,
             "Slot #%u AttnBtn%c PwrCtrl%c MRL%c AttnInd%c PwrInd%c HotPlug%c Surprise%c "
             "Interlock%c NoCompl%c IbPresDis%c LLActRep%c%s",
             (unsigned)(sc >> HW_SLTCAP_PSN_SHIFT), FLAG(sc & HW_SLTCAP_ABP),
             FLAG(sc & HW_SLTCAP_PCP), FLAG(sc & HW_SLTCAP_MRLSP), FLAG(sc & HW_SLTCAP_AIP),
             FLAG(sc & HW_SLTCAP_PIP), FLAG(sc & HW_SLTCAP_HPC), FLAG(sc & HW_SLTCAP_HPS),
             FLAG(sc & PCIEHP_SLTCAP_EIP), FLAG(sc & HW_SLTCAP_NCCS),
             FLAG(cap2 & PCIEHP_SLTCAP2_IBPD), FLAG(c->link_active_reporting),
             p->broken_cmd_compl ? " (with Cmd Compl erratum)" : "");
    sim_emit_state(g->vm, obs_host_of(g), c->entity, NULL, state_names[c->state], "probe");

    /* the rest of the probe writes Slot Control and may wait for completion;
     * it runs once the caller knows the controller (its interrupts arrive) */
    c->probing = true;
    c->step = IST_PROBE_QUIET;
    thread_sleep(c, BLOCK_SLEEP, 0);
    return c;
}

void pciehp_free(struct pciehp_ctrl *c)
{
    if (!c)
        return;
    guest_timer_cancel(&c->thread);
    guest_timer_cancel(&c->button);
    guest_timer_cancel(&c->poller);
    guest_timer_cancel(&c->reset_t);
    free(c);
}

void pciehp_press(struct pciehp_ctrl *c)
{
    if (c->p.ignore_button)
        return;
    c->pending |= HW_SLTSTA_ABP;
    if (!c->p.poll)
        thread_start(c);
}

static int sysfs(struct pciehp_ctrl *c, enum slot_event ev, void (*done)(void *, int), void *ctx)
{
    enum slot_work w = slot_event(c, ev);
    if (w != WORK_REQUEST_PDC && w != WORK_REQUEST_DIS)
        return -ENODEV;
    c->sysfs_done = done;
    c->sysfs_ctx = ctx;
    request(c, w == WORK_REQUEST_PDC ? HW_SLTSTA_PDC : DISABLE_SLOT);
    return 0;
}

int pciehp_sysfs_enable(struct pciehp_ctrl *c, void (*done)(void *ctx, int result), void *ctx)
{
    /* IMP: G-84 */
    return sysfs(c, EV_SYSFS_ON, done, ctx);
}

int pciehp_sysfs_disable(struct pciehp_ctrl *c, void (*done)(void *ctx, int result), void *ctx)
{
    /* IMP: G-85 */
    return sysfs(c, EV_SYSFS_OFF, done, ctx);
}

enum pciehp_state pciehp_state(const struct pciehp_ctrl *c)
{
    return c->state;
}

const char *pciehp_slot_name(const struct pciehp_ctrl *c)
{
    return c->slot;
}

bool pciehp_busy(const struct pciehp_ctrl *c)
{
    return c->step != IST_IDLE || c->pending;
}
