// Multiboot2 information parsing (src/vmm/boot/multiboot2.ts) on crafted blocks in the fake RAM.

import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeMachine, constant, fn, instantiate } from "./support/fake-machine.ts";
import {
  MB2_END,
  PC_2G,
  QEMU_128M,
  mb2Cmdline,
  mb2Info,
  mb2Meminfo,
  mb2MmapPayload,
  mb2Tag,
} from "./support/multiboot.ts";

const INFO_AT = 0x10000;

let machine: FakeMachine;
let exports: WebAssembly.Exports;
let parseAt: (info: number) => number;
const k = (name: string): number => constant(exports, name);

beforeAll(() => {
  machine = new FakeMachine({ cpuid: new Map(), msrs: new Map() });
  exports = instantiate(machine);
  parseAt = fn(exports, "testParseMultiboot2");
});

beforeEach(() => {
  new Uint8Array(machine.memory.buffer, 0, 0x200000).fill(0xcc);
});

function parse(block: Buffer, at = INFO_AT): number {
  new Uint8Array(machine.memory.buffer).set(block, at);
  return parseAt(at);
}

function summary(): { bytes: bigint; ranges: number; source: number; errorOffset: number } {
  return {
    bytes: fn<() => bigint>(exports, "testMemUsableBytes")(),
    ranges: fn<() => number>(exports, "testMemUsableRanges")(),
    source: fn<() => number>(exports, "testMemSource")(),
    errorOffset: fn<() => number>(exports, "testMemErrorOffset")(),
  };
}

const mmap = (ranges = PC_2G, entrySize = 24): Buffer => mb2Tag(6, mb2MmapPayload(ranges, entrySize));

describe("multiboot2 well-formed blocks", () => {
  it("memory map among other tags (GRUB's order: cmdline, meminfo, mmap)", () => {
    expect(parse(mb2Info([mb2Cmdline("tshv console=ttyS0"), mb2Meminfo(639, 2096000), mmap(), MB2_END]))).toBe(k("BOOTINFO_OK"));
    expect(summary()).toEqual({ bytes: 0x9fc00n + 0x7fee0000n, ranges: 2, source: k("MEM_SOURCE_MMAP"), errorOffset: 0 });
  });

  it("entry_size larger than 24 (a later entry version) is honoured as the stride", () => {
    expect(parse(mb2Info([mmap(QEMU_128M, 32), MB2_END]))).toBe(k("BOOTINFO_OK"));
    expect(summary().bytes).toBe(0x9fc00n + 0x7ee0000n);
  });

  it("only basic meminfo: mem_lower + mem_upper", () => {
    expect(parse(mb2Info([mb2Meminfo(639, 130048), MB2_END]))).toBe(k("BOOTINFO_OK"));
    expect(summary()).toEqual({ bytes: (639n + 130048n) * 1024n, ranges: 2, source: k("MEM_SOURCE_BASIC"), errorOffset: 0 });
  });

  it("no memory tags: no information", () => {
    expect(parse(mb2Info([mb2Cmdline(""), MB2_END]))).toBe(k("BOOTINFO_OK"));
    expect(summary().source).toBe(k("MEM_SOURCE_NONE"));
  });

  it("the first memory map wins over a later one", () => {
    expect(parse(mb2Info([mmap(QEMU_128M), mmap(PC_2G), MB2_END]))).toBe(k("BOOTINFO_OK"));
    expect(summary().bytes).toBe(0x9fc00n + 0x7ee0000n);
  });
});

