// Decoder of the wasm binary format (WebAssembly Core Specification §5.5 "Modules"): every
// section of the MVP plus bulk memory / reference types (datacount, element segment forms 0-7)
// and the custom "name" section (Custom Sections appendix §7.4). Function bodies are recorded as
// byte ranges here and decoded by body.ts; module-level index checks (§3.4) happen here.

import { CompileError } from "./errors.ts";
import { Reader } from "./reader.ts";
import type {
  ConstExpr, DataSegment, ElemSegment, Export, Func, FuncType, Global, Limits, Memory, Module,
  RefType, Table, ValType,
} from "./module.ts";

const SECTION_NAMES = [
  "custom", "type", "import", "function", "table", "memory", "global", "export", "start",
  "element", "code", "data", "datacount",
];
// Required order of the non-custom sections (§5.5.2): datacount sits between import..export/start/element and code.
const SECTION_ORDER: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 12: 10, 10: 11, 11: 12 };

export function readValType(r: Reader): ValType {
  const at = r.pos;
  const b = r.u8();
  switch (b) {
    case 0x7f: return "i32";
    case 0x7e: return "i64";
    case 0x7d: return "f32";
    case 0x7c: return "f64";
    case 0x7b: return "v128";
    case 0x70: return "funcref";
    case 0x6f: return "externref";
  }
  return r.fail(`malformed value type 0x${b.toString(16)}`, at);
}

function readRefType(r: Reader): RefType {
  const at = r.pos;
  const t = readValType(r);
  if (t !== "funcref" && t !== "externref") r.fail(`malformed reference type ${t}`, at);
  return t;
}

function readLimits(r: Reader, maxAllowed: number, what: string): Limits {
  const at = r.pos;
  const flags = r.u8();
  // 0: min, 1: min max, 3: shared min max (threads); a shared memory needs a maximum
  if (flags > 3 || flags === 2) r.fail(`malformed ${what} limits flags 0x${flags.toString(16)}`, at);
  const min = r.u32();
  const max = flags & 1 ? r.u32() : null;
  if (min > maxAllowed) r.fail(`${what} size must be at most ${maxAllowed}`, at);
  if (max !== null && max > maxAllowed) r.fail(`${what} size must be at most ${maxAllowed}`, at);
  if (max !== null && max < min) r.fail(`${what} size minimum must not be greater than maximum`, at);
  return { min, max, shared: (flags & 2) !== 0 };
}

export function readConstExpr(r: Reader): ConstExpr {
  const at = r.pos;
  const op = r.u8();
  let e: ConstExpr;
  switch (op) {
    case 0x41: e = { k: "i32", bits: r.s32() >>> 0 }; break;
    case 0x42: e = { k: "i64", bits: BigInt.asUintN(64, r.s64()) }; break;
    case 0x43: e = { k: "f32", bits: r.f32bits() }; break;
    case 0x44: e = { k: "f64", bits: r.f64bits() }; break;
    case 0x23: e = { k: "global", index: r.u32() }; break;
    case 0xd0: e = { k: "null", type: readRefType(r) }; break;
    case 0xd2: e = { k: "func", index: r.u32() }; break;
    default: r.fail(`unsupported constant expression opcode 0x${op.toString(16)}`, at);
  }
  const endAt = r.pos;
  if (r.u8() !== 0x0b) r.fail("constant expression: expected end (0x0b) after one instruction", endAt);
  return e;
}

