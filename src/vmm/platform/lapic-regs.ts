// The local APIC register file, addressed by register index: the xAPIC MMIO offset >> 4, which is
// also the x2APIC MSR number − 0x800 (SDM Vol 3A §11.12.1.2, Table 11-6). Both views
// (lapic-mmio.ts, lapic-x2apic.ts) call these after their own access checks.
// Spec: Intel SDM Vol 3A §11.4.6 (ID), §11.4.8 (version), §11.5.1 (LVT, Figure 11-8),
// §11.5.3 (ESR), §11.6.2.2 (LDR, DFR), §11.8.3.1 (TPR, PPR), §11.8.5 (EOI), §11.9 (SVR),
// §11.4.7.2 (software disable masks every LVT).

import {
  Lapic, LapicExit, LAPIC_VERSION, LVT_MASKED, SVR_ENABLE, SET_IRR, SET_ISR, SET_TMR, vecWord,
  lapicX2, lapicSwEnabled,
} from "./lapic-state";
import { lapicPpr, lapicEoi } from "./lapic-irq";
import {
  lapicTimerCurrent, lapicTimerWriteInitial, lapicTimerWriteDivide, lapicTimerWriteLvt,
  LVT_TIMER_WRITABLE, TDCR_WRITABLE,
} from "./lapic-timer";
import { lapicIcrSend, lapicSelfIpi, ICR_LOW_WRITABLE } from "./lapic-icr";

// Register indices.
export const R_ID: u32 = 0x02;
export const R_VERSION: u32 = 0x03;
export const R_TPR: u32 = 0x08;
export const R_APR: u32 = 0x09;
export const R_PPR: u32 = 0x0A;
export const R_EOI: u32 = 0x0B;
export const R_RRD: u32 = 0x0C;
export const R_LDR: u32 = 0x0D;
export const R_DFR: u32 = 0x0E;
export const R_SVR: u32 = 0x0F;
export const R_ISR0: u32 = 0x10;
export const R_TMR0: u32 = 0x18;
export const R_IRR0: u32 = 0x20;
export const R_ESR: u32 = 0x28;
export const R_ICR_LOW: u32 = 0x30;
export const R_ICR_HIGH: u32 = 0x31;
export const R_LVT_TIMER: u32 = 0x32;
export const R_LVT_THERMAL: u32 = 0x33;
export const R_LVT_PERF: u32 = 0x34;
export const R_LVT_LINT0: u32 = 0x35;
export const R_LVT_LINT1: u32 = 0x36;
export const R_LVT_ERROR: u32 = 0x37;
export const R_TIMER_INITIAL: u32 = 0x38;
export const R_TIMER_CURRENT: u32 = 0x39;
export const R_TIMER_DIVIDE: u32 = 0x3E;
export const R_SELF_IPI: u32 = 0x3F;

/** SVR bits: vector 7:0, APIC enable 8, focus processor checking 9 (no EOI suppression: 12). */
const SVR_WRITABLE: u32 = 0x3FF;
/** LVT thermal/perf: vector, delivery mode 10:8, mask 16 (delivery status 12 read-only). */
const LVT_MODE_WRITABLE: u32 = 0x000107FF;
/** LVT LINT0/1: + polarity 13, trigger 15 (remote IRR 14 read-only). */
const LVT_LINT_WRITABLE: u32 = 0x0001A7FF;
const LVT_ERROR_WRITABLE: u32 = 0x000100FF;
/** Read-only bits that exist in a register (delivery status 12, LINT remote IRR 14). */
const DELIVERY_STATUS: u32 = 1 << 12;
const LINT_REMOTE_IRR: u32 = 1 << 14;

