// EPT paging-structure entries (SDM Vol 3C §28.3.2, Tables 28-1 … 28-6), the EPT pointer
// (§24.6.11, Table 24-8) and the EPT capabilities in IA32_VMX_EPT_VPID_CAP (Vol 3D A.10).
//
// An entry is a u64 value: tables are reached through the physical-memory interface (phys.ts),
// which may not be a plain wasm pointer, so entries are loaded, decoded here, and stored whole.
//
//   63  62     52 51                     12 11  10  9   8   7   6   5  3  2   1   0
//  +---+---------+-------------------------+---+---+---+---+---+---+-----+---+---+---+
//  |SVE| ignored |   physical address      |ign| UX| D | A |PS |IPT| MT  | X | W | R |
//  +---+---------+-------------------------+---+---+---+---+---+---+-----+---+---+---+
//   R/W/X: read / write / (supervisor-)execute. An entry with bits 2:0 = 0 is not present.
//   MT (5:3), IPAT (6): memory type and "ignore PAT", leaf entries only (bits 7:3 of a non-leaf
//   entry are reserved and must be 0; PS is 0 in a PML4E).
//   PS (7): in a PDPTE, maps a 1 GiB page (address bits 51:30, bits 29:12 reserved);
//           in a PDE, maps a 2 MiB page (address bits 51:21, bits 20:12 reserved).
//   A/D (8, 9): accessed/dirty, written by the CPU only when EPTP bit 6 enables them (we do not).
//   UX (10): user-mode execute, meaningful only with mode-based execute control (not used).
//   SVE (63): suppress #VE (only with the EPT-violation #VE control; not used).

export const EPT_READ: u64 = 1 << 0;
export const EPT_WRITE: u64 = 1 << 1;
export const EPT_EXEC: u64 = 1 << 2;
export const EPT_RWX: u64 = EPT_READ | EPT_WRITE | EPT_EXEC;
export const EPT_MEMTYPE_SHIFT: u64 = 3;
export const EPT_MEMTYPE_MASK: u64 = 7 << 3;
export const EPT_IGNORE_PAT: u64 = 1 << 6;
export const EPT_PAGE_SIZE: u64 = 1 << 7;
export const EPT_ACCESSED: u64 = 1 << 8;
export const EPT_DIRTY: u64 = 1 << 9;
/** Bits 51:12: the physical address of the next table or of a 4 KiB page. */
export const EPT_ADDR_MASK: u64 = 0x000F_FFFF_FFFF_F000;

/** EPT memory types (§28.3.7): the only two this hypervisor maps with. */
export const EPT_MT_UC: u32 = 0;
export const EPT_MT_WB: u32 = 6;

/** Levels: 4 = PML4, 3 = PDPT, 2 = PD, 1 = PT. */
export const EPT_LEVELS: u32 = 4;

/** Bytes one entry at `level` maps: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
@inline export function levelSize(level: u32): u64 { return <u64>1 << (12 + 9 * (level - 1)); }
/** Index of `gpa` in the table at `level` (9 bits of the address, §28.3.2). */
@inline export function levelIndex(gpa: u64, level: u32): u32 {
  return <u32>(gpa >> (12 + 9 * (level - 1))) & 511;
}

@inline export function eptPresent(e: u64): bool { return (e & EPT_RWX) != 0; }
/** A leaf maps memory: always at level 1, at levels 2 and 3 when PS = 1. */
@inline export function eptIsLeaf(e: u64, level: u32): bool {
  return level == 1 || ((level == 2 || level == 3) && (e & EPT_PAGE_SIZE) != 0);
}
/** Physical address of the page (leaf) or table (non-leaf), without the low offset bits. */
@inline export function eptAddress(e: u64, level: u32): u64 {
  return eptIsLeaf(e, level) ? e & EPT_ADDR_MASK & ~(levelSize(level) - 1) : e & EPT_ADDR_MASK;
}
@inline export function eptPerms(e: u64): u64 { return e & EPT_RWX; }
@inline export function eptMemType(e: u64): u32 { return <u32>((e & EPT_MEMTYPE_MASK) >> EPT_MEMTYPE_SHIFT); }

