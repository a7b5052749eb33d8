/*
 * Monitors of area HIDE (the primary hidden until negotiation, and kept
 * realized after a failover unplug), driven by hand-built traces: PASS and
 * FAIL cases for every assertion, INCONCLUSIVE and N/A where they apply.
 */
#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

#define PRIMARY0 "\"driver\": \"e1000e\", \"id\": \"primary0\", \"failover_pair_id\": \"standby0\", \"bus\": \"root1\""
#define DELETED(T, H) EV(T, H, "DEVICE_DELETED", "{\"device\": \"primary0\", \"path\": \"/machine/peripheral/primary0\"}")

/* primary0 created before its standby: an ordinary device (H-18). */
static void not_hideable(struct check_ctx *ctx)
{
    for (int h = 0; h < OBS_NHOSTS; h++)
        ctx->host[h].dev[1].hideable = false;
}

static void no_netdevs(struct check_ctx *ctx)
{
    for (int h = 0; h < OBS_NHOSTS; h++)
        for (unsigned i = 0; i < ctx->host[h].ndev; i++)
            ctx->host[h].dev[i].netdev[0] = '\0';
}

static void no_stderr(struct check_ctx *ctx)
{
    tf_ctx_drop(ctx, -1, SPEC_SRC_STDERR);
}

static const struct tf_case cases[] = {
    /* HIDE-001 */
    { "HIDE-001", CHECK_PASS, "query-pci without the hidden primary", NULL,
      G_SESSIONS QPCI_CMD("1", "S", "q1") QPCI_WITHOUT("1", "S", "q1") G_NEGOTIATE
          QPCI_CMD("6", "S", "q2") QPCI_WITH("6", "S", "q2") },
    { "HIDE-001", CHECK_FAIL, "hidden primary in query-pci", NULL,
      G_SESSIONS QPCI_CMD("1", "S", "q1") QPCI_WITH("1", "S", "q1") G_NEGOTIATE },
    { "HIDE-001", CHECK_NA, "query-pci only after negotiation", NULL,
      G_SESSIONS G_NEGOTIATE QPCI_CMD("6", "S", "q2") QPCI_WITH("6", "S", "q2") },

    /* HIDE-002 */
    { "HIDE-002", CHECK_PASS, "primary seen after negotiation", NULL, G_SESSIONS G_BOOT },
    { "HIDE-002", CHECK_FAIL, "primary seen before negotiation", NULL,
      G_SESSIONS CON("2.0", "S", L_PRIMARY) CON("2.0005", "S", L_NIC_MAC) G_NEGOTIATE },
    { "HIDE-002", CHECK_FAIL, "primary seen, never negotiated", NULL,
      G_SESSIONS CON("2.0", "S", L_PRIMARY) CON("2.0005", "S", L_NIC_MAC)
          EV("3", "S", "STOP", "") },
    { "HIDE-002", CHECK_INCONCLUSIVE, "in the same microsecond", NULL,
      G_SESSIONS NEG("2.838", "S") CON("2.838", "S", L_NIC_MAC) },
    { "HIDE-002", CHECK_NA, "primary not hidden by QEMU", not_hideable,
      G_SESSIONS CON("2.0", "S", L_NIC_MAC) G_NEGOTIATE },
    { "HIDE-002", CHECK_NA, "no primary seen", NULL, G_SESSIONS G_NEGOTIATE },

    /* HIDE-003 */
    { "HIDE-003", CHECK_PASS, "hidden device_add succeeds", tf_ctx_primary_added,
      SESSION("S") ADD("1", PRIMARY0, "a1") OK("1", "a1") },
    { "HIDE-003", CHECK_FAIL, "hidden device_add refused", tf_ctx_primary_added,
      SESSION("S") ADD("1", PRIMARY0, "a1") ERR("1", "a1", "primary could not be hidden") },
    { "HIDE-003", CHECK_NA, "the user's bad bus", tf_ctx_primary_added,
      SESSION("S") ADD("1", PRIMARY0, "a1") ERR("1", "a1", "Bus 'root1' not found") },
    { "HIDE-003", CHECK_NA, "standby already negotiated", tf_ctx_primary_added,
      SESSION("S") NEG("0.5", "S") ADD("1", PRIMARY0, "a1") OK("1", "a1") },

    /* HIDE-004 */
    { "HIDE-004", CHECK_PASS, "ordinary primary listed", not_hideable,
      SESSION("S") QPCI_CMD("1", "S", "q1") QPCI_WITH("1", "S", "q1") },
    { "HIDE-004", CHECK_FAIL, "ordinary primary hidden", not_hideable,
      SESSION("S") QPCI_CMD("1", "S", "q1") QPCI_WITHOUT("1", "S", "q1") },
    { "HIDE-004", CHECK_PASS, "added before its standby, then listed", tf_ctx_primary_added,
      SESSION("S") "0 S cmd {\"execute\": \"device_del\", \"arguments\": {\"id\": \"standby0\"}, \"id\": \"x\"}\n"
      "0 S reply {\"return\": {}, \"id\": \"x\"}\n"
      "0.1 S event DEVICE_DELETED {\"device\": \"standby0\", \"path\": \"/machine/peripheral/standby0\"}\n"
          ADD("1", PRIMARY0, "a1") OK("1", "a1") QPCI_CMD("2", "S", "q1") QPCI_WITH("2", "S", "q1") },
    { "HIDE-004", CHECK_NA, "only hideable primaries", NULL,
      SESSION("S") QPCI_CMD("1", "S", "q1") QPCI_WITHOUT("1", "S", "q1") },

    /* HIDE-005 */
    { "HIDE-005", CHECK_PASS, "unplug without DEVICE_DELETED", NULL, G_GOLDEN },
    { "HIDE-005", CHECK_FAIL, "DEVICE_DELETED for the failover unplug", NULL,
      G_SESSIONS G_BOOT G_MIGRATE G_GUEST_UNPLUG DELETED("13.4", "S") G_ACTIVE },
    { "HIDE-005", CHECK_PASS, "DEVICE_DELETED after a device_del", NULL,
      G_SESSIONS G_BOOT G_MIGRATE
      "8 S cmd {\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"d1\"}\n"
      "8 S reply {\"return\": {}, \"id\": \"d1\"}\n" G_GUEST_UNPLUG DELETED("13.4", "S") G_ACTIVE },
    { "HIDE-005", CHECK_INCONCLUSIVE, "trace ends mid-migration", NULL,
      G_SESSIONS G_BOOT G_MIGRATE G_GUEST_UNPLUG },
    { "HIDE-005", CHECK_NA, "no unplug", NULL, G_SESSIONS G_BOOT },

    /* HIDE-006 */
    { "HIDE-006", CHECK_PASS, "unplugged primary still listed", NULL,
      G_GOLDEN QPCI_CMD("20", "S", "q3") QPCI_WITH("20", "S", "q3") },
    { "HIDE-006", CHECK_FAIL, "unplugged primary gone from query-pci", NULL,
      G_GOLDEN QPCI_CMD("20", "S", "q3") QPCI_WITHOUT("20", "S", "q3") },
    { "HIDE-006", CHECK_NA, "no query-pci after the unplug", NULL,
      G_GOLDEN QPCI_CMD("6", "S", "q2") QPCI_WITH("6", "S", "q2") },

    /* HIDE-007 */
    { "HIDE-007", CHECK_PASS, "warning for the hidden primary's netdev", NULL,
      G_SESSIONS G_STDERR },
    { "HIDE-007", CHECK_FAIL, "warning missing", NULL,
      G_SESSIONS "0 S err qemu-system-x86_64: warning: netdev hs9 has no peer\n"
                 "0 T err qemu-system-x86_64: warning: netdev hs1 has no peer\n" },
    { "HIDE-007", CHECK_FAIL, "warning for the standby's netdev", NULL,
      G_SESSIONS G_STDERR "0 S err qemu-system-x86_64: warning: netdev hs0 has no peer\n" },
    { "HIDE-007", CHECK_NA, "no netdevs in the configuration", no_netdevs, G_SESSIONS G_STDERR },
    { "HIDE-007", CHECK_NA, "stderr not given", no_stderr, G_SESSIONS },
    { "HIDE-007", CHECK_NA, "nothing at all seen of the hosts", NULL, "" },

    /* HIDE-008 */
    { "HIDE-008", CHECK_PASS, "listed primary stays listed", NULL,
      G_SESSIONS G_BOOT QPCI_CMD("6", "S", "q2") QPCI_WITH("6", "S", "q2")
          QPCI_CMD("20", "S", "q3") QPCI_WITH("20", "S", "q3") },
    { "HIDE-008", CHECK_FAIL, "listed primary hidden again", NULL,
      G_SESSIONS G_BOOT QPCI_CMD("6", "S", "q2") QPCI_WITH("6", "S", "q2")
          QPCI_CMD("20", "S", "q3") QPCI_WITHOUT("20", "S", "q3") },
    { "HIDE-008", CHECK_NA, "deleted, then gone", NULL,
      G_SESSIONS G_BOOT QPCI_CMD("6", "S", "q2") QPCI_WITH("6", "S", "q2") DELETED("10", "S")
          QPCI_CMD("20", "S", "q3") QPCI_WITHOUT("20", "S", "q3") },
    { "HIDE-008", CHECK_NA, "one query-pci", NULL,
      G_SESSIONS G_BOOT QPCI_CMD("6", "S", "q2") QPCI_WITH("6", "S", "q2") },
};

