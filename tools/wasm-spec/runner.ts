// Runs one converted spec script's commands on an engine and judges each (spec interpreter
// README, "Scripts": module, register, action, assert_return, assert_trap, assert_exhaustion,
// assert_malformed, assert_invalid, assert_unlinkable, assert_uninstantiable).
//
// Every module-bearing or action command is one check: passed, failed (with expected/actual), or
// skipped with a reason. `register` is bookkeeping, not a check.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type CallOutcome, type Engine, type EngineInstance, type TrapInfo } from "./engine.ts";
import { type Action, type Command, type Script } from "./script.ts";
import { STACK_EXHAUSTED, codesForScriptText, describeCodes } from "./traps.ts";
import { describeExpected, describeValue, matchesExpected } from "./values.ts";
import { type ModuleInfo, findExport, readModuleInfo } from "./wasm-info.ts";

export type Status = "pass" | "fail" | "skip";

export interface Outcome {
  readonly line: number;
  readonly status: Status;
  /** The command, short: `assert_return invoke "add" (i32:0x1 …)`. */
  readonly command: string;
  /** Failure: expected vs actual. Skip: the reason. */
  readonly detail: string;
}

/** What a `module` command left behind, for the commands that refer to it. */
type ModuleState =
  | { readonly kind: "live"; readonly line: number; readonly instance: EngineInstance }
  | { readonly kind: "skipped"; readonly line: number; readonly reason: string }
  | { readonly kind: "failed"; readonly line: number; readonly reason: string };

const TEXT_ONLY = "text-format module: ts2native reads binaries only, wast2json cannot encode it";

function describeAction(a: Action): string {
  const target = a.module ? `${a.module}.` : "";
  if (a.kind === "get") return `get ${target}"${a.field}"`;
  return `invoke ${target}"${a.field}" (${a.args.map(describeValue).join(", ")})`;
}

function describeTrap(t: TrapInfo): string {
  return `trap ${describeCodes(t.codes)} ["${t.message}"]`;
}

function describeCall(o: CallOutcome): string {
  const r = o.result;
  if (r.kind === "return") return `returned (${r.values.map(describeValue).join(", ")})`;
  if (r.kind === "trap") return describeTrap(r.trap);
  return `engine error: ${r.message}`;
}

export class ScriptRunner {
  private current: ModuleState | undefined;
  private readonly named = new Map<string, ModuleState>();
  /** Names given by `register`, with the module state each refers to. */
  private readonly registered = new Map<string, ModuleState>();
  private readonly links = new Map<string, EngineInstance>();
  private readonly live: EngineInstance[] = [];
  /** Modules whose shared state a skipped module would have changed, with that module's line. */
  private readonly tainted = new Map<ModuleState, number>();

  constructor(
    private readonly engine: Engine,
    /** Folder holding the script's .wasm files. */
    private readonly dir: string,
    /** Commands to skip without running (suite-conflicts.ts), by line. */
    private readonly skipLine: (line: number) => string | undefined = () => undefined,
  ) {}

  async run(script: Script): Promise<Outcome[]> {
    const out: Outcome[] = [];
    try {
      for (const c of script.commands) {
        const o = await this.command(c);
        if (o) out.push(o);
      }
    } finally {
      for (const i of this.live) await i.close();
    }
    return out;
  }

  private read(filename: string): { bytes: Uint8Array; info: ModuleInfo | undefined } {
    const bytes = new Uint8Array(readFileSync(join(this.dir, filename)));
    let info: ModuleInfo | undefined;
    try {
      info = readModuleInfo(bytes);
    } catch {
      info = undefined; // malformed on purpose (assert_malformed): the engine judges it
    }
    return { bytes, info };
  }

