/*
 * acpiphp, the linux guest's ACPI PCI hotplug, against QEMU's acpi-pcihp
 * (the host model): bus checks scan the slot, eject requests remove the
 * functions and then write the eject register, nothing is printed at either,
 * the GPE latched while the VM was stopped is handled when it runs, and the
 * knobs eject never / eject-delay.
 */
#include "guest_fixture.h"

#include "sim/mutant.h"

static long state_rec(const struct gx *x, enum obs_host h, const char *entity, const char *to)
{
    return fo_find(&x->cap, 0, OBS_STATE, h, entity, to);
}

/* The up bit of the negotiation-time plug: a bus check, plain enumeration. */
static void plug_is_a_bus_check(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_ACPI "guest linux\nend\n");
    gx_run(&x, SIM_S(4));
    long neg = fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "FAILOVER_NEGOTIATED", NULL);
    long pci = gx_log(&x, OBS_SOURCE, "pci 0000:02:00.0: [8086:10d3] type 00 class 0x020000");
    assert_true(neg >= 0 && pci > neg);
    /* the GPE is handled 5 ms after QEMU raised it (recorded 4.7 ms) */
    assert_i64_equal(gx_time(&x, pci) - gx_time(&x, neg), SIM_MS(5));
    assert_int_equal(gx_count(&x, OBS_SOURCE, "acpiphp"), 3); /* version + 2 slots, at boot */
    assert_true(gx_time(&x, gx_log(&x, OBS_SOURCE, "acpiphp: Slot [0-2] registered")) < SIM_S(2));
    assert_int_equal(gx_count(&x, OBS_SOURCE, "pciehp"), 0);
    gx_free(&x);
}

/* An eject request: the driver lets go first, then _EJ0 writes the eject
 * register (QEMU then marks the failover primary partially unplugged). */
static void eject_after_removal(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_ACPI "guest linux\nend\nat 7.35s source migrate uri=tcp:127.0.0.1:4444\n");
    gx_run(&x, SIM_S(10));
    long unplug = fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "UNPLUG_PRIMARY", NULL);
    long phc = gx_log(&x, OBS_SOURCE, "e1000e 0000:02:00.0 eth2: removed PHC");
    long unreg = gx_log(&x, OBS_SOURCE, "failover primary slave:eth2 unregistered");
    long eject = state_rec(&x, OBS_SOURCE, "qdev", "partially-unplugged");
    long active = fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "MIGRATION", "status=active");
    assert_true(unplug >= 0 && phc > unplug && unreg > phc && eject > unreg && active > eject);
    assert_i64_equal(gx_time(&x, phc) - gx_time(&x, unplug), SIM_MS(5));
    /* nothing from acpiphp at eject */
    assert_int_equal(gx_count(&x, OBS_SOURCE, "acpiphp"), 3);
    gx_free(&x);
}

/* The GPE raised while the target was loading is handled once it runs. */
static void latched_gpe_at_resume(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_ACPI "guest linux\nend\nat 7.35s source migrate uri=tcp:127.0.0.1:4444\n");
    gx_run(&x, SIM_S(12));
    long resume = fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_TARGET, "RESUME", NULL);
    long pci = gx_log(&x, OBS_TARGET, "pci 0000:02:00.0: [8086:10d3] type 00 class 0x020000");
    assert_true(resume >= 0 && pci > resume);
    /* on the target the code is cold: 12 ms until the latched interrupts
     * are serviced, 5 + 49 ms of GPE handling (recorded: 66 ms) */
    assert_i64_equal(gx_time(&x, pci) - gx_time(&x, resume), SIM_MS(66));
    assert_true(gx_log(&x, OBS_TARGET, "failover primary slave:eth2 registered") > pci);
    gx_free(&x);
}

/* eject never: the request is left unanswered; eject-delay: handled late. */
static void eject_knobs(void **state)
{
    (void)state;
    struct gx x;
    gx_new(&x, GX_HOSTS_ACPI "guest linux\n    eject never\nend\n"
                             "at 7.35s source migrate uri=tcp:127.0.0.1:4444\n");
    gx_run(&x, SIM_S(15));
    assert_int_equal(gx_count(&x, OBS_SOURCE, "removed PHC"), 0);
    assert_true(fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "MIGRATION", "status=active") < 0);
    uint32_t up, down;
    hw_acpi_pcihp_status(x.r->w->vms[0].hosts[OBS_SOURCE], 2, &up, &down);
    assert_int_equal(down, 1); /* slot 0 of bus 2 still asked to eject */
    gx_free(&x);

    gx_new(&x, GX_HOSTS_ACPI "guest linux\n    eject-delay 1500ms\nend\n"
                             "at 7.35s source migrate uri=tcp:127.0.0.1:4444\n");
    gx_run(&x, SIM_S(12));
    long unplug = fo_find(&x.cap, 0, OBS_QMP_EVENT, OBS_SOURCE, "UNPLUG_PRIMARY", NULL);
    long phc = gx_log(&x, OBS_SOURCE, "removed PHC");
    assert_i64_equal(gx_time(&x, phc) - gx_time(&x, unplug), SIM_MS(1505));
    gx_free(&x);
}

/* The order check a mutant must fail: the eject register is written, and
 * only after the driver let go. */
static bool eject_in_order(uint64_t mutants)
{
    struct gx x;
    gx_new_mut(&x, GX_HOSTS_ACPI "guest linux\nend\nat 7.35s source migrate uri=tcp:127.0.0.1:4444\n",
               mutants);
    gx_run(&x, SIM_S(10));
    long unreg = gx_log(&x, OBS_SOURCE, "failover primary slave:eth2 unregistered");
    long eject = state_rec(&x, OBS_SOURCE, "qdev", "partially-unplugged");
    bool ok = unreg >= 0 && eject > unreg;
    gx_free(&x);
    return ok;
}

static void mutants_are_killed(void **state)
{
    (void)state;
    assert_true(eject_in_order(0));
    assert_false(eject_in_order(mutant_bit(MUT_ACPI_NO_EJECT)));
    assert_false(eject_in_order(mutant_bit(MUT_ACPI_EJECT_BEFORE_REMOVE)));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(plug_is_a_bus_check),
    cmocka_unit_test(eject_after_removal),
    cmocka_unit_test(latched_gpe_at_resume),
    cmocka_unit_test(eject_knobs),
    cmocka_unit_test(mutants_are_killed),
};

FO_MAIN("acpiphp", tests)
