#!/bin/sh
# mkguest.sh OUTDIR -- build the guest the recorder boots in real QEMU.
#
# From Debian packages only (Debian 12): the kernel of linux-image-amd64 and
# an initramfs holding busybox-static, the virtio / failover / e1000e
# modules and an init script.  Writes OUTDIR/vmlinuz, OUTDIR/initrd.gz and
# OUTDIR/kernel-version; needs no root (a staging directory OUTDIR/.stage is
# removed on exit).  Overrides: KVER (kernel version, default the newest
# /lib/modules/* with a /boot/vmlinuz-*), BUSYBOX (default /bin/busybox).
#
# The init script reads knobs from the kernel command line (/proc/cmdline);
# fosim-record maps a scenario's guest knobs and traffic block to them
# (doc/real.md lists the mapping):
#   fosim.failover=0|1   load failover, net_failover, virtio_net (default 1)
#   fosim.e1000e=0|1     load e1000e (default 1)
#   fosim.loadat=SECS    load the NIC drivers once the uptime reaches SECS
#   fosim.ip=A.B.C.D/N   address of eth0 (default 10.0.2.15/24); none: no ifup
#   fosim.mtu=N          MTU set on eth0 after it is up
#   fosim.up=IF[,IF]     also bring these interfaces up (no address)
#   fosim.addr=IF=A/N[,IF=A/N]  after eth0, for each in turn: wait up to 2 s for
#                        IF, `ip addr add A/N dev IF`, `ip link set IF up`, and log
#                        "fosim-guest: addr IF A/N" (or "... failed"): a userspace
#                        that configures a failover slave (linux-guest.md bug 8);
#                        may be repeated
#   fosim.ping=ADDR      ping ADDR from eth0 (busybox ping, output on the console)
#   fosim.pingint=SECS   interval (default 0.2), fosim.pingsize=N payload bytes,
#   fosim.pingat=SECS    start at this uptime, fosim.pingend=SECS stop at it
#   fosim.watch=1        print changed `ip -o link` lines every 0.5 s
# Markers go through /dev/kmsg, so they carry the kernel's uptime stamp:
#   "fosim-guest: init", "fosim-guest: insmod NAME", "fosim-guest: modules loaded",
#   "fosim-guest: ready", "fosim-guest: ping started", "fosim-guest: no eth0",
#   "fosim-guest: addr IF A/N" (and "fosim-guest: addr IF A/N failed").
set -eu

die() { echo "mkguest.sh: $*" >&2; exit 1; }

[ $# -eq 1 ] || die "usage: mkguest.sh OUTDIR"
OUT=$1
BUSYBOX=${BUSYBOX:-/bin/busybox}
APT="apt-get install -y --no-install-recommends qemu-system-x86 linux-image-amd64 busybox-static"
[ -x "$BUSYBOX" ] || die "$BUSYBOX is missing; install it with: $APT"
command -v gzip >/dev/null || die "gzip is missing"

if [ -z "${KVER:-}" ]; then
    for d in /lib/modules/*; do
        v=${d##*/}
        [ -f "/boot/vmlinuz-$v" ] && KVER=$v
    done
fi
[ -n "${KVER:-}" ] || die "no kernel in /boot and /lib/modules; install one with: $APT"
MODDIR=/lib/modules/$KVER/kernel
[ -r "/boot/vmlinuz-$KVER" ] || die "/boot/vmlinuz-$KVER is not readable"

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
STAGE=$OUT/.stage
rm -rf "$STAGE"
mkdir -p "$STAGE"
trap 'rm -rf "$STAGE" "$OUT/initrd.gz.tmp"' EXIT
trap 'exit 130' INT TERM

# Modules in load order, each after its dependencies (modinfo: virtio_net
# needs net_failover, so a guest without failover has no virtio-net driver).
MODS="drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev
drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci net/core/failover
drivers/net/net_failover drivers/net/virtio_net drivers/net/ethernet/intel/e1000e/e1000e"

mkdir -p "$STAGE/bin" "$STAGE/sbin" "$STAGE/usr/bin" "$STAGE/usr/sbin" "$STAGE/lib/fosim" \
         "$STAGE/proc" "$STAGE/sys" "$STAGE/tmp" "$STAGE/root" "$STAGE/etc"
cp "$BUSYBOX" "$STAGE/bin/busybox"
chmod 755 "$STAGE/bin/busybox"
for a in $("$BUSYBOX" --list-full); do
    [ "$a" = bin/busybox ] && continue
    [ -e "$STAGE/$a" ] || ln -s /bin/busybox "$STAGE/$a"
done

