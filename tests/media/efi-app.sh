#!/bin/bash
# efi-app.sh [CASE...] — build/hypervisor.efi (boot/efi/, tools/media/mkefi.sh) under
# QEMU TCG + OVMF, from a FAT disk image:
#   shell     started by the UEFI shell from startup.nsh, as a user would type it
#   removable installed as \EFI\BOOT\BOOTX64.EFI, the removable-media default path
#             the boot manager tries on its own (UEFI spec §3.5.1.1)
#   occupied  a copy of the image moved to 0xFFF00000 (OVMF's flash, never RAM): the
#             loader must refuse with a message naming the range and return an error
#             status to the shell, which then starts the real hypervisor.efi fine
# The success cases assert the loader's lines, then the image's banner and verdict.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/media/lib.sh
need "$MEDIA_EFI" "the EFI application"
need "$MEDIA_ELF" "the image"

loader_line='^tshv-efi: UEFI loader for the tshv hypervisor'
exit_line='^tshv-efi: exiting boot services; starting the hypervisor at _start64 = 0x'
returned='^tshv-efi returned'

# fat_disk IMG SRC:DEST... — a FAT image big enough for the files.
fat_disk() {
  local img=$1 bytes=0 pair
  shift
  for pair in "$@"; do bytes=$(( bytes + $(stat -c %s "${pair%%:*}") )); done
  tools/media/mkfat.sh "$img" $(( bytes / 1048576 + 4 )) "$@"
}

# startup_nsh FILE EFI...: a shell script that starts each application in turn and
# reports its status (%lasterror%, UEFI Shell spec §3.6), then powers off.
startup_nsh() {
  local out=$1 app
  shift
  {
    printf '@echo -off\r\nfs0:\r\n'
    for app in "$@"; do printf '%s\r\necho "tshv-efi returned %%lasterror%%"\r\n' "$app"; done
    printf 'reset -s\r\n'
  } >"$out"
}

qemu_fat() {
  case_run "$1" "$2" qemu-system-x86_64 $(qemu_args) $(ovmf_args) -net none \
    -drive "if=ide,format=raw,file=$CASE_DIR/fat.img"
}

shell() {
  startup_nsh "$CASE_DIR/startup.nsh" '\hypervisor.efi'
  setup fat_disk "$CASE_DIR/fat.img" "$MEDIA_EFI:/hypervisor.efi" "$CASE_DIR/startup.nsh:/startup.nsh" || return 0
  qemu_fat 90 "$NO_VTX|$returned"
  case_expect "$loader_line" "$exit_line" "$BANNER" "$NO_VTX"
}

removable() {
  setup fat_disk "$CASE_DIR/fat.img" "$MEDIA_EFI:/EFI/BOOT/BOOTX64.EFI" || return 0
  qemu_fat 90 "$NO_VTX"
  case_expect "$loader_line" "$exit_line" "$BANNER" "$NO_VTX"
}

occupied() {
  # objcopy moves every section's VMA and LMA, and with them p_paddr and the
  # symbols, so mkefi.sh reads the moved _start64.
  setup objcopy --change-addresses 0xFFE00000 "$MEDIA_ELF" "$CASE_DIR/moved.elf" || return 0
  setup tools/media/mkefi.sh "$CASE_DIR/moved.elf" "$CASE_DIR/moved.efi" || return 0
  startup_nsh "$CASE_DIR/startup.nsh" '\moved.efi' '\hypervisor.efi'
  setup fat_disk "$CASE_DIR/fat.img" "$CASE_DIR/moved.efi:/moved.efi" \
    "$MEDIA_EFI:/hypervisor.efi" "$CASE_DIR/startup.nsh:/startup.nsh" || return 0
  qemu_fat 120 "$NO_VTX"
  # The shell's %lasterror% shows EFI_NOT_FOUND without the error bit: 0xE.
  case_expect "$loader_line" \
    '^tshv-efi: cannot reserve physical memory 0xFFF00000-0x[0-9A-F]+ for the hypervisor image: AllocatePages\(AllocateAddress\) returned 0x800000000000000E \(EFI_NOT_FOUND\)' \
    '^tshv-efi: the firmware.s memory map has there' \
    '^ +0x[0-9A-F]+-0x[0-9A-F]+ +Efi' \
    "$returned"' 0x(800000000000000)?[Ee]$' \
    "$loader_line" "$exit_line" "$BANNER" "$NO_VTX"
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(shell removable occupied)
for c in "${cases[@]}"; do
  case_begin "efi-$c"
  "$c"
  case_end
done
media_summary "efi"
