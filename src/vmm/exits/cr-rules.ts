// The architectural rules of MOV to CR0/CR3/CR4/CR8, CLTS and LMSW as the guest must see them
// (SDM Vol 2B "MOV—Move to/from Control Registers", "LMSW", "CLTS"; Vol 3A §2.5 control
// registers, §9.8.5 IA-32e mode activation). Pure: the CR-access handler (cr.ts) reads the VMCS,
// asks these functions and writes the results back.
//
// What the guest sees is its own value ("guest view"): the read shadow for the bits in the
// guest/host mask, the real register elsewhere (SDM Vol 3C §25.3). VMX forces some bits (CR0.NE,
// CR4.VMXE; fixed-bit MSRs, Appendix A.7/A.8); those are in the mask, and the handler writes the
// guest view to the shadow and the adjusted value to the real guest field.

export const CR0_PE: u64 = 1 << 0;
export const CR0_MP: u64 = 1 << 1;
export const CR0_EM: u64 = 1 << 2;
export const CR0_TS: u64 = 1 << 3;
export const CR0_ET: u64 = 1 << 4;
export const CR0_NE: u64 = 1 << 5;
export const CR0_WP: u64 = 1 << 16;
export const CR0_AM: u64 = 1 << 18;
export const CR0_NW: u64 = 1 << 29;
export const CR0_CD: u64 = 1 << 30;
export const CR0_PG: u64 = 1 << 31;
/** CR0 bits that exist (the rest of 31:0 is reserved and ignored-as-0; 63:32 raise #GP). */
const CR0_DEFINED: u64 = CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_NW | CR0_CD | CR0_PG;

export const CR4_VME: u64 = 1 << 0;
export const CR4_PVI: u64 = 1 << 1;
export const CR4_TSD: u64 = 1 << 2;
export const CR4_DE: u64 = 1 << 3;
export const CR4_PSE: u64 = 1 << 4;
export const CR4_PAE: u64 = 1 << 5;
export const CR4_MCE: u64 = 1 << 6;
export const CR4_PGE: u64 = 1 << 7;
export const CR4_PCE: u64 = 1 << 8;
export const CR4_OSFXSR: u64 = 1 << 9;
export const CR4_OSXMMEXCPT: u64 = 1 << 10;
export const CR4_UMIP: u64 = 1 << 11;
export const CR4_LA57: u64 = 1 << 12;
export const CR4_VMXE: u64 = 1 << 13;
export const CR4_SMXE: u64 = 1 << 14;
export const CR4_FSGSBASE: u64 = 1 << 16;
export const CR4_PCIDE: u64 = 1 << 17;
export const CR4_OSXSAVE: u64 = 1 << 18;
export const CR4_SMEP: u64 = 1 << 20;
export const CR4_SMAP: u64 = 1 << 21;
export const CR4_PKE: u64 = 1 << 22;

export const EFER_LME: u64 = 1 << 8;
export const EFER_LMA: u64 = 1 << 10;

/**
 * The CR0 bits the VMM intercepts (CR0 guest/host mask, SDM Vol 3C §24.6.6): PE and PG (mode
 * changes: IA-32e activation and PAE PDPTE loading are the VMM's job, §26.3.2.4), CD and NW
 * (the NW-without-CD #GP rule), NE (forced to 1 by IA32_VMX_CR0_FIXED0, shown as the guest set it).
 */
export const CR0_INTERCEPTED: u64 = CR0_PE | CR0_PG | CR0_CD | CR0_NW | CR0_NE;

/**
 * The CR4 bits the guest may set, from its CPUID (SDM Vol 3A §2.5 lists each bit's CPUID flag):
 * `l1edx/l1ecx` leaf 01H, `l7ebx/l7ecx` leaf 07H subleaf 0 as the guest sees them. VMXE, SMXE and
 * LA57 are never allowed (hidden by the policy). The CR4 guest/host mask must contain every bit
 * outside this set, so that setting one exits and gets its #GP here, and the PAE/PCIDE bits whose
 * changes need checks the CPU in non-root operation does against the real CR4 only.
 */
