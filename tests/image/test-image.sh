#!/usr/bin/env bash
# test-image.sh ELF DISK -- boot the hypervisor image in both emulators and check what it printed
# on the serial console (DESIGN.md §4, layer 3):
#   QEMU TCG, `-kernel ELF` (multiboot1 through the header's address fields): no VT-x there, so
#     the core must say "VT-x: not available (<reason>)" and end the run itself through
#     isa-debug-exit (QEMU's exit status is then odd: (value << 1) | 1).
#   Bochs, corei7_skylake_x, DISK (tools/emu/mbr.asm -> multiboot1 info with the E820 map): VT-x
#     with EPT and unrestricted guest, so the core must say "VT-x: supported ... EPT ...
#     unrestricted-guest", enter VMX operation ("VT-x: VMXON on CPU 0 ..."), create the VMs of the
#     linked guest images and run the first of them as far as its first console line or stop
#     (the guests' own assertions are tests/vmx's; an image linked without guests must say so).
# In both, the boot stub's own line must show the multiboot1 path and the identity map (4 GiB at
# least; 2 MiB pages in QEMU's default CPU, 1 GiB pages in Skylake-X, which has Page1GB), the core's
# banner must start with "tshv ", and neither an exception nor a trap may be reported.
# Exit status 0 only if every check passed; each failure says what was expected and what was seen.
set -uo pipefail

if [ $# -ne 2 ]; then echo "usage: $0 ELF DISK" >&2; exit 2; fi
elf=$1 disk=$2
for f in "$elf" "$disk"; do
  [ -f "$f" ] || { echo "FAIL  image: $f does not exist (make image; mk/image.mk)"; exit 1; }
done
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${TEST_IMAGE_DIR:-$root/build/test-image}
rm -rf "$out"; mkdir -p "$out"
failures=0

pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1"; failures=$((failures + 1)); }
# expect NAME LOG REGEX: a line of LOG (CR stripped) matches the extended REGEX
expect() {
  if tr -d '\r' < "$2" | grep -aE -- "$3" > /dev/null; then pass "$1"; else fail "$1: no line matches /$3/"; fi
}
# reject NAME LOG REGEX: no line of LOG matches
reject() {
  local hit
  hit=$(tr -d '\r' < "$2" | grep -aE -- "$3" | head -3)
  if [ -z "$hit" ]; then pass "$1"; else fail "$1: unexpected: $hit"; fi
}
# seconds since START (microseconds from $EPOCHREALTIME), as S.mmm
since() { local us=$(( ${EPOCHREALTIME/./} - $1 )); printf '%d.%03d' $((us / 1000000)) $((us / 1000 % 1000)); }
show() { echo "---- $1 ($2)"; tr -d '\r' < "$2" 2>/dev/null | sed 's/^/| /'; echo "----"; }

# Lines every boot must show (multiboot1 from QEMU -kernel and from our boot sector alike).
common_checks() { # EMU LOG PAGE_SIZE_HEX
  expect "$1: stub entered through multiboot1 with an info block" "$2" \
    '^boot: magic 0x2badb002 info 0x[1-9a-f][0-9a-f]* '
  expect "$1: stub found RAM in the memory map and mapped >= 4 GiB with $3-byte pages" "$2" \
    "^boot: magic .* ram-top 0x[1-9a-f][0-9a-f]* mapped 0x[1-9a-f][0-9a-f]{8,} \\(page $3\\)\$"
  expect "$1: banner" "$2" '^tshv [^ ]+'
  reject "$1: no CPU exception" "$2" 'EXCEPTION: vector'
  reject "$1: no wasm trap" "$2" '^TRAP: '
}

# ---- QEMU TCG, -kernel -----------------------------------------------------------------------
qlog=$out/qemu-serial.txt
start=${EPOCHREALTIME/./}
# --until: a CPU that halts without using isa-debug-exit ends the run at once (and fails below)
"$root/tools/emu/qemu-run.sh" --kernel "$elf" --timeout 60 --workdir "$out/qemu" --serial "$qlog" \
  --until '^boot: CPU [0-9]+ halted'
qrc=$?
qtime=$(since "$start")
echo "qemu: exit status $qrc after ${qtime}s"
common_checks qemu "$qlog" 0x200000
expect "qemu: core reports that VT-x is missing" "$qlog" '^VT-x: not available \(.+\)'
reject "qemu: core does not claim VT-x" "$qlog" '^VT-x: supported'
if [ "$qrc" -ne 124 ] && [ $((qrc % 2)) -eq 1 ]; then
  pass "qemu: exited by itself through isa-debug-exit (status $qrc = value $(( (qrc - 1) / 2 )) << 1 | 1)"
else
  fail "qemu: expected an exit through isa-debug-exit (odd status), got $qrc"
fi
[ "$failures" -eq 0 ] || show "QEMU serial" "$qlog"

# ---- Bochs, corei7_skylake_x, own boot sector --------------------------------------------------
before=$failures
blog=$out/bochs-serial.txt
start=${EPOCHREALTIME/./}
"$root/tools/emu/bochs-run.sh" --disk "$disk" --cpu corei7_skylake_x --mem 128 --timeout 120 \
  --workdir "$out/bochs" --serial "$blog" \
  --until '^boot: CPU [0-9]+ halted|^\[[^]]+\] (PASS|FAIL|stopped|exited|halted)'
brc=$?
btime=$(since "$start")
echo "bochs: bochs-run status $brc after ${btime}s"
if [ "$brc" -ne 0 ]; then fail "bochs: the run did not reach the VT-x verdict or a halt (status $brc)"; fi
common_checks bochs "$blog" 0x40000000
expect "bochs: core reports VT-x with EPT and unrestricted guest" "$blog" \
  '^VT-x: supported.*EPT.*unrestricted-guest|^VT-x: supported.*unrestricted-guest.*EPT'
expect "bochs: VMX operation entered on the boot CPU" "$blog" \
  '^VT-x: VMXON on CPU 0 \(VMCS revision 0x[0-9a-f]+, preemption timer rate TSC/2\^[0-9]+\)$'
reject "bochs: bring-up not refused" "$blog" '^VT-x bring-up: refused'
if tr -d '\r' < "$blog" | grep -aq '^VMs: no guest images linked'; then
  pass "bochs: no guest images linked, and the core says so"
else
  expect "bochs: a VM was created from a guest image" "$blog" \
    '^\[[^]]+\] created: mode (16|64), entry 0x[0-9a-f]+, RAM 4 MiB at host 0x[0-9a-f]+, EPT tables [0-9]+$'
  expect "bochs: a guest ran (console line, exit or stop)" "$blog" '^\[[^]]+\] (PASS|FAIL|stopped|exited|halted)'
fi
reject "bochs: no PANIC" "$blog" '^PANIC: '
[ "$failures" -eq "$before" ] || show "Bochs serial" "$blog"

if [ "$failures" -ne 0 ]; then echo "test-image: $failures check(s) failed"; exit 1; fi
echo "test-image: all checks passed (qemu ${qtime}s, bochs ${btime}s)"
