// Intel 8259A programmable interrupt controller pair of the PC/AT (master ports 0x20/0x21, slave
// 0xA0/0xA1, slave INT cascaded into master IR2) and the edge/level control registers of the
// PCI-to-ISA bridge (ELCR, ports 0x4D0/0x4D1).
//
// Spec: Intel 8259A data sheet (order no. 231468): "Interrupt Sequence" (INTA), "Initialization
// Command Words" (ICW1-4), "Operation Command Words" (OCW1-3), "Fully Nested Mode", "Automatic
// Rotation", "Special Mask Mode", "Poll Command", "Edge and Level Triggered Modes" (incl. the
// IR7 default vector when a request vanishes before INTA), "Cascade Mode"/"Special Fully Nested
// Mode". ELCR: Intel PIIX4 data sheet §4.1.11/§4.1.12 (IRQ 0, 1, 2, 8, 13 are edge only).
//
// What Linux does (arch/x86/kernel/i8259.c): probe (write 0xFB to the master IMR, read it back),
// init_8259A (ICW1 0x11, ICW2 0x30/0x38, ICW3 0x04/0x02, ICW4 0x01), masks via OCW1, specific
// EOI 0x60+irq (slave first, then 0x62 to the master), ISR reads via OCW3 0x0B/0x0A to tell real
// from spurious IRQ 7/15, and reads ELCR 0x4D1 (trace: `elcr 0x4d1 R1`).
//
// Interface to the VMM: inputs come from IrqLines (lines 0..15 = IR0..IR15; line 2 is ignored,
// IR2 of the master is the slave's INT output), sampled by picSyncLines. picPendingVector says
// whether INTR is asserted and with which vector; picAck performs the INTA cycle when the VMM
// injects it (it may answer the spurious vector base+7 if the request went away meanwhile, as
// the hardware does). 8080-mode call sequences (ICW4 bit 0 = 0) are not modelled: vectors are
// always given in 8086 form, which is the only mode an x86 guest can use.
//
// Chip state (CHIP_SIZE bytes, all u32): irr imr isr levels elcr elcrMask base lowest(priority
// rotation: IR `lowest` has the lowest priority) initStep needIcw4 single ltim autoEoi
// rotateAeoi sfnm readIsr poll specialMask icw3 icw4. The pair: master at +0, slave at +CHIP_SIZE.

import { IrqLines, ISA_IRQ_CASCADE } from "./irq-lines";

export const PIC_MASTER_PORT: u32 = 0x20;
export const PIC_SLAVE_PORT: u32 = 0xA0;
export const ELCR_PORT: u32 = 0x4D0;
const CHIP_SIZE: usize = 80;
export const PIC_STATE_SIZE: u32 = 2 * <u32>CHIP_SIZE;
/** picPendingVector's answer when INTR is not asserted. */
export const PIC_NONE: i32 = -1;
/** PIIX4 ELCR1/ELCR2 writable bits: IRQ 0, 1, 2 and 8, 13 are hard-wired edge. */
const ELCR_MASK_MASTER: u32 = 0xF8;
const ELCR_MASK_SLAVE: u32 = 0xDE;

@unmanaged export class Pic8259 {
  irr: u32;
  imr: u32;
  isr: u32;
  levels: u32;
  elcr: u32;
  elcrMask: u32;
  base: u32;
  lowest: u32;
  initStep: u32;
  needIcw4: u32;
  single: u32;
  ltim: u32;
  autoEoi: u32;
  rotateAeoi: u32;
  sfnm: u32;
  readIsr: u32;
  poll: u32;
  specialMask: u32;
  icw3: u32;
  icw4: u32;
}

/** Master (0) or slave (1). Invariant: `which` is masked to 0/1, inside the pair's state. */
@inline function chip(pic: usize, which: u32): Pic8259 {
  return changetype<Pic8259>(pic + <usize>(which & 1) * CHIP_SIZE);
}

/** Inputs that are level-sensitive: ELCR bits, or all of them under ICW1.LTIM. */
@inline function levelMask(c: Pic8259): u32 { return c.ltim != 0 ? 0xFF : c.elcr; }

/** Priority rank (0 highest) of the best IR in `mask`, or 8 when empty. IR lowest+1 ranks 0. */
function bestRank(c: Pic8259, mask: u32): u32 {
  for (let r: u32 = 0; r < 8; r++) {
    if ((mask & (1 << ((r + c.lowest + 1) & 7))) != 0) return r;
  }
  return 8;
}
@inline function irOfRank(c: Pic8259, r: u32): u32 { return (r + c.lowest + 1) & 7; }

/** The IR this chip would interrupt for now (fully nested priority), or -1. */
function chipRequest(c: Pic8259, isMaster: bool): i32 {
  const r = bestRank(c, c.irr & ~c.imr);
  if (r == 8) return -1;
  let inService = c.isr;
  // Special mask mode: masked in-service levels do not inhibit lower ones.
  if (c.specialMask != 0) inService &= ~c.imr;
  // Special fully nested mode: the slave may interrupt again while IR2 is in service.
  if (c.sfnm != 0 && isMaster) inService &= ~(1 << ISA_IRQ_CASCADE);
  return r < bestRank(c, inService) ? <i32>irOfRank(c, r) : -1;
}

