// Instruction fetch from guest-linear memory (SDM Vol 3A §4.5 translation, guest-paging.ts), for
// the emulators that decode the instruction that caused an exit (MMIO: src/vmm/exits/ept.ts). An
// x86 instruction is at most 15 bytes (Vol 2 §2.3.11) and may cross a page boundary, where the
// second page has its own translation and may fault; the CPU faults only if the instruction
// actually needs bytes from there. So the fetch comes in two steps:
//
//   guestFetchHead  the bytes from the linear address to the end of its 4 KiB page (at most 15):
//                   one walk and, on a page-cache hit, two qword moves. Decoding usually ends
//                   inside them.
//   guestFetch      all `len` bytes, page by page (each page walked): for an instruction the
//                   decoder found truncated at the page end.

import { GuestMemory, GmStatus, smallCopy, gmReadShort } from "./guest-memory";
import { GM_CACHE_SIZE, gmCacheValid, gmCacheDataWay, gmCacheFill, gmReadShortCached } from "./page-cache";
import { GuestPagingRegs, GuestWalk, WalkStatus, guestTranslate, walkCached, CR0_PG } from "./guest-paging";
import { XLAT_SIZE, xlatLookup, xlatFill } from "./fetch-xlat";

/** Longest x86 instruction (Vol 2 §2.3.11). */
const MAX_INSN: u32 = 15;

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

/**
 * Where one vCPU's instruction fetches work (caller-owned, one per vCPU: CPUs never share one),
 * everything at a fixed offset from one pointer, so that the exit path passes and keeps one
 * register for all of it (and the compiled code reloads from memory rather than keeping values
 * alive across calls). FETCH_STATE_SIZE bytes:
 *   0 GmPageCache (GM_CACHE_SIZE, page-cache.ts)   FS_REGS GuestPagingRegs (the caller fills it)
 *   FS_WALK GuestWalk (the walk's result)           FS_BYTES the fetched bytes (16)
 *   FS_LINEAR the linear address (u64) and FS_ACCESS the access kind (u32) of the fetch: the
 *   caller fills them
 *   FS_XLAT the instruction-fetch translation cache (XLAT_SIZE, fetch-xlat.ts)
 */
export const FS_REGS: usize = GM_CACHE_SIZE;
export const FS_WALK: usize = FS_REGS + 48; // GuestPagingRegs: 40 bytes, 8 spare
export const FS_BYTES: usize = FS_WALK + 32; // GuestWalk: 32 bytes
export const FS_LINEAR: usize = FS_BYTES + 16;
export const FS_ACCESS: usize = FS_LINEAR + 8;
export const FS_XLAT: usize = FS_ACCESS + 8;
export const FETCH_STATE_SIZE: usize = FS_XLAT + XLAT_SIZE;

/**
 * The first step of an instruction fetch with fetch state `fs` (paging registers, linear address
 * and access kind filled in): the bytes from the linear address to the end of its 4 KiB page, at
 * most 15, copied to fs + FS_BYTES (a 16th byte may be written, never counted). Returns how many
 * were copied: 0 when the walk failed (the GuestWalk at fs + FS_WALK says why) or the page could
 * not be read (its gmStatus). Every byte comes from the same 4 KiB page, so one translation covers
 * them (a large page is contiguous in guest-physical space, and a 4 KiB part of it is one page of
 * the cache). The common case — cache valid, every page in it, nothing to report — is the leaf
 * walkCached and two qword moves; anything else is guestFetchHeadSlow.
 */
export function guestFetchHead<M>(gm: GuestMemory, mem: M, fs: usize): u32 {
  const n = guestFetchHeadCached(gm, fs);
  if (n != 0) return n;
  return guestFetchHeadSlow<M>(gm, mem, fs);
}

/**
 * guestFetchHead's common case on its own (for callers that keep nothing alive across the slow
 * path): the bytes, or 0 when it cannot tell (cache stale, a table or code page not in it, a
 * fault, anything unusual) and guestFetchHeadSlow must answer. First the translation cache
 * (fetch-xlat.ts: the last fetch's translation, revalidated entry by entry), then walkCached.
 * On a translation-cache hit the GuestWalk at FS_WALK is left as it was (it says something only
 * when 0 is returned).
 */
