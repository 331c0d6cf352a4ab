// Local APIC of one vCPU: the state block, reset, and the IA32_APIC_BASE MSR (0x1B).
// Spec: Intel SDM Vol 3A ch. 11 — §11.4.3 (global enable/disable), §11.4.4 and Figure 11-5
// (IA32_APIC_BASE), §11.4.7.1 (power-up/reset state), §11.12.5 and Figure 11-27 (xAPIC ⇄ x2APIC
// transitions).
//
// The model is split by concern, all over this one state block:
//   lapic-state.ts    this file: layout, reset, APIC base MSR, the 256-bit vector sets
//   lapic-irq.ts      acceptance, priorities (TPR/PPR), pending vector, INTA (ack), EOI, errors
//   lapic-timer.ts    the timer (one-shot, periodic, TSC-deadline) against the TSC `now`
//   lapic-regs.ts     the register file by register index (shared by both views)
//   lapic-mmio.ts     the xAPIC MMIO view (0xFEE00000 page)
//   lapic-x2apic.ts   the x2APIC MSR view (0x800-0x8FF) with its #GP rules
//   lapic-icr.ts      the ICR: IPIs (self-IPIs handled here, the rest returned to the VMM)
//
// Time: `now` is the guest-visible TSC (host TSC + the VMCS TSC offset), the same clock the
// guest writes into IA32_TSC_DEADLINE; the TSC frequency is fixed at creation (lapicInit).
//
// State block (LAPIC_STATE_SIZE = 256 bytes, caller-owned, 8-aligned):
//    0 apicBase u64    8 tscHz u64       16 timerStart u64   24 timerNext u64
//   32 deadline u64   40 timerIndex u64  48 id u32  52 tpr  56 ldr  60 dfr  64 svr  68 esr
//   72 esrPending     76 lvtTimer  80 lvtThermal  84 lvtPerf  88 lvtLint0  92 lvtLint1
//   96 lvtError      100 icrLow  104 icrHigh  108 timerInitial  112 timerDivide (TDCR as written)
//  116 timerStartCount  120 eoiVector (out)  124 flags  128 sendLow (out)  132 sendDest (out)
//  136 IRR (8 × u32, bit v = vector v)   168 ISR (8 × u32)   200 TMR (8 × u32)   232..255 spare

export const LAPIC_STATE_SIZE: u32 = 256;
/**
 * The APIC timer's input clock: 25 MHz, the core crystal clock of Intel server parts. Since
 * Skylake the timer counts the crystal clock, and CPUID 0x15 ECX advertises it (§11.5.4, Vol 2A
 * CPUID leaf 15H); Linux then takes the timer rate from that leaf instead of calibrating it
 * (arch/x86/kernel/tsc.c, lapic_timer_period). lapic-timer.ts builds leaves 0x15/0x16 to match.
 */
export const LAPIC_TIMER_HZ: u64 = 25000000;
/** TSC frequencies the timer arithmetic accepts: ≥ the timer clock (so a timer clock spans at
 *  least one TSC tick) and ≤ 2^36 Hz (68 GHz), so tscHz · LAPIC_TIMER_HZ < 2^61 never overflows. */
const MAX_TSC_HZ: u64 = <u64>1 << 36;
/** The architectural default base (SDM §11.4.1); the MADT and the MMIO bus use it. */
export const LAPIC_DEFAULT_BASE: u64 = 0xFEE00000;
export const LAPIC_MMIO_SIZE: u64 = 0x1000;

// IA32_APIC_BASE (Figure 11-5): bit 8 BSP (RO), bit 10 EXTD (x2APIC mode), bit 11 EN, 12+ base.
export const MSR_IA32_APIC_BASE: u32 = 0x1B;
export const APIC_BASE_BSP: u64 = 1 << 8;
export const APIC_BASE_EXTD: u64 = 1 << 10;
export const APIC_BASE_EN: u64 = 1 << 11;
const APIC_BASE_ADDR_MASK: u64 = 0x000F_FFFF_FFFF_F000;

/** Version register: version 0x14 (integrated APIC), max LVT entry 5 (timer, thermal, perf,
 *  LINT0, LINT1, error: no CMCI LVT), no EOI-broadcast suppression (bit 24 clear). §11.4.8. */
export const LAPIC_VERSION: u32 = 0x0005_0014;

/** The LVT mask bit (§11.5.1, Figure 11-8): set in every LVT at reset. */
export const LVT_MASKED: u32 = 1 << 16;
/** SVR bit 8: APIC software enable (§11.9, Figure 11-23). Reset value 0xFF: disabled. */
export const SVR_ENABLE: u32 = 1 << 8;

