#!/bin/sh
# A `make check` step: simulate every scenario under conformance/scenarios
# with the reference model; each must meet all of its expectations (exit 0).
# Prints "RESULT scenarios <passed> <failed>" and names each failure.
set -u
fosim=${FOSIM:-build/fosim}
pass=0; fail=0
for f in $(find conformance/scenarios -name '*.fos' ! -path '*/include/*' | LC_ALL=C sort); do
    # shellcheck disable=SC2086
    out=$($fosim run --quiet "$f" 2>&1)
    rc=$?
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $f (exit $rc)"
        echo "$out" | grep -v '^  PASS' | sed 's/^/    /'
    fi
done
echo "RESULT scenarios $pass $fail"