  /**
   * Why an engine without linking cannot load a module that imports from `register`ed names.
   * Skipping it also taints the modules it imports from when it could have changed their state:
   * it imports their table, memory or a global (its segments and code write them), or has a start
   * function that may call their functions. Commands on a tainted module are skipped after that,
   * since its state can no longer be what the script expects.
   */
  private linkingSkip(info: ModuleInfo | undefined, line: number): string | undefined {
    if (this.engine.supportsLinking || !info) return undefined;
    const imp = info.imports.find((i) => this.registered.has(i.module));
    if (!imp) return undefined;
    for (const i of info.imports) {
      const target = this.registered.get(i.module);
      if (target && (i.desc.kind !== "func" || info.hasStart)) this.tainted.set(target, line);
    }
    return `imports "${imp.module}" "${imp.field}" from a registered module: cross-module linking is outside ts2native's scope`;
  }

  private async command(c: Command): Promise<Outcome | undefined> {
    const out = (status: Status, command: string, detail = ""): Outcome => ({ line: c.line, status, command, detail });
    const conflict = this.skipLine(c.line);
    if (conflict !== undefined && c.type !== "module" && c.type !== "register") return out("skip", c.type, conflict);
    switch (c.type) {
      case "module": {
        const state = await this.loadModule(c.filename, c.line);
        this.current = state;
        if (c.name) this.named.set(c.name, state);
        const what = `module ${c.filename}`;
        return state.kind === "live" ? out("pass", what) : out(state.kind === "skipped" ? "skip" : "fail", what, state.reason);
      }
      case "register": {
        const state = c.name ? this.named.get(c.name) : this.current;
        if (state) {
          this.registered.set(c.as, state);
          if (state.kind === "live") this.links.set(c.as, state.instance);
        }
        return undefined;
      }
      case "action":
      case "assert_return":
      case "assert_trap":
      case "assert_exhaustion":
        return this.actionCommand(c, out);
      case "assert_invalid":
      case "assert_malformed": {
        const what = `${c.type} ${c.filename} ("${c.text}")`;
        if (c.moduleType === "text") return out("skip", what, TEXT_ONLY);
        const r = await this.engine.compile(this.read(c.filename).bytes, c.filename);
        if (r.kind === "rejected") return out("pass", what);
        if (r.kind === "error") return out("fail", what, `expected a rejection, got an engine error: ${r.message}`);
        return out("fail", what, "expected the module to be rejected, but it compiled");
      }
      case "assert_unlinkable":
      case "assert_uninstantiable": {
        const what = `${c.type} ${c.filename} ("${c.text}")`;
        if (c.moduleType === "text") return out("skip", what, TEXT_ONLY);
        const { bytes, info } = this.read(c.filename);
        const skip = this.linkingSkip(info, c.line);
        if (skip) return out("skip", what, skip);
        return this.failingInstantiation(c.type, c.text, bytes, c.filename, (s, d) => out(s, what, d));
      }
    }
  }

  private async loadModule(filename: string, line: number): Promise<ModuleState> {
    const { bytes, info } = this.read(filename);
    const skip = this.linkingSkip(info, line);
    if (skip) return { kind: "skipped", line, reason: skip };
    const compiled = await this.engine.compile(bytes, filename);
    if (compiled.kind !== "ok") return { kind: "failed", line, reason: `${compiled.kind === "rejected" ? "rejected" : "engine error"}: ${compiled.message}` };
    const inst = await compiled.module.instantiate(this.links);
    switch (inst.kind) {
      case "ok":
        this.live.push(inst.instance);
        return { kind: "live", line, instance: inst.instance };
      case "trap":
        return { kind: "failed", line, reason: `instantiation: ${describeTrap(inst.trap)}` };
      case "link-error":
        return { kind: "failed", line, reason: `link error: ${inst.message}` };
      case "error":
        return { kind: "failed", line, reason: `instantiation: engine error: ${inst.message}` };
    }
  }

