// SHA-256 (FIPS 180-4) with padding, big-endian words built from bytes.
// run(n): n hashes of a 16 KiB PRNG message; each digest overwrites the message's first 32 bytes.
// Returns the first digest word of the last hash (checked against node:crypto by tests/bench).
import { HEAP, fillRandom } from "./common";

const MSG: usize = HEAP;              // 16 KiB + room for padding
const LEN: usize = 16384;
const H: usize = HEAP + 32768;        // 8 x u32 state
const W: usize = HEAP + 32768 + 64;   // 64 x u32 schedule

const K: usize = memory.data<u32>([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

@inline function rotr(x: u32, k: u32): u32 { return (x >> k) | (x << (32 - k)); }
@inline function be32(p: usize): u32 {
  return (<u32>load<u8>(p) << 24) | (<u32>load<u8>(p + 1) << 16) | (<u32>load<u8>(p + 2) << 8) | <u32>load<u8>(p + 3);
}
@inline function h(i: usize): u32 { return load<u32>(H + (i << 2)); }
@inline function w(i: i32): u32 { return load<u32>(W + (<usize>i << 2)); }

function block(p: usize): void {
  for (let i = 0; i < 16; i++) store<u32>(W + (<usize>i << 2), be32(p + (<usize>i << 2)));
  for (let i = 16; i < 64; i++) {
    const a = w(i - 15), b = w(i - 2);
    const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >> 3);
    const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >> 10);
    store<u32>(W + (<usize>i << 2), w(i - 16) + s0 + w(i - 7) + s1);
  }
  let a = h(0), b = h(1), c = h(2), d = h(3), e = h(4), f = h(5), g = h(6), hh = h(7);
  for (let i = 0; i < 64; i++) {
    const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = hh + S1 + ch + load<u32>(K + (<usize>i << 2)) + w(i);
    const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = S0 + maj;
    hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  store<u32>(H, h(0) + a); store<u32>(H + 4, h(1) + b); store<u32>(H + 8, h(2) + c); store<u32>(H + 12, h(3) + d);
  store<u32>(H + 16, h(4) + e); store<u32>(H + 20, h(5) + f); store<u32>(H + 24, h(6) + g); store<u32>(H + 28, h(7) + hh);
}

/** Hashes MSG[0, LEN) into H (big-endian words as u32 values). */
function sha256(): void {
  store<u32>(H, 0x6a09e667); store<u32>(H + 4, 0xbb67ae85); store<u32>(H + 8, 0x3c6ef372); store<u32>(H + 12, 0xa54ff53a);
  store<u32>(H + 16, 0x510e527f); store<u32>(H + 20, 0x9b05688c); store<u32>(H + 24, 0x1f83d9ab); store<u32>(H + 28, 0x5be0cd19);
  // padding: 0x80, zeros, 64-bit big-endian bit length (LEN is a multiple of 64: one extra block)
  memory.fill(MSG + LEN, 0, 64);
  store<u8>(MSG + LEN, 0x80);
  const bits: u64 = <u64>LEN * 8;
  for (let i = 0; i < 8; i++) store<u8>(MSG + LEN + 63 - <usize>i, <u8>(bits >> (<u64>i * 8)));
  for (let p: usize = 0; p < LEN + 64; p += 64) block(MSG + p);
}

export function run(n: i32): i32 {
  fillRandom(MSG, LEN, 0xC0FFEE);
  for (let r = 0; r < n; r++) {
    sha256();
    for (let i: usize = 0; i < 8; i++) {
      const v = h(i);
      store<u8>(MSG + 4 * i, <u8>(v >> 24)); store<u8>(MSG + 4 * i + 1, <u8>(v >> 16));
      store<u8>(MSG + 4 * i + 2, <u8>(v >> 8)); store<u8>(MSG + 4 * i + 3, <u8>v);
    }
  }
  return <i32>h(0);
}

/** The null call: the driver's round-trip baseline. */
export function nop(n: i32): i32 { return n; }
