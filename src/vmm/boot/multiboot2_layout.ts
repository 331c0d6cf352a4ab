// Multiboot2 boot information layout, multiboot2 specification §3.6 "Boot information format".
// The block is a fixed header followed by tags, each starting 8-byte aligned, ending with a tag
// of type 0 and size 8 (§3.6.1, §3.6.2).

/**
 * Fixed part at the start of the block (§3.6.1). The block itself is 8-byte aligned.
 *
 *   byte  0             4            8
 *         +-------------+------------+---- tags ...
 *         | total_size  | reserved   |
 *         +-------------+------------+
 *   total_size counts the whole block, this header and the end tag included.
 */
@unmanaged
export class Mb2InfoHeader {
  totalSize: u32;
  reserved: u32;
}
export const MB2_HEADER_SIZE: u32 = 8;

/**
 * Every tag starts with this (§3.6.2). `size` counts the tag without the padding that follows it
 * up to the next 8-byte boundary.
 *
 *   byte  0       4       8
 *         +-------+-------+---- type-specific ...
 *         | type  | size  |
 *         +-------+-------+
 */
@unmanaged
export class Mb2Tag {
  type: u32;
  size: u32;
}
export const MB2_TAG_HEADER_SIZE: u32 = 8;

export const MB2_TAG_END: u32 = 0;
export const MB2_TAG_BASIC_MEMINFO: u32 = 4;
export const MB2_TAG_MMAP: u32 = 6;

/**
 * Tag 4, basic memory information (§3.6.3): KiB of lower memory (from 0) and upper memory (from
 * 1 MiB).
 *
 *   byte  0         4         8           12          16
 *         +---------+---------+-----------+-----------+
 *         | type=4  | size=16 | mem_lower | mem_upper |
 *         +---------+---------+-----------+-----------+
 */
@unmanaged
export class Mb2BasicMeminfo {
  type: u32;
  size: u32;
  memLower: u32;
  memUpper: u32;
}
export const MB2_BASIC_MEMINFO_SIZE: u32 = 16;

/**
 * Tag 6, memory map (§3.6.8): a 16-byte header and (size - 16) / entry_size entries.
 * entry_size is a multiple of 8 and at least 24; later versions may append fields to an entry.
 *
 *   byte  0         4       8             12              16
 *         +---------+-------+-------------+---------------+---- entries ...
 *         | type=6  | size  | entry_size  | entry_version |
 *         +---------+-------+-------------+---------------+
 */
@unmanaged
export class Mb2MmapTag {
  type: u32;
  size: u32;
  entrySize: u32;
  entryVersion: u32;
}
export const MB2_MMAP_HEADER_SIZE: u32 = 16;

/**
 * One tag-6 entry (§3.6.8), naturally aligned: the entries start 8-aligned and entry_size is a
 * multiple of 8.
 *
 *   byte  0                    8                    16       20         24
 *         +--------------------+--------------------+--------+----------+
 *         | base_addr (u64)    | length (u64)       | type   | reserved |
 *         +--------------------+--------------------+--------+----------+
 */
@unmanaged
export class Mb2MmapEntry {
  baseAddr: u64;
  length: u64;
  type: u32;
  reserved: u32;
}
export const MB2_MMAP_ENTRY_MIN_SIZE: u32 = 24;
