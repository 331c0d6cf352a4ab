#!/bin/bash
# mkiso.sh ELF OUT.iso — a hybrid GRUB rescue image that boots the hypervisor by
# multiboot2 as a CD (El Torito) and as a raw disk / USB stick (MBR + GPT), under
# BIOS (i386-pc) and under UEFI (x86_64-efi).
#
# grub-mkrescue does the hybrid layout through xorriso: an El Torito boot record
# for BIOS (cdboot.img) and one for UEFI (a FAT "efi.img" holding
# \EFI\BOOT\BOOTX64.EFI), an isohybrid MBR (boot_hybrid.img) so a BIOS boots the
# same bytes from a disk, and a partition table entry for the EFI image so UEFI
# firmware finds an EFI system partition on a disk. It includes a platform only
# if its modules are installed, so check both are there instead of silently
# producing a BIOS-only image.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
elf=${1:?usage: mkiso.sh ELF OUT.iso}
out=${2:?usage: mkiso.sh ELF OUT.iso}

for platform in i386-pc x86_64-efi; do
  if [ ! -f "/usr/lib/grub/$platform/multiboot2.mod" ]; then
    echo "mkiso: GRUB platform $platform is not installed (/usr/lib/grub/$platform)" >&2
    echo "mkiso: install grub-pc-bin and grub-efi-amd64-bin (make deps)" >&2
    exit 1
  fi
done
"$here/check-elf.sh" "$elf"

stage=$(mktemp -d "${out%/*}/.iso-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$elf" "$stage/boot/hypervisor.elf"
cp "$here/grub.cfg" "$stage/boot/grub/grub.cfg"

# No translations, fonts or themes: the menu is never shown (timeout 0) and the
# console is serial; this keeps the image small and the build quick.
log=$(mktemp)
if ! grub-mkrescue --locales= --fonts= --themes= -o "$out.tmp" "$stage" >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log" "$out.tmp"
  echo "mkiso: grub-mkrescue failed" >&2
  exit 1
fi
rm -f "$log"
mv "$out.tmp" "$out"
echo "mkiso: $out ($(( $(stat -c %s "$out") / 1024 )) KiB)"
