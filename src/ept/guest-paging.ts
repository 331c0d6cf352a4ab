// Guest-linear → guest-physical translation through the guest's own page tables (SDM Vol 3A
// §4.5 "4-level paging", §4.6 access rights, §4.7 page-fault error code), read through GuestMemory.
// Used by the MMIO path to fetch the guest's instruction bytes (guest-fetch.ts) and by anything
// else that must follow a guest pointer (INS/OUTS). Without paging (CR0.PG = 0) linear = physical.
//
// What a real walk does that this one does not: it never sets accessed/dirty bits (the CPU already
// set them when it fetched or accessed the address that caused the exit), SMAP is not checked
// (instruction fetches are not subject to it), and protection keys are ignored. 32-bit paging,
// PAE paging and 5-level paging answer UNSUPPORTED_MODE.
//
// The walk runs on every MMIO exit, so its common case has a walker of its own (walkCached): a
// leaf, written out level by level (PML4E, PDPTE, PDE, PTE: each level's rules are constants
// there), each entry read from the vCPU's page cache (page-cache.ts: the table page of each level
// in a way of its own, a hit is a tag compare and a load), P and PS tested per level and
// everything else once at the end, with what is fixed per kind of walk (reserved-bit mask, which
// rights matter) prepared once and kept in the cache. It answers only the common case; all else —
// faults, tables the cache cannot hold, other paging modes — is the checked walk (walkChecked):
// every check in SDM order, every entry read through GuestMemory. Nothing here caches a
// translation: the guest may rewrite its tables without an exit, so each walk reads every entry
// again.

import { GuestMemory, GmStatus, gmReadQword } from "./guest-memory";
import {
  GM_CACHE_NONE, GM_CACHE_WALK, GM_CACHE_WALK_KEY, GM_CACHE_WALK_REC, GM_CACHE_WAYS_OFF, gmCacheOrNone, gmCacheSync,
  gmCacheFill,
} from "./page-cache";

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
/** Bits 51:12: the address of the next table or page (masked further for large pages). */
const PTE_ADDR: u64 = 0x000F_FFFF_FFFF_F000;
/** Bits 51:0: what MAXPHYADDR can make reserved (§4.5.4: bits 51:M). */
const PHYS_BITS_MAX: u64 = 0x000F_FFFF_FFFF_FFFF;
/** Reserved bits of a large-page entry below its address: 29:13 for a 1 GiB PDPTE, 20:13 for a 2 MiB PDE. */
const RSVD_1G: u64 = 0x3FFFE000;
const RSVD_2M: u64 = 0x1FE000;

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
 * state. 32 bytes: 0 gpa, 8 pageSize, 16 errorCode, 20 gmStatus, 24 entry (scratch of the walkers:
 * the last entry read the checked way, or the cache way of a missing table page).
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
  let m = (PHYS_BITS_MAX >> <u64>regs.maxPhysBits) << <u64>regs.maxPhysBits;
  if ((regs.efer & EFER_NXE) == 0) m |= PTE_XD;
  return m;
}

/**
 * Translates `linear` for an access of kind `access` (PF_WRITE | PF_USER | PF_FETCH, as in the
 * error code). On OK, `out.gpa` and `out.pageSize` are set; on PAGE_FAULT, `out.errorCode`; on
 * GUEST_MEMORY, `out.gmStatus`. `cache`: the caller's GmPageCache (page-cache.ts) for the table
 * reads, or 0; either way it is synced here (guest-fetch.ts relies on that).
 *
 * Two walkers give the answer: walkCached, for the common case (every table page in the cache,
 * nothing to report but a translation), and walkChecked, the walk with every check in SDM order
 * and every entry read through GuestMemory, for everything else. walkCached answers only OK, and
 * only where walkChecked would answer the same; otherwise it says why it stopped and
 * guestTranslateSlow takes over.
 */
export function guestTranslate<M>(
  gm: GuestMemory, mem: M, regs: GuestPagingRegs, linear: u64, access: u32, out: GuestWalk, cache: usize = 0,
): WalkStatus {
  const c = gmCacheOrNone(cache);
  gmCacheSync(c, gm);
  const st = walkCached(c, regs, linear, access, out);
  if (st == WalkStatus.OK) return st;
  return guestTranslateSlow<M>(gm, mem, c, regs, linear, access, out, st);
}

