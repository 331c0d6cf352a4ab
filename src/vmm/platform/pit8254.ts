// Intel 8254 programmable interval timer (ports 0x40-0x43), per the Intel 8254 data sheet
// (order no. 231164): §"Control Word Format", §"Read Operations" (counter latch, read-back),
// §"Modes 0-5" and Figure "Gate Pin Operations Summary". PC wiring (IBM PC/AT Technical
// Reference): CLK = 1.193182 MHz on all three channels; channel 0 GATE tied high, OUT0 → ISA
// IRQ 0; channel 1 (DRAM refresh) GATE high, OUT1 unconnected; channel 2 GATE = port 0x61 bit 0,
// OUT2 → port 0x61 bit 5 and the speaker (sysctl-port.ts).
//
// Counting is derived from time, never stepped: a channel remembers the TSC at which it started
// (originTsc) and the clocks it had counted before that (baseClocks, kept across a gate pause), so
// elapsed clocks e = baseClocks + ⌊(now - originTsc) · 1193182 / tscHz⌋ (time.ts) is exact at any
// `now`, and the counter value, OUT and the number of OUT rising edges are pure functions of e:
//   N = programmed count (0 means 2^16 binary, 10^4 BCD)
//   mode 0/1  count (N - e) mod 2^16, OUT high once e ≥ N (mode 1 after its gate trigger)
//   mode 2    count N - e mod N, OUT low only while e mod N = N - 1; rising edge at every e = kN
//   mode 3    count N - 2e mod N (exact for even N), OUT high for ⌈N/2⌉ clocks then low ⌊N/2⌋
//   mode 4/5  count (N - e) mod 2^16, OUT low for the one clock e = N; rising edge at e = N + 1
// Simplifications (each shorter than one 838 ns clock or not used by PC software): the load
// cycle between the count write and the first decrement is not modelled; re-writing the count of
// a running mode 2/3 channel restarts it at once instead of at the end of the current period;
// counts of 1 in modes 2 and 3 (illegal per the data sheet) count as 2.
//
// State (PIT_STATE_SIZE bytes, caller-owned, 8-aligned): +0 lines u32 (IrqLines*), +4 pad,
// +8 tscHz u64, then 3 channels of CHANNEL_SIZE bytes at +16:
//   +0 originTsc u64  +8 baseClocks u64  +16 reportedEdges u64 (OUT rising edges already sent to
//   the IRQ line)  +24 count u32 (as written, 16 bits)  +28 ctrl u32 (bits 5:0 of the control
//   word: RW, mode, BCD)  +32 flags u32 (F_*)  +36 latch u32 (latched count)  +40 status u32
//   (latched status)  +44 lsb u32 (first byte of a two-byte write)

import { IrqLines, irqSet, irqPulse, ISA_IRQ_PIT } from "./irq-lines";
import { clampTscHz, tscToPit, pitToTsc, addSat } from "./time";

export const PIT_BASE_PORT: u32 = 0x40;
export const PIT_PORT_COUNT: u32 = 4;
const CHANNEL_SIZE: usize = 48;
const CHANNELS_OFF: usize = 16;
export const PIT_STATE_SIZE: u32 = <u32>(CHANNELS_OFF + 3 * CHANNEL_SIZE);

// Channel flags.
const F_LOADED: u32 = 1;        // a complete count has been written since the control word
const F_RUNNING: u32 = 2;       // counting (loaded, gate allows it, triggered for modes 1/5)
const F_GATE: u32 = 4;          // GATE input level
const F_LSB_WRITTEN: u32 = 8;   // RW=11: the LSB has been written, the MSB comes next
const F_READ_MSB: u32 = 16;     // RW=11: the next unlatched/latched read returns the MSB
const F_LATCH_LSB: u32 = 32;    // latched count: LSB still to be read
const F_LATCH_MSB: u32 = 64;    // latched count: MSB still to be read
const F_STATUS: u32 = 128;      // a latched status byte is waiting (read before the count)

const RW_LSB: u32 = 1;
const RW_MSB: u32 = 2;
const RW_BOTH: u32 = 3;

@unmanaged export class PitChannel {
  originTsc: u64;
  baseClocks: u64;
  reportedEdges: u64;
  count: u32;
  ctrl: u32;
  flags: u32;
  latch: u32;
  status: u32;
  lsb: u32;
}

