#!/usr/bin/env bash
# bench-exits.sh DISK [TIMEOUT] -- VM-exit round-trip costs (DESIGN.md §5): boot the hypervisor
# with the test guests in Bochs, wait for the bench guest (tests/guests/bench.asm) to exit, and turn
# its "[bench] BENCH exit.<kind> N" lines into
#   bench: exit.cpuid N instructions
#   bench: exit.io_out N instructions
#   bench: exit.mmio_write N instructions
#   bench: exit.io_in_dev N instructions    (a port with a device: the full I/O path)
# N is counted by the guest with RDTSC, which in Bochs advances once per retired instruction: the
# instructions (guest's exiting one + the hypervisor's exit/entry path and handler) per round trip.
# Fails, printing nothing made up, when a figure is missing or the bench guest did not exit with 0.
# TEST_VMX_SERIAL=FILE: read a serial log saved from an earlier run instead of booting.
set -uo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 DISK [TIMEOUT]" >&2; exit 2; fi
disk=$1 limit=${2:-300}
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/vmx/lib.sh"
out=${BENCH_EXITS_DIR:-$root/build/bench-exits}
log=$out/serial.txt
mkdir -p "$out"

if [ -n "${TEST_VMX_SERIAL:-}" ]; then
  log=$TEST_VMX_SERIAL
else
  [ -f "$disk" ] || { echo "bench-exits: $disk does not exist (make image)" >&2; exit 1; }
  boot_guests "$disk" "$out/bochs" "$log" "$limit" '^\[bench\] (exited|stopped)' >&2
fi

bad=0
ended=$(serial_lines "$log" | grep -aE '^\[bench\] (exited|stopped)' | head -1)
if [ "$ended" != "[bench] exited with status 0" ]; then
  echo "bench-exits: the bench guest did not exit with status 0 (got '${ended:-nothing}')" >&2
  bad=1
fi
for f in exit.cpuid exit.io_out exit.mmio_write exit.io_in_dev; do
  n=$(serial_lines "$log" | sed -n "s/^\\[bench\\] BENCH ${f//./\\.} \\([0-9][0-9]*\\)\$/\\1/p" | head -1)
  if [ -n "$n" ]; then
    echo "bench: $f $n instructions"
  else
    echo "bench-exits: no '[bench] BENCH $f N' line on the serial console" >&2
    bad=1
  fi
done
if [ "$bad" -ne 0 ]; then
  echo "---- serial console ($log)" >&2
  serial_lines "$log" | sed 's/^/| /' >&2
  exit 1
fi
