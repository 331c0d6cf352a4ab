// `ts2native fuzz-exec FILE.wasm`: compiles the module natively (`ts2native exe`, cached under
// build/fuzz/cache), runs its exports the way `wasm-opt --fuzz-exec-before` does, and prints the
// same lines ([fuzz-exec] export …, [LoggingExternalInterface logging …], [fuzz-exec] note
// result: …, [trap …]) so the output diffs against binaryen's interpreter and V8 (tools/fuzz).
// The logic lives in tools/fuzz/fuzz-exec.ts and tools/wasm-spec (engine drivers); this module
// is the command-line entry, registered in cli.ts. Errors: "ts2native: fuzz-exec: …", exit 1.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fuzzExecLines } from "../../fuzz/fuzz-exec.ts";
import { NativeCompiler, REPO_ROOT } from "../../wasm-spec/native-compiler.ts";
import { NativeEngine } from "../../wasm-spec/native-engine.ts";

const USAGE = "usage: ts2native fuzz-exec FILE.wasm";

async function run(args: readonly string[]): Promise<number> {
  const fail = (msg: string): number => {
    process.stderr.write(`ts2native: fuzz-exec: ${msg}\n`);
    return 1;
  };
  if (args.length !== 1 || args[0]!.startsWith("-")) return fail(`expected one FILE.wasm argument\n${USAGE}`);
  const file = args[0]!;
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    return fail(`${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const engine = new NativeEngine(new NativeCompiler(join(REPO_ROOT, "build", "fuzz", "cache")));
  try {
    const lines = await fuzzExecLines(engine, bytes, file);
    process.stdout.write(lines.map((l) => l + "\n").join(""));
    return 0;
  } catch (e) {
    return fail(`${file}: ${e instanceof Error ? e.message : String(e)}`);
  } finally {
    await engine.close();
  }
}

/** cli.ts handler: runs asynchronously and sets the exit status when done. */
export function fuzzExecCommand(args: string[]): void {
  void run(args).then((code) => {
    process.exitCode = code;
  });
}
