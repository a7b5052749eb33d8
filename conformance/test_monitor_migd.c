/*
 * Monitors of area MIGD (the migration destination), driven by hand-built
 * traces: PASS and FAIL cases for every assertion, INCONCLUSIVE and N/A
 * where they apply.  Every case also runs with same-time records of
 * different files reordered (tracefeed.c).
 */
#include <string.h>

#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

/* The source side of the golden migration (negotiated before it). */
#define G_SOURCE G_SESSIONS G_BOOT G_MIGRATE G_GUEST_UNPLUG G_ACTIVE
/* A source that never negotiated, and migrated without an unplug. */
#define PLAIN_SOURCE                                                                        \
    G_SESSIONS MIG("7", "S", "setup") MIG("7.002", "S", "active")                           \
    EV("7.5", "S", "STOP", "") MIG("7.6", "S", "completed")
/* The target's incoming migration without FAILOVER_NEGOTIATED. */
#define T_LOAD MIG("7.001", "T", "active")
#define T_RESUME(T) EV(T, "T", "RESUME", "")
#define T_DONE(T) MIG(T, "T", "completed")
#define NEG1(T, H) EV(T, H, "FAILOVER_NEGOTIATED", "{\"device-id\": \"standby1\"}")
#define LATER_T(T) CON(T, "T", "random: crng init done")

/* A second pair on each host: standby1 (hs2) and its primary1 (hs3). */
static void two_pairs(struct check_ctx *ctx)
{
    static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0x22, 0x22, 0x22 };
    for (int h = 0; h < OBS_NHOSTS; h++) {
        struct check_device *d =
            check_ctx_add_device(ctx, (enum obs_host)h, "standby1", OBS_ROLE_STANDBY);
        sim_strlcpy(d->netdev, "hs2", sizeof(d->netdev));
        d->has_mac = true;
        memcpy(d->mac, mac, 6);
        d = check_ctx_add_device(ctx, (enum obs_host)h, "primary1", OBS_ROLE_PRIMARY);
        sim_strlcpy(d->netdev, "hs3", sizeof(d->netdev));
        sim_strlcpy(d->pair, "standby1", sizeof(d->pair));
        d->has_mac = true;
        memcpy(d->mac, mac, 6);
        d->hideable = true;
    }
}

/* The hosts' clocks may differ by up to half a second. */
static void skew(struct check_ctx *ctx)
{
    ctx->host_skew = SIM_MS(500);
}

