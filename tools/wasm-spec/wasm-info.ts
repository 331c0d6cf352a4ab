// Just enough of a wasm binary reader for the harness: signatures of exported functions, types of
// exported globals, and the import list (spec §5.5: type, import, function, global, export
// sections). The harness needs these to type the native protocol's raw results, to build V8 call
// wrappers, and to tell which modules import from registered (other) modules. Validation is the
// engines' job, not this reader's: it only rejects what it cannot walk.

import { type NumType } from "./values.ts";

/** Value types the harness can pass across the protocol, plus the reference/vector types it names. */
export type ValType = NumType | "v128" | "funcref" | "externref";

export interface FuncType {
  readonly params: readonly ValType[];
  readonly results: readonly ValType[];
}

export interface GlobalType {
  readonly type: ValType;
  readonly mutable: boolean;
}

export type ImportDesc =
  | { readonly kind: "func"; readonly type: FuncType }
  | { readonly kind: "table" }
  | { readonly kind: "memory" }
  | { readonly kind: "global"; readonly type: GlobalType };

export interface Import {
  readonly module: string;
  readonly field: string;
  readonly desc: ImportDesc;
}

export type ExportDesc =
  | { readonly kind: "func"; readonly type: FuncType }
  | { readonly kind: "global"; readonly type: GlobalType }
  | { readonly kind: "table" }
  | { readonly kind: "memory" };

export interface Export {
  readonly name: string;
  /** Position in the export section: the index the `--serve` protocol uses. */
  readonly index: number;
  readonly desc: ExportDesc;
}

export interface ModuleInfo {
  readonly imports: readonly Import[];
  readonly exports: readonly Export[];
  /** A start function runs at instantiation (spec §5.5.11). */
  readonly hasStart: boolean;
}

const VALTYPES: ReadonlyMap<number, ValType> = new Map<number, ValType>([
  [0x7f, "i32"],
  [0x7e, "i64"],
  [0x7d, "f32"],
  [0x7c, "f64"],
  [0x7b, "v128"],
  [0x70, "funcref"],
  [0x6f, "externref"],
]);

class Reader {
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly end: number,
  ) {}

  fail(msg: string): never {
    throw new Error(`offset 0x${this.pos.toString(16)}: ${msg}`);
  }
  atEnd(): boolean {
    return this.pos >= this.end;
  }
  byte(): number {
    if (this.pos >= this.end) this.fail("unexpected end");
    return this.bytes[this.pos++]!;
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
      if (shift > 28) this.fail("LEB128 u32 too long");
    }
    if (result > 0xffffffff) this.fail("LEB128 u32 out of range");
    return result;
  }
  name(): string {
    const len = this.u32();
    if (this.pos + len > this.end) this.fail("name runs past its section");
    const s = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  valtype(): ValType {
    const b = this.byte();
    const t = VALTYPES.get(b);
    if (t === undefined) this.fail(`unknown value type 0x${b.toString(16)}`);
    return t;
  }
  limits(): void {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
  globalType(): GlobalType {
    const type = this.valtype();
    const m = this.byte();
    if (m > 1) this.fail(`bad global mutability ${m}`);
    return { type, mutable: m === 1 };
  }
  skipConstExpr(): void {
    // Walks to the `end` opcode of an initializer; only immediates of const-expression opcodes occur.
    for (;;) {
      const op = this.byte();
      if (op === 0x0b) return;
      if (op === 0x41 || op === 0x23 || op === 0xd2) this.u32Signedish();
      else if (op === 0x42) this.u32Signedish();
      else if (op === 0x43) this.pos += 4;
      else if (op === 0x44) this.pos += 8;
      else if (op === 0xd0) this.byte();
      else this.fail(`unexpected opcode 0x${op.toString(16)} in constant expression`);
    }
  }
  private u32Signedish(): void {
    // Skips any LEB128 (signed or unsigned, up to 64 bits): its value is not needed here.
    for (let i = 0; i < 10; i++) if ((this.byte() & 0x80) === 0) return;
    this.fail("LEB128 too long");
  }
}

/** Reads the module's imports and exports; throws `offset 0x…: reason` on a binary it cannot walk. */
export function readModuleInfo(bytes: Uint8Array): ModuleInfo {
  const top = new Reader(bytes, bytes.length);
  const magic = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  for (const m of magic) if (top.byte() !== m) top.fail("not a wasm binary (bad magic or version)");

  const types: FuncType[] = [];
  const imports: Import[] = [];
  const funcTypes: FuncType[] = []; // function index space: imports first
  const globalTypes: GlobalType[] = [];
  const rawExports: { name: string; kind: number; index: number }[] = [];
  let hasStart = false;

  while (!top.atEnd()) {
    const id = top.byte();
    const size = top.u32();
    const start = top.pos;
    if (start + size > bytes.length) top.fail(`section ${id} runs past the end of the module`);
    const r = new Reader(bytes, start + size);
    r.pos = start;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        const form = r.byte();
        if (form !== 0x60) r.fail(`unsupported type form 0x${form.toString(16)}`);
        const params: ValType[] = [];
        for (let k = r.u32(); k > 0; k--) params.push(r.valtype());
        const results: ValType[] = [];
        for (let k = r.u32(); k > 0; k--) results.push(r.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name();
        const field = r.name();
        const kind = r.byte();
        if (kind === 0) {
          const t = types[r.u32()] ?? r.fail("import of unknown type index");
          funcTypes.push(t);
          imports.push({ module, field, desc: { kind: "func", type: t } });
        } else if (kind === 1) {
          r.valtype();
          r.limits();
          imports.push({ module, field, desc: { kind: "table" } });
        } else if (kind === 2) {
          r.limits();
          imports.push({ module, field, desc: { kind: "memory" } });
        } else if (kind === 3) {
          const g = r.globalType();
          globalTypes.push(g);
          imports.push({ module, field, desc: { kind: "global", type: g } });
        } else r.fail(`unknown import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = r.u32(); n > 0; n--) funcTypes.push(types[r.u32()] ?? r.fail("function of unknown type index"));
    } else if (id === 6) {
      for (let n = r.u32(); n > 0; n--) {
        globalTypes.push(r.globalType());
        r.skipConstExpr();
      }
    } else if (id === 7) {
      for (let n = r.u32(); n > 0; n--) rawExports.push({ name: r.name(), kind: r.byte(), index: r.u32() });
    } else if (id === 8) {
      hasStart = true;
    }
    top.pos = start + size;
  }

  const exports = rawExports.map((e, index): Export => {
    switch (e.kind) {
      case 0:
        return { name: e.name, index, desc: { kind: "func", type: funcTypes[e.index] ?? top.fail(`export '${e.name}' of unknown function ${e.index}`) } };
      case 1:
        return { name: e.name, index, desc: { kind: "table" } };
      case 2:
        return { name: e.name, index, desc: { kind: "memory" } };
      case 3:
        return { name: e.name, index, desc: { kind: "global", type: globalTypes[e.index] ?? top.fail(`export '${e.name}' of unknown global ${e.index}`) } };
      default:
        return top.fail(`export '${e.name}' has unknown kind ${e.kind}`);
    }
  });
  return { imports, exports, hasStart };
}

export function findExport(info: ModuleInfo, name: string): Export | undefined {
  return info.exports.find((e) => e.name === name);
}
