// Normalizes fuzz-exec outputs before they are compared, and compares them. Only what is truly
// engine-specific is normalized; each rule says why:
//
// 1. binaryen words traps its own way ("i32.div_s by 0", "highest > memory: 65535 > 65532"); our
//    engines print the native ABI's trap names. binaryen's messages are mapped onto those names
//    (BINARYEN_TRAPS below). An unknown message stays as `[trap ?MESSAGE]`, so it shows up as a
//    mismatch instead of being guessed.
// 2. A trap line lists every ABI trap its engine's message can mean (V8 says "null function or
//    function signature mismatch" for two causes); two trap lines agree when the lists share one.
// 3. `[host limit …]` means binaryen's interpreter gave up (its own stack or allocation limit);
//    binaryen itself ignores such runs when comparing (execution-results.h `ignore`), so the
//    module is reported inconclusive, not compared.
//
// Everything else — values, float formatting, the order of exports and log lines — must match
// exactly.

import { TRAP_REASONS } from "../wasm-spec/traps.ts";

/** binaryen 132 interpreter trap messages (src/wasm-interpreter.h) → native ABI trap codes. */
const BINARYEN_TRAPS: readonly (readonly [RegExp, readonly number[]])[] = [
  [/^unreachable$/, [1]],
  [/^i(32|64)\.(div|rem)_[su] by 0$/, [2]],
  [/^i(32|64)\.div_s overflow$/, [3]],
  [/^(i(32|64)\.)?trunc[SU]Float overflow$/, [3]],
  [/^(i(32|64)\.)?trunc[SU]Float of nan$/, [4]],
  [/^(highest|final) > memory: \d+ > \d+$/, [5]],
  [/^out of bounds memory access in memory\.(fill|copy)$/, [5]],
  [/^out of bounds segment access in memory\.copy$/, [5]],
  // memory.init past its segment (or a dropped one): the ABI may report it as either code.
  [/^out of bounds segment access in memory\.init$/, [5, 11]],
  // call_indirect past the table's end; the ABI calls it "undefined element".
  [/^out of bounds table access$/, [6, 10]],
  [/^null target in call_indirect$/, [7]],
  [/^callIndirect: (non-subtype|signature mismatch|function signature mismatch)$/, [8]],
  [/^out of bounds segment access in table\.(init|copy)$/, [10]],
  [/^stack limit$/, [9]],
];

function codesToLine(codes: readonly number[]): string {
  return `[trap ${codes.map((c) => TRAP_REASONS.get(c) ?? `code ${c}`).join(" | ")}]`;
}

/** Maps binaryen's trap lines onto ABI trap names; other lines pass unchanged. */
export function normalizeBinaryen(lines: readonly string[]): { lines: string[]; inconclusive?: string } {
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith("[host limit")) return { lines: out, inconclusive: `binaryen reached a host limit: ${line}` };
    const m = /^\[trap (.*)\]$/.exec(line);
    if (!m) {
      out.push(line);
      continue;
    }
    const msg = m[1]!;
    const hit = BINARYEN_TRAPS.find(([re]) => re.test(msg));
    out.push(hit ? codesToLine(hit[1]) : `[trap ?${msg}]`);
  }
  return { lines: out };
}

/** Only the lines of the fuzz-exec protocol (binaryen also prints warnings and pass output). */
export function protocolLines(text: string): string[] {
  const lines = text.split("\n");
  const out: string[] = [];
  let inResult = false;
  for (const line of lines) {
    if (/^\[(fuzz-exec|LoggingExternalInterface|trap|host limit|exception thrown)/.test(line)) {
      out.push(line);
      inResult = line.startsWith("[fuzz-exec] note result:");
    } else if (inResult && line !== "" && !line.startsWith("[")) {
      out.push(line); // further values of a multi-value result, one per line
    } else inResult = false;
  }
  return out;
}

function trapNames(line: string): Set<string> | undefined {
  const m = /^\[trap (.*)\]$/.exec(line);
  return m ? new Set(m[1]!.split(" | ")) : undefined;
}

/** Do two normalized lines agree? Equal, or trap lines naming a common cause (rule 2). */
export function linesAgree(a: string, b: string): boolean {
  if (a === b) return true;
  const ta = trapNames(a);
  const tb = trapNames(b);
  return ta !== undefined && tb !== undefined && [...ta].some((n) => tb.has(n));
}

/** Index of the first disagreeing line, or -1 if the outputs agree. */
export function firstDifference(a: readonly string[], b: readonly string[]): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || !linesAgree(x, y)) return i;
  }
  return -1;
}

/** A few lines around a difference, side by side, for the report. */
export function describeDifference(nameA: string, a: readonly string[], nameB: string, b: readonly string[], at: number): string {
  const from = Math.max(0, at - 3);
  const rows: string[] = [`first difference at output line ${at + 1}:`];
  for (let i = from; i < Math.min(Math.max(a.length, b.length), at + 4); i++) {
    const mark = i === at ? ">" : " ";
    rows.push(`${mark} ${nameA.padEnd(8)} ${a[i] ?? "<end of output>"}`);
    rows.push(`${mark} ${nameB.padEnd(8)} ${b[i] ?? "<end of output>"}`);
  }
  return rows.join("\n");
}
