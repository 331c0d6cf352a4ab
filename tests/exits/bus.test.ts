// Port/MMIO bus registry (src/vmm/bus/bus.ts), I/O bitmaps (io-bitmap.ts, SDM Vol 3C §24.6.4)
// and the MMIO test device (src/vmm/devices/testdev.ts, docs/guest-protocol.md).
import { describe, expect, it } from "vitest";
import { exits, A } from "./wasm.ts";

const e = exits();
const OK = 0, BAD_RANGE = 1, OVERLAP = 2, FULL = 3;
const PASSTHROUGH = 1, DEBUGCON = 2;

describe("bus registry", () => {
  it("registers, refuses overlaps, bad ranges and overflow, finds by address", () => {
    e.u32("busSetup", A.BUS, A.RANGES, 3, 0x10000);
    expect(e.u32("busAdd", A.BUS, 0xe9, 1, DEBUGCON, 0)).toBe(OK);
    expect(e.u32("busAdd", A.BUS, 0x3f8, 8, 7, 0)).toBe(OK);
    expect(e.u32("busAdd", A.BUS, 0x3fc, 8, 7, 0)).toBe(OVERLAP);
    expect(e.u32("busAdd", A.BUS, 0x3f0, 9, 7, 0)).toBe(OVERLAP);
    expect(e.u32("busAdd", A.BUS, 0x3f0, 8, 7, 0)).toBe(OK);
    expect(e.u32("busAdd", A.BUS, 0x60, 1, 7, 0)).toBe(FULL);
    expect(e.u32("busAdd", A.BUS, 0x60, 0, 7, 0)).toBe(BAD_RANGE);
    expect(e.u32("busAdd", A.BUS, 0xfff0, 0x11, 7, 0)).toBe(BAD_RANGE);
    expect(e.u32("busAdd", A.BUS, 0xffffffffffffff00n, 0x200, 7, 0)).toBe(BAD_RANGE);
    expect(e.i32("busLookup", A.BUS, 0xe9)).toBe(0);
    expect(e.i32("busLookup", A.BUS, 0xea)).toBe(-1);
    expect(e.i32("busLookup", A.BUS, 0x3ff)).toBe(1);
    expect(e.i32("busLookup", A.BUS, 0x400)).toBe(-1);
    expect(e.i32("busLookup", A.BUS, 0x3f7)).toBe(2);
  });
  it("an index (port bus) answers exactly as the scan, for ranges added before and after it", () => {
    const probes = [0, 0x5f, 0x60, 0x61, 0xe8, 0xe9, 0xea, 0x3ef, 0x3f0, 0x3f7, 0x3f8, 0x3ff, 0x400, 0xfffe, 0xffff, 0x10000, 2 ** 40];
    const build = (indexed: boolean): number[] => {
      e.u32("busSetup", A.BUS, A.RANGES, 4, 0x10000);
      expect(e.u32("busAdd", A.BUS, 0xe9, 1, DEBUGCON, 0)).toBe(OK);
      expect(e.u32("busAdd", A.BUS, 0x3f8, 8, 7, 0)).toBe(OK);
      if (indexed) e.call("busIndex", A.BUS, A.INDEX);
      expect(e.u32("busAdd", A.BUS, 0x3f0, 8, 7, 0)).toBe(OK);
      expect(e.u32("busAdd", A.BUS, 0x3f4, 8, 7, 0)).toBe(OVERLAP); // refused: leaves the index alone
      expect(e.u32("busAdd", A.BUS, 0xfffe, 2, 7, 0)).toBe(OK);
      return probes.map((p) => e.i32("busLookup", A.BUS, p));
    };
    const scanned = build(false);
    expect(scanned).toEqual([-1, -1, -1, -1, -1, 0, -1, -1, 2, 2, 1, 1, -1, 3, 3, -1, -1]);
    expect(build(true)).toEqual(scanned);
  });
  it("unassigned reads are all-ones of the access width", () => {
    expect([1, 2, 4, 8].map((s) => e.u64("ones", s))).toEqual([0xffn, 0xffffn, 0xffffffffn, 0xffffffffffffffffn]);
  });
});

