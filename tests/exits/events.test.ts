// Event injection (src/vmm/events/*): the decision written to the VM-entry interruption fields
// (SDM Vol 3C §24.8.3, §26.6), re-injection from IDT-vectoring info (§27.2.4), the interrupt and
// NMI windows, and the double-fault rules (Vol 3A §6.15).
import { beforeEach, describe, expect, it } from "vitest";
import { exits, A } from "./wasm.ts";

const e = exits();
const V = 0x80000000, EV = 0x800;
const T = { EXT: 0, NMI: 2, HW: 3, SWINT: 4, SWEXC: 6 };
const info = (vec: number, type: number, err = false): number => (V | vec | (type << 8) | (err ? EV : 0)) >>> 0;
const IF = 1n << 9n;
const STI = 1, MOVSS = 2, BLOCK_NMI = 8;
const NONE = 0, INJECT = 1, TRIPLE = 2;

interface Decision { action: number; info: number; error: number; length: number; intr: number; irqWin: number; nmiWin: number; wake: number }
function decide(rflags = IF, intr = 0, activity = 0, pe = true): Decision {
  const action = e.u32("evDecide", A.EV, rflags, intr, activity, pe, A.DEC);
  const r = (o: number): number => e.mem.getUint32(A.DEC + o, true);
  expect(r(0)).toBe(action);
  return { action, info: r(4), error: r(8), length: r(12), intr: r(16), irqWin: r(20), nmiWin: r(24), wake: r(28) };
}

beforeEach(() => e.u32("evReset", A.EV));

describe("exceptions", () => {
  it("error codes only for 8, 10-14, 17, 21", () => {
    const withCode = Array.from({ length: 32 }, (_, v) => v).filter((v) => e.bool("excHasError", v));
    expect(withCode).toEqual([8, 10, 11, 12, 13, 14, 17, 21]);
  });
  it("#GP(0) is injected with its error code regardless of IF and STI blocking", () => {
    expect(e.bool("evException", A.EV, 13, 0)).toBe(true);
    const d = decide(0n, STI | MOVSS);
    expect(d).toMatchObject({ action: INJECT, info: info(13, T.HW, true), error: 0, length: 0, irqWin: 0 });
  });
  it("no error code is delivered in real mode (CR0.PE = 0, §26.2.1.3)", () => {
    e.bool("evException", A.EV, 13, 0x18);
    expect(decide(IF, 0, 0, false)).toMatchObject({ action: INJECT, info: info(13, T.HW, false), error: 0 });
  });
  it("#UD carries no error code even if one is given", () => {
    e.bool("evException", A.EV, 6, 0x1234);
    expect(decide()).toMatchObject({ info: info(6, T.HW), error: 0 });
  });
  it("double-fault rules: contributory+contributory=#DF, #PF+#GP=#DF, benign+#GP=#GP, #DF+any=triple", () => {
    expect(e.u32("excCombine", 13, 11)).toBe(1);
    expect(e.u32("excCombine", 14, 13)).toBe(1);
    expect(e.u32("excCombine", 14, 14)).toBe(1);
    expect(e.u32("excCombine", 13, 14)).toBe(0);
    expect(e.u32("excCombine", 6, 13)).toBe(0);
    expect(e.u32("excCombine", 8, 13)).toBe(2);
    expect(e.u32("excCombine", 8, 1)).toBe(2);
    e.bool("evException", A.EV, 14, 2);
    expect(e.bool("evException", A.EV, 13, 0)).toBe(true);
    expect(decide()).toMatchObject({ info: info(8, T.HW, true), error: 0 });
    e.bool("evException", A.EV, 8, 0);
    expect(e.bool("evException", A.EV, 13, 0)).toBe(false);
  });
  it("an injected event wakes a halted vCPU", () => {
    e.bool("evException", A.EV, 13, 0);
    expect(decide(IF, 0, 1).wake).toBe(1);
    e.bool("evException", A.EV, 13, 0);
    expect(decide(IF, 0, 0).wake).toBe(0);
  });
});

