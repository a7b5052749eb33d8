/*
 * Monitors of area MIGS (the migration source), driven by hand-built
 * traces: PASS and FAIL cases for every assertion, INCONCLUSIVE and N/A
 * where they apply.
 */
#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

#define MORE(T) CON(T, "S", "random: crng init done")
/* A migration that requested no unplug. */
#define PLAIN_MIG MIG("7", "S", "setup") MIG("7.002", "S", "active") MIG("7.6", "S", "completed")
#define QM(T, ID) CMD(T, "S", "{\"execute\": \"query-migrate\", \"id\": \"" ID "\"}")
#define STOP_CMD(T) CMD(T, "S", "{\"execute\": \"stop\", \"id\": \"st\"}")
#define STOP_OK(T) REPLY(T, "S", "{\"return\": {}, \"id\": \"st\"}")
#define STANDBY_DELETED(T)                                                                    \
    EV(T, "S", "DEVICE_DELETED", "{\"device\": \"standby0\", \"path\": \"/machine/peripheral/standby0\"}")

/* The golden migration up to the guest's removal, still in wait-unplug. */
#define WAITING G_SESSIONS G_BOOT G_MIGRATE G_GUEST_UNPLUG

static void console_50ms(struct check_ctx *ctx)
{
    ctx->host[OBS_SOURCE].tolerance[SPEC_SRC_CONSOLE] = SIM_MS(50);
}

static void no_console(struct check_ctx *ctx)
{
    tf_ctx_drop(ctx, -1, SPEC_SRC_CONSOLE);
}

