/*
 * Monitors of area NEG (STANDBY negotiation, host and guest side), driven
 * by hand-built traces: PASS and FAIL cases for every assertion,
 * INCONCLUSIVE and N/A where they apply.
 */
#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

#define RX_FILTER(T)                                                                       \
    EV(T, "S", "NIC_RX_FILTER_CHANGED",                                                    \
       "{\"name\": \"standby0\", \"path\": \"/machine/peripheral/standby0/virtio-backend\"}")
#define STANDBY_TX(T) FRAME4(T, "S", "standby0", "standby", "7")

/* No primary names standby0 (FINDINGS f: the standby alone). */
#define NOT_FOUND(T) T " S err qemu-system-x86_64: warning: Primary device not found\n"
#define HINT(T)                                                                               \
    T " S err Virtio-net failover will not work. Make sure primary device has parameter "    \
      "failover_pair_id=standby0\n"

/* primary0 came before its standby: QEMU created it at once (H-18). */
static void not_hidden(struct check_ctx *ctx)
{
    for (int h = 0; h < OBS_NHOSTS; h++)
        ctx->host[h].dev[1].hideable = false;
}

static void standby_only(struct check_ctx *ctx)
{
    for (int h = 0; h < OBS_NHOSTS; h++)
        ctx->host[h].ndev = 1;
}

static void qtest(struct check_ctx *ctx)
{
    ctx->host[OBS_SOURCE].qtest = ctx->host[OBS_TARGET].qtest = true;
}

static void no_host_pcap(struct check_ctx *ctx)
{
    tf_ctx_drop(ctx, -1, SPEC_SRC_HOST_PCAP);
}

#define PRIMARY_NOT_FOUND                                                                   \
    "2.84 S err qemu-system-x86_64: warning: Primary device not found\n"                    \
    "2.84 S err Virtio-net failover will not work. Make sure primary device has parameter " \
    "failover_pair_id=standby0\n"

