#!/bin/sh
# Generate the seed corpora of the fuzz targets from the repository.
#
#   fuzz/seeds.sh FUZZ_BUILD FOSIM
#
# Seeds are never stored by hand: each run rebuilds FUZZ_BUILD/seeds/NAME/
# from what the repository holds, so a new scenario or stored trace becomes
# a seed without anyone copying it:
#   scenario  every .fos file under conformance/, examples/ and traces/
#   qmp       every QMP log (*.qmp) under traces/ and the simulated bundles
#   klog      every guest console (*-guest.log, *console*.log) likewise
#   stderr    every QEMU stderr (*.stderr)
#   pcap      every .pcap under traces/, conformance/ and the simulated bundles
#   manifest  every bundle manifest (manifest.json)
#   check     every bundle directory, packed into one file (see fuzz/pack.sh)
#   NAME      every stored regression input fuzz/regressions/NAME/*
# "The simulated bundles" are recorded here with FOSIM run --record from the
# conformance scenarios (when the command supports it), under
# FUZZ_BUILD/seed-bundles/ (FUZZ_RECORD_SEEDS=0 skips that).  Seed file names are
# their content's hash.
set -u
fb=$1; fosim=${2:-build/fosim}
seeds=$fb/seeds
bundles=$fb/seed-bundles
rm -rf "$seeds" "$bundles"
mkdir -p "$seeds" "$bundles"

add() { # target file
    mkdir -p "$seeds/$1"
    [ -f "$2" ] || return 0
    h=$(sha1sum <"$2" | cut -c1-16)
    cp "$2" "$seeds/$1/$h"
}

# Record the conformance scenarios as bundles (skipped quietly when the
# build has no --record yet or a scenario does not run).
if [ "${FUZZ_RECORD_SEEDS:-1}" != 0 ] && "$fosim" run --help 2>/dev/null | grep -q -- '--record'; then
    n=0
    for f in $(find conformance/scenarios examples -name '*.fos' ! -path '*/include/*' 2>/dev/null | LC_ALL=C sort); do
        n=$((n + 1))
        "$fosim" run --quiet --record "$bundles/b$n" "$f" >/dev/null 2>&1 || true
    done
fi

find conformance examples traces -name '*.fos' -type f 2>/dev/null | LC_ALL=C sort |
    while IFS= read -r f; do add scenario "$f"; done
# FUZZ_EXTRA_SEEDS: more directories to take seeds from (e.g. raw recordings
# that are not in the repository); their QMP logs may be *.jsonl.
find traces "$bundles" conformance ${FUZZ_EXTRA_SEEDS:-} -type f 2>/dev/null | LC_ALL=C sort |
    while IFS= read -r f; do
        case $f in
        *qmp*.jsonl) add qmp "$f" ;;
        */guest.log) add klog "$f" ;;
        */stderr.txt) add stderr "$f" ;;
        *.qmp) add qmp "$f" ;;
        *-guest.log | *console*.log) add klog "$f" ;;
        *.stderr) add stderr "$f" ;;
        *.pcap | *.pcapng) add pcap "$f" ;;
        */manifest.json) add manifest "$f" ;;
        esac
    done
find traces "$bundles" -name manifest.json -type f 2>/dev/null | LC_ALL=C sort |
    while IFS= read -r m; do
        d=${m%/manifest.json}
        mkdir -p "$seeds/check"
        fuzz/pack.sh "$d" >"$seeds/check/tmp"
        h=$(sha1sum <"$seeds/check/tmp" | cut -c1-16)
        mv "$seeds/check/tmp" "$seeds/check/$h"
    done
# Stored regression inputs seed their target too.
for d in fuzz/regressions/*/; do
    [ -d "$d" ] || continue
    t=$(basename "$d")
    for f in "$d"*; do add "$t" "$f"; done
done
for d in "$seeds"/*; do
    [ -d "$d" ] && echo "seeds ${d##*/}: $(ls "$d" | wc -l) files"
done
exit 0