@unmanaged export class Pit {
  lines: u32;
  _pad: u32;
  tscHz: u64;
}

/** Channel `n`. Invariant: callers pass n ≤ 2 (port offsets and read-back bits are bounded). */
@inline function chan(p: Pit, n: u32): PitChannel {
  return changetype<PitChannel>(changetype<usize>(p) + CHANNELS_OFF + <usize>(n % 3) * CHANNEL_SIZE);
}
/** The counting mode 0-5: control-word values 6 and 7 are modes 2 and 3 (data sheet, "X10"/"X11"). */
@inline function modeOf(c: PitChannel): u32 {
  const m = (c.ctrl >> 1) & 7;
  return m >= 6 ? m - 4 : m;
}
@inline function rwOf(c: PitChannel): u32 { return (c.ctrl >> 4) & 3; }
@inline function bcdOf(c: PitChannel): bool { return (c.ctrl & 1) != 0; }

function fromBcd(v: u32): u32 {
  return (v & 0xF) + ((v >> 4) & 0xF) * 10 + ((v >> 8) & 0xF) * 100 + ((v >> 12) & 0xF) * 1000;
}
function toBcd(v: u32): u32 {
  return (v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) | ((v / 1000 % 10) << 12);
}

/** The counter's modulus: 2^16 binary, 10^4 BCD. */
@inline function modulus(c: PitChannel): u64 { return bcdOf(c) ? 10000 : 65536; }

/** N as a number of clocks. A BCD digit above 9 counts as its binary value (hostile, harmless). */
function periodOf(c: PitChannel): u64 {
  let n: u64 = bcdOf(c) ? <u64>fromBcd(c.count) : <u64>c.count;
  if (n == 0 || n > modulus(c)) n = modulus(c);
  const m = modeOf(c);
  if ((m == 2 || m == 3) && n < 2) n = 2;
  return n;
}

function elapsed(p: Pit, c: PitChannel, now: u64): u64 {
  if ((c.flags & F_RUNNING) == 0 || now < c.originTsc) return c.baseClocks;
  return c.baseClocks + tscToPit(now - c.originTsc, p.tscHz);
}

/** OUT rising edges since the count was loaded (or the gate triggered), after e clocks. */
function edgesAt(c: PitChannel, e: u64): u64 {
  const n = periodOf(c);
  switch (modeOf(c)) {
    case 0: case 1: return e >= n ? 1 : 0;
    case 2: case 3: return e / n;
    default: return e >= n + 1 ? 1 : 0;
  }
}

/** OUT now (data sheet mode descriptions; the state right after a control word when not loaded). */
export function pitOutput(p: Pit, ch: u32, now: u64): bool {
  const c = chan(p, ch);
  const m = modeOf(c);
  if ((c.flags & F_LOADED) == 0) return m != 0;
  // Modes 1 and 5 before their gate trigger: OUT stays high.
  if ((m == 1 || m == 5) && (c.flags & F_RUNNING) == 0) return true;
  const e = elapsed(p, c, now);
  const n = periodOf(c);
  switch (m) {
    case 0: case 1: return e >= n;
    case 2: return (c.flags & F_GATE) == 0 || e % n != n - 1;
    case 3: return (c.flags & F_GATE) == 0 || e % n < (n + 1) / 2;
    default: return e != n;
  }
}

/** The counting element's value now, in the channel's number format. */
function counterValue(p: Pit, c: PitChannel, now: u64): u32 {
  if ((c.flags & F_LOADED) == 0) return c.count;
  const e = elapsed(p, c, now);
  const n = periodOf(c);
  const mod = modulus(c);
  let v: u64;
  switch (modeOf(c)) {
    case 2: v = n - e % n; break;
    case 3: v = n - (2 * e) % n; break;
    default: v = (n + mod - e % mod) % mod; break;
  }
  return bcdOf(c) ? toBcd(<u32>v) : <u32>v & 0xFFFF;
}

/** Starts counting from zero at `now` (a count load or a gate trigger). */
function start(c: PitChannel, now: u64): void {
  c.originTsc = now;
  c.baseClocks = 0;
  c.reportedEdges = 0;
  c.flags |= F_RUNNING;
}

