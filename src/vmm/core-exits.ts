// The exit handlers of the VT-x core (the lifecycle ones): CPUID (through the CPUID policy of
// src/vmm/policy/), HLT, the VMCALL hypercalls of docs/guest-protocol.md, triple fault, the
// VMX-preemption timer, external interrupts, NMIs, INIT and SIPI. Device and instruction
// emulation (I/O, MSR, EPT violation, CR, XSETBV, …) is registered by src/vmm/exits/register.ts.
// Every value read from the guest is checked before use; misbehaviour stops only that VM.

import { hw_cpu_index } from "../hw";
import { VCpu } from "../vmx/vcpu";
import { vmread32, vmreadNat, vmwrite32 } from "../vmx/vmcs-access";
import { Vmcs32Guest, Vmcs32Ro, Vmcs32Ctl, VmcsNatGuest, VmcsNatCtl } from "../vmx/vmcs/fields";
import { ExitReason } from "../vmx/exit-reasons";
import { VCpuState } from "../sched/state";
import { exitsCpuidInit, vcpuCpuidEntry, vcpuCpuidFromEntry, vcpuCpuidMiss } from "./exits/cpuid-view";
import { cpuidCacheHit } from "./exits/cpuid-cache";
import { ExitAction } from "./exits/action";
import { exitsVcpuReady, extEvents } from "./exits/vcpu-ext";
import { skipInstruction } from "./exits/guest";
import { eventsPending } from "./events/pending";
import { ExitTable } from "./dispatch";
import { pcBlock, pcInterruptWaiting } from "./pc/pc";
import { print, printDec, println } from "./console/print";
import { Vm, VmState, vmOf, vmRead, stopVm, finishVm, printVmPrefix, vmConsolePutByte } from "./vm";

// ---- hypercalls (docs/guest-protocol.md "Hypercalls") --------------------------------------
export const HC_CONSOLE_WRITE: u64 = 1;
export const HC_EXIT: u64 = 2;
export const HC_WRITE_MAX: u64 = 4096;
const EFAULT: u64 = <u64>-14;
const EINVAL: u64 = <u64>-22;
const ENOSYS: u64 = <u64>-38;

const MAX_RUN_CPUS: u32 = 8;
/** Per-CPU bounce buffer for console_write: the whole range is read (checked) before any byte prints. */
const BOUNCE: usize = memory.data(<i32>(MAX_RUN_CPUS * <u32>HC_WRITE_MAX), 16);

const RFLAGS_IF: u64 = 1 << 9;
const AR_DPL_SHIFT: u32 = 5;
const AR_L: u32 = 1 << 13;
/** VM-entry interruption information (§24.8.3): valid, type 3 (hardware exception), vector 6 (#UD). */
const INJECT_UD: u32 = (<u32>1 << 31) | (3 << 8) | 6;
/** EXIT_INTERRUPTION_INFO (§24.9.2): bits 10:8 type, 2 = NMI. */
const INTR_TYPE_NMI: u32 = 2;

@inline function cpuSlot(): u32 { return hw_cpu_index() % MAX_RUN_CPUS; }

/** The guest's view of CR4: host-owned bits (the guest/host mask) come from the read shadow (§25.3). */
function guestCr4View(): u64 {
  const mask = vmreadNat(VmcsNatCtl.CR4_GUEST_HOST_MASK);
  return (vmreadNat(VmcsNatGuest.CR4) & ~mask) | (vmreadNat(VmcsNatCtl.CR4_READ_SHADOW) & mask);
}

/** Takes the host CPUID snapshot the policy derives guest values from (boot CPU, once). */
export function coreExitsInit(): void {
  exitsCpuidInit();
}

/**
 * CPUID (reason 10): the policy's answer (the view the exit handlers share, exits/cpuid-view.ts,
 * with its per-vCPU answer cache). Every CPUID is answered by the compiled core: a cache hit by
 * exit-lite.ts vmmExitCpuid (hw_vmrun's lite entry), everything else here. An earlier answer
 * cache in assembly was removed because it measured assembly instead of the core and duplicated
 * the policy's rules.
 */
