#!/bin/sh
# Run the test steps of `make check` and add up their results.
#
#   run-suite.sh BUILD_DIR "RUNNER" TEST_EXECUTABLE...
#
# Every step prints lines "RESULT <name> <passed> <failed>" (two counts
# in decimal).  A step counts as one failed test more when it exits non-zero
# without reporting a failure (a crash, a sanitizer or valgrind error),
# prints no RESULT line, prints a malformed one, or reports no test at all;
# a missing conformance/steps fails the suite.  Each step's output is kept in
# BUILD_DIR/logs/<step>.log and shown as it runs.  The last line is the
# suite's total: "N passed, N failed"; the exit status is 1 if N failed > 0.
set -u
build=$1; runner=$2; shift 2
logs=$build/logs
mkdir -p "$logs"
total_pass=0; total_fail=0

run_step() { # name command...
    name=$1; shift
    log=$logs/$name.log
    echo "== $name"
    # shellcheck disable=SC2086
    "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    res=$(awk '/^RESULT( |$)/ {
            n++
            if (NF == 4 && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/) { p += $3; f += $4 } else bad++
        }
        END { printf "%d %d %d %d", n, bad, p, f }' "$log")
    # shellcheck disable=SC2086
    set -- $res
    n=$1; bad=$2; p=$3; f=$4
    if [ "$n" -eq 0 ]; then
        echo "!! $name printed no RESULT line: counted as a failure"
        f=$((f + 1))
    elif [ "$bad" -ne 0 ]; then
        echo "!! $name printed $bad malformed RESULT line(s): counted as failures"
        f=$((f + bad))
    elif [ $((p + f)) -eq 0 ]; then
        echo "!! $name reported no test: counted as a failure"
        f=1
    fi
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "!! $name exited with status $rc without reporting a failed test: counted as a failure"
        f=1
    fi
    total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}

for t in "$@"; do
    # shellcheck disable=SC2086
    run_step "$(basename "$t")" $runner "$t"
done

# Steps that are not cmocka executables (the catalog, stored traces, ...)
# are listed in conformance/steps and run with the built fosim.
if [ ! -f conformance/steps ]; then
    echo "!! no conformance/steps (run from the top of the tree): counted as a failure"
    total_fail=$((total_fail + 1))
else
    while IFS= read -r line; do
        case $line in ''|'#'*) continue ;; esac
        name=${line%% *}; cmd=${line#* }
        # shellcheck disable=SC2086
        run_step "$name" env FOSIM="$runner $build/fosim" BUILD="$build" RUNNER="$runner" sh -c "$cmd"
    done < conformance/steps
fi

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
