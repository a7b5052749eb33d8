#!/bin/sh
# record-all.sh RECORDER GUEST_DIR OUT_ROOT [SCENARIO.fos...]
#
# `make real`: record real scenarios afresh (default: every
# conformance/real/scenarios/*.fos) into OUT_ROOT/<scenario name>/, one after
# the other (two TCG guests already fill a 2-core machine).  Stops with the
# apt-get line when QEMU, the kernel or busybox is missing.  A scenario whose
# recording fails leaves its stored bundle unchanged; the script goes on with
# the others and exits 1 at the end.  Check the results with `make check`
# (the real-bundles step compares each with its .expect file).
set -u
[ $# -ge 3 ] || { echo "usage: record-all.sh RECORDER GUEST_DIR OUT_ROOT [SCENARIO...]" >&2; exit 2; }
rec=$1; guest=$2; out=$3; shift 3
APT="apt-get install -y --no-install-recommends qemu-system-x86 linux-image-amd64 busybox-static"

missing=
command -v qemu-system-x86_64 >/dev/null 2>&1 || missing="$missing qemu-system-x86_64"
ls /boot/vmlinuz-* >/dev/null 2>&1 || missing="$missing a kernel in /boot"
[ -x /bin/busybox ] || missing="$missing busybox"
if [ -n "$missing" ]; then
    echo "make real: missing:$missing" >&2
    echo "install the packages with: $APT" >&2
    exit 2
fi
[ -x "$rec" ] || { echo "make real: $rec is not built (make recorder)" >&2; exit 2; }

[ $# -gt 0 ] || set -- conformance/real/scenarios/*.fos
mkdir -p "$out"
failed=0
for s in "$@"; do
    name=$(basename "$s" .fos)
    echo "== $name"
    # One more try when a recording fails (exit 1): under load a TCG guest
    # can miscalibrate its clock, which the recorder refuses.
    rc=0
    "$rec" --guest "$guest" "$s" "$out/$name" || rc=$?
    if [ "$rc" -eq 1 ]; then
        echo "!! $name: recording failed, trying once more"
        rc=0
        "$rec" --guest "$guest" "$s" "$out/$name" || rc=$?
    fi
    if [ "$rc" -ne 0 ]; then
        echo "!! $name: recording failed (the stored bundle is unchanged)"
        failed=$((failed + 1))
    fi
done
[ "$failed" -eq 0 ] || { echo "make real: $failed recording(s) failed" >&2; exit 1; }
