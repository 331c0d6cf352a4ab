// Multiboot 0.6.96 kernels: finds and checks the header (multiboot-header.ts), loads an a.out-
// kludge image (flags[16], §3.1.3) or an ELF32 one (multiboot-elf.ts), places the modules page-
// aligned after the kernel and the information block after them (multiboot-mbi.ts), and describes
// the machine state of §3.2:
//
//   EAX = 0x2BADB002, EBX = the MBI's physical address; CS a 32-bit read/execute code segment
//   and DS/ES/FS/GS/SS 32-bit read/write data segments, all offset 0 and limit 0xFFFFFFFF;
//   CR0.PG = 0, CR0.PE = 1; EFLAGS.VM = 0, EFLAGS.IF = 0. ESP is undefined (the OS sets its own;
//   we give 0). The GDTR "may be invalid"; we give a real GDT anyway (in the MBI block).
//
// Everything is checked and placed before anything is written. Every write goes through
// GuestMemory; images and strings are read from host memory within their checked lengths.

import { GuestMemory, GmStatus } from "../../ept/guest-memory";
import { HostBytes, hostSpanValid, hostPtr, hostStrLen } from "./host-bytes";
import { E820Table, E820_RAM, E820_MAX_ENTRIES, e820At, e820IsRam } from "./e820";
import { MbHeader, MbHeaderStatus, MB_FLAG_ADDRESSES, MB_FLAG_VIDEO_MODE, findMbHeader, checkKludge } from "./multiboot-header";
import { ElfImage, ElfStatus, checkElf, loadElf } from "./multiboot-elf";
import { MbModule, mbModuleAt, moduleCmdBytes, mbiBlockBytes, writeMbi, MBI_GDT_OFFSET } from "./multiboot-mbi";
import { guestCopy, guestZero } from "./guest-write";
import { DESC_CODE32, DESC_DATA, GDT_BYTES, descriptorAr, writeGdt } from "./gdt";
import { BootState, bootStateClear, bootFlatSegments, BOOT_MODE_PROTECTED32, CR0_PE, CR0_ET, CR0_NE } from "./boot-state";

export const MB_BOOTLOADER_MAGIC: u64 = 0x2BADB002;
export const MB_CS: u16 = 0x08;
export const MB_DS: u16 = 0x10;
export const MB_MAX_MODULES: u32 = 64;
/** Longest command line (kernel's or a module's) passed on: 64 KiB, far above any real one. */
export const MB_MAX_STRING: u64 = 0x10000;
/** notes: the header asked for a video mode (flags[2]); we set up none and pass no VBE info. */
export const MB_NOTE_VIDEO_IGNORED: u32 = 1 << 0;
const PAGE: u64 = 4096;
const LIMIT_4G: u64 = <u64>1 << 32;

/** Statuses 3..7 are MbHeaderStatus, 8..13 ElfStatus; the loader's own follow. */
export const enum MbStatus {
  OK = 0,
  BAD_ARGUMENT = 1,
  BAD_MEMORY_MAP = 2,
  TOO_MANY_MODULES = 20,
  NO_ROOM = 21,
  GUEST_WRITE_FAILED = 22,
}

/**
 * Inputs. 48 bytes: 0 kernel  8 kernelLen  16 cmdline  24 cmdlineLen (host addresses, lengths)
 *   32 e820 (E820Table*)  36 mods (MbModule[]*)  40 modCount (u32)  44 _pad
 */
@unmanaged export class MbLoadParams {
  kernel: u64;
  kernelLen: u64;
  cmdline: u64;
  cmdlineLen: u64;
  e820: usize;
  mods: usize;
  modCount: u32;
  _pad: u32;
}

/**
 * Results. MB_LOAD_INFO_BYTES: this head (56 bytes) followed by the MbHeader (48) and the
 * ElfImage (32) the loader works from.
 *   0 entry  8 imageStart  16 imageEnd  24 mbi  32 mbiBytes  40 detail (the offending value or
 *   the address of a failed write)  48 notes (u32)  52 gmStatus (u32)
 */
@unmanaged export class MbLoadInfo {
  entry: u64;
  imageStart: u64;
  imageEnd: u64;
  mbi: u64;
  mbiBytes: u64;
  detail: u64;
  notes: u32;
  gmStatus: u32;
}

export const MB_LOAD_INFO_BYTES: usize = offsetof<MbLoadInfo>() + offsetof<MbHeader>() + offsetof<ElfImage>();