static const struct tf_case cases[] = {
    /* MIGS-001 */
    { "MIGS-001", CHECK_PASS, "unplug requested in setup", NULL, G_SESSIONS G_BOOT G_MIGRATE },
    { "MIGS-001", CHECK_FAIL, "no unplug for the plugged primary", NULL,
      G_SESSIONS G_BOOT MIG("7", "S", "setup") MIG("7.005", "S", "active") },
    { "MIGS-001", CHECK_FAIL, "unplug after setup", NULL,
      G_SESSIONS G_BOOT MIG("7", "S", "setup") MIG("7.005", "S", "active") UNPLUG("7.006", "S") },
    { "MIGS-001", CHECK_PASS, "QEMU said it could not unplug", NULL,
      G_SESSIONS G_BOOT MIG("7", "S", "setup")
      "7.001 S err qemu-system-x86_64: warning: couldn't unplug primary device\n"
          MIG("7.005", "S", "active") },
    { "MIGS-001", CHECK_NA, "setup fails before the notifiers", NULL,
      G_SESSIONS G_BOOT MIG("7", "S", "setup") MIG("7.001", "S", "failed") },
    { "MIGS-001", CHECK_NA, "nothing plugged (no negotiation)", NULL, G_SESSIONS PLAIN_MIG },

    /* MIGS-002 */
    { "MIGS-002", CHECK_PASS, "no unplug, no wait", NULL, G_SESSIONS PLAIN_MIG },
    { "MIGS-002", CHECK_FAIL, "waits without an unplug", NULL,
      G_SESSIONS MIG("7", "S", "setup") MIG("7.005", "S", "wait-unplug") },
    { "MIGS-002", CHECK_NA, "every migration unplugged", NULL, G_SESSIONS G_BOOT G_MIGRATE },

    /* MIGS-003 */
    { "MIGS-003", CHECK_PASS, "unplug, then wait-unplug", NULL, G_SESSIONS G_BOOT G_MIGRATE },
    { "MIGS-003", CHECK_FAIL, "unplug, then straight to active", NULL,
      G_SESSIONS G_BOOT MIG("7", "S", "setup") UNPLUG("7.001", "S") MIG("7.005", "S", "active")
          MORE("8") },
    { "MIGS-003", CHECK_PASS, "the guest had completed first (ACPI, fast)", NULL,
      G_SESSIONS G_BOOT MIG("7", "S", "setup") UNPLUG("7.001", "S")
          CON("7.002", "S", L_PRIMARY_GONE) MIG("7.005", "S", "active") },
    { "MIGS-003", CHECK_INCONCLUSIVE, "no console to tell", no_console,
      G_SESSIONS G_BOOT MIG("7", "S", "setup") UNPLUG("7.001", "S") MIG("7.005", "S", "active") },
    { "MIGS-003", CHECK_NA, "no unplug", NULL, G_SESSIONS PLAIN_MIG },

    /* MIGS-004 */
    { "MIGS-004", CHECK_PASS, "active after the unplug completed", NULL, G_GOLDEN },
    { "MIGS-004", CHECK_FAIL, "active while the primary is still registered", NULL,
      G_SESSIONS G_BOOT G_MIGRATE MIG("9", "S", "active") G_GUEST_UNPLUG },
    { "MIGS-004", CHECK_INCONCLUSIVE, "unregistration in the active's microsecond", NULL,
      G_SESSIONS G_BOOT G_MIGRATE MIG("12.26", "S", "active") CON("12.26", "S", L_PRIMARY_GONE)
          MORE("13") },
    { "MIGS-004", CHECK_NA, "no wait-unplug", NULL, G_SESSIONS PLAIN_MIG },

    /* MIGS-005 */
    { "MIGS-005", CHECK_PASS, "active on the 250 ms grid", NULL, G_GOLDEN },
    { "MIGS-005", CHECK_FAIL, "active between polls", NULL,
      G_SESSIONS G_BOOT G_MIGRATE G_GUEST_UNPLUG MIG("12.4", "S", "active") },
    { "MIGS-005", CHECK_NA, "no wait-unplug", NULL, G_SESSIONS PLAIN_MIG },

    /* MIGS-006 */
    { "MIGS-006", CHECK_PASS, "paused VM: active only after RESUME", NULL,
      G_SESSIONS G_BOOT EV("6", "S", "STOP", "") G_MIGRATE EV("15", "S", "RESUME", "")
          MIG("21.505", "S", "active") },
    { "MIGS-006", CHECK_FAIL, "paused VM: active without RESUME", NULL,
      G_SESSIONS G_BOOT EV("6", "S", "STOP", "") G_MIGRATE MIG("13.505", "S", "active") },
    { "MIGS-006", CHECK_NA, "running VM", NULL, G_GOLDEN },

    /* MIGS-007 */
    { "MIGS-007", CHECK_PASS, "table transitions", NULL,
      G_GOLDEN MIG("30", "S", "setup") MIG("30.1", "S", "cancelling") MIG("30.2", "S", "cancelled") },
    { "MIGS-007", CHECK_FAIL, "wait-unplug -> failed", NULL,
      MIG("7", "S", "setup") MIG("7.005", "S", "wait-unplug") MIG("9", "S", "failed") },
    { "MIGS-007", CHECK_FAIL, "cancelling -> active", NULL,
      MIG("7", "S", "setup") MIG("7.1", "S", "cancelling") MIG("7.2", "S", "active") },
    { "MIGS-007", CHECK_INCONCLUSIVE, "postcopy", NULL,
      MIG("7", "S", "setup") MIG("7.1", "S", "active") MIG("8", "S", "postcopy-active") },
    { "MIGS-007", CHECK_NA, "a single event", NULL, MIG("7", "S", "setup") },

    /* MIGS-008 */
    { "MIGS-008", CHECK_PASS, "switchover STOP in active", NULL, G_GOLDEN },
    { "MIGS-008", CHECK_PASS, "a client's stop in wait-unplug", NULL,
      G_SESSIONS G_BOOT G_MIGRATE STOP_CMD("8") EV("8", "S", "STOP", "") STOP_OK("8") },
    { "MIGS-008", CHECK_FAIL, "STOP in wait-unplug, nobody asked", NULL,
      G_SESSIONS G_BOOT G_MIGRATE EV("8", "S", "STOP", "") },
    { "MIGS-008", CHECK_NA, "no STOP during a migration", NULL, G_SESSIONS EV("3", "S", "STOP", "") },

    /* MIGS-009 */
    { "MIGS-009", CHECK_PASS, "pass 2 in active", NULL, G_GOLDEN },
    { "MIGS-009", CHECK_FAIL, "pass 2 in wait-unplug", NULL,
      G_SESSIONS G_BOOT G_MIGRATE EV("8", "S", "MIGRATION_PASS", "{\"pass\": 2}") },
    { "MIGS-009", CHECK_NA, "only pass 1", NULL, G_SESSIONS G_BOOT G_MIGRATE },

    /* MIGS-010 */
    { "MIGS-010", CHECK_PASS, "status only in wait-unplug, times in active", NULL,
      G_SESSIONS G_BOOT G_MIGRATE QM("8", "qa") REPLY("8", "S", "{\"return\": {\"status\": \"wait-unplug\"}, \"id\": \"qa\"}")
          MIG("13.505", "S", "active") QM("13.6", "qb")
          REPLY("13.6", "S", "{\"return\": {\"status\": \"active\", \"setup-time\": 6500, \"total-time\": 6600, \"ram\": {}}, \"id\": \"qb\"}") },
    { "MIGS-010", CHECK_FAIL, "times in wait-unplug", NULL,
      G_SESSIONS G_BOOT G_MIGRATE QM("8", "qa")
          REPLY("8", "S", "{\"return\": {\"status\": \"wait-unplug\", \"total-time\": 1000}, \"id\": \"qa\"}") },
    { "MIGS-010", CHECK_FAIL, "no total-time in cancelling", NULL,
      G_SESSIONS G_BOOT G_MIGRATE MIG("8", "S", "cancelling") QM("8.5", "qa")
          REPLY("8.5", "S", "{\"return\": {\"status\": \"cancelling\"}, \"id\": \"qa\"}") },
    { "MIGS-010", CHECK_NA, "no query-migrate", NULL, G_GOLDEN },

    /* MIGS-011 */
    { "MIGS-011", CHECK_PASS, "UNPLUG_PRIMARY names the primary", NULL, G_SESSIONS G_BOOT G_MIGRATE },
    { "MIGS-011", CHECK_FAIL, "UNPLUG_PRIMARY names the standby", NULL,
      G_SESSIONS G_BOOT MIG("7", "S", "setup")
          EV("7.001", "S", "UNPLUG_PRIMARY", "{\"device-id\": \"standby0\"}") },
    { "MIGS-011", CHECK_NA, "no UNPLUG_PRIMARY", NULL, G_SESSIONS PLAIN_MIG },

    /* MIGS-012 */
    { "MIGS-012", CHECK_PASS, "removed standby: no unplug", NULL,
      G_SESSIONS G_BOOT STANDBY_DELETED("6") PLAIN_MIG },
    { "MIGS-012", CHECK_FAIL, "removed standby: unplug anyway", NULL,
      G_SESSIONS G_BOOT STANDBY_DELETED("6") G_MIGRATE },
    { "MIGS-012", CHECK_NA, "no standby removed", NULL, G_SESSIONS G_BOOT G_MIGRATE },

    /* MIGS-013 (the golden removal ends at 12.26; pciehp's 1 s and a poll: 13.52) */
    { "MIGS-013", CHECK_PASS, "active at the poll after the indicator went off", NULL, G_GOLDEN },
    { "MIGS-013", CHECK_FAIL, "still waiting 4 s after the removal", NULL,
      WAITING QM("16", "q1") },
    { "MIGS-013", CHECK_FAIL, "active a second late", NULL,
      WAITING MIG("14.505", "S", "active") },
    { "MIGS-013", CHECK_PASS, "ACPI: active at the next poll", tf_ctx_acpi,
      G_SESSIONS G_BOOT G_MIGRATE CON("7.1", "S", L_PRIMARY_GONE) MIG("7.255", "S", "active") },
    { "MIGS-013", CHECK_FAIL, "ACPI: a second late", tf_ctx_acpi,
      G_SESSIONS G_BOOT G_MIGRATE CON("7.1", "S", L_PRIMARY_GONE) MIG("8.255", "S", "active") },
    { "MIGS-013", CHECK_INCONCLUSIVE, "the log ends right after the removal", NULL,
      WAITING QM("12.9", "q1") },
    { "MIGS-013", CHECK_NA, "the VM stopped after the removal", NULL,
      WAITING EV("12.5", "S", "STOP", "") QM("16", "q1") },
    { "MIGS-013", CHECK_NA, "no unplug requested", NULL, G_SESSIONS PLAIN_MIG },

    /* MIGS-014 */
    { "MIGS-014", CHECK_PASS, "active 1.245 s after the removal", NULL, G_GOLDEN },
    { "MIGS-014", CHECK_FAIL, "active 0.245 s after the removal", NULL,
      WAITING MIG("12.505", "S", "active") },
    { "MIGS-014", CHECK_INCONCLUSIVE, "within the console's alignment tolerance", console_50ms,
      WAITING MIG("13.23", "S", "active") },
    { "MIGS-014", CHECK_NA, "ACPI hotplug", tf_ctx_acpi,
      G_SESSIONS G_BOOT G_MIGRATE CON("7.1", "S", L_PRIMARY_GONE) MIG("7.255", "S", "active") },
    { "MIGS-014", CHECK_NA, "active before the removal (MIGS-004's case)", NULL,
      G_SESSIONS G_BOOT G_MIGRATE MIG("8.005", "S", "active") },
};

