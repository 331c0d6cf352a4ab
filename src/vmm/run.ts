// The run loop on one physical CPU: pick a vCPU (src/sched/policy.ts), make its VMCS current,
// arm the VMX-preemption timer for its slice, then `hw_vmrun → dispatch the exit → hw_vmrun`
// until the handler yields, the slice ends or the VM stops. A VM that fails its entry, trips an
// unhandled exit or misbehaves is stopped alone; the loop goes on with the others. When no vCPU
// can run any more, a summary line per VM is printed and the loop returns.

import { hw_vmrun, hw_cpu_index, hw_rdtsc, hw_invept } from "../hw";
import { EPT_FLAG_INVEPT_NEEDED, eptTakeInveptNeeded, eptPointerOf } from "../ept/table";
import { EPTCAP_INVEPT_SINGLE_CONTEXT } from "../ept/entry";
import { VCpu } from "../vmx/vcpu";
import { vmread32, vmreadNat, vmwrite32 } from "../vmx/vmcs-access";
import { Vmcs32Ro, Vmcs32Guest, VmcsNatRo } from "../vmx/vmcs/fields";
import { EXIT_REASON_COUNT, basicExitReason, isEntryFailure, exitReasonName, ExitReason } from "../vmx/exit-reasons";
import { vmInstructionErrorText, vmFailText, entryFailureText, guestStateQualText } from "../vmx/entry-failure";
import { vmxCpu, vmxCaps, vmxControls, vmxLoadVmcs } from "../vmx/vmx-cpu";
import { EXIT_SAVE_PREEMPTION_TIMER } from "../vmx/vmcs/controls";
import { VCpuState } from "../sched/state";
import { pickNext, countInState, preemptionTimerValue, PICK_NONE } from "../sched/policy";
import { ExitAction } from "./exits/action";
import { exitTable, callExitHandler } from "./dispatch";
import { print, printDec, println } from "./console/print";
import { Vm, VmState, vmOf, vmCount, vmAt, vmCountExit, vmExitCount, vmExitsTotal, stopVmBegin, stopVmEnd, printVmPrefix, vmConsoleFlush } from "./vm";
import { vcpuAt, vcpuCount } from "./vm-setup";
import { eventsBeforeEntry } from "./events/apply";
import { fpuSwitchTo } from "./fpu";
import { guestMsrsSwitchTo } from "./guest-msrs";
import { guestDrSwitchTo } from "./guest-dr";
import { eventsPending } from "./events/pending";
import { exitsVcpuReady, extEvents } from "./exits/vcpu-ext";
import { VCPU_SIZE } from "../vmx/vcpu";
import { pcBlock } from "./pc/pc";
import { platformReady } from "./devices/platform";
import { pcBeforeEntry, pcWakeHalted, pcWaitForEvent } from "./pc/pc-run";

const MAX_STATES: u32 = 8;
/** INVEPT types (SDM Vol 3C §30.3 INVEPT). */
const INVEPT_SINGLE_CONTEXT: u32 = 1;
const INVEPT_ALL_CONTEXT: u32 = 2;
const STATES: usize = memory.data(<i32>(MAX_STATES * 4), 16);

/** Copies every vCPU's state into the policy's array. */
function snapshotStates(n: u32): void {
  for (let i: u32 = 0; i < n; i++) store<u32>(STATES + (<usize>i << 2), vcpuAt(i).state);
}

/** hw_vmrun returned 1 or 2: VMLAUNCH/VMRESUME itself failed (§30.4). */
function stopOnVmFail(vcpu: VCpu, status: u32): void {
  stopVmBegin(vmOf(vcpu));
  print(vcpu.launched != 0 ? "VMRESUME failed: " : "VMLAUNCH failed: ");
  print(vmFailText(status));
  if (status == 2) {
    const err = vmread32(Vmcs32Ro.VM_INSTRUCTION_ERROR);
    print(", VM-instruction error ");
    printDec(err);
    print(" (");
    print(vmInstructionErrorText(err));
    print(")");
  }
  stopVmEnd(vcpu);
}

/** An exit with EXIT_REASON bit 31: the guest-state/MSR-load checks failed (§26.8, §27.8). */
function stopOnEntryFailure(vcpu: VCpu): void {
  const basic = basicExitReason(vcpu.exitReason);
  const qual = vmreadNat(VmcsNatRo.EXIT_QUALIFICATION);
  stopVmBegin(vmOf(vcpu));
  print(entryFailureText(basic));
  print(" (exit reason ");
  printDec(basic);
  if (basic == ExitReason.ENTRY_FAIL_GUEST_STATE) {
    print(": ");
    print(guestStateQualText(qual));
  } else if (basic == ExitReason.ENTRY_FAIL_MSR_LOADING) {
    print(": MSR-load entry ");
    printDec(qual);
  }
  print(")");
  stopVmEnd(vcpu);
}

