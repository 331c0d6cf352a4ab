// The interrupt command register: sending IPIs.
// Spec: Intel SDM Vol 3A §11.6.1 (ICR, Figure 11-12: vector 7:0, delivery mode 10:8, destination
// mode 11, delivery status 12, level 14, trigger 15, shorthand 19:18, destination 63:56),
// §11.6.2 (destinations), §11.5.3 (send illegal vector), §11.12.9 (x2APIC ICR: one 64-bit MSR,
// 32-bit destination in 63:32), §11.12.11 (SELF IPI register).
//
// A write is delivered at once (the delivery-status bit always reads idle). Self-IPIs (shorthand
// 01b, and the x2APIC SELF IPI register) are accepted here. Everything else is returned to the
// VMM as LapicExit.SEND_IPI with the command in sendLow and the destination in sendDest; the VMM
// walks its vCPUs and, for each target t with lapicIpiTargets(sender, t) true, calls
// lapicIpiDeliver(t, sender.sendLow) and acts on the LapicDelivery it returns (NMI, INIT, SIPI
// are the VMM's to carry out). "All including self" includes the sender in that walk.

import { Lapic, LapicExit, lapicX2 } from "./lapic-state";
import {
  lapicAccept, lapicDeliver, lapicError, lapicMatchDest, LapicDelivery, ESR_SEND_ILLEGAL_VECTOR,
  DM_FIXED, DM_LOWEST, DM_INIT,
} from "./lapic-irq";

/** ICR low bits software writes (delivery status 12 is read-only; 13, 16-17, 20-31 reserved). */
export const ICR_LOW_WRITABLE: u32 = 0x000CCFFF;
export const ICR_DEST_LOGICAL: u32 = 1 << 11;
export const ICR_LEVEL_ASSERT: u32 = 1 << 14;
export const ICR_TRIGGER_LEVEL: u32 = 1 << 15;
export const SH_NONE: u32 = 0;
export const SH_SELF: u32 = 1;
export const SH_ALL_INCL: u32 = 2;
export const SH_ALL_EXCL: u32 = 3;

@inline export function icrShorthand(low: u32): u32 { return (low >> 18) & 3; }
@inline export function icrMode(low: u32): u32 { return (low >> 8) & 7; }

/**
 * Sends the IPI in `low` (ICR bits 31:0) to `dest` (8-bit xAPIC destination, or the 32-bit x2APIC
 * one when the sender is in x2APIC mode). Records the ICR as the register's new value.
 */
export function lapicIcrSend(l: Lapic, low: u32, dest: u32): LapicExit {
  const cmd = low & ICR_LOW_WRITABLE;
  l.icrLow = cmd;
  const mode = icrMode(cmd);
  const vector = cmd & 0xFF;
  if ((mode == DM_FIXED || mode == DM_LOWEST) && vector < 16) {
    lapicError(l, ESR_SEND_ILLEGAL_VECTOR);
    return LapicExit.NONE;
  }
  // INIT level de-assert (level 0, trigger level): no effect since the Pentium 4 (§11.6.1).
  if (mode == DM_INIT && (cmd & ICR_LEVEL_ASSERT) == 0 && (cmd & ICR_TRIGGER_LEVEL) != 0) return LapicExit.NONE;
  if (icrShorthand(cmd) == SH_SELF) {
    // Self: fixed only is defined; self-IPIs are edge-triggered.
    if (mode == DM_FIXED) lapicAccept(l, vector, false);
    return LapicExit.NONE;
  }
  l.sendLow = cmd;
  l.sendDest = dest;
  return LapicExit.SEND_IPI;
}

/** x2APIC SELF IPI (MSR 0x83F): a fixed, edge-triggered IPI of `vector` to this LAPIC. */
export function lapicSelfIpi(l: Lapic, vector: u32): void {
  const v = vector & 0xFF;
  if (v < 16) {
    lapicError(l, ESR_SEND_ILLEGAL_VECTOR);
    return;
  }
  lapicAccept(l, v, false);
}

/** Whether `target` receives the IPI `sender` last returned as SEND_IPI (shorthand, then dest). */
export function lapicIpiTargets(sender: Lapic, target: Lapic): bool {
  const sh = icrShorthand(sender.sendLow);
  if (sh == SH_ALL_INCL) return true;
  if (sh == SH_ALL_EXCL) return changetype<usize>(target) != changetype<usize>(sender);
  if (sh == SH_SELF) return changetype<usize>(target) == changetype<usize>(sender);
  return lapicMatchDest(target, sender.sendDest, (sender.sendLow & ICR_DEST_LOGICAL) != 0, lapicX2(sender));
}

/** Delivers the IPI command `sendLow` to `target` (fixed IPIs honour the trigger-mode bit). */
export function lapicIpiDeliver(target: Lapic, sendLow: u32): LapicDelivery {
  return lapicDeliver(target, icrMode(sendLow), sendLow & 0xFF, (sendLow & ICR_TRIGGER_LEVEL) != 0);
}
