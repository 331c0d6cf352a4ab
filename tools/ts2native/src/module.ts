// Typed structures of a decoded wasm module (WebAssembly Core Specification §2.5, §5.5).

export type NumType = "i32" | "i64" | "f32" | "f64";
export type RefType = "funcref" | "externref";
export type ValType = NumType | RefType | "v128";

export interface FuncType {
  params: ValType[];
  results: ValType[];
}

export interface Limits {
  min: number;
  max: number | null;
  shared: boolean;
}

/** A constant expression (§3.3.10): the forms this back end evaluates at instantiation. */
export type ConstExpr =
  | { k: "i32" | "f32"; bits: number }
  | { k: "i64" | "f64"; bits: bigint }
  | { k: "global"; index: number }
  | { k: "null"; type: RefType }
  | { k: "func"; index: number };

export interface Import {
  module: string;
  field: string;
  desc:
    | { k: "func"; type: number }
    | { k: "table"; elem: RefType; limits: Limits }
    | { k: "memory"; limits: Limits }
    | { k: "global"; type: ValType; mutable: boolean };
}

export interface Global {
  type: ValType;
  mutable: boolean;
  /** null for an imported global */
  init: ConstExpr | null;
  /** set for imported globals */
  imported: { module: string; field: string } | null;
}

export interface Table {
  elem: RefType;
  limits: Limits;
  imported: { module: string; field: string } | null;
}

export interface Memory {
  limits: Limits;
  imported: { module: string; field: string } | null;
}

export interface Export {
  name: string;
  kind: "func" | "table" | "memory" | "global";
  index: number;
}

export interface ElemSegment {
  mode: "active" | "passive" | "declarative";
  table: number;
  offset: ConstExpr | null;
  type: RefType;
  /** each item is a function index or null (ref.null) */
  items: (number | null)[];
  fileOffset: number;
}

export interface DataSegment {
  mode: "active" | "passive";
  memory: number;
  offset: ConstExpr | null;
  bytes: Uint8Array;
  fileOffset: number;
}

export interface FuncBody {
  /** declared locals after the parameters, expanded */
  locals: ValType[];
  /** byte range of the instruction sequence (ends after the final `end`) */
  codeStart: number;
  codeEnd: number;
}

export interface Func {
  type: number;
  /** import descriptor for imported functions, else null */
  imported: { module: string; field: string } | null;
  body: FuncBody | null;
  name: string | null;
}

export interface Module {
  bytes: Uint8Array;
  types: FuncType[];
  /** function index space: imports first (§2.5.1) */
  funcs: Func[];
  numImportedFuncs: number;
  tables: Table[];
  memories: Memory[];
  globals: Global[];
  exports: Export[];
  start: number | null;
  elems: ElemSegment[];
  datas: DataSegment[];
  dataCount: number | null;
}

export function typeEq(a: FuncType, b: FuncType): boolean {
  return (
    a.params.length === b.params.length &&
    a.results.length === b.results.length &&
    a.params.every((t, i) => t === b.params[i]) &&
    a.results.every((t, i) => t === b.results[i])
  );
}

export function sigString(t: FuncType): string {
  return `(${t.params.join(",")})->(${t.results.join(",")})`;
}

/** The name used in messages and trap strings: the name section's name or `$func<N>`. */
export function funcName(m: Module, index: number): string {
  return m.funcs[index]?.name ?? `$func${index}`;
}
