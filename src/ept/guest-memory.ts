// GuestMemory: the only way the rest of the core reads or writes guest RAM (DESIGN.md §3).
// Every access is checked against the VM's RAM map (guest-physical ranges that are RAM, as
// opposed to MMIO holes) and translated through the VM's EPT page by page, so a buffer that
// crosses a 4 KiB / 2 MiB / 1 GiB page boundary lands in the right host frames even when they are
// not contiguous. The whole range is checked before any byte moves: an access either happens
// completely or not at all, and returns a status; it never traps and never touches host memory
// that the EPT does not map for this guest. Host addresses come only from EPT leaves.
//
// Generic over M, the physical-memory interface (phys.ts). Safe to use from several CPUs at once
// (no scratch state), but not atomic against a concurrent EPT change: callers that unmap guest RAM
// stop the VM's vCPUs first.

import { EPT_READ, EPT_WRITE, EPT_MT_WB, EPT_ADDR_MASK, eptPerms, eptMemType } from "./entry";
import { Ept, eptLookupLeaf, leafHpa, leafPageMask } from "./table";

export const enum GmStatus {
  OK = 0,
  /** Some byte is outside the guest's RAM map (an MMIO hole, or beyond RAM). */
  NOT_RAM = 1,
  /** The EPT maps no page there (RAM map and EPT disagree: a VMM bug, reported, not hidden). */
  NOT_MAPPED = 2,
  /** The EPT page is not readable (read) / writable (write) or is not WB RAM. */
  NO_ACCESS = 3,
  /** The backing host frame is not reachable through the physical-memory interface. */
  UNREACHABLE = 4,
  /** Bad size (scalar accesses are 1, 2, 4 or 8 bytes) or the range wraps around. */
  BAD_ARGUMENT = 5,
}

/** One guest RAM range [start, end) in guest-physical addresses. 16 bytes. */
@unmanaged export class GpaRange {
  start: u64;
  end: u64;
}

/**
 * A VM's view of its RAM. 16 bytes (wasm32):
 *   offset 0 ept (Ept*)   4 ram (GpaRange[ramCount]*)   8 ramCount (u32)   12 pad
 * The range list is the VM's RAM map, sorted or not; it is owned by the VM and must not change
 * while vCPUs run.
 */
@unmanaged export class GuestMemory {
  ept: usize;
  ram: usize;
  ramCount: u32;
  _pad: u32;
}

/** The RAM range of `gm` containing `gpa`: bytes from gpa to its end, or 0 when gpa is not RAM. */
export function ramBytesLeft(gm: GuestMemory, gpa: u64): u64 {
  for (let i: u32 = 0; i < gm.ramCount; i++) {
    const r = changetype<GpaRange>(gm.ram + <usize>i * offsetof<GpaRange>());
    if (gpa >= r.start && gpa < r.end) return r.end - gpa;
  }
  return 0;
}

/**
 * The chunk at `gpa` that lies in one RAM range and one EPT page (at most `len` bytes), checked
 * for `need` access. Packed so that the check needs no memory:
 *   bits 63:56 status (GmStatus; 0 = OK)   bits 55:0 chunk length
 * `leaf` is eptLookupLeaf(gpa); the caller derives the host address from it.
 */
@inline function chunkCheck<M>(gm: GuestMemory, mem: M, leaf: u64, gpa: u64, len: u64, need: u64): u64 {
  const ram = ramBytesLeft(gm, gpa);
  if (ram == 0) return <u64>GmStatus.NOT_RAM << 56;
  if (leaf == 0) return <u64>GmStatus.NOT_MAPPED << 56;
  if ((eptPerms(leaf) & need) != need || eptMemType(leaf) != EPT_MT_WB) return <u64>GmStatus.NO_ACCESS << 56;
  const mask = leafPageMask(leaf); // leafBytesLeft and leafHpa, sharing the page size
  let n = mask + 1 - (gpa & mask);
  if (ram < n) n = ram;
  if (len < n) n = len;
  if (!mem.reaches((leaf & EPT_ADDR_MASK & ~mask) | (gpa & mask), n)) return <u64>GmStatus.UNREACHABLE << 56;
  return n;
}

/** Checks that [gpa, gpa + len) may be accessed with `need` (EPT_READ or EPT_WRITE). */
function checkRange<M>(gm: GuestMemory, mem: M, gpa: u64, len: u64, need: u64): GmStatus {
  if (len == 0) return GmStatus.OK;
  if (gpa + len < gpa) return GmStatus.BAD_ARGUMENT;
  const ept = changetype<Ept>(gm.ept);
  let g = gpa;
  let left = len;
  while (left != 0) {
    const r = chunkCheck<M>(gm, mem, eptLookupLeaf<M>(ept, mem, g), g, left, need);
    const status = <u32>(r >> 56);
    if (status != GmStatus.OK) return status;
    g += r;
    left -= r;
  }
  return GmStatus.OK;
}

