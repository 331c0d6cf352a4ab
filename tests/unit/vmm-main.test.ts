// The whole vmm_main on fake machines: exactly the console lines an operator sees, the UART
// programmed and drained, the MSRs it dared to read, and QEMU's debug-exit port when VT-x is absent.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { FakeMachine, Halted, fn, instantiate, runVmmMain, type MachineSpec } from "./support/fake-machine.ts";
import { LYNNFIELD_VMX, MSR, PENRYN_VMX, intelCpuid, qemu64, skylakeX, vmxMsrs } from "./support/cpus.ts";
import { F, REG } from "./support/fake-vmx.ts";
import { standardKludge } from "../loader/mbkernels.ts";
import { MB1_MAGIC, MB2_END, MB2_MAGIC, PC_2G, QEMU_128M, mb1Info, mb1Mmap, mb2Cmdline, mb2Info, mb2MmapPayload, mb2Tag } from "./support/multiboot.ts";

const ROOT = resolve(import.meta.dirname, "../..");

/** The banner the build must print: version from package.json, id from the generated file. */
function expectedBanner(): string {
  const version = (JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as { version: string }).version;
  const gen = readFileSync(resolve(ROOT, process.env["TSHV_BUILD"] ?? "build", "gen/tshv-buildinfo/index.ts"), "utf8");
  const id = /TSHV_BUILD_ID: string = "([^"]+)"/.exec(gen)?.[1];
  expect(id).toMatch(/^([0-9a-f]{7}(-dirty)?|src-[0-9a-f]{12})$/);
  expect(gen).toContain(`TSHV_VERSION: string = "${version}"`);
  return `tshv ${version} (build ${id})`;
}

function boot(spec: MachineSpec, magic: number, info: number, place?: (m: FakeMachine) => void): FakeMachine {
  const m = new FakeMachine({ uartBusyReads: 2, ...spec });
  place?.(m);
  runVmmMain(m, magic, info);
  expect(m.uartViolations).toEqual([]);
  expect(m.console.replace(/\r\n/g, "")).not.toMatch(/[\r\n]/); // every line ends in CR LF
  return m;
}

const put = (at: number, bytes: Buffer) => (m: FakeMachine) => new Uint8Array(m.memory.buffer).set(bytes, at);
const debugExits = (m: FakeMachine) => m.portWrites.filter((w) => w.port === 0xf4);

/** The fake machine's 64 MiB as the loader's map: the core must never be given more. */
const FAKE_64M = [
  { base: 0x0n, length: 0x9fc00n, type: 1 },
  { base: 0x100000n, length: 0x3f00000n, type: 1 },
];
/** A multiboot2 module tag (type 3): [start, end) and its string (docs/vm-config.md). */
function mb2Module(start: number, end: number, text: string): Buffer {
  const p = Buffer.alloc(8 + text.length + 1);
  p.writeUInt32LE(start, 0);
  p.writeUInt32LE(end, 4);
  p.write(text, 8, "latin1");
  return mb2Tag(3, p);
}
/** The lines after the banner, CPU, memory, VT-x, VMXON and Time lines. */
const afterTime = (m: FakeMachine) => m.lines.slice(m.lines.findIndex((l) => l.startsWith("Time: ")) + 1);

