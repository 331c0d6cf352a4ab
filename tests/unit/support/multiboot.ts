// Builders for loader information blocks, byte for byte as the specifications lay them out:
// multiboot 0.6.96 §3.3 (multiboot1) and multiboot2 §3.6. Tests mutate the results to make them
// malformed.

export const MB1_MAGIC = 0x2badb002;
export const MB2_MAGIC = 0x36d76289;

export interface Range {
  base: bigint;
  length: bigint;
  type: number;
}

/** QEMU's map for `-m 128` (what its multiboot loader reports), 127 MiB usable in 2 ranges. */
export const QEMU_128M: Range[] = [
  { base: 0x0n, length: 0x9fc00n, type: 1 },
  { base: 0x9fc00n, length: 0x400n, type: 2 },
  { base: 0xf0000n, length: 0x10000n, type: 2 },
  { base: 0x100000n, length: 0x7ee0000n, type: 1 },
  { base: 0xfffc0000n, length: 0x40000n, type: 2 },
];

/** A 2 GiB PC: 2047 MiB usable (0x9FC00 + 0x7FEE0000 bytes) in 2 ranges. */
export const PC_2G: Range[] = [
  { base: 0x0n, length: 0x9fc00n, type: 1 },
  { base: 0x9fc00n, length: 0x400n, type: 2 },
  { base: 0xe0000n, length: 0x20000n, type: 2 },
  { base: 0x100000n, length: 0x7fee0000n, type: 1 },
  { base: 0x7ffe0000n, length: 0x20000n, type: 3 },
];

/** multiboot1 mmap buffer: entries of `size` (20 by default) + 4 bytes. */
export function mb1Mmap(ranges: Range[], size = 20): Buffer {
  const b = Buffer.alloc(ranges.length * (size + 4));
  ranges.forEach((r, i) => {
    const o = i * (size + 4);
    b.writeUInt32LE(size, o);
    b.writeBigUInt64LE(r.base, o + 4);
    b.writeBigUInt64LE(r.length, o + 12);
    b.writeUInt32LE(r.type, o + 20);
  });
  return b;
}

export interface Mb1Fields {
  flags: number;
  memLower?: number;
  memUpper?: number;
  mmapLength?: number;
  mmapAddr?: number;
}

/** The 52-byte fixed part of a multiboot1 information block. */
export function mb1Info(f: Mb1Fields): Buffer {
  const b = Buffer.alloc(52);
  b.writeUInt32LE(f.flags >>> 0, 0);
  b.writeUInt32LE((f.memLower ?? 0) >>> 0, 4);
  b.writeUInt32LE((f.memUpper ?? 0) >>> 0, 8);
  b.writeUInt32LE((f.mmapLength ?? 0) >>> 0, 44);
  b.writeUInt32LE((f.mmapAddr ?? 0) >>> 0, 48);
  return b;
}

/** One multiboot2 tag: header + payload, padded to 8 bytes. `size` overrides the size field. */
export function mb2Tag(type: number, payload: Buffer, size?: number): Buffer {
  const realSize = 8 + payload.length;
  const b = Buffer.alloc((realSize + 7) & ~7);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE((size ?? realSize) >>> 0, 4);
  payload.copy(b, 8);
  return b;
}

/** Tag 6 payload: entry_size, entry_version, entries (24 bytes each, or `entrySize`). */
export function mb2MmapPayload(ranges: Range[], entrySize = 24): Buffer {
  const b = Buffer.alloc(8 + ranges.length * entrySize);
  b.writeUInt32LE(entrySize, 0);
  b.writeUInt32LE(0, 4);
  ranges.forEach((r, i) => {
    const o = 8 + i * entrySize;
    b.writeBigUInt64LE(r.base, o);
    b.writeBigUInt64LE(r.length, o + 8);
    b.writeUInt32LE(r.type, o + 16);
  });
  return b;
}

export function mb2Meminfo(lowerKiB: number, upperKiB: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(lowerKiB, 0);
  b.writeUInt32LE(upperKiB, 4);
  return mb2Tag(4, b);
}

export function mb2Cmdline(text: string): Buffer {
  return mb2Tag(1, Buffer.from(text + "\0", "latin1"));
}

export const MB2_END = mb2Tag(0, Buffer.alloc(0));

/** A whole multiboot2 block: header (total_size = everything, or `totalSize`) + tags. */
export function mb2Info(tags: Buffer[], totalSize?: number): Buffer {
  const body = Buffer.concat(tags);
  const b = Buffer.alloc(8 + body.length);
  b.writeUInt32LE((totalSize ?? b.length) >>> 0, 0);
  body.copy(b, 8);
  return b;
}