/** walkCached's answers besides OK: a table page not in the cache; no setup for this walk; anything else. */
const WALK_MISS: WalkStatus = 0xFD;
const WALK_PREPARE: WalkStatus = 0xFE;
const WALK_CHECKED: WalkStatus = 0xFF;

/**
 * walkCached answered `st` (not OK), `cache` synced (or GM_CACHE_NONE): the answer of
 * guestTranslate. A missing table page (out.gpa, its way at out.entry) is put in the cache, a
 * missing setup made (walkPrepare), and walkCached runs again — at most once per level and once
 * for the setup; in every other case (a page the cache cannot hold, a fault, another paging mode,
 * …) walkChecked answers.
 */
function guestTranslateSlow<M>(
  gm: GuestMemory, mem: M, cache: usize, regs: GuestPagingRegs, linear: u64, access: u32, out: GuestWalk,
  st: WalkStatus,
): WalkStatus {
  for (let i = 0; i < 5; i++) {
    if (st == WALK_MISS) {
      if (!gmCacheFill<M>(cache, gm, mem, out.gpa, <usize>out.entry)) break;
    } else if (st == WALK_PREPARE) {
      if (!walkPrepare(cache, regs, access)) break;
    } else {
      break;
    }
    st = walkCached(cache, regs, linear, access, out);
  }
  if (st == WalkStatus.OK) return st;
  return walkChecked<M>(gm, mem, regs, linear, access, out);
}

/** What XOR-ing an entry with this gives: bits 1 and 2 set where the entry denies writes / user access. */
const DENY_FLIP: u64 = PTE_RW | PTE_US;

// walkCached's setup for one kind of access under one set of paging registers, kept in the cache
// header (page-cache.ts) because it is the same walk after walk: the key (access | maxPhysBits <<
// 8) at GM_CACHE_WALK_KEY, and at GM_CACHE_WALK the CR4 and EFER it was made for, then `bad` and
// `flip` (see walkCached).
const WS_CR4: usize = GM_CACHE_WALK;
const WS_EFER: usize = GM_CACHE_WALK + 8;
const WS_BAD: usize = GM_CACHE_WALK + 16;
const WS_FLIP: usize = GM_CACHE_WALK + 24;
// The cache ways of the table pages of each level (page-cache.ts): PML4, PDPT, PD, PT.
export const WAY_PML4: usize = GM_CACHE_WAYS_OFF;
export const WAY_PDPT: usize = GM_CACHE_WAYS_OFF + 16;
export const WAY_PD: usize = GM_CACHE_WAYS_OFF + 32;
export const WAY_PT: usize = GM_CACHE_WAYS_OFF + 48;
// Where walkCached records each entry it reads (page-cache.ts; fetch-xlat.ts uses them). Only a
// real cache is written: with GM_CACHE_NONE the walk key never matches, so no entry is read.
export const REC_PML4E: usize = GM_CACHE_WALK_REC;
export const REC_PDPTE: usize = GM_CACHE_WALK_REC + 8;
export const REC_PDE: usize = GM_CACHE_WALK_REC + 16;
export const REC_PTE: usize = GM_CACHE_WALK_REC + 24;

/**
 * What walkPrepare's setup depends on besides CR4 and EFER: the access kind's bits (the walk looks
 * at no others) and MAXPHYADDR (as the reserved-bit shifts see it, mod 64). Never GM_CACHE_NO_KEY.
 */
@inline export function walkKey(regs: GuestPagingRegs, access: u32): u32 {
  return (access & (PF_WRITE | PF_USER | PF_FETCH)) | ((regs.maxPhysBits & 63) << 8);
}

