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
import { exitsCpuidInit, exitsHostCpuid, vcpuCpuid } from "./exits/cpuid-view";
import { guestMaxBasic, guestMaxExt, CPUID_HV_BASE } from "./policy/cpuid";
import { ExitAction } from "./exits/action";
import { ExitTable } from "./dispatch";
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

// A per-vCPU CPUID answer cache. The policy (src/vmm/policy/cpuid.ts) is a pure function of the
// host snapshot (taken once), the vCPU's index and its VM's vCPU count (fixed once the VM is
// built), the leaf/subleaf, the guest's view of CR4 and its XCR0 — so an answer is reused while
// all of these match, and recomputed otherwise. The policy walks the snapshot linearly; a guest
// that polls CPUID (Linux does, per CPU, at boot; benchmarks do in a loop) pays that once per key.
// Direct-mapped, CPUID_CACHE_WAYS entries per vCPU, indexed by VPID (1 + global vCPU number).
//   entry (48 bytes): 0 leaf  4 subleaf  8 cr4  16 xcr0  24 valid  28 pad  32 eax ebx ecx edx
const CPUID_CACHE_WAYS: u32 = 8;
const CPUID_ENTRY: u32 = 48;
const MAX_CACHED_VCPUS: u32 = 8;
const CPUID_CACHE: usize = memory.data(<i32>(MAX_CACHED_VCPUS * CPUID_CACHE_WAYS * CPUID_ENTRY), 16);

@unmanaged class CpuidCacheEntry {
  leaf: u32;
  subleaf: u32;
  cr4: u64;
  xcr0: u64;
  valid: u32;
  _pad: u32;
  eax: u32;
  ebx: u32;
  ecx: u32;
  edx: u32;
}

let maxBasicLeaf: u32 = 0;
let maxExtLeaf: u32 = 0;

/**
 * Whether the answer for `leaf` depends on ECX (SDM Vol 2A CPUID, Table 3-8: leaves 04H, 07H, 0BH,
 * 0DH and 1FH have subleaves). A leaf above the highest basic/extended leaf answers as the highest
 * basic leaf (Table 3-8 note, as the policy does), which may itself have subleaves. The
 * hypervisor leaves (40000000H…) have none. For every other leaf ECX is ignored, so the cache key
 * uses subleaf 0 and a guest that leaves garbage in ECX still hits.
 */
function subleafMatters(leaf: u32): bool {
  if (leaf >= CPUID_HV_BASE && leaf < 0x80000000) return false;
  let eff = leaf;
  if ((leaf < 0x80000000 && leaf > maxBasicLeaf) || (leaf >= 0x80000000 && leaf > maxExtLeaf)) eff = maxBasicLeaf;
  return eff == 4 || eff == 7 || eff == 0xB || eff == 0xD || eff == 0x1F;
}

/** The slot for (vpid, leaf, subleaf). Invariant: the index stays inside CPUID_CACHE (both mod'ed). */
@inline function cpuidSlot(vpid: u32, leaf: u32, subleaf: u32): CpuidCacheEntry {
  const way = (leaf ^ (leaf >> 28) ^ (subleaf << 1)) & (CPUID_CACHE_WAYS - 1);
  const i = (vpid % MAX_CACHED_VCPUS) * CPUID_CACHE_WAYS + way;
  return changetype<CpuidCacheEntry>(CPUID_CACHE + <usize>i * CPUID_ENTRY);
}

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
  maxBasicLeaf = guestMaxBasic(exitsHostCpuid());
  maxExtLeaf = guestMaxExt(exitsHostCpuid());
  memory.fill(CPUID_CACHE, 0, <usize>(MAX_CACHED_VCPUS * CPUID_CACHE_WAYS * CPUID_ENTRY));
}

/**
 * CPUID (reason 10): the policy's answer (the view the exit handlers share, exits/cpuid-view.ts);
 * the upper halves of rax..rdx are cleared (SDM Vol 2A CPUID: "the high-order 32 bits are cleared").
 */
function onCpuid(vcpu: VCpu): ExitAction {
  const leaf = <u32>vcpu.rax;
  const subleaf = subleafMatters(leaf) ? <u32>vcpu.rcx : 0;
  // Keyed on the raw GUEST_CR4 (one VMREAD): the policy reads only CR4.OSXSAVE and CR4.PKE
  // (Table 3-8: 01H ECX[27], 07H ECX[4]), which are guest-owned (never in CR4_FIXED0/1, so never
  // in the guest/host mask), so the guest's view of them is the raw field's.
  const cr4 = vmreadNat(VmcsNatGuest.CR4);
  const xcr0 = vcpu.xcr0 == 0 ? 1 : vcpu.xcr0; // x87 is always enabled (XCR0 bit 0, Vol 1 §13.3)
  const c = cpuidSlot(vcpu.vpid, leaf, subleaf);
  if (c.valid == 0 || c.leaf != leaf || c.subleaf != subleaf || c.cr4 != cr4 || c.xcr0 != xcr0) {
    const out = vcpuCpuid(vcpu, hw_cpu_index(), leaf, subleaf, guestCr4View(), xcr0);
    c.leaf = leaf;
    c.subleaf = subleaf;
    c.cr4 = cr4;
    c.xcr0 = xcr0;
    c.eax = out.eax;
    c.ebx = out.ebx;
    c.ecx = out.ecx;
    c.edx = out.edx;
    c.valid = 1;
  }
  vcpu.rax = c.eax;
  vcpu.rbx = c.ebx;
  vcpu.rcx = c.ecx;
  vcpu.rdx = c.edx;
  vcpu.advanceRip();
  return ExitAction.Resume;
}

/**
 * HLT (reason 12). With RFLAGS.IF = 0 nothing can wake the vCPU (no NMI source is virtualized):
 * it is done. With IF = 1 it waits (HALTED) for an interrupt; RIP moves past HLT so it resumes
 * after it, as the CPU would after the interrupt handler's IRET.
 */
function onHlt(vcpu: VCpu): ExitAction {
  vcpu.advanceRip();
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
