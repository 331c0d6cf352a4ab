// ELF32 multiboot kernels (Multiboot 0.6.96 §3.1.3: without flags[16] the loader uses the ELF
// program headers): i386 executables whose PT_LOAD segments go to their physical addresses
// (p_paddr), file bytes then zeros up to p_memsz. Layouts from the System V ABI (gABI ch. 4/5,
// i386 supplement). Every header, count and offset is checked against the file before use.
//
// ELF header (52 bytes):                         program header (32 bytes each):
//   0 e_ident[16]: 7F 'E' 'L' 'F', class 1,        0 p_type (1 = PT_LOAD)   4 p_offset
//     data 1 (LSB), version 1                      8 p_vaddr   12 p_paddr   16 p_filesz
//   16 e_type (2 = ET_EXEC)   18 e_machine (3)     20 p_memsz   24 p_flags   28 p_align
//   24 e_entry   28 e_phoff   42 e_phentsize   44 e_phnum

import { GuestMemory, GmStatus } from "../../ept/guest-memory";
import { HostBytes, hostFits, hostU8, hostU16, hostU32, hostPtr } from "./host-bytes";
import { E820Table, e820IsRam } from "./e820";
import { guestCopy, guestZero } from "./guest-write";

const EHDR_BYTES: u64 = 52;
const PHDR_MIN_BYTES: u64 = 32;
/** A kernel with more program headers than this is not one we want to walk. */
export const ELF_MAX_PHDRS: u32 = 64;
const PT_LOAD: u32 = 1;
const ET_EXEC: u32 = 2;
const EM_386: u32 = 3;

export const enum ElfStatus {
  OK = 0,
  NOT_ELF = 8,
  BAD_ELF = 9,
  BAD_PHDRS = 10,
  BAD_SEGMENT = 11,
  ENTRY_OUTSIDE = 12,
  NOT_RAM = 13,
}

/** Result of the check pass. 32 bytes: 0 entry (physical)   8 start (lowest segment address)
 *  16 end (first byte after the highest segment)   24 segments (u32)   28 _pad */
@unmanaged export class ElfImage {
  entry: u64;
  start: u64;
  end: u64;
  segments: u32;
  _pad: u32;
}

/** The file starts with the ELF magic (so a file without flags[16] that lacks it is refused). */
export function isElf(img: HostBytes): bool {
  return hostFits(img, 0, 4) && hostU32(img, 0) == 0x464C457F;
}

/** Offset of program header i. Invariant: checkElf verified the whole table lies in the file. */
@inline function phdr(img: HostBytes, i: u32): u64 {
  return <u64>hostU32(img, 28) + <u64>i * <u64>hostU16(img, 42);
}

/**
 * Checks the ELF header and every PT_LOAD segment (in the file, below 4 GiB, filesz <= memsz,
 * in RAM per `t`) and the entry point (inside a segment's virtual range, translated to its
 * physical address as GRUB does, or inside a physical range). Fills `out`. Writes nothing.
 */
export function checkElf(img: HostBytes, t: E820Table, out: ElfImage, detail: usize): ElfStatus {
  if (!isElf(img)) return ElfStatus.NOT_ELF;
  if (!hostFits(img, 0, EHDR_BYTES)) return fail(detail, img.len, ElfStatus.BAD_ELF);
  if (hostU8(img, 4) != 1 || hostU8(img, 5) != 1 || hostU8(img, 6) != 1) return fail(detail, 4, ElfStatus.BAD_ELF);
  if (hostU16(img, 16) != ET_EXEC) return fail(detail, hostU16(img, 16), ElfStatus.BAD_ELF);
  if (hostU16(img, 18) != EM_386) return fail(detail, hostU16(img, 18), ElfStatus.BAD_ELF);
  const phoff = <u64>hostU32(img, 28);
  const phentsize = <u64>hostU16(img, 42);
  const phnum = <u32>hostU16(img, 44);
  if (phentsize < PHDR_MIN_BYTES || phnum == 0 || phnum > ELF_MAX_PHDRS || !hostFits(img, phoff, phentsize * phnum)) {
    return fail(detail, phnum, ElfStatus.BAD_PHDRS);
  }
  const eEntry = <u64>hostU32(img, 24);
  let entry = u64.MAX_VALUE;
  let start = u64.MAX_VALUE;
  let end: u64 = 0;
  let segs: u32 = 0;
  for (let i: u32 = 0; i < phnum; i++) {
    const p = phdr(img, i);
    if (hostU32(img, p) != PT_LOAD) continue;
    const off = <u64>hostU32(img, p + 4);
    const vaddr = <u64>hostU32(img, p + 8);
    const paddr = <u64>hostU32(img, p + 12);
    const filesz = <u64>hostU32(img, p + 16);
    const memsz = <u64>hostU32(img, p + 20);
    if (memsz == 0) continue;
    if (filesz > memsz || !hostFits(img, off, filesz) || paddr + memsz > 0x1_0000_0000) return fail(detail, i, ElfStatus.BAD_SEGMENT);
    if (!e820IsRam(t, paddr, memsz)) return fail(detail, paddr, ElfStatus.NOT_RAM);
    if (eEntry >= vaddr && eEntry - vaddr < memsz) entry = paddr + (eEntry - vaddr);
    else if (entry == u64.MAX_VALUE && eEntry >= paddr && eEntry - paddr < memsz) entry = eEntry;
    if (paddr < start) start = paddr;
    if (paddr + memsz > end) end = paddr + memsz;
    segs++;
  }
  if (segs == 0) return fail(detail, 0, ElfStatus.BAD_PHDRS);
  if (entry == u64.MAX_VALUE) return fail(detail, eEntry, ElfStatus.ENTRY_OUTSIDE);
  out.entry = entry;
  out.start = start;
  out.end = end;
  out.segments = segs;
  return ElfStatus.OK;
}

/** Copies the segments checkElf accepted. Returns the first failed write; `detail` its address. */
export function loadElf<M>(gm: GuestMemory, mem: M, img: HostBytes, detail: usize): GmStatus {
  const phnum = <u32>hostU16(img, 44);
  for (let i: u32 = 0; i < phnum; i++) {
    const p = phdr(img, i);
    if (hostU32(img, p) != PT_LOAD) continue;
    const off = <u64>hostU32(img, p + 4);
    const paddr = <u64>hostU32(img, p + 12);
    const filesz = <u64>hostU32(img, p + 16);
    const memsz = <u64>hostU32(img, p + 20);
    if (memsz == 0) continue;
    let st = guestCopy<M>(gm, mem, paddr, hostPtr(img, off), filesz);
    if (st == GmStatus.OK) st = guestZero<M>(gm, mem, paddr + filesz, memsz - filesz);
    if (st != GmStatus.OK) { store<u64>(detail, paddr); return st; }
  }
  return GmStatus.OK;
}

/** The cell at `detail` receives `value`. Invariant: detail is 8 writable bytes the caller owns. */
@inline function fail(detail: usize, value: u64, s: ElfStatus): ElfStatus {
  store<u64>(detail, value);
  return s;
}