/** One input at `level`; `edge` = a rising edge happened (possibly a pulse now over). */
function chipInput(c: Pic8259, ir: u32, level: bool, edge: bool): void {
  const bit: u32 = 1 << ir;
  if ((levelMask(c) & bit) != 0) {
    if (level) c.irr |= bit; else c.irr &= ~bit;
  } else if (edge) {
    c.irr |= bit;
  }
  if (level) c.levels |= bit; else c.levels &= ~bit;
}

/** Feeds the slave's INT output into master IR2 (an edge when it rises). */
function cascade(pic: usize): void {
  const m = chip(pic, 0);
  const out = chipRequest(chip(pic, 1), false) >= 0;
  const was = (m.levels & (1 << ISA_IRQ_CASCADE)) != 0;
  chipInput(m, ISA_IRQ_CASCADE, out, out && !was);
}

/** INTA for `ir`: into service (unless auto-EOI); edge requests are consumed. */
function chipAck(c: Pic8259, ir: u32): void {
  const bit: u32 = 1 << ir;
  if (c.autoEoi != 0) {
    if (c.rotateAeoi != 0) c.lowest = ir;
  } else {
    c.isr |= bit;
  }
  if ((levelMask(c) & bit) == 0) c.irr &= ~bit;
}

function chipReset(c: Pic8259, elcrMask: u32): void {
  memory.fill(changetype<usize>(c), 0, CHIP_SIZE);
  c.elcrMask = elcrMask;
  c.lowest = 7;
}

export function picInit(pic: Pic8259): void {
  const p = changetype<usize>(pic);
  chipReset(chip(p, 0), ELCR_MASK_MASTER);
  chipReset(chip(p, 1), ELCR_MASK_SLAVE);
}

function writeCommand(c: Pic8259, v: u32): void {
  if ((v & 0x10) != 0) {
    // ICW1: IMR, ISR, priorities, special mask and read-register selection reset; the edge sense
    // circuit resets, so edge inputs need a new rising edge; level inputs still follow the line.
    c.imr = 0;
    c.isr = 0;
    c.lowest = 7;
    c.readIsr = 0;
    c.poll = 0;
    c.specialMask = 0;
    c.autoEoi = 0;
    c.rotateAeoi = 0;
    c.sfnm = 0;
    c.icw4 = 0;
    c.needIcw4 = v & 1;
    c.single = (v >> 1) & 1;
    c.ltim = (v >> 3) & 1;
    c.irr = c.levels & levelMask(c);
    c.initStep = 2;
    return;
  }
  if ((v & 0x08) != 0) {
    // OCW3: ESMM/SMM (bits 6:5), P (bit 2), RR/RIS (bits 1:0).
    if ((v & 0x40) != 0) c.specialMask = (v >> 5) & 1;
    if ((v & 0x04) != 0) c.poll = 1;
    if ((v & 0x02) != 0) c.readIsr = v & 1;
    return;
  }
  // OCW2: R SL EOI (bits 7:5), L2-L0.
  const ir = v & 7;
  switch (v >> 5) {
    case 0: c.rotateAeoi = 0; break;                 // rotate in auto-EOI mode (clear)
    case 4: c.rotateAeoi = 1; break;                 // rotate in auto-EOI mode (set)
    case 1: case 5: {                                // non-specific EOI (and rotate)
      const r = bestRank(c, c.isr);
      if (r == 8) break;
      const top = irOfRank(c, r);
      c.isr &= ~(1 << top);
      if ((v >> 5) == 5) c.lowest = top;
      break;
    }
    case 3: case 7:                                  // specific EOI (and rotate)
      c.isr &= ~(1 << ir);
      if ((v >> 5) == 7) c.lowest = ir;
      break;
    case 6: c.lowest = ir; break;                    // set priority: IR L is lowest
    // case 2: no operation
  }
}

function writeData(c: Pic8259, v: u32): void {
  switch (c.initStep) {
    case 2:
      c.base = v & 0xF8; // ICW2: T7-T3; the IR number supplies bits 2:0
      c.initStep = c.single != 0 ? (c.needIcw4 != 0 ? 4 : 0) : 3;
      return;
    case 3:
      c.icw3 = v;
      c.initStep = c.needIcw4 != 0 ? 4 : 0;
      return;
    case 4:
      c.icw4 = v & 0x1F;
      c.autoEoi = (v >> 1) & 1;
      c.sfnm = (v >> 4) & 1;
      c.initStep = 0;
      return;
  }
  c.imr = v; // OCW1
}

