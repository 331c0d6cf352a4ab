// GmPageCache: a vCPU's cache of the guest pages its exits read again and again (SDM-free: this
// is GuestMemory bookkeeping). Every MMIO exit walks the guest's page tables (up to four qwords)
// and fetches the instruction; a guest's MMIO comes from a few driver code pages through the same
// few table pages, so the same handful of guest pages is checked and translated on every exit.
// The cache remembers, for a few 4 KiB guest pages, that the whole page is RAM, mapped readable
// WB and reachable, and where it is in host memory, so a read inside it skips the RAM-map check
// and the EPT walk. It is caller-owned (one per vCPU: CPUs never share one), valid only for one
// GuestMemory and while no EPT changed (table.ts eptChangeCount counts every change that can end
// a translation, and the creation and destruction of hierarchies); otherwise it starts empty. The
// RAM map does not change while vCPUs run (GuestMemory's contract). Only reads use it, and a
// cached read returns exactly what the uncached one would.
//
// It caches where guest-*physical* pages are, never guest-linear translations: the guest may
// change its own page tables at any time without an exit (INVLPG and CR3 writes do not exit under
// EPT), so every walk reads the entries again.
//
// Layout, GM_CACHE_SIZE bytes (any content is valid: a stale generation empties it):
//   0 generation (u64)   8 gm (usize)   12 walk key (u32)   16…63 the walk's setup (guest-paging.ts:
//     derived from the paging registers and the access kind, valid while the key matches; the
//     reset makes the key unmatchable)
//  64 the entries the last cached walk read (4 × u64, PML4E … PTE; guest-paging.ts walkCached
//     records them for the instruction-fetch translation cache, fetch-xlat.ts)
//  96 GM_CACHE_WAYS × { tag (u64): the guest page's address (4 KiB aligned), or 1 (empty: no
//                       page address is odd)   host (usize): mem.ptr() of the page   pad (u32) }
// Ways 0…3 hold the table page last read at each paging level (PML4, PDPT, PD, PT: a walk looks at
// exactly one way per level, found without hashing), ways 4…7 any other page, by the low bits of
// its page number (the instruction fetch's code page, other reads).
//
// The hot users (guest-paging.ts, guest-fetch.ts) look up a way themselves, inline, after one
// gmCacheSync: compare its tag, load its host address. A miss is filled by gmCacheFill.

import { EPT_READ, EPT_MT_WB, eptPerms, eptMemType } from "./entry";
import { Ept, eptLookupLeaf, leafHpa, eptChangeCount } from "./table";
import { GuestMemory, GmStatus, ramBytesLeft, smallCopy, gmReadQword, gmReadShort } from "./guest-memory";

export const GM_CACHE_WAYS: u32 = 8;
/** Offset of the walk key and of the walk's setup (guest-paging.ts), and of the ways. */
export const GM_CACHE_WALK_KEY: usize = 12;
export const GM_CACHE_WALK: usize = 16;
/** Offset of the entries walkCached read last (PML4E, PDPTE, PDE, PTE: u64 each). */
export const GM_CACHE_WALK_REC: usize = 64;
export const GM_CACHE_WAYS_OFF: usize = 96;
export const GM_CACHE_SIZE: u32 = <u32>GM_CACHE_WAYS_OFF + GM_CACHE_WAYS * 16;
/** Tag of an empty way: odd, so no page address equals it. */
const EMPTY_TAG: u64 = 1;
/** Walk key after a reset: matches no key guest-paging.ts makes. */
export const GM_CACHE_NO_KEY: u32 = 0xFFFFFFFF;
const WAYS_OFF: usize = GM_CACHE_WAYS_OFF;
/** The first of the ways found by page number, and their number (a power of two). */
const DATA_WAY0: u32 = 4;
const DATA_WAYS: u32 = 4;

@unmanaged export class GmPageCache {
  generation: u64;
  gm: usize;
  walkKey: u32;
}

/**
 * A cache that is always empty and never filled: what a caller without a cache (cache = 0) reads
 * through, so the walk has one code path. Its generation (0) never matches eptChangeCount (which
 * starts at 1), but gmCacheSync leaves it alone (it is shared by all CPUs: nobody writes it).
 */
export const GM_CACHE_NONE: usize = memory.data<u64>([
  0, <u64>GM_CACHE_NO_KEY << 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  EMPTY_TAG, 0, EMPTY_TAG, 0, EMPTY_TAG, 0, EMPTY_TAG, 0,
  EMPTY_TAG, 0, EMPTY_TAG, 0, EMPTY_TAG, 0, EMPTY_TAG, 0,
]);

/** `cache`, or GM_CACHE_NONE for "no cache" (0). */
@inline export function gmCacheOrNone(cache: usize): usize { return cache != 0 ? cache : GM_CACHE_NONE; }

