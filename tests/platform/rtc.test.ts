// The MC146818 RTC/CMOS against Linux's mc146818_get_time / mc146818_set_time and the CMOS
// layout firmware and Linux read: BCD/binary, 12/24 h, UIP before each update, set sequence,
// update/periodic/alarm interrupts on IRQ 8, NMI mask, memory-size bytes.
import { beforeEach, describe, expect, it } from "vitest";
import { platform, layout, U64_MAX } from "./wasm.ts";

const p = platform();
const HZ = 3_000_000_000n;
const UIP = HZ * 244n / 1_000_000n;
const T0 = 10n * HZ + 12345n; // creation TSC: a second boundary of the guest clock
let lines = 0, rtc = 0, scratch = 0;
const reg = (i: number, now: bigint): number => { p.call("rtcOut", rtc, 0, 1, i, now); return p.u32("rtcIn", rtc, 1, 1, now); };
const setReg = (i: number, v: number, now: bigint): void => { p.call("rtcOut", rtc, 0, 1, i, now); p.call("rtcOut", rtc, 1, 1, v, now); };
/** [sec, min, hour, weekday, day, month, year, century] as the registers show them. */
const clock = (now: bigint): number[] => [0, 2, 4, 6, 7, 8, 9, 0x32].map((i) => reg(i, now));
const irq8 = (): boolean => (p.u32("linesLevel", lines) & 0x100) !== 0;

function init(y: number, mo: number, d: number, h: number, mi: number, s: number): void {
  p.call("rtcInitAt", rtc, lines, HZ, T0, y, mo, d, h, mi, s, 3n << 30n, 5n << 30n);
}

beforeEach(() => {
  const alloc = layout(p);
  lines = alloc(p.u32("sizeIrqLines"));
  rtc = alloc(p.u32("sizeRtc"));
  scratch = alloc(32);
  p.call("linesInit", lines);
  init(2024, 2, 29, 23, 59, 58);
});

describe("calendar arithmetic", () => {
  it("days since 1970 and back, leap years, weekdays (1 = Sunday)", () => {
    expect(p.u64("calDays", 1970, 1, 1)).toBe(0n);
    expect(p.u64("calDays", 2000, 3, 1)).toBe(11017n);
    const civil = (secs: bigint): number[] => {
      p.call("calCivil", secs, scratch);
      return [0, 1, 2, 3, 4, 5, 6].map((i) => p.mem.getUint32(scratch + 4 * i, true));
    };
    for (const [y, m, d, wd] of [[2024, 2, 29, 5], [2024, 1, 1, 2], [1970, 1, 1, 5], [2100, 3, 1, 2], [2038, 1, 19, 3]]) {
      const secs = BigInt.asIntN(64, p.u64("calSecs", y!, m!, d!, 13, 14, 15, scratch));
      expect(secs).toBe(BigInt(Date.UTC(y!, m! - 1, d!, 13, 14, 15) / 1000));
      expect(civil(secs)).toEqual([y, m, d, 13, 14, 15, wd]);
    }
  });
});

