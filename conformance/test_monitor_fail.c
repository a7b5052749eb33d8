/*
 * Monitors of area FAIL (cancel and failure on the source), driven by
 * hand-built traces: PASS and FAIL cases for every assertion, INCONCLUSIVE
 * and N/A where they apply.  Every case also runs with same-time records of
 * different files reordered (tracefeed.c).
 *
 * The base is the golden boot and migrate (golden.h): UNPLUG_PRIMARY at
 * 7.001, wait-unplug at 7.005, the guest's removal ending with the slave's
 * unregistration at 12.26.
 */
#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

#define UNTIL_WAIT G_SESSIONS G_BOOT G_MIGRATE
#define CANCEL(T) CMD(T, "S", "{\"execute\": \"migrate_cancel\", \"id\": \"c1\"}")
#define CANCEL_OK(T) REPLY(T, "S", "{\"return\": {}, \"id\": \"c1\"}")
/* A cancel as QEMU answers it: the state changes before the reply. */
#define CANCEL_NOW(T) CANCEL(T) MIG(T, "S", "cancelling") CANCEL_OK(T)
#define QS(T) CMD(T, "S", "{\"execute\": \"query-status\", \"id\": \"qs\"}")
#define LATER(T) CON(T, "S", "random: crng init done")
#define WARNING "qemu-system-x86_64: warning: migration: partially unplugged device on failure"
/* The primary plugged back in the guest at T (the golden boot's lines). */
#define REPLUG(T)                                                                           \
    CON(T "0", "S", L_PRESS) CON(T "1", "S", L_ON) CON(T "2", "S", L_CARD)                  \
    CON(T "3", "S", L_PRIMARY) CON(T "4", "S", L_NIC_MAC)
#define DEL_CMD(T) CMD(T, "S", "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"d1\"}")
#define DEL_OK(T) REPLY(T, "S", "{\"return\": {}, \"id\": \"d1\"}")
#define DELETED(T) EV(T, "S", "DEVICE_DELETED", "{\"device\": \"primary0\", \"path\": \"/machine/peripheral/primary0\"}")
/* A migration cancelled during the wait, after the guest's unplug, then replugged. */
#define CANCELLED_REPLUGGED                                                                 \
    UNTIL_WAIT CANCEL_NOW("8") G_GUEST_UNPLUG MIG("12.5", "S", "cancelled") REPLUG("13.")

static void no_console(struct check_ctx *ctx)
{
    tf_ctx_drop(ctx, -1, SPEC_SRC_CONSOLE);
}

static void qtest(struct check_ctx *ctx)
{
    ctx->host[OBS_SOURCE].qtest = true;
}

