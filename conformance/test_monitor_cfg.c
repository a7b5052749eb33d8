/*
 * Monitors of area CFG (device_add / device_del of failover primaries),
 * driven by hand-built QMP logs: for every assertion cases where it must
 * PASS and FAIL, and where they apply INCONCLUSIVE and N/A.  Every case also
 * runs with same-time records of different files reordered (tracefeed.c).
 */
#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

#define PRIMARY1 "\"driver\": \"e1000e\", \"id\": \"primary1\", \"failover_pair_id\": \"standby0\""
#define PRIMARY0 "\"driver\": \"e1000e\", \"id\": \"primary0\", \"failover_pair_id\": \"standby0\""

/* No device at all on either host. */
static void no_devices(struct check_ctx *ctx)
{
    ctx->host[OBS_SOURCE].ndev = ctx->host[OBS_TARGET].ndev = 0;
}

static const struct tf_case cases[] = {
    /* CFG-001 */
    { "CFG-001", CHECK_PASS, "primary on pcie.0 refused", NULL,
      SESSION("S") ADD("1", PRIMARY1 ", \"bus\": \"pcie.0\"", "a1")
          ERR("1", "a1", "Bus 'pcie.0' does not support hotplugging") },
    { "CFG-001", CHECK_FAIL, "primary on pcie.0 accepted", NULL,
      SESSION("S") ADD("1", PRIMARY1 ", \"bus\": \"pcie.0\"", "a1") OK("1", "a1") },
    { "CFG-001", CHECK_FAIL, "refused for another reason", NULL,
      SESSION("S") ADD("1", PRIMARY1 ", \"bus\": \"pcie.0\"", "a1")
          ERR("1", "a1", "failover primary device must be on PCIExpress bus") },
    { "CFG-001", CHECK_NA, "primary on a root port", NULL,
      SESSION("S") ADD("1", PRIMARY1 ", \"bus\": \"root1\"", "a1") OK("1", "a1") },
    { "CFG-001", CHECK_NA, "commands not recorded", tf_ctx_no_commands,
      SESSION("S") ADD("1", PRIMARY1 ", \"bus\": \"pcie.0\"", "a1") OK("1", "a1") },

    /* CFG-002 */
    { "CFG-002", CHECK_PASS, "primary without id refused", NULL,
      SESSION("S") ADD("1", "\"driver\": \"e1000e\", \"failover_pair_id\": \"standby0\"", "a1")
          ERR("1", "a1", "Device with failover_pair_id needs to have id") },
    { "CFG-002", CHECK_FAIL, "primary without id accepted", NULL,
      SESSION("S") ADD("1", "\"driver\": \"e1000e\", \"failover_pair_id\": \"standby0\"", "a1")
          OK("1", "a1") },
    { "CFG-002", CHECK_NA, "no failover standby exists", no_devices,
      SESSION("S") ADD("1", "\"driver\": \"e1000e\", \"failover_pair_id\": \"standby0\"", "a1")
          OK("1", "a1") },

    /* CFG-003 */
    { "CFG-003", CHECK_PASS, "second primary refused naming both", NULL,
      SESSION("S") ADD("1", PRIMARY1 ", \"bus\": \"root1\"", "a1")
          ERR("1", "a1", "Cannot attach more than one primary device to 'standby0': 'primary0' "
                         "and 'primary1'") },
    { "CFG-003", CHECK_FAIL, "second primary accepted", NULL,
      SESSION("S") ADD("1", PRIMARY1 ", \"bus\": \"root1\"", "a1") OK("1", "a1") },
    { "CFG-003", CHECK_FAIL, "error without the ids", NULL,
      SESSION("S") ADD("1", PRIMARY1 ", \"bus\": \"root1\"", "a1")
          ERR("1", "a1", "Cannot attach more than one primary device") },
    { "CFG-003", CHECK_NA, "the first primary of a standby", tf_ctx_primary_added,
      SESSION("S") ADD("1", PRIMARY0 ", \"bus\": \"root1\"", "a1") OK("1", "a1") },

    /* CFG-007 */
    { "CFG-007", CHECK_PASS, "command-line primary again: Duplicate ID", NULL,
      SESSION("S") ADD("1", PRIMARY0 ", \"bus\": \"root1\"", "a1")
          ERR("1", "a1", "Duplicate ID 'primary0' for device") },
    { "CFG-007", CHECK_FAIL, "command-line primary again: accepted", NULL,
      SESSION("S") ADD("1", PRIMARY0 ", \"bus\": \"root1\"", "a1") OK("1", "a1") },
    { "CFG-007", CHECK_PASS, "added primary again: accepted", tf_ctx_primary_added,
      SESSION("S") ADD("1", PRIMARY0 ", \"bus\": \"root1\"", "a1") OK("1", "a1")
          ADD("2", PRIMARY0 ", \"bus\": \"root1\"", "a2") OK("2", "a2") },
    { "CFG-007", CHECK_FAIL, "added primary again: Duplicate ID", tf_ctx_primary_added,
      SESSION("S") ADD("1", PRIMARY0 ", \"bus\": \"root1\"", "a1") OK("1", "a1")
          ADD("2", PRIMARY0 ", \"bus\": \"root1\"", "a2")
              ERR("2", "a2", "Duplicate ID 'primary0' for device") },
    { "CFG-007", CHECK_NA, "repeat after negotiation", tf_ctx_primary_added,
      SESSION("S") ADD("1", PRIMARY0 ", \"bus\": \"root1\"", "a1") OK("1", "a1") NEG("1.5", "S")
          ADD("2", PRIMARY0 ", \"bus\": \"root1\"", "a2")
              ERR("2", "a2", "Duplicate ID 'primary0' for device") },

    /* CFG-005 */
    { "CFG-005", CHECK_PASS, "device_del of the primary during wait-unplug", NULL,
      SESSION("S") NEG("1", "S") MIG("7", "S", "setup") UNPLUG("7.001", "S")
          MIG("7.005", "S", "wait-unplug")
          CMD("8", "S", "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"d1\"}")
              ERR("8", "d1", "Device primary0 is already in the process of unplug") },
    { "CFG-005", CHECK_FAIL, "device_del refused as migrating", NULL,
      SESSION("S") NEG("1", "S") MIG("7", "S", "setup") UNPLUG("7.001", "S")
          MIG("7.005", "S", "wait-unplug")
          CMD("8", "S", "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"d1\"}")
              ERR("8", "d1", "device_del not allowed while migrating") },
    { "CFG-005", CHECK_NA, "device_del without a migration", NULL,
      SESSION("S") CMD("8", "S", "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"d1\"}")
          OK("8", "d1") },

    /* CFG-006 */
    { "CFG-006", CHECK_PASS, "device_del 1 s after the request refused", NULL,
      SESSION("S") NEG("1", "S") MIG("7", "S", "setup") UNPLUG("7.001", "S")
          CMD("8", "S", "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"fosim-9@1764072008.000000\"}")
              REPLY("8", "S", "{\"error\": {\"class\": \"GenericError\", \"desc\": \"Device primary0 is already in the process of unplug\"}, \"id\": \"fosim-9@1764072008.000000\"}") },
    { "CFG-006", CHECK_FAIL, "device_del 1 s after the request accepted", NULL,
      SESSION("S") NEG("1", "S") MIG("7", "S", "setup") UNPLUG("7.001", "S")
          CMD("8", "S", "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"fosim-9@1764072008.000000\"}")
              REPLY("8", "S", "{\"return\": {}, \"id\": \"fosim-9@1764072008.000000\"}") },
    { "CFG-006", CHECK_NA, "device_del after the request expired", NULL,
      SESSION("S") NEG("1", "S") MIG("7", "S", "setup") UNPLUG("7.001", "S")
          CMD("13", "S", "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"fosim-9@1764072013.000000\"}")
              REPLY("13", "S", "{\"return\": {}, \"id\": \"fosim-9@1764072013.000000\"}") },
    { "CFG-006", CHECK_INCONCLUSIVE, "approximate time near the 5 s", NULL,
      SESSION("S") NEG("1", "S") MIG("7", "S", "setup") UNPLUG("7.001", "S")
          CMD("11.9", "S", "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"d1\"}")
              OK("11.9", "d1") },
    { "CFG-006", CHECK_NA, "ACPI hotplug", tf_ctx_acpi,
      SESSION("S") NEG("1", "S") MIG("7", "S", "setup") UNPLUG("7.001", "S")
          CMD("8", "S", "{\"execute\": \"device_del\", \"arguments\": {\"id\": \"primary0\"}, \"id\": \"d1\"}")
              OK("8", "d1") },
};


static void cfg_001(void **state)
{
    (void)state;
    EVIDENCE(CFG-001, H-15, H-08);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "CFG-001");
}

static void cfg_002(void **state)
{
    (void)state;
    EVIDENCE(CFG-002, H-10);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "CFG-002");
}

static void cfg_003(void **state)
{
    (void)state;
    EVIDENCE(CFG-003, H-12, H-13);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "CFG-003");
}

static void cfg_007(void **state)
{
    (void)state;
    EVIDENCE(CFG-007, H-12, H-17);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "CFG-007");
}

static void cfg_005(void **state)
{
    (void)state;
    EVIDENCE(CFG-005, H-29);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "CFG-005");
}

static void cfg_006(void **state)
{
    (void)state;
    EVIDENCE(CFG-006, H-60);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "CFG-006");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(cfg_001), cmocka_unit_test(cfg_002), cmocka_unit_test(cfg_003),
    cmocka_unit_test(cfg_007), cmocka_unit_test(cfg_005), cmocka_unit_test(cfg_006),
};

FO_MAIN("monitor_cfg", tests)
