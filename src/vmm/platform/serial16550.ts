// 16550A UART model (COM1: ports 0x3F8-0x3FF, ISA IRQ 4), as Linux's 8250 driver probes and
// drives it. Register behaviour: National PC16550D data sheet ("PC16550D UART with FIFOs",
// Table II register summary, §8.4 FCR, §8.5 IIR / Table IV interrupt priorities, §8.6 LCR,
// §8.7 MCR incl. loopback, §8.8 LSR, §8.9 MSR, §8.10 SCR).
//
// What Linux relies on (drivers/tty/serial/8250/8250_port.c):
//   autoconfig: IER bits 3:0 read back and bits 7:4 read 0; loopback with MCR = 0x1A gives
//     MSR[7:4] = 0x90; FCR = 0x01 makes IIR[7:6] = 11 (→ autoconfig_16550a), IIR bit 5 stays 0
//     (no 64-byte FIFO: not a 16750), offset 2 with LCR = 0xBF is still IIR (≠ 0: no EFR, not a
//     16650).
//   startup: the THRE test writes IER.THRI=1 and expects IIR = THRI pending; IIR read clears it;
//     IER 0 → THRI again re-raises it (QEMU and Bochs behave the same: THRE is resampled on the
//     rising edge of IER.THRI).
//
// Transmission is instantaneous: a THR write goes straight into the output ring the VMM drains to
// the VM's console, so THR/TSR are empty again at once (LSR.THRE|TEMT) and the THRE interrupt is
// pending after every accepted byte, as it is when a real transmitter empties THR. If the ring is
// full the UART back-pressures: THRE and TEMT read 0 until the VMM pops (uartTxPop), and a byte
// written anyway is dropped and counted (the guest ignored LSR, as real hardware would overwrite).
//
// Reception: uartRxPush queues bytes (the VMM's console input). The first RX_FIFO bytes of the
// queue are the receiver FIFO; the rest wait "on the wire", so no byte is ever overrun: LSR
// error bits (OE/PE/FE/BI) therefore never set and the receiver-line-status interrupt never
// fires. The character-timeout interrupt (IIR = 0xCC) fires 4 character times after the last
// FIFO activity, from the divisor and LCR word format, which is what delivers a single typed key
// when the RX trigger level is above 1 (Linux uses 8).
//
// IRQ output: on the PC the UART's INTRPT pin reaches the ISA bus through a gate driven by
// MCR.OUT2 (IBM PC/AT serial adapter), and loopback disconnects it (data sheet §8.7), so the line
// is high only when an interrupt is pending, OUT2 is set and loopback is off.
//
// State (UART_STATE_SIZE bytes, caller-owned, 8-aligned):
//   +0 lines u32 (IrqLines*)  +4 irq u32  +8 tscHz u64  +16 rxLastTsc u64 (last FIFO activity)
//   +24 ier  +28 lcr  +32 mcr  +36 msrDelta  +40 scr  +44 dll  +48 dlm  +52 fcr
//   +56 thrPending  +60 txHead  +64 txTail  +68 rxHead  +72 rxTail  +76 txDropped  +80 rbrLast
//   +84 pad  +88 evalTsc u64 (`now` of the last IRQ evaluation)
//   (u32 each; ring indices run freely and are masked on use)
//   +128 tx ring (TX_RING bytes)   +128+TX_RING rx ring (RX_RING bytes)

import { IrqLines, irqSet } from "./irq-lines";
import { clampTscHz } from "./time";

export const UART_COM1_BASE: u32 = 0x3F8;
export const UART_PORT_COUNT: u32 = 8;
export const TX_RING: u32 = 4096;
export const RX_RING: u32 = 256;
const RINGS_OFF: usize = 128;
export const UART_STATE_SIZE: u32 = <u32>RINGS_OFF + TX_RING + RX_RING;
/** Bytes of the 16550A receive FIFO (data sheet §1 "16-byte FIFOs"). */
const RX_FIFO: u32 = 16;

