// GuestMemory (src/ept/guest-memory.ts): RAM-map and EPT checks, page-crossing copies, statuses.
import { beforeEach, describe, expect, it } from "vitest";
import { v, setup, map, EPT, PHYS, FRAMES, GM, RAMMAP, BUF, R, RWX, UC } from "./ept-setup.ts";

const MiB = 1024 * 1024;
const HPA_A = 32 * MiB, HPA_B = 40 * MiB + 0x5000, HPA_C = 36 * MiB, HPA_RO = 44 * MiB;
const OK = 0, NOT_RAM = 1, NOT_MAPPED = 2, NO_ACCESS = 3, UNREACHABLE = 4, BAD = 5;

/** Guest RAM: [0, 2M) one large page; [2M, 2M+8K) two scattered 4K pages; [2M+8K, 2M+16K) in the
 *  RAM map but not in the EPT; [4M, 4M+4K) read-only; [8M, 8M+4K) backed beyond reachable memory. */
function buildVm(): void {
  setup();
  v.bytes.fill(0, 32 * MiB, 48 * MiB);
  expect(map(0, HPA_A, 2 * MiB)).toBe(0);
  expect(map(2 * MiB, HPA_B, 4096)).toBe(0);
  expect(map(2 * MiB + 4096, HPA_C, 4096)).toBe(0);
  expect(map(4 * MiB, HPA_RO, 4096, R)).toBe(0);
  expect(map(8 * MiB, 1024 * MiB, 4096)).toBe(0);
  expect(map(0xfee00000, 0xfee00000, 4096, RWX, UC)).toBe(0);
  const ram: [number, number][] = [[0, 2 * MiB + 16384], [4 * MiB, 4 * MiB + 4096], [8 * MiB, 8 * MiB + 4096]];
  ram.forEach(([s, e], i) => {
    v.mem.setBigUint64(RAMMAP + 16 * i, BigInt(s), true);
    v.mem.setBigUint64(RAMMAP + 16 * i + 8, BigInt(e), true);
  });
  v.mem.setUint32(GM, EPT, true);
  v.mem.setUint32(GM + 4, RAMMAP, true);
  v.mem.setUint32(GM + 8, ram.length, true);
}
const write = (gpa: number | bigint, bytes: number[]): number => {
  v.bytes.set(bytes, BUF);
  return v.u32("gmWriteBytes", GM, PHYS, gpa, BUF, bytes.length);
};
const read = (gpa: number | bigint, len: number): [number, number[]] => {
  v.bytes.fill(0xee, BUF, BUF + len);
  const st = v.u32("gmReadBytes", GM, PHYS, gpa, BUF, len);
  return [st, [...v.bytes.subarray(BUF, BUF + len)]];
};
const host = (hpa: number, len: number): number[] => [...v.bytes.subarray(hpa, hpa + len)];