@inline export function guestFetchHeadCached(gm: GuestMemory, fs: usize): u32 {
  const linear = load<u64>(fs, FS_LINEAR);
  const host = xlatLookup(fs + FS_XLAT, gm, changetype<GuestPagingRegs>(fs + FS_REGS), linear, load<u32>(fs, FS_ACCESS));
  if (host == 0) return guestFetchHeadWalk(gm, fs);
  const off = <usize>linear & 4095; // = the guest-physical address's: pages are 4 KiB aligned
  return copyHead(host + off, fs + FS_BYTES, off);
}

/** guestFetchHeadCached without a translation-cache hit: walkCached, then its translation kept. */
export function guestFetchHeadWalk(gm: GuestMemory, fs: usize): u32 {
  if (!gmCacheValid(fs, gm)) return 0;
  const regs = changetype<GuestPagingRegs>(fs + FS_REGS);
  const linear = load<u64>(fs, FS_LINEAR);
  const access = load<u32>(fs, FS_ACCESS);
  const walk = changetype<GuestWalk>(fs + FS_WALK);
  const st = walkCached(fs, regs, linear, access, walk);
  if (st != WalkStatus.OK) return 0;
  const gpa = walk.gpa;
  const way = gmCacheDataWay(fs, gpa & ~(<u64>4095));
  if (load<u64>(way) != (gpa & ~(<u64>4095))) return 0;
  const host = load<usize>(way, 8);
  xlatFill(fs + FS_XLAT, fs, gm, regs, linear, access, walk, host);
  const off = <usize>gpa & 4095;
  return copyHead(host + off, fs + FS_BYTES, off);
}

/**
 * Copies the bytes at host `src` (offset `off` in its page) up to the page end, at most 15, to
 * `dst` (16 bytes); returns how many.
 */
@inline function copyHead(src: usize, dst: usize, off: usize): u32 {
  if (off <= 4096 - 16) {
    // 16 bytes in the page: two qword moves (the 16th byte is never looked at).
    const a = load<u64>(src);
    const b = load<u64>(src, 8);
    store<u64>(dst, a);
    store<u64>(dst, b, 8);
    return MAX_INSN;
  }
  const left: u32 = 4096 - <u32>off;
  smallCopy(dst, src, left);
  return left;
}

/** guestFetchHead's general case: the walk through guestTranslate, the bytes through the cache or checked. Exact in every case. */
export function guestFetchHeadSlow<M>(gm: GuestMemory, mem: M, fs: usize): u32 {
  const out = changetype<GuestWalk>(fs + FS_WALK);
  const regs = changetype<GuestPagingRegs>(fs + FS_REGS);
  const st = guestTranslate<M>(gm, mem, regs, load<u64>(fs, FS_LINEAR), load<u32>(fs, FS_ACCESS), out, fs);
  if (st != WalkStatus.OK) return 0;
  const gpa = out.gpa;
  const page = gpa & ~(<u64>4095);
  const way = gmCacheDataWay(fs, page); // the cache is synced (guestTranslate)
  if (load<u64>(way) != page) {
    if (!gmCacheFill<M>(fs, gm, mem, page, way)) return fetchChecked<M>(gm, mem, gpa, fs + FS_BYTES, out);
  }
  const off = <usize>gpa & 4095;
  return copyHead(load<usize>(way, 8) + off, fs + FS_BYTES, off);
}

/** guestFetchHead from a page the cache cannot hold: the checked read (gmReadShort). */
function fetchChecked<M>(gm: GuestMemory, mem: M, gpa: u64, dst: usize, out: GuestWalk): u32 {
  const left: u32 = 4096 - (<u32>gpa & 4095);
  const n = left > MAX_INSN ? MAX_INSN : left;
  const st = gmReadShort<M>(gm, mem, gpa, dst, n);
  if (st != GmStatus.OK) {
    out.gmStatus = st;
    return 0;
  }
  return n;
}
