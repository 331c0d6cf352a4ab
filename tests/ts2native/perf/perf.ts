// Code-speed loop for the back end: builds each kernel under tests/ts2native/perf (asc -O3, as
// the VMM core is built), compiles it with `ts2native exe`, checks `run(arg)` against V8 through
// the serve protocol, and prints the instructions the native `main` retires (callgrind's Ir).
//
//   tsx tests/ts2native/perf/perf.ts [kernel ...]      prints "perf: NAME IR"
// Ir counts are deterministic, so two runs of the same code give the same number.

import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { ROOT, buildAS, buildExe, serve, v8Serve } from "../harness.ts";

const dir = join(ROOT, "tests/ts2native/perf");
/** The argument of the checked `run` call: small, so that V8 and the check stay quick. */
const CHECK_ARG = "00000002";

function irOf(exe: string): number {
  const r = spawnSync("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", exe], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${exe}: exit ${r.status}\n${r.stderr}`);
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (!m) throw new Error(`${exe}: no Ir in callgrind output\n${r.stderr}`);
  return Number(m[1]);
}

const wanted = process.argv.slice(2);
const kernels = readdirSync(dir).filter((f) => f.endsWith(".as")).map((f) => basename(f, ".as")).filter((k) => wanted.length === 0 || wanted.includes(k));
let failed = false;
for (const k of kernels.sort()) {
  const wasm = buildAS(join(dir, k + ".as"));
  const exe = buildExe(wasm);
  const cmds = [`C 00 ${CHECK_ARG}`];
  const got = serve(exe, cmds).join(" | ");
  const want = v8Serve(wasm, cmds).join(" | ");
  if (got !== want) {
    console.log(`perf: ${k} WRONG: native ${got}, V8 ${want}`);
    failed = true;
    continue;
  }
  console.log(`perf: ${k} ${irOf(exe)}`);
}
process.exit(failed ? 1 : 0);
