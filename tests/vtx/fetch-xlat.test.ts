// The instruction-fetch translation cache (src/ept/fetch-xlat.ts, used by guest-fetch.ts
// guestFetchHeadCached) against guestFetch without any cache (walkChecked, checked reads): the
// same few linear addresses are fetched again and again, as a driver's MMIO loop does, while the
// guest rewrites the very entries those translations used (one bit at a time: P, R/W, U/S, PS,
// XD, address and reserved bits; no exit, no flush), changes its paging registers, and the EPT
// changes. A kept translation may answer only while it is still exactly what a walk answers now.
import { beforeAll, describe, expect, it } from "vitest";
import { v, setup, map, protect, EPT, PHYS, GM, RAMMAP, REGS, WALK, BUF } from "./ept-setup.ts";

const MiB = 1024 * 1024;
const HOST = 32 * MiB;
const FS = BUF + 0x20000;
const P = 1n, PS = 0x80n;
const CR0_PG = 1n << 31n, CR0_PE = 1n;
const CR4_PAE = 1n << 5n, CR4_SMEP = 1n << 20n;
const EFER_LMA = 1n << 10n, EFER_LME = 1n << 8n, EFER_NXE = 1n << 11n;
const ADDR = 0x000f_ffff_ffff_f000n;

let seed = 0x5eed1234;
const rnd = (): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length]!;
const chance = (percent: number): boolean => rnd() % 100 < percent;

/** Table pages in RAM [0, 2 MiB), code in [1 MiB, 2 MiB). */
const TABLES = Array.from({ length: 16 }, (_, i) => 0x10000 + i * 0x1000);
const u64 = (gpa: bigint): bigint => v.mem.getBigUint64(HOST + Number(gpa), true);
const set64 = (gpa: bigint, x: bigint): void => v.mem.setBigUint64(HOST + Number(gpa), BigInt.asUintN(64, x), true);

/** Page tables where the linear addresses of LINEARS map (4 KiB, 2 MiB or 1 GiB pages) into [1, 2) MiB. */
const LINEARS: bigint[] = [];
function build(): void {
  v.bytes.fill(0, HOST, HOST + 0x100000);
  let next = 1;
  const table = (): bigint => BigInt(TABLES[next++]!);
  const pml4 = BigInt(TABLES[0]!);
  for (let k = 0; k < 6; k++) {
    const lin = (BigInt(k + 1) << 39n) | (BigInt(rnd() & 511) << 30n) | (BigInt(rnd() & 511) << 21n) | (BigInt(rnd() & 511) << 12n) | BigInt(rnd() & 0xfff);
    const kind = k % 3; // 0: 4 KiB, 1: 2 MiB, 2: 1 GiB
    const code = 0x100000n + BigInt(k) * 0x1000n;
    const pdpt = table();
    set64(pml4 + ((lin >> 39n) & 511n) * 8n, pdpt | 7n);
    if (kind === 2) {
      // 1 GiB page at 0: the linear's offset in it must land in [1, 2) MiB
      set64(pdpt + ((lin >> 30n) & 511n) * 8n, 0n | PS | 7n);
      LINEARS.push((lin & ~((1n << 30n) - 1n)) | code | (lin & 0xfffn));
      continue;
    }
    const pd = table();
    set64(pdpt + ((lin >> 30n) & 511n) * 8n, pd | 7n);
    if (kind === 1) {
      set64(pd + ((lin >> 21n) & 511n) * 8n, 0n | PS | 7n); // 2 MiB page at 0
      LINEARS.push((lin & ~((1n << 21n) - 1n)) | code | (lin & 0xfffn));
      continue;
    }
    const pt = table();
    set64(pd + ((lin >> 21n) & 511n) * 8n, pt | 7n);
    set64(pt + ((lin >> 12n) & 511n) * 8n, code | 7n);
    LINEARS.push(lin);
  }
  for (let i = 0; i < 0x100000; i += 4) v.mem.setUint32(HOST + 0x100000 + i, rnd(), true);
}

/** The guest-physical addresses of the entries a walk of `lin` reads (as far as they are present). */
function path(lin: bigint): bigint[] {
  const out: bigint[] = [];
  let table = v.mem.getBigUint64(REGS + 8, true) & ADDR;
  for (let level = 4; level >= 1; level--) {
    const at = table + ((lin >> BigInt(12 + 9 * (level - 1))) & 511n) * 8n;
    if (at >= 0x200000n) break;
    out.push(at);
    const e = u64(at);
    if ((e & P) === 0n || (level !== 4 && (e & PS) !== 0n)) break;
    table = e & ADDR;
  }
  return out;
}

