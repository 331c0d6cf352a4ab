#!/bin/bash
# mkfat.sh IMG SIZE_MIB SRC:DEST... — a FAT file system image (no partition table,
# the whole image is the volume) holding each SRC at the path DEST, built with mtools
# (no loop mounts, no root). UEFI firmware reads FAT12/16/32 volumes (UEFI spec §13.3)
# and treats a disk without a partition table as one volume, as OVMF does; the tests
# use it to hand the firmware \hypervisor.efi, startup.nsh or \EFI\BOOT\BOOTX64.EFI.
set -euo pipefail
img=${1:?usage: mkfat.sh IMG SIZE_MIB SRC:DEST...}
mib=${2:?usage: mkfat.sh IMG SIZE_MIB SRC:DEST...}
shift 2

rm -f "$img"
truncate -s "${mib}M" "$img"
# Geometry only has to multiply out to the size: 32 heads x 32 sectors = 512 KiB a track.
mformat -i "$img" -t $(( mib * 2 )) -h 32 -s 32 -v TSHV ::
for pair in "$@"; do
  src=${pair%%:*}
  dest=${pair#*:}
  dir=$(dirname "$dest")
  # Create each parent directory in turn (mmd -D s: leave existing ones alone).
  path=
  IFS=/ read -ra parts <<<"${dir#/}"
  for part in "${parts[@]}"; do
    [ -n "$part" ] || continue
    path="$path/$part"
    mmd -i "$img" -D s "::$path" 2>/dev/null || mdir -i "$img" "::$path" >/dev/null
  done
  mcopy -i "$img" -o "$src" "::$dest"
done