/**
 * Copies `len` (1…16) bytes from `src` to `dst` with at most two loads and two stores: two
 * overlapping words of the largest size that fits (the bytes in the middle are written twice,
 * with the same values). Short guest reads are the common case (instruction fetch, descriptor
 * and page-table reads), where a byte-wise `rep movsb` costs one iteration per byte. Both loads
 * come before both stores, so it is also correct when the ranges overlap.
 */
@inline export function smallCopy(dst: usize, src: usize, len: u32): void {
  if (len >= 8) {
    const a = load<u64>(src);
    const b = load<u64>(src + <usize>len - 8);
    store<u64>(dst, a);
    store<u64>(dst + <usize>len - 8, b);
  } else if (len >= 4) {
    const a = load<u32>(src);
    const b = load<u32>(src + <usize>len - 4);
    store<u32>(dst, a);
    store<u32>(dst + <usize>len - 4, b);
  } else if (len >= 2) {
    const a = load<u16>(src);
    const b = load<u16>(src + <usize>len - 2);
    store<u16>(dst, a);
    store<u16>(dst + <usize>len - 2, b);
  } else if (len == 1) {
    store<u8>(dst, load<u8>(src));
  }
}

/**
 * Moves bytes between guest [gpa, gpa + len) and host wasm memory at `host`, after checking.
 * The common case, a range inside one EPT page and one RAM range, walks the EPT once: the leaf
 * that checked the chunk also gives its host address. A longer range is checked whole first (all
 * or nothing), then moved chunk by chunk.
 */
function copy<M>(gm: GuestMemory, mem: M, gpa: u64, host: usize, len: u64, toGuest: bool): GmStatus {
  if (len == 0) return GmStatus.OK;
  if (gpa + len < gpa) return GmStatus.BAD_ARGUMENT;
  const need = toGuest ? EPT_WRITE : EPT_READ;
  const ept = changetype<Ept>(gm.ept);
  const leaf0 = eptLookupLeaf<M>(ept, mem, gpa);
  const r = chunkCheck<M>(gm, mem, leaf0, gpa, len, need);
  if ((r >> 56) != 0) return <u32>(r >> 56);
  if (r == len) {
    const p = mem.ptr(leafHpa(leaf0, gpa));
    if (len <= 16) {
      if (toGuest) smallCopy(p, host, <u32>len); else smallCopy(host, p, <u32>len);
    } else if (toGuest) memory.copy(p, host, <usize>len); else memory.copy(host, p, <usize>len);
    return GmStatus.OK;
  }
  const status = checkRange<M>(gm, mem, gpa + r, len - r, need);
  if (status != GmStatus.OK) return status;
  let g = gpa;
  let h = host;
  let left = len;
  while (left != 0) {
    const leaf = eptLookupLeaf<M>(ept, mem, g);
    const n = chunkCheck<M>(gm, mem, leaf, g, left, need) & 0x00FF_FFFF_FFFF_FFFF;
    const p = mem.ptr(leafHpa(leaf, g));
    if (toGuest) memory.copy(p, h, <usize>n); else memory.copy(h, p, <usize>n);
    g += n;
    h += <usize>n;
    left -= n;
  }
  return GmStatus.OK;
}

/** Copies guest [gpa, gpa + len) to host memory at `dst`. */
export function gmRead<M>(gm: GuestMemory, mem: M, gpa: u64, dst: usize, len: u64): GmStatus {
  return copy<M>(gm, mem, gpa, dst, len, false);
}

/** Copies host memory at `src` to guest [gpa, gpa + len). */
export function gmWrite<M>(gm: GuestMemory, mem: M, gpa: u64, src: usize, len: u64): GmStatus {
  return copy<M>(gm, mem, gpa, src, len, true);
}

@inline function scalarSizeOk(size: u32): bool { return size == 1 || size == 2 || size == 4 || size == 8; }

/**
 * One load of `size` bytes at host wasm address `p`. Invariant: p = mem.ptr(hpa) of a chunk that
 * checkRange accepted, and [p, p + size) lies inside one EPT page of that chunk.
 */
@inline function hostLoad(p: usize, size: u32): u64 {
  if (size == 1) return load<u8>(p);
  if (size == 2) return load<u16>(p);
  if (size == 4) return load<u32>(p);
  return load<u64>(p);
}
/** One store of the low `size` bytes of `v` at `p`. Invariant: as for hostLoad. */
@inline function hostStore(p: usize, size: u32, v: u64): void {
  if (size == 1) store<u8>(p, <u8>v);
  else if (size == 2) store<u16>(p, <u16>v);
  else if (size == 4) store<u32>(p, <u32>v);
  else store<u64>(p, v);
}
/** The caller's result cell. Invariant: `out` is 8 writable bytes of host memory it owns. */
@inline function storeResult(out: usize, v: u64): void { store<u64>(out, v); }

/**
 * Reads a little-endian scalar of `size` bytes (1, 2, 4, 8) at `gpa` into the u64 at `out`
 * (zero-extended). Within one page this is one EPT walk and a single load of that size; across
 * pages (or RAM ranges), bytes through copy.
 */
