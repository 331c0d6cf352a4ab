// The VT-x verdict: a PURE function of CPUID and MSR values (the probe that reads them from the
// hardware is probe.ts). Given a snapshot, it says whether this CPU can run our guests and which
// optional features it has. Sources: SDM Vol. 3C "VM-Execution Control Fields" (the control bit
// tables), Vol. 3C "Enabling and Entering VMX Operation" (IA32_FEATURE_CONTROL), Vol. 3D
// Appendix A "VMX Capability Reporting Facility". (Chapter numbers moved between SDM editions —
// §24.6 / §23.7 before 2023, §25.6 / §24.7 after — so the titles are the stable reference.)

import { CPUID_01_ECX_VMX } from "../x86/cpuid";

/**
 * What the probe read. `valid` has bit VALID_x set when field x holds a value that was read (the
 * MSR exists and did not #GP); a clear bit means "absent", whatever the field holds.
 *
 *   byte  0           4           8                      16                     24
 *         +-----------+-----------+----------------------+----------------------+
 *         | cpuid1Ecx | valid     | featureControl (u64) | basic (u64)          |
 *         +-----------+-----------+----------------------+----------------------+
 *   byte  24                     32                     40                     48         56
 *         +----------------------+----------------------+----------------------+----------+
 *         | pinbased (u64)       | procbased (u64)      | procbased2 (u64)     | eptVpid  |
 *         +----------------------+----------------------+----------------------+----------+
 *
 * pinbased / procbased hold the TRUE_ MSRs when IA32_VMX_BASIC bit 55 says they exist, else the
 * legacy ones (Appendix A.3.1, A.3.2: the allowed-1 halves agree; only allowed-0 settings differ).
 */
@unmanaged
export class VmxCapsSnapshot {
  cpuid1Ecx: u32;
  valid: u32;
  featureControl: u64;
  basic: u64;
  pinbased: u64;
  procbased: u64;
  procbased2: u64;
  eptVpidCap: u64;
}
export const VMX_SNAPSHOT_SIZE: i32 = 56;

export const VALID_FEATURE_CONTROL: u32 = 1 << 0;
export const VALID_BASIC: u32 = 1 << 1;
export const VALID_PINBASED: u32 = 1 << 2;
export const VALID_PROCBASED: u32 = 1 << 3;
export const VALID_PROCBASED2: u32 = 1 << 4;
export const VALID_EPT_VPID_CAP: u32 = 1 << 5;

// ---- the verdict word ------------------------------------------------------------------------------
//   bits 7:0   status (VMX_STATUS_*)
//   bits 15:8  features present (FEAT_*)
//   bits 23:16 required features missing (FEAT_*), only with VMX_STATUS_MISSING_REQUIRED

/** VMX can be used: every required feature is present. */
export const VMX_STATUS_USABLE: u32 = 0;
/** CPUID.01H:ECX.VMX[bit 5] = 0. */
export const VMX_STATUS_NO_VMX: u32 = 1;
/** IA32_FEATURE_CONTROL lock (bit 0) set with VMX-outside-SMX (bit 2) clear: VMXON would #GP. */
export const VMX_STATUS_LOCKED_OFF: u32 = 2;
/** CPUID reports VMX but IA32_VMX_BASIC or the execution-controls capability MSRs #GP. */
export const VMX_STATUS_MSRS_UNREADABLE: u32 = 3;
/** VMX works but lacks a feature the hypervisor requires (see FEAT_REQUIRED). */
export const VMX_STATUS_MISSING_REQUIRED: u32 = 4;
/** CPUID reports VMX but IA32_FEATURE_CONTROL #GPs: whether VMXON is allowed is unknowable. */
export const VMX_STATUS_FEATURE_CONTROL_UNREADABLE: u32 = 5;

export const FEAT_EPT: u32 = 1 << 0;
export const FEAT_UNRESTRICTED_GUEST: u32 = 1 << 1;
export const FEAT_VPID: u32 = 1 << 2;
export const FEAT_PREEMPTION_TIMER: u32 = 1 << 3;
export const FEAT_EPT_2M: u32 = 1 << 4;
export const FEAT_EPT_1G: u32 = 1 << 5;
/** Guests run on EPT (no shadow paging) and start in real mode (unrestricted guest). */
export const FEAT_REQUIRED: u32 = FEAT_EPT | FEAT_UNRESTRICTED_GUEST;