static void hide_001(void **state)
{
    (void)state;
    EVIDENCE(HIDE-001, H-14, H-23);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "HIDE-001");
}

static void hide_002(void **state)
{
    (void)state;
    EVIDENCE(HIDE-002, H-14, H-19);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "HIDE-002");
}

static void hide_003(void **state)
{
    (void)state;
    EVIDENCE(HIDE-003, H-15);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "HIDE-003");
}

static void hide_004(void **state)
{
    (void)state;
    EVIDENCE(HIDE-004, H-18, H-11);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "HIDE-004");
}

static void hide_005(void **state)
{
    (void)state;
    EVIDENCE(HIDE-005, H-39);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "HIDE-005");
}

static void hide_006(void **state)
{
    (void)state;
    EVIDENCE(HIDE-006, H-39, H-50);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "HIDE-006");
}

static void hide_007(void **state)
{
    (void)state;
    EVIDENCE(HIDE-007, H-14);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "HIDE-007");
}

static void hide_008(void **state)
{
    (void)state;
    EVIDENCE(HIDE-008, H-24);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "HIDE-008");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(hide_001), cmocka_unit_test(hide_002), cmocka_unit_test(hide_003),
    cmocka_unit_test(hide_004), cmocka_unit_test(hide_005), cmocka_unit_test(hide_006),
    cmocka_unit_test(hide_007), cmocka_unit_test(hide_008),
};

FO_MAIN("monitor_hide", tests)
