// GmPageCache: a vCPU's cache of the guest pages its exits read again and again (SDM-free: this
// is GuestMemory bookkeeping). Every MMIO exit walks the guest's page tables (up to four qwords)
// and fetches the instruction; a guest's MMIO comes from a few driver code pages through the same
// few table pages, so the same handful of guest pages is checked and translated on every exit.
// The cache remembers, for up to GM_CACHE_WAYS 4 KiB guest pages, that the whole page is RAM,
// mapped readable WB and reachable, and its host address, so a read inside it skips the RAM-map
// check and the EPT walk. It is caller-owned (one per vCPU: CPUs never share one), valid only for
// one GuestMemory and while no EPT changed (table.ts eptChangeCount counts every change that can
// end a translation, and the creation and destruction of hierarchies); otherwise it starts empty.
// The RAM map does not change while vCPUs run (GuestMemory's contract). Only reads use it, and a
// cached read returns exactly what the uncached one would.
//
// Layout, GM_CACHE_SIZE bytes (any content is valid: a stale generation empties it):
//   0 generation (u64)   8 gm (usize)   12 pad
//  16 GM_CACHE_WAYS × { page (u64): gpa >> 12, plus 1 (0 = empty)   host (u64): host page | 1 }

import { EPT_READ, EPT_MT_WB, eptPerms, eptMemType } from "./entry";
import { Ept, eptLookupLeaf, leafHpa, eptChangeCount } from "./table";
import { GuestMemory, GmStatus, ramBytesLeft, smallCopy, gmReadQword, gmReadShort } from "./guest-memory";

export const GM_CACHE_WAYS: u32 = 4;
export const GM_CACHE_SIZE: u32 = 16 + GM_CACHE_WAYS * 16;

@unmanaged export class GmPageCache {
  generation: u64;
  gm: usize;
  _pad: u32;
}

/** The way of guest page number `pn` (direct-mapped). */
@inline function cacheWay(c: GmPageCache, pn: u64): usize {
  return changetype<usize>(c) + 16 + (<usize>(pn & <u64>(GM_CACHE_WAYS - 1)) << 4);
}

/** Host-physical address of readable RAM byte `gpa` if the cache knows its page, else 0. */
@inline function cacheHit(c: GmPageCache, gm: GuestMemory, gpa: u64): u64 {
  if (c.generation != eptChangeCount() || c.gm != changetype<usize>(gm)) {
    memory.fill(changetype<usize>(c) + 16, 0, GM_CACHE_WAYS * 16);
    c.generation = eptChangeCount();
    c.gm = changetype<usize>(gm);
    return 0;
  }
  const pn = gpa >> 12;
  const way = cacheWay(c, pn);
  if (load<u64>(way) != pn + 1) return 0;
  return (load<u64>(way + 8) & ~(<u64>1)) | (gpa & 4095);
}

/**
 * After a checked read of `gpa` succeeded: remembers its 4 KiB page when the whole page is
 * readable guest RAM (so any later read inside it would pass the same checks).
 */
function cacheFill<M>(c: GmPageCache, gm: GuestMemory, mem: M, gpa: u64): void {
  if (c.generation != eptChangeCount() || c.gm != changetype<usize>(gm)) return;
  const page = gpa & ~(<u64>4095);
  if (ramBytesLeft(gm, page) < 4096) return;
  const leaf = eptLookupLeaf<M>(changetype<Ept>(gm.ept), mem, page);
  if (leaf == 0 || (eptPerms(leaf) & EPT_READ) == 0 || eptMemType(leaf) != EPT_MT_WB) return;
  const hpa = leafHpa(leaf, page);
  if (!mem.reaches(hpa, 4096)) return;
  const way = cacheWay(c, page >> 12);
  store<u64>(way, (page >> 12) + 1);
  store<u64>(way + 8, hpa | 1);
}

/** gmReadQword through `cache` (0: none): the same status and value, faster on a known page. */
export function gmReadQwordCached<M>(gm: GuestMemory, mem: M, cache: usize, gpa: u64, out: usize): GmStatus {
  if (cache == 0) return gmReadQword<M>(gm, mem, gpa, out);
  const c = changetype<GmPageCache>(cache);
  const hpa = cacheHit(c, gm, gpa);
  if (hpa != 0 && (gpa & 7) == 0) {
    store<u64>(out, load<u64>(mem.ptr(hpa)));
    return GmStatus.OK;
  }
  const st = gmReadQword<M>(gm, mem, gpa, out);
  if (st == GmStatus.OK) cacheFill<M>(c, gm, mem, gpa);
  return st;
}

/** gmReadShort through `cache` (0: none): the same status and bytes, faster on a known page. */
export function gmReadShortCached<M>(gm: GuestMemory, mem: M, cache: usize, gpa: u64, dst: usize, len: u32): GmStatus {
  if (cache == 0) return gmReadShort<M>(gm, mem, gpa, dst, len);
  const c = changetype<GmPageCache>(cache);
  const hpa = cacheHit(c, gm, gpa);
  if (hpa != 0 && len - 1 < 16 && (gpa & 4095) + <u64>len <= 4096) {
    smallCopy(dst, mem.ptr(hpa), len);
    return GmStatus.OK;
  }
  const st = gmReadShort<M>(gm, mem, gpa, dst, len);
  if (st == GmStatus.OK) cacheFill<M>(c, gm, mem, gpa);
  return st;
}
