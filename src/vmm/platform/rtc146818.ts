// Motorola MC146818A real-time clock + CMOS RAM (index port 0x70, data port 0x71, ISA IRQ 8).
// Spec: MC146818A data sheet — "Address Map" (Figure 2, registers 0x00-0x0D), "Time, Calendar
// and Alarm Locations" (Table 3: binary/BCD, 12/24 h with bit 7 = PM), "Update Cycle" (UIP is
// set 244 µs before the update, Figure 8), "Register A" (UIP, DV2-0, RS3-0), "Register B" (SET,
// PIE, AIE, UIE, SQWE, DM, 24/12, DSE), "Register C" (IRQF, PF, AF, UF; cleared on read),
// "Register D" (VRT). PC conventions (IBM PC/AT Technical Reference, "CMOS RAM Address Map"):
// port 0x70 bit 7 masks NMI; bytes 0x10 (diskettes), 0x14 (equipment), 0x15/0x16 (base memory),
// 0x17/0x18 and 0x30/0x31 (extended memory, KiB), 0x2E/0x2F (checksum of 0x10-0x2D), 0x32
// (century, BCD); 0x34/0x35 (RAM above 16 MiB in 64 KiB) and 0x5B-0x5D (RAM above 4 GiB in
// 64 KiB) are the QEMU/SeaBIOS extension that firmware and tools read.
//
// Time: the clock is seconds since 1970 (baseSecs) at TSC baseTsc, a second boundary; at `now`
// it reads baseSecs + ⌊(now - baseTsc) / tscHz⌋, so it neither drifts nor loses seconds. The time
// registers change exactly at each boundary and UIP is set for the 244 µs before it, so a reader
// that sees UIP clear has ≥ 244 µs of stable registers (Linux's mc146818_avoid_UIP loop). The
// real update takes a further 1984 µs with UIP high; it is not modelled (registers are never
// "mid-update" here). The clock stops while SET = 1 or the divider is not in normal operation
// (DV ≠ 010); on restart the registers (as the guest wrote them) define the time, and leaving
// divider reset puts the first update 500 ms later (data sheet, "Divider control"). Writing a
// time register while running moves the clock and keeps the sub-second phase. The weekday is
// derived from the date, not stored; DSE (daylight saving) and SQWE (square-wave pin) have no
// effect. Interrupt flags PF/AF/UF are computed from time when register C is read or at
// rtcTick; AF compares the alarm with the time at the latest update only.
//
// State (RTC_STATE_SIZE bytes, caller-owned, 8-aligned):
//   +0 lines u32  +4 index u32 (bits 6:0 of port 0x70)  +8 tscHz u64  +16 baseSecs i64
//   +24 baseTsc u64  +32 checkTsc u64 (flags computed up to here)  +40 nmiMasked u32
//   +44 flags u32 (register C bits 6:4)  +48 DateTime scratch (32)  +128 CMOS bytes 0x00-0x7F

import { IrqLines, irqSet, ISA_IRQ_RTC } from "./irq-lines";
import { clampTscHz, mulDivFloor, mulDivCeil, RTC_XTAL_HZ } from "./time";
import { DateTime, civilFromSecs, secsFromCivil } from "./rtc-calendar";

export const RTC_INDEX_PORT: u32 = 0x70;
export const RTC_STATE_SIZE: u32 = 256;
const SCRATCH_OFF: usize = 48;
const CMOS_OFF: usize = 128;
const CMOS_BYTES: u32 = 128;

const REG_A: u32 = 0x0A;
const REG_B: u32 = 0x0B;
const REG_C: u32 = 0x0C;
const REG_D: u32 = 0x0D;
const REG_CENTURY: u32 = 0x32;
const A_UIP: u32 = 0x80;
const A_DV_NORMAL: u32 = 0x20;
const B_SET: u32 = 0x80;
const B_PIE: u32 = 0x40;
const B_AIE: u32 = 0x20;
const B_UIE: u32 = 0x10;
const B_BINARY: u32 = 0x04;
const B_24H: u32 = 0x02;
const C_IRQF: u32 = 0x80;
const C_PF: u32 = 0x40;
const C_AF: u32 = 0x20;
const C_UF: u32 = 0x10;
const D_VRT: u32 = 0x80;
/** UIP lead time before each update: 244 µs (data sheet, Figure 8, tBUC). */
const UIP_US: u64 = 244;

@unmanaged export class Rtc {
  lines: u32;
  index: u32;
  tscHz: u64;
  baseSecs: i64;
  baseTsc: u64;
  checkTsc: u64;
  nmiMasked: u32;
  flags: u32;
}

