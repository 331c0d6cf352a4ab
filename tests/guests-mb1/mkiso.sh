#!/bin/bash
# mkiso.sh ELF KERNEL_DIR OUT.iso — the GRUB ISO of `make test-multiboot` (tools/emu/mkgrubiso.sh):
# the hypervisor with the two multiboot v1 test kernels of this directory declared as two VMs,
# each with its modules (docs/vm-config.md). KERNEL_DIR holds what mk/multiboot.mk built:
# mb-elf.elf, mb-aout.bin and the modules mod1.bin .. mod3.bin (module.asm, modules.inc).
#
# The command lines and module strings here are what the kernels expect (expect_cmdline and
# mod_table in mb-elf.asm / mb-aout.asm): change both together.
set -euo pipefail
[ $# = 3 ] || { echo "usage: $0 ELF KERNEL_DIR OUT.iso" >&2; exit 2; }
elf=$1 k=$2 out=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
exec "$root/tools/emu/mkgrubiso.sh" "$out" "tshv hypervisor with two multiboot v1 VMs" "$elf" \
  "$k/mb-elf.elf"  "multiboot name=mbelf mem=32 -- tshv mb1 elf32 answer=42" \
  "$k/mod1.bin"    "module -- first module arg=1" \
  "$k/mod2.bin"    "module" \
  "$k/mb-aout.bin" "multiboot name=mbaout mem=64 -- tshv mb1 aout answer=43" \
  "$k/mod3.bin"    "module -- third module"
