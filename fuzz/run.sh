#!/bin/sh
# Run the libFuzzer targets for a while and summarise what they reached.
#
#   fuzz/run.sh FUZZ_BUILD SECONDS [TARGET...]
#
# FUZZ_BUILD is where `make fuzz` built the targets (build/libfuzzer); each
# target NAME is FUZZ_BUILD/fuzz/fuzz_NAME.  Every target runs for SECONDS
# (wall clock) on one job, starting from its working corpus
# FUZZ_BUILD/corpus/NAME (grown across runs) and the generated seeds
# FUZZ_BUILD/seeds/NAME, with fuzz/NAME.dict when there is one.  A crash,
# leak, timeout or out-of-memory input is written to FUZZ_BUILD/findings/NAME/
# and makes the script exit 1; turn it into a regression test by storing it
# under fuzz/regressions/NAME/ once fixed.  FUZZ_RUNS=N stops a target after N
# executions (whichever comes first, that or SECONDS).  stdin is /dev/null so a scenario
# that includes /dev/stdin cannot block.
#
# The summary line per target (also appended to FUZZ_BUILD/fuzz-summary.log):
#   FUZZ NAME execs=N seconds=S cov=C ft=F corpus=K findings=X
set -u
fb=$1; secs=$2; shift 2
# the inputs are written to files: keep them in memory when possible
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ]; then
    export TMPDIR=/dev/shm
fi
targets=$*
if [ -z "$targets" ]; then
    for b in "$fb"/fuzz/fuzz_*; do
        [ -x "$b" ] || continue
        targets="$targets ${b##*/fuzz_}"
    done
fi
status=0
for t in $targets; do
    bin=$fb/fuzz/fuzz_$t
    corpus=$fb/corpus/$t
    seeds=$fb/seeds/$t
    findings=$fb/findings/$t
    log=$fb/logs/fuzz_$t.log
    mkdir -p "$corpus" "$seeds" "$findings" "$fb/logs"
    dict=
    [ -f "fuzz/$t.dict" ] && dict=-dict=fuzz/$t.dict
    # fuzz/NAME.options: extra libFuzzer flags (e.g. -max_len: small inputs run faster)
    opts=$(cat "fuzz/$t.options" 2>/dev/null)
    before=$(ls "$findings" | wc -l)
    # -timeout: one input taking longer than 10 s is a hang;
    # -rss_limit_mb/-malloc_limit_mb: an input needing more memory is a finding.
    # shellcheck disable=SC2086
    start=$(date +%s)
    runs=
    [ -n "${FUZZ_RUNS:-}" ] && runs=-runs=$FUZZ_RUNS
    "$bin" -max_total_time="$secs" $runs -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
        -print_final_stats=1 -artifact_prefix="$findings/" $dict $opts \
        "$corpus" "$seeds" </dev/null >"$log" 2>&1
    rc=$?
    elapsed=$(($(date +%s) - start))
    after=$(ls "$findings" | wc -l)
    execs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log" | tail -n 1)
    # the last progress line carries cov: and ft:
    cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    ncorpus=$(ls "$corpus" | wc -l)
    line="FUZZ $t execs=${execs:-0} seconds=$elapsed cov=${cov:-?} ft=${ft:-?} corpus=$ncorpus findings=$((after - before))"
    echo "$line"
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) $line" >>"$fb/fuzz-summary.log"
    if [ "$rc" -ne 0 ] || [ "$after" -ne "$before" ]; then
        echo "!! fuzz_$t found a problem (exit $rc); log: $log; inputs: $findings/"
        grep -E 'ERROR|SUMMARY|==[0-9]+==|runtime error|Test unit written' "$log" | head -n 20
        status=1
    fi
done
exit $status
