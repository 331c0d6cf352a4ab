// Event injection against the VMCS: after every VM exit the IDT-vectoring information is kept
// for re-injection (SDM Vol 3C §27.2.4), before every VM entry the decision of inject.ts is
// written to the VM-entry interruption fields (§24.8.3) and the interrupt-/NMI-window exiting
// controls are set or cleared (§24.6.2, §25.2). The VMCS of `vcpu` must be current.
//
// Both are idempotent within one exit, so a handler may call eventsBeforeEntry itself (to make
// an injection it just queued take effect) and the run loop may call it again before the entry.

import { hw_cpu_index } from "../../hw";
import { VCpu } from "../../vmx/vcpu";
import { vmread32, vmreadNat, vmwrite32 } from "../../vmx/vmcs-access";
import { Vmcs32Ctl, Vmcs32Guest, Vmcs32Ro, VmcsNatGuest } from "../../vmx/vmcs/fields";
import { PROC_INTERRUPT_WINDOW_EXITING, PROC_NMI_WINDOW_EXITING } from "../../vmx/vmcs/controls";
import { vmxControls } from "../../vmx/vmx-cpu";
import { intrValid, INTR_VALID } from "./interruption";
import { EventState, eventsPending, recordVectoring, IRQ_WAITING } from "./pending";
import { EntryAction, decideEntry } from "./inject";
import { exitsVcpuReady, extFits, extEvents, extDecision } from "../exits/vcpu-ext";

const CR0_PE: u64 = 1;

/**
 * After a VM exit: remember an event whose delivery the exit interrupted (§27.2.4). Called by
 * handlerEnter (src/vmm/exits/setup.ts) right after exitsVcpuReady succeeded, so only the slab
 * bound is checked here (the block stays in the slab whatever the index; see vcpu-ext.ts).
 */
export function eventsAfterExit(vcpu: VCpu): void {
  if (!extFits(vcpu)) return;
  const info = vmread32(Vmcs32Ro.IDT_VECTORING_INFO);
  if (!intrValid(info)) return; // the common case: one VMREAD
  recordVectoring(extEvents(vcpu), info, vmread32(Vmcs32Ro.IDT_VECTORING_ERROR_CODE),
    vmread32(Vmcs32Ro.EXIT_INSTRUCTION_LENGTH));
}

export const WIN_IRQ: u32 = 1;
export const WIN_NMI: u32 = 2;

/**
 * Makes the interrupt-/NMI-window exiting controls say `want` (WIN_* bits; NMI only where the CPU
 * allows the control) and remembers it in `ev.windows`. One VMREAD and at most one VMWRITE.
 */
export function setWindows(ev: EventState, want: u32): void {
  const dynamic = vmxControls(hw_cpu_index()).procDynamic;
  if ((dynamic & PROC_NMI_WINDOW_EXITING) == 0) want &= ~WIN_NMI;
  const proc = vmread32(Vmcs32Ctl.PROC_BASED_CONTROLS);
  let next = proc & ~(PROC_INTERRUPT_WINDOW_EXITING | PROC_NMI_WINDOW_EXITING);
  if ((want & WIN_IRQ) != 0) next |= PROC_INTERRUPT_WINDOW_EXITING;
  if ((want & WIN_NMI) != 0) next |= PROC_NMI_WINDOW_EXITING;
  if (next != proc) vmwrite32(Vmcs32Ctl.PROC_BASED_CONTROLS, next);
  ev.windows = want;
}

/**
 * Before a VM entry: injects the next event, or asks for the window exit that lets it in later.
 * Returns false when the pending events amount to a triple fault (the caller stops the VM).
 */
export function eventsBeforeEntry(vcpu: VCpu): bool {
  if (!exitsVcpuReady(vcpu)) return true;
  const ev = extEvents(vcpu);
  if (!eventsPending(ev)) {
    // Nothing to inject: the common case costs no VMREAD when the windows are already as wanted.
    // An interrupt waiting unacknowledged at its controller (IRQ_WAITING, ext-irq.ts) keeps the
    // interrupt window open.
    const want = (ev.irq & IRQ_WAITING) != 0 ? WIN_IRQ : 0;
    if (ev.windows != want) setWindows(ev, want);
    return true;
  }
  // Something is already being injected in this entry (by an earlier call, or a handler that wrote
  // the field itself): keep it; what waits gets a window exit.
  if (intrValid(vmread32(Vmcs32Ctl.ENTRY_INTERRUPTION_INFO))) {
    const irq = (ev.irq & (INTR_VALID | IRQ_WAITING)) != 0 || intrValid(ev.reinject);
    setWindows(ev, (irq ? WIN_IRQ : 0) | (ev.nmi != 0 ? WIN_NMI : 0));
    return true;
  }
  const d = extDecision(vcpu);
  const intr = vmread32(Vmcs32Guest.INTERRUPTIBILITY_STATE);
  const action = decideEntry(ev, vmreadNat(VmcsNatGuest.RFLAGS), intr, vmread32(Vmcs32Guest.ACTIVITY_STATE),
    (vmreadNat(VmcsNatGuest.CR0) & CR0_PE) != 0, d);
  if (action == EntryAction.TRIPLE_FAULT) return false;
  if (action == EntryAction.INJECT) {
    vmwrite32(Vmcs32Ctl.ENTRY_EXCEPTION_ERROR_CODE, d.error);
    vmwrite32(Vmcs32Ctl.ENTRY_INSTRUCTION_LENGTH, d.length);
    vmwrite32(Vmcs32Ctl.ENTRY_INTERRUPTION_INFO, d.info);
    if (d.interruptibility != intr) vmwrite32(Vmcs32Guest.INTERRUPTIBILITY_STATE, d.interruptibility);
    if (d.wake != 0) vmwrite32(Vmcs32Guest.ACTIVITY_STATE, 0);
  }
  // Without NMI-window exiting (an optional control) a blocked NMI waits for the next exit of any
  // kind; the interrupt window would not do: it opens while NMIs are still blocked, and would exit
  // on every entry until the guest's IRET.
  setWindows(ev, (d.irqWindow != 0 ? WIN_IRQ : 0) | (d.nmiWindow != 0 ? WIN_NMI : 0));
  return true;
}