export function onCpuid(vcpu: VCpu): ExitAction {
  const leaf = <u32>vcpu.rax;
  const subleaf = <u32>vcpu.rcx;
  // Hits of a fast slice are answered before this by hw_vmrun's lite entry (exit-lite.ts); the
  // cache still serves the exits the run loop dispatches (a Linux VM's, whose slices are not fast).
  const ext = vcpu.ext;
  if (ext != 0 && cpuidCacheHit(vcpuCpuidEntry(ext, leaf, subleaf), leaf, subleaf)) {
    vcpuCpuidFromEntry(vcpu, vcpuCpuidEntry(ext, leaf, subleaf));
  } else {
    vcpuCpuidMiss(vcpu, leaf, subleaf, guestCr4View);
  }
  // Past CPUID and out of an STI / MOV-SS shadow (completing an instruction ends it, SDM Vol 3C
  // §25.4, Table 24-3), as the lite entry does.
  skipInstruction(vcpu);
  return ExitAction.Resume;
}

/**
 * HLT (reason 12). With RFLAGS.IF = 0 and no event pending nothing can wake the vCPU (no NMI
 * source is virtualized): it is done. With IF = 1 it waits (HALTED) for an interrupt; RIP moves past HLT so it resumes
 * after it, as the CPU would after the interrupt handler's IRET.
 */
function onHlt(vcpu: VCpu): ExitAction {
  // Past HLT, and out of an STI / MOV-SS shadow: `sti; hlt` must be able to take the interrupt
  // that wakes it at the next entry without an interrupt-window exit first (the shadow covers
  // only the instruction after STI, SDM Vol 3A §6.8.3 / Vol 3C §24.4.2 Table 24-3).
  skipInstruction(vcpu);
  // An event already pending (an NMI, an exception to re-inject) ends the HLT at once: it is
  // injected at the next entry (src/vmm/events/apply.ts).
  if (exitsVcpuReady(vcpu) && eventsPending(extEvents(vcpu))) return ExitAction.Resume;
  // A Linux VM's interrupt controllers may already hold one (src/vmm/pc/): it is taken before the
  // next entry.
  const pc = pcBlock(vmOf(vcpu));
  if (pc != 0 && pcInterruptWaiting(pc)) return ExitAction.Resume;
  if ((vmreadNat(VmcsNatGuest.RFLAGS) & RFLAGS_IF) == 0) {
    const vm = vmOf(vcpu);
    finishVm(vcpu, VmState.HALTED);
    printVmPrefix(vm);
    println("halted (HLT with interrupts disabled)");
    return ExitAction.Yield;
  }
  vcpu.state = VCpuState.HALTED;
  return ExitAction.Yield;
}

/** console_write: all of [gpa, gpa+len) is read through GuestMemory before anything prints. */
function hcConsoleWrite(vm: Vm, gpa: u64, len: u64): u64 {
  if (len > HC_WRITE_MAX) return EINVAL;
  const buf = BOUNCE + <usize>cpuSlot() * <usize>HC_WRITE_MAX;
  if (vmRead(vm, gpa, buf, len) != 0) return EFAULT;
  for (let i: usize = 0; i < <usize>len; i++) vmConsolePutByte(vm, <u32>load<u8>(buf + i));
  return len;
}

/**
 * VMCALL (reason 18). CPL > 0 gets #UD (the protocol reserves hypercalls to the guest kernel;
 * CPL = SS.DPL, §24.4.1). Outside 64-bit mode only the low 32 bits of the registers count.
 */
