// The abstract operand stack of the lowering (see lower.ts): vregs for locals and stack slots,
// symbolic entries (constants, local reads, comparisons) and their materialization, and
// instruction emission with the use counts the register allocator prioritizes by.

import { CompileError } from "./errors.ts";
import { blockType } from "./validate.ts";
import { classOf, cst, vr, type Cond, type Inst, type Opnd, type RegClass, type VRegInfo } from "./ir.ts";
import type { Module, NumType, ValType } from "./module.ts";

export type Entry =
  | { k: "reg"; t: NumType }
  | { k: "const"; t: NumType; bits: bigint }
  | { k: "local"; t: NumType; idx: number }
  | { k: "cmp"; t: NumType; cond: Cond };

export interface Frame {
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

/** Value types this back end keeps in registers; reference types are not supported yet. */
export function numType(t: ValType, where: string, at: number): NumType {
  if (t === "i32" || t === "i64" || t === "f32" || t === "f64") return t;
  throw new CompileError(where, at, `unsupported value type ${t}`);
}

const CMP_CC: Record<string, string> = {
  eq: "eq", ne: "ne", lt_s: "lt_s", lt_u: "lt_u", gt_s: "gt_s", gt_u: "gt_u", le_s: "le_s", le_u: "le_u",
  ge_s: "ge_s", ge_u: "ge_u", lt: "lt", gt: "gt", le: "le", ge: "ge",
};

const I32_AND = 0x71;
const I64_AND = 0x83;

export class StackLowerer {
  protected insts: Inst[] = [];
  protected vregs: VRegInfo[] = [];
  protected localTypes: NumType[] = [];
  protected slots = new Map<string, number>();
  protected stack: Entry[] = [];
  protected frames: Frame[] = [];
  protected labels = 0;
  protected dead = false;
  protected deadDepth = 0;
  protected lastProducer = -1;
  protected clobbers = false;
  protected callsWasm = false;
  protected at = 0;
  protected readonly numParams: number;

  constructor(
    protected readonly m: Module,
    protected readonly index: number,
    locals: ValType[],
    protected readonly where: string,
  ) {
    const ft = m.types[m.funcs[index]!.type]!;
    this.numParams = ft.params.length;
    for (const t of [...ft.params, ...locals]) {
      const nt = numType(t, where, 0);
      this.localTypes.push(nt);
      this.vregs.push({ cls: classOf(nt) });
    }
  }

  protected fail(msg: string): never {
    throw new CompileError(this.where, this.at, msg);
  }

  protected slot(depth: number, cls: RegClass): number {
    const key = `${depth}:${cls}`;
    let v = this.slots.get(key);
    if (v === undefined) {
      v = this.vregs.length;
      this.vregs.push({ cls });
      this.slots.set(key, v);
    }
    return v;
  }

  protected label(): number {
    return this.labels++;
  }

  protected emit(i: Inst): void {
    this.insts.push(i);
  }

  // ---- the abstract operand stack ----
  protected opndOfEntry(e: Entry, depth: number): Opnd {
    switch (e.k) {
      case "reg": return vr(this.slot(depth, classOf(e.t)));
      case "const": return cst(e.bits);
      case "local": return vr(e.idx);
      case "cmp": throw new Error("internal: comparison operand must be materialized");
    }
  }

  /** Writes the value of the entry at `depth` into vreg `dst` (without changing the entry). */
  protected writeEntryTo(depth: number, dst: number): void {
    const e = this.stack[depth]!;
    if (e.k === "cmp") this.emit({ k: "setcc", cond: e.cond, dst });
    else {
      const src = this.opndOfEntry(e, depth);
      if (!(src.k === "v" && src.v === dst)) this.emit({ k: "mov", t: e.t, dst, src });
    }
  }

  protected materialize(depth: number): void {
    const e = this.stack[depth]!;
    if (e.k === "reg") return;
    this.writeEntryTo(depth, this.slot(depth, classOf(e.t)));
    this.stack[depth] = { k: "reg", t: e.t };
  }

  protected materializeAll(): void {
    for (let d = 0; d < this.stack.length; d++) this.materialize(d);
  }

  protected refersToLocal(e: Entry, idx: number): boolean {
    if (e.k === "local") return e.idx === idx;
    if (e.k === "cmp") return (e.cond.a.k === "v" && e.cond.a.v === idx) || (e.cond.b.k === "v" && e.cond.b.v === idx);
    return false;
  }

  protected materializeLocal(idx: number): void {
    for (let d = 0; d < this.stack.length; d++) if (this.refersToLocal(this.stack[d]!, idx)) this.materialize(d);
  }

