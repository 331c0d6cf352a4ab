#!/bin/bash
# mklinuxiso.sh ELF GUEST_DIR OUT.iso — a BIOS GRUB ISO that boots the hypervisor by multiboot2
# with the reference Linux guest as one VM (docs/vm-config.md): the kernel and the initrd are
# multiboot2 modules, the VM's definition is the kernel module's string.
#
# Why a GRUB ISO rather than extending tools/emu/mbr.asm: GRUB is the boot loader the VM
# definition is written for (the same grub.cfg lines work on a real machine and in PXE), it
# loads modules with the multiboot2 information the core already parses, and the cost it adds
# (reading ~15 MB from the emulated CD) is spent before the hypervisor starts, so it does not
# enter the benchmark figures, which count from the VM's first guest instruction.
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
[ -f /usr/lib/grub/i386-pc/multiboot2.mod ] || { echo "mklinuxiso: grub-pc-bin is not installed" >&2; exit 1; }
"$here/../media/check-elf.sh" "$elf"

stage=$(mktemp -d "$(dirname "$out")/.linux-iso.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$elf" "$stage/boot/hypervisor.elf"
cp "$g/vmlinuz" "$stage/boot/vmlinuz"
cp "$g/initrd.img" "$stage/boot/initrd.img"
cat > "$stage/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
terminal_input serial console
terminal_output serial console
set timeout=0
set default=0
menuentry "tshv hypervisor with a Linux VM" {
    multiboot2 /boot/hypervisor.elf
    module2 /boot/vmlinuz linux name=$name mem=$mem -- $cmdline
    module2 /boot/initrd.img initrd
    boot
}
CFG
log=$(mktemp)
if ! grub-mkrescue -d /usr/lib/grub/i386-pc --locales= --fonts= --themes= -o "$out.tmp" "$stage" >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log" "$out.tmp"; echo "mklinuxiso: grub-mkrescue failed" >&2; exit 1
fi
rm -f "$log"
mv "$out.tmp" "$out"
