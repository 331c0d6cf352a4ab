# lib.sh -- shared by test-vmx.sh and bench-exits.sh: boot the hypervisor disk in Bochs with the
# test guests linked in and stop as soon as the serial console shows what the caller waits for.
#
# The run cannot end by itself: the spin guest never exits, so the hypervisor always has a VM to
# run. tools/emu/bochs-run.sh's --until takes one line pattern, and here a set of lines must all
# have appeared (in any order), so bochs-run runs in the background without --until and this
# shell polls the serial file; when done it stops bochs-run with SIGTERM, on which bochs-run kills
# its Bochs (its EXIT trap; Bochs itself ignores SIGTERM, DESIGN.md §4).

# Lines that end a run at once: the hypervisor (or the emulator) is broken, waiting is pointless.
VMX_FATAL='^TRAP: |EXCEPTION: |^PANIC|^boot: CPU [0-9]+ halted'

# serial_lines FILE: the complete lines so far (a line still being printed does not count), CR
# stripped
serial_lines() {
  local n
  # the file appears at Bochs' first byte (and bochs-run deletes a stale one first): absent = empty
  n=$( { wc -l < "$1"; } 2>/dev/null ) || return 0
  head -n "$n" "$1" 2>/dev/null | tr -d '\r'
}

# boot_guests DISK WORKDIR SERIAL TIMEOUT REGEX...: boot, wait until every REGEX matches a line of
# the serial output (extended regexes). Status: 0 all seen; 3 a VMX_FATAL line appeared; 1 Bochs
# stopped first; 124 TIMEOUT seconds passed. Prints how long it ran.
boot_guests() {
  local disk=$1 workdir=$2 serial=$3 limit=$4; shift 4
  local root; root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  local start=${EPOCHREALTIME/./} status= pid re all
  # a serial file left by an earlier run must not be read as this run's output
  rm -rf "$workdir" "$serial"; mkdir -p "$workdir"
  # a private copy: a rebuild of the shared build/ tree during the run must not pull the disk away
  cp "$disk" "$workdir/hypervisor.disk" || return 1
  disk=$workdir/hypervisor.disk
  # --timeout a little over ours: our own deadline below decides, bochs-run's is the backstop
  "$root/tools/emu/bochs-run.sh" --disk "$disk" --cpu corei7_skylake_x --cpus 1 --mem 128 \
    --timeout $((limit + 10)) --workdir "$workdir" --serial "$serial" > "$workdir/bochs-run.out" 2>&1 &
  pid=$!
  while :; do
    if serial_lines "$serial" | grep -aEq -- "$VMX_FATAL"; then status=3; break; fi
    all=1
    for re in "$@"; do
      if ! serial_lines "$serial" | grep -aEq -- "$re"; then all=0; break; fi
    done
    if [ "$all" = 1 ]; then status=0; break; fi
    if ! kill -0 "$pid" 2>/dev/null; then status=1; break; fi
    if [ $(( (${EPOCHREALTIME/./} - start) / 1000000 )) -ge "$limit" ]; then status=124; break; fi
    sleep 0.5
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local us=$(( ${EPOCHREALTIME/./} - start ))
  printf 'bochs: ran %d.%03ds, ' $((us / 1000000)) $((us / 1000 % 1000))
  case $status in
    0) echo "every awaited line appeared" ;;
    3) echo "stopped on a fatal line: $(serial_lines "$serial" | grep -aE -- "$VMX_FATAL" | head -1)" ;;
    1) echo "Bochs stopped before every awaited line appeared ($(tail -2 "$workdir/bochs-run.out" | tr '\n' ' '))" ;;
    124) echo "timed out after ${limit}s before every awaited line appeared" ;;
  esac
  return "$status"
}