@inline function infoHeader(info: MbLoadInfo): MbHeader {
  return changetype<MbHeader>(changetype<usize>(info) + offsetof<MbLoadInfo>());
}
@inline function infoElf(info: MbLoadInfo): ElfImage {
  return changetype<ElfImage>(changetype<usize>(info) + offsetof<MbLoadInfo>() + offsetof<MbHeader>());
}
@inline function detailCell(info: MbLoadInfo): usize { return changetype<usize>(info) + offsetof<MbLoadInfo>("detail"); }

export function multibootStatusText(s: u32): string {
  switch (s) {
    case MbStatus.OK: return "ok";
    case MbStatus.BAD_ARGUMENT: return "kernel, module or command line not addressable in host memory, or a command line over 64 KiB";
    case MbStatus.BAD_MEMORY_MAP: return "no E820 map given";
    case MbHeaderStatus.NO_HEADER: return "no multiboot header in the first 8192 bytes";
    case MbHeaderStatus.BAD_CHECKSUM: return "multiboot header checksum is wrong";
    case MbHeaderStatus.UNSUPPORTED_FLAGS: return "header requires features this loader lacks (flags 3-15)";
    case MbHeaderStatus.TRUNCATED_HEADER: return "header address fields cut off by the end of the file";
    case MbHeaderStatus.BAD_ADDRESSES: return "header address fields inconsistent or outside the file";
    case ElfStatus.NOT_ELF: return "no address fields (flags[16]) and not an ELF file";
    case ElfStatus.BAD_ELF: return "not a 32-bit little-endian i386 ELF executable";
    case ElfStatus.BAD_PHDRS: return "ELF program headers missing, outside the file or without PT_LOAD";
    case ElfStatus.BAD_SEGMENT: return "ELF segment outside the file, above 4 GiB or filesz > memsz";
    case ElfStatus.ENTRY_OUTSIDE: return "entry point outside every loaded segment";
    case ElfStatus.NOT_RAM: return "kernel would load outside guest RAM";
    case MbStatus.TOO_MANY_MODULES: return "more than 64 modules";
    case MbStatus.NO_ROOM: return "no RAM below 4 GiB left for the modules and the information block";
    case MbStatus.GUEST_WRITE_FAILED: return "guest RAM refused a write (RAM map and E820 map disagree)";
  }
  return "unknown status";
}

/** Lowest page-aligned address >= from where [a, a + len) is RAM below 4 GiB, or u64.MAX_VALUE. */
function fitRam(t: E820Table, from: u64, len: u64): u64 {
  for (let i: u32 = 0; i < t.count; i++) {
    const e = e820At(t, i);
    if (e.type != E820_RAM) continue;
    const start = (e.addr > from ? e.addr : from);
    const a = (start + PAGE - 1) & ~(PAGE - 1);
    const need = len == 0 ? 1 : len;
    if (a + need <= LIMIT_4G && e820IsRam(t, a, need)) return a;
  }
  return u64.MAX_VALUE;
}

function writeFailed(info: MbLoadInfo, st: GmStatus, gpa: u64): u32 {
  info.gmStatus = st;
  info.detail = gpa;
  return MbStatus.GUEST_WRITE_FAILED;
}

