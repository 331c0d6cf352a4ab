// The instruction-fetch translation cache: one vCPU's last (paging registers, linear page) → host
// page of its instruction fetch, for the MMIO exit path (guest-fetch.ts guestFetchHeadCached). A
// driver's MMIO loop exits at the same few instructions, so the fetch translates the same linear
// page exit after exit; walking the guest's tables again (SDM Vol 3A §4.5, guest-paging.ts
// walkCached) is most of the fetch's cost.
//
// A translation is never trusted as such: the guest may rewrite its paging structures at any time
// without an exit (INVLPG and MOV CR3 do not exit under EPT), so each use revalidates it. What a
// walk's answer depends on is: the paging registers (CR0, CR3, CR4, EFER; compared whole), the
// access kind and MAXPHYADDR, the linear page, and the values of the entries it read — each found
// at a guest-physical address that the previous entry (or CR3) names. The cache keeps the host
// address and the value of each entry the walk used (walkCached records them, REC_* in the page
// cache header) and compares each one's current value with the kept one: when all are equal the
// walk would read exactly the same entries and give the same answer. Host addresses of guest pages
// stay valid while the EPT generation and the GuestMemory are the ones the page cache was filled
// under (page-cache.ts): both are part of the key. Levels a walk did not use (large pages, no
// paging) point at a constant zero qword, so every lookup compares four entries, without branches
// on the page size.
//
// Layout, XLAT_SIZE bytes (caller-owned, one per vCPU; zeroed memory is an empty cache: EPT
// generation 0 is never current):
//   0 EPT generation (u64)   8 gm (usize)   12 pad
//  24 CR0   32 CR3   40 CR4   48 EFER   56 page key (u64: the linear page | maxPhysBits << 5 |
//  access kind, pageKey)   64 host address of the 4 KiB guest-physical page it maps to (usize)
//  68 pad   72 4 × entry host address (usize)   88 4 × entry value (u64)

import { GuestMemory } from "./guest-memory";
import { eptChangeCount } from "./table";
import { GmPageCache } from "./page-cache";
import {
  GuestPagingRegs, GuestWalk, WAY_PML4, WAY_PDPT, WAY_PD, WAY_PT, REC_PML4E, REC_PDPTE, REC_PDE, REC_PTE,
} from "./guest-paging";

const XL_GEN: usize = 0;
const XL_GM: usize = 8;
const XL_CR0: usize = 24;
const XL_CR3: usize = 32;
const XL_CR4: usize = 40;
const XL_EFER: usize = 48;
const XL_PAGE: usize = 56;
const XL_HOST: usize = 64;
const XL_PTR: usize = 72;
const XL_VAL: usize = 88;
export const XLAT_SIZE: usize = 120;

/** What unused levels point at: never written, so it always reads 0. */
const ZERO_ENTRY: usize = memory.data<u64>([0]);

/**
 * The linear page, MAXPHYADDR and the access kind in one u64, compared at once: the page's low 12
 * bits are 0, the access kind is PF_* bits (guest-paging.ts: bits 4:0, < 32) and MAXPHYADDR is at
 * most 52 (SDM Vol 3A §4.1.4; < 128), so bits 4:0 and 11:5 hold them without overlap and equal
 * keys mean equal (page, MAXPHYADDR, access). Callers keep to those ranges (the walk's access
 * kinds; guestMaxPhysBits).
 */
@inline function pageKey(linear: u64, maxPhysBits: u32, access: u32): u64 {
  return (linear & ~(<u64>4095)) | <u64>((maxPhysBits << 5) | access);
}

// Kept entry i (0…3): its host address at XL_PTR + 4i, its value at XL_VAL + 8i (written out per
// entry below: load offsets must be constants).

/**
 * The host address of the 4 KiB page holding `linear` for an instruction fetch of kind `access`
 * under `regs`, when the cache `x` holds a translation that is still what walkCached (and so
 * walkChecked) would answer now; 0 otherwise. Compares only, calls nothing.
 */