export function gmReadScalar<M>(gm: GuestMemory, mem: M, gpa: u64, size: u32, out: usize): GmStatus {
  if (!scalarSizeOk(size)) return GmStatus.BAD_ARGUMENT;
  if (gpa + <u64>size < gpa) return GmStatus.BAD_ARGUMENT;
  const leaf = eptLookupLeaf<M>(changetype<Ept>(gm.ept), mem, gpa);
  const r = chunkCheck<M>(gm, mem, leaf, gpa, size, EPT_READ);
  if ((r >> 56) != 0) return <u32>(r >> 56);
  if (r < <u64>size) {
    storeResult(out, 0);
    return copy<M>(gm, mem, gpa, out, size, false);
  }
  storeResult(out, hostLoad(mem.ptr(leafHpa(leaf, gpa)), size));
  return GmStatus.OK;
}

/**
 * Writes the low `size` bytes of `value` to `gpa`. Within one page this is one EPT walk and one
 * store of that size (what a device model expects of a naturally aligned register write); across
 * pages (or RAM ranges), the whole range is checked first, then bytes are stored.
 */
export function gmWriteScalar<M>(gm: GuestMemory, mem: M, gpa: u64, size: u32, value: u64): GmStatus {
  if (!scalarSizeOk(size)) return GmStatus.BAD_ARGUMENT;
  if (gpa + <u64>size < gpa) return GmStatus.BAD_ARGUMENT;
  const ept = changetype<Ept>(gm.ept);
  const leaf = eptLookupLeaf<M>(ept, mem, gpa);
  const r = chunkCheck<M>(gm, mem, leaf, gpa, size, EPT_WRITE);
  if ((r >> 56) != 0) return <u32>(r >> 56);
  if (r >= <u64>size) {
    hostStore(mem.ptr(leafHpa(leaf, gpa)), size, value);
    return GmStatus.OK;
  }
  const status = checkRange<M>(gm, mem, gpa + r, <u64>size - r, EPT_WRITE);
  if (status != GmStatus.OK) return status;
  for (let i: u32 = 0; i < size; i++) {
    const g = gpa + i;
    hostStore(mem.ptr(leafHpa(eptLookupLeaf<M>(ept, mem, g), g)), 1, value >> (8 * i));
  }
  return GmStatus.OK;
}

/**
 * Reads the naturally aligned qword at `gpa` into the u64 at `out`: a paging-structure entry
 * (guest-paging.ts reads up to four per walk, on every MMIO exit). An aligned qword never crosses
 * a page, so this is gmReadScalar without its size and page-crossing cases: one EPT walk, the
 * checks, one load. Anything unusual (unaligned, a RAM range ending inside the qword) takes
 * gmReadScalar's general path, so the result is always the same as gmReadScalar(…, 8, out).
 */
export function gmReadQword<M>(gm: GuestMemory, mem: M, gpa: u64, out: usize): GmStatus {
  if ((gpa & 7) != 0) return gmReadScalar<M>(gm, mem, gpa, 8, out);
  const ram = ramBytesLeft(gm, gpa);
  if (ram < 8) return ram == 0 ? GmStatus.NOT_RAM : gmReadScalar<M>(gm, mem, gpa, 8, out);
  const leaf = eptLookupLeaf<M>(changetype<Ept>(gm.ept), mem, gpa);
  if (leaf == 0) return GmStatus.NOT_MAPPED;
  if ((eptPerms(leaf) & EPT_READ) == 0 || eptMemType(leaf) != EPT_MT_WB) return GmStatus.NO_ACCESS;
  const hpa = leafHpa(leaf, gpa);
  if (!mem.reaches(hpa, 8)) return GmStatus.UNREACHABLE;
  storeResult(out, load<u64>(mem.ptr(hpa)));
  return GmStatus.OK;
}

/**
 * Reads `len` (1…16) bytes at `gpa` to host memory at `dst`: an instruction fetch (guestFetch
 * reads up to 15 bytes per page). When the bytes lie in one 4 KiB page (so in one page of any
 * size) and one RAM range, this is gmRead's single-chunk case without its generality: one EPT
 * walk, the checks, two overlapping word moves. Anything else is gmRead itself, so the result is
 * always gmRead's.
 */
export function gmReadShort<M>(gm: GuestMemory, mem: M, gpa: u64, dst: usize, len: u32): GmStatus {
  if (len - 1 >= 16 || (gpa & 4095) + <u64>len > 4096) return gmRead<M>(gm, mem, gpa, dst, len);
  const ram = ramBytesLeft(gm, gpa);
  if (ram < <u64>len) return ram == 0 ? GmStatus.NOT_RAM : gmRead<M>(gm, mem, gpa, dst, len);
  const leaf = eptLookupLeaf<M>(changetype<Ept>(gm.ept), mem, gpa);
  if (leaf == 0) return GmStatus.NOT_MAPPED;
  if ((eptPerms(leaf) & EPT_READ) == 0 || eptMemType(leaf) != EPT_MT_WB) return GmStatus.NO_ACCESS;
  const hpa = leafHpa(leaf, gpa);
  if (!mem.reaches(hpa, len)) return GmStatus.UNREACHABLE;
  smallCopy(dst, mem.ptr(hpa), len);
  return GmStatus.OK;
}
