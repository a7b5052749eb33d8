/*
 * Monitors of area SLOT (pciehp and acpiphp as the guest console shows
 * them), driven by hand-built traces: PASS and FAIL cases for every
 * assertion, INCONCLUSIVE and N/A where they apply.
 */
#include "golden.h"
#include "harness.h"
#include "sim/err.h"
#include "tracefeed.h"

#define L_NOT_PRESENT "pcieport 0000:00:02.0: pciehp: Slot(0-1): Card not present"
#define MORE(T) CON(T, "S", "random: crng init done")
#define PRESS_OFF(T) CON(T, "S", L_PRESS) CON(T, "S", L_OFF)
#define REMOVAL(T) CON(T, "S", L_REMOVED) CON(T, "S", L_PRIMARY_GONE)
#define UP CON("2.85", "S", L_MASTER) CON("2.86", "S", L_STANDBY) G_PRIMARY_UP

static void unknown(struct check_ctx *ctx)
{
    ctx->host[OBS_SOURCE].hotplug = ctx->host[OBS_TARGET].hotplug = CHECK_HOTPLUG_UNKNOWN;
}

static const struct tf_case cases[] = {
    /* SLOT-008 */
    { "SLOT-008", CHECK_PASS, "removal after the 5 s blink", NULL,
      CON("2.98", "S", L_BRIDGE) UP PRESS_OFF("7.0101") REMOVAL("12.18") },
    { "SLOT-008", CHECK_FAIL, "removal 1 s after the press", NULL,
      CON("2.98", "S", L_BRIDGE) UP PRESS_OFF("7.0101") REMOVAL("8.0101") },
    { "SLOT-008", CHECK_FAIL, "removal at once, slot unknown", NULL,
      UP PRESS_OFF("7.0101") REMOVAL("7.0102") },
    { "SLOT-008", CHECK_NA, "blink ended by a presence change", NULL,
      UP PRESS_OFF("7.0101") CON("8", "S", L_NOT_PRESENT) REMOVAL("8.0001") },
    { "SLOT-008", CHECK_NA, "no press", NULL, UP REMOVAL("8") },

    /* SLOT-002 */
    { "SLOT-002", CHECK_PASS, "second press cancels", NULL,
      UP PRESS_OFF("7.0101") CON("9.5", "S", L_PRESS) CON("9.5001", "S", L_CANCEL)
          CON("9.5002", "S", L_CANCELED) MORE("20") },
    { "SLOT-002", CHECK_FAIL, "second press does not cancel", NULL,
      UP PRESS_OFF("7.0101") CON("9.5", "S", L_PRESS) CON("9.5001", "S", L_OFF) MORE("20") },
    { "SLOT-002", CHECK_FAIL, "cancelled, then removed anyway", NULL,
      CON("2.98", "S", L_BRIDGE) UP PRESS_OFF("7.0101") CON("9.5", "S", L_PRESS)
          CON("9.5001", "S", L_CANCEL) CON("9.5002", "S", L_CANCELED) REMOVAL("12.18") },
    { "SLOT-002", CHECK_INCONCLUSIVE, "console ends at the second press", NULL,
      UP PRESS_OFF("7.0101") CON("9.5", "S", L_PRESS) },
    { "SLOT-002", CHECK_NA, "no second press within the blink", NULL,
      UP PRESS_OFF("7.0101") REMOVAL("12.18") CON("20", "S", L_PRESS) CON("20", "S", L_ON) },

    /* SLOT-009 */
    { "SLOT-009", CHECK_PASS, "request seen as a button press", NULL,
      G_SESSIONS G_BOOT G_MIGRATE G_GUEST_UNPLUG },
    { "SLOT-009", CHECK_FAIL, "no press", NULL,
      G_SESSIONS G_BOOT G_MIGRATE MORE("40") },
    { "SLOT-009", CHECK_INCONCLUSIVE, "console ends before the deadline", NULL,
      G_SESSIONS G_BOOT G_MIGRATE MORE("10") },
    { "SLOT-009", CHECK_INCONCLUSIVE, "press in the request's microsecond", NULL,
      G_SESSIONS G_BOOT G_MIGRATE PRESS_OFF("7.001") MORE("40") },
    { "SLOT-009", CHECK_PASS, "stopped VM: press after RESUME", NULL,
      G_SESSIONS G_BOOT EV("6", "S", "STOP", "") G_MIGRATE EV("45", "S", "RESUME", "")
          PRESS_OFF("45.01") MORE("50") },
    { "SLOT-009", CHECK_NA, "ACPI hotplug", tf_ctx_acpi, G_SESSIONS G_BOOT G_MIGRATE MORE("40") },

    /* SLOT-004 */
    { "SLOT-004", CHECK_PASS, "native: pciehp slots", NULL, CON("1.8", "S", L_SLOT_INIT) },
    { "SLOT-004", CHECK_FAIL, "native: acpiphp slots", NULL, CON("1.5", "S", L_ACPI_SLOT) },
    { "SLOT-004", CHECK_PASS, "ACPI: acpiphp slots", tf_ctx_acpi, CON("1.5", "S", L_ACPI_SLOT) },
    { "SLOT-004", CHECK_FAIL, "ACPI: pciehp drives a slot", tf_ctx_acpi,
      CON("1.5", "S", L_ACPI_SLOT) CON("1.8", "S", L_SLOT_INIT) },
    { "SLOT-004", CHECK_NA, "boot not recorded", NULL, UP },
    { "SLOT-004", CHECK_NA, "mechanism unknown", unknown, CON("1.8", "S", L_SLOT_INIT) },

    /* SLOT-005 */
    { "SLOT-005", CHECK_PASS, "blinking slot removes in time", NULL,
      CON("2.98", "S", L_BRIDGE) UP PRESS_OFF("7.0101") REMOVAL("12.18") },
    { "SLOT-005", CHECK_FAIL, "blinking slot never removes", NULL,
      UP PRESS_OFF("7.0101") MORE("16") },
    { "SLOT-005", CHECK_INCONCLUSIVE, "console ends during the blink", NULL,
      UP PRESS_OFF("7.0101") MORE("10") },
    { "SLOT-005", CHECK_NA, "no power-off press", NULL, UP MORE("16") },

    /* SLOT-010 */
    { "SLOT-010", CHECK_PASS, "ACPI eject at once", tf_ctx_acpi,
      G_SESSIONS G_NEGOTIATE G_PRIMARY_UP G_MIGRATE REMOVAL("7.012") },
    { "SLOT-010", CHECK_FAIL, "ACPI: nothing removed", tf_ctx_acpi,
      G_SESSIONS G_NEGOTIATE G_PRIMARY_UP G_MIGRATE MORE("40") },
    { "SLOT-010", CHECK_FAIL, "ACPI: a button press instead", tf_ctx_acpi,
      G_SESSIONS G_NEGOTIATE G_PRIMARY_UP G_MIGRATE PRESS_OFF("7.01") MORE("40") },
    { "SLOT-010", CHECK_NA, "native hotplug", NULL,
      G_SESSIONS G_BOOT G_MIGRATE G_GUEST_UNPLUG },

    /* SLOT-007 */
    { "SLOT-007", CHECK_PASS, "negotiation plug enables at once", NULL, G_SESSIONS G_BOOT },
    { "SLOT-007", CHECK_FAIL, "plug blinks instead", NULL,
      G_SESSIONS NEG("2.838", "S") CON("2.839", "S", L_PRESS) CON("2.8391", "S", L_ON) MORE("5") },
    { "SLOT-007", CHECK_INCONCLUSIVE, "console ends after power-on", NULL,
      G_SESSIONS NEG("2.838", "S") CON("2.839", "S", L_PRESS) CON("2.8391", "S", L_ON) },
    { "SLOT-007", CHECK_INCONCLUSIVE, "trigger and press in one microsecond, then cut", NULL,
      G_SESSIONS NEG("2.838", "S") CON("2.838", "S", L_PRESS) CON("2.838", "S", L_ON) },
    { "SLOT-007", CHECK_NA, "a press on the button alone", NULL,
      G_SESSIONS CON("20", "S", L_PRESS) CON("20.0001", "S", L_ON) MORE("26") },
};

