// Multiboot1 information parsing (src/vmm/boot/multiboot1.ts) on crafted blocks in the fake RAM.

import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeMachine, constant, fn, instantiate } from "./support/fake-machine.ts";
import { QEMU_128M, mb1Info, mb1Mmap } from "./support/multiboot.ts";

const INFO_AT = 0x9000;
const MMAP_AT = 0x9100;

let machine: FakeMachine;
let exports: WebAssembly.Exports;
let parse: (info: number) => number;
const k = (name: string): number => constant(exports, name);

beforeAll(() => {
  machine = new FakeMachine({ cpuid: new Map(), msrs: new Map() });
  exports = instantiate(machine);
  parse = fn(exports, "testParseMultiboot1");
});

beforeEach(() => {
  new Uint8Array(machine.memory.buffer, 0, 0x100000).fill(0xcc); // stale garbage, not zeros
});

function place(at: number, bytes: Buffer): void {
  new Uint8Array(machine.memory.buffer).set(bytes, at);
}

function summary(): { bytes: bigint; ranges: number; source: number; errorOffset: number } {
  return {
    bytes: fn<() => bigint>(exports, "testMemUsableBytes")(),
    ranges: fn<() => number>(exports, "testMemUsableRanges")(),
    source: fn<() => number>(exports, "testMemSource")(),
    errorOffset: fn<() => number>(exports, "testMemErrorOffset")(),
  };
}

/** A block with flags bit 6 and the map at MMAP_AT. */
function withMmap(mmap: Buffer, mmapLength = mmap.length, mmapAddr = MMAP_AT): number {
  place(INFO_AT, mb1Info({ flags: (1 << 6) | 1, memLower: 639, memUpper: 1, mmapLength, mmapAddr }));
  place(MMAP_AT, mmap);
  return parse(INFO_AT);
}

describe("multiboot1 memory map", () => {
  it("sums the available ranges of QEMU's map", () => {
    expect(withMmap(mb1Mmap(QEMU_128M))).toBe(k("BOOTINFO_OK"));
    expect(summary()).toEqual({ bytes: 0x9fc00n + 0x7ee0000n, ranges: 2, source: k("MEM_SOURCE_MMAP"), errorOffset: 0 });
  });

  it("follows each entry's size field (a loader may use entries larger than 20 bytes)", () => {
    expect(withMmap(mb1Mmap(QEMU_128M, 28))).toBe(k("BOOTINFO_OK"));
    expect(summary().bytes).toBe(0x9fc00n + 0x7ee0000n);
    expect(summary().ranges).toBe(2);
  });

  it("mem_lower/mem_upper when there is no map", () => {
    place(INFO_AT, mb1Info({ flags: 1, memLower: 639, memUpper: 130048 }));
    expect(parse(INFO_AT)).toBe(k("BOOTINFO_OK"));
    expect(summary()).toEqual({ bytes: (639n + 130048n) * 1024n, ranges: 2, source: k("MEM_SOURCE_BASIC"), errorOffset: 0 });
  });

  it("no memory flags: no information, not an error", () => {
    place(INFO_AT, mb1Info({ flags: 0, memLower: 639, memUpper: 130048, mmapLength: 48, mmapAddr: MMAP_AT }));
    expect(parse(INFO_AT)).toBe(k("BOOTINFO_OK"));
    expect(summary().source).toBe(k("MEM_SOURCE_NONE"));
  });
});

describe("multiboot1 malformed blocks are rejected, never read out of range", () => {
  it("entry size 0 (would loop forever on the same entry)", () => {
    const m = mb1Mmap(QEMU_128M);
    m.writeUInt32LE(0, 24);
    expect(withMmap(m)).toBe(k("BOOTINFO_MMAP_ENTRY_SIZE"));
    expect(summary().errorOffset).toBe(24);
  });

  it("entry size below the 20-byte minimum", () => {
    const m = mb1Mmap(QEMU_128M);
    m.writeUInt32LE(19, 0);
    expect(withMmap(m)).toBe(k("BOOTINFO_MMAP_ENTRY_SIZE"));
  });

  it("an entry whose size runs past mmap_length", () => {
    const m = mb1Mmap(QEMU_128M);
    m.writeUInt32LE(0x1000, 48); // third entry claims 4 KiB
    expect(withMmap(m)).toBe(k("BOOTINFO_MMAP_PARTIAL_ENTRY"));
    expect(summary().errorOffset).toBe(48);
  });

  it("mmap_length ending inside an entry", () => {
    expect(withMmap(mb1Mmap(QEMU_128M), 24 * 2 + 10)).toBe(k("BOOTINFO_MMAP_PARTIAL_ENTRY"));
    expect(summary().errorOffset).toBe(48);
  });

  it("absurd mmap_length", () => {
    expect(withMmap(mb1Mmap(QEMU_128M), 0xfffffff0)).toBe(k("BOOTINFO_MMAP_TOO_LARGE"));
  });

  it("empty map", () => {
    expect(withMmap(mb1Mmap(QEMU_128M), 0)).toBe(k("BOOTINFO_MMAP_EMPTY"));
  });

  it("map past 4 GiB (the fake RAM is 32 MiB: any read there would trap the test)", () => {
    expect(withMmap(mb1Mmap(QEMU_128M), 0x200, 0xffffff00)).toBe(k("BOOTINFO_MMAP_PAST_4G"));
  });

  it("map overlapping the core's static data at 16 MiB", () => {
    place(INFO_AT, mb1Info({ flags: 1 << 6, mmapLength: 0x100, mmapAddr: 0xffffc0 }));
    expect(parse(INFO_AT)).toBe(k("BOOTINFO_MMAP_OVERLAPS_CORE"));
  });

  it("info block itself past 4 GiB or on the core's data", () => {
    expect(parse(0xfffffff0)).toBe(k("BOOTINFO_BLOCK_PAST_4G"));
    expect(parse(0x1000000)).toBe(k("BOOTINFO_BLOCK_OVERLAPS_CORE"));
  });

  it("a range whose base + length wraps past 2^64", () => {
    const m = mb1Mmap([{ base: 0xfffffffffffff000n, length: 0x2000n, type: 1 }]);
    expect(withMmap(m)).toBe(k("BOOTINFO_MMAP_RANGE_WRAPS"));
  });

  it("a range ending exactly at 2^64 is fine", () => {
    const m = mb1Mmap([{ base: 0xfffffffffffff000n, length: 0x1000n, type: 2 }]);
    expect(withMmap(m)).toBe(k("BOOTINFO_OK"));
  });
});