  /**
   * assert_unlinkable: the module must not become an instance — a rejection at compile time (a
   * native executable resolves imports when it is linked), a link error, or a trap while
   * initializing (Wasm 2.0 turned the MVP's "data segment does not fit" link check into an
   * instantiation trap, and V8 implements 2.0). assert_uninstantiable: it must trap while
   * instantiating, with the given reason.
   */
  private async failingInstantiation(
    type: "assert_unlinkable" | "assert_uninstantiable",
    text: string,
    bytes: Uint8Array,
    origin: string,
    out: (s: Status, detail?: string) => Outcome,
  ): Promise<Outcome> {
    const compiled = await this.engine.compile(bytes, origin);
    if (compiled.kind === "error") return out("fail", `engine error: ${compiled.message}`);
    if (compiled.kind === "rejected") {
      return type === "assert_unlinkable" ? out("pass") : out("fail", `expected an instantiation trap, but the module was rejected: ${compiled.message}`);
    }
    const inst = await compiled.module.instantiate(this.links);
    if (inst.kind === "ok") {
      await inst.instance.close();
      return out("fail", "expected instantiation to fail, but it succeeded");
    }
    if (inst.kind === "error") return out("fail", `engine error: ${inst.message}`);
    if (type === "assert_unlinkable") return out("pass");
    if (inst.kind === "link-error") return out("fail", `expected an instantiation trap, got a link error: ${inst.message}`);
    const want = codesForScriptText(text);
    if (!want) return out("fail", `harness does not know the trap text "${text}"`);
    return inst.trap.codes.some((c) => want.includes(c))
      ? out("pass")
      : out("fail", `expected trap ${describeCodes(want)}, got ${describeTrap(inst.trap)}`);
  }

  private async actionCommand(
    c: Extract<Command, { type: "action" | "assert_return" | "assert_trap" | "assert_exhaustion" }>,
    out: (s: Status, command: string, detail?: string) => Outcome,
  ): Promise<Outcome> {
    const what = `${c.type} ${describeAction(c.action)}`;
    if (c.unsupported) return out("skip", what, c.unsupported);
    const state = c.action.module ? this.named.get(c.action.module) : this.current;
    if (!state) return out("fail", what, `no module ${c.action.module ?? "defined"} to act on`);
    if (state.kind === "skipped") return out("skip", what, `its module (line ${state.line}) was skipped: ${state.reason}`);
    if (state.kind === "failed") return out("fail", what, `its module (line ${state.line}) did not load: ${state.reason}`);
    const taintedBy = this.tainted.get(state);
    if (taintedBy !== undefined) {
      return out("skip", what, `its module's state was shared with the module at line ${taintedBy}, skipped for cross-module linking`);
    }
    const exp = findExport(state.instance.info, c.action.field);
    if (!exp) return out("fail", what, `module has no export "${c.action.field}"`);
    const call =
      c.action.kind === "invoke" ? await state.instance.invoke(exp.index, c.action.args) : await state.instance.get(exp.index);
    const r = call.result;
    if (r.kind === "error") return out("fail", what, `engine error: ${r.message}`);

    switch (c.type) {
      case "action":
        return r.kind === "return" ? out("pass", what) : out("fail", what, `expected no trap, got ${describeCall(call)}`);
      case "assert_return": {
        const want = `(${c.expected.map(describeExpected).join(", ")})`;
        if (r.kind !== "return") return out("fail", what, `expected ${want}, got ${describeCall(call)}`);
        const ok = r.values.length === c.expected.length && r.values.every((v, i) => matchesExpected(v, c.expected[i]!));
        return ok ? out("pass", what) : out("fail", what, `expected ${want}, got ${describeCall(call)}`);
      }
      case "assert_trap":
      case "assert_exhaustion": {
        const want = c.type === "assert_exhaustion" ? [STACK_EXHAUSTED] : codesForScriptText(c.text);
        if (!want) return out("fail", what, `harness does not know the trap text "${c.text}"`);
        if (r.kind === "trap" && r.trap.codes.some((code) => want.includes(code))) return out("pass", what);
        return out("fail", what, `expected trap ${describeCodes(want)} ("${c.text}"), got ${describeCall(call)}`);
      }
    }
  }
}
