// The frame allocator (src/vmm/mem) on crafted memory maps. The allocator writes only its own
// bookkeeping block, which lands in the test module's memory (accessLimit = RAM_END); frames it
// hands out (even above 4 GiB) are never touched, so any address can be "usable" here.
import { describe, expect, it } from "vitest";
import { vtx, MiB, SCRATCH, RAM_END } from "./wasm.ts";

const v = vtx();
const GiB = 1024 * MiB;
const USABLE = SCRATCH;            // input lists, 16 bytes per range
const RESERVED = SCRATCH + 0x8000;
const SPAN_OUT = SCRATCH + 0x10000;
const IMAGE_END = 4 * MiB;         // keeps the allocator block clear of the scratch area
const MAX = 0xffffffffffffffffn;

type Range = [number | bigint, number | bigint];

function writeRanges(addr: number, ranges: Range[]): void {
  ranges.forEach(([s, e], i) => {
    v.mem.setBigUint64(addr + 16 * i, BigInt(s), true);
    v.mem.setBigUint64(addr + 16 * i + 8, BigInt(e), true);
  });
}
/** Standard reserved ranges (first MiB + image, wasm heap) followed by `extra`. */
function reserve(extra: Range[] = []): number {
  const n = v.u32("memStandardReserved", RESERVED, BigInt(IMAGE_END));
  writeRanges(RESERVED + 16 * n, extra);
  return n + extra.length;
}
function spans(usable: Range[], extra: Range[] = []): [bigint, bigint][] {
  writeRanges(USABLE, usable);
  const nr = reserve(extra);
  const out: [bigint, bigint][] = [];
  let from = 0n;
  while (v.u32("memNextSpan", USABLE, usable.length, RESERVED, nr, from, SPAN_OUT)) {
    const s = v.mem.getBigUint64(SPAN_OUT, true), e = v.mem.getBigUint64(SPAN_OUT + 8, true);
    out.push([s, e]);
    from = e;
  }
  return out;
}
function init(usable: Range[], extra: Range[] = [], limit = BigInt(RAM_END)): number {
  writeRanges(USABLE, usable);
  return v.u32("frameInit", USABLE, usable.length, RESERVED, reserve(extra), limit);
}
const hdr = (a: number, off: number): bigint => v.mem.getBigUint64(a + off, true);
const free = (a: number): bigint => hdr(a, 24);

describe("memory map normalization", () => {
  it("removes the first MiB, the image and the wasm heap", () => {
    expect(spans([[0, 0xa0000], [MiB, 64 * MiB]])).toEqual([
      [BigInt(4 * MiB), BigInt(16 * MiB)], [BigInt(32 * MiB), BigInt(64 * MiB)],
    ]);
  });
  it("merges overlapping and touching ranges, trims unaligned edges", () => {
    expect(spans([[0x500000, 0x800123], [0x400800, 0x600000], [0x800123, 0x900000]])).toEqual([
      [0x401000n, 0x900000n],
    ]);
  });
  it("an unaligned reserved hole removes every frame it touches", () => {
    expect(spans([[5 * MiB, 6 * MiB]], [[0x580010, 0x580020], [0x5ff000, 0x5ff001]])).toEqual([
      [0x500000n, 0x580000n], [0x581000n, 0x5ff000n],
    ]);
  });
  it("overlapping reserved ranges and ranges above 4 GiB", () => {
    expect(spans([[4n * BigInt(GiB), 6n * BigInt(GiB)], [5 * MiB, 8 * MiB]],
      [[6 * MiB, 7 * MiB], [0x680000, 0x780000], [5n * BigInt(GiB), 5n * BigInt(GiB) + 1n]])).toEqual([
      [0x500000n, 0x600000n], [0x780000n, 0x800000n],
      [0x100000000n, 0x140000000n], [0x140001000n, 0x180000000n],
    ]);
  });
  it("ignores empty and inverted ranges; sub-frame ranges yield nothing", () => {
    expect(spans([[8 * MiB, 8 * MiB], [9 * MiB, 8 * MiB], [0x500001, 0x500fff]])).toEqual([]);
  });
});

