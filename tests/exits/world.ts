// A fake machine for the handlers test wasm (mk/exits-unit.mk, tests/exits/handlers/entry.ts):
// the current VMCS as a map from encoding to value, CPUID and MSR tables, a COM1 that collects
// what the VMM prints, and logs of WRMSR/XSETBV/INVVPID. Guest RAM: GPA [0, 2 MiB) backed by the
// wasm memory at 4 MiB through a 2 MiB EPT leaf that this file writes (SDM Vol 3C §28.3.2).
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, resolve } from "node:path";
import { exportParams } from "../support/as-wasm.ts";
import { fakeVmreadMmio } from "../unit/support/fake-vmread-mmio.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const wasmPath = resolve(root, process.env["EXITS_HANDLERS_WASM"] ?? "build/exits-unit/handlers.wasm");

// VMCS encodings used by the tests (SDM Vol 3D Appendix B).
export const F = {
  GUEST_PHYS: 0x2400, EFER: 0x2806, PAT: 0x2804, TSC_OFFSET: 0x2010,
  PROC: 0x4002, PROC2: 0x401e, ENTRY_CTL: 0x4012, ENTRY_INFO: 0x4016, ENTRY_ERR: 0x4018, ENTRY_LEN: 0x401a,
  EXIT_LEN: 0x440c, EXIT_INFO: 0x440e, IDT_INFO: 0x4408, IDT_ERR: 0x440a,
  CS_AR: 0x4816, SS_AR: 0x4818, INTR: 0x4824, ACTIVITY: 0x4826, SYSENTER_CS: 0x482a,
  CR0_MASK: 0x6000, CR4_MASK: 0x6002, CR0_SHADOW: 0x6004, CR4_SHADOW: 0x6006, QUAL: 0x6400,
  CR0: 0x6800, CR3: 0x6802, CR4: 0x6804, ES_BASE: 0x6806, CS_BASE: 0x6808, DS_BASE: 0x680c,
  FS_BASE: 0x680e, RSP: 0x681c, RIP: 0x681e, RFLAGS: 0x6820,
} as const;

type Arg = number | bigint | boolean;
export const MiB = 1 << 20;
export const VCPU = 1 * MiB;
export const NAME = VCPU + 0x1000;
export const EPT_PML4 = 2 * MiB;
export const HOST_RAM = 4 * MiB;
export const RAM_SIZE = 2 * MiB;

let compiled: WebAssembly.Module | undefined;
let compiledBin: Uint8Array | undefined;

/** Builds (once per worker; make skips a fresh wasm) and compiles the handlers module. */
function handlersModule(): [WebAssembly.Module, Uint8Array] {
  if (!compiled || !compiledBin) {
    if (!process.env["EXITS_HANDLERS_WASM"]) {
      mkdirSync(resolve(root, "build"), { recursive: true });
      execFileSync("flock", [resolve(root, "build/.exits-unit.lock"), "make", "--no-print-directory", "-s", "exits-unit-wasm"],
        { cwd: root, stdio: "inherit" });
    }
    compiledBin = new Uint8Array(readFileSync(wasmPath));
    compiled = new WebAssembly.Module(readFileSync(wasmPath));
  }
  return [compiled, compiledBin];
}

export class World {
  vmcs = new Map<number, bigint>();
  msrs = new Map<number, bigint>();
  wrmsrLog: [number, bigint][] = [];
  xsetbvLog: bigint[] = [];
  /** The host's CR4 (VMXE on, OSXSAVE off, as the boot stub leaves it) and every write to it. */
  hostCr4 = 0x2020n;
  cr4Log: bigint[] = [];
  console = "";
  cpuid = new Map<string, [number, number, number, number]>();
  private ex: Record<string, unknown>;
  private sigs = new Map<string, string[]>();
  mem: DataView;
  bytes: Uint8Array;