static const struct tf_case cases[] = {
    /* MIGD-001 */
    { "MIGD-001", CHECK_PASS, "negotiated during the load", NULL, G_GOLDEN },
    { "MIGD-001", CHECK_FAIL, "no FAILOVER_NEGOTIATED on the target", NULL,
      G_SOURCE T_RESUME("14.107") T_DONE("14.1071") },
    { "MIGD-001", CHECK_NA, "the guest never negotiated", NULL,
      PLAIN_SOURCE T_LOAD T_RESUME("7.601") T_DONE("7.602") },
    { "MIGD-001", CHECK_NA, "the incoming migration failed", NULL,
      G_SOURCE MIG("14.2", "T", "failed") },

    /* MIGD-002 */
    { "MIGD-002", CHECK_PASS, "primary after the target negotiated", NULL, G_GOLDEN },
    { "MIGD-002", CHECK_FAIL, "primary before the target negotiated", NULL,
      G_SOURCE CON("14.0", "T", L_PRIMARY) CON("14.0005", "T", L_NIC_MAC) NEG("14.106", "T")
          T_RESUME("14.107") T_DONE("14.1071") },
    { "MIGD-002", CHECK_INCONCLUSIVE, "in the same microsecond", NULL,
      G_SOURCE NEG("14.106", "T") CON("14.106", "T", L_NIC_MAC) T_RESUME("14.107") },
    { "MIGD-002", CHECK_NA, "no primary on the target", NULL,
      G_SOURCE NEG("14.106", "T") T_RESUME("14.107") T_DONE("14.1071") },

    /* MIGD-009 */
    { "MIGD-009", CHECK_PASS, "query-pci without the hidden primary", NULL,
      G_SOURCE QPCI_CMD("14", "T", "q1") QPCI_WITHOUT("14", "T", "q1") G_TARGET },
    { "MIGD-009", CHECK_FAIL, "hidden primary listed during the load", NULL,
      G_SOURCE QPCI_CMD("14", "T", "q1") QPCI_WITH("14", "T", "q1") G_TARGET },
    { "MIGD-009", CHECK_NA, "query-pci only after negotiation", NULL,
      G_GOLDEN QPCI_CMD("20", "T", "q4") QPCI_WITH("20", "T", "q4") },

    /* MIGD-003 */
    { "MIGD-003", CHECK_PASS, "negotiated before RESUME", NULL, G_GOLDEN },
    { "MIGD-003", CHECK_FAIL, "RESUME before the negotiation", NULL,
      G_SOURCE T_RESUME("14.105") NEG("14.106", "T") T_DONE("14.1071") },
    { "MIGD-003", CHECK_FAIL, "resumed, never negotiated", NULL,
      G_SOURCE T_RESUME("14.107") T_DONE("14.1071") },
    { "MIGD-003", CHECK_NA, "the guest never negotiated", NULL,
      PLAIN_SOURCE T_LOAD T_RESUME("7.601") T_DONE("7.602") },
    { "MIGD-003", CHECK_NA, "the target never resumed", NULL,
      G_SOURCE NEG("14.106", "T") MIG("14.2", "T", "failed") },

    /* MIGD-004 */
    { "MIGD-004", CHECK_PASS, "not negotiated, not announced", NULL,
      PLAIN_SOURCE T_LOAD T_RESUME("7.601") T_DONE("7.602") },
    { "MIGD-004", CHECK_PASS, "the guest negotiates anew after RESUME", NULL,
      PLAIN_SOURCE T_LOAD T_RESUME("7.601") T_DONE("7.602") NEG("9", "T") },
    { "MIGD-004", CHECK_FAIL, "announced during the load", NULL,
      PLAIN_SOURCE T_LOAD NEG("7.5", "T") T_RESUME("7.601") T_DONE("7.602") },
    { "MIGD-004", CHECK_NA, "every standby negotiated", NULL, G_GOLDEN },
    { "MIGD-004", CHECK_NA, "no incoming migration", NULL, PLAIN_SOURCE },

    /* MIGD-005 */
    { "MIGD-005", CHECK_PASS, "primary registered again", NULL, G_GOLDEN },
    { "MIGD-005", CHECK_PASS, "registered in the instant of RESUME", NULL,
      G_SOURCE NEG("14.106", "T") T_RESUME("14.107") CON("14.107", "T", L_PRIMARY) },
    { "MIGD-005", CHECK_FAIL, "no registration in 30 s", NULL,
      G_SOURCE NEG("14.106", "T") T_RESUME("14.107") T_DONE("14.1071") LATER_T("50") },
    { "MIGD-005", CHECK_INCONCLUSIVE, "the console ends within 30 s", NULL,
      G_SOURCE NEG("14.106", "T") T_RESUME("14.107") LATER_T("20") },
    { "MIGD-005", CHECK_NA, "the guest never negotiated", NULL,
      PLAIN_SOURCE T_LOAD T_RESUME("7.601") T_DONE("7.602") },

    /* MIGD-006 */
    { "MIGD-006", CHECK_PASS, "active, then completed", NULL, G_GOLDEN },
    { "MIGD-006", CHECK_PASS, "setup, active, failed", NULL,
      MIG("1", "T", "setup") MIG("2", "T", "active") MIG("3", "T", "failed") },
    { "MIGD-006", CHECK_FAIL, "wait-unplug on the destination", NULL,
      MIG("1", "T", "setup") MIG("2", "T", "wait-unplug") },
    { "MIGD-006", CHECK_FAIL, "completed without active", NULL,
      MIG("1", "T", "setup") MIG("2", "T", "completed") },
    { "MIGD-006", CHECK_INCONCLUSIVE, "postcopy", NULL,
      MIG("1", "T", "active") MIG("2", "T", "postcopy-active") MIG("3", "T", "completed") },
    { "MIGD-006", CHECK_NA, "no MIGRATION on the target", NULL, G_SESSIONS G_BOOT },

    /* MIGD-007 */
    { "MIGD-007", CHECK_PASS, "RESUME after the source's STOP", NULL, G_GOLDEN },
    { "MIGD-007", CHECK_INCONCLUSIVE, "STOP and RESUME in the same instant", NULL,
      MIG("7", "S", "setup") T_LOAD T_RESUME("7.2") EV("7.2", "S", "STOP", "")
          MIG("7.3", "S", "completed") },
    { "MIGD-007", CHECK_FAIL, "RESUME before the source's STOP", NULL,
      MIG("7", "S", "setup") T_LOAD T_RESUME("7.2") EV("7.5", "S", "STOP", "")
          MIG("7.6", "S", "completed") },
    { "MIGD-007", CHECK_FAIL, "the source never stopped", NULL,
      MIG("7", "S", "setup") T_LOAD T_RESUME("7.2") MIG("7.6", "S", "failed") },
    { "MIGD-007", CHECK_INCONCLUSIVE, "within the host skew", skew,
      MIG("7", "S", "setup") T_LOAD T_RESUME("7.2") EV("7.5", "S", "STOP", "")
          MIG("7.6", "S", "completed") },
    { "MIGD-007", CHECK_INCONCLUSIVE, "the source's log ends first", NULL,
      MIG("7", "S", "setup") T_LOAD T_RESUME("7.2") },
    { "MIGD-007", CHECK_NA, "no incoming RESUME", NULL, G_SOURCE },

    /* MIGD-008 */
    { "MIGD-008", CHECK_PASS, "no UNPLUG_PRIMARY on the target", NULL, G_GOLDEN },
    { "MIGD-008", CHECK_FAIL, "UNPLUG_PRIMARY during the load", NULL,
      G_SOURCE UNPLUG("14.1", "T") G_TARGET },
    { "MIGD-008", CHECK_NA, "no incoming migration", NULL, G_SOURCE },
    { "MIGD-008", CHECK_NA, "the target migrates itself", NULL,
      CMD("1", "T", "{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:y:1\"}, \"id\": \"m2\"}")
          MIG("1", "T", "setup") UNPLUG("1.001", "T") MIG("1.005", "T", "wait-unplug") },

    /* MIGD-010 */
    { "MIGD-010", CHECK_PASS, "standbys negotiated in load order", two_pairs,
      PLAIN_SOURCE T_LOAD NEG("7.5", "T") NEG1("7.51", "T") T_DONE("7.602") },
    { "MIGD-010", CHECK_FAIL, "the second standby first", two_pairs,
      PLAIN_SOURCE T_LOAD NEG1("7.5", "T") NEG("7.51", "T") T_DONE("7.602") },
    { "MIGD-010", CHECK_NA, "one standby", NULL, G_GOLDEN },
};

