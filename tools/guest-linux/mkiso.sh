#!/bin/bash
# A BIOS-bootable GRUB ISO that boots the reference guest with GRUB's `linux`/`initrd` commands
# (the Linux boot protocol, as a bootloader on real hardware would). Used for bare Bochs, which
# has no direct kernel loading.
#   usage: mkiso.sh GUEST_DIR CMDLINE OUT.iso
set -eo pipefail
[ $# = 3 ] || { echo "usage: $0 GUEST_DIR CMDLINE OUT.iso" >&2; exit 2; }
G=$1 CMDLINE=$2 OUT=$3
TREE=$OUT.tree
rm -rf "$TREE"
mkdir -p "$TREE/boot/grub"
cp "$G/vmlinuz" "$G/initrd.img" "$TREE/boot/"
# timeout=0: no menu wait, so the instruction count does not include a countdown.
cat > "$TREE/boot/grub/grub.cfg" <<CFG
set timeout=0
set default=0
menuentry "tshv reference guest" {
  linux /boot/vmlinuz $CMDLINE
  initrd /boot/initrd.img
}
CFG
# Only the BIOS (i386-pc) platform: Bochs boots the El Torito image through its BIOS. xorriso is
# chatty on stderr even on success; its output is kept and shown only on failure.
if ! log=$(grub-mkrescue -d /usr/lib/grub/i386-pc -o "$OUT" "$TREE" 2>&1); then
  echo "$log" >&2; echo "mkiso: grub-mkrescue failed" >&2; exit 1
fi
