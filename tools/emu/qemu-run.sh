#!/usr/bin/env bash
# qemu-run.sh -- boot an image in QEMU (TCG by default) with COM1 going to a file and the
# isa-debug-exit device at port 0xf4, so the image can end the run with an exit status.
#
# usage: tools/emu/qemu-run.sh [options] (--kernel ELF | --cdrom ISO | --disk IMG)
#   --kernel ELF    -kernel: QEMU's multiboot1 loader (needs the address-fields header, flag 16)
#   --cdrom ISO     boot from a CD image
#   --disk IMG      boot from a raw disk image
#   --mem MIB       RAM in MiB, default 128
#   --cpus N        CPU count, default 1
#   --accel A       tcg (default) or kvm
#   --timeout S     wall-clock limit in seconds, default 60
#   --serial FILE   COM1 output file, default WORKDIR/serial.txt
#   --until REGEX   stop QEMU as soon as the serial output matches this extended regex
#   --extra ARG     one more QEMU argument, repeatable (e.g. --extra -bios --extra OVMF.fd)
#   --workdir DIR   QEMU's stdout/stderr go to DIR/qemu.out, default a new /tmp/qemu-run.*
#   --follow        copy the serial output to stdout as it arrives (interactive runs)
#
# exit status: QEMU's own. A write of V to port 0xf4 makes QEMU exit with (V << 1) | 1, so an
# image reports success/failure codes that cannot be confused with QEMU's 0 (clean quit) or 1
# (error). 0 when --until matched; 124 on timeout; 2 bad usage. The status is also printed on
# stderr as "qemu-run: exit N".
set -euo pipefail

usage() { sed -n '/^# usage:/,/^# exit status/p' "$0" >&2; exit 2; }

boot=() mem=128 cpus=1 accel=tcg limit=60 serial= until= workdir= follow=0
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --kernel)  boot=(-kernel "${2:?}"); image=$2; shift 2 ;;
    --cdrom)   boot=(-cdrom "${2:?}"); image=$2; shift 2 ;;
    --disk)    boot=(-drive "file=${2:?},format=raw,if=ide"); image=$2; shift 2 ;;
    --mem)     mem=${2:?}; shift 2 ;;
    --cpus)    cpus=${2:?}; shift 2 ;;
    --accel)   accel=${2:?}; shift 2 ;;
    --timeout) limit=${2:?}; shift 2 ;;
    --serial)  serial=${2:?}; shift 2 ;;
    --until)   until=${2:?}; shift 2 ;;
    --extra)   extra+=("${2:?}"); shift 2 ;;
    --workdir) workdir=${2:?}; shift 2 ;;
    --follow)  follow=1; shift ;;
    *) usage ;;
  esac
done
[ ${#boot[@]} -gt 0 ] || usage
[ -f "$image" ] || { echo "qemu-run: no such image: $image" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-run: qemu-system-x86_64 is not installed (make deps)" >&2; exit 2; }

if [ -z "$workdir" ]; then workdir=$(mktemp -d "${TMPDIR:-/tmp}/qemu-run.XXXXXX"); fi
mkdir -p "$workdir"
[ -n "$serial" ] || serial=$workdir/serial.txt
mkdir -p "$(dirname "$serial")"
rm -f "$serial"
: > "$serial"

# -nodefaults: no default NIC/VGA/drives, only what the run names; -no-reboot: a triple fault
# ends the run instead of rebooting into the same failure.
timeout -k 5 "$limit" qemu-system-x86_64 -accel "$accel" -m "$mem" -smp "$cpus" \
  -nodefaults -display none -no-reboot \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
  -serial "file:$serial" "${boot[@]}" "${extra[@]}" \
  > "$workdir/qemu.out" 2>&1 < /dev/null &
pid=$!
stop() {
  kill "$pid" 2>/dev/null || true          # timeout passes SIGTERM on; QEMU honours it
  wait "$pid" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

. "$(dirname "${BASH_SOURCE[0]}")/serial-watch.sh"   # matched, show_new
status= stopped_on_match=
while kill -0 "$pid" 2>/dev/null; do
  show_new
  if matched; then
    status=0 stopped_on_match=1; break
  fi
  sleep 0.1
done
if [ -z "$status" ]; then
  status=0; wait "$pid" 2>/dev/null || status=$?
  if [ "$status" = 124 ]; then echo "qemu-run: timed out after ${limit}s" >&2; fi
fi
stop
trap - EXIT
show_new
if [ -n "$stopped_on_match" ]; then
  echo "qemu-run: serial output matched /$until/: QEMU stopped" >&2
else
  grep -v '^$' "$workdir/qemu.out" | head -5 >&2 || true
  echo "qemu-run: exit $status" >&2
fi
exit "$status"
