#!/bin/bash
# boot-hv.sh ISO GUEST_DIR WORKDIR — boots the hypervisor with the reference Linux guest as a VM
# (tools/emu/mklinuxiso.sh) on Bochs, with the same CPU model, ips and clock as the bare baseline
# (tools/guest-linux/bench-bochs.sh), and checks the serial output:
#   - the hypervisor measured the TSC and created the VM from its modules;
#   - the guest's own lines: the init marker with a tsc, /proc/version with the release of
#     GUEST_DIR/VERSION, `uname -a`, the virtio modules loaded, `TSHV-GUEST: done`;
#   - no line of the guest says FAILED or "Segmentation fault";
#   - the hypervisor's report: `[linux] powered off (ACPI S5)`, the first-entry tsc, the
#     per-reason exit summary, `VMs: all stopped`;
#   - nothing from the hypervisor's trap/panic paths (PANIC, TRAP, EXCEPTION, `stopped:`).
# Writes WORKDIR/serial.txt (the log) and WORKDIR/figures (first_entry, marker, exits) for the
# benchmark (mk/linux.mk bench-linux). env: LINUX_HV_TIMEOUT (s, default 300).
set -euo pipefail
[ $# = 3 ] || { echo "usage: $0 ISO GUEST_DIR WORKDIR" >&2; exit 2; }
iso=$1 g=$2 w=$3
here=$(cd "$(dirname "$0")" && pwd)
limit=${LINUX_HV_TIMEOUT:-300}
mkdir -p "$w"
start=$(date +%s%N)
rc=0
"$here/../../tools/emu/bochs-run.sh" --cdrom "$iso" --mem 512 --timeout "$limit" --workdir "$w" \
  --until '^boot: CPU [0-9]+ halted|PANIC|TRAP' --extra 'clock: sync=none, time0=1735689600' >/dev/null || rc=$?
wall_ms=$(( ($(date +%s%N) - start) / 1000000 ))
log=$(tr -d '\r' < "$w/serial.txt" 2>/dev/null || true)
fail() {
  echo "test-linux: FAIL: $*" >&2
  echo "--- $w/serial.txt (tail):" >&2; tail -n 25 <<<"$log" >&2
  exit 1
}
[ "$rc" = 0 ] || fail "the run did not end with the CPU halted (bochs-run status $rc; 124 = timeout after $limit s)"
has() { grep -qE -- "$1" <<<"$log" || fail "missing: $2"; }
release=$(cat "$g/VERSION")
has '^Time: TSC [0-9]+ kHz \(measured against the PIT\)' "the TSC measurement line"
has '^\[linux\] created: Linux, RAM 256 MiB' "the VM creation line"
has '^\[linux\] TSHV-GUEST: init started tsc=[0-9]+$' "the init marker"
has "^\\[linux\\] Linux version ${release//./\\.} " "the kernel's version line (/proc/version) for $release"
has "^\\[linux\\] TSHV-GUEST: uname: Linux \\(none\\) ${release//./\\.} .* x86_64 GNU/Linux$" "the uname -a line"
has '^\[linux\] TSHV-GUEST: modules: .*virtio_pci .*' "the loaded virtio modules"
has '^\[linux\] TSHV-GUEST: done$' "TSHV-GUEST: done"
has '^\[linux\] powered off \(ACPI S5\)$' "the power-off report"
has '^\[linux\] first guest instruction at tsc=[0-9]+, [0-9]+ exits' "the first-entry tsc"
has '^\[linux\] exits: total [0-9]+, ' "the per-reason exit summary"
has '^VMs: all stopped$' "VMs: all stopped"
if grep -qE 'FAILED|Segmentation fault|Kernel panic|Oops' <<<"$log"; then fail "the guest reported a failure: $(grep -m1 -E 'FAILED|Segmentation fault|Kernel panic|Oops' <<<"$log")"; fi
if grep -qE '^(PANIC|TRAP|EXCEPTION)|\] stopped: ' <<<"$log"; then fail "the hypervisor trapped or stopped the VM: $(grep -m1 -E '^(PANIC|TRAP|EXCEPTION)|\] stopped: ' <<<"$log")"; fi
marker=$(sed -n 's/^\[linux\] TSHV-GUEST: init started tsc=\([0-9]*\)$/\1/p' <<<"$log")
first=$(sed -n 's/^\[linux\] first guest instruction at tsc=\([0-9]*\), \([0-9]*\) exits.*/\1/p' <<<"$log")
exits=$(sed -n 's/^\[linux\] first guest instruction at tsc=\([0-9]*\), \([0-9]*\) exits.*/\2/p' <<<"$log")
[ "$marker" -gt "$first" ] || fail "the marker's tsc ($marker) is not after the first entry ($first)"
printf 'first_entry=%s\nmarker=%s\nexits=%s\nwall_ms=%s\n' "$first" "$marker" "$exits" "$wall_ms" > "$w/figures"
echo "test-linux: PASS: $release booted to its init marker in $((marker - first)) instructions, $exits exits, powered off; wall $((wall_ms / 1000)) s"
grep -E '^\[linux\] exits: ' <<<"$log"
