// Lowering of a validated function body from the wasm stack machine (Core Specification §4.4)
// to the register form of ir.ts.
//
// The operand stack is tracked at compile time ("abstract stack"): constants, local reads and
// comparisons stay symbolic until consumed, so `local.get; i32.const; i32.add` becomes one
// three-address instruction and a comparison feeding br_if/if/select becomes a fused branch.
// Anything that must exist at run time is "materialized" into the vreg of its stack depth.
// Invariants: at every control-flow split or merge, all entries are materialized (so every path
// agrees where each value lives); a symbolic local read is materialized before that local is
// written; a comparison reads at most the slots of its own depth and the one above, and is
// materialized before anything is pushed above it.

import { CompileError } from "./errors.ts";
import type { Instr } from "./body.ts";
import { blockType } from "./validate.ts";
import { ATOMIC_OPS, MEM_OPS, NUM_OPS, PREFIX_FC, PREFIX_FE, opName } from "./opcodes.ts";
import { classOf, cst, vr, type Cond, type Inst, type LoweredFunc, type Opnd, type RegClass, type VRegInfo } from "./ir.ts";
import type { Module, NumType, ValType } from "./module.ts";

type Entry =
  | { k: "reg"; t: NumType }
  | { k: "const"; t: NumType; bits: bigint }
  | { k: "local"; t: NumType; idx: number }
  | { k: "cmp"; t: NumType; cond: Cond };

interface Frame {
  kind: "block" | "loop" | "if" | "func";
  height: number;
  params: NumType[];
  results: NumType[];
  endLabel: number;
  loopLabel: number;
  /** pending else label of an `if`, -1 once consumed */
  elseLabel: number;
  endReached: boolean;
}

const CMP_CC: Record<string, string> = {
  eq: "eq", ne: "ne", lt_s: "lt_s", lt_u: "lt_u", gt_s: "gt_s", gt_u: "gt_u", le_s: "le_s", le_u: "le_u",
  ge_s: "ge_s", ge_u: "ge_u", lt: "lt", gt: "gt", le: "le", ge: "ge",
};

/** Value types this back end keeps in registers; reference types are not supported yet. */
function numType(t: ValType, where: string, at: number): NumType {
  if (t === "i32" || t === "i64" || t === "f32" || t === "f64") return t;
  throw new CompileError(where, at, `unsupported value type ${t}`);
}

export function lowerFunction(m: Module, index: number, locals: ValType[], code: Instr[], where: string): LoweredFunc {
  return new Lowerer(m, index, locals, where).run(code);
}

class Lowerer {
  private insts: Inst[] = [];
  private vregs: VRegInfo[] = [];
  private localTypes: NumType[] = [];
  private slots = new Map<string, number>();
  private stack: Entry[] = [];
  private frames: Frame[] = [];
  private loopDepth = 0;
  private labels = 0;
  private dead = false;
  private deadDepth = 0;
  private lastProducer = -1;
  private clobbers = false;
  private callsWasm = false;
  private at = 0;
  private readonly numParams: number;

  constructor(
    private readonly m: Module,
    private readonly index: number,
    locals: ValType[],
    private readonly where: string,
  ) {
    const ft = m.types[m.funcs[index]!.type]!;
    this.numParams = ft.params.length;
    for (const t of [...ft.params, ...locals]) {
      const nt = numType(t, where, 0);
      this.localTypes.push(nt);
      this.vregs.push({ cls: classOf(nt), weight: 0 });
    }
  }

  private fail(msg: string): never {
    throw new CompileError(this.where, this.at, msg);
  }

  private slot(depth: number, cls: RegClass): number {
    const key = `${depth}:${cls}`;
    let v = this.slots.get(key);
    if (v === undefined) {
      v = this.vregs.length;
      this.vregs.push({ cls, weight: 0 });
      this.slots.set(key, v);
    }
    return v;
  }

  private label(): number {
    return this.labels++;
  }

