// Floating-point matrix multiply, f64, 96 x 96, row-major, i-k-j loop order (the core is
// integer-only; this kernel measures the back end's float code). Wasm fixes the rounding of
// every operation (no fused multiply-add), so all engines must produce the same bits.
// run(n): n products C = A x B, A perturbed by the previous result; the checksum folds the bits
// of the last sum of C.
import { HEAP, xorshift } from "./common";

const D: i32 = 96;
const A: usize = HEAP;
const B: usize = HEAP + 131072;
const C: usize = HEAP + 2 * 131072;

@inline function el(m: usize, i: i32, j: i32): usize { return m + ((<usize>(i * D + j)) << 3); }

function fill(m: usize, seed: u32): void {
  let x = seed;
  for (let i = 0; i < D * D; i++) {
    x = xorshift(x);
    store<f64>(m + (<usize>i << 3), <f64>(x >> 8) * (1.0 / 16777216.0) - 0.5);
  }
}

function matmul(): f64 {
  memory.fill(C, 0, <usize>(D * D * 8));
  for (let i = 0; i < D; i++) {
    for (let k = 0; k < D; k++) {
      const a = load<f64>(el(A, i, k));
      for (let j = 0; j < D; j++) {
        const p = el(C, i, j);
        store<f64>(p, load<f64>(p) + a * load<f64>(el(B, k, j)));
      }
    }
  }
  let s: f64 = 0;
  for (let i = 0; i < D * D; i++) s += load<f64>(C + (<usize>i << 3)) * <f64>(i & 7);
  return s;
}

export function run(n: i32): i32 {
  fill(A, 0x1234567);
  fill(B, 0x89ABCDE);
  let s: f64 = 0;
  for (let r = 0; r < n; r++) {
    s = matmul();
    store<f64>(el(A, r % D, (r * 7) % D), s * 1e-3);
  }
  const bits = reinterpret<u64>(s);
  return <i32>(<u32>bits ^ <u32>(bits >> 32));
}

/** The null call: the driver's round-trip baseline. */
export function nop(n: i32): i32 { return n; }