/** CMOS byte `i`. Invariant: i is masked to 0x7F, inside the 128 bytes at CMOS_OFF. */
@inline function cmosAt(r: Rtc, i: u32): usize {
  return changetype<usize>(r) + CMOS_OFF + <usize>(i & 0x7F);
}
@inline function cmos(r: Rtc, i: u32): u32 { return load<u8>(cmosAt(r, i)); }
@inline function setCmos(r: Rtc, i: u32, v: u32): void { store<u8>(cmosAt(r, i), <u8>v); }
@inline function scratch(r: Rtc): DateTime { return changetype<DateTime>(changetype<usize>(r) + SCRATCH_OFF); }

function running(r: Rtc): bool {
  return (cmos(r, REG_B) & B_SET) == 0 && (cmos(r, REG_A) & 0x70) == A_DV_NORMAL;
}

/** Whole seconds counted since baseTsc (0 before it). */
function secsElapsed(r: Rtc, now: u64): u64 {
  return now > r.baseTsc ? (now - r.baseTsc) / r.tscHz : 0;
}

function currentSecs(r: Rtc, now: u64): i64 {
  return running(r) ? r.baseSecs + <i64>secsElapsed(r, now) : r.baseSecs;
}

function enc(r: Rtc, v: u32): u32 {
  return (cmos(r, REG_B) & B_BINARY) != 0 ? v : ((v / 10) << 4) | (v % 10);
}
function dec(r: Rtc, v: u32): u32 {
  return (cmos(r, REG_B) & B_BINARY) != 0 ? v : (v >> 4) * 10 + (v & 0xF);
}

function encHour(r: Rtc, h: u32): u32 {
  if ((cmos(r, REG_B) & B_24H) != 0) return enc(r, h);
  const h12 = h % 12 == 0 ? 12 : h % 12;
  return enc(r, h12) | (h >= 12 ? 0x80 : 0);
}

/** Writes the time of `secs` into the clock registers in the current format. */
function storeTime(r: Rtc, secs: i64): void {
  const dt = scratch(r);
  civilFromSecs(secs, dt);
  setCmos(r, 0x00, enc(r, dt.second));
  setCmos(r, 0x02, enc(r, dt.minute));
  setCmos(r, 0x04, encHour(r, dt.hour));
  setCmos(r, 0x06, enc(r, dt.weekday));
  setCmos(r, 0x07, enc(r, dt.day));
  setCmos(r, 0x08, enc(r, dt.month));
  setCmos(r, 0x09, enc(r, dt.year % 100));
  setCmos(r, REG_CENTURY, ((dt.year / 100 % 100 / 10) << 4) | (dt.year / 100 % 10));
}

@inline function clampU(v: u32, lo: u32, hi: u32): u32 { return v < lo ? lo : v > hi ? hi : v; }

/** The time the clock registers hold, each field clamped to its range (guest-written: hostile). */
function loadTime(r: Rtc): i64 {
  const dt = scratch(r);
  dt.second = clampU(dec(r, cmos(r, 0x00)), 0, 59);
  dt.minute = clampU(dec(r, cmos(r, 0x02)), 0, 59);
  const hv = cmos(r, 0x04);
  if ((cmos(r, REG_B) & B_24H) != 0) {
    dt.hour = clampU(dec(r, hv), 0, 23);
  } else {
    dt.hour = clampU(dec(r, hv & 0x7F), 1, 12) % 12 + ((hv & 0x80) != 0 ? 12 : 0);
  }
  dt.day = clampU(dec(r, cmos(r, 0x07)), 1, 31);
  dt.month = clampU(dec(r, cmos(r, 0x08)), 1, 12);
  const yy = clampU(dec(r, cmos(r, 0x09)), 0, 99);
  const cb = cmos(r, REG_CENTURY); // always BCD (IBM convention)
  let century = (cb >> 4) * 10 + (cb & 0xF);
  if (century < 19 || century > 21) century = yy < 70 ? 20 : 19;
  dt.year = century * 100 + yy;
  return secsFromCivil(dt);
}

/** Latches PF/UF/AF for every periodic tick and update between checkTsc and now. */
function evaluate(r: Rtc, now: u64): void {
  if (running(r) && now > r.checkTsc) {
    const from = r.checkTsc > r.baseTsc ? r.checkTsc - r.baseTsc : 0;
    const to = now - r.baseTsc;
    if (to / r.tscHz > from / r.tscHz) {
      r.flags |= C_UF;
      const dt = scratch(r);
      civilFromSecs(r.baseSecs + <i64>(to / r.tscHz), dt);
      if (alarmMatches(r, 0x01, dt.second) && alarmMatches(r, 0x03, dt.minute) && alarmHourMatches(r, dt.hour)) {
        r.flags |= C_AF;
      }
    }
    const p = periodTicks(r);
    if (p != 0 && mulDivFloor(to, RTC_XTAL_HZ, r.tscHz) / p > mulDivFloor(from, RTC_XTAL_HZ, r.tscHz) / p) {
      r.flags |= C_PF;
    }
  }
  if (now > r.checkTsc) r.checkTsc = now;
}

