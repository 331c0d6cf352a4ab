// After linear scan (lsra.ts): every child interval becomes a vreg of its own with one location,
// and moves are inserted where a value changes location (Wimmer & Mössenböck, VEE 2005, §5):
// - inside a block, at the gap where an interval was split (a store before a spilled stretch, a
//   reload before the next use, a register change);
// - on control-flow edges, where the value's child at the end of the predecessor and at the start
//   of the successor differ (data-flow resolution): before the predecessor's final `jmp`, after
//   its last instruction when the edge is its fall-through, at the start of the successor when
//   the edge is its only way in, else in a new block after the function's code (`L': moves; jmp
//   L`, the branch retargeted to L').
// Each group of moves is one `pmov` (parallel move: a register may be both read and written).
// The spilled children of a vreg share one frame slot; vregs whose lifetimes (first start to
// last end) do not overlap share slots.

import type { Inst, LoweredFunc, PMove } from "./ir.ts";
import { ENTRY, defPos, gapPos, instAt, usePos, type Interval, type IntervalSet } from "./intervals.ts";
import { CALLEE_SAVED } from "./lsra.ts";
import { mapUses, renameDefs } from "./webs.ts";

export type Loc = { k: "reg"; reg: string } | { k: "slot"; index: number } | { k: "none" };

export interface Resolved {
  locs: Loc[];
  numSlots: number;
  /** callee-saved registers the function uses (to push/pop) */
  saved: string[];
}

/** Frame slots for the vregs with a spilled child; lifetimes that do not overlap share one. */
function assignSlots(children: Interval[][]): { slotOf: Int32Array; numSlots: number } {
  const slotOf = new Int32Array(children.length).fill(-1);
  const spilled = children
    .map((list, v) => ({ v, list }))
    .filter(({ list }) => list.some((c) => c.reg === null))
    .map(({ v, list }) => ({ v, start: list[0]!.start, end: list[list.length - 1]!.end }))
    .sort((a, b) => a.start - b.start);
  let numSlots = 0;
  let busy: { end: number; slot: number }[] = [];
  const free: number[] = [];
  for (const s of spilled) {
    busy = busy.filter((b) => {
      if (b.end <= s.start) {
        free.push(b.slot);
        return false;
      }
      return true;
    });
    const slot = free.length ? free.pop()! : numSlots++;
    slotOf[s.v] = slot;
    busy.push({ end: s.end, slot });
  }
  return { slotOf, numSlots };
}

/**
 * Register children whose value is also in the vreg's frame slot all along: they hold a reload
 * and write no new value (no definition in them), and every way in brings the value from the
 * slot or from another such child. Storing them back to the slot is unnecessary. Computed as the
 * greatest fixed point (a loop may bring the value around from the child itself).
 */
function cleanChildren(set: IntervalSet, children: Interval[][], childAt: (v: number, p: number) => Interval): Set<Interval> {
  const { blocks, blockOfInst } = set;
  const preds: number[][] = blocks.map(() => []);
  blocks.forEach((b, k) => b.succ.forEach((s) => preds[s]!.push(k)));
  const clean = new Set<Interval>();
  for (const list of children) {
    for (let k = 1; k < list.length; k++) {
      const c = list[k]!;
      // a definition inside (odd positions 4n+3, see intervals.ts) writes a value the slot lacks
      if (c.reg !== null && c.uses.every((u) => (u & 3) !== 3)) clean.add(c);
    }
  }
  const fromSlot = (x: Interval): boolean => x.reg === null || clean.has(x);
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of clean) {
      const list = children[c.v]!;
      const prev = list[list.indexOf(c) - 1]!;
      let ok = true;
      const g = c.splitAt;
      const n = instAt(g);
      const atBlockStart = n >= blockOfInst.length || blocks[blockOfInst[n]!]!.first === n;
      if (!atBlockStart && prev.covers(g - 1) && !fromSlot(prev)) ok = false;
      // every block start inside c: the value comes along the block's incoming edges
      for (let b = n < blockOfInst.length ? blockOfInst[n]! : blocks.length; ok && b < blocks.length; b++) {
        const start = gapPos(blocks[b]!.first);
        if (start >= c.end) break;
        if (!c.covers(start) || !blocks[b]!.liveIn.has(c.v)) continue;
        for (const pr of preds[b]!) {
          const a = childAt(c.v, defPos(blocks[pr]!.last));
          if (a !== c && !fromSlot(a)) ok = false;
        }
      }
      if (!ok) {
        clean.delete(c);
        changed = true;
      }
    }
  }
  return clean;
}

