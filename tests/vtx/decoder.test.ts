// MMIO MOV decoder (src/vmm/mmio/decoder.ts): every accepted form in each mode, and bad encodings.
// Expected decodings are written from SDM Vol 2 (MOV, MOVZX, MOVSX; Tables 2-1 … 2-3).
import { describe, expect, it } from "vitest";
import { vtx, SCRATCH } from "./wasm.ts";

const v = vtx();
const CODE = SCRATCH + 0x40000;
const OUT = SCRATCH + 0x40100;
const S = { OK: 0, TRUNCATED: 1, UNSUPPORTED: 2, LOCK: 3, REGISTER: 4, TOO_LONG: 5, BAD_MODE: 6 };
const K = { STORE_REG: 0, STORE_IMM: 1, LOAD: 2 };
const E = { NONE: 0, ZERO: 1, SIGN: 2 };
const SEG = { ES: 0, CS: 1, SS: 2, DS: 3, FS: 4, GS: 5 };
const NONE = 0xff, RIP = 0x10;
const AX = 0, CX = 1, BX = 3, SP = 4, BP = 5, SI = 6, DI = 7;

interface Insn { status: number; length: number; kind: number; size: number; reg: number; high8: number;
  regSize: number; extend: number; segment: number; addrSize: number; base: number; index: number;
  scale: number; imm: bigint; disp: bigint }

function decode(bytes: number[], mode: number, avail = bytes.length): Insn {
  v.bytes.fill(0xcc, CODE, CODE + 32); // INT3 after the instruction: never part of it
  v.bytes.set(bytes, CODE);
  v.bytes.fill(0x5a, OUT, OUT + 72);
  const status = v.u32("mmioDecode", CODE, avail, mode, OUT);
  const u = (o: number): number => v.mem.getUint32(OUT + o, true);
  const insn: Insn = { status, length: u(4), kind: u(8), size: u(12), reg: u(16), high8: u(20), regSize: u(24),
    extend: u(28), segment: u(32), addrSize: u(36), base: u(40), index: u(44), scale: u(48),
    imm: v.mem.getBigUint64(OUT + 56, true), disp: v.mem.getBigUint64(OUT + 64, true) };
  expect(u(0)).toBe(status);
  return insn;
}
const sx = (x: bigint, bits: number): bigint => BigInt.asUintN(64, BigInt.asIntN(bits, x));
const hex = (s: string): number[] => s.trim().split(/\s+/).map((x) => parseInt(x, 16));

