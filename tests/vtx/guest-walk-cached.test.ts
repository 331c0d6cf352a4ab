// The guest page walk through a vCPU's page cache (src/ept/guest-paging.ts walkCached, page-cache.ts)
// against the walk that reads every entry the checked way (no cache: walkChecked), and the
// instruction-fetch head (guest-fetch.ts guestFetchHead) against guestFetch: over random page
// tables (random present/R/W/U/S/PS/XD/reserved bits, tables outside RAM, a table page only partly
// RAM), random paging registers and access kinds, the guest rewriting its tables between walks
// (nothing cached may survive that) and EPT changes (the cache must forget everything).
import { beforeAll, describe, expect, it } from "vitest";
import { v, setup, map, protect, EPT, PHYS, GM, RAMMAP, REGS, WALK, BUF } from "./ept-setup.ts";

const MiB = 1024 * 1024;
const HOST = 32 * MiB;
/** RAM ends half-way into the last page of [0, 2 MiB): a table there can be read, not cached. */
const RAM_END = 2 * MiB - 0x800;
const CACHE = BUF + 0x10000;
const FS = BUF + 0x20000;
const WALK2 = WALK + 0x40;
const P = 1n, RW = 2n, US = 4n, PS = 0x80n, XD = 1n << 63n;
const CR0_PG = 1n << 31n, CR0_WP = 1n << 16n, CR0_PE = 1n;
const CR4_PAE = 1n << 5n, CR4_SMEP = 1n << 20n, CR4_LA57 = 1n << 12n;
const EFER_LMA = 1n << 10n, EFER_LME = 1n << 8n, EFER_NXE = 1n << 11n;

let seed = 0x2545f491;
const rnd = (): number => { seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5; return seed >>> 0; };
const pick = <T>(xs: readonly T[]): T => xs[rnd() % xs.length]!;
const chance = (percent: number): boolean => rnd() % 100 < percent;

/** Table pages: 24 in RAM, the partly-RAM last page, and (as pointers only) pages outside RAM. */
const TABLES = [...Array.from({ length: 24 }, (_, i) => 0x10000 + i * 0x3000), 0x1ff000];
const OUTSIDE = [0x300000, 0x7f_0000_0000];

function randomEntry(): bigint {
  if (!chance(85)) return BigInt(rnd()) & ~P; // not present (other bits anything)
  let e = P;
  if (chance(80)) e |= RW;
  if (chance(60)) e |= US;
  if (chance(20)) e |= PS;
  if (chance(10)) e |= XD;
  e |= BigInt(rnd() & 0x178); // PWT PCD A D G (and PAT for large pages)
  if (chance(5)) e |= 1n << BigInt(39 + (rnd() % 13)); // beyond some MAXPHYADDRs
  const target = chance(3) ? pick(OUTSIDE) : pick(TABLES);
  e |= BigInt(target);
  if ((e & PS) !== 0n && chance(90)) e &= ~0x3fffe000n; // large pages mostly without reserved bits
  return e;
}
function writeTable(gpa: number): void {
  const limit = gpa === 0x1ff000 ? 256 : 512; // only the RAM half of the last page
  for (let i = 0; i < limit; i++) v.mem.setBigUint64(HOST + gpa + i * 8, randomEntry(), true);
}
function randomRegs(): void {
  v.mem.setBigUint64(REGS, CR0_PG | CR0_PE | (chance(70) ? CR0_WP : 0n), true);
  v.mem.setBigUint64(REGS + 8, BigInt(pick(TABLES)) | BigInt(rnd() & 0x18), true);
  v.mem.setBigUint64(REGS + 16, CR4_PAE | (chance(40) ? CR4_SMEP : 0n) | (chance(2) ? CR4_LA57 : 0n), true);
  v.mem.setBigUint64(REGS + 24, EFER_LME | (chance(97) ? EFER_LMA : 0n) | (chance(70) ? EFER_NXE : 0n), true);
  v.mem.setUint32(REGS + 32, pick([36, 39, 46, 52]), true);
}
/** A linear address that mostly follows present entries; sometimes not canonical. */
function randomLinear(): bigint {
  const lo = BigInt(rnd()) | (BigInt(rnd() & 0xffff) << 32n);
  if (chance(3)) return lo | (BigInt(rnd()) << 48n); // rarely canonical by chance
  return (lo & (1n << 47n)) !== 0n ? lo | 0xffff_0000_0000_0000n : lo;
}

interface Walk { st: number; gpa: string; size: string; code: number; gm: number }
function walk(cached: boolean, linear: bigint, access: number, out = WALK): Walk {
  v.bytes.fill(0x5a, out, out + 32);
  const st = cached ? v.u32("gwTranslateCached", GM, PHYS, REGS, linear, access, out, CACHE)
    : v.u32("gwTranslate", GM, PHYS, REGS, linear, access, out);
  const ok = st === 0;
  return { st, gpa: ok ? v.mem.getBigUint64(out, true).toString(16) : "", size: ok ? v.mem.getBigUint64(out + 8, true).toString(16) : "",
    code: v.mem.getUint32(out + 16, true), gm: v.mem.getUint32(out + 20, true) };
}