/** Set selectors for the 256-bit registers. */
export const SET_IRR: u32 = 0;
export const SET_ISR: u32 = 1;
export const SET_TMR: u32 = 2;
const SETS_OFFSET: usize = 136;

/** flags bits. */
export const FLAG_X2APIC_SUPPORTED: u32 = 1;

@unmanaged export class Lapic {
  apicBase: u64;
  tscHz: u64;
  /** Timer: TSC at which `timerStartCount` was loaded (initial-count write or divide change). */
  timerStart: u64;
  /** Timer: TSC of the next one-shot/periodic expiry not yet delivered; U64.MAX = disarmed. */
  timerNext: u64;
  /** IA32_TSC_DEADLINE (0 = disarmed). */
  deadline: u64;
  /** Timer: which expiry (0-based since timerStart) timerNext is. */
  timerIndex: u64;
  /** Initial APIC ID = x2APIC ID (the xAPIC ID register reads id << 24). */
  id: u32;
  tpr: u32;
  ldr: u32;
  dfr: u32;
  svr: u32;
  /** ESR as last latched by an ESR write (§11.5.3: write before read). */
  esr: u32;
  /** Errors detected since the last ESR write. */
  esrPending: u32;
  lvtTimer: u32;
  lvtThermal: u32;
  lvtPerf: u32;
  lvtLint0: u32;
  lvtLint1: u32;
  lvtError: u32;
  icrLow: u32;
  icrHigh: u32;
  timerInitial: u32;
  timerDivide: u32;
  timerStartCount: u32;
  /** Out: the vector of the last EOI that completed a level-triggered interrupt. */
  eoiVector: u32;
  flags: u32;
  /** Out: the IPI to route after a write returned LapicExit.SEND_IPI (ICR low, status clear). */
  sendLow: u32;
  /** Out: its destination (8-bit xAPIC or 32-bit x2APIC form, see sendWide in lapic-icr.ts). */
  sendDest: u32;
}

/** What a register write asks of the VMM. */
export const enum LapicExit {
  NONE = 0,
  /** An EOI completed the level-triggered vector in `eoiVector`: tell the IOAPIC (ioapicEoi). */
  EOI_LEVEL = 1,
  /** Route the IPI in sendLow/sendDest to the other vCPUs (lapic-icr.ts says how). */
  SEND_IPI = 2,
  /** x2APIC view only: the access raises #GP(0) in the guest; nothing changed. */
  GP = 3,
}

/**
 * Word `i` (0..7) of set `set` (SET_IRR/ISR/TMR). Invariant: the block is LAPIC_STATE_SIZE bytes;
 * set and i are masked so the access stays inside bytes 136..231.
 */
@inline export function vecWordAddr(l: Lapic, set: u32, i: u32): usize {
  return changetype<usize>(l) + SETS_OFFSET + <usize>((set % 3) * 32 + (i & 7) * 4);
}
@inline export function vecWord(l: Lapic, set: u32, i: u32): u32 { return load<u32>(vecWordAddr(l, set, i)); }
@inline function vecWordSet(l: Lapic, set: u32, i: u32, w: u32): void { store<u32>(vecWordAddr(l, set, i), w); }

export function vecTest(l: Lapic, set: u32, v: u32): bool {
  return (vecWord(l, set, (v >> 5) & 7) & (1 << (v & 31))) != 0;
}
export function vecPut(l: Lapic, set: u32, v: u32, on: bool): void {
  const i = (v >> 5) & 7;
  const bit: u32 = 1 << (v & 31);
  const w = vecWord(l, set, i);
  vecWordSet(l, set, i, on ? w | bit : w & ~bit);
}
/** Highest vector in the set, or -1. */
export function vecHighest(l: Lapic, set: u32): i32 {
  for (let i: i32 = 7; i >= 0; i--) {
    const w = vecWord(l, set, <u32>i);
    if (w != 0) return i * 32 + 31 - <i32>clz<u32>(w);
  }
  return -1;
}