for m in $MODS; do
    name=${m##*/}
    if [ -f "$MODDIR/$m.ko" ]; then
        cp "$MODDIR/$m.ko" "$STAGE/lib/fosim/$name.ko"
    elif [ -f "$MODDIR/$m.ko.xz" ]; then
        "$BUSYBOX" xz -dc "$MODDIR/$m.ko.xz" > "$STAGE/lib/fosim/$name.ko"
    elif [ -f "$MODDIR/$m.ko.gz" ]; then
        gzip -dc "$MODDIR/$m.ko.gz" > "$STAGE/lib/fosim/$name.ko"
    elif [ -f "$MODDIR/$m.ko.zst" ]; then
        command -v zstd >/dev/null || die "$m.ko.zst needs zstd"
        zstd -qdc "$MODDIR/$m.ko.zst" > "$STAGE/lib/fosim/$name.ko"
    else
        die "module $MODDIR/$m.ko* not found"
    fi
done

cat > "$STAGE/init" <<'EOF'
#!/bin/sh
# fosim guest init (PID 1); knobs from /proc/cmdline, see mkguest.sh.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
say() { echo "fosim-guest: $*" > /dev/kmsg; }
uptime_ge() { awk -v t="$1" '{ exit !($1 >= t) }' /proc/uptime; }
wait_uptime() { while ! uptime_ge "$1"; do sleep 0.01; done; }
say "init"

FAILOVER=1 E1000E=1 LOADAT= IP=10.0.2.15/24 MTU= UP= ADDR= WATCH=0
PING= PINGINT=0.2 PINGSIZE= PINGAT= PINGEND=
for w in $(cat /proc/cmdline); do
    case $w in
        fosim.failover=*) FAILOVER=${w#*=} ;;
        fosim.e1000e=*)   E1000E=${w#*=} ;;
        fosim.loadat=*)   LOADAT=${w#*=} ;;
        fosim.ip=*)       IP=${w#*=} ;;
        fosim.mtu=*)      MTU=${w#*=} ;;
        fosim.up=*)       UP=${w#*=} ;;
        fosim.addr=*)     ADDR="$ADDR ${w#*=}" ;;
        fosim.watch=*)    WATCH=${w#*=} ;;
        fosim.ping=*)     PING=${w#*=} ;;
        fosim.pingint=*)  PINGINT=${w#*=} ;;
        fosim.pingsize=*) PINGSIZE=${w#*=} ;;
        fosim.pingat=*)   PINGAT=${w#*=} ;;
        fosim.pingend=*)  PINGEND=${w#*=} ;;
    esac
done

load() { say "insmod $1"; insmod /lib/fosim/$1.ko || say "insmod $1 failed"; }
load virtio_ring
load virtio
load virtio_pci_modern_dev
load virtio_pci_legacy_dev
[ -n "$LOADAT" ] && wait_uptime "$LOADAT"
load virtio_pci
if [ "$FAILOVER" = 1 ]; then
    load failover
    load net_failover
    load virtio_net
fi
[ "$E1000E" = 1 ] && load e1000e
say "modules loaded"

ip link set lo up
if [ "$IP" != none ]; then
    n=0
    while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 20 ]; do sleep 0.1; n=$((n+1)); done
    if [ -e /sys/class/net/eth0 ]; then
        ip addr add "$IP" dev eth0
        ip link set eth0 up
        [ -n "$MTU" ] && ip link set eth0 mtu "$MTU"
    else
        say "no eth0"
    fi
fi
for a in $(echo "$ADDR" | tr , ' '); do
    i=${a%%=*} p=${a#*=}
    n=0
    while [ ! -e "/sys/class/net/$i" ] && [ $n -lt 20 ]; do sleep 0.1; n=$((n+1)); done
    if ip addr add "$p" dev "$i" && ip link set "$i" up; then
        say "addr $i $p"
    else
        say "addr $i $p failed"
    fi
done
for i in $(echo "$UP" | tr , ' '); do ip link set "$i" up || say "cannot up $i"; done
say "ready"
if [ -n "$PING" ]; then
    (
        [ -n "$PINGAT" ] && wait_uptime "$PINGAT"
        say "ping started"
        if [ -n "$PINGSIZE" ]; then ping -i "$PINGINT" -s "$PINGSIZE" "$PING" &
        else ping -i "$PINGINT" "$PING" & fi
        if [ -n "$PINGEND" ]; then
            wait_uptime "$PINGEND"
            kill $! 2>/dev/null
            say "ping stopped"
        fi
        wait
    ) &
fi
if [ "$WATCH" = 1 ]; then
    (
        : > /tmp/links
        while :; do
            ip -o link | sed 's/\\\{0,1\} *link\/.*//' > /tmp/links.new
            if ! cmp -s /tmp/links /tmp/links.new; then
                sed 's/^/fosim-guest: link: /' /tmp/links.new > /dev/kmsg
                mv /tmp/links.new /tmp/links
            fi
            sleep 0.5
        done
    ) &
fi
while :; do sleep 3600; done
EOF
chmod 755 "$STAGE/init"

# /dev/console as a raw newc entry (char 5:1), so the kernel can open the
# initial console without mknod (no root needed); the kernel accepts the
# concatenated archives.
newc_hdr() { # ino mode nlink rdevmaj rdevmin name
    namesize=$(( ${#6} + 1 ))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        "$1" "$2" 0 0 "$3" 0 0 0 0 "$4" "$5" "$namesize" 0
    printf '%s\0' "$6"
    pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    while [ $pad -gt 0 ]; do printf '\0'; pad=$((pad-1)); done
}
{
    newc_hdr 1 $((0040755)) 2 0 0 dev
    newc_hdr 2 $((0020600)) 1 5 1 dev/console
    newc_hdr 3 0 1 0 0 'TRAILER!!!'
    (cd "$STAGE" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort |
        "$BUSYBOX" cpio -o -H newc -R 0:0 2>/dev/null)
} | gzip -9 -n > "$OUT/initrd.gz.tmp"
mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
cp "/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
echo "$KVER" > "$OUT/kernel-version"
echo "mkguest.sh: built $OUT/initrd.gz and $OUT/vmlinuz (kernel $KVER)"
