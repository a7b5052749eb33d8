/*
 * Monitors of area DP (the datapath, from host and guest captures), driven
 * by hand-built traces: PASS and FAIL cases for every assertion,
 * INCONCLUSIVE and N/A where they apply.
 */
#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

#define UP CON("2.85", "S", L_MASTER) CON("2.86", "S", L_STANDBY) G_PRIMARY_UP
#define ON_PRIMARY(T) FRAME4(T, "S", "primary0", "primary", "1")
#define ON_STANDBY(T) FRAME4(T, "S", "standby0", "standby", "2")
#define OTHER_MAC_ON_PRIMARY(T) T " S frame primary0 primary out 52:54:00:aa:bb:cc " BCAST " 0800 3\n"
/* Guest capture: a reply towards the guest on a slave, and on the master. */
#define RX_STANDBY(T, F) T " S frame guest standby in 52:55:0a:00:02:02 00:00:00:00:00:00 0800 " F "\n"
/* Guest capture: a frame from the guest on the master, and on the standby. */
#define ON_MASTER(T, F) T " S frame guest master out " MAC1 " 00:00:00:00:00:00 0800 " F "\n"
#define TX_STANDBY(T, F) T " S frame guest standby out " MAC1 " 00:00:00:00:00:00 0800 " F "\n"
#define RX_MASTER(T, F) T " S frame guest master in 52:55:0a:00:02:02 00:00:00:00:00:00 0800 " F "\n"

static void no_guest_pcap(struct check_ctx *ctx)
{
    tf_ctx_drop(ctx, -1, SPEC_SRC_GUEST_PCAP);
}

static void blackout_1s(struct check_ctx *ctx)
{
    ctx->blackout_bound = SIM_S(1);
}

/* A ping every 0.2 s on the standby from 5 s to 8 s (the migration at 7 s). */
#define PING_5_TO_8                                                                         \
    ON_STANDBY("5.0") ON_STANDBY("5.2") ON_STANDBY("5.4") ON_STANDBY("5.6") ON_STANDBY("5.8") \
    ON_STANDBY("6.0") ON_STANDBY("6.2") ON_STANDBY("6.4") ON_STANDBY("6.6") ON_STANDBY("6.8") \
    ON_STANDBY("7.0") ON_STANDBY("7.2") ON_STANDBY("7.4") ON_STANDBY("7.6") ON_STANDBY("7.8")
#define PING_8_TO_11                                                                        \
    ON_STANDBY("8.0") ON_STANDBY("8.2") ON_STANDBY("8.4") ON_STANDBY("8.6") ON_STANDBY("8.8") \
    ON_STANDBY("9.0") ON_STANDBY("9.2") ON_STANDBY("9.4") ON_STANDBY("9.6") ON_STANDBY("9.8") \
    ON_STANDBY("10.0") ON_STANDBY("10.2") ON_STANDBY("10.4") ON_STANDBY("10.6") ON_STANDBY("10.8")
#define SHORT_MIGRATION MIG("7", "S", "setup") MIG("7.005", "S", "active") MIG("7.6", "S", "completed")

