// The exit path inside hw_vmrun (boot/vmrun.asm): after a VM exit has stored the guest's registers,
// hw_vmrun calls `vmm_exit` (exported by main.ts) before it returns to the run loop. For the
// exits guests take in loops — CPUID, port I/O, MMIO (EPT violation) — this handles the exit
// through the dispatch table and, when nothing else needs deciding before the next entry, tells
// hw_vmrun to re-enter at once: no return through the run loop, no callee-saved register
// round trip, no re-checks the run loop does per entry. Everything else returns to the run loop
// (src/vmm/run.ts), which treats an exit handled here exactly as one it dispatched itself.
//
// For CPUID and I/O exits hw_vmrun first tries a lite entry (src/vmm/exit-lite.ts: a CPUID cache
// hit, IN/OUT of an unassigned port) with fewer registers saved; what it refuses comes here. An
// IN/OUT of a device's port (the I/O exits real guests take) takes a direct path: the access
// (exits/io.ts ioPortDirect, as onIoInstruction does it), the checks below, and EXIT_FAST_SKIP:
// hw_vmrun completes the instruction as after a lite answer, cheaper than skipInstruction's VMREAD
// call plus the RIP write-back and the full GPR reload.
//
// Re-entering directly is sound only when the run loop would do nothing before the next entry:
//   - the slice allows it (VCpu.fastExt, set by runVcpu: no PC platform to update before each
//     entry, no slice deadline to check on the TSC; the vCPU's emulation block and the VM's
//     platform exist);
//   - the handler said Resume, the VM runs and the vCPU is runnable (the run loop's own test);
//   - no event waits for injection and no window exit is open (events/apply.ts would run);
//   - no EPT change awaits INVEPT (run.ts inveptVm).
// CR2 is reloaded by hw_vmrun only on its way in from the run loop: a handler that sets a guest
// CR2 (a #PF injection, exits/guest.ts raisePageFault) also queues the #PF, so it never re-enters
// from here.

import { VCpu } from "../vmx/vcpu";
import { ExitReason } from "../vmx/exit-reasons";
import { EPT_FLAG_INVEPT_NEEDED } from "../ept/table";
import { VCpuState } from "../sched/state";
import { ExitAction } from "./exits/action";
import { exitTable } from "./dispatch";
import { onCpuid } from "./core-exits";
import { onIoInstruction, ioPortDirect } from "./exits/io";
import { skipInstruction } from "./exits/guest";
import { onEptViolation } from "./exits/ept";
import { extEventsReady } from "./exits/vcpu-ext";
import { eventsPending } from "./events/pending";
import { Vm, VmState, vmCountExit } from "./vm";

/** vmm_exit's answers to hw_vmrun. */
export const EXIT_FAST_RESUME: u32 = 0;
export const EXIT_FAST_RETURN: u32 = 1;
/**
 * Enter the guest again now, after hw_vmrun has completed the instruction the core performed, as
 * it does after a lite entry's answer (boot/vmrun.asm .lite_resume: GUEST_RIP += the instruction
 * length in the VMCS, STI/MOV-SS blocking cleared; ripCache left stale with ripDirty = 0). Only
 * when the handler changed neither RIP (ripDirty = 0) nor the block's rbx, rbp, r12–r15: hw_vmrun
 * reloads only the caller-saved GPRs (the others are still in the registers).
 */
export const EXIT_FAST_SKIP: u32 = 2;

/**
 * Called by hw_vmrun after every VM exit of `vcpu` (its register block, EXIT_REASON, RIP and
 * instruction length stored). EXIT_FAST_RESUME: enter the guest again now. EXIT_FAST_RETURN:
 * return to the run loop; `vcpu.fastAction` says whether the exit was handled here (ExitAction
 * + 1) or is still to be dispatched (0).
 *
 * The handlers are called directly rather than through the dispatch table's call_indirect (a
 * third of this path's cost): exitFastCheckTable, run at start-up, proves that the table holds
 * exactly these handlers for these reasons, so both ways reach the same code. Written as a chain
 * of early returns: each test is one compare-and-branch in the generated code.
 */