export function cr4Allowed(l1edx: u32, l1ecx: u32, l7ebx: u32, l7ecx: u32): u64 {
  let m: u64 = CR4_TSD | CR4_DE | CR4_PAE | CR4_PCE | CR4_OSXMMEXCPT;
  if ((l1edx & (1 << 1)) != 0) m |= CR4_VME | CR4_PVI;   // VME
  if ((l1edx & (1 << 3)) != 0) m |= CR4_PSE;             // PSE
  if ((l1edx & (1 << 7)) != 0) m |= CR4_MCE;             // MCE
  if ((l1edx & (1 << 13)) != 0) m |= CR4_PGE;            // PGE
  if ((l1edx & (1 << 24)) != 0) m |= CR4_OSFXSR;         // FXSR
  if ((l1ecx & (1 << 17)) != 0) m |= CR4_PCIDE;          // PCID
  if ((l1ecx & (1 << 26)) != 0) m |= CR4_OSXSAVE;        // XSAVE
  if ((l7ebx & (1 << 0)) != 0) m |= CR4_FSGSBASE;
  if ((l7ebx & (1 << 7)) != 0) m |= CR4_SMEP;
  if ((l7ebx & (1 << 20)) != 0) m |= CR4_SMAP;
  if ((l7ecx & (1 << 2)) != 0) m |= CR4_UMIP;
  if ((l7ecx & (1 << 3)) != 0) m |= CR4_PKE;
  return m;
}

/** The recommended CR4 guest/host mask: every disallowed bit, PAE and PCIDE, plus `forced`. */
export function cr4Intercepted(allowed: u64, forced: u64): u64 {
  return (~allowed & 0xFFFFFFFFFFFFFFFF) | CR4_PAE | CR4_PCIDE | forced;
}

/** Outcome of a control-register write check. */
export const enum CrCheck { OK = 0, GP = 1 }

/**
 * Result of cr0Write, caller-owned. 24 bytes: +0 cr0 (the guest view to install), +8 efer (with
 * LMA updated), +16 ia32e (1 when the "IA-32e mode guest" entry control must be set), +20 pad.
 */
@unmanaged export class Cr0Update {
  cr0: u64;
  efer: u64;
  ia32e: u32;
  _pad: u32;
}

/**
 * MOV to CR0 (and LMSW/CLTS, which end here with a computed value): `cur` is the guest view,
 * `efer`/`cr4` the guest's, `csLong` whether CS.L = 1 (64-bit code). #GP when bits 63:32 are set,
 * PG without PE, NW without CD (Vol 2B MOV CR "Protected Mode Exceptions"); when PG goes 0→1 with
 * EFER.LME and CR4.PAE clear, or 1→0 in 64-bit code or with CR4.PCIDE set (Vol 3A §9.8.5.4,
 * §4.10.1). PG 0→1 with LME activates IA-32e mode (LMA = 1), PG 1→0 leaves it (§9.8.5). ET is
 * hardwired to 1 (§2.5).
 */
export function cr0Write(cur: u64, value: u64, efer: u64, cr4: u64, csLong: bool, out: Cr0Update): CrCheck {
  if ((value >> 32) != 0) return CrCheck.GP;
  if ((value & CR0_PG) != 0 && (value & CR0_PE) == 0) return CrCheck.GP;
  if ((value & CR0_NW) != 0 && (value & CR0_CD) == 0) return CrCheck.GP;
  let newEfer = efer;
  const pgOn = (value & CR0_PG) != 0 && (cur & CR0_PG) == 0;
  const pgOff = (value & CR0_PG) == 0 && (cur & CR0_PG) != 0;
  if (pgOn && (efer & EFER_LME) != 0) {
    if ((cr4 & CR4_PAE) == 0) return CrCheck.GP;
    newEfer |= EFER_LMA;
  }
  if (pgOff) {
    if ((cr4 & CR4_PCIDE) != 0) return CrCheck.GP;
    if ((efer & EFER_LMA) != 0) {
      if (csLong) return CrCheck.GP;
      newEfer &= ~EFER_LMA;
    }
  }
  out.cr0 = (value & CR0_DEFINED) | CR0_ET;
  out.efer = newEfer;
  out.ia32e = (newEfer & EFER_LMA) != 0 ? 1 : 0;
  return CrCheck.OK;
}

