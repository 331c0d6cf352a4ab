// The 16550A model against what Linux's 8250 driver does: autoconfig probe, startup THRE test,
// console output, interrupt-driven receive with trigger level and character timeout, loopback.
import { beforeEach, describe, expect, it } from "vitest";
import { platform, layout, U64_MAX } from "./wasm.ts";

const p = platform();
const HZ = 2_000_000_000n; // 2 GHz TSC
const RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;
let lines = 0, u = 0;
let now = 1000n;

const rd = (off: number, size = 1): number => p.u32("uRead", u, off, size, now);
const wr = (off: number, v: number, size = 1): void => p.call("uWrite", u, off, size, v, now);
const irq4 = (): boolean => (p.u32("linesLevel", lines) & (1 << 4)) !== 0;

beforeEach(() => {
  const alloc = layout(p);
  lines = alloc(p.u32("sizeIrqLines"));
  u = alloc(p.u32("sizeUart"));
  p.call("linesInit", lines);
  p.call("uInit", u, lines, 4, HZ);
  now = 1000n;
});

describe("16550A: Linux 8250 autoconfig", () => {
  it("IER keeps bits 3:0 only (the 'is there a UART' test and the XScale UUE test)", () => {
    wr(IER, 0);
    expect(rd(IER) & 0x0f).toBe(0);
    wr(IER, 0x0f);
    expect(rd(IER) & 0x0f).toBe(0x0f);
    wr(IER, 0xff);
    expect(rd(IER)).toBe(0x0f); // bit 6 (UUE) and the rest of 7:4 read 0
  });

  it("scratch register holds any byte", () => {
    for (const v of [0x00, 0x55, 0xaa, 0xff]) { wr(SCR, v); expect(rd(SCR)).toBe(v); }
  });

  it("loopback with MCR = 0x1A reports MSR[7:4] = 0x90, and not outside loopback", () => {
    wr(MCR, 0x1a);
    expect(rd(MSR) & 0xf0).toBe(0x90);
    wr(MCR, 0x1f);
    expect(rd(MSR) & 0xf0).toBe(0xf0);
    wr(MCR, 0x00);
    expect(rd(MSR) & 0xf0).toBe(0xb0); // a present terminal: DCD, DSR, CTS
  });

  it("FIFO detection: FCR=1 gives IIR[7:6]=11; no EFR, no 64-byte FIFO → 16550A", () => {
    wr(LCR, 0xbf); wr(FCR, 0); wr(LCR, 0);
    wr(FCR, 0x01);
    expect(rd(IIR) >> 6).toBe(3);
    wr(LCR, 0x80);
    expect(rd(IIR)).not.toBe(0);      // EFR test for ST16C650V1: offset 2 is still IIR
    wr(LCR, 0xbf);
    expect(rd(IIR)).not.toBe(0);      // EFR test for 16650
    wr(LCR, 0);
    wr(FCR, 0x01 | 0x20);             // 16750 64-byte FIFO enable is ignored
    expect(rd(IIR) & 0xe0).toBe(0xc0);
    wr(FCR, 0);
    expect(rd(IIR) >> 6).toBe(0);
  });

  it("divisor latch is reached only with DLAB, and does not disturb THR/IER", () => {
    wr(LCR, 0x83); wr(0, 0x01); wr(1, 0x00); wr(LCR, 0x03);
    wr(IER, 0x05);
    wr(LCR, 0x83);
    expect(rd(0)).toBe(0x01);
    expect(rd(1)).toBe(0x00);
    wr(LCR, 0x03);
    expect(rd(IER)).toBe(0x05);
    expect(p.u32("uTxCount", u)).toBe(0);
  });
});

describe("16550A: transmit", () => {
  it("THR bytes reach the output ring in order; LSR always shows THRE|TEMT", () => {
    expect(rd(LSR) & 0x60).toBe(0x60);
    for (const c of "Linux") wr(RBR, c.charCodeAt(0));
    expect(rd(LSR) & 0x60).toBe(0x60);
    let s = "";
    for (let b; (b = p.i32("uTxPop", u, now)) >= 0;) s += String.fromCharCode(b);
    expect(s).toBe("Linux");
  });

  it("startup THRE test: IER.THRI raises THRI, IIR read clears it, re-enabling re-raises", () => {
    wr(MCR, 0x0b); // DTR RTS OUT2, as the driver sets before the test
    wr(IER, 0x02);
    expect(irq4()).toBe(true);
    const iir1 = rd(IIR);
    expect(iir1 & 0x0f).toBe(0x02);
    expect(rd(IIR) & 0x01).toBe(1); // cleared by the read
    expect(irq4()).toBe(false);
    wr(IER, 0);
    wr(IER, 0x02);
    expect(rd(IIR) & 0x0f).toBe(0x02);
    wr(IER, 0);
    expect(irq4()).toBe(false);
  });

  it("a THR write re-arms THRI (the transmitter emptied THR); OUT2 gates the IRQ line", () => {
    wr(IER, 0x02);
    rd(IIR);
    wr(RBR, 0x41);
    expect(irq4()).toBe(false);       // OUT2 clear: pin not connected to the ISA bus
    wr(MCR, 0x08);
    expect(irq4()).toBe(true);
    wr(MCR, 0x18);                    // loopback disconnects the interrupt too
    expect(irq4()).toBe(false);
  });

  it("back-pressure: a full ring clears THRE, drops extra bytes, and draining re-raises THRI", () => {
    wr(MCR, 0x08); wr(IER, 0x02); rd(IIR);
    for (let i = 0; i < 4096; i++) wr(RBR, i & 0xff);
    expect(rd(LSR) & 0x60).toBe(0);
    expect(irq4()).toBe(false);
    wr(RBR, 0x99);
    expect(p.u32("uTxDropped", u)).toBe(1);
    expect(p.i32("uTxPop", u, now)).toBe(0);
    expect(rd(LSR) & 0x60).toBe(0x60);
    expect(irq4()).toBe(true);
    expect(rd(IIR) & 0x0f).toBe(0x02);
  });
});

