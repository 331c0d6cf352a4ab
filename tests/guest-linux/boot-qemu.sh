#!/bin/bash
# Boots the reference Linux guest (build/guest-linux) on bare QEMU TCG and asserts on its serial
# output: the kernel's banner, the init marker with a TSC reading, `uname -a` naming the release
# in VERSION, the whole virtio module chain loaded, the done marker, and that QEMU exited by
# itself (the guest powered off) rather than by the timeout.
#   usage: boot-qemu.sh GUEST_DIR      (GUEST_DIR holds vmlinuz, initrd.img, cmdline, VERSION)
set -eo pipefail
[ $# = 1 ] || { echo "usage: $0 GUEST_DIR" >&2; exit 2; }
G=$1
LIMIT=${GUEST_LINUX_QEMU_TIMEOUT:-60}   # seconds; a TCG boot takes ~4 s on an idle machine
LOG=$G/qemu-boot.log
RELEASE=$(cat "$G/VERSION")
CMDLINE=$(cat "$G/cmdline")

rc=0
# stdin from /dev/null: with -nographic QEMU would otherwise put a terminal into raw mode.
timeout -k 5 "$LIMIT" qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot \
  -kernel "$G/vmlinuz" -initrd "$G/initrd.img" -append "$CMDLINE" </dev/null 2>&1 |
  tr -d '\r' > "$LOG" || rc=$?

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
has() { grep -qE "$1" "$LOG"; }
line_no() { grep -nE -m1 "$1" "$LOG" | cut -d: -f1; }

case $rc in
  0) ;;
  124|137) fail "QEMU still running after ${LIMIT} s: the guest did not power off" ;;
  *) fail "QEMU exited with status $rc" ;;
esac

# Release strings contain dots: escape them for the regular expressions.
rel=${RELEASE//./\\.}
has "^Linux version $rel " || fail "no kernel banner 'Linux version $RELEASE ...'"
has '^TSHV-GUEST: init started tsc=[0-9]+$' || fail "no init marker with a decimal tsc value"
has "^TSHV-GUEST: uname: Linux .* $rel .*x86_64" || fail "uname -a does not report $RELEASE on x86_64"
has '^TSHV-GUEST: cpu flags: .*\bfpu\b.*\blm\b' || fail "no CPU flags line (fpu ... lm)"
has '^TSHV-GUEST: date: ' || fail "no date line"
modules=$(sed -n 's/^TSHV-GUEST: modules: //p' "$LOG")
for m in virtio virtio_ring virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk \
         failover net_failover virtio_net; do
  [[ " $modules " == *" $m "* ]] || fail "module $m not loaded (modules: ${modules:-none})"
done
has '^TSHV-GUEST: modules loaded tsc=[0-9]+$' || fail "no 'modules loaded' line with a decimal tsc value"
! has 'TSHV-GUEST: .*FAILED' || fail "init reported a failure: $(grep -m1 FAILED "$LOG")"
has '^TSHV-GUEST: done$' || fail "no done marker"
start=$(line_no '^TSHV-GUEST: init started'); done_=$(line_no '^TSHV-GUEST: done$')
[ -z "$start" ] || [ -z "$done_" ] || [ "$start" -lt "$done_" ] || fail "done marker before the init marker"

if [ $fails -gt 0 ]; then
  echo "--- last 40 lines of $LOG:"; tail -n 40 "$LOG"
  echo "test-guest-linux: $fails check(s) failed"; exit 1
fi
echo "test-guest-linux: ok: Linux $RELEASE booted on QEMU TCG, $(grep -m1 -o 'tsc=[0-9]*' "$LOG"), modules: $modules"
