// The local APIC timer in its three modes, computed from the TSC `now` (no polling, no drift).
// Spec: Intel SDM Vol 3A §11.5.4 (APIC timer, Figure 11-10 divide configuration, Figure 11-8 LVT
// timer: mode bits 18:17 = 00 one-shot, 01 periodic, 10 TSC-deadline), §11.5.4.1 (TSC-deadline
// mode, IA32_TSC_DEADLINE MSR 0x6E0); Vol 2A CPUID leaves 15H/16H.
//
// Timebase. The timer counts a 25 MHz input clock (LAPIC_TIMER_HZ, the crystal clock) divided by
// TDCR (1…128). CPUID 0x15 advertises that crystal (ECX) and the TSC/crystal ratio (EBX/EAX), and
// 0x16 the base MHz and a 25 MHz bus/reference clock, so a guest that trusts CPUID (Linux sets
// lapic_timer_period from leaf 0x15) programs counts that match this model exactly; lapicCpuid15
// and lapicCpuid16 build those leaves from the same tscHz the model was created with.
//
// Arithmetic. Every value is derived from a fixed origin (timerStart, timerStartCount) and `now`:
//   clocks(now) = ⌊(now − timerStart) · 25 MHz / tscHz⌋,   counts = clocks >> log2(divisor)
//   current count = timerStartCount − counts (one-shot, floored at 0); periodic reloads the
//   initial count: initial − ((counts − timerStartCount) mod initial) once past the first expiry
//   expiry n (0-based) at counts = timerStartCount + n · initial, i.e. at the first TSC tick
//   whose clocks reach that many divided ticks: timerStart + ⌈counts · divisor · tscHz / 25 MHz⌉.
// Exact in 64 bits because tscHz ≤ 2^36 (lapicInit clamps), see time.ts's mulDiv bounds.
// A late service delivers one interrupt for all periods missed (the IRR holds one bit anyway)
// and moves to the first expiry after `now`.

import {
  Lapic, LAPIC_TIMER_HZ, LVT_MASKED, SET_IRR, SET_TMR, vecPut,
} from "./lapic-state";
import { lapicError, ESR_RECEIVE_ILLEGAL_VECTOR } from "./lapic-irq";
import { mulDivFloor, mulDivCeil, addSat } from "./time";

export const MSR_IA32_TSC_DEADLINE: u32 = 0x6E0;

export const TIMER_ONESHOT: u32 = 0;
export const TIMER_PERIODIC: u32 = 1;
export const TIMER_DEADLINE: u32 = 2;
/** LVT timer bits a write may set: vector 7:0, mask 16, mode 18:17 (delivery status 12 is RO). */
export const LVT_TIMER_WRITABLE: u32 = 0x000700FF;
/** TDCR bits: 3, 1, 0 (bit 2 is reserved, Figure 11-10). */
export const TDCR_WRITABLE: u32 = 0xB;

const NEVER: u64 = U64.MAX_VALUE;

/** Timer mode; the reserved encoding 11b behaves as one-shot (the x2APIC view refuses it). */
@inline export function timerMode(l: Lapic): u32 {
  const m = (l.lvtTimer >> 17) & 3;
  return m == 3 ? TIMER_ONESHOT : m;
}

/** log2 of the divisor (Figure 11-10): TDCR 0000b → ÷2 … 1010b → ÷128, 1011b → ÷1. */
@inline export function divideShift(tdcr: u32): u32 {
  return ((((tdcr & 8) >> 1) | (tdcr & 3)) + 1) & 7;
}

/** Whole divided counts since timerStart (0 before it). */
function countsAt(l: Lapic, now: u64): u64 {
  if (now <= l.timerStart) return 0;
  return mulDivFloor(now - l.timerStart, LAPIC_TIMER_HZ, l.tscHz) >> divideShift(l.timerDivide);
}

/** TSC of expiry n since timerStart (saturating: "never" when out of range). */
function expiryTsc(l: Lapic, n: u64): u64 {
  const counts = <u64>l.timerStartCount + n * <u64>l.timerInitial;
  const shift = divideShift(l.timerDivide);
  if (counts > (NEVER >> shift)) return NEVER;
  return addSat(l.timerStart, mulDivCeil(counts << shift, l.tscHz, LAPIC_TIMER_HZ));
}

/** Restarts counting from `now` at `count` (0 = stopped), aiming at the first expiry. */
function timerLoad(l: Lapic, count: u32, now: u64): void {
  l.timerStart = now;
  l.timerStartCount = count;
  l.timerIndex = 0;
  l.timerNext = count == 0 || timerMode(l) == TIMER_DEADLINE ? NEVER : expiryTsc(l, 0);
}

/** Current-count register (0x390 / MSR 0x839). TSC-deadline mode reads 0. */
export function lapicTimerCurrent(l: Lapic, now: u64): u32 {
  if (timerMode(l) == TIMER_DEADLINE || l.timerStartCount == 0) return 0;
  const k = countsAt(l, now);
  const start = <u64>l.timerStartCount;
  if (k < start) return <u32>(start - k);
  if (timerMode(l) == TIMER_PERIODIC && l.timerInitial != 0) {
    return <u32>(<u64>l.timerInitial - (k - start) % <u64>l.timerInitial);
  }
  return 0;
}

/** One expiry: the LVT's vector into the IRR (edge) unless masked. */
function timerFire(l: Lapic): void {
  if ((l.lvtTimer & LVT_MASKED) != 0) return;
  const v = l.lvtTimer & 0xFF;
  if (v < 16) {
    lapicError(l, ESR_RECEIVE_ILLEGAL_VECTOR);
    return;
  }
  vecPut(l, SET_IRR, v, true);
  vecPut(l, SET_TMR, v, false);
}

