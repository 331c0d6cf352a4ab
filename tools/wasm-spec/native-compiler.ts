// Compiles wasm modules into native executables with `ts2native exe`, caching by content hash.
//
// The cache key is the module's bytes, in a folder named by a fingerprint of the whole back end
// (every file under tools/ts2native/{bin,src,runtime}), so any change to the compiler or its runtimes
// recompiles everything, and an unchanged tree reruns from the cache. A clean rejection (non-zero
// exit with a message, no crash) is cached too; crashes and timeouts are not.

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

export type NativeCompileResult =
  | { readonly kind: "ok"; readonly exe: string }
  | { readonly kind: "rejected"; readonly message: string }
  /** ts2native crashed, hung or could not run: an engine failure, never a rejection. */
  | { readonly kind: "error"; readonly message: string };

export const REPO_ROOT = join(import.meta.dirname, "..", "..");
export const TS2NATIVE_BIN = join(REPO_ROOT, "tools", "ts2native", "bin", "ts2native.js");

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    return d.isDirectory() ? listFiles(p) : d.isFile() ? [p] : [];
  });
}

/** Hash of every back-end source and runtime file (path and content). */
export function toolchainFingerprint(root = REPO_ROOT): string {
  const h = createHash("sha256");
  for (const sub of ["bin", "src", "runtime"]) {
    for (const f of listFiles(join(root, "tools", "ts2native", sub)).sort()) {
      h.update(relative(root, f)).update("\0").update(readFileSync(f)).update("\0");
    }
  }
  return h.digest("hex");
}

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly timedOut: boolean;
}

function run(file: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let timedOut = false;
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => (stderr = (stderr + c).slice(-8000)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stderr: e.message, timedOut });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, timedOut });
    });
  });
}

/** A Node stack trace in stderr means ts2native threw an internal error rather than rejecting. */
function looksLikeCrash(stderr: string): boolean {
  return /internal error/.test(stderr) || /^\s+at .+[:(]/m.test(stderr);
}

/** Compiles wasm bytes into an executable at `output`; throws CompileError/UsageError to reject. */
type LibraryCompile = (bytes: Uint8Array, output: string) => void;

/**
 * ts2native's compiler as a library (src/compile.ts compileModule + src/exe.ts linkExecutable),
 * so that a spec run compiles its thousands of modules in one process instead of starting Node
 * for each. Undefined when the back end does not offer it (then `ts2native exe` is spawned).
 */
async function loadLibrary(): Promise<LibraryCompile | undefined> {
  if (process.env["TS2NATIVE_SPAWN"] === "1") return undefined;
  try {
    const compile = (await import(join(REPO_ROOT, "tools/ts2native/src/compile.ts"))) as Record<string, unknown>;
    const exe = (await import(join(REPO_ROOT, "tools/ts2native/src/exe.ts"))) as Record<string, unknown>;
    const compileModule = compile["compileModule"];
    const linkExecutable = exe["linkExecutable"];
    if (typeof compileModule !== "function" || typeof linkExecutable !== "function") return undefined;
    return (bytes, output) => {
      const r = compileModule(bytes, "linux") as { asm: string; module: unknown };
      linkExecutable(r.asm, r.module, output, null);
    };
  } catch {
    return undefined;
  }
}

/**
 * ts2native's own error classes mean "rejected" — except when the assembler or linker failed on
 * the generated code: that is a back-end bug, not a verdict on the module (it must not count as
 * rejecting an invalid module). Anything else is a compiler crash.
 */
function isRejection(e: unknown): e is Error {
  return e instanceof Error && (e.name === "CompileError" || e.name === "UsageError") && !TOOL_FAILURE.test(e.message);
}

const TOOL_FAILURE = /(^|: )(nasm|ld\.lld) failed/;

export class NativeCompiler {
  private readonly fingerprint: string;
  private library: Promise<LibraryCompile | undefined> | undefined;
  private readonly dir: string;

  constructor(
    cacheDir: string,
    private readonly timeoutMs = 120_000,
  ) {
    this.fingerprint = toolchainFingerprint();
    // One folder per back-end version; folders of other versions can never hit again.
    mkdirSync(cacheDir, { recursive: true });
    const current = this.fingerprint.slice(0, 16);
    for (const d of readdirSync(cacheDir)) if (d !== current) rmSync(join(cacheDir, d), { recursive: true, force: true });
    this.dir = join(cacheDir, current);
    mkdirSync(this.dir, { recursive: true });
  }

  static available(): boolean {
    return existsSync(TS2NATIVE_BIN);
  }

  async compile(bytes: Uint8Array, origin: string): Promise<NativeCompileResult> {
    const key = createHash("sha256").update(bytes).digest("hex").slice(0, 40);
    const base = join(this.dir, key);
    if (existsSync(base + ".exe")) return { kind: "ok", exe: base + ".exe" };
    if (existsSync(base + ".rejected")) {
      const message = readFileSync(base + ".rejected", "utf8");
      if (!TOOL_FAILURE.test(message)) return { kind: "rejected", message };
      rmSync(base + ".rejected"); // recorded by an older harness that counted tool failures as rejections
    }
    if (!NativeCompiler.available()) return { kind: "error", message: `${relative(REPO_ROOT, TS2NATIVE_BIN)} does not exist (back end not built yet)` };

    writeFileSync(base + ".wasm", bytes);
    const tmp = `${base}.tmp${process.pid}`;
    rmSync(tmp, { force: true });
    this.library ??= loadLibrary();
    const lib = await this.library;
    if (lib) {
      try {
        lib(bytes, tmp);
      } catch (e) {
        rmSync(tmp, { force: true });
        if (!isRejection(e)) return { kind: "error", message: `ts2native crashed on ${origin}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` };
        writeFileSync(base + ".rejected", e.message);
        return { kind: "rejected", message: e.message };
      }
      renameSync(tmp, base + ".exe");
      return { kind: "ok", exe: base + ".exe" };
    }
    const r = await run(process.execPath, [TS2NATIVE_BIN, "exe", base + ".wasm", "-o", tmp], this.timeoutMs);
    const stderr = r.stderr.trim();
    if (r.code === 0 && !r.timedOut) {
      if (!existsSync(tmp) || !statSync(tmp).isFile()) return { kind: "error", message: `ts2native exe exited 0 but wrote no ${tmp} (${origin})` };
      renameSync(tmp, base + ".exe");
      return { kind: "ok", exe: base + ".exe" };
    }
    rmSync(tmp, { force: true });
    if (r.timedOut) return { kind: "error", message: `ts2native exe timed out after ${this.timeoutMs} ms (${origin})` };
    if (r.signal) return { kind: "error", message: `ts2native exe killed by ${r.signal} (${origin}): ${stderr.slice(-500)}` };
    if (r.code === null || looksLikeCrash(stderr) || TOOL_FAILURE.test(stderr) || stderr === "") {
      return { kind: "error", message: `ts2native exe failed without a clean error (status ${r.code}, ${origin}): ${stderr.slice(-800) || "no message"}` };
    }
    const message = stderr.split("\n").slice(-3).join(" | ");
    writeFileSync(base + ".rejected", message);
    return { kind: "rejected", message };
  }
}
