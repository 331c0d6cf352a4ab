#!/usr/bin/env bash
# bochs-run.sh -- boot a disk or CD image in Bochs with COM1 going to a file. Every Bochs test and
# `make run EMU=bochs` go through here, so the Bochs facts (DESIGN.md §4) live in one place.
#
# usage: tools/emu/bochs-run.sh [options] (--disk IMG | --cdrom ISO)
#   --disk IMG      raw hard-disk image booted through its MBR (e.g. tools/emu/mkdisk.sh output);
#                   its size must be whole cylinders of 16 heads x 63 sectors
#   --cdrom ISO     El Torito CD image (e.g. from grub-mkrescue)
#   --cpu MODEL     Bochs CPU model (`bochs --help cpu`), default corei7_skylake_x
#   --cpus N        CPU count, default 1
#   --mem MIB       RAM in MiB, default 128
#   --timeout S     wall-clock limit in seconds, default 60
#   --serial FILE   COM1 output file, default WORKDIR/serial.txt
#   --until REGEX   stop Bochs as soon as the serial output matches this extended regex
#   --extra LINE    one more bochsrc line, repeatable (e.g. --extra 'cpuid: x2apic=1')
#   --workdir DIR   bochsrc, bochs.log and Bochs' stdout go here, default a new /tmp/bochs-run.*
#   --follow        copy the serial output to stdout as it arrives (interactive runs)
#
# exit status: 0 when --until matched, or (without --until) when Bochs stopped by itself;
#              1 when Bochs stopped by itself before --until matched; 124 on timeout; 2 bad usage.
# Bochs' own exit code says nothing useful (writing "Shutdown" to port 0x8900 exits with 1), so
# callers judge a run by what the serial file holds.
#
# Bochs facts handled here:
#  - `-rc` with the command `c`: otherwise Bochs waits at its debugger prompt.
#  - Bochs ignores SIGTERM: the limit is `timeout -s KILL`, and an early stop is SIGKILL too.
#  - The CPU halting (HLT with IF=0) does not end Bochs: --until is how a run ends early.
#  - A killed Bochs leaves IMG.lock beside a disk image and the next run refuses the disk. The
#    disk is reached through a symlink in the private WORKDIR, so the lock lands there: runs of
#    one image in parallel do not collide and a stale lock only ever belongs to this WORKDIR.
#  - com1 `mode=file` creates the file at the first byte; it is written through, so polling works.
#  - `ignore_bad_msrs=0`: RDMSR of an unknown MSR raises #GP as on hardware (Bochs' default
#    ignores it, which would hide bugs in code that probes MSRs).
#  - `display_library: term` is the only display this Debian build has without X (no nogui); it
#    draws the VGA screen with ncurses into bochs.out, and hangs when TERM is unset (as under CI),
#    so Bochs always runs with TERM=xterm (terminfo from ncurses-base).
#  - `panic: action=fatal`: a Bochs panic (e.g. triple fault with reset_on_triple_fault=0) ends
#    the run instead of asking on a terminal nobody reads.
set -euo pipefail

usage() { sed -n '/^# usage:/,/^# exit status/p' "$0" >&2; exit 2; }

kind= image= cpu=corei7_skylake_x cpus=1 mem=128 limit=60 serial= until= workdir= follow=0
extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --disk)    kind=disk;  image=${2:?}; shift 2 ;;
    --cdrom)   kind=cdrom; image=${2:?}; shift 2 ;;
    --cpu)     cpu=${2:?}; shift 2 ;;
    --cpus)    cpus=${2:?}; shift 2 ;;
    --mem)     mem=${2:?}; shift 2 ;;
    --timeout) limit=${2:?}; shift 2 ;;
    --serial)  serial=${2:?}; shift 2 ;;
    --until)   until=${2:?}; shift 2 ;;
    --extra)   extra+=("${2:?}"); shift 2 ;;
    --workdir) workdir=${2:?}; shift 2 ;;
    --follow)  follow=1; shift ;;
    *) usage ;;
  esac
