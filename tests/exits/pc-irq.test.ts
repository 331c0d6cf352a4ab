// The PC platform's interrupts reach the guest as on hardware: acknowledged at the controller
// (8259A INTA, LAPIC IRR → ISR) only in the VM entry that injects them (src/vmm/pc/pc-run.ts,
// src/vmm/events/ext-irq.ts). Runs the real pcBeforeEntry, 8259A, LAPIC and event layer against
// the fake VMCS of tests/exits/world.ts. While the guest cannot take an interrupt (RFLAGS.IF = 0,
// STI/MOV-SS blocking: SDM Vol 3C §26.3.1.5; another event being injected) the vector stays in
// the IRR and the interrupt-window exit (§25.2) is requested; a higher-priority request arriving
// meanwhile is the one delivered once IF = 1 (8259A data sheet "Interrupt Sequence", "Fully
// Nested Mode"; SDM Vol 3A §11.8.3.1, §11.8.4).
import { describe, expect, it } from "vitest";
import { makeWorld, vmOfWorld, F, VCPU, World } from "./world.ts";

const MiB = 1 << 20;
/** The PC block (24 KiB) past the world's guest RAM (which ends at 6 MiB). */
const PC_BLOCK = 8 * MiB;
const TSC_HZ = 1_000_000_000n;
const NOW = 1_000_000n; // the fake hw_rdtsc
const R = { EXCEPTION_NMI: 0, IRQ_WINDOW: 7 } as const;
const VALID = 0x80000000n;
const IRQ_WINDOW_EXITING = 4n; // primary processor-based control bit 2 (SDM Vol 3C §24.6.2)
const IF = 0x202, NO_IF = 0x002;
const STI = 1, MOV_SS = 2;

interface Pc { w: World; vm: number }

function pc(): Pc {
  const w = makeWorld();
  const vm = vmOfWorld(w);
  expect(w.u32("hxVmReady", vm)).toBe(1);
  expect(w.u32("hxPc", vm, PC_BLOCK, TSC_HZ, NOW)).toBe(1);
  return { w, vm };
}
const entry = ({ w }: Pc): void => {
  expect(w.u32("hxPcBeforeEntry", VCPU)).toBe(1);
  // The run loop then calls eventsBeforeEntry when an event waits or a window is open (run.ts).
  expect(w.u32("hxBeforeEntry", VCPU)).toBe(1);
};
/** What the entry injects (0n: nothing); the VM exit after it clears the valid bit (§24.8.3). */
const injected = ({ w }: Pc): bigint => {
  const v = w.get(F.ENTRY_INFO);
  w.set(F.ENTRY_INFO, 0);
  return v;
};
const windowOpen = ({ w }: Pc): boolean => (w.get(F.PROC) & IRQ_WINDOW_EXITING) !== 0n;

// ---- 8259A pair behind LINT0 (ExtINT virtual wire), programmed as Linux does: vectors 0x30/0x38
const out = (p: Pc, port: number, v: number): void => { p.w.u32("hxPcOut", p.vm, port, 1, v); };
function picLinux(p: Pc): void {
  p.w.u32("hxPcLapicWrite", p.vm, 0xf0, 0x1ff); // SVR: APIC software-enabled
  p.w.u32("hxPcLapicWrite", p.vm, 0x350, 0x700); // LVT LINT0: ExtINT, unmasked
  for (const [port, v] of [[0x20, 0x11], [0x21, 0x30], [0x21, 0x04], [0x21, 0x01],
    [0xa0, 0x11], [0xa1, 0x38], [0xa1, 0x02], [0xa1, 0x01]] as const) out(p, port, v);
  out(p, 0x21, 0xf5); // IRQ 1 and IRQ 3 unmasked
  out(p, 0xa1, 0xff);
}
/** OCW3 read register command: 0x0A → IRR, 0x0B → ISR (8259A data sheet, OCW3). */
const picReg = (p: Pc, ocw3: number): number => { out(p, 0x20, ocw3); return p.w.u32("hxPcIn", p.vm, 0x20, 1); };
const edge = (p: Pc, irq: number): void => {
  p.w.u32("hxPcIrqLine", p.vm, irq, true, NOW);
  p.w.u32("hxPcIrqLine", p.vm, irq, false, NOW);
};

