// The Linux/x86 64-bit boot protocol (Linux Documentation/arch/x86/boot.rst, "64-bit BOOT
// PROTOCOL"): loads a bzImage, its initrd and command line into a VM's RAM and describes the
// vCPU state at the kernel's 64-bit entry (startup_64, at load address + 0x200):
//
//   - 64-bit mode with paging; the kernel's init_size region, the zero page and the command line
//     identity-mapped (we map the whole first 4 GiB, identity-map.ts)
//   - a GDT with __BOOT_CS (0x10, 64-bit code) and __BOOT_DS (0x18, data), both flat 4 GiB;
//     CS = __BOOT_CS, DS = ES = SS = __BOOT_DS
//   - interrupts off, RSI = the zero page's address
//
// Everything is validated and placed before the first byte is written, so a refused image leaves
// guest RAM untouched (only GUEST_WRITE_FAILED, an E820 map that disagrees with the VM's RAM map,
// i.e. a VMM bug, can stop part way); every write goes through GuestMemory. Inputs are the images in host memory
// (host-bytes.ts), the VM's E820 map (e820.ts) and the ACPI RSDP address.

import { GuestMemory, GmStatus } from "../../ept/guest-memory";
import { HostBytes, hostSpanValid, hostPtr, hostStrLen } from "./host-bytes";
import { E820Table, E820_MAX_ENTRIES } from "./e820";
import { LinuxHeader, HeaderStatus, parseLinuxHeader } from "./linux-header";
import {
  LINUX_GDT, LINUX_ZERO_PAGE, LINUX_STACK_TOP, LINUX_PAGE_TABLES, LINUX_CMDLINE, LINUX_CMDLINE_MAX,
  lowAreaIsRam, placeKernel, placeInitrd, pageRound,
} from "./linux-place";
import { writeZeroPage } from "./linux-zeropage";
import { writeIdentityMap4G } from "./identity-map";
import { DESC_CODE64, DESC_DATA, GDT_BYTES, descriptorAr, writeGdt } from "./gdt";
import { guestCopy, guestW8, gmFirst } from "./guest-write";
import {
  BootState, bootStateClear, bootFlatSegments, BOOT_MODE_LONG64,
  CR0_PE, CR0_ET, CR0_NE, CR0_PG, CR4_PAE, EFER_LME, EFER_LMA,
} from "./boot-state";

export const BOOT_CS: u16 = 0x10;
export const BOOT_DS: u16 = 0x18;
/** startup_64 sits 0x200 bytes into the protected-mode kernel (boot.rst "64-bit BOOT PROTOCOL"). */
export const ENTRY_64_OFFSET: u64 = 0x200;

/** Statuses 1..14 are HeaderStatus (linux-header.ts); the loader's own follow. */
export const enum LinuxStatus {
  OK = 0,
  BAD_ARGUMENT = 20,
  BAD_MEMORY_MAP = 21,
  LOW_MEMORY_NOT_RAM = 22,
  CMDLINE_TOO_LONG = 23,
  KERNEL_NO_ROOM = 24,
  INITRD_TOO_BIG = 25,
  GUEST_WRITE_FAILED = 26,
}

/**
 * Inputs. 64 bytes. kernel/initrd/cmdline are host-physical (wasm) addresses and byte lengths;
 * initrdLen 0 means no initrd; the command line ends at its first NUL or at cmdlineLen.
 *   0 kernel  8 kernelLen  16 initrd  24 initrdLen  32 cmdline  40 cmdlineLen  48 acpiRsdp
 *   56 e820 (E820Table*, built by e820Build)  60 _pad
 */
@unmanaged export class LinuxLoadParams {
  kernel: u64;
  kernelLen: u64;
  initrd: u64;
  initrdLen: u64;
  cmdline: u64;
  cmdlineLen: u64;
  acpiRsdp: u64;
  e820: usize;
  _pad: u32;
}

/**
 * Results, for the VMM's log line and for the tests. LINUX_LOAD_INFO_BYTES: this head (96 bytes)
 * followed by the checked LinuxHeader (64 bytes) the loader works from.
 *   0 kernel (load address)  8 kernelBytes (copied)  16 initSize  24 initrd  32 initrdBytes
 *   40 zeroPage  48 cmdline  56 cmdlineBytes (without NUL)  64 cr3  72 detail (the offending
 *   value, or the guest address of a failed write)  80 protocol (u32)  84 e820Count (u32)
 *   88 gmStatus (u32, of a failed write)  92 _pad
 */
@unmanaged export class LinuxLoadInfo {
  kernel: u64;
  kernelBytes: u64;
  initSize: u64;
  initrd: u64;
  initrdBytes: u64;
  zeroPage: u64;
  cmdline: u64;
  cmdlineBytes: u64;
  cr3: u64;
  detail: u64;
  protocol: u32;
  e820Count: u32;
  gmStatus: u32;
  _pad: u32;
}

