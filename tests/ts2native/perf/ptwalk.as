// Four-level page-table walk (x86-64 / EPT shape: 9 bits per level, 64-bit entries with a
// present bit and 2 MiB large pages) translating pseudo-random addresses, plus a division by
// constants (the page-size arithmetic the VMM does).
const TABLES: usize = 0x1100000;
const NT: u64 = 64; // number of 4 KiB tables

function entryAddr(table: u64, idx: u64): usize {
  return <usize>(TABLES + (table << 12) + (idx << 3));
}

function setup(): void {
  let x: u64 = 0x9e3779b97f4a7c15;
  for (let t: u64 = 0; t < NT; t++) {
    for (let i: u64 = 0; i < 512; i++) {
      x ^= x << 13; x ^= x >> 7; x ^= x << 17;
      const next = (x >> 8) % NT;
      let e: u64 = 0;
      if ((x & 7) != 0) e = ((next << 12) + TABLES) | 1 | ((x & 0x30) == 0x30 ? 0x80 : 0);
      store<u64>(entryAddr(t, i), e);
    }
  }
}

function walk(root: u64, va: u64): u64 {
  let table = root;
  for (let level = 3; level >= 0; level--) {
    const idx = (va >> (12 + 9 * <u64>level)) & 511;
    const e = load<u64>(entryAddr(table, idx));
    if ((e & 1) == 0) return 0;
    const pa = e & 0x000ffffffffff000;
    if (level > 0 && level < 3 && (e & 0x80) != 0) return pa + (va & ((<u64>1 << (12 + 9 * <u64>level)) - 1));
    table = (pa - TABLES) >> 12;
  }
  return (table << 12) | (va & 0xfff);
}

export function run(n: i32): i64 {
  if (memory.size() < 300) memory.grow(300 - memory.size());
  setup();
  let x: u64 = 12345;
  let s: u64 = 0;
  for (let i = 0; i < n; i++) {
    x = x * 6364136223846793005 + 1442695040888963407;
    const pa = walk(<u64>(i & 7), x >> 16);
    s += pa / 4096 + pa % 1000 + <u64>(<u32>pa / 7) + <u64>(<i32>pa % 10);
  }
  return s;
}

export function main(): void {
  run(300000);
}
