// vmm_main's VT-x path on the fake machine (support/fake-vmx.ts): VM creation from guest images,
// the guest start state in the VMCS, the run loop and scheduler, the core exit handlers
// (CPUID, HLT, VMCALL, triple fault, preemption timer) and containment: a VM that fails its entry,
// takes an exit nobody handles or faults is stopped with a message and a dump while the others
// run on. Each scenario scripts what the "CPU" does at every VM entry.

import { describe, expect, it } from "vitest";
import { FakeMachine, runVmmMain } from "./support/fake-machine.ts";
import { F, REG, type Entered, type GuestStep } from "./support/fake-vmx.ts";
import { MSR, skylakeX } from "./support/cpus.ts";
import { MB1_MAGIC, mb1Info, mb1Mmap, type Range } from "./support/multiboot.ts";

/** The fake machine's RAM: 64 MiB, usable from 1 MiB (the core reserves below the image end, 4 MiB). */
const RAM_64M: Range[] = [
  { base: 0x0n, length: 0x9fc00n, type: 1 },
  { base: 0x100000n, length: 0x3f00000n, type: 1 },
];
const INFO = 0x9000;
const MMAP = 0x9100;
const TABLE = 0x300000;
const EXIT = { CPUID: 10, HLT: 12, VMCALL: 18, TRIPLE_FAULT: 2, PREEMPT: 52, GETSEC: 11 } as const;

interface Image {
  name: string;
  mode?: 16 | 64;
  /** Bytes after the 32-byte header (at guest-physical 0x8020). */
  body?: Buffer;
  header?: Buffer;
}

/** A TSG1 header (docs/guest-protocol.md): magic, mode, entry 0x8020, cr3, rsp. */
function header(mode: 16 | 64, cr3 = 0n): Buffer {
  const h = Buffer.alloc(32);
  h.writeUInt32LE(0x31475354, 0);
  h.writeUInt32LE(mode, 4);
  h.writeBigUInt64LE(0x8020n, 8);
  h.writeBigUInt64LE(cr3, 16);
  h.writeBigUInt64LE(0x7000n, 24);
  return h;
}

/** Lays out the guest-image table of hw_guest_images and the images themselves below 4 MiB. */
function machine(images: Image[]): FakeMachine {
  const m = new FakeMachine({ ...skylakeX(), guestImages: TABLE });
  const mem = new Uint8Array(m.memory.buffer);
  const v = m.view();
  mem.set(mb1Info({ flags: 1 << 6, mmapLength: RAM_64M.length * 24, mmapAddr: MMAP }), INFO);
  mem.set(mb1Mmap(RAM_64M), MMAP);
  v.setBigUint64(TABLE, BigInt(images.length), true);
  let data = TABLE + 0x1000;
  images.forEach((img, i) => {
    const name = data;
    mem.set(Buffer.from(img.name + "\0", "latin1"), name);
    data += 0x100;
    const bytes = Buffer.concat([img.header ?? header(img.mode ?? 16, img.mode === 64 ? 0x9000n : 0n), img.body ?? Buffer.alloc(16)]);
    mem.set(bytes, data);
    v.setBigUint64(TABLE + 8 + 24 * i, BigInt(name), true);
    v.setBigUint64(TABLE + 16 + 24 * i, BigInt(data), true);
    v.setBigUint64(TABLE + 24 + 24 * i, BigInt(bytes.length), true);
    data += (bytes.length + 0xfff) & ~0xfff;
  });
  return m;
}

/** The VM names in VMCS-creation order: VMCS addresses map to guests by first entry. */
function run(m: FakeMachine, perGuest: ((e: Entered) => GuestStep)[]): string[] {
  const order: number[] = [];
  m.vmx.script = (e) => {
    if (!order.includes(e.vmcs)) order.push(e.vmcs);
    const which = [...m.vmx.vmcs.keys()].indexOf(e.vmcs);
    return perGuest[which]!(e);
  };
  runVmmMain(m, MB1_MAGIC, INFO);
  expect(m.halted).toBe(true);
  return m.lines.slice(7); // after banner, 2 CPU lines, Memory, VT-x verdict, VMXON, Time
}