export const LINUX_LOAD_INFO_BYTES: usize = offsetof<LinuxLoadInfo>() + offsetof<LinuxHeader>();

/** The header part of an info block. Invariant: `info` spans LINUX_LOAD_INFO_BYTES. */
@inline function infoHeader(info: LinuxLoadInfo): LinuxHeader {
  return changetype<LinuxHeader>(changetype<usize>(info) + offsetof<LinuxLoadInfo>());
}

/** Why a kernel was refused, for `[NAME] stopped: Linux: <reason> (<detail>)`. */
export function linuxStatusText(s: u32): string {
  switch (s) {
    case LinuxStatus.OK: return "ok";
    case HeaderStatus.TRUNCATED_HEADER: return "image shorter than its setup header (0x268 bytes)";
    case HeaderStatus.BAD_BOOT_FLAG: return "boot_flag at 0x1FE is not 0xAA55";
    case HeaderStatus.BAD_MAGIC: return "no \"HdrS\" setup header magic at 0x202";
    case HeaderStatus.OLD_PROTOCOL: return "boot protocol older than 2.12 (no xloadflags)";
    case HeaderStatus.BAD_HEADER_LENGTH: return "setup header length (jump at 0x200) out of range";
    case HeaderStatus.NOT_64BIT: return "xloadflags lacks XLF_KERNEL_64: no 64-bit entry point";
    case HeaderStatus.NOT_BZIMAGE: return "loadflags lacks LOADED_HIGH: not a bzImage";
    case HeaderStatus.BAD_SETUP_SECTS: return "setup_sects larger than the 32 KiB real-mode area";
    case HeaderStatus.BAD_SYSSIZE: return "syssize is 0";
    case HeaderStatus.TRUNCATED_KERNEL: return "image shorter than setup + syssize (truncated)";
    case HeaderStatus.BAD_PAYLOAD: return "payload_offset/payload_length outside the kernel";
    case HeaderStatus.BAD_ALIGNMENT: return "kernel_alignment not a power of two in 4 KiB..1 GiB";
    case HeaderStatus.BAD_PREF_ADDRESS: return "pref_address unaligned, below 1 MiB or above 4 GiB";
    case HeaderStatus.BAD_INIT_SIZE: return "init_size smaller than the kernel image";
    case LinuxStatus.BAD_ARGUMENT: return "kernel, initrd or command line not addressable in host memory";
    case LinuxStatus.BAD_MEMORY_MAP: return "no E820 map given";
    case LinuxStatus.LOW_MEMORY_NOT_RAM: return "guest RAM lacks the low boot area (0x1000-0xF000, command line at 0x20000)";
    case LinuxStatus.CMDLINE_TOO_LONG: return "command line longer than the kernel's cmdline_size";
    case LinuxStatus.KERNEL_NO_ROOM: return "no RAM below 4 GiB holds init_size bytes at an allowed load address";
    case LinuxStatus.INITRD_TOO_BIG: return "initrd does not fit in RAM below initrd_addr_max beside the kernel";
    case LinuxStatus.GUEST_WRITE_FAILED: return "guest RAM refused a write (RAM map and E820 map disagree)";
  }
  return "unknown status";
}

/** Records `detail` and returns `s`. */
@inline function refuse(info: LinuxLoadInfo, s: u32, detail: u64): u32 {
  info.detail = detail;
  return s;
}

/**
 * Loads the kernel described by `p` into the VM behind `gm` and fills `state` (BootState,
 * BOOT_STATE_BYTES) and `info` (LINUX_LOAD_INFO_BYTES). Returns LinuxStatus.OK or the reason
 * (a HeaderStatus or LinuxStatus value; info.detail holds the offending value).
 */