/** xAPIC mode (EN, not EXTD)? x2APIC mode (EN and EXTD)? */
@inline export function lapicEnabled(l: Lapic): bool { return (l.apicBase & APIC_BASE_EN) != 0; }
@inline export function lapicX2(l: Lapic): bool {
  return (l.apicBase & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}
@inline export function lapicSwEnabled(l: Lapic): bool { return (l.svr & SVR_ENABLE) != 0; }

/** Register state of power-up/reset (§11.4.7.1), keeping the ID, base MSR and timebase. */
export function lapicResetRegs(l: Lapic): void {
  l.tpr = 0;
  l.ldr = 0;
  l.dfr = 0xFFFFFFFF;
  l.svr = 0xFF;
  l.esr = 0;
  l.esrPending = 0;
  l.lvtTimer = LVT_MASKED;
  l.lvtThermal = LVT_MASKED;
  l.lvtPerf = LVT_MASKED;
  l.lvtLint0 = LVT_MASKED;
  l.lvtLint1 = LVT_MASKED;
  l.lvtError = LVT_MASKED;
  l.icrLow = 0;
  l.icrHigh = 0;
  l.timerInitial = 0;
  l.timerDivide = 0;
  l.timerStartCount = 0;
  l.timerStart = 0;
  l.timerNext = U64.MAX_VALUE;
  l.timerIndex = 0;
  l.deadline = 0;
  l.eoiVector = 0;
  l.sendLow = 0;
  l.sendDest = 0;
  memory.fill(vecWordAddr(l, SET_IRR, 0), 0, 96);
}

/**
 * A vCPU's LAPIC after RESET: xAPIC mode at the default base, `id` its APIC ID (= the vCPU's
 * MADT entry), BSP flag for the boot vCPU. `tscHz` is clamped to [LAPIC_TIMER_HZ, 2^36]
 * (real TSCs are 1-10 GHz).
 */
export function lapicInit(l: Lapic, id: u32, bsp: bool, tscHz: u64, x2apicSupported: bool): void {
  memory.fill(changetype<usize>(l), 0, LAPIC_STATE_SIZE);
  l.tscHz = tscHz < LAPIC_TIMER_HZ ? LAPIC_TIMER_HZ : tscHz > MAX_TSC_HZ ? MAX_TSC_HZ : tscHz;
  l.id = id;
  l.flags = x2apicSupported ? FLAG_X2APIC_SUPPORTED : 0;
  l.apicBase = LAPIC_DEFAULT_BASE | APIC_BASE_EN | (bsp ? APIC_BASE_BSP : 0);
  lapicResetRegs(l);
}

/** x2APIC logical ID (§11.12.10.2): cluster = id[19:4] in bits 31:16, 1 << id[3:0] below. */
@inline export function x2apicLdr(id: u32): u32 { return ((id >> 4) << 16) | (1 << (id & 0xF)); }

/**
 * WRMSR IA32_APIC_BASE. Returns false for #GP: reserved bits (0-7, 9, above MAXPHYADDR), EXTD
 * without x2APIC support, the invalid state (EN=0, EXTD=1), and the illegal transitions of
 * Figure 11-27 (x2APIC → xAPIC, disabled → x2APIC). The BSP bit is read-only. Clearing EN resets
 * the register state (§11.4.3: the APIC state is lost; re-enabling starts from reset values).
 * The base address is not relocatable here: a different address is ignored (the MMIO bus maps
 * the page once; no guest we run relocates it).
 */
export function lapicWriteBase(l: Lapic, value: u64, maxPhysBits: u32): bool {
  const phys: u64 = maxPhysBits >= 52 ? APIC_BASE_ADDR_MASK : ((<u64>1 << maxPhysBits) - 1) & APIC_BASE_ADDR_MASK;
  let allowed: u64 = phys | APIC_BASE_EN | APIC_BASE_BSP;
  if ((l.flags & FLAG_X2APIC_SUPPORTED) != 0) allowed |= APIC_BASE_EXTD;
  if ((value & ~allowed) != 0) return false;
  const en = (value & APIC_BASE_EN) != 0;
  const extd = (value & APIC_BASE_EXTD) != 0;
  if (!en && extd) return false;
  const wasEn = lapicEnabled(l);
  const wasX2 = lapicX2(l);
  if (wasX2 && en && !extd) return false;
  if (!wasEn && en && extd) return false;
  const keep = l.apicBase & (APIC_BASE_BSP | APIC_BASE_ADDR_MASK);
  l.apicBase = keep | (en ? APIC_BASE_EN : 0) | (extd ? APIC_BASE_EXTD : 0);
  if (wasEn && !en) lapicResetRegs(l);
  // xAPIC → x2APIC: the ID becomes the 32-bit x2APIC ID and the LDR is derived from it (§11.12.5.1).
  if (!wasX2 && en && extd) l.ldr = x2apicLdr(l.id);
  return true;
}

export function lapicReadBase(l: Lapic): u64 { return l.apicBase; }
