// The 8254 PIT and port 0x61 against Linux's use: channel 2 TSC calibration (pit_calibrate_tsc,
// quick_pit_calibrate), channel 0 periodic (mode 2) and one-shot (mode 4) clock events, latch
// and read-back; all timing exact in TSC ticks derived from 1.193182 MHz.
import { beforeEach, describe, expect, it } from "vitest";
import { platform, layout, U64_MAX } from "./wasm.ts";

const p = platform();
const HZ = 2_893_000_000n; // an odd TSC frequency, so rounding matters
const PIT_HZ = 1193182n;
let lines = 0, pit = 0, sys = 0;
const out = (port: number, v: number, now: bigint): void => p.call("pitOut", pit, port - 0x40, 1, v, now);
const inp = (port: number, now: bigint): number => p.u32("pitIn", pit, port - 0x40, 1, now);
/** The smallest TSC delta that holds `clocks` PIT clocks: ⌈clocks · HZ / PIT_HZ⌉. */
const tscOf = (clocks: bigint): bigint => (clocks * HZ + PIT_HZ - 1n) / PIT_HZ;
const clocksOf = (tsc: bigint): bigint => tsc * PIT_HZ / HZ;
const irq0Rising = (): boolean => (p.u32("linesRising", lines) & 1) !== 0;

beforeEach(() => {
  const alloc = layout(p);
  lines = alloc(p.u32("sizeIrqLines"));
  pit = alloc(p.u32("sizePit"));
  sys = alloc(p.u32("sizeSysctl"));
  p.call("linesInit", lines);
  p.call("pitInitAt", pit, lines, HZ);
  p.call("sysInit", sys, pit);
  p.call("linesCommit", lines);
});

describe("time conversions", () => {
  it("tscToPit / pitToTsc are exact floor / ceiling and inverse", () => {
    for (const c of [0n, 1n, 2n, 4773n, 65536n, 1193182n, 123456789n, 10n ** 12n]) {
      const t = p.u64("fromPit", c, HZ);
      expect(t).toBe(tscOf(c));
      expect(p.u64("toPit", t, HZ)).toBe(c);
      if (t > 0n) expect(p.u64("toPit", t - 1n, HZ)).toBe(c - 1n);
    }
  });

  it("no overflow: a century of TSC still converts exactly", () => {
    const century = HZ * 3600n * 24n * 36525n;
    expect(p.u64("toPit", century, HZ)).toBe(clocksOf(century));
    expect(p.u64("mdFloor", U64_MAX, PIT_HZ, HZ)).toBe(U64_MAX * PIT_HZ / HZ);
  });
});

describe("channel 2 calibration (port 0x61)", () => {
  it("pit_calibrate_tsc: mode 0 OUT2 rises exactly CAL_LATCH clocks after the count is written", () => {
    const t0 = 5_000_000n;
    const b = p.u32("sysIn", sys, 0, 1, t0);
    p.call("sysOut", sys, 0, 1, (b & ~0x02) | 0x01, t0);   // gate high, speaker off
    out(0x43, 0xb0, t0);                                     // ch2, lo/hi, mode 0, binary
    const latch = 11931;                                     // PIT_TICK_RATE / (1000 / 10)
    out(0x42, latch & 0xff, t0);
    out(0x42, latch >> 8, t0);
    const due = t0 + tscOf(BigInt(latch));
    expect(p.u32("sysIn", sys, 0, 1, t0) & 0x20).toBe(0);
    expect(p.u32("sysIn", sys, 0, 1, due - 1n) & 0x20).toBe(0);
    expect(p.u32("sysIn", sys, 0, 1, due) & 0x21).toBe(0x21);
  });

  it("quick_pit_calibrate: unlatched lo/hi reads count down from 0xFFFF with time", () => {
    const t0 = 77n;
    p.call("sysOut", sys, 0, 1, 0x01, t0);
    out(0x43, 0xb0, t0);
    out(0x42, 0xff, t0);
    out(0x42, 0xff, t0);
    for (const dt of [0n, 1000n, tscOf(256n), tscOf(40000n) + 5n]) {
      const lo = inp(0x42, t0 + dt);
      const hi = inp(0x42, t0 + dt);
      expect((hi << 8) | lo).toBe(0xffff - Number(clocksOf(dt)));
    }
  });

  it("gate low pauses a mode 0 count; gate high resumes it", () => {
    const t0 = 0n;
    p.call("sysOut", sys, 0, 1, 0x01, t0);
    out(0x43, 0xb0, t0); out(0x42, 100, t0); out(0x42, 0, t0);
    const tPause = tscOf(40n);
    p.call("sysOut", sys, 0, 1, 0x00, tPause);
    out(0x43, 0x80, tPause + tscOf(1000n));                  // latch ch2 while paused
    expect(inp(0x42, 0n) | (inp(0x42, 0n) << 8)).toBe(60);
    const tResume = tPause + tscOf(5000n);
    p.call("sysOut", sys, 0, 1, 0x01, tResume);
    expect(p.u32("sysIn", sys, 0, 1, tResume + tscOf(60n) - 1n) & 0x20).toBe(0);
    expect(p.u32("sysIn", sys, 0, 1, tResume + tscOf(60n)) & 0x20).toBe(0x20);
  });

  it("channel 2 does not count while port 0x61 bit 0 (its GATE) is low, as after reset", () => {
    out(0x43, 0xb0, 0n); out(0x42, 10, 0n); out(0x42, 0, 0n);
    expect(p.u32("sysIn", sys, 0, 1, tscOf(1000n)) & 0x20).toBe(0);
    out(0x43, 0x80, tscOf(1000n));
    expect(inp(0x42, 0n) | (inp(0x42, 0n) << 8)).toBe(10);
  });

  it("port 0x61: bits 3:0 read back, refresh bit 4 toggles every 18 clocks, bits 7:6 read 0", () => {
    p.call("sysOut", sys, 0, 1, 0xff, 0n);
    const a = p.u32("sysIn", sys, 0, 1, 0n);
    expect(a & 0xcf).toBe(0x0f);
    const b = p.u32("sysIn", sys, 0, 1, tscOf(18n));
    expect((a ^ b) & 0x10).toBe(0x10);
    expect(p.u32("sysIn", sys, 0, 2, 0n) >>> 8).toBe(0xff);
  });

  it("port 0x80 takes POST codes and reads back nothing", () => {
    p.call("postOut", sys, 0, 1, 0x5a);
    expect(p.u32("postCode", sys)).toBe(0x5a);
    expect(p.u32("postIn", sys, 0, 1)).toBe(0xff);
  });
});

