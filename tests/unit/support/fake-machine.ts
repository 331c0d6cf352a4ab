// A fake machine behind the core's `hw` imports, in the style of Hedron's Fake_memory: CPUID is a
// table, MSRs a map (a missing MSR raises #GP, which hw_rdmsr_safe reports as 0), I/O ports a log
// with a small 16550 model that turns UART bytes back into text, and RAM is the wasm memory itself
// (wasm address = physical address, docs/native-abi.md).

import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { FakeVmx } from "./fake-vmx.ts";
import { fakeVmreadMmio } from "./fake-vmread-mmio.ts";

/** The build tree the tests read (mk/core.mk passes BUILD as TSHV_BUILD; default build/). */
const BUILD_DIR = resolve(import.meta.dirname, "../../..", process.env["TSHV_BUILD"] ?? "build");
/** The unit tests' build of the core (mk/core.mk: build/vmm-test.wasm). */
export const TEST_WASM = resolve(BUILD_DIR, "vmm-test.wasm");
/** The image's build (build/vmm.wasm): shape checks only, its memory is not exported. */
export const CORE_WASM = resolve(BUILD_DIR, "vmm.wasm");

/**
 * 64 MiB of fake RAM: the image below 4 MiB (image_end), the wasm data and heap at 16–32 MiB, and
 * room for the frame allocator to hand out guest RAM, VMCSs and EPT tables around it (a memory map
 * must not report usable RAM beyond 64 MiB when a test boots as far as creating VMs).
 */
const MEMORY_PAGES = 1024;
/** Where hw_guest_images points when a test gives no table: a zero count. */
export const EMPTY_GUEST_TABLE = 0x3ff000;
const COM1 = 0x3f8;
const LSR_THRE = 0x20;
const LSR_TEMT = 0x40;

/** Thrown by hw_halt to unwind the wasm stack: on the machine the CPU stops there. */
export class Halted extends Error {
  constructor() {
    super("hw_halt");
  }
}

export type CpuidLeaves = ReadonlyMap<number, readonly [number, number, number, number]>;

export interface MachineSpec {
  cpuid: CpuidLeaves;
  /** Leaves whose answer depends on ECX, keyed "leaf/subleaf"; checked before `cpuid`. */
  cpuidSub?: ReadonlyMap<string, readonly [number, number, number, number]>;
  /** MSR number → value; an MSR not in the map raises #GP. */
  msrs: ReadonlyMap<number, bigint>;
  /** LSR reads that report "busy" after each byte written (0 = an infinitely fast UART). */
  uartBusyReads?: number;
  /** Address of the guest-image table hw_guest_images returns (default: EMPTY_GUEST_TABLE). */
  guestImages?: number;
}

export class FakeMachine {
  readonly memory = new WebAssembly.Memory({ initial: MEMORY_PAGES, maximum: MEMORY_PAGES });
  /** Declared before `imports`, whose initializer spreads its intrinsics. */
  readonly vmx = new FakeVmx(() => this.view());
  /** Every port write, in order. */
  readonly portWrites: { port: number; value: number }[] = [];
  readonly msrReads: number[] = [];
  /** Problems the fake UART detected in how the driver used it. */
  readonly uartViolations: string[] = [];
  halted = false;
  /** Whether the UART had sent every byte (LSR.TEMT seen since the last byte) at hw_halt. */
  drainedAtHalt = false;
  /** Same, at each write to port 0xF4. */
  readonly drainedAtDebugExit: boolean[] = [];

  private readonly bytes: number[] = [];
  private readonly uartRegs = new Map<number, number>();
  private dll = -1;
  private dlm = -1;
  private busy = 0;
  private thrFree = true;
  private drained = true;

  /** MSRs as WRMSR leaves them (starts as the spec's map). */
  readonly msrs: Map<number, bigint>;
  readonly msrWrites: [number, bigint][] = [];

  constructor(private readonly spec: MachineSpec) {
    this.msrs = new Map(spec.msrs);
    this.vmx.revisionId = Number((spec.msrs.get(0x480) ?? 0n) & 0x7fffffffn); // IA32_VMX_BASIC[30:0]
  }

