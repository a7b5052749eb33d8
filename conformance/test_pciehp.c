/*
 * pciehp, the native PCIe hotplug driver of the linux guest, against a
 * scripted slot (pciehp_fixture.h): probe, the interrupt handler, every row
 * of the slot state machine (linux-guest.md section 3), the enable and
 * disable sequences with their timings, command-completion waits, poll mode
 * and sysfs, and the kernel-version behaviour of bugs 12, 13, 14 and 14b.
 */
#include "pciehp_fixture.h"

#include "sim/mutant.h"

static const char SLOT_LINE[] =
    "pcieport 0000:00:02.0: pciehp: Slot #0 AttnBtn+ PwrCtrl+ MRL- AttnInd+ PwrInd+ HotPlug+ "
    "Surprise+ Interlock+ NoCompl- IbPresDis- LLActRep+";

/* A slot that QEMU has just plugged and pciehp brought up (ON at ~0.2 s). */
static struct fslot *plugged(uint64_t mutants, const char *knobs)
{
    struct fslot *s = fs_new_knobs(mutants, knobs);
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    fs_plug(s);
    fs_run(s, SIM_MS(600));
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    return s;
}

/* ---- probe -------------------------------------------------------------------- */

static void probe_line_and_notifications(void **state)
{
    (void)state;
    EVIDENCE(G-53, G-54, G-56);
    struct fslot *s = fs_new();
    s->events = HW_SLTSTA_ABP | HW_SLTSTA_PDC | HW_SLTSTA_CC | HW_SLTSTA_DLLSC; /* stale */
    fs_probe(s);
    fs_run(s, SIM_MS(50));
    /* the exact line of the recorded boot (FINDINGS.md section 2) */
    long i = fs_log(s, "pciehp: Slot #0");
    assert_true(i >= 0);
    assert_string_equal(s->cap.v[i].o.u.klog.text, SLOT_LINE);
    /* G-53: empty bus -> OFF; G-54: stale events cleared (no action taken) */
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    assert_int_equal(s->configures, 0);
    assert_int_equal(fs_count(s, "Attention button"), 0);
    assert_int_equal(s->events, 0); /* cleared, not left to block the MSI edge */
    /* G-56: DLLSCE, ABPE (button present), HPIE, CCIE; never PDCE/PFDE/MRLSCE */
    uint16_t want = HW_SLTCTL_DLLSCE | HW_SLTCTL_ABPE | HW_SLTCTL_HPIE | HW_SLTCTL_CCIE;
    uint16_t notif = HW_SLTCTL_DLLSCE | HW_SLTCTL_ABPE | HW_SLTCTL_PDCE | HW_SLTCTL_HPIE |
                     HW_SLTCTL_CCIE | HW_SLTCTL_PFDE | HW_SLTCTL_MRLSCE;
    assert_int_equal(s->sltctl & notif, want);
    fs_free(s);

    /* no attention button: PDCE instead of ABPE; an occupied bus: ON */
    s = fs_new();
    s->sltcap &= ~HW_SLTCAP_ABP;
    s->bus_devices = true;
    s->card = s->link = true;
    s->sltctl &= (uint16_t)~HW_SLTCTL_PCC;
    fs_probe(s);
    fs_run(s, SIM_MS(50));
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    assert_int_equal(s->sltctl & notif, HW_SLTCTL_DLLSCE | HW_SLTCTL_PDCE | HW_SLTCTL_HPIE |
                                            HW_SLTCTL_CCIE);
    fs_free(s);

    /* no command-completed support: no CCIE; poll mode: neither HPIE nor CCIE */
    s = fs_new();
    s->sltcap |= HW_SLTCAP_NCCS;
    fs_probe(s);
    fs_run(s, SIM_MS(50));
    assert_int_equal(s->sltctl & notif, HW_SLTCTL_DLLSCE | HW_SLTCTL_ABPE | HW_SLTCTL_HPIE);
    assert_true(strstr(s->cap.v[fs_log(s, "Slot #0")].o.u.klog.text, "NoCompl+") != NULL);
    fs_free(s);
    s = fs_new_knobs(0, "pciehp-poll on\n");
    fs_probe(s);
    fs_run(s, SIM_MS(50));
    assert_int_equal(s->sltctl & notif, HW_SLTCTL_DLLSCE | HW_SLTCTL_ABPE);
    fs_free(s);
}

static void probe_powers_off_empty_slot(void **state)
{
    (void)state;
    EVIDENCE(G-55);
    /* powered but empty: power off (notifications disabled first) */
    struct fslot *s = fs_new();
    s->sltctl = HW_SLTCTL_PWR_IND_ON | HW_SLTCTL_ATTN_IND_OFF; /* PCC = 0: on */
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    assert_true(s->sltctl & HW_SLTCTL_PCC);
    assert_int_equal(s->writes, 3); /* notifications off, power off, notifications on */
    fs_free(s);
    /* powered and occupied: left alone */
    s = fs_new();
    s->sltctl = HW_SLTCTL_PWR_IND_ON | HW_SLTCTL_ATTN_IND_OFF;
    s->card = s->link = s->bus_devices = true;
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    assert_false(s->sltctl & HW_SLTCTL_PCC);
    assert_int_equal(s->writes, 1);
    fs_free(s);
}

