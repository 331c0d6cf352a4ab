// Local APIC interrupt handling: acceptance into the IRR, priorities, the vector the VMM should
// inject next, the INTA (IRR → ISR), EOI, the error register, destination matching and the
// local interrupt pins LINT0/LINT1.
// Spec: Intel SDM Vol 3A ch. 11 — §11.5.1 (LVT), §11.5.3 (error handling, ESR bits),
// §11.6.2.2 (logical destination mode: flat and cluster models), §11.8.3 (IRR, ISR, TMR),
// §11.8.3.1 (TPR, PPR), §11.8.4 (interrupt acceptance for fixed interrupts), §11.8.5 (EOI),
// §11.12.10 (x2APIC destinations).
//
// The VMM's loop for fixed interrupts: after anything that may have raised one (device sync,
// timer service, IPI), v = lapicPendingVector(l); if v ≥ 0 and the guest can take it (RFLAGS.IF,
// no blocking), inject v and call lapicAck(l, v); else request an interrupt window. The guest's
// EOI write comes back as LapicExit.EOI_LEVEL when the vector was level-triggered.

import {
  Lapic, SET_IRR, SET_ISR, SET_TMR, vecTest, vecPut, vecHighest, lapicEnabled, lapicX2, lapicSwEnabled,
  LVT_MASKED, LapicExit,
} from "./lapic-state";

// ESR bits (§11.5.3, Figure 11-9).
export const ESR_SEND_ILLEGAL_VECTOR: u32 = 1 << 5;
export const ESR_RECEIVE_ILLEGAL_VECTOR: u32 = 1 << 6;
export const ESR_ILLEGAL_REGISTER: u32 = 1 << 7;

// Delivery modes (ICR bits 10:8, LVT bits 10:8, IOAPIC redirection bits 10:8).
export const DM_FIXED: u32 = 0;
export const DM_LOWEST: u32 = 1;
export const DM_SMI: u32 = 2;
export const DM_NMI: u32 = 4;
export const DM_INIT: u32 = 5;
export const DM_SIPI: u32 = 6;
export const DM_EXTINT: u32 = 7;

/** What happened to an interrupt message offered to a LAPIC (lapicDeliver, lapicLint). */
export const enum LapicDelivery {
  /** Fixed/lowest-priority: the vector is now in the IRR (or merged with one already there). */
  ACCEPTED = 0,
  /** Not taken: APIC hardware-disabled, a masked LVT, an illegal vector, SMI, reserved modes. */
  DROPPED = 1,
  /** The VMM injects an NMI into this vCPU. */
  NMI = 2,
  /** The VMM puts this vCPU into wait-for-SIPI (SMP bring-up). */
  INIT = 3,
  /** Start-up IPI: the VMM starts the vCPU at vector << 12 if it waits for SIPI. */
  SIPI = 4,
  /** ExtINT: the VMM takes the vector from the 8259 (picAck) and injects it. */
  EXTINT = 5,
}

/** Processor priority (§11.8.3.1): TPR, or the in-service class when that is higher. */
export function lapicPpr(l: Lapic): u32 {
  const isrv = vecHighest(l, SET_ISR);
  const cls: u32 = isrv < 0 ? 0 : <u32>isrv & 0xF0;
  return (l.tpr & 0xF0) >= cls ? l.tpr & 0xFF : cls;
}

/**
 * Records errors (§11.5.3) and signals the LVT error interrupt when unmasked. An error vector
 * below 16 is itself illegal: it is recorded, not delivered (no recursion).
 */
export function lapicError(l: Lapic, bits: u32): void {
  l.esrPending |= bits;
  if ((l.lvtError & LVT_MASKED) != 0) return;
  const v = l.lvtError & 0xFF;
  if (v < 16) {
    l.esrPending |= ESR_RECEIVE_ILLEGAL_VECTOR;
    return;
  }
  vecPut(l, SET_IRR, v, true);
  vecPut(l, SET_TMR, v, false);
}

/**
 * Accepts a fixed interrupt (§11.8.4): IRR bit set, TMR bit = trigger (1 level). Vectors 0-15
 * are reserved: they raise "receive illegal vector" instead. An APIC that is hardware-disabled
 * takes nothing; a software-disabled one holds what it accepts until it is enabled (§11.4.7.2).
 */
export function lapicAccept(l: Lapic, vector: u32, level: bool): bool {
  if (!lapicEnabled(l)) return false;
  const v = vector & 0xFF;
  if (v < 16) {
    lapicError(l, ESR_RECEIVE_ILLEGAL_VECTOR);
    return false;
  }
  vecPut(l, SET_IRR, v, true);
  vecPut(l, SET_TMR, v, level);
  return true;
}

/** The vector to inject now (highest IRR above the PPR's class), or -1. */
export function lapicPendingVector(l: Lapic): i32 {
  if (!lapicEnabled(l) || !lapicSwEnabled(l)) return -1;
  const v = vecHighest(l, SET_IRR);
  if (v < 0) return -1;
  return (<u32>v & 0xF0) > (lapicPpr(l) & 0xF0) ? v : -1;
}