/** Whether register `idx` exists in the given mode (Table 11-1 xAPIC, Table 11-6 x2APIC). */
export function lapicRegExists(idx: u32, x2: bool): bool {
  if (idx >= R_ISR0 && idx < R_IRR0 + 8) return true;
  switch (idx) {
    case R_ID: case R_VERSION: case R_TPR: case R_PPR: case R_EOI: case R_LDR: case R_SVR:
    case R_ESR: case R_ICR_LOW: case R_LVT_TIMER: case R_LVT_THERMAL: case R_LVT_PERF:
    case R_LVT_LINT0: case R_LVT_LINT1: case R_LVT_ERROR: case R_TIMER_INITIAL:
    case R_TIMER_CURRENT: case R_TIMER_DIVIDE:
      return true;
    case R_APR: case R_RRD: case R_DFR: case R_ICR_HIGH:
      return !x2;
    case R_SELF_IPI:
      return x2;
  }
  return false;
}

/** Readable by software (EOI and SELF IPI are write-only; x2APIC reads of them #GP). */
export function lapicRegReadable(idx: u32): bool { return idx != R_EOI && idx != R_SELF_IPI; }

/** Writable by software in x2APIC mode (the rest #GP there; xAPIC ignores such writes). */
export function lapicRegWritableX2(idx: u32): bool {
  switch (idx) {
    case R_TPR: case R_EOI: case R_SVR: case R_ESR: case R_ICR_LOW: case R_LVT_TIMER:
    case R_LVT_THERMAL: case R_LVT_PERF: case R_LVT_LINT0: case R_LVT_LINT1: case R_LVT_ERROR:
    case R_TIMER_INITIAL: case R_TIMER_DIVIDE: case R_SELF_IPI:
      return true;
  }
  return false;
}

/**
 * Bits of register `idx` that are defined (writable or read-only); a WRMSR setting any other bit
 * raises #GP in x2APIC mode (§11.12.1.3, reserved-bit checking). Registers without reserved
 * bits answer all ones. EOI and ESR accept only 0 in x2APIC mode (Table 11-6).
 */
export function lapicRegDefinedBits(idx: u32): u32 {
  switch (idx) {
    case R_TPR: return 0xFF;
    case R_EOI: case R_ESR: return 0;
    case R_SVR: return SVR_WRITABLE;
    case R_ICR_LOW: return ICR_LOW_WRITABLE | DELIVERY_STATUS;
    case R_LVT_TIMER: return LVT_TIMER_WRITABLE | DELIVERY_STATUS;
    case R_LVT_THERMAL: case R_LVT_PERF: return LVT_MODE_WRITABLE | DELIVERY_STATUS;
    case R_LVT_LINT0: case R_LVT_LINT1: return LVT_LINT_WRITABLE | DELIVERY_STATUS | LINT_REMOTE_IRR;
    case R_LVT_ERROR: return LVT_ERROR_WRITABLE | DELIVERY_STATUS;
    case R_TIMER_DIVIDE: return TDCR_WRITABLE;
    case R_SELF_IPI: return 0xFF;
  }
  return 0xFFFFFFFF;
}

/** The value of register `idx` (which must exist in the current mode; others read 0). */
export function lapicRegRead(l: Lapic, idx: u32, now: u64): u32 {
  if (idx >= R_ISR0 && idx < R_ISR0 + 8) return vecWord(l, SET_ISR, idx - R_ISR0);
  if (idx >= R_TMR0 && idx < R_TMR0 + 8) return vecWord(l, SET_TMR, idx - R_TMR0);
  if (idx >= R_IRR0 && idx < R_IRR0 + 8) return vecWord(l, SET_IRR, idx - R_IRR0);
  switch (idx) {
    case R_ID: return lapicX2(l) ? l.id : l.id << 24;
    case R_VERSION: return LAPIC_VERSION;
    case R_TPR: return l.tpr;
    case R_PPR: return lapicPpr(l);
    case R_LDR: return l.ldr;
    case R_DFR: return l.dfr | 0x0FFFFFFF;
    case R_SVR: return l.svr;
    case R_ESR: return l.esr;
    case R_ICR_LOW: return l.icrLow;
    case R_ICR_HIGH: return l.icrHigh;
    case R_LVT_TIMER: return l.lvtTimer;
    case R_LVT_THERMAL: return l.lvtThermal;
    case R_LVT_PERF: return l.lvtPerf;
    case R_LVT_LINT0: return l.lvtLint0;
    case R_LVT_LINT1: return l.lvtLint1;
    case R_LVT_ERROR: return l.lvtError;
    case R_TIMER_INITIAL: return l.timerInitial;
    case R_TIMER_CURRENT: return lapicTimerCurrent(l, now);
    case R_TIMER_DIVIDE: return l.timerDivide;
  }
  return 0; // APR, RRD (no arbitration, no remote read), EOI and the rest
}

