/*
 * Monitors of area PAIR (net_failover's pairing, from the guest console),
 * driven by hand-built console traces: PASS and FAIL cases for every
 * assertion, INCONCLUSIVE and N/A where they apply.
 */
#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

#define L_OTHER_MAC "e1000e 0000:02:00.0 eth2: (PCI Express:2.5GT/s:Width x1) 52:54:00:aa:bb:cc"
#define L_PRIMARY3 "virtio_net virtio0 eth0: failover primary slave:eth3 registered"
#define L_NIC3_MAC "e1000e 0000:03:00.0 eth3: (PCI Express:2.5GT/s:Width x1) 52:54:00:11:11:11"
#define L_STANDBY4 "virtio_net virtio0 eth0: failover standby slave:eth4 registered"
#define IAVF_MAC "iavf 0000:02:00.0: MAC address: 52:54:00:11:11:11"
#define IAVF_UP "iavf 0000:02:00.0 eth0: NIC Link is Up Speed is 10 Gbps Full Duplex"
#define L_MASTER0_1 "virtio_net virtio0 eth1: failover master:eth1 registered"
#define L_PRIMARY0_1 "virtio_net virtio0 eth1: failover primary slave:eth0 registered"
#define L_STANDBY2_1 "virtio_net virtio0 eth1: failover standby slave:eth2 registered"
#define ADDR_ETH0 "fosim-guest: addr eth0 10.0.2.16/24"
#define ADDR_ETH2 "fosim-guest: addr eth2 10.0.2.16/24"
#define ADDR_ETH3 "fosim-guest: addr eth3 10.0.3.15/24"
#define L_NIC3_GONE "e1000e 0000:03:00.0 eth3: removed PHC"
#define MASTER_UP CON("2.85", "S", L_MASTER) CON("2.86", "S", L_STANDBY)