static void probe_checks_presence(void **state)
{
    (void)state;
    EVIDENCE(G-57, G-72);
    /* a card present but not enumerated (OFF): a synthesized PDC enables it */
    struct fslot *s = fs_new();
    s->card = s->link = true;
    fs_probe(s);
    fs_run(s, SIM_S(1));
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    assert_int_equal(s->configures, 1);
    assert_true(fs_log(s, "Slot(0-1): Card present") >= 0);
    fs_free(s);
    /* powered and present but OFF: "Already enabled", ON without re-adding */
    s = fs_new();
    s->card = s->link = true;
    s->sltctl = HW_SLTCTL_PWR_IND_ON | HW_SLTCTL_ATTN_IND_OFF;
    fs_probe(s);
    fs_run(s, SIM_S(1));
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    assert_true(fs_log(s, "Slot(0-1): Already enabled") >= 0);
    assert_int_equal(s->configures, 0);
    fs_free(s);
    /* an enumerated bus whose card is gone: surprise removal at probe (no
     * power controller: with one, G-55 powers the empty slot off first and
     * the disable only says "Already disabled") */
    s = fs_new();
    s->sltcap &= ~HW_SLTCAP_PCP;
    s->bus_devices = true;
    s->sltctl = HW_SLTCTL_PWR_IND_ON | HW_SLTCTL_ATTN_IND_OFF;
    fs_probe(s);
    fs_run(s, SIM_S(3));
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    assert_int_equal(s->unconfigures, 1);
    assert_false(s->last_safe);
    fs_free(s);
}

/* ---- plug and unplug as QEMU does them ------------------------------------------- */

static void qemu_plug_powers_on_at_once(void **state)
{
    (void)state;
    EVIDENCE(G-61, G-64, G-71, G-73, G-74, G-75);
    struct fslot *s = fs_new();
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    fs_plug(s);
    fs_run(s, SIM_MS(101));
    /* ABP and PDC in one batch: the button first (BLINKINGON), then the
     * presence change enables at once, with the recorded wording */
    const char *want[] = {
        "pcieport 0000:00:02.0: pciehp: Slot(0-1): Attention button pressed",
        "pcieport 0000:00:02.0: pciehp: Slot(0-1) Powering on due to button press",
        "pcieport 0000:00:02.0: pciehp: Slot(0-1): Card present",
        "pcieport 0000:00:02.0: pciehp: Slot(0-1): Link Up",
    };
    long at = 0;
    for (size_t k = 0; k < SIM_ARRAY_SIZE(want); k++) {
        at = fo_find(&s->cap, (size_t)at, OBS_KLOG, OBS_SOURCE, want[k], NULL);
        assert_true(at >= 0);
        assert_string_equal(s->cap.v[at].o.u.klog.text, want[k]);
    }
    assert_int_equal(pciehp_state(s->c), PCIEHP_POWERON);
    fs_run(s, SIM_S(1));
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    assert_int_equal(s->configures, 1);
    /* G-74: 20 ms + DLLLA + 100 ms (msleep at HZ=250: 24-28 + 104-108 ms);
     * recorded: first pci line ~135 ms after Link Up */
    sim_time up = fs_log_at(s, "Link Up");
    sim_time dt = s->configured_at - up;
    assert_true(dt >= SIM_MS(124) && dt <= SIM_MS(140));
    /* G-73: powered, PI on, AI off at the end; the 5 s timer was cancelled */
    assert_int_equal(s->sltctl & (HW_SLTCTL_PCC | HW_SLTCTL_PIC | HW_SLTCTL_AIC),
                     HW_SLTCTL_PWR_IND_ON | HW_SLTCTL_ATTN_IND_OFF);
    fs_run(s, SIM_S(8));
    assert_int_equal(s->configures, 1);
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    fs_free(s);
}

static void qemu_unplug_waits_5s_then_removes(void **state)
{
    (void)state;
    EVIDENCE(G-64, G-67, G-68, G-79, G-80);
    struct fslot *s = plugged(0, NULL);
    sim_time press = SIM_S(1);
    fs_run(s, press);
    fs_press(s);
    fs_run(s, press + SIM_MS(10));
    assert_int_equal(pciehp_state(s->c), PCIEHP_BLINKINGOFF);
    assert_string_equal(s->cap.v[fs_log(s, "Powering off")].o.u.klog.text,
                        "pcieport 0000:00:02.0: pciehp: Slot(0-1): Powering off due to button press");
    assert_int_equal(s->sltctl & HW_SLTCTL_PIC, HW_SLTCTL_PWR_IND_BLINK);
    fs_run(s, press + SIM_S(5));
    assert_int_equal(s->unconfigures, 0); /* not before 5 s */
    fs_run(s, press + SIM_S(8));
    /* G-67/G-68: timer -> disable request -> safe removal -> OFF */
    assert_int_equal(s->unconfigures, 1);
    assert_true(s->last_safe);
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    /* the delayed work lands on the timer wheel: 5.0-5.26 s (recorded 5.02-5.25) */
    sim_time t5 = s->unconfigured_at - press;
    assert_true(t5 > SIM_S(5) && t5 <= SIM_MS(5260));
    /* G-80: power off, 1 s (msleep: 1.004-1.036 s), then PI off */
    assert_true(s->sltctl & HW_SLTCTL_PCC);
    sim_time wait = s->pi_off_at - s->unconfigured_at;
    assert_true(wait >= SIM_MS(1004) && wait <= SIM_MS(1040));
    fs_free(s);
}

static void second_press_cancels(void **state)
{
    (void)state;
    EVIDENCE(G-65);
    struct fslot *s = plugged(0, NULL);
    fs_run(s, SIM_S(1));
    fs_press(s);
    fs_run(s, SIM_S(3));
    fs_press(s);
    fs_run(s, SIM_S(3) + SIM_MS(10));
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    assert_true(fs_log(s, "Slot(0-1): Button cancel") >= 0);
    assert_true(fs_log(s, "Slot(0-1): Action canceled due to button press") >=
                fs_log(s, "Slot(0-1): Button cancel"));
    assert_int_equal(s->sltctl & (HW_SLTCTL_PIC | HW_SLTCTL_AIC),
                     HW_SLTCTL_PWR_IND_ON | HW_SLTCTL_ATTN_IND_OFF);
    fs_run(s, SIM_S(12));
    assert_int_equal(s->unconfigures, 0);
    fs_free(s);

    /* BLINKINGON cancelled: back to OFF, PI off, never enabled */
    s = fs_new();
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    s->card = s->link = true; /* a card sits there; the user presses */
    fs_press(s);
    fs_run(s, SIM_S(1));
    assert_int_equal(pciehp_state(s->c), PCIEHP_BLINKINGON);
    fs_press(s);
    fs_run(s, SIM_S(10));
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    assert_int_equal(s->configures, 0);
    assert_int_equal(s->sltctl & (HW_SLTCTL_PIC | HW_SLTCTL_AIC),
                     HW_SLTCTL_PWR_IND_OFF | HW_SLTCTL_ATTN_IND_OFF);
    fs_free(s);
}

