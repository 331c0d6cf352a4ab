// Multiboot 0.6.96 (multiboot1) boot information layout, §3.3 "Boot information format".
// Only the fields the core reads are declared; the block is longer when later flags are set.

/**
 * The information block the loader passes in ebx (the core's `bootInfo`).
 *
 *   byte  0       4          8          12          16       20          24
 *         +-------+----------+----------+-----------+--------+-----------+----------+
 *         | flags | mem_lower| mem_upper|boot_device| cmdline|mods_count | mods_addr|
 *         +-------+----------+----------+-----------+--------+-----------+----------+
 *   byte  28                                    44            48           52
 *         +-------------------------------------+-------------+------------+
 *         | syms (4 × u32: a.out or ELF table)  | mmap_length | mmap_addr  |
 *         +-------------------------------------+-------------+------------+
 *   flags bit 0: mem_lower/mem_upper valid (KiB below 1 MiB / KiB from 1 MiB to the first hole)
 *   flags bit 6: mmap_length/mmap_addr valid (a buffer of Mb1MmapEntry)
 */
@unmanaged
export class Mb1Info {
  flags: u32;
  memLower: u32;
  memUpper: u32;
  bootDevice: u32;
  cmdline: u32;
  modsCount: u32;
  modsAddr: u32;
  syms0: u32;
  syms1: u32;
  syms2: u32;
  syms3: u32;
  mmapLength: u32;
  mmapAddr: u32;
}
/** Bytes of Mb1Info the core reads: the parser checks this much is in range before any read. */
export const MB1_INFO_SIZE: u64 = 52;

export const MB1_FLAG_MEM: u32 = 1 << 0;
export const MB1_FLAG_MMAP: u32 = 1 << 6;

/**
 * One memory-map entry. `size` counts the bytes AFTER itself (at least 20; a loader may use more,
 * so the next entry starts at this + 4 + size). base_addr at offset 4 is not 8-aligned, so the
 * fields are read through accessors rather than declared.
 *
 *   byte  0      4                    12                   20       24
 *         +------+--------------------+--------------------+--------+
 *         | size | base_addr (u64)    | length (u64)       | type   |
 *         +------+--------------------+--------------------+--------+
 */
@unmanaged
export class Mb1MmapEntry {
  /** Invariant for all accessors: the parser has checked this .. this + 24 lies inside mmap. */
  @inline size(): u32 {
    return load<u32>(changetype<usize>(this), 0);
  }
  @inline baseAddr(): u64 {
    return load<u64>(changetype<usize>(this), 4);
  }
  @inline length(): u64 {
    return load<u64>(changetype<usize>(this), 12);
  }
  @inline type(): u32 {
    return load<u32>(changetype<usize>(this), 20);
  }
}
/** The `size` field itself. */
export const MB1_MMAP_SIZE_FIELD: u32 = 4;
/** Smallest legal `size`: base_addr + length + type. */
export const MB1_MMAP_MIN_SIZE: u32 = 20;
