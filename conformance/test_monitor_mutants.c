/*
 * The monitors against the simulator's mutants (sim/include/sim/mutant.h):
 * for each mutant, a scenario whose run it changes and the assertion whose
 * monitor must notice -- PASS with the reference model, FAIL with the
 * mutant.  This is the monitors' own evidence on realistic streams (the
 * hand-built traces of the other test_monitor_*.c show each verdict on
 * purpose-made records); scenario-mutants.sh host|guest kill the
 * mutants through the scenarios' expectations instead.
 *
 * Mutants no monitor can see are listed at the end with the reason: what
 * they change leaves no trace in the artifacts a recording has.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "harness.h"
#include "sim/err.h"
#include "sim/mutant.h"
#include "sim/run.h"
#include "sim/scenario.h"
#include "sim/world.h"

#define SCN "conformance/scenarios/"

/* A native-hotplug migration cancelled during wait-unplug, the primary
 * plugged back, then deleted by the user. */
static const char replug_then_delete[] =
    "scenario replug-then-delete\n"
    "include \"include/hosts-native.fos\"\n"
    "guest linux\nend\n"
    "at 7.3s source migrate uri=tcp:127.0.0.1:47101\n"
    "at 8.82s source migrate_cancel\n"
    "at 20s source device_del id=primary0\n"
    "until 40s\n";

struct kill {
    const char *mutant;
    const char *scenario;  /* a file, or "=NAME" for the text below */
    const char *text;      /* scenario text, parsed as SCN "guest/NAME.fos" */
    int until_s;           /* override the horizon (the deadline needs it), 0: keep */
    const char *id;        /* the assertion that must catch it */
    bool ref_na;           /* with the reference model the situation never arises
                              (the mutant creates it): N/A there, not PASS */
};

static const struct kill kills[] = {
    { "skip-wait-unplug", SCN "guest/acpi-migration.fos", NULL, 0, "MIGS-003", false },
    { "early-active", SCN "guest/device-add-primary.fos", NULL, 0, "MIGS-004", false },
    { "no-hide", SCN "host/params-on.fos", NULL, 0, "HIDE-001", false },
    { "plug-before-negotiation", SCN "guest/native-migration.fos", NULL, 0, "HIDE-007", false },
    /* the reference hides the primary of a guest without failover driver */
    { "no-hide", SCN "guest/no-failover-driver.fos", NULL, 0, "HIDE-002", true },
    /* the reference sends no UNPLUG_PRIMARY when nothing negotiated */
    { "plug-before-negotiation", SCN "guest/prelaunch-migration.fos", NULL, 0, "NEG-001", true },
    { "no-replug", SCN "guest/native-cancel-wait-unplug.fos", NULL, 60, "FAIL-005", false },
    { "no-cancel-grace", SCN "guest/native-cancel-wait-unplug.fos", NULL, 0, "FAIL-002", false },
    { "no-target-negotiated", SCN "guest/acpi-migration.fos", NULL, 0, "MIGD-001", false },
    { "resume-before-primary", SCN "guest/acpi-migration.fos", NULL, 0, "MIGD-003", false },
    { "pair-current-mac", SCN "net/mac-change-before-standby.fos", NULL, 0, "PAIR-006", false },
    { "tx-after-unplug", SCN "traffic/native-ping.fos", NULL, 0, "DP-004", false },
    { "standby-rx-delivered", SCN "net/boot-pairing.fos", NULL, 0, "DP-003", false },
    { "no-button-delay", SCN "guest/native-cancel-active.fos", NULL, 0, "SLOT-008", false },
    { "press-no-cancel", SCN "guest/press-cancels-unplug.fos", NULL, 0, "SLOT-002", false },
    { "delete-on-partial-eject", SCN "guest/acpi-migration.fos", NULL, 0, "HIDE-005", false },
    { "acpi-no-pending", SCN "guest/acpi-migration.fos", NULL, 0, "MIGS-003", false },
    { "stale-notifier", SCN "host/standby-unplug-then-migrate.fos", NULL, 0, "MIGS-012", false },
    { "second-primary", SCN "host/second-primary.fos", NULL, 0, "CFG-003", false },
    { "power-off-no-wait", SCN "guest/native-cancel-active.fos", NULL, 0, "MIGS-014", false },
    { "power-indicator-stays-on", SCN "guest/native-cancel-active.fos", NULL, 0, "MIGS-013", false },
    { "plug-waits-button", SCN "guest/device-add-primary.fos", NULL, 0, "SLOT-007", false },
    { "acpi-no-eject", SCN "guest/acpi-migration.fos", NULL, 0, "MIGS-013", false },
    { "resume-drops-irq", SCN "guest/paused-source.fos", NULL, 70, "SLOT-009", false },
    { "replug-keeps-partial", "=replug-then-delete", replug_then_delete, 0, "FAIL-007", false },
    { "replug-on-cancel", SCN "guest/native-cancel-wait-unplug.fos", NULL, 0, "HIDE-005", false },
    { "replug-on-cancel", SCN "guest/press-cancels-unplug.fos", NULL, 0, "FAIL-005", false },
    { "load-forces-standby", SCN "guest/no-failover-driver.fos", NULL, 0, "MIGD-004", false },
    { "master-mac-change", SCN "net/master-mac-refused.fos", NULL, 0, "DP-005", false },
    /* the reference prints no warning to judge */
    { "readd-on-renegotiation", SCN "host/hotplug-1-reverse.fos", NULL, 0, "NEG-009", true },
};

