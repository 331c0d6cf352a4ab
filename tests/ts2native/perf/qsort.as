// Recursive quicksort of i32 values (Hoare partition, median of three), then a checksum.
const BUF: usize = 0x1100000;

function swap(a: usize, b: usize): void {
  const t = load<i32>(a);
  store<i32>(a, load<i32>(b));
  store<i32>(b, t);
}

function qsort(lo: i32, hi: i32): void {
  while (hi - lo > 0) {
    const mid = lo + ((hi - lo) >> 1);
    const pl = BUF + (<usize>lo << 2);
    const pm = BUF + (<usize>mid << 2);
    const ph = BUF + (<usize>hi << 2);
    if (load<i32>(pm) < load<i32>(pl)) swap(pm, pl);
    if (load<i32>(ph) < load<i32>(pl)) swap(ph, pl);
    if (load<i32>(ph) < load<i32>(pm)) swap(ph, pm);
    const pivot = load<i32>(pm);
    let i = lo - 1;
    let j = hi + 1;
    while (true) {
      do i++; while (load<i32>(BUF + (<usize>i << 2)) < pivot);
      do j--; while (load<i32>(BUF + (<usize>j << 2)) > pivot);
      if (i >= j) break;
      swap(BUF + (<usize>i << 2), BUF + (<usize>j << 2));
    }
    if (j - lo < hi - j) {
      qsort(lo, j);
      lo = j + 1;
    } else {
      qsort(j + 1, hi);
      hi = j;
    }
  }
}

export function run(n: i32): i64 {
  if (memory.size() < 300) memory.grow(300 - memory.size());
  let x: u32 = 42;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    store<i32>(BUF + (<usize>i << 2), <i32>x);
  }
  qsort(0, n - 1);
  let s: i64 = 0;
  for (let i = 0; i < n; i++) s = s * 31 + load<i32>(BUF + (<usize>i << 2)) + (s >>> 40);
  return s;
}

export function main(): void {
  run(200000);
}
