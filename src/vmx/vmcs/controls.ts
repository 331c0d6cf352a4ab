// VM-execution, VM-exit and VM-entry control bits (SDM Vol 3C §24.6.1, §24.6.2, §24.7.1, §24.8.1)
// and their adjustment against a capability MSR (SDM Vol 3D A.3–A.5).
//
// A control capability MSR (IA32_VMX_[TRUE_]{PINBASED,PROCBASED,EXIT,ENTRY}_CTLS, PROCBASED_CTLS2):
//   63                 32 31                  0
//  +---------------------+---------------------+
//  |  allowed-1 settings |  allowed-0 settings |
//  +---------------------+---------------------+
//   allowed-0: bit X = 1 → control X must be 1.  allowed-1: bit X = 0 → control X must be 0.

// ------------------------------------------------ pin-based (§24.6.1, Table 24-5)
export const PIN_EXTERNAL_INTERRUPT_EXITING: u32 = 1 << 0;
export const PIN_NMI_EXITING: u32 = 1 << 3;
export const PIN_VIRTUAL_NMIS: u32 = 1 << 5;
export const PIN_PREEMPTION_TIMER: u32 = 1 << 6;
export const PIN_POSTED_INTERRUPTS: u32 = 1 << 7;

// ------------------------------------------------ primary processor-based (§24.6.2, Table 24-6)
export const PROC_INTERRUPT_WINDOW_EXITING: u32 = 1 << 2;
export const PROC_TSC_OFFSETTING: u32 = 1 << 3;
export const PROC_HLT_EXITING: u32 = 1 << 7;
export const PROC_INVLPG_EXITING: u32 = 1 << 9;
export const PROC_MWAIT_EXITING: u32 = 1 << 10;
export const PROC_RDPMC_EXITING: u32 = 1 << 11;
export const PROC_RDTSC_EXITING: u32 = 1 << 12;
export const PROC_CR3_LOAD_EXITING: u32 = 1 << 15;
export const PROC_CR3_STORE_EXITING: u32 = 1 << 16;
export const PROC_CR8_LOAD_EXITING: u32 = 1 << 19;
export const PROC_CR8_STORE_EXITING: u32 = 1 << 20;
export const PROC_USE_TPR_SHADOW: u32 = 1 << 21;
export const PROC_NMI_WINDOW_EXITING: u32 = 1 << 22;
export const PROC_MOV_DR_EXITING: u32 = 1 << 23;
export const PROC_UNCONDITIONAL_IO_EXITING: u32 = 1 << 24;
export const PROC_USE_IO_BITMAPS: u32 = 1 << 25;
export const PROC_MONITOR_TRAP_FLAG: u32 = 1 << 27;
export const PROC_USE_MSR_BITMAPS: u32 = 1 << 28;
export const PROC_MONITOR_EXITING: u32 = 1 << 29;
export const PROC_PAUSE_EXITING: u32 = 1 << 30;
export const PROC_ACTIVATE_SECONDARY_CONTROLS: u32 = 1 << 31;

// ------------------------------------------------ secondary processor-based (§24.6.2, Table 24-7)
export const PROC2_VIRTUALIZE_APIC_ACCESSES: u32 = 1 << 0;
export const PROC2_ENABLE_EPT: u32 = 1 << 1;
export const PROC2_DESCRIPTOR_TABLE_EXITING: u32 = 1 << 2;
export const PROC2_ENABLE_RDTSCP: u32 = 1 << 3;
export const PROC2_VIRTUALIZE_X2APIC: u32 = 1 << 4;
export const PROC2_ENABLE_VPID: u32 = 1 << 5;
export const PROC2_WBINVD_EXITING: u32 = 1 << 6;
export const PROC2_UNRESTRICTED_GUEST: u32 = 1 << 7;
export const PROC2_APIC_REGISTER_VIRTUALIZATION: u32 = 1 << 8;
export const PROC2_VIRTUAL_INTERRUPT_DELIVERY: u32 = 1 << 9;
export const PROC2_PAUSE_LOOP_EXITING: u32 = 1 << 10;
export const PROC2_RDRAND_EXITING: u32 = 1 << 11;
export const PROC2_ENABLE_INVPCID: u32 = 1 << 12;
export const PROC2_ENABLE_VMFUNC: u32 = 1 << 13;
export const PROC2_VMCS_SHADOWING: u32 = 1 << 14;
export const PROC2_RDSEED_EXITING: u32 = 1 << 16;
export const PROC2_ENABLE_PML: u32 = 1 << 17;
export const PROC2_EPT_VIOLATION_VE: u32 = 1 << 18;
export const PROC2_ENABLE_XSAVES: u32 = 1 << 20;
export const PROC2_TSC_SCALING: u32 = 1 << 25;

