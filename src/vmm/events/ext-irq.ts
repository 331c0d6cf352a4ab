// External interrupts from an interrupt controller the VMM models (the PC platform's 8259A and
// LAPIC, src/vmm/pc/): acknowledged at the controller only in the VM entry that injects them.
//
// Why: the hardware acknowledges at delivery. The 8259A runs its INTA cycle — IRR → ISR, the
// vector on the bus — only when the CPU takes INTR, which it samples only with RFLAGS.IF = 1
// (8259A data sheet, "Interrupt Sequence"); the LAPIC moves a vector from IRR to ISR when the
// processor core accepts it (SDM Vol 3A §11.8.4, interrupt acceptance for fixed interrupts). Until
// then the vector only stays requested, so a higher-priority request that arrives meanwhile is
// the one delivered, TPR/PPR and IMR changes still apply, and the guest sees no ISR bit for an
// interrupt it has not received. KVM does the same: kvm_cpu_has_injectable_intr asks for an
// interrupt window, kvm_cpu_get_interrupt acknowledges only when injecting.
//
// Per entry, when the controller says an interrupt is waiting (the caller asks it):
//   extIrqOpen(ev)         can an external interrupt be injected now? (SDM Vol 3C §26.3.1.5,
//                          Table 24-3: RFLAGS.IF = 1, no blocking by STI or MOV SS, and no other
//                          event to deliver in this entry)
//   yes: the caller acknowledges at the controller, then extIrqInject(ev, vector, more);
//   no:  extIrqWait(ev): IRQ_WAITING (pending.ts) and the interrupt-window exit (§25.2), which
//        brings the vCPU back as soon as it can take one; nothing is acknowledged.
// When the controller has nothing (any more: masked, TPR raised, request withdrawn): extIrqNone.
//
// Cost: no VMREAD at all when nothing waits; at most three (RFLAGS first: IF = 0 is the usual
// reason to wait) when something does, and no second pass through the event decision of
// inject.ts for the interrupt — it is the only event of its entry, so it goes straight into the
// VM-entry interruption-information field (§24.8.3; no error code, no instruction length for
// type 0). The activity state needs no update: HLT always exits (core-exits.ts onHlt), so the
// guest is never entered in the HLT state here.

import { vmread32, vmreadNat, vmwrite32 } from "../../vmx/vmcs-access";
import { Vmcs32Ctl, Vmcs32Guest, VmcsNatGuest } from "../../vmx/vmcs/fields";
import { IntrType, intrMake, intrValid, BLOCK_STI, BLOCK_MOV_SS, RFLAGS_IF } from "./interruption";
import { EventState, eventsPending, IRQ_WAITING } from "./pending";
import { setWindows, WIN_IRQ } from "./apply";

/**
 * Whether an external interrupt may be injected at this entry. False while another event waits
 * (it goes first, inject.ts; the interrupt's window stays open behind it), while RFLAGS.IF = 0 or
 * STI/MOV-SS blocking holds (§26.3.1.5: entry would fail otherwise), and when something already
 * fills the VM-entry interruption-information field (a handler's own injection). The VMCS of the
 * vCPU must be current.
 */
export function extIrqOpen(ev: EventState): bool {
  if (eventsPending(ev)) return false;
  if ((vmreadNat(VmcsNatGuest.RFLAGS) & RFLAGS_IF) == 0) return false;
  if ((vmread32(Vmcs32Guest.INTERRUPTIBILITY_STATE) & (BLOCK_STI | BLOCK_MOV_SS)) != 0) return false;
  return !intrValid(vmread32(Vmcs32Ctl.ENTRY_INTERRUPTION_INFO));
}

/** The interrupt-window control to match `want` (only a VMCS access when it changes). */
@inline function irqWindow(ev: EventState, want: bool): void {
  if (((ev.windows & WIN_IRQ) != 0) != want) setWindows(ev, want ? ev.windows | WIN_IRQ : ev.windows & ~WIN_IRQ);
}

/**
 * Injects external interrupt `vector`, just acknowledged at its controller, at this entry
 * (extIrqOpen said yes). `more`: the controller has another one for the vCPU even now (an ExtINT
 * from the 8259A is not held back by the LAPIC's PPR): the window stays open for it.
 */
export function extIrqInject(ev: EventState, vector: u32, more: bool): void {
  vmwrite32(Vmcs32Ctl.ENTRY_INTERRUPTION_INFO, intrMake(vector, IntrType.EXTERNAL, false));
  ev.irq = more ? IRQ_WAITING : 0;
  irqWindow(ev, more);
}

/** The guest cannot take the waiting interrupt now: leave it requested, open the window. */
export function extIrqWait(ev: EventState): void {
  ev.irq = IRQ_WAITING;
  irqWindow(ev, true);
}

/**
 * The controller has nothing for the vCPU: forget IRQ_WAITING. An open window is closed by
 * eventsBeforeEntry (apply.ts), which the run loop calls whenever one is open.
 */
@inline export function extIrqNone(ev: EventState): void {
  if (ev.irq == IRQ_WAITING) ev.irq = 0;
}