// Register bits (data sheet Table II).
const IER_MASK: u32 = 0x0F;
const IER_RDI: u32 = 0x01;
const IER_THRI: u32 = 0x02;
const IER_MSI: u32 = 0x08;
const IIR_NO_INT: u32 = 0x01;
const IIR_MSI: u32 = 0x00;
const IIR_THRI: u32 = 0x02;
const IIR_RDI: u32 = 0x04;
const IIR_TIMEOUT: u32 = 0x0C;
const IIR_FIFO_BITS: u32 = 0xC0;
const FCR_ENABLE: u32 = 0x01;
const FCR_CLEAR_RX: u32 = 0x02;
/** FCR bits a 16550A keeps: enable, DMA mode, RX trigger (bits 1, 2 self-clear; 5:4 reserved). */
const FCR_KEPT: u32 = 0xC9;
const LCR_DLAB: u32 = 0x80;
const MCR_MASK: u32 = 0x1F;
const MCR_OUT2: u32 = 0x08;
const MCR_LOOP: u32 = 0x10;
const LSR_DR: u32 = 0x01;
const LSR_THRE: u32 = 0x20;
const LSR_TEMT: u32 = 0x40;
/** MSR[7:4] when not in loopback: a terminal that is present and ready (DCD, DSR, CTS). */
const MSR_CONNECTED: u32 = 0xB0;
/** RX trigger levels for FCR[7:6] = 00, 01, 10, 11 (data sheet §8.4). */
const TRIGGER_LEVELS: u32 = 0x0E080401; // bytes: 1, 4, 8, 14

@unmanaged export class Uart {
  lines: u32;
  irq: u32;
  tscHz: u64;
  rxLastTsc: u64;
  ier: u32;
  lcr: u32;
  mcr: u32;
  msrDelta: u32;
  scr: u32;
  dll: u32;
  dlm: u32;
  fcr: u32;
  thrPending: u32;
  txHead: u32;
  txTail: u32;
  rxHead: u32;
  rxTail: u32;
  txDropped: u32;
  rbrLast: u32;
  _pad: u32;
  evalTsc: u64;
}

/** Byte `i` of the TX ring. Invariant: the index is masked to TX_RING - 1, inside the state. */
@inline function txSlot(u: Uart, i: u32): usize {
  return changetype<usize>(u) + RINGS_OFF + <usize>(i & (TX_RING - 1));
}
/** Byte `i` of the RX ring. Invariant: masked to RX_RING - 1, after the TX ring. */
@inline function rxSlot(u: Uart, i: u32): usize {
  return changetype<usize>(u) + RINGS_OFF + <usize>TX_RING + <usize>(i & (RX_RING - 1));
}
@inline function txCount(u: Uart): u32 { return u.txTail - u.txHead; }
@inline function rxCount(u: Uart): u32 { return u.rxTail - u.rxHead; }
@inline function fifoOn(u: Uart): bool { return (u.fcr & FCR_ENABLE) != 0; }

/** Power-on state (data sheet Table III "UART reset configuration"); divisor 12 = 9600 baud. */
export function uartInit(u: Uart, lines: IrqLines, irq: u32, tscHz: u64): void {
  memory.fill(changetype<usize>(u), 0, RINGS_OFF);
  u.lines = <u32>changetype<usize>(lines);
  u.irq = irq;
  u.tscHz = clampTscHz(tscHz);
  u.dll = 12;
}

/** Bytes the receiver FIFO holds now (the rest of the queue waits on the wire). */
function fifoLevel(u: Uart): u32 {
  return min<u32>(rxCount(u), fifoOn(u) ? RX_FIFO : 1);
}

/** TSC ticks of one character frame: start + data + parity + stop bits at 115200/divisor baud. */
function charTsc(u: Uart): u64 {
  let div = (u.dlm << 8) | u.dll;
  if (div == 0) div = 1; // undefined on the 16550; the fastest rate keeps timeouts finite
  const bits: u64 = 1 + (5 + (u.lcr & 3)) + ((u.lcr >> 3) & 1) + (1 + ((u.lcr >> 2) & 1));
  // tscHz ≤ 2^40 (clampTscHz), bits ≤ 12, div < 2^16: the product stays below 2^60.
  return u.tscHz * bits * <u64>div / 115200;
}

/** When the character-timeout indication becomes due (FIFO mode, data waiting), else u64 max. */
function timeoutDeadline(u: Uart): u64 {
  if (!fifoOn(u) || rxCount(u) == 0) return U64.MAX_VALUE;
  return u.rxLastTsc + 4 * charTsc(u);
}