export function decodeModule(bytes: Uint8Array): Module {
  const r = new Reader(bytes);
  if (bytes.length < 8) r.fail("not a wasm binary (too short for magic and version)", 0);
  if (bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) r.fail("bad magic number (not a wasm binary)", 0);
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) r.fail("unknown binary version", 4);
  r.pos = 8;

  const m: Module = {
    bytes, types: [], funcs: [], numImportedFuncs: 0, tables: [], memories: [], globals: [],
    exports: [], start: null, elems: [], datas: [], dataCount: null,
  };
  const declaredFuncTypes: number[] = [];
  let sawCode = false;
  let lastOrder = 0;
  let funcNames: Map<number, string> | null = null;

  while (!r.eof()) {
    const secAt = r.pos;
    r.where = "module";
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    if (size > bytes.length - start) r.fail(`section ${id} size ${size} runs past the end of the file`, secAt);
    const end = start + size;
    const name = SECTION_NAMES[id];
    if (name === undefined) r.fail(`malformed section id ${id}`, secAt);
    r.where = `${name} section`;
    if (id !== 0) {
      const order = SECTION_ORDER[id]!;
      if (order <= lastOrder) r.fail("unexpected section (duplicate or out of order)", secAt);
      lastOrder = order;
    }
    const sr = new Reader(bytes, start, end);
    sr.where = r.where;
    switch (id) {
      case 0: {
        const cname = sr.name();
        if (cname === "name") {
          try {
            funcNames = decodeNameSection(sr);
          } catch {
            funcNames = null; // a malformed name section is ignored (Custom Sections appendix §7.4)
          }
        }
        sr.pos = end;
        break;
      }
      case 1: {
        const n = sr.u32();
        for (let i = 0; i < n; i++) {
          const at = sr.pos;
          const form = sr.u8();
          if (form !== 0x60) sr.fail(`unsupported type form 0x${form.toString(16)} (only func types)`, at);
          const params: ValType[] = [];
          for (let j = sr.u32(); j > 0; j--) params.push(readValType(sr));
          const results: ValType[] = [];
          for (let j = sr.u32(); j > 0; j--) results.push(readValType(sr));
          m.types.push({ params, results });
        }
        break;
      }
      case 2: {
        const n = sr.u32();
        for (let i = 0; i < n; i++) {
          const module = sr.name();
          const field = sr.name();
          const at = sr.pos;
          const kind = sr.u8();
          switch (kind) {
            case 0: {
              const t = sr.u32();
              if (t >= m.types.length) sr.fail(`unknown type ${t}`, at + 1);
              m.funcs.push({ type: t, imported: { module, field }, body: null, name: null });
              m.numImportedFuncs++;
              break;
            }
            case 1: {
              const elem = readRefType(sr);
              m.tables.push({ elem, limits: readLimits(sr, 0xffffffff, "table"), imported: { module, field } });
              break;
            }
            case 2: m.memories.push({ limits: readLimits(sr, 65536, "memory"), imported: { module, field } }); break;
            case 3: {
              const type = readValType(sr);
              const mutAt = sr.pos;
              const mut = sr.u8();
              if (mut > 1) sr.fail("malformed mutability", mutAt);
              m.globals.push({ type, mutable: mut === 1, init: null, imported: { module, field } });
              break;
            }
            default: sr.fail(`malformed import kind ${kind}`, at);
          }
        }
        break;
      }
      case 3: {
        const n = sr.u32();
        for (let i = 0; i < n; i++) {
          const at = sr.pos;
          const t = sr.u32();
          if (t >= m.types.length) sr.fail(`unknown type ${t}`, at);
          declaredFuncTypes.push(t);
        }
        break;
      }
      case 4: {
        const n = sr.u32();
        for (let i = 0; i < n; i++) {
          const elem = readRefType(sr);
          m.tables.push({ elem, limits: readLimits(sr, 0xffffffff, "table"), imported: null });
        }
        break;
      }
      case 5: {
        const n = sr.u32();
        for (let i = 0; i < n; i++) m.memories.push({ limits: readLimits(sr, 65536, "memory"), imported: null });
        break;
      }
      case 6: {
        const n = sr.u32();
        for (let i = 0; i < n; i++) {
          const type = readValType(sr);
          const mutAt = sr.pos;
          const mut = sr.u8();
          if (mut > 1) sr.fail("malformed mutability", mutAt);
          m.globals.push({ type, mutable: mut === 1, init: readConstExpr(sr), imported: null } satisfies Global);
        }
        break;
      }
      case 7: {
        const n = sr.u32();
        const seen = new Set<string>();
        for (let i = 0; i < n; i++) {
          const at = sr.pos;
          const ename = sr.name();
          if (seen.has(ename)) sr.fail(`duplicate export name "${ename}"`, at);
          seen.add(ename);
          const kAt = sr.pos;
          const k = sr.u8();
          const kind = (["func", "table", "memory", "global"] as const)[k];
          if (kind === undefined) return sr.fail(`malformed export kind ${k}`, kAt);
          m.exports.push({ name: ename, kind, index: sr.u32() } satisfies Export);
        }
        break;
      }
      case 8: m.start = sr.u32(); break;
      case 9: {
        const n = sr.u32();
        for (let i = 0; i < n; i++) m.elems.push(readElemSegment(sr));
        break;
      }
      case 12: m.dataCount = sr.u32(); break;
      case 10: {
        sawCode = true;
        const n = sr.u32();
        if (n !== declaredFuncTypes.length) sr.fail(`function and code section have inconsistent lengths (${declaredFuncTypes.length} vs ${n})`, start);
        for (let i = 0; i < n; i++) {
          const bodyAt = sr.pos;
          const bsize = sr.u32();
          const bstart = sr.pos;
          if (bsize > end - bstart) sr.fail(`function body ${i} runs past the end of the section`, bodyAt);
          const br = new Reader(bytes, bstart, bstart + bsize);
          br.where = `code section, function ${m.numImportedFuncs + i}`;
          const locals: ValType[] = [];
          let total = 0;
          for (let j = br.u32(); j > 0; j--) {
            const cAt = br.pos;
            const count = br.u32();
            total += count;
            if (total > 50000) br.fail("too many locals", cAt);
            const t = readValType(br);
            for (let c = 0; c < count; c++) locals.push(t);
          }
          m.funcs.push({ type: declaredFuncTypes[i]!, imported: null, body: { locals, codeStart: br.pos, codeEnd: bstart + bsize }, name: null });
          sr.pos = bstart + bsize;
        }
        break;
      }
      case 11: {
        const n = sr.u32();
        if (m.dataCount !== null && n !== m.dataCount) sr.fail(`data count (${m.dataCount}) and data section (${n}) have inconsistent lengths`, start);
        for (let i = 0; i < n; i++) m.datas.push(readDataSegment(sr));
        break;
      }
    }
    if (sr.pos !== end) sr.fail(`section size mismatch (${end - sr.pos} bytes left unread)`, sr.pos);
    r.pos = end;
  }
  r.where = "module";
  if (!sawCode && declaredFuncTypes.length > 0) r.fail("function and code section have inconsistent lengths", bytes.length);
  if (m.dataCount !== null && m.datas.length === 0 && m.dataCount !== 0) r.fail("data count and data section have inconsistent lengths", bytes.length);
  if (funcNames) for (const [i, n] of funcNames) if (m.funcs[i]) m.funcs[i]!.name = n;
  checkModule(m);
  return m;
}

