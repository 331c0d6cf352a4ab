#!/bin/bash
# boot-mb1.sh ISO WORKDIR [TIMEOUT] — boots the hypervisor with the two multiboot v1 test kernels
# as VMs (tests/guests-mb1/mkiso.sh) in Bochs and checks the serial output:
#   - both VMs were created from their `multiboot` declarations, with their modules;
#   - every PASS line listed below, exactly once per VM; no FAIL line; no PASS line not listed;
#   - each kernel's `DONE checks=N failures=0`, N = the number of PASS lines listed for it (a
#     check that did not run, or one added to a kernel but not listed here, fails);
#   - every literal CHECK of the kernels' sources is listed here;
#   - `[NAME] powered off (ACPI S5)` for both, `VMs: all stopped`, and nothing from the
#     hypervisor's stop/trap/panic paths.
# Writes WORKDIR/serial.txt. Exit status 0 only if every check passed.
set -uo pipefail
[ $# -ge 2 ] && [ $# -le 3 ] || { echo "usage: $0 ISO WORKDIR [TIMEOUT]" >&2; exit 2; }
iso=$1 w=$2 limit=${3:-240}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# ---- what each kernel must print (checks.inc, acpi.inc; mb-aout.asm adds "bss zeroed") --------
common_checks() {
  cat <<'LINES'
PASS magic 0x2badb002 in eax
PASS machine state pe=1 pg=0 if=0 vm=0
PASS flat 4 GiB segments
PASS mbi flags mem cmdline mods mmap
PASS mem_lower 512-640 KiB
PASS mem_upper = mem= minus 1 MiB
PASS mmap entries well-formed
PASS mmap ram covers 1 MiB to mem=
PASS mmap ram at 0 matches mem_lower
PASS mmap no ram above mem= or in 0xa0000-0xfffff
PASS command line
PASS boot loader name tshv
PASS mods_count
LINES
  for m in $(seq 1 "$1"); do printf 'PASS module %d extent\nPASS module %d string\nPASS module %d content\n' "$m" "$m" "$m"; done
  cat <<'LINES'
PASS layout disjoint inside ram
PASS acpi rsdp in 0xe0000-0xfffff
PASS acpi fadt pm1a_cnt_blk
PASS acpi dsdt _s5 slp_typ
LINES
}
expected() {
  case $1 in
    mbelf) common_checks 2 ;;
    mbaout) echo "PASS bss zeroed"; common_checks 1 ;;
  esac
}
VMS="mbelf mbaout"

failures=0
pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1"; failures=$((failures + 1)); }

# Every literal CHECK of the sources is expected (of both kernels for the shared includes).
for src in "$here"/checks.inc "$here"/acpi.inc "$here"/mb-aout.asm; do
  while IFS= read -r what; do
    for vm in $VMS; do
      [ "$(basename "$src")" = mb-aout.asm ] && [ "$vm" != mbaout ] && continue
      grep -Fxq -- "PASS $what" < <(expected "$vm") ||
        fail "test list: $(basename "$src") checks \"$what\" but this test does not expect \"[$vm] PASS $what\""
    done
  done < <(sed -n 's/^ *CHECK [a-z]*, "\(.*\)"$/\1/p' "$src")
done

# ---- boot --------------------------------------------------------------------------------------
mkdir -p "$w"
start=$(date +%s%N)
rc=0
"$root/tools/emu/bochs-run.sh" --cdrom "$iso" --mem 256 --timeout "$limit" --workdir "$w" \
  --until '^boot: CPU [0-9]+ halted|^PANIC|^TRAP' --extra 'clock: sync=none, time0=1735689600' >/dev/null || rc=$?
wall=$(( ($(date +%s%N) - start) / 1000000000 ))
log=$(tr -d '\r' < "$w/serial.txt" 2>/dev/null || true)
[ "$rc" = 0 ] && pass "bochs: the run ended with the CPU halted (${wall}s)" ||
  fail "bochs: the run did not end with the CPU halted (bochs-run status $rc; 124 = timeout after ${limit}s)"

has() { if grep -qE -- "$1" <<<"$log"; then pass "$2"; else fail "missing: $2"; fi; }
for vm in $VMS; do
  has "^\\[$vm\\] created: multiboot, RAM [0-9]+ MiB" "[$vm] created: multiboot"
  while IFS= read -r want; do
    n=$(grep -cFx -- "[$vm] $want" <<<"$log")
    case $n in
      1) pass "[$vm] $want" ;;
      0) fail "[$vm] $want: missing" ;;
      *) fail "[$vm] $want: printed $n times" ;;
    esac
  done < <(expected "$vm")
  hit=$(grep -E "^\\[$vm\\] PASS " <<<"$log" | sed "s/^\\[$vm\\] //" | grep -vFx -f <(expected "$vm") | head -5)
  [ -z "$hit" ] && pass "[$vm] no PASS line that is not listed" || fail "[$vm] PASS lines not listed here: $hit"
  want="[$vm] DONE checks=$(expected "$vm" | wc -l) failures=0"
  grep -qFx -- "$want" <<<"$log" && pass "$want" ||
    fail "$want: got '$(grep -E "^\\[$vm\\] DONE" <<<"$log" | head -1)'"
  has "^\\[$vm\\] powered off \\(ACPI S5\\)$" "[$vm] powered off (ACPI S5)"
done
hit=$(grep -E '^\[[^]]+\] FAIL' <<<"$log" | head -10)
[ -z "$hit" ] && pass "no FAIL line" || fail "FAIL lines: $hit"
has '^VMs: all stopped$' "VMs: all stopped"
hit=$(grep -E '^(PANIC|TRAP|EXCEPTION)|\] stopped: |^VM config: ' <<<"$log" | head -3)
[ -z "$hit" ] && pass "no refusal, stop, trap or panic" || fail "the hypervisor refused, stopped or trapped: $hit"

if [ "$failures" -ne 0 ]; then
  echo "---- serial console ($w/serial.txt)"
  sed 's/^/| /' <<<"$log"
  echo "----"
  echo "test-multiboot: $failures check(s) failed"
  exit 1
fi
echo "test-multiboot: all checks passed (Bochs ${wall}s)"