function onVmcall(vcpu: VCpu): ExitAction {
  if (((vmread32(Vmcs32Guest.SS_ACCESS_RIGHTS) >> AR_DPL_SHIFT) & 3) != 0) {
    vmwrite32(Vmcs32Ctl.ENTRY_INTERRUPTION_INFO, INJECT_UD);
    return ExitAction.Resume;
  }
  const wide = (vmread32(Vmcs32Guest.CS_ACCESS_RIGHTS) & AR_L) != 0;
  const mask: u64 = wide ? u64.MAX_VALUE : 0xFFFFFFFF;
  const nr = vcpu.rax & mask;
  const a0 = vcpu.rbx & mask;
  const a1 = vcpu.rcx & mask;
  const vm = vmOf(vcpu);
  if (nr == HC_EXIT) {
    finishVm(vcpu, VmState.EXITED);
    vm.exitStatus = a0;
    printVmPrefix(vm);
    print("exited with status ");
    printDec(a0);
    println("");
    return ExitAction.Yield;
  }
  let result: u64;
  if (nr == HC_CONSOLE_WRITE) result = hcConsoleWrite(vm, a0, a1);
  else result = ENOSYS;
  vcpu.rax = result & mask;
  vcpu.advanceRip();
  return ExitAction.Resume;
}

/** Triple fault (reason 2): the guest's shutdown. On bare metal the machine would reset. */
function onTripleFault(vcpu: VCpu): ExitAction {
  stopVm(vcpu, "triple fault");
  return ExitAction.Stop;
}

/** VMX-preemption timer expired (reason 52, §26.5.1): the slice is over. */
function onPreemptionTimer(vcpu: VCpu): ExitAction {
  return ExitAction.Yield;
}

/**
 * External interrupt (reason 1). "Acknowledge interrupt on exit" took the vector from the
 * interrupt controller (§27.2.2); the host programs no interrupt sources yet, so there is no host
 * handler to run. The guest resumes; the exit is counted.
 */
function onExternalInterrupt(vcpu: VCpu): ExitAction {
  return ExitAction.Resume;
}

/**
 * Exception or NMI (reason 0). The exception bitmap is 0, so only NMIs exit (NMI exiting): they
 * belong to the host, which has no NMI source of its own yet; the guest resumes. Any other
 * exception here means the VMCS is not what we set up: stop the VM.
 */
function onExceptionNmi(vcpu: VCpu): ExitAction {
  if (((vmread32(Vmcs32Ro.EXIT_INTERRUPTION_INFO) >> 8) & 7) == INTR_TYPE_NMI) return ExitAction.Resume;
  stopVm(vcpu, "unexpected exception exit (exception bitmap is 0)");
  return ExitAction.Stop;
}

/**
 * INIT (reason 3) and SIPI (reason 4) reach a vCPU only from the platform (no guest-visible IPIs
 * exist yet, and we never put a vCPU in wait-for-SIPI). Resetting a running guest on a stray INIT
 * would lose its state; it is reported and ignored.
 */
function onInitSipi(vcpu: VCpu): ExitAction {
  printVmPrefix(vmOf(vcpu));
  println(vcpu.basicExitReason() == ExitReason.INIT_SIGNAL ? "INIT signal ignored" : "SIPI ignored");
  return ExitAction.Resume;
}

/** Installs the handlers above. */
export function registerCoreExits(t: ExitTable): void {
  t.set(ExitReason.EXCEPTION_NMI, onExceptionNmi);
  t.set(ExitReason.EXTERNAL_INTERRUPT, onExternalInterrupt);
  t.set(ExitReason.TRIPLE_FAULT, onTripleFault);
  t.set(ExitReason.INIT_SIGNAL, onInitSipi);
  t.set(ExitReason.SIPI, onInitSipi);
  t.set(ExitReason.CPUID, onCpuid);
  t.set(ExitReason.HLT, onHlt);
  t.set(ExitReason.VMCALL, onVmcall);
  t.set(ExitReason.PREEMPTION_TIMER, onPreemptionTimer);
}