/**
 * Runs `vcpu` (its VMCS current) until it yields, stops or its slice ends. The preemption timer
 * was armed by the caller; with "save VMX-preemption timer value" (`savesTimer`, an exit
 * control) the remaining count carries across the exits of the slice (§26.5.1, §27.3.2).
 */
function runVcpu(vcpu: VCpu, savesTimer: bool, rate: u32, alone: bool): void {
  const table = exitTable();
  const vm = vmOf(vcpu);
  // A Linux VM's PC platform (src/vmm/pc/) re-arms the timer before every entry for its next
  // device event, so its slice is always measured on the TSC. A PC vCPU that is the only one
  // left (every other is DONE) has no one to give the CPU to: its slice does not end, and the
  // preemption timer fires only for its own device events.
  const pc = pcBlock(vm);
  // Without the "save VMX-preemption timer value" exit control every entry restarts the timer, so
  // a guest that exits more often than once a slice would never be preempted: the slice is then
  // measured on the TSC here instead.
  const sliceEnd = pc != 0 && alone ? u64.MAX_VALUE : hw_rdtsc() + vcpu.sliceTicks;
  const deadline = savesTimer && pc == 0 ? u64.MAX_VALUE : sliceEnd;
  // The vCPU's event state (src/vmm/exits/vcpu-ext.ts), located once per slice rather than per exit.
  const evReady = exitsVcpuReady(vcpu);
  const ev = extEvents(vcpu);
  // Exits this slice's hw_vmrun may handle itself without returning (src/vmm/exit-fast.ts): only
  // when the loop below has nothing to do before an entry but re-enter.
  // Also only once the vCPU's emulation block and the VM's platform exist: the lite entries
  // (src/vmm/exit-lite.ts) use both without checking, on fastExt alone (= ext, else 0).
  vcpu.fastExt = pc == 0 && deadline == u64.MAX_VALUE && evReady && platformReady(vm) ? vcpu.ext : 0;
  while (true) {
    if (pc != 0 && !pcBeforeEntry(vcpu, vm, pc, ev, sliceEnd, rate)) return;
    // Pending events (exceptions a handler raised, re-injection after an interrupted delivery)
    // go into the VM-entry interruption fields, or open a window exit (src/vmm/events/apply.ts).
    // With nothing pending and no window exit requested (EventState.windows) there is nothing
    // to decide, and the call is skipped.
    if (evReady && (ev.windows != 0 || eventsPending(ev)) && !eventsBeforeEntry(vcpu)) {
      stopVmBegin(vm);
      print("triple fault (an event could not be delivered)");
      stopVmEnd(vcpu);
      return;
    }
    // An EPT entry that was present changed (a handler remapped or protected guest memory): the
    // CPU may cache the old translation for this EPTP until INVEPT (SDM Vol 3C §28.4.3.4).
    if ((vm.eptFlags & EPT_FLAG_INVEPT_NEEDED) != 0) inveptVm(vm);
    vcpu.fastAction = 0;
    const status = hw_vmrun(vcpu.regs(), vcpu.launched);
    if (status != 0) { stopOnVmFail(vcpu, status); return; }
    vcpu.launched = 1;
    const reason = vcpu.exitReason; // stored by hw_vmrun
    const basic = basicExitReason(reason);
    let action: ExitAction;
    if (vcpu.fastAction != 0) {
      // Handled (and counted) by vmm_exit inside hw_vmrun, which left the rest to this loop.
      action = <ExitAction>(vcpu.fastAction - 1);
    } else {
      if (isEntryFailure(reason)) { vmCountExit(vm, basicExitReason(reason)); stopOnEntryFailure(vcpu); return; }
      vmCountExit(vm, basic);
      const slot = table.slotOf(basic);
      if (slot == 0) {
        stopVmBegin(vm);
        print("no handler for exit reason ");
        printDec(basic);
        print(" (");
        print(exitReasonName(basic));
        print(")");
        stopVmEnd(vcpu);
        return;
      }
      action = callExitHandler(slot, vcpu);
    }
    if (action == ExitAction.Resume && vm.state == VmState.RUNNING && vcpu.state == VCpuState.RUNNABLE) {
      // An endless slice (the timer counts across exits, or a lone PC vCPU) needs no TSC read.
      if (deadline == u64.MAX_VALUE || hw_rdtsc() < deadline) continue;
      return;
    }
    // A PC VM's preemption timer also fires for device events inside the slice (pc-run.ts).
    if (pc != 0 && action == ExitAction.Yield && basic == ExitReason.PREEMPTION_TIMER &&
        vm.state == VmState.RUNNING && vcpu.state == VCpuState.RUNNABLE &&
        (deadline == u64.MAX_VALUE || hw_rdtsc() < deadline)) continue;
    if (action == ExitAction.Stop && vm.state != VmState.STOPPED) {
      stopVmBegin(vm);
      print("handler for exit reason ");
      printDec(basic);
      print(" returned Stop");
      stopVmEnd(vcpu);
    }
    return;
  }
}

