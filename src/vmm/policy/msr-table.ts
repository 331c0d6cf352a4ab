// The MSR policy table: for every MSR a guest may touch, how RDMSR/WRMSR are served. An MSR not
// in the table raises #GP(0) on both, which is what the CPU does for an MSR it does not implement
// (SDM Vol 2B, RDMSR/WRMSR "Protected Mode Exceptions"). The table names every MSR the reference
// Linux guest reads or writes when its CPUID is the one of cpuid.ts (MSR numbers: SDM Vol 4,
// Table 2-2 "IA-32 Architectural MSRs"). The MSR bitmap (msr-bitmap.ts) is computed from it.
//
// Row format, two u32 per row, sorted by MSR number (a unit test checks the order):
//   +0 msr   +4 rule:  bits 3:0 kind (MsrKind)   bits 15:8 slot (EMULATED: index in MsrState;
//                      CONST: which constant, msr-state.ts)

/** How an MSR is served. */
export const enum MsrKind {
  /** Not offered to guests (an unknown or withheld MSR): #GP(0) on RDMSR and WRMSR. */
  GP = 0,
  /** No exits: the real MSR holds the guest's value while it runs (SYSCALL MSRs, KERNEL_GS_BASE,
   *  TSC_AUX). The host never uses them; a vCPU switch on one CPU saves and restores them. */
  GUEST_OWNED = 1,
  /** No exits: a VMCS guest-state field that every VM exit saves and every VM entry loads
   *  (SDM 27.3.1, 26.3.2.1: SYSENTER_CS/ESP/EIP, FS/GS base), so the CPU keeps it correct. */
  VMCS_NOEXIT = 2,
  /** Exits on read and write; the value lives in a VMCS guest field (EFER, PAT, DEBUGCTL) and a
   *  write is validated first. */
  VMCS = 3,
  /** Exits on read and write; the value is emulated per vCPU (MsrState slot). */
  EMULATED = 4,
  /** Exits; reads a constant (MsrConst), WRMSR raises #GP (read-only MSR). */
  CONST = 5,
  /** Exits; reads a constant, WRMSR is accepted and ignored (BIOS_SIGN_ID: Linux writes 0 first). */
  CONST_WI = 6,
  /** Exits; reads the host CPU's value (informational, read-only MSRs), WRMSR raises #GP. */
  HOST_READ = 7,
  /** Reads do not exit (the TSC offset applies); WRMSR exits and moves the TSC offset. */
  TSC = 8,
}

export const MSR_TSC: u32 = 0x10;
export const MSR_PLATFORM_ID: u32 = 0x17;
export const MSR_APIC_BASE: u32 = 0x1B;
export const MSR_FEATURE_CONTROL: u32 = 0x3A;
export const MSR_BIOS_SIGN_ID: u32 = 0x8B;
export const MSR_PLATFORM_INFO: u32 = 0xCE;
export const MSR_MTRRCAP: u32 = 0xFE;
export const MSR_SYSENTER_CS: u32 = 0x174;
export const MSR_SYSENTER_ESP: u32 = 0x175;
export const MSR_SYSENTER_EIP: u32 = 0x176;
export const MSR_MISC_ENABLE: u32 = 0x1A0;
export const MSR_DEBUGCTL: u32 = 0x1D9;
export const MSR_MTRR_PHYSBASE0: u32 = 0x200;
export const MSR_MTRR_PHYSMASK7: u32 = 0x20F;
export const MSR_MTRR_FIX64K_00000: u32 = 0x250;
export const MSR_MTRR_FIX16K_80000: u32 = 0x258;
export const MSR_MTRR_FIX16K_A0000: u32 = 0x259;
export const MSR_MTRR_FIX4K_C0000: u32 = 0x268;
export const MSR_MTRR_FIX4K_F8000: u32 = 0x26F;
export const MSR_PAT: u32 = 0x277;
export const MSR_MTRR_DEF_TYPE: u32 = 0x2FF;
export const MSR_EFER: u32 = 0xC0000080;
export const MSR_STAR: u32 = 0xC0000081;
export const MSR_LSTAR: u32 = 0xC0000082;
export const MSR_CSTAR: u32 = 0xC0000083;
export const MSR_SFMASK: u32 = 0xC0000084;
export const MSR_FS_BASE: u32 = 0xC0000100;
export const MSR_GS_BASE: u32 = 0xC0000101;
export const MSR_KERNEL_GS_BASE: u32 = 0xC0000102;
export const MSR_TSC_AUX: u32 = 0xC0000103;

/** Slots of the per-vCPU emulated MSRs (MsrState, msr-state.ts). */
export const enum MsrSlot {
  APIC_BASE = 0,
  MISC_ENABLE = 1,
  MTRR_DEF_TYPE = 2,
  /** FIX64K_00000, FIX16K_80000, FIX16K_A0000, then FIX4K_C0000 … FIX4K_F8000: slots 3..13. */
  MTRR_FIX_FIRST = 3,
  /** PHYSBASE0, PHYSMASK0, … PHYSMASK7: slots 14..29 (slot = 14 + (msr - 0x200)). */
  MTRR_VAR_FIRST = 14,
  COUNT = 32,
}

/** Constants of CONST / CONST_WI MSRs (msrConstValue). */
export const enum MsrConst { FEATURE_CONTROL = 0, MTRRCAP = 1, ZERO = 2 }


