// The physical frame allocator: 4 KiB frames (VMCS, EPT and bitmap pages) and contiguous, aligned
// runs (2 MiB-aligned guest RAM, so EPT can map it with large pages, SDM Vol 3C §28.3.2).
//
// Its bookkeeping lives in the memory it manages: `frameAllocInit` carves a block of whole frames
// out of the lowest free span that can hold it and that the core can address (below `accessLimit`:
// 4 GiB on bare metal, the test module's memory size in Node), and lays out there
//
//   +---------------------+  block (the FrameAllocator header, 64 bytes)
//   | FrameAllocator      |
//   +---------------------+  block + 64
//   | FrameSpan[spanCount]|  24 bytes each: usable frame runs, sorted by address
//   +---------------------+  8-aligned
//   | bitmap              |  one bit per frame of the spans, in span order; 1 = in use
//   +---------------------+  rounded up to whole frames (the block's own frames are marked used)
//
// Pure: the memory map and the reserved ranges come in as `MemRange` lists (ranges.ts); memory is
// touched only inside the carved block. Not thread-safe: the caller serializes (one lock per host).

import {
  MemRange, nextFreeSpan, alignUp, PAGE_SIZE, PAGE_SHIFT,
} from "./ranges";

/** A run of usable frames and where its bits start in the bitmap. 24 bytes. */
@unmanaged export class FrameSpan {
  startFrame: u64;
  frameCount: u64;
  firstBit: u64;
}

/** Header of the carved block (64 bytes). All counts are in 4 KiB frames. */
@unmanaged export class FrameAllocator {
  /** Physical address of this block (= its own address: wasm address = physical address). */
  blockBase: u64;
  blockFrames: u64;
  totalFrames: u64;
  freeFrames: u64;
  /** Bit index where the next single-frame search starts (frames below it were all used). */
  hint: u64;
  bitmap: u64;
  spanCount: u32;
  _pad: u32;
  _reserved: u64;
}

const HEADER_SIZE: u64 = 64;
const SPAN_SIZE: u64 = 24;

export const enum FreeStatus { OK = 0, NOT_OWNED = 1, DOUBLE_FREE = 2 }

// ------------------------------------------------ raw accessors (the only loads/stores here)

/** Span i of the table right after the header. Invariant: i < a.spanCount. */
@inline function spanAt(a: FrameAllocator, i: u32): FrameSpan {
  return changetype<FrameSpan>(changetype<usize>(a) + <usize>HEADER_SIZE + <usize>i * <usize>SPAN_SIZE);
}
/** Address of the bitmap word holding bit `bit`. Invariant: bit < totalFrames rounded up to 64. */
@inline function wordAddr(a: FrameAllocator, bit: u64): usize {
  return <usize>a.bitmap + <usize>((bit >> 6) << 3);
}
@inline function loadWord(a: FrameAllocator, bit: u64): u64 { return load<u64>(wordAddr(a, bit)); }
@inline function storeWord(a: FrameAllocator, bit: u64, v: u64): void { store<u64>(wordAddr(a, bit), v); }

@inline function testBit(a: FrameAllocator, bit: u64): bool {
  return ((loadWord(a, bit) >> (bit & 63)) & 1) != 0;
}

/** Sets (used = true) or clears bits [from, to). */
function setBits(a: FrameAllocator, from: u64, to: u64, used: bool): void {
  let b = from;
  while (b < to) {
    const inWord = b & 63;
    const n = min<u64>(64 - inWord, to - b);
    const mask = (n == 64 ? u64.MAX_VALUE : ((<u64>1 << n) - 1)) << inWord;
    const w = loadWord(a, b);
    storeWord(a, b, used ? w | mask : w & ~mask);
    b += n;
  }
}

/** First bit in [from, to) that is 1 (used), or `to`. */
function firstUsed(a: FrameAllocator, from: u64, to: u64): u64 {
  let b = from;
  while (b < to) {
    const w = loadWord(a, b) >> (b & 63);
    if (w != 0) {
      const hit = b + ctz(w);
      return hit < to ? hit : to;
    }
    b = (b | 63) + 1;
  }
  return to;
}

