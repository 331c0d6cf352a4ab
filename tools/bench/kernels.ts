// ts2native code speed on eight wasm kernels against V8 and wasm2c + gcc -O2 (DESIGN.md §5,
// tools/bench/README.md). Run by `make bench-ts2native-kernels`, which builds for each kernel:
//   build/bench/NAME.wasm   asc -O3 --runtime stub (tools/bench/kernels/NAME.as)
//   build/bench/NAME.t2n    ts2native exe (the serve protocol)
//   build/bench/NAME.w2c    wasm2c -n bench + gcc -O2 + tools/bench/wasm2c-driver.c
// and V8 runs NAME.wasm through tools/bench/v8-serve.ts. All three are long-lived processes that
// answer `C <export> <arg>` lines, so start-up and compilation are never in a timing. A call's
// cost is the CPU time of the engine's main thread for the command (/proc/PID/schedstat; immune
// to waiting for a CPU on the shared machine), minus the median for the null export `nop` measured
// in the same rounds; wall-clock round trips are printed as a cross-check. Rounds interleave the
// engines (rotating which goes first); figures are medians. Instruction counts: callgrind.
//
// usage: tsx tools/bench/kernels.ts [NAME...]
//   env BENCH_ROUNDS (default 21), BENCH_WARMUP (default 2), BENCH_VALGRIND=0 (skip counts),
//   BENCH_OUT (default build/bench: where the kernels were built)

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { benchLine, formatRatio, geomean, median, netTime, parseCallgrindIr, relativeMad, roundOrder } from "./stats.ts";

const ROOT = resolve(import.meta.dirname, "../..");
// The build directory's bench folder: mk/bench.mk passes $(BUILD)/bench, so a private
// `make BUILD=build-x …` measures its own executables.
const OUT = resolve(ROOT, process.env["BENCH_OUT"] ?? "build/bench");

interface Kernel {
  name: string;
  /** run(n): chosen so that one call takes ~10-30 ms natively (and ~1 s under callgrind). */
  n: number;
}

/** The kernels, in print order. The names must match BENCH_KERNELS in mk/bench.mk. */
const KERNELS: readonly Kernel[] = [
  { name: "crc32", n: 64 },
  { name: "pagewalk", n: 8 },
  { name: "sha256", n: 64 },
  { name: "sieve", n: 3 },
  { name: "quicksort", n: 1 },
  { name: "matmul", n: 4 },
  { name: "matmul_f64", n: 12 },
  { name: "ept", n: 32 },
];

type EngineId = "ts2native" | "v8" | "wasm2c_gcc";
const ENGINES: readonly EngineId[] = ["ts2native", "v8", "wasm2c_gcc"];

interface Reply {
  /** Result as the protocol prints it (8 hex digits for an i32). */
  result: string;
  /** Round trip seen by this process, ns. */
  rttNs: number;
  /** CPU time the engine's main thread spent on the command, ns (/proc/PID/schedstat). */
  cpuNs: number;
  /** The engine's own time of the call, ns (V8 and wasm2c drivers only). */
  innerNs: number | undefined;
}

const CALL_TIMEOUT_MS = 120_000;
const VALGRIND_TIMEOUT_MS = 300_000;

/** One engine process speaking the serve protocol. */
class Engine {
  private readonly waiting: { resolve: (line: string, atNs: bigint) => void; reject: (e: Error) => void }[] = [];
  private stderr = "";
  private exited: string | undefined;

  private constructor(readonly id: EngineId, private readonly proc: ChildProcessWithoutNullStreams) {
    const rl = createInterface({ input: proc.stdout, crlfDelay: Infinity });
    rl.on("line", (line: string) => {
      const at = process.hrtime.bigint();
      if (line.startsWith("P ")) return; // prints by imports (none in these kernels)
      const w = this.waiting.shift();
      if (w === undefined) this.stderr += `(unexpected output: ${line})\n`;
      else w.resolve(line, at);
    });
    proc.stderr.on("data", (d: Buffer) => { this.stderr += d.toString(); });
    proc.on("exit", (code, signal) => {
      this.exited = `exited with ${code ?? signal}`;
      for (const w of this.waiting.splice(0)) w.reject(this.error(this.exited));
    });
  }

