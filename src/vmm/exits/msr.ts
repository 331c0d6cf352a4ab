// RDMSR / WRMSR VM exits (reasons 31, 32; SDM Vol 3C §25.1.3 and the MSR bitmap §24.6.9) served
// by the MSR policy table (src/vmm/policy/msr-table.ts). ECX selects the MSR (RCX[63:32] is
// ignored, Vol 2B RDMSR); the value is EDX:EAX, and RDMSR clears RAX/RDX[63:32]. Everything the
// CPU would refuse raises #GP(0) in the guest and leaves the registers and RIP as they were: an
// MSR not in the table, a read-only MSR written, a non-canonical base, a bad PAT/MTRR memory type,
// reserved EFER/APIC_BASE bits (the checks of msr-state.ts). A value is never written to a real
// MSR before it has passed the check that the real MSR's WRMSR would make, so a guest cannot
// make the host take #GP.

import { hw_cpu_index, hw_rdmsr_safe, hw_wrmsr, hw_rdtsc } from "../../hw";
import { VCpu } from "../../vmx/vcpu";
import { vmread32, vmread64, vmreadNat, vmwrite32, vmwrite64, vmwriteNat } from "../../vmx/vmcs-access";
import { Vmcs32Ctl, Vmcs32Guest, Vmcs64Ctl, Vmcs64Guest, VmcsNatGuest } from "../../vmx/vmcs/fields";
import { PROC_TSC_OFFSETTING } from "../../vmx/vmcs/controls";
import { ExitAction } from "./action";
import {
  MsrKind, msrRule, ruleKind, ruleSlot, MSR_TSC, MSR_SYSENTER_CS, MSR_SYSENTER_ESP, MSR_SYSENTER_EIP,
  MSR_DEBUGCTL, MSR_PAT, MSR_EFER, MSR_FS_BASE, MSR_GS_BASE, MSR_STAR, MSR_SFMASK, MSR_TSC_AUX,
} from "../policy/msr-table";
import {
  msrSlotGet, msrEmulatedWrite, msrConstValue, MsrWrite, patValid, isCanonical, eferWrite, EFER_WRITE_GP,
} from "../policy/msr-state";
import { handlerEnter } from "./setup";
import { extCell, extMsrState, guestMaxPhysBits } from "./vcpu-ext";
import { skipInstruction, raiseGp, guestCr0, guestCr4 } from "./guest";
import { vcpuCpuid } from "./cpuid-view";
import { vmOf } from "../vm";
import { pcIs } from "../pc/pc";
import { pcLapicRdmsr, pcLapicWrmsr } from "../pc/pc-io";
import { lapicOwnsMsr } from "../platform/lapic-x2apic";

const CR0_PG: u64 = 1 << 31;
/** IA32_DEBUGCTL bits a guest may set: LBR (0) and BTF (1); the rest need state we do not
 *  virtualize (SDM Vol 3B §17.4.1). */
const DEBUGCTL_ALLOWED: u64 = 0x3;
const CPUIDX1_EDX_NX: u32 = 1 << 20;

/**
 * Reads `msr` (rule `rule`, not GP) for the guest into the vCPU's cell; false = #GP. The status
 * travels apart from the value (an MSR may hold all-ones) and in no global (exits run on several
 * CPUs at once).
 */
