#!/bin/sh
# Run the test steps of `make check` and add up their results.
#
#   run-suite.sh BUILD_DIR "RUNNER" TEST_EXECUTABLE...
#
# Every step prints lines "RESULT <name> <passed> <failed>".  A step that
# exits non-zero without reporting a failure (a crash, a sanitizer or
# valgrind error) counts as one failed test.  Each step's output is kept in
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
    res=$(awk '$1 == "RESULT" { p += $3; f += $4 } END { printf "%d %d", p, f }' "$log")
    p=${res% *}; f=${res#* }
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
if [ -f conformance/steps ]; then
    while IFS= read -r line; do
        case $line in ''|'#'*) continue ;; esac
        name=${line%% *}; cmd=${line#* }
        # shellcheck disable=SC2086
        run_step "$name" env FOSIM="$runner $build/fosim" BUILD="$build" RUNNER="$runner" sh -c "$cmd"
    done < conformance/steps
fi

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
