// The internal calling convention of compiled wasm functions (documented in README.md). It is
// System V AMD64 for every signature System V can express, so imports (`M_F` symbols) and
// internal functions are called the same way and export thunks only have to set r15:
//   integer args: rdi rsi rdx rcx r8 r9, float args: xmm0-xmm7, the rest in 8-byte stack slots
//   in parameter order; first result in rax (integers) or xmm0 (floats); further results in
//   8-byte slots of the caller's outgoing area, after the stack arguments.

import type { FuncType, ValType } from "./module.ts";

export const INT_ARG_REGS = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"] as const;
export const FLOAT_ARG_REGS = ["xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7"] as const;

export type ArgLoc = { k: "reg"; reg: string } | { k: "stack"; slot: number };

export interface CallLayout {
  params: ArgLoc[];
  /** result 0 in a register, the others in the outgoing area */
  results: ArgLoc[];
  /** 8-byte slots of the outgoing area: stack arguments then extra results */
  areaSlots: number;
}

export function isFloat(t: ValType): boolean {
  return t === "f32" || t === "f64";
}

export function callLayout(t: FuncType): CallLayout {
  let ni = 0;
  let nf = 0;
  let slot = 0;
  const params: ArgLoc[] = t.params.map((p) => {
    if (isFloat(p)) {
      if (nf < FLOAT_ARG_REGS.length) return { k: "reg", reg: FLOAT_ARG_REGS[nf++]! };
    } else if (ni < INT_ARG_REGS.length) return { k: "reg", reg: INT_ARG_REGS[ni++]! };
    return { k: "stack", slot: slot++ };
  });
  const results: ArgLoc[] = t.results.map((r, i) => {
    if (i === 0) return { k: "reg", reg: isFloat(r) ? "xmm0" : "rax" };
    return { k: "stack", slot: slot++ };
  });
  return { params, results, areaSlots: slot };
}

/** Whether System V can express the signature (an import or a named export thunk needs this). */
export function sysvCompatible(t: FuncType): boolean {
  return t.results.length <= 1;
}
