// Per-vCPU state of the emulated MSRs and the validity rules every WRMSR is checked against.
// Pure: no VMCS, no hardware; the WRMSR/RDMSR handler (src/vmm/exits/msr.ts) applies the results.
//
// MsrState: MsrSlot.COUNT (32) u64 slots, one per emulated MSR (slot numbers in msr-table.ts):
//   slot 0 APIC_BASE   1 MISC_ENABLE   2 MTRR_DEF_TYPE   3..13 fixed-range MTRRs
//   14..29 variable-range MTRRs (PHYSBASEn at 14 + 2n, PHYSMASKn at 15 + 2n)   30, 31 unused

import { MsrSlot, MsrConst, MSR_MTRR_PHYSBASE0, MSR_MTRR_PHYSMASK7 } from "./msr-table";

export const MSR_STATE_SIZE: u32 = <u32>MsrSlot.COUNT * 8;

/** Slot `i` of the state at `state`. Invariant: i < MsrSlot.COUNT (slots come from the table). */
@inline export function msrSlotGet(state: usize, i: u32): u64 { return load<u64>(state + (<usize>(i & 31) << 3)); }
@inline export function msrSlotSet(state: usize, i: u32, v: u64): void { store<u64>(state + (<usize>(i & 31) << 3), v); }

// ---- IA32_APIC_BASE (SDM Vol 3A §10.4.4, Figure 10-5): bit 8 BSP (read-only), bit 10 EXTD
// (x2APIC mode), bit 11 EN (global enable), bits MAXPHYADDR-1:12 base; the rest reserved.
export const APIC_BASE_DEFAULT: u64 = 0xFEE00000;
export const APIC_BASE_BSP: u64 = 1 << 8;
export const APIC_BASE_EXTD: u64 = 1 << 10;
export const APIC_BASE_EN: u64 = 1 << 11;

// ---- IA32_MISC_ENABLE (SDM Vol 4 Table 2-2): bit 0 fast strings, bit 11 BTS unavailable,
// bit 12 PEBS unavailable, bit 22 limit CPUID maxval, bit 34 XD bit disable.
export const MISC_ENABLE_FAST_STRING: u64 = 1 << 0;
export const MISC_ENABLE_BTS_UNAVAIL: u64 = 1 << 11;
export const MISC_ENABLE_PEBS_UNAVAIL: u64 = 1 << 12;
export const MISC_ENABLE_LIMIT_CPUID: u64 = 1 << 22;
export const MISC_ENABLE_XD_DISABLE: u64 = <u64>1 << 34;
/** Bits a guest write changes; other bits keep their value (writes to them are ignored). */
const MISC_ENABLE_WRITABLE: u64 = MISC_ENABLE_FAST_STRING | MISC_ENABLE_LIMIT_CPUID;

// ---- MTRRs (SDM Vol 3A §11.11.2): IA32_MTRR_DEF_TYPE bits 7:0 type, 10 FE, 11 E.
export const MTRR_DEF_E: u64 = 1 << 11;
export const MTRR_DEF_FE: u64 = 1 << 10;
export const MEMTYPE_WB: u64 = 6;
/** IA32_MTRRCAP: VCNT = 8 variable ranges (7:0), FIX (8) fixed ranges, WC (10); no SMRR (11). */
export const MTRRCAP_VALUE: u64 = 8 | (1 << 8) | (1 << 10);
/** IA32_FEATURE_CONTROL: lock (bit 0) set, VMX inside/outside SMX (bits 1, 2) clear: a guest
 *  that looks for VMX sees it disabled by firmware and leaves it alone (SDM Vol 3C §23.7). */
export const FEATURE_CONTROL_VALUE: u64 = 1;

/** Value of a CONST / CONST_WI MSR. */
export function msrConstValue(which: u32): u64 {
  if (which == MsrConst.FEATURE_CONTROL) return FEATURE_CONTROL_VALUE;
  if (which == MsrConst.MTRRCAP) return MTRRCAP_VALUE;
  return 0;
}