static void migs_001(void **state)
{
    (void)state;
    EVIDENCE(MIGS-001, H-31, H-34, H-36);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-001");
}

static void migs_002(void **state)
{
    (void)state;
    EVIDENCE(MIGS-002, H-37, H-32);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-002");
}

static void migs_003(void **state)
{
    (void)state;
    EVIDENCE(MIGS-003, H-37);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-003");
}

static void migs_004(void **state)
{
    (void)state;
    EVIDENCE(MIGS-004, H-37, H-38, H-39);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-004");
}

static void migs_005(void **state)
{
    (void)state;
    EVIDENCE(MIGS-005, H-38);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-005");
}

static void migs_006(void **state)
{
    (void)state;
    EVIDENCE(MIGS-006, H-41);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-006");
}

static void migs_007(void **state)
{
    (void)state;
    EVIDENCE(MIGS-007, H-42, H-43, H-46);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-007");
}

static void migs_008(void **state)
{
    (void)state;
    EVIDENCE(MIGS-008, H-38);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-008");
}

static void migs_009(void **state)
{
    (void)state;
    EVIDENCE(MIGS-009, H-38);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-009");
}

static void migs_010(void **state)
{
    (void)state;
    EVIDENCE(MIGS-010);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-010");
}

static void migs_011(void **state)
{
    (void)state;
    EVIDENCE(MIGS-011, H-34, H-04);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-011");
}

static void migs_012(void **state)
{
    (void)state;
    EVIDENCE(MIGS-012, H-05);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-012");
}

static void migs_013(void **state)
{
    (void)state;
    EVIDENCE(MIGS-013, H-38, H-39, G-80);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-013");
}

static void migs_014(void **state)
{
    (void)state;
    EVIDENCE(MIGS-014, G-80, H-39);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGS-014");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(migs_001), cmocka_unit_test(migs_002), cmocka_unit_test(migs_003),
    cmocka_unit_test(migs_004), cmocka_unit_test(migs_005), cmocka_unit_test(migs_006),
    cmocka_unit_test(migs_007), cmocka_unit_test(migs_008), cmocka_unit_test(migs_009),
    cmocka_unit_test(migs_010), cmocka_unit_test(migs_011), cmocka_unit_test(migs_012),
    cmocka_unit_test(migs_013), cmocka_unit_test(migs_014),
};

FO_MAIN("monitor_migs", tests)
