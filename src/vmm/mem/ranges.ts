// Physical address ranges and the normalization the frame allocator starts from: the usable parts
// of a firmware memory map (multiboot mmap / UEFI map, which may overlap, be unsorted and start or
// end off a page boundary) minus the reserved ranges, as sorted, disjoint, 4 KiB-aligned spans.
// Pure: the lists are read from memory the caller owns; nothing is written but the result.

export const PAGE_SIZE: u64 = 4096;
export const PAGE_SHIFT: u64 = 12;
export const LARGE_PAGE_SIZE: u64 = 2 << 20;
export const MiB: u64 = 1 << 20;
export const GiB: u64 = 1 << 30;

/** The first MiB: real-mode IVT, BIOS data, EBDA, option ROMs. Never handed out (native-abi.md). */
export const LOW_MEMORY_END: u64 = MiB;
/** The wasm static data + AssemblyScript heap [16 MiB, 32 MiB) (native-abi.md, "Physical layout"). */
export const WASM_HEAP_START: u64 = 16 * MiB;
export const WASM_HEAP_END: u64 = 32 * MiB;

/**
 * One range [start, end), end exclusive, as the caller lays out its lists (16 bytes each):
 *   offset 0 start (u64)   8 end (u64)
 */
@unmanaged export class MemRange {
  start: u64;
  end: u64;
}

/** The i-th range of a list at `list`. Invariant: `i` < the list's count (callers loop to it). */
@inline function rangeAt(list: usize, i: u32): MemRange {
  return changetype<MemRange>(list + <usize>i * offsetof<MemRange>());
}

@inline export function alignUp(x: u64, align: u64): u64 { return (x + align - 1) & ~(align - 1); }
@inline export function alignDown(x: u64, align: u64): u64 { return x & ~(align - 1); }

/**
 * Writes the ranges every allocator must exclude besides the firmware's non-usable ones: the first
 * MiB together with the hypervisor image [1 MiB, imageEnd), and the wasm heap region. Returns the
 * count written (2) to `out` (room for 2 `MemRange`s).
 */
export function writeStandardReserved(out: usize, imageEnd: u64): u32 {
  const low = rangeAt(out, 0);
  low.start = 0;
  low.end = imageEnd > LOW_MEMORY_END ? imageEnd : LOW_MEMORY_END;
  const heap = rangeAt(out, 1);
  heap.start = WASM_HEAP_START;
  heap.end = WASM_HEAP_END;
  return 2;
}

/** Lowest address >= from inside some non-empty range of the list, or u64.MAX_VALUE. */
function firstCovered(list: usize, count: u32, from: u64): u64 {
  let best = u64.MAX_VALUE;
  for (let i: u32 = 0; i < count; i++) {
    const r = rangeAt(list, i);
    if (r.start >= r.end || r.end <= from) continue;
    const s = r.start > from ? r.start : from;
    if (s < best) best = s;
  }
  return best;
}

/** End of the union of ranges that covers `at` (ranges overlapping or touching chain together). */
function coveredEnd(list: usize, count: u32, at: u64): u64 {
  let end = at;
  let grew = true;
  while (grew) {
    grew = false;
    for (let i: u32 = 0; i < count; i++) {
      const r = rangeAt(list, i);
      if (r.start < r.end && r.start <= end && r.end > end) { end = r.end; grew = true; }
    }
  }
  return end;
}

/** If `at` lies in a reserved range, the end of the union of reserved ranges covering it; else at. */
function skipReserved(reserved: usize, count: u32, at: u64): u64 {
  let x = at;
  let moved = true;
  while (moved) {
    moved = false;
    for (let i: u32 = 0; i < count; i++) {
      const r = rangeAt(reserved, i);
      if (r.start <= x && x < r.end) { x = r.end; moved = true; }
    }
  }
  return x;
}

/** Lowest start of a reserved range in (after, limit), or limit. */
function nextReservedStart(reserved: usize, count: u32, after: u64, limit: u64): u64 {
  let best = limit;
  for (let i: u32 = 0; i < count; i++) {
    const r = rangeAt(reserved, i);
    if (r.start < r.end && r.start > after && r.start < best) best = r.start;
  }
  return best;
}

/**
 * The next span of whole usable, unreserved 4 KiB frames at or above `from`: written to `out`,
 * returns false when there is none. Spans come out sorted, disjoint and maximal, so a caller walks
 * them with `from = previous end`. Also excludes the first MiB, whatever the lists say, so that
 * physical address 0 never names a frame (allocators use 0 for "no frame").
 * Cost O(n²) per span for n list entries; firmware maps have tens of entries.
 */
export function nextFreeSpan(
  usable: usize, usableCount: u32, reserved: usize, reservedCount: u32, from: u64, out: MemRange,
): bool {
  let at = from > LOW_MEMORY_END ? from : LOW_MEMORY_END;
  while (true) {
    const s = firstCovered(usable, usableCount, at);
    if (s == u64.MAX_VALUE) return false;
    const past = skipReserved(reserved, reservedCount, s);
    if (past != s) { at = past; continue; }
    const e = nextReservedStart(reserved, reservedCount, s, coveredEnd(usable, usableCount, s));
    const fs = alignUp(s, PAGE_SIZE);
    const fe = alignDown(e, PAGE_SIZE);
    if (fs < fe) {
      out.start = fs;
      out.end = fe;
      return true;
    }
    at = e;
  }
}
