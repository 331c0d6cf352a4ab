// Guest-linear → guest-physical translation through the guest's own page tables (SDM Vol 3A
// §4.5 "4-level paging", §4.6 access rights, §4.7 page-fault error code), read through GuestMemory.
// Used by the MMIO path to fetch the guest's instruction bytes (and by anything else that must
// follow a guest pointer). Without paging (CR0.PG = 0) linear = physical.
//
// What a real walk does that this one does not: it never sets accessed/dirty bits (the CPU already
// set them when it fetched or accessed the address that caused the exit), SMAP is not checked
// (instruction fetches are not subject to it), and protection keys are ignored. 32-bit paging,
// PAE paging and 5-level paging answer UNSUPPORTED_MODE.

import { GuestMemory, GmStatus } from "./guest-memory";
import { gmReadShortCached, gmReadQwordCached } from "./page-cache";

export const CR0_WP: u64 = 1 << 16;
export const CR0_PG: u64 = 1 << 31;
export const CR4_PAE: u64 = 1 << 5;
export const CR4_LA57: u64 = 1 << 12;
export const CR4_SMEP: u64 = 1 << 20;
export const EFER_LMA: u64 = 1 << 10;
export const EFER_NXE: u64 = 1 << 11;

// Paging-structure entry bits (Vol 3A Tables 4-15 … 4-20).
const PTE_P: u64 = 1 << 0;
const PTE_RW: u64 = 1 << 1;
const PTE_US: u64 = 1 << 2;
const PTE_PS: u64 = 1 << 7;
const PTE_XD: u64 = <u64>1 << 63;

// Page-fault error code (§4.7) — also the access kind the caller asks for (bits 1, 2, 4).
export const PF_PRESENT: u32 = 1 << 0;
export const PF_WRITE: u32 = 1 << 1;
export const PF_USER: u32 = 1 << 2;
export const PF_RSVD: u32 = 1 << 3;
export const PF_FETCH: u32 = 1 << 4;

export const enum WalkStatus {
  OK = 0,
  /** The guest would take #PF: `errorCode` is its error code, CR2 = the linear address. */
  PAGE_FAULT = 1,
  /** The linear address is not canonical: the guest would take #GP (or #SS). */
  NON_CANONICAL = 2,
  /** A paging-structure entry could not be read from guest RAM (`gmStatus` says why). */
  GUEST_MEMORY = 3,
  UNSUPPORTED_MODE = 4,
}

/**
 * The guest's paging state, as read from the VMCS guest-state area. 40 bytes:
 *   0 cr0   8 cr3   16 cr4   24 efer   32 maxPhysBits (u32, CPUID.80000008H:EAX[7:0])   36 pad
 */
@unmanaged export class GuestPagingRegs {
  cr0: u64;
  cr3: u64;
  cr4: u64;
  efer: u64;
  maxPhysBits: u32;
  _pad: u32;
}

/**
 * Result of a walk, owned by the caller (one per vCPU), so walks on several CPUs do not share
 * state. 32 bytes: 0 gpa, 8 pageSize, 16 errorCode, 20 gmStatus, 24 entry (the last entry read).
 */
@unmanaged export class GuestWalk {
  gpa: u64;
  pageSize: u64;
  errorCode: u32;
  gmStatus: u32;
  entry: u64;
}

/** Reserved bits of every entry: 51:MAXPHYADDR (§4.5.4), and XD (63) when EFER.NXE = 0. */
@inline function reservedMask(regs: GuestPagingRegs): u64 {
  let m = (<u64>0x000F_FFFF_FFFF_FFFF) & ~((<u64>1 << regs.maxPhysBits) - 1);
  if ((regs.efer & EFER_NXE) == 0) m |= PTE_XD;
  return m;
}

/** Reserved bits of a large-page entry: bits 29:13 for a 1 GiB PDPTE, 20:13 for a 2 MiB PDE. */
@inline function largePageReserved(level: u32): u64 {
  return level == 3 ? 0x3FFFE000 : 0x1FE000;
}

function fault(out: GuestWalk, code: u32): WalkStatus {
  out.errorCode = code;
  return WalkStatus.PAGE_FAULT;
}

/**
 * Translates `linear` for an access of kind `access` (PF_WRITE | PF_USER | PF_FETCH, as in the
 * error code). On OK, `out.gpa` and `out.pageSize` are set; on PAGE_FAULT, `out.errorCode`.
 * `cache`: the caller's GmPageCache (page-cache.ts) for the table reads, or 0.
 */