describe("GuestMemory", () => {
  beforeEach(buildVm);

  it("a buffer crossing a 2 MiB and a 4 KiB boundary lands in three scattered host frames", () => {
    const data = Array.from({ length: 4096 + 10 }, (_, i) => (i * 7 + 1) & 0xff);
    expect(write(2 * MiB - 3, data)).toBe(OK);
    expect(host(HPA_A + 2 * MiB - 3, 3)).toEqual(data.slice(0, 3));
    expect(host(HPA_B, 4096)).toEqual(data.slice(3, 4099));
    expect(host(HPA_C, 7)).toEqual(data.slice(4099));
    expect(read(2 * MiB - 3, data.length)).toEqual([OK, data]);
  });
  it("scalars: single stores inside a page, bytes across a boundary", () => {
    expect(v.u32("gmStore", GM, PHYS, 0x1000, 8, 0x1122334455667788n)).toBe(OK);
    expect(v.mem.getBigUint64(HPA_A + 0x1000, true)).toBe(0x1122334455667788n);
    expect(v.u32("gmStore", GM, PHYS, 2 * MiB + 4094, 4, 0xa1b2c3d4)).toBe(OK);
    expect(host(HPA_B + 4094, 2)).toEqual([0xd4, 0xc3]);
    expect(host(HPA_C, 2)).toEqual([0xb2, 0xa1]);
    for (const [gpa, size, want] of [[2 * MiB + 4094, 4, 0xa1b2c3d4n], [2 * MiB + 4095, 2, 0xb2c3n],
      [0x1000, 1, 0x88n], [0x1000, 2, 0x7788n], [0x1004, 4, 0x11223344n], [0x1000, 8, 0x1122334455667788n]] as const) {
      v.mem.setBigUint64(BUF, 0xdeadn, true);
      expect(v.u32("gmLoad", GM, PHYS, gpa, size, BUF)).toBe(OK);
      expect(v.mem.getBigUint64(BUF, true)).toBe(want);
    }
  });
  it("checks the whole range before moving a byte", () => {
    expect(write(2 * MiB + 8192 - 2, [1, 2, 3, 4])).toBe(NOT_MAPPED); // runs into the EPT hole
    expect(host(HPA_C + 4094, 2)).toEqual([0, 0]);
    expect(read(4 * MiB + 4094, 4)).toEqual([NOT_RAM, [0xee, 0xee, 0xee, 0xee]]); // runs off the RAM map
    expect(v.u32("gmStore", GM, PHYS, 2 * MiB + 8190, 4, 0xffffffff)).toBe(NOT_MAPPED);
    expect(host(HPA_C + 4094, 2)).toEqual([0, 0]);
  });
  it("statuses: MMIO hole, read-only page, unreachable backing, bad arguments", () => {
    expect(read(0xfee00000, 4)[0]).toBe(NOT_RAM);
    expect(read(16 * MiB, 1)[0]).toBe(NOT_RAM);
    v.bytes[HPA_RO + 5] = 0x5a;
    expect(read(4 * MiB + 5, 1)).toEqual([OK, [0x5a]]);
    expect(write(4 * MiB + 5, [1])).toBe(NO_ACCESS);
    expect(v.u32("gmStore", GM, PHYS, 4 * MiB, 1, 1)).toBe(NO_ACCESS);
    expect(read(8 * MiB, 4)[0]).toBe(UNREACHABLE);
    expect(v.u32("gmLoad", GM, PHYS, 0, 3, BUF)).toBe(BAD);
    expect(v.u32("gmStore", GM, PHYS, 0, 16, 0)).toBe(BAD);
    expect(v.u32("gmReadBytes", GM, PHYS, 0xfffffffffffffffen, BUF, 4)).toBe(BAD);
    expect(v.u32("gmReadBytes", GM, PHYS, 2 * MiB + 8192, BUF, 0)).toBe(OK); // empty: nothing to check
  });
  it("UC memory in the RAM map is refused (only WB RAM is guest memory)", () => {
    v.mem.setBigUint64(RAMMAP + 48, 0xfee00000n, true);
    v.mem.setBigUint64(RAMMAP + 56, 0xfee01000n, true);
    v.mem.setUint32(GM + 8, 4, true);
    expect(read(0xfee00000, 4)[0]).toBe(NO_ACCESS);
  });
  it("short copies (1-16 bytes, one page) move exactly their bytes, each length and alignment", () => {
    // gmRead/gmWrite copy short ranges with two overlapping words: nothing beside the range moves.
    for (let len = 1; len <= 16; len++) {
      for (const off of [0x2000, 0x2001, 0x2003, 0x2007, 4096 * 3 - len]) {
        v.bytes.fill(0x77, HPA_A + off - 8, HPA_A + off + len + 8);
        const data = Array.from({ length: len }, (_, i) => (i * 13 + len + 1) & 0xff);
        expect(write(off, data)).toBe(OK);
        expect(host(HPA_A + off - 8, len + 16)).toEqual([...Array(8).fill(0x77), ...data, ...Array(8).fill(0x77)]);
        v.bytes.fill(0xee, BUF - 8, BUF + len + 8);
        expect(v.u32("gmReadBytes", GM, PHYS, off, BUF, len)).toBe(OK);
        expect([...v.bytes.subarray(BUF - 8, BUF + len + 8)]).toEqual([...Array(8).fill(0xee), ...data, ...Array(8).fill(0xee)]);
      }
    }
    // a short range across a page boundary takes the chunked path and still lands right
    const data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(write(2 * MiB + 4096 - 4, data)).toBe(OK);
    expect(host(HPA_B + 4092, 4)).toEqual(data.slice(0, 4));
    expect(host(HPA_C, 6)).toEqual(data.slice(4));
    expect(read(2 * MiB + 4096 - 4, 10)).toEqual([OK, data]);
  });
  it("gmReadQword (page-table entries) agrees with gmReadScalar(8) everywhere", () => {
    for (let i = 0; i < 64; i++) v.bytes[HPA_B + 4096 - 32 + i] = i + 1; // HPA_B's tail…
    for (let i = 0; i < 64; i++) v.bytes[HPA_C + i] = 0x80 + i; // …and HPA_C's head
    v.mem.setBigUint64(HPA_RO + 8, 0x0123456789abcdefn, true);
    const gpas = [0, 8, 0x1008, 2 * MiB - 8, 2 * MiB + 4096 - 8, 2 * MiB + 4096 - 4, 2 * MiB + 4096 + 16,
      2 * MiB + 8192, 4 * MiB + 8, 4 * MiB + 4096 - 4, 8 * MiB, 16 * MiB, 0xfee00000, 3];
    for (const gpa of gpas) {
      v.mem.setBigUint64(BUF, 0xdeadn, true);
      const want = v.u32("gmLoad", GM, PHYS, gpa, 8, BUF);
      const wantValue = v.mem.getBigUint64(BUF, true);
      v.mem.setBigUint64(BUF, 0xdeadn, true);
      expect([gpa, v.u32("gmLoadQword", GM, PHYS, gpa, BUF)]).toEqual([gpa, want]);
      expect([gpa, v.mem.getBigUint64(BUF, true)]).toEqual([gpa, wantValue]);
    }
    v.mem.setBigUint64(BUF, 0n, true);
    expect(v.u32("gmLoadQword", GM, PHYS, 4 * MiB + 8, BUF)).toBe(OK); // read-only pages are readable
    expect(v.mem.getBigUint64(BUF, true)).toBe(0x0123456789abcdefn);
  });
  it("gmReadShort (instruction fetch) agrees with gmRead for every length, place and status", () => {
    for (let i = 0; i < 64; i++) v.bytes[HPA_B + 4096 - 32 + i] = i + 1;
    for (let i = 0; i < 64; i++) v.bytes[HPA_C + i] = 0x80 + i;
    const gpas = [0x10, 2 * MiB - 7, 2 * MiB + 4096 - 15, 2 * MiB + 4096 - 5, 2 * MiB + 8192 - 3, 2 * MiB + 8192,
      4 * MiB + 4090, 8 * MiB, 16 * MiB, 0xfee00000];
    for (const gpa of gpas) {
      for (let len = 1; len <= 17; len++) {
        v.bytes.fill(0xee, BUF, BUF + 24);
        const want = v.u32("gmReadBytes", GM, PHYS, gpa, BUF, len);
        const wantBytes = [...v.bytes.subarray(BUF, BUF + 24)];
        v.bytes.fill(0xee, BUF, BUF + 24);
        expect([gpa, len, v.u32("gmReadShortBytes", GM, PHYS, gpa, BUF, len)]).toEqual([gpa, len, want]);
        expect([gpa, len, [...v.bytes.subarray(BUF, BUF + 24)]]).toEqual([gpa, len, wantBytes]);
      }
    }
  });
});

