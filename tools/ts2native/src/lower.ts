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

import type { Instr } from "./body.ts";
import { ATOMIC_OPS, MEM_OPS, NUM_OPS, PREFIX_FC, PREFIX_FE, opName } from "./opcodes.ts";
import { cst, type Callee, type LoweredFunc, type Opnd } from "./ir.ts";
import type { Module, NumType, ValType } from "./module.ts";
import { StackLowerer, numType, type Frame } from "./lower-stack.ts";

export function lowerFunction(m: Module, index: number, locals: ValType[], code: Instr[], where: string): LoweredFunc {
  return new Lowerer(m, index, locals, where).run(code);
}

class Lowerer extends StackLowerer {
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
      case PREFIX_FC | 12: case PREFIX_FC | 14: {
        const [d, s, n] = this.popN(3) as [Opnd, Opnd, Opnd];
        this.clobbers = true;
        if (op === (PREFIX_FC | 12)) this.emit({ k: "tableinit", seg: ins.a, table: ins.b, d, s, n });
        else this.emit({ k: "tablecopy", dst: ins.a, src: ins.b, d, s, n });
        return;
      }
      case PREFIX_FC | 13: this.emit({ k: "elemdrop", seg: ins.a }); return;
      case PREFIX_FE | 3: this.emit({ k: "fence" }); return;
    }
    this.fail(`unsupported opcode ${opName(op)}`);
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

  private lowerCall(callee: Callee, typeIndex: number): void {
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