  /** What the core printed on COM1. */
  get console(): string {
    return Buffer.from(this.bytes).toString("latin1");
  }

  /** The console split at CR LF (the core's line end); an unterminated last line is kept. */
  get lines(): string[] {
    const parts = this.console.split("\r\n");
    if (parts[parts.length - 1] === "") parts.pop();
    return parts;
  }

  /** The UART as the driver left it: divisor latch (-1 if never written), LCR, IER, FCR, MCR. */
  get uartConfig(): { divisor: number; lcr: number; ier: number; fcr: number; mcr: number } {
    const reg = (r: number): number => this.uartRegs.get(r) ?? -1;
    return {
      divisor: this.dll < 0 || this.dlm < 0 ? -1 : (this.dlm << 8) | this.dll,
      lcr: reg(3),
      ier: reg(1),
      fcr: reg(2),
      mcr: reg(4),
    };
  }

  view(): DataView {
    return new DataView(this.memory.buffer);
  }

  readonly imports = {
    env: { memory: this.memory },
    hw: {
      outb: (port: number, value: number): void => this.outb(port >>> 0, value >>> 0),
      outw: (): void => {
        throw new Error("hw_outw: not expected");
      },
      outl: (): void => {
        throw new Error("hw_outl: not expected");
      },
      inb: (port: number): number => this.inb(port >>> 0),
      inw: (): number => 0xffff,
      inl: (): number => 0xffffffff,
      cpuid: (leaf: number, subleaf: number, out: number): void => this.cpuid(leaf >>> 0, subleaf >>> 0, out >>> 0),
      rdmsr: (msr: number): bigint => {
        throw new Error(`hw_rdmsr(${(msr >>> 0).toString(16)}): the core must use hw_rdmsr_safe`);
      },
      rdmsr_safe: (msr: number, out: number): number => this.rdmsrSafe(msr >>> 0, out >>> 0),
      wrmsr: (msr: number, value: bigint): void => {
        if (!this.msrs.has(msr >>> 0)) throw new Error(`hw_wrmsr(${(msr >>> 0).toString(16)}): #GP`);
        this.msrWrites.push([msr >>> 0, BigInt.asUintN(64, value)]);
        this.msrs.set(msr >>> 0, BigInt.asUintN(64, value));
      },
      read_cr0: (): bigint => this.vmx.cr0,
      read_cr3: (): bigint => 0x1000n,
      read_cr4: (): bigint => this.vmx.cr4,
      write_cr0: (v: bigint): void => {
        this.vmx.cr0 = BigInt.asUintN(64, v);
      },
      write_cr4: (v: bigint): void => {
        this.vmx.cr4 = BigInt.asUintN(64, v);
      },
      rdtsc: (): bigint => 0n,
      pause: (): void => {},
      halt: (): void => {
        this.halted = true;
        this.drainedAtHalt = this.drained;
        throw new Halted();
      },
      cpu_index: (): number => 0,
      image_end: (): bigint => 0x400000n,
      guest_images: (): bigint => BigInt(this.spec.guestImages ?? EMPTY_GUEST_TABLE),
      ...this.vmxImports(),
      vmread_mmio: fakeVmreadMmio(() => this.view(), (f) => this.vmx.imports.vmread(f)),
    },
  };

  private vmxImports(): FakeVmx["imports"] {
    return this.vmx.imports;
  }

  private cpuid(leaf: number, subleaf: number, out: number): void {
    const r = this.spec.cpuidSub?.get(`${leaf}/${subleaf}`) ?? this.spec.cpuid.get(leaf) ?? [0, 0, 0, 0];
    const v = this.view();
    r.forEach((reg, i) => v.setUint32(out + 4 * i, reg >>> 0, true));
  }

  private rdmsrSafe(msr: number, out: number): number {
    this.msrReads.push(msr);
    const value = this.msrs.get(msr);
    if (value === undefined) return 0; // #GP
    this.view().setBigUint64(out, value, true);
    return 1;
  }

  private dlab(): boolean {
    return ((this.uartRegs.get(3) ?? 0) & 0x80) !== 0;
  }