static const struct tf_case cases[] = {
    /* FAIL-001 */
    { "FAIL-001", CHECK_PASS, "cancelling before the reply", NULL, UNTIL_WAIT CANCEL_NOW("8") },
    { "FAIL-001", CHECK_PASS, "cancelling just after the reply", NULL,
      UNTIL_WAIT CANCEL("8") CANCEL_OK("8") MIG("8.001", "S", "cancelling") },
    { "FAIL-001", CHECK_FAIL, "the next state is not cancelling", NULL,
      UNTIL_WAIT CANCEL("8") CANCEL_OK("8") MIG("8.1", "S", "active") },
    { "FAIL-001", CHECK_FAIL, "no cancelling within 1 s", NULL,
      UNTIL_WAIT CANCEL("8") CANCEL_OK("8") QS("12") },
    { "FAIL-001", CHECK_INCONCLUSIVE, "completed before the cancel", NULL,
      UNTIL_WAIT G_GUEST_UNPLUG MIG("13.505", "S", "active") CANCEL("14.1")
          MIG("14.1", "S", "completed") CANCEL_OK("14.1") },
    { "FAIL-001", CHECK_INCONCLUSIVE, "the log ends within 1 s", NULL,
      UNTIL_WAIT CANCEL("8") CANCEL_OK("8") },
    { "FAIL-001", CHECK_NA, "no migration running", NULL,
      G_SESSIONS CANCEL("3") CANCEL_OK("3") },

    /* FAIL-002 */
    { "FAIL-002", CHECK_PASS, "cancelled after the guest's unplug", NULL,
      UNTIL_WAIT CANCEL_NOW("8") G_GUEST_UNPLUG MIG("12.5", "S", "cancelled") },
    { "FAIL-002", CHECK_PASS, "the grace ran out", NULL,
      UNTIL_WAIT CANCEL_NOW("8") MIG("38.2", "S", "cancelled") LATER("40") },
    { "FAIL-002", CHECK_FAIL, "cancelled before the unplug ended", NULL,
      UNTIL_WAIT CANCEL_NOW("8") MIG("8.3", "S", "cancelled") G_GUEST_UNPLUG },
    { "FAIL-002", CHECK_FAIL, "cancelled, the primary stays", NULL,
      UNTIL_WAIT CANCEL_NOW("8") MIG("8.3", "S", "cancelled") LATER("20") },
    { "FAIL-002", CHECK_INCONCLUSIVE, "unregistered in the instant of cancelled", NULL,
      UNTIL_WAIT CANCEL_NOW("8") CON("12.26", "S", L_PRIMARY_GONE)
          MIG("12.26", "S", "cancelled") },
    { "FAIL-002", CHECK_INCONCLUSIVE, "the console ends first", NULL,
      UNTIL_WAIT CANCEL_NOW("8") MIG("8.3", "S", "cancelled") },
    { "FAIL-002", CHECK_NA, "the unplug had ended", NULL,
      UNTIL_WAIT G_GUEST_UNPLUG CANCEL_NOW("12.3") MIG("12.5", "S", "cancelled") },
    { "FAIL-002", CHECK_NA, "no cancel", NULL, G_GOLDEN },

    /* FAIL-003 */
    { "FAIL-003", CHECK_PASS, "cancelled within the grace", NULL,
      UNTIL_WAIT CANCEL_NOW("8") MIG("12.5", "S", "cancelled") },
    { "FAIL-003", CHECK_FAIL, "cancelled too late", NULL,
      UNTIL_WAIT CANCEL_NOW("8") MIG("40", "S", "cancelled") },
    { "FAIL-003", CHECK_FAIL, "still cancelling", NULL, UNTIL_WAIT CANCEL_NOW("8") QS("40") },
    { "FAIL-003", CHECK_INCONCLUSIVE, "the log ends while cancelling", NULL,
      UNTIL_WAIT CANCEL_NOW("8") QS("20") },
    { "FAIL-003", CHECK_NA, "cancelled from active", NULL,
      UNTIL_WAIT G_GUEST_UNPLUG MIG("13.505", "S", "active") CANCEL_NOW("13.6")
          MIG("13.7", "S", "cancelled") },

    /* FAIL-004 */
    { "FAIL-004", CHECK_PASS, "the warning when the grace ran out", NULL,
      UNTIL_WAIT CANCEL_NOW("8") "38.25 S err " WARNING "\n" MIG("38.26", "S", "cancelled") },
    { "FAIL-004", CHECK_FAIL, "no warning", NULL,
      UNTIL_WAIT CANCEL_NOW("8") MIG("38.26", "S", "cancelled") },
    { "FAIL-004", CHECK_PASS, "the warning, no console", no_console,
      UNTIL_WAIT CANCEL_NOW("8") "38.25 S err " WARNING "\n" MIG("38.26", "S", "cancelled") },
    { "FAIL-004", CHECK_INCONCLUSIVE, "no warning, no console", no_console,
      UNTIL_WAIT CANCEL_NOW("8") MIG("38.1", "S", "cancelled") },
    { "FAIL-004", CHECK_NA, "the unplug ended in the last poll", NULL,
      UNTIL_WAIT CANCEL_NOW("8") CON("37.9", "S", L_PRIMARY_GONE) MIG("38.1", "S", "cancelled") },
    { "FAIL-004", CHECK_NA, "cancelled well within the grace", NULL,
      UNTIL_WAIT CANCEL_NOW("8") G_GUEST_UNPLUG MIG("12.5", "S", "cancelled") },
    { "FAIL-004", CHECK_NA, "under qtest", qtest,
      UNTIL_WAIT CANCEL_NOW("8") MIG("38.26", "S", "cancelled") },

    /* FAIL-005 */
    { "FAIL-005", CHECK_PASS, "plugged back after cancelled", NULL, CANCELLED_REPLUGGED },
    { "FAIL-005", CHECK_PASS, "the guest never lost it", NULL,
      UNTIL_WAIT MIG("7.5", "S", "failed") },
    { "FAIL-005", CHECK_FAIL, "not plugged back", NULL,
      UNTIL_WAIT CANCEL_NOW("8") G_GUEST_UNPLUG MIG("12.5", "S", "cancelled") LATER("50") },
    { "FAIL-005", CHECK_INCONCLUSIVE, "the console ends within 30 s", NULL,
      UNTIL_WAIT CANCEL_NOW("8") G_GUEST_UNPLUG MIG("12.5", "S", "cancelled") LATER("20") },
    { "FAIL-005", CHECK_NA, "the migration completed", NULL, G_GOLDEN },

    /* FAIL-006 */
    { "FAIL-006", CHECK_PASS, "re-registered after cancelled", NULL, CANCELLED_REPLUGGED },
    { "FAIL-006", CHECK_FAIL, "re-registered while cancelling", NULL,
      UNTIL_WAIT CANCEL_NOW("8") G_GUEST_UNPLUG CON("12.4", "S", L_PRIMARY)
          MIG("12.5", "S", "cancelled") },
    { "FAIL-006", CHECK_FAIL, "re-registered, the migration never ends", NULL,
      UNTIL_WAIT G_GUEST_UNPLUG CON("12.4", "S", L_PRIMARY) QS("20") },
    { "FAIL-006", CHECK_INCONCLUSIVE, "in the instant of cancelled", NULL,
      UNTIL_WAIT CANCEL_NOW("8") G_GUEST_UNPLUG CON("12.5", "S", L_PRIMARY)
          MIG("12.5", "S", "cancelled") },
    { "FAIL-006", CHECK_INCONCLUSIVE, "the QMP log ends first", NULL,
      UNTIL_WAIT G_GUEST_UNPLUG CON("12.4", "S", L_PRIMARY) },
    { "FAIL-006", CHECK_NA, "no re-registration on the source", NULL, G_GOLDEN },

    /* FAIL-007 */
    { "FAIL-007", CHECK_PASS, "device_del after the replug completes", NULL,
      CANCELLED_REPLUGGED DEL_CMD("20") DEL_OK("20") CON("20.1", "S", L_PRESS)
          CON("25.2", "S", L_PRIMARY_GONE) DELETED("25.3") },
    { "FAIL-007", CHECK_FAIL, "no DEVICE_DELETED", NULL,
      CANCELLED_REPLUGGED DEL_CMD("20") DEL_OK("20") CON("20.1", "S", L_PRESS)
          CON("25.2", "S", L_PRIMARY_GONE) QS("40") },
    { "FAIL-007", CHECK_INCONCLUSIVE, "the trace ends within 3 s", NULL,
      CANCELLED_REPLUGGED DEL_CMD("20") DEL_OK("20") CON("20.1", "S", L_PRESS)
          CON("25.2", "S", L_PRIMARY_GONE) },
    { "FAIL-007", CHECK_NA, "no device_del", NULL, CANCELLED_REPLUGGED },

    /* FAIL-008 */
    { "FAIL-008", CHECK_PASS, "nothing until the next migrate", NULL,
      G_SESSIONS CANCEL("3") CANCEL_OK("3") G_BOOT G_MIGRATE },
    { "FAIL-008", CHECK_PASS, "nothing at all", NULL, G_SESSIONS CANCEL("3") CANCEL_OK("3") },
    { "FAIL-008", CHECK_FAIL, "a MIGRATION event follows", NULL,
      G_SESSIONS CANCEL("3") CANCEL_OK("3") MIG("3.1", "S", "cancelled") },
    { "FAIL-008", CHECK_NA, "cancel while migrating", NULL, UNTIL_WAIT CANCEL_NOW("8") },
};

