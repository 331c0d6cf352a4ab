#!/bin/bash
# pxe.sh [CASE...] — build/pxe (tools/media/mkpxe.sh) served as is by QEMU's user-mode
# network stack (its built-in DHCP + TFTP server, like dnsmasq with enable-tftp) boots
# the hypervisor: BIOS PXE (SeaBIOS + the e1000's iPXE ROM) fetches
# boot/grub/i386-pc/core.0, UEFI PXE (OVMF's network stack on the same NIC) fetches
# boot/grub/x86_64-efi/core.efi; GRUB then loads boot/grub/grub.cfg and
# boot/hypervisor.elf over TFTP. Asserts GRUB's loading line, the banner and the verdict.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/media/lib.sh
need "$MEDIA_PXE/boot/grub/i386-pc/core.0" "the PXE tree"
need "$MEDIA_PXE/boot/grub/x86_64-efi/core.efi" "the PXE tree"
need "$MEDIA_PXE/boot/hypervisor.elf" "the PXE tree"

grub_line='^Loading the tshv hypervisor'

# net_args BOOTFILE: a NIC on user networking whose DHCP offers BOOTFILE from the tree.
net_args() {
  echo -netdev "user,id=net0,tftp=$MEDIA_PXE,bootfile=$1" -device e1000,netdev=net0,bootindex=1
}

bios() {
  case_run 90 "$NO_VTX" qemu-system-x86_64 $(qemu_args) $(net_args boot/grub/i386-pc/core.0) -boot n
  case_expect "$grub_line" "$BANNER" "$NO_VTX"
}

uefi() {
  case_run 120 "$NO_VTX" qemu-system-x86_64 $(qemu_args) $(ovmf_args) $(net_args boot/grub/x86_64-efi/core.efi)
  case_expect "$grub_line" "$BANNER" "$NO_VTX"
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(bios uefi)
for c in "${cases[@]}"; do
  case_begin "pxe-$c"
  "$c"
  case_end
done
media_summary "pxe"
