// Memory summary from a multiboot2 information block (multiboot2 §3.6). Untrusted input: the
// block's total_size is bounded and range-checked first, then every tag's header and size are
// checked against it before the tag is read, and the block must end with a proper end tag.
// Tag 6 (memory map) wins over tag 4 (basic meminfo); the first of each kind counts.

import {
  MB2_BASIC_MEMINFO_SIZE,
  MB2_HEADER_SIZE,
  MB2_MMAP_ENTRY_MIN_SIZE,
  MB2_MMAP_HEADER_SIZE,
  MB2_TAG_BASIC_MEMINFO,
  MB2_TAG_END,
  MB2_TAG_HEADER_SIZE,
  MB2_TAG_MMAP,
  Mb2BasicMeminfo,
  Mb2InfoHeader,
  Mb2MmapEntry,
  Mb2MmapTag,
  Mb2Tag,
} from "./multiboot2_layout";
import {
  BOOTINFO_BLOCK_OVERLAPS_CORE,
  BOOTINFO_BLOCK_PAST_4G,
  BOOTINFO_END_TAG_SIZE,
  BOOTINFO_MEMINFO_TAG_SIZE,
  BOOTINFO_MISALIGNED,
  BOOTINFO_MMAP_ENTRY_SIZE,
  BOOTINFO_MMAP_PARTIAL_ENTRY,
  BOOTINFO_MMAP_RANGE_WRAPS,
  BOOTINFO_NO_END_TAG,
  BOOTINFO_OK,
  BOOTINFO_TAG_HEADER_PAST_END,
  BOOTINFO_TAG_PAST_END,
  BOOTINFO_TAG_SIZE_TOO_SMALL,
  BOOTINFO_TOTAL_SIZE,
  MEM_SOURCE_MMAP,
  MemorySummary,
  addRange,
  checkLoaderRange,
  clearSummary,
  summaryFromBasic,
} from "./memory_summary";

/**
 * Upper bound on total_size. GRUB's blocks are a few KiB; an EFI memory map copy (tag 17) or ELF
 * section headers (tag 9) can make them tens of KiB. 1 MiB leaves room and still rejects garbage.
 */
export const MB2_INFO_MAX: u32 = 0x100000;
/** Smallest block: the header and the end tag. */
const MB2_INFO_MIN: u32 = MB2_HEADER_SIZE + MB2_TAG_HEADER_SIZE;

/** Parses the block at `info` into `out`. Returns BOOTINFO_OK or the reason it was rejected. */
export function parseMultiboot2(info: usize, out: MemorySummary): u32 {
  clearSummary(out);
  if ((info & 7) != 0) return BOOTINFO_MISALIGNED;
  // Check the fixed header is readable before reading total_size, then the whole block.
  let r = checkLoaderRange(<u64>info, MB2_HEADER_SIZE, BOOTINFO_BLOCK_PAST_4G, BOOTINFO_BLOCK_OVERLAPS_CORE);
  if (r != BOOTINFO_OK) return r;
  const total = changetype<Mb2InfoHeader>(info).totalSize;
  if (total < MB2_INFO_MIN || total > MB2_INFO_MAX) return BOOTINFO_TOTAL_SIZE;
  r = checkLoaderRange(<u64>info, <u64>total, BOOTINFO_BLOCK_PAST_4G, BOOTINFO_BLOCK_OVERLAPS_CORE);
  if (r != BOOTINFO_OK) return r;

  // Pass 1: validate the tag chain and remember the tags we use. `off` <= total <= 1 MiB, so the
  // u32 sums below cannot wrap.
  let mmapOff: u32 = 0;
  let meminfoOff: u32 = 0;
  let off: u32 = MB2_HEADER_SIZE;
  while (true) {
    out.errorOffset = off;
    if (total - off < MB2_TAG_HEADER_SIZE) return BOOTINFO_TAG_HEADER_PAST_END; // off < total here
    const tag = changetype<Mb2Tag>(info + <usize>off);
    const type = tag.type;
    const size = tag.size;
    if (size < MB2_TAG_HEADER_SIZE) return BOOTINFO_TAG_SIZE_TOO_SMALL;
    if (size > total - off) return BOOTINFO_TAG_PAST_END;
    if (type == MB2_TAG_END) {
      if (size != MB2_TAG_HEADER_SIZE) return BOOTINFO_END_TAG_SIZE;
      break;
    }
    if (type == MB2_TAG_MMAP && mmapOff == 0) {
      r = checkMmapTag(changetype<Mb2MmapTag>(info + <usize>off));
      if (r != BOOTINFO_OK) return r;
      mmapOff = off;
    } else if (type == MB2_TAG_BASIC_MEMINFO && meminfoOff == 0) {
      if (size < MB2_BASIC_MEMINFO_SIZE) return BOOTINFO_MEMINFO_TAG_SIZE;
      meminfoOff = off;
    }
    // Next tag at the next 8-byte boundary (§3.6.2); past `total` means the end tag is missing.
    off = (off + size + 7) & ~7;
    if (off >= total) {
      out.errorOffset = off;
      return BOOTINFO_NO_END_TAG;
    }
  }
  out.errorOffset = 0;

  // Pass 2: the block is well-formed; summarize.
  if (mmapOff != 0) return summarizeMmap(changetype<Mb2MmapTag>(info + <usize>mmapOff), mmapOff, out);
  if (meminfoOff != 0) {
    const m = changetype<Mb2BasicMeminfo>(info + <usize>meminfoOff);
    summaryFromBasic(out, m.memLower, m.memUpper);
  }
  return BOOTINFO_OK;
}

/** Checks a tag 6 whose header and `size` bytes are known to lie inside the block. */
function checkMmapTag(t: Mb2MmapTag): u32 {
  const size = t.size;
  if (size < MB2_MMAP_HEADER_SIZE) return BOOTINFO_TAG_SIZE_TOO_SMALL;
  const entrySize = t.entrySize;
  // entry_size 0 would make the entry count infinite; smaller than an entry, or not a multiple of 8
  // (which keeps the u64 fields aligned), is not a map the spec describes.
  if (entrySize < MB2_MMAP_ENTRY_MIN_SIZE || (entrySize & 7) != 0 || entrySize > MB2_INFO_MAX) {
    return BOOTINFO_MMAP_ENTRY_SIZE;
  }
  if ((size - MB2_MMAP_HEADER_SIZE) % entrySize != 0) return BOOTINFO_MMAP_PARTIAL_ENTRY;
  return BOOTINFO_OK;
}

/** Sums a tag 6 that checkMmapTag accepted. `tagOff` locates errors relative to the block. */
function summarizeMmap(t: Mb2MmapTag, tagOff: u32, out: MemorySummary): u32 {
  out.source = MEM_SOURCE_MMAP;
  const entrySize = t.entrySize;
  const count = (t.size - MB2_MMAP_HEADER_SIZE) / entrySize;
  let p = changetype<usize>(t) + <usize>MB2_MMAP_HEADER_SIZE;
  for (let i: u32 = 0; i < count; i++) {
    const e = changetype<Mb2MmapEntry>(p);
    if (!addRange(out, e.baseAddr, e.length, e.type)) {
      out.errorOffset = tagOff + MB2_MMAP_HEADER_SIZE + i * entrySize;
      return BOOTINFO_MMAP_RANGE_WRAPS;
    }
    p += <usize>entrySize;
  }
  return BOOTINFO_OK;
}
