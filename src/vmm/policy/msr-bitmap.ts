// The MSR bitmap (SDM Vol 3C §24.6.9), computed from the policy table: one 4 KiB page, four
// 1 KiB bitmaps; bit n set = RDMSR/WRMSR of that MSR causes a VM exit:
//
//   byte    0 … 1023   read bitmap for low MSRs   0x00000000 … 0x00001FFF
//   byte 1024 … 2047   read bitmap for high MSRs  0xC0000000 … 0xC0001FFF
//   byte 2048 … 3071   write bitmap for low MSRs
//   byte 3072 … 4095   write bitmap for high MSRs
//
// MSRs outside both ranges always exit (§25.1.3), and so does every MSR whose bit is set here:
// everything except the table's no-exit rows (msr-table.ts ruleReadExits/ruleWriteExits).

import { msrTableRows, msrTableMsr, msrTableRule, ruleReadExits, ruleWriteExits } from "./msr-table";

export const MSR_BITMAP_SIZE: u32 = 4096;
const HIGH_BASE: u32 = 0xC0000000;
const RANGE: u32 = 0x2000;

/** Byte offset (within a 1 KiB read or write half) of `msr`'s bit, or -1 when not covered. */
export function msrBitmapOffset(msr: u32): i32 {
  if (msr < RANGE) return <i32>(msr >> 3);
  if (msr >= HIGH_BASE && msr - HIGH_BASE < RANGE) return 1024 + <i32>((msr - HIGH_BASE) >> 3);
  return -1;
}

/** Clears the exit bit of `msr` in the bitmap half at `half` (page or page + 2048). */
@inline function clearBit(half: usize, msr: u32): void {
  const off = msrBitmapOffset(msr);
  if (off < 0) return;
  // Invariant: 0 <= off < 2048, inside the 4 KiB page the caller owns.
  const p = half + <usize>off;
  store<u8>(p, load<u8>(p) & ~(<u8>1 << <u8>(msr & 7)));
}

/** Fills the 4 KiB page at `page` (caller-owned, 4 KiB aligned for the VMCS) from the table. */
export function msrBitmapBuild(page: usize): void {
  memory.fill(page, 0xFF, MSR_BITMAP_SIZE);
  const n = msrTableRows();
  for (let i: u32 = 0; i < n; i++) {
    const r = msrTableRule(i);
    if (!ruleReadExits(r)) clearBit(page, msrTableMsr(i));
    if (!ruleWriteExits(r)) clearBit(page + 2048, msrTableMsr(i));
  }
}

/** Whether the bitmap at `page` makes RDMSR (write = false) / WRMSR (write = true) of `msr` exit. */
export function msrBitmapExits(page: usize, msr: u32, write: bool): bool {
  const off = msrBitmapOffset(msr);
  if (off < 0) return true;
  const p = page + (write ? 2048 : 0) + <usize>off;
  return (load<u8>(p) & (<u8>1 << <u8>(msr & 7))) != 0;
}