export function resolve(fn: LoweredFunc, set: IntervalSet, children: Interval[][]): Resolved {
  const { blocks, blockOfInst } = set;
  const insts = fn.insts;
  const { slotOf, numSlots } = assignSlots(children);

  // a vreg per child: the first keeps the original number (parameters stay where the prologue expects them)
  const idOf = new Map<Interval, number>();
  const locs: Loc[] = fn.vregs.map(() => ({ k: "none" }));
  const saved = new Set<string>();
  children.forEach((list, v) => {
    list.forEach((c, k) => {
      let id = v;
      // a parameter keeps its number only for the value it arrives with (the prologue moves it)
      if (k > 0 || (v < fn.numParams && c.start !== ENTRY)) {
        id = fn.vregs.length;
        fn.vregs.push({ cls: c.cls });
      }
      idOf.set(c, id);
      locs[id] = c.reg !== null ? { k: "reg", reg: c.reg } : { k: "slot", index: slotOf[v]! };
      if (c.reg !== null && CALLEE_SAVED.includes(c.reg)) saved.add(c.reg);
    });
  });
  const childAt = (v: number, p: number): Interval => {
    const list = children[v]!;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]!.start <= p) lo = mid + 1;
      else hi = mid;
    }
    const c = list[lo - 1];
    if (!c || !c.covers(p)) throw new Error(`internal: vreg ${v} has no location at position ${p}`);
    return c;
  };
  const idAt = (v: number, p: number): number => idOf.get(childAt(v, p))!;
  const sameLoc = (a: Interval, b: Interval): boolean => (a.reg !== null ? a.reg === b.reg : b.reg === null);
  const move = (a: Interval, b: Interval): PMove => ({ dst: idOf.get(b)!, src: idOf.get(a)!, float: a.cls === "float" });

  const clean = cleanChildren(set, children, childAt);
  /** a -> b needs no instruction: same place, or a register whose value the slot already holds */
  const noMove = (a: Interval, b: Interval): boolean => sameLoc(a, b) || (b.reg === null && clean.has(a));

  const renamed: Inst[] = insts.map((i, n) => {
    const r = { ...mapUses(i, (v) => idAt(v, usePos(n))) } as Inst;
    renameDefs(r, (v) => idAt(v, defPos(n)));
    return r;
  });

  // moves at split positions inside blocks
  const before = new Map<number, PMove[]>();
  const add = (m: Map<number, PMove[]>, n: number, mv: PMove[]): void => {
    if (mv.length) m.set(n, [...(m.get(n) ?? []), ...mv]);
  };
  for (const list of children) {
    for (let k = 1; k < list.length; k++) {
      const a = list[k - 1]!;
      const b = list[k]!;
      const g = b.splitAt;
      const n = instAt(g);
      // at a block start the edges carry the move; the function's entry has no edge
      if (g < 0 || n >= insts.length || (n > 0 && blocks[blockOfInst[n]!]!.first === n)) continue;
      if (!a.covers(g - 1) || !b.covers(g) || noMove(a, b)) continue;
      add(before, n, [move(a, b)]);
    }
  }

  // data-flow resolution on every edge
  type Edge = { from: number; to: number; kind: "jump" | "fall" | "taken" };
  const edges: Edge[] = [];
  const labelBlock = new Map<number, number>();
  blocks.forEach((b, k) => {
    const i = insts[b.first]!;
    if (i.k === "label") labelBlock.set(i.id, k);
  });
  const incoming = new Int32Array(blocks.length);
  blocks.forEach((b, k) => {
    const last = insts[b.last]!;
    const to = (label: number, kind: Edge["kind"]): void => {
      const t = labelBlock.get(label);
      if (t !== undefined) edges.push({ from: k, to: t, kind });
    };
    if (last.k === "jmp") to(last.target, "jump");
    else if (last.k === "brtable") [...new Set(last.targets)].forEach((t) => to(t, "taken"));
    else if (last.k !== "ret" && last.k !== "trap") {
      if (last.k === "jcc") to(last.target, "taken");
      if (k + 1 < blocks.length) edges.push({ from: k, to: k + 1, kind: "fall" });
    }
  });
  for (const e of edges) incoming[e.to]!++;
  const beforeJump = new Map<number, PMove[]>();
  const after = new Map<number, PMove[]>();
  const atStart = new Map<number, PMove[]>();
  const backEdge = new Map<number, { moves: PMove[]; head: number; exit: number }>();
  const extra: Inst[] = [];
  for (const e of edges) {
    const pred = blocks[e.from]!;
    const succ = blocks[e.to]!;
    const mv: PMove[] = [];
    succ.liveIn.forEach((v) => {
      const a = childAt(v, defPos(pred.last));
      const b = childAt(v, gapPos(succ.first));
      if (a !== b && !noMove(a, b)) mv.push(move(a, b));
    });
    if (mv.length === 0) continue;
    const br = renamed[pred.last]!;
    if (e.kind === "jump") add(beforeJump, pred.last, mv);
    else if (e.kind === "fall") add(after, pred.last, mv);
    else if (incoming[e.to] === 1) add(atStart, succ.first, mv);
    else if (br.k === "jcc" && e.to <= e.from && e.from + 1 < blocks.length) {
      // a loop's back edge: the moves go in line, the loop exit takes the jump
      // (`jcc !c X; moves; jmp head; X:`), one taken branch per iteration as without moves
      const fresh = fn.numLabels++;
      backEdge.set(pred.last, { moves: mv, head: br.target, exit: fresh });
      br.target = fresh;
      br.cond = { ...br.cond, neg: !br.cond.neg };
    } else {
      // a critical edge: its own block after the function's code
      const label = (insts[succ.first] as { id: number }).id;
      const fresh = fn.numLabels++;
      if (br.k === "jcc") br.target = fresh;
      else if (br.k === "brtable") br.targets = br.targets.map((t) => (t === label ? fresh : t));
      extra.push({ k: "label", id: fresh }, { k: "pmov", moves: mv }, { k: "jmp", target: label });
    }
  }

  const out: Inst[] = [];
  const pm = (moves: PMove[] | undefined): void => {
    if (moves) out.push({ k: "pmov", moves });
  };
  renamed.forEach((i, n) => {
    const start = atStart.get(n);
    if (start && i.k !== "label") pm(start);
    // split moves first: the edge's moves read the locations they leave
    pm(before.get(n));
    pm(beforeJump.get(n));
    out.push(i);
    if (start && i.k === "label") pm(start);
    const loop = backEdge.get(n);
    if (loop) out.push({ k: "pmov", moves: loop.moves }, { k: "jmp", target: loop.head }, { k: "label", id: loop.exit });
    pm(after.get(n));
  });
  if (extra.length) {
    // the new blocks go after the code, which must not fall into them: it ends with a jump,
    // return or trap, possibly followed by labels that no branch targets (dead code's ends)
    let k = out.length - 1;
    const tail = new Set<number>();
    for (; k >= 0 && out[k]!.k === "label"; k--) tail.add((out[k] as { id: number }).id);
    const last = out[k];
    const targeted = out.some((i) => (i.k === "jmp" || i.k === "jcc" ? tail.has(i.target) : i.k === "brtable" && i.targets.some((t) => tail.has(t))));
    if (!last || targeted || (last.k !== "jmp" && last.k !== "ret" && last.k !== "trap" && last.k !== "brtable")) {
      throw new Error("internal: function code can fall through its end");
    }
    out.push(...extra);
  }
  fn.insts = out;
  return { locs, numSlots, saved: CALLEE_SAVED.filter((r) => saved.has(r)) };
}