// ---- LAPIC: fixed self-IPIs (ICR shorthand 01b) put vectors into its IRR
const apic = (p: Pc, off: number): number => p.w.u32("hxPcLapicRead", p.vm, off);
const apicWrite = (p: Pc, off: number, v: number): void => { p.w.u32("hxPcLapicWrite", p.vm, off, v); };
const selfIpi = (p: Pc, vector: number): void => apicWrite(p, 0x300, (1 << 18) | vector);
/** Bit `v` of the 256-bit IRR (base 0x200) or ISR (base 0x100): eight registers 16 bytes apart. */
const apicBit = (p: Pc, base: number, v: number): number => (apic(p, base + 0x10 * (v >> 5)) >>> (v & 31)) & 1;
function apicOn(p: Pc): void {
  apicWrite(p, 0xf0, 0x1ff);
  apicWrite(p, 0x350, 0x10000); // LINT0 masked: the LAPIC alone
}

describe("8259A: INTA at injection, not before", () => {
  it("a higher-priority IRQ raised while IF = 0 is the one delivered when IF becomes 1", () => {
    const p = pc();
    picLinux(p);
    p.w.set(F.RFLAGS, NO_IF);
    edge(p, 3); // IRQ 3: vector 0x33
    entry(p);
    expect(injected(p)).toBe(0n);
    expect(windowOpen(p)).toBe(true);
    expect([picReg(p, 0x0a), picReg(p, 0x0b)]).toEqual([1 << 3, 0]); // requested, not in service
    edge(p, 1); // IRQ 1 (vector 0x31) outranks IRQ 3 in fully nested mode
    entry(p);
    expect(injected(p)).toBe(0n);
    expect([picReg(p, 0x0a), picReg(p, 0x0b)]).toEqual([(1 << 1) | (1 << 3), 0]);
    // The guest sets IF: the interrupt window exits, the next entry takes IRQ 1 through INTA.
    p.w.set(F.RFLAGS, IF);
    p.w.exit(R.IRQ_WINDOW);
    entry(p);
    expect(injected(p)).toBe(VALID | 0x31n);
    expect([picReg(p, 0x0a), picReg(p, 0x0b)]).toEqual([1 << 3, 1 << 1]); // IRQ 3 still only requested
    expect(windowOpen(p)).toBe(false); // IRQ 3 is held back by IRQ 1 in service
    entry(p);
    expect(injected(p)).toBe(0n);
    out(p, 0x20, 0x61); // specific EOI for IRQ 1
    entry(p);
    expect(injected(p)).toBe(VALID | 0x33n);
    expect([picReg(p, 0x0a), picReg(p, 0x0b)]).toEqual([0, 1 << 3]);
  });

  it("a request masked while it waited is never acknowledged", () => {
    const p = pc();
    picLinux(p);
    p.w.set(F.RFLAGS, NO_IF);
    edge(p, 3);
    entry(p);
    expect(windowOpen(p)).toBe(true);
    out(p, 0x21, 0xfd); // the guest masks IRQ 3 with IF = 0 (OCW1)
    entry(p);
    expect(windowOpen(p)).toBe(false); // nothing waits: the window is closed again
    p.w.set(F.RFLAGS, IF);
    entry(p);
    expect(injected(p)).toBe(0n);
    expect([picReg(p, 0x0a), picReg(p, 0x0b)]).toEqual([1 << 3, 0]);
  });
});