/** Mask of physical-address bits 63:maxPhysBits (reserved in address-carrying MSRs). */
@inline function aboveMaxPhys(maxPhysBits: u32): u64 {
  return maxPhysBits >= 64 ? 0 : ~((<u64>1 << maxPhysBits) - 1);
}

/**
 * Reset values (SDM Vol 3A §9.1.1 Table 9-1), except that the MTRRs come up enabled with WB as
 * the default type, as firmware would leave them: with EPT the CPU takes memory types from the EPT
 * and the guest PAT, never from the guest's MTRRs, so these are what the guest reads back only.
 */
export function msrStateInit(state: usize, bsp: bool): void {
  memory.fill(state, 0, MSR_STATE_SIZE);
  msrSlotSet(state, MsrSlot.APIC_BASE, APIC_BASE_DEFAULT | APIC_BASE_EN | (bsp ? APIC_BASE_BSP : 0));
  msrSlotSet(state, MsrSlot.MISC_ENABLE, MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL);
  msrSlotSet(state, MsrSlot.MTRR_DEF_TYPE, MTRR_DEF_E | MEMTYPE_WB);
}

/** Memory types valid in MTRRs: UC 0, WC 1, WT 4, WP 5, WB 6 (SDM Vol 3A Table 11-8). */
@inline export function mtrrTypeValid(t: u32): bool { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }
/** Memory types valid in a PAT entry: the MTRR types and UC- (7) (SDM Vol 3A Table 11-10). */
@inline export function patTypeValid(t: u32): bool { return t == 7 || mtrrTypeValid(t); }

/** IA32_PAT: every byte a valid type, bits 7:3 of each byte zero (SDM Vol 3A §11.12.2: else #GP). */
export function patValid(v: u64): bool {
  for (let i: u32 = 0; i < 8; i++) if (!patTypeValid(<u32>(v >> (8 * i)) & 0xFF)) return false;
  return true;
}
/** Fixed-range MTRR: eight type bytes (SDM Vol 3A §11.11.2.2; an invalid type raises #GP). */
export function mtrrFixedValid(v: u64): bool {
  for (let i: u32 = 0; i < 8; i++) if (!mtrrTypeValid(<u32>(v >> (8 * i)) & 0xFF)) return false;
  return true;
}
/** IA32_MTRR_DEF_TYPE: type valid; bits 9:8 and 63:12 reserved (Figure 11-6). */
export function mtrrDefTypeValid(v: u64): bool {
  return (v & ~(<u64>0xCFF)) == 0 && mtrrTypeValid(<u32>v & 0xFF);
}
/** IA32_MTRR_PHYSBASEn: type valid, bits 11:8 and MAXPHYADDR.. reserved (Figure 11-7). */
export function mtrrPhysBaseValid(v: u64, maxPhysBits: u32): bool {
  return (v & (0xF00 | aboveMaxPhys(maxPhysBits))) == 0 && mtrrTypeValid(<u32>v & 0xFF);
}
/** IA32_MTRR_PHYSMASKn: bits 10:0 and MAXPHYADDR.. reserved, bit 11 valid (Figure 11-7). */
export function mtrrPhysMaskValid(v: u64, maxPhysBits: u32): bool {
  return (v & (0x7FF | aboveMaxPhys(maxPhysBits))) == 0;
}

/** Canonical 48-bit linear address: bits 63:47 all equal (SDM Vol 1 §3.3.7.1). */
@inline export function isCanonical(v: u64): bool {
  const top = v >> 47;
  return top == 0 || top == 0x1FFFF;
}