/**
 * INVEPT for `vm`'s EPTP: single-context where the CPU has it, else all-context (A.10;
 * vmx-cpu.ts refused a CPU with neither).
 */
function inveptVm(vm: Vm): void {
  const single = (vmxCaps(hw_cpu_index()).eptVpidCap & EPTCAP_INVEPT_SINGLE_CONTEXT) != 0;
  eptTakeInveptNeeded(vm.ept());
  hw_invept(single ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXT, eptPointerOf(vm.ept()));
}

/** `[NAME] exits: total N, cpuid N, io N, …` — every reason with a non-zero count. */
function printSummary(vm: Vm): void {
  vmConsoleFlush(vm);
  printVmPrefix(vm);
  print("exits: total ");
  printDec(vmExitsTotal(vm));
  for (let r: u32 = 0; r < EXIT_REASON_COUNT; r++) {
    const n = vmExitCount(vm, r);
    if (n == 0) continue;
    print(", ");
    print(exitReasonName(r));
    print(" ");
    printDec(n);
  }
  println("");
}

/** Round-robin until no vCPU is runnable; then the per-VM summary. */
export function runAll(): void {
  const cpu = hw_cpu_index();
  const rate = vmxCpu(cpu).timerRate;
  const savesTimer = (vmxControls(cpu).exit & EXIT_SAVE_PREEMPTION_TIMER) != 0;
  const n = vcpuCount() < MAX_STATES ? vcpuCount() : MAX_STATES;
  let last = PICK_NONE;
  const vcpus = changetype<usize>(vcpuAt(0));
  while (true) {
    pcWakeHalted(vcpus, n, VCPU_SIZE);
    snapshotStates(n);
    let i = pickNext(STATES, n, last);
    if (i == PICK_NONE) {
      // Only halted vCPUs (or none) are left: wait for the next device event of a halted Linux
      // VM (pc-run.ts); when none has one, nothing can ever wake them.
      if (!pcWaitForEvent(vcpus, n, VCPU_SIZE)) break;
      continue;
    }
    last = i;
    const vcpu = vcpuAt(i);
    // A VM stopped or ended by one vCPU takes its other vCPUs with it.
    if (vmOf(vcpu).state != VmState.RUNNING) { vcpu.state = VCpuState.DONE; continue; }
    const st = vmxLoadVmcs(cpu, vcpu.vmcsPa);
    if (st != 0) {
      printVmPrefix(vmOf(vcpu));
      println("stopped: VMPTRLD of its VMCS failed");
      vmOf(vcpu).state = VmState.STOPPED;
      vcpu.state = VCpuState.DONE;
      continue;
    }
    vmwrite32(Vmcs32Guest.PREEMPTION_TIMER_VALUE, preemptionTimerValue(vcpu.sliceTicks, rate));
    fpuSwitchTo(vcpu);
    guestMsrsSwitchTo(vcpu);
    guestDrSwitchTo(vcpu);
    runVcpu(vcpu, savesTimer, rate, countInState(STATES, n, VCpuState.DONE) + 1 == n);
  }
  // Whatever is still HALTED waits for an interrupt nothing can send: say so, then summarize.
  snapshotStates(n);
  const halted = countInState(STATES, n, VCpuState.HALTED);
  for (let i: u32 = 0; i < n && halted != 0; i++) {
    const vcpu = vcpuAt(i);
    if (vcpu.state == VCpuState.HALTED) {
      const vm = vmOf(vcpu);
      vmConsoleFlush(vm);
      printVmPrefix(vm);
      println("halted with interrupts enabled; no device can wake it");
      vm.state = VmState.HALTED;
      vcpu.state = VCpuState.DONE;
    }
  }
  println("VMs: all stopped");
  for (let v: u32 = 0; v < vmCount(); v++) printSummary(vmAt(v));
}
