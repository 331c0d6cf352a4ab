#!/bin/bash
# mkgrubiso.sh OUT.iso TITLE ELF [FILE STRING]... — a BIOS GRUB ISO whose one menu entry boots
# the hypervisor ELF by multiboot2 and hands it each FILE as a multiboot2 module (`module2`,
# multiboot2 spec §3.6.6) with STRING as the module's string: the VM definitions of
# docs/vm-config.md (`linux …`, `initrd`, `multiboot …`, `module -- …`). Files go to /boot/ under
# their own names (which must differ); the serial console is COM1, 115200 8N1; no menu delay.
#
# Why a GRUB ISO rather than extending tools/emu/mbr.asm: GRUB is the boot loader the VM
# definitions are written for (the same grub.cfg lines work on a real machine and in PXE), it
# loads modules with the multiboot2 information the core already parses, and the time it takes
# to read the modules from the emulated CD is spent before the hypervisor starts.
#
# A STRING goes into grub.cfg verbatim after the file's path, so it may hold only characters
# GRUB's script parser takes literally: the script refuses the others (quotes, `$`, `\`, `;`,
# `&`, `|`, `<`, `>`, `{`, `}`, `#`, newlines).
set -euo pipefail
[ $# -ge 3 ] && [ $(( ($# - 3) % 2 )) = 0 ] || { echo "usage: $0 OUT.iso TITLE ELF [FILE STRING]..." >&2; exit 2; }
out=$1 title=$2 elf=$3
shift 3
here=$(cd "$(dirname "$0")" && pwd)
die() { echo "mkgrubiso: $*" >&2; exit 1; }
[ -f /usr/lib/grub/i386-pc/multiboot2.mod ] || die "grub-pc-bin is not installed"
"$here/../media/check-elf.sh" "$elf"
case $title in *[\"\$\\]*) die "menu title must not contain \", \$ or \\: $title" ;; esac

stage=$(mktemp -d "$(dirname "$out")/.grub-iso.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot/grub"
cp "$elf" "$stage/boot/hypervisor.elf"
modules=
while [ $# -gt 0 ]; do
  file=$1 string=$2
  shift 2
  [ -f "$file" ] || die "no such module file: $file"
  name=$(basename "$file")
  [[ $name =~ ^[A-Za-z0-9._-]+$ ]] || die "module file name must be [A-Za-z0-9._-]: $name"
  [ "$name" != hypervisor.elf ] && [ ! -e "$stage/boot/$name" ] || die "two modules named $name"
  case $string in *[\"\'\$\\\;\&\|\<\>\{\}\#]* | *$'\n'*) die "module string for $name has a character GRUB would interpret: $string" ;; esac
  cp "$file" "$stage/boot/$name"
  modules+="    module2 /boot/$name $string"$'\n'
done
cat > "$stage/boot/grub/grub.cfg" <<CFG
serial --unit=0 --speed=115200 --word=8 --parity=no --stop=1
terminal_input serial console
terminal_output serial console
set timeout=0
set default=0
menuentry "$title" {
    multiboot2 /boot/hypervisor.elf
${modules}    boot
}
CFG
log=$(mktemp)
if ! grub-mkrescue -d /usr/lib/grub/i386-pc --locales= --fonts= --themes= -o "$out.tmp" "$stage" >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log" "$out.tmp"; die "grub-mkrescue failed"
fi
rm -f "$log"
mv "$out.tmp" "$out"
