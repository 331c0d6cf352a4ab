// Common setup for the EPT, GuestMemory and guest-paging tests: a frame allocator over fake RAM
// in the test module's memory, the IdentityPhys view, a TableFrames source, an Ept, and an
// independent EPT walker written from SDM Vol 3C §28.3.2 to check what the core wrote.
import { expect } from "vitest";
import { vtx, MiB, SCRATCH, RAM_END, type Vtx } from "./wasm.ts";

export const v: Vtx = vtx();
export const USABLE = SCRATCH;
export const RESERVED = SCRATCH + 0x8000;
export const PHYS = SCRATCH + 0x20000;
export const FRAMES = SCRATCH + 0x20010;
export const EPT = SCRATCH + 0x20020;
export const LOOKUP = SCRATCH + 0x20040;
export const GM = SCRATCH + 0x20080;
export const RAMMAP = SCRATCH + 0x20100;
export const REGS = SCRATCH + 0x20200;
export const WALK = SCRATCH + 0x20300;
export const BUF = SCRATCH + 0x30000;
/** Host frames backing guest RAM in the GuestMemory tests: [32 MiB, 64 MiB). */
export const HOST_RAM = 32 * MiB;

export const R = 1n, W = 2n, X = 4n, RWX = 7n;
export const WB = 6, UC = 0;
export const SKYLAKE_EPT_CAP = 0x00000f0106334141n; // 2M + 1G pages, execute-only
export const LYNNFIELD_EPT_CAP = 0x00000f0106114141n; // 2M pages only

/** A fresh allocator for table frames over [4 MiB, 4 MiB + tableBytes); returns its free count. */
export function setup(cap = SKYLAKE_EPT_CAP, tableBytes = 8 * MiB): bigint {
  v.bytes.fill(0, 4 * MiB, 12 * MiB);
  const ranges: [number, number][] = [[4 * MiB, 4 * MiB + tableBytes]];
  ranges.forEach(([s, e], i) => { v.mem.setBigUint64(USABLE + 16 * i, BigInt(s), true); v.mem.setBigUint64(USABLE + 16 * i + 8, BigInt(e), true); });
  const nr = v.u32("memStandardReserved", RESERVED, BigInt(MiB));
  const alloc = v.u32("frameInit", USABLE, 1, RESERVED, nr, BigInt(RAM_END));
  expect(alloc).not.toBe(0);
  v.mem.setBigUint64(PHYS, BigInt(RAM_END), true);
  v.mem.setUint32(FRAMES, alloc, true);
  v.mem.setBigUint64(FRAMES + 8, BigInt(RAM_END), true);
  const before = freeFrames();
  expect(v.u32("eptNew", EPT, PHYS, FRAMES, cap)).toBe(0);
  return before;
}
export function freeFrames(): bigint {
  return v.mem.getBigUint64(v.mem.getUint32(FRAMES, true) + 24, true);
}
export const tables = (): number => v.mem.getUint32(EPT + 12, true);
export const pml4 = (): number => Number(v.mem.getBigUint64(EPT, true));

export function map(gpa: bigint | number, hpa: bigint | number, size: bigint | number, perms = RWX, mt = WB): number {
  return v.u32("eptMapRange", EPT, PHYS, FRAMES, gpa, hpa, size, perms, mt);
}
export const unmap = (gpa: bigint | number, size: bigint | number): number => v.u32("eptUnmapRange", EPT, PHYS, FRAMES, gpa, size);
export const protect = (gpa: bigint | number, size: bigint | number, perms: bigint): number =>
  v.u32("eptProtectRange", EPT, PHYS, FRAMES, gpa, size, perms);
export const takeInvept = (): boolean => v.u32("eptTakeInvept", EPT) === 1;

export interface Leaf { hpa: bigint; perms: bigint; mt: number; level: number }

/** Reference walk of the tables in memory, checking reserved bits on the way (§28.3.2). */
export function refWalk(gpa: bigint): Leaf | null {
  let table = BigInt(pml4());
  for (let level = 4; level >= 1; level--) {
    const shift = BigInt(12 + 9 * (level - 1));
    const e = v.mem.getBigUint64(Number(table + ((gpa >> shift) & 511n) * 8n), true);
    if ((e & 7n) === 0n) return null;
    const leaf = level === 1 || ((level === 2 || level === 3) && (e & 0x80n) !== 0n);
    const size = 1n << shift;
    if (leaf) {
      expect((e & 0xfffffffff000n) & (size - 1n), "large-page reserved address bits").toBe(0n);
      return { hpa: (e & 0xfffffffff000n) | (gpa & (size - 1n)), perms: e & 7n, mt: Number((e >> 3n) & 7n), level };
    }
    expect((e >> 3n) & 0x1fn, "non-leaf bits 7:3 reserved").toBe(0n);
    expect(e & 7n, "non-leaf permissions").toBe(7n);
    table = e & 0xfffffffff000n;
  }
  throw new Error("unreachable");
}
