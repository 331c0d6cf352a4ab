#!/bin/bash
# The bare-Bochs baseline of the reference guest: boots build/guest-linux's kernel, initramfs and
# command line from a GRUB ISO on Bochs (no hypervisor) and prints
#   bench: linux.bare_boot_tsc N instructions           TSC at the init marker, counted from reset
#   bench: linux.bare_kernel_to_marker_tsc N instructions  the same, minus the TSC at kernel entry
#   bench: linux.bare_module_load_tsc N instructions     init marker -> virtio modules loaded
# and the wall time on stderr (informational only: it depends on the machine's load).
#
# What the figures count. Bochs' TSC advances one tick per emulated instruction, and across HLT
# at `ips` ticks per emulated second; the guest's marker reads it with /bin/tsc. It starts at the
# BIOS reset, so linux.bare_boot_tsc includes the BIOS and GRUB reading ~15 MB from the CD. The
# hypervisor's figure will be measured from its first guest instruction (it loads the kernel
# itself), which is why the kernel-entry figure exists: Bochs' debugger stops once at the
# kernel's 32-bit entry point (where GRUB jumps) and reports the tick count there.
#
#   usage: bench-bochs.sh GUEST_DIR
#   env:   GUEST_LINUX_BOCHS_IPS (default 50000000), GUEST_LINUX_BOCHS_TIMEOUT (s, default 300),
#          GUEST_LINUX_CMDLINE (replaces GUEST_DIR/cmdline, for experiments)
set -eo pipefail
[ $# = 1 ] || { echo "usage: $0 GUEST_DIR" >&2; exit 2; }
G=$1
HERE=$(dirname "$0")
IPS=${GUEST_LINUX_BOCHS_IPS:-50000000}
LIMIT=${GUEST_LINUX_BOCHS_TIMEOUT:-300}
W=$G/bochs
mkdir -p "$W"

# tsc_early_khz: Bochs' TSC runs at exactly `ips` Hz; telling the kernel so skips its calibration
# against the PIT (16 million instructions) and gives it the exact rate.
CMDLINE="${GUEST_LINUX_CMDLINE:-$(cat "$G/cmdline")} tsc_early_khz=$((IPS / 1000))"
"$HERE/mkiso.sh" "$G" "$CMDLINE" "$W/guest.iso"

# GRUB (2.06, i386-pc) loads a relocatable bzImage at its preferred address, 16 MiB for this
# kernel (CONFIG_PHYSICAL_START), and enters startup_32 there. It is read from the image so a
# kernel built differently still gets the right breakpoint.
pref=$(od -An -tx8 -j $((0x258)) -N8 "$G/vmlinuz" | tr -d ' ')   # setup header: pref_address
ENTRY=$(printf '0x%x' $((16#$pref)))

# Bochs runs its debugger script first: break at the kernel entry, print the tick count, drop
# the breakpoint (the decompressed kernel may run at the same address) and continue to the end.
printf 'lb %s\nc\nptime\nbpd 1\nc\n' "$ENTRY" > "$W/debugger.rc"
cat > "$W/bochsrc" <<RC
megs: 512
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
cpu: model=corei7_skylake_x, count=1, ips=$IPS, reset_on_triple_fault=0
# sync=none: emulated time follows the instruction count, not the host clock, and a fixed
# time0 gives every run the same RTC; together they make runs repeatable.
clock: sync=none, time0=1735689600
display_library: term
ata0-master: type=cdrom, path=$W/guest.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$W/serial.log
log: $W/bochs.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
RC

rm -f "$W/serial.log"
start=$(date +%s%N)
rc=0
# Bochs ignores SIGTERM: -k sends SIGKILL 5 s later. Its exit status is 1 even after a clean
# power-off, so success is judged from the serial output and the timeout alone.
TERM=dumb timeout -k 5 "$LIMIT" bochs -q -f "$W/bochsrc" -rc "$W/debugger.rc" </dev/null >"$W/screen.log" 2>&1 || rc=$?
wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))

die() {
  echo "bench-linux-bare: $*" >&2
  echo "--- $W/serial.log (tail):" >&2; tail -n 20 "$W/serial.log" 2>/dev/null | tr -d '\r' >&2 || true
  echo "--- $W/bochs.log (tail):" >&2; tail -n 5 "$W/bochs.log" >&2 || true
  exit 1
}
[ "$rc" != 124 ] && [ "$rc" != 137 ] || die "Bochs still running after $LIMIT s"
serial=$(tr -d '\r' < "$W/serial.log" 2>/dev/null || true)
tsc=$(sed -n 's/^TSHV-GUEST: init started tsc=\([0-9][0-9]*\)$/\1/p' <<<"$serial")
[ -n "$tsc" ] || die "no init marker with a tsc value on the serial port"
loaded=$(sed -n 's/^TSHV-GUEST: modules loaded tsc=\([0-9][0-9]*\)$/\1/p' <<<"$serial")
[ -n "$loaded" ] && [ "$loaded" -gt "$tsc" ] || die "no 'modules loaded' tsc after the init marker"
grep -q '^TSHV-GUEST: done$' <<<"$serial" || die "the guest did not reach its done marker"
grep -q 'FAILED' <<<"$serial" && die "init reported a failure"

# The debugger prints "ptime: N" once the breakpoint is hit; the instruction there must be the
# kernel's first (cld), or the breakpoint caught something else at that address.
entry=$(sed -n 's/^ptime: \([0-9][0-9]*\)$/\1/p' "$W/screen.log" | head -n1)
grep -aq "^(0) \[0x0*${ENTRY#0x}\] .*: cld " "$W/screen.log" || die "no stop at the kernel entry $ENTRY (see $W/screen.log)"
[ -n "$entry" ] && [ "$entry" -lt "$tsc" ] || die "no tick count at the kernel entry (see $W/screen.log)"

echo "bench: linux.bare_boot_tsc $tsc instructions"
echo "bench: linux.bare_kernel_to_marker_tsc $((tsc - entry)) instructions"
echo "bench: linux.bare_module_load_tsc $((loaded - tsc)) instructions"
echo "bench-linux-bare: info: kernel entry at tsc=$entry, wall time $((wall_ms / 1000)).$(printf %03d $((wall_ms % 1000))) s on Bochs (ips=$IPS, cmdline: $CMDLINE)" >&2