// ---- IA32_EFER (SDM Vol 3A §2.2.1, Figure 2-4): SCE 0, LME 8, LMA 10, NXE 11.
export const EFER_SCE: u64 = 1 << 0;
export const EFER_LME: u64 = 1 << 8;
export const EFER_LMA: u64 = 1 << 10;
export const EFER_NXE: u64 = 1 << 11;
const EFER_ALLOWED: u64 = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
/** Returned by eferWrite when the write must raise #GP(0). */
export const EFER_WRITE_GP: u64 = 0xFFFFFFFFFFFFFFFF;

/**
 * New EFER for WRMSR(EFER, value) with the current `old` EFER and CR0.PG, or EFER_WRITE_GP.
 * Reserved bits raise #GP; changing LME while paging is on raises #GP (SDM Vol 3A §9.8.5.4);
 * LMA is set by the CPU, not by WRMSR, so the current LMA is kept (§9.8.5). `nx` says whether the
 * guest's CPUID reports NX (80000001H.EDX[20]); without it NXE is reserved.
 */
export function eferWrite(old: u64, value: u64, cr0Pg: bool, nx: bool): u64 {
  const allowed = nx ? EFER_ALLOWED : EFER_ALLOWED & ~EFER_NXE;
  if ((value & ~allowed) != 0) return EFER_WRITE_GP;
  if (cr0Pg && ((value ^ old) & EFER_LME) != 0) return EFER_WRITE_GP;
  return (value & ~EFER_LMA) | (old & EFER_LMA);
}

/** Result of msrEmulatedWrite. */
export const enum MsrWrite { OK = 0, GP = 1 }

/**
 * WRMSR to the emulated MSR `msr` (rule slot `slot`): validates `value` and updates the state.
 * `maxPhysBits` is the guest's MAXPHYADDR (CPUID 80000008H.EAX[7:0]). Returns GP when the CPU
 * would raise #GP(0); the state is then unchanged.
 */
export function msrEmulatedWrite(state: usize, msr: u32, slot: u32, value: u64, maxPhysBits: u32): MsrWrite {
  const old = msrSlotGet(state, slot);
  if (slot == MsrSlot.APIC_BASE) {
    // No x2APIC (hidden in CPUID): setting EXTD raises #GP (§10.12.1). BSP is read-only.
    const reserved = 0x2FF | APIC_BASE_EXTD | aboveMaxPhys(maxPhysBits);
    if ((value & reserved & ~APIC_BASE_BSP) != 0) return MsrWrite.GP;
    msrSlotSet(state, slot, (value & ~APIC_BASE_BSP) | (old & APIC_BASE_BSP));
    return MsrWrite.OK;
  }
  if (slot == MsrSlot.MISC_ENABLE) {
    // Disabling XD is not supported (the guest's NX stays on): #GP rather than a silent no-op.
    if ((value & MISC_ENABLE_XD_DISABLE) != 0) return MsrWrite.GP;
    msrSlotSet(state, slot, (value & MISC_ENABLE_WRITABLE) | (old & ~MISC_ENABLE_WRITABLE));
    return MsrWrite.OK;
  }
  if (slot == MsrSlot.MTRR_DEF_TYPE) {
    if (!mtrrDefTypeValid(value)) return MsrWrite.GP;
  } else if (slot >= <u32>MsrSlot.MTRR_FIX_FIRST && slot < <u32>MsrSlot.MTRR_VAR_FIRST) {
    if (!mtrrFixedValid(value)) return MsrWrite.GP;
  } else if (msr >= MSR_MTRR_PHYSBASE0 && msr <= MSR_MTRR_PHYSMASK7) {
    const isMask = ((msr - MSR_MTRR_PHYSBASE0) & 1) != 0;
    if (isMask ? !mtrrPhysMaskValid(value, maxPhysBits) : !mtrrPhysBaseValid(value, maxPhysBits)) return MsrWrite.GP;
  } else {
    return MsrWrite.GP; // a slot the table does not define: never written
  }
  msrSlotSet(state, slot, value);
  return MsrWrite.OK;
}