  // ---- emission with use counting (weights grow 8x per loop level, capped) ----
  private emit(i: Inst): void {
    const w = 8 ** Math.min(this.loopDepth, 5);
    const use = (o: Opnd | null | undefined): void => {
      if (o && o.k === "v") this.vregs[o.v]!.weight += w;
    };
    const def = (v: number | null): void => {
      if (v !== null) this.vregs[v]!.weight += w;
    };
    const cond = (c: Cond): void => {
      use(c.a);
      use(c.b);
    };
    switch (i.k) {
      case "jcc": cond(i.cond); break;
      case "brtable": use(i.idx); break;
      case "mov": def(i.dst); use(i.src); break;
      case "num": def(i.dst); use(i.a); use(i.b); break;
      case "setcc": def(i.dst); cond(i.cond); break;
      case "select": def(i.dst); use(i.a); use(i.b); cond(i.cond); break;
      case "load": def(i.dst); use(i.addr); break;
      case "store": use(i.addr); use(i.val); break;
      case "gget": def(i.dst); break;
      case "gset": use(i.src); break;
      case "call":
        i.args.forEach(use);
        i.results.forEach(def);
        if (i.callee.k === "indirect") use(i.callee.idx);
        break;
      case "ret": i.vals.forEach(use); break;
      case "memsize": def(i.dst); break;
      case "memgrow": def(i.dst); use(i.a); break;
      case "memcopy": use(i.d); use(i.s); use(i.n); break;
      case "memfill": use(i.d); use(i.v); use(i.n); break;
      case "meminit": use(i.d); use(i.s); use(i.n); break;
      case "atomic": def(i.dst); use(i.addr); use(i.a); use(i.b); break;
      default: break;
    }
    this.insts.push(i);
  }

  // ---- the abstract operand stack ----
  private opndOfEntry(e: Entry, depth: number): Opnd {
    switch (e.k) {
      case "reg": return vr(this.slot(depth, classOf(e.t)));
      case "const": return cst(e.bits);
      case "local": return vr(e.idx);
      case "cmp": throw new Error("internal: comparison operand must be materialized");
    }
  }

  /** Writes the value of the entry at `depth` into vreg `dst` (without changing the entry). */
  private writeEntryTo(depth: number, dst: number): void {
    const e = this.stack[depth]!;
    if (e.k === "cmp") this.emit({ k: "setcc", cond: e.cond, dst });
    else {
      const src = this.opndOfEntry(e, depth);
      if (!(src.k === "v" && src.v === dst)) this.emit({ k: "mov", t: e.t, dst, src });
    }
  }

  private materialize(depth: number): void {
    const e = this.stack[depth]!;
    if (e.k === "reg") return;
    this.writeEntryTo(depth, this.slot(depth, classOf(e.t)));
    this.stack[depth] = { k: "reg", t: e.t };
  }

  private materializeAll(): void {
    for (let d = 0; d < this.stack.length; d++) this.materialize(d);
  }

  private refersToLocal(e: Entry, idx: number): boolean {
    if (e.k === "local") return e.idx === idx;
    if (e.k === "cmp") return (e.cond.a.k === "v" && e.cond.a.v === idx) || (e.cond.b.k === "v" && e.cond.b.v === idx);
    return false;
  }

  private materializeLocal(idx: number): void {
    for (let d = 0; d < this.stack.length; d++) if (this.refersToLocal(this.stack[d]!, idx)) this.materialize(d);
  }

  /** Before anything occupies depth d, a comparison below that reads slot d is materialized. */
  private push(e: Entry): void {
    const d = this.stack.length;
    const below = this.stack[d - 1];
    if (below?.k === "cmp") {
      const reads = (o: Opnd): boolean => o.k === "v" && (o.v === this.slots.get(`${d}:int`) || o.v === this.slots.get(`${d}:float`));
      if (reads(below.cond.a) || reads(below.cond.b)) this.materialize(d - 1);
    }
    this.stack.push(e);
  }

  /** Pushes a run-time value and returns the vreg the producing instruction must write. */
  private pushReg(t: NumType): number {
    this.push({ k: "reg", t });
    return this.slot(this.stack.length - 1, classOf(t));
  }

  private produced(): void {
    this.lastProducer = this.insts.length - 1;
  }