// ------------------------------------------------ init

/**
 * Builds an allocator over `usable` minus `reserved` (see ranges.ts; the first MiB is always
 * excluded). Returns the block address, or 0 when no usable frames exist or no span below
 * `accessLimit` can hold the bookkeeping.
 */
export function frameAllocInit(
  usable: usize, usableCount: u32, reserved: usize, reservedCount: u32, accessLimit: u64,
): usize {
  // Pass 1: count spans and frames. The block size depends on the counts, so the block is placed
  // in a second pass. `span` is a static 16-byte cell: init runs once, on the boot CPU.
  const span = changetype<MemRange>(memory.data(16));
  let spans: u32 = 0;
  let frames: u64 = 0;
  let from: u64 = 0;
  while (nextFreeSpan(usable, usableCount, reserved, reservedCount, from, span)) {
    spans++;
    frames += (span.end - span.start) >> PAGE_SHIFT;
    from = span.end;
  }
  if (spans == 0) return 0;
  const bitmapOffset = alignUp(HEADER_SIZE + <u64>spans * SPAN_SIZE, 8);
  const blockBytes = bitmapOffset + (alignUp(frames, 64) >> 3);
  const blockFrames = alignUp(blockBytes, PAGE_SIZE) >> PAGE_SHIFT;

  // Pass 2: the lowest span below accessLimit with room for the block.
  let base: u64 = 0;
  from = 0;
  while (nextFreeSpan(usable, usableCount, reserved, reservedCount, from, span)) {
    const end = span.start + (blockFrames << PAGE_SHIFT);
    if (end <= span.end && end <= accessLimit) { base = span.start; break; }
    from = span.end;
  }
  if (base == 0) return 0;

  const a = changetype<FrameAllocator>(<usize>base);
  a.blockBase = base;
  a.blockFrames = blockFrames;
  a.totalFrames = frames;
  a.freeFrames = frames;
  a.hint = 0;
  a.bitmap = base + bitmapOffset;
  a.spanCount = spans;
  a._pad = 0;
  a._reserved = 0;

  // Pass 3: the span table; the bitmap starts all free, padding bits past the last frame used.
  let i: u32 = 0;
  let bit: u64 = 0;
  from = 0;
  while (nextFreeSpan(usable, usableCount, reserved, reservedCount, from, span)) {
    const s = spanAt(a, i);
    s.startFrame = span.start >> PAGE_SHIFT;
    s.frameCount = (span.end - span.start) >> PAGE_SHIFT;
    s.firstBit = bit;
    bit += s.frameCount;
    from = span.end;
    i++;
  }
  memory.fill(<usize>a.bitmap, 0, <usize>(alignUp(frames, 64) >> 3));
  setBits(a, frames, alignUp(frames, 64), true);
  // The block itself: the first frames of the span it sits in.
  const own = bitOfAddress(a, base);
  setBits(a, own, own + blockFrames, true);
  a.freeFrames -= blockFrames;
  return <usize>base;
}

// ------------------------------------------------ address <-> bit

/** Bit index of the frame at `pa`, or u64.MAX_VALUE when the frame is not one of ours. */
export function bitOfAddress(a: FrameAllocator, pa: u64): u64 {
  const frame = pa >> PAGE_SHIFT;
  let lo: u32 = 0;
  let hi = a.spanCount;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const s = spanAt(a, mid);
    if (frame < s.startFrame) hi = mid;
    else if (frame >= s.startFrame + s.frameCount) lo = mid + 1;
    else return s.firstBit + (frame - s.startFrame);
  }
  return u64.MAX_VALUE;
}

/** Physical address of the frame with bit index `bit` (bit < totalFrames). */
function addressOfBit(a: FrameAllocator, bit: u64): u64 {
  let lo: u32 = 0;
  let hi = a.spanCount;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (spanAt(a, mid).firstBit <= bit) lo = mid; else hi = mid;
  }
  const s = spanAt(a, lo);
  return (s.startFrame + (bit - s.firstBit)) << PAGE_SHIFT;
}

