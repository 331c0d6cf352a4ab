// The hypervisor's own EPT code (src/ept/table.ts, read only) on its IdentityPhys view: per run,
// an EPT like a small VM's (a 1 GiB page, 64 MiB of 4 KiB pages at a host address that is not
// 2 MiB aligned, 256 MiB of 2 MiB pages, one UC MMIO page), then n x 16384 eptTranslate calls on
// PRNG guest-physical addresses (some not mapped), then eptDestroy.
// Imports resolve from build/bench/src/ept.ts, where mk/bench.mk copies this file.
import { HEAP, xorshift } from "./common";
import {
  Ept, EptLookup, EptStatus, eptInit, eptMap, eptTranslate, eptDestroy, EPT_RWX, EPT_READ, EPT_WRITE, EPT_MT_WB, EPT_MT_UC,
} from "../../../src/ept/table";
import { IdentityPhys } from "../../../src/ept/phys";
import { EPTCAP_2M_PAGES, EPTCAP_1G_PAGES, EPTCAP_EXECUTE_ONLY } from "../../../src/ept/entry";

const GiB: u64 = 1 << 30;
const MiB: u64 = 1 << 20;

/** Table frames: a bump region with a free stack (F in src/ept/phys.ts). */
@final @unmanaged class BenchFrames {
  next: u64;
  end: u64;
  freeTop: u64;     // address of the free stack's top slot area (grows up)
  freeCount: u64;

  @inline allocTable(): u64 {
    if (this.freeCount != 0) {
      this.freeCount--;
      return load<u64>(<usize>(this.freeTop + this.freeCount * 8));
    }
    if (this.next >= this.end) return 0;
    const f = this.next;
    this.next += 4096;
    return f;
  }
  @inline freeTable(pa: u64): void {
    store<u64>(<usize>(this.freeTop + this.freeCount * 8), pa);
    this.freeCount++;
  }
}

const STATE: usize = HEAP;                 // Ept (16) | EptLookup (32) | IdentityPhys (8) | BenchFrames (32)
const FREE_STACK: usize = HEAP + 4096;     // up to 4096 slots
const FRAMES: usize = HEAP + 65536;        // table frames: 1 MiB

export function run(n: i32): i32 {
  const ept = changetype<Ept>(STATE);
  const out = changetype<EptLookup>(STATE + 16);
  const mem = changetype<IdentityPhys>(STATE + 48);
  const frames = changetype<BenchFrames>(STATE + 64);
  mem.limit = <u64>memory.size() << 16;
  frames.next = <u64>FRAMES;
  frames.end = <u64>FRAMES + MiB;
  frames.freeTop = <u64>FREE_STACK;
  frames.freeCount = 0;
  let bad: u32 = 0;
  if (eptInit<IdentityPhys, BenchFrames>(ept, mem, frames, EPTCAP_2M_PAGES | EPTCAP_1G_PAGES | EPTCAP_EXECUTE_ONLY) != EptStatus.OK) bad |= 1;
  if (eptMap<IdentityPhys, BenchFrames>(ept, mem, frames, 0, 4 * GiB, GiB, EPT_RWX, EPT_MT_WB) != EptStatus.OK) bad |= 2;
  if (eptMap<IdentityPhys, BenchFrames>(ept, mem, frames, GiB, 6 * GiB + 0x1000, 64 * MiB, EPT_RWX, EPT_MT_WB) != EptStatus.OK) bad |= 4;
  if (eptMap<IdentityPhys, BenchFrames>(ept, mem, frames, 2 * GiB, 8 * GiB, 256 * MiB, EPT_READ | EPT_WRITE, EPT_MT_WB) != EptStatus.OK) bad |= 8;
  if (eptMap<IdentityPhys, BenchFrames>(ept, mem, frames, 0xFEC0_0000, 0xFEC0_0000, 4096, EPT_READ | EPT_WRITE, EPT_MT_UC) != EptStatus.OK) bad |= 16;
  let x: u32 = 0x6C078965;
  let sum: u64 = 0;
  let misses: u32 = 0;
  for (let i = 0; i < n * 16384; i++) {
    x = xorshift(x);
    const sel = x & 3;
    x = xorshift(x);
    // region 0: 1 GiB page; 1: 4 KiB pages (+ 16 MiB unmapped); 2: 2 MiB pages (+ 64 MiB unmapped); 3: MMIO
    let gpa: u64 = sel == 0 ? <u64>x % GiB
      : sel == 1 ? GiB + <u64>x % (80 * MiB)
      : sel == 2 ? 2 * GiB + <u64>x % (320 * MiB)
      : 0xFEC0_0000 + <u64>(x & 0x1FFF);
    if (eptTranslate<IdentityPhys>(ept, mem, gpa, out) == EptStatus.OK) {
      sum = (sum ^ out.hpa ^ (<u64>out.perms << 56) ^ (<u64>out.memType << 48) ^ (<u64>out.level << 60)) * 0x100000001B3;
    } else {
      misses++;
    }
  }
  const tables = ept.tables;
  eptDestroy<IdentityPhys, BenchFrames>(ept, mem, frames);
  if (ept.tables != 0) bad |= 32;
  return <i32>(<u32>sum ^ <u32>(sum >> 32) ^ (misses * 0x9E3779B1) ^ (tables << 20) ^ (bad << 24));
}

/** The null call: the driver's round-trip baseline. */
export function nop(n: i32): i32 { return n; }