static const struct tf_case cases[] = {
    /* NEG-001 */
    { "NEG-001", CHECK_PASS, "unplug after negotiation", NULL, G_SESSIONS G_BOOT G_MIGRATE },
    { "NEG-001", CHECK_FAIL, "unplug without negotiation", NULL,
      G_SESSIONS CON("3.18", "S", L_PRIMARY) G_MIGRATE },
    { "NEG-001", CHECK_NA, "no unplug", NULL, G_SESSIONS G_BOOT },

    /* NEG-002 */
    { "NEG-002", CHECK_PASS, "filter set up after negotiation", NULL, G_SESSIONS G_BOOT },
    { "NEG-002", CHECK_FAIL, "driver active without negotiating", NULL,
      G_SESSIONS RX_FILTER("3.0") },
    { "NEG-002", CHECK_FAIL, "standby transmits before negotiating", NULL,
      G_SESSIONS STANDBY_TX("2.5") NEG("2.838", "S") },
    { "NEG-002", CHECK_FAIL, "filter set up, never negotiates", no_host_pcap,
      G_SESSIONS RX_FILTER("2.5") EV("3", "S", "STOP", "") },
    { "NEG-002", CHECK_PASS, "a frame in the negotiation's microsecond", NULL,
      G_SESSIONS NEG("2.838", "S") STANDBY_TX("2.838") },
    { "NEG-002", CHECK_PASS, "negotiated on the source, active on the target", NULL,
      G_SESSIONS G_BOOT MIG("7", "S", "setup")
          EV("15", "T", "NIC_RX_FILTER_CHANGED", "{\"name\": \"standby0\", \"path\": \"x\"}") },
    { "NEG-002", CHECK_INCONCLUSIVE, "the QMP log ends at the frame", NULL,
      G_SESSIONS STANDBY_TX("2.5") },
    { "NEG-002", CHECK_NA, "no driver activity (no failover driver)", NULL, G_SESSIONS },

    /* NEG-003 */
    { "NEG-003", CHECK_PASS, "negotiation of the failover standby", NULL, G_SESSIONS G_BOOT },
    { "NEG-003", CHECK_FAIL, "negotiation of the primary's id", NULL,
      G_SESSIONS EV("2.838", "S", "FAILOVER_NEGOTIATED", "{\"device-id\": \"primary0\"}") },
    { "NEG-003", CHECK_FAIL, "negotiation of an unknown device", NULL,
      G_SESSIONS EV("2.838", "S", "FAILOVER_NEGOTIATED", "{\"device-id\": \"net9\"}") },
    { "NEG-003", CHECK_NA, "no negotiation", NULL, G_SESSIONS },

    /* NEG-004 */
    { "NEG-004", CHECK_PASS, "primary created at negotiation", NULL,
      G_SESSIONS G_NEGOTIATE QPCI_CMD("6", "S", "q2") QPCI_WITH("6", "S", "q2") },
    { "NEG-004", CHECK_FAIL, "primary missing after negotiation", NULL,
      G_SESSIONS G_NEGOTIATE QPCI_CMD("6", "S", "q2") QPCI_WITHOUT("6", "S", "q2") },
    { "NEG-004", CHECK_INCONCLUSIVE, "QEMU warned that adding failed", NULL,
      G_SESSIONS G_NEGOTIATE
      "2.84 S err qemu-system-x86_64: warning: failover primary device must be on PCIExpress bus\n"
          QPCI_CMD("6", "S", "q2") QPCI_WITHOUT("6", "S", "q2") },
    { "NEG-004", CHECK_NA, "no query-pci after negotiation", NULL, G_SESSIONS G_NEGOTIATE },

    /* NEG-005 */
    { "NEG-005", CHECK_PASS, "warning when no primary names the standby", standby_only,
      G_SESSIONS NEG("2.838", "S") PRIMARY_NOT_FOUND },
    { "NEG-005", CHECK_FAIL, "no warning", standby_only,
      G_SESSIONS NEG("2.838", "S") "0 S err qemu-system-x86_64: warning: netdev hs1 has no peer\n" },
    { "NEG-005", CHECK_NA, "a primary names the standby", NULL, G_SESSIONS NEG("2.838", "S") },
    { "NEG-005", CHECK_NA, "under qtest", qtest, G_SESSIONS NEG("2.838", "S") },

    /* NEG-006 */
    { "NEG-006", CHECK_PASS, "master after negotiation", NULL, G_SESSIONS G_BOOT },
    { "NEG-006", CHECK_FAIL, "master before negotiation", NULL,
      G_SESSIONS CON("2.5", "S", L_MASTER) NEG("2.838", "S") },
    { "NEG-006", CHECK_FAIL, "master, never negotiated", NULL,
      G_SESSIONS CON("2.5", "S", L_MASTER) EV("3", "S", "STOP", "") },
    { "NEG-006", CHECK_INCONCLUSIVE, "master in the negotiation's microsecond", NULL,
      G_SESSIONS NEG("2.838", "S") CON("2.838", "S", L_MASTER) },
    { "NEG-006", CHECK_NA, "no master", NULL, G_SESSIONS NEG("2.838", "S") },

    /* NEG-010 */
    { "NEG-010", CHECK_PASS, "standby right after its master", NULL, G_SESSIONS G_BOOT },
    { "NEG-010", CHECK_PASS, "a VF present before the master is enslaved first (G-13)", NULL,
      CON("2.85", "S", L_MASTER) CON("2.85", "S", L_PRIMARY) CON("2.86", "S", L_STANDBY) },
    { "NEG-010", CHECK_PASS, "the same master name on the target is another master", NULL,
      CON("2.85", "S", L_MASTER) CON("2.86", "S", L_STANDBY) CON("20", "T", L_MASTER)
          CON("20.1", "T", L_STANDBY) },
    { "NEG-010", CHECK_FAIL, "a slave leaves before the standby comes", NULL,
      CON("2.85", "S", L_MASTER) CON("2.86", "S", L_PRIMARY) CON("2.87", "S", L_PRIMARY_GONE)
          CON("2.88", "S", L_STANDBY) },
    { "NEG-010", CHECK_FAIL, "the target's master gets no standby", NULL,
      CON("2.85", "S", L_MASTER) CON("2.86", "S", L_STANDBY) CON("20", "T", L_MASTER)
          CON("25", "T", "random: crng init done") },
    { "NEG-010", CHECK_FAIL, "no standby ever", NULL,
      CON("2.85", "S", L_MASTER) CON("5", "S", "random: crng init done") },
    { "NEG-010", CHECK_FAIL, "master unregistered without a failed probe", NULL,
      CON("2.85", "S", L_MASTER) CON("2.86", "S", L_MASTER_GONE)
          CON("2.87", "S", "e1000e: Intel(R) PRO/1000 Network Driver") },
    { "NEG-010", CHECK_FAIL, "another device's probe failed", NULL,
      CON("2.85", "S", L_MASTER) CON("2.86", "S", L_MASTER_GONE)
          CON("2.86", "S", "virtio_net: probe of virtio1 failed with error -12") },
    { "NEG-010", CHECK_INCONCLUSIVE, "console cut after the master", NULL,
      CON("2.85", "S", L_MASTER) },
    { "NEG-010", CHECK_INCONCLUSIVE, "console cut after the master's unregistration", NULL,
      CON("2.85", "S", L_MASTER) CON("2.86", "S", L_MASTER_GONE) },
    { "NEG-010", CHECK_NA, "the standby could not register: the probe failed (G-03)", NULL,
      CON("2.85", "S", L_MASTER) CON("2.86", "S", L_MASTER_GONE)
          CON("2.86", "S", "virtio_net: probe of virtio0 failed with error -12")
              CON("5", "S", "random: crng init done") },
    { "NEG-010", CHECK_NA, "the standby's MTU was refused (bug 10)", NULL,
      CON("2.85", "S", L_MASTER)
          CON("2.86", "S", "virtio_net virtio0 eth0: unable to change mtu of eth1 to 1500 "
                           "register failed")
              CON("5", "S", "random: crng init done") },
    { "NEG-010", CHECK_PASS, "a second standby with the same MAC, refused (bug 19)", NULL,
      CON("2.85", "S", L_MASTER) CON("2.86", "S", L_STANDBY)
          CON("2.9", "S", "virtio_net virtio1 eth2: failover master:eth2 registered")
              CON("2.9", "S", "virtio_net virtio0 eth0: eth1 attempting to register as slave "
                              "dev when standby already present")
                  CON("5", "S", "random: crng init done") },
    { "NEG-010", CHECK_NA, "no master", NULL, CON("2.86", "S", L_STANDBY) },

    /* NEG-008 */
    { "NEG-008", CHECK_PASS, "standby frames with the device's mac", NULL,
      STANDBY_TX("3") "3.1 S frame guest standby out " MAC1 " 00:00:00:00:00:00 0800 8\n" },
    { "NEG-008", CHECK_FAIL, "standby frame with another MAC", NULL,
      "3 S frame standby0 standby out 52:54:00:aa:bb:cc " BCAST " 0800 7\n" },
    { "NEG-008", CHECK_FAIL, "guest capture: standby frame with another MAC", NULL,
      "3 S frame guest standby out 52:54:00:aa:bb:cc 00:00:00:00:00:00 0800 7\n" },
    { "NEG-008", CHECK_NA, "frames of the primary only", NULL,
      FRAME4("3", "S", "primary0", "primary", "7") },

    /* NEG-009 */
    { "NEG-009", CHECK_PASS, "the warning for a standby without primary", standby_only,
      G_SESSIONS NEG("2.838", "S") NOT_FOUND("2.838") HINT("2.838") },
    { "NEG-009", CHECK_FAIL, "the warning although the primary exists", not_hidden,
      G_SESSIONS NEG("2.838", "S") NOT_FOUND("2.838") HINT("2.838") },
    { "NEG-009", CHECK_FAIL, "the warning without its hint", not_hidden,
      G_SESSIONS NEG("2.838", "S") NOT_FOUND("2.838") },
    { "NEG-009", CHECK_PASS, "the hidden primary's options were dropped", NULL,
      G_SESSIONS NEG("2.838", "S") NOT_FOUND("2.838") HINT("2.838") },
    { "NEG-009", CHECK_INCONCLUSIVE, "no negotiation explains it", NULL,
      G_SESSIONS NOT_FOUND("1") HINT("1") },
    { "NEG-009", CHECK_NA, "no warning", NULL, G_SESSIONS G_BOOT },
};

