// Local APIC (src/vmm/platform/lapic*.ts): reset state, TPR/PPR, IRR/ISR/EOI, the timer in its
// three modes at exact TSC instants, ICR IPIs, destinations. x2APIC MSR rules: x2apic.test.ts.
import { beforeEach, describe, expect, it } from "vitest";
import { load } from "./wasm.ts";

const w = load("apic");
const A = 0x10000, B = 0x10100, OUT = 0x10400;
const NEVER = 0xffffffffffffffffn;
const GHZ25 = 2_500_000_000n; // 100 TSC ticks per 25 MHz timer clock
const R = (off: number, now = 0n): number => Number(w.u64("lRead", A, off, 4, now));
const W = (off: number, v: number, now = 0n, at = A): number => w.u32("lWrite", at, off, 4, v >>> 0, now);
const irr = (v: number, at = A): boolean => (w.u64("lRead", at, 0x200 + (v >> 5) * 16, 4, 0) >> BigInt(v & 31) & 1n) === 1n;
const isr = (v: number): boolean => (BigInt(R(0x100 + (v >> 5) * 16)) >> BigInt(v & 31) & 1n) === 1n;
const tmr = (v: number): boolean => (BigInt(R(0x180 + (v >> 5) * 16)) >> BigInt(v & 31) & 1n) === 1n;
/** Software-enables the APIC (SVR vector 0xFF, bit 8). */
const enable = (at = A): void => { W(0x0f0, 0x1ff, 0n, at); };

describe("LAPIC reset and registers", () => {
  beforeEach(() => w.call("lInit", A, 3, true, GHZ25, true));

  it("comes up as SDM §11.4.7.1 says: ID, version, SVR 0xFF, every LVT masked, DFR flat", () => {
    expect(R(0x020)).toBe(3 << 24);
    expect(R(0x030)).toBe(0x50014);
    expect(R(0x0f0)).toBe(0xff);
    for (const off of [0x320, 0x330, 0x340, 0x350, 0x360, 0x370]) expect(R(off), `LVT ${off.toString(16)}`).toBe(0x10000);
    expect(R(0x0e0)).toBe(0xffffffff);
    expect(w.u64("lBase", A)).toBe(0xfee00900n); // base | EN | BSP
    w.call("lInit", B, 1, false, GHZ25, true);
    expect(w.u64("lBase", B)).toBe(0xfee00800n);
  });

  it("keeps reserved bits out and read-only registers unchanged", () => {
    enable();
    W(0x020, 0x07000000); // ID: read-only here
    expect(R(0x020)).toBe(3 << 24);
    W(0x350, 0xffffffff); // LINT0: vector, mode, polarity, trigger, mask only
    expect(R(0x350)).toBe(0x1a7ff);
    W(0x320, 0xffffffff);
    expect(R(0x320)).toBe(0x700ff);
    W(0x3e0, 0xffffffff);
    expect(R(0x3e0)).toBe(0xb);
    W(0x0d0, 0x12345678);
    expect(R(0x0d0)).toBe(0x12000000);
    W(0x0e0, 0x0);
    expect(R(0x0e0)).toBe(0x0fffffff);
    expect(R(0x0f0)).toBe(0x1ff);
  });

  it("an unknown register sets ESR bit 7 (seen after the next ESR write); odd accesses do nothing", () => {
    enable();
    expect(R(0x040)).toBe(0);
    expect(R(0x280)).toBe(0); // errors show only after a write latches them
    W(0x280, 0);
    expect(R(0x280)).toBe(0x80);
    W(0x280, 0);
    expect(R(0x280)).toBe(0);
    W(0x081, 0x50); // misaligned: ignored
    W(0x080, 0x50);
    expect(w.u64("lRead", A, 0x080, 1, 0)).toBe(0x50n);
    expect(w.u64("lRead", A, 0x084, 4, 0)).toBe(0n);
    expect(w.u32("lWrite", A, 0x080, 2, 0x60, 0)).toBe(0);
    expect(R(0x080)).toBe(0x50);
    expect(w.u64("lRead", A, 0x1020, 4, 0)).toBe(3n << 24n); // offset reduced to the page
  });

  it("software disable masks every LVT and withholds delivery; IRR is held", () => {
    enable();
    W(0x350, 0x700);
    expect(w.u32("lAccept", A, 0x40, false)).toBe(1);
    expect(w.i32("lPending", A)).toBe(0x40);
    W(0x0f0, 0xff);
    expect(R(0x350)).toBe(0x10700);
    expect(w.i32("lPending", A)).toBe(-1);
    W(0x350, 0x700); // cannot unmask while disabled
    expect(R(0x350)).toBe(0x10700);
    enable();
    expect(w.i32("lPending", A)).toBe(0x40);
  });
});