describe("vmm_main with VMs declared by boot modules", () => {
  it("a module that declares nothing valid: reported, no VM, and the test guests do not run instead", () => {
    const info = mb2Info([mb2Tag(6, mb2MmapPayload(FAKE_64M)), mb2Module(0x3000000, 0x3001000, "linuz name=x"), MB2_END]);
    const m = boot(skylakeX(), MB2_MAGIC, 0x10000, put(0x10000, info));
    expect(afterTime(m)).toEqual([
      "VM config: module 1 (`linuz name=x`): the first word must be `linux`, `initrd`, `multiboot` or `module`; module ignored",
      "VMs: no declared VM could be created",
    ]);
    expect(m.halted).toBe(true);
  });

  it("the kernel module's frames are never handed out: guest RAM that would need them is refused", () => {
    // Free RAM above the core's heap is [32 MiB, 64 MiB): exactly the 32 MiB that mem=32 asks
    // for, were it not for the module at 48 MiB, which must stay intact until the VM is built.
    const kernel = Buffer.alloc(0x1000, 0xa5);
    const info = mb2Info([mb2Tag(6, mb2MmapPayload(FAKE_64M)), mb2Module(0x3000000, 0x3001000, "linux name=x mem=32 -- quiet"), MB2_END]);
    const m = boot(skylakeX(), MB2_MAGIC, 0x10000, (mm) => { put(0x10000, info)(mm); put(0x3000000, kernel)(mm); });
    expect(afterTime(m)).toEqual([
      "[x] stopped: no host memory for guest RAM (mem= too large for this machine)",
      "VMs: no declared VM could be created",
    ]);
    expect(Buffer.from(new Uint8Array(m.memory.buffer, 0x3000000, 0x1000)).equals(kernel)).toBe(true);
  });

  it("a multiboot kernel and its module: a VM in 32-bit protected mode as §3.2 says, ended by ACPI S5", () => {
    // An a.out-kludge kernel (loaded at 2 MiB, entry 0x200100) and one module, in host memory
    // below the core (the fake machine's low RAM); mem=32 is exactly what the allocator has free.
    const kernel = Buffer.from(standardKludge());
    const module = Buffer.alloc(0x1234, 0x5a);
    const info = mb2Info([mb2Tag(6, mb2MmapPayload(FAKE_64M)),
      mb2Module(0x800000, 0x800000 + kernel.length, "multiboot name=mb mem=32 -- kernel args"),
      mb2Module(0x900000, 0x900000 + module.length, "module -- the module"), MB2_END]);
    const seen: { rax: bigint; rbx: bigint; rip: bigint; cr0: bigint; cs: bigint; entry: bigint }[] = [];
    const m = new FakeMachine({ uartBusyReads: 2, ...skylakeX() });
    put(0x10000, info)(m);
    put(0x800000, kernel)(m);
    put(0x900000, module)(m);
    m.vmx.script = (e) => {
      if (e.entry === 0) {
        seen.push({ rax: e.reg(REG.RAX), rbx: e.reg(REG.RBX), rip: e.field(F.GUEST_RIP), cr0: e.field(F.GUEST_CR0),
          cs: e.field(F.CS_AR), entry: e.field(F.ENTRY_CONTROLS) });
        // `out dx, ax` with DX = 0x604 (PM1a_CNT), AX = SLP_TYP 5 << 10 | SLP_EN: I/O exit
        // (reason 30; qualification: size - 1, OUT, DX form, port in bits 31:16: SDM Vol 3C Table 28-5).
        e.setReg(REG.RAX, 0x3400n);
        return { exit: 30, qual: (0x604n << 16n) | 1n, length: 2 };
      }
      return { exit: 12 };
    };
    runVmmMain(m, MB2_MAGIC, 0x10000);
    const lines = afterTime(m);
    expect(lines[0]).toMatch(/^\[mb\] created: multiboot, RAM 32 MiB at host 0x[0-9a-f]+, image 0x200000-0x208000, entry 0x200100, 1 module, MBI at 0x[0-9a-f]+$/i);
    expect(lines[1]).toBe("[mb] command line: kernel args");
    expect(lines).toContain("[mb] powered off (ACPI S5)");
    expect(seen).toHaveLength(1);
    const s = seen[0]!;
    expect(s.rax).toBe(0x2badb002n);
    expect(s.rbx).toBe(BigInt(Number.parseInt(/MBI at 0x([0-9a-f]+)/i.exec(lines[0] ?? "")?.[1] ?? "0", 16)));
    expect(s.rip).toBe(0x200100n);
    expect([s.cr0 & 1n, s.cr0 & (1n << 31n)]).toEqual([1n, 0n]); // PE, no paging (unrestricted guest)
    expect(s.cs & 0xc0ffn).toBe(0xc09bn); // 32-bit (D/B), 4 KiB granular, present, execute/read
    expect(s.entry & (1n << 9n)).toBe(0n); // not an IA-32e mode guest
    // The module's bytes and string in guest RAM: the MBI's mods table names them.
    const ram = Number(BigInt(Number.parseInt(/at host 0x([0-9a-f]+)/i.exec(lines[0] ?? "")?.[1] ?? "0", 16)));
    const g = new DataView(m.memory.buffer, ram);
    const mbi = Number(s.rbx);
    expect(g.getUint32(mbi + 20, true)).toBe(1);
    const mod = g.getUint32(mbi + 24, true);
    const [start, end, str] = [g.getUint32(mod, true), g.getUint32(mod + 4, true), g.getUint32(mod + 8, true)];
    expect(end - start).toBe(module.length);
    expect(Buffer.from(new Uint8Array(m.memory.buffer, ram + start, module.length)).equals(module)).toBe(true);
    expect(Buffer.from(new Uint8Array(m.memory.buffer, ram + str, 11)).toString("latin1")).toBe("the module\0");
  });
});

