// A vCPU's events waiting for injection. Handlers and device models queue them here; the decision
// (inject.ts) picks one per VM entry. Caller-owned, 32 bytes (one per vCPU):
//
//   +0 reinject (u32)   IDT-vectoring information of the last exit, as an interruption-info word:
//                       an event whose delivery the exit interrupted, to be delivered again
//                       (SDM Vol 3C §27.2.4; §26.6.1: it goes back in VM-entry interruption info)
//   +4 reinjectError    its error code (IDT-vectoring error code, §24.9.3)
//   +8 reinjectLength   its instruction length (VM-exit instruction length: types 4, 5, 6)
//   +12 exception (u32) a hardware exception raised by the VMM, as an interruption-info word
//   +16 exceptionError  its error code
//   +20 nmi (u32)       1: an NMI is pending
//   +24 irq (u32)       bit 31 set: external interrupt pending (already acknowledged at its
//                       controller), vector in bits 7:0; or bit 30 alone (IRQ_WAITING): an
//                       interrupt controller the VMM models has one for this vCPU, not yet
//                       acknowledged because the guest cannot take it now (ext-irq.ts); it
//                       keeps the interrupt window open but is nothing to inject
//   +28 windows (u32)   window exits requested in the VMCS now (apply.ts: bit 0 interrupt,
//                       bit 1 NMI), so an entry with nothing pending needs no VMREAD

import {
  INTR_VALID, IntrType, intrMake, intrValid, intrVector, intrType, exceptionHasErrorCode,
  combineExceptions, Combine, Vec,
} from "./interruption";

export const EVENT_STATE_SIZE: u32 = 32;

/**
 * EventState.irq bit 30: an interrupt waits at a modelled interrupt controller (IRR), to be
 * acknowledged only in the entry that injects it (ext-irq.ts). Not INTR_VALID: eventsPending
 * does not count it, the window logic (apply.ts, inject.ts) does.
 */
export const IRQ_WAITING: u32 = 1 << 30;

@unmanaged export class EventState {
  reinject: u32;
  reinjectError: u32;
  reinjectLength: u32;
  exception: u32;
  exceptionError: u32;
  nmi: u32;
  irq: u32;
  windows: u32;
}

export function eventsReset(ev: EventState): void {
  memory.fill(changetype<usize>(ev), 0, EVENT_STATE_SIZE);
}

/**
 * Queues hardware exception `vector` with `errorCode` (used only for vectors that have one).
 * A second exception while one is queued follows the double-fault rules (SDM Vol 3A §6.15):
 * returns false when the result is a triple fault (the caller stops the VM).
 */
export function queueException(ev: EventState, vector: u32, errorCode: u32): bool {
  if (intrValid(ev.exception)) {
    const c = combineExceptions(intrVector(ev.exception), vector);
    if (c == Combine.TRIPLE_FAULT) return false;
    if (c == Combine.DOUBLE_FAULT) { vector = Vec.DF; errorCode = 0; }
  }
  ev.exception = intrMake(vector, IntrType.HW_EXCEPTION, exceptionHasErrorCode(vector));
  ev.exceptionError = exceptionHasErrorCode(vector) ? errorCode : 0;
  return true;
}

export function queueNmi(ev: EventState): void { ev.nmi = 1; }

/**
 * Queues external interrupt `vector`, already acknowledged by whoever raised it (one outstanding).
 * Interrupts of a modelled interrupt controller go through ext-irq.ts instead, which acknowledges
 * them only when they can be injected.
 */
export function queueIrq(ev: EventState, vector: u32): void { ev.irq = INTR_VALID | (vector & 0xFF); }

/**
 * Records the IDT-vectoring information of an exit (§27.2.4). `info` without the valid bit means
 * the exit did not interrupt an event delivery: nothing new to re-inject (an interrupt kept from
 * an earlier exit, see inject.ts, stays).
 */
export function recordVectoring(ev: EventState, info: u32, errorCode: u32, instrLength: u32): void {
  if (!intrValid(info)) return;
  // Bits 30:12 are not part of the entry format (bit 12 is undefined in IDT-vectoring info).
  ev.reinject = info & (INTR_VALID | 0xFFF);
  ev.reinjectError = errorCode;
  ev.reinjectLength = instrLength;
}

/**
 * Whether anything waits (re-injection, exception, NMI or interrupt). The run loop asks before
 * every VM entry, so it is one expression without branches: the three interruption words share
 * their valid bit (INTR_VALID, bit 31), and `nmi` is non-zero exactly when an NMI waits.
 * IRQ_WAITING alone is not pending: nothing is injected for it, only its window stays open.
 */
@inline export function eventsPending(ev: EventState): bool {
  return (((ev.reinject | ev.exception | ev.irq) & INTR_VALID) | ev.nmi) != 0;
}

/** Whether the re-injection event is a hardware exception (for the double-fault rules). */
@inline export function reinjectIsException(ev: EventState): bool {
  return intrValid(ev.reinject) && intrType(ev.reinject) == IntrType.HW_EXCEPTION;
}