describe("64-bit mode", () => {
  const d = (s: string, avail?: number): Insn => decode(hex(s), 64, avail);
  it("stores of registers: sizes, REX.R, AH vs SPL", () => {
    expect(d("89 08")).toMatchObject({ status: S.OK, length: 2, kind: K.STORE_REG, size: 4, reg: CX, base: AX, index: NONE, disp: 0n, addrSize: 8, segment: SEG.DS });
    expect(d("48 89 08")).toMatchObject({ length: 3, size: 8 });
    expect(d("66 89 08")).toMatchObject({ length: 3, size: 2 });
    expect(d("88 20")).toMatchObject({ size: 1, reg: AX, high8: 1 });
    expect(d("40 88 20")).toMatchObject({ size: 1, reg: SP, high8: 0 });
    expect(d("44 89 0c 24")).toMatchObject({ length: 4, reg: 9, base: SP, index: NONE });
    expect(d("66 48 89 08")).toMatchObject({ size: 8 }); // REX.W beats 66
    expect(d("48 66 89 08")).toMatchObject({ size: 2, length: 4 }); // REX not last: ignored
  });
  it("loads, RIP-relative, SIB forms, displacements", () => {
    expect(d("8b 05 78 56 34 12")).toMatchObject({ length: 6, kind: K.LOAD, size: 4, reg: AX, base: RIP, disp: 0x12345678n });
    expect(d("8b 04 25 00 00 e0 fe")).toMatchObject({ length: 7, base: NONE, index: NONE, disp: 0xfffffffffee00000n });
    expect(d("42 8b 04 a5 10 00 00 00")).toMatchObject({ length: 8, base: NONE, index: 12, scale: 4, disp: 0x10n });
    expect(d("41 8b 45 08")).toMatchObject({ length: 4, base: 13, disp: 8n });
    expect(d("4c 8b 44 24 f8")).toMatchObject({ length: 5, size: 8, reg: 8, base: SP, disp: sx(0xf8n, 8) });
    expect(d("8b 84 c8 00 01 00 00")).toMatchObject({ length: 7, base: AX, index: CX, scale: 8, disp: 0x100n });
    expect(d("67 8b 05 00 10 00 00")).toMatchObject({ length: 7, base: RIP, addrSize: 4 });
    expect(d("67 8b 00")).toMatchObject({ addrSize: 4, base: AX });
    expect(d("8a 41 ff")).toMatchObject({ size: 1, reg: AX, base: CX, disp: sx(0xffn, 8), length: 3 });
  });
  it("immediates: C6, C7, 66 C7, REX.W C7 sign-extends", () => {
    expect(d("c7 00 78 56 34 12")).toMatchObject({ length: 6, kind: K.STORE_IMM, size: 4, imm: 0x12345678n });
    expect(d("48 c7 00 ff ff ff ff")).toMatchObject({ length: 7, size: 8, imm: 0xffffffffffffffffn });
    expect(d("48 c7 40 10 00 00 00 80")).toMatchObject({ length: 8, size: 8, disp: 0x10n, imm: 0xffffffff80000000n });
    expect(d("66 c7 00 34 12")).toMatchObject({ length: 5, size: 2, imm: 0x1234n });
    expect(d("c6 00 ab")).toMatchObject({ length: 3, size: 1, imm: 0xabn });
    expect(d("c6 05 00 00 00 00 01")).toMatchObject({ length: 7, base: RIP, imm: 1n }); // imm after disp
    expect(d("c7 08 00 00 00 00").status).toBe(S.UNSUPPORTED); // /1 is not MOV
  });
  it("MOVZX / MOVSX", () => {
    expect(d("0f b6 00")).toMatchObject({ length: 3, kind: K.LOAD, size: 1, regSize: 4, extend: E.ZERO });
    expect(d("48 0f bf 08")).toMatchObject({ length: 4, size: 2, regSize: 8, extend: E.SIGN, reg: CX });
    expect(d("0f b6 20")).toMatchObject({ reg: SP, high8: 0 }); // destination is ESP, not AH
    expect(d("66 0f be 00")).toMatchObject({ size: 1, regSize: 2, extend: E.SIGN });
    expect(d("0f b7 00")).toMatchObject({ size: 2, regSize: 4, extend: E.ZERO });
  });
  it("moffs forms take a 64-bit offset (32 with 67)", () => {
    expect(d("a1 88 77 66 55 44 33 22 11")).toMatchObject({ length: 9, kind: K.LOAD, size: 4, reg: AX, disp: 0x1122334455667788n, base: NONE });
    expect(d("67 a1 00 00 e0 fe")).toMatchObject({ length: 6, disp: 0xfee00000n });
    expect(d("48 a3 00 10 00 00 00 00 00 00")).toMatchObject({ length: 10, kind: K.STORE_REG, size: 8 });
    expect(d("a2 00 00 00 00 00 00 00 00")).toMatchObject({ length: 9, size: 1, kind: K.STORE_REG });
  });
  it("segment overrides: FS/GS kept, others ignored", () => {
    expect(d("64 8b 00")).toMatchObject({ segment: SEG.FS, length: 3 });
    expect(d("65 48 89 04 25 00 00 00 00")).toMatchObject({ segment: SEG.GS, length: 9 });
    expect(d("2e 8b 00")).toMatchObject({ segment: SEG.DS });
    expect(d("26 64 8b 00")).toMatchObject({ segment: SEG.FS }); // the last override wins
  });
  it("bad encodings", () => {
    expect(d("8b c1").status).toBe(S.REGISTER);
    expect(d("f0 89 08").status).toBe(S.LOCK);
    expect(d("f3 89 08").status).toBe(S.UNSUPPORTED);
    expect(d("01 08").status).toBe(S.UNSUPPORTED);
    expect(d("0f 05").status).toBe(S.UNSUPPORTED);
    expect(d("8e d8").status).toBe(S.UNSUPPORTED);
    expect(d("8b", 1).status).toBe(S.TRUNCATED);
    expect(d("8b 05 78 56", 4).status).toBe(S.TRUNCATED);
    expect(d("8b 04", 2).status).toBe(S.TRUNCATED);
    expect(d("c7 00 78 56 34", 5).status).toBe(S.TRUNCATED);
    expect(d("48", 1).status).toBe(S.TRUNCATED);
    expect(d("0f", 1).status).toBe(S.TRUNCATED);
    expect(decode([], 64).status).toBe(S.TRUNCATED);
    const p13 = Array(13).fill(0x66) as number[];
    expect(decode([...p13, 0x89, 0x08], 64)).toMatchObject({ status: S.OK, length: 15, size: 2 });
    expect(decode([0x66, ...p13, 0x89, 0x08], 64).status).toBe(S.TOO_LONG);
    expect(decode(Array(15).fill(0x66) as number[], 64).status).toBe(S.TOO_LONG);
    expect(decode([...Array(11).fill(0x66) as number[], 0x8b, 0x05, 0, 0, 0, 0], 64).status).toBe(S.TOO_LONG);
    expect(decode(hex("89 08"), 8).status).toBe(S.BAD_MODE);
  });
});

