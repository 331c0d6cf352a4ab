// Register allocation for one lowered function.
//
// Current strategy (simple, correct; see README "Register allocation"): every vreg gets one home
// for the whole function, by priority (use count weighted by loop depth). Functions that call out
// (clobbersCallerSaved) allocate only callee-saved registers (rbx rbp r12-r14), so nothing needs
// saving around calls; leaf functions also use the caller-saved rsi rdi r8-r10 and xmm0-xmm13,
// with parameters pinned to the registers they arrive in. rax rcx rdx r11 xmm14 xmm15 are the
// emitter's scratch registers, r15 is the memory base. A liveness-based allocator can replace
// this module without touching lowering or emission: its output is the Allocation below.

import { INT_ARG_REGS, callLayout } from "./callconv.ts";
import type { LoweredFunc } from "./ir.ts";
import type { FuncType } from "./module.ts";

export type Loc = { k: "reg"; reg: string } | { k: "slot"; index: number } | { k: "none" };

export interface Allocation {
  locs: Loc[];
  numSlots: number;
  /** callee-saved registers the function uses (to push/pop) */
  saved: string[];
}

export const CALLEE_SAVED = ["rbx", "r12", "r13", "r14", "rbp"];
const LEAF_INT = ["rsi", "rdi", "r8", "r9", "r10"];
const LEAF_FLOAT = Array.from({ length: 14 }, (_, i) => `xmm${i}`);

export function allocate(fn: LoweredFunc, type: FuncType): Allocation {
  const locs: Loc[] = fn.vregs.map(() => ({ k: "none" }));
  const leaf = !fn.clobbersCallerSaved;
  const intPool = leaf ? [...LEAF_INT, ...CALLEE_SAVED] : [...CALLEE_SAVED];
  const floatPool = leaf ? [...LEAF_FLOAT] : [];
  if (leaf) {
    // Pin parameters to their arrival registers when those are allocatable.
    const layout = callLayout(type);
    layout.params.forEach((p, i) => {
      if (p.k !== "reg") return;
      const pool = (INT_ARG_REGS as readonly string[]).includes(p.reg) ? intPool : floatPool;
      const at = pool.indexOf(p.reg);
      if (at >= 0 && fn.vregs[i]!.weight > 0) {
        pool.splice(at, 1);
        locs[i] = { k: "reg", reg: p.reg };
      }
    });
    // Arrival registers of parameters that were not pinned stay out of the pools, so that the
    // prologue's moves never overwrite a parameter not yet moved.
    layout.params.forEach((p, i) => {
      if (p.k !== "reg" || locs[i]!.k === "reg" || fn.vregs[i]!.weight === 0) return;
      for (const pool of [intPool, floatPool]) {
        const at = pool.indexOf(p.reg);
        if (at >= 0) pool.splice(at, 1);
      }
    });
  }
  const order = fn.vregs.map((_, i) => i).filter((i) => locs[i]!.k === "none" && fn.vregs[i]!.weight > 0);
  order.sort((a, b) => fn.vregs[b]!.weight - fn.vregs[a]!.weight || a - b);
  let numSlots = 0;
  for (const v of order) {
    const pool = fn.vregs[v]!.cls === "int" ? intPool : floatPool;
    const reg = pool.shift();
    locs[v] = reg !== undefined ? { k: "reg", reg } : { k: "slot", index: numSlots++ };
  }
  const used = new Set(locs.flatMap((l) => (l.k === "reg" ? [l.reg] : [])));
  return { locs, numSlots, saved: CALLEE_SAVED.filter((r) => used.has(r)) };
}