describe("channel 0 → IRQ 0", () => {
  it("mode 2 (periodic, Linux HZ=250): rising edges exactly every LATCH clocks, no drift", () => {
    const t0 = 123_456_789n;
    const latch = 4773n;                                     // (1193182 + 125) / 250
    out(0x43, 0x34, t0);
    out(0x40, Number(latch & 0xffn), t0);
    out(0x40, Number(latch >> 8n), t0);
    p.call("linesCommit", lines);
    expect(irq0Rising()).toBe(false);
    for (let k = 1n; k <= 3n; k++) {
      const due = t0 + tscOf(k * latch);
      expect(p.u64("pitNext", pit, due - 1n)).toBe(due);
      p.call("pitTickAt", pit, due - 1n);
      expect(irq0Rising()).toBe(false);
      p.call("pitTickAt", pit, due);
      expect(irq0Rising()).toBe(true);
      p.call("linesCommit", lines);
    }
    // Serve 1000 more periods the way the VMM would: tick at each pitNext. Every due instant
    // is computed from the load, so the 1000th is exact (no accumulated rounding).
    let due = t0 + tscOf(3n * latch);
    for (let k = 4n; k <= 1003n; k++) {
      due = p.u64("pitNext", pit, due);
      p.call("pitTickAt", pit, due);
      expect(irq0Rising()).toBe(true);
      p.call("linesCommit", lines);
    }
    expect(due).toBe(t0 + tscOf(1003n * latch));
  });

  it("mode 2: the counter reads N..1 and missed periods collapse into one pulse", () => {
    const t0 = 0n;
    out(0x43, 0x34, t0); out(0x40, 100, t0); out(0x40, 0, t0);
    out(0x43, 0x00, tscOf(30n));                             // counter latch
    expect(inp(0x40, 0n) | (inp(0x40, 0n) << 8)).toBe(70);
    p.call("linesCommit", lines);
    const late = tscOf(1050n);
    expect(p.u64("pitNext", pit, late)).toBe(late);          // overdue: tick now
    p.call("pitTickAt", pit, late);
    expect(irq0Rising()).toBe(true);
    p.call("linesCommit", lines);
    expect(p.u64("pitNext", pit, late)).toBe(tscOf(1100n));
  });

  it("mode 4 (Linux one-shot): one edge LATCH+1 clocks after the count, then nothing", () => {
    const t0 = 1000n;
    out(0x43, 0x38, t0); out(0x40, 0x10, t0); out(0x40, 0x00, t0);
    p.call("linesCommit", lines);
    const due = t0 + tscOf(17n);
    expect(p.u64("pitNext", pit, t0)).toBe(due);
    expect(p.u32("pitOutLevel", pit, 0, t0 + tscOf(16n))).toBe(0); // the strobe clock
    p.call("pitTickAt", pit, due);
    expect(irq0Rising()).toBe(true);
    p.call("linesCommit", lines);
    expect(p.u64("pitNext", pit, due)).toBe(U64_MAX);
  });

  it("mode 0 on channel 0: OUT low after the control word, one rising edge at terminal count", () => {
    out(0x43, 0x30, 0n);
    expect(p.u32("linesLevel", lines) & 1).toBe(0);
    out(0x40, 50, 0n); out(0x40, 0, 0n);
    p.call("linesCommit", lines);
    p.call("pitTickAt", pit, tscOf(50n));
    expect(p.u32("linesLevel", lines) & 1).toBe(1);
    expect(irq0Rising()).toBe(true);
    p.call("linesCommit", lines);
    expect(p.u64("pitNext", pit, tscOf(50n))).toBe(U64_MAX);
  });

  it("mode 3 square wave: OUT high for ⌈N/2⌉ clocks, low for ⌊N/2⌋, count steps by 2", () => {
    out(0x43, 0x36, 0n); out(0x40, 10, 0n); out(0x40, 0, 0n);
    const lvl = (c: bigint): number => p.u32("pitOutLevel", pit, 0, tscOf(c));
    expect([0n, 4n, 5n, 9n, 10n, 14n, 15n].map(lvl)).toEqual([1, 1, 0, 0, 1, 1, 0]);
    out(0x43, 0x00, tscOf(3n));
    expect(inp(0x40, 0n) | (inp(0x40, 0n) << 8)).toBe(4);
  });

  it("no IRQ 0 activity before the guest programs channel 0 (reset: mode 3, OUT high, idle)", () => {
    expect(p.u64("pitNext", pit, 0n)).toBe(U64_MAX);
    out(0x43, 0x34, 10n);
    expect(irq0Rising()).toBe(false);
  });
});