describe("32-bit mode", () => {
  const d = (s: string, avail?: number): Insn => decode(hex(s), 32, avail);
  it("default sizes, absolute disp32, SS for EBP/ESP bases", () => {
    expect(d("89 08")).toMatchObject({ status: S.OK, size: 4, addrSize: 4, length: 2 });
    expect(d("66 89 08")).toMatchObject({ size: 2 });
    expect(d("8b 05 00 00 e0 fe")).toMatchObject({ length: 6, base: NONE, disp: 0xfffffffffee00000n });
    expect(d("8b 45 08")).toMatchObject({ base: BP, segment: SEG.SS, disp: 8n });
    expect(d("8b 04 24")).toMatchObject({ base: SP, segment: SEG.SS, length: 3 });
    expect(d("3e 8b 45 08")).toMatchObject({ segment: SEG.DS, length: 4 });
    expect(d("88 20")).toMatchObject({ reg: AX, high8: 1 });
    expect(d("26 c6 05 00 80 0b 00 41")).toMatchObject({ length: 8, segment: SEG.ES, imm: 0x41n, disp: 0xb8000n });
    expect(d("a3 00 00 c0 fe")).toMatchObject({ length: 5, size: 4, disp: 0xfec00000n });
  });
  it("67 selects 16-bit addressing; REX bytes are INC/DEC", () => {
    expect(d("67 8b 07")).toMatchObject({ addrSize: 2, base: BX, length: 3 });
    expect(d("48 89 08").status).toBe(S.UNSUPPORTED);
  });
});

describe("16-bit mode (real mode, 16-bit protected mode)", () => {
  const d = (s: string, avail?: number): Insn => decode(hex(s), 16, avail);
  it("16-bit ModRM table", () => {
    expect(d("89 07")).toMatchObject({ status: S.OK, size: 2, addrSize: 2, base: BX, index: NONE, length: 2 });
    expect(d("8b 46 02")).toMatchObject({ base: BP, segment: SEG.SS, disp: 2n, length: 3 });
    expect(d("8b 00")).toMatchObject({ base: BX, index: SI });
    expect(d("8b 03")).toMatchObject({ base: BP, index: DI, segment: SEG.SS });
    expect(d("8b 06 34 12")).toMatchObject({ base: NONE, disp: 0x1234n, length: 4, segment: SEG.DS });
    expect(d("8b 86 fe ff")).toMatchObject({ base: BP, disp: 0xfffffffffffffffen, length: 4 });
    expect(d("8b 04")).toMatchObject({ base: SI, index: NONE });
  });
  it("66 and 67 switch to 32-bit operand / address size", () => {
    expect(d("66 89 07")).toMatchObject({ size: 4, length: 3 });
    expect(d("67 89 04 24")).toMatchObject({ addrSize: 4, base: SP, length: 4 });
    expect(d("a1 34 12")).toMatchObject({ length: 3, disp: 0x1234n, size: 2 });
    expect(d("c7 06 00 10 34 12")).toMatchObject({ length: 6, imm: 0x1234n, disp: 0x1000n });
    expect(d("66 c7 06 00 10 78 56 34 12")).toMatchObject({ length: 9, size: 4, imm: 0x12345678n });
    expect(d("0f b6 07")).toMatchObject({ regSize: 2, size: 1, extend: E.ZERO });
    expect(d("8b 06 34", 3).status).toBe(S.TRUNCATED);
  });
});