  /** Before anything occupies depth d, a comparison below that reads slot d is materialized. */
  protected push(e: Entry): void {
    const d = this.stack.length;
    const below = this.stack[d - 1];
    if (below?.k === "cmp") {
      const reads = (o: Opnd): boolean => o.k === "v" && (o.v === this.slots.get(`${d}:int`) || o.v === this.slots.get(`${d}:float`));
      if (reads(below.cond.a) || reads(below.cond.b)) this.materialize(d - 1);
    }
    this.stack.push(e);
  }

  /** Pushes a run-time value and returns the vreg the producing instruction must write. */
  protected pushReg(t: NumType): number {
    this.push({ k: "reg", t });
    return this.slot(this.stack.length - 1, classOf(t));
  }

  protected produced(): void {
    this.lastProducer = this.insts.length - 1;
  }

  protected pop(): Opnd {
    const d = this.stack.length - 1;
    if (d < 0) throw new Error("internal: operand stack underflow after validation");
    if (this.stack[d]!.k === "cmp") this.materialize(d);
    const o = this.opndOfEntry(this.stack[d]!, d);
    this.stack.pop();
    return o;
  }

  protected popN(n: number): Opnd[] {
    const r: Opnd[] = new Array<Opnd>(n);
    for (let i = n - 1; i >= 0; i--) r[i] = this.pop();
    return r;
  }

  protected popCond(): Cond {
    const e = this.stack[this.stack.length - 1]!;
    if (e.k === "cmp") {
      this.stack.pop();
      return e.cond;
    }
    return this.popTest(false) ?? { t: "i32", cc: "ne", a: this.pop(), b: cst(0n), neg: false };
  }

  /**
   * `x & y` tested against zero (br_if/if/select on it, or eqz with neg) becomes a TEST of x
   * and y: the AND just emitted for the top of the stack is taken back into the condition.
   */
  protected popTest(neg: boolean): Cond | null {
    const d = this.stack.length - 1;
    const last = this.insts[this.insts.length - 1];
    if (this.stack[d]?.k !== "reg" || !last || last.k !== "num" || (last.op !== I32_AND && last.op !== I64_AND) || !last.b) return null;
    if (this.lastProducer !== this.insts.length - 1 || last.dst !== this.slot(d, "int")) return null;
    this.insts.pop();
    this.lastProducer = -1;
    this.stack.pop();
    return { t: last.op === I32_AND ? "i32" : "i64", cc: "test", a: last.a, b: last.b, neg };
  }

  // ---- control ----
  protected frameTypes(bt: number): { params: NumType[]; results: NumType[] } {
    const t = blockType(this.m, bt, this.where, this.at);
    return { params: t.params.map((x) => numType(x, this.where, this.at)), results: t.results.map((x) => numType(x, this.where, this.at)) };
  }

  /** Moves the top `n` values into the slots of a label at `height` (without popping them). */
  protected moveToLabel(n: number, height: number): void {
    // Increasing order is safe: a destination slot is never a source of a later value (§ lowering notes).
    for (let i = 0; i < n; i++) {
      const d = this.stack.length - n + i;
      const e = this.stack[d]!;
      const dst = this.slot(height + i, classOf(e.t));
      this.writeEntryTo(d, dst);
    }
  }

  protected needsMoves(n: number, height: number): boolean {
    for (let i = 0; i < n; i++) {
      const d = this.stack.length - n + i;
      if (this.stack[d]!.k !== "reg" || d !== height + i) return true;
    }
    return false;
  }

  // ---- numeric instructions (comparisons stay symbolic) and local.set with producer retargeting ----
  protected lowerNum(op: number, name: string, params: NumType[], result: NumType): void {
    const dot = name.indexOf(".");
    const base = name.slice(dot + 1);
    if (base === "eqz") {
      const e = this.stack[this.stack.length - 1]!;
      if (e.k === "cmp") {
        this.stack.pop();
        this.push({ k: "cmp", t: "i32", cond: { ...e.cond, neg: !e.cond.neg } });
        return;
      }
      const test = this.popTest(true);
      if (test) {
        this.push({ k: "cmp", t: "i32", cond: test });
        return;
      }
      const a = this.pop();
      this.push({ k: "cmp", t: "i32", cond: { t: params[0]!, cc: "eq", a, b: cst(0n), neg: false } });
      return;
    }
    const cc = CMP_CC[base];
    if (cc && params.length === 2 && result === "i32") {
      // (x & y) == 0 / != 0: TEST, like eqz and br_if above
      const top = this.stack[this.stack.length - 1]!;
      if ((cc === "eq" || cc === "ne") && top.k === "const" && top.bits === 0n) {
        this.stack.pop();
        const test = this.popTest(cc === "eq");
        if (test) {
          this.push({ k: "cmp", t: "i32", cond: test });
          return;
        }
        this.stack.push(top);
      }
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

  protected lowerLocalSet(idx: number, tee: boolean): void {
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

}
