// The event-injection decision made before every VM entry: a pure function of the vCPU's pending
// events (pending.ts), RFLAGS, the guest interruptibility state, the activity state and CR0.PE.
// It says what to write to the VM-entry interruption-information, exception error code and
// instruction length fields (SDM Vol 3C §24.8.3, §26.6), and whether to ask for an interrupt-
// or NMI-window exit (§25.2) because an event cannot be delivered yet.
//
// Priority: (1) the event an exit interrupted (IDT-vectoring info, §27.2.4) is delivered again
// first; a hardware exception the VMM raised in the meantime is combined with it by the double-
// fault rules (Vol 3A §6.15), and an external interrupt or NMI is kept for a later entry rather
// than lost; (2) exceptions, which RFLAGS.IF and the STI/MOV-SS shadows do not hold back;
// (3) NMI, unless blocked by NMI, STI or MOV SS (§26.3.1.5: entry with NMI injection under
// MOV-SS blocking fails; STI blocking may block NMIs, §24.4.2 Table 24-3); (4) the external
// interrupt, only with RFLAGS.IF = 1 and no STI/MOV-SS blocking (§26.3.1.5 checks exactly that).
// An interrupt that waits unacknowledged at a modelled controller (IRQ_WAITING, ext-irq.ts) is
// never injected here; it only keeps the interrupt window open behind whatever is.

import {
  IntrType, intrValid, intrType, intrVector, intrMake, intrNeedsLength, intrHasErrorCode,
  combineExceptions, Combine, Vec, BLOCK_STI, BLOCK_MOV_SS, BLOCK_NMI, RFLAGS_IF, INTR_VALID,
} from "./interruption";
import { EventState, IRQ_WAITING } from "./pending";

export const enum EntryAction {
  /** Nothing injected (the window fields may still ask for an exit). */
  NONE = 0,
  /** Write info/error/length to the VM-entry fields. */
  INJECT = 1,
  /** A fault while delivering a double fault: the guest shuts down; the VMM stops the VM. */
  TRIPLE_FAULT = 2,
}

/** Guest activity state (§24.4.2 Table 24-4). */
export const enum Activity { ACTIVE = 0, HLT = 1, SHUTDOWN = 2, WAIT_FOR_SIPI = 3 }

/**
 * The decision, caller-owned (one per vCPU), 32 bytes:
 *   +0 action  +4 info  +8 error  +12 length  +16 interruptibility (value to write back)
 *   +20 irqWindow  +24 nmiWindow  +28 wake (1: set the activity state to ACTIVE)
 */
@unmanaged export class EntryDecision {
  action: u32;
  info: u32;
  error: u32;
  length: u32;
  interruptibility: u32;
  irqWindow: u32;
  nmiWindow: u32;
  wake: u32;
}

/**
 * Fills `out` and consumes the injected event from `ev`. `cr0Pe`: with an unrestricted guest in
 * real mode (CR0.PE = 0) no error code may be delivered (§26.2.1.3).
 */
