// Quicksort (Hoare partition, median of three, insertion sort below 16) of 2^17 PRNG-filled i32.
// run(n): n fill-and-sort rounds with different seeds; checksum samples the sorted arrays.
import { HEAP, xorshift } from "./common";

const A: usize = HEAP;
const LEN: i32 = 1 << 17;

@inline function at(i: i32): usize { return A + (<usize>i << 2); }

function insertion(lo: i32, hi: i32): void {
  for (let i = lo + 1; i <= hi; i++) {
    const v = load<i32>(at(i));
    let j = i - 1;
    while (j >= lo && load<i32>(at(j)) > v) { store<i32>(at(j + 1), load<i32>(at(j))); j--; }
    store<i32>(at(j + 1), v);
  }
}

function quicksort(lo: i32, hi: i32): void {
  while (hi - lo > 16) {
    const mid = lo + ((hi - lo) >> 1);
    let a = load<i32>(at(lo)), b = load<i32>(at(mid)), c = load<i32>(at(hi));
    // median of three as pivot
    let p = a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
    let i = lo - 1, j = hi + 1;
    while (true) {
      do i++; while (load<i32>(at(i)) < p);
      do j--; while (load<i32>(at(j)) > p);
      if (i >= j) break;
      const t = load<i32>(at(i));
      store<i32>(at(i), load<i32>(at(j)));
      store<i32>(at(j), t);
    }
    // recurse into the smaller half, loop on the larger
    if (j - lo < hi - j) { quicksort(lo, j); lo = j + 1; } else { quicksort(j + 1, hi); hi = j; }
  }
  insertion(lo, hi);
}

export function run(n: i32): i32 {
  let h: u32 = 0;
  for (let r = 0; r < n; r++) {
    let x: u32 = 0x9E3779B9 ^ <u32>(r + 1);
    for (let i = 0; i < LEN; i++) { x = xorshift(x); store<i32>(at(i), <i32>x); }
    quicksort(0, LEN - 1);
    for (let i = 0; i < LEN; i += 97) h = h * 31 + <u32>load<i32>(at(i));
    // order check folded in: an unsorted pair changes the checksum
    for (let i = 1; i < LEN; i++) if (load<i32>(at(i - 1)) > load<i32>(at(i))) h ^= 0xDEAD;
  }
  return <i32>h;
}

/** The null call: the driver's round-trip baseline. */
export function nop(n: i32): i32 { return n; }
