// The guest's physical memory map as the BIOS E820 call would report it: the form the Linux zero
// page carries (boot.rst "The zero page", boot_params.e820_table at 0x2D0) and the multiboot
// mmap carries (multiboot 0.6.96 §3.3, "mmap_*"). Built once per VM from the VM's RAM ranges and
// the ranges the VMM reserves (ACPI tables, device windows), plus the PC legacy hole.
//
// The result is sorted, non-overlapping, and adjacent ranges of one type are merged, which is what
// the consumers assume: Linux sanitizes the map itself (e820__update_table) but a loader that
// places the kernel, the initrd and its own blocks needs a clean map to decide what is free RAM.

import { GpaRange } from "../../ept/guest-memory";

export const E820_RAM: u32 = 1;
export const E820_RESERVED: u32 = 2;
export const E820_ACPI: u32 = 3;
export const E820_NVS: u32 = 4;
export const E820_UNUSABLE: u32 = 5;

/** E820_MAX_ENTRIES_ZEROPAGE (arch/x86/include/uapi/asm/bootparam.h): the zero page's capacity. */
export const E820_MAX_ENTRIES: u32 = 128;
/** Input lists longer than this are refused (they are VMM configuration, never this long). */
export const E820_MAX_INPUTS: u32 = 128;

/**
 * The PC legacy hole: EBDA, VGA memory and the BIOS ROM area, [0x9F000, 0x100000). Linux expects
 * it not to be RAM (it reserves the EBDA region itself, boot.rst "Memory layout": "Reserved for
 * BIOS ... do not use"), and multiboot's mem_lower stops below it.
 */
export const LEGACY_HOLE_START: u64 = 0x9F000;
export const LEGACY_HOLE_END: u64 = 0x100000;

/** One map entry as the loaders keep it. 24 bytes: 0 addr, 8 size, 16 type, 20 pad. */
@unmanaged export class E820Entry {
  addr: u64;
  size: u64;
  type: u32;
  _pad: u32;
}

/**
 * A built map. E820_TABLE_BYTES = 8 + 128 × 24 bytes, owned by the caller:
 *   offset 0 count (u32)   4 _pad   8 E820Entry[E820_MAX_ENTRIES], sorted by addr
 */
@unmanaged export class E820Table {
  count: u32;
  _pad: u32;
}

export const E820_ENTRY_BYTES: usize = offsetof<E820Entry>();
export const E820_TABLE_BYTES: usize = offsetof<E820Table>() + <usize>E820_MAX_ENTRIES * E820_ENTRY_BYTES;

export const enum E820Status {
  OK = 0,
  /** A RAM range is empty or inverted (start >= end). */
  BAD_RAM_RANGE = 1,
  /** A reserved range is empty or wraps around 2^64. */
  BAD_RESERVED_RANGE = 2,
  /** A reserved range has type RAM (1) or 0: reserved ranges must say what they are instead. */
  BAD_RESERVED_TYPE = 3,
  /** More than E820_MAX_INPUTS inputs, or the result needs more than E820_MAX_ENTRIES entries. */
  TOO_MANY = 4,
}

export function e820StatusText(s: E820Status): string {
  switch (s) {
    case E820Status.OK: return "ok";
    case E820Status.BAD_RAM_RANGE: return "a RAM range is empty or inverted";
    case E820Status.BAD_RESERVED_RANGE: return "a reserved range is empty or wraps around";
    case E820Status.BAD_RESERVED_TYPE: return "a reserved range has type 0 or 1 (RAM)";
    case E820Status.TOO_MANY: return "too many ranges (more than 128)";
  }
  return "unknown";
}

/** Entry `i` of a built table. Invariant: i < E820_MAX_ENTRIES (callers loop below t.count). */
@inline export function e820At(t: E820Table, i: u32): E820Entry {
  return changetype<E820Entry>(changetype<usize>(t) + offsetof<E820Table>() + <usize>i * E820_ENTRY_BYTES);
}
/** Input RAM range `i`. Invariant: i < the caller's count of the GpaRange array at `ram`. */
@inline function ramAt(ram: usize, i: u32): GpaRange {
  return changetype<GpaRange>(ram + <usize>i * offsetof<GpaRange>());
}
/** Input reserved range `i`. Invariant: i < the caller's count of the E820Entry array at `res`. */
@inline function resAt(res: usize, i: u32): E820Entry {
  return changetype<E820Entry>(res + <usize>i * E820_ENTRY_BYTES);
}

