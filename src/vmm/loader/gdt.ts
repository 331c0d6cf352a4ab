// Flat segment descriptors for the boot GDTs the loaders build in guest RAM, and the VMX
// access-rights value that matches each, derived from the descriptor itself so that the GDT the
// guest may reload and the hidden segment state in the VMCS can never disagree.
//
// Descriptor (SDM Vol 3A §3.4.5, Figure 3-8), 8 bytes:
//
//   bits 15:0 limit 15:0      39:16 base 23:0      43:40 type   44 S   46:45 DPL   47 P
//   51:48 limit 19:16         52 AVL   53 L   54 D/B   55 G     63:56 base 31:24
//
// The VMX access-rights format (SDM Vol 3C §24.4.1, Table 24-2) is descriptor bits 55:40 with
// bits 51:48 (limit 19:16) cleared, i.e. (desc >> 40) & 0xF0FF.

import { GuestMemory, GmStatus } from "../../ept/guest-memory";
import { guestW64, gmFirst } from "./guest-write";

/** 64-bit code, base 0, limit 0xFFFFF pages: G, L, P, S, type 11 (execute/read, accessed). */
export const DESC_CODE64: u64 = 0x00AF_9B00_0000_FFFF;
/** 32-bit code, flat 4 GiB: G, D, P, S, type 11. */
export const DESC_CODE32: u64 = 0x00CF_9B00_0000_FFFF;
/** Data, flat 4 GiB: G, B, P, S, type 3 (read/write, accessed). */
export const DESC_DATA: u64 = 0x00CF_9300_0000_FFFF;

/** VMX access rights of descriptor `d` (see the header). */
@inline export function descriptorAr(d: u64): u32 {
  return <u32>((d >> 40) & 0xF0FF);
}

/** Byte-granular limit of descriptor `d`: the 20-bit limit, scaled to 4 KiB units when G = 1. */
export function descriptorLimit(d: u64): u32 {
  const raw = <u32>(d & 0xFFFF) | (<u32>((d >> 48) & 0xF) << 16);
  return (d & (<u64>1 << 55)) != 0 ? (raw << 12) | 0xFFF : raw;
}

/**
 * Writes a GDT of five descriptors at guest `gpa`: slot 0 null, then the four given
 * (at selectors 8, 16, 24, 32 in order; pass 0 for a null slot). Returns the first failure.
 */
export function writeGdt<M>(gm: GuestMemory, mem: M, gpa: u64, d1: u64, d2: u64, d3: u64, d4: u64): GmStatus {
  let st = guestW64<M>(gm, mem, gpa, 0);
  st = gmFirst(st, guestW64<M>(gm, mem, gpa + 8, d1));
  st = gmFirst(st, guestW64<M>(gm, mem, gpa + 16, d2));
  st = gmFirst(st, guestW64<M>(gm, mem, gpa + 24, d3));
  st = gmFirst(st, guestW64<M>(gm, mem, gpa + 32, d4));
  return st;
}
/** Bytes writeGdt writes; GDTR.limit is GDT_BYTES - 1. */
export const GDT_BYTES: u64 = 40;
