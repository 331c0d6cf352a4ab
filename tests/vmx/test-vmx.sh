#!/usr/bin/env bash
# test-vmx.sh DISK [TIMEOUT] -- the VT-x core's integration test (DESIGN.md §4, layers 3 and 4):
# boot the hypervisor with the test guests of tests/guests/ linked in, in Bochs
# (corei7_skylake_x: VMX with EPT, unrestricted guest and the preemption timer; 1 CPU, 128 MiB),
# and check what every VM printed on the serial console (`[NAME] ...`, docs/guest-protocol.md):
#   - every PASS line of every guest, listed below one by one, exactly once (a missing check, a
#     check that ran twice, and a check that is not listed here all fail);
#   - no FAIL line from any guest;
#   - rm16, pm32, lm64, hostile and bench exit with status 0;
#   - triple stops with "triple fault", oob with "EPT violation at GPA 0x40000000", and bench
#     still runs to its end after both were stopped;
#   - spin started before rm16, pm32 and lm64 exited and is never reported stopped or exited:
#     one CPU, a guest that never gives it back, so the others can only have finished through
#     the VMX-preemption timer;
#   - bench printed its three figures;
#   - nothing from the hypervisor about a CPU exception, a wasm trap, a panic or a halted CPU.
# Exit status 0 only if every check passed; the serial output is shown when one did not.
# TEST_VMX_SERIAL=FILE: check a serial log saved from an earlier run instead of booting.
set -uo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 DISK [TIMEOUT]" >&2; exit 2; fi
disk=$1 limit=${2:-300}
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/tests/vmx/lib.sh"
[ -f "$disk" ] || [ -n "${TEST_VMX_SERIAL:-}" ] ||
  { echo "FAIL  test-vmx: $disk does not exist (make image)"; exit 1; }
out=${TEST_VMX_DIR:-$root/build/test-vmx}
log=$out/serial.txt

# ---- what each guest must print (tests/guests/<name>.asm: its CHECK lines and literal lines) ----
expected() {
  cat <<'LINES'
[spin] PASS started
[rm16] PASS cpuid vendor
[rm16] PASS cpuid hypervisor bit
[rm16] PASS cpuid vmx hidden
[rm16] PASS cpuid 0x40000000 signature
[rm16] PASS out imm8 0xe9
[rm16] PASS out dx 0xe9 8/16/32-bit
[rm16] PASS rep outsb
[rm16] PASS rep outsb count register cleared
[rm16] PASS in al 0xe9 reads 0xe9
[rm16] PASS in al dx 0xe9 reads 0xe9
[rm16] PASS in al unassigned port reads 0xff
[rm16] PASS in ax unassigned port reads 0xffff
[rm16] PASS in eax unassigned port reads 0xffffffff
[rm16] PASS mmio read id
[rm16] PASS mmio scratch 8-bit
[rm16] PASS mmio scratch 16-bit
[rm16] PASS mmio scratch 32-bit
[rm16] PASS mmio writes counter +3
[rm16] PASS mmio id read-only
[rm16] PASS mmio writes counter ignores id write
[pm32] PASS protected mode entered
[pm32] PASS rdmsr pat no #gp
[pm32] PASS rdmsr pat reset value
[pm32] PASS wrmsr pat round trip
[pm32] PASS rdmsr unknown msr #gp to guest idt
[pm32] PASS rdmsr unknown msr #gp eip at the rdmsr
[pm32] PASS rdmsr unknown msr #gp error code 0
[pm32] PASS rdmsr unknown msr leaves edx:eax
[pm32] PASS mmio mov eax moffs32 read id
[pm32] PASS mmio mov r32 [reg] read id
[pm32] PASS mmio mov r32 [disp32] read id
[pm32] PASS mmio mov imm32 store
[pm32] PASS mmio mov r32 sib store and load
[pm32] PASS mmio mov moffs32 store
[pm32] PASS mmio mov r16 load keeps upper bits
[pm32] PASS mmio movzx r32 byte
[pm32] PASS mmio movzx r32 word
[pm32] PASS mmio movsx r32 byte
[pm32] PASS mmio movsx r32 word
[lm64] PASS cpuid 0x40000000 signature, upper halves zero
[lm64] PASS cpuid hypervisor bit
[lm64] PASS mmio mov r32 load zero-extends (rex.r)
[lm64] PASS mmio mov r64 store and load
[lm64] PASS mmio 64-bit store counts one write
[lm64] PASS mmio mov r9/r10 (rex.wr)
[lm64] PASS mmio mov [r12 + disp] (rex.wrb, sib)
[lm64] PASS mmio mov r/m64 imm32 sign-extended
[lm64] PASS mmio movzx r64 word (rex.wr)
[lm64] PASS mmio movsx r64 word (rex.w)
[lm64] PASS mmio mov [mem], dh (no rex)
[lm64] PASS mmio mov [mem], sil (rex)
[lm64] PASS mmio mov ah, [mem]
[lm64] PASS mmio mov r15b load keeps upper bits
[lm64] PASS wrmsr unknown msr #gp to guest idt
[lm64] PASS wrmsr unknown msr #gp rip at the wrmsr
[lm64] PASS wrmsr unknown msr #gp error code 0
[lm64] PASS cr4 read shows pae
[lm64] PASS cpuid xsave exposed
[lm64] PASS cr4 osxsave set and read back
[lm64] PASS cpuid osxsave follows cr4
[lm64] PASS xsetbv xcr0 x87|sse
[lm64] PASS xsetbv invalid value #gp
[lm64] PASS xsetbv invalid value #gp rip at the xsetbv
[lm64] PASS xsetbv invalid value leaves xcr0
[oob] PASS started
[triple] PASS started
[hostile] PASS console_write probe
[hostile] PASS console_write returns length
[hostile] PASS console_write gpa outside ram -14
[hostile] PASS console_write gpa of mmio device -14
[hostile] PASS console_write wrapping range -14
[hostile] PASS console_write gpa above 4 GiB -14
[hostile] PASS console_write length 4097 -22
[hostile] PASS console_write length 2^32+4 -22
[hostile] PASS console_write length 2^63 rejected
[hostile] PASS hypercall 0 -38
[hostile] PASS hypercall 99 -38
[hostile] PASS hypercall 2^32+1 -38
[hostile] PASS unknown hypercall preserves registers
[hostile] PASS console_write preserves registers
[hostile] PASS vmcall from cpl 3 #ud
LINES
}
EXITING="rm16 pm32 lm64 hostile bench"   # guests that end with the exit hypercall, status 0
BENCH_FIGURES="exit.cpuid exit.io_out exit.mmio_write exit.io_in_dev"