function msrRead(vcpu: VCpu, msr: u32, rule: u32, cell: usize): bool {
  switch (ruleKind(rule)) {
    case MsrKind.GUEST_OWNED:
    case MsrKind.HOST_READ:
      // The real MSR holds the guest's value (GUEST_OWNED: VM exits do not switch it) or the
      // host's informational one (HOST_READ). rdmsr_safe: a CPU without it answers #GP.
      return hw_rdmsr_safe(msr, cell) != 0;
    case MsrKind.VMCS_NOEXIT:
    case MsrKind.VMCS:
      return vmcsMsrRead(msr, cell);
    case MsrKind.EMULATED:
      store<u64>(cell, msrSlotGet(extMsrState(vcpu), ruleSlot(rule)));
      return true;
    case MsrKind.CONST:
    case MsrKind.CONST_WI:
      store<u64>(cell, msrConstValue(ruleSlot(rule)));
      return true;
    case MsrKind.TSC: {
      const offsetting = (vmread32(Vmcs32Ctl.PROC_BASED_CONTROLS) & PROC_TSC_OFFSETTING) != 0;
      store<u64>(cell, hw_rdtsc() + (offsetting ? vmread64(Vmcs64Ctl.TSC_OFFSET) : 0));
      return true;
    }
  }
  return false;
}

/** Invariant (both): `cell` is the vCPU's 8-byte result cell. */
function vmcsMsrRead(msr: u32, cell: usize): bool {
  let v: u64;
  if (msr == MSR_SYSENTER_CS) v = <u64>vmread32(Vmcs32Guest.IA32_SYSENTER_CS);
  else if (msr == MSR_SYSENTER_ESP) v = vmreadNat(VmcsNatGuest.IA32_SYSENTER_ESP);
  else if (msr == MSR_SYSENTER_EIP) v = vmreadNat(VmcsNatGuest.IA32_SYSENTER_EIP);
  else if (msr == MSR_FS_BASE) v = vmreadNat(VmcsNatGuest.FS_BASE);
  else if (msr == MSR_GS_BASE) v = vmreadNat(VmcsNatGuest.GS_BASE);
  else if (msr == MSR_EFER) v = vmread64(Vmcs64Guest.IA32_EFER);
  else if (msr == MSR_PAT) v = vmread64(Vmcs64Guest.IA32_PAT);
  else if (msr == MSR_DEBUGCTL) v = vmread64(Vmcs64Guest.IA32_DEBUGCTL);
  else return false;
  store<u64>(cell, v);
  return true;
}

export function onRdmsr(vcpu: VCpu): ExitAction {
  if (!handlerEnter(vcpu)) return ExitAction.Stop;
  const msr = <u32>vcpu.rcx;
  const cell = extCell(vcpu);
  // A Linux VM's local APIC owns IA32_APIC_BASE, IA32_TSC_DEADLINE and the x2APIC range
  // (src/vmm/pc/pc-io.ts; SDM Vol 3A §11.4.4, §11.5.4.1, §11.12.1).
  const pcApic = pcIs(vmOf(vcpu)) && lapicOwnsMsr(msr);
  const ok = pcApic ? pcLapicRdmsr(vmOf(vcpu), msr, cell) : msrRead(vcpu, msr, msrRule(msr), cell);
  if (!ok) { raiseGp(vcpu); return ExitAction.Resume; }
  const v = load<u64>(cell);
  vcpu.rax = v & 0xFFFFFFFF;
  vcpu.rdx = v >> 32;
  skipInstruction(vcpu);
  return ExitAction.Resume;
}

/** Whether WRMSR(msr, v) of a guest-owned MSR passes the checks its real WRMSR makes (Vol 4). */
function guestOwnedValid(msr: u32, v: u64): bool {
  if (msr == MSR_STAR) return true;
  if (msr == MSR_SFMASK || msr == MSR_TSC_AUX) return (v >> 32) == 0; // bits 63:32 reserved
  return isCanonical(v); // LSTAR, CSTAR, KERNEL_GS_BASE: linear addresses
}