describe("I/O bitmaps", () => {
  it("every port exits except pass-through ranges; multi-byte and wrapping accesses per §25.1.3", () => {
    e.u32("busSetup", A.BUS, A.RANGES, 4, 0x10000);
    expect(e.u32("busAdd", A.BUS, 0xe9, 1, DEBUGCON, 0)).toBe(OK);
    expect(e.u32("busAdd", A.BUS, 0x80, 1, PASSTHROUGH, 0)).toBe(OK);
    expect(e.u32("busAdd", A.BUS, 0x7ffe, 4, PASSTHROUGH, 0)).toBe(OK);
    e.u32("ioBitmap", A.BUS, PASSTHROUGH, A.PAGE, A.PAGE_B);
    const hit = (p: number, s = 1): boolean => e.bool("ioBitmapHit", A.PAGE, A.PAGE_B, p, s);
    expect(hit(0xe9)).toBe(true);
    expect(hit(0x80)).toBe(false);
    expect(hit(0x80, 2)).toBe(true); // 0x81 exits
    expect(hit(0x7ffe, 4)).toBe(false); // spans bitmap A and B
    expect(hit(0x8001, 2)).toBe(true);
    expect(hit(0xffff, 2)).toBe(true);
    expect(e.bytes[A.PAGE + 0x10]).toBe(0xfe); // port 0x80: byte 0x10 bit 0
    expect(e.bytes[A.PAGE_B]).toBe(0xfc); // ports 0x8000, 0x8001
    let clear = 0;
    for (let i = 0; i < 8192; i++) for (let b = 0; b < 8; b++) if (((e.bytes[A.PAGE + i]! >> b) & 1) === 0) clear++;
    expect(clear).toBe(5);
  });
});

describe("MMIO test device", () => {
  it("ID is read-only, SCRATCH keeps 8/16/32/64-bit writes at natural offsets, WRITES counts them", () => {
    e.u32("tdReset", A.DEV);
    expect(e.u64("tdRead", A.DEV, 0, 4)).toBe(0x76687374n);
    expect(e.u64("tdRead", A.DEV, 1, 1)).toBe(0x73n);
    e.u32("tdWrite", A.DEV, 0, 4, 0n);
    expect(e.u64("tdRead", A.DEV, 0, 4)).toBe(0x76687374n);
    expect(e.u64("tdRead", A.DEV, 0x10, 4)).toBe(0n);
    e.u32("tdWrite", A.DEV, 8, 8, 0x1122334455667788n);
    e.u32("tdWrite", A.DEV, 9, 1, 0xaan);
    e.u32("tdWrite", A.DEV, 12, 2, 0xbbccn);
    e.u32("tdWrite", A.DEV, 12, 4, 0xddeeff00_12345678n); // only the low 4 bytes
    expect(e.u64("tdRead", A.DEV, 8, 8)).toBe(0x123456785566aa88n);
    expect(e.u64("tdRead", A.DEV, 12, 4)).toBe(0x12345678n);
    expect(e.u64("tdRead", A.DEV, 14, 2)).toBe(0x1234n);
    expect(e.u64("tdRead", A.DEV, 0x10, 4)).toBe(4n);
  });
  it("misaligned, straddling and unimplemented accesses read 0 and are ignored", () => {
    e.u32("tdReset", A.DEV);
    e.u32("tdWrite", A.DEV, 9, 2, 0xffffn);
    e.u32("tdWrite", A.DEV, 12, 8, 0xffffn);
    e.u32("tdWrite", A.DEV, 0x20, 4, 0xffffn);
    expect(e.u64("tdRead", A.DEV, 8, 8)).toBe(0n);
    expect(e.u64("tdRead", A.DEV, 0x10, 4)).toBe(0n);
    expect(e.u64("tdRead", A.DEV, 0, 8)).toBe(0n);
    expect(e.u64("tdRead", A.DEV, 0x18, 4)).toBe(0n);
    expect(e.u64("tdRead", A.DEV, 0xffc, 4)).toBe(0n);
  });
});
