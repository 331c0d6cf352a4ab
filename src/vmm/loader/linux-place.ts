// Where the Linux loader puts things in guest-physical memory, decided from the E820 map before
// anything is written.
//
// Low memory (below the legacy hole at 0x9F000; Linux keeps the first MiB for itself and copies
// the zero page and command line out early, boot.rst "64-bit BOOT PROTOCOL"):
//
//   0x01000 .. 0x01028  boot GDT (null, null, __BOOT_CS 0x10, __BOOT_DS 0x18, null)
//   0x02000 .. 0x03000  zero page (struct boot_params)
//   0x03000 .. 0x08000  boot stack, RSP = 0x8000 (the protocol asks for none; a stack costs
//                       nothing and keeps an early push from faulting)
//   0x09000 .. 0x0F000  identity-map page tables (identity-map.ts), CR3 = 0x9000
//   0x20000 .. 0x9F000  command line, NUL-terminated
//
// High memory: the kernel at pref_address, or (relocatable kernels) at the lowest
// kernel_alignment boundary above 1 MiB where init_size bytes of RAM are free, always below
// 4 GiB (the identity map must cover it); the initrd page-aligned at the highest RAM address it
// fits below initrd_addr_max, clear of the kernel's init_size region.

import { E820Table, E820Entry, E820_RAM, e820At, e820IsRam } from "./e820";
import { LinuxHeader } from "./linux-header";
import { IDENTITY_MAP_BYTES, IDENTITY_MAP_LIMIT } from "./identity-map";

export const LINUX_GDT: u64 = 0x1000;
export const LINUX_ZERO_PAGE: u64 = 0x2000;
export const LINUX_STACK_BOTTOM: u64 = 0x3000;
export const LINUX_STACK_TOP: u64 = 0x8000;
export const LINUX_PAGE_TABLES: u64 = 0x9000;
export const LINUX_CMDLINE: u64 = 0x20000;
/** End of the low area: the legacy hole starts here (e820.ts). */
export const LINUX_LOW_END: u64 = 0x9F000;
/** The command line area holds this many bytes plus the NUL. */
export const LINUX_CMDLINE_MAX: u64 = LINUX_LOW_END - LINUX_CMDLINE - 1;

const PAGE: u64 = 4096;
const MiB: u64 = 0x100000;

@inline function alignUp(x: u64, a: u64): u64 { return (x + a - 1) & ~(a - 1); }
@inline function alignDown(x: u64, a: u64): u64 { return x & ~(a - 1); }
@inline function entryEnd(e: E820Entry): u64 { return e.addr + e.size; }

/** The low area [GDT, end of page tables) and the command line area (`cmdBytes` + NUL) are RAM. */
export function lowAreaIsRam(t: E820Table, cmdBytes: u64): bool {
  return e820IsRam(t, LINUX_GDT, LINUX_PAGE_TABLES + IDENTITY_MAP_BYTES - LINUX_GDT) &&
    e820IsRam(t, LINUX_CMDLINE, cmdBytes + 1);
}

/**
 * Load address of the protected-mode kernel, or 0 when no place holds init_size bytes:
 * pref_address when [pref, pref + init_size) is RAM below 4 GiB (boot.rst: "pref_address ...
 * the preferred load address"); otherwise, if relocatable_kernel, the lowest kernel_alignment
 * boundary at or above 1 MiB where it fits ("can be loaded at any address that is a multiple of
 * kernel_alignment").
 */
export function placeKernel(t: E820Table, h: LinuxHeader): u64 {
  const size = h.initSize;
  if (size > IDENTITY_MAP_LIMIT) return 0;
  if (h.prefAddress <= IDENTITY_MAP_LIMIT - size && e820IsRam(t, h.prefAddress, size)) return h.prefAddress;
  if (h.relocatable == 0) return 0;
  for (let i: u32 = 0; i < t.count; i++) {
    const e = e820At(t, i);
    if (e.type != E820_RAM) continue;
    const a = alignUp(e.addr > MiB ? e.addr : MiB, h.alignment);
    if (a < IDENTITY_MAP_LIMIT && size <= IDENTITY_MAP_LIMIT - a && e820IsRam(t, a, size)) return a;
  }
  return 0;
}

/**
 * Highest page-aligned address where `size` bytes of initrd fit inside one RAM entry, end at or
 * below `limit` (initrd_addr_max + 1: "the maximum address that may be occupied by the initial
 * ramdisk", boot.rst), stay above 1 MiB (clear of the low area) and do not overlap the kernel's
 * [kStart, kEnd). Returns u64.MAX_VALUE when there is none.
 */
export function placeInitrd(t: E820Table, size: u64, limit: u64, kStart: u64, kEnd: u64): u64 {
  let best = u64.MAX_VALUE;
  if (size == 0) return best;
  for (let i: u32 = 0; i < t.count; i++) {
    const e = e820At(t, i);
    if (e.type != E820_RAM) continue;
    const lo = e.addr > MiB ? e.addr : MiB;
    // Two candidates per entry: just below the top (or limit), and just below the kernel.
    let top = entryEnd(e) < limit ? entryEnd(e) : limit;
    for (let k = 0; k < 2; k++) {
      if (top >= size) {
        const a = alignDown(top - size, PAGE);
        const clear = a + size <= kStart || a >= kEnd;
        if (a >= lo && clear && (best == u64.MAX_VALUE || a > best)) best = a;
      }
      if (kStart < top) top = kStart; else break;
    }
  }
  return best;
}

/** Page-rounded size of the initrd region, for overlap checks. */
@inline export function pageRound(x: u64): u64 { return alignUp(x, PAGE); }