static void neg_001(void **state)
{
    (void)state;
    EVIDENCE(NEG-001, H-32, H-37);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "NEG-001");
}

static void neg_002(void **state)
{
    (void)state;
    EVIDENCE(NEG-002, H-01, H-19, G-02);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "NEG-002");
}

static void neg_003(void **state)
{
    (void)state;
    EVIDENCE(NEG-003, H-01, H-03);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "NEG-003");
}

static void neg_004(void **state)
{
    (void)state;
    EVIDENCE(NEG-004, H-19, H-21);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "NEG-004");
}

static void neg_005(void **state)
{
    (void)state;
    EVIDENCE(NEG-005, H-21, H-22);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "NEG-005");
}

static void neg_006(void **state)
{
    (void)state;
    EVIDENCE(NEG-006, G-02, G-12);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "NEG-006");
}


static void neg_008(void **state)
{
    (void)state;
    EVIDENCE(NEG-008, G-10);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "NEG-008");
}

static void neg_009(void **state)
{
    (void)state;
    EVIDENCE(NEG-009, H-21, H-22);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "NEG-009");
}

static void neg_010(void **state)
{
    (void)state;
    EVIDENCE(NEG-010, G-02, G-03, G-13, L6.10, L6.19);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "NEG-010");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(neg_001), cmocka_unit_test(neg_002), cmocka_unit_test(neg_003),
    cmocka_unit_test(neg_004), cmocka_unit_test(neg_005), cmocka_unit_test(neg_006),
    cmocka_unit_test(neg_008), cmocka_unit_test(neg_009), cmocka_unit_test(neg_010),
};

FO_MAIN("monitor_neg", tests)
