// Driver 2: native executables built by `ts2native exe`, driven over their `--serve` protocol
// (protocol.ts). One process per instance; it lives for all the commands sent to that instance.
//
// If the process dies during a command (a crash the runtime did not turn into a trap), that
// command reports an engine error with the exit status and stderr, and the next command starts a
// fresh process (a re-instantiation; state the earlier commands built up is lost, which the
// following failure messages say).

import { LineChild } from "./child-lines.ts";
import {
  type CallOutcome,
  type CallResult,
  type CompileOutcome,
  type Engine,
  type EngineInstance,
  type EngineModule,
  type InstantiateOutcome,
  type PrintEvent,
} from "./engine.ts";
import { type NativeCompileResult } from "./native-compiler.ts";
import { formatCall, formatGet, parseResponse } from "./protocol.ts";
import { trapName } from "./traps.ts";
import { type NumType, type WasmValue } from "./values.ts";
import { type ModuleInfo, readModuleInfo } from "./wasm-info.ts";

/** What the engine needs of a compiler: native-compiler.ts's NativeCompiler, or a test double. */
export interface ExecutableCompiler {
  compile(bytes: Uint8Array, origin: string): Promise<NativeCompileResult>;
}

export interface NativeOptions {
  /** Deadline for one command's reply (instantiation included). */
  readonly callTimeoutMs: number;
}

export class NativeEngine implements Engine {
  readonly name = "native";
  readonly supportsLinking = false;

  constructor(
    private readonly compiler: ExecutableCompiler,
    private readonly options: NativeOptions = { callTimeoutMs: 30_000 },
  ) {}

  async compile(bytes: Uint8Array, origin: string): Promise<CompileOutcome> {
    const r = await this.compiler.compile(bytes, origin);
    if (r.kind === "rejected") return { kind: "rejected", message: r.message };
    if (r.kind === "error") return { kind: "error", message: r.message };
    let info: ModuleInfo;
    try {
      info = readModuleInfo(bytes);
    } catch (e) {
      return { kind: "error", message: `ts2native accepted ${origin}, but the harness cannot read it: ${String(e)}` };
    }
    return { kind: "ok", module: new NativeModule(r.exe, info, this.options) };
  }

  async close(): Promise<void> {}
}

class NativeModule implements EngineModule {
  constructor(
    private readonly exe: string,
    readonly info: ModuleInfo,
    private readonly options: NativeOptions,
  ) {}

  async instantiate(_links: ReadonlyMap<string, EngineInstance>): Promise<InstantiateOutcome> {
    const child = new LineChild(this.exe, ["--serve"]);
    const start = await readStartup(child, this.options.callTimeoutMs);
    if (start.kind === "ok") {
      return { kind: "ok", instance: new NativeInstance(this.exe, this.info, this.options, child), prints: start.prints };
    }
    await child.close("Q");
    return start.kind === "trap"
      ? { kind: "trap", trap: { codes: [start.code], message: trapName(start.code) }, prints: start.prints }
      : { kind: "error", message: start.message };
  }
}

type Startup =
  | { kind: "ok"; prints: PrintEvent[] }
  | { kind: "trap"; code: number; prints: PrintEvent[] }
  | { kind: "error"; message: string };

/** Reads the startup reply: prints made by the start function, then `I ok` or `I T <code>`. */
async function readStartup(child: LineChild, timeoutMs: number): Promise<Startup> {
  const prints: PrintEvent[] = [];
  try {
    for (;;) {
      const line = await child.nextLine(timeoutMs);
      if (line === undefined) return { kind: "error", message: `executable ended before 'I': ${child.deathReport()}` };
      const r = parseResponse(line, []);
      if (r.kind === "print") prints.push({ field: undefined, values: r.values });
      else if (r.kind === "ready") return { kind: "ok", prints };
      else if (r.kind === "init-trap") return { kind: "trap", code: r.code, prints };
      else return { kind: "error", message: `expected 'I ok' or 'I T <code>' first, got '${line}'` };
    }
  } catch (e) {
    child.kill();
    return { kind: "error", message: `instantiation: ${e instanceof Error ? e.message : String(e)}` };
  }
}

class NativeInstance implements EngineInstance {
  /** Undefined after a crash until the next command restarts the process. */
  private child: LineChild | undefined;
  private lostState = "";

  constructor(
    private readonly exe: string,
    readonly info: ModuleInfo,
    private readonly options: NativeOptions,
    child: LineChild,
  ) {
    this.child = child;
  }

  async invoke(exportIndex: number, args: readonly WasmValue[]): Promise<CallOutcome> {
    const exp = this.info.exports[exportIndex];
    if (!exp || exp.desc.kind !== "func") return { prints: [], result: { kind: "error", message: `export ${exportIndex} is not a function` } };
    return this.exchange(formatCall(exportIndex, args), exp.desc.type.results as NumType[]);
  }

  async get(exportIndex: number): Promise<CallOutcome> {
    const exp = this.info.exports[exportIndex];
    if (!exp || exp.desc.kind !== "global") return { prints: [], result: { kind: "error", message: `export ${exportIndex} is not a global` } };
    return this.exchange(formatGet(exportIndex), [exp.desc.type.type as NumType]);
  }

  private async exchange(request: string, resultTypes: readonly NumType[]): Promise<CallOutcome> {
    const prints: PrintEvent[] = [];
    const fail = (message: string): CallOutcome => ({ prints, result: { kind: "error", message: message + this.lostState } });
    if (!this.child) {
      const child = new LineChild(this.exe, ["--serve"]);
      const start = await readStartup(child, this.options.callTimeoutMs);
      if (start.kind !== "ok") {
        await child.close("Q");
        return fail(`restart after a crash failed: ${start.kind === "trap" ? `trap ${start.code}` : start.message}`);
      }
      this.child = child;
      this.lostState = " (instance was restarted after an earlier crash; its state was reset)";
    }
    const child = this.child;
    child.send(request);
    try {
      for (;;) {
        const line = await child.nextLine(this.options.callTimeoutMs);
        if (line === undefined) {
          this.child = undefined;
          return fail(`executable died during '${request}': ${child.deathReport()}`);
        }
        const r = parseResponse(line, resultTypes);
        if (r.kind === "print") prints.push({ field: undefined, values: r.values });
        else if (r.kind === "return") return { prints, result: { kind: "return", values: r.values } };
        else if (r.kind === "trap") return { prints, result: trapResult(r.code) };
        else return fail(`unexpected '${line}' in reply to '${request}'`);
      }
    } catch (e) {
      child.kill();
      this.child = undefined;
      return fail(`'${request}': ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  async close(): Promise<void> {
    await this.child?.close("Q");
    this.child = undefined;
  }
}

function trapResult(code: number): CallResult {
  return { kind: "trap", trap: { codes: [code], message: trapName(code) } };
}
