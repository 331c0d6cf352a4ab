// Range changes to an EPT (SDM Vol 3C §28.3): unmap and protect (change permissions) of
// [gpa, gpa + size), for ranges that cover pages of any size partly or wholly. A large page only
// partly inside the range is split first (table.ts `eptSplit`), so the rest of it keeps its
// mapping. Holes (non-present entries) inside the range are skipped.

import { EPT_LEVELS, EPT_RWX, levelSize, levelIndex, eptPresent, eptIsLeaf, eptAddress } from "./entry";
import {
  Ept, EptStatus, EPT_GPA_LIMIT, eptChanged,
  eptSplit, eptFreeTree, eptPermsValid, eptRangeValid,
} from "./table";

const OP_UNMAP: u32 = 0;
const OP_PROTECT: u32 = 1;

/** Applies `op` to [start, end) within the table at `table` of `level`. */
function rangeOp<M, F>(
  ept: Ept, mem: M, frames: F, table: u64, level: u32, start: u64, end: u64, op: u32, perms: u64,
): EptStatus {
  let a = start;
  const size = levelSize(level);
  while (a < end) {
    const entryStart = a & ~(size - 1);
    const entryEnd = entryStart + size;
    const segEnd = end < entryEnd ? end : entryEnd;
    const slot = table + <u64>levelIndex(a, level) * 8;
    let e = mem.load64(slot);
    if (eptPresent(e)) {
      const whole = a == entryStart && segEnd == entryEnd;
      if (eptIsLeaf(e, level) && whole) {
        mem.store64(slot, op == OP_UNMAP ? 0 : (e & ~EPT_RWX) | perms);
        eptChanged(ept);
      } else if (!eptIsLeaf(e, level) && whole && op == OP_UNMAP) {
        eptFreeTree<M, F>(ept, mem, frames, eptAddress(e, level), level - 1);
        mem.store64(slot, 0);
        eptChanged(ept);
      } else {
        if (eptIsLeaf(e, level)) {
          e = eptSplit<M, F>(ept, mem, frames, slot, e, level);
          if (e == 0) return EptStatus.NO_MEMORY;
        }
        const r = rangeOp<M, F>(ept, mem, frames, eptAddress(e, level), level - 1, a, segEnd, op, perms);
        if (r != EptStatus.OK) return r;
      }
    }
    a = segEnd;
  }
  return EptStatus.OK;
}

/**
 * Removes every mapping in [gpa, gpa + size) (4 KiB-aligned). Tables wholly inside the range are
 * freed; tables left empty by partial unmaps are kept until `eptDestroy`. NO_MEMORY only when a
 * large page straddling an end of the range could not be split; the part before it is unmapped.
 */
export function eptUnmap<M, F>(ept: Ept, mem: M, frames: F, gpa: u64, size: u64): EptStatus {
  if (!eptRangeValid(gpa, size)) return EptStatus.BAD_ARGUMENT;
  return rangeOp<M, F>(ept, mem, frames, ept.pml4, EPT_LEVELS, gpa, gpa + size, OP_UNMAP, 0);
}

/**
 * Sets the permissions of every mapped page in [gpa, gpa + size) to `perms` (memory type and
 * address unchanged), e.g. write-protecting guest page tables or a ROM. Use eptUnmap for "none".
 */
export function eptProtect<M, F>(ept: Ept, mem: M, frames: F, gpa: u64, size: u64, perms: u64): EptStatus {
  if (!eptRangeValid(gpa, size) || !eptPermsValid(ept, perms)) return EptStatus.BAD_ARGUMENT;
  return rangeOp<M, F>(ept, mem, frames, ept.pml4, EPT_LEVELS, gpa, gpa + size, OP_PROTECT, perms);
}

export { EPT_GPA_LIMIT };