/**
 * Makes the setup of walkCached for `regs` and `access` in `cache`; false when walkCached cannot
 * walk with them (not 4-level paging — CR4.PAE = 1, CR4.LA57 = 0, EFER.LMA = 1, §4.1.1 Table 4-1 —
 * or no cache to keep it in). The bits of acc that stop the walk (`bad`): reserved bits; R/W for
 * writes and U/S for user accesses (PF_WRITE and PF_USER are those bit positions); XD for fetches.
 * A supervisor fetch under SMEP must not reach a page user-accessible at every level: that is
 * bit 2 of acc being 0, so for it the bit is flipped back (`flip`) and tested too.
 */
function walkPrepare(cache: usize, regs: GuestPagingRegs, access: u32): bool {
  const cr4 = regs.cr4;
  const efer = regs.efer;
  if (cache == GM_CACHE_NONE || (cr4 & (CR4_PAE | CR4_LA57)) != CR4_PAE || (efer & EFER_LMA) == 0) return false;
  let bad = reservedMask(regs) | <u64>(access & (PF_WRITE | PF_USER));
  let flip: u64 = 0;
  if ((access & PF_FETCH) != 0) {
    bad |= PTE_XD;
    if ((access & PF_USER) == 0 && (cr4 & CR4_SMEP) != 0) {
      flip = PTE_US;
      bad |= PTE_US;
    }
  }
  store<u64>(cache, cr4, WS_CR4);
  store<u64>(cache, efer, WS_EFER);
  store<u64>(cache, bad, WS_BAD);
  store<u64>(cache, flip, WS_FLIP);
  store<u32>(cache, walkKey(regs, access), GM_CACHE_WALK_KEY);
  return true;
}

/** walkCached's answer for a table page not in the cache: the page and its way, for guestTranslateSlow. */
@inline function walkMiss(out: GuestWalk, table: u64, way: usize): WalkStatus {
  out.gpa = table;
  out.entry = <u64>way;
  return WALK_MISS;
}

/**
 * walkCached's last step at the entry `e` that maps the page (offsetMask: the page size − 1): the
 * test of `acc` (see walkCached) and the translation.
 */
@inline function walkLeaf(cache: usize, out: GuestWalk, e: u64, acc: u64, linear: u64, offsetMask: u64): WalkStatus {
  if (((acc ^ load<u64>(cache, WS_FLIP)) & load<u64>(cache, WS_BAD)) != 0) return WALK_CHECKED;
  out.gpa = (e & PTE_ADDR & ~offsetMask) | (linear & offsetMask);
  out.pageSize = offsetMask + 1;
  return WalkStatus.OK;
}

/**
 * The 4-level walk through the page cache, for the common case only: it answers OK exactly when
 * walkChecked would, with the same translation, and otherwise stops with WALK_MISS, WALK_PREPARE
 * or WALK_CHECKED (it may stop where walkChecked would answer OK: a supervisor write to a
 * read-only page, say). That lets it test less per level: P, and PS where it matters; each entry
 * is read from the cache way of its level, a tag compare and a load. Everything else is one test
 * at the end on `acc`, the OR of all entries XOR DENY_FLIP: bit 1 / bit 2 set when some level
 * denies writes / user access (§4.6: R/W and U/S count only where every level allows them), bit 63
 * when some level sets XD, and any reserved bit of any level (§4.5.4: 51:MAXPHYADDR, XD without
 * EFER.NXE). Which of those bits end the walk for this access (`bad`, `flip`) is fixed before it
 * starts (walkPrepare, kept in the cache). `cache`: synced (gmCacheSync) or GM_CACHE_NONE.
 * Each entry read is recorded in the cache (REC_*): after an OK, the entries of the levels the
 * translation used are the ones it was computed from (fetch-xlat.ts keeps them to revalidate it).
 * Written out level by level with plain returns, and calling nothing: a leaf.
 */
