// Decoding of IA32_VMX_BASIC (SDM Vol 3D A.1), IA32_VMX_MISC (A.6) and the CR0/CR4 fixed-bit
// MSRs (A.7, A.8). Pure functions of the MSR values.

// IA32_VMX_BASIC (A.1):
//   63 57 56 55 54 53   50 49 48 47 45 44        32 31 30                  0
//  +-----+--+--+--+-------+--+--+-----+------------+--+---------------------+
//  |  0  |EC|TC|IO|memtype|DM|32|  0  | VMCS size  | 0|  VMCS revision id   |
//  +-----+--+--+--+-------+--+--+-----+------------+--+---------------------+
//   EC: VM entry may deliver hardware exceptions with or without error code; TC: the TRUE
//   control MSRs exist; IO: INS/OUTS information is reported on exits; 32: VMXON/VMCS/bitmap
//   addresses are limited to 32 bits; DM: dual-monitor SMM treatment; memtype: 0 UC, 6 WB.

/** VMCS revision identifier, written to the first 31 bits of the VMXON region and each VMCS. */
@inline export function basicRevisionId(basic: u64): u32 { return <u32>basic & 0x7FFFFFFF; }
/** Bytes to allocate for the VMXON region and for a VMCS (at most 4096). */
@inline export function basicVmcsSize(basic: u64): u32 { return <u32>(basic >> 32) & 0x1FFF; }
/** Memory type the CPU uses for the VMCS and the structures it points to (0 UC, 6 WB). */
@inline export function basicMemoryType(basic: u64): u32 { return <u32>(basic >> 50) & 0xF; }
/** Bit 48: physical addresses of VMXON region, VMCS and bitmaps must be below 4 GiB. */
@inline export function basicAddr32(basic: u64): bool { return ((basic >> 48) & 1) != 0; }
/** Bit 54: VM exits from INS/OUTS report instruction information. */
@inline export function basicInsOutsInfo(basic: u64): bool { return ((basic >> 54) & 1) != 0; }
/** Bit 55: the IA32_VMX_TRUE_*_CTLS MSRs exist and must be used for the "default1" controls. */
@inline export function basicTrueControls(basic: u64): bool { return ((basic >> 55) & 1) != 0; }
/** Bit 56: VM entry may inject a hardware exception with or without an error code. */
@inline export function basicFlexibleErrorCode(basic: u64): bool { return ((basic >> 56) & 1) != 0; }

export const MEMTYPE_UC: u32 = 0;
export const MEMTYPE_WB: u32 = 6;

// IA32_VMX_MISC (A.6): bits 4:0 preemption-timer rate, bit 5 "store EFER.LMA into IA-32e mode
// guest" on exit, bits 8:6 activity states (bit 6 HLT, 7 shutdown, 8 wait-for-SIPI), bits 24:16
// number of CR3-target values, bits 27:25 MSR-list limit N (512 * (N + 1) entries), bit 29
// VMWRITE may write the VM-exit information fields.

/** The preemption timer counts down by 1 each time TSC bit `rate` changes (A.6). */
@inline export function miscPreemptionTimerRate(misc: u64): u32 { return <u32>misc & 0x1F; }
/** Whether the guest activity state HLT may be entered (bit 6). */
@inline export function miscActivityHlt(misc: u64): bool { return ((misc >> 6) & 1) != 0; }
/** Whether the wait-for-SIPI activity state is supported (bit 8): needed to park APs. */
@inline export function miscActivityWaitForSipi(misc: u64): bool { return ((misc >> 8) & 1) != 0; }
/** Number of CR3-target values (bits 24:16). */
@inline export function miscCr3Targets(misc: u64): u32 { return <u32>(misc >> 16) & 0x1FF; }
/** Recommended maximum number of entries in each MSR load/store list (bits 27:25). */
@inline export function miscMaxMsrListEntries(misc: u64): u32 { return 512 * ((<u32>(misc >> 25) & 7) + 1); }

// CR0/CR4 fixed bits (A.7, A.8): a bit that is 1 in FIXED0 must be 1 in the register, a bit that
// is 0 in FIXED1 must be 0. They apply to the host in VMX operation and to the guest fields on VM
// entry (SDM 26.3.1.1), except that with "unrestricted guest" = 1 the guest's CR0.PE (bit 0) and
// CR0.PG (bit 31) are not checked (so the guest may run in real mode or without paging).

export const CR0_PE: u64 = 1 << 0;
export const CR0_NE: u64 = 1 << 5;
export const CR0_NW: u64 = 1 << 29;
export const CR0_CD: u64 = 1 << 30;
export const CR0_PG: u64 = 1 << 31;
export const CR4_VMXE: u64 = 1 << 13;

/** CR0 bits exempt from the fixed-bit check for a guest with "unrestricted guest" = 1. */
export const CR0_UNRESTRICTED_EXEMPT: u64 = CR0_PE | CR0_PG;

/** Bits of `value` that break the fixed settings (ignoring the `exempt` bits). 0 means valid. */
@inline export function crFixedViolations(value: u64, fixed0: u64, fixed1: u64, exempt: u64): u64 {
  return ((fixed0 & ~value) | (value & ~fixed1)) & ~exempt;
}

/** `value` with every fixed-1 bit set and every fixed-0 bit cleared (`exempt` bits kept as is). */
@inline export function crApplyFixed(value: u64, fixed0: u64, fixed1: u64, exempt: u64): u64 {
  const forced = (value | fixed0) & fixed1;
  return (forced & ~exempt) | (value & exempt);
}

/**
 * CR bits the guest may not own: those forced either way by the fixed MSRs. A VMM puts them in the
 * CR0/CR4 guest/host mask (SDM 25.3 "Changes to instruction behavior": MOV to CR exits when a
 * masked bit would differ from the read shadow) and shows the guest's view in the read shadow.
 */
@inline export function crHostOwnedMask(fixed0: u64, fixed1: u64, exempt: u64): u64 {
  return (fixed0 | ~fixed1) & ~exempt;
}

/** Guest CR0 to enter with: the guest's wish, adjusted; PE/PG left to the guest if unrestricted. */
export function guestCr0(wanted: u64, fixed0: u64, fixed1: u64, unrestricted: bool): u64 {
  return crApplyFixed(wanted, fixed0, fixed1, unrestricted ? CR0_UNRESTRICTED_EXEMPT : 0);
}
/** Guest CR4 to enter with (no exemptions: VMXE stays forced on, hidden by the read shadow). */
export function guestCr4(wanted: u64, fixed0: u64, fixed1: u64): u64 {
  return crApplyFixed(wanted, fixed0, fixed1, 0);
}
