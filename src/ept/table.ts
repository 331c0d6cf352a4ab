// An EPT hierarchy (SDM Vol 3C §28.3): its state, the 4-level walk, mapping, translation, splitting
// of large pages and teardown. Range changes (unmap, protect) are in range.ts.
//
// Generic over M (physical memory) and F (table frames), see phys.ts. Every change to an entry
// that was present sets EPT_FLAG_INVEPT_NEEDED: the CPU may cache translations and paging-structure
// entries for an EPTP (§28.4.1), so the caller must run INVEPT (single-context for this EPTP, or
// all-context) before the change is relied on (§28.4.3.4). Filling a non-present entry needs no
// INVEPT: no translation is cached for an entry that causes an EPT violation (§28.4.2).

import {
  EPT_LEVELS, EPT_RWX, EPT_READ, EPT_WRITE, EPT_EXEC, EPT_PAGE_SIZE, EPT_ADDR_MASK, EPT_MT_UC, EPT_MT_WB,
  EPTCAP_2M_PAGES, EPTCAP_1G_PAGES, EPTCAP_EXECUTE_ONLY,
  levelSize, levelIndex, eptPresent, eptIsLeaf, eptAddress, eptPerms, eptMemType,
  eptTableEntry, eptLeafEntry, eptPointer,
} from "./entry";

export const enum EptStatus {
  OK = 0,
  /** No frame for a page table: the operation stopped part way; what was done stays valid. */
  NO_MEMORY = 1,
  /** Unaligned or empty range, range beyond 2^48, bad permissions or memory type. */
  BAD_ARGUMENT = 2,
  NOT_MAPPED = 3,
}

/** The CPU may hold stale translations: run INVEPT for this EPTP before relying on the change. */
export const EPT_FLAG_INVEPT_NEEDED: u32 = 1 << 0;
export const EPT_FLAG_2M: u32 = 1 << 1;
export const EPT_FLAG_1G: u32 = 1 << 2;
export const EPT_FLAG_EXECUTE_ONLY: u32 = 1 << 3;

/**
 * Counts changes to any EPT that can end a translation (an entry that was present replaced,
 * removed, split; a hierarchy created or destroyed). Translation caches (guest-memory.ts
 * GmPageCache) record it and are valid only while it is unchanged. 64 bits: it never wraps.
 * Updated without atomics: concurrent changes may count once, but any change moves it.
 */
let eptGeneration: u64 = 1;
/** The current EPT change count (see eptGeneration). */
@inline export function eptChangeCount(): u64 { return eptGeneration; }

/** Records a change to a present entry of `ept`: INVEPT before relying on it, caches stale. */
@inline export function eptChanged(ept: Ept): void {
  ept.flags |= EPT_FLAG_INVEPT_NEEDED;
  eptGeneration++;
}

/** Guest-physical addresses a 4-level EPT translates: 48 bits (§28.3.2). */
export const EPT_GPA_LIMIT: u64 = <u64>1 << 48;

/**
 * One VM's EPT. 16 bytes:
 *   offset 0 pml4 (u64, physical)   8 flags (u32)   12 tables (u32, frames held incl. PML4)
 */
@unmanaged export class Ept {
  pml4: u64;
  flags: u32;
  tables: u32;
}

/** Result of a translation. 32 bytes: 0 hpa, 8 pageSize, 16 perms, 20 memType, 24 level. */
@unmanaged export class EptLookup {
  hpa: u64;
  pageSize: u64;
  perms: u32;
  memType: u32;
  level: u32;
  _pad: u32;
}

