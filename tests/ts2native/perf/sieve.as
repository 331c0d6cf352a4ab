// Sieve of Eratosthenes over bytes, counting primes below N, repeated.
const BUF: usize = 0x1100000;

function sieve(n: u32): u32 {
  memory.fill(BUF, 1, n);
  let count: u32 = 0;
  for (let i: u32 = 2; i < n; i++) {
    if (load<u8>(BUF + i)) {
      count++;
      for (let j = i * i; j < n; j += i) store<u8>(BUF + j, 0);
    }
  }
  return count;
}

export function run(reps: i32): i64 {
  if (memory.size() < 300) memory.grow(300 - memory.size());
  let s: i64 = 0;
  for (let r = 0; r < reps; r++) s += sieve(1000000 - r);
  return s;
}

export function main(): void {
  run(8);
}