/** MSR[7:4]: loopback routes RTS→CTS, DTR→DSR, OUT1→RI, OUT2→DCD (data sheet §8.7). */
function modemLines(mcr: u32): u32 {
  if ((mcr & MCR_LOOP) == 0) return MSR_CONNECTED;
  return ((mcr & 2) << 3) | ((mcr & 1) << 5) | ((mcr & 4) << 4) | ((mcr & 8) << 4);
}

/** IIR by the priority order of data sheet Table IV, FIFO bits 7:6 included. */
function iir(u: Uart, now: u64): u32 {
  const fifo = fifoOn(u) ? IIR_FIFO_BITS : 0;
  if ((u.ier & IER_RDI) != 0) {
    const trigger = fifoOn(u) ? (TRIGGER_LEVELS >> ((u.fcr >> 6) * 8)) & 0xFF : 1;
    if (fifoLevel(u) >= trigger) return fifo | IIR_RDI;
    if (now >= timeoutDeadline(u)) return fifo | IIR_TIMEOUT;
  }
  if ((u.ier & IER_THRI) != 0 && u.thrPending != 0) return fifo | IIR_THRI;
  if ((u.ier & IER_MSI) != 0 && u.msrDelta != 0) return fifo | IIR_MSI;
  return fifo | IIR_NO_INT;
}

function updateIrq(u: Uart, now: u64): void {
  u.evalTsc = now;
  const gated = (u.mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
  irqSet(changetype<IrqLines>(<usize>u.lines), u.irq, gated && (iir(u, now) & IIR_NO_INT) == 0);
}

function rxPushRaw(u: Uart, b: u32, now: u64): bool {
  if (rxCount(u) >= RX_RING) return false;
  const wasEmpty = rxCount(u) == 0;
  store<u8>(rxSlot(u, u.rxTail), <u8>b);
  u.rxTail++;
  // New data inside the FIFO restarts the timeout; data queued behind a full FIFO does not.
  if (wasEmpty || rxCount(u) <= RX_FIFO) u.rxLastTsc = now;
  return true;
}

function writeThr(u: Uart, b: u32, now: u64): void {
  if ((u.mcr & MCR_LOOP) != 0) {
    // Loopback: the transmitter feeds the receiver and nothing leaves the chip (§8.7).
    rxPushRaw(u, b, now);
    u.thrPending = 1;
    return;
  }
  if (txCount(u) >= TX_RING) {
    u.txDropped++;
    return;
  }
  store<u8>(txSlot(u, u.txTail), <u8>b);
  u.txTail++;
  // THR emptied into the (instant) transmitter: the THRE interrupt condition, unless that byte
  // filled the ring, in which case THRE comes back when the VMM drains (uartTxPop).
  u.thrPending = txCount(u) < TX_RING ? 1 : 0;
}

function writeMcr(u: Uart, v: u32): void {
  const before = modemLines(u.mcr);
  u.mcr = v & MCR_MASK;
  const after = modemLines(u.mcr);
  const ch = before ^ after;
  // Delta bits: DCTS, DDSR, TERI (RI trailing edge only), DDCD (§8.9).
  u.msrDelta |= ((ch >> 4) & 1) | ((ch >> 4) & 2) | ((before & ~after & 0x40) >> 4) | ((ch >> 4) & 8);
}

function writeFcr(u: Uart, v: u32, now: u64): void {
  if (((v ^ u.fcr) & FCR_ENABLE) != 0 || (v & FCR_CLEAR_RX) != 0) {
    // Enabling/disabling or clearing empties the receiver FIFO; bytes still on the wire stay.
    u.rxHead += fifoLevel(u);
    u.rxLastTsc = now;
  }
  // FCR_CLEAR_TX: the transmit FIFO is always empty here (instant transmitter).
  u.fcr = (v & FCR_ENABLE) != 0 ? v & FCR_KEPT : 0;
}

function readByte(u: Uart, off: u32, now: u64): u32 {
  const dlab = (u.lcr & LCR_DLAB) != 0;
  switch (off) {
    case 0: {
      if (dlab) return u.dll;
      if (rxCount(u) != 0) {
        u.rbrLast = load<u8>(rxSlot(u, u.rxHead));
        u.rxHead++;
        u.rxLastTsc = now; // reading the FIFO restarts the character timeout
      }
      return u.rbrLast;
    }
    case 1: return dlab ? u.dlm : u.ier;
    case 2: {
      const v = iir(u, now);
      // Reading IIR clears a THRE interrupt that it reports (Table IV, "reset control").
      if ((v & 0x0F) == IIR_THRI) u.thrPending = 0;
      return v;
    }
    case 3: return u.lcr;
    case 4: return u.mcr;
    case 5: {
      const thre = txCount(u) < TX_RING ? LSR_THRE | LSR_TEMT : 0;
      return (rxCount(u) != 0 ? LSR_DR : 0) | thre;
    }
    case 6: {
      const v = modemLines(u.mcr) | u.msrDelta;
      u.msrDelta = 0;
      return v;
    }
    case 7: return u.scr;
  }
  return 0xFF; // beyond the 8 registers (only reachable through a wide access): nothing drives it
}

function writeByte(u: Uart, off: u32, v: u32, now: u64): void {
  const dlab = (u.lcr & LCR_DLAB) != 0;
  switch (off) {
    case 0: if (dlab) u.dll = v; else writeThr(u, v, now); break;
    case 1: {
      if (dlab) { u.dlm = v; break; }
      const rising = (v & ~u.ier & IER_THRI) != 0;
      u.ier = v & IER_MASK;
      if (rising) u.thrPending = txCount(u) < TX_RING ? 1 : 0;
      else if ((u.ier & IER_THRI) == 0) u.thrPending = 0;
      break;
    }
    case 2: writeFcr(u, v, now); break;
    case 3: u.lcr = v; break;
    case 4: writeMcr(u, v); break;
    case 7: u.scr = v; break;
    // 5 (LSR) and 6 (MSR) are read-only here: "factory test" writes are not modelled.
  }
}

/** IN of `size` bytes at `offset` into the 8-port range; a wide access reads consecutive ports. */
export function uartRead(u: Uart, offset: u32, size: u32, now: u64): u32 {
  if (size != 1 && size != 2 && size != 4) return 0xFFFFFFFF;
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const off = offset + i;
    v |= (off < UART_PORT_COUNT ? readByte(u, off, now) : 0xFF) << (i * 8);
  }
  updateIrq(u, now);
  return v;
}