describe("MC146818: reading the time", () => {
  it("power-on: BCD, 24 h, the host time; registers A, B, D", () => {
    expect(clock(T0)).toEqual([0x58, 0x59, 0x23, 0x05, 0x29, 0x02, 0x24, 0x20]);
    expect(reg(0x0a, T0)).toBe(0x26);
    expect(reg(0x0b, T0)).toBe(0x02);
    expect(reg(0x0d, T0)).toBe(0x80);
  });

  it("UIP is set for the 244 µs before each update; the update rolls the calendar over", () => {
    const boundary = T0 + HZ;
    expect(reg(0x0a, boundary - UIP - 1n) & 0x80).toBe(0);
    expect(reg(0x0a, boundary - UIP) & 0x80).toBe(0x80);
    expect(reg(0x00, boundary - 1n)).toBe(0x58);
    expect(reg(0x0a, boundary) & 0x80).toBe(0);
    expect(reg(0x00, boundary)).toBe(0x59);
    expect(clock(T0 + 2n * HZ)).toEqual([0x00, 0x00, 0x00, 0x06, 0x01, 0x03, 0x24, 0x20]); // Fri 1 Mar
  });

  it("mc146818_avoid_UIP: whenever UIP reads clear, the time is stable for the next 244 µs", () => {
    for (let t = T0; t < T0 + 3n * HZ; t += HZ / 997n) {
      if (reg(0x0a, t) & 0x80) continue;
      expect(clock(t + UIP - 1n)).toEqual(clock(t));
    }
  });

  it("no drift: a year of TSC later the clock reads exactly a year later", () => {
    const later = T0 + 2n * HZ + 365n * 86400n * HZ;
    expect(clock(later)).toEqual([0x00, 0x00, 0x00, 0x07, 0x01, 0x03, 0x25, 0x20]); // Sat 1 Mar 2025
  });

  it("binary and 12-hour formats per register B", () => {
    setReg(0x0b, 0x06, T0);                                   // binary, 24 h
    expect(clock(T0)).toEqual([58, 59, 23, 5, 29, 2, 24, 0x20]); // century stays BCD
    setReg(0x0b, 0x04, T0);                                   // binary, 12 h
    expect(reg(0x04, T0)).toBe(0x80 | 11);
    setReg(0x0b, 0x00, T0);                                   // BCD, 12 h
    expect(reg(0x04, T0)).toBe(0x91);
    expect(reg(0x04, T0 + 2n * HZ)).toBe(0x12);               // 12 AM
  });
});

describe("MC146818: setting the time (mc146818_set_time)", () => {
  it("SET + divider reset freeze the clock; the written time runs from 500 ms after restart", () => {
    const t = T0 + HZ / 3n;
    setReg(0x0b, 0x02 | 0x80, t);
    setReg(0x0a, 0x70 | 0x06, t);                             // divider reset
    const vals: [number, number][] = [[0, 0x30], [2, 0x15], [4, 0x08], [7, 0x04], [8, 0x07], [9, 0x21]];
    for (const [i, v] of vals) setReg(i, v, t);
    expect(reg(0x00, t + 5n * HZ)).toBe(0x30);                // frozen
    expect(reg(0x0a, t + HZ - 1n) & 0x80).toBe(0);            // no UIP while stopped
    const t2 = t + 7n * HZ;
    setReg(0x0b, 0x02, t2);
    expect(reg(0x00, t2 + 5n * HZ)).toBe(0x30);               // divider still in reset
    setReg(0x0a, 0x26, t2);
    expect(clock(t2 + HZ / 2n - 1n).slice(0, 3)).toEqual([0x30, 0x15, 0x08]);
    expect(clock(t2 + HZ / 2n)).toEqual([0x31, 0x15, 0x08, 0x01, 0x04, 0x07, 0x21, 0x20]); // Sun 4 Jul 2021
  });

  it("writing a time register while running moves the clock and keeps the phase", () => {
    const t = T0 + HZ / 2n;
    setReg(0x02, 0x10, t);                                    // minutes 59 → 10
    expect(clock(t).slice(0, 3)).toEqual([0x58, 0x10, 0x23]);
    expect(reg(0x00, T0 + HZ)).toBe(0x59);                    // same update instant as before
  });

  it("hostile time bytes are clamped into range when the clock restarts", () => {
    setReg(0x0b, 0x82, T0);
    setReg(0x00, 0xff, T0); setReg(0x04, 0x99, T0); setReg(0x07, 0x00, T0); setReg(0x08, 0x13, T0);
    setReg(0x0b, 0x02, T0);
    expect(clock(T0).slice(0, 6)).toEqual([0x59, 0x59, 0x23, 0x01, 0x01, 0x12]); // Sun 1 Dec
  });
});