// ------------------------------------------------ allocation

/** One free frame below `limit` (e.g. 4 GiB for structures the core must read), or 0. */
export function allocFrame(a: FrameAllocator, limit: u64): u64 {
  let b = firstFree(a, a.hint);
  if (b >= a.totalFrames) return 0;
  const pa = addressOfBit(a, b);
  // Bits follow addresses, so nothing at or after b is below the limit once pa is not.
  if (pa + PAGE_SIZE > limit) return 0;
  setBits(a, b, b + 1, true);
  a.freeFrames--;
  a.hint = b + 1;
  return pa;
}

/** First clear bit at or after `from`, or totalFrames. */
function firstFree(a: FrameAllocator, from: u64): u64 {
  let b = from;
  const total = a.totalFrames;
  while (b < total) {
    const w = ~loadWord(a, b) >> (b & 63);
    if (w != 0) return min<u64>(b + ctz(w), total);
    b = (b | 63) + 1;
  }
  return total;
}

/**
 * `frames` physically contiguous free frames whose first address is a multiple of
 * `alignFrames` frames (a power of two) and which end at or below `limit`; 0 if none.
 * Guest RAM uses `alloc2MRun`. Runs never cross a span (spans are maximal, so a gap between
 * spans is memory that is not ours).
 */
export function allocContiguous(a: FrameAllocator, frames: u64, alignFrames: u64, limit: u64): u64 {
  if (frames == 0 || alignFrames == 0 || (alignFrames & (alignFrames - 1)) != 0) return 0;
  for (let i: u32 = 0; i < a.spanCount; i++) {
    const s = spanAt(a, i);
    const spanEnd = s.startFrame + s.frameCount;
    let f = alignUp(s.startFrame, alignFrames);
    while (f + frames <= spanEnd && ((f + frames) << PAGE_SHIFT) <= limit) {
      const first = s.firstBit + (f - s.startFrame);
      const used = firstUsed(a, first, first + frames);
      if (used == first + frames) {
        setBits(a, first, first + frames, true);
        a.freeFrames -= frames;
        return f << PAGE_SHIFT;
      }
      f = alignUp(s.startFrame + (used - s.firstBit) + 1, alignFrames);
    }
  }
  return 0;
}

/** `count` contiguous 2 MiB pages, 2 MiB-aligned (guest RAM backed by EPT large pages). */
export function alloc2MRun(a: FrameAllocator, count: u64, limit: u64): u64 {
  return allocContiguous(a, count << 9, 512, limit);
}

/**
 * Returns `frames` frames starting at `pa`. All of them must be ours and in use; otherwise nothing
 * changes and the status says why (a double free is a bug in the caller, reported, not ignored).
 */
export function freeFrames(a: FrameAllocator, pa: u64, frames: u64): FreeStatus {
  if ((pa & (PAGE_SIZE - 1)) != 0 || frames == 0) return FreeStatus.NOT_OWNED;
  const first = bitOfAddress(a, pa);
  const last = bitOfAddress(a, pa + ((frames - 1) << PAGE_SHIFT));
  if (first == u64.MAX_VALUE || last != first + frames - 1) return FreeStatus.NOT_OWNED;
  const blockFirst = bitOfAddress(a, a.blockBase);
  if (first < blockFirst + a.blockFrames && blockFirst < first + frames) return FreeStatus.NOT_OWNED;
  for (let b = first; b < first + frames; b++) {
    if (!testBit(a, b)) return FreeStatus.DOUBLE_FREE;
  }
  setBits(a, first, first + frames, false);
  a.freeFrames += frames;
  if (first < a.hint) a.hint = first;
  return FreeStatus.OK;
}

/** Whether the frame at `pa` is ours and in use (for checks and tests). */
export function frameInUse(a: FrameAllocator, pa: u64): bool {
  const b = bitOfAddress(a, pa);
  return b != u64.MAX_VALUE && testBit(a, b);
}