// IA32_FEATURE_CONTROL bits ("Enabling and Entering VMX Operation").
const FC_LOCK: u64 = 1 << 0;
const FC_VMX_OUTSIDE_SMX: u64 = 1 << 2;

// Capability-MSR bits. A control may be 1 when its bit in the high half (allowed-1) is set
// (Appendix A.3), so control bit n is MSR bit 32 + n.
const ALLOWED1: u64 = 32;
const PIN_PREEMPTION_TIMER: u64 = ALLOWED1 + 6; // "Pin-Based VM-Execution Controls" bit 6
const PROC_SECONDARY_CONTROLS: u64 = ALLOWED1 + 31; // "Primary Processor-Based ..." bit 31
const PROC2_ENABLE_EPT: u64 = ALLOWED1 + 1; // "Secondary Processor-Based ..." bit 1
const PROC2_ENABLE_VPID: u64 = ALLOWED1 + 5; // secondary bit 5
const PROC2_UNRESTRICTED_GUEST: u64 = ALLOWED1 + 7; // secondary bit 7
// IA32_VMX_EPT_VPID_CAP (Appendix A.10): bit 16 = 2-MByte EPT pages, bit 17 = 1-GByte EPT pages.
const EPT_CAP_2M: u64 = 16;
const EPT_CAP_1G: u64 = 17;

@inline function bit(value: u64, n: u64): bool {
  return ((value >> n) & 1) != 0;
}

@inline function verdictWord(status: u32, present: u32, missing: u32): u32 {
  return status | (present << 8) | (missing << 16);
}

export function verdictStatus(word: u32): u32 {
  return word & 0xff;
}
export function verdictFeatures(word: u32): u32 {
  return (word >> 8) & 0xff;
}
export function verdictMissing(word: u32): u32 {
  return (word >> 16) & 0xff;
}

/** The verdict for one snapshot. Pure: reads only `s`. */
export function vmxVerdict(s: VmxCapsSnapshot): u32 {
  if ((s.cpuid1Ecx & CPUID_01_ECX_VMX) == 0) return verdictWord(VMX_STATUS_NO_VMX, 0, 0);

  // The MSR exists whenever CPUID.01H:ECX[5] or [6] is set (SDM Vol. 4, IA32_FEATURE_CONTROL).
  if ((s.valid & VALID_FEATURE_CONTROL) == 0) {
    return verdictWord(VMX_STATUS_FEATURE_CONTROL_UNREADABLE, 0, 0);
  }
  const fc = s.featureControl;
  // Unlocked is fine: bring-up sets bit 2 and the lock itself. Locked with bit 2 clear is final
  // until reset (WRMSR to a locked IA32_FEATURE_CONTROL #GPs, VMXON #GPs).
  if ((fc & FC_LOCK) != 0 && (fc & FC_VMX_OUTSIDE_SMX) == 0) {
    return verdictWord(VMX_STATUS_LOCKED_OFF, 0, 0);
  }

  const needed = VALID_BASIC | VALID_PINBASED | VALID_PROCBASED;
  if ((s.valid & needed) != needed) return verdictWord(VMX_STATUS_MSRS_UNREADABLE, 0, 0);

  let present: u32 = 0;
  if (bit(s.pinbased, PIN_PREEMPTION_TIMER)) present |= FEAT_PREEMPTION_TIMER;
  // Secondary controls only count when the primary controls can activate them (A.3.3).
  if (bit(s.procbased, PROC_SECONDARY_CONTROLS) && (s.valid & VALID_PROCBASED2) != 0) {
    const p2 = s.procbased2;
    if (bit(p2, PROC2_ENABLE_EPT)) present |= FEAT_EPT;
    if (bit(p2, PROC2_ENABLE_VPID)) present |= FEAT_VPID;
    if (bit(p2, PROC2_UNRESTRICTED_GUEST)) present |= FEAT_UNRESTRICTED_GUEST;
    // EPT page sizes mean something only when EPT itself can be enabled (A.10).
    if ((present & FEAT_EPT) != 0 && (s.valid & VALID_EPT_VPID_CAP) != 0) {
      if (bit(s.eptVpidCap, EPT_CAP_2M)) present |= FEAT_EPT_2M;
      if (bit(s.eptVpidCap, EPT_CAP_1G)) present |= FEAT_EPT_1G;
    }
  }

  const missing = FEAT_REQUIRED & ~present;
  return verdictWord(missing != 0 ? VMX_STATUS_MISSING_REQUIRED : VMX_STATUS_USABLE, present, missing);
}
