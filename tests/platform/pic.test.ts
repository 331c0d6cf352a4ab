// The 8259A pair + ELCR against Linux's arch/x86/kernel/i8259.c: probe, init_8259A, masking,
// specific EOI, cascade through IR2, ISR reads for spurious detection, level mode via ELCR.
import { beforeEach, describe, expect, it } from "vitest";
import { platform, layout } from "./wasm.ts";

const p = platform();
let pic = 0, lines = 0;
const inb = (port: number): number => p.u32("picIn", pic, port, 1);
const outb = (port: number, v: number): void => p.call("picOut", pic, port, 1, v);
const pending = (): number => p.i32("picPending", pic);
const inta = (): number => p.u32("picInta", pic);
/** A device drives ISA line `irq`; the VMM lets the PIC sample and commits. */
function line(irq: number, level: boolean): void {
  p.call("linesSet", lines, irq, level);
  p.call("picSync", pic, lines);
  p.call("linesCommit", lines);
}
function pulse(irq: number): void {
  p.call("linesPulse", lines, irq, false);
  p.call("picSync", pic, lines);
  p.call("linesCommit", lines);
}
/** init_8259A(auto_eoi = 0), then unmask `masterMask`/`slaveMask` (bits set = masked). */
function linuxInit(masterMask = 0xfb, slaveMask = 0xff, aeoi = false): void {
  outb(0x21, 0xff);
  outb(0x20, 0x11); outb(0x21, 0x30); outb(0x21, 0x04); outb(0x21, aeoi ? 0x03 : 0x01);
  outb(0xa0, 0x11); outb(0xa1, 0x38); outb(0xa1, 0x02); outb(0xa1, 0x01);
  outb(0xa1, slaveMask); outb(0x21, masterMask);
}

beforeEach(() => {
  const alloc = layout(p);
  lines = alloc(p.u32("sizeIrqLines"));
  pic = alloc(p.u32("sizePic"));
  p.call("linesInit", lines);
  p.call("picInitAt", pic);
});

describe("8259A: Linux init and probe", () => {
  it("probe_8259A: the IMR reads back what was written", () => {
    outb(0xa1, 0xff);
    outb(0x21, 0xfb);
    expect(inb(0x21)).toBe(0xfb);
    expect(inb(0xa1)).toBe(0xff);
  });

  it("init_8259A: vectors 0x30-0x3F, IRQ 0 and a slave IRQ deliver the right vectors", () => {
    linuxInit(0xfa, 0xfe); // unmask IRQ0, IRQ2 (cascade), IRQ8
    line(0, true);
    expect(pending()).toBe(0x30);
    expect(inta()).toBe(0x30);
    expect(pending()).toBe(-1);         // in service blocks lower and equal priority
    outb(0x20, 0x60);                   // specific EOI IRQ0
    line(0, false);
    line(8, true);
    expect(pending()).toBe(0x38);
    expect(inta()).toBe(0x38);
    outb(0x0b, 0); // not a PIC port: ignored
    outb(0xa0, 0x0b); expect(inb(0xa0)).toBe(0x01); // slave ISR: IRQ8
    outb(0x20, 0x0b); expect(inb(0x20)).toBe(0x04); // master ISR: IR2 (cascade)
    outb(0xa0, 0x60); outb(0x20, 0x62);             // Linux's EOI order for a slave IRQ
    expect(inb(0xa0)).toBe(0); expect(inb(0x20)).toBe(0);
  });

  it("masked lines stay in IRR and deliver when unmasked", () => {
    linuxInit(0xff);
    line(1, true);
    expect(pending()).toBe(-1);
    outb(0x20, 0x0a);
    expect(inb(0x20)).toBe(0x02);       // IRR shows the request
    outb(0x21, 0xfd);
    expect(pending()).toBe(0x31);
  });

  it("ICW1 resets IMR/ISR and needs a fresh edge for edge-triggered inputs", () => {
    linuxInit(0xfe);
    line(0, true);
    expect(inta()).toBe(0x30);
    linuxInit(0xfe);
    expect(inb(0x21)).toBe(0xfe);
    outb(0x20, 0x0b);
    expect(inb(0x20)).toBe(0);
    expect(pending()).toBe(-1);         // line still high, but no new edge
    line(0, false); line(0, true);
    expect(pending()).toBe(0x30);
  });
});