static void timer_in_blinkingon_enables(void **state)
{
    (void)state;
    EVIDENCE(G-64, G-67, G-71);
    /* a press on an occupied OFF slot powers it on after the 5 s blink */
    struct fslot *s = fs_new();
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    s->card = s->link = true;
    fs_press(s);
    fs_run(s, SIM_S(5));
    assert_int_equal(pciehp_state(s->c), PCIEHP_BLINKINGON);
    assert_int_equal(s->configures, 0);
    fs_run(s, SIM_S(7));
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    assert_int_equal(s->configures, 1);
    fs_free(s);
}

static void press_during_removal_waits(void **state)
{
    (void)state;
    EVIDENCE(G-61, G-70);
    /* The IRQ thread handles one batch at a time, so a press during the
     * removal (POWEROFF) is seen only once the slot is OFF: it starts a
     * power-on blink, whose timer finds the slot empty.  (The "Ignoring
     * invalid state" row of G-66 cannot be reached this way in 6.1.) */
    struct fslot *s = plugged(0, NULL);
    s->core_delay = SIM_MS(500); /* the driver's remove takes time */
    fs_run(s, SIM_S(1));
    fs_press(s);
    fs_run(s, SIM_MS(6300));
    assert_int_equal(pciehp_state(s->c), PCIEHP_POWEROFF);
    s->card = s->link = false; /* QEMU completes the unplug at power-off */
    fs_press(s);
    fs_run(s, SIM_MS(6310));
    assert_int_equal(fs_count(s, "Attention button pressed"), 2);
    fs_run(s, SIM_S(8));
    assert_int_equal(pciehp_state(s->c), PCIEHP_BLINKINGON);
    assert_int_equal(fs_count(s, "Attention button pressed"), 3);
    assert_int_equal(fs_count(s, "Ignoring invalid state"), 0);
    fs_run(s, SIM_S(20));
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    assert_true(fs_log(s, "Slot(0-1): Card not present") >= 0);
    assert_int_equal(s->unconfigures, 1);
    assert_int_equal(s->configures, 1);
    fs_free(s);
}

/*
 * linux-guest.md bug 15: a slot reset concurrent with a hot-removal.  The
 * resetter (pci_reset_function: a VF reset from its driver, or a write to
 * sysfs `reset`) holds the function's device lock, then takes reset_lock
 * for writing; the IRQ thread reads reset_lock while it removes the slot's
 * devices, and unbinding the driver needs the device lock.  Here the
 * resetter takes the device lock during the 5 s blink, the timer's removal
 * starts and waits for it in the unbind, and then the reset asks for
 * reset_lock.  Since f5eff5591b8f the thread lets go of reset_lock around
 * the unbind: the reset runs (events masked, 1 s), lets go of the device
 * lock, and the removal completes.  Before (kernel 5.15 here) each waits
 * for the other forever.
 */
static void reset_then_removal(const char *knobs, bool *reset_done, enum pciehp_state *st,
                               int *removals)
{
    struct fslot *s = plugged(0, knobs);
    fs_run(s, SIM_S(1));
    fs_press(s);
    fs_run(s, SIM_MS(5500));
    assert_int_equal(pciehp_state(s->c), PCIEHP_BLINKINGOFF);
    s->dev_locked = true; /* pci_dev_lock() of the resetter */
    fs_run(s, SIM_MS(6300)); /* the timer ran: the removal waits in the unbind */
    assert_int_equal(pciehp_state(s->c), PCIEHP_POWEROFF);
    assert_true(s->unconfig_waiting);
    uint16_t before = s->sltctl;
    assert_int_equal(pciehp_reset_slot(s->c, fs_reset_done, s), 0);
    assert_int_equal(pciehp_reset_slot(s->c, fs_reset_done, s), -EBUSY);
    fs_run(s, SIM_S(20));
    *reset_done = s->reset_done;
    *st = pciehp_state(s->c);
    *removals = s->unconfigures - (s->unconfig_waiting ? 1 : 0);
    if (s->reset_done) {
        /* link changes were masked during the reset and unmasked after */
        assert_int_equal(s->reset_result, 0);
        assert_true(before & HW_SLTCTL_DLLSCE);
        assert_true(s->sltctl & HW_SLTCTL_DLLSCE);
        assert_true(s->reset_done_at - SIM_MS(6300) >= SIM_S(1));
        assert_true(s->unconfigured_at >= s->reset_done_at);
        assert_false(pciehp_resetting(s->c));
    }
    fs_free(s);
}

static void slot_reset_vs_removal(void **state)
{
    (void)state;
    EVIDENCE(L6.15, G-68, G-79);
    bool done;
    enum pciehp_state st;
    int removals;
    reset_then_removal(NULL, &done, &st, &removals); /* 6.1: the fix */
    assert_true(done);
    assert_int_equal(st, PCIEHP_OFF);
    assert_int_equal(removals, 1);
    reset_then_removal("    kernel 5.15\n", &done, &st, &removals); /* before it */
    assert_false(done);
    assert_int_equal(st, PCIEHP_POWEROFF);
    assert_int_equal(removals, 0);
}

/* A reset while the slot is idle holds events back for its second, and
 * a removal that comes meanwhile waits for it (reset_lock). */