static void migd_001(void **state)
{
    (void)state;
    EVIDENCE(MIGD-001, H-53, H-19);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-001");
}

static void migd_002(void **state)
{
    (void)state;
    EVIDENCE(MIGD-002, H-52, H-53, H-14);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-002");
}

static void migd_003(void **state)
{
    (void)state;
    EVIDENCE(MIGD-003, H-53);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-003");
}

static void migd_004(void **state)
{
    (void)state;
    EVIDENCE(MIGD-004, H-54, H-23);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-004");
}

static void migd_005(void **state)
{
    (void)state;
    EVIDENCE(MIGD-005, H-53, G-13);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-005");
}

static void migd_006(void **state)
{
    (void)state;
    EVIDENCE(MIGD-006);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-006");
}

static void migd_007(void **state)
{
    (void)state;
    EVIDENCE(MIGD-007);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-007");
}

static void migd_008(void **state)
{
    (void)state;
    EVIDENCE(MIGD-008, H-34, H-31);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-008");
}

static void migd_009(void **state)
{
    (void)state;
    EVIDENCE(MIGD-009, H-52, H-14);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-009");
}

static void migd_010(void **state)
{
    (void)state;
    EVIDENCE(MIGD-010, H-53);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "MIGD-010");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(migd_001), cmocka_unit_test(migd_002), cmocka_unit_test(migd_003),
    cmocka_unit_test(migd_004), cmocka_unit_test(migd_005), cmocka_unit_test(migd_006),
    cmocka_unit_test(migd_007), cmocka_unit_test(migd_008), cmocka_unit_test(migd_009),
    cmocka_unit_test(migd_010),
};

FO_MAIN("monitor_migd", tests)