/** Sets up an empty EPT using the page sizes and execute-only support of `eptCap` (A.10). */
export function eptInit<M, F>(ept: Ept, mem: M, frames: F, eptCap: u64): EptStatus {
  const pml4 = newTable<M, F>(ept, mem, frames);
  if (pml4 == 0) return EptStatus.NO_MEMORY;
  ept.pml4 = pml4;
  ept.tables = 1;
  let flags: u32 = 0;
  if ((eptCap & EPTCAP_2M_PAGES) != 0) flags |= EPT_FLAG_2M;
  if ((eptCap & EPTCAP_1G_PAGES) != 0) flags |= EPT_FLAG_1G;
  if ((eptCap & EPTCAP_EXECUTE_ONLY) != 0) flags |= EPT_FLAG_EXECUTE_ONLY;
  ept.flags = flags;
  eptGeneration++; // a new hierarchy may reuse a destroyed one's memory and owner
  return EptStatus.OK;
}

/** The VMCS EPT_POINTER value for this EPT (WB, 4 levels, no A/D). */
@inline export function eptPointerOf(ept: Ept): u64 { return eptPointer(ept.pml4); }

/** Returns whether INVEPT is needed and clears the flag (call right before running INVEPT). */
export function eptTakeInveptNeeded(ept: Ept): bool {
  const needed = (ept.flags & EPT_FLAG_INVEPT_NEEDED) != 0;
  ept.flags &= ~EPT_FLAG_INVEPT_NEEDED;
  return needed;
}

/** A zeroed table frame the EPT now holds, or 0. */
function newTable<M, F>(ept: Ept, mem: M, frames: F): u64 {
  const t = frames.allocTable();
  if (t == 0) return 0;
  if (!mem.reaches(t, 4096)) { frames.freeTable(t); return 0; }
  mem.zeroFrame(t);
  ept.tables++;
  return t;
}

/** Whether `perms` is a valid leaf permission set: not empty, no write without read (§28.3.3.1). */
export function eptPermsValid(ept: Ept, perms: u64): bool {
  if (perms == 0 || (perms & ~EPT_RWX) != 0) return false;
  if ((perms & EPT_WRITE) != 0 && (perms & EPT_READ) == 0) return false;
  if (perms == EPT_EXEC && (ept.flags & EPT_FLAG_EXECUTE_ONLY) == 0) return false;
  return true;
}

/** Checks a 4 KiB-aligned, non-empty range [gpa, gpa + size) inside the EPT's 48-bit space. */
export function eptRangeValid(gpa: u64, size: u64): bool {
  return size != 0 && ((gpa | size) & 0xFFF) == 0 && gpa < EPT_GPA_LIMIT && size <= EPT_GPA_LIMIT - gpa;
}

/**
 * Replaces the large leaf `e` at `slot` (level 2 or 3) by a table of 512 next-level leaves with the
 * same translation, permissions and memory type. Returns the new table entry, or 0 (no memory).
 */
export function eptSplit<M, F>(ept: Ept, mem: M, frames: F, slot: u64, e: u64, level: u32): u64 {
  const t = newTable<M, F>(ept, mem, frames);
  if (t == 0) return 0;
  const child = level - 1;
  const step = levelSize(child);
  const base = eptAddress(e, level);
  const keep = e & ~EPT_ADDR_MASK & ~EPT_PAGE_SIZE;
  const ps = child > 1 ? EPT_PAGE_SIZE : 0;
  for (let i: u32 = 0; i < 512; i++) {
    mem.store64(t + <u64>i * 8, keep | ps | ((base + <u64>i * step) & EPT_ADDR_MASK));
  }
  const te = eptTableEntry(t);
  mem.store64(slot, te);
  eptChanged(ept);
  return te;
}

/** Frees the table at `table` (of `level`) and every table below it. */
export function eptFreeTree<M, F>(ept: Ept, mem: M, frames: F, table: u64, level: u32): void {
  if (level > 1) {
    for (let i: u32 = 0; i < 512; i++) {
      const e = mem.load64(table + <u64>i * 8);
      if (eptPresent(e) && !eptIsLeaf(e, level)) eptFreeTree<M, F>(ept, mem, frames, eptAddress(e, level), level - 1);
    }
  }
  frames.freeTable(table);
  ept.tables--;
}