static void fail_001(void **state)
{
    (void)state;
    EVIDENCE(FAIL-001, H-43);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "FAIL-001");
}

static void fail_002(void **state)
{
    (void)state;
    EVIDENCE(FAIL-002, H-44);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "FAIL-002");
}

static void fail_003(void **state)
{
    (void)state;
    EVIDENCE(FAIL-003, H-44);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "FAIL-003");
}

static void fail_004(void **state)
{
    (void)state;
    EVIDENCE(FAIL-004, H-45);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "FAIL-004");
}

static void fail_005(void **state)
{
    (void)state;
    EVIDENCE(FAIL-005, H-47, H-49);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "FAIL-005");
}

static void fail_006(void **state)
{
    (void)state;
    EVIDENCE(FAIL-006, H-46, H-47, G-80);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "FAIL-006");
}

static void fail_007(void **state)
{
    (void)state;
    EVIDENCE(FAIL-007, H-47, H-39);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "FAIL-007");
}

static void fail_008(void **state)
{
    (void)state;
    EVIDENCE(FAIL-008, H-43);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "FAIL-008");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(fail_001), cmocka_unit_test(fail_002), cmocka_unit_test(fail_003),
    cmocka_unit_test(fail_004), cmocka_unit_test(fail_005), cmocka_unit_test(fail_006),
    cmocka_unit_test(fail_007), cmocka_unit_test(fail_008),
};

FO_MAIN("monitor_fail", tests)
