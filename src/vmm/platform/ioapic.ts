// I/O APIC: 24 inputs (GSI 0-23), their redirection table, and the messages it sends to LAPICs.
// Spec: Intel 82093AA I/O APIC data sheet (order no. 290566): §3.0 register description
// (IOREGSEL at base+0x00, IOWIN at base+0x10; IOAPICID 0x00 bits 27:24, IOAPICVER 0x01: version
// 7:0, maximum redirection entry 23:16; IOAPICARB 0x02; IOREDTBL 0x10-0x3F, Table 3: vector 7:0,
// delivery mode 10:8, destination mode 11, delivery status 12 (RO), polarity 13, remote IRR 14
// (RO), trigger 15, mask 16, destination 63:56). Intel ICH9 data sheet §13.5 (version 0x20 and
// the EOI register at base+0x40: a write clears Remote IRR of the entries with that vector).
//
// Inputs come from IrqLines (irq-lines.ts): pin p reads line irqLineOfGsi(p) (the PIT's IRQ 0
// arrives on pin 2 by the MADT's interrupt source override; pin 0 is the 8259's INTR output,
// fed separately by ioapicSetExtIntPin). Lines carry logical assertion, as in QEMU and KVM:
// the polarity bit is stored and read back but does not invert the input (the ACPI tables
// describe the polarity each device uses, so the guest's setting always agrees with the wire).
//
// Semantics (82093AA §2.4, "Interrupt signals"):
//   edge-triggered: a rising edge on an unmasked pin sends one message; edges while masked are
//     lost.
//   level-triggered (fixed/lowest-priority only): an asserted unmasked pin sends a message and
//     sets Remote IRR; no further message until the LAPIC's EOI for that vector clears Remote
//     IRR (ioapicEoi); if the line is still asserted then, it is sent again. A level request
//     whose line drops before it was sent is withdrawn.
//   NMI, INIT, ExtINT and SMI are always edge-type (the trigger bit is ignored for them).
// Messages wait in `pending` (delivery status bit = 1, "send pending") until the VMM takes them
// with ioapicPop and routes each to LAPICs (lapicMatchDest / lapicDeliver).
//
// State (IOAPIC_STATE_SIZE = 208 bytes, caller-owned, 8-aligned):
//   0 regsel u32   4 id u32 (4 bits)   8 level u32 (pin p asserted)   12 pending u32
//   16 redir[24] u64 (Remote IRR kept in bit 14; delivery status computed from `pending`)

import { IrqLines, irqLineOfGsi, IRQ_NO_LINE } from "./irq-lines";

export const IOAPIC_STATE_SIZE: u32 = 208;
export const IOAPIC_DEFAULT_BASE: u64 = 0xFEC00000;
export const IOAPIC_MMIO_SIZE: u64 = 0x1000;
export const IOAPIC_PINS: u32 = 24;
/** Version 0x20 (PCI 2.2 IOAPIC, with the EOI register), maximum redirection entry 23. */
export const IOAPIC_VERSION: u32 = 0x00170020;
/** The ID the MADT gives the IOAPIC (QEMU uses 0 as well; IDs of FSB-delivery APICs need not
 *  differ from LAPIC IDs). */
export const IOAPIC_DEFAULT_ID: u32 = 0;

const REG_ID: u32 = 0x00;
const REG_VERSION: u32 = 0x01;
const REG_ARB: u32 = 0x02;
const REG_REDIR0: u32 = 0x10;
const OFF_IOREGSEL: u32 = 0x00;
const OFF_IOWIN: u32 = 0x10;
const OFF_EOI: u32 = 0x40;

const RTE_MASKED: u64 = 1 << 16;
const RTE_LEVEL: u64 = 1 << 15;
const RTE_REMOTE_IRR: u64 = 1 << 14;
const RTE_DELIVERY_STATUS: u64 = 1 << 12;
/** Software-writable bits: vector, delivery mode, dest mode, polarity, trigger, mask; dest. */
const RTE_WRITABLE_LOW: u64 = 0x0001AFFF;
const RTE_WRITABLE_HIGH: u64 = 0xFF000000;
const REDIR_OFFSET: usize = 16;

@unmanaged export class Ioapic {
  regsel: u32;
  id: u32;
  level: u32;
  pending: u32;
}