/**
 * Physical address of the entry for `gpa` at `level`, creating missing tables and splitting large
 * pages above it. 0 when a table frame could not be had.
 */
function slotFor<M, F>(ept: Ept, mem: M, frames: F, gpa: u64, level: u32): u64 {
  let table = ept.pml4;
  for (let l = EPT_LEVELS; l > level; l--) {
    const slot = table + <u64>levelIndex(gpa, l) * 8;
    let e = mem.load64(slot);
    if (!eptPresent(e)) {
      const t = newTable<M, F>(ept, mem, frames);
      if (t == 0) return 0;
      e = eptTableEntry(t);
      mem.store64(slot, e);
    } else if (eptIsLeaf(e, l)) {
      e = eptSplit<M, F>(ept, mem, frames, slot, e, l);
      if (e == 0) return 0;
    }
    table = eptAddress(e, l);
  }
  return table + <u64>levelIndex(gpa, level) * 8;
}

/** The largest page level usable at this point of a mapping (alignment, size, CPU support). */
function pickLevel(ept: Ept, gpa: u64, hpa: u64, left: u64): u32 {
  if ((ept.flags & EPT_FLAG_1G) != 0 && ((gpa | hpa) & (levelSize(3) - 1)) == 0 && left >= levelSize(3)) return 3;
  if ((ept.flags & EPT_FLAG_2M) != 0 && ((gpa | hpa) & (levelSize(2) - 1)) == 0 && left >= levelSize(2)) return 2;
  return 1;
}

/**
 * Maps [gpa, gpa + size) to [hpa, hpa + size) with `perms` (EPT_READ|EPT_WRITE|EPT_EXEC) and
 * memory type EPT_MT_WB (RAM) or EPT_MT_UC (device memory), using 1 GiB and 2 MiB pages where the
 * alignment of both addresses allows. Replaces whatever was mapped there (freeing tables that
 * become unreachable). On NO_MEMORY the prefix already mapped stays mapped.
 */
export function eptMap<M, F>(
  ept: Ept, mem: M, frames: F, gpa: u64, hpa: u64, size: u64, perms: u64, memType: u32,
): EptStatus {
  if (!eptRangeValid(gpa, size) || (hpa & 0xFFF) != 0 || hpa > EPT_ADDR_MASK) return EptStatus.BAD_ARGUMENT;
  if (!eptPermsValid(ept, perms) || (memType != EPT_MT_WB && memType != EPT_MT_UC)) return EptStatus.BAD_ARGUMENT;
  let g = gpa;
  let h = hpa;
  let left = size;
  while (left != 0) {
    const level = pickLevel(ept, g, h, left);
    const slot = slotFor<M, F>(ept, mem, frames, g, level);
    if (slot == 0) return EptStatus.NO_MEMORY;
    const old = mem.load64(slot);
    if (eptPresent(old)) {
      if (!eptIsLeaf(old, level)) eptFreeTree<M, F>(ept, mem, frames, eptAddress(old, level), level - 1);
      eptChanged(ept);
    }
    mem.store64(slot, eptLeafEntry(h, level, perms, memType));
    const step = levelSize(level);
    g += step;
    h += step;
    left -= step;
  }
  return EptStatus.OK;
}

