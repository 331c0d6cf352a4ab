// ts2native command line. Subcommands are a table (name -> handler) so that others can register
// one with a single line. Errors: "ts2native: FILE: <where>, offset 0x..: <what>", exit 1, and no
// output file is left behind (outputs are written to a temporary name and renamed at the end).

import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { compileModule } from "./compile.ts";
import { CompileError, UsageError } from "./errors.ts";
import { linkExecutable } from "./exe.ts";

// the compiler itself, for in-process users of the bundled CLI (bin/load.mjs, tests/ts2native/bench.ts)
export { compileModule };

type Handler = (args: string[]) => void;

const USAGE = `usage:
  ts2native compile FILE.wasm -o FILE.asm   NASM source for the bare-metal image (docs/native-abi.md)
  ts2native exe FILE.wasm -o FILE [--asm F] static Linux x86-64 executable (tools/ts2native/README.md)`;

function parseIO(args: string[], extra: string[] = []): { input: string; output: string; opts: Map<string, string> } {
  let input: string | null = null;
  let output: string | null = null;
  const opts = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-o" || extra.includes(a)) {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      if (a === "-o") output = v;
      else opts.set(a, v);
    } else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (input === null) input = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (input === null) throw new UsageError("missing input FILE.wasm");
  if (output === null) throw new UsageError("missing -o OUTPUT");
  return { input, output, opts };
}

function readInput(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`${path}: cannot read: ${(e as Error).message}`);
  }
}

/** Runs f with the input file name attached to compile errors. */
function located<T>(input: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CompileError || e instanceof UsageError) throw new UsageError(`${input}: ${e.message}`);
    throw e;
  }
}

export const COMMANDS: Record<string, Handler> = {
  "fuzz-exec": (args) => void import("./fuzz-exec.ts").then((m) => m.fuzzExecCommand(args)), // tools/fuzz (spec/fuzz engineer)
  compile(args) {
    const { input, output } = parseIO(args);
    const { asm } = located(input, () => compileModule(readInput(input), "bare"));
    const tmp = `${output}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, asm);
      renameSync(tmp, output);
    } finally {
      rmSync(tmp, { force: true });
    }
  },
  exe(args) {
    const { input, output, opts } = parseIO(args, ["--asm"]);
    located(input, () => {
      const { asm, module } = compileModule(readInput(input), "linux");
      linkExecutable(asm, module, output, opts.get("--asm") ?? null);
    });
  },
};

export function main(argv: string[]): number {
  const [cmd, ...rest] = argv;
  const handler = cmd !== undefined ? COMMANDS[cmd] : undefined;
  if (!handler) {
    process.stderr.write(`${cmd === undefined || cmd === "-h" || cmd === "--help" ? "" : `ts2native: unknown command "${cmd}"\n`}${USAGE}\n`);
    return cmd === "-h" || cmd === "--help" ? 0 : 1;
  }
  try {
    handler(rest);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof CompileError) {
      process.stderr.write(`ts2native: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`ts2native: internal error: ${(e as Error).stack ?? String(e)}\n`);
    return 1;
  }
}

if (process.argv[1] && /cli\.ts$/.test(process.argv[1])) process.exitCode = main(process.argv.slice(2));