describe("LAPIC: IRR → ISR at injection, not before", () => {
  it("a higher-priority vector accepted while IF = 0 is delivered first; the lower stays in the IRR", () => {
    const p = pc();
    apicOn(p);
    p.w.set(F.RFLAGS, NO_IF);
    selfIpi(p, 0x41);
    entry(p);
    expect(injected(p)).toBe(0n);
    expect(windowOpen(p)).toBe(true);
    expect([apicBit(p, 0x200, 0x41), apicBit(p, 0x100, 0x41)]).toEqual([1, 0]);
    selfIpi(p, 0x61);
    entry(p);
    expect(injected(p)).toBe(0n);
    p.w.set(F.RFLAGS, IF);
    p.w.exit(R.IRQ_WINDOW);
    entry(p);
    expect(injected(p)).toBe(VALID | 0x61n);
    expect([apicBit(p, 0x200, 0x61), apicBit(p, 0x100, 0x61)]).toEqual([0, 1]);
    expect([apicBit(p, 0x200, 0x41), apicBit(p, 0x100, 0x41)]).toEqual([1, 0]);
    expect(apic(p, 0xa0)).toBe(0x60); // PPR: the in-service class (§11.8.3.1)
    entry(p);
    expect(injected(p)).toBe(0n); // 0x41 is below the PPR until the EOI
    apicWrite(p, 0xb0, 0);
    entry(p);
    expect(injected(p)).toBe(VALID | 0x41n);
  });

  it("a TPR raised while the vector waited holds it back: nothing is acknowledged", () => {
    const p = pc();
    apicOn(p);
    p.w.set(F.RFLAGS, NO_IF);
    selfIpi(p, 0x41);
    entry(p);
    expect(windowOpen(p)).toBe(true);
    apicWrite(p, 0x80, 0x50); // TPR class 5 > 4
    entry(p);
    expect(windowOpen(p)).toBe(false);
    p.w.set(F.RFLAGS, IF);
    entry(p);
    expect(injected(p)).toBe(0n);
    expect([apicBit(p, 0x200, 0x41), apicBit(p, 0x100, 0x41)]).toEqual([1, 0]);
    apicWrite(p, 0x80, 0);
    entry(p);
    expect(injected(p)).toBe(VALID | 0x41n);
  });
});

describe("when the guest cannot take an interrupt (SDM Vol 3C §26.3.1.5)", () => {
  it("blocking by STI or MOV SS: window, no acknowledgement", () => {
    for (const block of [STI, MOV_SS]) {
      const p = pc();
      apicOn(p);
      p.w.set(F.RFLAGS, IF);
      p.w.set(F.INTR, block);
      selfIpi(p, 0x41);
      entry(p);
      expect(injected(p)).toBe(0n);
      expect(windowOpen(p)).toBe(true);
      expect(apicBit(p, 0x100, 0x41)).toBe(0);
      p.w.set(F.INTR, 0);
      p.w.exit(R.IRQ_WINDOW);
      entry(p);
      expect(injected(p)).toBe(VALID | 0x41n);
    }
  });

  it("an exception queued for the same entry goes first; the interrupt waits in the IRR behind the window", () => {
    const p = pc();
    apicOn(p);
    p.w.set(F.RFLAGS, IF);
    p.w.set(F.CR0, 0x31); // protected mode: #GP delivers its error code
    selfIpi(p, 0x41);
    expect(p.w.u32("hxException", VCPU, 13, 0)).toBe(1);
    entry(p);
    expect(injected(p)).toBe(VALID | 0xb0dn); // #GP, hardware exception with error code
    expect(windowOpen(p)).toBe(true);
    expect(apicBit(p, 0x100, 0x41)).toBe(0);
    p.w.exit(R.IRQ_WINDOW);
    entry(p);
    expect(injected(p)).toBe(VALID | 0x41n);
    expect(apicBit(p, 0x100, 0x41)).toBe(1);
    expect(windowOpen(p)).toBe(false);
  });

  it("an injection a handler already wrote is kept; the interrupt waits", () => {
    const p = pc();
    apicOn(p);
    p.w.set(F.RFLAGS, IF);
    selfIpi(p, 0x41);
    p.w.set(F.ENTRY_INFO, VALID | 0x306n); // #UD, as onVmcall writes it
    entry(p);
    expect(injected(p)).toBe(VALID | 0x306n);
    expect(windowOpen(p)).toBe(true);
    expect(apicBit(p, 0x100, 0x41)).toBe(0);
  });

  it("an interrupt the guest could take now is acknowledged and injected in the same entry", () => {
    const p = pc();
    apicOn(p);
    p.w.set(F.RFLAGS, IF);
    selfIpi(p, 0x41);
    entry(p);
    expect(injected(p)).toBe(VALID | 0x41n);
    expect(windowOpen(p)).toBe(false);
    expect([apicBit(p, 0x200, 0x41), apicBit(p, 0x100, 0x41)]).toEqual([0, 1]);
  });
});
