// Saving and listing fuzz regressions (tools/fuzz/regressions.ts).
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { regressionCases, saveRegression } from "../../tools/fuzz/regressions.ts";

describe("regressions", () => {
  it("saves the module bytes and the report under the seed, and lists them for replay", () => {
    const work = mkdtempSync(join(tmpdir(), "regr-"));
    const module = join(work, "m.wasm");
    writeFileSync(module, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const dir = join(work, "regressions");
    expect(regressionCases(dir)).toEqual([]);
    const saved = saveRegression(dir, 1234, module, "binaryen vs native: first difference at output line 3");
    expect(saved).toBe(join(dir, "seed-1234.wasm"));
    expect(readFileSync(saved)).toEqual(readFileSync(module));
    expect(readFileSync(join(dir, "seed-1234.txt"), "utf8")).toMatch(/seed 1234[\s\S]*first difference at output line 3/);
    saveRegression(dir, 99, module, "x");
    expect(regressionCases(dir)).toEqual([
      { label: "regression seed-1234.wasm", file: join(dir, "seed-1234.wasm"), seed: 1234, isRegression: true },
      { label: "regression seed-99.wasm", file: join(dir, "seed-99.wasm"), seed: 99, isRegression: true },
    ]);
  });
});
