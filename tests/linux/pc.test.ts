// The PC platform of a Linux VM (src/vmm/pc/) wired together, in Node: the paths test-linux
// exercises under Bochs, one at a time and with exact values — the 8259 and IOAPIC routes of the
// PIT interrupt to the LAPIC, EOI, the TSC-deadline timer through its MSR, COM1 output on the
// VM's console, the RTC's date, and the three ways a guest ends its VM (ACPI S5, 0xCF9, 8042).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";

const WASM = process.env.PC_WASM ?? "build/linux/pc.wasm";
type Fn = (...a: (number | bigint)[]) => number;
type BigFn = (...a: (number | bigint)[]) => bigint;
interface Exports {
  create: Fn; inPort: Fn; outPort: Fn; lapicRead: Fn; lapicWrite: Fn; ioapicRead: Fn; ioapicWrite: Fn;
  rdmsr: BigFn; wrmsr: Fn; next: BigFn; stop: Fn; tick: Fn; take: Fn; waiting: Fn;
}

let mod: WebAssembly.Module;
beforeAll(() => {
  if (!existsSync(WASM)) execFileSync("make", ["--no-print-directory", WASM], { stdio: "inherit" });
  mod = new WebAssembly.Module(readFileSync(WASM));
});

/** 10 TSC ticks per PIT input clock: PIT counts convert exactly. */
const TSC_HZ = 11931820n;
const T0 = 1_000_000n;

function machine() {
  let console = "";
  const clock = { now: T0 };
  const hw = {
    outb: (port: number, v: number) => { if (port === 0x3f8) console += String.fromCharCode(v); },
    inb: (port: number) => (port === 0x3fd ? 0x60 : 0xff),
    pause: () => {},
    rdtsc: () => clock.now,
  };
  const inst = new WebAssembly.Instance(mod, { hw, env: { abort: () => { throw new Error("abort"); } } });
  const e = inst.exports as unknown as Exports;
  expect(e.create(TSC_HZ, T0, 256n << 20n)).toBe(1);
  return { e, clock, console: () => console.split("\r\n").filter((l) => l !== "") };
}

/** 8259 pair as Linux programs it (ICW1-4): vectors 0x30/0x38, cascade on IRQ 2, 8086 mode. */
function initPic(e: Exports, masterMask: number) {
  e.outPort(0x20, 1, 0x11); e.outPort(0x21, 1, 0x30); e.outPort(0x21, 1, 0x04); e.outPort(0x21, 1, 0x01);
  e.outPort(0xa0, 1, 0x11); e.outPort(0xa1, 1, 0x38); e.outPort(0xa1, 1, 0x02); e.outPort(0xa1, 1, 0x01);
  e.outPort(0x21, 1, masterMask);
  e.outPort(0xa1, 1, 0xff);
}
/** PIT channel 0, mode 2 (rate generator), `count` input clocks per period. */
function pitPeriodic(e: Exports, count: number) {
  e.outPort(0x43, 1, 0x34); e.outPort(0x40, 1, count & 0xff); e.outPort(0x40, 1, count >> 8);
}
const SVR = 0xf0, LVT_TIMER = 0x320, LVT_LINT0 = 0x350, EOI = 0xb0, ISR0 = 0x100;