static const struct tf_case cases[] = {
    /* PAIR-001 */
    { "PAIR-001", CHECK_PASS, "primary with the standby's MAC", NULL, MASTER_UP G_PRIMARY_UP },
    { "PAIR-001", CHECK_FAIL, "primary with another MAC", NULL,
      MASTER_UP CON("3.18", "S", L_PRIMARY) CON("3.1805", "S", L_OTHER_MAC) },
    { "PAIR-001", CHECK_INCONCLUSIVE, "driver printed no MAC", NULL,
      MASTER_UP CON("3.18", "S", L_PRIMARY) CON("9", "S", L_PRIMARY_GONE) },
    { "PAIR-001", CHECK_NA, "no primary", NULL, MASTER_UP },

    /* PAIR-002 */
    { "PAIR-002", CHECK_PASS, "one primary at a time", NULL,
      MASTER_UP G_PRIMARY_UP CON("9", "S", L_PRIMARY_GONE) CON("12", "S", L_PRIMARY3) },
    { "PAIR-002", CHECK_FAIL, "a second primary", NULL,
      MASTER_UP G_PRIMARY_UP CON("6", "S", L_PRIMARY3) },
    { "PAIR-002", CHECK_NA, "no primary", NULL, MASTER_UP },

    /* PAIR-003 */
    { "PAIR-003", CHECK_PASS, "one standby", NULL, MASTER_UP },
    { "PAIR-003", CHECK_FAIL, "a second standby", NULL, MASTER_UP CON("3", "S", L_STANDBY4) },
    { "PAIR-003", CHECK_NA, "no standby", NULL, CON("2.85", "S", L_MASTER) },

    /* PAIR-004 */
    { "PAIR-004", CHECK_PASS, "slaves of a registered master", NULL, MASTER_UP G_PRIMARY_UP },
    { "PAIR-004", CHECK_FAIL, "slave after the master left", NULL,
      MASTER_UP CON("5", "S", L_STANDBY_GONE) CON("5.1", "S", L_MASTER_GONE)
          CON("6", "S", L_PRIMARY) },
    { "PAIR-004", CHECK_FAIL, "slave of a master never registered", NULL,
      MASTER_UP CON("6", "S", "virtio_net virtio1 eth7: failover primary slave:eth8 registered") },
    { "PAIR-004", CHECK_NA, "console starts after the boot", NULL, CON("6", "S", L_PRIMARY) },

    /* PAIR-005 */
    { "PAIR-005", CHECK_PASS, "slaves leave first", NULL,
      MASTER_UP G_PRIMARY_UP CON("9", "S", L_STANDBY_GONE) CON("9.01", "S", L_PRIMARY_GONE)
          CON("9.02", "S", L_MASTER_GONE) },
    { "PAIR-005", CHECK_FAIL, "master leaves with its primary", NULL,
      MASTER_UP G_PRIMARY_UP CON("9", "S", L_STANDBY_GONE) CON("9.02", "S", L_MASTER_GONE) },
    { "PAIR-005", CHECK_NA, "master stays", NULL, MASTER_UP },

    /* PAIR-006 */
    { "PAIR-006", CHECK_PASS, "NIC with the standby's MAC enslaved", NULL, MASTER_UP G_PRIMARY_UP },
    { "PAIR-006", CHECK_PASS, "enslaved just after its MAC line", NULL,
      MASTER_UP CON("3.1805", "S", L_NIC3_MAC) CON("3.5", "S", L_PRIMARY3) },
    { "PAIR-006", CHECK_FAIL, "NIC with the standby's MAC left alone", NULL,
      MASTER_UP CON("3.1805", "S", L_NIC_MAC) CON("5", "S", L_LINK_UP) },
    { "PAIR-006", CHECK_INCONCLUSIVE, "console ends within the second", NULL,
      MASTER_UP CON("3.1805", "S", L_NIC_MAC) },
    { "PAIR-006", CHECK_PASS, "VF before the master, enslaved by its scan", NULL,
      CON("2.88", "S", IAVF_MAC) CON("3.07", "S", IAVF_UP) CON("6.1394", "S", L_MASTER0_1)
          CON("6.1394", "S", L_PRIMARY0_1) CON("6.1395", "S", L_STANDBY2_1) },
    { "PAIR-006", CHECK_FAIL, "VF before the master, left alone", NULL,
      CON("2.88", "S", IAVF_MAC) CON("3.07", "S", IAVF_UP) CON("6.1394", "S", L_MASTER0_1)
          CON("6.1395", "S", L_STANDBY2_1) CON("9", "S", "random: crng init done") },
    { "PAIR-006", CHECK_PASS, "enslaved before the driver names the interface", NULL,
      MASTER_UP CON("2.95", "S", "virtio_net virtio0 eth0: failover primary slave:eth2 registered")
          CON("2.95", "S", IAVF_MAC) CON("3.1", "S", "iavf 0000:02:00.0 eth2: NIC Link is Up Speed is 10 Gbps Full Duplex") },
    { "PAIR-006", CHECK_NA, "NIC with another MAC", NULL,
      MASTER_UP CON("3.1805", "S", L_OTHER_MAC) CON("5", "S", L_LINK_UP) },
    { "PAIR-006", CHECK_NA, "no master registered", NULL,
      CON("3.1805", "S", L_NIC_MAC) CON("5", "S", L_LINK_UP) },

    /* PAIR-007 */
    { "PAIR-007", CHECK_PASS, "one master per virtio device", NULL,
      MASTER_UP CON("9", "S", L_STANDBY_GONE) CON("9.1", "S", L_MASTER_GONE)
          CON("12", "S", L_MASTER) },
    { "PAIR-007", CHECK_FAIL, "a second master while the first is there", NULL,
      MASTER_UP CON("12", "S", "virtio_net virtio0 eth5: failover master:eth5 registered") },
    { "PAIR-007", CHECK_NA, "no master", NULL, CON("3", "S", L_NIC_MAC) },

    /* PAIR-008 */
    { "PAIR-008", CHECK_PASS, "address on the master", NULL,
      MASTER_UP G_PRIMARY_UP CON("5.5", "S", ADDR_ETH0) },
    { "PAIR-008", CHECK_PASS, "address on a NIC that stays no slave, then removed", NULL,
      MASTER_UP CON("3.1", "S", ADDR_ETH3) CON("9", "S", L_NIC3_GONE) CON("12", "S", L_PRIMARY3) },
    { "PAIR-008", CHECK_PASS, "address on the VF after it left the master", NULL,
      MASTER_UP G_PRIMARY_UP CON("9", "S", L_PRIMARY_GONE) CON("9.5", "S", ADDR_ETH2) },
    { "PAIR-008", CHECK_FAIL, "address on the primary slave", NULL,
      MASTER_UP G_PRIMARY_UP CON("5.5", "S", ADDR_ETH2) },
    { "PAIR-008", CHECK_FAIL, "address on the standby slave", NULL,
      MASTER_UP CON("3.9", "S", "fosim-guest: addr eth1 10.0.2.17/24") },
    { "PAIR-008", CHECK_FAIL, "address on the VF before it is enslaved", NULL,
      MASTER_UP CON("3.0", "S", ADDR_ETH2) G_PRIMARY_UP },
    { "PAIR-008", CHECK_FAIL, "address on a renamed slave", NULL,
      MASTER_UP G_PRIMARY_UP CON("4", "S", "e1000e 0000:02:00.0 ens2: renamed from eth2")
          CON("4.5", "S", "fosim-guest: addr ens2 10.0.2.16/24") },
    { "PAIR-008", CHECK_PASS, "the slave's old name after a rename", NULL,
      MASTER_UP G_PRIMARY_UP CON("4", "S", "e1000e 0000:02:00.0 ens2: renamed from eth2")
          CON("4.5", "S", ADDR_ETH2) },
    { "PAIR-008", CHECK_NA, "a failed address", NULL,
      MASTER_UP G_PRIMARY_UP CON("5.5", "S", "fosim-guest: addr eth2 10.0.2.16/24 failed") },
    { "PAIR-008", CHECK_NA, "no address line", NULL, MASTER_UP G_PRIMARY_UP },
    /* a damaged addr line names no interface for sure: never read as no line */
    { "PAIR-008", CHECK_INCONCLUSIVE, "an address line cut short", NULL,
      MASTER_UP G_PRIMARY_UP CON("5.5", "S", "fosim-guest: addr eth2 10.0.2.1") },
    { "PAIR-008", CHECK_INCONCLUSIVE, "an interface name over 15 bytes", NULL,
      MASTER_UP G_PRIMARY_UP CON("5.5", "S", "fosim-guest: addr eth2aaaaaaaaaaaa 10.0.2.16/24") },
    { "PAIR-008", CHECK_INCONCLUSIVE, "a malformed address", NULL,
      MASTER_UP G_PRIMARY_UP CON("5.5", "S", "fosim-guest: addr eth2 999.1.1/77") },
    { "PAIR-008", CHECK_INCONCLUSIVE, "a control byte in the name", NULL,
      MASTER_UP G_PRIMARY_UP CON("5.5", "S", "fosim-guest: addr et?h2 10.0.2.16/24") },
    { "PAIR-008", CHECK_INCONCLUSIVE, "no interface", NULL,
      MASTER_UP G_PRIMARY_UP CON("5.5", "S", "fosim-guest: addr") },
    { "PAIR-008", CHECK_PASS, "a 15-byte name that is no slave", NULL,
      MASTER_UP G_PRIMARY_UP CON("5.5", "S", "fosim-guest: addr eth2aaaaaaaaaaa 10.0.2.16/24") },
};

