// The xAPIC view of the local APIC: the 4 KiB MMIO page at IA32_APIC_BASE (0xFEE00000).
// Spec: Intel SDM Vol 3A §11.4.1 (register page, Table 11-1 offsets), §11.4.5 ("registers are
// 32 bits wide … aligned on 128-bit boundaries … accessed with 32-bit loads and stores"),
// §11.5.3 (ESR bit 7, illegal register address), §11.12.2 (in x2APIC mode the MMIO page does
// not decode).
//
// Guest accesses are untrusted: the offset is reduced to the page, unknown registers set the
// illegal-register error and read 0, and any access other than what §11.4.5 defines is answered
// without side effects: a read of 1, 2 or 4 bytes inside the first dword of a register returns
// those bytes (8-byte reads: the dword, upper half 0); bytes 4-15 of a slot read 0; a write that
// is not 4 bytes at a 16-byte-aligned offset is ignored.

import { Lapic, LapicExit, lapicEnabled, lapicX2 } from "./lapic-state";
import { lapicError, ESR_ILLEGAL_REGISTER } from "./lapic-irq";
import { lapicRegExists, lapicRegRead, lapicRegWrite } from "./lapic-regs";

/** What the page reads as when it does not decode (disabled or x2APIC mode): no device. */
const UNDECODED: u64 = 0xFFFFFFFFFFFFFFFF;

@inline function decodes(l: Lapic): bool { return lapicEnabled(l) && !lapicX2(l); }

/** Width mask for a read of `size` bytes (1, 2, 4, 8; anything else reads as 4). */
@inline function sizeMask(size: u32): u64 {
  if (size == 1) return 0xFF;
  if (size == 2) return 0xFFFF;
  if (size == 8) return UNDECODED;
  return 0xFFFFFFFF;
}

/** MMIO read of `size` bytes at `offset` into the page (the bus passes gpa − base). */
export function lapicMmioRead(l: Lapic, offset: u64, size: u32, now: u64): u64 {
  if (!decodes(l)) return UNDECODED & sizeMask(size);
  const off = <u32>(offset & 0xFFF);
  const idx = off >> 4;
  const byte = off & 0xF;
  if (!lapicRegExists(idx, false)) {
    lapicError(l, ESR_ILLEGAL_REGISTER);
    return 0;
  }
  if (byte >= 4) return 0;
  const v = <u64>lapicRegRead(l, idx, now) >> (<u64>byte * 8);
  return v & sizeMask(size);
}

/** MMIO write; the LapicExit says what the VMM must do next (EOI to the IOAPIC, route an IPI). */
export function lapicMmioWrite(l: Lapic, offset: u64, size: u32, value: u64, now: u64): LapicExit {
  if (!decodes(l)) return LapicExit.NONE;
  const off = <u32>(offset & 0xFFF);
  const idx = off >> 4;
  if (!lapicRegExists(idx, false)) {
    lapicError(l, ESR_ILLEGAL_REGISTER);
    return LapicExit.NONE;
  }
  if (size != 4 || (off & 0xF) != 0) return LapicExit.NONE;
  return lapicRegWrite(l, idx, <u32>value, now);
}
