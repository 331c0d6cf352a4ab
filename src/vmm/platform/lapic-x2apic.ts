// The MSR face of the local APIC: the x2APIC register MSRs 0x800-0x8FF, IA32_APIC_BASE (0x1B)
// and IA32_TSC_DEADLINE (0x6E0). The VMM's RDMSR/WRMSR handler sends these three to this file.
// Spec: Intel SDM Vol 3A §11.12.1.2 (x2APIC register address space, Table 11-6), §11.12.1.3
// (reserved-bit checking: a WRMSR setting a reserved bit raises #GP; reserved bits read 0),
// §11.12.9 (64-bit ICR), §11.12.11 (SELF IPI), §11.5.4.1 (IA32_TSC_DEADLINE).
//
// #GP rules in x2APIC mode (Table 11-6 and its notes), all checked before anything changes:
//   - any access to 0x800-0x8FF while not in x2APIC mode;
//   - an MSR with no register (incl. DFR 0x80E, ICR-high 0x831, APR, RRD, the CMCI LVT 0x82F,
//     which this APIC lacks: max LVT 5);
//   - RDMSR of a write-only register (EOI 0x80B, SELF IPI 0x83F);
//   - WRMSR of a read-only register (ID, version, PPR, LDR, ISR/TMR/IRR, current count);
//   - WRMSR with bits 63:32 set (except the ICR), with reserved bits set, a non-zero value to EOI
//     or ESR, or the reserved timer mode 11b.

import { Lapic, LapicExit, lapicX2, lapicReadBase, lapicWriteBase, MSR_IA32_APIC_BASE } from "./lapic-state";
import {
  lapicRegExists, lapicRegReadable, lapicRegWritableX2, lapicRegDefinedBits, lapicRegRead, lapicRegWrite,
  R_ICR_LOW, R_LVT_TIMER,
} from "./lapic-regs";
import { lapicIcrSend } from "./lapic-icr";
import { MSR_IA32_TSC_DEADLINE, lapicReadDeadline, lapicWriteDeadline } from "./lapic-timer";

export const MSR_X2APIC_FIRST: u32 = 0x800;
export const MSR_X2APIC_LAST: u32 = 0x8FF;

/** Whether `msr` belongs to the LAPIC (the VMM routes it here). */
export function lapicOwnsMsr(msr: u32): bool {
  return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE || (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

/** The caller's 8-byte result cell. Invariant: `cell` is 8 writable bytes the caller owns. */
@inline function put(cell: usize, v: u64): void { store<u64>(cell, v); }

/** RDMSR: the value goes to `cell`; false = #GP(0) (cell untouched). */
export function lapicRdmsr(l: Lapic, msr: u32, now: u64, cell: usize): bool {
  if (msr == MSR_IA32_APIC_BASE) { put(cell, lapicReadBase(l)); return true; }
  if (msr == MSR_IA32_TSC_DEADLINE) { put(cell, lapicReadDeadline(l)); return true; }
  if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !lapicX2(l)) return false;
  const idx = msr - MSR_X2APIC_FIRST;
  if (!lapicRegExists(idx, true) || !lapicRegReadable(idx)) return false;
  if (idx == R_ICR_LOW) {
    put(cell, (<u64>l.icrHigh << 32) | <u64>l.icrLow);
    return true;
  }
  put(cell, <u64>lapicRegRead(l, idx, now));
  return true;
}

/**
 * WRMSR: LapicExit.GP for #GP(0) (nothing changed); otherwise what the VMM must do next.
 * `maxPhysBits` is the guest's CPUID 0x80000008 physical-address width (APIC base checks).
 */
export function lapicWrmsr(l: Lapic, msr: u32, value: u64, now: u64, maxPhysBits: u32): LapicExit {
  if (msr == MSR_IA32_APIC_BASE) return lapicWriteBase(l, value, maxPhysBits) ? LapicExit.NONE : LapicExit.GP;
  if (msr == MSR_IA32_TSC_DEADLINE) {
    lapicWriteDeadline(l, value, now);
    return LapicExit.NONE;
  }
  if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !lapicX2(l)) return LapicExit.GP;
  const idx = msr - MSR_X2APIC_FIRST;
  if (!lapicRegExists(idx, true) || !lapicRegWritableX2(idx)) return LapicExit.GP;
  const low = <u32>value;
  if ((low & ~lapicRegDefinedBits(idx)) != 0) return LapicExit.GP;
  if (idx == R_ICR_LOW) {
    const dest = <u32>(value >> 32);
    l.icrHigh = dest;
    return lapicIcrSend(l, low, dest);
  }
  if ((value >> 32) != 0) return LapicExit.GP;
  if (idx == R_LVT_TIMER && ((low >> 17) & 3) == 3) return LapicExit.GP;
  return lapicRegWrite(l, idx, low, now);
}