// ------------------------------------------------ VM-exit (§24.7.1, Table 24-13)
export const EXIT_SAVE_DEBUG_CONTROLS: u32 = 1 << 2;
export const EXIT_HOST_ADDRESS_SPACE_SIZE: u32 = 1 << 9;
export const EXIT_LOAD_PERF_GLOBAL_CTRL: u32 = 1 << 12;
export const EXIT_ACK_INTERRUPT_ON_EXIT: u32 = 1 << 15;
export const EXIT_SAVE_PAT: u32 = 1 << 18;
export const EXIT_LOAD_PAT: u32 = 1 << 19;
export const EXIT_SAVE_EFER: u32 = 1 << 20;
export const EXIT_LOAD_EFER: u32 = 1 << 21;
export const EXIT_SAVE_PREEMPTION_TIMER: u32 = 1 << 22;

// ------------------------------------------------ VM-entry (§24.8.1, Table 24-15)
export const ENTRY_LOAD_DEBUG_CONTROLS: u32 = 1 << 2;
export const ENTRY_IA32E_MODE_GUEST: u32 = 1 << 9;
export const ENTRY_TO_SMM: u32 = 1 << 10;
export const ENTRY_DEACTIVATE_DUAL_MONITOR: u32 = 1 << 11;
export const ENTRY_LOAD_PERF_GLOBAL_CTRL: u32 = 1 << 13;
export const ENTRY_LOAD_PAT: u32 = 1 << 14;
export const ENTRY_LOAD_EFER: u32 = 1 << 15;

/** Controls that must be 1 (allowed-0 settings, bits 31:0 of the capability MSR). */
@inline export function capMustBe1(cap: u64): u32 { return <u32>cap; }
/** Controls that may be 1 (allowed-1 settings, bits 63:32 of the capability MSR). */
@inline export function capMayBe1(cap: u64): u32 { return <u32>(cap >> 32); }

// An adjustment result packs into one u64, so that the pure function needs no memory:
//   63         32 31          0
//  +-------------+-------------+
//  | missing     | value       |
//  +-------------+-------------+
//   missing: required controls the CPU does not allow to be 1 (0 = success).
//   value:   the control word to VMWRITE (only meaningful when missing = 0).

@inline export function ctlValue(result: u64): u32 { return <u32>result; }
@inline export function ctlMissing(result: u64): u32 { return <u32>(result >> 32); }
@inline export function ctlOk(result: u64): bool { return (result >> 32) == 0; }

/**
 * The control word for one capability MSR (A.3–A.5): every `required` bit, each `optional` bit the
 * CPU allows, and every bit the CPU forces to 1. Fails (missing ≠ 0) when a required bit may not be
 * 1. A bit the CPU forces to 1 that the caller did not ask for is set anyway (the rule of A.3.1);
 * `ctlForcedExtra` reports those so that exit handlers can be prepared for them.
 */
export function adjustControls(cap: u64, required: u32, optional: u32): u64 {
  const may1 = capMayBe1(cap);
  const must1 = capMustBe1(cap);
  const missing = required & ~may1;
  const value = ((required | optional) & may1) | must1;
  return (<u64>missing << 32) | <u64>value;
}

/** Bits the CPU forces to 1 although the caller asked for neither (informational). */
@inline export function ctlForcedExtra(cap: u64, required: u32, optional: u32): u32 {
  return capMustBe1(cap) & ~(required | optional);
}

/** Whether every bit of `bits` may be 1 under `cap` (for controls toggled at run time). */
@inline export function capAllows(cap: u64, bits: u32): bool { return (bits & ~capMayBe1(cap)) == 0; }
