// Guest-linear → guest-physical walks (src/ept/guest-paging.ts, SDM Vol 3A §4.5–4.7) over guest
// page tables built in fake guest RAM: GPA [0, 2 MiB) backed by host 32 MiB.
import { beforeAll, describe, expect, it } from "vitest";
import { v, setup, map, EPT, PHYS, GM, RAMMAP, REGS, WALK, BUF } from "./ept-setup.ts";

const MiB = 1024 * 1024;
const HOST = 32 * MiB;
const P = 1n, RW = 2n, US = 4n, PS = 0x80n, XD = 1n << 63n;
const OK = 0, PF = 1, NON_CANONICAL = 2, GUEST_MEMORY = 3, UNSUPPORTED = 4;
const PF_P = 1, PF_W = 2, PF_U = 4, PF_RSVD = 8, PF_I = 16;
const CR0_PG = 1n << 31n, CR0_WP = 1n << 16n, CR0_PE = 1n;
const CR4_PAE = 1n << 5n, CR4_SMEP = 1n << 20n, CR4_LA57 = 1n << 12n;
const EFER_LMA = 1n << 10n, EFER_LME = 1n << 8n, EFER_NXE = 1n << 11n;

const pte = (gpa: number, index: number, value: bigint): void => v.mem.setBigUint64(HOST + gpa + index * 8, value, true);

beforeAll(() => {
  setup();
  v.bytes.fill(0, HOST, HOST + 2 * MiB);
  expect(map(0, HOST, 2 * MiB)).toBe(0);
  v.mem.setBigUint64(RAMMAP, 0n, true);
  v.mem.setBigUint64(RAMMAP + 8, BigInt(2 * MiB), true);
  v.mem.setUint32(GM, EPT, true);
  v.mem.setUint32(GM + 4, RAMMAP, true);
  v.mem.setUint32(GM + 8, 1, true);
  // PML4 @0x1000, PDPT @0x2000, PD @0x3000, PT @0x4000
  pte(0x1000, 0, 0x2000n | P | RW | US);
  pte(0x1000, 511, 0x2000n | P | RW | US); // the top of the address space aliases the bottom
  pte(0x1000, 1, 0x2000n | P | RW | PS); // PS is reserved in a PML4E
  pte(0x1000, 2, 0x7000_0000_0000n | P); // address beyond MAXPHYADDR
  pte(0x2000, 0, 0x3000n | P | RW | US);
  pte(0x2000, 1, 0x4000_0000n | P | RW | US | PS); // 1 GiB page at GPA 1 GiB
  pte(0x2000, 2, 0x4000_0000n | (1n << 13n) | P | PS); // 1 GiB page with reserved bit 13
  pte(0x3000, 2, 0x4000n | P | RW | US); // linear 4 MiB: 4 KiB pages
  pte(0x3000, 3, 0x0n | P | RW | PS); // linear 6 MiB: 2 MiB supervisor page at GPA 0
  pte(0x3000, 4, 0x200000n | (1n << 20n) | P | PS); // reserved bit 20 in a 2 MiB PDE
  pte(0x4000, 0, 0x10000n | P | RW | US);
  pte(0x4000, 1, 0x11000n | P); // supervisor, read-only
  pte(0x4000, 2, 0x12000n | P | RW | US | XD);
  // entry 3 not present
  for (let i = 0; i < 4096; i++) v.bytes[HOST + 0x10000 + i] = i & 0xff;
  for (let i = 0; i < 4096; i++) v.bytes[HOST + 0x11000 + i] = (i + 0x80) & 0xff;
});

function regs(cr0: bigint, cr4: bigint, efer: bigint, cr3 = 0x1000n, maxPhys = 39): void {
  v.mem.setBigUint64(REGS, cr0, true);
  v.mem.setBigUint64(REGS + 8, cr3, true);
  v.mem.setBigUint64(REGS + 16, cr4, true);
  v.mem.setBigUint64(REGS + 24, efer, true);
  v.mem.setUint32(REGS + 32, maxPhys, true);
}
const LONG = (): void => regs(CR0_PG | CR0_PE | CR0_WP, CR4_PAE, EFER_LME | EFER_LMA | EFER_NXE);
function walk(linear: bigint, access = 0): { st: number; gpa: bigint; size: bigint; code: number; gm: number } {
  const st = v.u32("gwTranslate", GM, PHYS, REGS, linear, access, WALK);
  return { st, gpa: v.mem.getBigUint64(WALK, true), size: v.mem.getBigUint64(WALK + 8, true),
    code: v.mem.getUint32(WALK + 16, true), gm: v.mem.getUint32(WALK + 20, true) };
}