/** A guest that runs `steps` in order, one per entry. */
const steps = (...s: ((e: Entered) => GuestStep)[]) => (e: Entered): GuestStep => s[Math.min(e.entry, s.length - 1)]!(e);
const hypercall = (nr: bigint, a0 = 0n, a1 = 0n) => (e: Entered): GuestStep => {
  e.setReg(REG.RAX, nr);
  e.setReg(REG.RBX, a0);
  e.setReg(REG.RCX, a1);
  return { exit: EXIT.VMCALL, length: 3 };
};
const exitCall = (status: bigint) => hypercall(2n, status);

describe("VMs on the fake VMX", () => {
  it("creates a VM per image with the protocol's start state, runs hypercalls and CPUID, summarizes", () => {
    const text = Buffer.from("hello, world\n", "latin1");
    const m = machine([{ name: "g1", body: text }]);
    let cpuidRegs: bigint[] = [];
    let startRip = 0n;
    const lines = run(m, [
      steps(
        (e) => {
          startRip = e.field(F.GUEST_RIP);
          expect(e.field(F.GUEST_CR0) & 1n).toBe(0n); // real mode: PE = 0 (unrestricted guest)
          expect(e.field(F.GUEST_RSP)).toBe(0x7000n);
          expect(e.field(F.VPID)).toBe(1n);
          expect(e.field(F.PREEMPTION_TIMER_VALUE)).toBeGreaterThan(0n);
          return hypercall(1n, 0x8020n, BigInt(text.length))(e);
        },
        (e) => {
          expect(e.reg(REG.RAX)).toBe(BigInt(text.length)); // console_write returns the length
          expect(e.field(F.GUEST_RIP)).toBe(startRip + 3n); // VMCALL skipped
          e.setReg(REG.RAX, 0n);
          e.setReg(REG.RCX, 0n);
          return { exit: EXIT.CPUID, length: 2 };
        },
        (e) => {
          cpuidRegs = [REG.RAX, REG.RBX, REG.RCX, REG.RDX].map((r) => e.reg(r));
          return hypercall(1n, 0x8020n, 4097n)(e);
        },
        (e) => {
          // too long: EINVAL, as a 32-bit value (CS.L = 0: the low halves count, guest-protocol.md)
          expect(e.reg(REG.RAX)).toBe(BigInt.asUintN(32, -22n));
          return hypercall(1n, 0xfeb00000n, 4n)(e);
        },
        (e) => {
          expect(e.reg(REG.RAX)).toBe(BigInt.asUintN(32, -14n)); // the MMIO page is not RAM: EFAULT
          return hypercall(77n)(e);
        },
        (e) => {
          expect(e.reg(REG.RAX)).toBe(BigInt.asUintN(32, -38n)); // unknown: ENOSYS
          return exitCall(7n)(e);
        },
      ),
    ]);
    expect(lines[0]).toMatch(/^\[g1\] created: mode 16, entry 0x8020, RAM 4 MiB at host 0x[0-9a-f]+, EPT tables \d+$/);
    expect(lines.slice(1)).toEqual([
      "[g1] hello, world",
      "[g1] exited with status 7",
      "VMs: all stopped",
      "[g1] exits: total 6, cpuid 1, vmcall 5",
    ]);
    // CPUID leaf 0 through the policy: the host's vendor, max leaf capped.
    expect(cpuidRegs[1]).toBe(0x756e6547n); // "Genu"
  });

  it("hw_vmrun's lite entries: CPUID cache hits and IN/OUT of unassigned ports, the rest on the full path", () => {
    const m = machine([{ name: "g1", body: Buffer.from("ab", "latin1") }]);
    const IO = 30;
    /** Exit qualification of IN/OUT (SDM Table 28-5): size code, direction, string, port. */
    const ioQual = (port: number, sizeCode: number, isIn: boolean, str = false) =>
      (BigInt(port) << 16n) | BigInt(sizeCode) | (isIn ? 8n : 0n) | (str ? 16n : 0n);
    let rip = 0n;
    let first: bigint[] = [];
    const regs = (e: Entered) => [REG.RAX, REG.RBX, REG.RCX, REG.RDX].map((r) => e.reg(r));
    const lines = run(m, [
      steps(
        (e) => { // CPUID leaf 0: a miss (vmm_exit, the policy fills the cache)
          e.setReg(REG.RAX, 0n);
          e.setReg(REG.RCX, 0n);
          return { exit: EXIT.CPUID, length: 2 };
        },
        (e) => { // CPUID leaf 0 again, in an STI shadow: a hit, answered by the lite entry
          first = regs(e);
          rip = e.field(F.GUEST_RIP);
          e.setReg(REG.RAX, 0xffff_ffff_0000_0000n); // upper halves ignored: leaf 0, subleaf 0
          e.setReg(REG.RCX, 0xffff_ffff_0000_0000n);
          e.setReg(REG.RBX, 0x1234n);
          e.setReg(REG.RBP, 0x5555n);
          e.setField(F.GUEST_INTERRUPTIBILITY, 1n);
          return { exit: EXIT.CPUID, length: 3 };
        },
        (e) => { // OUT DX, AL to an unassigned port: dropped by the lite entry
          expect(m.vmx.liteHandled).toBe(1);
          expect(regs(e)).toEqual(first);
          expect(e.reg(REG.RBP)).toBe(0x5555n); // callee-saved slots kept
          expect(e.field(F.GUEST_RIP)).toBe(rip + 3n);
          expect(e.field(F.GUEST_INTERRUPTIBILITY)).toBe(0n); // the shadow ended
          e.setReg(REG.RAX, 0x1111_2222_3333_4444n);
          return { exit: IO, qual: ioQual(0x1234, 0, false), length: 1 };
        },
        (e) => { // IN AX, DX from an unassigned port: all ones into AX, the rest of RAX kept
          expect(m.vmx.liteHandled).toBe(2);
          expect(e.reg(REG.RAX)).toBe(0x1111_2222_3333_4444n);
          return { exit: IO, qual: ioQual(0x1234, 1, true), length: 2 };
        },
        (e) => { // IN EAX, DX: zero-extended
          expect(e.reg(REG.RAX)).toBe(0x1111_2222_3333_ffffn);
          return { exit: IO, qual: ioQual(0x5678, 3, true), length: 1 };
        },
        (e) => { // OUT to the debug console (a device): refused, vmm_exit's direct path prints
          expect(m.vmx.liteHandled).toBe(4);
          expect(m.vmx.skipped).toBe(0);
          expect(e.reg(REG.RAX)).toBe(0xffff_ffffn);
          e.setReg(REG.RAX, 0x61n);
          return { exit: IO, qual: ioQual(0xe9, 0, false), length: 1 };
        },
        (e) => { // the line's end
          expect(m.vmx.liteHandled).toBe(4);
          expect(m.vmx.skipped).toBe(1); // EXIT_FAST_SKIP: hw_vmrun completed the OUT
          e.setReg(REG.RAX, 0x0an);
          return { exit: IO, qual: ioQual(0xe9, 0, false), length: 1 };
        },
        (e) => { // IN AL, DX from the debug console, in a MOV-SS shadow: the direct path again
          expect(m.vmx.skipped).toBe(2);
          rip = e.field(F.GUEST_RIP);
          e.setReg(REG.RAX, 0x1111_2222_3333_4444n);
          e.setReg(REG.RBP, 0x7777n);
          e.setField(F.GUEST_INTERRUPTIBILITY, 2n);
          return { exit: IO, qual: ioQual(0xe9, 0, true), length: 1 };
        },
        (e) => { // CPUID leaf 1 (never cached): refused, answered by the policy
          expect(m.vmx.skipped).toBe(3);
          expect(e.reg(REG.RAX)).toBe(0x1111_2222_3333_44e9n); // the device's 0xE9 into AL
          expect(e.reg(REG.RBP)).toBe(0x7777n); // callee-saved slots kept
          expect(e.field(F.GUEST_RIP)).toBe(rip + 1n); // completed by hw_vmrun
          expect(e.field(F.GUEST_INTERRUPTIBILITY)).toBe(0n); // the shadow ended
          e.setReg(REG.RAX, 1n);
          e.setReg(REG.RCX, 0n);
          return { exit: EXIT.CPUID, length: 2 };
        },
        (e) => {
          expect(m.vmx.liteHandled).toBe(4);
          return exitCall(0n)(e);
        },
      ),
    ]);
    expect(lines.slice(1)).toEqual([
      "[g1] a",
      "[g1] exited with status 0",
      "VMs: all stopped",
      "[g1] exits: total 10, cpuid 3, vmcall 1, io 6",
    ]);
  });

  it("an unhandled exit, a triple fault and a failed entry stop only their own VM", () => {
    const m = machine([{ name: "nohandler" }, { name: "tf" }, { name: "badguest" }, { name: "vmfail" }, { name: "ok" }]);
    const lines = run(m, [
      () => ({ exit: EXIT.GETSEC, length: 3 }),
      () => ({ exit: EXIT.TRIPLE_FAULT }),
      () => ({ exit: (0x80000000 | 33) >>> 0, qual: 4n }),
      () => ({ vmfail: 2, error: 7 }),
      steps((e) => exitCall(0n)(e)),
    ]);
    const stops = lines.filter((l) => / stopped: | exited /.test(l));
    expect(stops).toEqual([
      "[nohandler] stopped: no handler for exit reason 11 (getsec)",
      "[tf] stopped: triple fault",
      "[badguest] stopped: VM-entry failure: invalid guest state (exit reason 33: invalid VMCS link pointer)",
      "[vmfail] stopped: VMLAUNCH failed: VMfailValid, VM-instruction error 7 (VM entry with invalid control field(s))",
      "[ok] exited with status 0",
    ]);
    // each stop is followed by the register/VMCS dump, prefixed with the VM's name
    const i = lines.indexOf("[tf] stopped: triple fault");
    expect(lines[i + 1]).toMatch(/^\[tf\] {3}rip=0x[0-9a-f]{16} rsp=0x0{12}7000 rflags=0x0{15}2 $/);
    expect(lines).toContain("[nohandler] exits: total 1, getsec 1");
  });

  it("the preemption timer takes the CPU from a spinning guest: round robin", () => {
    const m = machine([{ name: "spin" }, { name: "a" }, { name: "b" }]);
    let spins = 0;
    const lines = run(m, [
      (e) => (++spins < 6 ? { exit: EXIT.PREEMPT } : exitCall(1n)(e)),
      steps(() => ({ exit: EXIT.PREEMPT }), (e) => exitCall(2n)(e)),
      steps(() => ({ exit: EXIT.PREEMPT }), () => ({ exit: EXIT.PREEMPT }), (e) => exitCall(3n)(e)),
    ]);
    const [spin, a, b] = [...m.vmx.vmcs.keys()];
    // slice by slice: spin a b | spin a b | spin b | spin | spin | spin
    expect(m.vmx.entryLog).toEqual([spin, a, b, spin, a, b, spin, b, spin, spin, spin]);
    // The guests' x87/SSE/AVX state moves only on a switch to another vCPU (the fake CPU has
    // XSAVE), each vCPU with its own area: 9 switches in, 8 out, none when the spinning guest
    // follows itself; every save is of the area restored just before (the owner's).
    const log = m.vmx.fpuLog;
    const restores = log.filter((x) => x.startsWith("xrstor "));
    expect(restores).toHaveLength(9);
    expect(log.filter((x) => x.startsWith("xsave "))).toHaveLength(8);
    expect(new Set(restores).size).toBe(3);
    expect(log[0]).toMatch(/^xrstor /);
    for (let i = 1; i < log.length; i += 2) expect(log[i]!.slice(6)).toBe(log[i - 1]!.slice(7));
    expect(lines.filter((l) => l.includes("exited"))).toEqual([
      "[a] exited with status 2",
      "[b] exited with status 3",
      "[spin] exited with status 1",
    ]);
  });

  it("guest-owned MSRs (LSTAR, KERNEL_GS_BASE) and DR0-DR3/DR6 follow their vCPU across switches", () => {
    const LSTAR = 0xc0000082, KGS = 0xc0000102;
    const m = machine([{ name: "a" }, { name: "b" }]);
    m.msrs.set(LSTAR, 0x1111n); // whatever the host left there
    m.msrs.set(KGS, 0x2222n);
    const seen: string[] = [];
    // Each guest, on each entry, records what it finds in the real MSRs and then "writes" them
    // (no exit: straight into the CPU's MSRs), then is preempted.
    m.vmx.dr.set(0, 0x3333n);
    const guest = (name: string, mine: bigint) => (e: Entered): GuestStep => {
      const dr = `${m.vmx.dr.get(0)!.toString(16)},${m.vmx.dr.get(6)!.toString(16)}`;
      seen.push(`${name}:${m.msrs.get(LSTAR)!.toString(16)},${m.msrs.get(KGS)!.toString(16)} ${dr}`);
      m.msrs.set(LSTAR, mine);
      m.msrs.set(KGS, mine + 1n);
      m.vmx.dr.set(0, mine + 2n); // DR0 (no MOV-DR exiting: also the guest's own)
      m.vmx.dr.set(6, mine + 3n);
      return e.entry < 2 ? { exit: EXIT.PREEMPT } : exitCall(0n)(e);
    };
    run(m, [guest("a", 0xa0n), guest("b", 0xb0n)]);
    expect(seen).toEqual([
      "a:0,0 0,ffff0ff0", "b:0,0 0,ffff0ff0", // a new vCPU starts from INIT values, not the host's
      "a:a0,a1 a2,a3", "b:b0,b1 b2,b3", "a:a0,a1 a2,a3", "b:b0,b1 b2,b3",
    ]);
  });

  it("HLT: with IF = 0 the VM is done; with IF = 1 it waits for an interrupt nothing sends", () => {
    const m = machine([{ name: "cli" }, { name: "sti" }]);
    const lines = run(m, [
      (e) => {
        e.setField(F.GUEST_RFLAGS, 0x2n);
        return { exit: EXIT.HLT, length: 1 };
      },
      (e) => {
        e.setField(F.GUEST_RFLAGS, 0x202n);
        return { exit: EXIT.HLT, length: 1 };
      },
    ]);
    expect(lines.filter((l) => l.includes("halted"))).toEqual([
      "[cli] halted (HLT with interrupts disabled)",
      "[sti] halted with interrupts enabled; no device can wake it",
    ]);
  });

  it("VMCALL from CPL 3 injects #UD instead of running the hypercall", () => {
    const m = machine([{ name: "user" }]);
    let injected = 0n;
    run(m, [
      steps(
        (e) => {
          e.setField(F.SS_AR, 0xf3n); // DPL 3
          return hypercall(2n, 9n)(e);
        },
        (e) => {
          injected = e.field(F.ENTRY_INTERRUPTION_INFO);
          e.setField(F.SS_AR, 0x93n);
          e.setField(F.ENTRY_INTERRUPTION_INFO, 0n);
          return exitCall(0n)(e);
        },
      ),
    ]);
    expect(injected).toBe(0x80000306n); // valid, hardware exception, vector 6
  });

  it("a bad image header stops that VM before it runs; the others start", () => {
    const bad = header(16);
    bad.writeUInt32LE(0x12345678, 0);
    const huge = header(64, 0x123n); // CR3 not page-aligned
    const m = machine([{ name: "bad", header: bad }, { name: "cr3", header: huge }, { name: "good" }]);
    const lines = run(m, [(e) => exitCall(5n)(e)]);
    expect(lines.slice(0, 2)).toEqual([
      "[bad] stopped: bad image header: magic is not TSG1",
      "[cr3] stopped: bad image header: CR3 not a page-aligned PML4 inside guest RAM (or not 0 in mode 16)",
    ]);
    expect(lines).toContain("[good] exited with status 5");
    expect(m.vmx.vmcs.size).toBe(1);
  });

  it.each([
    ["mode 32", (h: Buffer) => h.writeUInt32LE(32, 4), "start mode is neither 16 nor 64"],
    ["entry at 64 KiB in mode 16", (h: Buffer) => h.writeBigUInt64LE(0x10000n, 8), "entry point outside guest RAM (or above 64 KiB in mode 16)"],
    ["entry beyond RAM", (h: Buffer) => h.writeBigUInt64LE(1n << 40n, 8), "entry point outside guest RAM (or above 64 KiB in mode 16)"],
    ["RSP 0", (h: Buffer) => h.writeBigUInt64LE(0n, 24), "initial RSP outside guest RAM (or above 64 KiB in mode 16)"],
    ["CR3 in mode 16", (h: Buffer) => h.writeBigUInt64LE(0x9000n, 16), "CR3 not a page-aligned PML4 inside guest RAM (or not 0 in mode 16)"],
  ])("header check: %s", (_what, patch, reason) => {
    const h = header(16);
    patch(h);
    const m = machine([{ name: "bad", header: h }, { name: "good" }]);
    const lines = run(m, [(e) => exitCall(0n)(e)]);
    expect(lines[0]).toBe(`[bad] stopped: bad image header: ${reason}`);
    expect(lines).toContain("[good] exited with status 0");
  });

  it("an image shorter than its header, and MSR-load and VMfailInvalid entry failures", () => {
    const m = machine([{ name: "short", header: Buffer.alloc(8), body: Buffer.alloc(0) }, { name: "msr" }, { name: "inval" }]);
    const lines = run(m, [
      () => ({ exit: (0x80000000 | 34) >>> 0, qual: 3n }),
      () => ({ vmfail: 1 }),
    ]);
    expect(lines.filter((l) => l.includes(" stopped: "))).toEqual([
      "[short] stopped: bad image header: image smaller than its 32-byte header",
      "[msr] stopped: VM-entry failure: MSR loading (exit reason 34: MSR-load entry 3)",
      "[inval] stopped: VMLAUNCH failed: VMfailInvalid (no valid current VMCS)",
    ]);
  });
});

