// Validation of function bodies: the algorithm of the WebAssembly Core Specification, Appendix
// §A.3 "Validation Algorithm" (operand stack + control stack, polymorphic stack after
// unconditional branches). It also records the operand type of `drop` and untyped `select` in the
// instruction (ins.types), which the lowering needs.

import { CompileError } from "./errors.ts";
import { BT_EMPTY, blockValType, type Instr } from "./body.ts";
import { ATOMIC_OPS, MEM_OPS, NUM_OPS, PREFIX_FC, PREFIX_FE, opName } from "./opcodes.ts";
import type { FuncType, Module, ValType } from "./module.ts";

type VT = ValType | "unknown";

interface Ctrl {
  op: number;
  params: ValType[];
  results: ValType[];
  height: number;
  unreachable: boolean;
}

export function blockType(m: Module, bt: number, where: string, at: number): FuncType {
  if (bt === BT_EMPTY) return { params: [], results: [] };
  const vt = blockValType(bt);
  if (vt) return { params: [], results: [vt] };
  const t = bt >= 0 ? m.types[bt] : undefined;
  if (!t) throw new CompileError(where, at, `unknown type ${bt} in block type`);
  return t;
}

export function declaredFuncRefs(m: Module): Set<number> {
  const s = new Set<number>();
  for (const e of m.elems) for (const f of e.items) if (f !== null) s.add(f);
  for (const e of m.exports) if (e.kind === "func") s.add(e.index);
  for (const g of m.globals) if (g.init?.k === "func") s.add(g.init.index);
  return s;
}

