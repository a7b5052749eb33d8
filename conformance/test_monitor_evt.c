/*
 * Monitors of area EVT (the QMP event and command contract), driven by
 * hand-built QMP logs: each assertion has cases where it must PASS, FAIL,
 * and where they apply be INCONCLUSIVE or N/A.  Every case is also run with
 * same-time records of different files reordered (tracefeed.c).
 */
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

#define SESSION(H)                                                                  \
    "0 " H " greet\n"                                                               \
    "0 " H " cmd {\"execute\": \"qmp_capabilities\", \"id\": \"c0\"}\n"            \
    "0 " H " reply {\"return\": {}, \"id\": \"c0\"}\n"
#define EVENTS_ON(H)                                                                  \
    "0 " H " cmd {\"execute\": \"migrate-set-capabilities\", \"arguments\": "         \
    "{\"capabilities\": [{\"capability\": \"events\", \"state\": true}]}, \"id\": "   \
    "\"c1\"}\n"                                                                       \
    "0 " H " reply {\"return\": {}, \"id\": \"c1\"}\n"
#define MIGRATE(T, H)                                                                  \
    T " " H " cmd {\"execute\": \"migrate\", \"arguments\": {\"uri\": \"tcp:x:1\"}, "  \
        "\"id\": \"m1\"}\n"
#define MIGRATE_OK(T, H) T " " H " reply {\"return\": {}, \"id\": \"m1\"}\n"
#define MIG(T, H, S) T " " H " event MIGRATION {\"status\": \"" S "\"}\n"

#define MPASS(T, H, N) T " " H " event MIGRATION_PASS {\"pass\": " N "}\n"