describe("VMX bring-up refusals", () => {
  /** Boots a Skylake-X whose MSRs `patch` changed; returns the line after the VT-x verdict. */
  function bringUp(patch: (msrs: Map<number, bigint>) => void): { line: string; m: FakeMachine } {
    const spec = skylakeX();
    const msrs = new Map(spec.msrs);
    patch(msrs);
    const m = new FakeMachine({ ...spec, msrs });
    runVmmMain(m, 0x2badb002, 0); // no loader block: refused before any VMX work
    return { line: m.lines[5] ?? "", m };
  }

  it("without a memory map there is no frame allocator, so no VMXON", () => {
    const { line, m } = bringUp(() => {});
    expect(line).toBe("VT-x bring-up: refused: no usable memory map for the frame allocator");
    expect(m.vmx.on).toBe(false);
  });

  it("names a missing required control and leaves VMX off", () => {
    const m = machine([{ name: "never" }]);
    const pin = m.msrs.get(MSR.TRUE_PINBASED)!;
    m.msrs.set(MSR.TRUE_PINBASED, pin & ~(1n << (32n + 6n))); // VMX-preemption timer may not be 1
    runVmmMain(m, MB1_MAGIC, INFO);
    expect(m.lines[4]).toBe("VT-x: supported: EPT unrestricted-guest VPID EPT-2M EPT-1G");
    expect(m.lines[5]).toBe("VT-x bring-up: refused: pin-based controls lack required bits 0x00000040 (VMX-preemption timer)");
    expect(m.vmx.on).toBe(false);
  });

  it("refuses EPT without write-back paging structures", () => {
    const m = machine([{ name: "never" }]);
    m.msrs.set(MSR.EPT_VPID_CAP, m.msrs.get(MSR.EPT_VPID_CAP)! & ~(1n << 14n));
    runVmmMain(m, MB1_MAGIC, INFO);
    expect(m.lines[5]).toBe("VT-x bring-up: refused: IA32_VMX_EPT_VPID_CAP lacks 0x4000 (4-level walk, WB paging structures, INVEPT)");
  });

  it("sets and locks an unlocked IA32_FEATURE_CONTROL before VMXON", () => {
    const m = machine([]);
    m.msrs.set(MSR.FEATURE_CONTROL, 0n);
    runVmmMain(m, MB1_MAGIC, INFO);
    expect(m.msrWrites).toEqual([[MSR.FEATURE_CONTROL, 0x5n]]);
    expect(m.lines[5]).toMatch(/^VT-x: VMXON on CPU 0 /);
    expect(m.vmx.cr4 & (1n << 13n)).toBe(1n << 13n); // CR4.VMXE
  });
});