static void slot_reset_defers_removal(void **state)
{
    (void)state;
    EVIDENCE(L6.15, G-61);
    struct fslot *s = plugged(0, NULL);
    fs_run(s, SIM_S(1));
    assert_int_equal(pciehp_reset_slot(s->c, fs_reset_done, s), 0);
    assert_false(s->sltctl & HW_SLTCTL_DLLSCE); /* masked */
    fs_pull(s); /* PDC still enabled (the button slot masks only DLLSC) */
    fs_run(s, SIM_MS(2500));
    assert_true(s->reset_done);
    /* the surprise removal ran only after the reset let go of reset_lock */
    assert_int_equal(s->unconfigures, 1);
    assert_true(s->unconfigured_at >= s->reset_done_at);
    fs_run(s, SIM_S(5));
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    fs_free(s);
}

/* ---- surprise removal and presence changes ----------------------------------------- */

static void surprise_removal(void **state)
{
    (void)state;
    EVIDENCE(G-69, G-70, G-79);
    struct fslot *s = plugged(0, NULL);
    fs_run(s, SIM_S(1));
    fs_pull(s);
    fs_run(s, SIM_S(4));
    assert_true(fs_log(s, "Slot(0-1): Link Down") >= 0);
    assert_true(fs_log(s, "Slot(0-1): Card not present") > fs_log(s, "Slot(0-1): Link Down"));
    assert_int_equal(s->unconfigures, 1);
    assert_false(s->last_safe); /* G-79: devices marked disconnected first */
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    assert_int_equal(s->configures, 1); /* G-70: nothing there, stays OFF */
    fs_free(s);

    /* the link bounced but a card is there (maybe swapped): off first, then on */
    s = plugged(0, NULL);
    fs_run(s, SIM_S(1));
    fs_notify(s, HW_SLTSTA_DLLSC);
    fs_run(s, SIM_S(5));
    assert_int_equal(s->unconfigures, 1);
    assert_false(s->last_safe);
    assert_int_equal(s->configures, 2);
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    fs_free(s);

    /* a presence change while BLINKINGOFF cancels the timer and removes */
    s = plugged(0, NULL);
    fs_run(s, SIM_S(1));
    fs_press(s);
    fs_run(s, SIM_S(2));
    fs_pull(s);
    fs_run(s, SIM_S(4));
    assert_int_equal(s->unconfigures, 1);
    assert_false(s->last_safe);
    fs_run(s, SIM_S(12));
    assert_int_equal(s->unconfigures, 1); /* the 5 s timer did not fire later */
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    fs_free(s);
}

static void card_gone_while_blinkingon(void **state)
{
    (void)state;
    EVIDENCE(G-70, L6.12);
    /* bug 12: the card is pulled during the power-on blink.  With a button
     * only ABP and DLLSC interrupt, so nobody notices until the 5 s work
     * synthesizes a presence change: 6.1 then returns to OFF with PI off;
     * 5.10 stays BLINKINGON with the indicator blinking for ever */
    const char *knobs[] = { NULL, "kernel 5.10\n" };
    for (int k = 0; k < 2; k++) {
        struct fslot *s = fs_new_knobs(0, knobs[k]);
        fs_probe(s);
        fs_run(s, SIM_MS(100));
        s->card = s->link = true;
        fs_press(s);
        fs_run(s, SIM_S(2));
        s->card = s->link = false;
        fs_run(s, SIM_S(8));
        if (k == 0) {
            assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
            assert_int_equal(s->sltctl & HW_SLTCTL_PIC, HW_SLTCTL_PWR_IND_OFF);
            assert_true(fs_log(s, "Slot(0-1): Card not present") >= 0);
        } else {
            assert_int_equal(pciehp_state(s->c), PCIEHP_BLINKINGON);
            assert_int_equal(s->sltctl & HW_SLTCTL_PIC, HW_SLTCTL_PWR_IND_BLINK);
        }
        fs_run(s, SIM_S(10));
        assert_int_equal(s->configures, 0);
        fs_free(s);
    }
}

static void disable_wins_over_presence(void **state)
{
    (void)state;
    EVIDENCE(G-61, L6.16);
    /* a slow guest (eject-delay): a sysfs disable and a presence change wait
     * in the same batch; only the disable is handled (safe removal, no
     * "Card not present"), and its presence bits are dropped */
    struct fslot *s = plugged(0, "eject-delay 200ms\n");
    fs_run(s, SIM_S(1));
    assert_int_equal(pciehp_sysfs_disable(s->c, fs_sysfs_done, s), 0);
    s->card = s->link = false;
    fs_notify(s, HW_SLTSTA_PDC | HW_SLTSTA_DLLSC); /* DLLSCE is on: the ISR reads both */
    fs_run(s, SIM_S(5));
    assert_int_equal(s->unconfigures, 1);
    assert_true(s->last_safe);
    assert_int_equal(fs_count(s, "Card not present"), 0);
    assert_int_equal(fs_count(s, "Link Down"), 0);
    assert_true(s->sysfs_done);
    assert_int_equal(s->sysfs_result, 0);
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    fs_free(s);
}

/* ---- power faults and the interrupt handler ------------------------------------------ */

static void power_fault(void **state)
{
    (void)state;
    EVIDENCE(G-59, G-63, L6.14b);
    struct fslot *s = plugged(0, NULL);
    fs_run(s, SIM_S(1));
    s->sticky_pfd = true;
    s->events |= HW_SLTSTA_PFD; /* PFDE is off: reported with the next interrupt */
    fs_press(s);
    fs_run(s, SIM_MS(1100));
    long i = fs_log(s, "Slot(0-1): Power fault");
    assert_true(i >= 0);
    /* no state change; PI off, AI on */
    assert_int_equal(pciehp_state(s->c), PCIEHP_BLINKINGOFF);
    assert_int_equal(s->sltctl & (HW_SLTCTL_PIC | HW_SLTCTL_AIC),
                     HW_SLTCTL_PWR_IND_OFF | HW_SLTCTL_ATTN_IND_ON);
    /* a fault that stays asserted is reported once (bug 14b) */
    fs_press(s);
    fs_run(s, SIM_MS(1200));
    assert_int_equal(fs_count(s, "Power fault"), 1);
    fs_free(s);
}

