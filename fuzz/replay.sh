#!/bin/sh
# A `make check` step: replay every stored fuzz regression input.
#
# fuzz/regressions/NAME/ holds inputs that once made fuzz target NAME crash,
# hang or leak (see fuzz/README.md).  Each is replayed through
# $BUILD/fuzz/replay_NAME under the build's run-time wrapper ($RUNNER: ASan
# options or valgrind), one process per input, so a regression names its
# input.  Prints "RESULT fuzz-regressions <passed> <failed>".
set -u
build=${BUILD:-build}
runner=${RUNNER:-}
pass=0; fail=0
for d in fuzz/regressions/*/; do
    [ -d "$d" ] || continue
    t=$(basename "$d")
    bin=$build/fuzz/replay_$t
    for f in "$d"*; do
        [ -f "$f" ] || continue
        case $f in *.md | *.txt) continue ;; esac
        if [ ! -x "$bin" ]; then
            echo "FAIL $f: no fuzz target $t ($bin)"
            fail=$((fail + 1))
            continue
        fi
        # A regression may hang: give each input a generous bound.
        # shellcheck disable=SC2086
        out=$(timeout 300 $runner "$bin" "$f" 2>&1 </dev/null)
        rc=$?
        if [ "$rc" -eq 0 ]; then
            pass=$((pass + 1))
        else
            fail=$((fail + 1))
            echo "FAIL $f (exit $rc)"
            echo "$out" | tail -n 30 | sed 's/^/    /'
        fi
    done
done
echo "RESULT fuzz-regressions $pass $fail"