  static async start(id: EngineId, cmd: string, args: string[]): Promise<Engine> {
    const e = new Engine(id, spawn(cmd, args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] }));
    const first = await e.next();
    if (first.line !== "I ok") throw e.error(`did not start: "${first.line}"`);
    return e;
  }

  error(what: string): Error {
    return new Error(`${this.id}: ${what}${this.stderr ? `\n${this.stderr.trimEnd()}` : ""}`);
  }

  private next(): Promise<{ line: string; atNs: bigint }> {
    return new Promise((resolvePromise, reject) => {
      if (this.exited !== undefined) { reject(this.error(this.exited)); return; }
      const timer = setTimeout(() => reject(this.error("no reply in time")), CALL_TIMEOUT_MS);
      this.waiting.push({
        resolve: (line, atNs) => { clearTimeout(timer); resolvePromise({ line, atNs }); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      });
    });
  }

  /**
   * Nanoseconds the engine's main thread has been on a CPU. The kernel brings this sum up to date
   * when the thread leaves the CPU, so it is read once the thread sleeps (waiting for the next
   * command); a thread still runnable after ~50 ms of polling is read as it is.
   */
  private cpuNs(): bigint {
    const pid = this.proc.pid;
    if (pid === undefined) throw this.error("no pid");
    if (!existsSync(`/proc/${pid}/schedstat`)) throw this.error(`/proc/${pid}/schedstat is missing: the kernel lacks CONFIG_SCHED_INFO, which the CPU-time figures need`);
    for (let i = 0; i < 5000; i++) {
      const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      if (state !== "R") break;
    }
    const f = readFileSync(`/proc/${pid}/schedstat`, "latin1").split(" ");
    return BigInt(f[0]!);
  }

  async call(exportIndex: number, arg: number): Promise<Reply> {
    const reply = this.next();
    const c0 = this.cpuNs();
    const t0 = process.hrtime.bigint();
    this.proc.stdin.write(`C ${exportIndex.toString(16)} ${(arg >>> 0).toString(16)}\n`);
    const { line, atNs } = await reply;
    const c1 = this.cpuNs();
    const f = line.split(" ");
    if (f[0] !== "R" || f[1] === undefined) throw this.error(`call of export ${exportIndex} answered "${line}"`);
    return { result: f[1], rttNs: Number(atNs - t0), cpuNs: Number(c1 - c0), innerNs: f[2] === undefined ? undefined : Number(f[2]) };
  }

  /** Ends the session (Q); an engine still busy after 2 s (a hung call) is killed. */
  async close(): Promise<void> {
    if (this.exited !== undefined) return;
    const done = new Promise<void>((r) => this.proc.once("exit", () => r()));
    this.proc.stdin.end("Q\n");
    const timer = setTimeout(() => { this.proc.kill("SIGKILL"); }, 2000);
    await done;
    clearTimeout(timer);
  }
}

function exportIndices(wasm: string): { run: number; nop: number } {
  const names = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(wasm))).map((e) => e.name);
  const run = names.indexOf("run");
  const nop = names.indexOf("nop");
  if (run < 0 || nop < 0 || run > 15 || nop > 15) throw new Error(`${wasm}: needs exports run and nop (indices < 16), has ${names.join(", ")}`);
  return { run, nop };
}

function startEngine(id: EngineId, name: string, idx: { run: number; nop: number }): Promise<Engine> {
  switch (id) {
    case "ts2native": return Engine.start(id, join(OUT, `${name}.t2n`), ["--serve"]);
    case "v8": return Engine.start(id, process.execPath, ["--no-liftoff", "--import", "tsx", join(ROOT, "tools/bench/v8-serve.ts"), join(OUT, `${name}.wasm`)]);
    case "wasm2c_gcc": return Engine.start(id, join(OUT, `${name}.w2c`), [String(idx.run), String(idx.nop)]);
  }
}

/** Per engine: round trips (wall) and CPU times of run and nop, the engine's own timings of run. */
interface Samples { run: number[]; nop: number[]; runCpu: number[]; nopCpu: number[]; inner: number[] }