// decodeMmio decodes the common 64-bit forms itself (src/vmm/mmio/decoder.ts) and hands everything
// else to decodeMmioGeneral (decoder-general.ts): both must give the same MmioInsn, byte for byte.
describe("the common forms' fast path agrees with the general decoder", () => {
  const OUT2 = OUT + 0x100;
  /** Both decoders on `bytes`: null when they agree (status and all 72 bytes), else both results. */
  function differ(bytes: number[], mode: number, avail: number): string | null {
    v.bytes.fill(0xcc, CODE, CODE + 32);
    v.bytes.set(bytes, CODE);
    v.bytes.fill(0x5a, OUT, OUT + 72);
    v.bytes.fill(0x5a, OUT2, OUT2 + 72);
    const a = v.u32("mmioDecode", CODE, avail, mode, OUT);
    const b = v.u32("mmioDecodeGeneral", CODE, avail, mode, OUT2);
    let same = a === b;
    for (let i = 0; same && i < 72; i++) same = v.bytes[OUT + i] === v.bytes[OUT2 + i];
    if (same) return null;
    return `${bytes.map((x) => x.toString(16)).join(" ")} mode ${mode} avail ${avail}: ${a} ` +
      `[${[...v.bytes.subarray(OUT, OUT + 72)].join(",")}] vs ${b} [${[...v.bytes.subarray(OUT2, OUT2 + 72)].join(",")}]`;
  }
  let seed = 12345;
  const rnd = (): number => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 16) & 0xff; };

  it("every REX × opcode × ModRM of the fast forms, in each mode and with 15 or 11 bytes fetched", () => {
    const bad: string[] = [];
    let fast = 0;
    for (const rex of [-1, ...Array.from({ length: 16 }, (_, i) => 0x40 + i)]) {
      for (const op of [0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7]) {
        for (let modrm = 0; modrm < 256; modrm++) {
          const bytes = [...(rex < 0 ? [] : [rex]), op, modrm, ...Array.from({ length: 12 }, rnd)];
          for (const [mode, avail] of [[64, 15], [64, 11], [32, 15], [16, 15]] as const) {
            const d = differ(bytes, mode, avail);
            if (d) bad.push(d);
            else if (mode === 64 && avail === 15 && v.mem.getUint32(OUT, true) === S.OK) fast++;
          }
        }
      }
    }
    expect(bad.slice(0, 3)).toEqual([]);
    expect(fast).toBeGreaterThan(10000);
  });
  it("fewer bytes fetched, and the forms next to the fast ones (prefixes, SIB, RIP-relative, two REX)", () => {
    const bad: string[] = [];
    for (let n = 0; n < 2000; n++) {
      const prefix = [[], [0x66], [0x67], [0xf0], [0x64], [0x48, 0x48], [0x66, 0x48], [0x0f]][n % 8]!;
      const bytes = [...prefix, [0x88, 0x89, 0x8a, 0x8b, 0xc6, 0xc7, 0xa1, 0xb6][rnd() & 7]!,
        ...Array.from({ length: 14 }, rnd)].slice(0, 15);
      for (const mode of [64, 32, 16]) {
        for (const avail of [15, 11, 10, 6, 3, 2, 1, 0]) {
          const d = differ(bytes, mode, avail);
          if (d) bad.push(d);
        }
      }
    }
    expect(bad.slice(0, 3)).toEqual([]);
  });
  it("random bytes", () => {
    const bad: string[] = [];
    for (let n = 0; n < 20000; n++) {
      const d = differ(Array.from({ length: 15 }, rnd), [64, 32, 16][n % 3]!, 15);
      if (d) bad.push(d);
    }
    expect(bad.slice(0, 3)).toEqual([]);
  });
});