/** A non-leaf entry pointing to the table at `table`: full permissions, so leaves decide. */
@inline export function eptTableEntry(table: u64): u64 { return (table & EPT_ADDR_MASK) | EPT_RWX; }

/**
 * A leaf entry at `level` mapping `hpa` (aligned to the level's size) with `perms` and `memType`.
 * IPAT stays 0: the guest's PAT combines with the EPT type (§28.3.7), as Linux expects for WC.
 */
@inline export function eptLeafEntry(hpa: u64, level: u32, perms: u64, memType: u32): u64 {
  const ps = level > 1 ? EPT_PAGE_SIZE : 0;
  return (hpa & EPT_ADDR_MASK) | (perms & EPT_RWX) | (<u64>(memType & 7) << EPT_MEMTYPE_SHIFT) | ps;
}

// EPTP (§24.6.11, Table 24-8):
//   63    52 51              12 11   8  7   6   5   3  2   0
//  +--------+------------------+------+---+---+------+------+
//  |   0    |  PML4 address    |  0   |SSS|A/D|len-1 |  MT  |
//  +--------+------------------+------+---+---+------+------+
//   MT: memory type of the paging structures (6 = WB); len-1: page-walk length minus one (3 for
//   4 levels); A/D: enable accessed/dirty flags; SSS: supervisor shadow-stack control.

export const EPTP_MEMTYPE_WB: u64 = 6;
export const EPTP_WALK_LENGTH_4: u64 = 3 << 3;
export const EPTP_AD_ENABLE: u64 = 1 << 6;

/** The EPTP for a PML4 table at `pml4`: WB, 4-level walk, A/D flags off. */
@inline export function eptPointer(pml4: u64): u64 {
  return (pml4 & EPT_ADDR_MASK) | EPTP_WALK_LENGTH_4 | EPTP_MEMTYPE_WB;
}

// IA32_VMX_EPT_VPID_CAP (A.10) bits this hypervisor looks at.
export const EPTCAP_EXECUTE_ONLY: u64 = 1 << 0;
export const EPTCAP_WALK_LENGTH_4: u64 = 1 << 6;
export const EPTCAP_UC: u64 = 1 << 8;
export const EPTCAP_WB: u64 = 1 << 14;
export const EPTCAP_2M_PAGES: u64 = 1 << 16;
export const EPTCAP_1G_PAGES: u64 = 1 << 17;
export const EPTCAP_INVEPT: u64 = 1 << 20;
export const EPTCAP_AD_FLAGS: u64 = 1 << 21;
export const EPTCAP_INVEPT_SINGLE_CONTEXT: u64 = 1 << 25;
export const EPTCAP_INVEPT_ALL_CONTEXT: u64 = 1 << 26;
export const VPIDCAP_INVVPID: u64 = <u64>1 << 32;
export const VPIDCAP_INVVPID_SINGLE_CONTEXT: u64 = <u64>1 << 41;
export const VPIDCAP_INVVPID_ALL_CONTEXT: u64 = <u64>1 << 42;

/** What our EPT needs: 4-level walks, WB paging structures, INVEPT (single or all context). */
export const EPTCAP_REQUIRED: u64 = EPTCAP_WALK_LENGTH_4 | EPTCAP_WB | EPTCAP_INVEPT;

/** Required capabilities the CPU lacks (0 = usable), counting either INVEPT type as enough. */
export function eptCapsMissing(cap: u64): u64 {
  let missing = EPTCAP_REQUIRED & ~cap;
  if ((cap & (EPTCAP_INVEPT_SINGLE_CONTEXT | EPTCAP_INVEPT_ALL_CONTEXT)) == 0) {
    missing |= EPTCAP_INVEPT_SINGLE_CONTEXT;
  }
  return missing;
}