function regs(): void {
  v.mem.setBigUint64(REGS, CR0_PG | CR0_PE | (chance(50) ? 1n << 16n : 0n), true);
  v.mem.setBigUint64(REGS + 8, BigInt(TABLES[0]!), true);
  v.mem.setBigUint64(REGS + 16, CR4_PAE | (chance(30) ? CR4_SMEP : 0n), true);
  v.mem.setBigUint64(REGS + 24, EFER_LME | EFER_LMA | (chance(70) ? EFER_NXE : 0n), true);
  v.mem.setUint32(REGS + 32, pick([39, 46]), true);
}

beforeAll(() => {
  setup();
  expect(map(0, HOST, 2 * MiB)).toBe(0);
  v.mem.setBigUint64(RAMMAP, 0n, true);
  v.mem.setBigUint64(RAMMAP + 8, BigInt(2 * MiB), true);
  v.mem.setUint32(GM, EPT, true);
  v.mem.setUint32(GM + 4, RAMMAP, true);
  v.mem.setUint32(GM + 8, 1, true);
  build();
  regs();
});

describe("the fetch translation cache answers as an uncached fetch", () => {
  it("the same addresses again and again; the entries they use rewritten; registers and EPT changed", () => {
    const offsets = v.u64("fsOffsets");
    const field = (shift: bigint): number => Number((offsets >> shift) & 0xffffn);
    const FS_REGS = field(0n), FS_WALK = field(16n), FS_BYTES = field(32n), FS_LINEAR = field(48n);
    v.bytes.fill(0xcc, FS, FS + v.u32("fetchStateSize")); // garbage: must never answer
    v.u32("fsXlatReset", FS);
    const bad: string[] = [];
    let ok = 0, changedOk = 0;
    const saved = new Map<bigint, bigint>();
    for (let round = 0; round < 6000; round++) {
      const lin = pick(LINEARS);
      const r = rnd() % 100;
      if (r < 25) {
        // The guest flips one bit of an entry this translation uses (and often flips it back later).
        const p = path(lin);
        if (p.length > 0) {
          const at = pick(p);
          if (!saved.has(at)) saved.set(at, u64(at));
          set64(at, u64(at) ^ (1n << BigInt(pick([0, 1, 2, 7, 63, 12, 13, 20, 21, 30, 33, 40, 45, 51]))));
        }
      } else if (r < 40 && saved.size > 0) {
        const [at, e] = [...saved][rnd() % saved.size]!; // ... restored: the old translation is good again
        set64(at, e);
        saved.delete(at);
      } else if (r < 43) regs();
      else if (r < 44) v.mem.setBigUint64(REGS + 8, BigInt(pick(TABLES)), true); // another CR3
      else if (r < 45) v.mem.setBigUint64(REGS + 8, BigInt(TABLES[0]!), true);
      else if (r < 46) expect(protect(0x100000, 0x6000, pick([4n, 1n]))).toBe(0); // EPT: code execute-only or read-only
      else if (r < 47) expect(protect(0, 2 * MiB, 7n)).toBe(0);
      else if (r < 50) v.mem.setUint32(HOST + 0x100000 + (rnd() % 0x6000), rnd(), true); // code rewritten
      // MAXPHYADDR alone. Every guest-physical address here is below 2 MiB, so only a value below
      // 21 changes an answer: at 20 the code pages (1 MiB up) are beyond it (reserved bits set).
      else if (r < 53) v.mem.setUint32(REGS + 32, pick([20, 39, 46]), true);
      const access = 0x10 | (chance(20) ? 4 : 0);
      v.bytes.set(v.bytes.subarray(REGS, REGS + 40), FS + FS_REGS);
      v.mem.setBigUint64(FS + FS_LINEAR, lin, true);
      v.mem.setUint32(FS + FS_LINEAR + 8, access, true);
      v.bytes.fill(0xee, FS + FS_BYTES, FS + FS_BYTES + 16);
      const n = v.u32("gwFetchHead", GM, PHYS, FS);
      const len = Math.min(15, 4096 - Number(lin & 0xfffn));
      v.bytes.fill(0xee, BUF, BUF + 16);
      let m = v.u32("gwFetch", GM, PHYS, REGS, lin, access, BUF, len, WALK);
      if (m !== len) m = 0;
      const got = [n, [...v.bytes.subarray(FS + FS_BYTES, FS + FS_BYTES + n)]];
      const want = [m, [...v.bytes.subarray(BUF, BUF + m)]];
      if (n === 0 && m === 0) { // both failed: the walk statuses agree too
        const w = [v.mem.getUint32(FS + FS_WALK + 16, true), v.mem.getUint32(WALK + 16, true)];
        if (w[0] !== w[1]) bad.push(`${lin.toString(16)} round ${round}: error code ${w[0]} vs ${w[1]}`);
      }
      if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${lin.toString(16)} round ${round}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
      if (m !== 0) ok++;
      if (m !== 0 && saved.size > 0) changedOk++;
    }
    expect(bad.slice(0, 3)).toEqual([]);
    expect(ok).toBeGreaterThan(600);
    expect(changedOk).toBeGreaterThan(200);
  });
});
