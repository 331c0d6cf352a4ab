// Driver 1: V8 in process, through Node's WebAssembly API. It checks the harness itself (the spec
// suite should pass on it) and is the second opinion in differential fuzzing.
//
// Values never travel as JS numbers: calls, global reads and host functions go through small glue
// modules (wasm-encoder.ts) that carry floats as integer bit patterns, so NaN payloads survive.

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
import { type HostItem, type HostModule } from "./hosts.ts";
import { STACK_EXHAUSTED, codesForV8Message } from "./traps.ts";
import { type NumType, type WasmValue, f32FromBits, f64FromBits, makeValue } from "./values.ts";
import { callWrapperModule, carrierOf, globalReaderModule, hostShimModule } from "./wasm-encoder.ts";
import { type ModuleInfo, readModuleInfo } from "./wasm-info.ts";

type Carrier = number | bigint;

function toCarrier(v: WasmValue): Carrier {
  return carrierOf(v.type) === "i32" ? Number(BigInt.asIntN(32, v.bits)) : BigInt.asIntN(64, v.bits);
}

function fromCarrier(type: NumType, c: unknown): WasmValue {
  if (carrierOf(type) === "i32") {
    if (typeof c !== "number") throw new Error(`expected a number carrying ${type}, got ${typeof c}`);
    return makeValue(type, BigInt(c >>> 0));
  }
  if (typeof c !== "bigint") throw new Error(`expected a BigInt carrying ${type}, got ${typeof c}`);
  return makeValue(type, c);
}

/** The JS API takes views of plain ArrayBuffers; our bytes always are (never shared memory). */
function source(bytes: Uint8Array): BufferSource {
  return bytes as Uint8Array<ArrayBuffer>;
}

function instantiateGlue(bytes: Uint8Array, imports: WebAssembly.Imports): WebAssembly.Exports {
  return new WebAssembly.Instance(new WebAssembly.Module(source(bytes)), imports).exports;
}

/** Classifies an exception thrown out of wasm code. */
function classifyThrow(e: unknown): CallResult {
  if (e instanceof WebAssembly.RuntimeError) {
    const codes = codesForV8Message(e.message);
    return codes
      ? { kind: "trap", trap: { codes, message: e.message } }
      : { kind: "error", message: `unrecognized V8 trap message '${e.message}' (add it to traps.ts)` };
  }
  if (e instanceof RangeError && /call stack size/i.test(e.message)) {
    return { kind: "trap", trap: { codes: [STACK_EXHAUSTED], message: e.message } };
  }
  return { kind: "error", message: `host exception: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}` };
}

export class V8Engine implements Engine {
  readonly name = "v8";
  readonly supportsLinking = true;
  /** Prints of the call in progress; host functions append here. */
  private prints: PrintEvent[] = [];
  /** Host instances are created once per engine, so all modules of a script share one spectest table and memory. */
  private readonly hostObjects = new Map<string, Record<string, unknown>>();

  constructor(private readonly hosts: ReadonlyMap<string, HostModule>) {}

  async compile(bytes: Uint8Array, _origin: string): Promise<CompileOutcome> {
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(source(bytes));
    } catch (e) {
      return { kind: "rejected", message: e instanceof Error ? e.message : String(e) };
    }
    return { kind: "ok", module: new V8Module(this, module, readModuleInfo(bytes)) };
  }

  async close(): Promise<void> {}

  /** Runs `f`, collecting the prints host functions make meanwhile; a throw is returned with them. */
  capture<T>(f: () => T): { prints: PrintEvent[] } & ({ ok: true; value: T } | { ok: false; error: unknown }) {
    const saved = this.prints;
    this.prints = [];
    try {
      const value = f();
      return { ok: true, value, prints: this.prints };
    } catch (error) {
      return { ok: false, error, prints: this.prints };
    } finally {
      this.prints = saved;
    }
  }

  hostObject(moduleName: string): Record<string, unknown> | undefined {
    const cached = this.hostObjects.get(moduleName);
    if (cached) return cached;
    const host = this.hosts.get(moduleName);
    if (!host) return undefined;
    const obj: Record<string, unknown> = {};
    for (const [field, item] of host) obj[field] = this.makeHostItem(field, item);
    this.hostObjects.set(moduleName, obj);
    return obj;
  }

  private makeHostItem(field: string, item: HostItem): unknown {
    switch (item.kind) {
      case "print": {
        const js = (...cs: unknown[]): void => {
          this.prints.push({ field, values: item.params.map((t, i) => fromCarrier(t, cs[i])) });
        };
        return instantiateGlue(hostShimModule(item.params), { js: { f: js } })["f"];
      }
      case "func": {
        const js = (...cs: unknown[]): Carrier | undefined => {
          const r = item.impl(item.params.map((t, i) => fromCarrier(t, cs[i])));
          return r === undefined ? undefined : toCarrier(r);
        };
        return instantiateGlue(hostShimModule(item.params, item.results), { js: { f: js } })["f"];
      }
      case "global": {
        const v = item.value;
        if (v.type === "i32" || v.type === "i64") return new WebAssembly.Global({ value: v.type, mutable: false }, toCarrier(v));
        // A JS number carries any non-NaN float exactly; a NaN global would lose its payload.
        const x = v.type === "f32" ? f32FromBits(v.bits) : f64FromBits(v.bits);
        if (Number.isNaN(x)) throw new Error(`host global ${field}: NaN values cannot be created through the JS API`);
        return new WebAssembly.Global({ value: v.type, mutable: false }, x);
      }
      case "table":
        return new WebAssembly.Table({ element: "anyfunc", initial: item.initial, maximum: item.maximum });
      case "memory":
        return new WebAssembly.Memory({ initial: item.initial, maximum: item.maximum });
    }
  }
}

