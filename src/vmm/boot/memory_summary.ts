// What the core learns about RAM from the loader, and the ways a loader block can be refused.
// Both multiboot parsers (multiboot1.ts, multiboot2.ts) fill the same summary; bootinfo.ts prints it.
//
// Loader data is untrusted input: the parsers check every length and offset before reading, and a
// block that fails a check is rejected as a whole with one of the BOOTINFO_* reasons below.

/**
 *   byte  0                       8              12             16             20           24
 *         +-----------------------+--------------+--------------+--------------+------------+
 *         | usableBytes (u64)     | usableRanges | source       | errorOffset  | (padding)  |
 *         +-----------------------+--------------+--------------+--------------+------------+
 */
@unmanaged
export class MemorySummary {
  /** Sum of the lengths of the usable ranges (saturating). */
  usableBytes: u64;
  /** Number of usable ranges of non-zero length. */
  usableRanges: u32;
  /** MEM_SOURCE_*: where the numbers came from. */
  source: u32;
  /** On rejection: byte offset inside the block (or memory map) where the check failed. */
  errorOffset: u32;
}
export const MEMORY_SUMMARY_SIZE: i32 = 24;

export const MEM_SOURCE_NONE: u32 = 0; // the loader gave no memory information
export const MEM_SOURCE_MMAP: u32 = 1; // a memory map (mb1 mmap_*, mb2 tag 6)
export const MEM_SOURCE_BASIC: u32 = 2; // mem_lower / mem_upper only (mb1 flags bit 0, mb2 tag 4)

/** Memory-map entry type 1: available RAM (multiboot 0.6.96 §3.3; multiboot2 §3.6.8). */
export const MMAP_TYPE_AVAILABLE: u32 = 1;

// ---- rejection reasons -------------------------------------------------------------------------
export const BOOTINFO_OK: u32 = 0;
export const BOOTINFO_BLOCK_PAST_4G: u32 = 1;
export const BOOTINFO_BLOCK_OVERLAPS_CORE: u32 = 2;
export const BOOTINFO_MISALIGNED: u32 = 3;
export const BOOTINFO_TOTAL_SIZE: u32 = 4;
export const BOOTINFO_TAG_HEADER_PAST_END: u32 = 5;
export const BOOTINFO_TAG_SIZE_TOO_SMALL: u32 = 6;
export const BOOTINFO_TAG_PAST_END: u32 = 7;
export const BOOTINFO_NO_END_TAG: u32 = 8;
export const BOOTINFO_END_TAG_SIZE: u32 = 9;
export const BOOTINFO_MMAP_ENTRY_SIZE: u32 = 10;
export const BOOTINFO_MMAP_PARTIAL_ENTRY: u32 = 11;
export const BOOTINFO_MMAP_TOO_LARGE: u32 = 12;
export const BOOTINFO_MMAP_EMPTY: u32 = 13;
export const BOOTINFO_MMAP_PAST_4G: u32 = 14;
export const BOOTINFO_MMAP_OVERLAPS_CORE: u32 = 15;
export const BOOTINFO_MMAP_RANGE_WRAPS: u32 = 16;
export const BOOTINFO_MEMINFO_TAG_SIZE: u32 = 17;

export function bootInfoReason(status: u32): string {
  switch (status) {
    case BOOTINFO_OK:
      return "ok";
    case BOOTINFO_BLOCK_PAST_4G:
      return "block extends past 4 GiB";
    case BOOTINFO_BLOCK_OVERLAPS_CORE:
      return "block overlaps the core's static data (overwritten at start-up)";
    case BOOTINFO_MISALIGNED:
      return "block is not 8-byte aligned";
    case BOOTINFO_TOTAL_SIZE:
      return "total_size out of range";
    case BOOTINFO_TAG_HEADER_PAST_END:
      return "tag header runs past the end of the block";
    case BOOTINFO_TAG_SIZE_TOO_SMALL:
      return "tag size smaller than its fixed part";
    case BOOTINFO_TAG_PAST_END:
      return "tag size runs past the end of the block";
    case BOOTINFO_NO_END_TAG:
      return "no end tag";
    case BOOTINFO_END_TAG_SIZE:
      return "end tag size is not 8";
    case BOOTINFO_MMAP_ENTRY_SIZE:
      return "memory map entry size invalid";
    case BOOTINFO_MMAP_PARTIAL_ENTRY:
      return "memory map ends inside an entry";
    case BOOTINFO_MMAP_TOO_LARGE:
      return "memory map larger than 64 KiB";
    case BOOTINFO_MMAP_EMPTY:
      return "memory map is empty";
    case BOOTINFO_MMAP_PAST_4G:
      return "memory map extends past 4 GiB";
    case BOOTINFO_MMAP_OVERLAPS_CORE:
      return "memory map overlaps the core's static data (overwritten at start-up)";
    case BOOTINFO_MMAP_RANGE_WRAPS:
      return "memory range base + length wraps past 2^64";
    case BOOTINFO_MEMINFO_TAG_SIZE:
      return "basic memory information tag too small";
  }
  return "unknown reason";
}

/**
 * The core's wasm static data: [16 MiB, __heap_base). __ts2n_init copies the data segments there
 * before vmm_main runs (docs/native-abi.md, "Physical layout"), so a loader block that overlaps it
 * has already been overwritten and must not be trusted.
 */
const CORE_DATA_START: u64 = 0x1000000;

/** 4 GiB: multiboot addresses and sizes are 32-bit, and so is wasm32 addressing. */
const FOUR_GIB: u64 = 0x100000000;

/** Checks [addr, addr+len) for reading: BOOTINFO_OK, or one of the two given reasons. */
export function checkLoaderRange(addr: u64, len: u64, past4G: u32, overlapsCore: u32): u32 {
  if (addr >= FOUR_GIB || len > FOUR_GIB - addr) return past4G;
  const end = addr + len;
  if (len != 0 && addr < <u64>__heap_base && end > CORE_DATA_START) return overlapsCore;
  return BOOTINFO_OK;
}

/** Resets `out` to "no information". */
export function clearSummary(out: MemorySummary): void {
  out.usableBytes = 0;
  out.usableRanges = 0;
  out.source = MEM_SOURCE_NONE;
  out.errorOffset = 0;
}

/**
 * Accounts one memory-map range. Returns false when base + length wraps (a malformed entry).
 * The total saturates instead of wrapping: overlapping hostile entries must not fake a small sum.
 */
export function addRange(out: MemorySummary, base: u64, length: u64, type: u32): bool {
  if (length != 0 && length - 1 > ~base) return false; // last byte base + length - 1 > 2^64 - 1
  if (type != MMAP_TYPE_AVAILABLE || length == 0) return true;
  const sum = out.usableBytes + length;
  out.usableBytes = sum < length ? u64.MAX_VALUE : sum;
  out.usableRanges++;
  return true;
}

/** Fills `out` from mem_lower / mem_upper (KiB below 640 KiB and above 1 MiB). */
export function summaryFromBasic(out: MemorySummary, memLowerKiB: u32, memUpperKiB: u32): void {
  out.source = MEM_SOURCE_BASIC;
  out.usableBytes = (<u64>memLowerKiB + <u64>memUpperKiB) << 10;
  out.usableRanges = (memLowerKiB != 0 ? 1 : 0) + (memUpperKiB != 0 ? 1 : 0);
}
