// Dense f64 matrix multiply C = A * B (N x N, row-major), repeated, with a checksum of C.
const A: usize = 0x1100000;
const N: i32 = 96;

function mm(n: i32, a: usize, b: usize, c: usize): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s: f64 = 0;
      for (let k = 0; k < n; k++) s += load<f64>(a + ((<usize>(i * n + k)) << 3)) * load<f64>(b + ((<usize>(k * n + j)) << 3));
      store<f64>(c + ((<usize>(i * n + j)) << 3), s);
    }
  }
}

export function run(reps: i32): i64 {
  if (memory.size() < 300) memory.grow(300 - memory.size());
  const b = A + <usize>(N * N * 8);
  const c = b + <usize>(N * N * 8);
  for (let i = 0; i < N * N; i++) {
    store<f64>(A + (<usize>i << 3), <f64>(i % 17) * 0.25 - 1.0);
    store<f64>(b + (<usize>i << 3), <f64>(i % 13) * 0.5 + 0.125);
  }
  let sum: f64 = 0;
  for (let r = 0; r < reps; r++) {
    mm(N, A, b, c);
    sum += load<f64>(c + (<usize>(r % (N * N)) << 3));
  }
  return reinterpret<i64>(sum);
}

export function main(): void {
  run(6);
}
