// IOAPIC (src/vmm/platform/ioapic.ts): register window, edge and level inputs from IrqLines,
// Remote IRR and EOI, masking; and the level-interrupt round trip with a LAPIC.
import { beforeEach, describe, expect, it } from "vitest";
import { load } from "./wasm.ts";

const w = load("apic");
const IO = 0x20000, LINES = 0x20400, MSG = 0x20500, LA = 0x20600;
const sel = (r: number): void => w.call("ioWrite", IO, 0, 4, r);
const reg = (r: number): number => { sel(r); return Number(w.u64("ioRead", IO, 0x10, 4)); };
const setReg = (r: number, v: number): void => { sel(r); w.call("ioWrite", IO, 0x10, 4, v >>> 0); };
const route = (pin: number, low: number, dest = 0): void => { setReg(0x11 + 2 * pin, dest << 24); setReg(0x10 + 2 * pin, low); };
const sync = (): void => { w.call("ioSync", IO, LINES); w.call("linesCommit", LINES); };
interface Msg { vector: number; mode: number; logical: number; level: number; dest: number; pin: number }
const pop = (): Msg | null => {
  if (w.u32("ioPop", IO, MSG) === 0) return null;
  const f = (i: number): number => w.mem.getUint32(MSG + 4 * i, true);
  return { vector: f(0), mode: f(1), logical: f(2), level: f(3), dest: f(4), pin: f(5) };
};
const LEVEL = 1 << 15, MASK = 1 << 16, REMOTE_IRR = 1 << 14, PENDING = 1 << 12;

describe("IOAPIC", () => {
  beforeEach(() => { w.call("ioInit", IO, 0); w.call("linesInit", LINES); });

  it("identifies as version 0x20 with 24 entries, all masked at reset", () => {
    expect(reg(0x01)).toBe(0x170020);
    setReg(0x00, 0x0a000000);
    expect(reg(0x00)).toBe(0x0a000000);
    expect(reg(0x02)).toBe(0x0a000000);
    setReg(0x01, 0);
    expect(reg(0x01)).toBe(0x170020);
    for (let p = 0; p < 24; p++) expect(reg(0x10 + 2 * p)).toBe(MASK);
    expect(reg(0x40)).toBe(0); // beyond the table
    expect(w.u64("ioRead", IO, 0x00, 4)).toBe(0x40n); // IOREGSEL reads back
  });

  it("edge: one message per rising edge; a steady level sends nothing more", () => {
    route(4, 0x31, 1);
    w.call("linesSet", LINES, 4, true);
    sync();
    expect(pop()).toEqual({ vector: 0x31, mode: 0, logical: 0, level: 0, dest: 1, pin: 4 });
    expect(pop()).toBeNull();
    sync();
    expect(pop()).toBeNull();
    w.call("linesSet", LINES, 4, false);
    w.call("linesSet", LINES, 4, true);
    sync();
    expect(pop()?.vector).toBe(0x31);
  });

  it("the PIT (line 0) arrives on pin 2; short pulses are not missed", () => {
    route(2, 0x30);
    route(0, 0x3f);
    w.call("linesPulse", LINES, 0);
    sync();
    expect(pop()?.pin).toBe(2);
    expect(pop()).toBeNull();
  });

  it("edges while masked are lost", () => {
    route(4, 0x31 | MASK);
    w.call("linesSet", LINES, 4, true);
    sync();
    route(4, 0x31);
    expect(pop()).toBeNull();
  });

  it("level: Remote IRR holds it until the EOI; still asserted → sent again", () => {
    route(9, 0x49 | LEVEL);
    w.call("linesSet", LINES, 9, true);
    sync();
    expect(reg(0x10 + 18) & PENDING).toBe(PENDING);
    expect(pop()).toMatchObject({ vector: 0x49, level: 1, pin: 9 });
    expect(reg(0x10 + 18) & (REMOTE_IRR | PENDING)).toBe(REMOTE_IRR);
    sync();
    expect(pop()).toBeNull();
    w.call("ioEoi", IO, 0x48); // another vector: no effect
    expect(pop()).toBeNull();
    w.call("ioEoi", IO, 0x49);
    expect(pop()?.vector).toBe(0x49);
    w.call("linesSet", LINES, 9, false);
    sync();
    w.call("ioWrite", IO, 0x40, 4, 0x49); // the EOI register
    expect(reg(0x10 + 18) & REMOTE_IRR).toBe(0);
    expect(pop()).toBeNull();
  });

  it("level: a masked asserted line is sent on unmask; a dropped line withdraws its request", () => {
    route(10, 0x4a | LEVEL | MASK);
    w.call("linesSet", LINES, 10, true);
    sync();
    expect(pop()).toBeNull();
    route(10, 0x4a | LEVEL);
    expect(pop()?.vector).toBe(0x4a);
    w.call("ioEoi", IO, 0x4a);
    w.call("linesSet", LINES, 10, false);
    sync();
    expect(pop()).toBeNull();
  });

  it("switching an entry to edge clears Remote IRR; NMI/ExtINT are edge-type, SMI is dropped", () => {
    route(11, 0x4b | LEVEL);
    w.call("linesSet", LINES, 11, true);
    sync();
    pop();
    expect(reg(0x10 + 22) & REMOTE_IRR).toBe(REMOTE_IRR);
    route(11, 0x4b);
    expect(reg(0x10 + 22) & REMOTE_IRR).toBe(0);
    route(12, 0x400 | LEVEL); // NMI
    w.call("linesSet", LINES, 12, true);
    sync();
    expect(pop()).toMatchObject({ mode: 4, level: 0, pin: 12 });
    expect(reg(0x10 + 24) & REMOTE_IRR).toBe(0);
    route(13, 0x200); // SMI
    w.call("linesSet", LINES, 13, true);
    sync();
    expect(pop()).toBeNull();
    route(0, 0x700); // ExtINT through pin 0
    w.call("ioExtInt", IO, true);
    expect(pop()).toMatchObject({ mode: 7, pin: 0 });
  });

  it("keeps reserved bits zero and the destination in 63:56 only", () => {
    setReg(0x10 + 8, 0xffffffff);
    setReg(0x11 + 8, 0xffffffff);
    expect(reg(0x10 + 8) >>> 0).toBe(0x1afff);
    expect(reg(0x11 + 8) >>> 0).toBe(0xff000000);
  });

  it("level interrupt round trip with a LAPIC: TMR set, EOI_LEVEL feeds ioapicEoi", () => {
    w.call("lInit", LA, 0, true, 2_500_000_000n, true);
    w.call("lWrite", LA, 0xf0, 4, 0x1ff, 0);
    route(9, 0x59 | LEVEL);
    w.call("linesSet", LINES, 9, true);
    sync();
    const m = pop()!;
    expect(w.u32("lMatch", LA, m.dest, m.logical === 1, false)).toBe(1);
    expect(w.u32("lDeliver", LA, m.mode, m.vector, m.level === 1)).toBe(0);
    expect(w.i32("lPending", LA)).toBe(0x59);
    w.u32("lAck", LA, 0x59);
    expect(w.u32("lWrite", LA, 0xb0, 4, 0, 0)).toBe(1);
    w.call("ioEoi", IO, w.u32("lEoiVector", LA));
    expect(pop()?.vector).toBe(0x59); // line still high: again
  });
});