// A leaf found by `eptLookupLeaf`, packed so that the lookup needs no memory (callers run on
// several CPUs at once): the leaf entry with its ignored bits 62:52 replaced by the level.
//   63        54 53 52 51                    0
//  +------------+-----+-----------------------+
//  | (entry)    |level| leaf entry bits 51:0  |   0 = not mapped
//  +------------+-----+-----------------------+
const LEAF_LEVEL_SHIFT: u64 = 52;
const LEAF_LEVEL_MASK: u64 = <u64>3 << 52;
@inline export function leafLevel(leaf: u64): u32 { return <u32>((leaf & LEAF_LEVEL_MASK) >> LEAF_LEVEL_SHIFT) + 1; }
/** Offset bits of the page a packed leaf maps: its size - 1 (4 KiB, 2 MiB or 1 GiB). */
@inline export function leafPageMask(leaf: u64): u64 {
  return (<u64>1 << (12 + 9 * ((leaf & LEAF_LEVEL_MASK) >> LEAF_LEVEL_SHIFT))) - 1;
}
/** Host-physical address of byte `gpa` under a packed leaf. */
@inline export function leafHpa(leaf: u64, gpa: u64): u64 {
  const mask = leafPageMask(leaf);
  return (leaf & EPT_ADDR_MASK & ~mask) | (gpa & mask);
}
/** Bytes from `gpa` to the end of the page the packed leaf maps. */
@inline export function leafBytesLeft(leaf: u64, gpa: u64): u64 {
  const mask = leafPageMask(leaf);
  return mask + 1 - (gpa & mask);
}

/**
 * The leaf mapping `gpa`, packed as above, or 0 when no present leaf maps it. This is on every
 * guest-memory access (GuestMemory, the MMIO path's page walks and instruction fetch), so the
 * four levels are written out: a PML4E is never a leaf (PS reserved, §28.3.2 Table 28-1), a PTE
 * always is, and a table entry's address is just bits 51:12 (no per-level masks to compute).
 */
export function eptLookupLeaf<M>(ept: Ept, mem: M, gpa: u64): u64 {
  if (gpa >= EPT_GPA_LIMIT) return 0;
  const e4 = mem.load64(ept.pml4 + ((gpa >> 36) & 0xFF8));
  if (!eptPresent(e4)) return 0;
  const e3 = mem.load64((e4 & EPT_ADDR_MASK) + ((gpa >> 27) & 0xFF8));
  if (!eptPresent(e3)) return 0;
  if ((e3 & EPT_PAGE_SIZE) != 0) return packLeaf(e3, 3);
  const e2 = mem.load64((e3 & EPT_ADDR_MASK) + ((gpa >> 18) & 0xFF8));
  if (!eptPresent(e2)) return 0;
  if ((e2 & EPT_PAGE_SIZE) != 0) return packLeaf(e2, 2);
  const e1 = mem.load64((e2 & EPT_ADDR_MASK) + ((gpa >> 9) & 0xFF8));
  if (!eptPresent(e1)) return 0;
  return packLeaf(e1, 1);
}

/** Leaf entry `e` found at `level`, packed (its ignored bits 62:52 replaced by level - 1). */
@inline function packLeaf(e: u64, level: u32): u64 {
  return (e & ~(<u64>0x7FF << 52)) | (<u64>(level - 1) << LEAF_LEVEL_SHIFT);
}

/** Translates `gpa` (any byte address) through the EPT, filling `out`. */
export function eptTranslate<M>(ept: Ept, mem: M, gpa: u64, out: EptLookup): EptStatus {
  const leaf = eptLookupLeaf<M>(ept, mem, gpa);
  if (leaf == 0) return EptStatus.NOT_MAPPED;
  out.hpa = leafHpa(leaf, gpa);
  out.pageSize = levelSize(leafLevel(leaf));
  out.perms = <u32>eptPerms(leaf);
  out.memType = eptMemType(leaf);
  out.level = leafLevel(leaf);
  return EptStatus.OK;
}

/** Frees every table, the PML4 included. The EPT must no longer be in any VMCS (and INVEPT run). */
export function eptDestroy<M, F>(ept: Ept, mem: M, frames: F): void {
  if (ept.pml4 == 0) return;
  eptFreeTree<M, F>(ept, mem, frames, ept.pml4, EPT_LEVELS);
  ept.pml4 = 0;
  eptGeneration++;
}

// Re-exported so callers of the EPT need only this module for the common names.
export { EPT_READ, EPT_WRITE, EPT_EXEC, EPT_RWX, EPT_MT_UC, EPT_MT_WB };
