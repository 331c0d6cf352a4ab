# lib.sh — sourced by the boot media tests: run one emulator per case, watch its
# serial output, assert on the lines it printed. Every case records PASS/FAIL with
# its boot time; media_summary fails the script if any case failed.
#
# Artifacts come from the build (make iso pxe efi); the variables let one run the
# cases against other builds of the same media.
MEDIA_ELF=${MEDIA_ELF:-build/hypervisor.elf}
MEDIA_ISO=${MEDIA_ISO:-build/hypervisor.iso}
MEDIA_PXE=${MEDIA_PXE:-build/pxe}
MEDIA_EFI=${MEDIA_EFI:-build/hypervisor.efi}
MEDIA_TEST_DIR=${MEDIA_TEST_DIR:-build/media-test}

OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}

# The image's two lines (tests assert both, in this order): its banner, then the
# VT-x verdict. QEMU TCG has no VT-x; Bochs' corei7_skylake_x has it.
BANNER='^tshv '
NO_VTX='^VT-x: not available'
HAS_VTX='^VT-x: supported'

SERIAL_LIMIT=$(( 1024 * 1024 ))

media_failures=0
media_cases=()

# qemu_args: what every QEMU case shares. TCG (the tests must not depend on KVM),
# no display, no reboot loop after a triple fault, the isa-debug-exit device through
# which the image ends the run after its verdict, serial to the case's log.
qemu_args() {
  echo -accel tcg -m 256 -display none -no-reboot -monitor none \
       -device isa-debug-exit,iobase=0xf4,iosize=0x04 -serial "file:$SERIAL"
}

# ovmf_args: UEFI firmware; each case gets a fresh copy of the variable store, so no
# boot entry or setting from an earlier run leaks into it.
ovmf_args() {
  cp "$OVMF_VARS" "$CASE_DIR/OVMF_VARS.fd"
  echo -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
       -drive "if=pflash,format=raw,unit=1,file=$CASE_DIR/OVMF_VARS.fd"
}

# case_begin NAME: a clean directory for the case; sets CASE, CASE_DIR, SERIAL.
case_begin() {
  CASE=$1
  CASE_DIR=$MEDIA_TEST_DIR/$CASE
  SERIAL=$CASE_DIR/serial.txt
  rm -rf "$CASE_DIR"
  mkdir -p "$CASE_DIR"
  case_ok=1
  case_why=
  case_secs=0
}

# case_run TIMEOUT STOP_REGEX CMD... — runs the emulator and stops it as soon as a
# serial line matches STOP_REGEX (the image keeps running after its verdict under
# Bochs; QEMU usually exits by itself through isa-debug-exit), when it exits, or after
# TIMEOUT seconds. SIGKILL, because Bochs ignores SIGTERM. Sets case_secs.
case_run() {
  local limit=$1 stop=$2
  shift 2
  local start now
  start=$(date +%s%N)
  "$@" >"$CASE_DIR/emulator.log" 2>&1 </dev/null &
  local pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    if [ -f "$SERIAL" ] && serial_text | grep -aE "$stop" >/dev/null; then
      break
    fi
    # An image printing garbage without end would otherwise fill the disk until the
    # time limit; a boot prints a few KiB.
    if [ -f "$SERIAL" ] && [ "$(stat -c %s "$SERIAL")" -gt "$SERIAL_LIMIT" ]; then
      case_fail "runaway serial output (over $SERIAL_LIMIT bytes) before '$stop'"
      break
    fi
    now=$(date +%s%N)
    if (( (now - start) / 1000000000 >= limit )); then
      case_fail "no '$stop' on serial within ${limit}s"
      break
    fi
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  now=$(date +%s%N)
  case_secs=$(( (now - start) / 10000000 ))
  case_secs="$(( case_secs / 100 )).$(printf '%02d' $(( case_secs % 100 )))"
}

# serial_text: the case's serial log as plain lines (no CR, no ANSI escape sequences,
# which OVMF's terminal driver and GRUB write).
serial_text() {
  tr -d '\r' <"$SERIAL" 2>/dev/null | sed -e 's/\x1b\[[0-9;?=]*[A-Za-z]//g'
}

# case_expect REGEX... — each REGEX must match a serial line after the line the
# previous one matched.
case_expect() {
  local from=0 line regex
  for regex in "$@"; do
    line=$(serial_text | tail -n +$(( from + 1 )) | grep -anE -m1 "$regex" | cut -d: -f1 || true)
    if [ -z "$line" ]; then
      case_fail "expected a serial line matching '$regex'$([ "$from" -gt 0 ] && echo " after line $from")"
      return
    fi
    from=$(( from + line ))
  done
}

# setup CMD... — a step that prepares a case (disk image, build); its failure fails
# the case with the command's output, instead of ending the script under set -e.
# Use as: setup cmd args || return 0
setup() {
  local out
  if ! out=$("$@" 2>&1); then
    case_fail "setup step failed: $*: $(tail -n 3 <<<"$out")"
    return 1
  fi
}

case_fail() {
  if [ "$case_ok" = 1 ]; then case_why=$1; fi
  case_ok=0
}

# case_end: report; on failure show what the emulator printed.
case_end() {
  media_cases+=("$CASE")
  if [ "$case_ok" = 1 ]; then
    echo "PASS  $CASE (${case_secs}s)"
    return
  fi
  media_failures=$(( media_failures + 1 ))
  echo "FAIL  $CASE (${case_secs}s): $case_why"
  echo "----- last serial lines ($SERIAL), cut to 200 columns:"
  serial_text | tail -n 25 | cut -c1-200
  if [ -s "$CASE_DIR/emulator.log" ]; then
    echo "----- emulator output ($CASE_DIR/emulator.log):"
    tail -n 10 "$CASE_DIR/emulator.log"
  fi
  echo "-----"
}

# need FILE WHAT: an input the cases cannot run without is a failure, not a skip.
need() {
  if [ ! -e "$1" ]; then
    echo "FAIL  missing $2: $1 (build it with make iso pxe efi)" >&2
    exit 1
  fi
}

media_summary() {
  if [ "$media_failures" -gt 0 ]; then
    echo "$1: $media_failures of ${#media_cases[@]} cases failed"
    exit 1
  fi
  echo "$1: all ${#media_cases[@]} cases passed"
}

# case_reject REGEX — no serial line may match REGEX.
case_reject() {
  if serial_text | grep -aE "$1" >/dev/null; then
    case_fail "unexpected serial line matching '$1'"
  fi
}