static const struct tf_case cases[] = {
    /* EVT-001 */
    { "EVT-001", CHECK_PASS, "events on, migration reports its states", NULL,
      SESSION("S") EVENTS_ON("S") MIGRATE("1", "S") MIG("1", "S", "setup")
          MIGRATE_OK("1", "S") MIG("2", "S", "active") MIG("3", "S", "completed") },
    { "EVT-001", CHECK_FAIL, "MIGRATION events without the capability", NULL,
      SESSION("S") MIGRATE("1", "S") MIG("1", "S", "setup") MIGRATE_OK("1", "S") },
    { "EVT-001", CHECK_FAIL, "capability on, migrate succeeded, no event", NULL,
      SESSION("S") EVENTS_ON("S") MIGRATE("1", "S") MIGRATE_OK("1", "S")
          "5 S event STOP\n" },
    { "EVT-001", CHECK_FAIL, "capability switched off again, then events", NULL,
      SESSION("S") EVENTS_ON("S")
      "0.5 S cmd {\"execute\": \"migrate-set-capabilities\", \"arguments\": "
      "{\"capabilities\": [{\"capability\": \"events\", \"state\": false}]}, \"id\": \"c2\"}\n"
      "0.5 S reply {\"return\": {}, \"id\": \"c2\"}\n" MIGRATE("1", "S") MIG("1", "S", "setup") },
    { "EVT-001", CHECK_INCONCLUSIVE, "trace cut right after migrate", NULL,
      SESSION("S") EVENTS_ON("S") MIGRATE("1", "S") MIGRATE_OK("1", "S")
          "1 S end truncated\n" },
    { "EVT-001", CHECK_NA, "no migration", NULL, SESSION("S") EVENTS_ON("S") },
    { "EVT-001", CHECK_NA, "commands not recorded", tf_ctx_no_commands,
      MIG("1", "S", "setup") MIG("2", "S", "active") },

    /* EVT-002 */
    { "EVT-002", CHECK_PASS, "every command answered in order", NULL,
      SESSION("S") EVENTS_ON("S") SESSION("T") },
    { "EVT-002", CHECK_PASS, "replies without id to commands without id", NULL,
      "0 S greet\n0 S cmd {\"execute\": \"qmp_capabilities\"}\n0 S reply {\"return\": {}}\n" },
    { "EVT-002", CHECK_FAIL, "reply does not echo the id", NULL,
      "0 S greet\n0 S cmd {\"execute\": \"qmp_capabilities\", \"id\": \"a\"}\n"
      "0 S reply {\"return\": {}}\n" },
    { "EVT-002", CHECK_FAIL, "replies out of order", NULL,
      SESSION("S") "1 S cmd {\"execute\": \"query-status\", \"id\": \"q1\"}\n"
                   "1 S cmd {\"execute\": \"query-migrate\", \"id\": \"q2\"}\n"
                   "1 S reply {\"return\": {}, \"id\": \"q2\"}\n"
                   "1 S reply {\"return\": {\"status\": \"running\", \"running\": true}, "
                   "\"id\": \"q1\"}\n" },
    { "EVT-002", CHECK_FAIL, "reply with no command waiting", NULL,
      SESSION("S") "1 S reply {\"return\": {}, \"id\": \"c9\"}\n" },
    { "EVT-002", CHECK_INCONCLUSIVE, "log ends with a command unanswered", NULL,
      SESSION("S") "1 S cmd {\"execute\": \"query-status\", \"id\": \"q1\"}\n" },
    { "EVT-002", CHECK_PASS, "quit needs no reply", NULL,
      SESSION("S") "1 S cmd {\"execute\": \"quit\", \"id\": \"q1\"}\n"
                   "1 S event SHUTDOWN {\"guest\": false, \"reason\": \"host-qmp-quit\"}\n" },
    { "EVT-002", CHECK_NA, "no commands", NULL, "0 S greet\n1 S event STOP\n" },

    /* EVT-003 */
    { "EVT-003", CHECK_PASS, "command refused before qmp_capabilities", NULL,
      "0 S greet\n0 S cmd {\"execute\": \"query-status\", \"id\": \"q\"}\n"
      "0 S reply {\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"Expecting "
      "capabilities negotiation with 'qmp_capabilities'\"}, \"id\": \"q\"}\n"
      "0 S cmd {\"execute\": \"qmp_capabilities\", \"id\": \"c\"}\n"
      "0 S reply {\"return\": {}, \"id\": \"c\"}\n" },
    { "EVT-003", CHECK_FAIL, "command accepted before qmp_capabilities", NULL,
      "0 S greet\n0 S cmd {\"execute\": \"query-status\", \"id\": \"q\"}\n"
      "0 S reply {\"return\": {\"status\": \"running\", \"running\": true}, \"id\": \"q\"}\n" },
    { "EVT-003", CHECK_FAIL, "refused with another class", NULL,
      "0 S greet\n0 S cmd {\"execute\": \"query-status\", \"id\": \"q\"}\n"
      "0 S reply {\"error\": {\"class\": \"GenericError\", \"desc\": \"x\"}, \"id\": \"q\"}\n" },
    { "EVT-003", CHECK_NA, "recording starts within the session", NULL,
      "0 S cmd {\"execute\": \"query-status\", \"id\": \"q\"}\n"
      "0 S reply {\"return\": {\"status\": \"running\", \"running\": true}, \"id\": \"q\"}\n" },

    /* EVT-004 */
    { "EVT-004", CHECK_PASS, "valid statuses", NULL,
      MIG("1", "S", "setup") MIG("1", "S", "wait-unplug") MIG("2", "S", "active")
          MIG("3", "S", "completed") },
    { "EVT-004", CHECK_FAIL, "unknown status", NULL, MIG("1", "S", "setup") MIG("2", "S", "paused") },
    { "EVT-004", CHECK_FAIL, "no status member", NULL, "1 S event MIGRATION {\"state\": \"setup\"}\n" },
    { "EVT-004", CHECK_NA, "no MIGRATION event", NULL, "1 S event STOP\n" },

    /* EVT-005 */
    { "EVT-005", CHECK_PASS, "query-migrate agrees", NULL,
      SESSION("S") EVENTS_ON("S") MIG("1", "S", "setup") MIG("1", "S", "wait-unplug")
      "2 S cmd {\"execute\": \"query-migrate\", \"id\": \"q\"}\n"
      "2 S reply {\"return\": {\"status\": \"wait-unplug\"}, \"id\": \"q\"}\n" },
    { "EVT-005", CHECK_PASS, "reply ahead of its event", NULL,
      SESSION("S") EVENTS_ON("S") MIG("1", "S", "setup") MIG("1", "S", "wait-unplug")
      "2 S cmd {\"execute\": \"query-migrate\", \"id\": \"q\"}\n"
      "2 S reply {\"return\": {\"status\": \"active\", \"total-time\": 1000}, \"id\": \"q\"}\n"
      MIG("2.001", "S", "active") },
    { "EVT-005", CHECK_FAIL, "reply reports a state the events never show", NULL,
      SESSION("S") EVENTS_ON("S") MIG("1", "S", "setup") MIG("1", "S", "wait-unplug")
      "2 S cmd {\"execute\": \"query-migrate\", \"id\": \"q\"}\n"
      "2 S reply {\"return\": {\"status\": \"active\", \"total-time\": 1000}, \"id\": \"q\"}\n"
      MIG("3", "S", "cancelling") },
    { "EVT-005", CHECK_NA, "no query-migrate", NULL,
      SESSION("S") EVENTS_ON("S") MIG("1", "S", "setup") },

    /* EVT-006 */
    { "EVT-006", CHECK_PASS, "stop and resume alternate", NULL,
      "1 S event STOP\n2 S event RESUME\n3 S event STOP\n"
      "3 T event MIGRATION {\"status\": \"active\"}\n4 T event RESUME\n" },
    { "EVT-006", CHECK_FAIL, "two STOPs in a row", NULL,
      "1 S event STOP\n2 S event RESUME\n3 S event STOP\n4 S event STOP\n" },
    { "EVT-006", CHECK_FAIL, "RESUME while running", NULL,
      SESSION("S") "1 S cmd {\"execute\": \"query-status\", \"id\": \"q\"}\n"
      "1 S reply {\"return\": {\"status\": \"running\", \"running\": true}, \"id\": \"q\"}\n"
      "2 S event RESUME\n" },
    { "EVT-006", CHECK_NA, "neither event", NULL, MIG("1", "S", "setup") },

    /* EVT-007 */
    { "EVT-007", CHECK_PASS, "device-id present", NULL,
      "1 S event FAILOVER_NEGOTIATED {\"device-id\": \"standby0\"}\n"
      "2 S event UNPLUG_PRIMARY {\"device-id\": \"primary0\"}\n" },
    { "EVT-007", CHECK_FAIL, "empty device-id", NULL,
      "2 S event UNPLUG_PRIMARY {\"device-id\": \"\"}\n" },
    { "EVT-007", CHECK_FAIL, "device-id not a string", NULL,
      "2 S event FAILOVER_NEGOTIATED {\"device-id\": 3}\n" },
    { "EVT-007", CHECK_NA, "no failover event", NULL, "1 S event STOP\n" },

    /* EVT-008 */
    { "EVT-008", CHECK_PASS, "greeting first", NULL, SESSION("S") SESSION("T") },
    { "EVT-008", CHECK_FAIL, "event before the greeting", NULL,
      "0 S event STOP\n0.1 S greet\n" },
    { "EVT-008", CHECK_NA, "no greeting at all", NULL, "0 S event STOP\n" },

    /* EVT-009 */
    { "EVT-009", CHECK_PASS, "passes 1, 2, 3, then 1 again", NULL,
      MIG("1", "S", "setup") MPASS("1.1", "S", "1") MPASS("2", "S", "2") MPASS("2.1", "S", "3")
          MIG("2.2", "S", "cancelled") MIG("5", "S", "setup") MPASS("5.1", "S", "1") },
    { "EVT-009", CHECK_FAIL, "the first pass is 0", NULL,
      MIG("1", "S", "setup") MPASS("1.1", "S", "0") },
    { "EVT-009", CHECK_FAIL, "a pass skipped", NULL,
      MIG("1", "S", "setup") MPASS("1.1", "S", "1") MPASS("2", "S", "3") },
    { "EVT-009", CHECK_FAIL, "the count goes on in the next migration", NULL,
      MIG("1", "S", "setup") MPASS("1.1", "S", "1") MIG("2", "S", "failed")
          MIG("5", "S", "setup") MPASS("5.1", "S", "2") },
    { "EVT-009", CHECK_NA, "no pass after a setup", NULL, MPASS("1", "S", "1") },
};