describe("MC146818: interrupts on IRQ 8", () => {
  it("update-ended: next event at the next second; IRQ 8 until register C is read", () => {
    setReg(0x0a, 0x20, T0);                                   // periodic rate off: PF stays 0
    setReg(0x0b, 0x12, T0 + 5n);                               // UIE
    expect(p.u64("rtcNext", rtc, T0 + 5n)).toBe(T0 + HZ);
    p.call("rtcTickAt", rtc, T0 + HZ - 1n);
    expect(irq8()).toBe(false);
    p.call("rtcTickAt", rtc, T0 + HZ);
    expect(irq8()).toBe(true);
    expect(p.u64("rtcNext", rtc, T0 + HZ)).toBe(U64_MAX);     // line already high
    expect(reg(0x0c, T0 + HZ)).toBe(0x90);
    expect(irq8()).toBe(false);
    expect(reg(0x0c, T0 + HZ)).toBe(0x00);
  });

  it("periodic at 1024 Hz (RS = 6): events every 32 crystal clocks", () => {
    setReg(0x0b, 0x42, T0);
    const first = T0 + (32n * HZ + 32767n) / 32768n;
    expect(p.u64("rtcNext", rtc, T0)).toBe(first);
    p.call("rtcTickAt", rtc, first);
    expect(irq8()).toBe(true);
    expect(reg(0x0c, first) & 0xc0).toBe(0xc0);
    expect(p.u64("rtcNext", rtc, first)).toBe(T0 + (64n * HZ + 32767n) / 32768n);
  });

  it("alarm: AF at the matching update only; flags set even with interrupts disabled", () => {
    setReg(0x01, 0x00, T0); setReg(0x03, 0x00, T0); setReg(0x05, 0x00, T0); // 00:00:00
    setReg(0x0b, 0x22, T0);
    p.call("rtcTickAt", rtc, T0 + HZ / 2n);
    expect(reg(0x0c, T0 + HZ / 2n)).toBe(0x40);               // PF at the default 1024 Hz, PIE off
    setReg(0x0a, 0x20, T0 + HZ / 2n);
    p.call("rtcTickAt", rtc, T0 + HZ);                         // 23:59:59: no match
    expect(irq8()).toBe(false);
    expect(reg(0x0c, T0 + HZ)).toBe(0x10);                    // UF without UIE: no IRQF
    p.call("rtcTickAt", rtc, T0 + 2n * HZ);
    expect(irq8()).toBe(true);
    expect(reg(0x0c, T0 + 2n * HZ)).toBe(0xb0);
  });
});

describe("CMOS and port 0x70", () => {
  it("memory sizes, equipment byte, checksum", () => {
    const b = (i: number): number => reg(i, T0);
    expect(b(0x15) | (b(0x16) << 8)).toBe(640);
    expect(b(0x17) | (b(0x18) << 8)).toBe(0xffff);            // 3 GiB: capped
    expect(b(0x30) | (b(0x31) << 8)).toBe(0xffff);
    expect(b(0x34) | (b(0x35) << 8)).toBe((3 * 1024 - 16) * 16);
    expect(b(0x5b) | (b(0x5c) << 8) | (b(0x5d) << 16)).toBe(5 * 1024 * 16);
    expect(b(0x14)).toBe(0x02);
    let sum = 0;
    for (let i = 0x10; i <= 0x2d; i++) sum += b(i);
    expect((b(0x2e) << 8) | b(0x2f)).toBe(sum);
  });

  it("bit 7 of port 0x70 masks NMI and does not change the index; 0x70 reads float", () => {
    p.call("rtcOut", rtc, 0, 1, 0x8f, T0);
    expect(p.u32("rtcNmi", rtc)).toBe(1);
    p.call("rtcOut", rtc, 1, 1, 0x5a, T0);
    expect(reg(0x0f, T0)).toBe(0x5a);
    expect(p.u32("rtcNmi", rtc)).toBe(0);
    expect(p.u32("rtcIn", rtc, 0, 1, T0)).toBe(0xff);
  });

  it("registers C and D are read-only; general CMOS bytes are plain storage; odd sizes inert", () => {
    setReg(0x0d, 0x00, T0);
    expect(reg(0x0d, T0)).toBe(0x80);
    setReg(0x7f, 0x11, T0);
    expect(reg(0x7f, T0)).toBe(0x11);
    expect(p.u32("rtcIn", rtc, 0, 3, T0)).toBe(0xffffffff);
    p.call("rtcOut", rtc, 0, 2, 0x3f0f, T0);                  // wide write: index 0x0f, data 0x3f
    expect(reg(0x0f, T0)).toBe(0x3f);
  });
});