export function walkCached(cache: usize, regs: GuestPagingRegs, linear: u64, access: u32, out: GuestWalk): WalkStatus {
  store<u64>(changetype<usize>(out), 0, offsetof<GuestWalk>("errorCode")); // errorCode, gmStatus
  if (load<i32>(changetype<usize>(regs)) >= 0) { // CR0.PG (bit 31) = 0
    // No paging: linear addresses are 32 bits wide outside IA-32e mode (§4.1.1, §3.3).
    out.gpa = linear & 0xFFFFFFFF;
    out.pageSize = 4096;
    return WalkStatus.OK;
  }
  if (load<u32>(cache, GM_CACHE_WALK_KEY) != walkKey(regs, access)) return WALK_PREPARE;
  if (load<u64>(cache, WS_CR4) != regs.cr4) return WALK_PREPARE;
  if (load<u64>(cache, WS_EFER) != regs.efer) return WALK_PREPARE;
  // Canonical: bits 63:47 all equal (§3.3.7.1), i.e. linear + 2^47 < 2^48.
  if (((linear + (<u64>1 << 47)) >> 48) != 0) return WALK_CHECKED;
  // PML4E (Table 4-15): PS is reserved. Each entry's offset in its table (index × 8) comes
  // straight from the linear address.
  let table = regs.cr3 & PTE_ADDR;
  if (load<u64>(cache, WAY_PML4) != table) return walkMiss(out, table, cache + WAY_PML4);
  let e = load<u64>(load<usize>(cache, WAY_PML4 + 8) + (<usize>(linear >> 36) & 0xFF8));
  store<u64>(cache, e, REC_PML4E);
  if ((e & PTE_P) == 0) return WALK_CHECKED;
  if ((e & PTE_PS) != 0) return WALK_CHECKED;
  let acc = e ^ DENY_FLIP;
  // PDPTE (Tables 4-16, 4-17): PS = 1 maps a 1 GiB page, bits 29:13 reserved.
  table = e & PTE_ADDR;
  if (load<u64>(cache, WAY_PDPT) != table) return walkMiss(out, table, cache + WAY_PDPT);
  e = load<u64>(load<usize>(cache, WAY_PDPT + 8) + (<usize>(linear >> 27) & 0xFF8));
  store<u64>(cache, e, REC_PDPTE);
  if ((e & PTE_P) == 0) return WALK_CHECKED;
  acc |= e ^ DENY_FLIP;
  if ((e & PTE_PS) != 0) {
    if ((e & RSVD_1G) != 0) return WALK_CHECKED;
    return walkLeaf(cache, out, e, acc, linear, (<u64>1 << 30) - 1);
  }
  // PDE (Tables 4-18, 4-19): PS = 1 maps a 2 MiB page, bits 20:13 reserved.
  table = e & PTE_ADDR;
  if (load<u64>(cache, WAY_PD) != table) return walkMiss(out, table, cache + WAY_PD);
  e = load<u64>(load<usize>(cache, WAY_PD + 8) + (<usize>(linear >> 18) & 0xFF8));
  store<u64>(cache, e, REC_PDE);
  if ((e & PTE_P) == 0) return WALK_CHECKED;
  acc |= e ^ DENY_FLIP;
  if ((e & PTE_PS) != 0) {
    if ((e & RSVD_2M) != 0) return WALK_CHECKED;
    return walkLeaf(cache, out, e, acc, linear, (<u64>1 << 21) - 1);
  }
  // PTE (Table 4-20): maps a 4 KiB page.
  table = e & PTE_ADDR;
  if (load<u64>(cache, WAY_PT) != table) return walkMiss(out, table, cache + WAY_PT);
  e = load<u64>(load<usize>(cache, WAY_PT + 8) + (<usize>(linear >> 9) & 0xFF8));
  store<u64>(cache, e, REC_PTE);
  if ((e & PTE_P) == 0) return WALK_CHECKED;
  acc |= e ^ DENY_FLIP;
  return walkLeaf(cache, out, e, acc, linear, 4095);
}

/**
 * Whether an access of kind `access` is allowed by the rights gathered over the walk (§4.6):
 * `allowed` = AND of all entries (R/W, U/S count only where every level allows them), `xd` = OR
 * of all entries (bit 63: XD where any level sets it; without EFER.NXE, XD is a reserved bit and
 * faulted before this). User accesses need U/S = 1; writes need R/W = 1 for user accesses, and for
 * supervisor ones when CR0.WP = 1; fetches fail on XD and, for supervisor fetches from user
 * pages, under SMEP. Written as nested tests: each is one test-and-branch.
 */