  private pop(): Opnd {
    const d = this.stack.length - 1;
    if (d < 0) throw new Error("internal: operand stack underflow after validation");
    if (this.stack[d]!.k === "cmp") this.materialize(d);
    const o = this.opndOfEntry(this.stack[d]!, d);
    this.stack.pop();
    return o;
  }

  private popN(n: number): Opnd[] {
    const r: Opnd[] = new Array<Opnd>(n);
    for (let i = n - 1; i >= 0; i--) r[i] = this.pop();
    return r;
  }

  private popCond(): Cond {
    const e = this.stack[this.stack.length - 1]!;
    if (e.k === "cmp") {
      this.stack.pop();
      return e.cond;
    }
    return { t: "i32", cc: "ne", a: this.pop(), b: cst(0n), neg: false };
  }

  // ---- control ----
  private frameTypes(bt: number): { params: NumType[]; results: NumType[] } {
    const t = blockType(this.m, bt, this.where, this.at);
    return { params: t.params.map((x) => numType(x, this.where, this.at)), results: t.results.map((x) => numType(x, this.where, this.at)) };
  }

  /** Moves the top `n` values into the slots of a label at `height` (without popping them). */
  private moveToLabel(n: number, height: number): void {
    // Increasing order is safe: a destination slot is never a source of a later value (§ lowering notes).
    for (let i = 0; i < n; i++) {
      const d = this.stack.length - n + i;
      const e = this.stack[d]!;
      const dst = this.slot(height + i, classOf(e.t));
      this.writeEntryTo(d, dst);
    }
  }

  private needsMoves(n: number, height: number): boolean {
    for (let i = 0; i < n; i++) {
      const d = this.stack.length - n + i;
      if (this.stack[d]!.k !== "reg" || d !== height + i) return true;
    }
    return false;
  }

  private branchTarget(f: Frame): { label: number; n: number } {
    if (f.kind === "loop") return { label: f.loopLabel, n: f.params.length };
    f.endReached = true;
    return { label: f.endLabel, n: f.results.length };
  }

  private setDead(): void {
    this.dead = true;
    this.deadDepth = 0;
  }

  private frame(depth: number): Frame {
    return this.frames[this.frames.length - 1 - depth]!;
  }

  private emitReturn(): void {
    const ft = this.m.types[this.m.funcs[this.index]!.type]!;
    this.emit({ k: "ret", vals: this.popN(ft.results.length) });
  }

  run(code: Instr[]): LoweredFunc {
    const ft = this.m.types[this.m.funcs[this.index]!.type]!;
    for (let i = this.numParams; i < this.localTypes.length; i++) this.emit({ k: "mov", t: this.localTypes[i]!, dst: i, src: cst(0n) });
    this.frames.push({
      kind: "func", height: 0, params: [], results: ft.results.map((t) => numType(t, this.where, 0)),
      endLabel: this.label(), loopLabel: -1, elseLabel: -1, endReached: false,
    });
    for (const ins of code) {
      this.at = ins.at;
      if (this.dead) {
        if (ins.op === 0x02 || ins.op === 0x03 || ins.op === 0x04) {
          this.deadDepth++;
          continue;
        }
        if (ins.op === 0x0b || ins.op === 0x05) {
          if (this.deadDepth > 0) {
            if (ins.op === 0x0b) this.deadDepth--;
            continue;
          }
        } else continue;
      }
      this.lowerOne(ins);
    }
    return {
      index: this.index, insts: this.insts, vregs: this.vregs, numParams: this.numParams,
      clobbersCallerSaved: this.clobbers, callsWasm: this.callsWasm, numLabels: this.labels,
    };
  }