describe("4-level guest page walk", () => {
  it("translates 4 KiB, 2 MiB and 1 GiB pages, and the top of the address space", () => {
    LONG();
    expect(walk(0x400123n)).toMatchObject({ st: OK, gpa: 0x10123n, size: 4096n });
    expect(walk(0x401fffn)).toMatchObject({ st: OK, gpa: 0x11fffn });
    expect(walk(0x6bcdefn)).toMatchObject({ st: OK, gpa: 0xbcdefn, size: 2n * BigInt(MiB) });
    expect(walk(0x4000_1234n)).toMatchObject({ st: OK, gpa: 0x4000_1234n, size: 1n << 30n });
    expect(walk(0xffff_ff80_0040_0123n)).toMatchObject({ st: OK, gpa: 0x10123n });
  });
  it("not present, reserved bits, non-canonical", () => {
    LONG();
    expect(walk(0x403000n, PF_W)).toMatchObject({ st: PF, code: PF_W });
    expect(walk(0x0000_0080_0000_0000n)).toMatchObject({ st: PF, code: PF_P | PF_RSVD }); // PML4E.PS
    expect(walk(0x0000_0100_0000_0000n)).toMatchObject({ st: PF, code: PF_P | PF_RSVD }); // > MAXPHYADDR
    expect(walk(0x8000_0000n)).toMatchObject({ st: PF, code: PF_P | PF_RSVD }); // 1 GiB bit 13
    expect(walk(0x800000n, PF_U)).toMatchObject({ st: PF, code: PF_P | PF_RSVD | PF_U }); // 2 MiB bit 20
    expect(walk(0x0000_8000_0000_0000n).st).toBe(NON_CANONICAL);
    expect(walk(0xffff_7fff_ffff_ffffn).st).toBe(NON_CANONICAL);
    regs(CR0_PG | CR0_PE, CR4_PAE, EFER_LME | EFER_LMA); // NXE off: XD is a reserved bit
    expect(walk(0x402000n)).toMatchObject({ st: PF, code: PF_P | PF_RSVD });
  });
  it("access rights: U/S, R/W with CR0.WP, XD, SMEP", () => {
    LONG();
    expect(walk(0x401000n, PF_U)).toMatchObject({ st: PF, code: PF_P | PF_U });
    expect(walk(0x401000n, PF_W)).toMatchObject({ st: PF, code: PF_P | PF_W });
    expect(walk(0x400000n, PF_W | PF_U).st).toBe(OK);
    expect(walk(0x402000n, PF_I)).toMatchObject({ st: PF, code: PF_P | PF_I });
    expect(walk(0x402000n, PF_W | PF_U).st).toBe(OK);
    regs(CR0_PG | CR0_PE, CR4_PAE | CR4_SMEP, EFER_LME | EFER_LMA | EFER_NXE); // WP = 0, SMEP = 1
    expect(walk(0x401000n, PF_W).st).toBe(OK); // supervisor may write read-only pages without WP
    expect(walk(0x401000n, PF_W | PF_U).code).toBe(PF_P | PF_W | PF_U);
    expect(walk(0x400000n, PF_I)).toMatchObject({ st: PF, code: PF_P | PF_I }); // SMEP: user page
    expect(walk(0x600000n, PF_I).st).toBe(OK); // supervisor page
    expect(walk(0x400000n, PF_I | PF_U).st).toBe(OK);
  });
  it("no paging, unsupported modes, tables outside guest RAM", () => {
    regs(CR0_PE, 0n, 0n);
    expect(walk(0x1_2345_6789n)).toMatchObject({ st: OK, gpa: 0x2345_6789n });
    regs(CR0_PG | CR0_PE, 0n, 0n);
    expect(walk(0x1000n).st).toBe(UNSUPPORTED); // 32-bit paging
    regs(CR0_PG | CR0_PE, CR4_PAE, 0n);
    expect(walk(0x1000n).st).toBe(UNSUPPORTED); // PAE paging
    regs(CR0_PG | CR0_PE, CR4_PAE | CR4_LA57, EFER_LMA);
    expect(walk(0x1000n).st).toBe(UNSUPPORTED); // 5-level
    regs(CR0_PG | CR0_PE, CR4_PAE, EFER_LMA, 0x300000n);
    expect(walk(0x1000n)).toMatchObject({ st: GUEST_MEMORY, gm: 1 });
  });
  it("fetches instruction bytes across a page boundary and stops at a fault", () => {
    LONG();
    v.bytes.fill(0, BUF, BUF + 16);
    expect(v.u32("gwFetch", GM, PHYS, REGS, 0x400ffdn, PF_I, BUF, 8, WALK)).toBe(8);
    expect([...v.bytes.subarray(BUF, BUF + 8)]).toEqual([0xfd, 0xfe, 0xff, 0x80, 0x81, 0x82, 0x83, 0x84]);
    expect(v.u32("gwFetch", GM, PHYS, REGS, 0x402ffen, PF_U, BUF, 6, WALK)).toBe(2);
    expect(v.mem.getUint32(WALK + 16, true)).toBe(PF_U);
  });
});