export function validateBody(m: Module, funcIndex: number, locals: ValType[], code: Instr[], where: string, refs: Set<number>): void {
  const ftype = m.types[m.funcs[funcIndex]!.type]!;
  const vals: VT[] = [];
  const ctrls: Ctrl[] = [];
  let at = 0;
  const fail = (msg: string): never => {
    throw new CompileError(where, at, msg);
  };
  const push = (t: VT): void => void vals.push(t);
  const pop = (): VT => {
    const c = ctrls[ctrls.length - 1]!;
    if (vals.length === c.height) {
      if (c.unreachable) return "unknown";
      fail("type mismatch: operand stack underflow");
    }
    return vals.pop()!;
  };
  const popT = (want: VT): VT => {
    const got = pop();
    if (got !== want && got !== "unknown" && want !== "unknown") fail(`type mismatch: expected ${want}, found ${got}`);
    return got === "unknown" ? want : got;
  };
  const popVals = (ts: ValType[]): void => {
    for (let i = ts.length - 1; i >= 0; i--) popT(ts[i]!);
  };
  const pushCtrl = (op: number, t: FuncType): void => {
    ctrls.push({ op, params: t.params, results: t.results, height: vals.length, unreachable: false });
    t.params.forEach(push);
  };
  const popCtrl = (): Ctrl => {
    const c = ctrls[ctrls.length - 1];
    if (!c) return fail("unexpected end");
    popVals(c.results);
    if (vals.length !== c.height) fail("type mismatch: values remaining on the stack at end of block");
    ctrls.pop();
    return c;
  };
  const labelTypes = (c: Ctrl): ValType[] => (c.op === 0x03 ? c.params : c.results);
  const label = (depth: number): Ctrl => {
    const c = ctrls[ctrls.length - 1 - depth];
    if (!c) return fail(`unknown label ${depth}`);
    return c;
  };
  const unreachable = (): void => {
    const c = ctrls[ctrls.length - 1]!;
    vals.length = c.height;
    c.unreachable = true;
  };
  const local = (i: number): ValType => {
    const t = i < ftype.params.length ? ftype.params[i] : locals[i - ftype.params.length];
    if (!t) return fail(`unknown local ${i}`);
    return t;
  };
  const global = (i: number): { type: ValType; mutable: boolean } => {
    const g = m.globals[i];
    if (!g) return fail(`unknown global ${i}`);
    return g;
  };
  const needMemory = (): void => {
    if (m.memories.length === 0) fail("unknown memory 0");
  };
  const table = (i: number): { elem: ValType } => {
    const t = m.tables[i];
    if (!t) return fail(`unknown table ${i}`);
    return t;
  };
  const checkAlign = (ins: Instr, bytes: number, exact: boolean): void => {
    if (ins.b >= 32 || 1 << ins.b > bytes) fail("alignment must not be larger than natural");
    if (exact && 1 << ins.b !== bytes) fail("alignment must be exactly natural for atomic operations");
  };
  const dataIndex = (i: number): void => {
    if (m.dataCount === null) fail("data count section required");
    if (i >= m.dataCount!) fail(`unknown data segment ${i}`);
  };

  ctrls.push({ op: 0x02, params: [], results: ftype.results, height: 0, unreachable: false });
  for (const ins of code) {
    at = ins.at;
    const op = ins.op;
    const num = NUM_OPS.get(op);
    if (num) {
      for (let i = num.params.length - 1; i >= 0; i--) popT(num.params[i]!);
      push(num.result);
      continue;
    }
    const mem = MEM_OPS.get(op);
    if (mem) {
      needMemory();
      checkAlign(ins, mem.bytes, false);
      if (mem.store) {
        popT(mem.type);
        popT("i32");
      } else {
        popT("i32");
        push(mem.type);
      }
      continue;
    }
    const atom = ATOMIC_OPS.get(op);
    if (atom) {
      needMemory();
      checkAlign(ins, atom.bytes, true);
      if (atom.kind === "load") {
        popT("i32");
        push(atom.type);
      } else if (atom.kind === "store") {
        popT(atom.type);
        popT("i32");
      } else if (atom.kind === "cmpxchg") {
        popT(atom.type);
        popT(atom.type);
        popT("i32");
        push(atom.type);
      } else {
        popT(atom.type);
        popT("i32");
        push(atom.type);
      }
      continue;
    }
    switch (op) {
      case 0x00: unreachable(); break;
      case 0x01: break;
      case 0x02: case 0x03: {
        const t = blockType(m, ins.a, where, at);
        popVals(t.params);
        pushCtrl(op, t);
        break;
      }
      case 0x04: {
        const t = blockType(m, ins.a, where, at);
        popT("i32");
        popVals(t.params);
        pushCtrl(op, t);
        break;
      }
      case 0x05: {
        const c = popCtrl();
        if (c.op !== 0x04) fail("else without matching if");
        pushCtrl(0x05, { params: c.params, results: c.results });
        break;
      }
      case 0x0b: {
        const c = popCtrl();
        // An `if` without `else` must have params equal to results (§3.3.8.5).
        if (c.op === 0x04 && (c.params.length !== c.results.length || c.params.some((t, i) => t !== c.results[i]))) {
          fail("type mismatch: if without else must leave its parameters unchanged");
        }
        c.results.forEach(push);
        break;
      }
      case 0x0c: popVals(labelTypes(label(ins.a))); unreachable(); break;
      case 0x0d: {
        popT("i32");
        const ts = labelTypes(label(ins.a));
        popVals(ts);
        ts.forEach(push);
        break;
      }
      case 0x0e: {
        popT("i32");
        const targets = ins.targets!;
        const def = labelTypes(label(targets[targets.length - 1]!));
        for (const d of targets) {
          const ts = labelTypes(label(d));
          if (ts.length !== def.length) fail("type mismatch: br_table targets have different arities");
          // check each target's types against the stack without consuming (§A.3 br_table)
          const saved = vals.slice();
          popVals(ts);
          vals.length = 0;
          vals.push(...saved);
        }
        popVals(def);
        unreachable();
        break;
      }
      case 0x0f: popVals(ftype.results); unreachable(); break;
      case 0x10: {
        const f = m.funcs[ins.a];
        if (!f) fail(`unknown function ${ins.a}`);
        const t = m.types[f!.type]!;
        popVals(t.params);
        t.results.forEach(push);
        break;
      }
      case 0x11: {
        const t = m.types[ins.a];
        if (!t) fail(`unknown type ${ins.a}`);
        if (table(ins.b).elem !== "funcref") fail("type mismatch: call_indirect on a non-funcref table");
        popT("i32");
        popVals(t!.params);
        t!.results.forEach(push);
        break;
      }
      case 0x1a: {
        const t = pop();
        ins.types = [t === "unknown" ? "i32" : t];
        break;
      }
      case 0x1b: case 0x1c: {
        popT("i32");
        if (op === 0x1c) {
          if (ins.types!.length !== 1) fail("invalid result arity for typed select");
          popT(ins.types![0]!);
          popT(ins.types![0]!);
          push(ins.types![0]!);
        } else {
          const t1 = pop();
          const t2 = pop();
          const isNum = (t: VT): boolean => t === "i32" || t === "i64" || t === "f32" || t === "f64" || t === "unknown";
          if (!isNum(t1) || !isNum(t2)) fail("type mismatch: untyped select needs numeric operands");
          if (t1 !== t2 && t1 !== "unknown" && t2 !== "unknown") fail("type mismatch: select operands differ");
          const t = t1 === "unknown" ? t2 : t1;
          push(t);
          ins.types = [t === "unknown" ? "i32" : t];
        }
        break;
      }
      case 0x20: push(local(ins.a)); break;
      case 0x21: popT(local(ins.a)); break;
      case 0x22: { const t = local(ins.a); popT(t); push(t); break; }
      case 0x23: push(global(ins.a).type); break;
      case 0x24: {
        const g = global(ins.a);
        if (!g.mutable) fail("global is immutable");
        popT(g.type);
        break;
      }
      case 0x25: popT("i32"); push(table(ins.a).elem); break;
      case 0x26: popT(table(ins.a).elem); popT("i32"); break;
      case 0x3f: needMemory(); push("i32"); break;
      case 0x40: needMemory(); popT("i32"); push("i32"); break;
      case 0x41: push("i32"); break;
      case 0x42: push("i64"); break;
      case 0x43: push("f32"); break;
      case 0x44: push("f64"); break;
      case 0xd0: {
        const t = ins.types![0]!;
        if (t !== "funcref" && t !== "externref") fail("malformed reference type");
        push(t);
        break;
      }
      case 0xd1: {
        const t = pop();
        if (t !== "funcref" && t !== "externref" && t !== "unknown") fail("type mismatch: ref.is_null needs a reference");
        push("i32");
        break;
      }
      case 0xd2:
        if (ins.a >= m.funcs.length) fail(`unknown function ${ins.a}`);
        if (!refs.has(ins.a)) fail(`undeclared function reference ${ins.a}`);
        push("funcref");
        break;
      case PREFIX_FC | 8: needMemory(); dataIndex(ins.a); popT("i32"); popT("i32"); popT("i32"); break;
      case PREFIX_FC | 9: dataIndex(ins.a); break;
      case PREFIX_FC | 10: case PREFIX_FC | 11: needMemory(); popT("i32"); popT(op === (PREFIX_FC | 10) ? "i32" : "i32"); popT("i32"); break;
      case PREFIX_FC | 12: {
        const seg = m.elems[ins.a];
        if (!seg) fail(`unknown elem segment ${ins.a}`);
        if (table(ins.b).elem !== seg!.type) fail("type mismatch: table.init element type");
        popT("i32"); popT("i32"); popT("i32");
        break;
      }
      case PREFIX_FC | 13: if (!m.elems[ins.a]) fail(`unknown elem segment ${ins.a}`); break;
      case PREFIX_FC | 14:
        if (table(ins.a).elem !== table(ins.b).elem) fail("type mismatch: table.copy element types");
        popT("i32"); popT("i32"); popT("i32");
        break;
      case PREFIX_FC | 15: popT("i32"); popT(table(ins.a).elem); push("i32"); break;
      case PREFIX_FC | 16: table(ins.a); push("i32"); break;
      case PREFIX_FC | 17: popT("i32"); popT(table(ins.a).elem); popT("i32"); break;
      case PREFIX_FE | 0: needMemory(); checkAlign(ins, 4, true); popT("i32"); popT("i32"); push("i32"); break;
      case PREFIX_FE | 1: needMemory(); checkAlign(ins, 4, true); popT("i64"); popT("i32"); popT("i32"); push("i32"); break;
      case PREFIX_FE | 2: needMemory(); checkAlign(ins, 8, true); popT("i64"); popT("i64"); popT("i32"); push("i32"); break;
      case PREFIX_FE | 3: break;
      default: fail(`unsupported opcode ${opName(op)}`);
    }
  }
  if (ctrls.length !== 0) fail("unexpected end of function body");
}