/** Drives IRQ 0 from OUT0: a pulse when edges happened since the last report, else the level. */
function updateIrq(p: Pit, now: u64): void {
  const c = chan(p, 0);
  const lines = changetype<IrqLines>(<usize>p.lines);
  const out = pitOutput(p, 0, now);
  if ((c.flags & F_RUNNING) != 0) {
    const edges = edgesAt(c, elapsed(p, c, now));
    if (edges > c.reportedEdges) {
      c.reportedEdges = edges;
      irqPulse(lines, ISA_IRQ_PIT, out);
      return;
    }
  }
  irqSet(lines, ISA_IRQ_PIT, out);
}

export function pitInit(p: Pit, lines: IrqLines, tscHz: u64): void {
  memory.fill(changetype<usize>(p), 0, PIT_STATE_SIZE);
  p.lines = <u32>changetype<usize>(lines);
  p.tscHz = clampTscHz(tscHz);
  // Channels 0 and 1 have GATE tied high; channel 2's follows port 0x61 bit 0 (reset: low).
  chan(p, 0).flags = F_GATE;
  chan(p, 1).flags = F_GATE;
  // Power-up state is undefined (data sheet); this is what a PC BIOS leaves minus the running
  // count: RW = LSB/MSB, mode 3, OUT high, so a guest's first control word (mode 2, 3 or 4: OUT
  // high) makes no spurious IRQ 0 edge, and nothing fires before the guest programs a count.
  for (let n: u32 = 0; n < 3; n++) chan(p, n).ctrl = 0x36;
  irqSet(lines, ISA_IRQ_PIT, true);
}

function loadCount(p: Pit, c: PitChannel, now: u64): void {
  c.flags |= F_LOADED;
  c.flags &= ~F_RUNNING;
  c.baseClocks = 0;
  c.reportedEdges = 0;
  const m = modeOf(c);
  // Modes 1 and 5 wait for a gate trigger; the others count while GATE is high.
  if (m != 1 && m != 5 && (c.flags & F_GATE) != 0) start(c, now);
}

function writeControl(p: Pit, v: u32, now: u64): void {
  const sc = v >> 6;
  if (sc == 3) {
    // Read-back command: bit 5 low latches counts, bit 4 low latches status, bits 3:1 select.
    for (let n: u32 = 0; n < 3; n++) {
      if ((v & (2 << n)) == 0) continue;
      const c = chan(p, n);
      if ((v & 0x10) == 0 && (c.flags & F_STATUS) == 0) {
        const nullCount: u32 = (c.flags & F_LOADED) == 0 ? 0x40 : 0;
        c.status = (pitOutput(p, n, now) ? 0x80 : 0) | nullCount | (c.ctrl & 0x3F);
        c.flags |= F_STATUS;
      }
      if ((v & 0x20) == 0) latchCount(p, c, now);
    }
    return;
  }
  const c = chan(p, sc);
  if (((v >> 4) & 3) == 0) {
    latchCount(p, c, now);
    return;
  }
  c.ctrl = v & 0x3F;
  // A control word stops the counter until a count is written; OUT goes low (mode 0) or high.
  c.flags &= F_GATE;
  c.baseClocks = 0;
  c.reportedEdges = 0;
}

/** Counter latch: a second latch before the first is read is ignored (data sheet). */
function latchCount(p: Pit, c: PitChannel, now: u64): void {
  if ((c.flags & (F_LATCH_LSB | F_LATCH_MSB)) != 0) return;
  c.latch = counterValue(p, c, now);
  const rw = rwOf(c);
  c.flags |= rw == RW_MSB ? F_LATCH_MSB : rw == RW_LSB ? F_LATCH_LSB : F_LATCH_LSB | F_LATCH_MSB;
}

function readCounter(p: Pit, c: PitChannel, now: u64): u32 {
  if ((c.flags & F_STATUS) != 0) {
    c.flags &= ~F_STATUS;
    return c.status;
  }
  if ((c.flags & F_LATCH_LSB) != 0) {
    c.flags &= ~F_LATCH_LSB;
    return c.latch & 0xFF;
  }
  if ((c.flags & F_LATCH_MSB) != 0) {
    c.flags &= ~F_LATCH_MSB;
    return (c.latch >> 8) & 0xFF;
  }
  const v = counterValue(p, c, now);
  const rw = rwOf(c);
  if (rw == RW_MSB) return (v >> 8) & 0xFF;
  if (rw == RW_BOTH) {
    c.flags ^= F_READ_MSB;
    return (c.flags & F_READ_MSB) != 0 ? v & 0xFF : (v >> 8) & 0xFF;
  }
  return v & 0xFF;
}