  /**
   * The host's RTC as src/vmm/time/host-time.ts reads it: CMOS index at 0x70, data at 0x71; BCD,
   * 24-hour (register B = 0x02), update never in progress. 2025-01-02 03:04:05, century 0x20.
   */
  private cmosIndex = 0;
  private readonly cmos = new Map<number, number>([
    [0x00, 0x05], [0x02, 0x04], [0x04, 0x03], [0x07, 0x02], [0x08, 0x01], [0x09, 0x25],
    [0x0a, 0x26], [0x0b, 0x02], [0x32, 0x20],
  ]);

  private outb(port: number, value: number): void {
    this.portWrites.push({ port, value });
    if (port === 0x70) this.cmosIndex = value & 0x7f;
    if (port === 0xf4) this.drainedAtDebugExit.push(this.drained);
    if (port < COM1 || port > COM1 + 7) return;
    const reg = port - COM1;
    if (reg === 0 && !this.dlab()) {
      if (!this.thrFree) this.uartViolations.push(`THR written while LSR.THRE was clear (byte ${value})`);
      this.bytes.push(value & 0xff);
      this.busy = this.spec.uartBusyReads ?? 0;
      this.thrFree = this.busy === 0;
      this.drained = false;
      return;
    }
    // With LCR.DLAB set, offsets 0 and 1 are the divisor latch (PC16550D, register summary).
    if (reg === 0 && this.dlab()) this.dll = value;
    else if (reg === 1 && this.dlab()) this.dlm = value;
    else this.uartRegs.set(reg, value);
  }

  private inb(port: number): number {
    if (port === 0x71) return this.cmos.get(this.cmosIndex) ?? 0xff;
    if (port !== COM1 + 5) return 0xff; // nothing else is decoded: an absent device reads all ones
    if (this.busy > 0) {
      this.busy--;
      return 0x00;
    }
    this.thrFree = true;
    this.drained = true;
    return LSR_THRE | LSR_TEMT;
  }
}

const modules = new Map<string, WebAssembly.Module>();

/** Instantiates build/vmm-test.wasm on `machine`. */
export function instantiate(machine: FakeMachine): WebAssembly.Exports {
  let mod = modules.get(TEST_WASM);
  if (mod === undefined) {
    if (!existsSync(TEST_WASM)) throw new Error(`${TEST_WASM} is missing: run \`make core-wasm-test\` (or make test-unit)`);
    mod = new WebAssembly.Module(readFileSync(TEST_WASM));
    modules.set(TEST_WASM, mod);
  }
  const exports = new WebAssembly.Instance(mod, machine.imports).exports;
  // hw_vmrun calls the core's vmm_exit after every exit (boot/vmrun.asm, src/vmm/exit-fast.ts).
  const exit = exports["vmm_exit"];
  if (typeof exit === "function") machine.vmx.exitHook = exit as (regs: number) => number;
  // …after its lite entries for CPUID and I/O exits (src/vmm/exit-lite.ts), when the build has them.
  const liteCpuid = exports["vmm_exit_cpuid"];
  if (typeof liteCpuid === "function") machine.vmx.liteCpuidHook = liteCpuid as (regs: number) => number;
  const liteIo = exports["vmm_exit_io"];
  if (typeof liteIo === "function") machine.vmx.liteIoHook = liteIo as (regs: number, qual: bigint) => number;
  return exports;
}

/** A function export, typed for the caller. */
export function fn<T extends (...args: never[]) => unknown>(exports: WebAssembly.Exports, name: string): T {
  const f = exports[name];
  if (typeof f !== "function") throw new Error(`export ${name} is not a function`);
  return f as T;
}

/** An exported constant (an immutable i32 global). */
export function constant(exports: WebAssembly.Exports, name: string): number {
  const g = exports[name];
  if (!(g instanceof WebAssembly.Global)) throw new Error(`export ${name} is not a global`);
  return g.value as number;
}

/** Runs vmm_main until it halts the CPU; fails if it returns instead. */
export function runVmmMain(machine: FakeMachine, magic: number, info: number): void {
  const exports = instantiate(machine);
  const main = fn<(magic: number, info: number) => void>(exports, "vmm_main");
  try {
    main(magic, info);
  } catch (e) {
    if (e instanceof Halted) return;
    throw e;
  }
  throw new Error("vmm_main returned instead of halting");
}