static void sticky_fault_livelocks_old_kernels(void **state)
{
    (void)state;
    EVIDENCE(G-59, L6.14b);
    /* 5.10: PFD is latched only by the thread, so the MSI re-read loop of
     * the hard handler spins on a fault that re-asserts (bug 14b) */
    struct fslot *s = plugged(0, "kernel 5.10\n");
    fs_run(s, SIM_S(1));
    s->sticky_pfd = true;
    s->events |= HW_SLTSTA_PFD;
    fs_press(s);
    fs_run(s, SIM_S(2));
    assert_true(fo_find(&s->cap, 0, OBS_STATE, OBS_SOURCE, "pciehp slot 0-1", "wedged") >= 0);
    assert_int_equal(fs_count(s, "Power fault"), 0);
    fs_free(s);
}

static void isr_ignores_when_disabled(void **state)
{
    (void)state;
    EVIDENCE(G-58);
    /* probe blocked on a command that never completes: HPIE is still off */
    struct fslot *s = fs_new();
    s->cc_never = true;
    s->sltctl = HW_SLTCTL_PWR_IND_ON | HW_SLTCTL_ATTN_IND_OFF; /* powered, empty */
    fs_probe(s);
    fs_run(s, SIM_MS(10));
    s->events |= HW_SLTSTA_ABP;
    pciehp_irq(s->c);
    fs_run(s, SIM_MS(20));
    assert_int_equal(fs_count(s, "Attention button"), 0);
    assert_true(s->events & HW_SLTSTA_ABP); /* not even read and cleared */
    fs_free(s);
}

static void msi_reread_catches_racing_event(void **state)
{
    (void)state;
    EVIDENCE(G-59, L6.14);
    /* an event set between the handler's read and its clear sends no new
     * MSI (the bits are not all zero); 6.1 re-reads and handles it, 5.4
     * loses it (bug 14) */
    const char *knobs[] = { NULL, "kernel 5.4\n" };
    for (int k = 0; k < 2; k++) {
        struct fslot *s = plugged(0, knobs[k]);
        fs_run(s, SIM_S(1));
        s->race_bits = HW_SLTSTA_ABP;
        s->card = s->link = false;
        fs_notify(s, HW_SLTSTA_DLLSC);
        fs_run(s, SIM_S(3));
        if (k == 0) {
            assert_int_equal(fs_count(s, "Attention button pressed"), 2);
            assert_int_equal(s->events, 0);
        } else {
            assert_true(s->events & HW_SLTSTA_ABP); /* still pending, never seen */
        }
        fs_free(s);
    }
}

static void cc_consumed_by_hard_handler(void **state)
{
    (void)state;
    EVIDENCE(G-60, G-82);
    /* CC takes 300 ms: each Slot Control write waits for the previous one */
    struct fslot *s = fs_new();
    s->cc_delay = SIM_MS(300);
    fs_probe(s);
    fs_run(s, SIM_S(1));
    fs_plug(s);
    fs_run(s, SIM_S(4));
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    /* indicators (blink) -> power on (waits for it and for itself) -> blink ->
     * ... ; the Link Up-to-enumeration time grows by the waits */
    sim_time dt = s->configured_at - fs_log_at(s, "Link Up");
    assert_true(dt > SIM_MS(600));
    assert_int_equal(fs_count(s, "Timeout on hotplug command"), 0);
    /* a CC-only interrupt never reaches the thread: no line, no state */
    size_t n = s->cap.n;
    fs_notify(s, HW_SLTSTA_CC);
    fs_run(s, SIM_S(5));
    for (size_t i = n; i < s->cap.n; i++)
        assert_int_not_equal(s->cap.v[i].o.kind, OBS_KLOG);
    fs_free(s);
}

static void command_timeouts(void **state)
{
    (void)state;
    EVIDENCE(G-82, G-83);
    /* CC never comes: interrupt-driven waits give up after 1 s */
    struct fslot *s = fs_new();
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    s->cc_never = true;
    fs_plug(s);
    fs_run(s, SIM_MS(1300));
    long i = fs_log(s, "Timeout on hotplug command");
    assert_true(i >= 0);
    assert_true(strstr(s->cap.v[i].o.u.klog.text, "(issued ") != NULL);
    sim_time t1 = fs_log_at(s, "Timeout on hotplug command");
    sim_time t0 = fs_log_at(s, "Powering on due to button press");
    assert_true(t1 - t0 >= SIM_MS(1000) && t1 - t0 <= SIM_MS(1100));
    fs_free(s);

    /* no command-completed support: never waits, never times out */
    s = fs_new();
    s->sltcap |= HW_SLTCAP_NCCS;
    s->cc_never = true;
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    fs_plug(s);
    fs_run(s, SIM_S(2));
    assert_int_equal(fs_count(s, "Timeout"), 0);
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    fs_free(s);

    /* the CC erratum: a write changing only enable bits never completes and
     * is not waited for; power/indicator writes are */
    s = fs_new();
    s->p.broken_cmd_compl = true;
    s->sltctl = HW_SLTCTL_PCC | HW_SLTCTL_PWR_IND_OFF | HW_SLTCTL_ATTN_IND_OFF;
    fs_probe(s);
    fs_run(s, SIM_S(3));
    assert_true(strstr(s->cap.v[fs_log(s, "Slot #0")].o.u.klog.text,
                       " (with Cmd Compl erratum)") != NULL);
    assert_int_equal(fs_count(s, "Timeout"), 0);
    fs_free(s);
}

/* ---- enable failures ------------------------------------------------------------------ */

