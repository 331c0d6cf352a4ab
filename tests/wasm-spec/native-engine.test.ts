// The native driver against a stand-in executable that speaks the --serve protocol: prints,
// results, traps, a crash (reported with its signal, then a fresh process) and protocol errors.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NativeEngine } from "../../tools/wasm-spec/native-engine.ts";
import { makeValue } from "../../tools/wasm-spec/values.ts";
import { wat } from "./wat.ts";

// Export order fixes the protocol indices: 0 add, 1 div, 2 crash, 3 g, 4 hang, 5 extra.
const MODULE = wat(`(module
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "div") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "crash"))
  (global (export "g") f32 (f32.const nan:0x200000))
  (func (export "hang"))
  (func (export "extra") (result i32) (i32.const 1)))`);

const SERVE = `#!/usr/bin/env node
process.stdout.write(process.env.FAKE_START ?? "P i32 00000007\\nI ok\\n");
require("node:readline").createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, idx, ...args] = line.split(" ");
  if (cmd === "Q") process.exit(0);
  if (cmd === "G" && idx === "3") return void process.stdout.write("R 7fa00000\\n");
  if (cmd !== "C") return void process.stdout.write("?\\n");
  if (idx === "0") {
    const sum = (parseInt(args[0], 16) + parseInt(args[1], 16)) >>> 0;
    process.stdout.write("P i32 0000002a f64 3ff0000000000000\\nR " + sum.toString(16).padStart(8, "0") + "\\n");
  } else if (idx === "1") process.stdout.write("T 2\\n");
  else if (idx === "2") process.kill(process.pid, "SIGSEGV");
  else if (idx === "5") process.stdout.write("R 00000001 00000002\\n");
  // idx 4: never answers
});
`;

function fakeEngine(start?: string): NativeEngine {
  const dir = mkdtempSync(join(tmpdir(), "native-engine-test-"));
  const exe = join(dir, "m");
  writeFileSync(exe, SERVE.replace("process.env.FAKE_START", start === undefined ? "undefined" : JSON.stringify(start)));
  chmodSync(exe, 0o755);
  return new NativeEngine({ compile: async () => ({ kind: "ok", exe }) }, { callTimeoutMs: 3000 });
}

async function instance(engine: NativeEngine) {
  const c = await engine.compile(MODULE, "m.wasm");
  if (c.kind !== "ok") throw new Error("compile");
  const i = await c.module.instantiate(new Map());
  if (i.kind !== "ok") throw new Error(`instantiate: ${JSON.stringify(i)}`);
  return i;
}

describe("NativeEngine over --serve", () => {
  it("collects startup prints, call prints, results, traps and globals", async () => {
    const i = await instance(fakeEngine());
    expect(i.prints).toEqual([{ field: undefined, values: [makeValue("i32", 7n)] }]);
    const add = await i.instance.invoke(0, [makeValue("i32", 0xffffffffn), makeValue("i32", 3n)]);
    expect(add).toEqual({
      prints: [{ field: undefined, values: [makeValue("i32", 42n), makeValue("f64", 0x3ff0000000000000n)] }],
      result: { kind: "return", values: [makeValue("i32", 2n)] },
    });
    // One result more than the signature has is a protocol error, not a value.
    const extra = await i.instance.invoke(5, []);
    expect(extra.result).toMatchObject({ kind: "error", message: expect.stringMatching(/expected 1 result\(s\) \(i32\)/) });
    await i.instance.close();
  });

  it("reports traps, globals and crashes, and restarts after a crash", async () => {
    const i = (await instance(fakeEngine())).instance;
    expect((await i.invoke(1, [makeValue("i32", 1n), makeValue("i32", 0n)])).result).toEqual({
      kind: "trap",
      trap: { codes: [2], message: "integer divide by zero" },
    });
    expect((await i.get(3)).result).toEqual({ kind: "return", values: [makeValue("f32", 0x7fa00000n)] });
    const crash = await i.invoke(2, []);
    expect(crash.result).toMatchObject({ kind: "error", message: expect.stringMatching(/died during 'C 2': killed by SIGSEGV/) });
    const after = await i.invoke(1, [makeValue("i32", 1n), makeValue("i32", 0n)]);
    expect(after.result.kind).toBe("trap");
    await i.close();
  });

  it("times out a call that never answers", async () => {
    const i = (await instance(fakeEngine())).instance;
    const r = await i.invoke(4, []);
    expect(r.result).toMatchObject({ kind: "error", message: expect.stringMatching(/no reply within 3000 ms/) });
    await i.close();
  });

  it("turns 'I T <code>' into an instantiation trap and garbage into an error", async () => {
    const trapping = await (await fakeEngine("I T 1\n").compile(MODULE, "m.wasm"));
    if (trapping.kind !== "ok") throw new Error("compile");
    expect(await trapping.module.instantiate(new Map())).toMatchObject({ kind: "trap", trap: { codes: [1] } });
    const garbage = await fakeEngine("hello\n").compile(MODULE, "m.wasm");
    if (garbage.kind !== "ok") throw new Error("compile");
    expect(await garbage.module.instantiate(new Map())).toMatchObject({ kind: "error", message: expect.stringMatching(/not a protocol line: 'hello'/) });
  });
});