/** OUT of the low `size` bytes of `value`; bytes past the range are dropped. */
export function uartWrite(u: Uart, offset: u32, size: u32, value: u32, now: u64): void {
  if (size != 1 && size != 2 && size != 4) return;
  for (let i: u32 = 0; i < size; i++) {
    const off = offset + i;
    if (off < UART_PORT_COUNT) writeByte(u, off, (value >> (i * 8)) & 0xFF, now);
  }
  updateIrq(u, now);
}

/** When the UART next changes state on its own (the character timeout), or u64 max. */
export function uartNextEvent(u: Uart, now: u64): u64 {
  const d = timeoutDeadline(u);
  // A deadline at or before the last evaluation is already reflected on the IRQ line.
  return d > u.evalTsc || d > now ? d : U64.MAX_VALUE;
}

/** Timer service: re-evaluates the IRQ line at `now` (raises it when the timeout came due). */
export function uartTick(u: Uart, now: u64): void {
  updateIrq(u, now);
}

/** Queues one input byte for the guest; false when the queue is full (try again later). */
export function uartRxPush(u: Uart, b: u32, now: u64): bool {
  const ok = rxPushRaw(u, b & 0xFF, now);
  updateIrq(u, now);
  return ok;
}

/** Bytes the guest transmitted that the VMM has not drained yet. */
export function uartTxCount(u: Uart): u32 { return txCount(u); }

/** Oldest transmitted byte, or -1 when none. Freeing space re-raises THRE (back-pressure ends). */
export function uartTxPop(u: Uart, now: u64): i32 {
  if (txCount(u) == 0) return -1;
  const wasFull = txCount(u) >= TX_RING;
  const b = <i32>load<u8>(txSlot(u, u.txHead));
  u.txHead++;
  if (wasFull) {
    u.thrPending = 1;
    updateIrq(u, now);
  }
  return b;
}

/** Bytes written while the output ring was full (guest ignored LSR.THRE). */
export function uartTxDropped(u: Uart): u32 { return u.txDropped; }