class V8Module implements EngineModule {
  constructor(
    private readonly engine: V8Engine,
    private readonly module: WebAssembly.Module,
    readonly info: ModuleInfo,
  ) {}

  async instantiate(links: ReadonlyMap<string, EngineInstance>): Promise<InstantiateOutcome> {
    const imports: Record<string, Record<string, unknown>> = {};
    for (const imp of this.info.imports) {
      if (imports[imp.module]) continue;
      const linked = links.get(imp.module);
      if (linked instanceof V8Instance) imports[imp.module] = linked.exports;
      else {
        const host = this.engine.hostObject(imp.module);
        if (host) imports[imp.module] = host;
      }
    }
    const r = this.engine.capture(() => new WebAssembly.Instance(this.module, imports as WebAssembly.Imports));
    if (r.ok) return { kind: "ok", instance: new V8Instance(this.engine, r.value, this.info), prints: r.prints };
    const e = r.error;
    // An unknown module is a TypeError in the JS API (not an object), a bad import a LinkError.
    if (e instanceof WebAssembly.LinkError || e instanceof TypeError) return { kind: "link-error", message: e.message };
    const c = classifyThrow(e);
    if (c.kind === "trap") return { kind: "trap", trap: c.trap, prints: r.prints };
    return { kind: "error", message: c.kind === "error" ? c.message : "unexpected" };
  }
}

class V8Instance implements EngineInstance {
  private readonly callers = new Map<number, (...cs: Carrier[]) => unknown>();

  constructor(
    private readonly engine: V8Engine,
    private readonly instance: WebAssembly.Instance,
    readonly info: ModuleInfo,
  ) {}

  get exports(): Record<string, unknown> {
    return this.instance.exports as Record<string, unknown>;
  }

  async invoke(exportIndex: number, args: readonly WasmValue[]): Promise<CallOutcome> {
    const exp = this.info.exports[exportIndex];
    if (!exp || exp.desc.kind !== "func") return noPrints({ kind: "error", message: `export ${exportIndex} is not a function` });
    const sig = exp.desc.type;
    let caller = this.callers.get(exportIndex);
    if (!caller) {
      try {
        caller = instantiateGlue(callWrapperModule(sig), { m: { f: this.exports[exp.name] as WebAssembly.ImportValue } })["w"] as (...cs: Carrier[]) => unknown;
      } catch (e) {
        return noPrints({ kind: "error", message: `cannot call '${exp.name}': ${e instanceof Error ? e.message : String(e)}` });
      }
      this.callers.set(exportIndex, caller);
    }
    const call = caller;
    const r = this.engine.capture(() => call(...args.map(toCarrier)));
    if (!r.ok) return { prints: r.prints, result: classifyThrow(r.error) };
    const raw = sig.results.length === 1 ? [r.value] : sig.results.length === 0 ? [] : (r.value as unknown[]);
    const values = sig.results.map((t, i) => fromCarrier(t as NumType, raw[i]));
    return { prints: r.prints, result: { kind: "return", values } };
  }

  async get(exportIndex: number): Promise<CallOutcome> {
    const exp = this.info.exports[exportIndex];
    if (!exp || exp.desc.kind !== "global") return noPrints({ kind: "error", message: `export ${exportIndex} is not a global` });
    const g = exp.desc.type;
    try {
      const read = instantiateGlue(globalReaderModule(g), { m: { g: this.exports[exp.name] as WebAssembly.ImportValue } })["w"] as () => unknown;
      return noPrints({ kind: "return", values: [fromCarrier(g.type as NumType, read())] });
    } catch (e) {
      return noPrints({ kind: "error", message: `cannot read global '${exp.name}': ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  async close(): Promise<void> {}
}

function noPrints(result: CallResult): CallOutcome {
  return { prints: [], result };
}

