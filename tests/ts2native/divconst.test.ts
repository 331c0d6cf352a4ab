// Division and remainder by constants (emit-divconst.ts: magic multipliers, shifts, masks) must
// agree with V8 for every operator, both widths, and dividends at the edges of the range.

import { describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { buildExe, buildWat, compareReplies, outPath, serve, v8Serve } from "./harness.ts";

const D32 = [1, 2, 3, 5, 6, 7, 10, 12, 25, 100, 641, 1000, 4096, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
  -2, -3, -7, -10, -1000, -4096, 0x55555555, 0x40000000];
const D64 = [1n, 2n, 3n, 7n, 10n, 1000n, 4096n, 1000000007n, 80n << 20n, 320n << 20n, 1n << 40n, (1n << 40n) + 1n,
  0x7fffffffffffffffn, 0x8000000000000000n, 0x8000000000000001n, 0xffffffffffffffffn, -3n, -7n, -1000n, -(1n << 40n),
  0x100000001n, 0x5555555555555555n, 0xcccccccccccccccdn, 6364136223846793005n];
const OPS = ["div_s", "div_u", "rem_s", "rem_u"];

function watModule(): { wat: string; names: string[] } {
  const names: string[] = [];
  const funcs: string[] = [];
  for (const [t, ds] of [["i32", D32.map((d) => BigInt(d))], ["i64", D64]] as const) {
    for (const op of OPS) {
      for (const d of ds) {
        const name = `${t}_${op}_${names.length}`;
        names.push(name);
        funcs.push(`(func (export "${name}") (param ${t}) (result ${t}) (${t}.${op} (local.get 0) (${t}.const ${d})))`);
      }
    }
  }
  return { wat: `(module\n${funcs.join("\n")}\n)`, names };
}

function dividends(bits: 32 | 64): bigint[] {
  const m = (1n << BigInt(bits)) - 1n;
  const xs = [0n, 1n, 2n, 3n, 6n, 7n, 9n, 10n, 99n, 100n, 101n, 999n, 1000n, 4095n, 4096n, 4097n, m, m - 1n, m >> 1n, (m >> 1n) + 1n, (m >> 1n) + 2n,
    m - 6n, m - 999n, 0x12345678n, 1000000007n * 3n];
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < 24; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
    xs.push(x >> BigInt(i % 40));
  }
  return xs.map((v) => v & m);
}

describe("division by constants", () => {
  const { wat, names } = watModule();
  const src = outPath("divconst.wat");
  writeFileSync(src, wat);
  const wasm = buildWat(src);
  const exe = buildExe(wasm);

  it("matches V8 for div_s/div_u/rem_s/rem_u, i32 and i64", () => {
    const cmds: string[] = [];
    names.forEach((name, k) => {
      const bits = name.startsWith("i32") ? 32 : 64;
      for (const x of dividends(bits)) cmds.push(`C ${k.toString(16)} ${x.toString(16).padStart(bits / 4, "0")}`);
    });
    expect(compareReplies(serve(exe, cmds), v8Serve(wasm, cmds))).toEqual([]);
  });
});