static void slot_008(void **state)
{
    (void)state;
    EVIDENCE(SLOT-008, G-64, G-67);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "SLOT-008");
}

static void slot_002(void **state)
{
    (void)state;
    EVIDENCE(SLOT-002, G-65);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "SLOT-002");
}

static void slot_009(void **state)
{
    (void)state;
    EVIDENCE(SLOT-009, H-33, G-64);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "SLOT-009");
}

static void slot_004(void **state)
{
    (void)state;
    EVIDENCE(SLOT-004);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "SLOT-004");
}

static void slot_005(void **state)
{
    (void)state;
    EVIDENCE(SLOT-005, G-67, G-68);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "SLOT-005");
}

static void slot_010(void **state)
{
    (void)state;
    EVIDENCE(SLOT-010, H-33);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "SLOT-010");
}

static void slot_007(void **state)
{
    (void)state;
    EVIDENCE(SLOT-007, G-64, G-71);
    tf_run_cases(cases, SIM_ARRAY_SIZE(cases), "SLOT-007");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(slot_008), cmocka_unit_test(slot_002), cmocka_unit_test(slot_009),
    cmocka_unit_test(slot_004), cmocka_unit_test(slot_005), cmocka_unit_test(slot_010),
    cmocka_unit_test(slot_007),
};

FO_MAIN("monitor_slot", tests)