/*
 * Mutants out of the monitors' reach, and why (the scenarios' expectations
 * catch them, reading the model's state):
 *   second-standby          the guest logs only "can not register failover rx
 *                           handler", which a bonded or bridged NIC logs too
 *   carrier-not-recomputed  the master's carrier is not in the console
 *   standby-by-driver       only with two virtio devices of one MAC, where the
 *                           console reads the same
 *   no-linkwatch-delay      carrier timing inside the guest, not logged
 *   slave-mtu-not-aligned   MTUs are not logged
 *   no-rename-reopen        the slave's open state is not logged
 *   acpi-eject-before-remove the eject register write is not logged; the
 *                           removal lines come within the same poll
 *   random-mac-pairs        the VF driver logs that it made its MAC up, but no
 *                           catalog assertion states G-18 (a random address
 *                           never pairs); the primary the master's scan then
 *                           enslaves before the standby is allowed by NEG-010
 *                           (NEG-007, which failed on it, was retired: a VF
 *                           present at the master's creation is enslaved there)
 */
static const char *const unseen[] = {
    "second-standby",     "carrier-not-recomputed", "standby-by-driver",
    "no-linkwatch-delay", "slave-mtu-not-aligned",  "no-rename-reopen",
    "acpi-eject-before-remove", "random-mac-pairs",
};

/* The verdict of assertion `id` on the run of k's scenario with `mutants`. */
static enum check_verdict verdict(const struct kill *k, uint64_t mutants, char *why, size_t n)
{
    struct sim_err err = { "" };
    struct scenario *s = NULL;
    int rc;
    if (k->text) {
        char name[128];
        snprintf(name, sizeof(name), SCN "guest/%s.fos", k->scenario + 1);
        rc = scn_parse_string(name, k->text, &s, &err);
    } else {
        rc = scn_load(k->scenario, &s, &err);
    }
    if (rc != 0)
        fail_msg("%s", err.msg);
    if (k->until_s)
        s->until = SIM_S(k->until_s);
    struct sim_run_config cfg = { .mutants = mutants };
    struct sim_run *r = NULL;
    if (sim_run_new(s, &cfg, &r, &err) != 0)
        fail_msg("%s", err.msg);
    struct check *c = check_attach_run(r);
    assert_non_null(c);
    sim_run_go(r);
    check_finish(c);
    const struct spec_entry *a = spec_lookup(k->id, NULL);
    assert_non_null(a);
    const struct check_result *res = check_result_for(c, a->sid);
    enum check_verdict v = res->verdict;
    sim_strlcpy(why, res->why, n);
    check_free(c);
    sim_run_free(r);
    scn_free(s);
    return v;
}

static void monitors_catch_mutants(void **state)
{
    (void)state;
    EVIDENCE(MIGS-003, MIGS-004, HIDE-001, HIDE-002, HIDE-007, NEG-001, FAIL-005, FAIL-002, MIGD-001, MIGD-003,
             PAIR-006, DP-004, DP-003, SLOT-008, SLOT-002, HIDE-005, MIGS-012,
             CFG-003, MIGS-014, MIGS-013, SLOT-007, SLOT-009, FAIL-007, NEG-009, MIGD-004, DP-005);
    unsigned bad = 0;
    for (size_t i = 0; i < SIM_ARRAY_SIZE(kills); i++) {
        const struct kill *k = &kills[i];
        int m = mutant_lookup(k->mutant);
        assert_true(m >= 0);
        char why[512];
        enum check_verdict ref = verdict(k, 0, why, sizeof(why));
        if (ref != (k->ref_na ? CHECK_NA : CHECK_PASS)) {
            print_error("%s: %s is %s with the reference model (%s)\n", k->scenario, k->id,
                        check_verdict_name(ref), why);
            bad++;
        }
        enum check_verdict mut = verdict(k, mutant_bit((enum mutant)m), why, sizeof(why));
        if (mut != CHECK_FAIL) {
            print_error("mutant %s survives %s on %s: %s (%s)\n", k->mutant, k->id,
                        k->scenario, check_verdict_name(mut), why);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

/* Every mutant is either caught by a monitor above or listed as unseen. */
static void every_mutant_accounted_for(void **state)
{
    (void)state;
    /* unseen[] names mutants that exist (a renamed or removed one would
     * leave a stale excuse behind) */
    for (size_t i = 0; i < SIM_ARRAY_SIZE(unseen); i++)
        if (mutant_lookup(unseen[i]) < 0)
            fail_msg("unseen[] lists '%s', which is not a mutant", unseen[i]);
    for (int m = 0; m < MUT_COUNT; m++) {
        const char *name = mutant_table[m].name;
        bool found = false;
        for (size_t i = 0; i < SIM_ARRAY_SIZE(kills); i++)
            found = found || strcmp(kills[i].mutant, name) == 0;
        for (size_t i = 0; i < SIM_ARRAY_SIZE(unseen); i++) {
            if (strcmp(unseen[i], name) != 0)
                continue;
            if (found)
                fail_msg("mutant %s is both caught and listed as unseen", name);
            found = true;
        }
        if (!found)
            fail_msg("mutant %s: no monitor test catches it and it is not listed as unseen "
                     "(add it to kills[] or, with the reason, to unseen[])",
                     name);
    }
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(monitors_catch_mutants),
    cmocka_unit_test(every_mutant_accounted_for),
};

FO_MAIN("monitor_mutants", tests)
