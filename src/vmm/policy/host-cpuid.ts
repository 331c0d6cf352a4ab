// The host's CPUID values the guest policy (cpuid.ts) is computed from: a snapshot taken once at
// boot on the boot CPU, so that the policy itself is a pure function of data (and unit-testable
// with any CPU's values). Which leaves exist and how subleaves enumerate: SDM Vol 2A, CPUID,
// Table 3-8 "Information Returned by CPUID Instruction".
//
// Layout: a header, an index, and entries of 24 bytes each; entry 0 is all zeros and never
// written (what an absent key reads as), entries 1..HOST_CPUID_CAPACITY hold the values:
//
//   +0 count (u32)  +4 pad  +8 index (INDEX_BYTES)  +ENTRIES_AT entry 0 (zeros), entries 1…
//   entry: +0 leaf  +4 subleaf  +8 eax  +12 ebx  +16 ecx  +20 edx   (all u32)
//
// Entries are unique per (leaf, subleaf); a (leaf, subleaf) that is absent reads as all zeros.
// The index makes a lookup O(1), which matters: every guest CPUID exit asks the policy, and the
// policy reads the snapshot once or twice per answer. Index byte `row(leaf) * INDEX_SUBLEAVES +
// subleaf` holds the entry's number (0: absent, entry 0), for basic leaves 0..INDEX_BASIC-1 and
// extended leaves 80000000H..80000000H+INDEX_EXT-1 (the snapshot records no others,
// hostCpuidCapture) with subleaf < INDEX_SUBLEAVES; with constant keys the row folds away at
// compile time and a lookup is one byte load. Any other key is found by a linear search (tests
// may put anything). An all-zero block is an empty snapshot.

import { cpuid } from "../../x86/cpuid";

export const HOST_CPUID_CAPACITY: u32 = 96;
export const HOST_CPUID_ENTRY_SIZE: u32 = 24;
const INDEX_BASIC: u32 = 0x20;
const INDEX_EXT: u32 = 0x10;
const INDEX_SUBLEAVES: u32 = 16;
const INDEX_BYTES: u32 = (INDEX_BASIC + INDEX_EXT) * INDEX_SUBLEAVES;
const ENTRIES_AT: u32 = 8 + INDEX_BYTES;
/** Bytes a snapshot needs: header + index + the zero entry + entries. */
export const HOST_CPUID_SIZE: u32 = ENTRIES_AT + (1 + HOST_CPUID_CAPACITY) * HOST_CPUID_ENTRY_SIZE;

/** One (leaf, subleaf) result; 24 bytes, see the diagram above. */
@unmanaged export class CpuidEntry {
  leaf: u32;
  subleaf: u32;
  eax: u32;
  ebx: u32;
  ecx: u32;
  edx: u32;
}

/** Header of a snapshot; the index and the entries follow. */
@unmanaged export class HostCpuid {
  count: u32;
  _pad: u32;
}

/** Entry number `n` (0: the zero entry). Invariant: n <= HOST_CPUID_CAPACITY. */
@inline function entryAt(snap: HostCpuid, n: u32): CpuidEntry {
  return changetype<CpuidEntry>(changetype<usize>(snap) + ENTRIES_AT + <usize>n * HOST_CPUID_ENTRY_SIZE);
}

/** Byte offset of (leaf, subleaf) in the index, or -1 when the index does not cover it. */
@inline function indexSlot(leaf: u32, subleaf: u32): i32 {
  if (subleaf >= INDEX_SUBLEAVES) return -1;
  let row: u32;
  if (leaf < INDEX_BASIC) row = leaf;
  else if (leaf - 0x80000000 < INDEX_EXT) row = INDEX_BASIC + (leaf - 0x80000000);
  else return -1;
  return <i32>(row * INDEX_SUBLEAVES + subleaf);
}

/**
 * The number of the entry for (leaf, subleaf); 0 (the zero entry) when absent. The index byte is
 * bounded by the capacity, so even a corrupted index cannot point outside the snapshot.
 */
@inline function entryNumber(snap: HostCpuid, leaf: u32, subleaf: u32): u32 {
  const slot = indexSlot(leaf, subleaf);
  if (slot < 0) return findSlow(snap, leaf, subleaf);
  const n = <u32>load<u8>(changetype<usize>(snap) + 8 + <usize>slot);
  return n <= HOST_CPUID_CAPACITY ? n : 0;
}

/** Keys outside the index: a linear search (no snapshot hostCpuidCapture takes has any). */
function findSlow(snap: HostCpuid, leaf: u32, subleaf: u32): u32 {
  const count = min<u32>(snap.count, HOST_CPUID_CAPACITY);
  for (let n: u32 = 1; n <= count; n++) {
    const e = entryAt(snap, n);
    if (e.leaf == leaf && e.subleaf == subleaf) return n;
  }
  return 0;
}