/** The INTA of an injected vector: IRR → ISR. False (nothing changed) if it was not requested. */
export function lapicAck(l: Lapic, vector: u32): bool {
  const v = vector & 0xFF;
  if (!vecTest(l, SET_IRR, v)) return false;
  vecPut(l, SET_IRR, v, false);
  vecPut(l, SET_ISR, v, true);
  return true;
}

/**
 * EOI (§11.8.5): retires the highest in-service vector. When that vector was accepted
 * level-triggered (TMR), its number goes to `eoiVector` and EOI_LEVEL asks the VMM to pass it
 * to the IOAPIC (no directed-EOI support, so the broadcast always happens).
 */
export function lapicEoi(l: Lapic): LapicExit {
  const v = vecHighest(l, SET_ISR);
  if (v < 0) return LapicExit.NONE;
  vecPut(l, SET_ISR, <u32>v, false);
  if (!vecTest(l, SET_TMR, <u32>v)) return LapicExit.NONE;
  vecPut(l, SET_TMR, <u32>v, false);
  l.eoiVector = <u32>v;
  return LapicExit.EOI_LEVEL;
}

/**
 * Whether this LAPIC is a target of `dest` (§11.6.2, §11.12.10). `wide`: the sender uses 32-bit
 * x2APIC destinations (an x2APIC ICR); otherwise 8-bit ones (xAPIC ICR, IOAPIC, MSI), where 0xFF
 * is the broadcast in both physical and logical mode. Logical mode compares with the LDR: flat
 * model (DFR[31:28] = 1111b) a bit mask; cluster model (0000b) cluster in [7:4], mask in [3:0];
 * x2APIC a 16-bit cluster and 16-bit mask.
 */
export function lapicMatchDest(l: Lapic, dest: u32, logical: bool, wide: bool): bool {
  if (!lapicEnabled(l)) return false;
  if (wide ? dest == 0xFFFFFFFF : (dest & 0xFF) == 0xFF) return true;
  if (lapicX2(l)) {
    if (!logical) return dest == l.id;
    if (!wide) return false;
    return (dest >> 16) == (l.ldr >> 16) && (dest & l.ldr & 0xFFFF) != 0;
  }
  const d = dest & 0xFF;
  if (!logical) return d == (l.id & 0xFF);
  const ld = l.ldr >> 24;
  if ((l.dfr >> 28) == 0xF) return (d & ld) != 0;
  return (d >> 4) == (ld >> 4) && (d & ld & 0xF) != 0;
}

/**
 * Offers an interrupt message to this LAPIC: delivery mode `mode` (DM_*), `vector`, `level`
 * = level-triggered (fixed/lowest only). Lowest priority is accepted like fixed: the VMM's
 * router has already chosen this LAPIC as the target (one vCPU of the set, §11.6.2.4).
 */
export function lapicDeliver(l: Lapic, mode: u32, vector: u32, level: bool): LapicDelivery {
  if (!lapicEnabled(l)) return LapicDelivery.DROPPED;
  switch (mode & 7) {
    case DM_FIXED:
    case DM_LOWEST:
      return lapicAccept(l, vector, level) ? LapicDelivery.ACCEPTED : LapicDelivery.DROPPED;
    case DM_NMI: return LapicDelivery.NMI;
    case DM_INIT: return LapicDelivery.INIT;
    case DM_SIPI: return LapicDelivery.SIPI;
    case DM_EXTINT: return LapicDelivery.EXTINT;
  }
  return LapicDelivery.DROPPED; // SMI (no SMM here) and the reserved modes 011b, 111b
}

/**
 * Whether the 8259's INTR reaches this CPU (the "virtual wire" of MP spec §3.6.2.2): the APIC is
 * hardware-disabled (INTR goes straight to the core), or LVT LINT0 is unmasked with delivery
 * mode ExtINT. The BSP's LINT0 is wired to the 8259; APs' are not (the VMM asks only the BSP).
 */
export function lapicAcceptsPicIntr(l: Lapic): bool {
  if (!lapicEnabled(l)) return true;
  return (l.lvtLint0 & LVT_MASKED) == 0 && ((l.lvtLint0 >> 8) & 7) == DM_EXTINT;
}

/**
 * A rising edge (or asserted level) on LINT0 (pin 0) or LINT1 (pin 1), as programmed in its LVT:
 * fixed → the vector is accepted (trigger mode from LVT bit 15), NMI → NMI, ExtINT → EXTINT.
 * Masked, hardware-disabled, or other modes (SMI, INIT, reserved) → DROPPED.
 */
export function lapicLint(l: Lapic, pin: u32): LapicDelivery {
  if (!lapicEnabled(l)) return LapicDelivery.DROPPED;
  const lvt = pin == 0 ? l.lvtLint0 : l.lvtLint1;
  if ((lvt & LVT_MASKED) != 0) return LapicDelivery.DROPPED;
  const mode = (lvt >> 8) & 7;
  if (mode == DM_FIXED) {
    return lapicAccept(l, lvt & 0xFF, (lvt & (1 << 15)) != 0) ? LapicDelivery.ACCEPTED : LapicDelivery.DROPPED;
  }
  if (mode == DM_NMI) return LapicDelivery.NMI;
  if (mode == DM_EXTINT) return LapicDelivery.EXTINT;
  return LapicDelivery.DROPPED;
}