/** One message for the LAPICs (IOAPIC_MSG_SIZE = 24 bytes, caller-owned). */
@unmanaged export class IoapicMsg {
  vector: u32;
  /** Delivery mode (lapic-irq.ts DM_*). */
  mode: u32;
  /** 1 = logical destination mode. */
  logical: u32;
  /** 1 = level-triggered (the LAPIC sets TMR and reports the EOI). */
  level: u32;
  /** 8-bit destination (0xFF broadcast). */
  dest: u32;
  pin: u32;
}
export const IOAPIC_MSG_SIZE: u32 = 24;

/** Redirection entry `pin`. Invariant: pin is reduced mod 24, inside the 208-byte block. */
@inline function rteAddr(io: Ioapic, pin: u32): usize {
  return changetype<usize>(io) + REDIR_OFFSET + <usize>(pin % IOAPIC_PINS) * 8;
}
@inline function rte(io: Ioapic, pin: u32): u64 { return load<u64>(rteAddr(io, pin)); }
@inline function rteSet(io: Ioapic, pin: u32, v: u64): void { store<u64>(rteAddr(io, pin), v); }

/** Whether entry `e` behaves level-triggered: trigger bit and a fixed/lowest delivery mode. */
@inline function isLevel(e: u64): bool { return (e & RTE_LEVEL) != 0 && ((e >> 8) & 7) <= 1; }

export function ioapicInit(io: Ioapic, id: u32): void {
  memory.fill(changetype<usize>(io), 0, IOAPIC_STATE_SIZE);
  io.id = id & 0xF;
  for (let p: u32 = 0; p < IOAPIC_PINS; p++) rteSet(io, p, RTE_MASKED);
}

/** Re-decides whether pin `p` has a message waiting, from its entry and its input level. */
function evaluate(io: Ioapic, p: u32, rising: bool): void {
  const e = rte(io, p);
  const bit: u32 = 1 << p;
  if ((e & RTE_MASKED) != 0) {
    io.pending &= ~bit;
    return;
  }
  if (isLevel(e)) {
    if ((io.level & bit) != 0 && (e & RTE_REMOTE_IRR) == 0) io.pending |= bit;
    else if ((io.level & bit) == 0) io.pending &= ~bit;
  } else if (rising) {
    io.pending |= bit;
  }
}

/** One input: its level now and whether it rose since the last sample. */
function pinInput(io: Ioapic, p: u32, asserted: bool, rising: bool): void {
  const bit: u32 = 1 << p;
  if (asserted) io.level |= bit; else io.level &= ~bit;
  evaluate(io, p, rising);
}

/** Samples every line (call before irqLinesCommit, as the 8259 does with picSyncLines). */
export function ioapicSync(io: Ioapic, lines: IrqLines): void {
  for (let p: u32 = 1; p < IOAPIC_PINS; p++) {
    const line = irqLineOfGsi(p);
    if (line == IRQ_NO_LINE) continue;
    const bit: u32 = 1 << line;
    pinInput(io, p, (lines.level & bit) != 0, (lines.rising & bit) != 0);
  }
}

/** Pin 0: the 8259's INTR output (the guest may route it as ExtINT through the IOAPIC). */
export function ioapicSetExtIntPin(io: Ioapic, asserted: bool): void {
  const was = (io.level & 1) != 0;
  pinInput(io, 0, asserted, asserted && !was);
}

/**
 * Takes the waiting message of the lowest pin into `msg`: false when none. A level-triggered
 * entry gets Remote IRR. SMI and the reserved modes (011b, 110b) are consumed without a message.
 */
export function ioapicPop(io: Ioapic, msg: IoapicMsg): bool {
  while (io.pending != 0) {
    const p = <u32>ctz<u32>(io.pending);
    io.pending &= ~(<u32>1 << p);
    const e = rte(io, p);
    const mode = <u32>(e >> 8) & 7;
    if (mode == 2 || mode == 3 || mode == 6) continue;
    const level = isLevel(e);
    if (level) rteSet(io, p, e | RTE_REMOTE_IRR);
    msg.vector = <u32>e & 0xFF;
    msg.mode = mode;
    msg.logical = <u32>(e >> 11) & 1;
    msg.level = level ? 1 : 0;
    msg.dest = <u32>(e >> 56);
    msg.pin = p;
    return true;
  }
  return false;
}