/** An LVT value as stored: writable bits only, masked while the APIC is software-disabled. */
@inline function lvtValue(l: Lapic, value: u32, writable: u32): u32 {
  return (value & writable) | (lapicSwEnabled(l) ? 0 : LVT_MASKED);
}

/**
 * Writes register `idx` with the low 32 bits of a guest value (reserved bits dropped). Read-only
 * registers ignore the write (the x2APIC view refuses it earlier). The x2APIC ICR is a single
 * 64-bit register: its view calls lapicIcrSend itself.
 */
export function lapicRegWrite(l: Lapic, idx: u32, value: u32, now: u64): LapicExit {
  switch (idx) {
    case R_TPR: l.tpr = value & 0xFF; break;
    case R_EOI: return lapicEoi(l);
    case R_LDR: if (!lapicX2(l)) l.ldr = value & 0xFF000000; break;
    case R_DFR: if (!lapicX2(l)) l.dfr = value | 0x0FFFFFFF; break;
    case R_SVR: {
      l.svr = value & SVR_WRITABLE;
      if ((l.svr & SVR_ENABLE) == 0) {
        // §11.4.7.2: software disable sets every LVT mask bit (the timer goes on counting).
        lapicTimerWriteLvt(l, l.lvtTimer | LVT_MASKED, now);
        l.lvtThermal |= LVT_MASKED;
        l.lvtPerf |= LVT_MASKED;
        l.lvtLint0 |= LVT_MASKED;
        l.lvtLint1 |= LVT_MASKED;
        l.lvtError |= LVT_MASKED;
      }
      break;
    }
    case R_ESR:
      // §11.5.3: a write latches the errors detected since the previous write and clears them.
      l.esr = l.esrPending;
      l.esrPending = 0;
      break;
    case R_ICR_LOW: return lapicIcrSend(l, value, l.icrHigh >> 24);
    case R_ICR_HIGH: if (!lapicX2(l)) l.icrHigh = value & 0xFF000000; break;
    case R_LVT_TIMER: lapicTimerWriteLvt(l, lvtValue(l, value, LVT_TIMER_WRITABLE), now); break;
    case R_LVT_THERMAL: l.lvtThermal = lvtValue(l, value, LVT_MODE_WRITABLE); break;
    case R_LVT_PERF: l.lvtPerf = lvtValue(l, value, LVT_MODE_WRITABLE); break;
    case R_LVT_LINT0: l.lvtLint0 = lvtValue(l, value, LVT_LINT_WRITABLE); break;
    case R_LVT_LINT1: l.lvtLint1 = lvtValue(l, value, LVT_LINT_WRITABLE); break;
    case R_LVT_ERROR: l.lvtError = lvtValue(l, value, LVT_ERROR_WRITABLE); break;
    case R_TIMER_INITIAL: lapicTimerWriteInitial(l, value, now); break;
    case R_TIMER_DIVIDE: lapicTimerWriteDivide(l, value, now); break;
    case R_SELF_IPI: if (lapicX2(l)) lapicSelfIpi(l, value); break;
  }
  return LapicExit.NONE;
}

/** CR8 (MOV to/from CR8 in 64-bit mode) is TPR[7:4] (SDM Vol 3A §11.8.6); the CR handler
 *  refuses values above 15 (#GP) before calling. */
export function lapicReadCr8(l: Lapic): u64 { return <u64>((l.tpr >> 4) & 0xF); }
export function lapicWriteCr8(l: Lapic, cr8: u64): void { l.tpr = (<u32>cr8 & 0xF) << 4; }
