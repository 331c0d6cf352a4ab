// `make fuzz` / `make test-fuzz`: differential fuzzing of ts2native against binaryen's interpreter
// and V8. Each module runs on every engine the fuzz-exec way (fuzz-exec.ts); the normalized
// outputs must agree line for line (normalize.ts). A mismatch is saved as a regression
// (tests/fuzz/regressions/seed-<seed>.wasm + .txt) when --save is given; --replay reruns every
// saved one. Last line: `fuzz: N modules, N agree, N mismatched, N inconclusive`.
// Exit status 1 on any mismatch or engine failure, 2 on bad usage.
//
//   tsx tools/fuzz/main.ts [--count N] [--seed S] [--engines binaryen,v8,native] [--save]
//                          [--replay] [--regressions DIR] [--out DIR]

import { randomInt } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Engine } from "../wasm-spec/engine.ts";
import { FUZZING_SUPPORT } from "../wasm-spec/hosts.ts";
import { NativeCompiler } from "../wasm-spec/native-compiler.ts";
import { NativeEngine } from "../wasm-spec/native-engine.ts";
import { V8Engine } from "../wasm-spec/v8-engine.ts";
import { FuzzCache } from "./cache.ts";
import { type Case, regressionCases, saveRegression } from "./regressions.ts";
import { fuzzExecLines } from "./fuzz-exec.ts";
import { describeDifference, firstDifference, normalizeBinaryen, protocolLines } from "./normalize.ts";

type EngineName = "binaryen" | "v8" | "native";

interface Options {
  count: number;
  seed: number | undefined;
  engines: EngineName[];
  save: boolean;
  replay: boolean;
  regressions: string;
  out: string;
}

function usage(msg: string): never {
  process.stderr.write(
    `fuzz: ${msg}\nusage: main.ts [--count N] [--seed S] [--engines binaryen,v8,native] [--save] [--replay] [--regressions DIR] [--out DIR]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { count: 0, seed: undefined, engines: ["binaryen", "v8", "native"], save: false, replay: false, regressions: "tests/fuzz/regressions", out: "build/fuzz" };
  const num = (flag: string, v: string | undefined): number => {
    if (v === undefined || !/^[0-9]+$/.test(v)) usage(`${flag} needs a non-negative integer, got '${v ?? ""}'`);
    return Number(v);
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === "--save") o.save = true;
    else if (flag === "--replay") o.replay = true;
    else if (flag === "--count") o.count = num(flag, argv[++i]);
    else if (flag === "--seed") o.seed = num(flag, argv[++i]);
    else if (flag === "--regressions") o.regressions = argv[++i] ?? usage("--regressions needs a folder");
    else if (flag === "--out") o.out = argv[++i] ?? usage("--out needs a folder");
    else if (flag === "--engines") {
      const list = (argv[++i] ?? "").split(",");
      for (const e of list) if (e !== "binaryen" && e !== "v8" && e !== "native") usage(`unknown engine '${e}'`);
      if (list.length < 2) usage("--engines needs at least two engines to compare");
      o.engines = list as EngineName[];
    } else usage(`unknown option '${flag}'`);
  }
  if (o.count === 0 && !o.replay) usage("nothing to do: give --count N and/or --replay");
  return o;
}

type Verdict = { kind: "agree" } | { kind: "inconclusive"; why: string } | { kind: "mismatch"; report: string };

class Fuzzer {
  private readonly compiler: NativeCompiler | undefined;
  readonly cache: FuzzCache;

  constructor(private readonly opts: Options) {
    this.compiler = opts.engines.includes("native") ? new NativeCompiler(join(opts.out, "cache")) : undefined;
    this.cache = new FuzzCache(opts.out);
  }

  private async engineLines(name: EngineName, file: string): Promise<{ lines: string[]; inconclusive?: string }> {
    if (name === "binaryen") return normalizeBinaryen(protocolLines(this.cache.reference(file)));
    const engine: Engine =
      name === "v8" ? new V8Engine(new Map([["fuzzing-support", FUZZING_SUPPORT]])) : new NativeEngine(this.compiler!);
    try {
      return { lines: await fuzzExecLines(engine, new Uint8Array(readFileSync(file)), file) };
    } finally {
      await engine.close();
    }
  }

  async judge(c: Case): Promise<Verdict> {
    const outputs = new Map<EngineName, string[]>();
    for (const name of this.opts.engines) {
      try {
        const r = await this.engineLines(name, c.file);
        if (r.inconclusive) return { kind: "inconclusive", why: r.inconclusive };
        outputs.set(name, r.lines);
      } catch (e) {
        return { kind: "mismatch", report: `${name} failed: ${e instanceof Error ? e.message : String(e)}` };
      }
    }
    const [refName, ...others] = this.opts.engines;
    const ref = outputs.get(refName!)!;
    const reports: string[] = [];
    for (const other of others) {
      const lines = outputs.get(other)!;
      const at = firstDifference(ref, lines);
      if (at >= 0) reports.push(`${refName} vs ${other}: ${describeDifference(refName!, ref, other, lines, at)}`);
    }
    return reports.length ? { kind: "mismatch", report: reports.join("\n") } : { kind: "agree" };
  }
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  mkdirSync(opts.out, { recursive: true });
  const fuzzer = new Fuzzer(opts);
  const firstSeed = opts.seed ?? randomInt(0, 2 ** 40);
  if (opts.count > 0) console.log(`fuzz: seeds ${firstSeed}..${firstSeed + opts.count - 1}, engines ${opts.engines.join(", ")}`);

  const counts = { modules: 0, agree: 0, mismatched: 0, inconclusive: 0 };
  const run = async (c: Case): Promise<void> => {
    counts.modules++;
    const v = await fuzzer.judge(c);
    if (v.kind === "agree") counts.agree++;
    else if (v.kind === "inconclusive") {
      counts.inconclusive++;
      console.log(`INCONCLUSIVE ${c.label}: ${v.why}`);
    } else {
      counts.mismatched++;
      const saved = opts.save && c.seed !== undefined && !c.isRegression ? ` (saved as ${saveRegression(opts.regressions, c.seed, c.file, v.report)})` : "";
      console.log(`MISMATCH ${c.label}${saved}:\n${v.report.replace(/^/gm, "  ")}`);
    }
  };

  if (opts.replay) for (const c of regressionCases(opts.regressions)) await run(c);
  for (let i = 0; i < opts.count; i++) {
    const seed = firstSeed + i;
    const file = join(opts.out, `seed-${seed}.wasm`);
    try {
      await fuzzer.cache.module(seed, file);
    } catch (e) {
      process.stderr.write(`fuzz: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
    await run({ label: `seed ${seed}`, file, seed, isRegression: false });
  }
  console.log(`fuzz: ${counts.modules} modules, ${counts.agree} agree, ${counts.mismatched} mismatched, ${counts.inconclusive} inconclusive`);
  return counts.mismatched > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`fuzz: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
