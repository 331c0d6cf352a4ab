// `make spec`: converts the spec suite with wast2json, runs every script on an engine, prints
// per-script counts and failures, and ends with exactly `spec: N passed, N failed[, N skipped]`.
// Exit status 1 if anything failed, 2 on bad usage or unusable input.
//
//   tsx tools/wasm-spec/main.ts [--engine native|v8] [--suite DIR] [--out DIR] [--filter TEXT]
//                               [--max-failures N]

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { convertScript, listScripts } from "./convert.ts";
import { type Engine } from "./engine.ts";
import { SPECTEST } from "./hosts.ts";
import { NativeCompiler } from "./native-compiler.ts";
import { NativeEngine } from "./native-engine.ts";
import { add, countsText, fullLogLines, scriptBlock, skipSummary, tally, type Tally } from "./report.ts";
import { type Outcome, ScriptRunner } from "./runner.ts";
import { parseScript } from "./script.ts";
import { conflictFor } from "./suite-conflicts.ts";
import { V8Engine } from "./v8-engine.ts";

interface Options {
  engine: "native" | "v8";
  suite: string;
  out: string;
  filter: string | undefined;
  maxFailures: number;
}

function usage(msg: string): never {
  process.stderr.write(`wasm-spec: ${msg}\nusage: main.ts [--engine native|v8] [--suite DIR] [--out DIR] [--filter TEXT] [--max-failures N]\n`);
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { engine: "native", suite: "../shared/wasm-testsuite", out: "build/spec", filter: undefined, maxFailures: 20 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (value === undefined) usage(`${flag} needs a value`);
    i++;
    if (flag === "--engine") {
      if (value !== "native" && value !== "v8") usage(`unknown engine '${value}' (native or v8)`);
      o.engine = value;
    } else if (flag === "--suite") o.suite = value;
    else if (flag === "--out") o.out = value;
    else if (flag === "--filter") o.filter = value;
    else if (flag === "--max-failures") {
      if (!/^[0-9]+$/.test(value)) usage(`--max-failures needs a number, got '${value}'`);
      o.maxFailures = Number(value);
    } else usage(`unknown option '${flag}'`);
  }
  return o;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  let scripts;
  try {
    scripts = listScripts(opts.suite).filter((s) => !opts.filter || s.wast.includes(opts.filter));
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  if (scripts.length === 0) usage(`no .wast scripts under ${opts.suite} match`);

  const compiler = opts.engine === "native" ? new NativeCompiler(join(opts.out, "cache")) : undefined;
  // One engine per script: V8's spectest table and memory are shared within a script only.
  const makeEngine = (): Engine =>
    compiler ? new NativeEngine(compiler) : new V8Engine(new Map([["spectest", SPECTEST]]));

  let total: Tally = { passed: 0, failed: 0, skipped: 0 };
  const all: { name: string; outcome: Outcome }[] = [];
  const log: string[] = [];
  const started = Date.now();
  for (const s of scripts) {
    let converted;
    try {
      converted = convertScript(s.folder, s.wast, join(opts.out, "json"));
    } catch (e) {
      process.stderr.write(`wasm-spec: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
    const script = parseScript(readFileSync(converted.json, "utf8"), converted.json);
    const engine = makeEngine();
    const skipLine = (line: number): string | undefined => conflictFor(converted.name, line, opts.engine);
    const outcomes = await new ScriptRunner(engine, converted.dir, skipLine).run(script);
    await engine.close();
    for (const line of scriptBlock(converted.name, outcomes, opts.maxFailures)) console.log(line);
    log.push(...fullLogLines(converted.name, outcomes));
    all.push(...outcomes.map((outcome) => ({ name: converted.name, outcome })));
    total = add(total, tally(outcomes));
  }
  const logFile = join(opts.out, `${opts.engine}-log.txt`);
  writeFileSync(logFile, log.join("\n") + "\n");
  const skips = skipSummary(all);
  if (skips.length) console.log(`skipped commands by reason (${opts.engine}):`);
  for (const line of skips) console.log(line);
  console.log(`every failure and skip: ${logFile}; ${((Date.now() - started) / 1000).toFixed(1)} s, engine ${opts.engine}`);
  console.log(`spec: ${countsText(total)}`);
  return total.failed > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`wasm-spec: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
