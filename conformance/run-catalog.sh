#!/bin/sh
# A `make check` step around `fosim conformance` (doc/conformance.md):
#
#   run-catalog.sh                the scenario catalog on the reference model
#                                 RESULT catalog <passed> <failed+errors>
#   run-catalog.sh --mutants      every mutant against the catalog
#                                 RESULT mutants <killed> <survived>
#   run-catalog.sh --corruptions  the corrupted recordings of conformance/corrupt
#                                 RESULT corruptions <caught> <missed>
#   run-catalog.sh --trace        the traceability matrix (`make trace`)
#                                 RESULT trace <assertions> <gaps>
#
# The counts come from the summary line fosim prints; a run that prints no
# summary counts as one failure, and run-suite.sh counts a non-zero exit
# without a reported failure as one too, so a crash cannot pass.
# (`make trace` prints the whole matrix; this step shows its gaps.)
set -u
fosim=${FOSIM:-build/fosim}
build=${BUILD:-build}
case "${1:-}" in
--mutants)
    # shellcheck disable=SC2086
    out=$($fosim conformance --mutants 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -v '^PASS '
    printf '%s\n' "$out" | awk '
        /^mutation score: [0-9]+\/[0-9]+ killed$/ { split($3, a, "/"); print "RESULT mutants", a[1], a[2] - a[1]; s = 1 }
        END { if (!s) print "RESULT mutants 0 1" }'
    ;;
--corruptions)
    # shellcheck disable=SC2086
    out=$($fosim conformance --corruptions --work "$build/corrupt" 2>&1)
    rc=$?
    printf '%s\n' "$out"
    printf '%s\n' "$out" | awk '
        /^corrupted recordings: [0-9]+\/[0-9]+ caught$/ { split($3, a, "/"); print "RESULT corruptions", a[1], a[2] - a[1]; s = 1 }
        END { if (!s) print "RESULT corruptions 0 1" }'
    ;;
--trace)
    # shellcheck disable=SC2086
    out=$($fosim conformance --trace --work "$build/corrupt" 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -E '^ *GAP |^rule-book coverage|^traceability'
    printf '%s\n' "$out" | awk '
        /^traceability matrix: [0-9]+ catalog assertions/ { n = $3 }
        /^traceability: [0-9]+ gap\(s\)$/ { print "RESULT trace", n + 0, $2; s = 1 }
        END { if (!s) print "RESULT trace 0 1" }'
    ;;
*)
    # shellcheck disable=SC2086
    out=$($fosim conformance 2>&1)
    rc=$?
    printf '%s\n' "$out" | grep -v '^PASS '
    printf '%s\n' "$out" | awk '
        /^[0-9]+ case\(s\): [0-9]+ passed, [0-9]+ failed, [0-9]+ error\(s\)$/ { print "RESULT catalog", $3, $5 + $7; s = 1 }
        END { if (!s) print "RESULT catalog 0 1" }'
    ;;
esac
exit $rc