/** The entry for (leaf, subleaf), or null when the snapshot has none. */
export function hostCpuidFind(snap: HostCpuid, leaf: u32, subleaf: u32): CpuidEntry | null {
  const n = entryNumber(snap, leaf, subleaf);
  return n == 0 ? null : entryAt(snap, n);
}

/**
 * The entry for (leaf, subleaf), or the all-zero entry when absent: one lookup answers all four
 * registers (the policy reads several per leaf). Never write through the result.
 */
@inline export function hostEntry(snap: HostCpuid, leaf: u32, subleaf: u32): CpuidEntry {
  return entryAt(snap, entryNumber(snap, leaf, subleaf));
}

/** Adds or replaces an entry. False when the snapshot is full. */
export function hostCpuidPut(snap: HostCpuid, leaf: u32, subleaf: u32, eax: u32, ebx: u32, ecx: u32, edx: u32): bool {
  let n = entryNumber(snap, leaf, subleaf);
  if (n == 0) {
    if (snap.count >= HOST_CPUID_CAPACITY) return false;
    n = ++snap.count;
    const slot = indexSlot(leaf, subleaf);
    // n <= HOST_CPUID_CAPACITY < 256: the entry's number fits the byte.
    if (slot >= 0) store<u8>(changetype<usize>(snap) + 8 + <usize>slot, <u8>n);
  }
  const e = entryAt(snap, n);
  e.leaf = leaf;
  e.subleaf = subleaf;
  e.eax = eax;
  e.ebx = ebx;
  e.ecx = ecx;
  e.edx = edx;
  return true;
}

/** EAX of (leaf, subleaf) … EDX: 0 when absent. */
@inline export function hostEax(snap: HostCpuid, leaf: u32, subleaf: u32): u32 { return hostEntry(snap, leaf, subleaf).eax; }
@inline export function hostEbx(snap: HostCpuid, leaf: u32, subleaf: u32): u32 { return hostEntry(snap, leaf, subleaf).ebx; }
@inline export function hostEcx(snap: HostCpuid, leaf: u32, subleaf: u32): u32 { return hostEntry(snap, leaf, subleaf).ecx; }
@inline export function hostEdx(snap: HostCpuid, leaf: u32, subleaf: u32): u32 { return hostEntry(snap, leaf, subleaf).edx; }

/** Basic leaves the snapshot records (the guest never sees more than CPUID_GUEST_MAX_BASIC). */
const SNAP_MAX_BASIC: u32 = 0x1F;
const SNAP_MAX_EXT: u32 = 0x80000008;

function take(snap: HostCpuid, leaf: u32, subleaf: u32): void {
  const r = cpuid(leaf, subleaf);
  hostCpuidPut(snap, leaf, subleaf, r.eax, r.ebx, r.ecx, r.edx);
}

/**
 * Fills `snap` from this CPU (runs CPUID; not pure). Subleaf enumeration per Table 3-8:
 * leaf 04H until the cache type (EAX[4:0]) is 0, leaf 07H up to EAX of subleaf 0, leaf 0DH
 * subleaves 0..9 (the state components the guest may enable, cpuid.ts XCR0_GUEST_MASK).
 */
export function hostCpuidCapture(snap: HostCpuid): void {
  memory.fill(changetype<usize>(snap), 0, ENTRIES_AT + HOST_CPUID_ENTRY_SIZE); // count, index, zero entry
  const maxBasic = min<u32>(cpuid(0, 0).eax, SNAP_MAX_BASIC);
  for (let leaf: u32 = 0; leaf <= maxBasic; leaf++) {
    if (leaf == 4) {
      for (let sub: u32 = 0; sub < 8; sub++) {
        take(snap, 4, sub);
        if ((hostEax(snap, 4, sub) & 0x1F) == 0) break;
      }
    } else if (leaf == 7) {
      const maxSub = min<u32>(cpuid(7, 0).eax, 1);
      for (let sub: u32 = 0; sub <= maxSub; sub++) take(snap, 7, sub);
    } else if (leaf == 0xD) {
      for (let sub: u32 = 0; sub <= 9; sub++) take(snap, 0xD, sub);
    } else {
      take(snap, leaf, 0);
    }
  }
  const maxExt = min<u32>(cpuid(0x80000000, 0).eax, SNAP_MAX_EXT);
  if (maxExt >= 0x80000000) {
    for (let leaf: u32 = 0x80000000; leaf <= maxExt; leaf++) take(snap, leaf, 0);
  }
}
