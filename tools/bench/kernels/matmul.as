// Integer matrix multiply, i32 (wrapping), 128 x 128, row-major, i-k-j loop order.
// run(n): n products C = A x B, A perturbed by the previous checksum; checksum sums C.
import { HEAP, fillRandom } from "./common";

const D: i32 = 128;
const A: usize = HEAP;
const B: usize = HEAP + 65536;
const C: usize = HEAP + 2 * 65536;

@inline function el(m: usize, i: i32, j: i32): usize { return m + ((<usize>(i * D + j)) << 2); }

function matmul(): u32 {
  memory.fill(C, 0, <usize>(D * D * 4));
  for (let i = 0; i < D; i++) {
    for (let k = 0; k < D; k++) {
      const a = load<i32>(el(A, i, k));
      for (let j = 0; j < D; j++) {
        const p = el(C, i, j);
        store<i32>(p, load<i32>(p) + a * load<i32>(el(B, k, j)));
      }
    }
  }
  let s: u32 = 0;
  for (let i = 0; i < D * D; i++) s = s * 3 + <u32>load<i32>(C + (<usize>i << 2));
  return s;
}

export function run(n: i32): i32 {
  fillRandom(A, <usize>(D * D * 4), 1);
  fillRandom(B, <usize>(D * D * 4), 2);
  let h: u32 = 0;
  for (let r = 0; r < n; r++) {
    h ^= matmul();
    store<i32>(el(A, r & (D - 1), (r * 7) & (D - 1)), <i32>h);
  }
  return <i32>h;
}

/** The null call: the driver's round-trip baseline. */
export function nop(n: i32): i32 { return n; }
