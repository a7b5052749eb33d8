#!/bin/sh
# A `make check` step: every mutant (sim/include/sim/mutant.h) listed in
# conformance/KIND-mutants.list must be killed by its scenario of
# conformance/scenarios/KIND:
#
#   scenario-mutants.sh host|guest    prints "RESULT KIND-mutants P F"
#
# Each list line is "MUTANT SCENARIO".  The scenario must hold with the
# reference model (exit 0) and fail (exit 1) with the mutant active; any
# other exit (a crash, a refused scenario or mutant name) is a failure, so
# is an empty list.
set -u
fosim=${FOSIM:-build/fosim}
kind=${1:?usage: scenario-mutants.sh host|guest}
list=conformance/$kind-mutants.list
dir=conformance/scenarios/$kind
if [ ! -f "$list" ]; then
    echo "FAIL no $list"
    echo "RESULT $kind-mutants 0 1"
    exit 1
fi
pass=0; fail=0; held=" "
while read -r mutant scenario; do
    case "$mutant" in ''|'#'*) continue ;; esac
    fos=$dir/$scenario.fos
    case "$held" in
    *" $scenario "*) ;;
    *)
        # shellcheck disable=SC2086
        $fosim run --quiet "$fos" >/dev/null 2>&1
        rc=$?
        if [ "$rc" -ne 0 ]; then
            fail=$((fail + 1))
            echo "FAIL $fos does not hold with the reference model (exit $rc)"
            continue
        fi
        held="$held$scenario "
        ;;
    esac
    # shellcheck disable=SC2086
    $fosim run --quiet --mutant "$mutant" "$fos" >/dev/null 2>&1
    rc=$?
    if [ "$rc" -eq 1 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL mutant $mutant survived $fos (exit $rc)"
    fi
done < "$list"
if [ $((pass + fail)) -eq 0 ]; then
    echo "FAIL $list names no mutant"
    fail=1
fi
echo "RESULT $kind-mutants $pass $fail"
[ "$fail" -eq 0 ]
