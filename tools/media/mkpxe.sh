#!/bin/bash
# mkpxe.sh ELF OUTDIR — a TFTP root that a standard PXE setup serves as is.
#
#   OUTDIR/boot/grub/i386-pc/core.0       network boot program for BIOS PXE clients
#   OUTDIR/boot/grub/x86_64-efi/core.efi  network boot program for UEFI PXE clients
#   OUTDIR/boot/grub/{i386-pc,x86_64-efi}/*.mod  modules GRUB fetches over TFTP
#   OUTDIR/boot/grub/grub.cfg             our configuration (tools/media/grub.cfg)
#   OUTDIR/boot/hypervisor.elf            the image, loaded over TFTP by multiboot2
#
# grub-mknetdir builds both core images with prefix (tftp)/boot/grub and a per-platform
# grub.cfg that sources boot/grub/grub.cfg from the TFTP server the client booted from,
# so the tree needs no server address and can be copied to any TFTP root.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
elf=${1:?usage: mkpxe.sh ELF OUTDIR}
out=${2:?usage: mkpxe.sh ELF OUTDIR}

for platform in i386-pc x86_64-efi; do
  if [ ! -f "/usr/lib/grub/$platform/multiboot2.mod" ]; then
    echo "mkpxe: GRUB platform $platform is not installed (/usr/lib/grub/$platform)" >&2
    echo "mkpxe: install grub-pc-bin and grub-efi-amd64-bin (make deps)" >&2
    exit 1
  fi
done
"$here/check-elf.sh" "$elf"

# Build next to OUTDIR and swap it in, so a failed build never leaves a half tree
# that a TFTP server would serve.
stage="$out.tmp"
rm -rf "$stage"
log=$(mktemp)
if ! grub-mknetdir --net-directory="$stage" --subdir=boot/grub \
       --locales= --fonts= --themes= >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"
  echo "mkpxe: grub-mknetdir failed" >&2
  exit 1
fi
rm -f "$log"
for f in boot/grub/i386-pc/core.0 boot/grub/x86_64-efi/core.efi; do
  [ -s "$stage/$f" ] || { echo "mkpxe: grub-mknetdir did not produce $f" >&2; exit 1; }
done
cp "$here/grub.cfg" "$stage/boot/grub/grub.cfg"
cp "$elf" "$stage/boot/hypervisor.elf"
rm -rf "$out"
mv "$stage" "$out"
echo "mkpxe: $out (BIOS: boot/grub/i386-pc/core.0, UEFI: boot/grub/x86_64-efi/core.efi)"
