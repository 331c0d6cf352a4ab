// Memory summary from a multiboot1 information block (multiboot 0.6.96 §3.3). Untrusted input:
// the fixed part, the mmap buffer and every entry are bounds-checked before they are read.

import {
  MB1_FLAG_MEM,
  MB1_FLAG_MMAP,
  MB1_INFO_SIZE,
  MB1_MMAP_MIN_SIZE,
  MB1_MMAP_SIZE_FIELD,
  Mb1Info,
  Mb1MmapEntry,
} from "./multiboot1_layout";
import {
  BOOTINFO_BLOCK_OVERLAPS_CORE,
  BOOTINFO_BLOCK_PAST_4G,
  BOOTINFO_MMAP_EMPTY,
  BOOTINFO_MMAP_ENTRY_SIZE,
  BOOTINFO_MMAP_OVERLAPS_CORE,
  BOOTINFO_MMAP_PARTIAL_ENTRY,
  BOOTINFO_MMAP_PAST_4G,
  BOOTINFO_MMAP_RANGE_WRAPS,
  BOOTINFO_MMAP_TOO_LARGE,
  BOOTINFO_OK,
  MEM_SOURCE_MMAP,
  MemorySummary,
  addRange,
  checkLoaderRange,
  clearSummary,
  summaryFromBasic,
} from "./memory_summary";

/**
 * Upper bound on mmap_length. Real maps hold tens of entries (24 bytes each); 64 KiB is over
 * 2,700 of them. A larger value is a corrupt block, not a machine we should walk.
 */
export const MB1_MMAP_MAX: u32 = 0x10000;

/** Parses the block at `info` into `out`. Returns BOOTINFO_OK or the reason it was rejected. */
export function parseMultiboot1(info: usize, out: MemorySummary): u32 {
  clearSummary(out);
  const r = checkLoaderRange(<u64>info, MB1_INFO_SIZE, BOOTINFO_BLOCK_PAST_4G, BOOTINFO_BLOCK_OVERLAPS_CORE);
  if (r != BOOTINFO_OK) return r;
  const mbi = changetype<Mb1Info>(info);
  const flags = mbi.flags;

  if ((flags & MB1_FLAG_MMAP) != 0) return parseMmap(mbi.mmapAddr, mbi.mmapLength, out);
  if ((flags & MB1_FLAG_MEM) != 0) summaryFromBasic(out, mbi.memLower, mbi.memUpper);
  return BOOTINFO_OK;
}

/** Walks the mmap buffer [addr, addr+length). `errorOffset` is relative to `addr`. */
function parseMmap(addr: u32, length: u32, out: MemorySummary): u32 {
  if (length > MB1_MMAP_MAX) return BOOTINFO_MMAP_TOO_LARGE;
  if (length == 0) return BOOTINFO_MMAP_EMPTY;
  const r = checkLoaderRange(<u64>addr, <u64>length, BOOTINFO_MMAP_PAST_4G, BOOTINFO_MMAP_OVERLAPS_CORE);
  if (r != BOOTINFO_OK) return r;
  out.source = MEM_SOURCE_MMAP;

  // Offsets are u32 and bounded by length <= 64 KiB, so off + size below cannot wrap.
  let off: u32 = 0;
  while (off < length) {
    out.errorOffset = off;
    if (length - off < MB1_MMAP_SIZE_FIELD + MB1_MMAP_MIN_SIZE) return BOOTINFO_MMAP_PARTIAL_ENTRY;
    const e = changetype<Mb1MmapEntry>(<usize>addr + <usize>off);
    const size = e.size();
    if (size < MB1_MMAP_MIN_SIZE || size > MB1_MMAP_MAX) return BOOTINFO_MMAP_ENTRY_SIZE;
    if (size > length - off - MB1_MMAP_SIZE_FIELD) return BOOTINFO_MMAP_PARTIAL_ENTRY;
    if (!addRange(out, e.baseAddr(), e.length(), e.type())) return BOOTINFO_MMAP_RANGE_WRAPS;
    off += MB1_MMAP_SIZE_FIELD + size;
  }
  out.errorOffset = 0;
  return BOOTINFO_OK;
}
