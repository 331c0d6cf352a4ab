#!/bin/bash
# panic-hv.sh ISO WORKDIR — containment and idle: the reference kernel with `rdinit=/bin/busybox
# -- sleep 1 panic=-1` (tools/emu/mklinuxiso.sh with LINUX_VM_CMDLINE, see mk/linux.mk). The
# guest's init sleeps one second — the vCPU halts (HLT with IF = 1) and is woken by its timer
# interrupt, which exercises the hypervisor's wait on the TSC — then exits, so the kernel panics
# ("Attempted to kill init") and, with panic=-1, reboots at once through the 8042 reset command.
# The hypervisor must end that VM with its report and keep running (`VMs: all stopped`, the CPU
# halts normally), never trap. env: LINUX_HV_TIMEOUT (s, default 300).
set -euo pipefail
[ $# = 2 ] || { echo "usage: $0 ISO WORKDIR" >&2; exit 2; }
iso=$1 w=$2
here=$(cd "$(dirname "$0")" && pwd)
limit=${LINUX_HV_TIMEOUT:-300}
mkdir -p "$w"
rc=0
"$here/../../tools/emu/bochs-run.sh" --cdrom "$iso" --mem 512 --timeout "$limit" --workdir "$w" \
  --until '^boot: CPU [0-9]+ halted|PANIC|TRAP' --extra 'clock: sync=none, time0=1735689600' >/dev/null || rc=$?
log=$(tr -d '\r' < "$w/serial.txt" 2>/dev/null || true)
fail() {
  echo "test-linux-panic: FAIL: $*" >&2
  echo "--- $w/serial.txt (tail):" >&2; tail -n 25 <<<"$log" >&2
  exit 1
}
[ "$rc" = 0 ] || fail "the run did not end with the CPU halted (bochs-run status $rc; 124 = timeout after $limit s)"
has() { grep -qE -- "$1" <<<"$log" || fail "missing: $2"; }
has '^\[linux\] .*Kernel panic - not syncing: Attempted to kill init' "the guest's panic"
has '^\[linux\] powered off \(reset through the 8042 command 0xFE; a VM reset ends the VM\)$' "the reset report"
has '^\[linux\] exits: total [0-9]+, .*hlt [1-9]' "HLT exits (the guest idled while init slept)"
has '^VMs: all stopped$' "VMs: all stopped"
if grep -qE '^(PANIC|TRAP|EXCEPTION)|\] stopped: ' <<<"$log"; then fail "the hypervisor trapped or stopped the VM: $(grep -m1 -E '^(PANIC|TRAP|EXCEPTION)|\] stopped: ' <<<"$log")"; fi
echo "test-linux-panic: PASS: the guest idled, panicked and reset; its VM ended, the hypervisor went on"
grep -E '^\[linux\] exits: ' <<<"$log"
