#!/bin/bash
# iso.sh [CASE...] — build/hypervisor.iso (tools/media/mkiso.sh) boots the hypervisor
# under QEMU TCG as a CD and as a USB stick, with BIOS (SeaBIOS) and UEFI (OVMF).
# Each case asserts GRUB's loading line (tools/media/grub.cfg), then the image's
# banner and its VT-x verdict, on serial.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/media/lib.sh
need "$MEDIA_ISO" "the ISO"

grub_line='^Loading the tshv hypervisor'

# CD: El Torito, BIOS boot record (GRUB's cdboot.img).
cd_bios() {
  case_run 60 "$NO_VTX" qemu-system-x86_64 $(qemu_args) -net none -cdrom "$MEDIA_ISO"
  case_expect "$grub_line" "$BANNER" "$NO_VTX"
}

# CD: El Torito, UEFI boot record (the FAT image with \EFI\BOOT\BOOTX64.EFI).
cd_uefi() {
  case_run 90 "$NO_VTX" qemu-system-x86_64 $(qemu_args) $(ovmf_args) -net none -cdrom "$MEDIA_ISO"
  case_expect "$grub_line" "$BANNER" "$NO_VTX"
}

# USB stick: the same bytes as a raw disk behind an xHCI controller. BIOS boots the
# isohybrid MBR; the stick is the only boot device.
usb_args() {
  echo -net none -device qemu-xhci,id=xhci \
       -drive "if=none,id=stick,format=raw,readonly=on,file=$MEDIA_ISO" \
       -device usb-storage,bus=xhci.0,drive=stick,bootindex=1
}
usb_bios() {
  case_run 60 "$NO_VTX" qemu-system-x86_64 $(qemu_args) $(usb_args)
  case_expect "$grub_line" "$BANNER" "$NO_VTX"
}

# USB stick under UEFI: the firmware finds the EFI system partition in the
# image's partition table and starts its \EFI\BOOT\BOOTX64.EFI.
usb_uefi() {
  case_run 90 "$NO_VTX" qemu-system-x86_64 $(qemu_args) $(ovmf_args) $(usb_args)
  case_expect "$grub_line" "$BANNER" "$NO_VTX"
}

cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(cd_bios usb_bios cd_uefi usb_uefi)
for c in "${cases[@]}"; do
  case_begin "iso-${c//_/-}"
  "$c"
  case_end
done
media_summary "iso"