  constructor() {
    const [module, bin] = handlersModule();
    const self = this;
    let mem: DataView | undefined;
    const hw: Record<string, (...a: never[]) => unknown> = {
      vmread: (f: number): bigint => BigInt.asIntN(64, self.vmcs.get(f) ?? 0n),
      vmwrite: (f: number, v: bigint): number => { self.vmcs.set(f, BigInt.asUintN(64, v)); return 0; },
      vmread_mmio: fakeVmreadMmio(() => mem!, (f) => self.vmcs.get(f) ?? 0n),
      cpuid: (leaf: number, sub: number, out: number): void => {
        const r = self.cpuid.get(`${leaf >>> 0}:${sub}`) ?? self.cpuid.get(`${leaf >>> 0}:*`) ?? [0, 0, 0, 0];
        r.forEach((x, i) => mem!.setUint32(out + 4 * i, x >>> 0, true));
      },
      cpu_index: (): number => 0,
      rdtsc: (): bigint => 1_000_000n,
      rdmsr_safe: (msr: number, out: number): number => {
        const v = self.msrs.get(msr >>> 0);
        if (v === undefined) return 0;
        mem!.setBigUint64(out, v, true);
        return 1;
      },
      wrmsr: (msr: number, v: bigint): void => { self.wrmsrLog.push([msr >>> 0, BigInt.asUintN(64, v)]); },
      read_cr4: (): bigint => self.hostCr4,
      write_cr4: (v: bigint): void => { self.hostCr4 = BigInt.asUintN(64, v); self.cr4Log.push(self.hostCr4); },
      xsetbv: (_i: number, v: bigint): void => {
        if ((self.hostCr4 & (1n << 18n)) === 0n) throw new Error("XSETBV with CR4.OSXSAVE clear: #UD");
        self.xsetbvLog.push(BigInt.asUintN(64, v));
      },
      invvpid: (): number => 0,
      pause: (): void => {},
      outb: (port: number, v: number): void => { if (port === 0x3f8) self.console += String.fromCharCode(v); },
      inb: (port: number): number => (port === 0x3fd ? 0x60 : 0xff),
    };
    const instance = new WebAssembly.Instance(module, {
      hw: new Proxy(hw, { get: (t, k: string) => t[k] ?? (() => { throw new Error(`fake hw: ${k} not modelled`); }) }),
      env: { abort: (): never => { throw new Error("wasm abort()"); } },
    });
    this.ex = instance.exports as Record<string, unknown>;
    const memory = this.ex["memory"] as WebAssembly.Memory;
    this.mem = mem = new DataView(memory.buffer);
    this.bytes = new Uint8Array(memory.buffer);
    this.sigs = exportParams(bin);
  }

  call(name: string, ...args: Arg[]): number | bigint {
    const f = this.ex[name] as ((...a: (number | bigint)[]) => number | bigint) | undefined;
    const types = this.sigs.get(name);
    if (!f || !types) throw new Error(`no export ${name}`);
    return f(...args.map((a, i) => (types[i] === "i64" ? BigInt.asIntN(64, BigInt(a)) : Number(a))));
  }
  u32(name: string, ...args: Arg[]): number { return Number(this.call(name, ...args)) >>> 0; }

  get(f: number): bigint { return this.vmcs.get(f) ?? 0n; }
  set(f: number, v: bigint | number): void { this.vmcs.set(f, BigInt.asUintN(64, BigInt(v))); }
  reg(n: number): bigint { return this.mem.getBigUint64(VCPU + 8 * n, true); }
  setReg(n: number, v: bigint | number): void { this.mem.setBigUint64(VCPU + 8 * n, BigInt.asUintN(64, BigInt(v)), true); }
  /** Guest-physical bytes (RAM is identity-offset at HOST_RAM). */
  poke(gpa: number, data: number[] | string): void {
    const b = typeof data === "string" ? [...data].map((c) => c.charCodeAt(0)) : data;
    this.bytes.set(b, HOST_RAM + gpa);
  }
  peek(gpa: number, n: number): number[] { return [...this.bytes.subarray(HOST_RAM + gpa, HOST_RAM + gpa + n)]; }
  /**
   * One VM exit as hw_vmrun delivers it (src/vmx/vcpu.ts): GUEST_RIP and the VM-exit instruction
   * length are copied into the vCPU block (ripCache at 200, exitInsnLen at 208; for an I/O exit
   * also the exit qualification, ioQual at 184) before the handler runs; a RIP the core changed
   * (ripDirty at 212) is written back to the VMCS afterwards, as hw_vmrun does before the next entry.
   */
  exit(reason: number): number {
    if (reason === 30) this.mem.setBigUint64(VCPU + 184, this.get(F.QUAL), true); // VCpu.ioQual
    this.mem.setBigUint64(VCPU + 200, this.get(F.RIP), true);
    this.mem.setUint32(VCPU + 208, Number(this.get(F.EXIT_LEN)), true);
    this.mem.setUint32(VCPU + 212, 0, true);
    const r = this.u32("hxExit", reason, VCPU);
    if (this.mem.getUint32(VCPU + 212, true) !== 0) this.set(F.RIP, this.mem.getBigUint64(VCPU + 200, true));
    return r;
  }
}

