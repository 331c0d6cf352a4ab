#!/bin/bash
# mkefi.sh ELF OUT.efi — the UEFI application: boot/efi/*.asm assembled by NASM as
# COFF (win64) objects, with ELF embedded (incbin) and the address of its _start64
# symbol (docs/native-abi.md, the 64-bit entry for loaders already in long mode)
# passed as -DSTART64, then linked by lld into a PE32+ image with subsystem
# EFI_APPLICATION (UEFI spec §2.1.1: machine x64, relocatable, entry efi_main).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../../boot/efi" && pwd)
elf=${1:?usage: mkefi.sh ELF OUT.efi}
out=${2:?usage: mkefi.sh ELF OUT.efi}

"$here/check-elf.sh" "$elf"
elf_abs=$(cd "$(dirname "$elf")" && pwd)/$(basename "$elf")
case $elf_abs in *\"*|*\\*) echo "mkefi: unusable path for incbin: $elf_abs" >&2; exit 1;; esac

# -P: "name type value size"; only a defined symbol counts. awk reads to the end
# (no early exit) so nm never dies of SIGPIPE under pipefail.
start64=$(nm -P --defined-only "$elf" | awk '$1 == "_start64" && !found { print $3; found = 1 }')
if [ -z "$start64" ]; then
  echo "mkefi: $elf has no _start64 symbol (docs/native-abi.md: the 64-bit entry the EFI loader jumps to); is it stripped?" >&2
  exit 1
fi

objdir="$out.obj"
rm -rf "$objdir"
mkdir -p "$objdir"
objs=()
for asm in "$src"/*.asm; do
  obj="$objdir/$(basename "${asm%.asm}").obj"
  nasm -f win64 -Werror -I "$src/" \
       -DHV_ELF="\"$elf_abs\"" -DSTART64="0x$start64" \
       -o "$obj" "$asm"
  objs+=("$obj")
done
# /nodefaultlib: nothing from a C runtime. lld emits a .reloc section, which the
# firmware applies when it loads the image at an address of its choosing.
lld-link /nologo /subsystem:efi_application /entry:efi_main /nodefaultlib \
         /machine:x64 /out:"$out.tmp" "${objs[@]}"
mv "$out.tmp" "$out"
rm -rf "$objdir"
echo "mkefi: $out ($(( $(stat -c %s "$out") / 1024 )) KiB, _start64 = 0x$start64)"