/** Empties `cache` and binds it to `gm` and the current EPT generation (GM_CACHE_NONE: nothing). */
function gmCacheReset(cache: usize, gm: GuestMemory): void {
  if (cache == GM_CACHE_NONE) return;
  const c = changetype<GmPageCache>(cache);
  for (let i: u32 = 0; i < GM_CACHE_WAYS; i++) store<u64>(cache + WAYS_OFF + (<usize>i << 4), EMPTY_TAG);
  store<u32>(cache, GM_CACHE_NO_KEY, GM_CACHE_WALK_KEY);
  c.generation = eptChangeCount();
  c.gm = changetype<usize>(gm);
}

/**
 * Makes `cache` (a real cache or GM_CACHE_NONE) valid for `gm` now: emptied when an EPT changed
 * or it served another GuestMemory. Called once per walk or read, before any way is looked at.
 */
@inline export function gmCacheSync(cache: usize, gm: GuestMemory): void {
  const c = changetype<GmPageCache>(cache);
  if (c.generation != eptChangeCount()) {
    gmCacheReset(cache, gm);
  } else if (c.gm != changetype<usize>(gm)) {
    gmCacheReset(cache, gm);
  }
}

/** Whether `cache` is valid for `gm` now (gmCacheSync would change nothing). */
@inline export function gmCacheValid(cache: usize, gm: GuestMemory): bool {
  const c = changetype<GmPageCache>(cache);
  if (c.generation != eptChangeCount()) return false;
  return c.gm == changetype<usize>(gm);
}

/** The way where the 4 KiB-aligned guest page `page` is looked for outside page walks. */
@inline export function gmCacheDataWay(cache: usize, page: u64): usize {
  return cache + WAYS_OFF + (<usize>DATA_WAY0 << 4) + (<usize>(page >> 8) & <usize>((DATA_WAYS - 1) << 4));
}

/**
 * Puts guest page `page` (4 KiB aligned) into `way` of `cache` when the whole page is readable
 * guest RAM (so any read inside it would pass the checks of a GuestMemory read): true when it did.
 * False for GM_CACHE_NONE, a cache not synced for `gm` now, or a page that is not all readable WB
 * RAM reachable through `mem` (the caller then reads the checked way).
 */
export function gmCacheFill<M>(cache: usize, gm: GuestMemory, mem: M, page: u64, way: usize): bool {
  if (cache == GM_CACHE_NONE) return false;
  const c = changetype<GmPageCache>(cache);
  if (c.generation != eptChangeCount() || c.gm != changetype<usize>(gm)) return false;
  if (ramBytesLeft(gm, page) < 4096) return false;
  const leaf = eptLookupLeaf<M>(changetype<Ept>(gm.ept), mem, page);
  if (leaf == 0 || (eptPerms(leaf) & EPT_READ) == 0 || eptMemType(leaf) != EPT_MT_WB) return false;
  const hpa = leafHpa(leaf, page);
  if (!mem.reaches(hpa, 4096)) return false;
  store<u64>(way, page);
  store<usize>(way, mem.ptr(hpa), 8);
  return true;
}

/** gmReadQword through `cache` (0: none): the same status and value, faster on a known page. */
export function gmReadQwordCached<M>(gm: GuestMemory, mem: M, cache: usize, gpa: u64, out: usize): GmStatus {
  const cc = gmCacheOrNone(cache);
  gmCacheSync(cc, gm);
  const page = gpa & ~(<u64>4095);
  const way = gmCacheDataWay(cc, page);
  if (load<u64>(way) == page && (gpa & 7) == 0) {
    store<u64>(out, load<u64>(load<usize>(way, 8) + <usize>(gpa & 4095)));
    return GmStatus.OK;
  }
  const st = gmReadQword<M>(gm, mem, gpa, out);
  if (st == GmStatus.OK) gmCacheFill<M>(cc, gm, mem, page, way);
  return st;
}

/** gmReadShort through `cache` (0: none): the same status and bytes, faster on a known page. */
export function gmReadShortCached<M>(gm: GuestMemory, mem: M, cache: usize, gpa: u64, dst: usize, len: u32): GmStatus {
  const cc = gmCacheOrNone(cache);
  gmCacheSync(cc, gm);
  const page = gpa & ~(<u64>4095);
  const way = gmCacheDataWay(cc, page);
  if (load<u64>(way) == page && len - 1 < 16 && (gpa & 4095) + <u64>len <= 4096) {
    smallCopy(dst, load<usize>(way, 8) + <usize>(gpa & 4095), len);
    return GmStatus.OK;
  }
  const st = gmReadShort<M>(gm, mem, gpa, dst, len);
  if (st == GmStatus.OK) gmCacheFill<M>(cc, gm, mem, page, way);
  return st;
}
