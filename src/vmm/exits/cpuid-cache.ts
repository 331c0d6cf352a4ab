// A vCPU's CPUID answers, remembered: the policy (src/vmm/policy/cpuid.ts) derives every answer
// from a host snapshot, the vCPU's identity and its CR4/XCR0, so for a given vCPU most answers
// never change. Guests execute CPUID in loops (Linux's feature probing, spin-wait calibration,
// the bench guest), and the policy walk costs ~150 instructions; a hit here costs ~15.
// Owned by exits/cpuid-view.ts, which decides what is cacheable and flushes on XCR0 changes.
//
// 16 direct-mapped entries of 24 bytes (CPUID_CACHE_BYTES in vcpu-ext.ts), entry s at 24·s:
//
//   +0 leaf (u32)  +4 subleaf (u32)  +8 eax  +12 ebx  +16 ecx  +20 edx
//
// Entry s holds an answer for a key (leaf, subleaf) with cpuidCacheSlot(leaf, subleaf) == s.
// An empty entry s holds the key (s ^ 1, 0), whose slot is s ^ 1: no lookup that lands on s can
// match it, so "empty" needs no flag and a lookup is two compares.

/** Number of entries (a power of two). */
export const CPUID_CACHE_ENTRIES: u32 = 16;
export const CPUID_CACHE_ENTRY_BYTES: u32 = 24;

/**
 * The slot of (leaf, subleaf). Leaves below 16 with subleaf 0 map to themselves (the empty-key
 * rule above depends on it); the top nibble of the leaf moves the 4000_0000H range by 4 and the
 * 8000_0000H range by 8 (8000_0001H lands on 9, not on leaf 1's slot), so the leaves Linux asks
 * for most (0..0DH, 8000_0000H..8000_0008H, 4000_0000H) overlap as little as 16 slots allow.
 */
@inline export function cpuidCacheSlot(leaf: u32, subleaf: u32): u32 {
  return (leaf ^ (leaf >>> 28) ^ subleaf) & (CPUID_CACHE_ENTRIES - 1);
}

/** Address of the entry for (leaf, subleaf) in the cache at `cache`. */
@inline export function cpuidCacheEntry(cache: usize, leaf: u32, subleaf: u32): usize {
  return cache + <usize>(cpuidCacheSlot(leaf, subleaf) * CPUID_CACHE_ENTRY_BYTES);
}

/**
 * Whether the entry at `e` (from cpuidCacheEntry with the same key) holds (leaf, subleaf): one
 * 64-bit compare of the key (little-endian: leaf in the low half, subleaf in the high half).
 */
@inline export function cpuidCacheHit(e: usize, leaf: u32, subleaf: u32): bool {
  return load<u64>(e) == ((<u64>subleaf << 32) | <u64>leaf);
}

/** Stores an answer for (leaf, subleaf) into its entry `e`. */
@inline export function cpuidCacheStore(e: usize, leaf: u32, subleaf: u32, eax: u32, ebx: u32, ecx: u32, edx: u32): void {
  store<u32>(e, leaf);
  store<u32>(e, subleaf, 4);
  store<u32>(e, eax, 8);
  store<u32>(e, ebx, 12);
  store<u32>(e, ecx, 16);
  store<u32>(e, edx, 20);
}

/** Empties every entry (each gets the key of another slot, see above). */
export function cpuidCacheFlush(cache: usize): void {
  for (let s: u32 = 0; s < CPUID_CACHE_ENTRIES; s++) {
    cpuidCacheStore(cache + <usize>(s * CPUID_CACHE_ENTRY_BYTES), s ^ 1, 0, 0, 0, 0, 0);
  }
}
