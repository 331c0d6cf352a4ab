// Unit tests of the benchmark's statistics and formatting (tools/bench/stats.ts), and of two
// kernels' checksums against independent implementations (node:crypto, node:zlib), so that
// "all three engines agree" also means "and they agree with the right answer".
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { crc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  benchLine, formatRatio, geomean, median, netTime, parseCallgrindIr, relativeMad, roundOrder,
} from "../../tools/bench/stats.ts";

describe("statistics", () => {
  it("median: odd and even counts, input left unsorted", () => {
    const xs = [5, 1, 4];
    expect(median(xs)).toBe(4);
    expect(xs).toEqual([5, 1, 4]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(() => median([])).toThrow(/empty/);
  });
  it("geometric mean", () => {
    expect(geomean([2, 8])).toBeCloseTo(4, 12);
    expect(geomean([0.5, 2])).toBeCloseTo(1, 12);
    expect(geomean([3])).toBeCloseTo(3, 12);
    expect(() => geomean([1, 0])).toThrow(/non-positive/);
    expect(() => geomean([])).toThrow(/empty/);
  });
  it("relative MAD ignores a single outlier", () => {
    expect(relativeMad([10, 10, 10])).toBe(0);
    expect(relativeMad([9, 10, 11, 10, 1000])).toBeCloseTo(0.1, 12);
  });
  it("net time subtracts the null call's median round trip", () => {
    expect(netTime([100, 120, 110], [10, 30, 20])).toBe(90);
    expect(() => netTime([10, 10], [10, 20])).toThrow(/not positive/);
  });
  it("round order rotates so each engine leads equally often", () => {
    const e = ["a", "b", "c"];
    expect(roundOrder(e, 0)).toEqual(["a", "b", "c"]);
    expect(roundOrder(e, 1)).toEqual(["b", "c", "a"]);
    expect(roundOrder(e, 2)).toEqual(["c", "a", "b"]);
    expect(roundOrder(e, 3)).toEqual(["a", "b", "c"]);
    expect(roundOrder([], 5)).toEqual([]);
  });
});

describe("formatting", () => {
  it("ratio and bench lines", () => {
    expect(formatRatio(1.23456)).toBe("1.235");
    expect(formatRatio(0.5)).toBe("0.500");
    expect(formatRatio(123.456)).toBe("123.5");
    expect(() => formatRatio(Infinity)).toThrow();
    expect(benchLine("ts2native.crc32.vs_v8", "1.000", "ratio")).toBe("bench: ts2native.crc32.vs_v8 1.000 ratio");
    expect(benchLine("x.instructions", 123n, "instructions")).toBe("bench: x.instructions 123 instructions");
    expect(() => benchLine("has space", 1, "ratio")).toThrow(/spaces/);
  });
  it("callgrind's instruction count", () => {
    const err = "==123== Events    : Ir\n==123== Collected : 99913177\n==123== \n==123== I   refs:      99,913,177\n";
    expect(parseCallgrindIr(err)).toBe(99913177n);
    expect(() => parseCallgrindIr("nothing")).toThrow(/Collected/);
  });
});

// ---- kernels against independent references (V8 runs the wasm; built by make test-bench) ----

const OUT = resolve(import.meta.dirname, "../../build/bench");
const instance = (name: string): WebAssembly.Exports =>
  new WebAssembly.Instance(new WebAssembly.Module(readFileSync(join(OUT, `${name}.wasm`))), {}).exports;

/** The kernels' PRNG fill (tools/bench/kernels/common.as): xorshift32 words, little-endian. */
function fillRandom(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  let x = (seed | 1) >>> 0;
  for (let i = 0; i < len; i += 4) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    b.writeUInt32LE(x, i);
  }
  return b;
}

describe("kernel checksums", () => {
  it("sha256: each digest overwrites the message's first 32 bytes", () => {
    const run = instance("sha256")["run"] as (n: number) => number;
    const msg = fillRandom(16384, 0xc0ffee);
    for (let n = 1; n <= 3; n++) {
      const d = createHash("sha256").update(msg).digest();
      d.copy(msg, 0, 0, 32);
      expect((run(n) >>> 0).toString(16)).toBe(d.readUInt32BE(0).toString(16));
    }
  });
  it("crc32: passes chained through the previous CRC", () => {
    const run = instance("crc32")["run"] as (n: number) => number;
    const buf = fillRandom(65536, 0x12345678);
    let c = 0;
    for (let n = 1; n <= 3; n++) {
      c = crc32(buf, c);
      expect(run(n) >>> 0).toBe(c);
    }
  });
});