/** Alarm bytes with bits 7:6 = 11 match any value ("don't care", data sheet). */
function alarmMatches(r: Rtc, reg: u32, v: u32): bool {
  const a = cmos(r, reg);
  return (a & 0xC0) == 0xC0 || a == enc(r, v);
}
function alarmHourMatches(r: Rtc, h: u32): bool {
  const a = cmos(r, 0x05);
  return (a & 0xC0) == 0xC0 || a == encHour(r, h);
}

/** Periodic interrupt period in 32.768 kHz clocks for RS3-0 (data sheet Table 5), 0 = off. */
function periodTicks(r: Rtc): u64 {
  const rs = cmos(r, REG_A) & 0xF;
  if (rs == 0) return 0;
  if (rs <= 2) return <u64>64 << rs; // 0001: 256 Hz → 128 clocks, 0010: 128 Hz → 256 clocks
  return <u64>1 << (rs - 1);
}

function irqf(r: Rtc): bool {
  const b = cmos(r, REG_B);
  return ((r.flags & C_PF) != 0 && (b & B_PIE) != 0) || ((r.flags & C_AF) != 0 && (b & B_AIE) != 0)
    || ((r.flags & C_UF) != 0 && (b & B_UIE) != 0);
}

function updateIrq(r: Rtc): void {
  irqSet(changetype<IrqLines>(<usize>r.lines), ISA_IRQ_RTC, irqf(r));
}

/** Applies a register A/B write, stopping or restarting the clock as SET and DV demand. */
function writeControl(r: Rtc, reg: u32, v: u32, now: u64): void {
  const was = running(r);
  const secs = currentSecs(r, now);
  const dvWasNormal = (cmos(r, REG_A) & 0x70) == A_DV_NORMAL;
  if (reg == REG_A) {
    setCmos(r, REG_A, v & 0x7F);
  } else {
    // Setting SET aborts the update cycle and clears UIE (data sheet, Register B).
    setCmos(r, REG_B, (v & B_SET) != 0 ? v & ~B_UIE : v);
  }
  const is = running(r);
  if (was && !is) {
    r.baseSecs = secs;
    storeTime(r, secs);
  } else if (!was && is) {
    r.baseSecs = loadTime(r);
    const fromReset = reg == REG_A && !dvWasNormal;
    const half = r.tscHz / 2;
    r.baseTsc = fromReset ? (now > half ? now - half : 0) : now;
    r.checkTsc = now;
  }
}

function readData(r: Rtc, now: u64): u32 {
  const i = r.index;
  switch (i) {
    case 0x00: case 0x02: case 0x04: case 0x06: case 0x07: case 0x08: case 0x09: case REG_CENTURY:
      if (running(r)) storeTime(r, currentSecs(r, now));
      return cmos(r, i);
    case REG_A: {
      const ph = now > r.baseTsc ? (now - r.baseTsc) % r.tscHz : 0;
      const uip = running(r) && ph >= r.tscHz - r.tscHz * UIP_US / 1000000;
      return cmos(r, REG_A) | (uip ? A_UIP : 0);
    }
    case REG_C: {
      evaluate(r, now);
      const v = r.flags | (irqf(r) ? C_IRQF : 0);
      r.flags = 0;
      updateIrq(r);
      return v;
    }
    case REG_D: return D_VRT;
  }
  return cmos(r, i);
}

function writeData(r: Rtc, v: u32, now: u64): void {
  const i = r.index;
  switch (i) {
    case 0x00: case 0x02: case 0x04: case 0x06: case 0x07: case 0x08: case 0x09: case REG_CENTURY: {
      if (!running(r)) { setCmos(r, i, v); return; }
      const before = currentSecs(r, now);
      storeTime(r, before);
      setCmos(r, i, v);
      r.baseSecs += loadTime(r) - before;
      return;
    }
    case REG_A: case REG_B:
      evaluate(r, now);
      writeControl(r, i, v, now);
      updateIrq(r);
      return;
    case REG_C: case REG_D: return; // read-only
  }
  setCmos(r, i, v);
}

/**
 * Power-on state: clock = the host's reading (year 1970-2199, month 1-12, …; out-of-range fields
 * are clamped) at TSC `now`; CMOS memory bytes from the guest RAM sizes.
 */