  private lowerOne(ins: Instr): void {
    const op = ins.op;
    const num = NUM_OPS.get(op);
    if (num) return this.lowerNum(op, num.name, num.params, num.result);
    const mem = MEM_OPS.get(op);
    if (mem) {
      if (mem.store) {
        const val = this.pop();
        const addr = this.pop();
        this.emit({ k: "store", op, addr, val, offset: ins.a });
      } else {
        const addr = this.pop();
        const dst = this.pushReg(mem.type);
        this.emit({ k: "load", op, dst, addr, offset: ins.a });
        this.produced();
      }
      return;
    }
    const atom = ATOMIC_OPS.get(op);
    if (atom) return this.lowerAtomic(op, ins, atom.kind, atom.type);
    switch (op) {
      case 0x00: this.emit({ k: "trap", code: 1 }); this.setDead(); return;
      case 0x01: return;
      case 0x02: case 0x03: {
        const { params, results } = this.frameTypes(ins.a);
        this.materializeAll();
        const f: Frame = {
          kind: op === 0x02 ? "block" : "loop", height: this.stack.length - params.length, params, results,
          endLabel: this.label(), loopLabel: -1, elseLabel: -1, endReached: false,
        };
        if (op === 0x03) {
          f.loopLabel = this.label();
          this.emit({ k: "label", id: f.loopLabel });
          this.loopDepth++;
        }
        this.frames.push(f);
        return;
      }
      case 0x04: {
        const { params, results } = this.frameTypes(ins.a);
        const cond = this.popCond();
        this.materializeAll();
        const f: Frame = {
          kind: "if", height: this.stack.length - params.length, params, results,
          endLabel: this.label(), loopLabel: -1, elseLabel: this.label(), endReached: false,
        };
        this.emit({ k: "jcc", cond: { ...cond, neg: !cond.neg }, target: f.elseLabel });
        this.frames.push(f);
        return;
      }
      case 0x05: {
        const f = this.frame(0);
        if (!this.dead) {
          this.moveToLabel(f.results.length, f.height);
          this.emit({ k: "jmp", target: f.endLabel });
          f.endReached = true;
        }
        this.emit({ k: "label", id: f.elseLabel });
        f.elseLabel = -1;
        this.stack.length = f.height;
        for (const t of f.params) this.stack.push({ k: "reg", t });
        this.dead = false;
        return;
      }
      case 0x0b: return this.lowerEnd();
      case 0x0c: {
        const f = this.frame(ins.a);
        if (f.kind === "func") {
          this.emitReturn();
        } else {
          const { label, n } = this.branchTarget(f);
          this.moveToLabel(n, f.height);
          this.emit({ k: "jmp", target: label });
        }
        this.setDead();
        return;
      }
      case 0x0d: {
        const cond = this.popCond();
        const f = this.frame(ins.a);
        if (f.kind === "func") {
          const skip = this.label();
          this.emit({ k: "jcc", cond: { ...cond, neg: !cond.neg }, target: skip });
          const saved = this.stack.slice();
          this.emitReturn();
          this.stack = saved;
          this.emit({ k: "label", id: skip });
          return;
        }
        const { label, n } = this.branchTarget(f);
        if (!this.needsMoves(n, f.height)) {
          this.emit({ k: "jcc", cond, target: label });
        } else {
          for (let i = 0; i < n; i++) this.materialize(this.stack.length - n + i);
          const skip = this.label();
          this.emit({ k: "jcc", cond: { ...cond, neg: !cond.neg }, target: skip });
          this.moveToLabel(n, f.height);
          this.emit({ k: "jmp", target: label });
          this.emit({ k: "label", id: skip });
        }
        return;
      }
      case 0x0e: return this.lowerBrTable(ins.targets!);
      case 0x0f: this.emitReturn(); this.setDead(); return;
      case 0x10: {
        const f = this.m.funcs[ins.a]!;
        return this.lowerCall({ k: "func", index: ins.a }, f.type);
      }
      case 0x11: {
        const idx = this.pop();
        return this.lowerCall({ k: "indirect", type: ins.a, table: ins.b, idx }, ins.a);
      }
      case 0x1a: {
        this.stack.pop();
        return;
      }
      case 0x1b: case 0x1c: {
        const t = numType(ins.types![0]!, this.where, ins.at);
        const cond = this.popCond();
        const b = this.pop();
        const a = this.pop();
        const dst = this.pushReg(t);
        this.emit({ k: "select", t, dst, a, b, cond });
        this.produced();
        return;
      }
      case 0x20: this.push({ k: "local", t: this.localTypes[ins.a]!, idx: ins.a }); return;
      case 0x21: case 0x22: return this.lowerLocalSet(ins.a, op === 0x22);
      case 0x23: {
        const g = this.m.globals[ins.a]!;
        const dst = this.pushReg(numType(g.type, this.where, ins.at));
        this.emit({ k: "gget", g: ins.a, dst });
        this.produced();
        return;
      }
      case 0x24: this.emit({ k: "gset", g: ins.a, src: this.pop() }); return;
      case 0x3f: {
        const dst = this.pushReg("i32");
        this.emit({ k: "memsize", dst });
        this.produced();
        return;
      }
      case 0x40: {
        const a = this.pop();
        const dst = this.pushReg("i32");
        this.clobbers = true;
        this.emit({ k: "memgrow", dst, a });
        this.produced();
        return;
      }
      case 0x41: this.push({ k: "const", t: "i32", bits: BigInt(ins.a) }); return;
      case 0x42: this.push({ k: "const", t: "i64", bits: ins.c }); return;
      case 0x43: this.push({ k: "const", t: "f32", bits: BigInt(ins.a) }); return;
      case 0x44: this.push({ k: "const", t: "f64", bits: ins.c }); return;
      case PREFIX_FC | 8: {
        const [d, s, n] = this.popN(3) as [Opnd, Opnd, Opnd];
        this.clobbers = true;
        this.emit({ k: "meminit", seg: ins.a, d, s, n });
        return;
      }
      case PREFIX_FC | 9: this.emit({ k: "datadrop", seg: ins.a }); return;
      case PREFIX_FC | 10: {
        const [d, s, n] = this.popN(3) as [Opnd, Opnd, Opnd];
        this.clobbers = true;
        this.emit({ k: "memcopy", d, s, n });
        return;
      }
      case PREFIX_FC | 11: {
        const [d, v, n] = this.popN(3) as [Opnd, Opnd, Opnd];
        this.clobbers = true;
        this.emit({ k: "memfill", d, v, n });
        return;
      }
      case PREFIX_FE | 3: this.emit({ k: "fence" }); return;
    }
    this.fail(`unsupported opcode ${opName(op)}`);
  }

