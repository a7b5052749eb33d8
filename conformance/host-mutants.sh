#!/bin/sh
# A `make check` step: every host mutant (sim/include/sim/mutant.h) must be
# killed: the named scenario, which holds with the reference model, must
# fail (exit 1) with the mutant active.  Prints "RESULT host-mutants P F".
set -u
fosim=${FOSIM:-build/fosim}
dir=conformance/scenarios/host
pass=0; fail=0
while read -r mutant scenario; do
    case "$mutant" in ''|'#'*) continue ;; esac
    # shellcheck disable=SC2086
    $fosim run --quiet --mutant "$mutant" "$dir/$scenario.fos" >/dev/null 2>&1
    rc=$?
    if [ "$rc" -eq 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL mutant $mutant survived $dir/$scenario.fos (exit $rc)"
    fi
done <<'LIST'
skip-wait-unplug        migrate-on-out
early-active            migrate-multi-out
no-hide                 params-on
plug-before-negotiation hotplug-1
no-replug               migrate-abort-wait-unplug
no-cancel-grace         migrate-abort-timeout
no-target-negotiated    migrate-on-in
resume-before-primary   migrate-multi-in
delete-on-partial-eject migrate-on-out
acpi-no-pending         migrate-on-out
stale-notifier          standby-unplug-then-migrate
second-primary          second-primary
readd-on-renegotiation  hotplug-1-reverse
replug-keeps-partial    migrate-repeat-cancel
LIST
echo "RESULT host-mutants $pass $fail"