describe("8259A: priorities, EOI modes, cascade", () => {
  it("fully nested: a higher priority IRQ preempts, a lower one waits for EOI", () => {
    linuxInit(0x00);
    line(3, true);
    expect(inta()).toBe(0x33);
    line(1, true);
    expect(pending()).toBe(0x31);
    expect(inta()).toBe(0x31);
    line(5, true);
    expect(pending()).toBe(-1);
    outb(0x20, 0x20);                   // non-specific EOI: clears the highest (IR1)
    expect(pending()).toBe(-1);         // IR3 still in service
    outb(0x20, 0x20);
    expect(pending()).toBe(0x35);
  });

  it("a pulse shorter than the sampling interval is still latched (edge mode)", () => {
    linuxInit(0xfe);
    pulse(0);
    expect(p.u32("linesLevel", lines) & 1).toBe(0);
    expect(inta()).toBe(0x30);
  });

  it("auto-EOI: nothing stays in service", () => {
    linuxInit(0xfe, 0xff, true);
    line(0, true);
    expect(inta()).toBe(0x30);
    outb(0x20, 0x0b);
    expect(inb(0x20)).toBe(0);
    line(0, false); line(0, true);
    expect(pending()).toBe(0x30);
  });

  it("spurious IRQ 7: a level request that vanishes before INTA yields vector base+7, ISR clear", () => {
    linuxInit(0x00);
    outb(0x4d0, 0x20);                  // IRQ5 level-triggered
    line(5, true);
    expect(pending()).toBe(0x35);
    line(5, false);
    expect(inta()).toBe(0x37);
    outb(0x20, 0x0b);
    expect(inb(0x20)).toBe(0);          // i8259A_irq_real(7) sees no ISR bit: spurious
  });

  it("spurious IRQ 15: slave request gone at INTA gives slave base+7 with master IR2 in service", () => {
    linuxInit(0xfb, 0x00);
    outb(0x4d1, 0x08);                  // IRQ11 level
    line(11, true);
    expect(pending()).toBe(0x3b);
    line(11, false);
    expect(inta()).toBe(0x3f);
    outb(0xa0, 0x0b); expect(inb(0xa0)).toBe(0);
    outb(0x20, 0x0b); expect(inb(0x20)).toBe(0x04);
  });

  it("level mode (ELCR): the request follows the line and re-asserts after EOI while high", () => {
    linuxInit(0xfb, 0x00);
    outb(0x4d1, 0x0c);                  // IRQ10, IRQ11 level
    expect(inb(0x4d1)).toBe(0x0c);
    line(10, true);
    expect(inta()).toBe(0x3a);
    outb(0xa0, 0x62); outb(0x20, 0x62);
    expect(pending()).toBe(0x3a);       // still asserted
    expect(inta()).toBe(0x3a);
    line(10, false);
    outb(0xa0, 0x62); outb(0x20, 0x62);
    expect(pending()).toBe(-1);
  });

  it("ELCR: IRQ 0, 1, 2, 8, 13 are edge only", () => {
    outb(0x4d0, 0xff); outb(0x4d1, 0xff);
    expect(inb(0x4d0)).toBe(0xf8);
    expect(inb(0x4d1)).toBe(0xde);
  });

  it("two slave IRQs: the second is delivered after the first's EOI (cascade re-edges)", () => {
    linuxInit(0xfb, 0x00);
    line(9, true); line(12, true);
    expect(inta()).toBe(0x39);
    expect(pending()).toBe(-1);
    outb(0xa0, 0x61); outb(0x20, 0x62);
    expect(pending()).toBe(0x3c);
    expect(inta()).toBe(0x3c);
  });

  it("a higher-priority slave IRQ arriving while another slave IRQ is in service preempts it", () => {
    linuxInit(0xfb, 0x00);
    // Special fully nested mode is what allows this on the master; without it IR2 in service
    // blocks the slave. Set SFNM through ICW4 = 0x11.
    outb(0x20, 0x11); outb(0x21, 0x30); outb(0x21, 0x04); outb(0x21, 0x11); outb(0x21, 0xfb);
    line(12, true);
    expect(inta()).toBe(0x3c);
    line(9, true);
    expect(pending()).toBe(0x39);
    expect(inta()).toBe(0x39);
  });

  it("without special fully nested mode, IR2 in service blocks further slave requests", () => {
    linuxInit(0xfb, 0x00);
    line(12, true);
    expect(inta()).toBe(0x3c);
    line(9, true);
    expect(pending()).toBe(-1);
  });

  it("specific rotation: set-priority makes IR L the lowest", () => {
    linuxInit(0x00);
    outb(0x20, 0xc4);                   // set priority: IR4 lowest → IR5 highest
    line(3, true); line(6, true);
    expect(pending()).toBe(0x36);
  });

  it("poll command acknowledges like INTA and returns 0x80 | level", () => {
    linuxInit(0x00);
    line(6, true);
    outb(0x20, 0x0c);
    expect(inb(0x20)).toBe(0x86);
    outb(0x20, 0x0b);
    expect(inb(0x20)).toBe(0x40);
    outb(0x20, 0x0c);
    expect(inb(0x20)).toBe(0x00);       // nothing else requesting
  });

  it("special mask mode: a masked in-service level does not block lower ones", () => {
    linuxInit(0x00);
    line(1, true);
    expect(inta()).toBe(0x31);
    line(4, true);
    expect(pending()).toBe(-1);
    outb(0x21, 0x02);                   // mask IR1 (in service)
    outb(0x20, 0x68);                   // set special mask mode
    expect(pending()).toBe(0x34);
    outb(0x20, 0x48);                   // reset special mask mode
    expect(pending()).toBe(-1);
  });
});

describe("8259A: hostile accesses", () => {
  it("non-PIC ports and odd sizes read all-ones and change nothing", () => {
    linuxInit(0xfb);
    expect(p.u32("picIn", pic, 0x22, 1)).toBe(0xff);
    expect(p.u32("picIn", pic, 0x21, 3)).toBe(0xffffffff);
    p.call("picOut", pic, 0x21, 8, 0);
    expect(inb(0x21)).toBe(0xfb);
    expect(p.u32("picIn", pic, 0x20, 2) >>> 8).toBe(0xfb); // wide read: 0x20 then 0x21
  });

  it("device line 2 is not the cascade input; lines above 15 never reach the PIC", () => {
    linuxInit(0x00, 0x00);
    line(2, true);
    line(20, true);
    expect(pending()).toBe(-1);
  });
});