/** Runs `cmd` under callgrind with the given serve commands; returns (Ir, reply lines). */
function callgrind(cmd: string, args: string[], input: string): Promise<{ ir: bigint; stdout: string }> {
  return new Promise((resolvePromise, reject) => {
    const p = spawn("valgrind", ["--tool=callgrind", "--callgrind-out-file=/dev/null", cmd, ...args], { cwd: ROOT, timeout: VALGRIND_TIMEOUT_MS, killSignal: "SIGKILL" });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    p.on("error", reject);
    p.on("exit", (code, signal) => {
      if (code !== 0) { reject(new Error(`valgrind ${cmd} exited with ${code ?? signal}:\n${stderr.slice(-2000)}`)); return; }
      try { resolvePromise({ ir: parseCallgrindIr(stderr), stdout }); } catch (e) { reject(e as Error); }
    });
    p.stdin.end(input);
  });
}

/** Instructions of one run(n) call: Ir(process calling run) - Ir(same process calling nop). */
async function countInstructions(cmd: string, args: string[], idx: { run: number; nop: number }, n: number, expect: string): Promise<bigint> {
  const arg = n.toString(16);
  const [withRun, withNop] = await Promise.all([
    callgrind(cmd, args, `C ${idx.run.toString(16)} ${arg}\nQ\n`),
    callgrind(cmd, args, `C ${idx.nop.toString(16)} ${arg}\nQ\n`),
  ]);
  const got = withRun.stdout.split("\n").find((l) => l.startsWith("R "))?.split(" ")[1];
  if (got !== expect) throw new Error(`${cmd} under valgrind returned ${got ?? "nothing"}, expected ${expect}`);
  return withRun.ir - withNop.ir;
}

function envInt(name: string, def: number, min: number): number {
  const v = process.env[name];
  if (v === undefined || v === "") return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${v}: expected an integer >= ${min}`);
  return n;
}

async function main(): Promise<number> {
  const rounds = envInt("BENCH_ROUNDS", 21, 1);
  const warmup = envInt("BENCH_WARMUP", 2, 0);
  const valgrind = process.env["BENCH_VALGRIND"] !== "0";
  const wanted = process.argv.slice(2);
  for (const w of wanted) if (!KERNELS.some((k) => k.name === w)) throw new Error(`unknown kernel ${w}`);
  const kernels = KERNELS.filter((k) => wanted.length === 0 || wanted.includes(k.name));

  const ratios: Ratios = { wasm2c_gcc: [], v8: [], instructions: [] };
  let failures = 0;
  console.log(`# ts2native kernels: ${rounds} interleaved rounds after ${warmup} warm-up calls per engine; figures are medians of CPU time of run minus CPU time of nop`);

  for (const k of kernels) {
    try {
      failures += await benchKernel(k, rounds, warmup, valgrind, ratios);
    } catch (e) {
      failures++;
      const msg = e instanceof Error ? e.message : String(e);
      console.log(`# FAIL ${k.name}: ${msg.split("\n")[0]}`);
      console.error(`bench-ts2native-kernels: ${k.name}: ${msg}`);
    }
  }

  if (failures === 0 && ratios.wasm2c_gcc.length > 0) {
    console.log(benchLine("ts2native.geomean.vs_wasm2c_gcc", formatRatio(geomean(ratios.wasm2c_gcc)), "ratio"));
    console.log(benchLine("ts2native.geomean.vs_v8", formatRatio(geomean(ratios.v8)), "ratio"));
    if (ratios.instructions.length > 0) {
      console.log(benchLine("ts2native.geomean.instructions_vs_wasm2c_gcc", formatRatio(geomean(ratios.instructions)), "ratio"));
    }
  }
  if (failures > 0) console.error(`bench-ts2native-kernels: ${failures} kernel(s) failed (no geomeans printed)`);
  return failures > 0 ? 1 : 0;
}

type Ratios = Record<"wasm2c_gcc" | "v8" | "instructions", number[]>;