static void enable_failures(void **state)
{
    (void)state;
    EVIDENCE(G-72, G-73, G-75, G-76, G-77, G-78);
    struct {
        const char *line;
        int what; /* 0 latch, 1 training, 2 width, 3 no device, 4 fault, 5 configure */
    } cases[] = {
        { "Slot(0-1): Latch open", 0 },
        { "Slot(0-1): Cannot train link: status 0x2810", 1 },
        { "Slot(0-1): Cannot train link: status 0x2000", 2 },
        { "Slot(0-1): No device found", 3 },
        { "Slot(0-1): Power fault", 4 },
        { "Cannot add device at 0000:02:00", 5 },
    };
    for (size_t k = 0; k < SIM_ARRAY_SIZE(cases); k++) {
        struct fslot *s = fs_new();
        if (cases[k].what == 0)
            s->sltcap |= HW_SLTCAP_MRLSP;
        fs_probe(s);
        fs_run(s, SIM_MS(100));
        s->mrl_open = cases[k].what == 0;
        s->training = cases[k].what == 1;
        s->width0 = cases[k].what == 2;
        s->no_vendor = cases[k].what == 3;
        s->configure_err = cases[k].what == 5 ? -ENOMEM : 0;
        fs_plug(s);
        fs_run(s, SIM_MS(150));
        if (cases[k].what == 4)
            s->events |= HW_SLTSTA_PFD; /* during the link wait (PFDE is off) */
        fs_run(s, SIM_S(5));
        long i = fs_log(s, cases[k].line);
        if (i < 0)
            fo_capture_dump(&s->cap);
        assert_true(i >= 0);
        assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
        /* G-78: a slot with a button ends with PI off */
        assert_int_equal(s->sltctl & HW_SLTCTL_PIC, HW_SLTCTL_PWR_IND_OFF);
        if (cases[k].what == 0) {
            /* the latch fails before power-on: no set_slot_off */
            assert_true(s->sltctl & HW_SLTCTL_PCC);
            assert_int_equal(s->configures, 0);
        } else {
            /* G-77: set_slot_off: power off, 1 s, PI off, AI on */
            assert_true(s->sltctl & HW_SLTCTL_PCC);
            assert_int_equal(s->sltctl & HW_SLTCTL_AIC, HW_SLTCTL_ATTN_IND_ON);
            assert_int_equal(s->configures, cases[k].what == 5 ? 1 : 0);
        }
        if (cases[k].what == 3) {
            /* G-75: 20 ms steps for 1 s of nominal time (the sleeps are longer) */
            sim_time t = fs_log_at(s, cases[k].line) - fs_log_at(s, "Link Up");
            assert_true(t >= SIM_MS(1100) && t <= SIM_MS(1600));
        }
        fs_free(s);
    }
}

static void no_link(void **state)
{
    (void)state;
    EVIDENCE(G-74, G-77);
    /* the card is present but its link never comes up: 20 ms, then DLLLA
     * polled in 10 ms steps (6.1) for a nominal 1 s, "No link" */
    struct fslot *s = fs_new();
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    s->card = true;
    fs_notify(s, HW_SLTSTA_PDC | HW_SLTSTA_ABP);
    fs_run(s, SIM_S(6));
    sim_time t = fs_log_at(s, "Slot(0-1): No link") - fs_log_at(s, "Card present");
    assert_true(t >= SIM_MS(1500) && t <= SIM_MS(2100)); /* 101 x msleep(10) = 16-20 ms */
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    assert_int_equal(fs_count(s, "Link Up"), 0);
    fs_free(s);

    /* 6.6 and later wait 1 s of jiffies in 1 ms sleeps: ~1.02-1.03 s */
    s = fs_new_knobs(0, "kernel 6.6\n");
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    s->card = true;
    fs_notify(s, HW_SLTSTA_PDC | HW_SLTSTA_ABP);
    fs_run(s, SIM_S(6));
    t = fs_log_at(s, "Slot(0-1): No link") - fs_log_at(s, "Card present");
    assert_true(t >= SIM_MS(1020) && t <= SIM_MS(1040));
    fs_free(s);

    /* without link-active reporting: a plain 1100 ms sleep, then the device */
    s = fs_new();
    s->lnkcap = 0;
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    assert_true(strstr(s->cap.v[fs_log(s, "Slot #0")].o.u.klog.text, "LLActRep-") != NULL);
    s->card = true;
    s->link = true;
    fs_notify(s, HW_SLTSTA_PDC | HW_SLTSTA_ABP);
    fs_run(s, SIM_S(3));
    t = s->configured_at - fs_log_at(s, "Card present");
    assert_true(t >= SIM_MS(1100) && t <= SIM_MS(1150));
    fs_free(s);
}

/* ---- disable details --------------------------------------------------------------------- */

static void already_disabled(void **state)
{
    (void)state;
    EVIDENCE(G-81);
    /* ON, but the power controller is already off: the disable says so and
     * still ends OFF, removing nothing */
    struct fslot *s = plugged(0, NULL);
    fs_run(s, SIM_S(1));
    s->sltctl |= HW_SLTCTL_PCC;
    assert_int_equal(pciehp_sysfs_disable(s->c, fs_sysfs_done, s), 0);
    fs_run(s, SIM_S(2));
    assert_true(fs_log(s, "Slot(0-1): Already disabled") >= 0);
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    assert_int_equal(s->unconfigures, 0);
    assert_true(s->sysfs_done);
    assert_int_equal(s->sysfs_result, -EINVAL);
    fs_free(s);
}