describe("GmPageCache (reads through a vCPU's page cache)", () => {
  const CACHE = BUF + 0x1000;
  beforeEach(() => {
    buildVm();
    v.bytes.fill(0xcc, CACHE, CACHE + v.u32("gmCacheSize")); // garbage: the first use must reset it
  });
  const qc = (gpa: number, gm = GM): [number, bigint] => {
    v.mem.setBigUint64(BUF, 0xdeadn, true);
    const st = v.u32("gmLoadQwordCached", gm, PHYS, CACHE, gpa, BUF);
    return [st, v.mem.getBigUint64(BUF, true)];
  };
  const q = (gpa: number): [number, bigint] => {
    v.mem.setBigUint64(BUF, 0xdeadn, true);
    const st = v.u32("gmLoadQword", GM, PHYS, gpa, BUF);
    return [st, v.mem.getBigUint64(BUF, true)];
  };
  it("answers like the uncached reads, before and after the page is known", () => {
    v.mem.setBigUint64(HPA_A + 0x3008, 0x1111n, true);
    v.mem.setBigUint64(HPA_C + 0x10, 0x2222n, true);
    for (let round = 0; round < 2; round++) {
      for (const gpa of [0x3008, 0x3010, 2 * MiB + 4096 + 0x10, 4 * MiB + 8, 8 * MiB, 16 * MiB, 0x3003]) {
        expect([round, gpa, ...qc(gpa)]).toEqual([round, gpa, ...q(gpa)]);
      }
      v.mem.setBigUint64(HPA_A + 0x3010, 0x3333n + BigInt(round), true); // host writes show at once
      expect(qc(0x3010)).toEqual([OK, 0x3333n + BigInt(round)]);
    }
    v.bytes.fill(0xee, BUF + 64, BUF + 96);
    v.bytes.set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], HPA_A + 0x3100);
    for (let i = 0; i < 2; i++) {
      expect(v.u32("gmReadShortCachedBytes", GM, PHYS, CACHE, 0x3100, BUF + 64, 15)).toBe(OK);
      expect([...v.bytes.subarray(BUF + 64, BUF + 80)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0xee]);
    }
    expect(v.u32("gmReadShortCachedBytes", GM, PHYS, CACHE, 2 * MiB + 4090, BUF + 64, 12)).toBe(OK); // crosses a page
    expect(v.u32("gmReadShortCachedBytes", GM, PHYS, CACHE, 2 * MiB + 8190, BUF + 64, 4)).toBe(NOT_MAPPED);
  });
  it("forgets everything when an EPT changes (unmap, protect) or another GuestMemory asks", () => {
    v.mem.setBigUint64(HPA_B + 8, 0x4444n, true);
    expect(qc(2 * MiB + 8)).toEqual([OK, 0x4444n]);
    expect(v.u32("eptProtectRange", EPT, PHYS, FRAMES, BigInt(2 * MiB), 4096n, 4n)).toBe(0); // execute-only
    expect(qc(2 * MiB + 8)[0]).toBe(NO_ACCESS);
    expect(v.u32("eptProtectRange", EPT, PHYS, FRAMES, BigInt(2 * MiB), 4096n, 7n)).toBe(0);
    expect(qc(2 * MiB + 8)).toEqual([OK, 0x4444n]);
    expect(v.u32("eptUnmapRange", EPT, PHYS, FRAMES, BigInt(2 * MiB), 4096n)).toBe(0);
    expect(qc(2 * MiB + 8)[0]).toBe(NOT_MAPPED);
    // another GuestMemory (same EPT, RAM map without [0, 2M)) must not see the first one's pages
    expect(qc(0x3008)[0]).toBe(OK);
    const GM2 = GM + 0x40;
    v.mem.setUint32(GM2, EPT, true);
    v.mem.setUint32(GM2 + 4, RAMMAP + 16, true);
    v.mem.setUint32(GM2 + 8, 1, true);
    expect(qc(0x3008, GM2)[0]).toBe(NOT_RAM);
  });
  it("never remembers a page that is only partly RAM", () => {
    v.mem.setBigUint64(RAMMAP + 8, BigInt(0x3010), true); // RAM now ends inside page 3
    expect(qc(0x3000)[0]).toBe(OK);
    expect(qc(0x3008)[0]).toBe(OK);
    expect(qc(0x3010)[0]).toBe(NOT_RAM);
  });
});