describe("LAPIC priorities, acceptance and EOI", () => {
  beforeEach(() => { w.call("lInit", A, 0, true, GHZ25, true); enable(); });

  it("delivers the highest IRR vector above the PPR class and moves it to ISR on ack", () => {
    for (const v of [0x31, 0x52, 0x5f]) expect(w.u32("lAccept", A, v, false)).toBe(1);
    expect(w.i32("lPending", A)).toBe(0x5f);
    expect(w.u32("lAck", A, 0x5f)).toBe(1);
    expect(irr(0x5f)).toBe(false);
    expect(isr(0x5f)).toBe(true);
    expect(R(0x0a0)).toBe(0x50); // PPR = in-service class
    // 0x52 is in the same class as the in-service 0x5f: held back.
    expect(w.i32("lPending", A)).toBe(-1);
    expect(w.u32("lAck", A, 0x52)).toBe(1); // the VMM may still ack what it injected
    expect(w.u32("lAck", A, 0x77)).toBe(0); // never requested
  });

  it("TPR masks classes at or below it; PPR = max(TPR, ISR class) (§11.8.3.1)", () => {
    w.u32("lAccept", A, 0x45, false);
    W(0x080, 0x45);
    expect(R(0x0a0)).toBe(0x45);
    expect(w.i32("lPending", A)).toBe(-1);
    W(0x080, 0x3f);
    expect(w.i32("lPending", A)).toBe(0x45);
    w.u32("lAck", A, 0x45);
    expect(R(0x0a0)).toBe(0x40);
    expect(R(0x080)).toBe(0x3f);
    w.call("lSetCr8", A, 7);
    expect(R(0x080)).toBe(0x70);
    expect(w.u64("lCr8", A)).toBe(7n);
  });

  it("EOI retires the highest ISR; a level vector is reported for the IOAPIC", () => {
    w.u32("lAccept", A, 0x30, true);
    w.u32("lAccept", A, 0x60, false);
    expect(tmr(0x30)).toBe(true);
    w.u32("lAck", A, 0x60);
    w.u32("lAck", A, 0x30);
    expect(W(0x0b0, 0)).toBe(0); // retires 0x60, edge
    expect(isr(0x60)).toBe(false);
    expect(isr(0x30)).toBe(true);
    expect(W(0x0b0, 0)).toBe(1); // EOI_LEVEL
    expect(w.u32("lEoiVector", A)).toBe(0x30);
    expect(isr(0x30)).toBe(false);
    expect(W(0x0b0, 0)).toBe(0); // nothing in service
  });

  it("vectors 0-15 are refused with 'receive illegal vector'", () => {
    expect(w.u32("lAccept", A, 0x0e, false)).toBe(0);
    expect(irr(0x0e)).toBe(false);
    W(0x280, 0);
    expect(R(0x280)).toBe(0x40);
  });

  it("a hardware-disabled APIC takes nothing and lets the 8259 through", () => {
    expect(w.u32("lPicIntr", A)).toBe(0); // LINT0 masked at reset
    W(0x350, 0x700); // ExtINT, unmasked: virtual wire
    expect(w.u32("lPicIntr", A)).toBe(1);
    expect(w.u32("lLint", A, 0)).toBe(5); // EXTINT
    W(0x360, 0x400); // LINT1 NMI
    expect(w.u32("lLint", A, 1)).toBe(2);
    expect(w.u32("lWrmsr", A, 0x1b, 0xfee00000n, 0, 39)).toBe(0); // EN = 0
    expect(w.u32("lPicIntr", A)).toBe(1);
    expect(w.u32("lAccept", A, 0x40, false)).toBe(0);
    expect(w.u32("lDeliver", A, 0, 0x40, false)).toBe(1); // DROPPED
    expect(w.u64("lRead", A, 0x20, 4, 0)).toBe(0xffffffffn); // page does not decode
    // Re-enabled: register state is back at reset values (§11.4.3).
    expect(w.u32("lWrmsr", A, 0x1b, 0xfee00800n, 0, 39)).toBe(0);
    expect(R(0x350)).toBe(0x10000);
  });
});