/**
 * MOV to CR4 with the guest view `cur`: #GP for a bit outside `allowed`, for clearing PAE in
 * IA-32e mode, for setting PCIDE outside IA-32e mode or with CR3[11:0] ≠ 0 (Vol 2B MOV CR;
 * Vol 3A §4.10.1).
 */
export function cr4Write(cur: u64, value: u64, allowed: u64, efer: u64, cr3: u64): CrCheck {
  if ((value & ~allowed) != 0) return CrCheck.GP;
  const lma = (efer & EFER_LMA) != 0;
  if (lma && (value & CR4_PAE) == 0) return CrCheck.GP;
  if ((value & CR4_PCIDE) != 0 && (cur & CR4_PCIDE) == 0 && (!lma || (cr3 & 0xFFF) != 0)) return CrCheck.GP;
  return CrCheck.OK;
}

/** LMSW: loads CR0 bits 3:0 (PE MP EM TS) from `src`; it can set PE but never clear it (Vol 2A LMSW). */
export function lmswValue(cur: u64, src: u32): u64 {
  return (cur & ~(CR0_MP | CR0_EM | CR0_TS)) | (<u64>src & (CR0_PE | CR0_MP | CR0_EM | CR0_TS));
}

/** CLTS clears CR0.TS (Vol 2A CLTS). */
@inline export function cltsValue(cur: u64): u64 { return cur & ~CR0_TS; }

/**
 * MOV to CR3 (it exits only when CR3-load exiting is on): in IA-32e mode bits 63:MAXPHYADDR are
 * reserved (#GP, Vol 3A §4.5.2), except bit 63, the "do not flush" hint with CR4.PCIDE = 1, which
 * is not stored; outside IA-32e mode only bits 31:0 exist. Returns the value to load, or
 * 0xFFFF_FFFF_FFFF_FFFF for #GP.
 */
export function cr3Write(value: u64, lma: bool, pcide: bool, maxPhysBits: u32): u64 {
  let v = value;
  if (pcide) v &= ~(<u64>1 << 63);
  if (lma && maxPhysBits < 64 && (v >> maxPhysBits) != 0) return 0xFFFFFFFFFFFFFFFF;
  if (!lma) v &= 0xFFFFFFFF;
  return v;
}

/** MOV to CR8: bits 63:4 are reserved (#GP); CR8[3:0] is TPR[7:4] (Vol 3A §10.8.6.1). */
@inline export function cr8Valid(value: u64): bool { return (value >> 4) == 0; }

/** A PAE-paging PDPTE (Vol 3A §4.4.1, Table 4-8): present with reserved bits 2:1, 8:5 or ≥ MAXPHYADDR set is invalid. */
export function pdpteValid(e: u64, maxPhysBits: u32): bool {
  if ((e & 1) == 0) return true;
  const reserved: u64 = 0x1E6 | (maxPhysBits >= 64 ? 0 : ~((<u64>1 << maxPhysBits) - 1));
  return (e & reserved) == 0;
}

/** Whether the guest uses PAE paging outside IA-32e mode (the VMCS then holds its PDPTEs, §26.3.2.4). */
@inline export function paePagingLegacy(cr0: u64, cr4: u64, efer: u64): bool {
  return (cr0 & CR0_PG) != 0 && (cr4 & CR4_PAE) != 0 && (efer & EFER_LMA) == 0;
}