function writeCounter(p: Pit, c: PitChannel, v: u32, now: u64): void {
  const rw = rwOf(c);
  if (rw == RW_BOTH && (c.flags & F_LSB_WRITTEN) == 0) {
    c.lsb = v;
    c.flags |= F_LSB_WRITTEN;
    // Mode 0: writing the first byte stops the count (data sheet, mode 0).
    if (modeOf(c) == 0) {
      c.baseClocks = elapsed(p, c, now);
      c.flags &= ~(F_RUNNING | F_LOADED);
    }
    return;
  }
  c.flags &= ~F_LSB_WRITTEN;
  if (rw == RW_BOTH) c.count = (c.lsb & 0xFF) | (v << 8);
  else if (rw == RW_MSB) c.count = v << 8;
  else if (rw == RW_LSB) c.count = v;
  else return; // no control word programmed this channel yet: RW = 00 accepts no count
  loadCount(p, c, now);
}

/** Sets channel `ch`'s GATE input (port 0x61 bit 0 drives channel 2). */
export function pitSetGate(p: Pit, ch: u32, level: bool, now: u64): void {
  if (ch > 2) return;
  const c = chan(p, ch);
  const was = (c.flags & F_GATE) != 0;
  if (was == level) return;
  const m = modeOf(c);
  if (level) {
    c.flags |= F_GATE;
    if ((c.flags & F_LOADED) == 0) return;
    if (m == 0 || m == 4) {
      // Resume: the count carries on from where the low gate held it.
      c.originTsc = now;
      c.flags |= F_RUNNING;
    } else {
      // Modes 1, 2, 3, 5: a rising edge (re)starts the count from N.
      start(c, now);
    }
  } else {
    c.flags &= ~F_GATE;
    // Low GATE pauses modes 0/4 and stops 2/3 (OUT forced high); modes 1/5 ignore it.
    if (m != 1 && m != 5) {
      c.baseClocks = elapsed(p, c, now);
      c.flags &= ~F_RUNNING;
    }
  }
  if (ch == 0) updateIrq(p, now);
}

/** IN of `size` bytes at `offset`: a wide access reads consecutive ports (ISA byte cycles). */
export function pitRead(p: Pit, offset: u32, size: u32, now: u64): u32 {
  if (size != 1 && size != 2 && size != 4) return 0xFFFFFFFF;
  let v: u32 = 0;
  for (let i: u32 = 0; i < size; i++) {
    const off = offset + i;
    // Port 0x43 is write-only on the 8254, and nothing answers past it: the bus floats high.
    v |= (off < 3 ? readCounter(p, chan(p, off), now) : 0xFF) << (i * 8);
  }
  return v;
}

/** OUT of the low `size` bytes of `value`, one port per byte; bytes past 0x43 are dropped. */
export function pitWrite(p: Pit, offset: u32, size: u32, value: u32, now: u64): void {
  if (size != 1 && size != 2 && size != 4) return;
  for (let i: u32 = 0; i < size; i++) {
    const off = offset + i;
    const v = (value >> (i * 8)) & 0xFF;
    if (off == 3) writeControl(p, v, now);
    else if (off < 3) writeCounter(p, chan(p, off), v, now);
  }
  updateIrq(p, now);
}

/** TSC of OUT0's next rising edge (the next IRQ 0), or u64 max when none is coming. */
export function pitNextEvent(p: Pit, now: u64): u64 {
  const c = chan(p, 0);
  if ((c.flags & F_RUNNING) == 0) return U64.MAX_VALUE;
  const n = periodOf(c);
  const e = elapsed(p, c, now);
  const m = modeOf(c);
  let next: u64; // elapsed clocks at the next rising edge not yet delivered
  if (m == 2 || m == 3) {
    const k = e / n;
    if (k > c.reportedEdges) return now; // due but not yet delivered: tick now
    next = (k + 1) * n;
  } else {
    if (c.reportedEdges >= 1) return U64.MAX_VALUE; // one-shot modes: a single edge per load
    next = m <= 1 ? n : n + 1;
    if (e >= next) return now;
  }
  return addSat(c.originTsc, pitToTsc(next - c.baseClocks, p.tscHz));
}

/** Timer service at (or after) pitNextEvent: delivers due OUT0 edges to IRQ 0. */
export function pitTick(p: Pit, now: u64): void {
  updateIrq(p, now);
}