/** Rows in TABLE; the unit tests check that the last row is MSR_TSC_AUX and the order is strict. */
const ROWS: u32 = 50;
const TABLE: usize = memory.data<u32>([
  MSR_TSC, MsrKind.TSC,
  MSR_PLATFORM_ID, MsrKind.HOST_READ,
  MSR_APIC_BASE, MsrKind.EMULATED | (MsrSlot.APIC_BASE << 8),
  MSR_FEATURE_CONTROL, MsrKind.CONST | (MsrConst.FEATURE_CONTROL << 8),
  MSR_BIOS_SIGN_ID, MsrKind.CONST_WI | (MsrConst.ZERO << 8),
  MSR_PLATFORM_INFO, MsrKind.HOST_READ,
  MSR_MTRRCAP, MsrKind.CONST | (MsrConst.MTRRCAP << 8),
  MSR_SYSENTER_CS, MsrKind.VMCS_NOEXIT,
  MSR_SYSENTER_ESP, MsrKind.VMCS_NOEXIT,
  MSR_SYSENTER_EIP, MsrKind.VMCS_NOEXIT,
  MSR_MISC_ENABLE, MsrKind.EMULATED | (MsrSlot.MISC_ENABLE << 8),
  MSR_DEBUGCTL, MsrKind.VMCS,
  0x200, MsrKind.EMULATED | (14 << 8), 0x201, MsrKind.EMULATED | (15 << 8),
  0x202, MsrKind.EMULATED | (16 << 8), 0x203, MsrKind.EMULATED | (17 << 8),
  0x204, MsrKind.EMULATED | (18 << 8), 0x205, MsrKind.EMULATED | (19 << 8),
  0x206, MsrKind.EMULATED | (20 << 8), 0x207, MsrKind.EMULATED | (21 << 8),
  0x208, MsrKind.EMULATED | (22 << 8), 0x209, MsrKind.EMULATED | (23 << 8),
  0x20A, MsrKind.EMULATED | (24 << 8), 0x20B, MsrKind.EMULATED | (25 << 8),
  0x20C, MsrKind.EMULATED | (26 << 8), 0x20D, MsrKind.EMULATED | (27 << 8),
  0x20E, MsrKind.EMULATED | (28 << 8), 0x20F, MsrKind.EMULATED | (29 << 8),
  MSR_MTRR_FIX64K_00000, MsrKind.EMULATED | (3 << 8),
  MSR_MTRR_FIX16K_80000, MsrKind.EMULATED | (4 << 8),
  MSR_MTRR_FIX16K_A0000, MsrKind.EMULATED | (5 << 8),
  0x268, MsrKind.EMULATED | (6 << 8), 0x269, MsrKind.EMULATED | (7 << 8),
  0x26A, MsrKind.EMULATED | (8 << 8), 0x26B, MsrKind.EMULATED | (9 << 8),
  0x26C, MsrKind.EMULATED | (10 << 8), 0x26D, MsrKind.EMULATED | (11 << 8),
  0x26E, MsrKind.EMULATED | (12 << 8), 0x26F, MsrKind.EMULATED | (13 << 8),
  MSR_PAT, MsrKind.VMCS,
  MSR_MTRR_DEF_TYPE, MsrKind.EMULATED | (MsrSlot.MTRR_DEF_TYPE << 8),
  MSR_EFER, MsrKind.VMCS,
  MSR_STAR, MsrKind.GUEST_OWNED,
  MSR_LSTAR, MsrKind.GUEST_OWNED,
  MSR_CSTAR, MsrKind.GUEST_OWNED,
  MSR_SFMASK, MsrKind.GUEST_OWNED,
  MSR_FS_BASE, MsrKind.VMCS_NOEXIT,
  MSR_GS_BASE, MsrKind.VMCS_NOEXIT,
  MSR_KERNEL_GS_BASE, MsrKind.GUEST_OWNED,
  MSR_TSC_AUX, MsrKind.GUEST_OWNED,
]);

/** Number of rows. */
export function msrTableRows(): u32 { return ROWS; }
/** MSR number of row `i`. Invariant: i < ROWS (callers loop to msrTableRows()). */
@inline export function msrTableMsr(i: u32): u32 { return load<u32>(TABLE + (<usize>i << 3)); }
/** Rule of row `i`. Invariant: as for msrTableMsr. */
@inline export function msrTableRule(i: u32): u32 { return load<u32>(TABLE + (<usize>i << 3) + 4); }

@inline export function ruleKind(r: u32): MsrKind { return <MsrKind>(r & 0xF); }
@inline export function ruleSlot(r: u32): u32 { return (r >> 8) & 0xFF; }

/** The rule for `msr` (binary search); 0 (kind GP) for an MSR not in the table. */
export function msrRule(msr: u32): u32 {
  let lo: u32 = 0;
  let hi: u32 = ROWS;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const m = msrTableMsr(mid);
    if (m == msr) return msrTableRule(mid);
    if (m < msr) lo = mid + 1; else hi = mid;
  }
  return 0;
}

/** Whether RDMSR of an MSR with rule `r` must cause a VM exit. */
export function ruleReadExits(r: u32): bool {
  const k = ruleKind(r);
  return !(k == MsrKind.GUEST_OWNED || k == MsrKind.VMCS_NOEXIT || k == MsrKind.TSC);
}
/** Whether WRMSR of an MSR with rule `r` must cause a VM exit. */
export function ruleWriteExits(r: u32): bool {
  const k = ruleKind(r);
  return !(k == MsrKind.GUEST_OWNED || k == MsrKind.VMCS_NOEXIT);
}