/**
 * Delivers every expiry due at `now` (call on the preemption-timer exit and before reading the
 * pending vector). Returns whether the timer expired (masked or not).
 */
export function lapicTimerService(l: Lapic, now: u64): bool {
  if (timerMode(l) == TIMER_DEADLINE) {
    if (l.deadline == 0 || now < l.deadline) return false;
    l.deadline = 0; // §11.5.4.1: the MSR reads 0 once the timer has fired
    timerFire(l);
    return true;
  }
  if (l.timerNext == NEVER || now < l.timerNext) return false;
  timerFire(l);
  if (timerMode(l) == TIMER_PERIODIC && l.timerInitial != 0) {
    const k = countsAt(l, now);
    const n = (k - <u64>l.timerStartCount) / <u64>l.timerInitial + 1;
    l.timerIndex = n;
    l.timerNext = expiryTsc(l, n);
  } else {
    l.timerNext = NEVER;
  }
  return true;
}

/**
 * TSC at which the timer next needs service (the VMM arms the VMX preemption timer for it);
 * `now` when already due; U64.MAX when nothing can fire (disarmed or masked: a masked expiry
 * delivers nothing, and an LVT write services the timer before unmasking).
 */
export function lapicNextEvent(l: Lapic, now: u64): u64 {
  if ((l.lvtTimer & LVT_MASKED) != 0) return NEVER;
  const t = timerMode(l) == TIMER_DEADLINE ? (l.deadline == 0 ? NEVER : l.deadline) : l.timerNext;
  return t <= now ? now : t;
}

/** Initial-count write (0x380 / MSR 0x838): starts (or with 0 stops) the count; ignored in
 *  TSC-deadline mode (§11.5.4.1). */
export function lapicTimerWriteInitial(l: Lapic, value: u32, now: u64): void {
  if (timerMode(l) == TIMER_DEADLINE) return;
  lapicTimerService(l, now);
  l.timerInitial = value;
  timerLoad(l, value, now);
}

/** Divide-configuration write: the count goes on from its current value at the new rate. */
export function lapicTimerWriteDivide(l: Lapic, value: u32, now: u64): void {
  lapicTimerService(l, now);
  const cur = lapicTimerCurrent(l, now);
  l.timerDivide = value & TDCR_WRITABLE;
  if (timerMode(l) != TIMER_DEADLINE) timerLoad(l, cur, now);
}

/**
 * LVT timer write (value already reduced to writable bits). Expiries due under the old setting
 * are delivered (or dropped, if masked) first. Entering or leaving TSC-deadline mode disarms the
 * timer (§11.5.4.1); one-shot ⇄ periodic continues from the current count.
 */
export function lapicTimerWriteLvt(l: Lapic, value: u32, now: u64): void {
  lapicTimerService(l, now);
  const oldMode = timerMode(l);
  const cur = lapicTimerCurrent(l, now);
  l.lvtTimer = value;
  const mode = timerMode(l);
  if (mode == oldMode) return;
  if (mode == TIMER_DEADLINE || oldMode == TIMER_DEADLINE) {
    l.deadline = 0;
    l.timerInitial = 0;
    timerLoad(l, 0, now);
  } else {
    timerLoad(l, cur, now);
  }
}

/** RDMSR IA32_TSC_DEADLINE: the armed deadline in TSC-deadline mode, else 0. */
export function lapicReadDeadline(l: Lapic): u64 {
  return timerMode(l) == TIMER_DEADLINE ? l.deadline : 0;
}

/** WRMSR IA32_TSC_DEADLINE: arms (0 disarms) in TSC-deadline mode; ignored otherwise. A deadline
 *  already past fires at the next service. */
export function lapicWriteDeadline(l: Lapic, value: u64, now: u64): void {
  if (timerMode(l) != TIMER_DEADLINE) return;
  lapicTimerService(l, now);
  l.deadline = value;
}

/** Stores one CPUID output register. Invariant: `out` is the caller's 16-byte eax..edx block. */
@inline function cpuidOut(out: usize, reg: u32, v: u32): void { store<u32>(out + <usize>(reg & 3) * 4, v); }

function gcd(a: u64, b: u64): u64 {
  while (b != 0) { const t = a % b; a = b; b = t; }
  return a;
}

/**
 * CPUID 0x15 for a TSC of `tscHz`: EAX/EBX = the TSC/crystal ratio (denominator/numerator,
 * reduced; shifted right together if either exceeds 32 bits, which only an odd measured TSC
 * frequency above 4.29 GHz needs), ECX = the crystal = the APIC timer clock, EDX = 0.
 */
export function lapicCpuid15(tscHz: u64, out: usize): void {
  const g = gcd(tscHz, LAPIC_TIMER_HZ);
  let num = tscHz / g;
  let den = LAPIC_TIMER_HZ / g;
  while (num > 0xFFFFFFFF || den > 0xFFFFFFFF) { num >>= 1; den >>= 1; }
  if (den == 0) den = 1;
  cpuidOut(out, 0, <u32>den);
  cpuidOut(out, 1, <u32>num);
  cpuidOut(out, 2, <u32>LAPIC_TIMER_HZ);
  cpuidOut(out, 3, 0);
}

/** CPUID 0x16: base and maximum MHz (the TSC rate; no turbo is visible), bus/reference 25 MHz. */
export function lapicCpuid16(tscHz: u64, out: usize): void {
  const mhz = <u32>min<u64>(tscHz / 1000000, 0xFFFF);
  cpuidOut(out, 0, mhz);
  cpuidOut(out, 1, mhz);
  cpuidOut(out, 2, <u32>(LAPIC_TIMER_HZ / 1000000));
  cpuidOut(out, 3, 0);
}
