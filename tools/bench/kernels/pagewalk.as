// x86-64 4-level page-table walk (Intel SDM Vol 3A §4.5) over tables built in linear memory:
// 8 regions in different PML4/PDPT slots, mapped with 4 KiB pages, 2 MiB pages and one 1 GiB
// page. run(n): builds the tables, then n x 65536 walks of PRNG virtual addresses (about 1 in 5
// not mapped); the checksum mixes the physical addresses and the fault count.
import { HEAP, xorshift } from "./common";

const P: u64 = 1;          // present
const RW: u64 = 2;
const PS: u64 = 1 << 7;    // page size (PDPTE: 1 GiB, PDE: 2 MiB)
const ADDR: u64 = 0x000F_FFFF_FFFF_F000;
const REGION: u64 = 4 << 20;           // bytes mapped per region
const SPAN: u64 = 5 << 20;             // bytes probed per region (the last MiB is not mapped)

let next: usize = 0;                   // bump allocator for table frames

function frame(): u64 {
  const f = next;
  next += 4096;
  memory.fill(f, 0, 4096);
  return <u64>f;
}

/** Region base VA: spread over PML4 slots 0..7 (low half) and 256..263 (high half, canonical). */
function regionBase(r: u32): u64 {
  const slot: u64 = (r & 1) != 0 ? 256 + <u64>r : <u64>r;
  let va = (slot << 39) | (<u64>(r * 5 + 1) << 30) | (<u64>(r * 3) << 21);
  if (slot >= 256) va |= 0xFFFF_0000_0000_0000;
  return va;
}

/** Entry slot for `va` at `level` (4..1), creating tables above it. */
function slot(cr3: u64, va: u64, level: u32): usize {
  let table = cr3;
  for (let l: u32 = 4; l > level; l--) {
    const s = <usize>(table + (((va >> (12 + 9 * (<u64>l - 1))) & 511) << 3));
    let e = load<u64>(s);
    if ((e & P) == 0) { e = frame() | P | RW; store<u64>(s, e); }
    table = e & ADDR;
  }
  return <usize>(table + (((va >> (12 + 9 * (<u64>level - 1))) & 511) << 3));
}

function build(): u64 {
  next = HEAP;
  const cr3 = frame();
  for (let r: u32 = 0; r < 8; r++) {
    const va = regionBase(r);
    const pa: u64 = (<u64>(r + 1) << 32) + (<u64>r << 24);
    if (r == 7) {
      // one 1 GiB page covering the region (base aligned down to 1 GiB)
      store<u64>(slot(cr3, va, 3), ((pa & ~<u64>0x3FFF_FFFF) & ADDR) | P | RW | PS);
    } else if ((r & 2) != 0) {
      for (let o: u64 = 0; o < REGION; o += 2 << 20) store<u64>(slot(cr3, va + o, 2), ((pa + o) & ADDR) | P | RW | PS);
    } else {
      for (let o: u64 = 0; o < REGION; o += 4096) store<u64>(slot(cr3, va + o, 1), ((pa + o) & ADDR) | P | RW);
    }
  }
  return cr3;
}

/** Physical address of `va`, or -1 (non-canonical or not present). */
function walk(cr3: u64, va: u64): i64 {
  const top = <i64>va >> 47;
  if (top != 0 && top != -1) return -1;
  let table = cr3;
  for (let l: u64 = 4; l >= 1; l--) {
    const shift = 12 + 9 * (l - 1);
    const e = load<u64>(<usize>(table + (((va >> shift) & 511) << 3)));
    if ((e & P) == 0) return -1;
    if (l == 1 || (l <= 3 && (e & PS) != 0)) {
      const mask = (<u64>1 << shift) - 1;
      return <i64>(((e & ADDR) & ~mask) | (va & mask));
    }
    table = e & ADDR;
  }
  return -1;
}

export function run(n: i32): i32 {
  const cr3 = build();
  let x: u32 = 0x2545F491;
  let sum: u64 = 0;
  let faults: u32 = 0;
  for (let i = 0; i < n * 65536; i++) {
    x = xorshift(x);
    const r = x & 7;
    x = xorshift(x);
    const va = regionBase(r) + (<u64>x % SPAN);
    const pa = walk(cr3, va);
    if (pa < 0) faults++; else sum = (sum ^ <u64>pa) * 0x100000001B3;
  }
  return <i32>(<u32>sum ^ <u32>(sum >> 32) ^ (faults * 0x9E3779B1));
}

/** The null call: the driver's round-trip baseline. */
export function nop(n: i32): i32 { return n; }
