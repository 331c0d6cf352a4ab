// The engine-neutral driver interface. The spec runner and the fuzz-exec printer speak only this;
// v8-engine.ts (Node's WebAssembly API, in process) and native-engine.ts (ts2native executables
// over the `--serve` line protocol) implement it.

import { type WasmValue } from "./values.ts";
import { type ModuleInfo } from "./wasm-info.ts";

/** A print made by a host import during a call (spectest print*, fuzzing-support log-*). */
export interface PrintEvent {
  readonly field: string | undefined;
  readonly values: readonly WasmValue[];
}

export interface TrapInfo {
  /** Every native trap code the engine's report may stand for (see traps.ts). */
  readonly codes: readonly number[];
  /** The engine's own words, for failure messages. */
  readonly message: string;
}

export type CallResult =
  | { readonly kind: "return"; readonly values: readonly WasmValue[] }
  | { readonly kind: "trap"; readonly trap: TrapInfo }
  /** The engine itself failed (crash, protocol error, timeout, host error): never a wasm outcome. */
  | { readonly kind: "error"; readonly message: string };

export interface CallOutcome {
  readonly prints: readonly PrintEvent[];
  readonly result: CallResult;
}

export type InstantiateOutcome =
  | { readonly kind: "ok"; readonly instance: EngineInstance; readonly prints: readonly PrintEvent[] }
  /** The start function or a segment initialization trapped. */
  | { readonly kind: "trap"; readonly trap: TrapInfo; readonly prints: readonly PrintEvent[] }
  /** Imports could not be satisfied (LinkError). */
  | { readonly kind: "link-error"; readonly message: string }
  | { readonly kind: "error"; readonly message: string };

export type CompileOutcome =
  | { readonly kind: "ok"; readonly module: EngineModule }
  /** The engine refused the binary (malformed, invalid, or unsupported). */
  | { readonly kind: "rejected"; readonly message: string }
  /** The engine failed (compiler crash, timeout): neither an acceptance nor a rejection. */
  | { readonly kind: "error"; readonly message: string };

export interface EngineModule {
  readonly info: ModuleInfo;
  /** `links`: instances registered under a module name, for engines with supportsLinking. */
  instantiate(links: ReadonlyMap<string, EngineInstance>): Promise<InstantiateOutcome>;
}

export interface EngineInstance {
  readonly info: ModuleInfo;
  /** Calls the function export at `exportIndex` (export-section order). */
  invoke(exportIndex: number, args: readonly WasmValue[]): Promise<CallOutcome>;
  /** Reads the global export at `exportIndex`. */
  get(exportIndex: number): Promise<CallOutcome>;
  close(): Promise<void>;
}

export interface Engine {
  readonly name: string;
  /**
   * Whether a module may import functions, tables, memories and globals that another instance
   * exports (the spec's `register`). Native executables are one process per module, so they
   * cannot; their imports come from runtime/<module>.asm instead.
   */
  readonly supportsLinking: boolean;
  /** `origin` names the module in messages (file name). */
  compile(bytes: Uint8Array, origin: string): Promise<CompileOutcome>;
  close(): Promise<void>;
}
