// The I/O bitmaps (SDM Vol 3C §24.6.4), computed from the port bus: bitmap A (4 KiB) covers ports
// 0x0000–0x7FFF, bitmap B (4 KiB) 0x8000–0xFFFF; bit n set = IN/OUT/INS/OUTS touching port n
// exits. An access of several bytes exits if any of its ports has its bit set, and one that wraps
// past 0xFFFF always exits (§25.1.3). Every port exits except the ranges registered as
// DEVICE_PASSTHROUGH (`passthroughKind`): an unassigned port must read all-ones rather than reach
// the real hardware, so the default is "exit".

import { Bus, busRangeAt } from "./bus";

export const IO_BITMAP_SIZE: u32 = 4096;

/** Clears the exit bit of `port` in the bitmap pair (A at `a`, B at `b`). Invariant: port < 0x10000. */
@inline function clearPort(a: usize, b: usize, port: u32): void {
  const page = port < 0x8000 ? a : b;
  const bit = port & 0x7FFF;
  const p = page + <usize>(bit >> 3);
  store<u8>(p, load<u8>(p) & ~(<u8>1 << <u8>(bit & 7)));
}

/**
 * Fills bitmaps A (`a`) and B (`b`), two caller-owned 4 KiB pages: all ports exit except the
 * ranges of `bus` whose device kind is `passthroughKind`.
 */
export function ioBitmapBuild(bus: Bus, passthroughKind: u32, a: usize, b: usize): void {
  memory.fill(a, 0xFF, IO_BITMAP_SIZE);
  memory.fill(b, 0xFF, IO_BITMAP_SIZE);
  for (let i: u32 = 0; i < bus.count; i++) {
    const r = busRangeAt(bus, i);
    if (r.device != passthroughKind) continue;
    const end = min<u64>(r.base + r.length, 0x10000);
    for (let port = r.base; port < end; port++) clearPort(a, b, <u32>port);
  }
}

/** Whether an access of `size` bytes at `port` exits under the bitmaps at `a`/`b` (§25.1.3). */
export function ioBitmapExits(a: usize, b: usize, port: u32, size: u32): bool {
  if (port + size > 0x10000) return true;
  for (let p = port; p < port + size; p++) {
    const page = p < 0x8000 ? a : b;
    const bit = p & 0x7FFF;
    if ((load<u8>(page + <usize>(bit >> 3)) & (<u8>1 << <u8>(bit & 7))) != 0) return true;
  }
  return false;
}