describe("LAPIC timer", () => {
  const T0 = 1_000_000_000_000n;
  beforeEach(() => { w.call("lInit", A, 0, true, GHZ25, true); enable(); });

  it("one-shot, divide by 1: fires exactly initial × 100 TSC ticks later; counts down on the way", () => {
    W(0x3e0, 0xb);
    W(0x320, 0x30);
    W(0x380, 1000, T0);
    expect(w.u64("lNext", A, T0)).toBe(T0 + 100_000n);
    expect(w.u32("lCurrent", A, T0 + 99n)).toBe(1000);
    expect(w.u32("lCurrent", A, T0 + 100n)).toBe(999);
    expect(R(0x390, T0 + 99_999n)).toBe(1);
    expect(w.u32("lService", A, T0 + 99_999n)).toBe(0);
    expect(irr(0x30)).toBe(false);
    expect(w.u32("lService", A, T0 + 100_000n)).toBe(1);
    expect(irr(0x30)).toBe(true);
    expect(w.u64("lNext", A, T0 + 100_000n)).toBe(NEVER);
    expect(R(0x390, T0 + 200_000n)).toBe(0);
    expect(w.u32("lService", A, T0 + 300_000n)).toBe(0); // once only
  });

  it("matches ⌈count · divisor · tscHz / 25 MHz⌉ for an odd TSC rate and every divisor", () => {
    const hz = 2_999_999_999n;
    const tdcr = [0xb, 0x0, 0x1, 0x2, 0x3, 0x8, 0x9, 0xa];
    tdcr.forEach((d, i) => {
      w.call("lInit", A, 0, true, hz, true);
      enable();
      W(0x3e0, d);
      W(0x320, 0x31);
      const count = 12_345 + i;
      W(0x380, count, T0);
      const div = 1n << BigInt(i);
      const want = T0 + (BigInt(count) * div * hz + 25_000_000n - 1n) / 25_000_000n;
      expect(w.u64("lNext", A, T0), `TDCR ${d}`).toBe(want);
      expect(w.u32("lService", A, want - 1n)).toBe(0);
      expect(R(0x390, want - 1n)).toBe(1);
      expect(w.u32("lService", A, want)).toBe(1);
    });
  });

  it("periodic: reloads every period, current count wraps, a late service coalesces", () => {
    W(0x3e0, 0xb);
    W(0x320, 0x20032); // periodic, vector 0x32
    W(0x380, 10, T0); // period = 1000 TSC
    expect(w.u64("lNext", A, T0)).toBe(T0 + 1000n);
    expect(w.u32("lService", A, T0 + 1000n)).toBe(1);
    expect(w.u64("lNext", A, T0 + 1000n)).toBe(T0 + 2000n);
    expect(R(0x390, T0 + 1000n)).toBe(10);
    expect(R(0x390, T0 + 2500n)).toBe(5);
    w.u32("lAck", A, 0x32);
    W(0x0b0, 0);
    expect(w.u32("lService", A, T0 + 5500n)).toBe(1);
    expect(irr(0x32)).toBe(true);
    expect(w.u64("lNext", A, T0 + 5500n)).toBe(T0 + 6000n);
    W(0x380, 0, T0 + 5600n); // initial count 0 stops it
    expect(w.u64("lNext", A, T0 + 5600n)).toBe(NEVER);
    expect(R(0x390, T0 + 9000n)).toBe(0);
  });

  it("a divide change mid-count continues from the current count at the new rate", () => {
    W(0x3e0, 0xb);
    W(0x320, 0x33);
    W(0x380, 100, T0); // expiry at +10 000
    W(0x3e0, 0x0, T0 + 4000n); // 60 counts left, now ÷2: 60 × 200 = 12 000 more
    expect(R(0x390, T0 + 4000n)).toBe(60);
    expect(w.u64("lNext", A, T0 + 4000n)).toBe(T0 + 16_000n);
  });

  it("masked: no wake-ups, expiries during the mask are dropped, not delivered on unmask", () => {
    W(0x3e0, 0xb);
    W(0x320, 0x10034);
    W(0x380, 10, T0);
    expect(w.u64("lNext", A, T0)).toBe(NEVER);
    W(0x320, 0x34, T0 + 5000n); // unmask after the expiry
    expect(irr(0x34)).toBe(false);
    expect(w.u64("lNext", A, T0 + 5000n)).toBe(NEVER); // one-shot already spent
  });

  it("TSC-deadline: fires at the deadline, clears the MSR; other modes ignore the MSR", () => {
    const cell = OUT;
    expect(w.u32("lWrmsr", A, 0x6e0, T0, 0, 39)).toBe(0);
    expect(w.u32("lRdmsr", A, 0x6e0, 0, cell)).toBe(1);
    expect(w.mem.getBigUint64(cell, true)).toBe(0n); // one-shot mode: ignored, reads 0
    W(0x320, 0x40035, T0 - 10n); // TSC-deadline, vector 0x35
    W(0x380, 500, T0 - 10n); // initial count ignored in this mode
    expect(R(0x380)).toBe(0);
    w.u32("lWrmsr", A, 0x6e0, T0 + 777n, T0, 39);
    w.u32("lRdmsr", A, 0x6e0, T0, cell);
    expect(w.mem.getBigUint64(cell, true)).toBe(T0 + 777n);
    expect(w.u64("lNext", A, T0)).toBe(T0 + 777n);
    expect(R(0x390, T0)).toBe(0);
    expect(w.u32("lService", A, T0 + 776n)).toBe(0);
    expect(w.u32("lService", A, T0 + 777n)).toBe(1);
    expect(irr(0x35)).toBe(true);
    w.u32("lRdmsr", A, 0x6e0, T0, cell);
    expect(w.mem.getBigUint64(cell, true)).toBe(0n);
    // A deadline in the past is due at once; leaving the mode disarms it.
    w.u32("lWrmsr", A, 0x6e0, T0, T0 + 1000n, 39);
    expect(w.u64("lNext", A, T0 + 1000n)).toBe(T0 + 1000n);
    W(0x320, 0x35, T0 + 999n);
    expect(w.u64("lNext", A, T0 + 1000n)).toBe(NEVER);
  });

  it("CPUID 0x15/0x16 describe the same 25 MHz clock the timer counts", () => {
    w.call("lCpuid15", 2_100_000_000n, OUT);
    expect([0, 4, 8, 12].map((o) => w.mem.getUint32(OUT + o, true))).toEqual([1, 84, 25_000_000, 0]);
    w.call("lCpuid15", 2_099_998_765n, OUT);
    const [den, num, xtal] = [0, 4, 8].map((o) => w.mem.getUint32(OUT + o, true)) as [number, number, number];
    expect(BigInt(xtal) * BigInt(num) / BigInt(den)).toBe(2_099_998_765n);
    w.call("lCpuid16", 3_500_000_000n, OUT);
    expect([0, 4, 8].map((o) => w.mem.getUint32(OUT + o, true))).toEqual([3500, 3500, 25]);
  });
});

