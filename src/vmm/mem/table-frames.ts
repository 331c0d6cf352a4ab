// The frame source (F in src/ept/phys.ts) that EPT and other page tables draw from: 4 KiB frames
// of the host's FrameAllocator, kept below `limit` so that the core can write them (4 GiB on bare
// metal, where wasm addresses reach only the low 4 GiB).

import { FrameAllocator, allocFrame, freeFrames } from "./frames";

/** 16 bytes: offset 0 allocator block address, 8 limit. */
@final @unmanaged export class TableFrames {
  allocator: usize;
  _pad: u32;
  limit: u64;

  @inline allocTable(): u64 {
    return allocFrame(changetype<FrameAllocator>(this.allocator), this.limit);
  }
  /** Tables are freed only by their owner; a failed free is a bug and is ignored here. */
  @inline freeTable(pa: u64): void {
    freeFrames(changetype<FrameAllocator>(this.allocator), pa, 1);
  }
}