static void power_off_link_change_dropped(void **state)
{
    (void)state;
    EVIDENCE(G-80, L6.13);
    /* bug 13: the power-off drops the link (DLLSC) while the card stays;
     * 6.1 discards it after the 1 s wait, 5.10 powers the slot back on */
    const char *knobs[] = { NULL, "kernel 5.10\n" };
    for (int k = 0; k < 2; k++) {
        struct fslot *s = plugged(0, knobs[k]);
        s->power_toggles_link = true;
        fs_run(s, SIM_S(1));
        fs_press(s);
        fs_run(s, SIM_S(12));
        if (k == 0) {
            assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
            assert_int_equal(s->configures, 1);
        } else {
            assert_int_equal(s->configures, 2); /* the spurious re-enumeration */
            assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
        }
        fs_free(s);
    }
}

/* ---- sysfs --------------------------------------------------------------------------------- */

static void sysfs_requests(void **state)
{
    (void)state;
    EVIDENCE(G-84, G-85);
    /* enable an occupied OFF slot: synthesized PDC, result 0 after the enable */
    struct fslot *s = fs_new();
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    s->card = s->link = true;
    assert_int_equal(pciehp_sysfs_enable(s->c, fs_sysfs_done, s), 0);
    assert_false(s->sysfs_done);
    fs_run(s, SIM_S(1));
    assert_true(s->sysfs_done);
    assert_int_equal(s->sysfs_result, 0);
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    /* enable when ON: "Already enabled", ENODEV at once */
    assert_int_equal(pciehp_sysfs_enable(s->c, fs_sysfs_done, s), -ENODEV);
    assert_true(fs_log(s, "Slot(0-1): Already enabled") >= 0);
    /* disable when ON: waits for the removal */
    s->sysfs_done = false;
    assert_int_equal(pciehp_sysfs_disable(s->c, fs_sysfs_done, s), 0);
    fs_run(s, SIM_S(4));
    assert_true(s->sysfs_done);
    assert_int_equal(s->sysfs_result, 0);
    assert_int_equal(pciehp_state(s->c), PCIEHP_OFF);
    assert_true(s->last_safe);
    /* disable when OFF: "Already disabled", ENODEV */
    assert_int_equal(pciehp_sysfs_disable(s->c, fs_sysfs_done, s), -ENODEV);
    assert_int_equal(fs_count(s, "Slot(0-1): Already disabled"), 1);
    fs_free(s);

    /* enable an empty slot: the thread finds nothing, result stays ENODEV */
    s = fs_new();
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    assert_int_equal(pciehp_sysfs_enable(s->c, fs_sysfs_done, s), 0);
    fs_run(s, SIM_S(1));
    assert_true(s->sysfs_done);
    assert_int_equal(s->sysfs_result, -ENODEV);
    fs_free(s);

    /* while powering on / off */
    s = fs_new();
    s->core_delay = SIM_MS(500);
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    fs_plug(s);
    fs_run(s, SIM_MS(300));
    assert_int_equal(pciehp_state(s->c), PCIEHP_POWERON);
    assert_int_equal(pciehp_sysfs_enable(s->c, fs_sysfs_done, s), -ENODEV);
    assert_true(fs_log(s, "Slot(0-1): Already in powering on state") >= 0);
    assert_int_equal(pciehp_sysfs_disable(s->c, fs_sysfs_done, s), -ENODEV);
    fs_run(s, SIM_S(2));
    assert_int_equal(pciehp_sysfs_disable(s->c, fs_sysfs_done, s), 0);
    fs_run(s, SIM_MS(2200));
    assert_int_equal(pciehp_state(s->c), PCIEHP_POWEROFF);
    assert_int_equal(pciehp_sysfs_disable(s->c, NULL, NULL), -ENODEV);
    assert_true(fs_log(s, "Slot(0-1): Already in powering off state") >= 0);
    assert_int_equal(pciehp_sysfs_enable(s->c, NULL, NULL), -ENODEV);
    fs_run(s, SIM_S(5));
    fs_free(s);
}

/* ---- poll mode ------------------------------------------------------------------------------ */

static void poll_mode(void **state)
{
    (void)state;
    EVIDENCE(G-86);
    /* first poll 10 s after probe, then every pciehp_poll_time (0 -> 2 s) */
    struct {
        const char *knobs;
        sim_time period;
    } cases[] = {
        { "pciehp-poll on\n", SIM_S(2) },
        { "pciehp-poll on\npciehp-poll-time 5\n", SIM_S(5) },
        { "pciehp-poll on\npciehp-poll-time 61\n", SIM_S(2) },
        { "pciehp-poll on\npciehp-poll-time -3\n", SIM_S(2) },
    };
    for (size_t k = 0; k < SIM_ARRAY_SIZE(cases); k++) {
        struct fslot *s = fs_new_knobs(0, cases[k].knobs);
        fs_probe(s);
        fs_run(s, SIM_S(1));
        fs_plug(s); /* no interrupt: nothing happens until the poll */
        fs_run(s, SIM_MS(9900));
        assert_int_equal(fs_count(s, "Attention button pressed"), 0);
        fs_run(s, SIM_MS(10400));
        sim_time first = fs_log_at(s, "Attention button pressed");
        assert_true(first >= SIM_S(10) && first <= SIM_MS(10300));
        fs_run(s, SIM_S(12));
        assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
        /* the next event waits for the next poll */
        fs_press(s);
        sim_time pressed = fs_uptime(s);
        fs_run(s, SIM_S(40));
        sim_time seen = s->cap.v[fo_find(&s->cap, (size_t)fs_log(s, "Powering on"), OBS_KLOG,
                                         OBS_SOURCE, "Attention button pressed", NULL)]
                            .o.u.klog.uptime;
        assert_true(seen - pressed > 0 && seen - pressed <= cases[k].period + SIM_MS(300));
        assert_true(seen - pressed >= cases[k].period - SIM_S(2) - SIM_MS(300));
        fs_free(s);
    }
}

/* ---- knobs and mutants ----------------------------------------------------------------------- */

/* The check a mutant must fail: an unplug request is acted on only after
 * the 5 s blink, and a second press cancels it. */