describe("LAPIC ICR and destinations", () => {
  beforeEach(() => {
    w.call("lInit", A, 0, true, GHZ25, true);
    w.call("lInit", B, 1, false, GHZ25, true);
    enable(A); enable(B);
  });

  it("self shorthand lands in the sender's IRR without an exit", () => {
    expect(W(0x300, 0x40041)).toBe(0); // shorthand self, fixed, vector 0x41
    expect(irr(0x41)).toBe(true);
    expect(R(0x300) & 0x1000).toBe(0); // delivery status idle
  });

  it("a fixed IPI to APIC 1 goes to the VMM and is delivered to B only", () => {
    W(0x310, 1 << 24);
    expect(W(0x300, 0x4050)).toBe(2); // SEND_IPI
    expect(w.u32("lSendDest", A)).toBe(1);
    expect(w.u32("lSendLow", A)).toBe(0x4050);
    expect(w.u32("lIpiTargets", A, A)).toBe(0);
    expect(w.u32("lIpiTargets", A, B)).toBe(1);
    expect(w.u32("lIpiDeliver", B, w.u32("lSendLow", A))).toBe(0);
    expect(irr(0x50, B)).toBe(true);
  });

  it("INIT and SIPI are reported to the VMM; INIT level de-assert is dropped", () => {
    W(0x310, 1 << 24);
    expect(W(0x300, 0xc500)).toBe(2);
    expect(w.u32("lIpiDeliver", B, w.u32("lSendLow", A))).toBe(3); // INIT
    expect(W(0x300, 0x8500)).toBe(0); // de-assert
    expect(W(0x300, 0x4609)).toBe(2);
    expect(w.u32("lIpiDeliver", B, w.u32("lSendLow", A))).toBe(4); // SIPI
    expect(W(0x300, 0xc0400)).toBe(2); // NMI to all excluding self
    expect(w.u32("lIpiTargets", A, A)).toBe(0);
    expect(w.u32("lIpiTargets", A, B)).toBe(1);
    expect(w.u32("lIpiDeliver", B, w.u32("lSendLow", A))).toBe(2);
  });

  it("a fixed IPI with a vector below 16 is not sent: 'send illegal vector'", () => {
    expect(W(0x300, 0x4005)).toBe(0);
    W(0x280, 0);
    expect(R(0x280)).toBe(0x20);
  });

  it("logical destinations: flat and cluster models; 0xFF broadcasts", () => {
    W(0x0d0, 0x02000000, 0n, B); // logical ID bit 1
    expect(w.u32("lMatch", B, 0x02, true, false)).toBe(1);
    expect(w.u32("lMatch", B, 0x05, true, false)).toBe(0);
    W(0x0e0, 0x0fffffff, 0n, B); // cluster model
    W(0x0d0, 0x31000000, 0n, B); // cluster 3, member bit 0
    expect(w.u32("lMatch", B, 0x31, true, false)).toBe(1);
    expect(w.u32("lMatch", B, 0x21, true, false)).toBe(0);
    expect(w.u32("lMatch", B, 0xff, true, false)).toBe(1);
    expect(w.u32("lMatch", B, 1, false, false)).toBe(1);
    expect(w.u32("lMatch", B, 2, false, false)).toBe(0);
    expect(w.u32("lMatch", B, 0xff, false, false)).toBe(1);
  });
});