  private lowerNum(op: number, name: string, params: NumType[], result: NumType): void {
    const dot = name.indexOf(".");
    const base = name.slice(dot + 1);
    if (base === "eqz") {
      const e = this.stack[this.stack.length - 1]!;
      if (e.k === "cmp") {
        this.stack.pop();
        this.push({ k: "cmp", t: "i32", cond: { ...e.cond, neg: !e.cond.neg } });
        return;
      }
      const a = this.pop();
      this.push({ k: "cmp", t: "i32", cond: { t: params[0]!, cc: "eq", a, b: cst(0n), neg: false } });
      return;
    }
    const cc = CMP_CC[base];
    if (cc && params.length === 2 && result === "i32") {
      const b = this.pop();
      const a = this.pop();
      this.push({ k: "cmp", t: "i32", cond: { t: params[0]!, cc, a, b, neg: false } });
      return;
    }
    if (params.length === 2) {
      const b = this.pop();
      const a = this.pop();
      const dst = this.pushReg(result);
      this.emit({ k: "num", op, dst, a, b });
    } else {
      const a = this.pop();
      const dst = this.pushReg(result);
      this.emit({ k: "num", op, dst, a, b: null });
    }
    this.produced();
  }

  private lowerLocalSet(idx: number, tee: boolean): void {
    const d = this.stack.length - 1;
    const top = this.stack[d]!;
    const last = this.insts[this.insts.length - 1];
    const others = this.stack.some((e, i) => i !== d && this.refersToLocal(e, idx));
    // Retarget the producer of the top value to write the local directly (saves a move).
    if (top.k === "reg" && !others && last && this.lastProducer === this.insts.length - 1 && "dst" in last && last.dst === this.slot(d, classOf(top.t))) {
      (last as { dst: number }).dst = idx;
      this.stack.pop();
      if (tee) this.push({ k: "local", t: top.t, idx });
      return;
    }
    const v = this.pop();
    this.materializeLocal(idx);
    if (!(v.k === "v" && v.v === idx)) this.emit({ k: "mov", t: this.localTypes[idx]!, dst: idx, src: v });
    if (tee) this.push({ k: "local", t: this.localTypes[idx]!, idx });
  }

