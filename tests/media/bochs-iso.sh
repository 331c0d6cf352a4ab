#!/bin/bash
# bochs-iso.sh — build/hypervisor.iso booted as a CD in Bochs (its BIOS, El Torito,
# GRUB i386-pc, multiboot2) on a CPU model with VT-x (corei7_skylake_x: VMX with EPT,
# unrestricted guest, preemption timer). Asserts GRUB's loading line, the banner and
# "VT-x: supported": the one media path that reaches a CPU with VT-x.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/media/lib.sh
need "$MEDIA_ISO" "the ISO"

case_begin bochs-iso-cd
iso=$(cd "$(dirname "$MEDIA_ISO")" && pwd)/$(basename "$MEDIA_ISO")
serial_abs=$(cd "$CASE_DIR" && pwd)/serial.txt
# DESIGN.md §4 "Bochs facts": term display (no window), start without the debugger
# prompt (-rc with "c"), COM1 to a file. sync=none: run as fast as it can, with a
# TSC that counts instructions.
cat >"$CASE_DIR/bochsrc" <<EOR
megs: 256
cpu: model=corei7_skylake_x, count=1, ips=50000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
display_library: term
ata0-master: type=cdrom, path=$iso, status=inserted
boot: cdrom
log: $CASE_DIR/bochs.log
com1: enabled=1, mode=file, dev=$serial_abs
clock: sync=none, time0=local
EOR
echo c >"$CASE_DIR/rc"
case_run 120 "$HAS_VTX|$NO_VTX" bochs -q -f "$CASE_DIR/bochsrc" -rc "$CASE_DIR/rc"
case_expect '^Loading the tshv hypervisor' "$BANNER" "$HAS_VTX"
case_end
media_summary "bochs"
