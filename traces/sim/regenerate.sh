#!/bin/sh
# Re-record the simulated bundles of traces/sim from their scenarios, and
# write each bundle's .expect from what fosim check gives it now.
#
#   traces/sim/regenerate.sh [FOSIM]      (default build/fosim; run `make` first)
#
# Each bundle is `fosim run traces/sim/scenarios/NAME.fos --record
# traces/sim/NAME` (the scenario fixes its seed).  The result is
# byte-identical to what is committed unless a model changed: review the
# diff (git diff --stat traces/sim) and the .expect changes before
# committing them.
set -eu
fosim=${1:-build/fosim}
cd "$(dirname "$0")/../.."
for scn in traces/sim/scenarios/*.fos; do
    name=$(basename "$scn" .fos)
    dir=traces/sim/$name
    rm -rf "$dir"
    "$fosim" run --quiet "$scn" --record "$dir" >/dev/null || {
        rc=$?
        # exit 1 (an expectation failed) still records; 2 is bad input
        [ "$rc" -eq 1 ] || { echo "regenerate: $scn: fosim run exited $rc" >&2; exit 1; }
    }
    FOSIM=$fosim sh conformance/check-traces.sh --write "$dir"
done