export function linuxLoad<M>(gm: GuestMemory, mem: M, p: LinuxLoadParams, info: LinuxLoadInfo, state: BootState): u32 {
  memory.fill(changetype<usize>(info), 0, LINUX_LOAD_INFO_BYTES);
  bootStateClear(state);
  if (!hostSpanValid(p.kernel, p.kernelLen) || !hostSpanValid(p.initrd, p.initrdLen) || !hostSpanValid(p.cmdline, p.cmdlineLen)) {
    return LinuxStatus.BAD_ARGUMENT;
  }
  if (p.e820 == 0 || changetype<E820Table>(p.e820).count > E820_MAX_ENTRIES) return LinuxStatus.BAD_MEMORY_MAP;
  const t = changetype<E820Table>(p.e820);

  // Header, with its own bounds checks.
  // The (address, length) pairs of the params have HostBytes' layout: view them in place.
  const img = changetype<HostBytes>(changetype<usize>(p) + offsetof<LinuxLoadParams>("kernel"));
  const h = infoHeader(info);
  const hs = parseLinuxHeader(img, h, changetype<usize>(info) + offsetof<LinuxLoadInfo>("detail"));
  if (hs != HeaderStatus.OK) return hs;
  info.protocol = h.version;

  // Command line: the bytes before the first NUL, bounded by cmdline_size ("the maximum size of
  // the command line without the terminating zero", boot.rst) and by our low area.
  const cmd = changetype<HostBytes>(changetype<usize>(p) + offsetof<LinuxLoadParams>("cmdline"));
  const cmdBytes = hostStrLen(cmd, LINUX_CMDLINE_MAX);
  if (cmdBytes > <u64>h.cmdlineSize || cmdBytes > LINUX_CMDLINE_MAX) return refuse(info, LinuxStatus.CMDLINE_TOO_LONG, cmdBytes);
  if (!lowAreaIsRam(t, cmdBytes)) return refuse(info, LinuxStatus.LOW_MEMORY_NOT_RAM, LINUX_GDT);

  // Kernel, then the initrd clear of the kernel's whole init_size region.
  const kernel = placeKernel(t, h);
  if (kernel == 0) return refuse(info, LinuxStatus.KERNEL_NO_ROOM, h.initSize);
  let initrd: u64 = 0;
  if (p.initrdLen != 0) {
    const limit = <u64>h.initrdAddrMax + 1;
    initrd = placeInitrd(t, pageRound(p.initrdLen), limit, kernel, kernel + h.initSize);
    if (initrd == u64.MAX_VALUE) return refuse(info, LinuxStatus.INITRD_TOO_BIG, p.initrdLen);
  }

  // Writes. The kernel's protected-mode part goes to its load address unchanged.
  let st = guestCopy<M>(gm, mem, kernel, hostPtr(img, h.setupBytes), h.kernelBytes);
  if (st != GmStatus.OK) return writeFailed(info, st, kernel);
  if (p.initrdLen != 0) {
    st = guestCopy<M>(gm, mem, initrd, <usize>p.initrd, p.initrdLen);
    if (st != GmStatus.OK) return writeFailed(info, st, initrd);
  }
  st = guestCopy<M>(gm, mem, LINUX_CMDLINE, <usize>p.cmdline, cmdBytes);
  st = gmFirst(st, guestW8<M>(gm, mem, LINUX_CMDLINE + cmdBytes, 0));
  if (st != GmStatus.OK) return writeFailed(info, st, LINUX_CMDLINE);
  st = writeGdt<M>(gm, mem, LINUX_GDT, 0, DESC_CODE64, DESC_DATA, 0);
  if (st != GmStatus.OK) return writeFailed(info, st, LINUX_GDT);
  st = writeIdentityMap4G<M>(gm, mem, LINUX_PAGE_TABLES);
  if (st != GmStatus.OK) return writeFailed(info, st, LINUX_PAGE_TABLES);
  st = writeZeroPage<M>(gm, mem, LINUX_ZERO_PAGE, img, h, kernel, initrd, p.initrdLen, LINUX_CMDLINE, p.acpiRsdp, t);
  if (st != GmStatus.OK) return writeFailed(info, st, LINUX_ZERO_PAGE);

  info.kernel = kernel;
  info.kernelBytes = h.kernelBytes;
  info.initSize = h.initSize;
  info.initrd = initrd;
  info.initrdBytes = p.initrdLen;
  info.zeroPage = LINUX_ZERO_PAGE;
  info.cmdline = LINUX_CMDLINE;
  info.cmdlineBytes = cmdBytes;
  info.cr3 = LINUX_PAGE_TABLES;
  info.e820Count = t.count;
  entryState(state, kernel);
  return LinuxStatus.OK;
}

function writeFailed(info: LinuxLoadInfo, st: GmStatus, gpa: u64): u32 {
  info.gmStatus = st;
  info.detail = gpa;
  return LinuxStatus.GUEST_WRITE_FAILED;
}

/** The register state boot.rst "64-bit BOOT PROTOCOL" prescribes at startup_64. */
function entryState(s: BootState, kernel: u64): void {
  s.mode = BOOT_MODE_LONG64;
  bootFlatSegments(s, BOOT_CS, descriptorAr(DESC_CODE64), BOOT_DS, LINUX_GDT, <u32>GDT_BYTES - 1);
  s.rip = kernel + ENTRY_64_OFFSET;
  s.rsi = LINUX_ZERO_PAGE;
  s.rsp = LINUX_STACK_TOP;
  s.cr0 = CR0_PE | CR0_PG | CR0_ET | CR0_NE;
  s.cr3 = LINUX_PAGE_TABLES;
  s.cr4 = CR4_PAE;
  s.efer = EFER_LME | EFER_LMA;
}
