// Runs a module the way `wasm-opt --fuzz-exec-before` does (binaryen 132
// src/tools/execution-results.h, ExecutionResults::collect / callExports) on any engine of
// tools/wasm-spec, and prints the same lines:
//
//   [fuzz-exec] export NAME                          for every function and global export, in order
//   [LoggingExternalInterface logging ARGS]          each fuzzing-support log-* call; a global's value
//   [fuzz-exec] note result: NAME => V1\nV2…         results of a call that returned values
//   [trap REASON]                                    a call (or instantiation) that trapped
//
// Function exports are called with zero arguments of their parameter types. After an
// instantiation trap nothing else runs. Trap REASONs are the native ABI's trap names
// (docs/native-abi.md), joined with " | " where the engine cannot tell causes apart; binaryen's own
// wording differs and normalize.ts maps it onto the same names.

import { type CallOutcome, type Engine, type PrintEvent, type TrapInfo } from "../wasm-spec/engine.ts";
import { trapName } from "../wasm-spec/traps.ts";
import { type WasmValue, makeValue } from "../wasm-spec/values.ts";
import { binaryenValue, logArguments } from "./binaryen-print.ts";

export function trapLine(t: TrapInfo): string {
  return `[trap ${t.codes.map(trapName).join(" | ")}]`;
}

function printLines(prints: readonly PrintEvent[]): string[] {
  return prints.map((p) => `[LoggingExternalInterface logging${logArguments(p.values)}]`);
}

/** Lines for a call outcome; an engine error is thrown, since it is no wasm behaviour. */
function outcomeLines(name: string, o: CallOutcome, isGlobal: boolean): string[] {
  const lines = printLines(o.prints);
  const r = o.result;
  if (r.kind === "error") throw new Error(`engine error in export '${name}': ${r.message}`);
  if (r.kind === "trap") lines.push(trapLine(r.trap));
  else if (isGlobal) lines.push(`[LoggingExternalInterface logging ${r.values.map(binaryenValue).join(" ")}]`);
  else if (r.values.length > 0) {
    // binaryen prints each value followed by a newline: extra results land on lines of their own.
    const [first, ...rest] = r.values.map(binaryenValue);
    lines.push(`[fuzz-exec] note result: ${name} => ${first}`, ...rest);
  }
  return lines;
}

/** Compiles, instantiates and runs every export; returns the output lines. Throws on engine errors. */
export async function fuzzExecLines(engine: Engine, bytes: Uint8Array, origin: string): Promise<string[]> {
  const compiled = await engine.compile(bytes, origin);
  if (compiled.kind !== "ok") throw new Error(`${engine.name} could not compile ${origin}: ${compiled.message}`);
  const inst = await compiled.module.instantiate(new Map());
  if (inst.kind === "trap") return [...printLines(inst.prints), trapLine(inst.trap)];
  if (inst.kind !== "ok") throw new Error(`${engine.name} could not instantiate ${origin}: ${inst.message}`);
  const lines = printLines(inst.prints);
  const instance = inst.instance;
  try {
    for (const exp of instance.info.exports) {
      if (exp.desc.kind === "func") {
        lines.push(`[fuzz-exec] export ${exp.name}`);
        const params = exp.desc.type.params;
        const zeros: WasmValue[] = [];
        for (const t of params) {
          if (t !== "i32" && t !== "i64" && t !== "f32" && t !== "f64") throw new Error(`export '${exp.name}' takes a ${t}, outside the supported features`);
          zeros.push(makeValue(t, 0n));
        }
        lines.push(...outcomeLines(exp.name, await instance.invoke(exp.index, zeros), false));
      } else if (exp.desc.kind === "global") {
        lines.push(`[fuzz-exec] export ${exp.name}`);
        lines.push(...outcomeLines(exp.name, await instance.get(exp.index), true));
      }
    }
  } finally {
    await instance.close();
  }
  return lines;
}
