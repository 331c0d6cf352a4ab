#!/bin/bash
# check-elf.sh ELF — refuse to package something that is not a bootable image, with a
# message that says what is wrong, rather than building media that hang at boot.
#   * ELF64, little-endian, x86-64, ET_EXEC (what GRUB's multiboot2 loader and our
#     EFI loader both expect: physical load addresses, no relocation);
#   * a multiboot2 header (multiboot2 spec §3.1.1): magic 0xE85250D6, architecture 0
#     (i386), header_length, checksum making the four u32 sum to 0 mod 2^32, on a
#     64-bit boundary within the first 32768 bytes of the file.
set -euo pipefail
elf=${1:?usage: check-elf.sh ELF}
die() { echo "check-elf: $elf: $*" >&2; exit 1; }

[ -f "$elf" ] || die "no such file (is the image built? run: make image)"
hdr=$(readelf -h "$elf" 2>/dev/null) || die "not an ELF file"
grep -q 'Class:[[:space:]]*ELF64' <<<"$hdr" || die "not ELF64"
grep -q "little endian" <<<"$hdr" || die "not little-endian"
grep -q 'Machine:[[:space:]]*Advanced Micro Devices X86-64' <<<"$hdr" || die "not x86-64"
grep -q 'Type:[[:space:]]*EXEC' <<<"$hdr" || die "not an executable (ET_EXEC)"

# od prints one line per 8 bytes: "OFFSET w0 w1"; the header's magic and architecture
# are the two words of one such line, header_length and checksum those of the next.
found=
prev=
while read -r off w0 w1; do
  if [ -n "$prev" ] && (( (0xE85250D6 + 0x$w0 + 0x$w1) % 4294967296 == 0 )); then
    found=$prev; break
  fi
  prev=
  [ "$w0" = e85250d6 ] && [ "$w1" = 00000000 ] && prev=$off
done < <(od -A d -t x4 -w8 -N 32768 -v "$elf")
[ -n "$found" ] || die "no valid multiboot2 header (magic 0xE85250D6, arch 0, checksum) in the first 32 KiB"
