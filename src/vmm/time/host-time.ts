// The host's time sources, read once at boot on the boot CPU: the TSC frequency measured against
// the 8254 PIT, and the wall-clock date from the MC146818 RTC. Guests get the TSC rate through
// CPUID 15H/16H (src/vmm/exits/cpuid-view.ts) and the date through their own virtual RTC.
//
// Why measure: the TSC rate of a real CPU is only approximately its brand-string frequency, and
// an emulator's TSC runs at whatever it emulates (Bochs: its `ips` setting). The PIT's input clock
// is fixed by the PC architecture at 1.193182 MHz (8254 data sheet; the PC's 14.31818 MHz / 12).
//
// Method (as Linux's pit_calibrate_tsc, arch/x86/kernel/tsc.c): PIT channel 2, gated by port 0x61
// bit 0 with the speaker output (bit 1) off, mode 0 (interrupt on terminal count) counting down
// CALIBRATE_TICKS; OUT2 (port 0x61 bit 5) goes high at terminal count. TSC ticks between the
// count's start and OUT2 rising give the rate. The polling loop is bounded by the TSC itself.

import { hw_inb, hw_outb, hw_rdtsc } from "../../hw";

const PIT_HZ: u64 = 1193182;
/** 50 ms of PIT input clock: long enough that one port read (~1 µs) is 0.002 % of it. */
const CALIBRATE_TICKS: u32 = 59659;
const PORT_PIT_CH2: u32 = 0x42;
const PORT_PIT_CMD: u32 = 0x43;
const PORT_SYSCTL_B: u32 = 0x61;
/** Channel 2, lobyte/hibyte access, mode 0, binary (8254 data sheet, control word format). */
const PIT_CMD_CH2_MODE0: u32 = 0xB0;
const SYSCTL_GATE2: u32 = 0x01;
const SYSCTL_SPEAKER: u32 = 0x02;
const SYSCTL_OUT2: u32 = 0x20;
/** Give up after this many TSC ticks (a PIT that never counts): 2^36 ≈ 20 s at 3.5 GHz. */
const CALIBRATE_GIVE_UP: u64 = <u64>1 << 36;
/** Port reads at ~1 µs each: 2^26 ≈ a minute, far beyond the 50 ms being measured. */
const CALIBRATE_MAX_POLLS: u32 = 1 << 26;
/** What we report when the PIT does not count: the guest then calibrates itself. */
export const TSC_HZ_UNKNOWN: u64 = 0;

let tscHzValue: u64 = 0;

/** The measured host TSC frequency in Hz (0 before hostTimeInit or when it failed). */
export function hostTscHz(): u64 { return tscHzValue; }

/**
 * Measures the TSC against PIT channel 2 and keeps the result, rounded to whole kHz (Linux keeps
 * tsc_khz; the sub-kHz digits are measurement noise). Returns it (0: the PIT did not count).
 */
export function hostTscCalibrate(): u64 {
  const b = hw_inb(PORT_SYSCTL_B);
  hw_outb(PORT_SYSCTL_B, (b & ~SYSCTL_SPEAKER) | SYSCTL_GATE2);
  hw_outb(PORT_PIT_CMD, PIT_CMD_CH2_MODE0);
  hw_outb(PORT_PIT_CH2, CALIBRATE_TICKS & 0xFF);
  hw_outb(PORT_PIT_CH2, CALIBRATE_TICKS >> 8);
  // Mode 0 starts counting on the next input clock after the high byte: the TSC starts here.
  const t0 = hw_rdtsc();
  let t1 = t0;
  let ok = false;
  // Bounded twice: by the TSC, and by a poll count in case the TSC itself stands still.
  for (let polls: u32 = 0; polls < CALIBRATE_MAX_POLLS; polls++) {
    if ((hw_inb(PORT_SYSCTL_B) & SYSCTL_OUT2) != 0) { t1 = hw_rdtsc(); ok = true; break; }
    if (hw_rdtsc() - t0 > CALIBRATE_GIVE_UP) break;
  }
  hw_outb(PORT_SYSCTL_B, b);
  if (!ok || t1 <= t0) { tscHzValue = TSC_HZ_UNKNOWN; return 0; }
  // Mode 0: OUT goes high N + 1 input clocks after the count is written — the first clock only
  // loads the count register into the counter (8254 data sheet, "Mode 0").
  const hz = (t1 - t0) * PIT_HZ / (<u64>CALIBRATE_TICKS + 1);
  tscHzValue = (hz + 500) / 1000 * 1000;
  return tscHzValue;
}

// ---- the RTC ----------------------------------------------------------------------------------

const RTC_INDEX: u32 = 0x70;
const RTC_DATA: u32 = 0x71;
const REG_A_UIP: u32 = 0x80;
const REG_B_BINARY: u32 = 0x04;
const REG_B_24H: u32 = 0x02;
const HOUR_PM: u32 = 0x80;

/** The date read by hostRtcRead: year month day hour minute second (u32 each). */
const DATE: usize = memory.data(24, 8);
export function hostYear(): u32 { return load<u32>(DATE); }
export function hostMonth(): u32 { return load<u32>(DATE + 4); }
export function hostDay(): u32 { return load<u32>(DATE + 8); }
export function hostHour(): u32 { return load<u32>(DATE + 12); }
export function hostMinute(): u32 { return load<u32>(DATE + 16); }
export function hostSecond(): u32 { return load<u32>(DATE + 20); }

function cmos(reg: u32): u32 {
  hw_outb(RTC_INDEX, reg);
  return hw_inb(RTC_DATA) & 0xFF;
}
@inline function fromBcd(v: u32, binary: bool): u32 { return binary ? v : (v >> 4) * 10 + (v & 0xF); }

/**
 * Reads the RTC (MC146818 data sheet: the time registers are valid while Register A's UIP bit is
 * 0; reading twice until both agree avoids an update between the fields). Century from CMOS 0x32
 * when it holds a plausible BCD 19/20/21, else 20. Values are left for the caller's clamping.
 */
export function hostRtcRead(): void {
  let s: u32 = 0, mi: u32 = 0, h: u32 = 0, d: u32 = 0, mo: u32 = 0, y: u32 = 0;
  for (let tries: u32 = 0; tries < 8; tries++) {
    for (let w: u32 = 0; w < 100000 && (cmos(0x0A) & REG_A_UIP) != 0; w++) {}
    s = cmos(0x00); mi = cmos(0x02); h = cmos(0x04); d = cmos(0x07); mo = cmos(0x08); y = cmos(0x09);
    if (s == cmos(0x00) && mi == cmos(0x02) && h == cmos(0x04) && d == cmos(0x07)) break;
  }
  const regB = cmos(0x0B);
  const bin = (regB & REG_B_BINARY) != 0;
  const pm = (h & HOUR_PM) != 0;
  let hour = fromBcd(h & 0x7F, bin);
  if ((regB & REG_B_24H) == 0) hour = (hour % 12) + (pm ? 12 : 0);
  let century: u32 = 20;
  const c = cmos(0x32);
  if (c == 0x19 || c == 0x20 || c == 0x21) century = fromBcd(c, false);
  store<u32>(DATE, century * 100 + fromBcd(y, bin));
  store<u32>(DATE + 4, fromBcd(mo, bin));
  store<u32>(DATE + 8, fromBcd(d, bin));
  store<u32>(DATE + 12, hour);
  store<u32>(DATE + 16, fromBcd(mi, bin));
  store<u32>(DATE + 20, fromBcd(s, bin));
}
