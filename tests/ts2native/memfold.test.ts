// Memory operands (wat/memfold.wat): read-modify-write instructions, loads folded into compares
// and ALU sources, i32.wrap_i64 of loads as 32-bit loads. The folded forms must appear in the
// assembly, and the executables must agree with V8 — in particular at the end of the one-page
// memory, where an 8-byte load of the last 4 bytes traps and a read-modify-write that traps
// leaves memory untouched.

import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { ROOT, buildWat, compareReplies, outPath, serve, ts2native, v8Serve } from "./harness.ts";

const hex32 = (n: number): string => (n >>> 0).toString(16).padStart(8, "0");
const PTRS = [0, 8, 0x100, 0xfff0, 0xfff8, 0xfffc, 0xfffe, 0xffff, 0x10000, 0xfffffffc].map(hex32);
const VALS = ["0123456789abcdef", "0000000000000000", "ffffffffffffffff", "00000000000000c8", "8000000080008000", "00000000ffffff9c"];
const X32 = ["00000001", "ffffffff", "000000ff", "80000000", "00000064"];
const X64 = ["0000000000000001", "00000000ffffffff", "ffffffffffffffff", "0123456789abcdef"];

/** The body of function N (`__ts2n_fN:` … `__ts2n_fN.end:`) in NASM text. */
function body(asm: string, n: number): string {
  const start = asm.indexOf(`\n__ts2n_f${n}:\n`);
  const end = asm.indexOf(`\n__ts2n_f${n}.end:`);
  if (start < 0 || end < 0) throw new Error(`function ${n} not found`);
  return asm.slice(start, end);
}

describe("memory operands", () => {
  const wasm = buildWat(join(ROOT, "tests/ts2native/wat/memfold.wat"));
  const exe = wasm.replace(/\.wasm$/, ".exe");
  const asmPath = outPath("memfold.asm");
  const bare = outPath("memfold-bare.asm");
  for (const args of [["exe", wasm, "-o", exe, "--asm", asmPath], ["compile", wasm, "-o", bare]]) {
    const r = ts2native(args);
    if (r.status !== 0) throw new Error(`ts2native ${args[0]} failed:\n${r.stderr}`);
  }
  // function N is export N (export 0 is the memory, function 0 the unexported $poke)
  const asm = readFileSync(asmPath, "utf8");
  const bareAsm = readFileSync(bare, "utf8");

  it("folds loads, operations and stores into memory operands", () => {
    const want: [number, RegExp][] = [
      [3, /add qword \[r15\+\w+\], 1\n/], [4, /or dword \[r15\+\w+\+4\], \w+\n/], [5, /sub dword \[r15\+\w+\], 7\n/],
      [6, /add byte \[r15\+\w+\], \w+\n/], [7, /xor word \[r15\+\w+\], -32767\n/], [8, /add dword \[r15\+\w+\], \w+\n/],
      [9, /and qword \[r15\+\w+\], rax\n/], [10, /add dword \[r15\+\w+\], \w+\n/], [11, /sub \w+, dword \[r15\+\w+\]\n/],
      [17, /mov \w+, dword \[r15\+16\]\n/], [18, /mov \w+, dword \[r15\+\w+\*8\+1024\]\n/],
      [20, /cmp dword \[r15\+\w+\], 0\n/], [21, /cmp dword \[r15\+\w+\+8\], \w+\n/],
      [22, /cmp byte \[r15\+\w+\], -56\n/], [22, /test byte \[r15\+\w+\+2\], -127\n/], [22, /cmp word \[r15\+\w+\+4\], -32768\n\s+seta/],
      [23, /cmp qword \[r15\+\w+\+16\], \w+\n/], [23, /cmp dword \[r15\+\w+\+8\], 2147483647\n\s+seta/],
      [24, /imul \w+, dword \[r15\+\w+\+4\]\n/], [24, /add \w+, dword \[r15\+\w+\+8\]\n/], [25, /and r\w+, qword \[r15\+\w+\]\n/],
    ];
    for (const [n, re] of want) expect(body(asm, n), `function ${n}`).toMatch(re);
    // no read-modify-write across a store or a call; x - [p] is not one either
    for (const n of [11, 12, 13]) expect(body(asm, n), `function ${n}`).not.toMatch(/(add|sub) dword \[/);
    // bounds checks: an 8-byte load at an address that may be 4 below the end stays 8 bytes
    for (const n of [14, 15, 16]) expect(body(asm, n), `function ${n}`).toMatch(/qword \[r15/);
    // the bare target has no bounds checks: the low half is read
    for (const n of [14, 15, 16]) expect(body(bareAsm, n), `bare function ${n}`).toMatch(/mov \w+, dword \[r15\+\w+(\+4)?\]\n/);
  });

  it("matches V8, traps at the end of memory included", () => {
    const cmds: string[] = [];
    const rmw: [string, string[]][] = [["3", [""]], ["4", X32], ["5", [""]], ["6", X32], ["7", [""]], ["8", X64], ["9", [""]], ["a", X32], ["b", X32]];
    for (const p of PTRS) {
      for (const [f, xs] of rmw) for (const x of xs) cmds.push(`C 1 ${p} ${VALS[0]}`, `C ${f} ${p}${x ? " " + x : ""}`, `C 2 ${p}`, "C 2 0000fff8");
      for (const v of VALS.slice(0, 3)) cmds.push(`C 1 ${p} ${v}`, `C c ${p} ${p}`, `C 2 ${p}`, `C c ${p} 00000000`, `C 2 ${p}`, `C d ${p}`, `C 2 ${p}`);
      for (const f of ["e", "f", "13", "14", "16"]) cmds.push(`C ${f} ${p}`);
    }
    cmds.push("C 10", "C 11");
    for (const x of [0, 1, 0x1f7f, 0x1f80, 0x1fff, 0xffffffff]) cmds.push(`C 12 ${hex32(x)}`);
    for (const p of [0, 0x100, 0xffe8, 0xfff0]) {
      for (const v of VALS) {
        for (const d of [0, 8, 16]) if (p + d <= 0xfff8) cmds.push(`C 1 ${hex32(p + d)} ${v}`);
        for (const x of X32) cmds.push(`C 15 ${hex32(p)} ${x}`, `C 18 ${hex32(p)} ${x}`);
        cmds.push(`C 14 ${hex32(p)}`, `C 16 ${hex32(p)}`);
        for (const x of [...X64, v]) cmds.push(`C 17 ${hex32(p)} ${x}`, `C 19 ${hex32(p)} ${x}`);
      }
    }
    expect(compareReplies(serve(exe, cmds), v8Serve(wasm, cmds))).toEqual([]);
  });
});