export function guestTranslate<M>(
  gm: GuestMemory, mem: M, regs: GuestPagingRegs, linear: u64, access: u32, out: GuestWalk, cache: usize = 0,
): WalkStatus {
  out.errorCode = 0;
  out.gmStatus = 0;
  if ((regs.cr0 & CR0_PG) == 0) {
    // No paging: linear addresses are 32 bits wide outside IA-32e mode (§4.1.1, §3.3).
    out.gpa = linear & 0xFFFFFFFF;
    out.pageSize = 4096;
    return WalkStatus.OK;
  }
  if ((regs.cr4 & CR4_PAE) == 0 || (regs.efer & EFER_LMA) == 0 || (regs.cr4 & CR4_LA57) != 0) {
    return WalkStatus.UNSUPPORTED_MODE;
  }
  // Canonical: bits 63:47 all equal (§3.3.7.1).
  const top = linear >> 47;
  if (top != 0 && top != 0x1FFFF) return WalkStatus.NON_CANONICAL;

  const rsvd = reservedMask(regs);
  const nxe = (regs.efer & EFER_NXE) != 0;
  const fetchBit = (access & PF_FETCH) != 0 && (nxe || (regs.cr4 & CR4_SMEP) != 0) ? PF_FETCH : 0;
  const codeBase = (access & (PF_WRITE | PF_USER)) | fetchBit;
  let table = regs.cr3 & 0x000F_FFFF_FFFF_F000;
  // R/W and U/S count only where every level allows them (AND); XD where any level sets it (OR;
  // without EFER.NXE, XD is a reserved bit and faulted above, so the OR is 0 then).
  let allowed: u64 = PTE_RW | PTE_US;
  let xd: u64 = 0;
  const cell = changetype<usize>(out) + offsetof<GuestWalk>("entry");
  for (let level: u32 = 4; level >= 1; level--) {
    const shift = 12 + 9 * (level - 1);
    const entryGpa = table + ((linear >> shift) & 511) * 8;
    const st = gmReadQwordCached<M>(gm, mem, cache, entryGpa, cell);
    if (st != GmStatus.OK) { out.gmStatus = st; return WalkStatus.GUEST_MEMORY; }
    const e = out.entry;
    if ((e & PTE_P) == 0) return fault(out, codeBase);
    // PS is reserved in a PML4E; a PS entry at levels 3 and 2 maps a large page, whose own
    // reserved bits (below its address) count too.
    const large = level != 4 && level != 1 && (e & PTE_PS) != 0;
    const bad = rsvd | (level == 4 ? PTE_PS : large ? largePageReserved(level) : 0);
    if ((e & bad) != 0) return fault(out, codeBase | PF_PRESENT | PF_RSVD);
    allowed &= e;
    xd |= e & PTE_XD;
    if (large || level == 1) {
      const size = <u64>1 << shift;
      // Access rights (§4.6): user accesses need U/S = 1 everywhere; writes need R/W = 1 for user
      // accesses, and for supervisor ones when CR0.WP = 1; fetches fail on XD (with NXE) and,
      // for supervisor fetches from user pages, under SMEP.
      const isUser = (access & PF_USER) != 0;
      const user = (allowed & PTE_US) != 0;
      if (isUser && !user) return fault(out, codeBase | PF_PRESENT);
      if ((access & PF_WRITE) != 0 && (allowed & PTE_RW) == 0 && (isUser || (regs.cr0 & CR0_WP) != 0)) {
        return fault(out, codeBase | PF_PRESENT);
      }
      if ((access & PF_FETCH) != 0) {
        if (xd != 0) return fault(out, codeBase | PF_PRESENT);
        if (!isUser && user && (regs.cr4 & CR4_SMEP) != 0) return fault(out, codeBase | PF_PRESENT);
      }
      out.gpa = (e & 0x000F_FFFF_FFFF_F000 & ~(size - 1)) | (linear & (size - 1));
      out.pageSize = size;
      return WalkStatus.OK;
    }
    table = e & 0x000F_FFFF_FFFF_F000;
  }
  return WalkStatus.UNSUPPORTED_MODE; // not reached: level 1 always ends the walk
}

/**
 * Copies up to `len` bytes of guest-linear memory at `linear` (an instruction fetch, `access`
 * should include PF_FETCH) to host memory at `dst`, page by page. Returns the number of bytes
 * copied; when it is less than `len`, `out` holds the status of the walk that stopped it (the
 * decoder reports a truncated instruction only if it needed those bytes: a fault on the next page
 * does not matter for an instruction that ends before it). `cache` as for guestTranslate.
 */
export function guestFetch<M>(
  gm: GuestMemory, mem: M, regs: GuestPagingRegs, linear: u64, access: u32, dst: usize, len: u32,
  out: GuestWalk, cache: usize = 0,
): u32 {
  let done: u32 = 0;
  while (done < len) {
    const la = linear + done;
    const st = guestTranslate<M>(gm, mem, regs, la, access, out, cache);
    if (st != WalkStatus.OK) return done;
    let n = <u32>min<u64>(<u64>(len - done), out.pageSize - (out.gpa & (out.pageSize - 1)));
    if ((regs.cr0 & CR0_PG) == 0) n = <u32>min<u64>(<u64>n, 4096 - (out.gpa & 4095));
    const r = gmReadShortCached<M>(gm, mem, cache, out.gpa, dst + done, n); // gmRead for n > 16
    if (r != GmStatus.OK) { out.gmStatus = r; return done; }
    done += n;
  }
  return done;
}
