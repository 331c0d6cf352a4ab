#!/usr/bin/env bash
# mkdisk.sh ELF DISK -- a raw disk image that boots ELF through tools/emu/mbr.asm:
#   LBA 0 the boot sector, LBA 1.. the ELF file unchanged, zero padding to whole cylinders of the
#   16-head / 63-sector geometry tools/emu/bochs-run.sh declares (Bochs wants cylinders*heads*spt
#   sectors exactly, and the boot sector's last 32 KiB read must stay inside the disk).
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 ELF DISK" >&2; exit 2; fi
elf=$1 disk=$2
here=$(cd "$(dirname "$0")" && pwd)
size=$(stat -c %s "$elf")
chunks=$(( (size + 32767) / 32768 ))
if [ "$chunks" -gt 65535 ]; then echo "mkdisk: $elf is too large for the boot sector" >&2; exit 1; fi
cyl_bytes=$(( 16 * 63 * 512 ))
cylinders=$(( (512 + chunks * 32768 + cyl_bytes - 1) / cyl_bytes ))
mbr=$(mktemp "${disk}.mbr.XXXXXX")
trap 'rm -f "$mbr"' EXIT
nasm -f bin -DCHUNKS="$chunks" -o "$mbr" "$here/mbr.asm"
cat "$mbr" "$elf" > "$disk.tmp"
truncate -s $(( cylinders * cyl_bytes )) "$disk.tmp"
mv "$disk.tmp" "$disk"