/** Loads the kernel of `p` into the VM behind `gm`; fills `state` and `info`. */
export function multibootLoad<M>(gm: GuestMemory, mem: M, p: MbLoadParams, info: MbLoadInfo, state: BootState): u32 {
  memory.fill(changetype<usize>(info), 0, MB_LOAD_INFO_BYTES);
  bootStateClear(state);
  if (!hostSpanValid(p.kernel, p.kernelLen) || !hostSpanValid(p.cmdline, p.cmdlineLen)) return MbStatus.BAD_ARGUMENT;
  if (p.e820 == 0 || changetype<E820Table>(p.e820).count > E820_MAX_ENTRIES) return MbStatus.BAD_MEMORY_MAP;
  if (p.modCount > MB_MAX_MODULES) return MbStatus.TOO_MANY_MODULES;
  const t = changetype<E820Table>(p.e820);
  // The (address, length) pairs of the params have HostBytes' layout: view them in place.
  const img = changetype<HostBytes>(changetype<usize>(p) + offsetof<MbLoadParams>("kernel"));
  const cmd = changetype<HostBytes>(changetype<usize>(p) + offsetof<MbLoadParams>("cmdline"));

  const h = infoHeader(info);
  const hs = findMbHeader(img, h, detailCell(info));
  if (hs != MbHeaderStatus.OK) return hs;
  if ((h.flags & MB_FLAG_VIDEO_MODE) != 0) info.notes |= MB_NOTE_VIDEO_IGNORED;
  const kludge = (h.flags & MB_FLAG_ADDRESSES) != 0;
  const elf = infoElf(info);
  if (kludge) {
    const ks = checkKludge(img, h, detailCell(info));
    if (ks != MbHeaderStatus.OK) return ks;
    if (!e820IsRam(t, h.loadAddr, <u64>h.memEnd - h.loadAddr)) { info.detail = h.loadAddr; return ElfStatus.NOT_RAM; }
    info.entry = h.entry;
    info.imageStart = h.loadAddr;
    info.imageEnd = h.memEnd;
  } else {
    const es = checkElf(img, t, elf, detailCell(info));
    if (es != ElfStatus.OK) return es;
    info.entry = elf.entry;
    info.imageStart = elf.start;
    info.imageEnd = elf.end;
  }

  // Modules after the image, each page-aligned (flags[0] or not: it costs nothing), then the block.
  const cmdBytes = hostStrLen(cmd, MB_MAX_STRING);
  if (cmdBytes > MB_MAX_STRING) { info.detail = cmdBytes; return MbStatus.BAD_ARGUMENT; }
  let strings = cmdBytes + 1;
  let cursor = info.imageEnd;
  for (let i: u32 = 0; i < p.modCount; i++) {
    const m = mbModuleAt(p.mods, i);
    if (!hostSpanValid(m.image, m.len) || !hostSpanValid(m.cmdline, m.cmdlineLen)) { info.detail = i; return MbStatus.BAD_ARGUMENT; }
    const a = fitRam(t, cursor, m.len);
    if (a == u64.MAX_VALUE) { info.detail = m.len; return MbStatus.NO_ROOM; }
    const mc = moduleCmdBytes(m);
    if (mc > MB_MAX_STRING) { info.detail = i; return MbStatus.BAD_ARGUMENT; }
    m.gpa = a;
    cursor = a + m.len;
    strings += mc + 1;
  }
  const blockBytes = mbiBlockBytes(t, p.modCount, strings);
  const block = fitRam(t, cursor, blockBytes);
  if (block == u64.MAX_VALUE) { info.detail = blockBytes; return MbStatus.NO_ROOM; }

  // Writes.
  let st: GmStatus;
  if (kludge) {
    st = guestCopy<M>(gm, mem, h.loadAddr, hostPtr(img, h.loadOffset), h.loadBytes);
    if (st == GmStatus.OK) st = guestZero<M>(gm, mem, <u64>h.loadAddr + h.loadBytes, <u64>h.memEnd - h.loadAddr - h.loadBytes);
    if (st != GmStatus.OK) return writeFailed(info, st, h.loadAddr);
  } else {
    st = loadElf<M>(gm, mem, img, detailCell(info));
    if (st != GmStatus.OK) return writeFailed(info, st, info.detail);
  }
  for (let i: u32 = 0; i < p.modCount; i++) {
    const m = mbModuleAt(p.mods, i);
    st = guestCopy<M>(gm, mem, m.gpa, <usize>m.image, m.len);
    if (st != GmStatus.OK) return writeFailed(info, st, m.gpa);
  }
  st = writeMbi<M>(gm, mem, block, t, hostPtr(cmd, 0), cmdBytes, p.mods, p.modCount);
  if (st == GmStatus.OK) st = writeGdt<M>(gm, mem, block + MBI_GDT_OFFSET, DESC_CODE32, DESC_DATA, 0, 0);
  if (st != GmStatus.OK) return writeFailed(info, st, block);
  info.mbi = block;
  info.mbiBytes = blockBytes;

  state.mode = BOOT_MODE_PROTECTED32;
  bootFlatSegments(state, MB_CS, descriptorAr(DESC_CODE32), MB_DS, block + MBI_GDT_OFFSET, <u32>GDT_BYTES - 1);
  state.rax = MB_BOOTLOADER_MAGIC;
  state.rbx = block;
  state.rip = info.entry;
  state.cr0 = CR0_PE | CR0_ET | CR0_NE;
  return MbStatus.OK;
}
