#!/bin/sh
# A `make check` step: every guest hotplug mutant (sim/include/sim/mutant.h)
# must be killed: the named scenario of conformance/scenarios/guest, which
# holds with the reference model, must fail (exit 1) with the mutant
# active.  Prints "RESULT guest-mutants P F".
set -u
fosim=${FOSIM:-build/fosim}
dir=conformance/scenarios/guest
pass=0; fail=0
while read -r mutant scenario; do
    case "$mutant" in ''|'#'*) continue ;; esac
    $fosim run --quiet --mutant "$mutant" "$dir/$scenario.fos" >/dev/null 2>&1
    rc=$?
    if [ "$rc" -eq 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL mutant $mutant survived $dir/$scenario.fos (exit $rc)"
    fi
done <<'LIST'
no-button-delay          native-migration
press-no-cancel          press-cancels-unplug
power-off-no-wait        native-migration
power-indicator-stays-on native-migration
plug-waits-button        native-migration
acpi-no-eject            acpi-migration
acpi-eject-before-remove acpi-migration
resume-drops-irq         native-migration
resume-drops-irq         acpi-migration
LIST
echo "RESULT guest-mutants $pass $fail"