  private lowerEnd(): void {
    const f = this.frames.pop()!;
    if (f.kind === "func") {
      if (!this.dead) this.emitReturn();
      if (f.endReached) {
        this.emit({ k: "label", id: f.endLabel });
        this.stack.length = 0;
        for (const t of f.results) this.stack.push({ k: "reg", t });
        this.emitReturn();
      }
      return;
    }
    if (!this.dead) {
      this.moveToLabel(f.results.length, f.height);
      f.endReached = true;
    }
    if (f.kind === "if" && f.elseLabel !== -1) {
      // if without else: the false path leaves the parameters (= results) in place (§3.3.8.5)
      this.emit({ k: "label", id: f.elseLabel });
      f.endReached = true;
    }
    if (f.kind === "loop") this.loopDepth--;
    this.emit({ k: "label", id: f.endLabel });
    this.stack.length = f.height;
    if (f.endReached) {
      for (const t of f.results) this.stack.push({ k: "reg", t });
      this.dead = false;
    } else this.setDead();
  }

  private lowerBrTable(targets: number[]): void {
    const idx = this.pop();
    const def = this.frame(targets[targets.length - 1]!);
    const n = def.kind === "loop" ? def.params.length : def.results.length;
    for (let i = 0; i < n; i++) this.materialize(this.stack.length - n + i);
    const pads = new Map<number, number>();
    const padded: { pad: number; f: Frame }[] = [];
    const labels = targets.map((depth) => {
      const f = this.frame(depth);
      if (f.kind === "func") {
        let pad = pads.get(depth);
        if (pad === undefined) {
          pad = this.label();
          pads.set(depth, pad);
          padded.push({ pad, f });
        }
        return pad;
      }
      const { label } = this.branchTarget(f);
      if (!this.needsMoves(n, f.height)) return label;
      let pad = pads.get(depth);
      if (pad === undefined) {
        pad = this.label();
        pads.set(depth, pad);
        padded.push({ pad, f });
      }
      return pad;
    });
    this.emit({ k: "brtable", idx, targets: labels });
    for (const { pad, f } of padded) {
      this.emit({ k: "label", id: pad });
      if (f.kind === "func") {
        const saved = this.stack.slice();
        this.emitReturn();
        this.stack = saved;
      } else {
        this.moveToLabel(n, f.height);
        this.emit({ k: "jmp", target: this.branchTarget(f).label });
      }
    }
    this.setDead();
  }

  private lowerCall(callee: Inst & { k: "call" } extends { callee: infer C } ? C : never, typeIndex: number): void {
    const t = this.m.types[typeIndex]!;
    const args = this.popN(t.params.length);
    const results: number[] = [];
    for (const r of t.results) results.push(this.pushReg(numType(r, this.where, this.at)));
    this.clobbers = true;
    this.callsWasm = true;
    this.emit({ k: "call", callee, args, results });
    if (results.length === 1) this.produced();
  }

  private lowerAtomic(op: number, ins: Instr, kind: string, t: NumType): void {
    if (kind === "load") {
      const addr = this.pop();
      const dst = this.pushReg(t);
      this.emit({ k: "atomic", op, dst, addr, offset: ins.a, a: null, b: null });
    } else if (kind === "store") {
      const a = this.pop();
      const addr = this.pop();
      this.emit({ k: "atomic", op, dst: null, addr, offset: ins.a, a, b: null });
      return;
    } else if (kind === "cmpxchg") {
      const b = this.pop();
      const a = this.pop();
      const addr = this.pop();
      const dst = this.pushReg(t);
      this.emit({ k: "atomic", op, dst, addr, offset: ins.a, a, b });
    } else {
      const a = this.pop();
      const addr = this.pop();
      const dst = this.pushReg(t);
      this.emit({ k: "atomic", op, dst, addr, offset: ins.a, a, b: null });
    }
    this.produced();
  }
}