beforeAll(() => {
  setup();
  v.bytes.fill(0, HOST, HOST + 2 * MiB);
  expect(map(0, HOST, 2 * MiB)).toBe(0);
  v.mem.setBigUint64(RAMMAP, 0n, true);
  v.mem.setBigUint64(RAMMAP + 8, BigInt(RAM_END), true);
  v.mem.setUint32(GM, EPT, true);
  v.mem.setUint32(GM + 4, RAMMAP, true);
  v.mem.setUint32(GM + 8, 1, true);
  v.bytes.fill(0xcc, CACHE, CACHE + v.u32("gmCacheSize")); // garbage: the first walk must reset it
  for (const t of TABLES) writeTable(t);
  for (let i = 0; i < 2 * MiB; i += 4) v.mem.setUint32(HOST + 0x100000 + (i % 0x80000), i, true);
});

describe("the cached walk answers as the checked walk", () => {
  it("over random tables, registers and accesses; tables rewritten; EPT changes", () => {
    const bad: string[] = [];
    let ok = 0;
    const seen = new Map<string, number>();
    for (let round = 0; round < 3000; round++) {
      if (round % 50 === 0) randomRegs();
      if (round % 97 === 0) writeTable(pick(TABLES)); // the guest rewrites a table (no exit, no flush)
      if (round % 500 === 250) expect(protect(pick(TABLES), 4096, 4n)).toBe(0); // EPT: a table page execute-only
      if (round % 500 === 499) expect(protect(0, 2 * MiB, 7n)).toBe(0);
      const linear = randomLinear();
      const access = rnd() & 0x16;
      const want = walk(false, linear, access);
      for (let k = 0; k < 2; k++) { // the second time from a warm cache
        const got = walk(true, linear, access, WALK2);
        if (JSON.stringify(got) !== JSON.stringify(want)) {
          bad.push(`${linear.toString(16)} access ${access} try ${k}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
        }
      }
      // the guest changes the entry the walk used last: the next walk must see it
      if (want.st === 0 && chance(30)) writeTable(pick(TABLES));
      if (want.st === 0) ok++;
      const kind = `${want.st}/${want.code}/${want.gm}`;
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
    }
    expect(bad.slice(0, 3)).toEqual([]);
    expect(ok).toBeGreaterThan(150);
    // every outcome: OK, #PF not present / reserved bit / rights (with W, U, I/D), non-canonical,
    // table outside RAM, other paging modes
    for (const kind of ["0/0/0", "1/0/0", "1/9/0", "1/5/0", "1/3/0", "1/17/0", "2/0/0", "3/0/1", "4/0/0"]) {
      expect([kind, seen.get(kind) ?? 0]).not.toEqual([kind, 0]);
    }
  });
});

describe("guestFetchHead answers as guestFetch up to the page end", () => {
  const offsets = v.u64("fsOffsets");
  const field = (shift: bigint): number => Number((offsets >> shift) & 0xffffn);
  const FS_REGS = field(0n), FS_WALK = field(16n), FS_BYTES = field(32n), FS_LINEAR = field(48n);
  it("count, bytes and walk status", () => {
    v.bytes.fill(0xcc, FS, FS + v.u32("fetchStateSize"));
    const bad: string[] = [];
    let fetched = 0;
    for (let round = 0; round < 3000; round++) {
      if (round % 50 === 0) randomRegs();
      if (round % 97 === 0) writeTable(pick(TABLES));
      let linear = randomLinear();
      if (chance(30)) linear = (linear & ~0xfffn) | BigInt(0xff0 + (rnd() % 16)); // near the page end
      const access = 0x10 | (rnd() & 4);
      v.bytes.set(v.bytes.subarray(REGS, REGS + 40), FS + FS_REGS);
      v.mem.setBigUint64(FS + FS_LINEAR, linear, true);
      v.mem.setUint32(FS + FS_LINEAR + 8, access, true);
      v.bytes.fill(0xee, FS + FS_BYTES, FS + FS_BYTES + 16);
      const n = v.u32("gwFetchHead", GM, PHYS, FS);
      const len = Math.min(15, 4096 - Number(linear & 0xfffn));
      v.bytes.fill(0xee, BUF, BUF + 16);
      let m = v.u32("gwFetch", GM, PHYS, REGS, linear, access, BUF, len, WALK);
      if (m !== len) m = 0; // one page: all or nothing
      const got = [n, [...v.bytes.subarray(FS + FS_BYTES, FS + FS_BYTES + n)], n === 0 ? v.mem.getUint32(FS + FS_WALK + 16, true) : 0,
        n === 0 ? v.mem.getUint32(FS + FS_WALK + 20, true) : 0];
      const want = [m, [...v.bytes.subarray(BUF, BUF + m)], m === 0 ? v.mem.getUint32(WALK + 16, true) : 0,
        m === 0 ? v.mem.getUint32(WALK + 20, true) : 0];
      if (JSON.stringify(got) !== JSON.stringify(want)) bad.push(`${linear.toString(16)}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
      if (n !== 0) fetched++;
    }
    expect(bad.slice(0, 3)).toEqual([]);
    expect(fetched).toBeGreaterThan(150);
  });
});
