// The host's free RAM for the frame allocator (src/vmm/mem/frames.ts): the loader's "available"
// memory-map ranges, minus what must never be handed out — the first MiB, the image, the wasm
// heap (writeStandardReserved) and the loader's information block and memory map themselves.
//
// Runs only after src/vmm/boot/ has parsed and ACCEPTED the same block (reportMemory returned
// BOOTINFO_OK): every length and offset was checked there. The walk here still bounds itself by
// the block's own sizes and by MAX_RANGES, so a block that changed under us cannot run it away.

import { hw_image_end } from "../hw";
import { MemRange, writeStandardReserved } from "./mem/ranges";
import { frameAllocInit } from "./mem/frames";
import { mb2ModuleExtent, MAX_MODULES } from "./config/vm-config";
import { MB1_BOOT_MAGIC, MB2_BOOT_MAGIC } from "./boot/bootinfo";
import { Mb1Info, Mb1MmapEntry, MB1_FLAG_MMAP, MB1_FLAG_MEM, MB1_INFO_SIZE, MB1_MMAP_SIZE_FIELD } from "./boot/multiboot1_layout";
import { Mb2Tag, Mb2MmapTag, Mb2MmapEntry, MB2_TAG_END, MB2_TAG_MMAP, MB2_MMAP_HEADER_SIZE, MB2_HEADER_SIZE } from "./boot/multiboot2_layout";

const MAX_RANGES: u32 = 64;
const MMAP_AVAILABLE: u32 = 1;
const USABLE: usize = memory.data(<i32>(MAX_RANGES * 16), 8);
/** 4 standard ranges (image, heap, info block, mmap) + the boot modules (kernels, initrds). */
const RESERVED_MAX: u32 = 4 + MAX_MODULES;
const RESERVED: usize = memory.data(<i32>(RESERVED_MAX * 16), 8);
/** Frames the core writes through wasm addresses: below 4 GiB (wasm32). */
export const CORE_ACCESS_LIMIT: u64 = <u64>1 << 32;

const MODULE_CELL: usize = memory.data(16, 8);
let usableCount: u32 = 0;

/** Range `i` of a list. Invariant: i < the list's capacity (MAX_RANGES, or RESERVED_MAX). */
@inline function rangeAt(list: usize, i: u32): MemRange { return changetype<MemRange>(list + <usize>i * 16); }

function addUsable(base: u64, length: u64, type: u32): void {
  if (type != MMAP_AVAILABLE || length == 0 || usableCount >= MAX_RANGES) return;
  if (length - 1 > ~base) return; // wraps: the parser refuses such a block anyway
  const r = rangeAt(USABLE, usableCount++);
  r.start = base;
  r.end = base + length;
}

/** mb1: the mmap buffer (flags bit 6), or mem_lower/mem_upper as two ranges. */
function collectMb1(info: usize): u64 {
  const mbi = changetype<Mb1Info>(info);
  if ((mbi.flags & MB1_FLAG_MMAP) != 0) {
    const addr = <usize>mbi.mmapAddr;
    const length = mbi.mmapLength;
    let off: u32 = 0;
    while (off + MB1_MMAP_SIZE_FIELD + 20 <= length) {
      const e = changetype<Mb1MmapEntry>(addr + <usize>off);
      addUsable(e.baseAddr(), e.length(), e.type());
      off += MB1_MMAP_SIZE_FIELD + e.size();
    }
    const mm = rangeAt(RESERVED, 3);
    mm.start = <u64>addr;
    mm.end = <u64>addr + <u64>length;
  } else if ((mbi.flags & MB1_FLAG_MEM) != 0) {
    addUsable(0, <u64>mbi.memLower << 10, MMAP_AVAILABLE);
    addUsable(0x100000, <u64>mbi.memUpper << 10, MMAP_AVAILABLE);
  }
  return MB1_INFO_SIZE;
}

/** mb2: tag 6 entries. Returns the block's total size (to reserve it). */
function collectMb2(info: usize): u64 {
  const total = load<u32>(info);
  let off: u32 = MB2_HEADER_SIZE;
  while (off + 8 <= total) {
    const t = changetype<Mb2Tag>(info + <usize>off);
    if (t.type == MB2_TAG_END || t.size < 8) break;
    if (t.type == MB2_TAG_MMAP && t.size <= total - off) {
      const m = changetype<Mb2MmapTag>(changetype<usize>(t));
      const es = m.entrySize;
      if (es >= 24) {
        let p: u32 = MB2_MMAP_HEADER_SIZE;
        while (p + es <= t.size) {
          const e = changetype<Mb2MmapEntry>(changetype<usize>(t) + <usize>p);
          addUsable(e.baseAddr, e.length, e.type);
          p += es;
        }
      }
    }
    off += (t.size + 7) & ~7;
  }
  return <u64>total;
}

/**
 * Builds the host frame allocator from the loader's block. Returns its address, or 0 when the
 * loader gave no usable memory or none of it can hold the allocator.
 */
export function hostFramesInit(magic: u32, info: u32): usize {
  usableCount = 0;
  writeStandardReserved(RESERVED, hw_image_end());
  const blk = rangeAt(RESERVED, 2);
  const mm = rangeAt(RESERVED, 3);
  blk.start = 0; blk.end = 0; mm.start = 0; mm.end = 0;
  if (info == 0) return 0;
  let size: u64 = 0;
  if (magic == MB1_BOOT_MAGIC) size = collectMb1(<usize>info);
  else if (magic == MB2_BOOT_MAGIC) size = collectMb2(<usize>info);
  else return 0;
  blk.start = <u64>info;
  blk.end = <u64>info + size;
  // Multiboot2 modules (the VMs' kernels and initrds, src/vmm/config/vm-config.ts) stay where the
  // loader put them until their VM is built from them: never hand their frames out.
  let nres: u32 = 4;
  if (magic == MB2_BOOT_MAGIC) {
    const cell = changetype<usize>(MODULE_CELL);
    for (let i: u32 = 0; i < MAX_MODULES && mb2ModuleExtent(<usize>info, i, cell); i++) {
      const r = rangeAt(RESERVED, nres++);
      r.start = load<u64>(cell) & ~<u64>0xFFF;
      r.end = (load<u64>(cell + 8) + 0xFFF) & ~<u64>0xFFF;
    }
  }
  return frameAllocInit(USABLE, usableCount, RESERVED, nres, CORE_ACCESS_LIMIT);
}