/** Smallest range boundary (start or end) strictly above `p`, or u64.MAX_VALUE when none. */
function nextBoundary(ram: usize, nram: u32, res: usize, nres: u32, p: u64): u64 {
  let best = u64.MAX_VALUE;
  for (let i: u32 = 0; i < nram; i++) {
    const r = ramAt(ram, i);
    if (r.start > p && r.start < best) best = r.start;
    if (r.end > p && r.end < best) best = r.end;
  }
  for (let i: u32 = 0; i < nres; i++) {
    const r = resAt(res, i);
    const end = r.addr + r.size;
    if (r.addr > p && r.addr < best) best = r.addr;
    if (end > p && end < best) best = end;
  }
  if (LEGACY_HOLE_START > p && LEGACY_HOLE_START < best) best = LEGACY_HOLE_START;
  if (LEGACY_HOLE_END > p && LEGACY_HOLE_END < best) best = LEGACY_HOLE_END;
  return best;
}

/**
 * Type of the byte at `p`: the first caller reserved range covering it, then the legacy hole
 * (type 2), then RAM (type 1); 0 when nothing covers it (a hole the map leaves out).
 */
function typeAt(ram: usize, nram: u32, res: usize, nres: u32, p: u64): u32 {
  for (let i: u32 = 0; i < nres; i++) {
    const r = resAt(res, i);
    if (p >= r.addr && p - r.addr < r.size) return r.type;
  }
  if (p >= LEGACY_HOLE_START && p < LEGACY_HOLE_END) return E820_RESERVED;
  for (let i: u32 = 0; i < nram; i++) {
    const r = ramAt(ram, i);
    if (p >= r.start && p < r.end) return E820_RAM;
  }
  return 0;
}

/** Grows the last entry of `t` by [p, q) when it has type `type` and ends at p. */
function extendLast(t: E820Table, p: u64, q: u64, type: u32): bool {
  if (t.count == 0) return false;
  const last = e820At(t, t.count - 1);
  if (last.type != type || last.addr + last.size != p) return false;
  last.size += q - p;
  return true;
}

/**
 * Builds the map into `out` from `nram` RAM ranges (GpaRange[], [start, end)) and `nres`
 * reserved ranges (E820Entry[], any type but RAM). Reserved ranges win over RAM where they
 * overlap; where several reserved ranges overlap, the first listed wins. Ranges may be unsorted.
 * Runs in O(n²) over at most 2 × 128 + 2 boundaries: no scratch memory, no sorting buffer.
 */
export function e820Build(out: E820Table, ram: usize, nram: u32, res: usize, nres: u32): E820Status {
  out.count = 0;
  if (nram > E820_MAX_INPUTS || nres > E820_MAX_INPUTS) return E820Status.TOO_MANY;
  for (let i: u32 = 0; i < nram; i++) {
    const r = ramAt(ram, i);
    if (r.start >= r.end) return E820Status.BAD_RAM_RANGE;
  }
  for (let i: u32 = 0; i < nres; i++) {
    const r = resAt(res, i);
    if (r.size == 0 || r.addr + r.size < r.addr) return E820Status.BAD_RESERVED_RANGE;
    if (r.type == 0 || r.type == E820_RAM) return E820Status.BAD_RESERVED_TYPE;
  }
  // Walk the elementary intervals between consecutive boundaries, starting at 0 (the lowest
  // possible start; an interval nothing covers has type 0 and is skipped).
  let p: u64 = 0;
  while (true) {
    const q = nextBoundary(ram, nram, res, nres, p);
    if (q == u64.MAX_VALUE) break;   // nothing covers [p, 2^64): every range ends at a boundary
    const t = typeAt(ram, nram, res, nres, p);
    if (t != 0 && !extendLast(out, p, q, t)) {
      if (out.count == E820_MAX_ENTRIES) { out.count = 0; return E820Status.TOO_MANY; }
      const e = e820At(out, out.count);
      e.addr = p;
      e.size = q - p;
      e.type = t;
      e._pad = 0;
      out.count++;
    }
    p = q;
  }
  return E820Status.OK;
}

/** [start, start + len) lies inside one RAM entry of `t` (so it is free RAM for a loader). */
export function e820IsRam(t: E820Table, start: u64, len: u64): bool {
  if (len == 0 || start + len < start) return false;
  const n = t.count < E820_MAX_ENTRIES ? t.count : E820_MAX_ENTRIES;
  for (let i: u32 = 0; i < n; i++) {
    const e = e820At(t, i);
    if (e.type == E820_RAM && start >= e.addr && start - e.addr <= e.size && len <= e.size - (start - e.addr)) return true;
  }
  return false;
}