export function rtcInit(r: Rtc, lines: IrqLines, tscHz: u64, now: u64, year: u32, month: u32, day: u32,
    hour: u32, minute: u32, second: u32, ramBelow4G: u64, ramAbove4G: u64): void {
  memory.fill(changetype<usize>(r), 0, RTC_STATE_SIZE);
  r.lines = <u32>changetype<usize>(lines);
  r.tscHz = clampTscHz(tscHz);
  const dt = scratch(r);
  dt.year = clampU(year, 1970, 2199);
  dt.month = clampU(month, 1, 12);
  dt.day = clampU(day, 1, 31);
  dt.hour = clampU(hour, 0, 23);
  dt.minute = clampU(minute, 0, 59);
  dt.second = clampU(second, 0, 59);
  r.baseSecs = secsFromCivil(dt);
  r.baseTsc = now;
  r.checkTsc = now;
  setCmos(r, REG_A, 0x26);                // DV = 010 (32.768 kHz), RS = 0110 (1024 Hz): BIOS default
  setCmos(r, REG_B, B_24H);               // BCD, 24-hour, no interrupts
  storeTime(r, r.baseSecs);               // century byte and a consistent register image
  setCmos(r, 0x14, 0x02);                 // equipment: math coprocessor, VGA, no diskettes
  setCmos(r, 0x15, 0x80);                 // base memory 640 KiB
  setCmos(r, 0x16, 0x02);
  const kib = ramBelow4G > 0x100000 ? (ramBelow4G - 0x100000) >> 10 : 0;
  const ext = <u32>min<u64>(kib, 0xFFFF);
  setCmos(r, 0x17, ext & 0xFF);
  setCmos(r, 0x18, ext >> 8);
  setCmos(r, 0x30, ext & 0xFF);
  setCmos(r, 0x31, ext >> 8);
  const above16 = ramBelow4G > 0x1000000 ? <u32>min<u64>((ramBelow4G - 0x1000000) >> 16, 0xFFFF) : 0;
  setCmos(r, 0x34, above16 & 0xFF);
  setCmos(r, 0x35, above16 >> 8);
  const above4 = <u32>min<u64>(ramAbove4G >> 16, 0xFFFFFF);
  setCmos(r, 0x5B, above4 & 0xFF);
  setCmos(r, 0x5C, (above4 >> 8) & 0xFF);
  setCmos(r, 0x5D, above4 >> 16);
  let sum: u32 = 0;
  for (let i: u32 = 0x10; i <= 0x2D; i++) sum += cmos(r, i);
  setCmos(r, 0x2E, (sum >> 8) & 0xFF);
  setCmos(r, 0x2F, sum & 0xFF);
}

/** IN from 0x70 (+0: write-only, floats) or 0x71 (+1: the selected register). */
export function rtcRead(r: Rtc, offset: u32, size: u32, now: u64): u32 {
  if (size != 1 && size != 2 && size != 4) return 0xFFFFFFFF;
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    v |= (offset + i == 1 ? readData(r, now) : 0xFF) << (i * 8);
  }
  return v;
}

/** OUT to 0x70 (index, bit 7 = NMI mask) or 0x71 (data). */
export function rtcWrite(r: Rtc, offset: u32, size: u32, value: u32, now: u64): void {
  if (size != 1 && size != 2 && size != 4) return;
  for (let i: u32 = 0; i < size; i++) {
    const b = (value >> (i * 8)) & 0xFF;
    if (offset + i == 0) {
      r.index = b & 0x7F;
      r.nmiMasked = b >> 7;
    } else if (offset + i == 1) {
      writeData(r, b, now);
    }
  }
}

/** Whether the guest masked NMIs through port 0x70 bit 7 (the VMM gates NMI injection on it). */
export function rtcNmiMasked(r: Rtc): bool { return r.nmiMasked != 0; }

/** TSC at which an enabled interrupt flag next sets, or u64 max (line already high, or none). */
export function rtcNextEvent(r: Rtc, now: u64): u64 {
  if (!running(r) || irqf(r)) return U64.MAX_VALUE;
  const b = cmos(r, REG_B);
  const from = r.checkTsc > r.baseTsc ? r.checkTsc - r.baseTsc : 0;
  let next = U64.MAX_VALUE;
  if ((b & (B_UIE | B_AIE)) != 0) next = (from / r.tscHz + 1) * r.tscHz;
  const p = periodTicks(r);
  if ((b & B_PIE) != 0 && p != 0) {
    const k = mulDivFloor(from, RTC_XTAL_HZ, r.tscHz) / p + 1;
    next = min<u64>(next, mulDivCeil(k * p, r.tscHz, RTC_XTAL_HZ));
  }
  return next == U64.MAX_VALUE ? next : r.baseTsc + next;
}

/** Timer service: latches due flags and drives IRQ 8. */
export function rtcTick(r: Rtc, now: u64): void {
  evaluate(r, now);
  updateIrq(r);
}