/**
 * A fresh world: one VM "t" with one vCPU, handlers registered, a Skylake-like CPUID, VMX fixed
 * bits as on Skylake (CR0 PE|NE|PG, CR4 VMXE), unrestricted guest + EPT + VPID, windows allowed,
 * 16-bit real-mode guest state (CS/DS/ES/SS base 0), RFLAGS = 2.
 */
export function makeWorld(): World {
  const w = new World();
  const c = (leaf: number, sub: number | "*", r: [number, number, number, number]): void => { w.cpuid.set(`${leaf >>> 0}:${sub}`, r); };
  c(0, "*", [0xd, 0x756e6547, 0x6c65746e, 0x49656e69]);
  c(1, "*", [0x50654, 0x800, (1 << 26) | (1 << 0) | (1 << 5), (1 << 3) | (1 << 5) | (1 << 6) | (1 << 13) | (1 << 24) | (1 << 25)]);
  c(7, 0, [0, (1 << 0) | (1 << 7), 0, 0]);
  c(0xd, 0, [7, 832, 832, 0]);
  c(0xd, 2, [256, 576, 0, 0]);
  c(0x80000000, "*", [0x80000008, 0, 0, 0]);
  c(0x80000001, "*", [0, 0, 1, (1 << 11) | (1 << 20) | (1 << 29)]);
  c(0x80000008, "*", [39 | (48 << 8), 0, 0, 0]);
  const caps = w.u32("hxCaps");
  w.mem.setBigUint64(caps, 1n << 54n, true); // basic: INS/OUTS instruction information
  w.mem.setBigUint64(caps + 48, 0x80000021n, true);
  w.mem.setBigUint64(caps + 56, 0xffffffffn, true);
  w.mem.setBigUint64(caps + 64, 0x2000n, true);
  w.mem.setBigUint64(caps + 72, 0x3767ffn, true);
  const ctl = w.u32("hxControls");
  w.mem.setUint32(ctl + 8, (1 << 1) | (1 << 5) | (1 << 7), true); // proc2: EPT, VPID, unrestricted
  w.mem.setUint32(ctl + 20, (1 << 2) | (1 << 22), true); // procDynamic: interrupt + NMI window
  // EPT: PML4[0] → PDPT[0] → PD[0] = 2 MiB WB RWX leaf at HOST_RAM
  w.bytes.fill(0, EPT_PML4, EPT_PML4 + 3 * 4096);
  w.mem.setBigUint64(EPT_PML4, BigInt(EPT_PML4 + 0x1000) | 7n, true);
  w.mem.setBigUint64(EPT_PML4 + 0x1000, BigInt(EPT_PML4 + 0x2000) | 7n, true);
  w.mem.setBigUint64(EPT_PML4 + 0x2000, BigInt(HOST_RAM) | 7n | (6n << 3n) | 0x80n, true);
  w.bytes.fill(0, HOST_RAM, HOST_RAM + RAM_SIZE);
  w.bytes.set([0x74, 0], NAME);
  const vm = w.u32("hxVm", NAME, BigInt(EPT_PML4), BigInt(RAM_SIZE));
  if (vm === 0) throw new Error("no VM slot");
  w.u32("hxVcpu", VCPU, vm, 0);
  w.u32("hxRegister");
  w.set(F.CR0, 0x30n); w.set(F.CR0_SHADOW, 0x10n); w.set(F.CR0_MASK, 0xffffffff00000020n);
  w.set(F.CR4, 0x2000n); w.set(F.CR4_SHADOW, 0n); w.set(F.CR4_MASK, 0xffffffffffc89800n);
  w.set(F.CS_AR, 0x9b); w.set(F.SS_AR, 0x93); w.set(F.RFLAGS, 2); w.set(F.PAT, 0x0007040600070406n);
  return w;
}
export const vmOfWorld = (w: World): number => w.mem.getUint32(VCPU + 152, true);