static bool unplug_behaves(uint64_t mutants)
{
    struct fslot *s = plugged(mutants, NULL);
    fs_run(s, SIM_S(1));
    fs_press(s);
    fs_run(s, SIM_MS(3000));
    bool ok = s->unconfigures == 0;
    fs_press(s);
    fs_run(s, SIM_S(15));
    ok = ok && s->unconfigures == 0 && pciehp_state(s->c) == PCIEHP_ON;
    fs_free(s);
    return ok;
}

static void mutants_are_killed(void **state)
{
    (void)state;
    EVIDENCE(G-64, G-65);
    assert_true(unplug_behaves(0));
    assert_false(unplug_behaves(mutant_bit(MUT_NO_BUTTON_DELAY)));
    assert_false(unplug_behaves(mutant_bit(MUT_PRESS_NO_CANCEL)));
}

static void eject_knobs(void **state)
{
    (void)state;
    /* eject never: presses are not acted on (no line, no removal), plugs work */
    struct fslot *s = plugged(0, "eject never\n");
    fs_run(s, SIM_S(1));
    fs_press(s);
    fs_run(s, SIM_S(10));
    assert_int_equal(s->unconfigures, 0);
    assert_int_equal(fs_count(s, "Attention button pressed"), 0);
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    fs_free(s);
    /* eject-delay: the thread starts that much later */
    s = fs_new_knobs(0, "eject-delay 2s\n");
    fs_probe(s);
    fs_run(s, SIM_MS(100));
    fs_plug(s);
    fs_run(s, SIM_MS(2050));
    assert_int_equal(fs_count(s, "Attention button pressed"), 0);
    fs_run(s, SIM_S(5));
    assert_int_equal(pciehp_state(s->c), PCIEHP_ON);
    fs_press(s);
    fs_run(s, SIM_MS(6900));
    assert_int_equal(fs_count(s, "Powering off"), 0);
    fs_run(s, SIM_MS(7100));
    assert_int_equal(fs_count(s, "Powering off"), 1);
    fs_free(s);
}

static void state_changes_are_observed(void **state)
{
    (void)state;
    struct fslot *s = plugged(0, NULL);
    fs_run(s, SIM_S(1));
    fs_press(s);
    fs_run(s, SIM_S(8));
    const char *seq[] = { "OFF", "BLINKINGON", "POWERON", "ON", "BLINKINGOFF", "POWEROFF", "OFF" };
    long at = 0;
    for (size_t k = 0; k < SIM_ARRAY_SIZE(seq); k++) {
        at = fo_find(&s->cap, (size_t)at, OBS_STATE, OBS_SOURCE, "pciehp slot 0-1", seq[k]);
        assert_true(at >= 0);
        at++;
    }
    fs_free(s);
}

static void kclock_wheel(void **state)
{
    (void)state;
    struct kclock k;
    struct sim_rng r;
    sim_rng_init(&r, 3, "kclock");
    kclock_init(&k, &r);
    /* msleep(20) at HZ=250: 6 jiffies + 1, level 0: 24-28 ms */
    for (sim_time t = SIM_S(3); t < SIM_S(3) + SIM_MS(8); t += SIM_US(250)) {
        sim_time d = kclock_msleep(&k, t, 20);
        assert_true(d > SIM_MS(24) - SIM_US(1) && d <= SIM_MS(28));
        d = kclock_msleep(&k, t, 1000);
        assert_true(d > SIM_MS(1004) - SIM_US(1) && d <= SIM_MS(1036));
    }
    /* round_jiffies: within the first quarter second rounds down */
    assert_int_equal(kclock_round_jiffies(1000 + 30, 900), 1000);
    assert_int_equal(kclock_round_jiffies(1000 + 100, 900), 1250);
    assert_int_equal(kclock_round_jiffies(1000 + 30, 1010), 1030); /* not in the past */
    /* two timers in one bucket: the later-armed runs first */
    sim_time a = kclock_timer_delay(&k, SIM_S(7), kclock_jiffies(&k, SIM_S(7)) + 1250);
    sim_time b = kclock_timer_delay(&k, SIM_S(7) + SIM_US(600),
                                    kclock_jiffies(&k, SIM_S(7) + SIM_US(600)) + 1250) +
                 SIM_US(600);
    if (a / SIM_MS(1) == b / SIM_MS(1))
        assert_true(b < a);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(probe_line_and_notifications),
    cmocka_unit_test(probe_powers_off_empty_slot),
    cmocka_unit_test(probe_checks_presence),
    cmocka_unit_test(qemu_plug_powers_on_at_once),
    cmocka_unit_test(qemu_unplug_waits_5s_then_removes),
    cmocka_unit_test(second_press_cancels),
    cmocka_unit_test(timer_in_blinkingon_enables),
    cmocka_unit_test(press_during_removal_waits),
    cmocka_unit_test(slot_reset_vs_removal),
    cmocka_unit_test(slot_reset_defers_removal),
    cmocka_unit_test(surprise_removal),
    cmocka_unit_test(card_gone_while_blinkingon),
    cmocka_unit_test(disable_wins_over_presence),
    cmocka_unit_test(power_fault),
    cmocka_unit_test(sticky_fault_livelocks_old_kernels),
    cmocka_unit_test(isr_ignores_when_disabled),
    cmocka_unit_test(msi_reread_catches_racing_event),
    cmocka_unit_test(cc_consumed_by_hard_handler),
    cmocka_unit_test(command_timeouts),
    cmocka_unit_test(enable_failures),
    cmocka_unit_test(no_link),
    cmocka_unit_test(already_disabled),
    cmocka_unit_test(power_off_link_change_dropped),
    cmocka_unit_test(sysfs_requests),
    cmocka_unit_test(poll_mode),
    cmocka_unit_test(mutants_are_killed),
    cmocka_unit_test(eject_knobs),
    cmocka_unit_test(state_changes_are_observed),
    cmocka_unit_test(kclock_wheel),
};

FO_MAIN("pciehp", tests)