static void evt_001(void **state)
{
    (void)state;
    EVIDENCE(EVT-001);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "EVT-001");
}

static void evt_002(void **state)
{
    (void)state;
    EVIDENCE(EVT-002);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "EVT-002");
}

static void evt_003(void **state)
{
    (void)state;
    EVIDENCE(EVT-003);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "EVT-003");
}

static void evt_004(void **state)
{
    (void)state;
    EVIDENCE(EVT-004);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "EVT-004");
}

static void evt_005(void **state)
{
    (void)state;
    EVIDENCE(EVT-005);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "EVT-005");
}

static void evt_006(void **state)
{
    (void)state;
    EVIDENCE(EVT-006);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "EVT-006");
}

static void evt_007(void **state)
{
    (void)state;
    EVIDENCE(EVT-007);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "EVT-007");
}

static void evt_008(void **state)
{
    (void)state;
    EVIDENCE(EVT-008);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "EVT-008");
}

static void evt_009(void **state)
{
    (void)state;
    EVIDENCE(EVT-009);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "EVT-009");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(evt_001), cmocka_unit_test(evt_002), cmocka_unit_test(evt_003),
    cmocka_unit_test(evt_004), cmocka_unit_test(evt_005), cmocka_unit_test(evt_006),
    cmocka_unit_test(evt_007), cmocka_unit_test(evt_008), cmocka_unit_test(evt_009),
};

FO_MAIN("monitor_evt", tests)