/** Whether any message waits (the VMM pops after each sync, write and EOI). */
@inline export function ioapicHasPending(io: Ioapic): bool { return io.pending != 0; }

/**
 * A LAPIC's EOI of level-triggered `vector` (LapicExit.EOI_LEVEL), or a write to the EOI
 * register: Remote IRR clears on every level entry with that vector, which is sent again if its
 * line is still asserted.
 */
export function ioapicEoi(io: Ioapic, vector: u32): void {
  for (let p: u32 = 0; p < IOAPIC_PINS; p++) {
    const e = rte(io, p);
    if ((e & RTE_REMOTE_IRR) == 0 || (<u32>e & 0xFF) != (vector & 0xFF)) continue;
    rteSet(io, p, e & ~RTE_REMOTE_IRR);
    evaluate(io, p, false);
  }
}

/** Indirect register `reg` (IOREGSEL value). Undefined registers read 0. */
export function ioapicRegRead(io: Ioapic, reg: u32): u32 {
  if (reg == REG_ID || reg == REG_ARB) return io.id << 24;
  if (reg == REG_VERSION) return IOAPIC_VERSION;
  if (reg >= REG_REDIR0 && reg < REG_REDIR0 + 2 * IOAPIC_PINS) {
    const p = (reg - REG_REDIR0) >> 1;
    let e = rte(io, p);
    if ((io.pending & (1 << p)) != 0) e |= RTE_DELIVERY_STATUS;
    return (reg & 1) != 0 ? <u32>(e >> 32) : <u32>e;
  }
  return 0;
}

/** Indirect register write; read-only bits and registers ignore it. */
export function ioapicRegWrite(io: Ioapic, reg: u32, value: u32): void {
  if (reg == REG_ID) {
    io.id = (value >> 24) & 0xF;
    return;
  }
  if (reg < REG_REDIR0 || reg >= REG_REDIR0 + 2 * IOAPIC_PINS) return;
  const p = (reg - REG_REDIR0) >> 1;
  const e = rte(io, p);
  if ((reg & 1) != 0) {
    rteSet(io, p, (e & ~(RTE_WRITABLE_HIGH << 32)) | ((<u64>value & RTE_WRITABLE_HIGH) << 32));
    return;
  }
  let n = (e & ~RTE_WRITABLE_LOW) | (<u64>value & RTE_WRITABLE_LOW);
  // An entry that is no longer level-triggered has no EOI to wait for (as QEMU and KVM do).
  if (!isLevel(n)) n &= ~RTE_REMOTE_IRR;
  rteSet(io, p, n);
  evaluate(io, p, false);
}

/** MMIO read at `offset` into the IOAPIC page: IOREGSEL, IOWIN (bytes of the selected
 *  register for narrow reads); everything else reads 0. */
export function ioapicMmioRead(io: Ioapic, offset: u64, size: u32): u64 {
  const off = <u32>(offset & 0xFFF);
  let v: u64 = 0;
  if (off >= OFF_IOREGSEL && off < OFF_IOREGSEL + 4) v = <u64>io.regsel >> (<u64>(off - OFF_IOREGSEL) * 8);
  else if (off >= OFF_IOWIN && off < OFF_IOWIN + 4) v = <u64>ioapicRegRead(io, io.regsel) >> (<u64>(off - OFF_IOWIN) * 8);
  if (size == 1) return v & 0xFF;
  if (size == 2) return v & 0xFFFF;
  return v & 0xFFFFFFFF;
}

/** MMIO write: IOREGSEL (bits 7:0 of any write at offset 0), IOWIN (32-bit at 0x10), EOI (0x40).
 *  Other offsets and widths are ignored. The VMM pops messages afterwards. */
export function ioapicMmioWrite(io: Ioapic, offset: u64, size: u32, value: u64): void {
  const off = <u32>(offset & 0xFFF);
  if (off == OFF_IOREGSEL) io.regsel = <u32>value & 0xFF;
  else if (off == OFF_IOWIN && size == 4) ioapicRegWrite(io, io.regsel, <u32>value);
  else if (off == OFF_EOI && size == 4) ioapicEoi(io, <u32>value & 0xFF);
}
