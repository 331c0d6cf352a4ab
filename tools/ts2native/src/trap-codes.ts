// Trap codes and reason strings (docs/native-abi.md "Traps"; the strings are the wasm spec
// test suite's assert_trap texts). Code 12 is this back end's addition for the threads proposal.

export const TRAP_REASONS: Record<number, string> = {
  1: "unreachable",
  2: "integer divide by zero",
  3: "integer overflow",
  4: "invalid conversion to integer",
  5: "out of bounds memory access",
  6: "undefined element",
  7: "uninitialized element",
  8: "indirect call type mismatch",
  9: "call stack exhausted",
  10: "out of bounds table access",
  11: "out of bounds data segment access",
  12: "unaligned atomic",
};
export const MAX_TRAP_CODE = 12;