function readElemSegment(r: Reader): ElemSegment {
  const at = r.pos;
  const flags = r.u32();
  if (flags > 7) r.fail(`malformed element segment flags ${flags}`, at);
  const passiveOrDecl = (flags & 1) !== 0;
  const explicitTable = (flags & 2) !== 0;
  const exprs = (flags & 4) !== 0;
  const mode = !passiveOrDecl ? "active" : explicitTable ? "declarative" : "passive";
  const table = !passiveOrDecl && explicitTable ? r.u32() : 0;
  const offset = mode === "active" ? readConstExpr(r) : null;
  let type: RefType = "funcref";
  if (passiveOrDecl || explicitTable) {
    if (exprs) type = readRefType(r);
    else {
      const kAt = r.pos;
      if (r.u8() !== 0) r.fail("malformed element kind", kAt);
    }
  }
  const items: (number | null)[] = [];
  for (let n = r.u32(); n > 0; n--) {
    if (!exprs) items.push(r.u32());
    else {
      const eAt = r.pos;
      const e = readConstExpr(r);
      if (e.k === "func") items.push(e.index);
      else if (e.k === "null") items.push(null);
      else r.fail("unsupported element expression (only ref.func / ref.null)", eAt);
    }
  }
  return { mode, table, offset, type, items, fileOffset: at };
}