export function vmmExit(vcpu: VCpu): u32 {
  if (vcpu.fastExt == 0) return EXIT_FAST_RETURN;
  const reason = vcpu.exitReason; // full EXIT_REASON: an entry failure (bit 31) matches none below
  const vm = changetype<Vm>(vcpu.vm);
  let action: ExitAction;
  // I/O first: the CPUID exits that come here are cache misses (hits end in the lite entry).
  if (reason == ExitReason.IO_INSTRUCTION) {
    vmCountExit(vm, ExitReason.IO_INSTRUCTION);
    // IN/OUT: the port access here, the completion of the instruction by hw_vmrun (one VMWRITE
    // and a VMREAD there, instead of the core's skipInstruction and the RIP write-back) when the
    // guest can be re-entered at once; otherwise completed here, as onIoInstruction would have.
    if (ioPortDirect(vcpu, vm)) {
      if (mayReenter(vcpu, vm)) return EXIT_FAST_SKIP;
      skipInstruction(vcpu);
      return fastReturn(vcpu, ExitAction.Resume);
    }
    action = onIoInstruction(vcpu); // INS/OUTS, reserved size
  } else if (reason == ExitReason.CPUID) {
    vmCountExit(vm, ExitReason.CPUID);
    // CPUID changes only the vCPU's registers, RIP and CPUID cache: it cannot stop the VM, make
    // the vCPU unrunnable, queue an event or change the EPT, so none of the checks below apply.
    // A hit in the vCPU's answer cache was answered by hw_vmrun's lite entry (exit-lite.ts): what
    // comes here is a miss, which onCpuid answers from the policy and caches.
    action = onCpuid(vcpu);
    if (action == ExitAction.Resume) return EXIT_FAST_RESUME;
    return fastReturn(vcpu, action);
  } else if (reason == ExitReason.EPT_VIOLATION) {
    vmCountExit(vm, ExitReason.EPT_VIOLATION);
    action = onEptViolation(vcpu);
  } else {
    return EXIT_FAST_RETURN;
  }
  if (action != ExitAction.Resume) return fastReturn(vcpu, action);
  if (!mayReenter(vcpu, vm)) return fastReturn(vcpu, action);
  return EXIT_FAST_RESUME;
}

/**
 * After a handler's Resume: whether the run loop would do nothing before the next entry (see
 * the header): the VM runs, the vCPU is runnable, no INVEPT awaits, no window exit is open and no
 * event waits for injection.
 */
@inline function mayReenter(vcpu: VCpu, vm: Vm): bool {
  if (vm.state != VmState.RUNNING) return false;
  if (vcpu.state != VCpuState.RUNNABLE) return false;
  if ((vm.eptFlags & EPT_FLAG_INVEPT_NEEDED) != 0) return false;
  const ev = extEventsReady(vcpu); // vcpu.ext != 0: fastExt is ext (run.ts)
  if (ev.windows != 0) return false;
  return !eventsPending(ev);
}

/** Hands a handled exit to the run loop (run.ts reads vcpu.fastAction). */
function fastReturn(vcpu: VCpu, action: ExitAction): u32 {
  vcpu.fastAction = <u32>action + 1;
  return EXIT_FAST_RETURN;
}

/** Start-up check: the dispatch table has exactly vmmExit's handlers for its reasons (see above). */
export function exitFastCheckTable(): void {
  const t = exitTable();
  assert(t.slotOf(ExitReason.CPUID) == changetype<usize>(onCpuid) &&
    t.slotOf(ExitReason.IO_INSTRUCTION) == changetype<usize>(onIoInstruction) &&
    t.slotOf(ExitReason.EPT_VIOLATION) == changetype<usize>(onEptViolation),
    "exit-fast: the dispatch table and vmmExit disagree on a handler");
}