export function decideEntry(
  ev: EventState, rflags: u64, interruptibility: u32, activity: u32, cr0Pe: bool, out: EntryDecision,
): EntryAction {
  out.action = EntryAction.NONE;
  out.info = 0;
  out.error = 0;
  out.length = 0;
  out.interruptibility = interruptibility;
  out.irqWindow = 0;
  out.nmiWindow = 0;
  out.wake = 0;

  if (intrValid(ev.reinject)) {
    if (!intrValid(ev.exception)) {
      const info = ev.reinject;
      // An external interrupt still needs IF = 1 and no STI/MOV-SS shadow (§26.3.1.4,
      // §26.3.1.5): true when the exit interrupted its delivery, not always after it waited
      // behind an exception (below); then it waits for the window.
      if (intrType(info) == IntrType.EXTERNAL && !irqDeliverable(rflags, interruptibility)) {
        out.irqWindow = 1;
        return EntryAction.NONE;
      }
      emit(out, info, ev.reinjectError, intrNeedsLength(intrType(info)) ? ev.reinjectLength : 0, cr0Pe, activity);
      // The NMI's delivery never completed, so blocking by NMI was not established (§27.2.3).
      if (intrType(info) == IntrType.NMI) out.interruptibility &= ~BLOCK_NMI;
      ev.reinject = 0;
      return finish(ev, out);
    }
    const t = intrType(ev.reinject);
    if (t == IntrType.HW_EXCEPTION) {
      const c = combineExceptions(intrVector(ev.reinject), intrVector(ev.exception));
      if (c == Combine.TRIPLE_FAULT) {
        ev.reinject = 0;
        ev.exception = 0;
        out.action = EntryAction.TRIPLE_FAULT;
        return EntryAction.TRIPLE_FAULT;
      }
      if (c == Combine.DOUBLE_FAULT) {
        ev.exception = intrMake(Vec.DF, IntrType.HW_EXCEPTION, true);
        ev.exceptionError = 0;
      }
      ev.reinject = 0;
    } else if (t != IntrType.EXTERNAL && t != IntrType.NMI) {
      // A software interrupt/exception: its instruction runs again after the new exception.
      ev.reinject = 0;
    }
    // An external interrupt or NMI stays in `reinject` for a later entry.
  }

  if (intrValid(ev.exception)) {
    emit(out, ev.exception, ev.exceptionError, 0, cr0Pe, activity);
    ev.exception = 0;
    return finish(ev, out);
  }
  if (ev.nmi != 0) {
    if ((interruptibility & (BLOCK_NMI | BLOCK_STI | BLOCK_MOV_SS)) != 0) {
      out.nmiWindow = 1;
    } else {
      emit(out, intrMake(Vec.NMI, IntrType.NMI, false), 0, 0, cr0Pe, activity);
      ev.nmi = 0;
    }
    return finish(ev, out);
  }
  if ((ev.irq & INTR_VALID) != 0) {
    if (irqDeliverable(rflags, interruptibility)) {
      emit(out, intrMake(ev.irq & 0xFF, IntrType.EXTERNAL, false), 0, 0, cr0Pe, activity);
      ev.irq = 0;
    } else {
      out.irqWindow = 1;
    }
  } else if ((ev.irq & IRQ_WAITING) != 0) {
    out.irqWindow = 1;
  }
  return finish(ev, out);
}

/** External interrupts may be injected: RFLAGS.IF = 1, no STI or MOV-SS blocking (§26.3.1.5). */
@inline function irqDeliverable(rflags: u64, interruptibility: u32): bool {
  return (rflags & RFLAGS_IF) != 0 && (interruptibility & (BLOCK_STI | BLOCK_MOV_SS)) == 0;
}

function emit(out: EntryDecision, info: u32, error: u32, length: u32, cr0Pe: bool, activity: u32): void {
  let word = info;
  // Only hardware exceptions deliver error codes, and never in real mode (§26.2.1.3).
  if (intrType(word) != IntrType.HW_EXCEPTION || !cr0Pe) word &= ~(<u32>1 << 11);
  out.action = EntryAction.INJECT;
  out.info = word;
  out.error = intrHasErrorCode(word) ? error : 0;
  out.length = length;
  // §26.3.1.5 allows few event types into the HLT state; an injected event wakes the vCPU.
  if (activity != Activity.ACTIVE) out.wake = 1;
}

/** After an injection (or none): ask for a window exit for whatever still waits behind it. */
function finish(ev: EventState, out: EntryDecision): EntryAction {
  if (out.action == EntryAction.INJECT) {
    if ((ev.irq & (INTR_VALID | IRQ_WAITING)) != 0 || intrValid(ev.reinject)) out.irqWindow = 1;
    if (ev.nmi != 0) out.nmiWindow = 1;
  }
  return <EntryAction>out.action;
}
