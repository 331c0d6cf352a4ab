#!/usr/bin/env bash
# exit-profile.sh -- where the instructions of one VM-exit round trip go, per function.
#
# usage: tools/profile/exit-profile.sh [KIND...]      KIND: cpuid io mmio iodev (default: the first three)
#   iodev: the bench guest's IN from the debug console (a port with a device: vmm_exit's direct
#   path); like cpuid, a linear breakpoint on the guest's own instruction (the guests' output to
#   the same port goes through the same handlers).
#
# Builds the image with the test guests into a private build tree (PROFILE_DIR, default
# build/profile: a rebuild of the shared build/ by someone else cannot change the image under the
# profile), boots it in Bochs with the debugger driven by a command file: for each KIND, a
# physical breakpoint on the compiled exit handler of that kind, PROFILE_SKIP hits skipped (so the
# bench guest, tests/guests/bench.asm, is in its measuring loop), then a few round trips' worth of
# instructions traced (PROFILE_STEPS). tools/profile/analyze.ts maps each traced instruction to its function (nm of the ELF;
# ts2native's __ts2n_fN to the wasm function name through the .wat) and prints the instructions
# per round trip of each function, over the round trips that ran that handler.
# Bochs counts one instruction per retired instruction, as the RDTSC figures of `make bench-exits`
# do, so the totals agree with them (the guest's loop instructions are the "guest" line).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
dir=${PROFILE_DIR:-$root/build/profile}
skip=${PROFILE_SKIP:-400}
# instructions traced per kind: a few complete round trips of each (PROFILE_STEPS overrides all)
declare -A steps=([cpuid]=4000 [io]=4000 [mmio]=12000 [iodev]=6000)
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(cpuid io mmio)
declare -A handler=([io]='$src/vmm/exit-lite/vmmExitIo' [mmio]='$src/vmm/exits/ept/onEptViolation')

b=$dir/build
make --no-print-directory BUILD="$b" "$b/hypervisor.disk" > "$dir.make.log" 2>&1 || { cat "$dir.make.log" >&2; exit 1; }
work=$dir/run
rm -rf "$work"; mkdir -p "$work"
cp "$b/hypervisor.disk" "$work/disk.img"
nm -n "$b/hypervisor.elf" > "$work/syms.txt"
# wasm function k (imports first) is __ts2n_f<k>; the .wat lists the defined ones in order.
nimports=$(grep -c '^ (import ' "$b/vmm.wat")
grep -oE '^ \(func \$[^ )]+' "$b/vmm.wat" | awk -v n="$nimports" '{ print "__ts2n_f" (NR - 1 + n), substr($2, 2) }' > "$work/funcs.txt"

addr_of() { # wasm function name -> hex address of its compiled code
  local f; f=$(awk -v n="$1" '$2 == substr(n, 2) { print $1 }' "$work/funcs.txt")
  [ -n "$f" ] || { echo "exit-profile: no function $1 in the .wat" >&2; exit 1; }
  awk -v s="$f" '$3 == s { print $1 }' "$work/syms.txt"
}

size=$(stat -c %s "$work/disk.img")
cat > "$work/bochsrc" <<RC
megs: 128
cpu: model=corei7_skylake_x, count=1, ips=50000000, reset_on_triple_fault=0, ignore_bad_msrs=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
display_library: term
ata0-master: type=disk, path=$work/disk.img, mode=flat, cylinders=$((size / (16 * 63 * 512))), heads=16, spt=63
boot: disk
log: $work/bochs.log
panic: action=fatal
port_e9_hack: enabled=1
com1: enabled=1, mode=file, dev=$work/serial.txt
clock: sync=none, time0=local
RC
{
  n=1
  for k in "${kinds[@]}"; do
    if [ "$k" = iodev ]; then
      # The IN of the bench guest's loop_in_dev: mov dx, 0xE9; in al, dx (bytes 66 BA E9 00 EC).
      off=$(LC_ALL=C grep -obUaP '\x66\xba\xe9\x00\xec' "$b/guests/bench.bin" | head -1 | cut -d: -f1)
      [ -n "$off" ] || { echo "exit-profile: the IN loop is not in bench.bin" >&2; exit 1; }
      printf 'lb 0x%x\n' $((0x8000 + off + 4))
    elif [ "$k" = cpuid ]; then
      # A CPUID cache hit runs no CPUID-specific function (src/vmm/exit-fast.ts): stop at the
      # bench guest's own CPUID instead (a linear breakpoint: the guest's address, TSG_LOAD +
      # its offset in bench.bin, found by its bytes: xor eax,eax; xor ecx,ecx; cpuid).
      off=$(LC_ALL=C grep -obUaP '\x31\xc0\x31\xc9\x0f\xa2' "$b/guests/bench.bin" | head -1 | cut -d: -f1)
      [ -n "$off" ] || { echo "exit-profile: the CPUID loop is not in bench.bin" >&2; exit 1; }
      printf 'lb 0x%x\n' $((0x8000 + off + 4))
    else
      a=$(addr_of "${handler[$k]}")
      echo "pb 0x$a"
    fi
    for ((i = 0; i < skip; i++)); do echo c; done
    echo "d $n"; n=$((n + 1))
    echo "trace on"
    echo "s ${PROFILE_STEPS:-${steps[$k]}}"
    echo "trace off"
  done
  echo quit
} > "$work/rc"
(cd "$work" && TERM=xterm timeout -k 5 "${PROFILE_TIMEOUT:-300}" bochs -q -f bochsrc -rc rc > trace.txt 2>&1 < /dev/null) || true
node_modules/.bin/tsx tools/profile/analyze.ts "$work" "${kinds[@]}"
