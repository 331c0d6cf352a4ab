// The V8 engine of the ts2native kernel benchmark (tools/bench/README.md): Node's WebAssembly on
// the same .wasm, speaking the subset of ts2native's serve protocol the benchmark uses:
//
//   -> I ok                      after compilation and instantiation (never timed)
//   <- C <export index> <arg>    hex, export-section order
//   -> R <result> <ns>           ns: the call's own process.hrtime.bigint() time (a cross-check)
//   -> T <message>               the call threw (a trap)
//   <- Q (or end of input)
//
// usage: node --no-liftoff --import tsx tools/bench/v8-serve.ts NAME.wasm
// (--no-liftoff: V8 compiles every function with TurboFan before `I ok`, so no call is timed
// while tiering up; the benchmark still warms up before timing.)

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write("usage: v8-serve.ts NAME.wasm\n");
  process.exit(2);
}
const module = new WebAssembly.Module(readFileSync(path));
const instance = new WebAssembly.Instance(module, {});
const names = WebAssembly.Module.exports(module).map((e) => e.name);
const calls: (((arg: number) => number) | undefined)[] = names.map((name) => {
  const f = instance.exports[name];
  return typeof f === "function" ? (f as (arg: number) => number) : undefined;
});

const out = (s: string): void => { process.stdout.write(s + "\n"); };
out("I ok");

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line: string) => {
  if (line.startsWith("Q")) { rl.close(); return; }
  const m = /^C ([0-9a-f]+) ([0-9a-f]+)$/.exec(line);
  const f = m === null ? undefined : calls[parseInt(m[1]!, 16)];
  if (m === null || f === undefined) { out("E bad command"); return; }
  const arg = parseInt(m[2]!, 16) | 0;
  try {
    const t0 = process.hrtime.bigint();
    const r = f(arg);
    const t1 = process.hrtime.bigint();
    out(`R ${(r >>> 0).toString(16).padStart(8, "0")} ${t1 - t0}`);
  } catch (e) {
    out(`T ${e instanceof Error ? e.message : String(e)}`);
  }
});
rl.on("close", () => { process.exit(0); });