describe("PC platform of a Linux VM", () => {
  it("COM1 output becomes the VM's console lines", () => {
    const m = machine();
    for (const c of "hello\r\nworld\n") m.e.outPort(0x3f8, 1, c.charCodeAt(0));
    expect(m.console()).toEqual(["[linux] hello", "[linux] world"]);
  });

  it("PIT IRQ 0 through the 8259 and LINT0 (ExtINT virtual wire)", () => {
    const { e, clock } = machine();
    e.lapicWrite(SVR, 0x1ff);
    e.lapicWrite(LVT_LINT0, 0x700);
    initPic(e, 0xfe);
    pitPeriodic(e, 100);
    expect(e.take(clock.now)).toBe(-1);
    const due = e.next();
    expect(due).toBe(T0 + 1000n); // 100 PIT clocks × 10 TSC ticks
    clock.now = due;
    e.tick(due);
    expect(e.waiting()).toBe(1);
    expect(e.take(due)).toBe(0x30);
    expect(e.take(due)).toBe(-1); // in service at the 8259 until its EOI
  });

  it("PIT IRQ 0 through the IOAPIC (GSI 2) to the LAPIC; EOI retires it", () => {
    const { e, clock } = machine();
    e.lapicWrite(SVR, 0x1ff);
    initPic(e, 0xff); // all masked: the IOAPIC is the route
    e.ioapicWrite(0x00, 0x10 + 2 * 2); e.ioapicWrite(0x10, 0x41);     // pin 2: vector 0x41, edge, fixed
    e.ioapicWrite(0x00, 0x10 + 2 * 2 + 1); e.ioapicWrite(0x10, 0);    // destination APIC 0
    pitPeriodic(e, 50);
    clock.now = e.next();
    e.tick(clock.now);
    expect(e.take(clock.now)).toBe(0x41);
    expect(e.lapicRead(ISR0 + 0x20) >>> 0).toBe(1 << 1); // ISR bit 0x41: word 2, bit 1
    e.lapicWrite(EOI, 0);
    expect(e.lapicRead(ISR0 + 0x20)).toBe(0);
  });

  it("TSC-deadline timer through IA32_TSC_DEADLINE; APIC base; x2APIC MSRs #GP in xAPIC mode", () => {
    const { e, clock } = machine();
    expect(e.rdmsr(0x1b)).toBe(0xfee00900n); // base, BSP, enabled (SDM Vol 3A §11.4.4)
    expect(e.rdmsr(0x802)).toBe(0xdeadn);    // #GP: the x2APIC ID MSR in xAPIC mode
    e.lapicWrite(SVR, 0x1ff);
    e.lapicWrite(LVT_TIMER, (2 << 17) | 0xef);
    expect(e.wrmsr(0x6e0, T0 + 500n)).toBe(1);
    expect(e.next()).toBe(T0 + 500n);
    clock.now = T0 + 500n;
    e.tick(clock.now);
    expect(e.take(clock.now)).toBe(0xef);
  });

  it("RTC: the host's date in BCD; absent 8042 reads all-ones", () => {
    const { e } = machine();
    const cmos = (r: number) => { e.outPort(0x70, 1, r); return e.inPort(0x71, 1); };
    expect([cmos(9), cmos(8), cmos(7), cmos(4), cmos(2), cmos(0), cmos(0x32)]).toEqual([0x25, 0x01, 0x02, 0x03, 0x04, 0x05, 0x20]);
    expect(e.inPort(0x64, 1)).toBe(0xff);
  });

  it("ACPI S5, reset through 0xCF9 and the 8042 end the VM", () => {
    let m = machine();
    expect(m.e.stop()).toBe(0);
    m.e.outPort(0x604, 2, (5 << 10) | (1 << 13)); // SLP_TYP = 5 (\_S5), SLP_EN
    expect(m.e.stop()).toBe(1);
    m = machine();
    m.e.outPort(0xcf9, 1, 0x02); // hard-reset select alone does nothing
    expect(m.e.stop()).toBe(0);
    m.e.outPort(0xcf9, 1, 0x06);
    expect(m.e.stop()).toBe(2);
    m = machine();
    m.e.outPort(0x64, 1, 0xfe);
    expect(m.e.stop()).toBe(3);
  });

  it("PCI configuration space: the 440FX host bridge at 00:00.0", () => {
    const { e } = machine();
    e.outPort(0xcf8, 4, 0x80000000);
    expect(e.inPort(0xcfc, 4) >>> 0).toBe(0x12378086);
  });
});
