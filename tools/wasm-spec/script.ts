// Reads the JSON command list that wabt's `wast2json` writes for a .wast script (wabt
// docs/wast2json.md; command kinds from the spec interpreter's script grammar, spec
// interpreter/README.md "Scripts") into typed commands. Bad input → an Error naming file:line.

import { type Expected, type WasmValue, isNumType, parseJsonExpected, parseJsonValue } from "./values.ts";

export type Action =
  | { readonly kind: "invoke"; readonly module: string | undefined; readonly field: string; readonly args: readonly WasmValue[] }
  | { readonly kind: "get"; readonly module: string | undefined; readonly field: string };

/** Commands whose values the harness cannot represent (reference types, SIMD) carry the reason. */
export interface Unsupported {
  readonly unsupported?: string;
}

export type Command = { readonly line: number } & (
  | { readonly type: "module"; readonly filename: string; readonly name: string | undefined }
  | { readonly type: "register"; readonly name: string | undefined; readonly as: string }
  | ({ readonly type: "action"; readonly action: Action } & Unsupported)
  | ({ readonly type: "assert_return"; readonly action: Action; readonly expected: readonly Expected[] } & Unsupported)
  | ({ readonly type: "assert_trap" | "assert_exhaustion"; readonly action: Action; readonly text: string } & Unsupported)
  | {
      readonly type: "assert_invalid" | "assert_malformed" | "assert_unlinkable" | "assert_uninstantiable";
      readonly filename: string;
      readonly text: string;
      readonly moduleType: "binary" | "text";
    }
);

export interface Script {
  readonly sourceFile: string;
  readonly commands: readonly Command[];
}

type Json = Record<string, unknown>;

function str(o: Json, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== "string") throw new Error(`${where}: field '${key}' missing or not a string`);
  return v;
}

function optStr(o: Json, key: string, where: string): string | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw new Error(`${where}: field '${key}' is not a string`);
  return v;
}

function arr(o: Json, key: string, where: string): Json[] {
  const v = o[key];
  if (!Array.isArray(v)) throw new Error(`${where}: field '${key}' missing or not an array`);
  return v as Json[];
}

function obj(o: Json, key: string, where: string): Json {
  const v = o[key];
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${where}: field '${key}' missing or not an object`);
  return v as Json;
}

/** A value list; a non-numeric type (v128, funcref, externref) makes the whole command unsupported. */
function typedList<T>(items: Json[], where: string, parse: (type: string, value: string) => T): { values: T[]; unsupported?: string } {
  const values: T[] = [];
  for (const item of items) {
    const type = str(item, "type", where);
    if (!isNumType(type)) return { values: [], unsupported: unsupportedTypeReason(type) };
    const value = item["value"];
    if (typeof value !== "string") throw new Error(`${where}: ${type} value missing or not a string`);
    values.push(parse(type, value));
  }
  return { values };
}

export function unsupportedTypeReason(type: string): string {
  if (type === "v128") return "SIMD value (v128) outside ts2native's scope";
  if (type.endsWith("ref")) return `reference-types value (${type}) outside ts2native's scope`;
  return `value type '${type}' outside ts2native's scope`;
}

function parseAction(o: Json, where: string): { action: Action; unsupported?: string } {
  const a = obj(o, "action", where);
  const kind = str(a, "type", where);
  const module = optStr(a, "module", where);
  const field = str(a, "field", where);
  if (kind === "get") return { action: { kind: "get", module, field } };
  if (kind !== "invoke") throw new Error(`${where}: unknown action type '${kind}'`);
  const args = typedList(arr(a, "args", where), where, (t, v) => parseJsonValue(t, v, where));
  const action: Action = { kind: "invoke", module, field, args: args.values };
  return args.unsupported === undefined ? { action } : { action, unsupported: args.unsupported };
}

function parseCommand(c: Json, file: string): Command {
  const lineValue = c["line"];
  if (typeof lineValue !== "number") throw new Error(`${file}: command without a line number`);
  const line = lineValue;
  const where = `${file}:${line}`;
  const type = str(c, "type", where);
  switch (type) {
    case "module":
      return { line, type, filename: str(c, "filename", where), name: optStr(c, "name", where) };
    case "register":
      return { line, type, name: optStr(c, "name", where), as: str(c, "as", where) };
    case "action": {
      const a = parseAction(c, where);
      return { line, type, ...a };
    }
    case "assert_return": {
      const a = parseAction(c, where);
      const exp = typedList(arr(c, "expected", where), where, (t, v) => parseJsonExpected(t, v, where));
      const unsupported = a.unsupported ?? exp.unsupported;
      return { line, type, action: a.action, expected: exp.values, ...(unsupported === undefined ? {} : { unsupported }) };
    }
    case "assert_trap":
    case "assert_exhaustion": {
      const a = parseAction(c, where);
      return { line, type, text: str(c, "text", where), ...a };
    }
    case "assert_invalid":
    case "assert_malformed":
    case "assert_unlinkable":
    case "assert_uninstantiable": {
      const mt = str(c, "module_type", where);
      if (mt !== "binary" && mt !== "text") throw new Error(`${where}: unknown module_type '${mt}'`);
      return { line, type, filename: str(c, "filename", where), text: str(c, "text", where), moduleType: mt };
    }
    default:
      throw new Error(`${where}: unknown command type '${type}'`);
  }
}

/** Parses wast2json output; `file` names it in errors. */
export function parseScript(jsonText: string, file: string): Script {
  let top: unknown;
  try {
    top = JSON.parse(jsonText);
  } catch (e) {
    throw new Error(`${file}: not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (typeof top !== "object" || top === null) throw new Error(`${file}: top level is not an object`);
  const t = top as Json;
  const sourceFile = str(t, "source_filename", file);
  return { sourceFile, commands: arr(t, "commands", file).map((c) => parseCommand(c, file)) };
}
