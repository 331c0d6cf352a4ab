// Webs: the lowering names every operand-stack depth with one vreg for the whole function, and
// asc / binaryen reuse locals for unrelated values. A web is a set of definitions and uses that
// must share a location: the definitions reaching one use, and the uses they reach. Each web
// gets a vreg of its own (def-use webs, Muchnick §16.3), so unrelated values that happen to share
// a local or a stack depth are allocated (and live) separately.
//
// Built with union-find over value nodes: each definition, and each (block, live-in vreg) for
// the value a block receives; a block's last definition of a vreg (or its own live-in node) is
// merged with the live-in node of every successor that needs the vreg.
//
// Constant propagation comes along: a web with a single definition `mov v, c` (integer) that is
// not live at the function's entry has c in every use, so its uses read the constant (address
// trees, peephole.ts, then fold it into displacements; dce.ts removes the move).

import type { Cond, Inst, LoweredFunc, Opnd } from "./ir.ts";
import { blockLiveness, forEachDef } from "./liveness.ts";

type Ren = (v: number) => number;

function mapOpt(x: Opnd | null, f: (o: Opnd) => Opnd): Opnd | null {
  return x ? f(x) : null;
}
function mapCond(x: Cond, f: (o: Opnd) => Opnd): Cond {
  return { ...x, a: f(x.a), b: f(x.b) };
}

/** A copy of the instruction with each operand it reads (vreg or constant) replaced by f's. */
export function mapOperands(i: Inst, f: (o: Opnd) => Opnd): Inst {
  switch (i.k) {
    case "jcc": return { ...i, cond: mapCond(i.cond, f) };
    case "brtable": return { ...i, idx: f(i.idx) };
    case "mov": return { ...i, src: f(i.src) };
    case "num": return { ...i, a: f(i.a), b: mapOpt(i.b, f) };
    case "setcc": return { ...i, cond: mapCond(i.cond, f) };
    case "lea": return { ...i, base: mapOpt(i.base, f), index: f(i.index) };
    case "select": return { ...i, a: f(i.a), b: f(i.b), cond: mapCond(i.cond, f) };
    case "load": return { ...i, addr: f(i.addr) };
    case "store": return { ...i, addr: f(i.addr), val: f(i.val) };
    case "gset": return { ...i, src: f(i.src) };
    case "call": {
      const callee = i.callee.k === "indirect" ? { ...i.callee, idx: f(i.callee.idx) } : i.callee;
      return { ...i, callee, args: i.args.map(f) };
    }
    case "ret": return { ...i, vals: i.vals.map(f) };
    case "memgrow": return { ...i, a: f(i.a) };
    case "memcopy": return { ...i, d: f(i.d), s: f(i.s), n: f(i.n) };
    case "memfill": return { ...i, d: f(i.d), v: f(i.v), n: f(i.n) };
    case "meminit": case "tableinit": case "tablecopy": return { ...i, d: f(i.d), s: f(i.s), n: f(i.n) };
    case "atomic": return { ...i, addr: f(i.addr), a: mapOpt(i.a, f), b: mapOpt(i.b, f) };
    default: return i;
  }
}

/** A copy of the instruction with its operands (uses) renamed. */
export function mapUses(i: Inst, f: Ren): Inst {
  return mapOperands(i, (x) => (x.k === "v" ? { k: "v", v: f(x.v) } : x));
}

/** Renames the destinations of an instruction (a fresh copy already made by mapUses). */
export function renameDefs(i: Inst, f: Ren): void {
  switch (i.k) {
    case "mov": case "num": case "setcc": case "lea": case "select": case "load": case "gget": case "memsize": case "memgrow":
      i.dst = f(i.dst);
      break;
    case "atomic": if (i.dst !== null) i.dst = f(i.dst); break;
    case "call": i.results = i.results.map(f); break;
    default: break;
  }
}

export function splitWebs(fn: LoweredFunc): void {
  const blocks = blockLiveness(fn);
  // union-find over value nodes: one per (block, live-in vreg) and one per definition
  const parent: number[] = [];
  const fresh = (): number => {
    parent.push(parent.length);
    return parent.length - 1;
  };
  const find = (x: number): number => {
    while (parent[x] !== x) {
      parent[x] = parent[parent[x]!]!;
      x = parent[x]!;
    }
    return x;
  };
  const entry = blocks.map((b) => {
    const m = new Map<number, number>();
    b.liveIn.forEach((v) => m.set(v, fresh()));
    return m;
  });
  const firstDefNode = parent.length;
  /** the instruction of each definition node */
  const defInst: number[] = [];
  // pass 1: a value live into a successor belongs to the web of the definition reaching it there
  blocks.forEach((b, k) => {
    const cur = new Map(entry[k]!);
    for (let n = b.first; n <= b.last; n++) {
      forEachDef(fn.insts[n]!, (v) => {
        cur.set(v, fresh());
        defInst.push(n);
      });
    }
    for (const s of b.succ) {
      for (const [v, e] of entry[s]!) {
        const d = cur.get(v);
        if (d !== undefined) parent[find(e)] = find(d);
      }
    }
  });
  // constant webs: one definition, `mov v, c` (integer), not live at the entry (where the value
  // would be the parameter or an uninitialized local): their uses read c itself
  const defsOfRoot = new Map<number, number>();
  defInst.forEach((_, k) => {
    const r = find(firstDefNode + k);
    defsOfRoot.set(r, (defsOfRoot.get(r) ?? 0) + 1);
  });
  const atEntry = new Set<number>();
  for (const e of entry[0]?.values() ?? []) atEntry.add(find(e));
  const constOf = new Map<number, bigint>();
  defInst.forEach((n, k) => {
    const i = fn.insts[n]!;
    const r = find(firstDefNode + k);
    if (i.k === "mov" && i.src.k === "c" && (i.t === "i32" || i.t === "i64") && defsOfRoot.get(r) === 1 && !atEntry.has(r)) constOf.set(r, i.src.bits);
  });
  // pass 2: a vreg per web; parameters keep their number for the web live at the entry
  const idOf = new Map<number, number>();
  const taken = new Set<number>();
  for (let p = 0; p < fn.numParams; p++) {
    const e = entry[0]?.get(p);
    if (e !== undefined) idOf.set(find(e), p);
    taken.add(p);
  }
  const id = (node: number, v: number): number => {
    const r = find(node);
    let x = idOf.get(r);
    if (x === undefined) {
      if (!taken.has(v)) x = v;
      else {
        x = fn.vregs.length;
        fn.vregs.push({ cls: fn.vregs[v]!.cls });
      }
      taken.add(x);
      idOf.set(r, x);
    }
    return x;
  };
  let nextDef = firstDefNode;
  const insts = fn.insts.slice();
  blocks.forEach((b, k) => {
    const cur = new Map(entry[k]!);
    for (let n = b.first; n <= b.last; n++) {
      const i = mapOperands(insts[n]!, (o) => {
        if (o.k !== "v") return o;
        const node = cur.get(o.v);
        if (node === undefined) return o;
        const c = constOf.get(find(node));
        return c !== undefined ? { k: "c", bits: c } : { k: "v", v: id(node, o.v) };
      });
      const defs = new Map<number, number>();
      forEachDef(i, (v) => {
        const node = nextDef++;
        cur.set(v, node);
        defs.set(v, id(node, v));
      });
      if (defs.size) renameDefs(i, (v) => defs.get(v)!);
      insts[n] = i;
    }
  });
  fn.insts = insts;
}
