#!/bin/sh
# A `make check` step: the scenario catalog (conformance/scenarios) run
# in-process by `fosim conformance` against the reference model; then, with
# --trace, every mutant against the catalog, the corrupted recordings of
# conformance/corrupt and the traceability matrix (doc/conformance.md).
#
#   run-catalog.sh           RESULT catalog <passed> <failed+errors>
#   run-catalog.sh --trace   RESULT mutants <killed> <survived>
#                            RESULT corruptions <caught> <missed>
#                            RESULT traceability <1|0> <gaps>
# A step that exits non-zero without such a failure is counted as one by
# run-suite.sh, so a crash or a missing summary line cannot pass.
set -u
fosim=${FOSIM:-build/fosim}
build=${BUILD:-build}
if [ "${1:-}" = "--trace" ]; then
    # shellcheck disable=SC2086
    out=$($fosim conformance --trace --work "$build/corrupt" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -v '^PASS \|^    \(implemented\|evidence\|passes in\|recorded\|killed by\|failed by\):'
    printf '%s\n' "$out" | awk '
        /^mutation score: [0-9]+\/[0-9]+ killed$/ { split($3, a, "/"); print "RESULT mutants", a[1], a[2] - a[1]; m = 1 }
        /^corrupted recordings: [0-9]+\/[0-9]+ caught$/ { split($3, a, "/"); print "RESULT corruptions", a[1], a[2] - a[1]; c = 1 }
        /^traceability: [0-9]+ gap\(s\)$/ { print "RESULT traceability", ($2 == 0), $2; t = 1 }
        END { if (!m || !c || !t) print "RESULT trace-summary 0 1" }'
    exit $rc
fi
# shellcheck disable=SC2086
out=$($fosim conformance 2>&1)
rc=$?
printf '%s\n' "$out" | grep -v '^PASS '
printf '%s\n' "$out" | awk '
    /^[0-9]+ case\(s\): [0-9]+ passed, [0-9]+ failed, [0-9]+ error\(s\)$/ { print "RESULT catalog", $3, $5 + $7; s = 1 }
    END { if (!s) print "RESULT catalog 0 1" }'
exit $rc