describe("vmm_main", () => {
  it("Bochs Skylake-X via multiboot2: VT-x supported, VMXON, no guests linked, halts drained", () => {
    const info = mb2Info([mb2Cmdline("tshv"), mb2Tag(6, mb2MmapPayload(PC_2G)), MB2_END]);
    const m = boot(skylakeX(), MB2_MAGIC, 0x10000, put(0x10000, info));
    expect(m.lines).toEqual([
      expectedBanner(),
      "CPU: GenuineIntel family 6 model 85 stepping 4",
      "CPU: Intel(R) Core(TM) i7-7800X CPU @ 3.50GHz",
      "Memory: 2047 MiB usable in 2 ranges",
      "VT-x: supported: EPT unrestricted-guest VPID preemption-timer EPT-2M EPT-1G",
      "VT-x: VMXON on CPU 0 (VMCS revision 0x2b, preemption timer rate TSC/2^0)",
      // The fake TSC stands still, so the PIT measurement cannot give a rate (host-time.ts).
      "Time: TSC unknown (the PIT did not count; guests calibrate themselves), RTC 2025-01-02 03:04:05",
      "VMs: no guest images linked into this image",
    ]);
    expect(m.halted).toBe(true);
    expect(m.drainedAtHalt).toBe(true);
    expect(debugExits(m)).toEqual([]);
    // IA32_VMX_BASIC bit 55 is set: the TRUE_ controls MSRs are the ones the verdict probe reads.
    // (Bring-up, which starts at the second read of IA32_VMX_BASIC, then reads the whole block
    // 0x480-0x48A: the legacy control MSRs always exist, SDM Vol 3D A.3.1.)
    const probe = m.msrReads.slice(0, m.msrReads.indexOf(MSR.VMX_BASIC, m.msrReads.indexOf(MSR.VMX_BASIC) + 1));
    expect(probe).toContain(MSR.TRUE_PINBASED);
    expect(probe).toContain(MSR.TRUE_PROCBASED);
    expect(probe).not.toContain(MSR.PINBASED);
    // IA32_FEATURE_CONTROL is locked with VMX outside SMX on (0x5): never written.
    expect(m.msrWrites).toEqual([]);
    expect(m.vmx.on).toBe(true);
  });

  it("XSAVEC's layout is probed once at boot where it can be; a wrong layout is reported", () => {
    // Skylake-X's leaf 1 has XSAVE and AVX; leaf 0DH: XCR0 may hold x87|SSE|AVX (832 bytes),
    // subleaf 1: XSAVEOPT, XSAVEC, XGETBV1, XSAVES.
    const xsave = { ...skylakeX(), cpuidSub: new Map<string, [number, number, number, number]>([
      ["13/0", [0x7, 0x340, 0x340, 0]], ["13/1", [0xf, 0x340, 0, 0]]]) };
    const REPORT = "FPU: XSAVEC writes the compacted format at the wrong offsets (an emulator defect); Linux VMs are not offered it";
    // A memory map, so that the boot reaches bring-up (fpuInit runs just before it).
    const info = mb2Info([mb2Cmdline("tshv"), mb2Tag(6, mb2MmapPayload(PC_2G)), MB2_END]);
    const go = (spec: MachineSpec, sdmLayout = false) =>
      boot(spec, MB2_MAGIC, 0x10000, (m) => { put(0x10000, info)(m); m.vmx.xsavecLayoutOk = sdmLayout; });
    const bochs = go(xsave); // the fake CPU answers like Bochs 2.7 (xsavecLayoutOk false)
    expect(bochs.vmx.xsavecProbes).toBe(1);
    expect(bochs.lines).toContain(REPORT);
    const sdm = go(xsave, true);
    expect(sdm.vmx.xsavecProbes).toBe(1);
    expect(sdm.lines).not.toContain(REPORT);
    // No XSAVEC (subleaf 1 EAX bit 1 clear), or no AVX in XCR0: nothing to probe.
    const noXsavec = go({ ...xsave, cpuidSub: new Map([["13/0", [0x7, 0x340, 0x340, 0]], ["13/1", [0x1, 0, 0, 0]]]) });
    expect(noXsavec.vmx.xsavecProbes).toBe(0);
    const noAvx = go({ ...xsave, cpuidSub: new Map([["13/0", [0x3, 0x240, 0x240, 0]], ["13/1", [0xf, 0x240, 0, 0]]]) });
    expect(noAvx.vmx.xsavecProbes).toBe(0);
    expect(noAvx.lines).not.toContain(REPORT);
  });

  it("the UART is programmed 115200 8N1, FIFOs on, interrupts off", () => {
    const m = boot(skylakeX(), 0, 0);
    expect(m.uartConfig).toEqual({ divisor: 1, lcr: 0x03, ier: 0, fcr: 0xc7, mcr: 0x03 });
  });

  it("QEMU TCG (qemu64) via multiboot1: no VMX, stops and writes the debug-exit port", () => {
    const m = boot(qemu64(), MB1_MAGIC, 0x9000, (mm) => {
      put(0x9000, mb1Info({ flags: (1 << 6) | 1, memLower: 639, memUpper: 129920, mmapLength: 5 * 24, mmapAddr: 0x9100 }))(mm);
      put(0x9100, mb1Mmap(QEMU_128M))(mm);
    });
    expect(m.lines).toEqual([
      expectedBanner(),
      "CPU: AuthenticAMD family 15 model 107 stepping 1",
      "CPU: QEMU Virtual CPU version 2.5+",
      "Memory: 127 MiB usable in 2 ranges",
      "VT-x: not available (no VMX in CPUID)",
      "Stopping: this machine cannot run guests.",
    ]);
    expect(debugExits(m)).toEqual([{ port: 0xf4, value: 1 }]);
    expect(m.drainedAtDebugExit).toEqual([true]);
    expect(m.halted).toBe(true);
    expect(m.msrReads).toEqual([]); // no VMX in CPUID: not a single MSR touched
  });

  it("VT-x locked off by firmware", () => {
    const msrs = vmxMsrs(LYNNFIELD_VMX);
    msrs.set(MSR.FEATURE_CONTROL, 0x1n);
    const m = boot({ cpuid: intelCpuid(0x000106e5, "Intel(R) Core(TM) i5 CPU         750  @ 2.67GHz"), msrs }, 0, 0);
    expect(m.lines.slice(1)).toEqual([
      "CPU: GenuineIntel family 6 model 30 stepping 5",
      "CPU: Intel(R) Core(TM) i5 CPU         750  @ 2.67GHz",
      "Memory: no loader info (boot information pointer is 0)",
      "VT-x: not available (disabled and locked by firmware in IA32_FEATURE_CONTROL)",
      "Stopping: this machine cannot run guests.",
    ]);
    expect(debugExits(m)).toHaveLength(1);
  });

  it("Bochs Lynnfield: VMX without unrestricted guest is not usable", () => {
    const m = boot({ cpuid: intelCpuid(0x000106e5, "  Intel(R) Core(TM) i5 CPU 750  "), msrs: vmxMsrs(LYNNFIELD_VMX) }, 0, 0);
    expect(m.lines.slice(2)).toEqual([
      "CPU: Intel(R) Core(TM) i5 CPU 750", // leading and trailing blanks trimmed
      "Memory: no loader info (boot information pointer is 0)",
      "VT-x: not usable (missing: unrestricted-guest)",
      "Stopping: this machine cannot run guests.",
    ]);
  });

  it("Bochs Penryn: no secondary EPT/VPID, so IA32_VMX_EPT_VPID_CAP (which #GPs) is never read", () => {
    const m = boot({ cpuid: intelCpuid(0x0001067a, "Intel(R) Core(TM)2 Duo CPU     T9600  @ 2.80GHz"), msrs: vmxMsrs(PENRYN_VMX) }, 0, 0);
    expect(m.lines[1]).toBe("CPU: GenuineIntel family 6 model 23 stepping 10");
    expect(m.lines[4]).toBe("VT-x: not usable (missing: EPT, unrestricted-guest)");
    expect(m.msrReads).not.toContain(MSR.EPT_VPID_CAP);
  });

  it("legacy control MSRs when IA32_VMX_BASIC bit 55 is clear", () => {
    const spec = skylakeX();
    const msrs = new Map(spec.msrs);
    msrs.set(MSR.VMX_BASIC, 0x005810000000002bn); // bit 55 cleared
    for (const t of [MSR.TRUE_PINBASED, MSR.TRUE_PROCBASED, MSR.TRUE_EXIT, MSR.TRUE_ENTRY]) msrs.delete(t);
    const m = boot({ ...spec, msrs }, 0, 0);
    expect(m.lines[4]).toBe("VT-x: supported: EPT unrestricted-guest VPID preemption-timer EPT-2M EPT-1G");
    expect(m.msrReads).toContain(MSR.PINBASED);
    expect(m.msrReads).not.toContain(MSR.TRUE_PINBASED);
  });

  it("VMX in CPUID but its MSRs #GP: not available, nothing read with the faulting hw_rdmsr", () => {
    const m = boot({ cpuid: intelCpuid(0x00050654, "x"), msrs: new Map() }, 0, 0);
    expect(m.lines[4]).toBe("VT-x: not available (IA32_FEATURE_CONTROL unreadable)");
    const m2 = boot({ cpuid: intelCpuid(0x00050654, "x"), msrs: new Map([[MSR.FEATURE_CONTROL, 0x5n]]) }, 0, 0);
    expect(m2.lines[4]).toBe("VT-x: not available (VMX capability MSRs unreadable)");
    expect(m2.msrReads).toEqual([MSR.FEATURE_CONTROL, MSR.VMX_BASIC]);
  });

  it("no extended leaves: no brand line (leaf 80000000H echoing basic data is not trusted)", () => {
    const cpuid = intelCpuid(0x00050654, "ignored");
    cpuid.set(0x80000000, [0x0000000d, 0x756e6547, 0x6c65746e, 0x49656e69]);
    const m = boot({ cpuid, msrs: vmxMsrs(LYNNFIELD_VMX) }, 0, 0);
    expect(m.lines[2]).toBe("Memory: no loader info (boot information pointer is 0)");
  });

  it("a malformed multiboot2 block is reported, and the boot goes on", () => {
    const info = mb2Info([mb2Tag(1, Buffer.alloc(8), 0x10000), MB2_END]);
    const m = boot(skylakeX(), MB2_MAGIC, 0x10000, put(0x10000, info));
    expect(m.lines[3]).toBe(
      "Memory: rejected multiboot2 information at 0x00010000: tag size runs past the end of the block (at offset 8)",
    );
    expect(m.lines[4]).toMatch(/^VT-x: supported/);
  });

  it("an unknown boot magic is not parsed", () => {
    const m = boot(skylakeX(), 0x12345678, 0x10000);
    expect(m.lines[3]).toBe("Memory: no loader info (unknown boot magic 0x12345678)");
  });

  it("a failed assert prints PANIC with file and line, drains and halts", () => {
    const m = new FakeMachine({ cpuid: new Map(), msrs: new Map(), uartBusyReads: 1 });
    const exports = instantiate(m);
    expect(() => fn<(ok: number) => void>(exports, "testAssert")(0)).toThrow(Halted);
    expect(m.console).toMatch(/^PANIC: unit-test assertion at src\/vmm\/testing\.ts:\d+\r\n$/);
    expect(m.drainedAtHalt).toBe(true);
    // and a passing assert does nothing
    const m2 = new FakeMachine({ cpuid: new Map(), msrs: new Map() });
    fn<(ok: number) => void>(instantiate(m2), "testAssert")(1);
    expect(m2.console).toBe("");
  });
});
