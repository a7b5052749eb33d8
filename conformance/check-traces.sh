#!/bin/sh
# A `make check` step: `fosim check` on every stored bundle (traces/*/NAME/
# with a manifest.json) must give the verdicts and exit status its
# traces/*/NAME.expect lists (doc/bundle.md, "Stored bundles").
#
#   check-traces.sh            check every bundle; prints "RESULT traces P F"
#   check-traces.sh --write D  (re)write D.expect from what fosim check gives now
#
# NAME.expect: "exit N", then one "ID verdict" line per assertion that is
# not n/a; every assertion not listed must be n/a.  "#" starts a comment.
set -u
fosim=${FOSIM:-build/fosim}

# Sets got to the "ID verdict" lines of fosim check's TAP report for
# bundle $1, and rc to its exit status.
verdicts() {
    # shellcheck disable=SC2086
    out=$($fosim check --report tap "$1" 2>/dev/null)
    rc=$?
    got=$(printf '%s\n' "$out" | awk '
        /^  id: /      { id = $2; gsub(/"/, "", id) }
        /^  verdict: / { v = $2; gsub(/"/, "", v); print id, v }')
}

if [ "${1:-}" = "--write" ]; then
    dir=${2:?--write needs a bundle directory}
    dir=${dir%/}
    verdicts "$dir"
    {
        echo "# fosim check $dir: the expected result (conformance/check-traces.sh)"
        echo "exit $rc"
        printf '%s\n' "$got" | awk '$2 != "n/a"'
    } > "$dir.expect"
    echo "wrote $dir.expect (exit $rc)"
    exit 0
fi

pass=0; fail=0
for m in $(find traces -name manifest.json 2>/dev/null | LC_ALL=C sort); do
    dir=${m%/manifest.json}
    exp=$dir.expect
    if [ ! -f "$exp" ]; then
        echo "FAIL $dir: no $exp (conformance/check-traces.sh --write $dir writes it)"
        fail=$((fail + 1))
        continue
    fi
    verdicts "$dir"
    if [ -z "$got" ]; then
        echo "FAIL $dir: fosim check gave no verdict (exit $rc)"
        $fosim check "$dir" 2>&1 | sed 's/^/    /' | tail -5
        fail=$((fail + 1))
        continue
    fi
    diffs=$(printf '%s\n' "$got" | awk -v rc="$rc" -v expf="$exp" '
        BEGIN {
            while ((getline line < expf) > 0) {
                sub(/#.*/, "", line)
                n = split(line, w, " ")
                if (n == 0) continue
                if (w[1] == "exit") { want_exit = w[2]; continue }
                want[w[1]] = w[2]
            }
            if (want_exit == "") print "  no \"exit N\" line"
            else if (want_exit != rc) print "  exit " rc ", expected " want_exit
        }
        {
            seen[$1] = 1
            if ($1 in want) {
                if (want[$1] != $2) print "  " $1 ": " $2 ", expected " want[$1]
            } else if ($2 != "n/a") {
                print "  " $1 ": " $2 ", expected n/a (not listed)"
            }
        }
        END { for (id in want) if (!(id in seen)) print "  " id ": not in the catalog" }')
    if [ -z "$diffs" ]; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL $dir"
        printf '%s\n' "$diffs"
    fi
done
echo "RESULT traces $pass $fail"
