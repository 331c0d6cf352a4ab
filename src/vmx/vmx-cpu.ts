// Per-CPU VMX state and bring-up: capability MSRs, the control set, IA32_FEATURE_CONTROL, the
// CR0/CR4 fixed bits, VMXON (SDM Vol 3C §24.7 "Enabling and Entering VMX Operation", §24.8
// "Restrictions on VMX Operation"; Vol 3D Appendix A). Indexed by CPU number so the APs can follow
// the BSP: each CPU runs vmxCpuOn once with its own VMXON frame.
//
// Per-CPU block (VMX_CPU_SIZE bytes, static):
//   byte   0 VmxCaps (136)      src/vmx/vmcs/caps.ts, MSRs 0x480..0x490 in MSR order
//   byte 136 VmxControlSet (36) src/vmx/vmcs/control-set.ts
//   byte 176 HostState (96)     src/vmx/host-state.ts
//   byte 272 VmxCpu {vmxonPa u64, timerRate u32, on u32, currentVmcs u64, eptMissing u64, error u32}

import { hw_rdmsr_safe, hw_wrmsr, hw_read_cr0, hw_read_cr4, hw_write_cr0, hw_write_cr4, hw_vmxon, hw_host_state, hw_vmptrld } from "../hw";
import { VmxCaps, IA32_VMX_BASIC, IA32_VMX_CR4_FIXED1, IA32_VMX_PROCBASED_CTLS2, IA32_VMX_EPT_VPID_CAP,
  IA32_VMX_TRUE_PINBASED_CTLS, IA32_VMX_TRUE_ENTRY_CTLS, capsSlot } from "./vmcs/caps";
import { VmxControlSet, ControlGroup, computeControlSet } from "./vmcs/control-set";
import { basicRevisionId, basicTrueControls, miscPreemptionTimerRate, crApplyFixed, crFixedViolations, CR4_VMXE } from "./vmcs/basic";
import { capMayBe1, PROC_ACTIVATE_SECONDARY_CONTROLS, PROC2_ENABLE_EPT, PROC2_ENABLE_VPID } from "./vmcs/controls";
import { eptCapsMissing } from "../ept/entry";
import { IA32_FEATURE_CONTROL } from "../x86/msr";
import { HostState } from "./host-state";

export const MAX_VMX_CPUS: u32 = 32;
const VMX_CPU_SIZE: u32 = 512;
const CAPS_OFF: usize = 0;
const CONTROLS_OFF: usize = 136;
const HOST_OFF: usize = 176;
const CPU_OFF: usize = 272;
/** A u64 cell for hw_rdmsr_safe's output (per CPU, so CPUs never share it). */
const MSR_SCRATCH_OFF: usize = 504;
const BLOCKS: usize = memory.data(<i32>(MAX_VMX_CPUS * VMX_CPU_SIZE), 16);

// IA32_FEATURE_CONTROL (SDM Vol 4 Table 2-2; Vol 3C §24.7).
const FC_LOCK: u64 = 1 << 0;
const FC_VMX_OUTSIDE_SMX: u64 = 1 << 2;

export const enum VmxOnStatus {
  OK = 0,
  /** IA32_VMX_BASIC or a control capability MSR could not be read. */
  CAPS_UNREADABLE = 1,
  /** A required control is missing: VmxControlSet.failedGroup / missing say which. */
  CONTROLS_MISSING = 2,
  /** IA32_VMX_EPT_VPID_CAP lacks what src/ept needs: VmxCpu.eptMissing. */
  EPT_MISSING = 3,
  /** IA32_FEATURE_CONTROL is locked with VMX outside SMX disabled (firmware setting). */
  LOCKED_OFF = 4,
  /** CR0 cannot satisfy IA32_VMX_CR0_FIXED0/1 without changing PE/PG (not a state we run in). */
  CR_FIXED = 5,
  /** VMXON failed: VmxCpu.error holds the VMX status (1 invalid, 2 valid). */
  VMXON_FAILED = 6,
}

@unmanaged export class VmxCpu {
  vmxonPa: u64;
  /** IA32_VMX_MISC[4:0]: the preemption timer ticks once per 2^rate TSC ticks (A.6). */
  timerRate: u32;
  on: u32;
  /** VMCS made current by the last VMPTRLD on this CPU (0 = none). */
  currentVmcs: u64;
  eptMissing: u64;
  error: u32;
}

@inline function block(cpu: u32): usize { return BLOCKS + <usize>(cpu % MAX_VMX_CPUS) * VMX_CPU_SIZE; }
export function vmxCaps(cpu: u32): VmxCaps { return changetype<VmxCaps>(block(cpu) + CAPS_OFF); }
export function vmxControls(cpu: u32): VmxControlSet { return changetype<VmxControlSet>(block(cpu) + CONTROLS_OFF); }
export function vmxHostState(cpu: u32): HostState { return changetype<HostState>(block(cpu) + HOST_OFF); }
export function vmxCpu(cpu: u32): VmxCpu { return changetype<VmxCpu>(block(cpu) + CPU_OFF); }

/** Reads one capability MSR into its slot; an absent or faulting MSR reads as 0 ("nothing allowed"). */
function readCap(caps: VmxCaps, msr: u32): bool {
  const slot = capsSlot(changetype<usize>(caps), msr);
  store<u64>(slot, 0);
  return hw_rdmsr_safe(msr, slot) != 0;
}