describe("frame allocator", () => {
  it("places its bitmap in the lowest span and counts frames", () => {
    const a = init([[0, 0xa0000], [MiB, 64 * MiB]]);
    expect(a).toBe(4 * MiB);
    expect(hdr(a, 0)).toBe(BigInt(4 * MiB)); // blockBase
    expect(hdr(a, 8)).toBe(1n); // 64 + 2*24 + 11264/8 bytes fit one frame
    expect(hdr(a, 16)).toBe(BigInt((12 * MiB + 32 * MiB) / 4096));
    expect(free(a)).toBe(hdr(a, 16) - 1n);
    expect(v.u32("frameUsed", a, 4 * MiB)).toBe(1);
    expect(v.u64("frameAlloc", a, MAX)).toBe(BigInt(4 * MiB + 4096));
  });
  it("fails when nothing is usable or the bookkeeping cannot be addressed", () => {
    expect(init([[0, MiB]])).toBe(0);
    expect(init([[16 * MiB, 32 * MiB]])).toBe(0);
    expect(init([[4n * BigInt(GiB), 8n * BigInt(GiB)]])).toBe(0); // only above accessLimit
  });
  it("tiny RAM: two frames, one for the bitmap, one to hand out", () => {
    const a = init([[6 * MiB, 6 * MiB + 8192]]);
    expect(a).toBe(6 * MiB);
    expect(free(a)).toBe(1n);
    expect(v.u64("frameAlloc", a, MAX)).toBe(BigInt(6 * MiB + 4096));
    expect(v.u64("frameAlloc", a, MAX)).toBe(0n);
    expect(v.u64("frameAlloc2M", a, 1, MAX)).toBe(0n);
  });
  it("hands out every frame exactly once, matching a frame-by-frame reference", () => {
    let seed = 12345;
    const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return (seed >>> 8) % n; };
    for (let round = 0; round < 6; round++) {
      const usable: Range[] = [], extra: Range[] = [];
      for (let i = 0; i < 6; i++) { const s = 4 * MiB + rnd(8 * MiB); usable.push([s, s + rnd(2 * MiB)]); }
      for (let i = 0; i < 4; i++) { const s = 4 * MiB + rnd(8 * MiB); extra.push([s, s + rnd(256 * 1024)]); }
      const inAny = (rs: Range[], lo: number, hi: number, whole: boolean): boolean => whole
        ? rs.some(([s, e]) => Number(s) <= lo && hi <= Number(e))
        : rs.some(([s, e]) => Number(s) < hi && lo < Number(e) && Number(s) < Number(e));
      // Reference: frame f is free iff each byte is in some usable range and none is reserved.
      const expected = new Set<number>();
      for (let f = 4 * MiB; f < 16 * MiB; f += 4096) {
        let covered = true;
        for (let b = f; b < f + 4096 && covered; b += 1) {
          if (!usable.some(([s, e]) => Number(s) <= b && b < Number(e))) covered = false;
        }
        if (covered && !inAny(extra, f, f + 4096, false)) expected.add(f);
      }
      const a = init(usable, extra);
      if (expected.size === 0) { expect(a).toBe(0); continue; }
      const got = new Set<number>();
      for (let f = a; f < a + Number(hdr(a, 8)) * 4096; f += 4096) got.add(f);
      for (;;) {
        const pa = Number(v.u64("frameAlloc", a, MAX));
        if (pa === 0) break;
        expect(got.has(pa), `frame ${pa.toString(16)} twice`).toBe(false);
        got.add(pa);
      }
      expect([...got].sort((x, y) => x - y)).toEqual([...expected].sort((x, y) => x - y));
      expect(free(a)).toBe(0n);
    }
  });
  it("2 MiB runs are aligned, contiguous and skip used frames; above 4 GiB when low memory is short", () => {
    const a = init([[4 * MiB, 12 * MiB], [4n * BigInt(GiB), 4n * BigInt(GiB) + 64n * BigInt(MiB)]]);
    expect(a).toBe(4 * MiB); // block at 4 MiB: the run at 4 MiB is no longer whole
    expect(v.u64("frameAlloc2M", a, 2, MAX)).toBe(BigInt(6 * MiB));
    expect(v.u64("frameAlloc2M", a, 2, MAX)).toBe(0x100000000n);
    expect(v.u64("frameAlloc2M", a, 1, BigInt(4 * GiB))).toBe(BigInt(10 * MiB));
    expect(v.u64("frameAlloc2M", a, 1, BigInt(4 * GiB))).toBe(0n);
    expect(v.u64("frameAlloc2M", a, 31, MAX)).toBe(0n); // 30 of the 32 pages above 4 GiB are left
    expect(v.u64("frameAlloc2M", a, 30, MAX)).toBe(0x100400000n);
    expect(v.u64("frameAlloc2M", a, 1, MAX)).toBe(0n);
    expect(v.u64("frameAllocRun", a, 3, 3, MAX)).toBe(0n); // alignment must be a power of two
    expect(v.u64("frameAllocRun", a, 3, 4, MAX)).toBe(BigInt(4 * MiB + 16384)); // 4-frame aligned after the block
  });
  it("allocFrame honours the limit; free makes frames reusable and reports misuse", () => {
    const a = init([[4 * MiB, 4 * MiB + 3 * 4096], [5n * BigInt(GiB), 5n * BigInt(GiB) + 8192n]]);
    const low1 = v.u64("frameAlloc", a, BigInt(4 * GiB));
    const low2 = v.u64("frameAlloc", a, BigInt(4 * GiB));
    expect([low1, low2]).toEqual([BigInt(4 * MiB + 4096), BigInt(4 * MiB + 8192)]);
    expect(v.u64("frameAlloc", a, BigInt(4 * GiB))).toBe(0n);
    expect(v.u64("frameAlloc", a, MAX)).toBe(0x140000000n);
    expect(v.u32("frameFree", a, low1, 1)).toBe(0);
    expect(v.u32("frameFree", a, low1, 1)).toBe(2); // double free
    expect(v.u32("frameFree", a, BigInt(4 * MiB), 1)).toBe(1); // the allocator's own block
    expect(v.u32("frameFree", a, BigInt(8 * MiB), 1)).toBe(1); // not ours
    expect(v.u32("frameFree", a, low2 + 1n, 1)).toBe(1); // unaligned
    expect(v.u32("frameFree", a, 0x140000000n, 2)).toBe(2); // second frame still free: nothing changes
    expect(v.u32("frameUsed", a, 0x140000000n)).toBe(1);
    expect(v.u64("frameAlloc", a, BigInt(4 * GiB))).toBe(low1);
  });
});