static void pair_001(void **state)
{
    (void)state;
    EVIDENCE(PAIR-001, G-17, G-18);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "PAIR-001");
}

static void pair_002(void **state)
{
    (void)state;
    EVIDENCE(PAIR-002, G-20);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "PAIR-002");
}

static void pair_003(void **state)
{
    (void)state;
    EVIDENCE(PAIR-003, G-20, G-19);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "PAIR-003");
}

static void pair_004(void **state)
{
    (void)state;
    EVIDENCE(PAIR-004, G-13, G-31);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "PAIR-004");
}

static void pair_005(void **state)
{
    (void)state;
    EVIDENCE(PAIR-005, G-09, G-35);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "PAIR-005");
}

static void pair_006(void **state)
{
    (void)state;
    EVIDENCE(PAIR-006, G-13, G-17, G-21);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "PAIR-006");
}

static void pair_007(void **state)
{
    (void)state;
    EVIDENCE(PAIR-007, G-02, G-09);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "PAIR-007");
}

static void pair_008(void **state)
{
    (void)state;
    EVIDENCE(PAIR-008, L6.8, G-24);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "PAIR-008");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(pair_001), cmocka_unit_test(pair_002), cmocka_unit_test(pair_003),
    cmocka_unit_test(pair_004), cmocka_unit_test(pair_005), cmocka_unit_test(pair_006),
    cmocka_unit_test(pair_007), cmocka_unit_test(pair_008),
};

FO_MAIN("monitor_pair", tests)