describe("multiboot2 malformed blocks are rejected, never read out of range", () => {
  it("block not 8-byte aligned", () => {
    expect(parse(mb2Info([MB2_END]), INFO_AT + 4)).toBe(k("BOOTINFO_MISALIGNED"));
  });

  it("absurd or too small total_size", () => {
    expect(parse(mb2Info([MB2_END], 0xfffffff8))).toBe(k("BOOTINFO_TOTAL_SIZE"));
    expect(parse(mb2Info([MB2_END], 8))).toBe(k("BOOTINFO_TOTAL_SIZE"));
    expect(parse(mb2Info([MB2_END], 0))).toBe(k("BOOTINFO_TOTAL_SIZE"));
  });

  // "Block past 4 GiB" needs a readable header just below 4 GiB, which a 32 MiB fake RAM cannot
  // hold; the shared range check is exercised through multiboot1.test.ts instead.

  it("block on the core's static data at 16 MiB", () => {
    expect(parseAt(0x1000000)).toBe(k("BOOTINFO_BLOCK_OVERLAPS_CORE"));
  });

  it("truncated: total_size ends inside a tag", () => {
    const full = mb2Info([mb2Cmdline("console=ttyS0"), mmap(), MB2_END]);
    expect(parse(mb2Info([mb2Cmdline("console=ttyS0"), mmap(), MB2_END], full.length - 40))).toBe(k("BOOTINFO_TAG_PAST_END"));
    expect(summary().errorOffset).toBe(8 + 24);
  });

  it("truncated: total_size ends inside a tag header", () => {
    const tags = [mb2Cmdline("x"), MB2_END];
    expect(parse(mb2Info(tags, 8 + 16 + 4))).toBe(k("BOOTINFO_TAG_HEADER_PAST_END"));
    expect(summary().errorOffset).toBe(24);
  });

  it("tag size past the end of the block", () => {
    expect(parse(mb2Info([mb2Tag(1, Buffer.alloc(8), 0x10000), MB2_END]))).toBe(k("BOOTINFO_TAG_PAST_END"));
    expect(summary().errorOffset).toBe(8);
  });

  it("tag size 0 (would never advance)", () => {
    expect(parse(mb2Info([mb2Tag(1, Buffer.alloc(8), 0), MB2_END]))).toBe(k("BOOTINFO_TAG_SIZE_TOO_SMALL"));
  });

  it("no end tag: the tags end exactly at total_size", () => {
    expect(parse(mb2Info([mb2Cmdline("abc"), mmap()]))).toBe(k("BOOTINFO_NO_END_TAG"));
  });

  it("end tag with a size other than 8", () => {
    expect(parse(mb2Info([mb2Tag(0, Buffer.alloc(8))]))).toBe(k("BOOTINFO_END_TAG_SIZE"));
  });

  it("mmap entry_size 0, below 24, or not a multiple of 8", () => {
    for (const entrySize of [0, 16, 20, 28]) {
      const payload = mb2MmapPayload(PC_2G, 24);
      payload.writeUInt32LE(entrySize, 0);
      expect(parse(mb2Info([mb2Tag(6, payload), MB2_END])), `entry_size ${entrySize}`).toBe(k("BOOTINFO_MMAP_ENTRY_SIZE"));
    }
  });

  it("mmap with an absurd entry count: size not a whole number of entries, or past the block", () => {
    const payload = mb2MmapPayload(PC_2G);
    expect(parse(mb2Info([mb2Tag(6, payload, 16 + 24 * 5 - 8), MB2_END]))).toBe(k("BOOTINFO_MMAP_PARTIAL_ENTRY"));
    expect(parse(mb2Info([mb2Tag(6, payload, 16 + 24 * 100000), MB2_END]))).toBe(k("BOOTINFO_TAG_PAST_END"));
  });

  it("mmap tag too small for its own header", () => {
    expect(parse(mb2Info([mb2Tag(6, Buffer.alloc(0)), MB2_END]))).toBe(k("BOOTINFO_TAG_SIZE_TOO_SMALL"));
  });

  it("meminfo tag too small", () => {
    expect(parse(mb2Info([mb2Tag(4, Buffer.alloc(4)), MB2_END]))).toBe(k("BOOTINFO_MEMINFO_TAG_SIZE"));
  });

  it("a range whose base + length wraps past 2^64 (offset of the entry in the block)", () => {
    const ranges = [PC_2G[0]!, { base: 0xffffffffffff0000n, length: 0x20000n, type: 1 }];
    expect(parse(mb2Info([mmap(ranges), MB2_END]))).toBe(k("BOOTINFO_MMAP_RANGE_WRAPS"));
    expect(summary().errorOffset).toBe(8 + 16 + 24);
  });
});