/** Writes a VMCS-held MSR after its checks; false = #GP. */
function vmcsMsrWrite(vcpu: VCpu, msr: u32, v: u64): bool {
  if (msr == MSR_SYSENTER_CS) { vmwrite32(Vmcs32Guest.IA32_SYSENTER_CS, <u32>v); return true; }
  if (msr == MSR_SYSENTER_ESP || msr == MSR_SYSENTER_EIP || msr == MSR_FS_BASE || msr == MSR_GS_BASE) {
    if (!isCanonical(v)) return false;
    if (msr == MSR_SYSENTER_ESP) vmwriteNat(VmcsNatGuest.IA32_SYSENTER_ESP, v);
    else if (msr == MSR_SYSENTER_EIP) vmwriteNat(VmcsNatGuest.IA32_SYSENTER_EIP, v);
    else if (msr == MSR_FS_BASE) vmwriteNat(VmcsNatGuest.FS_BASE, v);
    else vmwriteNat(VmcsNatGuest.GS_BASE, v);
    return true;
  }
  if (msr == MSR_PAT) {
    if (!patValid(v)) return false;
    vmwrite64(Vmcs64Guest.IA32_PAT, v);
    return true;
  }
  if (msr == MSR_DEBUGCTL) {
    if ((v & ~DEBUGCTL_ALLOWED) != 0) return false;
    vmwrite64(Vmcs64Guest.IA32_DEBUGCTL, v);
    return true;
  }
  if (msr == MSR_EFER) {
    // NXE is reserved unless the guest's CPUID reports NX (80000001H.EDX[20]).
    const nx = (vcpuCpuid(vcpu, hw_cpu_index(), 0x80000001, 0, guestCr4(), vcpu.xcr0).edx & CPUIDX1_EDX_NX) != 0;
    const old = vmread64(Vmcs64Guest.IA32_EFER);
    const next = eferWrite(old, v, (guestCr0() & CR0_PG) != 0, nx);
    if (next == EFER_WRITE_GP) return false;
    // LMA is unchanged by WRMSR (eferWrite keeps it), so the "IA-32e mode guest" entry control,
    // which must equal LMA (§26.3.1.1), stays right.
    vmwrite64(Vmcs64Guest.IA32_EFER, next);
    return true;
  }
  return false;
}

export function onWrmsr(vcpu: VCpu): ExitAction {
  if (!handlerEnter(vcpu)) return ExitAction.Stop;
  const msr = <u32>vcpu.rcx;
  const v = (vcpu.rdx << 32) | (vcpu.rax & 0xFFFFFFFF);
  if (pcIs(vmOf(vcpu)) && lapicOwnsMsr(msr)) {
    if (!pcLapicWrmsr(vmOf(vcpu), msr, v, guestMaxPhysBits())) { raiseGp(vcpu); return ExitAction.Resume; }
    skipInstruction(vcpu);
    return ExitAction.Resume;
  }
  const rule = msrRule(msr);
  let ok = true;
  switch (ruleKind(rule)) {
    case MsrKind.GUEST_OWNED:
      ok = guestOwnedValid(msr, v);
      if (ok) hw_wrmsr(msr, v);
      break;
    case MsrKind.VMCS_NOEXIT:
    case MsrKind.VMCS:
      ok = vmcsMsrWrite(vcpu, msr, v);
      break;
    case MsrKind.EMULATED:
      ok = msrEmulatedWrite(extMsrState(vcpu), msr, ruleSlot(rule), v, guestMaxPhysBits()) == MsrWrite.OK;
      break;
    case MsrKind.CONST_WI:
      break; // accepted, no effect (BIOS_SIGN_ID: the microcode-revision protocol, Vol 3A §9.11.7)
    case MsrKind.TSC:
      // The guest's TSC becomes v: offset = v - host TSC (§25.3, TSC offsetting). Without the
      // control the guest reads the host TSC and the write cannot take effect: accepted, ignored.
      if (msr == MSR_TSC && (vmread32(Vmcs32Ctl.PROC_BASED_CONTROLS) & PROC_TSC_OFFSETTING) != 0) {
        vmwrite64(Vmcs64Ctl.TSC_OFFSET, v - hw_rdtsc());
      }
      break;
    default:
      ok = false; // GP, CONST (read-only), HOST_READ (read-only)
  }
  if (!ok) { raiseGp(vcpu); return ExitAction.Resume; }
  skipInstruction(vcpu);
  return ExitAction.Resume;
}