/**
 * Fills `caps` obeying the existence rules of Appendix A: TRUE MSRs only with BASIC bit 55 (A.1),
 * PROCBASED_CTLS2 only when "activate secondary controls" may be 1 (A.3.3), EPT_VPID_CAP only
 * when EPT or VPID may be enabled (A.10). Returns false when BASIC or a primary control MSR is
 * unreadable.
 */
export function readVmxCaps(caps: VmxCaps): bool {
  memory.fill(changetype<usize>(caps), 0, offsetof<VmxCaps>());
  for (let msr = IA32_VMX_BASIC; msr < IA32_VMX_PROCBASED_CTLS2; msr++) {
    // BASIC … CR4_FIXED1 exist on every CPU with VMX (A.1, A.3–A.8); VMCS_ENUM (A.9) is informational.
    if (!readCap(caps, msr) && msr <= IA32_VMX_CR4_FIXED1) return false;
  }
  if (basicTrueControls(caps.basic)) {
    for (let msr = IA32_VMX_TRUE_PINBASED_CTLS; msr <= IA32_VMX_TRUE_ENTRY_CTLS; msr++) {
      if (!readCap(caps, msr)) return false;
    }
  }
  if ((capMayBe1(caps.procbased) & PROC_ACTIVATE_SECONDARY_CONTROLS) != 0) {
    readCap(caps, IA32_VMX_PROCBASED_CTLS2);
    if ((capMayBe1(caps.procbased2) & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID)) != 0) readCap(caps, IA32_VMX_EPT_VPID_CAP);
  }
  return true;
}

/**
 * Enters VMX operation on this CPU with the VMXON region at `vmxonPa` (a zeroed 4 KiB frame below
 * 4 GiB: A.1 bit 48 may limit it to 32 bits). On OK the per-CPU block holds the capabilities, the
 * control set, the host state and the timer rate.
 */
export function vmxCpuOn(cpu: u32, vmxonPa: u64): VmxOnStatus {
  const caps = vmxCaps(cpu);
  const ctl = vmxControls(cpu);
  const vc = vmxCpu(cpu);
  vc.on = 0;
  vc.currentVmcs = 0;
  vc.error = 0;
  vc.eptMissing = 0;
  if (!readVmxCaps(caps)) return VmxOnStatus.CAPS_UNREADABLE;
  if (computeControlSet(caps, ctl) != ControlGroup.OK) return VmxOnStatus.CONTROLS_MISSING;
  vc.eptMissing = eptCapsMissing(caps.eptVpidCap);
  if (vc.eptMissing != 0) return VmxOnStatus.EPT_MISSING;

  // IA32_FEATURE_CONTROL: firmware normally locks it; if it did not, we enable VMX outside SMX
  // and lock it ourselves (a VMXON with the lock bit clear #GPs, §24.7).
  const fcCell = block(cpu) + MSR_SCRATCH_OFF;
  if (hw_rdmsr_safe(IA32_FEATURE_CONTROL, fcCell) == 0) return VmxOnStatus.LOCKED_OFF;
  const fc = load<u64>(fcCell);
  if ((fc & FC_LOCK) == 0) hw_wrmsr(IA32_FEATURE_CONTROL, fc | FC_LOCK | FC_VMX_OUTSIDE_SMX);
  else if ((fc & FC_VMX_OUTSIDE_SMX) == 0) return VmxOnStatus.LOCKED_OFF;

  // CR0/CR4 fixed bits (A.7, A.8; §24.8): in VMX operation they may never leave the allowed values.
  const cr0 = hw_read_cr0();
  const cr0Fixed = crApplyFixed(cr0, caps.cr0Fixed0, caps.cr0Fixed1, 0);
  if (crFixedViolations(cr0Fixed, caps.cr0Fixed0, caps.cr0Fixed1, 0) != 0 || ((cr0Fixed ^ cr0) & 0x80000001) != 0) {
    return VmxOnStatus.CR_FIXED;
  }
  if (cr0Fixed != cr0) hw_write_cr0(cr0Fixed);
  hw_write_cr4(crApplyFixed(hw_read_cr4() | CR4_VMXE, caps.cr4Fixed0, caps.cr4Fixed1, 0));

  // VMXON region: the revision identifier in bits 30:0 of the first dword, bit 31 clear (§24.11.5).
  store<u32>(<usize>vmxonPa, basicRevisionId(caps.basic));
  const st = hw_vmxon(vmxonPa);
  if (st != 0) { vc.error = st; return VmxOnStatus.VMXON_FAILED; }
  vc.vmxonPa = vmxonPa;
  vc.timerRate = miscPreemptionTimerRate(caps.misc);
  vc.on = 1;
  hw_host_state(changetype<usize>(vmxHostState(cpu)));
  return VmxOnStatus.OK;
}

/** Makes the VMCS at `pa` current on `cpu` unless it already is. Returns the VMPTRLD status. */
@inline export function vmxLoadVmcs(cpu: u32, pa: u64): u32 {
  const vc = vmxCpu(cpu);
  if (vc.currentVmcs == pa) return 0;
  const st = hw_vmptrld(pa);
  vc.currentVmcs = st == 0 ? pa : 0;
  return st;
}
