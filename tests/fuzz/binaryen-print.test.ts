// Our copy of binaryen's value printing against binaryen itself: a module returning many float
// bit patterns runs under `wasm-opt --fuzz-exec-before`, and every printed value must match.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { binaryenValue, logArguments, printfExp, printfFixed } from "../../tools/fuzz/binaryen-print.ts";
import { WASM_OPT } from "../../tools/fuzz/generate.ts";
import { type WasmValue, f32Bits, f64Bits, makeValue } from "../../tools/wasm-spec/values.ts";

function sampleValues(): WasmValue[] {
  const special = [0, 0.1, 0.5, 2.5, 1e21, 1e22, 2 ** 53, 2 ** 63, 2 ** 64, 2 ** 64 + 4096, 1.5e300, 5e-324, 1125899906842624.25, 3.4e38, 1e-7, 12345000, 1 / 3, 2 ** -19];
  const out: WasmValue[] = [];
  for (const s of special) out.push(makeValue("f64", f64Bits(s)), makeValue("f64", f64Bits(-s)), makeValue("f32", f32Bits(s)));
  out.push(makeValue("f32", 0x7fa00000n), makeValue("f64", 0xfff8000000000000n), makeValue("f32", 0x7f800000n));
  let x = 0x9e3779b97f4a7c15n;
  for (let i = 0; i < 150; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & (2n ** 64n - 1n);
    out.push(makeValue("f64", x), makeValue("f32", x >> 32n), makeValue("f64", f64Bits(Number(x % 100000n) * 10 ** (Number(x % 40n) - 20))));
  }
  out.push(makeValue("i32", 0x80000000n), makeValue("i64", 0x8000000000000000n));
  return out;
}

describe("binaryen value printing", () => {
  it("emulates C printf rounding (ties to even on exact halves)", () => {
    expect(printfFixed(0.5, 0)).toBe("0");
    expect(printfFixed(2.5, 0)).toBe("2");
    expect(printfFixed(1125899906842624.25, 1)).toBe("1125899906842624.2");
    expect(printfExp(1e21, 6)).toBe("1.000000e+21");
    expect(printfExp(9.99e-5, 1)).toBe("1.0e-04");
  });

  it("prints every sampled value exactly as wasm-opt --fuzz-exec-before does", () => {
    const values = sampleValues();
    const body = values
      .map((v, i) => {
        const w = v.type.slice(1);
        const konst = v.type.startsWith("i") ? `(${v.type}.const ${BigInt.asIntN(Number(w), v.bits)})` : `(${v.type}.reinterpret_i${w} (i${w}.const ${BigInt.asIntN(Number(w), v.bits)}))`;
        return `(func (export "e${i}") (result ${v.type}) ${konst})`;
      })
      .join("\n");
    const file = join(mkdtempSync(join(tmpdir(), "bprint-")), "p.wat");
    writeFileSync(file, `(module ${body})`);
    const r = spawnSync(WASM_OPT, [file, "--fuzz-exec-before", "-q"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    const printed = r.stdout.split("\n").filter((l) => l.startsWith("[fuzz-exec] note result")).map((l) => l.split(" => ")[1]);
    expect(printed).toHaveLength(values.length);
    expect(values.map(binaryenValue)).toEqual(printed);
  });

  it("logs i64 arguments as two signed i32 halves, low first", () => {
    expect(logArguments([makeValue("i64", 0x1_2345_6789n), makeValue("f32", f32Bits(0.5))])).toBe(" 591751049 1 0.5");
    expect(logArguments([makeValue("i64", -2n)])).toBe(" -2 -1");
  });
});