static const struct tf_case cases[] = {
    /* DP-001 */
    { "DP-001", CHECK_PASS, "traffic through the ready primary", NULL,
      UP ON_STANDBY("4") ON_PRIMARY("6") ON_PRIMARY("7") },
    { "DP-001", CHECK_FAIL, "traffic through the standby while the primary is ready", NULL,
      UP ON_PRIMARY("6") ON_STANDBY("7") CON("8", "S", "random: crng init done") },
    { "DP-001", CHECK_INCONCLUSIVE, "a standby frame in the link-down microsecond", NULL,
      UP ON_PRIMARY("6") CON("12.25", "S", L_LINK_DOWN) ON_STANDBY("12.25")
          CON("13", "S", L_PRIMARY_GONE) },
    { "DP-001", CHECK_NA, "no traffic while the primary was ready", NULL,
      UP ON_STANDBY("4") CON("5.5", "S", L_LINK_DOWN) ON_STANDBY("6") },

    /* DP-002 */
    { "DP-002", CHECK_PASS, "primary path while registered", NULL,
      UP ON_PRIMARY("6") CON("12.26", "S", L_PRIMARY_GONE) ON_STANDBY("13") },
    { "DP-002", CHECK_FAIL, "primary path after its unregistration", NULL,
      UP CON("12.26", "S", L_PRIMARY_GONE) ON_PRIMARY("13") CON("14", "S", "random: x") },
    { "DP-002", CHECK_INCONCLUSIVE, "in the unregistration's microsecond", NULL,
      UP CON("12.26", "S", L_PRIMARY_GONE) ON_PRIMARY("12.26") CON("14", "S", "random: x") },
    { "DP-002", CHECK_NA, "nothing on the primary path", NULL,
      UP CON("12.26", "S", L_PRIMARY_GONE) ON_STANDBY("13") },

    /* DP-003 */
    { "DP-003", CHECK_PASS, "standby RX dropped while a primary is registered", NULL,
      UP RX_STANDBY("4", "10") RX_STANDBY("4.2", "11") RX_MASTER("4.4", "12") },
    { "DP-003", CHECK_FAIL, "standby RX delivered to the master", NULL,
      UP RX_STANDBY("4", "10") RX_MASTER("4.0002", "10") },
    { "DP-003", CHECK_NA, "standby RX without a primary", NULL,
      CON("2.85", "S", L_MASTER) CON("2.86", "S", L_STANDBY) RX_STANDBY("4", "10")
          RX_MASTER("4.0002", "10") },
    { "DP-003", CHECK_NA, "no guest capture", no_guest_pcap, UP RX_STANDBY("4", "10") },

    /* DP-004 */
    { "DP-004", CHECK_PASS, "traffic goes on through the migration", NULL,
      PING_5_TO_8 PING_8_TO_11 SHORT_MIGRATION },
    { "DP-004", CHECK_FAIL, "a 2.5 s blackout", NULL,
      PING_5_TO_8 ON_STANDBY("10.3") ON_STANDBY("10.5") SHORT_MIGRATION },
    { "DP-004", CHECK_FAIL, "traffic stops (configured bound 1 s)", blackout_1s,
      PING_5_TO_8 SHORT_MIGRATION ON_STANDBY("12") EV("12.5", "S", "STOP", "") },
    { "DP-004", CHECK_FAIL, "the master sends, nothing leaves for 2.5 s", NULL,
      PING_5_TO_8 ON_MASTER("8.0", "20") ON_MASTER("9.0", "21") ON_MASTER("10.0", "22")
          ON_STANDBY("10.3") ON_STANDBY("10.5") SHORT_MIGRATION },
    { "DP-004", CHECK_PASS, "guest capture on a slave counts", NULL,
      PING_5_TO_8 ON_MASTER("8.0", "20") TX_STANDBY("8.0", "20") ON_MASTER("9.0", "21")
          TX_STANDBY("9.0", "21") PING_8_TO_11 SHORT_MIGRATION },
    { "DP-004", CHECK_INCONCLUSIVE, "the trace ends inside the window", NULL,
      PING_5_TO_8 MIG("7", "S", "setup") MIG("7.005", "S", "active") },
    { "DP-004", CHECK_NA, "no workload before the migration", NULL,
      ON_STANDBY("1") SHORT_MIGRATION PING_8_TO_11 },

    /* DP-005 */
    { "DP-005", CHECK_PASS, "primary frames with the pair's MAC", NULL, ON_PRIMARY("6") },
    { "DP-005", CHECK_FAIL, "primary frame with another MAC", NULL, OTHER_MAC_ON_PRIMARY("6") },
    { "DP-005", CHECK_NA, "no primary frame", NULL, ON_STANDBY("6") },

    /* DP-006 */
    { "DP-006", CHECK_PASS, "RARP when the destination starts", NULL,
      MIG("7.001", "T", "active") NEG("14.106", "T") EV("14.107", "T", "RESUME", "")
          G_RARP MIG("14.1071", "T", "completed") },
    { "DP-006", CHECK_FAIL, "no RARP", NULL,
      MIG("7.001", "T", "active") EV("14.107", "T", "RESUME", "")
          MIG("14.1071", "T", "completed") FRAME4("17", "T", "standby0", "standby", "9") },
    { "DP-006", CHECK_INCONCLUSIVE, "captures end at RESUME", NULL,
      MIG("7.001", "T", "active") FRAME4("14.0", "T", "standby0", "standby", "9")
          EV("14.107", "T", "RESUME", "") MIG("14.1071", "T", "completed") },
    { "DP-006", CHECK_NA, "no incoming migration", NULL, G_SESSIONS G_BOOT },
};

static void dp_001(void **state)
{
    (void)state;
    EVIDENCE(DP-001, G-43, G-37);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "DP-001");
}

static void dp_002(void **state)
{
    (void)state;
    EVIDENCE(DP-002, G-43, G-33);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "DP-002");
}

static void dp_003(void **state)
{
    (void)state;
    EVIDENCE(DP-003, G-45);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "DP-003");
}

static void dp_004(void **state)
{
    (void)state;
    EVIDENCE(DP-004, G-43, H-38);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "DP-004");
}

static void dp_005(void **state)
{
    (void)state;
    EVIDENCE(DP-005, G-10, G-17);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "DP-005");
}

static void dp_006(void **state)
{
    (void)state;
    EVIDENCE(DP-006);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "DP-006");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(dp_001), cmocka_unit_test(dp_002), cmocka_unit_test(dp_003),
    cmocka_unit_test(dp_004), cmocka_unit_test(dp_005), cmocka_unit_test(dp_006),
};

FO_MAIN("monitor_dp", tests)
