// Shared by the kernels (AssemblyScript; copied to build/bench/src/*.ts for asc, see mk/bench.mk).
// Work areas are raw linear memory above the static data: no allocator (--runtime stub).

/** First free byte, 64 KiB aligned. */
export const HEAP: usize = (__heap_base + 0xFFFF) & ~<usize>0xFFFF;

/** xorshift32: deterministic PRNG (never 0 for a non-zero seed). */
@inline export function xorshift(x: u32): u32 {
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

/** Fills `len` bytes at `p` from seed `s`; returns the final PRNG state. */
export function fillRandom(p: usize, len: usize, s: u32): u32 {
  let x = s | 1;
  for (let i: usize = 0; i < len; i += 4) {
    x = xorshift(x);
    store<u32>(p + i, x);
  }
  return x;
}