failures=0
pass() { echo "PASS  $1"; }
fail() { echo "FAIL  $1"; failures=$((failures + 1)); }
re_escape() { printf '%s' "$1" | sed 's/[][\.*^$+?(){}|/]/\\&/g'; }

# The list above must cover every CHECK of the guests: a check added to a guest but not here
# would otherwise never be asserted.
srcdir=$root/tests/guests
for src in "$srcdir"/*.asm; do
  g=$(basename "$src" .asm)
  case " spin rm16 pm32 lm64 oob triple hostile bench " in *" $g "*) ;; *) continue ;; esac
  while IFS= read -r what; do
    if ! expected | grep -Fxq -- "[$g] PASS $what"; then
      fail "test list: tests/guests/$g.asm checks \"$what\" but this test does not expect \"[$g] PASS $what\""
    fi
  done < <(sed -n 's/^ *CHECK [a-z]*, "\(.*\)"$/\1/p' "$src")
done

# ---- boot, until every guest has ended (spin: started) ------------------------------------------
# Every guest but spin ends, one way or the other (how is checked below): the run is over when
# each has, so a guest the hypervisor stopped early does not cost the whole timeout.
awaited=('^\[spin\] PASS started$')
for g in $EXITING oob triple; do awaited+=("^\\[$g\\] (exited|stopped)"); done
mkdir -p "$out"
if [ -n "${TEST_VMX_SERIAL:-}" ]; then
  log=$TEST_VMX_SERIAL
  echo "test-vmx: checking the saved log $log (no boot)"
else
  boot_guests "$disk" "$out/bochs" "$log" "$limit" "${awaited[@]}"
  brc=$?
  [ "$brc" -eq 0 ] && pass "bochs: every guest ended (spin started) within ${limit}s" ||
    fail "bochs: not every guest ended (status $brc; awaited: ${awaited[*]})"
fi

lines() { serial_lines "$log"; }

# ---- hypervisor health -------------------------------------------------------------------------
hit=$(lines | grep -aE -- "$VMX_FATAL" | head -3)
[ -z "$hit" ] && pass "hypervisor: no exception, trap, panic or halt" || fail "hypervisor: $hit"

# ---- every expected line exactly once ----------------------------------------------------------
while IFS= read -r want; do
  n=$(lines | grep -aFxc -- "$want")
  case $n in
    1) pass "$want" ;;
    0) fail "$want: missing" ;;
    *) fail "$want: printed $n times" ;;
  esac
done < <(expected)

# ---- no FAIL line; no PASS line that is not listed -----------------------------------------------
hit=$(lines | grep -aE '^\[[^]]+\] FAIL' | head -20)
[ -z "$hit" ] && pass "no guest printed a FAIL line" || fail "guests printed FAIL lines:
$hit"
hit=$(lines | grep -aE '^\[[^]]+\] PASS' | grep -avFx -f <(expected) | head -20)
[ -z "$hit" ] && pass "every PASS line printed is an expected one" || fail "unexpected PASS lines:
$hit"

# ---- how each guest ended ----------------------------------------------------------------------
for g in $EXITING; do
  want="[$g] exited with status 0"
  got=$(lines | grep -aE "^\\[$g\\] (exited|stopped)" | head -3)
  [ "$got" = "$want" ] && pass "$want" || fail "$want: got '${got:-nothing}'"
done
got=$(lines | grep -aE '^\[triple\] (exited|stopped)' | head -3)
[[ $got =~ ^\[triple\]\ stopped:\ triple\ fault ]] && [ "$(wc -l <<< "$got")" = 1 ] &&
  pass "[triple] stopped: triple fault" || fail "[triple] stopped: triple fault: got '${got:-nothing}'"
got=$(lines | grep -aE '^\[oob\] (exited|stopped)' | head -3)
[[ $got =~ ^\[oob\]\ stopped:\ EPT\ violation\ at\ GPA\ 0x40000000($|[^0-9a-fA-F]) ]] && [ "$(wc -l <<< "$got")" = 1 ] &&
  pass "[oob] stopped: EPT violation at GPA 0x40000000" ||
  fail "[oob] stopped: EPT violation at GPA 0x40000000: got '${got:-nothing}'"

# ---- spin: still running, and running before the others finished ------------------------------
got=$(lines | grep -aE '^\[spin\] (exited|stopped)' | head -3)
[ -z "$got" ] && pass "[spin] never stopped" || fail "[spin] must still be running: $got"
started=$(lines | grep -anFx '[spin] PASS started' | head -1 | cut -d: -f1)
for g in rm16 pm32 lm64; do
  ended=$(lines | grep -anE "^\\[$g\\] exited with status " | head -1 | cut -d: -f1)
  if [ -n "$started" ] && [ -n "$ended" ] && [ "$started" -lt "$ended" ]; then
    pass "$g exited after spin started (line $ended > $started): the preemption timer works"
  else
    fail "$g must exit after spin started (spin line ${started:-none}, $g line ${ended:-none})"
  fi
done

# ---- a stopped VM does not take the others down: bench (the longest guest, created after oob and
# triple) still ran to its end after both had been stopped
bench_end=$(lines | grep -anE '^\[bench\] exited with status ' | head -1 | cut -d: -f1)
for g in oob triple; do
  stop=$(lines | grep -anE "^\\[$g\\] stopped: " | head -1 | cut -d: -f1)
  if [ -n "$stop" ] && [ -n "$bench_end" ] && [ "$stop" -lt "$bench_end" ]; then
    pass "bench exited after $g was stopped (line $bench_end > $stop)"
  else
    fail "bench must exit after $g was stopped ($g line ${stop:-none}, bench line ${bench_end:-none})"
  fi
done

# ---- bench figures ---------------------------------------------------------------------------------
for f in $BENCH_FIGURES; do
  got=$(lines | grep -aE "^\\[bench\\] BENCH $(re_escape "$f") " | head -2)
  if [[ $got =~ ^\[bench\]\ BENCH\ [a-z._]+\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
    pass "[bench] BENCH $f ${BASH_REMATCH[1]}"
  else
    fail "[bench] BENCH $f N (N > 0): got '${got:-nothing}'"
  fi
done

if [ "$failures" -ne 0 ]; then
  echo "---- serial console ($log)"
  lines | sed 's/^/| /'
  echo "----"
  echo "test-vmx: $failures check(s) failed"
  exit 1
fi
echo "test-vmx: all checks passed"
