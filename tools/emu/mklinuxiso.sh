#!/bin/bash
# mklinuxiso.sh ELF GUEST_DIR OUT.iso — a BIOS GRUB ISO (tools/emu/mkgrubiso.sh) that boots the
# hypervisor by multiboot2 with the reference Linux guest as one VM (docs/vm-config.md): the
# kernel and the initrd are multiboot2 modules, the VM's definition is the kernel module's string:
#
#     module2 /boot/vmlinuz linux name=$name mem=$mem -- $cmdline
#     module2 /boot/initrd.img initrd
#
# env: LINUX_VM_MEM (MiB, default 256), LINUX_VM_NAME (default linux),
#      LINUX_VM_CMDLINE (default: GUEST_DIR/cmdline)
set -euo pipefail
[ $# = 3 ] || { echo "usage: $0 ELF GUEST_DIR OUT.iso" >&2; exit 2; }
elf=$1 g=$2 out=$3
here=$(cd "$(dirname "$0")" && pwd)
mem=${LINUX_VM_MEM:-256}
name=${LINUX_VM_NAME:-linux}
cmdline=${LINUX_VM_CMDLINE:-$(cat "$g/cmdline")}
exec "$here/mkgrubiso.sh" "$out" "tshv hypervisor with a Linux VM" "$elf" \
  "$g/vmlinuz" "linux name=$name mem=$mem -- $cmdline" \
  "$g/initrd.img" "initrd"