/** Poll command read: INTA-equivalent, returns 0x80 | IR, or 0 when nothing is requesting. */
function pollRead(pic: usize, which: u32): u32 {
  const c = chip(pic, which);
  c.poll = 0;
  const ir = chipRequest(c, which == 0);
  if (ir < 0) return 0;
  chipAck(c, <u32>ir);
  if (which == 1) {
    // The master saw this request on IR2: a polled slave releases it there too.
    const m = chip(pic, 0);
    m.irr &= ~(1 << ISA_IRQ_CASCADE);
  }
  return 0x80 | <u32>ir;
}

function readByte(pic: usize, port: u32): u32 {
  if (port == ELCR_PORT || port == ELCR_PORT + 1) return chip(pic, port - ELCR_PORT).elcr;
  const which: u32 = port >= PIC_SLAVE_PORT ? 1 : 0;
  const c = chip(pic, which);
  if (c.poll != 0) return pollRead(pic, which);
  if ((port & 1) != 0) return c.imr;
  return c.readIsr != 0 ? c.isr : c.irr;
}

function writeByte(pic: usize, port: u32, v: u32): void {
  if (port == ELCR_PORT || port == ELCR_PORT + 1) {
    const c = chip(pic, port - ELCR_PORT);
    c.elcr = v & c.elcrMask;
    // Inputs that became level-sensitive now show their line in IRR.
    const lv = levelMask(c);
    c.irr = (c.irr & ~lv) | (c.levels & lv);
    return;
  }
  const c = chip(pic, port >= PIC_SLAVE_PORT ? 1 : 0);
  if ((port & 1) == 0) writeCommand(c, v);
  else writeData(c, v);
}

@inline function isPicPort(port: u32): bool {
  return port == 0x20 || port == 0x21 || port == 0xA0 || port == 0xA1 || port == 0x4D0 || port == 0x4D1;
}

/**
 * IN from an absolute port of the pair (0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1): the dispatcher
 * registers the three 2-port ranges with this one state and passes base + offset. A wide access
 * reads consecutive ports; ports that are not the PIC's float high. `now` is unused (no timing).
 */
export function picPortRead(pic: Pic8259, port: u32, size: u32, now: u64): u32 {
  if (size != 1 && size != 2 && size != 4) return 0xFFFFFFFF;
  const p = changetype<usize>(pic);
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    v |= (isPicPort(port + i) ? readByte(p, port + i) : 0xFF) << (i * 8);
  }
  cascade(p);
  return v;
}

/** OUT to an absolute port of the pair (see picPortRead). */
export function picPortWrite(pic: Pic8259, port: u32, size: u32, value: u32, now: u64): void {
  if (size != 1 && size != 2 && size != 4) return;
  const p = changetype<usize>(pic);
  for (let i: u32 = 0; i < size; i++) {
    if (isPicPort(port + i)) writeByte(p, port + i, (value >> (i * 8)) & 0xFF);
    cascade(p);
  }
}

/** Samples IR0..IR15 from `lines` (levels and latched rising edges); IR2 stays the cascade. */
export function picSyncLines(pic: Pic8259, lines: IrqLines): void {
  const p = changetype<usize>(pic);
  for (let ir: u32 = 0; ir < 16; ir++) {
    if (ir == ISA_IRQ_CASCADE) continue;
    const bit: u32 = 1 << ir;
    chipInput(chip(p, ir >> 3), ir & 7, (lines.level & bit) != 0, (lines.rising & bit) != 0);
  }
  cascade(p);
}

/** The vector INTR asks for now, or PIC_NONE (no request above the in-service level). */
export function picPendingVector(pic: Pic8259): i32 {
  const p = changetype<usize>(pic);
  const m = chip(p, 0);
  const ir = chipRequest(m, true);
  if (ir < 0) return PIC_NONE;
  if (<u32>ir != ISA_IRQ_CASCADE || m.single != 0) return <i32>(m.base + <u32>ir);
  const s = chip(p, 1);
  const sir = chipRequest(s, false);
  return <i32>(s.base + (sir >= 0 ? <u32>sir : 7));
}

/**
 * The INTA cycle, when the VMM injects the PIC's interrupt: returns the vector and moves the
 * request into service. A request that vanished since picPendingVector yields the spurious IR7
 * vector of the chip that lost it (master base+7; slave base+7 with master IR2 in service).
 */
export function picAck(pic: Pic8259): u32 {
  const p = changetype<usize>(pic);
  const m = chip(p, 0);
  const ir = chipRequest(m, true);
  let vector: u32;
  if (ir < 0) {
    vector = m.base + 7;
  } else {
    chipAck(m, <u32>ir);
    if (<u32>ir == ISA_IRQ_CASCADE && m.single == 0) {
      const s = chip(p, 1);
      const sir = chipRequest(s, false);
      if (sir >= 0) chipAck(s, <u32>sir);
      vector = s.base + (sir >= 0 ? <u32>sir : 7);
      // The slave releases INT during INTA: a request still (or newly) above its in-service
      // level is a fresh edge on master IR2, not one the master already consumed.
      m.levels &= ~(1 << ISA_IRQ_CASCADE);
    } else {
      vector = m.base + <u32>ir;
    }
  }
  cascade(p);
  return vector;
}
