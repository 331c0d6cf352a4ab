// Harness of the VM definition parser tests (config.test.ts, config-multiboot.test.ts): builds
// a multiboot2 information block with one module tag per entry, runs the parser of
// tests/linux/entry.ts (src/vmm/config/vm-config.ts alone, built by mk/linux.mk) on it, and reads
// back the declarations and the console lines it printed.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const WASM = process.env.VMCFG_WASM ?? "build/linux/vm-config.wasm";
const INFO = 0x10000;

export interface Mod { start: number; end: number; text: string }
type Fn = (...a: number[]) => number;
type BigFn = (...a: number[]) => bigint;
/** The exports of tests/linux/entry.ts. */
interface Exports {
  memory: WebAssembly.Memory;
  parse: Fn; modules: Fn; decls: Fn; declMem: Fn; declName: Fn; declCmdline: Fn; declCmdlineLen: Fn;
  declKernel: BigFn; declKernelLen: BigFn; declInitrd: BigFn; declInitrdLen: BigFn;
  extentStart: BigFn; extentEnd: BigFn;
  declKind: Fn; declModCount: Fn; declModStart: BigFn; declModLen: BigFn; declModString: Fn; declModStringLen: Fn;
}
/** One multiboot module of a declaration: [host start, length], its string. */
export interface DeclModule { extent: [number, number]; string: string }
export interface Decl {
  name: string; mem: number; kind: "linux" | "multiboot"; kernel: [number, number]; initrd: [number, number];
  cmdline: string; modules: DeclModule[];
}

let mod: WebAssembly.Module | undefined;
function wasm(): WebAssembly.Module {
  if (!mod) {
    if (!existsSync(WASM)) execFileSync("make", ["--no-print-directory", WASM], { stdio: "inherit" });
    mod = new WebAssembly.Module(readFileSync(WASM));
  }
  return mod;
}

/** A multiboot2 block: header, one module tag (type 3) per entry, end tag. */
function block(mods: Mod[], opts: { unterminated?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const m of mods) {
    const text = Buffer.from(m.text, "latin1");
    const str = opts.unterminated ? text : Buffer.concat([text, Buffer.from([0])]);
    const size = 16 + str.length;
    const tag = Buffer.alloc((size + 7) & ~7);
    tag.writeUInt32LE(3, 0);
    tag.writeUInt32LE(size, 4);
    tag.writeUInt32LE(m.start, 8);
    tag.writeUInt32LE(m.end, 12);
    str.copy(tag, 16);
    parts.push(tag);
  }
  const end = Buffer.alloc(8);
  end.writeUInt32LE(0, 0);
  end.writeUInt32LE(8, 4);
  const body = Buffer.concat([...parts, end]);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(8 + body.length, 0);
  return Buffer.concat([head, body]);
}

export interface Parsed { valid: number; decls: Decl[]; lines: string[]; modules: number; extent: (i: number) => bigint[] }

/** Parses `mods` in a fresh instance (fresh static tables). */
export function run(mods: Mod[], opts: { unterminated?: boolean } = {}): Parsed {
  let out = "";
  const lsr = 0x60;
  const hw = {
    outb: (port: number, v: number) => { if (port === 0x3f8) out += String.fromCharCode(v); },
    inb: (port: number) => (port === 0x3fd ? lsr : 0xff),
    pause: () => {},
  };
  const inst = new WebAssembly.Instance(wasm(), { hw, env: { abort: () => { throw new Error("abort"); } } });
  const e = inst.exports as unknown as Exports;
  const memory = e.memory;
  new Uint8Array(memory.buffer).set(block(mods, opts), INFO);
  const valid = e.parse();
  const str = (p: number, n?: number) => {
    const b = new Uint8Array(memory.buffer, p, n ?? 1100);
    const z = n ?? b.indexOf(0);
    return Buffer.from(b.subarray(0, z)).toString("latin1");
  };
  const decls: Decl[] = Array.from({ length: e.decls() }, (_, i) => ({
    name: str(e.declName(i)),
    mem: e.declMem(i),
    kind: e.declKind(i) === 1 ? "multiboot" : "linux",
    kernel: [Number(e.declKernel(i)), Number(e.declKernelLen(i))],
    initrd: [Number(e.declInitrd(i)), Number(e.declInitrdLen(i))],
    cmdline: str(e.declCmdline(i), e.declCmdlineLen(i)),
    modules: Array.from({ length: e.declModCount(i) }, (_, k) => ({
      extent: [Number(e.declModStart(i, k)), Number(e.declModLen(i, k))] as [number, number],
      string: str(e.declModString(i, k), e.declModStringLen(i, k)),
    })),
  }));
  const lines = out.split("\r\n").filter((l) => l !== "");
  return { valid, decls, lines, modules: e.modules(), extent: (i: number) => [e.extentStart(i), e.extentEnd(i)] };
}
