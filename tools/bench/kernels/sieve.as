// Sieve of Eratosthenes over [0, 2^20), one byte per number.
// run(n): n sieves; checksum mixes the prime count and the largest primes found.
import { HEAP } from "./common";

const FLAGS: usize = HEAP;
const N: u32 = 1 << 20;

function sieve(): u32 {
  memory.fill(FLAGS, 1, N);
  store<u8>(FLAGS, 0);
  store<u8>(FLAGS + 1, 0);
  for (let i: u32 = 2; i * i < N; i++) {
    if (load<u8>(FLAGS + i) != 0) {
      for (let j = i * i; j < N; j += i) store<u8>(FLAGS + j, 0);
    }
  }
  let count: u32 = 0;
  let last: u32 = 0;
  for (let i: u32 = 0; i < N; i++) {
    if (load<u8>(FLAGS + i) != 0) { count++; last = i; }
  }
  return count * 31 + last;
}

export function run(n: i32): i32 {
  let h: u32 = 0;
  for (let r = 0; r < n; r++) h = h * 0x9E3779B1 + sieve();
  return <i32>h;
}

/** The null call: the driver's round-trip baseline. */
export function nop(n: i32): i32 { return n; }