function readDataSegment(r: Reader): DataSegment {
  const at = r.pos;
  const flags = r.u32();
  if (flags > 2) r.fail(`malformed data segment flags ${flags}`, at);
  const memory = flags === 2 ? r.u32() : 0;
  const offset = flags === 1 ? null : readConstExpr(r);
  const len = r.u32();
  return { mode: flags === 1 ? "passive" : "active", memory, offset, bytes: r.bytesN(len), fileOffset: at };
}

/** Function names: subsection 1 of the name section (Custom Sections appendix §7.4.1). */
function decodeNameSection(r: Reader): Map<number, string> {
  const names = new Map<number, string>();
  while (!r.eof()) {
    const id = r.u8();
    const size = r.u32();
    const end = r.pos + size;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        const idx = r.u32();
        names.set(idx, r.name());
      }
    }
    r.pos = end;
  }
  return names;
}

/** Module-level validation (§3.4): index spaces and constant-expression types. */
function checkModule(m: Module): void {
  const fail = (where: string, at: number, msg: string): never => {
    throw new CompileError(where, at, msg);
  };
  if (m.memories.length > 1) fail("memory section", 0, "multiple memories");
  // Wasm 1.0 §2.5: at most one table; more need the reference-types proposal, which ts2native does
  // not implement (its table.get/set/grow/fill and typed references would be needed with them).
  if (m.tables.length > 1) fail("table section", 0, "multiple tables (needs the reference-types proposal, not supported)");
  if (m.start !== null) {
    const f = m.funcs[m.start];
    if (!f) fail("start section", 0, `unknown function ${m.start}`);
    const t = m.types[f!.type]!;
    if (t.params.length || t.results.length) fail("start section", 0, "start function must have type [] -> []");
  }
  for (const e of m.exports) {
    const n = { func: m.funcs.length, table: m.tables.length, memory: m.memories.length, global: m.globals.length }[e.kind];
    if (e.index >= n) fail("export section", 0, `unknown ${e.kind} ${e.index} (export "${e.name}")`);
  }
  m.globals.forEach((g, i) => {
    if (g.init) checkConst(m, g.init, g.type, `global section, global ${i}`, i);
  });
  for (const s of m.elems) {
    if (s.mode === "active") {
      if (s.table >= m.tables.length) fail("element section", s.fileOffset, `unknown table ${s.table}`);
      checkConst(m, s.offset!, "i32", "element section", m.globals.length, s.fileOffset);
    }
    for (const f of s.items) if (f !== null && f >= m.funcs.length) fail("element section", s.fileOffset, `unknown function ${f}`);
  }
  for (const s of m.datas) {
    if (s.mode !== "active") continue; // passive segments need no memory until memory.init
    if (s.memory >= m.memories.length) fail("data section", s.fileOffset, `unknown memory ${s.memory}`);
    checkConst(m, s.offset!, "i32", "data section", m.globals.length, s.fileOffset);
  }
}

function checkConst(m: Module, e: ConstExpr, want: ValType, where: string, globalLimit: number, at = 0): void {
  let t: ValType;
  switch (e.k) {
    case "global": {
      const g = m.globals[e.index];
      // Only imported globals may be referenced (§3.3.10, MVP; GC relaxes this to earlier globals).
      if (!g || e.index >= globalLimit || g.imported === null) throw new CompileError(where, at, `unknown global ${e.index} in constant expression`);
      if (g.mutable) throw new CompileError(where, at, "constant expression required (mutable global)");
      t = g.type;
      break;
    }
    case "null": t = e.type; break;
    case "func":
      if (e.index >= m.funcs.length) throw new CompileError(where, at, `unknown function ${e.index}`);
      t = "funcref";
      break;
    default: t = e.k;
  }
  if (t !== want) throw new CompileError(where, at, `type mismatch in constant expression (${t}, expected ${want})`);
}

export type { FuncType, Func, Table, Memory, DataSegment, ElemSegment };
