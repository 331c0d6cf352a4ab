// Trap codes of the native ABI (docs/native-abi.md, "Traps") and how each engine's or script's trap
// wording maps onto them.
//
// A trap is compared as a SET of codes: an engine whose message cannot tell two causes apart (V8
// says "null function or function signature mismatch" for both an uninitialized element and a type
// mismatch) yields every code it may mean; an expectation matches when the sets meet.

export const TRAP_REASONS: ReadonlyMap<number, string> = new Map([
  [1, "unreachable"],
  [2, "integer divide by zero"],
  [3, "integer overflow"],
  [4, "invalid conversion to integer"],
  [5, "out of bounds memory access"],
  [6, "undefined element"],
  [7, "uninitialized element"],
  [8, "indirect call type mismatch"],
  [9, "call stack exhausted"],
  [10, "out of bounds table access"],
  [11, "out of bounds data segment access"],
]);

export const STACK_EXHAUSTED = 9;

export function trapName(code: number): string {
  return TRAP_REASONS.get(code) ?? `unknown trap code ${code}`;
}

export function describeCodes(codes: readonly number[]): string {
  return codes.map((c) => `${c} (${trapName(c)})`).join(" or ");
}

/**
 * assert_trap / assert_exhaustion / assert_uninstantiable texts of the spec suite. The suite's
 * texts are prefixes of the reference interpreter's messages (spec interpreter README: "the
 * expected message is a prefix"), so the longest matching prefix decides.
 *
 * "out of bounds memory access" also accepts code 11: in Wasm 2.0 a memory.init whose segment
 * range is out of bounds is reported by the spec with the memory-access text (bulk-memory
 * memory_init.wast), while the native ABI gives that case its own code 11.
 */
const SCRIPT_TEXTS: readonly (readonly [string, readonly number[]])[] = [
  ["unreachable", [1]],
  ["integer divide by zero", [2]],
  ["integer overflow", [3]],
  ["invalid conversion to integer", [4]],
  ["out of bounds memory access", [5, 11]],
  ["undefined element", [6]],
  ["undefined", [6]],
  ["uninitialized element", [7]],
  ["uninitialized", [7]],
  ["indirect call type mismatch", [8]],
  ["indirect call", [8]],
  ["call stack exhausted", [9]],
  ["out of bounds table access", [10]],
  ["out of bounds data segment access", [11]],
];

export function codesForScriptText(text: string): readonly number[] | undefined {
  let best: readonly [string, readonly number[]] | undefined;
  for (const entry of SCRIPT_TEXTS) {
    if (text.startsWith(entry[0]) && (best === undefined || entry[0].length > best[0].length)) best = entry;
  }
  return best?.[1];
}

/**
 * V8's WebAssembly.RuntimeError messages (v8/src/common/message-template.h, kTrap*) as Node 20
 * prints them. Ambiguous ones map to every code they can stand for.
 */
const V8_MESSAGES: readonly (readonly [string, readonly number[]])[] = [
  ["unreachable", [1]],
  ["divide by zero", [2]],
  ["remainder by zero", [2]],
  ["divide result unrepresentable", [3]],
  // The MVP spec says "integer overflow" for an out-of-range float and "invalid conversion" for NaN.
  ["float unrepresentable in integer range", [3, 4]],
  ["memory access out of bounds", [5, 11]],
  ["data segment is out of bounds", [5, 11]],
  ["data segment out of bounds", [5, 11]],
  ["table index is out of bounds", [6, 10]],
  ["element segment out of bounds", [10]],
  ["null function or function signature mismatch", [7, 8]],
  ["function signature mismatch", [8]],
];

export function codesForV8Message(message: string): readonly number[] | undefined {
  // Errors thrown while instantiating carry the API entry point: "WebAssembly.Instance(): …".
  const bare = message.replace(/^WebAssembly\.\w+\(\): /, "");
  return V8_MESSAGES.find(([m]) => bare === m)?.[1];
}