@inline export function xlatLookup(x: usize, gm: GuestMemory, regs: GuestPagingRegs, linear: u64, access: u32): usize {
  if (load<u64>(x, XL_PAGE) != pageKey(linear, regs.maxPhysBits, access)) return 0;
  if (load<u64>(x, XL_CR3) != regs.cr3) return 0;
  if (load<u64>(x, XL_CR0) != regs.cr0) return 0;
  if (load<u64>(x, XL_CR4) != regs.cr4) return 0;
  if (load<u64>(x, XL_EFER) != regs.efer) return 0;
  if (load<u64>(x, XL_GEN) != eptChangeCount()) return 0;
  if (load<usize>(x, XL_GM) != changetype<usize>(gm)) return 0;
  // Each entry the walk used still holds the value it had (unused levels: ZERO_ENTRY, 0).
  if (load<u64>(load<usize>(x, XL_PTR)) != load<u64>(x, XL_VAL)) return 0;
  if (load<u64>(load<usize>(x, XL_PTR + 4)) != load<u64>(x, XL_VAL + 8)) return 0;
  if (load<u64>(load<usize>(x, XL_PTR + 8)) != load<u64>(x, XL_VAL + 16)) return 0;
  if (load<u64>(load<usize>(x, XL_PTR + 12)) != load<u64>(x, XL_VAL + 24)) return 0;
  return load<usize>(x, XL_HOST);
}

/**
 * Keeps in `x` the translation walkCached just made. Invariants: walkCached answered OK for
 * (`regs`, `linear`, `access`) through the page cache `cache` (synced for `gm`: its generation is
 * current) into `walk`, nothing has used the cache since, and `host` is the host address of the
 * 4 KiB guest-physical page walk.gpa lies in (its cache way's). The entries kept are the ones
 * walkCached recorded, at the places it read them: the ways of its levels are unchanged since.
 */
export function xlatFill(
  x: usize, cache: usize, gm: GuestMemory, regs: GuestPagingRegs, linear: u64, access: u32, walk: GuestWalk,
  host: usize,
): void {
  // The levels the translation used (§4.5.4): none without paging, 4 for a 4 KiB page, 3 for a
  // 2 MiB page, 2 for a 1 GiB page (walkCached walks 4-level paging only).
  let levels: u32 = 0;
  if (load<i32>(changetype<usize>(regs)) < 0) { // CR0.PG
    const size = walk.pageSize;
    levels = size == 4096 ? 4 : size == (<u64>1 << 21) ? 3 : 2;
  }
  keepLevel(x, 0, levels > 0, cache, WAY_PML4, REC_PML4E, linear >> 36);
  keepLevel(x, 1, levels > 1, cache, WAY_PDPT, REC_PDPTE, linear >> 27);
  keepLevel(x, 2, levels > 2, cache, WAY_PD, REC_PDE, linear >> 18);
  keepLevel(x, 3, levels > 3, cache, WAY_PT, REC_PTE, linear >> 9);
  store<u64>(x, pageKey(linear, regs.maxPhysBits, access), XL_PAGE);
  store<u64>(x, regs.cr0, XL_CR0);
  store<u64>(x, regs.cr3, XL_CR3);
  store<u64>(x, regs.cr4, XL_CR4);
  store<u64>(x, regs.efer, XL_EFER);
  store<usize>(x, host, XL_HOST);
  store<usize>(x, changetype<usize>(gm), XL_GM);
  store<u64>(x, changetype<GmPageCache>(cache).generation, XL_GEN);
}

/**
 * Kept entry `i`: where walkCached read it (its level's way + the index bits of the linear
 * address, `shifted` = linear >> (level shift − 3)) and the value it read; or ZERO_ENTRY and 0
 * for a level the translation did not use.
 */
@inline function keepLevel(x: usize, i: usize, used: bool, cache: usize, way: usize, rec: usize, shifted: u64): void {
  let ptr = ZERO_ENTRY;
  let value: u64 = 0;
  if (used) {
    ptr = load<usize>(cache + way, 8) + (<usize>shifted & 0xFF8);
    value = load<u64>(cache + rec);
  }
  store<usize>(x + (i << 2), ptr, XL_PTR);
  store<u64>(x + (i << 3), value, XL_VAL);
}

/** Empties `x` (what a VMM-side change that the key does not cover would need; tests use it). */
export function xlatReset(x: usize): void {
  store<u64>(x, 0, XL_GEN);
  store<u64>(x, 1, XL_PAGE); // besides generation 0: no key of a fetch (PF_FETCH, bit 4) is 1
}