/** Times one kernel on the three engines and counts its instructions; returns 1 on a checksum mismatch. */
async function benchKernel(k: Kernel, rounds: number, warmup: number, valgrind: boolean, ratios: Ratios): Promise<number> {
  const wasm = join(OUT, `${k.name}.wasm`);
  for (const f of [wasm, join(OUT, `${k.name}.t2n`), join(OUT, `${k.name}.w2c`)]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`make bench-ts2native-kernels\``);
  }
  const idx = exportIndices(wasm);
  const started = await Promise.allSettled(ENGINES.map((id) => startEngine(id, k.name, idx)));
  const engines = started.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed !== undefined) {
    await Promise.all(engines.map((e) => e.close()));
    throw failed.reason;
  }
  const samples = new Map<EngineId, Samples>(ENGINES.map((id) => [id, { run: [], nop: [], runCpu: [], nopCpu: [], inner: [] }]));
  const results = new Map<EngineId, Set<string>>(ENGINES.map((id) => [id, new Set<string>()]));
  const nopArg = 0x5a5a5a5a;
  const nopExpect = nopArg.toString(16).padStart(8, "0");
  try {
    for (const e of engines) for (let i = 0; i < warmup; i++) results.get(e.id)!.add((await e.call(idx.run, k.n)).result);
    for (let r = 0; r < rounds; r++) {
      for (const e of roundOrder(engines, r)) {
        const s = samples.get(e.id)!;
        const z = await e.call(idx.nop, nopArg);
        if (z.result !== nopExpect) throw e.error(`nop returned ${z.result}, expected ${nopExpect}`);
        s.nop.push(z.rttNs);
        s.nopCpu.push(z.cpuNs);
        const c = await e.call(idx.run, k.n);
        results.get(e.id)!.add(c.result);
        s.run.push(c.rttNs);
        s.runCpu.push(c.cpuNs);
        if (c.innerNs !== undefined) s.inner.push(c.innerNs);
      }
    }
  } finally {
    await Promise.all(engines.map((e) => e.close()));
  }

  // The checksum: every call of every engine must agree.
  const all = new Set(ENGINES.flatMap((id) => [...results.get(id)!]));
  if (all.size !== 1) {
    const per = ENGINES.map((id) => `${id}=${[...results.get(id)!].join("/")}`).join(" ");
    console.log(`# FAIL ${k.name}: checksum mismatch: ${per}`);
    console.error(`bench-ts2native-kernels: ${k.name}: checksum mismatch between engines: ${per}`);
    return 1;
  }
  const checksum = [...all][0]!;

  // The figures: CPU time (immune to waiting for a CPU on a loaded machine); wall-clock round
  // trips are printed alongside as a cross-check.
  const cpu = new Map<EngineId, number>(ENGINES.map((id) => [id, netTime(samples.get(id)!.runCpu, samples.get(id)!.nopCpu)]));
  const wall = new Map<EngineId, number>(ENGINES.map((id) => [id, netTime(samples.get(id)!.run, samples.get(id)!.nop)]));
  const vsW2c = cpu.get("ts2native")! / cpu.get("wasm2c_gcc")!;
  const vsV8 = cpu.get("ts2native")! / cpu.get("v8")!;
  ratios.wasm2c_gcc.push(vsW2c);
  ratios.v8.push(vsV8);
  const ms = (ns: number): string => (ns / 1e6).toFixed(2);
  const detail = ENGINES.map((id) => {
    const s = samples.get(id)!;
    const inner = s.inner.length > 0 ? `, own timer ${ms(median(s.inner))}` : "";
    return `${id} cpu ${ms(cpu.get(id)!)} ms ±${(100 * relativeMad(s.runCpu)).toFixed(1)}% (wall ${ms(wall.get(id)!)} ±${(100 * relativeMad(s.run)).toFixed(1)}%${inner})`;
  }).join("; ");
  const wallRatios = `wall-clock ratios: vs_wasm2c_gcc ${formatRatio(wall.get("ts2native")! / wall.get("wasm2c_gcc")!)}, vs_v8 ${formatRatio(wall.get("ts2native")! / wall.get("v8")!)}`;
  console.log(`# ${k.name} run(${k.n}) = ${checksum}: ${detail}`);
  console.log(`# ${k.name} ${wallRatios}`);
  console.log(benchLine(`ts2native.${k.name}.vs_wasm2c_gcc`, formatRatio(vsW2c), "ratio"));
  console.log(benchLine(`ts2native.${k.name}.vs_v8`, formatRatio(vsV8), "ratio"));

  if (valgrind) {
    const [irT, irW] = await Promise.all([
      countInstructions(join(OUT, `${k.name}.t2n`), ["--serve"], idx, k.n, checksum),
      countInstructions(join(OUT, `${k.name}.w2c`), [String(idx.run), String(idx.nop), "--no-timer"], idx, k.n, checksum),
    ]);
    ratios.instructions.push(Number(irT) / Number(irW));
    console.log(benchLine(`ts2native.${k.name}.instructions`, irT, "instructions"));
    console.log(benchLine(`wasm2c_gcc.${k.name}.instructions`, irW, "instructions"));
  }
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`bench-ts2native-kernels: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
