// Decoder of function bodies (WebAssembly Core Specification §5.4 "Instructions") into a flat
// array of instructions with their immediates and byte offsets. Validation is in validate.ts.

import { Reader } from "./reader.ts";
import { ATOMIC_OPS, MEM_OPS, NUM_OPS, PREFIX_FC, PREFIX_FE } from "./opcodes.ts";
import { readValType } from "./decoder.ts";
import type { ValType } from "./module.ts";

export interface Instr {
  /** opcode; prefixed opcodes are (prefix << 8) | sub-opcode */
  op: number;
  /** byte offset of the opcode in the file */
  at: number;
  /** first immediate: index, label depth, block type, i32/f32 bits, or memarg offset */
  a: number;
  /** second immediate: table index, memarg alignment exponent, second index */
  b: number;
  /** i64.const / f64.const bits (unsigned) */
  c: bigint;
  /** br_table targets (the last one is the default); typed select's types */
  targets: number[] | null;
  types: ValType[] | null;
}

/** Block types (§5.4.1): a negative value encodes a single value type or none. */
export const BT_EMPTY = -64;
const BT_VALTYPES: Record<number, ValType> = { [-1]: "i32", [-2]: "i64", [-3]: "f32", [-4]: "f64", [-5]: "v128", [-16]: "funcref", [-17]: "externref" };
export function blockValType(bt: number): ValType | undefined {
  return BT_VALTYPES[bt];
}

function hex(n: number): string {
  return "0x" + n.toString(16).padStart(2, "0");
}

export function decodeBody(r: Reader): Instr[] {
  const out: Instr[] = [];
  let depth = 1;
  while (depth > 0) {
    if (r.eof()) r.fail("unexpected end of function body (missing end)");
    const at = r.pos;
    let op = r.u8();
    const ins: Instr = { op, at, a: 0, b: 0, c: 0n, targets: null, types: null };
    if (op === 0xfc || op === 0xfe) {
      const sub = r.u32();
      op = ins.op = (op === 0xfc ? PREFIX_FC : PREFIX_FE) | sub;
      if (sub > 0xff) r.fail(`unknown opcode ${hex(op >> 8)} ${hex(sub)}`, at);
    } else if (op === 0xfd) {
      const sub = r.u32();
      r.fail(`unsupported opcode 0xfd ${hex(sub)} (SIMD)`, at);
    }
    switch (op) {
      case 0x02: case 0x03: case 0x04:
        ins.a = r.s33();
        depth++;
        break;
      case 0x0b: depth--; break;
      case 0x0c: case 0x0d: case 0x10: case 0x12:
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26: case 0xd2:
        ins.a = r.u32();
        break;
      case 0x0e: {
        const n = r.u32();
        if (n > 100000) r.fail("br_table too large", at);
        const t: number[] = [];
        for (let i = 0; i <= n; i++) t.push(r.u32());
        ins.targets = t;
        break;
      }
      case 0x11: case 0x13:
        ins.a = r.u32();
        ins.b = r.u32();
        break;
      case 0x1c: {
        const n = r.u32();
        const t: ValType[] = [];
        for (let i = 0; i < n; i++) t.push(readValType(r));
        ins.types = t;
        break;
      }
      case 0x41: ins.a = r.s32() >>> 0; break;
      case 0x42: ins.c = BigInt.asUintN(64, r.s64()); break;
      case 0x43: ins.a = r.f32bits(); break;
      case 0x44: ins.c = r.f64bits(); break;
      case 0x3f: case 0x40: {
        const zAt = r.pos;
        if (r.u8() !== 0) r.fail("zero byte expected (memory index)", zAt);
        break;
      }
      case 0xd0: ins.types = [readValType(r)]; break;
      case 0x00: case 0x01: case 0x05: case 0x0f: case 0x1a: case 0x1b: case 0xd1: break;
      case PREFIX_FC | 8: // memory.init dataidx 0x00
        ins.a = r.u32();
        zero(r);
        break;
      case PREFIX_FC | 9: case PREFIX_FC | 13: // data.drop, elem.drop
        ins.a = r.u32();
        break;
      case PREFIX_FC | 10: zero(r); zero(r); break; // memory.copy 0x00 0x00
      case PREFIX_FC | 11: zero(r); break; // memory.fill 0x00
      case PREFIX_FC | 12: case PREFIX_FC | 14: // table.init elem table / table.copy dst src
        ins.a = r.u32();
        ins.b = r.u32();
        break;
      case PREFIX_FC | 15: case PREFIX_FC | 16: case PREFIX_FC | 17: ins.a = r.u32(); break;
      case PREFIX_FE | 3: zero(r); break; // atomic.fence 0x00
      default:
        if (NUM_OPS.has(op)) break;
        if (MEM_OPS.has(op) || ATOMIC_OPS.has(op) || op === (PREFIX_FE | 0) || op === (PREFIX_FE | 1) || op === (PREFIX_FE | 2)) {
          ins.b = r.u32(); // alignment exponent
          ins.a = r.u32(); // offset
          break;
        }
        if (op > 0xff) r.fail(`unknown opcode ${hex(op >> 8)} ${hex(op & 0xff)}`, at);
        r.fail(`unknown opcode ${hex(op)}`, at);
    }
    out.push(ins);
  }
  if (!r.eof()) r.fail("operators remaining after the function's final end", r.pos);
  return out;
}

function zero(r: Reader): void {
  const at = r.pos;
  if (r.u8() !== 0) r.fail("zero byte expected", at);
}