@inline function rightsOk(regs: GuestPagingRegs, access: u32, allowed: u64, xd: u64): bool {
  if ((access & PF_USER) != 0) {
    if ((allowed & PTE_US) == 0) return false;
    if ((access & PF_WRITE) != 0) {
      if ((allowed & PTE_RW) == 0) return false;
    }
  } else {
    if ((access & PF_WRITE) != 0) {
      if ((allowed & PTE_RW) == 0) {
        if ((regs.cr0 & CR0_WP) != 0) return false;
      }
    }
    if ((access & PF_FETCH) != 0) {
      if ((allowed & PTE_US) != 0) {
        if ((regs.cr4 & CR4_SMEP) != 0) return false;
      }
    }
  }
  if ((access & PF_FETCH) != 0) {
    if (<i64>xd < 0) return false;
  }
  return true;
}

/**
 * The walk with every check, in the order the SDM gives them, and every entry read through
 * GuestMemory (gmReadQword): the reference for walkCached, and the walk for everything it does not
 * answer (faults, tables outside cacheable RAM, other paging modes).
 */
function walkChecked<M>(gm: GuestMemory, mem: M, regs: GuestPagingRegs, linear: u64, access: u32, out: GuestWalk): WalkStatus {
  out.errorCode = 0;
  out.gmStatus = 0;
  if ((regs.cr0 & CR0_PG) == 0) {
    out.gpa = linear & 0xFFFFFFFF;
    out.pageSize = 4096;
    return WalkStatus.OK;
  }
  if ((regs.cr4 & CR4_PAE) == 0 || (regs.efer & EFER_LMA) == 0 || (regs.cr4 & CR4_LA57) != 0) {
    return WalkStatus.UNSUPPORTED_MODE;
  }
  const top = linear >> 47;
  if (top != 0 && top != 0x1FFFF) return WalkStatus.NON_CANONICAL;

  const rsvd = reservedMask(regs);
  const nxe = (regs.efer & EFER_NXE) != 0;
  // The error code's I/D bit: instruction fetches with EFER.NXE or CR4.SMEP (§4.7).
  const fetchBit = (access & PF_FETCH) != 0 && (nxe || (regs.cr4 & CR4_SMEP) != 0) ? PF_FETCH : 0;
  const codeBase = (access & (PF_WRITE | PF_USER)) | fetchBit;
  let table = regs.cr3 & PTE_ADDR;
  let allowed: u64 = PTE_RW | PTE_US;
  let xd: u64 = 0;
  const cell = changetype<usize>(out) + offsetof<GuestWalk>("entry");
  for (let level: u32 = 4; level >= 1; level--) {
    const shift = 12 + 9 * (level - 1);
    const st = gmReadQword<M>(gm, mem, table + ((linear >> shift) & 511) * 8, cell);
    if (st != GmStatus.OK) { out.gmStatus = st; return WalkStatus.GUEST_MEMORY; }
    const e = out.entry;
    if ((e & PTE_P) == 0) return fault(out, codeBase);
    // PS is reserved in a PML4E; a PS entry at levels 3 and 2 maps a large page, whose own
    // reserved bits (below its address) count too.
    const large = level != 4 && level != 1 && (e & PTE_PS) != 0;
    const bad = rsvd | (level == 4 ? PTE_PS : large ? (level == 3 ? RSVD_1G : RSVD_2M) : 0);
    if ((e & bad) != 0) return fault(out, codeBase | PF_PRESENT | PF_RSVD);
    allowed &= e;
    xd |= e & PTE_XD;
    if (large || level == 1) {
      if (!rightsOk(regs, access, allowed, xd)) return fault(out, codeBase | PF_PRESENT);
      const size = <u64>1 << shift;
      out.gpa = (e & PTE_ADDR & ~(size - 1)) | (linear & (size - 1));
      out.pageSize = size;
      return WalkStatus.OK;
    }
    table = e & PTE_ADDR;
  }
  return WalkStatus.UNSUPPORTED_MODE; // not reached: level 1 always ends the walk
}

function fault(out: GuestWalk, code: u32): WalkStatus {
  out.errorCode = code;
  return WalkStatus.PAGE_FAULT;
}