describe("16550A: receive", () => {
  it("DR follows queued input; RBR pops bytes in order", () => {
    expect(rd(LSR) & 1).toBe(0);
    p.u32("uRxPush", u, 0x61, now);
    p.u32("uRxPush", u, 0x62, now);
    expect(rd(LSR) & 1).toBe(1);
    expect(rd(RBR)).toBe(0x61);
    expect(rd(RBR)).toBe(0x62);
    expect(rd(LSR) & 1).toBe(0);
  });

  it("non-FIFO mode: RDA as soon as one byte is there", () => {
    wr(MCR, 0x08); wr(IER, 0x01);
    expect(irq4()).toBe(false);
    p.u32("uRxPush", u, 0x31, now);
    expect(irq4()).toBe(true);
    expect(rd(IIR)).toBe(0x04);
    rd(RBR);
    expect(irq4()).toBe(false);
  });

  it("FIFO trigger 8: RDA at 8 bytes; below it the character timeout fires after 4 char times", () => {
    wr(LCR, 0x83); wr(0, 1); wr(1, 0); wr(LCR, 0x03);   // 115200 8N1: 10 bits a character
    wr(FCR, 0x81); wr(MCR, 0x08); wr(IER, 0x01);
    const charTsc = HZ * 10n / 115200n;
    p.u32("uRxPush", u, 0x78, now);
    expect(irq4()).toBe(false);
    const due = p.u64("uNext", u, now);
    expect(due).toBe(now + 4n * charTsc);
    p.call("uTick", u, due - 1n);
    expect(irq4()).toBe(false);
    p.call("uTick", u, due);
    expect(irq4()).toBe(true);
    now = due;
    expect(rd(IIR)).toBe(0xcc);
    expect(rd(RBR)).toBe(0x78);
    expect(irq4()).toBe(false);
    expect(p.u64("uNext", u, now)).toBe(U64_MAX);
    for (let i = 0; i < 7; i++) p.u32("uRxPush", u, i, now);
    expect(irq4()).toBe(false);
    p.u32("uRxPush", u, 7, now);
    expect(irq4()).toBe(true);
    expect(rd(IIR)).toBe(0xc4);
  });

  it("IIR priority: received data outranks THRE, THRE outranks modem status", () => {
    wr(MCR, 0x18); rd(MSR);
    wr(IER, 0x0b);                    // RDI, THRI, MSI
    wr(MCR, 0x19);                    // DTR toggles DSR in loopback: DDSR
    p.u32("uRxPush", u, 0x20, now);
    expect(rd(IIR) & 0x0f).toBe(0x04);
    rd(RBR);
    expect(rd(IIR) & 0x0f).toBe(0x02);
    expect(rd(IIR) & 0x0f).toBe(0x00); // THRI cleared by the previous read: modem status left
    rd(MSR);
    expect(rd(IIR) & 0x0f).toBe(0x01);
  });

  it("a full queue refuses input instead of overrunning; FCR clears the FIFO part", () => {
    wr(FCR, 0x01);
    let n = 0;
    while (p.u32("uRxPush", u, n & 0xff, now)) n++;
    expect(n).toBe(256);
    wr(FCR, 0x03);                    // clear RX: drops the 16 FIFO bytes, the rest wait
    expect(rd(RBR)).toBe(16);
    wr(FCR, 0x00);                    // disabling clears the (16-byte) FIFO again
    expect(rd(RBR)).toBe(33);
  });

  it("loopback: THR bytes come back through RBR and never reach the console", () => {
    wr(MCR, 0x10);
    wr(RBR, 0x5a);
    expect(p.u32("uTxCount", u)).toBe(0);
    expect(rd(LSR) & 1).toBe(1);
    expect(rd(RBR)).toBe(0x5a);
  });

  it("MSR deltas: loopback toggles set DCTS/DDSR/TERI/DDCD, cleared by reading MSR", () => {
    wr(MCR, 0x10);
    rd(MSR);
    wr(MCR, 0x1f);
    expect(rd(MSR)).toBe(0xf0 | 0x0b); // RI rose: TERI only on its trailing edge
    wr(MCR, 0x10);
    expect(rd(MSR)).toBe(0x0f);
    expect(rd(MSR)).toBe(0x00);
  });
});

describe("16550A: hostile accesses", () => {
  it("wide accesses touch consecutive registers; odd sizes and far offsets are inert", () => {
    wr(SCR, 0x42);
    expect(rd(6, 2) >>> 8).toBe(0x42);
    expect(rd(7, 4)).toBe(0xffffff42);
    expect(rd(0, 3)).toBe(0xffffffff);
    wr(0, 0x41, 8);
    wr(1000, 0x41);
    expect(p.u32("uTxCount", u)).toBe(0);
    wr(LSR, 0); wr(MSR, 0xff);
    expect(rd(LSR) & 0x60).toBe(0x60);
  });
});