describe("8254: latch, read-back, formats, hostile values", () => {
  it("read-back: status then count of the selected counters; a second latch is ignored", () => {
    p.call("sysOut", sys, 0, 1, 0x01, 0n);                   // ch2 gate high
    out(0x43, 0xb4, 0n);                                     // ch2 lo/hi mode 2
    out(0x42, 0x00, 0n); out(0x42, 0x01, 0n);                // N = 256
    out(0x43, 0xc8, tscOf(6n));                              // read-back: count+status of ch2
    out(0x43, 0x80, tscOf(100n));                            // ignored: count already latched
    expect(inp(0x42, 0n)).toBe(0x80 | 0x34);                 // status: OUT high, count loaded, lo/hi mode 2
    expect(inp(0x42, 0n) | (inp(0x42, 0n) << 8)).toBe(250);
  });

  it("read-back status shows OUT and null count", () => {
    out(0x43, 0xb0, 0n);
    out(0x43, 0xe8, 0n);                                     // status only, ch2
    expect(inp(0x42, 0n)).toBe(0x40 | 0x30);                 // OUT low, null count, lo/hi mode 0
  });

  it("LSB-only and MSB-only access; BCD counting", () => {
    out(0x43, 0x10, 0n); out(0x40, 200, 0n);                 // ch0 LSB only, mode 0
    expect(inp(0x40, tscOf(5n))).toBe(195);
    out(0x43, 0x20, 0n); out(0x40, 0x02, 0n);                // MSB only: N = 512
    expect(inp(0x40, tscOf(1n))).toBe(0x01);
    out(0x43, 0x31, 0n); out(0x40, 0x00, 0n); out(0x40, 0x10, 0n); // BCD 1000
    out(0x43, 0x00, tscOf(1n));
    expect(inp(0x40, 0n) | (inp(0x40, 0n) << 8)).toBe(0x0999);
  });

  it("count 1 in mode 2 and 0 (= 65536) stay finite; odd sizes and port 0x43 reads are inert", () => {
    out(0x43, 0x34, 0n); out(0x40, 1, 0n); out(0x40, 0, 0n);
    expect(p.u64("pitNext", pit, 0n)).toBe(tscOf(2n));
    out(0x43, 0x34, 0n); out(0x40, 0, 0n); out(0x40, 0, 0n);
    expect(p.u64("pitNext", pit, 0n)).toBe(tscOf(65536n));
    expect(inp(0x43, 0n)).toBe(0xff);
    expect(p.u32("pitIn", pit, 0, 3, 0n)).toBe(0xffffffff);
    p.call("pitOut", pit, 9, 1, 0x34, 0n);
    p.call("pitOut", pit, 3, 8, 0x00, 0n);
    expect(p.u64("pitNext", pit, 0n)).toBe(tscOf(65536n));
  });
});