done
[ -n "$kind" ] || usage
[ -f "$image" ] || { echo "bochs-run: no such image: $image" >&2; exit 2; }
command -v bochs >/dev/null || { echo "bochs-run: bochs is not installed (make deps)" >&2; exit 2; }

if [ -z "$workdir" ]; then workdir=$(mktemp -d "${TMPDIR:-/tmp}/bochs-run.XXXXXX"); fi
mkdir -p "$workdir"
workdir=$(cd "$workdir" && pwd)
[ -n "$serial" ] || serial=$workdir/serial.txt
mkdir -p "$(dirname "$serial")"
serial=$(cd "$(dirname "$serial")" && pwd)/$(basename "$serial")
rm -f "$serial" "$workdir"/*.lock

if [ "$kind" = disk ]; then
  size=$(stat -L -c %s "$image")
  cyl_bytes=$(( 16 * 63 * 512 ))
  if [ $(( size % cyl_bytes )) -ne 0 ]; then
    echo "bochs-run: $image is $size bytes, not whole cylinders of $cyl_bytes" >&2; exit 2
  fi
  ln -sfn "$(readlink -f "$image")" "$workdir/disk.img"
  drive="ata0-master: type=disk, path=$workdir/disk.img, mode=flat, cylinders=$(( size / cyl_bytes )), heads=16, spt=63"
else
  drive="ata0-master: type=cdrom, path=$(readlink -f "$image"), status=inserted"
fi

{
  echo "megs: $mem"
  echo "cpu: model=$cpu, count=$cpus, ips=50000000, reset_on_triple_fault=0, ignore_bad_msrs=0"
  echo "romimage: file=/usr/share/bochs/BIOS-bochs-latest"
  echo "vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest"
  echo "display_library: term"
  echo "$drive"
  echo "boot: $kind"
  echo "log: $workdir/bochs.log"
  echo "panic: action=fatal"
  echo "port_e9_hack: enabled=1"
  echo "com1: enabled=1, mode=file, dev=$serial"
  echo "clock: sync=none, time0=local"
  for line in "${extra[@]}"; do echo "$line"; done
} > "$workdir/bochsrc"
echo c > "$workdir/rc"

# Bochs runs in the background under a KILL deadline; this shell polls the serial file.
# The subshell (not exec'd) outlives the killed Bochs and exits normally with timeout's status,
# which keeps bash from reporting "Killed" jobs; process tree: $pid -> timeout -> bochs.
rm -f "$workdir/bochs.rc"
(cd "$workdir" && { TERM=xterm timeout -s KILL "$limit" bochs -q -f bochsrc -rc rc; echo $? > bochs.rc; }) \
  > "$workdir/bochs.out" 2>&1 < /dev/null &
pid=$!
stop() {
  local t
  for t in $(pgrep -P "$pid" 2>/dev/null); do
    kill -KILL $(pgrep -P "$t" 2>/dev/null) 2>/dev/null || true
  done
  wait "$pid" 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

. "$(dirname "${BASH_SOURCE[0]}")/serial-watch.sh"   # matched, show_new
status=
while kill -0 "$pid" 2>/dev/null; do
  show_new
  if matched; then
    status=0; break
  fi
  sleep 0.2
done
if [ -z "$status" ]; then
  wait "$pid" 2>/dev/null || true
  rc=$(cat "$workdir/bochs.rc" 2>/dev/null || echo 137)
  if matched; then
    status=0
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    status=124; echo "bochs-run: timed out after ${limit}s" >&2
  elif [ -n "$until" ]; then
    status=1; echo "bochs-run: Bochs stopped before the serial output matched /$until/" >&2
  else
    status=0
  fi
fi
stop
trap - EXIT
show_new
grep -a -E "PANIC|FATAL" "$workdir/bochs.log" 2>/dev/null | head -5 >&2 || true
exit "$status"