describe("external interrupts and NMIs", () => {
  it("an interrupt is injected with IF = 1 and no shadow, else the window is requested", () => {
    e.u32("evIrq", A.EV, 0x30);
    expect(decide(0n)).toMatchObject({ action: NONE, irqWin: 1 });
    expect(decide(IF, STI)).toMatchObject({ action: NONE, irqWin: 1 });
    expect(decide(IF, MOVSS)).toMatchObject({ action: NONE, irqWin: 1 });
    expect(decide(IF)).toMatchObject({ action: INJECT, info: info(0x30, T.EXT), irqWin: 0 });
    expect(decide(IF)).toMatchObject({ action: NONE, irqWin: 0 });
  });
  it("NMI waits for NMI, STI and MOV-SS blocking; exceptions go first and leave a window request", () => {
    e.u32("evNmi", A.EV);
    expect(decide(IF, BLOCK_NMI)).toMatchObject({ action: NONE, nmiWin: 1 });
    e.bool("evException", A.EV, 13, 0);
    expect(decide(IF)).toMatchObject({ action: INJECT, info: info(13, T.HW, true), nmiWin: 1 });
    expect(decide(0n)).toMatchObject({ action: INJECT, info: info(2, T.NMI) });
  });
  it("an interrupt behind an exception asks for the interrupt window", () => {
    e.u32("evIrq", A.EV, 0x41);
    e.bool("evException", A.EV, 6, 0);
    expect(decide(IF)).toMatchObject({ action: INJECT, info: info(6, T.HW), irqWin: 1 });
  });
  it("an interrupt waiting unacknowledged at its controller (IRQ_WAITING) is never injected here, only keeps the window", () => {
    e.mem.setUint32(A.EV + 24, 0x40000000, true); // EventState.irq = IRQ_WAITING (pending.ts)
    expect(decide(IF)).toMatchObject({ action: NONE, irqWin: 1 });
    e.bool("evException", A.EV, 6, 0);
    expect(decide(IF)).toMatchObject({ action: INJECT, info: info(6, T.HW), irqWin: 1 });
    e.u32("evNmi", A.EV);
    expect(decide(IF)).toMatchObject({ action: INJECT, info: info(2, T.NMI), irqWin: 1 });
    expect(e.mem.getUint32(A.EV + 24, true)).toBe(0x40000000); // still waiting: the controller acknowledges it
  });
});

describe("re-injection from IDT-vectoring information", () => {
  it("nothing when the valid bit is clear", () => {
    e.u32("evVectoring", A.EV, 0x30, 0, 0);
    expect(decide().action).toBe(NONE);
  });
  it("an interrupted #PF is re-injected with its error code", () => {
    e.u32("evVectoring", A.EV, info(14, T.HW, true) | 0x1000, 6, 3);
    expect(decide(0n, STI)).toMatchObject({ action: INJECT, info: info(14, T.HW, true), error: 6, length: 0 });
    expect(decide().action).toBe(NONE);
  });
  it("a software interrupt keeps its instruction length", () => {
    e.u32("evVectoring", A.EV, info(0x80, T.SWINT), 0, 2);
    expect(decide()).toMatchObject({ info: info(0x80, T.SWINT), length: 2 });
  });
  it("an interrupted NMI is re-injected with NMI blocking cleared", () => {
    e.u32("evVectoring", A.EV, info(2, T.NMI), 0, 0);
    expect(decide(IF, BLOCK_NMI | STI)).toMatchObject({ info: info(2, T.NMI), intr: STI });
  });
  it("a VMM exception during an interrupted #GP delivery makes #DF; during #DF a triple fault", () => {
    e.u32("evVectoring", A.EV, info(13, T.HW, true), 0, 0);
    e.bool("evException", A.EV, 11, 0x10);
    expect(decide()).toMatchObject({ action: INJECT, info: info(8, T.HW, true), error: 0 });
    e.u32("evVectoring", A.EV, info(8, T.HW, true), 0, 0);
    e.bool("evException", A.EV, 13, 0);
    expect(decide().action).toBe(TRIPLE);
    expect(decide().action).toBe(NONE);
  });
  it("an interrupted external interrupt survives a VMM exception and is delivered later", () => {
    e.u32("evVectoring", A.EV, info(0x30, T.EXT), 0, 0);
    e.bool("evException", A.EV, 13, 0);
    expect(decide(IF)).toMatchObject({ action: INJECT, info: info(13, T.HW, true), irqWin: 1 });
    expect(decide(0n)).toMatchObject({ action: NONE, irqWin: 1 });
    expect(decide(IF)).toMatchObject({ action: INJECT, info: info(0x30, T.EXT) });
  });
  it("a kept interrupt survives later exits that interrupted no delivery", () => {
    e.u32("evVectoring", A.EV, info(0x31, T.EXT), 0, 0);
    e.bool("evException", A.EV, 6, 0);
    expect(decide(IF).info).toBe(info(6, T.HW));
    e.u32("evVectoring", A.EV, 0, 0, 0); // the next exit: IDT-vectoring info not valid
    expect(decide(IF)).toMatchObject({ action: INJECT, info: info(0x31, T.EXT) });
  });
  it("an interrupted INT n is dropped for a VMM exception (the instruction runs again)", () => {
    e.u32("evVectoring", A.EV, info(0x80, T.SWINT), 0, 2);
    e.bool("evException", A.EV, 14, 2);
    expect(decide()).toMatchObject({ info: info(14, T.HW, true), error: 2, irqWin: 0 });
    expect(decide().action).toBe(NONE);
  });
});
